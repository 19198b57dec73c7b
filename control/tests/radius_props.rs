//! RADIUS parsers and the client's refusal of forged answers: arbitrary bytes never panic,
//! what parses emits back identically, and nothing but a genuine answer is believed.

use std::net::UdpSocket;
use std::time::Duration;

use proptest::prelude::*;
use subgate_control::radius::auth::{
    decrypt_mppe_key, encrypt_mppe_key, response_authenticator, sign_message, verify_response,
};
use subgate_control::radius::dict::{attr, subgate};
use subgate_control::radius::packet::vsas;
use subgate_control::radius::{Attribute, Client, ClientConfig, Code, Packet, RadiusError, Repr};
use subgate_control::registrar::aaa::service_info;

fn attribute() -> impl Strategy<Value = Attribute> {
    (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..=253))
        .prop_map(|(kind, value)| Attribute { kind, value })
}

fn repr() -> impl Strategy<Value = Repr> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<[u8; 16]>(),
        proptest::collection::vec(attribute(), 0..12),
    )
        .prop_map(|(code, identifier, authenticator, attributes)| Repr {
            code: Code::from(code),
            identifier,
            authenticator,
            attributes,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600),
                                   secret in proptest::collection::vec(any::<u8>(), 1..16),
                                   ra in any::<[u8; 16]>()) {
        if let Ok(p) = Packet::new_checked(&bytes) {
            let r = Repr::parse(&p).unwrap();
            prop_assert_eq!(r.to_bytes().unwrap(), p.as_bytes().to_vec());
            // Random bytes are never a genuine answer.
            prop_assert!(verify_response(&p, &ra, &secret, false).is_err());
            for a in &r.attributes {
                let _ = vsas(&a.value);
            }
            let _ = service_info(&r);
        }
        let _ = decrypt_mppe_key(&bytes, &ra, &secret);
    }

    #[test]
    fn emit_parse_round_trip(r in repr()) {
        match r.to_bytes() {
            Ok(bytes) => {
                let p = Packet::new_checked(&bytes).unwrap();
                prop_assert_eq!(Repr::parse(&p).unwrap(), r);
            }
            Err(e) => {
                prop_assert!(matches!(e, RadiusError::Malformed(_)));
                prop_assert!(r.buffer_len() > 4096);
            }
        }
    }

    #[test]
    fn truncation_is_an_error_not_a_panic(r in repr(), cut in any::<prop::sample::Index>()) {
        if let Ok(bytes) = r.to_bytes() {
            let n = cut.index(bytes.len());
            prop_assert!(Packet::new_checked(&bytes[..n]).is_err());
        }
    }

    #[test]
    fn mppe_round_trip(key in proptest::collection::vec(any::<u8>(), 0..=64),
                       salt in 0x8000u16..=0xffff,
                       ra in any::<[u8; 16]>(),
                       secret in proptest::collection::vec(any::<u8>(), 1..32)) {
        let enc = encrypt_mppe_key(&key, salt.to_be_bytes(), &ra, &secret);
        prop_assert_eq!(decrypt_mppe_key(&enc, &ra, &secret).unwrap(), key);
    }

    /// Unknown Subgate vendor attributes in an Accept are refused, never guessed at.
    #[test]
    fn unknown_vendor_attributes_are_refused(vtype in 8u8..=255, value in proptest::collection::vec(any::<u8>(), 0..32)) {
        let r = Repr {
            code: Code::AccessAccept,
            identifier: 0,
            authenticator: [0; 16],
            attributes: vec![
                Attribute::vendor(subgate::VENDOR, subgate::REPORT_PERIOD, &900u32.to_be_bytes()).unwrap(),
                Attribute::vendor(subgate::VENDOR, subgate::DATA_AMOUNT, &8u32.to_be_bytes()).unwrap(),
                Attribute::vendor(subgate::VENDOR, vtype, &value).unwrap(),
            ],
        };
        prop_assert!(service_info(&r).is_err());
    }
}

/// A genuine Access-Accept for `request` (as a server with `secret` would send it).
fn answer(request: &[u8], code: Code, secret: &[u8]) -> Vec<u8> {
    let p = Packet::new_checked(request).unwrap();
    let ra = p.authenticator();
    let r = Repr {
        code,
        identifier: p.identifier(),
        authenticator: [0; 16],
        attributes: vec![Attribute::new(attr::MESSAGE_AUTHENTICATOR, vec![0; 16]).unwrap()],
    };
    let mut bytes = r.to_bytes().unwrap();
    sign_message(&mut bytes, Some(&ra), secret).unwrap();
    let auth = response_authenticator(&bytes, &ra, secret);
    bytes[4..20].copy_from_slice(&auth);
    bytes
}

/// A peer on loopback that answers every request first with forgeries (wrong secret, wrong
/// identifier, a flipped byte, garbage), then genuinely: the client believes only the last.
#[test]
fn forged_answers_are_dropped_and_counted() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        let req = buf[..n].to_vec();
        // The request carries a Message-Authenticator that verifies with the secret.
        let p = Packet::new_checked(&req).unwrap();
        assert!(
            subgate_control::radius::auth::verify_message(&p, None, b"right").unwrap(),
            "request not signed"
        );
        let wrong_secret = answer(&req, Code::AccessAccept, b"wrong");
        let mut wrong_id = answer(&req, Code::AccessAccept, b"right");
        wrong_id[1] ^= 1;
        let mut flipped = answer(&req, Code::AccessAccept, b"right");
        let last = flipped.len() - 1;
        flipped[last] ^= 0x80;
        for forged in [wrong_secret, wrong_id, flipped, vec![1, 2, 3]] {
            server.send_to(&forged, from).unwrap();
        }
        server
            .send_to(&answer(&req, Code::AccessReject, b"right"), from)
            .unwrap();
    });
    let mut client = Client::new(ClientConfig {
        server: addr,
        secret: b"right".to_vec(),
        timeout: Duration::from_millis(2000),
        retries: 0,
    })
    .unwrap();
    let req = Repr {
        code: Code::AccessRequest,
        identifier: 0,
        authenticator: [0; 16],
        attributes: vec![Attribute::new(attr::USER_NAME, b"x".to_vec()).unwrap()],
    };
    let got = client.exchange(req).unwrap();
    peer.join().unwrap();
    assert_eq!(got.repr.code, Code::AccessReject);
    let s = client.stats();
    assert_eq!(s.forged, 2, "{s:?}");
    assert_eq!(s.stray, 2, "{s:?}");
}
