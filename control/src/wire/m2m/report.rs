//! MAC-layer report and report ack (action frames): the terminal's measurement goes to the
//! gateway without IP (seed patent: "the service data report message is a MAC-layer
//! message"), and the gateway acks it once it is durably stored. The sequence number lets the
//! gateway recognise a retry whose ack was lost.
//!
//! Report payload (subtype 4):
//!
//! | offset  | size | field       | meaning                                                |
//! |---------|------|-------------|--------------------------------------------------------|
//! | 0       | 4    | sequence    | per-terminal report number, for duplicate detection    |
//! | 4       | 8    | timestamp   | time of measurement, µs since the Unix epoch (0 = unknown) |
//! | 12      | 1    | data format | [`DataFormat`] code                                    |
//! | 13      | 2    | payload len | bytes of payload, ≤ [`MAX_REPORT_PAYLOAD`]             |
//! | 15      | 2+m  | SID         | SID TLV of the service the data belongs to             |
//! | 17+m    | n    | payload     | the data                                               |
//!
//! Report ack payload (subtype 5):
//!
//! | offset | size | field     | meaning                                |
//! |--------|------|-----------|----------------------------------------|
//! | 0      | 1    | status    | [`AckStatus`], applies to every number |
//! | 1      | 1    | count     | numbers that follow, ≥ 1               |
//! | 2      | 4·n  | sequences | report sequence numbers acked          |

use crate::wire::{Error, Result};

use super::service::DataFormat;
use super::sid::{Sid, SidPacket, SID_HEADER_LEN};
use super::{check_exact, read_u16, read_u32, read_u64, ACTION_HEADER_LEN, MAX_ACTION_LEN};

mod field {
    use crate::wire::Field;
    /// Report: sequence number.
    pub const SEQUENCE: Field = 0..4;
    /// Report: measurement timestamp.
    pub const TIMESTAMP: Field = 4..12;
    /// Report: data format.
    pub const FORMAT: usize = 12;
    /// Report: payload length.
    pub const PAYLOAD_LEN: Field = 13..15;
    /// Report: start of the SID TLV.
    pub const SID: usize = 15;

    /// Ack: status.
    pub const STATUS: usize = 0;
    /// Ack: count.
    pub const COUNT: usize = 1;
    /// Ack: start of the sequence numbers.
    pub const SEQUENCES: usize = 2;
}

/// Bytes of a report before the SID.
pub const REPORT_FIXED_LEN: usize = field::SID;

/// Largest report payload: the largest action frame less its header, the report's fixed
/// part and the shortest SID TLV. Longer SIDs and slower MCSs leave less; the transmitter
/// checks the whole frame against its MCS.
pub const MAX_REPORT_PAYLOAD: usize =
    MAX_ACTION_LEN - ACTION_HEADER_LEN - REPORT_FIXED_LEN - SID_HEADER_LEN;

/// Bytes of one acked sequence number.
const SEQUENCE_LEN: usize = 4;

