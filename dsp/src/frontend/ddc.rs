//! Fixed-point model of the front end's digital down-converter (NCO + complex mixer), bit-exact
//! with `subgate_gateware::ddc::Ddc`: it moves one channel of the captured band to baseband.
//!
//! # Format
//! - Input: signed 16-bit I/Q. The LMS7002M's 12-bit samples go in left-justified (× 16) so the
//!   mixer keeps their full precision.
//! - NCO: 32-bit phase accumulator. Sample `n` is mixed with phase `φₙ = Σ_{k<n} wₖ (mod 2³²)`,
//!   where `wₖ` is the frequency word in force for sample `k` (turns × 2³²): the phase is used,
//!   then advanced. A word `w` shifts by `w / 2³² · fs` (two's complement: negative words shift
//!   down). Resolution: fs / 2³² (about 7 mHz at 30.72 Msps).
//! - Table: the top [`TABLE_BITS`] (12) phase bits address a full-wave table of
//!   `round(32767 · sin(2π k / 4096))`, stored as its first quarter ([`quarter_table`], 1024
//!   entries: one 1024 × 18 ECP5 block RAM per read port) and unfolded by the quadrant (the top
//!   two phase bits): mirrored address `1024 − i` in the second and fourth quarters (the peak
//!   ±32767 at `i = 0` is a constant), negated in the third and fourth. The cosine is the same
//!   table read a quarter turn on. Phase truncation bounds spurs at −(6.02 · 12 − 3.92) ≈
//!   −68.3 dBc in the worst case.
//! - Mixer: `y = x · e^{jφ}`, four signed 16 × 16 products (the ECP5's 18 × 18 multipliers and
//!   rust-hdl's only multiply), summed in 32 bits — `|i·c ∓ q·s| ≤ 2 · 2¹⁵ · 32767 < 2³¹`, so
//!   the sum cannot overflow — then rounded half up to 16 bits: `(sum + 2¹⁵) >> 16`.
//!   The gain is `32767 / 65536 ≈ −6.02 dB`, which keeps every output inside ±32767 without
//!   saturation logic (a full-scale 16-bit complex input has magnitude up to 2¹⁵ · √2).
//! - Latency in the gateware: [`LATENCY`] clocks from a valid input to its valid output.

/// Bits of phase that address the sine table.
pub const TABLE_BITS: u32 = 12;
/// Entries in the sine table (one full turn).
pub const TABLE_LEN: usize = 1 << TABLE_BITS;
/// Peak of the sine table (the largest positive 16-bit value, so the table is symmetric).
pub const AMPLITUDE: i16 = i16::MAX;
/// Right shift from the 32-bit product sum to the 16-bit output.
pub const OUTPUT_SHIFT: u32 = 16;
/// Clocks from a valid input sample to its output in the gateware (table read, unfold,
/// products, sum and round): documented here so the host knows the board's timing.
pub const LATENCY: usize = 4;

/// Entries in the stored quarter-wave table (one ECP5 block RAM).
pub const QUARTER_LEN: usize = TABLE_LEN / 4;

/// The stored first quarter of the sine, `round(AMPLITUDE · sin(2π k / TABLE_LEN))` for `k` in
/// `0..QUARTER_LEN`. The gateware's ROMs hold exactly this; [`sine_table`] unfolds it the way
/// the gateware does, so model and gateware cannot drift apart.
pub fn quarter_table() -> Vec<i16> {
    (0..QUARTER_LEN)
        .map(|k| {
            let x = 2.0 * std::f64::consts::PI * k as f64 / TABLE_LEN as f64;
            (f64::from(AMPLITUDE) * x.sin()).round() as i16
        })
        .collect()
}

/// The full sine table, `round(AMPLITUDE · sin(2π k / TABLE_LEN))` for `k` in `0..TABLE_LEN`,
/// unfolded from [`quarter_table`] as the gateware does: quadrant `k / 1024`, offset
/// `i = k % 1024`; quadrants 1 and 3 read entry `1024 − i` (the peak [`AMPLITUDE`] when
/// `i = 0`), quadrants 2 and 3 negate.
pub fn sine_table() -> Vec<i16> {
    let quarter = quarter_table();
    (0..TABLE_LEN)
        .map(|k| {
            let (quadrant, i) = (k / QUARTER_LEN, k % QUARTER_LEN);
            let magnitude = if quadrant % 2 == 0 {
                quarter[i]
            } else if i == 0 {
                AMPLITUDE
            } else {
                quarter[QUARTER_LEN - i]
            };
            if quadrant >= 2 {
                -magnitude
            } else {
                magnitude
            }
        })
        .collect()
}

