//! Registration through a real FreeRADIUS on loopback (`.ci/run` installs the Debian
//! package; without it these tests are skipped, and fail when CI=true).

use std::time::Duration;

use subgate_control::radius::{Client, ClientConfig};
use subgate_control::registrar::aaa::AaaRegistrar;
use subgate_control::registrar::aaa_check::AaaCheckedRegistrar;
use subgate_control::registrar::proof::{aaa_indication, indication};
use subgate_control::registrar::{Psk, Registrar, RegistrationError, RegistrationRequest};
use subgate_control::wire::m2m::{DataFormat, ServiceInfoRepr, Sid};
use subgate_control::wire::MacAddr;
use subgate_testbench::aaa::{installed, AaaUser, FreeRadius};
use subgate_testbench::sim::{run, SimConfig};
use subgate_testbench::M2mServerEmulator;

fn require_freeradius() -> bool {
    if installed() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "freeradius not installed but CI=true"
    );
    eprintln!("freeradius not installed: test skipped");
    false
}

fn psk() -> Psk {
    Psk::from_hex("00112233445566778899aabbccddeeff").unwrap()
}

fn metering() -> ServiceInfoRepr {
    ServiceInfoRepr {
        report_period: 900,
        data_format: DataFormat::Json,
        data_amount: 48,
        server: Some("server:10.0.0.7".parse().unwrap()),
    }
}

fn users() -> Vec<AaaUser> {
    vec![AaaUser {
        name: "acme-water".into(),
        psk: psk(),
        services: vec![
            ("metering".into(), metering()),
            (
                "alarms".into(),
                ServiceInfoRepr {
                    report_period: 60,
                    data_format: DataFormat::Opaque,
                    data_amount: 8,
                    server: None,
                },
            ),
        ],
    }]
}

const TERMINAL: MacAddr = MacAddr([0x02, 0, 0, 0, 0x10, 0x01]);
const BSSID: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);

fn request(user: &str, service: &str, key: &Psk, counter: u16) -> RegistrationRequest {
    let nonce = [9, 8, 7, 6, 5, 4, 3, 2];
    RegistrationRequest {
        terminal: TERMINAL,
        sids: vec![Sid::user(user).unwrap(), Sid::service(service).unwrap()],
        indication: aaa_indication(key, TERMINAL, nonce, counter),
        nonce,
    }
}

fn registrar(server: &FreeRadius, secret: Option<&str>) -> AaaRegistrar {
    let mut cfg = server.client_config();
    if let Some(s) = secret {
        cfg.secret = s.as_bytes().to_vec();
    }
    cfg.timeout = Duration::from_millis(100);
    cfg.retries = 2;
    AaaRegistrar::new(Client::new(cfg).unwrap(), "subgate-test", BSSID)
}

#[test]
fn freeradius_registers_checks_the_proof_and_refuses() {
    if !require_freeradius() {
        return;
    }
    let server = FreeRadius::start(&users(), 2).unwrap();
    let mut reg = registrar(&server, None);

    // The right key: the service information from the users file, per service.
    let ok = reg
        .register(&request("acme-water", "metering", &psk(), 1))
        .unwrap();
    assert_eq!(ok.service, metering());
    assert_eq!(ok.user, Sid::user("acme-water").unwrap());
    let alarms = reg
        .register(&request("acme-water", "alarms", &psk(), 2))
        .unwrap();
    assert_eq!(alarms.service.report_period, 60);

    // A wrong key, an unknown user, a service the user does not have: Access-Reject.
    let wrong = Psk::from_hex("ffeeddccbbaa99887766554433221100").unwrap();
    for (req, what) in [
        (request("acme-water", "metering", &wrong, 3), "wrong key"),
        (request("nobody", "metering", &psk(), 4), "unknown user"),
        (request("acme-water", "gas", &psk(), 5), "unknown service"),
    ] {
        let e = reg.register(&req).unwrap_err();
        assert_eq!(e, RegistrationError::BadProof, "{what}");
        assert_eq!(u16::from(e.status_code()), 15, "{what}");
    }
    // The M2M-server path's AES proof is not a CHAP response: refused without asking.
    let mut m2m = request("acme-water", "metering", &psk(), 6);
    m2m.indication = indication(&psk(), TERMINAL, m2m.nonce, 6);
    assert_eq!(reg.register(&m2m).unwrap_err(), RegistrationError::BadProof);
    let s = reg.client_stats();
    assert_eq!((s.forged, s.timeouts), (0, 0), "{s:?}");
    assert_eq!(s.requests, 5);
}

#[test]
fn wrong_shared_secret_answers_are_dropped_as_forged() {
    if !require_freeradius() {
        return;
    }
    let server = FreeRadius::start(&users(), 1).unwrap();
    // FreeRADIUS checks our Message-Authenticator and drops the request: no answer at all.
    let mut reg = registrar(&server, Some("not-the-secret"));
    let e = reg
        .register(&request("acme-water", "metering", &psk(), 1))
        .unwrap_err();
    assert_eq!(e, RegistrationError::Timeout);
    assert_eq!(u16::from(e.status_code()), 30);
    let s = reg.client_stats();
    assert_eq!(
        (s.requests, s.retransmissions, s.timeouts),
        (1, 2, 1),
        "{s:?}"
    );
}

