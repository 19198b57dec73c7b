//! The SID filter's soft-value block: one SIG or data symbol's FFT bins and the frame's LTF
//! estimate ([`super::ltf_est`]) into the soft pairs the Viterbi decoder takes
//! ([`super::viterbi`]) — the arithmetic of [`super::demap::Demapper::symbol`], serial, one
//! 18 × 18 product per clock. Clock for clock the rust-hdl block
//! `subgate_gateware::soft::SoftDemap`; the values are the demapper model's own.
//!
//! - bins (`index`, `re`, `im`, 18-bit, as the FFT gives them) are written to a 32-entry
//!   buffer while the block is idle (ignored while busy);
//! - `start` (taken when idle) with the symbol's two pilot values, whether the field repeats
//!   (SIG, MCS 10), the estimate's `sh` and `square_bits`: the block runs [`OPS`] operations
//!   of [`OP_CLOCKS`] clocks each — the pilots at −7 and +7, then the 24 data tones in the
//!   order the decoder takes their coded bits ([`ops`]): each reads its bin and `H` (over the
//!   estimator's read port: address on one clock, data on the next), forms `z` with four
//!   products, then adds `±z` to `P` (a pilot) or `±Re(z conj P)` to the value (two more
//!   products); a value's last operation quantises it;
//! - a pair is offered (`out_valid`) from the clock after the operation that completes it,
//!   and taken on the first clock from then on with `out_ready` (the decoder's `ready`);
//!   the next operation starts the clock after. The block is idle again the
//!   clock after its last pair (6 with repetition, else 12) is taken.

use super::demap::{Demapper, DATA_TONES};
use super::fft32::N;
use super::ltf_est::Estimate;
use crate::params::{bin, Format};
use crate::rng::{splitmix64, Rng};
use crate::sig::REPETITION_MASK;

/// Clocks of one operation: read; the bin scaled one bit per clock (up to 18 shifts, the
/// largest `sh + 2`); four products for `z`, two for `d`; the quantiser's shift one bit per
/// clock (up to 30, for the largest `square_bits`). The first version shifted each in one
/// clock (12-clock operations): 59.2 MHz placed; one bit per clock, 108 MHz (about as many
/// LUTs). A symbol's 26 operations take 1586 clocks of the 4000 a 1 MHz symbol lasts at
/// 100 MHz.
pub const OP_CLOCKS: u64 = 61;
/// Operations per symbol: two pilots, 24 data tones.
pub const OPS: usize = 2 + DATA_TONES;
/// The pilot tones, in the order the block reads them.
pub const PILOT_TONES: [i32; 2] = [-7, 7];

/// One operation of the block's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    /// The bin read.
    pub bin: u8,
    /// Subtracted instead of added (a repetition's flipped copy; for the pilots the pilot
    /// value gives the sign).
    pub negate: bool,
    /// The last operation of a soft value: quantise it.
    pub end_value: bool,
    /// The last operation of a pair: offer it.
    pub end_pair: bool,
}

/// The schedule for a symbol with or without repetition: the pilots, then coded bits
/// `0, 1, 2, …` (tone `data_tones[perm]` of the 1 MHz deinterleaver); with repetition each
/// value `j < 12` reads coded bits `j` and `12 + j`, the second negated where
/// [`REPETITION_MASK`] flips it.
pub fn ops(repetition: bool) -> [Op; OPS] {
    let tones = Format::S1g1M.data_tones();
    let il = crate::interleaver::Interleaver::new(DATA_TONES, 1, 8);
    let order: Vec<usize> = (0..DATA_TONES).collect();
    let mut coded = [0usize; DATA_TONES];
    il.deinterleave(&order, &mut coded);
    let tone_bin = |j: usize| bin(tones[coded[j]], N) as u8;
    let mut out = [Op {
        bin: 0,
        negate: false,
        end_value: false,
        end_pair: false,
    }; OPS];
    for (o, &t) in out.iter_mut().zip(&PILOT_TONES) {
        o.bin = bin(t, N) as u8;
    }
    for (m, o) in out[2..].iter_mut().enumerate() {
        *o = if repetition {
            // value v = m / 2 (pair v / 2), its first or second copy
            let (v, second) = (m / 2, m % 2 == 1);
            Op {
                bin: tone_bin(if second { 12 + v } else { v }),
                negate: second && REPETITION_MASK[v] == 1,
                end_value: second,
                end_pair: m % 4 == 3,
            }
        } else {
            Op {
                bin: tone_bin(m),
                negate: false,
                end_value: true,
                end_pair: m % 2 == 1,
            }
        };
    }
    out
}

