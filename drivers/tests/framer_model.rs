//! The gateware framer's model (`subgate_dsp::frontend::framer`) against the protocol: its
//! byte stream deframes without damage into exactly the segments `segments_of(256, …)` cuts
//! from the bursts it was given when the link keeps up, and under back-pressure every sample
//! is either in one segment at its own timestamp or counted as dropped, with `OVERFLOW` on
//! exactly the segments that follow a loss.

use std::collections::HashMap;
use subgate_drivers::burst_stream::{flags, segments_of, Deframer, Item, Repr, SampleFormat};
use subgate_dsp::frontend::framer::{
    arbiter_inputs, flags as fflags, random_records, BurstSizes, Framer, SEGMENT,
};
use subgate_dsp::rng::Rng;

/// Runs the model over the inputs and deframes what the link took; panics on any damage.
fn run(framer: &mut Framer, inputs: &[subgate_dsp::frontend::framer::FramerInput]) -> Vec<Repr> {
    let mut bytes = Vec::new();
    for &i in inputs {
        bytes.extend(framer.step(i));
    }
    assert!(framer.is_idle(), "framer still holds data after the drain");
    let mut d = Deframer::new();
    d.push(&bytes);
    let mut segs = Vec::new();
    while let Some(item) = d.next_item() {
        match item {
            Item::Segment(r) => segs.push(r),
            Item::Damaged(e) => panic!("damaged stream: {e:?}"),
        }
    }
    assert!(d.finish().is_none(), "stream ends inside a segment");
    segs
}

/// Four channels of random bursts; the link always ready, ADC every 2–3 clocks.
fn lossless(origin: u64, seed: u64) {
    let mut rng = Rng::new(seed);
    let ticks = 12_000;
    let (recs, sent): (Vec<_>, Vec<_>) = (0..4)
        .map(|_| random_records(ticks, origin, BurstSizes::AroundSegment, &mut rng))
        .unzip();
    let mut gaps = Rng::new(seed ^ 1);
    let inputs = arbiter_inputs(&recs, || 2 + gaps.below(2) as usize, |_| true);
    let mut framer = Framer::after(origin);
    let got = run(&mut framer, &inputs);
    assert_eq!(framer.stats().dropped, 0);
    let mut total = 0;
    for (c, bursts) in sent.iter().enumerate() {
        let mut seq = 0u16;
        let want: Vec<Repr> = bursts
            .iter()
            .flat_map(|b| {
                segments_of(
                    SEGMENT,
                    c as u8,
                    b.first,
                    SampleFormat::Ci16,
                    &b.samples,
                    false,
                    &mut seq,
                )
            })
            .collect();
        let have: Vec<Repr> = got
            .iter()
            .filter(|r| usize::from(r.channel) == c)
            .cloned()
            .collect();
        assert_eq!(have.len(), want.len(), "channel {c}: segment count");
        for (k, (h, w)) in have.iter().zip(&want).enumerate() {
            assert_eq!(h, w, "channel {c}, segment {k}");
        }
        assert!(
            bursts.len() > 10,
            "channel {c}: only {} bursts",
            bursts.len()
        );
        total += want.len();
    }
    assert_eq!(framer.stats().segments as usize, total);
    assert_eq!(got.len(), total);
}

#[test]
fn framer_model_sends_exactly_the_protocol_segments_when_the_link_keeps_up() {
    lossless(0, 11);
    lossless(0, 12);
}

#[test]
fn framer_model_timestamps_run_on_past_two_to_the_32() {
    // the first bursts' indices wrap at 2³² in the records; the timestamps do not
    lossless((1 << 32) - 3_000, 13);
    lossless((7 << 32) - 1, 14);
}

#[test]
fn framer_model_under_back_pressure_loses_nothing_unaccounted() {
    let cases = [
        (21u64, BurstSizes::AroundSegment),
        (22, BurstSizes::AroundSegment),
        (23, BurstSizes::AroundSegment),
        (24, BurstSizes::Tiny),
    ];
    let mut discards = 0;
    for (seed, sizes) in cases {
        let mut rng = Rng::new(seed);
        let ticks = 10_000;
        let (recs, sent): (Vec<_>, Vec<_>) = (0..4)
            .map(|_| random_records(ticks, 0, sizes, &mut rng))
            .unzip();
        let mut ready_rng = Rng::new(seed ^ 7);
        // the ADC on every clock (the link is just short with four busy channels), and the
        // link stalls for 3000 clocks in every 20 000 and takes 3 bytes in 4 otherwise
        let inputs = arbiter_inputs(
            &recs,
            || 1,
            |clock| clock % 20_000 >= 3_000 && ready_rng.below(4) != 0,
        );
        let mut framer = Framer::new();
        let got = run(&mut framer, &inputs);
        let dropped = framer.stats().dropped as usize;
        discards += framer.stats().discards;
        assert!(dropped > 0, "seed {seed}: back-pressure dropped nothing");
        let mut received = 0;
        let mut sent_total = 0;
        for (c, bursts) in sent.iter().enumerate() {
            let by_index: HashMap<u64, (i16, i16)> = bursts
                .iter()
                .flat_map(|b| (b.first..).zip(b.samples.iter().copied()))
                .collect();
            let starts: HashMap<u64, u64> = bursts
                .iter()
                .map(|b| (b.first, b.first + b.samples.len() as u64))
                .collect();
            let ends: Vec<u64> = bursts
                .iter()
                .map(|b| b.first + b.samples.len() as u64)
                .collect();
            sent_total += by_index.len();
            let mut seen_to = 0u64; // one past the last sample of the previous segment
            for (k, r) in got
                .iter()
                .filter(|r| usize::from(r.channel) == c)
                .enumerate()
            {
                assert_eq!(usize::from(r.sequence), k, "channel {c}: sequence");
                assert!(r.samples.len() <= SEGMENT);
                for (n, x) in r.samples.iter().enumerate() {
                    let at = r.timestamp + n as u64;
                    assert_eq!(
                        by_index.get(&at),
                        Some(x),
                        "channel {c} segment {k} sample {n}"
                    );
                }
                let lost_before = (seen_to..r.timestamp)
                    .filter(|i| by_index.contains_key(i))
                    .count();
                assert_eq!(
                    r.flags & flags::OVERFLOW != 0,
                    lost_before > 0,
                    "channel {c} segment {k}: OVERFLOW flag with {lost_before} samples lost before it"
                );
                assert_eq!(
                    r.flags & flags::START != 0,
                    starts.contains_key(&r.timestamp),
                    "channel {c} segment {k}: START"
                );
                if r.flags & flags::END != 0 {
                    assert!(
                        ends.contains(&(r.timestamp + r.samples.len() as u64)),
                        "channel {c} segment {k}: END"
                    );
                }
                seen_to = r.timestamp + r.samples.len() as u64;
                received += r.samples.len();
            }
        }
        assert_eq!(
            received + dropped,
            sent_total,
            "seed {seed}: samples unaccounted for"
        );
        println!(
            "seed {seed}, {sizes:?}: {sent_total} samples sent, {received} received in {} \
             segments, {dropped} dropped, {} segments discarded",
            got.len(),
            framer.stats().discards
        );
    }
    assert!(discards > 0, "no segment was discarded for a full queue");
    // the model's flag values are the protocol's
    assert_eq!(
        (fflags::START, fflags::END, fflags::OVERFLOW),
        (flags::START, flags::END, flags::OVERFLOW)
    );
}
