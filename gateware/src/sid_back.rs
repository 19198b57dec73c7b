//! The SID filter's back half as the board will wire it: soft pairs of a data field into the
//! Viterbi decoder ([`crate::viterbi`]), its bits into the PSDU head ([`crate::psdu_head`]),
//! the head's bytes into the matcher ([`crate::sid_match`]): one decision per data field.
//! Combinational wiring only; the timing is the three models' in a row
//! (`subgate_dsp::frontend::{viterbi, psdu_head, sid_match}`).

use crate::psdu_head::PsduHead;
use crate::sid_match::SidMatch;
use crate::viterbi::ViterbiDecoder;
use rust_hdl::prelude::*;

/// Decoder → PSDU head → matcher.
#[derive(LogicBlock, Default)]
pub struct SidBack {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A pair of soft values (the decoder's `in_valid`).
    pub in_valid: Signal<In, Bit>,
    /// First soft value, 4-bit two's complement.
    pub in_a: Signal<In, Bits<4>>,
    /// Second soft value.
    pub in_b: Signal<In, Bits<4>>,
    /// The data field's last pair (or the last one decoded).
    pub in_last: Signal<In, Bit>,
    /// With `in_last`: the field ends with its tail bits.
    pub in_zero: Signal<In, Bit>,
    /// The decoder takes a pair on this clock.
    pub ready: Signal<Out, Bit>,
    /// Write `tbl_data` to the SID table at `tbl_addr`.
    pub tbl_write: Signal<In, Bit>,
    /// Table address (entry × 128 + byte).
    pub tbl_addr: Signal<In, Bits<10>>,
    /// Table byte.
    pub tbl_data: Signal<In, Bits<8>>,
    /// Entries in use.
    pub tbl_valid: Signal<In, Bits<8>>,
    /// A decision is on `out_decision`.
    pub out_valid: Signal<Out, Bit>,
    /// 0 pass, 1 forward, 2 drop.
    pub out_decision: Signal<Out, Bits<2>>,
    /// Frames forwarded.
    pub forwarded: Signal<Out, Bits<16>>,
    /// Frames dropped.
    pub dropped: Signal<Out, Bits<16>>,
    /// Frames passed to software.
    pub passed: Signal<Out, Bits<16>>,
    /// The decoder dropped a pair (sticky).
    pub decoder_overrun: Signal<Out, Bit>,
    /// The head dropped bits (sticky).
    pub head_overrun: Signal<Out, Bit>,
    decoder: ViterbiDecoder,
    head: PsduHead,
    matcher: SidMatch,
}

impl Logic for SidBack {
    #[hdl_gen]
    fn update(&mut self) {
        self.decoder.clock.next = self.clock.val();
        self.head.clock.next = self.clock.val();
        self.matcher.clock.next = self.clock.val();
        self.decoder.in_valid.next = self.in_valid.val();
        self.decoder.in_a.next = self.in_a.val();
        self.decoder.in_b.next = self.in_b.val();
        self.decoder.in_last.next = self.in_last.val();
        self.decoder.in_zero.next = self.in_zero.val();
        self.ready.next = self.decoder.ready.val();
        self.head.in_valid.next = self.decoder.out_valid.val();
        self.head.in_bit.next = self.decoder.out_bit.val();
        self.head.in_index.next = self.decoder.out_index.val();
        self.matcher.in_valid.next = self.head.out_valid.val();
        self.matcher.in_byte.next = self.head.out_byte.val();
        self.matcher.in_index.next = self.head.out_index.val();
        self.matcher.in_done.next = self.head.out_done.val();
        self.matcher.tbl_write.next = self.tbl_write.val();
        self.matcher.tbl_addr.next = self.tbl_addr.val();
        self.matcher.tbl_data.next = self.tbl_data.val();
        self.matcher.tbl_valid.next = self.tbl_valid.val();
        self.out_valid.next = self.matcher.out_valid.val();
        self.out_decision.next = self.matcher.out_decision.val();
        self.forwarded.next = self.matcher.forwarded.val();
        self.dropped.next = self.matcher.dropped.val();
        self.passed.next = self.matcher.passed.val();
        self.decoder_overrun.next = self.decoder.overrun.val();
        self.head_overrun.next = self.head.overrun.val();
    }
}
