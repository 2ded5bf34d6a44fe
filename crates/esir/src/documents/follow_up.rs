//! Documents that follow an earlier one: refund, copy, cancellation, and the non-fiscal
//! versions (receipt.md §4).

use chrono::{DateTime, FixedOffset};
use fiskal_domain::api::{InvoiceOptions, InvoiceRequest, InvoiceResult, Item, Payment};
use fiskal_domain::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};
use fiskal_domain::verification_url::VerificationPayload;

use super::Header;
use crate::codebook;
use crate::error::EsirError;
use crate::rules::RuleViolation;
use crate::store::StoredInvoice;

/// What a follow-up document needs to know about the document it refers to: its number, PFR
/// time, kind and, when known, its request.
#[derive(Debug, Clone, PartialEq)]
pub struct Original {
    /// PFR invoice number.
    pub number: String,
    /// PFR time.
    pub time: DateTime<FixedOffset>,
    /// Kind.
    pub kind: DocumentKind,
    /// The request it was issued from (unknown for a receipt issued elsewhere).
    pub request: Option<InvoiceRequest>,
    /// The seller's TIN from the result, when known.
    pub seller_tin: Option<String>,
}

impl Original {
    /// An original from the local store.
    pub fn stored(s: &StoredInvoice) -> Original {
        Original {
            number: s.number().to_string(),
            time: s.time(),
            kind: s.kind(),
            request: Some(s.request.clone()),
            seller_tin: Some(s.result.tin.clone()),
        }
    }

    /// An original from its PFR result and request.
    pub fn from_result(request: &InvoiceRequest, result: &InvoiceResult) -> Original {
        Original {
            number: result.invoice_number.clone(),
            time: result.sdc_date_time,
            kind: request.kind(),
            request: Some(request.clone()),
            seller_tin: Some(result.tin.clone()),
        }
    }

    /// An original known only from its verification URL (a receipt this ESIR did not issue).
    pub fn from_verification_url(url: &str) -> Result<Original, EsirError> {
        let p = VerificationPayload::decode(url).map_err(|e| EsirError::VerificationUrl {
            detail: e.to_string(),
        })?;
        let time = p.sdc_time().ok_or_else(|| EsirError::VerificationUrl {
            detail: "time out of range".into(),
        })?;
        Ok(Original {
            number: p.invoice_number(),
            time: fiskal_domain::time::to_belgrade(time),
            kind: DocumentKind::new(p.invoice_type, p.transaction_type),
            request: None,
            seller_tin: None,
        })
    }
}

pub(super) fn follow_up(orig: &Original, kind: DocumentKind, header: &Header) -> InvoiceRequest {
    let base = orig.request.as_ref();
    let pick =
        |h: &Option<String>, o: Option<&Option<String>>| h.clone().or_else(|| o.cloned().flatten());
    InvoiceRequest {
        date_and_time_of_issue: None,
        cashier: pick(&header.cashier, base.map(|b| &b.cashier)),
        buyer_id: pick(&header.buyer_id, base.map(|b| &b.buyer_id)),
        buyer_cost_center_id: pick(
            &header.buyer_cost_center_id,
            base.map(|b| &b.buyer_cost_center_id),
        ),
        invoice_type: kind.invoice_type,
        transaction_type: kind.transaction_type,
        payment: base.map(|b| b.payment.clone()).unwrap_or_default(),
        invoice_number: pick(&header.esir_number, base.map(|b| &b.invoice_number)),
        referent_document_number: Some(orig.number.clone()),
        referent_document_dt: Some(orig.time),
        options: InvoiceOptions::default(),
        items: base.map(|b| b.items.clone()).unwrap_or_default(),
    }
}

