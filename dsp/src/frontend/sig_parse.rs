//! The SID filter's SIG reader: the Viterbi decoder's bits of a 1 MHz SIG field (36 steps,
//! last first, [`super::viterbi`]) checked and read as the software receiver reads them
//! ([`crate::sig::Sig::from_bits`]), and whether the frame is one for the SID filter — MCS 0
//! or 10, no aggregation — with the data-field steps to decode. Bit for bit and clock for
//! clock the rust-hdl block `subgate_gateware::sig_parse::SigParse`.
//!
//! - bits 0..29 of a block are kept by their step (the tail, 30..35, is not needed); step 0
//!   ends the block;
//! - the CRC-4 over bits 0..25 is an affine function of them: each CRC bit is the parity of
//!   the bits under a fixed mask, complemented by a fixed constant ([`crc_masks`], derived
//!   from [`crate::crc::sig_crc4`]);
//! - supported: one space-time stream, BCC, no STBC, no traveling pilots, not an NDP, an MCS
//!   the format defines ([`mcs_mask`]) — the checks of the software receiver;
//! - candidate: CRC right, supported, MCS 0 or 10, aggregation off: the PSDU starts with the
//!   MAC header, LENGTH counts its bytes;
//! - data-field steps: the whole data field as the PHY sends it — SERVICE 8 + 8 · LENGTH +
//!   tail 6, padded up to whole symbols of 6 bits (MCS 10) or 12 (every other MCS; MCS 0 is
//!   the one the filter decodes) — at most [`super::viterbi::MAX_STEPS`] (`zero`: the whole
//!   field fits, so the decoder can trace back from state 0, where the tail at its very end
//!   leaves the encoder). The block computes the padding from `LENGTH mod 3` (`8 · LENGTH +
//!   14 ≡ 2 (LENGTH + 1) mod 6` and `≡ 4 (2 · LENGTH mod 3) + 2 mod 12`).
//!
//! Timing: the result is in the output registers [`LATENCY`] clocks after step 0 is presented
//! (as the other blocks count: at the edge that takes it).

use super::viterbi::{ViterbiOutput, MAX_STEPS};
use crate::crc::sig_crc4;

/// Clocks from step 0 to the result.
pub const LATENCY: u64 = 2;
/// SIG bits the reader keeps (the tail is not needed).
pub const KEPT_BITS: usize = 30;
/// Bits the CRC covers.
pub const CRC_COVERS: usize = 26;

/// What the reader gives for a SIG block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo {
    /// The CRC-4 matched.
    pub crc_ok: bool,
    /// A frame this receiver decodes (see the module documentation).
    pub supported: bool,
    /// MCS field.
    pub mcs: u8,
    /// Aggregation bit.
    pub aggregation: bool,
    /// LENGTH field (9 bits).
    pub length: u16,
    /// A frame for the SID filter.
    pub candidate: bool,
    /// Data-field steps to decode.
    pub steps: u16,
    /// The whole data field fits the decoder's block (trace back from state 0).
    pub zero: bool,
}

/// The CRC as an affine function of the 26 covered bits: `(masks, constant)`, where CRC bit
/// `i` (transmission order: c3, c2, c1, c0 are bits 26..29) is the parity of `bits & masks[i]`
/// (bit `j` of the mask for SIG bit `j`) XOR bit `i` of `constant`.
pub fn crc_masks() -> ([u32; 4], u8) {
    let zero = sig_crc4(&[0u8; CRC_COVERS]);
    let mut masks = [0u32; 4];
    for j in 0..CRC_COVERS {
        let mut e = [0u8; CRC_COVERS];
        e[j] = 1;
        let c = sig_crc4(&e);
        for i in 0..4 {
            if c[i] ^ zero[i] == 1 {
                masks[i] |= 1 << j;
            }
        }
    }
    let constant = (0..4).fold(0u8, |k, i| k | (zero[i] << i));
    (masks, constant)
}

/// The MCS values the 1 MHz format defines, as a mask (bit `m` for MCS `m`): a SIG with
/// another is refused, as the software receiver refuses it.
pub fn mcs_mask() -> u16 {
    (0..16u8).fold(0, |m, mcs| {
        m | (u16::from(crate::params::Format::S1g1M.supports(crate::params::Mcs(mcs))) << mcs)
    })
}

/// Reads a SIG from its first 30 bits (bit `j` = SIG bit `j`).
pub fn read(bits: u32) -> SigInfo {
    let (masks, constant) = crc_masks();
    let get = |at: u32, width: u32| (bits >> at) & ((1 << width) - 1);
    let crc_ok = (0..4).all(|i| {
        let calc = ((bits & masks[i]).count_ones() & 1) as u8 ^ ((constant >> i) & 1);
        calc == ((bits >> (26 + i)) & 1) as u8
    });
    let mcs = get(7, 4) as u8;
    let supported = get(0, 2) == 0
        && get(3, 1) == 0
        && get(5, 1) == 0
        && get(24, 1) == 0
        && get(25, 1) == 0
        && mcs_mask() & (1 << mcs) != 0;
    let aggregation = get(11, 1) == 1;
    let length = get(12, 9) as u16;
    let n_dbps = if mcs == 10 { 6 } else { 12 };
    let field = (8 + 8 * usize::from(length) + 6).div_ceil(n_dbps) * n_dbps;
    SigInfo {
        crc_ok,
        supported,
        mcs,
        aggregation,
        length,
        candidate: crc_ok && supported && (mcs == 0 || mcs == 10) && !aggregation,
        steps: field.min(MAX_STEPS) as u16,
        zero: field <= MAX_STEPS,
    }
}

