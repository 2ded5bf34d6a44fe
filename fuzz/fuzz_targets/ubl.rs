//! Fuzz target `ubl`: see `fiskal_fuzz_checks::check_ubl`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fiskal_fuzz_checks::check_ubl(data));
