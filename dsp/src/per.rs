//! Packet-error-rate measurement through the channel model, for benchmarks and tests.
//!
//! Each frame gets its own random payload, CFO, timing and channel realisation from the
//! seed, so a run is reproducible and frames are independent. Frames run in parallel with
//! rayon; each worker owns a receiver.

use crate::channel::{apply, ChannelConfig, Multipath};
use crate::crc::append_fcs;
use crate::frame::TxRequest;
use crate::frontend::inloop::BoardPath;
use crate::params::{Format, Mcs};
use crate::rng::Rng;
use crate::rx::{Receiver, ReceiverConfig};
use crate::tx::Transmitter;
use rayon::prelude::*;

/// What a PER sweep varies and holds fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct PerConfig {
    /// Format.
    pub format: Format,
    /// MCS.
    pub mcs: Mcs,
    /// PSDU length including the 4-byte FCS.
    pub psdu_len: usize,
    /// Frames per SNR point.
    pub frames: usize,
    /// Largest |CFO|, Hz; each frame draws uniformly in ±this.
    pub cfo_max_hz: f64,
    /// Sample-clock offset, ppm (sign drawn per frame).
    pub sco_ppm: f64,
    /// Multipath profile.
    pub multipath: Multipath,
    /// Also decode with the genie receiver.
    pub genie: bool,
    /// Also decode what the front-end models forward ([`crate::frontend::inloop`]: the
    /// frame moved into a 16 Msps band, quantised, through DDC, decimation, detector and
    /// burst gate, each burst decoded on its own). 1 MHz format only.
    pub frontend: bool,
    /// Seed of every draw.
    pub seed: u64,
}

impl PerConfig {
    /// The default conditions: 256-byte PSDU, ±37 kHz CFO (±40 ppm at 928 MHz),
    /// 20 ppm clock offset, random timing, AWGN.
    pub fn new(format: Format, mcs: Mcs, frames: usize) -> Self {
        PerConfig {
            format,
            mcs,
            psdu_len: 256,
            frames,
            cfo_max_hz: 37e3,
            sco_ppm: 20.0,
            multipath: Multipath::None,
            genie: false,
            frontend: false,
            seed: 1,
        }
    }
}

/// One measured point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerPoint {
    /// SNR, dB.
    pub snr_db: f64,
    /// Frames sent.
    pub frames: usize,
    /// Frames not received correctly by the real receiver.
    pub errors: usize,
    /// Frames not received correctly by the genie (when measured).
    pub genie_errors: Option<usize>,
    /// Frames not received correctly through the front-end models (when measured).
    pub frontend_errors: Option<usize>,
}

impl PerPoint {
    /// Packet error rate of the real receiver.
    pub fn per(&self) -> f64 {
        self.errors as f64 / self.frames.max(1) as f64
    }

    /// Packet error rate of the genie receiver.
    pub fn genie_per(&self) -> Option<f64> {
        self.genie_errors
            .map(|e| e as f64 / self.frames.max(1) as f64)
    }

    /// Packet error rate through the front-end models.
    pub fn frontend_per(&self) -> Option<f64> {
        self.frontend_errors
            .map(|e| e as f64 / self.frames.max(1) as f64)
    }
}

/// Channel draw of frame `i` at `snr_db`.
fn frame_channel(cfg: &PerConfig, snr_db: f64, i: usize, rng: &mut Rng) -> ChannelConfig {
    let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
    ChannelConfig {
        sample_rate: cfg.format.sample_rate(),
        snr_db: Some(snr_db),
        cfo_hz: (rng.uniform() * 2.0 - 1.0) * cfg.cfo_max_hz,
        sco_ppm: sign * cfg.sco_ppm,
        delay: 20.0 + rng.uniform() * 200.0,
        multipath: cfg.multipath,
        doppler_hz: 0.0,
        seed: cfg.seed.wrapping_mul(1_000_003).wrapping_add(i as u64),
    }
}

