//! Pilot tracking: common phase (residual CFO) and phase slope across tones (sample-clock
//! drift) with second-order loops, plus a slow amplitude estimate.

use num_complex::Complex32;

const PHASE_GAIN: f32 = 0.3;
const FREQ_GAIN: f32 = 0.03;
const SLOPE_GAIN: f32 = 0.25;
const SLOPE_RATE_GAIN: f32 = 0.02;
const AMP_GAIN: f32 = 0.2;

/// Per-symbol phase/slope/amplitude corrections.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PilotTracker {
    phase: f32,
    freq: f32,
    slope: f32,
    slope_rate: f32,
    amp: f32,
    first: bool,
    exact: bool,
}

impl Default for PilotTracker {
    fn default() -> Self {
        PilotTracker {
            phase: 0.0,
            freq: 0.0,
            slope: 0.0,
            slope_rate: 0.0,
            amp: 1.0,
            first: true,
            exact: false,
        }
    }
}

/// Corrections to apply to one symbol: multiply tone k by `rot(k) / amp`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correction {
    /// Common phase, rad.
    pub phase: f32,
    /// Phase per tone index, rad.
    pub slope: f32,
    /// Amplitude relative to the LTF.
    pub amp: f32,
}

impl Correction {
    /// No correction.
    pub const NONE: Correction = Correction {
        phase: 0.0,
        slope: 0.0,
        amp: 1.0,
    };

    /// Rotation that removes the phase at tone `k`.
    #[inline]
    pub fn derotation(&self, k: i32) -> Complex32 {
        Complex32::from_polar(1.0, -(self.phase + self.slope * k as f32))
    }
}

impl PilotTracker {
    /// A tracker that takes every measurement as it is (no loop filtering): for noise-free
    /// reference signals, where the measurement is the truth.
    pub fn exact() -> Self {
        PilotTracker {
            exact: true,
            ..Default::default()
        }
    }

    /// Updates with one symbol's pilots: `z[i]` = received pilot / (H · expected value) at
    /// tone `tones[i]`, weighted by `w[i]` (|H|²). Returns the correction for this symbol.
    pub fn update(&mut self, tones: &[i32], z: &[Complex32], w: &[f32]) -> Correction {
        let pred_phase = self.phase + self.freq;
        let pred_slope = self.slope + self.slope_rate;
        // residuals after the prediction
        let mut sum = Complex32::new(0.0, 0.0);
        let mut amp = 0f32;
        let mut wsum = 0f32;
        let mut res = [Complex32::new(0.0, 0.0); 4];
        for (i, (&k, (&zi, &wi))) in tones.iter().zip(z.iter().zip(w)).enumerate() {
            let r = zi * Complex32::from_polar(1.0, -(pred_phase + pred_slope * k as f32));
            res[i] = r;
            sum += r * wi;
            amp += zi.norm() * wi;
            wsum += wi;
        }
        let e_phase = sum.arg();
        // slope: least squares over symmetric pairs (k, −k)
        let mut num = 0f32;
        let mut den = 0f32;
        let n = tones.len();
        for i in 0..n / 2 {
            let j = n - 1 - i;
            let k = tones[j] as f32;
            let wi = w[i].min(w[j]);
            let ang = (res[j] * res[i].conj()).arg();
            num += wi * k * ang;
            den += wi * 2.0 * k * k;
        }
        let e_slope = if den > 0.0 { num / den } else { 0.0 };
        if self.first || self.exact {
            // first symbol: take the measurement as it is
            self.phase = pred_phase + e_phase;
            self.slope = pred_slope + e_slope;
            self.first = false;
        } else {
            self.phase = pred_phase + PHASE_GAIN * e_phase;
            self.freq += FREQ_GAIN * e_phase;
            self.slope = pred_slope + SLOPE_GAIN * e_slope;
            self.slope_rate += SLOPE_RATE_GAIN * e_slope;
        }
        if wsum > 0.0 {
            let gain = if self.exact { 1.0 } else { AMP_GAIN };
            self.amp += gain * (amp / wsum - self.amp);
        }
        Correction {
            phase: self.phase,
            slope: self.slope,
            amp: self.amp.max(1e-3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_a_phase_ramp_and_a_slope_ramp() {
        let tones = [-21, -7, 7, 21];
        let mut t = PilotTracker::default();
        let mut last = Correction::NONE;
        for s in 0..200 {
            let phase = 0.05 * s as f32; // residual CFO
            let slope = 0.0005 * s as f32; // clock drift
            let z: Vec<Complex32> = tones
                .iter()
                .map(|&k| Complex32::from_polar(1.0, phase + slope * k as f32))
                .collect();
            last = t.update(&tones, &z, &[1.0; 4]);
        }
        let wrap = |a: f32| {
            (a + std::f32::consts::PI).rem_euclid(2.0 * std::f32::consts::PI) - std::f32::consts::PI
        };
        assert!(wrap(last.phase - 0.05 * 199.0).abs() < 0.01, "{last:?}");
        assert!((last.slope - 0.0005 * 199.0).abs() < 0.001, "{last:?}");
    }
}
