//! EAP-pwd (RFC 5931), the peer side, over group 19 (NIST P-256), random function 1
//! (HMAC-SHA256) and PRF 1, with no password preprocessing — what FreeRADIUS 3.2's
//! `rlm_eap_pwd` runs with `group = 19`. The virtual terminals authenticate with it; the
//! gateway only relays (it never sees the password) and takes the MSK from the AAA server.
//!
//! Exchange (server first): `ID` (ciphersuite, token, server id) → the peer echoes them with
//! its identity; `Commit` (server's element and scalar) → the peer derives the password
//! element PWE by hunting and pecking, picks `rand` and `mask`, answers with its element
//! `-(mask·PWE)` and scalar `rand + mask`, and computes the shared `k = x(rand·(s_S·PWE +
//! E_S))`; `Confirm` (server's confirm) → the peer checks it and answers with its own; then
//! `MK = H(k | confirm_P | confirm_S)` and `MSK | EMSK = KDF(MK, 52 | H(ciphersuite |
//! s_P | s_S), 1024)`. `H` is HMAC-SHA256 keyed with 32 zero bytes.
//!
//! Every check of RFC 5931 §2.8.5 is made: elements on the curve and not the identity,
//! scalars in `2..r`, the server's element and scalar not a reflection of ours, the server's
//! confirm equal to ours. Fragmented messages (L/M bits) are refused: every message of this
//! group fits one EAP packet.

use hmac::{Hmac, KeyInit, Mac};
use p256::elliptic_curve::ff::PrimeField;
use p256::elliptic_curve::point::DecompressPoint;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::elliptic_curve::subtle::Choice;
use p256::{AffinePoint, EncodedPoint, FieldBytes, ProjectivePoint, Scalar};
use sha2::Sha256;

use super::{Code, Packet, TYPE_PWD};
use crate::registrar::proof::ct_eq;

type HmacSha256 = Hmac<Sha256>;

/// The ciphersuite: group 19, random function 1, PRF 1.
pub const CIPHERSUITE: [u8; 4] = [0x00, 0x13, 0x01, 0x01];
/// Exchange codes (low 6 bits of the first type-data byte).
pub const EXCH_ID: u8 = 1;
/// Commit exchange.
pub const EXCH_COMMIT: u8 = 2;
/// Confirm exchange.
pub const EXCH_CONFIRM: u8 = 3;
/// Bytes of a field element and of a scalar of P-256.
const LEN: usize = 32;
/// Hunting-and-pecking rounds before giving up (FreeRADIUS and hostapd allow 40 and more;
/// one round in 2^40 fails them all).
const MAX_ROUNDS: u8 = 40;

