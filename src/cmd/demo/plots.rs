//! The demo's PNG plots: the band's busiest second with its frames marked, the received
//! constellation per MCS, the slot schedule over an hour and the delivery ratio against
//! distance. How to read each: docs/guide.md §5.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::HSLColor;
use subgate_control::scheduler::Allocation;
use subgate_dsp::{Complex32, Mcs};
use subgate_testbench::sim::LinkView;

use super::band::{BandSecond, MarkKind};

/// Colour of a normalised level 0..1 (dark blue through green to yellow-white).
fn heat(v: f64) -> HSLColor {
    let v = v.clamp(0.0, 1.0);
    HSLColor(0.66 - 0.5 * v, 0.9, 0.08 + 0.6 * v)
}

/// A colour per channel index.
fn channel_colour(i: usize) -> RGBColor {
    const C: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(23, 190, 207),
    ];
    C[i % C.len()]
}

/// Spectrogram of the second with every frame boxed: green decoded by the whole-band
/// receiver, red lost, white the gateway's own.
pub fn spectrogram(path: &Path, s: &BandSecond) -> Result<()> {
    let root = BitMapBackend::new(path, (1400, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let lo = (s.centre_hz - s.rate / 2.0) / 1e6;
    let hi = (s.centre_hz + s.rate / 2.0) / 1e6;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "the band at the gateway, {:.1}–{:.1} s: {} terminal frames ({} decoded by the whole-band receiver, green; lost, red), {} gateway frames (white)",
                s.start_s,
                s.start_s + 1.0,
                s.uplink,
                s.wideband_decoded,
                s.downlink.0
            ),
            ("sans-serif", 17),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0f64..1000.0f64, lo..hi)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time in the second, ms")
        .y_desc("frequency, MHz")
        .draw()?;
    let mut sorted = s.db.clone();
    sorted.sort_by(f32::total_cmp);
    let floor = f64::from(sorted.get(sorted.len() / 2).copied().unwrap_or(0.0));
    let top = f64::from(sorted.last().copied().unwrap_or(0.0)).max(floor + 1.0);
    let dt = 1000.0 / s.columns as f64;
    let df = (hi - lo) / s.bins as f64;
    chart.draw_series((0..s.columns).flat_map(|c| {
        (0..s.bins).map(move |b| {
            let v = (f64::from(s.db[c * s.bins + b]) - floor + 3.0) / (top - floor + 3.0);
            let t = c as f64 * dt;
            let f = lo + b as f64 * df;
            Rectangle::new([(t, f), (t + dt, f + df)], heat(v).filled())
        })
    }))?;
    chart.draw_series(s.marks.iter().map(|m| {
        let colour = match m.kind {
            MarkKind::Decoded => GREEN.stroke_width(2),
            MarkKind::Lost => RED.stroke_width(2),
            MarkKind::Downlink => WHITE.stroke_width(1),
        };
        Rectangle::new(
            [(m.t0 * 1000.0, m.f0 + 0.04), (m.t1 * 1000.0, m.f1 - 0.04)],
            colour,
        )
    }))?;
    root.present()?;
    Ok(())
}

/// Equalised points per MCS, one panel each, with the ideal grid's extent for scale.
pub fn constellations(path: &Path, sets: &[(Mcs, Vec<Complex32>)]) -> Result<()> {
    let root = BitMapBackend::new(path, (1200, 820)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title, body) = root.split_vertically(40);
    title.titled(
        "received constellations per MCS (equalised data tones of frames the gateway decoded)",
        ("sans-serif", 20),
    )?;
    if sets.is_empty() {
        root.present()?;
        return Ok(());
    }
    let cols = sets.len().clamp(1, 5);
    let rows = sets.len().div_ceil(cols);
    let panels = body.split_evenly((rows, cols));
    for ((mcs, points), area) in sets.iter().zip(panels.iter()) {
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("MCS{} ({} points)", mcs.0, points.len()),
                ("sans-serif", 15),
            )
            .margin(6)
            .x_label_area_size(18)
            .y_label_area_size(28)
            .build_cartesian_2d(-2f32..2f32, -2f32..2f32)?;
        chart
            .configure_mesh()
            .x_labels(5)
            .y_labels(5)
            .light_line_style(WHITE)
            .draw()?;
        chart.draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.re, p.im), 1, BLUE.mix(0.5).filled())),
        )?;
    }
    root.present()?;
    Ok(())
}

