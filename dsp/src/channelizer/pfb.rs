//! The polyphase analysis filter bank: one wideband stream in, every channel of a regular
//! grid out, at one or two samples per channel spacing.
//!
//! Channel `k` (bin `k` of an `M`-point FFT, at `k · spacing` from the stream's centre,
//! bins above `M/2` being the negative frequencies) is the input mixed down by
//! `e^{−j2πkn/M}`, filtered by the prototype `h` and decimated by `D`:
//!
//! `y_k[m] = Σ_l h[l] · x[mD − l] · e^{−j2πk(mD − l)/M}`
//!
//! computed for all `k` at once: the window `x[mD − L + 1 ..= mD]` times the reversed
//! prototype, folded into `M` branch sums, one forward FFT, and a phase per bin
//! (`e^{−j2πk/M}`, and `(−1)^{km}` when `D = M/2`). Input index `n` counts from 0 at
//! construction with zeros before it, so output `m` is centred on input
//! `mD − (L − 1)/2` ([`Channelizer::delay`]).
//!
//! The per-window work (branch sums and FFTs) is split over rayon's pool: outputs only read
//! the input, so any thread can compute any of them.

use super::prototype::PrototypeSpec;
use num_complex::Complex32;
use rayon::prelude::*;
use rustfft::{Fft, FftPlanner};
use std::f64::consts::PI;
use std::sync::Arc;

/// Samples per channel spacing the bank puts out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversampling {
    /// One sample per spacing (critically sampled, `D = M`): what the S1G receivers take,
    /// since their tones stop short of the channel edge.
    X1,
    /// Two samples per spacing (`D = M/2`, `M` even): no aliasing at the channel edges.
    X2,
}

/// How a [`Channelizer`] is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelizerConfig {
    /// Wideband input rate, samples/s: a whole multiple of `spacing_hz` (M of them).
    pub sample_rate: f64,
    /// Channel spacing, Hz (1 MHz for S1G 1 MHz channels, 2 MHz for 2 MHz channels).
    pub spacing_hz: f64,
    /// Output samples per spacing.
    pub oversampling: Oversampling,
    /// Taps per polyphase branch.
    pub taps_per_branch: usize,
    /// Frequency shift applied to the input before the bank, Hz: a channel at `f` comes out
    /// of the bin at `f + shift_hz`. 0 when the channels already sit on the grid.
    pub shift_hz: f64,
    /// The bins to put out, each in `0..M` (bin `k` at `k · spacing`, bins above `M/2` at
    /// `(k − M) · spacing`).
    pub bins: Vec<usize>,
}

/// Why a [`ChannelizerConfig`] cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChannelizerError {
    /// The rate is not a whole multiple (≥ 2) of the spacing.
    #[error("sample rate {rate} Hz is not a whole multiple (at least 2) of the channel spacing {spacing} Hz")]
    RateNotMultiple {
        /// Input rate.
        rate: f64,
        /// Spacing.
        spacing: f64,
    },
    /// 2× oversampling needs an even number of channels.
    #[error("2x oversampling needs an even number of channels, not {0}")]
    OddChannelsForX2(usize),
    /// A bin outside `0..M`.
    #[error("bin {bin} is outside the bank's {channels} channels")]
    BinOutOfRange {
        /// The bin asked for.
        bin: usize,
        /// M.
        channels: usize,
    },
    /// No taps.
    #[error("taps per branch must be at least 1")]
    NoTaps,
}

impl ChannelizerConfig {
    /// The number of channels M (= rate / spacing) if the rate is a whole multiple of it.
    pub fn channels(&self) -> Result<usize, ChannelizerError> {
        let ratio = self.sample_rate / self.spacing_hz;
        let m = ratio.round();
        if !(ratio.is_finite() && m >= 2.0 && (ratio - m).abs() < 1e-9 && m <= 65_536.0) {
            return Err(ChannelizerError::RateNotMultiple {
                rate: self.sample_rate,
                spacing: self.spacing_hz,
            });
        }
        Ok(m as usize)
    }

    /// The bin a channel at `offset_hz` from the stream's centre lands in (after the shift),
    /// if it lands on one.
    pub fn bin_of(&self, offset_hz: f64) -> Option<usize> {
        let m = self.channels().ok()?;
        let k = (offset_hz + self.shift_hz) / self.spacing_hz;
        let kr = k.round();
        if (k - kr).abs() > 1e-6 || kr.abs() > (m / 2) as f64 {
            return None;
        }
        Some((kr as i64).rem_euclid(m as i64) as usize)
    }
}

