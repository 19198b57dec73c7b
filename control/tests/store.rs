//! Report store and aggregation, end to end on real files: duplicates, mixed batches,
//! reopening, a process killed mid-transaction, 10 % lost acks, aggregation by size and age,
//! northbound failures, and the durable-store speed figure.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use subgate_control::aggregate::{
    AggregateError, Aggregator, BatchLimits, MemoryNorthbound, PollSummary,
};
use subgate_control::store::{
    CloseReason, IncomingReport, Outcome, ReportCounts, Store, SCHEMA_VERSION,
};
use subgate_control::wire::m2m::{DataFormat, ReportRepr, Sid};
use subgate_control::wire::MacAddr;

/// Deterministic generator (SplitMix64), so every run sees the same losses.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `percent` %.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn mac(t: u32) -> MacAddr {
    let b = t.to_be_bytes();
    MacAddr([0x02, 0x00, b[0], b[1], b[2], b[3]])
}

fn sid(i: u32) -> Sid {
    const SERVICES: [&str; 4] = ["metering", "alarms", "parking", "air-quality"];
    Sid::service(SERVICES[i as usize % SERVICES.len()]).unwrap()
}

/// Report `seq` of terminal `t`, on service `t % 4`, received at `at` µs.
fn report(t: u32, seq: u32, at: u64) -> IncomingReport {
    IncomingReport {
        terminal: mac(t),
        aid: (t % 8191 + 1) as u16,
        channel: (t % 4) as u8,
        received_at: at,
        report: ReportRepr {
            sequence: seq,
            sid: sid(t),
            timestamp: 1_700_000_000_000_000 + u64::from(seq) * 60_000_000,
            data_format: DataFormat::Json,
            payload: format!("{{\"t\":{t},\"seq\":{seq},\"v\":21.5}}").into_bytes(),
        },
    }
}

#[test]
fn duplicates_are_not_double_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("r.db")).unwrap();
    let batch: Vec<_> = (0..10).map(|seq| report(1, seq, 0)).collect();
    assert!(s
        .store_batch(&batch)
        .unwrap()
        .iter()
        .all(|o| *o == Outcome::Stored));
    for _ in 0..3 {
        assert!(s
            .store_batch(&batch)
            .unwrap()
            .iter()
            .all(|o| *o == Outcome::Duplicate));
    }
    assert_eq!(
        s.counts().unwrap(),
        ReportCounts {
            stored: 10,
            duplicates: 30
        }
    );
    assert_eq!(s.counts_for(&sid(1)).unwrap().stored, 10);
    assert_eq!(s.counts_for(&sid(2)).unwrap(), ReportCounts::default());
    assert!(s
        .reports_of(mac(1))
        .unwrap()
        .iter()
        .all(|r| r.duplicates == 3));
}

/// A terminal that rebooted restarts its sequence numbers at 0: its new readings carry new
/// measurement times and must be stored, not answered "duplicate" (and lost).
#[test]
fn restarted_sequence_with_new_measurement_time_is_stored() {
    let mut s = Store::open_in_memory().unwrap();
    let before: Vec<_> = (0..3).map(|seq| report(1, seq, 0)).collect();
    s.store_batch(&before).unwrap();
    let after_reboot: Vec<_> = before
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.report.timestamp += 86_400_000_000;
            r.report.payload = b"after reboot".to_vec();
            r
        })
        .collect();
    assert!(s
        .store_batch(&after_reboot)
        .unwrap()
        .iter()
        .all(|o| *o == Outcome::Stored));
    // A retry of a post-reboot report is still a duplicate.
    assert_eq!(
        s.store_batch(&after_reboot[..1]).unwrap(),
        [Outcome::Duplicate]
    );
    assert_eq!(
        s.counts().unwrap(),
        ReportCounts {
            stored: 6,
            duplicates: 1
        }
    );
}

#[test]
fn mixed_batch_of_new_and_duplicate_reports() {
    let mut s = Store::open_in_memory().unwrap();
    s.store_batch(&[report(1, 0, 0), report(2, 0, 0)]).unwrap();
    let out = s
        .store_batch(&[
            report(1, 0, 5), // retry
            report(1, 1, 5), // new
            report(2, 0, 5), // retry
            report(3, 0, 5), // new
            report(3, 0, 5), // the same new report twice in one batch
        ])
        .unwrap();
    use Outcome::*;
    assert_eq!(out, [Duplicate, Stored, Duplicate, Stored, Duplicate]);
    assert_eq!(
        s.counts().unwrap(),
        ReportCounts {
            stored: 4,
            duplicates: 3
        }
    );
    let per_sid: HashMap<Sid, ReportCounts> = s.counts_by_sid().unwrap().into_iter().collect();
    assert_eq!(per_sid[&sid(1)].stored, 2);
    assert_eq!(per_sid[&sid(1)].duplicates, 1);
    assert_eq!(per_sid[&sid(3)].duplicates, 1);
}

