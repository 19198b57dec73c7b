//! Speed of the gateway's association path: N terminals authenticate, associate with
//! registration and get their window accepted, one after another, frames built and parsed on
//! both sides — no medium, no waiting for superframes, so the figure is the gateway's
//! processing time (what `subgate bench control` prints; the goal is 8 191 in ≤ 5 s).
//! Registration is checked by the M2M server emulator (PSK proof) or, with
//! [`AssociationOptions::aaa`], by a real RADIUS server (CHAP proof; `--aaa radius`, goal
//! 8 191 in ≤ 30 s), and the configuration goes in the association response or, with a
//! passphrase, in 4-way message 3 (the terminal side runs the supplicant).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use subgate_control::aggregate::MemoryNorthbound;
use subgate_control::config::{Config, Delivery, RegistrarKind};
use subgate_control::gateway::Gateway;
use subgate_control::radius::ClientStats;
use subgate_control::registrar::aaa::AaaRegistrar;
use subgate_control::registrar::proof::{aaa_indication, indication};
use subgate_control::registrar::{
    Psk, Registrar, Registration, RegistrationError, RegistrationRequest,
};
use subgate_control::rsn::{Akm, Pmk, SuppStep, Supplicant};
use subgate_control::store::Store;
use subgate_control::wire::eapol;
use subgate_control::wire::m2m::carry::{action_frame, action_of, nonce_of, Carried};
use subgate_control::wire::m2m::{
    DataFormat, M2mAction, M2mElement, RegistrationPath, ResourceRequestRepr, ResourceResult,
    ServiceInfoRepr, ServiceTimeRepr, Sid, SidList,
};
use subgate_control::wire::mac::{fc_flags, HeaderRepr, SeqCtrl};
use subgate_control::wire::mgmt::{
    AssociationRequestRepr, AuthAlgorithm, AuthenticationRepr, StatusCode,
};
use subgate_control::wire::{strip_fcs, with_fcs, Frame, MacAddr};

use crate::aaa::AaaUser;
use crate::sim::{setting, SimError};
use crate::M2mServerEmulator;

/// What the association run measured.
#[derive(Debug, Clone, Copy)]
pub struct AssociationBench {
    /// Terminals that ended scheduled.
    pub associated: usize,
    /// Of them, configured through a completed 4-way handshake.
    pub keyed: usize,
    /// Wall time for all of them.
    pub wall: Duration,
    /// RADIUS requests sent, retransmissions and timeouts (AAA path only).
    pub radius: Option<ClientStats>,
}

/// How the terminals register and receive their configuration.
#[derive(Debug, Clone, Default)]
pub struct AssociationOptions {
    /// Register through this AAA server (CHAP proof) instead of the M2M server emulator.
    pub aaa: Option<SocketAddr>,
    /// The AAA server's shared secret.
    pub aaa_secret: String,
    /// Deliver the configuration in 4-way message 3, keyed by this passphrase.
    pub passphrase: Option<String>,
}

/// The M2M user, its PSK and the four services of the association benchmark, as an AAA
/// server needs them.
pub fn bench_users() -> Result<Vec<AaaUser>, SimError> {
    Ok(vec![AaaUser {
        name: BENCH_USER.into(),
        psk: Psk::from_hex(BENCH_PSK).map_err(setting)?,
        services: PERIODS
            .iter()
            .map(|p| (format!("m{p}"), bench_service(*p)))
            .collect(),
    }])
}

const BENCH_USER: &str = "utility";
const BENCH_PSK: &str = "000102030405060708090a0b0c0d0e0f";
const PERIODS: [u32; 4] = [60, 900, 3_600, 86_400];

fn bench_service(period: u32) -> ServiceInfoRepr {
    ServiceInfoRepr {
        report_period: period,
        data_format: DataFormat::Opaque,
        data_amount: 64,
        server: None,
    }
}

