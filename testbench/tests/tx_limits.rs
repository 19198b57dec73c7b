//! Issue 10's transmit limits in the frame-level testbench: whatever the gateway decides to
//! send, the airtime it puts on air stays within the duty cycle of every sub-band (EU) and
//! the configured dwell per channel (US) in every window — measured here exactly from the
//! frames on air, independently of the gateway's own ledger. Each run prints its figures
//! (`--nocapture`).

use subgate_control::config::Unmatched;
use subgate_testbench::sim::{run, SimConfig, SimReport};

/// Longest gateway frame, µs (a bound for the edge corrections below).
const MAX_FRAME_US: u64 = 50_000;

/// The busiest window of length `window` over `frames` (start, end), µs on air: the most
/// over windows starting at a frame start or ending at a frame end (one of them is a
/// maximum of the sliding sum).
fn busiest(frames: &[(u64, u64)], window: u64) -> u64 {
    let mut f = frames.to_vec();
    f.sort_unstable();
    let mut prefix = vec![0u64; f.len() + 1];
    for (i, &(s, e)) in f.iter().enumerate() {
        assert!(e - s <= MAX_FRAME_US, "frame of {} µs", e - s);
        prefix[i + 1] = prefix[i] + (e - s);
    }
    // Airtime inside [a, b).
    let inside = |a: u64, b: u64| -> u64 {
        let first = f.partition_point(|&(s, _)| s < a);
        let last = f.partition_point(|&(s, _)| s < b);
        let mut sum = prefix[last] - prefix[first];
        // frames starting in [a, b) that run past b
        for &(_, e) in &f[first..last] {
            if e > b {
                sum -= e - b;
            }
        }
        // frames starting before a that run into the window
        let early = f.partition_point(|&(s, _)| s < a.saturating_sub(MAX_FRAME_US));
        for &(_, e) in &f[early..first] {
            if e > a {
                sum += e.min(b) - a;
            }
        }
        sum
    };
    f.iter()
        .flat_map(|&(s, e)| [inside(s, s + window), inside(e.saturating_sub(window), e)])
        .max()
        .unwrap_or(0)
}

/// The gateway's frames on `channels`, (start, end).
fn gateway_frames(r: &SimReport, channels: &[u8]) -> Vec<(u64, u64)> {
    r.frames
        .iter()
        .filter(|f| f.from.is_none() && channels.contains(&f.channel))
        .map(|f| (f.start_us, f.end_us))
        .collect()
}

fn print_usage(name: &str, r: &SimReport) {
    println!(
        "--- {name}: made {} acked {} stored {} unacked {} · gateway frames held: deferred {} dropped {} beacons {} (sent {})",
        r.generated,
        r.acked,
        r.stored,
        r.unacked,
        r.gateway.tx_deferred_limit,
        r.gateway.tx_dropped_limit,
        r.gateway.beacons_held,
        r.gateway.beacons
    );
    for u in &r.tx_usage {
        println!(
            "{} {} channels {:?}: limit {:?} % per {} s, {} frames, {} µs, busiest ≤ {:.4} %, deferred {}, dropped {}",
            u.kind, u.name, u.channels, u.limit_percent, u.window_s, u.frames, u.airtime_us,
            u.peak_percent, u.deferred, u.dropped
        );
    }
}

