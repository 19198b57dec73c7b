//! The SID filter's 32-point FFT: a symbol's 32 samples in, its 32 bins out in natural
//! order. Bit-exact and clock-exact with the model [`subgate_dsp::frontend::fft32`], whose
//! module documentation gives the arithmetic (radix 2, decimation in time, 18-bit words
//! halved every stage, 2¹⁶-scaled twiddles) and the timing.
//!
//! Hardware:
//! - the 32 words in two banks of 16 (LUT RAMs, re and im apart): word `a` lives in bank
//!   `parity(a)` at `a >> 1`. A butterfly's two words differ in one address bit, so they
//!   are in different banks: each clock reads one word from each bank, and writes one to
//!   each five clocks later. Samples are written at their bit-reversed address as they come;
//! - one butterfly per clock: read (and twiddle ROM), operands registered, four 18 × 18
//!   products ([`crate::mul18::Mul18`], four `MULT18X18D`), rounded sums, halved sum and
//!   difference, write; [`GAP`] idle clocks between stages so the next stage reads what this
//!   one wrote;
//! - after the fifth stage the bins are read in order, one per clock, through an output
//!   register; the block is ready for the next symbol the clock after the last read.

use rust_hdl::prelude::*;
use subgate_dsp::frontend::fft32::twiddles;

use crate::mul18::Mul18;

pub use subgate_dsp::frontend::fft32::{BUSY, FIRST_OUT, GAP};

// `update` spells these as literals (hdl_gen copies them verbatim).
const _: () = assert!(GAP == 5 && FIRST_OUT == 107 && BUSY == 138);

