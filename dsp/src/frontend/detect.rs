//! Fixed-point model of the front end's STF packet detector, bit-exact with
//! `subgate_gateware::detect::Detector`: delay-and-correlate with running sums and a normalised
//! threshold, the same structure and decision rule as the software receiver's floating-point
//! [`crate::rx::detect::StfDetector`] (same window [`WINDOW`], same hit rule [`HITS`] of the last
//! [`FLAGS`] evaluations), on the decimation chain's output.
//!
//! # Format
//! - Input: one signed 16-bit I/Q sample `r[m]` per channel sample, as the decimation chain
//!   ([`super::decim`]) puts out (1 Msps for a 1 MHz channel). No scaling is assumed: the
//!   arithmetic below is exact up to the normalisation, so weak and strong signals are treated
//!   alike.
//! - Lag `L` = one STF period ([`crate::Format::fft_len`] / 4: 8 samples at 1 MHz, 16 at
//!   2 MHz), window `W` = [`WINDOW`] (64). When sample `m` arrives, the window starting at
//!   `n = m + 1 − (W + L)` is complete, and the detector evaluates the software detector's sums
//!   for that window start:
//!   `C = Σ r[k]·conj(r[k+L])`, `P1 = Σ |r[k]|²`, `P2 = Σ |r[k+L]|²` over `k ∈ [n, n + W)`.
//! - Terms: `c[m] = r[m−L]·conj(r[m])` — real part `a_i·b_i + a_q·b_q`, imaginary part
//!   `a_q·b_i − a_i·b_q`, each in `[−2³¹ + 2¹⁶, 2³¹]`, so 33 bits signed — and `p[m] = |r[m]|²`
//!   (≤ 2³¹, 32 bits unsigned): exact 16 × 16 products. The gateware keeps the last
//!   [`SLOTS`] (128) samples and their terms in one block RAM of 36-bit words.
//! - Running sums, exact (no rounding, so no drift and no resynchronisation, unlike the
//!   floating-point detector): `C += c[m] − c[m−W]`, `P2 += p[m] − p[m−W]`,
//!   `P1 += p[m−L] − p[m−W−L]` (P1 is P2 `L` samples earlier). `|Re C|, |Im C| ≤ W · 2³¹ = 2³⁷`
//!   and `P1, P2 ≤ 2³⁷`, so [`SUM_WIDTH`] = 39-bit two's complement registers hold them
//!   without wrapping. History before the first sample is zero (the block RAM's initial
//!   content), so the first `W + L − 1` evaluations see partly filled windows.
//! - Normalisation (block floating point): `s` = the smallest shift with
//!   `(P1 | P2) >> s < 2¹⁵`, i.e. `max(0, bitlen(max(P1, P2)) − 15)` (0..=23); then
//!   `Cr' = Re C >> s`, `Ci' = Im C >> s`, `P1' = P1 >> s`, `P2' = P2 >> s` — arithmetic
//!   shifts, rounding towards −∞. Cauchy–Schwarz (`|C|² ≤ P1·P2`) keeps `Cr'` and `Ci'` in
//!   `[−2¹⁵, 2¹⁵)` and `P1'`, `P2'` in `[0, 2¹⁵)`: every value fits a signed 16-bit multiplier
//!   input (the ECP5's 18 × 18 multipliers, and rust-hdl's only multiply). When `s = 0` the
//!   comparison below is exact; otherwise the larger power keeps 15 significant bits.
//! - Metric: `num = Cr'² + Ci'²` (< 2³², unsigned 32-bit) and `den = P1'·P2'` (< 2³⁰); the
//!   normalised correlation `|C|² / (P1·P2)` is `num / den` up to the truncation.
//! - Threshold: a 15-bit word `T = round(thr² · 2¹⁵)` ([`threshold_word`]; 2949 for the
//!   receiver's default 0.3). A window is a *hit* when `den ≠ 0` and `num · 2¹⁵ > T · den`
//!   (48-bit comparison; no division). `den ≠ 0` plays the software's `P1 > 0`.
//! - Decision (the software detector's rule): the hits of the last [`FLAGS`] (64) evaluations
//!   are kept as bits; a hit that makes their count reach [`HITS`] (48) is a *detection*, and
//!   clears them (the software detector restarts its flags after a detection the same way).
//!   The detection's window start is `m + 1 − (W + L)` ([`Detector::span`]), the index the
//!   software detector reports.
//! - Outputs per input sample: the hit, the detection, `num`, `den` and `(Cr', Ci')` (whose
//!   angle gives the coarse CFO, as the software detector's `corr`).
//! - Timing in the gateware: one evaluation per input sample, [`LATENCY`] clocks after its
//!   valid, and valid inputs must come at least [`MIN_SPACING`] clocks apart (the decimation
//!   chain's outputs are [`super::decim::DECIMATION`] = 16 clocks apart), because the block
//!   shares one multiplier and one block RAM port pair over a sequential schedule.
//!
//! [`software_detections`], [`detections`] and [`agreement`] compare the model's decisions
//! with the floating-point detector's on a stream of known frames (the tests here and the
//! gateware's); measured agreement is in docs/gateware.md.