/// Associates `n` terminals (1 min, 15 min, 1 h, 1 day periods in turn) with a gateway on
/// four channels and a store at `db`, registering and configuring them as `opts` says.
pub fn associations(
    n: usize,
    db: &std::path::Path,
    opts: &AssociationOptions,
) -> Result<AssociationBench, SimError> {
    let mut cfg = Config::default();
    cfg.radio.channels = vec![1, 3, 5, 7];
    cfg.service.sids = PERIODS.iter().map(|p| format!("service:m{p}")).collect();
    cfg.registrar.psk = [(BENCH_USER.to_string(), BENCH_PSK.to_string())].into();
    let user = Sid::user(BENCH_USER).map_err(setting)?;
    let psk = Psk::from_hex(BENCH_PSK).map_err(setting)?;
    let mut server = M2mServerEmulator::new().with_user(user.clone(), psk.clone());
    for p in PERIODS {
        server = server.with_service(
            Sid::service(&format!("m{p}")).map_err(setting)?,
            bench_service(p),
        );
    }
    if let Some(addr) = opts.aaa {
        cfg.registrar.kind = RegistrarKind::Aaa;
        cfg.aaa.server = addr.to_string();
        cfg.aaa.secret = opts.aaa_secret.clone();
    }
    let pmk = match &opts.passphrase {
        Some(p) => {
            cfg.security.passphrase = p.clone();
            cfg.security.delivery = Delivery::FourWay;
            Some(Pmk::from_passphrase(p, cfg.gateway.name.as_bytes()).map_err(setting)?)
        }
        None => None,
    };
    cfg.validate().map_err(setting)?;
    let path = if opts.aaa.is_some() {
        RegistrationPath::Aaa
    } else {
        RegistrationPath::M2mServer
    };
    let (registrar, stats): (Box<dyn Registrar + Send>, Option<_>) = if opts.aaa.is_some() {
        let shared = SharedAaa(Arc::new(Mutex::new(
            AaaRegistrar::from_config(&cfg).map_err(setting)?,
        )));
        (Box::new(shared.clone()), Some(shared))
    } else {
        (Box::new(server), None)
    };
    let mut gw = Gateway::new(
        &cfg,
        registrar,
        Store::open(db)?,
        Box::new(MemoryNorthbound::new()),
        1,
    )?;
    let ap = gw.bssid();
    let started = Instant::now();
    let mut associated = 0;
    let mut keyed = 0;
    let mut now = 0u64;
    for i in 0..n {
        let k = i as u32 + 1;
        let mac = MacAddr([0x02, 0x20, 0, (k >> 16) as u8, (k >> 8) as u8, k as u8]);
        let ch = cfg.radio.channels[i % 4];
        let service = Sid::service(&format!("m{}", PERIODS[i % 4])).map_err(setting)?;
        let sids = M2mElement::SidList(SidList {
            sids: vec![user.clone(), service],
        })
        .to_ie()
        .map_err(setting)?;
        let hdr = |seq: u16, flags: u8| HeaderRepr {
            flags,
            duration: 0,
            addr1: ap,
            addr2: mac,
            addr3: ap,
            seq_ctrl: SeqCtrl::new(seq, 0),
        };
        let exchange = |gw: &mut Gateway, now: u64, f: Frame| -> Vec<Frame> {
            gw.handle_rx(now, ch, &with_fcs(&f.to_bytes()));
            gw.drain_transmissions()
                .into_iter()
                .filter_map(|t| strip_fcs(&t.request.psdu).and_then(Frame::parse).ok())
                .filter(|f| !matches!(f, Frame::S1gBeacon(_)))
                .collect()
        };
        now += 1_000;
        let auth = Frame::Authentication(AuthenticationRepr {
            header: hdr(1, 0),
            algorithm: AuthAlgorithm::OpenSystem,
            transaction_seq: 1,
            status: StatusCode::Success,
            elements: vec![sids.clone()],
        });
        let Some(Frame::Authentication(resp)) = exchange(&mut gw, now, auth).into_iter().next()
        else {
            continue;
        };
        let Some(nonce) = nonce_of(&resp.elements) else {
            continue;
        };
        let ind = match path {
            RegistrationPath::Aaa => aaa_indication(&psk, mac, nonce, 1),
            RegistrationPath::M2mServer => indication(&psk, mac, nonce, 1),
        };
        let reg = M2mElement::Registration(ind).to_ie().map_err(setting)?;
        let assoc = Frame::AssociationRequest(AssociationRequestRepr {
            header: hdr(2, 0),
            capability: 0,
            listen_interval: 0,
            elements: vec![sids, reg],
        });
        let answers = exchange(&mut gw, now, assoc);
        let Some(Frame::AssociationResponse(resp)) = answers.first() else {
            continue;
        };
        if resp.status != StatusCode::Success {
            continue;
        }
        let time = match &pmk {
            None => Carried::from_elements(&resp.elements)
                .ok()
                .and_then(|c| c.service_time),
            Some(pmk) => {
                let mut snonce = [0u8; 32];
                snonce[..4].copy_from_slice(&k.to_be_bytes());
                let mut supp = Supplicant::new(pmk.clone(), Akm::Psk, mac, ap, snonce);
                let got = handshake(&mut gw, &mut supp, answers, now, &hdr, &exchange);
                keyed += usize::from(got.is_some());
                got
            }
        };
        let Some(time) = time else {
            continue;
        };
        let req = M2mAction::ResourceRequest(ResourceRequestRepr {
            dialog_token: 1,
            proposal: time.window,
        });
        let Ok(f) = action_frame(hdr(5, 0), &req) else {
            continue;
        };
        let accepted = exchange(&mut gw, now, f).into_iter().any(|f| match f {
            Frame::Action(a) => matches!(
                action_of(&a),
                Ok(M2mAction::ResourceResponse(r)) if r.result == ResourceResult::Accept
            ),
            _ => false,
        });
        associated += usize::from(accepted);
    }
    Ok(AssociationBench {
        associated,
        keyed,
        wall: started.elapsed(),
        radius: stats.and_then(|s| s.0.lock().ok().map(|r| r.client_stats())),
    })
}

