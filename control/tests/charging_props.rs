//! Charging records under random traffic and random limits (issue 8, what it must show 1):
//! the sum over every record equals the usage carried, per subscription / service / device
//! / direction / roaming class; every record respects its limits; each subscription's
//! records are numbered 1, 2, 3, … without a gap; a record closed on volume holds exactly
//! its limit in that class; the subscription formula holds for every generated plan.

use proptest::prelude::*;
use std::collections::BTreeMap;
use subgate_control::charging::{
    subscription_limits, Class, CloseReason, Ledger, Limits, ServicePlan, SubscriptionPlan, Usage,
    VolumeLimits,
};

fn limits() -> impl Strategy<Value = Limits> {
    let vol = || prop_oneof![Just(None), (1u64..20_000).prop_map(Some)];
    (
        vol(),
        vol(),
        vol(),
        vol(),
        prop_oneof![Just(None), (1u64..3600).prop_map(Some)],
    )
        .prop_map(|(a, b, c, d, t)| Limits {
            volume: VolumeLimits {
                ul_home: a,
                dl_home: b,
                ul_roaming: c,
                dl_roaming: d,
            },
            time_s: t,
        })
}

fn plans() -> impl Strategy<Value = Vec<SubscriptionPlan>> {
    prop::collection::vec((prop::collection::vec(limits(), 1..5), 1u64..100), 1..4).prop_map(
        |subs| {
            subs.into_iter()
                .enumerate()
                .map(|(i, (services, factor))| SubscriptionPlan {
                    subscription: format!("sub-{i}"),
                    services: services
                        .into_iter()
                        .enumerate()
                        .map(|(j, limits)| ServicePlan {
                            service: format!("svc-{j}"),
                            limits,
                        })
                        .collect(),
                    factor,
                })
                .collect()
        },
    )
}

/// (subscription, service, device, class, bytes, ms since the previous event)
type Event = (usize, usize, usize, usize, u64, u64);

fn events() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(
        (
            0usize..3,
            0usize..4,
            0usize..5,
            0usize..4,
            prop_oneof![1u64..2000, 1u64..60_000],
            prop_oneof![0u64..1000, 0u64..900_000],
        ),
        1..300,
    )
}

