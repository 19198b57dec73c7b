//! Model of the whole front end as the boards carry it: [`CHANNELS`] channels
//! ([`super::channel`]) on one ADC stream, their control/status registers, and the output
//! signature — bit-exact with `subgate_gateware::frontend::FrontEnd`.
//!
//! # Control/status registers (32-bit, addressed by word)
//!
//! | address | access | register |
//! |---|---|---|
//! | `0x00 + c` | read/write | DDC frequency word of channel `c` |
//! | `0x04` | read/write | detector threshold word (bits 14..0; bit 15 up ignored) |
//! | `0x05` | read/write | hold (bits 15..0) |
//! | `0x06` | read | identification `0x5347_4645` (`SGFE`) |
//! | `0x07` | read | channels (4) |
//! | `0x08 + c` | read | detections of channel `c` (wrapping) |
//! | `0x0C + c` | read | bursts started on channel `c` (wrapping) |
//! | `0x10 + c` | read | samples forwarded on channel `c` (wrapping) |
//! | `0x14` | read | bit `c`: channel `c`'s detector saw an overrun (sticky) |
//! | `0x15` | read | output records (wrapping) |
//! | `0x16` | read | output signature ([`signature_step`]) |
//!
//! Other addresses read 0; writes elsewhere are ignored. Registers reset to 0 (frequency
//! words 0, threshold 0, hold 0).
//!
//! # Output
//! The channels' gate records leave one per clock at most through a priority arbiter (the
//! lowest-numbered channel with a waiting record goes). The channels decimate in step, so
//! their records come on the same clock and leave in channel order over the next four clocks;
//! a channel produces at most one record per 16 clocks, so none waits longer and none is lost. Every record also folds into
//! the 32-bit output signature, so a board fed from its test source can be checked against
//! this model through the registers alone.

use super::burst::BurstOutput;
use super::channel::{Channel, ChannelSettings, ChannelStep};

/// Channels of the front end.
pub const CHANNELS: usize = 4;
/// Value of the identification register (`SGFE`).
pub const ID: u32 = 0x5347_4645;

/// Register addresses (see the module documentation).
pub mod reg {
    /// Frequency word of channel 0 (channel `c` at `FREQ + c`).
    pub const FREQ: u8 = 0x00;
    /// Threshold word.
    pub const THRESHOLD: u8 = 0x04;
    /// Hold.
    pub const HOLD: u8 = 0x05;
    /// Identification.
    pub const ID: u8 = 0x06;
    /// Channel count.
    pub const CHANNELS: u8 = 0x07;
    /// Detections of channel 0.
    pub const DETECTIONS: u8 = 0x08;
    /// Bursts of channel 0.
    pub const BURSTS: u8 = 0x0C;
    /// Forwarded samples of channel 0.
    pub const FORWARDED: u8 = 0x10;
    /// Overrun flags.
    pub const OVERRUN: u8 = 0x14;
    /// Output records.
    pub const RECORDS: u8 = 0x15;
    /// Output signature.
    pub const SIGNATURE: u8 = 0x16;
}

/// One output record folded into the signature: `rotl(sig, 1) ^ word0 ^ word1` with
/// `word0 = i << 16 | q` (0 for an end) and `word1 = index ^ (channel << 28) ^ (start << 30)
/// ^ (end << 31)`.
pub fn signature_step(sig: u32, channel: usize, out: &BurstOutput) -> u32 {
    let (w0, index, start, end) = match *out {
        BurstOutput::Sample { index, x, start } => (
            (u32::from(x.0 as u16) << 16) | u32::from(x.1 as u16),
            index,
            start,
            false,
        ),
        BurstOutput::End { next } => (0, next, false, true),
    };
    let w1 = index ^ ((channel as u32) << 28) ^ (u32::from(start) << 30) ^ (u32::from(end) << 31);
    sig.rotate_left(1) ^ w0 ^ w1
}

