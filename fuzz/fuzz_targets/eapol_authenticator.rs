#![no_main]
//! Fuzz target `eapol_authenticator`: see `subgate_fuzz::eapol_authenticator`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| subgate_fuzz::eapol_authenticator(data));
