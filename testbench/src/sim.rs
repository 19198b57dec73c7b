//! A frame-level simulation in virtual time: one [`Gateway`], N [`Terminal`]s, and a medium
//! that delivers every frame to everyone listening on its channel — unless it overlapped
//! another transmission on that channel (a collision: lost for every receiver) or the
//! per-receiver random loss drops it. A discrete-event loop drives them all (events in time
//! order, ties in creation order), so a simulated day of 8 191 terminals runs in seconds and
//! two runs with the same seed are identical.
//!
//! Reports are made for `hours`, then the simulation runs on for `drain_s` with no new
//! reports so the last acks arrive; at the end the store is compared with every terminal's
//! acked sequence numbers ([`SimReport::acked_missing`], [`SimReport::stored_twice`]).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use subgate_control::aggregate::{Batch, MemoryNorthbound, Northbound, NorthboundError};
use subgate_control::config::{Config, Delivery, NorthboundKind, RegistrarKind};
use subgate_control::gateway::timeline::Timeline;
use subgate_control::gateway::{Footprint, Gateway, GatewayError, GatewayStats};
use subgate_control::northbound::MqttNorthbound;
use subgate_control::northbound::{Command, CommandInput, StatusPayload};
use subgate_control::registrar::aaa::AaaRegistrar;
use subgate_control::registrar::aaa_check::AaaCheckedRegistrar;
use subgate_control::registrar::{Psk, Registrar};
use subgate_control::rsn::Pmk;
use subgate_control::scheduler::{Allocation, ChannelOccupancy, SIFS_US};
use subgate_control::store::charging::StoredRecord;
use subgate_control::store::StoredEvent;
use subgate_control::store::{Store, StoreError};
use subgate_control::wire::m2m::GroupAssignmentRepr;
use subgate_control::wire::m2m::{DataFormat, RegistrationPath, ServiceInfoRepr, Sid};
use subgate_control::wire::{FrameControl, FrameKind, MacAddr};
use subgate_dsp::rng::Rng;
use subgate_dsp::{Complex32, Mcs};

use crate::aaa::{AaaUser, FreeRadius};
use crate::air::{Air, AirStats, Emission, Node};
use crate::flood::{rss_kib, Flood, FloodCounts, FloodSetup, Misbehaver};
use crate::link::{snr_at_10pct_per, LinkBudget};
use crate::terminal::{
    Discovery, GiveUp, GroupReceipt, Phase, Terminal, TerminalConfig, TerminalStats,
};
use crate::M2mServerEmulator;

/// One service of the simulated population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceMix {
    /// Its service SID name (`service:NAME`).
    pub name: String,
    /// Report period, s.
    pub period_s: u32,
    /// Bytes per report.
    pub data_amount: u32,
    /// Relative share of the terminals.
    pub weight: u32,
}

impl ServiceMix {
    /// The service information a registrar returns for this service.
    pub fn service_info(&self) -> ServiceInfoRepr {
        ServiceInfoRepr {
            report_period: self.period_s,
            data_format: DataFormat::Opaque,
            data_amount: self.data_amount,
            server: None,
        }
    }
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Terminals (all of them try to join; `unserved_share` ask for a SID not served).
    pub terminals: usize,
    /// Hours of reports.
    pub hours: f64,
    /// Seconds simulated after the last report is made, for the last acks.
    pub drain_s: u64,
    /// Terminals power up uniformly over this many seconds.
    pub join_spread_s: u64,
    /// Probability that a receiver misses a frame (independently per receiver), 0..1.
    pub loss: f64,
    /// Fraction of terminals asking for a service the gateway does not serve.
    pub unserved_share: f64,
    /// Network passphrase: when set, every service's configuration goes in the 4-way
    /// handshake (`security.delivery = "four-way"`) and terminals key with it.
    pub passphrase: Option<String>,
    /// Register through a real FreeRADIUS on loopback (`registrar.kind = "aaa"`; terminals
    /// send the AAA path's CHAP proof) instead of the M2M server emulator.
    pub aaa: bool,
    /// Register with the M2M server emulator, but have a real FreeRADIUS check every
    /// terminal's AES proof first (`registrar.check_proof_with_aaa`).
    pub aaa_check: bool,
    /// With `aaa`: authenticate every terminal by 802.1X (EAP-pwd through FreeRADIUS, PMK
    /// from the MSK) and deliver the configuration this way (`EapSuccess` or `EapFourWay`).
    /// `wrong_key_share` then gives terminals a wrong password.
    pub dot1x: Option<Delivery>,
    /// Share of terminals (with a served SID) holding a wrong passphrase: they must never be
    /// configured or scheduled.
    pub wrong_key_share: f64,
    /// Fraction of terminals proposing their own window in their resource request.
    pub own_window_share: f64,
    /// Fraction of terminals that wait for the beacon's report indication.
    pub wait_for_indication_share: f64,
    /// Services and their shares.
    pub mix: Vec<ServiceMix>,
    /// The gateway configuration (its `service.sids` and `registrar.psk` are filled in).
    pub gateway: Config,
    /// Report database; `None`: a temporary file removed at the end.
    pub store_path: Option<PathBuf>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Once every terminal has joined and until the report phase ends, run the virtual clock
    /// at this many times wall time (1.0: real time) instead of as fast as possible — for a
    /// real broker outage against a real report rate. `None`: as fast as possible throughout.
    pub pace: Option<f64>,
    /// With `pace`: start the paced part at this virtual second at the latest, even if some
    /// terminals are still joining.
    pub pace_from_s: Option<u64>,
    /// Append `<terminal> <sequence>` for every report a terminal saw acked, as the acks
    /// come (written before the next event), so a process killed mid-run leaves the list of
    /// what it had acked.
    pub acked_log: Option<PathBuf>,
    /// Live counters for a caller watching from another thread.
    pub progress: Option<Arc<SimProgress>>,
    /// Downlink commands (JSON, docs/northbound.md §4) handed to the gateway as if they came
    /// from the northbound, each at its virtual time, µs.
    pub commands: Vec<(u64, String)>,
    /// Decide every reception at IQ level (`None`: the frame-level rules: collisions lose
    /// both frames, `loss` drops at random).
    pub air: Option<AirSetup>,
    /// What to keep for plots and live metrics beyond the counts.
    pub observe: Observe,
    /// Hostile traffic handed to the gateway's receiver ([`crate::flood`]).
    pub flood: Option<FloodSetup>,
}

/// Observations a simulation keeps for plots (`subgate demo`): they cost memory, so none
/// is kept by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observe {
    /// Keep every frame that starts in `[from, to)` µs ([`SimReport::frames`]).
    pub frames_us: Option<(u64, u64)>,
    /// With the IQ-level medium: equalised points kept per MCS of frames the gateway
    /// decoded ([`SimReport::constellations`]).
    pub constellation_points: usize,
}

/// The IQ-level medium of a simulation ([`crate::air`]).
#[derive(Debug, Clone)]
pub struct AirSetup {
    /// Link budget.
    pub budget: LinkBudget,
    /// Terminal positions, m, gateway at the origin (terminal `i` takes entry `i`; missing
    /// entries are at 100 m).
    pub positions: Vec<(f64, f64)>,
    /// MCSs a terminal may pick from its link budget (the most robust when none fits).
    pub mcs: Vec<Mcs>,
    /// Crystal offsets are drawn uniformly in ± this, ppm: the carrier offset of a
    /// terminal's frames and the drift of its sleep clock.
    pub ppm: f64,
    /// Terminals wake for the beacon before a window to resynchronise their clock (see
    /// [`TerminalConfig::clock_ppm`]); `false` models meters that never do.
    pub beacon_resync: bool,
    /// The gateway receives through the whole-band receiver over its channels
    /// ([`Air::use_wideband`]) instead of one receiver per channel.
    pub wideband: bool,
}

