//! The northbound under a broker outage (what `subgate bench northbound` prints): the whole
//! gateway with its virtual terminals, paced to real time at a chosen report rate, publishing
//! to a real mosquitto that is stopped for a while mid-run and started again. A platform-side
//! [`Consumer`] collects every batch; the terminals' own record of which reports were acked
//! ([`SimConfig::acked_log`]) is compared with what arrived.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use subgate_control::config::NorthboundKind;

use crate::broker::{Consumer, Mosquitto};
use crate::sim::{self, setting, ServiceMix, SimConfig, SimError, SimProgress, SimReport};

/// Terminals power up over this many (virtual, unpaced) seconds; the paced part starts
/// once all have joined.
const JOIN_SPREAD_S: u64 = 300;

/// What to run.
#[derive(Debug, Clone)]
pub struct OutageOptions {
    /// Reports per minute over the whole population.
    pub reports_per_min: u32,
    /// Each terminal's report period, s (a scheduler period: 30 is added to the defaults).
    pub period_s: u32,
    /// Seconds of paced reporting before the broker stops.
    pub before_s: u64,
    /// Seconds the broker is down.
    pub outage_s: u64,
    /// Seconds of paced reporting after it is back.
    pub after_s: u64,
    /// Stop the broker with SIGKILL instead of SIGTERM.
    pub kill: bool,
}

impl Default for OutageOptions {
    /// The case: 10 000 reports/min (5 000 terminals every 30 s), 60 s outage.
    fn default() -> Self {
        OutageOptions {
            reports_per_min: 10_000,
            period_s: 30,
            before_s: 20,
            outage_s: 60,
            after_s: 40,
            kill: false,
        }
    }
}

/// When the broker goes down, for how long, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutageTiming {
    /// Seconds of paced reporting before the broker stops.
    pub before_s: u64,
    /// Seconds the broker is down.
    pub outage_s: u64,
    /// Seconds of paced reporting after it is back.
    pub after_s: u64,
    /// Stop the broker with SIGKILL instead of SIGTERM.
    pub kill: bool,
}

impl OutageOptions {
    /// Its timing.
    pub fn timing(&self) -> OutageTiming {
        OutageTiming {
            before_s: self.before_s,
            outage_s: self.outage_s,
            after_s: self.after_s,
            kill: self.kill,
        }
    }
}

/// What it measured.
#[derive(Debug, Clone)]
pub struct OutageReport {
    /// Terminals simulated.
    pub terminals: usize,
    /// Reports the terminals saw acked (each once).
    pub acked: usize,
    /// Acked reports that never reached the consumer: must be 0.
    pub lost: usize,
    /// Reports that reached the consumer (distinct terminal, sequence).
    pub received: usize,
    /// Batch messages received.
    pub messages: usize,
    /// Distinct batch ids received.
    pub batches: usize,
    /// Messages that repeated a batch id already received.
    pub redeliveries: usize,
    /// Messages marked as replays (`attempts` > 0).
    pub replays: usize,
    /// Reports acked per minute over the real-time part (before, during and after).
    pub paced_rate: f64,
    /// Reports acked to terminals while the broker was down.
    pub acked_during_outage: u64,
    /// Simulated seconds that passed while the broker was down (= the outage when the
    /// simulation kept real time).
    pub outage_virtual_s: f64,
    /// The simulation's own counts.
    pub sim: SimReport,
    /// Wall time, s.
    pub wall_s: f64,
}

/// Runs it. Needs mosquitto (`crate::broker::installed`).
pub fn run(o: &OutageOptions) -> Result<OutageReport, SimError> {
    if o.period_s == 0 || o.reports_per_min == 0 {
        return Err(SimError::Setting("rate and period must be > 0".into()));
    }
    let terminals = usize::try_from(u64::from(o.reports_per_min) * u64::from(o.period_s) / 60)
        .map_err(setting)?;
    // The report phase counts from virtual 0 and covers the joins; it is ended through
    // `progress.stop` once the paced part ran `before + outage + after` seconds.
    let mut cfg = SimConfig::mixed(terminals, 24.0);
    cfg.mix = vec![ServiceMix {
        name: "meter".into(),
        period_s: o.period_s,
        data_amount: 32,
        weight: 1,
    }];
    if !cfg.gateway.scheduler.periods_s.contains(&o.period_s) {
        cfg.gateway.scheduler.periods_s.insert(0, o.period_s);
    }
    // 10 000 reports/min of 32 bytes fill about half of four 1 MHz channels' report time
    // once guards and the access periods are counted: eight channels leave room to join.
    cfg.gateway.radio.channels = (1..=15).step_by(2).collect();
    cfg.gateway.gateway.name = "bench-gw".into();
    cfg.join_spread_s = JOIN_SPREAD_S;
    cfg.drain_s = 120;
    cfg.own_window_share = 0.0;
    run_config(cfg, &o.timing())
}

