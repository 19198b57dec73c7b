//! Issue 4's system checks, frame level in virtual time: a day of 8 191 terminals with mixed
//! periods, 10 % frame loss, unserved SIDs (silent or "not supported"), terminals that wait
//! for the beacon's report indication. Each run prints its table (`--nocapture`).

use subgate_control::config::Unmatched;
use subgate_testbench::sim::{run, SimConfig, SimReport};

fn show(name: &str, r: &SimReport) {
    println!("--- {name}\n{r:#?}");
}

#[test]
fn a_day_of_8191_terminals_every_report_acked_and_stored_exactly_once() {
    let r = run(&SimConfig::mixed(8191, 24.0)).expect("simulation runs");
    println!(
        "8191 terminals, 24 h: generated {} acked {} stored {} duplicates {} late {} collided {} commits {} wall {:.1} s",
        r.generated, r.acked, r.stored, r.duplicates, r.late, r.collided, r.commits, r.wall_s
    );
    assert_eq!(
        r.scheduled, 8191,
        "every terminal scheduled (AID limit reached)"
    );
    assert!(
        r.generated > 1_000_000,
        "a day of mixed periods: {}",
        r.generated
    );
    assert_eq!(r.acked, r.generated, "every report acked");
    assert_eq!(r.stored, r.generated, "every report stored");
    assert_eq!((r.acked_missing, r.stored_twice, r.unacked), (0, 0, 0));
    assert_eq!(r.duplicates, 0, "no loss: no retries, no duplicates");
    // Windows never overlap: not one report collided or came outside its window all day.
    assert_eq!((r.collided, r.late), (0, 0));
    assert_eq!(r.gateway.downlink_dropped, 0);
}

#[test]
fn ten_percent_frame_loss_loses_no_acked_report_and_stores_none_twice() {
    // All 8191 terminals join within the default half hour: with 10 % loss on top, the
    // contention part must still carry every join (carrier sense in the medium).
    let mut cfg = SimConfig::mixed(8191, 3.0);
    cfg.loss = 0.1;
    cfg.seed = 7;
    let r = run(&cfg).expect("simulation runs");
    show("10 % loss", &r);
    assert_eq!(
        r.acked_missing, 0,
        "an acked report is missing from the store"
    );
    assert_eq!(r.stored_twice, 0, "a report was stored twice");
    assert!(
        r.lost > 0 && r.duplicates > 0,
        "loss exercised lost reports and lost acks"
    );
    assert!(r.terminals.retries > 0);
    // Everything made was eventually stored, apart from what is still in outboxes.
    assert!(r.stored + r.unacked >= r.generated);
    assert_eq!(
        (r.scheduled, r.served_gave_up),
        (8191, 0),
        "every terminal joined despite the loss: {:?}",
        r.served_gave_up_why
    );
}

fn unserved(unmatched: Unmatched) -> SimReport {
    let mut cfg = SimConfig::mixed(400, 1.0);
    cfg.unserved_share = 0.25;
    cfg.join_spread_s = 120;
    cfg.gateway.service.unmatched = unmatched;
    run(&cfg).expect("simulation runs")
}

#[test]
fn unserved_sids_are_ignored_when_silent() {
    let r = unserved(Unmatched::Silent);
    show("silent", &r);
    assert!(r.unserved > 50);
    assert_eq!(r.ignored, r.unserved, "every unserved terminal met silence");
    assert_eq!(r.refused, 0);
    assert_eq!(
        r.unserved_admitted, 0,
        "no state, no configuration for unserved SIDs"
    );
    assert_eq!(r.gateway.answered_not_supported, 0);
    assert!(r.gateway.ignored_unmatched > 0);
    assert_eq!(r.scheduled, 400 - r.unserved);
    assert_eq!((r.acked_missing, r.stored_twice), (0, 0));
}

#[test]
fn unserved_sids_are_refused_when_not_supported() {
    let r = unserved(Unmatched::NotSupported);
    show("not supported", &r);
    assert!(r.unserved > 50);
    assert_eq!(r.refused, r.unserved, "every unserved terminal was told");
    assert_eq!(r.ignored, 0);
    assert_eq!(r.unserved_admitted, 0);
    assert!(r.gateway.answered_not_supported >= r.unserved as u64);
    assert_eq!(r.scheduled, 400 - r.unserved);
}

#[test]
fn terminals_waiting_for_the_beacon_indication_report_exactly_once() {
    let mut cfg = SimConfig::mixed(600, 2.0);
    cfg.wait_for_indication_share = 1.0;
    cfg.join_spread_s = 120;
    let r = run(&cfg).expect("simulation runs");
    show("wait for indication", &r);
    assert_eq!(r.scheduled, 600);
    // A window is only unindicated when its allocation changed after that superframe's
    // beacon (a counter-proposal): the poll then collects the report.
    assert!(r.terminals.skipped <= r.gateway.polls_sent);
    assert_eq!(r.stored, r.generated);
    assert_eq!(r.acked + r.unacked, r.generated);
    assert_eq!((r.acked_missing, r.stored_twice), (0, 0));
}

#[test]
fn same_seed_same_run() {
    let mut cfg = SimConfig::mixed(300, 0.5);
    cfg.join_spread_s = 60;
    cfg.loss = 0.05;
    let a = run(&cfg).expect("runs");
    let b = run(&cfg).expect("runs");
    assert_eq!(
        (
            a.generated,
            a.acked,
            a.stored,
            a.duplicates,
            a.lost,
            a.collided
        ),
        (
            b.generated,
            b.acked,
            b.stored,
            b.duplicates,
            b.lost,
            b.collided
        )
    );
    let (mut ga, mut gb) = (a.gateway, b.gateway);
    (ga.commit_wall_us, gb.commit_wall_us) = (0, 0); // wall time, the one thing that differs
    assert_eq!(ga, gb);
}

/// Configuration delivered in the 4-way handshake: terminals holding the passphrase are all
/// configured and report exactly once; terminals with a wrong one never get a configuration
/// or a slot (their message 2 fails the MIC, so no message 3 is ever sent to them).
#[test]
fn four_way_delivery_configures_only_terminals_with_the_passphrase() {
    let mut cfg = SimConfig::mixed(400, 1.0);
    cfg.join_spread_s = 120;
    cfg.loss = 0.05;
    cfg.passphrase = Some("correct horse battery staple".into());
    cfg.wrong_key_share = 0.1;
    let r = run(&cfg).expect("simulation runs");
    show("4-way", &r);
    assert!(
        r.wrong_key >= 20,
        "wrong-passphrase terminals: {}",
        r.wrong_key
    );
    assert_eq!(
        r.wrong_key_configured, 0,
        "a wrong passphrase got a configuration"
    );
    assert_eq!(r.scheduled, 400 - r.wrong_key, "{:?}", r.served_gave_up_why);
    assert_eq!(r.served_gave_up, 0);
    assert!(r.gateway.handshakes as usize >= r.scheduled);
    assert!(r.gateway.eapol_refused > 0, "wrong MICs were refused");
    assert_eq!((r.acked_missing, r.stored_twice), (0, 0));
    assert!(r.stored > 0 && r.stored + r.unacked >= r.generated);
}
