//! The SID filter's LTF channel estimator: the first block of the demapper
//! ([`super::demap`], whose module documentation gives the arithmetic): the FFT's bins of
//! the four LTF symbols accumulated against the LTF sequence, then on `start` the
//! normalised estimate `H` and the soft values' scale. Bit for bit and clock for clock the
//! rust-hdl block `subgate_gateware::ltf_est::LtfEst`.
//!
//! - a bin (`index`, `re`, `im`, 18-bit) is added to its accumulator times the LTF value of
//!   its tone (`±1`, 0 off the 26 used tones), or replaces it when `first` (the frame's
//!   first LTF symbol); 21-bit accumulators (four bins of ±2¹⁷ reach 2¹⁹). Bins come as the FFT gives them: one symbol's
//!   bins on consecutive clocks, never the same index on two consecutive clocks;
//! - `start` (the caller waits for `done` before the next bin or `start`): one pass ORs the
//!   accumulators' magnitudes (the bit length of the OR is that of the largest), `sh = 16 −
//!   e`; a second pass writes `H = A · 2^sh` over them and sums `|H|²`; then `(Σ|H|² >>
//!   21)²`'s bit length;
//! - timing (clock `c` = the clock `start` is taken): `done`, `sh` and `square_bits` at the
//!   outputs at `c + `[`DONE`]; from then `H_k` can be read over the read port (address
//!   on one clock, data at the next).

use super::fft32::{Word, N};
use crate::params::Format;
use crate::preamble::ltf_freq;

/// Clocks from `start` to `done`.
pub const DONE: u64 = 71;

/// The 1 MHz LTF value of each bin (`±1`, 0 off the used tones).
pub fn ltf_signs() -> [i8; N] {
    let mut l = [0i8; N];
    for (d, v) in l.iter_mut().zip(ltf_freq(Format::S1g1M)) {
        *d = v.re as i8;
    }
    l
}

/// Bits needed to write `v` (0 for 0).
pub fn bit_length(v: u64) -> u32 {
    64 - v.leading_zeros()
}

/// `v · 2^s`, an arithmetic right shift for negative `s`.
pub fn scale(v: i64, s: i32) -> i64 {
    if s >= 0 {
        v << s
    } else {
        v >> -s
    }
}

/// Adds (or, `first`, writes) bin `k`'s value times its LTF sign to its accumulator.
pub fn accumulate(acc: &mut [(i64, i64); N], signs: &[i8; N], k: usize, y: Word, first: bool) {
    let l = i64::from(signs[k]);
    let (r, i) = (l * i64::from(y.0), l * i64::from(y.1));
    acc[k] = if first {
        (r, i)
    } else {
        (acc[k].0 + r, acc[k].1 + i)
    };
}

/// The estimate made from the accumulators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// `H_k = A_k · 2^sh`.
    pub h: [(i64, i64); N],
    /// The shift, `16 − bitlen(max |A| component)` (−4..16).
    pub sh: i32,
    /// `bitlen((Σ|H|² >> 21)²)`.
    pub square_bits: u32,
}

/// The estimate from the accumulators `acc`.
pub fn estimate(acc: &[(i64, i64); N]) -> Estimate {
    let or = acc
        .iter()
        .fold(0u64, |o, a| o | a.0.unsigned_abs() | a.1.unsigned_abs());
    let sh = 16 - bit_length(or) as i32;
    let mut h = [(0i64, 0i64); N];
    for (d, a) in h.iter_mut().zip(acc) {
        *d = (scale(a.0, sh), scale(a.1, sh));
    }
    let energy: i64 = h.iter().map(|v| v.0 * v.0 + v.1 * v.1).sum();
    // Σ|H|² < 32 · 2 · 2³² = 2³⁸: the top 17 bits, squared (an 18-bit product)
    let es = (energy >> 21).unsigned_abs();
    Estimate {
        h,
        sh,
        square_bits: bit_length(es * es),
    }
}