/// Why the peer ended the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PwdError {
    /// Not an EAP-pwd request, or one this peer does not expect now.
    #[error("unexpected EAP-pwd message: {0}")]
    Unexpected(&'static str),
    /// A field of the wrong length or value.
    #[error("malformed EAP-pwd message: {0}")]
    Malformed(&'static str),
    /// A ciphersuite or preprocessing other than group 19 / HMAC-SHA256 / none.
    #[error("EAP-pwd ciphersuite not supported")]
    Unsupported,
    /// The server's element or scalar is invalid or reflects ours (RFC 5931 §2.8.5.1).
    #[error("EAP-pwd commit refused: {0}")]
    BadCommit(&'static str),
    /// The server's confirm does not verify: it does not know the password.
    #[error("EAP-pwd confirm does not verify")]
    BadConfirm,
    /// No password element after every hunting-and-pecking round.
    #[error("no EAP-pwd password element found")]
    NoElement,
}

/// 32 bytes as a field-element or scalar representation.
fn field_bytes(bytes: &[u8]) -> Option<FieldBytes> {
    <[u8; LEN]>::try_from(bytes).ok().map(FieldBytes::from)
}

/// `H(parts…)`: HMAC-SHA256 keyed with 32 zero bytes.
fn h(parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&[0u8; 32]).unwrap_or_else(|_| {
        // HMAC accepts keys of any length; this branch cannot run.
        unreachable!("HMAC key length")
    });
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// RFC 5931 §2.5's KDF: `bits` bits of `HMAC(key, K(i-1) | i | label | bits)` blocks.
pub fn kdf(key: &[u8], label: &[u8], bits: u16) -> Vec<u8> {
    let len = usize::from(bits).div_ceil(8);
    let mut out = Vec::with_capacity(len + 32);
    let mut prev: Vec<u8> = Vec::new();
    let mut i: u16 = 1;
    while out.len() < len {
        let Ok(mut mac) = <HmacSha256 as KeyInit>::new_from_slice(key) else {
            unreachable!("HMAC key length")
        };
        mac.update(&prev);
        mac.update(&i.to_be_bytes());
        mac.update(label);
        mac.update(&bits.to_be_bytes());
        prev = mac.finalize().into_bytes().to_vec();
        out.extend_from_slice(&prev);
        i = i.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// The password element (RFC 5931 §2.8.3, hunting and pecking): the first counter whose
/// `KDF(pwd-seed)` is an x on the curve; y's parity is the seed's lowest bit.
pub fn password_element(
    token: [u8; 4],
    peer_id: &[u8],
    server_id: &[u8],
    password: &[u8],
) -> Result<ProjectivePoint, PwdError> {
    for counter in 1..=MAX_ROUNDS {
        let seed = h(&[&token, peer_id, server_id, password, &[counter]]);
        let value = kdf(&seed, b"EAP-pwd Hunting And Pecking", 256);
        let Some(x) = field_bytes(&value) else {
            continue;
        };
        let odd = Choice::from(seed[31] & 1);
        let point = AffinePoint::decompress(&x, odd);
        if bool::from(point.is_some()) {
            return Ok(ProjectivePoint::from(
                point.unwrap_or(AffinePoint::IDENTITY),
            ));
        }
    }
    Err(PwdError::NoElement)
}

/// An element as sent: x ‖ y, 32 bytes each.
pub fn element_bytes(p: &ProjectivePoint) -> [u8; 64] {
    let ep = p.to_affine().to_encoded_point(false);
    let mut out = [0u8; 64];
    if let (Some(x), Some(y)) = (ep.x(), ep.y()) {
        out[..LEN].copy_from_slice(x);
        out[LEN..].copy_from_slice(y);
    }
    out
}

/// An element from x ‖ y: on the curve and not the identity, else `BadCommit`.
pub fn element_from(bytes: &[u8]) -> Result<ProjectivePoint, PwdError> {
    if bytes.len() != 2 * LEN {
        return Err(PwdError::Malformed("element length"));
    }
    let (Some(x), Some(y)) = (field_bytes(&bytes[..LEN]), field_bytes(&bytes[LEN..])) else {
        return Err(PwdError::Malformed("element length"));
    };
    let ep = EncodedPoint::from_affine_coordinates(&x, &y, false);
    let p = AffinePoint::from_encoded_point(&ep);
    if bool::from(p.is_none()) {
        return Err(PwdError::BadCommit("element not on the curve"));
    }
    let p = ProjectivePoint::from(p.unwrap_or(AffinePoint::IDENTITY));
    if p == ProjectivePoint::IDENTITY {
        return Err(PwdError::BadCommit("element is the identity"));
    }
    Ok(p)
}

/// A scalar in `2..r`, else `BadCommit`.
pub fn scalar_from(bytes: &[u8]) -> Result<Scalar, PwdError> {
    if bytes.len() != LEN {
        return Err(PwdError::Malformed("scalar length"));
    }
    let Some(repr) = field_bytes(bytes) else {
        return Err(PwdError::Malformed("scalar length"));
    };
    let s = Scalar::from_repr(repr);
    if bool::from(s.is_none()) {
        return Err(PwdError::BadCommit("scalar not below the group order"));
    }
    let s = s.unwrap_or(Scalar::ZERO);
    if s == Scalar::ZERO || s == Scalar::ONE {
        return Err(PwdError::BadCommit("scalar 0 or 1"));
    }
    Ok(s)
}

/// Where the peer is.
#[derive(Debug, Clone)]
enum State {
    /// Waiting for the ID request.
    Id,
    /// ID answered: waiting for the server's commit.
    Commit { token: [u8; 4], server_id: Vec<u8> },
    /// Commit answered: waiting for the server's confirm.
    Confirm {
        k: [u8; 32],
        element_p: [u8; 64],
        scalar_p: [u8; 32],
        element_s: [u8; 64],
        scalar_s: [u8; 32],
    },
    /// Confirm answered: the MSK is known.
    Done { msk: Box<[u8; 64]> },
    /// Something failed; every further message is refused.
    Failed,
}

/// The peer side of one EAP-pwd exchange.
#[derive(Debug, Clone)]
pub struct PwdPeer {
    identity: Vec<u8>,
    password: Vec<u8>,
    seed: [u8; 32],
    state: State,
}

impl PwdPeer {
    /// A peer with `identity` and `password`, its secret scalars drawn from `seed` (give it
    /// 32 random bytes; the simulation gives each terminal its own).
    pub fn new(identity: &[u8], password: &[u8], seed: [u8; 32]) -> PwdPeer {
        PwdPeer {
            identity: identity.to_vec(),
            password: password.to_vec(),
            seed,
            state: State::Id,
        }
    }

    /// The MSK once the exchange completed.
    pub fn msk(&self) -> Option<[u8; 64]> {
        match &self.state {
            State::Done { msk } => Some(**msk),
            _ => None,
        }
    }

    /// A scalar in `2..r` drawn from the seed.
    fn secret_scalar(&self, label: u8) -> Scalar {
        for n in 0u8..=255 {
            let b = h(&[&self.seed, &[label, n]]);
            if let Ok(s) = scalar_from(&b) {
                return s;
            }
        }
        // 256 draws all ≥ r or < 2: probability below 2^-8000.
        Scalar::from(2u64)
    }

    /// Answers an EAP request of type EAP-pwd. On any error the peer fails for good.
    pub fn on_request(&mut self, req: &Packet) -> Result<Packet, PwdError> {
        let out = self.step(req);
        if out.is_err() {
            self.state = State::Failed;
        }
        out
    }

    fn step(&mut self, req: &Packet) -> Result<Packet, PwdError> {
        if req.code != Code::Request || req.kind() != Some(TYPE_PWD) {
            return Err(PwdError::Unexpected("not an EAP-pwd request"));
        }
        let [_, lm_exch, body @ ..] = req.data.as_slice() else {
            return Err(PwdError::Malformed("no exchange byte"));
        };
        if lm_exch & 0xC0 != 0 {
            return Err(PwdError::Unexpected("fragmented message"));
        }
        let exch = lm_exch & 0x3F;
        let reply = |exch: u8, payload: &[&[u8]]| -> Packet {
            let mut data = vec![TYPE_PWD, exch];
            for p in payload {
                data.extend_from_slice(p);
            }
            Packet {
                code: Code::Response,
                identifier: req.identifier,
                data,
            }
        };
        match (&self.state, exch) {
            (State::Id, EXCH_ID) => {
                if body.len() < 9 {
                    return Err(PwdError::Malformed("ID request too short"));
                }
                if body[..4] != CIPHERSUITE || body[8] != 0 {
                    return Err(PwdError::Unsupported);
                }
                let mut token = [0u8; 4];
                token.copy_from_slice(&body[4..8]);
                let server_id = body[9..].to_vec();
                let resp = reply(EXCH_ID, &[&CIPHERSUITE, &token, &[0], &self.identity]);
                self.state = State::Commit { token, server_id };
                Ok(resp)
            }
            (State::Commit { token, server_id }, EXCH_COMMIT) => {
                if body.len() != 3 * LEN {
                    return Err(PwdError::Malformed("commit length"));
                }
                let element_s_p = element_from(&body[..2 * LEN])?;
                let scalar_s_v = scalar_from(&body[2 * LEN..])?;
                let pwe = password_element(*token, &self.identity, server_id, &self.password)?;
                let rand = self.secret_scalar(1);
                let mask = self.secret_scalar(2);
                let scalar_p_v = rand + mask;
                if scalar_p_v == Scalar::ZERO || scalar_p_v == Scalar::ONE {
                    return Err(PwdError::BadCommit("own scalar degenerate"));
                }
                let element_p_p = -(pwe * mask);
                let scalar_p: [u8; 32] = scalar_p_v.to_repr().into();
                let element_p = element_bytes(&element_p_p);
                let mut element_s = [0u8; 64];
                element_s.copy_from_slice(&body[..2 * LEN]);
                let mut scalar_s = [0u8; 32];
                scalar_s.copy_from_slice(&body[2 * LEN..]);
                if element_s == element_p || scalar_s == scalar_p {
                    return Err(PwdError::BadCommit("reflected commit"));
                }
                let big_k = (pwe * scalar_s_v + element_s_p) * rand;
                if big_k == ProjectivePoint::IDENTITY {
                    return Err(PwdError::BadCommit("shared point is the identity"));
                }
                let kx = element_bytes(&big_k);
                let mut k = [0u8; 32];
                k.copy_from_slice(&kx[..LEN]);
                let resp = reply(EXCH_COMMIT, &[&element_p, &scalar_p]);
                self.state = State::Confirm {
                    k,
                    element_p,
                    scalar_p,
                    element_s,
                    scalar_s,
                };
                Ok(resp)
            }
            (
                State::Confirm {
                    k,
                    element_p,
                    scalar_p,
                    element_s,
                    scalar_s,
                },
                EXCH_CONFIRM,
            ) => {
                if body.len() != 32 {
                    return Err(PwdError::Malformed("confirm length"));
                }
                let want_s = h(&[k, element_s, scalar_s, element_p, scalar_p, &CIPHERSUITE]);
                if !ct_eq(&want_s, body) {
                    return Err(PwdError::BadConfirm);
                }
                let confirm_p = h(&[k, element_p, scalar_p, element_s, scalar_s, &CIPHERSUITE]);
                let mk = h(&[k, &confirm_p, &want_s]);
                let method_id = h(&[&CIPHERSUITE, scalar_p, scalar_s]);
                let mut session_id = vec![TYPE_PWD];
                session_id.extend_from_slice(&method_id);
                let keys = kdf(&mk, &session_id, 1024);
                let mut msk = [0u8; 64];
                msk.copy_from_slice(&keys[..64]);
                let resp = reply(EXCH_CONFIRM, &[&confirm_p]);
                self.state = State::Done { msk: Box::new(msk) };
                Ok(resp)
            }
            _ => Err(PwdError::Unexpected("message out of order")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The KDF vector of a public EAP-pwd implementation's tests (Go, `pwd` package):
    /// KDF(f7e6f440, "EAP-pwd Hunting And Pecking", 256).
    #[test]
    fn kdf_known_answer() {
        let got = kdf(
            &[0xf7, 0xe6, 0xf4, 0x40],
            b"EAP-pwd Hunting And Pecking",
            256,
        );
        let want = [
            0x0e, 0xbf, 0xcf, 0x6d, 0x1f, 0x80, 0xbc, 0x2e, 0xba, 0x68, 0x8e, 0x07, 0x19, 0xa5,
            0x2d, 0x20, 0x59, 0xaf, 0x7b, 0xfc, 0x35, 0x82, 0x98, 0x63, 0x71, 0x5b, 0x24, 0xe0,
            0x7a, 0xb2, 0xa7, 0x0e,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn element_round_trip_and_refusals() {
        let pwe = password_element([0, 0, 0, 2], b"client", b"server", b"minimum").unwrap();
        let b = element_bytes(&pwe);
        assert_eq!(element_from(&b).unwrap(), pwe);
        let mut off = b;
        off[63] ^= 1;
        assert!(element_from(&off).is_err());
        assert!(element_from(&[0u8; 64]).is_err());
        assert!(scalar_from(&[0u8; 32]).is_err());
        assert!(scalar_from(&[0xff; 32]).is_err());
        let mut one = [0u8; 32];
        one[31] = 1;
        assert!(scalar_from(&one).is_err());
        one[31] = 2;
        assert!(scalar_from(&one).is_ok());
    }

    /// The server side of the exchange, written from RFC 5931 for this test only: a peer
    /// and this server with the same password agree on the MSK; a wrong password fails the
    /// confirm.
    fn server_exchange(peer_pw: &[u8], server_pw: &[u8]) -> Result<[u8; 64], PwdError> {
        let token = [1, 2, 3, 4];
        let sid = b"aaa@subgate.invalid";
        let mut peer = PwdPeer::new(b"acme-water", peer_pw, [7; 32]);
        let mut id = vec![TYPE_PWD, EXCH_ID];
        id.extend_from_slice(&CIPHERSUITE);
        id.extend_from_slice(&token);
        id.push(0);
        id.extend_from_slice(sid);
        let req = |identifier: u8, data: Vec<u8>| Packet {
            code: Code::Request,
            identifier,
            data,
        };
        let r1 = peer.on_request(&req(1, id))?;
        assert_eq!(&r1.data[2..6], &CIPHERSUITE);
        let pwe = password_element(token, b"acme-water", sid, server_pw)?;
        let (rand, mask) = (Scalar::from(123_456_789u64), Scalar::from(987_654_321u64));
        let scalar_s: [u8; 32] = (rand + mask).to_repr().into();
        let element_s = element_bytes(&-(pwe * mask));
        let mut commit = vec![TYPE_PWD, EXCH_COMMIT];
        commit.extend_from_slice(&element_s);
        commit.extend_from_slice(&scalar_s);
        let r2 = peer.on_request(&req(2, commit))?;
        let element_p = &r2.data[2..66];
        let scalar_p = &r2.data[66..98];
        let k_point = (pwe * scalar_from(scalar_p)? + element_from(element_p)?) * rand;
        let k = &element_bytes(&k_point)[..32];
        let confirm_s = h(&[k, &element_s, &scalar_s, element_p, scalar_p, &CIPHERSUITE]);
        let mut confirm = vec![TYPE_PWD, EXCH_CONFIRM];
        confirm.extend_from_slice(&confirm_s);
        let r3 = peer.on_request(&req(3, confirm))?;
        let confirm_p = h(&[k, element_p, scalar_p, &element_s, &scalar_s, &CIPHERSUITE]);
        assert_eq!(&r3.data[2..], &confirm_p);
        let mk = h(&[k, &confirm_p, &confirm_s]);
        let mut session = vec![TYPE_PWD];
        session.extend_from_slice(&h(&[&CIPHERSUITE, scalar_p, &scalar_s]));
        let msk = &kdf(&mk, &session, 1024)[..64];
        assert_eq!(peer.msk().unwrap().to_vec(), msk);
        Ok(peer.msk().unwrap())
    }

    #[test]
    fn peer_and_server_agree_and_wrong_password_fails() {
        server_exchange(b"secret", b"secret").unwrap();
        assert_eq!(
            server_exchange(b"secret", b"other").unwrap_err(),
            PwdError::BadConfirm
        );
    }

    #[test]
    fn out_of_order_and_garbage_are_refused() {
        let mut peer = PwdPeer::new(b"a", b"b", [1; 32]);
        let confirm = Packet {
            code: Code::Request,
            identifier: 1,
            data: vec![TYPE_PWD, EXCH_CONFIRM, 0, 0],
        };
        assert!(peer.on_request(&confirm).is_err());
        let mut peer = PwdPeer::new(b"a", b"b", [1; 32]);
        let frag = Packet {
            code: Code::Request,
            identifier: 1,
            data: vec![TYPE_PWD, 0x80 | EXCH_ID, 0, 0],
        };
        assert!(peer.on_request(&frag).is_err());
        let mut peer = PwdPeer::new(b"a", b"b", [1; 32]);
        let other_group = Packet {
            code: Code::Request,
            identifier: 1,
            data: vec![TYPE_PWD, EXCH_ID, 0, 20, 1, 1, 0, 0, 0, 1, 0],
        };
        assert_eq!(peer.on_request(&other_group), Err(PwdError::Unsupported));
    }
}
