//! The burst-stream protocol (docs/burst-stream.md): the layout as the document writes it,
//! round trips, and a deframer that survives arbitrary bytes, damage and any chunking.

use proptest::prelude::*;
use subgate_drivers::burst_stream::{
    flags, segments, Burst, Deframer, Error, Item, Packet, Reassembler, Repr, SampleFormat,
    HEADER_LEN, MAX_SAMPLES,
};

fn format() -> impl Strategy<Value = SampleFormat> {
    prop_oneof![Just(SampleFormat::Ci16), Just(SampleFormat::Ci12)]
}

fn samples(f: SampleFormat, n: std::ops::Range<usize>) -> BoxedStrategy<Vec<(i16, i16)>> {
    let r = match f {
        SampleFormat::Ci16 => i16::MIN..=i16::MAX,
        SampleFormat::Ci12 => -2048i16..=2047,
    };
    proptest::collection::vec((r.clone(), r), n).boxed()
}

fn repr() -> impl Strategy<Value = Repr> {
    format().prop_flat_map(|f| {
        (
            any::<u8>(),
            0..=flags::KNOWN,
            any::<u64>(),
            any::<u16>(),
            samples(f, 1..300),
        )
            .prop_map(move |(channel, flags, timestamp, sequence, samples)| Repr {
                channel,
                flags,
                timestamp,
                sequence,
                format: f,
                samples,
            })
    })
}

/// Everything a deframer gives for `bytes` pushed in `chunks`-sized pieces, then finished.
fn deframe(bytes: &[u8], chunk: usize) -> (Vec<Repr>, usize) {
    let mut d = Deframer::new();
    let (mut segs, mut damaged) = (Vec::new(), 0);
    for piece in bytes.chunks(chunk.max(1)) {
        d.push(piece);
        while let Some(item) = d.next_item() {
            match item {
                Item::Segment(r) => segs.push(r),
                Item::Damaged(_) => damaged += 1,
            }
        }
    }
    if d.finish().is_some() {
        damaged += 1;
    }
    (segs, damaged)
}

#[test]
fn layout_is_the_documented_one() {
    let r = Repr {
        channel: 7,
        flags: flags::START | flags::END,
        timestamp: 0x0102_0304_0506_0708,
        sequence: 0xA1B2,
        format: SampleFormat::Ci12,
        samples: vec![(-1, 2047), (-2048, 0x123)],
    };
    let b = r.emit().unwrap();
    // Header as docs/burst-stream.md §2 lays it out, little-endian.
    let mut want = b"SGBS".to_vec();
    want.extend_from_slice(&[1, 2, 7, 0b011]);
    want.extend_from_slice(&[8, 7, 6, 5, 4, 3, 2, 1]);
    want.extend_from_slice(&[0xB2, 0xA1, 2, 0]);
    want.extend_from_slice(&crc32fast::hash(&want).to_le_bytes());
    // 12-bit packing: I[7:0], Q[3:0]‖I[11:8], Q[11:4].
    let payload = [0xFF, 0xFF, 0x7F, 0x00, 0x38, 0x12];
    want.extend_from_slice(&payload);
    want.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    assert_eq!(b, want);
    assert_eq!(b.len(), HEADER_LEN + 6 + 4);
    // CRC-32 is the common one (ISO-HDLC, as Ethernet): its check value.
    assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
}

#[test]
fn emit_refuses_what_the_wire_cannot_carry() {
    let mut r = Repr {
        channel: 0,
        flags: 0,
        timestamp: 0,
        sequence: 0,
        format: SampleFormat::Ci12,
        samples: vec![(2048, 0)],
    };
    assert_eq!(r.emit(), Err(Error::Range(2048)));
    r.samples = vec![];
    assert_eq!(r.emit(), Err(Error::Count(0)));
    r.samples = vec![(0, 0); MAX_SAMPLES + 1];
    assert_eq!(r.emit(), Err(Error::Count(MAX_SAMPLES + 1)));
    r.samples = vec![(0, 0)];
    r.flags = 0x80;
    assert_eq!(r.emit(), Err(Error::Flags(0x80)));
}

