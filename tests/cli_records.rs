//! `subgate records` on a gateway database holding charging records: table, CSV and JSON,
//! filters by subscription, service and time, open records on request, a missing database
//! refused without creating one.

mod common;

use common::*;
use subgate_control::charging::{
    Book, Class, Limits, ServicePlan, SubscriptionPlan, Usage, VolumeLimits,
};
use subgate_control::store::Store;

/// A database with three closed records (two of "utility", one of "water") and one open
/// "utility" record.
fn database(dir: &std::path::Path) {
    let svc = |name: &str, bytes| ServicePlan {
        service: name.into(),
        limits: Limits {
            volume: VolumeLimits::all(bytes),
            time_s: None,
        },
    };
    let plans = vec![
        SubscriptionPlan {
            subscription: "utility".into(),
            services: vec![svc("metering", 5000), svc("alarms", 800)],
            factor: 3,
        },
        SubscriptionPlan {
            subscription: "water".into(),
            services: vec![svc("metering", 20_000)],
            factor: 1,
        },
    ];
    let mut book = Book::open(Store::open(dir.join("gw.db")).expect("db"), plans).expect("book");
    let u = |at_ms, sub: &str, svc: &str, device: &str, bytes| Usage {
        at_ms,
        subscription: sub.into(),
        service: svc.into(),
        device: device.into(),
        class: Class::ALL[0],
        bytes,
    };
    for ev in [
        u(1000, "utility", "metering", "meter-1", 3000),
        u(1500, "utility", "metering", "meter-2", 2000),
        u(2000, "water", "metering", "meter-9", 20_000),
        u(3000, "utility", "alarms", "meter-1", 900),
    ] {
        book.record(&ev).expect("record");
    }
}

#[test]
fn records_as_table_csv_and_json_with_filters() {
    let dir = tempdir();
    let d = dir.path();
    database(d);
    let r = subgate(d, &["records", "--db", "gw.db"]);
    r.assert_ok();
    assert!(r.stdout.contains("3 records"), "{}", r.context());
    assert!(r.stdout.contains("service_volume"), "{}", r.context());
    let r = subgate(d, &["records", "--db", "gw.db", "--open"]);
    r.assert_ok();
    assert!(
        r.stdout.contains("4 records") && r.stdout.contains("(open)"),
        "{}",
        r.context()
    );
    // CSV: one line per record, service and device
    let r = subgate(
        d,
        &[
            "records",
            "--db",
            "gw.db",
            "--format",
            "csv",
            "--subscription",
            "utility",
        ],
    );
    r.assert_ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("subscription,sequence"),
        "{}",
        r.context()
    );
    assert_eq!(
        &lines[1..],
        [
            "utility,1,1000,1500,service_volume,metering,meter-1,3000,0,0,0",
            "utility,1,1000,1500,service_volume,metering,meter-2,2000,0,0,0",
            "utility,2,3000,3000,service_volume,alarms,meter-1,800,0,0,0",
        ],
        "{}",
        r.context()
    );
    let r = subgate(
        d,
        &[
            "records",
            "--db",
            "gw.db",
            "--format",
            "json",
            "--service",
            "alarms",
        ],
    );
    r.assert_ok();
    let json = Json::parse(&r.stdout);
    let Json::Arr(items) = json else {
        panic!("not an array: {}", r.stdout)
    };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].str("subscription"), Some("utility"));
    assert_eq!(items[0].num("sequence"), Some(2.0));
    let r = subgate(
        d,
        &[
            "records",
            "--db",
            "gw.db",
            "--from-ms",
            "2000",
            "--before-ms",
            "2001",
        ],
    );
    r.assert_ok();
    assert!(
        r.stdout.contains("water") && r.stdout.contains("1 records"),
        "{}",
        r.context()
    );
    subgate(d, &["records", "--db", "nope.db"]).assert_error(&["no database", "nope.db"]);
    let files = files_in(d);
    assert!(!files.contains("nope.db"), "{files:?}");
}

#[test]
fn the_charging_bench_checks_its_records() {
    let dir = tempdir();
    let d = dir.path().to_string_lossy().into_owned();
    let r = subgate(
        dir.path(),
        &[
            "bench",
            "control",
            "--charging",
            "--events",
            "5000",
            "--batch",
            "100",
            "--dir",
            &d,
        ],
    );
    r.assert_ok();
    assert!(
        r.stdout.contains("every byte in exactly one record"),
        "{}",
        r.context()
    );
    assert!(
        r.stdout.contains("events/s with durability (50 commits"),
        "{}",
        r.context()
    );
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempdir();
    let d = dir.path();
    // 2000 closed records: every format prints well over a pipe's 64 KiB, so the writer
    // meets the closed pipe.
    let plans = vec![SubscriptionPlan {
        subscription: "many".into(),
        services: vec![ServicePlan {
            service: "metering".into(),
            limits: Limits {
                volume: VolumeLimits::all(10),
                time_s: None,
            },
        }],
        factor: 1,
    }];
    let mut book = Book::open(Store::open(d.join("gw.db")).expect("db"), plans).expect("book");
    let events: Vec<Usage> = (0..2000)
        .map(|i| Usage {
            at_ms: i,
            subscription: "many".into(),
            service: "metering".into(),
            device: format!("meter-{i}"),
            class: Class::ALL[0],
            bytes: 10,
        })
        .collect();
    assert_eq!(book.record_all(&events).expect("record").len(), 2000);
    drop(book);
    for format in ["table", "csv", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_subgate"))
            .current_dir(d)
            .args(["records", "--db", "gw.db", "--open", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Like `| head -1`: one line, then the pipe closes.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{format}: {:?} {err}", out.status);
        assert!(!err.contains("panicked"), "{format}: {err}");
    }
}
