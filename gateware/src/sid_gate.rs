//! The SID-filtered channel's burst gate: the SID filter with its synchronisation
//! ([`SidRx`]) beside a delay line of 8192 samples (with their detection bits) in front of
//! the ordinary burst gate ([`BurstGate`]); a frame the filter drops becomes a veto over its
//! samples, and the detections inside a veto never reach the gate, so the dropped frame's
//! burst is not opened. The rules are [`subgate_dsp::frontend::sid_gate`]'s, whose `run`
//! gives the same records.
//!
//! - The line: one 8192 × 33 memory; a sample's slot is read (the sample 8192 before) and
//!   written in its `in_valid` clock; the gate takes the read sample from the 8192nd on.
//! - A veto's last sample: at the SIG of a frame the filter decodes, `start + 559` plus 40
//!   for every data symbol — `8 · LENGTH + 14` bits counted down by 12 (MCS 0) or 6 (MCS 10)
//!   a clock at a time (at most 685 clocks; the decision comes long after).
//! - Vetoes wait in a queue of four (start, last) in small memories until the delayed
//!   stream has passed them; a veto is known before its frame leaves the line (the model's
//!   bound), and a fifth waiting, or a drop decided before the countdown of its frame's end
//!   is done, is an overrun.

use rust_hdl::prelude::*;
use subgate_dsp::frontend::sid_gate::{LINE, VETOES};

use crate::burst::BurstGate;
use crate::sid_rx::SidRx;

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () = assert!(LINE == 8192 && VETOES == 4);

/// The SID-filtered channel's burst gate.
#[derive(LogicBlock)]
pub struct SidGate {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A channel sample is on the inputs.
    pub in_valid: Signal<In, Bit>,
    /// In-phase, signed 16-bit (the decimated channel's).
    pub in_i: Signal<In, Signed<16>>,
    /// Quadrature.
    pub in_q: Signal<In, Signed<16>>,
    /// With a sample: the detector's detection for the window ending at it.
    pub in_det: Signal<In, Bit>,
    /// With a detection: the detector's normalised correlation, real part.
    pub in_corr_re: Signal<In, Signed<16>>,
    /// Imaginary part.
    pub in_corr_im: Signal<In, Signed<16>>,
    /// Write `tbl_data` to the SID table at `tbl_addr`.
    pub tbl_write: Signal<In, Bit>,
    /// Table address (entry × 128 + byte).
    pub tbl_addr: Signal<In, Bits<10>>,
    /// Table byte.
    pub tbl_data: Signal<In, Bits<8>>,
    /// Entries in use.
    pub tbl_valid: Signal<In, Bits<8>>,
    /// The gate's samples after the last detection (read with every sample).
    pub hold: Signal<In, Bits<16>>,
    /// What `status` shows: 0..=7 the SID filter's ([`SidRx::status_sel`]), 8 detections
    /// vetoed, 9 vetoes made (16-bit counters, wrapping); others read 0.
    pub status_sel: Signal<In, Bits<4>>,
    /// The value `status_sel` picks.
    pub status: Signal<Out, Bits<32>>,
    /// A forwarded sample (the gate's record).
    pub out_valid: Signal<Out, Bit>,
    /// The forwarded sample, in-phase.
    pub out_i: Signal<Out, Signed<16>>,
    /// Quadrature.
    pub out_q: Signal<Out, Signed<16>>,
    /// The sample starts a burst.
    pub out_start: Signal<Out, Bit>,
    /// A burst ended (no sample; `out_index` one past its last sample).
    pub out_end: Signal<Out, Bit>,
    /// The sample's index in the channel's stream (wrapping).
    pub out_index: Signal<Out, Bits<32>>,
    /// Something was lost or late (sticky): the SID filter's, a fifth veto waiting, a drop
    /// decided before the countdown of its frame's end was done.
    pub overrun: Signal<Out, Bit>,
    rx: SidRx,
    gate: BurstGate,
    line: RAM<Bits<33>, 13>,
    v_first: RAM<Bits<32>, 2>,
    v_last: RAM<Bits<32>, 2>,
    n: DFF<Bits<13>>,
    filled: DFF<Bit>,
    t: DFF<Bits<32>>,
    wp: DFF<Bits<3>>,
    rp: DFF<Bits<3>>,
    start: DFF<Bits<32>>,
    last: DFF<Bits<32>>,
    bits: DFF<Bits<13>>,
    mcs10: DFF<Bit>,
    counting: DFF<Bit>,
    counted: DFF<Bit>,
    n_vetoed: DFF<Bits<16>>,
    n_vetoes: DFF<Bits<16>>,
    ovr: DFF<Bit>,
    // combinational
    feed: Signal<Local, Bit>,
    waiting: Signal<Local, Bit>,
    covered: Signal<Local, Bit>,
    rel_t: Signal<Local, Bits<32>>,
    span: Signal<Local, Bits<32>>,
    push: Signal<Local, Bit>,
    step: Signal<Local, Bits<13>>,
    queued: Signal<Local, Bits<3>>,
    sample: Signal<Local, Bits<33>>,
    det_bit: Constant<Bits<33>>,
}

