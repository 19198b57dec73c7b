//! Charging records through the store: a ledger that is dropped (a restart) at random points
//! and resumed from its database loses and double-counts nothing; closed records reach the
//! spool exactly once; records list by subscription, service and time.

use proptest::prelude::*;
use std::collections::BTreeMap;
use subgate_control::charging::spool::{csv_rows, read_spool, spool_pending, CSV_HEADER};
use subgate_control::charging::{
    Book, Class, Limits, ServicePlan, SubscriptionPlan, Usage, VolumeLimits,
};
use subgate_control::store::charging::{OpenChange, RecordFilter};
use subgate_control::store::Store;

fn plans() -> Vec<SubscriptionPlan> {
    let svc = |name: &str, bytes, t| ServicePlan {
        service: name.into(),
        limits: Limits {
            volume: VolumeLimits::all(bytes),
            time_s: t,
        },
    };
    vec![
        SubscriptionPlan {
            subscription: "utility".into(),
            services: vec![svc("metering", 5000, Some(600)), svc("alarms", 800, None)],
            factor: 3,
        },
        SubscriptionPlan {
            subscription: "water".into(),
            services: vec![svc("metering", 20_000, Some(3600))],
            factor: 1,
        },
    ]
}

type Key = (String, String, String, usize);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn restarts_lose_and_double_count_nothing(
        evs in prop::collection::vec((0usize..2, 0usize..2, 0usize..4, 0usize..4, 1u64..4000, 0u64..120_000, any::<bool>()), 1..150),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        let plans = plans();
        let mut book = Book::open(Store::open(&db).unwrap(), plans.clone()).unwrap();
        let mut carried: BTreeMap<Key, u64> = BTreeMap::new();
        let mut now = 0;
        let mut restarts = 0;
        for &(s, v, d, c, bytes, dt, restart) in &evs {
            let plan = &plans[s];
            let svc = &plan.services[v % plan.services.len()];
            now += dt;
            let u = Usage {
                at_ms: now,
                subscription: plan.subscription.clone(),
                service: svc.service.clone(),
                device: format!("meter-{d}"),
                class: Class::ALL[c],
                bytes,
            };
            book.record(&u).unwrap();
            *carried.entry((u.subscription, u.service, u.device, c)).or_default() += bytes;
            if restart {
                // the process goes away; a new one resumes from the database
                drop(book);
                book = Book::open(Store::open(&db).unwrap(), plans.clone()).unwrap();
                restarts += 1;
            }
            if now % 7 == 0 {
                book.tick(now).unwrap();
            }
        }
        let store = book.store();
        let closed = store.charging_records(&RecordFilter::default()).unwrap();
        let (open, sequences) = store.charging_state().unwrap();
        let mut counted: BTreeMap<Key, u64> = BTreeMap::new();
        for r in closed.iter().map(|s| &s.record).chain(open.iter()) {
            prop_assert!(r.within_limits());
            for (svc, sec) in &r.services {
                for (dev, v) in &sec.devices {
                    for (i, class) in Class::ALL.iter().enumerate() {
                        if v.get(*class) > 0 {
                            *counted.entry((r.subscription.clone(), svc.clone(), dev.clone(), i)).or_default() += v.get(*class);
                        }
                    }
                }
            }
        }
        prop_assert_eq!(counted, carried, "after {} restarts", restarts);
        // sequences continue across restarts without a gap or a repeat
        for p in &plans {
            let mut seqs: Vec<u64> = closed.iter().filter(|r| r.record.subscription == p.subscription).map(|r| r.record.sequence).collect();
            seqs.extend(open.iter().filter(|r| r.subscription == p.subscription).map(|r| r.sequence));
            seqs.sort();
            let n = seqs.len() as u64;
            prop_assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
            if n > 0 {
                prop_assert_eq!(sequences.get(&p.subscription), Some(&n));
            }
        }
    }
}

