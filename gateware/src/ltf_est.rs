//! The SID filter's LTF channel estimator, the demapper's first block: the FFT's bins of a
//! frame's four LTF symbols accumulated against the LTF sequence (read-modify-write, one
//! bin per clock), then on `start` two passes over the 32 accumulators — the OR of their
//! magnitudes for the normalising shift, then `H = A · 2^sh` written over them with
//! `Σ|H|²` summed through two 18 × 18 products — and the square of the energy's top bits
//! for the soft values' scale. Bit-exact and clock-exact with the model
//! [`subgate_dsp::frontend::ltf_est`], whose module documentation gives the rules and the
//! timing; `H` is read back over a read port.

use rust_hdl::prelude::*;
use subgate_dsp::frontend::ltf_est::ltf_signs;

use crate::mul18::Mul18;

pub use subgate_dsp::frontend::ltf_est::DONE;

// `update` spells it as literals (hdl_gen copies them verbatim).
const _: () = assert!(DONE == 71);

/// The estimator block.
#[derive(LogicBlock)]
pub struct LtfEst {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// A bin is on the inputs.
    pub in_valid: Signal<In, Bit>,
    /// Its index.
    pub in_index: Signal<In, Bits<5>>,
    /// Real part (18-bit, as the FFT gives it).
    pub in_re: Signal<In, Signed<18>>,
    /// Imaginary part.
    pub in_im: Signal<In, Signed<18>>,
    /// The frame's first LTF symbol: the bin replaces its accumulator.
    pub in_first: Signal<In, Bit>,
    /// Make the estimate (taken when not busy).
    pub start: Signal<In, Bit>,
    /// Read-port address (used while idle).
    pub rd_addr: Signal<In, Bits<5>>,
    /// `H` at the address of the clock before: real part.
    pub rd_re: Signal<Out, Signed<18>>,
    /// Imaginary part.
    pub rd_im: Signal<Out, Signed<18>>,
    /// The estimate is made (one clock).
    pub done: Signal<Out, Bit>,
    /// Its shift, two's complement (−4..16).
    pub out_sh: Signal<Out, Bits<6>>,
    /// `bitlen((Σ|H|² >> 21)²)`.
    pub out_square_bits: Signal<Out, Bits<6>>,
    /// An estimate is being made.
    pub busy: Signal<Out, Bit>,
    acc_re: RAM<Bits<21>, 5>,
    acc_im: RAM<Bits<21>, 5>,
    bsy: DFF<Bit>,
    cnt: DFF<Bits<7>>,
    // accumulate
    v1: DFF<Bit>,
    idx1: DFF<Bits<5>>,
    first1: DFF<Bit>,
    ly_re: DFF<Bits<21>>,
    ly_im: DFF<Bits<21>>,
    // pass 1
    orv: DFF<Bits<20>>,
    lsh: DFF<Bits<5>>,
    rsh: DFF<Bits<3>>,
    sh: DFF<Bits<6>>,
    // pass 2
    hv: DFF<Bit>,
    haddr: DFF<Bits<5>>,
    h_re: DFF<Bits<18>>,
    h_im: DFF<Bits<18>>,
    m_re: Mul18,
    m_im: Mul18,
    energy: DFF<Bits<40>>,
    o_done: DFF<Bit>,
    o_sq: DFF<Bits<6>>,
    // combinational
    ext_re: Signal<Local, Bits<21>>,
    ext_im: Signal<Local, Bits<21>>,
    mag_re: Signal<Local, Bits<21>>,
    mag_im: Signal<Local, Bits<21>>,
    e: Signal<Local, Bits<5>>,
    x24_re: Signal<Local, Bits<24>>,
    x24_im: Signal<Local, Bits<24>>,
    sq: Signal<Local, Bits<36>>,
    p1_addr: Signal<Local, Bits<7>>,
    p2_addr: Signal<Local, Bits<7>>,
    h_addr: Signal<Local, Bits<7>>,
    e16: Signal<Local, Bits<5>>,
    sr_re: Signal<Local, Bits<24>>,
    sr_im: Signal<Local, Bits<24>>,
    sl_re: Signal<Local, Bits<24>>,
    sl_im: Signal<Local, Bits<24>>,
    sqb: Signal<Local, Bits<6>>,
    used: Constant<Bits<32>>,
    neg: Constant<Bits<32>>,
    msb18: Constant<Bits<21>>,
    bias18: Constant<Bits<21>>,
    msb21: Constant<Bits<24>>,
    bias21: Constant<Bits<24>>,
}