/// Whether the decoder is ready on `clock` in the tests' stimulus: in blocks of 1024 clocks
/// either always, or on about one clock in four (a SplitMix64 hash of the clock, so the
/// Verilator testbench computes the same).
pub fn ready_at(clock: u64) -> bool {
    splitmix64(clock >> 10) & 1 == 1 || splitmix64(clock) & 3 == 0
}

/// The clocks a symbol's pairs are taken on when `start` is taken on clock `c`, with the
/// decoder ready on the clocks `ready` says.
pub fn schedule(c: u64, repetition: bool, ready: impl Fn(u64) -> bool) -> Vec<u64> {
    let mut taken = Vec::new();
    let mut b = c + 1;
    for op in ops(repetition) {
        b += OP_CLOCKS;
        if op.end_pair {
            while !ready(b) {
                b += 1;
            }
            taken.push(b);
            b += 1;
        }
    }
    taken
}

/// One clock of the block's input (the decoder's `ready` is [`ready_at`] the clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftClock {
    /// Nothing (junk on the inputs).
    Idle,
    /// A bin (ignored while busy).
    Bin {
        /// Its index.
        index: u8,
        /// Real part (18-bit).
        re: i32,
        /// Imaginary part.
        im: i32,
    },
    /// Start a symbol, with estimate `est` of the stimulus on the estimate inputs and the
    /// read port from this clock on.
    Start {
        /// The pilot values at −7 and +7 (±1).
        pilots: [i8; 2],
        /// The field repeats (SIG, MCS 10).
        repetition: bool,
        /// Index into [`Stimulus::estimates`].
        est: usize,
    },
}

/// A test stimulus: the clocks and the estimates they refer to.
#[derive(Debug, Clone)]
pub struct Stimulus {
    /// One entry per clock.
    pub clocks: Vec<SoftClock>,
    /// The LTF estimates the starts name.
    pub estimates: Vec<Estimate>,
}

/// One pair as the block gives it: the clock it is taken on, and its two values.
pub type Pair = (u64, i8, i8);

/// What the block gives for `stim`: every pair, on the clock it is taken.
pub fn expected(stim: &Stimulus) -> Vec<Pair> {
    let mut buf = [(0i32, 0i32); N];
    let mut idle_from = 0u64;
    let mut out = Vec::new();
    for (c, x) in stim.clocks.iter().enumerate() {
        let c = c as u64;
        if c < idle_from {
            continue;
        }
        match *x {
            SoftClock::Idle => {}
            SoftClock::Bin { index, re, im } => buf[usize::from(index) % N] = (re, im),
            SoftClock::Start {
                pilots,
                repetition,
                est,
            } => {
                let mut dm = Demapper::with_estimate(stim.estimates[est]);
                let pairs = dm.symbol(&buf, pilots, repetition);
                let clocks = schedule(c, repetition, ready_at);
                idle_from = clocks.last().map_or(c + 1, |&w| w + 1);
                out.extend(clocks.iter().zip(&pairs).map(|(&w, p)| (w, p.0, p.1)));
            }
        }
    }
    out
}