/// Outputs computed per rayon task.
const OUTPUTS_PER_TASK: usize = 128;

/// A streaming polyphase channelizer (see the module documentation).
pub struct Channelizer {
    m: usize,
    d: usize,
    len: usize,
    /// The prototype reversed, each tap twice (for the real and imaginary parts).
    taps2: Vec<f32>,
    /// Input history (shifted): `L − 1` zeros, then every input sample not yet dropped.
    hist: Vec<Complex32>,
    /// Start in `hist` of the next output's window.
    next: usize,
    /// Outputs produced so far.
    produced: u64,
    fft: Arc<dyn Fft<f32>>,
    /// `e^{−j2πk/M}` per bin.
    bin_phase: Vec<Complex32>,
    bins: Vec<usize>,
    shift: Shift,
}

/// How the input's frequency shift is done.
enum Shift {
    /// None.
    None,
    /// Half a channel spacing (`sign · spacing / 2`), folded into the bank: the window
    /// `x[n0 + i]·e^{jσπ(n0+i)/M}` splits into a factor per chunk of `M` taps (`(−1)^s`, in
    /// the taps' signs), one per branch (`e^{jσπq/M}`, after the branch sums) and one per
    /// output (`e^{jσπ·n0/M}`, `n0` the window's first input, from a table of `2M`).
    HalfBin {
        /// `e^{jσπq/M}` for `q` in `0..M`.
        branch: Vec<Complex32>,
        /// `e^{jσπr/M}` for `r` in `0..2M`.
        output: Vec<Complex32>,
    },
    /// Any other shift: the input is rotated sample by sample.
    Rotate(Rotator),
}

impl Channelizer {
    /// A channelizer with its prototype, FFT plan and buffers made once.
    pub fn new(cfg: &ChannelizerConfig) -> Result<Self, ChannelizerError> {
        let m = cfg.channels()?;
        if cfg.taps_per_branch == 0 {
            return Err(ChannelizerError::NoTaps);
        }
        let d = match cfg.oversampling {
            Oversampling::X1 => m,
            Oversampling::X2 if m % 2 == 0 => m / 2,
            Oversampling::X2 => return Err(ChannelizerError::OddChannelsForX2(m)),
        };
        if let Some(&bin) = cfg.bins.iter().find(|&&b| b >= m) {
            return Err(ChannelizerError::BinOutOfRange { bin, channels: m });
        }
        let mut spec = PrototypeSpec::s1g(m);
        spec.taps_per_branch = cfg.taps_per_branch;
        let taps = spec.taps();
        let len = taps.len();
        let frac = cfg.shift_hz / cfg.spacing_hz;
        let half = ((frac.abs() - 0.5).abs() < 1e-9).then(|| frac.signum());
        let mut taps2: Vec<f32> = taps.iter().rev().flat_map(|&h| [h, h]).collect();
        let shift = if cfg.shift_hz == 0.0 {
            Shift::None
        } else if let Some(sign) = half {
            // (−1)^s on the s-th chunk of M window positions
            for (s, chunk) in taps2.chunks_mut(2 * m).enumerate() {
                if s % 2 == 1 {
                    chunk.iter_mut().for_each(|v| *v = -*v);
                }
            }
            let rot = |r: usize, period: usize| {
                let ph = sign * PI * r as f64 / m as f64;
                debug_assert!(r < period);
                Complex32::new(ph.cos() as f32, ph.sin() as f32)
            };
            Shift::HalfBin {
                branch: (0..m).map(|q| rot(q, m)).collect(),
                output: (0..2 * m).map(|r| rot(r, 2 * m)).collect(),
            }
        } else {
            Shift::Rotate(Rotator::new(cfg.shift_hz / cfg.sample_rate))
        };
        let bin_phase = (0..m)
            .map(|k| {
                let ph = -2.0 * PI * k as f64 / m as f64;
                Complex32::new(ph.cos() as f32, ph.sin() as f32)
            })
            .collect();
        Ok(Channelizer {
            m,
            d,
            len,
            taps2,
            hist: vec![Complex32::new(0.0, 0.0); len - 1],
            next: 0,
            produced: 0,
            fft: FftPlanner::new().plan_fft_forward(m),
            bin_phase,
            bins: cfg.bins.clone(),
            shift,
        })
    }

