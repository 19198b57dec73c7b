//! Arbitrary-ratio resampling with a windowed-sinc interpolator (polyphase table, linear
//! interpolation between phases). Used for oversampled transmit output, for recordings at
//! other rates, and by the channel model for sample-clock offset and fractional timing.

use num_complex::Complex32;
use std::f64::consts::PI;

/// Taps per output sample (one side: TAPS / 2).
const TAPS: usize = 24;
/// Phases in the table.
const PHASES: usize = 512;

/// Streaming resampler: output sample m is the input interpolated at time
/// `offset + m · step` (in input samples).
#[derive(Debug, Clone)]
pub struct Resampler {
    step: f64,
    /// Position of the next output in the input stream, relative to `hist[0]`'s index.
    pos: f64,
    table: Vec<f32>,
    hist: Vec<Complex32>,
    /// Absolute index of `hist[0]`.
    hist_base: u64,
}

impl Resampler {
    /// Resampler from `in_rate` to `out_rate`, first output at input time `offset`
    /// (may be fractional). The anti-alias cut-off follows the lower of the two rates.
    pub fn new(in_rate: f64, out_rate: f64, offset: f64) -> Self {
        Self::with_step(in_rate / out_rate, offset)
    }

    /// Resampler with an explicit input step per output sample.
    ///
    /// # Panics
    /// If `offset < -1` or `step <= 0`.
    pub fn with_step(step: f64, offset: f64) -> Self {
        assert!(
            offset >= -1.0 && step > 0.0,
            "resampler: offset {offset} or step {step} out of range"
        );
        // cut-off at 0.5 of the lower rate, slightly inside to leave a transition band
        let cutoff = 0.5 * (1.0 / step).min(1.0) * 0.95;
        let half = (TAPS / 2) as f64;
        let mut table = vec![0f32; (PHASES + 1) * TAPS];
        for p in 0..=PHASES {
            let frac = p as f64 / PHASES as f64;
            let mut sum = 0.0;
            let row = &mut table[p * TAPS..(p + 1) * TAPS];
            for (t, v) in row.iter_mut().enumerate() {
                // tap t sits at input offset (t - half + 1) relative to floor(position)
                let x = t as f64 - half + 1.0 - frac;
                let sinc = if x.abs() < 1e-12 {
                    1.0
                } else {
                    (PI * 2.0 * cutoff * x).sin() / (PI * x)
                };
                let sinc = if x.abs() < 1e-12 { 2.0 * cutoff } else { sinc };
                // Blackman window over ±half
                let w = 0.42 + 0.5 * (PI * x / half).cos() + 0.08 * (2.0 * PI * x / half).cos();
                let w = if x.abs() >= half { 0.0 } else { w };
                *v = (sinc * w) as f32;
                sum += sinc * w;
            }
            // unity DC gain per phase
            for v in row.iter_mut() {
                *v = (*v as f64 / sum) as f32;
            }
        }
        Resampler {
            step,
            // TAPS/2 zeros of history precede input 0, so offsets down to −1 are allowed
            pos: offset + (TAPS / 2) as f64,
            table,
            hist: vec![Complex32::new(0.0, 0.0); TAPS / 2],
            hist_base: 0,
        }
    }

    /// Output samples per input sample.
    pub fn ratio(&self) -> f64 {
        1.0 / self.step
    }

    /// Feeds `input`; appends every output sample whose window is complete.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<Complex32>) {
        self.hist.extend_from_slice(input);
        let avail = self.hist.len();
        loop {
            let i = self.pos.floor();
            let idx = i as usize;
            // window covers idx - (TAPS/2 - 1) ..= idx + TAPS/2
            if idx + TAPS / 2 >= avail {
                break;
            }
            let frac = self.pos - i;
            let pf = frac * PHASES as f64;
            let p0 = pf.floor() as usize;
            let a = (pf - p0 as f64) as f32;
            let r0 = &self.table[p0 * TAPS..(p0 + 1) * TAPS];
            let r1 = &self.table[(p0 + 1) * TAPS..(p0 + 2) * TAPS];
            let start = idx + 1 - TAPS / 2;
            let win = &self.hist[start..start + TAPS];
            let mut acc = Complex32::new(0.0, 0.0);
            for t in 0..TAPS {
                let c = r0[t] + a * (r1[t] - r0[t]);
                acc += win[t] * c;
            }
            out.push(acc);
            self.pos += self.step;
        }
        // drop history no future output needs
        let keep_from = (self.pos.floor() as usize + 1).saturating_sub(TAPS / 2);
        if keep_from > 0 {
            let k = keep_from.min(self.hist.len());
            self.hist.drain(..k);
            self.pos -= k as f64;
            self.hist_base += k as u64;
        }
    }

    /// Flushes the tail by feeding zeros until every input sample has been passed.
    pub fn flush(&mut self, out: &mut Vec<Complex32>) {
        let zeros = vec![Complex32::new(0.0, 0.0); TAPS];
        self.process(&zeros, out);
    }
}

/// Resamples a whole signal (convenience for files and tests).
pub fn resample(input: &[Complex32], in_rate: f64, out_rate: f64) -> Vec<Complex32> {
    let mut r = Resampler::new(in_rate, out_rate, 0.0);
    let mut out = Vec::with_capacity((input.len() as f64 * out_rate / in_rate) as usize + TAPS);
    r.process(input, &mut out);
    r.flush(&mut out);
    out.truncate((input.len() as f64 * out_rate / in_rate).round() as usize);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize, f: f64) -> Vec<Complex32> {
        (0..n)
            .map(|i| {
                let ph = 2.0 * PI * f * i as f64;
                Complex32::new(ph.cos() as f32, ph.sin() as f32)
            })
            .collect()
    }

    #[test]
    fn a_tone_survives_up_and_down_sampling() {
        // 0.1 cycles/sample at rate 1 → 0.1/2.5 at rate 2.5, then back
        let x = tone(4000, 0.1);
        let up = resample(&x, 1.0, 2.5);
        let want = tone(up.len(), 0.04);
        let err: f32 = up[100..up.len() - 100]
            .iter()
            .zip(&want[100..])
            .map(|(a, b)| (a - b).norm_sqr())
            .sum::<f32>()
            / (up.len() - 200) as f32;
        assert!(err < 1e-4, "up error {err}");
        let down = resample(&up, 2.5, 1.0);
        let err: f32 = down[50..down.len() - 50]
            .iter()
            .zip(&x[50..])
            .map(|(a, b)| (a - b).norm_sqr())
            .sum::<f32>()
            / (down.len() - 100) as f32;
        assert!(err < 1e-4, "down error {err}");
    }

    #[test]
    fn fractional_delay_and_block_independence() {
        let x = tone(3000, 0.05);
        let mut a = Resampler::with_step(1.0, 0.25);
        let mut whole = Vec::new();
        a.process(&x, &mut whole);
        let mut b = Resampler::with_step(1.0, 0.25);
        let mut parts = Vec::new();
        for c in x.chunks(37) {
            b.process(c, &mut parts);
        }
        assert_eq!(whole.len(), parts.len());
        for (p, q) in whole.iter().zip(&parts) {
            assert!((p - q).norm() < 1e-6);
        }
        // output m is the input at time m + 0.25
        let want = |m: usize| {
            let ph = 2.0 * PI * 0.05 * (m as f64 + 0.25);
            Complex32::new(ph.cos() as f32, ph.sin() as f32)
        };
        for (m, w) in whole.iter().enumerate().take(1000).skip(100) {
            assert!((w - want(m)).norm() < 1e-2, "m {m}");
        }
    }
}
