//! A virtual M2M terminal: the other side of the gateway's state machine (issue 4), at frame
//! level. It discovers the gateway passively (beacon) or actively (probe) by its service
//! SID, authenticates, associates with its registration indication (PSK proof over the
//! gateway's nonce), takes the service information and service time from the association
//! response, confirms or proposes its own window with a resource request, then sleeps until
//! each window and sends one MAC-layer report there (optionally only when the beacon's
//! report indication names it). Reports stay in its outbox until a report ack says stored
//! or duplicate; an unacked report is sent again in the contention part after
//! `ack_timeout`, with exponential backoff, and at once when the gateway polls. A
//! deauthentication sends it back to discovery with its outbox kept.
//!
//! It is event-driven like the gateway: [`Terminal::on_frame`], [`Terminal::on_timer`] at
//! [`Terminal::next_timer`], transmissions taken with [`Terminal::drain`], and
//! [`Terminal::listening`] says whether its receiver is on.

use std::collections::{BTreeMap, BTreeSet};

use subgate_control::eap::pwd::PwdPeer;
use subgate_control::eap::{success_config, Code as EapCode, Packet as EapPacket};
use subgate_control::gateway::groups::group_address;
use subgate_control::gateway::Timeline;
use subgate_control::registrar::proof::{aaa_indication, aaa_secret, indication};
use subgate_control::registrar::Psk;
use subgate_control::rsn::{Akm, Pmk, SuppStep, Supplicant};
use subgate_control::scheduler::airtime_us;
use subgate_control::wire::data::Repr as DataRepr;
use subgate_control::wire::eapol;
use subgate_control::wire::m2m::carry::{
    action_frame, action_of, action_psdu_len, nonce_of, Carried,
};
use subgate_control::wire::m2m::{
    AckStatus, DataFormat, GroupAckRepr, GroupAssignmentRepr, M2mAction, M2mElement,
    RegistrationPath, ReportRepr, ResourceRequestRepr, ResourceResult, ServiceInfoRepr,
    ServiceTimeRepr, Sid, SidList, TimeWindow, WakeMode,
};
use subgate_control::wire::mac::fc_flags;
use subgate_control::wire::mac::{HeaderRepr, SeqCtrl};
use subgate_control::wire::mgmt::{
    AssociationRequestRepr, AuthAlgorithm, AuthenticationRepr, ProbeRequestRepr, StatusCode,
};
use subgate_control::wire::{strip_fcs, with_fcs, ElementId, Frame, Ie, MacAddr};
use subgate_dsp::rng::Rng;
use subgate_dsp::{Format, Mcs};

/// How a terminal finds its gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    /// Listen for a beacon advertising its SID (probe if the beacon does not list it).
    Passive,
    /// Send a probe request with its SID.
    Active,
}

/// Everything a terminal is given at manufacture and installation.
#[derive(Debug, Clone)]
pub struct TerminalConfig {
    /// Its MAC address (terminal id).
    pub mac: MacAddr,
    /// Its M2M user id.
    pub user: Sid,
    /// The user's pre-shared key.
    pub psk: Psk,
    /// Authenticate by 802.1X (EAP-pwd: identity = its M2M user id, password = the PSK in
    /// hex) after an association without registration indication, for gateways delivering
    /// `"eap-success"` / `"eap-four-way"`.
    pub eap: bool,
    /// Registration path its indication asks for: the M2M server checks an AES proof, the
    /// AAA server a CHAP one (`registrar::proof`).
    pub path: RegistrationPath,
    /// The service SID it asks for (and files its reports under).
    pub service: Sid,
    /// Passive or active discovery.
    pub discovery: Discovery,
    /// Channel it joins on.
    pub channel: u8,
    /// Channels it moves through, in turn, when a discovery round on one goes unanswered
    /// (a gateway held back by its duty cycle answers on another); empty: `channel` only.
    pub scan_channels: Vec<u8>,
    /// When it powers up, µs.
    pub boot_us: u64,
    /// Propose its own window (this offset into the period, µs) instead of confirming the
    /// gateway's.
    pub own_window_offset_us: Option<u64>,
    /// Wait for the beacon's report indication before reporting in a window.
    pub wait_for_indication: bool,
    /// The gateway's superframe layout (known from the deployment).
    pub timeline: Timeline,
    /// PPDU format and MCS of its transmissions.
    pub format: Format,
    /// MCS of its transmissions.
    pub mcs: Mcs,
    /// Waiting for an unacked report before sending it again, µs.
    pub ack_timeout_us: u64,
    /// PMK of the network passphrase, for a gateway that delivers the configuration in the
    /// 4-way handshake (`None`: the terminal cannot take part in one and gives up keying).
    pub pmk: Option<Pmk>,
    /// Seed of its random choices (contention slot, backoff).
    pub seed: u64,
    /// Error of its sleep clock, ppm (positive: fast). Between syncs — a beacon heard, a
    /// frame from the gateway — its idea of the gateway's TSF drifts by this much; before a
    /// window further than [`SYNC_TOLERANCE_US`] of drift from its last sync it wakes for
    /// that superframe's beacon, and without one it sends where its drifted clock says.
    /// 0: a perfect clock.
    pub clock_ppm: f64,
    /// Wake for the beacon before a window when the drift calls for it (what a meter's
    /// firmware should do); `false` models one that never does.
    pub resync_on_beacon: bool,
}

/// Drift (µs) a terminal accepts before a window without resynchronising on the beacon
/// first.
pub const SYNC_TOLERANCE_US: f64 = 100.0;

/// How long before a superframe a terminal wakes for its beacon, µs.
const BEACON_WAKE_LEAD_US: u64 = 1_000;

