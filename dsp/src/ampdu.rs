//! The one piece of MAC framing the PHY must know: the A-MPDU that carries a PSDU when the
//! SIG LENGTH counts symbols (aggregation = 1). One delimiter + MPDU, padded to 4 bytes, then
//! EOF padding delimiters up to the last whole octet of the data field.
//!
//! Delimiter (VHT/S1G layout, 802.11-2020 Figure 10-29): B0 EOF, B1 reserved, B2–B3 MPDU
//! length high bits, B4–B15 MPDU length low 12 bits, B16–B23 CRC-8 over B0–B15, B24–B31
//! signature 0x4E.

use crate::crc::delimiter_crc8;

/// Bytes in one delimiter.
pub const DELIMITER_LEN: usize = 4;
/// Delimiter signature octet ('N').
pub const SIGNATURE: u8 = 0x4E;
/// Largest MPDU a delimiter can announce (14 bits).
pub const MAX_MPDU_LEN: usize = (1 << 14) - 1;

/// Why a received A-MPDU yielded no MPDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmpduError {
    /// Fewer than four bytes.
    Truncated,
    /// Wrong CRC-8 or signature in the first delimiter.
    BadDelimiter,
    /// The delimiter announces more bytes than the data field holds.
    LengthOverrun,
}

/// Builds a delimiter announcing `len` bytes.
pub fn delimiter(len: usize, eof: bool) -> [u8; 4] {
    let len = len & MAX_MPDU_LEN;
    // B0 EOF, B1 reserved, B2-3 = len bits 12-13, B4-15 = len bits 0-11
    let v: u16 = (eof as u16) | (((len >> 12) as u16 & 0x3) << 2) | (((len & 0xFFF) as u16) << 4);
    let b = v.to_le_bytes();
    [b[0], b[1], delimiter_crc8(b), SIGNATURE]
}

/// Parses a delimiter: `Some((mpdu_len, eof))` when its CRC and signature are right.
pub fn parse_delimiter(d: &[u8]) -> Option<(usize, bool)> {
    if d.len() < DELIMITER_LEN || d[3] != SIGNATURE || delimiter_crc8([d[0], d[1]]) != d[2] {
        return None;
    }
    let v = u16::from_le_bytes([d[0], d[1]]);
    let len = ((v >> 4) & 0xFFF) as usize | ((((v >> 2) & 0x3) as usize) << 12);
    Some((len, v & 1 == 1))
}

/// Fills `out` (the data field's whole octets) with a single-MPDU A-MPDU around `mpdu`.
///
/// # Panics
/// If `out` is shorter than `DELIMITER_LEN + mpdu.len()`.
pub fn frame_single(mpdu: &[u8], out: &mut [u8]) {
    out[..DELIMITER_LEN].copy_from_slice(&delimiter(mpdu.len(), true));
    let end = DELIMITER_LEN + mpdu.len();
    out[DELIMITER_LEN..end].copy_from_slice(mpdu);
    let padded = end.div_ceil(4) * 4;
    let mut at = padded.min(out.len());
    out[end..at].fill(0);
    while at + DELIMITER_LEN <= out.len() {
        out[at..at + DELIMITER_LEN].copy_from_slice(&delimiter(0, true));
        at += DELIMITER_LEN;
    }
    out[at..].fill(0);
}

/// Extracts the first MPDU of an A-MPDU.
pub fn first_mpdu(data: &[u8]) -> Result<&[u8], AmpduError> {
    if data.len() < DELIMITER_LEN {
        return Err(AmpduError::Truncated);
    }
    let (len, _) = parse_delimiter(data).ok_or(AmpduError::BadDelimiter)?;
    data.get(DELIMITER_LEN..DELIMITER_LEN + len)
        .ok_or(AmpduError::LengthOverrun)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_round_trip_all_lengths() {
        for len in [0usize, 1, 255, 4095, 4096, MAX_MPDU_LEN] {
            let d = delimiter(len, len == 0);
            assert_eq!(parse_delimiter(&d), Some((len, len == 0)));
        }
        let mut d = delimiter(100, false);
        d[0] ^= 0x10;
        assert_eq!(parse_delimiter(&d), None);
    }

    #[test]
    fn single_mpdu_with_padding() {
        let mpdu: Vec<u8> = (0..37u8).collect();
        let mut out = [0xA5u8; 64];
        frame_single(&mpdu, &mut out);
        assert_eq!(first_mpdu(&out), Ok(&mpdu[..]));
        // padding delimiter at the next 4-byte boundary (4 + 37 = 41 → 44)
        assert_eq!(parse_delimiter(&out[44..]), Some((0, true)));
        assert_eq!(first_mpdu(&out[..20]), Err(AmpduError::LengthOverrun));
        assert_eq!(first_mpdu(&out[..3]), Err(AmpduError::Truncated));
    }
}
