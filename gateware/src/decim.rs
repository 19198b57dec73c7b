//! Decimation chain (CIC ×8 + half-band FIR ×2 + droop compensator): takes the DDC's baseband
//! output at the ADC rate down by 16 to one channel's rate (16 Msps → 1 Msps). Bit-exact with the fixed-point
//! model [`subgate_dsp::frontend::decim`], whose module documentation gives the arithmetic
//! (6-stage CIC in 34 bits, round half up to 16 bits; 47-tap half-band with 24 signed 16-bit
//! coefficients, 32-bit accumulator, round half up and saturation to 16 bits; 3-tap
//! multiplier-free compensator for the CIC's droop).
//!
//! Throughput: one input sample per clock at most (any pattern of idle clocks). Latency:
//! [`LATENCY`] = 24 clocks from the `in_valid` of the input that completes an output (every
//! 16th valid input, the first being input 7 after configuration) to `out_valid`:
//! 1. CIC integrators, one 34-bit adder per stage and rail, each adding the previous stage's
//!    registered value on every valid input; a 3-bit counter picks every 8th valid input;
//! 2. six registered comb stages (clocks 1–6), then `+ 2¹⁷`, bits 33..18 → CIC output;
//! 3. half-band, sequential and folded: CIC outputs alternate between the odd-phase delay
//!    line (12 samples, only its oldest is used, for the centre tap ½ = a shift) and the
//!    even-phase line, a ring of I/Q words in two copies of a block RAM (so each clock
//!    can read a sample and its symmetric partner: `x[r]` and `x[23 − r]` share a
//!    coefficient). An even-phase sample is written at the ring's pointer and starts an
//!    output: the accumulator is loaded with the centre tap, then for 12 clocks the RAMs are
//!    addressed at `x[r]` and `x[23 − r]`; their data come the clock after into registers,
//!    are pre-added (17
//!    bits) and multiplied by the coefficient from a small ROM — as `2 · ((a + b) >> 1) · h`
//!    on one signed 16 × 16 multiplier per rail (2 `MULT18X18D` in all) plus `h` when the
//!    dropped bit `(a + b) & 1` is set, which is exact — and added the clock after. Even-phase
//!    samples come at least 16 clocks apart, so the 15-clock schedule always finishes first.
//!    (The first version kept the line in two rotating 12 × 16-bit registers per rail: 768
//!    flip-flops with a multiplexer each.)
//! 4. `+ 2¹⁴`, saturation from bits 31/30, bits 30..15 → half-band output register;
//! 5. droop compensator on each half-band output: `10·y[m−1] − y[m] − y[m−2] + 4` in 20 bits
//!    (shifts and adds), saturation from bits 19/18, bits 18..3 → output register.
//!
//! Arithmetic is done on `Bits` (two's complement wraps, as the model's) except the products,
//! which are `Signed` 16 × 16; sign extension is `(x ^ 0x8000) − 0x8000` in the wider width, and
//! every part-select is taken from a registered or local signal (../shared/DESIGN.md §5).

use rust_hdl::prelude::*;
use subgate_dsp::frontend::decim::{
    halfband_taps, CIC_RATE, CIC_SHIFT, CIC_STAGES, CIC_WIDTH, COMP_SHIFT, HB_SHIFT, HB_TAPS,
};

pub use subgate_dsp::frontend::decim::LATENCY;

/// Rotation steps per half-band output (two products per step and rail).
const STEPS: usize = HB_TAPS / 2;
// `update` hard-codes the widths and offsets below as literals (hdl_gen copies them into the
// Verilog verbatim, so they cannot name a const): 34-bit CIC, bits 18.. of its sum, a 3-bit
// decimation counter, a 512-slot even-phase ring (9-bit pointer, the partner 24 back), 12 ×
// 16-bit odd line (oldest at 176), 12 steps (last = 11), centre shift 14, output bits 15.. .
const _: () = assert!(
    CIC_WIDTH == 34
        && CIC_SHIFT == 18
        && CIC_RATE == 8
        && CIC_STAGES == 6
        && HB_TAPS == 24
        && STEPS == 12
        && HB_SHIFT == 15
        && COMP_SHIFT == 3
);

