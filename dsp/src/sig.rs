//! The SIG field: its bit layout (S1G_1M: 36 bits, S1G_SHORT: 48 bits), CRC-4 and coding.
//!
//! Layouts (802.11-2020 Tables 23-18 and 23-20), bit 0 first on air:
//! - S1G_1M: B0–1 NSTS−1, B2 SGI, B3 coding, B4 LDPC extra, B5 STBC, B6 reserved, B7–10 MCS,
//!   B11 aggregation, B12–20 length, B21–22 response indication, B23 smoothing,
//!   B24 traveling pilots, B25 NDP indication, B26–29 CRC, B30–35 tail.
//! - S1G_SHORT: B0 reserved, B1 STBC, B2 uplink indication, B3–4 BW, B5–6 NSTS−1, B7–15 ID,
//!   B16 SGI, B17–18 coding, B19–22 MCS, B23 smoothing, B24 aggregation, B25–33 length,
//!   B34–35 response indication, B36 traveling pilots, B37 NDP, B38–41 CRC, B42–47 tail.

use crate::crc::sig_crc4;
use crate::params::{Format, Gi, Mcs};

/// Bits in the S1G_1M SIG.
pub const SIG_BITS_1M: usize = 36;
/// Bits in the S1G_SHORT SIG.
pub const SIG_BITS_2M: usize = 48;
/// Largest SIG.
pub const MAX_SIG_BITS: usize = SIG_BITS_2M;

/// The SIG fields this PHY sets and reads (single stream, BCC, no STBC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sig {
    /// MCS of the data field.
    pub mcs: Mcs,
    /// Data-field guard interval.
    pub gi: Gi,
    /// Aggregation bit: LENGTH counts data symbols, the PSDU is an A-MPDU.
    pub aggregation: bool,
    /// LENGTH: bytes (aggregation off) or data symbols (on); 9 bits.
    pub length: u16,
    /// Smoothing recommended (the receiver may smooth its channel estimate across tones).
    pub smoothing: bool,
    /// S1G_SHORT only: uplink indication.
    pub uplink: bool,
    /// S1G_SHORT only: partial AID / BSS colour (9 bits).
    pub id: u16,
}

/// Why a received SIG was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigError {
    /// The CRC-4 did not match.
    Crc,
    /// Valid CRC but a feature this receiver does not decode (MIMO, STBC, LDPC, NDP, wider BW,
    /// traveling pilots) or an MCS the format does not have.
    Unsupported(&'static str),
}

fn put(bits: &mut [u8], at: usize, width: usize, value: u32) {
    for i in 0..width {
        bits[at + i] = ((value >> i) & 1) as u8;
    }
}

fn get(bits: &[u8], at: usize, width: usize) -> u32 {
    (0..width).fold(0, |a, i| a | ((bits[at + i] as u32 & 1) << i))
}

impl Sig {
    /// Number of SIG bits of `format`.
    pub const fn n_bits(format: Format) -> usize {
        match format {
            Format::S1g1M => SIG_BITS_1M,
            Format::S1gShort2M => SIG_BITS_2M,
        }
    }

    /// Writes the SIG bits (CRC and zero tail included) into `bits[..n_bits(format)]`.
    pub fn to_bits(&self, format: Format, bits: &mut [u8]) {
        let sgi = (self.gi == Gi::Short) as u32;
        match format {
            Format::S1g1M => {
                let b = &mut bits[..SIG_BITS_1M];
                b.fill(0);
                put(b, 0, 2, 0); // NSTS − 1
                put(b, 2, 1, sgi);
                put(b, 3, 1, 0); // BCC
                put(b, 4, 1, 1); // LDPC extra symbol: set to 1 with BCC
                put(b, 5, 1, 0); // STBC
                put(b, 6, 1, 1); // reserved, set to 1
                put(b, 7, 4, self.mcs.0 as u32);
                put(b, 11, 1, self.aggregation as u32);
                put(b, 12, 9, self.length as u32);
                put(b, 21, 2, 0); // response indication: none
                put(b, 23, 1, self.smoothing as u32);
                put(b, 24, 1, 0); // traveling pilots
                put(b, 25, 1, 0); // NDP indication
                let crc = sig_crc4(&b[..26]);
                b[26..30].copy_from_slice(&crc);
            }
            Format::S1gShort2M => {
                let b = &mut bits[..SIG_BITS_2M];
                b.fill(0);
                put(b, 0, 1, 1); // reserved, set to 1
                put(b, 1, 1, 0); // STBC
                put(b, 2, 1, self.uplink as u32);
                put(b, 3, 2, 0); // BW: 2 MHz
                put(b, 5, 2, 0); // NSTS − 1
                put(b, 7, 9, self.id as u32 & 0x1FF);
                put(b, 16, 1, sgi);
                put(b, 17, 2, 0); // BCC, no LDPC extra
                put(b, 19, 4, self.mcs.0 as u32);
                put(b, 23, 1, self.smoothing as u32);
                put(b, 24, 1, self.aggregation as u32);
                put(b, 25, 9, self.length as u32);
                put(b, 34, 2, 0); // response indication
                put(b, 36, 1, 0); // traveling pilots
                put(b, 37, 1, 0); // NDP
                let crc = sig_crc4(&b[..38]);
                b[38..42].copy_from_slice(&crc);
            }
        }
    }

