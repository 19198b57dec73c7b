//! pcap export: byte layout of the file, and (when tshark is installed) that Wireshark
//! dissects the radiotap S1G field and the 802.11 frames without complaint.

use std::process::Command;

use subgate_drivers::pcap::{PcapError, PcapWriter, FILE_HEADER_LEN, RECORD_HEADER_LEN};
use subgate_drivers::radiotap;
use subgate_dsp::frame::RxInfo;
use subgate_dsp::params::{Format, Gi, Mcs};

/// CRC-32 of IEEE 802.3 (reflected, polynomial 0xEDB88320, init and final XOR all ones),
/// bit by bit, independent of the dsp crate's table-driven one.
fn crc32(data: &[u8]) -> u32 {
    const POLY_REFLECTED: u32 = 0xEDB8_8320;
    let mut crc = u32::MAX;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A broadcast probe request with SSID "subgate" and one supported rate, FCS appended.
fn probe_request(seq: u16) -> Vec<u8> {
    let mut f = vec![
        0x40, 0x00, // frame control: management, probe request
        0x00, 0x00, // duration
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // addr1: broadcast
        0x02, 0x00, 0x5b, 0x00, 0x00, 0x01, // addr2: locally administered station
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // addr3: wildcard BSSID
    ];
    f.extend_from_slice(&(seq << 4).to_le_bytes()); // sequence control
    f.extend_from_slice(&[0x00, 7]); // SSID element
    f.extend_from_slice(b"subgate");
    f.extend_from_slice(&[0x01, 0x01, 0x82]); // supported rates: 1 Mb/s basic
    let fcs = crc32(&f);
    f.extend_from_slice(&fcs.to_le_bytes());
    f
}

fn info(format: Format, mcs: u8, gi: Gi, length: usize, fcs_ok: bool) -> RxInfo {
    RxInfo {
        sample_index: 0,
        time_s: 0.0,
        channel: 0,
        format,
        mcs: Mcs(mcs),
        length,
        gi,
        aggregated: false,
        rssi_dbfs: -30.0,
        snr_db: 20.0,
        cfo_hz: 0.0,
        fcs_ok,
    }
}

#[test]
fn crc_matches_the_known_check_value_and_dsp() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    let f = probe_request(1);
    assert!(subgate_dsp::crc::fcs_ok(&f));
}

#[test]
fn pcap_layout_and_wireshark_dissection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frames.pcap");

    let good = probe_request(1);
    let mut bad = probe_request(2);
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let frames = [
        (
            1.25,
            good.clone(),
            info(Format::S1g1M, 0, Gi::Long, good.len(), true),
        ),
        (
            2.5,
            good.clone(),
            info(Format::S1gShort2M, 7, Gi::Short, good.len(), true),
        ),
        (
            3.999_999_9,
            bad.clone(),
            info(Format::S1g1M, 10, Gi::Long, bad.len(), false),
        ),
    ];
    let mut w = PcapWriter::create(&path).unwrap();
    for (t, psdu, i) in &frames {
        w.write_frame(*t, psdu, i).unwrap();
    }
    assert_eq!(w.frames(), 3);
    w.finish().unwrap();

    let bytes = std::fs::read(&path).unwrap();
    let rec = RECORD_HEADER_LEN + radiotap::HEADER_LEN + good.len();
    assert_eq!(bytes.len(), FILE_HEADER_LEN + 3 * rec);
    #[rustfmt::skip]
    assert_eq!(&bytes[..FILE_HEADER_LEN], &[
        0xd4, 0xc3, 0xb2, 0xa1, // magic
        0x02, 0x00, 0x04, 0x00, // version 2.4
        0, 0, 0, 0, 0, 0, 0, 0, // thiszone, sigfigs
        0xff, 0xff, 0x00, 0x00, // snaplen 65535
        0x7f, 0x00, 0x00, 0x00, // LINKTYPE_IEEE802_11_RADIOTAP
    ]);
    let u32_at =
        |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
    let r0 = FILE_HEADER_LEN;
    assert_eq!((u32_at(r0), u32_at(r0 + 4)), (1, 250_000));
    assert_eq!(u32_at(r0 + 8) as usize, radiotap::HEADER_LEN + good.len());
    assert_eq!(u32_at(r0 + 12), u32_at(r0 + 8));
    // 3.9999999 s rounds up to 4.000000 s, carried into the seconds
    let r2 = FILE_HEADER_LEN + 2 * rec;
    assert_eq!((u32_at(r2), u32_at(r2 + 4)), (4, 0));
    assert_eq!(
        &bytes[r0 + RECORD_HEADER_LEN + radiotap::HEADER_LEN..r0 + rec],
        &good[..]
    );

    tshark_check(&path);
}

