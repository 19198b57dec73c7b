//! Issue 7's broker outage: 10 000 reports/min through the whole gateway in real time, the
//! broker (real mosquitto) down for 60 s mid-run: reports keep being acked and stored, and
//! every acked report reaches the platform's subscriber afterwards.

use subgate_testbench::broker;
use subgate_testbench::outage::{self, OutageOptions};

#[test]
fn a_60_s_broker_outage_at_10_000_reports_per_minute_loses_no_acked_report() {
    if !broker::required() {
        return;
    }
    let o = OutageOptions::default();
    let r = outage::run(&o).unwrap();
    println!(
        "outage: {} terminals, {} acked ({} during the {} s outage), {} received, lost {}; {} messages, {} batches, {} redeliveries, {} replays",
        r.terminals, r.acked, r.acked_during_outage, o.outage_s, r.received, r.lost,
        r.messages, r.batches, r.redeliveries, r.replays
    );
    assert_eq!(r.sim.acked_missing, 0, "every acked report is in the store");
    assert_eq!(r.lost, 0, "every acked report reached the subscriber");
    assert!(
        r.paced_rate >= 9_000.0,
        "the rate held: {:.0}/min",
        r.paced_rate
    );
    // The rate held through the outage: 60 s at 10 000/min, allowing for the commit delay.
    assert!(
        r.acked_during_outage >= 8_000,
        "reports kept being acked while the broker was down: {}",
        r.acked_during_outage
    );
    assert!(
        r.replays > 0,
        "batches held during the outage went out marked as replays"
    );
}
