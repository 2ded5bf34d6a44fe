//! Buyer IDs (`buyerId`) and optional buyer fields (`buyerCostCenterId`): codebook, prefixes and
//! check digits (receipt.md §8).
//!
//! A buyer ID is `code:value`, the code saying which document the value comes from (`10:` PIB of a
//! legal entity, `20:` ID card, `30:` foreign passport, ...). The PFR checks only length and
//! ASCII; fiskal's ESIR applies the stricter checks of [`BuyerId::parse`].
//!
//! ```
//! use fiskal_domain::buyer::{BuyerId, BuyerIdKind};
//! let (id, warnings) = BuyerId::parse("10:106884584").unwrap();
//! assert_eq!(id.kind, BuyerIdKind::PibLegalEntity);
//! assert!(warnings.is_empty());
//! assert_eq!(id.to_string(), "10:106884584");
//! let err = BuyerId::parse("10:123456789").unwrap_err();
//! assert_eq!(err.message_sr(), "PIB 123456789 nema ispravnu kontrolnu cifru.");
//! ```

mod cost_center;
mod id;
mod kind;
#[cfg(test)]
mod tests;

pub use cost_center::{BuyerCostCenterId, CostCenterError, CostCenterKind};
pub use id::{BuyerId, BuyerIdError, BuyerIdWarning};
pub use kind::{BuyerIdKind, is_allowed_for_cash_refund};

/// Maximum length of a whole buyer ID, code and colon included (TD).
pub const BUYER_ID_MAX_LEN: usize = 20;
/// Maximum length of a whole optional buyer field (`buyerCostCenterId`).
pub const COST_CENTER_MAX_LEN: usize = 50;
/// Maximum length of a document number after the code (receipt.md §8).
const DOCUMENT_NUMBER_MAX_LEN: usize = 17;

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

pub use crate::ids::{jmbg_check_digit_valid, pib_check_digit_valid};
