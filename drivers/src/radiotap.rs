//! The radiotap header subgate puts before each 802.11 frame in a pcap: the Flags field
//! (FCS present, bad FCS) and the S1G field (PPDU format, GI, NSS, bandwidth, MCS).
//!
//! The S1G field (radiotap type 32: `u16 known, u16 data1, u16 data2`) is carried as a
//! TLV (present bit 28), not through an extended present bitmap: Wireshark's radiotap
//! iterator only sizes the bitmap fields 0–24 and stops at bit 32, so a bitmap S1G field
//! is silently skipped (checked with tshark 4.0), while the TLV form is dissected and
//! marks the frame as 802.11ah. Morse Micro's and Newracom's Linux drivers emit the same
//! TLV. TLVs start 4-byte aligned and each is padded to 4 bytes.
//!
//! There is no signal-strength field: the receiver knows only dBFS, and radiotap's
//! antenna-signal fields are dBm or dB above an unspecified reference.

use subgate_dsp::frame::RxInfo;
use subgate_dsp::params::{Format, Gi};

/// Length of the header [`emit`] writes.
pub const HEADER_LEN: usize = field::END;

/// Byte layout of subgate's radiotap header (all little endian).
mod field {
    use std::ops::Range;

    /// Header revision, always 0.
    pub const VERSION: usize = 0;
    /// Header pad, always 0.
    pub const PAD: usize = 1;
    /// Length of the whole radiotap header.
    pub const LENGTH: Range<usize> = 2..4;
    /// First (and only) present bitmap word.
    pub const PRESENT: Range<usize> = 4..8;
    /// Flags field (present bit 1, u8).
    pub const FLAGS: usize = 8;
    // 9..12: padding, the TLV list starts on a 4-byte boundary.
    /// TLV type of the S1G field.
    pub const S1G_TYPE: Range<usize> = 12..14;
    /// TLV data length of the S1G field (6, excluding padding).
    pub const S1G_LEN: Range<usize> = 14..16;
    /// S1G `known` bits.
    pub const S1G_KNOWN: Range<usize> = 16..18;
    /// S1G `data1`: format, response indication, GI, NSS, bandwidth, MCS.
    pub const S1G_DATA1: Range<usize> = 18..20;
    /// S1G `data2`: colour, uplink indication, RSSI.
    pub const S1G_DATA2: Range<usize> = 20..22;
    // 22..24: padding of the TLV to 4 bytes.
    /// End of the header.
    pub const END: usize = 24;
}

/// Present bit of the Flags field.
const PRESENT_FLAGS: u32 = 1 << 1;
/// Present bit announcing that TLVs follow the bitmap fields.
const PRESENT_TLV: u32 = 1 << 28;

/// Flags: the frame ends with its 4-byte FCS.
const FLAG_FCS_AT_END: u8 = 0x10;
/// Flags: the FCS check failed.
const FLAG_BAD_FCS: u8 = 0x40;

/// Radiotap field/TLV type number of the S1G field.
const S1G_TLV_TYPE: u16 = 32;
/// Data length of the S1G field: known, data1, data2.
const S1G_DATA_LEN: u16 = 6;

/// S1G `known`: PPDU format valid.
const S1G_KNOWN_PPDU_FORMAT: u16 = 0x0001;
/// S1G `known`: GI valid.
const S1G_KNOWN_GI: u16 = 0x0004;
/// S1G `known`: NSS valid.
const S1G_KNOWN_NSS: u16 = 0x0008;
/// S1G `known`: bandwidth valid.
const S1G_KNOWN_BW: u16 = 0x0010;
/// S1G `known`: MCS valid.
const S1G_KNOWN_MCS: u16 = 0x0020;

/// S1G `data1` PPDU format, bits 0–1: 0 = S1G_1M, 1 = S1G_SHORT, 2 = S1G_LONG.
const S1G_PPDU_FORMAT_SHIFT: u32 = 0;
const S1G_PPDU_1M: u16 = 0;
const S1G_PPDU_SHORT: u16 = 1;
/// S1G `data1` GI, bit 5: 1 = short.
const S1G_GI_SHORT: u16 = 0x0020;
/// S1G `data1` bandwidth, bits 8–11: 0 = 1 MHz, 1 = 2 MHz, 2 = 4, 3 = 8, 4 = 16 MHz.
const S1G_BW_SHIFT: u32 = 8;
/// S1G `data1` MCS, bits 12–15.
const S1G_MCS_SHIFT: u32 = 12;
/// Largest MCS the 4-bit field holds.
const S1G_MCS_MAX: u8 = 15;

