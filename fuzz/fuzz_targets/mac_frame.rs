#![no_main]
//! Fuzz target `mac_frame`: see `subgate_fuzz::mac_frame`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| subgate_fuzz::mac_frame(data));
