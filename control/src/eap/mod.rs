//! EAP (RFC 3748) as the gateway relays it between a terminal (EAPOL, 802.1X) and the AAA
//! server (EAP-Message over RADIUS, RFC 3579), and EAP-pwd (RFC 5931, [`pwd`]), the method
//! FreeRADIUS runs without certificates and that derives an MSK for the PMK.
//!
//! ```text
//! code 1 | identifier 1 | length 2 (BE, whole packet) | [type 1 | type data …]
//! ```
//! Request (1) and Response (2) carry a type; Success (3) and Failure (4) are 4 bytes.
//! Bytes past `length` are link-layer padding and ignored (RFC 3748 §4) — subgate's
//! "configuration with the EAP success" travels there (docs/aaa.md §6).

pub mod pwd;

/// Largest EAP packet the gateway relays: what fits the 802.11 MSDU and FreeRADIUS's
/// `fragment_size = 1020` with room to spare. Longer packets are refused, not relayed.
pub const MAX_EAP_LEN: usize = 1400;

/// EAP type: Identity.
pub const TYPE_IDENTITY: u8 = 1;
/// EAP type: Nak (legacy), in a response proposing another method.
pub const TYPE_NAK: u8 = 3;
/// EAP type: EAP-pwd.
pub const TYPE_PWD: u8 = 52;

/// Why an EAP packet was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EapError {
    /// Shorter than its header or its length field.
    #[error("EAP packet truncated")]
    Truncated,
    /// A length or field that breaks the format.
    #[error("malformed EAP packet: {0}")]
    Malformed(&'static str),
    /// Longer than [`MAX_EAP_LEN`].
    #[error("EAP packet of {0} bytes is over the {MAX_EAP_LEN}-byte limit")]
    Oversized(usize),
}

/// EAP codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// 1.
    Request,
    /// 2.
    Response,
    /// 3.
    Success,
    /// 4.
    Failure,
}

impl Code {
    fn from_u8(v: u8) -> Option<Code> {
        Some(match v {
            1 => Code::Request,
            2 => Code::Response,
            3 => Code::Success,
            4 => Code::Failure,
            _ => return None,
        })
    }

    fn to_u8(self) -> u8 {
        match self {
            Code::Request => 1,
            Code::Response => 2,
            Code::Success => 3,
            Code::Failure => 4,
        }
    }
}

/// An EAP packet, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Code.
    pub code: Code,
    /// Identifier pairing a response with its request.
    pub identifier: u8,
    /// Type and type data (empty for Success and Failure).
    pub data: Vec<u8>,
}

impl Packet {
    /// Parses `bytes` (trailing padding allowed and returned apart): the packet and the bytes
    /// after its length field.
    pub fn parse(bytes: &[u8]) -> Result<(Packet, &[u8]), EapError> {
        let [code, identifier, hi, lo, ..] = *bytes else {
            return Err(EapError::Truncated);
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len > MAX_EAP_LEN {
            return Err(EapError::Oversized(len));
        }
        if len < 4 {
            return Err(EapError::Malformed("length below 4"));
        }
        if bytes.len() < len {
            return Err(EapError::Truncated);
        }
        let code = Code::from_u8(code).ok_or(EapError::Malformed("unknown code"))?;
        let data = bytes[4..len].to_vec();
        match code {
            Code::Request | Code::Response if data.is_empty() => {
                return Err(EapError::Malformed("request or response without a type"))
            }
            Code::Success | Code::Failure if !data.is_empty() => {
                return Err(EapError::Malformed("success or failure with data"))
            }
            _ => {}
        }
        Ok((
            Packet {
                code,
                identifier,
                data,
            },
            &bytes[len..],
        ))
    }

    /// The packet's bytes; `Oversized` past [`MAX_EAP_LEN`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, EapError> {
        let len = 4 + self.data.len();
        if len > MAX_EAP_LEN {
            return Err(EapError::Oversized(len));
        }
        let mut out = Vec::with_capacity(len);
        out.push(self.code.to_u8());
        out.push(self.identifier);
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.extend_from_slice(&self.data);
        Ok(out)
    }

    /// The EAP type of a request or response.
    pub fn kind(&self) -> Option<u8> {
        match self.code {
            Code::Request | Code::Response => self.data.first().copied(),
            _ => None,
        }
    }

