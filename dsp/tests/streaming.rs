//! The streaming receiver's promises (dsp/src/rx/mod.rs): back-to-back frames with no gap
//! all decode; frames at the very start and very end of a stream decode; how the stream is
//! cut into blocks (one block, 1-sample, 7-sample or random blocks) changes nothing in the
//! frames returned; `finish()` counts a frame cut off by the end of the stream as
//! truncated and returns nothing for it; `reset()` forgets the stream and restarts sample
//! indices at 0.

use subgate_dsp::channel::{self, ChannelConfig};
use subgate_dsp::crc::append_fcs;
use subgate_dsp::rng::Rng;
use subgate_dsp::rx::{receive_all, Receiver, ReceiverConfig};
use subgate_dsp::tx;
use subgate_dsp::{Complex32, Format, Gi, Mcs, RxFrame, TxRequest};

/// Allowed error of `RxInfo::sample_index`, samples.
const START_TOLERANCE: u64 = 2;
/// Bytes of an FCS.
const FCS_LEN: usize = 4;

/// A random PSDU of `len` bytes (≥ 4) ending in its FCS, and its PPDU.
fn frame(rng: &mut Rng, format: Format, mcs: Mcs, gi: Gi, len: usize) -> (Vec<u8>, Vec<Complex32>) {
    let mut psdu = vec![0u8; len - FCS_LEN];
    rng.fill_bytes(&mut psdu);
    append_fcs(&mut psdu);
    let mut req = TxRequest::new(psdu, format, mcs);
    req.gi = gi;
    req.scrambler_seed = 1 + rng.below(127) as u8;
    let ppdu = tx::modulate(&req).expect("test frames fit their MCS");
    (req.psdu, ppdu)
}

fn zeros(n: usize) -> Vec<Complex32> {
    vec![Complex32::new(0.0, 0.0); n]
}

/// Feeds `stream` to a fresh receiver in blocks whose sizes `next_block` chooses.
fn receive_with(
    format: Format,
    stream: &[Complex32],
    mut next_block: impl FnMut() -> usize,
) -> Vec<RxFrame> {
    let mut rx = Receiver::new(ReceiverConfig::new(format));
    let mut out = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let n = next_block().clamp(1, stream.len() - at);
        rx.process(&stream[at..at + n], &mut out);
        at += n;
    }
    let stats = rx.finish();
    assert_eq!(stats.truncated, 0, "{stats:?}");
    out
}

/// Asserts that `got` holds exactly the frames `want` = (PSDU, start sample).
fn assert_frames(what: &str, got: &[RxFrame], want: &[(Vec<u8>, usize)]) {
    let idx: Vec<u64> = got.iter().map(|f| f.info.sample_index).collect();
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} frames at {idx:?}, want {}",
        got.len(),
        want.len()
    );
    for (i, (g, (psdu, start))) in got.iter().zip(want).enumerate() {
        assert!(g.psdu == *psdu, "{what}: frame {i} PSDU differs");
        assert!(
            g.info.sample_index.abs_diff(*start as u64) <= START_TOLERANCE,
            "{what}: frame {i} at {}, want {start}",
            g.info.sample_index
        );
    }
}

#[test]
fn back_to_back_frames_with_no_gap_all_decode() {
    let mut rng = Rng::new(11);
    for format in Format::ALL {
        // three MCS, the last one long enough to be an A-MPDU
        let plan = [(Mcs(0), 60), (Mcs(3), 300), (Mcs(7), 700)];
        let mut stream = zeros(250);
        let mut want = Vec::new();
        for (mcs, len) in plan {
            let (psdu, ppdu) = frame(&mut rng, format, mcs, Gi::Long, len);
            want.push((psdu, stream.len()));
            stream.extend(ppdu);
        }
        stream.extend(zeros(250));
        let (got, stats) = receive_all(ReceiverConfig::new(format), &stream);
        assert_frames(&format!("{format} back to back"), &got, &want);
        let mcs: Vec<Mcs> = got.iter().map(|f| f.info.mcs).collect();
        assert_eq!(mcs, [Mcs(0), Mcs(3), Mcs(7)], "{format}");
        assert_eq!(stats.frames, 3, "{format}: {stats:?}");
    }
}

