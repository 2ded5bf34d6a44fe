//! Tests of the request parser and checker.

use super::*;
use crate::kinds::{InvoiceType, PaymentType, TransactionType};
use crate::money::dec;

fn parse(v: serde_json::Value) -> Result<InvoiceRequest, Vec<FieldError>> {
    InvoiceRequest::from_value(&v)
}

fn base() -> serde_json::Value {
    serde_json::json!({
        "invoiceType": 0, "transactionType": 0,
        "payment": [ { "amount": 164.00, "paymentType": 2 } ],
        "items": [ { "name": "Pivo Lav/л", "quantity": 2, "unitPrice": 82.00, "labels": ["Ђ"], "totalAmount": 164.00 } ]
    })
}

#[test]
fn field_names_in_any_case_and_enum_names() {
    let r = parse(serde_json::json!({
        "INVOICETYPE": "advance", "TransactionType": "Refund", "ReferentDocumentNumber": "AAAAAAAA-BBBBBBBB-1",
        "payment": [ { "AMOUNT": 1, "paymenttype": "mobileMoney" } ],
        "Items": [ { "NAME": "x", "Quantity": 1, "UnitPrice": 1, "LABELS": ["Ђ"], "TotalAmount": 1 } ]
    }))
    .unwrap();
    assert_eq!(r.invoice_type, InvoiceType::Advance);
    assert_eq!(r.transaction_type, TransactionType::Refund);
    assert_eq!(r.payment[0].payment_type, PaymentType::MobileMoney);
}

#[test]
fn decimals_are_exact() {
    let body = r#"{"invoiceType":0,"transactionType":0,"payment":[{"amount":0.1000,"paymentType":1}],
        "items":[{"name":"x","quantity":0.001,"unitPrice":99999999999999.99,"labels":["Ђ"],"totalAmount":100000000000.00}]}"#;
    let r = InvoiceRequest::from_json(body.as_bytes()).unwrap();
    assert_eq!(r.items[0].unit_price, dec("99999999999999.99"));
    assert_eq!(r.payment[0].amount.to_string(), "0.1000");
}

#[test]
fn numbers_more_precise_than_a_decimal_holds_are_refused_not_rounded() {
    let with_price = |price: &str| {
        format!(
            r#"{{"invoiceType":0,"transactionType":0,"payment":[{{"amount":164.00,"paymentType":2}}],
            "items":[{{"name":"x","quantity":2,"unitPrice":{price},"labels":["Ђ"],"totalAmount":164.00}}]}}"#
        )
    };
    for rounded in [
        "82.00000000000000000000000000001",
        "81.99999999999999999999999999999",
        "8.200000000000000000000000000001e1",
    ] {
        let e = InvoiceRequest::from_json(with_price(rounded).as_bytes()).unwrap_err();
        let got: Vec<_> = e
            .iter()
            .map(|x| (x.property.as_str(), x.code.code()))
            .collect();
        assert_eq!(got, vec![("items[0].unitPrice", "2806")], "{rounded}");
    }
    // Trailing zeros and exponents that a Decimal holds exactly are the same value.
    for exact in ["82.000000000000000000000000000000", "8.2e1", "8200e-2"] {
        let r = InvoiceRequest::from_json(with_price(exact).as_bytes()).unwrap();
        assert_eq!(r.items[0].unit_price, dec("82"), "{exact}");
    }
}

#[test]
fn every_error_is_collected_with_its_path() {
    let mut v = base();
    v["items"][0]["labels"] = serde_json::json!([1]);
    v["items"][0]["gtin"] = serde_json::json!("12");
    v["payment"][0]["paymentType"] = serde_json::json!(9);
    v["cashier"] = serde_json::json!("");
    let e = parse(v).unwrap_err();
    let got: Vec<(String, &str)> = e
        .iter()
        .map(|x| (x.property.clone(), x.code.code()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("cashier".to_string(), "2802"),
            ("payment[0].paymentType".to_string(), "2805"),
            ("items[0].gtin".to_string(), "2803"),
            ("items[0].labels[0]".to_string(), "2806"),
        ]
    );
}

#[test]
fn empty_reference_counts_as_absent_and_null_as_absent() {
    let mut v = base();
    v["referentDocumentNumber"] = serde_json::json!("");
    v["referentDocumentDT"] = serde_json::json!("");
    v["buyerId"] = serde_json::Value::Null;
    let r = parse(v).unwrap();
    assert_eq!(r.referent_document_number, None);
    assert_eq!(r.buyer_id, None);
}

#[test]
fn canonical_json_round_trips() {
    let r = parse(base()).unwrap();
    let again: InvoiceRequest = serde_json::from_str(&r.canonical_json()).unwrap();
    assert_eq!(again, r);
}

#[test]
fn model_errors_group_by_property() {
    let m = ModelErrors::from_errors(
        "Bad Request",
        &[
            FieldError {
                property: "a".into(),
                code: Gsc::InvalidValue,
            },
            FieldError {
                property: "b".into(),
                code: Gsc::FieldRequired,
            },
            FieldError {
                property: "a".into(),
                code: Gsc::OutOfRange,
            },
        ],
    );
    assert_eq!(m.model_state.len(), 2);
    assert_eq!(m.model_state[0].errors, vec!["2804", "2805"]);
    assert_eq!(
        serde_json::to_string(&m).unwrap(),
        r#"{"message":"Bad Request","modelState":[{"property":"a","errors":["2804","2805"]},{"property":"b","errors":["2800"]}]}"#
    );
}
