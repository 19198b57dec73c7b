//! Serial soft-decision Viterbi decoder for the line-rate SID filter (docs/gateware.md): the
//! K = 7 (133, 171) code at rate 1/2 — what beacons and probe requests are sent with (MCS 0,
//! and MCS 10 after its repetition is combined) — in the fixed-point arithmetic of the
//! rust-hdl block `subgate_gateware::viterbi::ViterbiDecoder`, bit for bit and clock for
//! clock.
//!
//! Arithmetic:
//! - input: one pair of soft values per code step, 4-bit two's complement (−8..7), positive
//!   for a 1 — the same sign as the software decoder's LLRs ([`crate::viterbi`]);
//! - branch metric `±a ± b`, the signs the bits the encoder sends on the branch;
//! - path metrics: [`METRIC_BITS`] bits, wrapping, compared by the sign of their difference
//!   (modular arithmetic, so never renormalised). After six steps every state is reachable
//!   from the best one, so the metrics of a step lie within 6 · 4 · 8 = 192 of each other;
//!   in the first five steps the states not reachable from state 0 start [`START_GAP`] below
//!   it and lie within 256 + 5 · 32 = 416. A comparison sees at most that plus one branch
//!   (32): 448 < 2⁹, so the sign of the 10-bit difference is always right;
//! - add-compare-select as the software decoder: next state `i` (input 0) from `2i` with
//!   `+bm` or `2i + 1` with `−bm`, next state `i + 32` (input 1) from `2i` with `−bm` or
//!   `2i + 1` with `+bm`; the odd predecessor only when strictly better;
//! - a block of steps starts from state 0 (the others [`START_GAP`] below); its last step is
//!   the pair given with `last`, or the [`MAX_STEPS`]-th. The traceback starts from state 0
//!   when the pair says `zero` (the tail bits drove the encoder there) and from the best
//!   state of the last step otherwise (the first of equals in the order `i`, `i + 32` for
//!   `i = 0..32`), and gives the block's bits last first.
//!
//! Timing of the block (clock `e` = the clock a pair is taken):
//! - a pair is taken when the decoder is ready, else it is dropped and the sticky `overrun`
//!   set; after a pair it is ready again [`SPACING`] clocks later (32 butterflies, one per
//!   clock, through a 4-clock pipeline);
//! - after a block's last pair, the bits come one per clock from clock `e + `[`TB_FIRST`]
//!   (step `n − 1`) to `e + TB_FIRST + n − 1` (step 0, with `out_last`), and the decoder is
//!   ready again at `e + TB_FIRST + n`.

use crate::bcc::{encode, parity, G0, G1};
use crate::rng::Rng;

/// Width of the path metrics (wrapping).
pub const METRIC_BITS: u32 = 10;
const MASK: u16 = (1 << METRIC_BITS) - 1;
/// How far below state 0 the other states start a block.
pub const START_GAP: u16 = 256;
/// Longest block, in steps (the decision memory's depth).
pub const MAX_STEPS: usize = 512;
/// Clocks from a pair taken to the next pair that can be taken.
pub const SPACING: u64 = 35;
/// Clocks from a block's last pair to its first decoded bit (the last step's).
pub const TB_FIRST: u64 = 40;

/// `x > y` for wrapping metrics: the difference is positive as a signed [`METRIC_BITS`]-bit number.
pub fn metric_gt(x: u16, y: u16) -> bool {
    let d = x.wrapping_sub(y) & MASK;
    d != 0 && d & (1 << (METRIC_BITS - 1)) == 0
}

/// A soft value as the block reads it: the low 4 bits, two's complement.
pub fn soft4(v: i8) -> i8 {
    ((v as u8) << 4) as i8 >> 4
}

/// Signs of the code bits on the branch from state `2i` with input 0, as `(a, b)` (true = 1).
pub fn branch_bits(i: usize) -> (bool, bool) {
    let reg = (2 * i) as u8;
    (parity(reg & G0) == 1, parity(reg & G1) == 1)
}

