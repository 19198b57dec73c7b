//! `subgate demo`: the whole system end to end on an embedded default scenario
//! (testbench/scenarios/demo.toml) — virtual meters over the IQ-level air, the real gateway
//! with its SQLite store in a temporary directory, northbound to an embedded rumqttd broker
//! (or a real one with `--mqtt`), live progress, a summary and PNG plots. `--phy` runs the
//! PHY-only demo instead (frames of every format and MCS through the channel model).

mod band;
mod broker;
mod phy;
mod plots;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use subgate_control::config::NorthboundKind;
use subgate_dsp::channel::Multipath;
use subgate_dsp::Mcs;
use subgate_testbench::scenario::Scenario;
use subgate_testbench::sim::{self, SimConfig, SimProgress, SimReport};

/// The default scenario, built in.
const DEFAULT_SCENARIO: &str = include_str!("../../../testbench/scenarios/demo.toml");

/// Options of the demo (all have embedded defaults).
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Run this scenario instead of the built-in one (testbench/scenarios/*.toml).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Simulated hours of readings (default: the scenario's; the built-in one has 2).
    #[arg(long)]
    hours: Option<f64>,
    /// Publish to this MQTT broker instead of the embedded rumqttd.
    #[arg(long, value_name = "HOST:PORT")]
    mqtt: Option<String>,
    /// Serve the gateway's counters for Prometheus at http://ADDR/metrics while it runs.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    /// Keep serving --metrics for this many seconds after the summary (for a last scrape).
    #[arg(long, default_value_t = 0, value_name = "S")]
    linger_s: u64,
    /// Directory for the PNG plots.
    #[arg(long, default_value = "demo-out", value_name = "DIR")]
    out: PathBuf,
    /// Keep the report database here (default: a temporary directory, removed at the end).
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Band plan the scenario's channel numbers belong to (for the band plot).
    #[arg(long, default_value = "US")]
    band: String,
    /// Run the PHY-only demo: frames of every format and MCS through the channel model.
    #[arg(long)]
    phy: bool,
    /// --phy: frames per format.
    #[arg(long, default_value_t = 200, requires = "phy")]
    frames: usize,
    /// --phy: seed of every random draw (payloads, SNRs, CFOs, channels).
    #[arg(long, default_value_t = 1, requires = "phy")]
    seed: u64,
    /// --phy: multipath model: none, b or d (TGn with ×10 delays).
    #[arg(long, default_value = "none", requires = "phy")]
    multipath: Multipath,
}

/// Runs the demo.
pub fn run(a: DemoArgs) -> Result<()> {
    if a.phy {
        return phy::run(a.frames, a.seed, a.multipath);
    }
    let scenario = match &a.scenario {
        Some(p) => Scenario::load(p)?,
        None => Scenario::parse(DEFAULT_SCENARIO, "built-in demo scenario")?,
    };
    if scenario.outage.is_some() {
        println!(
            "note: the scenario's [outage] runs with `subgate sim --scenario`; the demo runs it without one"
        );
    }
    let mut cfg = scenario.sim;
    if let Some(h) = a.hours {
        if !(h > 0.0 && h <= 24.0 * 7.0) {
            bail!("--hours must be in (0, 168], got {h}");
        }
        cfg.hours = h;
    }
    println!(
        "subgate demo: scenario \"{}\" — {}",
        scenario.name, scenario.description
    );
    println!(
        "  {} meters, {} h simulated, channels {:?} of the {} band, {}",
        cfg.terminals,
        cfg.hours,
        cfg.gateway.radio.channels,
        a.band,
        if cfg.air.is_some() {
            "every frame through the PHY (IQ level)"
        } else {
            "frame-level medium"
        }
    );

    // Northbound: a real broker either way.
    let embedded = match &a.mqtt {
        Some(addr) => {
            println!("  northbound: MQTT broker at {addr} (--mqtt)");
            cfg.gateway.northbound.broker = addr.clone();
            None
        }
        None => {
            let topic = format!("{}/#", cfg.gateway.northbound.topic_prefix);
            let b = broker::start(&topic)?;
            println!(
                "  northbound: embedded rumqttd MQTT broker on {} (--mqtt HOST:PORT for a real one)",
                b.addr
            );
            cfg.gateway.northbound.broker = b.addr.to_string();
            Some(b)
        }
    };
    cfg.gateway.northbound.kind = NorthboundKind::Mqtt;

    // Store: a temporary directory unless --db.
    let tmp = tempfile::Builder::new().prefix("subgate-demo-").tempdir()?;
    let db = a.db.clone().unwrap_or_else(|| tmp.path().join("demo.db"));
    cfg.store_path = Some(db.clone());
    println!(
        "  store: {}{}",
        db.display(),
        if a.db.is_none() {
            " (temporary; --db FILE keeps it)"
        } else {
            ""
        }
    );

    // Observe the middle minute of the report phase for the band plot.
    let mid_us = (cfg.hours * 1_800e6) as u64;
    cfg.observe.frames_us = Some((mid_us, mid_us + 60_000_000));
    cfg.observe.constellation_points = 1_500;

    let progress = Arc::new(SimProgress::default());
    cfg.progress = Some(progress.clone());
    if let Some(addr) = &a.metrics {
        let server = super::metrics::serve(addr, progress.clone())?;
        println!("  metrics: http://{}/metrics", server.addr);
    }
    println!();
    let r = run_with_progress(cfg.clone(), &progress)?;
    // Let the broker's observer see the last acknowledged publications.
    std::thread::sleep(Duration::from_millis(300));

    summary(&r, &cfg, embedded.as_ref());
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    draw_plots(&a, &r, &cfg)?;
    if a.metrics.is_some() && a.linger_s > 0 {
        println!("serving metrics for {} s more", a.linger_s);
        std::thread::sleep(Duration::from_secs(a.linger_s));
    }
    if r.acked_missing > 0 || r.stored_twice > 0 {
        bail!(
            "inconsistent: {} acked reports missing from the store, {} stored twice",
            r.acked_missing,
            r.stored_twice
        );
    }
    Ok(())
}

/// Runs the simulation on its own thread with a progress bar of virtual time and the
/// readings acked so far.
fn run_with_progress(cfg: SimConfig, progress: &Arc<SimProgress>) -> Result<SimReport> {
    let total_s = (cfg.hours * 3600.0) as u64 + cfg.drain_s;
    let worker = std::thread::spawn(move || sim::run(&cfg));
    let pb = super::progress(total_s, "virtual s");
    while !worker.is_finished() {
        let v = progress.virtual_us.load(Ordering::Relaxed) / 1_000_000;
        pb.set_position(v.min(total_s));
        pb.set_message(format!("{} acked", progress.acked.load(Ordering::Relaxed)));
        std::thread::sleep(Duration::from_millis(200));
    }
    pb.finish_and_clear();
    match worker.join() {
        Ok(r) => Ok(r?),
        Err(_) => bail!("the simulation thread panicked"),
    }
}

fn pct(a: u64, b: u64) -> f64 {
    100.0 * a as f64 / b.max(1) as f64
}

/// The summary the issue asks for, from the run's own counters.
fn summary(r: &SimReport, cfg: &SimConfig, embedded: Option<&broker::EmbeddedBroker>) {
    let g = &r.gateway;
    println!(
        "simulated     {:.0} s in {:.1} s wall ({:.0}× real time)",
        r.simulated_s,
        r.wall_s,
        r.simulated_s / r.wall_s.max(1e-9)
    );
    println!(
        "terminals     {} of {} associated and reporting · {} gave up · {} still trying",
        r.scheduled,
        cfg.terminals,
        r.served_gave_up + r.refused + r.ignored,
        r.joining
    );
    println!(
        "reports       made {} · delivered {} · acked {} ({:.3} %) · stored {} · lost on air {} · collided {} · unacked at end {} · duplicates caught {}",
        r.generated,
        r.delivered,
        r.acked,
        pct(r.acked, r.generated),
        r.stored,
        r.lost,
        r.collided,
        r.unacked,
        r.duplicates
    );
    if let Some(d) = cfg
        .air
        .as_ref()
        .and_then(|air| r.budget_delivery(air, cfg.gateway.phy_format()))
    {
        println!(
            "link budget   {} meters inside it: {} of {} readings acked ({:.3} %)",
            d.meters,
            d.acked,
            d.made,
            d.percent()
        );
    }
    println!(
        "exactly once  acked but missing from the store {} · stored twice {}",
        r.acked_missing, r.stored_twice
    );
    for c in &r.channels {
        let air = r
            .airtime
            .iter()
            .find(|(ch, _)| *ch == c.channel)
            .map_or(0.0, |x| x.1);
        println!(
            "channel {:>2}    PER {:5.2} % (uplink {} lost of {}, downlink {} of {}) · airtime {:4.2} %",
            c.channel,
            100.0 * c.per(),
            c.uplink_lost,
            c.uplink,
            c.downlink_lost,
            c.downlink,
            100.0 * air
        );
    }
    for line in crate::cmd::tx_limits::lines(&r.tx_usage, r.simulated_s, 14) {
        println!("{line}");
    }
    println!(
        "gateway       beacons {} · associations {} · polls {} · acks {} · commits {} · batches north {} · events north {}",
        g.beacons, g.associated, g.polls_sent, g.acks_sent, g.commits, g.batches_forwarded, g.events_forwarded
    );
    println!(
        "charging      records closed {} · published {}{}",
        g.records_closed,
        g.records_published,
        if cfg.gateway.charging.enabled {
            ""
        } else {
            " (charging is off in this scenario)"
        }
    );
    if let Some(b) = embedded {
        if let Ok(seen) = b.seen.lock() {
            let n = |k: &str| seen.get(k).copied().unwrap_or(0);
            println!(
                "at the broker batches {} · events {} · status {} · charging records {}",
                n("batches"),
                n("events"),
                n("status"),
                n("charging")
            );
        }
    }
}

/// Writes the four plots and says what the band second showed.
fn draw_plots(a: &DemoArgs, r: &SimReport, cfg: &SimConfig) -> Result<()> {
    let out = |name: &str| -> PathBuf { a.out.join(name) };
    let mut written: Vec<PathBuf> = Vec::new();
    let format = cfg.gateway.phy_format();
    match band::busiest_second(&r.frames) {
        Some(start) => {
            let s = band::second(
                &r.frames,
                start,
                &a.band,
                &cfg.gateway.radio.channels,
                format,
                cfg.seed,
            )?;
            println!(
                "band second   {:.1}–{:.1} s at {:.1} MHz, {:.0} Msps: whole-band receiver decoded {} of {} terminal frames (per-channel receptions in the run: {}, {} differ) and {} of {} gateway frames",
                s.start_s,
                s.start_s + 1.0,
                s.centre_hz / 1e6,
                s.rate / 1e6,
                s.wideband_decoded,
                s.uplink,
                s.channel_decoded,
                s.disagree,
                s.downlink.1,
                s.downlink.0
            );
            plots::spectrogram(&out("spectrogram.png"), &s)?;
            written.push(out("spectrogram.png"));
        }
        None => println!("band second   no frames in the observed minute"),
    }
    if !r.constellations.is_empty() {
        plots::constellations(&out("constellations.png"), &r.constellations)?;
        written.push(out("constellations.png"));
    }
    let hour_from = (r.join_simulated_s.max(cfg.join_spread_s as f64) * 1e6) as u64;
    plots::schedule(&out("schedule.png"), &r.allocations, hour_from)?;
    written.push(out("schedule.png"));
    if !r.links.is_empty() {
        plots::delivery(&out("delivery.png"), &r.links)?;
        written.push(out("delivery.png"));
    }
    let names: Vec<String> = written.iter().map(|p| display(p)).collect();
    println!("plots         {}", names.join(" · "));
    let mcs: Vec<String> = r
        .constellations
        .iter()
        .map(|(m, p): &(Mcs, _)| format!("MCS{} {}", m.0, p.len()))
        .collect();
    if !mcs.is_empty() {
        println!("constellation points kept: {}", mcs.join(", "));
    }
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
