//! The MQTT northbound against a real mosquitto on loopback (`.ci/run` installs it): every
//! stored report reaches a subscriber at least once, each batch identified by its id, across
//! a broker killed with SIGKILL mid-stream and restarted — the store is the outbox; the
//! gateway's events, status and downlink commands; TLS.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use subgate_control::aggregate::{Aggregator, BatchLimits};
use subgate_control::config::{NorthboundConfig, NorthboundKind};
use subgate_control::northbound::{BatchPayload, MqttNorthbound};
use subgate_control::store::{IncomingReport, Store};
use subgate_control::wire::m2m::{DataFormat, ReportRepr, Sid};
use subgate_control::wire::MacAddr;
use subgate_testbench::broker::{self, Consumer, Mosquitto, Received};
use subgate_testbench::sim::{self, ServiceMix, SimConfig, SimProgress};

/// A broker, or `None` (test skipped) when mosquitto is missing and CI is not set.
fn broker(tls: bool) -> Option<Mosquitto> {
    broker_with(tls, false)
}

/// A broker with a TLS listener (`tls`) and a password listener (`auth`), or `None` as
/// [`broker`].
fn broker_with(tls: bool, auth: bool) -> Option<Mosquitto> {
    if !broker::required() {
        return None;
    }
    Some(Mosquitto::start_with(tls, auth).unwrap())
}

fn report(t: u32, seq: u32, at: u64) -> IncomingReport {
    IncomingReport {
        terminal: MacAddr([2, 0x10, 0, 0, (t >> 8) as u8, t as u8]),
        aid: t as u16 + 1,
        channel: 1,
        received_at: at,
        report: ReportRepr {
            sequence: seq,
            sid: Sid::service("metering").unwrap(),
            timestamp: 1_700_000_000_000_000 + at,
            data_format: DataFormat::Json,
            payload: format!("{{\"t\":{t},\"s\":{seq}}}").into_bytes(),
        },
    }
}

