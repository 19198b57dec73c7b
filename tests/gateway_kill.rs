//! The gateway process killed with SIGKILL mid-run (`subgate sim` publishing to a real
//! mosquitto), then started again on the same store: every report a terminal saw acked —
//! written by the terminals to the acked log as the acks came — is in the store, and every
//! stored report reaches the platform's subscriber, identified by its batch id.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use subgate_control::store::{Store, StoreError};
use subgate_testbench::broker::{self, Consumer, Mosquitto};
use subgate_testbench::sim::read_acked_log;

fn acked_lines(path: &Path) -> BTreeSet<(String, u32)> {
    // The log may not exist yet while run 1 starts.
    read_acked_log(path).unwrap_or_default()
}

fn sim(dir: &Path, broker: &str, hours: &str, seed: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_subgate"));
    c.args([
        "sim",
        "--terminals",
        "1000",
        "--join-spread-s",
        "60",
        "--hours",
        hours,
    ])
    .args(["--seed", seed])
    .args(["--mqtt", broker, "--name", "gw-kill"])
    .arg("--db")
    .arg(dir.join("gw.db"))
    .arg("--acked-log")
    .arg(dir.join("acked.log"))
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    c
}

#[test]
fn gateway_killed_mid_run_loses_no_acked_report() {
    if !broker::required() {
        return;
    }
    let broker = Mosquitto::start().unwrap();
    let consumer = Consumer::start(broker.port, "kill-platform", "subgate");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("acked.log");

    // Run 1: a simulated day, killed once 3 000 reports were acked.
    let mut child = sim(dir.path(), &broker.addr(), "24", "1").spawn().unwrap();
    let end = Instant::now() + Duration::from_secs(300);
    while acked_lines(&log).len() < 3_000 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "run 1 ended before the kill"
        );
        assert!(Instant::now() < end, "3 000 acks within 300 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not finished");
    let acked_at_kill = acked_lines(&log).len();
    let in_store_at_kill = Store::open(dir.path().join("gw.db"))
        .unwrap()
        .counts()
        .unwrap()
        .stored;

    // Run 2 on the same store (other boot times, so new readings): what run 1 left pending
    // goes out first.
    let status = sim(dir.path(), &broker.addr(), "0.2", "2")
        .status()
        .unwrap();
    assert!(status.success(), "run 2 completes");

    let acked = acked_lines(&log);
    let store = Store::open(dir.path().join("gw.db")).unwrap();
    let mut stored = BTreeSet::new();
    store
        .for_each_report(|r| {
            stored.insert((
                r.terminal.to_string(),
                r.report.sequence,
                r.report.timestamp,
            ));
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let stored_keys: BTreeSet<(String, u32)> =
        stored.iter().map(|(t, s, _)| (t.clone(), *s)).collect();
    let missing: Vec<_> = acked.difference(&stored_keys).take(5).collect();
    assert!(missing.is_empty(), "acked but not stored: {missing:?}");
    assert!(
        store.pending_batches().unwrap().is_empty(),
        "outbox empty at the end"
    );

    let arrived = |r: &broker::Received| {
        r.batches
            .iter()
            .flat_map(|b| {
                b.reports
                    .iter()
                    .map(|x| (x.terminal.clone(), x.sequence, x.measured_at_us))
            })
            .collect::<BTreeSet<_>>()
    };
    consumer.wait_for(Duration::from_secs(30), |r| stored.is_subset(&arrived(r)));
    let got = consumer.received();
    let received = arrived(&got);
    let lost: Vec<_> = stored.difference(&received).take(5).collect();
    let ids: BTreeSet<i64> = got.batches.iter().map(|b| b.batch_id).collect();
    println!(
        "gateway SIGKILL: {acked_at_kill} acked before the kill ({in_store_at_kill} in the store then); {} acked over both runs, {} stored, {} received in {} messages ({} distinct batches, {} redeliveries)",
        acked.len(),
        stored.len(),
        received.len(),
        got.batches.len(),
        ids.len(),
        got.batches.len() - ids.len()
    );
    assert!(lost.is_empty(), "stored but never received: {lost:?}");
    assert_eq!(
        ids.len(),
        store.batches().unwrap().len(),
        "every batch arrives"
    );
}
