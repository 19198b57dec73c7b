//! 802.11 MAC addresses, the frame control field, the 3-address header and the FCS.
//!
//! Every MAC frame starts with the 2-byte frame control field (FC); management and data
//! frames follow it with the 24-byte "3-address" header. Frames on air end with a CRC-32 FCS:
//! [`strip_fcs`] checks and removes it on receive, [`with_fcs`] appends it for transmit, so
//! every `Repr` in [`crate::wire`] works on frames *without* FCS.

use std::fmt;
use std::str::FromStr;

use super::{read_u16, Error, Field};
use subgate_dsp::crc;

/// A 48-bit IEEE MAC address (terminal id, BSSID, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// The broadcast address ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: MacAddr = MacAddr([0xFF; 6]);

    /// Whether the group bit is set (broadcast or multicast).
    pub const fn is_group(&self) -> bool {
        self.0[0] & 1 == 1
    }

    /// Reads an address from the first six bytes of `b`.
    ///
    /// # Panics
    /// If `b` is shorter than six bytes (callers check lengths first).
    pub fn from_bytes(b: &[u8]) -> Self {
        let mut a = [0u8; 6];
        a.copy_from_slice(&b[..6]);
        MacAddr(a)
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// Error for text that is not six hex octets separated by ':' or '-'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseMacError(pub String);

impl fmt::Display for ParseMacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a MAC address (six hex octets like 02:00:00:00:00:01): {:?}",
            self.0
        )
    }
}

impl std::error::Error for ParseMacError {}

impl FromStr for MacAddr {
    type Err = ParseMacError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() != 6 {
            return Err(ParseMacError(s.to_string()));
        }
        let mut a = [0u8; 6];
        for (o, p) in a.iter_mut().zip(parts) {
            if p.len() != 2 {
                return Err(ParseMacError(s.to_string()));
            }
            *o = u8::from_str_radix(p, 16).map_err(|_| ParseMacError(s.to_string()))?;
        }
        Ok(MacAddr(a))
    }
}

crate::enum_with_unknown! {
    /// The 2-bit frame type of the frame control field (802.11-2020 Table 9-1).
    pub enum FrameType(u8) {
        /// Management (association, probe, authentication, action, ...).
        Management = 0,
        /// Control (ACK, RTS, CTS, ...).
        Control = 1,
        /// Data (carries MSDUs; EAPOL rides here).
        Data = 2,
        /// Extension (DMG and S1G beacons).
        Extension = 3,
    }
}

crate::enum_with_unknown! {
    /// Type and subtype together, as the first FC byte with protocol version 0
    /// (`subtype << 4 | type << 2`), so one `match` dispatches a frame. Values from
    /// 802.11-2020 Table 9-1 (Linux `IEEE80211_FTYPE_*`/`IEEE80211_STYPE_*` agree).
    pub enum FrameKind(u8) {
        /// Management: association request.
        AssociationRequest = 0x00,
        /// Management: association response.
        AssociationResponse = 0x10,
        /// Management: reassociation request.
        ReassociationRequest = 0x20,
        /// Management: reassociation response.
        ReassociationResponse = 0x30,
        /// Management: probe request.
        ProbeRequest = 0x40,
        /// Management: probe response.
        ProbeResponse = 0x50,
        /// Management: (non-S1G) beacon.
        Beacon = 0x80,
        /// Management: disassociation.
        Disassociation = 0xA0,
        /// Management: authentication.
        Authentication = 0xB0,
        /// Management: deauthentication.
        Deauthentication = 0xC0,
        /// Management: action.
        Action = 0xD0,
        /// Management: action no ack.
        ActionNoAck = 0xE0,
        /// Control: block ack request.
        BlockAckRequest = 0x84,
        /// Control: block ack.
        BlockAck = 0x94,
        /// Control: PS-Poll.
        PsPoll = 0xA4,
        /// Control: RTS.
        Rts = 0xB4,
        /// Control: CTS.
        Cts = 0xC4,
        /// Control: ACK.
        Ack = 0xD4,
        /// Data: data.
        Data = 0x08,
        /// Data: null (no body; power-save signalling).
        Null = 0x48,
        /// Data: QoS data.
        QosData = 0x88,
        /// Data: QoS null.
        QosNull = 0xC8,
        /// Extension: DMG beacon.
        DmgBeacon = 0x0C,
        /// Extension: S1G beacon (first FC byte 0x1C).
        S1gBeacon = 0x1C,
    }
}

