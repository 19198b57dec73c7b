//! Aggregation: stored reports of each M2M service (SID) are grouped into batches, closed by
//! size (report count or payload bytes) or by age, and forwarded through a [`Northbound`].
//!
//! Time is passed in (µs, the same clock as
//! [`IncomingReport::received_at`](crate::store::IncomingReport::received_at)): nothing here
//! reads a wall clock, so a simulated day runs in seconds and tests are exact.
//!
//! Durability: a batch is written to the store when it closes and marked forwarded only
//! after [`Northbound::forward`] returned `Ok`. A failed batch stays pending and is forwarded
//! again — same id, same reports — before anything newer, so a northbound outage loses
//! nothing and keeps order. Across a crash between `forward` and the mark the batch is sent
//! again (at-least-once); its [`BatchId`] lets the receiver drop the copy.

use crate::northbound::{CommandInput, StatusPayload};
use crate::store::charging::StoredRecord;
use crate::store::{BatchId, CloseReason, EventId, Store, StoreError, StoredEvent, StoredReport};
use crate::wire::m2m::Sid;

/// When a batch closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Reports in a full batch (≥ 1).
    pub max_reports: usize,
    /// Payload bytes in a full batch (≥ 1): a report that would pass it starts the next
    /// batch; a single larger report goes alone.
    pub max_bytes: usize,
    /// A batch closes once its oldest report was received this many µs ago.
    pub max_age_us: u64,
}

impl Default for BatchLimits {
    /// 100 reports, 16 KiB, 60 s.
    fn default() -> Self {
        BatchLimits {
            max_reports: 100,
            max_bytes: 16 * 1024,
            max_age_us: 60_000_000,
        }
    }
}

/// A closed batch as handed to the northbound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Store id: the same on every retry.
    pub id: BatchId,
    /// Service of every report in it.
    pub sid: Sid,
    /// When it closed, µs.
    pub closed_at: u64,
    /// Why it closed.
    pub reason: CloseReason,
    /// Failed forwarding attempts before this one (> 0: a replay).
    pub attempts: u32,
    /// The reports, in arrival order (each keeps its original receive time).
    pub reports: Vec<StoredReport>,
}

/// Why the northbound did not take a batch. Either way the batch stays pending and is
/// retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NorthboundError {
    /// Not reachable now (broker down, connection lost, queue full).
    #[error("northbound unavailable: {0}")]
    Unavailable(String),
    /// Reached, but it refused the batch.
    #[error("northbound refused the batch: {0}")]
    Refused(String),
}

/// Where batches, events and status go, and where downlink commands come from
/// (docs/northbound.md).
pub trait Northbound {
    /// Delivers a batch; `Ok` means the receiver has it (the store then marks it forwarded).
    fn forward(&mut self, batch: &Batch) -> Result<(), NorthboundError>;

    /// Delivers a stored event; `Ok` means the receiver has it (then marked forwarded).
    fn publish_event(&mut self, event: &StoredEvent) -> Result<(), NorthboundError>;

    /// Delivers a closed charging record; `Ok` means the receiver has it (then marked
    /// published).
    fn publish_record(&mut self, record: &StoredRecord) -> Result<(), NorthboundError>;

    /// Publishes the gateway's status. Not retried: the next status replaces it.
    fn publish_status(&mut self, status: &StatusPayload) -> Result<(), NorthboundError>;

    /// The downlink commands (and refusals of malformed ones) received since the last call.
    fn take_commands(&mut self) -> Vec<CommandInput>;
}

/// A northbound that keeps everything in memory and can be told to fail, for tests and the
/// simulator.
#[derive(Debug, Default)]
pub struct MemoryNorthbound {
    /// Batches accepted, in order.
    pub batches: Vec<Batch>,
    /// Events accepted, in order.
    pub events: Vec<StoredEvent>,
    /// Charging records accepted, in order.
    pub records: Vec<StoredRecord>,
    /// Status publications, in order.
    pub statuses: Vec<StatusPayload>,
    /// Commands waiting for [`Northbound::take_commands`].
    pub commands: Vec<CommandInput>,
    /// Calls to `forward` and `publish_event` so far, failed ones included.
    pub calls: usize,
    fail_next: usize,
}

impl MemoryNorthbound {
    /// An empty, working northbound.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next `n` calls fail with `Unavailable`.
    pub fn fail_next(&mut self, n: usize) {
        self.fail_next = n;
    }

