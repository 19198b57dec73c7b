//! Driving the external tools on generated Verilog: Verilator (lint, simulation) and yosys
//! (`synth_ecp5`). Errors carry the tool's output so a failing test shows why.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Whether `tool` runs (`tool --version` succeeds).
pub fn available(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a command in `dir`, returning its stdout, or its output as the error.
fn run(dir: &Path, program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{program} {} failed ({}):\n{stdout}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `verilator --lint-only -Wno-WIDTH` on the Verilog file `top.v` in `dir` (module `top`).
/// rust-hdl's generated Verilog relies on implicit width changes, hence `-Wno-WIDTH`
/// (../shared/DESIGN.md §5); every other warning fails the lint.
pub fn verilator_lint(dir: &Path) -> Result<(), String> {
    run(
        dir,
        "verilator",
        &["--lint-only", "-Wno-WIDTH", "--top-module", "top", "top.v"],
    )
    .map(|_| ())
}

/// Builds `top.v` with the C++ testbench `tb.cpp` in `dir` into `dir/obj/Vtop`
/// (`verilator --cc --exe --build`).
pub fn verilator_build(dir: &Path) -> Result<(), String> {
    run(
        dir,
        "verilator",
        &[
            "--cc",
            "--exe",
            "--build",
            "-O2",
            "-Wno-WIDTH",
            "--top-module",
            "top",
            "-Mdir",
            "obj",
            "top.v",
            "tb.cpp",
        ],
    )
    .map(|_| ())
}

/// Synthesises `top.v` in `dir` for the ECP5 (`synth_ecp5 -top top`), writing `top.json`, and
/// returns the cell counts from yosys's final statistics (e.g. `LUT4`, `TRELLIS_FF`,
/// `MULT18X18D`, `DP16KD`).
pub fn yosys_synth_ecp5(dir: &Path) -> Result<BTreeMap<String, u64>, String> {
    let log = run(
        dir,
        "yosys",
        &[
            "-q",
            "-p",
            "read_verilog top.v; synth_ecp5 -top top -json top.json; tee -o stat.txt stat",
        ],
    )?;
    let stat = std::fs::read_to_string(dir.join("stat.txt"))
        .map_err(|e| format!("yosys statistics: {e}\n{log}"))?;
    Ok(parse_cells(&stat))
}

/// Cell counts from a yosys `stat` report: the `<type> <count>` lines after `Number of cells:`
/// (yosys 0.23; newer releases print `<count> <type>`, also accepted).
fn parse_cells(stat: &str) -> BTreeMap<String, u64> {
    let mut cells = BTreeMap::new();
    let mut in_cells = false;
    for line in stat.lines() {
        let t = line.trim();
        if t.starts_with("Number of cells:") {
            in_cells = true;
            continue;
        }
        if !in_cells {
            continue;
        }
        let mut parts = t.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => {
                if let Ok(n) = b.parse::<u64>() {
                    cells.insert(a.to_string(), n);
                } else if let Ok(n) = a.parse::<u64>() {
                    cells.insert(b.to_string(), n);
                } else {
                    in_cells = false;
                }
            }
            _ => in_cells = false,
        }
    }
    cells
}
