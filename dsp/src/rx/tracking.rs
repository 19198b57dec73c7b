//! Pilot-based phase estimation over a whole frame.
//!
//! The receiver holds a frame's samples before it decodes the data, so phase tracking need
//! not be causal. What is left after synchronisation changes slowly and mostly linearly in
//! time — the residual CFO turns the common phase at a nearly constant rate, the
//! sample-clock offset tilts the phase across tones at a constant rate — so each of the two
//! is estimated with a Kalman filter over (value, rate) run forward and then smoothed
//! backward (Rauch–Tung–Striebel). Measurements enter as phasors: the innovation is the
//! angle of the measurement derotated by the prediction, so nothing is unwrapped and a
//! noisy pilot cannot throw the estimate off by a turn. Noise levels come from the channel
//! estimate, so the filter weighs pilots by their real SNR.

use num_complex::Complex32;

/// Half-width of the local average that gives the amplitude, symbols.
pub const WINDOW: usize = 24;
/// Random-walk variance of the common phase per sample (oscillator phase noise), rad².
const PHASE_WALK: f32 = 1e-7;
/// Random-walk variance of the phase rate per sample, (rad/sample)².
const RATE_WALK: f32 = 1e-14;
/// Prior standard deviation of the residual CFO after synchronisation, rad/sample
/// (2 kHz at 1 Msps).
const RATE_PRIOR: f32 = 0.0126;
/// Prior standard deviation of the clock-drift tilt rate, rad/tone/sample (50 ppm, N = 32).
const TILT_RATE_PRIOR: f32 = 1e-5;

/// What the pilots of one OFDM symbol said.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PilotMeasurement {
    /// Start of the symbol's FFT window, samples from the frame start.
    pub t: f32,
    /// Received pilot / (channel · expected pilot), per pilot tone.
    pub z: [Complex32; 4],
    /// Weight of each pilot (|H|²).
    pub w: [f32; 4],
    /// Noise variance of the channel-normalised pilot values at weight 1.
    pub noise: f32,
    /// Data-aided common-phase observation, when the symbol's content is known (from a
    /// re-encoded first decoding): Σ w·y/(H·X) over every tone, and Σ w.
    pub aided: Option<(Complex32, f32)>,
}

/// Corrections to apply to one symbol: tone k is divided by `amp · e^{j(phase + slope·k)}`.
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

