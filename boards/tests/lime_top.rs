//! The LimeSDR Mini v2's radio top level: its Verilog lints in Verilator (with the PLL as a
//! pass-through and behavioural DDR registers standing in for the ECP5 primitives), and yosys
//! maps its pins' block to one `IDDRX1F` per receive-port pin and an `ODDRX1F` for FCLK2.
//! The whole build (nextpnr on the 45F with the board's pins) is `subgate gateware build
//! --board limesdr-mini-v2`, measured in docs/gateware.md.

use rust_hdl::prelude::*;
use subgate_boards::build::top_verilog;
use subgate_boards::fpga::{find, TopLevel};
use subgate_boards::lml_pins::LmlPins;
use subgate_boards::pll;
use subgate_gateware::tools;

/// Behavioural stand-ins for the ECP5 DDR primitives, for Verilator only: the rising-edge
/// sample and the falling-edge sample after it, presented together on the next rising edge.
const DDR_MODELS: &str = "
module IDDRX1F(input D, input SCLK, input RST, output reg Q0, output reg Q1);
  reg rise, fall;
  always @(posedge SCLK) rise <= D;
  always @(negedge SCLK) fall <= D;
  always @(posedge SCLK) begin Q0 <= rise; Q1 <= fall; end
endmodule
module ODDRX1F(input D0, input D1, input SCLK, input RST, output Q);
  assign Q = SCLK ? D0 : D1;
endmodule
";

#[test]
fn lime_radio_top_lints_and_maps_its_pins_to_ddr_registers() {
    let board = find("limesdr-mini-v2").unwrap().expect("the LimeSDR board");
    assert_eq!(board.top, TopLevel::LimeRadio);
    let verilog = top_verilog(&board);
    for port in [
        "lms_mclk2",
        "lms_diq2",
        "lms_iqsel2",
        "lms_fclk2",
        "lms_rxen",
    ] {
        assert!(verilog.contains(port), "{port}");
    }
    if tools::available("verilator") {
        let dir = tempfile::tempdir().unwrap();
        let text = verilog.clone() + pll::SIM_STUB + DDR_MODELS;
        std::fs::write(dir.path().join("top.v"), text).unwrap();
        tools::verilator_lint(dir.path()).unwrap();
        println!("verilator: the radio top level lints clean");
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "verilator is not installed but CI=true"
        );
        println!("SKIPPED the lint: no verilator");
    }
    if !tools::available("yosys") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "yosys is not installed but CI=true"
        );
        println!("SKIPPED the synthesis: no yosys");
        return;
    }
    // the pins' block alone (the whole top level takes yosys ~95 s; `gateware build` does it)
    let dir = tempfile::tempdir().unwrap();
    let mut pins = LmlPins::default();
    pins.mclk.connect();
    pins.diq.connect();
    pins.iqsel.connect();
    pins.connect_all();
    std::fs::write(dir.path().join("top.v"), generate_verilog(&pins)).unwrap();
    let cells = tools::yosys_synth_ecp5(dir.path()).unwrap();
    let count = |name: &str| cells.get(name).copied().unwrap_or(0);
    println!("yosys synth_ecp5 of the pins: {cells:?}");
    assert_eq!(count("IDDRX1F"), 13, "12 DIQ2 pins and IQSEL2: {cells:?}");
    assert_eq!(count("ODDRX1F"), 1, "FCLK2: {cells:?}");
}
