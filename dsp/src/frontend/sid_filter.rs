//! The SID filter as one block, from a frame's start (the first STF sample, given; the LTF
//! timing that will find it is not built yet): what the rust-hdl block
//! `subgate_gateware::sid_filter::SidFilter` decides for a frame — the front's and the back
//! half's models in a row ([`super::demap::chain::read_frame`], then
//! [`super::sid_match::classify`] on the PSDU head). The block is its parts wired by a
//! sequencer; each part is clock-exact with its own model, so the block's check is its
//! decisions and the SIG it read, frame by frame, not their clocks.
//!
//! The sequencer, sample by sample from the start (index 0):
//! - the four LTF symbols' windows ([`LTF_AT`], 32 samples each) and, from [`FIELD_AT`],
//!   every 40-sample symbol's last 32 (after its 8-sample guard interval) go to the FFT
//!   through a four-sample queue (the FFT is busy for 138 clocks after a symbol);
//! - the FFT's transforms in order: the first four to the channel estimator (then its
//!   `start`), the rest to the soft-value block — SIG symbols 0..5 with repetition, then the
//!   data symbols once the SIG is read, with repetition for MCS 10; pilot signs of field
//!   symbol `i` (SIG 0..5, data from 6) from [`pilot_neg`];
//! - the soft pairs to the decoder: the SIG's 36 (traced back from state 0) for the SIG
//!   reader; for a candidate, the data field's `steps` for the PSDU head and the matcher;
//!   the rest of a symbol's pairs are drained;
//! - a decision per frame: the matcher's, or pass (to software) when the SIG is no candidate
//!   (bad CRC, another MCS, aggregation) or the frame runs past [`MAX_SAMPLES`].

use super::demap::chain::read_frame;
use super::sid_match::{classify, Decision, SidTable};
use super::sig_parse::SigInfo;
use crate::scrambler::POLARITY;

/// Where the four LTF symbols' FFT windows start, in samples from the frame's start.
pub const LTF_AT: [usize; 4] = [176, 208, 248, 288];
/// Where the SIG field starts.
pub const FIELD_AT: usize = super::demap::chain::SIG_START;
/// A symbol with its guard interval.
pub const SYMBOL: usize = super::demap::chain::SYMBOL;
/// The guard interval skipped before each window.
pub const GUARD: usize = SYMBOL - super::fft32::N;
/// A frame longer than this (from its start) is given up: pass. The longest the filter
/// decodes (512 steps of MCS 10, 86 data symbols) ends by sample 4000.
pub const MAX_SAMPLES: usize = 4095;

/// The soft-value block's pilot signs for field symbol `i` (SIG 0..5, data `i − 6`): bit 0
/// set when the pilot at −7 is −1, bit 1 for +7. Both fields use polarity `p_i` and the
/// pattern `(1, −1)` on even symbols, `(−1, 1)` on odd ones ([`crate::pilots`]).
pub fn pilot_neg(i: usize) -> u8 {
    let neg = u8::from(POLARITY[i % 127] < 0) ^ (i as u8 & 1);
    neg | (neg ^ 1) << 1
}

/// What the filter read of a frame and decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameResult {
    /// The SIG as the reader read it.
    pub sig: SigInfo,
    /// The decision.
    pub decision: Decision,
}

/// The filter's result for the frame starting at `x[start]`; `None` when the samples end
/// before the symbols it needs.
pub fn decide(x: &[(i16, i16)], start: usize, table: &SidTable) -> Option<FrameResult> {
    let r = read_frame(x, start)?;
    let decision = if r.sig.candidate {
        classify(&r.head, table)
    } else {
        Decision::Pass
    };
    Some(FrameResult {
        sig: r.sig,
        decision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::demap::chain::{pilots, SIG_SYMBOLS};
    use crate::params::Format;
    use crate::pilots::Field;
    use crate::preamble::{ltf1_symbol_offsets, STF_LEN};

    /// The sequencer's constants are the preamble's and the pilots' own.
    #[test]
    fn windows_and_pilots_match_the_phy() {
        let ltf: Vec<usize> = ltf1_symbol_offsets(Format::S1g1M)
            .iter()
            .map(|o| STF_LEN + o)
            .collect();
        assert_eq!(ltf, LTF_AT);
        assert_eq!(GUARD, 8);
        for i in 0..100 {
            let p = if i < SIG_SYMBOLS {
                pilots(Field::Sig, i)
            } else {
                pilots(Field::Data, i - SIG_SYMBOLS)
            };
            let want = u8::from(p[0] < 0) | u8::from(p[1] < 0) << 1;
            assert_eq!(pilot_neg(i), want, "symbol {i}");
        }
    }
}
