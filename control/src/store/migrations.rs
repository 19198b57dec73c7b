//! Embedded schema migrations, run by [`Store::open`](super::Store::open).
//!
//! The schema version is SQLite's `user_version` header field (transactional, so a migration
//! and its version number commit together). Each migration runs in its own `IMMEDIATE`
//! transaction that re-reads the version first, so two processes opening the same new file
//! at once apply each step exactly once; opening an up-to-date file writes nothing.

use rusqlite::{Connection, TransactionBehavior};

use super::error::{Result, StoreError};

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// Schema version after it (1, 2, … without gaps).
    pub version: u32,
    /// SQL applied.
    pub sql: &'static str,
}

/// Every migration, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_reports.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_batches.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("migrations/0003_dedup_by_measurement.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("migrations/0004_events.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("migrations/0005_charging.sql"),
    },
];

/// Newest schema version this build knows.
pub const SCHEMA_VERSION: u32 = 5;

/// The `user_version` of the database.
pub(crate) fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the schema up to `target` (≤ [`SCHEMA_VERSION`]); `SchemaTooNew` if the file is
/// already past what this build knows.
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<()> {
    let found = version(conn)?;
    if found > i64::from(SCHEMA_VERSION) {
        return Err(StoreError::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version <= target) {
        if i64::from(m.version) <= found {
            continue;
        }
        let err = |source| StoreError::Migration {
            version: m.version,
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        // Another connection may have applied it since we looked.
        let now: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if now >= i64::from(m.version) {
            continue;
        }
        tx.execute_batch(m.sql).map_err(err)?;
        tx.pragma_update(None, "user_version", m.version)
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    #[test]
    fn step_by_step_equals_all_at_once() {
        let mut a = Connection::open_in_memory().unwrap();
        migrate_to(&mut a, 1).unwrap();
        assert_eq!(version(&a).unwrap(), 1);
        migrate_to(&mut a, SCHEMA_VERSION).unwrap();
        let mut b = Connection::open_in_memory().unwrap();
        migrate_to(&mut b, SCHEMA_VERSION).unwrap();
        let schema = |c: &Connection| -> Vec<String> {
            let mut s = c
                .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
                .unwrap();
            let rows = s.query_map([], |r| r.get(0)).unwrap();
            rows.collect::<rusqlite::Result<_>>().unwrap()
        };
        assert_eq!(schema(&a), schema(&b));
        assert_eq!(version(&a).unwrap(), i64::from(SCHEMA_VERSION));
    }

    #[test]
    fn version_3_keeps_rows_ids_and_batches() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "foreign_keys", true).unwrap();
        migrate_to(&mut c, 2).unwrap();
        c.execute_batch(
            "INSERT INTO batches (id, sid, closed_at, reason, report_count, byte_count) \
                 VALUES (7, 'svc', 1, 1, 1, 2);
             INSERT INTO reports (id, terminal, aid, sid, sequence, measured_at, received_at, \
                 data_format, payload, channel, duplicates, batch_id) VALUES \
                 (10, x'020000000001', 1, 'svc', 0, 100, 101, 0, x'0102', 1, 2, 7), \
                 (11, x'020000000001', 1, 'svc', 1, 200, 201, 0, x'03', 1, 0, NULL);",
        )
        .unwrap();
        migrate_to(&mut c, 3).unwrap();
        let rows: Vec<(i64, i64, i64, Option<i64>)> = {
            let mut s = c
                .prepare("SELECT id, sequence, duplicates, batch_id FROM reports ORDER BY id")
                .unwrap();
            let r = s
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap();
            r.collect::<rusqlite::Result<_>>().unwrap()
        };
        assert_eq!(rows, vec![(10, 0, 2, Some(7)), (11, 1, 0, None)]);
        // Same sequence at a new measurement time (a rebooted terminal): a new row now.
        c.execute(
            "INSERT INTO reports (terminal, aid, sid, sequence, measured_at, received_at, \
                 data_format, payload, channel) \
                 VALUES (x'020000000001', 1, 'svc', 0, 300, 301, 0, x'04', 1)",
            [],
        )
        .unwrap();
        // Same measurement time too: still refused by the key.
        assert!(c
            .execute(
                "INSERT INTO reports (terminal, aid, sid, sequence, measured_at, received_at, \
                     data_format, payload, channel) \
                     VALUES (x'020000000001', 1, 'svc', 0, 100, 400, 0, x'05', 1)",
                [],
            )
            .is_err());
        // The partial indexes came back with the rebuilt table.
        let n: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'reports' \
                 AND name IN ('reports_unbatched', 'reports_by_batch')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
        let fk: Vec<String> = {
            let mut s = c.prepare("PRAGMA foreign_key_check").unwrap();
            let r = s.query_map([], |r| r.get(0)).unwrap();
            r.collect::<rusqlite::Result<_>>().unwrap()
        };
        assert!(fk.is_empty(), "{fk:?}");
    }

    #[test]
    fn rerun_is_a_no_op() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, SCHEMA_VERSION).unwrap();
        let before = c.total_changes();
        migrate_to(&mut c, SCHEMA_VERSION).unwrap();
        assert_eq!(c.total_changes(), before);
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(matches!(
            migrate_to(&mut c, SCHEMA_VERSION),
            Err(StoreError::SchemaTooNew { found, known })
                if found == i64::from(SCHEMA_VERSION) + 1 && known == SCHEMA_VERSION
        ));
    }

    #[test]
    fn version_5_adds_the_charging_tables_and_keeps_the_rest() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, 4).unwrap();
        c.execute(
            "INSERT INTO events (at, kind, detail) VALUES (7, 'registered', '{}')",
            [],
        )
        .unwrap();
        migrate_to(&mut c, 5).unwrap();
        assert_eq!(version(&c).unwrap(), 5);
        let kept: i64 = c
            .query_row("SELECT at FROM events WHERE kind = 'registered'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(kept, 7);
        for table in ["charging_open", "charging_records"] {
            let n: i64 = c
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "{table}");
        }
    }

    #[test]
    fn failed_migration_leaves_previous_version() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, 1).unwrap();
        // Sabotage step 2: its table name is already taken.
        c.execute_batch("CREATE TABLE batches (x)").unwrap();
        assert!(matches!(
            migrate_to(&mut c, SCHEMA_VERSION),
            Err(StoreError::Migration { version: 2, .. })
        ));
        assert_eq!(version(&c).unwrap(), 1);
        // Step 2's other changes were rolled back with it.
        let n: i64 = c
            .query_row(
                "SELECT count(*) FROM pragma_table_info('reports') WHERE name = 'batch_id'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0);
    }
}