/// The cosine table: the sine table a quarter turn on (`cos θ = sin(θ + π/2)`), exactly, so a
/// single dual-port table can serve both.
pub fn cosine_table() -> Vec<i16> {
    let sine = sine_table();
    (0..TABLE_LEN)
        .map(|k| sine[(k + TABLE_LEN / 4) % TABLE_LEN])
        .collect()
}

/// Frequency word for a shift of `shift_hz` at `sample_rate_hz`: `round(shift / fs · 2³²)` in
/// two's complement, so negative shifts (moving a channel above the centre down to DC) give
/// words above 2³¹.
///
/// # Panics
/// If `sample_rate_hz` is not positive and finite or `|shift_hz| > sample_rate_hz / 2`.
pub fn frequency_word(shift_hz: f64, sample_rate_hz: f64) -> u32 {
    assert!(
        sample_rate_hz.is_finite() && sample_rate_hz > 0.0,
        "ddc: sample rate {sample_rate_hz} Hz must be positive"
    );
    assert!(
        shift_hz.is_finite() && shift_hz.abs() <= sample_rate_hz / 2.0,
        "ddc: shift {shift_hz} Hz outside ±fs/2 = ±{} Hz",
        sample_rate_hz / 2.0
    );
    let turns = shift_hz / sample_rate_hz * 4_294_967_296.0;
    // |turns| ≤ 2³¹, so the rounded value fits an i64 and wraps into the u32 word
    (turns.round() as i64) as u32
}

/// The shift in Hz that a frequency word gives at `sample_rate_hz` (words ≥ 2³¹ are negative).
pub fn word_frequency(word: u32, sample_rate_hz: f64) -> f64 {
    f64::from(word as i32) / 4_294_967_296.0 * sample_rate_hz
}

/// One complex sample mixed with the table entries `(cos, sin)`: the gateware's arithmetic.
pub fn mix(x: (i16, i16), cs: (i16, i16)) -> (i16, i16) {
    let (i, q) = (i32::from(x.0), i32::from(x.1));
    let (c, s) = (i32::from(cs.0), i32::from(cs.1));
    // each product ≤ 2³⁰ in magnitude and |table| ≤ 32767: the sums stay inside i32
    let round = 1i32 << (OUTPUT_SHIFT - 1);
    let yi = (i * c - q * s + round) >> OUTPUT_SHIFT;
    let yq = (i * s + q * c + round) >> OUTPUT_SHIFT;
    (yi as i16, yq as i16)
}

/// Streaming NCO + complex mixer; the phase carries over between [`Ddc::process`] calls.
#[derive(Debug, Clone)]
pub struct Ddc {
    word: u32,
    phase: u32,
    sine: Vec<i16>,
    cosine: Vec<i16>,
}

impl Ddc {
    /// A mixer with frequency word `word` (see [`frequency_word`]) and phase 0, as the gateware
    /// after reset.
    pub fn new(word: u32) -> Self {
        Ddc {
            word,
            phase: 0,
            sine: sine_table(),
            cosine: cosine_table(),
        }
    }

    /// A mixer shifting by `shift_hz` at `sample_rate_hz` (see [`frequency_word`] for panics).
    pub fn with_shift(shift_hz: f64, sample_rate_hz: f64) -> Self {
        Self::new(frequency_word(shift_hz, sample_rate_hz))
    }

    /// The frequency word in force.
    pub fn word(&self) -> u32 {
        self.word
    }

    /// Changes the frequency word from the next sample on; the phase continues (no jump).
    pub fn set_word(&mut self, word: u32) {
        self.word = word;
    }

    /// The phase the next sample will be mixed with.
    pub fn phase(&self) -> u32 {
        self.phase
    }

    /// Mixes one sample and advances the phase.
    pub fn step(&mut self, x: (i16, i16)) -> (i16, i16) {
        let k = (self.phase >> (32 - TABLE_BITS)) as usize;
        self.phase = self.phase.wrapping_add(self.word);
        mix(x, (self.cosine[k], self.sine[k]))
    }