/// Flag bits of the second FC byte for every frame except the S1G beacon (which reuses the
/// byte for its own flags, see [`crate::wire::s1g_beacon`]).
pub mod fc_flags {
    /// To DS.
    pub const TO_DS: u8 = 0x01;
    /// From DS.
    pub const FROM_DS: u8 = 0x02;
    /// More fragments.
    pub const MORE_FRAGMENTS: u8 = 0x04;
    /// Retry (a retransmission; duplicates are detected with the sequence number).
    pub const RETRY: u8 = 0x08;
    /// Power management: the station goes to sleep after this exchange.
    pub const POWER_MGMT: u8 = 0x10;
    /// More data buffered for the station.
    pub const MORE_DATA: u8 = 0x20;
    /// Protected: the body is encrypted.
    pub const PROTECTED: u8 = 0x40;
    /// +HTC / order.
    pub const ORDER: u8 = 0x80;
}

/// The frame control field, kept as its raw little-endian value so every bit round-trips;
/// accessors name the parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FrameControl(pub u16);

impl FrameControl {
    /// The only protocol version this gateway handles (PV1 S1G short frames are refused).
    pub const VERSION: u8 = 0;
    const VERSION_MASK: u16 = 0x0003;
    const KIND_MASK: u16 = 0x00FC;
    const TYPE_SHIFT: u16 = 2;
    const SUBTYPE_SHIFT: u16 = 4;
    const FLAGS_SHIFT: u16 = 8;

    /// A protocol-version-0 FC for `kind` with the second byte `flags`.
    pub fn new(kind: FrameKind, flags: u8) -> Self {
        let k: u8 = kind.into();
        FrameControl((k as u16 & Self::KIND_MASK) | (flags as u16) << Self::FLAGS_SHIFT)
    }

    /// Protocol version (bits 0–1).
    pub fn version(&self) -> u8 {
        (self.0 & Self::VERSION_MASK) as u8
    }

    /// Frame type (bits 2–3).
    pub fn frame_type(&self) -> FrameType {
        FrameType::from(((self.0 >> Self::TYPE_SHIFT) & 0x3) as u8)
    }

    /// Subtype (bits 4–7), meaningful together with the type.
    pub fn subtype(&self) -> u8 {
        ((self.0 >> Self::SUBTYPE_SHIFT) & 0xF) as u8
    }

    /// Type and subtype as one code point.
    pub fn kind(&self) -> FrameKind {
        FrameKind::from((self.0 & Self::KIND_MASK) as u8)
    }

    /// The second byte: [`fc_flags`] bits (or the S1G beacon's own flags).
    pub fn flags(&self) -> u8 {
        (self.0 >> Self::FLAGS_SHIFT) as u8
    }

    /// Reads the FC from the first two bytes of a frame.
    pub fn read(frame: &[u8]) -> super::Result<Self> {
        let b = frame.get(field::FRAME_CONTROL).ok_or(Error::Truncated)?;
        Ok(FrameControl(u16::from_le_bytes([b[0], b[1]])))
    }
}

/// Sequence control: 12-bit sequence number and 4-bit fragment number. Receivers use it to
/// drop retransmitted duplicates, so transmitters must step it per MSDU ([`SeqCtrl::next`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqCtrl(pub u16);

impl SeqCtrl {
    /// Sequence numbers count modulo 4096.
    pub const SEQ_MODULO: u16 = 4096;

    /// Sequence number `seq` (taken modulo 4096) and fragment `frag` (low 4 bits).
    pub fn new(seq: u16, frag: u8) -> Self {
        SeqCtrl((seq % Self::SEQ_MODULO) << 4 | (frag & 0xF) as u16)
    }

    /// The sequence number.
    pub fn seq(&self) -> u16 {
        self.0 >> 4
    }

    /// The fragment number.
    pub fn frag(&self) -> u8 {
        (self.0 & 0xF) as u8
    }

    /// The first fragment of the next MSDU (sequence number + 1, wrapping at 4096).
    pub fn next(&self) -> Self {
        SeqCtrl::new((self.seq() + 1) % Self::SEQ_MODULO, 0)
    }
}

/// Length of the FCS that ends every frame on air.
pub const FCS_LEN: usize = 4;

/// Checks and removes the FCS of a received PSDU, so parsers see the frame without it.
/// `Truncated` if shorter than the FCS, `Malformed` if the CRC does not match.
pub fn strip_fcs(psdu: &[u8]) -> super::Result<&[u8]> {
    if psdu.len() < FCS_LEN {
        return Err(Error::Truncated);
    }
    if !crc::fcs_ok(psdu) {
        return Err(Error::Malformed);
    }
    Ok(&psdu[..psdu.len() - FCS_LEN])
}

/// The frame followed by its FCS, ready to hand to the PHY.
pub fn with_fcs(frame: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(frame.len() + FCS_LEN);
    v.extend_from_slice(frame);
    crc::append_fcs(&mut v);
    v
}

/// The FCS (CRC-32 value) `frame` would carry; for logs and tests.
pub fn fcs(frame: &[u8]) -> u32 {
    crc::crc32(frame)
}

