//! Batches: stored reports of one SID grouped for the northbound. A batch is written when it
//! closes (its reports point at it) and marked forwarded only after the northbound accepted
//! it; until then it is pending and is forwarded again — with the same id and reports — on
//! the next try, so a northbound failure loses nothing.

use std::fmt;

use rusqlite::{params, Row, TransactionBehavior};

use super::error::{Result, StoreError};
use super::report::{decode_sid, RawReport, StoredReport, COLUMNS};
use super::{u64_from_sql, u64_to_sql, Store};
use crate::wire::m2m::Sid;

/// Row id of a batch; stable across retries, so a northbound can drop a batch it already
/// has (forwarding is at-least-once across a crash between forward and mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BatchId(pub i64);

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a batch was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// It reached the report-count limit.
    Count,
    /// It reached the byte limit (or the next report would have passed it).
    Bytes,
    /// Its oldest report reached the age limit.
    Age,
}

impl CloseReason {
    fn code(self) -> i64 {
        match self {
            CloseReason::Count => 1,
            CloseReason::Bytes => 2,
            CloseReason::Age => 3,
        }
    }

    fn from_code(c: i64) -> Option<CloseReason> {
        match c {
            1 => Some(CloseReason::Count),
            2 => Some(CloseReason::Bytes),
            3 => Some(CloseReason::Age),
            _ => None,
        }
    }
}

/// A batch row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    /// Id.
    pub id: BatchId,
    /// Service of every report in it.
    pub sid: Sid,
    /// Time it was closed, µs (the caller's clock).
    pub closed_at: u64,
    /// Why it was closed.
    pub reason: CloseReason,
    /// Reports in it.
    pub report_count: u32,
    /// Payload bytes in it.
    pub byte_count: u64,
    /// Failed forwarding attempts so far.
    pub attempts: u32,
    /// When the northbound accepted it, µs; `None` while pending.
    pub forwarded_at: Option<u64>,
}

const BATCH_COLUMNS: &str =
    "id, sid, closed_at, reason, report_count, byte_count, attempts, forwarded_at";

/// A batch row as SQLite types: the [`BATCH_COLUMNS`] in order.
type RawBatch = (i64, String, i64, i64, i64, i64, i64, Option<i64>);

fn batch_from_row(r: &Row<'_>) -> rusqlite::Result<RawBatch> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn decode_batch(raw: RawBatch) -> Result<BatchRecord> {
    let (id, sid, closed_at, reason, count, bytes, attempts, forwarded_at) = raw;
    let bad = |what| StoreError::Corrupt {
        table: "batches",
        id,
        what,
    };
    Ok(BatchRecord {
        id: BatchId(id),
        sid: decode_sid(&sid).map_err(|_| bad("sid"))?,
        closed_at: u64_from_sql(closed_at),
        reason: CloseReason::from_code(reason).ok_or_else(|| bad("reason"))?,
        report_count: u32::try_from(count).map_err(|_| bad("report_count"))?,
        byte_count: u64::try_from(bytes).map_err(|_| bad("byte_count"))?,
        attempts: u32::try_from(attempts).map_err(|_| bad("attempts"))?,
        forwarded_at: forwarded_at.map(u64_from_sql),
    })
}

