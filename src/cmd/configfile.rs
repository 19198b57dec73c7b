//! `subgate configfile`: the gateway configuration as a commented TOML file on stdout.
//!
//! Printed from the live defaults (`Config::default()`), so the documented defaults cannot
//! drift from the code; with `--config FILE`, that file is checked and printed back in full,
//! every key commented.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use subgate_control::config::Config;

/// Options of `subgate configfile`.
#[derive(Args, Debug)]
pub struct ConfigfileArgs {
    /// Load, validate and print this file instead of the defaults.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Prints the commented TOML.
pub fn run(args: ConfigfileArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(config.to_commented_toml().as_bytes())?;
    out.flush()?;
    Ok(())
}
