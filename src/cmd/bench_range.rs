//! `subgate bench range`: delivery ratio against distance at IQ level (issue 9) — meters on
//! rings around the gateway, every frame through the real PHY with the macro path loss, one
//! reading a minute for an hour, all at one MCS; the longest distance still delivering ≥ 99 %
//! of the readings, beside what a receiver just meeting the standard's sensitivity would reach.

use anyhow::{bail, Context, Result};
use clap::Args;
use plotters::prelude::*;
use std::path::PathBuf;
use subgate_dsp::{Format, Mcs};
use subgate_testbench::link::{
    noise_floor_dbm, snr_at_10pct_per, standard_sensitivity_dbm, LinkBudget,
};
use subgate_testbench::sim::{run, AirSetup, ServiceMix, SimConfig};

/// Options of `bench range`.
#[derive(Args, Debug)]
pub struct RangeArgs {
    /// Nearest ring, m.
    #[arg(long, default_value_t = 800.0)]
    from_m: f64,
    /// Farthest ring, m.
    #[arg(long, default_value_t = 2600.0)]
    to_m: f64,
    /// Ring spacing, m.
    #[arg(long, default_value_t = 100.0)]
    step_m: f64,
    /// Meters per ring.
    #[arg(long, default_value_t = 6)]
    per_ring: usize,
    /// MCS every meter and the gateway use (1 MHz).
    #[arg(long, default_value_t = 10)]
    mcs: u8,
    /// Log-normal shadowing, dB (0: distance alone decides).
    #[arg(long, default_value_t = 0.0)]
    shadowing_db: f64,
    /// Simulated hours of readings.
    #[arg(long, default_value_t = 1.0)]
    hours: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Plot of the delivery ratio against distance.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
}

/// One ring's result.
struct Ring {
    distance_m: f64,
    expected: u64,
    acked: u64,
    joined: usize,
    meters: usize,
}

impl Ring {
    fn ratio(&self) -> f64 {
        self.acked as f64 / self.expected.max(1) as f64
    }
}

