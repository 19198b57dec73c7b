//! The whole-band receiver through the real SoapySDR library, without hardware: subgate's
//! replay device module (`drivers/soapy-replay/replay.cpp`, compiled here with g++ against
//! libSoapySDR and loaded through `SOAPY_SDR_PLUGIN_PATH`) plays a `gen --band us`
//! recording back, so enumeration, stream set-up, rate and frequency settings, timestamps,
//! timeouts and overflow flags all go through SoapySDR itself.
//!
//! - `rx --device` decodes exactly the frames `rx` decodes from the file (same channels,
//!   same sample indices);
//! - an overflow injected by the device is reported (count and samples lost, measured from
//!   the timestamps) and the frames clear of the gap keep their sample indices;
//! - `record` captures the band into a SigMF recording that decodes like the original;
//! - a device that fails to open, a device string nothing matches, and a recording whose
//!   rate or centre frequency the band needs otherwise are refused with an `error:` line.
#![cfg(feature = "soapy")]

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Compiles the replay module once per test run; returns the directory it is in.
fn plugin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("soapy-plugins");
        std::fs::create_dir_all(&dir).expect("plugin dir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("drivers/soapy-replay/replay.cpp");
        let flags = Command::new("pkg-config")
            .args(["--cflags", "--libs", "SoapySDR"])
            .output()
            .expect("pkg-config (Debian package pkg-config) must be installed");
        assert!(
            flags.status.success(),
            "pkg-config finds no SoapySDR: install libsoapysdr-dev"
        );
        let flags = String::from_utf8_lossy(&flags.stdout).to_string();
        let out = Command::new("g++")
            .args([
                "-std=c++17",
                "-O2",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-shared",
                "-fPIC",
            ])
            .arg(&src)
            .arg("-o")
            .arg(dir.join("libsubgateReplay.so"))
            .args(flags.split_whitespace())
            .output()
            .expect("g++ must be installed");
        assert!(
            out.status.success(),
            "building the replay module failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

fn soapy(dir: &Path, args: &[&str]) -> Run {
    let plugins = plugin_dir().to_string_lossy().into_owned();
    subgate_env(dir, args, &[("SOAPY_SDR_PLUGIN_PATH", plugins.as_str())])
}

/// A US-band recording `us` (ci16, 26 Msps at 915 MHz) in `dir`; its frames decoded from the
/// file, and the device string that replays it.
fn band_recording(dir: &Path) -> (Vec<(u64, u16, u32, usize)>, String) {
    subgate(
        dir,
        &[
            "gen",
            "-o",
            "us",
            "--band",
            "us",
            "--count",
            "4",
            "--mcs-mix",
            "0,2,10",
            "--snr",
            "14",
            "--snr-spread",
            "8",
            "--datatype",
            "ci16_le",
        ],
    )
    .assert_ok();
    let r = subgate(dir, &["rx", "us", "--band", "us"]);
    r.assert_ok();
    let from_file = band_frames(&r);
    assert_eq!(from_file.len(), 104, "{}", r.context());
    let data = dir.join("us.sigmf-data");
    let device = format!(
        "driver=replay,file={},datatype=ci16_le,rate=26000000,freq=915000000",
        data.display()
    );
    (from_file, device)
}

#[test]
fn replay_through_soapysdr_decodes_the_same_frames_as_the_file() {
    let dir = tempdir();
    let d = dir.path();
    let (from_file, device) = band_recording(d);
    let r = soapy(d, &["rx", "--device", &device, "--band", "us"]);
    r.assert_ok();
    assert_eq!(band_frames(&r), from_file, "{}", r.context());
    assert!(
        r.stdout.contains("source: 0 overflows, 0 samples dropped"),
        "{}",
        r.context()
    );
    assert_files(d, &["us.sigmf-data", "us.sigmf-meta"]);
}

#[test]
fn an_injected_overflow_is_reported_and_time_is_kept() {
    let dir = tempdir();
    let d = dir.path();
    let (from_file, device) = band_recording(d);
    let (at, drop) = (250_000u64, 20_000u64);
    let device = format!("{device},overflow_at={at},overflow_drop={drop}");
    let r = soapy(d, &["rx", "--device", &device, "--band", "us"]);
    r.assert_ok();
    assert!(
        r.stdout
            .contains(&format!("source: 1 overflows, {drop} samples dropped")),
        "{}",
        r.context()
    );
    let got = band_frames(&r);
    // frames well clear of the lost stretch come out as from the file, at the same samples
    let longest = 26 * 6000; // a frame here lasts under 6 ms
    let clear: Vec<_> = from_file
        .iter()
        .filter(|f| f.0 + longest < at || f.0 > at + drop + 26 * 400)
        .collect();
    assert!(clear.len() >= 40, "{} frames clear of the gap", clear.len());
    for f in &clear {
        assert!(
            got.contains(f),
            "{f:?} missing after the overflow\n{}",
            r.context()
        );
    }
    assert!(
        got.len() < from_file.len(),
        "frames in the lost stretch cannot decode"
    );
}

#[test]
fn record_captures_what_rx_decodes() {
    let dir = tempdir();
    let d = dir.path();
    let (from_file, device) = band_recording(d);
    let r = soapy(
        d,
        &[
            "record",
            "--device",
            &device,
            "--band",
            "us",
            "-o",
            "rec",
            "--seconds",
            "0.01",
        ],
    );
    r.assert_ok();
    assert!(
        r.stdout.contains("recorded 260000 samples"),
        "{}",
        r.context()
    );
    let r = subgate(d, &["rx", "rec", "--band", "us"]);
    r.assert_ok();
    // every frame that ends inside the first 10 ms
    let want: Vec<_> = from_file
        .iter()
        .filter(|f| f.0 + 26 * 6000 < 260_000)
        .cloned()
        .collect();
    assert!(!want.is_empty());
    let got = band_frames(&r);
    for f in &want {
        assert!(got.contains(f), "{f:?}\n{}", r.context());
    }
}

#[test]
fn devices_that_cannot_serve_the_band_are_refused() {
    let dir = tempdir();
    let d = dir.path();
    let (_, device) = band_recording(d);
    soapy(
        d,
        &[
            "rx",
            "--device",
            &format!("{device},fail=open"),
            "--band",
            "us",
        ],
    )
    .assert_error(&["opening SoapySDR device", "fail=open"]);
    soapy(d, &["rx", "--device", "driver=nosuchradio", "--band", "us"])
        .assert_error(&["no SoapySDR device matches", "nosuchradio"]);
    // the recording is at 26 Msps: asking the device for 28 Msps is refused by it
    soapy(
        d,
        &["rx", "--device", &device, "--band", "us", "--rate", "28e6"],
    )
    .assert_error(&["sample rate", "26000000"]);
    // a 915 MHz recording tuned for the EU band (at the recording's rate)
    soapy(
        d,
        &["rx", "--device", &device, "--band", "eu", "--rate", "26e6"],
    )
    .assert_error(&["centre frequency", "915000000"]);
    soapy(
        d,
        &["rx", "--device", &device, "--band", "us", "--annotate"],
    )
    .assert_error(&["--annotate", "needs a recording"]);
    soapy(d, &["record", "--device", "driver=nosuchradio", "-o", "x"])
        .assert_error(&["no SoapySDR device matches"]);
    assert_files(d, &["us.sigmf-data", "us.sigmf-meta"]);
}

#[test]
fn tx_sends_the_recording_through_soapysdr_unchanged() {
    use subgate_drivers::source::{RecordingSource, Source, SourceRead};
    let dir = tempdir();
    let d = dir.path();
    subgate(
        d,
        &[
            "gen",
            "-o",
            "g",
            "--band",
            "eu",
            "--count",
            "2",
            "--datatype",
            "ci16_le",
        ],
    )
    .assert_ok();
    let sent = d.join("sent.cf32");
    let device = format!(
        "driver=replay,tx_file={},rate=5000000,freq=865500000",
        sent.display()
    );
    let r = soapy(d, &["tx", "g", "--device", &device]);
    r.assert_ok();
    // what the recording holds, read as the receiver would
    let mut src =
        RecordingSource::new(subgate_drivers::Recording::open(d.join("g")).expect("open"));
    let mut want = Vec::new();
    let mut buf = vec![subgate_dsp::Complex32::new(0.0, 0.0); 1 << 16];
    while let SourceRead::Samples { n, .. } = src.read(&mut buf).expect("read") {
        want.extend_from_slice(&buf[..n]);
    }
    assert!(
        r.stdout.contains(&format!("sent {} samples", want.len())),
        "{}",
        r.context()
    );
    let bytes = std::fs::read(&sent).expect("the replay device wrote the transmitted samples");
    let got: Vec<subgate_dsp::Complex32> = bytes
        .chunks_exact(8)
        .map(|c| {
            let f = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            subgate_dsp::Complex32::new(f(&c[..4]), f(&c[4..]))
        })
        .collect();
    assert_eq!(got, want, "samples changed on their way through SoapySDR");
    // a device with no transmitter is refused
    let rx_only = format!(
        "driver=replay,file={},datatype=ci16_le",
        d.join("g.sigmf-data").display()
    );
    soapy(d, &["tx", "g", "--device", &rx_only]).assert_error(&["no tx_file"]);
}
