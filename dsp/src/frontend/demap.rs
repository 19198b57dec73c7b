//! The SID filter's demapper: the 32-point FFT's bins ([`super::fft32`]) of a 1 MHz frame's
//! LTF, SIG and data symbols into the 4-bit soft pairs its Viterbi decoder takes
//! ([`super::viterbi`]) — the fixed-point arithmetic a rust-hdl block is to follow. The
//! filter reads only BPSK rate 1/2: the SIG (repeated, like MCS 10), MCS 10 and MCS 0.
//!
//! Arithmetic (all integer; `Y` a bin of 18 bits, tone `k` at bin `k mod 32`):
//! - LTF: the four LTF symbols of LTF1 are accumulated, `A_k += L_k · Y_k` (`L_k = ±1`, the
//!   1 MHz LTF sequence, [`crate::preamble::ltf_freq`]) on the 26 used tones (21-bit sums,
//!   [`super::ltf_est`]);
//! - estimate (before the first SIG symbol): `e` = the bit length of the largest `|A|`
//!   component, `sh = 16 − e`; `H_k = A_k · 2^sh` (an arithmetic right shift when `sh < 0`),
//!   so the largest component lies in `[2¹⁵, 2¹⁶]`, whatever the signal's level;
//! - each later symbol: `Y'_k = sat₁₈(Y_k · 2^(sh + 2))` (the same scale: `A ≈ 4 Y`),
//!   `z_k = (Y'_k · conj(H_k) + 2¹⁷) >> 18` (so `|z| ≤ 2¹⁶`); the common phase from the two
//!   pilots `P = (p₋₇ z₋₇ + p₇ z₇)` with their known values `p = ±1`, each component clamped
//!   to `±(2¹⁷ − 1)` (so `P` and `−P` fit 18 bits; only both pilots at the very extreme
//!   reach `2¹⁷`)
//!   ([`crate::pilots::pilot_values`]); each data tone's soft value
//!   `d_k = Re(z_k · conj(P)) = z_re P_re + z_im P_im` — the BPSK log-likelihood up to a
//!   factor, weighted by the tone's `|H|²` as the software receiver weighs it;
//! - the 24 `d` in tone order are deinterleaved (the 24-bit 1 MHz interleaver, 8 columns,
//!   [`crate::interleaver::Interleaver`]) into coded-bit order; with repetition (SIG, MCS
//!   10) coded bit `j < 12` is `c_j ± c_{12+j}` (minus where the repetition mask flips it,
//!   [`crate::sig::REPETITION_MASK`]);
//! - quantised `q(v, s) = clamp((v + 2^(s−1)) >> s, −7, 7)` with `s` from the square of the
//!   estimate's energy (one shift per frame, [`SOFT_OFFSET`]; one more for a repetition
//!   sum): 12 pairs per symbol (MCS 0) or 6 (repetition).

use super::fft32::{Word, N};
use super::ltf_est::{accumulate, estimate, ltf_signs, scale, Estimate};
use crate::interleaver::Interleaver;
use crate::params::{bin, Format};
use crate::sig::REPETITION_MASK;

/// LTF symbols accumulated (LTF1 of the 1 MHz format has four).
pub const LTF_SYMBOLS: usize = 4;
/// `log₂` of [`LTF_SYMBOLS`]: a symbol's bins are scaled up by this much more than the
/// accumulated LTF, so `Y'` and `H` share one scale.
const LTF_SCALE: i32 = LTF_SYMBOLS.ilog2() as i32;
/// The quantiser's shift is the bit length of `(Σ|H|² >> 21)²` less this: `d ≈ |H|²·|P|`
/// with `|z| ≈ |H|² / 2¹⁸` and `|P| ≈ 2 |z|` grows as the square of the LTF's energy, so one
/// shift per frame puts a mean tone near ±4 whatever the level. Measured with
/// `noisy_frames`: 6 decodes as many frames as the floating-point decoder at MCS 0 (5 and
/// 7: up to a tenth fewer at 0–2 dB). An earlier version divided by each symbol's
/// `|P|` as well: at MCS 10 it lost a third of the frames the float decoder gets at 0 dB —
/// the pilots' magnitude says how far a symbol's phase can be trusted, and the per-symbol
/// division threw that away.
pub const SOFT_OFFSET: u32 = 6;