/// Runs the sweep and prints the table.
pub fn run_range(a: RangeArgs) -> Result<()> {
    if !(a.from_m > 0.0 && a.to_m >= a.from_m && a.step_m > 0.0) || a.per_ring == 0 {
        bail!("need 0 < --from-m <= --to-m, --step-m > 0 and --per-ring >= 1");
    }
    let format = Format::S1g1M;
    let mcs = Mcs(a.mcs);
    let need = snr_at_10pct_per(format, mcs)
        .with_context(|| format!("MCS{} is not a 1 MHz MCS", a.mcs))?;
    let rings: Vec<f64> = (0..)
        .map(|k| a.from_m + a.step_m * f64::from(k))
        .take_while(|d| *d <= a.to_m + 1e-9)
        .collect();
    let mut positions = Vec::new();
    for (k, d) in rings.iter().enumerate() {
        for j in 0..a.per_ring {
            let angle =
                std::f64::consts::TAU * (j as f64 + 0.5 * (k % 2) as f64) / a.per_ring as f64;
            positions.push((d * angle.cos(), d * angle.sin()));
        }
    }
    let n = positions.len();
    if n > 8191 {
        bail!("{n} meters: more than the 8191 AIDs");
    }
    let period_s = 60;
    let mut cfg = SimConfig::mixed(n, a.hours);
    cfg.mix = vec![ServiceMix {
        name: "meter".into(),
        period_s,
        data_amount: 48,
        weight: 1,
    }];
    cfg.join_spread_s = 60;
    cfg.drain_s = 120;
    cfg.seed = a.seed;
    cfg.gateway.radio.mcs = a.mcs;
    cfg.gateway.store.commit_interval_ms = 2_000;
    let budget = LinkBudget {
        shadowing_db: a.shadowing_db,
        ..LinkBudget::default()
    };
    cfg.air = Some(AirSetup {
        budget,
        positions,
        mcs: vec![mcs],
        ppm: 20.0,
        beacon_resync: true,
        wideband: false,
    });
    eprintln!(
        "range at IQ level: {n} meters on {} rings, {:.0}–{:.0} m, MCS{}, {} h …",
        rings.len(),
        a.from_m,
        a.to_m,
        a.mcs,
        a.hours
    );
    let r = run(&cfg)?;
    // A meter that never joined made no readings; it would have made one a period.
    let would_make = (a.hours * 3600.0 / f64::from(period_s)).floor() as u64;
    let mut out: Vec<Ring> = rings
        .iter()
        .map(|&d| Ring {
            distance_m: d,
            expected: 0,
            acked: 0,
            joined: 0,
            meters: 0,
        })
        .collect();
    for (i, l) in r.links.iter().enumerate() {
        let Some(ring) = out.get_mut(i / a.per_ring) else {
            continue;
        };
        ring.meters += 1;
        ring.expected += if l.generated > 0 {
            l.generated
        } else {
            would_make
        };
        ring.acked += l.acked as u64;
        ring.joined += usize::from(l.joined);
    }
    let floor = noise_floor_dbm(format, budget.noise_figure_db);
    println!(
        "{:>9} {:>8} {:>9} {:>7} {:>10}",
        "distance", "SNR dB", "delivered", "joined", "readings"
    );
    for ring in &out {
        let snr = budget.terminal_dbm - budget.model.loss_db(ring.distance_m) - floor;
        println!(
            "{:>7.0} m {:>8.1} {:>8.2} % {:>3}/{:<3} {:>10}",
            ring.distance_m,
            snr,
            100.0 * ring.ratio(),
            ring.joined,
            ring.meters,
            ring.expected
        );
    }
    let reach = out
        .iter()
        .take_while(|x| x.ratio() >= 0.99)
        .last()
        .map(|x| x.distance_m);
    let std_sens = standard_sensitivity_dbm(format, mcs).unwrap_or(f64::NAN);
    let std_reach = budget.model.distance_m(budget.terminal_dbm - std_sens);
    let ours_dbm = floor + need;
    println!(
        "\nMCS{}: ≥ 99 % delivered out to {} (macro model, {} dBm meters, NF {} dB, {} dB shadowing)",
        a.mcs,
        reach.map_or("none of the rings".into(), |d| format!("{d:.0} m")),
        budget.terminal_dbm,
        budget.noise_figure_db,
        a.shadowing_db
    );
    println!(
        "this receiver: 10 % PER at {ours_dbm:.1} dBm ({need:.2} dB SNR); the standard's minimum sensitivity {std_sens:.0} dBm would reach {std_reach:.0} m"
    );
    println!(
        "air: {} receptions rendered, {} samples, {} lost; {:.0} s simulated in {:.1} s",
        r.air.receptions, r.air.samples, r.air.lost, r.simulated_s, r.wall_s
    );
    if let Some(png) = &a.png {
        plot(&out, png, a.mcs, std_reach).context("drawing the delivery plot")?;
        println!("wrote {}", png.display());
    }
    Ok(())
}

fn plot(rings: &[Ring], path: &PathBuf, mcs: u8, std_reach: f64) -> Result<()> {
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let (lo, hi) = match (rings.first(), rings.last()) {
        (Some(a), Some(b)) if b.distance_m > a.distance_m => (a.distance_m, b.distance_m),
        (Some(a), _) => (a.distance_m - 1.0, a.distance_m + 1.0),
        _ => (0.0, 1.0),
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("delivery ratio vs distance, MCS{mcs}, macro model, IQ level"),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0.0f64..100.5f64)?;
    chart
        .configure_mesh()
        .x_desc("distance to the gateway, m")
        .y_desc("readings acked and stored, %")
        .draw()?;
    chart.draw_series(LineSeries::new(
        rings.iter().map(|r| (r.distance_m, 100.0 * r.ratio())),
        BLUE.stroke_width(2),
    ))?;
    chart.draw_series(
        rings
            .iter()
            .map(|r| Circle::new((r.distance_m, 100.0 * r.ratio()), 4, BLUE.filled())),
    )?;
    if (lo..=hi).contains(&std_reach) {
        chart.draw_series(DashedLineSeries::new(
            vec![(std_reach, 0.0), (std_reach, 100.0)],
            6,
            4,
            RED.stroke_width(1),
        ))?;
    }
    root.present()?;
    Ok(())
}