#[test]
fn broker_killed_mid_stream_loses_no_stored_report() {
    let Some(mut broker) = broker(false) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = broker.port;
    let consumer = Consumer::start(port, "test-consumer", "subgate");

    let mut store = Store::open(dir.path().join("gw.db")).unwrap();
    let agg = Aggregator::new(BatchLimits {
        max_reports: 50,
        max_bytes: 1 << 20,
        max_age_us: 1_000_000,
    })
    .unwrap();
    let config = NorthboundConfig {
        kind: NorthboundKind::Mqtt,
        broker: format!("127.0.0.1:{port}"),
        timeout_ms: 500,
        ..NorthboundConfig::default()
    };
    let mut north = MqttNorthbound::start("gw-test", &config).unwrap();
    assert!(north.wait_connected(Duration::from_secs(10)));

    const TERMINALS: u32 = 20;
    const ROUNDS: u32 = 150; // 3000 reports, a commit of 20 per round
    let mut now = 0u64;
    let mut expected = BTreeSet::new();
    let mut outage_failures = 0u64;
    for round in 0..ROUNDS {
        now += 200_000;
        let batch: Vec<_> = (0..TERMINALS).map(|t| report(t, round, now)).collect();
        store.store_batch(&batch).unwrap();
        for r in &batch {
            expected.insert((r.terminal.to_string(), r.report.sequence));
        }
        if round == 50 {
            // Let the consumer receive what the broker acked so far: a broker killed with
            // SIGKILL loses messages it acknowledged but had not delivered yet (its own
            // durability, not the gateway's). Then kill it mid-stream.
            let acked = store.forwarded_report_count().unwrap() as usize;
            assert!(acked > 0, "batches were forwarded before the outage");
            assert!(
                consumer.wait_for(Duration::from_secs(10), |r| r.report_keys().len() >= acked),
                "the consumer received what the broker acked before the kill"
            );
            broker.kill().unwrap();
        }
        if round == 100 {
            // The restarted broker lost the consumer's session with its kill (SIGKILL comes
            // before any autosave), so a batch published before the consumer subscribes
            // again would reach no one — the broker's loss, not the gateway's. Wait for the
            // new subscriptions before the gateway may publish again.
            let subscribed = consumer.received().subscriptions;
            broker.restart().unwrap();
            assert!(
                consumer.wait_for(Duration::from_secs(10), |r| r.subscriptions
                    >= subscribed + 4),
                "the consumer subscribed again after the restart"
            );
        }
        let before = north
            .counters()
            .unavailable
            .load(std::sync::atomic::Ordering::Relaxed);
        let _ = agg.poll(&mut store, &mut north, now);
        if (51..100).contains(&round) {
            outage_failures += north
                .counters()
                .unavailable
                .load(std::sync::atomic::Ordering::Relaxed)
                - before;
        }
    }
    // Drain: everything closes by age and is forwarded once the link is back.
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        now += 1_000_000;
        let _ = agg.poll(&mut store, &mut north, now);
        if store.pending_batches().unwrap().is_empty()
            && store.sids_with_unbatched().unwrap().is_empty()
        {
            break;
        }
        assert!(Instant::now() < end, "batches still pending after 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let stored_batches = store.batches().unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    while consumer.received().report_keys() != expected && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    let received = consumer.received();
    let got = received.batches.clone();
    let mut by_id: BTreeMap<i64, &BatchPayload> = BTreeMap::new();
    let mut redeliveries = 0;
    for b in &got {
        if let Some(first) = by_id.insert(b.batch_id, b) {
            redeliveries += 1;
            assert_eq!(first, b, "batch {} differs between copies", b.batch_id);
        }
    }
    println!(
        "mqtt: {} reports in {} batches stored; {} messages received, {} distinct batches, {} redeliveries; {} forwards refused during the outage; {} PUBACK timeouts",
        expected.len(),
        stored_batches.len(),
        got.len(),
        by_id.len(),
        redeliveries,
        outage_failures,
        north.counters().timeouts.load(std::sync::atomic::Ordering::Relaxed)
    );
    assert!(outage_failures > 0, "the outage was felt");
    assert_eq!(
        received.report_keys(),
        expected,
        "every stored report arrives"
    );
    assert_eq!(by_id.len(), stored_batches.len(), "every batch arrives");
    let received: usize = by_id.values().map(|b| b.reports.len()).sum();
    assert_eq!(received, expected.len(), "no report in two batches");
}

/// The whole gateway (simulated terminals, paced 20× real time once joined) publishing to
/// mosquitto: one `registered` event per terminal, the retained status, a `service-config`
/// command that moves every terminal to the new data amount (each deauthenticated after a
/// report, registered again with the new configuration), a malformed command refused with
/// its id — and every acked report in a batch.
#[test]
fn gateway_events_status_and_commands_through_mosquitto() {
    let Some(broker) = broker(false) else {
        return;
    };
    let consumer = Consumer::start(broker.port, "platform", "subgate");
    let dir = tempfile::tempdir().unwrap();
    const N: usize = 40;
    let mut cfg = SimConfig::mixed(N, 0.1);
    cfg.mix = vec![ServiceMix {
        name: "meter".into(),
        period_s: 60,
        data_amount: 32,
        weight: 1,
    }];
    cfg.join_spread_s = 30;
    cfg.drain_s = 120;
    cfg.pace = Some(20.0);
    cfg.gateway.gateway.name = "gw-cmd".into();
    cfg.gateway.northbound.kind = NorthboundKind::Mqtt;
    cfg.gateway.northbound.broker = broker.addr();
    cfg.gateway.northbound.status_interval_s = 30;
    cfg.store_path = Some(dir.path().join("gw.db"));
    cfg.acked_log = Some(dir.path().join("acked.log"));
    let progress = Arc::new(SimProgress::default());
    cfg.progress = Some(progress.clone());
    let sim_thread = std::thread::spawn(move || sim::run(&cfg));

    let registered = |r: &Received, amount: u64| {
        r.events
            .iter()
            .filter(|e| e.kind == "registered" && e.detail["data_amount"] == amount)
            .map(|e| e.terminal.clone())
            .collect::<BTreeSet<_>>()
    };
    assert!(
        consumer.wait_for(Duration::from_secs(60), |r| registered(r, 32).len() == N),
        "every terminal's registration arrives"
    );
    consumer
        .command(
            "gw-cmd",
            r#"{"schema":1,"command_id":"bad-1","type":"reboot"}"#,
        )
        .unwrap();
    consumer
        .command(
            "gw-cmd",
            r#"{"schema":1,"command_id":"c-48","type":"service-config","sid":"service:meter",
                "report_period":60,"data_format":"cbor","data_amount":48}"#,
        )
        .unwrap();
    let report = sim_thread.join().unwrap().unwrap();
    assert_eq!(report.acked_missing, 0);

    // Everything is forwarded by the end of the drain; let the broker hand it over.
    let stored: BTreeSet<(String, u32)> = {
        let store = Store::open(dir.path().join("gw.db")).unwrap();
        let mut keys = BTreeSet::new();
        store
            .for_each_report(|r| {
                keys.insert((r.terminal.to_string(), r.report.sequence));
                Ok::<_, subgate_control::store::StoreError>(())
            })
            .unwrap();
        assert_eq!(
            store.pending_event_count().unwrap(),
            0,
            "no event left behind"
        );
        keys
    };
    consumer.wait_for(Duration::from_secs(20), |r| r.report_keys() == stored);
    let got = consumer.received();
    assert_eq!(got.report_keys(), stored, "every stored report arrives");
    assert_eq!(got.unparsed, 0);

    let commands: Vec<_> = got.events.iter().filter(|e| e.kind == "command").collect();
    let bad = commands
        .iter()
        .find(|e| e.detail["command_id"] == "bad-1")
        .expect("the malformed command's result");
    assert_eq!(bad.detail["status"], "refused");
    let applied = commands
        .iter()
        .find(|e| e.detail["command_id"] == "c-48")
        .expect("the service-config command's result");
    assert_eq!(applied.detail["status"], "applied", "{:?}", applied.detail);
    assert_eq!(applied.detail["terminals_to_reconfigure"], N as u64);
    let moved = got
        .events
        .iter()
        .filter(|e| e.kind == "deregistered" && e.detail["reason"] == "reconfigured")
        .count();
    assert_eq!(moved, N, "every terminal was moved over");
    assert_eq!(
        registered(&got, 48).len(),
        N,
        "and registered again with 48 bytes"
    );
    assert_eq!(report.scheduled, N, "all still reporting at the end");
    assert_eq!(report.gateway.reconfigured, N as u64);

    let ids: BTreeSet<i64> = got.events.iter().map(|e| e.event_id).collect();
    assert_eq!(
        ids.len(),
        got.events.len(),
        "no event twice without an outage"
    );
    assert!(got.statuses.iter().any(|s| s.online && s.stats.is_some()));
    // The gateway stopped cleanly: its last word replaces the retained status.
    assert!(
        consumer.wait_for(Duration::from_secs(5), |r| r
            .statuses
            .last()
            .is_some_and(|s| !s.online)),
        "offline status after a clean stop"
    );
    let got = consumer.received();
    let status = got.statuses.last().expect("a status");
    assert_eq!(status.gateway, "gw-cmd");
    println!(
        "mqtt gateway: {} reports in {} batches, {} events ({} registered, {} moved), {} status messages, last online={}",
        stored.len(),
        got.batches.len(),
        got.events.len(),
        registered(&got, 32).len() + registered(&got, 48).len(),
        moved,
        got.statuses.len(),
        status.online
    );
}

