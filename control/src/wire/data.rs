//! Data frames (802.11-2020 9.3.2): the 3-address header, an optional QoS control field, and
//! the body (an LLC/SNAP-framed MSDU: EAPOL during the handshake, M2M reports after). Only the
//! forms a BSS uses between a terminal and the gateway are modelled: 4-address frames
//! (To DS and From DS both set) and +HTC frames are `Unsupported`.

use super::mac::{fc_flags, get_u16, FrameKind, Header, HeaderRepr, HEADER_LEN};
use super::{Error, Result};

mod field {
    use crate::wire::Field;
    /// Relative to the bytes after the 3-address header.
    pub const QOS_CONTROL: Field = 0..2;
}

/// Length of the QoS control field.
pub const QOS_LEN: usize = field::QOS_CONTROL.end;

/// Whether a data subtype carries QoS control (subtype bit 3, i.e. FC byte 0 bit 7).
fn kind_has_qos(kind: FrameKind) -> bool {
    matches!(kind, FrameKind::QosData | FrameKind::QosNull)
}

/// Zero-copy view of a data frame (without FCS).
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    header: Header<T>,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet {
            header: Header::new_unchecked(buffer),
        }
    }

    /// Wraps a buffer after [`Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` unless the header and (for QoS subtypes) the QoS control are present.
    pub fn check_len(&self) -> Result<()> {
        self.header.check_len()?;
        if self.has_qos() && self.header.payload().len() < QOS_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The header view.
    pub fn header(&self) -> &Header<T> {
        &self.header
    }

    fn has_qos(&self) -> bool {
        kind_has_qos(self.header.frame_control().kind())
    }

    /// QoS control (TID in bits 0–3), for QoS subtypes.
    pub fn qos_control(&self) -> Option<u16> {
        if self.has_qos() {
            get_u16(self.header.payload(), field::QOS_CONTROL).ok()
        } else {
            None
        }
    }

    /// The body (MSDU) after the header and QoS control.
    pub fn body(&self) -> &[u8] {
        let skip = if self.has_qos() { QOS_LEN } else { 0 };
        &self.header.payload()[skip..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// The header view, writable.
    pub fn header_mut(&mut self) -> &mut Header<T> {
        &mut self.header
    }

    /// Sets QoS control (FC must name a QoS subtype first).
    pub fn set_qos_control(&mut self, v: u16) {
        self.header.payload_mut()[field::QOS_CONTROL].copy_from_slice(&v.to_le_bytes())
    }

    /// The body, writable.
    pub fn body_mut(&mut self) -> &mut [u8] {
        let skip = if self.has_qos() { QOS_LEN } else { 0 };
        &mut self.header.payload_mut()[skip..]
    }
}

/// A data frame as a value. The subtype follows from `qos` and `null`: Data, QoS Data, Null
/// (no body, power-save signalling) or QoS Null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr {
    /// Header (flags: To DS from terminals, From DS from the gateway).
    pub header: HeaderRepr,
    /// QoS control, for QoS subtypes.
    pub qos: Option<u16>,
    /// Null subtype: the body must be empty.
    pub null: bool,
    /// Body (LLC/SNAP + payload; encrypted if the Protected flag is set).
    pub body: Vec<u8>,
}

impl Repr {
    /// The subtype this value is sent as.
    pub fn kind(&self) -> FrameKind {
        match (self.qos.is_some(), self.null) {
            (false, false) => FrameKind::Data,
            (true, false) => FrameKind::QosData,
            (false, true) => FrameKind::Null,
            (true, true) => FrameKind::QosNull,
        }
    }

    /// Parses a checked packet: `Unsupported` for version ≠ 0, other data subtypes, 4-address
    /// or +HTC frames; `Malformed` for a non-data kind or a null frame with a body.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        let header = HeaderRepr::parse(p.header())?;
        let kind = p.header().frame_control().kind();
        let null = match kind {
            FrameKind::Data | FrameKind::QosData => false,
            FrameKind::Null | FrameKind::QosNull => true,
            _ if p.header().frame_control().frame_type() == super::mac::FrameType::Data => {
                return Err(Error::Unsupported)
            }
            _ => return Err(Error::Malformed),
        };
        let ds = fc_flags::TO_DS | fc_flags::FROM_DS;
        if header.flags & ds == ds || (kind_has_qos(kind) && header.flags & fc_flags::ORDER != 0) {
            return Err(Error::Unsupported);
        }
        if null && !p.body().is_empty() {
            return Err(Error::Malformed);
        }
        Ok(Repr {
            header,
            qos: p.qos_control(),
            null,
            body: p.body().to_vec(),
        })
    }

    /// Bytes on the wire (without FCS).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.qos.map_or(0, |_| QOS_LEN) + self.body.len()
    }

    /// Writes the frame into a buffer of `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        self.header.emit(self.kind(), p.header_mut());
        if let Some(q) = self.qos {
            p.set_qos_control(q);
        }
        p.body_mut().copy_from_slice(&self.body);
    }
}

