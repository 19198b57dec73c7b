//! Deterministic radio channel model: multipath (TGn models B and D with TGah's ×10 delay
//! scaling, Rayleigh taps, optional Doppler), delay with fractional timing, sample-clock
//! offset, carrier frequency offset and AWGN — all reproducible from a seed.
//!
//! SNR convention (also in docs/phy.md): signal power over noise power, both measured in
//! the sampled bandwidth (the whole `sample_rate`), with the transmitter's unit-power
//! output as the signal reference. Multipath taps have unit mean total power, so a faded
//! frame's instantaneous SNR varies around the nominal value, as on air.

use crate::resample::Resampler;
use crate::rng::Rng;
use num_complex::Complex32;
use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// Multipath profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Multipath {
    /// A single tap (AWGN channel).
    #[default]
    None,
    /// TGn model B (15 ns rms) with delays ×10 (150 ns rms): small outdoor cell.
    TgnB,
    /// TGn model D (50 ns rms) with delays ×10 (500 ns rms): TGah's outdoor macro profile.
    TgnD,
}

impl FromStr for Multipath {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "awgn" => Ok(Multipath::None),
            "b" | "tgn-b" | "model-b" => Ok(Multipath::TgnB),
            "d" | "tgn-d" | "model-d" => Ok(Multipath::TgnD),
            _ => Err(format!("unknown multipath model {s:?}: use none, b or d")),
        }
    }
}

impl fmt::Display for Multipath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Multipath::None => "none",
            Multipath::TgnB => "TGn-B x10",
            Multipath::TgnD => "TGn-D x10",
        })
    }
}

/// TGah scales the TGn excess delays by ten for sub-GHz outdoor links.
pub const TGAH_DELAY_SCALE: f64 = 10.0;

/// (excess delay in ns, summed power of all clusters in dB) per tap, before scaling.
fn profile(m: Multipath) -> &'static [(f64, f64)] {
    match m {
        Multipath::None => &[(0.0, 0.0)],
        Multipath::TgnB => &TGN_B,
        Multipath::TgnD => &TGN_D,
    }
}

/// TGn model B, its two clusters' powers summed per delay (IEEE 802.11-03/940r4 Appendix C;
/// e.g. 20 ns: −10.8 dB ⊕ −3.2 dB = −2.52 dB).
const TGN_B: [(f64, f64); 9] = [
    (0.0, 0.0),
    (10.0, -5.4),
    (20.0, -2.52),
    (30.0, -5.89),
    (40.0, -9.16),
    (50.0, -12.5),
    (60.0, -15.6),
    (70.0, -18.7),
    (80.0, -21.8),
];

/// TGn model D, its three clusters' powers summed per delay (IEEE 802.11-03/940r4
/// Appendix C; the same per-tap totals as HIPERLAN/2 model A).
const TGN_D: [(f64, f64); 18] = [
    (0.0, 0.0),
    (10.0, -0.9),
    (20.0, -1.7),
    (30.0, -2.6),
    (40.0, -3.5),
    (50.0, -4.3),
    (60.0, -5.2),
    (70.0, -6.1),
    (80.0, -6.9),
    (90.0, -7.8),
    (110.0, -4.7),
    (140.0, -7.3),
    (170.0, -9.9),
    (200.0, -12.5),
    (240.0, -13.7),
    (290.0, -18.0),
    (340.0, -22.4),
    (390.0, -26.7),
];

/// Channel settings. `Default` is an ideal channel at 1 Msps.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelConfig {
    /// Sample rate the model runs at, samples/s.
    pub sample_rate: f64,
    /// SNR in dB (see module docs); `None` adds no noise.
    pub snr_db: Option<f64>,
    /// Carrier frequency offset, Hz.
    pub cfo_hz: f64,
    /// Sample-clock offset of the receiver, ppm (positive: receiver clock fast).
    pub sco_ppm: f64,
    /// Delay before the first tap, samples (fractional part gives sub-sample timing).
    pub delay: f64,
    /// Multipath profile.
    pub multipath: Multipath,
    /// Maximum Doppler shift of the taps, Hz (0: static taps).
    pub doppler_hz: f64,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            sample_rate: 1e6,
            snr_db: None,
            cfo_hz: 0.0,
            sco_ppm: 0.0,
            delay: 0.0,
            multipath: Multipath::None,
            doppler_hz: 0.0,
            seed: 1,
        }
    }
}