/// The reports an acked log ([`SimConfig::acked_log`]) lists, as (terminal, sequence);
/// lines that do not read are skipped (the last one may be cut by a kill).
pub fn read_acked_log(
    path: &std::path::Path,
) -> std::io::Result<std::collections::BTreeSet<(String, u32)>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter_map(|l| {
            let (mac, seq) = l.split_once(' ')?;
            Some((mac.to_string(), seq.parse().ok()?))
        })
        .collect())
}

/// Live counters of a running simulation.
#[derive(Debug, Default)]
pub struct SimProgress {
    /// The report phase's paced part runs (every terminal joined, or `pace_from_s` came).
    pub reporting: AtomicBool,
    /// Reports acked to terminals so far.
    pub acked: AtomicU64,
    /// Virtual time reached, µs.
    pub virtual_us: AtomicU64,
    /// Set by the caller to end the report phase now (the drain still runs).
    pub stop: AtomicBool,
    /// The gateway's counters, refreshed about every 100 ms of wall time (for a metrics
    /// endpoint watching the run).
    pub gateway: std::sync::Mutex<GatewayStats>,
    /// Readings made by the terminals so far.
    pub generated: AtomicU64,
    /// What the gateway holds per station and source, refreshed with `gateway`.
    pub footprint: std::sync::Mutex<Footprint>,
}

impl SimConfig {
    /// The population: four periods (1 min, 15 min, 1 h, 1 day), 64-byte reports,
    /// on four channels, no loss.
    pub fn mixed(terminals: usize, hours: f64) -> SimConfig {
        let mut gateway = Config::default();
        gateway.radio.channels = vec![1, 3, 5, 7];
        // One commit (one fsync) every 10 s batches a day of 1.5 M reports into 8 640
        // commits; a report is acked at most ~11 s after it was sent.
        gateway.store.commit_interval_ms = 10_000;
        SimConfig {
            terminals,
            hours,
            drain_s: 300,
            join_spread_s: 1_800,
            loss: 0.0,
            unserved_share: 0.0,
            passphrase: None,
            aaa: false,
            aaa_check: false,
            dot1x: None,
            wrong_key_share: 0.0,
            own_window_share: 0.1,
            wait_for_indication_share: 0.0,
            mix: vec![
                ServiceMix {
                    name: "meter-1m".into(),
                    period_s: 60,
                    data_amount: 32,
                    weight: 1,
                },
                ServiceMix {
                    name: "meter-15m".into(),
                    period_s: 900,
                    data_amount: 64,
                    weight: 3,
                },
                ServiceMix {
                    name: "meter-1h".into(),
                    period_s: 3_600,
                    data_amount: 64,
                    weight: 3,
                },
                ServiceMix {
                    name: "meter-1d".into(),
                    period_s: 86_400,
                    data_amount: 128,
                    weight: 3,
                },
            ],
            gateway,
            store_path: None,
            seed: 1,
            pace: None,
            pace_from_s: None,
            acked_log: None,
            progress: None,
            commands: Vec::new(),
            air: None,
            observe: Observe::default(),
            flood: None,
        }
    }
}

/// What a simulation measured.
#[derive(Debug, Clone, Default)]
pub struct SimReport {
    /// Simulated time, s.
    pub simulated_s: f64,
    /// Wall time of the whole run, s.
    pub wall_s: f64,
    /// Wall time until every joining terminal was scheduled (or gave up), s.
    pub join_wall_s: f64,
    /// Simulated time until then, s.
    pub join_simulated_s: f64,
    /// Terminals that asked for a SID the gateway does not serve.
    pub unserved: usize,
    /// Terminals scheduled (reporting) at the end.
    pub scheduled: usize,
    /// Terminals refused ("SID not supported" or a refused association).
    pub refused: usize,
    /// Terminals ignored (silent gateway).
    pub ignored: usize,
    /// Terminals still joining at the end.
    pub joining: usize,
    /// Served terminals that gave up.
    pub served_gave_up: usize,
    /// Why served terminals gave up: (reason, terminals).
    pub served_gave_up_why: Vec<(String, usize)>,
    /// Unserved terminals that got state or a configuration (must be 0).
    pub unserved_admitted: usize,
    /// Terminals given a wrong passphrase.
    pub wrong_key: usize,
    /// Wrong-passphrase terminals that got a configuration or a slot (must be 0).
    pub wrong_key_configured: usize,
    /// Reports made by terminals.
    pub generated: u64,
    /// Report transmissions that reached the gateway.
    pub delivered: u64,
    /// Reports the terminals saw acked.
    pub acked: u64,
    /// Distinct reports in the store.
    pub stored: u64,
    /// Retries the gateway recognised as duplicates.
    pub duplicates: u64,
    /// Reports received outside their window.
    pub late: u64,
    /// Report transmissions lost in collisions.
    pub collided: u64,
    /// Report transmissions lost to random loss.
    pub lost: u64,
    /// Frames of any kind lost in collisions.
    pub frames_collided: u64,
    /// Contention-part frames whose sender found the channel busy and deferred them.
    pub frames_deferred: u64,
    /// Acked reports missing from the store (must be 0).
    pub acked_missing: u64,
    /// Reports stored more than once (must be 0).
    pub stored_twice: u64,
    /// Reports made but still unacked at the end.
    pub unacked: u64,
    /// Fraction of time each channel carried a transmission: (channel, fraction).
    pub airtime: Vec<(u8, f64)>,
    /// Scheduler occupancy per channel at the end.
    pub occupancy: Vec<ChannelOccupancy>,
    /// The gateway's counters.
    pub gateway: GatewayStats,
    /// Stations the gateway deregistered before the end of the report phase (after it,
    /// terminals stop reporting and are deregistered for their missed windows).
    pub deregistered_reporting: u64,
    /// Terminal counters, summed.
    pub terminals: TerminalStats,
    /// Commits per simulated day.
    pub commits: u64,
    /// Reports stored per second of wall time over the report phase.
    pub stored_per_wall_s: f64,
    /// Every group member at the end.
    pub members: Vec<MemberView>,
    /// The IQ-level medium's counters (zero with the frame-level one).
    pub air: AirStats,
    /// Per terminal with an IQ-level medium: its link and what got through.
    pub links: Vec<LinkView>,
    /// Frames received and lost per channel and direction.
    pub channels: Vec<ChannelFrames>,
    /// The schedule as the report phase ended: every terminal's report window.
    pub allocations: Vec<Allocation>,
    /// Frames kept by [`Observe::frames_us`], in the order they ended.
    pub frames: Vec<AirFrame>,
    /// Points kept by [`Observe::constellation_points`], per MCS.
    pub constellations: Vec<(Mcs, Vec<Complex32>)>,
    /// The gateway's airtime per transmit limit (`[regulatory]`): sub-band duty cycle,
    /// channel dwell, or usage where the region sets no limit.
    pub tx_usage: Vec<subgate_control::regulatory::LimitUse>,
    /// With a flood: what it sent and what the legitimate terminals got through.
    pub flood: Option<FloodReport>,
}

/// A flooded run ([`SimConfig::flood`]): the flood, the legitimate load beside it, the
/// legitimate terminals' reports, and what the gateway held.
#[derive(Debug, Clone, Default)]
pub struct FloodReport {
    /// Flood frames sent, per kind.
    pub counts: FloodCounts,
    /// Seconds the flood ran.
    pub seconds: f64,
    /// Frames of the legitimate terminals the gateway received over those seconds.
    pub legit_frames: u64,
    /// Reports the legitimate terminals made while the flood ran (not the misbehaving or
    /// mute ones, nor the unserved or wrong-key ones).
    pub legit_generated: u64,
    /// Of them, acked and stored, having reached the gateway in their own window.
    pub legit_on_time: u64,
    /// Of them, acked at all (in the window or by a retry).
    pub legit_acked: u64,
    /// Largest footprint seen at a superframe start (each field on its own).
    pub footprint_max: Footprint,
    /// The footprint at the end.
    pub footprint_end: Footprint,
    /// Resident memory of the process when the flood started, at its largest, at the end, KiB.
    pub rss_kib: Option<(u64, u64, u64)>,
    /// Mute terminals the gateway still holds at the end (it should have let them go).
    pub mute_held: usize,
}

