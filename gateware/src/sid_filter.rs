//! The line-rate SID filter as one block: a channel's samples, from a frame's start, through
//! the 32-point FFT, the LTF channel estimator, the soft-value block, the Viterbi decoder,
//! the SIG reader, the PSDU head and the matcher, wired by a sequencer — one decision per
//! frame (pass, forward, drop). The sequencer's rules are in
//! [`subgate_dsp::frontend::sid_filter`], whose `decide` gives the same decisions and SIGs.
//!
//! Where it needs care:
//! - the FFT is busy for 138 clocks after a symbol's 32nd sample and two LTF windows are
//!   back to back, so window samples wait in a four-entry queue (overflow is an overrun);
//! - a new frame is taken only when the queue is empty, no window is half written, the FFT
//!   is idle and the decoder is ready, so a frame's transforms and pairs never mix with the
//!   next one's; after its decision a frame still completes the window it is writing;
//! - the data symbols' soft values wait for the SIG (their repetition is MCS 10's): a
//!   symbol's bins wait in the soft-value block's buffer, and bins arriving for a buffer
//!   not yet started, or while it is busy, are an overrun;
//! - a frame given up (past `MAX_SAMPLES`) with a decoder block open closes it with one
//!   last pair, whose bits go nowhere.

use rust_hdl::prelude::*;
use subgate_dsp::frontend::sid_filter::{FIELD_AT, GUARD, LTF_AT, MAX_SAMPLES, SYMBOL};

use crate::fft32::Fft32;
use crate::ltf_est::LtfEst;
use crate::psdu_head::PsduHead;
use crate::sid_match::SidMatch;
use crate::sig_parse::SigParse;
use crate::soft::SoftDemap;
use crate::viterbi::ViterbiDecoder;

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () = assert!(
    LTF_AT[0] == 176
        && LTF_AT[1] == 208
        && LTF_AT[2] == 248
        && LTF_AT[3] == 288
        && FIELD_AT == 320
        && SYMBOL == 40
        && GUARD == 8
        && MAX_SAMPLES == 4095
);

/// The SID filter.
#[derive(LogicBlock)]
pub struct SidFilter {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A channel sample is on the inputs.
    pub in_valid: Signal<In, Bit>,
    /// In-phase, signed 16-bit (the decimated channel's).
    pub in_i: Signal<In, Signed<16>>,
    /// Quadrature.
    pub in_q: Signal<In, Signed<16>>,
    /// With a sample: it is a frame's first STF sample (taken when the filter is free).
    pub in_start: Signal<In, Bit>,
    /// Write `tbl_data` to the SID table at `tbl_addr`.
    pub tbl_write: Signal<In, Bit>,
    /// Table address (entry × 128 + byte).
    pub tbl_addr: Signal<In, Bits<10>>,
    /// Table byte.
    pub tbl_data: Signal<In, Bits<8>>,
    /// Entries in use.
    pub tbl_valid: Signal<In, Bits<8>>,
    /// A decision is on `out_decision` (one clock per frame).
    pub out_valid: Signal<Out, Bit>,
    /// 0 pass, 1 forward, 2 drop.
    pub out_decision: Signal<Out, Bits<2>>,
    /// The SIG is read (one clock; the fields below hold until the next).
    pub sig_valid: Signal<Out, Bit>,
    /// Its CRC matched.
    pub sig_crc_ok: Signal<Out, Bit>,
    /// The frame is one the filter decodes (MCS 0 or 10, no aggregation).
    pub sig_candidate: Signal<Out, Bit>,
    /// Its MCS.
    pub sig_mcs: Signal<Out, Bits<4>>,
    /// Its LENGTH.
    pub sig_length: Signal<Out, Bits<9>>,
    /// Frames forwarded (the matcher's count).
    pub forwarded: Signal<Out, Bits<16>>,
    /// Frames dropped.
    pub dropped: Signal<Out, Bits<16>>,
    /// Frames the matcher passed to software.
    pub passed: Signal<Out, Bits<16>>,
    /// Frames passed without reading their data (no candidate, or given up).
    pub skipped: Signal<Out, Bits<16>>,
    /// Something was lost: the queue overflowed, bins or pairs dropped (sticky).
    pub overrun: Signal<Out, Bit>,
    /// A frame is being read.
    pub busy: Signal<Out, Bit>,
    /// A start on the inputs would have been taken in the last clock (registered: a
    /// parent that drives `in_start` may read it without a combinational loop).
    pub free: Signal<Out, Bit>,
    fft: Fft32,
    est: LtfEst,
    demap: SoftDemap,
    vit: ViterbiDecoder,
    sig: SigParse,
    head: PsduHead,
    mat: SidMatch,
    act: DFF<Bit>,
    ending: DFF<Bit>,
    n: DFF<Bits<12>>,
    off: DFF<Bits<6>>,
    wfed: DFF<Bits<5>>,
    q0: DFF<Bits<32>>,
    q1: DFF<Bits<32>>,
    q2: DFF<Bits<32>>,
    q3: DFF<Bits<32>>,
    wp: DFF<Bits<3>>,
    rp: DFF<Bits<3>>,
    tr: DFF<Bits<7>>,
    est_go: DFF<Bit>,
    pend: DFF<Bit>,
    pidx: DFF<Bits<7>>,
    phase: DFF<Bits<2>>,
    cnt: DFF<Bits<10>>,
    steps: DFF<Bits<10>>,
    zero: DFF<Bit>,
    mcs10: DFF<Bit>,
    term: DFF<Bit>,
    pass_v: DFF<Bit>,
    skip_cnt: DFF<Bits<16>>,
    ovr: DFF<Bit>,
    s_valid: DFF<Bit>,
    s_crc: DFF<Bit>,
    s_cand: DFF<Bit>,
    s_mcs: DFF<Bits<4>>,
    s_len: DFF<Bits<9>>,
    b_sig: DFF<Bit>,
    b_head: DFF<Bit>,
    b_bit: DFF<Bit>,
    b_index: DFF<Bits<9>>,
    free_r: DFF<Bit>,
    // combinational
    sample: Signal<Local, Bits<32>>,
    in_ltf: Signal<Local, Bit>,
    in_win: Signal<Local, Bit>,
    push: Signal<Local, Bit>,
    fill: Signal<Local, Bits<3>>,
    quiet: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    head_out: Signal<Local, Bits<32>>,
    feeding: Signal<Local, Bit>,
    last: Signal<Local, Bit>,
    cnt1: Signal<Local, Bits<10>>,
    pbit: Signal<Local, Bit>,
    pneg: Signal<Local, Bit>,
    pidx6: Signal<Local, Bits<6>>,
    go: Signal<Local, Bit>,
    live: Signal<Local, Bit>,
    take_pair: Signal<Local, Bit>,
    sym_bins: Signal<Local, Bit>,
    pol_lo: Constant<Bits<64>>,
    pol_hi: Constant<Bits<64>>,
}

