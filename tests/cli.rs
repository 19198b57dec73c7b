//! The `subgate` command line as a new user meets it, run as a separate process.
//!
//! What these tests prove:
//! - `--help` of the binary, `gen`, `rx` and `bench per` exits 0 and documents the key
//!   options (and writes nothing, e.g. no `per.csv`).
//! - `gen` → `rx` round trips for four set-ups (1 MHz MCS10 at 3 dB SNR with CFO and SCO;
//!   2 MHz MCS7; 1 MHz MCS0 oversampled ×4 into `ci16_le`; 2 MHz MCS3 into `ci8`): all 12
//!   frames decode with a good FCS and the right format/MCS/length, `--annotate` adds 12
//!   decoded annotations next to the 12 ground-truth ones at the same sample (± a few), and
//!   the `--pcap` file holds 12 radiotap/802.11 packets that `tshark` reads without
//!   "Malformed", with the S1G MCS and a good FCS. `tshark` is required when `CI=true`.
//! - Bad input (missing recording, truncated data, unknown datatype, malformed JSON, sample
//!   rate too low, MCS not in the format, PSDU too long, unknown `--datatype`) exits 1 with
//!   an `error:` line naming the file and the field or option, prints nothing on stdout and
//!   neither writes nor modifies any file.
//! - `subgate demo --frames 30` decodes all 60 frames.
//!
//! Every command runs with its working directory in a fresh tempdir, and each test checks
//! the exact list of files in that tempdir afterwards, so nothing is left anywhere else.
//! The last four tests are regressions for misbehaviour found while writing these (a sync
//! panic on digital silence, unchecked channel options and threshold, doubled OS errors).

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::Command;

#[test]
fn json_reader_reads_what_sigmf_needs() {
    let v = Json::parse(
        r#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"y\u00e9"}, "d": {}, "e": []} "#,
    );
    assert_eq!(
        v.get("a"),
        Some(&Json::Arr(vec![
            Json::Num(1.0),
            Json::Num(-2500.0),
            Json::Bool(true),
            Json::Bool(false),
            Json::Null
        ]))
    );
    assert_eq!(v.get("b").unwrap().str("c"), Some("x\"yé"));
    assert_eq!(v.get("d"), Some(&Json::Obj(vec![])));
    assert_eq!(v.get("e"), Some(&Json::Arr(vec![])));
}

// ---------------------------------------------------------------------------------------
// 1. help

#[test]
fn help_texts_exit_zero_and_name_the_options() {
    let dir = tempdir();
    let d = dir.path();
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--help"],
            &["Usage: subgate", "demo", "gen", "rx", "bench", "--verbose"],
        ),
        (
            &["gen", "--help"],
            &[
                "--output",
                "--format",
                "--mcs",
                "--count",
                "--length",
                "--snr",
                "--cfo-hz",
                "--sco-ppm",
                "--multipath",
                "--rate",
                "--datatype",
                "cf32_le",
                "ci16_le",
                "ci8",
                "--seed",
            ],
        ),
        (
            &["rx", "--help"],
            &[
                "[RECORDING]",
                "--band",
                "--device",
                ".sigmf-meta",
                "--format",
                "--pcap",
                "--annotate",
                "--threshold",
            ],
        ),
        (
            &["bench", "per", "--help"],
            &[
                "--format",
                "--mcs",
                "--frames",
                "--step",
                "--multipath",
                "--no-genie",
                "--csv",
                "--png",
            ],
        ),
    ];
    for (args, needles) in cases {
        let r = subgate(d, args);
        r.assert_ok();
        for n in needles {
            assert!(r.stdout.contains(n), "help lacks {n:?}\n{}", r.context());
        }
    }
    let v = subgate(d, &["--version"]);
    v.assert_ok();
    assert!(v.stdout.starts_with("subgate "), "{}", v.context());
    assert_files(d, &[]);
}

// ---------------------------------------------------------------------------------------
// 2. gen → rx round trips

const FRAMES: usize = 12;

