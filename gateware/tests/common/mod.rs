//! Helpers shared by the block tests: tool availability under CI, and a block's Verilog on disk.

use std::path::Path;

use rust_hdl::prelude::*;
use subgate_gateware::tools;

/// Whether `tool` can be used: missing with `CI=true` is a failure, elsewhere a skip.
pub fn require(tool: &str, test: &str) -> bool {
    if tools::available(tool) {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} is not installed but CI=true ({test} needs it)"
    );
    println!("SKIPPED {test}: {tool} not installed (install it; with CI=true this fails)");
    false
}

/// `uut`'s Verilog, written as `top.v` into `dir`.
pub fn write_verilog<U: Block>(mut uut: U, dir: &Path) {
    uut.connect_all();
    std::fs::write(dir.join("top.v"), generate_verilog(&uut)).unwrap();
}
