//! S1G beacon (802.11-2020 9.3.4.3): an Extension frame (type 3, subtype 1, first FC byte
//! 0x1C) much shorter than a legacy beacon, which is what lets battery terminals listen cheaply.
//!
//! ```text
//! FC 2 | Duration 2 | SA 6 | Timestamp 4 | Change Sequence 1
//!      | [Next TBTT 3] | [Compressed SSID 4] | [ANO 1] | elements...
//! ```
//! No BSSID, no sequence control. The optional fields are present when the second FC byte
//! flags them: bit 0 Next TBTT, bit 1 Compressed SSID, bit 2 ANO (Linux
//! `IEEE80211_S1G_BCN_NEXT_TBTT/CSSID/ANO` = FC 0x100/0x200/0x400); bits 3–5 are the BSS
//! bandwidth, bit 6 security supported, bit 7 AP power management (Wireshark's S1G beacon FC).

use super::ie::{self, Ie};
use super::mac::{write_u16, FrameControl, FrameKind};
use super::{read_u16, read_u32};
use super::{ElementId, Error, MacAddr, Result};

/// Flag bits of the S1G beacon's second FC byte.
pub mod flags {
    /// Next TBTT field present.
    pub const NEXT_TBTT: u8 = 0x01;
    /// Compressed SSID field present.
    pub const COMPRESSED_SSID: u8 = 0x02;
    /// Access network options field present.
    pub const ANO: u8 = 0x04;
    /// BSS bandwidth (3 bits).
    pub const BSS_BW_MASK: u8 = 0x38;
    /// Shift of the BSS bandwidth.
    pub const BSS_BW_SHIFT: u8 = 3;
    /// Security supported.
    pub const SECURITY: u8 = 0x40;
    /// AP power management.
    pub const AP_PM: u8 = 0x80;
}

mod field {
    use crate::wire::Field;
    pub const FRAME_CONTROL: Field = 0..2;
    pub const DURATION: Field = 2..4;
    pub const SA: Field = 4..10;
    pub const TIMESTAMP: Field = 10..14;
    pub const CHANGE_SEQ: usize = 14;
    pub const FIXED_END: usize = CHANGE_SEQ + 1;
    pub const NEXT_TBTT_LEN: usize = 3;
    pub const COMPRESSED_SSID_LEN: usize = 4;
    pub const ANO_LEN: usize = 1;
}

/// Length of the fixed part (up to and including Change Sequence).
pub const FIXED_LEN: usize = field::FIXED_END;