/// One `gen` set-up: extra `gen` options, format name for `rx`, MCS, rate vs native.
struct Case<'a> {
    gen: &'a [&'a str],
    format: &'a str,
    mcs: u32,
    oversampling: u64,
}

/// Parses `rx`'s table into (sample, format, MCS, bytes) and its "N frames with good FCS".
fn parse_rx_stdout(r: &Run) -> (Vec<(u64, String, u32, usize)>, usize) {
    let lines: Vec<&str> = r.stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("sample") && l.contains("MCS"))
        .unwrap_or_else(|| panic!("no table header\n{}", r.context()));
    let mut rows = Vec::new();
    for l in &lines[header + 1..] {
        if l.trim().is_empty() {
            break;
        }
        let c: Vec<&str> = l.split_whitespace().collect();
        assert!(c.len() >= 10, "short table row {l:?}\n{}", r.context());
        rows.push((
            c[1].parse().expect("sample column"),
            c[3].to_string(),
            c[4].parse().expect("MCS column"),
            c[5].parse().expect("bytes column"),
        ));
    }
    let summary = lines
        .iter()
        .find(|l| l.contains(" frames with good FCS"))
        .unwrap_or_else(|| panic!("no summary line\n{}", r.context()));
    let good = summary
        .split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("summary line {summary:?} does not start with a count"));
    (rows, good)
}

/// `true` if tshark runs; missing tshark fails the test when `CI=true`.
fn have_tshark() -> bool {
    match Command::new("tshark").arg("--version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "tshark is not on PATH but CI=true: install it (Debian package tshark)"
            );
            eprintln!("note: tshark not on PATH, pcap dissection not checked");
            false
        }
    }
}

fn check_pcap(pcap: &Path, mcs: u32) {
    let bytes = fs::read(pcap).expect("read pcap");
    assert_eq!(
        &bytes[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "pcap magic (little-endian 0xa1b2c3d4)"
    );
    assert_eq!(
        u32::from_le_bytes(bytes[20..24].try_into().unwrap()),
        127,
        "link type 802.11 + radiotap"
    );
    if !have_tshark() {
        return;
    }
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .output()
        .expect("run tshark");
    let listing = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark failed: {err}");
    let packets = listing.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(packets, FRAMES, "tshark listing:\n{listing}");
    assert!(
        !listing.contains("Malformed") && !err.contains("Malformed"),
        "tshark finds malformed packets:\n{listing}\n{err}"
    );
    // with FCS validation on: every packet carries the S1G MCS and a good FCS (status 1)
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-o", "wlan.check_checksum:TRUE", "-T", "fields"])
        .args(["-e", "radiotap.s1g.mcs", "-e", "wlan.fcs.status"])
        .output()
        .expect("run tshark");
    let fields = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "tshark -T fields failed");
    let lines: Vec<&str> = fields.lines().collect();
    assert_eq!(lines.len(), FRAMES, "tshark fields:\n{fields}");
    for l in lines {
        assert_eq!(
            l,
            format!("{mcs}\t1"),
            "tshark fields (MCS, FCS status):\n{fields}"
        );
    }
}

