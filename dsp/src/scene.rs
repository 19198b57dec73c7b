//! A stream of many frames on one channel: each frame with its own SNR, CFO, clock offset,
//! timing and multipath realisation, summed into one noisy stream — what a receiver sees
//! on air, and what `subgate gen` and the demo record.
//!
//! Noise has unit power in the format's native bandwidth, so a frame's `snr_db` is its power
//! over the noise in that bandwidth. At an oversampled `rate` the noise is white over the
//! whole sampled band (its power grows with the rate) and frames keep their power.

use crate::channel::{Channel, ChannelConfig, Multipath};
use crate::frame::TxRequest;
use crate::resample::Resampler;
use crate::rng::Rng;
use crate::tx::{Transmitter, TxError};
use num_complex::Complex32;

/// One frame placed in the scene.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneFrame {
    /// What to send.
    pub req: TxRequest,
    /// First sample of the frame in the output stream (at the output rate, before delay).
    pub start: usize,
    /// SNR in the native bandwidth, dB.
    pub snr_db: f64,
    /// Carrier frequency offset, Hz.
    pub cfo_hz: f64,
    /// Sample-clock offset, ppm.
    pub sco_ppm: f64,
    /// Multipath profile.
    pub multipath: Multipath,
    /// Fractional extra delay, samples (0..1).
    pub delay_frac: f64,
    /// Channel realisation seed.
    pub seed: u64,
}

/// Where a frame really landed in the output (ground truth for tests and annotations).
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// Index of the frame in the scene.
    pub index: usize,
    /// First output sample carrying the frame.
    pub start: usize,
    /// Samples it spans at the output rate.
    pub len: usize,
}

thread_local! {
    /// Resamplers made so far on this thread, by (input rate, output rate): the table of one
    /// takes thousands of sines and cosines, and the simulation renders every reception.
    static RESAMPLERS: std::cell::RefCell<Vec<((u64, u64), Resampler)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A resampler from `from` to `to` in its initial state (a clone of one made once).
fn fresh_resampler(from: f64, to: f64) -> Resampler {
    let key = (from.to_bits(), to.to_bits());
    RESAMPLERS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, r)) = cache.iter().find(|(k, _)| *k == key) {
            return r.clone();
        }
        let r = Resampler::new(from, to, 0.0);
        // A handful of rate pairs in practice; keep the cache from growing without bound.
        if cache.len() >= 16 {
            cache.remove(0);
        }
        cache.push((key, r.clone()));
        r
    })
}

/// Renders `frames` into a stream of `total` samples at `rate` (≥ the native rate of every
/// frame's format). Returns the samples and where each frame landed.
pub fn render(
    frames: &[SceneFrame],
    total: usize,
    rate: f64,
    seed: u64,
) -> Result<(Vec<Complex32>, Vec<Truth>), TxError> {
    let mut out = vec![Complex32::new(0.0, 0.0); total];
    let mut truth = Vec::with_capacity(frames.len());
    let mut tx = Transmitter::new();
    let mut native = Vec::new();
    let mut up = Vec::new();
    let mut received = Vec::new();
    let mut noise_power_scale = 1.0;
    for (i, f) in frames.iter().enumerate() {
        native.clear();
        tx.modulate(&f.req, &mut native)?;
        let fs = f.req.format.sample_rate();
        noise_power_scale = rate / fs;
        up.clear();
        if (rate - fs).abs() > 1e-6 {
            let mut r = fresh_resampler(fs, rate);
            r.process(&native, &mut up);
            r.flush(&mut up);
        } else {
            up.extend_from_slice(&native);
        }
        let mut ch = Channel::new(ChannelConfig {
            sample_rate: rate,
            snr_db: None,
            cfo_hz: f.cfo_hz,
            sco_ppm: f.sco_ppm,
            delay: f.delay_frac,
            multipath: f.multipath,
            doppler_hz: 0.0,
            seed: f.seed,
        });
        received.clear();
        ch.process(&up, &mut received);
        ch.silence(64, &mut received);
        // signal power relative to unit noise power in the native band
        let amp = (10f64.powf(f.snr_db / 10.0)).sqrt() as f32;
        let start = f.start.min(total);
        let end = (start + received.len()).min(total);
        for (o, v) in out[start..end].iter_mut().zip(&received) {
            *o += v * amp;
        }
        // the frame itself, without the filter and resampler tails
        let frame_len = (native.len() as f64 * rate / fs).ceil() as usize;
        let end = (start + frame_len).min(total);
        truth.push(Truth {
            index: i,
            start,
            len: end - start,
        });
    }
    let mut rng = Rng::new(seed);
    let std = (noise_power_scale / 2.0).sqrt() as f32;
    for o in out.iter_mut() {
        *o += Complex32::new(rng.normal() as f32 * std, rng.normal() as f32 * std);
    }
    Ok((out, truth))
}

/// Scales `x` so its largest component magnitude is `peak` (for integer file formats);
/// returns the factor applied.
pub fn normalise_peak(x: &mut [Complex32], peak: f32) -> f32 {
    let m = x
        .iter()
        .map(|c| c.re.abs().max(c.im.abs()))
        .fold(0.0f32, f32::max);
    if m <= 0.0 {
        return 1.0;
    }
    let s = peak / m;
    for v in x.iter_mut() {
        *v *= s;
    }
    s
}
