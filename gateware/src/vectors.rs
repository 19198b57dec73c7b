//! Test vectors shared by the rust-hdl simulation and the Verilator run of the generated
//! Verilog: stimulus per clock from a seed, expected outputs from the `subgate-dsp` model.

use subgate_dsp::frontend::ddc::{frequency_word, Ddc};
use subgate_dsp::frontend::decim::Decimator;
use subgate_dsp::rng::Rng;

/// One clock of DDC stimulus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DdcInput {
    /// `in_valid`: the clock carries a sample.
    pub valid: bool,
    /// `in_i`.
    pub i: i16,
    /// `in_q`.
    pub q: i16,
    /// `freq_word` (used with the sample when `valid`).
    pub word: u32,
}

/// Sample rate the stimulus's words are chosen for (the LimeSDR at 30.72 Msps).
pub const SAMPLE_RATE_HZ: f64 = 30.72e6;

/// The frequency words the stimulus walks through: 0 (passthrough), negative and positive
/// shifts, the worst case for phase truncation (half a table step of the 12-bit address), the
/// former worst case of a 10-bit address, and ±Nyquist.
pub fn ddc_words() -> Vec<u32> {
    vec![
        0,
        frequency_word(-2.5e6, SAMPLE_RATE_HZ),
        frequency_word(7.123_456e6, SAMPLE_RATE_HZ),
        (37 << 20) + (1 << 19),
        (37 << 22) + (1 << 21),
        frequency_word(-15.3e6, SAMPLE_RATE_HZ),
        frequency_word(15.36e6, SAMPLE_RATE_HZ),
        frequency_word(-123.456e3, SAMPLE_RATE_HZ),
    ]
}

/// `cycles` clocks of stimulus: the words of [`ddc_words`] in equal segments, each segment's
/// samples alternating between full-range pseudo-random I/Q, 12-bit random samples
/// left-justified (as from the LMS7002M) and a full-scale complex tone; about one clock in
/// eight is idle (`valid` low) with random junk on the data and word inputs, which the block
/// must ignore.
pub fn ddc_stimulus(cycles: usize, seed: u64) -> Vec<DdcInput> {
    let mut rng = Rng::new(seed);
    let words = ddc_words();
    let segment = cycles.div_ceil(words.len()).max(1);
    let mut tone_phase = 0.0f64;
    (0..cycles)
        .map(|n| {
            let word = words[(n / segment).min(words.len() - 1)];
            if rng.below(8) == 0 {
                let junk = rng.next_u64();
                return DdcInput {
                    valid: false,
                    i: junk as i16,
                    q: (junk >> 16) as i16,
                    word: (junk >> 32) as u32,
                };
            }
            let (i, q) = match (n / 97) % 3 {
                0 => {
                    let r = rng.next_u64();
                    (r as i16, (r >> 16) as i16)
                }
                1 => {
                    let r = rng.next_u64();
                    (((r as i16) >> 4) << 4, (((r >> 16) as i16) >> 4) << 4)
                }
                _ => {
                    tone_phase += 0.071;
                    let (s, c) = tone_phase.sin_cos();
                    ((32767.0 * c).round() as i16, (32767.0 * s).round() as i16)
                }
            };
            DdcInput {
                valid: true,
                i,
                q,
                word,
            }
        })
        .collect()
}

/// The model's output for each valid clock of `stimulus`, in order.
pub fn ddc_expected(stimulus: &[DdcInput]) -> Vec<(i16, i16)> {
    let mut ddc = Ddc::new(0);
    stimulus
        .iter()
        .filter(|s| s.valid)
        .map(|s| {
            ddc.set_word(s.word);
            ddc.step((s.i, s.q))
        })
        .collect()
}

/// One clock of DDC output as read after the clock edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DdcOutput {
    /// `out_valid`.
    pub valid: bool,
    /// `out_i`.
    pub i: i16,
    /// `out_q`.
    pub q: i16,
}

/// Checks a run's outputs (one per clock, read after the edge that ends the clock the input of
/// the same index was presented in) against the model: every valid input `k` must come out
/// valid at index `k + latency − 1` with the model's value, and nothing else may be valid.
/// Returns the number of samples compared, or the first mismatch.
pub fn ddc_check(
    stimulus: &[DdcInput],
    outputs: &[DdcOutput],
    latency: usize,
) -> Result<usize, String> {
    if outputs.len() != stimulus.len() {
        return Err(format!(
            "{} outputs for {} clocks",
            outputs.len(),
            stimulus.len()
        ));
    }
    let expected = ddc_expected(stimulus);
    let mut next = expected.iter();
    let mut compared = 0;
    for (k, out) in outputs.iter().enumerate() {
        // the input whose result is due at this output index
        let due = (k + 1)
            .checked_sub(latency)
            .and_then(|j| stimulus.get(j))
            .is_some_and(|s| s.valid);
        if out.valid != due {
            return Err(format!(
                "clock {k}: out_valid {} but expected {due}",
                out.valid
            ));
        }
        if due {
            let want = next.next().copied().unwrap_or_default();
            if (out.i, out.q) != want {
                return Err(format!(
                    "clock {k} (sample {compared}): got ({}, {}), model {want:?}",
                    out.i, out.q
                ));
            }
            compared += 1;
        }
    }
    Ok(compared)
}

