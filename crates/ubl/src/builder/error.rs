//! Why a document could not be built.

use rust_decimal::Decimal;

/// Why a document could not be built from the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// No seller given.
    #[error("the seller is missing")]
    MissingSupplier,
    /// No buyer given.
    #[error("the buyer is missing")]
    MissingBuyer,
    /// No line given.
    #[error("the document has no lines")]
    NoLines,
    /// No payee account given.
    #[error("the seller's bank account for payment is missing")]
    MissingPayment,
    /// A PIB with a wrong form or check digit.
    #[error("the {role}'s PIB {pib} is not valid (9 digits with a correct check digit)")]
    InvalidPib {
        /// `seller` or `buyer`.
        role: &'static str,
        /// The PIB as given.
        pib: String,
    },
    /// An MB that is not 8 (or 13) digits.
    #[error(
        "the {role}'s registration number (MB) {mb} must have 8 digits, leading zeros included"
    )]
    InvalidMb {
        /// `seller` or `buyer`.
        role: &'static str,
        /// The MB as given.
        mb: String,
    },
    /// A JBKJS that is not 5 digits.
    #[error("the buyer's JBKJS {0} must have exactly 5 digits")]
    InvalidJbkjs(String),
    /// A bank account without 18 digits and valid control digits.
    #[error("the bank account {0} is not valid (18 digits with correct control digits)")]
    InvalidAccount(String),
    /// A payment reference not in `(modNN) reference` form or with wrong model-97 control digits.
    #[error("the payment reference {0} is not valid; write it as (mod97) 872026000042")]
    InvalidPaymentReference(String),
    /// A category outside the nine of the profile.
    #[error("line {line}: VAT category {category} is unknown")]
    UnknownCategory {
        /// 1-based line number (0 = document allowance).
        line: usize,
        /// The category.
        category: String,
    },
    /// An `S` rate other than 20 or 10.
    #[error("line {line}: the standard VAT rate must be 20 or 10 percent, not {rate}")]
    InvalidStandardRate {
        /// 1-based line number (0 = document allowance).
        line: usize,
        /// The rate.
        rate: Decimal,
    },
    /// A non-zero rate on a category that must have rate 0.
    #[error("line {line}: VAT category {category} must have rate 0")]
    NonZeroRate {
        /// 1-based line number (0 = document allowance).
        line: usize,
        /// The category.
        category: String,
    },
    /// A non-`S` category used without an exemption reason.
    #[error("VAT category {0} is used without an exemption reason (PDV-RS-… key)")]
    MissingExemption(String),
    /// A negative price or quantity, or a zero base quantity.
    #[error("line {line}: {what}")]
    InvalidLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong, as a sentence fragment.
        what: &'static str,
    },
    /// A 380 or 383 without a due date.
    #[error("an invoice or debit note needs a payment due date")]
    MissingDueDate,
    /// A due date more than 90 days after the issue date.
    #[error("the payment due date is more than 90 days after the issue date")]
    DueDateTooFar,
    /// A 380 or 381 without a delivery (reduction) date.
    #[error("an invoice needs the date of supply and a credit note the reduction date")]
    MissingDeliveryDate,
    /// A credit or debit note that references neither invoices nor a period.
    #[error("a credit or debit note must reference the invoices it corrects or a period")]
    MissingSource,
    /// Advances on a document that is not a 380.
    #[error("advances can be settled only by a final invoice (380)")]
    AdvanceNotAllowed,
    /// An advance group that the final invoice does not have.
    #[error("advance {0} has a VAT category or rate that the final invoice does not have")]
    AdvanceRateMismatch(String),
}
