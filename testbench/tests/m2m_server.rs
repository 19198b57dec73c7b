//! The M2M server emulator as a `Registrar`: successful registration, every refusal with
//! its status code and no service information, replays, and 8191 registrations.

use std::time::Instant;

use subgate_control::registrar::proof::{indication, make_proof};
use subgate_control::registrar::{
    Psk, Registrar, Registration, RegistrationError, RegistrationRequest,
};
use subgate_control::wire::m2m::{DataFormat, RegistrationPath, ServiceInfoRepr, Sid};
use subgate_control::wire::mgmt::StatusCode;
use subgate_control::wire::MacAddr;
use subgate_testbench::M2mServerEmulator;

const NONCE: [u8; 8] = [0x5e, 0x17, 0x1a, 0x7e, 0x00, 0x00, 0x00, 0x01];

fn user() -> Sid {
    Sid::user("acme-water").unwrap()
}

fn service() -> Sid {
    Sid::service("metering").unwrap()
}

fn psk() -> Psk {
    Psk::from_hex("2b7e151628aed2a6abf7158809cf4f3c").unwrap()
}

fn info() -> ServiceInfoRepr {
    ServiceInfoRepr {
        report_period: 900,
        data_format: DataFormat::DlmsCosem,
        data_amount: 64,
        server: Some(Sid::server_url("https://m2m.example/acme").unwrap()),
    }
}

fn server() -> M2mServerEmulator {
    M2mServerEmulator::new()
        .with_user(user(), psk())
        .with_user(
            Sid::user("acme-gas").unwrap(),
            Psk::from_hex(&"11".repeat(32)).unwrap(),
        )
        .with_service(service(), info())
        .with_service(
            Sid::service("alarm").unwrap(),
            ServiceInfoRepr {
                report_period: 0,
                data_format: DataFormat::Json,
                data_amount: 16,
                server: None,
            },
        )
}

fn terminal(i: u32) -> MacAddr {
    let b = i.to_be_bytes();
    MacAddr([0x02, 0x00, b[0], b[1], b[2], b[3]])
}

/// A request as a terminal holding `key` would build it.
fn request(t: MacAddr, key: &Psk, nonce: [u8; 8], counter: u16) -> RegistrationRequest {
    RegistrationRequest {
        terminal: t,
        sids: vec![user(), service()],
        indication: indication(key, t, nonce, counter),
        nonce,
    }
}

/// A refusal: the expected error and status code, nothing recorded.
fn refused(
    s: &mut M2mServerEmulator,
    req: &RegistrationRequest,
    err: RegistrationError,
    code: StatusCode,
) {
    let before = s.registered().len();
    let got: Result<Registration, RegistrationError> = s.register(req);
    // The error type holds no service information: the only way to leak it would be Ok.
    assert_eq!(got, Err(err));
    assert_eq!(err.status_code(), code);
    assert_eq!(
        s.registered().len(),
        before,
        "a refusal must not be recorded"
    );
}

#[test]
fn registration_returns_the_service_information() {
    let mut s = server();
    let t = terminal(1);
    let reg = s.register(&request(t, &psk(), NONCE, 1)).unwrap();
    assert_eq!(
        reg,
        Registration {
            service: info(),
            user: user()
        }
    );
    assert_eq!(s.registered(), &[(t, user())]);

    // Another user with an AES-256 key, another service; the SID order does not matter.
    let gas = Sid::user("acme-gas").unwrap();
    let key = Psk::from_hex(&"11".repeat(32)).unwrap();
    let t2 = terminal(2);
    let mut req = request(t2, &key, NONCE, 1);
    req.sids = vec![Sid::service("alarm").unwrap(), gas.clone()];
    let reg = s.register(&req).unwrap();
    assert_eq!(reg.user, gas);
    assert_eq!(reg.service.report_period, 0);
    assert_eq!(s.registered().len(), 2);
}

#[test]
fn unknown_user_is_refused() {
    let mut s = server();
    let t = terminal(1);
    let mut req = request(t, &psk(), NONCE, 1);
    req.sids = vec![Sid::user("acme-oil").unwrap(), service()];
    refused(
        &mut s,
        &req,
        RegistrationError::UnknownUser,
        StatusCode::ChallengeFailure,
    );
    // No user SID at all.
    req.sids = vec![service()];
    refused(
        &mut s,
        &req,
        RegistrationError::UnknownUser,
        StatusCode::ChallengeFailure,
    );
    req.sids.clear();
    refused(
        &mut s,
        &req,
        RegistrationError::UnknownUser,
        StatusCode::ChallengeFailure,
    );
}

#[test]
fn wrong_psk_is_refused() {
    let mut s = server();
    let wrong = Psk::from_hex("2b7e151628aed2a6abf7158809cf4f3d").unwrap();
    let req = request(terminal(1), &wrong, NONCE, 1);
    refused(
        &mut s,
        &req,
        RegistrationError::BadProof,
        StatusCode::ChallengeFailure,
    );
    // Another user's key does not do either.
    let gas_key = Psk::from_hex(&"11".repeat(32)).unwrap();
    let req = request(terminal(1), &gas_key, NONCE, 1);
    refused(
        &mut s,
        &req,
        RegistrationError::BadProof,
        StatusCode::ChallengeFailure,
    );
}

