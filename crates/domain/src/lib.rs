//! # fiskal-domain
//!
//! The pure domain of fiskal, Serbia's fiscalization system (TaxCore): money and rounding, the tax
//! engine, the ten document kinds, receipt counters and invoice numbers, buyer IDs, the PFR API
//! request and result types with TaxCore's validation codes, the verification URL codec and the
//! 40-column journal text.
//!
//! This crate does no I/O: no files, no network, no clock (callers pass the time in). Every other
//! fiskal crate builds on it.
//!
//! Serbian terms used here: PFR (процесор фискалних рачуна) = fiscal receipt processor; ESIR =
//! invoicing system (POS); SE (безбедносни елемент) = secure element; SUF = the tax authority's
//! system; PIB = Serbian tax ID (TIN); JMBG = personal identity number.
//!
//! ```
//! use fiskal_domain::tax::{TaxRateGroup, compute_taxes};
//! use fiskal_domain::money::dec;
//! let group = TaxRateGroup::serbian_default();
//! let taxes = compute_taxes(&group, &[(dec("164.00"), dec("2"), vec!['Ђ'])]).unwrap();
//! assert_eq!(taxes[0].amount.to_string(), "27.3333");
//! ```

pub mod api;
pub mod buyer;
pub mod counter;
pub mod gsc;
pub mod ids;
pub mod journal;
pub mod kinds;
pub mod lang;
pub mod money;
pub mod seller;
pub mod tax;
pub mod time;
pub mod verification_url;

pub use rust_decimal::Decimal;
