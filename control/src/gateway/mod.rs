//! The gateway itself: everything of the access point's side of the M2M service that runs on
//! frames (issue 4; DESIGN §1, §4). [`Gateway`] is a deterministic state machine in the
//! smoltcp mould — no sockets, no clock, no threads: it is handed received PSDUs with the
//! time they ended ([`Gateway::handle_rx`]), is polled at the times it asks for
//! ([`Gateway::poll`], [`Gateway::next_wakeup`]), and hands back the PSDUs to transmit with
//! their channel and start time ([`Gateway::drain_transmissions`]). [`runtime`] drives it
//! from tokio channels and tokio's clock; the testbench drives it from a discrete-event
//! simulation, so a simulated day runs in seconds.
//!
//! What it does with each frame (sequence in docs/protocol.md §6):
//! - **Probe request**: SID filter ([`SidFilter`]) → probe response with the matched SIDs,
//!   a "SID not supported" answer, or silence (config `service.unmatched`). No state.
//! - **Authentication**: the same filter on the request's SIDs runs *before* any station
//!   state exists ([`Stations::get_or_insert_after_filter`] needs its token); then an open
//!   system response carrying an 8-byte gateway nonce (challenge-text element) for the
//!   registration proof.
//! - **Association request**: SIDs filtered again, AID reserved, the [`Registrar`] asked
//!   with the request's SIDs, registration indication and the station's nonce. Success: the
//!   scheduler allocates a window sized from the service's data amount, and the association
//!   response carries AID, service information and service time. Failure: the refusal
//!   status code of [`RegistrationError::status_code`](crate::registrar::RegistrationError)
//!   and no configuration at all; the station is forgotten.
//! - **Resource request** (action): confirms the configuration, then the scheduler accepts
//!   the proposal or counter-proposes the nearest free window; a repeated dialog token gets
//!   the same answer again.
//! - **Report** (action): from a scheduled station, kept in memory until the next commit;
//!   all reports received since the last commit are stored in one SQLite transaction (one
//!   fsync) at the start of a superframe every `store.commit_interval_ms`, and only then
//!   acked (stored / duplicate), in that superframe's downlink part. From anyone else: a
//!   deauthentication, so the terminal joins again (its reports stay in its outbox).
//! - **Deauthentication / disassociation** from a terminal: station gone, window freed.
//!
//! At the start of every superframe ([`timeline`]) the gateway commits (when due), sends a
//! beacon on every channel with its served SIDs and the broadcast report indication of the
//! AIDs whose windows fall in this superframe, runs the station deadlines (a missed window
//! is answered with a unicast report poll when `scheduler.poll_missed`; exhausted retries
//! deregister the station and free its window), and hands closed batches to the
//! [`Northbound`].

pub mod runtime;
pub mod timeline;

mod beacon;
pub mod charging;
mod dot1x;
pub mod groups;
mod guard;
mod join;
mod keying;
mod reports;
mod uplink;

use std::collections::HashMap;

use subgate_dsp::{Format, Mcs, TxRequest};

use crate::aggregate::{AggregateError, Aggregator, Northbound};
use crate::config::{Config, ConfigError, Delivery};
use crate::registrar::Registrar;
use crate::regulatory::{FrameClass, LimitUse, TxGovernor};
use crate::rsn::{Gtk, Pmk};
use crate::scheduler::{airtime_us, ConfigError as SchedulerConfigError, Scheduler};
use crate::station::{SidFilter, Stations, Timeouts, Unmatched};
use crate::store::{IncomingReport, Store};
use crate::wire::m2m::{ResourceResponseRepr, ServiceInfoRepr, Sid};
use crate::wire::mac::{HeaderRepr, SeqCtrl};
use crate::wire::{with_fcs, Frame, MacAddr};

pub use timeline::{Downlink, Timeline};

/// Superframes between aggregation runs when nothing was committed (age-closed batches).
const AGGREGATE_EVERY: u64 = 10;

/// Superframes ahead the downlink queue may run before a frame is dropped (and counted).
const MAX_DOWNLINK_AHEAD: u64 = 30;

/// Superframes a frame held back by a transmit limit is tried again before it is dropped.
const LIMIT_DEFER_SUPERFRAMES: u64 = 3;