impl ChannelConfig {
    /// Checks that every value is usable: finite, a positive rate, |CFO| below half the
    /// rate, |clock offset| ≤ 1000 ppm, delay ≥ 0, Doppler ≥ 0.
    pub fn validate(&self) -> Result<(), String> {
        let finite = [
            self.sample_rate,
            self.cfo_hz,
            self.sco_ppm,
            self.delay,
            self.doppler_hz,
        ]
        .iter()
        .all(|v| v.is_finite())
            && self.snr_db.is_none_or(|s| s.is_finite());
        if !finite {
            return Err("channel parameters must be finite numbers".into());
        }
        if self.sample_rate <= 0.0 {
            return Err(format!("sample rate {} must be positive", self.sample_rate));
        }
        if self.cfo_hz.abs() >= self.sample_rate / 2.0 {
            return Err(format!(
                "CFO {} Hz must be below half the sample rate ({} Hz)",
                self.cfo_hz,
                self.sample_rate / 2.0
            ));
        }
        if self.sco_ppm.abs() > 1000.0 {
            return Err(format!(
                "clock offset {} ppm is outside ±1000 ppm",
                self.sco_ppm
            ));
        }
        if self.delay < 0.0 || self.doppler_hz < 0.0 {
            return Err("delay and Doppler must not be negative".into());
        }
        Ok(())
    }
}

/// Sinusoids per tap in the Doppler (Clarke) model.
const DOPPLER_SINUSOIDS: usize = 8;
/// Samples between tap updates when Doppler is on.
const DOPPLER_UPDATE: usize = 32;
/// Half-length of the windowed-sinc kernel that places each tap at its fractional delay.
const TAP_HALF: usize = 8;

#[derive(Debug, Clone)]
struct Tap {
    delay: f64,
    gain: Complex32,
    // Doppler: (angle-of-arrival cosine · fd, phase) per sinusoid, and amplitude
    sinusoids: Vec<(f64, f64)>,
    amp: f64,
}

/// A stateful channel: feed it the transmitter's stream block by block.
#[derive(Debug, Clone)]
pub struct Channel {
    cfg: ChannelConfig,
    rng: Rng,
    taps: Vec<Tap>,
    fir: Vec<Complex32>,
    fir_hist: Vec<Complex32>,
    resampler: Option<Resampler>,
    pending_zeros: usize,
    n_out: u64,
    n_in: u64,
    noise_std: f32,
    tmp: Vec<Complex32>,
    tmp2: Vec<Complex32>,
}

fn sinc_w(x: f64) -> f64 {
    let h = TAP_HALF as f64;
    if x.abs() >= h {
        return 0.0;
    }
    let s = if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    };
    s * (0.42 + 0.5 * (PI * x / h).cos() + 0.08 * (2.0 * PI * x / h).cos())
}

impl Channel {
    /// A channel with its random realisation drawn from `cfg.seed`.
    ///
    /// # Panics
    /// If `cfg` fails [`ChannelConfig::validate`] (check it first for outside input).
    pub fn new(cfg: ChannelConfig) -> Self {
        if let Err(e) = cfg.validate() {
            panic!("invalid channel configuration: {e}");
        }
        let mut rng = Rng::new(cfg.seed);
        let prof = profile(cfg.multipath);
        let total: f64 = prof.iter().map(|&(_, db)| 10f64.powf(db / 10.0)).sum();
        let taps = prof
            .iter()
            .map(|&(ns, db)| {
                let p = 10f64.powf(db / 10.0) / total;
                let delay = ns * 1e-9 * TGAH_DELAY_SCALE * cfg.sample_rate;
                let rayleigh = cfg.multipath != Multipath::None;
                let gain = if rayleigh {
                    let s = (p / 2.0).sqrt();
                    Complex32::new((rng.normal() * s) as f32, (rng.normal() * s) as f32)
                } else {
                    Complex32::new(1.0, 0.0)
                };
                let sinusoids = (0..DOPPLER_SINUSOIDS)
                    .map(|_| {
                        let a = 2.0 * PI * rng.uniform();
                        (a.cos() * cfg.doppler_hz, 2.0 * PI * rng.uniform())
                    })
                    .collect();
                Tap {
                    delay,
                    gain,
                    sinusoids,
                    amp: p.sqrt(),
                }
            })
            .collect();
        let noise_std = cfg
            .snr_db
            .map(|s| (10f64.powf(-s / 10.0) / 2.0).sqrt() as f32)
            .unwrap_or(0.0);
        let sco_step = 1.0 / (1.0 + cfg.sco_ppm * 1e-6);
        let frac = cfg.delay - cfg.delay.floor();
        let resampler =
            (cfg.sco_ppm != 0.0 || frac != 0.0).then(|| Resampler::with_step(sco_step, -frac));
        let mut ch = Channel {
            pending_zeros: cfg.delay.max(0.0).floor() as usize,
            rng,
            taps,
            fir: Vec::new(),
            fir_hist: Vec::new(),
            resampler,
            n_out: 0,
            n_in: 0,
            noise_std,
            tmp: Vec::new(),
            tmp2: Vec::new(),
            cfg,
        };
        ch.rebuild_fir(0.0);
        ch
    }