/// A refund of `orig` (Normal Sale → Normal Refund, Advance Sale → Advance Refund, also
/// ProForma and Training): same items and payments unless `items` / `payments` are given (a
/// partial refund, or money returned another way), reference = the original's number and time.
/// `header.buyer_id` is the buyer's ID (required for a cash refund, checked by the rules).
pub fn refund_of(
    orig: &Original,
    header: &Header,
    items: Option<Vec<Item>>,
    payments: Option<Vec<Payment>>,
) -> Result<InvoiceRequest, RuleViolation> {
    if orig.kind.transaction_type != TransactionType::Sale
        || orig.kind.invoice_type == InvoiceType::Copy
    {
        return Err(RuleViolation::CannotRefund { kind: orig.kind });
    }
    let kind = DocumentKind::new(orig.kind.invoice_type, TransactionType::Refund);
    let mut r = follow_up(orig, kind, header);
    // A refund's buyer is the one returning the goods, not the original buyer by default.
    r.buyer_id = header.buyer_id.clone().or(r.buyer_id);
    match items {
        Some(i) => r.items = i,
        None if orig.request.is_none() => return Err(RuleViolation::ItemsNeeded),
        None => {}
    }
    match payments {
        Some(p) => r.payment = p,
        None if orig.request.is_none() => return Err(RuleViolation::PaymentsNeeded),
        None => {
            // Refund what the items are worth, in the original's first payment method.
            let total = r.total();
            if r.payment_total() != total {
                let t = r
                    .payment
                    .first()
                    .map(|p| p.payment_type)
                    .unwrap_or(PaymentType::Cash);
                r.payment = vec![Payment {
                    amount: total,
                    payment_type: t,
                }];
            }
        }
    }
    Ok(r)
}

/// A copy of `orig`: Copy Sale of a Normal or Advance Sale, Copy Refund of a Normal or Advance
/// Refund, with the same buyer, items and payments; reference = the original's number and time.
pub fn copy_of(orig: &Original, header: &Header) -> Result<InvoiceRequest, RuleViolation> {
    if !matches!(
        orig.kind.invoice_type,
        InvoiceType::Normal | InvoiceType::Advance
    ) || orig.request.is_none()
    {
        return Err(RuleViolation::CannotCopy { kind: orig.kind });
    }
    let kind = DocumentKind::new(InvoiceType::Copy, orig.kind.transaction_type);
    // The copy repeats the original's buyer; the header may only change cashier and ESIR number.
    let h = Header {
        buyer_id: None,
        buyer_cost_center_id: None,
        ..header.clone()
    };
    Ok(follow_up(orig, kind, &h))
}

/// Cancellation of an erroneous Normal or Advance receipt (receipt.md §4): the opposite
/// transaction of the same type with the same items, quantities, prices and payments, buyer ID
/// `10:{seller PIB}`, reference = the erroneous receipt. `seller_tin` may carry a country prefix
/// (`RS111911206`).
pub fn cancellation_of(
    orig: &Original,
    seller_tin: &str,
    header: &Header,
) -> Result<InvoiceRequest, RuleViolation> {
    if !matches!(
        orig.kind.invoice_type,
        InvoiceType::Normal | InvoiceType::Advance
    ) || orig.request.is_none()
    {
        return Err(RuleViolation::CannotCancel { kind: orig.kind });
    }
    let tx = match orig.kind.transaction_type {
        TransactionType::Sale => TransactionType::Refund,
        TransactionType::Refund => TransactionType::Sale,
    };
    let h = Header {
        buyer_id: Some(codebook::seller_buyer_id(seller_tin)),
        ..header.clone()
    };
    Ok(follow_up(
        orig,
        DocumentKind::new(orig.kind.invoice_type, tx),
        &h,
    ))
}

/// A ProForma or Training version of a document (same items and payments, no reference).
pub fn as_non_fiscal(req: &InvoiceRequest, invoice_type: InvoiceType) -> InvoiceRequest {
    let mut r = req.clone();
    r.invoice_type = invoice_type;
    r.referent_document_number = None;
    r.referent_document_dt = None;
    r.date_and_time_of_issue = None;
    r
}