/// One PSDU for the radio: when, where, and the PHY request.
#[derive(Debug, Clone, PartialEq)]
pub struct Transmission {
    /// Channel number.
    pub channel: u8,
    /// Start of the PPDU, µs on the gateway's clock.
    pub at_us: u64,
    /// Length on air, µs.
    pub airtime_us: u64,
    /// The PSDU (with FCS) and how to send it.
    pub request: TxRequest,
}

/// What went on, counted since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct GatewayStats {
    /// PSDUs received.
    pub rx_frames: u64,
    /// Received PSDUs with a bad FCS or that did not parse.
    pub rx_malformed: u64,
    /// Frames not addressed to this gateway or of no interest (ignored).
    pub rx_ignored: u64,
    /// Probe requests answered with the matched SIDs.
    pub probes_answered: u64,
    /// Requests answered with "SID not supported".
    pub answered_not_supported: u64,
    /// Requests dropped silently because no SID matched.
    pub ignored_unmatched: u64,
    /// Authentications accepted.
    pub authenticated: u64,
    /// Associations completed with registration (configuration sent).
    pub associated: u64,
    /// Associations refused (registration failure, no window, no AID, wrong state).
    pub assoc_refused: u64,
    /// Resource requests accepted as proposed.
    pub resource_accepted: u64,
    /// Resource requests answered with a counter-proposal.
    pub resource_countered: u64,
    /// Reports received from scheduled stations.
    pub reports_received: u64,
    /// Reports received outside their window (retries, answers to polls).
    pub reports_late: u64,
    /// Reports from stations not associated here (answered with a deauthentication).
    pub reports_unassociated: u64,
    /// Reports stored (new).
    pub reports_stored: u64,
    /// Reports recognised as duplicates at commit.
    pub reports_duplicate: u64,
    /// Store commits.
    pub commits: u64,
    /// Wall time spent inside commits (store transaction + fsync), µs: a measurement only,
    /// nothing depends on it.
    pub commit_wall_us: u64,
    /// Commits that failed (their reports stay pending, unacked).
    pub commit_errors: u64,
    /// Report acks sent.
    pub acks_sent: u64,
    /// Report polls sent for missed windows.
    pub polls_sent: u64,
    /// Beacons sent.
    pub beacons: u64,
    /// Stations deregistered (timeouts, refusals, deauthentication).
    pub deregistered: u64,
    /// Frames dropped because no downlink part had room.
    pub downlink_dropped: u64,
    /// Batches forwarded northbound.
    pub batches_forwarded: u64,
    /// Northbound failures (batches kept and retried).
    pub northbound_errors: u64,
    /// 4-way handshakes completed (configuration delivered encrypted).
    pub handshakes: u64,
    /// EAPOL frames refused: EAPOL-Key messages with a wrong MIC (a wrong passphrase),
    /// replayed or malformed, and EAP packets malformed, oversized or not relayable — and any
    /// other EAPOL frame from a station whose handshake or 802.1X cannot take it.
    pub eapol_refused: u64,
    /// 802.1X authentications the AAA server accepted (MSK and service information in).
    pub eap_accepted: u64,
    /// 802.1X authentications the AAA server rejected.
    pub eap_rejected: u64,
    /// Events queued for the northbound (registrations, deregistrations, command results).
    pub events_recorded: u64,
    /// Events the northbound accepted.
    pub events_forwarded: u64,
    /// Status publications the northbound accepted.
    pub status_published: u64,
    /// Downlink commands applied.
    pub commands_applied: u64,
    /// Downlink commands refused (malformed, unknown, not applicable).
    pub commands_refused: u64,
    /// Terminals moved to a commanded service configuration (deauthenticated after a report
    /// so they join again).
    pub reconfigured: u64,
    /// Charging records closed (a limit reached).
    pub records_closed: u64,
    /// Charging records the northbound accepted.
    pub records_published: u64,
    /// Charging spool or store failures (retried).
    pub charging_errors: u64,
    /// Group members put in standby when scheduled.
    pub standby_entered: u64,
    /// Group-request frames sent (unicast or group-addressed).
    pub group_requests_sent: u64,
    /// Group requests acked by a member (one per member and request).
    pub group_deliveries: u64,
    /// Group requests finished (every member delivered, unanswered or refused).
    pub group_requests_done: u64,
    /// Frames sent later than their first downlink slot to stay within a transmit limit
    /// (`[regulatory]`: sub-band duty cycle, channel dwell).
    pub tx_deferred_limit: u64,
    /// Frames dropped to stay within a transmit limit.
    pub tx_dropped_limit: u64,
    /// Beacons not sent: thinned for a duty limit, or held back by one.
    pub beacons_held: u64,
    /// Requests (probe, authentication, association) from sources holding no AID dropped
    /// unanswered for their source's rate (`limits.requests_per_source_per_s`).
    pub flood_dropped: u64,
    /// Answers to sources holding no AID not sent: their share of the downlink parts within
    /// `limits.answer_horizon` was used.
    pub answers_shed: u64,
    /// Joining stations forgotten for a newcomer (`limits.max_joining` reached).
    pub joining_evicted: u64,
    /// Associations refused for the registrar call rate (`limits.registrations_per_s`).
    pub registrations_throttled: u64,
    /// Authentications from associated stations answered without dropping the association:
    /// it goes only when a new association proves the terminal's key (a replay cannot).
    pub rejoins_held: u64,
    /// Re-associations of associated stations whose registration failed (old one kept).
    pub rejoins_refused: u64,
    /// Reports dropped unanswered beyond `limits.reports_per_period`.
    pub reports_over_rate: u64,
    /// Reports larger than their service's data amount (acked "rejected", not stored).
    pub reports_oversized: u64,
}

