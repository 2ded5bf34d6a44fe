//! Tests of the ESIR's rules.

use chrono::{DateTime, FixedOffset};
use fiskal_domain::api::{InvoiceOptions, InvoiceRequest, Item, Payment};
use fiskal_domain::buyer::BuyerIdWarning;
use fiskal_domain::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};
use fiskal_domain::tax::TaxRateGroup;

use super::*;
use crate::codebook::{BuyerIdError, ItemPrefix};
use fiskal_domain::money::dec;

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2024-05-10T12:00:00+02:00").unwrap()
}

fn item(name: &str, qty: &str, price: &str, label: &str) -> Item {
    Item {
        gtin: None,
        name: name.into(),
        quantity: dec(qty),
        unit_price: dec(price),
        labels: vec![label.into()],
        total_amount: fiskal_domain::money::round2(dec(qty) * dec(price)),
    }
}

fn req(it: InvoiceType, tt: TransactionType, pay: PaymentType) -> InvoiceRequest {
    InvoiceRequest {
        date_and_time_of_issue: None,
        cashier: Some("1".into()),
        buyer_id: None,
        buyer_cost_center_id: None,
        invoice_type: it,
        transaction_type: tt,
        payment: vec![Payment {
            amount: dec("164.00"),
            payment_type: pay,
        }],
        invoice_number: Some("fiskal/0.1".into()),
        referent_document_number: None,
        referent_document_dt: None,
        options: InvoiceOptions::default(),
        items: vec![item("Pivo Lav/л", "2", "82.00", "Ђ")],
    }
}

fn check(
    r: &InvoiceRequest,
    referenced: Option<Referenced>,
) -> Result<Vec<EsirWarning>, Vec<RuleViolation>> {
    let groups = [TaxRateGroup::serbian_default()];
    let ctx = CheckContext {
        tax_groups: &groups,
        current: Some(&groups[0]),
        now: now(),
        referenced,
    };
    check_request(r, &ctx)
}

fn with_ref(mut r: InvoiceRequest) -> InvoiceRequest {
    r.referent_document_number = Some("YTSS6KKG-HJHR9EO0-289".into());
    r.referent_document_dt =
        Some(DateTime::parse_from_rfc3339("2024-05-01T10:00:00+02:00").unwrap());
    r
}

fn referenced(kind: DocumentKind) -> Referenced {
    Referenced {
        number: "YTSS6KKG-HJHR9EO0-289".into(),
        kind,
        time: DateTime::parse_from_rfc3339("2024-05-01T10:00:00+02:00").unwrap(),
        total: dec("164.00"),
        seller_tin: Some("123456789".into()),
    }
}

#[test]
fn plain_sale_passes() {
    assert_eq!(
        check(
            &req(
                InvoiceType::Normal,
                TransactionType::Sale,
                PaymentType::Card
            ),
            None
        ),
        Ok(vec![])
    );
}

#[test]
fn cash_refund_needs_buyer_id_but_card_refund_does_not() {
    let r = with_ref(req(
        InvoiceType::Normal,
        TransactionType::Refund,
        PaymentType::Cash,
    ));
    let e = check(&r, None).unwrap_err();
    assert!(e.contains(&RuleViolation::BuyerIdRequired { kind: r.kind() }));
    let r = with_ref(req(
        InvoiceType::Normal,
        TransactionType::Refund,
        PaymentType::Card,
    ));
    assert!(check(&r, None).is_ok());
}

#[test]
fn jmbg_refused_on_cash_refund_and_check_digit_warns() {
    let base = "010199071000";
    let good = (0..10)
        .map(|d| format!("{base}{d}"))
        .find(|j| fiskal_domain::buyer::jmbg_check_digit_valid(j))
        .unwrap();
    let mut r = with_ref(req(
        InvoiceType::Normal,
        TransactionType::Refund,
        PaymentType::Cash,
    ));
    r.buyer_id = Some(format!("11:{good}"));
    let e = check(&r, None).unwrap_err();
    assert_eq!(
        e,
        vec![RuleViolation::JmbgOnCashRefund {
            value: format!("11:{good}")
        }]
    );
    let bad = format!("{base}{}", (good.as_bytes()[12] - b'0' + 1) % 10);
    let mut s = req(
        InvoiceType::Normal,
        TransactionType::Sale,
        PaymentType::Cash,
    );
    s.buyer_id = Some(format!("11:{bad}"));
    let w = check(&s, None).unwrap();
    assert_eq!(
        w,
        vec![EsirWarning::BuyerId(BuyerIdWarning::JmbgCheckDigit {
            jmbg: bad.clone()
        })]
    );
}

