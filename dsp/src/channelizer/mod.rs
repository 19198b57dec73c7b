//! The wideband channelizer: a polyphase filter bank (rustfft inside) that splits one
//! wideband stream into every channel of a regular grid at once.
//!
//! - [`prototype`]: the prototype low-pass filter and its measured response.
//! - [`pfb`]: the streaming bank ([`Channelizer`]).
//!
//! A 1 MHz S1G channel's tones stop at ±406.25 kHz, so a critically sampled bank (one
//! sample per MHz, [`Oversampling::X1`]) hands each receiver its native 1 Msps: what the
//! prototype lets through between 0.5 and 0.594 MHz folds onto the unused edge of the
//! neighbouring band, and the adjacent channel's occupied band (0.594–1.406 MHz) is in the
//! stopband. docs/channelizer.md has the measured figures.

pub mod pfb;
pub mod prototype;

pub use pfb::{Channelizer, ChannelizerConfig, ChannelizerError, Oversampling};
pub use prototype::PrototypeSpec;

/// Measured figures of a prototype, relative to its DC gain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponseFigures {
    /// Peak-to-peak ripple over the occupied band, dB.
    pub ripple_db: f64,
    /// Smallest attenuation over the band that aliases onto the occupied band after
    /// decimation, i.e. the neighbouring channel's occupied band (worst of both sides), dB.
    pub adjacent_rejection_db: f64,
    /// Smallest attenuation over every frequency from the neighbouring channel's occupied
    /// band to the stream's edge, dB.
    pub stopband_rejection_db: f64,
}

/// Measures `taps` (a prototype for `channels` channels) over an occupied band of
/// `±occupied` channel spacings (0.40625 for 1 MHz S1G: 13 tones of 31.25 kHz), on a grid of
/// `points` frequencies per spacing.
pub fn measure(taps: &[f32], channels: usize, occupied: f64, points: usize) -> ResponseFigures {
    let to_cycles = |spacings: f64| spacings / channels as f64;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let steps = (occupied * points as f64).ceil() as usize;
    for i in 0..=steps {
        let f = occupied * i as f64 / steps as f64;
        let db = prototype::response_db(taps, to_cycles(f));
        lo = lo.min(db);
        hi = hi.max(db);
    }
    let mut adjacent = f64::INFINITY;
    let adj_steps = (2.0 * occupied * points as f64).ceil() as usize;
    for i in 0..=adj_steps {
        let f = 1.0 - occupied + 2.0 * occupied * i as f64 / adj_steps as f64;
        adjacent = adjacent.min(-prototype::response_db(taps, to_cycles(f)));
    }
    let mut stop = f64::INFINITY;
    let last = channels as f64 / 2.0;
    let stop_steps = ((last - (1.0 - occupied)) * points as f64).ceil() as usize;
    for i in 0..=stop_steps {
        let f = 1.0 - occupied + (last - (1.0 - occupied)) * i as f64 / stop_steps as f64;
        stop = stop.min(-prototype::response_db(taps, to_cycles(f)));
    }
    ResponseFigures {
        ripple_db: hi - lo,
        adjacent_rejection_db: adjacent,
        stopband_rejection_db: stop,
    }
}

/// Half-width of the 1 MHz S1G format's occupied band in channel spacings (tone ±13 of
/// 31.25 kHz).
pub const S1G_1M_OCCUPIED: f64 = 13.0 * 31.25e3 / 1e6;

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex32;

    #[test]
    fn default_prototype_meets_ripple_and_rejection() {
        let spec = PrototypeSpec::s1g(26);
        let r = measure(&spec.taps(), 26, S1G_1M_OCCUPIED, 400);
        eprintln!("26-channel prototype, {spec:?}: {r:?}");
        assert!(r.ripple_db <= 0.1, "{r:?}");
        assert!(r.adjacent_rejection_db >= 60.0, "{r:?}");
        assert!(r.stopband_rejection_db >= 60.0, "{r:?}");
    }

    /// Tones through the real bank: one in the channel's occupied band keeps its amplitude,
    /// one in the next channel's occupied band is rejected as `measure` says.
    #[test]
    fn tones_through_the_bank() {
        let cfg = ChannelizerConfig {
            sample_rate: 26e6,
            spacing_hz: 1e6,
            oversampling: Oversampling::X1,
            taps_per_branch: prototype::DEFAULT_TAPS_PER_BRANCH,
            shift_hz: 0.0,
            bins: vec![3],
        };
        let power_out = |freq_hz: f64| {
            let mut bank = Channelizer::new(&cfg).unwrap();
            let n = 26 * 4000;
            let x: Vec<Complex32> = (0..n)
                .map(|i| {
                    let ph = 2.0 * std::f64::consts::PI * freq_hz / 26e6 * i as f64;
                    Complex32::new(ph.cos() as f32, ph.sin() as f32)
                })
                .collect();
            let mut out = vec![Vec::new()];
            bank.process(&x, &mut out);
            // skip the filter's start-up
            let y = &out[0][100..];
            y.iter().map(|v| v.norm_sqr() as f64).sum::<f64>() / y.len() as f64
        };
        for f in [3.0e6, 3.2e6, 2.6e6, 3.4e6] {
            let db = 10.0 * power_out(f).log10();
            assert!(db.abs() < 0.1, "{f} Hz: {db} dB");
        }
        for f in [4.0e6, 4.3e6, 2.0e6, 1.7e6, 10e6] {
            let db = 10.0 * power_out(f).log10();
            assert!(db < -60.0, "{f} Hz: {db} dB");
        }
    }
}