#[test]
fn a_stopped_server_is_a_timeout_with_retransmissions() {
    if !require_freeradius() {
        return;
    }
    let mut server = FreeRadius::start(&users(), 1).unwrap();
    let mut reg = registrar(&server, None);
    assert!(reg
        .register(&request("acme-water", "metering", &psk(), 1))
        .is_ok());
    server.stop();
    let e = reg
        .register(&request("acme-water", "metering", &psk(), 2))
        .unwrap_err();
    assert_eq!(e, RegistrationError::Timeout);
    let s = reg.client_stats();
    assert_eq!((s.retransmissions, s.timeouts), (2, 1), "{s:?}");
}

#[test]
fn client_refuses_an_empty_secret() {
    let cfg = ClientConfig {
        server: "127.0.0.1:1812".parse().unwrap(),
        secret: Vec::new(),
        timeout: Duration::from_millis(10),
        retries: 0,
    };
    assert!(Client::new(cfg).is_err());
}

/// Terminals join through the gateway with the AAA path: every served terminal is
/// registered by FreeRADIUS and scheduled, and its reports are stored exactly once.
#[test]
fn simulated_terminals_register_through_freeradius() {
    if !require_freeradius() {
        return;
    }
    let mut cfg = SimConfig::mixed(300, 0.5);
    cfg.aaa = true;
    cfg.unserved_share = 0.05;
    cfg.join_spread_s = 300;
    let r = run(&cfg).unwrap();
    let served = 300 - r.unserved;
    assert!(r.unserved > 0);
    assert_eq!(r.scheduled, served, "{r:?}");
    assert_eq!(r.served_gave_up, 0, "{r:?}");
    assert_eq!(r.acked_missing, 0);
    assert_eq!(r.stored_twice, 0);
    assert!(r.stored > 0 && r.stored == r.acked, "{r:?}");
}

/// What one EAP-pwd run gave: the gateway's MSK (from the Access-Accept), the service
/// information of the Accept, and the terminal's MSK.
type EapOutcome = (
    Option<[u8; 64]>,
    Option<Result<ServiceInfoRepr, &'static str>>,
    Option<[u8; 64]>,
);

/// Runs EAP-pwd between a peer with `password` and FreeRADIUS through the relay.
fn eap_pwd(server: &FreeRadius, password: &[u8]) -> EapOutcome {
    use subgate_control::eap::pwd::PwdPeer;
    use subgate_control::eap::Packet;
    use subgate_control::radius::relay::{EapRelay, RelayAnswer};
    let mut relay = EapRelay::new(
        Client::new(server.client_config()).unwrap(),
        "subgate-test",
        BSSID,
    );
    let mut peer = PwdPeer::new(b"acme-water", password, [3; 32]);
    let sids = [Sid::service("metering").unwrap()];
    let mut eap = Packet::identity_response(0, b"acme-water")
        .to_bytes()
        .unwrap();
    let mut state = None;
    for _ in 0..6 {
        match relay
            .relay(TERMINAL, b"acme-water", &eap, state.as_deref(), &sids)
            .unwrap()
        {
            RelayAnswer::Challenge { eap: req, state: s } => {
                let (p, _) = Packet::parse(&req).unwrap();
                match peer.on_request(&p) {
                    Ok(resp) => eap = resp.to_bytes().unwrap(),
                    Err(_) => return (None, None, peer.msk()),
                }
                state = s;
            }
            RelayAnswer::Accept { msk, service, .. } => {
                return (msk.map(|m| *m), Some(service), peer.msk())
            }
            RelayAnswer::Reject { .. } => return (None, None, peer.msk()),
        }
    }
    panic!("EAP-pwd did not finish in 6 rounds");
}

#[test]
fn eap_pwd_through_freeradius_yields_the_msk_and_the_service() {
    if !require_freeradius() {
        return;
    }
    let server = FreeRadius::start(&users(), 1).unwrap();
    let password = subgate_control::registrar::proof::aaa_secret(&psk());
    let (msk, service, peer_msk) = eap_pwd(&server, password.as_bytes());
    let msk = msk.expect("Access-Accept with MS-MPPE keys");
    assert_eq!(
        Some(msk),
        peer_msk,
        "gateway and terminal hold the same MSK"
    );
    assert_eq!(service.unwrap().unwrap(), metering());
    // A wrong password never yields an MSK at the gateway.
    let (msk, service, _) = eap_pwd(&server, b"not the password");
    assert!(msk.is_none() && service.is_none());
}