/// Data tones per symbol.
pub const DATA_TONES: usize = 24;

/// `v` saturated to 18-bit two's complement.
fn sat18(v: i64) -> i64 {
    v.clamp(-(1 << 17), (1 << 17) - 1)
}

/// `clamp((v + 2^(s−1)) >> s, −7, 7)`.
pub fn quantise(v: i64, s: u32) -> i8 {
    ((v + (1 << (s - 1))) >> s).clamp(-7, 7) as i8
}

/// The demapper's state for one frame.
#[derive(Debug, Clone)]
pub struct Demapper {
    ltf: [i8; N],
    data_tones: [i32; DATA_TONES],
    il: Interleaver,
    acc: [(i64, i64); N],
    ltf_count: usize,
    h: Option<Estimate>,
}

impl Default for Demapper {
    fn default() -> Self {
        Self::new()
    }
}

impl Demapper {
    /// A demapper before the frame's first LTF symbol.
    pub fn new() -> Self {
        let ltf = ltf_signs();
        let mut data_tones = [0i32; DATA_TONES];
        data_tones.copy_from_slice(Format::S1g1M.data_tones());
        Demapper {
            ltf,
            data_tones,
            il: Interleaver::new(DATA_TONES, 1, 8),
            acc: [(0, 0); N],
            ltf_count: 0,
            h: None,
        }
    }

    /// A demapper for a frame whose estimate is made (the soft-value block's view: the
    /// estimator is a block of its own, [`super::ltf_est`]).
    pub fn with_estimate(est: Estimate) -> Self {
        let mut dm = Self::new();
        dm.h = Some(est);
        dm
    }

    /// Adds an LTF symbol's bins to the channel estimate.
    pub fn ltf(&mut self, bins: &[Word; N]) {
        for (k, &y) in bins.iter().enumerate() {
            accumulate(&mut self.acc, &self.ltf, k, y, self.ltf_count == 0);
        }
        self.ltf_count += 1;
    }

    /// The normalised estimate ([`super::ltf_est::estimate`]), made once from the
    /// accumulated LTF.
    fn estimate(&mut self) -> Estimate {
        if let Some(e) = self.h {
            return e;
        }
        let e = estimate(&self.acc);
        self.h = Some(e);
        e
    }

    /// The `d` values of a symbol's data tones, in tone order, with pilot values `pilots`
    /// (for tones −7 and +7), and the quantiser shift for them.
    pub fn tone_values(&mut self, bins: &[Word; N], pilots: [i8; 2]) -> ([i64; DATA_TONES], u32) {
        let est = self.estimate();
        let z = |k: i32| {
            let b = bin(k, N);
            let y = (
                sat18(scale(i64::from(bins[b].0), est.sh + LTF_SCALE)),
                sat18(scale(i64::from(bins[b].1), est.sh + LTF_SCALE)),
            );
            let (hr, hi) = est.h[b];
            (
                (y.0 * hr + y.1 * hi + (1 << 17)) >> 18,
                (y.1 * hr - y.0 * hi + (1 << 17)) >> 18,
            )
        };
        let (zm, zp) = (z(-7), z(7));
        let (p0, p1) = (i64::from(pilots[0]), i64::from(pilots[1]));
        let lim = (1 << 17) - 1;
        let p = (
            (p0 * zm.0 + p1 * zp.0).clamp(-lim, lim),
            (p0 * zm.1 + p1 * zp.1).clamp(-lim, lim),
        );
        let mut d = [0i64; DATA_TONES];
        for (o, &k) in d.iter_mut().zip(&self.data_tones) {
            let zk = z(k);
            *o = zk.0 * p.0 + zk.1 * p.1;
        }
        // d ≈ |H_k|² |P| x, |P| ≈ 2 mean |H|² / 2¹⁸: one shift per frame from the energy
        let shift = est.square_bits.saturating_sub(SOFT_OFFSET).max(1);
        (d, shift)
    }

