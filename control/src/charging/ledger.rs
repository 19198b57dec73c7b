//! The charging ledger: folds usage events into each subscription's open record and closes
//! (publishes) the record the moment a limit is reached, opening the next one — splitting
//! an event across the boundary so that no byte is lost or counted twice and no record
//! holds more than its limits.

use super::limits::{subscription_limits, LimitError, Limits};
use super::record::{ChargingRecord, CloseReason, ServiceSection};
use super::usage::{Class, Volumes};
use std::collections::BTreeMap;

/// One service of a subscription with its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePlan {
    /// Service id.
    pub service: String,
    /// Its limits (from a profile or configured).
    pub limits: Limits,
}

/// A subscription: its services and the factor of its volume-limit formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionPlan {
    /// Subscription id.
    pub subscription: String,
    /// Its services.
    pub services: Vec<ServicePlan>,
    /// The formula's factor (≥ 1).
    pub factor: u64,
}

impl SubscriptionPlan {
    /// The subscription's limits ([`subscription_limits`]).
    pub fn limits(&self) -> Result<Limits, LimitError> {
        let services: Vec<Limits> = self.services.iter().map(|s| s.limits).collect();
        subscription_limits(&services, self.factor)
    }
}

/// The time limit of an open record: the service with the shortest one, and when it is
/// reached, ms.
fn time_limit(plan: &SubscriptionPlan, rec: &ChargingRecord) -> Option<(String, u64)> {
    let (service, t) = plan
        .services
        .iter()
        .filter_map(|s| s.limits.time_s.map(|t| (s.service.clone(), t)))
        .min_by_key(|(_, t)| *t)?;
    Some((
        service,
        rec.opened_at_ms.saturating_add(t.saturating_mul(1000)),
    ))
}

/// Bytes carried for a device on a service of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// When, ms.
    pub at_ms: u64,
    /// Subscription id.
    pub subscription: String,
    /// Service id.
    pub service: String,
    /// Device (terminal) id.
    pub device: String,
    /// Direction and roaming.
    pub class: Class,
    /// Bytes.
    pub bytes: u64,
}

/// Why usage or a plan was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChargingError {
    /// No plan for the subscription.
    #[error("no charging plan for subscription {0:?}")]
    UnknownSubscription(String),
    /// The subscription has no such service.
    #[error("subscription {subscription:?} has no service {service:?}")]
    UnknownService {
        /// Subscription id.
        subscription: String,
        /// Service id.
        service: String,
    },
    /// A plan's limits cannot be used.
    #[error("subscription {subscription:?}: {source}")]
    Limits {
        /// Subscription id.
        subscription: String,
        /// What is wrong.
        #[source]
        source: LimitError,
    },
    /// Two plans for one subscription, or a service listed twice.
    #[error("{0} is listed twice")]
    Duplicate(String),
}

/// The open records and the plans they follow.
#[derive(Debug, Clone)]
pub struct Ledger {
    plans: BTreeMap<String, (SubscriptionPlan, Limits)>,
    open: BTreeMap<String, ChargingRecord>,
    /// Last sequence number used per subscription.
    sequence: BTreeMap<String, u64>,
}

impl Ledger {
    /// A ledger with no open record.
    pub fn new(plans: Vec<SubscriptionPlan>) -> Result<Self, ChargingError> {
        let mut map = BTreeMap::new();
        for p in plans {
            let bad = |source| ChargingError::Limits {
                subscription: p.subscription.clone(),
                source,
            };
            for (i, s) in p.services.iter().enumerate() {
                if p.services[..i].iter().any(|o| o.service == s.service) {
                    return Err(ChargingError::Duplicate(format!(
                        "service {:?} of subscription {:?}",
                        s.service, p.subscription
                    )));
                }
                s.limits
                    .validate(&format!("service {:?}", s.service))
                    .map_err(bad)?;
            }
            let limits = p.limits().map_err(bad)?;
            if map.contains_key(&p.subscription) {
                return Err(ChargingError::Duplicate(format!(
                    "subscription {:?}",
                    p.subscription
                )));
            }
            map.insert(p.subscription.clone(), (p, limits));
        }
        Ok(Ledger {
            plans: map,
            open: BTreeMap::new(),
            sequence: BTreeMap::new(),
        })
    }

    /// A ledger resuming from stored state: the open records and the last sequence number
    /// used per subscription ([`crate::store::Store::charging_state`]).
    pub fn restore(
        plans: Vec<SubscriptionPlan>,
        open: Vec<ChargingRecord>,
        sequences: BTreeMap<String, u64>,
    ) -> Result<Self, ChargingError> {
        let mut ledger = Ledger::new(plans)?;
        for r in open {
            if !ledger.plans.contains_key(&r.subscription) {
                return Err(ChargingError::UnknownSubscription(r.subscription));
            }
            ledger.open.insert(r.subscription.clone(), r);
        }
        for (sub, seq) in sequences {
            let open_seq = ledger.open.get(&sub).map_or(0, |r| r.sequence);
            ledger.sequence.insert(sub, seq.max(open_seq));
        }
        Ok(ledger)
    }

    /// The open records.
    pub fn open_records(&self) -> impl Iterator<Item = &ChargingRecord> {
        self.open.values()
    }

    /// The open record of `subscription`, if it has one.
    pub fn open_record_of(&self, subscription: &str) -> Option<&ChargingRecord> {
        self.open.get(subscription)
    }

