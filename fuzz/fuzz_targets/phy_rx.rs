#![no_main]
//! Fuzz target `phy_rx`: see `subgate_fuzz::phy_rx`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| subgate_fuzz::phy_rx(data));