/// Test stimulus: `frames` frames, each with an estimate from random LTF accumulators (a
/// level from a few LSB to full scale, now and then the extreme ±2²⁰, or the corner where
/// the pilots' sum reaches 2¹⁷ and is clamped) and 1–12 symbols —
/// bins of the estimate's channel times ±1 plus noise at a level of their own (so the
/// scaled bins also saturate), or random bins; SIG-like (repetition) or not; random pilots.
/// Bins come in index order on consecutive clocks; now and then a junk bin while the block
/// is busy, which it must ignore.
pub fn stimulus(frames: usize, seed: u64) -> Stimulus {
    let mut rng = Rng::new(seed);
    let mut clocks = Vec::new();
    let mut estimates = Vec::new();
    for _ in 0..frames {
        let bits = 3 + rng.below(18) as u32;
        let extreme = rng.below(12) == 0;
        // the corner where P reaches 2¹⁷: H = (−2¹⁶, −2¹⁶) everywhere (sh = −1), bins at
        // full scale, both pilots of one sign
        let corner = rng.below(16) == 0;
        let mut acc = [(0i64, 0i64); N];
        for a in acc.iter_mut() {
            let m = 1i64 << bits;
            *a = if corner {
                (-(1 << 17) + 1, -(1 << 17) + 1)
            } else if extreme {
                let pick = |r: u64| {
                    if r & 1 == 1 {
                        (1 << 20) - 1
                    } else {
                        -(1 << 20)
                    }
                };
                (pick(rng.next_u64()), pick(rng.next_u64()))
            } else {
                (
                    rng.below(2 * m as u64) as i64 - m,
                    rng.below(2 * m as u64) as i64 - m,
                )
            };
        }
        let est = super::ltf_est::estimate(&acc);
        estimates.push(est);
        for _ in 0..1 + rng.below(12) {
            for _ in 0..rng.below(60) {
                clocks.push(SoftClock::Idle);
            }
            let level = 1 + rng.below(17) as u32; // bins up to 2^level / 2^16 of H
            let random = rng.below(5) == 0;
            let clamp = |v: i64| v.clamp(-(1 << 17), (1 << 17) - 1) as i32;
            for (k, a) in acc.iter().enumerate() {
                let (re, im) = if corner {
                    let v = if k % 3 == 0 {
                        (1 << 17) - 1
                    } else {
                        -(1 << 17)
                    };
                    (v, v)
                } else if random {
                    let m = 1u64 << level.min(17);
                    (
                        clamp(rng.below(2 * m + 1) as i64 - m as i64),
                        clamp(rng.below(2 * m + 1) as i64 - m as i64),
                    )
                } else {
                    let s = if rng.below(2) == 0 { 1 } else { -1 };
                    let noise = |rng: &mut Rng| rng.below(65) as i64 - 32;
                    let sc = |v: i64| super::ltf_est::scale(v, level as i32 - bits as i32);
                    (
                        clamp(s * sc(a.0) + noise(&mut rng)),
                        clamp(s * sc(a.1) + noise(&mut rng)),
                    )
                };
                clocks.push(SoftClock::Bin {
                    index: k as u8,
                    re,
                    im,
                });
            }
            let repetition = rng.below(2) == 0;
            let pm = |r: u64| if r & 1 == 1 { -1 } else { 1 };
            let mut pilots = [pm(rng.next_u64()), pm(rng.next_u64())];
            if corner {
                pilots[1] = pilots[0];
            }
            let c = clocks.len() as u64;
            clocks.push(SoftClock::Start {
                pilots,
                repetition,
                est: estimates.len() - 1,
            });
            let last = *schedule(c, repetition, ready_at).last().unwrap_or(&c);
            while (clocks.len() as u64) <= last {
                if rng.below(50) == 0 {
                    let r = rng.next_u64();
                    clocks.push(SoftClock::Bin {
                        index: (r & 31) as u8,
                        re: ((r >> 8) & 0x3FFFF) as i32 - (1 << 17),
                        im: ((r >> 28) & 0x3FFFF) as i32 - (1 << 17),
                    });
                } else {
                    clocks.push(SoftClock::Idle);
                }
            }
        }
    }
    for _ in 0..4 {
        clocks.push(SoftClock::Idle);
    }
    Stimulus { clocks, estimates }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::fft32::Word;

    /// The bins `stim` leaves in the buffer before clock `c` (every symbol writes all 32, so
    /// the junk written while busy never survives to a start).
    fn buffer_at(stim: &Stimulus, c: usize) -> [Word; N] {
        let mut buf = [(0, 0); N];
        for x in &stim.clocks[..c] {
            if let SoftClock::Bin { index, re, im } = *x {
                buf[usize::from(index) % N] = (re, im);
            }
        }
        buf
    }

    /// The schedule reads every data tone once per symbol (twice over the two copies with
    /// repetition: each of the 24 once), both pilots first, and ends values and pairs
    /// where the decoder's pairs end.
    #[test]
    fn schedule_covers_every_tone_once() {
        let data: std::collections::BTreeSet<u8> = Format::S1g1M
            .data_tones()
            .iter()
            .map(|&t| bin(t, N) as u8)
            .collect();
        for rep in [false, true] {
            let o = ops(rep);
            assert_eq!((o[0].bin, o[1].bin), (25, 7));
            let seen: std::collections::BTreeSet<u8> = o[2..].iter().map(|x| x.bin).collect();
            assert_eq!(seen, data, "rep {rep}");
            let values = o.iter().filter(|x| x.end_value).count();
            let pairs = o.iter().filter(|x| x.end_pair).count();
            assert_eq!((values, pairs), if rep { (12, 6) } else { (24, 12) });
            assert!(o[OPS - 1].end_pair && o[OPS - 1].end_value);
        }
        assert_eq!(ops(true).iter().filter(|x| x.negate).count(), 6);
    }

    /// The corner the block's 18-bit `P` needs the clamp for: `H = (−2¹⁶, −2¹⁶)` and bins
    /// saturated give `z = (2¹⁶, 0)` on every tone, so both pilots sum to 2¹⁷; clamped,
    /// each `d` is `2¹⁶ · (2¹⁷ − 1)`.
    #[test]
    fn pilot_sum_is_clamped_at_the_corner() {
        let est = crate::frontend::ltf_est::estimate(&[(-(1 << 17) + 1, -(1 << 17) + 1); N]);
        assert_eq!((est.sh, est.h[7]), (-1, (-(1 << 16), -(1 << 16))));
        let mut dm = Demapper::with_estimate(est);
        let (d, _) = dm.tone_values(&[(-(1 << 17), -(1 << 17)); N], [1, 1]);
        assert!(d.iter().all(|&v| v == (1 << 16) * ((1 << 17) - 1)), "{d:?}");
    }

    /// The model's pairs are the demapper's for the same bins, and every start gives its
    /// pairs in order on clocks where the decoder is ready.
    #[test]
    fn expected_follows_the_demapper() {
        let stim = stimulus(40, 5);
        let got = expected(&stim);
        let starts: Vec<usize> = stim
            .clocks
            .iter()
            .enumerate()
            .filter(|(_, x)| matches!(x, SoftClock::Start { .. }))
            .map(|(c, _)| c)
            .collect();
        let mut at = 0;
        let mut saturated = 0;
        for &c in &starts {
            let SoftClock::Start {
                pilots,
                repetition,
                est,
            } = stim.clocks[c]
            else {
                unreachable!()
            };
            let buf = buffer_at(&stim, c);
            let mut dm = Demapper::with_estimate(stim.estimates[est]);
            let want = dm.symbol(&buf, pilots, repetition);
            for p in &want {
                assert!(ready_at(got[at].0) && got[at].0 > c as u64);
                assert_eq!((got[at].1, got[at].2), *p);
                saturated += usize::from(p.0.abs() == 7) + usize::from(p.1.abs() == 7);
                at += 1;
            }
        }
        assert_eq!(at, got.len());
        println!(
            "soft: {} starts, {} pairs, {saturated} values at ±7",
            starts.len(),
            got.len()
        );
        assert!(saturated > 0 && saturated < 2 * got.len());
    }
}