/// One clock of decimation-chain stimulus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimInput {
    /// `in_valid`: the clock carries a sample.
    pub valid: bool,
    /// `in_i`.
    pub i: i16,
    /// `in_q`.
    pub q: i16,
}

/// One clock of decimation-chain output as read after the clock edge (same ports as the DDC's).
pub type DecimOutput = DdcOutput;

/// `cycles` clocks of decimation-chain stimulus from `seed`, in segments of `cycles / 6` clocks
/// (256 to 4096) cycling through: full-range random I/Q; 12-bit random samples left-justified;
/// a complex tone sweeping from −8 to +8 MHz (at 16 Msps: passband, transition band and every alias band);
/// full-scale steps between −32768 and +32767 every 200 samples (the half-band and the
/// compensator overshoot and saturate); and a mix of a passband tone with a strong adjacent-channel tone. About one clock
/// in eight is idle (`valid` low, junk on the data inputs), and in the last segment of each
/// cycle inputs come in bursts with long idle gaps.
pub fn decim_stimulus(cycles: usize, seed: u64) -> Vec<DecimInput> {
    let mut rng = Rng::new(seed);
    let mut phase = 0.0f64;
    let mut n_valid = 0usize;
    let seg_len = (cycles / 6).clamp(256, 4096);
    (0..cycles)
        .map(|n| {
            let segment = (n / seg_len) % 6;
            let idle = if segment == 5 {
                (n / 64) % 3 == 2
            } else {
                rng.below(8) == 0
            };
            if idle {
                let junk = rng.next_u64();
                return DecimInput {
                    valid: false,
                    i: junk as i16,
                    q: (junk >> 16) as i16,
                };
            }
            n_valid += 1;
            let (i, q) = match segment {
                0 => {
                    let r = rng.next_u64();
                    (r as i16, (r >> 16) as i16)
                }
                1 => {
                    let r = rng.next_u64();
                    (((r as i16) >> 4) << 4, (((r >> 16) as i16) >> 4) << 4)
                }
                2 | 5 => {
                    // frequency rising linearly over the segment, −0.5 .. +0.5 turns per sample
                    let f = ((n % seg_len) as f64 / seg_len as f64) - 0.5;
                    phase += 2.0 * std::f64::consts::PI * f;
                    let (s, c) = phase.sin_cos();
                    ((32000.0 * c).round() as i16, (32000.0 * s).round() as i16)
                }
                3 => {
                    if (n_valid / 200).is_multiple_of(2) {
                        (i16::MAX, i16::MIN)
                    } else {
                        (i16::MIN, i16::MAX)
                    }
                }
                _ => {
                    let t = n_valid as f64;
                    let (s1, c1) = (2.0 * std::f64::consts::PI * 0.013 * t).sin_cos();
                    let (s2, c2) = (-2.0 * std::f64::consts::PI * 0.0671 * t).sin_cos();
                    let noise = (rng.below(64) as f64) - 32.0;
                    (
                        (4000.0 * c1 + 26000.0 * c2 + noise).round() as i16,
                        (4000.0 * s1 + 26000.0 * s2 - noise).round() as i16,
                    )
                }
            };
            DecimInput { valid: true, i, q }
        })
        .collect()
}

/// The model's result for each clock of `stimulus`: `Some` output for the valid inputs that
/// complete one (every 16th), `None` otherwise.
pub fn decim_expected(stimulus: &[DecimInput]) -> Vec<Option<(i16, i16)>> {
    let mut d = Decimator::new();
    stimulus
        .iter()
        .map(|s| if s.valid { d.step((s.i, s.q)) } else { None })
        .collect()
}

/// Checks a run's outputs (one per clock, read after the edge that ends the clock the input of
/// the same index was presented in) against the model: the output completed by input `k` must
/// come out valid at index `k + latency − 1` with the model's value, and nothing else may be
/// valid. Returns the number of samples compared and how many of them were saturated (an
/// output component at −32768 or +32767), or the first mismatch.
pub fn decim_check(
    stimulus: &[DecimInput],
    outputs: &[DecimOutput],
    latency: usize,
) -> Result<(usize, usize), String> {
    if outputs.len() != stimulus.len() {
        return Err(format!(
            "{} outputs for {} clocks",
            outputs.len(),
            stimulus.len()
        ));
    }
    let expected = decim_expected(stimulus);
    let (mut compared, mut saturated) = (0, 0);
    for (k, out) in outputs.iter().enumerate() {
        let due = (k + 1)
            .checked_sub(latency)
            .and_then(|j| expected.get(j).copied().flatten());
        if out.valid != due.is_some() {
            return Err(format!(
                "clock {k}: out_valid {} but expected {}",
                out.valid,
                due.is_some()
            ));
        }
        if let Some(want) = due {
            if (out.i, out.q) != want {
                return Err(format!(
                    "clock {k} (sample {compared}): got ({}, {}), model {want:?}",
                    out.i, out.q
                ));
            }
            compared += 1;
            let sat = |v: i16| v == i16::MIN || v == i16::MAX;
            if sat(want.0) || sat(want.1) {
                saturated += 1;
            }
        }
    }
    Ok((compared, saturated))
}