    /// A SIG or data symbol's soft values before quantising, in coded-bit order (12 with
    /// `repetition`, else 24), and the quantiser's shift for them.
    pub fn soft_values(
        &mut self,
        bins: &[Word; N],
        pilots: [i8; 2],
        repetition: bool,
    ) -> (Vec<i64>, u32) {
        let (d, shift) = self.tone_values(bins, pilots);
        let mut c = [0i64; DATA_TONES];
        self.il.deinterleave(&d, &mut c);
        if repetition {
            let v = (0..12)
                .map(|j| {
                    if REPETITION_MASK[j] == 1 {
                        c[j] - c[12 + j]
                    } else {
                        c[j] + c[12 + j]
                    }
                })
                .collect();
            (v, shift + 1)
        } else {
            (c.to_vec(), shift)
        }
    }

    /// A SIG or data symbol's soft pairs: 6 with `repetition` (SIG, MCS 10), else 12.
    pub fn symbol(&mut self, bins: &[Word; N], pilots: [i8; 2], repetition: bool) -> Vec<(i8, i8)> {
        let (v, shift) = self.soft_values(bins, pilots, repetition);
        v.chunks_exact(2)
            .map(|p| (quantise(p[0], shift), quantise(p[1], shift)))
            .collect()
    }
}

/// A 1 MHz frame's samples through the front's models as the filter will take them, from a
/// known start (the first STF sample at `start`, no frequency offset): the four LTF
/// symbols, the six SIG symbols, then the data symbols the SIG reader asks for.
pub mod chain {
    use super::*;
    use crate::frontend::fft32::transform;
    use crate::frontend::psdu_head::head_bytes;
    use crate::frontend::sig_parse::{read, SigInfo};
    use crate::frontend::viterbi::decode_block;
    use crate::pilots::{pilot_values, Field};
    use crate::preamble::{ltf1_symbol_offsets, STF_LEN};

    /// Samples from the frame's start to its first SIG symbol (STF and LTF1).
    pub const SIG_START: usize = 2 * STF_LEN;
    /// Samples of a symbol with its (long) guard interval.
    pub const SYMBOL: usize = 40;
    /// SIG symbols.
    pub const SIG_SYMBOLS: usize = 6;