/// Runs `cfg` (a scenario's simulation) against a real mosquitto that goes down as `t`
/// says: joins in virtual time, then reporting paced to real time from the moment every
/// terminal joined (or `pace_from_s`, default the join spread + 300 s), the broker stopped
/// `before_s` into it for `outage_s`, `after_s` more, then the drain. Needs mosquitto.
pub fn run_config(mut cfg: SimConfig, t: &OutageTiming) -> Result<OutageReport, SimError> {
    let wall = Instant::now();
    let terminals = cfg.terminals;
    let mut broker = Mosquitto::start()?;
    let consumer = Consumer::start(
        broker.port,
        "bench-platform",
        &cfg.gateway.northbound.topic_prefix,
    );
    let dir = tempfile::Builder::new()
        .prefix("subgate-outage-")
        .tempdir()?;
    let log = dir.path().join("acked.log");
    cfg.gateway.northbound.kind = NorthboundKind::Mqtt;
    cfg.gateway.northbound.broker = broker.addr();
    cfg.pace = Some(1.0);
    let pace_from = cfg.pace_from_s.unwrap_or(cfg.join_spread_s + 300);
    cfg.pace_from_s = Some(pace_from);
    // The report phase must outlast the paced part; `progress.stop` ends it.
    let paced_s = t.before_s + t.outage_s + t.after_s;
    cfg.hours = cfg.hours.max((pace_from + paced_s + 600) as f64 / 3600.0);
    if cfg.store_path.is_none() {
        cfg.store_path = Some(dir.path().join("gw.db"));
    }
    cfg.acked_log = Some(log.clone());
    let progress = Arc::new(SimProgress::default());
    cfg.progress = Some(progress.clone());

    let sim_thread = std::thread::spawn(move || sim::run(&cfg));
    let join_limit = Instant::now() + Duration::from_secs(900);
    while !progress.reporting.load(Ordering::SeqCst) {
        if sim_thread.is_finished() || Instant::now() > join_limit {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !progress.reporting.load(Ordering::SeqCst) {
        progress.stop.store(true, Ordering::SeqCst);
        let _ = sim_thread.join();
        return Err(SimError::Setting(
            "the terminals did not all join within 900 s".into(),
        ));
    }
    let (acked_at_start, paced_from) = (progress.acked.load(Ordering::Relaxed), Instant::now());
    eprintln!(
        "{terminals} terminals joining done by {:.1} s wall ({} reports acked so far); reporting in real time",
        wall.elapsed().as_secs_f64(),
        progress.acked.load(Ordering::Relaxed)
    );
    std::thread::sleep(Duration::from_secs(t.before_s));
    let acked_before = progress.acked.load(Ordering::Relaxed);
    let virtual_before = progress.virtual_us.load(Ordering::Relaxed);
    if t.kill {
        broker.kill()?;
    } else {
        broker.stop()?;
    }
    eprintln!("broker down for {} s …", t.outage_s);
    std::thread::sleep(Duration::from_secs(t.outage_s));
    let acked_during_outage = progress.acked.load(Ordering::Relaxed) - acked_before;
    let outage_virtual_s = progress
        .virtual_us
        .load(Ordering::Relaxed)
        .saturating_sub(virtual_before) as f64
        / 1e6;
    broker.restart()?;
    eprintln!("broker back; {acked_during_outage} reports acked meanwhile");
    std::thread::sleep(Duration::from_secs(t.after_s));
    let paced_rate = (progress.acked.load(Ordering::Relaxed) - acked_at_start) as f64
        / paced_from.elapsed().as_secs_f64()
        * 60.0;
    progress.stop.store(true, Ordering::SeqCst);
    let report = sim_thread
        .join()
        .map_err(|_| SimError::Setting("the simulation thread panicked".into()))??;

    let acked = sim::read_acked_log(&log)?;
    // The drain forwarded everything; give the broker time to hand it over.
    consumer.wait_for(Duration::from_secs(60), |r| {
        acked.is_subset(&r.report_keys())
    });
    let got = consumer.received().report_keys();
    let batches = consumer.received().batches;
    let mut by_id: BTreeMap<i64, usize> = BTreeMap::new();
    for b in &batches {
        *by_id.entry(b.batch_id).or_default() += 1;
    }
    Ok(OutageReport {
        terminals,
        acked: acked.len(),
        lost: acked.difference(&got).count(),
        received: got.len(),
        messages: batches.len(),
        batches: by_id.len(),
        redeliveries: batches.len() - by_id.len(),
        replays: batches.iter().filter(|b| b.attempts > 0).count(),
        acked_during_outage,
        paced_rate,
        outage_virtual_s,
        sim: report,
        wall_s: wall.elapsed().as_secs_f64(),
    })
}
