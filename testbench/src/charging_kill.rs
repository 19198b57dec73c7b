//! Crash safety of charging (issue 8): the real gateway process (`subgate sim` with charging
//! on, publishing to a real mosquitto) is SIGKILLed at random moments — while terminals join,
//! while reports are committed, while records close, spool and publish — and started again on
//! the same store, many times over; a last run finishes normally. Then [`audit`] checks,
//! against what the store holds independently of the ledger (the stored reports' payloads
//! for uplink, the `registered` events' configuration bytes for downlink):
//!
//! - every usage byte is in exactly one record (closed or open), per subscription, service,
//!   device, direction and roaming class;
//! - each subscription's records are numbered 1, 2, … with no gap and no repeat, and every
//!   record keeps its limits;
//! - every closed record is in the spool exactly once and reached the broker's subscriber
//!   (re-deliveries carry the same record id and the same content), and none else did.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use subgate_control::charging::spool::read_spool;
use subgate_control::charging::{ChargingRecord, Class, Direction};
use subgate_control::config::Config;
use subgate_control::store::charging::RecordFilter;
use subgate_control::store::{Store, StoreError};
use subgate_dsp::rng::Rng;

use crate::broker::Received;

/// The gateway configuration of the runs: the simulation's four services in two
/// subscriptions with small limits (records close every few seconds of traffic, by volume
/// and by time), and the terminals `02:10:00:00:01:xx` (numbers 256–511) roaming.
pub const CONFIG: &str = r#"
[service]
sids = ["service:meter-1m", "service:meter-15m", "service:meter-1h", "service:meter-1d"]

[radio]
channels = [1, 3, 5, 7]

[store]
commit_interval_ms = 2000

[charging]
enabled = true
network = "home"
volume_classes = [2048, 8192, 32768, 131072]
time_classes_s = [7200, 1800, 900, 600]
subscriptions = [
  { id = "utility-a", profile = 5, services = ["service:meter-1m", "service:meter-15m"] },
  { id = "utility-b", profile = 14, factor = 3, services = ["service:meter-1h", "service:meter-1d"] },
]

[charging.terminal_networks]
"02:10:00:00:01" = "visited"
"#;

/// What to run.
#[derive(Debug, Clone)]
pub struct KillPlan {
    /// The `subgate` executable.
    pub exe: PathBuf,
    /// Working directory (config, store, spool, logs).
    pub dir: PathBuf,
    /// Broker `host:port`.
    pub broker: String,
    /// Kills before the last, uninterrupted run.
    pub kills: usize,
    /// Terminals per run.
    pub terminals: usize,
    /// A run is killed this long after it started, drawn uniformly, ms.
    pub kill_after_ms: (u64, u64),
    /// Seed of the kill times (run i also gets simulation seed i + 1).
    pub seed: u64,
}

impl KillPlan {
    /// 300 terminals, killed 0.1–0.8 s after start (joining takes the first ~0.2 s).
    pub fn new(exe: PathBuf, dir: PathBuf, broker: String, kills: usize) -> KillPlan {
        KillPlan {
            exe,
            dir,
            broker,
            kills,
            terminals: 300,
            kill_after_ms: (100, 800),
            seed: 1,
        }
    }

    /// The gateway's name (topics `subgate/<name>/…`).
    pub const NAME: &'static str = "gw-charging";

    fn db(&self) -> PathBuf {
        self.dir.join("gw.db")
    }

    fn sim(&self, run: usize, hours: &str) -> Command {
        let mut c = Command::new(&self.exe);
        c.arg("sim")
            .args(["--terminals", &self.terminals.to_string()])
            .args(["--join-spread-s", "60", "--hours", hours])
            .args(["--seed", &(run + 1).to_string()])
            .args(["--mqtt", &self.broker, "--name", Self::NAME])
            .arg("--config")
            .arg(self.dir.join("gateway.toml"))
            .arg("--db")
            .arg(self.db())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }
}

/// What the runs did.
#[derive(Debug, Clone, Default)]
pub struct KillRuns {
    /// Processes killed.
    pub killed: usize,
    /// Runs that ended on their own before their kill time.
    pub finished_early: usize,
    /// Wall time of everything, s.
    pub wall_s: f64,
}