fn round_trip(c: Case) {
    let dir = tempdir();
    let d = dir.path();
    let count = FRAMES.to_string();
    let mut gen = vec!["gen", "-o", "x", "--count", &count];
    gen.extend_from_slice(c.gen);
    let g = subgate(d, &gen);
    g.assert_ok();
    assert!(
        g.stdout.contains(&format!("wrote {FRAMES} frames")),
        "{}",
        g.context()
    );
    assert_files(d, &["x.sigmf-data", "x.sigmf-meta"]);

    let r = subgate(
        d,
        &[
            "rx",
            "x",
            "--format",
            c.format,
            "--pcap",
            "x.pcap",
            "--annotate",
        ],
    );
    r.assert_ok();
    let (rows, good) = parse_rx_stdout(&r);
    assert_eq!(good, FRAMES, "frames with good FCS\n{}", r.context());
    assert_eq!(rows.len(), FRAMES, "table rows\n{}", r.context());
    let format_name = if c.format == "1m" {
        "S1G_1M"
    } else {
        "S1G_SHORT_2M"
    };
    for (_, f, m, bytes) in &rows {
        assert_eq!(
            (f.as_str(), *m, *bytes),
            (format_name, c.mcs, 100),
            "{}",
            r.context()
        );
    }
    assert_files(d, &["x.pcap", "x.sigmf-data", "x.sigmf-meta"]);

    // metadata: 12 ground-truth + 12 decoded annotations at matching samples
    let meta = Json::parse(&fs::read_to_string(d.join("x.sigmf-meta")).unwrap());
    let Some(Json::Arr(anns)) = meta.get("annotations") else {
        panic!("no annotations array in the metadata");
    };
    let (truth, decoded): (Vec<&Json>, Vec<&Json>) = anns
        .iter()
        .partition(|a| a.str("core:label").is_some_and(|l| l.starts_with("tx ")));
    assert_eq!(truth.len(), FRAMES, "ground-truth annotations");
    assert_eq!(decoded.len(), FRAMES, "decoded annotations");
    let label = format!("{format_name} MCS{} 100B", c.mcs);
    for a in &truth {
        assert_eq!(a.str("core:label"), Some(format!("tx {label}").as_str()));
    }
    for a in &decoded {
        assert_eq!(a.str("core:label"), Some(label.as_str()), "{a:?}");
        assert_eq!(a.num("subgate:mcs"), Some(c.mcs as f64), "{a:?}");
        assert_eq!(a.get("subgate:fcs_ok"), Some(&Json::Bool(true)), "{a:?}");
        assert_eq!(a.str("core:comment"), None, "{a:?}");
    }
    let start = |a: &&Json| a.num("core:sample_start").expect("core:sample_start") as i64;
    let mut t: Vec<i64> = truth.iter().map(start).collect();
    let mut s: Vec<i64> = decoded.iter().map(start).collect();
    t.sort_unstable();
    s.sort_unstable();
    let tol = 4 * c.oversampling as i64;
    for (k, (t, s)) in t.iter().zip(&s).enumerate() {
        assert!(
            (t - s).abs() <= tol,
            "frame {k}: decoded at sample {s}, sent at {t} (tolerance {tol})"
        );
    }
    // the table prints the same sample indices as the annotations
    let mut table: Vec<i64> = rows.iter().map(|r| r.0 as i64).collect();
    table.sort_unstable();
    assert_eq!(table, s, "table samples vs annotation samples");
    // the metadata still describes the recording
    let global = meta.get("global").expect("global");
    assert!(global.str("core:datatype").is_some());

    check_pcap(&d.join("x.pcap"), c.mcs);
}

#[test]
fn round_trip_1m_mcs10_low_snr_with_cfo_and_sco() {
    round_trip(Case {
        gen: &[
            "--format",
            "1m",
            "--mcs",
            "10",
            "--snr",
            "3",
            "--cfo-hz",
            "20000",
            "--sco-ppm",
            "20",
        ],
        format: "1m",
        mcs: 10,
        oversampling: 1,
    });
}

#[test]
fn round_trip_2m_mcs7() {
    round_trip(Case {
        gen: &["--format", "2m", "--mcs", "7", "--snr", "30"],
        format: "2m",
        mcs: 7,
        oversampling: 1,
    });
}

#[test]
fn round_trip_1m_mcs0_oversampled_ci16() {
    round_trip(Case {
        gen: &[
            "--format",
            "1m",
            "--mcs",
            "0",
            "--rate",
            "4e6",
            "--datatype",
            "ci16_le",
        ],
        format: "1m",
        mcs: 0,
        oversampling: 4,
    });
}

#[test]
fn round_trip_2m_mcs3_ci8() {
    round_trip(Case {
        gen: &[
            "--format",
            "2m",
            "--mcs",
            "3",
            "--datatype",
            "ci8",
            "--rate",
            "2e6",
            "--snr",
            "25",
        ],
        format: "2m",
        mcs: 3,
        oversampling: 1,
    });
}

