//! Bad input at the gateway's security edges (issue 7, "Bad input"): the EAP codec and the
//! EAP-pwd peer fed arbitrary bytes, and a whole [`Gateway`] fed forged, mutated, truncated,
//! replayed and oversized EAPOL frames by a terminal in the middle of a 4-way handshake or
//! of an 802.1X authentication. Every such frame is a counted refusal (`eapol_refused`),
//! never a panic, never a configuration, never a slot and never a datagram to the AAA
//! server. Each run ends with the genuine message, which must still work: the refusals are
//! the bad frames' doing, not a broken set-up.

use std::net::UdpSocket;
use std::sync::OnceLock;
use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use subgate_control::aggregate::MemoryNorthbound;
use subgate_control::config::{Config, Delivery};
use subgate_control::eap::pwd::{
    element_bytes, password_element, PwdPeer, CIPHERSUITE, EXCH_COMMIT, EXCH_CONFIRM, EXCH_ID,
};
use subgate_control::eap::{
    Code, EapError, Packet as EapPacket, MAX_EAP_LEN, TYPE_IDENTITY, TYPE_NAK, TYPE_PWD,
};
use subgate_control::gateway::{Gateway, GatewayStats};
use subgate_control::radius::dict::attr;
use subgate_control::radius::{Code as RadiusCode, Packet as RadiusPacket, Repr as RadiusRepr};
use subgate_control::registrar::proof::{indication, Psk, WireProof};
use subgate_control::registrar::{Registrar, Registration, RegistrationError, RegistrationRequest};
use subgate_control::rsn::keys::eapol_mic;
use subgate_control::rsn::{Akm, Pmk, Ptk, SuppStep, Supplicant};
use subgate_control::station::State;
use subgate_control::store::Store;
use subgate_control::wire::eapol::{self, Packet as EapolPacket};
use subgate_control::wire::m2m::carry::{action_frame, action_of, nonce_of, Carried};
use subgate_control::wire::m2m::{
    DataFormat, M2mAction, M2mElement, ResourceRequestRepr, ResourceResult, ServiceInfoRepr,
    ServiceTimeRepr, Sid, SidList, TimeWindow,
};
use subgate_control::wire::mac::{fc_flags, HeaderRepr, SeqCtrl};
use subgate_control::wire::mgmt::{
    AssociationRequestRepr, AuthAlgorithm, AuthenticationRepr, StatusCode,
};
use subgate_control::wire::{strip_fcs, with_fcs, Frame, Ie, MacAddr};

// ---------------------------------------------------------------------------------------
// EAP codec
// ---------------------------------------------------------------------------------------

