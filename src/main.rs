//! `subgate`: the sub-GHz (IEEE 802.11ah / S1G) M2M gateway's command line.
//!
//! Wiring only: every capability lives in the library crates (`subgate-dsp`,
//! `subgate-drivers`, `subgate-control`, `subgate-testbench`, `subgate-boards`); this binary parses arguments, shows progress and prints tables.

mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// subgate — an IEEE 802.11ah (S1G) gateway for long-range metering, in Rust.
///
/// Start with `subgate demo`: it sends a few hundred frames of mixed formats and MCS through
/// the channel model, receives them with the streaming receiver and prints what came back.
#[derive(Parser)]
#[command(name = "subgate", version, about, long_about, propagate_version = true)]
struct Cli {
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole system end to end: virtual meters over the air at IQ level, the gateway,
    /// an embedded MQTT broker; prints a summary and writes plots (--phy: the PHY alone).
    Demo(cmd::demo::DemoArgs),
    /// Generate frames through the channel model into a SigMF recording.
    Gen(cmd::gen::GenArgs),
    /// Receive a SigMF recording (or, with --band --device, a live radio): print the frames,
    /// optionally write pcap and annotations; --band decodes every channel of a band.
    Rx(cmd::rx::RxArgs),
    /// Record a band from a SoapySDR radio into a SigMF recording (cargo feature `soapy`).
    Record(cmd::record::RecordArgs),
    /// Send a recording out through a SoapySDR radio's transmitter (cargo feature `soapy`).
    Tx(cmd::tx::TxArgs),
    /// List or export the charging records in a gateway's database (table, CSV, JSON).
    Records(cmd::records::RecordsArgs),
    /// List the S1G band plans (channels per region, with sources).
    Bands(cmd::bands::BandsArgs),
    /// List the host radios and how much of a band each covers.
    Radios(cmd::bands::RadiosArgs),
    /// Benchmarks: receiver/transmitter throughput, PER vs SNR, the whole band.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
    /// Simulate the gateway with N virtual terminals over a frame-level medium in virtual time.
    Sim(cmd::sim::SimArgs),
    /// Print the gateway configuration as commented TOML (`subgate configfile > subgate.toml`).
    Configfile(cmd::configfile::ConfigfileArgs),
    /// ECP5 gateware: list the boards, build a board's bitstream, place and route a block.
    #[command(subcommand)]
    Gateware(cmd::gateware::GatewareCommand),
}

/// A reader that stops early (`subgate demo | head`) closes stdout under us; `println!`
/// then panics. Leave quietly instead, as a Unix tool does.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    // The demo's embedded broker (rumqttd) logs every connection it sees end at error
    // level; its own messages show from -vv on.
    let directives = if cli.verbose >= 2 {
        level.to_string()
    } else {
        format!("{level},rumqttd=off")
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(directives));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Demo(a) => cmd::demo::run(a),
        Command::Gen(a) => cmd::gen::run(a),
        Command::Rx(a) => cmd::rx::run(a),
        Command::Record(a) => cmd::record::run(a),
        Command::Records(a) => cmd::records::run(a),
        Command::Tx(a) => cmd::tx::run(a),
        Command::Bands(a) => cmd::bands::bands(a),
        Command::Radios(a) => cmd::bands::radios(a),
        Command::Bench(b) => cmd::bench::run(b),
        Command::Configfile(a) => cmd::configfile::run(a),
        Command::Sim(a) => cmd::sim::run(a),
        Command::Gateware(g) => cmd::gateware::run(g),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, leaving out a cause whose text the message before
/// it already contains (our file errors quote the OS error themselves).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
