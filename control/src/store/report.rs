//! Reports: storing a batch of received reports in one transaction, recognising retries,
//! reading them back and counting them.

use std::str::FromStr;

use rusqlite::{params, OptionalExtension, Row, Transaction, TransactionBehavior};

use super::error::{Result, StoreError};
use super::{u64_from_sql, u64_to_sql, Store};
use crate::wire::m2m::{AckStatus, DataFormat, ReportRepr, Sid};
use crate::wire::MacAddr;

/// Insert, or count a duplicate: `RETURNING duplicates` is 0 for a new row.
const INSERT: &str = "INSERT INTO reports \
     (terminal, aid, sid, sequence, measured_at, received_at, data_format, payload, channel) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (measured_at, terminal, sid, sequence) DO UPDATE SET duplicates = duplicates + 1 \
     RETURNING duplicates";

/// Columns read into a [`StoredReport`], in [`RawReport::from_row`] order.
pub(super) const COLUMNS: &str = "id, terminal, aid, sid, sequence, measured_at, received_at, \
     data_format, payload, channel, duplicates";

/// A report as the gateway received it, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingReport {
    /// Terminal MAC address (its terminal id).
    pub terminal: MacAddr,
    /// Association id the terminal had.
    pub aid: u16,
    /// S1G channel number the report came on.
    pub channel: u8,
    /// Gateway receive time, µs (the gateway's clock: TSF or the simulation's virtual time).
    pub received_at: u64,
    /// The report itself.
    pub report: ReportRepr,
}

/// What storing one report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// New: stored now.
    Stored,
    /// Same measurement time, terminal, SID and sequence as a report stored earlier (a retry
    /// after a lost ack):
    /// not stored again.
    Duplicate,
}

impl Outcome {
    /// Status to ack the report with (once the transaction is committed).
    pub fn ack_status(self) -> AckStatus {
        match self {
            Outcome::Stored => AckStatus::Stored,
            Outcome::Duplicate => AckStatus::Duplicate,
        }
    }
}

/// Row id of a stored report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportId(pub i64);

/// A report read back from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// Row id (increases in insertion order).
    pub id: ReportId,
    /// Terminal MAC address.
    pub terminal: MacAddr,
    /// Association id.
    pub aid: u16,
    /// Channel it came on (the first time).
    pub channel: u8,
    /// Gateway receive time of the first copy, µs.
    pub received_at: u64,
    /// The report.
    pub report: ReportRepr,
    /// How many retries of it were recognised as duplicates.
    pub duplicates: u32,
}

/// Stored reports and recognised duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportCounts {
    /// Distinct reports stored.
    pub stored: u64,
    /// Retries recognised as duplicates (not stored).
    pub duplicates: u64,
}

/// One row as SQLite types, before checking.
pub(super) struct RawReport {
    id: i64,
    terminal: Vec<u8>,
    aid: i64,
    sid: String,
    sequence: i64,
    measured_at: i64,
    received_at: i64,
    data_format: i64,
    payload: Vec<u8>,
    channel: i64,
    duplicates: i64,
}

impl RawReport {
    /// Reads the [`COLUMNS`] of a row.
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<RawReport> {
        Ok(RawReport {
            id: r.get(0)?,
            terminal: r.get(1)?,
            aid: r.get(2)?,
            sid: r.get(3)?,
            sequence: r.get(4)?,
            measured_at: r.get(5)?,
            received_at: r.get(6)?,
            data_format: r.get(7)?,
            payload: r.get(8)?,
            channel: r.get(9)?,
            duplicates: r.get(10)?,
        })
    }

    /// Checks and converts; `Corrupt` names the first column that does not decode.
    pub(super) fn decode(self) -> Result<StoredReport> {
        let id = self.id;
        let bad = |what| StoreError::Corrupt {
            table: "reports",
            id,
            what,
        };
        let terminal: [u8; 6] = self.terminal.try_into().map_err(|_| bad("terminal"))?;
        let format = u8::try_from(self.data_format).map_err(|_| bad("data_format"))?;
        Ok(StoredReport {
            id: ReportId(id),
            terminal: MacAddr(terminal),
            aid: u16::try_from(self.aid).map_err(|_| bad("aid"))?,
            channel: u8::try_from(self.channel).map_err(|_| bad("channel"))?,
            received_at: u64_from_sql(self.received_at),
            report: ReportRepr {
                sequence: u32::try_from(self.sequence).map_err(|_| bad("sequence"))?,
                sid: decode_sid(&self.sid).map_err(|_| bad("sid"))?,
                timestamp: u64_from_sql(self.measured_at),
                data_format: DataFormat::from(format),
                payload: self.payload,
            },
            duplicates: u32::try_from(self.duplicates).map_err(|_| bad("duplicates"))?,
        })
    }
}

