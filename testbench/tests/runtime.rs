//! The tokio runtime of the gateway (`control::gateway::runtime`) on tokio's paused clock: one
//! virtual terminal joins through it, reports every minute and gets its reports acked, and
//! every acked report is in the store.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use subgate_control::aggregate::MemoryNorthbound;
use subgate_control::config::Config;
use subgate_control::gateway::runtime::{run, Received};
use subgate_control::gateway::Gateway;
use subgate_control::registrar::Psk;
use subgate_control::store::Store;
use subgate_control::wire::m2m::{DataFormat, ServiceInfoRepr, Sid};
use subgate_control::wire::MacAddr;
use subgate_dsp::Mcs;
use subgate_testbench::terminal::{Discovery, Phase, Terminal, TerminalConfig};
use subgate_testbench::M2mServerEmulator;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Duration, Instant};

const PSK: &str = "00112233445566778899aabbccddeeff";

#[tokio::test(start_paused = true)]
async fn a_terminal_joins_and_reports_through_the_tokio_runtime() {
    let mut cfg = Config::default();
    cfg.service.sids = vec!["service:meter".into()];
    cfg.registrar.psk = [("acme".to_string(), PSK.to_string())].into();
    let user = Sid::user("acme").unwrap();
    let psk = Psk::from_hex(PSK).unwrap();
    let server = M2mServerEmulator::new()
        .with_user(user.clone(), psk.clone())
        .with_service(
            Sid::service("meter").unwrap(),
            ServiceInfoRepr {
                report_period: 60,
                data_format: DataFormat::Opaque,
                data_amount: 24,
                server: None,
            },
        );
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::new(
        &cfg,
        Box::new(server),
        Store::open(dir.path().join("r.db")).unwrap(),
        Box::new(MemoryNorthbound::new()),
        3,
    )
    .unwrap();
    let timeline = gw.timeline();
    let (to_gw, from_radio) = mpsc::channel(1024);
    let (to_radio, mut from_gw) = mpsc::channel(1024);
    let task = tokio::spawn(run(gw, from_radio, to_radio));
    let start = Instant::now();
    let elapsed = || u64::try_from(start.elapsed().as_micros()).unwrap();

    let mut term = Terminal::new(TerminalConfig {
        mac: MacAddr([2, 0, 0, 0, 0x10, 1]),
        user,
        psk,
        path: subgate_control::wire::m2m::RegistrationPath::M2mServer,
        eap: false,
        service: Sid::service("meter").unwrap(),
        discovery: Discovery::Active,
        channel: 1,
        scan_channels: Vec::new(),
        boot_us: 0,
        own_window_offset_us: None,
        wait_for_indication: false,
        timeline,
        format: cfg.phy_format(),
        mcs: Mcs(0),
        ack_timeout_us: 6_000_000,
        seed: 11,
        pmk: None,
        clock_ppm: 0.0,
        resync_on_beacon: true,
    });
    // Frames in flight, delivered at their end: (end µs, channel, PSDU).
    let mut down: BinaryHeap<Reverse<(u64, u8, Vec<u8>)>> = BinaryHeap::new();
    let mut up: BinaryHeap<Reverse<(u64, u8, Vec<u8>)>> = BinaryHeap::new();
    while term.acked().len() < 5 && elapsed() < 15 * 60_000_000 {
        let next = [
            term.next_timer(),
            down.peek().map(|r| r.0 .0),
            up.peek().map(|r| r.0 .0),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(u64::MAX / 4);
        tokio::select! {
            Some(t) = from_gw.recv() => {
                down.push(Reverse((t.at_us + t.airtime_us, t.channel, t.request.psdu)));
            }
            () = sleep_until(start + Duration::from_micros(next)) => {
                let now = elapsed();
                while up.peek().is_some_and(|r| r.0 .0 <= now) {
                    let Reverse((end_us, channel, psdu)) = up.pop().unwrap();
                    to_gw.send(Received { channel, end_us, psdu }).await.unwrap();
                }
                while down.peek().is_some_and(|r| r.0 .0 <= now) {
                    let Reverse((end, channel, psdu)) = down.pop().unwrap();
                    term.on_frame(end, channel, &psdu);
                }
                if term.next_timer().is_some_and(|t| t <= now) {
                    term.on_timer(now);
                }
            }
        }
        for (at, ch, psdu, air) in term.drain() {
            up.push(Reverse((at + air, ch, psdu)));
        }
    }
    assert_eq!(term.phase(), Phase::Reporting);
    assert!(term.acked().len() >= 5, "acked {:?}", term.acked());
    drop(to_gw);
    let gw = task.await.unwrap();
    let stored: Vec<u32> = gw
        .store()
        .reports_of(term.mac())
        .unwrap()
        .iter()
        .map(|r| r.report.sequence)
        .collect();
    for s in term.acked() {
        assert!(stored.contains(s), "acked report {s} not stored");
    }
    assert!(gw.stats().beacons > 60, "beacons every superframe");
    assert_eq!(gw.stats().associated, 1);
}