    /// What the chain read of a frame.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ChainResult {
        /// The SIG as the reader read it.
        pub sig: SigInfo,
        /// The PSDU head's bytes (when the SIG is a candidate).
        pub head: Vec<u8>,
    }

    /// The FFT ([`transform`]) of the 32 samples of `x` from `at`; `None` past its end.
    pub fn bins_at(x: &[(i16, i16)], at: usize) -> Option<[Word; N]> {
        let s = x.get(at..at + N)?;
        let mut sym = [(0i16, 0i16); N];
        sym.copy_from_slice(s);
        Some(transform(&sym))
    }

    /// The bins of the frame's (from `start`) SIG symbol `s` (`sig`) or data symbol `s`.
    pub fn field_bins(x: &[(i16, i16)], start: usize, sig: bool, s: usize) -> Option<[Word; N]> {
        let first = if sig { 0 } else { SIG_SYMBOLS };
        bins_at(x, start + SIG_START + SYMBOL * (first + s) + 8)
    }

    /// A demapper with the frame's (from `start`) four LTF symbols accumulated.
    pub fn ltf_demapper(x: &[(i16, i16)], start: usize) -> Option<Demapper> {
        let mut dm = Demapper::new();
        for &off in ltf1_symbol_offsets(Format::S1g1M) {
            dm.ltf(&bins_at(x, start + STF_LEN + off)?);
        }
        Some(dm)
    }

    /// The pilot values of symbol `n` of `field`, for tones −7 and +7.
    pub fn pilots(field: Field, n: usize) -> [i8; 2] {
        let mut p = [0f32; 2];
        pilot_values(Format::S1g1M, field, n, &mut p);
        [p[0] as i8, p[1] as i8]
    }

    /// Runs the chain on `x` (16-bit samples) from `start`; `None` when the samples end
    /// before the symbols the SIG asks for.
    pub fn read_frame(x: &[(i16, i16)], start: usize) -> Option<ChainResult> {
        let mut dm = ltf_demapper(x, start)?;
        let mut pairs = Vec::new();
        for s in 0..SIG_SYMBOLS {
            let bins = field_bins(x, start, true, s)?;
            pairs.extend(dm.symbol(&bins, pilots(Field::Sig, s), true));
        }
        let bits = decode_block(&pairs, true);
        let reg = bits
            .iter()
            .take(30)
            .enumerate()
            .fold(0u32, |r, (j, &b)| r | (u32::from(b) << j));
        let sig = read(reg);
        if !sig.candidate {
            return Some(ChainResult {
                sig,
                head: Vec::new(),
            });
        }
        let repetition = sig.mcs == 10;
        let steps = usize::from(sig.steps);
        let mut pairs = Vec::new();
        let mut s = 0;
        while pairs.len() < steps {
            let bins = field_bins(x, start, false, s)?;
            pairs.extend(dm.symbol(&bins, pilots(Field::Data, s), repetition));
            s += 1;
        }
        pairs.truncate(steps);
        let bits = decode_block(&pairs, sig.zero);
        Some(ChainResult {
            sig,
            head: head_bytes(&bits),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::chain::read_frame;
    use super::*;
    use crate::frame::TxRequest;
    use crate::frontend::psdu_head::HEAD_BYTES;
    use crate::frontend::to_fixed;
    use crate::params::Mcs;
    use crate::rng::Rng;
    use num_complex::Complex32;

    /// A frame at rms `level` (of 32767) with white noise at `snr_db`, as 16-bit samples,
    /// 64 samples of silence (plus the noise) after it.
    fn frame(
        psdu: &[u8],
        mcs: Mcs,
        seed: u8,
        snr_db: Option<f64>,
        level: f32,
        rng: &mut Rng,
    ) -> Vec<(i16, i16)> {
        let mut req = TxRequest::new(psdu.to_vec(), Format::S1g1M, mcs);
        req.scrambler_seed = seed;
        let mut x = crate::tx::modulate(&req).unwrap();
        x.extend(std::iter::repeat_n(Complex32::new(0.0, 0.0), 64));
        if let Some(snr) = snr_db {
            let sigma = (0.5 / 10f64.powf(snr / 10.0)).sqrt();
            for v in x.iter_mut() {
                *v += Complex32::new((rng.normal() * sigma) as f32, (rng.normal() * sigma) as f32);
            }
        }
        let mut out = Vec::new();
        to_fixed(&x, level, &mut out);
        out
    }

    fn psdu(len: usize, rng: &mut Rng) -> Vec<u8> {
        let mut p = vec![0u8; len];
        rng.fill_bytes(&mut p);
        p
    }

    /// Clean frames of every length up to past the head, MCS 0 and 10, at three levels:
    /// the SIG read right and the head equal to the PSDU's first bytes — the front's models
    /// and the back half's agree with the transmitter on every field boundary (SERVICE,
    /// pad, tail, pilots, interleaver, repetition).
    #[test]
    fn clean_frames_read_exactly() {
        let mut rng = Rng::new(21);
        let mut frames = 0;
        for mcs in [Mcs(0), Mcs::MCS10] {
            for len in (0..70).step_by(3) {
                for level in [300.0f32, 4000.0, 12000.0] {
                    let p = psdu(len, &mut rng);
                    let seed = 1 + rng.below(127) as u8;
                    let x = frame(&p, mcs, seed, None, level, &mut rng);
                    let r = read_frame(&x, 0).expect("the whole frame is there");
                    assert!(
                        r.sig.crc_ok && r.sig.candidate,
                        "{mcs:?} len {len}: {:?}",
                        r.sig
                    );
                    assert_eq!(usize::from(r.sig.length), len);
                    assert_eq!(r.sig.mcs, mcs.0);
                    let n = len.min(HEAD_BYTES);
                    assert_eq!(&r.head[..n], &p[..n], "{mcs:?} len {len} level {level}");
                    frames += 1;
                }
            }
        }
        println!("demap chain: {frames} clean frames read exactly");
    }

    /// Frames through white noise: the share whose SIG and PSDU head come out right, per
    /// SNR — measured, and asserted where the code has margin. Beside it, the same soft
    /// values unquantised into the floating-point decoder (`dsp::viterbi`): what the 4-bit
    /// soft values and their scaling cost.
    #[test]
    fn noisy_frames() {
        use super::chain::{field_bins, ltf_demapper, pilots};
        use crate::frontend::psdu_head::{head_bytes, SERVICE_BITS};
        use crate::frontend::viterbi::decode_block;
        use crate::params::CodeRate;
        use crate::pilots::Field;
        let mut rng = Rng::new(22);
        let mut viterbi = crate::viterbi::Viterbi::new(600);
        const FRAMES: usize = 200;
        const LEN: usize = 40;
        for mcs in [Mcs(0), Mcs::MCS10] {
            let rep = mcs == Mcs::MCS10;
            let n_dbps = if rep { 6 } else { 12 };
            let steps = (SERVICE_BITS + 8 * LEN + 6).div_ceil(n_dbps) * n_dbps;
            let mut line = format!("demap {mcs:?}, {LEN}-byte PSDU, frames right of {FRAMES}, fixed (chain) / fixed (data field) / float:");
            for snr in [-2.0, 0.0, 2.0, 4.0, 6.0, 8.0] {
                let (mut chain_ok, mut fixed_ok, mut float_ok) = (0, 0, 0);
                for _ in 0..FRAMES {
                    let p = psdu(LEN, &mut rng);
                    let seed = 1 + rng.below(127) as u8;
                    let x = frame(&p, mcs, seed, Some(snr), 4000.0, &mut rng);
                    if let Some(r) = read_frame(&x, 0) {
                        if r.sig.candidate
                            && usize::from(r.sig.length) == LEN
                            && r.head.starts_with(&p)
                        {
                            chain_ok += 1;
                        }
                    }
                    // the data field alone, its length known
                    let mut dm = ltf_demapper(&x, 0).expect("the whole frame is there");
                    let (mut pairs, mut llr) = (Vec::new(), Vec::new());
                    let mut s = 0;
                    while pairs.len() < steps {
                        let bins = field_bins(&x, 0, false, s).expect("the whole frame is there");
                        let (v, shift) = dm.soft_values(&bins, pilots(Field::Data, s), rep);
                        for q in v.chunks_exact(2) {
                            pairs.push((quantise(q[0], shift), quantise(q[1], shift)));
                            llr.extend([q[0] as f32, q[1] as f32]);
                        }
                        s += 1;
                    }
                    let bits = decode_block(&pairs[..steps], true);
                    if head_bytes(&bits).starts_with(&p) {
                        fixed_ok += 1;
                    }
                    let mut out = vec![0u8; steps];
                    viterbi.decode(CodeRate::R1_2, &llr[..2 * steps], steps, &mut out);
                    if head_bytes(&out).starts_with(&p) {
                        float_ok += 1;
                    }
                }
                line += &format!(" {snr} dB {chain_ok}/{fixed_ok}/{float_ok};");
                if snr >= 4.0 {
                    // within 5 % of the float decoder on the same values, and the chain
                    // (SIG included) within 1 % of the data field alone
                    assert!(fixed_ok + FRAMES / 20 >= float_ok, "{line}");
                    assert!(chain_ok + FRAMES / 100 >= fixed_ok, "{line}");
                }
                if snr >= 6.0 {
                    assert!(fixed_ok >= FRAMES * 95 / 100, "{line}");
                }
            }
            println!("{line}");
        }
    }
}