/// The S1G field's `(known, data1, data2)` for a received frame.
///
/// NSS is always 1 (single stream, field value 0). An MCS beyond the 4-bit field is left
/// out (its `known` bit cleared) rather than truncated.
pub fn s1g_field(info: &RxInfo) -> (u16, u16, u16) {
    let mut known = S1G_KNOWN_PPDU_FORMAT | S1G_KNOWN_GI | S1G_KNOWN_NSS | S1G_KNOWN_BW;
    let (ppdu, bw) = match info.format {
        Format::S1g1M => (S1G_PPDU_1M, 0u16),
        Format::S1gShort2M => (S1G_PPDU_SHORT, 1u16),
    };
    let mut data1 = (ppdu << S1G_PPDU_FORMAT_SHIFT) | (bw << S1G_BW_SHIFT);
    if info.gi == Gi::Short {
        data1 |= S1G_GI_SHORT;
    }
    if info.mcs.0 <= S1G_MCS_MAX {
        known |= S1G_KNOWN_MCS;
        data1 |= u16::from(info.mcs.0) << S1G_MCS_SHIFT;
    }
    (known, data1, 0)
}

/// Writes subgate's radiotap header for `info` into `buf` and returns its length
/// ([`HEADER_LEN`]). Every byte of `buf[..HEADER_LEN]` is written, padding included.
///
/// # Panics
/// If `buf` is shorter than [`HEADER_LEN`].
pub fn emit(info: &RxInfo, buf: &mut [u8]) -> usize {
    let buf = &mut buf[..HEADER_LEN];
    buf.fill(0);
    buf[field::VERSION] = 0;
    buf[field::PAD] = 0;
    buf[field::LENGTH].copy_from_slice(&(HEADER_LEN as u16).to_le_bytes());
    buf[field::PRESENT].copy_from_slice(&(PRESENT_FLAGS | PRESENT_TLV).to_le_bytes());
    buf[field::FLAGS] = FLAG_FCS_AT_END | if info.fcs_ok { 0 } else { FLAG_BAD_FCS };
    let (known, data1, data2) = s1g_field(info);
    buf[field::S1G_TYPE].copy_from_slice(&S1G_TLV_TYPE.to_le_bytes());
    buf[field::S1G_LEN].copy_from_slice(&S1G_DATA_LEN.to_le_bytes());
    buf[field::S1G_KNOWN].copy_from_slice(&known.to_le_bytes());
    buf[field::S1G_DATA1].copy_from_slice(&data1.to_le_bytes());
    buf[field::S1G_DATA2].copy_from_slice(&data2.to_le_bytes());
    HEADER_LEN
}

#[cfg(test)]
mod tests {
    use super::*;
    use subgate_dsp::params::Mcs;

    fn info(format: Format, mcs: u8, gi: Gi, fcs_ok: bool) -> RxInfo {
        RxInfo {
            sample_index: 0,
            time_s: 0.0,
            channel: 0,
            format,
            mcs: Mcs(mcs),
            length: 0,
            gi,
            aggregated: false,
            rssi_dbfs: 0.0,
            snr_db: 0.0,
            cfo_hz: 0.0,
            fcs_ok,
        }
    }

    #[test]
    fn header_vector_1m_mcs3() {
        let mut buf = [0xa5u8; HEADER_LEN + 2];
        let n = emit(&info(Format::S1g1M, 3, Gi::Long, true), &mut buf);
        assert_eq!(n, HEADER_LEN);
        #[rustfmt::skip]
        let expected: [u8; HEADER_LEN] = [
            0x00, 0x00, 0x18, 0x00,     // version, pad, length 24
            0x02, 0x00, 0x00, 0x10,     // present: Flags | TLV
            0x10, 0x00, 0x00, 0x00,     // flags: FCS at end; pad to 4
            0x20, 0x00, 0x06, 0x00,     // TLV type 32 (S1G), length 6
            0x3d, 0x00,                 // known: format, GI, NSS, BW, MCS
            0x00, 0x30,                 // data1: S1G_1M, long GI, 1 MHz, MCS3
            0x00, 0x00,                 // data2
            0x00, 0x00,                 // TLV padding
        ];
        assert_eq!(&buf[..HEADER_LEN], &expected);
        assert_eq!(&buf[HEADER_LEN..], &[0xa5, 0xa5], "wrote past the header");
    }

    #[test]
    fn short_2m_sgi_bad_fcs() {
        let mut buf = [0xa5u8; HEADER_LEN];
        emit(&info(Format::S1gShort2M, 7, Gi::Short, false), &mut buf);
        assert_eq!(buf[field::FLAGS], FLAG_FCS_AT_END | FLAG_BAD_FCS);
        // S1G_SHORT (1), short GI (0x20), 2 MHz (1 << 8), MCS7 (7 << 12)
        assert_eq!(&buf[field::S1G_DATA1], &0x7121u16.to_le_bytes());
    }

    #[test]
    fn mcs_beyond_field_is_unknown() {
        let (known, data1, _) = s1g_field(&info(Format::S1g1M, 200, Gi::Long, true));
        assert_eq!(known & S1G_KNOWN_MCS, 0);
        assert_eq!(data1 >> S1G_MCS_SHIFT, 0);
    }
}
