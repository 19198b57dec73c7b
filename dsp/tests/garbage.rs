//! Robustness: the receiver of each format never panics on arbitrary samples (NaN, ±inf,
//! f32::MAX, denormals, real frames with such values spliced in) in arbitrary block sizes,
//! and counts every sample; pure noise at levels from −120 dB to +60 dB, DC and a tone
//! return no frame; a SIG with a valid CRC that announces an MCS the format lacks, an empty
//! A-MPDU, an A-MPDU that is not one, or more bytes than were sent, is counted in the
//! right `RxStats` field and not returned; and the transmitter refuses, with the right
//! `TxError`, an MCS outside the format, scrambler seeds 0 and > 127, 4096-byte PSDUs and
//! byte-length PSDUs over 511 bytes.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use subgate_dsp::bcc;
use subgate_dsp::crc::append_fcs;
use subgate_dsp::frame::LengthMode;
use subgate_dsp::interleaver::Interleaver;
use subgate_dsp::ofdm::OfdmModulator;
use subgate_dsp::params::{MAX_PSDU_LEN, SIG_DATA_TONES_2M};
use subgate_dsp::pilots::{pilot_values, Field};
use subgate_dsp::rng::Rng;
use subgate_dsp::rx::{receive_all, Receiver, ReceiverConfig, RxStats};
use subgate_dsp::sig::{Sig, MAX_SIG_BITS, REPETITION_MASK};
use subgate_dsp::tx::{self, Transmitter, TxError};
use subgate_dsp::{Complex32, Format, Gi, Mcs, RxFrame, TxRequest};

/// Samples of pure noise per level and format.
const NOISE_LEN: usize = 1 << 18;

/// An `f32` that is usually ordinary and often pathological.
fn wild_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        6 => -2.0f32..2.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(f32::MAX),
        1 => Just(-f32::MAX),
        1 => Just(f32::MIN_POSITIVE / 8.0), // denormal
        1 => Just(-0.0f32),
        1 => -1e30f32..1e30,
        1 => any::<f32>(),
    ]
}

fn wild_samples(max: usize) -> impl Strategy<Value = Vec<Complex32>> {
    prop::collection::vec(
        (wild_f32(), wild_f32()).prop_map(|(re, im)| Complex32::new(re, im)),
        0..max,
    )
}

/// A valid PPDU from `seed`, scaled by `gain`, with `splices` (position, value) written over it.
fn spliced_frame(
    format: Format,
    seed: u64,
    gain: f32,
    splices: &[(usize, Complex32)],
) -> Vec<Complex32> {
    let mut rng = Rng::new(seed);
    let mcs = loop {
        let m = Mcs(rng.below(11) as u8);
        if format.supports(m) {
            break m;
        }
    };
    let mut psdu = vec![0u8; rng.below(60) as usize];
    rng.fill_bytes(&mut psdu);
    append_fcs(&mut psdu);
    let mut x = tx::modulate(&TxRequest::new(psdu, format, mcs)).expect("short frames fit");
    for v in &mut x {
        *v *= gain;
    }
    let n = x.len();
    for &(at, v) in splices {
        x[at % n] = v;
    }
    x
}

/// Feeds `stream` in blocks cycling through `blocks` and checks what must hold whatever the input.
fn feed(format: Format, stream: &[Complex32], blocks: &[usize]) -> (Vec<RxFrame>, RxStats) {
    let mut rx = Receiver::new(ReceiverConfig::new(format));
    let mut out = Vec::new();
    let mut at = 0;
    let mut sizes = blocks.iter().cycle();
    while at < stream.len() {
        let n = sizes
            .next()
            .copied()
            .unwrap_or(usize::MAX)
            .clamp(1, stream.len() - at);
        rx.process(&stream[at..at + n], &mut out);
        at += n;
    }
    let stats = rx.finish();
    assert_eq!(stats.samples, stream.len() as u64, "{stats:?}");
    assert_eq!(stats.frames, out.len() as u64, "{stats:?}");
    for f in &out {
        // default config: only frames with a correct FCS come out
        assert!(f.info.fcs_ok && f.psdu.len() >= 4, "{:?}", f.info);
        assert_eq!(f.info.length, f.psdu.len());
        assert!(f.info.sample_index < stream.len() as u64);
    }
    (out, stats)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        rng_seed: RngSeed::Fixed(0x06A7_BA6E),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_samples_never_panic(
        two_mhz in any::<bool>(),
        before in wild_samples(3000),
        after in wild_samples(1500),
        frame_seed in any::<u64>(),
        with_frame in any::<bool>(),
        gain in prop_oneof![Just(1.0f32), Just(1e-30f32), Just(1e25f32), Just(f32::MAX)],
        splices in prop::collection::vec(
            (any::<usize>(), (wild_f32(), wild_f32()).prop_map(|(a, b)| Complex32::new(a, b))),
            0..40,
        ),
        blocks in prop::collection::vec(1usize..4000, 1..20),
    ) {
        let format = if two_mhz { Format::S1gShort2M } else { Format::S1g1M };
        let mut stream = before;
        if with_frame {
            stream.extend(spliced_frame(format, frame_seed, gain, &splices));
        }
        stream.extend(after);
        feed(format, &stream, &blocks);
    }
}