/// The decimation chain block (one complex channel).
#[derive(LogicBlock)]
pub struct Decimator {
    /// Sample clock.
    pub clock: Signal<In, Clock>,
    /// High for one clock per input sample (at most one per clock).
    pub in_valid: Signal<In, Bit>,
    /// In-phase input, signed 16-bit (the DDC's output).
    pub in_i: Signal<In, Signed<16>>,
    /// Quadrature input, signed 16-bit.
    pub in_q: Signal<In, Signed<16>>,
    /// High for one clock per output sample, [`LATENCY`] clocks after the `in_valid` of every
    /// 16th input.
    pub out_valid: Signal<Out, Bit>,
    /// In-phase output at 1/16 of the input rate, signed 16-bit.
    pub out_i: Signal<Out, Signed<16>>,
    /// Quadrature output, signed 16-bit.
    pub out_q: Signal<Out, Signed<16>>,
    count: DFF<Bits<3>>,
    decimate: Signal<Local, Bit>,
    ext_i: Signal<Local, Bits<34>>,
    ext_q: Signal<Local, Bits<34>>,
    msb16: Constant<Bits<16>>,
    offset34: Constant<Bits<34>>,
    int_i0: DFF<Bits<34>>,
    int_i1: DFF<Bits<34>>,
    int_i2: DFF<Bits<34>>,
    int_i3: DFF<Bits<34>>,
    int_i4: DFF<Bits<34>>,
    int_i5: DFF<Bits<34>>,
    int_q0: DFF<Bits<34>>,
    int_q1: DFF<Bits<34>>,
    int_q2: DFF<Bits<34>>,
    int_q3: DFF<Bits<34>>,
    int_q4: DFF<Bits<34>>,
    int_q5: DFF<Bits<34>>,
    cv1: DFF<Bit>,
    cv2: DFF<Bit>,
    cv3: DFF<Bit>,
    cv4: DFF<Bit>,
    cv5: DFF<Bit>,
    cv6: DFF<Bit>,
    comb_i1: DFF<Bits<34>>,
    dly_i1: DFF<Bits<34>>,
    comb_i2: DFF<Bits<34>>,
    dly_i2: DFF<Bits<34>>,
    comb_i3: DFF<Bits<34>>,
    dly_i3: DFF<Bits<34>>,
    comb_i4: DFF<Bits<34>>,
    dly_i4: DFF<Bits<34>>,
    comb_i5: DFF<Bits<34>>,
    dly_i5: DFF<Bits<34>>,
    comb_i6: DFF<Bits<34>>,
    dly_i6: DFF<Bits<34>>,
    comb_q1: DFF<Bits<34>>,
    dly_q1: DFF<Bits<34>>,
    comb_q2: DFF<Bits<34>>,
    dly_q2: DFF<Bits<34>>,
    comb_q3: DFF<Bits<34>>,
    dly_q3: DFF<Bits<34>>,
    comb_q4: DFF<Bits<34>>,
    dly_q4: DFF<Bits<34>>,
    comb_q5: DFF<Bits<34>>,
    dly_q5: DFF<Bits<34>>,
    comb_q6: DFF<Bits<34>>,
    dly_q6: DFF<Bits<34>>,
    cic_round: Constant<Bits<34>>,
    cic_sum_i: Signal<Local, Bits<34>>,
    cic_sum_q: Signal<Local, Bits<34>>,
    cic_i: Signal<Local, Bits<16>>,
    cic_q: Signal<Local, Bits<16>>,
    odd_phase: DFF<Bit>,
    line_a: RAM<Bits<32>, 9>,
    line_b: RAM<Bits<32>, 9>,
    wp: DFF<Bits<9>>,
    xa: DFF<Bits<32>>,
    xb: DFF<Bits<32>>,
    rbusy: DFF<Bit>,
    rstep: DFF<Bits<4>>,
    xbusy: DFF<Bit>,
    xstep: DFF<Bits<4>>,
    odd_i: DFF<Bits<192>>,
    odd_q: DFF<Bits<192>>,
    offset32: Constant<Bits<32>>,
    centre_i: Signal<Local, Bits<32>>,
    centre_q: Signal<Local, Bits<32>>,
    busy: DFF<Bit>,
    step: DFF<Bits<4>>,
    coef: ROM<Signed<16>, 4>,
    coef_ext: Signal<Local, Bits<32>>,
    pre_i: Signal<Local, Bits<17>>,
    pre_q: Signal<Local, Bits<17>>,
    half_i: Signal<Local, Signed<16>>,
    half_q: Signal<Local, Signed<16>>,
    prod_i: DFF<Signed<32>>,
    prod_q: DFF<Signed<32>>,
    odd_bit_i: DFF<Bits<32>>,
    odd_bit_q: DFF<Bits<32>>,
    mac: DFF<Bit>,
    last: DFF<Bit>,
    fin: DFF<Bit>,
    acc_i: DFF<Bits<32>>,
    acc_q: DFF<Bits<32>>,
    hb_round: Constant<Bits<32>>,
    sum_i: Signal<Local, Bits<32>>,
    sum_q: Signal<Local, Bits<32>>,
    pos_max: Constant<Signed<16>>,
    neg_max: Constant<Signed<16>>,
    y_valid: DFF<Bit>,
    y_i: DFF<Signed<16>>,
    y_q: DFF<Signed<16>>,
    offset20: Constant<Bits<20>>,
    comp_round: Constant<Bits<20>>,
    hist1_i: DFF<Bits<16>>,
    hist2_i: DFF<Bits<16>>,
    hist1_q: DFF<Bits<16>>,
    hist2_q: DFF<Bits<16>>,
    ey_i: Signal<Local, Bits<20>>,
    e1_i: Signal<Local, Bits<20>>,
    e2_i: Signal<Local, Bits<20>>,
    ey_q: Signal<Local, Bits<20>>,
    e1_q: Signal<Local, Bits<20>>,
    e2_q: Signal<Local, Bits<20>>,
    comp_i: Signal<Local, Bits<20>>,
    comp_q: Signal<Local, Bits<20>>,
    z_valid: DFF<Bit>,
    z_i: DFF<Signed<16>>,
    z_q: DFF<Signed<16>>,
}