    /// Forgets the stream (output indices restart at 0), keeping the plan and buffers: what
    /// a caller decoding many separate bursts does between them.
    pub fn reset(&mut self) {
        self.hist.clear();
        self.hist.resize(self.len - 1, Complex32::new(0.0, 0.0));
        self.next = 0;
        self.produced = 0;
        if let Shift::Rotate(rot) = &mut self.shift {
            rot.n = 0;
        }
    }

    /// Number of channels (M).
    pub fn channels(&self) -> usize {
        self.m
    }

    /// Decimation: input samples per output sample (D).
    pub fn decimation(&self) -> usize {
        self.d
    }

    /// The prototype's length (L).
    pub fn filter_len(&self) -> usize {
        self.len
    }

    /// Group delay in input samples: output `m` is centred on input `m·D − delay()`.
    pub fn delay(&self) -> f64 {
        (self.len - 1) as f64 / 2.0
    }

    /// The input sample output `m` is centred on (`m·D` less the group delay, rounded, 0 for
    /// the first outputs): how a channel's sample index maps back onto the wideband stream.
    pub fn input_index(&self, m: u64) -> u64 {
        (m as f64 * self.d as f64 - self.delay()).max(0.0).round() as u64
    }

    /// The bins put out, in the order of `process`'s outputs.
    pub fn bins(&self) -> &[usize] {
        &self.bins
    }

    /// Outputs produced per bin so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// Consumes `input` and appends every completed output sample of bin `bins()[i]` to
    /// `out[i]`.
    ///
    /// # Panics
    /// If `out.len() != bins().len()`.
    pub fn process(&mut self, input: &[Complex32], out: &mut [Vec<Complex32>]) {
        assert_eq!(out.len(), self.bins.len(), "one output per bin");
        let start = self.hist.len();
        self.hist.extend_from_slice(input);
        if let Shift::Rotate(rot) = &mut self.shift {
            rot.apply(&mut self.hist[start..]);
        }
        if self.hist.len() < self.next + self.len {
            return;
        }
        let n_out = (self.hist.len() - self.next - self.len) / self.d + 1;
        let (m, d, next) = (self.m, self.d, self.next);
        // each bin's new outputs, cut into the tasks' ranges
        let tasks = n_out.div_ceil(OUTPUTS_PER_TASK);
        let mut per_task: Vec<Vec<&mut [Complex32]>> =
            (0..tasks).map(|_| Vec::with_capacity(out.len())).collect();
        for o in out.iter_mut() {
            let start = o.len();
            o.resize(start + n_out, Complex32::new(0.0, 0.0));
            for (t, range) in o[start..].chunks_mut(OUTPUTS_PER_TASK).enumerate() {
                per_task[t].push(range);
            }
        }
        let hist = &self.hist;
        let taps2 = &self.taps2;
        let fft = &self.fft;
        let bins = &self.bins;
        let bin_phase = &self.bin_phase;
        let produced = self.produced;
        let x2 = d != m;
        let (branch_rot, output_rot) = match &self.shift {
            Shift::HalfBin { branch, output } => (Some(branch), Some(output)),
            _ => (None, None),
        };
        let len = self.len as i64;
        per_task
            .into_par_iter()
            .enumerate()
            .for_each(|(task, mut ranges)| {
                let first = task * OUTPUTS_PER_TASK;
                let count = ranges.first().map_or(0, |r| r.len());
                let mut work = vec![Complex32::new(0.0, 0.0); count * m];
                for (j, u) in work.chunks_exact_mut(m).enumerate() {
                    let w = next + (first + j) * d;
                    branch_sums(taps2, &hist[w..w + taps2.len() / 2], u);
                    if let Some(rot) = branch_rot {
                        u.iter_mut().zip(rot).for_each(|(v, r)| *v *= r);
                    }
                }
                let mut scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
                fft.process_with_scratch(&mut work, &mut scratch);
                // per output: the half-bin shift's rotation of the window's first input
                // (g·D − L + 1 modulo 2M) and, with D = M/2, the odd bins' (−1)^g
                let factors: Vec<(Complex32, Complex32)> = (0..count)
                    .map(|j| {
                        let g = produced + (first + j) as u64;
                        let rot = output_rot.map_or(Complex32::new(1.0, 0.0), |rot| {
                            let n0 = (g as i64 * d as i64 - len + 1).rem_euclid(2 * m as i64);
                            rot[n0 as usize]
                        });
                        let odd = if x2 && g % 2 == 1 { -rot } else { rot };
                        (rot, odd)
                    })
                    .collect();
                for (range, &k) in ranges.iter_mut().zip(bins) {
                    let ph = bin_phase[k];
                    let odd_bin = k % 2 == 1;
                    for (j, (o, f)) in range.iter_mut().zip(&factors).enumerate() {
                        *o = work[j * m + k] * ph * if odd_bin { f.1 } else { f.0 };
                    }
                }
            });
        self.produced += n_out as u64;
        self.next += n_out * d;
        // keep from the next window's start
        self.hist.drain(..self.next);
        self.next = 0;
    }
}

