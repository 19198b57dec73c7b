//! Service configuration the gateway hands a terminal (association response): the service
//! information it got back from the M2M server, and the service time it allocated (seed
//! patent S2314/S2316: "initial service time and a service duration").
//!
//! Service information payload:
//!
//! | offset | size | field         | meaning                                                  |
//! |--------|------|---------------|----------------------------------------------------------|
//! | 0      | 4    | report period | seconds between reports; 0 = report only when indicated  |
//! | 4      | 1    | data format   | [`DataFormat`] code                                      |
//! | 5      | 4    | data amount   | bytes per report                                         |
//! | 9      | n    | server        | optional: one server SID TLV (IPv4, IPv6 or URL)         |
//!
//! Service time allocation payload:
//!
//! | offset | size | field        | meaning                                                   |
//! |--------|------|--------------|-----------------------------------------------------------|
//! | 0      | 8    | initial time | TSF time of the first window, µs                          |
//! | 8      | 4    | duration     | window length, µs, 1..period                              |
//! | 12     | 4    | period       | seconds between windows, ≥ 1                              |
//! | 16     | 1    | channel      | S1G channel number the window is on                       |

use std::fmt;
use std::str::FromStr;

use crate::wire::{Error, Result};

use super::sid::{Sid, SidPacket};
use super::{check_exact, read_u32, read_u64};

/// Microseconds per second (period is sent in s, duration in µs).
const US_PER_S: u64 = 1_000_000;

crate::enum_with_unknown! {
    /// How a terminal encodes its report payload, so the gateway and the M2M server can
    /// decode or forward it.
    pub enum DataFormat(u8) {
        /// Opaque bytes, forwarded as they are.
        Opaque = 0,
        /// JSON text.
        Json = 1,
        /// CBOR (RFC 8949).
        Cbor = 2,
        /// DLMS/COSEM APDU (IEC 62056, utility meters).
        DlmsCosem = 3,
        /// SenML in JSON (RFC 8428).
        SenmlJson = 4,
        /// SenML in CBOR (RFC 8428).
        SenmlCbor = 5,
    }
}

impl DataFormat {
    const NAMES: [(DataFormat, &'static str); 6] = [
        (DataFormat::Opaque, "opaque"),
        (DataFormat::Json, "json"),
        (DataFormat::Cbor, "cbor"),
        (DataFormat::DlmsCosem, "dlms-cosem"),
        (DataFormat::SenmlJson, "senml-json"),
        (DataFormat::SenmlCbor, "senml-cbor"),
    ];
}

/// Config text: `opaque`, `json`, `cbor`, `dlms-cosem`, `senml-json`, `senml-cbor`, or
/// `format-N` for an unnamed code.
impl fmt::Display for DataFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Self::NAMES.iter().find(|(d, _)| d == self) {
            Some((_, n)) => f.write_str(n),
            None => write!(f, "format-{}", u8::from(*self)),
        }
    }
}

impl FromStr for DataFormat {
    type Err = Error;
    /// `Malformed` for text that is none of the names nor `format-N`.
    fn from_str(s: &str) -> Result<Self> {
        if let Some((d, _)) = Self::NAMES.iter().find(|(_, n)| *n == s) {
            return Ok(*d);
        }
        s.strip_prefix("format-")
            .and_then(|n| n.parse::<u8>().ok())
            .map(DataFormat::from)
            .ok_or(Error::Malformed)
    }
}

mod field {
    use crate::wire::Field;
    /// Service information: report period, s.
    pub const PERIOD: Field = 0..4;
    /// Service information: data format.
    pub const FORMAT: usize = 4;
    /// Service information: data amount, bytes.
    pub const AMOUNT: Field = 5..9;
    /// Service information: start of the optional server SID.
    pub const SERVER: usize = 9;

    /// Service time: initial time, TSF µs.
    pub const INITIAL: Field = 0..8;
    /// Service time: duration, µs.
    pub const DURATION: Field = 8..12;
    /// Service time: period, s.
    pub const T_PERIOD: Field = 12..16;
    /// Service time: channel.
    pub const CHANNEL: usize = 16;
    /// Service time: end.
    pub const T_END: usize = 17;
}

/// Bytes of service information without a server SID.
pub const INFO_FIXED_LEN: usize = field::SERVER;
/// Bytes of a service time allocation.
pub const TIME_LEN: usize = field::T_END;

