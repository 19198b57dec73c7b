//! Frame synchronisation after a detection: coarse CFO from the STF, symbol timing from the
//! LTF, fine CFO from the LTF repetitions, channel and noise estimates.

use crate::params::{bin, Format};
use crate::preamble::{self, STF_LEN};
use num_complex::{Complex32, Complex64};
use rustfft::Fft;
use std::f64::consts::PI;
use std::sync::Arc;

/// Samples by which every FFT window starts early, inside the guard interval, so that a
/// late timing estimate or clock drift never pulls the next symbol in.
pub const fn backoff(format: Format) -> usize {
    match format {
        Format::S1g1M => 2,
        Format::S1gShort2M => 3,
    }
}

/// Timing and frequency of one frame, and its channel.
#[derive(Debug, Clone)]
pub struct FrameSync {
    /// Buffer-relative index of the first STF sample.
    pub start: usize,
    /// CFO in cycles per sample (positive: received above nominal).
    pub cfo: f64,
    /// Channel estimate per FFT bin, in the scale of a unit-power symbol with `n_tones` tones
    /// (so `Y[k] = H[k]·X[k]` for data symbols).
    pub h: Vec<Complex32>,
    /// Noise variance per FFT bin.
    pub noise_var: f32,
    /// SNR estimate, dB, in the sampled bandwidth.
    pub snr_db: f32,
    /// Mean preamble power, dBFS.
    pub rssi_dbfs: f32,
}

/// Reusable synchroniser of one format.
pub struct Synchronizer {
    format: Format,
    fft: Arc<dyn Fft<f32>>,
    scratch: Vec<Complex32>,
    ltf_ref: Vec<Complex32>,
    ltf_freq: Vec<Complex32>,
    work: Vec<Complex32>,
    /// Whether to smooth the channel estimate over adjacent tones.
    pub smoothing: bool,
}

/// Derotates `src` into `dst` by `cfo` cycles/sample, sample `i` taking phase
/// −2π·cfo·(origin + i).
pub fn derotate(src: &[Complex32], dst: &mut [Complex32], cfo: f64, origin: f64) {
    // Recurrence in f64 with a fresh exact phase every 256 samples.
    let w = Complex64::from_polar(1.0, -2.0 * PI * cfo);
    let mut ph = Complex64::new(0.0, 0.0);
    for (i, (s, d)) in src.iter().zip(dst.iter_mut()).enumerate() {
        if i % 256 == 0 {
            ph = Complex64::from_polar(1.0, -2.0 * PI * cfo * (origin + i as f64));
        }
        *d = Complex32::new(
            (s.re as f64 * ph.re - s.im as f64 * ph.im) as f32,
            (s.re as f64 * ph.im + s.im as f64 * ph.re) as f32,
        );
        ph *= w;
    }
}

/// Lag-`lag` autocorrelation Σ x[k]·conj(x[k+lag]) over `x[from..to]`.
fn autocorr(x: &[Complex32], from: usize, to: usize, lag: usize) -> Complex64 {
    let mut c = Complex64::new(0.0, 0.0);
    for k in from..to {
        let v = x[k] * x[k + lag].conj();
        c += Complex64::new(v.re as f64, v.im as f64);
    }
    c
}

impl Synchronizer {
    /// A synchroniser for `format`.
    pub fn new(format: Format, fft: Arc<dyn Fft<f32>>) -> Self {
        let n = format.fft_len();
        let scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        Synchronizer {
            format,
            fft,
            scratch,
            ltf_ref: preamble::symbol_time(&preamble::ltf_freq(format)),
            ltf_freq: preamble::ltf_freq(format),
            work: vec![Complex32::new(0.0, 0.0); 4 * n + 1024],
            smoothing: true,
        }
    }

    /// Samples after the detection index that [`Synchronizer::sync`] reads at most: the
    /// latest LTF search position plus the span of the LTF copies (416 for both formats,
    /// less than the shortest PPDU, so a frame ending the stream is never waited on).
    pub fn needs_after_detection(&self) -> usize {
        let offs = preamble::ltf1_symbol_offsets(self.format);
        STF_LEN + offs[0] + SEARCH_LATE + (offs[offs.len() - 1] - offs[0]) + self.format.fft_len()
    }

    /// Samples before the detection index that [`Synchronizer::sync`] may read: the STF can
    /// start up to `SEARCH_EARLY` before it.
    pub const fn needs_before_detection(&self) -> usize {
        SEARCH_EARLY
    }

