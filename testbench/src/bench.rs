//! Speed of the gateway's association path: N terminals authenticate, associate with
//! registration (PSK proof checked by the M2M server emulator) and get their window accepted,
//! one after another, frames built and parsed on both sides — no medium, no waiting for
//! superframes, so the figure is the gateway's processing time (what `subgate bench control`
//! prints; the goal is 8 191 in ≤ 5 s).

use std::time::{Duration, Instant};

use subgate_control::aggregate::MemoryNorthbound;
use subgate_control::config::Config;
use subgate_control::gateway::Gateway;
use subgate_control::registrar::proof::indication;
use subgate_control::registrar::Psk;
use subgate_control::store::Store;
use subgate_control::wire::m2m::carry::{action_frame, action_of, nonce_of, Carried};
use subgate_control::wire::m2m::{
    DataFormat, M2mAction, M2mElement, ResourceRequestRepr, ResourceResult, ServiceInfoRepr, Sid,
    SidList,
};
use subgate_control::wire::mac::{HeaderRepr, SeqCtrl};
use subgate_control::wire::mgmt::{
    AssociationRequestRepr, AuthAlgorithm, AuthenticationRepr, StatusCode,
};
use subgate_control::wire::{strip_fcs, with_fcs, Frame, MacAddr};

use crate::sim::{setting, SimError};
use crate::M2mServerEmulator;

/// What the association run measured.
#[derive(Debug, Clone, Copy)]
pub struct AssociationBench {
    /// Terminals that ended scheduled.
    pub associated: usize,
    /// Wall time for all of them.
    pub wall: Duration,
}

/// Associates `n` terminals (1 min, 15 min, 1 h, 1 day periods in turn) with a gateway on
/// four channels and a store at `db`.
pub fn associations(n: usize, db: &std::path::Path) -> Result<AssociationBench, SimError> {
    let mut cfg = Config::default();
    cfg.radio.channels = vec![1, 3, 5, 7];
    let periods = [60u32, 900, 3_600, 86_400];
    cfg.service.sids = periods.iter().map(|p| format!("service:m{p}")).collect();
    let psk_hex = "000102030405060708090a0b0c0d0e0f";
    cfg.registrar.psk = [("utility".to_string(), psk_hex.to_string())].into();
    let user = Sid::user("utility").map_err(setting)?;
    let psk = Psk::from_hex(psk_hex).map_err(setting)?;
    let mut server = M2mServerEmulator::new().with_user(user.clone(), psk.clone());
    for p in periods {
        server = server.with_service(
            Sid::service(&format!("m{p}")).map_err(setting)?,
            ServiceInfoRepr {
                report_period: p,
                data_format: DataFormat::Opaque,
                data_amount: 64,
                server: None,
            },
        );
    }
    let mut gw = Gateway::new(
        &cfg,
        Box::new(server),
        Store::open(db)?,
        Box::new(MemoryNorthbound::new()),
        1,
    )?;
    let ap = gw.bssid();
    let started = Instant::now();
    let mut associated = 0;
    let mut now = 0u64;
    for i in 0..n {
        let k = i as u32 + 1;
        let mac = MacAddr([0x02, 0x20, 0, (k >> 16) as u8, (k >> 8) as u8, k as u8]);
        let ch = cfg.radio.channels[i % 4];
        let service = Sid::service(&format!("m{}", periods[i % 4])).map_err(setting)?;
        let sids = M2mElement::SidList(SidList {
            sids: vec![user.clone(), service],
        })
        .to_ie()
        .map_err(setting)?;
        let hdr = |seq: u16| HeaderRepr {
            flags: 0,
            duration: 0,
            addr1: ap,
            addr2: mac,
            addr3: ap,
            seq_ctrl: SeqCtrl::new(seq, 0),
        };
        let exchange = |gw: &mut Gateway, now: u64, f: Frame| -> Option<Frame> {
            gw.handle_rx(now, ch, &with_fcs(&f.to_bytes()));
            gw.drain_transmissions()
                .into_iter()
                .filter_map(|t| strip_fcs(&t.request.psdu).and_then(Frame::parse).ok())
                .find(|f| !matches!(f, Frame::S1gBeacon(_)))
        };
        now += 1_000;
        let auth = Frame::Authentication(AuthenticationRepr {
            header: hdr(1),
            algorithm: AuthAlgorithm::OpenSystem,
            transaction_seq: 1,
            status: StatusCode::Success,
            elements: vec![sids.clone()],
        });
        let Some(Frame::Authentication(resp)) = exchange(&mut gw, now, auth) else {
            continue;
        };
        let Some(nonce) = nonce_of(&resp.elements) else {
            continue;
        };
        let reg = M2mElement::Registration(indication(&psk, mac, nonce, 1))
            .to_ie()
            .map_err(setting)?;
        let assoc = Frame::AssociationRequest(AssociationRequestRepr {
            header: hdr(2),
            capability: 0,
            listen_interval: 0,
            elements: vec![sids, reg],
        });
        let Some(Frame::AssociationResponse(resp)) = exchange(&mut gw, now, assoc) else {
            continue;
        };
        let Ok(c) = Carried::from_elements(&resp.elements) else {
            continue;
        };
        let (StatusCode::Success, Some(time)) = (resp.status, c.service_time) else {
            continue;
        };
        let req = M2mAction::ResourceRequest(ResourceRequestRepr {
            dialog_token: 1,
            proposal: time.window,
        });
        let Ok(f) = action_frame(hdr(3), &req) else {
            continue;
        };
        if let Some(Frame::Action(a)) = exchange(&mut gw, now, f) {
            if let Ok(M2mAction::ResourceResponse(r)) = action_of(&a) {
                if r.result == ResourceResult::Accept {
                    associated += 1;
                }
            }
        }
    }
    Ok(AssociationBench {
        associated,
        wall: started.elapsed(),
    })
}
