//! The JSON of a charging record published northbound (`<topic_prefix>/<gateway>/charging`,
//! QoS 1): the closed record with its store id, which stays the same on every
//! re-publication so a billing system drops copies (docs/northbound.md, docs/charging.md).

use serde::{Deserialize, Serialize};

use super::payload::SCHEMA;
use crate::charging::ChargingRecord;
use crate::store::charging::StoredRecord;

/// One closed charging record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPayload {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The gateway's name.
    pub gateway: String,
    /// Store id of the record (the order records closed in).
    pub record_id: i64,
    /// The record (subscription and sequence identify it too).
    pub record: ChargingRecord,
}

impl RecordPayload {
    /// The payload of a stored record.
    pub fn new(gateway: &str, r: &StoredRecord) -> RecordPayload {
        RecordPayload {
            schema: SCHEMA,
            gateway: gateway.to_string(),
            record_id: r.id,
            record: r.record.clone(),
        }
    }

    /// As JSON text (a record of plain strings and numbers always serialises).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