/// Zero-copy view of an S1G beacon (without FCS).
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after [`Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` unless the fixed part and every flagged optional field are present.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < FIXED_LEN || len < self.elements_offset() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Frame control (type/subtype must be S1G beacon for [`Repr::parse`]).
    pub fn frame_control(&self) -> FrameControl {
        FrameControl(read_u16(&self.buffer.as_ref()[field::FRAME_CONTROL]))
    }

    fn fc_flags(&self) -> u8 {
        // Readable before check_len: only the FC bytes, if present.
        match self.buffer.as_ref().get(field::FRAME_CONTROL) {
            Some(b) => b[1],
            None => 0,
        }
    }

    fn optional_offset(&self, flag: u8) -> usize {
        let f = self.fc_flags();
        let mut at = field::FIXED_END;
        if flag == flags::NEXT_TBTT {
            return at;
        }
        if f & flags::NEXT_TBTT != 0 {
            at += field::NEXT_TBTT_LEN;
        }
        if flag == flags::COMPRESSED_SSID {
            return at;
        }
        if f & flags::COMPRESSED_SSID != 0 {
            at += field::COMPRESSED_SSID_LEN;
        }
        if flag == flags::ANO {
            return at;
        }
        if f & flags::ANO != 0 {
            at += field::ANO_LEN;
        }
        at
    }

    fn elements_offset(&self) -> usize {
        self.optional_offset(0)
    }

    /// Duration.
    pub fn duration(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::DURATION])
    }

    /// Source address (the AP).
    pub fn sa(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[field::SA])
    }

    /// The low 32 bits of the AP's TSF (µs).
    pub fn timestamp(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::TIMESTAMP])
    }

    /// Change sequence: bumped when critical BSS parameters change.
    pub fn change_sequence(&self) -> u8 {
        self.buffer.as_ref()[field::CHANGE_SEQ]
    }

    /// Next TBTT (24-bit field), if flagged.
    pub fn next_tbtt(&self) -> Option<u32> {
        if self.fc_flags() & flags::NEXT_TBTT == 0 {
            return None;
        }
        let at = self.optional_offset(flags::NEXT_TBTT);
        let b = &self.buffer.as_ref()[at..at + field::NEXT_TBTT_LEN];
        Some(u32::from_le_bytes([b[0], b[1], b[2], 0]))
    }

    /// Compressed SSID (CRC-32 of the SSID), if flagged.
    pub fn compressed_ssid(&self) -> Option<u32> {
        if self.fc_flags() & flags::COMPRESSED_SSID == 0 {
            return None;
        }
        let at = self.optional_offset(flags::COMPRESSED_SSID);
        let b = &self.buffer.as_ref()[at..at + field::COMPRESSED_SSID_LEN];
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Access network options, if flagged.
    pub fn ano(&self) -> Option<u8> {
        if self.fc_flags() & flags::ANO == 0 {
            return None;
        }
        Some(self.buffer.as_ref()[self.optional_offset(flags::ANO)])
    }

    /// The elements (raw), after the optional fields.
    pub fn elements(&self) -> &[u8] {
        &self.buffer.as_ref()[self.elements_offset()..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the frame control (set it first: it places the optional fields).
    pub fn set_frame_control(&mut self, fc: FrameControl) {
        write_u16(self.buffer.as_mut(), field::FRAME_CONTROL, fc.0)
    }

    /// Sets the duration.
    pub fn set_duration(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::DURATION, v)
    }

    /// Sets the source address.
    pub fn set_sa(&mut self, a: MacAddr) {
        self.buffer.as_mut()[field::SA].copy_from_slice(&a.0)
    }

    /// Sets the timestamp.
    pub fn set_timestamp(&mut self, v: u32) {
        self.buffer.as_mut()[field::TIMESTAMP].copy_from_slice(&v.to_le_bytes())
    }

    /// Sets the change sequence.
    pub fn set_change_sequence(&mut self, v: u8) {
        self.buffer.as_mut()[field::CHANGE_SEQ] = v
    }

    /// Writes the Next TBTT field (low 24 bits); FC must flag it.
    pub fn set_next_tbtt(&mut self, v: u32) {
        let at = self.optional_offset(flags::NEXT_TBTT);
        self.buffer.as_mut()[at..at + field::NEXT_TBTT_LEN].copy_from_slice(&v.to_le_bytes()[..3])
    }

    /// Writes the compressed SSID; FC must flag it.
    pub fn set_compressed_ssid(&mut self, v: u32) {
        let at = self.optional_offset(flags::COMPRESSED_SSID);
        self.buffer.as_mut()[at..at + field::COMPRESSED_SSID_LEN].copy_from_slice(&v.to_le_bytes())
    }

    /// Writes the ANO field; FC must flag it.
    pub fn set_ano(&mut self, v: u8) {
        let at = self.optional_offset(flags::ANO);
        self.buffer.as_mut()[at] = v
    }

    /// The element bytes, writable.
    pub fn elements_mut(&mut self) -> &mut [u8] {
        let at = self.elements_offset();
        &mut self.buffer.as_mut()[at..]
    }
}

/// An S1G beacon as a value. Every element is kept (unknown ones too) in order, so the
/// beacon re-emits unchanged; [`Repr::tim`] and [`Repr::vendor`] find ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr {
    /// Duration.
    pub duration: u16,
    /// Source address (the AP).
    pub sa: MacAddr,
    /// Low 32 bits of the TSF.
    pub timestamp: u32,
    /// Change sequence.
    pub change_sequence: u8,
    /// Next TBTT (only the low 24 bits are sent).
    pub next_tbtt: Option<u32>,
    /// Compressed SSID.
    pub compressed_ssid: Option<u32>,
    /// Access network options.
    pub ano: Option<u8>,
    /// BSS bandwidth code (3 bits).
    pub bss_bw: u8,
    /// Security supported.
    pub security: bool,
    /// AP power management.
    pub ap_pm: bool,
    /// Elements in frame order.
    pub elements: Vec<Ie>,
}