#[test]
fn frames_at_the_very_start_and_end_of_the_stream_decode() {
    let mut rng = Rng::new(12);
    for format in Format::ALL {
        // (each of these has at least two data symbols; see the single-symbol test below)
        for (mcs, len) in [
            (Mcs(0), FCS_LEN),
            (Mcs(0), 100),
            (Mcs(7), 100),
            (Mcs(7), 400),
        ] {
            // the stream is exactly one PPDU: first sample is its first, last its last
            let (psdu, ppdu) = frame(&mut rng, format, mcs, Gi::Short, len);
            let what = format!("{format} {mcs} {len} bytes alone");
            let (got, stats) = receive_all(ReceiverConfig::new(format), &ppdu);
            assert_frames(&what, &got, &[(psdu.clone(), 0)]);
            assert_eq!(stats.truncated, 0, "{what}: {stats:?}");

            // a frame at sample 0, a gap, a frame ending on the last sample
            let (psdu2, ppdu2) = frame(&mut rng, format, mcs, Gi::Long, len);
            let mut stream = ppdu;
            stream.extend(zeros(300));
            let second = stream.len();
            stream.extend(ppdu2);
            let (got, _) = receive_all(ReceiverConfig::new(format), &stream);
            assert_frames(
                &format!("{format} {mcs} {len} bytes at both edges"),
                &got,
                &[(psdu, 0), (psdu2, second)],
            );
        }
    }
}

#[test]
/// Regression: the receiver once waited for more samples than the shortest 2 MHz PPDU has.
fn single_symbol_frame_ending_the_stream_decodes() {
    let mut rng = Rng::new(13);
    for format in Format::ALL {
        for len in [FCS_LEN, 10] {
            let mcs = if format == Format::S1g1M {
                Mcs(7)
            } else {
                Mcs(8)
            };
            let (psdu, ppdu) = frame(&mut rng, format, mcs, Gi::Long, len);
            assert_eq!(format.n_sym(mcs, len), 1);
            let what = format!("{format} {mcs} {len} bytes, one data symbol");
            let (got, stats) = receive_all(ReceiverConfig::new(format), &ppdu);
            assert_eq!(stats.truncated, 0, "{what}: {stats:?}");
            assert_frames(&what, &got, &[(psdu, 0)]);
        }
    }
}

/// Frames with random gaps, through CFO, 30 dB SNR and fractional timing.
fn impaired_stream(format: Format, seed: u64, lens: &[(Mcs, usize)]) -> Vec<Complex32> {
    let mut rng = Rng::new(seed);
    let mut clean = Vec::new();
    for &(mcs, len) in lens {
        clean.extend(zeros(100 + rng.below(400) as usize));
        clean.extend(frame(&mut rng, format, mcs, Gi::Short, len).1);
    }
    let cfg = ChannelConfig {
        sample_rate: format.sample_rate(),
        snr_db: Some(30.0),
        cfo_hz: 4_000.0,
        delay: 0.37,
        seed,
        ..Default::default()
    };
    channel::apply(&cfg, &clean, 200)
}