/// Zero-copy view of a report payload.
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

    /// `Oversized` if the payload length is over [`MAX_REPORT_PAYLOAD`] or bytes follow the
    /// payload; `Truncated` if the fixed part, the SID or the payload is cut short.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < field::SID {
            return Err(Error::Truncated);
        }
        if usize::from(self.payload_len()) > MAX_REPORT_PAYLOAD {
            return Err(Error::Oversized);
        }
        let sid = SidPacket::new_checked(&b[field::SID..])?;
        check_exact(
            b.len(),
            field::SID + sid.total_len() + usize::from(self.payload_len()),
        )
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Report sequence number.
    pub fn sequence(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::SEQUENCE])
    }

    /// Measurement time, µs since the Unix epoch.
    pub fn timestamp(&self) -> u64 {
        read_u64(&self.buffer.as_ref()[field::TIMESTAMP])
    }

    /// Data format.
    pub fn data_format(&self) -> DataFormat {
        DataFormat::from(self.buffer.as_ref()[field::FORMAT])
    }

    /// Payload length, bytes.
    pub fn payload_len(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::PAYLOAD_LEN])
    }

    fn payload_start(&self) -> usize {
        let sid_len = self.buffer.as_ref()[field::SID + 1];
        field::SID + SID_HEADER_LEN + usize::from(sid_len)
    }

    /// The SID TLV bytes.
    pub fn sid(&self) -> &[u8] {
        &self.buffer.as_ref()[field::SID..self.payload_start()]
    }

    /// The payload.
    pub fn payload(&self) -> &[u8] {
        let start = self.payload_start();
        &self.buffer.as_ref()[start..start + usize::from(self.payload_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the sequence number.
    pub fn set_sequence(&mut self, v: u32) {
        self.buffer.as_mut()[field::SEQUENCE].copy_from_slice(&v.to_le_bytes());
    }

    /// Sets the measurement time.
    pub fn set_timestamp(&mut self, v: u64) {
        self.buffer.as_mut()[field::TIMESTAMP].copy_from_slice(&v.to_le_bytes());
    }

    /// Sets the data format.
    pub fn set_data_format(&mut self, v: DataFormat) {
        self.buffer.as_mut()[field::FORMAT] = v.into();
    }

    /// Sets the payload length.
    pub fn set_payload_len(&mut self, v: u16) {
        self.buffer.as_mut()[field::PAYLOAD_LEN].copy_from_slice(&v.to_le_bytes());
    }

    /// Everything from the SID on, for writing the SID TLV (write it before the payload).
    pub fn sid_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::SID..]
    }

    /// The payload, placed after the SID TLV already written and as long as the payload
    /// length says.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.payload_start();
        let end = start + usize::from(self.payload_len());
        &mut self.buffer.as_mut()[start..end]
    }
}

/// MAC-layer report, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Per-terminal sequence number (wraps; the gateway compares for duplicates).
    pub sequence: u32,
    /// Service the data belongs to.
    pub sid: Sid,
    /// Measurement time, µs since the Unix epoch (0 = unknown).
    pub timestamp: u64,
    /// Payload format.
    pub data_format: DataFormat,
    /// The data (≤ [`MAX_REPORT_PAYLOAD`] bytes).
    pub payload: Vec<u8>,
}

impl Repr {
    /// Parses a checked view; `Malformed` if the SID is invalid.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        let sid = Sid::parse(&SidPacket::new_checked(packet.sid())?)?;
        Ok(Repr {
            sequence: packet.sequence(),
            sid,
            timestamp: packet.timestamp(),
            data_format: packet.data_format(),
            payload: packet.payload().to_vec(),
        })
    }

    /// Bytes of the emitted payload.
    pub fn buffer_len(&self) -> usize {
        REPORT_FIXED_LEN + self.sid.buffer_len() + self.payload.len()
    }

    /// Writes the report into a view over exactly `buffer_len()` bytes (a payload over
    /// [`MAX_REPORT_PAYLOAD`] is written but will not parse back).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_sequence(self.sequence);
        packet.set_timestamp(self.timestamp);
        packet.set_data_format(self.data_format);
        let n = self.payload.len().min(usize::from(u16::MAX));
        packet.set_payload_len(n as u16);
        self.sid.emit_tlv(packet.sid_mut());
        packet.payload_mut().copy_from_slice(&self.payload[..n]);
    }
}

crate::enum_with_unknown! {
    /// What the gateway did with the acked reports; tells the terminal whether to drop or
    /// resend them.
    pub enum AckStatus(u8) {
        /// Durably stored: drop them.
        Stored = 0,
        /// Already stored earlier (a retry after a lost ack): drop them.
        Duplicate = 1,
        /// Terminal not registered or service not served here: stop and re-associate.
        NotRegistered = 2,
        /// Store busy: resend after a backoff.
        RetryLater = 3,
        /// Refused (e.g. payload larger than the service's data amount): do not resend.
        Rejected = 4,
    }
}

