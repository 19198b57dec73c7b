//! Report-data indication: the gateway tells terminals that wake at their slot to report now
//! (seed patent S1412: "M2M data request message … or a broadcast frame … includes report data
//! indication information"). Two forms:
//!
//! - **Broadcast** (element type 5, in the S1G beacon): a kind byte, then the terminals it
//!   names. Several elements may sit in one beacon (one per AID range or per kind).
//!
//!   | offset | size | field  | meaning                                                      |
//!   |--------|------|--------|--------------------------------------------------------------|
//!   | 0      | 1    | kind   | [`IndicationKind`]                                           |
//!   | 1      | …    | body   | per kind, below                                              |
//!
//!   - kind 0, AID bitmap: `offset (2) | bitmap (1..=248)`; bit `i` (LSB first) of byte `j`
//!     stands for AID `offset + 8·j + i`, and the last AID covered must be ≤ 8191. 248 bytes
//!     cover 1984 AIDs, so 8191 terminals need at most five elements.
//!   - kind 1, AID list: `aid (2)` × n, n ≥ 1, each 1..=8191: cheaper than a bitmap for a few
//!     scattered AIDs.
//!   - kind 2, SID list: one or more SID TLVs; every terminal of those services reports.
//!   - other kinds: kept raw.
//!
//! - **Unicast poll** (action subtype 3): `token (2)`, an opaque number the gateway uses to
//!   tie the report that follows to the poll (the terminal need not echo it).

use crate::wire::{Error, Result};

use super::check_exact;
use super::read_u16;
use super::sid::{emit_sids, parse_sids, sids_len, Sid};
use super::MAX_ELEMENT_PAYLOAD;

/// Largest S1G association id.
pub const MAX_AID: u16 = 8191;

crate::enum_with_unknown! {
    /// How a broadcast report indication names the terminals.
    pub enum IndicationKind(u8) {
        /// Bitmap of AIDs from an offset.
        AidBitmap = 0,
        /// List of AIDs.
        AidList = 1,
        /// List of SIDs.
        SidList = 2,
    }
}

mod field {
    use crate::wire::Field;
    /// Kind.
    pub const KIND: usize = 0;
    /// Start of the kind's body.
    pub const BODY: usize = 1;
    /// AID bitmap: offset.
    pub const OFFSET: Field = 1..3;
    /// AID bitmap: start of the bitmap.
    pub const BITMAP: usize = 3;
    /// Poll: token.
    pub const TOKEN: Field = 0..2;
}

/// Bytes of an AID in an AID list.
const AID_LEN: usize = 2;
/// Longest bitmap in one element (payload less kind and offset).
pub const MAX_BITMAP_LEN: usize = MAX_ELEMENT_PAYLOAD - field::BITMAP;
/// Bytes of a poll payload.
pub const POLL_LEN: usize = field::TOKEN.end;

/// Zero-copy view of a broadcast report-indication payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` if the kind byte is missing, an AID bitmap lacks its offset or has no
    /// bitmap byte, or an AID list is empty or ends in half an AID.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < field::BODY {
            return Err(Error::Truncated);
        }
        match self.kind() {
            IndicationKind::AidBitmap if b.len() <= field::BITMAP => Err(Error::Truncated),
            IndicationKind::AidList => {
                let n = b.len() - field::BODY;
                if n == 0 || !n.is_multiple_of(AID_LEN) {
                    Err(Error::Truncated)
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Kind.
    pub fn kind(&self) -> IndicationKind {
        IndicationKind::from(self.buffer.as_ref()[field::KIND])
    }

    /// Everything after the kind byte.
    pub fn body(&self) -> &[u8] {
        &self.buffer.as_ref()[field::BODY..]
    }

    /// AID bitmap: first AID the bitmap stands for (only for kind 0).
    pub fn offset(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::OFFSET])
    }

    /// AID bitmap: the bitmap bytes (only for kind 0).
    pub fn bitmap(&self) -> &[u8] {
        &self.buffer.as_ref()[field::BITMAP..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the kind.
    pub fn set_kind(&mut self, k: IndicationKind) {
        self.buffer.as_mut()[field::KIND] = k.into();
    }

    /// Everything after the kind byte, mutable.
    pub fn body_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::BODY..]
    }

    /// AID bitmap: sets the offset.
    pub fn set_offset(&mut self, v: u16) {
        self.buffer.as_mut()[field::OFFSET].copy_from_slice(&v.to_le_bytes());
    }

    /// AID bitmap: the bitmap, mutable.
    pub fn bitmap_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::BITMAP..]
    }
}

