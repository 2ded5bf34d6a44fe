//! Fuzz target `se_state_file`: see `fiskal_fuzz_checks::check_se_state_file`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fiskal_fuzz_checks::check_se_state_file(data));