    /// The configuration.
    pub fn config(&self) -> &ChannelConfig {
        &self.cfg
    }

    /// Current tap (delay in samples, gain) pairs.
    pub fn taps(&self) -> Vec<(f64, Complex32)> {
        self.taps.iter().map(|t| (t.delay, t.gain)).collect()
    }

    fn rebuild_fir(&mut self, t: f64) {
        if self.cfg.doppler_hz > 0.0 && self.cfg.multipath != Multipath::None {
            for tap in &mut self.taps {
                let mut g = Complex32::new(0.0, 0.0);
                for &(fd, ph) in &tap.sinusoids {
                    let a = 2.0 * PI * fd * t + ph;
                    g += Complex32::new(a.cos() as f32, a.sin() as f32);
                }
                tap.gain = g * (tap.amp / (DOPPLER_SINUSOIDS as f64).sqrt()) as f32;
            }
        }
        if self.cfg.multipath == Multipath::None {
            self.fir = vec![Complex32::new(1.0, 0.0)];
            return;
        }
        let max_delay = self.taps.iter().map(|t| t.delay).fold(0.0, f64::max);
        let len = (max_delay.ceil() as usize) + 2 * TAP_HALF + 1;
        let mut fir = vec![Complex32::new(0.0, 0.0); len];
        for tap in &self.taps {
            for (n, h) in fir.iter_mut().enumerate() {
                let x = n as f64 - TAP_HALF as f64 - tap.delay;
                *h += tap.gain * sinc_w(x) as f32;
            }
        }
        self.fir = fir;
    }

    /// Bulk delay (samples) the multipath filter adds on top of `cfg.delay`.
    pub fn filter_delay(&self) -> usize {
        if self.cfg.multipath == Multipath::None {
            0
        } else {
            TAP_HALF
        }
    }

    /// Feeds `input` (transmitter output, unit power) and appends the received samples.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<Complex32>) {
        // 1. integer delay
        let mut staged = std::mem::take(&mut self.tmp);
        staged.clear();
        if self.pending_zeros > 0 {
            staged.resize(self.pending_zeros, Complex32::new(0.0, 0.0));
            self.pending_zeros = 0;
        }
        staged.extend_from_slice(input);
        // 2. multipath FIR (time-varying with Doppler: refreshed every DOPPLER_UPDATE samples)
        let mut filtered = std::mem::take(&mut self.tmp2);
        filtered.clear();
        if self.fir.len() == 1 {
            filtered.extend_from_slice(&staged);
        } else {
            let l = self.fir.len();
            if self.fir_hist.len() < l - 1 {
                self.fir_hist = vec![Complex32::new(0.0, 0.0); l - 1];
            }
            for (i, &x) in staged.iter().enumerate() {
                if self.cfg.doppler_hz > 0.0
                    && (self.n_in + i as u64).is_multiple_of(DOPPLER_UPDATE as u64)
                {
                    let t = (self.n_in + i as u64) as f64 / self.cfg.sample_rate;
                    self.rebuild_fir(t);
                }
                self.fir_hist.push(x);
                let h = &self.fir_hist[self.fir_hist.len() - l..];
                let mut acc = Complex32::new(0.0, 0.0);
                for (a, c) in h.iter().rev().zip(&self.fir) {
                    acc += a * c;
                }
                filtered.push(acc);
            }
            let keep = self.fir_hist.len() - (l - 1);
            self.fir_hist.drain(..keep);
        }
        self.n_in += staged.len() as u64;
        // 3. sample clock / fractional timing
        let start = out.len();
        match &mut self.resampler {
            Some(r) => r.process(&filtered, out),
            None => out.extend_from_slice(&filtered),
        }
        // 4. CFO and noise
        let w = 2.0 * PI * self.cfg.cfo_hz / self.cfg.sample_rate;
        for (i, y) in out[start..].iter_mut().enumerate() {
            let m = self.n_out + i as u64;
            if self.cfg.cfo_hz != 0.0 {
                let (s, c) = (w * m as f64).sin_cos();
                *y *= Complex32::new(c as f32, s as f32);
            }
            if self.noise_std > 0.0 {
                *y += Complex32::new(
                    self.rng.normal() as f32 * self.noise_std,
                    self.rng.normal() as f32 * self.noise_std,
                );
            }
        }
        self.n_out += (out.len() - start) as u64;
        self.tmp = staged;
        self.tmp2 = filtered;
    }

    /// Pushes `n` samples of silence through (noise only, plus the tail of earlier input).
    pub fn silence(&mut self, n: usize, out: &mut Vec<Complex32>) {
        let zeros = vec![Complex32::new(0.0, 0.0); n];
        self.process(&zeros, out);
    }
}