/// Broadcast report indication, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Repr {
    /// AIDs as a bitmap from `offset` (raw, so any valid encoding re-emits unchanged).
    AidBitmap {
        /// AID of bit 0 of the first byte.
        offset: u16,
        /// Bitmap bytes, LSB first.
        bitmap: Vec<u8>,
    },
    /// AIDs listed one by one, in wire order.
    AidList(Vec<u16>),
    /// Every terminal of these services.
    Sids(Vec<Sid>),
    /// A kind this version does not name, kept raw.
    Unknown {
        /// Kind byte.
        kind: u8,
        /// Bytes after it.
        body: Vec<u8>,
    },
}

impl Repr {
    /// Parses an indication payload. `Malformed` if an AID is 0 or above 8191, the bitmap
    /// runs past AID 8191, or a SID is invalid; `Truncated` as [`Packet::check_len`].
    pub fn parse(buf: &[u8]) -> Result<Repr> {
        let p = Packet::new_checked(buf)?;
        match p.kind() {
            IndicationKind::AidBitmap => {
                let offset = p.offset();
                let last = usize::from(offset) + 8 * p.bitmap().len() - 1;
                if last > usize::from(MAX_AID) {
                    return Err(Error::Malformed);
                }
                Ok(Repr::AidBitmap {
                    offset,
                    bitmap: p.bitmap().to_vec(),
                })
            }
            IndicationKind::AidList => {
                let aids: Vec<u16> = p.body().chunks_exact(AID_LEN).map(read_u16).collect();
                if aids.iter().any(|&a| a == 0 || a > MAX_AID) {
                    return Err(Error::Malformed);
                }
                Ok(Repr::AidList(aids))
            }
            IndicationKind::SidList => Ok(Repr::Sids(parse_sids(p.body())?)),
            IndicationKind::Unknown(k) => Ok(Repr::Unknown {
                kind: k,
                body: p.body().to_vec(),
            }),
        }
    }

    /// The most compact indication naming exactly `aids` (bitmap or list, whichever is
    /// shorter). `Malformed` if empty or an AID is 0 or above 8191; `Oversized` if it would
    /// not fit one element (split the AIDs over several).
    pub fn from_aids(aids: &[u16]) -> Result<Repr> {
        let (Some(&min), Some(&max)) = (aids.iter().min(), aids.iter().max()) else {
            return Err(Error::Malformed);
        };
        if min == 0 || max > MAX_AID {
            return Err(Error::Malformed);
        }
        let offset = min - min % 8;
        let bitmap_len = usize::from(max - offset) / 8 + 1;
        let mut sorted = aids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let list_len = sorted.len() * AID_LEN;
        let r = if bitmap_len + AID_LEN < list_len {
            let mut bitmap = vec![0u8; bitmap_len];
            for a in &sorted {
                let bit = usize::from(a - offset);
                bitmap[bit / 8] |= 1 << (bit % 8);
            }
            Repr::AidBitmap { offset, bitmap }
        } else {
            Repr::AidList(sorted)
        };
        if r.buffer_len() > MAX_ELEMENT_PAYLOAD {
            return Err(Error::Oversized);
        }
        Ok(r)
    }

    /// Whether the indication names AID `aid` (never AID 0).
    pub fn names_aid(&self, aid: u16) -> bool {
        match self {
            Repr::AidBitmap { offset, bitmap } => {
                let Some(bit) = aid.checked_sub(*offset).map(usize::from) else {
                    return false;
                };
                aid != 0
                    && bitmap
                        .get(bit / 8)
                        .is_some_and(|b| b & (1 << (bit % 8)) != 0)
            }
            Repr::AidList(aids) => aid != 0 && aids.contains(&aid),
            Repr::Sids(_) | Repr::Unknown { .. } => false,
        }
    }

    /// Whether the indication names the service `sid`.
    pub fn names_sid(&self, sid: &Sid) -> bool {
        matches!(self, Repr::Sids(s) if s.contains(sid))
    }

