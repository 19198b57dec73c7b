//! Test vectors shared by the rust-hdl simulation and the Verilator run of the generated
//! Verilog: stimulus per clock from a seed, expected outputs from the `subgate-dsp` model.

use subgate_dsp::channel::Multipath;
use subgate_dsp::frontend::burst::{BurstGate, BurstOutput, DEFAULT_PRE};
use subgate_dsp::frontend::channel::{Channel, ChannelSettings};
use subgate_dsp::frontend::ddc::{frequency_word, Ddc};
use subgate_dsp::frontend::decim::Decimator;
use subgate_dsp::frontend::detect::{self, MIN_SPACING};
use subgate_dsp::frontend::framer::{
    arbiter_inputs, random_records, BurstSizes, Framer, FramerInput, DECIMATION,
};
use subgate_dsp::frontend::inloop::{to_band, ADC_RATE};
use subgate_dsp::frontend::to_fixed;
use subgate_dsp::frontend::{ddc as ddc_model, decim as decim_model};
use subgate_dsp::rng::Rng;
use subgate_dsp::scene::{render, SceneFrame, Truth};
use subgate_dsp::{Complex32, Format, Mcs, TxRequest};

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

/// One detector input sample and the clocks up to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectInput {
    /// Clocks from the previous valid input (or from the start) to this one, ≥
    /// [`MIN_SPACING`]: `gap − 1` idle clocks (junk on the data inputs), then the valid clock.
    pub gap: usize,
    /// `in_i`.
    pub i: i16,
    /// `in_q`.
    pub q: i16,
}

/// One detector evaluation as read from the block's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DetectOutput {
    /// `out_hit`.
    pub hit: bool,
    /// `out_detect`.
    pub detect: bool,
    /// `out_num`.
    pub num: u32,
    /// `out_den`.
    pub den: u32,
    /// `out_corr_i`.
    pub corr_i: i16,
    /// `out_corr_q`.
    pub corr_q: i16,
}

/// Scale from the scene's floating-point samples (noise of unit power) to the 16-bit input:
/// noise at 64 LSB rms, a 30 dB frame's peaks well inside full scale.
pub const DETECT_SCALE: f32 = 64.0;

/// SNRs (dB) the scene's frames cycle through, the first one strong.
pub const DETECT_SNRS: [f64; 7] = [20.0, -3.0, 0.0, 3.0, 6.0, 10.0, 30.0];

/// `samples` samples at `format`'s native rate of frames from the transmitter through the
/// channel model (scene rendering): random PSDUs (20–60 bytes) and MCSs, SNRs cycling through
/// [`DETECT_SNRS`], carrier offsets up to ±30 kHz, ±20 ppm clock offsets, no multipath /
/// TGn-B / TGn-D in turn, 300–1500 samples of noise between frames (unit power), the first
/// frame at sample 200. Returns the samples and where the frames landed.
pub fn detect_scene(format: Format, samples: usize, seed: u64) -> (Vec<Complex32>, Vec<Truth>) {
    let mut rng = Rng::new(seed);
    let mut frames = Vec::new();
    let mut start = 200;
    let mut k = 0;
    while start < samples {
        let mut psdu = vec![0u8; 20 + rng.below(40) as usize];
        rng.fill_bytes(&mut psdu);
        let mcs = match (format, k % 3) {
            (Format::S1g1M, 0) => Mcs(10),
            _ => Mcs(rng.below(4) as u8),
        };
        let req = TxRequest::new(psdu, format, mcs);
        let len = subgate_dsp::tx::Transmitter::ppdu_len(&req).unwrap_or(0);
        frames.push(SceneFrame {
            req,
            start,
            snr_db: DETECT_SNRS[k % DETECT_SNRS.len()],
            cfo_hz: (rng.uniform() - 0.5) * 60e3,
            sco_ppm: (rng.uniform() - 0.5) * 40.0,
            multipath: [Multipath::None, Multipath::TgnB, Multipath::TgnD][k % 3],
            delay_frac: rng.uniform(),
            seed: rng.next_u64(),
        });
        start += len + 300 + rng.below(1200) as usize;
        k += 1;
    }
    match render(&frames, samples, format.sample_rate(), seed) {
        Ok((x, mut truth)) => {
            // frames cut off by the end still count if their STF is in
            truth.retain(|t| t.start + 400 <= samples);
            (x, truth)
        }
        Err(e) => panic!("scene rendering: {e}"),
    }
}

