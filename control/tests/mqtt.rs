//! The MQTT northbound against a real mosquitto on loopback (`.ci/run` installs it): every
//! stored report reaches a subscriber at least once, each batch identified by its id, across
//! a broker killed with SIGKILL mid-stream and restarted — the store is the outbox.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use subgate_control::aggregate::{Aggregator, BatchLimits};
use subgate_control::config::{NorthboundConfig, NorthboundKind};
use subgate_control::northbound::{BatchPayload, MqttNorthbound};
use subgate_control::store::{IncomingReport, Store};
use subgate_control::wire::m2m::{DataFormat, ReportRepr, Sid};
use subgate_control::wire::MacAddr;

/// mosquitto's path, or `None` (test skipped) when it is missing and CI is not set.
fn mosquitto() -> Option<&'static str> {
    let path = "/usr/sbin/mosquitto";
    if Path::new(path).exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "mosquitto not installed but CI=true"
    );
    println!("mosquitto not installed: test skipped");
    None
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A mosquitto on 127.0.0.1:`port`, persistence in `dir`.
fn start_broker(bin: &str, dir: &Path, port: u16) -> Child {
    let conf = dir.join("mosquitto.conf");
    let mut f = std::fs::File::create(&conf).unwrap();
    write!(
        f,
        "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n\
         persistence_location {}/\nuser root\nlog_dest none\n",
        dir.display()
    )
    .unwrap();
    let child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "mosquitto did not open port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// A QoS 1 subscriber with a persistent session that resubscribes on every CONNACK and
/// collects the payloads.
fn subscriber(port: u16) -> Arc<Mutex<Vec<BatchPayload>>> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let mut opts = MqttOptions::new("test-consumer", "127.0.0.1", port);
    opts.set_clean_session(false)
        .set_keep_alive(Duration::from_secs(5))
        .set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut conn) = Client::new(opts, 64);
    let sink = got.clone();
    std::thread::spawn(move || {
        for ev in conn.iter() {
            match ev {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_subscribe("subgate/+/batches", QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if let Ok(b) = serde_json::from_slice::<BatchPayload>(&p.payload) {
                        sink.lock().unwrap().push(b);
                    }
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    });
    got
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

fn keys(got: &[BatchPayload]) -> BTreeSet<(String, u32)> {
    got.iter()
        .flat_map(|b| b.reports.iter().map(|r| (r.terminal.clone(), r.sequence)))
        .collect()
}

#[test]
fn broker_killed_mid_stream_loses_no_stored_report() {
    let Some(bin) = mosquitto() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut broker = start_broker(bin, dir.path(), port);
    let got = subscriber(port);

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
            let end = Instant::now() + Duration::from_secs(5);
            while keys(&got.lock().unwrap()).len() < acked && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            broker.kill().unwrap();
            broker.wait().unwrap();
        }
        if round == 100 {
            broker = start_broker(bin, dir.path(), port);
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
    while keys(&got.lock().unwrap()) != expected && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = got.lock().unwrap().clone();
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
    assert_eq!(keys(&got), expected, "every stored report arrives");
    assert_eq!(by_id.len(), stored_batches.len(), "every batch arrives");
    let received: usize = by_id.values().map(|b| b.reports.len()).sum();
    assert_eq!(received, expected.len(), "no report in two batches");
    let _ = broker.kill();
    let _ = broker.wait();
}