    /// Synchronises to a frame whose detector fired at buffer index `det` with correlation
    /// `corr`. Returns `None` when no LTF is found where one should be.
    pub fn sync(&mut self, buf: &[Complex32], det: usize, corr: Complex64) -> Option<FrameSync> {
        let f = self.format;
        let n = f.fft_len();
        let lag = n / 4;
        // 1. coarse CFO from the detector's correlation
        let cfo1 = -corr.arg() / (2.0 * PI * lag as f64);
        // 2. LTF timing: the first full LTF symbol starts near det + STF + LTF1 double GI.
        let offs = preamble::ltf1_symbol_offsets(f);
        let nominal = det + STF_LEN + offs[0];
        let lo = nominal.saturating_sub(SEARCH_EARLY);
        let hi = nominal + SEARCH_LATE;
        let span_end = hi + (offs[offs.len() - 1] - offs[0]) + n;
        if span_end > buf.len() {
            return None;
        }
        let seg_len = span_end - lo;
        if self.work.len() < seg_len {
            self.work.resize(seg_len, Complex32::new(0.0, 0.0));
        }
        derotate(
            &buf[lo..span_end],
            &mut self.work[..seg_len],
            cfo1,
            lo as f64,
        );
        let mut best = (lo, 0f32);
        for u in lo..=hi {
            let mut m = 0f32;
            for &o in offs {
                let at = u + o - offs[0] - lo;
                let seg = &self.work[at..at + n];
                let mut c = Complex32::new(0.0, 0.0);
                for (a, r) in seg.iter().zip(&self.ltf_ref) {
                    c += a * r.conj();
                }
                m += c.norm_sqr();
            }
            if m > best.1 {
                best = (u, m);
            }
        }
        let first_ltf = best.0;
        // NaN or all-zero input leaves no match at all
        if best.1.is_nan() || best.1 <= 0.0 {
            return None;
        }
        // Reject detections with no LTF: the normalised match (1 for a clean LTF, S/(S+N) in
        // noise, about 1/N for noise alone) must clear MIN_LTF_MATCH.
        let mut energy = 0f32;
        for &o in offs {
            let at = first_ltf + o - offs[0] - lo;
            energy += self.work[at..at + n]
                .iter()
                .map(|c| c.norm_sqr())
                .sum::<f32>();
        }
        if best.1 < MIN_LTF_MATCH * energy * n as f32 {
            return None;
        }
        let start = first_ltf.checked_sub(STF_LEN + offs[0])?;
        // 3. refine CFO over the STF (skip the first period and the last lag)
        let stf_c = autocorr(buf, start + lag, start + STF_LEN - lag, lag);
        let mut cfo = -stf_c.arg() / (2.0 * PI * lag as f64);
        // keep the coarse estimate's branch if the refined one is wildly off (low SNR)
        if (cfo - cfo1).abs() > 0.25 / lag as f64 {
            cfo = cfo1;
        }
        // 4. fine CFO from LTF repetitions (lag N or N + GI), after coarse correction
        let ltf1_start = start + STF_LEN;
        let ltf_end = ltf1_start + 160;
        let mut seg = std::mem::take(&mut self.work);
        derotate(
            &buf[ltf1_start..ltf_end],
            &mut seg[..160],
            cfo,
            ltf1_start as f64,
        );
        let mut acc = Complex64::new(0.0, 0.0);
        for w in offs.windows(2) {
            let d = w[1] - w[0];
            let c = autocorr(&seg, w[0], w[0] + n, d);
            // each pair votes with a phase per sample
            let per = -c.arg() / d as f64;
            acc += Complex64::from_polar(c.norm(), per);
        }
        let cfo_fine = acc.arg() / (2.0 * PI);
        if cfo_fine.abs() < 0.5 / n as f64 {
            cfo += cfo_fine;
        }
        // 5. channel estimate: FFT of each LTF symbol after the final correction
        derotate(
            &buf[ltf1_start..ltf_end],
            &mut seg[..160],
            cfo,
            ltf1_start as f64,
        );
        let b = backoff(f);
        let mut ys = [[Complex32::new(0.0, 0.0); crate::params::MAX_FFT]; 4];
        for (i, &o) in offs.iter().enumerate() {
            let y = &mut ys[i][..n];
            y.copy_from_slice(&seg[o - b..o - b + n]);
            self.fft.process_with_scratch(y, &mut self.scratch);
        }
        self.work = seg;
        let nc = offs.len();
        let n_tones = self.ltf_freq.iter().filter(|c| c.norm_sqr() > 0.0).count();
        // scale: a unit-power symbol with n_tones tones has FFT bins N/sqrt(n_tones)·X
        let scale = (n_tones as f32).sqrt() / n as f32;
        let mut h = vec![Complex32::new(0.0, 0.0); n];
        let mut noise = 0f32;
        let mut used = 0usize;
        for k in 0..n {
            let x = self.ltf_freq[k];
            if x.norm_sqr() == 0.0 {
                continue;
            }
            let mean = ys[..nc].iter().map(|y| y[k]).sum::<Complex32>() / nc as f32;
            for y in &ys[..nc] {
                noise += (y[k] - mean).norm_sqr();
            }
            h[k] = mean / x * scale;
            used += 1;
        }
        // per-bin noise variance (in h's scale)
        let noise_var = (noise / (used * (nc - 1)) as f32) * scale * scale;
        let sig: f32 =
            h.iter().map(|c| c.norm_sqr()).sum::<f32>() - noise_var * used as f32 / nc as f32;
        // SNR in the sampled bandwidth: signal power / noise power over all N bins.
        // SNR in the sampled bandwidth: (Σ|H|²/N_tone) / σ², with σ² = noise_var·N/N_tone.
        let snr = sig.max(1e-12) / (noise_var.max(1e-20) * n as f32);
        // Smoothing trades estimation noise for bias on frequency-selective channels. Keep
        // the smoothed estimate only if it moved no more than the estimation noise explains:
        // for a 3-tone average of a flat channel the expected change is (2/3)·σ²/copies.
        if self.smoothing {
            let raw = h.clone();
            smooth(f, &mut h);
            let moved = h
                .iter()
                .zip(&raw)
                .map(|(a, b)| (a - b).norm_sqr())
                .sum::<f32>()
                / used as f32;
            let explained = (2.0 / 3.0) * noise_var / nc as f32;
            if moved > SMOOTHING_TOLERANCE * explained {
                h = raw;
            }
        }
        let pre = &buf[start..ltf_end];
        let p = pre.iter().map(|c| c.norm_sqr()).sum::<f32>() / pre.len() as f32;
        Some(FrameSync {
            start,
            cfo,
            h,
            noise_var,
            snr_db: 10.0 * snr.log10(),
            rssi_dbfs: 10.0 * p.max(1e-30).log10(),
        })
    }
}