/// Detector stimulus: a [`detect_scene`] quantised at [`DETECT_SCALE`] (its first samples),
/// then five segments that reach the arithmetic's corners, each `samples / 64` long (32 to
/// 1024): full-range random I/Q (large, uncorrelated sums), the constant (−32768, −32768)
/// (the largest sums: 2³⁷, shift 23), zeros (`den = 0`), ±2 LSB random (shift 0, tiny sums)
/// and a tone periodic with `lag` (long runs of hits and detections). Gaps between valid
/// inputs: mostly 16 clocks (the decimation chain's rate), every seventh exactly
/// [`MIN_SPACING`], one in sixteen 17–48, one in 512 a pause of 300. Returns the stimulus, the
/// scene's floating-point samples and its frames (indices are the same as the stimulus's).
pub fn detect_stimulus(
    format: Format,
    lag: usize,
    samples: usize,
    seed: u64,
) -> (Vec<DetectInput>, Vec<Complex32>, Vec<Truth>) {
    let seg = (samples / 64).clamp(32, 1024);
    let (scene, truth) = detect_scene(format, samples.saturating_sub(5 * seg), seed);
    let mut x = Vec::with_capacity(samples);
    let saturated = to_fixed(&scene, DETECT_SCALE, &mut x);
    assert_eq!(saturated, 0, "the scene must fit 16 bits");
    let mut rng = Rng::new(seed ^ 0x5EED);
    for k in 0..5 * seg {
        x.push(match k / seg {
            0 => {
                let r = rng.next_u64();
                (r as i16, (r >> 16) as i16)
            }
            1 => (i16::MIN, i16::MIN),
            2 => (0, 0),
            3 => ((rng.below(5) as i16) - 2, (rng.below(5) as i16) - 2),
            _ => {
                let ph = 2.0 * std::f64::consts::PI * 3.0 * (k % lag) as f64 / lag as f64;
                let e = rng.below(400) as f64 - 200.0;
                (
                    (12000.0 * ph.cos() + e) as i16,
                    (12000.0 * ph.sin() - e) as i16,
                )
            }
        });
    }
    let stimulus = x
        .iter()
        .enumerate()
        .map(|(k, &(i, q))| {
            let gap = if k % 512 == 511 {
                300
            } else if k % 7 == 3 {
                MIN_SPACING
            } else if rng.below(16) == 0 {
                17 + rng.below(32) as usize
            } else {
                16
            };
            DetectInput { gap, i, q }
        })
        .collect();
    (stimulus, scene, truth)
}

/// What a detector run's outputs came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetectSummary {
    /// Evaluations compared (one per input sample).
    pub compared: usize,
    /// Hits among them.
    pub hits: usize,
    /// Input sample indices of the detections.
    pub detections: Vec<usize>,
    /// Evaluations with `den = 0`.
    pub den_zero: usize,
}

/// The clock each input sample is presented in (clocks counted from 0).
pub fn detect_clocks(stimulus: &[DetectInput]) -> Vec<u64> {
    let mut clock = 0u64;
    stimulus
        .iter()
        .map(|s| {
            clock += s.gap as u64;
            clock - 1
        })
        .collect()
}

