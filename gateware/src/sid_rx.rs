//! The SID filter with its synchronisation in front: a channel's samples and its STF
//! detector's evaluations in, one decision per frame out. The rules (which detections are
//! taken, the derotation, the delay line, when the filter is free again) are
//! [`subgate_dsp::frontend::sid_rx`]'s, whose `run` gives the same searches and decisions.
//!
//! The parts, each exact with its own model:
//! - [`CfoWord`]: a taken detection's correlation → the derotating word (37 clocks, before
//!   the next sample);
//! - [`Ddc`]: the channel's samples mixed with the word (4 clocks);
//! - [`LtfMatch`]: armed with the detection's derotated sample, the frame's start;
//! - a delay line of 512 samples (one block RAM: a sample's slot is read before it is
//!   written again) into the [`SidFilter`], which gets the start with its sample.
//!
//! Where it needs care: samples at least 42 clocks apart (the matched filter's schedule);
//! the SIG of a frame the filter does not decode must be read within `SIG_LAG` samples of
//! its end, and the filter must be free at every start — either missed is an overrun (the
//! model's hold-off is built to make both impossible; the tests assert no overrun).

use rust_hdl::prelude::*;
use subgate_dsp::frontend::ltf_match::START_BACK;
use subgate_dsp::frontend::sid_rx::{DELAY, HOLDOFF, RELEASE};

use crate::cfo::CfoWord;
use crate::ddc::Ddc;
use crate::ltf_match::LtfMatch;
use crate::sid_filter::SidFilter;

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () = assert!(DELAY == 512 && HOLDOFF == 4280 && RELEASE == 1200 && START_BACK == 178);

/// The SID filter with its synchronisation.
#[derive(LogicBlock, Default)]
pub struct SidRx {
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
    /// A search is over (one clock); its start, candidate and word (the last two on
    /// `status`) hold until the next.
    pub found: Signal<Out, Bit>,
    /// The frame's first sample (samples counted from 0 after configuration, wrapping).
    pub found_start: Signal<Out, Bits<32>>,
    /// A decision is on `out_decision` (one clock per frame).
    pub out_valid: Signal<Out, Bit>,
    /// 0 pass, 1 forward, 2 drop.
    pub out_decision: Signal<Out, Bits<2>>,
    /// The filter read a SIG (one clock; the fields below hold until the next).
    pub sig_valid: Signal<Out, Bit>,
    /// Its CRC matched.
    pub sig_crc_ok: Signal<Out, Bit>,
    /// The frame is one the filter decodes.
    pub sig_candidate: Signal<Out, Bit>,
    /// Its MCS.
    pub sig_mcs: Signal<Out, Bits<4>>,
    /// Its LENGTH.
    pub sig_length: Signal<Out, Bits<9>>,
    /// What `status` shows (one port for the register map, and few enough pins to place
    /// the block alone): 0 detections seen, 1 detections ignored (the filter not free),
    /// 2 frames forwarded, 3 dropped, 4 passed by the matcher, 5 passed without reading
    /// their data (16-bit counters, wrapping); 6 the last search's winning candidate (the
    /// first LTF copy, samples after the detection), 7 its derotating word.
    pub status_sel: Signal<In, Bits<3>>,
    /// The value `status_sel` picks.
    pub status: Signal<Out, Bits<32>>,
    /// Something was lost or late (sticky): a part's overrun, a start the filter was not
    /// free for, a SIG read after its time.
    pub overrun: Signal<Out, Bit>,
    cfo: CfoWord,
    ddc: Ddc,
    mat: LtfMatch,
    filt: SidFilter,
    line: RAM<Bits<32>, 9>,
    n: DFF<Bits<32>>,
    yn: DFF<Bits<32>>,
    filled: DFF<Bit>,
    hold: DFF<Bits<13>>,
    word: DFF<Bits<32>>,
    arm_n: DFF<Bits<32>>,
    apend: DFF<Bit>,
    pending: DFF<Bit>,
    at: DFF<Bits<32>>,
    rel: DFF<Bits<32>>,
    sig_wait: DFF<Bit>,
    early: DFF<Bit>,
    o_found: DFF<Bit>,
    o_start: DFF<Bits<32>>,
    o_u: DFF<Bits<8>>,
    dets: DFF<Bits<16>>,
    igns: DFF<Bits<16>>,
    late: DFF<Bit>,
    // combinational
    take: Signal<Local, Bit>,
    released: Signal<Local, Bit>,
    base: Signal<Local, Bits<32>>,
    start_now: Signal<Local, Bit>,
}

