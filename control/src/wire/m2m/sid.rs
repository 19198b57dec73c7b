//! Service identifier (SID): what a terminal and the gateway compare to decide that the
//! gateway serves the terminal's M2M service (seed patent: "first/second service identifier").
//!
//! On the wire a SID is a `type, length, value` triplet (the *SID TLV*); several of them make a
//! SID list, the body of the SID-list element (beacons, probe requests and responses,
//! association requests) and the tail of the report indication and "SID not supported"
//! elements. The owned [`Sid`] is always valid (its text parts can only be built through
//! checked constructors), so it can be used as a config or map key and always emits bytes that
//! parse back to itself.
//!
//! | type | name          | value                                   | limit                    |
//! |------|---------------|-----------------------------------------|--------------------------|
//! | 1    | M2M user id   | UTF-8 text, no control characters       | 1..=64 bytes             |
//! | 2    | server IPv4   | IPv4 address, network order             | exactly 4 bytes          |
//! | 3    | server IPv6   | IPv6 address, network order             | exactly 16 bytes         |
//! | 4    | server URL    | UTF-8 `scheme://rest`, no whitespace    | 1..=200 bytes            |
//! | 5    | terminal id   | MAC address                             | exactly 6 bytes          |
//! | 6    | service type  | UTF-8 text, no control characters       | 1..=64 bytes             |
//! | else | unknown       | opaque, kept for re-emission            | 0..=255 bytes            |

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::wire::{parse_hex, Error, MacAddr, Result};

crate::enum_with_unknown! {
    /// Kind of a service identifier: which of the patent's four identifiers (and, for the
    /// server id, which address form) the value holds.
    pub enum SidType(u8) {
        /// M2M user id (the company that owns the terminals, e.g. a water utility).
        User = 1,
        /// M2M server id given as an IPv4 address.
        ServerIpv4 = 2,
        /// M2M server id given as an IPv6 address.
        ServerIpv6 = 3,
        /// M2M server id given as a URL.
        ServerUrl = 4,
        /// M2M terminal id (the terminal's MAC address).
        Terminal = 5,
        /// Service type (e.g. "metering").
        Service = 6,
    }
}

/// Longest M2M user id or service type, bytes: short enough that a beacon can carry several.
pub const MAX_NAME_LEN: usize = 64;
/// Longest server URL, bytes: leaves room in a 251-byte element payload for other SIDs.
pub const MAX_URL_LEN: usize = 200;
/// Longest value of a SID of unknown type (the length byte's range).
pub const MAX_UNKNOWN_LEN: usize = 255;

/// Byte layout of one SID TLV.
mod field {
    use crate::wire::Field;
    /// SID type code.
    pub const TYPE: usize = 0;
    /// Length of the value, bytes.
    pub const LENGTH: usize = 1;
    /// Start of the value.
    pub const VALUE: usize = 2;
    /// The type/length header.
    pub const HEADER: Field = TYPE..VALUE;
}

/// Bytes of the SID TLV header (type + length).
pub const SID_HEADER_LEN: usize = field::HEADER.end;