    /// The kind byte this value is sent with.
    pub fn kind(&self) -> IndicationKind {
        match self {
            Repr::AidBitmap { .. } => IndicationKind::AidBitmap,
            Repr::AidList(_) => IndicationKind::AidList,
            Repr::Sids(_) => IndicationKind::SidList,
            Repr::Unknown { kind, .. } => IndicationKind::Unknown(*kind),
        }
    }

    /// Bytes of the emitted payload.
    pub fn buffer_len(&self) -> usize {
        field::BODY
            + match self {
                Repr::AidBitmap { bitmap, .. } => field::BITMAP - field::BODY + bitmap.len(),
                Repr::AidList(aids) => AID_LEN * aids.len(),
                Repr::Sids(s) => sids_len(s),
                Repr::Unknown { body, .. } => body.len(),
            }
    }

    /// Writes the payload into `buf` (at least `buffer_len()` bytes).
    pub fn emit(&self, buf: &mut [u8]) {
        let mut p = Packet::new_unchecked(&mut buf[..self.buffer_len()]);
        p.set_kind(self.kind());
        match self {
            Repr::AidBitmap { offset, bitmap } => {
                p.set_offset(*offset);
                p.bitmap_mut().copy_from_slice(bitmap);
            }
            Repr::AidList(aids) => {
                for (out, a) in p.body_mut().chunks_exact_mut(AID_LEN).zip(aids) {
                    out.copy_from_slice(&a.to_le_bytes());
                }
            }
            Repr::Sids(s) => emit_sids(s, p.body_mut()),
            Repr::Unknown { body, .. } => p.body_mut().copy_from_slice(body),
        }
    }
}

/// Zero-copy view of a unicast poll payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> PollPacket<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        PollPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated`/`Oversized` unless exactly 2 bytes.
    pub fn check_len(&self) -> Result<()> {
        check_exact(self.buffer.as_ref().len(), POLL_LEN)
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Poll token.
    pub fn token(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::TOKEN])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> PollPacket<T> {
    /// Sets the poll token.
    pub fn set_token(&mut self, v: u16) {
        self.buffer.as_mut()[field::TOKEN].copy_from_slice(&v.to_le_bytes());
    }
}

/// Unicast poll, owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PollRepr {
    /// Poll token.
    pub token: u16,
}

