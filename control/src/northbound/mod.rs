//! Northbound transports for aggregated batches (the [`Northbound`](crate::aggregate::Northbound)
//! trait lives with the aggregator): MQTT to a broker ([`mqtt`]), and the JSON payload the
//! batches are published as ([`payload`], schema in docs/northbound.md).

pub mod mqtt;
pub mod payload;

pub use mqtt::{MqttCounters, MqttNorthbound};
pub use payload::{BatchPayload, ReportPayload, SCHEMA};