/// Largest value of the 24-bit Next TBTT field.
pub const NEXT_TBTT_MAX: u32 = 0x00FF_FFFF;

impl Repr {
    /// Parses a checked beacon: `Unsupported` for protocol version ≠ 0, `Malformed` if it is
    /// not an S1G beacon, `Truncated` if an element runs past the end.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        let fc = p.frame_control();
        if fc.version() != FrameControl::VERSION {
            return Err(Error::Unsupported);
        }
        if fc.kind() != FrameKind::S1gBeacon {
            return Err(Error::Malformed);
        }
        let f = fc.flags();
        Ok(Repr {
            duration: p.duration(),
            sa: p.sa(),
            timestamp: p.timestamp(),
            change_sequence: p.change_sequence(),
            next_tbtt: p.next_tbtt(),
            compressed_ssid: p.compressed_ssid(),
            ano: p.ano(),
            bss_bw: (f & flags::BSS_BW_MASK) >> flags::BSS_BW_SHIFT,
            security: f & flags::SECURITY != 0,
            ap_pm: f & flags::AP_PM != 0,
            elements: ie::parse_list(p.elements())?,
        })
    }

    /// The second FC byte this beacon is sent with.
    pub fn fc_flags(&self) -> u8 {
        let mut f = (self.bss_bw << flags::BSS_BW_SHIFT) & flags::BSS_BW_MASK;
        if self.next_tbtt.is_some() {
            f |= flags::NEXT_TBTT;
        }
        if self.compressed_ssid.is_some() {
            f |= flags::COMPRESSED_SSID;
        }
        if self.ano.is_some() {
            f |= flags::ANO;
        }
        if self.security {
            f |= flags::SECURITY;
        }
        if self.ap_pm {
            f |= flags::AP_PM;
        }
        f
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        FIXED_LEN
            + self.next_tbtt.map_or(0, |_| field::NEXT_TBTT_LEN)
            + self
                .compressed_ssid
                .map_or(0, |_| field::COMPRESSED_SSID_LEN)
            + self.ano.map_or(0, |_| field::ANO_LEN)
            + ie::list_len(&self.elements)
    }

    /// Writes the beacon into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        p.set_frame_control(FrameControl::new(FrameKind::S1gBeacon, self.fc_flags()));
        p.set_duration(self.duration);
        p.set_sa(self.sa);
        p.set_timestamp(self.timestamp);
        p.set_change_sequence(self.change_sequence);
        if let Some(v) = self.next_tbtt {
            p.set_next_tbtt(v);
        }
        if let Some(v) = self.compressed_ssid {
            p.set_compressed_ssid(v);
        }
        if let Some(v) = self.ano {
            p.set_ano(v);
        }
        ie::emit_list(&self.elements, p.elements_mut());
    }

    /// The first element with `id`.
    pub fn element(&self, id: ElementId) -> Option<&Ie> {
        ie::find(&self.elements, id)
    }

    /// The TIM, if present (`Err` if present but malformed).
    pub fn tim(&self) -> Option<Result<TimRepr>> {
        self.element(ElementId::Tim)
            .map(|e| TimRepr::parse(e.body()))
    }

    /// Vendor-specific elements under `oui` (the M2M elements use subgate's OUI).
    pub fn vendor(&self, oui: [u8; 3]) -> impl Iterator<Item = &Ie> {
        ie::vendor(&self.elements, oui)
    }
}

mod tim_field {
    pub const DTIM_COUNT: usize = 0;
    pub const DTIM_PERIOD: usize = 1;
    pub const BITMAP_CONTROL: usize = 2;
    pub const PARTIAL_BITMAP: usize = 3;
}

