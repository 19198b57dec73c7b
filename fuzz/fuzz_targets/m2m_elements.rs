#![no_main]
//! Fuzz target `m2m_elements`: see `subgate_fuzz::m2m_elements`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| subgate_fuzz::m2m_elements(data));
