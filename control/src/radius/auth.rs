//! The RADIUS integrity and secrecy pieces, all keyed by the shared secret:
//! - Message-Authenticator (RFC 3579 §3.2): HMAC-MD5 over the whole packet with the
//!   attribute's value zeroed; in a response, the authenticator field holds the request's
//!   authenticator while it is computed.
//! - Response Authenticator (RFC 2865 §3): `MD5(code | id | length | request authenticator |
//!   attributes | secret)`.
//! - MS-MPPE-Send/Recv-Key decryption (RFC 2548 §2.4.2–2.4.3): the MSK halves, salted and
//!   XORed with an MD5 key stream over the secret and the request authenticator.
//! - CHAP responses (RFC 1994): `MD5(identifier | secret | challenge)`.

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};

use super::dict::attr;
use super::packet::{Packet, HEADER_LEN};
use super::RadiusError;
use crate::registrar::proof::ct_eq;

type HmacMd5 = Hmac<Md5>;

/// Byte offset of every Message-Authenticator value in `packet` (normally one).
fn message_authenticator_offsets(packet: &Packet<'_>) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = HEADER_LEN;
    for (kind, value) in packet.attributes().map_while(Result::ok) {
        if kind == attr::MESSAGE_AUTHENTICATOR {
            offsets.push(at + 2);
        }
        at += 2 + value.len();
    }
    offsets
}

/// HMAC-MD5 of `bytes` with every Message-Authenticator value zeroed and, when
/// `request_authenticator` is given (responses), the authenticator field replaced by it.
fn message_mac(
    bytes: &[u8],
    offsets: &[usize],
    request_authenticator: Option<&[u8; 16]>,
    secret: &[u8],
) -> Result<[u8; 16], RadiusError> {
    let mut copy = bytes.to_vec();
    for &at in offsets {
        copy[at..at + 16].fill(0);
    }
    if let Some(ra) = request_authenticator {
        copy[4..HEADER_LEN].copy_from_slice(ra);
    }
    let mut mac = HmacMd5::new_from_slice(secret).map_err(|_| RadiusError::Secret)?;
    mac.update(&copy);
    Ok(mac.finalize().into_bytes().into())
}

/// Fills the Message-Authenticator attribute of an emitted packet (which must already hold
/// one, 16 bytes, any value). For a request leave `request_authenticator` `None`.
pub fn sign_message(
    bytes: &mut [u8],
    request_authenticator: Option<&[u8; 16]>,
    secret: &[u8],
) -> Result<(), RadiusError> {
    let offsets = {
        let packet = Packet::new_checked(bytes)?;
        message_authenticator_offsets(&packet)
    };
    let [at] = offsets[..] else {
        return Err(RadiusError::Malformed(
            "a signed packet holds exactly one Message-Authenticator",
        ));
    };
    let mac = message_mac(bytes, &offsets, request_authenticator, secret)?;
    bytes[at..at + 16].copy_from_slice(&mac);
    Ok(())
}

/// Checks a packet's Message-Authenticator. `Ok(false)` if the packet holds none;
/// `BadAuthenticator` if it holds one that does not verify, or several.
pub fn verify_message(
    packet: &Packet<'_>,
    request_authenticator: Option<&[u8; 16]>,
    secret: &[u8],
) -> Result<bool, RadiusError> {
    let offsets = message_authenticator_offsets(packet);
    let bytes = packet.as_bytes();
    match offsets[..] {
        [] => Ok(false),
        [at] => {
            if bytes.len() < at + 16 {
                return Err(RadiusError::BadAuthenticator);
            }
            let want = message_mac(bytes, &offsets, request_authenticator, secret)?;
            if ct_eq(&want, &bytes[at..at + 16]) {
                Ok(true)
            } else {
                Err(RadiusError::BadAuthenticator)
            }
        }
        _ => Err(RadiusError::BadAuthenticator),
    }
}

