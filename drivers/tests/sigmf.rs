//! SigMF recordings end to end: write→read round trips, one test per rejection (each
//! checking the variant and that the message names the file and the field), and property
//! tests that no metadata or data length makes opening or reading panic.

use std::fs;
use std::path::{Path, PathBuf};

use num_complex::Complex32;
use proptest::prelude::*;
use serde_json::json;
use subgate_drivers::sigmf::{Annotation, Datatype, Recording, SigmfError, Writer};

/// Seed of the test signal, so failures reproduce.
const RNG_SEED: u64 = 0x5167_a7e0;

/// Deterministic test samples in [-0.99, 0.99) (clear of ci8's positive full scale,
/// which is one LSB short of 1.0), with -1.0 and ±0.99 included.
fn signal(n: usize) -> Vec<Complex32> {
    let mut state = RNG_SEED;
    let mut next = move || {
        // 64-bit LCG (Knuth MMIX constants), top 24 bits as a uniform [0, 1).
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * 0.99
    };
    let mut v: Vec<Complex32> = (0..n).map(|_| Complex32::new(next(), next())).collect();
    v[0] = Complex32::new(-1.0, 0.0);
    v[1] = Complex32::new(0.99, -0.99);
    v
}

/// Largest error of one quantised component: half an LSB (plus f32 rounding).
fn tolerance(d: Datatype) -> f32 {
    match d {
        Datatype::Cf32Le => 0.0,
        Datatype::Ci16Le => 0.5 / 32768.0 + 1e-7,
        Datatype::Ci8 => 0.5 / 128.0 + 1e-7,
    }
}

fn write_rec(dir: &Path, name: &str, d: Datatype, x: &[Complex32]) -> PathBuf {
    let base = dir.join(name);
    let mut w = Writer::create(&base, d, 2.0e6, Some(915.5e6), "round trip").unwrap();
    // in uneven pieces, to cross the writer's internal blocks
    for part in x.chunks(777) {
        w.write(part).unwrap();
    }
    let mut a = Annotation::new(10, 20);
    a.label = Some("first".into());
    a.comment = Some("hello".into());
    a.freq_lower_edge = Some(915.0e6);
    a.freq_upper_edge = Some(916.0e6);
    a.extra.insert("subgate:mcs".into(), json!(3));
    w.annotate(a);
    w.annotate(Annotation::new(0, x.len() as u64));
    let s = w.finish().unwrap();
    assert_eq!(s.samples, x.len() as u64);
    assert_eq!(s.clipped, 0);
    base
}

#[test]
fn round_trip_every_datatype() {
    let dir = tempfile::tempdir().unwrap();
    let x = signal(5000);
    for d in Datatype::ALL {
        let base = write_rec(dir.path(), d.sigmf_name(), d, &x);
        let data_len = fs::metadata(base.with_extension("sigmf-data"))
            .unwrap()
            .len();
        assert_eq!(data_len, (x.len() * d.sample_size()) as u64);

        // all three path forms open the same recording
        for p in [
            base.clone(),
            base.with_extension("sigmf-meta"),
            base.with_extension("sigmf-data"),
        ] {
            let rec = Recording::open(&p).unwrap();
            assert_eq!(rec.len(), x.len());
            assert_eq!(rec.datatype(), d);
        }
        let rec = Recording::open(&base).unwrap();
        assert_eq!(rec.sample_rate(), 2.0e6);
        assert_eq!(rec.center_frequency(), Some(915.5e6));
        assert_eq!(rec.description(), Some("round trip"));
        assert_eq!(rec.version(), Some("1.0.0"));
        assert!((rec.duration_s() - 2.5e-3).abs() < 1e-12);

        // annotations come back sorted by start, every field intact
        let ann = rec.annotations();
        assert_eq!(ann.len(), 2);
        assert_eq!(ann[0], Annotation::new(0, x.len() as u64));
        assert_eq!(ann[1].sample_start, 10);
        assert_eq!(ann[1].sample_count, 20);
        assert_eq!(ann[1].label.as_deref(), Some("first"));
        assert_eq!(ann[1].comment.as_deref(), Some("hello"));
        assert_eq!(ann[1].freq_lower_edge, Some(915.0e6));
        assert_eq!(ann[1].freq_upper_edge, Some(916.0e6));
        assert_eq!(ann[1].extra.get("subgate:mcs"), Some(&json!(3)));

        // block reads, the buffer pre-filled with garbage
        let mut y = vec![Complex32::new(f32::NAN, 7.0); x.len() + 10];
        let mut r = rec.reader();
        let mut buf = [Complex32::new(9.0, 9.0); 1000];
        let mut pos = 0;
        loop {
            let n = r.next_block(&mut buf);
            if n == 0 {
                break;
            }
            y[pos..pos + n].copy_from_slice(&buf[..n]);
            pos += n;
        }
        assert_eq!(pos, x.len());
        assert_eq!(r.remaining(), 0);
        let tol = tolerance(d);
        for (i, (a, b)) in x.iter().zip(&y).enumerate() {
            assert!(
                (a.re - b.re).abs() <= tol && (a.im - b.im).abs() <= tol,
                "{d}: first_diff at sample {i}: wrote {a}, read {b}"
            );
        }
        assert!(
            y[x.len()].re.is_nan() && y[x.len()].im == 7.0,
            "wrote past the data"
        );

        // read() at the tail and past the end
        let mut two = [Complex32::default(); 2];
        assert_eq!(rec.read(x.len() - 1, &mut two), 1);
        assert_eq!(rec.read(x.len(), &mut two), 0);
        assert_eq!(rec.read(usize::MAX, &mut two), 0);

        // zero-copy view only for cf32_le
        match d {
            Datatype::Cf32Le => assert_eq!(rec.as_cf32(), Some(&x[..])),
            _ => assert!(rec.as_cf32().is_none()),
        }
    }
}