/// `u[q] = Σ_s taps[sM + q] · window[sM + q]` for `q` in `0..M` (M = `u.len()`), with the
/// taps doubled for the real and imaginary parts: the branch sums, as plain f32 multiplies
/// and adds. The output is built in strips of [`STRIP`] floats held in a local array (so in
/// registers) while the `T` chunks stream past, then a narrower tail.
fn branch_sums(taps2: &[f32], window: &[Complex32], u: &mut [Complex32]) {
    let m2 = u.len() * 2;
    let w: &[f32] = bytemuck::cast_slice(window);
    let acc: &mut [f32] = bytemuck::cast_slice_mut(u);
    let chunks = taps2.len() / m2;
    let mut q = 0;
    while q + STRIP <= m2 {
        let mut a = [0f32; STRIP];
        for s in 0..chunks {
            let base = s * m2 + q;
            let h = &taps2[base..base + STRIP];
            let x = &w[base..base + STRIP];
            for i in 0..STRIP {
                a[i] += h[i] * x[i];
            }
        }
        acc[q..q + STRIP].copy_from_slice(&a);
        q += STRIP;
    }
    while q + 4 <= m2 {
        let mut a = [0f32; 4];
        for s in 0..chunks {
            let base = s * m2 + q;
            let h = &taps2[base..base + 4];
            let x = &w[base..base + 4];
            for i in 0..4 {
                a[i] += h[i] * x[i];
            }
        }
        acc[q..q + 4].copy_from_slice(&a);
        q += 4;
    }
    for qq in q..m2 {
        acc[qq] = (0..chunks)
            .map(|s| taps2[s * m2 + qq] * w[s * m2 + qq])
            .sum();
    }
}

/// Floats of the branch sums kept in registers at once.
const STRIP: usize = 16;

/// Multiplies a stream by `e^{j2π·f·n}` (f in cycles per sample), n counting over calls;
/// the phase is kept in f64 and the rotation renormalised every block.
#[derive(Debug, Clone)]
struct Rotator {
    step: f64,
    n: u64,
}

impl Rotator {
    fn new(cycles_per_sample: f64) -> Self {
        Rotator {
            step: cycles_per_sample,
            n: 0,
        }
    }

    fn apply(&mut self, x: &mut [Complex32]) {
        const BLOCK: usize = 1024;
        let step = 2.0 * PI * self.step;
        let (ss, cs) = step.sin_cos();
        for chunk in x.chunks_mut(BLOCK) {
            let ph = (self.step * self.n as f64).fract() * 2.0 * PI;
            let (mut s, mut c) = ph.sin_cos();
            for v in chunk.iter_mut() {
                *v *= Complex32::new(c as f32, s as f32);
                let c2 = c * cs - s * ss;
                s = s * cs + c * ss;
                c = c2;
            }
            self.n += chunk.len() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn noise(n: usize, seed: u64) -> Vec<Complex32> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| Complex32::new(rng.normal() as f32, rng.normal() as f32))
            .collect()
    }

    /// The definition written out: mix, filter, decimate, in f64.
    fn reference(
        x: &[Complex32],
        taps: &[f32],
        m: usize,
        d: usize,
        k: usize,
        shift: f64,
    ) -> Vec<(f64, f64)> {
        let xs: Vec<(f64, f64)> = x
            .iter()
            .enumerate()
            .map(|(n, v)| {
                let ph = 2.0 * PI * shift * n as f64;
                let (s, c) = ph.sin_cos();
                (
                    v.re as f64 * c - v.im as f64 * s,
                    v.re as f64 * s + v.im as f64 * c,
                )
            })
            .collect();
        let outputs = x.len().div_ceil(d);
        (0..outputs)
            .map(|mi| {
                let n0 = mi * d;
                let (mut re, mut im) = (0.0, 0.0);
                for (l, &h) in taps.iter().enumerate() {
                    if l > n0 {
                        break;
                    }
                    let n = n0 - l;
                    let ph = -2.0 * PI * (k * n % m) as f64 / m as f64;
                    let (s, c) = ph.sin_cos();
                    let (a, b) = xs[n];
                    re += h as f64 * (a * c - b * s);
                    im += h as f64 * (a * s + b * c);
                }
                (re, im)
            })
            .collect()
    }

