//! What a check finds: the violations that stop a document and the warnings that do not.

use fiskal_domain::buyer::BuyerIdWarning;
use fiskal_domain::kinds::DocumentKind;
use rust_decimal::Decimal;

use crate::codebook::{BuyerIdError, CostCenterError, ItemPrefix};

/// A rule a document breaks; nothing is sent. Sentences: [`RuleViolation::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleViolation {
    /// A Normal or Advance Refund paid (partly) in cash has no buyer ID.
    BuyerIdRequired {
        /// The document kind.
        kind: DocumentKind,
    },
    /// The buyer ID does not follow the codebook.
    BuyerId {
        /// The value given.
        value: String,
        /// What is wrong.
        error: BuyerIdError,
    },
    /// A JMBG (codes 11, 15) on a refund paid out in cash.
    JmbgOnCashRefund {
        /// The value given.
        value: String,
    },
    /// The optional buyer field does not follow the codebook.
    CostCenter {
        /// The value given.
        value: String,
        /// What is wrong.
        error: CostCenterError,
    },
    /// Optional buyer field 50 (corporate card) needs every payment to be Voucher.
    CorporateCardNeedsVoucher,
    /// An item name starts with a `NN:` prefix that is not in the codebook.
    UnknownItemPrefix {
        /// Item index.
        item: usize,
        /// The two digits.
        prefix: String,
    },
    /// An item with a coded prefix carries a label other than the prefix's.
    PrefixLabel {
        /// Item index.
        item: usize,
        /// The prefix.
        prefix: ItemPrefix,
    },
    /// An advance item (`10:`–`13:`) on a Normal document.
    AdvanceItemOnNormal {
        /// Item index.
        item: usize,
    },
    /// An item without an advance prefix on an Advance document.
    NonAdvanceItemOnAdvance {
        /// Item index.
        item: usize,
    },
    /// An advance item whose quantity is not 1.
    AdvanceQuantity {
        /// Item index.
        item: usize,
    },
    /// Single-purpose vouchers of different rates on one receipt.
    VoucherRatesMixed,
    /// A tax label that is not in the PFR's tax rates in force.
    UnknownTaxLabel {
        /// Item index.
        item: usize,
        /// The label.
        label: String,
        /// The group checked against.
        group_id: u32,
    },
    /// The PFR reports no tax rates in force.
    NoTaxRates,
    /// The document has no items.
    NoItems,
    /// The document has no payments.
    NoPayments,
    /// The payments do not cover the amount due.
    PaymentBelowTotal {
        /// Amount due.
        due: Decimal,
        /// Sum of payments.
        paid: Decimal,
    },
    /// No ESIR number (`invoiceNumber`), mandatory on every Serbian receipt.
    EsirNumberMissing,
    /// The kind needs a reference number.
    ReferenceRequired {
        /// The document kind.
        kind: DocumentKind,
    },
    /// The kind needs a reference time (the ESIR always sends it on Copy and Refund).
    ReferenceTimeRequired {
        /// The document kind.
        kind: DocumentKind,
    },
    /// A reference number not of the form `XXXXXXXX-XXXXXXXX-123`.
    ReferenceFormat {
        /// The value given.
        value: String,
    },
    /// A reference time without a reference number.
    ReferenceTimeWithoutNumber,
    /// The reference time does not match the referenced document in the local store.
    ReferenceTimeMismatch {
        /// The referenced number.
        number: String,
    },
    /// The referenced document is of a kind this document cannot reference.
    WrongReferencedKind {
        /// This document's kind.
        kind: DocumentKind,
        /// The referenced number.
        number: String,
        /// The referenced document's kind.
        found: DocumentKind,
    },
    /// A Normal Sale references an Advance Sale directly: the chain must first be closed with an
    /// Advance Refund.
    AdvanceNotClosed {
        /// The referenced Advance Sale.
        number: String,
    },
    /// ESIR time (`dateAndTimeOfIssue`) on a document other than an Advance Sale.
    IssueTimeNotAllowed {
        /// The document kind.
        kind: DocumentKind,
    },
    /// ESIR time on an Advance Sale not paid by wire transfer.
    IssueTimeNeedsWire,
    /// ESIR time that is not before the day of the receipt.
    IssueTimeNotBeforeToday,
    /// This kind of document cannot be refunded.
    CannotRefund {
        /// Kind of the original.
        kind: DocumentKind,
    },
    /// This kind of document cannot be copied.
    CannotCopy {
        /// Kind of the original.
        kind: DocumentKind,
    },
    /// Only Normal and Advance documents can be cancelled.
    CannotCancel {
        /// Kind of the original.
        kind: DocumentKind,
    },
    /// The document is not part of an advance chain that can be continued or closed.
    NotAnAdvanceChain {
        /// The number given.
        number: String,
    },
    /// The advance chain has nothing left to close.
    NothingToClose {
        /// The number given.
        number: String,
    },
    /// A refund must list the original's payments or new ones; the original is not known, so the
    /// payments must be given.
    PaymentsNeeded,
    /// A refund of a receipt not in the local store needs its items.
    ItemsNeeded,
    /// A given number does not match the verification URL.
    NumberMismatch {
        /// The number given.
        given: String,
        /// The number in the URL.
        in_url: String,
    },
}

/// A warning: the document is still sent. Sentences: [`EsirWarning::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EsirWarning {
    /// The buyer ID is accepted with a reservation (a JMBG whose check digit does not match).
    BuyerId(BuyerIdWarning),
    /// The referenced document is not in the local store, so the chain rules were not checked.
    ReferenceNotInStore {
        /// The referenced number.
        number: String,
    },
}
