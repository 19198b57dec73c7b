//! The JSON of gateway events (`<prefix>/<gateway>/events`) and of the gateway's status
//! (`<prefix>/<gateway>/status`, retained), schema [`SCHEMA`](super::SCHEMA); docs/northbound.md
//! §2–3. Events are deduplicated by `event_id`, like batches by `batch_id`.

use serde::{Deserialize, Serialize};

use super::payload::SCHEMA;
use crate::gateway::GatewayStats;
use crate::store::StoredEvent;

/// One gateway event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPayload {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The gateway's name.
    pub gateway: String,
    /// Store id of the event: the same on every re-publication.
    pub event_id: i64,
    /// `registered`, `deregistered` or `command`.
    pub kind: String,
    /// When it happened, µs (gateway clock).
    pub at_us: u64,
    /// The terminal it is about (`02:10:00:00:00:01`), if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub terminal: Option<String>,
    /// The service it is about (SID text), if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sid: Option<String>,
    /// Publications of it that failed before this one (> 0: a replay).
    pub attempts: u32,
    /// Kind-specific fields (docs/northbound.md §2).
    pub detail: serde_json::Value,
}

impl EventPayload {
    /// The payload of a stored event. A detail that is not valid JSON (a damaged row) is
    /// sent as a JSON string rather than dropped.
    pub fn new(gateway: &str, e: &StoredEvent) -> EventPayload {
        let detail = serde_json::from_str(&e.event.detail)
            .unwrap_or_else(|_| serde_json::Value::String(e.event.detail.clone()));
        EventPayload {
            schema: SCHEMA,
            gateway: gateway.to_string(),
            event_id: e.id.0,
            kind: e.event.kind.clone(),
            at_us: e.event.at,
            terminal: e.event.terminal.map(|m| m.to_string()),
            sid: e.event.sid.as_ref().map(|s| s.to_string()),
            attempts: e.attempts,
            detail,
        }
    }

    /// The JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// How many stations are in each phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationCounts {
    /// Known to the gateway in any state.
    pub known: u64,
    /// With a report window (scheduled or reporting).
    pub scheduled: u64,
}

/// The gateway's status: published every `northbound.status_interval_s`, retained, so a
/// consumer that subscribes sees the latest at once; the broker publishes `online: false`
/// in its place (the MQTT last will) when the gateway's connection dies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusPayload {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The gateway's name.
    pub gateway: String,
    /// `false` only in the last will.
    pub online: bool,
    /// When it was taken, µs (gateway clock); absent in the last will.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub at_us: Option<u64>,
    /// Stations.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stations: Option<StationCounts>,
    /// Batches and events waiting for the broker.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub outbox: Option<OutboxCounts>,
    /// The gateway's counters since it started.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stats: Option<GatewayStats>,
}

/// What the outbox holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxCounts {
    /// Batches not yet accepted by the broker.
    pub pending_batches: u64,
    /// Events not yet accepted by the broker.
    pub pending_events: u64,
}

impl StatusPayload {
    /// The last will: only the name and `online: false`.
    pub fn offline(gateway: &str) -> StatusPayload {
        StatusPayload {
            schema: SCHEMA,
            gateway: gateway.to_string(),
            online: false,
            at_us: None,
            stations: None,
            outbox: None,
            stats: None,
        }
    }

    /// The JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventId, NewEvent};
    use crate::wire::m2m::Sid;
    use crate::wire::MacAddr;

    #[test]
    fn event_json_names_every_field() {
        let e = StoredEvent {
            id: EventId(7),
            event: NewEvent {
                at: 12,
                kind: "registered".into(),
                terminal: Some(MacAddr([2, 0x10, 0, 0, 0, 1])),
                sid: Some(Sid::service("meter").unwrap()),
                detail: r#"{"aid":3}"#.into(),
            },
            attempts: 1,
        };
        let p = EventPayload::new("gw", &e);
        let json = String::from_utf8(p.to_json()).unwrap();
        for field in [
            "\"event_id\":7",
            "\"kind\":\"registered\"",
            "\"terminal\":\"02:10:00:00:00:01\"",
            "\"sid\":\"service:meter\"",
            "\"attempts\":1",
            "\"detail\":{\"aid\":3}",
        ] {
            assert!(json.contains(field), "{field} missing in {json}");
        }
        let back: EventPayload = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn the_last_will_says_offline_and_nothing_else() {
        let json = String::from_utf8(StatusPayload::offline("gw").to_json()).unwrap();
        assert_eq!(json, r#"{"schema":1,"gateway":"gw","online":false}"#);
    }
}
