//! The store's error type: the domain cases plus the SQLite error underneath.

use super::batch::BatchId;

/// What can go wrong in the report store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (I/O, full disk, lock timeout, constraint, …).
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A schema migration failed; the database is left at the version before it.
    #[error("schema migration to version {version} failed: {source}")]
    Migration {
        /// Version that was being applied.
        version: u32,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer subgate whose schema this version does not know.
    #[error("database schema version {found} is newer than the {known} this subgate knows")]
    SchemaTooNew {
        /// Version found in the file.
        found: i64,
        /// Newest version this build knows.
        known: u32,
    },
    /// The durable settings could not be applied (e.g. WAL refused by the file system).
    #[error("database cannot be made durable: {0}")]
    NotDurable(String),
    /// A stored row does not decode (hand-edited or damaged file).
    #[error("corrupt {table} row {id}: {what}")]
    Corrupt {
        /// Table of the row.
        table: &'static str,
        /// Row id.
        id: i64,
        /// Which column failed.
        what: &'static str,
    },
    /// No batch with this id (or it is not pending any more).
    #[error("no pending batch {0}")]
    BatchNotFound(BatchId),
    /// A batch was asked for with no reports, or with reports that are not unbatched reports
    /// of its SID.
    #[error("invalid batch: {0}")]
    InvalidBatch(&'static str),
}

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;
