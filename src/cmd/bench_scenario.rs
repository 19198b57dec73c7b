//! `subgate bench scenario FILE`: a scenario run as a benchmark — the simulation's own report,
//! then the figures a capacity plan needs: wall time and speed-up over real time, IQ-level
//! receptions and samples rendered per wall second, peak memory, and the delivery of the
//! meters inside the link budget. The AID-limit scenario (8191 meters) is the one it is for.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::Args;
use subgate_testbench::scenario::Scenario;
use subgate_testbench::sim::SimProgress;

/// Options of `bench scenario`.
#[derive(Args, Debug)]
pub struct ScenarioArgs {
    /// The scenario (testbench/scenarios/*.toml).
    #[arg(value_name = "FILE")]
    scenario: PathBuf,
    /// Simulated hours of readings (default: the scenario's).
    #[arg(long)]
    hours: Option<f64>,
    /// Report database (default: a temporary file; put it on a real disk — commits fsync).
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
}

/// Peak resident memory of this process, MiB (Linux; `None` elsewhere).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// Runs the scenario and prints its figures.
pub fn run(a: ScenarioArgs) -> Result<()> {
    let scenario = Scenario::load(&a.scenario)?;
    let mut cfg = scenario.sim;
    if let Some(h) = a.hours {
        if !(h > 0.0 && h <= 24.0 * 7.0) {
            bail!("--hours must be in (0, 168], got {h}");
        }
        cfg.hours = h;
    }
    cfg.store_path = a.db.clone();
    println!(
        "bench scenario \"{}\": {} — {} meters, {} h",
        scenario.name, scenario.description, cfg.terminals, cfg.hours
    );
    let progress = Arc::new(SimProgress::default());
    let r = super::sim::run_with_progress(cfg.clone(), progress)?;
    super::sim::print_report(&mut std::io::stdout().lock(), &r)?;
    println!();
    println!(
        "wall             {:.1} s for {:.0} s simulated ({:.0}× real time)",
        r.wall_s,
        r.simulated_s,
        r.simulated_s / r.wall_s.max(1e-9)
    );
    if r.air.receptions > 0 {
        println!(
            "IQ level         {:.0} receptions and {:.1} M samples rendered and decoded per wall second",
            r.air.receptions as f64 / r.wall_s.max(1e-9),
            r.air.samples as f64 / 1e6 / r.wall_s.max(1e-9)
        );
    }
    if let Some(d) = cfg
        .air
        .as_ref()
        .and_then(|air| r.budget_delivery(air, cfg.gateway.phy_format()))
    {
        println!(
            "link budget      {} meters inside it: {} of {} readings acked ({:.3} %)",
            d.meters,
            d.acked,
            d.made,
            d.percent()
        );
    }
    match peak_rss_mib() {
        Some(m) => println!("peak memory      {m:.0} MiB resident"),
        None => println!("peak memory      not available on this system"),
    }
    if r.acked_missing > 0 || r.stored_twice > 0 {
        bail!(
            "inconsistent: {} acked reports missing, {} stored twice",
            r.acked_missing,
            r.stored_twice
        );
    }
    Ok(())
}