#[test]
fn pib_check_digit_and_unknown_code() {
    let mut r = req(
        InvoiceType::Normal,
        TransactionType::Sale,
        PaymentType::Cash,
    );
    r.buyer_id = Some("10:123456789".into());
    assert_eq!(
        check(&r, None).unwrap_err(),
        vec![RuleViolation::BuyerId {
            value: "10:123456789".into(),
            error: BuyerIdError::PibCheckDigit {
                pib: "123456789".into()
            }
        }]
    );
    r.buyer_id = Some("10:106884584".into());
    assert!(check(&r, None).is_ok());
    // The seller's own PIB on a cancellation comes from the PFR and is accepted as it is.
    let mut c = with_ref(req(
        InvoiceType::Normal,
        TransactionType::Refund,
        PaymentType::Cash,
    ));
    c.buyer_id = Some("10:123456789".into());
    let sale = DocumentKind::new(InvoiceType::Normal, TransactionType::Sale);
    assert!(check(&c, Some(referenced(sale))).is_ok());
    r.buyer_id = Some("77:1".into());
    assert!(matches!(
        check(&r, None).unwrap_err()[0],
        RuleViolation::BuyerId { .. }
    ));
}

#[test]
fn unknown_labels_and_prefixes() {
    let mut r = req(
        InvoiceType::Normal,
        TransactionType::Sale,
        PaymentType::Cash,
    );
    r.items.push(item("55: nešto", "1", "0", "Ж"));
    let e = check(&r, None).unwrap_err();
    assert!(e.contains(&RuleViolation::UnknownItemPrefix {
        item: 1,
        prefix: "55".into()
    }));
    assert!(e.contains(&RuleViolation::UnknownTaxLabel {
        item: 1,
        label: "Ж".into(),
        group_id: 1
    }));
    let mut r = req(
        InvoiceType::Normal,
        TransactionType::Sale,
        PaymentType::Cash,
    );
    r.items = vec![
        item("20: Ваучер", "1", "100", "Ђ"),
        item("21: Ваучер", "1", "64", "Е"),
    ];
    assert_eq!(
        check(&r, None).unwrap_err(),
        vec![RuleViolation::VoucherRatesMixed]
    );
}

#[test]
fn advance_items_only_on_advance_documents() {
    let mut r = req(
        InvoiceType::Advance,
        TransactionType::Sale,
        PaymentType::Cash,
    );
    assert_eq!(
        check(&r, None).unwrap_err(),
        vec![RuleViolation::NonAdvanceItemOnAdvance { item: 0 }]
    );
    r.items = vec![item("10: Аванс", "1", "164.00", "Ђ")];
    assert!(check(&r, None).is_ok());
    r.items = vec![item("10: Аванс", "1", "164.00", "Е")];
    assert_eq!(
        check(&r, None).unwrap_err(),
        vec![RuleViolation::PrefixLabel {
            item: 0,
            prefix: ItemPrefix::Advance('Ђ')
        }]
    );
    let mut n = req(
        InvoiceType::Normal,
        TransactionType::Sale,
        PaymentType::Cash,
    );
    n.items = vec![item("10: Аванс", "2", "82.00", "Ђ")];
    let e = check(&n, None).unwrap_err();
    assert!(e.contains(&RuleViolation::AdvanceItemOnNormal { item: 0 }));
    assert!(e.contains(&RuleViolation::AdvanceQuantity { item: 0 }));
}