/// Where a terminal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not powered yet.
    Off,
    /// Listening for a beacon.
    Scanning,
    /// Probe sent, waiting for the answer.
    Probing,
    /// Authentication sent.
    Authenticating,
    /// Association request sent.
    Associating,
    /// Associated without configuration: the 4-way handshake brings it (message 3).
    Keying,
    /// Resource request sent.
    Requesting,
    /// Scheduled: reports in its windows.
    Reporting,
    /// Gave up: the gateway refused its SID or its registration, or never answered.
    GaveUp(GiveUp),
}

/// Why a terminal gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GiveUp {
    /// "SID not supported".
    NotSupported,
    /// No answer to its probes (a silent gateway).
    Ignored,
    /// Association refused with this status code.
    Refused(u16),
    /// The 4-way handshake never delivered a configuration (wrong passphrase, or none).
    Keying,
}

/// What one terminal counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TerminalStats {
    /// Reports made (one per window).
    pub generated: u64,
    /// Report transmissions (first sends and retries).
    pub sent: u64,
    /// Retransmissions (after an ack timeout or a poll).
    pub retries: u64,
    /// Polls received.
    pub polls: u64,
    /// Deauthentications received (rejoins).
    pub rejoins: u64,
    /// Windows skipped because the beacon did not name it.
    pub skipped: u64,
    /// Wake-ups for a beacon before a window (clock drift).
    pub beacon_wakes: u64,
    /// Of those, beacons heard (clock resynchronised before the window).
    pub beacon_syncs: u64,
}

/// A group request as the terminal's application got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupReceipt {
    /// Request id.
    pub request: u32,
    /// When it was handed to the application, µs.
    pub at_us: u64,
    /// When the terminal left standby for it (the wake indication it heard), if it was in
    /// standby.
    pub woke_at_us: Option<u64>,
}

/// One unacked report.
#[derive(Debug, Clone)]
struct Outgoing {
    report: ReportRepr,
    /// Earliest time to send it again.
    retry_at: u64,
    /// Sends so far.
    sends: u32,
}

/// Protocol timeout: superframes to wait for an answer before repeating a request.
const ANSWER_SUPERFRAMES: u64 = 3;
/// Requests repeated before starting discovery again.
const MAX_ATTEMPTS: u32 = 6;
/// First pause after repeated unanswered joins, µs (doubling up to [`MAX_JOIN_BACKOFF_US`]).
const JOIN_BACKOFF_US: u64 = 30_000_000;
/// Longest pause between joins, µs.
const MAX_JOIN_BACKOFF_US: u64 = 3_600_000_000;
/// Discovery rounds in a row with every probe unanswered before the terminal gives up.
const MAX_DISCOVERY_ROUNDS: u32 = 3;

/// A virtual terminal.
#[derive(Debug)]
pub struct Terminal {
    cfg: TerminalConfig,
    phase: Phase,
    rng: Rng,
    gateway: Option<MacAddr>,
    nonce: [u8; 8],
    proof_counter: u16,
    attempts: u32,
    discovery_rounds: u32,
    /// Handshakes that ended without a configuration, in a row.
    keying_failures: u32,
    /// Joins given up in a row (answer timeouts): the pause before the next one grows.
    join_failures: u32,
    supplicant: Option<Supplicant>,
    /// Its EAP-pwd peer while authenticating by 802.1X.
    eap_peer: Option<PwdPeer>,
    /// Identifier and bytes of its last EAP response: a repeated request (the response was
    /// lost) gets the same response again (RFC 3748 §4.1).
    eap_last: Option<(u8, Vec<u8>)>,
    /// Configuration received with the EAP success (`"eap-success"` delivery).
    eap_config: Option<(ServiceInfoRepr, ServiceTimeRepr)>,
    deadline: Option<u64>,
    aid: u16,
    service: Option<ServiceInfoRepr>,
    allocation: Option<ServiceTimeRepr>,
    dialog_token: u8,
    next_window: Option<u64>,
    indicated: Option<u64>,
    seq: u32,
    outbox: BTreeMap<u32, Outgoing>,
    acked: BTreeSet<u32>,
    /// Sequences acked since the last [`take_newly_acked`](Terminal::take_newly_acked).
    newly_acked: Vec<u32>,
    out: Vec<(u64, u8, Vec<u8>, u64)>,
    mac_seq: u16,
    stats: TerminalStats,
    /// Its peripheral group and initial state, when it is a group member.
    group: Option<GroupAssignmentRepr>,
    /// In standby: no readings, listening only to the beacons that may wake it.
    standby: bool,
    /// Listening to the downlink parts until then (woken for a group request).
    awake_until: Option<u64>,
    /// With next-slot wake: the superframe (start) whose beacon it listens to next.
    slot_beacon: Option<u64>,
    /// When it last left standby.
    woke_at: Option<u64>,
    /// Group requests handed to its application, once each.
    receipts: Vec<GroupReceipt>,
    /// Group-request frames received (copies included).
    group_frames: u64,
    /// When its clock was last set from the gateway's (true µs).
    last_sync: u64,
    /// The superframe (start) whose beacon it woke for, before its next window.
    beacon_for: Option<u64>,
}

impl Terminal {
    /// A terminal, off until `cfg.boot_us`.
    pub fn new(cfg: TerminalConfig) -> Terminal {
        Terminal {
            rng: Rng::new(cfg.seed),
            cfg,
            phase: Phase::Off,
            gateway: None,
            nonce: [0; 8],
            proof_counter: 0,
            attempts: 0,
            discovery_rounds: 0,
            keying_failures: 0,
            join_failures: 0,
            supplicant: None,
            eap_peer: None,
            eap_last: None,
            eap_config: None,
            deadline: None,
            aid: 0,
            service: None,
            allocation: None,
            dialog_token: 0,
            next_window: None,
            indicated: None,
            seq: 0,
            outbox: BTreeMap::new(),
            acked: BTreeSet::new(),
            newly_acked: Vec::new(),
            out: Vec::new(),
            mac_seq: 0,
            stats: TerminalStats::default(),
            group: None,
            standby: false,
            awake_until: None,
            slot_beacon: None,
            woke_at: None,
            receipts: Vec::new(),
            group_frames: 0,
            last_sync: 0,
            beacon_for: None,
        }
    }