#[test]
fn noise_dc_and_tones_give_no_frames() {
    let mut rng = Rng::new(5);
    for format in Format::ALL {
        // complex Gaussian noise from −120 dB to +60 dB of a unit-power signal
        for std in [1e-6f64, 1e-3, 0.1, 1.0, 1e3] {
            let x: Vec<Complex32> = (0..NOISE_LEN)
                .map(|_| Complex32::new((rng.normal() * std) as f32, (rng.normal() * std) as f32))
                .collect();
            let (frames, stats) = feed(format, &x, &[4096, 1, 77, 10_000]);
            assert!(frames.is_empty(), "{format} noise σ {std}: {stats:?}");
            assert_eq!(stats.frames, 0);
        }
        // periodic inputs correlate perfectly at the STF lag: detections, but no frame
        let dc = vec![Complex32::new(0.5, -0.5); NOISE_LEN];
        let (frames, stats) = feed(format, &dc, &[NOISE_LEN]);
        assert!(frames.is_empty(), "{format} DC: {stats:?}");
        let lag = format.fft_len() / 4;
        let tone: Vec<Complex32> = (0..NOISE_LEN)
            .map(|i| {
                Complex32::from_polar(1.0, std::f32::consts::TAU * (i % lag) as f32 / lag as f32)
            })
            .collect();
        let (frames, stats) = feed(format, &tone, &[1000]);
        assert!(frames.is_empty(), "{format} tone: {stats:?}");
        assert!(
            stats.detections > 0,
            "{format}: a periodic tone should at least trigger the STF detector"
        );
    }
}

/// SIG symbols for `sig`, built the way 802.11ah builds them (independently of `tx`).
fn sig_symbols(format: Format, sig: &Sig) -> Vec<Complex32> {
    let n = Sig::n_bits(format);
    let mut bits = [0u8; MAX_SIG_BITS];
    sig.to_bits(format, &mut bits);
    let mut coded = [0u8; 2 * MAX_SIG_BITS];
    bcc::encode(&bits[..n], &mut coded[..2 * n]);
    let cp = format.gi_len(Gi::Long);
    let mut m = OfdmModulator::new(format.fft_len());
    let mut pil = [0f32; 4];
    let mut out = Vec::new();
    let (block, il, tones, scale): (usize, Interleaver, &[i32], f32) = match format {
        // 1 MHz: 12 coded bits per symbol, repeated to 24, BPSK on the 24 data tones
        Format::S1g1M => (
            12,
            Interleaver::new(24, 1, 8),
            format.data_tones(),
            26f32.sqrt(),
        ),
        // 2 MHz: 48 coded bits per symbol, QBPSK on the 802.11a tones
        Format::S1gShort2M => (
            48,
            Interleaver::new(48, 1, 16),
            &SIG_DATA_TONES_2M,
            52f32.sqrt(),
        ),
    };
    for (s, c) in coded[..2 * n].chunks_exact(block).enumerate() {
        let mut rep = [0u8; 48];
        let len = il.len();
        if format == Format::S1g1M {
            // repetition: the 12 bits, then the 12 bits XOR the mask
            rep[..12].copy_from_slice(c);
            for j in 0..12 {
                rep[12 + j] = c[j] ^ REPETITION_MASK[j];
            }
        } else {
            rep[..48].copy_from_slice(c);
        }
        let mut ilv = [0u8; 48];
        il.interleave(&rep[..len], &mut ilv[..len]);
        for (&k, &b) in tones.iter().zip(&ilv[..len]) {
            let v = 2.0 * b as f32 - 1.0;
            let qbpsk = format == Format::S1gShort2M;
            m.set(
                k,
                if qbpsk {
                    Complex32::new(0.0, v)
                } else {
                    Complex32::new(v, 0.0)
                },
            );
        }
        pilot_values(format, Field::Sig, s, &mut pil);
        for (&k, &p) in format.pilot_tones().iter().zip(&pil) {
            m.set(k, Complex32::new(p, 0.0));
        }
        m.emit(1.0 / scale, cp, &mut out);
    }
    out
}