/// One add-compare-select step over all 64 states; returns the decision word (bit `s` for
/// next state `s`: 1 when it came from the odd predecessor).
fn acs_step(metric: &mut [u16; 64], a: i8, b: i8) -> u64 {
    let (a, b) = (i16::from(soft4(a)), i16::from(soft4(b)));
    let mut next = [0u16; 64];
    let mut dec = 0u64;
    for i in 0..32 {
        let (sa, sb) = branch_bits(i);
        let bm = (if sa { a } else { -a }) + (if sb { b } else { -b });
        let bm = bm as u16;
        let (m0, m1) = (metric[2 * i], metric[2 * i + 1]);
        let a0 = m0.wrapping_add(bm) & MASK;
        let a1 = m1.wrapping_sub(bm) & MASK;
        let b0 = m0.wrapping_sub(bm) & MASK;
        let b1 = m1.wrapping_add(bm) & MASK;
        let dlo = metric_gt(a1, a0);
        let dhi = metric_gt(b1, b0);
        next[i] = if dlo { a1 } else { a0 };
        next[i + 32] = if dhi { b1 } else { b0 };
        dec |= u64::from(dlo) << i;
        dec |= u64::from(dhi) << (i + 32);
    }
    *metric = next;
    dec
}

/// The metrics a block starts from.
fn start_metrics() -> [u16; 64] {
    let mut m = [START_GAP.wrapping_neg() & MASK; 64];
    m[0] = 0;
    m
}

/// The best state of a step's metrics: the first of equals in the order `i`, `i + 32`.
fn best_state(metric: &[u16; 64]) -> usize {
    let mut best = 0usize;
    for i in 0..32 {
        for s in [i, i + 32] {
            if (i == 0 && s == 0) || metric_gt(metric[s], metric[best]) {
                best = s;
            }
        }
    }
    best
}

/// Decodes one block of soft pairs (at most [`MAX_STEPS`]): the bits in step order.
///
/// # Panics
/// If `pairs` is empty or longer than [`MAX_STEPS`].
pub fn decode_block(pairs: &[(i8, i8)], zero: bool) -> Vec<u8> {
    assert!(!pairs.is_empty() && pairs.len() <= MAX_STEPS);
    let mut metric = start_metrics();
    let decisions: Vec<u64> = pairs
        .iter()
        .map(|&(a, b)| acs_step(&mut metric, a, b))
        .collect();
    let mut state = if zero { 0 } else { best_state(&metric) };
    let mut out = vec![0u8; pairs.len()];
    for (t, d) in decisions.iter().enumerate().rev() {
        out[t] = (state >> 5) as u8;
        let bit = ((d >> state) & 1) as usize;
        state = ((state << 1) & 63) | bit;
    }
    out
}

/// One input clock of the block: `gap − 1` idle clocks, then the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViterbiInput {
    /// Clocks since the previous pair (≥ 1).
    pub gap: u32,
    /// First soft value of the step (code bit A).
    pub a: i8,
    /// Second soft value (code bit B).
    pub b: i8,
    /// The block's last pair.
    pub last: bool,
    /// With `last`: trace back from state 0.
    pub zero: bool,
}

/// A decoded bit at the block's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViterbiOutput {
    /// Clock it is at the outputs (the clocks of the stimulus counted from 0).
    pub clock: u64,
    /// Step in its block.
    pub index: u16,
    /// The bit.
    pub bit: u8,
}

