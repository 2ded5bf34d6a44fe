//! Tests of the document builders.

use fiskal_domain::api::{InvoiceRequest, InvoiceResult, Payment};
use fiskal_domain::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};

use super::*;
use crate::rules::RuleViolation;
use crate::store::StoredInvoice;
use fiskal_domain::money::dec;

fn result(number: &str, kind: DocumentKind, total: &str) -> InvoiceResult {
    let json = serde_json::json!({
        "requestedBy": "YTSS6KKG", "signedBy": "YTSS6KKG",
        "sdcDateTime": "2024-05-01T10:00:00.000+02:00",
        "invoiceCounter": format!("1/1{}", kind.extension()), "invoiceCounterExtension": kind.extension(),
        "invoiceNumber": number, "taxItems": [], "verificationUrl": "https://x/v/?vl=A",
        "verificationQRCode": null, "journal": null, "messages": "Успешно", "signature": "", "encryptedInternalData": "",
        "totalCounter": 1, "transactionTypeCounter": 1, "totalAmount": serde_json::Number::from_string_unchecked(total.into()),
        "taxGroupRevision": 1, "businessName": "Продавница", "tin": "RS106884584", "locationName": "1-Радња",
        "address": "Улица 1", "district": "Београд"
    });
    serde_json::from_value(json).unwrap()
}

fn stored(number: &str, req: InvoiceRequest) -> StoredInvoice {
    let res = result(number, req.kind(), &req.total().to_string());
    StoredInvoice {
        request_id: format!("r-{number}"),
        request: req,
        result: res,
        chain_id: None,
        stored_at: chrono::Utc::now(),
    }
}

fn header() -> Header {
    Header {
        cashier: Some("Mira".into()),
        esir_number: Some("fiskal/0.1".into()),
        ..Header::default()
    }
}

fn sale() -> InvoiceRequest {
    new_document(
        DocumentKind::new(InvoiceType::Normal, TransactionType::Sale),
        &Header {
            buyer_id: Some("10:106884584".into()),
            ..header()
        },
        vec![
            parse_item_spec("Pivo Lav/л;2;82.00;Ђ").unwrap(),
            parse_item_spec("Hleb/kom;1;64,5;Е").unwrap(),
        ],
        vec![parse_payment_spec("cash:300").unwrap()],
    )
}

#[test]
fn item_and_payment_specs() {
    let i = parse_item_spec("Pivo Lav/л;2;82.00;Ђ,Е;12345678").unwrap();
    assert_eq!(
        (i.total_amount, i.labels.clone(), i.gtin.as_deref()),
        (
            dec("164.00"),
            vec!["Ђ".into(), "Е".into()],
            Some("12345678")
        )
    );
    assert_eq!(
        parse_item_spec("x;0.333;1.01;Ђ").unwrap().total_amount,
        dec("0.34")
    );
    assert!(parse_item_spec("x;2;82").is_err());
    assert!(parse_item_spec("x;-1;82;Ђ").is_err());
    assert_eq!(
        parse_payment_spec("wire:10,50").unwrap(),
        Payment {
            amount: dec("10.50"),
            payment_type: PaymentType::WireTransfer
        }
    );
    assert_eq!(
        parse_payment_spec("MobileMoney:1").unwrap().payment_type,
        PaymentType::MobileMoney
    );
    assert!(parse_payment_spec("bitcoin:1").is_err());
    assert!(parse_payment_spec("cash").is_err());
}

