//! The receiver's constellation capture (`ReceiverConfig::keep_points`): the points it keeps
//! are the equalised data tones, close to the ideal constellation at high SNR and spread at
//! low SNR, and nothing is kept unless asked for.

use subgate_dsp::channel::Multipath;
use subgate_dsp::crc::append_fcs;
use subgate_dsp::mapping;
use subgate_dsp::rx::{Constellation, Receiver, ReceiverConfig};
use subgate_dsp::scene::{render, SceneFrame};
use subgate_dsp::{Complex32, Format, Mcs, TxRequest};

/// Decodes one 100-byte frame at `snr_db`; returns the frames decoded and the kept points.
fn capture(format: Format, mcs: Mcs, snr_db: f64, keep: usize) -> (usize, Vec<Constellation>) {
    let mut psdu = vec![0xA7u8; 96];
    append_fcs(&mut psdu);
    let frame = SceneFrame {
        req: TxRequest::new(psdu, format, mcs),
        start: 300,
        snr_db,
        cfo_hz: 1_500.0,
        sco_ppm: 0.0,
        multipath: Multipath::None,
        delay_frac: 0.3,
        seed: 11,
    };
    let (samples, _) = render(&[frame], 20_000, format.sample_rate(), 5).expect("renders");
    let mut rx = Receiver::new(ReceiverConfig {
        keep_points: keep,
        ..ReceiverConfig::new(format)
    });
    let mut out = Vec::new();
    rx.process(&samples, &mut out);
    let kept = rx.take_constellations();
    assert!(rx.take_constellations().is_empty(), "taken once");
    (out.len(), kept)
}

/// Mean squared distance of the points to the nearest ideal point of `mcs`.
fn mse_to_ideal(mcs: Mcs, points: &[Complex32]) -> f32 {
    let m = mcs.modulation();
    let n = m.bits_per_symbol();
    let ideal: Vec<Complex32> = (0..1u32 << n)
        .map(|v| {
            let bits: Vec<u8> = (0..n).map(|b| ((v >> b) & 1) as u8).collect();
            let mut p = [Complex32::new(0.0, 0.0)];
            mapping::map(m, &bits, &mut p);
            p[0]
        })
        .collect();
    points
        .iter()
        .map(|p| {
            ideal
                .iter()
                .map(|q| (p - q).norm_sqr())
                .fold(f32::MAX, f32::min)
        })
        .sum::<f32>()
        / points.len().max(1) as f32
}

#[test]
fn kept_points_sit_on_the_constellation_at_high_snr() {
    for (format, mcs) in [
        (Format::S1g1M, Mcs(10)),
        (Format::S1g1M, Mcs(1)),
        (Format::S1g1M, Mcs(4)),
        (Format::S1gShort2M, Mcs(7)),
    ] {
        let (frames, kept) = capture(format, mcs, 35.0, 500);
        assert_eq!(frames, 1, "{format} {mcs:?}");
        assert_eq!(kept.len(), 1);
        let n_sym = format.n_sym(mcs, 100);
        let expect = (n_sym * format.n_data_tones()).min(500);
        assert_eq!(kept[0].points.len(), expect, "{format} {mcs:?}");
        let mse = mse_to_ideal(mcs, &kept[0].points);
        // 35 dB SNR is an error-vector power of about 3e-4; the estimate's noise doubles it.
        assert!(mse < 3e-3, "{format} {mcs:?}: mse {mse}");
    }
}

#[test]
fn points_spread_with_noise() {
    let (_, clean) = capture(Format::S1g1M, Mcs(1), 35.0, 2000);
    let (frames, noisy) = capture(Format::S1g1M, Mcs(1), 9.0, 2000);
    assert_eq!(frames, 1, "QPSK 1/2 decodes at 9 dB");
    let (c, n) = (
        mse_to_ideal(Mcs(1), &clean[0].points),
        mse_to_ideal(Mcs(1), &noisy[0].points),
    );
    assert!(n > 10.0 * c, "9 dB: {n}, 35 dB: {c}");
}

#[test]
fn nothing_is_kept_by_default() {
    let (frames, kept) = capture(Format::S1g1M, Mcs(2), 30.0, 0);
    assert_eq!(frames, 1);
    assert!(kept.is_empty());
}
