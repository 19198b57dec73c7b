//! `subgate bench`: throughput of the PHY and PER vs SNR.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use plotters::prelude::*;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use subgate_dsp::channel::{apply, ChannelConfig, Multipath};
use subgate_dsp::crc::append_fcs;
use subgate_dsp::per::{self, PerConfig, PerPoint};
use subgate_dsp::rng::Rng;
use subgate_dsp::rx::{Receiver, ReceiverConfig};
use subgate_dsp::tx::Transmitter;
use subgate_dsp::{Complex32, Format, Mcs, TxRequest};

/// Benchmarks.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Receiver and transmitter throughput on one core, in Msps.
    Phy(PhyArgs),
    /// PER vs SNR for each MCS, real and genie receiver; CSV and PNG.
    Per(PerArgs),
    /// Control plane: association + registration of N terminals, then a simulated day of
    /// their reports through the gateway into the durable store.
    Control(ControlArgs),
    /// Northbound: reports at a real-time rate through the gateway to a real mosquitto that
    /// goes down mid-run; every acked report must arrive (counts redeliveries).
    Northbound(super::bench_northbound::NorthboundArgs),
    /// The whole-band receiver (channelizer + a receiver per channel) on the US band with 1
    /// and 2 threads, at 0 % and 10 % airtime, beside a plain read of the same bytes.
    Band(super::bench_band::BandArgs),
    /// Charging crash soak: `sim` with charging on, SIGKILLed at random moments and
    /// restarted on the same store (default 1000 times), then every byte, record, spool
    /// file and broker message audited.
    Kill(super::bench_kill::KillArgs),
    /// Delivery ratio against distance at IQ level: meters on rings around the gateway, every
    /// frame through the real PHY with the macro path loss; the reach at ≥ 99 % beside the
    /// standard's sensitivity.
    Range(super::bench_range::RangeArgs),
    /// A scenario file as a benchmark (the 8191-meter AID limit): the simulation's report,
    /// wall time, IQ-level receptions per second, peak memory, delivery inside the budget.
    Scenario(super::bench_scenario::ScenarioArgs),
}

/// Options of `bench control`.
#[derive(Args, Debug)]
pub struct ControlArgs {
    /// Terminals (8191: the S1G AID limit).
    #[arg(long, default_value_t = 8191)]
    terminals: usize,
    /// Simulated hours of reports.
    #[arg(long, default_value_t = 24.0)]
    hours: f64,
    /// Directory for the benchmark databases (a real disk: commits are fsynced). Default:
    /// the system's temporary directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Register through a real AAA server instead of the M2M server emulator: `radius`
    /// starts FreeRADIUS (Debian package `freeradius`) on loopback with the shipped
    /// configuration (aaa/freeradius) and delivers every configuration in the 4-way handshake.
    #[arg(long, value_name = "KIND")]
    aaa: Option<AaaKind>,
    /// With --aaa: only the associations, no simulated day.
    #[arg(long)]
    associations_only: bool,
    /// Instead: usage events folded into charging records with durability (group commits).
    #[arg(long)]
    charging: bool,
    /// With --charging: usage events.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// With --charging: events per commit.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
}

/// AAA servers `bench control --aaa` can start.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AaaKind {
    /// FreeRADIUS 3.2 on loopback.
    Radius,
}

/// Options of `bench phy`.
#[derive(Args, Debug)]
pub struct PhyArgs {
    /// Seconds to run each case.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
}

