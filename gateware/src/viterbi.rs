//! Serial soft-decision Viterbi decoder of the line-rate SID filter: K = 7 (133, 171) at
//! rate 1/2, one add-compare-select butterfly per clock. Bit-exact and clock-exact with the
//! model [`subgate_dsp::frontend::viterbi`], whose module documentation gives the arithmetic
//! (4-bit soft values, 10-bit wrapping metrics) and the timing.
//!
//! Hardware:
//! - path metrics in two LUT RAMs of 64 × 10 bits (banks): state `s` lives in bank
//!   `s₀ ⊕ s₅` at address `{half, s >> 1}`, so butterfly `i` reads its two predecessors
//!   `2i`, `2i + 1` from different banks at address `i`, and writes its two successors `i`,
//!   `i + 32` to different banks — one read and one write per bank per clock. The halves
//!   alternate per step (read one, write the other);
//! - the first step of a block reads the start metrics instead of the RAMs (no clearing);
//! - pipeline per butterfly: RAM read, branch metric and the four sums, compare and select,
//!   write (and the best-state candidate, then the running best);
//! - decisions: 32 + 32 bits shifted in per step, written as one 64-bit word per step to a
//!   512-deep block RAM (2 `DP16KD`);
//! - traceback: one step per clock, the word addresses running two clocks ahead of the state
//!   (the RAM's output is registered before the 64-way bit select).

use rust_hdl::prelude::*;

pub use subgate_dsp::frontend::viterbi::{MAX_STEPS, SPACING, START_GAP, TB_FIRST};

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () = assert!(SPACING == 35 && TB_FIRST == 40 && MAX_STEPS == 512 && START_GAP == 256);

/// The decoder block.
#[derive(LogicBlock)]
pub struct ViterbiDecoder {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A pair of soft values is on the inputs.
    pub in_valid: Signal<In, Bit>,
    /// First soft value (code bit A), 4-bit two's complement, positive for a 1.
    pub in_a: Signal<In, Bits<4>>,
    /// Second soft value (code bit B).
    pub in_b: Signal<In, Bits<4>>,
    /// The block's last pair.
    pub in_last: Signal<In, Bit>,
    /// With `in_last`: trace back from state 0 (the block ends with tail bits).
    pub in_zero: Signal<In, Bit>,
    /// A pair would be taken on this clock.
    pub ready: Signal<Out, Bit>,
    /// A decoded bit is on `out_bit` (last step first).
    pub out_valid: Signal<Out, Bit>,
    /// The bit.
    pub out_bit: Signal<Out, Bit>,
    /// Its step in the block.
    pub out_index: Signal<Out, Bits<9>>,
    /// The block's step 0: its last bit out.
    pub out_last: Signal<Out, Bit>,
    /// A pair came while not ready and was dropped (sticky).
    pub overrun: Signal<Out, Bit>,
    // control
    cool: DFF<Bits<6>>,
    tbusy: DFF<Bit>,
    ovr: DFF<Bit>,
    // the next pair continues a block (after reset: no, a new block starts)
    cont: DFF<Bit>,
    nacc: DFF<Bits<9>>,
    fresh: DFF<Bit>,
    lastp: DFF<Bit>,
    zerop: DFF<Bit>,
    tstep: DFF<Bits<9>>,
    half: DFF<Bit>,
    // branch metrics of the step: +a+b, +a−b, −a+b, −a−b
    bpp: DFF<Bits<10>>,
    bpm: DFF<Bits<10>>,
    bmp: DFF<Bits<10>>,
    bmm: DFF<Bits<10>>,
    // read stage
    run: DFF<Bit>,
    k: DFF<Bits<5>>,
    v1: DFF<Bit>,
    k1: DFF<Bits<5>>,
    // sums
    v2: DFF<Bit>,
    k2: DFF<Bits<5>>,
    a0: DFF<Bits<10>>,
    a1: DFF<Bits<10>>,
    b0: DFF<Bits<10>>,
    b1: DFF<Bits<10>>,
    // selected
    v3: DFF<Bit>,
    k3: DFF<Bits<5>>,
    nlo: DFF<Bits<10>>,
    nhi: DFF<Bits<10>>,
    dlo: DFF<Bit>,
    dhi: DFF<Bit>,
    declo: DFF<Bits<32>>,
    dechi: DFF<Bits<32>>,
    // best state
    v4: DFF<Bit>,
    k4: DFF<Bits<5>>,
    cval: DFF<Bits<10>>,
    cst: DFF<Bits<6>>,
    best: DFF<Bits<10>>,
    bst: DFF<Bits<6>>,
    // the last step's end: after its last write, then after its last best update
    tb_end: DFF<Bit>,
    tb_go: DFF<Bit>,
    // traceback
    tb: DFF<Bit>,
    taddr: DFF<Bits<9>>,
    tv1: DFF<Bit>,
    tidx1: DFF<Bits<9>>,
    tv2: DFF<Bit>,
    tidx2: DFF<Bits<9>>,
    word: DFF<Bits<64>>,
    tstate: DFF<Bits<6>>,
    o_valid: DFF<Bit>,
    o_bit: DFF<Bit>,
    o_index: DFF<Bits<9>>,
    o_last: DFF<Bit>,
    bank0: RAM<Bits<10>, 6>,
    bank1: RAM<Bits<10>, 6>,
    decisions: RAM<Bits<64>, 9>,
    // combinational
    take: Signal<Local, Bit>,
    ext_a: Signal<Local, Bits<10>>,
    ext_b: Signal<Local, Bits<10>>,
    m0: Signal<Local, Bits<10>>,
    m1: Signal<Local, Bits<10>>,
    bm: Signal<Local, Bits<10>>,
    pa: Signal<Local, Bit>,
    pb: Signal<Local, Bit>,
    dif_lo: Signal<Local, Bits<10>>,
    dif_hi: Signal<Local, Bits<10>>,
    sel_lo: Signal<Local, Bit>,
    sel_hi: Signal<Local, Bit>,
    dif_c: Signal<Local, Bits<10>>,
    dif_best: Signal<Local, Bits<10>>,
    new_declo: Signal<Local, Bits<32>>,
    new_dechi: Signal<Local, Bits<32>>,
    sum_ab: Signal<Local, Bits<10>>,
    dif_ab: Signal<Local, Bits<10>>,
    rd_base: Signal<Local, Bits<6>>,
    wr_base: Signal<Local, Bits<6>>,
    wr_lo: Signal<Local, Bits<6>>,
    wr_hi: Signal<Local, Bits<6>>,
    start_gap: Constant<Bits<10>>,
    bias: Constant<Bits<10>>,
    sign4: Constant<Bits<4>>,
}

