//! Soft-decision Viterbi decoder for the K = 7 (133, 171) code, with depuncturing.
//!
//! Sized once for the longest PPDU; `decode` allocates nothing. Path metrics are f32, kept
//! small by subtracting the best metric every few steps; survivors are one `u64` per step
//! (one decision bit per state), traced back from the zero state the tail bits force.

use crate::bcc::{parity, G0, G1};
use crate::params::CodeRate;

const STATES: usize = 64;
const RENORM_EVERY: usize = 16;

/// Expected (A, B) output, as ±1, for state `2i` with input 0 — the butterfly's reference branch.
const BRANCH_SIGNS: [(f32, f32); 32] = {
    let mut t = [(0.0f32, 0.0f32); 32];
    let mut i = 0;
    while i < 32 {
        // register before the shift: previous state 2i (bits D1..D6 in 5..0); input 0 enters at bit 6
        let prev = (2 * i) as u8;
        let reg = prev; // input bit 0 → bit 6 clear; D1..D6 occupy bits 5..0
        let a = parity(reg & G0);
        let b = parity(reg & G1);
        t[i] = (
            if a == 1 { 1.0 } else { -1.0 },
            if b == 1 { 1.0 } else { -1.0 },
        );
        i += 1;
    }
    t
};

/// Reusable decoder.
pub struct Viterbi {
    survivors: Vec<u64>,
    mother: Vec<f32>,
}

impl Viterbi {
    /// A decoder for up to `max_bits` decoded bits (including tail).
    pub fn new(max_bits: usize) -> Self {
        Viterbi {
            survivors: vec![0; max_bits],
            mother: vec![0.0; 2 * max_bits],
        }
    }

    /// Largest number of decoded bits this decoder was sized for.
    pub fn capacity(&self) -> usize {
        self.survivors.len()
    }

    /// Decodes `n_bits` bits from punctured soft values `llr` (positive = bit 1 more likely;
    /// 0 = erasure) sent at `rate`. Decoded bits go to `out[..n_bits]`.
    ///
    /// # Panics
    /// If `n_bits` exceeds the capacity, `out` is shorter than `n_bits`, or `llr` is shorter
    /// than the punctured length of `2 * n_bits`.
    pub fn decode(&mut self, rate: CodeRate, llr: &[f32], n_bits: usize, out: &mut [u8]) {
        assert!(
            n_bits <= self.survivors.len(),
            "viterbi: {n_bits} bits over capacity"
        );
        // Depuncture into the mother-code stream.
        let pat = rate.puncture_pattern();
        let mother = &mut self.mother[..2 * n_bits];
        if pat.len() == 2 {
            mother.copy_from_slice(&llr[..2 * n_bits]);
        } else {
            let mut j = 0;
            let mut p = 0;
            for m in mother.iter_mut() {
                if pat[p] {
                    *m = llr[j];
                    j += 1;
                } else {
                    *m = 0.0;
                }
                p += 1;
                if p == pat.len() {
                    p = 0;
                }
            }
        }

        let mut metric = [f32::NEG_INFINITY; STATES];
        metric[0] = 0.0;
        let mut next = [0f32; STATES];
        for step in 0..n_bits {
            let la = mother[2 * step];
            let lb = mother[2 * step + 1];
            let mut dec = 0u64;
            for i in 0..32 {
                let (sa, sb) = BRANCH_SIGNS[i];
                let bm = sa * la + sb * lb;
                let m0 = metric[2 * i];
                let m1 = metric[2 * i + 1];
                // next state i (input 0): from 2i with +bm, from 2i+1 with -bm
                let a0 = m0 + bm;
                let a1 = m1 - bm;
                // next state i+32 (input 1): outputs complemented
                let b0 = m0 - bm;
                let b1 = m1 + bm;
                let (lo, dlo) = if a1 > a0 { (a1, 1u64) } else { (a0, 0) };
                let (hi, dhi) = if b1 > b0 { (b1, 1u64) } else { (b0, 0) };
                next[i] = lo;
                next[i + 32] = hi;
                dec |= dlo << i;
                dec |= dhi << (i + 32);
            }
            metric = next;
            self.survivors[step] = dec;
            if step % RENORM_EVERY == RENORM_EVERY - 1 {
                let best = metric.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                for m in metric.iter_mut() {
                    *m -= best;
                }
            }
        }
        // Trace back from state 0 (tail bits drive the encoder there).
        let mut state = 0usize;
        for step in (0..n_bits).rev() {
            let input = (state >> 5) as u8;
            out[step] = input;
            let d = ((self.survivors[step] >> state) & 1) as usize;
            state = ((state << 1) & 0x3F) | d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bcc::{encode, puncture};

    fn lcg_bits(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 63) as u8
            })
            .collect()
    }

    #[test]
    fn decodes_clean_streams_at_every_rate() {
        let mut v = Viterbi::new(2000);
        for rate in [
            CodeRate::R1_2,
            CodeRate::R2_3,
            CodeRate::R3_4,
            CodeRate::R5_6,
        ] {
            let mut bits = lcg_bits(600, 7);
            bits.extend_from_slice(&[0; 6]);
            let mut coded = vec![0u8; 2 * bits.len()];
            encode(&bits, &mut coded);
            let mut p = vec![0u8; coded.len()];
            let n = puncture(rate, &coded, &mut p);
            let llr: Vec<f32> = p[..n]
                .iter()
                .map(|&b| if b == 1 { 1.0 } else { -1.0 })
                .collect();
            let mut out = vec![9u8; bits.len()];
            v.decode(rate, &llr, bits.len(), &mut out);
            assert_eq!(out, bits, "{rate:?}");
        }
    }

    #[test]
    fn corrects_scattered_errors() {
        let mut v = Viterbi::new(1000);
        let mut bits = lcg_bits(400, 3);
        bits.extend_from_slice(&[0; 6]);
        let mut coded = vec![0u8; 2 * bits.len()];
        encode(&bits, &mut coded);
        let mut llr: Vec<f32> = coded
            .iter()
            .map(|&b| if b == 1 { 1.0 } else { -1.0 })
            .collect();
        // flip one coded bit in every 20 (free distance 10 corrects these easily)
        for i in (5..llr.len()).step_by(20) {
            llr[i] = -llr[i];
        }
        let mut out = vec![0u8; bits.len()];
        v.decode(CodeRate::R1_2, &llr, bits.len(), &mut out);
        assert_eq!(out, bits);
    }
}
