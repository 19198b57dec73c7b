//! Fixed-point models of the FPGA receive front end (`subgate-gateware`): the same arithmetic,
//! bit for bit, as the rust-hdl blocks, so the host pipeline can process a recording "as the
//! board would" without a board, and the gateware tests have a reference to compare against.
//!
//! - [`ddc`]: NCO + complex mixer (digital down-converter).
//! - [`decim`]: decimation chain (CIC ×8 + half-band ×2 + droop compensator) to one
//!   channel's rate.

pub mod ddc;
pub mod decim;