#[test]
fn writer_clips_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("clip");
    let mut w = Writer::create(&base, Datatype::Ci8, 1.0e6, None, "").unwrap();
    w.write(&[
        Complex32::new(2.0, -2.0),
        Complex32::new(0.0, 0.5),
        Complex32::new(f32::NAN, 0.0),
    ])
    .unwrap();
    let s = w.finish().unwrap();
    assert_eq!(s.clipped, 2);
    let rec = Recording::open(&base).unwrap();
    assert_eq!(rec.center_frequency(), None);
    let mut y = [Complex32::default(); 3];
    assert_eq!(rec.read(0, &mut y), 3);
    assert_eq!(
        y,
        [
            Complex32::new(127.0 / 128.0, -1.0),
            Complex32::new(0.0, 0.5),
            Complex32::new(0.0, 0.0)
        ]
    );
}

// ---- rejections -------------------------------------------------------------------------

/// A recording written by hand: `meta` as JSON text, `data` raw bytes (None: no data file).
fn hand_made(dir: &Path, meta: &str, data: Option<&[u8]>) -> PathBuf {
    let base = dir.join("rec");
    fs::write(base.with_extension("sigmf-meta"), meta).unwrap();
    if let Some(d) = data {
        fs::write(base.with_extension("sigmf-data"), d).unwrap();
    }
    base
}

fn meta_json(global: serde_json::Value, annotations: serde_json::Value) -> String {
    json!({
        "global": global,
        "captures": [{"core:sample_start": 0, "core:frequency": 915e6}],
        "annotations": annotations,
    })
    .to_string()
}

fn good_global() -> serde_json::Value {
    json!({"core:datatype": "ci16_le", "core:sample_rate": 1e6, "core:version": "1.0.0"})
}

/// Opens `base`, expecting an error whose message names `file` and every `needle`.
fn open_err(base: &Path, file_ext: &str, needles: &[&str]) -> SigmfError {
    let e = Recording::open(base).expect_err("opening should fail");
    let file = base.with_extension(file_ext);
    assert_eq!(e.file(), file, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&file.display().to_string()),
        "message does not name {}: {msg}",
        file.display()
    );
    for n in needles {
        assert!(msg.contains(n), "message does not mention {n:?}: {msg}");
    }
    e
}

#[test]
fn missing_meta() {
    let dir = tempfile::tempdir().unwrap();
    let base = hand_made(dir.path(), "{}", Some(&[0; 4]));
    fs::remove_file(base.with_extension("sigmf-meta")).unwrap();
    let e = open_err(&base, "sigmf-meta", &["metadata file not found"]);
    assert!(matches!(e, SigmfError::MissingMeta { .. }), "{e:?}");
}