fn usage(at_ms: u64, sub: &str, svc: &str, bytes: u64) -> Usage {
    Usage {
        at_ms,
        subscription: sub.into(),
        service: svc.into(),
        device: "meter-1".into(),
        class: Class::ALL[0],
        bytes,
    }
}

#[test]
fn closed_records_reach_the_spool_once_and_export_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    let mut book = Book::open(Store::open(dir.path().join("g.db")).unwrap(), plans()).unwrap();
    // 12 000 bytes of metering in a 5000-byte service: two records close, 2000 stay open
    let closed = book
        .record(&usage(1000, "utility", "metering", 12_000))
        .unwrap();
    assert_eq!(closed.len(), 2);
    let first = spool_pending(book.store(), &spool, 2000)
        .unwrap()
        .expect("a spool file");
    assert_eq!(read_spool(&first).unwrap(), closed);
    assert!(
        spool_pending(book.store(), &spool, 2001).unwrap().is_none(),
        "nothing twice"
    );
    // a later record goes into a file of its own
    let more = book.record(&usage(3000, "utility", "alarms", 900)).unwrap();
    assert_eq!(more.len(), 1);
    let second = spool_pending(book.store(), &spool, 4000)
        .unwrap()
        .expect("a second file");
    assert_ne!(first, second);
    assert_eq!(read_spool(&second).unwrap(), more);
    let files: Vec<_> = std::fs::read_dir(&spool).unwrap().collect();
    assert_eq!(files.len(), 2, "no temporary file left behind");
    // CSV: one line per record, service and device
    let rows: Vec<String> = closed.iter().flat_map(csv_rows).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(CSV_HEADER.split(',').count(), rows[0].split(',').count());
    assert!(
        rows[0].starts_with("utility,1,1000,1000,service_volume,metering,meter-1,5000,0,0,0"),
        "{}",
        rows[0]
    );
}

#[test]
fn records_list_by_subscription_service_and_time() {
    let mut book = Book::open(Store::open_in_memory().unwrap(), plans()).unwrap();
    book.record(&usage(1000, "utility", "metering", 5000))
        .unwrap();
    book.record(&usage(2000, "water", "metering", 20_000))
        .unwrap();
    book.record(&usage(3000, "utility", "alarms", 800)).unwrap();
    let store = book.store();
    let all = store.charging_records(&RecordFilter::default()).unwrap();
    assert_eq!(all.len(), 3);
    let f = |sub: Option<&str>, svc: Option<&str>, from, before| RecordFilter {
        subscription: sub.map(String::from),
        service: svc.map(String::from),
        closed_from_ms: from,
        closed_before_ms: before,
    };
    assert_eq!(
        store
            .charging_records(&f(Some("utility"), None, None, None))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .charging_records(&f(None, Some("alarms"), None, None))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .charging_records(&f(None, None, Some(2000), Some(3000)))
            .unwrap()
            .len(),
        1
    );
    // a closed record cannot be stored twice
    let again = all[0].record.clone();
    assert!(store
        .commit_charging(&[OpenChange::Remove("utility")], &[again])
        .is_err());
    // the failed commit changed nothing
    assert_eq!(
        store
            .charging_records(&RecordFilter::default())
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_batch_with_an_unknown_service_changes_nothing() {
    let mut book = Book::open(Store::open_in_memory().unwrap(), plans()).unwrap();
    let good = usage(1000, "utility", "metering", 6000);
    let bad = usage(1001, "utility", "billing", 10);
    assert!(book.record_all(&[good.clone(), bad]).is_err());
    assert_eq!(
        book.ledger().open_records().count(),
        0,
        "nothing applied in memory"
    );
    let store = book.store();
    assert!(store
        .charging_records(&RecordFilter::default())
        .unwrap()
        .is_empty());
    assert!(store.charging_state().unwrap().0.is_empty());
    // the good events alone go through as one step
    let closed = book.record_all(&[good.clone(), good]).unwrap();
    assert_eq!(closed.len(), 2, "12 000 bytes fill two 5000-byte records");
    assert_eq!(
        book.store().charging_state().unwrap().0[0].volumes.ul_home,
        2000
    );
}