#[test]
fn reopen_keeps_data_and_migrates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let batch: Vec<_> = (0..100).map(|seq| report(7, seq, u64::from(seq))).collect();
    {
        let mut s = Store::open(&path).unwrap();
        s.store_batch(&batch).unwrap();
    }
    let schema_before = std::fs::read(&path).unwrap().len();
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), i64::from(SCHEMA_VERSION));
    assert_eq!(s.durability().unwrap(), ("wal".to_string(), 2));
    assert_eq!(s.counts().unwrap().stored, 100);
    let back = s.reports_of(mac(7)).unwrap();
    let reprs: Vec<_> = back.iter().map(|r| r.report.clone()).collect();
    let sent: Vec<_> = batch.iter().map(|r| r.report.clone()).collect();
    assert_eq!(reprs, sent);
    // Still recognised as duplicates after the restart.
    assert!(s
        .store_batch(&batch[..10])
        .unwrap()
        .iter()
        .all(|o| *o == Outcome::Duplicate));
    drop(s);
    // A third open of an up-to-date file changes nothing.
    let s = Store::open(&path).unwrap();
    assert_eq!(s.counts().unwrap().stored, 100);
    assert!(s.integrity_ok().unwrap());
    assert!(std::fs::read(&path).unwrap().len() >= schema_before);
}

#[test]
fn dropped_store_mid_batch_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let mut s = Store::open(&path).unwrap();
    s.store_batch(&[report(1, 0, 0)]).unwrap();
    let mut tx = s.begin_reports().unwrap();
    for seq in 1..1000 {
        assert_eq!(tx.insert(&report(1, seq, 0)).unwrap(), Outcome::Stored);
    }
    drop(tx);
    drop(s);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.counts().unwrap().stored, 1);
    assert!(s.integrity_ok().unwrap());
}

/// Env var that turns [`kill_child`] into the process that gets killed.
const KILL_ENV: &str = "SUBGATE_STORE_KILL_DB";
/// Reports committed by the child before it dies.
const KILL_COMMITTED: u32 = 300;
/// Reports the child inserts without committing: ~30 000 × ~150 B is far more than
/// SQLite's 2 MiB page cache, so uncommitted pages spill into the WAL file before the kill.
const KILL_UNCOMMITTED: u32 = 30_000;

/// Child half of `killed_mid_transaction_loses_only_the_uncommitted` (a no-op in a normal
/// run): commits `KILL_COMMITTED` reports in 3 batches, writes many more in an open
/// transaction, then aborts the process — no rollback, no close, as in a crash.
#[test]
fn kill_child() {
    let Ok(path) = std::env::var(KILL_ENV) else {
        return;
    };
    let mut s = Store::open(&path).unwrap();
    for b in 0..3 {
        let batch: Vec<_> = (0..KILL_COMMITTED / 3).map(|i| report(b, i, 0)).collect();
        s.store_batch(&batch).unwrap();
    }
    let wal = format!("{path}-wal");
    let committed_wal = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let mut tx = s.begin_reports().unwrap();
    for i in 0..KILL_UNCOMMITTED {
        let mut r = report(100 + i % 1000, i, 0);
        r.report.payload.resize(100, b' ');
        tx.insert(&r).unwrap();
    }
    let before_abort = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    println!("committed_wal={committed_wal}");
    println!("wal_before_abort={before_abort}");
    std::io::stdout().flush().unwrap();
    std::process::abort();
}

fn field(out: &str, key: &str) -> u64 {
    // libtest prints "test kill_child ... " before the child's first line: look at words.
    out.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
        .unwrap_or_else(|| panic!("child printed no {key}: {out}"))
}

