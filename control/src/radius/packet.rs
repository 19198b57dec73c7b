//! RADIUS packets (RFC 2865 §3, §5): a checked [`Packet`] view over bytes and an owned
//! [`Repr`] with parse/emit, in the smoltcp mould.
//!
//! | offset | size | field         |
//! |--------|------|---------------|
//! | 0      | 1    | code          |
//! | 1      | 1    | identifier    |
//! | 2      | 2    | length (big-endian, 20–4096, the whole packet) |
//! | 4      | 16   | authenticator |
//! | 20     | …    | attributes: type (1), length (1, ≥ 2, includes these two bytes), value |
//!
//! Bytes after `length` are padding and ignored (RFC 2865 §3). A vendor-specific attribute
//! (type 26) holds a 4-byte vendor id and then the vendor's own type-length-value
//! sub-attributes ([`Vsa`]).

use super::dict::attr;
use super::RadiusError;

/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 20;
/// Largest RADIUS packet (RFC 2865 §3).
pub const MAX_LEN: usize = 4096;
/// Largest attribute value (the length byte counts the 2 header bytes).
pub const MAX_VALUE_LEN: usize = 253;

/// RADIUS packet codes this gateway sends or expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// 1: a request to authenticate (and authorise) a user.
    AccessRequest,
    /// 2: authenticated; the attributes carry the user's service.
    AccessAccept,
    /// 3: refused.
    AccessReject,
    /// 11: the server needs another round (EAP).
    AccessChallenge,
    /// 12: "are you there" (RFC 5997).
    StatusServer,
    /// Any other code, kept so a parser never fails on it; the client drops it.
    Other(u8),
}

impl From<u8> for Code {
    fn from(v: u8) -> Code {
        match v {
            1 => Code::AccessRequest,
            2 => Code::AccessAccept,
            3 => Code::AccessReject,
            11 => Code::AccessChallenge,
            12 => Code::StatusServer,
            o => Code::Other(o),
        }
    }
}

impl From<Code> for u8 {
    fn from(c: Code) -> u8 {
        match c {
            Code::AccessRequest => 1,
            Code::AccessAccept => 2,
            Code::AccessReject => 3,
            Code::AccessChallenge => 11,
            Code::StatusServer => 12,
            Code::Other(o) => o,
        }
    }
}

/// A read-only, length-checked view of a RADIUS packet.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    bytes: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Checks the header and that every attribute's length stays inside the packet.
    /// `Truncated` for a buffer shorter than its length field, `Malformed` for a length
    /// outside 20–4096 or an attribute length below 2 or running past the end.
    pub fn new_checked(buf: &'a [u8]) -> Result<Packet<'a>, RadiusError> {
        if buf.len() < HEADER_LEN {
            return Err(RadiusError::Truncated);
        }
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if !(HEADER_LEN..=MAX_LEN).contains(&len) {
            return Err(RadiusError::Malformed("length field outside 20..=4096"));
        }
        if buf.len() < len {
            return Err(RadiusError::Truncated);
        }
        let packet = Packet { bytes: &buf[..len] };
        for a in packet.attributes() {
            a?;
        }
        Ok(packet)
    }

    /// The packet code.
    pub fn code(&self) -> Code {
        Code::from(self.bytes[0])
    }

    /// The identifier that pairs a response with its request.
    pub fn identifier(&self) -> u8 {
        self.bytes[1]
    }

    /// The authenticator field.
    pub fn authenticator(&self) -> [u8; 16] {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.bytes[4..HEADER_LEN]);
        a
    }

    /// The packet's bytes up to its length field (no padding).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The attributes in order: `(type, value)`, or `Malformed` for a bad length (after
    /// which the iterator ends).
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            rest: &self.bytes[HEADER_LEN..],
        }
    }
}

/// Iterator over a packet's attributes (see [`Packet::attributes`]).
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<(u8, &'a [u8]), RadiusError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (kind, len) = match self.rest {
            [kind, len, ..] => (*kind, usize::from(*len)),
            _ => {
                self.rest = &[];
                return Some(Err(RadiusError::Malformed("attribute header cut short")));
            }
        };
        if len < 2 || len > self.rest.len() {
            self.rest = &[];
            return Some(Err(RadiusError::Malformed("attribute length")));
        }
        let value = &self.rest[2..len];
        self.rest = &self.rest[len..];
        Some(Ok((kind, value)))
    }
}

/// One attribute, owned: its type and value (≤ 253 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Attribute type (RFC 2865 §5; [`attr`] names the ones used here).
    pub kind: u8,
    /// Value bytes.
    pub value: Vec<u8>,
}