/// Zero-copy view of one SID TLV at the start of a buffer (bytes after it are not looked at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SidPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> SidPacket<T> {
    /// Wraps a buffer without checking it (for emitting).
    pub const fn new_unchecked(buffer: T) -> Self {
        SidPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Truncated` if the header or the value the length byte announces is cut short.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < field::VALUE {
            return Err(Error::Truncated);
        }
        if b.len() < self.total_len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// SID type.
    pub fn sid_type(&self) -> SidType {
        SidType::from(self.buffer.as_ref()[field::TYPE])
    }

    /// Value length, bytes.
    pub fn value_len(&self) -> u8 {
        self.buffer.as_ref()[field::LENGTH]
    }

    /// Bytes this TLV takes (header + value).
    pub fn total_len(&self) -> usize {
        field::VALUE + usize::from(self.value_len())
    }

    /// The value bytes.
    pub fn value(&self) -> &[u8] {
        let end = self.total_len();
        &self.buffer.as_ref()[field::VALUE..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> SidPacket<T> {
    /// Sets the SID type.
    pub fn set_sid_type(&mut self, t: SidType) {
        self.buffer.as_mut()[field::TYPE] = t.into();
    }

    /// Sets the value length.
    pub fn set_value_len(&mut self, len: u8) {
        self.buffer.as_mut()[field::LENGTH] = len;
    }

    /// The value bytes, as long as the length byte says.
    pub fn value_mut(&mut self) -> &mut [u8] {
        let end = self.total_len();
        &mut self.buffer.as_mut()[field::VALUE..end]
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME_LEN && !s.chars().any(char::is_control)
}

fn valid_url(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_URL_LEN {
        return false;
    }
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
}

/// An M2M user id or service type: 1..=64 bytes of UTF-8 with no control characters, so it
/// prints and round-trips through config text unchanged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SidName(String);

impl SidName {
    /// Checks and wraps a name; `Malformed` if empty, over 64 bytes or holding control chars.
    pub fn new(s: &str) -> Result<Self> {
        if valid_name(s) {
            Ok(SidName(s.to_string()))
        } else {
            Err(Error::Malformed)
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An M2M server URL: 1..=200 bytes of UTF-8 shaped `scheme://rest` with no whitespace or
/// control characters. Requiring the scheme keeps a URL from ever reading as an IP address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SidUrl(String);

impl SidUrl {
    /// Checks and wraps a URL; `Malformed` if it breaks the rules above.
    pub fn new(s: &str) -> Result<Self> {
        if valid_url(s) {
            Ok(SidUrl(s.to_string()))
        } else {
            Err(Error::Malformed)
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SID of a type this version does not name: code and raw value, kept so it is re-emitted
/// unchanged (the code is never one of the named [`SidType`]s).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnknownSid {
    code: u8,
    value: Vec<u8>,
}

impl UnknownSid {
    /// `Malformed` if `code` is a named type (use the named variant) or the value is over 255
    /// bytes.
    pub fn new(code: u8, value: &[u8]) -> Result<Self> {
        if !matches!(SidType::from(code), SidType::Unknown(_)) || value.len() > MAX_UNKNOWN_LEN {
            return Err(Error::Malformed);
        }
        Ok(UnknownSid {
            code,
            value: value.to_vec(),
        })
    }

    /// The type code.
    pub fn code(&self) -> u8 {
        self.code
    }

    /// The raw value.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// One service identifier, owned and always valid. Two SIDs match by equality (a configured
/// correspondence, e.g. server id ↔ service type, is the gateway's business).
///
/// Text form (`Display`/`FromStr`), one per type: `user:acme-water`, `server:10.0.0.7`,
/// `server:2001:db8::7`, `server:https://m2m.example/acme`, `terminal:02:00:00:00:10:01`,
/// `service:metering`, and `sid42:0102ff` (type code in decimal, value in hex) for unknown types.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sid {
    /// M2M user id.
    User(SidName),
    /// M2M server id as an IP address (type 2 for IPv4, 3 for IPv6).
    ServerIp(IpAddr),
    /// M2M server id as a URL.
    ServerUrl(SidUrl),
    /// M2M terminal id.
    Terminal(MacAddr),
    /// Service type.
    Service(SidName),
    /// A type this version does not name.
    Unknown(UnknownSid),
}

impl Sid {
    /// Shorthand for a user SID from text (`Malformed` as [`SidName::new`]).
    pub fn user(s: &str) -> Result<Sid> {
        SidName::new(s).map(Sid::User)
    }

    /// Shorthand for a service-type SID from text (`Malformed` as [`SidName::new`]).
    pub fn service(s: &str) -> Result<Sid> {
        SidName::new(s).map(Sid::Service)
    }

    /// Shorthand for a server-URL SID (`Malformed` as [`SidUrl::new`]).
    pub fn server_url(s: &str) -> Result<Sid> {
        SidUrl::new(s).map(Sid::ServerUrl)
    }

    /// The type code this SID is sent with.
    pub fn sid_type(&self) -> SidType {
        match self {
            Sid::User(_) => SidType::User,
            Sid::ServerIp(IpAddr::V4(_)) => SidType::ServerIpv4,
            Sid::ServerIp(IpAddr::V6(_)) => SidType::ServerIpv6,
            Sid::ServerUrl(_) => SidType::ServerUrl,
            Sid::Terminal(_) => SidType::Terminal,
            Sid::Service(_) => SidType::Service,
            Sid::Unknown(u) => SidType::Unknown(u.code),
        }
    }

    /// Whether this SID names an M2M server (IP or URL): the forms a service-information
    /// element may carry as the server address.
    pub fn is_server(&self) -> bool {
        matches!(self, Sid::ServerIp(_) | Sid::ServerUrl(_))
    }

    /// Parses a checked TLV view, validating the value against its type.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &SidPacket<&T>) -> Result<Sid> {
        let v = packet.value();
        let text = || core::str::from_utf8(v).map_err(|_| Error::Malformed);
        match packet.sid_type() {
            SidType::User => Ok(Sid::User(SidName::new(text()?)?)),
            SidType::Service => Ok(Sid::Service(SidName::new(text()?)?)),
            SidType::ServerUrl => Ok(Sid::ServerUrl(SidUrl::new(text()?)?)),
            SidType::ServerIpv4 => {
                let a: [u8; 4] = v.try_into().map_err(|_| Error::Malformed)?;
                Ok(Sid::ServerIp(IpAddr::V4(Ipv4Addr::from(a))))
            }
            SidType::ServerIpv6 => {
                let a: [u8; 16] = v.try_into().map_err(|_| Error::Malformed)?;
                Ok(Sid::ServerIp(IpAddr::V6(Ipv6Addr::from(a))))
            }
            SidType::Terminal => {
                let a: [u8; 6] = v.try_into().map_err(|_| Error::Malformed)?;
                Ok(Sid::Terminal(MacAddr(a)))
            }
            SidType::Unknown(code) => Ok(Sid::Unknown(UnknownSid::new(code, v)?)),
        }
    }

    /// Parses the SID TLV at the start of `buf`, returning the bytes after it and the SID.
    pub fn parse_tlv(buf: &[u8]) -> Result<(&[u8], Sid)> {
        let p = SidPacket::new_checked(buf)?;
        let sid = Sid::parse(&p)?;
        let n = p.total_len();
        Ok((&buf[n..], sid))
    }

    fn value_len(&self) -> usize {
        match self {
            Sid::User(n) | Sid::Service(n) => n.0.len(),
            Sid::ServerIp(IpAddr::V4(_)) => 4,
            Sid::ServerIp(IpAddr::V6(_)) => 16,
            Sid::ServerUrl(u) => u.0.len(),
            Sid::Terminal(_) => 6,
            Sid::Unknown(u) => u.value.len(),
        }
    }

    /// Bytes of the TLV (header + value).
    pub fn buffer_len(&self) -> usize {
        SID_HEADER_LEN + self.value_len()
    }

    /// Writes the TLV into a view over at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut SidPacket<T>) {
        packet.set_sid_type(self.sid_type());
        // Every constructor bounds the value to 255 bytes or less.
        packet.set_value_len(self.value_len() as u8);
        let out = packet.value_mut();
        match self {
            Sid::User(n) | Sid::Service(n) => out.copy_from_slice(n.0.as_bytes()),
            Sid::ServerIp(IpAddr::V4(a)) => out.copy_from_slice(&a.octets()),
            Sid::ServerIp(IpAddr::V6(a)) => out.copy_from_slice(&a.octets()),
            Sid::ServerUrl(u) => out.copy_from_slice(u.0.as_bytes()),
            Sid::Terminal(m) => out.copy_from_slice(&m.0),
            Sid::Unknown(u) => out.copy_from_slice(&u.value),
        }
    }

    /// Writes the TLV at the start of `buf`; returns the bytes written.
    ///
    /// # Panics
    /// If `buf` is shorter than `buffer_len()`.
    pub fn emit_tlv(&self, buf: &mut [u8]) -> usize {
        let n = self.buffer_len();
        self.emit(&mut SidPacket::new_unchecked(&mut buf[..n]));
        n
    }
}

impl From<MacAddr> for Sid {
    fn from(m: MacAddr) -> Sid {
        Sid::Terminal(m)
    }
}

impl From<IpAddr> for Sid {
    fn from(a: IpAddr) -> Sid {
        Sid::ServerIp(a)
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sid::User(n) => write!(f, "user:{n}"),
            Sid::ServerIp(a) => write!(f, "server:{a}"),
            Sid::ServerUrl(u) => write!(f, "server:{u}"),
            Sid::Terminal(m) => write!(f, "terminal:{m}"),
            Sid::Service(n) => write!(f, "service:{n}"),
            Sid::Unknown(u) => {
                write!(f, "sid{}:", u.code)?;
                u.value.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

/// Error for text that is not a SID (`user:…`, `server:…`, `terminal:…`, `service:…`,
/// `sidN:hex`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseSidError(pub String);

impl fmt::Display for ParseSidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a SID (user:NAME, server:IP, server:URL, terminal:MAC, service:NAME, sidN:HEX): {:?}",
            self.0
        )
    }
}

impl std::error::Error for ParseSidError {}

impl FromStr for Sid {
    type Err = ParseSidError;
    fn from_str(s: &str) -> core::result::Result<Self, Self::Err> {
        let err = || ParseSidError(s.to_string());
        let (kind, value) = s.split_once(':').ok_or_else(err)?;
        match kind {
            "user" => Sid::user(value).map_err(|_| err()),
            "service" => Sid::service(value).map_err(|_| err()),
            "terminal" => value
                .parse::<MacAddr>()
                .map(Sid::Terminal)
                .map_err(|_| err()),
            "server" => match value.parse::<IpAddr>() {
                Ok(a) => Ok(Sid::ServerIp(a)),
                Err(_) => Sid::server_url(value).map_err(|_| err()),
            },
            _ => {
                let code: u8 = kind
                    .strip_prefix("sid")
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(err)?;
                let bytes = parse_hex(value).ok_or_else(err)?;
                UnknownSid::new(code, &bytes)
                    .map(Sid::Unknown)
                    .map_err(|_| err())
            }
        }
    }
}

/// A list of one or more SIDs packed back to back: the SID-list element's payload (a beacon,
/// probe or association request may name several services).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SidList {
    /// The SIDs, in wire order (never empty after parsing).
    pub sids: Vec<Sid>,
}