#[test]
fn killed_mid_transaction_loses_only_the_uncommitted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["kill_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(KILL_ENV, &path)
        .output()
        .unwrap();
    assert!(!out.status.success(), "child was meant to abort");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let committed_wal = field(&stdout, "committed_wal");
    let before_abort = field(&stdout, "wal_before_abort");
    // The uncommitted transaction really reached the disk (so the test means something)...
    assert!(
        before_abort > committed_wal,
        "no uncommitted pages in the WAL: {committed_wal} -> {before_abort}"
    );
    // ...and recovery keeps exactly the committed batches.
    let mut s = check_after_kill(&path);
    let again: Vec<_> = (0..10).map(|i| report(100 + i, i, 0)).collect();
    assert!(s
        .store_batch(&again)
        .unwrap()
        .iter()
        .all(|o| *o == Outcome::Stored));
}

fn check_after_kill(path: &Path) -> Store {
    let s = Store::open(path).unwrap();
    assert!(s.integrity_ok().unwrap());
    assert_eq!(
        s.counts().unwrap(),
        ReportCounts {
            stored: u64::from(KILL_COMMITTED),
            duplicates: 0
        }
    );
    s
}

#[test]
fn ten_percent_lost_acks_store_every_report_exactly_once() {
    const TERMINALS: u32 = 300;
    const REPORTS: u32 = 40;
    const LOSS: u64 = 10;
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("r.db")).unwrap();
    let mut rng = Rng(0x5EED);
    // Per terminal: sequence of the report it is (re)sending; done at REPORTS.
    let mut next = vec![0u32; TERMINALS as usize];
    let mut stored: HashSet<(u32, u32)> = HashSet::new();
    let (mut lost_reports, mut lost_acks, mut expected_dups) = (0u64, 0u64, 0u64);
    let mut now = 0u64;
    while next.iter().any(|&n| n < REPORTS) {
        now += 1_000_000;
        // Every terminal with work sends; 10 % of reports are lost on the way in.
        let mut heard = Vec::new();
        for t in 0..TERMINALS {
            let seq = next[t as usize];
            if seq >= REPORTS {
                continue;
            }
            if rng.chance(LOSS) {
                lost_reports += 1;
                continue;
            }
            heard.push((t, seq));
        }
        for chunk in heard.chunks(500) {
            let batch: Vec<_> = chunk.iter().map(|&(t, q)| report(t, q, now)).collect();
            let outcomes = s.store_batch(&batch).unwrap();
            // Acks go out only now, after the commit; 10 % of them are lost.
            for (&(t, seq), outcome) in chunk.iter().zip(outcomes) {
                let new = stored.insert((t, seq));
                assert_eq!(outcome == Outcome::Stored, new, "terminal {t} seq {seq}");
                if !new {
                    expected_dups += 1;
                }
                if rng.chance(LOSS) {
                    lost_acks += 1; // the terminal resends the same report
                } else {
                    next[t as usize] += 1;
                }
            }
        }
    }
    assert!(lost_reports > 0 && lost_acks > 0);
    let total = u64::from(TERMINALS * REPORTS);
    assert_eq!(
        s.counts().unwrap(),
        ReportCounts {
            stored: total,
            duplicates: expected_dups
        }
    );
    for t in 0..TERMINALS {
        let seqs: Vec<u32> = s
            .reports_of(mac(t))
            .unwrap()
            .iter()
            .map(|r| r.report.sequence)
            .collect();
        assert_eq!(seqs, (0..REPORTS).collect::<Vec<_>>(), "terminal {t}");
    }
    println!(
        "{total} reports, {lost_reports} lost reports, {lost_acks} lost acks, {expected_dups} duplicates recognised"
    );
}

fn store_round(s: &mut Store, round: u32, terminals: u32, now: u64) {
    let batch: Vec<_> = (0..terminals).map(|t| report(t, round, now)).collect();
    s.store_batch(&batch).unwrap();
}