/// Runs tshark on the file when it is installed; skipped (with a note) otherwise.
fn tshark_check(path: &std::path::Path) {
    // Wireshark 4.0 calls the FCS check preference wlan.check_checksum; should a version
    // not know it, run without and accept "[FCS Status: Unverified]".
    let run = |filter: &str, check_fcs: bool| {
        let mut c = Command::new("tshark");
        c.arg("-r").arg(path).args(["-V", "-Y", filter]);
        if check_fcs {
            c.args(["-o", "wlan.check_checksum:TRUE"]);
        }
        c.output()
    };
    let out = match run("frame.number <= 2", true) {
        Ok(o) if o.status.success() => o,
        Ok(_) => run("frame.number <= 2", false).expect("tshark ran a moment ago"),
        Err(e) => {
            eprintln!("note: tshark not runnable ({e}); skipping the Wireshark dissection check");
            return;
        }
    };
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let verified = !text.contains("[FCS Status: Unverified]");
    for needle in [
        "PHY type: 802.11ah (S1G)",
        "S1G PPDU Format: S1G 1M (0)",
        "S1G PPDU Format: S1G Short (1)",
        "Bandwidth: 1MHz channel (0)",
        "Bandwidth: 2MHz channel (1)",
        "Guard Interval: Long GI (0)",
        "Guard Interval: Short GI (1)",
        "MCS: 0 (0)",
        "MCS: 7 (7)",
        "FCS at end: True",
        "Bad FCS: False",
        "Probe Request",
        "SSID: \"subgate\"",
    ] {
        assert!(
            text.contains(needle),
            "tshark output lacks {needle:?}:\n{text}"
        );
    }
    assert_eq!(
        text.matches("PHY type: 802.11ah (S1G)").count(),
        2,
        "{text}"
    );
    if verified {
        assert_eq!(text.matches("[FCS Status: Good]").count(), 2, "{text}");
    }
    for bad in [
        "Malformed",
        "Expert Info (Error",
        "[FCS Status: Bad]",
        "Bad FCS: True",
    ] {
        assert!(!text.contains(bad), "tshark output has {bad:?}:\n{text}");
    }

    // the corrupted frame: flagged bad in radiotap and by Wireshark's own check
    let out = run("frame.number == 3", verified).expect("tshark ran a moment ago");
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["Bad FCS: True", "MCS: 10 (10)", "PHY type: 802.11ah (S1G)"] {
        assert!(
            text.contains(needle),
            "tshark output lacks {needle:?}:\n{text}"
        );
    }
    if verified {
        // Wireshark files a bad FCS under the Malformed expert group; anything else
        // malformed (a "[Malformed Packet" dissection failure) is ours.
        assert!(text.contains("[FCS Status: Bad]"), "{text}");
        assert!(text.contains("Bad checksum"), "{text}");
    }
    assert!(!text.contains("[Malformed Packet"), "{text}");
}

#[test]
fn rejects_what_pcap_cannot_hold() {
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    let i = info(Format::S1g1M, 0, Gi::Long, 0, true);
    for t in [-1.0, f64::NAN, f64::INFINITY, 5.0e9] {
        let e = w.write_frame(t, &[0; 10], &i).unwrap_err();
        assert!(matches!(e, PcapError::BadTimestamp { .. }), "{t}: {e:?}");
    }
    let e = w.write_frame(0.0, &vec![0; 65_535], &i).unwrap_err();
    assert!(
        matches!(e, PcapError::FrameTooLong { len: 65_535, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("(stream)"), "{e}");
    assert_eq!(w.frames(), 0);
    let bytes = w.finish().unwrap();
    assert_eq!(
        bytes.len(),
        FILE_HEADER_LEN,
        "nothing written for refused frames"
    );
}
