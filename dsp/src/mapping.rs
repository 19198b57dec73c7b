//! Gray-coded constellations of 802.11 (BPSK … 256-QAM) and their max-log soft demappers.

use crate::params::Modulation;
use num_complex::Complex32;

/// Amplitude levels per axis, indexed by the Gray-coded axis bits read MSB-first
/// (b0 first). Values are in odd-integer units; multiply by [`norm`].
const PAM2: [f32; 2] = [-1.0, 1.0];
const PAM4: [f32; 4] = [-3.0, -1.0, 3.0, 1.0];
const PAM8: [f32; 8] = [-7.0, -5.0, -1.0, -3.0, 7.0, 5.0, 1.0, 3.0];
const PAM16: [f32; 16] = [
    -15.0, -13.0, -9.0, -11.0, -1.0, -3.0, -7.0, -5.0, 15.0, 13.0, 9.0, 11.0, 1.0, 3.0, 7.0, 5.0,
];

/// Scale that gives the constellation unit mean power.
pub fn norm(m: Modulation) -> f32 {
    match m {
        Modulation::Bpsk => 1.0,
        Modulation::Qpsk => 1.0 / 2f32.sqrt(),
        Modulation::Qam16 => 1.0 / 10f32.sqrt(),
        Modulation::Qam64 => 1.0 / 42f32.sqrt(),
        Modulation::Qam256 => 1.0 / 170f32.sqrt(),
    }
}

fn axis(bits: &[u8]) -> f32 {
    let idx = bits
        .iter()
        .fold(0usize, |a, &b| (a << 1) | (b & 1) as usize);
    match bits.len() {
        1 => PAM2[idx],
        2 => PAM4[idx],
        3 => PAM8[idx],
        _ => PAM16[idx],
    }
}

/// Maps `bits` (one per byte, `bits_per_symbol` of them per point) to constellation points.
pub fn map(m: Modulation, bits: &[u8], out: &mut [Complex32]) {
    let n = m.bits_per_symbol();
    let s = norm(m);
    for (c, o) in bits.chunks_exact(n).zip(out.iter_mut()) {
        *o = match m {
            Modulation::Bpsk => Complex32::new(axis(&c[..1]), 0.0),
            _ => Complex32::new(axis(&c[..n / 2]), axis(&c[n / 2..])) * s,
        };
    }
}

/// Max-log LLRs of one axis in odd-integer units: positive favours bit 1.
#[inline]
fn axis_llr(y: f32, bits: usize, out: &mut [f32]) {
    match bits {
        1 => out[0] = y,
        2 => {
            out[0] = y;
            out[1] = 2.0 - y.abs();
        }
        3 => {
            out[0] = y;
            out[1] = 4.0 - y.abs();
            out[2] = 2.0 - (y.abs() - 4.0).abs();
        }
        _ => {
            out[0] = y;
            out[1] = 8.0 - y.abs();
            out[2] = 4.0 - (y.abs() - 8.0).abs();
            out[3] = 2.0 - ((y.abs() - 8.0).abs() - 4.0).abs();
        }
    }
}

/// Soft-demaps equalised points `y` with per-point weights `w` (|H|², i.e. reliability)
/// into LLRs, `bits_per_symbol` per point.
pub fn demap(m: Modulation, y: &[Complex32], w: &[f32], out: &mut [f32]) {
    let n = m.bits_per_symbol();
    let inv = 1.0 / norm(m);
    match m {
        Modulation::Bpsk => {
            for ((p, &wt), o) in y.iter().zip(w).zip(out.iter_mut()) {
                *o = p.re * wt;
            }
        }
        _ => {
            let h = n / 2;
            for ((p, &wt), o) in y.iter().zip(w).zip(out.chunks_exact_mut(n)) {
                axis_llr(p.re * inv, h, &mut o[..h]);
                axis_llr(p.im * inv, h, &mut o[h..]);
                for v in o.iter_mut() {
                    *v *= wt;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Modulation; 5] = [
        Modulation::Bpsk,
        Modulation::Qpsk,
        Modulation::Qam16,
        Modulation::Qam64,
        Modulation::Qam256,
    ];

    #[test]
    fn unit_power_and_gray_neighbours() {
        for m in ALL {
            let n = m.bits_per_symbol();
            let count = 1usize << n;
            let mut power = 0.0;
            for v in 0..count {
                let bits: Vec<u8> = (0..n).map(|i| ((v >> (n - 1 - i)) & 1) as u8).collect();
                let mut p = [Complex32::new(0.0, 0.0)];
                map(m, &bits, &mut p);
                power += p[0].norm_sqr();
            }
            assert!((power / count as f32 - 1.0).abs() < 1e-5, "{m:?}");
        }
        // Adjacent 16-QAM levels differ in exactly one bit (Gray): -3,-1,1,3 ↔ 00,01,11,10.
        assert_eq!(PAM4, [-3.0, -1.0, 3.0, 1.0]);
    }

    #[test]
    fn hard_decisions_of_soft_demap_invert_map() {
        for m in ALL {
            let n = m.bits_per_symbol();
            for v in 0..(1usize << n) {
                let bits: Vec<u8> = (0..n).map(|i| ((v >> (n - 1 - i)) & 1) as u8).collect();
                let mut p = [Complex32::new(0.0, 0.0)];
                map(m, &bits, &mut p);
                let mut llr = vec![0.0; n];
                demap(m, &p, &[1.0], &mut llr);
                let hard: Vec<u8> = llr.iter().map(|&l| (l > 0.0) as u8).collect();
                assert_eq!(hard, bits, "{m:?} value {v}");
            }
        }
    }
}