// ---------------------------------------------------------------------------------------
// 3. bad input

#[test]
fn rx_missing_recording() {
    let dir = tempdir();
    let d = dir.path();
    subgate(d, &["rx", "nothere"]).assert_error(&["nothere.sigmf-meta", "not found"]);
    subgate(d, &["rx", "nothere.sigmf-data"]).assert_error(&["nothere.sigmf-meta", "not found"]);
    assert_files(d, &[]);
}

#[test]
fn rx_data_not_a_whole_number_of_samples() {
    let dir = tempdir();
    let d = dir.path();
    small_recording(d);
    let data = d.join("x.sigmf-data");
    let bytes = fs::read(&data).unwrap();
    let cut = bytes.len() - 3;
    fs::write(&data, &bytes[..cut]).unwrap();
    let meta_before = fs::read(d.join("x.sigmf-meta")).unwrap();
    subgate(d, &["rx", "x", "--annotate"]).assert_error(&[
        "x.sigmf-data",
        &format!("{cut} bytes"),
        "not a whole number",
        "cf32_le",
        &format!("{} bytes left over", cut % 8),
    ]);
    assert_eq!(fs::read(d.join("x.sigmf-meta")).unwrap(), meta_before);
    assert_files(d, &["x.sigmf-data", "x.sigmf-meta"]);
}

#[test]
fn rx_unknown_datatype() {
    let dir = tempdir();
    let d = dir.path();
    small_recording(d);
    let meta = d.join("x.sigmf-meta");
    let text = fs::read_to_string(&meta).unwrap();
    assert!(text.contains("\"cf32_le\""));
    fs::write(&meta, text.replace("\"cf32_le\"", "\"cf99\"")).unwrap();
    subgate(d, &["rx", "x"]).assert_error(&[
        "x.sigmf-meta",
        "global.core:datatype",
        "cf99",
        "cf32_le",
    ]);
    assert_files(d, &["x.sigmf-data", "x.sigmf-meta"]);
}

#[test]
fn rx_malformed_json() {
    let dir = tempdir();
    let d = dir.path();
    small_recording(d);
    let meta = d.join("x.sigmf-meta");
    let text = fs::read_to_string(&meta).unwrap();
    fs::write(&meta, &text[..text.len() / 2]).unwrap();
    subgate(d, &["rx", "x.sigmf-meta"]).assert_error(&[
        "x.sigmf-meta",
        "malformed JSON",
        "line ",
        "column ",
    ]);
    assert_files(d, &["x.sigmf-data", "x.sigmf-meta"]);
}

#[test]
fn rx_sample_rate_too_low_for_format() {
    let dir = tempdir();
    let d = dir.path();
    small_recording(d); // 1 Msps
    subgate(d, &["rx", "x", "--format", "2m", "--pcap", "x.pcap"]).assert_error(&[
        "x.sigmf-meta",
        "global.core:sample_rate",
        "1000000",
        "2000000",
    ]);
    assert_files(d, &["x.sigmf-data", "x.sigmf-meta"]);
}

#[test]
fn gen_mcs10_is_not_a_2m_mcs() {
    let dir = tempdir();
    let d = dir.path();
    subgate(d, &["gen", "-o", "x", "--mcs", "10", "--format", "2m"]).assert_error(&[
        "MCS10",
        "S1G_SHORT_2M",
        "MCS0-8",
    ]);
    assert_files(d, &[]);
}

#[test]
fn gen_length_too_long() {
    let dir = tempdir();
    let d = dir.path();
    // names the value and the limit (the message speaks of "PSDU", not of --length)
    subgate(d, &["gen", "-o", "x", "--length", "5000"]).assert_error(&[
        "5000",
        "S1G_1M MCS0",
        "at most",
    ]);
    assert_files(d, &[]);
}

