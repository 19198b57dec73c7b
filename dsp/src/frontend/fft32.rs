//! The SID filter's 32-point FFT: one S1G 1 MHz OFDM symbol (after its guard interval) into
//! its 32 bins, in the fixed-point arithmetic of the rust-hdl block
//! `subgate_gateware::fft32::Fft32`, bit for bit and clock for clock. The SID filter reads
//! the LTF and the SIG and data symbols of beacons and probe requests through it.
//!
//! Arithmetic (radix 2, decimation in time, in place):
//! - the input samples `(i, q)` are signed 16-bit, stored doubled (`x << 1`) in
//!   [`WORD_BITS`]-bit words at the bit-reversed address of their index;
//! - five stages `s = 0..5` of 16 butterflies: butterfly `n` pairs `a` (bit `s` of `n`'s
//!   index inserted as 0) with `b = a + 2ˢ` and the twiddle `W³²ᵏ`, `k = (n mod 2ˢ) · 2⁴⁻ˢ`;
//! - twiddles `W = (c − j·s) / 2¹⁶` with `c = round(2¹⁶ cos 2πk/32)`,
//!   `s = round(2¹⁶ sin 2πk/32)` ([`twiddles`]; `c = 65536` fits the 18-bit multiplier port);
//! - `t = b · W`: `t_re = (b_re c + b_im s + 2¹⁵) >> 16`, `t_im = (b_im c − b_re s + 2¹⁵) >> 16`
//!   (four 18 × 18 products, round half up);
//! - `a ← (a + t + 1) >> 1`, `b ← (a − t + 1) >> 1`: halved every stage, so the output is
//!   about `DFT(x) / 16` (the input's doubling, then five halvings), bins in natural order
//!   (bin `k` at `k`, negative frequencies at 16..32, as `rustfft`).
//!
//! Range: a stage's outputs are no larger in magnitude than the larger of its inputs plus
//! one (`|a ± t| ≤ |a| + |b|·|W|`, `|W| ≤ 1 + 2⁻¹⁶`, then halved and rounded), so from
//! `|x << 1| ≤ 65536·√2 = 92 682` every word stays below 92 700 < 2¹⁷: the 18-bit words, the
//! products (< 2³⁴) and their sums never overflow. [`transform`] checks it on every
//! butterfly (debug assertions) and the tests drive the extreme inputs.
//!
//! Timing (clock `c` = the clock the 32nd sample is taken):
//! - samples are taken while `ready`, one per clock at most; a sample that comes while the
//!   block is busy is dropped and sets the sticky `overrun`;
//! - stage `s` reads its butterflies at clocks `c + 1 + s·`[`STAGE_CLOCKS`]` + n` (16
//!   clocks, then [`GAP`] idle ones: a butterfly's results are written 5 clocks after its
//!   read, before the next stage reads);
//! - bin `k` is at the outputs at clock `c + `[`FIRST_OUT`]` + k`;
//! - the next symbol's first sample can be taken from clock `c + `[`BUSY`].

use crate::rng::Rng;

/// Points of the transform.
pub const N: usize = 32;
/// Width of the words in the memory (each of re and im).
pub const WORD_BITS: u32 = 18;
/// Idle clocks between one stage's last read and the next stage's first.
pub const GAP: u64 = 5;
/// Clocks from one stage's first read to the next stage's.
pub const STAGE_CLOCKS: u64 = 16 + GAP;
/// Clocks from the 32nd sample taken to bin 0 at the outputs (five stages, then the read
/// of the bins, which goes like a sixth stage, and its output register).
pub const FIRST_OUT: u64 = 1 + 5 * STAGE_CLOCKS + 1;
/// Clocks from the 32nd sample taken to the first clock the next sample can be taken.
pub const BUSY: u64 = 1 + 5 * STAGE_CLOCKS + 32;

/// A complex word (re, im).
pub type Word = (i32, i32);

/// `k` with its five bits reversed.
pub fn bit_reverse(k: usize) -> usize {
    (0..5).fold(0, |r, b| r | (((k >> b) & 1) << (4 - b)))
}