/// The FFT block.
#[derive(LogicBlock)]
pub struct Fft32 {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A sample is on the inputs.
    pub in_valid: Signal<In, Bit>,
    /// In-phase, signed 16-bit.
    pub in_i: Signal<In, Signed<16>>,
    /// Quadrature, signed 16-bit.
    pub in_q: Signal<In, Signed<16>>,
    /// A sample would be taken on this clock.
    pub ready: Signal<Out, Bit>,
    /// A bin is on the outputs.
    pub out_valid: Signal<Out, Bit>,
    /// Its index (0..32, natural order).
    pub out_index: Signal<Out, Bits<5>>,
    /// Real part, 18-bit two's complement (about `DFT / 16`).
    pub out_re: Signal<Out, Signed<18>>,
    /// Imaginary part.
    pub out_im: Signal<Out, Signed<18>>,
    /// A sample came while the block was busy and was dropped (sticky).
    pub overrun: Signal<Out, Bit>,
    // control
    busy: DFF<Bit>,
    cnt: DFF<Bits<5>>,
    ovr: DFF<Bit>,
    issue: DFF<Bit>,
    stage: DFF<Bits<3>>,
    n: DFF<Bits<5>>,
    gap: DFF<Bits<3>>,
    // memory: word a in bank parity(a) at a >> 1
    re0: RAM<Bits<18>, 4>,
    im0: RAM<Bits<18>, 4>,
    re1: RAM<Bits<18>, 4>,
    im1: RAM<Bits<18>, 4>,
    cos: SyncROM<Bits<18>, 4>,
    sin: SyncROM<Bits<18>, 4>,
    // after the read
    v1: DFF<Bit>,
    u1: DFF<Bit>,
    un1: DFF<Bits<5>>,
    swap1: DFF<Bit>,
    ia1: DFF<Bits<4>>,
    ib1: DFF<Bits<4>>,
    // operands
    v2: DFF<Bit>,
    swap2: DFF<Bit>,
    ia2: DFF<Bits<4>>,
    ib2: DFF<Bits<4>>,
    ar2: DFF<Bits<18>>,
    ai2: DFF<Bits<18>>,
    br2: DFF<Bits<18>>,
    bi2: DFF<Bits<18>>,
    c2: DFF<Bits<18>>,
    s2: DFF<Bits<18>>,
    // products
    m_brc: Mul18,
    m_bis: Mul18,
    m_bic: Mul18,
    m_brs: Mul18,
    v3: DFF<Bit>,
    swap3: DFF<Bit>,
    ia3: DFF<Bits<4>>,
    ib3: DFF<Bits<4>>,
    ar3: DFF<Bits<18>>,
    ai3: DFF<Bits<18>>,
    // t = b · W
    v4: DFF<Bit>,
    swap4: DFF<Bit>,
    ia4: DFF<Bits<4>>,
    ib4: DFF<Bits<4>>,
    ar4: DFF<Bits<18>>,
    ai4: DFF<Bits<18>>,
    tr4: DFF<Bits<18>>,
    ti4: DFF<Bits<18>>,
    // results
    v5: DFF<Bit>,
    swap5: DFF<Bit>,
    ia5: DFF<Bits<4>>,
    ib5: DFF<Bits<4>>,
    yar5: DFF<Bits<18>>,
    yai5: DFF<Bits<18>>,
    ybr5: DFF<Bits<18>>,
    ybi5: DFF<Bits<18>>,
    // output register
    o_valid: DFF<Bit>,
    o_index: DFF<Bits<5>>,
    o_re: DFF<Bits<18>>,
    o_im: DFF<Bits<18>>,
    // combinational
    take: Signal<Local, Bit>,
    rev4: Signal<Local, Bits<4>>,
    ext_i: Signal<Local, Bits<18>>,
    ext_q: Signal<Local, Bits<18>>,
    addr_a: Signal<Local, Bits<5>>,
    addr_b: Signal<Local, Bits<5>>,
    half: Signal<Local, Bits<5>>,
    tw: Signal<Local, Bits<4>>,
    sum_r: Signal<Local, Bits<36>>,
    sum_i: Signal<Local, Bits<36>>,
    xar: Signal<Local, Bits<19>>,
    xai: Signal<Local, Bits<19>>,
    xtr: Signal<Local, Bits<19>>,
    xti: Signal<Local, Bits<19>>,
    s_ar: Signal<Local, Bits<19>>,
    s_ai: Signal<Local, Bits<19>>,
    d_br: Signal<Local, Bits<19>>,
    d_bi: Signal<Local, Bits<19>>,
    msb16: Constant<Bits<18>>,
    bias16: Constant<Bits<18>>,
    msb18: Constant<Bits<19>>,
    bias18: Constant<Bits<19>>,
    round: Constant<Bits<36>>,
}