    /// Reports in the accepted batches.
    pub fn report_count(&self) -> usize {
        self.batches.iter().map(|b| b.reports.len()).sum()
    }
}

impl Northbound for MemoryNorthbound {
    fn forward(&mut self, batch: &Batch) -> Result<(), NorthboundError> {
        self.calls += 1;
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return Err(NorthboundError::Unavailable("test outage".into()));
        }
        self.batches.push(batch.clone());
        Ok(())
    }

    fn publish_event(&mut self, event: &StoredEvent) -> Result<(), NorthboundError> {
        self.calls += 1;
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return Err(NorthboundError::Unavailable("test outage".into()));
        }
        self.events.push(event.clone());
        Ok(())
    }

    fn publish_record(&mut self, record: &StoredRecord) -> Result<(), NorthboundError> {
        self.calls += 1;
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return Err(NorthboundError::Unavailable("test outage".into()));
        }
        self.records.push(record.clone());
        Ok(())
    }

    fn publish_status(&mut self, status: &StatusPayload) -> Result<(), NorthboundError> {
        self.statuses.push(status.clone());
        Ok(())
    }

    fn take_commands(&mut self) -> Vec<CommandInput> {
        std::mem::take(&mut self.commands)
    }
}

/// Most events forwarded per call of [`forward_events`] (the rest wait for the next one).
pub const EVENTS_PER_POLL: usize = 256;

/// Forwards pending events, oldest first, up to [`EVENTS_PER_POLL`], marking each forwarded
/// once the northbound accepted it; stops at the first failure (counted in the event's
/// `attempts`), leaving it and the later ones pending. Returns how many went.
pub fn forward_events(
    store: &mut Store,
    northbound: &mut dyn Northbound,
    now_us: u64,
) -> Result<usize, AggregateError> {
    let mut forwarded = 0;
    for e in store.pending_events(EVENTS_PER_POLL)? {
        match northbound.publish_event(&e) {
            Ok(()) => {
                store.mark_event_forwarded(e.id, now_us)?;
                forwarded += 1;
            }
            Err(source) => {
                store.record_event_failure(e.id)?;
                return Err(AggregateError::Event {
                    event: e.id,
                    source,
                });
            }
        }
    }
    Ok(forwarded)
}

/// What aggregation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The northbound did not take a batch; it stays pending and goes first next time.
    #[error("forwarding batch {batch}: {source}")]
    Northbound {
        /// The batch.
        batch: BatchId,
        /// Why.
        #[source]
        source: NorthboundError,
    },
    /// The northbound did not take an event; it stays pending and goes first next time.
    #[error("forwarding event {event}: {source}")]
    Event {
        /// The event.
        event: EventId,
        /// Why.
        #[source]
        source: NorthboundError,
    },
    /// Limits that would never close a batch.
    #[error("invalid batch limits: {0}")]
    InvalidLimits(&'static str),
}

/// What one [`Aggregator::poll`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PollSummary {
    /// Batches closed.
    pub closed: usize,
    /// Batches forwarded (retries included).
    pub forwarded: usize,
}

/// Closes and forwards batches by [`BatchLimits`]; holds no state besides them (all state is
/// in the store).
#[derive(Debug, Clone, Copy)]
pub struct Aggregator {
    limits: BatchLimits,
}

impl Aggregator {
    /// `InvalidLimits` if `max_reports` or `max_bytes` is 0.
    pub fn new(limits: BatchLimits) -> Result<Self, AggregateError> {
        if limits.max_reports == 0 {
            return Err(AggregateError::InvalidLimits("max_reports is 0"));
        }
        if limits.max_bytes == 0 {
            return Err(AggregateError::InvalidLimits("max_bytes is 0"));
        }
        Ok(Aggregator { limits })
    }

    /// The limits.
    pub fn limits(&self) -> BatchLimits {
        self.limits
    }

    /// Closes every batch that is full or old enough at `now_us`, per SID; returns them in
    /// closing order. Reports of a batch not yet due stay unbatched.
    pub fn close_due(
        &self,
        store: &mut Store,
        now_us: u64,
    ) -> Result<Vec<BatchId>, AggregateError> {
        let mut closed = Vec::new();
        for sid in store.sids_with_unbatched()? {
            loop {
                let open = store.unbatched(&sid, self.limits.max_reports)?;
                if open.is_empty() {
                    break;
                }
                let (n, reason) = self.split(&open);
                if let Some(reason) = reason {
                    closed.push(store.close_batch(&sid, &open[..n], now_us, reason)?);
                    continue;
                }
                // A report received "after now" was stored under an earlier run's clock
                // (the gateway's clock counts from its start): its age is unknown, so the
                // batch closes now instead of waiting for the new clock to catch up.
                let newest = open.iter().map(|r| r.received_at).max().unwrap_or(now_us);
                let oldest = open.iter().map(|r| r.received_at).min().unwrap_or(now_us);
                if newest > now_us || now_us - oldest >= self.limits.max_age_us {
                    closed.push(store.close_batch(&sid, &open, now_us, CloseReason::Age)?);
                }
                break;
            }
        }
        Ok(closed)
    }