#[test]
fn malformed_json_reports_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let base = hand_made(
        dir.path(),
        "{\n  \"global\": {\n    \"core:datatype\": ci16_le\n  }\n}",
        Some(&[0; 4]),
    );
    let e = open_err(&base, "sigmf-meta", &["malformed JSON", "line 3"]);
    match e {
        SigmfError::MalformedJson { line, column, .. } => {
            assert_eq!(line, 3);
            assert!(column > 0);
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn missing_datatype() {
    let dir = tempfile::tempdir().unwrap();
    let meta = meta_json(json!({"core:sample_rate": 1e6}), json!([]));
    let base = hand_made(dir.path(), &meta, Some(&[0; 4]));
    let e = open_err(&base, "sigmf-meta", &["global.core:datatype", "missing"]);
    assert!(
        matches!(&e, SigmfError::MissingField { field, .. } if field == "global.core:datatype"),
        "{e:?}"
    );
}

#[test]
fn missing_sample_rate() {
    let dir = tempfile::tempdir().unwrap();
    let meta = meta_json(json!({"core:datatype": "ci8"}), json!([]));
    let base = hand_made(dir.path(), &meta, Some(&[0; 4]));
    let e = open_err(&base, "sigmf-meta", &["global.core:sample_rate", "missing"]);
    assert!(
        matches!(&e, SigmfError::MissingField { field, .. } if field == "global.core:sample_rate"),
        "{e:?}"
    );
}

#[test]
fn missing_global() {
    let dir = tempfile::tempdir().unwrap();
    let base = hand_made(dir.path(), r#"{"captures": []}"#, Some(&[0; 4]));
    let e = open_err(&base, "sigmf-meta", &["global"]);
    assert!(matches!(e, SigmfError::MissingField { .. }), "{e:?}");
}

#[test]
fn bad_sample_rates() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [json!(0), json!(-2e6), json!(0.0)] {
        let meta = meta_json(
            json!({"core:datatype": "ci8", "core:sample_rate": rate}),
            json!([]),
        );
        let base = hand_made(dir.path(), &meta, Some(&[0; 4]));
        let e = open_err(&base, "sigmf-meta", &["global.core:sample_rate"]);
        assert!(
            matches!(e, SigmfError::BadSampleRate { .. }),
            "{rate}: {e:?}"
        );
    }
    let meta = meta_json(
        json!({"core:datatype": "ci8", "core:sample_rate": "2 MHz"}),
        json!([]),
    );
    let base = hand_made(dir.path(), &meta, Some(&[0; 4]));
    let e = open_err(
        &base,
        "sigmf-meta",
        &["global.core:sample_rate", "must be a number"],
    );
    assert!(matches!(e, SigmfError::InvalidField { .. }), "{e:?}");
}

#[test]
fn bad_sample_rate_in_writer() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = Writer::create(dir.path().join("w"), Datatype::Cf32Le, rate, None, "").unwrap_err();
        assert!(
            matches!(e, SigmfError::BadSampleRate { .. }),
            "{rate}: {e:?}"
        );
        assert!(e.to_string().contains("core:sample_rate"), "{e}");
    }
}

#[test]
fn unknown_datatype() {
    let dir = tempfile::tempdir().unwrap();
    let meta = meta_json(
        json!({"core:datatype": "cu8", "core:sample_rate": 1e6}),
        json!([]),
    );
    let base = hand_made(dir.path(), &meta, Some(&[0; 4]));
    let e = open_err(&base, "sigmf-meta", &["global.core:datatype", "\"cu8\""]);
    assert!(
        matches!(&e, SigmfError::UnknownDatatype { value, .. } if value == "cu8"),
        "{e:?}"
    );
}