/// Measures PER at one SNR.
pub fn measure(cfg: &PerConfig, snr_db: f64) -> PerPoint {
    let board = (cfg.frontend && cfg.format == Format::S1g1M).then(BoardPath::default);
    let results: Vec<(bool, Option<bool>, Option<bool>)> = (0..cfg.frames)
        .into_par_iter()
        .map_init(
            || {
                (
                    Transmitter::new(),
                    Receiver::new(ReceiverConfig::new(cfg.format)),
                    Vec::new(),
                )
            },
            |(tx, rx, buf), i| {
                let mut rng = Rng::new(cfg.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let mut psdu = vec![0u8; cfg.psdu_len.saturating_sub(4)];
                rng.fill_bytes(&mut psdu);
                append_fcs(&mut psdu);
                let req = TxRequest::new(psdu.clone(), cfg.format, cfg.mcs);
                buf.clear();
                if tx.modulate(&req, buf).is_err() {
                    return (false, cfg.genie.then_some(false), board.map(|_| false));
                }
                let ch = frame_channel(cfg, snr_db, i, &mut rng);
                let pad = 300;
                let y = apply(&ch, buf, pad);
                rx.reset();
                let mut frames = Vec::new();
                rx.process(&y, &mut frames);
                let ok = frames.len() == 1 && frames[0].psdu == psdu;
                let genie = cfg.genie.then(|| {
                    let clean = apply(&ChannelConfig { snr_db: None, ..ch }, buf, pad);
                    rx.decode_genie(&y, &clean).as_deref() == Some(&psdu[..])
                });
                let through = board.map(|b| {
                    let mut got = Vec::new();
                    for burst in b.bursts(&y) {
                        rx.reset();
                        rx.process(&burst, &mut got);
                    }
                    got.len() == 1 && got[0].psdu == psdu
                });
                (ok, genie, through)
            },
        )
        .collect();
    let errors = results.iter().filter(|r| !r.0).count();
    let genie_errors = cfg
        .genie
        .then(|| results.iter().filter(|r| r.1 != Some(true)).count());
    let frontend_errors = board.map(|_| results.iter().filter(|r| r.2 != Some(true)).count());
    PerPoint {
        snr_db,
        frames: cfg.frames,
        errors,
        genie_errors,
        frontend_errors,
    }
}

/// Measures a sweep of SNR points.
pub fn sweep(cfg: &PerConfig, snrs: &[f64]) -> Vec<PerPoint> {
    snrs.iter().map(|&s| measure(cfg, s)).collect()
}

/// SNR where PER crosses `target`, interpolated linearly in log(PER) between the two
/// bracketing points; `None` if the sweep never crosses it.
pub fn snr_at_per(points: &[PerPoint], target: f64, genie: bool) -> Option<f64> {
    let curve = if genie { Curve::Genie } else { Curve::Real };
    snr_at_per_of(points, target, curve)
}

/// Which receiver's PER a crossing is looked for on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// The receiver on the channel's samples.
    Real,
    /// The genie receiver.
    Genie,
    /// The receiver on what the front-end models forward.
    Frontend,
}

/// As [`snr_at_per`], on the PER of `curve` (a point without that measurement counts as
/// PER 1).
pub fn snr_at_per_of(points: &[PerPoint], target: f64, curve: Curve) -> Option<f64> {
    let per = |p: &PerPoint| match curve {
        Curve::Real => p.per(),
        Curve::Genie => p.genie_per().unwrap_or(1.0),
        Curve::Frontend => p.frontend_per().unwrap_or(1.0),
    };
    for w in points.windows(2) {
        let (a, b) = (per(&w[0]), per(&w[1]));
        if a > target && b <= target {
            let la = a.max(1e-4).ln();
            let lb = b.max(1e-4).ln();
            let lt = target.ln();
            let t = if (la - lb).abs() < 1e-12 {
                0.0
            } else {
                (la - lt) / (la - lb)
            };
            return Some(w[0].snr_db + t * (w[1].snr_db - w[0].snr_db));
        }
    }
    points
        .first()
        .filter(|p| per(p) <= target)
        .map(|p| p.snr_db)
}
