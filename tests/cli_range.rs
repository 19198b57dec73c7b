//! `subgate bench range` as a user runs it: two rings of meters at IQ level, one well inside
//! and one well outside MCS10's reach, the table, the reach line and the plot.

mod common;

use common::*;

#[test]
fn bench_range_reports_the_reach_and_draws_the_plot() {
    let dir = tempdir();
    let d = dir.path();
    let r = subgate(
        d,
        &[
            "bench",
            "range",
            "--from-m",
            "400",
            "--to-m",
            "4000",
            "--step-m",
            "3600",
            "--per-ring",
            "2",
            "--hours",
            "0.1",
            "--png",
            "range.png",
        ],
    );
    r.assert_ok();
    let row = |m: &str| {
        r.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(m))
            .unwrap_or_else(|| panic!("no row for {m}\n{}", r.context()))
            .to_string()
    };
    assert!(row("400 m").contains("100.00 %"), "{}", r.context());
    assert!(row("4000 m").contains("0.00 %"), "{}", r.context());
    assert!(
        r.stdout.contains("≥ 99 % delivered out to 400 m"),
        "{}",
        r.context()
    );
    assert!(
        r.stdout.contains("-98 dBm would reach 842 m"),
        "{}",
        r.context()
    );
    let png = std::fs::read(d.join("range.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    subgate(d, &["bench", "range", "--mcs", "9"]).assert_error(&["MCS9"]);
}
