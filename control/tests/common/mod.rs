//! Shared by the tests that open our frames in tshark: a classic-pcap writer and the check
//! that tshark reads a capture with no malformed-packet, error or bad-FCS marks.

use std::process::Command;

/// LINKTYPE_IEEE802_11: 802.11 frames, no radio header.
const LINKTYPE_IEEE802_11: u32 = 105;

/// A classic pcap (microsecond timestamps) of `frames` (each already with FCS).
pub fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    const MAGIC: u32 = 0xA1B2_C3D4;
    const SNAPLEN: u32 = 65535;
    let mut v = Vec::new();
    v.extend_from_slice(&MAGIC.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    v.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    v.extend_from_slice(&SNAPLEN.to_le_bytes());
    v.extend_from_slice(&LINKTYPE_IEEE802_11.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        v.extend_from_slice(&(i as u32).to_le_bytes()); // ts_sec
        v.extend_from_slice(&0u32.to_le_bytes()); // ts_usec
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(f);
    }
    v
}

/// Writes `frames` (with FCS) to a pcap, runs `tshark -V` on it with FCS checking on, asserts
/// no malformed / error / bad-FCS marks and returns tshark's text. `None` when tshark is not
/// installed (and CI is not set: on CI its absence fails the test).
pub fn tshark_clean(frames: &[Vec<u8>]) -> Option<String> {
    let found = Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tshark not on PATH but CI=true"
        );
        eprintln!("tshark not found: skipping the pcap check");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("capture.pcap");
    std::fs::write(&path, pcap(frames)).expect("write pcap");
    let out = Command::new("tshark")
        .args([
            "-o",
            "wlan.check_fcs:TRUE",
            "-o",
            "wlan.check_checksum:TRUE",
            "-V",
            "-r",
        ])
        .arg(&path)
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for bad in [
        "Malformed",
        "Expert Info (Error",
        "[incorrect",
        "Unverified",
    ] {
        let hit: Vec<&str> = text.lines().filter(|l| l.contains(bad)).collect();
        assert!(hit.is_empty(), "tshark reports {bad}: {hit:?}\n{text}");
    }
    Some(text)
}