use crate::preamble::STF_LEN;
use crate::rx::detect::{StfDetector, HITS as SW_HITS, WINDOW as SW_WINDOW};
use crate::scene::Truth;
use num_complex::Complex32;

/// Correlation window, samples: the software detector's.
pub const WINDOW: usize = SW_WINDOW;
/// Hits among the last [`FLAGS`] evaluations that make a detection: the software detector's.
pub const HITS: u32 = SW_HITS;
/// Evaluations remembered for the hit count (the software detector's `u64` of flags).
pub const FLAGS: usize = 64;
/// Samples of history kept (a power of two ≥ `WINDOW + lag + 1`): block RAM slots.
pub const SLOTS: usize = 128;
/// Largest lag the history allows.
pub const MAX_LAG: usize = SLOTS - 1 - WINDOW;
/// Width of the running-sum registers (two's complement): `|sum| ≤ 2³⁷`.
pub const SUM_WIDTH: u32 = 39;
/// Width of one stored term (a 36-bit block RAM word): `c` needs 33 bits, `p` 32.
pub const TERM_WIDTH: u32 = 36;
/// Significant bits the larger power keeps after normalisation (`(P1 | P2) >> s < 2¹⁵`).
pub const NORM_BITS: u32 = 15;
/// Fraction bits of the threshold word: `T = round(thr² · 2¹⁵)`.
pub const THRESHOLD_SHIFT: u32 = 15;
/// Clocks from a valid input to its evaluation's valid in the gateware.
pub const LATENCY: usize = 15;
/// Fewest clocks between two valid inputs the gateware accepts (its schedule's length).
pub const MIN_SPACING: usize = 15;

const _: () = assert!(SLOTS.is_power_of_two() && FLAGS == 64 && HITS as usize <= FLAGS);
const _: () = assert!(MIN_SPACING <= super::decim::DECIMATION);

/// The threshold word for a normalised correlation threshold `threshold` (0..1, the
/// receiver's [`crate::rx::ReceiverConfig::threshold`]): `round(threshold² · 2¹⁵)`, at most
/// `2¹⁵ − 1`.
pub fn threshold_word(threshold: f32) -> u16 {
    let t = f64::from(threshold);
    let w = (t * t * f64::from(1u32 << THRESHOLD_SHIFT)).round();
    w.clamp(0.0, f64::from((1u32 << THRESHOLD_SHIFT) - 1)) as u16
}

/// One evaluation: what the gateware puts out for one input sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Output {
    /// The window is a hit: `den ≠ 0` and `num · 2¹⁵ > T · den`.
    pub hit: bool,
    /// A detection: this hit brought the hits of the last 64 evaluations to [`HITS`].
    pub detect: bool,
    /// `Cr'² + Ci'²`.
    pub num: u32,
    /// `P1' · P2'`.
    pub den: u32,
    /// The normalised correlation `(Cr', Ci')`.
    pub corr: (i16, i16),
}

/// One history slot: a sample and its two terms.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    x: (i16, i16),
    /// `c[m] = r[m−L]·conj(r[m])`.
    c: (i64, i64),
    /// `p[m] = |r[m]|²`.
    p: i64,
}