/// Options of `bench per`.
#[derive(Args, Debug)]
pub struct PerArgs {
    /// Formats to sweep: 1m, 2m or both.
    #[arg(long, default_value = "both")]
    format: String,
    /// MCS list (comma separated); default every MCS of the format.
    #[arg(long, value_delimiter = ',')]
    mcs: Vec<Mcs>,
    /// Frames per SNR point.
    #[arg(long, default_value_t = 200)]
    frames: usize,
    /// SNR step, dB.
    #[arg(long, default_value_t = 0.5)]
    step: f64,
    /// Multipath: none, b or d (TGn models with delays ×10).
    #[arg(long, default_value = "none")]
    multipath: Multipath,
    /// Skip the genie receiver.
    #[arg(long)]
    no_genie: bool,
    /// Also decode through the gateware's front-end models (1 MHz: 16 Msps band, DDC,
    /// decimation, detector, burst gate) and print the SNR difference they make.
    #[arg(long)]
    frontend: bool,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// CSV output.
    #[arg(long, default_value = "per.csv")]
    csv: PathBuf,
    /// PNG plot output.
    #[arg(long, default_value = "per.png")]
    png: PathBuf,
}

pub fn run(b: BenchCommand) -> Result<()> {
    match b {
        BenchCommand::Phy(a) => phy(a),
        BenchCommand::Per(a) => per_sweep(a),
        BenchCommand::Control(a) => control(a),
        BenchCommand::Northbound(a) => super::bench_northbound::run(a),
        BenchCommand::Band(a) => super::bench_band::run(a),
        BenchCommand::Kill(a) => super::bench_kill::run(a),
        BenchCommand::Range(a) => super::bench_range::run_range(a),
        BenchCommand::Scenario(a) => super::bench_scenario::run(a),
    }
}

/// Back-to-back frames (100 % airtime) of one format/MCS at a given SNR.
fn busy_stream(format: Format, mcs: Mcs, snr: f64, frames: usize) -> Result<Vec<Complex32>> {
    let mut rng = Rng::new(11);
    let mut tx = Transmitter::new();
    let mut x = Vec::new();
    for _ in 0..frames {
        let mut psdu = vec![0u8; 252];
        rng.fill_bytes(&mut psdu);
        append_fcs(&mut psdu);
        tx.modulate(&TxRequest::new(psdu, format, mcs), &mut x)
            .map_err(anyhow::Error::msg)?;
    }
    let cfg = ChannelConfig {
        sample_rate: format.sample_rate(),
        snr_db: Some(snr),
        cfo_hz: 10e3,
        ..Default::default()
    };
    Ok(apply(&cfg, &x, 0))
}

/// Runs the receiver over `x` repeatedly for about `secs`; returns (Msps, frames per pass).
fn time_rx(format: Format, x: &[Complex32], secs: f64) -> (f64, u64) {
    let mut rx = Receiver::new(ReceiverConfig::new(format));
    let mut out = Vec::new();
    let mut samples = 0u64;
    let mut passes = 0u64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs_f64(secs) || passes == 0 {
        rx.reset();
        out.clear();
        for block in x.chunks(1 << 16) {
            rx.process(block, &mut out);
        }
        samples += x.len() as u64;
        passes += 1;
    }
    let msps = samples as f64 / start.elapsed().as_secs_f64() / 1e6;
    (msps, rx.stats().frames / passes)
}