/// A frame of `len` bytes at `mcs` whose SIG is replaced by `edit(sig)`, between silences.
fn frame_with_sig(format: Format, mcs: Mcs, len: usize, edit: impl Fn(&mut Sig)) -> Vec<Complex32> {
    let mut psdu = vec![0x42u8; len - 4];
    append_fcs(&mut psdu);
    let req = TxRequest::new(psdu, format, mcs);
    let mut sig = tx::layout(&req).expect("fits").sig;
    let mut x = tx::modulate(&req).expect("fits");
    // the SIG symbols are the end of the preamble
    let sig_len = sig_symbols(format, &sig).len();
    let at = format.preamble_len() - sig_len;
    edit(&mut sig);
    x.splice(at..at + sig_len, sig_symbols(format, &sig));
    let mut stream = vec![Complex32::new(0.0, 0.0); 300];
    stream.extend(x);
    stream
}

#[test]
fn crafted_sig_matches_the_transmitter() {
    // guards the next test: with an unedited SIG the splice changes nothing
    for format in Format::ALL {
        for m in [0u8, 4, 7] {
            let req = TxRequest::new(vec![0x42; 40], format, Mcs(m));
            let x = tx::modulate(&req).expect("fits");
            let sig = tx::layout(&req).expect("fits").sig;
            let mine = sig_symbols(format, &sig);
            let tx_sig = &x[format.preamble_len() - mine.len()..format.preamble_len()];
            let worst = mine
                .iter()
                .zip(tx_sig)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f32::max);
            assert!(worst < 1e-5, "{format} MCS{m}: SIG differs by {worst}");
        }
    }
}

/// Which `RxStats` counter a crafted frame must land in.
type Counter = fn(&RxStats) -> u64;

/// Frames whose SIG passes its CRC but cannot be received: (what, stream, counter).
fn bad_sig_frames(format: Format) -> Vec<(&'static str, Vec<Complex32>, Counter)> {
    let absent = if format == Format::S1g1M { 8 } else { 9 };
    vec![
        (
            "MCS the format lacks",
            frame_with_sig(format, Mcs(0), 40, |s| s.mcs = Mcs(absent)),
            |s| s.sig_unsupported,
        ),
        (
            "MCS 15",
            frame_with_sig(format, Mcs(0), 40, |s| s.mcs = Mcs(15)),
            |s| s.sig_unsupported,
        ),
    ]
}

/// Frames with a receivable SIG whose data cannot be a PSDU: (what, stream, counter).
fn bad_data_frames(format: Format) -> Vec<(&'static str, Vec<Complex32>, Counter)> {
    let zeros = vec![Complex32::new(0.0, 0.0); 6000];
    vec![
        (
            "A-MPDU of zero symbols",
            frame_with_sig(format, Mcs(0), 40, |s| {
                s.aggregation = true;
                s.length = 0;
            }),
            |s| s.data_errors,
        ),
        (
            "byte-length data announced as an A-MPDU",
            frame_with_sig(format, Mcs(2), 100, |s| {
                let n_sym = format.n_sym(s.mcs, s.length as usize);
                s.aggregation = true;
                s.length = n_sym as u16;
            }),
            |s| s.data_errors,
        ),
        (
            "LENGTH 511 over 100 bytes of data",
            {
                let mut x = frame_with_sig(format, Mcs(2), 100, |s| s.length = 511);
                x.extend(&zeros);
                x
            },
            |s| s.fcs_errors,
        ),
    ]
}