/// TLS to the broker: with the broker's CA the northbound connects and a batch goes through
/// the TLS listener; trusting another CA (Debian's public bundle), it never connects and a
/// forward is refused at once.
#[test]
fn tls_checks_the_broker_certificate() {
    let Some(broker) = broker(true) else {
        return;
    };
    let consumer = Consumer::start(broker.port, "tls-consumer", "subgate");
    let tls_port = broker.tls_port.unwrap();
    let good = NorthboundConfig {
        kind: NorthboundKind::Mqtt,
        broker: format!("localhost:{tls_port}"),
        tls: true,
        ca_file: broker.ca_file().display().to_string(),
        timeout_ms: 2_000,
        ..NorthboundConfig::default()
    };
    let mut north = MqttNorthbound::start("gw-tls", &good).unwrap();
    assert!(
        north.wait_connected(Duration::from_secs(10)),
        "TLS connection up"
    );
    let mut store = Store::open_in_memory().unwrap();
    store.store_batch(&[report(1, 1, 10)]).unwrap();
    let agg = Aggregator::new(BatchLimits {
        max_reports: 1,
        max_bytes: 1 << 20,
        max_age_us: 1,
    })
    .unwrap();
    let s = agg.poll(&mut store, &mut north, 100).unwrap();
    assert_eq!(s.forwarded, 1);
    assert!(consumer.wait_for(Duration::from_secs(10), |r| r.batches.len() == 1));

    let other_ca = NorthboundConfig {
        ca_file: "/etc/ssl/certs/ca-certificates.crt".into(),
        client_id: "gw-tls-wrong-ca".into(),
        ..good.clone()
    };
    if std::path::Path::new(&other_ca.ca_file).exists() {
        let mut wrong = MqttNorthbound::start("gw-tls", &other_ca).unwrap();
        assert!(
            !wrong.wait_connected(Duration::from_secs(3)),
            "an untrusted broker is refused"
        );
        store.store_batch(&[report(1, 2, 200)]).unwrap();
        assert!(agg.poll(&mut store, &mut wrong, 300).is_err());
    }
    let missing = NorthboundConfig {
        ca_file: "/nonexistent/ca.pem".into(),
        ..good
    };
    let e = MqttNorthbound::start("gw-tls", &missing).unwrap_err();
    assert!(e.to_string().contains("northbound.ca_file"), "{e}");
}

