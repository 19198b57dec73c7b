//! NCO + complex mixer (digital down-converter): moves one channel of the captured band to
//! baseband. Bit-exact with the fixed-point model [`subgate_dsp::frontend::ddc`], whose module
//! documentation gives the format (16-bit I/Q, 32-bit phase, 1024-entry sine table, 16 × 16
//! products, round half up to 16 bits at gain 32767/65536).
//!
//! Pipeline, one sample per clock at most ([`LATENCY`] = 3 clocks from `in_valid` to
//! `out_valid`):
//! 1. the phase's top 10 bits address the sine and cosine ROMs (registered reads, so yosys
//!    maps them to block RAM); the sample waits in a register; the phase advances by
//!    `freq_word`;
//! 2. four signed 16 × 16 products into registers (ECP5 `MULT18X18D`);
//! 3. the two 32-bit sums plus the rounding constant, top 16 bits into the output registers.
//!
//! Signed values stay `Signed` end to end and every part-select is taken from a registered or
//! local signal of the full width, so the generated Verilog keeps the simulator's arithmetic
//! (checked against the model by Verilator in `tests/ddc.rs`).

use rust_hdl::prelude::*;
use subgate_dsp::frontend::ddc::{cosine_table, sine_table, OUTPUT_SHIFT, TABLE_BITS};

pub use subgate_dsp::frontend::ddc::LATENCY;

/// Address bits of the sine/cosine ROMs (the model's `TABLE_BITS`).
const ADDR: usize = 10;
// `update` takes the table address from phase bits 22.. and the output from sum bits 16..
// as literals (hdl_gen copies offsets into the Verilog verbatim, so they cannot name a const).
const _: () = assert!(ADDR == TABLE_BITS as usize && 32 - ADDR == 22 && OUTPUT_SHIFT == 16);

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
    sine: SyncROM<Signed<16>, ADDR>,
    cosine: SyncROM<Signed<16>, ADDR>,
    valid1: DFF<Bit>,
    i1: DFF<Signed<16>>,
    q1: DFF<Signed<16>>,
    valid2: DFF<Bit>,
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
    /// A DDC with its ROMs filled from the model's tables, phase 0 after configuration.
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
            sine: rom(sine_table()),
            cosine: rom(cosine_table()),
            valid1: Default::default(),
            i1: Default::default(),
            q1: Default::default(),
            valid2: Default::default(),
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
            self, clock, phase, valid1, i1, q1, valid2, i_cos, q_sin, i_sin, q_cos, valid3, y_i,
            y_q
        );
        self.sine.clock.next = self.clock.val();
        self.cosine.clock.next = self.clock.val();
        // stage 1: table read at the current phase, sample registered, phase advanced
        self.sine.address.next = self.phase.q.val().get_bits::<ADDR>(22);
        self.cosine.address.next = self.phase.q.val().get_bits::<ADDR>(22);
        self.valid1.d.next = self.in_valid.val();
        self.i1.d.next = self.in_i.val();
        self.q1.d.next = self.in_q.val();
        if self.in_valid.val() {
            self.phase.d.next = self.phase.q.val() + self.freq_word.val();
        }
        // stage 2: the four products
        self.valid2.d.next = self.valid1.q.val();
        self.i_cos.d.next = self.i1.q.val() * self.cosine.data.val();
        self.q_sin.d.next = self.q1.q.val() * self.sine.data.val();
        self.i_sin.d.next = self.i1.q.val() * self.sine.data.val();
        self.q_cos.d.next = self.q1.q.val() * self.cosine.data.val();
        // stage 3: sums (cannot overflow 32 bits, see the model), round half up, top 16 bits
        self.sum_i.next = self.i_cos.q.val() - self.q_sin.q.val() + self.round.val();
        self.sum_q.next = self.i_sin.q.val() + self.q_cos.q.val() + self.round.val();
        self.valid3.d.next = self.valid2.q.val();
        self.y_i.d.next = self.sum_i.val().get_bits::<16>(16);
        self.y_q.d.next = self.sum_q.val().get_bits::<16>(16);
        self.out_valid.next = self.valid3.q.val();
        self.out_i.next = self.y_i.q.val();
        self.out_q.next = self.y_q.q.val();
    }
}