/// The Response Authenticator a server computes for `response` (whose own authenticator
/// field is ignored) answering a request with `request_authenticator`.
pub fn response_authenticator(
    response: &[u8],
    request_authenticator: &[u8; 16],
    secret: &[u8],
) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(&response[..4]);
    h.update(request_authenticator);
    h.update(&response[HEADER_LEN..]);
    h.update(secret);
    h.finalize().into()
}

/// Checks a response: its Response Authenticator, and its Message-Authenticator if it holds
/// one (required when `require_message` — every EAP answer must carry one). Any failure is
/// `BadAuthenticator`: the packet is not from the server that knows our secret.
pub fn verify_response(
    packet: &Packet<'_>,
    request_authenticator: &[u8; 16],
    secret: &[u8],
    require_message: bool,
) -> Result<(), RadiusError> {
    let want = response_authenticator(packet.as_bytes(), request_authenticator, secret);
    if !ct_eq(&want, &packet.authenticator()) {
        return Err(RadiusError::BadAuthenticator);
    }
    let had = verify_message(packet, Some(request_authenticator), secret)?;
    if require_message && !had {
        return Err(RadiusError::BadAuthenticator);
    }
    Ok(())
}

/// Decrypts an MS-MPPE-Send-Key or -Recv-Key value (salt, then the encrypted key-length byte,
/// key and padding) sent in answer to `request_authenticator`. `Malformed` when the value
/// is not a salt plus whole 16-byte blocks, the salt's high bit is clear, or the length byte
/// claims more than the blocks hold.
pub fn decrypt_mppe_key(
    value: &[u8],
    request_authenticator: &[u8; 16],
    secret: &[u8],
) -> Result<Vec<u8>, RadiusError> {
    let Some((salt, cipher)) = value.split_first_chunk::<2>() else {
        return Err(RadiusError::Malformed("MPPE key without salt"));
    };
    if salt[0] & 0x80 == 0 || cipher.is_empty() || cipher.len() % 16 != 0 {
        return Err(RadiusError::Malformed("MPPE key salt or block length"));
    }
    let mut plain = Vec::with_capacity(cipher.len());
    let mut prev: &[u8] = &[];
    for block in cipher.chunks_exact(16) {
        let b = mppe_stream(secret, request_authenticator, salt, prev);
        plain.extend(block.iter().zip(b).map(|(c, k)| c ^ k));
        prev = block;
    }
    let len = usize::from(plain[0]);
    if len + 1 > plain.len() {
        return Err(RadiusError::Malformed("MPPE key length byte"));
    }
    Ok(plain[1..=len].to_vec())
}

/// Encrypts an MS-MPPE key as a server does (the inverse of [`decrypt_mppe_key`]; used by
/// tests and fuzzers to build genuine answers).
pub fn encrypt_mppe_key(
    key: &[u8],
    salt: [u8; 2],
    request_authenticator: &[u8; 16],
    secret: &[u8],
) -> Vec<u8> {
    let mut plain = vec![key.len() as u8];
    plain.extend_from_slice(key);
    plain.resize(plain.len().div_ceil(16) * 16, 0);
    let mut out = salt.to_vec();
    for block in plain.chunks_exact(16) {
        let prev: &[u8] = if out.len() > 2 {
            &out[out.len() - 16..]
        } else {
            &[]
        };
        let b = mppe_stream(secret, request_authenticator, &salt, prev);
        let c: Vec<u8> = block.iter().zip(b).map(|(p, k)| p ^ k).collect();
        out.extend_from_slice(&c);
    }
    out
}

/// One 16-byte block of the MPPE key stream (RFC 2548 §2.4.2): `MD5(secret | request
/// authenticator | salt)` for the first block (`prev` empty), `MD5(secret | prev)` after,
/// where `prev` is the previous cipher block.
fn mppe_stream(
    secret: &[u8],
    request_authenticator: &[u8; 16],
    salt: &[u8],
    prev: &[u8],
) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(secret);
    if prev.is_empty() {
        h.update(request_authenticator);
        h.update(salt);
    } else {
        h.update(prev);
    }
    h.finalize().into()
}