type Key = (String, String, String, usize);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn records_add_up_to_the_usage_carried_and_respect_their_limits(plans in plans(), evs in events()) {
        let mut ledger = Ledger::new(plans.clone()).unwrap();
        let mut carried: BTreeMap<Key, u64> = BTreeMap::new();
        let mut closed = Vec::new();
        let mut now = 0u64;
        for (k, &(s, v, d, c, bytes, dt)) in evs.iter().enumerate() {
            let plan = &plans[s % plans.len()];
            let svc = &plan.services[v % plan.services.len()];
            now += dt;
            let u = Usage {
                at_ms: now,
                subscription: plan.subscription.clone(),
                service: svc.service.clone(),
                device: format!("dev-{d}"),
                class: Class::ALL[c],
                bytes,
            };
            closed.extend(ledger.record(&u).unwrap());
            *carried.entry((u.subscription, u.service, u.device, c)).or_default() += bytes;
            if k % 17 == 0 {
                closed.extend(ledger.tick(now));
            }
        }
        let all: Vec<_> = closed.iter().chain(ledger.open_records()).collect();
        // every byte in exactly one record
        let mut counted: BTreeMap<Key, u64> = BTreeMap::new();
        for r in &all {
            for (svc, sec) in &r.services {
                for (dev, vol) in &sec.devices {
                    for (i, class) in Class::ALL.iter().enumerate() {
                        let n = vol.get(*class);
                        if n > 0 {
                            *counted.entry((r.subscription.clone(), svc.clone(), dev.clone(), i)).or_default() += n;
                        }
                    }
                }
                // a section is the sum of its devices
                for class in Class::ALL {
                    let devs: u64 = sec.devices.values().map(|v| v.get(class)).sum();
                    prop_assert_eq!(sec.volumes.get(class), devs);
                }
            }
            // the record is the sum of its sections
            for class in Class::ALL {
                let secs: u64 = r.services.values().map(|s| s.volumes.get(class)).sum();
                prop_assert_eq!(r.volumes.get(class), secs);
            }
            prop_assert!(r.within_limits(), "record over its limits: {:?}", r);
        }
        prop_assert_eq!(&counted, &carried);
        // sequences without gaps, one open record at most per subscription
        for p in &plans {
            let mut seqs: Vec<u64> = all.iter().filter(|r| r.subscription == p.subscription).map(|r| r.sequence).collect();
            seqs.sort();
            let want: Vec<u64> = (1..=seqs.len() as u64).collect();
            prop_assert_eq!(seqs, want);
            prop_assert!(ledger.open_records().filter(|r| r.subscription == p.subscription).count() <= 1);
        }
        // a record closed on volume is full in that class; one closed on time ran its limit
        for r in &closed {
            match r.close_reason.as_ref() {
                Some(CloseReason::ServiceVolume { service, class }) => {
                    let sec = &r.services[service];
                    prop_assert_eq!(Some(sec.volumes.get(*class)), sec.limits.volume.get(*class));
                }
                Some(CloseReason::SubscriptionVolume { class }) => {
                    prop_assert_eq!(Some(r.volumes.get(*class)), r.limits.volume.get(*class));
                }
                Some(CloseReason::ServiceTime { service }) => {
                    let t = r.services[service].limits.time_s.unwrap();
                    prop_assert_eq!(r.closed_at_ms.unwrap() - r.opened_at_ms, t * 1000);
                }
                None => prop_assert!(false, "closed without a reason"),
            }
        }
    }

    #[test]
    fn the_subscription_limit_formula_holds_for_every_plan(plans in plans()) {
        for p in &plans {
            let l = p.limits().unwrap();
            let n = p.services.len() as u64;
            for class in Class::ALL {
                let per: Vec<Option<u64>> = p.services.iter().map(|s| s.limits.volume.get(class)).collect();
                let want = if per.iter().all(Option::is_some) {
                    Some(per.iter().flatten().sum::<u64>() + n * p.factor)
                } else {
                    None
                };
                prop_assert_eq!(l.volume.get(class), want);
            }
            let services: Vec<Limits> = p.services.iter().map(|s| s.limits).collect();
            prop_assert_eq!(subscription_limits(&services, p.factor).unwrap(), l);
        }
    }
}

#[test]
fn an_event_larger_than_the_limit_spans_several_records() {
    let plan = SubscriptionPlan {
        subscription: "utility".into(),
        services: vec![ServicePlan {
            service: "metering".into(),
            limits: Limits {
                volume: VolumeLimits::all(1000),
                time_s: Some(60),
            },
        }],
        factor: 5,
    };
    let mut ledger = Ledger::new(vec![plan]).unwrap();
    let u = |at_ms, bytes| Usage {
        at_ms,
        subscription: "utility".into(),
        service: "metering".into(),
        device: "meter-1".into(),
        class: Class::ALL[0],
        bytes,
    };
    let closed = ledger.record(&u(0, 2500)).unwrap();
    assert_eq!(closed.len(), 2);
    assert!(closed.iter().all(|r| r.volumes.ul_home == 1000));
    assert_eq!(ledger.open_records().next().unwrap().volumes.ul_home, 500);
    // 60 s later the open record closes on time, at its deadline
    let closed = ledger.record(&u(61_000, 10)).unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].closed_at_ms, Some(60_000));
    assert_eq!(closed[0].sequence, 3);
    assert_eq!(
        closed[0].close_reason,
        Some(CloseReason::ServiceTime {
            service: "metering".into()
        })
    );
    assert!(ledger
        .record(&Usage {
            service: "other".into(),
            ..u(62_000, 1)
        })
        .is_err());
    assert!(ledger
        .record(&Usage {
            subscription: "nobody".into(),
            ..u(62_000, 1)
        })
        .is_err());
}
