//! The SID filter's PSDU head: the Viterbi decoder's bits of a data field (last step first,
//! [`super::viterbi`]) back in order, descrambled, as the first [`HEAD_BYTES`] bytes of the
//! PSDU — what the SID matcher reads. Bit for bit and clock for clock the rust-hdl block
//! `subgate_gateware::psdu_head::PsduHead`.
//!
//! Rules:
//! - each bit is written to a 512 × 1 memory at its step index; the first bit after reset or
//!   after a block's last bit gives the block's length `n = index + 1`;
//! - the block's last bit (`last`, step 0) starts a pass over steps `0 .. min(n, `
//!   [`HEAD_BITS`]`)`: the first seven are the scrambler's output over the SERVICE field's
//!   zeros and load its register (x⁷ + x⁴ + 1, as [`crate::scrambler::Scrambler`]); every
//!   later bit is descrambled; bits [`SERVICE_BITS`] (8) on are the PSDU, least significant bit
//!   first (a field shorter than the pass ends with its pad and tail, 6 to 17 bits: up to two
//!   bytes after the PSDU, which the matcher reads like the FCS before them — as bytes of no
//!   element it looks for);
//! - while a pass runs, arriving bits are not written, and a block's last bit starts no
//!   pass; either sets the sticky `overrun` (the memory then keeps what it held, and a later
//!   pass reads it as it is).
//!
//! Timing (clock `c` = the clock of the last bit): bit `k` of the pass is read at `c + 1 + k`;
//! byte `j` (PSDU bits `8j .. 8j + 7`) is at the outputs at `c + `[`BYTE_FIRST`]` + 8j` (17); `done` with the
//! count of whole bytes at `c + 1 + len` (`len` = the bits passed); the pass blocks writes
//! from `c + 1` to `c + 1 + len`.

use super::viterbi::ViterbiOutput;
use crate::scrambler::Scrambler;

/// PSDU bytes the head gives (at most): far enough for a probe request's first SIDs (24-byte
/// header, SSID, the SID list's 6-byte element header), and within the decoder's 512-step
/// block with 48 steps (about 7 constraint lengths) of traceback after the last byte.
pub const HEAD_BYTES: usize = 56;
/// The SERVICE field before the PSDU: 8 bits in S1G (seven scrambler-initialisation bits and
/// one reserved), as the PHY sends it ([`crate::params::SERVICE_BITS`]).
pub const SERVICE_BITS: usize = crate::params::SERVICE_BITS;
/// Bits a pass reads at most: the SERVICE field and [`HEAD_BYTES`] bytes.
pub const HEAD_BITS: usize = SERVICE_BITS + 8 * HEAD_BYTES;
/// Clocks from a block's last bit to byte 0 at the outputs (its last bit is read at
/// `1 + SERVICE_BITS + 7`, the byte registered the clock after).
pub const BYTE_FIRST: u64 = 2 + SERVICE_BITS as u64 + 7;
/// Size of the bit memory (the decoder's longest block).
pub const MEMORY_BITS: usize = 512;

/// What the block gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadEvent {
    /// PSDU byte `index` of a pass.
    Byte {
        /// Clock at the outputs.
        clock: u64,
        /// Byte in the PSDU.
        index: u8,
        /// The descrambled byte.
        byte: u8,
    },
    /// A pass ended with `count` whole bytes.
    Done {
        /// Clock at the outputs.
        clock: u64,
        /// Bytes given.
        count: u8,
    },
}

/// The PSDU bytes of a decoded data field `bits` (step order): descrambled from the seed in
/// its first seven bits, bytes from bit [`SERVICE_BITS`], at most [`HEAD_BYTES`].
pub fn head_bytes(bits: &[u8]) -> Vec<u8> {
    let len = bits.len().min(HEAD_BITS);
    if len < 7 {
        return Vec::new();
    }
    let mut first7 = [0u8; 7];
    first7.copy_from_slice(&bits[..7]);
    let mut s = Scrambler::from_first_outputs(&first7);
    let mut out = Vec::new();
    let mut byte = 0u8;
    for (k, &b) in bits.iter().enumerate().take(len).skip(7) {
        let d = (b ^ s.next_bit()) & 1;
        if k >= SERVICE_BITS {
            byte = (byte >> 1) | (d << 7);
            if k % 8 == 7 {
                out.push(byte);
            }
        }
    }
    out
}