/// What the reader gives for the decoder's outputs: `(clock, info)` per block.
pub fn expected(bits: &[ViterbiOutput]) -> Vec<(u64, SigInfo)> {
    let mut reg = 0u32;
    let mut out = Vec::new();
    for b in bits {
        if usize::from(b.index) < KEPT_BITS {
            reg = (reg & !(1 << b.index)) | (u32::from(b.bit & 1) << b.index);
        }
        if b.index == 0 {
            // in the output registers at the clock edge that takes step 0: the testbenches'
            // clock of that edge (`LATENCY − 1` later)
            out.push((b.clock + LATENCY - 1, read(reg)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Format, Gi, Mcs};
    use crate::rng::Rng;
    use crate::sig::Sig;

    fn pack(bits: &[u8]) -> u32 {
        bits.iter()
            .take(KEPT_BITS)
            .enumerate()
            .fold(0, |r, (j, &b)| r | (u32::from(b) << j))
    }

    /// Against the software receiver's reading on SIGs it made, with bits flipped in some.
    #[test]
    fn reads_as_the_software_receiver() {
        let mut rng = Rng::new(3);
        let (mut ok, mut bad, mut cand) = (0, 0, 0);
        for k in 0..20_000 {
            let sig = Sig {
                mcs: Mcs(rng.below(11) as u8),
                gi: if rng.below(2) == 0 {
                    Gi::Long
                } else {
                    Gi::Short
                },
                aggregation: rng.below(4) == 0,
                length: rng.below(512) as u16,
                smoothing: rng.below(2) == 0,
                uplink: false,
                id: 0,
            };
            let mut bits = [0u8; 36];
            sig.to_bits(Format::S1g1M, &mut bits);
            match k % 4 {
                0 => {}
                1 => bits[rng.below(30) as usize] ^= 1,
                2 => {
                    // an unsupported feature with a right CRC
                    bits[[0, 1, 3, 5, 24, 25][rng.below(6) as usize]] = 1;
                    let crc = sig_crc4(&bits[..26]);
                    bits[26..30].copy_from_slice(&crc);
                }
                _ => {
                    for b in bits.iter_mut().take(30) {
                        *b = (rng.next_u64() & 1) as u8;
                    }
                }
            }
            let info = read(pack(&bits));
            match Sig::from_bits(Format::S1g1M, &bits) {
                Ok(s) => {
                    assert!(info.crc_ok && info.supported, "{bits:?}");
                    assert_eq!(info.mcs, s.mcs.0);
                    assert_eq!(info.aggregation, s.aggregation);
                    assert_eq!(info.length, s.length);
                    ok += 1;
                }
                Err(_) => {
                    assert!(
                        !(info.crc_ok && info.supported),
                        "{bits:?} {:?} {info:?}",
                        Sig::from_bits(Format::S1g1M, &bits)
                    );
                    bad += 1;
                }
            }
            cand += usize::from(info.candidate);
        }
        println!("{ok} read as the software receiver reads them, {bad} refused by both; {cand} candidates");
        assert!(ok > 3000 && bad > 10_000 && cand > 500, "{ok} {bad} {cand}");
    }

    #[test]
    fn steps_of_the_data_field() {
        let mut bits = [0u8; 36];
        let sig = Sig {
            mcs: Mcs(0),
            gi: Gi::Long,
            aggregation: false,
            length: 40,
            smoothing: false,
            uplink: false,
            id: 0,
        };
        sig.to_bits(Format::S1g1M, &mut bits);
        let info = read(pack(&bits));
        assert!(info.candidate);
        // the PHY's own count: symbols × data bits per symbol, pad and tail included
        for mcs in [Mcs(0), Mcs::MCS10] {
            for length in 0..80u16 {
                let s = Sig { mcs, length, ..sig };
                s.to_bits(Format::S1g1M, &mut bits);
                let info = read(pack(&bits));
                let f = Format::S1g1M;
                let field = f.n_sym(mcs, usize::from(length)) * f.n_dbps(mcs);
                assert_eq!(
                    (usize::from(info.steps), info.zero),
                    (field.min(MAX_STEPS), field <= MAX_STEPS),
                    "{mcs:?} LENGTH {length}"
                );
            }
        }
        let long = Sig { length: 300, ..sig };
        long.to_bits(Format::S1g1M, &mut bits);
        let info = read(pack(&bits));
        assert_eq!((info.steps, info.zero), (MAX_STEPS as u16, false));
        let other = Sig { mcs: Mcs(3), ..sig };
        other.to_bits(Format::S1g1M, &mut bits);
        assert!(!read(pack(&bits)).candidate);
    }
}