/// Streaming STF detector for one channel; all state carries over between calls.
#[derive(Debug, Clone)]
pub struct Detector {
    lag: usize,
    threshold: u16,
    ring: [Slot; SLOTS],
    /// Slot of the next sample.
    pos: usize,
    c: (i64, i64),
    p1: i64,
    p2: i64,
    flags: u64,
}

/// Smallest `s` with `v >> s < 2^NORM_BITS`, for `v ≥ 0`.
fn norm_shift(v: i64) -> u32 {
    (64 - v.leading_zeros()).saturating_sub(NORM_BITS)
}

impl Detector {
    /// A detector for STF period `lag` (samples) and threshold word `threshold`
    /// ([`threshold_word`]), history zero as the gateware after configuration.
    ///
    /// # Panics
    /// If `lag` is 0 or above [`MAX_LAG`], or `threshold` ≥ 2¹⁵.
    pub fn new(lag: usize, threshold: u16) -> Self {
        assert!(
            (1..=MAX_LAG).contains(&lag),
            "lag {lag} out of 1..={MAX_LAG}"
        );
        assert!(
            u32::from(threshold) < 1 << THRESHOLD_SHIFT,
            "threshold word {threshold} ≥ 2^{THRESHOLD_SHIFT}"
        );
        Detector {
            lag,
            threshold,
            ring: [Slot::default(); SLOTS],
            pos: 0,
            c: (0, 0),
            p1: 0,
            p2: 0,
            flags: 0,
        }
    }

    /// Changes the threshold word from the next evaluation on (the gateware reads its
    /// `threshold` input at every evaluation).
    ///
    /// # Panics
    /// If `threshold` ≥ 2¹⁵.
    pub fn set_threshold(&mut self, threshold: u16) {
        assert!(
            u32::from(threshold) < 1 << THRESHOLD_SHIFT,
            "threshold word {threshold} ≥ 2^{THRESHOLD_SHIFT}"
        );
        self.threshold = threshold;
    }

    /// Samples from a window's start to the newest sample it needs, inclusive of both:
    /// `WINDOW + lag`. A detection at input sample `m` is for the window starting at
    /// `m + 1 − span`.
    pub fn span(&self) -> usize {
        WINDOW + self.lag
    }

    /// The STF period the detector correlates over.
    pub fn lag(&self) -> usize {
        self.lag
    }

    /// Forgets all state (history, sums and hits), as after configuration.
    pub fn reset(&mut self) {
        *self = Detector::new(self.lag, self.threshold);
    }

    fn slot(&self, back: usize) -> &Slot {
        &self.ring[(self.pos + SLOTS - back) % SLOTS]
    }

    /// One input sample; returns its evaluation.
    pub fn step(&mut self, x: (i16, i16)) -> Output {
        let (bi, bq) = (i64::from(x.0), i64::from(x.1));
        let a = self.slot(self.lag).x;
        let (ai, aq) = (i64::from(a.0), i64::from(a.1));
        let c = (ai * bi + aq * bq, aq * bi - ai * bq);
        let p = bi * bi + bq * bq;
        let old = *self.slot(WINDOW);
        let p_lag = self.slot(self.lag).p;
        let p_lag_old = self.slot(WINDOW + self.lag).p;
        self.c.0 += c.0 - old.c.0;
        self.c.1 += c.1 - old.c.1;
        self.p2 += p - old.p;
        self.p1 += p_lag - p_lag_old;
        self.ring[self.pos] = Slot { x, c, p };
        self.pos = (self.pos + 1) % SLOTS;

        let s = norm_shift(self.p1 | self.p2);
        let corr = ((self.c.0 >> s) as i16, (self.c.1 >> s) as i16);
        let (p1, p2) = ((self.p1 >> s) as u32, (self.p2 >> s) as u32);
        // each square ≤ 2³⁰, so the sum fits 32 bits unsigned
        let num = (i32::from(corr.0).pow(2) as u32) + (i32::from(corr.1).pow(2) as u32);
        let den = p1 * p2;
        let hit = den != 0
            && u64::from(num) << THRESHOLD_SHIFT > u64::from(self.threshold) * u64::from(den);
        self.flags = (self.flags << 1) | u64::from(hit);
        let detect = hit && self.flags.count_ones() >= HITS;
        if detect {
            self.flags = 0;
        }
        Output {
            hit,
            detect,
            num,
            den,
            corr,
        }
    }

