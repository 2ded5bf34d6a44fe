//! Building documents: new ones from command-line items and payments, and those that follow an
//! earlier document (refund, copy, cancellation, advance chain; receipt.md §4).
//!
//! Builders only assemble requests; [`crate::rules::check_request`] checks them before sending.

mod advance;
mod follow_up;
mod specs;
#[cfg(test)]
mod tests;

pub use advance::{AdvanceChain, advance_item, advance_sale};
pub use follow_up::{Original, as_non_fiscal, cancellation_of, copy_of, refund_of};
pub use specs::{parse_advance_spec, parse_item_spec, parse_payment_spec, payment_type_name};

use fiskal_domain::api::{InvoiceOptions, InvoiceRequest, Item, Payment};
use fiskal_domain::kinds::DocumentKind;

/// The fields a cashier sets on any new document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// Cashier identification.
    pub cashier: Option<String>,
    /// Buyer ID (`code:value`).
    pub buyer_id: Option<String>,
    /// Optional buyer field (`code:value`).
    pub buyer_cost_center_id: Option<String>,
    /// ESIR number (`ЕСИР број`).
    pub esir_number: Option<String>,
}

/// A new document with nothing taken from an earlier one.
pub fn new_document(
    kind: DocumentKind,
    header: &Header,
    items: Vec<Item>,
    payment: Vec<Payment>,
) -> InvoiceRequest {
    InvoiceRequest {
        date_and_time_of_issue: None,
        cashier: header.cashier.clone(),
        buyer_id: header.buyer_id.clone(),
        buyer_cost_center_id: header.buyer_cost_center_id.clone(),
        invoice_type: kind.invoice_type,
        transaction_type: kind.transaction_type,
        payment,
        invoice_number: header.esir_number.clone(),
        referent_document_number: None,
        referent_document_dt: None,
        options: InvoiceOptions::default(),
        items,
    }
}