impl Default for SidFilter {
    fn default() -> Self {
        let pol = subgate_dsp::scrambler::POLARITY
            .iter()
            .enumerate()
            .filter(|(_, &p)| p < 0)
            .fold(0u128, |m, (k, _)| m | 1 << k);
        SidFilter {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            in_start: Default::default(),
            tbl_write: Default::default(),
            tbl_addr: Default::default(),
            tbl_data: Default::default(),
            tbl_valid: Default::default(),
            out_valid: Default::default(),
            out_decision: Default::default(),
            sig_valid: Default::default(),
            sig_crc_ok: Default::default(),
            sig_candidate: Default::default(),
            sig_mcs: Default::default(),
            sig_length: Default::default(),
            forwarded: Default::default(),
            dropped: Default::default(),
            passed: Default::default(),
            skipped: Default::default(),
            overrun: Default::default(),
            busy: Default::default(),
            free: Default::default(),
            fft: Default::default(),
            est: Default::default(),
            demap: Default::default(),
            vit: Default::default(),
            sig: Default::default(),
            head: Default::default(),
            mat: Default::default(),
            act: Default::default(),
            ending: Default::default(),
            n: Default::default(),
            off: Default::default(),
            wfed: Default::default(),
            q0: Default::default(),
            q1: Default::default(),
            q2: Default::default(),
            q3: Default::default(),
            wp: Default::default(),
            rp: Default::default(),
            tr: Default::default(),
            est_go: Default::default(),
            pend: Default::default(),
            pidx: Default::default(),
            phase: Default::default(),
            cnt: Default::default(),
            steps: Default::default(),
            zero: Default::default(),
            mcs10: Default::default(),
            term: Default::default(),
            pass_v: Default::default(),
            skip_cnt: Default::default(),
            ovr: Default::default(),
            s_valid: Default::default(),
            s_crc: Default::default(),
            s_cand: Default::default(),
            s_mcs: Default::default(),
            s_len: Default::default(),
            b_sig: Default::default(),
            b_head: Default::default(),
            b_bit: Default::default(),
            b_index: Default::default(),
            free_r: Default::default(),
            sample: Default::default(),
            in_ltf: Default::default(),
            in_win: Default::default(),
            push: Default::default(),
            fill: Default::default(),
            quiet: Default::default(),
            take: Default::default(),
            head_out: Default::default(),
            feeding: Default::default(),
            last: Default::default(),
            cnt1: Default::default(),
            pbit: Default::default(),
            pneg: Default::default(),
            pidx6: Default::default(),
            go: Default::default(),
            live: Default::default(),
            take_pair: Default::default(),
            sym_bins: Default::default(),
            pol_lo: Constant::new(Bits::<64>::from(pol as u64)),
            pol_hi: Constant::new(Bits::<64>::from((pol >> 64) as u64)),
        }
    }
}