/// What the block gives for the decoder's outputs `bits` (their clocks increasing), and
/// whether anything was dropped (`overrun`).
pub fn expected(bits: &[ViterbiOutput]) -> (Vec<HeadEvent>, bool) {
    let mut mem = [0u8; MEMORY_BITS];
    let mut out = Vec::new();
    let mut overrun = false;
    let mut first = true;
    let mut n = 0usize;
    // the clocks a pass blocks writes: (from, to) inclusive
    let mut busy: Option<(u64, u64)> = None;
    for o in bits {
        if first {
            n = usize::from(o.index) + 1;
            first = false;
        }
        let e = o.clock;
        let blocked = busy.is_some_and(|(a, b)| a <= e && e <= b);
        if blocked {
            overrun = true;
        } else {
            mem[usize::from(o.index) % MEMORY_BITS] = o.bit & 1;
        }
        if o.index == 0 {
            first = true;
            if !blocked {
                let len = n.min(HEAD_BITS);
                let bytes = head_bytes(&mem[..len]);
                for (j, &byte) in bytes.iter().enumerate() {
                    out.push(HeadEvent::Byte {
                        clock: e + BYTE_FIRST + 8 * j as u64,
                        index: j as u8,
                        byte,
                    });
                }
                out.push(HeadEvent::Done {
                    clock: e + 1 + len as u64,
                    count: bytes.len() as u8,
                });
                busy = Some((e + 1, e + 1 + len as u64));
            }
        }
    }
    out.sort_by_key(|ev| match *ev {
        HeadEvent::Byte { clock, .. } => (clock, 0),
        HeadEvent::Done { clock, .. } => (clock, 1),
    });
    (out, overrun)
}

/// The coded bits of a 1 MHz data field as the PHY sends it ([`crate::tx`]): SERVICE
/// (zeros) + `psdu` + pad zeros up to a whole number of symbols of `n_dbps` bits (12 for
/// MCS 0, 6 for MCS 10) + 6 tail bits; scrambled from `seed` with the tail sent as zeros;
/// encoded at rate 1/2.
pub fn data_field_coded(psdu: &[u8], seed: u8, n_dbps: usize) -> Vec<u8> {
    let total = (SERVICE_BITS + 8 * psdu.len() + 6).div_ceil(n_dbps) * n_dbps;
    let mut bits = vec![0u8; total];
    for (i, &o) in psdu.iter().enumerate() {
        for b in 0..8 {
            bits[SERVICE_BITS + 8 * i + b] = (o >> b) & 1;
        }
    }
    let mut s = Scrambler::new(seed);
    s.apply(&mut bits);
    bits[total - 6..].fill(0);
    let mut coded = vec![0u8; 2 * bits.len()];
    crate::bcc::encode(&bits, &mut coded);
    coded
}

/// [`data_field_coded`] as noiseless soft values ±7, one pair per step.
pub fn data_field_pairs(psdu: &[u8], seed: u8, n_dbps: usize) -> Vec<(i8, i8)> {
    data_field_coded(psdu, seed, n_dbps)
        .chunks_exact(2)
        .map(|p| {
            let v = |c: u8| if c == 1 { 7 } else { -7 };
            (v(p[0]), v(p[1]))
        })
        .collect()
}