/// User name and password: the broker's password listener lets the gateway in with the
/// right ones only; anonymous and wrong-password connections never come up and forwarding
/// is refused while the batch stays pending.
#[test]
fn username_and_password_are_checked_by_the_broker() {
    let Some(broker) = broker_with(false, true) else {
        return;
    };
    let consumer = Consumer::start(broker.port, "auth-consumer", "subgate");
    let auth_port = broker.auth_port.unwrap();
    let base = NorthboundConfig {
        kind: NorthboundKind::Mqtt,
        broker: format!("127.0.0.1:{auth_port}"),
        timeout_ms: 2_000,
        ..NorthboundConfig::default()
    };
    let agg = Aggregator::new(BatchLimits {
        max_reports: 1,
        max_bytes: 1 << 20,
        max_age_us: 1,
    })
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    store.store_batch(&[report(2, 1, 10)]).unwrap();
    for (user, password, what) in [
        ("", "", "anonymous"),
        (broker::USER, "not-the-password", "wrong password"),
    ] {
        let cfg = NorthboundConfig {
            username: user.into(),
            password: password.into(),
            client_id: format!("gw-auth-{}", what.replace(' ', "-")),
            ..base.clone()
        };
        let mut north = MqttNorthbound::start("gw-auth", &cfg).unwrap();
        assert!(
            !north.wait_connected(Duration::from_secs(3)),
            "{what} refused"
        );
        assert!(agg.poll(&mut store, &mut north, 100).is_err(), "{what}");
    }
    assert_eq!(store.pending_batches().unwrap().len(), 1, "the batch waits");
    let good = NorthboundConfig {
        username: broker::USER.into(),
        password: broker::PASSWORD.into(),
        client_id: "gw-auth-good".into(),
        ..base
    };
    let mut north = MqttNorthbound::start("gw-auth", &good).unwrap();
    assert!(
        north.wait_connected(Duration::from_secs(10)),
        "right password accepted"
    );
    assert_eq!(agg.poll(&mut store, &mut north, 200).unwrap().forwarded, 1);
    assert!(consumer.wait_for(Duration::from_secs(10), |r| r.batches.len() == 1));
    assert!(store.pending_batches().unwrap().is_empty());
}