/// S1G TIM bitmap-control and encoded-block constants (802.11-2020 9.4.2.5.2; Linux
/// `ieee80211_s1g_check_tim`, Wireshark's S1G TIM dissector agree).
pub mod tim {
    /// Bitmap control bit 0: group-addressed traffic buffered (AID 0).
    pub const TRAFFIC_INDICATOR: u8 = 0x01;
    /// Bitmap control bits 1–5: page slice number.
    pub const PAGE_SLICE_MASK: u8 = 0x3E;
    /// Bitmap control bits 6–7: page index.
    pub const PAGE_SHIFT: u8 = 6;
    /// Block control bits 0–1: encoding mode.
    pub const MODE_MASK: u8 = 0x03;
    /// Block bitmap mode: block bitmap octet, then one octet per flagged subblock.
    pub const MODE_BLOCK_BITMAP: u8 = 0;
    /// Single AID mode: one octet with the AID's 6 low bits.
    pub const MODE_SINGLE_AID: u8 = 1;
    /// Offset+length+bitmap mode: length octet, then that many subblock octets.
    pub const MODE_OLB: u8 = 2;
    /// Adaptive differential encoding (not supported).
    pub const MODE_ADE: u8 = 3;
    /// Block control bit 2: inverse bitmap.
    pub const INVERSE: u8 = 0x04;
    /// Block control bits 3–7: block offset within the page.
    pub const BLOCK_SHIFT: u8 = 3;
    /// Largest AID (13 bits).
    pub const MAX_AID: u16 = 8191;
    /// AIDs per page.
    pub const PAGE_AIDS: u16 = 2048;
    /// AIDs per block.
    pub const BLOCK_AIDS: u16 = 64;
    /// AIDs per subblock.
    pub const SUBBLOCK_AIDS: u16 = 8;
    /// Blocks per page.
    pub const BLOCKS_PER_PAGE: u16 = 32;
}

/// Largest partial virtual bitmap (element body 255 minus the three fixed octets).
pub const TIM_MAX_BITMAP: usize = 252;

/// The TIM element (id 5) of an S1G beacon, telling sleeping terminals whether the AP holds
/// frames for them. The partial virtual bitmap is kept raw (so any encoding round-trips) and
/// decoded/built with the S1G encoded-block format: [`TimRepr::from_aids`] writes
/// block-bitmap mode for the AIDs of one page; [`TimRepr::aids`] reads block bitmap, single
/// AID and OLB blocks (inverse too). ADE blocks are refused as `Unsupported`. The legacy
/// (non-S1G) offset bitmap is not used: Wireshark and Linux read an S1G beacon's TIM as
/// encoded blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimRepr {
    /// Beacons until the next DTIM (0: this is one).
    pub dtim_count: u8,
    /// Beacons between DTIMs.
    pub dtim_period: u8,
    /// Bitmap control: traffic indicator, page slice, page index ([`tim`]).
    pub bitmap_control: u8,
    /// Encoded blocks (at most 252 bytes).
    pub partial_bitmap: Vec<u8>,
}

impl TimRepr {
    /// Parses a TIM element body; `Truncated` under three octets.
    pub fn parse(body: &[u8]) -> Result<TimRepr> {
        if body.len() < tim_field::PARTIAL_BITMAP {
            return Err(Error::Truncated);
        }
        Ok(TimRepr {
            dtim_count: body[tim_field::DTIM_COUNT],
            dtim_period: body[tim_field::DTIM_PERIOD],
            bitmap_control: body[tim_field::BITMAP_CONTROL],
            partial_bitmap: body[tim_field::PARTIAL_BITMAP..].to_vec(),
        })
    }

    /// Body length.
    pub fn buffer_len(&self) -> usize {
        tim_field::PARTIAL_BITMAP + self.partial_bitmap.len()
    }

