//! SigMF sample formats and their conversion to and from `Complex32`.
//!
//! Only the complex formats subgate meets in practice are supported: `cf32_le` (our own
//! recordings, GNU Radio), `ci16_le` (USRP, most SDR apps) and `ci8` (HackRF). Scaling
//! maps the integer full scale to |x| = 1, the same reference the receiver's dBFS uses.

use std::fmt;

use num_complex::Complex32;

/// Scale of `ci16_le`: full scale 32768 maps to 1.0.
const CI16_FULL_SCALE: f32 = 32768.0;
/// Scale of `ci8`: full scale 128 maps to 1.0 (HackRF convention).
const CI8_FULL_SCALE: f32 = 128.0;

/// On-disk sample format (`core:datatype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Datatype {
    /// `cf32_le`: two little-endian IEEE-754 f32 (I, Q), 8 bytes per sample.
    Cf32Le,
    /// `ci16_le`: two little-endian i16 (I, Q), 4 bytes per sample, scaled by 1/32768.
    Ci16Le,
    /// `ci8`: two i8 (I, Q), 2 bytes per sample, scaled by 1/128.
    Ci8,
}

impl Datatype {
    /// Every supported datatype, for sweeps in tests and help text.
    pub const ALL: [Datatype; 3] = [Datatype::Cf32Le, Datatype::Ci16Le, Datatype::Ci8];

    /// Parses the SigMF spelling; `None` for any other datatype (the caller names the file).
    pub fn from_sigmf(s: &str) -> Option<Datatype> {
        match s {
            "cf32_le" => Some(Datatype::Cf32Le),
            "ci16_le" => Some(Datatype::Ci16Le),
            "ci8" => Some(Datatype::Ci8),
            _ => None,
        }
    }

    /// The SigMF spelling written to `core:datatype`.
    pub const fn sigmf_name(self) -> &'static str {
        match self {
            Datatype::Cf32Le => "cf32_le",
            Datatype::Ci16Le => "ci16_le",
            Datatype::Ci8 => "ci8",
        }
    }

    /// Bytes per complex sample, so data lengths can be checked and indexed.
    pub const fn sample_size(self) -> usize {
        match self {
            Datatype::Cf32Le => 8,
            Datatype::Ci16Le => 4,
            Datatype::Ci8 => 2,
        }
    }

    /// Converts whole samples from `bytes` into `out`, as many as both hold; returns how many.
    ///
    /// A trailing partial sample in `bytes` is ignored (recordings are checked for that
    /// when opened).
    pub fn decode(self, bytes: &[u8], out: &mut [Complex32]) -> usize {
        let chunks = bytes.chunks_exact(self.sample_size());
        let mut n = 0;
        for (c, o) in chunks.zip(out.iter_mut()) {
            *o = match self {
                Datatype::Cf32Le => Complex32::new(
                    f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    f32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                ),
                Datatype::Ci16Le => Complex32::new(
                    f32::from(i16::from_le_bytes([c[0], c[1]])) / CI16_FULL_SCALE,
                    f32::from(i16::from_le_bytes([c[2], c[3]])) / CI16_FULL_SCALE,
                ),
                Datatype::Ci8 => Complex32::new(
                    f32::from(c[0] as i8) / CI8_FULL_SCALE,
                    f32::from(c[1] as i8) / CI8_FULL_SCALE,
                ),
            };
            n += 1;
        }
        n
    }

    /// Writes one sample's bytes into `out` (at least [`Self::sample_size`] long) and
    /// returns whether a component had to be clipped to the integer range.
    ///
    /// Integer formats round to nearest and saturate; NaN becomes 0 and counts as clipped.
    ///
    /// # Panics
    /// If `out` is shorter than [`Self::sample_size`].
    pub fn encode(self, x: Complex32, out: &mut [u8]) -> bool {
        match self {
            Datatype::Cf32Le => {
                out[0..4].copy_from_slice(&x.re.to_le_bytes());
                out[4..8].copy_from_slice(&x.im.to_le_bytes());
                false
            }
            Datatype::Ci16Le => {
                let (i, ci) = quantise(x.re, CI16_FULL_SCALE, i16::MIN.into(), i16::MAX.into());
                let (q, cq) = quantise(x.im, CI16_FULL_SCALE, i16::MIN.into(), i16::MAX.into());
                // quantise() returns values inside the i16 range.
                out[0..2].copy_from_slice(&(i as i16).to_le_bytes());
                out[2..4].copy_from_slice(&(q as i16).to_le_bytes());
                ci || cq
            }
            Datatype::Ci8 => {
                let (i, ci) = quantise(x.re, CI8_FULL_SCALE, i8::MIN.into(), i8::MAX.into());
                let (q, cq) = quantise(x.im, CI8_FULL_SCALE, i8::MIN.into(), i8::MAX.into());
                out[0] = (i as i8) as u8;
                out[1] = (q as i8) as u8;
                ci || cq
            }
        }
    }
}

/// Scales, rounds to nearest and clamps to `min..=max`; the flag says whether it clipped.
fn quantise(v: f32, scale: f32, min: f32, max: f32) -> (f32, bool) {
    if v.is_nan() {
        return (0.0, true);
    }
    let r = (v * scale).round();
    if r < min {
        (min, true)
    } else if r > max {
        (max, true)
    } else {
        (r, false)
    }
}

impl fmt::Display for Datatype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sigmf_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Datatype::ALL {
            assert_eq!(Datatype::from_sigmf(d.sigmf_name()), Some(d));
        }
        assert_eq!(Datatype::from_sigmf("cf32_be"), None);
        assert_eq!(Datatype::from_sigmf("CF32_LE"), None);
    }

    #[test]
    fn integer_scaling_and_clipping() {
        let mut b = [0xa5u8; 8];
        assert!(!Datatype::Ci16Le.encode(Complex32::new(0.5, -1.0), &mut b));
        assert_eq!(&b[..4], &[0x00, 0x40, 0x00, 0x80]);
        // +1.0 is one LSB beyond i16::MAX: clipped.
        assert!(Datatype::Ci16Le.encode(Complex32::new(1.0, 0.0), &mut b));
        assert_eq!(&b[..2], &i16::MAX.to_le_bytes());
        assert!(Datatype::Ci8.encode(Complex32::new(f32::NAN, -3.0), &mut b));
        assert_eq!(&b[..2], &[0x00, 0x80]);
        // round to nearest: 0.6 LSB -> 1, -0.4 LSB -> 0
        assert!(!Datatype::Ci8.encode(Complex32::new(0.6 / 128.0, -0.4 / 128.0), &mut b));
        assert_eq!(&b[..2], &[0x01, 0x00]);

        let mut out = [Complex32::new(9.0, 9.0); 2];
        let n = Datatype::Ci8.decode(&[0x80, 0x7f, 0x01], &mut out);
        assert_eq!(n, 1, "the trailing partial sample is ignored");
        assert_eq!(out[0], Complex32::new(-1.0, 127.0 / 128.0));
        assert_eq!(out[1], Complex32::new(9.0, 9.0));
    }
}