fn phy(a: PhyArgs) -> Result<()> {
    println!(
        "subgate bench phy: one thread, blocks of 65536 samples, {} s per case\n",
        a.seconds
    );
    println!("{:<44} {:>12} {:>16}", "case", "Msps", "frames decoded");
    let mut rng = Rng::new(3);
    let noise: Vec<Complex32> = (0..1 << 21)
        .map(|_| {
            Complex32::new(rng.normal() as f32, rng.normal() as f32)
                * std::f32::consts::FRAC_1_SQRT_2
        })
        .collect();
    let (m, _) = time_rx(Format::S1g1M, &noise, a.seconds);
    println!(
        "{:<44} {:>12.1} {:>16}",
        "(a) RX noise only, 1 MHz receiver", m, "-"
    );
    let (m, _) = time_rx(Format::S1gShort2M, &noise, a.seconds);
    println!(
        "{:<44} {:>12.1} {:>16}",
        "(a) RX noise only, 2 MHz receiver", m, "-"
    );
    let x = busy_stream(Format::S1g1M, Mcs(0), 20.0, 40)?;
    let (m, f) = time_rx(Format::S1g1M, &x, a.seconds);
    println!(
        "{:<44} {:>12.1} {:>13}/40",
        "(b) RX 1 MHz MCS0, 100% airtime, 20 dB", m, f
    );
    let x = busy_stream(Format::S1gShort2M, Mcs(7), 30.0, 200)?;
    let (m, f) = time_rx(Format::S1gShort2M, &x, a.seconds);
    println!(
        "{:<44} {:>12.1} {:>12}/200",
        "(c) RX 2 MHz MCS7, 100% airtime, 30 dB", m, f
    );
    for (format, mcs) in [(Format::S1g1M, Mcs(0)), (Format::S1gShort2M, Mcs(7))] {
        let mut tx = Transmitter::new();
        let mut psdu = vec![0u8; 252];
        rng.fill_bytes(&mut psdu);
        append_fcs(&mut psdu);
        let req = TxRequest::new(psdu, format, mcs);
        let mut out = Vec::new();
        let start = Instant::now();
        let mut samples = 0u64;
        while start.elapsed() < Duration::from_secs_f64(a.seconds) || samples == 0 {
            out.clear();
            samples += tx.modulate(&req, &mut out).map_err(anyhow::Error::msg)? as u64;
        }
        let m = samples as f64 / start.elapsed().as_secs_f64() / 1e6;
        println!(
            "{:<44} {:>12.1} {:>16}",
            format!("TX {format} {mcs}, 256-byte PSDU"),
            m,
            "-"
        );
    }
    println!("\ngoal (b): 26 Msps = the US band's 26 one-MHz channels in real time on one core");
    Ok(())
}

/// SNR range (dB) around each MCS's 10 % PER point in AWGN; multipath shifts it up.
fn range(format: Format, mcs: Mcs, mp: Multipath) -> (f64, f64) {
    let (lo, hi) = match mcs.0 {
        10 => (-4.0, 2.0),
        0 => (-2.0, 5.0),
        1 => (1.0, 8.0),
        2 => (4.0, 11.0),
        3 => (7.0, 14.0),
        4 => (10.0, 17.0),
        5 => (13.0, 21.0),
        6 => (15.0, 22.0),
        7 => (16.0, 24.0),
        _ => (21.0, 29.0),
    };
    let shift = if format == Format::S1gShort2M {
        0.5
    } else {
        0.0
    };
    let mp_shift = match mp {
        Multipath::None => (0.0, 0.0),
        _ => (1.0, 14.0),
    };
    (lo + shift + mp_shift.0, hi + shift + mp_shift.1)
}

struct Curve {
    format: Format,
    mcs: Mcs,
    points: Vec<PerPoint>,
}