/// Checks a run's valid outputs, each with the clock after whose edge it was read, against
/// the model ([`detect::Detector`] with `lag` and `threshold`): the evaluation of the input
/// presented in clock `c` must be read after clock `c + latency − 1`, every input must have
/// exactly one, bit for bit equal to the model's, and nothing else may be valid. Returns the
/// summary, or the first mismatch.
pub fn detect_check(
    stimulus: &[DetectInput],
    outputs: &[(u64, DetectOutput)],
    lag: usize,
    threshold: u16,
    latency: usize,
) -> Result<DetectSummary, String> {
    if outputs.len() != stimulus.len() {
        return Err(format!(
            "{} valid outputs for {} input samples",
            outputs.len(),
            stimulus.len()
        ));
    }
    let mut model = detect::Detector::new(lag, threshold);
    let mut summary = DetectSummary::default();
    for (k, ((s, clock), &(at, got))) in stimulus
        .iter()
        .zip(detect_clocks(stimulus))
        .zip(outputs)
        .enumerate()
    {
        let want = model.step((s.i, s.q));
        let due = clock + latency as u64 - 1;
        if at != due {
            return Err(format!(
                "sample {k} (clock {clock}): output at clock {at}, due at {due}"
            ));
        }
        let want = DetectOutput {
            hit: want.hit,
            detect: want.detect,
            num: want.num,
            den: want.den,
            corr_i: want.corr.0,
            corr_q: want.corr.1,
        };
        if got != want {
            return Err(format!(
                "sample {k} (clock {clock}): got {got:?}, model {want:?}"
            ));
        }
        summary.compared += 1;
        summary.hits += usize::from(got.hit);
        summary.den_zero += usize::from(got.den == 0);
        if got.detect {
            summary.detections.push(k);
        }
    }
    Ok(summary)
}

/// One burst-gate input sample and the clocks up to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstInput {
    /// Clocks from the previous valid input (or from the start) to this one, ≥ 1: `gap − 1`
    /// idle clocks (junk on the inputs), then the valid clock.
    pub gap: usize,
    /// `in_i`.
    pub i: i16,
    /// `in_q`.
    pub q: i16,
    /// `in_trigger`.
    pub trigger: bool,
    /// `hold`.
    pub hold: u16,
}

/// One burst-gate output record as read from the block: a forwarded sample (`out_valid`) or
/// an end strobe (`out_end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstRecord {
    /// The clock after whose edge it was read.
    pub clock: u64,
    /// The record.
    pub out: BurstOutput,
}

/// Burst-gate stimulus: a [`detect_scene`] at `format`'s native rate quantised at
/// [`DETECT_SCALE`], each sample's trigger from the STF detector model at the receiver's
/// threshold (0.3), plus, over the last eighth, random triggers (clusters, single ones, some
/// within a few samples). `hold` is mostly `hold` with stretches of 0, 1 and 37; gaps
/// between valid inputs mostly 1 (back to back), also 2–4 and 16, a pause of 100 every 1024.
pub fn burst_stimulus(format: Format, samples: usize, hold: u16, seed: u64) -> Vec<BurstInput> {
    let (scene, _) = detect_scene(format, samples, seed);
    let mut x = Vec::with_capacity(samples);
    let saturated = to_fixed(&scene, DETECT_SCALE, &mut x);
    assert_eq!(saturated, 0, "the scene must fit 16 bits");
    let mut det = detect::Detector::new(format.fft_len() / 4, detect::threshold_word(0.3));
    let mut rng = Rng::new(seed ^ 0xB0B);
    let random_from = samples - samples / 8;
    x.iter()
        .enumerate()
        .map(|(k, &(i, q))| {
            let detected = det.step((i, q)).detect;
            let trigger = if k >= random_from {
                match (k / 997) % 3 {
                    0 => rng.below(50) == 0,
                    1 => rng.below(2000) == 0,
                    _ => false,
                }
            } else {
                detected
            };
            let hold = match (k / 4999) % 7 {
                1 => 0,
                3 => 1,
                5 => 37,
                _ => hold,
            };
            let gap = if k % 1024 == 1023 {
                100
            } else {
                match rng.below(8) {
                    0..=3 => 1,
                    4 | 5 => 2 + rng.below(3) as usize,
                    _ => 16,
                }
            };
            BurstInput {
                gap,
                i,
                q,
                trigger,
                hold,
            }
        })
        .collect()
}

/// What a burst-gate run's outputs came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BurstSummary {
    /// Records compared.
    pub records: usize,
    /// Forwarded samples among them.
    pub forwarded: usize,
    /// Bursts started.
    pub bursts: usize,
    /// Triggers in the stimulus.
    pub triggers: usize,
}

