//! `subgate bench kill`: the charging crash soak — this very binary's `sim` with charging on,
//! publishing to a real mosquitto, SIGKILLed `--kills` times at random moments and started
//! again on the same store, then audited (testbench `charging_kill`): no usage byte lost or
//! counted twice, no record lost, duplicated or numbered out of turn, in the store, the
//! spool or at the broker's subscriber.

use anyhow::{bail, Context, Result};
use clap::Args;
use subgate_testbench::broker::{Consumer, Mosquitto};
use subgate_testbench::charging_kill::{audit, closed_records, run_kills, KillPlan};

/// Options of `bench kill`.
#[derive(Args, Debug)]
pub struct KillArgs {
    /// Processes killed before the last run (the soak: 1000).
    #[arg(long, default_value_t = 1000)]
    kills: usize,
    /// Terminals per run.
    #[arg(long, default_value_t = 300)]
    terminals: usize,
    /// Seed of the kill times.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Working directory (store, spool); default: a temporary one, removed afterwards.
    #[arg(long, value_name = "DIR")]
    dir: Option<std::path::PathBuf>,
}

/// Runs the soak and prints the audit.
pub fn run(a: KillArgs) -> Result<()> {
    let exe = std::env::current_exe().context("this executable")?;
    let tmp = tempfile::tempdir()?;
    let dir = a.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let broker = Mosquitto::start().context("starting mosquitto (Debian package mosquitto)")?;
    let consumer = Consumer::start(broker.port, "billing", "subgate");
    let mut plan = KillPlan::new(exe, dir, broker.addr(), a.kills);
    plan.terminals = a.terminals;
    plan.seed = a.seed;
    eprintln!(
        "charging crash soak: {} kills of `subgate sim` ({} terminals) …",
        a.kills, a.terminals
    );
    let runs = run_kills(&plan, |i| {
        if i % 50 == 0 {
            eprintln!("  {i}/{} killed", plan.kills);
        }
    })?;
    // The last run published everything; give the subscriber a moment for the tail.
    let closed = closed_records(&plan)?;
    consumer.wait_for(std::time::Duration::from_secs(10), |r| {
        r.records
            .iter()
            .map(|m| m.record_id)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            >= closed
    });
    let got = consumer.received();
    let report = audit(&plan, &got)?;
    println!(
        "kills            {} SIGKILLed, {} ended before their kill time, {:.0} s wall",
        runs.killed, runs.finished_early, runs.wall_s
    );
    println!(
        "usage carried    {} B uplink · {} B downlink · {} B roaming",
        report.carried.0, report.carried.1, report.roaming
    );
    println!(
        "records          {} closed ({}) · {} open · {} spool files",
        report.closed,
        report
            .reasons
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        report.open,
        report.spool_files
    );
    println!(
        "broker           {} record messages, {} distinct records ({} re-deliveries)",
        report.received.0,
        report.received.1,
        report.received.0 - report.received.1
    );
    if !report.problems.is_empty() {
        for p in &report.problems {
            println!("PROBLEM          {p}");
        }
        bail!("{} problems", report.problems.len());
    }
    println!("audit            every byte in exactly one record; every record once in the spool and at the broker");
    Ok(())
}