impl Default for ViterbiDecoder {
    fn default() -> Self {
        ViterbiDecoder {
            clock: Default::default(),
            in_valid: Default::default(),
            in_a: Default::default(),
            in_b: Default::default(),
            in_last: Default::default(),
            in_zero: Default::default(),
            ready: Default::default(),
            out_valid: Default::default(),
            out_bit: Default::default(),
            out_index: Default::default(),
            out_last: Default::default(),
            overrun: Default::default(),
            cool: Default::default(),
            tbusy: Default::default(),
            ovr: Default::default(),
            cont: Default::default(),
            nacc: Default::default(),
            fresh: Default::default(),
            lastp: Default::default(),
            zerop: Default::default(),
            tstep: Default::default(),
            half: Default::default(),
            bpp: Default::default(),
            bpm: Default::default(),
            bmp: Default::default(),
            bmm: Default::default(),
            run: Default::default(),
            k: Default::default(),
            v1: Default::default(),
            k1: Default::default(),
            v2: Default::default(),
            k2: Default::default(),
            a0: Default::default(),
            a1: Default::default(),
            b0: Default::default(),
            b1: Default::default(),
            v3: Default::default(),
            k3: Default::default(),
            nlo: Default::default(),
            nhi: Default::default(),
            dlo: Default::default(),
            dhi: Default::default(),
            declo: Default::default(),
            dechi: Default::default(),
            v4: Default::default(),
            k4: Default::default(),
            cval: Default::default(),
            cst: Default::default(),
            best: Default::default(),
            bst: Default::default(),
            tb_end: Default::default(),
            tb_go: Default::default(),
            tb: Default::default(),
            taddr: Default::default(),
            tv1: Default::default(),
            tidx1: Default::default(),
            tv2: Default::default(),
            tidx2: Default::default(),
            word: Default::default(),
            tstate: Default::default(),
            o_valid: Default::default(),
            o_bit: Default::default(),
            o_index: Default::default(),
            o_last: Default::default(),
            bank0: Default::default(),
            bank1: Default::default(),
            decisions: Default::default(),
            take: Default::default(),
            ext_a: Default::default(),
            ext_b: Default::default(),
            m0: Default::default(),
            m1: Default::default(),
            bm: Default::default(),
            pa: Default::default(),
            pb: Default::default(),
            dif_lo: Default::default(),
            dif_hi: Default::default(),
            sel_lo: Default::default(),
            sel_hi: Default::default(),
            dif_c: Default::default(),
            dif_best: Default::default(),
            new_declo: Default::default(),
            new_dechi: Default::default(),
            sum_ab: Default::default(),
            dif_ab: Default::default(),
            rd_base: Default::default(),
            wr_base: Default::default(),
            wr_lo: Default::default(),
            wr_hi: Default::default(),
            sign4: Constant::new(Bits::<4>::from(8u64)),
            // −256 modulo 2¹⁰
            start_gap: Constant::new(Bits::<10>::from(768u64)),
            // −8 modulo 2¹⁰: sign extension of a 4-bit value as (x ⊕ 8) − 8
            bias: Constant::new(Bits::<10>::from(0x3F8u64)),
        }
    }
}

