//! Charging inside the gateway (issue 8, docs/charging.md): usage is counted from the frames
//! the gateway carries — the payload bytes of every report it stores (uplink) and the
//! configuration elements it sends a terminal (downlink) — and folded into the ledger in
//! the same store transaction that stores those reports and the `registered` events of those
//! configurations. A crash therefore loses or repeats no byte: either the reports, the
//! events and the charging step are all on disk, or none is, and the terminals resend.
//!
//! Closed records are then spooled (JSON lines, fsync + rename) and published northbound from
//! the store; each is marked only once written or acknowledged, so a crash in between
//! re-spools into the same file and re-publishes with the same record id.

use std::collections::{BTreeMap, BTreeSet};

use super::Gateway;
use crate::charging::spool::spool_pending;
use crate::charging::{ChargingRecord, Class, Direction, Ledger, Usage};
use crate::config::ChargingSetup;
use crate::store::charging::OpenChange;
use crate::store::{IncomingReport, Outcome, ReportTx, Store, StoreError};
use crate::wire::m2m::Sid;
use crate::wire::MacAddr;

/// Most records published per poll (the rest wait for the next one).
const RECORDS_PER_POLL: usize = 64;

/// The gateway's ledger and what feeds it.
#[derive(Debug)]
pub(super) struct GatewayCharging {
    setup: ChargingSetup,
    /// Requested or served SID → (subscription, service id in the records).
    services: BTreeMap<Sid, (String, String)>,
    ledger: Ledger,
    /// Downlink usage since the last commit.
    downlink: Vec<Usage>,
    /// Wall-clock ms at gateway time 0: record times are wall-clock.
    origin_ms: u64,
    /// Closed records may be waiting for the spool or the northbound.
    unsettled: bool,
}

impl GatewayCharging {
    /// The ledger as the store left it; `correspondence` maps requested SIDs onto served ones
    /// (their usage goes to the served SID's service).
    pub(super) fn open(
        setup: ChargingSetup,
        correspondence: &BTreeMap<Sid, Sid>,
        store: &Store,
    ) -> Result<Self, super::GatewayError> {
        std::fs::create_dir_all(&setup.spool_dir).map_err(|e| super::GatewayError::Spool {
            dir: setup.spool_dir.clone(),
            source: e,
        })?;
        let mut services: BTreeMap<Sid, (String, String)> = setup
            .subscription_of
            .iter()
            .map(|(sid, sub)| (sid.clone(), (sub.clone(), sid.to_string())))
            .collect();
        for (from, to) in correspondence {
            if let Some(target) = services.get(to).cloned() {
                services.insert(from.clone(), target);
            }
        }
        let ledger = restore(&setup, store)?;
        Ok(GatewayCharging {
            setup,
            services,
            ledger,
            downlink: Vec::new(),
            origin_ms: 0,
            unsettled: true,
        })
    }

    /// The usage of `bytes` carried for `terminal` on `sid`, if a subscription pays for it.
    fn usage(
        &self,
        now_us: u64,
        sid: &Sid,
        terminal: MacAddr,
        direction: Direction,
        bytes: usize,
    ) -> Option<Usage> {
        let (subscription, service) = self.services.get(sid)?;
        Some(Usage {
            at_ms: self.at_ms(now_us),
            subscription: subscription.clone(),
            service: service.clone(),
            device: terminal.to_string(),
            class: Class::new(direction, self.setup.roaming_of(terminal)),
            bytes: bytes as u64,
        })
    }

    fn at_ms(&self, now_us: u64) -> u64 {
        self.origin_ms.saturating_add(now_us / 1_000)
    }

    /// Whether a record's time limit has come by `now_us` (a commit is due even without
    /// reports).
    pub(super) fn due(&self, now_us: u64) -> bool {
        !self.downlink.is_empty()
            || self
                .ledger
                .next_time_limit_ms()
                .is_some_and(|t| t <= self.at_ms(now_us))
    }