/// Checks a run's output records against the model ([`BurstGate`] with `pre`): the record for
/// the input presented in clock `c` must be read after clock `c + latency − 1`, bit for bit
/// the model's, in the same order, and nothing else may come out. Returns the summary, or
/// the first mismatch.
pub fn burst_check(
    stimulus: &[BurstInput],
    records: &[BurstRecord],
    pre: usize,
    latency: usize,
) -> Result<BurstSummary, String> {
    let mut gate = BurstGate::new(pre, stimulus.first().map_or(0, |s| s.hold));
    let mut summary = BurstSummary::default();
    let mut got = records.iter();
    let mut clock = 0u64;
    for (k, s) in stimulus.iter().enumerate() {
        clock += s.gap as u64;
        gate.set_hold(s.hold);
        summary.triggers += usize::from(s.trigger);
        let Some(want) = gate.step((s.i, s.q), s.trigger) else {
            continue;
        };
        let due = clock - 1 + latency as u64 - 1;
        let Some(r) = got.next() else {
            return Err(format!("sample {k}: no record, model {want:?}"));
        };
        if r.clock != due || r.out != want {
            return Err(format!(
                "sample {k}: got {r:?}, model {want:?} at clock {due}"
            ));
        }
        summary.records += 1;
        if let BurstOutput::Sample { start, .. } = want {
            summary.forwarded += 1;
            summary.bursts += usize::from(start);
        }
    }
    match got.next() {
        Some(r) => Err(format!("record {r:?} the model does not have")),
        None => Ok(summary),
    }
}

/// ADC rate of the channel stimulus: 16 Msps, so the decimation chain's output is 1 Msps.
pub const CHANNEL_ADC_RATE: f64 = ADC_RATE;
/// Where the channel stimulus puts its wanted scene.
pub const CHANNEL_OFFSET_HZ: f64 = 3e6;
/// Where it puts the second, independent scene (6 dB stronger).
pub const CHANNEL_OTHER_HZ: f64 = -2e6;
/// Scale from the scene's floating-point samples to the 16-bit ADC input; the DDC halves
/// the amplitude, so the decimated noise is about 48 LSB rms.
pub const CHANNEL_SCALE: f32 = 96.0;

/// One ADC sample of channel stimulus after `gap − 1` idle clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelInput {
    /// Clocks since the previous valid input (≥ 1).
    pub gap: usize,
    /// In-phase ADC sample.
    pub i: i16,
    /// Quadrature ADC sample.
    pub q: i16,
}

/// `samples` ADC samples at [`CHANNEL_ADC_RATE`]: a 1 MHz [`detect_scene`] resampled to
/// 16 Msps and moved to [`CHANNEL_OFFSET_HZ`], a second scene from another seed at
/// [`CHANNEL_OTHER_HZ`] 6 dB stronger, white noise over the whole band at −12 dB, quantised at
/// [`CHANNEL_SCALE`] (saturating). Gaps mostly 1 (back to back), also 2–3, a pause of 40
/// every 4096 samples.
pub fn channel_stimulus(samples: usize, seed: u64) -> Vec<ChannelInput> {
    let narrow = samples / 16 + 64;
    let shifted = |scene: &[Complex32], hz: f64, gain: f32| -> Vec<Complex32> {
        to_band(scene, hz).into_iter().map(|x| x * gain).collect()
    };
    let (wanted, _) = detect_scene(Format::S1g1M, narrow, seed);
    let (other, _) = detect_scene(Format::S1g1M, narrow, seed ^ 0x5EED);
    let a = shifted(&wanted, CHANNEL_OFFSET_HZ, 1.0);
    let b = shifted(&other, CHANNEL_OTHER_HZ, 2.0);
    let mut rng = Rng::new(seed ^ 0xADC);
    let sigma = (0.0625f64 / 2.0).sqrt();
    let band: Vec<Complex32> = (0..samples)
        .map(|n| {
            let noise =
                Complex32::new((rng.normal() * sigma) as f32, (rng.normal() * sigma) as f32);
            a.get(n).copied().unwrap_or_default() + b.get(n).copied().unwrap_or_default() + noise
        })
        .collect();
    let mut x = Vec::with_capacity(samples);
    to_fixed(&band, CHANNEL_SCALE, &mut x);
    x.into_iter()
        .enumerate()
        .map(|(k, (i, q))| {
            let gap = if k % 4096 == 4095 {
                40
            } else {
                match rng.below(8) {
                    0..=5 => 1,
                    _ => 2 + rng.below(2) as usize,
                }
            };
            ChannelInput { gap, i, q }
        })
        .collect()
}

