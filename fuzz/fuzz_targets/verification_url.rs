//! Fuzz target `verification_url`: see `fiskal_fuzz_checks::check_verification_url`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fiskal_fuzz_checks::check_verification_url(data));
