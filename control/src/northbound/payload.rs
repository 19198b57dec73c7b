//! The JSON a batch is published as (schema 1, docs/northbound.md). Consumers deduplicate by
//! `batch_id`: a batch is published again — identical — after a lost PUBACK or a restart.

use serde::{Deserialize, Serialize};

use crate::aggregate::Batch;
use crate::store::CloseReason;

/// Schema version in every payload; bumped on any incompatible change.
pub const SCHEMA: u32 = 1;

/// One batch of one service's reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPayload {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The gateway's name.
    pub gateway: String,
    /// Store id of the batch: the same on every re-publication.
    pub batch_id: i64,
    /// The service (SID text form).
    pub sid: String,
    /// When the batch closed, µs (gateway clock).
    pub closed_at_us: u64,
    /// Why it closed: `count`, `bytes` or `age`.
    pub reason: String,
    /// Publications of it that failed before this one: > 0 marks a replay (after a broker
    /// outage or a lost PUBACK). A copy after a gateway crash may still show 0.
    #[serde(default)]
    pub attempts: u32,
    /// The reports, in arrival order.
    pub reports: Vec<ReportPayload>,
}

/// One report in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPayload {
    /// Terminal MAC address, `02:10:00:00:00:01`.
    pub terminal: String,
    /// Association id it had.
    pub aid: u16,
    /// S1G channel it came on.
    pub channel: u8,
    /// The terminal's report sequence number.
    pub sequence: u32,
    /// Measurement time from the terminal, µs since the Unix epoch (0: unknown).
    pub measured_at_us: u64,
    /// When the gateway received it first, µs (gateway clock) — kept on every re-publication.
    pub received_at_us: u64,
    /// Data format code (docs/protocol.md §3.3).
    pub data_format: u8,
    /// The data, lowercase hex.
    pub payload_hex: String,
    /// Retries of it the gateway recognised (not stored again).
    pub duplicates: u32,
}

impl BatchPayload {
    /// The payload of `batch` from gateway `gateway`.
    pub fn new(gateway: &str, batch: &Batch) -> BatchPayload {
        BatchPayload {
            schema: SCHEMA,
            gateway: gateway.to_string(),
            batch_id: batch.id.0,
            sid: batch.sid.to_string(),
            closed_at_us: batch.closed_at,
            reason: match batch.reason {
                CloseReason::Count => "count",
                CloseReason::Bytes => "bytes",
                CloseReason::Age => "age",
            }
            .to_string(),
            attempts: batch.attempts,
            reports: batch
                .reports
                .iter()
                .map(|r| ReportPayload {
                    terminal: r.terminal.to_string(),
                    aid: r.aid,
                    channel: r.channel,
                    sequence: r.report.sequence,
                    measured_at_us: r.report.timestamp,
                    received_at_us: r.received_at,
                    data_format: u8::from(r.report.data_format),
                    payload_hex: hex(&r.report.payload),
                    duplicates: r.duplicates,
                })
                .collect(),
        }
    }

    /// The JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising plain strings and integers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Lowercase hex of `b`.
pub(crate) fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{BatchId, ReportId, StoredReport};
    use crate::wire::m2m::{DataFormat, ReportRepr, Sid};
    use crate::wire::MacAddr;

    #[test]
    fn json_round_trips_and_names_every_field() {
        let batch = Batch {
            id: BatchId(42),
            sid: Sid::service("metering").unwrap(),
            closed_at: 7,
            reason: CloseReason::Age,
            attempts: 2,
            reports: vec![StoredReport {
                id: ReportId(1),
                terminal: MacAddr([2, 0x10, 0, 0, 0, 1]),
                aid: 3,
                channel: 5,
                received_at: 99,
                report: ReportRepr {
                    sequence: 8,
                    sid: Sid::service("metering").unwrap(),
                    timestamp: u64::MAX,
                    data_format: DataFormat::Json,
                    payload: vec![0xde, 0xad],
                },
                duplicates: 1,
            }],
        };
        let p = BatchPayload::new("gw", &batch);
        let json = String::from_utf8(p.to_json()).unwrap();
        for field in [
            "\"schema\":1",
            "\"batch_id\":42",
            "\"sid\":\"service:metering\"",
            "\"reason\":\"age\"",
            "\"attempts\":2",
            "\"terminal\":\"02:10:00:00:00:01\"",
            "\"payload_hex\":\"dead\"",
            "\"measured_at_us\":18446744073709551615",
        ] {
            assert!(json.contains(field), "{field} missing in {json}");
        }
        let back: BatchPayload = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }
}
