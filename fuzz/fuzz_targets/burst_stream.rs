#![no_main]
//! Fuzz target `burst_stream`: see `subgate_fuzz::burst_stream`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| subgate_fuzz::burst_stream(data));
