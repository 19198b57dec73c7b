//! One second of the band as the gateway's antenna hears it, through the whole-band
//! receiver: the frames the simulation put on air in its busiest observed second are
//! rendered together into one wideband stream (each uplink frame at its link's SNR and
//! carrier offset, on its channel's offset from the stream centre; the gateway's own frames
//! strong), the polyphase channelizer and one receiver per channel decode it, and the
//! result is compared with what the simulation's per-channel receptions decided. The
//! spectrogram of the same samples is kept for the plot.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rustfft::{num_complex::Complex32, Fft, FftPlanner};
use subgate_boards::band::{self, PlanChannel, Widths};
use subgate_dsp::scene::{render, SceneFrame};
use subgate_dsp::wideband::{WidebandConfig, WidebandReceiver};
use subgate_dsp::{channel::Multipath, Format, TxRequest};
use subgate_testbench::sim::AirFrame;

/// SNR the gateway's own frames are drawn with (a nearby antenna hears them strongly), dB.
const OWN_SNR_DB: f64 = 30.0;
/// SNR of uplink frames when the medium is frame level (no link budget), dB.
const FRAME_LEVEL_SNR_DB: f64 = 20.0;
/// FFT length of the spectrogram.
const NFFT: usize = 256;
/// Spectrogram columns over the second.
const COLUMNS: usize = 1_000;

/// What happened to one frame of the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// The gateway's own frame.
    Downlink,
    /// A terminal's frame the whole-band receiver decoded.
    Decoded,
    /// A terminal's frame it did not decode.
    Lost,
}

/// A frame drawn on the spectrogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mark {
    /// Start and end within the second, s.
    pub t0: f64,
    /// End, s.
    pub t1: f64,
    /// Channel edges, MHz (absolute).
    pub f0: f64,
    /// Upper edge, MHz.
    pub f1: f64,
    /// What happened.
    pub kind: MarkKind,
}

/// The rendered second.
pub struct BandSecond {
    /// Its start, s of virtual time.
    pub start_s: f64,
    /// Stream centre, Hz.
    pub centre_hz: f64,
    /// Stream rate, samples/s.
    pub rate: f64,
    /// Power per (column, bin), dB; bins ascending in frequency, `NFFT` per column.
    pub db: Vec<f32>,
    /// Columns.
    pub columns: usize,
    /// Bins per column.
    pub bins: usize,
    /// Frames in the second.
    pub marks: Vec<Mark>,
    /// Uplink frames wholly inside the second.
    pub uplink: usize,
    /// Of those, decoded by the whole-band receiver.
    pub wideband_decoded: usize,
    /// Of those, decoded by the simulation's per-channel receptions.
    pub channel_decoded: usize,
    /// Frames where the two disagree.
    pub disagree: usize,
    /// The gateway's frames, and how many the whole-band receiver decoded.
    pub downlink: (usize, usize),
}

/// The start (µs) of the one-second window holding the most frame starts.
pub fn busiest_second(frames: &[AirFrame]) -> Option<u64> {
    let mut starts: Vec<u64> = frames.iter().map(|f| f.start_us).collect();
    starts.sort_unstable();
    let (mut best, mut at, mut j) = (0usize, *starts.first()?, 0usize);
    for i in 0..starts.len() {
        while starts[j] + 1_000_000 <= starts[i] {
            j += 1;
        }
        if i + 1 - j > best {
            best = i + 1 - j;
            at = starts[j];
        }
    }
    Some(at.saturating_sub(20_000))
}

