//! One front-end channel as the board wires it: [`Ddc`] → [`Decimator`] → [`Detector`] →
//! [`BurstGate`], bit-exact with the model [`subgate_dsp::frontend::channel`].
//!
//! The decimation chain gives one sample per 16 ADC samples, so its outputs come at least 16
//! clocks apart — more than the detector's [`MIN_SPACING`](crate::detect::MIN_SPACING). Each
//! decimated sample waits in a register until the detector's evaluation of it comes out
//! ([`crate::detect::LATENCY`] = 15 clocks later, before the next one can arrive) and goes to
//! the gate with the detection as its trigger. Records come [`LATENCY`] clocks after the valid of the ADC
//! sample completing their decimated sample.

use crate::burst::BurstGate;
use crate::ddc::Ddc;
use crate::decim::Decimator;
use crate::detect::Detector;
use rust_hdl::prelude::*;

pub use subgate_dsp::frontend::channel::LATENCY;

/// One receive channel (see the module documentation).
#[derive(LogicBlock)]
pub struct Channel {
    /// Sample clock.
    pub clock: Signal<In, Clock>,
    /// High for one clock per ADC sample (at most one per clock).
    pub in_valid: Signal<In, Bit>,
    /// ADC in-phase sample, signed 16-bit (12-bit samples left-justified).
    pub in_i: Signal<In, Signed<16>>,
    /// ADC quadrature sample, signed 16-bit.
    pub in_q: Signal<In, Signed<16>>,
    /// DDC frequency word (turns × 2³² per ADC sample), read with every ADC sample.
    pub freq_word: Signal<In, Bits<32>>,
    /// Detector threshold word (below 2¹⁵), read at every evaluation.
    pub threshold: Signal<In, Bits<16>>,
    /// Samples forwarded after the last detection, read with every decimated sample.
    pub hold: Signal<In, Bits<16>>,
    /// A forwarded sample (the gate's `out_valid`).
    pub out_valid: Signal<Out, Bit>,
    /// Forwarded sample, in-phase.
    pub out_i: Signal<Out, Signed<16>>,
    /// Forwarded sample, quadrature.
    pub out_q: Signal<Out, Signed<16>>,
    /// With `out_valid`: the first sample of a burst.
    pub out_start: Signal<Out, Bit>,
    /// A burst ended; `out_index` is one past its last sample.
    pub out_end: Signal<Out, Bit>,
    /// Index of the forwarded sample on the channel's (decimated) sample clock.
    pub out_index: Signal<Out, Bits<32>>,
    /// One clock per detection, when the detector's evaluation comes out.
    pub out_detect: Signal<Out, Bit>,
    /// The detector saw samples closer than its spacing (sticky; cannot happen from the chain).
    pub overrun: Signal<Out, Bit>,
    ddc: Ddc,
    decim: Decimator,
    detect: Detector,
    gate: BurstGate,
    held_i: DFF<Signed<16>>,
    held_q: DFF<Signed<16>>,
}

impl Channel {
    /// A channel whose detector correlates over `lag` samples (8 at 1 MHz, 16 at 2 MHz)
    /// and whose gate keeps `pre` samples before a detection.
    ///
    /// # Panics
    /// As [`Detector::new`] and [`BurstGate::new`] for out-of-range `lag` or `pre`.
    pub fn new(lag: usize, pre: usize) -> Self {
        Channel {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            freq_word: Default::default(),
            threshold: Default::default(),
            hold: Default::default(),
            out_valid: Default::default(),
            out_i: Default::default(),
            out_q: Default::default(),
            out_start: Default::default(),
            out_end: Default::default(),
            out_index: Default::default(),
            out_detect: Default::default(),
            overrun: Default::default(),
            ddc: Ddc::new(),
            decim: Decimator::new(),
            detect: Detector::new(lag),
            gate: BurstGate::new(pre),
            held_i: Default::default(),
            held_q: Default::default(),
        }
    }
}

impl Logic for Channel {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, held_i, held_q);
        self.ddc.clock.next = self.clock.val();
        self.decim.clock.next = self.clock.val();
        self.detect.clock.next = self.clock.val();
        self.gate.clock.next = self.clock.val();
        // ADC → DDC → decimation → detector
        self.ddc.in_valid.next = self.in_valid.val();
        self.ddc.in_i.next = self.in_i.val();
        self.ddc.in_q.next = self.in_q.val();
        self.ddc.freq_word.next = self.freq_word.val();
        self.decim.in_valid.next = self.ddc.out_valid.val();
        self.decim.in_i.next = self.ddc.out_i.val();
        self.decim.in_q.next = self.ddc.out_q.val();
        self.detect.in_valid.next = self.decim.out_valid.val();
        self.detect.in_i.next = self.decim.out_i.val();
        self.detect.in_q.next = self.decim.out_q.val();
        self.detect.threshold.next = self.threshold.val();
        // the decimated sample waits for its evaluation
        if self.decim.out_valid.val() {
            self.held_i.d.next = self.decim.out_i.val();
            self.held_q.d.next = self.decim.out_q.val();
        }
        self.gate.in_valid.next = self.detect.out_valid.val();
        self.gate.in_i.next = self.held_i.q.val();
        self.gate.in_q.next = self.held_q.q.val();
        self.gate.in_trigger.next = self.detect.out_detect.val();
        self.gate.hold.next = self.hold.val();
        self.out_valid.next = self.gate.out_valid.val();
        self.out_i.next = self.gate.out_i.val();
        self.out_q.next = self.gate.out_q.val();
        self.out_start.next = self.gate.out_start.val();
        self.out_end.next = self.gate.out_end.val();
        self.out_index.next = self.gate.out_index.val();
        self.out_detect.next = self.detect.out_valid.val() & self.detect.out_detect.val();
        self.overrun.next = self.detect.overrun.val();
    }
}
