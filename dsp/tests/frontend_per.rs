//! PER with the front-end models in the receive loop against PER without them, at the PER
//! sweeps' conditions (256-byte PSDU, ±37 kHz CFO, ±20 ppm clock, random timing, AWGN): the
//! models — 16 Msps band, 16-bit ADC, DDC, decimation, STF detector, burst gate — must lose
//! nothing the receiver needs, so the SNR at 10 % PER moves by at most 0.5 dB.

use subgate_dsp::per::{measure, snr_at_per_of, Curve, PerConfig};
use subgate_dsp::{Format, Mcs};

/// Frames per SNR point.
const FRAMES: usize = 160;

fn compare(mcs: Mcs, lo: f64, hi: f64) -> (f64, f64) {
    let mut cfg = PerConfig::new(Format::S1g1M, mcs, FRAMES);
    cfg.frontend = true;
    let snrs: Vec<f64> = (0..)
        .map(|i| lo + 0.5 * i as f64)
        .take_while(|s| *s <= hi + 1e-9)
        .collect();
    let points: Vec<_> = snrs.iter().map(|&s| measure(&cfg, s)).collect();
    for p in &points {
        println!(
            "MCS{} {:5.1} dB: PER {:.3} without the models, {:.3} through them",
            mcs.0,
            p.snr_db,
            p.per(),
            p.frontend_per().unwrap_or(f64::NAN)
        );
    }
    let real = snr_at_per_of(&points, 0.1, Curve::Real).expect("real curve crosses 10 %");
    let board = snr_at_per_of(&points, 0.1, Curve::Frontend).expect("models' curve crosses 10 %");
    println!(
        "MCS{}: SNR at 10 % PER {real:.2} dB without, {board:.2} dB with the models (Δ {:+.2} dB)",
        mcs.0,
        board - real
    );
    (real, board)
}

#[test]
fn models_in_the_loop_cost_at_most_half_a_db() {
    for (mcs, lo, hi) in [
        (Mcs(10), -4.5, -1.5),
        (Mcs(0), -2.0, 0.5),
        (Mcs(3), 6.5, 9.0),
    ] {
        let (real, board) = compare(mcs, lo, hi);
        assert!(
            (board - real).abs() <= 0.5,
            "MCS{}: {real:.2} dB without, {board:.2} dB with the models",
            mcs.0
        );
    }
}
