//! A registered signed 18 × 18 multiplier: `p = a · b` (36 bits) one clock after the
//! operands. rust-hdl 0.46 multiplies only `Signed<16>` values in `#[hdl_gen]` code; the
//! ECP5's `MULT18X18D` takes 18-bit operands, which the FFT's twiddles (65 536 must fit) and
//! its words (17 bits of magnitude) need. So this block says it in Verilog itself (yosys maps
//! `a * b` with a register after it onto one `MULT18X18D`) and in Rust for the simulator.

use rust_hdl::prelude::*;

/// The multiplier.
#[derive(LogicBlock, Default)]
pub struct Mul18 {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// First operand, two's complement.
    pub a: Signal<In, Signed<18>>,
    /// Second operand, two's complement.
    pub b: Signal<In, Signed<18>>,
    /// `a · b` of the operands at the last rising edge.
    pub p: Signal<Out, Signed<36>>,
}

impl Logic for Mul18 {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.p.next = Signed::<36>::from(self.a.val().bigint() * self.b.val().bigint());
        }
    }

    fn connect(&mut self) {
        self.p.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(posedge clock) begin\n   p <= a * b;\nend\n".into())
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "mul18".into(),
            clock: "clock".into(),
            inputs: vec!["a".into(), "b".into()],
            outputs: vec!["p".into()],
        }]
    }
}