/// Estimates one correction per measured symbol into `out`.
///
/// `tones` are the pilot subcarriers (ascending, symmetric). With `smooth` off every symbol
/// is corrected by its own measurement alone — right for a noise-free reference (the genie).
pub fn estimate(tones: &[i32], meas: &[PilotMeasurement], smooth: bool, out: &mut Vec<Correction>) {
    out.clear();
    let np = tones.len();
    if meas.is_empty() || np < 2 {
        return;
    }
    let outer = tones[np - 1] as f32;
    // tilt phasor of each symbol from the outermost pair: angle = 2·outer·slope
    let tilt = |m: &PilotMeasurement| m.z[np - 1] * m.z[0].conj() * m.w[0].min(m.w[np - 1]);
    let common = |m: &PilotMeasurement, slope: f32| {
        let mut p = Complex32::new(0.0, 0.0);
        for (i, &k) in tones.iter().enumerate() {
            p += m.z[i] * Complex32::from_polar(m.w[i], -slope * k as f32);
        }
        p
    };
    let wsum = |m: &PilotMeasurement| m.w[..np].iter().sum::<f32>().max(1e-30);
    if !smooth {
        for m in meas {
            let slope = tilt(m).arg() / (2.0 * outer);
            let p = common(m, slope);
            out.push(Correction {
                phase: p.arg(),
                slope,
                amp: (p.norm() / wsum(m)).max(1e-3),
            });
        }
        return;
    }
    // 1. tilt: filter the outer pair's phasor (angle = 2·outer·slope)
    let tilt_obs: Vec<(f32, Complex32, f32)> = meas
        .iter()
        .map(|m| {
            let w = m.w[0].min(m.w[np - 1]).max(1e-30);
            // var(angle of z_a·conj(z_b)) ≈ 2·noise/w at high SNR
            let var = 2.0 * m.noise / w;
            (m.t, tilt(m), var)
        })
        .collect();
    let tilt_est = kalman_smooth(
        &tilt_obs,
        0.0,
        (2.0 * outer * TILT_RATE_PRIOR).powi(2),
        1e-9,
        1e-16,
    );
    let slopes: Vec<f32> = tilt_est.iter().map(|v| v / (2.0 * outer)).collect();
    // 2. common phase with the tilt removed
    let phase_obs: Vec<(f32, Complex32, f32)> = meas
        .iter()
        .zip(&slopes)
        .map(|(m, &sl)| match m.aided {
            Some((p, w)) => (m.t, p, m.noise / (2.0 * w.max(1e-30))),
            None => (m.t, common(m, sl), m.noise / (2.0 * wsum(m))),
        })
        .collect();
    let phases = kalman_smooth(
        &phase_obs,
        0.0,
        RATE_PRIOR * RATE_PRIOR,
        PHASE_WALK,
        RATE_WALK,
    );
    // 3. amplitude from a local coherent average of the derotated pilots
    let n = meas.len();
    let mut pre = Vec::with_capacity(n + 1);
    pre.push((Complex32::new(0.0, 0.0), 0f32));
    for ((m, o), &ph) in meas.iter().zip(&phase_obs).zip(&phases) {
        let (a, b) = pre[pre.len() - 1];
        pre.push((a + o.1 * Complex32::from_polar(1.0, -ph), b + wsum(m)));
    }
    for i in 0..n {
        let lo = i.saturating_sub(WINDOW);
        let hi = (i + WINDOW + 1).min(n);
        let p = pre[hi].0 - pre[lo].0;
        let w = (pre[hi].1 - pre[lo].1).max(1e-30);
        out.push(Correction {
            phase: phases[i],
            slope: slopes[i],
            amp: (p.re / w).max(1e-3),
        });
    }
}