/// Runs the 4-way handshake of one terminal from the frames that followed its association
/// response (message 1), returning the service time message 3 delivered.
fn handshake(
    gw: &mut Gateway,
    supp: &mut Supplicant,
    first: Vec<Frame>,
    now: u64,
    hdr: &dyn Fn(u16, u8) -> HeaderRepr,
    exchange: &dyn Fn(&mut Gateway, u64, Frame) -> Vec<Frame>,
) -> Option<ServiceTimeRepr> {
    let mut inbox = first;
    let mut seq = 3;
    for _ in 0..4 {
        let pdu = inbox.iter().find_map(|f| match f {
            Frame::Data(d) => eapol::pdu_of(&d.body).map(<[u8]>::to_vec),
            _ => None,
        })?;
        match supp.on_message(&pdu).ok()? {
            SuppStep::Send(m2) => {
                let f = Frame::Data(eapol::data_frame(hdr(seq, fc_flags::TO_DS), &m2));
                seq += 1;
                inbox = exchange(gw, now, f);
            }
            SuppStep::Done(delivered) => {
                let f = Frame::Data(eapol::data_frame(
                    hdr(seq, fc_flags::TO_DS),
                    &delivered.message4,
                ));
                exchange(gw, now, f);
                let ies = subgate_control::wire::ie::parse_list(&delivered.config?).ok()?;
                return Carried::from_elements(&ies).ok()?.service_time;
            }
        }
    }
    None
}

/// The AAA registrar, shared so the benchmark can read its client's counters afterwards.
#[derive(Clone)]
struct SharedAaa(Arc<Mutex<AaaRegistrar>>);

impl Registrar for SharedAaa {
    fn register(&mut self, req: &RegistrationRequest) -> Result<Registration, RegistrationError> {
        match self.0.lock() {
            Ok(mut r) => r.register(req),
            Err(_) => Err(RegistrationError::Unreachable),
        }
    }
}