impl FloodReport {
    /// Flood frames per second.
    pub fn rate_per_s(&self) -> f64 {
        self.counts.total() as f64 / self.seconds.max(1e-9)
    }

    /// Legitimate frames per second at the gateway.
    pub fn legit_per_s(&self) -> f64 {
        self.legit_frames as f64 / self.seconds.max(1e-9)
    }

    /// Reports of legitimate terminals delivered on time, %.
    pub fn on_time_percent(&self) -> f64 {
        100.0 * self.legit_on_time as f64 / self.legit_generated.max(1) as f64
    }
}

/// Field-wise maximum of two footprints.
fn footprint_max(a: Footprint, b: Footprint) -> Footprint {
    Footprint {
        stations: a.stations.max(b.stations),
        joining: a.joining.max(b.joining),
        peers: a.peers.max(b.peers),
        sources: a.sources.max(b.sources),
        answer_parts: a.answer_parts.max(b.answer_parts),
        join_queue: a.join_queue.max(b.join_queue),
        pending_reports: a.pending_reports.max(b.pending_reports),
        events: a.events.max(b.events),
    }
}

/// The sequence number of a report PSDU (with FCS), if it is one.
fn report_sequence(psdu: &[u8]) -> Option<u32> {
    let frame = subgate_control::wire::strip_fcs(psdu)
        .and_then(subgate_control::wire::Frame::parse)
        .ok()?;
    let subgate_control::wire::Frame::Action(a) = frame else {
        return None;
    };
    match subgate_control::wire::m2m::carry::action_of(&a).ok()? {
        subgate_control::wire::m2m::M2mAction::Report(r) => Some(r.sequence),
        _ => None,
    }
}

/// Delivery of the meters inside the link budget ([`SimReport::budget_delivery`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetDelivery {
    /// Meters whose link has the margin for the most robust MCS they may use.
    pub meters: usize,
    /// Readings they made.
    pub made: u64,
    /// Of those, acked.
    pub acked: u64,
}

impl BudgetDelivery {
    /// Share acked, % (100 when nothing was made).
    pub fn percent(&self) -> f64 {
        if self.made == 0 {
            100.0
        } else {
            100.0 * self.acked as f64 / self.made as f64
        }
    }
}

impl SimReport {
    /// With the IQ-level medium `air` of a run in `format`: how the meters whose SNR at the
    /// gateway reaches the most robust allowed MCS's 10 % PER point plus the budget's margin
    /// fared — the population a deployment plans for. `None` without links.
    pub fn budget_delivery(
        &self,
        air: &AirSetup,
        format: subgate_dsp::Format,
    ) -> Option<BudgetDelivery> {
        if self.links.is_empty() {
            return None;
        }
        let need = air
            .mcs
            .iter()
            .filter_map(|m| snr_at_10pct_per(format, *m))
            .fold(f64::INFINITY, f64::min);
        let mut d = BudgetDelivery::default();
        for l in self
            .links
            .iter()
            .filter(|l| l.snr_db >= need + air.budget.margin_db)
        {
            d.meters += 1;
            d.made += l.generated;
            d.acked += l.acked as u64;
        }
        Some(d)
    }
}

/// Receptions on one channel: a frame counts once per receiver it was meant for (the
/// gateway for uplink; the addressed terminal, or every listening one for broadcasts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelFrames {
    /// Channel number.
    pub channel: u8,
    /// Terminal frames the gateway had to receive.
    pub uplink: u64,
    /// Of those, lost (not decoded, collided or dropped).
    pub uplink_lost: u64,
    /// Gateway frames a listening terminal had to receive.
    pub downlink: u64,
    /// Of those, lost.
    pub downlink_lost: u64,
}

impl ChannelFrames {
    /// Packet error ratio over both directions (0 when nothing was sent).
    pub fn per(&self) -> f64 {
        let n = self.uplink + self.downlink;
        if n == 0 {
            0.0
        } else {
            (self.uplink_lost + self.downlink_lost) as f64 / n as f64
        }
    }
}

/// One frame as it went on air ([`Observe::frames_us`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AirFrame {
    /// Sender: `None` the gateway, `Some(i)` terminal `i`.
    pub from: Option<usize>,
    /// Channel number.
    pub channel: u8,
    /// Start and end, µs of virtual time.
    pub start_us: u64,
    /// End, µs.
    pub end_us: u64,
    /// MCS.
    pub mcs: Mcs,
    /// The PSDU, FCS included.
    pub psdu: Vec<u8>,
    /// Uplink: whether the gateway received it. `None` for the gateway's own frames.
    pub received: Option<bool>,
    /// SNR at the gateway (uplink, IQ level; `NaN` otherwise), dB.
    pub snr_db: f64,
    /// Carrier offset at the gateway (uplink, IQ level), Hz.
    pub cfo_hz: f64,
}

/// One terminal's link at the end of a simulation with the IQ-level medium.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkView {
    /// Distance to the gateway, m.
    pub distance_m: f64,
    /// The MCS it picked.
    pub mcs: Mcs,
    /// SNR of its frames at the gateway (shadowing included), dB.
    pub snr_db: f64,
    /// Readings it made (0 if it never joined).
    pub generated: u64,
    /// Readings acked.
    pub acked: usize,
    /// Whether it was scheduled at the end.
    pub joined: bool,
}

/// A group member as the simulation ends.
#[derive(Debug, Clone)]
pub struct MemberView {
    /// Terminal id.
    pub mac: MacAddr,
    /// Its assignment (group, initial state, wake).
    pub assignment: GroupAssignmentRepr,
    /// Still in standby at the end.
    pub in_standby: bool,
    /// Group requests its application got, once each.
    pub receipts: Vec<GroupReceipt>,
    /// Group-request frames it received, copies included.
    pub frames: u64,
}

/// The configured northbound, with the simulation's scheduled commands added to what it
/// hands the gateway.
struct WithCommands {
    inner: Box<dyn Northbound + Send>,
    queue: Arc<std::sync::Mutex<Vec<CommandInput>>>,
}