    /// Evaluates every sample of `input`, appending the outputs to `out`.
    pub fn process(&mut self, input: &[(i16, i16)], out: &mut Vec<Output>) {
        out.extend(input.iter().map(|&x| self.step(x)));
    }
}

/// Window starts (the software detector's `Detection::index`) where the floating-point
/// detector [`StfDetector`] fires on the whole stream `x`, scanning on after each detection
/// (it restarts its hit count, as the model does).
pub fn software_detections(x: &[Complex32], lag: usize, threshold: f32) -> Vec<u64> {
    let mut det = StfDetector::new(lag, threshold);
    let mut found = Vec::new();
    let mut from = 0;
    loop {
        let (d, next) = det.scan(x, 0, from);
        from = next;
        match d {
            Some(d) => found.push(d.index),
            None => return found,
        }
    }
}

/// Window starts where the model fires on the whole stream `x` (a detection at sample `m`
/// is the window starting at `m + 1 − span`).
///
/// # Panics
/// As [`Detector::new`].
pub fn detections(x: &[(i16, i16)], lag: usize, threshold: u16) -> Vec<u64> {
    let mut d = Detector::new(lag, threshold);
    let span = d.span() as u64;
    let mut found = Vec::new();
    for (m, &v) in x.iter().enumerate() {
        if d.step(v).detect {
            found.push(m as u64 + 1 - span);
        }
    }
    found
}

/// How two detectors' decisions (window starts) compare on a stream of known frames: the
/// software detector's ("float") and the model's or the gateware's ("model").
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Agreement {
    /// Frames in the stream.
    pub frames: usize,
    /// Frames whose STF the floating-point detector found.
    pub float_found: usize,
    /// Frames whose STF the model found.
    pub model_found: usize,
    /// Frames found by exactly one of the two.
    pub differ: usize,
    /// Largest |Δ| between the two first detections of a frame both found, samples.
    pub max_dt: u64,
    /// Floating-point detections away from every frame (false alarms).
    pub float_false: usize,
    /// Model detections away from every frame.
    pub model_false: usize,
    /// Further floating-point detections inside a frame after its first (the detector
    /// restarts its count and fires again every 48 windows of a clean STF).
    pub float_extra: usize,
    /// Further model detections inside a frame after its first.
    pub model_extra: usize,
}

impl Agreement {
    /// Adds another stream's counts (the largest |Δ| of both).
    pub fn add(&mut self, o: Agreement) {
        self.frames += o.frames;
        self.float_found += o.float_found;
        self.model_found += o.model_found;
        self.differ += o.differ;
        self.max_dt = self.max_dt.max(o.max_dt);
        self.float_false += o.float_false;
        self.model_false += o.model_false;
        self.float_extra += o.float_extra;
        self.model_extra += o.model_extra;
    }
}