/// Zero-copy view of a service-information payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> InfoPacket<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        InfoPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` if shorter than the fixed part or than the server TLV's length;
    /// `Oversized` if bytes follow the server TLV.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < field::SERVER {
            return Err(Error::Truncated);
        }
        let tail = &b[field::SERVER..];
        if tail.is_empty() {
            return Ok(());
        }
        let sid = SidPacket::new_checked(tail)?;
        check_exact(tail.len(), sid.total_len())
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Report period, s.
    pub fn report_period(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::PERIOD])
    }

    /// Data format.
    pub fn data_format(&self) -> DataFormat {
        DataFormat::from(self.buffer.as_ref()[field::FORMAT])
    }

    /// Data amount, bytes per report.
    pub fn data_amount(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::AMOUNT])
    }

    /// The server SID TLV bytes (empty if absent).
    pub fn server(&self) -> &[u8] {
        &self.buffer.as_ref()[field::SERVER..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> InfoPacket<T> {
    /// Sets the report period, s.
    pub fn set_report_period(&mut self, v: u32) {
        self.buffer.as_mut()[field::PERIOD].copy_from_slice(&v.to_le_bytes());
    }

    /// Sets the data format.
    pub fn set_data_format(&mut self, v: DataFormat) {
        self.buffer.as_mut()[field::FORMAT] = v.into();
    }

    /// Sets the data amount.
    pub fn set_data_amount(&mut self, v: u32) {
        self.buffer.as_mut()[field::AMOUNT].copy_from_slice(&v.to_le_bytes());
    }

    /// The bytes after the fixed part, for the server SID.
    pub fn server_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::SERVER..]
    }
}

/// Service information, owned: what the M2M server tells the gateway about a terminal's
/// service and the gateway passes on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InfoRepr {
    /// Seconds between reports (0 = report only when indicated).
    pub report_period: u32,
    /// Payload format.
    pub data_format: DataFormat,
    /// Bytes per report (the scheduler sizes windows from it).
    pub data_amount: u32,
    /// M2M server address, when the terminal does not know it already.
    pub server: Option<Sid>,
}

impl InfoRepr {
    /// Parses a checked view. `Malformed` if the server SID is invalid or is a user, terminal
    /// or service-type SID (unknown SID types are kept).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &InfoPacket<&T>) -> Result<InfoRepr> {
        let tail = packet.server();
        let server = if tail.is_empty() {
            None
        } else {
            let sid = Sid::parse(&SidPacket::new_checked(tail)?)?;
            if !(sid.is_server() || matches!(sid, Sid::Unknown(_))) {
                return Err(Error::Malformed);
            }
            Some(sid)
        };
        Ok(InfoRepr {
            report_period: packet.report_period(),
            data_format: packet.data_format(),
            data_amount: packet.data_amount(),
            server,
        })
    }

    /// Bytes of the emitted payload.
    pub fn buffer_len(&self) -> usize {
        INFO_FIXED_LEN + self.server.as_ref().map_or(0, Sid::buffer_len)
    }

    /// Writes the payload into a view over exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut InfoPacket<T>) {
        packet.set_report_period(self.report_period);
        packet.set_data_format(self.data_format);
        packet.set_data_amount(self.data_amount);
        if let Some(s) = &self.server {
            s.emit_tlv(packet.server_mut());
        }
    }
}

/// A report window proposed by a terminal: start and length (the resource request's body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeWindow {
    /// TSF time of the window's start, µs.
    pub initial_time: u64,
    /// Window length, µs (≥ 1).
    pub duration: u32,
}

