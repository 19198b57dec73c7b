//! STF packet detector: delay-and-correlate with running sums (Schmidl & Cox style).
//!
//! For lag L (one STF period, N/4 samples) and window W it keeps
//! C(n) = Σ r[k]·conj(r[k+L]), P1(n) = Σ |r[k]|², P2(n) = Σ |r[k+L]|² over k ∈ [n, n+W),
//! and flags n when |C|² > thr²·P1·P2 — a normalised correlation coefficient, independent of
//! the signal level. A detection needs `HITS` flags among the last 64 samples, which rides out
//! the dips of a noisy plateau. The sums are updated in O(1) per sample and recomputed exactly
//! every `RESYNC` samples so f64 rounding cannot drift.

use num_complex::{Complex32, Complex64};

/// Correlation window, samples.
pub const WINDOW: usize = 64;
/// Flags among the last 64 samples needed for a detection. An STF plateau gives 88 (1 MHz)
/// or 80 (2 MHz) window positions plus the partly filled ones; noise excursions last about
/// one window, so asking for 48 keeps false alarms rare without losing weak frames.
pub const HITS: u32 = 48;
const RESYNC: usize = 4096;

/// Streaming detector state.
#[derive(Debug, Clone)]
pub struct StfDetector {
    lag: usize,
    thr2: f64,
    c: Complex64,
    p1: f64,
    p2: f64,
    /// Absolute index of the window start the sums describe, if valid.
    at: Option<u64>,
    since_resync: usize,
    flags: u64,
}

/// A detection: where the window started when it fired, and the correlation there
/// (its angle gives the coarse CFO).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Absolute index of the window start when the detection fired.
    pub index: u64,
    /// C at that point.
    pub corr: Complex64,
}

impl StfDetector {
    /// A detector for STF period `lag` and normalised threshold `threshold` (0..1).
    pub fn new(lag: usize, threshold: f32) -> Self {
        StfDetector {
            lag,
            thr2: (threshold as f64).powi(2),
            c: Complex64::new(0.0, 0.0),
            p1: 0.0,
            p2: 0.0,
            at: None,
            since_resync: 0,
            flags: 0,
        }
    }

    /// Samples of look-ahead the window at index n needs (n + span must be available).
    pub fn span(&self) -> usize {
        WINDOW + self.lag
    }

    /// Forgets all state (after a jump in the stream).
    pub fn reset(&mut self) {
        self.at = None;
        self.flags = 0;
    }

    fn recompute(&mut self, buf: &[Complex32], rel: usize) {
        let l = self.lag;
        let mut c = Complex64::new(0.0, 0.0);
        let (mut p1, mut p2) = (0.0, 0.0);
        for k in rel..rel + WINDOW {
            let a = buf[k];
            let b = buf[k + l];
            c += Complex64::new(
                (a.re * b.re + a.im * b.im) as f64,
                (a.im * b.re - a.re * b.im) as f64,
            );
            p1 += a.norm_sqr() as f64;
            p2 += b.norm_sqr() as f64;
        }
        self.c = c;
        self.p1 = p1;
        self.p2 = p2;
        self.since_resync = 0;
    }

    /// Scans windows starting at absolute indices `from..`, where `buf[0]` has absolute
    /// index `base`, as far as `buf` allows. Returns the first detection (if any) and the
    /// absolute index to continue from. Continuing needs `buf` to still hold `from − 1`.
    pub fn scan(&mut self, buf: &[Complex32], base: u64, from: u64) -> (Option<Detection>, u64) {
        let span = self.span();
        if (buf.len() as u64 + base) < from + span as u64 {
            return (None, from);
        }
        let last = buf.len() - span; // last relative window start
        let mut rel = (from - base) as usize;
        if from > base && self.at == Some(from - 1) {
            // The sums describe the window one before `from`: slide them once.
            self.slide(buf, rel - 1);
        } else {
            self.recompute(buf, rel);
            self.flags = 0;
        }
        loop {
            let hit = self.p1 > 0.0 && self.c.norm_sqr() > self.thr2 * self.p1 * self.p2;
            self.flags = (self.flags << 1) | hit as u64;
            if hit && self.flags.count_ones() >= HITS {
                let det = Detection {
                    index: base + rel as u64,
                    corr: self.c,
                };
                self.at = None;
                self.flags = 0;
                return (Some(det), base + rel as u64 + 1);
            }
            if rel >= last {
                break;
            }
            self.slide(buf, rel);
            rel += 1;
            if self.since_resync >= RESYNC {
                self.recompute(buf, rel);
            }
        }
        self.at = Some(base + rel as u64);
        (None, base + rel as u64 + 1)
    }

    /// Moves the sums from the window at `rel` to the window at `rel + 1`.
    #[inline]
    fn slide(&mut self, buf: &[Complex32], rel: usize) {
        let l = self.lag;
        let (a0, b0) = (buf[rel], buf[rel + l]);
        let (a1, b1) = (buf[rel + WINDOW], buf[rel + WINDOW + l]);
        self.c += Complex64::new(
            (a1.re * b1.re + a1.im * b1.im - a0.re * b0.re - a0.im * b0.im) as f64,
            (a1.im * b1.re - a1.re * b1.im - a0.im * b0.re + a0.re * b0.im) as f64,
        );
        self.p1 += (a1.norm_sqr() - a0.norm_sqr()) as f64;
        self.p2 += (b1.norm_sqr() - b0.norm_sqr()) as f64;
        self.since_resync += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u64) -> Vec<Complex32> {
        let mut s = seed;
        let mut u = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        (0..n).map(|_| Complex32::new(u(), u())).collect()
    }

    #[test]
    fn fires_on_a_periodic_burst_not_on_noise() {
        let mut x = noise(4000, 1);
        for (i, v) in x.iter_mut().enumerate().take(1160).skip(1000) {
            let ph = 2.0 * std::f32::consts::PI * (i % 8) as f32 / 8.0 * 3.0;
            *v += Complex32::from_polar(2.0, ph);
        }
        let mut d = StfDetector::new(8, 0.4);
        let (det, _) = d.scan(&x, 0, 0);
        let det = det.map(|d| d.index);
        assert!(
            matches!(det, Some(i) if (950..1100).contains(&i)),
            "{det:?}"
        );
        let mut d = StfDetector::new(8, 0.4);
        assert_eq!(d.scan(&x[..900], 0, 0).0, None);
    }

    #[test]
    fn running_sums_match_direct_sums_across_calls() {
        let x = noise(10_000, 5);
        // Scanning in one call or in many small calls finds the same (no) detections and
        // ends at the same place.
        let mut a = StfDetector::new(8, 0.9);
        let (da, na) = a.scan(&x, 0, 0);
        let mut b = StfDetector::new(8, 0.9);
        let mut from = 0;
        let mut db = None;
        for end in (500..=x.len()).step_by(500) {
            let (d, n) = b.scan(&x[..end], 0, from);
            from = n;
            if d.is_some() {
                db = d;
                break;
            }
        }
        assert_eq!(da, db);
        assert_eq!(na, from);
    }
}