/// Smallest normalised LTF match accepted as a frame (noise alone gives about 1/N; a frame
/// at −3 dB SNR about 0.33).
const MIN_LTF_MATCH: f32 = 0.15;

/// How much more than noise the smoothed channel estimate may move before the channel is
/// taken as frequency-selective and left unsmoothed.
const SMOOTHING_TOLERANCE: f32 = 2.0;

/// How far before / after the nominal position (detection + STF + double GI) the LTF is
/// searched. A detection needs 48 hits, so it fires up to 47 samples after the STF start
/// (a frame at the very start of the stream, or a weak one); after digital silence a
/// noise-free frame correlates as soon as the window touches it, and filter pre-ringing
/// makes that earlier still — up to about 40 samples before the STF.
const SEARCH_EARLY: usize = 72;
const SEARCH_LATE: usize = 48;

/// Smooths the channel estimate over three adjacent used tones, after removing its mean
/// phase slope (the FFT backoff and timing error) so the average does not shrink it.
fn smooth(format: Format, h: &mut [Complex32]) {
    let n = format.fft_len();
    let m = format.max_tone();
    let tones: Vec<i32> = (-m..=m).filter(|&k| k != 0).collect();
    let vals: Vec<Complex32> = tones.iter().map(|&k| h[bin(k, n)]).collect();
    let mut slope = Complex32::new(0.0, 0.0);
    for w in vals.windows(2) {
        slope += w[1] * w[0].conj();
    }
    let step = slope.arg();
    let flat: Vec<Complex32> = tones
        .iter()
        .zip(&vals)
        .map(|(&k, &v)| v * Complex32::from_polar(1.0, -step * k as f32))
        .collect();
    for (i, &k) in tones.iter().enumerate() {
        let a = i.saturating_sub(1);
        let b = (i + 1).min(tones.len() - 1);
        let avg = flat[a..=b].iter().sum::<Complex32>() / (b - a + 1) as f32;
        h[bin(k, n)] = avg * Complex32::from_polar(1.0, step * k as f32);
    }
}