/// Runs `plan.kills` killed runs and one last run to its end.
pub fn run_kills(plan: &KillPlan, progress: impl Fn(usize)) -> std::io::Result<KillRuns> {
    std::fs::create_dir_all(&plan.dir)?;
    std::fs::write(plan.dir.join("gateway.toml"), CONFIG)?;
    let wall = Instant::now();
    let mut rng = Rng::new(plan.seed);
    let mut runs = KillRuns::default();
    let (lo, hi) = plan.kill_after_ms;
    for i in 0..plan.kills {
        let after = Duration::from_millis(lo + rng.below(hi.saturating_sub(lo).max(1)));
        let mut child = plan.sim(i, "24").spawn()?;
        let start = Instant::now();
        let mut ended = false;
        while start.elapsed() < after {
            if child.try_wait()?.is_some() {
                ended = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if ended {
            runs.finished_early += 1;
        } else {
            child.kill()?; // SIGKILL
            runs.killed += 1;
        }
        child.wait()?;
        progress(i + 1);
    }
    let status = plan.sim(plan.kills, "0.2").status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "the last run failed: {status}"
        )));
    }
    runs.wall_s = wall.elapsed().as_secs_f64();
    Ok(runs)
}

/// Closed records in the store now (what the subscriber must end up with).
pub fn closed_records(plan: &KillPlan) -> Result<usize, StoreError> {
    Ok(Store::open(plan.db())?
        .charging_records(&RecordFilter::default())?
        .len())
}

/// Key of a usage total: service, device, class.
type UsageKey = (String, String, Class);

/// Why the audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The spool could not be read.
    #[error("spool: {0}")]
    Io(#[from] std::io::Error),
    /// [`CONFIG`] does not load.
    #[error(transparent)]
    Config(#[from] subgate_control::config::ConfigError),
    /// [`CONFIG`] has charging off.
    #[error("charging is off in the kill runs' configuration")]
    Off,
}

/// What [`audit`] found.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// Closed records in the store.
    pub closed: usize,
    /// Open records.
    pub open: usize,
    /// Closed records by reason kind.
    pub reasons: BTreeMap<String, usize>,
    /// Usage bytes carried (ground truth): uplink, downlink.
    pub carried: (u64, u64),
    /// Of which roaming.
    pub roaming: u64,
    /// Spool files.
    pub spool_files: usize,
    /// Record messages received, and distinct record ids among them.
    pub received: (usize, usize),
    /// Everything that is wrong (empty: the run is sound).
    pub problems: Vec<String>,
}

