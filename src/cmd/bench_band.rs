//! `subgate bench band`: the whole-band receiver's speed on the US band, with one and two
//! threads, on a noise-only band and at 10 % airtime, beside the channelizer alone and a
//! plain read of the same bytes (the memory-bandwidth peer).

use anyhow::{bail, Result};
use clap::Args;
use std::time::Instant;
use subgate_boards::band::{stream_for, Widths};
use subgate_dsp::channelizer::prototype::response_db;
use subgate_dsp::channelizer::{
    measure, Channelizer, ChannelizerConfig, Oversampling, PrototypeSpec, S1G_1M_OCCUPIED,
};
use subgate_dsp::crc::append_fcs;
use subgate_dsp::rng::Rng;
use subgate_dsp::scene::{render, SceneFrame};
use subgate_dsp::tx::Transmitter;
use subgate_dsp::wideband::{WidebandConfig, WidebandReceiver};
use subgate_dsp::{channel::Multipath, Complex32, Format, Mcs, TxRequest};

/// Options of `bench band`.
#[derive(Args, Debug)]
pub struct BandArgs {
    /// Band plan (its 1 MHz channels, at the rate their span needs).
    #[arg(long, default_value = "us")]
    band: String,
    /// Seconds of band in each generated scene.
    #[arg(long, default_value_t = 0.5)]
    seconds: f64,
    /// Airtime per channel of the scenes, percent (comma separated).
    #[arg(long, value_delimiter = ',', default_value = "0,10")]
    airtime: Vec<f64>,
    /// Thread counts to run with (comma separated).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Wideband samples per `process` call.
    #[arg(long, default_value_t = 1 << 18)]
    block: usize,
    /// Also write the channelizer prototype's measured frequency response as a PNG plot.
    #[arg(long, value_name = "PNG")]
    response_png: Option<std::path::PathBuf>,
    /// Passes over each scene; the best is reported.
    #[arg(long, default_value_t = 3)]
    passes: usize,
}

/// A band scene: frames on every channel filling `airtime` of the time (MCS 0, 1, 2, 3 and
/// 10, 100–256-byte PSDUs, SNR 10–25 dB), returned with the number of frames.
fn scene(
    offsets: &[f64],
    rate: f64,
    seconds: f64,
    airtime: f64,
    seed: u64,
) -> Result<(Vec<Complex32>, usize)> {
    let total = (seconds * rate) as usize;
    let mut rng = Rng::new(seed);
    let mut frames = Vec::new();
    let mixes = [0u8, 1, 2, 3, 10];
    if airtime > 0.0 {
        for &off in offsets {
            let mut at = (rng.uniform() * 0.01 * rate) as usize;
            loop {
                let len = 100 + rng.below(157) as usize;
                let mut psdu = vec![0u8; len - 4];
                rng.fill_bytes(&mut psdu);
                append_fcs(&mut psdu);
                let mcs = Mcs(mixes[rng.below(mixes.len() as u64) as usize]);
                let req = TxRequest::new(psdu, Format::S1g1M, mcs);
                let n = (Transmitter::ppdu_len(&req).map_err(anyhow::Error::msg)? as f64 * rate
                    / 1e6) as usize;
                if at + n + 1000 >= total {
                    break;
                }
                frames.push(SceneFrame {
                    req,
                    start: at,
                    snr_db: 10.0 + 15.0 * rng.uniform(),
                    cfo_hz: off + (rng.uniform() - 0.5) * 40e3,
                    sco_ppm: (rng.uniform() - 0.5) * 40.0,
                    multipath: Multipath::None,
                    delay_frac: rng.uniform(),
                    seed: rng.next_u64(),
                });
                // gaps so the frames fill `airtime` percent on average
                let gap = n as f64 * (100.0 / airtime - 1.0);
                at += n + (gap * (0.5 + rng.uniform())) as usize;
            }
        }
    }
    let (x, _) = render(&frames, total, rate, seed).map_err(anyhow::Error::msg)?;
    Ok((x, frames.len()))
}

fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?)
}

/// What a benchmark case runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A plain read of the scene's bytes (the memory-bandwidth peer).
    MemoryRead,
    /// The channelizer alone, every bin out.
    Channelizer,
    /// The whole-band receiver.
    Band,
}