/// Kalman filter and RTS smoother over state (angle, rate) with phasor observations
/// `(t, y, var)`: the angle of `y` is the state's angle plus noise of variance `var`.
/// Returns the smoothed angle at each observation time.
fn kalman_smooth(
    obs: &[(f32, Complex32, f32)],
    rate0: f32,
    rate_var0: f32,
    q_angle: f32,
    q_rate: f32,
) -> Vec<f32> {
    let n = obs.len();
    let mut xf = Vec::with_capacity(n); // filtered (angle, rate)
    let mut pf = Vec::with_capacity(n); // filtered covariance [p00, p01, p11]
    let mut xp = Vec::with_capacity(n); // predicted
    let mut pp = Vec::with_capacity(n);
    let mut x = (0.0f32, rate0);
    // the channel estimate sets the phase reference: little prior uncertainty on the angle
    let mut p = [0.05f32, 0.0, rate_var0];
    let mut t_prev = 0.0f32;
    for &(t, y, var) in obs {
        let d = t - t_prev;
        t_prev = t;
        // predict
        let xq = (x.0 + d * x.1, x.1);
        let pq = [
            p[0] + 2.0 * d * p[1] + d * d * p[2] + q_angle * d,
            p[1] + d * p[2],
            p[2] + q_rate * d,
        ];
        xp.push(xq);
        pp.push(pq);
        // update with the wrapped innovation
        let e = (y * Complex32::from_polar(1.0, -xq.0)).arg();
        let r = var.clamp(1e-6, 10.0);
        let s = pq[0] + r;
        let k0 = pq[0] / s;
        let k1 = pq[1] / s;
        x = (xq.0 + k0 * e, xq.1 + k1 * e);
        p = [pq[0] - k0 * pq[0], pq[1] - k0 * pq[1], pq[2] - k1 * pq[1]];
        xf.push(x);
        pf.push(p);
    }
    // RTS backward pass
    let mut xs = xf.clone();
    for i in (0..n.saturating_sub(1)).rev() {
        let d = obs[i + 1].0 - obs[i].0;
        let f = pf[i];
        let q = pp[i + 1];
        // C = P_f · Fᵀ · P_pred⁻¹ with F = [[1, d], [0, 1]]
        let pft = [f[0] + d * f[1], f[1], f[1] + d * f[2], f[2]]; // P_f·Fᵀ as [a b; c d]
        let det = q[0] * q[2] - q[1] * q[1];
        if det.abs() < 1e-30 {
            continue;
        }
        let inv = [q[2] / det, -q[1] / det, q[0] / det];
        let c = [
            pft[0] * inv[0] + pft[1] * inv[1],
            pft[0] * inv[1] + pft[1] * inv[2],
            pft[2] * inv[0] + pft[3] * inv[1],
            pft[2] * inv[1] + pft[3] * inv[2],
        ];
        let dx = (xs[i + 1].0 - xp[i + 1].0, xs[i + 1].1 - xp[i + 1].1);
        xs[i] = (
            xf[i].0 + c[0] * dx.0 + c[1] * dx.1,
            xf[i].1 + c[2] * dx.0 + c[3] * dx.1,
        );
    }
    xs.into_iter().map(|v| v.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn wrap(a: f32) -> f32 {
        (a + std::f32::consts::PI).rem_euclid(2.0 * std::f32::consts::PI) - std::f32::consts::PI
    }

    #[test]
    fn recovers_phase_and_tilt_ramps_in_noise() {
        let tones = [-21, -7, 7, 21];
        let mut rng = Rng::new(4);
        let meas: Vec<PilotMeasurement> = (0..300)
            .map(|s| {
                let t = 80.0 * s as f32;
                let phase = 0.2 + 0.05 * s as f32; // residual CFO (wraps many times)
                let slope = 0.0002 * s as f32; // clock drift
                let mut z = [Complex32::new(0.0, 0.0); 4];
                for (i, &k) in tones.iter().enumerate() {
                    let noise = Complex32::new(rng.normal() as f32, rng.normal() as f32) * 0.5;
                    z[i] = Complex32::from_polar(1.0, phase + slope * k as f32) + noise;
                }
                PilotMeasurement {
                    t,
                    z,
                    w: [1.0; 4],
                    noise: 0.25,
                    aided: None,
                }
            })
            .collect();
        let mut out = Vec::new();
        estimate(&tones, &meas, true, &mut out);
        for (s, c) in out.iter().enumerate().skip(10).take(280) {
            let phase = 0.2 + 0.05 * s as f32;
            let slope = 0.0002 * s as f32;
            assert!(
                wrap(c.phase - phase).abs() < 0.15,
                "symbol {s}: phase {} vs {phase}",
                c.phase
            );
            assert!(
                (c.slope - slope).abs() < 0.004,
                "symbol {s}: slope {} vs {slope}",
                c.slope
            );
        }
    }

    #[test]
    fn raw_mode_is_exact_on_clean_pilots() {
        let tones = [-7, 7];
        let meas = [PilotMeasurement {
            t: 0.0,
            z: [
                Complex32::from_polar(2.0, 0.3 - 0.7),
                Complex32::from_polar(2.0, 0.3 + 0.7),
                Complex32::new(0.0, 0.0),
                Complex32::new(0.0, 0.0),
            ],
            w: [1.0, 1.0, 0.0, 0.0],
            noise: 0.0,
            aided: None,
        }];
        let mut out = Vec::new();
        estimate(&tones, &meas, false, &mut out);
        assert!((out[0].phase - 0.3).abs() < 1e-5 && (out[0].slope - 0.1).abs() < 1e-5);
        assert!((out[0].amp - 2.0).abs() < 1e-4);
    }
}