#[test]
fn gen_unknown_datatype() {
    let dir = tempdir();
    let d = dir.path();
    subgate(d, &["gen", "-o", "x", "--datatype", "foo"]).assert_error(&[
        "--datatype",
        "\"foo\"",
        "cf32_le",
        "ci16_le",
        "ci8",
    ]);
    assert_files(d, &[]);
}

// ---------------------------------------------------------------------------------------
// 4. demo

#[test]
fn demo_decodes_every_frame() {
    let dir = tempdir();
    let d = dir.path();
    let r = subgate(d, &["demo", "--phy", "--frames", "30"]);
    r.assert_ok();
    let last = r.stdout.lines().rev().find(|l| !l.trim().is_empty());
    assert!(
        last.is_some_and(|l| l.starts_with("total: 60 of 60 frames decoded")),
        "{}",
        r.context()
    );
    assert_files(d, &[]);
}

// ---------------------------------------------------------------------------------------
// misbehaviour found while writing these tests

/// Writes a 1 Msps ci16_le recording `z`: 1000 zero samples, a 160-sample burst with an
/// 8-sample period (what the STF detector looks for at 1 MHz), then 4000 zero samples.
fn periodic_burst_then_silence(dir: &Path) {
    let mut data = vec![0u8; 4 * 1000];
    let pattern: [(i16, i16); 8] = [
        (5000, -3000),
        (-7000, 1000),
        (2000, 6000),
        (-1000, -5000),
        (4000, 4000),
        (-6000, -2000),
        (3000, -7000),
        (-2000, 2000),
    ];
    for _ in 0..20 {
        for (i, q) in pattern {
            data.extend_from_slice(&i.to_le_bytes());
            data.extend_from_slice(&q.to_le_bytes());
        }
    }
    data.extend_from_slice(&vec![0u8; 4 * 4000]);
    fs::write(dir.join("z.sigmf-data"), data).unwrap();
    fs::write(
        dir.join("z.sigmf-meta"),
        r#"{"global": {"core:datatype": "ci16_le", "core:sample_rate": 1000000, "core:version": "1.0.0"}, "captures": [], "annotations": []}"#,
    )
    .unwrap();
}

/// Regression: an all-zero LTF search window once made sync underflow and panic.
#[test]
fn rx_survives_periodic_burst_then_digital_silence() {
    let dir = tempdir();
    let d = dir.path();
    periodic_burst_then_silence(d);
    let r = subgate(d, &["rx", "z"]);
    r.assert_ok();
    let (rows, good) = parse_rx_stdout(&r);
    assert_eq!((rows.len(), good), (0, 0), "{}", r.context());
    assert_files(d, &["z.sigmf-data", "z.sigmf-meta"]);
}

#[test]
fn gen_rejects_non_finite_channel_parameters() {
    let dir = tempdir();
    let d = dir.path();
    for (opt, v) in [
        ("--snr", "nan"),
        ("--cfo-hz", "nan"),
        ("--sco-ppm", "inf"),
        ("--sco-ppm", "-1000000"),
    ] {
        subgate(d, &["gen", "-o", "x", "--count", "1", opt, v]).assert_error(&[opt]);
    }
    assert_files(d, &[]);
}

#[test]
fn rx_rejects_threshold_outside_0_1() {
    let dir = tempdir();
    let d = dir.path();
    small_recording(d);
    for v in ["5", "nan", "-0.5"] {
        let r = subgate(d, &["rx", "x", "--threshold", v]);
        assert_ne!(r.code, Some(0), "{}", r.context());
        assert!(r.stderr.contains("--threshold"), "{}", r.context());
    }
}

#[test]
fn io_errors_state_the_os_error_once() {
    let dir = tempdir();
    let d = dir.path();
    let r = subgate(d, &["rx", "nothere"]);
    assert_eq!(r.stderr.matches("os error 2").count(), 1, "{}", r.context());
    let r = subgate(d, &["gen", "-o", "nodir/x", "--count", "1"]);
    assert_eq!(r.code, Some(1), "{}", r.context());
    assert_eq!(r.stderr.matches("os error 2").count(), 1, "{}", r.context());
    assert_files(d, &[]);
}
