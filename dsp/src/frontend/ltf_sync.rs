//! The SID filter's frame synchronisation, as a fixed-point model for the gateware to
//! follow (no block yet): from the STF detector's detection and correlation
//! ([`super::detect`]) to the frame's start and the word that derotates it — what the
//! software receiver's [`crate::rx::sync`] does first, with integer arithmetic a small
//! block can do:
//! - the coarse offset from the correlation's angle ([`super::cfo::word`]), the samples
//!   derotated by the DDC's NCO and mixer with that word ([`super::ddc`], gain ½);
//! - the LTF found by a multiplier-free matched filter: each derotated sample against the
//!   signs of the LTF symbol's time samples (`±1 ± j`, [`ltf_sign_ref`]), 32 taps; the
//!   metric of a candidate start `u` of the first LTF copy is `Σ |c >> 5|²` ([`energy`])
//!   over the four copies
//!   (at `u`, `u + 32`, `u + 72`, `u + 112`); the first largest over the software's search
//!   window (`det + 176 − 72 … det + 176 + 48`) wins;
//! - the frame starts [`BACKOFF`] samples before `u − 176`: every FFT window then starts
//!   inside its guard interval rather than past it (a late window takes in the next
//!   symbol; an early one only turns each tone's phase, which the LTF estimate takes out).

use super::cfo::word;
use super::ddc::Ddc;
use crate::params::Format;
use crate::preamble::{ltf1_symbol_offsets, ltf_freq, symbol_time, STF_LEN};

/// Samples before the detector's window start where the first LTF copy may start (the
/// software receiver's search).
pub const SEARCH_EARLY: usize = 72;
/// Samples after.
pub const SEARCH_LATE: usize = 48;
/// Samples the start is put earlier than the LTF match says.
pub const BACKOFF: usize = 2;
/// Taps of the matched filter (one LTF symbol).
pub const TAPS: usize = 32;
/// A correlation's components are shifted right by this before squaring: `|c| ≤ 32 · 2¹⁶
/// = 2²¹` per component, so `c >> 5` fits the 18-bit multiplier port.
pub const METRIC_SHIFT: u32 = 5;

/// The signs of the 1 MHz LTF symbol's time samples, `(re ≥ 0, im ≥ 0)` as ±1.
pub fn ltf_sign_ref() -> [(i8, i8); TAPS] {
    let t = symbol_time(&ltf_freq(Format::S1g1M));
    let mut r = [(0i8, 0i8); TAPS];
    for (d, v) in r.iter_mut().zip(&t) {
        *d = (
            if v.re >= 0.0 { 1 } else { -1 },
            if v.im >= 0.0 { 1 } else { -1 },
        );
    }
    r
}

/// `Σ y[at + k] · conj(s[k])` over the taps, exact.
pub fn correlate(y: &[(i16, i16)], at: usize, s: &[(i8, i8); TAPS]) -> Option<(i64, i64)> {
    let seg = y.get(at..at + TAPS)?;
    let mut c = (0i64, 0i64);
    for (v, r) in seg.iter().zip(s) {
        let (a, b) = (i64::from(v.0), i64::from(v.1));
        let (sr, si) = (i64::from(r.0), i64::from(r.1));
        c.0 += a * sr + b * si;
        c.1 += b * sr - a * si;
    }
    Some(c)
}

/// A correlation's energy as the metric sums it: `(c_re >> 5)² + (c_im >> 5)²`.
pub fn energy(c: (i64, i64)) -> i64 {
    let (r, i) = (c.0 >> METRIC_SHIFT, c.1 >> METRIC_SHIFT);
    r * r + i * i
}

/// The score of the first LTF copy starting at `y[u]`: the [`energy`] of the four copies'
/// correlations (at `u`, `u + 32`, `u + 72`, `u + 112`); `None` past the end of `y`.
pub fn metric(y: &[(i16, i16)], u: usize, s: &[(i8, i8); TAPS]) -> Option<i64> {
    let offs = ltf1_symbol_offsets(Format::S1g1M);
    offs.iter()
        .map(|&o| correlate(y, u + o - offs[0], s).map(energy))
        .sum()
}

/// `x` through the DDC's NCO and mixer with frequency word `w` (phase 0 at `x[0]`).
pub fn derotate(x: &[(i16, i16)], w: i32) -> Vec<(i16, i16)> {
    let mut d = Ddc::new(w as u32);
    let mut y = vec![(0i16, 0i16); x.len()];
    d.process(x, &mut y);
    y
}

/// Where the synchronisation puts a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sync {
    /// The frame's first STF sample.
    pub start: usize,
    /// The derotating word (the DDC's).
    pub word: i32,
    /// The winning metric.
    pub metric: i64,
}