/// Exactly equal, or for the floating-point estimates, equal to within float rounding.
fn assert_same(what: &str, a: &[RxFrame], b: &[RxFrame]) {
    assert_eq!(a.len(), b.len(), "{what}: frame count");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(x.psdu == y.psdu, "{what}: frame {i} PSDU");
        let (p, q) = (&x.info, &y.info);
        assert_eq!(p.sample_index, q.sample_index, "{what}: frame {i}");
        assert_eq!(
            (p.format, p.mcs, p.gi, p.length, p.aggregated, p.fcs_ok),
            (q.format, q.mcs, q.gi, q.length, q.aggregated, q.fcs_ok),
            "{what}: frame {i}"
        );
        assert_eq!(p.time_s, q.time_s, "{what}: frame {i}");
        // these are estimated from the same samples; only the phase origin of the CFO
        // derotation moves with the receiver's buffer compaction
        let close = |u: f32, v: f32, tol: f32| (u - v).abs() <= tol;
        assert!(
            close(p.rssi_dbfs, q.rssi_dbfs, 1e-3),
            "{what}: {p:?} vs {q:?}"
        );
        assert!(close(p.snr_db, q.snr_db, 1e-2), "{what}: {p:?} vs {q:?}");
        assert!(close(p.cfo_hz, q.cfo_hz, 1e-1), "{what}: {p:?} vs {q:?}");
    }
}

#[test]
fn block_size_does_not_change_what_is_received() {
    for format in Format::ALL {
        let stream = impaired_stream(
            format,
            21,
            &[(Mcs(1), 40), (Mcs(4), 600), (Mcs(0), 4), (Mcs(6), 200)],
        );
        let whole = receive_with(format, &stream, || usize::MAX);
        assert_eq!(whole.len(), 4, "{format}: one block");
        let mut rng = Rng::new(22);
        let random = receive_with(format, &stream, || 1 + rng.below(3000) as usize);
        assert_same(&format!("{format} random blocks"), &whole, &random);
        let sevens = receive_with(format, &stream, || 7);
        assert_same(&format!("{format} 7-sample blocks"), &whole, &sevens);

        // 1-sample blocks on a short stream
        let short = impaired_stream(format, 23, &[(Mcs(2), 30), (Mcs(5), 10)]);
        let whole = receive_with(format, &short, || usize::MAX);
        assert_eq!(whole.len(), 2, "{format}: short stream, one block");
        let ones = receive_with(format, &short, || 1);
        assert_same(&format!("{format} 1-sample blocks"), &whole, &ones);
    }
}

#[test]
fn finish_counts_a_cut_off_frame_as_truncated() {
    let mut rng = Rng::new(31);
    for format in Format::ALL {
        let (first, ppdu1) = frame(&mut rng, format, Mcs(1), Gi::Long, 120);
        let (_, ppdu2) = frame(&mut rng, format, Mcs(1), Gi::Long, 120);
        let n = ppdu2.len();
        // cut inside the SIG, in the middle of the data, one sample short of the end
        for cut in [format.preamble_len() - 10, n / 2, n - 1] {
            let mut stream = zeros(200);
            stream.extend(&ppdu1);
            stream.extend(zeros(200));
            stream.extend(&ppdu2[..cut]);
            let mut rx = Receiver::new(ReceiverConfig::new(format));
            let mut out = Vec::new();
            rx.process(&stream, &mut out);
            let what = format!("{format} second frame cut at {cut} of {n}");
            assert_frames(&what, &out, &[(first.clone(), 200)]);
            let stats = rx.finish();
            assert_eq!(stats.truncated, 1, "{what}: {stats:?}");
            assert_eq!(stats.frames, 1, "{what}: {stats:?}");
            assert_eq!(out.len(), 1, "{what}");
            // finishing again has nothing left to count
            assert_eq!(rx.finish().truncated, 1, "{what}");
        }
    }
}

