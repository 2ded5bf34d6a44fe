//! Fuzz target `audit_package`: see `fiskal_fuzz_checks::check_audit_package`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fiskal_fuzz_checks::check_audit_package(data));