impl Northbound for WithCommands {
    fn forward(&mut self, batch: &Batch) -> Result<(), NorthboundError> {
        self.inner.forward(batch)
    }
    fn publish_event(&mut self, event: &StoredEvent) -> Result<(), NorthboundError> {
        self.inner.publish_event(event)
    }
    fn publish_record(&mut self, record: &StoredRecord) -> Result<(), NorthboundError> {
        self.inner.publish_record(record)
    }
    fn publish_status(&mut self, status: &StatusPayload) -> Result<(), NorthboundError> {
        self.inner.publish_status(status)
    }
    fn take_commands(&mut self) -> Vec<CommandInput> {
        let mut c = self.inner.take_commands();
        if let Ok(mut q) = self.queue.lock() {
            c.append(&mut q);
        }
        c
    }
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The gateway refused its configuration.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting is out of range.
    #[error("{0}")]
    Setting(String),
    /// Creating the temporary database failed.
    #[error("temporary database: {0}")]
    Io(#[from] std::io::Error),
}

/// S1G aSlotTime, µs (802.11-2020 Table 23-39, beside aSIFSTime): a transmission that started less than a slot ago is not yet sensed
/// (aCCATime < 40 µs fits in it), so two senders starting within one slot collide.
const SLOT_US: u64 = 52;
/// DIFS = SIFS + 2 slots: the idle time a contending sender waits after the channel frees.
const DIFS_US: u64 = SIFS_US + 2 * SLOT_US;
/// Backoff slots drawn after a busy channel (CWmin 15: 0..=15 slots).
const BACKOFF_SLOTS: u64 = 16;

/// A setting refused by the library it was handed to, as a [`SimError::Setting`].
pub(crate) fn setting(e: impl std::fmt::Display) -> SimError {
    SimError::Setting(e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    /// A contention-part frame is due to start (index into `txs`): carrier sense first.
    TxStart(usize),
    /// A transmission ends (index into `txs`).
    TxEnd(usize),
    /// A terminal's timer.
    Terminal(usize),
    /// The gateway's poll.
    Gateway,
    /// The next flood frame.
    Flood,
}

/// A frame on air.
struct Tx {
    mcs: Mcs,
    channel: u8,
    start: u64,
    end: u64,
    /// `None`: the gateway sent it; `Some(i)`: terminal `i`.
    from: Option<usize>,
    psdu: Vec<u8>,
    collided: bool,
}

struct World {
    queue: BinaryHeap<Reverse<(u64, u64, Ev)>>,
    order: u64,
    txs: Vec<Option<Tx>>,
    /// Per channel, indices of transmissions that may still overlap new ones.
    on_air: HashMap<u8, Vec<usize>>,
    busy_us: HashMap<u8, u64>,
    terminal_timer: Vec<Option<u64>>,
}

impl World {
    fn push(&mut self, t: u64, ev: Ev) {
        self.order += 1;
        self.queue.push(Reverse((t, self.order, ev)));
    }

    /// A frame due at `tx.start`. Frames in a contention part are sensed-before-sent
    /// ([`Ev::TxStart`]); the others (the gateway's downlink, reports in their own windows)
    /// own their airtime and go on air as planned.
    fn submit(&mut self, tx: Tx, timeline: &Timeline) {
        let (a, b) = timeline.contention(timeline.superframe_start(tx.start));
        let (idx, start) = (self.txs.len(), tx.start);
        self.txs.push(Some(tx));
        if (a..b).contains(&start) {
            self.push(start, Ev::TxStart(idx));
        } else {
            self.on_air(idx);
        }
    }

    /// When the channel, sensed at `now`, falls idle: `None` if idle now. Frames that started
    /// within the last slot are not sensed yet.
    fn busy_until(&self, channel: u8, now: u64) -> Option<u64> {
        self.on_air
            .get(&channel)?
            .iter()
            .filter_map(|&j| self.txs[j].as_ref())
            .filter(|o| o.start + SLOT_US <= now && now < o.end)
            .map(|o| o.end)
            .max()
    }

    /// Carrier sense for a due contention frame: on air if the channel is idle; else deferred
    /// to DIFS + a random backoff after the busy frame, or into the next superframe's
    /// contention part if it no longer fits in this one. Returns whether it was deferred.
    fn sense_and_send(&mut self, idx: usize, now: u64, timeline: &Timeline, rng: &mut Rng) -> bool {
        let Some(tx) = self.txs[idx].as_ref() else {
            return false;
        };
        let Some(free) = self.busy_until(tx.channel, now) else {
            self.on_air(idx);
            return false;
        };
        let air = tx.end - tx.start;
        let mut at = free + DIFS_US + SLOT_US * rng.below(BACKOFF_SLOTS);
        let (_, b) = timeline.contention(timeline.superframe_start(now));
        if at + air > b {
            let (a, b) = timeline.contention(timeline.next_superframe(now));
            at = a + rng.below(b.saturating_sub(a + air).max(1));
        }
        if let Some(tx) = self.txs[idx].as_mut() {
            tx.start = at;
            tx.end = at + air;
        }
        self.push(at, Ev::TxStart(idx));
        true
    }

    /// Puts frame `idx` on air; marks collisions with everything overlapping on its channel.
    fn on_air(&mut self, idx: usize) {
        let Some(tx) = self.txs[idx].as_ref() else {
            return;
        };
        let (ch, start, end) = (tx.channel, tx.start, tx.end);
        *self.busy_us.entry(ch).or_default() += end - start;
        let list = self.on_air.entry(ch).or_default();
        let mut collided = false;
        list.retain(|&j| {
            let Some(o) = self.txs[j].as_mut() else {
                return false;
            };
            // Forget frames that ended long before anything now being sent can start.
            if o.end + 1_000_000 < start {
                return false;
            }
            if o.start < end && start < o.end {
                o.collided = true;
                collided = true;
            }
            true
        });
        list.push(idx);
        if let Some(tx) = self.txs[idx].as_mut() {
            tx.collided = collided;
        }
        self.push(end, Ev::TxEnd(idx));
    }
}

/// The terminals a gateway frame is for: the beacon listeners for a beacon or a group frame,
/// else the addressee.
fn receivers_of(
    psdu: &[u8],
    beacon_listeners: &std::collections::BTreeSet<usize>,
    by_mac: &HashMap<MacAddr, usize>,
) -> Vec<usize> {
    let beacon = FrameControl::read(psdu).is_ok_and(|fc| fc.kind() == FrameKind::S1gBeacon);
    let to = match psdu.get(4..10) {
        Some(b) if !beacon => MacAddr::from_bytes(b),
        _ => MacAddr::BROADCAST,
    };
    if to.is_group() {
        beacon_listeners.iter().copied().collect()
    } else {
        by_mac.get(&to).copied().into_iter().collect()
    }
}

/// A frame overlapping another: (sender, channel, start µs, PSDU, MCS).
type Overlap = (Option<usize>, u8, u64, Vec<u8>, Mcs);

/// The frames overlapping `tx` (index `idx`) on its channel — or on every channel for the
/// whole-band receiver — those still on air and those that ended already (`recent`).
fn overlapping(
    world: &World,
    recent: &HashMap<u8, Vec<Tx>>,
    idx: usize,
    tx: &Tx,
    all_channels: bool,
) -> Vec<Overlap> {
    let wanted = |ch: &u8| all_channels || *ch == tx.channel;
    let on_air = world
        .on_air
        .iter()
        .filter(|(ch, _)| wanted(ch))
        .flat_map(|(_, list)| list)
        .filter(|&&j| j != idx)
        .filter_map(|&j| world.txs[j].as_ref());
    let ended = recent
        .iter()
        .filter(|(ch, _)| wanted(ch))
        .flat_map(|(_, list)| list);
    let mut found: Vec<_> = on_air
        .chain(ended)
        .filter(|o| o.start < tx.end && tx.start < o.end)
        .map(|o| (o.from, o.channel, o.start, o.psdu.clone(), o.mcs))
        .collect();
    if all_channels {
        // Channels come out of a hash map: put them in an order of their own so that runs
        // repeat.
        found.sort_by_key(|o| (o.2, o.1, o.0));
    }
    found
}

fn is_report(psdu: &[u8]) -> bool {
    // Action frame whose M2M subtype byte (after header, category, OUI) is 4 (report).
    FrameControl::read(psdu).is_ok_and(|fc| fc.kind() == FrameKind::Action)
        && psdu.get(24) == Some(&127)
        && psdu.get(28) == Some(&4)
}

/// Runs a simulation.
pub fn run(cfg: &SimConfig) -> Result<SimReport, SimError> {
    if !(0.0..1.0).contains(&cfg.loss) || cfg.terminals > 20_000 || cfg.mix.is_empty() {
        return Err(SimError::Setting(
            "loss must be in [0, 1), terminals ≤ 20 000, and the mix non-empty".into(),
        ));
    }
    if cfg.pace.is_some_and(|p| !(p > 0.0 && p.is_finite())) {
        return Err(SimError::Setting("pace must be a positive factor".into()));
    }
    if cfg.flood.is_some() && cfg.air.is_some() {
        return Err(SimError::Setting(
            "a flood runs with the frame-level medium (air = None)".into(),
        ));
    }
    if cfg.dot1x.is_some() && !cfg.aaa {
        return Err(SimError::Setting(
            "802.1X needs the AAA server: set aaa as well".into(),
        ));
    }
    let wall = Instant::now();
    let mut rng = Rng::new(cfg.seed);
    let mut gcfg = cfg.gateway.clone();
    gcfg.service.sids = cfg
        .mix
        .iter()
        .map(|m| format!("service:{}", m.name))
        .collect();
    if let Some(p) = &cfg.passphrase {
        gcfg.security.passphrase = p.clone();
        gcfg.security.delivery = subgate_control::config::Delivery::FourWay;
    }
    let users: Vec<(String, String)> = (0..4)
        .map(|u| {
            (
                format!("utility-{u}"),
                format!("{:032x}", 0x5EED_0000_u128 + u),
            )
        })
        .collect();
    gcfg.registrar.psk = users.iter().cloned().collect();
    // The AAA path, or the M2M path with proofs checked by AAA: a real FreeRADIUS holding
    // the same users and services.
    let aaa = if cfg.aaa || cfg.aaa_check {
        let aaa_users = users
            .iter()
            .map(|(name, key)| {
                Ok(AaaUser {
                    name: name.clone(),
                    psk: Psk::from_hex(key).map_err(setting)?,
                    services: cfg
                        .mix
                        .iter()
                        .map(|m| (m.name.clone(), m.service_info()))
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, SimError>>()?;
        let server = FreeRadius::start(&aaa_users, 2).map_err(setting)?;
        if cfg.aaa {
            gcfg.registrar.kind = RegistrarKind::Aaa;
        } else {
            gcfg.registrar.check_proof_with_aaa = true;
        }
        gcfg.aaa.server = server.addr.to_string();
        gcfg.aaa.secret = server.secret.clone();
        if let Some(d) = cfg.dot1x {
            gcfg.security.delivery = d;
        }
        Some(server)
    } else {
        None
    };
    gcfg.validate()
        .map_err(|e| SimError::Setting(e.to_string()))?;
    let mut server = M2mServerEmulator::new();
    for (u, k) in &users {
        let user = Sid::user(u).map_err(|e| SimError::Setting(e.to_string()))?;
        let psk = Psk::from_hex(k).map_err(|e| SimError::Setting(e.to_string()))?;
        server = server.with_user(user, psk);
    }
    for m in &cfg.mix {
        let sid = Sid::service(&m.name).map_err(|e| SimError::Setting(e.to_string()))?;
        server = server.with_service(sid, m.service_info());
    }
    let registrar: Box<dyn Registrar + Send> = match &aaa {
        Some(_) if cfg.aaa => Box::new(AaaRegistrar::from_config(&gcfg).map_err(setting)?),
        Some(_) => Box::new(AaaCheckedRegistrar::new(
            AaaRegistrar::from_config(&gcfg).map_err(setting)?,
            server,
        )),
        None => Box::new(server),
    };
    let tmp;
    let path = match &cfg.store_path {
        Some(p) => p.clone(),
        None => {
            tmp = tempfile::Builder::new().prefix("subgate-sim-").tempdir()?;
            tmp.path().join("sim.db")
        }
    };
    let store = Store::open(&path)?;
    // The store the gateway uses is this one (its charging spool goes beside it).
    gcfg.store.path = path.display().to_string();
    // The northbound the configuration names: a real broker for `"mqtt"`.
    let northbound: Box<dyn Northbound + Send> = match gcfg.northbound.kind {
        NorthboundKind::Memory => Box::new(MemoryNorthbound::new()),
        NorthboundKind::Mqtt => {
            let n = MqttNorthbound::start(&gcfg.gateway.name, &gcfg.northbound).map_err(setting)?;
            if !n.wait_connected(Duration::from_secs(10)) {
                tracing::warn!(broker = %gcfg.northbound.broker, "broker not reachable yet; batches wait in the store");
            }
            Box::new(n)
        }
    };
    let command_queue = Arc::new(std::sync::Mutex::new(Vec::new()));
    let northbound: Box<dyn Northbound + Send> = Box::new(WithCommands {
        inner: northbound,
        queue: command_queue.clone(),
    });
    let mut scheduled_commands: std::collections::VecDeque<(u64, String)> = {
        let mut c = cfg.commands.clone();
        c.sort_by_key(|x| x.0);
        c.into()
    };
    let mut gw = Gateway::new(&gcfg, registrar, store, northbound, cfg.seed)?;
    gw.set_clock_origin_ms(subgate_control::gateway::charging::wall_clock_ms());
    let mut acked_log = match &cfg.acked_log {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)?,
        )),
        None => None,
    };
    let mut acked_so_far = 0u64;
    // (virtual µs, wall instant) the paced clock started at.
    let mut pace_origin: Option<(u64, Instant)> = None;
    let timeline = gw.timeline();
    let format = gcfg.phy_format();
    let mcs = Mcs(gcfg.radio.mcs);
    let channels = gcfg.radio.channels.clone();
    let total_w: u32 = cfg.mix.iter().map(|m| m.weight).sum::<u32>().max(1);

    // One PBKDF2 per passphrase, shared by the terminals holding it.
    let ssid = gcfg.gateway.name.as_bytes().to_vec();
    let pmk_of = |pass: &str| Pmk::from_passphrase(pass, &ssid).map_err(setting);
    let (right_pmk, wrong_pmk) = match &cfg.passphrase {
        Some(p) => (Some(pmk_of(p)?), Some(pmk_of(&format!("not {p}"))?)),
        None => (None, None),
    };
    // The IQ-level medium: every terminal placed, its MCS picked from its link budget.
    let mut air = cfg.air.as_ref().map(|a| {
        let mut prng = Rng::new(cfg.seed ^ 0x0A1E_5EED);
        let nodes = (0..cfg.terminals)
            .map(|i| {
                let (x, y) = a.positions.get(i).copied().unwrap_or((100.0, 0.0));
                Node {
                    x_m: x,
                    y_m: y,
                    ppm: (prng.uniform() * 2.0 - 1.0) * a.ppm,
                }
            })
            .collect();
        let mut air = Air::new(a.budget, format, nodes, cfg.seed);
        air.keep_constellations(cfg.observe.constellation_points);
        air
    });
    if let (Some(air), true) = (air.as_mut(), cfg.air.as_ref().is_some_and(|a| a.wideband)) {
        air.use_wideband(&gcfg.radio.channels)
            .map_err(|e| SimError::Setting(format!("whole-band receiver: {e}")))?;
    }
    let mut terminals = Vec::with_capacity(cfg.terminals);
    let mut data_amounts: Vec<u32> = Vec::with_capacity(cfg.terminals);
    let mut unserved = HashSet::new();
    let mut wrong_key = HashSet::new();
    for i in 0..cfg.terminals {
        let mut pick = (rng.below(u64::from(total_w))) as u32;
        let m = cfg
            .mix
            .iter()
            .find(|m| {
                if pick < m.weight {
                    true
                } else {
                    pick -= m.weight;
                    false
                }
            })
            .unwrap_or(&cfg.mix[0]);
        let is_unserved = rng.uniform() < cfg.unserved_share;
        let service = if is_unserved {
            unserved.insert(i);
            Sid::service("not-served-here")
        } else {
            Sid::service(&m.name)
        }
        .map_err(|e| SimError::Setting(e.to_string()))?;
        data_amounts.push(m.data_amount);
        let (u, k) = &users[i % users.len()];
        let n = i as u32 + 1;
        let keyed = right_pmk.is_some() || cfg.dot1x.is_some();
        let wrong = !is_unserved && keyed && rng.uniform() < cfg.wrong_key_share;
        let pmk = if wrong {
            wrong_key.insert(i);
            wrong_pmk.clone()
        } else {
            right_pmk.clone()
        };
        let psk_hex = if wrong && cfg.dot1x.is_some() {
            format!("{:032x}", 0xBAD_0000_u128 + i as u128)
        } else {
            k.clone()
        };
        terminals.push(Terminal::new(TerminalConfig {
            mac: MacAddr([0x02, 0x10, 0, (n >> 16) as u8, (n >> 8) as u8, n as u8]),
            user: Sid::user(u).map_err(|e| SimError::Setting(e.to_string()))?,
            psk: Psk::from_hex(&psk_hex).map_err(|e| SimError::Setting(e.to_string()))?,
            eap: cfg.dot1x.is_some(),
            path: if cfg.aaa {
                RegistrationPath::Aaa
            } else {
                RegistrationPath::M2mServer
            },
            service,
            discovery: if i % 2 == 0 {
                Discovery::Passive
            } else {
                Discovery::Active
            },
            channel: channels[i % channels.len()],
            scan_channels: channels.clone(),
            boot_us: rng.below(cfg.join_spread_s.max(1) * 1_000_000),
            own_window_offset_us: (rng.uniform() < cfg.own_window_share)
                .then(|| rng.below(u64::from(m.period_s) * 1_000_000)),
            wait_for_indication: rng.uniform() < cfg.wait_for_indication_share,
            timeline,
            format,
            mcs: match (air.as_mut(), cfg.air.as_ref()) {
                (Some(air), Some(a)) => {
                    let snr = air.snr_db(Some(i), None);
                    a.budget
                        .pick_mcs(format, snr, &a.mcs)
                        .or_else(|| {
                            a.mcs.iter().copied().min_by(|x, y| {
                                snr_at_10pct_per(format, *x)
                                    .unwrap_or(f64::MAX)
                                    .total_cmp(&snr_at_10pct_per(format, *y).unwrap_or(f64::MAX))
                            })
                        })
                        .unwrap_or(mcs)
                }
                _ => mcs,
            },
            ack_timeout_us: gcfg.store.commit_interval_ms as u64 * 1_000
                + 4 * timeline.superframe_us,
            seed: cfg.seed.wrapping_mul(31).wrapping_add(i as u64 + 7),
            pmk,
            // Its crystal sets both its carrier offset and its sleep clock's drift.
            clock_ppm: air
                .as_ref()
                .and_then(|a| a.terminal(i))
                .map_or(0.0, |n| n.ppm),
            resync_on_beacon: cfg.air.as_ref().is_none_or(|a| a.beacon_resync),
        }));
    }
    let by_mac: HashMap<MacAddr, usize> = terminals
        .iter()
        .enumerate()
        .map(|(i, t)| (t.mac(), i))
        .collect();
    let mut world = World {
        queue: BinaryHeap::new(),
        order: 0,
        txs: Vec::new(),
        on_air: HashMap::new(),
        busy_us: HashMap::new(),
        terminal_timer: vec![None; terminals.len()],
    };
    for (i, t) in terminals.iter().enumerate() {
        if let Some(at) = t.next_timer() {
            world.terminal_timer[i] = Some(at);
            world.push(at, Ev::Terminal(i));
        }
    }
    world.push(0, Ev::Gateway);
    let mut flood = cfg.flood.as_ref().map(|f| {
        let served = gcfg
            .service
            .sids
            .iter()
            .filter_map(|s| s.parse::<Sid>().ok())
            .collect();
        Flood::new(f.clone(), gw.bssid(), served, channels.clone())
    });
    let mut flood_report = FloodReport::default();
    // Terminals outside the legitimate count: misbehaving and mute ones.
    let (misbehaving, mute): (HashSet<usize>, HashSet<usize>) = cfg
        .flood
        .as_ref()
        .map(|f| {
            (
                f.misbehaving.iter().copied().collect(),
                f.mute.iter().copied().collect(),
            )
        })
        .unwrap_or_default();
    // (terminal, sequence) of legitimate reports the gateway received in their window.
    let mut on_time: HashSet<(usize, u32)> = HashSet::new();
    let mut flood_window: Option<(u64, u64)> = None;
    let mut flood_base: Vec<u64> = Vec::new();
    if let Some(f) = &cfg.flood {
        world.push(f.from_s * 1_000_000, Ev::Flood);
    }
    let mut reports_end = (cfg.hours * 3_600e6) as u64;
    let mut end = reports_end + cfg.drain_s * 1_000_000;
    let mut report = SimReport::default();
    let mut joined_at: Option<(f64, f64)> = None;
    let mut beacon_listeners: std::collections::BTreeSet<usize> = std::collections::BTreeSet::new();
    let mut loss_rng = Rng::new(cfg.seed ^ 0x1055);
    // With the IQ-level medium: frames that ended lately, per channel (they may overlap
    // frames still on air).
    let mut recent: HashMap<u8, Vec<Tx>> = HashMap::new();
    let mut csma_rng = Rng::new(cfg.seed ^ 0xC5AA);
    let mut stored_at_reports_end: Option<(u64, f64)> = None;
    let mut per_channel: HashMap<u8, ChannelFrames> = HashMap::new();
    let mut last_snapshot = Instant::now();
    let mut report_phase_start: Option<(u64, f64)> = None;

    while let Some(Reverse((now, _, ev))) = world.queue.pop() {
        if now > end {
            break;
        }
        if now < reports_end
            && cfg
                .progress
                .as_ref()
                .is_some_and(|p| p.stop.load(Ordering::Relaxed))
        {
            // Asked to end the report phase now: the drain follows.
            reports_end = now;
            end = reports_end + cfg.drain_s * 1_000_000;
        }
        // Paced over the report phase only; the drain runs as fast as it can.
        if let (Some(speed), Some((v0, w0)), true) = (cfg.pace, pace_origin, now < reports_end) {
            let due = w0 + Duration::from_secs_f64(now.saturating_sub(v0) as f64 / 1e6 / speed);
            let wait = due.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
        if stored_at_reports_end.is_none() && now >= reports_end {
            stored_at_reports_end = Some((gw.stats().reports_stored, wall.elapsed().as_secs_f64()));
            report.deregistered_reporting = gw.stats().deregistered;
            report.allocations = gw.scheduler().allocations().copied().collect();
        }
        let mut touched: Vec<usize> = Vec::new();
        match ev {
            Ev::Gateway => {
                while scheduled_commands.front().is_some_and(|c| c.0 <= now) {
                    if let (Some((_, json)), Ok(mut q)) =
                        (scheduled_commands.pop_front(), command_queue.lock())
                    {
                        q.push(Command::from_json(json.as_bytes()));
                    }
                }
                gw.poll(now);
                world.push(gw.next_wakeup(), Ev::Gateway);
                if flood_window.is_some() {
                    flood_report.footprint_max =
                        footprint_max(flood_report.footprint_max, gw.footprint());
                    if let (Some(r), Some((_, m, e))) = (rss_kib(), flood_report.rss_kib.as_mut()) {
                        *m = (*m).max(r);
                        *e = r;
                    }
                }
            }
            Ev::Flood => {
                let Some(f) = flood.as_mut() else {
                    continue;
                };
                let until = f
                    .setup()
                    .until_s
                    .map_or(reports_end, |s| (s * 1_000_000).min(reports_end));
                if now >= until {
                    continue;
                }
                if flood_window.is_none() {
                    flood_report.rss_kib = rss_kib().map(|r| (r, r, r));
                    // Reports made from here on are the flooded ones (a terminal numbers
                    // its reports 0, 1, 2, ...).
                    flood_base = terminals.iter().map(|t| t.stats().generated).collect();
                }
                flood_window = Some((flood_window.map_or(now, |w| w.0), now));
                let scheduled: Vec<Misbehaver> = misbehaving
                    .iter()
                    .filter(|&&i| {
                        terminals
                            .get(i)
                            .is_some_and(|t| t.phase() == Phase::Reporting)
                    })
                    .filter_map(|&i| {
                        let t = &terminals[i];
                        Some(Misbehaver {
                            mac: t.mac(),
                            service: t.service().clone(),
                            data_amount: *data_amounts.get(i)?,
                        })
                    })
                    .collect();
                let (channel, psdu) = f.next_frame(&scheduled);
                gw.handle_rx(now, channel, &psdu);
                let gap = f.gap_us();
                world.push(now + gap, Ev::Flood);
            }
            Ev::Terminal(i) => {
                if world.terminal_timer[i] != Some(now) {
                    continue; // superseded
                }
                world.terminal_timer[i] = None;
                if now < reports_end || terminals[i].phase() != Phase::Reporting {
                    terminals[i].on_timer(now);
                } else {
                    // Report phase over: only retries of unacked reports go on.
                    terminals[i].on_timer_retries_only(now);
                }
                touched.push(i);
            }
            Ev::TxStart(idx) => {
                if world.sense_and_send(idx, now, &timeline, &mut csma_rng) {
                    report.frames_deferred += 1;
                }
            }
            Ev::TxEnd(idx) => {
                let Some(tx) = world.txs[idx].take() else {
                    continue;
                };
                let report_frame = tx.from.is_some() && is_report(&tx.psdu);
                if let Some(air) = air.as_mut() {
                    // The whole-band receiver hears meters on every channel at once.
                    let all_channels = tx.from.is_some() && air.is_wideband();
                    let others: Vec<Overlap> = if tx.collided || all_channels {
                        overlapping(&world, &recent, idx, &tx, all_channels)
                    } else {
                        Vec::new()
                    };
                    let others: Vec<Emission<'_>> = others
                        .iter()
                        .map(|(from, channel, start_us, psdu, mcs)| Emission {
                            from: *from,
                            channel: *channel,
                            start_us: *start_us,
                            psdu,
                            mcs: *mcs,
                        })
                        .collect();
                    let target = Emission {
                        from: tx.from,
                        channel: tx.channel,
                        start_us: tx.start,
                        psdu: &tx.psdu,
                        mcs: tx.mcs,
                    };
                    if tx.collided {
                        report.frames_collided += 1;
                    }
                    let counts = per_channel.entry(tx.channel).or_default();
                    let mut received = None;
                    match tx.from {
                        Some(_) => {
                            counts.uplink += 1;
                            let ok = air.decodes(None, &target, &others);
                            received = Some(ok);
                            if ok {
                                if report_frame {
                                    report.delivered += 1;
                                }
                                gw.handle_rx_at_mcs(now, tx.channel, &tx.psdu, tx.mcs);
                            } else {
                                counts.uplink_lost += 1;
                                if report_frame {
                                    if tx.collided {
                                        report.collided += 1;
                                    } else {
                                        report.lost += 1;
                                    }
                                }
                            }
                        }
                        None => {
                            for r in receivers_of(&tx.psdu, &beacon_listeners, &by_mac) {
                                if !terminals[r].listening(tx.start, tx.channel) {
                                    continue;
                                }
                                counts.downlink += 1;
                                if air.decodes(Some(r), &target, &others) {
                                    terminals[r].on_frame(now, tx.channel, &tx.psdu);
                                    touched.push(r);
                                } else {
                                    counts.downlink_lost += 1;
                                }
                            }
                        }
                    }
                    if observed(&cfg.observe, &tx) {
                        let (snr_db, cfo_hz) = match tx.from {
                            Some(_) => (air.snr_db(tx.from, None), air.cfo_hz(tx.from, None)),
                            None => (f64::NAN, 0.0),
                        };
                        report.frames.push(air_frame(&tx, received, snr_db, cfo_hz));
                    }
                    let list = recent.entry(tx.channel).or_default();
                    list.retain(|o: &Tx| o.end + 1_000_000 > now);
                    list.push(tx);
                } else {
                    let counts = per_channel.entry(tx.channel).or_default();
                    let mut received = None;
                    match tx.from {
                        Some(_) => {
                            counts.uplink += 1;
                            let ok = !tx.collided && loss_rng.uniform() >= cfg.loss;
                            received = Some(ok);
                            if ok {
                                if report_frame {
                                    report.delivered += 1;
                                }
                                if let (Some(f), Some(i)) = (flood.as_mut(), tx.from) {
                                    f.capture(&tx.psdu);
                                    let legit = !misbehaving.contains(&i) && !mute.contains(&i);
                                    if legit && flood_window.is_some_and(|(a, _)| now >= a) {
                                        flood_report.legit_frames += 1;
                                    }
                                    let (a, b) =
                                        timeline.contention(timeline.superframe_start(tx.start));
                                    if legit && report_frame && !(a..b).contains(&tx.start) {
                                        if let Some(seq) = report_sequence(&tx.psdu) {
                                            on_time.insert((i, seq));
                                        }
                                    }
                                }
                                gw.handle_rx(now, tx.channel, &tx.psdu);
                            } else {
                                counts.uplink_lost += 1;
                                if report_frame {
                                    if tx.collided {
                                        report.collided += 1;
                                    } else {
                                        report.lost += 1;
                                    }
                                }
                            }
                        }
                        None => {
                            for r in receivers_of(&tx.psdu, &beacon_listeners, &by_mac) {
                                if !terminals[r].listening(tx.start, tx.channel) {
                                    continue;
                                }
                                counts.downlink += 1;
                                if tx.collided || loss_rng.uniform() < cfg.loss {
                                    counts.downlink_lost += 1;
                                    continue;
                                }
                                terminals[r].on_frame(now, tx.channel, &tx.psdu);
                                touched.push(r);
                            }
                        }
                    }
                    if tx.collided {
                        report.frames_collided += 1;
                    }
                    if observed(&cfg.observe, &tx) {
                        report.frames.push(air_frame(&tx, received, f64::NAN, 0.0));
                    }
                }
            }
        }
        for t in gw.drain_transmissions() {
            world.submit(
                Tx {
                    mcs: t.request.mcs,
                    channel: t.channel,
                    start: t.at_us,
                    end: t.at_us + t.airtime_us,
                    from: None,
                    psdu: t.request.psdu,
                    collided: false,
                },
                &timeline,
            );
        }
        let mut wrote = false;
        for &i in &touched {
            let newly = terminals[i].take_newly_acked();
            acked_so_far += newly.len() as u64;
            if let Some(log) = acked_log.as_mut() {
                let mac = terminals[i].mac();
                for seq in newly {
                    writeln!(log, "{mac} {seq}")?;
                    wrote = true;
                }
            }
        }
        if wrote {
            if let Some(log) = acked_log.as_mut() {
                log.flush()?;
            }
        }
        if let Some(p) = &cfg.progress {
            p.acked.store(acked_so_far, Ordering::Relaxed);
            p.virtual_us.store(now, Ordering::Relaxed);
            if last_snapshot.elapsed() >= Duration::from_millis(100) {
                last_snapshot = Instant::now();
                let made: u64 = terminals.iter().map(|t| t.stats().generated).sum();
                p.generated.store(made, Ordering::Relaxed);
                if let Ok(mut g) = p.gateway.lock() {
                    *g = gw.stats();
                }
                if let Ok(mut f) = p.footprint.lock() {
                    *f = gw.footprint();
                }
            }
        }
        for i in touched {
            let terminal_mcs = terminals[i].mcs();
            let frames = terminals[i].drain();
            if mute.contains(&i) && terminals[i].phase() == Phase::Reporting {
                // Mute once scheduled: nothing it would send goes on air.
                continue;
            }
            for (at, ch, psdu, air) in frames {
                world.submit(
                    Tx {
                        mcs: terminal_mcs,
                        channel: ch,
                        start: at,
                        end: at + air,
                        from: Some(i),
                        psdu,
                        collided: false,
                    },
                    &timeline,
                );
            }
            if terminals[i].wants_beacon() {
                beacon_listeners.insert(i);
            } else {
                beacon_listeners.remove(&i);
            }
            let next = terminals[i].next_timer();
            if let Some(at) = next {
                let at = at.max(now);
                if world.terminal_timer[i] != Some(at) {
                    world.terminal_timer[i] = Some(at);
                    world.push(at, Ev::Terminal(i));
                }
            }
        }
        // The paced part starts once every terminal joined, or at `pace_from_s` at the latest
        // (a few stragglers still retrying must not keep the clock racing).
        let pace_due = joined_at.is_some() || cfg.pace_from_s.is_some_and(|s| now >= s * 1_000_000);
        if pace_origin.is_none() && pace_due {
            pace_origin = Some((now, Instant::now()));
            if let Some(p) = &cfg.progress {
                p.reporting.store(true, Ordering::SeqCst);
            }
        }
        if joined_at.is_none() && now > cfg.join_spread_s * 1_000_000 {
            let joining = terminals
                .iter()
                .filter(|t| !matches!(t.phase(), Phase::Reporting | Phase::GaveUp(_)))
                .count();
            if joining == 0 {
                joined_at = Some((wall.elapsed().as_secs_f64(), now as f64 / 1e6));
                report_phase_start =
                    Some((gw.stats().reports_stored, wall.elapsed().as_secs_f64()));
            }
        }
    }
    gw.flush(end);
    // The terminals are done; the gateway runs on until the last open batch closed by age
    // and went northbound (a real gateway would keep it for after its restart).
    let settle = end + gcfg.aggregation.max_age_ms * 1_000 + timeline.superframe_us;
    gw.poll(settle);
    gw.flush(settle);
    let wall_s = wall.elapsed().as_secs_f64();

    // Compare the store (one pass over it) with what the terminals saw acked.
    // A report's identity is the store's: terminal, SID, sequence and measurement time (a
    // store reused across runs holds earlier readings under the same sequence numbers, and
    // a terminal of another run may have had another service).
    let mut stored: HashMap<MacAddr, HashSet<u32>> = HashMap::new();
    let mut identities: HashSet<(MacAddr, String, u32, u64)> = HashSet::new();
    gw.store().for_each_report(|r| {
        stored
            .entry(r.terminal)
            .or_default()
            .insert(r.report.sequence);
        if !identities.insert((
            r.terminal,
            r.report.sid.to_string(),
            r.report.sequence,
            r.report.timestamp,
        )) {
            report.stored_twice += 1;
        }
        Ok::<_, SimError>(())
    })?;
    let nothing = HashSet::new();
    for (i, t) in terminals.iter().enumerate() {
        let seqs = stored.get(&t.mac()).unwrap_or(&nothing);
        report.acked_missing += t.acked().iter().filter(|s| !seqs.contains(s)).count() as u64;
        report.acked += t.acked().len() as u64;
        report.unacked += t.unacked() as u64;
        let s = t.stats();
        report.generated += s.generated;
        let sum = &mut report.terminals;
        sum.generated += s.generated;
        sum.sent += s.sent;
        sum.retries += s.retries;
        sum.polls += s.polls;
        sum.rejoins += s.rejoins;
        sum.skipped += s.skipped;
        sum.beacon_wakes += s.beacon_wakes;
        sum.beacon_syncs += s.beacon_syncs;
        let is_unserved = unserved.contains(&i);
        let is_wrong_key = wrong_key.contains(&i);
        if is_wrong_key && (t.configured() || !seqs.is_empty()) {
            report.wrong_key_configured += 1;
        }
        match t.phase() {
            Phase::Reporting => {
                report.scheduled += 1;
                if is_unserved {
                    report.unserved_admitted += 1;
                }
            }
            Phase::GaveUp(g) => {
                match g {
                    GiveUp::Ignored => report.ignored += 1,
                    GiveUp::NotSupported | GiveUp::Refused(_) | GiveUp::Keying => {
                        report.refused += 1
                    }
                }
                if !is_unserved && !is_wrong_key {
                    report.served_gave_up += 1;
                    let why = format!("{g:?}");
                    match report
                        .served_gave_up_why
                        .iter_mut()
                        .find(|(w, _)| *w == why)
                    {
                        Some((_, n)) => *n += 1,
                        None => report.served_gave_up_why.push((why, 1)),
                    }
                }
            }
            _ => report.joining += 1,
        }
        if is_unserved && (gw.stations().get(&t.mac()).is_some() || !seqs.is_empty()) {
            report.unserved_admitted += 1;
        }
    }
    report.members = terminals
        .iter()
        .filter_map(|t| {
            Some(MemberView {
                mac: t.mac(),
                assignment: t.group()?,
                in_standby: t.in_standby(),
                receipts: t.receipts().to_vec(),
                frames: t.group_frames(),
            })
        })
        .collect();
    if let Some(air) = air.as_mut() {
        report.air = air.stats();
        report.links = terminals
            .iter()
            .enumerate()
            .map(|(i, t)| LinkView {
                distance_m: air.terminal(i).map_or(0.0, |n| (n.x_m).hypot(n.y_m)),
                mcs: t.mcs(),
                snr_db: air.snr_db(Some(i), None),
                generated: t.stats().generated,
                acked: t.acked().len(),
                joined: t.phase() == Phase::Reporting,
            })
            .collect();
    }
    report.unserved = unserved.len();
    report.wrong_key = wrong_key.len();
    let counts = gw.store().counts()?;
    report.stored = counts.stored;
    report.duplicates = counts.duplicates;
    report.gateway = gw.stats();
    report.tx_usage = gw.tx_usage();
    if let (Some(f), Some((a, b))) = (flood.as_ref(), flood_window) {
        let mut fr = flood_report;
        fr.counts = f.counts();
        fr.seconds = (b - a) as f64 / 1e6;
        fr.footprint_end = gw.footprint();
        for (i, t) in terminals.iter().enumerate() {
            if mute.contains(&i) {
                fr.mute_held += usize::from(gw.stations().get(&t.mac()).is_some());
                continue;
            }
            if misbehaving.contains(&i) || unserved.contains(&i) || wrong_key.contains(&i) {
                continue;
            }
            let base = flood_base.get(i).copied().unwrap_or(0);
            let flooded = |s: &&u32| u64::from(**s) >= base;
            fr.legit_generated += t.stats().generated.saturating_sub(base);
            fr.legit_acked += t.acked().iter().filter(flooded).count() as u64;
            fr.legit_on_time += t
                .acked()
                .iter()
                .filter(flooded)
                .filter(|s| on_time.contains(&(i, **s)))
                .count() as u64;
        }
        report.flood = Some(fr);
    }
    report.late = report.gateway.reports_late;
    report.commits = report.gateway.commits;
    report.simulated_s = end as f64 / 1e6;
    report.wall_s = wall_s;
    if let Some((w, s)) = joined_at {
        report.join_wall_s = w;
        report.join_simulated_s = s;
    }
    let start = report_phase_start.unwrap_or((0, 0.0));
    let stop = stored_at_reports_end.unwrap_or((gw.stats().reports_stored, wall_s));
    let dt = (stop.1 - start.1).max(1e-9);
    report.stored_per_wall_s = stop.0.saturating_sub(start.0) as f64 / dt;
    report.airtime = channels
        .iter()
        .map(|c| {
            (
                *c,
                world.busy_us.get(c).copied().unwrap_or(0) as f64 / end.max(1) as f64,
            )
        })
        .collect();
    report.occupancy = gw.scheduler().occupancy();
    if report.allocations.is_empty() {
        report.allocations = gw.scheduler().allocations().copied().collect();
    }
    let mut chans: Vec<ChannelFrames> = per_channel
        .into_iter()
        .map(|(channel, c)| ChannelFrames { channel, ..c })
        .collect();
    chans.sort_by_key(|c| c.channel);
    report.channels = chans;
    if let Some(air) = air.as_ref() {
        report.constellations = air
            .constellations()
            .iter()
            .map(|(m, p)| (Mcs(*m), p.clone()))
            .collect();
    }
    if let Some(p) = &cfg.progress {
        p.generated.store(report.generated, Ordering::Relaxed);
        if let Ok(mut g) = p.gateway.lock() {
            *g = report.gateway;
        }
    }
    Ok(report)
}

/// Whether `tx` starts inside the observed window.
fn observed(o: &Observe, tx: &Tx) -> bool {
    o.frames_us
        .is_some_and(|(from, to)| tx.start >= from && tx.start < to)
}

/// The kept view of `tx`.
fn air_frame(tx: &Tx, received: Option<bool>, snr_db: f64, cfo_hz: f64) -> AirFrame {
    AirFrame {
        from: tx.from,
        channel: tx.channel,
        start_us: tx.start,
        end_us: tx.end,
        mcs: tx.mcs,
        psdu: tx.psdu.clone(),
        received,
        snr_db,
        cfo_hz,
    }
}