#[test]
fn partial_sample_says_how_many_bytes_are_left() {
    let dir = tempfile::tempdir().unwrap();
    let meta = meta_json(good_global(), json!([]));
    let base = hand_made(dir.path(), &meta, Some(&[0; 4 * 10 + 3]));
    let e = open_err(
        &base,
        "sigmf-data",
        &["43 bytes", "3 bytes left over", "ci16_le"],
    );
    assert!(
        matches!(
            e,
            SigmfError::PartialSample {
                leftover: 3,
                bytes: 43,
                sample_size: 4,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn empty_data() {
    let dir = tempfile::tempdir().unwrap();
    let base = hand_made(dir.path(), &meta_json(good_global(), json!([])), Some(&[]));
    let e = open_err(&base, "sigmf-data", &["empty"]);
    assert!(matches!(e, SigmfError::EmptyData { .. }), "{e:?}");
}

#[test]
fn missing_data() {
    let dir = tempfile::tempdir().unwrap();
    let base = hand_made(dir.path(), &meta_json(good_global(), json!([])), None);
    let e = open_err(&base, "sigmf-data", &["data file not found"]);
    assert!(matches!(e, SigmfError::MissingData { .. }), "{e:?}");
}

#[test]
fn annotation_beyond_end_is_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let ann = json!([
        {"core:sample_start": 0, "core:sample_count": 10},
        {"core:sample_start": 8, "core:sample_count": 3},
    ]);
    let base = hand_made(
        dir.path(),
        &meta_json(good_global(), ann),
        Some(&[0; 4 * 10]),
    );
    let e = open_err(
        &base,
        "sigmf-data",
        &["annotations[1]", "sample 11", "only 10 samples"],
    );
    assert!(
        matches!(
            e,
            SigmfError::Truncated {
                end: 11,
                len: 10,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn annotation_overflowing_u64_is_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let ann = json!([{"core:sample_start": u64::MAX, "core:sample_count": 2}]);
    let base = hand_made(dir.path(), &meta_json(good_global(), ann), Some(&[0; 4]));
    let e = open_err(&base, "sigmf-data", &["annotations[0]"]);
    assert!(matches!(e, SigmfError::Truncated { .. }), "{e:?}");
}

#[test]
fn capture_beyond_end_is_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let meta = json!({
        "global": good_global(),
        "captures": [{"core:sample_start": 0}, {"core:sample_start": 10, "core:frequency": 916e6}],
    })
    .to_string();
    let base = hand_made(dir.path(), &meta, Some(&[0; 4 * 10]));
    let e = open_err(&base, "sigmf-data", &["captures[1].core:sample_start"]);
    assert!(
        matches!(
            e,
            SigmfError::Truncated {
                end: 10,
                len: 10,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn annotation_field_of_wrong_type() {
    let dir = tempfile::tempdir().unwrap();
    let ann = json!([{"core:sample_start": 0}, {"core:sample_start": -5}]);
    let base = hand_made(dir.path(), &meta_json(good_global(), ann), Some(&[0; 40]));
    let e = open_err(
        &base,
        "sigmf-meta",
        &["annotations[1].core:sample_start", "-5"],
    );
    assert!(matches!(e, SigmfError::InvalidField { .. }), "{e:?}");
}

#[test]
fn multichannel_and_header_bytes_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = good_global();
    g["core:num_channels"] = json!(2);
    let base = hand_made(dir.path(), &meta_json(g, json!([])), Some(&[0; 40]));
    let e = open_err(&base, "sigmf-meta", &["global.core:num_channels"]);
    assert!(matches!(e, SigmfError::InvalidField { .. }), "{e:?}");

    let meta = json!({"global": good_global(), "captures": [{"core:sample_start": 0, "core:header_bytes": 512}]});
    let base = hand_made(dir.path(), &meta.to_string(), Some(&[0; 40]));
    let e = open_err(&base, "sigmf-meta", &["captures[0].core:header_bytes"]);
    assert!(matches!(e, SigmfError::InvalidField { .. }), "{e:?}");
}

#[test]
fn check_rate() {
    let dir = tempfile::tempdir().unwrap();
    let base = hand_made(
        dir.path(),
        &meta_json(good_global(), json!([])),
        Some(&[0; 40]),
    );
    let rec = Recording::open(&base).unwrap();
    rec.check_rate(1e6).unwrap();
    let e = rec.check_rate(2e6).unwrap_err();
    assert!(
        matches!(e, SigmfError::SampleRateTooLow { rate, needed, .. } if rate == 1e6 && needed == 2e6),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains(&base.with_extension("sigmf-meta").display().to_string()),
        "{msg}"
    );
    assert!(
        msg.contains("global.core:sample_rate") && msg.contains("2000000"),
        "{msg}"
    );
}

#[test]
fn writer_refuses_annotation_past_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("w");
    let mut w = Writer::create(&base, Datatype::Cf32Le, 1e6, None, "").unwrap();
    w.write(&[Complex32::default(); 5]).unwrap();
    w.annotate(Annotation::new(4, 2));
    let e = w.finish().unwrap_err();
    assert!(
        matches!(e, SigmfError::Truncated { end: 6, len: 5, .. }),
        "{e:?}"
    );
    assert!(!base.with_extension("sigmf-meta").exists());
}

// ---- annotation rewriting ---------------------------------------------------------------

#[test]
fn update_and_append_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let meta = json!({
        "global": {"core:datatype": "ci8", "core:sample_rate": 1e6, "core:author": "field trial"},
        "captures": [{"core:sample_start": 0, "core:frequency": 915e6, "core:datetime": "2024-05-01T10:00:00Z"}],
        "annotations": [{"core:sample_start": 50, "core:sample_count": 5, "core:label": "old"}],
    });
    let base = hand_made(dir.path(), &meta.to_string(), Some(&[0; 2 * 100]));

    let mut a = Annotation::new(20, 10);
    a.extra.insert("subgate:fcs_ok".into(), json!(true));
    Recording::append_annotations(&base, vec![a.clone()]).unwrap();
    let rec = Recording::open(&base).unwrap();
    let labels: Vec<_> = rec.annotations().iter().map(|a| a.sample_start).collect();
    assert_eq!(labels, [20, 50], "appended and sorted");
    assert_eq!(rec.global().get("core:author"), Some(&json!("field trial")));
    assert_eq!(
        rec.captures()[0].datetime.as_deref(),
        Some("2024-05-01T10:00:00Z")
    );
    let ext = rec.global()["core:extensions"].as_array().unwrap();
    assert!(
        ext.iter().any(|e| e["name"] == "subgate"),
        "subgate namespace declared"
    );

    Recording::update_annotations(
        base.with_extension("sigmf-data"),
        vec![Annotation::new(90, 10)],
    )
    .unwrap();
    let rec = Recording::open(&base).unwrap();
    assert_eq!(rec.annotations(), &[Annotation::new(90, 10)]);

    // refused: nothing written
    let before = fs::read(base.with_extension("sigmf-meta")).unwrap();
    let e = Recording::update_annotations(&base, vec![Annotation::new(95, 10)]).unwrap_err();
    assert!(
        matches!(
            e,
            SigmfError::Truncated {
                end: 105,
                len: 100,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(fs::read(base.with_extension("sigmf-meta")).unwrap(), before);

    // no temporary files left behind
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

// ---- properties -------------------------------------------------------------------------

fn open_bytes(meta: &[u8], data: &[u8]) -> Result<Recording, SigmfError> {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("p");
    fs::write(base.with_extension("sigmf-meta"), meta).unwrap();
    fs::write(base.with_extension("sigmf-data"), data).unwrap();
    let rec = Recording::open(&base);
    // exercise the accessors on whatever opened
    if let Ok(r) = &rec {
        let mut buf = [Complex32::default(); 3];
        let _ = r.read(r.len().saturating_sub(1), &mut buf);
        let _ = r.as_cf32();
    }
    rec
}

/// A valid metadata text to mutate.
const VALID_META: &str = r#"{"global":{"core:datatype":"cf32_le","core:sample_rate":1000000,"core:version":"1.0.0"},"captures":[{"core:sample_start":0,"core:frequency":915000000}],"annotations":[{"core:sample_start":1,"core:sample_count":2,"core:label":"x"}]}"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_meta_bytes_never_panic(meta in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = open_bytes(&meta, &[0; 64]);
    }

    #[test]
    fn mutated_meta_never_panics(pos in 0..VALID_META.len(), len in 0usize..12, fill in proptest::collection::vec(any::<u8>(), 0..12)) {
        let mut meta = VALID_META.as_bytes().to_vec();
        let end = (pos + len).min(meta.len());
        meta.splice(pos..end, fill);
        let _ = open_bytes(&meta, &[0; 64]);
    }

    #[test]
    fn arbitrary_data_lengths(dt in 0usize..3, bytes in 0usize..80, start in 0usize..30, out_len in 0usize..30) {
        let d = Datatype::ALL[dt];
        let meta = format!(r#"{{"global":{{"core:datatype":"{d}","core:sample_rate":1e6}}}}"#);
        let size = d.sample_size();
        match open_bytes(meta.as_bytes(), &vec![0x7f; bytes]) {
            Ok(rec) => {
                prop_assert!(bytes > 0 && bytes % size == 0);
                prop_assert_eq!(rec.len(), bytes / size);
                let mut out = vec![Complex32::default(); out_len];
                let n = rec.read(start, &mut out);
                prop_assert_eq!(n, out_len.min(rec.len().saturating_sub(start)));
            }
            Err(SigmfError::EmptyData { .. }) => prop_assert_eq!(bytes, 0),
            Err(SigmfError::PartialSample { leftover, .. }) => prop_assert_eq!(leftover, bytes % size),
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }
}
