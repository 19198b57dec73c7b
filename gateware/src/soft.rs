//! The SID filter's soft-value block: a SIG or data symbol's FFT bins, with the frame's LTF
//! estimate read over the estimator's port, into the 4-bit soft pairs the Viterbi decoder
//! takes — pilot phase, `z = Y'·conj H`, `d = Re(z conj P)`, deinterleaving (the order of
//! a schedule ROM), MCS 10's repetition combined, the quantiser — serial, through one
//! 18 × 18 multiplier. Bit-exact and clock-exact with the model
//! [`subgate_dsp::frontend::soft`], whose module documentation gives the timing; the
//! arithmetic is [`subgate_dsp::frontend::demap`]'s.
//!
//! An operation (clock `u` of [`OP_CLOCKS`]): `u = 0` the bin's address to the buffer and
//! the port; at 1 the bin loaded; 2..19 scaled by `2^(sh+2)` one bit per clock (saturating
//! left shifts, or arithmetic right shifts); 20..23 the four products of `z`, rounded at 23
//! (real) and 25 (imaginary); 24 and 26 the products of `d` (or `±z` into `P`, for a pilot),
//! summed at 25 and 27; from 28 the quantiser: `(v + 2^(s−1)) >> s` as `v` shifted right
//! `s − 1` times one bit per clock (29..58), then `(t + 1) >> 1` at 59 and the clamp at 60.

use rust_hdl::prelude::*;
use subgate_dsp::frontend::soft::{ops, OPS};

pub use subgate_dsp::frontend::soft::OP_CLOCKS;

use crate::mul18::Mul18;

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () = assert!(OP_CLOCKS == 61 && OPS == 26);

/// The soft-value block.
#[derive(LogicBlock)]
pub struct SoftDemap {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A bin is on the inputs (written while idle).
    pub in_valid: Signal<In, Bit>,
    /// Its index.
    pub in_index: Signal<In, Bits<5>>,
    /// Real part (18-bit, as the FFT gives it).
    pub in_re: Signal<In, Signed<18>>,
    /// Imaginary part.
    pub in_im: Signal<In, Signed<18>>,
    /// Start the symbol in the buffer (taken while idle).
    pub start: Signal<In, Bit>,
    /// With `start`: bit 0 the pilot at −7 is −1, bit 1 the pilot at +7.
    pub in_pilot_neg: Signal<In, Bits<2>>,
    /// With `start`: the field repeats (SIG, MCS 10).
    pub in_rep: Signal<In, Bit>,
    /// With `start`: the estimate's shift, two's complement (−4..16).
    pub in_sh: Signal<In, Bits<6>>,
    /// With `start`: the estimate's `bitlen((Σ|H|² >> 21)²)`.
    pub in_square_bits: Signal<In, Bits<6>>,
    /// Address on the estimator's read port.
    pub h_addr: Signal<Out, Bits<5>>,
    /// `H` at the address of the clock before: real part.
    pub h_re: Signal<In, Signed<18>>,
    /// Imaginary part.
    pub h_im: Signal<In, Signed<18>>,
    /// The decoder takes a pair on this clock (when `out_valid`).
    pub out_ready: Signal<In, Bit>,
    /// A pair is offered (held until taken; from registers only, so the caller may
    /// compute `out_ready` and its own `valid` from it without a combinational loop).
    pub out_valid: Signal<Out, Bit>,
    /// First soft value, 4-bit two's complement (−7..7).
    pub out_a: Signal<Out, Bits<4>>,
    /// Second soft value.
    pub out_b: Signal<Out, Bits<4>>,
    /// A symbol is being worked on.
    pub busy: Signal<Out, Bit>,
    y_re: RAM<Bits<18>, 5>,
    y_im: RAM<Bits<18>, 5>,
    sched: ROM<Bits<8>, 6>,
    mul: Mul18,
    bsy: DFF<Bit>,
    k: DFF<Bits<5>>,
    u: DFF<Bits<6>>,
    wt: DFF<Bit>,
    rep: DFF<Bit>,
    pneg: DFF<Bits<2>>,
    ysteps: DFF<Bits<5>>,
    yright: DFF<Bit>,
    sm1: DFF<Bits<5>>,
    yr: DFF<Bits<18>>,
    yi: DFF<Bits<18>>,
    hneg: DFF<Bits<18>>,
    nprn: DFF<Bits<18>>,
    npin: DFF<Bits<18>>,
    zacc: DFF<Bits<36>>,
    zr: DFF<Bits<18>>,
    zi: DFF<Bits<18>>,
    pr: DFF<Bits<19>>,
    pi: DFF<Bits<19>>,
    psr: DFF<Bits<18>>,
    psi: DFF<Bits<18>>,
    v: DFF<Bits<36>>,
    t: DFF<Bits<36>>,
    qa: DFF<Bits<4>>,
    qb: DFF<Bits<4>>,
    // combinational
    op: Signal<Local, Bits<8>>,
    run: Signal<Local, Bit>,
    sh2: Signal<Local, Bits<6>>,
    nsh2: Signal<Local, Bits<6>>,
    sqm6: Signal<Local, Bits<6>>,
    s0: Signal<Local, Bits<5>>,
    ushift: Signal<Local, Bits<6>>,
    uquant: Signal<Local, Bits<6>>,
    hsel: Signal<Local, Bits<18>>,
    ysel: Signal<Local, Bits<18>>,
    u_next: Signal<Local, Bits<6>>,
    m_y_im: DFF<Bit>,
    m_h_im: DFF<Bit>,
    m_h_neg: DFF<Bit>,
    m_zr: DFF<Bit>,
    m_zi: DFF<Bit>,
    m_neg: DFF<Bit>,
    pz: Signal<Local, Bits<36>>,
    zround: Signal<Local, Bits<18>>,
    zsel: Signal<Local, Bits<18>>,
    zneg: Signal<Local, Bits<19>>,
    pbit: Signal<Local, Bit>,
    tp1: Signal<Local, Bits<36>>,
    nt: Signal<Local, Bits<36>>,
    q: Signal<Local, Bits<4>>,
    sign35: Constant<Bits<36>>,
    msb18: Constant<Bits<19>>,
    bias18: Constant<Bits<19>>,
}