#[test]
fn bad_sigs_and_impossible_data_are_counted_not_returned() {
    for format in Format::ALL {
        for (what, stream, counter) in bad_sig_frames(format) {
            let (frames, stats) = receive_all(ReceiverConfig::new(format), &stream);
            assert!(frames.is_empty(), "{format} {what}: {stats:?}");
            assert!(counter(&stats) >= 1, "{format} {what}: {stats:?}");
            assert_eq!(
                stats.frames + stats.fcs_errors + stats.data_errors,
                0,
                "{format} {what}: {stats:?}"
            );
        }
        for (what, stream, counter) in bad_data_frames(format) {
            let (frames, stats) = receive_all(ReceiverConfig::new(format), &stream);
            assert!(frames.is_empty(), "{format} {what}: {stats:?}");
            assert_eq!(stats.detections, 1, "{format} {what}: {stats:?}");
            assert_eq!(counter(&stats), 1, "{format} {what}: {stats:?}");
        }
        // LENGTH 511 and the stream ends before the announced end: truncated
        let x = frame_with_sig(format, Mcs(0), 24, |s| s.length = 511);
        let (frames, stats) = receive_all(ReceiverConfig::new(format), &x);
        assert!(frames.is_empty(), "{format}: {stats:?}");
        assert_eq!(stats.truncated, 1, "{format}: {stats:?}");
    }
}

#[test]
/// Regression: a failed SIG once resumed the scan inside its own STF and was counted twice.
fn a_frame_with_an_unsupported_sig_is_counted_once() {
    for format in Format::ALL {
        for (what, stream, counter) in bad_sig_frames(format) {
            let (_, stats) = receive_all(ReceiverConfig::new(format), &stream);
            assert_eq!(stats.detections, 1, "{format} {what}: {stats:?}");
            assert_eq!(counter(&stats), 1, "{format} {what}: {stats:?}");
            assert_eq!(stats.sig_crc_errors, 0, "{format} {what}: {stats:?}");
        }
    }
}

#[test]
fn transmitter_refuses_what_it_cannot_send() {
    for format in Format::ALL {
        for m in 0..=255u8 {
            let mcs = Mcs(m);
            let req = TxRequest::new(vec![0; 10], format, mcs);
            if format.supports(mcs) {
                assert!(tx::modulate(&req).is_ok(), "{format} {mcs}");
                // 4096 bytes: one more than any MCS carries
                let long = TxRequest::new(vec![0; MAX_PSDU_LEN + 1], format, mcs);
                assert_eq!(
                    tx::layout(&long).err(),
                    Some(TxError::PsduTooLong {
                        len: MAX_PSDU_LEN + 1,
                        max: format.max_psdu_len(mcs),
                        format,
                        mcs
                    }),
                    "{format} {mcs}"
                );
                assert!(format.max_psdu_len(mcs) <= MAX_PSDU_LEN);
            } else {
                let want = Some(TxError::UnsupportedMcs { format, mcs });
                assert_eq!(tx::modulate(&req).err(), want, "{format} {mcs}");
                assert_eq!(Transmitter::ppdu_len(&req).err(), want, "{format} {mcs}");
                // the MCS is checked before the length
                let long = TxRequest::new(vec![0; MAX_PSDU_LEN + 1], format, mcs);
                assert_eq!(tx::layout(&long).err(), want, "{format} {mcs}");
            }
        }
        for seed in [0u8, 128, 200, 255] {
            let mut req = TxRequest::new(vec![0; 10], format, Mcs(0));
            req.scrambler_seed = seed;
            assert_eq!(
                tx::modulate(&req).err(),
                Some(TxError::BadScramblerSeed(seed))
            );
        }
        for seed in [1u8, 127] {
            let mut req = TxRequest::new(vec![0; 10], format, Mcs(0));
            req.scrambler_seed = seed;
            assert!(tx::modulate(&req).is_ok(), "{format} seed {seed}");
        }
        let mut req = TxRequest::new(vec![0; 512], format, Mcs(7));
        req.length_mode = LengthMode::Bytes;
        assert_eq!(
            tx::modulate(&req).err(),
            Some(TxError::TooLongForByteLength { len: 512 })
        );
        req.psdu.truncate(511);
        assert!(
            tx::modulate(&req).is_ok(),
            "{format}: 511 bytes fit LENGTH in bytes"
        );
    }
}
