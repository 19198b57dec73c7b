//! The simulation with the IQ-level medium (issue 9): every frame the gateway and the meters
//! exchange is modulated, sent through the channel with its path loss, shadowing and carrier
//! offset, summed with whatever overlaps it, and decoded by the real receiver.

use subgate_dsp::{Format, Mcs};
use subgate_testbench::link::{snr_at_10pct_per, LinkBudget};
use subgate_testbench::sim::{run, AirSetup, ServiceMix, SimConfig};

/// "A street of 50 meters": 50 meters along a street, 50 m to 1 km from the gateway, and two
/// more 8 km away — beyond any MCS's reach.
#[test]
fn a_street_of_meters_at_iq_level() {
    let mut cfg = SimConfig::mixed(52, 0.5);
    cfg.mix = vec![ServiceMix {
        name: "meter".into(),
        period_s: 60,
        data_amount: 48,
        weight: 1,
    }];
    cfg.join_spread_s = 120;
    cfg.drain_s = 120;
    cfg.gateway.radio.channels = vec![1, 3];
    cfg.gateway.radio.mcs = 10;
    cfg.gateway.store.commit_interval_ms = 2_000;
    let mut positions: Vec<(f64, f64)> = (0..50).map(|i| (50.0 + 19.0 * i as f64, 0.0)).collect();
    positions.extend([(8_000.0, 0.0), (0.0, 8_000.0)]);
    cfg.air = Some(AirSetup {
        budget: LinkBudget::default(),
        positions,
        mcs: [10, 0, 1, 2, 3, 4, 5, 6, 7].into_iter().map(Mcs).collect(),
        ppm: 20.0,
        beacon_resync: true,
        wideband: false,
    });
    let r = run(&cfg).unwrap();
    println!(
        "street at IQ level: {:.0} s simulated in {:.1} s; {} receptions rendered ({} samples), {} overlapped, {} captured, {} lost",
        r.simulated_s, r.wall_s, r.air.receptions, r.air.samples, r.air.overlapped, r.air.captured, r.air.lost
    );
    for (i, l) in r.links.iter().enumerate().step_by(7) {
        println!(
            "  meter {i:2} at {:6.0} m: MCS{:<2} SNR {:5.1} dB, {} reports acked",
            l.distance_m, l.mcs.0, l.snr_db, l.acked
        );
    }
    assert_eq!((r.acked_missing, r.stored_twice), (0, 0));
    let need = |m: Mcs| snr_at_10pct_per(Format::S1g1M, m).unwrap();
    let budget = LinkBudget::default();
    // Every meter of the street inside the link budget (its SNR at least the most robust
    // MCS's 10 % PER point plus the margin; shadowing puts a few outside) joined and
    // reported through the real PHY: 30 readings, the last ones maybe still unacked.
    let street = &r.links[..50];
    let inside: Vec<_> = street
        .iter()
        .filter(|l| l.snr_db >= need(Mcs(10)) + budget.margin_db)
        .collect();
    assert!(inside.len() >= 45, "{street:?}");
    assert!(inside.iter().all(|l| l.acked >= 25), "{street:?}");
    assert!(r.scheduled >= inside.len());
    // The two far meters never got through.
    assert!(r.links[50..]
        .iter()
        .all(|l| l.acked == 0 && !l.joined && l.snr_db < -20.0));
    // Near meters picked faster MCSs than far ones; every reception went through the PHY.
    assert!(need(street[0].mcs) > need(street[49].mcs));
    assert!(r.air.receptions > 1_000 && r.air.samples > 1_000_000);
    assert!(r.air.lost > 0, "the far meters' frames are lost");
}

/// The same street with the gateway receiving through the whole-band receiver: each uplink
/// reception is rendered over both channels' span with the meters' frames on the other
/// channel overlapping it in time, and decoded by the channelizer and the channel's
/// receiver. Delivery is as good as with one receiver per channel.
#[test]
fn the_street_through_the_whole_band_receiver() {
    let mut cfg = SimConfig::mixed(50, 0.5);
    cfg.mix = vec![ServiceMix {
        name: "meter".into(),
        period_s: 60,
        data_amount: 48,
        weight: 1,
    }];
    cfg.own_window_share = 0.0;
    cfg.join_spread_s = 120;
    cfg.drain_s = 120;
    cfg.gateway.radio.channels = vec![1, 3];
    cfg.gateway.radio.mcs = 10;
    cfg.gateway.store.commit_interval_ms = 2_000;
    cfg.air = Some(AirSetup {
        budget: LinkBudget {
            shadowing_db: 0.0,
            ..LinkBudget::default()
        },
        positions: (0..50).map(|i| (50.0 + 19.0 * i as f64, 0.0)).collect(),
        mcs: [10, 0, 1, 2, 3, 4, 5, 6, 7].into_iter().map(Mcs).collect(),
        ppm: 20.0,
        beacon_resync: true,
        wideband: true,
    });
    let r = run(&cfg).unwrap();
    println!(
        "street, whole-band receiver: {:.1} s; {} receptions, {} with frames of the other channel overlapping, {} of those decoded, {} samples",
        r.wall_s, r.air.receptions, r.air.overlapped, r.air.captured, r.air.samples
    );
    assert_eq!((r.acked_missing, r.stored_twice), (0, 0));
    assert_eq!(
        r.scheduled, 50,
        "no shadowing: every meter within 1 km joins"
    );
    assert!(
        r.acked + 50 >= r.generated,
        "{} of {}",
        r.acked,
        r.generated
    );
    // The two channels' windows interleave: many receptions had the other channel's frames
    // on air, and the channelizer kept nearly all apart. (The few lost are what one receiver
    // per channel cannot show: a near meter's frame is up to 55 dB stronger than a far one's
    // on the adjacent channel.)
    assert!(r.air.overlapped > 100, "{:?}", r.air);
    assert!(r.air.captured * 100 >= r.air.overlapped * 95, "{:?}", r.air);
}
