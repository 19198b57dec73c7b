//! The channelizer's prototype low-pass filter: a Kaiser-windowed sinc whose cut-off sits
//! half-way between channels, and the tools to measure what it does.
//!
//! The filter is designed at the wideband rate with `channels × taps_per_branch` taps and a
//! DC gain of exactly 1, so a channel's output has the same amplitude as its signal had in
//! the wideband stream.

use std::f64::consts::PI;

/// What the prototype filter is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrototypeSpec {
    /// Number of channels the bank splits the input into (the FFT size, M).
    pub channels: usize,
    /// Taps per polyphase branch (T); the filter has `channels × taps_per_branch` taps.
    pub taps_per_branch: usize,
    /// Cut-off (−6 dB point) as a fraction of the channel spacing; 0.5 puts it half-way to
    /// the next channel.
    pub cutoff: f64,
    /// Kaiser window β: larger gives more stopband attenuation and a wider transition.
    pub kaiser_beta: f64,
}

impl PrototypeSpec {
    /// The default for S1G: 24 taps per branch, cut-off half-way, β = 7: the fewest taps
    /// per branch (in steps of 4) that keep ≥ 60 dB over the adjacent channel with margin
    /// (72 dB; 20 taps reach no 60 dB at any β, 32 taps at β = 8 give 83 dB).
    ///
    /// Measured on the 26-channel bank (`channelizer::tests`): passband ripple over
    /// ±0.406 MHz (the 1 MHz format's outermost tone) and rejection of the adjacent
    /// channels' occupied bands are in docs/channelizer.md.
    pub fn s1g(channels: usize) -> Self {
        PrototypeSpec {
            channels,
            taps_per_branch: DEFAULT_TAPS_PER_BRANCH,
            cutoff: 0.5,
            kaiser_beta: 7.0,
        }
    }

    /// Number of taps.
    pub fn len(&self) -> usize {
        self.channels * self.taps_per_branch
    }

    /// Whether the filter has no taps (never for a valid spec).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The taps, DC gain 1 (they sum to 1).
    ///
    /// # Panics
    /// If `channels` or `taps_per_branch` is 0, or `cutoff` is not in (0, 1).
    pub fn taps(&self) -> Vec<f32> {
        assert!(
            self.channels > 0 && self.taps_per_branch > 0,
            "prototype: {self:?} has no taps"
        );
        assert!(
            self.cutoff > 0.0 && self.cutoff < 1.0,
            "prototype: cut-off {} must be in (0, 1)",
            self.cutoff
        );
        let n = self.len();
        // cut-off in cycles per wideband sample
        let fc = self.cutoff / self.channels as f64;
        let mid = (n - 1) as f64 / 2.0;
        let i0_beta = bessel_i0(self.kaiser_beta);
        let mut h: Vec<f64> = (0..n)
            .map(|i| {
                let x = i as f64 - mid;
                let sinc = if x.abs() < 1e-12 {
                    2.0 * fc
                } else {
                    (2.0 * PI * fc * x).sin() / (PI * x)
                };
                let r = if mid > 0.0 { x / mid } else { 0.0 };
                let w = bessel_i0(self.kaiser_beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
                sinc * w
            })
            .collect();
        let sum: f64 = h.iter().sum();
        for v in &mut h {
            *v /= sum;
        }
        h.into_iter().map(|v| v as f32).collect()
    }
}

/// Taps per branch of [`PrototypeSpec::s1g`].
pub const DEFAULT_TAPS_PER_BRANCH: usize = 24;

/// The modified Bessel function of the first kind, order 0 (power series; converges fast
/// for the β a window uses).
pub fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..200 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Magnitude response of `taps` at `freq` cycles per sample (a direct DTFT in f64).
pub fn response(taps: &[f32], freq: f64) -> f64 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (i, &h) in taps.iter().enumerate() {
        let ph = -2.0 * PI * freq * i as f64;
        re += h as f64 * ph.cos();
        im += h as f64 * ph.sin();
    }
    (re * re + im * im).sqrt()
}

/// Response in dB relative to DC.
pub fn response_db(taps: &[f32], freq: f64) -> f64 {
    20.0 * (response(taps, freq) / response(taps, 0.0)).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bessel_i0_known_values() {
        // Abramowitz & Stegun table 9.8: I0(1) = 1.266065878, I0(5) = 27.23987182
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-15);
        assert!((bessel_i0(1.0) - 1.266_065_878).abs() < 1e-8);
        assert!((bessel_i0(5.0) - 27.239_871_82).abs() < 1e-6);
    }

    #[test]
    fn taps_are_symmetric_with_unit_dc_gain() {
        let h = PrototypeSpec::s1g(26).taps();
        assert_eq!(h.len(), 26 * DEFAULT_TAPS_PER_BRANCH);
        let sum: f64 = h.iter().map(|&v| v as f64).sum();
        assert!((sum - 1.0).abs() < 1e-5, "{sum}");
        for i in 0..h.len() / 2 {
            assert_eq!(h[i], h[h.len() - 1 - i], "tap {i}");
        }
        // −6 dB at the cut-off, half-way between channels
        let at_cutoff = response_db(&h, 0.5 / 26.0);
        assert!((at_cutoff + 6.02).abs() < 0.1, "{at_cutoff}");
    }
}