/// Synchronises to the frame the detector found with window start `det` and correlation
/// `corr` in `x`; `None` when `x` ends before the search does.
pub fn sync(x: &[(i16, i16)], det: usize, corr: (i16, i16)) -> Option<Sync> {
    let w = word(corr.0, corr.1);
    let y = derotate(x, w);
    let s = ltf_sign_ref();
    let offs = ltf1_symbol_offsets(Format::S1g1M);
    let nominal = det + STF_LEN + offs[0];
    let lo = nominal.saturating_sub(SEARCH_EARLY);
    let mut best: Option<(usize, i64)> = None;
    for u in lo..=nominal + SEARCH_LATE {
        let m = metric(&y, u, &s)?;
        if best.is_none_or(|b| m > b.1) {
            best = Some((u, m));
        }
    }
    let (u, metric) = best?;
    let start = u.checked_sub(STF_LEN + offs[0] + BACKOFF)?;
    Some(Sync {
        start,
        word: w,
        metric,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{apply, ChannelConfig};
    use crate::frame::TxRequest;
    use crate::frontend::demap::chain::read_frame;
    use crate::frontend::detect::Detector;
    use crate::frontend::to_fixed;
    use crate::params::Mcs;
    use crate::rng::Rng;

    /// Frames through the channel model (offset ±37 kHz, fractional timing, AWGN): the
    /// detector model, this synchronisation and the models' chain on the derotated
    /// samples, against the chain from the true start with the true offset taken out —
    /// the timing error's spread, and the frames whose SIG and PSDU head come out right.
    #[test]
    fn finds_frames_through_the_channel() {
        const FRAMES: usize = 150;
        const LEN: usize = 40;
        let mut rng = Rng::new(31);
        let mut line = String::new();
        for mcs in [Mcs(0), Mcs::MCS10] {
            for snr in [2.0, 4.0, 8.0] {
                let (mut detected, mut synced_ok, mut genie_ok) = (0, 0, 0);
                let mut errs = std::collections::BTreeMap::new();
                for _ in 0..FRAMES {
                    let mut p = vec![0u8; LEN];
                    rng.fill_bytes(&mut p);
                    let mut req = TxRequest::new(p.clone(), Format::S1g1M, mcs);
                    req.scrambler_seed = 1 + rng.below(127) as u8;
                    let frame = crate::tx::modulate(&req).expect("a valid request");
                    let cfo_hz = (rng.uniform() * 2.0 - 1.0) * 37e3;
                    let cfg = ChannelConfig {
                        snr_db: Some(snr),
                        cfo_hz,
                        delay: rng.uniform(),
                        seed: rng.next_u64(),
                        ..Default::default()
                    };
                    let pad = 300;
                    let rxd = apply(&cfg, &frame, pad);
                    let truth = pad + crate::channel::Channel::new(cfg.clone()).filter_delay();
                    let mut x = Vec::new();
                    to_fixed(&rxd, 4000.0, &mut x);
                    // genie: the true start, the true offset taken out
                    let gw = (cfo_hz / 1e6 * 4_294_967_296.0).round() as i32;
                    let g = derotate(&x, -gw);
                    if let Some(r) = read_frame(&g, truth) {
                        if r.sig.candidate && r.head.starts_with(&p) {
                            genie_ok += 1;
                        }
                    }
                    // the detector, then the synchronisation
                    let mut det = Detector::new(8, crate::frontend::detect::threshold_word(0.3));
                    let span = det.span();
                    let mut found = None;
                    for (m, &v) in x.iter().enumerate() {
                        let o = det.step(v);
                        if o.detect && (m + 1) >= span {
                            found = Some((m + 1 - span, o.corr));
                            break;
                        }
                    }
                    let Some((d, corr)) = found else { continue };
                    detected += 1;
                    let Some(s) = sync(&x, d, corr) else { continue };
                    *errs.entry(s.start as i64 - truth as i64).or_insert(0) += 1;
                    let y = derotate(&x, s.word);
                    if let Some(r) = read_frame(&y, s.start) {
                        if r.sig.candidate && r.head.starts_with(&p) {
                            synced_ok += 1;
                        }
                    }
                }
                let near: usize = errs
                    .iter()
                    .filter(|(e, _)| (-3..=0).contains(*e))
                    .map(|(_, n)| n)
                    .sum();
                // the start within the guard interval for all but a stray detection
                assert!(near + 2 >= detected, "{mcs:?} {snr} dB: {errs:?}");
                if snr >= 4.0 {
                    assert_eq!(detected, FRAMES, "{mcs:?} {snr} dB");
                    assert!(synced_ok + FRAMES / 20 >= genie_ok, "{mcs:?} {snr} dB");
                }
                line += &format!(
                    "\n  {mcs:?} {snr} dB: detected {detected}, right {synced_ok} (genie {genie_ok}) of {FRAMES}; start − truth {errs:?}"
                );
            }
        }
        println!("ltf_sync:{line}");
    }
}