impl Default for LtfEst {
    fn default() -> Self {
        let signs = ltf_signs();
        let mask = |pick: fn(i8) -> bool| {
            let m = signs
                .iter()
                .enumerate()
                .filter(|(_, &s)| pick(s))
                .fold(0u64, |m, (k, _)| m | 1 << k);
            Constant::new(Bits::<32>::from(m))
        };
        LtfEst {
            clock: Default::default(),
            in_valid: Default::default(),
            in_index: Default::default(),
            in_re: Default::default(),
            in_im: Default::default(),
            in_first: Default::default(),
            start: Default::default(),
            rd_addr: Default::default(),
            rd_re: Default::default(),
            rd_im: Default::default(),
            done: Default::default(),
            out_sh: Default::default(),
            out_square_bits: Default::default(),
            busy: Default::default(),
            acc_re: Default::default(),
            acc_im: Default::default(),
            bsy: Default::default(),
            cnt: Default::default(),
            v1: Default::default(),
            idx1: Default::default(),
            first1: Default::default(),
            ly_re: Default::default(),
            ly_im: Default::default(),
            orv: Default::default(),
            lsh: Default::default(),
            rsh: Default::default(),
            sh: Default::default(),
            hv: Default::default(),
            haddr: Default::default(),
            h_re: Default::default(),
            h_im: Default::default(),
            m_re: Default::default(),
            m_im: Default::default(),
            energy: Default::default(),
            o_done: Default::default(),
            o_sq: Default::default(),
            ext_re: Default::default(),
            ext_im: Default::default(),
            mag_re: Default::default(),
            mag_im: Default::default(),
            e: Default::default(),
            x24_re: Default::default(),
            x24_im: Default::default(),
            sq: Default::default(),
            p1_addr: Default::default(),
            p2_addr: Default::default(),
            h_addr: Default::default(),
            e16: Default::default(),
            sr_re: Default::default(),
            sr_im: Default::default(),
            sl_re: Default::default(),
            sl_im: Default::default(),
            sqb: Default::default(),
            used: mask(|s| s != 0),
            neg: mask(|s| s < 0),
            // sign extension as (x ⊕ msb) − msb
            msb18: Constant::new(Bits::<21>::from(0x20000u64)),
            bias18: Constant::new(Bits::<21>::from(0x1E0000u64)),
            msb21: Constant::new(Bits::<24>::from(0x100000u64)),
            bias21: Constant::new(Bits::<24>::from(0xF00000u64)),
        }
    }
}