impl SidList {
    /// Parses `buf` as whole SID TLVs filling it exactly. `Malformed` if empty or a SID is
    /// invalid; `Truncated` if the last TLV is cut short.
    pub fn parse(buf: &[u8]) -> Result<SidList> {
        let sids = parse_sids(buf)?;
        Ok(SidList { sids })
    }

    /// Bytes of the emitted list.
    pub fn buffer_len(&self) -> usize {
        sids_len(&self.sids)
    }

    /// Writes the list into `buf` (at least `buffer_len()` bytes).
    pub fn emit(&self, buf: &mut [u8]) {
        emit_sids(&self.sids, buf);
    }

    /// Whether any SID of the list equals `sid`.
    pub fn contains(&self, sid: &Sid) -> bool {
        self.sids.contains(sid)
    }
}

/// Parses one or more SID TLVs filling `buf` exactly (shared by every element ending in SIDs).
pub(super) fn parse_sids(mut buf: &[u8]) -> Result<Vec<Sid>> {
    if buf.is_empty() {
        return Err(Error::Malformed);
    }
    let mut sids = Vec::new();
    while !buf.is_empty() {
        let (rest, sid) = Sid::parse_tlv(buf)?;
        sids.push(sid);
        buf = rest;
    }
    Ok(sids)
}

