//! NCO + complex mixer (digital down-converter): moves one channel of the captured band to
//! baseband. Bit-exact with the fixed-point model [`subgate_dsp::frontend::ddc`], whose module
//! documentation gives the format (16-bit I/Q, 32-bit phase, 4096-entry sine table stored as
//! its 1024-entry first quarter, 16 × 16 products, round half up to 16 bits at gain
//! 32767/65536).
//!
//! Pipeline, one sample per clock at most ([`LATENCY`] = 4 clocks from `in_valid` to
//! `out_valid`):
//! 1. the phase's top 12 bits — quadrant (bits 31..30) and offset `i` (bits 29..20) — address
//!    the quarter-wave sine and cosine ROMs (registered reads, so yosys maps them to block
//!    RAM) at `i` or, in mirrored quadrants, `1024 − i`; the quadrant's "peak" (mirrored with
//!    `i = 0`) and "negate" flags are registered beside; the sample waits in a register; the
//!    phase advances by `freq_word`;
//! 2. each ROM value replaced by 32767 on a peak and negated in the lower half turn, into
//!    registers (so the block RAM's slow read data meets only one level of logic);
//! 3. four signed 16 × 16 products from registers into registers (ECP5 `MULT18X18D`);
//! 4. the two 32-bit sums plus the rounding constant, top 16 bits into the output registers.
//!
//! Signed values stay `Signed` end to end and every part-select is taken from a registered or
//! local signal of the full width, so the generated Verilog keeps the simulator's arithmetic
//! (checked against the model by Verilator in `tests/ddc.rs`).

use rust_hdl::prelude::*;
use subgate_dsp::frontend::ddc::{quarter_table, AMPLITUDE, OUTPUT_SHIFT, QUARTER_LEN, TABLE_BITS};

pub use subgate_dsp::frontend::ddc::LATENCY;

/// Address bits of the quarter-wave sine/cosine ROMs (the model's `TABLE_BITS` less the two
/// quadrant bits).
const ADDR: usize = 10;
// `update` takes the ROM offset from phase bits 20.., the quadrant from bits 30 and 31, and the
// output from sum bits 16.. as literals (hdl_gen copies offsets into the Verilog verbatim, so
// they cannot name a const).
const _: () = assert!(
    ADDR + 2 == TABLE_BITS as usize
        && 1 << ADDR == QUARTER_LEN
        && 32 - TABLE_BITS == 20
        && OUTPUT_SHIFT == 16
);

/// The NCO + complex mixer block.
#[derive(LogicBlock)]
pub struct Ddc {
    /// Sample clock.
    pub clock: Signal<In, Clock>,
    /// High for one clock per input sample; the phase advances only on valid samples.
    pub in_valid: Signal<In, Bit>,
    /// In-phase input, signed 16-bit (12-bit ADC samples left-justified).
    pub in_i: Signal<In, Signed<16>>,
    /// Quadrature input, signed 16-bit.
    pub in_q: Signal<In, Signed<16>>,
    /// Phase increment per valid sample in turns × 2³² (two's complement: a word above 2³¹
    /// shifts down); sampled with each valid input.
    pub freq_word: Signal<In, Bits<32>>,
    /// High for one clock per output sample, [`LATENCY`] clocks after its `in_valid`.
    pub out_valid: Signal<Out, Bit>,
    /// In-phase output, `round((i·cos φ − q·sin φ) · 32767 / 2¹⁶)`.
    pub out_i: Signal<Out, Signed<16>>,
    /// Quadrature output, `round((i·sin φ + q·cos φ) · 32767 / 2¹⁶)`.
    pub out_q: Signal<Out, Signed<16>>,
    phase: DFF<Bits<32>>,
    offset: Signal<Local, Bits<ADDR>>,
    mirrored: Signal<Local, Bits<ADDR>>,
    zero: Constant<Bits<ADDR>>,
    sine: SyncROM<Signed<16>, ADDR>,
    cosine: SyncROM<Signed<16>, ADDR>,
    sin_peak: DFF<Bit>,
    sin_neg: DFF<Bit>,
    cos_peak: DFF<Bit>,
    cos_neg: DFF<Bit>,
    peak: Constant<Signed<16>>,
    sin_mag: Signal<Local, Signed<16>>,
    cos_mag: Signal<Local, Signed<16>>,
    sin_val: Signal<Local, Signed<16>>,
    cos_val: Signal<Local, Signed<16>>,
    valid1: DFF<Bit>,
    i1: DFF<Signed<16>>,
    q1: DFF<Signed<16>>,
    valid2: DFF<Bit>,
    i2: DFF<Signed<16>>,
    q2: DFF<Signed<16>>,
    sin_r: DFF<Signed<16>>,
    cos_r: DFF<Signed<16>>,
    valid_p: DFF<Bit>,
    i_cos: DFF<Signed<32>>,
    q_sin: DFF<Signed<32>>,
    i_sin: DFF<Signed<32>>,
    q_cos: DFF<Signed<32>>,
    sum_i: Signal<Local, Signed<32>>,
    sum_q: Signal<Local, Signed<32>>,
    round: Constant<Signed<32>>,
    valid3: DFF<Bit>,
    y_i: DFF<Signed<16>>,
    y_q: DFF<Signed<16>>,
}