    /// A Request/Identity.
    pub fn identity_request(identifier: u8) -> Packet {
        Packet {
            code: Code::Request,
            identifier,
            data: vec![TYPE_IDENTITY],
        }
    }

    /// A Response/Identity with `identity`.
    pub fn identity_response(identifier: u8, identity: &[u8]) -> Packet {
        let mut data = vec![TYPE_IDENTITY];
        data.extend_from_slice(identity);
        Packet {
            code: Code::Response,
            identifier,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_padding() {
        let p = Packet::identity_response(7, b"acme-water");
        let mut bytes = p.to_bytes().unwrap();
        bytes.extend_from_slice(b"pad");
        let (q, rest) = Packet::parse(&bytes).unwrap();
        assert_eq!(q, p);
        assert_eq!(rest, b"pad");
        assert_eq!(q.kind(), Some(TYPE_IDENTITY));
    }

    #[test]
    fn refusals() {
        assert_eq!(Packet::parse(&[1, 0, 0]), Err(EapError::Truncated));
        assert!(matches!(
            Packet::parse(&[1, 0, 0, 4]),
            Err(EapError::Malformed(_))
        ));
        assert!(matches!(
            Packet::parse(&[3, 0, 0, 5, 9]),
            Err(EapError::Malformed(_))
        ));
        assert!(matches!(
            Packet::parse(&[9, 0, 0, 4]),
            Err(EapError::Malformed(_))
        ));
        assert_eq!(Packet::parse(&[1, 0, 0, 9, 1]), Err(EapError::Truncated));
        assert_eq!(
            Packet::parse(&[1, 0, 0x10, 0, 1]),
            Err(EapError::Oversized(4096))
        );
        let big = Packet {
            code: Code::Request,
            identifier: 0,
            data: vec![0; MAX_EAP_LEN],
        };
        assert!(big.to_bytes().is_err());
    }
}

/// subgate's configuration "with the EAP success" (`security.delivery = "eap-success"`):
/// the EAPOL body carrying the 4-byte EAP-Success continues, past the EAP length, with the
/// configuration (the M2M elements an association response would carry) behind its 2-byte
/// big-endian length, padded as a key data field and wrapped with AES key wrap (RFC 3394) under `KEK = HMAC-SHA256(MSK, "subgate
/// configuration")[0..16]`. An EAP peer that does not know it ignores those bytes as padding
/// (RFC 3748 §4); only a terminal holding the MSK — one the AAA server authenticated — reads it.
pub mod success_config {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;

    use crate::rsn::keys::{unwrap, wrap, KeyError};

    /// The key-encryption key from the MSK.
    pub fn kek(msk: &[u8; 64]) -> [u8; 16] {
        let mut out = [0u8; 16];
        if let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(msk) {
            mac.update(b"subgate configuration");
            out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        }
        out
    }

    /// The wrapped configuration to append after the EAP-Success.
    pub fn seal(msk: &[u8; 64], config: &[u8]) -> Result<Vec<u8>, KeyError> {
        let len = u16::try_from(config.len()).map_err(|_| KeyError::Unwrap)?;
        let mut data = len.to_be_bytes().to_vec();
        data.extend_from_slice(config);
        crate::rsn::kde::pad(&mut data);
        wrap(&kek(msk), &data)
    }

    /// The configuration elements' bytes from what followed the EAP-Success.
    pub fn open(msk: &[u8; 64], trailer: &[u8]) -> Result<Vec<u8>, KeyError> {
        let plain = unwrap(&kek(msk), trailer)?;
        let [hi, lo, rest @ ..] = plain.as_slice() else {
            return Err(KeyError::Unwrap);
        };
        rest.get(..usize::from(u16::from_be_bytes([*hi, *lo])))
            .map(<[u8]>::to_vec)
            .ok_or(KeyError::Unwrap)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn seal_open_round_trip_and_wrong_msk() {
            let msk = [5u8; 64];
            let config = [0xDE, 3, 1, 2, 3, 0xDE, 1, 9];
            let sealed = seal(&msk, &config).unwrap();
            assert_eq!(open(&msk, &sealed).unwrap(), config);
            assert!(open(&[6u8; 64], &sealed).is_err());
            assert!(open(&msk, &sealed[..sealed.len() - 8]).is_err());
        }
    }
}
