//! The fuzz targets' seed corpora (fuzz/corpus/<target>/seed-*) are frames and files our own
//! code emits: this test builds them — a short simulation's frames on air (probes, joins,
//! 4-way handshakes, reports, acks, beacons), a RADIUS request with a split EAP message, a
//! SigMF recording's metadata, burst-stream segments, the configuration examples, PPDUs
//! from the transmitter — and checks that the checked-in files are exactly these.
//! `SUBGATE_WRITE_SEEDS=1 cargo test --release --test fuzz_seeds` writes them anew.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use subgate_control::config::Config;
use subgate_control::radius::{Attribute, Code, Repr as RadiusRepr};
use subgate_control::wire::{eapol, strip_fcs, Frame};
use subgate_drivers::burst_stream::{flags, Repr as Segment, SampleFormat};
use subgate_drivers::sigmf::{Datatype, Writer};
use subgate_dsp::{Format, Mcs, TxRequest};
use subgate_testbench::sim::{run, SimConfig};

type Corpus = BTreeMap<(&'static str, String), Vec<u8>>;

/// A key for a MAC frame: its type and subtype, and the action's first body bytes.
fn kind_of(frame: &[u8]) -> String {
    let head: Vec<String> = frame.iter().take(1).map(|b| format!("{b:02x}")).collect();
    let action = match Frame::parse(frame) {
        // category, OUI and the M2M action subtype
        Ok(Frame::Action(_)) => frame
            .get(24..29)
            .map(|b| {
                format!(
                    "-{}",
                    b.iter().map(|x| format!("{x:02x}")).collect::<String>()
                )
            })
            .unwrap_or_default(),
        Ok(Frame::Data(_)) => frame
            .get(24 + 8..24 + 8 + 7)
            .map(|b| format!("-{:02x}", b[6]))
            .unwrap_or_default(),
        _ => String::new(),
    };
    format!("{}{action}", head.join(""))
}

fn simulated(corpus: &mut Corpus) {
    let mut cfg = SimConfig::mixed(6, 0.05);
    cfg.join_spread_s = 20;
    cfg.drain_s = 60;
    cfg.passphrase = Some("fuzz seeds".into());
    cfg.observe.frames_us = Some((0, u64::MAX));
    let r = run(&cfg).expect("simulation runs");
    let mut uplink: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut eapol_pdus: Vec<Vec<u8>> = Vec::new();
    for f in &r.frames {
        let Ok(frame) = strip_fcs(&f.psdu) else {
            continue;
        };
        corpus
            .entry(("mac_frame", kind_of(frame)))
            .or_insert_with(|| frame.to_vec());
        if let Ok(Frame::Data(d)) = Frame::parse(frame) {
            if let Some(pdu) = eapol::pdu_of(&d.body) {
                if f.from.is_some() && eapol_pdus.len() < 4 {
                    eapol_pdus.push(pdu.to_vec());
                }
            }
        }
        if f.from == Some(0) && frame.len() < 250 {
            uplink.push((f.end_us, frame.to_vec()));
        }
        // element lists: the body after a management header
        if let Some(body) = frame.get(24..) {
            corpus
                .entry(("m2m_elements", kind_of(frame)))
                .or_insert_with(|| body.to_vec());
        }
    }
    // terminal 0's frames as the gateway heard them, 100 ms steps between them
    let mut seq = Vec::new();
    let mut last = 0;
    for (t, frame) in &uplink {
        let steps = ((t - last) / 100_000).min(31) as u8;
        last = *t;
        seq.push(frame.len() as u8 + 1);
        seq.push(steps << 3);
        seq.extend_from_slice(frame);
    }
    corpus.insert(("gateway_rx", "terminal-0".into()), seq);
    let mut handshake = Vec::new();
    for pdu in &eapol_pdus {
        handshake.push(pdu.len().min(255) as u8);
        handshake.extend_from_slice(&pdu[..pdu.len().min(255)]);
    }
    corpus.insert(("eapol_authenticator", "supplicant".into()), handshake);
}

fn radius(corpus: &mut Corpus) {
    let mut r = RadiusRepr {
        code: Code::AccessRequest,
        identifier: 7,
        authenticator: [0x5a; 16],
        attributes: vec![
            Attribute::new(1, b"meter-0001".to_vec()).expect("attribute"),
            Attribute::new(32, b"subgate".to_vec()).expect("attribute"),
        ],
    };
    // an EAP response longer than one attribute: split over two EAP-Message attributes
    let mut eap = vec![2, 9, 1, 44, 52];
    eap.extend((0..295).map(|i| i as u8));
    r.push_eap_message(&eap);
    r.attributes
        .push(Attribute::new(80, vec![0; 16]).expect("attribute"));
    corpus.insert(
        ("radius", "access-request".into()),
        r.to_bytes().expect("emits"),
    );
}

fn sigmf(corpus: &mut Corpus) {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("seed");
    let mut w =
        Writer::create(&base, Datatype::Cf32Le, 1e6, Some(915e6), "fuzz seed").expect("writer");
    let samples = vec![subgate_dsp::Complex32::new(0.1, -0.1); 64];
    w.write(&samples).expect("write");
    w.finish().expect("finish");
    let meta = std::fs::read(dir.path().join("seed.sigmf-meta")).expect("meta");
    corpus.insert(("sigmf_meta", "writer".into()), meta);
}

fn bursts(corpus: &mut Corpus) {
    let mut stream = Vec::new();
    for (i, (fl, format)) in [
        (flags::START, SampleFormat::Ci16),
        (flags::END, SampleFormat::Ci16),
        (
            flags::START | flags::END | flags::OVERFLOW,
            SampleFormat::Ci12,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let seg = Segment {
            channel: 1 + (i as u8 / 2),
            flags: fl,
            timestamp: 1000 * i as u64,
            sequence: i as u16,
            format,
            samples: (0..16).map(|k| (k * 100 - 800, 700 - k * 90)).collect(),
        };
        let bytes = seg.emit().expect("segment");
        // records of up to 40 bytes: the deframer gets the stream in pieces
        for piece in bytes.chunks(40) {
            stream.push(piece.len() as u8);
            stream.extend_from_slice(piece);
        }
    }
    corpus.insert(("burst_stream", "three-segments".into()), stream);
}

fn configs(corpus: &mut Corpus) {
    let docs = include_str!("../docs/config.md");
    let example = docs
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("docs/config.md has an example");
    corpus.insert(
        ("config", "docs-example".into()),
        example.as_bytes().to_vec(),
    );
    corpus.insert(
        ("config", "defaults".into()),
        Config::default().to_commented_toml().into_bytes(),
    );
    corpus.insert(
        ("config", "eu-srd".into()),
        b"[gateway]\nregion = \"eu\"\n[radio]\nchannels = [1, 5]\n[regulatory]\nprofile = \"srd\"\n"
            .to_vec(),
    );
}

fn ppdus(corpus: &mut Corpus) {
    for (ctl, format, mcs) in [
        (2u8, Format::S1g1M, Mcs(10)),
        (3, Format::S1gShort2M, Mcs(0)),
    ] {
        let psdu: Vec<u8> = (0..24).map(|i| i as u8 * 11).collect();
        let samples = subgate_dsp::tx::modulate(&TxRequest::new(psdu, format, mcs)).expect("tx");
        let mut bytes = vec![ctl];
        for s in samples {
            for v in [s.re, s.im] {
                let q = (v * 8192.0).round().clamp(-32768.0, 32767.0) as i16;
                bytes.extend_from_slice(&q.to_le_bytes());
            }
        }
        corpus.insert(("phy_rx", format!("{format:?}-{}", mcs.0)), bytes);
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

#[test]
fn seed_corpora_are_what_our_emitters_produce() {
    let mut corpus = Corpus::new();
    simulated(&mut corpus);
    radius(&mut corpus);
    sigmf(&mut corpus);
    bursts(&mut corpus);
    configs(&mut corpus);
    ppdus(&mut corpus);
    let write = std::env::var_os("SUBGATE_WRITE_SEEDS").is_some();
    let targets = [
        "mac_frame",
        "m2m_elements",
        "gateway_rx",
        "eapol_authenticator",
        "radius",
        "sigmf_meta",
        "burst_stream",
        "config",
        "phy_rx",
    ];
    for t in targets {
        assert!(
            corpus.keys().any(|(target, _)| *target == t),
            "no seed for {t}"
        );
    }
    for ((target, name), bytes) in &corpus {
        let path = corpus_dir().join(target).join(format!("seed-{name}"));
        if write {
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
            std::fs::write(&path, bytes).expect("write seed");
        } else {
            let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (SUBGATE_WRITE_SEEDS=1 cargo test --release --test fuzz_seeds)",
                    path.display()
                )
            });
            assert!(
                on_disk == *bytes,
                "{} differs from what the emitters produce now \
                 (SUBGATE_WRITE_SEEDS=1 cargo test --release --test fuzz_seeds)",
                path.display()
            );
        }
    }
}