impl Logic for SidFilter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, act, ending, n, off, wfed, q0, q1, q2, q3, wp, rp, tr, est_go, pend, pidx,
            phase, cnt, steps, zero, mcs10, term, pass_v, skip_cnt, ovr, s_valid, s_crc, s_cand,
            s_mcs, s_len, b_sig, b_head, b_bit, b_index, free_r
        );
        self.fft.clock.next = self.clock.val();
        self.est.clock.next = self.clock.val();
        self.demap.clock.next = self.clock.val();
        self.vit.clock.next = self.clock.val();
        self.sig.clock.next = self.clock.val();
        self.head.clock.next = self.clock.val();
        self.mat.clock.next = self.clock.val();
        // a frame is being read and not yet decided
        self.live.next = self.act.q.val() & !self.ending.q.val();
        self.pass_v.d.next = false;
        self.s_valid.d.next = false;
        self.est_go.d.next = false;

        // ---- a frame's start, when everything of the last one is through
        self.fill.next = self.wp.q.val() - self.rp.q.val();
        self.quiet.next = (self.fill.val() == 0)
            & (self.wfed.q.val() == 0)
            & self.fft.ready.val()
            & self.vit.ready.val()
            & !self.term.q.val();
        if self.in_valid.val() & self.in_start.val() & !self.act.q.val() & self.quiet.val() {
            self.act.d.next = true;
            self.ending.d.next = false;
            self.n.d.next = 1.into();
            self.off.d.next = 0.into();
            self.tr.d.next = 0.into();
            self.pend.d.next = false;
            self.phase.d.next = 0.into();
            self.cnt.d.next = 0.into();
        }

        // ---- the sample's window: the LTF symbols, then each field symbol's last 32
        self.in_ltf.next = ((self.n.q.val() >= 176) & (self.n.q.val() < 240))
            | ((self.n.q.val() >= 248) & (self.n.q.val() < 280))
            | ((self.n.q.val() >= 288) & (self.n.q.val() < 320));
        self.in_win.next = self.in_ltf.val() | ((self.n.q.val() >= 320) & (self.off.q.val() >= 8));
        self.push.next = self.in_valid.val()
            & self.act.q.val()
            & self.in_win.val()
            & (!self.ending.q.val() | (self.wfed.q.val() != 0));
        if self.in_valid.val() & self.act.q.val() {
            if self.n.q.val() != 4095 {
                self.n.d.next = self.n.q.val() + 1;
            }
            if self.n.q.val() >= 320 {
                self.off.d.next = self.off.q.val() + 1;
                if self.off.q.val() == 39 {
                    self.off.d.next = 0.into();
                }
            }
        }
        // the queue: four samples, I in the high half
        self.sample.next = (bit_cast::<32, 16>(unsigned_cast(self.in_i.val())) << 16)
            | bit_cast::<32, 16>(unsigned_cast(self.in_q.val()));
        if self.push.val() {
            self.wp.d.next = self.wp.q.val() + 1;
            self.wfed.d.next = self.wfed.q.val() + 1;
            if self.fill.val() == 4 {
                self.ovr.d.next = true;
            }
            if self.wp.q.val().get_bits::<2>(0) == 0 {
                self.q0.d.next = self.sample.val();
            }
            if self.wp.q.val().get_bits::<2>(0) == 1 {
                self.q1.d.next = self.sample.val();
            }
            if self.wp.q.val().get_bits::<2>(0) == 2 {
                self.q2.d.next = self.sample.val();
            }
            if self.wp.q.val().get_bits::<2>(0) == 3 {
                self.q3.d.next = self.sample.val();
            }
        }
        self.head_out.next = self.q0.q.val();
        if self.rp.q.val().get_bits::<2>(0) == 1 {
            self.head_out.next = self.q1.q.val();
        }
        if self.rp.q.val().get_bits::<2>(0) == 2 {
            self.head_out.next = self.q2.q.val();
        }
        if self.rp.q.val().get_bits::<2>(0) == 3 {
            self.head_out.next = self.q3.q.val();
        }
        self.take.next = (self.fill.val() != 0) & self.fft.ready.val();
        self.fft.in_valid.next = self.take.val();
        self.fft.in_i.next = signed_cast(self.head_out.val().get_bits::<16>(16));
        self.fft.in_q.next = signed_cast(self.head_out.val().get_bits::<16>(0));
        if self.take.val() {
            self.rp.d.next = self.rp.q.val() + 1;
        }

        // ---- the FFT's transforms in order: four LTF symbols, then SIG and data symbols
        self.est.in_valid.next = self.fft.out_valid.val() & (self.tr.q.val() < 4);
        self.est.in_first.next = self.tr.q.val() == 0;
        self.est.in_index.next = self.fft.out_index.val();
        self.est.in_re.next = self.fft.out_re.val();
        self.est.in_im.next = self.fft.out_im.val();
        self.est.start.next = self.est_go.q.val();
        self.sym_bins.next = self.fft.out_valid.val() & (self.tr.q.val() >= 4);
        self.demap.in_valid.next = self.sym_bins.val();
        self.demap.in_index.next = self.fft.out_index.val();
        self.demap.in_re.next = self.fft.out_re.val();
        self.demap.in_im.next = self.fft.out_im.val();
        // bins over a buffer not yet started, or into a busy block, while they are needed
        if self.sym_bins.val()
            & self.live.val()
            & (self.phase.q.val() != 3)
            & (self.pend.q.val() | self.demap.busy.val())
        {
            self.ovr.d.next = true;
        }
        if self.fft.out_valid.val() & (self.fft.out_index.val() == 31) {
            if self.tr.q.val() != 127 {
                self.tr.d.next = self.tr.q.val() + 1;
            }
            if self.tr.q.val() == 3 {
                self.est_go.d.next = true;
            }
            if self.tr.q.val() >= 4 {
                self.pend.d.next = true;
                self.pidx.d.next = self.tr.q.val() - 4;
            }
        }

        // ---- the soft-value block: SIG symbols at once, data symbols once the SIG is read
        self.demap.in_sh.next = self.est.out_sh.val();
        self.demap.in_square_bits.next = self.est.out_square_bits.val();
        self.est.rd_addr.next = self.demap.h_addr.val();
        self.demap.h_re.next = self.est.rd_re.val();
        self.demap.h_im.next = self.est.rd_im.val();
        self.pidx6.next = self.pidx.q.val().get_bits::<6>(0);
        self.pbit.next = self.pol_lo.val().get_bit(self.pidx6.val().index());
        if self.pidx.q.val().get_bit(6) {
            self.pbit.next = self.pol_hi.val().get_bit(self.pidx6.val().index());
        }
        self.pneg.next = self.pbit.val() ^ self.pidx.q.val().get_bit(0);
        self.demap.in_pilot_neg.next = 1.into();
        if !self.pneg.val() {
            self.demap.in_pilot_neg.next = 2.into();
        }
        self.demap.in_rep.next = (self.pidx.q.val() < 6) | self.mcs10.q.val();
        self.go.next = self.pend.q.val()
            & !self.demap.busy.val()
            & !self.ending.q.val()
            & ((self.pidx.q.val() < 6) | (self.phase.q.val() == 2));
        self.demap.start.next = self.go.val();
        if self.go.val() | self.ending.q.val() | (self.phase.q.val() == 3) {
            self.pend.d.next = false;
        }

        // ---- the decoder: the SIG's 36 pairs, then the data field's `steps`
        self.feeding.next =
            ((self.phase.q.val() == 0) | (self.phase.q.val() == 2)) & self.live.val();
        self.demap.out_ready.next = true;
        if self.feeding.val() {
            self.demap.out_ready.next = self.vit.ready.val();
        }
        self.cnt1.next = self.cnt.q.val() + 1;
        self.last.next = self.cnt.q.val() == 35;
        if self.phase.q.val() == 2 {
            self.last.next = self.cnt1.val() == self.steps.q.val();
        }
        self.take_pair.next = self.demap.out_valid.val() & self.demap.out_ready.val();
        self.vit.in_valid.next = self.take_pair.val() & self.feeding.val();
        self.vit.in_a.next = self.demap.out_a.val();
        self.vit.in_b.next = self.demap.out_b.val();
        self.vit.in_last.next = self.last.val();
        self.vit.in_zero.next = (self.phase.q.val() == 0) | self.zero.q.val();
        if self.take_pair.val() & self.feeding.val() {
            self.cnt.d.next = self.cnt1.val();
            if self.last.val() {
                self.cnt.d.next = 0.into();
                self.phase.d.next = self.phase.q.val() + 1;
            }
        }
        // a given-up frame's open block: one last pair
        if self.term.q.val() {
            self.vit.in_valid.next = self.vit.ready.val();
            self.vit.in_a.next = 0.into();
            self.vit.in_b.next = 0.into();
            self.vit.in_last.next = true;
            self.vit.in_zero.next = false;
            if self.vit.ready.val() {
                self.term.d.next = false;
            }
        }

        // ---- the decoder's bits, registered once (the SIG reader's logic is deep): the SIG
        // reader, then the PSDU head and the matcher
        self.b_sig.d.next = self.vit.out_valid.val() & (self.phase.q.val() == 1) & self.live.val();
        self.b_head.d.next = self.vit.out_valid.val() & (self.phase.q.val() == 3) & self.live.val();
        self.b_bit.d.next = self.vit.out_bit.val();
        self.b_index.d.next = self.vit.out_index.val();
        self.sig.in_valid.next = self.b_sig.q.val();
        self.sig.in_bit.next = self.b_bit.q.val();
        self.sig.in_index.next = self.b_index.q.val();
        self.head.in_valid.next = self.b_head.q.val();
        self.head.in_bit.next = self.b_bit.q.val();
        self.head.in_index.next = self.b_index.q.val();
        self.mat.in_valid.next = self.head.out_valid.val();
        self.mat.in_byte.next = self.head.out_byte.val();
        self.mat.in_index.next = self.head.out_index.val();
        self.mat.in_done.next = self.head.out_done.val();
        self.mat.tbl_write.next = self.tbl_write.val();
        self.mat.tbl_addr.next = self.tbl_addr.val();
        self.mat.tbl_data.next = self.tbl_data.val();
        self.mat.tbl_valid.next = self.tbl_valid.val();
        if self.sig.out_valid.val() & self.live.val() {
            self.s_valid.d.next = true;
            self.s_crc.d.next = self.sig.out_crc_ok.val();
            self.s_cand.d.next = self.sig.out_candidate.val();
            self.s_mcs.d.next = self.sig.out_mcs.val();
            self.s_len.d.next = self.sig.out_length.val();
            self.steps.d.next = self.sig.out_steps.val();
            self.zero.d.next = self.sig.out_zero.val();
            self.mcs10.d.next = self.sig.out_mcs.val() == 10;
            if self.sig.out_candidate.val() {
                self.phase.d.next = 2.into();
            } else {
                self.phase.d.next = 3.into();
                self.pass_v.d.next = true;
                self.skip_cnt.d.next = self.skip_cnt.q.val() + 1;
                self.ending.d.next = true;
            }
        }
        if self.mat.out_valid.val() & self.live.val() {
            self.ending.d.next = true;
        }
        // given up: pass; an open decoder block is closed
        if self.live.val() & (self.n.q.val() == 4095) {
            self.pass_v.d.next = true;
            self.skip_cnt.d.next = self.skip_cnt.q.val() + 1;
            self.ending.d.next = true;
            if ((self.phase.q.val() == 0) | (self.phase.q.val() == 2)) & (self.cnt.q.val() != 0) {
                self.term.d.next = true;
            }
        }
        // the frame is over once the window it was writing is whole
        if self.act.q.val() & self.ending.q.val() & (self.wfed.q.val() == 0) {
            self.act.d.next = false;
        }
        if self.fft.overrun.val() | self.vit.overrun.val() | self.head.overrun.val() {
            self.ovr.d.next = true;
        }

        self.out_valid.next = self.pass_v.q.val() | self.mat.out_valid.val();
        self.out_decision.next = 0.into();
        if self.mat.out_valid.val() {
            self.out_decision.next = self.mat.out_decision.val();
        }
        self.sig_valid.next = self.s_valid.q.val();
        self.sig_crc_ok.next = self.s_crc.q.val();
        self.sig_candidate.next = self.s_cand.q.val();
        self.sig_mcs.next = self.s_mcs.q.val();
        self.sig_length.next = self.s_len.q.val();
        self.forwarded.next = self.mat.forwarded.val();
        self.dropped.next = self.mat.dropped.val();
        self.passed.next = self.mat.passed.val();
        self.skipped.next = self.skip_cnt.q.val();
        self.overrun.next = self.ovr.q.val();
        self.busy.next = self.act.q.val();
        self.free_r.d.next = !self.act.q.val() & self.quiet.val();
        self.free.next = self.free_r.q.val();
    }
}
