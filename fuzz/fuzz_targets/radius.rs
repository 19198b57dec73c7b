#![no_main]
//! Fuzz target `radius`: see `subgate_fuzz::radius`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| subgate_fuzz::radius(data));
