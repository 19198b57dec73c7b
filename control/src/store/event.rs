//! Gateway events for the northbound — a terminal registered or left, a downlink command was
//! applied or refused — and the service configurations downlink commands set.
//!
//! Events follow the batches' outbox rule: written inside the reports' group commit
//! ([`ReportTx::insert_event`](super::ReportTx::insert_event)), marked forwarded only after
//! the northbound accepted them, forwarded again with the same [`EventId`] otherwise. An
//! event is therefore durable from the commit that follows it (at most
//! `store.commit_interval_ms` later) — the same moment the station's own reports would be.

use std::fmt;

use rusqlite::{params, Row};

use super::error::{Result, StoreError};
use super::report::decode_sid;
use super::{u64_from_sql, u64_to_sql, ReportTx, Store};
use crate::wire::m2m::{DataFormat, ServiceInfoRepr, Sid};
use crate::wire::MacAddr;

/// Row id of an event; stable across re-publications, so consumers drop copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub i64);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An event before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// When it happened, µs (the gateway's clock).
    pub at: u64,
    /// What happened: `registered`, `deregistered`, `command` (docs/northbound.md §2).
    pub kind: String,
    /// The terminal it is about, if any.
    pub terminal: Option<MacAddr>,
    /// The service it is about, if any.
    pub sid: Option<Sid>,
    /// Kind-specific fields: one JSON object, as text.
    pub detail: String,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Id: the same on every re-publication.
    pub id: EventId,
    /// The event.
    pub event: NewEvent,
    /// Failed publication attempts so far.
    pub attempts: u32,
}

/// A service configuration set by a downlink command; it replaces what the registrar
/// returns for that service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfigRecord {
    /// The served SID.
    pub sid: Sid,
    /// Its service information (no server SID).
    pub info: ServiceInfoRepr,
    /// The command that set it.
    pub command_id: String,
    /// When it was set, µs.
    pub set_at: u64,
}

const INSERT_EVENT: &str =
    "INSERT INTO events (at, kind, terminal, sid, detail) VALUES (?1, ?2, ?3, ?4, ?5)";

type RawEvent = (
    i64,
    i64,
    String,
    Option<Vec<u8>>,
    Option<String>,
    String,
    i64,
);

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<RawEvent> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn decode_event(raw: RawEvent) -> Result<StoredEvent> {
    let (id, at, kind, terminal, sid, detail, attempts) = raw;
    let bad = |what| StoreError::Corrupt {
        table: "events",
        id,
        what,
    };
    let terminal = match terminal {
        Some(b) if b.len() == 6 => Some(MacAddr::from_bytes(&b)),
        Some(_) => return Err(bad("terminal")),
        None => None,
    };
    let sid = match sid {
        Some(s) => Some(decode_sid(&s).map_err(|_| bad("sid"))?),
        None => None,
    };
    Ok(StoredEvent {
        id: EventId(id),
        event: NewEvent {
            at: u64_from_sql(at),
            kind,
            terminal,
            sid,
            detail,
        },
        attempts: u32::try_from(attempts).map_err(|_| bad("attempts"))?,
    })
}

impl ReportTx<'_> {
    /// Stores an event inside the transaction (durable at its commit).
    pub fn insert_event(&mut self, e: &NewEvent) -> Result<EventId> {
        let mut stmt = self.tx.prepare_cached(INSERT_EVENT)?;
        stmt.execute(params![
            u64_to_sql(e.at),
            e.kind,
            e.terminal.map(|m| m.0.to_vec()),
            e.sid.as_ref().map(|s| s.to_string()),
            e.detail,
        ])?;
        Ok(EventId(self.tx.last_insert_rowid()))
    }
}