#[test]
fn eu_srd_sub_bands_never_exceed_their_duty_cycle_in_any_hour() {
    // Annex 1 rules: channel 1 in h1.3 (0.1 %), channels 5 and 7 in h1.4 (1 %). Beacons at
    // one a second alone would take ~0.3 % of channel 1, and a fifth of the terminals ask
    // for an unserved SID and get an answer: the limits bind.
    let mut cfg = SimConfig::mixed(150, 3.0);
    cfg.gateway.gateway.region = "eu".into();
    cfg.gateway.regulatory.profile = "srd".into();
    cfg.gateway.radio.channels = vec![1, 5, 7];
    cfg.unserved_share = 0.2;
    cfg.gateway.service.unmatched = Unmatched::NotSupported;
    cfg.observe.frames_us = Some((0, u64::MAX));
    let r = run(&cfg).expect("simulation runs");
    print_usage("EU srd", &r);
    let hour = 3_600_000_000;
    let h13 = busiest(&gateway_frames(&r, &[1]), hour);
    let h14 = busiest(&gateway_frames(&r, &[5, 7]), hour);
    println!(
        "busiest hour on air: h1.3 {h13} µs ({:.4} %), h1.4 {h14} µs ({:.4} %)",
        h13 as f64 / 36e6,
        h14 as f64 / 36e6
    );
    assert!(h13 <= 3_600_000, "h1.3 over 0.1 %: {h13} µs in an hour");
    assert!(h14 <= 36_000_000, "h1.4 over 1 %: {h14} µs in an hour");
    assert!(h13 > 0 && h14 > 0, "the gateway sent on both sub-bands");
    assert!(
        r.gateway.beacons_held > 0,
        "beacons on channel 1 are thinned for 0.1 %"
    );
    // The sub-band ledgers' own bound covers what went on air.
    for u in &r.tx_usage {
        let limit = u.limit_percent.expect("duty limits");
        assert!(
            u.peak_percent <= limit + 1e-9,
            "{}: {}",
            u.name,
            u.peak_percent
        );
    }
    assert_eq!((r.acked_missing, r.stored_twice), (0, 0));
    assert!(r.acked > 0);
}

#[test]
fn eu_default_wideband_rules_leave_room_and_every_report_is_acked() {
    // Annex 3 (the default profile): 10 % for the gateway over 863-868 MHz, shared by its
    // four channels — far above what a metering gateway sends.
    let mut cfg = SimConfig::mixed(200, 2.0);
    cfg.gateway.gateway.region = "eu".into();
    cfg.gateway.radio.channels = vec![1, 3, 5, 7];
    cfg.observe.frames_us = Some((0, u64::MAX));
    let r = run(&cfg).expect("simulation runs");
    print_usage("EU wdts", &r);
    let busiest = busiest(&gateway_frames(&r, &[1, 3, 5, 7]), 3_600_000_000);
    println!(
        "busiest hour on air: {busiest} µs ({:.4} %)",
        busiest as f64 / 36e6
    );
    assert!(busiest <= 360_000_000);
    assert_eq!(r.tx_usage.len(), 1, "one sub-band");
    assert_eq!(r.tx_usage[0].channels, vec![1, 3, 5, 7]);
    assert_eq!((r.gateway.tx_dropped_limit, r.gateway.beacons_held), (0, 0));
    assert_eq!(r.acked, r.generated, "every report acked");
    assert_eq!((r.acked_missing, r.stored_twice, r.unacked), (0, 0, 0));
}

#[test]
fn us_dwell_setting_holds_on_every_channel_in_every_window() {
    // A hybrid system's operator caps each channel at 8 ms per second.
    let mut cfg = SimConfig::mixed(150, 1.0);
    cfg.gateway.regulatory.dwell_ms = 8;
    cfg.gateway.regulatory.dwell_window_s = 1;
    cfg.observe.frames_us = Some((0, u64::MAX));
    let r = run(&cfg).expect("simulation runs");
    print_usage("US dwell", &r);
    let mut held = 0;
    for c in [1u8, 3, 5, 7] {
        let b = busiest(&gateway_frames(&r, &[c]), 1_000_000);
        println!("channel {c}: busiest second {b} µs");
        assert!(b <= 8_000, "channel {c}: {b} µs in a second");
        held += b;
    }
    assert!(held > 0);
    assert!(
        r.gateway.tx_deferred_limit + r.gateway.tx_dropped_limit > 0,
        "the cap binds at joins"
    );
    assert_eq!((r.acked_missing, r.stored_twice), (0, 0));
}

#[test]
fn busiest_window_is_exact_on_a_small_case() {
    let frames = [(0, 10), (15, 25), (100, 104)];
    assert_eq!(busiest(&frames, 20), 15); // [0, 20) or [5, 25): 10 + 5, 5 + 10
    assert_eq!(busiest(&frames, 30), 20);
    assert_eq!(busiest(&frames, 200), 24);
    assert_eq!(busiest(&frames, 12), 10);
    assert_eq!(busiest(&frames, 5), 5);
}