#[test]
fn tampered_proof_is_refused() {
    let mut s = server();
    let good = request(terminal(1), &psk(), NONCE, 1);
    for i in 0..good.indication.proof.len() {
        let mut req = good.clone();
        req.indication.proof[i] ^= 0x40;
        refused(
            &mut s,
            &req,
            RegistrationError::BadProof,
            StatusCode::ChallengeFailure,
        );
    }
    // Truncated, extended, empty, the bare 16-byte ciphertext without its counter.
    for proof in [
        good.indication.proof[..17].to_vec(),
        [good.indication.proof.clone(), vec![0]].concat(),
        Vec::new(),
        make_proof(&psk(), terminal(1), NONCE, 1).to_vec(),
    ] {
        let mut req = good.clone();
        req.indication.proof = proof;
        refused(
            &mut s,
            &req,
            RegistrationError::BadProof,
            StatusCode::ChallengeFailure,
        );
    }
    // A proof made for another terminal, sent by this one (or claimed in the indication).
    let mut req = good.clone();
    req.indication = indication(&psk(), terminal(2), NONCE, 1);
    refused(
        &mut s,
        &req,
        RegistrationError::BadProof,
        StatusCode::ChallengeFailure,
    );
    let mut req = request(terminal(2), &psk(), NONCE, 1);
    req.terminal = terminal(1);
    refused(
        &mut s,
        &req,
        RegistrationError::BadProof,
        StatusCode::ChallengeFailure,
    );
    // The AAA path is not this registrar's.
    let mut req = good.clone();
    req.indication.path = RegistrationPath::Aaa;
    refused(
        &mut s,
        &req,
        RegistrationError::BadProof,
        StatusCode::ChallengeFailure,
    );
    // The untouched request still works.
    assert!(s.register(&good).is_ok());
}

#[test]
fn replayed_proof_is_refused() {
    let mut s = server();
    let t = terminal(1);
    let captured = request(t, &psk(), NONCE, 1);
    assert!(s.register(&captured).is_ok());
    // Replayed under the gateway's next nonce.
    let mut replay = captured.clone();
    replay.nonce = [0x5e, 0x17, 0x1a, 0x7e, 0x00, 0x00, 0x00, 0x02];
    refused(
        &mut s,
        &replay,
        RegistrationError::BadProof,
        StatusCode::ChallengeFailure,
    );
    // Replayed as it was, under the same nonce.
    refused(
        &mut s,
        &captured,
        RegistrationError::BadProof,
        StatusCode::ChallengeFailure,
    );
    // The genuine terminal registers again with a fresh counter, or under the new nonce.
    assert!(s.register(&request(t, &psk(), NONCE, 2)).is_ok());
    assert!(s.register(&request(t, &psk(), replay.nonce, 1)).is_ok());
    assert_eq!(s.registered().len(), 3);
}

#[test]
fn unknown_service_is_refused() {
    let mut s = server();
    let mut req = request(terminal(1), &psk(), NONCE, 1);
    req.sids = vec![user(), Sid::service("parking").unwrap()];
    refused(
        &mut s,
        &req,
        RegistrationError::NoService,
        StatusCode::AssociationDeniedUnspecified,
    );
    let mut req = request(terminal(1), &psk(), NONCE, 2);
    req.sids = vec![user()];
    refused(
        &mut s,
        &req,
        RegistrationError::NoService,
        StatusCode::AssociationDeniedUnspecified,
    );
}

#[test]
fn services_are_not_looked_up_before_the_proof() {
    // A bad proof with a known service and with an unknown one: the same answer.
    let mut s = server();
    let wrong = Psk::from_hex(&"00".repeat(16)).unwrap();
    let mut req = request(terminal(1), &wrong, NONCE, 1);
    refused(
        &mut s,
        &req,
        RegistrationError::BadProof,
        StatusCode::ChallengeFailure,
    );
    req.sids = vec![user(), Sid::service("parking").unwrap()];
    refused(
        &mut s,
        &req,
        RegistrationError::BadProof,
        StatusCode::ChallengeFailure,
    );
}

#[test]
fn unreachable_and_timeout() {
    for fault in [RegistrationError::Unreachable, RegistrationError::Timeout] {
        let mut s = server().with_fault(Some(fault));
        let req = request(terminal(1), &psk(), NONCE, 1);
        refused(&mut s, &req, fault, StatusCode::RejectedTemporarily);
        s.set_fault(None);
        assert!(s.register(&req).is_ok());
    }
}

#[test]
fn registers_8191_terminals() {
    const N: u32 = 8191; // the S1G AID limit
    let mut s = server();
    let key = psk();
    let requests: Vec<_> = (1..=N)
        .map(|i| request(terminal(i), &key, NONCE, 1))
        .collect();
    let start = Instant::now();
    for req in &requests {
        let reg = s.register(req).unwrap();
        assert_eq!(reg.service, info());
        assert_eq!(reg.user, user());
    }
    let took = start.elapsed();
    println!(
        "{N} registrations (proof check + lookup) in {took:?} ({:.2} µs each); \
         building the {N} proofs is not included",
        took.as_secs_f64() * 1e6 / f64::from(N)
    );
    assert_eq!(s.registered().len(), N as usize);
    for (i, (t, u)) in s.registered().iter().enumerate() {
        assert_eq!(*t, terminal(i as u32 + 1));
        assert_eq!(*u, user());
    }
}