impl PollRepr {
    /// Parses a checked view (every token is valid).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &PollPacket<&T>) -> Result<PollRepr> {
        Ok(PollRepr {
            token: packet.token(),
        })
    }

    /// Bytes of the emitted payload.
    pub const fn buffer_len(&self) -> usize {
        POLL_LEN
    }

    /// Writes the payload into a view over exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut PollPacket<T>) {
        packet.set_token(self.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static BITMAP: [u8; 5] = [
        0x00, // kind 0: AID bitmap
        0x10, 0x00, // offset 16
        0x05, // AIDs 16 and 18
        0x80, // AID 31
    ];

    static LIST: [u8; 5] = [
        0x01, // kind 1: AID list
        0x05, 0x00, // AID 5
        0xA0, 0x0F, // AID 4000
    ];

    static SIDS: [u8; 11] = [
        0x02, // kind 2: SID list
        0x06, 0x08, b'm', b'e', b't', b'e', b'r', b'i', b'n', b'g', // service "metering"
    ];

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&BITMAP[..]).unwrap();
        assert_eq!(p.kind(), IndicationKind::AidBitmap);
        assert_eq!(p.offset(), 16);
        assert_eq!(p.bitmap(), &[0x05, 0x80]);
        let p = Packet::new_checked(&LIST[..]).unwrap();
        assert_eq!(p.kind(), IndicationKind::AidList);
        assert_eq!(p.body(), &LIST[1..]);
    }

    #[test]
    fn construct() {
        let mut buf = [0xA5u8; 5];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        p.set_kind(IndicationKind::AidBitmap);
        p.set_offset(16);
        p.bitmap_mut().copy_from_slice(&[0x05, 0x80]);
        assert_eq!(buf, BITMAP);
    }

    #[test]
    fn parse_emit_all_kinds() {
        for v in [&BITMAP[..], &LIST[..], &SIDS[..]] {
            let r = Repr::parse(v).unwrap();
            assert_eq!(r.buffer_len(), v.len());
            let mut buf = vec![0xA5u8; v.len()];
            r.emit(&mut buf);
            assert_eq!(buf, v);
        }
        assert_eq!(Repr::parse(&LIST).unwrap(), Repr::AidList(vec![5, 4000]));
        let s = Repr::parse(&SIDS).unwrap();
        assert!(s.names_sid(&Sid::service("metering").unwrap()));
        assert!(!s.names_aid(5));
    }

    #[test]
    fn names_aids() {
        let r = Repr::parse(&BITMAP).unwrap();
        let named: Vec<u16> = (0..=MAX_AID).filter(|&a| r.names_aid(a)).collect();
        assert_eq!(named, vec![16, 18, 31]);
    }

    #[test]
    fn from_aids_picks_the_shorter_form() {
        let dense: Vec<u16> = (100..140).collect();
        let r = Repr::from_aids(&dense).unwrap();
        assert!(matches!(r, Repr::AidBitmap { offset: 96, .. }));
        assert_eq!(r.buffer_len(), 1 + 2 + 6);
        let named: Vec<u16> = (0..=MAX_AID).filter(|&a| r.names_aid(a)).collect();
        assert_eq!(named, dense);
        assert_eq!(
            Repr::from_aids(&[4000, 5]),
            Ok(Repr::AidList(vec![5, 4000]))
        );
        assert_eq!(Repr::from_aids(&[]), Err(Error::Malformed));
        assert_eq!(Repr::from_aids(&[0]), Err(Error::Malformed));
        assert_eq!(Repr::from_aids(&[8192]), Err(Error::Malformed));
        let sparse: Vec<u16> = (1..=200).map(|i| i * 40).collect();
        assert_eq!(Repr::from_aids(&sparse), Err(Error::Oversized));
    }

    #[test]
    fn parse_truncated() {
        assert_eq!(Repr::parse(&[]), Err(Error::Truncated));
        assert_eq!(Repr::parse(&BITMAP[..3]), Err(Error::Truncated));
        assert_eq!(Repr::parse(&LIST[..4]), Err(Error::Truncated));
        assert_eq!(Repr::parse(&LIST[..1]), Err(Error::Truncated));
        assert_eq!(Repr::parse(&SIDS[..10]), Err(Error::Truncated));
    }

    #[test]
    fn parse_bitmap_past_last_aid() {
        // Offset 8184 with two bytes would cover AIDs up to 8199.
        assert_eq!(
            Repr::parse(&[0x00, 0xF8, 0x1F, 0x01, 0x00]),
            Err(Error::Malformed)
        );
        assert!(Repr::parse(&[0x00, 0xF8, 0x1F, 0x01]).is_ok());
    }

    #[test]
    fn parse_bad_aid() {
        assert_eq!(Repr::parse(&[0x01, 0x00, 0x00]), Err(Error::Malformed));
        assert_eq!(Repr::parse(&[0x01, 0x00, 0x20]), Err(Error::Malformed));
    }

    #[test]
    fn parse_empty_sid_list() {
        assert_eq!(Repr::parse(&[0x02]), Err(Error::Malformed));
    }

    #[test]
    fn unknown_kind_kept() {
        let b = [0x09, 0x01, 0x02, 0x03];
        let r = Repr::parse(&b).unwrap();
        assert_eq!(r.kind(), IndicationKind::Unknown(9));
        let mut out = [0xA5u8; 4];
        r.emit(&mut out);
        assert_eq!(out, b);
    }

    static POLL: [u8; 2] = [0x34, 0x12]; // token 0x1234

    #[test]
    fn poll_vectors() {
        let p = PollPacket::new_checked(&POLL[..]).unwrap();
        assert_eq!(p.token(), 0x1234);
        let r = PollRepr::parse(&p).unwrap();
        let mut buf = [0xA5u8; 2];
        r.emit(&mut PollPacket::new_unchecked(&mut buf[..]));
        assert_eq!(buf, POLL);
        let mut buf = [0xA5u8; 2];
        PollPacket::new_unchecked(&mut buf[..]).set_token(0x1234);
        assert_eq!(buf, POLL);
    }

    #[test]
    fn poll_truncated() {
        assert_eq!(PollPacket::new_checked(&POLL[..1]), Err(Error::Truncated));
    }

    #[test]
    fn poll_oversized() {
        assert_eq!(
            PollPacket::new_checked(&[0x34, 0x12, 0x00][..]),
            Err(Error::Oversized)
        );
    }
}