pub(crate) mod field {
    use super::Field;
    pub const FRAME_CONTROL: Field = 0..2;
    pub const DURATION: Field = 2..4;
    pub const ADDR1: Field = 4..10;
    pub const ADDR2: Field = 10..16;
    pub const ADDR3: Field = 16..22;
    pub const SEQ_CTRL: Field = 22..24;
}

/// Length of the management/data 3-address header.
pub const HEADER_LEN: usize = field::SEQ_CTRL.end;

/// Zero-copy view of the 3-address header shared by management and data frames: FC,
/// duration, addr1 (receiver), addr2 (transmitter), addr3 (BSSID or DA/SA), sequence control.
#[derive(Debug, Clone)]
pub struct Header<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Header<T> {
    /// Wraps a buffer without checking it (for emitting into a buffer of the right size).
    pub const fn new_unchecked(buffer: T) -> Header<T> {
        Header { buffer }
    }

    /// Wraps a buffer after [`Header::check_len`].
    pub fn new_checked(buffer: T) -> super::Result<Header<T>> {
        let h = Self::new_unchecked(buffer);
        h.check_len()?;
        Ok(h)
    }

    /// `Truncated` unless the buffer holds the whole header; after it no getter panics.
    pub fn check_len(&self) -> super::Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Frame control.
    pub fn frame_control(&self) -> FrameControl {
        FrameControl(read_u16(&self.buffer.as_ref()[field::FRAME_CONTROL]))
    }

    /// Duration/ID in microseconds (NAV).
    pub fn duration(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::DURATION])
    }

    /// Address 1: receiver (DA for management frames).
    pub fn addr1(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[field::ADDR1])
    }

    /// Address 2: transmitter (SA for management frames).
    pub fn addr2(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[field::ADDR2])
    }

    /// Address 3: BSSID for management frames; DA or SA for data frames.
    pub fn addr3(&self) -> MacAddr {
        MacAddr::from_bytes(&self.buffer.as_ref()[field::ADDR3])
    }

    /// Sequence control.
    pub fn seq_ctrl(&self) -> SeqCtrl {
        SeqCtrl(read_u16(&self.buffer.as_ref()[field::SEQ_CTRL]))
    }

    /// Bytes after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    /// Sets the frame control.
    pub fn set_frame_control(&mut self, fc: FrameControl) {
        write_u16(self.buffer.as_mut(), field::FRAME_CONTROL, fc.0)
    }

    /// Sets the duration.
    pub fn set_duration(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::DURATION, v)
    }

    /// Sets address 1.
    pub fn set_addr1(&mut self, a: MacAddr) {
        self.buffer.as_mut()[field::ADDR1].copy_from_slice(&a.0)
    }

    /// Sets address 2.
    pub fn set_addr2(&mut self, a: MacAddr) {
        self.buffer.as_mut()[field::ADDR2].copy_from_slice(&a.0)
    }

    /// Sets address 3.
    pub fn set_addr3(&mut self, a: MacAddr) {
        self.buffer.as_mut()[field::ADDR3].copy_from_slice(&a.0)
    }

    /// Sets sequence control.
    pub fn set_seq_ctrl(&mut self, s: SeqCtrl) {
        write_u16(self.buffer.as_mut(), field::SEQ_CTRL, s.0)
    }

    /// Bytes after the header, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

/// The 3-address header as a value. The frame kind is not stored: the frame `Repr` that owns
/// the header fixes it, so the two cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct HeaderRepr {
    /// Second FC byte ([`fc_flags`]).
    pub flags: u8,
    /// Duration/ID (µs).
    pub duration: u16,
    /// Receiver / DA.
    pub addr1: MacAddr,
    /// Transmitter / SA.
    pub addr2: MacAddr,
    /// BSSID (management) or DA/SA (data).
    pub addr3: MacAddr,
    /// Sequence control.
    pub seq_ctrl: SeqCtrl,
}

impl HeaderRepr {
    /// Parses a checked header; `Unsupported` for a protocol version other than 0.
    pub fn parse<T: AsRef<[u8]>>(h: &Header<T>) -> super::Result<HeaderRepr> {
        h.check_len()?;
        let fc = h.frame_control();
        if fc.version() != FrameControl::VERSION {
            return Err(Error::Unsupported);
        }
        Ok(HeaderRepr {
            flags: fc.flags(),
            duration: h.duration(),
            addr1: h.addr1(),
            addr2: h.addr2(),
            addr3: h.addr3(),
            seq_ctrl: h.seq_ctrl(),
        })
    }

    /// Header bytes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header of a `kind` frame.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, kind: FrameKind, h: &mut Header<T>) {
        h.set_frame_control(FrameControl::new(kind, self.flags));
        h.set_duration(self.duration);
        h.set_addr1(self.addr1);
        h.set_addr2(self.addr2);
        h.set_addr3(self.addr3);
        h.set_seq_ctrl(self.seq_ctrl);
    }
}

