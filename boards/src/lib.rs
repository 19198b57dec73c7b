//! Board and band definitions for subgate (../shared/DESIGN.md §2): the S1G band plans and
//! host radios the whole-band receiver is set up from, and the ECP5 boards the front end is
//! built for — their TOML descriptions and LPF pin files under `boards/fpga/`, their top levels
//! in rust-hdl — and the flow from a board name to a bitstream with its utilisation and Fmax.
//!
//! - [`band`]: S1G band plans per region ([`band::BandPlan`], [`band::plans`], [`band::find`]).
//! - [`radio`]: the SoapySDR host radios and how much of a band each covers.
//! - [`files`]: the compiled-in TOML files, parsed one way.
//! - [`fpga`]: the boards ([`fpga::FpgaBoard`], [`fpga::boards`], [`fpga::find`]).
//! - [`pll`]: the ECP5 PLL as a rust-hdl block around the module `yowasp-ecppll` generates.
//! - [`source`]: the test source feeding the front end on development boards.
//! - [`host`]: what every top level does with its samples (front end, framer, SPI, LEDs).
//! - [`top`]: the development top level (PLL, test source, the host core).
//! - [`lml_pins`]: the LMS7002M receive port's pins (IDDRX1F per pin, FCLK2 forwarded).
//! - [`lime_top`]: the LimeSDR Mini v2's radio top level (LMS7002M port, the host core).
//! - [`build`]: yosys → nextpnr-ecp5 → ecppack for a board.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod band;
pub mod build;
pub mod files;
pub mod fpga;
pub mod host;
pub mod lime_top;
pub mod lml_pins;
pub mod pll;
pub mod radio;
pub mod source;
pub mod top;