/// What the gateway holds per source, for watching its memory under a flood: every
/// collection that grows with the terminals or sources it hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Footprint {
    /// Stations in the table (any state).
    pub stations: usize,
    /// Of which joining (holding no AID).
    pub joining: usize,
    /// Gateway-side facts kept per station.
    pub peers: usize,
    /// Sources whose request rate is tracked.
    pub sources: usize,
    /// Downlink parts with answers counted.
    pub answer_parts: usize,
    /// Entries of the joining order.
    pub join_queue: usize,
    /// Reports received and not committed yet.
    pub pending_reports: usize,
    /// Events waiting for the next commit.
    pub events: usize,
}

/// Why a gateway could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The scheduler refused its settings.
    #[error("{0}")]
    Scheduler(#[from] SchedulerConfigError),
    /// The aggregation limits are invalid.
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
    /// The RADIUS client for 802.1X could not be set up.
    #[error("AAA client: {0}")]
    Aaa(#[from] crate::radius::RadiusError),
    /// The store could not be read (the service configurations set by commands).
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The charging spool directory cannot be created.
    #[error("charging spool {}: {source}", .dir.display())]
    Spool {
        /// The directory.
        dir: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The charging records in the store do not fit `[charging]` (a subscription or service
    /// of an open record was removed from the configuration).
    #[error("charging: {0}")]
    Charging(#[from] crate::charging::ChargingError),
}

/// Gateway-side facts about a station that the state machine does not hold.
#[derive(Debug, Clone)]
struct Peer {
    /// Nonce sent in the authentication response.
    nonce: [u8; 8],
    /// Channel it was last heard on (its window's channel once scheduled).
    channel: u8,
    /// Service information from the registration.
    service: Option<ServiceInfoRepr>,
    /// The served SID its reports are stored under.
    service_sid: Option<Sid>,
    /// The association response, kept to re-send it.
    assoc_response: Option<Frame>,
    /// Its report window length, µs.
    window_us: u32,
    /// Last resource request answered: dialog token and answer, to re-send it.
    last_resource: Option<(u8, ResourceResponseRepr)>,
    /// The 4-way handshake carrying its configuration (services delivered `"four-way"`);
    /// until it completes the terminal has no configuration and gets no slot.
    handshake: Option<crate::rsn::Authenticator>,
    /// Its 802.1X conversation (services delivered `"eap-success"` / `"eap-four-way"`).
    dot1x: Option<dot1x::Dot1x>,
    /// Nonce sent to an authentication while associated: a re-association proving the
    /// terminal's key over it replaces the association (see [`GatewayStats::rejoins_held`]).
    rejoin_nonce: Option<[u8; 8]>,
    /// Reports kept in the current allowance interval: (interval start µs, count).
    reports_in: (u64, u32),
}

impl Peer {
    /// A station that just authenticated with `nonce`, heard on `channel`.
    fn new(nonce: [u8; 8], channel: u8) -> Peer {
        Peer {
            nonce,
            channel,
            service: None,
            service_sid: None,
            assoc_response: None,
            window_us: 0,
            last_resource: None,
            handshake: None,
            dot1x: None,
            rejoin_nonce: None,
            reports_in: (0, 0),
        }
    }
}

/// The access point's control plane. See the module docs.
pub struct Gateway {
    bssid: MacAddr,
    name: String,
    format: Format,
    mcs: Mcs,
    channels: Vec<u8>,
    timeline: Timeline,
    timeouts: Timeouts,
    poll_missed: bool,
    commit_interval_us: u64,
    filter: SidFilter,
    stations: Stations,
    peers: HashMap<MacAddr, Peer>,
    registrar: Box<dyn Registrar + Send>,
    scheduler: Scheduler,
    store: Store,
    aggregator: Aggregator,
    northbound: Box<dyn Northbound + Send>,
    downlink: Downlink,
    out: Vec<Transmission>,
    pending: Vec<IncomingReport>,
    next_superframe_us: u64,
    next_commit_us: u64,
    superframes: u64,
    seq: u16,
    poll_token: u16,
    rng: u64,
    /// Every served SID with the delivery of its configuration (`security`).
    deliveries: Vec<(Sid, Delivery)>,
    /// PMK from `security.passphrase`, when a service uses the 4-way handshake.
    pmk: Option<Pmk>,
    /// Group key handed out in message 3 (random per gateway start).
    gtk: Gtk,
    /// The EAP relay to the `[aaa]` server, when a service uses 802.1X.
    relay: Option<crate::radius::relay::EapRelay>,
    /// Events waiting for the next commit.
    events: Vec<crate::store::NewEvent>,
    /// Next status publication, µs, and the interval.
    next_status_us: u64,
    status_interval_us: u64,
    /// Service configurations set by downlink commands (loaded from the store at start).
    service_overrides: HashMap<Sid, ServiceInfoRepr>,
    /// Terminals to move to a new service configuration at their next report.
    reconfigure: std::collections::HashSet<MacAddr>,
    /// The charging ledger (`[charging]` enabled).
    charging: Option<charging::GatewayCharging>,
    /// Peripheral groups and the group requests being delivered.
    groups: groups::GroupState,
    /// The MCS the PHY reported for the frame being handled (else `mcs` is assumed).
    rx_mcs: Option<Mcs>,
    /// Transmit limits (`[regulatory]`).
    governor: TxGovernor,
    /// Per channel (in `channels` order): a beacon every this many superframes.
    beacon_every: Vec<u64>,
    /// Requests answered per source holding no AID (`[limits]`).
    sources: guard::SourceLimiter,
    /// Downlink share of answers to sources holding no AID.
    answers: guard::AnswerBudget,
    /// Registrar calls.
    registrations: guard::TokenBucket,
    /// Order in which stations started joining, for eviction at `limits.max_joining`.
    join_queue: guard::JoinQueue,
    /// `limits.max_joining`.
    max_joining: usize,
    /// `limits.reports_per_period`.
    reports_per_period: u32,
    stats: GatewayStats,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("bssid", &self.bssid)
            .field("stations", &self.stations.len())
            .field("pending", &self.pending.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway for a validated `config`, registering through `registrar`, storing into
    /// `store` and forwarding to `northbound`. `seed` seeds the nonce generator (nonces must
    /// only never repeat for a terminal: the registrar refuses a replayed proof).
    pub fn new(
        config: &Config,
        registrar: Box<dyn Registrar + Send>,
        store: Store,
        northbound: Box<dyn Northbound + Send>,
        seed: u64,
    ) -> Result<Gateway, GatewayError> {
        config.validate()?;
        let policy = config.sid_policy()?;
        let policy_served = policy.served.clone();
        let group_table = config.group_table()?;
        let charging = match config.charging_setup()? {
            Some(setup) => Some(charging::GatewayCharging::open(
                setup,
                &policy.correspondence,
                &store,
            )?),
            None => None,
        };
        let unmatched = match policy.unmatched {
            crate::config::Unmatched::Silent => Unmatched::Silent,
            crate::config::Unmatched::NotSupported => Unmatched::NotSupported,
        };
        let filter = SidFilter::new(
            policy.served,
            policy.correspondence.into_iter().collect(),
            unmatched,
        );
        let format = config.phy_format();
        let mcs = Mcs(config.radio.mcs);
        let beacon_us = airtime_us(format, mcs, beacon::max_len(&filter, config)?);
        let timeline = Timeline {
            superframe_us: u64::from(config.gateway.beacon_interval_ms) * 1_000,
            beacon_us,
            downlink_us: u64::from(config.scheduler.downlink_ms) * 1_000,
            access_us: u64::from(config.scheduler.access_ms) * 1_000,
        };
        let deliveries: Vec<(Sid, Delivery)> = policy_served
            .iter()
            .map(|s| (s.clone(), config.delivery_for(s)))
            .collect();
        let uses = |f: fn(&Delivery) -> bool| deliveries.iter().any(|(_, d)| f(d));
        // Validation checked the passphrase whenever a service uses the handshake.
        let pmk = if uses(|d| *d == Delivery::FourWay) {
            Pmk::from_passphrase(&config.security.passphrase, config.gateway.name.as_bytes()).ok()
        } else {
            None
        };
        let relay = if !uses(|d| matches!(d, Delivery::EapSuccess | Delivery::EapFourWay)) {
            None
        } else {
            let client = crate::radius::Client::new(config.aaa.client_config()?)?;
            let nas = config.aaa.nas_identifier_or(&config.gateway.name);
            Some(crate::radius::relay::EapRelay::new(
                client,
                nas,
                config.bssid()?,
            ))
        };
        let governor = TxGovernor::from_config(config)?;
        // Thinning concerns beacons that carry no indication (those go out regardless).
        let plain_beacon_us = airtime_us(format, mcs, beacon::base_len(&filter, config)?);
        let beacon_every: Vec<u64> = config
            .radio
            .channels
            .iter()
            .map(|&c| governor.beacon_every(c, plain_beacon_us, timeline.superframe_us))
            .collect();
        for (c, k) in config.radio.channels.iter().zip(&beacon_every) {
            if *k > 1 {
                tracing::info!(
                    channel = c,
                    every = k,
                    "beacons thinned to one every {k} superframes to stay within the duty cycle"
                );
            }
        }
        if crate::regulatory::rules::region(&config.gateway.region)
            .is_none_or(|r| r.rules.is_empty())
        {
            tracing::warn!(
                region = %config.gateway.region,
                "no transmit rules written for this region: only regulatory.dwell_ms is enforced"
            );
        }
        let service_overrides = store
            .service_configs()?
            .into_iter()
            .map(|c| (c.sid, c.info))
            .collect();
        let mut gateway = Gateway {
            bssid: config.bssid()?,
            name: config.gateway.name.clone(),
            format,
            mcs,
            channels: config.radio.channels.clone(),
            timeline,
            timeouts: config.station_timeouts(),
            poll_missed: config.scheduler.poll_missed,
            commit_interval_us: u64::from(config.store.commit_interval_ms) * 1_000,
            filter,
            stations: Stations::new(usize::from(crate::wire::m2m::MAX_AID) * 2),
            peers: HashMap::new(),
            registrar,
            scheduler: Scheduler::new(config.scheduler_config())?,
            store,
            aggregator: Aggregator::new(config.batch_limits())?,
            northbound,
            downlink: Downlink::new(timeline, MAX_DOWNLINK_AHEAD),
            out: Vec::new(),
            pending: Vec::new(),
            next_superframe_us: 0,
            next_commit_us: 0,
            superframes: 0,
            seq: 0,
            poll_token: 0,
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            relay,
            events: Vec::new(),
            next_status_us: 0,
            status_interval_us: u64::from(config.northbound.status_interval_s) * 1_000_000,
            service_overrides,
            reconfigure: std::collections::HashSet::new(),
            charging,
            rx_mcs: None,
            governor,
            beacon_every,
            sources: guard::SourceLimiter::new(&config.limits),
            answers: guard::AnswerBudget::new(timeline, &config.limits),
            registrations: guard::TokenBucket::new(
                config.limits.registrations_per_s,
                config.limits.registration_burst,
            ),
            join_queue: guard::JoinQueue::default(),
            max_joining: config.limits.max_joining,
            reports_per_period: config.limits.reports_per_period,
            groups: groups::GroupState::new(
                group_table,
                config.groups.retries,
                u64::from(config.groups.resend_superframes)
                    * u64::from(config.gateway.beacon_interval_ms)
                    * 1_000,
                0,
            ),
            stats: GatewayStats::default(),
            deliveries,
            pmk,
            gtk: Gtk {
                key_id: 1,
                key: Vec::new(),
            },
        };
        let mut key = gateway.next_nonce().to_vec();
        key.extend_from_slice(&gateway.next_nonce());
        gateway.gtk.key = key;
        let n = gateway.next_nonce();
        gateway.groups.next_id = u32::from_le_bytes([n[0], n[1], n[2], n[3]]);
        Ok(gateway)
    }

    /// Counters so far.
    pub fn stats(&self) -> GatewayStats {
        self.stats
    }

    /// What the gateway holds per station and source now (bounded by `[limits]` and the
    /// AID space whatever the sources do).
    pub fn footprint(&self) -> Footprint {
        Footprint {
            stations: self.stations.len(),
            joining: self.stations.joining(),
            peers: self.peers.len(),
            sources: self.sources.len(),
            answer_parts: self.answers.len(),
            join_queue: self.join_queue.len(),
            pending_reports: self.pending.len(),
            events: self.events.len(),
        }
    }

    /// Airtime per transmit limit (sub-band duty cycle, channel dwell, or usage where the
    /// region sets none), with the frames deferred and dropped for each.
    pub fn tx_usage(&self) -> Vec<LimitUse> {
        self.governor.usage()
    }

    /// The superframe layout in use.
    pub fn timeline(&self) -> Timeline {
        self.timeline
    }

    /// The gateway's address.
    pub fn bssid(&self) -> MacAddr {
        self.bssid
    }

    /// The station table.
    pub fn stations(&self) -> &Stations {
        &self.stations
    }

    /// The scheduler (allocations, occupancy).
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// The report store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Reports received but not committed yet (not acked either).
    pub fn pending_reports(&self) -> usize {
        self.pending.len()
    }

    /// When [`poll`](Self::poll) must next be called, µs: the next superframe start.
    pub fn next_wakeup(&self) -> u64 {
        self.next_superframe_us
    }

    /// Takes the transmissions produced so far (in the order they were decided; each carries
    /// its start time).
    pub fn drain_transmissions(&mut self) -> Vec<Transmission> {
        std::mem::take(&mut self.out)
    }

    /// Runs everything due at `now_us`: for every superframe start reached, the commit (when
    /// due) and its acks, the beacons, the station deadlines and the aggregation.
    pub fn poll(&mut self, now_us: u64) {
        while self.next_superframe_us <= now_us {
            let s = self.next_superframe_us;
            let mut committed = false;
            if s >= self.next_commit_us {
                committed = self.commit(s);
                self.next_commit_us = s.saturating_add(self.commit_interval_us);
            }
            self.send_beacons(s);
            self.run_commands(s);
            self.run_group_requests(s);
            self.run_deadlines(s);
            // Batches change only when reports were committed; age limits are checked at
            // least every AGGREGATE_EVERY superframes.
            self.superframes = self.superframes.wrapping_add(1);
            if committed || self.superframes.is_multiple_of(AGGREGATE_EVERY) {
                self.aggregate(s);
            }
            let _ = self.settle_charging(s);
            if s >= self.next_status_us {
                self.publish_status(s);
                self.next_status_us = s.saturating_add(self.status_interval_us);
            }
            self.governor.prune(s);
            self.answers.prune(s);
            self.next_superframe_us = s.saturating_add(self.timeline.superframe_us);
        }
    }

    /// Commits the pending reports now and queues their acks (for shutdown, or a test that
    /// does not want to wait for the next commit).
    pub fn flush(&mut self, now_us: u64) {
        let _ = self.commit(now_us);
        self.aggregate(now_us);
        while self.settle_charging(now_us) {}
    }

    /// [`handle_rx`](Self::handle_rx) of a PSDU the PHY decoded at `mcs` (terminals pick
    /// their own MCS from their link budget: a report's start is found from its end with it).
    pub fn handle_rx_at_mcs(&mut self, now_us: u64, channel: u8, psdu: &[u8], mcs: Mcs) {
        self.rx_mcs = Some(mcs);
        self.handle_rx(now_us, channel, psdu);
        self.rx_mcs = None;
    }

    /// A received PSDU (FCS included) that ended at `now_us` on `channel`.
    pub fn handle_rx(&mut self, now_us: u64, channel: u8, psdu: &[u8]) {
        self.stats.rx_frames += 1;
        let frame = match crate::wire::strip_fcs(psdu).and_then(Frame::parse) {
            Ok(f) => f,
            Err(e) => {
                self.stats.rx_malformed += 1;
                tracing::debug!(channel, error = %e, "dropped a malformed frame");
                return;
            }
        };
        if let Err(e) = self.dispatch(now_us, channel, frame) {
            self.stats.rx_malformed += 1;
            tracing::debug!(channel, error = %e, "dropped a frame with malformed M2M content");
        }
    }

    fn dispatch(&mut self, now: u64, channel: u8, frame: Frame) -> crate::wire::Result<()> {
        let request_from = match &frame {
            Frame::ProbeRequest(p) => Some(p.header.addr2),
            Frame::Authentication(a) if a.header.addr1 == self.bssid => Some(a.header.addr2),
            Frame::AssociationRequest(a) if a.header.addr1 == self.bssid => Some(a.header.addr2),
            _ => None,
        };
        if let Some(src) = request_from {
            // Associated sources too: a replay of a terminal's own requests carries its MAC.
            if !self.sources.allow(src, now) {
                self.stats.flood_dropped += 1;
                return Ok(());
            }
        }
        match frame {
            Frame::ProbeRequest(p) => self.on_probe(now, channel, &p),
            Frame::Authentication(a) if a.header.addr1 == self.bssid => {
                self.on_auth(now, channel, &a)
            }
            Frame::AssociationRequest(a) if a.header.addr1 == self.bssid => {
                self.on_assoc(now, channel, &a)
            }
            Frame::Action(a) if a.header.addr1 == self.bssid => self.on_action(now, channel, &a),
            Frame::Data(d) if d.header.addr1 == self.bssid => {
                self.on_data(now, channel, &d);
                Ok(())
            }
            Frame::Deauthentication(d) if d.header.addr1 == self.bssid => {
                self.on_leave(now, d.header.addr2);
                Ok(())
            }
            Frame::Disassociation(d) if d.header.addr1 == self.bssid => {
                self.on_leave(now, d.header.addr2);
                Ok(())
            }
            _ => {
                self.stats.rx_ignored += 1;
                Ok(())
            }
        }
    }

    /// Whether `mac` is a station holding an AID (associated, whatever its later state).
    fn holds_aid(&self, mac: &MacAddr) -> bool {
        self.stations.get(mac).and_then(|s| s.aid()).is_some()
    }

    /// A management header from the gateway to `to`, with the next sequence number.
    fn header_to(&mut self, to: MacAddr) -> HeaderRepr {
        self.seq = self.seq.wrapping_add(1) % SeqCtrl::SEQ_MODULO;
        HeaderRepr {
            flags: 0,
            duration: 0,
            addr1: to,
            addr2: self.bssid,
            addr3: self.bssid,
            seq_ctrl: SeqCtrl::new(self.seq, 0),
        }
    }

    /// Queues `frame` in the first downlink part on `channel` at or after `not_before`.
    fn send(&mut self, channel: u8, not_before: u64, frame: &Frame) -> bool {
        self.send_at(channel, not_before, frame).is_some()
    }

    /// [`send`](Self::send), returning when the frame goes.
    fn send_at(&mut self, channel: u8, not_before: u64, frame: &Frame) -> Option<u64> {
        let class = match frame {
            Frame::ProbeResponse(_) => FrameClass::ProbeAnswer,
            Frame::Action(_) => FrameClass::Report,
            _ => FrameClass::Join,
        };
        self.send_class(channel, not_before, frame, class)
    }

    /// Queues `frame` of `class` in the first downlink slot on `channel` at or after
    /// `not_before` that the transmit limits admit, trying up to
    /// [`LIMIT_DEFER_SUPERFRAMES`] superframes later; returns when it goes.
    fn send_class(
        &mut self,
        channel: u8,
        not_before: u64,
        frame: &Frame,
        class: FrameClass,
    ) -> Option<u64> {
        let psdu = with_fcs(&frame.to_bytes());
        let airtime = airtime_us(self.format, self.mcs, psdu.len());
        // Answers to requests (probe, authentication and association responses,
        // deauthentications) and anything else for a source holding no AID take only their
        // share of the downlink parts: anyone can ask for them, from any MAC — a replay
        // from a terminal's own.
        let to = psdu.get(4..10).map(MacAddr::from_bytes);
        let answer = matches!(
            frame,
            Frame::ProbeResponse(_)
                | Frame::Authentication(_)
                | Frame::AssociationResponse(_)
                | Frame::Deauthentication(_)
        ) || (matches!(class, FrameClass::ProbeAnswer | FrameClass::Join)
            && to.is_some_and(|m| !m.is_group() && !self.holds_aid(&m)));
        let mut from = not_before;
        let mut held_by = None;
        let mut tries = 0;
        while tries <= LIMIT_DEFER_SUPERFRAMES {
            let Some(at) = self.downlink.slot(channel, from, airtime) else {
                self.stats.downlink_dropped += 1;
                tracing::warn!(channel, "downlink full: frame dropped");
                return None;
            };
            if answer {
                match self.answers.check(channel, not_before, at, airtime) {
                    guard::Answer::Fits => {}
                    guard::Answer::NextPart => {
                        from = self
                            .timeline
                            .superframe_start(at)
                            .saturating_add(self.timeline.superframe_us);
                        continue;
                    }
                    guard::Answer::Shed => {
                        self.stats.answers_shed += 1;
                        return None;
                    }
                }
            }
            tries += 1;
            match self.governor.admit(channel, at, airtime, class) {
                Ok(()) => {
                    self.downlink.take(channel, at, airtime);
                    if answer {
                        self.answers.take(channel, at, airtime);
                    }
                    if let Some(i) = held_by {
                        self.stats.tx_deferred_limit += 1;
                        self.governor.deferred(i);
                    }
                    self.out.push(Transmission {
                        channel,
                        at_us: at,
                        airtime_us: airtime,
                        request: TxRequest::new(psdu, self.format, self.mcs),
                    });
                    return Some(at);
                }
                Err(i) => {
                    held_by = Some(i);
                    from = self
                        .timeline
                        .superframe_start(at)
                        .saturating_add(self.timeline.superframe_us);
                }
            }
        }
        self.stats.tx_dropped_limit += 1;
        if let Some((limit, n)) = held_by.and_then(|i| self.governor.dropped(i)) {
            // The first drop and then every power of two: a flood does not flood the log.
            if n.is_power_of_two() {
                tracing::warn!(
                    channel,
                    limit,
                    dropped = n,
                    ?class,
                    "transmit limit reached: frame dropped"
                );
            } else {
                tracing::debug!(
                    channel,
                    limit,
                    dropped = n,
                    ?class,
                    "transmit limit: frame dropped"
                );
            }
        }
        None
    }

    /// Next nonce (xorshift64*; see [`new`](Self::new) on what a nonce must guarantee).
    fn next_nonce(&mut self) -> [u8; 8] {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_be_bytes()
    }

    /// Forgets a station's gateway-side facts once the table no longer holds it.
    fn settle_peer(&mut self, mac: MacAddr, freed_aid: Option<u16>) {
        if let Some(aid) = freed_aid {
            self.scheduler.release(aid);
        }
        if self.stations.get(&mac).is_none() {
            self.peers.remove(&mac);
        }
    }

    /// Runs the aggregation; a northbound failure is counted and retried next time.
    fn aggregate(&mut self, now: u64) {
        match self
            .aggregator
            .poll(&mut self.store, self.northbound.as_mut(), now)
        {
            Ok(summary) => self.stats.batches_forwarded += summary.forwarded as u64,
            Err(e) => {
                self.stats.northbound_errors += 1;
                tracing::warn!(gateway = %self.name, error = %e, "aggregation");
            }
        }
        self.forward_events(now);
    }
}
