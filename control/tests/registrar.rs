//! The PSK proof (known answers, round trips, rejections), its wire form inside the
//! registration indication, the registration errors' status codes, and the `Registrar` trait.

use subgate_control::config::RegistrarConfig;
use subgate_control::registrar::proof::{
    indication, plaintext, psks_from_config, ProofError, WireProof, WIRE_PROOF_LEN,
};
use subgate_control::registrar::{
    make_proof, verify_proof, Psk, Registrar, Registration, RegistrationError, RegistrationRequest,
};
use subgate_control::wire::m2m::{
    DataFormat, RegistrationPacket, RegistrationPath, RegistrationRepr, ServiceInfoRepr, Sid,
};
use subgate_control::wire::mgmt::StatusCode;
use subgate_control::wire::MacAddr;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn psk128() -> Psk {
    Psk::from_hex("000102030405060708090a0b0c0d0e0f").unwrap()
}

fn psk256() -> Psk {
    Psk::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").unwrap()
}

/// The plaintext layout (MAC ‖ nonce ‖ counter) chosen so that FIPS-197's plaintext
/// 00112233445566778899aabbccddeeff is terminal 00:11:22:33:44:55, nonce 66..dd, counter eeff.
const KAT_TERMINAL: MacAddr = MacAddr([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
const KAT_NONCE: [u8; 8] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd];
const KAT_COUNTER: u16 = 0xeeff;

#[test]
fn fips197_aes128_known_answer() {
    let pt: [u8; 16] = hex("00112233445566778899aabbccddeeff").try_into().unwrap();
    let ct = hex("69c4e0d86a7b0430d8cdb78070b4c55a");
    assert_eq!(psk128().encrypt_block(pt).to_vec(), ct);
    assert_eq!(plaintext(KAT_TERMINAL, KAT_NONCE, KAT_COUNTER), pt);
    let proof = make_proof(&psk128(), KAT_TERMINAL, KAT_NONCE, KAT_COUNTER);
    assert_eq!(proof.to_vec(), ct);
    assert!(verify_proof(
        &psk128(),
        KAT_TERMINAL,
        KAT_NONCE,
        KAT_COUNTER,
        &ct
    ));
}

#[test]
fn fips197_aes256_known_answer() {
    let ct = hex("8ea2b7ca516745bfeafc49904b496089");
    let proof = make_proof(&psk256(), KAT_TERMINAL, KAT_NONCE, KAT_COUNTER);
    assert_eq!(proof.to_vec(), ct);
    assert!(verify_proof(
        &psk256(),
        KAT_TERMINAL,
        KAT_NONCE,
        KAT_COUNTER,
        &ct
    ));
}

#[test]
fn round_trips_and_rejections() {
    let other = Psk::from_hex("0f0e0d0c0b0a09080706050403020100").unwrap();
    for psk in [psk128(), psk256()] {
        for i in 0u16..64 {
            let terminal = MacAddr([0x02, 0, 0, 0, (i >> 8) as u8, i as u8]);
            let nonce = [i as u8, 1, 2, 3, 4, 5, 6, 7];
            let proof = make_proof(&psk, terminal, nonce, i);
            assert!(verify_proof(&psk, terminal, nonce, i, &proof));
            // Wrong PSK, nonce, terminal, counter.
            assert!(!verify_proof(&other, terminal, nonce, i, &proof));
            let mut n2 = nonce;
            n2[7] ^= 0x80;
            assert!(!verify_proof(&psk, terminal, n2, i, &proof));
            let mut t2 = terminal;
            t2.0[0] ^= 0x01;
            assert!(!verify_proof(&psk, t2, nonce, i, &proof));
            assert!(!verify_proof(
                &psk,
                terminal,
                nonce,
                i.wrapping_add(1),
                &proof
            ));
            // Any flipped bit, a short or long proof.
            for byte in 0..16 {
                for bit in 0..8 {
                    let mut tampered = proof;
                    tampered[byte] ^= 1 << bit;
                    assert!(!verify_proof(&psk, terminal, nonce, i, &tampered));
                }
            }
            assert!(!verify_proof(&psk, terminal, nonce, i, &proof[..15]));
            let mut long = proof.to_vec();
            long.push(0);
            assert!(!verify_proof(&psk, terminal, nonce, i, &long));
            assert!(!verify_proof(&psk, terminal, nonce, i, &[]));
        }
    }
}

#[test]
fn aes128_and_aes256_keys_differ() {
    // The first 16 bytes of the AES-256 key are the AES-128 key: the proofs must still differ.
    let a = make_proof(&psk128(), KAT_TERMINAL, KAT_NONCE, 1);
    let b = make_proof(&psk256(), KAT_TERMINAL, KAT_NONCE, 1);
    assert_ne!(a, b);
    assert!(!verify_proof(&psk256(), KAT_TERMINAL, KAT_NONCE, 1, &a));
}

#[test]
fn psk_parsing() {
    assert_eq!(Psk::from_bytes(&[0; 16]).unwrap().len(), 16);
    assert_eq!(Psk::from_bytes(&[0; 32]).unwrap().len(), 32);
    for n in [0, 1, 15, 17, 24, 31, 33, 64] {
        assert_eq!(
            Psk::from_bytes(&vec![0; n]).unwrap_err(),
            ProofError::PskLength(n)
        );
    }
    assert_eq!(Psk::from_hex("zz").unwrap_err(), ProofError::PskHex);
    assert!("000102030405060708090A0B0C0D0E0F".parse::<Psk>().is_ok());
    // Debug never shows key bytes.
    let shown = format!("{:?}", psk256());
    assert!(!shown.contains("0102"), "{shown}");
}

#[test]
fn psks_from_the_config_table() {
    let mut cfg = RegistrarConfig::default();
    cfg.psk.insert("acme-water".into(), "00".repeat(16));
    cfg.psk.insert("acme-gas".into(), "ff".repeat(32));
    let psks = psks_from_config(&cfg).unwrap();
    assert_eq!(psks.len(), 2);
    assert_eq!(psks[&Sid::user("acme-water").unwrap()].len(), 16);
    assert_eq!(psks[&Sid::user("acme-gas").unwrap()].len(), 32);
    cfg.psk.insert("acme-bad".into(), "00".repeat(15));
    assert_eq!(
        psks_from_config(&cfg).unwrap_err(),
        ProofError::PskLength(15)
    );
    let mut cfg = RegistrarConfig::default();
    cfg.psk.insert(String::new(), "00".repeat(16));
    assert_eq!(
        psks_from_config(&cfg).unwrap_err(),
        ProofError::User(String::new())
    );
}

#[test]
fn wire_proof_in_the_registration_indication() {
    let terminal: MacAddr = "02:00:00:00:10:01".parse().unwrap();
    let nonce = [9u8; 8];
    let ind = indication(&psk128(), terminal, nonce, 0x0102);
    assert_eq!(ind.path, RegistrationPath::M2mServer);
    assert_eq!(ind.terminal, terminal);
    assert_eq!(ind.proof.len(), WIRE_PROOF_LEN);
    assert_eq!(&ind.proof[..2], &[0x01, 0x02]);

    // Through the wire format and back.
    let mut buf = vec![0u8; ind.buffer_len()];
    ind.emit(&mut RegistrationPacket::new_unchecked(&mut buf[..]));
    let back =
        RegistrationRepr::parse(&RegistrationPacket::new_checked(&buf[..]).unwrap()).unwrap();
    assert_eq!(back, ind);

    let wp = WireProof::parse(&back.proof).unwrap();
    assert_eq!(wp.counter, 0x0102);
    assert_eq!(wp.to_bytes().to_vec(), back.proof);
    assert!(wp.verify(&psk128(), terminal, nonce));
    assert!(!wp.verify(&psk128(), terminal, [8u8; 8]));
    assert!(!wp.verify(&psk256(), terminal, nonce));

    // The counter is covered by the proof: changing it on the wire breaks it.
    let mut forged = wp;
    forged.counter = 0x0103;
    assert!(!forged.verify(&psk128(), terminal, nonce));

    for n in [0, 16, 17, 19, 64] {
        assert_eq!(
            WireProof::parse(&vec![0; n]).unwrap_err(),
            ProofError::WireLength(n)
        );
    }
}

#[test]
fn status_codes_of_refusals() {
    use RegistrationError::*;
    let expect = [
        (UnknownUser, StatusCode::ChallengeFailure),
        (BadProof, StatusCode::ChallengeFailure),
        (NoService, StatusCode::AssociationDeniedUnspecified),
        (Unreachable, StatusCode::RejectedTemporarily),
        (Timeout, StatusCode::RejectedTemporarily),
    ];
    for (err, code) in expect {
        assert_eq!(err.status_code(), code, "{err}");
        assert_ne!(err.status_code(), StatusCode::Success);
    }
    // Same code for unknown user and bad proof: no oracle for which user ids exist.
    assert_eq!(UnknownUser.status_code(), BadProof.status_code());
    assert_eq!(u16::from(BadProof.status_code()), 15);
    assert_eq!(u16::from(NoService.status_code()), 12);
    assert_eq!(u16::from(Timeout.status_code()), 30);
}

/// A one-user, one-service registrar written against the trait, to check it is usable as a
/// trait object and through `&mut`.
struct OneUser {
    user: Sid,
    psk: Psk,
    service: ServiceInfoRepr,
}

impl Registrar for OneUser {
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError> {
        if !req.sids.contains(&self.user) {
            return Err(RegistrationError::UnknownUser);
        }
        let wp =
            WireProof::parse(&req.indication.proof).map_err(|_| RegistrationError::BadProof)?;
        if !wp.verify(&self.psk, req.terminal, req.nonce) {
            return Err(RegistrationError::BadProof);
        }
        Ok(Registration {
            service: self.service.clone(),
            user: self.user.clone(),
        })
    }
}

#[test]
fn registrar_as_trait_object() {
    let service = ServiceInfoRepr {
        report_period: 900,
        data_format: DataFormat::Cbor,
        data_amount: 48,
        server: None,
    };
    let user = Sid::user("acme-water").unwrap();
    let mut boxed: Box<dyn Registrar> = Box::new(OneUser {
        user: user.clone(),
        psk: psk128(),
        service: service.clone(),
    });
    let terminal: MacAddr = "02:00:00:00:10:01".parse().unwrap();
    let nonce = [3u8; 8];
    let mut req = RegistrationRequest {
        terminal,
        sids: vec![user.clone(), Sid::service("metering").unwrap()],
        indication: indication(&psk128(), terminal, nonce, 1),
        nonce,
    };
    fn via<R: Registrar>(
        mut r: R,
        req: &RegistrationRequest,
    ) -> Result<Registration, RegistrationError> {
        r.register(req)
    }
    let ok = via(&mut boxed, &req).unwrap();
    assert_eq!(ok, Registration { service, user });
    req.nonce = [4u8; 8];
    assert_eq!(boxed.register(&req), Err(RegistrationError::BadProof));
}