/// A SID column back to a [`Sid`] (its `Display` text).
pub(super) fn decode_sid(s: &str) -> std::result::Result<Sid, crate::wire::m2m::ParseSidError> {
    Sid::from_str(s)
}

/// An open write transaction for reports. Dropping it without [`commit`](Self::commit) rolls
/// everything back: nothing of it is stored, and nothing of it may be acked.
#[derive(Debug)]
pub struct ReportTx<'a> {
    pub(super) tx: Transaction<'a>,
}

impl ReportTx<'_> {
    /// Stores one report inside the transaction (not durable, not ackable until commit).
    pub fn insert(&mut self, r: &IncomingReport) -> Result<Outcome> {
        let mut stmt = self.tx.prepare_cached(INSERT)?;
        let dups: i64 = stmt.query_row(
            params![
                &r.terminal.0[..],
                r.aid,
                r.report.sid.to_string(),
                r.report.sequence,
                u64_to_sql(r.report.timestamp),
                u64_to_sql(r.received_at),
                u8::from(r.report.data_format),
                &r.report.payload,
                r.channel,
            ],
            |row| row.get(0),
        )?;
        Ok(if dups == 0 {
            Outcome::Stored
        } else {
            Outcome::Duplicate
        })
    }

    /// Commits: with WAL + `synchronous=FULL` this returns once the reports are on disk.
    /// Ack them only after this returned `Ok`.
    pub fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }
}