    /// How many of `open` (oldest first) make the next batch, and why it closes; `None` if
    /// all of them fit with room to spare (the batch stays open).
    fn split(&self, open: &[StoredReport]) -> (usize, Option<CloseReason>) {
        let mut bytes = 0usize;
        for (i, r) in open.iter().enumerate() {
            let len = r.report.payload.len();
            if i > 0 && bytes.saturating_add(len) > self.limits.max_bytes {
                return (i, Some(CloseReason::Bytes));
            }
            bytes = bytes.saturating_add(len);
            if i + 1 >= self.limits.max_reports {
                return (i + 1, Some(CloseReason::Count));
            }
            if bytes >= self.limits.max_bytes {
                return (i + 1, Some(CloseReason::Bytes));
            }
        }
        (open.len(), None)
    }

    /// Forwards every pending batch, oldest first, marking each forwarded once the
    /// northbound accepted it. Stops at the first failure (counted in the batch's
    /// `attempts`) with `Northbound`; that batch and the ones after it stay pending.
    pub fn forward_pending(
        &self,
        store: &mut Store,
        northbound: &mut dyn Northbound,
        now_us: u64,
    ) -> Result<usize, AggregateError> {
        let mut forwarded = 0;
        for rec in store.pending_batches()? {
            let batch = Batch {
                id: rec.id,
                reports: store.batch_reports(rec.id)?,
                sid: rec.sid,
                closed_at: rec.closed_at,
                reason: rec.reason,
                attempts: rec.attempts,
            };
            match northbound.forward(&batch) {
                Ok(()) => {
                    store.mark_forwarded(batch.id, now_us)?;
                    forwarded += 1;
                }
                Err(source) => {
                    store.record_forward_failure(batch.id)?;
                    return Err(AggregateError::Northbound {
                        batch: batch.id,
                        source,
                    });
                }
            }
        }
        Ok(forwarded)
    }