/// Zero-copy view of a service-time-allocation payload (also the window of a resource
/// response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimePacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TimePacket<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        TimePacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated`/`Oversized` unless exactly 17 bytes.
    pub fn check_len(&self) -> Result<()> {
        check_exact(self.buffer.as_ref().len(), TIME_LEN)
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// TSF time of the first window, µs.
    pub fn initial_time(&self) -> u64 {
        read_u64(&self.buffer.as_ref()[field::INITIAL])
    }

    /// Window length, µs.
    pub fn duration(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::DURATION])
    }

    /// Seconds between windows.
    pub fn period(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::T_PERIOD])
    }

    /// Channel number.
    pub fn channel(&self) -> u8 {
        self.buffer.as_ref()[field::CHANNEL]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TimePacket<T> {
    /// Sets the initial time.
    pub fn set_initial_time(&mut self, v: u64) {
        self.buffer.as_mut()[field::INITIAL].copy_from_slice(&v.to_le_bytes());
    }

    /// Sets the duration.
    pub fn set_duration(&mut self, v: u32) {
        self.buffer.as_mut()[field::DURATION].copy_from_slice(&v.to_le_bytes());
    }

    /// Sets the period.
    pub fn set_period(&mut self, v: u32) {
        self.buffer.as_mut()[field::T_PERIOD].copy_from_slice(&v.to_le_bytes());
    }

    /// Sets the channel.
    pub fn set_channel(&mut self, v: u8) {
        self.buffer.as_mut()[field::CHANNEL] = v;
    }
}

/// Service time allocation, owned: the terminal's recurring report window. Windows are
/// `[initial_time + k·period·10⁶, … + duration)` µs of TSF time, k = 0, 1, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeRepr {
    /// First window.
    pub window: TimeWindow,
    /// Seconds between windows.
    pub period: u32,
    /// Channel the windows are on.
    pub channel: u8,
}