impl Attribute {
    /// An attribute; `Malformed` if the value is over 253 bytes.
    pub fn new(kind: u8, value: impl Into<Vec<u8>>) -> Result<Attribute, RadiusError> {
        let value = value.into();
        if value.len() > MAX_VALUE_LEN {
            return Err(RadiusError::Malformed("attribute value over 253 bytes"));
        }
        Ok(Attribute { kind, value })
    }

    /// A vendor-specific attribute holding one sub-attribute.
    pub fn vendor(vendor: u32, vtype: u8, value: &[u8]) -> Result<Attribute, RadiusError> {
        if value.len() > MAX_VALUE_LEN - 6 {
            return Err(RadiusError::Malformed("vendor attribute value too long"));
        }
        let mut v = Vec::with_capacity(6 + value.len());
        v.extend_from_slice(&vendor.to_be_bytes());
        v.push(vtype);
        v.push((value.len() + 2) as u8);
        v.extend_from_slice(value);
        Attribute::new(attr::VENDOR_SPECIFIC, v)
    }
}

/// One vendor sub-attribute of a vendor-specific attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vsa<'a> {
    /// The vendor's private enterprise number.
    pub vendor: u32,
    /// The vendor's attribute type.
    pub vtype: u8,
    /// Value bytes.
    pub value: &'a [u8],
}

/// The sub-attributes of a vendor-specific attribute's value (RFC 2865 §5.26 suggested
/// format), or `Malformed` if it does not follow that format.
pub fn vsas(value: &[u8]) -> Result<Vec<Vsa<'_>>, RadiusError> {
    let Some((id, mut rest)) = value.split_first_chunk::<4>() else {
        return Err(RadiusError::Malformed("vendor attribute without vendor id"));
    };
    let vendor = u32::from_be_bytes(*id);
    let mut out = Vec::new();
    while !rest.is_empty() {
        let [vtype, len, ..] = *rest else {
            return Err(RadiusError::Malformed("vendor sub-attribute cut short"));
        };
        let len = usize::from(len);
        if len < 2 || len > rest.len() {
            return Err(RadiusError::Malformed("vendor sub-attribute length"));
        }
        out.push(Vsa {
            vendor,
            vtype,
            value: &rest[2..len],
        });
        rest = &rest[len..];
    }
    Ok(out)
}

/// A RADIUS packet, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr {
    /// Packet code.
    pub code: Code,
    /// Identifier.
    pub identifier: u8,
    /// Authenticator field as it is on the wire.
    pub authenticator: [u8; 16],
    /// Attributes in order.
    pub attributes: Vec<Attribute>,
}

impl Repr {
    /// Parses a checked view.
    pub fn parse(packet: &Packet<'_>) -> Result<Repr, RadiusError> {
        let attributes = packet
            .attributes()
            .map(|a| {
                a.map(|(kind, value)| Attribute {
                    kind,
                    value: value.to_vec(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Repr {
            code: packet.code(),
            identifier: packet.identifier(),
            authenticator: packet.authenticator(),
            attributes,
        })
    }

    /// Bytes on the wire; `Malformed` if the packet would exceed 4096 bytes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + self
                .attributes
                .iter()
                .map(|a| 2 + a.value.len())
                .sum::<usize>()
    }

    /// The packet's bytes; `Malformed` past 4096 bytes or for a value over 253 bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, RadiusError> {
        let len = self.buffer_len();
        if len > MAX_LEN {
            return Err(RadiusError::Malformed("packet over 4096 bytes"));
        }
        let mut out = Vec::with_capacity(len);
        out.push(u8::from(self.code));
        out.push(self.identifier);
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.extend_from_slice(&self.authenticator);
        for a in &self.attributes {
            if a.value.len() > MAX_VALUE_LEN {
                return Err(RadiusError::Malformed("attribute value over 253 bytes"));
            }
            out.push(a.kind);
            out.push((a.value.len() + 2) as u8);
            out.extend_from_slice(&a.value);
        }
        Ok(out)
    }

    /// The first attribute of type `kind`.
    pub fn get(&self, kind: u8) -> Option<&[u8]> {
        self.attributes
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| a.value.as_slice())
    }

    /// Every vendor sub-attribute of `vendor`, in order; vendor-specific attributes that do
    /// not follow the suggested format are skipped (other vendors may not).
    pub fn vendor_attributes(&self, vendor: u32) -> Vec<Vsa<'_>> {
        self.attributes
            .iter()
            .filter(|a| a.kind == attr::VENDOR_SPECIFIC)
            .filter_map(|a| vsas(&a.value).ok())
            .flatten()
            .filter(|v| v.vendor == vendor)
            .collect()
    }