/// The front end's model: channels, registers, counters and signature.
#[derive(Debug, Clone)]
pub struct FrontEnd {
    channels: Vec<Channel>,
    freq: [u32; CHANNELS],
    threshold: u16,
    hold: u16,
    detections: [u32; CHANNELS],
    bursts: [u32; CHANNELS],
    forwarded: [u32; CHANNELS],
    records: u32,
    signature: u32,
}

impl FrontEnd {
    /// A front end with channels of STF period `lag` and pre-trigger FIFOs of `pre` samples,
    /// registers at reset.
    pub fn new(lag: usize, pre: usize) -> Self {
        let s = ChannelSettings {
            freq_word: 0,
            threshold: 0,
            hold: 0,
        };
        FrontEnd {
            channels: (0..CHANNELS).map(|_| Channel::new(lag, pre, s)).collect(),
            freq: [0; CHANNELS],
            threshold: 0,
            hold: 0,
            detections: [0; CHANNELS],
            bursts: [0; CHANNELS],
            forwarded: [0; CHANNELS],
            records: 0,
            signature: 0,
        }
    }

    fn apply(&mut self) {
        for (c, ch) in self.channels.iter_mut().enumerate() {
            ch.set(ChannelSettings {
                freq_word: self.freq[c],
                threshold: self.threshold,
                hold: self.hold,
            });
        }
    }

    /// A register write (takes effect from the next ADC sample on).
    pub fn write(&mut self, addr: u8, value: u32) {
        match addr {
            a if (reg::FREQ..reg::FREQ + CHANNELS as u8).contains(&a) => {
                self.freq[usize::from(a - reg::FREQ)] = value
            }
            reg::THRESHOLD => self.threshold = (value & 0x7fff) as u16,
            reg::HOLD => self.hold = value as u16,
            _ => {}
        }
        self.apply();
    }

    /// A register read.
    pub fn read(&self, addr: u8) -> u32 {
        let c = |base: u8| usize::from(addr - base);
        match addr {
            a if a < reg::FREQ + CHANNELS as u8 => self.freq[c(reg::FREQ)],
            reg::THRESHOLD => u32::from(self.threshold),
            reg::HOLD => u32::from(self.hold),
            reg::ID => ID,
            reg::CHANNELS => CHANNELS as u32,
            a if (reg::DETECTIONS..reg::DETECTIONS + 4).contains(&a) => {
                self.detections[c(reg::DETECTIONS)]
            }
            a if (reg::BURSTS..reg::BURSTS + 4).contains(&a) => self.bursts[c(reg::BURSTS)],
            a if (reg::FORWARDED..reg::FORWARDED + 4).contains(&a) => {
                self.forwarded[c(reg::FORWARDED)]
            }
            reg::OVERRUN => 0,
            reg::RECORDS => self.records,
            reg::SIGNATURE => self.signature,
            _ => 0,
        }
    }

    /// One ADC sample through every channel; returns each channel's step (on every 16th).
    pub fn step(&mut self, x: (i16, i16)) -> [Option<ChannelStep>; CHANNELS] {
        let mut out = [None; CHANNELS];
        for (c, ch) in self.channels.iter_mut().enumerate() {
            out[c] = ch.step(x);
        }
        for (c, step) in out.iter().enumerate() {
            let Some(step) = step else { continue };
            self.detections[c] = self.detections[c].wrapping_add(u32::from(step.eval.detect));
            if let Some(rec) = &step.record {
                if let BurstOutput::Sample { start, .. } = rec {
                    self.forwarded[c] = self.forwarded[c].wrapping_add(1);
                    self.bursts[c] = self.bursts[c].wrapping_add(u32::from(*start));
                }
                self.records = self.records.wrapping_add(1);
            }
        }
        // all channels decimate in step, so their records leave in channel order
        for (c, step) in out.iter().enumerate() {
            if let Some(ChannelStep {
                record: Some(rec), ..
            }) = step
            {
                self.signature = signature_step(self.signature, c, rec);
            }
        }
        out
    }
}
