//! The 4-way handshake between the gateway's authenticator and a terminal's supplicant:
//! configuration delivered encrypted in message 3 only to a terminal holding the PMK, and
//! every wrong, replayed, reordered, tampered or malformed message refused without a panic.

use proptest::prelude::*;
use subgate_control::rsn::{
    Akm, AuthStep, Authenticator, Gtk, HandshakeError, Pmk, SuppStep, Supplicant,
};
use subgate_control::wire::MacAddr;

const AP: MacAddr = MacAddr([0x02, 0x53, 0x47, 0, 0, 1]);
const STA: MacAddr = MacAddr([0x02, 0x10, 0, 0, 0, 7]);
const CONFIG: &[u8] = b"\xdd\x08\x02\x53\x47\x02service";

fn gtk() -> Gtk {
    Gtk {
        key_id: 1,
        key: vec![0x5A; 16],
    }
}

/// PBKDF2 runs 4096 HMAC rounds: each passphrase is mapped once per test thread.
fn pmk(pass: &str) -> Pmk {
    thread_local! {
        static PMKS: std::cell::RefCell<std::collections::HashMap<String, Pmk>> =
            Default::default();
    }
    PMKS.with(|m| {
        m.borrow_mut()
            .entry(pass.to_string())
            .or_insert_with(|| Pmk::from_passphrase(pass, b"subgate").unwrap())
            .clone()
    })
}

fn pair(ap_pass: &str, sta_pass: &str) -> (Authenticator, Supplicant) {
    let a = Authenticator::new(
        pmk(ap_pass),
        Akm::Psk,
        AP,
        STA,
        [0xA1; 32],
        &gtk(),
        Some(CONFIG.to_vec()),
    )
    .unwrap();
    let s = Supplicant::new(pmk(sta_pass), Akm::Psk, STA, AP, [0x5B; 32]);
    (a, s)
}

fn send(step: Result<SuppStep, HandshakeError>) -> Vec<u8> {
    match step.unwrap() {
        SuppStep::Send(m) => m,
        other => panic!("expected message 2, got {other:?}"),
    }
}

fn m3_of(step: Result<AuthStep, HandshakeError>) -> Vec<u8> {
    match step.unwrap() {
        AuthStep::Send(m) => m,
        other => panic!("expected message 3, got {other:?}"),
    }
}

/// Runs the handshake up to message 3; returns (authenticator, supplicant, M1, M2, M3).
fn to_m3() -> (Authenticator, Supplicant, Vec<u8>, Vec<u8>, Vec<u8>) {
    let (mut a, mut s) = pair("correct horse", "correct horse");
    let m1 = a.message1();
    let m2 = send(s.on_message(&m1));
    let m3 = m3_of(a.on_message(&m2));
    (a, s, m1, m2, m3)
}

#[test]
fn full_handshake_delivers_the_configuration_and_the_same_keys() {
    let (mut a, mut s, _, _, m3) = to_m3();
    let SuppStep::Done(d) = s.on_message(&m3).unwrap() else {
        panic!("message 3 not taken");
    };
    assert_eq!(d.config.as_deref(), Some(CONFIG));
    assert_eq!(d.gtk, gtk().key);
    // The configuration travels wrapped: not in message 3's bytes in the clear.
    assert!(!m3.windows(CONFIG.len()).any(|w| w == CONFIG));
    let AuthStep::Complete { tk } = a.on_message(&d.message4).unwrap() else {
        panic!("message 4 not taken");
    };
    assert_eq!(tk, d.tk);
    assert!(a.is_complete());
    // Nothing more is taken once complete.
    assert_eq!(a.on_message(&d.message4), Err(HandshakeError::Over));
}

#[test]
fn wrong_psk_gets_no_message_3_and_no_configuration() {
    let (mut a, mut s) = pair("correct horse", "wrong horse!");
    let m1 = a.message1();
    let m2 = send(s.on_message(&m1));
    assert_eq!(a.on_message(&m2), Err(HandshakeError::BadMic));
    assert!(
        a.resend_message3().is_err(),
        "no message 3 exists to resend"
    );
    // A terminal with the wrong PSK that sees the right terminal's message 3 cannot use it.
    let (_, _, _, _, m3) = to_m3();
    let mut wrong = Supplicant::new(pmk("wrong horse!"), Akm::Psk, STA, AP, [0x5B; 32]);
    let _ = send(wrong.on_message(&m1));
    assert_eq!(wrong.on_message(&m3), Err(HandshakeError::BadMic));
}