/// One row of the table.
struct Case {
    kind: Kind,
    threads: usize,
    /// Index into the scenes.
    scene: usize,
}

pub fn run(a: BandArgs) -> Result<()> {
    if !(a.seconds.is_finite() && a.seconds > 0.0 && a.seconds <= 10.0) {
        bail!("--seconds {} must be in (0, 10]", a.seconds);
    }
    if !(1024..=1 << 24).contains(&a.block) {
        bail!(
            "--block {} must be between 1024 and 16777216 samples",
            a.block
        );
    }
    if a.threads.iter().any(|&t| t == 0 || t > 64) {
        bail!("--threads takes counts from 1 to 64");
    }
    if a.airtime.iter().any(|&p| !(0.0..100.0).contains(&p)) {
        bail!("--airtime takes percentages in [0, 100)");
    }
    let plan = super::bands::plan_named(&a.band)?;
    let chans = plan.channels(Widths::One);
    let (centre, rate) = stream_for(&chans, 1e6).ok_or_else(|| anyhow::anyhow!("no channels"))?;
    let band_channels: Vec<_> = chans.iter().map(|c| c.to_band_channel(centre)).collect();
    let offsets: Vec<f64> = band_channels.iter().map(|c| c.offset_hz).collect();
    let n = (a.seconds * rate) as usize;
    println!(
        "subgate bench band: the {} band's {} one-MHz channels at {} Msps, {} s scenes, blocks of {} samples, best of {} passes\n",
        plan.name,
        chans.len(),
        rate / 1e6,
        a.seconds,
        a.block,
        a.passes
    );
    let spec = PrototypeSpec::s1g(chans.len());
    let taps = spec.taps();
    let fig = measure(&taps, chans.len(), S1G_1M_OCCUPIED, 400);
    println!(
        "channelizer prototype: {} taps ({} per branch, Kaiser β {}), ripple {:.4} dB over ±{:.1} kHz, adjacent-channel rejection {:.1} dB, stopband {:.1} dB\n",
        taps.len(),
        spec.taps_per_branch,
        spec.kaiser_beta,
        fig.ripple_db,
        S1G_1M_OCCUPIED * 1e3,
        fig.adjacent_rejection_db,
        fig.stopband_rejection_db
    );
    if let Some(png) = &a.response_png {
        plot_response(&taps, chans.len(), png)?;
        println!("wrote the response to {}\n", png.display());
    }
    println!(
        "{:<40} {:>7} {:>9} {:>11} {:>10} {:>11}",
        "case", "threads", "Msps", "x realtime", "ns/sample", "frames"
    );
    let row = |case: &str, threads: usize, secs: f64, frames: String| {
        let msps = n as f64 / secs / 1e6;
        println!(
            "{:<40} {:>7} {:>9.1} {:>11.2} {:>10.2} {:>11}",
            case,
            threads,
            msps,
            msps * 1e6 / rate,
            secs * 1e9 / n as f64,
            frames
        );
    };
    // the scenes: noise only, then one per airtime
    let mut scenes: Vec<(f64, Vec<Complex32>, usize)> =
        vec![(0.0, scene(&offsets, rate, a.seconds, 0.0, 1)?.0, 0)];
    for &air in a.airtime.iter().filter(|&&p| p > 0.0) {
        let (x, sent) = scene(&offsets, rate, a.seconds, air, 2)?;
        scenes.push((air, x, sent));
    }
    let mut cases = Vec::new();
    for &t in &a.threads {
        cases.push(Case {
            kind: Kind::MemoryRead,
            threads: t,
            scene: 0,
        });
    }
    for &t in &a.threads {
        cases.push(Case {
            kind: Kind::Channelizer,
            threads: t,
            scene: 0,
        });
    }
    for &air in &a.airtime {
        let scene = scenes.iter().position(|s| s.0 == air).unwrap_or(0);
        for &t in &a.threads {
            cases.push(Case {
                kind: Kind::Band,
                threads: t,
                scene,
            });
        }
    }
    // passes interleaved over the cases, so a slow spell of the machine hits them alike
    let mut best_secs = vec![f64::INFINITY; cases.len()];
    let mut decoded = vec![0u64; cases.len()];
    let pools: Vec<(usize, rayon::ThreadPool)> = a
        .threads
        .iter()
        .map(|&t| pool(t).map(|p| (t, p)))
        .collect::<Result<_>>()?;
    let mut sink = 0.0f32;
    for _ in 0..a.passes.max(1) {
        for (i, c) in cases.iter().enumerate() {
            let Some((_, p)) = pools.iter().find(|(t, _)| *t == c.threads) else {
                continue;
            };
            let x = &scenes[c.scene].1;
            let t0 = Instant::now();
            match c.kind {
                Kind::MemoryRead => {
                    use rayon::prelude::*;
                    sink += p.install(|| {
                        x.par_chunks(a.block)
                            .map(|c| c.iter().fold(0.0f32, |s, v| s + v.re + v.im))
                            .sum::<f32>()
                    });
                }
                Kind::Channelizer => p.install(|| -> Result<()> {
                    let mut bank = Channelizer::new(&ChannelizerConfig {
                        sample_rate: rate,
                        spacing_hz: 1e6,
                        oversampling: Oversampling::X1,
                        taps_per_branch: spec.taps_per_branch,
                        shift_hz: 0.5e6,
                        bins: (0..chans.len()).collect(),
                    })?;
                    let mut out = vec![Vec::new(); chans.len()];
                    for b in x.chunks(a.block) {
                        bank.process(b, &mut out);
                        for o in &mut out {
                            o.clear();
                        }
                    }
                    Ok(())
                })?,
                Kind::Band => {
                    decoded[i] = p.install(|| -> Result<u64> {
                        let cfg = WidebandConfig::new(rate, band_channels.clone());
                        let mut rx = WidebandReceiver::new(cfg)?;
                        let mut out = Vec::new();
                        for b in x.chunks(a.block) {
                            rx.process(b, &mut out);
                        }
                        Ok(rx.finish(&mut out).frames)
                    })?;
                }
            }
            best_secs[i] = best_secs[i].min(t0.elapsed().as_secs_f64());
        }
    }
    for (i, c) in cases.iter().enumerate() {
        let (name, frames) = match c.kind {
            Kind::MemoryRead => (
                "memory read of the same bytes".to_string(),
                format!("({:.0})", sink.signum()),
            ),
            Kind::Channelizer => (
                format!("channelizer only ({} taps/branch)", spec.taps_per_branch),
                "-".into(),
            ),
            Kind::Band => (
                format!("whole band, {} % airtime", scenes[c.scene].0),
                format!("{}/{}", decoded[i], scenes[c.scene].2),
            ),
        };
        row(&name, c.threads, best_secs[i], frames);
    }
    println!(
        "\ngoal: ≥ 2× real time ({} Msps) for the whole band with 2 threads at 10 % airtime",
        2.0 * rate / 1e6
    );
    Ok(())
}

