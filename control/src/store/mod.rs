//! Embedded report store: SQLite (bundled) holding the MAC-layer reports the gateway acks,
//! and the per-service batches [`crate::aggregate`] forwards northbound.
//!
//! # Ack after commit
//! A report is acked to its terminal only after [`Store::store_batch`] (or
//! [`ReportTx::commit`]) returned `Ok`: by then the transaction holding it is committed with
//! `journal_mode=WAL` + `synchronous=FULL`, i.e. the WAL is fsynced and the report survives a
//! crash or power loss. Every report of a batch goes in one transaction, so a crash before the
//! commit leaves none of them (the terminals, not acked, resend them), never half a batch.
//!
//! # Duplicates
//! A terminal that lost an ack resends the same report, measurement time included;
//! `(measured_at, terminal, sid, sequence)` is unique, so the resend is answered [`Outcome::Duplicate`] (ack it again, with
//! [`AckStatus::Duplicate`](crate::wire::m2m::AckStatus::Duplicate)) and only bumps the row's
//! duplicate counter: it is neither stored nor counted twice. The measurement time is part of
//! the key so that a terminal that rebooted and restarted its sequence numbers is not taken for
//! a retry (its new readings have new times), and so that the reports of one commit, measured
//! at about the same time, share a few index pages: a key led by the terminal put every report
//! on its own random page and bounded the commit rate by page writes (schema version 3).
//!
//! # Schema (migrations embedded, run by [`Store::open`]; version in `user_version`)
//! - `reports(id, terminal BLOB(6), aid, sid TEXT, sequence, measured_at, received_at,
//!   data_format, payload BLOB, channel, duplicates, batch_id → batches)`,
//!   `UNIQUE (measured_at, terminal, sid, sequence)`.
//! - `batches(id, sid, closed_at, reason, report_count, byte_count, attempts, forwarded_at)`:
//!   `forwarded_at` is set only after the northbound accepted the batch.
//! - `events(id, at, kind, terminal, sid, detail JSON, attempts, forwarded_at)`: the
//!   northbound's event outbox, same rule as batches; `service_config(sid, report_period,
//!   data_format, data_amount, command_id, set_at)`: service configurations set by downlink
//!   commands (schema version 4).
//! - `charging_open(subscription, sequence, record JSON)`: each subscription's open charging
//!   record; `charging_records(id, subscription, sequence, opened_at, closed_at, reason,
//!   record JSON, spooled_at, published_at)`, `UNIQUE (subscription, sequence)`: the closed
//!   ones (schema version 5, [`charging`]).
//!
//! A `Store` is a value owning one connection (no globals): tests each open their own
//! [`Store::open_in_memory`] and run in parallel.

mod batch;
pub mod charging;
mod error;
mod event;
mod migrations;
mod report;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

pub use batch::{BatchId, BatchRecord, CloseReason};
pub use error::{Result, StoreError};
pub use event::{EventId, NewEvent, ServiceConfigRecord, StoredEvent};
pub use migrations::SCHEMA_VERSION;
pub use report::{IncomingReport, Outcome, ReportCounts, ReportId, ReportTx, StoredReport};

/// How long a statement waits for another connection's lock before failing with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The report store: one SQLite connection with the schema migrated.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database file at `path`: WAL journal,
    /// `synchronous=FULL`, foreign keys on, [`BUSY_TIMEOUT`]; then runs the pending
    /// migrations (none on an up-to-date file).
    ///
    /// `NotDurable` if SQLite refuses WAL (e.g. a file system without shared memory);
    /// `SchemaTooNew` if the file comes from a newer subgate.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotDurable(format!(
                "journal_mode is {mode}, not wal"
            )));
        }
        Self::finish_open(conn)
    }

    /// A fresh private in-memory database with the full schema, for tests (no durability).
    pub fn open_in_memory() -> Result<Store> {
        Self::finish_open(Connection::open_in_memory()?)
    }

    fn finish_open(mut conn: Connection) -> Result<Store> {
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        let fk: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
        if !fk {
            return Err(StoreError::NotDurable("foreign keys unavailable".into()));
        }
        migrations::migrate_to(&mut conn, SCHEMA_VERSION)?;
        Ok(Store { conn })
    }

    /// Schema version of the open database (= [`SCHEMA_VERSION`] after a successful open).
    pub fn schema_version(&self) -> Result<i64> {
        migrations::version(&self.conn)
    }

    /// Journal mode and `synchronous` level in force (`("wal", 2)` for a file store; 2 is
    /// FULL), for start-up logs and tests.
    pub fn durability(&self) -> Result<(String, i64)> {
        let mode = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        let sync = self
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        Ok((mode, sync))
    }

    /// Runs SQLite's `integrity_check`; `Ok(true)` if it answers "ok".
    pub fn integrity_ok(&self) -> Result<bool> {
        let s: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(s == "ok")
    }
}

/// A u64 (µs) as the i64 with the same bits: SQLite integers are signed, and a terminal may
/// send any u64 timestamp, so the conversion must not fail.
fn u64_to_sql(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

/// Inverse of [`u64_to_sql`].
fn u64_from_sql(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_has_schema() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(s.schema_version().unwrap(), i64::from(SCHEMA_VERSION));
        assert!(s.integrity_ok().unwrap());
    }

    #[test]
    fn file_is_wal_full() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("r.db")).unwrap();
        assert_eq!(s.durability().unwrap(), ("wal".to_string(), 2));
        let fk: bool = s
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert!(fk);
    }

    #[test]
    fn u64_round_trips_through_sql() {
        for v in [0, 1, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
            assert_eq!(u64_from_sql(u64_to_sql(v)), v);
        }
    }

    #[test]
    fn open_bad_path_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let r = Store::open(dir.path().join("no/such/dir/r.db"));
        assert!(matches!(r, Err(StoreError::Sqlite(_))));
    }
}