/// Bytes of `sids` as TLVs.
pub(super) fn sids_len(sids: &[Sid]) -> usize {
    sids.iter().map(Sid::buffer_len).sum()
}

/// Writes `sids` as TLVs at the start of `buf`.
pub(super) fn emit_sids(sids: &[Sid], buf: &mut [u8]) {
    let mut at = 0;
    for s in sids {
        at += s.emit_tlv(&mut buf[at..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static USER: [u8; 12] = [
        0x01, 0x0A, // type 1 (M2M user id), 10 bytes
        b'a', b'c', b'm', b'e', b'-', b'w', b'a', b't', b'e', b'r', // "acme-water"
    ];

    static LIST: [u8; 30] = [
        0x02, 0x04, 10, 0, 0, 7, // server IPv4 10.0.0.7
        0x05, 0x06, 0x02, 0x00, 0x00, 0x00, 0x10, 0x01, // terminal 02:00:00:00:10:01
        0x06, 0x08, b'm', b'e', b't', b'e', b'r', b'i', b'n', b'g', // service "metering"
        0x2A, 0x02, 0x01, 0xFF, // type 42 (unknown), 2 bytes kept
        0x01, 0x00, // (cut here for the empty-user test)
    ];

    #[test]
    fn deconstruct() {
        let p = SidPacket::new_checked(&USER[..]).unwrap();
        assert_eq!(p.sid_type(), SidType::User);
        assert_eq!(p.value_len(), 10);
        assert_eq!(p.value(), b"acme-water");
        assert_eq!(p.total_len(), 12);
    }

    #[test]
    fn construct() {
        let mut buf = [0xA5u8; 12];
        let mut p = SidPacket::new_unchecked(&mut buf[..]);
        p.set_sid_type(SidType::User);
        p.set_value_len(10);
        p.value_mut().copy_from_slice(b"acme-water");
        assert_eq!(buf, USER);
    }

    #[test]
    fn parse_and_emit() {
        let sid = Sid::parse(&SidPacket::new_checked(&USER[..]).unwrap()).unwrap();
        assert_eq!(sid, Sid::user("acme-water").unwrap());
        assert_eq!(sid.buffer_len(), USER.len());
        let mut buf = [0xA5u8; 12];
        assert_eq!(sid.emit_tlv(&mut buf), 12);
        assert_eq!(buf, USER);
    }

    #[test]
    fn list_round_trip_keeps_unknown_types() {
        let body = &LIST[..28];
        let list = SidList::parse(body).unwrap();
        assert_eq!(
            list.sids,
            vec![
                "server:10.0.0.7".parse().unwrap(),
                "terminal:02:00:00:00:10:01".parse().unwrap(),
                "service:metering".parse().unwrap(),
                Sid::Unknown(UnknownSid::new(42, &[0x01, 0xFF]).unwrap()),
            ]
        );
        assert!(list.contains(&Sid::service("metering").unwrap()));
        let mut buf = [0xA5u8; 28];
        assert_eq!(list.buffer_len(), 28);
        list.emit(&mut buf);
        assert_eq!(&buf[..], body);
    }

    #[test]
    fn text_forms() {
        for s in [
            "user:acme-water",
            "server:10.0.0.7",
            "server:2001:db8::7",
            "server:https://m2m.example/acme",
            "terminal:02:00:00:00:10:01",
            "service:metering",
            "sid42:01ff",
            "sid200:",
        ] {
            let sid: Sid = s.parse().unwrap();
            assert_eq!(sid.to_string(), s);
        }
        for bad in [
            "user:",
            "metering",
            "server:m2m.example",
            "server:https://",
            "server:http://a b",
            "terminal:02:00",
            "sid1:00",
            "sid42:0",
            "sid300:00",
            "colour:blue",
        ] {
            assert!(bad.parse::<Sid>().is_err(), "{bad}");
        }
        assert!(Sid::user(&"x".repeat(64)).is_ok());
        assert!(Sid::user(&"x".repeat(65)).is_err());
        assert!(Sid::server_url(&format!("http://{}", "x".repeat(193))).is_ok());
        assert!(Sid::server_url(&format!("http://{}", "x".repeat(194))).is_err());
    }

    #[test]
    fn map_key_by_equality() {
        let mut m = std::collections::HashMap::new();
        m.insert(Sid::user("acme-water").unwrap(), 1);
        assert_eq!(m.get(&"user:acme-water".parse::<Sid>().unwrap()), Some(&1));
        assert_eq!(m.get(&"service:acme-water".parse::<Sid>().unwrap()), None);
    }

    #[test]
    fn parse_truncated() {
        assert_eq!(Sid::parse_tlv(&USER[..1]), Err(Error::Truncated));
        assert_eq!(Sid::parse_tlv(&USER[..11]), Err(Error::Truncated));
        assert_eq!(SidList::parse(&LIST[..27]), Err(Error::Truncated));
    }

    #[test]
    fn parse_empty_list() {
        assert_eq!(SidList::parse(&[]), Err(Error::Malformed));
    }

    #[test]
    fn parse_empty_name() {
        assert_eq!(SidList::parse(&LIST[28..]), Err(Error::Malformed));
    }

    #[test]
    fn parse_wrong_address_lengths() {
        assert_eq!(
            Sid::parse_tlv(&[0x02, 0x03, 10, 0, 0]),
            Err(Error::Malformed)
        );
        assert_eq!(
            Sid::parse_tlv(&[0x03, 0x04, 10, 0, 0, 7]),
            Err(Error::Malformed)
        );
        assert_eq!(
            Sid::parse_tlv(&[0x05, 0x07, 2, 0, 0, 0, 0, 1, 9]),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn parse_bad_utf8_url() {
        let mut tlv = vec![0x04, 0x09];
        tlv.extend_from_slice(b"http://\xFF\xFE");
        assert_eq!(Sid::parse_tlv(&tlv), Err(Error::Malformed));
    }

    #[test]
    fn parse_oversized_name() {
        let mut tlv = vec![0x06, 65];
        tlv.extend(std::iter::repeat_n(b'm', 65));
        assert_eq!(Sid::parse_tlv(&tlv), Err(Error::Malformed));
    }

    #[test]
    fn parse_oversized_url() {
        let url = format!("http://{}", "x".repeat(194));
        let mut tlv = vec![0x04, url.len() as u8];
        tlv.extend_from_slice(url.as_bytes());
        assert_eq!(Sid::parse_tlv(&tlv), Err(Error::Malformed));
    }

    #[test]
    fn parse_control_chars() {
        assert_eq!(
            Sid::parse_tlv(&[0x01, 0x02, b'a', 0x00]),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn unknown_cannot_shadow_named_types() {
        assert_eq!(UnknownSid::new(1, b"x"), Err(Error::Malformed));
        assert_eq!(UnknownSid::new(7, &[0; 256]), Err(Error::Malformed));
    }
}