impl Default for Fft32 {
    fn default() -> Self {
        let t = twiddles();
        let rom = |f: &dyn Fn(&(i32, i32)) -> i32| -> SyncROM<Bits<18>, 4> {
            t.iter()
                .map(|w| Bits::<18>::from((f(w) as u64) & 0x3FFFF))
                .into()
        };
        Fft32 {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            ready: Default::default(),
            out_valid: Default::default(),
            out_index: Default::default(),
            out_re: Default::default(),
            out_im: Default::default(),
            overrun: Default::default(),
            busy: Default::default(),
            cnt: Default::default(),
            ovr: Default::default(),
            issue: Default::default(),
            stage: Default::default(),
            n: Default::default(),
            gap: Default::default(),
            re0: Default::default(),
            im0: Default::default(),
            re1: Default::default(),
            im1: Default::default(),
            cos: rom(&|w| w.0),
            sin: rom(&|w| w.1),
            v1: Default::default(),
            u1: Default::default(),
            un1: Default::default(),
            swap1: Default::default(),
            ia1: Default::default(),
            ib1: Default::default(),
            v2: Default::default(),
            swap2: Default::default(),
            ia2: Default::default(),
            ib2: Default::default(),
            ar2: Default::default(),
            ai2: Default::default(),
            br2: Default::default(),
            bi2: Default::default(),
            c2: Default::default(),
            s2: Default::default(),
            m_brc: Default::default(),
            m_bis: Default::default(),
            m_bic: Default::default(),
            m_brs: Default::default(),
            v3: Default::default(),
            swap3: Default::default(),
            ia3: Default::default(),
            ib3: Default::default(),
            ar3: Default::default(),
            ai3: Default::default(),
            v4: Default::default(),
            swap4: Default::default(),
            ia4: Default::default(),
            ib4: Default::default(),
            ar4: Default::default(),
            ai4: Default::default(),
            tr4: Default::default(),
            ti4: Default::default(),
            v5: Default::default(),
            swap5: Default::default(),
            ia5: Default::default(),
            ib5: Default::default(),
            yar5: Default::default(),
            yai5: Default::default(),
            ybr5: Default::default(),
            ybi5: Default::default(),
            o_valid: Default::default(),
            o_index: Default::default(),
            o_re: Default::default(),
            o_im: Default::default(),
            take: Default::default(),
            rev4: Default::default(),
            ext_i: Default::default(),
            ext_q: Default::default(),
            addr_a: Default::default(),
            addr_b: Default::default(),
            half: Default::default(),
            tw: Default::default(),
            sum_r: Default::default(),
            sum_i: Default::default(),
            xar: Default::default(),
            xai: Default::default(),
            xtr: Default::default(),
            xti: Default::default(),
            s_ar: Default::default(),
            s_ai: Default::default(),
            d_br: Default::default(),
            d_bi: Default::default(),
            // sign extension as (x ⊕ msb) − msb, the subtraction as adding its complement
            msb16: Constant::new(Bits::<18>::from(0x8000u64)),
            bias16: Constant::new(Bits::<18>::from(0x38000u64)),
            msb18: Constant::new(Bits::<19>::from(0x20000u64)),
            bias18: Constant::new(Bits::<19>::from(0x60000u64)),
            round: Constant::new(Bits::<36>::from(0x8000u64)),
        }
    }
}

