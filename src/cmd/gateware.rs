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
    /// Place and route one block (pins unconstrained) and print utilisation and Fmax.
    Pnr(PnrArgs),
}

/// Options of `gateware pnr`.
#[derive(Args, Debug)]
pub struct PnrArgs {
    /// The block: ddc, decim, detect, burst, channel, frontend (four channels), framer,
    /// stream (four channels with the framer), and the SID filter's viterbi (decoder),
    /// psdu_head (descrambler), sid_match (matcher), sid_back (the three in a row),
    /// sig_parse (SIG reader), fft32 (32-point FFT), ltf_est (LTF channel estimator), soft
    /// (soft-value block), sid_filter (the whole SID filter from a frame's start), cfo
    /// (frequency-offset word), ltf_match (LTF matched filter), sid_rx (the SID filter
    /// with its synchronisation: detections and samples in, decisions out) or sid_gate (the
    /// SID-filtered channel's burst gate; it has more ports than the 25F's package has pins).
    #[arg(long)]
    block: String,
    /// nextpnr device: 25k, 45k or 85k.
    #[arg(long, default_value = "25k")]
    size: String,
    /// Package.
    #[arg(long, default_value = "CSFBGA285")]
    package: String,
    /// Speed grade (6, 7 or 8).
    #[arg(long, default_value_t = 8)]
    speed: u8,
    /// Output folder (Verilog, nextpnr's report and log, bitstream).
    #[arg(long, value_name = "DIR", default_value = "build/gateware")]
    out: PathBuf,
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
        GatewareCommand::Pnr(a) => pnr(a),
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
    print_utilisation(
        &r.pnr,
        &[
            "TRELLIS_COMB",
            "TRELLIS_FF",
            "MULT18X18D",
            "DP16KD",
            "TRELLIS_IO",
            "EHXPLLL",
        ],
    );
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

/// The Verilog of block `name`, as the tests build it.
fn block_verilog(name: &str) -> Result<String> {
    use rust_hdl::prelude::*;
    use subgate_dsp::frontend::burst::DEFAULT_PRE;
    use subgate_gateware as gw;
    fn verilog<U: Block>(mut uut: U) -> String {
        uut.connect_all();
        generate_verilog(&uut)
    }
    Ok(match name {
        "ddc" => verilog(gw::ddc::Ddc::new()),
        "decim" => verilog(gw::decim::Decimator::new()),
        "detect" => verilog(gw::detect::Detector::new(8)),
        "burst" => verilog(gw::burst::BurstGate::new(DEFAULT_PRE)),
        "channel" => verilog(gw::channel::Channel::new(8, DEFAULT_PRE)),
        "frontend" => verilog(gw::frontend::FrontEnd::new(8, DEFAULT_PRE)),
        "framer" => verilog(gw::framer::Framer::new()),
        "stream" => verilog(gw::stream::StreamFrontEnd::new(8, DEFAULT_PRE)),
        "viterbi" => verilog(gw::viterbi::ViterbiDecoder::default()),
        "psdu_head" => verilog(gw::psdu_head::PsduHead::default()),
        "sid_match" => verilog(gw::sid_match::SidMatch::default()),
        "sid_back" => verilog(gw::sid_back::SidBack::default()),
        "sig_parse" => verilog(gw::sig_parse::SigParse::default()),
        "fft32" => verilog(gw::fft32::Fft32::default()),
        "ltf_est" => verilog(gw::ltf_est::LtfEst::default()),
        "soft" => verilog(gw::soft::SoftDemap::default()),
        "sid_filter" => verilog(gw::sid_filter::SidFilter::default()),
        "cfo" => verilog(gw::cfo::CfoWord::default()),
        "ltf_match" => verilog(gw::ltf_match::LtfMatch::default()),
        "sid_rx" => verilog(gw::sid_rx::SidRx::default()),
        "sid_gate" => verilog(gw::sid_gate::SidGate::default()),
        other => bail!(
            "no block {other:?}; blocks: ddc, decim, detect, burst, channel, frontend, framer, \
             stream, viterbi, psdu_head, sid_match, sid_back, sig_parse, fft32, ltf_est, soft, sid_filter, cfo, ltf_match, \
             sid_rx, sid_gate"
        ),
    })
}

fn pnr(a: PnrArgs) -> Result<()> {
    use subgate_gateware::tools;
    if !["25k", "45k", "85k"].contains(&a.size.as_str()) {
        bail!("--size must be 25k, 45k or 85k, not {:?}", a.size);
    }
    let dir = a.out.join(format!("{}-{}", a.block, a.size));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("top.v"), block_verilog(&a.block)?)
        .with_context(|| format!("writing {}", dir.join("top.v").display()))?;
    let device = tools::Ecp5Device {
        size: a.size.clone(),
        package: a.package.clone(),
        speed: a.speed,
    };
    let start = std::time::Instant::now();
    eprintln!("{}: yosys synth_ecp5", a.block);
    let cells = tools::yosys_synth_ecp5(&dir).map_err(anyhow::Error::msg)?;
    let synth_s = start.elapsed().as_secs_f64();
    eprintln!("{}: nextpnr-ecp5", a.block);
    let report = tools::nextpnr_ecp5(&dir, &device, None, 100.0, 1).map_err(anyhow::Error::msg)?;
    let pnr_s = start.elapsed().as_secs_f64() - synth_s;
    println!(
        "{} on {} {} speed {} (pins unconstrained, 100 MHz target):",
        a.block, a.size, a.package, a.speed
    );
    print_utilisation(
        &report,
        &["TRELLIS_COMB", "TRELLIS_FF", "MULT18X18D", "DP16KD"],
    );
    println!("  LUT4 {} (yosys)", cells.get("LUT4").copied().unwrap_or(0));
    println!("  Fmax {:.1} MHz", report.min_fmax().unwrap_or(0.0));
    println!("  yosys {synth_s:.1} s, nextpnr-ecp5 {pnr_s:.1} s");
    Ok(())
}

/// One line per resource of `names` that nextpnr reports: used / available and percent.
fn print_utilisation(report: &subgate_gateware::tools::PnrReport, names: &[&str]) {
    for &name in names {
        if let Some(&(used, avail)) = report.utilization.get(name) {
            println!(
                "  {name:<13} {used:>6} / {avail:<6} {:5.1} %",
                report.percent(name)
            );
        }
    }
}