    /// Refuses `u` if its subscription or service has no plan (what [`Ledger::record`]
    /// would refuse), without changing anything.
    pub fn check(&self, u: &Usage) -> Result<(), ChargingError> {
        let (plan, _) = self
            .plans
            .get(&u.subscription)
            .ok_or_else(|| ChargingError::UnknownSubscription(u.subscription.clone()))?;
        if plan.services.iter().any(|s| s.service == u.service) {
            Ok(())
        } else {
            Err(ChargingError::UnknownService {
                subscription: u.subscription.clone(),
                service: u.service.clone(),
            })
        }
    }

    /// Folds `u` into its subscription's open record (opening one if there is none);
    /// returns the records closed on the way, oldest first: one whose time limit passed
    /// before `u`, and one each time a volume limit is reached (the bytes past it go into
    /// the next record).
    pub fn record(&mut self, u: &Usage) -> Result<Vec<ChargingRecord>, ChargingError> {
        let (plan, _) = self
            .plans
            .get(&u.subscription)
            .ok_or_else(|| ChargingError::UnknownSubscription(u.subscription.clone()))?;
        let Some(svc) = plan.services.iter().find(|s| s.service == u.service) else {
            return Err(ChargingError::UnknownService {
                subscription: u.subscription.clone(),
                service: u.service.clone(),
            });
        };
        let svc_limit = svc.limits.volume.get(u.class);
        let mut closed = self.close_due(&u.subscription, u.at_ms);
        let mut left = u.bytes;
        while left > 0 {
            let rec = self.open_record(&u.subscription, u.at_ms)?;
            let sub_limit = rec.limits.volume.get(u.class);
            let section =
                rec.services
                    .get_mut(&u.service)
                    .ok_or_else(|| ChargingError::UnknownService {
                        subscription: u.subscription.clone(),
                        service: u.service.clone(),
                    })?;
            let svc_room = svc_limit.map(|l| l.saturating_sub(section.volumes.get(u.class)));
            let sub_room = sub_limit.map(|l| l.saturating_sub(rec.volumes.get(u.class)));
            let room = match (svc_room, sub_room) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let take = room.map_or(left, |r| r.min(left));
            section.volumes.add(u.class, take);
            section
                .devices
                .entry(u.device.clone())
                .or_default()
                .add(u.class, take);
            rec.volumes.add(u.class, take);
            left -= take;
            if room == Some(take) {
                let reason = if svc_room == Some(take) {
                    CloseReason::ServiceVolume {
                        service: u.service.clone(),
                        class: u.class,
                    }
                } else {
                    CloseReason::SubscriptionVolume { class: u.class }
                };
                closed.extend(self.close(&u.subscription, u.at_ms, reason));
            }
        }
        Ok(closed)
    }

    /// Closes every open record whose time limit has passed by `now_ms` (closed at the
    /// moment the limit was reached).
    pub fn tick(&mut self, now_ms: u64) -> Vec<ChargingRecord> {
        let subs: Vec<String> = self.open.keys().cloned().collect();
        subs.iter()
            .flat_map(|s| self.close_due(s, now_ms))
            .collect()
    }

    /// Closes the subscription's open record if its time limit passed by `now_ms`.
    fn close_due(&mut self, subscription: &str, now_ms: u64) -> Vec<ChargingRecord> {
        let Some(rec) = self.open.get(subscription) else {
            return Vec::new();
        };
        let Some((plan, _)) = self.plans.get(subscription) else {
            return Vec::new();
        };
        let Some((service, deadline)) = time_limit(plan, rec) else {
            return Vec::new();
        };
        if now_ms < deadline {
            return Vec::new();
        }
        self.close(subscription, deadline, CloseReason::ServiceTime { service })
            .into_iter()
            .collect()
    }

    /// The earliest time limit among the open records, ms: [`tick`](Self::tick) closes
    /// nothing before it.
    pub fn next_time_limit_ms(&self) -> Option<u64> {
        self.open
            .iter()
            .filter_map(|(sub, rec)| {
                let (plan, _) = self.plans.get(sub)?;
                time_limit(plan, rec).map(|(_, at)| at)
            })
            .min()
    }

    fn close(
        &mut self,
        subscription: &str,
        at_ms: u64,
        reason: CloseReason,
    ) -> Option<ChargingRecord> {
        let mut rec = self.open.remove(subscription)?;
        rec.closed_at_ms = Some(at_ms.max(rec.opened_at_ms));
        rec.close_reason = Some(reason);
        tracing::debug!(subscription, sequence = rec.sequence, reason = ?rec.close_reason, "charging record closed");
        Some(rec)
    }

    /// The subscription's open record, opened at `at_ms` with every service's section if
    /// there is none.
    fn open_record(
        &mut self,
        subscription: &str,
        at_ms: u64,
    ) -> Result<&mut ChargingRecord, ChargingError> {
        let (plan, limits) = self
            .plans
            .get(subscription)
            .ok_or_else(|| ChargingError::UnknownSubscription(subscription.to_string()))?;
        if !self.open.contains_key(subscription) {
            let seq = self.sequence.entry(subscription.to_string()).or_insert(0);
            *seq += 1;
            let services = plan
                .services
                .iter()
                .map(|s| {
                    (
                        s.service.clone(),
                        ServiceSection {
                            limits: s.limits,
                            volumes: Volumes::default(),
                            devices: BTreeMap::new(),
                        },
                    )
                })
                .collect();
            self.open.insert(
                subscription.to_string(),
                ChargingRecord {
                    subscription: subscription.to_string(),
                    sequence: *seq,
                    opened_at_ms: at_ms,
                    closed_at_ms: None,
                    close_reason: None,
                    limits: *limits,
                    volumes: Volumes::default(),
                    services,
                },
            );
        }
        self.open
            .get_mut(subscription)
            .ok_or_else(|| ChargingError::UnknownSubscription(subscription.to_string()))
    }
}
