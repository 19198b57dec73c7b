//! `subgate gen --band`: frames on every channel of a band plan in one wideband recording.

use super::gen::{request, write_scene, GenArgs};
use anyhow::{bail, Context, Result};
use subgate_boards::band::{self, stream_for, Widths};
use subgate_drivers::Datatype;
use subgate_dsp::rng::Rng;
use subgate_dsp::scene::SceneFrame;
use subgate_dsp::tx::Transmitter;
use subgate_dsp::Format;

/// Writes the band recording: `--count` frames per channel, each channel's frames at
/// random times (gaps of 0.5–1.5 × `--spacing-us`), MCS cycling through `--mcs-mix`, SNR
/// drawn from `[--snr, --snr + --snr-spread]`, the channel's offset from the centre added
/// to the frame's carrier offset.
pub fn run(a: GenArgs, band_name: &str, datatype: Datatype) -> Result<()> {
    let plan = super::bands::plan_named(band_name)?;
    let widths = match a.format {
        Format::S1g1M => Widths::One,
        Format::S1gShort2M => Widths::Two,
    };
    let channels = plan.channels(widths);
    if channels.is_empty() {
        bail!(
            "the {} band plan has no {} MHz channels",
            plan.name,
            a.format.bandwidth_mhz()
        );
    }
    let grid = a.format.sample_rate();
    let (span_centre, span_rate) =
        stream_for(&channels, grid).context("the band plan has no channels")?;
    let rate = a.rate.unwrap_or(span_rate);
    let centre = a.center_freq.unwrap_or(span_centre);
    if !(rate.is_finite() && rate > 0.0 && rate <= 100e6) {
        bail!("--rate {rate} must be positive and at most 100 Msps");
    }
    let (inside, outside) = band::split_by_stream(&channels, centre, rate);
    if !outside.is_empty() {
        let names: Vec<String> = outside.iter().map(|c| c.number.to_string()).collect();
        bail!(
            "a stream of {} Msps at {} MHz does not carry channels {} of the {} band: raise --rate to {} Msps or move --center-freq",
            rate / 1e6,
            centre / 1e6,
            names.join(", "),
            plan.name,
            span_rate / 1e6
        );
    }
    let mix = if a.mcs_mix.is_empty() {
        vec![a.mcs]
    } else {
        a.mcs_mix.clone()
    };
    let mut rng = Rng::new(a.seed);
    let mut frames = Vec::new();
    let mut labels = Vec::new();
    let spacing = a.spacing_us * 1e-6 * rate;
    let mut end = 0usize;
    let mut i = 0usize;
    for c in &inside {
        let mut at = 200 + (rng.uniform() * spacing) as usize;
        for _ in 0..a.count {
            let mcs = mix[i % mix.len()];
            let req = request(&a, i, mcs, &mut rng)?;
            let n = Transmitter::ppdu_len(&req).map_err(anyhow::Error::msg)?;
            let n_out = (n as f64 * rate / grid).ceil() as usize;
            labels.push((
                format!(
                    "tx ch {} {} {} {}B",
                    c.number,
                    req.format,
                    req.mcs,
                    req.psdu.len()
                ),
                Some((c.low_hz(), c.high_hz())),
            ));
            frames.push(SceneFrame {
                req,
                start: at,
                snr_db: a.snr + rng.uniform() * a.snr_spread,
                cfo_hz: a.cfo_hz + (c.centre_hz - centre),
                sco_ppm: a.sco_ppm,
                multipath: a.multipath,
                delay_frac: rng.uniform(),
                seed: a.seed.wrapping_mul(31).wrapping_add(i as u64),
            });
            at += n_out + ((0.5 + rng.uniform()) * spacing) as usize;
            end = end.max(at);
            i += 1;
        }
    }
    let desc = format!(
        "subgate gen --band {}: {} x {} per channel on {} channels, MCS {:?}, SNR {}..{} dB, CFO {} Hz, SCO {} ppm, multipath {}",
        plan.name,
        a.count,
        a.format,
        inside.len(),
        mix.iter().map(|m| m.0).collect::<Vec<_>>(),
        a.snr,
        a.snr + a.snr_spread,
        a.cfo_hz,
        a.sco_ppm,
        a.multipath
    );
    write_scene(
        &a,
        datatype,
        &frames,
        end + 200,
        rate,
        centre,
        &desc,
        &labels,
    )
}