impl Store {
    /// Up to `limit` events not yet forwarded, oldest first.
    pub fn pending_events(&self, limit: usize) -> Result<Vec<StoredEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, kind, terminal, sid, detail, attempts FROM events \
             WHERE forwarded_at IS NULL ORDER BY id LIMIT ?1",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![limit], event_from_row)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(decode_event))
            .collect()
    }

    /// Every event, oldest first.
    pub fn events(&self) -> Result<Vec<StoredEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, kind, terminal, sid, detail, attempts FROM events ORDER BY id",
        )?;
        let rows = stmt.query_map([], event_from_row)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(decode_event))
            .collect()
    }

    /// Marks a pending event forwarded at `at` µs (after the northbound accepted it);
    /// `false` if it was not pending.
    pub fn mark_event_forwarded(&mut self, id: EventId, at: u64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE events SET forwarded_at = ?2 WHERE id = ?1 AND forwarded_at IS NULL",
            params![id.0, u64_to_sql(at)],
        )?;
        Ok(n == 1)
    }

    /// Counts a failed publication of a pending event (it stays pending).
    pub fn record_event_failure(&mut self, id: EventId) -> Result<()> {
        self.conn.execute(
            "UPDATE events SET attempts = attempts + 1 WHERE id = ?1 AND forwarded_at IS NULL",
            params![id.0],
        )?;
        Ok(())
    }

    /// Events not forwarded yet.
    pub fn pending_event_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM events WHERE forwarded_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Sets (or replaces) the configuration of a service, durably (its own transaction).
    pub fn set_service_config(&mut self, c: &ServiceConfigRecord) -> Result<()> {
        self.conn.execute(
            "INSERT INTO service_config (sid, report_period, data_format, data_amount, command_id, set_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (sid) DO UPDATE SET report_period = ?2, data_format = ?3, \
             data_amount = ?4, command_id = ?5, set_at = ?6",
            params![
                c.sid.to_string(),
                c.info.report_period,
                u8::from(c.info.data_format),
                c.info.data_amount,
                c.command_id,
                u64_to_sql(c.set_at),
            ],
        )?;
        Ok(())
    }

    /// Every service configuration set by commands, by SID text.
    pub fn service_configs(&self) -> Result<Vec<ServiceConfigRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT rowid, sid, report_period, data_format, data_amount, command_id, set_at \
             FROM service_config ORDER BY sid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        rows.map(|r| {
            let (id, sid, period, format, amount, command_id, set_at) = r?;
            let bad = |what| StoreError::Corrupt {
                table: "service_config",
                id,
                what,
            };
            Ok(ServiceConfigRecord {
                sid: decode_sid(&sid).map_err(|_| bad("sid"))?,
                info: ServiceInfoRepr {
                    report_period: u32::try_from(period).map_err(|_| bad("report_period"))?,
                    data_format: DataFormat::from(
                        u8::try_from(format).map_err(|_| bad("data_format"))?,
                    ),
                    data_amount: u32::try_from(amount).map_err(|_| bad("data_amount"))?,
                    server: None,
                },
                command_id,
                set_at: u64_from_sql(set_at),
            })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, at: u64) -> NewEvent {
        NewEvent {
            at,
            kind: kind.into(),
            terminal: Some(MacAddr([2, 0, 0, 0, 0, 9])),
            sid: Some(Sid::service("meter").unwrap()),
            detail: r#"{"aid":9}"#.into(),
        }
    }

    #[test]
    fn events_are_pending_until_marked() {
        let mut s = Store::open_in_memory().unwrap();
        let mut tx = s.begin_reports().unwrap();
        let a = tx.insert_event(&event("registered", 10)).unwrap();
        let b = tx.insert_event(&event("deregistered", 20)).unwrap();
        tx.commit().unwrap();
        let p = s.pending_events(10).unwrap();
        assert_eq!(p.iter().map(|e| e.id).collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(p[0].event, event("registered", 10));
        s.record_event_failure(a).unwrap();
        assert!(s.mark_event_forwarded(a, 30).unwrap());
        assert!(!s.mark_event_forwarded(a, 31).unwrap());
        let p = s.pending_events(10).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].id, b);
        assert_eq!(s.pending_event_count().unwrap(), 1);
        assert_eq!(s.events().unwrap()[0].attempts, 1);
    }

    #[test]
    fn an_uncommitted_event_is_not_stored() {
        let mut s = Store::open_in_memory().unwrap();
        {
            let mut tx = s.begin_reports().unwrap();
            tx.insert_event(&event("registered", 10)).unwrap();
        }
        assert!(s.events().unwrap().is_empty());
    }

    #[test]
    fn service_config_is_replaced_per_sid() {
        let mut s = Store::open_in_memory().unwrap();
        let mut c = ServiceConfigRecord {
            sid: Sid::service("meter").unwrap(),
            info: ServiceInfoRepr {
                report_period: 900,
                data_format: DataFormat::Cbor,
                data_amount: 48,
                server: None,
            },
            command_id: "c-1".into(),
            set_at: 5,
        };
        s.set_service_config(&c).unwrap();
        c.info.report_period = 300;
        c.command_id = "c-2".into();
        s.set_service_config(&c).unwrap();
        assert_eq!(s.service_configs().unwrap(), vec![c]);
    }
}