    /// The EAP packet carried in EAP-Message attributes (RFC 3579 §3.1: concatenated in
    /// order), if any. Empty attributes carry nothing: a packet whose EAP-Message
    /// attributes are all empty has no EAP message (an EAP packet is at least 4 bytes).
    pub fn eap_message(&self) -> Option<Vec<u8>> {
        let joined: Vec<u8> = self
            .attributes
            .iter()
            .filter(|a| a.kind == attr::EAP_MESSAGE)
            .flat_map(|a| a.value.iter().copied())
            .collect();
        (!joined.is_empty()).then_some(joined)
    }

    /// Appends `eap` as EAP-Message attributes, split into 253-byte pieces.
    pub fn push_eap_message(&mut self, eap: &[u8]) {
        for chunk in eap.chunks(MAX_VALUE_LEN) {
            self.attributes.push(Attribute {
                kind: attr::EAP_MESSAGE,
                value: chunk.to_vec(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_eap_message_attributes_carry_no_eap_message() {
        // found by the radius fuzz target: an empty EAP-Message attribute read as an empty
        // EAP message, which re-encoding then dropped
        let mut r = sample();
        r.attributes.retain(|a| a.kind != attr::EAP_MESSAGE);
        r.attributes.push(Attribute {
            kind: attr::EAP_MESSAGE,
            value: Vec::new(),
        });
        assert_eq!(r.eap_message(), None);
        r.push_eap_message(&[2, 1, 0, 4]);
        assert_eq!(r.eap_message(), Some(vec![2, 1, 0, 4]));
    }

    fn sample() -> Repr {
        Repr {
            code: Code::AccessRequest,
            identifier: 7,
            authenticator: [0xa5; 16],
            attributes: vec![
                Attribute::new(attr::USER_NAME, b"acme".to_vec()).unwrap(),
                Attribute::vendor(32473, 3, b"metering").unwrap(),
            ],
        }
    }

    #[test]
    fn emit_parse_round_trip() {
        let r = sample();
        let bytes = r.to_bytes().unwrap();
        assert_eq!(bytes.len(), r.buffer_len());
        let p = Packet::new_checked(&bytes).unwrap();
        assert_eq!(Repr::parse(&p).unwrap(), r);
        let v = r.vendor_attributes(32473);
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].vtype, v[0].value), (3, &b"metering"[..]));
        assert!(r.vendor_attributes(311).is_empty());
    }

    #[test]
    fn padding_after_length_is_ignored() {
        let mut bytes = sample().to_bytes().unwrap();
        let len = bytes.len();
        bytes.extend_from_slice(&[0xff; 9]);
        let p = Packet::new_checked(&bytes).unwrap();
        assert_eq!(p.as_bytes().len(), len);
    }

    #[test]
    fn bad_lengths_are_refused() {
        let bytes = sample().to_bytes().unwrap();
        assert_eq!(
            Packet::new_checked(&bytes[..bytes.len() - 1]).unwrap_err(),
            RadiusError::Truncated
        );
        let mut short = bytes.clone();
        short[3] = 19;
        short[2] = 0;
        assert!(matches!(
            Packet::new_checked(&short),
            Err(RadiusError::Malformed(_))
        ));
        let mut zero_attr = bytes.clone();
        zero_attr[21] = 1; // User-Name length 1 < 2
        assert!(matches!(
            Packet::new_checked(&zero_attr),
            Err(RadiusError::Malformed(_))
        ));
    }

    #[test]
    fn eap_message_is_split_and_joined() {
        let mut r = sample();
        let eap: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
        r.push_eap_message(&eap);
        assert_eq!(
            r.attributes
                .iter()
                .filter(|a| a.kind == attr::EAP_MESSAGE)
                .count(),
            3
        );
        let bytes = r.to_bytes().unwrap();
        let back = Repr::parse(&Packet::new_checked(&bytes).unwrap()).unwrap();
        assert_eq!(back.eap_message().unwrap(), eap);
    }

    #[test]
    fn oversized_values_are_refused() {
        assert!(Attribute::new(1, vec![0u8; 254]).is_err());
        assert!(Attribute::vendor(1, 1, &[0u8; 248]).is_err());
        let mut r = sample();
        r.push_eap_message(&vec![0u8; 5000]);
        assert!(r.to_bytes().is_err());
    }
}
