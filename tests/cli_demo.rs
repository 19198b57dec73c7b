//! `subgate demo` as a new user runs it (README's first command), shortened to a quarter of
//! an hour: the built-in scenario end to end through the embedded rumqttd broker, the
//! summary the issue names, the four plots, and the Prometheus endpoint scraped while the
//! demo lingers — its counters equal to the summary's.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;

/// The number after `key ` in `line`.
fn number_after(line: &str, key: &str) -> u64 {
    let rest = line
        .split(key)
        .nth(1)
        .unwrap_or_else(|| panic!("no {key:?} in {line:?}"));
    rest.trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {key:?} in {line:?}"))
}

fn line<'a>(out: &'a [String], prefix: &str) -> &'a str {
    out.iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in\n{}", out.join("\n")))
}

fn scrape(addr: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("metrics endpoint answers");
    write!(s, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("request");
    let mut body = String::new();
    s.read_to_string(&mut body).expect("response");
    body
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[test]
fn the_demo_runs_end_to_end_with_plots_and_metrics() {
    let dir = tempdir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_subgate"))
        .current_dir(dir.path())
        .args([
            "demo",
            "--hours",
            "0.25",
            "--metrics",
            "127.0.0.1:0",
            "--linger-s",
            "20",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("subgate runs");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    // Read until the plots line: the summary is complete and the endpoint lingers.
    let mut out: Vec<String> = Vec::new();
    while !out.last().is_some_and(|l| l.starts_with("plots")) {
        match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(l) => out.push(l),
            Err(_) => {
                let _ = child.kill();
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("the demo stopped early:\n{}\n{err}", out.join("\n"));
            }
        }
    }
    let all = out.join("\n");
    let addr = line(&out, "  metrics: http://")
        .trim()
        .trim_start_matches("metrics: http://")
        .trim_end_matches("/metrics")
        .to_string();
    let text = scrape(&addr);

    // The embedded broker, named as such.
    assert!(
        all.contains("embedded rumqttd MQTT broker on 127.0.0.1:"),
        "{all}"
    );
    // Exactly once, and nearly every reading acked.
    assert!(
        all.contains("exactly once  acked but missing from the store 0 · stored twice 0"),
        "{all}"
    );
    let reports = line(&out, "reports ");
    let (made, acked, stored) = (
        number_after(reports, "made"),
        number_after(reports, "acked"),
        number_after(reports, "stored"),
    );
    assert!(made > 1000 && acked * 100 >= made * 95, "{reports}");
    assert!(stored >= acked, "{reports}");
    let terminals = line(&out, "terminals ");
    assert!(number_after(terminals, "terminals") > 200, "{terminals}");
    // PER and airtime for each of the four channels.
    for ch in [1, 3, 5, 7] {
        let l = line(&out, &format!("channel {ch:>2}    PER"));
        assert!(l.contains("airtime"), "{l}");
    }
    // What the gateway published reached the broker: nothing missing.
    let gateway = line(&out, "gateway ");
    let charging = line(&out, "charging ");
    let broker = line(&out, "at the broker");
    assert!(
        number_after(broker, "batches") >= number_after(gateway, "batches north"),
        "{gateway}\n{broker}"
    );
    let published = number_after(charging, "published");
    assert!(published > 0, "{charging}");
    assert!(
        number_after(broker, "charging records") >= published,
        "{charging}\n{broker}"
    );
    // The band second went through the whole-band receiver: every strong gateway frame
    // decoded.
    let band = line(&out, "band second");
    let gw_frames = band
        .rsplit(" and ")
        .next()
        .unwrap_or_else(|| panic!("{band}"));
    let got: u64 = gw_frames
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{band}"));
    let of = number_after(gw_frames, "of");
    assert!(of > 0 && got == of, "{band}");
    // The four plots, as PNG files of some size.
    for name in [
        "spectrogram.png",
        "constellations.png",
        "schedule.png",
        "delivery.png",
    ] {
        let p = dir.path().join("demo-out").join(name);
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}\n{all}", p.display()));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000,
            "{name}"
        );
    }
    // The endpoint serves the counters the summary printed.
    assert_eq!(
        metric(&text, "subgate_gateway_records_published_total"),
        published,
        "{text}"
    );
    assert_eq!(
        metric(&text, "subgate_gateway_reports_stored_total"),
        stored,
        "{text}"
    );
    assert_eq!(
        metric(&text, "subgate_terminal_readings_total"),
        made,
        "{text}"
    );
    assert_eq!(
        metric(&text, "subgate_gateway_beacons_total"),
        number_after(gateway, "beacons"),
        "{text}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_missing_scenario_and_a_bad_hours_value_are_refused() {
    let dir = tempdir();
    subgate(dir.path(), &["demo", "--scenario", "nope.toml"]).assert_error(&["nope.toml"]);
    subgate(dir.path(), &["demo", "--hours", "0"]).assert_error(&["--hours"]);
}

/// `subgate demo --phy | head -1`: the reader leaves after one line; the demo goes quietly.
#[test]
fn a_reader_that_stops_early_is_no_error() {
    let dir = tempdir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_subgate"))
        .current_dir(dir.path())
        .args(["demo", "--phy", "--frames", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("subgate runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut first)
        .expect("a line");
    assert!(first.starts_with("subgate PHY demo"), "{first}");
    let out = child.wait_with_output().expect("ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?} {err}", out.status);
    assert!(!err.contains("panicked"), "{err}");
}