/// The twiddle table: `(c, s)` for `W³²ᵏ = (c − j·s) / 2¹⁶`, `k = 0..16`.
pub fn twiddles() -> [(i32, i32); 16] {
    let mut t = [(0, 0); 16];
    for (k, w) in t.iter_mut().enumerate() {
        let phi = 2.0 * std::f64::consts::PI * k as f64 / N as f64;
        *w = (
            (65536.0 * phi.cos()).round() as i32,
            (65536.0 * phi.sin()).round() as i32,
        );
    }
    t
}

/// The memory addresses of butterfly `n` of stage `s`, `(a, b)`, and its twiddle index.
pub fn butterfly_of(s: u32, n: usize) -> (usize, usize, usize) {
    let h = 1usize << s;
    let j = n & (h - 1);
    let a = ((n >> s) << (s + 1)) | j;
    (a, a + h, j << (4 - s))
}

/// One butterfly: `(a, b)` with twiddle `(c, s)` → the two new words.
pub fn butterfly(a: Word, b: Word, (c, s): (i32, i32)) -> (Word, Word) {
    let (br, bi) = (i64::from(b.0), i64::from(b.1));
    let (c, s) = (i64::from(c), i64::from(s));
    let tr = (br * c + bi * s + (1 << 15)) >> 16;
    let ti = (bi * c - br * s + (1 << 15)) >> 16;
    let (ar, ai) = (i64::from(a.0), i64::from(a.1));
    let half = |v: i64| ((v + 1) >> 1) as i32;
    (
        (half(ar + tr), half(ai + ti)),
        (half(ar - tr), half(ai - ti)),
    )
}

/// The block's transform of one symbol's 32 samples: bins in natural order, about
/// `DFT(x) / 16`.
pub fn transform(x: &[(i16, i16); N]) -> [Word; N] {
    transform_with_peak(x).0
}

/// [`transform`], and the largest magnitude of a word component at any stage (which must
/// stay below 2¹⁷ for the [`WORD_BITS`]-bit words).
pub fn transform_with_peak(x: &[(i16, i16); N]) -> ([Word; N], u32) {
    let mut peak = 0u32;
    let mut mem = [(0i32, 0i32); N];
    for (k, &(i, q)) in x.iter().enumerate() {
        mem[bit_reverse(k)] = (i32::from(i) << 1, i32::from(q) << 1);
    }
    let w = twiddles();
    for s in 0..5 {
        for n in 0..N / 2 {
            let (a, b, k) = butterfly_of(s, n);
            let (ya, yb) = butterfly(mem[a], mem[b], w[k]);
            for v in [ya.0, ya.1, yb.0, yb.1] {
                peak = peak.max(v.unsigned_abs());
            }
            mem[a] = ya;
            mem[b] = yb;
        }
    }
    (mem, peak)
}

/// One sample given to the block: `gap − 1` clocks with `in_valid` low, then the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FftInput {
    /// Clocks since the previous sample (≥ 1).
    pub gap: u32,
    /// In-phase.
    pub i: i16,
    /// Quadrature.
    pub q: i16,
}

/// One bin at the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FftOutput {
    /// The clock it is at the outputs: the index of the clock edge that registers it, counted
    /// from 0 with the stimulus' first clock.
    pub clock: u64,
    /// Its bin.
    pub index: u8,
    /// Real part.
    pub re: i32,
    /// Imaginary part.
    pub im: i32,
}

/// What the block gives for `stim`: its bins with their clocks, and the final `overrun`.
pub fn expected(stim: &[FftInput]) -> (Vec<FftOutput>, bool) {
    let mut out = Vec::new();
    let mut overrun = false;
    let mut clock = 0u64;
    let mut free_from = 0u64; // first clock a sample can be taken
    let mut symbol = [(0i16, 0i16); N];
    let mut taken = 0usize;
    for s in stim {
        // the first sample is on the inputs at clock gap − 1
        if s.gap == 0 {
            continue; // not a clock: the testbenches never send it
        }
        clock += u64::from(s.gap);
        let at = clock - 1;
        if at < free_from {
            overrun = true;
            continue;
        }
        symbol[taken] = (s.i, s.q);
        taken += 1;
        if taken == N {
            taken = 0;
            let bins = transform(&symbol);
            for (b, &(re, im)) in bins.iter().enumerate() {
                out.push(FftOutput {
                    clock: at + FIRST_OUT + b as u64,
                    index: b as u8,
                    re,
                    im,
                });
            }
            free_from = at + BUSY;
        }
    }
    (out, overrun)
}