impl SidGate {
    /// The block with a gate of `pre` samples before a detection (as [`BurstGate::new`]).
    ///
    /// # Panics
    /// If `pre` is out of the gate's range.
    pub fn new(pre: usize) -> Self {
        SidGate {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            in_det: Default::default(),
            in_corr_re: Default::default(),
            in_corr_im: Default::default(),
            tbl_write: Default::default(),
            tbl_addr: Default::default(),
            tbl_data: Default::default(),
            tbl_valid: Default::default(),
            hold: Default::default(),
            status_sel: Default::default(),
            status: Default::default(),
            out_valid: Default::default(),
            out_i: Default::default(),
            out_q: Default::default(),
            out_start: Default::default(),
            out_end: Default::default(),
            out_index: Default::default(),
            overrun: Default::default(),
            rx: Default::default(),
            gate: BurstGate::new(pre),
            line: Default::default(),
            v_first: Default::default(),
            v_last: Default::default(),
            n: Default::default(),
            filled: Default::default(),
            t: Default::default(),
            wp: Default::default(),
            rp: Default::default(),
            start: Default::default(),
            last: Default::default(),
            bits: Default::default(),
            mcs10: Default::default(),
            counting: Default::default(),
            counted: Default::default(),
            n_vetoed: Default::default(),
            n_vetoes: Default::default(),
            ovr: Default::default(),
            feed: Default::default(),
            waiting: Default::default(),
            covered: Default::default(),
            rel_t: Default::default(),
            span: Default::default(),
            push: Default::default(),
            step: Default::default(),
            queued: Default::default(),
            sample: Default::default(),
            det_bit: Constant::new(Bits::<33>::from(1u64 << 32)),
        }
    }
}

impl Default for SidGate {
    /// The gate with the front end's default pre-trigger length.
    fn default() -> Self {
        Self::new(subgate_dsp::frontend::burst::DEFAULT_PRE)
    }
}