impl Default for SoftDemap {
    fn default() -> Self {
        // entry rep · 32 + k: bin, negate, end of value, end of pair (bits 0–4, 5, 6, 7)
        let table = [ops(false), ops(true)];
        let sched: ROM<Bits<8>, 6> = (0..64)
            .map(|a: usize| {
                let op = table[a / 32].get(a % 32);
                Bits::<8>::from(op.map_or(0u64, |o| {
                    u64::from(o.bin)
                        | u64::from(o.negate) << 5
                        | u64::from(o.end_value) << 6
                        | u64::from(o.end_pair) << 7
                }))
            })
            .into();
        SoftDemap {
            clock: Default::default(),
            in_valid: Default::default(),
            in_index: Default::default(),
            in_re: Default::default(),
            in_im: Default::default(),
            start: Default::default(),
            in_pilot_neg: Default::default(),
            in_rep: Default::default(),
            in_sh: Default::default(),
            in_square_bits: Default::default(),
            h_addr: Default::default(),
            h_re: Default::default(),
            h_im: Default::default(),
            out_ready: Default::default(),
            out_valid: Default::default(),
            out_a: Default::default(),
            out_b: Default::default(),
            busy: Default::default(),
            y_re: Default::default(),
            y_im: Default::default(),
            sched,
            mul: Default::default(),
            bsy: Default::default(),
            k: Default::default(),
            u: Default::default(),
            wt: Default::default(),
            rep: Default::default(),
            pneg: Default::default(),
            ysteps: Default::default(),
            yright: Default::default(),
            sm1: Default::default(),
            yr: Default::default(),
            yi: Default::default(),
            hneg: Default::default(),
            nprn: Default::default(),
            npin: Default::default(),
            zacc: Default::default(),
            zr: Default::default(),
            zi: Default::default(),
            pr: Default::default(),
            pi: Default::default(),
            psr: Default::default(),
            psi: Default::default(),
            v: Default::default(),
            t: Default::default(),
            qa: Default::default(),
            qb: Default::default(),
            op: Default::default(),
            run: Default::default(),
            sh2: Default::default(),
            nsh2: Default::default(),
            sqm6: Default::default(),
            s0: Default::default(),
            ushift: Default::default(),
            uquant: Default::default(),
            hsel: Default::default(),
            ysel: Default::default(),
            u_next: Default::default(),
            m_y_im: Default::default(),
            m_h_im: Default::default(),
            m_h_neg: Default::default(),
            m_zr: Default::default(),
            m_zi: Default::default(),
            m_neg: Default::default(),
            pz: Default::default(),
            zround: Default::default(),
            zsel: Default::default(),
            zneg: Default::default(),
            pbit: Default::default(),
            tp1: Default::default(),
            nt: Default::default(),
            q: Default::default(),
            sign35: Constant::new(Bits::<36>::from(1u64 << 35)),
            // sign extension as (x ⊕ msb) − msb
            msb18: Constant::new(Bits::<19>::from(1u64 << 17)),
            bias18: Constant::new(Bits::<19>::from((1u64 << 19) - (1 << 17))),
        }
    }
}