impl Store {
    /// SIDs that have stored reports in no batch yet, sorted by their text.
    pub fn sids_with_unbatched(&self) -> Result<Vec<Sid>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT sid FROM reports WHERE batch_id IS NULL ORDER BY sid",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|s| {
            let s = s?;
            decode_sid(&s).map_err(|_| StoreError::Corrupt {
                table: "reports",
                id: 0,
                what: "sid",
            })
        })
        .collect()
    }

    /// The oldest (by row id) at most `limit` reports of `sid` in no batch yet.
    pub fn unbatched(&self, sid: &Sid, limit: usize) -> Result<Vec<StoredReport>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM reports WHERE sid = ?1 AND batch_id IS NULL \
             ORDER BY id LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![sid.to_string(), limit], RawReport::from_row)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(RawReport::decode))
            .collect()
    }

    /// Closes a batch of `sid` holding `reports` (unbatched reports of that SID) in one
    /// transaction. `InvalidBatch` (and nothing written) if `reports` is empty or one of them
    /// is not an unbatched report of `sid`.
    pub fn close_batch(
        &mut self,
        sid: &Sid,
        reports: &[StoredReport],
        closed_at: u64,
        reason: CloseReason,
    ) -> Result<BatchId> {
        if reports.is_empty() {
            return Err(StoreError::InvalidBatch("no reports"));
        }
        let sid_text = sid.to_string();
        let bytes: usize = reports.iter().map(|r| r.report.payload.len()).sum();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO batches (sid, closed_at, reason, report_count, byte_count) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                sid_text,
                u64_to_sql(closed_at),
                reason.code(),
                i64::try_from(reports.len()).unwrap_or(i64::MAX),
                i64::try_from(bytes).unwrap_or(i64::MAX),
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE reports SET batch_id = ?1 \
                 WHERE id = ?2 AND sid = ?3 AND batch_id IS NULL",
            )?;
            for r in reports {
                if stmt.execute(params![id, r.id.0, sid_text])? != 1 {
                    // Dropping `tx` rolls the batch row back too.
                    return Err(StoreError::InvalidBatch(
                        "report already batched, missing or of another SID",
                    ));
                }
            }
        }
        tx.commit()?;
        Ok(BatchId(id))
    }

    /// Batches not yet accepted by the northbound, oldest first.
    pub fn pending_batches(&self) -> Result<Vec<BatchRecord>> {
        let sql =
            format!("SELECT {BATCH_COLUMNS} FROM batches WHERE forwarded_at IS NULL ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], batch_from_row)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(decode_batch))
            .collect()
    }

    /// Every batch, oldest first.
    pub fn batches(&self) -> Result<Vec<BatchRecord>> {
        let sql = format!("SELECT {BATCH_COLUMNS} FROM batches ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], batch_from_row)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(decode_batch))
            .collect()
    }

    /// The reports of a batch, in insertion order.
    pub fn batch_reports(&self, id: BatchId) -> Result<Vec<StoredReport>> {
        let sql = format!("SELECT {COLUMNS} FROM reports WHERE batch_id = ?1 ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![id.0], RawReport::from_row)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(RawReport::decode))
            .collect()
    }

    /// Marks a pending batch forwarded at `at` µs: call only after the northbound accepted
    /// it. `BatchNotFound` if no such batch is pending.
    pub fn mark_forwarded(&mut self, id: BatchId, at: u64) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE batches SET forwarded_at = ?2 WHERE id = ?1 AND forwarded_at IS NULL",
            params![id.0, u64_to_sql(at)],
        )?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::BatchNotFound(id))
        }
    }

    /// Counts a failed forwarding attempt of a pending batch (it stays pending).
    pub fn record_forward_failure(&mut self, id: BatchId) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE batches SET attempts = attempts + 1 WHERE id = ?1 AND forwarded_at IS NULL",
            params![id.0],
        )?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::BatchNotFound(id))
        }
    }

    /// Reports in batches the northbound accepted.
    pub fn forwarded_report_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT coalesce(sum(report_count), 0) FROM batches WHERE forwarded_at IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::IncomingReport;
    use crate::wire::m2m::{DataFormat, ReportRepr};
    use crate::wire::MacAddr;

    fn fill(s: &mut Store, sid: &str, n: u32) {
        let batch: Vec<_> = (0..n)
            .map(|seq| IncomingReport {
                terminal: MacAddr([2, 0, 0, 0, 0, 1]),
                aid: 1,
                channel: 1,
                received_at: u64::from(seq),
                report: ReportRepr {
                    sequence: seq,
                    sid: Sid::service(sid).unwrap(),
                    timestamp: 0,
                    data_format: DataFormat::Opaque,
                    payload: vec![0; 10],
                },
            })
            .collect();
        s.store_batch(&batch).unwrap();
    }

    #[test]
    fn close_mark_and_count() {
        let mut s = Store::open_in_memory().unwrap();
        fill(&mut s, "a", 5);
        let sid = Sid::service("a").unwrap();
        let open = s.unbatched(&sid, 3).unwrap();
        assert_eq!(open.len(), 3);
        let id = s.close_batch(&sid, &open, 99, CloseReason::Count).unwrap();
        assert_eq!(s.unbatched(&sid, 10).unwrap().len(), 2);
        let pending = s.pending_batches().unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            pending[0],
            BatchRecord {
                id,
                sid: sid.clone(),
                closed_at: 99,
                reason: CloseReason::Count,
                report_count: 3,
                byte_count: 30,
                attempts: 0,
                forwarded_at: None,
            }
        );
        assert_eq!(s.batch_reports(id).unwrap(), open);
        s.record_forward_failure(id).unwrap();
        assert_eq!(s.forwarded_report_count().unwrap(), 0);
        s.mark_forwarded(id, 120).unwrap();
        assert!(s.pending_batches().unwrap().is_empty());
        assert_eq!(s.forwarded_report_count().unwrap(), 3);
        assert_eq!(s.batches().unwrap()[0].attempts, 1);
        assert!(matches!(
            s.mark_forwarded(id, 130),
            Err(StoreError::BatchNotFound(_))
        ));
    }

    #[test]
    fn report_cannot_join_two_batches() {
        let mut s = Store::open_in_memory().unwrap();
        fill(&mut s, "a", 2);
        let sid = Sid::service("a").unwrap();
        let open = s.unbatched(&sid, 10).unwrap();
        s.close_batch(&sid, &open[..1], 1, CloseReason::Age)
            .unwrap();
        assert!(matches!(
            s.close_batch(&sid, &open, 2, CloseReason::Age),
            Err(StoreError::InvalidBatch(_))
        ));
        // The failed close left nothing behind.
        assert_eq!(s.batches().unwrap().len(), 1);
        assert_eq!(s.unbatched(&sid, 10).unwrap().len(), 1);
        assert!(matches!(
            s.close_batch(&Sid::service("b").unwrap(), &open[1..], 2, CloseReason::Age),
            Err(StoreError::InvalidBatch(_))
        ));
        assert!(matches!(
            s.close_batch(&sid, &[], 2, CloseReason::Age),
            Err(StoreError::InvalidBatch(_))
        ));
    }
}