/// Runs `x` through a fresh channel and returns the received samples, with `pad` samples of
/// silence before and after the signal.
pub fn apply(cfg: &ChannelConfig, x: &[Complex32], pad: usize) -> Vec<Complex32> {
    let mut ch = Channel::new(cfg.clone());
    let mut out = Vec::with_capacity(x.len() + 2 * pad + 64);
    ch.silence(pad, &mut out);
    ch.process(x, &mut out);
    ch.silence(pad, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn power(x: &[Complex32]) -> f64 {
        x.iter().map(|c| c.norm_sqr() as f64).sum::<f64>() / x.len() as f64
    }

    #[test]
    fn noise_power_follows_snr() {
        let cfg = ChannelConfig {
            snr_db: Some(10.0),
            seed: 3,
            ..Default::default()
        };
        let y = apply(&cfg, &[], 100_000);
        let p = power(&y);
        assert!((p - 0.1).abs() < 0.003, "noise power {p}");
    }

    #[test]
    fn cfo_rotates_at_the_right_rate() {
        let cfg = ChannelConfig {
            cfo_hz: 1000.0,
            ..Default::default()
        };
        let x = vec![Complex32::new(1.0, 0.0); 2000];
        let y = apply(&cfg, &x, 0);
        let ph = (y[1500] * y[500].conj()).arg() as f64;
        let want = (2.0 * PI * 1000.0 * 1000.0 / 1e6 + PI).rem_euclid(2.0 * PI) - PI;
        assert!((ph - want).abs() < 1e-3, "{ph} vs {want}");
    }

    #[test]
    fn same_seed_same_output_and_unit_mean_tap_power() {
        let cfg = ChannelConfig {
            multipath: Multipath::TgnD,
            snr_db: Some(20.0),
            seed: 9,
            ..Default::default()
        };
        let x: Vec<Complex32> = (0..500)
            .map(|i| Complex32::new((i % 7) as f32, 1.0))
            .collect();
        assert_eq!(apply(&cfg, &x, 10), apply(&cfg, &x, 10));
        let mut total = 0.0;
        let n = 2000;
        for seed in 0..n {
            let ch = Channel::new(ChannelConfig {
                multipath: Multipath::TgnD,
                seed,
                ..Default::default()
            });
            total += ch
                .taps()
                .iter()
                .map(|(_, g)| g.norm_sqr() as f64)
                .sum::<f64>();
        }
        let mean = total / n as f64;
        assert!((mean - 1.0).abs() < 0.05, "mean tap power {mean}");
    }

    #[test]
    fn clock_offset_stretches_time() {
        let x = vec![Complex32::new(1.0, 0.0); 100_000];
        let fast = apply(
            &ChannelConfig {
                sco_ppm: 100.0,
                ..Default::default()
            },
            &x,
            0,
        );
        // same resampler latency, no clock offset
        let base = apply(
            &ChannelConfig {
                delay: 0.5,
                ..Default::default()
            },
            &x,
            0,
        );
        // 100 ppm fast receiver clock → 10 more output samples per 100 000
        let d = fast.len() as i64 - base.len() as i64;
        assert!((8..=12).contains(&d), "length difference {d}");
    }
}
