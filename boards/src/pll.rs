//! The ECP5 PLL (`EHXPLLL`) as a rust-hdl block: a wrapper instantiating the module `pll`
//! that `yowasp-ecppll` generates for a board's input and fabric clocks at build time
//! ([`subgate_gateware::tools::ecppll`]), so the dividers come from Lattice's rules as the
//! tool applies them rather than from a table of ours.

use rust_hdl::prelude::*;

/// Name of the generated PLL module the wrapper instantiates.
pub const MODULE: &str = "pll";

/// A pass-through `pll` module (fabric clock = board clock, always locked) for the tests that
/// simulate or lint a top level's Verilog without running `yowasp-ecppll`.
pub const SIM_STUB: &str = "
module pll(input clkin, output clkout0, output locked);
  assign clkout0 = clkin;
  assign locked = 1'b1;
endmodule
";

/// The PLL: `clkout` is the fabric clock, `locked` high once it runs.
#[derive(LogicBlock, Default)]
pub struct Pll {
    /// Board clock in.
    pub clkin: Signal<In, Clock>,
    /// Fabric clock out.
    pub clkout: Signal<Out, Clock>,
    /// The PLL has locked.
    pub locked: Signal<Out, Bit>,
}

impl Logic for Pll {
    fn update(&mut self) {
        // in simulation the fabric clock is the board clock
        self.clkout.next = self.clkin.val();
        self.locked.next = true;
    }

    fn connect(&mut self) {
        self.clkout.connect();
        self.locked.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper {
            code: format!("{MODULE} pll_inst(.clkin(clkin), .clkout0(clkout), .locked(locked));"),
            cores: String::new(),
        })
    }
}
