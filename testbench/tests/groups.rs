//! Peripheral groups end to end at frame level (issue 8): the gateway with configured groups
//! and virtual terminals over the simulated medium, group requests sent as downlink commands.

use std::collections::BTreeMap;

use subgate_control::config::GroupConfig;
use subgate_control::groups::Delivery;
use subgate_control::store::{Store, StoredEvent};
use subgate_control::wire::m2m::WakeMode;
use subgate_control::wire::MacAddr;
use subgate_testbench::sim::{run, ServiceMix, SimConfig, SimReport};

fn mac(i: usize) -> MacAddr {
    let n = i as u32 + 1;
    MacAddr([0x02, 0x10, 0, (n >> 16) as u8, (n >> 8) as u8, n as u8])
}

/// `terminals` meters reporting every minute, all in group "district", every third one
/// starting in standby.
fn scenario(terminals: usize, hours: f64, dir: &std::path::Path) -> SimConfig {
    let mut cfg = SimConfig::mixed(terminals, hours);
    cfg.mix = vec![ServiceMix {
        name: "meter".into(),
        period_s: 60,
        data_amount: 32,
        weight: 1,
    }];
    cfg.join_spread_s = 300;
    cfg.drain_s = 120;
    cfg.gateway.store.commit_interval_ms = 2_000;
    cfg.gateway.groups.groups = vec![GroupConfig {
        name: "district".into(),
        members: (0..terminals).map(|i| mac(i).to_string()).collect(),
        standby: (0..terminals)
            .filter(|i| i.is_multiple_of(3))
            .map(|i| mac(i).to_string())
            .collect(),
    }];
    cfg.store_path = Some(dir.join("gw.db"));
    cfg
}

fn events(dir: &std::path::Path, kind: &str) -> Vec<(StoredEvent, serde_json::Value)> {
    Store::open(dir.join("gw.db"))
        .unwrap()
        .events()
        .unwrap()
        .into_iter()
        .filter(|e| e.event.kind == kind)
        .map(|e| {
            let d = serde_json::from_str(&e.event.detail).unwrap();
            (e, d)
        })
        .collect()
}

fn request(id: &str, group: &str, extra: &str) -> String {
    format!(
        r#"{{"schema":1,"command_id":"{id}","type":"group-request","group":"{group}","payload_hex":"a1b2c3"{extra}}}"#
    )
}

/// Every member got request `request` once; members in standby only after waking.
fn check_members(r: &SimReport, request: u64) -> (usize, usize) {
    let mut woken = 0;
    for m in &r.members {
        let got: Vec<_> = m
            .receipts
            .iter()
            .filter(|x| u64::from(x.request) == request)
            .collect();
        assert_eq!(
            got.len(),
            1,
            "{} got the request {} times",
            m.mac,
            got.len()
        );
        assert!(m.frames >= 1);
        let g = got[0];
        if m.assignment.standby {
            let woke = g
                .woke_at_us
                .unwrap_or_else(|| panic!("{} in standby was never woken", m.mac));
            assert!(woke <= g.at_us, "{} got it before waking", m.mac);
            assert!(!m.in_standby, "{} went back to sleep", m.mac);
            woken += 1;
        } else {
            assert_eq!(g.woke_at_us, None, "{} was never in standby", m.mac);
        }
    }
    (r.members.len(), woken)
}

#[test]
fn a_thousand_member_group_gets_a_request_once_each_standby_members_after_waking() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = scenario(1000, 0.3, dir.path());
    cfg.commands = vec![
        (600_000_000, request("req-1", "district", "")),
        (601_000_000, request("req-2", "nowhere", "")),
    ];
    let r = run(&cfg).unwrap();
    assert_eq!(
        r.members.len(),
        1000,
        "every member registered and was told its group"
    );

    // The gateway's account: every member delivered, none refused or unanswered.
    let done = events(dir.path(), "group-delivery");
    assert_eq!(done.len(), 1, "one request finished");
    let d = &done[0].1;
    let mut why: BTreeMap<String, usize> = BTreeMap::new();
    for m in d["members"].as_array().unwrap() {
        *why.entry(format!("{} after {} sends", m["status"], m["tries"]))
            .or_default() += 1;
    }
    println!("member statuses: {why:?}");
    assert_eq!(d["group"], "district");
    assert_eq!(
        (
            d["delivered"].as_u64(),
            d["no_ack"].as_u64(),
            d["refused"].as_u64()
        ),
        (Some(1000), Some(0), Some(0))
    );
    let request = d["request_id"].as_u64().unwrap();
    let (members, woken) = check_members(&r, request);
    assert_eq!((members, woken), (1000, 334));
    // The gateway sent nothing to a standby member before the beacon that woke it.
    for m in d["members"].as_array().unwrap() {
        if let Some(w) = m["woken_at_us"].as_u64() {
            assert!(m["at_us"].as_u64().unwrap() >= w);
        }
    }
    // Standby members sent no report before they were woken.
    let woke: BTreeMap<String, u64> = r
        .members
        .iter()
        .filter_map(|m| {
            let w = m.receipts.first()?.woke_at_us?;
            Some((m.mac.to_string(), w))
        })
        .collect();
    let store = Store::open(dir.path().join("gw.db")).unwrap();
    let mut early = 0;
    store
        .for_each_report(|rep| {
            if woke
                .get(&rep.terminal.to_string())
                .is_some_and(|&w| rep.received_at < w)
            {
                early += 1;
            }
            Ok::<_, subgate_control::store::StoreError>(())
        })
        .unwrap();
    assert_eq!(early, 0, "reports from members still in standby");

    // The registration told the application the member's group.
    let (_, reg) = &events(dir.path(), "registered")[0];
    assert_eq!(reg["group"], "district");
    assert_eq!(reg["group_id"], 1);

    // The request for an unknown group was refused with the reason.
    let refused: Vec<_> = events(dir.path(), "command")
        .into_iter()
        .filter(|(_, d)| d["command_id"] == "req-2")
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].1["status"], "refused");
    assert!(refused[0].1["reason"]
        .as_str()
        .unwrap()
        .contains("unknown group"));
    println!(
        "1000-member group: {} delivered ({} woken from standby) with {} request frames, {} copies received",
        members,
        woken,
        r.gateway.group_requests_sent,
        r.members.iter().map(|m| m.frames).sum::<u64>()
    );
}