impl Decimator {
    /// A chain with its coefficient ROMs filled from the model's taps, all state zero.
    pub fn new() -> Self {
        let taps = halfband_taps();
        // step r multiplies the pair x[r] + x[23 − r] by h[2r] = h[2(23 − r)]; entries 12..16
        // are never addressed
        let coef: ROM<Signed<16>, 4> = (0..16)
            .map(|r| Signed::<16>::from(i64::from(taps.get(r).copied().unwrap_or(0))))
            .into();
        Decimator {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            out_valid: Default::default(),
            out_i: Default::default(),
            out_q: Default::default(),
            count: Default::default(),
            decimate: Default::default(),
            ext_i: Default::default(),
            ext_q: Default::default(),
            msb16: Constant::new(Bits::<16>::from(0x8000u64)),
            offset34: Constant::new(Bits::<34>::from(0x8000u64)),
            int_i0: Default::default(),
            int_i1: Default::default(),
            int_i2: Default::default(),
            int_i3: Default::default(),
            int_i4: Default::default(),
            int_i5: Default::default(),
            int_q0: Default::default(),
            int_q1: Default::default(),
            int_q2: Default::default(),
            int_q3: Default::default(),
            int_q4: Default::default(),
            int_q5: Default::default(),
            cv1: Default::default(),
            cv2: Default::default(),
            cv3: Default::default(),
            cv4: Default::default(),
            cv5: Default::default(),
            cv6: Default::default(),
            comb_i1: Default::default(),
            dly_i1: Default::default(),
            comb_i2: Default::default(),
            dly_i2: Default::default(),
            comb_i3: Default::default(),
            dly_i3: Default::default(),
            comb_i4: Default::default(),
            dly_i4: Default::default(),
            comb_i5: Default::default(),
            dly_i5: Default::default(),
            comb_i6: Default::default(),
            dly_i6: Default::default(),
            comb_q1: Default::default(),
            dly_q1: Default::default(),
            comb_q2: Default::default(),
            dly_q2: Default::default(),
            comb_q3: Default::default(),
            dly_q3: Default::default(),
            comb_q4: Default::default(),
            dly_q4: Default::default(),
            comb_q5: Default::default(),
            dly_q5: Default::default(),
            comb_q6: Default::default(),
            dly_q6: Default::default(),
            cic_round: Constant::new(Bits::<34>::from(1u64 << (CIC_SHIFT - 1))),
            cic_sum_i: Default::default(),
            cic_sum_q: Default::default(),
            cic_i: Default::default(),
            cic_q: Default::default(),
            odd_phase: Default::default(),
            line_a: (0..512).map(|_| Bits::<32>::default()).into(),
            line_b: (0..512).map(|_| Bits::<32>::default()).into(),
            wp: Default::default(),
            xa: Default::default(),
            xb: Default::default(),
            rbusy: Default::default(),
            rstep: Default::default(),
            xbusy: Default::default(),
            xstep: Default::default(),
            odd_i: Default::default(),
            odd_q: Default::default(),
            offset32: Constant::new(Bits::<32>::from(0x8000u64)),
            centre_i: Default::default(),
            centre_q: Default::default(),
            busy: Default::default(),
            step: Default::default(),
            coef,
            coef_ext: Default::default(),
            pre_i: Default::default(),
            pre_q: Default::default(),
            half_i: Default::default(),
            half_q: Default::default(),
            prod_i: Default::default(),
            prod_q: Default::default(),
            odd_bit_i: Default::default(),
            odd_bit_q: Default::default(),
            mac: Default::default(),
            last: Default::default(),
            fin: Default::default(),
            acc_i: Default::default(),
            acc_q: Default::default(),
            hb_round: Constant::new(Bits::<32>::from(1u64 << (HB_SHIFT - 1))),
            sum_i: Default::default(),
            sum_q: Default::default(),
            pos_max: Constant::new(Signed::<16>::from(i64::from(i16::MAX))),
            neg_max: Constant::new(Signed::<16>::from(i64::from(i16::MIN))),
            y_valid: Default::default(),
            y_i: Default::default(),
            y_q: Default::default(),
            offset20: Constant::new(Bits::<20>::from(0x8000u64)),
            comp_round: Constant::new(Bits::<20>::from(1u64 << (COMP_SHIFT - 1))),
            hist1_i: Default::default(),
            hist2_i: Default::default(),
            hist1_q: Default::default(),
            hist2_q: Default::default(),
            ey_i: Default::default(),
            e1_i: Default::default(),
            e2_i: Default::default(),
            ey_q: Default::default(),
            e1_q: Default::default(),
            e2_q: Default::default(),
            comp_i: Default::default(),
            comp_q: Default::default(),
            z_valid: Default::default(),
            z_i: Default::default(),
            z_q: Default::default(),
        }
    }
}