/// Writes a little-endian u16 at a field.
pub(crate) fn write_u16(buf: &mut [u8], f: Field, v: u16) {
    buf[f].copy_from_slice(&v.to_le_bytes())
}

/// Reads a little-endian u16 at `f`, or `Truncated` (for bodies checked field by field).
pub(crate) fn get_u16(buf: &[u8], f: Field) -> super::Result<u16> {
    buf.get(f).map(read_u16).ok_or(Error::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse() {
        let a: MacAddr = "02:00:00:00:10:0a".parse().unwrap_or_default();
        assert_eq!(a, MacAddr([2, 0, 0, 0, 0x10, 0x0a]));
        assert_eq!(a.to_string(), "02:00:00:00:10:0a");
        assert!("02:00:00:00:10".parse::<MacAddr>().is_err());
        assert!("02:00:00:00:10:zz".parse::<MacAddr>().is_err());
        assert!(MacAddr::BROADCAST.is_group());
    }
}

#[cfg(test)]
mod header_tests {
    use super::*;

    // An authentication frame header (no body): FC B0 00, duration 0x013A,
    // addr1 02:00:00:00:00:01, addr2 02:00:00:00:10:0a, addr3 02:00:00:00:00:01,
    // sequence 0x123 fragment 0 -> 0x1230.
    static HEADER: [u8; 24] = [
        0xB0, 0x00, 0x3A, 0x01, //
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, //
        0x02, 0x00, 0x00, 0x00, 0x10, 0x0A, //
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, //
        0x30, 0x12,
    ];

    fn repr() -> HeaderRepr {
        HeaderRepr {
            flags: 0,
            duration: 0x013A,
            addr1: MacAddr([2, 0, 0, 0, 0, 1]),
            addr2: MacAddr([2, 0, 0, 0, 0x10, 0x0A]),
            addr3: MacAddr([2, 0, 0, 0, 0, 1]),
            seq_ctrl: SeqCtrl::new(0x123, 0),
        }
    }

    #[test]
    fn deconstruct() {
        let h = Header::new_checked(&HEADER[..]).expect("24 bytes");
        let fc = h.frame_control();
        assert_eq!(fc.version(), 0);
        assert_eq!(fc.frame_type(), FrameType::Management);
        assert_eq!(fc.subtype(), 11);
        assert_eq!(fc.kind(), FrameKind::Authentication);
        assert_eq!(h.duration(), 0x013A);
        assert_eq!(h.addr2(), MacAddr([2, 0, 0, 0, 0x10, 0x0A]));
        assert_eq!(h.seq_ctrl().seq(), 0x123);
        assert_eq!(h.seq_ctrl().frag(), 0);
        assert!(h.payload().is_empty());
    }

    #[test]
    fn construct_and_round_trip() {
        let mut buf = [0xA5u8; 24];
        let mut h = Header::new_unchecked(&mut buf[..]);
        repr().emit(FrameKind::Authentication, &mut h);
        assert_eq!(buf, HEADER);
        let parsed = HeaderRepr::parse(&Header::new_checked(&HEADER[..]).expect("len"));
        assert_eq!(parsed, Ok(repr()));
    }

    #[test]
    fn parse_truncated() {
        assert_eq!(
            Header::new_checked(&HEADER[..23]).err(),
            Some(Error::Truncated)
        );
        assert_eq!(FrameControl::read(&[0xB0]), Err(Error::Truncated));
    }

    #[test]
    fn parse_bad_version() {
        let mut b = HEADER;
        b[0] |= 0x01;
        let h = Header::new_checked(&b[..]).expect("len");
        assert_eq!(HeaderRepr::parse(&h), Err(Error::Unsupported));
    }

    #[test]
    fn seq_ctrl_wraps() {
        assert_eq!(SeqCtrl::new(4095, 3).next(), SeqCtrl::new(0, 0));
        assert_eq!(SeqCtrl::new(7, 0).next().seq(), 8);
        assert_eq!(SeqCtrl::new(4096 + 5, 0x1F).0, 5 << 4 | 0xF);
    }

    #[test]
    fn fcs_strip_and_append() {
        let f = with_fcs(&HEADER);
        assert_eq!(f.len(), HEADER.len() + FCS_LEN);
        assert_eq!(&f[24..], &fcs(&HEADER).to_le_bytes());
        assert_eq!(strip_fcs(&f), Ok(&HEADER[..]));
        let mut bad = f.clone();
        bad[3] ^= 0x01;
        assert_eq!(strip_fcs(&bad), Err(Error::Malformed));
        assert_eq!(strip_fcs(&f[..3]), Err(Error::Truncated));
    }
}