    /// Mixes `input` into `output`.
    ///
    /// # Panics
    /// If the slices differ in length.
    pub fn process(&mut self, input: &[(i16, i16)], output: &mut [(i16, i16)]) {
        assert_eq!(
            input.len(),
            output.len(),
            "ddc: input and output lengths differ"
        );
        for (x, y) in input.iter().zip(output.iter_mut()) {
            *y = self.step(*x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64;
    use rustfft::FftPlanner;
    use std::f64::consts::PI;

    const FS: f64 = 30.72e6;

    /// A complex tone at `f` (Hz), 16-bit, amplitude `amp`.
    fn tone(f: f64, amp: f64, n: usize) -> Vec<(i16, i16)> {
        (0..n)
            .map(|k| {
                let (s, c) = (2.0 * PI * f / FS * k as f64).sin_cos();
                ((amp * c).round() as i16, (amp * s).round() as i16)
            })
            .collect()
    }

    /// Spurious-free dynamic range (dB) of `y`, which should hold one tone at DC: the DC
    /// power over the strongest other FFT bin, with a 4-term Blackman–Harris window (sidelobes
    /// −92 dB) and the window's main lobe (±4 bins) counted as the carrier.
    fn sfdr_db(y: &[(i16, i16)]) -> (f64, f64) {
        let n = y.len();
        let mut buf: Vec<Complex64> = y
            .iter()
            .enumerate()
            .map(|(k, &(i, q))| {
                let t = 2.0 * PI * k as f64 / n as f64;
                let w = 0.35875 - 0.48829 * t.cos() + 0.14128 * (2.0 * t).cos()
                    - 0.01168 * (3.0 * t).cos();
                Complex64::new(f64::from(i), f64::from(q)) * w
            })
            .collect();
        FftPlanner::new().plan_fft_forward(n).process(&mut buf);
        let p: Vec<f64> = buf.iter().map(|c| c.norm_sqr()).collect();
        let carrier = p[0];
        let spur = p
            .iter()
            .enumerate()
            .filter(|&(k, _)| k > 4 && k < n - 4)
            .map(|(_, &v)| v)
            .fold(0.0, f64::max);
        // the image of the carrier after the shift by −f would sit at −2f
        (10.0 * (carrier / spur).log10(), carrier)
    }

    #[test]
    fn table_is_a_rounded_sine_with_exact_quadrature() {
        let (s, c) = (sine_table(), cosine_table());
        assert_eq!(s.len(), TABLE_LEN);
        assert_eq!(s[0], 0);
        assert_eq!(s[TABLE_LEN / 4], AMPLITUDE);
        assert_eq!(c[0], AMPLITUDE);
        assert_eq!(s[3 * TABLE_LEN / 4], -AMPLITUDE);
        assert_eq!(&s[..QUARTER_LEN], &quarter_table()[..]);
        for k in 0..TABLE_LEN {
            let exact = f64::from(AMPLITUDE) * (2.0 * PI * k as f64 / TABLE_LEN as f64).sin();
            // the unfolded quadrants round the same sine, up to floating-point noise
            assert!((f64::from(s[k]) - exact).abs() <= 0.5 + 1e-9, "entry {k}");
            // cos² + sin² within the rounding of the two entries
            let r = f64::from(s[k]).hypot(f64::from(c[k]));
            assert!(
                (r - f64::from(AMPLITUDE)).abs() < 1.0,
                "entry {k}: |e^jθ| = {r}"
            );
        }
    }

    #[test]
    fn word_zero_is_passthrough_at_documented_gain() {
        let mut rng = crate::rng::Rng::new(5);
        let x: Vec<(i16, i16)> = (0..4096)
            .map(|_| (rng.next_u64() as i16, (rng.next_u64() >> 16) as i16))
            .collect();
        let mut y = vec![(0, 0); x.len()];
        let mut ddc = Ddc::new(0);
        ddc.process(&x, &mut y);
        assert_eq!(ddc.phase(), 0);
        let scale = |v: i16| ((i32::from(v) * 32767 + 32768) >> 16) as i16;
        for (a, b) in x.iter().zip(&y) {
            assert_eq!(*b, (scale(a.0), scale(a.1)), "input {a:?}");
        }
        // the extremes stay in range
        assert_eq!(mix((i16::MIN, i16::MIN), (0, 0)), (0, 0));
        assert_eq!(mix((i16::MIN, 0), (AMPLITUDE, 0)), (-16383, 0));
        assert_eq!(mix((i16::MIN, i16::MAX), (AMPLITUDE, AMPLITUDE)).1, 0);
        assert_eq!(mix((i16::MIN, i16::MIN), (AMPLITUDE, -AMPLITUDE)).0, -32767);
    }

    #[test]
    fn frequency_word_from_hz_within_resolution() {
        let resolution = FS / 4_294_967_296.0;
        for f in [0.0, 1.0, 1e3, -1e3, 2.5e6, -7.123_456e6, 15.0e6, -15.36e6] {
            let w = frequency_word(f, FS);
            let back = word_frequency(w, FS);
            assert!(
                (back - f).abs() <= resolution / 2.0 + 1e-9,
                "{f} Hz → word {w:#010x} → {back} Hz"
            );
        }
        assert_eq!(frequency_word(0.0, FS), 0);
        assert_eq!(frequency_word(FS / 4.0, FS), 1 << 30);
        assert_eq!(frequency_word(-FS / 4.0, FS), 3 << 30);
        assert_eq!(frequency_word(-FS / 2.0, FS), 1 << 31);
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn frequency_word_rejects_shift_beyond_nyquist() {
        frequency_word(16e6, FS);
    }

    #[test]
    fn phase_continues_across_process_calls_and_word_changes() {
        let x = tone(1.1e6, 20000.0, 3000);
        let mut whole = vec![(0, 0); x.len()];
        let mut a = Ddc::new(frequency_word(-3e6, FS));
        a.process(&x[..1000], &mut whole[..1000]);
        a.set_word(frequency_word(2e6, FS));
        a.process(&x[1000..], &mut whole[1000..]);
        let mut b = Ddc::new(frequency_word(-3e6, FS));
        let mut parts = vec![(0, 0); x.len()];
        for (k, (xi, yi)) in x.iter().zip(parts.iter_mut()).enumerate() {
            if k == 1000 {
                b.set_word(frequency_word(2e6, FS));
            }
            *yi = b.step(*xi);
        }
        assert_eq!(whole, parts);
        assert_eq!(a.phase(), b.phase());
    }

    /// SFDR of the DDC moving a tone at f to DC with the word for −f, over tones across the
    /// band plus the worst case for phase truncation (a word whose table-address step ends in
    /// ½, so the dropped phase alternates 0, ½ entry). The bound for a 12-bit table address is
    /// 6.02 · 12 − 3.92 = 68.3 dB (Nicholas & Samueli, 1987); 66 dB is asserted.
    #[test]
    fn tone_moved_to_dc_sfdr() {
        let n = 8192;
        let amp = 30000.0;
        let mut worst = f64::INFINITY;
        let half_step = word_frequency((37 << 20) + (1 << 19), FS);
        // the worst case of the former 10-bit address: now on whole table steps
        let old_half_step = word_frequency((37 << 22) + (1 << 21), FS);
        for f in [
            123_456.7,
            1.0e6,
            -2.345_678e6,
            3.3e6,
            5.123e6,
            -7.77e6,
            11.0e6,
            -13.9e6,
            15.2e6,
            half_step,
            -half_step,
            old_half_step,
            -old_half_step,
        ] {
            let x = tone(f, amp, n);
            let mut y = vec![(0, 0); n];
            Ddc::with_shift(-f, FS).process(&x, &mut y);
            let (sfdr, carrier) = sfdr_db(&y);
            // the carrier reached DC at the documented gain (window coherent gain 0.35875)
            let expected = (amp * 32767.0 / 65536.0 * 0.35875 * n as f64).powi(2);
            assert!(
                (10.0 * (carrier / expected).log10()).abs() < 0.1,
                "{f} Hz: carrier {carrier:e}, expected {expected:e}"
            );
            println!("tone {:>12.1} Hz → DC: SFDR {sfdr:.1} dB", f);
            worst = worst.min(sfdr);
        }
        println!("DDC worst SFDR over the sweep: {worst:.1} dB");
        assert!(worst >= 66.0, "worst SFDR {worst:.1} dB < 66 dB");
    }
}