/// The prototype's response from DC to the stream's edge, in channel spacings (MHz for the
/// 1 MHz grid), with the occupied band and the neighbour's occupied band shaded.
fn plot_response(taps: &[f32], channels: usize, path: &std::path::Path) -> Result<()> {
    use plotters::prelude::*;
    let half = channels as f64 / 2.0;
    let pts: Vec<(f64, f64)> = (0..=4000)
        .map(|i| {
            let f = half * i as f64 / 4000.0;
            (f, response_db(taps, f / channels as f64).max(-140.0))
        })
        .collect();
    let root = BitMapBackend::new(path, (1200, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "channelizer prototype: {} taps, {} channels; shaded: occupied band and the next channel's",
                taps.len(),
                channels
            ),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..4.0f64, -140.0..5.0f64)?;
    chart
        .configure_mesh()
        .x_desc("offset from the channel centre, channel spacings (MHz)")
        .y_desc("response, dB")
        .draw()?;
    let occ = S1G_1M_OCCUPIED;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(0.0, -140.0), (occ, 5.0)],
        GREEN.mix(0.15).filled(),
    )))?;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(1.0 - occ, -140.0), (1.0 + occ, 5.0)],
        RED.mix(0.12).filled(),
    )))?;
    chart.draw_series(LineSeries::new(
        pts.into_iter().filter(|p| p.0 <= 4.0),
        BLUE.stroke_width(2),
    ))?;
    root.present()?;
    Ok(())
}