    /// Parses decoded SIG bits, checking the CRC and refusing what this PHY cannot receive.
    pub fn from_bits(format: Format, bits: &[u8]) -> Result<Sig, SigError> {
        let (crc_at, n) = match format {
            Format::S1g1M => (26, SIG_BITS_1M),
            Format::S1gShort2M => (38, SIG_BITS_2M),
        };
        let b = &bits[..n];
        if sig_crc4(&b[..crc_at]) != b[crc_at..crc_at + 4] {
            return Err(SigError::Crc);
        }
        let sig = match format {
            Format::S1g1M => {
                if get(b, 0, 2) != 0 {
                    return Err(SigError::Unsupported("more than one space-time stream"));
                }
                if get(b, 3, 1) != 0 {
                    return Err(SigError::Unsupported("LDPC coding"));
                }
                if get(b, 5, 1) != 0 {
                    return Err(SigError::Unsupported("STBC"));
                }
                if get(b, 24, 1) != 0 {
                    return Err(SigError::Unsupported("traveling pilots"));
                }
                if get(b, 25, 1) != 0 {
                    return Err(SigError::Unsupported("NDP"));
                }
                Sig {
                    mcs: Mcs(get(b, 7, 4) as u8),
                    gi: if get(b, 2, 1) == 1 {
                        Gi::Short
                    } else {
                        Gi::Long
                    },
                    aggregation: get(b, 11, 1) == 1,
                    length: get(b, 12, 9) as u16,
                    smoothing: get(b, 23, 1) == 1,
                    uplink: false,
                    id: 0,
                }
            }
            Format::S1gShort2M => {
                if get(b, 1, 1) != 0 {
                    return Err(SigError::Unsupported("STBC"));
                }
                if get(b, 3, 2) != 0 {
                    return Err(SigError::Unsupported("bandwidth above 2 MHz"));
                }
                if get(b, 5, 2) != 0 {
                    return Err(SigError::Unsupported("more than one space-time stream"));
                }
                if get(b, 17, 1) != 0 {
                    return Err(SigError::Unsupported("LDPC coding"));
                }
                if get(b, 36, 1) != 0 {
                    return Err(SigError::Unsupported("traveling pilots"));
                }
                if get(b, 37, 1) != 0 {
                    return Err(SigError::Unsupported("NDP"));
                }
                Sig {
                    mcs: Mcs(get(b, 19, 4) as u8),
                    gi: if get(b, 16, 1) == 1 {
                        Gi::Short
                    } else {
                        Gi::Long
                    },
                    aggregation: get(b, 24, 1) == 1,
                    length: get(b, 25, 9) as u16,
                    smoothing: get(b, 23, 1) == 1,
                    uplink: get(b, 2, 1) == 1,
                    id: get(b, 7, 9) as u16,
                }
            }
        };
        if !format.supports(sig.mcs) {
            return Err(SigError::Unsupported("MCS not defined for this format"));
        }
        Ok(sig)
    }
}

/// MCS10's repetition mask: the second copy of each 12 coded bits is XORed with it.
pub const REPETITION_MASK: [u8; 12] = [1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_both_formats() {
        for f in Format::ALL {
            let s = Sig {
                mcs: Mcs(3),
                gi: Gi::Short,
                aggregation: true,
                length: 301,
                smoothing: true,
                uplink: f == Format::S1gShort2M,
                id: if f == Format::S1gShort2M { 0x155 } else { 0 },
            };
            let mut bits = [0u8; MAX_SIG_BITS];
            s.to_bits(f, &mut bits);
            assert_eq!(Sig::from_bits(f, &bits), Ok(s));
            // tail is zero
            let n = Sig::n_bits(f);
            assert!(bits[n - 6..n].iter().all(|&b| b == 0));
            bits[9] ^= 1;
            assert_eq!(Sig::from_bits(f, &bits), Err(SigError::Crc));
        }
    }

    #[test]
    fn refuses_mcs_outside_the_format() {
        let s = Sig {
            mcs: Mcs(10),
            gi: Gi::Long,
            aggregation: false,
            length: 10,
            smoothing: false,
            uplink: false,
            id: 0,
        };
        let mut bits = [0u8; MAX_SIG_BITS];
        s.to_bits(Format::S1gShort2M, &mut bits);
        assert!(matches!(
            Sig::from_bits(Format::S1gShort2M, &bits),
            Err(SigError::Unsupported(_))
        ));
    }
}