impl Default for Decimator {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for Decimator {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, count, int_i0, int_i1, int_i2, int_i3, int_i4, int_i5, int_q0, int_q1,
            int_q2, int_q3, int_q4, int_q5, cv1, cv2, cv3, cv4, cv5, cv6, comb_i1, dly_i1, comb_i2,
            dly_i2, comb_i3, dly_i3, comb_i4, dly_i4, comb_i5, dly_i5, comb_i6, dly_i6, comb_q1,
            dly_q1, comb_q2, dly_q2, comb_q3, dly_q3, comb_q4, dly_q4, comb_q5, dly_q5, comb_q6,
            dly_q6, odd_phase, wp, xa, xb, rbusy, rstep, xbusy, xstep, odd_i, odd_q, busy, step,
            prod_i, prod_q, odd_bit_i, odd_bit_q, mac, last, fin, acc_i, acc_q, y_valid, y_i, y_q,
            hist1_i, hist2_i, hist1_q, hist2_q, z_valid, z_i, z_q
        );
        // inputs sign-extended to 34 bits: (x ^ 0x8000) − 0x8000
        self.ext_i.next = bit_cast::<34, 16>(unsigned_cast(self.in_i.val()) ^ self.msb16.val())
            - self.offset34.val();
        self.ext_q.next = bit_cast::<34, 16>(unsigned_cast(self.in_q.val()) ^ self.msb16.val())
            - self.offset34.val();
        self.decimate.next = self.in_valid.val() & self.count.q.val().all();
        // CIC integrators: each adds the previous stage's old value, on valid inputs only
        if self.in_valid.val() {
            self.count.d.next = self.count.q.val() + 1;
            self.int_i0.d.next = self.int_i0.q.val() + self.ext_i.val();
            self.int_i1.d.next = self.int_i1.q.val() + self.int_i0.q.val();
            self.int_i2.d.next = self.int_i2.q.val() + self.int_i1.q.val();
            self.int_i3.d.next = self.int_i3.q.val() + self.int_i2.q.val();
            self.int_i4.d.next = self.int_i4.q.val() + self.int_i3.q.val();
            self.int_i5.d.next = self.int_i5.q.val() + self.int_i4.q.val();
            self.int_q0.d.next = self.int_q0.q.val() + self.ext_q.val();
            self.int_q1.d.next = self.int_q1.q.val() + self.int_q0.q.val();
            self.int_q2.d.next = self.int_q2.q.val() + self.int_q1.q.val();
            self.int_q3.d.next = self.int_q3.q.val() + self.int_q2.q.val();
            self.int_q4.d.next = self.int_q4.q.val() + self.int_q3.q.val();
            self.int_q5.d.next = self.int_q5.q.val() + self.int_q4.q.val();
        }
        // CIC combs, one registered stage each, on the decimated samples
        self.cv1.d.next = self.decimate.val();
        if self.decimate.val() {
            self.comb_i1.d.next = self.int_i5.q.val() - self.dly_i1.q.val();
            self.dly_i1.d.next = self.int_i5.q.val();
            self.comb_q1.d.next = self.int_q5.q.val() - self.dly_q1.q.val();
            self.dly_q1.d.next = self.int_q5.q.val();
        }
        self.cv2.d.next = self.cv1.q.val();
        if self.cv1.q.val() {
            self.comb_i2.d.next = self.comb_i1.q.val() - self.dly_i2.q.val();
            self.dly_i2.d.next = self.comb_i1.q.val();
            self.comb_q2.d.next = self.comb_q1.q.val() - self.dly_q2.q.val();
            self.dly_q2.d.next = self.comb_q1.q.val();
        }
        self.cv3.d.next = self.cv2.q.val();
        if self.cv2.q.val() {
            self.comb_i3.d.next = self.comb_i2.q.val() - self.dly_i3.q.val();
            self.dly_i3.d.next = self.comb_i2.q.val();
            self.comb_q3.d.next = self.comb_q2.q.val() - self.dly_q3.q.val();
            self.dly_q3.d.next = self.comb_q2.q.val();
        }
        self.cv4.d.next = self.cv3.q.val();
        if self.cv3.q.val() {
            self.comb_i4.d.next = self.comb_i3.q.val() - self.dly_i4.q.val();
            self.dly_i4.d.next = self.comb_i3.q.val();
            self.comb_q4.d.next = self.comb_q3.q.val() - self.dly_q4.q.val();
            self.dly_q4.d.next = self.comb_q3.q.val();
        }
        self.cv5.d.next = self.cv4.q.val();
        if self.cv4.q.val() {
            self.comb_i5.d.next = self.comb_i4.q.val() - self.dly_i5.q.val();
            self.dly_i5.d.next = self.comb_i4.q.val();
            self.comb_q5.d.next = self.comb_q4.q.val() - self.dly_q5.q.val();
            self.dly_q5.d.next = self.comb_q4.q.val();
        }
        self.cv6.d.next = self.cv5.q.val();
        if self.cv5.q.val() {
            self.comb_i6.d.next = self.comb_i5.q.val() - self.dly_i6.q.val();
            self.dly_i6.d.next = self.comb_i5.q.val();
            self.comb_q6.d.next = self.comb_q5.q.val() - self.dly_q6.q.val();
            self.dly_q6.d.next = self.comb_q5.q.val();
        }
        // CIC output: round half up, bits 33..18
        self.cic_sum_i.next = self.comb_i6.q.val() + self.cic_round.val();
        self.cic_sum_q.next = self.comb_q6.q.val() + self.cic_round.val();
        self.cic_i.next = self.cic_sum_i.val().get_bits::<16>(18);
        self.cic_q.next = self.cic_sum_q.val().get_bits::<16>(18);
        // half-band centre tap: the oldest odd-phase sample, sign-extended, × 2¹⁴
        self.centre_i.next =
            (bit_cast::<32, 16>(self.odd_i.q.val().get_bits::<16>(176) ^ self.msb16.val())
                - self.offset32.val())
                << 14;
        self.centre_q.next =
            (bit_cast::<32, 16>(self.odd_q.q.val().get_bits::<16>(176) ^ self.msb16.val())
                - self.offset32.val())
                << 14;
        // the even-phase line: two copies (one read each per step) of a 512-slot ring, I in
        // bits 31..16 and Q in 15..0; x[j] (j = 0 newest) is at wp − 1 − j. 512 slots where 24
        // would do, so that yosys puts each copy in one block RAM (a 32-slot ring went into
        // 16 LUT RAMs per copy, which cost as many LUTs as the registers they replaced)
        self.line_a.read_clock.next = self.clock.val();
        self.line_a.write_clock.next = self.clock.val();
        self.line_b.read_clock.next = self.clock.val();
        self.line_b.write_clock.next = self.clock.val();
        self.line_a.write_address.next = self.wp.q.val();
        self.line_b.write_address.next = self.wp.q.val();
        self.line_a.write_data.next =
            (bit_cast::<32, 16>(self.cic_i.val()) << 16) | bit_cast::<32, 16>(self.cic_q.val());
        self.line_b.write_data.next =
            (bit_cast::<32, 16>(self.cic_i.val()) << 16) | bit_cast::<32, 16>(self.cic_q.val());
        self.line_a.write_enable.next = false;
        self.line_b.write_enable.next = false;
        self.line_a.read_address.next = self.wp.q.val() - 1 - bit_cast::<9, 4>(self.step.q.val());
        self.line_b.read_address.next = self.wp.q.val() - 24 + bit_cast::<9, 4>(self.step.q.val());
        // the block RAMs' data (slow out of the RAM) go into registers before the pre-adders
        self.xa.d.next = self.line_a.read_data.val();
        self.xb.d.next = self.line_b.read_data.val();
        if self.cv6.q.val() {
            self.odd_phase.d.next = !self.odd_phase.q.val();
            if self.odd_phase.q.val() {
                self.odd_i.d.next =
                    (self.odd_i.q.val() << 16) | bit_cast::<192, 16>(self.cic_i.val());
                self.odd_q.d.next =
                    (self.odd_q.q.val() << 16) | bit_cast::<192, 16>(self.cic_q.val());
            } else {
                // x[0] into both copies of the even-phase line at the write pointer
                self.line_a.write_enable.next = true;
                self.line_b.write_enable.next = true;
                self.wp.d.next = self.wp.q.val() + 1;
                self.acc_i.d.next = self.centre_i.val();
                self.acc_q.d.next = self.centre_q.val();
                self.busy.d.next = true;
                self.step.d.next = 0.into();
            }
        }
        // half-band products: the bottom pair x[r] + x[23 − r] in 17 bits, offset binary
        // (each sample + 2¹⁵), so (a + b) >> 1 is bits 16..1 with the top bit flipped and
        // (a + b) & 1 is bit 0; the product (a + b)·h = 2·((a + b) >> 1)·h + ((a + b) & 1)·h
        self.coef.address.next = self.xstep.q.val();
        self.coef_ext.next =
            bit_cast::<32, 16>(unsigned_cast(self.coef.data.val()) ^ self.msb16.val())
                - self.offset32.val();
        self.pre_i.next = bit_cast::<17, 16>(self.xa.q.val().get_bits::<16>(16) ^ self.msb16.val())
            + bit_cast::<17, 16>(self.xb.q.val().get_bits::<16>(16) ^ self.msb16.val());
        self.pre_q.next = bit_cast::<17, 16>(self.xa.q.val().get_bits::<16>(0) ^ self.msb16.val())
            + bit_cast::<17, 16>(self.xb.q.val().get_bits::<16>(0) ^ self.msb16.val());
        self.half_i.next = signed_cast(self.pre_i.val().get_bits::<16>(1) ^ self.msb16.val());
        self.half_q.next = signed_cast(self.pre_q.val().get_bits::<16>(1) ^ self.msb16.val());
        self.prod_i.d.next = self.half_i.val() * self.coef.data.val();
        self.prod_q.d.next = self.half_q.val() * self.coef.data.val();
        self.odd_bit_i.d.next = 0.into();
        self.odd_bit_q.d.next = 0.into();
        if self.pre_i.val().get_bit(0) {
            self.odd_bit_i.d.next = self.coef_ext.val();
        }
        if self.pre_q.val().get_bit(0) {
            self.odd_bit_q.d.next = self.coef_ext.val();
        }
        // the RAMs' data come the clock after their addresses and are registered: the
        // products follow two steps behind the read schedule
        self.rbusy.d.next = self.busy.q.val();
        self.rstep.d.next = self.step.q.val();
        self.xbusy.d.next = self.rbusy.q.val();
        self.xstep.d.next = self.rstep.q.val();
        self.mac.d.next = self.xbusy.q.val();
        self.last.d.next = self.xbusy.q.val() & (self.xstep.q.val() == 11);
        if self.busy.q.val() {
            self.step.d.next = self.step.q.val() + 1;
            if self.step.q.val() == 11 {
                self.busy.d.next = false;
            }
        }
        if self.mac.q.val() {
            self.acc_i.d.next = self.acc_i.q.val()
                + (unsigned_cast(self.prod_i.q.val()) << 1)
                + self.odd_bit_i.q.val();
            self.acc_q.d.next = self.acc_q.q.val()
                + (unsigned_cast(self.prod_q.q.val()) << 1)
                + self.odd_bit_q.q.val();
        }
        // output: round half up, saturate when bits 31 and 30 differ, bits 30..15
        self.fin.d.next = self.last.q.val();
        self.y_valid.d.next = self.fin.q.val();
        self.sum_i.next = self.acc_i.q.val() + self.hb_round.val();
        self.sum_q.next = self.acc_q.q.val() + self.hb_round.val();
        if self.sum_i.val().get_bit(31) == self.sum_i.val().get_bit(30) {
            self.y_i.d.next = signed_cast(self.sum_i.val().get_bits::<16>(15));
        } else if self.sum_i.val().get_bit(31) {
            self.y_i.d.next = self.neg_max.val();
        } else {
            self.y_i.d.next = self.pos_max.val();
        }
        if self.sum_q.val().get_bit(31) == self.sum_q.val().get_bit(30) {
            self.y_q.d.next = signed_cast(self.sum_q.val().get_bits::<16>(15));
        } else if self.sum_q.val().get_bit(31) {
            self.y_q.d.next = self.neg_max.val();
        } else {
            self.y_q.d.next = self.pos_max.val();
        }
        // droop compensator: 10·y[m−1] − y[m] − y[m−2] + 4 in 20 bits (sign-extended
        // operands), saturate when bits 19 and 18 differ, bits 18..3
        self.ey_i.next = bit_cast::<20, 16>(unsigned_cast(self.y_i.q.val()) ^ self.msb16.val())
            - self.offset20.val();
        self.e1_i.next =
            bit_cast::<20, 16>(self.hist1_i.q.val() ^ self.msb16.val()) - self.offset20.val();
        self.e2_i.next =
            bit_cast::<20, 16>(self.hist2_i.q.val() ^ self.msb16.val()) - self.offset20.val();
        self.ey_q.next = bit_cast::<20, 16>(unsigned_cast(self.y_q.q.val()) ^ self.msb16.val())
            - self.offset20.val();
        self.e1_q.next =
            bit_cast::<20, 16>(self.hist1_q.q.val() ^ self.msb16.val()) - self.offset20.val();
        self.e2_q.next =
            bit_cast::<20, 16>(self.hist2_q.q.val() ^ self.msb16.val()) - self.offset20.val();
        self.comp_i.next =
            (self.e1_i.val() << 3) + (self.e1_i.val() << 1) - self.ey_i.val() - self.e2_i.val()
                + self.comp_round.val();
        self.comp_q.next =
            (self.e1_q.val() << 3) + (self.e1_q.val() << 1) - self.ey_q.val() - self.e2_q.val()
                + self.comp_round.val();
        if self.y_valid.q.val() {
            self.hist1_i.d.next = unsigned_cast(self.y_i.q.val());
            self.hist2_i.d.next = self.hist1_i.q.val();
            self.hist1_q.d.next = unsigned_cast(self.y_q.q.val());
            self.hist2_q.d.next = self.hist1_q.q.val();
        }
        self.z_valid.d.next = self.y_valid.q.val();
        if self.comp_i.val().get_bit(19) == self.comp_i.val().get_bit(18) {
            self.z_i.d.next = signed_cast(self.comp_i.val().get_bits::<16>(3));
        } else if self.comp_i.val().get_bit(19) {
            self.z_i.d.next = self.neg_max.val();
        } else {
            self.z_i.d.next = self.pos_max.val();
        }
        if self.comp_q.val().get_bit(19) == self.comp_q.val().get_bit(18) {
            self.z_q.d.next = signed_cast(self.comp_q.val().get_bits::<16>(3));
        } else if self.comp_q.val().get_bit(19) {
            self.z_q.d.next = self.neg_max.val();
        } else {
            self.z_q.d.next = self.pos_max.val();
        }
        self.out_valid.next = self.z_valid.q.val();
        self.out_i.next = self.z_i.q.val();
        self.out_q.next = self.z_q.q.val();
    }
}