/// A CHAP response (RFC 1994 §4.1): `MD5(identifier | secret | challenge)`.
pub fn chap_response(identifier: u8, secret: &[u8], challenge: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update([identifier]);
    h.update(secret);
    h.update(challenge);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radius::packet::{Attribute, Code, Repr};

    /// RFC 2865 §7.1's example: the Access-Accept for "nemo" (secret "xyzzy5461") carries
    /// the response authenticator this computes.
    #[test]
    fn rfc2865_access_accept_authenticator() {
        let request_auth: [u8; 16] = [
            0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4,
            0x22, 0x7a,
        ];
        let accept: [u8; 38] = [
            0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24, 0xba, 0x2a, 0x10, 0x05,
            0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2, 0x06, 0x06, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x06,
            0x00, 0x00, 0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8, 0x01, 0x03,
        ];
        let got = response_authenticator(&accept, &request_auth, b"xyzzy5461");
        assert_eq!(&got[..], &accept[4..20]);
        let p = Packet::new_checked(&accept).unwrap();
        verify_response(&p, &request_auth, b"xyzzy5461", false).unwrap();
        assert!(verify_response(&p, &request_auth, b"xyzzy5461", true).is_err());
    }

    fn signed_response(secret: &[u8], ra: &[u8; 16]) -> Vec<u8> {
        let r = Repr {
            code: Code::AccessAccept,
            identifier: 9,
            authenticator: [0; 16],
            attributes: vec![
                Attribute::new(attr::REPLY_MESSAGE, b"ok".to_vec()).unwrap(),
                Attribute::new(attr::MESSAGE_AUTHENTICATOR, vec![0u8; 16]).unwrap(),
            ],
        };
        let mut bytes = r.to_bytes().unwrap();
        sign_message(&mut bytes, Some(ra), secret).unwrap();
        let auth = response_authenticator(&bytes, ra, secret);
        bytes[4..20].copy_from_slice(&auth);
        bytes
    }

    #[test]
    fn genuine_response_verifies_and_any_change_does_not() {
        let ra = [3u8; 16];
        let bytes = signed_response(b"s3cret", &ra);
        let p = Packet::new_checked(&bytes).unwrap();
        verify_response(&p, &ra, b"s3cret", true).unwrap();
        assert_eq!(
            verify_response(&p, &ra, b"other", true),
            Err(RadiusError::BadAuthenticator)
        );
        assert_eq!(
            verify_response(&p, &[4u8; 16], b"s3cret", true),
            Err(RadiusError::BadAuthenticator)
        );
        for i in 0..bytes.len() {
            let mut forged = bytes.clone();
            forged[i] ^= 0x01;
            if let Ok(p) = Packet::new_checked(&forged) {
                assert!(
                    verify_response(&p, &ra, b"s3cret", true).is_err(),
                    "byte {i}"
                );
            }
        }
    }

    #[test]
    fn mppe_key_round_trip_and_refusals() {
        let ra = [0x42u8; 16];
        let key: Vec<u8> = (0..32).collect();
        let enc = encrypt_mppe_key(&key, [0x80, 0x01], &ra, b"secret");
        assert_eq!(enc.len(), 2 + 48);
        assert_eq!(decrypt_mppe_key(&enc, &ra, b"secret").unwrap(), key);
        assert_ne!(decrypt_mppe_key(&enc, &ra, b"secreT").ok(), Some(key));
        assert!(decrypt_mppe_key(&enc[..20], &ra, b"secret").is_err());
        let mut low_salt = enc.clone();
        low_salt[0] = 0x01;
        assert!(decrypt_mppe_key(&low_salt, &ra, b"secret").is_err());
    }

    /// RFC 1994 has no vector: the response is MD5 over the three parts laid end to end.
    #[test]
    fn chap_response_matches_md5_of_parts() {
        let mut h = Md5::new();
        h.update(b"\x01secretchallenge-16byte");
        let want: [u8; 16] = h.finalize().into();
        assert_eq!(chap_response(1, b"secret", b"challenge-16byte"), want);
    }
}
