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
//!
//! This is the model; storing, spooling and publishing records come next (issue 8).

pub mod ledger;
pub mod limits;
pub mod record;
pub mod usage;

pub use ledger::{ChargingError, Ledger, ServicePlan, SubscriptionPlan, Usage};
pub use limits::{subscription_limits, Limits, Profile, ProfileTable, VolumeLimits};
pub use record::{ChargingRecord, CloseReason, ServiceSection};
pub use usage::{Class, Direction, Roaming, Volumes};