    /// The service SID it asks for.
    pub fn service(&self) -> &Sid {
        &self.cfg.service
    }

    /// Its MAC address.
    pub fn mac(&self) -> MacAddr {
        self.cfg.mac
    }

    /// Where it is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether it holds a configuration (service information), from any delivery.
    pub fn configured(&self) -> bool {
        self.service.is_some()
    }

    /// Its AID once associated.
    pub fn aid(&self) -> u16 {
        self.aid
    }

    /// Its counters.
    pub fn stats(&self) -> TerminalStats {
        self.stats
    }

    /// Sequence numbers the gateway acked (stored or duplicate).
    pub fn acked(&self) -> &BTreeSet<u32> {
        &self.acked
    }

    /// The sequences acked since the last call, in the order the acks came.
    pub fn take_newly_acked(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.newly_acked)
    }

    /// Reports made but not acked yet.
    pub fn unacked(&self) -> usize {
        self.outbox.len()
    }

    /// The MCS it sends at.
    pub fn mcs(&self) -> Mcs {
        self.cfg.mcs
    }

    /// Its group assignment, if it is a group member.
    pub fn group(&self) -> Option<GroupAssignmentRepr> {
        self.group
    }

    /// Whether it is in standby now.
    pub fn in_standby(&self) -> bool {
        self.standby
    }

    /// Group requests its application got (each once), in order.
    pub fn receipts(&self) -> &[GroupReceipt] {
        &self.receipts
    }

    /// Group-request frames it received, copies included.
    pub fn group_frames(&self) -> u64 {
        self.group_frames
    }

    /// The window it was granted.
    pub fn allocation(&self) -> Option<ServiceTimeRepr> {
        self.allocation
    }

    /// The channel it uses now: its window's once scheduled, else its join channel.
    pub fn channel(&self) -> u8 {
        match (self.phase, self.allocation) {
            (Phase::Reporting, Some(a)) => a.channel,
            _ => self.cfg.channel,
        }
    }

    /// Whether it wants beacons now (scanning, waiting for an indication, or woken to
    /// resynchronise its clock before a window).
    pub fn wants_beacon(&self) -> bool {
        self.phase == Phase::Scanning
            || (self.phase == Phase::Reporting && self.beacon_for.is_some())
            || (self.phase == Phase::Reporting
                && (self.cfg.wait_for_indication || self.group.is_some()))
    }

    /// Whether its receiver is on at `t` on `channel`: always while joining, and in the
    /// downlink part while it has unacked reports (or waits for an indication) once
    /// reporting.
    pub fn listening(&self, t: u64, channel: u8) -> bool {
        if channel != self.channel() {
            return false;
        }
        match self.phase {
            Phase::Off | Phase::GaveUp(_) => false,
            Phase::Reporting => {
                let tl = &self.cfg.timeline;
                let start = tl.superframe_start(t);
                let into = t - start;
                let group_beacon = match self.group.map(|g| g.wake) {
                    Some(WakeMode::Tim) => true,
                    Some(WakeMode::NextSlot) => self.slot_beacon == Some(start),
                    None => false,
                };
                if into < tl.beacon_us && (group_beacon || self.beacon_for == Some(start)) {
                    return true;
                }
                if into < tl.downlink_us && self.awake_until.is_some_and(|u| t < u) {
                    return true;
                }
                !self.standby
                    && into < tl.downlink_us
                    && (!self.outbox.is_empty() || self.cfg.wait_for_indication)
            }
            _ => true,
        }
    }

    /// When [`on_timer`](Self::on_timer) must run next.
    pub fn next_timer(&self) -> Option<u64> {
        let mut t = match self.phase {
            Phase::Off => Some(self.cfg.boot_us),
            Phase::GaveUp(_) => None,
            Phase::Reporting => self.next_window.map(|w| self.window_timer(w)),
            _ => self.deadline,
        };
        if self.phase == Phase::Reporting {
            if let Some(r) = self.outbox.values().map(|o| o.retry_at).min() {
                t = Some(t.map_or(r, |x| x.min(r)));
            }
        }
        t
    }

    /// Takes its transmissions: `(start µs, channel, PSDU with FCS, airtime µs)`.
    pub fn drain(&mut self) -> Vec<(u64, u8, Vec<u8>, u64)> {
        std::mem::take(&mut self.out)
    }

    /// Timers due at `now`.
    pub fn on_timer(&mut self, now: u64) {
        match self.phase {
            Phase::Off if now >= self.cfg.boot_us => self.start_discovery(now),
            Phase::Scanning
            | Phase::Probing
            | Phase::Authenticating
            | Phase::Associating
            | Phase::Keying
            | Phase::Requesting
                if self.deadline.is_some_and(|d| now >= d) =>
            {
                self.on_answer_timeout(now);
            }
            Phase::Reporting => {
                self.wake_for_beacon(now);
                self.on_window(now);
                self.retry_due(now);
            }
            _ => {}
        }
    }

    /// Where, in true time, its drifting clock puts the gateway's TSF `tsf` (µs): its clock
    /// counts `tsf − last sync` µs while that divided by (1 + ppm) pass.
    fn local_to_true(&self, tsf: u64) -> u64 {
        if self.cfg.clock_ppm == 0.0 || tsf <= self.last_sync {
            return tsf;
        }
        let elapsed = (tsf - self.last_sync) as f64 / (1.0 + self.cfg.clock_ppm * 1e-6);
        self.last_sync + elapsed.round() as u64
    }

    /// Whether window `w` lies so far from the last sync that it must hear a beacon first.
    fn needs_sync(&self, w: u64) -> bool {
        self.cfg.resync_on_beacon
            && w.saturating_sub(self.last_sync) as f64 * self.cfg.clock_ppm.abs() * 1e-6
                > SYNC_TOLERANCE_US
    }

    /// When it wakes for the beacon before window `w`, if its clock needs one: a little
    /// before that superframe — by a lead plus twice the drift its clock may have gathered,
    /// so that it is awake before the beacon whichever way the crystal is off.
    fn beacon_wake_at(&self, w: u64) -> Option<u64> {
        if !self.needs_sync(w) {
            return None;
        }
        let sf = self.cfg.timeline.superframe_start(w);
        let drift = sf.saturating_sub(self.last_sync) as f64 * self.cfg.clock_ppm.abs() * 1e-6;
        let lead = BEACON_WAKE_LEAD_US + (2.0 * drift) as u64;
        (sf > lead).then(|| self.local_to_true(sf - lead))
    }

    /// When the timer for window `w` fires: at the wake-up for its beacon when the clock
    /// needs one and it is not awake for it yet, else at the window as its clock places it.
    fn window_timer(&self, w: u64) -> u64 {
        let sf = self.cfg.timeline.superframe_start(w);
        let at = self.local_to_true(w);
        match self.beacon_wake_at(w) {
            Some(wake) if self.beacon_for != Some(sf) => wake.min(at),
            _ => at,
        }
    }

    /// At the wake-up before a window that needs a sync: listen to that superframe's beacon.
    fn wake_for_beacon(&mut self, now: u64) {
        let Some(w) = self.next_window else {
            return;
        };
        let sf = self.cfg.timeline.superframe_start(w);
        if self.beacon_for == Some(sf) || now >= self.local_to_true(w) {
            return;
        }
        if self.beacon_wake_at(w).is_some_and(|wake| now >= wake) {
            self.beacon_for = Some(sf);
            self.stats.beacon_wakes += 1;
        }
    }

    /// Timers due at `now` once no more readings are to be made: windows pass unused, unacked
    /// reports are still retried (the end of a simulation).
    pub fn on_timer_retries_only(&mut self, now: u64) {
        if self.phase == Phase::Reporting {
            self.wake_for_beacon(now);
            self.advance_window(now);
            self.retry_due(now);
        } else {
            self.on_timer(now);
        }
    }

    /// A frame received at `now` (its end) on `channel`.
    pub fn on_frame(&mut self, now: u64, channel: u8, psdu: &[u8]) {
        if !self.listening(now.saturating_sub(1), channel) && !self.listening(now, channel) {
            return;
        }
        let Ok(frame) = strip_fcs(psdu).and_then(Frame::parse) else {
            return;
        };
        match frame {
            Frame::S1gBeacon(b) => {
                // The beacon's timestamp sets its clock.
                self.last_sync = now;
                if self.beacon_for == Some(self.cfg.timeline.superframe_start(now)) {
                    self.stats.beacon_syncs += 1;
                    self.beacon_for = None;
                }
                self.on_beacon(now, b)
            }
            Frame::ProbeResponse(p) if p.header.addr1 == self.cfg.mac => {
                if self.phase != Phase::Probing {
                    return;
                }
                let Ok(c) = Carried::from_elements(&p.elements) else {
                    return;
                };
                if c.not_supported.is_some() || !c.has_sid_list {
                    self.phase = Phase::GaveUp(GiveUp::NotSupported);
                    return;
                }
                self.gateway = Some(p.header.addr2);
                // Answered: earlier unanswered rounds were collisions or loss, not silence.
                self.discovery_rounds = 0;
                self.send_auth(now);
            }
            Frame::Authentication(a) if a.header.addr1 == self.cfg.mac => {
                if self.phase != Phase::Authenticating || a.transaction_seq != 2 {
                    return;
                }
                if a.status != StatusCode::Success {
                    let c = Carried::from_elements(&a.elements).unwrap_or_default();
                    self.phase = Phase::GaveUp(if c.not_supported.is_some() {
                        GiveUp::NotSupported
                    } else {
                        GiveUp::Refused(u16::from(a.status))
                    });
                    return;
                }
                let Some(nonce) = nonce_of(&a.elements) else {
                    return;
                };
                self.gateway = Some(a.header.addr2);
                self.nonce = nonce;
                self.send_assoc(now);
            }
            Frame::AssociationResponse(a) if a.header.addr1 == self.cfg.mac => {
                if self.phase != Phase::Associating {
                    return;
                }
                if a.status != StatusCode::Success {
                    if a.status == StatusCode::RejectedTemporarily {
                        self.restart(now);
                    } else {
                        self.phase = Phase::GaveUp(GiveUp::Refused(u16::from(a.status)));
                    }
                    return;
                }
                let Ok(c) = Carried::from_elements(&a.elements) else {
                    return;
                };
                let aid = a
                    .elements
                    .iter()
                    .find(|e| e.id() == ElementId::AidResponse)
                    .and_then(|e| e.body().get(..2))
                    .map(|b| u16::from_le_bytes([b[0], b[1]]) & 0x1FFF);
                if let (Some(aid), None, None) = (aid, &c.service, &c.service_time) {
                    // No configuration in the response: it comes in the 4-way handshake.
                    self.start_keying(now, aid, a.header.addr2);
                    return;
                }
                let (Some(aid), Some(service), Some(time)) = (aid, c.service, c.service_time)
                else {
                    return;
                };
                self.aid = aid;
                self.service = Some(service);
                self.allocation = Some(time);
                self.group = c.group;
                self.dialog_token = self.dialog_token.wrapping_add(1);
                self.attempts = 0;
                self.send_resource_request(now);
            }
            Frame::Action(a)
                if a.header.addr1 == self.cfg.mac
                    || self
                        .group
                        .is_some_and(|g| a.header.addr1 == group_address(g.group)) =>
            {
                let Ok(action) = action_of(&a) else {
                    return;
                };
                // A frame from the gateway at a known offset from its own (an ack SIFS after
                // the report) sets its clock too.
                self.last_sync = now;
                self.on_action(now, action);
            }
            Frame::Data(d) if d.header.addr1 == self.cfg.mac && self.phase == Phase::Keying => {
                self.on_eapol(now, &d);
            }
            Frame::Deauthentication(d)
                if d.header.addr1 == self.cfg.mac
                    && !matches!(self.phase, Phase::Off | Phase::GaveUp(_)) =>
            {
                self.stats.rejoins += 1;
                self.restart(now);
            }
            _ => {}
        }
    }

    fn on_beacon(&mut self, now: u64, b: subgate_control::wire::s1g_beacon::Repr) {
        let Ok(c) = Carried::from_elements(&b.elements) else {
            return;
        };
        if self.phase == Phase::Reporting && self.group.is_some_and(|g| c.wake.contains(&g.group)) {
            // Named: listen to the downlink parts while the gateway keeps naming the
            // group (this superframe's and the next).
            let tl = self.cfg.timeline;
            self.awake_until = Some(tl.superframe_start(now) + 2 * tl.superframe_us);
            if self.standby {
                self.standby = false;
                self.woke_at = Some(now);
            }
        }
        match self.phase {
            Phase::Scanning => {
                self.gateway = Some(b.sa);
                if c.sids.contains(&self.cfg.service) {
                    self.discovery_rounds = 0;
                    self.send_auth(now);
                } else {
                    self.send_probe(now);
                }
            }
            Phase::Reporting
                if self.cfg.wait_for_indication
                    && c.indications.iter().any(|i| i.names_aid(self.aid)) =>
            {
                self.indicated = Some(self.cfg.timeline.superframe_start(now));
            }
            _ => {}
        }
    }

    fn on_action(&mut self, now: u64, action: M2mAction) {
        match action {
            M2mAction::ResourceResponse(r) if self.phase == Phase::Requesting => {
                if r.dialog_token != self.dialog_token {
                    return;
                }
                match (r.result, r.allocation) {
                    (ResourceResult::Accept | ResourceResult::CounterProposal, Some(a)) => {
                        self.allocation = Some(a);
                        self.phase = Phase::Reporting;
                        self.join_failures = 0;
                        self.standby = self.group.is_some_and(|g| g.standby);
                        self.deadline = None;
                        self.next_window = Some(self.first_window_from(now));
                    }
                    _ => self.restart(now),
                }
            }
            // Acks are idempotent: taken in any phase (one may arrive while rejoining).
            M2mAction::ReportAck(ack) => {
                if matches!(ack.status, AckStatus::Stored | AckStatus::Duplicate) {
                    for s in ack.sequences {
                        if (self.outbox.remove(&s).is_some() || ack.status == AckStatus::Stored)
                            && self.acked.insert(s)
                        {
                            self.newly_acked.push(s);
                        }
                    }
                }
            }
            M2mAction::GroupRequest(r) if self.group.is_some_and(|g| g.group == r.group) => {
                self.group_frames += 1;
                if !self.receipts.iter().any(|x| x.request == r.request) {
                    self.receipts.push(GroupReceipt {
                        request: r.request,
                        at_us: now,
                        woke_at_us: self.woke_at,
                    });
                }
                // Acked every time: an earlier ack may have been lost.
                let ack = M2mAction::GroupAck(GroupAckRepr {
                    group: r.group,
                    request: r.request,
                });
                let at = self.contention_slot(now, action_psdu_len(&ack));
                let ch = self.channel();
                self.transmit_action(at, ch, ack);
            }
            M2mAction::ReportPoll(_) if self.phase == Phase::Reporting => {
                self.stats.polls += 1;
                if self.outbox.is_empty() {
                    self.make_report(now);
                }
                if let Some(o) = self.outbox.values_mut().next() {
                    o.retry_at = now;
                }
                self.retry_due(now);
            }
            _ => {}
        }
    }

    /// The first window start at or after `now`.
    fn first_window_from(&self, now: u64) -> u64 {
        let Some(a) = self.allocation else {
            return u64::MAX;
        };
        let p = self.period_us();
        let t0 = a.window.initial_time;
        if now <= t0 {
            t0
        } else {
            t0 + (now - t0).div_ceil(p) * p
        }
    }

    /// Its report period, µs (1 before it has an allocation).
    fn period_us(&self) -> u64 {
        self.allocation
            .map_or(1, |a| u64::from(a.period).saturating_mul(1_000_000).max(1))
    }

    /// Moves `next_window` past `now` if it is due (by its own clock); returns the window
    /// that was due.
    fn advance_window(&mut self, now: u64) -> Option<u64> {
        let w = self.next_window.filter(|&w| now >= self.local_to_true(w))?;
        let p = self.period_us();
        self.next_window = Some(w + p * (now.saturating_sub(w) / p + 1));
        self.beacon_for = None;
        Some(w)
    }

    fn on_window(&mut self, now: u64) {
        let Some(w) = self.advance_window(now) else {
            return;
        };
        if self.group.is_some_and(|g| g.wake == WakeMode::NextSlot) {
            let tl = self.cfg.timeline;
            self.slot_beacon = Some(tl.superframe_start(w) + tl.superframe_us);
        }
        if self.standby {
            // Asleep: no reading, no report.
            return;
        }
        if self.cfg.wait_for_indication
            && self.indicated != Some(self.cfg.timeline.superframe_start(w))
        {
            // Not named in this superframe's beacon (or the beacon was lost): the reading
            // waits in the outbox for a poll or a retry.
            self.stats.skipped += 1;
            self.make_report(now);
            return;
        }
        let seq = self.make_report(now);
        if let Some(o) = self.outbox.get_mut(&seq) {
            o.sends += 1;
        }
        self.stats.sent += 1;
        let report = self.outbox.get(&seq).map(|o| o.report.clone());
        if let (Some(r), Some(ch)) = (report, self.allocation.map(|a| a.channel)) {
            self.transmit_action(now, ch, M2mAction::Report(r));
        }
    }

    /// A new reading in the outbox; returns its sequence number.
    fn make_report(&mut self, now: u64) -> u32 {
        let amount = self.service.as_ref().map_or(16, |s| s.data_amount) as usize;
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let mut payload = vec![0u8; amount];
        for (i, b) in payload.iter_mut().enumerate() {
            *b = (seq as usize).wrapping_add(i) as u8;
        }
        self.stats.generated += 1;
        self.outbox.insert(
            seq,
            Outgoing {
                report: ReportRepr {
                    sequence: seq,
                    sid: self.cfg.service.clone(),
                    timestamp: now,
                    data_format: DataFormat::Opaque,
                    payload,
                },
                retry_at: now.saturating_add(self.cfg.ack_timeout_us),
                sends: 0,
            },
        );
        seq
    }

    /// Sends the oldest report whose retry time has come, in a contention part (one per call,
    /// so a backlog does not flood the contention part).
    fn retry_due(&mut self, now: u64) {
        let Some((&seq, _)) = self.outbox.iter().find(|(_, o)| o.retry_at <= now) else {
            return;
        };
        let Some(ch) = self.allocation.map(|a| a.channel) else {
            return;
        };
        let Some(o) = self.outbox.get(&seq) else {
            return;
        };
        let report = o.report.clone();
        let sends = o.sends;
        let psdu_len = action_psdu_len(&M2mAction::Report(report.clone()));
        let at = self.contention_slot(now, psdu_len);
        let backoff = self
            .cfg
            .ack_timeout_us
            .saturating_mul(1 << sends.min(3))
            .saturating_add(self.rng.below(self.cfg.timeline.superframe_us.max(1)));
        if let Some(o) = self.outbox.get_mut(&seq) {
            o.sends += 1;
            o.retry_at = at.saturating_add(backoff);
        }
        self.stats.sent += 1;
        self.stats.retries += 1;
        self.transmit_action(at, ch, M2mAction::Report(report));
    }

    fn start_discovery(&mut self, now: u64) {
        self.attempts = 0;
        match self.cfg.discovery {
            Discovery::Passive => {
                self.phase = Phase::Scanning;
                self.deadline = Some(now + ANSWER_SUPERFRAMES * self.cfg.timeline.superframe_us);
            }
            Discovery::Active => self.send_probe(now),
        }
    }

    /// Back to discovery after a random pause (outbox and sequence numbers kept). After two
    /// joins in a row ended unanswered the pause doubles each time, from 30 s to an hour: a
    /// battery meter that hears the gateway's beacons but is not heard (the gateway's link is
    /// the stronger one) sleeps instead of scanning all day.
    fn restart(&mut self, now: u64) {
        self.phase = Phase::Off;
        self.aid = 0;
        self.supplicant = None;
        self.allocation = None;
        self.next_window = None;
        let backoff = match self.join_failures {
            0 | 1 => 0,
            n => (JOIN_BACKOFF_US << (n - 2).min(7)).min(MAX_JOIN_BACKOFF_US),
        };
        self.cfg.boot_us =
            now + backoff + self.rng.below(10 * self.cfg.timeline.superframe_us.max(1));
    }

    fn on_answer_timeout(&mut self, now: u64) {
        self.attempts += 1;
        if self.phase == Phase::Keying {
            // The gateway drives the handshake's retransmissions; the terminal only waits,
            // and starts over when it never gets a usable message 3.
            if self.attempts >= MAX_ATTEMPTS {
                self.keying_failures += 1;
                if self.keying_failures >= MAX_DISCOVERY_ROUNDS {
                    self.phase = Phase::GaveUp(GiveUp::Keying);
                    return;
                }
                self.restart(now);
            } else {
                self.set_wait(Phase::Keying, now);
            }
            return;
        }
        if self.attempts >= MAX_ATTEMPTS {
            self.join_failures = self.join_failures.saturating_add(1);
            // Unanswered probes: silence or collisions, which a terminal cannot tell apart;
            // it scans again a few times before concluding it is ignored.
            if matches!(self.phase, Phase::Probing) {
                self.discovery_rounds += 1;
                let scan = &self.cfg.scan_channels;
                if let Some(i) = scan.iter().position(|&c| c == self.cfg.channel) {
                    self.cfg.channel = scan[(i + 1) % scan.len()];
                }
                if self.discovery_rounds >= MAX_DISCOVERY_ROUNDS {
                    self.phase = Phase::GaveUp(GiveUp::Ignored);
                    return;
                }
            }
            self.restart(now);
            return;
        }
        match self.phase {
            Phase::Scanning => self.send_probe(now),
            Phase::Probing => self.send_probe(now),
            Phase::Authenticating => self.send_auth(now),
            Phase::Associating => self.send_assoc(now),
            Phase::Requesting => self.send_resource_request(now),
            _ => {}
        }
    }

    /// Associated with `aid` but without configuration: wait for the handshake's message 1.
    fn start_keying(&mut self, now: u64, aid: u16, gateway: MacAddr) {
        if self.cfg.eap {
            self.aid = aid;
            self.gateway = Some(gateway);
            self.attempts = 0;
            let seed = self.random32();
            self.eap_peer = Some(PwdPeer::new(
                self.eap_identity().as_bytes(),
                aaa_secret(&self.cfg.psk).as_bytes(),
                seed,
            ));
            self.eap_config = None;
            self.eap_last = None;
            self.supplicant = None;
            self.set_wait(Phase::Keying, now);
            return;
        }
        let Some(pmk) = self.cfg.pmk.clone() else {
            self.phase = Phase::GaveUp(GiveUp::Keying);
            return;
        };
        self.aid = aid;
        self.gateway = Some(gateway);
        self.attempts = 0;
        self.start_supplicant(pmk, Akm::Psk, gateway);
        self.set_wait(Phase::Keying, now);
    }

    /// An EAPOL frame while keying: message 1 → message 2; message 3 → message 4, then the
    /// configuration it carried is taken as an association response's would be.
    fn on_eapol(&mut self, now: u64, d: &DataRepr) {
        if let Some(pdu) = eapol::pdu_of(&d.body) {
            if pdu.get(1) == Some(&u8::from(eapol::PacketType::EapPacket)) {
                self.on_eap(now, pdu);
                return;
            }
        }
        let (Some(pdu), Some(s)) = (eapol::pdu_of(&d.body), self.supplicant.as_mut()) else {
            return;
        };
        match s.on_message(pdu) {
            Ok(SuppStep::Send(m2)) => self.send_eapol(now, &m2),
            Ok(SuppStep::Done(delivered)) => {
                self.send_eapol(now, &delivered.message4);
                let carried = delivered
                    .config
                    .and_then(|b| subgate_control::wire::ie::parse_list(&b).ok())
                    .and_then(|ies| Carried::from_elements(&ies).ok());
                if let Some(g) = carried.as_ref().and_then(|c| c.group) {
                    self.group = Some(g);
                }
                let from_m3 = carried.and_then(|c| c.service.zip(c.service_time));
                let Some((service, time)) = from_m3.or_else(|| self.eap_config.take()) else {
                    return;
                };
                self.keying_failures = 0;
                self.service = Some(service);
                self.allocation = Some(time);
                self.dialog_token = self.dialog_token.wrapping_add(1);
                self.attempts = 0;
                self.send_resource_request(now);
            }
            Err(_) => {} // forged, stale or (wrong passphrase) unverifiable: wait on
        }
    }

    /// 32 bytes from its random stream (SNonce, EAP-pwd seed).
    fn random32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        out
    }

    /// A fresh supplicant for a 4-way handshake with `gateway` keyed by `pmk`.
    fn start_supplicant(&mut self, pmk: Pmk, akm: Akm, gateway: MacAddr) {
        let snonce = self.random32();
        self.supplicant = Some(Supplicant::new(pmk, akm, self.cfg.mac, gateway, snonce));
    }

    /// Its EAP identity: the name of its M2M user id (the AAA server's User-Name).
    fn eap_identity(&self) -> String {
        match &self.cfg.user {
            Sid::User(name) => name.to_string(),
            other => other.to_string(),
        }
    }

    /// An EAP packet while authenticating by 802.1X: identity and EAP-pwd requests are
    /// answered; the success gives the MSK (the handshake's PMK) and, behind it, maybe the
    /// configuration; a failure ends keying.
    fn on_eap(&mut self, now: u64, pdu: &[u8]) {
        let Some(body) = eapol::eap_of(pdu) else {
            return;
        };
        let Ok((packet, trailer)) = EapPacket::parse(&body) else {
            return;
        };
        if let Some((id, resp)) = &self.eap_last {
            if packet.code == EapCode::Request && packet.identifier == *id {
                let resp = resp.clone();
                self.send_eapol(now, &resp);
                return;
            }
        }
        let Some(peer) = self.eap_peer.as_mut() else {
            return;
        };
        let reply = match packet.code {
            EapCode::Request if packet.kind() == Some(subgate_control::eap::TYPE_IDENTITY) => {
                EapPacket::identity_response(packet.identifier, self.eap_identity().as_bytes())
            }
            EapCode::Request => match peer.on_request(&packet) {
                Ok(r) => r,
                Err(_) => return,
            },
            EapCode::Success => {
                let Some(msk) = peer.msk() else {
                    return;
                };
                if !trailer.is_empty() {
                    self.eap_config = success_config::open(&msk, trailer)
                        .ok()
                        .and_then(|b| subgate_control::wire::ie::parse_list(&b).ok())
                        .and_then(|ies| Carried::from_elements(&ies).ok())
                        .and_then(|c| c.service.zip(c.service_time));
                }
                let (Some(gw), Ok(pmk)) = (self.gateway, Pmk::from_msk(&msk)) else {
                    return;
                };
                self.start_supplicant(pmk, Akm::Ieee8021x, gw);
                return;
            }
            EapCode::Failure => {
                // Refused (or the server failed: FreeRADIUS 3.2.1 rejects about one EAP-pwd
                // run in 300 right after the ID exchange, docs/aaa.md): start over a few
                // times, as a supplicant does, then give up.
                self.keying_failures += 1;
                if self.keying_failures >= MAX_DISCOVERY_ROUNDS {
                    self.phase = Phase::GaveUp(GiveUp::Keying);
                } else {
                    self.restart(now);
                }
                return;
            }
            EapCode::Response => return,
        };
        let eap = reply.to_bytes().unwrap_or_default();
        let pdu = eapol::eap_pdu(&eap);
        self.eap_last = Some((packet.identifier, pdu.clone()));
        self.send_eapol(now, &pdu);
        // Progress: the conversation's next step gets a full wait of its own.
        self.attempts = 0;
        self.set_wait(Phase::Keying, now);
    }

    fn send_eapol(&mut self, now: u64, pdu: &[u8]) {
        let Some(gw) = self.gateway else {
            return;
        };
        let mut header = self.header(gw);
        header.flags = fc_flags::TO_DS;
        let f = Frame::Data(eapol::data_frame(header, pdu));
        let ch = self.cfg.channel;
        self.transmit_contention(now, ch, &f);
    }

    fn set_wait(&mut self, phase: Phase, sent_at: u64) {
        self.phase = phase;
        let tl = &self.cfg.timeline;
        let jitter = self.rng.below(tl.superframe_us.max(1));
        self.deadline = Some(sent_at + ANSWER_SUPERFRAMES * tl.superframe_us + jitter);
    }

    fn header(&mut self, to: MacAddr) -> HeaderRepr {
        self.mac_seq = (self.mac_seq + 1) % SeqCtrl::SEQ_MODULO;
        HeaderRepr {
            flags: 0,
            duration: 0,
            addr1: to,
            addr2: self.cfg.mac,
            addr3: if to.is_group() {
                MacAddr::BROADCAST
            } else {
                to
            },
            seq_ctrl: SeqCtrl::new(self.mac_seq, 0),
        }
    }

    fn sid_list(&self) -> Option<Ie> {
        M2mElement::SidList(SidList {
            sids: vec![self.cfg.user.clone(), self.cfg.service.clone()],
        })
        .to_ie()
        .ok()
    }

    fn send_probe(&mut self, now: u64) {
        let h = self.header(MacAddr::BROADCAST);
        let elements = M2mElement::SidList(SidList {
            sids: vec![self.cfg.service.clone()],
        })
        .to_ie()
        .into_iter()
        .collect();
        let f = Frame::ProbeRequest(ProbeRequestRepr {
            header: h,
            elements,
        });
        let at = self.transmit_contention(now, self.cfg.channel, &f);
        self.set_wait(Phase::Probing, at);
    }

    fn send_auth(&mut self, now: u64) {
        let Some(gw) = self.gateway else {
            return;
        };
        let h = self.header(gw);
        let f = Frame::Authentication(AuthenticationRepr {
            header: h,
            algorithm: AuthAlgorithm::OpenSystem,
            transaction_seq: 1,
            status: StatusCode::Success,
            elements: self.sid_list().into_iter().collect(),
        });
        let at = self.transmit_contention(now, self.cfg.channel, &f);
        self.set_wait(Phase::Authenticating, at);
    }

    fn send_assoc(&mut self, now: u64) {
        let Some(gw) = self.gateway else {
            return;
        };
        self.proof_counter = self.proof_counter.wrapping_add(1);
        let reg = match self.cfg.path {
            RegistrationPath::M2mServer => {
                indication(&self.cfg.psk, self.cfg.mac, self.nonce, self.proof_counter)
            }
            RegistrationPath::Aaa => {
                aaa_indication(&self.cfg.psk, self.cfg.mac, self.nonce, self.proof_counter)
            }
        };
        let h = self.header(gw);
        let mut elements: Vec<Ie> = self.sid_list().into_iter().collect();
        if !self.cfg.eap {
            elements.extend(M2mElement::Registration(reg).to_ie());
        }
        let f = Frame::AssociationRequest(AssociationRequestRepr {
            header: h,
            capability: 0,
            listen_interval: 0,
            elements,
        });
        let at = self.transmit_contention(now, self.cfg.channel, &f);
        self.set_wait(Phase::Associating, at);
    }

    fn send_resource_request(&mut self, now: u64) {
        let (Some(gw), Some(a)) = (self.gateway, self.allocation) else {
            return;
        };
        let proposal = match self.cfg.own_window_offset_us {
            Some(off) => {
                let p = u64::from(a.period) * 1_000_000;
                let base = now - now % p.max(1) + p;
                TimeWindow {
                    initial_time: base + off % p.max(1),
                    duration: a.window.duration,
                }
            }
            None => a.window,
        };
        let h = self.header(gw);
        let action = M2mAction::ResourceRequest(ResourceRequestRepr {
            dialog_token: self.dialog_token,
            proposal,
        });
        let Ok(f) = action_frame(h, &action) else {
            return;
        };
        let at = self.transmit_contention(now, self.cfg.channel, &f);
        self.set_wait(Phase::Requesting, at);
    }

    /// A random start in the first contention part at or after `now` where a frame of
    /// `psdu_len` bytes fits.
    fn contention_slot(&mut self, now: u64, psdu_len: usize) -> u64 {
        let tl = self.cfg.timeline;
        let air = airtime_us(self.cfg.format, self.cfg.mcs, psdu_len);
        let mut s = tl.superframe_start(now);
        loop {
            let (a, b) = tl.contention(s);
            let lo = a.max(now);
            if lo + air < b {
                return lo + self.rng.below(b - air - lo);
            }
            s += tl.superframe_us.max(1);
        }
    }

    fn transmit_contention(&mut self, now: u64, channel: u8, f: &Frame) -> u64 {
        let psdu = with_fcs(&f.to_bytes());
        let at = self.contention_slot(now, psdu.len());
        let air = airtime_us(self.cfg.format, self.cfg.mcs, psdu.len());
        self.out.push((at, channel, psdu, air));
        at
    }

    fn transmit_action(&mut self, at: u64, channel: u8, action: M2mAction) {
        let Some(gw) = self.gateway else {
            return;
        };
        let h = self.header(gw);
        let Ok(f) = action_frame(h, &action) else {
            return;
        };
        let psdu = with_fcs(&f.to_bytes());
        let air = airtime_us(self.cfg.format, self.cfg.mcs, psdu.len());
        self.out.push((at, channel, psdu, air));
    }
}