    fn check_against_reference(m_spacing: f64, oversampling: Oversampling, shift_hz: f64) {
        let rate = 12e6;
        let cfg = ChannelizerConfig {
            sample_rate: rate,
            spacing_hz: m_spacing,
            oversampling,
            taps_per_branch: 6,
            shift_hz,
            bins: (0..(rate / m_spacing) as usize).collect(),
        };
        let mut ch = Channelizer::new(&cfg).unwrap();
        let (m, d) = (ch.channels(), ch.decimation());
        let x = noise(5000, 7);
        let mut out = vec![Vec::new(); m];
        // odd block sizes, so windows straddle calls
        let mut at = 0;
        for (i, len) in [1usize, 13, 700, 2, 999, 5000].iter().cycle().enumerate() {
            if at >= x.len() {
                break;
            }
            let end = (at + len + i).min(x.len());
            ch.process(&x[at..end], &mut out);
            at = end;
        }
        let mut spec = PrototypeSpec::s1g(m);
        spec.taps_per_branch = 6;
        let taps = spec.taps();
        for (k, got_k) in out.iter().enumerate() {
            let want = reference(&x, &taps, m, d, k, shift_hz / rate);
            assert_eq!(got_k.len(), want.len(), "bin {k}");
            for (j, (got, w)) in got_k.iter().zip(&want).enumerate() {
                let err = ((got.re as f64 - w.0).powi(2) + (got.im as f64 - w.1).powi(2)).sqrt();
                assert!(err < 1e-4, "bin {k} output {j}: {got} vs {w:?}");
            }
        }
    }

    #[test]
    fn critically_sampled_bank_matches_the_definition() {
        check_against_reference(1e6, Oversampling::X1, 0.0);
    }

    #[test]
    fn twice_oversampled_bank_matches_the_definition() {
        check_against_reference(1e6, Oversampling::X2, 0.0);
    }

    #[test]
    fn half_bin_shifts_match_the_definition() {
        check_against_reference(1e6, Oversampling::X1, 0.5e6);
        check_against_reference(1e6, Oversampling::X1, -0.5e6);
        check_against_reference(1e6, Oversampling::X2, 0.5e6);
    }

    #[test]
    fn shifted_odd_bank_matches_the_definition() {
        // 12 / 4 = 3 channels of 4 MHz (odd M), shifted by 0.5 MHz
        check_against_reference(4e6, Oversampling::X1, 0.5e6);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let base = ChannelizerConfig {
            sample_rate: 26e6,
            spacing_hz: 1e6,
            oversampling: Oversampling::X1,
            taps_per_branch: 8,
            shift_hz: 0.0,
            bins: vec![0],
        };
        let mut c = base.clone();
        c.sample_rate = 26.5e6;
        assert!(matches!(
            Channelizer::new(&c),
            Err(ChannelizerError::RateNotMultiple { .. })
        ));
        let mut c = base.clone();
        c.sample_rate = 13e6;
        c.oversampling = Oversampling::X2;
        assert_eq!(
            Channelizer::new(&c).err(),
            Some(ChannelizerError::OddChannelsForX2(13))
        );
        let mut c = base.clone();
        c.bins = vec![26];
        assert_eq!(
            Channelizer::new(&c).err(),
            Some(ChannelizerError::BinOutOfRange {
                bin: 26,
                channels: 26
            })
        );
        let mut c = base.clone();
        c.taps_per_branch = 0;
        assert_eq!(Channelizer::new(&c).err(), Some(ChannelizerError::NoTaps));
        assert_eq!(base.bin_of(-12e6), Some(14));
        assert_eq!(base.bin_of(3e6), Some(3));
        assert_eq!(base.bin_of(3.5e6), None);
        assert_eq!(base.bin_of(14e6), None);
    }
}