impl Logic for SidRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, n, yn, filled, hold, word, arm_n, apend, pending, at, rel, sig_wait,
            early, o_found, o_start, o_u, dets, igns, late
        );
        self.cfo.clock.next = self.clock.val();
        self.ddc.clock.next = self.clock.val();
        self.mat.clock.next = self.clock.val();
        self.filt.clock.next = self.clock.val();
        self.line.read_clock.next = self.clock.val();
        self.line.write_clock.next = self.clock.val();

        // ---- a live sample: counted; a detection taken when the filter is free
        self.released.next = self.early.q.val() & (self.n.q.val() == self.rel.q.val());
        self.take.next = self.in_valid.val()
            & self.in_det.val()
            & self.filled.q.val()
            & ((self.hold.q.val() == 0) | self.released.val());
        if self.in_valid.val() {
            self.n.d.next = self.n.q.val() + 1;
            if self.n.q.val() == 511 {
                self.filled.d.next = true;
            }
            if self.hold.q.val() != 0 {
                self.hold.d.next = self.hold.q.val() - 1;
            }
            if self.released.val() {
                self.hold.d.next = 0.into();
                self.early.d.next = false;
            }
            if self.sig_wait.q.val() & (self.n.q.val() == self.rel.q.val()) {
                // the SIG was not read in time
                self.late.d.next = true;
                self.sig_wait.d.next = false;
            }
            if self.in_det.val() {
                self.dets.d.next = self.dets.q.val() + 1;
                if !self.take.val() {
                    self.igns.d.next = self.igns.q.val() + 1;
                }
            }
        }
        self.cfo.start.next = self.take.val();
        self.cfo.in_re.next = self.in_corr_re.val();
        self.cfo.in_im.next = self.in_corr_im.val();
        if self.take.val() {
            self.hold.d.next = 4279.into();
            self.arm_n.d.next = self.n.q.val();
            self.apend.d.next = true;
        }
        if self.cfo.done.val() {
            self.word.d.next = self.cfo.word.val();
        }

        // ---- the mixer, from the sample after the detection at the new word
        self.ddc.in_valid.next = self.in_valid.val();
        self.ddc.in_i.next = self.in_i.val();
        self.ddc.in_q.next = self.in_q.val();
        self.ddc.freq_word.next = self.word.q.val();

        // ---- derotated samples: the matched filter, and the delay line into the filter
        self.mat.in_valid.next = self.ddc.out_valid.val();
        self.mat.in_i.next = self.ddc.out_i.val();
        self.mat.in_q.next = self.ddc.out_q.val();
        self.mat.in_arm.next = self.apend.q.val();
        self.line.read_address.next = self.yn.q.val().get_bits::<9>(0);
        self.line.write_address.next = self.yn.q.val().get_bits::<9>(0);
        self.line.write_data.next = (bit_cast::<32, 16>(unsigned_cast(self.ddc.out_i.val())) << 16)
            | bit_cast::<32, 16>(unsigned_cast(self.ddc.out_q.val()));
        self.line.write_enable.next = self.ddc.out_valid.val();
        self.start_now.next =
            self.ddc.out_valid.val() & self.pending.q.val() & (self.yn.q.val() == self.at.q.val());
        self.filt.in_valid.next = self.ddc.out_valid.val();
        self.filt.in_i.next = signed_cast(self.line.read_data.val().get_bits::<16>(16));
        self.filt.in_q.next = signed_cast(self.line.read_data.val().get_bits::<16>(0));
        self.filt.in_start.next = self.start_now.val();
        if self.ddc.out_valid.val() {
            self.yn.d.next = self.yn.q.val() + 1;
            self.apend.d.next = false;
        }
        if self.start_now.val() {
            self.pending.d.next = false;
            // (`free` is a clock old: a start in the very clock the filter frees counts late)
            if !self.filt.free.val() {
                self.late.d.next = true;
            }
        }

        // ---- a search over: the start, when it leaves the line, when the SIG frees
        self.base.next = self.arm_n.q.val() + bit_cast::<32, 8>(self.mat.out_u.val());
        self.o_found.d.next = false;
        if self.mat.done.val() {
            self.o_found.d.next = true;
            self.o_start.d.next = self.base.val() - 178;
            self.o_u.d.next = self.mat.out_u.val();
            self.at.d.next = self.base.val() + 334;
            self.rel.d.next = self.base.val() + 1022;
            self.pending.d.next = true;
            self.sig_wait.d.next = true;
            self.early.d.next = false;
        }
        if self.filt.sig_valid.val() {
            if self.sig_wait.q.val() {
                self.early.d.next = !self.filt.sig_candidate.val();
                self.sig_wait.d.next = false;
            } else {
                self.late.d.next = true;
            }
        }

        // ---- the table, the filter's results, counters
        self.filt.tbl_write.next = self.tbl_write.val();
        self.filt.tbl_addr.next = self.tbl_addr.val();
        self.filt.tbl_data.next = self.tbl_data.val();
        self.filt.tbl_valid.next = self.tbl_valid.val();
        self.found.next = self.o_found.q.val();
        self.found_start.next = self.o_start.q.val();
        self.out_valid.next = self.filt.out_valid.val();
        self.out_decision.next = self.filt.out_decision.val();
        self.sig_valid.next = self.filt.sig_valid.val();
        self.sig_crc_ok.next = self.filt.sig_crc_ok.val();
        self.sig_candidate.next = self.filt.sig_candidate.val();
        self.sig_mcs.next = self.filt.sig_mcs.val();
        self.sig_length.next = self.filt.sig_length.val();
        self.status.next = bit_cast::<32, 16>(self.dets.q.val());
        if self.status_sel.val() == 1 {
            self.status.next = bit_cast::<32, 16>(self.igns.q.val());
        }
        if self.status_sel.val() == 2 {
            self.status.next = bit_cast::<32, 16>(self.filt.forwarded.val());
        }
        if self.status_sel.val() == 3 {
            self.status.next = bit_cast::<32, 16>(self.filt.dropped.val());
        }
        if self.status_sel.val() == 4 {
            self.status.next = bit_cast::<32, 16>(self.filt.passed.val());
        }
        if self.status_sel.val() == 5 {
            self.status.next = bit_cast::<32, 16>(self.filt.skipped.val());
        }
        if self.status_sel.val() == 6 {
            self.status.next = bit_cast::<32, 8>(self.o_u.q.val());
        }
        if self.status_sel.val() == 7 {
            self.status.next = self.word.q.val();
        }
        self.overrun.next = self.late.q.val() | self.mat.overrun.val() | self.filt.overrun.val();
    }
}
