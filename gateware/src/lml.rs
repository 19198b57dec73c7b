//! The LMS7002M receive port's word pairing (LimeSDR Mini v2, LML port 2 in SISO DDR;
//! docs/gateware.md): per receive-clock cycle the pins' DDR registers give the falling-edge
//! word and the rising-edge word, each 12 bits with its IQSEL; this block pairs each I word
//! (IQSEL low) with the next Q word (IQSEL high) into a sample left-justified to 16 bits,
//! whichever edge the pairs start on, and counts framing errors. Bit-exact with the model
//! [`subgate_dsp::frontend::lml`], whose module documentation gives the rules.
//!
//! One cycle per clock at most (`in_valid`); a completed sample is in the output registers
//! [`LATENCY`] clock after its cycle. The DDR capture (IDDRX1F), its input delay and the
//! crossing from the receive clock into the fabric clock are the board top level's.

use rust_hdl::prelude::*;

pub use subgate_dsp::frontend::lml::LATENCY;

// `update` spells the widths as literals (hdl_gen copies them verbatim).
const _: () = assert!(LATENCY == 1 && subgate_dsp::frontend::lml::ERRORS_MAX == 0xFFFF);

/// The pairing block.
#[derive(LogicBlock)]
pub struct LmlPair {
    /// The receive-side clock.
    pub clock: Signal<In, Clock>,
    /// A cycle's words are on the inputs.
    pub in_valid: Signal<In, Bit>,
    /// The falling-edge word (the edge before the rising one), 12 bits.
    pub fall: Signal<In, Bits<12>>,
    /// IQSEL with it (high: quadrature).
    pub fall_sel: Signal<In, Bit>,
    /// The rising-edge word, 12 bits.
    pub rise: Signal<In, Bits<12>>,
    /// IQSEL with it.
    pub rise_sel: Signal<In, Bit>,
    /// A sample is on `out_i`, `out_q`.
    pub out_valid: Signal<Out, Bit>,
    /// In-phase, left-justified (× 16).
    pub out_i: Signal<Out, Signed<16>>,
    /// Quadrature, left-justified.
    pub out_q: Signal<Out, Signed<16>>,
    /// Framing errors so far, saturating.
    pub errors: Signal<Out, Bits<16>>,
    pending: DFF<Bit>,
    pending_word: DFF<Bits<12>>,
    o_valid: DFF<Bit>,
    o_i: DFF<Bits<12>>,
    o_q: DFF<Bits<12>>,
    count: DFF<Bits<16>>,
    // After the falling-edge word: something waiting, and what.
    mid: Signal<Local, Bit>,
    mid_word: Signal<Local, Bits<12>>,
    // Errors in this cycle: 0, 1 or 2.
    err_fall: Signal<Local, Bit>,
    err_rise: Signal<Local, Bit>,
    bumped: Signal<Local, Bits<16>>,
    full: Constant<Bits<16>>,
    almost: Constant<Bits<16>>,
}

impl Default for LmlPair {
    fn default() -> Self {
        LmlPair {
            clock: Default::default(),
            in_valid: Default::default(),
            fall: Default::default(),
            fall_sel: Default::default(),
            rise: Default::default(),
            rise_sel: Default::default(),
            out_valid: Default::default(),
            out_i: Default::default(),
            out_q: Default::default(),
            errors: Default::default(),
            pending: Default::default(),
            pending_word: Default::default(),
            o_valid: Default::default(),
            o_i: Default::default(),
            o_q: Default::default(),
            count: Default::default(),
            mid: Default::default(),
            mid_word: Default::default(),
            err_fall: Default::default(),
            err_rise: Default::default(),
            bumped: Default::default(),
            full: Constant::new(Bits::<16>::from(0xFFFFu64)),
            almost: Constant::new(Bits::<16>::from(0xFFFEu64)),
        }
    }
}

impl Logic for LmlPair {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pending, pending_word, o_valid, o_i, o_q, count);
        self.o_valid.d.next = false;
        // the falling-edge word
        self.mid.next = self.pending.q.val();
        self.mid_word.next = self.pending_word.q.val();
        self.err_fall.next = false;
        if self.fall_sel.val() {
            if self.pending.q.val() {
                // I waiting, this Q completes it
                self.o_i.d.next = self.pending_word.q.val();
                self.o_q.d.next = self.fall.val();
                self.mid.next = false;
            } else {
                self.err_fall.next = true;
            }
        } else {
            if self.pending.q.val() {
                self.err_fall.next = true;
            }
            self.mid.next = true;
            self.mid_word.next = self.fall.val();
        }
        // the rising-edge word
        self.err_rise.next = false;
        self.pending.d.next = self.mid.val();
        self.pending_word.d.next = self.mid_word.val();
        if self.rise_sel.val() {
            if self.mid.val() {
                self.o_i.d.next = self.mid_word.val();
                self.o_q.d.next = self.rise.val();
                self.pending.d.next = false;
            } else {
                self.err_rise.next = true;
            }
        } else {
            if self.mid.val() {
                self.err_rise.next = true;
            }
            self.pending.d.next = true;
            self.pending_word.d.next = self.rise.val();
        }
        // saturating error count: +0, +1 or +2
        self.bumped.next = self.count.q.val();
        if self.err_fall.val() & self.err_rise.val() {
            self.bumped.next = self.count.q.val() + 2;
            if self.count.q.val() >= self.almost.val() {
                self.bumped.next = self.full.val();
            }
        } else if self.err_fall.val() | self.err_rise.val() {
            self.bumped.next = self.count.q.val() + 1;
            if self.count.q.val() == self.full.val() {
                self.bumped.next = self.full.val();
            }
        }
        if self.in_valid.val() {
            self.count.d.next = self.bumped.val();
            // a sample completed by either word (at most one per cycle)
            self.o_valid.d.next = (self.fall_sel.val() & self.pending.q.val())
                | (self.rise_sel.val() & self.mid.val());
        } else {
            self.pending.d.next = self.pending.q.val();
            self.pending_word.d.next = self.pending_word.q.val();
            self.o_i.d.next = self.o_i.q.val();
            self.o_q.d.next = self.o_q.q.val();
        }
        self.out_valid.next = self.o_valid.q.val();
        self.out_i.next = signed_cast(bit_cast::<16, 12>(self.o_i.q.val()) << 4);
        self.out_q.next = signed_cast(bit_cast::<16, 12>(self.o_q.q.val()) << 4);
        self.errors.next = self.count.q.val();
    }
}
