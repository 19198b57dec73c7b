//! Charging records in the store (schema version 5): one ledger step — the open records as
//! they now are and the records just closed — commits in one transaction, so after a crash
//! the ledger resumes from exactly the last committed step ([`Store::charging_state`]); no
//! usage byte is lost or counted twice as long as the caller commits the step together
//! with whatever the usage came from.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use super::error::{Result, StoreError};
use super::{u64_from_sql, u64_to_sql, ReportTx, Store};
use crate::charging::ChargingRecord;

/// A closed record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Row id (the order records were closed in).
    pub id: i64,
    /// The record.
    pub record: ChargingRecord,
    /// When it went into the spool file, ms.
    pub spooled_at_ms: Option<u64>,
    /// When the northbound took it, ms.
    pub published_at_ms: Option<u64>,
}

/// Which closed records to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Only this subscription.
    pub subscription: Option<String>,
    /// Only records in which this service carried bytes.
    pub service: Option<String>,
    /// Only records closed at or after this time, ms.
    pub closed_from_ms: Option<u64>,
    /// Only records closed before this time, ms.
    pub closed_before_ms: Option<u64>,
}

/// A change to one subscription's open record.
#[derive(Debug, Clone, Copy)]
pub enum OpenChange<'a> {
    /// The record as it now is.
    Set(&'a ChargingRecord),
    /// The subscription has no open record any more.
    Remove(&'a str),
}

/// Writes one ledger step inside `tx`.
fn write_step(
    tx: &Transaction<'_>,
    open: &[OpenChange<'_>],
    closed: &[ChargingRecord],
) -> Result<()> {
    for change in open {
        match change {
            OpenChange::Set(r) => {
                let json = serde_json::to_string(r).map_err(|_| StoreError::Corrupt {
                    table: "charging_open",
                    id: 0,
                    what: "record does not encode",
                })?;
                tx.execute(
                    "INSERT INTO charging_open (subscription, sequence, record) VALUES (?1, ?2, ?3)
                     ON CONFLICT (subscription) DO UPDATE SET sequence = excluded.sequence, record = excluded.record",
                    params![r.subscription, u64_to_sql(r.sequence), json],
                )?;
            }
            OpenChange::Remove(sub) => {
                tx.execute("DELETE FROM charging_open WHERE subscription = ?1", [sub])?;
            }
        }
    }
    for r in closed {
        let json = serde_json::to_string(r).map_err(|_| StoreError::Corrupt {
            table: "charging_records",
            id: 0,
            what: "record does not encode",
        })?;
        tx.execute(
            "INSERT INTO charging_records (subscription, sequence, opened_at, closed_at, reason, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                r.subscription,
                u64_to_sql(r.sequence),
                u64_to_sql(r.opened_at_ms),
                u64_to_sql(r.closed_at_ms.unwrap_or(r.opened_at_ms)),
                r.close_reason.as_ref().map_or("", |c| c.kind()),
                json
            ],
        )?;
    }
    Ok(())
}

/// A `charging_records` row (id, record JSON, spooled at, published at) decoded.
fn decode_stored(
    (id, json, spooled, published): (i64, String, Option<i64>, Option<i64>),
) -> Result<StoredRecord> {
    let record = serde_json::from_str(&json).map_err(|_| StoreError::Corrupt {
        table: "charging_records",
        id,
        what: "record",
    })?;
    Ok(StoredRecord {
        id,
        record,
        spooled_at_ms: spooled.map(u64_from_sql),
        published_at_ms: published.map(u64_from_sql),
    })
}

impl ReportTx<'_> {
    /// Writes one ledger step inside the reports' transaction: the usage of the reports
    /// committed by it is charged exactly when they are stored.
    pub fn charging_step(
        &mut self,
        open: &[OpenChange<'_>],
        closed: &[ChargingRecord],
    ) -> Result<()> {
        write_step(&self.tx, open, closed)
    }
}

impl Store {
    /// Commits one ledger step: `open` changes and the `closed` records, in one
    /// transaction. A closed record already stored (same subscription and sequence) is an
    /// error: the ledger never closes a record twice.
    pub fn commit_charging(
        &mut self,
        open: &[OpenChange<'_>],
        closed: &[ChargingRecord],
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        write_step(&tx, open, closed)?;
        tx.commit()?;
        Ok(())
    }

    /// What a ledger resumes from: the open records, and per subscription the last
    /// sequence number used (open or closed).
    pub fn charging_state(&self) -> Result<(Vec<ChargingRecord>, BTreeMap<String, u64>)> {
        let mut stmt = self
            .conn
            .prepare("SELECT rowid, record FROM charging_open ORDER BY subscription")?;
        let open = stmt
            .query_map([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?
            .map(|r| {
                let (id, json) = r?;
                serde_json::from_str::<ChargingRecord>(&json).map_err(|_| StoreError::Corrupt {
                    table: "charging_open",
                    id,
                    what: "record",
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut sequences = BTreeMap::new();
        let mut stmt = self.conn.prepare(
            "SELECT subscription, MAX(sequence) FROM (
                 SELECT subscription, sequence FROM charging_open
                 UNION ALL SELECT subscription, sequence FROM charging_records)
             GROUP BY subscription",
        )?;
        for row in stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })? {
            let (sub, seq) = row?;
            sequences.insert(sub, u64_from_sql(seq));
        }
        Ok((open, sequences))
    }

    /// Closed records matching `f`, in the order they were closed.
    pub fn charging_records(&self, f: &RecordFilter) -> Result<Vec<StoredRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, record, spooled_at, published_at FROM charging_records
             WHERE (?1 IS NULL OR subscription = ?1)
               AND (?2 IS NULL OR closed_at >= ?2)
               AND (?3 IS NULL OR closed_at < ?3)
             ORDER BY id",
        )?;
        let rows = stmt.query_map(
            params![
                f.subscription,
                f.closed_from_ms.map(u64_to_sql),
                f.closed_before_ms.map(u64_to_sql)
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let stored = decode_stored(row?)?;
            if let Some(svc) = &f.service {
                if stored
                    .record
                    .services
                    .get(svc)
                    .is_none_or(|s| s.volumes.is_zero())
                {
                    continue;
                }
            }
            out.push(stored);
        }
        Ok(out)
    }

    /// Closed records not yet in the spool file, oldest first.
    pub fn unspooled_records(&self) -> Result<Vec<StoredRecord>> {
        self.records_where("spooled_at IS NULL", i64::MAX)
    }

    /// At most `limit` closed records the northbound has not taken yet, oldest first.
    pub fn unpublished_records(&self, limit: usize) -> Result<Vec<StoredRecord>> {
        self.records_where(
            "published_at IS NULL",
            i64::try_from(limit).unwrap_or(i64::MAX),
        )
    }

    /// Marks a record as taken by the northbound (the broker acknowledged it).
    pub fn mark_record_published(&mut self, id: i64, at_ms: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE charging_records SET published_at = ?2 WHERE id = ?1 AND published_at IS NULL",
            params![id, u64_to_sql(at_ms)],
        )?;
        Ok(())
    }

    /// Closed records matching a fixed SQL condition, oldest first.
    fn records_where(&self, condition: &'static str, limit: i64) -> Result<Vec<StoredRecord>> {
        let sql = format!(
            "SELECT id, record, spooled_at, published_at FROM charging_records
             WHERE {condition} ORDER BY id LIMIT ?1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<i64>>(2)?,
                row.get::<_, Option<i64>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            out.push(decode_stored(row?)?);
        }
        Ok(out)
    }

    /// Marks records as written to the spool file.
    pub fn mark_spooled(&mut self, ids: &[i64], at_ms: u64) -> Result<()> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE charging_records SET spooled_at = ?2 WHERE id = ?1 AND spooled_at IS NULL",
                params![id, u64_to_sql(at_ms)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The open record of `subscription`, if any (for tests and `subgate records`).
    pub fn open_charging_record(&self, subscription: &str) -> Result<Option<ChargingRecord>> {
        let row: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT rowid, record FROM charging_open WHERE subscription = ?1",
                [subscription],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(id, json)| {
            serde_json::from_str(&json).map_err(|_| StoreError::Corrupt {
                table: "charging_open",
                id,
                what: "record",
            })
        })
        .transpose()
    }
}