#[test]
fn aggregation_by_size_and_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("r.db")).unwrap();
    // 40 terminals: 10 per SID; count limit 25 -> 4 rounds of 10 per SID close 1 batch of 25
    // per SID and leave 15 open until they are 30 s old.
    let a = Aggregator::new(BatchLimits {
        max_reports: 25,
        max_bytes: 1 << 20,
        max_age_us: 30_000_000,
    })
    .unwrap();
    let mut nb = MemoryNorthbound::new();
    for round in 0..4 {
        store_round(&mut s, round, 40, u64::from(round) * 1_000_000);
    }
    let p = a.poll(&mut s, &mut nb, 4_000_000).unwrap();
    assert_eq!(
        p,
        PollSummary {
            closed: 4,
            forwarded: 4
        }
    );
    assert!(nb
        .batches
        .iter()
        .all(|b| b.reports.len() == 25 && b.reason == CloseReason::Count));
    // Oldest open report was received at 2 s (round 2's second half): due at 32 s.
    assert_eq!(a.poll(&mut s, &mut nb, 31_999_999).unwrap().closed, 0);
    let p = a.poll(&mut s, &mut nb, 32_000_000).unwrap();
    assert_eq!(p.closed, 4);
    assert!(nb.batches[4..]
        .iter()
        .all(|b| b.reports.len() == 15 && b.reason == CloseReason::Age));
    assert_eq!(nb.report_count(), 160);
    assert_eq!(s.forwarded_report_count().unwrap(), 160);

    // By bytes: each payload is ~30 bytes; a 100-byte limit holds 3.
    let a = Aggregator::new(BatchLimits {
        max_reports: 1000,
        max_bytes: 100,
        max_age_us: u64::MAX,
    })
    .unwrap();
    let mut nb = MemoryNorthbound::new();
    store_round(&mut s, 10, 40, 40_000_000);
    a.poll(&mut s, &mut nb, 40_000_000).unwrap();
    for b in &nb.batches {
        let bytes: usize = b.reports.iter().map(|r| r.report.payload.len()).sum();
        assert!(bytes <= 100 && b.reason == CloseReason::Bytes);
    }
    // Per SID: 10 reports -> three full batches of 3, the 10th waits (age limit never).
    assert_eq!(nb.report_count(), 36);
}

#[test]
fn northbound_failure_then_retry_forwards_each_report_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let a = Aggregator::new(BatchLimits {
        max_reports: 32,
        max_bytes: 4096,
        max_age_us: 5_000_000,
    })
    .unwrap();
    let mut nb = MemoryNorthbound::new();
    let mut rng = Rng(42);
    let mut s = Store::open(&path).unwrap();
    let mut failures = 0u32;
    for round in 0..60u32 {
        let now = u64::from(round) * 1_000_000;
        store_round(&mut s, round, 50, now);
        if rng.chance(30) {
            nb.fail_next(1);
        }
        match a.poll(&mut s, &mut nb, now) {
            Ok(_) => {}
            Err(AggregateError::Northbound { .. }) => failures += 1,
            Err(e) => panic!("{e}"),
        }
        if round == 30 {
            // A restart in the middle: pending batches survive it.
            drop(s);
            s = Store::open(&path).unwrap();
        }
    }
    // Northbound back for good; drain everything.
    a.poll(&mut s, &mut nb, 1_000_000_000).unwrap();
    assert!(failures > 0);
    assert!(s.pending_batches().unwrap().is_empty());
    let mut seen = HashSet::new();
    for b in &nb.batches {
        for r in &b.reports {
            assert_eq!(r.report.sid, b.sid);
            assert!(
                seen.insert((r.terminal, r.report.sequence)),
                "forwarded twice: {} {}",
                r.terminal,
                r.report.sequence
            );
        }
    }
    assert_eq!(seen.len(), 50 * 60);
    assert_eq!(s.forwarded_report_count().unwrap(), 50 * 60);
    // Every failure was counted on the batch it hit (one batch may fail more than once).
    let attempts: u32 = s.batches().unwrap().iter().map(|b| b.attempts).sum();
    assert_eq!(attempts, failures);
}

/// The speed figure: 200 000 reports in batches of 500, each batch one durable commit (WAL,
/// synchronous=FULL) into a file. Prints reports/s; asserts only correctness.
#[test]
fn speed_200k_reports_durably() {
    const TOTAL: u32 = 200_000;
    const BATCH: usize = 500;
    const TERMINALS: u32 = 8191;
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path().join("speed.db")).unwrap();
    let reports: Vec<_> = (0..TOTAL)
        .map(|i| report(i % TERMINALS, i / TERMINALS, u64::from(i)))
        .collect();
    let start = Instant::now();
    let mut stored = 0usize;
    for batch in reports.chunks(BATCH) {
        stored += s
            .store_batch(batch)
            .unwrap()
            .iter()
            .filter(|o| **o == Outcome::Stored)
            .count();
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(stored, TOTAL as usize);
    assert_eq!(s.counts().unwrap().stored, u64::from(TOTAL));
    println!(
        "store speed: {TOTAL} reports in {} commits of {BATCH} (WAL, synchronous=FULL): {secs:.3} s, {:.0} reports/s",
        TOTAL as usize / BATCH,
        f64::from(TOTAL) / secs
    );
}