/// What [`EapPacket::parse`] must answer for `bytes`, written out from RFC 3748 §4 and the
/// `MAX_EAP_LEN` rule: the model the parser is checked against.
fn eap_model(bytes: &[u8]) -> Result<(u8, u8, usize), EapError> {
    let [code, id, hi, lo, ..] = *bytes else {
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
    match (code, len > 4) {
        (1 | 2, true) | (3 | 4, false) => Ok((code, id, len)),
        _ => Err(EapError::Malformed("any")),
    }
}

/// Bytes shaped like an EAP packet: any code (valid or not), a length field near the true
/// one, maybe trailing padding.
fn eap_like() -> impl Strategy<Value = Vec<u8>> {
    (
        0u8..=6,
        any::<u8>(),
        vec(any::<u8>(), 0..1_500),
        -6i32..=6,
        vec(any::<u8>(), 0..8),
    )
        .prop_map(|(code, id, data, delta, trailer)| {
            let len = (4 + data.len() as i32 + delta).clamp(0, i32::from(u16::MAX)) as u16;
            let mut b = vec![code, id];
            b.extend_from_slice(&len.to_be_bytes());
            b.extend_from_slice(&data);
            b.extend_from_slice(&trailer);
            b
        })
}

fn code_of(v: u8) -> Code {
    match v % 4 {
        0 => Code::Request,
        1 => Code::Response,
        2 => Code::Success,
        _ => Code::Failure,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Arbitrary bytes never panic the EAP parser; whatever it takes emits back to the same
    /// bytes, with the padding returned apart.
    #[test]
    fn eap_parser_takes_arbitrary_bytes(bytes in vec(any::<u8>(), 0..1_600)) {
        match EapPacket::parse(&bytes) {
            Ok((p, rest)) => {
                let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
                prop_assert!(len <= MAX_EAP_LEN);
                prop_assert_eq!(p.to_bytes(), Ok(bytes[..len].to_vec()));
                prop_assert_eq!(rest, &bytes[len..]);
            }
            Err(EapError::Oversized(n)) => {
                prop_assert!(n > MAX_EAP_LEN);
                prop_assert_eq!(n, usize::from(u16::from_be_bytes([bytes[2], bytes[3]])));
            }
            Err(_) => {}
        }
    }

    /// The parser agrees with the model on packet-shaped bytes, valid and not.
    #[test]
    fn eap_parser_follows_the_model(bytes in eap_like()) {
        let got = EapPacket::parse(&bytes);
        match (eap_model(&bytes), &got) {
            (Ok((code, id, len)), Ok((p, rest))) => {
                prop_assert_eq!(p.code, code_of(code.wrapping_sub(1)));
                prop_assert_eq!(p.identifier, id);
                prop_assert_eq!(&p.data[..], &bytes[4..len]);
                prop_assert_eq!(*rest, &bytes[len..]);
            }
            (Err(EapError::Malformed(_)), Err(EapError::Malformed(_))) => {}
            (Err(want), Err(e)) => prop_assert_eq!(&want, e),
            (want, _) => prop_assert!(false, "model {:?}, parser {:?}", want, got),
        }
    }

    /// A packet over `MAX_EAP_LEN` is refused with `Oversized` both ways: built by hand it
    /// does not parse, and as a value it does not emit. One at the limit does both.
    #[test]
    fn oversized_eap_is_refused_on_parse_and_emit(
        over in 0usize..4_000,
        code in 0u8..2,
        id in any::<u8>(),
        fill in any::<u8>(),
    ) {
        let len = MAX_EAP_LEN + over;
        let p = EapPacket { code: code_of(code), identifier: id, data: vec![fill; len - 4] };
        let mut bytes = vec![code + 1, id];
        bytes.extend_from_slice(&(len as u16).to_be_bytes());
        bytes.extend_from_slice(&p.data);
        if over == 0 {
            prop_assert_eq!(p.to_bytes(), Ok(bytes.clone()));
            prop_assert_eq!(EapPacket::parse(&bytes), Ok((p, &[][..])));
        } else {
            prop_assert_eq!(p.to_bytes(), Err(EapError::Oversized(len)));
            prop_assert_eq!(EapPacket::parse(&bytes), Err(EapError::Oversized(len)));
            // Only the length field counts: the same field over a short body, too.
            prop_assert_eq!(EapPacket::parse(&bytes[..4]), Err(EapError::Oversized(len)));
        }
    }
}

// ---------------------------------------------------------------------------------------
// EAP-pwd peer
// ---------------------------------------------------------------------------------------

/// One request an EAP-pwd server (or an attacker posing as one) might send.
#[derive(Debug, Clone)]
enum PwdRequest {
    /// A well-formed ID request with this token and server id.
    Id([u8; 4], Vec<u8>),
    /// A commit with a valid element (some password's PWE) and this scalar.
    CommitOnCurve(Vec<u8>, [u8; 32]),
    /// A commit body of arbitrary bytes.
    Commit(Vec<u8>),
    /// A confirm body of arbitrary bytes.
    Confirm(Vec<u8>),
    /// Anything: code, type, L/M + exchange byte, body.
    Raw(u8, u8, u8, Vec<u8>),
}

fn pwd_request() -> impl Strategy<Value = PwdRequest> {
    prop_oneof![
        2 => (any::<[u8; 4]>(), vec(any::<u8>(), 0..24)).prop_map(|(t, s)| PwdRequest::Id(t, s)),
        2 => (vec(any::<u8>(), 1..12), any::<[u8; 32]>())
            .prop_map(|(pw, s)| PwdRequest::CommitOnCurve(pw, s)),
        1 => prop_oneof![vec(any::<u8>(), 96..=96), vec(any::<u8>(), 0..120)]
            .prop_map(PwdRequest::Commit),
        2 => prop_oneof![vec(any::<u8>(), 32..=32), vec(any::<u8>(), 0..48)]
            .prop_map(PwdRequest::Confirm),
        2 => (0u8..6, any::<u8>(), any::<u8>(), vec(any::<u8>(), 0..120))
            .prop_map(|(c, t, e, b)| PwdRequest::Raw(c, t, e, b)),
    ]
}

/// Mostly an ID request then a commit on the curve, so that most runs reach the confirm
/// check; then anything.
fn pwd_exchange() -> impl Strategy<Value = Vec<PwdRequest>> {
    let id = (any::<[u8; 4]>(), vec(any::<u8>(), 0..24)).prop_map(|(t, s)| PwdRequest::Id(t, s));
    let commit = (vec(any::<u8>(), 1..12), any::<[u8; 32]>())
        .prop_map(|(pw, s)| PwdRequest::CommitOnCurve(pw, s));
    (
        prop::option::weighted(0.9, id),
        prop::option::weighted(0.9, commit),
        vec(pwd_request(), 0..5),
    )
        .prop_map(|(id, commit, rest)| id.into_iter().chain(commit).chain(rest).collect())
        .prop_filter("at least one request", |r: &Vec<PwdRequest>| !r.is_empty())
}

impl PwdRequest {
    fn packet(&self, identifier: u8) -> EapPacket {
        let mut data = vec![TYPE_PWD];
        let code = match self {
            PwdRequest::Id(token, server_id) => {
                data.push(EXCH_ID);
                data.extend_from_slice(&CIPHERSUITE);
                data.extend_from_slice(token);
                data.push(0);
                data.extend_from_slice(server_id);
                Code::Request
            }
            PwdRequest::CommitOnCurve(password, scalar) => {
                data.push(EXCH_COMMIT);
                let pwe = password_element([9, 9, 9, 9], b"someone", b"else", password)
                    .expect("a password element within 40 rounds");
                data.extend_from_slice(&element_bytes(&pwe));
                data.extend_from_slice(scalar);
                Code::Request
            }
            PwdRequest::Commit(body) => {
                data.push(EXCH_COMMIT);
                data.extend_from_slice(body);
                Code::Request
            }
            PwdRequest::Confirm(body) => {
                data.push(EXCH_CONFIRM);
                data.extend_from_slice(body);
                Code::Request
            }
            PwdRequest::Raw(code, kind, exch, body) => {
                data = vec![*kind, *exch];
                data.extend_from_slice(body);
                code_of(*code)
            }
        };
        EapPacket {
            code,
            identifier,
            data,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// An EAP-pwd peer fed any sequence of requests — well-formed ones with unknown
    /// elements, scalars and confirms, and arbitrary ones — never panics and never holds an
    /// MSK: only a server that knows the password can produce the confirm. Once it refused
    /// a message it refuses every further one.
    #[test]
    fn pwd_peer_never_gets_an_msk_from_a_stranger(
        requests in pwd_exchange(),
        seed in any::<[u8; 32]>(),
    ) {
        let mut peer = PwdPeer::new(b"acme-water", b"the real password", seed);
        let mut failed = false;
        for (i, r) in requests.iter().enumerate() {
            let answer = peer.on_request(&r.packet(i as u8));
            prop_assert!(peer.msk().is_none(), "MSK after {:?}", r);
            if failed {
                prop_assert!(answer.is_err(), "a failed peer answered {:?}", r);
            }
            match answer {
                Ok(resp) => {
                    prop_assert_eq!(resp.code, Code::Response);
                    prop_assert_eq!(resp.identifier, i as u8);
                    prop_assert!(resp.to_bytes().is_ok());
                }
                Err(_) => failed = true,
            }
        }
    }
}

/// The ID → commit → confirm path with a valid-looking commit reaches the confirm check,
/// and a confirm the server could not compute is refused there.
#[test]
fn pwd_confirm_from_a_stranger_is_refused() {
    let mut peer = PwdPeer::new(b"acme-water", b"the real password", [3; 32]);
    let id = PwdRequest::Id([1, 2, 3, 4], b"aaa".to_vec()).packet(1);
    assert!(peer.on_request(&id).is_ok());
    let mut scalar = [0x11; 32];
    scalar[0] = 0x01;
    let commit = PwdRequest::CommitOnCurve(b"guess".to_vec(), scalar).packet(2);
    let answer = peer
        .on_request(&commit)
        .expect("a commit on the curve is answered");
    assert_eq!(answer.data.len(), 2 + 64 + 32);
    let confirm = PwdRequest::Confirm(vec![0x5A; 32]).packet(3);
    assert_eq!(
        peer.on_request(&confirm),
        Err(subgate_control::eap::pwd::PwdError::BadConfirm)
    );
    assert!(peer.msk().is_none());
}

// ---------------------------------------------------------------------------------------
// A gateway and one terminal, frame by frame
// ---------------------------------------------------------------------------------------

const STA: MacAddr = MacAddr([0x02, 0x10, 0, 0, 0, 7]);
const PASSPHRASE: &str = "correct horse battery";
const WRONG_PASSPHRASE: &str = "incorrect horse battery";
const USER: &str = "acme-water";
const PSK_HEX: &str = "000102030405060708090a0b0c0d0e0f";
const SNONCE: [u8; 32] = [0x5B; 32];

fn psk() -> Psk {
    Psk::from_hex(PSK_HEX).expect("test key")
}

fn metering() -> Sid {
    Sid::service("metering").expect("sid")
}

fn user() -> Sid {
    Sid::user(USER).expect("sid")
}

/// PBKDF2 runs 4096 HMAC rounds: each passphrase is mapped once.
fn pmk(passphrase: &str) -> Pmk {
    static PMKS: OnceLock<(Pmk, Pmk)> = OnceLock::new();
    let (right, wrong) = PMKS.get_or_init(|| {
        let ssid = Config::default().gateway.name;
        (
            Pmk::from_passphrase(PASSPHRASE, ssid.as_bytes()).expect("passphrase"),
            Pmk::from_passphrase(WRONG_PASSPHRASE, ssid.as_bytes()).expect("passphrase"),
        )
    });
    if passphrase == PASSPHRASE {
        right.clone()
    } else {
        wrong.clone()
    }
}

fn service_info() -> ServiceInfoRepr {
    ServiceInfoRepr {
        report_period: 900,
        data_format: DataFormat::Cbor,
        data_amount: 48,
        server: None,
    }
}

/// The M2M server's side of the registration, as the testbench's emulator does it: one
/// user whose proof must verify, one service.
struct OneUser;

impl Registrar for OneUser {
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError> {
        if !req.sids.contains(&user()) {
            return Err(RegistrationError::UnknownUser);
        }
        let proof =
            WireProof::parse(&req.indication.proof).map_err(|_| RegistrationError::BadProof)?;
        if !proof.verify(&psk(), req.terminal, req.nonce) {
            return Err(RegistrationError::BadProof);
        }
        Ok(Registration {
            service: service_info(),
            user: user(),
        })
    }
}

/// One terminal talking to one gateway, frame by frame, without a radio or a clock.
struct Air {
    gw: Gateway,
    ap: MacAddr,
    channel: u8,
    now: u64,
    seq: u16,
}

impl Air {
    fn new(cfg: &Config) -> Air {
        cfg.validate().expect("test configuration");
        let gw = Gateway::new(
            cfg,
            Box::new(OneUser),
            Store::open_in_memory().expect("store"),
            Box::new(MemoryNorthbound::new()),
            7,
        )
        .expect("gateway");
        Air {
            ap: gw.bssid(),
            gw,
            channel: cfg.radio.channels[0],
            now: 0,
            seq: 0,
        }
    }

    fn header(&mut self, flags: u8) -> HeaderRepr {
        self.seq += 1;
        HeaderRepr {
            flags,
            duration: 0,
            addr1: self.ap,
            addr2: STA,
            addr3: self.ap,
            seq_ctrl: SeqCtrl::new(self.seq, 0),
        }
    }

    /// Hands `frame` from the terminal to the gateway; the frames it answers with.
    fn send(&mut self, frame: Frame) -> Vec<Frame> {
        self.now += 10_000;
        self.gw
            .handle_rx(self.now, self.channel, &with_fcs(&frame.to_bytes()));
        self.gw
            .drain_transmissions()
            .into_iter()
            .map(|t| {
                let bytes = strip_fcs(&t.request.psdu).expect("the gateway's FCS");
                Frame::parse(bytes).expect("the gateway's frames parse")
            })
            .collect()
    }

    /// An EAPOL PDU from the terminal in a data frame.
    fn eapol(&mut self, pdu: &[u8]) -> Vec<Frame> {
        let header = self.header(fc_flags::TO_DS);
        self.send(Frame::Data(eapol::data_frame(header, pdu)))
    }

    /// Authentication, then an association request naming `sids` (with a registration
    /// indication when `registration`): the gateway's answers to the association request.
    fn join(&mut self, sids: Vec<Sid>, registration: bool) -> Vec<Frame> {
        let sid_list = M2mElement::SidList(SidList { sids })
            .to_ie()
            .expect("SID list");
        let header = self.header(0);
        let answers = self.send(Frame::Authentication(AuthenticationRepr {
            header,
            algorithm: AuthAlgorithm::OpenSystem,
            transaction_seq: 1,
            status: StatusCode::Success,
            elements: vec![sid_list.clone()],
        }));
        let nonce = match answers.first() {
            Some(Frame::Authentication(a)) if a.status == StatusCode::Success => {
                nonce_of(&a.elements).expect("a gateway nonce")
            }
            other => panic!("no authentication: {other:?}"),
        };
        let mut elements: Vec<Ie> = vec![sid_list];
        if registration {
            let ind = indication(&psk(), STA, nonce, 1);
            elements.push(M2mElement::Registration(ind).to_ie().expect("indication"));
        }
        let header = self.header(0);
        let answers = self.send(Frame::AssociationRequest(AssociationRequestRepr {
            header,
            capability: 0,
            listen_interval: 0,
            elements,
        }));
        match answers.first() {
            Some(Frame::AssociationResponse(r)) => {
                assert_eq!(r.status, StatusCode::Success);
                let carried = Carried::from_elements(&r.elements).expect("elements");
                assert!(
                    carried.service.is_none() && carried.service_time.is_none(),
                    "configuration in the clear: {carried:?}"
                );
            }
            other => panic!("no association response: {other:?}"),
        }
        answers
    }

    /// A resource request proposing `window`: the result of the gateway's response, if any.
    fn resource_request(&mut self, window: TimeWindow) -> Option<ResourceResult> {
        let header = self.header(0);
        let request = M2mAction::ResourceRequest(ResourceRequestRepr {
            dialog_token: (self.seq & 0xFF) as u8,
            proposal: window,
        });
        let frame = action_frame(header, &request).expect("resource request");
        self.send(frame).into_iter().find_map(|f| match f {
            Frame::Action(a) => match action_of(&a) {
                Ok(M2mAction::ResourceResponse(r)) => Some(r.result),
                _ => None,
            },
            _ => None,
        })
    }

    fn state(&self) -> Option<State> {
        self.gw.stations().get(&STA).map(|s| s.state())
    }
}

/// The EAPOL PDUs of the data frames among `frames`.
fn eapol_pdus(frames: &[Frame]) -> Vec<Vec<u8>> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Data(d) => eapol::pdu_of(&d.body).map(<[u8]>::to_vec),
            _ => None,
        })
        .collect()
}

/// Feeds one bad PDU and checks it was refused: counted once in `eapol_refused`, nothing
/// else counted, nothing sent back.
fn refused(air: &mut Air, pdu: &[u8], what: &dyn std::fmt::Debug) -> Result<(), TestCaseError> {
    let before = air.gw.stats();
    let out = air.eapol(pdu);
    let after = air.gw.stats();
    prop_assert!(out.is_empty(), "{:?} answered with {:?}", what, out);
    prop_assert_eq!(
        after,
        GatewayStats {
            rx_frames: before.rx_frames + 1,
            eapol_refused: before.eapol_refused + 1,
            ..before
        },
        "{:?}",
        what
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 4-way handshake
// ---------------------------------------------------------------------------------------

/// A gateway delivering by 4-way handshake, and a terminal that answered message 1.
struct FourWay {
    air: Air,
    supp: Supplicant,
    /// Message 1 as the gateway sent it.
    m1: Vec<u8>,
    /// Message 2 as the terminal built it.
    m2: Vec<u8>,
    /// The PTK both sides derive.
    ptk: Ptk,
    /// The PTK of a terminal with the wrong passphrase, same nonces.
    foreign: Ptk,
}

fn four_way() -> FourWay {
    let mut cfg = Config::default();
    cfg.security.passphrase = PASSPHRASE.into();
    cfg.security.delivery = Delivery::FourWay;
    let mut air = Air::new(&cfg);
    let answers = air.join(vec![user(), metering()], true);
    let pdus = eapol_pdus(&answers);
    assert_eq!(pdus.len(), 1, "message 1 follows the association response");
    let m1 = pdus[0].clone();
    let mut supp = Supplicant::new(pmk(PASSPHRASE), Akm::Psk, STA, air.ap, SNONCE);
    let m2 = match supp.on_message(&m1) {
        Ok(SuppStep::Send(m2)) => m2,
        other => panic!("message 1 not taken: {other:?}"),
    };
    let mut anonce = [0u8; 32];
    anonce.copy_from_slice(
        EapolPacket::new_checked(&m1[..])
            .expect("message 1")
            .nonce(),
    );
    let ptk = Ptk::derive(&pmk(PASSPHRASE), air.ap, STA, &anonce, &SNONCE);
    let foreign = Ptk::derive(&pmk(WRONG_PASSPHRASE), air.ap, STA, &anonce, &SNONCE);
    assert_eq!(air.state(), Some(State::Registered));
    FourWay {
        air,
        supp,
        m1,
        m2,
        ptk,
        foreign,
    }
}

/// `pdu` with its MIC recomputed under `kck`.
fn resign(mut pdu: Vec<u8>, kck: &[u8; 16]) -> Vec<u8> {
    EapolPacket::new_unchecked(&mut pdu[..]).set_mic(&[0; 16]);
    let mic = eapol_mic(kck, &pdu);
    EapolPacket::new_unchecked(&mut pdu[..]).set_mic(&mic);
    pdu
}

/// One way to spoil an EAPOL-Key message from the terminal.
#[derive(Debug, Clone)]
enum BadKey {
    /// One byte XORed with a non-zero mask.
    Flip(Index, u8),
    /// Cut short.
    Truncate(Index),
    /// Bytes after the body.
    Trailer(Vec<u8>),
    /// A MIC that is not the genuine one.
    WrongMic([u8; 16]),
    /// The MIC computed under the PTK of the wrong passphrase: a terminal without the key.
    ForeignKey,
    /// A body length field that lies.
    BodyLen(u16),
    /// A key data length field that lies.
    KeyDataLen(u16),
    /// Another replay counter, the MIC recomputed under the right PTK: a replayed or stale
    /// message from a terminal that holds the key.
    Replay(u64),
    /// An EAPOL EAP-Packet (a Response/Identity) in the middle of the handshake.
    Eap(Vec<u8>),
    /// Another EAPOL type (Start, Logoff, ASF alert, unknown) with this body.
    OtherType(u8, Vec<u8>),
    /// Arbitrary bytes.
    Garbage(Vec<u8>),
}

fn bad_key() -> impl Strategy<Value = BadKey> {
    prop_oneof![
        3 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| BadKey::Flip(i, m)),
        1 => any::<Index>().prop_map(BadKey::Truncate),
        1 => vec(any::<u8>(), 1..16).prop_map(BadKey::Trailer),
        1 => any::<[u8; 16]>().prop_map(BadKey::WrongMic),
        1 => Just(BadKey::ForeignKey),
        1 => any::<u16>().prop_map(BadKey::BodyLen),
        1 => any::<u16>().prop_map(BadKey::KeyDataLen),
        1 => any::<u64>().prop_map(BadKey::Replay),
        1 => vec(any::<u8>(), 1..40).prop_map(BadKey::Eap),
        1 => (1u8..=255, vec(any::<u8>(), 0..8)).prop_map(|(t, b)| BadKey::OtherType(t, b)),
        1 => vec(any::<u8>(), 0..200).prop_map(BadKey::Garbage),
    ]
}

impl BadKey {
    /// The spoiled copy of `genuine` (an EAPOL-Key PDU).
    fn apply(&self, genuine: &[u8], fw: &FourWay) -> Vec<u8> {
        let mut b = genuine.to_vec();
        let view = EapolPacket::new_checked(genuine).expect("a genuine EAPOL-Key PDU");
        match self {
            BadKey::Flip(i, mask) => b[i.index(genuine.len())] ^= mask,
            BadKey::Truncate(i) => b.truncate(i.index(genuine.len())),
            BadKey::Trailer(t) => b.extend_from_slice(t),
            BadKey::WrongMic(mic) => {
                let mut mic = *mic;
                if mic[..] == *view.mic() {
                    mic[0] ^= 1;
                }
                EapolPacket::new_unchecked(&mut b[..]).set_mic(&mic);
            }
            BadKey::ForeignKey => b = resign(b, &fw.foreign.kck),
            BadKey::BodyLen(v) => {
                let v = if *v == view.body_len() { v ^ 1 } else { *v };
                EapolPacket::new_unchecked(&mut b[..]).set_body_len(v);
            }
            BadKey::KeyDataLen(v) => {
                let v = if *v == view.key_data_len() { v ^ 1 } else { *v };
                EapolPacket::new_unchecked(&mut b[..]).set_key_data_len(v);
            }
            BadKey::Replay(c) => {
                let c = if *c == view.replay_counter() {
                    c ^ 1
                } else {
                    *c
                };
                EapolPacket::new_unchecked(&mut b[..]).set_replay_counter(c);
                b = resign(b, &fw.ptk.kck);
            }
            BadKey::Eap(identity) => {
                let resp = EapPacket::identity_response(1, identity);
                b = eapol::eap_pdu(&resp.to_bytes().expect("short identity"));
            }
            BadKey::OtherType(t, body) => {
                let t = if *t == 3 { 4 } else { *t };
                b = vec![2, t];
                b.extend_from_slice(&(body.len() as u16).to_be_bytes());
                b.extend_from_slice(body);
            }
            BadKey::Garbage(g) => b = g.clone(),
        }
        b
    }
}

/// No configuration and no slot yet: the station stays Registered (its window is only
/// reserved), and a resource request gets no answer.
fn no_slot(air: &mut Air) -> Result<(), TestCaseError> {
    let before = air.gw.stats();
    let answer = air.resource_request(TimeWindow {
        initial_time: 0,
        duration: 1,
    });
    prop_assert_eq!(
        answer,
        None,
        "a resource request was answered before the handshake"
    );
    prop_assert_eq!(air.state(), Some(State::Registered));
    let after = air.gw.stats();
    prop_assert_eq!(after.rx_ignored, before.rx_ignored + 1);
    prop_assert_eq!(after.handshakes, 0);
    prop_assert_eq!(after.resource_accepted + after.resource_countered, 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A terminal in the 4-way handshake sends spoiled message 2s, then the genuine one,
    /// then spoiled message 4s and the replayed message 2, then the genuine message 4. Every
    /// spoiled frame is refused and counted, gets no answer (no message 3: no configuration)
    /// and no slot; the genuine messages still deliver the configuration and the slot.
    #[test]
    fn gateway_refuses_spoiled_eapol_key_frames(
        bad_m2 in vec(bad_key(), 1..6),
        bad_m4 in vec(bad_key(), 0..4),
    ) {
        let mut fw = four_way();
        let mut count = 0;
        for bad in &bad_m2 {
            let pdu = bad.apply(&fw.m2, &fw);
            refused(&mut fw.air, &pdu, bad)?;
            count += 1;
        }
        no_slot(&mut fw.air)?;

        // The genuine message 2: message 3 with the configuration.
        let m2 = fw.m2.clone();
        let pdus = eapol_pdus(&fw.air.eapol(&m2));
        prop_assert_eq!(pdus.len(), 1, "one message 3");
        let delivered = match fw.supp.on_message(&pdus[0]) {
            Ok(SuppStep::Done(d)) => d,
            other => return Err(TestCaseError::fail(format!("message 3 not taken: {other:?}"))),
        };
        let fail = |what: &str| TestCaseError::fail(format!("message 3: {what}"));
        let config = delivered.config.clone().ok_or_else(|| fail("no configuration KDE"))?;
        let ies = subgate_control::wire::ie::parse_list(&config).map_err(|_| fail("elements"))?;
        let carried = Carried::from_elements(&ies).map_err(|_| fail("M2M elements"))?;
        prop_assert_eq!(carried.service, Some(service_info()));
        let time: ServiceTimeRepr = carried.service_time.ok_or_else(|| fail("no service time"))?;

        for bad in &bad_m4 {
            let pdu = bad.apply(&delivered.message4, &fw);
            refused(&mut fw.air, &pdu, bad)?;
            count += 1;
        }
        // Message 2 again, now that message 3 is out: a replay, and no second message 3.
        refused(&mut fw.air, &m2, &"replayed message 2")?;
        count += 1;
        no_slot(&mut fw.air)?;

        // The genuine message 4 completes the handshake; then the slot is given.
        prop_assert!(fw.air.eapol(&delivered.message4).is_empty());
        prop_assert_eq!(fw.air.gw.stats().handshakes, 1);
        prop_assert_eq!(fw.air.resource_request(time.window), Some(ResourceResult::Accept));
        prop_assert_eq!(fw.air.state(), Some(State::Scheduled));
        let stats = fw.air.gw.stats();
        prop_assert_eq!(stats.eapol_refused, count);
        prop_assert_eq!(stats.rx_malformed, 0);
    }
}

/// A terminal holding the wrong passphrase: its message 2, however often sent, gets no
/// message 3, and it gets no slot.
#[test]
fn wrong_passphrase_gets_no_configuration_and_no_slot() {
    let mut fw = four_way();
    let mut wrong = Supplicant::new(pmk(WRONG_PASSPHRASE), Akm::Psk, STA, fw.air.ap, SNONCE);
    let m2 = match wrong.on_message(&fw.m1) {
        Ok(SuppStep::Send(m2)) => m2,
        other => panic!("message 1 not taken: {other:?}"),
    };
    for _ in 0..3 {
        refused(&mut fw.air, &m2, &"message 2 under the wrong passphrase").expect("refused");
    }
    no_slot(&mut fw.air).expect("no slot");
    assert_eq!(fw.air.gw.stats().eapol_refused, 3);
    // The right terminal, same nonces, still gets its message 3.
    let pdus = eapol_pdus(&fw.air.eapol(&fw.m2.clone()));
    assert_eq!(pdus.len(), 1);
    assert!(matches!(
        fw.supp.on_message(&pdus[0]),
        Ok(SuppStep::Done(_))
    ));
}

/// EAPOL frames that are not EAPOL-Key messages, from a terminal in the 4-way handshake
/// (which runs no 802.1X): an EAP Response/Identity, EAPOL-Start, EAPOL-Logoff, an EAPOL
/// PDU cut inside its header. Each is refused and counted, none answered.
#[test]
fn non_key_eapol_during_the_handshake_is_refused() {
    let mut fw = four_way();
    let identity = EapPacket::identity_response(1, b"acme-water")
        .to_bytes()
        .expect("identity");
    let frames: Vec<(&str, Vec<u8>)> = vec![
        ("EAP Response/Identity", eapol::eap_pdu(&identity)),
        ("EAP Success", eapol::eap_pdu(&[3, 1, 0, 4])),
        ("EAPOL-Start", vec![2, 1, 0, 0]),
        ("EAPOL-Logoff", vec![2, 2, 0, 0]),
        ("header cut short", vec![2]),
        ("nothing after LLC/SNAP", Vec::new()),
    ];
    for (what, pdu) in &frames {
        refused(&mut fw.air, pdu, what).expect("refused");
    }
    no_slot(&mut fw.air).expect("no slot");
    assert_eq!(fw.air.gw.stats().eapol_refused, frames.len() as u64);
}

// ---------------------------------------------------------------------------------------
// 802.1X relay
// ---------------------------------------------------------------------------------------

/// A gateway on the 802.1X path whose `[aaa]` server address is `aaa`, a socket of the
/// test's own that never answers: whatever the gateway relays arrives there.
struct Dot1x {
    air: Air,
    aaa: UdpSocket,
}

fn dot1x() -> Dot1x {
    let aaa = UdpSocket::bind("127.0.0.1:0").expect("test socket");
    let mut cfg = Config::default();
    cfg.security.delivery = Delivery::EapSuccess;
    cfg.aaa.server = aaa.local_addr().expect("bound").to_string();
    cfg.aaa.secret = "bad-input-test".into();
    cfg.aaa.timeout_ms = 20;
    cfg.aaa.retries = 0;
    let mut air = Air::new(&cfg);
    let answers = air.join(vec![metering()], false);
    let pdus = eapol_pdus(&answers);
    assert_eq!(
        pdus.len(),
        1,
        "the identity request follows the association response"
    );
    let eap = eapol::eap_of(&pdus[0]).expect("EAPOL EAP-Packet");
    let (req, _) = EapPacket::parse(&eap).expect("EAP request");
    assert_eq!(req, EapPacket::identity_request(1));
    Dot1x { air, aaa }
}

impl Dot1x {
    /// The genuine Response/Identity: relayed to the AAA address as an Access-Request
    /// carrying it — and nothing before it, so none of the bad packets fed earlier was
    /// relayed. With nobody answering, the gateway ends the conversation.
    fn genuine_identity_is_the_first_and_only_relayed(&mut self) -> Result<(), TestCaseError> {
        let resp = EapPacket::identity_response(1, USER.as_bytes())
            .to_bytes()
            .expect("identity");
        let out = self.air.eapol(&eapol::eap_pdu(&resp));
        prop_assert!(
            out.iter().any(|f| matches!(f, Frame::Deauthentication(_))),
            "an unanswered relay ends the conversation: {:?}",
            out
        );
        self.aaa
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let mut buf = [0u8; 4096];
        let (n, _) = self
            .aaa
            .recv_from(&mut buf)
            .map_err(|e| TestCaseError::fail(format!("nothing relayed: {e}")))?;
        let repr = RadiusPacket::new_checked(&buf[..n])
            .and_then(|p| RadiusRepr::parse(&p))
            .map_err(|e| TestCaseError::fail(format!("relayed datagram: {e}")))?;
        prop_assert_eq!(repr.code, RadiusCode::AccessRequest);
        prop_assert_eq!(repr.eap_message(), Some(resp));
        prop_assert_eq!(repr.get(attr::USER_NAME), Some(USER.as_bytes()));
        self.aaa.set_nonblocking(true).expect("non-blocking");
        prop_assert!(
            self.aaa.recv_from(&mut buf).is_err(),
            "a second datagram reached the AAA address"
        );
        Ok(())
    }
}

/// One way to spoil an EAPOL EAP-Packet from a terminal answering the identity request.
#[derive(Debug, Clone)]
enum BadEap {
    /// A Response/Identity longer than `MAX_EAP_LEN`, its length field true.
    Oversized(usize),
    /// A length field over `MAX_EAP_LEN` over whatever body.
    OversizedField(u16, Vec<u8>),
    /// A length field past the bytes sent.
    Truncated(Vec<u8>, u16),
    /// A length field below 4.
    Short(u16, Vec<u8>),
    /// An unknown code.
    UnknownCode(u8, Vec<u8>),
    /// A Request, Success or Failure from the terminal.
    WrongDirection(u8),
    /// A Response without a type.
    NoType,
    /// A response of another type before the identity.
    BeforeIdentity(u8, Vec<u8>),
    /// An identity RADIUS cannot carry in User-Name: empty or over 253 bytes.
    Identity(usize),
    /// An EAPOL body length field that lies.
    EapolLen(u16),
    /// An EAPOL-Key frame while no handshake runs.
    Key(Vec<u8>),
    /// Arbitrary bytes that are not an EAP packet.
    Garbage(Vec<u8>),
}

fn bad_eap() -> impl Strategy<Value = BadEap> {
    let max = MAX_EAP_LEN as u16;
    prop_oneof![
        2 => (MAX_EAP_LEN + 1..3_000).prop_map(BadEap::Oversized),
        1 => (max + 1..=u16::MAX, vec(any::<u8>(), 0..64))
            .prop_map(|(l, b)| BadEap::OversizedField(l, b)),
        1 => (vec(any::<u8>(), 1..64), 1u16..200).prop_map(|(b, m)| BadEap::Truncated(b, m)),
        1 => (0u16..4, vec(any::<u8>(), 0..16)).prop_map(|(l, b)| BadEap::Short(l, b)),
        1 => (prop_oneof![Just(0u8), 5u8..=255], vec(any::<u8>(), 0..16))
            .prop_map(|(c, b)| BadEap::UnknownCode(c, b)),
        1 => prop_oneof![Just(1u8), Just(3u8), Just(4u8)].prop_map(BadEap::WrongDirection),
        1 => Just(BadEap::NoType),
        1 => (prop_oneof![Just(TYPE_PWD), Just(TYPE_NAK), 4u8..=255], vec(any::<u8>(), 0..40))
            .prop_map(|(t, b)| BadEap::BeforeIdentity(t, b)),
        1 => prop_oneof![Just(0usize), 254usize..1_000].prop_map(BadEap::Identity),
        1 => any::<u16>().prop_map(BadEap::EapolLen),
        1 => vec(any::<u8>(), 95..140).prop_map(BadEap::Key),
        1 => vec(any::<u8>(), 0..80)
            .prop_filter("not an EAP packet", |b| EapPacket::parse(b).is_err())
            .prop_map(BadEap::Garbage),
    ]
}

/// `code | 1 | len | body`, the length field as given.
fn eap_bytes(code: u8, len: u16, body: &[u8]) -> Vec<u8> {
    let mut b = vec![code, 1];
    b.extend_from_slice(&len.to_be_bytes());
    b.extend_from_slice(body);
    b
}

impl BadEap {
    /// The EAPOL PDU carrying it.
    fn pdu(&self) -> Vec<u8> {
        let eap = match self {
            BadEap::Oversized(len) => {
                let mut b = eap_bytes(2, *len as u16, &[TYPE_IDENTITY]);
                b.resize(*len, b'a');
                b
            }
            BadEap::OversizedField(len, body) => eap_bytes(2, *len, body),
            BadEap::Truncated(body, more) => eap_bytes(2, 4 + body.len() as u16 + more, body),
            BadEap::Short(len, body) => eap_bytes(2, *len, body),
            BadEap::UnknownCode(code, body) => eap_bytes(*code, 4 + body.len() as u16, body),
            BadEap::WrongDirection(code) => {
                let body: &[u8] = if *code == 1 { &[TYPE_IDENTITY] } else { &[] };
                eap_bytes(*code, 4 + body.len() as u16, body)
            }
            BadEap::NoType => eap_bytes(2, 4, &[]),
            BadEap::BeforeIdentity(kind, body) => {
                let mut data = vec![*kind];
                data.extend_from_slice(body);
                eap_bytes(2, 4 + data.len() as u16, &data)
            }
            BadEap::Identity(len) => {
                let mut data = vec![TYPE_IDENTITY];
                data.resize(1 + len, b'x');
                eap_bytes(2, 4 + data.len() as u16, &data)
            }
            BadEap::EapolLen(len) => {
                let resp = EapPacket::identity_response(1, USER.as_bytes())
                    .to_bytes()
                    .expect("identity");
                let mut pdu = eapol::eap_pdu(&resp);
                let len = if usize::from(*len) == resp.len() {
                    len ^ 1
                } else {
                    *len
                };
                EapolPacket::new_unchecked(&mut pdu[..]).set_body_len(len);
                return pdu;
            }
            BadEap::Key(body) => {
                let mut pdu = vec![2, 3];
                pdu.extend_from_slice(&(body.len() as u16).to_be_bytes());
                pdu.extend_from_slice(body);
                return pdu;
            }
            BadEap::Garbage(b) => b.clone(),
        };
        eapol::eap_pdu(&eap)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A terminal answering the identity request with oversized, truncated, misdirected or
    /// malformed EAP — or EAPOL that lies about its length, or an EAPOL-Key frame — is
    /// refused and counted each time, gets no answer, and nothing reaches the AAA server;
    /// its genuine Response/Identity afterwards is relayed, and is the only thing that is.
    #[test]
    fn gateway_relays_no_bad_eap(bad in vec(bad_eap(), 1..6)) {
        let mut d = dot1x();
        for b in &bad {
            refused(&mut d.air, &b.pdu(), b)?;
            prop_assert_eq!(d.air.state(), Some(State::Registered));
        }
        let stats = d.air.gw.stats();
        prop_assert_eq!(stats.eapol_refused, bad.len() as u64);
        prop_assert_eq!(stats.eap_accepted + stats.eap_rejected, 0);
        d.genuine_identity_is_the_first_and_only_relayed()?;
    }
}

/// A response to a request the gateway no longer waits for (another identifier) is a late
/// duplicate: ignored, not refused — and not relayed either.
#[test]
fn stale_eap_responses_are_not_relayed() {
    let mut d = dot1x();
    let stale = EapPacket::identity_response(0, USER.as_bytes())
        .to_bytes()
        .expect("identity");
    let before = d.air.gw.stats();
    assert!(d.air.eapol(&eapol::eap_pdu(&stale)).is_empty());
    let after = d.air.gw.stats();
    assert_eq!(after.rx_ignored, before.rx_ignored + 1);
    assert_eq!(after.eapol_refused, 0);
    d.genuine_identity_is_the_first_and_only_relayed()
        .expect("relayed");
}

/// The refusals the 802.1X path added for this issue, by name: an EAPOL-Key frame before
/// any handshake, identities User-Name cannot carry, and a packet one byte over the limit.
#[test]
fn named_dot1x_refusals() {
    let mut d = dot1x();
    let cases = [
        BadEap::Key(vec![0; 95]),
        BadEap::Identity(0),
        BadEap::Identity(254),
        BadEap::Oversized(MAX_EAP_LEN + 1),
    ];
    for bad in &cases {
        refused(&mut d.air, &bad.pdu(), bad).expect("refused");
    }
    assert_eq!(d.air.gw.stats().eapol_refused, cases.len() as u64);
    // 253 bytes is the longest identity relayed: the boundary is where RFC 2865 puts it.
    let longest = EapPacket::identity_response(1, &[b'x'; 253])
        .to_bytes()
        .expect("identity");
    let out = d.air.eapol(&eapol::eap_pdu(&longest));
    assert!(out.iter().any(|f| matches!(f, Frame::Deauthentication(_))));
    assert_eq!(d.air.gw.stats().eapol_refused, cases.len() as u64);
    let mut buf = [0u8; 4096];
    d.aaa
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let (n, _) = d
        .aaa
        .recv_from(&mut buf)
        .expect("the 253-byte identity relayed");
    let repr = RadiusPacket::new_checked(&buf[..n])
        .and_then(|p| RadiusRepr::parse(&p))
        .expect("relayed datagram");
    assert_eq!(repr.get(attr::USER_NAME), Some(&[b'x'; 253][..]));
}