#[test]
fn each_kind_of_damage_is_named() {
    let good = Repr {
        channel: 1,
        flags: flags::START,
        timestamp: 5,
        sequence: 9,
        format: SampleFormat::Ci16,
        samples: vec![(1, -1); 10],
    }
    .emit()
    .unwrap();
    let check = |f: &dyn Fn(&mut Vec<u8>), want: Error| {
        let mut b = good.clone();
        f(&mut b);
        assert_eq!(Packet::new_checked(&b[..]).err(), Some(want));
    };
    check(
        &|b| b.truncate(10),
        Error::Truncated {
            have: 10,
            need: HEADER_LEN,
        },
    );
    check(&|b| b[0] = b'X', Error::BadMagic);
    check(&|b| b[4] = 2, Error::Version(2));
    check(&|b| b[6] ^= 1, Error::HeaderCrc);
    let len = good.len();
    check(&|b| b[HEADER_LEN] ^= 1, Error::PayloadCrc);
    check(
        &|b| b.truncate(len - 1),
        Error::Truncated {
            have: len - 1,
            need: len,
        },
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn emit_parse_round_trip(r in repr()) {
        let b = r.emit().unwrap();
        prop_assert_eq!(b.len(), r.buffer_len());
        let p = Packet::new_checked(&b[..]).unwrap();
        prop_assert_eq!(Repr::parse(&p), r);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000),
                                   chunk in 1usize..64) {
        let _ = Packet::new_checked(&bytes[..]);
        let (segs, _) = deframe(&bytes, chunk);
        // A segment needs two matching CRC-32s: random bytes give none.
        prop_assert!(segs.is_empty());
    }

    /// Segments with garbage between some of them and one byte flipped in some: every
    /// untouched segment comes out, in order, whatever the chunking; each damaged place is
    /// reported; a flipped segment never comes out.
    #[test]
    fn deframer_resynchronises(rs in proptest::collection::vec(repr(), 1..12),
                               garbage in proptest::collection::vec(
                                   proptest::option::of(proptest::collection::vec(any::<u8>(), 1..40)), 12),
                               flips in proptest::collection::vec(proptest::option::of(any::<prop::sample::Index>()), 12),
                               chunk in 1usize..200) {
        let mut stream = Vec::new();
        let mut intact = Vec::new();
        let mut damage_places = 0;
        let mut last_damaged = false;
        for (k, r) in rs.iter().enumerate() {
            if let Some(g) = &garbage[k] {
                // Garbage that happens to hold a magic is still garbage.
                stream.extend_from_slice(g);
                if !last_damaged { damage_places += 1; }
                last_damaged = true;
            }
            let mut b = r.emit().unwrap();
            if let Some(i) = &flips[k] {
                let at = i.index(b.len());
                b[at] ^= 0x40;
                if !last_damaged { damage_places += 1; }
                last_damaged = true;
            } else {
                intact.push(r.clone());
                last_damaged = false;
            }
            stream.extend_from_slice(&b);
        }
        let (segs, damaged) = deframe(&stream, chunk);
        prop_assert_eq!(&segs, &intact);
        prop_assert_eq!(damaged, damage_places);
        let (whole, _) = deframe(&stream, stream.len());
        prop_assert_eq!(whole, segs);
    }
}

#[test]
fn bursts_come_back_and_a_lost_segment_is_noticed() {
    // Three bursts on two channels, the second long enough for three segments.
    let burst = |n: usize, base: i16| -> Vec<(i16, i16)> {
        (0..n)
            .map(|k| (base.wrapping_add(k as i16), -(k as i16)))
            .collect()
    };
    let (mut seq_a, mut seq_b) = (0u16, 100u16);
    let a1 = burst(500, 1);
    let a2 = burst(2 * MAX_SAMPLES + 17, 7);
    let b1 = burst(MAX_SAMPLES, 3);
    let mut segs = segments(1, 1_000, SampleFormat::Ci16, &a1, false, &mut seq_a);
    segs.extend(segments(2, 50, SampleFormat::Ci12, &b1, true, &mut seq_b));
    let a2_segs = segments(1, 9_000, SampleFormat::Ci16, &a2, false, &mut seq_a);
    assert_eq!(a2_segs.len(), 3);
    assert_eq!(seq_a, 4);

    // All segments: every burst complete and equal.
    let mut all = segs.clone();
    all.extend(a2_segs.clone());
    let mut r = Reassembler::new();
    let got: Vec<Burst> = all.into_iter().flat_map(|s| r.push(s)).collect();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|b| b.complete));
    assert_eq!(got[0].samples, a1);
    assert_eq!(
        (got[1].channel, got[1].overflow, &got[1].samples),
        (2, true, &b1)
    );
    assert_eq!((got[2].timestamp, &got[2].samples), (9_000, &a2));

    // The middle segment of the long burst lost, then a new burst: the long one comes out
    // incomplete, the loss is counted, the last segment is an orphan, the next one is whole.
    let mut r = Reassembler::new();
    let mut out = Vec::new();
    for s in segs
        .iter()
        .cloned()
        .chain([a2_segs[0].clone(), a2_segs[2].clone()])
    {
        out.extend(r.push(s));
    }
    let a3 = burst(20, 9);
    for s in segments(1, 30_000, SampleFormat::Ci16, &a3, false, &mut seq_a) {
        out.extend(r.push(s));
    }
    assert_eq!(out.len(), 4, "{out:?}");
    assert!(!out[2].complete);
    assert_eq!(out[2].samples.len(), MAX_SAMPLES);
    assert!(out[3].complete);
    assert_eq!(out[3].samples, a3);
    let s = r.stats();
    assert_eq!(
        (s.bursts, s.incomplete, s.lost_segments, s.orphans),
        (4, 1, 1, 1)
    );
}