impl TimeRepr {
    /// Parses a checked view. `Malformed` if the duration is 0 or not shorter than the period
    /// (a window would overlap its own next occurrence).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &TimePacket<&T>) -> Result<TimeRepr> {
        let r = TimeRepr {
            window: TimeWindow {
                initial_time: packet.initial_time(),
                duration: packet.duration(),
            },
            period: packet.period(),
            channel: packet.channel(),
        };
        if r.window.duration == 0 || u64::from(r.window.duration) >= u64::from(r.period) * US_PER_S
        {
            return Err(Error::Malformed);
        }
        Ok(r)
    }

    /// Bytes of the emitted payload.
    pub const fn buffer_len(&self) -> usize {
        TIME_LEN
    }

    /// Writes the payload into a view over exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut TimePacket<T>) {
        packet.set_initial_time(self.window.initial_time);
        packet.set_duration(self.window.duration);
        packet.set_period(self.period);
        packet.set_channel(self.channel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    static INFO: [u8; 15] = [
        0x84, 0x03, 0x00, 0x00, // report period 900 s (15 min)
        0x02, // data format: CBOR
        0x40, 0x00, 0x00, 0x00, // 64 bytes per report
        0x02, 0x04, 10, 0, 0, 7, // server SID: IPv4 10.0.0.7
    ];

    static TIME: [u8; 17] = [
        0x00, 0xE1, 0xF5, 0x05, 0x00, 0x00, 0x00, 0x00, // initial time 100 000 000 µs
        0x10, 0x27, 0x00, 0x00, // duration 10 000 µs
        0x84, 0x03, 0x00, 0x00, // period 900 s
        0x25, // channel 37
    ];

    fn info() -> InfoRepr {
        InfoRepr {
            report_period: 900,
            data_format: DataFormat::Cbor,
            data_amount: 64,
            server: Some(Sid::ServerIp(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)))),
        }
    }

    fn time() -> TimeRepr {
        TimeRepr {
            window: TimeWindow {
                initial_time: 100_000_000,
                duration: 10_000,
            },
            period: 900,
            channel: 37,
        }
    }

    #[test]
    fn deconstruct_info() {
        let p = InfoPacket::new_checked(&INFO[..]).unwrap();
        assert_eq!(p.report_period(), 900);
        assert_eq!(p.data_format(), DataFormat::Cbor);
        assert_eq!(p.data_amount(), 64);
        assert_eq!(p.server(), &INFO[9..]);
    }

    #[test]
    fn construct_info() {
        let mut buf = [0xA5u8; 15];
        let mut p = InfoPacket::new_unchecked(&mut buf[..]);
        p.set_report_period(900);
        p.set_data_format(DataFormat::Cbor);
        p.set_data_amount(64);
        p.server_mut().copy_from_slice(&INFO[9..]);
        assert_eq!(buf, INFO);
    }

    #[test]
    fn info_parse_emit() {
        let r = InfoRepr::parse(&InfoPacket::new_checked(&INFO[..]).unwrap()).unwrap();
        assert_eq!(r, info());
        let mut buf = [0xA5u8; 15];
        r.emit(&mut InfoPacket::new_unchecked(&mut buf[..]));
        assert_eq!(buf, INFO);
        // Without the server.
        let r = InfoRepr::parse(&InfoPacket::new_checked(&INFO[..9]).unwrap()).unwrap();
        assert_eq!(r.server, None);
        assert_eq!(r.buffer_len(), 9);
    }

    #[test]
    fn info_truncated() {
        assert_eq!(InfoPacket::new_checked(&INFO[..8]), Err(Error::Truncated));
        assert_eq!(InfoPacket::new_checked(&INFO[..14]), Err(Error::Truncated));
        assert_eq!(InfoPacket::new_checked(&INFO[..10]), Err(Error::Truncated));
    }

    #[test]
    fn info_oversized() {
        let mut b = INFO.to_vec();
        b.push(0);
        assert_eq!(InfoPacket::new_checked(&b[..]), Err(Error::Oversized));
    }

    #[test]
    fn info_server_not_a_server() {
        let mut b = INFO[..9].to_vec();
        b.extend_from_slice(&[0x06, 0x01, b'x']); // service type "x"
        let p = InfoPacket::new_checked(&b[..]).unwrap();
        assert_eq!(InfoRepr::parse(&p), Err(Error::Malformed));
    }

    #[test]
    fn info_server_bad_url() {
        let mut b = INFO[..9].to_vec();
        b.extend_from_slice(&[0x04, 0x03, 0xC3, 0x28, b'a']); // invalid UTF-8
        let p = InfoPacket::new_checked(&b[..]).unwrap();
        assert_eq!(InfoRepr::parse(&p), Err(Error::Malformed));
    }

    #[test]
    fn data_format_text() {
        for f in [
            DataFormat::Opaque,
            DataFormat::Json,
            DataFormat::Cbor,
            DataFormat::DlmsCosem,
            DataFormat::SenmlJson,
            DataFormat::SenmlCbor,
            DataFormat::Unknown(77),
        ] {
            assert_eq!(f.to_string().parse::<DataFormat>(), Ok(f));
        }
        assert_eq!("dlms-cosem".parse(), Ok(DataFormat::DlmsCosem));
        assert_eq!("xml".parse::<DataFormat>(), Err(Error::Malformed));
    }

    #[test]
    fn deconstruct_time() {
        let p = TimePacket::new_checked(&TIME[..]).unwrap();
        assert_eq!(p.initial_time(), 100_000_000);
        assert_eq!(p.duration(), 10_000);
        assert_eq!(p.period(), 900);
        assert_eq!(p.channel(), 37);
    }

    #[test]
    fn construct_time() {
        let mut buf = [0xA5u8; 17];
        let mut p = TimePacket::new_unchecked(&mut buf[..]);
        p.set_initial_time(100_000_000);
        p.set_duration(10_000);
        p.set_period(900);
        p.set_channel(37);
        assert_eq!(buf, TIME);
    }

    #[test]
    fn time_parse_emit() {
        let r = TimeRepr::parse(&TimePacket::new_checked(&TIME[..]).unwrap()).unwrap();
        assert_eq!(r, time());
        let mut buf = [0xA5u8; 17];
        r.emit(&mut TimePacket::new_unchecked(&mut buf[..]));
        assert_eq!(buf, TIME);
    }

    #[test]
    fn time_truncated() {
        assert_eq!(TimePacket::new_checked(&TIME[..16]), Err(Error::Truncated));
    }

    #[test]
    fn time_oversized() {
        let mut b = TIME.to_vec();
        b.push(0);
        assert_eq!(TimePacket::new_checked(&b[..]), Err(Error::Oversized));
    }

    #[test]
    fn time_zero_duration() {
        let mut b = TIME;
        b[8..12].copy_from_slice(&[0; 4]);
        let p = TimePacket::new_checked(&b[..]).unwrap();
        assert_eq!(TimeRepr::parse(&p), Err(Error::Malformed));
    }

    #[test]
    fn time_duration_not_shorter_than_period() {
        let mut b = TIME;
        b[8..12].copy_from_slice(&1_000_000u32.to_le_bytes());
        b[12..16].copy_from_slice(&1u32.to_le_bytes()); // 1 s window every 1 s
        let p = TimePacket::new_checked(&b[..]).unwrap();
        assert_eq!(TimeRepr::parse(&p), Err(Error::Malformed));
        b[12..16].copy_from_slice(&0u32.to_le_bytes()); // period 0
        let p = TimePacket::new_checked(&b[..]).unwrap();
        assert_eq!(TimeRepr::parse(&p), Err(Error::Malformed));
    }
}