impl Logic for SidGate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, n, filled, t, wp, rp, start, last, bits, mcs10, counting, counted,
            n_vetoed, n_vetoes, ovr
        );
        self.rx.clock.next = self.clock.val();
        self.gate.clock.next = self.clock.val();
        self.line.read_clock.next = self.clock.val();
        self.line.write_clock.next = self.clock.val();
        self.v_first.read_clock.next = self.clock.val();
        self.v_first.write_clock.next = self.clock.val();
        self.v_last.read_clock.next = self.clock.val();
        self.v_last.write_clock.next = self.clock.val();

        // ---- the SID filter sees the live samples
        self.rx.in_valid.next = self.in_valid.val();
        self.rx.in_i.next = self.in_i.val();
        self.rx.in_q.next = self.in_q.val();
        self.rx.in_det.next = self.in_det.val();
        self.rx.in_corr_re.next = self.in_corr_re.val();
        self.rx.in_corr_im.next = self.in_corr_im.val();
        self.rx.tbl_write.next = self.tbl_write.val();
        self.rx.tbl_addr.next = self.tbl_addr.val();
        self.rx.tbl_data.next = self.tbl_data.val();
        self.rx.tbl_valid.next = self.tbl_valid.val();
        self.rx.status_sel.next = self.status_sel.val().get_bits::<3>(0);

        // ---- the line: the sample 8192 before comes out as this one goes in
        self.line.read_address.next = self.n.q.val();
        self.line.write_address.next = self.n.q.val();
        self.line.write_enable.next = self.in_valid.val();
        self.sample.next = (bit_cast::<33, 16>(unsigned_cast(self.in_i.val())) << 16)
            | bit_cast::<33, 16>(unsigned_cast(self.in_q.val()));
        self.line.write_data.next = self.sample.val();
        if self.in_det.val() {
            self.line.write_data.next = self.sample.val() | self.det_bit.val();
        }
        if self.in_valid.val() {
            self.n.d.next = self.n.q.val() + 1;
            if self.n.q.val() == 8191 {
                self.filled.d.next = true;
            }
        }

        // ---- the delayed sample into the gate, its detection kept out inside a veto
        self.feed.next = self.in_valid.val() & self.filled.q.val();
        self.v_first.read_address.next = self.rp.q.val().get_bits::<2>(0);
        self.v_last.read_address.next = self.rp.q.val().get_bits::<2>(0);
        self.waiting.next = self.wp.q.val() != self.rp.q.val();
        self.rel_t.next = self.t.q.val() - self.v_first.read_data.val();
        self.span.next = self.v_last.read_data.val() - self.v_first.read_data.val();
        self.covered.next = self.waiting.val() & (self.rel_t.val() <= self.span.val());
        self.gate.in_valid.next = self.feed.val();
        self.gate.in_i.next = signed_cast(self.line.read_data.val().get_bits::<16>(16));
        self.gate.in_q.next = signed_cast(self.line.read_data.val().get_bits::<16>(0));
        self.gate.in_trigger.next = self.line.read_data.val().get_bit(32) & !self.covered.val();
        self.gate.hold.next = self.hold.val();
        if self.feed.val() {
            self.t.d.next = self.t.q.val() + 1;
            if self.line.read_data.val().get_bit(32) & self.covered.val() {
                self.n_vetoed.d.next = self.n_vetoed.q.val() + 1;
            }
            if self.waiting.val() & (self.t.q.val() == self.v_last.read_data.val()) {
                self.rp.d.next = self.rp.q.val() + 1;
            }
        }

        // ---- a frame's last sample, counted from its SIG
        if self.rx.found.val() {
            self.start.d.next = self.rx.found_start.val();
        }
        if self.rx.sig_valid.val() & self.rx.sig_candidate.val() {
            self.last.d.next = self.start.q.val() + 559;
            self.bits.d.next = (bit_cast::<13, 9>(self.rx.sig_length.val()) << 3) + 14;
            self.mcs10.d.next = self.rx.sig_mcs.val() == 10;
            self.counting.d.next = true;
            self.counted.d.next = false;
        }
        self.step.next = 12.into();
        if self.mcs10.q.val() {
            self.step.next = 6.into();
        }
        if self.counting.q.val() {
            if self.bits.q.val() == 0 {
                self.counting.d.next = false;
                self.counted.d.next = true;
            } else {
                self.last.d.next = self.last.q.val() + 40;
                self.bits.d.next = 0.into();
                if self.bits.q.val() > self.step.val() {
                    self.bits.d.next = self.bits.q.val() - self.step.val();
                }
            }
        }

        // ---- a drop: its veto queued
        self.push.next = self.rx.out_valid.val() & (self.rx.out_decision.val() == 2);
        self.v_first.write_address.next = self.wp.q.val().get_bits::<2>(0);
        self.v_last.write_address.next = self.wp.q.val().get_bits::<2>(0);
        self.v_first.write_data.next = self.start.q.val();
        self.v_last.write_data.next = self.last.q.val();
        self.v_first.write_enable.next = self.push.val();
        self.v_last.write_enable.next = self.push.val();
        self.queued.next = self.wp.q.val() - self.rp.q.val();
        if self.push.val() {
            self.wp.d.next = self.wp.q.val() + 1;
            self.n_vetoes.d.next = self.n_vetoes.q.val() + 1;
            if !self.counted.q.val() | (self.queued.val() == 4) {
                self.ovr.d.next = true;
            }
        }

        // ---- outputs
        self.out_valid.next = self.gate.out_valid.val();
        self.out_i.next = self.gate.out_i.val();
        self.out_q.next = self.gate.out_q.val();
        self.out_start.next = self.gate.out_start.val();
        self.out_end.next = self.gate.out_end.val();
        self.out_index.next = self.gate.out_index.val();
        self.status.next = self.rx.status.val();
        if self.status_sel.val() == 8 {
            self.status.next = bit_cast::<32, 16>(self.n_vetoed.q.val());
        }
        if self.status_sel.val() == 9 {
            self.status.next = bit_cast::<32, 16>(self.n_vetoes.q.val());
        }
        if self.status_sel.val() >= 10 {
            self.status.next = 0.into();
        }
        self.overrun.next = self.ovr.q.val() | self.rx.overrun.val();
    }
}
