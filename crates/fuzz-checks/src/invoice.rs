//! Target `invoice_request`: what the L-PFR's `POST /api/v3/invoices` does with a body before
//! it reaches the secure element.

use chrono::{DateTime, Utc};
use fiskal_domain::api::{InvoiceRequest, compute};
use fiskal_domain::journal::{JournalInput, render};
use fiskal_domain::money::to_scaled;
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::TaxRateGroup;
use rust_decimal::Decimal;

/// The PFR time every computation of the fuzz checks uses.
fn pfr_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T12:00:00+01:00")
        .expect("constant")
        .with_timezone(&Utc)
}

/// Parses `data` as an `InvoiceRequest` body (`InvoiceRequest::from_json`), never panicking.
///
/// A request that parses must:
/// - survive the journal: its canonical JSON (what the L-PFR stores and later reads back for a
///   repeated `RequestId` or after a crash) deserializes to the same request, and
///   `InvoiceRequest::from_value` of it (what the SUF runs on the request inside an audit
///   package) accepts it as the same request;
/// - compute (`api::compute` against fiskal's default tax-rate group) without panic, and when
///   it computes, have a total the SE can take and render as a journal.
pub fn check_invoice_request(data: &[u8]) {
    let Ok(req) = InvoiceRequest::from_json(data) else {
        return;
    };
    let canonical = req.canonical_json();
    assert!(
        !canonical.is_empty(),
        "a parsed request has no canonical JSON"
    );
    let stored: InvoiceRequest = serde_json::from_str(&canonical)
        .unwrap_or_else(|e| panic!("the canonical JSON of a request does not read back: {e}"));
    assert_eq!(
        stored, req,
        "the canonical JSON reads back as another request"
    );
    let value: serde_json::Value =
        serde_json::from_str(&canonical).expect("canonical JSON is JSON");
    match InvoiceRequest::from_value(&value) {
        Ok(again) => assert_eq!(
            again, req,
            "the SUF reads the package's request differently"
        ),
        Err(e) => panic!("the SUF would refuse the canonical JSON of an accepted request: {e:?}"),
    }
    compute_and_render(&req, &[TaxRateGroup::serbian_default()]);
}

/// Computes `req` against `groups` and, when it computes, renders its journal. Used by the
/// invoice target and by the local-medium target (a `SetTaxRates` command's group).
pub(crate) fn compute_and_render(req: &InvoiceRequest, groups: &[TaxRateGroup]) {
    let _ = req.total();
    let _ = req.payment_total();
    let Ok(c) = compute(req, groups, pfr_time(), Decimal::ZERO) else {
        return;
    };
    assert!(
        to_scaled(c.total_amount).is_some(),
        "a computed total {} does not fit the SE's amount",
        c.total_amount
    );
    let seller = Seller::seed_example();
    let journal = render(&JournalInput {
        seller: &seller,
        request: req,
        tax_items: &c.tax_items,
        total_amount: c.total_amount,
        sdc_time: pfr_time(),
        invoice_number: "YTSS6KKG-HJHR9EO0-289",
        invoice_counter: "278/289ПП",
        advance: None,
    });
    assert!(!journal.is_empty(), "an empty journal");
}
