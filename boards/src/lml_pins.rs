//! The LMS7002M receive port's pins on the LimeSDR Mini v2 (docs/gateware.md, "What is not
//! done yet" lists the sources): one ECP5 `IDDRX1F` per pin of DIQ2 and ENABLE_IQSEL2,
//! clocked by MCLK2 itself, gives per MCLK2 cycle the word of the rising edge (`Q0`) and the
//! word of the falling edge after it (`Q1`); and an `ODDRX1F` forwards MCLK2 as FCLK2, as
//! Lime's gateware does. A `Verilog::Wrapper` around the primitives, like the PLL's.
//!
//! In rust-hdl simulation the block has no DDR: both words are the pins' value (the top
//! level's simulations use the test source instead).

use rust_hdl::prelude::*;

/// The pins' DDR registers.
#[derive(LogicBlock, Default)]
pub struct LmlPins {
    /// MCLK2, the receive clock from the LMS7002M.
    pub mclk: Signal<In, Clock>,
    /// DIQ2_D[11:0].
    pub diq: Signal<In, Bits<12>>,
    /// ENABLE_IQSEL2.
    pub iqsel: Signal<In, Bit>,
    /// The rising-edge word.
    pub rise: Signal<Out, Bits<12>>,
    /// IQSEL with it.
    pub rise_sel: Signal<Out, Bit>,
    /// The falling-edge word after it.
    pub fall: Signal<Out, Bits<12>>,
    /// IQSEL with it.
    pub fall_sel: Signal<Out, Bit>,
    /// FCLK2, MCLK2 forwarded to the LMS7002M.
    pub fclk: Signal<Out, Bit>,
}

impl Logic for LmlPins {
    fn update(&mut self) {
        self.rise.next = self.diq.val();
        self.fall.next = self.diq.val();
        self.rise_sel.next = self.iqsel.val();
        self.fall_sel.next = self.iqsel.val();
        self.fclk.next = self.mclk.val().clk;
    }

    fn connect(&mut self) {
        self.rise.connect();
        self.fall.connect();
        self.rise_sel.connect();
        self.fall_sel.connect();
        self.fclk.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper {
            code: "genvar k;
generate
    for (k = 0; k < 12; k = k + 1) begin : diq_ddr
        IDDRX1F diq_in(.D(diq[k]), .SCLK(mclk), .RST(1'b0), .Q0(rise[k]), .Q1(fall[k]));
    end
endgenerate
IDDRX1F iqsel_in(.D(iqsel), .SCLK(mclk), .RST(1'b0), .Q0(rise_sel), .Q1(fall_sel));
ODDRX1F fclk_out(.D0(1'b1), .D1(1'b0), .SCLK(mclk), .RST(1'b0), .Q(fclk));"
                .into(),
            cores: String::new(),
        })
    }
}