#[test]
fn refund_takes_items_and_references_the_sale() {
    let s = stored("YTSS6KKG-YTSS6KKG-10", sale());
    let h = Header {
        buyer_id: Some("20:0023456".into()),
        ..Header::default()
    };
    let r = refund_of(&Original::stored(&s), &h, None, None).unwrap();
    assert_eq!(
        r.kind(),
        DocumentKind::new(InvoiceType::Normal, TransactionType::Refund)
    );
    assert_eq!(
        r.referent_document_number.as_deref(),
        Some("YTSS6KKG-YTSS6KKG-10")
    );
    assert_eq!(r.referent_document_dt, Some(s.time()));
    assert_eq!(r.items, s.request.items);
    assert_eq!(r.buyer_id.as_deref(), Some("20:0023456"));
    assert_eq!(r.cashier.as_deref(), Some("Mira"));
    // Payment reduced to the refunded value (300 was paid for 228.50).
    assert_eq!(
        r.payment,
        vec![Payment {
            amount: dec("228.50"),
            payment_type: PaymentType::Cash
        }]
    );
    // Partial refund.
    let part = vec![parse_item_spec("Hleb/kom;1;64.50;Е").unwrap()];
    let r = refund_of(
        &Original::stored(&s),
        &h,
        Some(part),
        Some(vec![parse_payment_spec("card:64.50").unwrap()]),
    )
    .unwrap();
    assert_eq!(r.total(), dec("64.50"));
    // A refund cannot be refunded.
    let rs = stored("YTSS6KKG-YTSS6KKG-11", r);
    assert!(matches!(
        refund_of(&Original::stored(&rs), &h, None, None),
        Err(RuleViolation::CannotRefund { .. })
    ));
}

#[test]
fn copies_follow_the_transaction_type() {
    let s = stored("YTSS6KKG-YTSS6KKG-10", sale());
    let c = copy_of(&Original::stored(&s), &header()).unwrap();
    assert_eq!(
        c.kind(),
        DocumentKind::new(InvoiceType::Copy, TransactionType::Sale)
    );
    assert_eq!(c.buyer_id.as_deref(), Some("10:106884584"));
    assert_eq!(
        (c.items.clone(), c.payment.clone()),
        (s.request.items.clone(), s.request.payment.clone())
    );
    let r = refund_of(
        &Original::stored(&s),
        &Header {
            buyer_id: Some("20:1".into()),
            ..header()
        },
        None,
        None,
    )
    .unwrap();
    let rs = stored("YTSS6KKG-YTSS6KKG-11", r);
    let c = copy_of(&Original::stored(&rs), &header()).unwrap();
    assert_eq!(
        c.kind(),
        DocumentKind::new(InvoiceType::Copy, TransactionType::Refund)
    );
    assert_eq!(
        c.referent_document_number.as_deref(),
        Some("YTSS6KKG-YTSS6KKG-11")
    );
    let pf = stored(
        "YTSS6KKG-YTSS6KKG-12",
        as_non_fiscal(&sale(), InvoiceType::ProForma),
    );
    assert!(matches!(
        copy_of(&Original::stored(&pf), &header()),
        Err(RuleViolation::CannotCopy { .. })
    ));
}

#[test]
fn cancellation_uses_the_sellers_pib() {
    let s = stored("YTSS6KKG-YTSS6KKG-10", sale());
    let c = cancellation_of(&Original::stored(&s), &s.result.tin, &Header::default()).unwrap();
    assert_eq!(
        c.kind(),
        DocumentKind::new(InvoiceType::Normal, TransactionType::Refund)
    );
    assert_eq!(c.buyer_id.as_deref(), Some("10:106884584"));
    assert_eq!(c.payment, s.request.payment);
    assert_eq!(c.referent_document_number.as_deref(), Some(s.number()));
    // Cancelling that refund gives a Normal Sale.
    let cs = stored("YTSS6KKG-YTSS6KKG-11", c);
    let again = cancellation_of(&Original::stored(&cs), "106884584", &Header::default()).unwrap();
    assert_eq!(
        again.kind(),
        DocumentKind::new(InvoiceType::Normal, TransactionType::Sale)
    );
    let t = stored(
        "YTSS6KKG-YTSS6KKG-12",
        as_non_fiscal(&sale(), InvoiceType::Training),
    );
    assert!(matches!(
        cancellation_of(&Original::stored(&t), "106884584", &header()),
        Err(RuleViolation::CannotCancel { .. })
    ));
}