    /// Writes the body into a buffer of `buffer_len()` bytes.
    pub fn emit(&self, body: &mut [u8]) {
        body[tim_field::DTIM_COUNT] = self.dtim_count;
        body[tim_field::DTIM_PERIOD] = self.dtim_period;
        body[tim_field::BITMAP_CONTROL] = self.bitmap_control;
        body[tim_field::PARTIAL_BITMAP..self.buffer_len()].copy_from_slice(&self.partial_bitmap);
    }

    /// The TIM as an element; `Oversized` if the bitmap is over 252 bytes.
    pub fn to_ie(&self) -> Result<Ie> {
        let mut body = vec![0; self.buffer_len()];
        self.emit(&mut body);
        Ie::new(ElementId::Tim, body)
    }

    /// Page index (bitmap control bits 6–7): the TIM covers AIDs of this page only.
    pub fn page(&self) -> u8 {
        self.bitmap_control >> tim::PAGE_SHIFT
    }

    /// Builds a TIM flagging `aids` (1..=8191, all in one page of 2048) in block-bitmap mode.
    /// `Malformed` for AID 0, above 8191 or spanning pages; `Oversized` if the encoding is
    /// over 252 bytes. With no AIDs the bitmap is empty (page 0). Page slice number is 0.
    pub fn from_aids(
        dtim_count: u8,
        dtim_period: u8,
        group_traffic: bool,
        aids: &[u16],
    ) -> Result<TimRepr> {
        let mut sorted: Vec<u16> = aids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let page = match sorted.first() {
            Some(&a) => a / tim::PAGE_AIDS,
            None => 0,
        };
        let mut bits = [[0u8; 8]; tim::BLOCKS_PER_PAGE as usize];
        for &aid in &sorted {
            if aid == 0 || aid > tim::MAX_AID || aid / tim::PAGE_AIDS != page {
                return Err(Error::Malformed);
            }
            let in_page = aid % tim::PAGE_AIDS;
            let block = (in_page / tim::BLOCK_AIDS) as usize;
            let sub = ((in_page % tim::BLOCK_AIDS) / tim::SUBBLOCK_AIDS) as usize;
            bits[block][sub] |= 1 << (in_page % tim::SUBBLOCK_AIDS);
        }
        let mut out = Vec::new();
        for (block, subs) in bits.iter().enumerate() {
            let map = subs
                .iter()
                .enumerate()
                .fold(0u8, |m, (i, &s)| if s != 0 { m | 1 << i } else { m });
            if map == 0 {
                continue;
            }
            out.push((block as u8) << tim::BLOCK_SHIFT | tim::MODE_BLOCK_BITMAP);
            out.push(map);
            out.extend(subs.iter().filter(|&&s| s != 0));
        }
        if out.len() > TIM_MAX_BITMAP {
            return Err(Error::Oversized);
        }
        let mut control = (page as u8) << tim::PAGE_SHIFT;
        if group_traffic {
            control |= tim::TRAFFIC_INDICATOR;
        }
        Ok(TimRepr {
            dtim_count,
            dtim_period,
            bitmap_control: control,
            partial_bitmap: out,
        })
    }

