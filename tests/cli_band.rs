//! The whole-band path from the command line, as a new user meets it: `subgate bands`,
//! `subgate radios`, `subgate gen --band us` → `subgate rx --band us` with every frame on
//! its own channel (checked against the recording's ground-truth annotations), and bad
//! input (a recording of another band, a rate the channelizer cannot split, a stream too
//! narrow for the band, an unknown band) refused with an `error:` line.

mod common;

use common::*;
use std::path::Path;

/// The ground truth `gen --band` wrote: (channel, first sample) per frame.
fn truth(dir: &Path, base: &str) -> Vec<(u16, u64)> {
    let meta = std::fs::read_to_string(dir.join(format!("{base}.sigmf-meta"))).expect("meta");
    let json = Json::parse(&meta);
    let Some(Json::Arr(anns)) = json.get("annotations") else {
        panic!("no annotations in {meta}");
    };
    anns.iter()
        .filter_map(|a| {
            let label = a.str("core:label")?;
            let ch = label
                .strip_prefix("tx ch ")?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            Some((ch, a.num("core:sample_start")? as u64))
        })
        .collect()
}

#[test]
fn band_recording_decodes_every_frame_on_its_channel() {
    let dir = tempdir();
    let d = dir.path();
    subgate(
        d,
        &[
            "gen",
            "-o",
            "us",
            "--band",
            "us",
            "--count",
            "3",
            "--mcs-mix",
            "0,2,10",
            "--snr",
            "12",
            "--snr-spread",
            "10",
            "--cfo-hz",
            "15000",
            "--sco-ppm",
            "10",
            "--datatype",
            "ci16_le",
        ],
    )
    .assert_ok();
    let sent = truth(d, "us");
    assert_eq!(sent.len(), 26 * 3);
    let r = subgate(
        d,
        &[
            "rx",
            "us",
            "--band",
            "us",
            "--pcap",
            "us.pcap",
            "--annotate",
        ],
    );
    r.assert_ok();
    let got = band_frames(&r);
    assert_eq!(got.len(), sent.len(), "{}", r.context());
    for (ch, start) in &sent {
        assert!(
            got.iter()
                .any(|(s, c, _, _)| c == ch && s.abs_diff(*start) <= 100),
            "frame on channel {ch} at {start} not decoded there\n{}",
            r.context()
        );
    }
    assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "time order");
    assert!(
        r.stdout.contains("78 frames on 26 channels"),
        "{}",
        r.context()
    );
    // --annotate: a decoded annotation beside each ground-truth one, same start (± a few
    // samples) and the same channel edges
    let meta = std::fs::read_to_string(d.join("us.sigmf-meta")).expect("meta");
    let Some(Json::Arr(anns)) = Json::parse(&meta).get("annotations").cloned() else {
        panic!("no annotations in {meta}");
    };
    let edges = |a: &Json| {
        (
            a.num("core:sample_start").unwrap_or(-1.0),
            a.num("core:freq_lower_edge").unwrap_or(-1.0),
            a.num("core:freq_upper_edge").unwrap_or(-1.0),
        )
    };
    let (tx, decoded): (Vec<&Json>, Vec<&Json>) = anns
        .iter()
        .partition(|a| a.str("core:label").is_some_and(|l| l.starts_with("tx ")));
    assert_eq!((tx.len(), decoded.len()), (78, 78));
    for t in &tx {
        let (start, lo, hi) = edges(t);
        assert!(
            decoded.iter().any(|a| {
                let (s, l, h) = edges(a);
                (s - start).abs() <= 100.0 && l == lo && h == hi
            }),
            "no decoded annotation for {start} {lo}-{hi}"
        );
    }
    assert_files(d, &["us.pcap", "us.sigmf-data", "us.sigmf-meta"]);
}

#[test]
fn bands_and_radios_are_listed() {
    let dir = tempdir();
    let r = subgate(dir.path(), &["bands"]);
    r.assert_ok();
    for name in ["us", "eu", "jp", "kr", "cn"] {
        assert!(
            r.stdout.lines().any(|l| l.starts_with(name)),
            "{name}\n{}",
            r.context()
        );
    }
    let r = subgate(dir.path(), &["bands", "us"]);
    r.assert_ok();
    assert!(
        r.stdout.contains("927.5") && r.stdout.contains("sources:"),
        "{}",
        r.context()
    );
    let r = subgate(dir.path(), &["radios", "--band", "us"]);
    r.assert_ok();
    for name in ["hackrf", "usrp-b200", "usrp-b210", "limesdr-mini-v2"] {
        assert!(r.stdout.contains(name), "{name}\n{}", r.context());
    }
    assert!(r.stdout.contains("26 of 26 channels"), "{}", r.context());
    subgate(dir.path(), &["bands", "mars"]).assert_error(&["mars"]);
    assert_files(dir.path(), &[]);
}

#[test]
fn a_recording_of_another_band_is_refused() {
    let dir = tempdir();
    let d = dir.path();
    subgate(d, &["gen", "-o", "eu", "--band", "eu", "--count", "1"]).assert_ok();
    subgate(d, &["rx", "eu", "--band", "us"]).assert_error(&[
        "no whole channel",
        "us band",
        "865.5 MHz",
    ]);
    subgate(d, &["rx", "eu", "--band", "mars"]).assert_error(&["unknown band", "mars"]);
    // the right band decodes
    let r = subgate(d, &["rx", "eu", "--band", "eu"]);
    r.assert_ok();
    assert_eq!(band_frames(&r).len(), 5, "{}", r.context());
    assert_files(d, &["eu.sigmf-data", "eu.sigmf-meta"]);
}

#[test]
fn rates_the_band_does_not_fit_are_refused() {
    let dir = tempdir();
    let d = dir.path();
    subgate(d, &["gen", "-o", "x", "--band", "us", "--rate", "20e6"])
        .assert_error(&["does not carry channels", "26 Msps"]);
    assert_files(d, &[]);
    // a rate that carries the band but is no whole multiple of 1 MHz
    subgate(
        d,
        &[
            "gen", "-o", "odd", "--band", "us", "--count", "1", "--rate", "26.5e6",
        ],
    )
    .assert_ok();
    subgate(d, &["rx", "odd", "--band", "us"]).assert_error(&["26.5 Msps", "multiple of 1 MHz"]);
    assert_files(d, &["odd.sigmf-data", "odd.sigmf-meta"]);
}
