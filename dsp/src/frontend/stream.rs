//! Model of the front end with its framer, clock for clock the same as
//! `subgate_gateware::stream::StreamFrontEnd`: the four channels and their registers
//! ([`super::top`]) feed the burst-stream framer ([`super::framer`]), so what leaves the FPGA
//! is the byte stream of docs/burst-stream.md. A host can run a recording through it and
//! read exactly the bytes the board would send.
//!
//! Registers: those of [`super::top`], plus
//!
//! | address | access | register |
//! |---|---|---|
//! | `0x17` | read | segments sent (wrapping) |
//! | `0x18` | read | samples dropped for want of room on the link (wrapping) |
//!
//! Timing: a record the front end puts out after the edge of clock `d` reaches the framer in
//! clock `d + 1`; for the ADC sample of clock `n` that completes a decimated sample, channel
//! `c`'s record reaches it in clock `n` + [`RECORD_DELAY`] + (records of lower channels on the
//! same sample). The framer counts the front end's ADC strobes for its timestamps.

use super::burst::BurstOutput;
use super::framer::{Framer, FramerInput};
use super::top::FrontEnd;
use std::collections::VecDeque;

/// Register addresses added by the framer.
pub mod reg {
    /// Segments sent.
    pub const SEGMENTS: u8 = 0x17;
    /// Samples dropped.
    pub const DROPPED: u8 = 0x18;
}

/// Clocks of the front end's output stage (`subgate_gateware::frontend::OUT_DELAY`).
pub const FRONTEND_OUT_DELAY: u64 = 2;
/// Clocks from an ADC sample to its first record at the framer's input.
pub const RECORD_DELAY: u64 = super::channel::LATENCY as u64 + FRONTEND_OUT_DELAY;

/// The front end with its framer (see the module documentation).
#[derive(Debug, Clone)]
pub struct StreamFrontEnd {
    fe: FrontEnd,
    framer: Framer,
    clock: u64,
    pending: VecDeque<(u64, usize, BurstOutput)>,
}

impl StreamFrontEnd {
    /// Channels of STF period `lag` with pre-trigger FIFOs of `pre` samples; registers,
    /// rings and queue at reset.
    pub fn new(lag: usize, pre: usize) -> Self {
        StreamFrontEnd {
            fe: FrontEnd::new(lag, pre),
            framer: Framer::new(),
            clock: 0,
            pending: VecDeque::new(),
        }
    }

    /// A register read at the current clock (before [`Self::step`] runs it).
    pub fn read(&self, addr: u8) -> u32 {
        match addr {
            reg::SEGMENTS => self.framer.stats().segments,
            reg::DROPPED => self.framer.stats().dropped,
            a => self.fe.read(a),
        }
    }

    /// Whether nothing is left in the framer or on its way to it.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.framer.is_idle()
    }

    /// One clock: an ADC sample or not, a register write or not (it applies from the next
    /// ADC sample on), and whether the link takes a byte. Returns the byte it took.
    pub fn step(
        &mut self,
        sample: Option<(i16, i16)>,
        write: Option<(u8, u32)>,
        ready: bool,
    ) -> Option<u8> {
        if let Some(x) = sample {
            let steps = self.fe.step(x);
            let mut rank = 0;
            for (c, step) in steps.iter().enumerate() {
                if let Some(rec) = step.and_then(|s| s.record) {
                    self.pending
                        .push_back((self.clock + RECORD_DELAY + rank, c, rec));
                    rank += 1;
                }
            }
        }
        if let Some((addr, value)) = write {
            self.fe.write(addr, value);
        }
        let record = match self.pending.front() {
            Some(&(due, c, rec)) if due == self.clock => {
                self.pending.pop_front();
                Some((c, rec))
            }
            _ => None,
        };
        let taken = self.framer.step(FramerInput {
            adc: sample.is_some(),
            record,
            ready,
        });
        self.clock += 1;
        taken
    }
}
