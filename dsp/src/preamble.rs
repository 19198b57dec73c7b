//! Training fields: STF and LTF sequences in frequency, and their time-domain waveforms.
//!
//! Sequences: S1G_1M STF/LTF per 802.11-2020 Eq. 23-23/23-40 (checked against
//! irongiant33/gr-ieee802-11ah); S1G_SHORT STF = HT/L-STF, LTF = VHT-LTF of 20 MHz clocked
//! down by ten. Every field is scaled to unit mean power over the tones it uses.

use crate::params::{bin, Format};
use num_complex::Complex32;
use rustfft::FftPlanner;

/// S1G_1M STF tones k = −12, −8, −4, 4, 8, 12, in units of √(2/3)(1 + j).
const STF_1M: [(i32, f32); 6] = [
    (-12, 0.5),
    (-8, -1.0),
    (-4, 1.0),
    (4, -1.0),
    (8, -1.0),
    (12, -0.5),
];

/// S1G_SHORT STF tones (the 20 MHz L-STF pattern) in units of √(1/2)(1 + j).
const STF_2M: [(i32, f32); 12] = [
    (-24, 1.0),
    (-20, -1.0),
    (-16, 1.0),
    (-12, -1.0),
    (-8, -1.0),
    (-4, 1.0),
    (4, -1.0),
    (8, -1.0),
    (12, 1.0),
    (16, 1.0),
    (20, 1.0),
    (24, 1.0),
];

/// S1G_1M LTF on k = −13..=13.
const LTF_1M: [i8; 27] = [
    1, -1, 1, -1, -1, 1, -1, 1, 1, -1, 1, 1, 1, 0, -1, -1, -1, 1, -1, -1, -1, 1, -1, 1, 1, 1, -1,
];

/// S1G_SHORT LTF (VHT-LTF, 20 MHz) on k = −28..=28.
const LTF_2M: [i8; 57] = [
    1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 0,
    1, -1, -1, 1, 1, -1, 1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, 1, -1, 1, -1, 1, 1, 1, 1, -1,
    -1,
];

/// Frequency-domain STF (FFT bin order, length `fft_len`), unscaled.
pub fn stf_freq(format: Format) -> Vec<Complex32> {
    let n = format.fft_len();
    let mut x = vec![Complex32::new(0.0, 0.0); n];
    match format {
        Format::S1g1M => {
            let a = (2.0f32 / 3.0).sqrt();
            for (k, v) in STF_1M {
                x[bin(k, n)] = Complex32::new(a * v, a * v);
            }
        }
        Format::S1gShort2M => {
            let a = 0.5f32.sqrt();
            for (k, v) in STF_2M {
                x[bin(k, n)] = Complex32::new(a * v, a * v);
            }
        }
    }
    x
}

/// Frequency-domain LTF (FFT bin order), values ±1 on the used tones, 0 elsewhere.
pub fn ltf_freq(format: Format) -> Vec<Complex32> {
    let n = format.fft_len();
    let mut x = vec![Complex32::new(0.0, 0.0); n];
    let (seq, half): (&[i8], i32) = match format {
        Format::S1g1M => (&LTF_1M, 13),
        Format::S1gShort2M => (&LTF_2M, 28),
    };
    for (i, &v) in seq.iter().enumerate() {
        x[bin(i as i32 - half, n)] = Complex32::new(v as f32, 0.0);
    }
    x
}

/// Inverse FFT of one symbol scaled to unit mean power: `1/√(Σ|X|²)` times the plain sum.
pub fn symbol_time(freq: &[Complex32]) -> Vec<Complex32> {
    let n = freq.len();
    let mut t = freq.to_vec();
    FftPlanner::new().plan_fft_inverse(n).process(&mut t);
    let p: f32 = freq.iter().map(|c| c.norm_sqr()).sum();
    let s = 1.0 / p.sqrt();
    for v in t.iter_mut() {
        *v *= s;
    }
    t
}

/// One period of the STF waveform is `fft_len / 4` samples; the field is 160 samples at 1×
/// for both formats (1 MHz: 20 periods of 8; 2 MHz: 10 periods of 16).
pub const STF_LEN: usize = 160;

/// The STF waveform (`STF_LEN` samples), scaled by `boost` (√2 for 1 MHz MCS10 PPDUs).
pub fn stf_time(format: Format, boost: f32) -> Vec<Complex32> {
    let sym = symbol_time(&stf_freq(format));
    let n = sym.len();
    (0..STF_LEN).map(|i| sym[i % n] * boost).collect()
}

/// The LTF1 waveform: double GI + two LTFs, then (1 MHz only) two more GI + LTF.
pub fn ltf1_time(format: Format) -> Vec<Complex32> {
    let sym = symbol_time(&ltf_freq(format));
    let n = sym.len();
    let mut out = Vec::with_capacity(160);
    out.extend_from_slice(&sym[n / 2..]);
    out.extend_from_slice(&sym);
    out.extend_from_slice(&sym);
    if format == Format::S1g1M {
        for _ in 0..2 {
            out.extend_from_slice(&sym[n - n / 4..]);
            out.extend_from_slice(&sym);
        }
    }
    out
}

/// Start offsets (from the LTF1 start) of each full LTF symbol inside LTF1.
pub fn ltf1_symbol_offsets(format: Format) -> &'static [usize] {
    match format {
        Format::S1g1M => &[16, 48, 88, 128],
        Format::S1gShort2M => &[32, 96],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_have_unit_power_and_right_length() {
        for f in Format::ALL {
            let stf = stf_time(f, 1.0);
            let ltf = ltf1_time(f);
            assert_eq!(stf.len(), STF_LEN);
            assert_eq!(ltf.len(), 160);
            let p = |x: &[Complex32]| x.iter().map(|c| c.norm_sqr()).sum::<f32>() / x.len() as f32;
            // STF is a whole number of periods: exactly unit power. LTF1's guard intervals
            // repeat only part of the symbol, so only each LTF symbol is exactly unit power.
            assert!((p(&stf) - 1.0).abs() < 1e-4, "{f} STF power {}", p(&stf));
            let sym = symbol_time(&ltf_freq(f));
            assert!(
                (p(&sym) - 1.0).abs() < 1e-4,
                "{f} LTF symbol power {}",
                p(&sym)
            );
            assert!((p(&ltf) - 1.0).abs() < 0.02, "{f} LTF1 power {}", p(&ltf));
        }
    }

    #[test]
    fn stf_is_periodic_with_quarter_symbol() {
        for f in Format::ALL {
            let stf = stf_time(f, 1.0);
            let l = f.fft_len() / 4;
            for i in 0..stf.len() - l {
                assert!((stf[i] - stf[i + l]).norm() < 1e-5);
            }
        }
    }

    #[test]
    fn tone_counts_match_the_normalisation() {
        // N_tone: 1 MHz STF 6, LTF 26; 2 MHz STF 12, LTF 56.
        let count = |x: Vec<Complex32>| x.iter().filter(|c| c.norm() > 0.0).count();
        assert_eq!(count(stf_freq(Format::S1g1M)), 6);
        assert_eq!(count(ltf_freq(Format::S1g1M)), 26);
        assert_eq!(count(stf_freq(Format::S1gShort2M)), 12);
        assert_eq!(count(ltf_freq(Format::S1gShort2M)), 56);
    }
}
