//! A terminal that authenticates twice before associating (its first answer was late, or the
//! second was lost) keeps one challenge: whichever answer it took, its proof matches the
//! nonce the gateway hands the registrar. Found by `subgate bench northbound`: 5 000 joins
//! in two minutes left 66 terminals refused with status 15 before this.

use subgate_control::aggregate::MemoryNorthbound;
use subgate_control::config::Config;
use subgate_control::gateway::Gateway;
use subgate_control::registrar::proof::indication;
use subgate_control::registrar::Psk;
use subgate_control::store::Store;
use subgate_control::wire::m2m::carry::nonce_of;
use subgate_control::wire::m2m::{DataFormat, M2mElement, ServiceInfoRepr, Sid, SidList};
use subgate_control::wire::mac::{HeaderRepr, SeqCtrl};
use subgate_control::wire::mgmt::{
    AssociationRequestRepr, AuthAlgorithm, AuthenticationRepr, DeauthenticationRepr, ReasonCode,
    StatusCode,
};
use subgate_control::wire::{strip_fcs, with_fcs, Frame, MacAddr};
use subgate_testbench::M2mServerEmulator;

const STA: MacAddr = MacAddr([2, 0x10, 0, 0, 0, 7]);
const KEY: &str = "00112233445566778899aabbccddeeff";

struct Rig {
    gw: Gateway,
    ap: MacAddr,
    now: u64,
    seq: u16,
}

impl Rig {
    fn new() -> Rig {
        let mut cfg = Config::default();
        cfg.service.sids = vec!["service:meter".into()];
        cfg.registrar.psk = [("acme".to_string(), KEY.to_string())].into();
        let server = M2mServerEmulator::new()
            .with_user(Sid::user("acme").unwrap(), Psk::from_hex(KEY).unwrap())
            .with_service(
                Sid::service("meter").unwrap(),
                ServiceInfoRepr {
                    report_period: 60,
                    data_format: DataFormat::Opaque,
                    data_amount: 16,
                    server: None,
                },
            );
        let ap = cfg.bssid().unwrap();
        let gw = Gateway::new(
            &cfg,
            Box::new(server),
            Store::open_in_memory().unwrap(),
            Box::new(MemoryNorthbound::new()),
            7,
        )
        .unwrap();
        Rig {
            gw,
            ap,
            now: 1_000,
            seq: 0,
        }
    }

    fn header(&mut self) -> HeaderRepr {
        self.seq += 1;
        HeaderRepr {
            flags: 0,
            duration: 0,
            addr1: self.ap,
            addr2: STA,
            addr3: self.ap,
            seq_ctrl: SeqCtrl::new(self.seq, 0),
        }
    }

    fn send(&mut self, frame: Frame) -> Vec<Frame> {
        self.now += 10_000;
        self.gw.handle_rx(self.now, 1, &with_fcs(&frame.to_bytes()));
        self.gw
            .drain_transmissions()
            .into_iter()
            .map(|t| Frame::parse(strip_fcs(&t.request.psdu).unwrap()).unwrap())
            .collect()
    }

    fn sids() -> SidList {
        SidList {
            sids: vec![Sid::user("acme").unwrap(), Sid::service("meter").unwrap()],
        }
    }

    /// Authenticates; the gateway's nonce.
    fn auth(&mut self) -> [u8; 8] {
        let header = self.header();
        let answers = self.send(Frame::Authentication(AuthenticationRepr {
            header,
            algorithm: AuthAlgorithm::OpenSystem,
            transaction_seq: 1,
            status: StatusCode::Success,
            elements: vec![M2mElement::SidList(Self::sids()).to_ie().unwrap()],
        }));
        match answers.first() {
            Some(Frame::Authentication(a)) => nonce_of(&a.elements).unwrap(),
            other => panic!("no authentication answer: {other:?}"),
        }
    }

    /// Associates with a proof over `nonce`; the response's status.
    fn associate(&mut self, nonce: [u8; 8], counter: u16) -> StatusCode {
        let key = Psk::from_hex(KEY).unwrap();
        let header = self.header();
        let answers = self.send(Frame::AssociationRequest(AssociationRequestRepr {
            header,
            capability: 0,
            listen_interval: 0,
            elements: vec![
                M2mElement::SidList(Self::sids()).to_ie().unwrap(),
                M2mElement::Registration(indication(&key, STA, nonce, counter))
                    .to_ie()
                    .unwrap(),
            ],
        }));
        match answers.first() {
            Some(Frame::AssociationResponse(r)) => r.status,
            other => panic!("no association answer: {other:?}"),
        }
    }
}

#[test]
fn a_repeated_authentication_keeps_the_challenge() {
    let mut rig = Rig::new();
    let first = rig.auth();
    let second = rig.auth();
    assert_eq!(first, second, "one challenge while joining");
    // The terminal took the first answer: its proof is over the first nonce.
    assert_eq!(rig.associate(first, 1), StatusCode::Success);
}

#[test]
fn a_terminal_that_left_gets_a_new_challenge() {
    let mut rig = Rig::new();
    let first = rig.auth();
    assert_eq!(rig.associate(first, 1), StatusCode::Success);
    let header = rig.header();
    rig.send(Frame::Deauthentication(DeauthenticationRepr {
        header,
        reason: ReasonCode::Leaving,
        elements: Vec::new(),
    }));
    let again = rig.auth();
    assert_ne!(first, again, "a new session, a new challenge");
    // A rebooted terminal starting its counter over is not taken for a replay.
    assert_eq!(rig.associate(again, 1), StatusCode::Success);
}