    /// The AIDs flagged (sorted, without AID 0; group traffic is the traffic indicator bit).
    /// `Truncated` if a block runs past the end, `Malformed` if an OLB block leaves the page,
    /// `Unsupported` for ADE blocks.
    pub fn aids(&self) -> Result<Vec<u16>> {
        let base = self.page() as u16 * tim::PAGE_AIDS;
        let mut out = Vec::new();
        let mut push = |block: u16, sub: u16, byte: u8| {
            for bit in 0..8u16 {
                if byte & (1 << bit) != 0 {
                    let aid = base + block * tim::BLOCK_AIDS + sub * tim::SUBBLOCK_AIDS + bit;
                    if aid != 0 {
                        out.push(aid);
                    }
                }
            }
        };
        let mut rest = &self.partial_bitmap[..];
        while let Some((&ctrl, tail)) = rest.split_first() {
            let block = (ctrl >> tim::BLOCK_SHIFT) as u16;
            let inv = if ctrl & tim::INVERSE != 0 { 0xFF } else { 0 };
            match ctrl & tim::MODE_MASK {
                tim::MODE_BLOCK_BITMAP => {
                    let (&map, tail) = tail.split_first().ok_or(Error::Truncated)?;
                    let n = map.count_ones() as usize;
                    let subs = tail.get(..n).ok_or(Error::Truncated)?;
                    let mut next = subs.iter();
                    for sub in 0..8u16 {
                        let byte = if map & (1 << sub) != 0 {
                            next.next().copied().unwrap_or(0)
                        } else {
                            0
                        };
                        push(block, sub, byte ^ inv);
                    }
                    rest = &tail[n..];
                }
                tim::MODE_SINGLE_AID => {
                    let (&single, tail) = tail.split_first().ok_or(Error::Truncated)?;
                    let at = (single & 0x3F) as u16;
                    for sub in 0..8u16 {
                        let mut byte = 0u8;
                        if at / tim::SUBBLOCK_AIDS == sub {
                            byte = 1 << (at % tim::SUBBLOCK_AIDS);
                        }
                        push(block, sub, byte ^ inv);
                    }
                    rest = tail;
                }
                tim::MODE_OLB => {
                    let (&len, tail) = tail.split_first().ok_or(Error::Truncated)?;
                    let subs = tail.get(..len as usize).ok_or(Error::Truncated)?;
                    let span = (len as u16).div_ceil(8);
                    if block + span > tim::BLOCKS_PER_PAGE {
                        return Err(Error::Malformed);
                    }
                    for i in 0..span * 8 {
                        let byte = subs.get(i as usize).copied().unwrap_or(0);
                        push(block + i / 8, i % 8, byte ^ inv);
                    }
                    rest = &tail[len as usize..];
                }
                _ => return Err(Error::Unsupported),
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // S1G beacon, no optional fields: FC 1C 00, duration 0, SA 02:00:00:00:00:01,
    // timestamp 0x12345678, change sequence 3; TIM (id 5, len 9): DTIM 0 of 1, bitmap
    // control 0, block 0 bitmap mode: block bitmap 0x01, subblock 0x22 (AIDs 1, 5);
    // block 1: block bitmap 0x01, subblock 0x40 (AID 70); SSID "test".
    // tshark 4.0 shows exactly these AIDs ("STA AID13: 0x1, 0x5, 0x46").
    static BEACON: [u8; 32] = [
        0x1C, 0x00, 0x00, 0x00, //
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, //
        0x78, 0x56, 0x34, 0x12, 0x03, //
        0x05, 0x09, 0x00, 0x01, 0x00, 0x00, 0x01, 0x22, 0x08, 0x01, 0x40, //
        0x00, 0x04, b't', b'e', b's', b't',
    ];

    // Same with all optional fields: FC 1C 07 (+ BSS BW 1 = 0x08 -> 0x0F), Next TBTT
    // 0x302010, compressed SSID 0xD87F7E0C (CRC-32 of "test"), ANO 0x00, no elements.
    static BEACON_OPT: [u8; 23] = [
        0x1C, 0x0F, 0x00, 0x00, //
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, //
        0x78, 0x56, 0x34, 0x12, 0x03, //
        0x10, 0x20, 0x30, 0x0C, 0x7E, 0x7F, 0xD8, 0x00,
    ];

    fn repr() -> Repr {
        Repr {
            duration: 0,
            sa: MacAddr([2, 0, 0, 0, 0, 1]),
            timestamp: 0x1234_5678,
            change_sequence: 3,
            next_tbtt: None,
            compressed_ssid: None,
            ano: None,
            bss_bw: 0,
            security: false,
            ap_pm: false,
            elements: vec![
                TimRepr::from_aids(0, 1, false, &[70, 5, 1])
                    .and_then(|t| t.to_ie())
                    .expect("fits"),
                Ie::new(ElementId::Ssid, b"test".to_vec()).expect("short"),
            ],
        }
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&BEACON[..]).expect("long enough");
        assert_eq!(p.frame_control().kind(), FrameKind::S1gBeacon);
        assert_eq!(p.sa(), MacAddr([2, 0, 0, 0, 0, 1]));
        assert_eq!(p.timestamp(), 0x1234_5678);
        assert_eq!(p.change_sequence(), 3);
        assert_eq!(p.next_tbtt(), None);
        assert_eq!(p.elements().len(), 17);
        let p = Packet::new_checked(&BEACON_OPT[..]).expect("long enough");
        assert_eq!(p.next_tbtt(), Some(0x30_2010));
        assert_eq!(p.compressed_ssid(), Some(subgate_dsp::crc::crc32(b"test")));
        assert_eq!(p.ano(), Some(0));
        assert!(p.elements().is_empty());
    }

    #[test]
    fn construct() {
        let r = repr();
        assert_eq!(r.buffer_len(), BEACON.len());
        let mut buf = [0xA5u8; 32];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, BEACON);
        let r = Repr {
            next_tbtt: Some(0x30_2010),
            compressed_ssid: Some(0xD87F_7E0C),
            ano: Some(0),
            bss_bw: 1,
            elements: vec![],
            ..repr()
        };
        let mut buf = [0xA5u8; 23];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, BEACON_OPT);
    }

