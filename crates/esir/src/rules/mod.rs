//! The rules the ESIR enforces before sending a document: those the PFR leaves to the ESIR
//! (receipt.md §4, §8 "fiskal chooses", §10; pfr-api.md §6.2) and a few the PFR would also
//! refuse, caught early with a clearer sentence.
//!
//! [`check_request`] returns every violation at once, so the cashier can fix them together, and
//! the warnings (sent anyway) separately.

mod check;
#[cfg(test)]
mod tests;
mod violation;

pub use check::{CheckContext, Referenced, check_request};
pub use violation::{EsirWarning, RuleViolation};