/// Random full-range ADC samples, back to back with a few gaps (for the short rust-hdl run,
/// where a threshold of 0 makes every 48th evaluation a detection).
pub fn channel_noise(samples: usize, seed: u64) -> Vec<ChannelInput> {
    let mut rng = Rng::new(seed);
    (0..samples)
        .map(|_| {
            let r = rng.next_u64();
            ChannelInput {
                gap: if r >> 60 == 0 { 3 } else { 1 },
                i: r as i16,
                q: (r >> 16) as i16,
            }
        })
        .collect()
}

/// What a channel run's outputs came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelSummary {
    /// ADC samples in.
    pub samples: usize,
    /// Decimated samples evaluated.
    pub decimated: usize,
    /// Detections (each compared with its clock).
    pub detections: usize,
    /// Gate records compared.
    pub records: usize,
    /// Forwarded samples among them.
    pub forwarded: usize,
    /// Bursts started.
    pub bursts: usize,
}

/// Checks a channel run against the model ([`Channel`] with `lag`, `pre`, `settings`):
/// every detection pulse must be read after clock `c + (DDC + decimation + detector
/// latency) − 1` and every gate record after `c + `[`subgate_dsp::frontend::channel::LATENCY`]` − 1`, `c` being the
/// clock of the ADC sample completing the decimated sample, bit for bit the model's, in order,
/// and nothing else may come out. Returns the summary, or the first mismatch.
pub fn channel_check(
    stimulus: &[ChannelInput],
    records: &[BurstRecord],
    detections: &[u64],
    lag: usize,
    pre: usize,
    settings: ChannelSettings,
) -> Result<ChannelSummary, String> {
    let detect_latency = (ddc_model::LATENCY + decim_model::LATENCY + detect::LATENCY) as u64;
    let latency = subgate_dsp::frontend::channel::LATENCY as u64;
    let mut ch = Channel::new(lag, pre, settings);
    let mut summary = ChannelSummary::default();
    let (mut got, mut det) = (records.iter(), detections.iter());
    let mut clock = 0u64;
    for (k, s) in stimulus.iter().enumerate() {
        clock += s.gap as u64;
        summary.samples += 1;
        let Some(step) = ch.step((s.i, s.q)) else {
            continue;
        };
        summary.decimated += 1;
        if step.eval.detect {
            let due = clock - 1 + detect_latency - 1;
            match det.next() {
                Some(&c) if c == due => summary.detections += 1,
                Some(&c) => {
                    return Err(format!(
                        "ADC sample {k}: detection at clock {c}, model at {due}"
                    ))
                }
                None => return Err(format!("ADC sample {k}: no detection, model at {due}")),
            }
        }
        let Some(want) = step.record else {
            continue;
        };
        let due = clock - 1 + latency - 1;
        let Some(r) = got.next() else {
            return Err(format!("ADC sample {k}: no record, model {want:?}"));
        };
        if r.clock != due || r.out != want {
            return Err(format!(
                "ADC sample {k}: got {r:?}, model {want:?} at clock {due}"
            ));
        }
        summary.records += 1;
        if let BurstOutput::Sample { start, .. } = want {
            summary.forwarded += 1;
            summary.bursts += usize::from(start);
        }
    }
    if let Some(c) = det.next() {
        return Err(format!("detection at clock {c} the model does not have"));
    }
    match got.next() {
        Some(r) => Err(format!("record {r:?} the model does not have")),
        None => Ok(summary),
    }
}

/// One step of front-end stimulus for the Verilator testbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontEndCommand {
    /// A register write (one clock, no sample).
    Write(u8, u32),
    /// An ADC sample after `gap − 1` idle clocks.
    Sample(ChannelInput),
    /// A register read (one clock with the address, the value read after it).
    Read(u8),
    /// Idle clocks (the tail of the stream drains).
    Idle(usize),
}