fn per_sweep(a: PerArgs) -> Result<()> {
    let formats: Vec<Format> = match a.format.as_str() {
        "both" => Format::ALL.to_vec(),
        f => vec![f.parse().map_err(anyhow::Error::msg)?],
    };
    if a.step <= 0.0 {
        bail!("--step must be positive");
    }
    let mut curves = Vec::new();
    let mut csv =
        std::fs::File::create(&a.csv).with_context(|| format!("creating {}", a.csv.display()))?;
    writeln!(
        csv,
        "format,mcs,multipath,snr_db,frames,errors,per,genie_errors,genie_per,frontend_errors,frontend_per"
    )?;
    println!(
        "subgate bench per: 256-byte PSDU, CFO ±37 kHz, ±20 ppm clock, random timing, multipath {}, {} frames/point\n",
        a.multipath, a.frames
    );
    println!(
        "{:<14} {:>5} {:>16} {:>16} {:>10}{}",
        "format",
        "MCS",
        "SNR@10% real",
        "SNR@10% genie",
        "gap dB",
        if a.frontend {
            format!(" {:>16} {:>10}", "SNR@10% models", "Δ dB")
        } else {
            String::new()
        }
    );
    for &format in &formats {
        let list: Vec<Mcs> = if a.mcs.is_empty() {
            (0..=10).map(Mcs).filter(|m| format.supports(*m)).collect()
        } else {
            a.mcs
                .iter()
                .copied()
                .filter(|m| format.supports(*m))
                .collect()
        };
        for mcs in list {
            let (lo, hi) = range(format, mcs, a.multipath);
            let snrs: Vec<f64> = (0..)
                .map(|i| lo + i as f64 * a.step)
                .take_while(|s| *s <= hi + 1e-9)
                .collect();
            let mut cfg = PerConfig::new(format, mcs, a.frames);
            cfg.multipath = a.multipath;
            cfg.genie = !a.no_genie;
            cfg.frontend = a.frontend;
            cfg.seed = a.seed;
            let pb = super::progress(snrs.len() as u64, &format!("{} {}", format.name(), mcs));
            let mut points = Vec::new();
            for &s in &snrs {
                points.push(per::measure(&cfg, s));
                pb.inc(1);
            }
            pb.finish_and_clear();
            for p in &points {
                writeln!(
                    csv,
                    "{},{},{},{:.2},{},{},{:.4},{},{},{},{}",
                    format.name(),
                    mcs.0,
                    a.multipath,
                    p.snr_db,
                    p.frames,
                    p.errors,
                    p.per(),
                    p.genie_errors.map(|e| e.to_string()).unwrap_or_default(),
                    p.genie_per().map(|g| format!("{g:.4}")).unwrap_or_default(),
                    p.frontend_errors.map(|e| e.to_string()).unwrap_or_default(),
                    p.frontend_per()
                        .map(|g| format!("{g:.4}"))
                        .unwrap_or_default()
                )?;
            }
            let real = per::snr_at_per(&points, 0.1, false);
            let genie = if a.no_genie {
                None
            } else {
                per::snr_at_per(&points, 0.1, true)
            };
            let show = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into());
            let gap = match (real, genie) {
                (Some(r), Some(g)) => format!("{:.2}", r - g),
                _ => "-".into(),
            };
            let models = if !a.frontend {
                String::new()
            } else if format != Format::S1g1M {
                format!(" {:>16} {:>10}", "n/a (1 MHz)", "-")
            } else {
                let m = per::snr_at_per_of(&points, 0.1, per::Curve::Frontend);
                let delta = match (real, m) {
                    (Some(r), Some(m)) => format!("{:+.2}", m - r),
                    _ => "-".into(),
                };
                format!(" {:>16} {:>10}", show(m), delta)
            };
            println!(
                "{:<14} {:>5} {:>16} {:>16} {:>10}{models}",
                format.to_string(),
                mcs.0,
                show(real),
                show(genie),
                gap
            );
            curves.push(Curve {
                format,
                mcs,
                points,
            });
        }
    }
    plot(&curves, &a.png, a.multipath).context("drawing the PER plot")?;
    println!("\nwrote {} and {}", a.csv.display(), a.png.display());
    Ok(())
}