/// What the block gives for `stim`: the bits with their clocks, and whether a pair was
/// dropped (`overrun`).
pub fn expected(stim: &[ViterbiInput]) -> (Vec<ViterbiOutput>, bool) {
    let mut clock = 0u64;
    let mut ready_at = 0u64;
    let mut overrun = false;
    let mut block: Vec<(i8, i8)> = Vec::new();
    let mut out = Vec::new();
    for s in stim {
        clock += u64::from(s.gap);
        let e = clock - 1;
        if e < ready_at {
            overrun = true;
            continue;
        }
        block.push((s.a, s.b));
        if s.last || block.len() == MAX_STEPS {
            let zero = s.last && s.zero;
            let bits = decode_block(&block, zero);
            let n = bits.len() as u64;
            for (j, t) in (0..bits.len()).rev().enumerate() {
                out.push(ViterbiOutput {
                    clock: e + TB_FIRST + j as u64,
                    index: t as u16,
                    bit: bits[t],
                });
            }
            ready_at = e + TB_FIRST + n;
            block.clear();
        } else {
            ready_at = e + SPACING;
        }
    }
    (out, overrun)
}

/// A received BPSK value `y` (±1 for a 1 / 0 without noise) as the decoder's soft value:
/// `clamp(round(y · scale), −7, 7)` — what the SID filter's demapper gives.
pub fn soft_value(y: f64, scale: f64) -> i8 {
    (y * scale).round().clamp(-7.0, 7.0) as i8
}

/// BPSK soft values ([`soft_value`]) of a coded stream through white noise: `y = ±1 + n`,
/// n of standard deviation `sigma`.
pub fn soft_pairs(coded: &[u8], sigma: f64, scale: f64, rng: &mut Rng) -> Vec<(i8, i8)> {
    let soft = |c: u8, rng: &mut Rng| {
        soft_value(
            if c == 1 { 1.0 } else { -1.0 } + sigma * rng.normal(),
            scale,
        )
    };
    coded
        .chunks_exact(2)
        .map(|p| (soft(p[0], rng), soft(p[1], rng)))
        .collect()
}

/// Appends the decoder's inputs for one block of `pairs` (at most [`MAX_STEPS`]) to `out`:
/// the first pair `wait + SPACING + jitter()` clocks after the previous input, each next one
/// `SPACING + jitter()` after it, `last` on the final pair with `zero` as given. Returns the
/// clocks from that final pair until the decoder is ready again (`TB_FIRST + n`).
pub fn block_inputs(
    pairs: &[(i8, i8)],
    zero: bool,
    wait: u32,
    mut jitter: impl FnMut() -> u32,
    out: &mut Vec<ViterbiInput>,
) -> u32 {
    let n = pairs.len();
    let mut wait = wait;
    for (k, &(a, b)) in pairs.iter().enumerate() {
        out.push(ViterbiInput {
            gap: wait + SPACING as u32 + jitter(),
            a,
            b,
            last: k + 1 == n,
            zero: k + 1 == n && zero,
        });
        wait = 0;
    }
    (TB_FIRST + n as u64) as u32
}