impl FrontEndCommand {
    /// The command as a line of the testbenches' scripts (`W addr value`, `R addr`, `I n`,
    /// `S gap i q`).
    pub fn line(&self) -> String {
        match *self {
            FrontEndCommand::Write(a, v) => format!("W {a} {v}"),
            FrontEndCommand::Read(a) => format!("R {a}"),
            FrontEndCommand::Idle(n) => format!("I {n}"),
            FrontEndCommand::Sample(s) => format!("S {} {} {}", s.gap, s.i, s.q),
        }
    }

    /// Clocks the command takes in the testbench.
    pub fn clocks(&self) -> u64 {
        match *self {
            FrontEndCommand::Write(..) | FrontEndCommand::Read(_) => 1,
            FrontEndCommand::Sample(s) => s.gap as u64,
            FrontEndCommand::Idle(n) => n as u64,
        }
    }
}

/// An output record of the front end: its clock, channel and the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrontEndRecord {
    /// The clock after whose edge it was read.
    pub clock: u64,
    /// Channel.
    pub channel: usize,
    /// The record.
    pub out: BurstOutput,
}

/// What a front-end run came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrontEndSummary {
    /// Records compared (all channels).
    pub records: usize,
    /// Per channel: forwarded samples.
    pub forwarded: [usize; 4],
    /// Per channel: bursts.
    pub bursts: [usize; 4],
    /// Register reads compared.
    pub reads: usize,
}

/// Checks a front-end run against the model ([`subgate_dsp::frontend::top::FrontEnd`]
/// with `lag`, `pre`): every output record at its clock (the channel's record clock plus
/// `out_delay` plus one per lower channel with a record on the same sample), in order, and
/// every register read (`reads`, in command order) equal to the model's at that point.
pub fn frontend_check(
    commands: &[FrontEndCommand],
    records: &[FrontEndRecord],
    reads: &[(u8, u32)],
    lag: usize,
    pre: usize,
    out_delay: u64,
) -> Result<FrontEndSummary, String> {
    use subgate_dsp::frontend::top::FrontEnd;
    let latency = subgate_dsp::frontend::channel::LATENCY as u64;
    let mut fe = FrontEnd::new(lag, pre);
    let mut summary = FrontEndSummary::default();
    let (mut got, mut read) = (records.iter(), reads.iter());
    let mut clock = 0u64;
    for (k, cmd) in commands.iter().enumerate() {
        clock += cmd.clocks();
        match *cmd {
            FrontEndCommand::Write(addr, value) => fe.write(addr, value),
            FrontEndCommand::Idle(_) => {}
            FrontEndCommand::Read(addr) => {
                let want = fe.read(addr);
                match read.next() {
                    Some(&(a, v)) if a == addr && v == want => summary.reads += 1,
                    other => {
                        return Err(format!(
                            "command {k}: read of {addr:#04x} gave {other:?}, model {want:#010x}"
                        ))
                    }
                }
            }
            FrontEndCommand::Sample(s) => {
                let steps = fe.step((s.i, s.q));
                let mut rank = 0;
                for (c, step) in steps.iter().enumerate() {
                    let Some(want) = step.and_then(|s| s.record) else {
                        continue;
                    };
                    let due = clock - 1 + latency - 1 + out_delay + rank;
                    rank += 1;
                    let expected = FrontEndRecord {
                        clock: due,
                        channel: c,
                        out: want,
                    };
                    match got.next() {
                        Some(r) if *r == expected => {}
                        other => {
                            return Err(format!("command {k}: got {other:?}, model {expected:?}"))
                        }
                    }
                    summary.records += 1;
                    if let BurstOutput::Sample { start, .. } = want {
                        summary.forwarded[c] += 1;
                        summary.bursts[c] += usize::from(start);
                    }
                }
            }
        }
    }
    if let Some(r) = got.next() {
        return Err(format!("record {r:?} the model does not have"));
    }
    match read.next() {
        Some(r) => Err(format!("read {r:?} the model does not have")),
        None => Ok(summary),
    }
}