    /// [`close_due`](Self::close_due) then [`forward_pending`](Self::forward_pending). On a
    /// northbound failure the batches closed so far are kept (pending) and the error is
    /// returned; call again later to retry.
    pub fn poll(
        &self,
        store: &mut Store,
        northbound: &mut dyn Northbound,
        now_us: u64,
    ) -> Result<PollSummary, AggregateError> {
        let closed = self.close_due(store, now_us)?.len();
        let forwarded = self.forward_pending(store, northbound, now_us)?;
        Ok(PollSummary { closed, forwarded })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::IncomingReport;
    use crate::wire::m2m::{DataFormat, ReportRepr};
    use crate::wire::MacAddr;

    fn report(sid: &str, seq: u32, len: usize, at: u64) -> IncomingReport {
        IncomingReport {
            terminal: MacAddr([2, 0, 0, 0, 0, 1]),
            aid: 1,
            channel: 1,
            received_at: at,
            report: ReportRepr {
                sequence: seq,
                sid: Sid::service(sid).unwrap(),
                timestamp: 0,
                data_format: DataFormat::Opaque,
                payload: vec![0xA5; len],
            },
        }
    }

    fn agg(max_reports: usize, max_bytes: usize, max_age_us: u64) -> Aggregator {
        Aggregator::new(BatchLimits {
            max_reports,
            max_bytes,
            max_age_us,
        })
        .unwrap()
    }

    #[test]
    fn reports_from_before_a_restart_close_at_once() {
        // Stored at t = 500 s by the previous run; the restarted gateway's clock is at 3 s.
        let mut s = Store::open_in_memory().unwrap();
        s.store_batch(&[report("m", 1, 4, 500_000_000)]).unwrap();
        let mut nb = MemoryNorthbound::new();
        let a = agg(10, 1 << 20, 60_000_000);
        assert_eq!(a.poll(&mut s, &mut nb, 3_000_000).unwrap().forwarded, 1);
        assert_eq!(nb.batches[0].reason, CloseReason::Age);
    }

    #[test]
    fn closes_by_count() {
        let mut s = Store::open_in_memory().unwrap();
        let batch: Vec<_> = (0..25).map(|i| report("m", i, 4, 0)).collect();
        s.store_batch(&batch).unwrap();
        let mut nb = MemoryNorthbound::new();
        let a = agg(10, 1 << 20, 1_000_000);
        let p = a.poll(&mut s, &mut nb, 10).unwrap();
        assert_eq!(
            p,
            PollSummary {
                closed: 2,
                forwarded: 2
            }
        );
        assert!(nb.batches.iter().all(|b| b.reports.len() == 10));
        assert!(nb.batches.iter().all(|b| b.reason == CloseReason::Count));
        // The 5 left close when the oldest is 1 s old, not before.
        assert_eq!(a.poll(&mut s, &mut nb, 999_999).unwrap().closed, 0);
        let p = a.poll(&mut s, &mut nb, 1_000_000).unwrap();
        assert_eq!(
            p,
            PollSummary {
                closed: 1,
                forwarded: 1
            }
        );
        assert_eq!(nb.batches[2].reason, CloseReason::Age);
        assert_eq!(nb.batches[2].reports.len(), 5);
        let seqs: Vec<u32> = nb
            .batches
            .iter()
            .flat_map(|b| b.reports.iter().map(|r| r.report.sequence))
            .collect();
        assert_eq!(seqs, (0..25).collect::<Vec<_>>());
    }

    #[test]
    fn closes_by_bytes() {
        let mut s = Store::open_in_memory().unwrap();
        // 40-byte reports, 100-byte limit: 2 per batch (a third would make 120).
        let batch: Vec<_> = (0..5).map(|i| report("m", i, 40, 0)).collect();
        s.store_batch(&batch).unwrap();
        // One report larger than the limit goes alone.
        s.store_batch(&[report("m", 5, 300, 0)]).unwrap();
        let mut nb = MemoryNorthbound::new();
        agg(100, 100, u64::MAX).poll(&mut s, &mut nb, 0).unwrap();
        let sizes: Vec<(usize, CloseReason)> = nb
            .batches
            .iter()
            .map(|b| (b.reports.len(), b.reason))
            .collect();
        assert_eq!(
            sizes,
            [
                (2, CloseReason::Bytes),
                (2, CloseReason::Bytes),
                (1, CloseReason::Bytes), // 40 + 300 > 100
                (1, CloseReason::Bytes), // the 300-byte one
            ]
        );
    }

    #[test]
    fn sids_batch_apart() {
        let mut s = Store::open_in_memory().unwrap();
        s.store_batch(&[
            report("a", 0, 1, 0),
            report("b", 0, 1, 0),
            report("a", 1, 1, 0),
        ])
        .unwrap();
        let mut nb = MemoryNorthbound::new();
        agg(100, 100, 0).poll(&mut s, &mut nb, 0).unwrap();
        assert_eq!(nb.batches.len(), 2);
        for b in &nb.batches {
            assert!(b.reports.iter().all(|r| r.report.sid == b.sid));
        }
    }

    #[test]
    fn failure_keeps_batch_for_retry() {
        let mut s = Store::open_in_memory().unwrap();
        let batch: Vec<_> = (0..4).map(|i| report("m", i, 1, 0)).collect();
        s.store_batch(&batch).unwrap();
        let a = agg(2, 100, u64::MAX);
        let mut nb = MemoryNorthbound::new();
        nb.fail_next(1);
        let err = a.poll(&mut s, &mut nb, 5).unwrap_err();
        assert!(matches!(err, AggregateError::Northbound { .. }));
        assert_eq!(s.pending_batches().unwrap().len(), 2);
        assert_eq!(s.pending_batches().unwrap()[0].attempts, 1);
        let p = a.poll(&mut s, &mut nb, 6).unwrap();
        assert_eq!(
            p,
            PollSummary {
                closed: 0,
                forwarded: 2
            }
        );
        assert_eq!(nb.report_count(), 4);
        assert_eq!(nb.calls, 3);
        assert!(s.pending_batches().unwrap().is_empty());
    }

    #[test]
    fn invalid_limits() {
        assert!(Aggregator::new(BatchLimits {
            max_reports: 0,
            ..BatchLimits::default()
        })
        .is_err());
        assert!(Aggregator::new(BatchLimits {
            max_bytes: 0,
            ..BatchLimits::default()
        })
        .is_err());
    }
}