/// Renders and decodes the second starting at `start_us`.
pub fn second(
    frames: &[AirFrame],
    start_us: u64,
    band_name: &str,
    channels: &[u8],
    format: Format,
    seed: u64,
) -> Result<BandSecond> {
    let plan = band::find(band_name)?
        .with_context(|| format!("unknown band {band_name:?} (subgate bands lists them)"))?;
    let widths = match format {
        Format::S1g1M => Widths::One,
        Format::S1gShort2M => Widths::Two,
    };
    let all = plan.channels(widths);
    let used: Vec<PlanChannel> = channels
        .iter()
        .map(|&n| {
            all.iter()
                .find(|c| c.number == u16::from(n))
                .copied()
                .with_context(|| {
                    format!(
                        "channel {n} is not a {} MHz channel of the {} band",
                        format.bandwidth_mhz(),
                        plan.name
                    )
                })
        })
        .collect::<Result<_>>()?;
    let grid = format.sample_rate();
    let Some((centre_hz, rate)) = band::stream_for(&used, grid) else {
        bail!("no channels to render");
    };
    let total = rate as usize;
    let end_us = start_us + 1_000_000;
    let mut scene = Vec::new();
    let mut kept: Vec<&AirFrame> = Vec::new();
    for f in frames
        .iter()
        .filter(|f| f.start_us >= start_us && f.start_us < end_us)
    {
        let Some(ch) = used.iter().find(|c| c.number == u16::from(f.channel)) else {
            continue;
        };
        let snr_db = match f.from {
            None => OWN_SNR_DB,
            Some(_) if f.snr_db.is_finite() => f.snr_db,
            Some(_) => FRAME_LEVEL_SNR_DB,
        };
        scene.push(SceneFrame {
            req: TxRequest::new(f.psdu.clone(), format, f.mcs),
            start: ((f.start_us - start_us) as f64 * rate / 1e6).round() as usize,
            snr_db,
            cfo_hz: f.cfo_hz + (ch.centre_hz - centre_hz),
            sco_ppm: 0.0,
            multipath: Multipath::None,
            delay_frac: 0.0,
            seed: seed ^ f.start_us,
        });
        kept.push(f);
    }
    let (samples, _) = render(&scene, total, rate, seed ^ 0xBA4D).context("rendering the band")?;
    let cfg = WidebandConfig::new(
        rate,
        used.iter().map(|c| c.to_band_channel(centre_hz)).collect(),
    );
    let mut rx = WidebandReceiver::new(cfg)?;
    let mut got = Vec::new();
    for block in samples.chunks(1 << 16) {
        rx.process(block, &mut got);
    }
    rx.finish(&mut got);

    let mut out = BandSecond {
        start_s: start_us as f64 / 1e6,
        centre_hz,
        rate,
        db: Vec::new(),
        columns: COLUMNS,
        bins: NFFT,
        marks: Vec::with_capacity(kept.len()),
        uplink: 0,
        wideband_decoded: 0,
        channel_decoded: 0,
        disagree: 0,
        downlink: (0, 0),
    };
    for f in kept {
        let Some(ch) = used.iter().find(|c| c.number == u16::from(f.channel)) else {
            continue;
        };
        let t0 = (f.start_us - start_us) as f64 / 1e6;
        let decoded = got.iter().any(|g| {
            g.info.channel == u16::from(f.channel)
                && g.psdu == f.psdu
                && (g.info.time_s - t0).abs() < 200e-6
        });
        let inside = f.end_us <= end_us;
        let kind = match (f.from, decoded) {
            (None, _) => MarkKind::Downlink,
            (Some(_), true) => MarkKind::Decoded,
            (Some(_), false) => MarkKind::Lost,
        };
        match f.from {
            None => {
                out.downlink.0 += 1;
                out.downlink.1 += usize::from(decoded);
            }
            Some(_) if inside => {
                out.uplink += 1;
                out.wideband_decoded += usize::from(decoded);
                let by_channel = f.received == Some(true);
                out.channel_decoded += usize::from(by_channel);
                out.disagree += usize::from(by_channel != decoded);
            }
            Some(_) => {}
        }
        out.marks.push(Mark {
            t0,
            t1: ((f.end_us.min(end_us)) - start_us) as f64 / 1e6,
            f0: ch.low_hz() / 1e6,
            f1: ch.high_hz() / 1e6,
            kind,
        });
    }
    out.db = spectrogram(&samples);
    Ok(out)
}