#[test]
fn advance_chain_start_add_close() {
    let h = header();
    let a1 = advance_sale(
        &h,
        vec![parse_advance_spec("Ђ:5000").unwrap()],
        vec![parse_payment_spec("wire:5000").unwrap()],
        None,
        None,
    );
    assert_eq!(a1.items[0].name, "10: Аванс");
    assert_eq!(a1.referent_document_number, None);
    let mut s1 = stored("YTSS6KKG-YTSS6KKG-20", a1);
    s1.chain_id = Some(s1.number().to_string());
    let a2 = advance_sale(
        &h,
        vec![
            parse_advance_spec("10:3000").unwrap(),
            parse_advance_spec("Е:1100").unwrap(),
        ],
        vec![parse_payment_spec("cash:5000").unwrap()],
        Some(&Original::stored(&s1)),
        None,
    );
    assert_eq!(
        a2.referent_document_number.as_deref(),
        Some("YTSS6KKG-YTSS6KKG-20")
    );
    let s2 = stored("YTSS6KKG-YTSS6KKG-21", a2);
    let chain = AdvanceChain {
        id: s1.number().to_string(),
        docs: vec![s1.clone(), s2.clone()],
    };
    assert_eq!(
        chain.last_advance_sale().map(|d| d.number()),
        Some("YTSS6KKG-YTSS6KKG-21")
    );
    assert_eq!(
        chain.open_by_label(),
        vec![('Ђ', dec("8000")), ('Е', dec("1100"))]
    );
    let ar = chain
        .closing_refund(&Header {
            buyer_id: Some("10:106884584".into()),
            ..h.clone()
        })
        .unwrap();
    assert_eq!(
        ar.kind(),
        DocumentKind::new(InvoiceType::Advance, TransactionType::Refund)
    );
    assert_eq!(
        ar.referent_document_number.as_deref(),
        Some("YTSS6KKG-YTSS6KKG-21")
    );
    assert_eq!(
        ar.items
            .iter()
            .map(|i| (i.name.as_str(), i.total_amount))
            .collect::<Vec<_>>(),
        vec![("10: Аванс", dec("8000")), ("11: Аванс", dec("1100"))]
    );
    // 10 000 paid for 9 100: the 900 change comes off the cash.
    assert_eq!(
        ar.payment,
        vec![
            Payment {
                amount: dec("5000"),
                payment_type: PaymentType::WireTransfer
            },
            Payment {
                amount: dec("4100"),
                payment_type: PaymentType::Cash
            }
        ]
    );
    let sar = stored("YTSS6KKG-YTSS6KKG-22", ar);
    let mut chain2 = chain.clone();
    chain2.docs.push(sar.clone());
    assert!(chain2.open_by_label().is_empty());
    assert!(matches!(
        chain2.closing_refund(&h),
        Err(RuleViolation::NothingToClose { .. })
    ));
    let ps = chain.closing_sale(
        &sar,
        &h,
        vec![parse_item_spec("Kauč/kom;1;10000;Ђ").unwrap()],
        vec![parse_payment_spec("card:900").unwrap()],
    );
    assert_eq!(
        ps.kind(),
        DocumentKind::new(InvoiceType::Normal, TransactionType::Sale)
    );
    assert_eq!(
        ps.referent_document_number.as_deref(),
        Some("YTSS6KKG-YTSS6KKG-22")
    );
    assert_eq!(ps.buyer_id.as_deref(), Some("10:106884584"));
}

#[test]
fn advance_specs() {
    assert_eq!(parse_advance_spec("А:100").unwrap().name, "13: Аванс");
    assert!(parse_advance_spec("Ж:100").is_err());
    assert!(parse_advance_spec("Ђ:0").is_err());
}