impl Store {
    /// Starts a write transaction for reports (`BEGIN IMMEDIATE`: the write lock is taken
    /// now, so the inserts never fail half-way on a lock upgrade).
    pub fn begin_reports(&mut self) -> Result<ReportTx<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(ReportTx { tx })
    }

    /// Stores a whole batch in one transaction and commits it; returns, in order, what
    /// happened to each report (a report repeated inside the batch is `Duplicate` the second
    /// time).
    ///
    /// **Ack after commit**: the caller acks the reports only once this returned `Ok` — they
    /// are then durably stored. On `Err` nothing of the batch is stored; ack none of it (or
    /// answer [`AckStatus::RetryLater`]) and the terminals resend.
    pub fn store_batch(&mut self, reports: &[IncomingReport]) -> Result<Vec<Outcome>> {
        self.store_with_events(reports, &[])
    }

    /// [`store_batch`](Self::store_batch) with events in the same transaction: the gateway's
    /// group commit. Nothing is written when both are empty.
    pub fn store_with_events(
        &mut self,
        reports: &[IncomingReport],
        events: &[super::NewEvent],
    ) -> Result<Vec<Outcome>> {
        if reports.is_empty() && events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_reports()?;
        let outcomes = reports
            .iter()
            .map(|r| tx.insert(r))
            .collect::<Result<Vec<_>>>()?;
        for e in events {
            tx.insert_event(e)?;
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// The stored report with this key (the duplicate-detection key: measurement time,
    /// terminal, SID, sequence), if any.
    pub fn report(
        &self,
        measured_at: u64,
        terminal: MacAddr,
        sid: &Sid,
        sequence: u32,
    ) -> Result<Option<StoredReport>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM reports \
             WHERE measured_at = ?1 AND terminal = ?2 AND sid = ?3 AND sequence = ?4"
        );
        let raw = self
            .conn
            .prepare_cached(&sql)?
            .query_row(
                params![
                    u64_to_sql(measured_at),
                    &terminal.0[..],
                    sid.to_string(),
                    sequence
                ],
                RawReport::from_row,
            )
            .optional()?;
        raw.map(RawReport::decode).transpose()
    }

    /// Calls `f` with every stored report in insertion order, one row at a time (a whole
    /// day of reports is not held in memory). Stops at the first error, of the store or of `f`.
    pub fn for_each_report<E>(
        &self,
        mut f: impl FnMut(StoredReport) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>
    where
        E: From<StoreError>,
    {
        let sql = format!("SELECT {COLUMNS} FROM reports ORDER BY id");
        let mut stmt = self.conn.prepare(&sql).map_err(StoreError::from)?;
        let mut rows = stmt.query([]).map_err(StoreError::from)?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let raw = RawReport::from_row(row).map_err(StoreError::from)?;
            f(raw.decode()?)?;
        }
        Ok(())
    }

    /// Every stored report of a terminal, in insertion order. No index leads with the
    /// terminal (that would put each insert on a random page), so this scans the table: for
    /// tests and tools, not per terminal over a large store — use
    /// [`for_each_report`](Self::for_each_report) for that.
    pub fn reports_of(&self, terminal: MacAddr) -> Result<Vec<StoredReport>> {
        let sql = format!("SELECT {COLUMNS} FROM reports WHERE terminal = ?1 ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![&terminal.0[..]], RawReport::from_row)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(RawReport::decode))
            .collect()
    }

    /// Reports stored and duplicates seen, over every SID.
    pub fn counts(&self) -> Result<ReportCounts> {
        let (stored, duplicates): (i64, i64) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(duplicates), 0) FROM reports",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(counts(stored, duplicates))
    }

    /// Reports stored and duplicates seen for one SID.
    pub fn counts_for(&self, sid: &Sid) -> Result<ReportCounts> {
        let (stored, duplicates): (i64, i64) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(duplicates), 0) FROM reports WHERE sid = ?1",
            params![sid.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(counts(stored, duplicates))
    }

    /// Reports stored and duplicates seen per SID, sorted by the SID's text.
    pub fn counts_by_sid(&self) -> Result<Vec<(Sid, ReportCounts)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sid, count(*), sum(duplicates) FROM reports GROUP BY sid ORDER BY sid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (sid, stored, duplicates) = row?;
            let sid = decode_sid(&sid).map_err(|_| StoreError::Corrupt {
                table: "reports",
                id: 0,
                what: "sid",
            })?;
            Ok((sid, counts(stored, duplicates)))
        })
        .collect()
    }
}