#[test]
fn deregistered_and_foreign_members_are_refused_and_next_slot_wake_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = scenario(60, 0.3, dir.path());
    cfg.gateway.groups.wake = WakeMode::NextSlot;
    // Standby members time out (deregistered) long before the request.
    cfg.gateway.timeouts.standby_ms = 120_000;
    cfg.commands = vec![
        (700_000_000, request("req-1", "district", "")),
        (
            701_000_000,
            request(
                "req-2",
                "district",
                &format!(r#","terminals":["{}","02:99:00:00:00:01"]"#, mac(1)),
            ),
        ),
    ];
    let r = run(&cfg).unwrap();
    let done = events(dir.path(), "group-delivery");
    assert_eq!(done.len(), 2);
    let by_cmd: BTreeMap<String, &serde_json::Value> = done
        .iter()
        .map(|(_, d)| (d["command_id"].as_str().unwrap().to_string(), d))
        .collect();
    let all = by_cmd["req-1"];
    assert_eq!(
        (
            all["delivered"].as_u64(),
            all["refused"].as_u64(),
            all["no_ack"].as_u64()
        ),
        (Some(40), Some(20), Some(0))
    );
    for m in all["members"].as_array().unwrap() {
        let i: usize = (0..60)
            .find(|&i| mac(i).to_string() == m["terminal"])
            .unwrap();
        if i.is_multiple_of(3) {
            assert_eq!(m["status"], "refused");
            assert_eq!(m["reason"], "deregistered");
        } else {
            assert_eq!(m["status"], "delivered");
        }
    }
    let some = by_cmd["req-2"];
    assert_eq!(
        (some["delivered"].as_u64(), some["refused"].as_u64()),
        (Some(1), Some(1))
    );
    let foreign = some["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["terminal"] == "02:99:00:00:00:01")
        .unwrap();
    assert_eq!(foreign["reason"], "not-a-member");
    // Active members got each request once.
    for m in r.members.iter().filter(|m| !m.assignment.standby) {
        let n = m.receipts.len();
        let want = if m.mac == mac(1) { 2 } else { 1 };
        assert_eq!(n, want, "{}", m.mac);
        assert_eq!(m.assignment.wake, WakeMode::NextSlot);
    }
    // Deregistered standby members got nothing.
    assert!(r
        .members
        .iter()
        .filter(|m| m.assignment.standby)
        .all(|m| m.receipts.is_empty() && m.in_standby));
}

#[test]
fn group_addressed_delivery_reaches_every_member_with_one_frame_per_channel() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = scenario(90, 0.3, dir.path());
    cfg.gateway.groups.delivery = Delivery::GroupAddressed;
    cfg.commands = vec![(600_000_000, request("req-1", "district", ""))];
    let r = run(&cfg).unwrap();
    let done = events(dir.path(), "group-delivery");
    assert_eq!(done.len(), 1);
    let d = &done[0].1;
    assert_eq!(
        (
            d["delivered"].as_u64(),
            d["no_ack"].as_u64(),
            d["refused"].as_u64()
        ),
        (Some(90), Some(0), Some(0))
    );
    let (members, woken) = check_members(&r, d["request_id"].as_u64().unwrap());
    assert_eq!((members, woken), (90, 30));
    // One frame per channel and superframe reaches everyone awake there: far fewer frames
    // than members (unicast sends at least one per member).
    println!(
        "group-addressed: 90 members with {} frames",
        r.gateway.group_requests_sent
    );
    assert!(r.gateway.group_requests_sent < 45);
}
