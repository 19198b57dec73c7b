//! The charging record: one per subscription while open, a section per service with its
//! aggregated usage, a sub-section per device, the limits that publish it.

use super::limits::Limits;
use super::usage::{Class, Volumes};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a record was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CloseReason {
    /// A service's volume limit in a class was reached.
    ServiceVolume {
        /// The service.
        service: String,
        /// The class.
        class: Class,
    },
    /// The subscription's volume limit in a class was reached.
    SubscriptionVolume {
        /// The class.
        class: Class,
    },
    /// A service's time limit was reached.
    ServiceTime {
        /// The service with the shortest time limit.
        service: String,
    },
}

impl CloseReason {
    /// Its kind as the record format names it (`service_volume`, `subscription_volume`,
    /// `service_time`).
    pub fn kind(&self) -> &'static str {
        match self {
            CloseReason::ServiceVolume { .. } => "service_volume",
            CloseReason::SubscriptionVolume { .. } => "subscription_volume",
            CloseReason::ServiceTime { .. } => "service_time",
        }
    }
}

/// A service's part of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSection {
    /// The service's limits.
    pub limits: Limits,
    /// Usage of the service, all devices aggregated.
    pub volumes: Volumes,
    /// Usage per device (terminal id).
    pub devices: BTreeMap<String, Volumes>,
}

/// One charging record of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargingRecord {
    /// The subscription (service provider ↔ operator agreement).
    pub subscription: String,
    /// Position of the record in the subscription's sequence, from 1.
    pub sequence: u64,
    /// When it was opened, ms.
    pub opened_at_ms: u64,
    /// When it was closed, ms (`None` while open).
    pub closed_at_ms: Option<u64>,
    /// Why it was closed.
    pub close_reason: Option<CloseReason>,
    /// The subscription's limits.
    pub limits: Limits,
    /// Usage of all services aggregated.
    pub volumes: Volumes,
    /// Per service.
    pub services: BTreeMap<String, ServiceSection>,
}

impl ChargingRecord {
    /// The usage of `device` on `service` (zero if none).
    pub fn device_volumes(&self, service: &str, device: &str) -> Volumes {
        self.services
            .get(service)
            .and_then(|s| s.devices.get(device))
            .copied()
            .unwrap_or_default()
    }

    /// Whether every volume in the record lies within its limit (a record never holds more
    /// than its limits allow).
    pub fn within_limits(&self) -> bool {
        let fits = |v: &Volumes, l: &Limits| {
            Class::ALL
                .iter()
                .all(|&c| l.volume.get(c).is_none_or(|lim| v.get(c) <= lim))
        };
        fits(&self.volumes, &self.limits)
            && self.services.values().all(|s| fits(&s.volumes, &s.limits))
            && match (self.closed_at_ms, self.limits.time_s) {
                (Some(closed), Some(t)) => closed - self.opened_at_ms <= t * 1000,
                _ => true,
            }
    }
}
