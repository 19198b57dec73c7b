//! `subgate sim --scenario` as a user runs it: the street of 50 meters at IQ level from its
//! TOML file, a bad scenario refused with the key, and every shipped scenario loading.

mod common;

use common::*;
use subgate_testbench::scenario::Scenario;

fn scenarios() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testbench/scenarios")
}

#[test]
fn the_street_scenario_runs_at_iq_level() {
    let dir = tempdir();
    let street = scenarios().join("street.toml");
    let r = subgate(
        dir.path(),
        &[
            "sim",
            "--scenario",
            street.to_str().unwrap(),
            "--db",
            "street.db",
        ],
    );
    r.assert_ok();
    assert!(
        r.stderr.contains("every reception through the PHY"),
        "{}",
        r.context()
    );
    assert!(
        r.stdout
            .contains("exactly once     acked but missing 0 · stored twice 0"),
        "{}",
        r.context()
    );
    let links = r
        .stdout
        .lines()
        .find(|l| l.starts_with("links"))
        .unwrap_or_else(|| panic!("no links line\n{}", r.context()));
    // "links  N of 50 meters joined · readings made M · acked K (P %)"
    let pct: f64 = links
        .rsplit('(')
        .next()
        .and_then(|x| x.split(' ').next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("{links}"));
    assert!(pct >= 99.0, "{links}");
    assert!(dir.path().join("street.db").exists());
}

#[test]
fn a_bad_scenario_is_refused_with_its_key() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"x\"\nhours = 1\nterminals = 5\n[medium]\nkind = \"radio\"\n[[service]]\nname = \"m\"\nperiod_s = 60\ndata_amount = 8\n",
    )
    .unwrap();
    subgate(dir.path(), &["sim", "--scenario", "bad.toml"])
        .assert_error(&["bad.toml", "medium.kind"]);
    subgate(dir.path(), &["sim", "--scenario", "missing.toml"])
        .assert_error(&["missing.toml", "cannot read"]);
}

#[test]
fn every_shipped_scenario_loads() {
    let mut n = 0;
    for e in std::fs::read_dir(scenarios()).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!s.name.is_empty());
            n += 1;
        }
    }
    assert!(n >= 2);
}

/// The broker-outage scenario as a user runs it: a real mosquitto stopped for 30 s while 200
/// meters report in real time; every acked reading reaches the platform's consumer.
#[test]
fn the_broker_outage_scenario_loses_nothing() {
    let dir = tempdir();
    let file = scenarios().join("broker-outage.toml");
    let r = subgate(dir.path(), &["sim", "--scenario", file.to_str().unwrap()]);
    r.assert_ok();
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("northbound: 200 terminals"))
        .unwrap_or_else(|| panic!("no outage line\n{}", r.context()));
    // "... N reports acked (M while the broker was down 30 s, ...); K received by the consumer; lost 0"
    assert!(line.ends_with("lost 0"), "{line}");
    let during: u64 = line
        .split(" (")
        .nth(1)
        .and_then(|x| x.split(' ').next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        during > 50,
        "readings were acked while the broker was down: {line}"
    );
    assert!(
        r.stdout
            .contains("exactly once     acked but missing 0 · stored twice 0"),
        "{}",
        r.context()
    );
    // With --mqtt the scenario's own broker would be bypassed: refused.
    subgate(
        dir.path(),
        &[
            "sim",
            "--scenario",
            file.to_str().unwrap(),
            "--mqtt",
            "127.0.0.1:1",
        ],
    )
    .assert_error(&["[outage]", "--mqtt"]);
}