/// Zero-copy view of a report-ack payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> AckPacket<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        AckPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated`/`Oversized` unless exactly status + count + 4·count bytes.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < field::SEQUENCES {
            return Err(Error::Truncated);
        }
        check_exact(
            len,
            field::SEQUENCES + SEQUENCE_LEN * usize::from(self.count()),
        )
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Status.
    pub fn status(&self) -> AckStatus {
        AckStatus::from(self.buffer.as_ref()[field::STATUS])
    }

    /// Number of sequence numbers.
    pub fn count(&self) -> u8 {
        self.buffer.as_ref()[field::COUNT]
    }

    /// Sequence number `i` (< `count()`).
    ///
    /// # Panics
    /// If `i` is not below `count()`.
    pub fn sequence(&self, i: usize) -> u32 {
        let at = field::SEQUENCES + SEQUENCE_LEN * i;
        read_u32(&self.buffer.as_ref()[at..at + SEQUENCE_LEN])
    }

    /// All sequence numbers, in wire order.
    pub fn sequences(&self) -> impl Iterator<Item = u32> + '_ {
        let end = field::SEQUENCES + SEQUENCE_LEN * usize::from(self.count());
        self.buffer.as_ref()[field::SEQUENCES..end]
            .chunks_exact(SEQUENCE_LEN)
            .map(read_u32)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> AckPacket<T> {
    /// Sets the status.
    pub fn set_status(&mut self, v: AckStatus) {
        self.buffer.as_mut()[field::STATUS] = v.into();
    }

    /// Sets the count.
    pub fn set_count(&mut self, v: u8) {
        self.buffer.as_mut()[field::COUNT] = v;
    }

    /// Sets sequence number `i`.
    ///
    /// # Panics
    /// If the buffer has no room for number `i`.
    pub fn set_sequence(&mut self, i: usize, v: u32) {
        let at = field::SEQUENCES + SEQUENCE_LEN * i;
        self.buffer.as_mut()[at..at + SEQUENCE_LEN].copy_from_slice(&v.to_le_bytes());
    }
}

/// Report ack, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AckRepr {
    /// What happened to the reports.
    pub status: AckStatus,
    /// Sequence numbers acked (1..=255 of them).
    pub sequences: Vec<u32>,
}

