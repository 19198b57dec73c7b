//! Fixed-point model of one front-end channel as the board wires it, bit-exact with
//! `subgate_gateware::channel::Channel`: the DDC moves the channel to baseband, the decimation
//! chain takes it to the channel rate, the STF detector evaluates every decimated sample, and
//! the burst gate forwards the samples around detections. The board holds each decimated
//! sample until the detector's evaluation of it comes out and gives both to the gate, so the
//! gate's trigger for a sample is the detector's detection on the window ending there.
//!
//! Timing in the gateware: the record for the ADC sample that completes a decimated sample
//! comes [`LATENCY`] clocks after that sample's valid (DDC, decimation, detector, gate).

use super::burst::{self, BurstGate, BurstOutput};
use super::ddc::{self, Ddc};
use super::decim::{self, Decimator};
use super::detect::{self, Detector};

/// Clocks from the valid of the ADC sample completing a decimated sample to the gate's record
/// for it.
pub const LATENCY: usize = ddc::LATENCY + decim::LATENCY + detect::LATENCY + burst::LATENCY;

/// Run-time settings of a channel (the board's control registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelSettings {
    /// DDC frequency word ([`ddc::frequency_word`]).
    pub freq_word: u32,
    /// Detector threshold word ([`detect::threshold_word`]).
    pub threshold: u16,
    /// Samples forwarded after the last detection.
    pub hold: u16,
}

/// What a channel gives for one decimated sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelStep {
    /// The detector's evaluation of the decimated sample.
    pub eval: detect::Output,
    /// The gate's record for it, if any.
    pub record: Option<BurstOutput>,
}

/// One channel of the front end: DDC → decimation → STF detector → burst gate.
#[derive(Debug, Clone)]
pub struct Channel {
    ddc: Ddc,
    decim: Decimator,
    detect: Detector,
    gate: BurstGate,
    threshold: u16,
    lag: usize,
}

impl Channel {
    /// A channel for STF period `lag` (8 at 1 MHz) with a pre-trigger FIFO of `pre` samples,
    /// all state as after configuration.
    ///
    /// # Panics
    /// As [`Detector::new`] and [`BurstGate::new`] for out-of-range `lag`, `pre`, threshold.
    pub fn new(lag: usize, pre: usize, settings: ChannelSettings) -> Self {
        Channel {
            ddc: Ddc::new(settings.freq_word),
            decim: Decimator::new(),
            detect: Detector::new(lag, settings.threshold),
            gate: BurstGate::new(pre, settings.hold),
            threshold: settings.threshold,
            lag,
        }
    }

    /// Applies new settings from the next ADC sample on. The DDC's phase continues; a new
    /// threshold takes effect as the gateware's (read on every evaluation).
    pub fn set(&mut self, settings: ChannelSettings) {
        self.ddc.set_word(settings.freq_word);
        self.gate.set_hold(settings.hold);
        if settings.threshold != self.threshold {
            self.detect.set_threshold(settings.threshold);
            self.threshold = settings.threshold;
        }
    }

    /// The STF period the detector was built for.
    pub fn lag(&self) -> usize {
        self.lag
    }

    /// One ADC sample; on every [`decim::DECIMATION`]-th it returns the detector's evaluation
    /// and the gate's record for the decimated sample.
    pub fn step(&mut self, x: (i16, i16)) -> Option<ChannelStep> {
        let y = self.decim.step(self.ddc.step(x))?;
        let eval = self.detect.step(y);
        let record = self.gate.step(y, eval.detect);
        Some(ChannelStep { eval, record })
    }
}