fn plot(curves: &[Curve], path: &PathBuf, mp: Multipath) -> Result<()> {
    let root = BitMapBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE)?;
    let lo = curves
        .iter()
        .flat_map(|c| c.points.first())
        .map(|p| p.snr_db)
        .fold(f64::INFINITY, f64::min);
    let hi = curves
        .iter()
        .flat_map(|c| c.points.last())
        .map(|p| p.snr_db)
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "subgate PER vs SNR (256 B, ±37 kHz CFO, 20 ppm, multipath {mp}); dashed: genie"
            ),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, (1e-3f64..1.0f64).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("SNR in the sampled bandwidth, dB")
        .y_desc("PER")
        .draw()?;
    for (i, c) in curves.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let pts: Vec<(f64, f64)> = c
            .points
            .iter()
            .map(|p| (p.snr_db, p.per().max(1e-3)))
            .collect();
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))?
            .label(format!("{} {}", c.format.name(), c.mcs))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        let g: Vec<(f64, f64)> = c
            .points
            .iter()
            .filter_map(|p| p.genie_per().map(|g| (p.snr_db, g.max(1e-3))))
            .collect();
        if !g.is_empty() {
            chart.draw_series(DashedLineSeries::new(g, 6, 4, color.stroke_width(1)))?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn control(a: ControlArgs) -> Result<()> {
    if a.terminals == 0 || a.terminals > 8191 {
        bail!("--terminals must be in 1..=8191, got {}", a.terminals);
    }
    let dir = tempfile::Builder::new()
        .prefix("subgate-bench-")
        .tempdir_in(a.dir.clone().unwrap_or_else(std::env::temp_dir))
        .context("creating the benchmark directory")?;
    if a.charging {
        return super::bench_charging::run(dir.path(), a.events, a.batch, a.terminals);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "control-plane benchmark, {} terminals, databases in {}",
        a.terminals,
        dir.path().display()
    )?;
    let assoc = subgate_testbench::bench::associations(
        a.terminals,
        &dir.path().join("assoc.db"),
        &Default::default(),
    )?;
    writeln!(
        out,
        "associations    {} of {} authenticated, registered (PSK proof), configured and scheduled in {:.3} s ({:.0}/s; goal 8191 in <= 5 s)",
        assoc.associated,
        a.terminals,
        assoc.wall.as_secs_f64(),
        assoc.associated as f64 / assoc.wall.as_secs_f64().max(1e-9)
    )?;
    if a.aaa == Some(AaaKind::Radius) {
        let users = subgate_testbench::bench::bench_users()?;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let server = subgate_testbench::aaa::FreeRadius::start(&users, threads)
            .context("starting FreeRADIUS")?;
        writeln!(
            out,
            "FreeRADIUS      {} on {} ({} threads, config {})",
            subgate_testbench::aaa::FREERADIUS,
            server.addr,
            threads,
            server.dir().display()
        )?;
        out.flush()?;
        let opts = subgate_testbench::bench::AssociationOptions {
            aaa: Some(server.addr),
            aaa_secret: server.secret.clone(),
            passphrase: Some("subgate bench passphrase".into()),
        };
        let r =
            subgate_testbench::bench::associations(a.terminals, &dir.path().join("aaa.db"), &opts)?;
        let wall = r.wall.as_secs_f64();
        let radius = r.radius.unwrap_or_default();
        writeln!(
            out,
            "aaa radius      {} of {} registered through FreeRADIUS (CHAP proof, Access-Accept service information), keyed by 4-way handshake ({} completed) and scheduled in {:.3} s; {:.3} ms per registration (goal 8191 in <= 30 s)",
            r.associated,
            a.terminals,
            r.keyed,
            wall,
            wall * 1e3 / (r.associated.max(1) as f64)
        )?;
        writeln!(
            out,
            "radius client   {} requests, {} retransmissions, {} timeouts, {} forged answers dropped",
            radius.requests, radius.retransmissions, radius.timeouts, radius.forged
        )?;
        if a.associations_only {
            return Ok(());
        }
    }
    let mut cfg = subgate_testbench::sim::SimConfig::mixed(a.terminals, a.hours);
    cfg.store_path = Some(dir.path().join("day.db"));
    writeln!(
        out,
        "simulating {} h of reports (commit every {} ms, fsync each) ...",
        a.hours, cfg.gateway.store.commit_interval_ms
    )?;
    out.flush()?;
    let r = subgate_testbench::sim::run(&cfg)?;
    let commit_s = r.gateway.commit_wall_us as f64 / 1e6;
    writeln!(
        out,
        "day             {} reports stored exactly once ({} acked, {} missing, {} twice) in {} commits; simulated {:.0} s in {:.1} s wall",
        r.stored, r.acked, r.acked_missing, r.stored_twice, r.commits, r.simulated_s, r.wall_s
    )?;
    writeln!(
        out,
        "store           {:.0} durably stored reports/s inside commits ({:.1} s in commits; goal >= 50000)",
        r.stored as f64 / commit_s.max(1e-9),
        commit_s
    )?;
    writeln!(
        out,
        "end to end      {:.0} reports/s of wall time over the report phase (gateway + {} simulated terminals + medium)",
        r.stored_per_wall_s, a.terminals
    )?;
    Ok(())
}
