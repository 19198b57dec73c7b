#![no_main]
//! Fuzz target `sigmf_meta`: see `subgate_fuzz::sigmf_meta`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| subgate_fuzz::sigmf_meta(data));
