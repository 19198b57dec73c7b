//! On-gateway charging records (seed 002, DESIGN §4): one open record per subscription (a
//! service provider's agreement with the operator), a section per M2M service with its
//! aggregated usage and a sub-section per device, uplink/downlink × roaming/non-roaming
//! volumes; the record is published the moment a volume or time limit is reached, and the
//! next one opens with no byte lost or counted twice.
//!
//! - [`usage`]: directions, roaming, the four counted classes, [`usage::Volumes`].
//! - [`limits`]: per-service and per-subscription limits, the subscription formula
//!   (`Σ service limits + services × factor`), the 4 × 4 charging profiles.
//! - [`record`]: the record format.
//! - [`ledger`]: folding usage into records, closing them on their limits.
//! - [`book`]: the ledger with every step committed to the store, resuming after a restart.
//! - [`spool`]: closed records into spool files (JSON lines, fsync + rename), CSV export.
//!
//! Publishing over MQTT and counting usage from the gateway's frames come next (issue 8).

pub mod book;
pub mod ledger;
pub mod limits;
pub mod record;
pub mod spool;
pub mod usage;

pub use book::{Book, BookError};
pub use ledger::{ChargingError, Ledger, ServicePlan, SubscriptionPlan, Usage};
pub use limits::{subscription_limits, Limits, Profile, ProfileTable, VolumeLimits};
pub use record::{ChargingRecord, CloseReason, ServiceSection};
pub use usage::{Class, Direction, Roaming, Volumes};
