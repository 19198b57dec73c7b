//! The LMS7002M's receive port as the LimeSDR Mini v2 runs it (LML port 2, SISO DDR;
//! docs/gateware.md): per cycle of the receive clock MCLK2 two 12-bit words arrive, one per
//! clock edge, each with the ENABLE_IQSEL2 line telling what it is — low with the in-phase
//! word, high with the quadrature word. The pins' DDR registers hand the fabric, per MCLK
//! cycle, the word of the falling edge (registered once more, so it is the edge before the
//! rising one) and the word of the rising edge: an [`LmlCycle`].
//!
//! [`LmlPairer`] turns that into samples, bit for bit as the rust-hdl block
//! `subgate_gateware::lml::LmlPair`: words in time order (fall, then rise), an I word waits
//! for the next Q word; the pair becomes a sample left-justified to 16 bits (× 16: the DDC's
//! input format). Either alignment of the pairs to the clock works (I on the falling edge
//! as Lime's gateware assumes, or I on the rising edge and Q on the next falling one). A Q
//! word with no I before it, or an I word replacing an I still waiting, is a framing error:
//! counted (saturating at 2¹⁶ − 1) and dropped, and the pairing carries on from the next
//! I word.
//!
//! Timing of the block: a sample is at its registered outputs [`LATENCY`] clock after the
//! cycle that completed it was presented.

use crate::rng::Rng;

/// Clocks from the cycle that completes a sample to the sample at the block's outputs.
pub const LATENCY: u64 = 1;

/// Largest value of the framing-error counter.
pub const ERRORS_MAX: u16 = u16::MAX;

/// One receive-clock cycle as the pins' DDR registers give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LmlCycle {
    /// The word of the falling edge before this rising edge, 12 bits.
    pub fall: u16,
    /// IQSEL with it (high: quadrature).
    pub fall_sel: bool,
    /// The word of the rising edge, 12 bits.
    pub rise: u16,
    /// IQSEL with it.
    pub rise_sel: bool,
}

/// A 12-bit two's-complement word left-justified to 16 bits.
pub fn left_justify(word: u16) -> i16 {
    ((word & 0x0FFF) << 4) as i16
}

/// The pairing of words into samples (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct LmlPairer {
    pending: Option<u16>,
    errors: u16,
}

impl LmlPairer {
    /// A pairer with nothing waiting, as after configuration.
    pub fn new() -> LmlPairer {
        LmlPairer::default()
    }

    /// Framing errors so far (saturating).
    pub fn errors(&self) -> u16 {
        self.errors
    }

    fn word(&mut self, w: u16, q: bool) -> Option<(i16, i16)> {
        if q {
            match self.pending.take() {
                Some(i) => return Some((left_justify(i), left_justify(w))),
                None => self.error(),
            }
        } else {
            if self.pending.is_some() {
                self.error();
            }
            self.pending = Some(w & 0x0FFF);
        }
        None
    }

    fn error(&mut self) {
        self.errors = self.errors.saturating_add(1);
    }

    /// One cycle's two words; the sample they complete, if any (at most one per cycle).
    pub fn cycle(&mut self, c: LmlCycle) -> Option<(i16, i16)> {
        let first = self.word(c.fall, c.fall_sel);
        let second = self.word(c.rise, c.rise_sel);
        // Two completions in one cycle would need Q, Q — the second Q has no I before it.
        second.or(first)
    }
}

/// A test stream for the pairing: receive-clock cycles with, for each, whether the port
/// presents it (`valid`: the pins' registers run on every MCLK cycle; idle clocks stand for
/// the fabric's view when it is slower) — built from 12-bit samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LmlStimulus {
    /// Idle clocks before this cycle (junk on the inputs).
    pub gap: u32,
    /// The cycle.
    pub cycle: LmlCycle,
}