#[test]
fn references_required_and_checked_against_the_store() {
    let r = req(InvoiceType::Copy, TransactionType::Sale, PaymentType::Card);
    assert_eq!(
        check(&r, None).unwrap_err(),
        vec![RuleViolation::ReferenceRequired { kind: r.kind() }]
    );
    let mut r = with_ref(req(
        InvoiceType::Copy,
        TransactionType::Sale,
        PaymentType::Card,
    ));
    r.referent_document_dt = None;
    assert_eq!(
        check(&r, None).unwrap_err(),
        vec![RuleViolation::ReferenceTimeRequired { kind: r.kind() }]
    );
    // Copy Sale of a ProForma is refused.
    let r = with_ref(req(
        InvoiceType::Copy,
        TransactionType::Sale,
        PaymentType::Card,
    ));
    let pf = DocumentKind::new(InvoiceType::ProForma, TransactionType::Sale);
    assert!(matches!(
        check(&r, Some(referenced(pf))).unwrap_err()[0],
        RuleViolation::WrongReferencedKind { .. }
    ));
    // Normal Sale straight after an Advance Sale: close first.
    let r = with_ref(req(
        InvoiceType::Normal,
        TransactionType::Sale,
        PaymentType::Card,
    ));
    let ap = DocumentKind::new(InvoiceType::Advance, TransactionType::Sale);
    assert_eq!(
        check(&r, Some(referenced(ap))).unwrap_err(),
        vec![RuleViolation::AdvanceNotClosed {
            number: "YTSS6KKG-HJHR9EO0-289".into()
        }]
    );
    // Not in the store: a warning.
    let r = with_ref(req(
        InvoiceType::Normal,
        TransactionType::Refund,
        PaymentType::Card,
    ));
    assert_eq!(
        check(&r, None).unwrap(),
        vec![EsirWarning::ReferenceNotInStore {
            number: "YTSS6KKG-HJHR9EO0-289".into()
        }]
    );
    let mut r = r;
    r.referent_document_number = Some("АБ123456-XXXXXXXX-1".into());
    assert!(matches!(
        check(&r, None).unwrap_err()[0],
        RuleViolation::ReferenceFormat { .. }
    ));
}

#[test]
fn closing_sale_pays_only_the_remainder() {
    let mut r = with_ref(req(
        InvoiceType::Normal,
        TransactionType::Sale,
        PaymentType::Cash,
    ));
    r.referent_document_dt = None;
    r.payment[0].amount = dec("0");
    let ar = DocumentKind::new(InvoiceType::Advance, TransactionType::Refund);
    assert!(check(&r, Some(referenced(ar))).is_ok());
    assert_eq!(
        check(&r, None).unwrap_err(),
        vec![RuleViolation::PaymentBelowTotal {
            due: dec("164.00"),
            paid: dec("0")
        }]
    );
}

#[test]
fn esir_time_only_for_wire_paid_advance_before_today() {
    let mut r = req(
        InvoiceType::Advance,
        TransactionType::Sale,
        PaymentType::WireTransfer,
    );
    r.items = vec![item("10: Аванс", "1", "164.00", "Ђ")];
    r.date_and_time_of_issue =
        Some(DateTime::parse_from_rfc3339("2024-05-09T09:00:00+02:00").unwrap());
    assert!(check(&r, None).is_ok());
    r.date_and_time_of_issue = Some(now());
    assert_eq!(
        check(&r, None).unwrap_err(),
        vec![RuleViolation::IssueTimeNotBeforeToday]
    );
    let mut s = req(
        InvoiceType::Normal,
        TransactionType::Sale,
        PaymentType::Cash,
    );
    s.date_and_time_of_issue =
        Some(DateTime::parse_from_rfc3339("2024-05-09T09:00:00+02:00").unwrap());
    assert_eq!(
        check(&s, None).unwrap_err(),
        vec![RuleViolation::IssueTimeNotAllowed { kind: s.kind() }]
    );
}

#[test]
fn corporate_card_needs_voucher_and_esir_number_required() {
    let mut r = req(
        InvoiceType::Normal,
        TransactionType::Sale,
        PaymentType::Cash,
    );
    r.buyer_cost_center_id = Some("50:66666666".into());
    r.invoice_number = None;
    let e = check(&r, None).unwrap_err();
    assert_eq!(
        e,
        vec![
            RuleViolation::CorporateCardNeedsVoucher,
            RuleViolation::EsirNumberMissing
        ]
    );
}