    #[test]
    fn parse_and_tim() {
        let r = Repr::parse(&Packet::new_checked(&BEACON[..]).expect("len")).expect("valid");
        assert_eq!(r, repr());
        let tim = r.tim().expect("present").expect("valid");
        assert_eq!(tim.aids(), Ok(vec![1, 5, 70]));
        assert_eq!(tim.dtim_period, 1);
    }

    #[test]
    fn tim_pages_modes_and_limits() {
        let t = TimRepr::from_aids(1, 3, true, &[8191, 6144]).expect("one page");
        assert_eq!(t.page(), 3);
        assert_eq!(t.bitmap_control & tim::TRAFFIC_INDICATOR, 1);
        assert_eq!(t.aids(), Ok(vec![6144, 8191]));
        assert_eq!(
            TimRepr::from_aids(0, 1, false, &[]).map(|t| t.buffer_len()),
            Ok(3)
        );
        assert_eq!(
            TimRepr::from_aids(0, 1, false, &[1, 2048]),
            Err(Error::Malformed)
        );
        assert_eq!(TimRepr::from_aids(0, 1, false, &[0]), Err(Error::Malformed));
        // Every AID of page 0: 32 blocks x 10 octets = 320 > 252.
        let all: Vec<u16> = (1..2048).collect();
        assert_eq!(TimRepr::from_aids(0, 1, false, &all), Err(Error::Oversized));
        // Single AID mode, block 2, AID 2*64+9; OLB from block 1, two subblock octets.
        let t = TimRepr {
            dtim_count: 0,
            dtim_period: 1,
            bitmap_control: 0,
            partial_bitmap: vec![0x11, 9, 0x0A, 2, 0x01, 0x80],
        };
        assert_eq!(t.aids(), Ok(vec![64, 79, 137]));
        let ade = TimRepr {
            partial_bitmap: vec![0x03, 0],
            ..t.clone()
        };
        assert_eq!(ade.aids(), Err(Error::Unsupported));
        let short = TimRepr {
            partial_bitmap: vec![0x00, 0x03, 0x01],
            ..t
        };
        assert_eq!(short.aids(), Err(Error::Truncated));
        assert_eq!(TimRepr::parse(&[0, 1]), Err(Error::Truncated));
    }

    #[test]
    fn parse_truncated_fixed_and_optional() {
        assert_eq!(
            Packet::new_checked(&BEACON[..14]).err(),
            Some(Error::Truncated)
        );
        assert_eq!(
            Packet::new_checked(&BEACON_OPT[..22]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn parse_element_past_the_end() {
        let p = Packet::new_checked(&BEACON[..31]).expect("fixed part there");
        assert_eq!(Repr::parse(&p), Err(Error::Truncated));
    }

    #[test]
    fn parse_bad_version() {
        let mut b = BEACON;
        b[0] |= 0x02;
        let p = Packet::new_checked(&b[..]).expect("len");
        assert_eq!(Repr::parse(&p), Err(Error::Unsupported));
    }
}
