//! Binary convolutional encoder (K = 7, generators 133/171 octal) and puncturing.

use crate::params::CodeRate;

/// Generator g0 = 133 octal as a mask over the 7-bit register (bit 6 = newest input).
pub const G0: u8 = 0o133;
/// Generator g1 = 171 octal.
pub const G1: u8 = 0o171;

/// Parity (0 or 1) of the set bits of `x`.
#[inline]
pub const fn parity(x: u8) -> u8 {
    (x.count_ones() & 1) as u8
}

/// Encodes `bits` (one per byte) at rate 1/2 into `out` as A0 B0 A1 B1 …, starting from the
/// zero state. `out` must hold `2 * bits.len()` bits.
///
/// # Panics
/// If `out` is shorter than `2 * bits.len()`.
pub fn encode(bits: &[u8], out: &mut [u8]) {
    let mut reg = 0u8;
    for (i, &b) in bits.iter().enumerate() {
        reg = (reg >> 1) | ((b & 1) << 6);
        out[2 * i] = parity(reg & G0);
        out[2 * i + 1] = parity(reg & G1);
    }
}

/// Removes the bits `rate` does not send from a rate-1/2 stream; returns how many were kept.
pub fn puncture(rate: CodeRate, coded: &[u8], out: &mut [u8]) -> usize {
    let pat = rate.puncture_pattern();
    let mut n = 0;
    for (i, &c) in coded.iter().enumerate() {
        if pat[i % pat.len()] {
            out[n] = c;
            n += 1;
        }
    }
    n
}

/// Number of bits kept when puncturing `mother_len` rate-1/2 bits.
pub fn punctured_len(rate: CodeRate, mother_len: usize) -> usize {
    let pat = rate.puncture_pattern();
    let per = pat.iter().filter(|&&k| k).count();
    let full = mother_len / pat.len() * per;
    full + pat[..mother_len % pat.len()].iter().filter(|&&k| k).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_response_is_the_generators() {
        // A single 1 followed by zeros walks through the taps: A = 1 0 1 1 0 1 1, B = 1 1 1 1 0 0 1.
        let mut bits = [0u8; 7];
        bits[0] = 1;
        let mut out = [0u8; 14];
        encode(&bits, &mut out);
        let a: Vec<u8> = out.iter().step_by(2).copied().collect();
        let b: Vec<u8> = out.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(a, [1, 0, 1, 1, 0, 1, 1]);
        assert_eq!(b, [1, 1, 1, 1, 0, 0, 1]);
    }

    #[test]
    fn puncturing_keeps_the_rate() {
        for (rate, inb) in [
            (CodeRate::R2_3, 2),
            (CodeRate::R3_4, 3),
            (CodeRate::R5_6, 5),
        ] {
            let coded = vec![1u8; 2 * inb * 10];
            let mut out = vec![0u8; coded.len()];
            let n = puncture(rate, &coded, &mut out);
            let (num, den) = rate.fraction();
            assert_eq!(n * num, inb * 10 * den);
            assert_eq!(n, punctured_len(rate, coded.len()));
        }
    }
}
