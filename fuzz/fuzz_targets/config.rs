#![no_main]
//! Fuzz target `config`: see `subgate_fuzz::config`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| subgate_fuzz::config(data));
