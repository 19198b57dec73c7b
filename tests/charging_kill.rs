//! Issue 8's crash test: the gateway process (`subgate sim` with charging on, publishing to a
//! real mosquitto) SIGKILLed at 100 random moments and restarted on the same store each
//! time; then no usage byte is lost or counted twice, no record is lost, repeated or out of
//! turn — in the store, in the spool files or at the broker's subscriber — and the open
//! record resumed across every restart (sequences without gaps). The soak of 1000 kills is
//! `subgate bench kill`.

use std::collections::BTreeSet;
use std::time::Duration;

use subgate_testbench::broker::{self, Consumer, Mosquitto};
use subgate_testbench::charging_kill::{audit, closed_records, run_kills, KillPlan};

#[test]
fn gateway_killed_100_times_loses_and_repeats_no_charged_byte() {
    if !broker::required() {
        return;
    }
    let broker = Mosquitto::start().unwrap();
    let consumer = Consumer::start(broker.port, "billing-kill", "subgate");
    let dir = tempfile::tempdir().unwrap();
    let plan = KillPlan::new(
        env!("CARGO_BIN_EXE_subgate").into(),
        dir.path().to_path_buf(),
        broker.addr(),
        100,
    );
    let runs = run_kills(&plan, |_| {}).unwrap();
    assert!(runs.killed >= 95, "most runs were killed mid-way: {runs:?}");
    let closed = closed_records(&plan).unwrap();
    consumer.wait_for(Duration::from_secs(20), |r| {
        r.records
            .iter()
            .map(|m| m.record_id)
            .collect::<BTreeSet<_>>()
            .len()
            >= closed
    });
    let a = audit(&plan, &consumer.received()).unwrap();
    println!(
        "charging kill: {} kills in {:.0} s; {} B up, {} B down ({} B roaming) in {} closed + {} open records ({:?}); {} record messages, {} distinct; {} spool files",
        runs.killed, runs.wall_s, a.carried.0, a.carried.1, a.roaming, a.closed, a.open,
        a.reasons, a.received.0, a.received.1, a.spool_files
    );
    assert!(a.problems.is_empty(), "{:#?}", a.problems);
    // The run exercised what it claims: records closed by volume and by time, both
    // directions, both roaming classes.
    assert!(a.reasons.get("service_volume").copied().unwrap_or(0) > 10);
    assert!(a.reasons.get("service_time").copied().unwrap_or(0) > 0);
    assert!(a.carried.0 > 0 && a.carried.1 > 0);
    assert!(a.roaming > 0 && a.roaming < a.carried.0 + a.carried.1);
}

#[test]
fn the_audit_catches_a_lost_byte_a_lost_spool_file_and_a_record_never_published() {
    if !broker::required() {
        return;
    }
    let broker = Mosquitto::start().unwrap();
    let consumer = Consumer::start(broker.port, "billing-audit", "subgate");
    let dir = tempfile::tempdir().unwrap();
    let plan = KillPlan::new(
        env!("CARGO_BIN_EXE_subgate").into(),
        dir.path().to_path_buf(),
        broker.addr(),
        0,
    );
    run_kills(&plan, |_| {}).unwrap();
    let closed = closed_records(&plan).unwrap();
    assert!(closed > 0, "the run closed records");
    consumer.wait_for(Duration::from_secs(20), |r| r.records.len() >= closed);
    let got = consumer.received();
    assert_eq!(audit(&plan, &got).unwrap().problems, Vec::<String>::new());

    // A record the subscriber never saw.
    let mut fewer = got.clone();
    fewer.records.pop();
    assert!(audit(&plan, &fewer)
        .unwrap()
        .problems
        .iter()
        .any(|p| p.contains("never arrived")));

    // A spool file gone.
    let spool = dir.path().join("gw.db.spool");
    let file = std::fs::read_dir(&spool)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(audit(&plan, &got)
        .unwrap()
        .problems
        .iter()
        .any(|p| p.contains("spool holds")));

    // A stored report whose bytes no record holds.
    let db = rusqlite::Connection::open(dir.path().join("gw.db")).unwrap();
    db.execute(
        "UPDATE reports SET payload = CAST(payload || x'00' AS BLOB) WHERE rowid = (SELECT min(rowid) FROM reports)",
        [],
    )
    .unwrap();
    drop(db);
    assert!(audit(&plan, &got)
        .unwrap()
        .problems
        .iter()
        .any(|p| p.contains("carried") && p.contains("charged")));
}
