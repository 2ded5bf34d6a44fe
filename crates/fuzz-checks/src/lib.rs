//! The body of every fuzz target of `fuzz/` as a plain function `check_*(data: &[u8])`.
//!
//! Each function feeds `data` to the code a fiskal server runs on hostile input and panics only
//! on a real bug: a panic inside that code, or a broken invariant that the function states. The
//! fuzz targets (`fuzz/fuzz_targets/*.rs`, nightly, cargo-fuzz) are three-line wrappers over
//! these functions, and `tests/corpus.rs` replays every file of `fuzz/corpus/<target>/` through
//! them on stable, so CI checks the whole corpus on each run.
//!
//! ```
//! fiskal_fuzz_checks::check_verification_url(b"https://suf.purs.gov.rs/v/?vl=AAAA");
//! fiskal_fuzz_checks::check_invoice_request(br#"{"invoiceType":0}"#);
//! ```

mod audit_package;
mod invoice;
mod local_medium;
mod se_state;
mod ubl;
mod verification_url;

pub use audit_package::{check_audit_package, encryption_spki};
pub use invoice::check_invoice_request;
pub use local_medium::check_local_medium;
pub use se_state::{STATE_PASSWORD, check_se_state_file};
pub use ubl::check_ubl;
pub use verification_url::check_verification_url;

/// The check of one target.
pub type Check = fn(&[u8]);

/// Every target: its name (the folder under `fuzz/corpus/` and the file under
/// `fuzz/fuzz_targets/`) and its function.
pub const TARGETS: &[(&str, Check)] = &[
    ("verification_url", check_verification_url),
    ("invoice_request", check_invoice_request),
    ("ubl", check_ubl),
    ("audit_package", check_audit_package),
    ("local_medium", check_local_medium),
    ("se_state_file", check_se_state_file),
];