    /// Folds the downlink usage and the usage of the reports `outcomes` says were stored into
    /// the ledger, and writes the step into `tx`. Returns how many records closed.
    pub(super) fn step(
        &mut self,
        tx: &mut ReportTx<'_>,
        now_us: u64,
        reports: &[IncomingReport],
        outcomes: &[Outcome],
    ) -> Result<usize, StoreError> {
        let mut usage = self.downlink.clone();
        for (r, outcome) in reports.iter().zip(outcomes) {
            if *outcome == Outcome::Stored && !r.report.payload.is_empty() {
                usage.extend(self.usage(
                    now_us,
                    &r.report.sid,
                    r.terminal,
                    Direction::Uplink,
                    r.report.payload.len(),
                ));
            }
        }
        let mut closed: Vec<ChargingRecord> = self.ledger.tick(self.at_ms(now_us));
        let mut touched: BTreeSet<String> = closed.iter().map(|r| r.subscription.clone()).collect();
        for u in &usage {
            match self.ledger.record(u) {
                Ok(c) => closed.extend(c),
                // The services map only names planned services: cannot happen.
                Err(e) => tracing::error!(error = %e, "usage not charged"),
            }
            touched.insert(u.subscription.clone());
        }
        let changes: Vec<OpenChange<'_>> = touched
            .iter()
            .map(|s| match self.ledger.open_record_of(s) {
                Some(r) => OpenChange::Set(r),
                None => OpenChange::Remove(s),
            })
            .collect();
        tx.charging_step(&changes, &closed)?;
        Ok(closed.len())
    }

    /// The step was committed.
    pub(super) fn committed(&mut self, closed: usize) {
        self.downlink.clear();
        if closed > 0 {
            self.unsettled = true;
        }
    }

    /// The step was not committed: the ledger goes back to what the store holds (the
    /// downlink usage stays queued, the reports stay pending).
    pub(super) fn rolled_back(&mut self, store: &Store) {
        match restore(&self.setup, store) {
            Ok(l) => self.ledger = l,
            Err(e) => tracing::error!(error = %e, "charging ledger not restored"),
        }
    }
}

/// Now, ms since the Unix epoch (0 on a clock set before 1970).
pub fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn restore(setup: &ChargingSetup, store: &Store) -> Result<Ledger, super::GatewayError> {
    let (open, sequences) = store.charging_state()?;
    Ledger::restore(setup.plans.clone(), open, sequences).map_err(super::GatewayError::Charging)
}

impl Gateway {
    /// Sets the wall-clock time of gateway time 0, ms since the Unix epoch: charging records
    /// carry wall-clock times (the gateway's own clock starts at 0 when it starts).
    pub fn set_clock_origin_ms(&mut self, origin_ms: u64) {
        if let Some(c) = self.charging.as_mut() {
            c.origin_ms = origin_ms;
        }
    }

    /// The open charging records (none when charging is off).
    pub fn open_charging_records(&self) -> Vec<&ChargingRecord> {
        self.charging
            .as_ref()
            .map(|c| c.ledger.open_records().collect())
            .unwrap_or_default()
    }

    /// Counts `bytes` of configuration sent to `terminal` for `sid` (committed with the
    /// next commit, together with the `registered` event that says so).
    pub(super) fn charge_downlink(&mut self, now: u64, terminal: MacAddr, sid: &Sid, bytes: usize) {
        if let Some(c) = self.charging.as_mut() {
            if let Some(u) = c.usage(now, sid, terminal, Direction::Downlink, bytes) {
                c.downlink.push(u);
            }
        }
    }

    /// Spools and publishes closed records not yet spooled / published, at most
    /// [`RECORDS_PER_POLL`] of them. Failures are counted and retried at the next poll.
    /// Returns whether more are waiting (none failed, the limit was hit).
    pub(super) fn settle_charging(&mut self, now: u64) -> bool {
        let Some(c) = self.charging.as_mut() else {
            return false;
        };
        if !c.unsettled {
            return false;
        }
        let at = c.at_ms(now);
        if let Err(e) = spool_pending(&mut self.store, &c.setup.spool_dir, at) {
            self.stats.charging_errors += 1;
            tracing::warn!(error = %e, "charging spool failed; will retry");
            return false;
        }
        let pending = match self.store.unpublished_records(RECORDS_PER_POLL) {
            Ok(p) => p,
            Err(e) => {
                self.stats.charging_errors += 1;
                tracing::warn!(error = %e, "charging records not read");
                return false;
            }
        };
        let more = pending.len() == RECORDS_PER_POLL;
        for r in &pending {
            if let Err(e) = self.northbound.publish_record(r) {
                self.stats.northbound_errors += 1;
                tracing::debug!(record = r.id, error = %e, "charging record stays pending");
                return false;
            }
            if let Err(e) = self.store.mark_record_published(r.id, at) {
                self.stats.charging_errors += 1;
                tracing::warn!(record = r.id, error = %e, "published record not marked");
                return false;
            }
            self.stats.records_published += 1;
        }
        c.unsettled = more;
        more
    }
}