impl Logic for Fft32 {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, busy, cnt, ovr, issue, stage, n, gap, v1, u1, un1, swap1, ia1, ib1, v2,
            swap2, ia2, ib2, ar2, ai2, br2, bi2, c2, s2, v3, swap3, ia3, ib3, ar3, ai3, v4, swap4,
            ia4, ib4, ar4, ai4, tr4, ti4, v5, swap5, ia5, ib5, yar5, yai5, ybr5, ybi5, o_valid,
            o_index, o_re, o_im
        );
        self.re0.read_clock.next = self.clock.val();
        self.re0.write_clock.next = self.clock.val();
        self.im0.read_clock.next = self.clock.val();
        self.im0.write_clock.next = self.clock.val();
        self.re1.read_clock.next = self.clock.val();
        self.re1.write_clock.next = self.clock.val();
        self.im1.read_clock.next = self.clock.val();
        self.im1.write_clock.next = self.clock.val();
        self.cos.clock.next = self.clock.val();
        self.sin.clock.next = self.clock.val();
        self.m_brc.clock.next = self.clock.val();
        self.m_bis.clock.next = self.clock.val();
        self.m_bic.clock.next = self.clock.val();
        self.m_brs.clock.next = self.clock.val();

        // ---- taking samples: sample k at bit-reversed address r (bank parity(k), r >> 1 =
        // k₀k₁k₂k₃), doubled and sign-extended to 18 bits
        self.ready.next = !self.busy.q.val();
        self.take.next = self.in_valid.val() & !self.busy.q.val();
        if self.in_valid.val() & self.busy.q.val() {
            self.ovr.d.next = true;
        }
        self.rev4.next = (bit_cast::<4, 1>(self.cnt.q.val().get_bit(0).into()) << 3)
            | (bit_cast::<4, 1>(self.cnt.q.val().get_bit(1).into()) << 2)
            | (bit_cast::<4, 1>(self.cnt.q.val().get_bit(2).into()) << 1)
            | bit_cast::<4, 1>(self.cnt.q.val().get_bit(3).into());
        self.ext_i.next = ((bit_cast::<18, 16>(unsigned_cast(self.in_i.val())) ^ self.msb16.val())
            + self.bias16.val())
            << 1;
        self.ext_q.next = ((bit_cast::<18, 16>(unsigned_cast(self.in_q.val())) ^ self.msb16.val())
            + self.bias16.val())
            << 1;
        if self.take.val() {
            self.cnt.d.next = self.cnt.q.val() + 1;
            if self.cnt.q.val() == 31 {
                self.busy.d.next = true;
                self.issue.d.next = true;
                self.stage.d.next = 0.into();
                self.n.d.next = 0.into();
            }
        }

        // ---- issuing: butterfly n of stage s pairs a (a 0 inserted at bit s of n) with
        // a + 2ˢ, twiddle (n mod 2ˢ) · 2⁴⁻ˢ; stage 5 reads the bins in order
        self.addr_a.next = bit_cast::<5, 4>(self.n.q.val().get_bits::<4>(0));
        self.half.next = 16.into();
        self.tw.next = self.n.q.val().get_bits::<4>(0);
        if self.stage.q.val() == 0 {
            self.addr_a.next = bit_cast::<5, 4>(self.n.q.val().get_bits::<4>(0)) << 1;
            self.half.next = 1.into();
            self.tw.next = 0.into();
        }
        if self.stage.q.val() == 1 {
            self.addr_a.next = (bit_cast::<5, 3>(self.n.q.val().get_bits::<3>(1)) << 2)
                | bit_cast::<5, 1>(self.n.q.val().get_bits::<1>(0));
            self.half.next = 2.into();
            self.tw.next = bit_cast::<4, 1>(self.n.q.val().get_bits::<1>(0)) << 3;
        }
        if self.stage.q.val() == 2 {
            self.addr_a.next = (bit_cast::<5, 2>(self.n.q.val().get_bits::<2>(2)) << 3)
                | bit_cast::<5, 2>(self.n.q.val().get_bits::<2>(0));
            self.half.next = 4.into();
            self.tw.next = bit_cast::<4, 2>(self.n.q.val().get_bits::<2>(0)) << 2;
        }
        if self.stage.q.val() == 3 {
            self.addr_a.next = (bit_cast::<5, 1>(self.n.q.val().get_bits::<1>(3)) << 4)
                | bit_cast::<5, 3>(self.n.q.val().get_bits::<3>(0));
            self.half.next = 8.into();
            self.tw.next = bit_cast::<4, 3>(self.n.q.val().get_bits::<3>(0)) << 1;
        }
        if self.stage.q.val() == 5 {
            self.addr_a.next = self.n.q.val();
        }
        self.addr_b.next = self.addr_a.val() | self.half.val();
        self.cos.address.next = self.tw.val();
        self.sin.address.next = self.tw.val();
        if self.addr_a.val().xor() {
            self.re0.read_address.next = self.addr_b.val().get_bits::<4>(1);
            self.im0.read_address.next = self.addr_b.val().get_bits::<4>(1);
            self.re1.read_address.next = self.addr_a.val().get_bits::<4>(1);
            self.im1.read_address.next = self.addr_a.val().get_bits::<4>(1);
        } else {
            self.re0.read_address.next = self.addr_a.val().get_bits::<4>(1);
            self.im0.read_address.next = self.addr_a.val().get_bits::<4>(1);
            self.re1.read_address.next = self.addr_b.val().get_bits::<4>(1);
            self.im1.read_address.next = self.addr_b.val().get_bits::<4>(1);
        }
        self.v1.d.next = self.issue.q.val() & (self.stage.q.val() != 5);
        self.u1.d.next = self.issue.q.val() & (self.stage.q.val() == 5);
        self.un1.d.next = self.n.q.val();
        self.swap1.d.next = self.addr_a.val().xor();
        self.ia1.d.next = self.addr_a.val().get_bits::<4>(1);
        self.ib1.d.next = self.addr_b.val().get_bits::<4>(1);
        if self.issue.q.val() {
            self.n.d.next = self.n.q.val() + 1;
            if ((self.stage.q.val() != 5) & (self.n.q.val() == 15))
                | ((self.stage.q.val() == 5) & (self.n.q.val() == 31))
            {
                self.issue.d.next = false;
                self.gap.d.next = 5.into();
                if self.stage.q.val() == 5 {
                    self.busy.d.next = false;
                    self.gap.d.next = 0.into();
                }
            }
        }
        if self.gap.q.val() != 0 {
            self.gap.d.next = self.gap.q.val() - 1;
            if self.gap.q.val() == 1 {
                self.issue.d.next = true;
                self.stage.d.next = self.stage.q.val() + 1;
                self.n.d.next = 0.into();
            }
        }

        // ---- operands: a from bank parity(a), b from the other
        self.v2.d.next = self.v1.q.val();
        self.swap2.d.next = self.swap1.q.val();
        self.ia2.d.next = self.ia1.q.val();
        self.ib2.d.next = self.ib1.q.val();
        if self.swap1.q.val() {
            self.ar2.d.next = self.re1.read_data.val();
            self.ai2.d.next = self.im1.read_data.val();
            self.br2.d.next = self.re0.read_data.val();
            self.bi2.d.next = self.im0.read_data.val();
        } else {
            self.ar2.d.next = self.re0.read_data.val();
            self.ai2.d.next = self.im0.read_data.val();
            self.br2.d.next = self.re1.read_data.val();
            self.bi2.d.next = self.im1.read_data.val();
        }
        self.c2.d.next = self.cos.data.val();
        self.s2.d.next = self.sin.data.val();

        // ---- products: b_re·c, b_im·s, b_im·c, b_re·s
        self.m_brc.a.next = signed_cast(self.br2.q.val());
        self.m_brc.b.next = signed_cast(self.c2.q.val());
        self.m_bis.a.next = signed_cast(self.bi2.q.val());
        self.m_bis.b.next = signed_cast(self.s2.q.val());
        self.m_bic.a.next = signed_cast(self.bi2.q.val());
        self.m_bic.b.next = signed_cast(self.c2.q.val());
        self.m_brs.a.next = signed_cast(self.br2.q.val());
        self.m_brs.b.next = signed_cast(self.s2.q.val());
        self.v3.d.next = self.v2.q.val();
        self.swap3.d.next = self.swap2.q.val();
        self.ia3.d.next = self.ia2.q.val();
        self.ib3.d.next = self.ib2.q.val();
        self.ar3.d.next = self.ar2.q.val();
        self.ai3.d.next = self.ai2.q.val();

        // ---- t = b · W, rounded: bits 33..16 of the sums plus 2¹⁵
        self.sum_r.next = unsigned_cast(self.m_brc.p.val())
            + unsigned_cast(self.m_bis.p.val())
            + self.round.val();
        self.sum_i.next = unsigned_cast(self.m_bic.p.val()) - unsigned_cast(self.m_brs.p.val())
            + self.round.val();
        self.v4.d.next = self.v3.q.val();
        self.swap4.d.next = self.swap3.q.val();
        self.ia4.d.next = self.ia3.q.val();
        self.ib4.d.next = self.ib3.q.val();
        self.ar4.d.next = self.ar3.q.val();
        self.ai4.d.next = self.ai3.q.val();
        self.tr4.d.next = self.sum_r.val().get_bits::<18>(16);
        self.ti4.d.next = self.sum_i.val().get_bits::<18>(16);

        // ---- (a ± t + 1) >> 1 in 19 bits
        self.xar.next =
            (bit_cast::<19, 18>(self.ar4.q.val()) ^ self.msb18.val()) + self.bias18.val();
        self.xai.next =
            (bit_cast::<19, 18>(self.ai4.q.val()) ^ self.msb18.val()) + self.bias18.val();
        self.xtr.next =
            (bit_cast::<19, 18>(self.tr4.q.val()) ^ self.msb18.val()) + self.bias18.val();
        self.xti.next =
            (bit_cast::<19, 18>(self.ti4.q.val()) ^ self.msb18.val()) + self.bias18.val();
        self.v5.d.next = self.v4.q.val();
        self.swap5.d.next = self.swap4.q.val();
        self.ia5.d.next = self.ia4.q.val();
        self.ib5.d.next = self.ib4.q.val();
        self.s_ar.next = self.xar.val() + self.xtr.val() + 1;
        self.s_ai.next = self.xai.val() + self.xti.val() + 1;
        self.d_br.next = self.xar.val() - self.xtr.val() + 1;
        self.d_bi.next = self.xai.val() - self.xti.val() + 1;
        self.yar5.d.next = self.s_ar.val().get_bits::<18>(1);
        self.yai5.d.next = self.s_ai.val().get_bits::<18>(1);
        self.ybr5.d.next = self.d_br.val().get_bits::<18>(1);
        self.ybi5.d.next = self.d_bi.val().get_bits::<18>(1);

        // ---- writes: the results of a butterfly, or a sample taken
        self.re0.write_enable.next = false;
        self.im0.write_enable.next = false;
        self.re1.write_enable.next = false;
        self.im1.write_enable.next = false;
        self.re0.write_address.next = self.rev4.val();
        self.im0.write_address.next = self.rev4.val();
        self.re1.write_address.next = self.rev4.val();
        self.im1.write_address.next = self.rev4.val();
        self.re0.write_data.next = self.ext_i.val();
        self.im0.write_data.next = self.ext_q.val();
        self.re1.write_data.next = self.ext_i.val();
        self.im1.write_data.next = self.ext_q.val();
        if self.take.val() {
            if self.cnt.q.val().xor() {
                self.re1.write_enable.next = true;
                self.im1.write_enable.next = true;
            } else {
                self.re0.write_enable.next = true;
                self.im0.write_enable.next = true;
            }
        }
        if self.v5.q.val() {
            self.re0.write_enable.next = true;
            self.im0.write_enable.next = true;
            self.re1.write_enable.next = true;
            self.im1.write_enable.next = true;
            if self.swap5.q.val() {
                self.re1.write_address.next = self.ia5.q.val();
                self.im1.write_address.next = self.ia5.q.val();
                self.re1.write_data.next = self.yar5.q.val();
                self.im1.write_data.next = self.yai5.q.val();
                self.re0.write_address.next = self.ib5.q.val();
                self.im0.write_address.next = self.ib5.q.val();
                self.re0.write_data.next = self.ybr5.q.val();
                self.im0.write_data.next = self.ybi5.q.val();
            } else {
                self.re0.write_address.next = self.ia5.q.val();
                self.im0.write_address.next = self.ia5.q.val();
                self.re0.write_data.next = self.yar5.q.val();
                self.im0.write_data.next = self.yai5.q.val();
                self.re1.write_address.next = self.ib5.q.val();
                self.im1.write_address.next = self.ib5.q.val();
                self.re1.write_data.next = self.ybr5.q.val();
                self.im1.write_data.next = self.ybi5.q.val();
            }
        }

        // ---- the bins: word n from bank parity(n)
        self.o_valid.d.next = self.u1.q.val();
        self.o_index.d.next = self.un1.q.val();
        if self.swap1.q.val() {
            self.o_re.d.next = self.re1.read_data.val();
            self.o_im.d.next = self.im1.read_data.val();
        } else {
            self.o_re.d.next = self.re0.read_data.val();
            self.o_im.d.next = self.im0.read_data.val();
        }
        self.out_valid.next = self.o_valid.q.val();
        self.out_index.next = self.o_index.q.val();
        self.out_re.next = signed_cast(self.o_re.q.val());
        self.out_im.next = signed_cast(self.o_im.q.val());
        self.overrun.next = self.ovr.q.val();
    }
}