#[test]
fn replayed_and_reordered_messages_are_refused() {
    let (mut a, mut s, m1, m2, m3) = to_m3();
    // Message 2 again once message 3 went out: stale replay counter.
    assert!(matches!(
        a.on_message(&m2),
        Err(HandshakeError::Replay { .. })
    ));
    let SuppStep::Done(d) = s.on_message(&m3).unwrap() else {
        panic!()
    };
    // Message 1 and message 3 replayed to the supplicant: counters not above the last.
    assert!(matches!(
        s.on_message(&m1),
        Err(HandshakeError::Replay { .. })
    ));
    assert!(matches!(
        s.on_message(&m3),
        Err(HandshakeError::Replay { .. })
    ));
    // Message 3 before any message 1.
    let mut fresh = Supplicant::new(pmk("correct horse"), Akm::Psk, STA, AP, [1; 32]);
    assert!(matches!(
        fresh.on_message(&m3),
        Err(HandshakeError::Unexpected(_))
    ));
    // Message 4 while message 2 is expected.
    let (mut a2, _) = pair("correct horse", "correct horse");
    let _ = a2.message1();
    assert!(a2.on_message(&d.message4).is_err());
    // The real message 4 still completes the first handshake.
    assert!(matches!(
        a.on_message(&d.message4),
        Ok(AuthStep::Complete { .. })
    ));
}

#[test]
fn retransmissions_take_new_replay_counters() {
    let (mut a, mut s) = pair("correct horse", "correct horse");
    let m1 = a.message1();
    let old_m2 = send(s.on_message(&m1));
    let m1_again = a.message1(); // message 2 was late: timeout, message 1 again
    let m2 = send(s.on_message(&m1_again));
    assert_ne!(old_m2, m2, "the retransmission has a new replay counter");
    // The late message 2 answers a copy of message 1 still outstanding: taken (as hostapd
    // does), and message 3 follows.
    let m3 = m3_of(a.on_message(&old_m2));
    // Once message 3 is out, any message 2 is a replay.
    assert!(matches!(
        a.on_message(&m2),
        Err(HandshakeError::Replay { .. })
    ));
    let m3_again = a.resend_message3().unwrap(); // message 4 lost
    assert_ne!(m3, m3_again);
    let SuppStep::Done(_) = s.on_message(&m3).unwrap() else {
        panic!()
    };
    // The retransmitted message 3 has a higher counter: the supplicant answers it again.
    let SuppStep::Done(d) = s.on_message(&m3_again).unwrap() else {
        panic!()
    };
    assert!(matches!(
        a.on_message(&d.message4),
        Ok(AuthStep::Complete { .. })
    ));
}

#[test]
fn handshake_without_configuration_still_gives_keys() {
    let mut a = Authenticator::new(
        pmk("correct horse"),
        Akm::Psk,
        AP,
        STA,
        [3; 32],
        &gtk(),
        None,
    )
    .unwrap();
    let mut s = Supplicant::new(pmk("correct horse"), Akm::Psk, STA, AP, [4; 32]);
    let m2 = send(s.on_message(&a.message1()));
    let m3 = m3_of(a.on_message(&m2));
    let SuppStep::Done(d) = s.on_message(&m3).unwrap() else {
        panic!()
    };
    assert_eq!(d.config, None);
}

#[test]
fn akm_mismatch_is_refused() {
    let mut a = Authenticator::new(
        pmk("correct horse"),
        Akm::Ieee8021x,
        AP,
        STA,
        [3; 32],
        &gtk(),
        None,
    )
    .unwrap();
    let mut s = Supplicant::new(pmk("correct horse"), Akm::Psk, STA, AP, [4; 32]);
    let m2 = send(s.on_message(&a.message1()));
    assert_eq!(a.on_message(&m2), Err(HandshakeError::RsneMismatch));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any single changed byte of a valid message 3 is refused: the MIC covers every byte.
    #[test]
    fn tampered_message_3_is_refused(i in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let (_, mut s, _, _, mut m3) = to_m3();
        let at = i.index(m3.len());
        m3[at] ^= flip;
        prop_assert!(s.on_message(&m3).is_err());
    }

    /// Any single changed byte of a valid message 2 is refused by the authenticator, which
    /// then sends nothing (no configuration leaves).
    #[test]
    fn tampered_message_2_is_refused(i in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let (mut a, mut s) = pair("correct horse", "correct horse");
        let mut m2 = send(s.on_message(&a.message1()));
        let at = i.index(m2.len());
        m2[at] ^= flip;
        prop_assert!(a.on_message(&m2).is_err());
    }

    /// Arbitrary bytes never panic either side and never complete anything.
    #[test]
    fn arbitrary_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let (mut a, mut s, _, _, _) = to_m3();
        prop_assert!(a.on_message(&bytes).is_err());
        prop_assert!(!matches!(s.on_message(&bytes), Ok(SuppStep::Done(_))));
    }
}
