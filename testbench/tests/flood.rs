//! Issue 10's floods and misbehaving terminals in the frame-level testbench: a gateway
//! serving a thousand meters (one report a minute each) is flooded, once they have joined,
//! at more than ten times their load with probe requests from random MACs and SIDs,
//! authentications, association requests with forged proofs, replays of the meters' own
//! authentication and association frames, and reports out of slot and oversized from
//! misbehaving meters, while others go mute once scheduled. The legitimate meters must
//! still get ≥ 99.9 % of their reports stored and acked from their own window, and what the
//! gateway holds must stay within its `[limits]`. The same flood against a gateway whose
//! limits are opened wide shows what they are for. Prints its figures (`--nocapture`).

use subgate_control::config::LimitsConfig;
use subgate_testbench::flood::{FloodKind, FloodSetup};
use subgate_testbench::sim::{run, ServiceMix, SimConfig, SimReport};

const TERMINALS: usize = 1_000;

/// Half an hour of a thousand meters, flooded at 2 000 frames/s from 420 s on.
fn flooded(limits: LimitsConfig) -> SimReport {
    let mut cfg = SimConfig::mixed(TERMINALS, 0.5);
    cfg.join_spread_s = 300;
    cfg.drain_s = 120;
    cfg.own_window_share = 0.0;
    cfg.mix = vec![ServiceMix {
        name: "meter-1m".into(),
        period_s: 60,
        data_amount: 32,
        weight: 1,
    }];
    cfg.seed = 10;
    cfg.gateway.limits = limits;
    cfg.flood = Some(FloodSetup {
        rate_per_s: 2_000.0,
        from_s: 420,
        until_s: None,
        misbehaving: (0..5).collect(),
        mute: (5..10).collect(),
        seed: 10,
    });
    run(&cfg).expect("simulation")
}

fn print(name: &str, r: &SimReport) {
    let f = r.flood.clone().unwrap_or_default();
    let g = r.gateway;
    println!("== {name}");
    println!(
        "flood: {} frames in {:.0} s = {:.0}/s; legitimate frames at the gateway {:.1}/s ({:.0}x)",
        f.counts.total(),
        f.seconds,
        f.rate_per_s(),
        f.legit_per_s(),
        f.rate_per_s() / f.legit_per_s().max(1e-9)
    );
    for (k, n) in FloodKind::ALL.iter().zip(f.counts.by_kind) {
        println!("  {:<28} {n}", k.name());
    }
    println!(
        "legitimate reports while flooded: {} made, {} on time ({:.3} %), {} acked; \
         report retries {}, polls {}; wall {:.1} s",
        f.legit_generated,
        f.legit_on_time,
        f.on_time_percent(),
        f.legit_acked,
        r.terminals.retries,
        g.polls_sent,
        r.wall_s
    );
    println!(
        "gateway: flood_dropped {} answers_shed {} joining_evicted {} registrations_throttled {} \
         rejoins_held {} rejoins_refused {} reports_over_rate {} reports_oversized {} \
         probes_answered {} downlink_dropped {}",
        g.flood_dropped,
        g.answers_shed,
        g.joining_evicted,
        g.registrations_throttled,
        g.rejoins_held,
        g.rejoins_refused,
        g.reports_over_rate,
        g.reports_oversized,
        g.probes_answered,
        g.downlink_dropped
    );
    println!("footprint, largest: {:?}", f.footprint_max);
    println!("footprint, end:     {:?}", f.footprint_end);
    if let Some((start, max, end)) = f.rss_kib {
        println!(
            "resident memory (whole test process): {start} KiB when the flood started, {max} KiB \
             at most (+{} KiB), {end} KiB at the end",
            max.saturating_sub(start)
        );
    }
}

#[test]
fn legitimate_reports_arrive_on_time_under_a_flood_and_memory_stays_bounded() {
    let limits = LimitsConfig::default();
    let r = flooded(limits.clone());
    print("[limits] defaults", &r);
    let f = r.flood.clone().expect("flood report");
    let g = r.gateway;

    // The flood is at least ten times the legitimate load, and every kind of it was sent.
    assert!(f.rate_per_s() >= 10.0 * f.legit_per_s(), "{f:?}");
    assert!(f.counts.by_kind.iter().all(|n| *n > 0), "{:?}", f.counts);
    // Every legitimate meter joined, and their reports arrived in their windows.
    assert_eq!(r.served_gave_up, 0, "{:?}", r.served_gave_up_why);
    assert!(f.on_time_percent() >= 99.9, "{:.3} %", f.on_time_percent());
    assert_eq!(r.acked_missing, 0);
    assert_eq!(r.stored_twice, 0);
    // Each defence was exercised.
    assert!(g.flood_dropped > 0 && g.answers_shed > 0 && g.joining_evicted > 0);
    assert!(g.registrations_throttled > 0);
    assert!(g.rejoins_held > 0 && g.rejoins_refused > 0);
    assert!(g.reports_over_rate > 0 && g.reports_oversized > 0);
    // What the gateway holds stays within its limits, whatever the flood sent.
    let m = f.footprint_max;
    assert!(m.joining <= limits.max_joining, "{m:?}");
    assert!(m.sources <= limits.sources_tracked, "{m:?}");
    assert!(m.stations <= TERMINALS + limits.max_joining, "{m:?}");
    assert!(m.peers <= m.stations, "{m:?}");
    assert!(m.join_queue <= 2 * limits.max_joining + 1, "{m:?}");
    // The mute meters were let go (polled, then deregistered).
    assert_eq!(f.mute_held, 0);

    // The same flood with the limits opened wide: the flood is a real threat.
    let open = LimitsConfig {
        requests_per_source_per_s: 1e9,
        request_burst: u32::MAX,
        sources_tracked: 1,
        answer_share: 1.0,
        answer_horizon: 1_000,
        max_joining: 1_000_000,
        registrations_per_s: 1e9,
        registration_burst: u32::MAX,
        reports_per_period: u32::MAX,
    };
    let w = flooded(open);
    print("[limits] opened wide", &w);
    let wf = w.flood.expect("flood report");
    assert!(
        wf.on_time_percent() < f.on_time_percent() && wf.footprint_max.joining > limits.max_joining,
        "without limits: {:.3} % on time, {:?}",
        wf.on_time_percent(),
        wf.footprint_max
    );
}