/// Test stimulus: `symbols` symbols of 32 samples — full-scale noise, the extreme corners
/// (±32768 / 32767 on both components), OFDM-like sums of a few tones, small values —
/// mostly one sample per 1–3 clocks, sometimes long pauses; with `early` > 0 every
/// `early`-th symbol starts before the block is ready again (its first samples dropped).
pub fn stimulus(symbols: usize, early: usize, seed: u64) -> Vec<FftInput> {
    let mut rng = Rng::new(seed);
    let mut stim = Vec::with_capacity(symbols * N);
    for sym in 0..symbols {
        let kind = rng.below(4);
        let tones: Vec<(f64, f64, f64)> = (0..4)
            .map(|_| {
                (
                    rng.below(32) as f64,
                    rng.uniform() * 6000.0,
                    rng.uniform() * std::f64::consts::TAU,
                )
            })
            .collect();
        for k in 0..N {
            let (i, q) = match kind {
                0 => (rng.next_u64() as i16, (rng.next_u64() >> 16) as i16),
                1 => {
                    let r = rng.next_u64();
                    let pick = |bit: u64| {
                        if r >> bit & 1 == 1 {
                            i16::MAX
                        } else {
                            i16::MIN
                        }
                    };
                    (pick(0), pick(1))
                }
                2 => {
                    let (mut re, mut im) = (0.0, 0.0);
                    for &(f, amp, ph) in &tones {
                        let a = std::f64::consts::TAU * f * k as f64 / N as f64 + ph;
                        re += amp * a.cos();
                        im += amp * a.sin();
                    }
                    (re.round() as i16, im.round() as i16)
                }
                _ => ((rng.below(65) as i16) - 32, (rng.below(65) as i16) - 32),
            };
            let gap = if k == 0 {
                if early > 0 && sym % early == early - 1 {
                    1 + rng.below(BUSY - 1) as u32
                } else {
                    BUSY as u32 + rng.below(40) as u32
                }
            } else if rng.below(16) == 0 {
                1 + rng.below(200) as u32
            } else {
                1 + rng.below(3) as u32
            };
            stim.push(FftInput { gap, i, q });
        }
    }
    stim
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::num_complex::Complex64;
    use rustfft::FftPlanner;

    fn float_bins(x: &[(i16, i16); N]) -> Vec<Complex64> {
        let mut buf: Vec<Complex64> = x
            .iter()
            .map(|&(i, q)| Complex64::new(f64::from(i), f64::from(q)))
            .collect();
        FftPlanner::new().plan_fft_forward(N).process(&mut buf);
        buf.iter().map(|v| v / 16.0).collect()
    }

    #[test]
    fn bit_reverse_and_butterfly_addresses_cover_every_word_once_per_stage() {
        let mut seen: Vec<usize> = (0..N).map(bit_reverse).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..N).collect::<Vec<_>>());
        for s in 0..5 {
            let mut words = Vec::new();
            for n in 0..16 {
                let (a, b, k) = butterfly_of(s, n);
                assert_eq!(a >> s & 1, 0);
                assert!(k < 16);
                words.extend([a, b]);
            }
            words.sort_unstable();
            assert_eq!(words, (0..N).collect::<Vec<_>>(), "stage {s}");
        }
    }

    /// The transform against rustfft's (divided by 16) on the stimulus' symbols: the error
    /// of the rounding, measured.
    #[test]
    fn close_to_the_float_transform() {
        let stim = stimulus(4000, 0, 5);
        let (mut worst, mut sq, mut count) = (0.0f64, 0.0f64, 0usize);
        let (mut sig, mut noise) = (0.0f64, 0.0f64);
        for chunk in stim.chunks(N) {
            let mut x = [(0i16, 0i16); N];
            for (d, s) in x.iter_mut().zip(chunk) {
                *d = (s.i, s.q);
            }
            let got = transform(&x);
            let want = float_bins(&x);
            for (g, w) in got.iter().zip(&want) {
                let e = Complex64::new(f64::from(g.0), f64::from(g.1)) - w;
                worst = worst.max(e.re.abs()).max(e.im.abs());
                sq += e.norm_sqr();
                count += 2;
                sig += w.norm_sqr();
                noise += e.norm_sqr();
            }
        }
        let rms = (sq / count as f64).sqrt();
        let sqnr = 10.0 * (sig / noise).log10();
        println!(
            "fft32 vs float / 16 over 4000 symbols: worst {worst:.2} LSB, rms {rms:.3} LSB per \
             component, SQNR {sqnr:.1} dB"
        );
        // a stage adds at most |rounding of t| / 2 + |rounding of the halving| =
        // 0.354 + 0.707 in magnitude to the larger error of its inputs: 5.3 after five
        assert!(worst < 5.3, "worst error {worst}");
        assert!(rms < 1.0, "rms error {rms}");
    }

    #[test]
    fn an_impulse_gives_a_flat_spectrum_and_a_tone_one_bin() {
        let mut x = [(0i16, 0i16); N];
        x[0] = (16000, -8000);
        // the DFT of an impulse is flat: 16000 / 16, −8000 / 16
        for b in transform(&x) {
            assert_eq!(b, (1000, -500));
        }
        // bin 5 at amplitude 8000: 8000 · 32 / 16 = 16000, the others (nearly) zero
        let mut x = [(0i16, 0i16); N];
        for (k, v) in x.iter_mut().enumerate() {
            let a = std::f64::consts::TAU * 5.0 * k as f64 / N as f64;
            *v = (
                (8000.0 * a.cos()).round() as i16,
                (8000.0 * a.sin()).round() as i16,
            );
        }
        let bins = transform(&x);
        for (k, b) in bins.iter().enumerate() {
            if k == 5 {
                assert!((b.0 - 16000).abs() <= 2 && b.1.abs() <= 2, "{b:?}");
            } else {
                assert!(b.0.abs() <= 2 && b.1.abs() <= 2, "bin {k}: {b:?}");
            }
        }
    }

    #[test]
    fn extreme_inputs_stay_within_the_words() {
        // the all-minimum symbol, and every corner pattern the stimulus makes
        let x = [(i16::MIN, i16::MIN); N];
        let (b, _) = transform_with_peak(&x);
        assert_eq!(b[0], (-65536, -65536));
        let mut most = 0;
        let stim = stimulus(4000, 0, 9);
        for chunk in stim.chunks(N) {
            let mut x = [(0i16, 0i16); N];
            for (d, s) in x.iter_mut().zip(chunk) {
                *d = (s.i, s.q);
            }
            most = most.max(transform_with_peak(&x).1);
        }
        // the bound of the module documentation
        println!("fft32: largest word component {most} (bound 92 700, words hold 131 071)");
        assert!(most <= 92_700, "{most}");
    }

    #[test]
    fn timing_and_overrun_follow_the_rules() {
        // two symbols back to back at one sample per clock, the second's first 10 samples
        // too early
        let mut stim: Vec<FftInput> = (0..N)
            .map(|k| FftInput {
                gap: 1,
                i: k as i16,
                q: 0,
            })
            .collect();
        stim.push(FftInput {
            gap: (BUSY - 10) as u32,
            i: 0,
            q: 0,
        });
        stim.extend((1..10 + N).map(|_| FftInput { gap: 1, i: 1, q: 1 }));
        let (out, overrun) = expected(&stim);
        assert!(overrun);
        assert_eq!(out.len(), 2 * N);
        // the 32nd sample is on the inputs at clock 31
        assert_eq!(out[0].clock, 31 + FIRST_OUT);
        assert_eq!(out[N - 1].clock, 31 + FIRST_OUT + 31);
        // the second symbol: samples from clock 31 + BUSY on, its 32nd 31 clocks later
        assert_eq!(out[N].clock, 31 + BUSY + 31 + FIRST_OUT);
        // all (1, 1): bin 0 = 32 · (1 + j) / 16
        assert_eq!((out[N].re, out[N].im), (2, 2));
    }
}