#[cfg(test)]
mod tests {
    use super::super::mac::SeqCtrl;
    use super::super::MacAddr;
    use super::*;

    // QoS data, To DS: FC 88 01, duration 0x002C, addr1 BSSID 02:00:00:00:00:01,
    // addr2 terminal 02:00:00:00:10:0a, addr3 DA 02:00:00:00:00:01, seq 9,
    // QoS control 0x0006 (TID 6), body AA AA 03 00 00 00 08 00 (LLC/SNAP IPv4 stub) 01 02.
    static QOS_DATA: [u8; 36] = [
        0x88, 0x01, 0x2C, 0x00, //
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, //
        0x02, 0x00, 0x00, 0x00, 0x10, 0x0A, //
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, //
        0x90, 0x00, //
        0x06, 0x00, //
        0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x02,
    ];

    fn repr() -> Repr {
        Repr {
            header: HeaderRepr {
                flags: fc_flags::TO_DS,
                duration: 0x2C,
                addr1: MacAddr([2, 0, 0, 0, 0, 1]),
                addr2: MacAddr([2, 0, 0, 0, 0x10, 0x0A]),
                addr3: MacAddr([2, 0, 0, 0, 0, 1]),
                seq_ctrl: SeqCtrl::new(9, 0),
            },
            qos: Some(6),
            null: false,
            body: QOS_DATA[26..].to_vec(),
        }
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&QOS_DATA[..]).expect("len");
        assert_eq!(p.header().frame_control().kind(), FrameKind::QosData);
        assert_eq!(p.qos_control(), Some(6));
        assert_eq!(p.body().len(), 10);
        assert_eq!(p.header().seq_ctrl().seq(), 9);
    }

    #[test]
    fn construct_and_parse() {
        let r = repr();
        let mut buf = vec![0xA5u8; r.buffer_len()];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(&buf[..], &QOS_DATA[..]);
        let p = Packet::new_checked(&QOS_DATA[..]).expect("len");
        assert_eq!(Repr::parse(&p), Ok(r));
    }

    #[test]
    fn plain_and_null_data() {
        let r = Repr {
            qos: None,
            null: true,
            body: vec![],
            ..repr()
        };
        let mut buf = vec![0xA5u8; r.buffer_len()];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf[0], 0x48);
        assert_eq!(
            Repr::parse(&Packet::new_checked(&buf[..]).expect("len")),
            Ok(r)
        );
        buf.push(0);
        let p = Packet::new_checked(&buf[..]).expect("len");
        assert_eq!(Repr::parse(&p), Err(Error::Malformed));
    }

    #[test]
    fn parse_truncated_qos() {
        assert_eq!(
            Packet::new_checked(&QOS_DATA[..25]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn parse_four_address_unsupported() {
        let mut b = QOS_DATA;
        b[1] = 0x03;
        let p = Packet::new_checked(&b[..]).expect("len");
        assert_eq!(Repr::parse(&p), Err(Error::Unsupported));
    }

    #[test]
    fn parse_bad_version() {
        let mut b = QOS_DATA;
        b[0] |= 0x03;
        let p = Packet::new_checked(&b[..]).expect("len");
        assert_eq!(Repr::parse(&p), Err(Error::Unsupported));
    }
}