/// SQLite counts are never negative; clamp rather than fail if one somehow is.
fn counts(stored: i64, duplicates: i64) -> ReportCounts {
    ReportCounts {
        stored: u64::try_from(stored).unwrap_or(0),
        duplicates: u64::try_from(duplicates).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming(term: u8, seq: u32, sid: &str) -> IncomingReport {
        IncomingReport {
            terminal: MacAddr([2, 0, 0, 0, 0, term]),
            aid: u16::from(term),
            channel: 1,
            received_at: 1_000 + u64::from(seq),
            report: ReportRepr {
                sequence: seq,
                sid: Sid::service(sid).unwrap(),
                timestamp: u64::MAX - u64::from(seq),
                data_format: DataFormat::Unknown(200),
                payload: vec![term, seq as u8],
            },
        }
    }

    #[test]
    fn stored_then_duplicate() {
        let mut s = Store::open_in_memory().unwrap();
        let r = incoming(1, 7, "metering");
        assert_eq!(
            s.store_batch(std::slice::from_ref(&r)).unwrap(),
            [Outcome::Stored]
        );
        assert_eq!(
            s.store_batch(std::slice::from_ref(&r)).unwrap(),
            [Outcome::Duplicate]
        );
        assert_eq!(
            s.counts().unwrap(),
            ReportCounts {
                stored: 1,
                duplicates: 1
            }
        );
        assert_eq!(Outcome::Duplicate.ack_status(), AckStatus::Duplicate);
        assert_eq!(Outcome::Stored.ack_status(), AckStatus::Stored);
    }

    #[test]
    fn reads_back_every_field() {
        let mut s = Store::open_in_memory().unwrap();
        let r = incoming(9, 3, "metering");
        s.store_batch(std::slice::from_ref(&r)).unwrap();
        let got = s
            .report(r.report.timestamp, r.terminal, &r.report.sid, 3)
            .unwrap()
            .expect("stored");
        assert_eq!(got.terminal, r.terminal);
        assert_eq!(got.aid, 9);
        assert_eq!(got.channel, 1);
        assert_eq!(got.received_at, r.received_at);
        assert_eq!(got.report, r.report); // incl. a u64 timestamp above i64::MAX
        assert_eq!(got.duplicates, 0);
        // The key is the whole key: another sequence, or the same one at another time, is absent.
        let other = incoming(9, 4, "metering");
        assert!(s
            .report(other.report.timestamp, r.terminal, &r.report.sid, 4)
            .unwrap()
            .is_none());
        assert!(s
            .report(other.report.timestamp, r.terminal, &r.report.sid, 3)
            .unwrap()
            .is_none());
    }

    #[test]
    fn for_each_report_visits_all_in_order_and_stops_on_error() {
        let mut s = Store::open_in_memory().unwrap();
        let batch: Vec<_> = (0..5).map(|seq| incoming(1, seq, "metering")).collect();
        s.store_batch(&batch).unwrap();
        let mut seen = Vec::new();
        s.for_each_report(|r| {
            seen.push(r.report.sequence);
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        let mut visits = 0;
        let r = s.for_each_report(|_| {
            visits += 1;
            Err(StoreError::InvalidBatch("stop"))
        });
        assert!(matches!(r, Err(StoreError::InvalidBatch("stop"))));
        assert_eq!(visits, 1);
    }

    #[test]
    fn same_sequence_other_sid_or_terminal_is_new() {
        let mut s = Store::open_in_memory().unwrap();
        let out = s
            .store_batch(&[
                incoming(1, 5, "metering"),
                incoming(1, 5, "alarms"),
                incoming(2, 5, "metering"),
                incoming(1, 5, "metering"),
            ])
            .unwrap();
        use Outcome::*;
        assert_eq!(out, [Stored, Stored, Stored, Duplicate]);
        let by_sid = s.counts_by_sid().unwrap();
        assert_eq!(by_sid.len(), 2);
        assert_eq!(by_sid[0].0, Sid::service("alarms").unwrap());
        assert_eq!(by_sid[0].1.stored, 1);
        assert_eq!(
            by_sid[1].1,
            ReportCounts {
                stored: 2,
                duplicates: 1
            }
        );
    }

    #[test]
    fn retry_on_other_channel_is_still_a_duplicate() {
        let mut s = Store::open_in_memory().unwrap();
        let r = incoming(1, 5, "metering");
        let mut again = r.clone();
        again.channel = 3;
        again.received_at += 10_000;
        s.store_batch(std::slice::from_ref(&r)).unwrap();
        assert_eq!(s.store_batch(&[again]).unwrap(), [Outcome::Duplicate]);
        let got = s
            .report(r.report.timestamp, r.terminal, &r.report.sid, 5)
            .unwrap()
            .unwrap();
        assert_eq!(
            (got.channel, got.received_at, got.duplicates),
            (1, 1_005, 1)
        );
    }

    #[test]
    fn dropped_transaction_stores_nothing() {
        let mut s = Store::open_in_memory().unwrap();
        {
            let mut tx = s.begin_reports().unwrap();
            for seq in 0..100 {
                assert_eq!(
                    tx.insert(&incoming(1, seq, "metering")).unwrap(),
                    Outcome::Stored
                );
            }
        }
        assert_eq!(s.counts().unwrap(), ReportCounts::default());
    }

    #[test]
    fn corrupt_row_is_a_typed_error() {
        let mut s = Store::open_in_memory().unwrap();
        let r = incoming(1, 1, "metering");
        s.store_batch(std::slice::from_ref(&r)).unwrap();
        s.conn
            .execute("UPDATE reports SET sid = 'bogus'", [])
            .unwrap();
        assert!(matches!(
            s.reports_of(r.terminal),
            Err(StoreError::Corrupt { what: "sid", .. })
        ));
        assert!(matches!(
            s.counts_by_sid(),
            Err(StoreError::Corrupt { what: "sid", .. })
        ));
    }

    #[test]
    fn empty_batch_is_ok() {
        let mut s = Store::open_in_memory().unwrap();
        assert!(s.store_batch(&[]).unwrap().is_empty());
    }
}
