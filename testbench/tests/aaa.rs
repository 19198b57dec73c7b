//! Registration through a real FreeRADIUS on loopback (`.ci/run` installs the Debian
//! package; without it these tests are skipped, and fail when CI=true).

use std::time::Duration;

use subgate_control::radius::{Client, ClientConfig};
use subgate_control::registrar::aaa::AaaRegistrar;
use subgate_control::registrar::proof::{aaa_indication, indication};
use subgate_control::registrar::{Psk, Registrar, RegistrationError, RegistrationRequest};
use subgate_control::wire::m2m::{DataFormat, ServiceInfoRepr, Sid};
use subgate_control::wire::MacAddr;
use subgate_testbench::aaa::{installed, AaaUser, FreeRadius};
use subgate_testbench::sim::{run, SimConfig};

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
