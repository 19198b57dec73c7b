//! Northbound transports (the [`Northbound`](crate::aggregate::Northbound) trait lives with the
//! aggregator): MQTT to a broker ([`mqtt`]); the JSON of batches ([`payload`]), of events and
//! status ([`event`]); of charging records ([`record`]); downlink commands ([`command`]). Schema in docs/northbound.md.

pub mod command;
pub mod event;
pub mod mqtt;
pub mod payload;
pub mod record;

pub use command::{Command, CommandAction, CommandInput, RefusedCommand};
pub use event::{EventPayload, OutboxCounts, StationCounts, StatusPayload};
pub use mqtt::{MqttCounters, MqttNorthbound};
pub use payload::{BatchPayload, ReportPayload, SCHEMA};
pub use record::RecordPayload;