/// How a framer run's link and ADC behave clock by clock: an ADC strobe every `adc_every`
/// clocks; the link stalls in the first `stall` clocks of every `period` and otherwise takes
/// a byte in `ready_eighths` of 8 clocks (picked by a hash of the clock number, which the
/// Verilator testbench computes the same way). After the last tick,
/// [`DRAIN_CLOCKS`](subgate_dsp::frontend::framer::DRAIN_CLOCKS) clocks
/// with the link ready and no ADC strobe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramerLink {
    /// Clocks between ADC strobes (≥ 1).
    pub adc_every: u64,
    /// Period of the stall pattern (≥ 1).
    pub period: u64,
    /// Stalled clocks at the start of each period.
    pub stall: u64,
    /// Eighths of the other clocks in which the link takes a byte (0..=8).
    pub ready_eighths: u64,
}

impl FramerLink {
    /// Whether the link takes a byte in `clock` (before the drain).
    pub fn ready(&self, clock: u64) -> bool {
        clock % self.period >= self.stall
            && (clock.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61) < self.ready_eighths
    }
}

/// Per-clock framer inputs for per-tick records of up to four channels on `link`
/// ([`arbiter_inputs`]: records one per clock in channel order after each 16th strobe).
pub fn framer_inputs(ticks: &[Vec<Option<BurstOutput>>], link: &FramerLink) -> Vec<FramerInput> {
    let every = link.adc_every as usize;
    arbiter_inputs(ticks, || every, |clock| link.ready(clock))
}

/// The first clock of the drain in [`framer_inputs`] for `ticks` ticks.
pub fn framer_drain_from(ticks: usize, link: &FramerLink) -> u64 {
    ticks as u64 * DECIMATION * link.adc_every
}

/// Per-tick records of four channels from the burst gate's model (pre 256, `hold`) on four
/// independent [`burst_stimulus`] scenes — frames from the transmitter through the channel
/// model with the STF detector model's triggers.
pub fn framer_scene_ticks(ticks: usize, hold: u16, seed: u64) -> Vec<Vec<Option<BurstOutput>>> {
    (0..4u64)
        .map(|c| {
            let stim = burst_stimulus(Format::S1g1M, ticks, hold, seed.wrapping_add(c * 7919));
            let mut gate = BurstGate::new(DEFAULT_PRE, hold);
            stim.iter()
                .map(|s| {
                    gate.set_hold(s.hold);
                    gate.step((s.i, s.q), s.trigger)
                })
                .collect()
        })
        .collect()
}

/// Per-tick records of four channels of [`random_records`] bursts of `sizes`.
pub fn framer_random_ticks(
    ticks: usize,
    sizes: BurstSizes,
    seed: u64,
) -> Vec<Vec<Option<BurstOutput>>> {
    let mut rng = Rng::new(seed);
    (0..4)
        .map(|_| random_records(ticks, 0, sizes, &mut rng).0)
        .collect()
}

/// What a framer run came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramerSummary {
    /// Records given to the framer.
    pub records: usize,
    /// Bytes the link took (all compared).
    pub bytes: usize,
    /// Segments sent (the model's counter).
    pub segments: u32,
    /// Samples dropped (the model's counter).
    pub dropped: u32,
    /// Segments discarded for a full queue (the model's count).
    pub discards: u32,
}

/// Checks the bytes a framer run's link took — `(clock, byte)` — against the model on the
/// same inputs: the same bytes at the same clocks, nothing else; and the block's final
/// `segments` / `dropped` counters against the model's. Returns the summary or the first
/// mismatch.
pub fn framer_check(
    inputs: &[FramerInput],
    taken: &[(u64, u8)],
    counters: (u32, u32),
) -> Result<FramerSummary, String> {
    let mut model = Framer::new();
    let mut got = taken.iter();
    let mut summary = FramerSummary::default();
    for (clock, input) in inputs.iter().enumerate() {
        summary.records += usize::from(input.record.is_some());
        let Some(want) = model.step(*input) else {
            continue;
        };
        match got.next() {
            Some(&(c, b)) if c == clock as u64 && b == want => summary.bytes += 1,
            Some(&(c, b)) => {
                return Err(format!(
                    "byte {}: got {b:#04x} at clock {c}, model {want:#04x} at clock {clock}",
                    summary.bytes
                ))
            }
            None => {
                return Err(format!(
                    "byte {}: none, model {want:#04x} at clock {clock}",
                    summary.bytes
                ))
            }
        }
    }
    if let Some(extra) = got.next() {
        return Err(format!("byte {extra:?} the model does not have"));
    }
    let stats = model.stats();
    summary.segments = stats.segments;
    summary.dropped = stats.dropped;
    summary.discards = stats.discards;
    if counters != (stats.segments, stats.dropped) {
        return Err(format!(
            "counters (segments, dropped) {counters:?}, model ({}, {})",
            stats.segments, stats.dropped
        ));
    }
    Ok(summary)
}