impl Logic for SoftDemap {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, bsy, k, u, wt, rep, pneg, ysteps, yright, sm1, yr, yi, hneg, zacc, zr, zi,
            pr, pi, psr, psi, nprn, npin, v, t, qa, qb, m_y_im, m_h_im, m_h_neg, m_zr, m_zi, m_neg
        );
        self.y_re.read_clock.next = self.clock.val();
        self.y_re.write_clock.next = self.clock.val();
        self.y_im.read_clock.next = self.clock.val();
        self.y_im.write_clock.next = self.clock.val();
        self.mul.clock.next = self.clock.val();

        // ---- the bin buffer: written while idle, read at the operation's bin
        self.y_re.write_address.next = self.in_index.val();
        self.y_im.write_address.next = self.in_index.val();
        self.y_re.write_data.next = unsigned_cast(self.in_re.val());
        self.y_im.write_data.next = unsigned_cast(self.in_im.val());
        self.y_re.write_enable.next = self.in_valid.val() & !self.bsy.q.val();
        self.y_im.write_enable.next = self.in_valid.val() & !self.bsy.q.val();
        self.sched.address.next = bit_cast::<6, 5>(self.k.q.val());
        if self.rep.q.val() {
            self.sched.address.next = bit_cast::<6, 5>(self.k.q.val()) + 32;
        }
        self.op.next = self.sched.data.val();
        self.y_re.read_address.next = self.op.val().get_bits::<5>(0);
        self.y_im.read_address.next = self.op.val().get_bits::<5>(0);
        self.h_addr.next = self.op.val().get_bits::<5>(0);

        // ---- start: the symbol's settings
        self.sh2.next = self.in_sh.val() + 2;
        self.nsh2.next = !self.sh2.val();
        self.sqm6.next = self.in_square_bits.val() - 6;
        self.s0.next = 1.into();
        if self.in_square_bits.val() > 7 {
            self.s0.next = self.sqm6.val().get_bits::<5>(0);
        }
        if self.start.val() & !self.bsy.q.val() {
            self.bsy.d.next = true;
            self.k.d.next = 0.into();
            self.u.d.next = 0.into();
            self.wt.d.next = false;
            self.rep.d.next = self.in_rep.val();
            self.pneg.d.next = self.in_pilot_neg.val();
            self.pr.d.next = 0.into();
            self.pi.d.next = 0.into();
            self.v.d.next = 0.into();
            if self.sh2.val().get_bit(5) {
                self.ysteps.d.next = self.nsh2.val().get_bits::<5>(0) + 1;
                self.yright.d.next = true;
            } else {
                self.ysteps.d.next = self.sh2.val().get_bits::<5>(0);
                self.yright.d.next = false;
            }
            // s − 1, s = max(square_bits − 6, 1) (+ 1 with repetition)
            self.sm1.d.next = self.s0.val() - 1;
            if self.in_rep.val() {
                self.sm1.d.next = self.s0.val();
            }
        }
        self.run.next = self.bsy.q.val() & !self.wt.q.val();

        // ---- the bin: loaded at 1, scaled one bit per clock at 2..19
        self.ushift.next = self.u.q.val() - 2;
        if self.u.q.val() == 1 {
            self.yr.d.next = self.y_re.read_data.val();
            self.yi.d.next = self.y_im.read_data.val();
        }
        if (self.u.q.val() >= 2)
            & (self.u.q.val() < 20)
            & (self.ushift.val().get_bits::<5>(0) < self.ysteps.q.val())
        {
            if self.yright.q.val() {
                self.yr.d.next = (self.yr.q.val() >> 1) | (self.yr.q.val() & 0x20000);
                self.yi.d.next = (self.yi.q.val() >> 1) | (self.yi.q.val() & 0x20000);
            } else {
                // 2y, saturated when bits 17 and 16 differ
                self.yr.d.next = self.yr.q.val() << 1;
                if self.yr.q.val().get_bit(17) != self.yr.q.val().get_bit(16) {
                    self.yr.d.next = 0x1FFFF.into();
                    if self.yr.q.val().get_bit(17) {
                        self.yr.d.next = 0x20000.into();
                    }
                }
                self.yi.d.next = self.yi.q.val() << 1;
                if self.yi.q.val().get_bit(17) != self.yi.q.val().get_bit(16) {
                    self.yi.d.next = 0x1FFFF.into();
                    if self.yi.q.val().get_bit(17) {
                        self.yi.d.next = 0x20000.into();
                    }
                }
            }
        }
        self.hneg.d.next = (!unsigned_cast(self.h_im.val())) + 1;

        // ---- the multiplier: Y'·H for z at 20..23, z·P at 24 and 26. The operand selects
        // are registered from the step's next value (`u` changes only as `u_next` says), so
        // the multiplier's inputs come through one multiplexer level from registers.
        self.u_next.next = self.u.q.val();
        if self.start.val() & !self.bsy.q.val() {
            self.u_next.next = 0.into();
        }
        if self.run.val() {
            self.u_next.next = self.u.q.val() + 1;
            if self.u.q.val() == 60 {
                self.u_next.next = 0.into();
            }
        }
        self.m_y_im.d.next = (self.u_next.val() == 21) | (self.u_next.val() == 22);
        self.m_h_im.d.next = self.u_next.val() == 21;
        self.m_h_neg.d.next = self.u_next.val() == 23;
        self.m_zr.d.next = self.u_next.val() == 24;
        self.m_zi.d.next = self.u_next.val() == 26;
        self.m_neg.d.next = self.op.val().get_bit(5);
        self.ysel.next = self.yr.q.val();
        if self.m_y_im.q.val() {
            self.ysel.next = self.yi.q.val();
        }
        self.hsel.next = unsigned_cast(self.h_re.val());
        if self.m_h_im.q.val() {
            self.hsel.next = unsigned_cast(self.h_im.val());
        }
        if self.m_h_neg.q.val() {
            self.hsel.next = self.hneg.q.val();
        }
        self.mul.a.next = signed_cast(self.ysel.val());
        self.mul.b.next = signed_cast(self.hsel.val());
        if self.m_zr.q.val() {
            self.mul.a.next = signed_cast(self.zr.q.val());
            self.mul.b.next = signed_cast(self.psr.q.val());
            if self.m_neg.q.val() {
                self.mul.b.next = signed_cast(self.nprn.q.val());
            }
        }
        if self.m_zi.q.val() {
            self.mul.a.next = signed_cast(self.zi.q.val());
            self.mul.b.next = signed_cast(self.psi.q.val());
            if self.m_neg.q.val() {
                self.mul.b.next = signed_cast(self.npin.q.val());
            }
        }

        // ---- z: products at 21..24, rounded at 23 (real) and 25 (imaginary). 36 bits wrap
        // without loss: |Y'·conj H| ≤ 2¹⁷√2 · 2¹⁶√2 = 2³⁴, so |z| ≤ 2¹⁶, |P| ≤ 2¹⁷, |d| ≤ 2³³
        // and a repetition's sum ≤ 2³⁴
        self.pz.next = unsigned_cast(self.mul.p.val());
        // (zacc + 2¹⁷) >> 18 as bits 35..18 plus bit 17
        self.zround.next = self.zacc.q.val().get_bits::<18>(18);
        if self.zacc.q.val().get_bit(17) {
            self.zround.next = self.zacc.q.val().get_bits::<18>(18) + 1;
        }
        if self.run.val() {
            if (self.u.q.val() == 21) | (self.u.q.val() == 23) {
                self.zacc.d.next = self.pz.val();
            }
            if (self.u.q.val() == 22) | (self.u.q.val() == 24) {
                self.zacc.d.next = self.zacc.q.val() + self.pz.val();
            }
            if self.u.q.val() == 23 {
                self.zr.d.next = self.zround.val();
            }
            if self.u.q.val() == 25 {
                self.zi.d.next = self.zround.val();
            }
        }

        // ---- P from the pilots (operations 0 and 1): ±z at 24 (real) and 26 (imaginary)
        self.zsel.next = self.zr.q.val();
        if self.u.q.val() == 26 {
            self.zsel.next = self.zi.q.val();
        }
        self.pbit.next = self.pneg.q.val().get_bit(0);
        if self.k.q.val().get_bit(0) {
            self.pbit.next = self.pneg.q.val().get_bit(1);
        }
        self.zneg.next =
            (bit_cast::<19, 18>(self.zsel.val()) ^ self.msb18.val()) + self.bias18.val();
        if self.pbit.val() {
            self.zneg.next = (!((bit_cast::<19, 18>(self.zsel.val()) ^ self.msb18.val())
                + self.bias18.val()))
                + 1;
        }
        if self.run.val() & (self.k.q.val() < 2) {
            if self.u.q.val() == 24 {
                self.pr.d.next = self.pr.q.val() + self.zneg.val();
            }
            if self.u.q.val() == 26 {
                self.pi.d.next = self.pi.q.val() + self.zneg.val();
            }
        }
        // P clamped to ±(2¹⁷ − 1) (the sum of two ±2¹⁶ reaches ±2¹⁷), and −P for a negated
        // copy: the sign goes into the product
        self.psr.d.next = self.pr.q.val().get_bits::<18>(0);
        if self.pr.q.val() == 0x20000 {
            self.psr.d.next = 0x1FFFF.into();
        }
        if self.pr.q.val() == 0x60000 {
            self.psr.d.next = 0x20001.into();
        }
        self.psi.d.next = self.pi.q.val().get_bits::<18>(0);
        if self.pi.q.val() == 0x20000 {
            self.psi.d.next = 0x1FFFF.into();
        }
        if self.pi.q.val() == 0x60000 {
            self.psi.d.next = 0x20001.into();
        }
        self.nprn.d.next = (!self.psr.q.val()) + 1;
        self.npin.d.next = (!self.psi.q.val()) + 1;

        // ---- d: the products at 25 and 27 into the value
        if self.run.val()
            & (self.k.q.val() >= 2)
            & ((self.u.q.val() == 25) | (self.u.q.val() == 27))
        {
            self.v.d.next = self.v.q.val() + self.pz.val();
        }

        // ---- the quantiser: v at 28, shifted right s − 1 times at 29..58, (t + 1) >> 1 at
        // 59, clamped to ±7 at 60
        self.uquant.next = self.u.q.val() - 29;
        self.tp1.next = self.t.q.val() + 1;
        if self.u.q.val() == 28 {
            self.t.d.next = self.v.q.val();
        }
        if (self.u.q.val() >= 29)
            & (self.u.q.val() < 59)
            & (self.uquant.val().get_bits::<5>(0) < self.sm1.q.val())
        {
            self.t.d.next = (self.t.q.val() >> 1) | (self.t.q.val() & self.sign35.val());
        }
        if self.u.q.val() == 59 {
            self.t.d.next = (self.tp1.val() >> 1) | (self.tp1.val() & self.sign35.val());
        }
        self.nt.next = !self.t.q.val();
        self.q.next = self.t.q.val().get_bits::<4>(0);
        if self.t.q.val().get_bit(35) & (self.nt.val() > 6) {
            self.q.next = 0x9.into();
        }
        if !self.t.q.val().get_bit(35) & (self.t.q.val() > 7) {
            self.q.next = 0x7.into();
        }

        // ---- the operation's end, the pair's wait
        if self.run.val() {
            self.u.d.next = self.u.q.val() + 1;
            if self.u.q.val() == 60 {
                self.u.d.next = 0.into();
                if self.op.val().get_bit(6) {
                    self.qa.d.next = self.qb.q.val();
                    self.qb.d.next = self.q.val();
                    self.v.d.next = 0.into();
                }
                if self.op.val().get_bit(7) {
                    self.wt.d.next = true;
                } else {
                    self.k.d.next = self.k.q.val() + 1;
                }
            }
        }
        if self.bsy.q.val() & self.wt.q.val() & self.out_ready.val() {
            self.wt.d.next = false;
            if self.k.q.val() == 25 {
                self.bsy.d.next = false;
            } else {
                self.k.d.next = self.k.q.val() + 1;
            }
        }

        self.out_valid.next = self.bsy.q.val() & self.wt.q.val();
        self.out_a.next = self.qa.q.val();
        self.out_b.next = self.qb.q.val();
        self.busy.next = self.bsy.q.val();
    }
}
