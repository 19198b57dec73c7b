#![no_main]
//! Fuzz target `gateway_rx`: see `subgate_fuzz::gateway_rx`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| subgate_fuzz::gateway_rx(data));