/// Every report window of the hour starting at `from_us`, one row per terminal (by AID),
/// coloured by channel: windows never overlap on a channel.
pub fn schedule(path: &Path, allocations: &[Allocation], from_us: u64) -> Result<()> {
    let root = BitMapBackend::new(path, (1400, 800)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut channels: Vec<u8> = allocations.iter().map(|a| a.channel).collect();
    channels.sort_unstable();
    channels.dedup();
    let max_aid = u32::from(allocations.iter().map(|a| a.terminal).max().unwrap_or(1));
    let hour = 3_600_000_000u64;
    let mut windows = Vec::new();
    for a in allocations {
        let mut at = a.window_at_or_after(from_us);
        while let Some((s, e)) = at {
            if s >= from_us + hour {
                break;
            }
            windows.push((u32::from(a.terminal), a.channel, s, e));
            at = a.window_at_or_after(s + 1);
        }
    }
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "slot schedule: {} windows of {} terminals on channels {:?} over the hour from {:.0} s",
                windows.len(),
                allocations.len(),
                channels,
                from_us as f64 / 1e6
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0f64..60.0f64, 0u32..max_aid + 1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("minutes into the hour")
        .y_desc("terminal (AID)")
        .draw()?;
    for (i, ch) in channels.iter().enumerate() {
        let colour = channel_colour(i);
        chart
            .draw_series(
                windows
                    .iter()
                    .filter(|w| w.1 == *ch)
                    .map(|&(aid, _, s, e)| {
                        let x0 = (s - from_us) as f64 / 60e6;
                        // at least a pixel wide (a window is a few ms of the hour)
                        let x1 = ((e - from_us) as f64 / 60e6).max(x0 + 0.04);
                        Rectangle::new([(x0, aid), (x1, aid + 1)], colour.filled())
                    }),
            )?
            .label(format!("channel {ch}"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Each meter's share of readings acked against its distance (blue; meters that never
/// joined in grey at 0), and the mean per 100 m (line).
pub fn delivery(path: &Path, links: &[LinkView]) -> Result<()> {
    let (meters, joined) = (links.len(), links.iter().filter(|l| l.joined).count());
    // A joined meter that made no reading yet (a daily meter whose first window is after
    // the end) has nothing to show.
    let links: Vec<LinkView> = links
        .iter()
        .filter(|l| !l.joined || l.generated > 0)
        .copied()
        .collect();
    let links = &links[..];
    let root = BitMapBackend::new(path, (1200, 650)).into_drawing_area();
    root.fill(&WHITE)?;
    let far = links
        .iter()
        .map(|l| l.distance_m)
        .fold(100.0f64, f64::max)
        .ceil();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "delivery ratio vs distance: {joined} of {meters} meters joined (grey: never joined; red: mean per 100 m)"
            ),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0f64..far * 1.02, -2.0f64..102.0f64)?;
    chart
        .configure_mesh()
        .x_desc("distance to the gateway, m")
        .y_desc("readings acked and stored, %")
        .draw()?;
    let ratio = |l: &LinkView| 100.0 * l.acked as f64 / l.generated.max(1) as f64;
    chart.draw_series(
        links
            .iter()
            .filter(|l| !l.joined)
            .map(|l| Circle::new((l.distance_m, 0.0), 3, RGBColor(150, 150, 150).filled())),
    )?;
    chart.draw_series(
        links
            .iter()
            .filter(|l| l.joined)
            .map(|l| Circle::new((l.distance_m, ratio(l)), 3, BLUE.mix(0.6).filled())),
    )?;
    // mean per 100 m over every meter (never-joined ones count as 0 %)
    let bins = (far / 100.0).ceil() as usize;
    let mean: Vec<(f64, f64)> = (0..bins)
        .filter_map(|b| {
            let inside: Vec<f64> = links
                .iter()
                .filter(|l| (l.distance_m / 100.0) as usize == b)
                .map(|l| if l.joined { ratio(l) } else { 0.0 })
                .collect();
            (!inside.is_empty()).then(|| {
                (
                    b as f64 * 100.0 + 50.0,
                    inside.iter().sum::<f64>() / inside.len() as f64,
                )
            })
        })
        .collect();
    chart.draw_series(LineSeries::new(mean, RED.stroke_width(2)))?;
    root.present()?;
    Ok(())
}