/// 802.1X end to end: terminals authenticate by EAP-pwd relayed by the gateway to
/// FreeRADIUS, get their configuration with the EAP success (or in 4-way message 3 keyed by
/// the MSK), and report; those with a wrong password fail EAP-pwd's confirm and are never
/// configured.
#[test]
fn terminals_authenticate_by_eap_pwd_and_wrong_passwords_get_nothing() {
    if !require_freeradius() {
        return;
    }
    use subgate_control::config::Delivery;
    for delivery in [Delivery::EapSuccess, Delivery::EapFourWay] {
        let mut cfg = SimConfig::mixed(120, 0.25);
        cfg.aaa = true;
        cfg.dot1x = Some(delivery);
        cfg.wrong_key_share = 0.1;
        cfg.join_spread_s = 120;
        let r = run(&cfg).unwrap();
        assert!(r.wrong_key > 0, "{delivery:?}: {r:?}");
        assert_eq!(r.wrong_key_configured, 0, "{delivery:?}");
        assert_eq!(r.scheduled, 120 - r.wrong_key, "{delivery:?}: {r:?}");
        // A terminal whose keying was interrupted authenticates again: accepts ≥ terminals.
        assert!(
            r.gateway.eap_accepted as usize >= r.scheduled,
            "{delivery:?}"
        );
        assert_eq!(r.served_gave_up, 0, "{delivery:?}: {r:?}");
        assert!(r.gateway.handshakes as usize >= r.scheduled, "{delivery:?}");
        assert_eq!(r.acked_missing, 0);
        assert!(r.stored > 0 && r.stored == r.acked, "{delivery:?}: {r:?}");
    }
}

/// The M2M-server path with `registrar.check_proof_with_aaa`: FreeRADIUS checks the AES
/// proof (aes-proof.sh) before the M2M server is asked. A user whose key the M2M server
/// knows but the AAA server holds differently is refused without reaching the M2M server;
/// a forged proof is refused; the right one goes through to the M2M server's service
/// information.
#[test]
fn freeradius_checks_the_m2m_paths_aes_proof() {
    if !require_freeradius() {
        return;
    }
    let other_psk = Psk::from_hex("0f0e0d0c0b0a09080706050403020100").unwrap();
    let mut aaa_users = users();
    aaa_users.push(AaaUser {
        name: "other".into(),
        // Not the key the terminal (and the M2M server) hold.
        psk: Psk::from_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap(),
        services: vec![("metering".into(), metering())],
    });
    let server = FreeRadius::start(&aaa_users, 2).unwrap();
    let m2m = M2mServerEmulator::new()
        .with_user(Sid::user("acme-water").unwrap(), psk())
        .with_user(Sid::user("other").unwrap(), other_psk.clone())
        .with_service(Sid::service("metering").unwrap(), metering());
    let mut reg = AaaCheckedRegistrar::new(registrar(&server, None), m2m);
    let m2m_request = |user: &str, key: &Psk, counter: u16| {
        let mut r = request(user, "metering", key, counter);
        r.indication = indication(key, TERMINAL, r.nonce, counter);
        r
    };

    let ok = reg.register(&m2m_request("acme-water", &psk(), 1)).unwrap();
    assert_eq!(ok.service, metering());
    assert_eq!(reg.accepted, 1);

    let e = reg
        .register(&m2m_request("other", &other_psk, 2))
        .unwrap_err();
    assert_eq!(
        e,
        RegistrationError::BadProof,
        "AAA holds another key for this user"
    );
    let wrong = Psk::from_hex("ffeeddccbbaa99887766554433221100").unwrap();
    let e = reg
        .register(&m2m_request("acme-water", &wrong, 3))
        .unwrap_err();
    assert_eq!(e, RegistrationError::BadProof, "forged proof");
    assert_eq!(reg.rejected, 2);
    // The emulator alone would have accepted the `other` terminal: it is the AAA check
    // that refused it.
    let mut alone = M2mServerEmulator::new()
        .with_user(Sid::user("other").unwrap(), other_psk.clone())
        .with_service(Sid::service("metering").unwrap(), metering());
    assert!(alone.register(&m2m_request("other", &other_psk, 4)).is_ok());

    // An AAA-path registration is not checked twice: it goes to the inner registrar as is.
    let s = reg.client_stats();
    assert_eq!((s.requests, s.forged, s.timeouts), (3, 0, 0), "{s:?}");
}

/// The same check in a whole simulation: every terminal of the M2M path gets through
/// FreeRADIUS's proof check and is scheduled.
#[test]
fn sim_with_aaa_checked_proofs_schedules_everyone() {
    if !require_freeradius() {
        return;
    }
    let mut cfg = SimConfig::mixed(60, 0.25);
    cfg.aaa_check = true;
    cfg.join_spread_s = 120;
    let r = run(&cfg).unwrap();
    assert_eq!(r.scheduled, 60, "{r:?}");
    assert_eq!(r.acked_missing, 0);
    assert!(r.acked > 0);
}