/// One clock of the block's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EstClock {
    /// Nothing (junk on the bin inputs, `in_valid` low).
    Idle,
    /// A bin.
    Bin {
        /// Its index.
        index: u8,
        /// Real part (18-bit).
        re: i32,
        /// Imaginary part.
        im: i32,
        /// The frame's first LTF symbol: replace instead of adding.
        first: bool,
    },
    /// Make the estimate.
    Start,
}

/// What the block gives for `clocks`: `(clock of done, estimate)` per `start`.
pub fn expected(clocks: &[EstClock]) -> Vec<(u64, Estimate)> {
    let signs = ltf_signs();
    let mut acc = [(0i64, 0i64); N];
    let mut out = Vec::new();
    for (c, x) in clocks.iter().enumerate() {
        match *x {
            EstClock::Idle => {}
            EstClock::Bin {
                index,
                re,
                im,
                first,
            } => accumulate(&mut acc, &signs, usize::from(index) % N, (re, im), first),
            EstClock::Start => {
                let e = estimate(&acc);
                // pass 2 writes H over the accumulators
                acc = e.h;
                out.push((c as u64 + DONE, e));
            }
        }
    }
    out
}

/// Test stimulus: `frames` frames of four LTF symbols' bins (the first with `first`) as the
/// FFT gives them — 32 consecutive clocks, 100–200 idle clocks between symbols — at random
/// levels from a few LSB to full scale (and now and then the extreme ±2¹⁷), then `start`
/// and [`DONE`] + 40 idle clocks (the testbenches read `H` over the port then).
pub fn stimulus(frames: usize, seed: u64) -> Vec<EstClock> {
    let mut rng = crate::rng::Rng::new(seed);
    let mut clocks = Vec::new();
    for _ in 0..frames {
        let bits = 3 + rng.below(15) as u32; // magnitudes up to 2^bits
        let extreme = rng.below(10) == 0;
        // a channel: a value per bin, the symbols that value plus a little noise
        let base: Vec<(i64, i64)> = (0..N)
            .map(|_| {
                let m = 1i64 << bits;
                (
                    rng.below(2 * m as u64) as i64 - m,
                    rng.below(2 * m as u64) as i64 - m,
                )
            })
            .collect();
        for sym in 0..4 {
            for _ in 0..100 + rng.below(100) {
                clocks.push(EstClock::Idle);
            }
            for (k, b) in base.iter().enumerate() {
                let noise = |rng: &mut crate::rng::Rng| rng.below(9) as i64 - 4;
                let clamp = |v: i64| v.clamp(-(1 << 17), (1 << 17) - 1) as i32;
                let (re, im) = if extreme {
                    let pick = |r: u64| {
                        if r & 1 == 1 {
                            (1 << 17) - 1
                        } else {
                            -(1 << 17)
                        }
                    };
                    (pick(rng.next_u64()), pick(rng.next_u64()))
                } else {
                    (clamp(b.0 + noise(&mut rng)), clamp(b.1 + noise(&mut rng)))
                };
                clocks.push(EstClock::Bin {
                    index: k as u8,
                    re,
                    im,
                    first: sym == 0,
                });
            }
        }
        clocks.push(EstClock::Start);
        for _ in 0..DONE + 40 {
            clocks.push(EstClock::Idle);
        }
    }
    clocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_are_normalised_and_within_their_words() {
        let stim = stimulus(300, 4);
        let got = expected(&stim);
        assert_eq!(got.len(), 300);
        let mut shifts = std::collections::BTreeSet::new();
        for (_, e) in &got {
            let max =
                e.h.iter()
                    .map(|v| v.0.unsigned_abs().max(v.1.unsigned_abs()))
                    .max()
                    .unwrap_or(0);
            // the largest component in [2¹⁵, 2¹⁶] (2¹⁶ only from −2^(e−1) · 2^sh)
            assert!((1 << 15..=1 << 16).contains(&max), "{max} sh {}", e.sh);
            assert!(e.square_bits <= 36);
            shifts.insert(e.sh);
        }
        println!("ltf_est: shifts seen {shifts:?}");
        assert!(shifts.contains(&-4) && shifts.len() > 8, "{shifts:?}");
    }
}