/// Checks the store, the spool and what the broker's subscriber received (see the module
/// docs).
pub fn audit(plan: &KillPlan, received: &Received) -> Result<Audit, AuditError> {
    let mut a = Audit::default();
    let mut config: Config = CONFIG.parse()?;
    // `sim --db` sets the store path, and with it the spool directory beside it.
    config.store.path = plan.db().display().to_string();
    let setup = config.charging_setup()?.ok_or(AuditError::Off)?;
    let store = Store::open(plan.db())?;

    // Ground truth from the store.
    let mut truth: BTreeMap<UsageKey, u64> = BTreeMap::new();
    let mut add = |sid: String, mac: subgate_control::wire::MacAddr, dir: Direction, n: u64| {
        let class = Class::new(dir, setup.roaming_of(mac));
        *truth.entry((sid, mac.to_string(), class)).or_default() += n;
    };
    store.for_each_report(|r| {
        if !r.report.payload.is_empty() {
            add(
                r.report.sid.to_string(),
                r.terminal,
                Direction::Uplink,
                r.report.payload.len() as u64,
            );
        }
        Ok::<_, StoreError>(())
    })?;
    for e in store.events()? {
        if e.event.kind != "registered" {
            continue;
        }
        let (Some(mac), Some(sid)) = (e.event.terminal, e.event.sid.clone()) else {
            a.problems
                .push(format!("event {} without terminal or SID", e.id));
            continue;
        };
        let bytes = serde_json::from_str::<serde_json::Value>(&e.event.detail)
            .ok()
            .and_then(|d| d.get("config_bytes").and_then(serde_json::Value::as_u64));
        match bytes {
            Some(n) => add(sid.to_string(), mac, Direction::Downlink, n),
            None => a
                .problems
                .push(format!("registered event {} without config_bytes", e.id)),
        }
    }
    for ((_, _, class), n) in &truth {
        match class.direction {
            Direction::Uplink => a.carried.0 += n,
            Direction::Downlink => a.carried.1 += n,
        }
        if class.roaming == subgate_control::charging::Roaming::Roaming {
            a.roaming += n;
        }
    }

    // The records.
    let closed = store.charging_records(&RecordFilter::default())?;
    let (open, _) = store.charging_state()?;
    a.closed = closed.len();
    a.open = open.len();
    let mut counted: BTreeMap<UsageKey, u64> = BTreeMap::new();
    let mut sequences: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in closed.iter().map(|s| &s.record).chain(open.iter()) {
        sequences
            .entry(r.subscription.clone())
            .or_default()
            .push(r.sequence);
        if !r.within_limits() {
            a.problems.push(format!(
                "record {}#{} exceeds its limits",
                r.subscription, r.sequence
            ));
        }
        if let Some(reason) = &r.close_reason {
            *a.reasons.entry(reason.kind().to_string()).or_default() += 1;
        }
        for (service, section) in &r.services {
            for (device, v) in &section.devices {
                for class in Class::ALL {
                    let n = v.get(class);
                    if n > 0 {
                        *counted
                            .entry((service.clone(), device.clone(), class))
                            .or_default() += n;
                    }
                }
            }
        }
    }
    for (sub, mut seqs) in sequences {
        seqs.sort_unstable();
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        if seqs != expected {
            a.problems.push(format!(
                "{sub}: record sequences {:?}… are not 1..={}",
                &seqs[..seqs.len().min(8)],
                seqs.len()
            ));
        }
    }
    for key in truth.keys().chain(counted.keys()).collect::<BTreeSet<_>>() {
        let (t, c) = (
            truth.get(key).copied().unwrap_or(0),
            counted.get(key).copied().unwrap_or(0),
        );
        if t != c && a.problems.len() < 20 {
            a.problems.push(format!(
                "{} {} {}: carried {t} bytes, charged {c}",
                key.0,
                key.1,
                key.2.name()
            ));
        }
    }

    // The spool: every closed record exactly once.
    let closed_by_key: BTreeMap<(String, u64), &ChargingRecord> = closed
        .iter()
        .map(|s| {
            (
                (s.record.subscription.clone(), s.record.sequence),
                &s.record,
            )
        })
        .collect();
    let mut spooled: BTreeMap<(String, u64), ChargingRecord> = BTreeMap::new();
    for path in spool_files(&setup.spool_dir)? {
        a.spool_files += 1;
        for r in read_spool(&path)? {
            let key = (r.subscription.clone(), r.sequence);
            if spooled.insert(key.clone(), r).is_some() {
                a.problems
                    .push(format!("{}#{} spooled twice", key.0, key.1));
            }
        }
    }
    if spooled.len() != closed_by_key.len()
        || spooled
            .iter()
            .any(|(k, r)| closed_by_key.get(k).is_none_or(|c| *c != r))
    {
        a.problems.push(format!(
            "spool holds {} records, the store {} closed ones, or their contents differ",
            spooled.len(),
            closed_by_key.len()
        ));
    }

    // The broker: every closed record, copies identical, nothing else.
    let mut by_id: BTreeMap<i64, &ChargingRecord> = BTreeMap::new();
    for m in &received.records {
        if let Some(prev) = by_id.insert(m.record_id, &m.record) {
            if *prev != m.record {
                a.problems.push(format!(
                    "record id {} published with two contents",
                    m.record_id
                ));
            }
        }
    }
    a.received = (received.records.len(), by_id.len());
    let stored_ids: BTreeMap<i64, &ChargingRecord> =
        closed.iter().map(|s| (s.id, &s.record)).collect();
    if by_id != stored_ids {
        let missing = stored_ids.keys().filter(|k| !by_id.contains_key(k)).count();
        let extra = by_id.keys().filter(|k| !stored_ids.contains_key(k)).count();
        a.problems.push(format!(
            "broker: {missing} closed records never arrived, {extra} arrived that the store does not hold (or contents differ)"
        ));
    }
    if closed.iter().any(|s| s.published_at_ms.is_none()) {
        a.problems
            .push("closed records left unpublished after the last run".into());
    }
    Ok(a)
}

/// The spool files in `dir` (temporary files left by a kill are not spool files).
fn spool_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("charging-") && name.ends_with(".jsonl") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