/// Mean power per column and bin (Hann window, bins from −rate/2 up), dB.
fn spectrogram(x: &[Complex32]) -> Vec<f32> {
    let fft: Arc<dyn Fft<f32>> = FftPlanner::new().plan_fft_forward(NFFT);
    let window: Vec<f32> = (0..NFFT)
        .map(|i| {
            let s = (std::f32::consts::PI * i as f32 / NFFT as f32).sin();
            s * s
        })
        .collect();
    let per_col = (x.len() / COLUMNS).max(NFFT);
    let mut buf = vec![Complex32::new(0.0, 0.0); NFFT];
    let mut scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
    let mut acc = vec![0f32; NFFT];
    let mut db = Vec::with_capacity(COLUMNS * NFFT);
    for c in 0..COLUMNS {
        acc.iter_mut().for_each(|a| *a = 0.0);
        let from = c * per_col;
        let to = ((c + 1) * per_col).min(x.len());
        let mut n = 0;
        let mut at = from;
        while at + NFFT <= to {
            for ((b, s), w) in buf.iter_mut().zip(&x[at..at + NFFT]).zip(&window) {
                *b = s * w;
            }
            fft.process_with_scratch(&mut buf, &mut scratch);
            for (a, b) in acc.iter_mut().zip(&buf) {
                *a += b.norm_sqr();
            }
            n += 1;
            at += NFFT;
        }
        let n = n.max(1) as f32;
        // FFT order is 0..rate/2 then −rate/2..0: shift so bins ascend in frequency.
        for k in 0..NFFT {
            let p = acc[(k + NFFT / 2) % NFFT] / n;
            db.push(10.0 * (p.max(1e-12)).log10());
        }
    }
    db
}

#[cfg(test)]
mod tests {
    use super::*;
    use subgate_dsp::Mcs;

    fn frame(from: Option<usize>, channel: u8, start_us: u64, received: Option<bool>) -> AirFrame {
        let mut psdu = vec![0x42u8; 40];
        psdu[0] = channel;
        psdu[1] = (start_us / 1000) as u8;
        subgate_dsp::crc::append_fcs(&mut psdu);
        AirFrame {
            from,
            channel,
            start_us,
            end_us: start_us + 4_000,
            mcs: Mcs(10),
            psdu,
            received,
            snr_db: 15.0,
            cfo_hz: 500.0,
        }
    }

    #[test]
    fn the_busiest_second_is_found() {
        let mut f: Vec<AirFrame> = (0..5)
            .map(|i| frame(Some(0), 1, i * 3_000_000, None))
            .collect();
        f.extend((0..4).map(|i| frame(Some(1), 3, 7_100_000 + i * 200_000, None)));
        assert_eq!(busiest_second(&f), Some(7_080_000));
        assert_eq!(busiest_second(&[]), None);
    }

    #[test]
    fn frames_on_every_channel_are_decoded_and_a_buried_one_is_not() {
        let mut f = vec![
            frame(Some(0), 1, 100_000, Some(true)),
            frame(Some(1), 3, 150_000, Some(true)),
            frame(Some(2), 7, 400_000, Some(true)),
            frame(None, 5, 600_000, None),
        ];
        let mut weak = frame(Some(3), 5, 800_000, Some(false));
        weak.snr_db = -10.0;
        f.push(weak);
        let s = second(&f, 0, "US", &[1, 3, 5, 7], Format::S1g1M, 3).expect("renders");
        assert_eq!(s.rate, 4e6, "channels 1-7 of the US band span 4 MHz");
        assert_eq!(s.uplink, 4);
        assert_eq!(s.wideband_decoded, 3);
        assert_eq!(s.channel_decoded, 3);
        assert_eq!(s.disagree, 0);
        assert_eq!(s.downlink, (1, 1));
        assert_eq!(s.db.len(), COLUMNS * NFFT);
        // The frame on channel 1 (lowest quarter of the stream) is visible in its column.
        let col = (0.102 * COLUMNS as f64) as usize;
        let bin = NFFT / 8;
        let quiet = (0.05 * COLUMNS as f64) as usize;
        assert!(s.db[col * NFFT + bin] > s.db[quiet * NFFT + bin] + 8.0);
    }

    #[test]
    fn a_channel_outside_the_band_plan_is_refused() {
        let e = second(&[], 0, "US", &[1, 99], Format::S1g1M, 1)
            .err()
            .expect("refused");
        assert!(e.to_string().contains("channel 99"), "{e}");
    }
}