impl Logic for LtfEst {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, bsy, cnt, v1, idx1, first1, ly_re, ly_im, orv, lsh, rsh, sh, hv, haddr,
            h_re, h_im, energy, o_done, o_sq
        );
        self.acc_re.read_clock.next = self.clock.val();
        self.acc_re.write_clock.next = self.clock.val();
        self.acc_im.read_clock.next = self.clock.val();
        self.acc_im.write_clock.next = self.clock.val();
        self.m_re.clock.next = self.clock.val();
        self.m_im.clock.next = self.clock.val();

        self.p1_addr.next = self.cnt.q.val() - 1;
        self.p2_addr.next = self.cnt.q.val() - 35;
        self.h_addr.next = self.cnt.q.val() - 36;
        // ---- read port: the passes while busy, a bin's accumulator, else the caller's
        self.acc_re.read_address.next = self.rd_addr.val();
        self.acc_im.read_address.next = self.rd_addr.val();
        if self.in_valid.val() {
            self.acc_re.read_address.next = self.in_index.val();
            self.acc_im.read_address.next = self.in_index.val();
        }
        if self.bsy.q.val() {
            if self.cnt.q.val() < 35 {
                self.acc_re.read_address.next = self.p1_addr.val().get_bits::<5>(0);
                self.acc_im.read_address.next = self.p1_addr.val().get_bits::<5>(0);
            } else {
                self.acc_re.read_address.next = self.p2_addr.val().get_bits::<5>(0);
                self.acc_im.read_address.next = self.p2_addr.val().get_bits::<5>(0);
            }
        }
        self.rd_re.next = signed_cast(self.acc_re.read_data.val().get_bits::<18>(0));
        self.rd_im.next = signed_cast(self.acc_im.read_data.val().get_bits::<18>(0));

        // ---- accumulate: the bin times its LTF sign, added the clock after its read
        self.ext_re.next = (bit_cast::<21, 18>(unsigned_cast(self.in_re.val())) ^ self.msb18.val())
            + self.bias18.val();
        self.ext_im.next = (bit_cast::<21, 18>(unsigned_cast(self.in_im.val())) ^ self.msb18.val())
            + self.bias18.val();
        self.v1.d.next = self.in_valid.val() & !self.bsy.q.val();
        self.idx1.d.next = self.in_index.val();
        self.first1.d.next = self.in_first.val();
        self.ly_re.d.next = 0.into();
        self.ly_im.d.next = 0.into();
        if self.used.val().get_bit(self.in_index.val().index()) {
            if self.neg.val().get_bit(self.in_index.val().index()) {
                self.ly_re.d.next = (!self.ext_re.val()) + 1;
                self.ly_im.d.next = (!self.ext_im.val()) + 1;
            } else {
                self.ly_re.d.next = self.ext_re.val();
                self.ly_im.d.next = self.ext_im.val();
            }
        }
        self.acc_re.write_enable.next = false;
        self.acc_im.write_enable.next = false;
        self.acc_re.write_address.next = self.idx1.q.val();
        self.acc_im.write_address.next = self.idx1.q.val();
        self.acc_re.write_data.next = self.acc_re.read_data.val() + self.ly_re.q.val();
        self.acc_im.write_data.next = self.acc_im.read_data.val() + self.ly_im.q.val();
        if self.first1.q.val() {
            self.acc_re.write_data.next = self.ly_re.q.val();
            self.acc_im.write_data.next = self.ly_im.q.val();
        }
        if self.v1.q.val() {
            self.acc_re.write_enable.next = true;
            self.acc_im.write_enable.next = true;
        }

        // ---- start, and the count of clocks since
        if self.start.val() & !self.bsy.q.val() {
            self.bsy.d.next = true;
            self.cnt.d.next = 1.into();
            self.orv.d.next = 0.into();
            self.energy.d.next = 0.into();
        }
        if self.bsy.q.val() {
            self.cnt.d.next = self.cnt.q.val() + 1;
        }

        // ---- pass 1: the OR of the magnitudes (reads at counts 1..32, data at 2..33)
        self.mag_re.next = self.acc_re.read_data.val();
        if self.acc_re.read_data.val().get_bit(20) {
            self.mag_re.next = (!self.acc_re.read_data.val()) + 1;
        }
        self.mag_im.next = self.acc_im.read_data.val();
        if self.acc_im.read_data.val().get_bit(20) {
            self.mag_im.next = (!self.acc_im.read_data.val()) + 1;
        }
        if self.bsy.q.val() & (self.cnt.q.val() >= 2) & (self.cnt.q.val() <= 33) {
            self.orv.d.next = self.orv.q.val()
                | self.mag_re.val().get_bits::<20>(0)
                | self.mag_im.val().get_bits::<20>(0);
        }
        // count 34: e = bitlen(OR), sh = 16 − e
        self.e.next = 0.into();
        if self.orv.q.val().get_bit(0) {
            self.e.next = 1.into();
        }
        if self.orv.q.val().get_bit(1) {
            self.e.next = 2.into();
        }
        if self.orv.q.val().get_bit(2) {
            self.e.next = 3.into();
        }
        if self.orv.q.val().get_bit(3) {
            self.e.next = 4.into();
        }
        if self.orv.q.val().get_bit(4) {
            self.e.next = 5.into();
        }
        if self.orv.q.val().get_bit(5) {
            self.e.next = 6.into();
        }
        if self.orv.q.val().get_bit(6) {
            self.e.next = 7.into();
        }
        if self.orv.q.val().get_bit(7) {
            self.e.next = 8.into();
        }
        if self.orv.q.val().get_bit(8) {
            self.e.next = 9.into();
        }
        if self.orv.q.val().get_bit(9) {
            self.e.next = 10.into();
        }
        if self.orv.q.val().get_bit(10) {
            self.e.next = 11.into();
        }
        if self.orv.q.val().get_bit(11) {
            self.e.next = 12.into();
        }
        if self.orv.q.val().get_bit(12) {
            self.e.next = 13.into();
        }
        if self.orv.q.val().get_bit(13) {
            self.e.next = 14.into();
        }
        if self.orv.q.val().get_bit(14) {
            self.e.next = 15.into();
        }
        if self.orv.q.val().get_bit(15) {
            self.e.next = 16.into();
        }
        if self.orv.q.val().get_bit(16) {
            self.e.next = 17.into();
        }
        if self.orv.q.val().get_bit(17) {
            self.e.next = 18.into();
        }
        if self.orv.q.val().get_bit(18) {
            self.e.next = 19.into();
        }
        if self.orv.q.val().get_bit(19) {
            self.e.next = 20.into();
        }
        self.e16.next = self.e.val() - 16;
        if self.bsy.q.val() & (self.cnt.q.val() == 34) {
            self.sh.d.next = bit_cast::<6, 5>(16.into()) - bit_cast::<6, 5>(self.e.val());
            if self.e.val() > 16 {
                self.lsh.d.next = 0.into();
                self.rsh.d.next = self.e16.val().get_bits::<3>(0);
            } else {
                self.lsh.d.next = bit_cast::<5, 5>(16.into()) - self.e.val();
                self.rsh.d.next = 0.into();
            }
        }

        // ---- pass 2: reads at 35..66, H registered at 36..67, written at 37..68
        self.x24_re.next = (bit_cast::<24, 21>(self.acc_re.read_data.val()) ^ self.msb21.val())
            + self.bias21.val();
        self.x24_im.next = (bit_cast::<24, 21>(self.acc_im.read_data.val()) ^ self.msb21.val())
            + self.bias21.val();
        self.hv.d.next = self.bsy.q.val() & (self.cnt.q.val() >= 36) & (self.cnt.q.val() <= 67);
        self.haddr.d.next = self.h_addr.val().get_bits::<5>(0);
        self.sr_re.next = self.x24_re.val() >> self.rsh.q.val();
        self.sr_im.next = self.x24_im.val() >> self.rsh.q.val();
        self.sl_re.next = self.x24_re.val() << self.lsh.q.val();
        self.sl_im.next = self.x24_im.val() << self.lsh.q.val();
        if self.rsh.q.val() != 0 {
            self.h_re.d.next = self.sr_re.val().get_bits::<18>(0);
            self.h_im.d.next = self.sr_im.val().get_bits::<18>(0);
        } else {
            self.h_re.d.next = self.sl_re.val().get_bits::<18>(0);
            self.h_im.d.next = self.sl_im.val().get_bits::<18>(0);
        }
        if self.hv.q.val() {
            self.acc_re.write_enable.next = true;
            self.acc_im.write_enable.next = true;
            self.acc_re.write_address.next = self.haddr.q.val();
            self.acc_im.write_address.next = self.haddr.q.val();
            self.acc_re.write_data.next =
                (bit_cast::<21, 18>(self.h_re.q.val()) ^ self.msb18.val()) + self.bias18.val();
            self.acc_im.write_data.next =
                (bit_cast::<21, 18>(self.h_im.q.val()) ^ self.msb18.val()) + self.bias18.val();
        }
        // |H|² through the two products (inputs at 37..68, products at 38..69); at 70 the
        // energy's top 17 bits squared
        self.m_re.a.next = signed_cast(self.h_re.q.val());
        self.m_re.b.next = signed_cast(self.h_re.q.val());
        self.m_im.a.next = signed_cast(self.h_im.q.val());
        self.m_im.b.next = signed_cast(self.h_im.q.val());
        if self.cnt.q.val() == 70 {
            self.m_re.a.next =
                signed_cast(bit_cast::<18, 17>(self.energy.q.val().get_bits::<17>(21)));
            self.m_re.b.next =
                signed_cast(bit_cast::<18, 17>(self.energy.q.val().get_bits::<17>(21)));
        }
        if self.bsy.q.val() & (self.cnt.q.val() >= 38) & (self.cnt.q.val() <= 69) {
            self.energy.d.next = self.energy.q.val()
                + bit_cast::<40, 36>(unsigned_cast(self.m_re.p.val()))
                + bit_cast::<40, 36>(unsigned_cast(self.m_im.p.val()));
        }
        // count 71: the square's bit length, done
        self.sq.next = unsigned_cast(self.m_re.p.val());
        self.sqb.next = 0.into();
        if self.sq.val().get_bit(0) {
            self.sqb.next = 1.into();
        }
        if self.sq.val().get_bit(1) {
            self.sqb.next = 2.into();
        }
        if self.sq.val().get_bit(2) {
            self.sqb.next = 3.into();
        }
        if self.sq.val().get_bit(3) {
            self.sqb.next = 4.into();
        }
        if self.sq.val().get_bit(4) {
            self.sqb.next = 5.into();
        }
        if self.sq.val().get_bit(5) {
            self.sqb.next = 6.into();
        }
        if self.sq.val().get_bit(6) {
            self.sqb.next = 7.into();
        }
        if self.sq.val().get_bit(7) {
            self.sqb.next = 8.into();
        }
        if self.sq.val().get_bit(8) {
            self.sqb.next = 9.into();
        }
        if self.sq.val().get_bit(9) {
            self.sqb.next = 10.into();
        }
        if self.sq.val().get_bit(10) {
            self.sqb.next = 11.into();
        }
        if self.sq.val().get_bit(11) {
            self.sqb.next = 12.into();
        }
        if self.sq.val().get_bit(12) {
            self.sqb.next = 13.into();
        }
        if self.sq.val().get_bit(13) {
            self.sqb.next = 14.into();
        }
        if self.sq.val().get_bit(14) {
            self.sqb.next = 15.into();
        }
        if self.sq.val().get_bit(15) {
            self.sqb.next = 16.into();
        }
        if self.sq.val().get_bit(16) {
            self.sqb.next = 17.into();
        }
        if self.sq.val().get_bit(17) {
            self.sqb.next = 18.into();
        }
        if self.sq.val().get_bit(18) {
            self.sqb.next = 19.into();
        }
        if self.sq.val().get_bit(19) {
            self.sqb.next = 20.into();
        }
        if self.sq.val().get_bit(20) {
            self.sqb.next = 21.into();
        }
        if self.sq.val().get_bit(21) {
            self.sqb.next = 22.into();
        }
        if self.sq.val().get_bit(22) {
            self.sqb.next = 23.into();
        }
        if self.sq.val().get_bit(23) {
            self.sqb.next = 24.into();
        }
        if self.sq.val().get_bit(24) {
            self.sqb.next = 25.into();
        }
        if self.sq.val().get_bit(25) {
            self.sqb.next = 26.into();
        }
        if self.sq.val().get_bit(26) {
            self.sqb.next = 27.into();
        }
        if self.sq.val().get_bit(27) {
            self.sqb.next = 28.into();
        }
        if self.sq.val().get_bit(28) {
            self.sqb.next = 29.into();
        }
        if self.sq.val().get_bit(29) {
            self.sqb.next = 30.into();
        }
        if self.sq.val().get_bit(30) {
            self.sqb.next = 31.into();
        }
        if self.sq.val().get_bit(31) {
            self.sqb.next = 32.into();
        }
        if self.sq.val().get_bit(32) {
            self.sqb.next = 33.into();
        }
        if self.sq.val().get_bit(33) {
            self.sqb.next = 34.into();
        }
        if self.sq.val().get_bit(34) {
            self.sqb.next = 35.into();
        }
        if self.sq.val().get_bit(35) {
            self.sqb.next = 36.into();
        }
        self.o_done.d.next = false;
        if self.bsy.q.val() & (self.cnt.q.val() == 71) {
            self.o_done.d.next = true;
            self.o_sq.d.next = self.sqb.val();
            self.bsy.d.next = false;
        }

        self.done.next = self.o_done.q.val();
        self.out_sh.next = self.sh.q.val();
        self.out_square_bits.next = self.o_sq.q.val();
        self.busy.next = self.bsy.q.val();
    }
}
