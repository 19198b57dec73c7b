//! Pilot tone values per OFDM symbol (802.11-2020 23.3.8.2.x; facts and sources in docs/phy.md).

use crate::params::Format;
use crate::scrambler::POLARITY;

/// Which part of the PPDU a symbol belongs to; pilots count symbols from the SIG's first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// SIG symbol `n` (0-based).
    Sig,
    /// Data symbol `n` (0-based).
    Data,
}

/// Pattern Ψ of the 2 MHz data pilots at (−21, −7, 7, 21), rotated by one each symbol.
const PSI_2M: [f32; 4] = [1.0, 1.0, 1.0, -1.0];

/// Fills `out` (one value per entry of `format.pilot_tones()`) with the pilot values of
/// symbol `n` of `field`.
pub fn pilot_values(format: Format, field: Field, n: usize, out: &mut [f32]) {
    match format {
        Format::S1g1M => {
            // S1G_1M: SIG n = 0..5, data continues at n + 6; (−7, +7) alternate (1, −1) / (−1, 1).
            let z = match field {
                Field::Sig => 0,
                Field::Data => 6,
            };
            let p = POLARITY[(n + z) % 127] as f32;
            let (a, b) = if n.is_multiple_of(2) {
                (1.0, -1.0)
            } else {
                (-1.0, 1.0)
            };
            out[0] = p * a;
            out[1] = p * b;
        }
        Format::S1gShort2M => match field {
            Field::Sig => {
                let p = POLARITY[n % 127] as f32;
                for (o, psi) in out.iter_mut().zip(PSI_2M) {
                    *o = p * psi;
                }
            }
            Field::Data => {
                let p = POLARITY[(n + 2) % 127] as f32;
                for (m, o) in out.iter_mut().enumerate() {
                    *o = p * PSI_2M[(m + n) % 4];
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mhz_pilots_alternate() {
        let mut v = [0.0; 2];
        pilot_values(Format::S1g1M, Field::Sig, 0, &mut v);
        assert_eq!(v, [1.0, -1.0]); // p0 = +1
        pilot_values(Format::S1g1M, Field::Sig, 1, &mut v);
        assert_eq!(v, [-1.0, 1.0]); // p1 = +1
        pilot_values(Format::S1g1M, Field::Sig, 4, &mut v);
        assert_eq!(v, [-1.0, 1.0]); // p4 = −1, even symbol
        pilot_values(Format::S1g1M, Field::Data, 0, &mut v);
        assert_eq!(v, [-1.0, 1.0]); // p6 = −1
    }

    #[test]
    fn two_mhz_data_pilots_rotate() {
        let mut v = [0.0; 4];
        pilot_values(Format::S1gShort2M, Field::Data, 0, &mut v);
        assert_eq!(v, [1.0, 1.0, 1.0, -1.0]); // p2 = +1
        pilot_values(Format::S1gShort2M, Field::Data, 1, &mut v);
        assert_eq!(v, [1.0, 1.0, -1.0, 1.0]); // p3 = +1
        pilot_values(Format::S1gShort2M, Field::Data, 2, &mut v);
        assert_eq!(v, [-1.0, 1.0, -1.0, -1.0]); // p4 = −1 times Ψ rotated by two: (1, −1, 1, 1)
    }
}
