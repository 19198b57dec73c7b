//! `subgate gateware`: the ECP5 boards and the build of a board's bitstream (yosys,
//! nextpnr-ecp5 and ecppack from YoWASP; `.ci/run` installs them, docs/gateware.md says how).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use subgate_boards::build::{build, BuildReport};
use subgate_boards::fpga;

/// `subgate gateware ...`
#[derive(Subcommand, Debug)]
pub enum GatewareCommand {
    /// List the ECP5 boards a bitstream can be built for.
    Boards,
    /// Build a board's bitstream and print utilisation and Fmax.
    Build(BuildArgs),
}

/// Options of `gateware build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// The board (`subgate gateware boards` lists them).
    #[arg(long)]
    board: String,
    /// Output folder (Verilog, LPF, nextpnr's report and log, `top.bit`).
    #[arg(long, value_name = "DIR", default_value = "build/gateware")]
    out: PathBuf,
    /// nextpnr's placement seed.
    #[arg(long, default_value_t = 1)]
    seed: u32,
}

/// Runs a `gateware` subcommand.
pub fn run(cmd: GatewareCommand) -> Result<()> {
    match cmd {
        GatewareCommand::Boards => {
            for b in fpga::boards()? {
                println!(
                    "{:<16} {} {} speed {}, {} MHz in, {} MHz fabric\n{:<16} {}",
                    b.name,
                    b.part,
                    b.package,
                    b.speed,
                    b.clock_mhz,
                    b.fabric_mhz,
                    "",
                    b.description
                );
            }
            Ok(())
        }
        GatewareCommand::Build(a) => {
            let Some(board) = fpga::find(&a.board)? else {
                let names: Vec<String> = fpga::boards()?.into_iter().map(|b| b.name).collect();
                bail!("no board {:?}; boards: {}", a.board, names.join(", "));
            };
            let dir = a.out.join(&board.name);
            let report = build(&board, &dir, a.seed, |step| {
                eprintln!("{}: {step}", board.name)
            })
            .with_context(|| format!("building {} in {}", board.name, dir.display()))?;
            print_report(&report, &board);
            Ok(())
        }
    }
}

fn print_report(r: &BuildReport, board: &fpga::FpgaBoard) {
    println!(
        "{} ({} {} speed {}): bitstream {}",
        r.board,
        board.part,
        board.package,
        board.speed,
        r.bitstream.display()
    );
    for name in [
        "TRELLIS_COMB",
        "TRELLIS_FF",
        "MULT18X18D",
        "DP16KD",
        "TRELLIS_IO",
        "EHXPLLL",
    ] {
        if let Some(&(used, avail)) = r.pnr.utilization.get(name) {
            println!(
                "  {name:<13} {used:>6} / {avail:<6} {:5.1} %",
                100.0 * used as f64 / avail.max(1) as f64
            );
        }
    }
    println!(
        "  LUT4 {} (yosys; TRELLIS_COMB also counts carry halves)",
        r.cells.get("LUT4").copied().unwrap_or(0)
    );
    for (net, (achieved, constraint)) in &r.pnr.fmax {
        println!("  Fmax {net}: {achieved:.1} MHz (constraint {constraint:.1} MHz)");
    }
    let steps: Vec<String> = r
        .seconds
        .iter()
        .map(|(s, t)| format!("{s} {t:.1} s"))
        .collect();
    println!("  {}", steps.join(", "));
}
