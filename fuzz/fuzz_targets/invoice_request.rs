//! Fuzz target `invoice_request`: see `fiskal_fuzz_checks::check_invoice_request`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fiskal_fuzz_checks::check_invoice_request(data));