#[test]
fn reset_restarts_sample_indices_at_zero() {
    let mut rng = Rng::new(41);
    for format in Format::ALL {
        let (psdu, ppdu) = frame(&mut rng, format, Mcs(2), Gi::Long, 80);
        let mut stream = zeros(1000);
        stream.extend(&ppdu);
        stream.extend(zeros(300));

        let mut rx = Receiver::new(ReceiverConfig::new(format));
        let mut out = Vec::new();
        rx.process(&stream, &mut out);
        assert_frames(
            &format!("{format} first pass"),
            &out,
            &[(psdu.clone(), 1000)],
        );

        // after a reset the same stream gives the same index, not one 1000 + len later
        rx.reset();
        let mut again = Vec::new();
        rx.process(&stream, &mut again);
        assert_frames(
            &format!("{format} after reset"),
            &again,
            &[(psdu.clone(), 1000)],
        );

        // a reset in the middle of a frame forgets it: nothing from the half frame
        rx.reset();
        let mut third = Vec::new();
        rx.process(&stream[..1000 + ppdu.len() / 2], &mut third);
        rx.reset();
        rx.process(&stream, &mut third);
        assert_frames(
            &format!("{format} reset mid-frame"),
            &third,
            &[(psdu, 1000)],
        );
        let stats = rx.finish();
        assert_eq!(
            stats.frames, 3,
            "{format}: counters survive reset: {stats:?}"
        );
        assert_eq!(stats.truncated, 0, "{format}: {stats:?}");
    }
}

/// Regression: with detections firing inside the STF, compaction between blocks once
/// dropped the STF start of a frame whose detection completed in the next block.
#[test]
fn a_busy_channel_fed_in_large_blocks_loses_nothing() {
    for (format, mcs) in [(Format::S1g1M, Mcs(0)), (Format::S1gShort2M, Mcs(7))] {
        let mut rng = Rng::new(11);
        let mut tx = subgate_dsp::tx::Transmitter::new();
        let mut x = Vec::new();
        let mut sent = Vec::new();
        for _ in 0..60 {
            let mut psdu = vec![0u8; 252];
            rng.fill_bytes(&mut psdu);
            append_fcs(&mut psdu);
            let req = TxRequest::new(psdu.clone(), format, mcs);
            if tx.modulate(&req, &mut x).is_err() {
                panic!("modulate");
            }
            sent.push(psdu);
        }
        let cfg = subgate_dsp::channel::ChannelConfig {
            sample_rate: format.sample_rate(),
            snr_db: Some(30.0),
            cfo_hz: 10e3,
            ..Default::default()
        };
        let y = subgate_dsp::channel::apply(&cfg, &x, 0);
        let mut rx = Receiver::new(ReceiverConfig::new(format));
        let mut out = Vec::new();
        for block in y.chunks(1 << 16) {
            rx.process(block, &mut out);
        }
        let got: Vec<&Vec<u8>> = out.iter().map(|f| &f.psdu).collect();
        let want: Vec<&Vec<u8>> = sent.iter().collect();
        assert_eq!(got, want, "{format} {mcs}: {:?}", rx.finish());
    }
}

/// Regression: after digital silence a noise-free frame correlates as soon as the detector
/// window touches it, so detection fires before the STF (earlier still with the multipath
/// filter's pre-ringing); the LTF search must reach that far.
#[test]
fn noise_free_frames_after_silence_decode_through_multipath() {
    use subgate_dsp::channel::Multipath;
    for format in Format::ALL {
        for seed in 0..20u64 {
            let mut rng = Rng::new(seed);
            let mut psdu = vec![0u8; 96];
            rng.fill_bytes(&mut psdu);
            append_fcs(&mut psdu);
            let Ok(x) = tx::modulate(&TxRequest::new(psdu.clone(), format, Mcs(3))) else {
                panic!("modulate");
            };
            let cfg = ChannelConfig {
                sample_rate: format.sample_rate(),
                multipath: Multipath::TgnD,
                delay: rng.uniform() * 100.0,
                cfo_hz: 5e3,
                seed,
                ..Default::default()
            };
            let y = channel::apply(&cfg, &x, 200);
            let (frames, stats) = receive_all(ReceiverConfig::new(format), &y);
            assert!(
                frames.len() == 1 && frames[0].psdu == psdu,
                "{format} seed {seed}: {stats:?}"
            );
        }
    }
}