/// Compares two lists of window starts on a stream whose frames landed at `truth`, for a
/// detector of span `span` (`WINDOW + lag`). A frame's STF is found when a detection's window
/// starts within `[start − span, start + STF_LEN + 16)` (16: the multipath filter's delay and
/// fractional timing); detections elsewhere inside `[start − span, start + len + span)` are
/// extra, and outside every frame false alarms.
pub fn agreement(truth: &[Truth], span: usize, float: &[u64], model: &[u64]) -> Agreement {
    let mut a = Agreement {
        frames: truth.len(),
        ..Default::default()
    };
    let first = |dets: &[u64], t: &Truth| {
        let lo = t.start.saturating_sub(span) as u64;
        let hi = (t.start + STF_LEN + 16) as u64;
        dets.iter().copied().find(|&d| (lo..hi).contains(&d))
    };
    for t in truth {
        match (first(float, t), first(model, t)) {
            (Some(f), Some(m)) => {
                a.float_found += 1;
                a.model_found += 1;
                a.max_dt = a.max_dt.max(f.abs_diff(m));
            }
            (Some(_), None) => {
                a.float_found += 1;
                a.differ += 1;
            }
            (None, Some(_)) => {
                a.model_found += 1;
                a.differ += 1;
            }
            (None, None) => {}
        }
    }
    let classify = |dets: &[u64]| {
        let (mut extra, mut false_alarms) = (0, 0);
        for &d in dets {
            let inside = truth.iter().find(|t| {
                (t.start.saturating_sub(span) as u64..(t.start + t.len + span) as u64).contains(&d)
            });
            match inside {
                Some(t) if first(dets, t) == Some(d) => {}
                Some(_) => extra += 1,
                None => false_alarms += 1,
            }
        }
        (extra, false_alarms)
    };
    (a.float_extra, a.float_false) = classify(float);
    (a.model_extra, a.model_false) = classify(model);
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Multipath;
    use crate::frontend::to_fixed;
    use crate::rng::Rng;
    use crate::scene::{render, SceneFrame};
    use crate::{Format, Mcs, TxRequest};

    /// The receiver's default threshold.
    const THRESHOLD: f32 = 0.3;

    /// The evaluation written out directly from the definitions: the three sums over the
    /// window ending at sample `m` (zero before the first sample), normalised and compared.
    /// Also returns the shift.
    fn direct(x: &[(i16, i16)], m: usize, lag: usize, threshold: u16) -> (Output, u32) {
        let at = |k: i64| -> (i64, i64) {
            usize::try_from(k)
                .ok()
                .and_then(|k| x.get(k))
                .map_or((0, 0), |v| (i64::from(v.0), i64::from(v.1)))
        };
        let n = m as i64 + 1 - (WINDOW + lag) as i64;
        let (mut cr, mut ci, mut p1, mut p2) = (0i64, 0i64, 0i64, 0i64);
        for k in n..n + WINDOW as i64 {
            let (a, b) = (at(k), at(k + lag as i64));
            cr += a.0 * b.0 + a.1 * b.1;
            ci += a.1 * b.0 - a.0 * b.1;
            p1 += a.0 * a.0 + a.1 * a.1;
            p2 += b.0 * b.0 + b.1 * b.1;
        }
        // the registers' range (39 bits two's complement)
        for v in [cr, ci, p1, p2] {
            assert!(v.abs() < 1 << (SUM_WIDTH - 1), "sum {v} outside 39 bits");
        }
        let mut s = 0;
        while (p1.max(p2) >> s) >= 1 << NORM_BITS {
            s += 1;
        }
        let (cr, ci, p1, p2) = (cr >> s, ci >> s, p1 >> s, p2 >> s);
        for v in [cr, ci, p1, p2] {
            assert!((-(1 << 15)..1 << 15).contains(&v), "{v} outside 16 bits");
        }
        let num = cr * cr + ci * ci;
        let den = p1 * p2;
        let hit = den > 0 && num * (1 << THRESHOLD_SHIFT) > i64::from(threshold) * den;
        let out = Output {
            hit,
            detect: false,
            num: num as u32,
            den: den as u32,
            corr: (cr as i16, ci as i16),
        };
        (out, s)
    }

    /// Random, full-scale, constant and small inputs: the running sums, normalisation and
    /// threshold against [`direct`], every sample; the detection rule against a count of the
    /// last 64 hits. The full-scale segment reaches the largest shift (23: sums of 2³⁷).
    #[test]
    fn matches_direct_sums_and_hit_count() {
        for lag in [8, 16] {
            let mut rng = Rng::new(lag as u64);
            let x: Vec<(i16, i16)> = (0..12_000)
                .map(|k| match (k / 1000) % 6 {
                    0 => {
                        let r = rng.next_u64();
                        (r as i16, (r >> 16) as i16)
                    }
                    1 => (i16::MIN, i16::MIN),
                    2 => {
                        // periodic with the lag, plus a little noise: long runs of hits
                        let ph = 2.0 * std::f64::consts::PI * (k % lag) as f64 * 3.0 / lag as f64;
                        let e = rng.below(200) as f64 - 100.0;
                        (
                            (9000.0 * ph.cos() + e) as i16,
                            (9000.0 * ph.sin() - e) as i16,
                        )
                    }
                    3 => ((rng.below(5) as i16) - 2, (rng.below(3) as i16) - 1),
                    4 => (0, 0),
                    _ => {
                        if rng.below(2) == 0 {
                            (i16::MAX, i16::MIN)
                        } else {
                            (i16::MIN, i16::MAX)
                        }
                    }
                })
                .collect();
            let threshold = threshold_word(THRESHOLD);
            let mut d = Detector::new(lag, threshold);
            let mut hits: Vec<bool> = Vec::new();
            let (mut max_shift, mut n_hits, mut n_detect) = (0, 0, 0);
            for m in 0..x.len() {
                let got = d.step(x[m]);
                let (want, s) = direct(&x, m, lag, threshold);
                max_shift = max_shift.max(s);
                assert_eq!(
                    Output {
                        detect: false,
                        ..got
                    },
                    want,
                    "lag {lag}, sample {m}"
                );
                hits.push(got.hit);
                let recent = hits.iter().rev().take(FLAGS).filter(|&&h| h).count();
                assert_eq!(got.detect, got.hit && recent >= HITS as usize, "sample {m}");
                if got.detect {
                    // the count restarts after a detection
                    hits.clear();
                    n_detect += 1;
                }
                n_hits += usize::from(got.hit);
            }
            println!(
                "lag {lag}: {} samples equal to the direct sums, {n_hits} hits, {n_detect} \
                 detections, largest shift {max_shift}",
                x.len()
            );
            assert_eq!(
                max_shift, 23,
                "the full-scale segment must reach the largest sums"
            );
            assert!(
                n_detect > 0 && n_hits > n_detect,
                "the periodic segment must detect"
            );
        }
    }

    #[test]
    fn threshold_words() {
        assert_eq!(threshold_word(0.3), 2949);
        assert_eq!(threshold_word(0.0), 0);
        assert_eq!(threshold_word(1.0), (1 << THRESHOLD_SHIFT) - 1);
        assert_eq!(threshold_word(0.5), 1 << (THRESHOLD_SHIFT - 2));
    }

    /// `n` frames at `snr_db` in one stream at the format's native rate: random PSDUs and
    /// MCSs, carrier offsets up to ±30 kHz, ±20 ppm clock offsets, no multipath / TGn-B / TGn-D
    /// in turn, 1500–3000 samples of noise between frames; noise of unit power.
    fn scene(format: Format, snr_db: f64, n: usize, seed: u64) -> (Vec<Complex32>, Vec<Truth>) {
        let mut rng = Rng::new(seed);
        let mut frames = Vec::with_capacity(n);
        let mut start = 1000;
        for k in 0..n {
            let mut psdu = vec![0u8; 20 + rng.below(40) as usize];
            rng.fill_bytes(&mut psdu);
            let mcs = match (format, k % 3) {
                (Format::S1g1M, 0) => Mcs(10),
                _ => Mcs(rng.below(4) as u8),
            };
            let req = TxRequest::new(psdu, format, mcs);
            let len = crate::tx::Transmitter::ppdu_len(&req).unwrap_or(0);
            frames.push(SceneFrame {
                req,
                start,
                snr_db,
                cfo_hz: (rng.uniform() - 0.5) * 60e3,
                sco_ppm: (rng.uniform() - 0.5) * 40.0,
                multipath: [Multipath::None, Multipath::TgnB, Multipath::TgnD][k % 3],
                delay_frac: rng.uniform(),
                seed: rng.next_u64(),
            });
            start += len + 1500 + rng.below(1500) as usize;
        }
        match render(&frames, start + 1000, format.sample_rate(), seed) {
            Ok(r) => r,
            Err(e) => panic!("scene: {e}"),
        }
    }

    /// The model's decisions against the floating-point detector's on frames from the
    /// transmitter through the channel model, 1 MHz and 2 MHz, at SNRs from −3 to 30 dB, noise
    /// at 64 LSB rms (unit noise power × 64) and, for 1 MHz, again at 4 LSB rms, where the
    /// 16-bit quantisation of the input starts to show. The floating-point detector runs on
    /// the floating-point samples and on the same 16-bit samples as the model (which isolates
    /// the model's arithmetic from the input's quantisation). Checked: the same frames found
    /// (at most 1 % differ overall, none against the float detector on the same samples),
    /// first detections within 2 samples of each other (12 at 4 LSB rms against the
    /// floating-point samples), every frame found from 20 dB up.
    #[test]
    fn agrees_with_floating_point_detector() {
        let threshold = threshold_word(THRESHOLD);
        let (mut total, mut total_same) = (Agreement::default(), Agreement::default());
        let mut failures = Vec::new();
        println!(
            "format scale SNR/dB frames | found float model | differ max|Δ| | same samples: \
             differ max|Δ| | extra float/model | false float/model"
        );
        for (format, scale, snrs) in [
            (
                Format::S1g1M,
                64.0,
                &[-3.0, -1.0, 0.0, 2.0, 5.0, 10.0, 20.0, 30.0][..],
            ),
            (Format::S1g1M, 4.0, &[-1.0, 0.0, 2.0, 10.0, 20.0][..]),
            (Format::S1gShort2M, 64.0, &[-3.0, 0.0, 5.0, 20.0][..]),
        ] {
            let lag = format.fft_len() / 4;
            for (k, &snr) in snrs.iter().enumerate() {
                let (x, truth) = scene(format, snr, 40, 100 + k as u64);
                let mut q = Vec::with_capacity(x.len());
                let saturated = to_fixed(&x, scale, &mut q);
                assert_eq!(saturated, 0, "the scene must fit 16 bits at scale {scale}");
                let xq: Vec<Complex32> = q
                    .iter()
                    .map(|&(i, q)| Complex32::new(f32::from(i), f32::from(q)))
                    .collect();
                let model = detections(&q, lag, threshold);
                let a = agreement(
                    &truth,
                    WINDOW + lag,
                    &software_detections(&x, lag, THRESHOLD),
                    &model,
                );
                let b = agreement(
                    &truth,
                    WINDOW + lag,
                    &software_detections(&xq, lag, THRESHOLD),
                    &model,
                );
                println!(
                    "{:6} {scale:5} {snr:6} {:6} | {:5} {:5} | {:6} {:6} | {:6} {:6} | {:5}/{:<5} | {:5}/{}",
                    format.name(),
                    a.frames,
                    a.float_found,
                    a.model_found,
                    a.differ,
                    a.max_dt,
                    b.differ,
                    b.max_dt,
                    a.float_extra,
                    a.model_extra,
                    a.float_false,
                    a.model_false
                );
                let max_dt = if scale < 64.0 { 12 } else { 2 };
                if a.max_dt > max_dt || b.max_dt > 2 || b.differ > 0 {
                    failures.push(format!("{} {scale} {snr} dB: {a:?} / {b:?}", format.name()));
                }
                if snr >= 20.0 && a.model_found < a.frames {
                    failures.push(format!("{} {scale} {snr} dB: frames missed", format.name()));
                }
                total.add(a);
                total_same.add(b);
            }
        }
        println!("total against float samples: {total:?}");
        println!("total against the same 16-bit samples: {total_same:?}");
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(
            total.differ * 100 <= total.frames,
            "{} of {} frames found by only one detector",
            total.differ,
            total.frames
        );
    }

    /// Noise alone, 2²² samples (4.2 s at 1 MHz), 64 LSB rms: false alarms of the model and of
    /// the floating-point detector at the receiver's threshold 0.3 and at lower thresholds,
    /// where both fire often; the counts must agree within 2 + 2 %.
    #[test]
    fn false_alarms_on_noise() {
        let n = 1 << 22;
        let lag = Format::S1g1M.fft_len() / 4;
        let mut rng = Rng::new(2024);
        let std = (0.5f64).sqrt();
        let x: Vec<Complex32> = (0..n)
            .map(|_| Complex32::new((rng.normal() * std) as f32, (rng.normal() * std) as f32))
            .collect();
        let mut q = Vec::with_capacity(n);
        assert_eq!(to_fixed(&x, 64.0, &mut q), 0);
        for thr in [THRESHOLD, 0.2, 0.18] {
            let float = software_detections(&x, lag, thr).len();
            let model = detections(&q, lag, threshold_word(thr)).len();
            println!(
                "noise only, {n} samples, threshold {thr}: false alarms float {float}, \
                 model {model}"
            );
            assert!(
                model.abs_diff(float) <= 2 + float / 50,
                "false alarms at threshold {thr}: float {float}, model {model}"
            );
            if thr < THRESHOLD {
                assert!(float > 100, "threshold {thr} should fire often on noise");
            }
        }
    }
}