/// Test stimulus: blocks of random bits (with tail bits and `zero` every other block,
/// truncated otherwise, now and then [`MAX_STEPS`] long without `last`), encoded and sent
/// through noise of standard deviation 0.3 … 1.2 (some blocks clean, some saturating),
/// pairs `SPACING` … `SPACING + 20` clocks apart; every `overrun_every`-th block a pair
/// comes too early (dropped, `overrun`).
pub fn stimulus(
    blocks: usize,
    max_len: usize,
    overrun_every: usize,
    seed: u64,
) -> Vec<ViterbiInput> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut wait = 0u32;
    for blk in 0..blocks {
        let forced = blk % 17 == 16;
        let len = if forced {
            MAX_STEPS
        } else {
            1 + rng.below(max_len.min(MAX_STEPS) as u64) as usize
        };
        let terminated = blk % 2 == 0 && len > 6 && !forced;
        let mut bits: Vec<u8> = (0..len).map(|_| (rng.next_u64() & 1) as u8).collect();
        if terminated {
            for b in bits.iter_mut().skip(len - 6) {
                *b = 0;
            }
        }
        let mut coded = vec![0u8; 2 * len];
        encode(&bits, &mut coded);
        let sigma = [0.0, 0.3, 0.6, 0.8, 1.0, 1.2][blk % 6];
        let scale = [3.5, 5.0, 3.5, 4.0, 8.0, 3.0][blk % 6];
        let pairs = soft_pairs(&coded, sigma, scale, &mut rng);
        for (k, &(a, b)) in pairs.iter().enumerate() {
            // junk in the unused high bits of the 4-bit inputs must not matter: the model
            // reads the low 4 bits, as the block's ports are 4 bits wide
            let gap = wait + SPACING as u32 + rng.below(21) as u32;
            wait = 0;
            let early = overrun_every > 0 && blk % overrun_every == overrun_every - 1 && k == 1;
            if early {
                // a pair 1..SPACING−1 clocks after the previous one: dropped
                out.push(ViterbiInput {
                    gap: 1 + rng.below(SPACING - 1) as u32,
                    a: 3,
                    b: -3,
                    last: false,
                    zero: false,
                });
            }
            let last = k + 1 == len && !forced;
            out.push(ViterbiInput {
                gap,
                a,
                b,
                last,
                zero: last && terminated,
            });
            if k + 1 == len {
                wait = (TB_FIRST + len as u64) as u32 + rng.below(30) as u32;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::CodeRate;
    use crate::viterbi::Viterbi;

    fn random_bits(n: usize, tail: bool, rng: &mut Rng) -> Vec<u8> {
        let mut b: Vec<u8> = (0..n).map(|_| (rng.next_u64() & 1) as u8).collect();
        if tail {
            for x in b.iter_mut().skip(n - 6) {
                *x = 0;
            }
        }
        b
    }

    #[test]
    fn decodes_clean_blocks_both_ways() {
        let mut rng = Rng::new(5);
        for n in [1, 2, 6, 7, 40, 511, 512] {
            let bits = random_bits(n, n > 6, &mut rng);
            let mut coded = vec![0u8; 2 * n];
            encode(&bits, &mut coded);
            let pairs = soft_pairs(&coded, 0.0, 7.0, &mut rng);
            if n > 6 {
                assert_eq!(decode_block(&pairs, true), bits, "n {n}, from state 0");
            }
            assert_eq!(
                decode_block(&pairs, false),
                bits,
                "n {n}, from the best state"
            );
        }
    }

    #[test]
    fn metric_comparison_is_the_sign_of_the_difference() {
        assert!(metric_gt(1, 0));
        assert!(!metric_gt(0, 0));
        assert!(metric_gt(0, 1023), "0 is above −1");
        assert!(metric_gt(100, 1000), "100 is above −24");
        assert!(!metric_gt(1000, 100));
        assert_eq!(soft4(-8), -8);
        assert_eq!(soft4(8), -8, "only the low 4 bits are read");
        assert_eq!(soft4(0x17), 7);
    }

    /// The spread of the metrics stays inside the bound the comparisons need (module
    /// documentation), on saturated random soft values, which drive it furthest.
    #[test]
    fn metric_spread_stays_within_the_bound() {
        let mut rng = Rng::new(9);
        let (mut early, mut steady) = (0u16, 0u16);
        for _ in 0..400 {
            let mut m = start_metrics();
            for step in 0..64 {
                let a = if rng.next_u64() & 1 == 0 { 7 } else { -8 };
                let b = if rng.next_u64() & 1 == 0 { 7 } else { -8 };
                acs_step(&mut m, a, b);
                let best = m[best_state(&m)];
                for &x in &m {
                    let d = best.wrapping_sub(x) & MASK;
                    if step < 5 {
                        assert!(d <= 416, "step {step}: spread {d}");
                        early = early.max(d);
                    } else {
                        assert!(d <= 192, "step {step}: spread {d}");
                        steady = steady.max(d);
                    }
                }
            }
        }
        println!("largest metric spread: {early} in the first five steps (bound 416), {steady} after (bound 192)");
    }

    /// Against the floating-point decoder on the same noisy frames: the fixed-point decoder's
    /// bit errors are close to the float decoder's (4-bit soft values cost a few tenths of a
    /// dB), and both are error-free where the float one is.
    #[test]
    fn close_to_the_float_decoder() {
        let mut rng = Rng::new(21);
        let n = 400;
        let frames = 400;
        let mut float = Viterbi::new(n);
        println!("Eb/N0 dB | bit errors float / fixed | frames wrong float / fixed");
        for ebn0_db in [2.0f64, 3.0, 4.0, 5.0, 6.0] {
            // rate 1/2: Es/N0 = Eb/N0 − 3 dB; σ² = 1 / (2 Es/N0)
            let esn0 = 10f64.powf(ebn0_db / 10.0) / 2.0;
            let sigma = (1.0 / (2.0 * esn0)).sqrt();
            let (mut ef, mut ex, mut ff, mut fx) = (0usize, 0usize, 0usize, 0usize);
            for _ in 0..frames {
                let bits = random_bits(n, true, &mut rng);
                let mut coded = vec![0u8; 2 * n];
                encode(&bits, &mut coded);
                let ys: Vec<f64> = coded
                    .iter()
                    .map(|&c| if c == 1 { 1.0 } else { -1.0 } + sigma * rng.normal())
                    .collect();
                let llr: Vec<f32> = ys
                    .iter()
                    .map(|y| (2.0 * y / (sigma * sigma)) as f32)
                    .collect();
                let mut out = vec![0u8; n];
                float.decode(CodeRate::R1_2, &llr, n, &mut out);
                // the demapper's scale: ±1 at 3.5 LSB, clamped to ±7
                let pairs: Vec<(i8, i8)> = ys
                    .chunks_exact(2)
                    .map(|p| (soft_value(p[0], 3.5), soft_value(p[1], 3.5)))
                    .collect();
                let fixed = decode_block(&pairs, true);
                let e1 = out.iter().zip(&bits).filter(|(a, b)| a != b).count();
                let e2 = fixed.iter().zip(&bits).filter(|(a, b)| a != b).count();
                ef += e1;
                ex += e2;
                ff += usize::from(e1 > 0);
                fx += usize::from(e2 > 0);
            }
            println!("{ebn0_db:7.1} | {ef:6} / {ex:6} | {ff:3} / {fx:3} of {frames}");
            // the fixed decoder loses a little: at most a third more frames wrong, plus a few
            assert!(
                fx <= ff + ff / 3 + 3,
                "{ebn0_db} dB: frames wrong {ff} / {fx}"
            );
            if ebn0_db >= 6.0 {
                assert!(fx <= 1 && ff <= 1, "{ebn0_db} dB: {ff} / {fx}");
            }
        }
    }

    #[test]
    fn timing_and_overrun_in_the_expected_outputs() {
        let mk = |gap, last, zero| ViterbiInput {
            gap,
            a: 7,
            b: 7,
            last,
            zero,
        };
        // two steps, then a block of one; a pair too early in between
        let stim = [
            mk(1, false, false),
            mk(SPACING as u32 - 1, false, false),
            mk(1, true, false),
            mk(TB_FIRST as u32 + 2, true, false),
        ];
        let (out, overrun) = expected(&stim);
        assert!(overrun);
        let clocks: Vec<(u64, u16)> = out.iter().map(|o| (o.clock, o.index)).collect();
        let e1 = SPACING; // the second pair taken
        let e2 = e1 + TB_FIRST + 2;
        assert_eq!(
            clocks,
            vec![
                (e1 + TB_FIRST, 1),
                (e1 + TB_FIRST + 1, 0),
                (e2 + TB_FIRST, 0)
            ]
        );
    }

    #[test]
    fn stimulus_has_overruns_and_whole_blocks() {
        let stim = stimulus(40, 300, 5, 3);
        let (out, overrun) = expected(&stim);
        assert!(overrun);
        assert!(out.len() > 40 * 100);
    }
}
