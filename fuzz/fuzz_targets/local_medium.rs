//! Fuzz target `local_medium`: see `fiskal_fuzz_checks::check_local_medium`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fiskal_fuzz_checks::check_local_medium(data));