impl AckRepr {
    /// Parses a checked view; `Malformed` if the count is 0.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &AckPacket<&T>) -> Result<AckRepr> {
        if packet.count() == 0 {
            return Err(Error::Malformed);
        }
        Ok(AckRepr {
            status: packet.status(),
            sequences: packet.sequences().collect(),
        })
    }

    /// Bytes of the emitted payload (at most 255 numbers are sent).
    pub fn buffer_len(&self) -> usize {
        field::SEQUENCES + SEQUENCE_LEN * self.sequences.len().min(usize::from(u8::MAX))
    }

    /// Writes the payload into a view over exactly `buffer_len()` bytes; numbers past the
    /// 255th are left out (split them over several acks).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut AckPacket<T>) {
        packet.set_status(self.status);
        let n = self.sequences.len().min(usize::from(u8::MAX));
        packet.set_count(n as u8);
        for (i, s) in self.sequences.iter().take(n).enumerate() {
            packet.set_sequence(i, *s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static REPORT: [u8; 30] = [
        0x2A, 0x00, 0x00, 0x00, // sequence 42
        0x00, 0x10, 0xA5, 0xD4, 0xE8, 0x00, 0x00, 0x00, // timestamp 1 000 000 000 000 µs
        0x01, // data format: JSON
        0x05, 0x00, // payload: 5 bytes
        0x06, 0x08, b'm', b'e', b't', b'e', b'r', b'i', b'n', b'g', // SID service "metering"
        b'{', b'"', b'v', b'"', b'}', // payload {"v"}
    ];

    static ACK: [u8; 10] = [
        0x01, // status: duplicate
        0x02, // two numbers
        0x2A, 0x00, 0x00, 0x00, // 42
        0x2B, 0x00, 0x00, 0x00, // 43
    ];

    fn report() -> Repr {
        Repr {
            sequence: 42,
            sid: Sid::service("metering").unwrap(),
            timestamp: 1_000_000_000_000,
            data_format: DataFormat::Json,
            payload: b"{\"v\"}".to_vec(),
        }
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&REPORT[..]).unwrap();
        assert_eq!(p.sequence(), 42);
        assert_eq!(p.timestamp(), 1_000_000_000_000);
        assert_eq!(p.data_format(), DataFormat::Json);
        assert_eq!(p.payload_len(), 5);
        assert_eq!(p.sid(), &REPORT[15..25]);
        assert_eq!(p.payload(), b"{\"v\"}");
    }

    #[test]
    fn construct() {
        let mut buf = [0xA5u8; 30];
        let mut p = Packet::new_unchecked(&mut buf[..]);
        p.set_sequence(42);
        p.set_timestamp(1_000_000_000_000);
        p.set_data_format(DataFormat::Json);
        p.set_payload_len(5);
        p.sid_mut()[..10].copy_from_slice(&REPORT[15..25]);
        p.payload_mut().copy_from_slice(b"{\"v\"}");
        assert_eq!(buf, REPORT);
    }

    #[test]
    fn parse_emit() {
        let r = Repr::parse(&Packet::new_checked(&REPORT[..]).unwrap()).unwrap();
        assert_eq!(r, report());
        assert_eq!(r.buffer_len(), 30);
        let mut buf = [0xA5u8; 30];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, REPORT);
    }

    #[test]
    fn parse_truncated() {
        assert_eq!(Packet::new_checked(&REPORT[..14]), Err(Error::Truncated));
        assert_eq!(Packet::new_checked(&REPORT[..16]), Err(Error::Truncated));
        assert_eq!(Packet::new_checked(&REPORT[..24]), Err(Error::Truncated));
        assert_eq!(Packet::new_checked(&REPORT[..29]), Err(Error::Truncated));
    }

    #[test]
    fn parse_oversized() {
        let mut b = REPORT.to_vec();
        b.push(0);
        assert_eq!(Packet::new_checked(&b[..]), Err(Error::Oversized));
    }

    #[test]
    fn parse_payload_len_over_limit() {
        let mut b = REPORT.to_vec();
        let n = MAX_REPORT_PAYLOAD as u16 + 1;
        b[13..15].copy_from_slice(&n.to_le_bytes());
        b.resize(25 + usize::from(n), 0);
        assert_eq!(Packet::new_checked(&b[..]), Err(Error::Oversized));
    }

    #[test]
    fn parse_bad_sid() {
        let mut b = REPORT;
        b[15] = 0x02; // IPv4 server with 8 bytes
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Repr::parse(&p), Err(Error::Malformed));
    }

    #[test]
    fn ack_deconstruct_construct() {
        let p = AckPacket::new_checked(&ACK[..]).unwrap();
        assert_eq!(p.status(), AckStatus::Duplicate);
        assert_eq!(p.count(), 2);
        assert_eq!(p.sequence(1), 43);
        let mut buf = [0xA5u8; 10];
        let mut p = AckPacket::new_unchecked(&mut buf[..]);
        p.set_status(AckStatus::Duplicate);
        p.set_count(2);
        p.set_sequence(0, 42);
        p.set_sequence(1, 43);
        assert_eq!(buf, ACK);
    }

    #[test]
    fn ack_parse_emit() {
        let r = AckRepr::parse(&AckPacket::new_checked(&ACK[..]).unwrap()).unwrap();
        assert_eq!(
            r,
            AckRepr {
                status: AckStatus::Duplicate,
                sequences: vec![42, 43]
            }
        );
        let mut buf = [0xA5u8; 10];
        r.emit(&mut AckPacket::new_unchecked(&mut buf[..]));
        assert_eq!(buf, ACK);
    }

    #[test]
    fn ack_truncated() {
        assert_eq!(AckPacket::new_checked(&ACK[..1]), Err(Error::Truncated));
        assert_eq!(AckPacket::new_checked(&ACK[..9]), Err(Error::Truncated));
    }

    #[test]
    fn ack_oversized() {
        let mut b = ACK.to_vec();
        b.push(0);
        assert_eq!(AckPacket::new_checked(&b[..]), Err(Error::Oversized));
    }

    #[test]
    fn ack_empty() {
        let p = AckPacket::new_checked(&[0x00, 0x00][..]).unwrap();
        assert_eq!(AckRepr::parse(&p), Err(Error::Malformed));
    }
}