/// `samples` random 12-bit samples (full range, with the extremes) sent SISO DDR; the pairs
/// start on the falling edge when `i_on_fall`, else on the rising edge; every `glitch`-th
/// cycle (if nonzero) has one IQSEL bit flipped, to exercise the framing errors and the
/// recovery; gaps of 1 to 3 clocks between cycles at random.
pub fn stimulus(samples: usize, i_on_fall: bool, glitch: usize, seed: u64) -> Vec<LmlStimulus> {
    let mut rng = Rng::new(seed);
    let mut words: Vec<(u16, bool)> = Vec::with_capacity(2 * samples + 1);
    if !i_on_fall {
        // A Q word whose I was before the capture started.
        words.push((rng.below(4096) as u16, true));
    }
    for k in 0..samples {
        let (i, q) = match k % 7 {
            0 => (0x7FF, 0x800),
            1 => (0x800, 0x7FF),
            _ => (rng.below(4096) as u16, rng.below(4096) as u16),
        };
        words.push((i, false));
        words.push((q, true));
    }
    if words.len() % 2 == 1 {
        words.push((rng.below(4096) as u16, false));
    }
    words
        .chunks(2)
        .enumerate()
        .map(|(n, w)| {
            let mut cycle = LmlCycle {
                fall: w[0].0,
                fall_sel: w[0].1,
                rise: w[1].0,
                rise_sel: w[1].1,
            };
            if glitch > 0 && n % glitch == glitch - 1 {
                if rng.below(2) == 0 {
                    cycle.fall_sel = !cycle.fall_sel;
                } else {
                    cycle.rise_sel = !cycle.rise_sel;
                }
            }
            LmlStimulus {
                gap: 1 + rng.below(3) as u32,
                cycle,
            }
        })
        .collect()
}

/// The model's output for a stimulus: `(clock, i, q)` of every sample, clocks counted from 0
/// at the stream's first clock edge (a cycle presented at edge `c` shows its sample at the
/// outputs after edge `c + LATENCY − 1`, as the other blocks count), and the error count at
/// the end.
pub fn expected(stim: &[LmlStimulus]) -> (Vec<(u64, i16, i16)>, u16) {
    let mut p = LmlPairer::new();
    let mut clock = 0u64;
    let mut out = Vec::new();
    for s in stim {
        clock += u64::from(s.gap);
        if let Some((i, q)) = p.cycle(s.cycle) {
            out.push((clock - 1 + LATENCY - 1, i, q));
        }
    }
    (out, p.errors())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(fall: u16, fall_sel: bool, rise: u16, rise_sel: bool) -> LmlCycle {
        LmlCycle {
            fall,
            fall_sel,
            rise,
            rise_sel,
        }
    }

    #[test]
    fn pairs_in_either_alignment_and_left_justifies() {
        let mut p = LmlPairer::new();
        assert_eq!(
            p.cycle(c(0x7FF, false, 0x800, true)),
            Some((0x7FF0, i16::MIN))
        );
        assert_eq!(p.cycle(c(0x001, false, 0xFFF, true)), Some((16, -16)));
        assert_eq!(p.errors(), 0);
        // I on the rising edge, Q on the next falling one.
        let mut p = LmlPairer::new();
        assert_eq!(p.cycle(c(0x123, true, 0x100, false)), None);
        assert_eq!(p.errors(), 1, "a Q with no I before it");
        assert_eq!(
            p.cycle(c(0x200, true, 0x300, false)),
            Some((0x1000, 0x2000))
        );
        assert_eq!(
            p.cycle(c(0x400, true, 0x500, false)),
            Some((0x3000, 0x4000))
        );
        assert_eq!(p.errors(), 1);
    }

    #[test]
    fn a_flipped_iqsel_costs_a_sample_and_pairing_recovers() {
        let mut p = LmlPairer::new();
        assert!(p.cycle(c(1, false, 2, true)).is_some());
        // Q flipped to I: the I waiting is replaced (error), then the next I replaces it.
        assert_eq!(p.cycle(c(3, false, 4, false)), None);
        assert_eq!(p.cycle(c(5, false, 6, true)), Some((5 << 4, 6 << 4)));
        assert_eq!(p.errors(), 2);
    }

    #[test]
    fn stimulus_round_trips_without_glitches() {
        for i_on_fall in [true, false] {
            let stim = stimulus(500, i_on_fall, 0, 7);
            let (out, errors) = expected(&stim);
            assert_eq!(out.len(), 500);
            assert_eq!(errors, u16::from(!i_on_fall));
            assert_eq!((out[0].1, out[0].2), (0x7FF0, i16::MIN));
        }
        let (out, errors) = expected(&stimulus(5_000, true, 50, 8));
        assert!(errors > 0 && out.len() < 5_000 && out.len() > 4_700);
    }
}