impl Logic for ViterbiDecoder {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, cool, tbusy, ovr, cont, nacc, fresh, lastp, zerop, tstep, half, bpp, bpm,
            bmp, bmm, run, k, v1, k1, v2, k2, a0, a1, b0, b1, v3, k3, nlo, nhi, dlo, dhi, declo,
            dechi, v4, k4, cval, cst, best, bst, tb_end, tb_go, tb, taddr, tv1, tidx1, tv2, tidx2,
            word, tstate, o_valid, o_bit, o_index, o_last
        );
        self.bank0.read_clock.next = self.clock.val();
        self.bank0.write_clock.next = self.clock.val();
        self.bank1.read_clock.next = self.clock.val();
        self.bank1.write_clock.next = self.clock.val();
        self.decisions.read_clock.next = self.clock.val();
        self.decisions.write_clock.next = self.clock.val();

        // ---- taking a pair
        self.ready.next = (self.cool.q.val() == 0) & !self.tbusy.q.val();
        self.take.next = self.in_valid.val() & (self.cool.q.val() == 0) & !self.tbusy.q.val();
        if self.cool.q.val() != 0 {
            self.cool.d.next = self.cool.q.val() - 1;
        }
        if self.in_valid.val() & !self.take.val() {
            self.ovr.d.next = true;
        }
        self.ext_a.next = bit_cast::<10, 4>(self.in_a.val() ^ self.sign4.val()) + self.bias.val();
        self.ext_b.next = bit_cast::<10, 4>(self.in_b.val() ^ self.sign4.val()) + self.bias.val();
        self.sum_ab.next = self.ext_a.val() + self.ext_b.val();
        self.dif_ab.next = self.ext_a.val() - self.ext_b.val();
        if self.take.val() {
            self.cool.d.next = 34.into();
            self.bpp.d.next = self.sum_ab.val();
            self.bpm.d.next = self.dif_ab.val();
            self.bmp.d.next = (!self.dif_ab.val()) + 1;
            self.bmm.d.next = (!self.sum_ab.val()) + 1;
            self.fresh.d.next = !self.cont.q.val();
            self.tstep.d.next = self.nacc.q.val();
            self.run.d.next = true;
            self.k.d.next = 0.into();
            self.lastp.d.next = self.in_last.val() | (self.nacc.q.val() == 511);
            self.zerop.d.next = self.in_last.val() & self.in_zero.val();
            if self.in_last.val() | (self.nacc.q.val() == 511) {
                self.cont.d.next = false;
                self.nacc.d.next = 0.into();
                self.tbusy.d.next = true;
            } else {
                self.cont.d.next = true;
                self.nacc.d.next = self.nacc.q.val() + 1;
            }
        }

        // ---- read stage: butterfly k reads states 2k and 2k+1 (both banks, address k)
        if self.half.q.val() {
            self.rd_base.next = 32.into();
            self.wr_base.next = 0.into();
        } else {
            self.rd_base.next = 0.into();
            self.wr_base.next = 32.into();
        }
        self.bank0.read_address.next = bit_cast::<6, 5>(self.k.q.val()) | self.rd_base.val();
        self.bank1.read_address.next = bit_cast::<6, 5>(self.k.q.val()) | self.rd_base.val();
        self.v1.d.next = self.run.q.val();
        self.k1.d.next = self.k.q.val();
        if self.run.q.val() {
            self.k.d.next = self.k.q.val() + 1;
            if self.k.q.val() == 31 {
                self.run.d.next = false;
            }
        }

        // ---- sums: state 2k is in bank k₄, state 2k+1 in the other
        if self.k1.q.val().get_bit(4) {
            self.m0.next = self.bank1.read_data.val();
            self.m1.next = self.bank0.read_data.val();
        } else {
            self.m0.next = self.bank0.read_data.val();
            self.m1.next = self.bank1.read_data.val();
        }
        if self.fresh.q.val() {
            self.m1.next = self.start_gap.val();
            if self.k1.q.val() == 0 {
                self.m0.next = 0.into();
            } else {
                self.m0.next = self.start_gap.val();
            }
        }
        // the code bits on the branch from state 2k with input 0
        self.pa.next =
            self.k1.q.val().get_bit(0) ^ self.k1.q.val().get_bit(2) ^ self.k1.q.val().get_bit(3);
        self.pb.next =
            self.k1.q.val().get_bit(2) ^ self.k1.q.val().get_bit(3) ^ self.k1.q.val().get_bit(4);
        if self.pa.val() {
            if self.pb.val() {
                self.bm.next = self.bpp.q.val();
            } else {
                self.bm.next = self.bpm.q.val();
            }
        } else if self.pb.val() {
            self.bm.next = self.bmp.q.val();
        } else {
            self.bm.next = self.bmm.q.val();
        }
        self.v2.d.next = self.v1.q.val();
        self.k2.d.next = self.k1.q.val();
        self.a0.d.next = self.m0.val() + self.bm.val();
        self.a1.d.next = self.m1.val() - self.bm.val();
        self.b0.d.next = self.m0.val() - self.bm.val();
        self.b1.d.next = self.m1.val() + self.bm.val();

        // ---- compare and select (the odd predecessor only when strictly better)
        self.dif_lo.next = self.a1.q.val() - self.a0.q.val();
        self.dif_hi.next = self.b1.q.val() - self.b0.q.val();
        self.sel_lo.next = (self.dif_lo.val() != 0) & !self.dif_lo.val().get_bit(9);
        self.sel_hi.next = (self.dif_hi.val() != 0) & !self.dif_hi.val().get_bit(9);
        self.v3.d.next = self.v2.q.val();
        self.k3.d.next = self.k2.q.val();
        self.dlo.d.next = self.sel_lo.val();
        self.dhi.d.next = self.sel_hi.val();
        if self.sel_lo.val() {
            self.nlo.d.next = self.a1.q.val();
        } else {
            self.nlo.d.next = self.a0.q.val();
        }
        if self.sel_hi.val() {
            self.nhi.d.next = self.b1.q.val();
        } else {
            self.nhi.d.next = self.b0.q.val();
        }

        // ---- write: state k to bank k₀, state k+32 to the other, the other half
        self.new_declo.next =
            (self.declo.q.val() >> 1) | (bit_cast::<32, 1>(self.dlo.q.val().into()) << 31);
        self.new_dechi.next =
            (self.dechi.q.val() >> 1) | (bit_cast::<32, 1>(self.dhi.q.val().into()) << 31);
        self.bank0.write_enable.next = self.v3.q.val();
        self.bank1.write_enable.next = self.v3.q.val();
        // state k at k >> 1, state k + 32 at 16 + (k >> 1); bank k₀ takes state k
        self.wr_lo.next = bit_cast::<6, 4>(self.k3.q.val().get_bits::<4>(1)) | self.wr_base.val();
        self.wr_hi.next = self.wr_lo.val() | 16;
        if self.k3.q.val().get_bit(0) {
            self.bank1.write_address.next = self.wr_lo.val();
            self.bank1.write_data.next = self.nlo.q.val();
            self.bank0.write_address.next = self.wr_hi.val();
            self.bank0.write_data.next = self.nhi.q.val();
        } else {
            self.bank0.write_address.next = self.wr_lo.val();
            self.bank0.write_data.next = self.nlo.q.val();
            self.bank1.write_address.next = self.wr_hi.val();
            self.bank1.write_data.next = self.nhi.q.val();
        }
        self.decisions.write_enable.next = self.v3.q.val() & (self.k3.q.val() == 31);
        self.decisions.write_address.next = self.tstep.q.val();
        self.decisions.write_data.next = (bit_cast::<64, 32>(self.new_dechi.val()) << 32)
            | bit_cast::<64, 32>(self.new_declo.val());
        if self.v3.q.val() {
            self.declo.d.next = self.new_declo.val();
            self.dechi.d.next = self.new_dechi.val();
            if self.k3.q.val() == 31 {
                self.half.d.next = !self.half.q.val();
            }
        }
        // the better of the pair: state k+32 only when strictly better
        self.dif_c.next = self.nhi.q.val() - self.nlo.q.val();
        self.v4.d.next = self.v3.q.val();
        self.k4.d.next = self.k3.q.val();
        if (self.dif_c.val() != 0) & !self.dif_c.val().get_bit(9) {
            self.cval.d.next = self.nhi.q.val();
            self.cst.d.next = bit_cast::<6, 5>(self.k3.q.val()) | 32;
        } else {
            self.cval.d.next = self.nlo.q.val();
            self.cst.d.next = bit_cast::<6, 5>(self.k3.q.val());
        }

        // ---- running best (restarted by butterfly 0); the traceback after the last step
        self.dif_best.next = self.cval.q.val() - self.best.q.val();
        // (`lastp` is read with the step's last write: a pair taken on the clock after may
        // change it, but not before)
        self.tb_end.d.next = self.v3.q.val() & (self.k3.q.val() == 31) & self.lastp.q.val();
        self.tb_go.d.next = self.tb_end.q.val();
        if self.v4.q.val()
            & ((self.k4.q.val() == 0)
                | ((self.dif_best.val() != 0) & !self.dif_best.val().get_bit(9)))
        {
            self.best.d.next = self.cval.q.val();
            self.bst.d.next = self.cst.q.val();
        }

        // ---- traceback: addresses two clocks ahead of the state
        self.decisions.read_address.next = self.taddr.q.val();
        self.tv1.d.next = self.tb.q.val();
        self.tidx1.d.next = self.taddr.q.val();
        if self.tb_go.q.val() {
            self.tb.d.next = true;
            self.taddr.d.next = self.tstep.q.val();
            if self.zerop.q.val() {
                self.tstate.d.next = 0.into();
            } else {
                self.tstate.d.next = self.bst.q.val();
            }
        }
        if self.tb.q.val() {
            self.taddr.d.next = self.taddr.q.val() - 1;
            if self.taddr.q.val() == 0 {
                self.tb.d.next = false;
            }
        }
        self.tv2.d.next = self.tv1.q.val();
        self.tidx2.d.next = self.tidx1.q.val();
        self.word.d.next = self.decisions.read_data.val();
        self.o_valid.d.next = self.tv2.q.val();
        self.o_bit.d.next = self.tstate.q.val().get_bit(5);
        self.o_index.d.next = self.tidx2.q.val();
        self.o_last.d.next = self.tv2.q.val() & (self.tidx2.q.val() == 0);
        if self.tv2.q.val() {
            self.tstate.d.next = (bit_cast::<6, 5>(self.tstate.q.val().get_bits::<5>(0)) << 1)
                | bit_cast::<6, 1>(
                    self.word
                        .q
                        .val()
                        .get_bit(self.tstate.q.val().index())
                        .into(),
                );
            if self.tidx2.q.val() == 0 {
                self.tbusy.d.next = false;
            }
        }

        self.out_valid.next = self.o_valid.q.val();
        self.out_bit.next = self.o_bit.q.val();
        self.out_index.next = self.o_index.q.val();
        self.out_last.next = self.o_last.q.val();
        self.overrun.next = self.ovr.q.val();
    }
}
