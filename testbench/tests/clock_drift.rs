//! Clock drift at IQ level: every meter's sleep clock is off by up to ±40 ppm (its crystal,
//! which also sets its carrier offset). Meters that wake for the beacon before a window
//! resynchronise and report inside their windows; the same meters never resynchronising
//! drift by up to 36 ms over a 15-minute period — far past the 2 ms guard — and their
//! reports land outside their windows.

use subgate_dsp::Mcs;
use subgate_testbench::link::LinkBudget;
use subgate_testbench::sim::{run, AirSetup, ServiceMix, SimConfig, SimReport};

fn street(resync: bool) -> SimReport {
    let mut cfg = SimConfig::mixed(24, 2.0);
    cfg.mix = vec![ServiceMix {
        name: "meter-15m".into(),
        period_s: 900,
        data_amount: 48,
        weight: 1,
    }];
    cfg.own_window_share = 0.0;
    cfg.join_spread_s = 120;
    cfg.drain_s = 300;
    cfg.gateway.radio.channels = vec![1];
    cfg.gateway.radio.mcs = 10;
    cfg.gateway.store.commit_interval_ms = 2_000;
    cfg.air = Some(AirSetup {
        budget: LinkBudget {
            shadowing_db: 0.0,
            ..LinkBudget::default()
        },
        positions: (0..24).map(|i| (100.0 + 30.0 * i as f64, 0.0)).collect(),
        mcs: vec![Mcs(10), Mcs(0), Mcs(1), Mcs(2)],
        ppm: 40.0,
        beacon_resync: resync,
        wideband: false,
    });
    run(&cfg).expect("runs")
}

#[test]
fn meters_resynchronised_on_the_beacon_report_inside_their_windows() {
    let r = street(true);
    let t = &r.terminals;
    println!(
        "resync: {} wake-ups, {} synced; reports {} made, {} acked, {} late; retries {}",
        t.beacon_wakes, t.beacon_syncs, r.generated, r.acked, r.late, t.retries
    );
    assert_eq!((r.acked_missing, r.stored_twice), (0, 0));
    assert!(r.generated >= 24 * 7, "{r:?}");
    assert!(
        t.beacon_wakes >= r.generated - 24,
        "a wake-up before each window but the first"
    );
    assert!(
        t.beacon_syncs * 100 >= t.beacon_wakes * 99,
        "close meters hear the beacon"
    );
    assert_eq!(r.late, t.retries, "only retries come outside a window");
    assert!(r.acked + 24 >= r.generated);
}

#[test]
fn meters_that_never_resynchronise_drift_out_of_their_windows() {
    let r = street(false);
    let t = &r.terminals;
    println!(
        "no resync: reports {} made, {} acked, {} late; retries {}",
        r.generated, r.acked, r.late, t.retries
    );
    assert_eq!(t.beacon_wakes, 0);
    assert_eq!((r.acked_missing, r.stored_twice), (0, 0));
    // Crystals are drawn in ±40 ppm: most are off by more than 2.2 ppm, which is 2 ms over
    // 900 s — out of the window and its early tolerance.
    assert!(
        r.late > r.generated / 2,
        "{} of {} reports late",
        r.late,
        r.generated
    );
}