impl Ddc {
    /// A DDC with its ROMs filled from the model's quarter-wave table, phase 0 after
    /// configuration.
    pub fn new() -> Self {
        let rom = |table: Vec<i16>| -> SyncROM<Signed<16>, ADDR> {
            table
                .into_iter()
                .map(|v| Signed::<16>::from(i64::from(v)))
                .into()
        };
        Ddc {
            clock: Default::default(),
            in_valid: Default::default(),
            in_i: Default::default(),
            in_q: Default::default(),
            freq_word: Default::default(),
            out_valid: Default::default(),
            out_i: Default::default(),
            out_q: Default::default(),
            phase: Default::default(),
            offset: Default::default(),
            mirrored: Default::default(),
            zero: Constant::new(Bits::<ADDR>::default()),
            sine: rom(quarter_table()),
            cosine: rom(quarter_table()),
            sin_peak: Default::default(),
            sin_neg: Default::default(),
            cos_peak: Default::default(),
            cos_neg: Default::default(),
            peak: Constant::new(Signed::<16>::from(i64::from(AMPLITUDE))),
            sin_mag: Default::default(),
            cos_mag: Default::default(),
            sin_val: Default::default(),
            cos_val: Default::default(),
            valid1: Default::default(),
            i1: Default::default(),
            q1: Default::default(),
            valid2: Default::default(),
            i2: Default::default(),
            q2: Default::default(),
            sin_r: Default::default(),
            cos_r: Default::default(),
            valid_p: Default::default(),
            i_cos: Default::default(),
            q_sin: Default::default(),
            i_sin: Default::default(),
            q_cos: Default::default(),
            sum_i: Default::default(),
            sum_q: Default::default(),
            round: Constant::new(Signed::<32>::from(1i64 << (OUTPUT_SHIFT - 1))),
            valid3: Default::default(),
            y_i: Default::default(),
            y_q: Default::default(),
        }
    }
}

impl Default for Ddc {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for Ddc {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, phase, sin_peak, sin_neg, cos_peak, cos_neg, valid1, i1, q1, valid2, i2,
            q2, sin_r, cos_r, valid_p, i_cos, q_sin, i_sin, q_cos, valid3, y_i, y_q
        );
        self.sine.clock.next = self.clock.val();
        self.cosine.clock.next = self.clock.val();
        // stage 1: table read at the current phase, sample registered, phase advanced. Sine
        // quadrant q = bits 31..30, cosine quadrant q + 1: odd quadrants read the mirrored
        // offset 1024 − i (0 when i = 0, where the peak flag takes over), quadrants 2 and 3
        // negate
        self.offset.next = self.phase.q.val().get_bits::<ADDR>(20);
        self.mirrored.next = self.zero.val() - self.offset.val();
        if self.phase.q.val().get_bit(30) {
            self.sine.address.next = self.mirrored.val();
            self.cosine.address.next = self.offset.val();
        } else {
            self.sine.address.next = self.offset.val();
            self.cosine.address.next = self.mirrored.val();
        }
        self.sin_peak.d.next = self.phase.q.val().get_bit(30) & !self.offset.val().any();
        self.cos_peak.d.next = !self.phase.q.val().get_bit(30) & !self.offset.val().any();
        self.sin_neg.d.next = self.phase.q.val().get_bit(31);
        self.cos_neg.d.next = self.phase.q.val().get_bit(31) ^ self.phase.q.val().get_bit(30);
        self.valid1.d.next = self.in_valid.val();
        self.i1.d.next = self.in_i.val();
        self.q1.d.next = self.in_q.val();
        if self.in_valid.val() {
            self.phase.d.next = self.phase.q.val() + self.freq_word.val();
        }
        // stage 2: table values unfolded into registers (the block RAM's read data goes
        // through one level of logic only)
        self.sin_mag.next = self.sine.data.val();
        if self.sin_peak.q.val() {
            self.sin_mag.next = self.peak.val();
        }
        self.cos_mag.next = self.cosine.data.val();
        if self.cos_peak.q.val() {
            self.cos_mag.next = self.peak.val();
        }
        self.sin_val.next = self.sin_mag.val();
        if self.sin_neg.q.val() {
            self.sin_val.next = -self.sin_mag.val();
        }
        self.cos_val.next = self.cos_mag.val();
        if self.cos_neg.q.val() {
            self.cos_val.next = -self.cos_mag.val();
        }
        self.valid2.d.next = self.valid1.q.val();
        self.i2.d.next = self.i1.q.val();
        self.q2.d.next = self.q1.q.val();
        self.sin_r.d.next = self.sin_val.val();
        self.cos_r.d.next = self.cos_val.val();
        // stage 3: the four products from registers
        self.valid_p.d.next = self.valid2.q.val();
        self.i_cos.d.next = self.i2.q.val() * self.cos_r.q.val();
        self.q_sin.d.next = self.q2.q.val() * self.sin_r.q.val();
        self.i_sin.d.next = self.i2.q.val() * self.sin_r.q.val();
        self.q_cos.d.next = self.q2.q.val() * self.cos_r.q.val();
        // stage 4: sums (cannot overflow 32 bits, see the model), round half up, top 16 bits
        self.sum_i.next = self.i_cos.q.val() - self.q_sin.q.val() + self.round.val();
        self.sum_q.next = self.i_sin.q.val() + self.q_cos.q.val() + self.round.val();
        self.valid3.d.next = self.valid_p.q.val();
        self.y_i.d.next = self.sum_i.val().get_bits::<16>(16);
        self.y_q.d.next = self.sum_q.val().get_bits::<16>(16);
        self.out_valid.next = self.valid3.q.val();
        self.out_i.next = self.y_i.q.val();
        self.out_q.next = self.y_q.q.val();
    }
}