/// Test stimulus: data fields of random PSDUs (0–60 bytes, random seeds) decoded by the
/// Viterbi model, and the decoder's outputs with their clocks. After every `tight`-th field
/// (of at least 8 bytes) comes a block of one or two junk steps as soon as the decoder
/// allows: its bits come while the field's pass runs (overrun, no pass for it). Returns the
/// outputs and the PSDUs.
pub fn stimulus(fields: usize, tight: usize, seed: u64) -> (Vec<ViterbiOutput>, Vec<Vec<u8>>) {
    use super::viterbi::{block_inputs, expected as decode, MAX_STEPS, SPACING};
    let mut rng = crate::rng::Rng::new(seed);
    let mut stim = Vec::new();
    let mut psdus = Vec::new();
    let mut wait = 0u32;
    for f in 0..fields {
        let tight_next = tight > 0 && f % tight == tight - 1;
        let len = if tight_next {
            8 + rng.below(53)
        } else {
            rng.below(61)
        } as usize;
        let mut psdu = vec![0u8; len];
        rng.fill_bytes(&mut psdu);
        let seed7 = 1 + rng.below(127) as u8;
        let n_dbps = if rng.below(2) == 0 { 12 } else { 6 };
        let pairs = data_field_pairs(&psdu, seed7, n_dbps);
        // fields longer than the decoder's block are cut (not terminated)
        let n = pairs.len().min(MAX_STEPS);
        wait = block_inputs(
            &pairs[..n],
            n < MAX_STEPS,
            wait,
            || rng.below(3) as u32,
            &mut stim,
        );
        if tight_next {
            let junk: Vec<(i8, i8)> = (0..1 + rng.below(2))
                .map(|_| (rng.below(15) as i8 - 7, rng.below(15) as i8 - 7))
                .collect();
            wait = wait.saturating_sub(SPACING as u32);
            wait = block_inputs(&junk, false, wait, || rng.below(3) as u32, &mut stim);
        }
        wait += HEAD_BITS as u32 + rng.below(40) as u32;
        psdus.push(psdu);
    }
    let (bits, overrun) = decode(&stim);
    assert!(!overrun, "the decoder's stimulus respects its spacing");
    (bits, psdus)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::viterbi::decode_block;

    #[test]
    fn gives_the_psdu_bytes_of_clean_fields() {
        let mut rng = crate::rng::Rng::new(4);
        for len in [0usize, 1, 2, 31, 55, 56, 57, 60] {
            let mut psdu = vec![0u8; len];
            rng.fill_bytes(&mut psdu);
            for n_dbps in [6, 12] {
                let pairs = data_field_pairs(&psdu, 1 + (len as u8 % 127), n_dbps);
                let bits = decode_block(&pairs, true);
                let got = head_bytes(&bits);
                let n = len.min(HEAD_BYTES);
                assert_eq!(&got[..n], &psdu[..n], "len {len}");
                // the pad and tail after the PSDU: 6 to 17 bits, up to two more bytes
                let extra = if len < HEAD_BYTES {
                    (bits.len() - SERVICE_BITS) / 8 - len
                } else {
                    0
                };
                assert!(extra <= 2 && got.len() == n + extra, "len {len}");
            }
        }
    }

    #[test]
    fn expected_passes_and_overruns() {
        let (bits, psdus) = stimulus(60, 7, 8);
        let (events, overrun) = expected(&bits);
        assert!(overrun, "the tight fields meet the pass");
        let mut done = 0;
        let mut bytes: Vec<u8> = Vec::new();
        let mut right = 0;
        for ev in &events {
            match *ev {
                HeadEvent::Byte { byte, .. } => bytes.push(byte),
                HeadEvent::Done { count, .. } => {
                    assert_eq!(usize::from(count), bytes.len());
                    // a pass whose bytes are a PSDU's head (and at most two bytes of the
                    // pad and tail after a PSDU that ends within the head)
                    if psdus.iter().any(|p| {
                        let n = p.len().min(bytes.len());
                        p[..n] == bytes[..n] && bytes.len() <= n + 2
                    }) {
                        right += 1;
                    }
                    bytes.clear();
                    done += 1;
                }
            }
        }
        assert_eq!(done, 60, "a pass for every field, none for the junk blocks");
        assert_eq!(
            right, done,
            "every pass of this stimulus gives a PSDU's head"
        );
    }
}