/// What a run of the front end with its framer came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamSummary {
    /// Clocks run.
    pub clocks: u64,
    /// Bytes the link took (all compared).
    pub bytes: usize,
    /// Register reads compared.
    pub reads: usize,
    /// Segments sent (the model's register).
    pub segments: u32,
    /// Samples dropped (the model's register).
    pub dropped: u32,
}

/// Checks a run of the front end with its framer against the model
/// ([`subgate_dsp::frontend::stream::StreamFrontEnd`] with `lag`, `pre`) on `commands`
/// (one clock per write or read, `gap` clocks per sample, `n` per idle) with the link
/// taking bytes as `link` says on every clock: the same bytes at the same clocks, nothing
/// else, and every register read equal to the model's at that clock.
pub fn stream_check(
    commands: &[FrontEndCommand],
    link: &FramerLink,
    bytes: &[(u64, u8)],
    reads: &[(u8, u32)],
    lag: usize,
    pre: usize,
) -> Result<StreamSummary, String> {
    use subgate_dsp::frontend::stream::{reg, StreamFrontEnd};
    let mut run = StreamRun {
        model: StreamFrontEnd::new(lag, pre),
        link,
        got: bytes.iter(),
        summary: StreamSummary::default(),
    };
    let mut read = reads.iter();
    for (k, cmd) in commands.iter().enumerate() {
        match *cmd {
            FrontEndCommand::Write(addr, value) => run.clock(None, Some((addr, value)))?,
            FrontEndCommand::Read(addr) => {
                let want = run.model.read(addr);
                match read.next() {
                    Some(&(a, v)) if a == addr && v == want => run.summary.reads += 1,
                    other => {
                        return Err(format!(
                            "command {k}: read of {addr:#04x} gave {other:?}, model {want:#010x}"
                        ))
                    }
                }
                run.clock(None, None)?;
            }
            FrontEndCommand::Idle(n) => {
                for _ in 0..n {
                    run.clock(None, None)?;
                }
            }
            FrontEndCommand::Sample(s) => {
                for _ in 1..s.gap {
                    run.clock(None, None)?;
                }
                run.clock(Some((s.i, s.q)), None)?;
            }
        }
    }
    if let Some(b) = run.got.next() {
        return Err(format!("byte {b:?} the model does not have"));
    }
    if let Some(r) = read.next() {
        return Err(format!("read {r:?} the model does not have"));
    }
    let mut summary = run.summary;
    summary.segments = run.model.read(reg::SEGMENTS);
    summary.dropped = run.model.read(reg::DROPPED);
    Ok(summary)
}

/// The model's side of [`stream_check`], clock by clock.
struct StreamRun<'a> {
    model: subgate_dsp::frontend::stream::StreamFrontEnd,
    link: &'a FramerLink,
    got: std::slice::Iter<'a, (u64, u8)>,
    summary: StreamSummary,
}

impl StreamRun<'_> {
    /// One clock of the model; the byte it gives must be the run's next, at this clock.
    fn clock(
        &mut self,
        sample: Option<(i16, i16)>,
        write: Option<(u8, u32)>,
    ) -> Result<(), String> {
        let clock = self.summary.clocks;
        if let Some(want) = self.model.step(sample, write, self.link.ready(clock)) {
            match self.got.next() {
                Some(&(c, b)) if c == clock && b == want => self.summary.bytes += 1,
                other => {
                    return Err(format!(
                        "byte {}: got {other:?}, model {want:#04x} at clock {clock}",
                        self.summary.bytes
                    ))
                }
            }
        }
        self.summary.clocks += 1;
        Ok(())
    }
}
