//! Rule tests: header, dates and the VAT point date code (BT-8), credit notes, message languages. One test per rule area: a valid document broken in one way must give
//! that rule (see `common::expect`).

mod common;

use common::*;
use fiskal_ubl::Severity::{Fatal, Warning};
use fiskal_ubl::samples::*;
use fiskal_ubl::*;

#[test]
fn header_rules() {
    let base = spec_invoice_380(today());
    expect(
        &base,
        &[
            (
                "no customization",
                |d| d.customization_id = None,
                "BR-01",
                Fatal,
            ),
            (
                "2021 customization",
                |d| {
                    d.customization_id =
                        Some("urn:cen.eu:en16931:2017#compliant#urn:mfin.gov.rs:srbdt:2021".into())
                },
                "RSR-01",
                Fatal,
            ),
            (
                "suffix without extension",
                |d| d.customization_id = Some(CUSTOMIZATION_ID_EXT.into()),
                "FSK-CUSTOMIZATION",
                Warning,
            ),
            ("no number", |d| d.id = None, "BR-02", Fatal),
            (
                "number with space",
                |d| d.id = Some("F 1".into()),
                "FSK-NUMBER",
                Fatal,
            ),
            ("no issue date", |d| d.issue_date = None, "BR-03", Fatal),
            ("no type code", |d| d.type_code = None, "BR-04", Fatal),
            (
                "type 381 on Invoice",
                |d| d.type_code = Some("381".into()),
                "RSR-03",
                Fatal,
            ),
            ("no currency", |d| d.currency = None, "BR-05", Fatal),
            (
                "bad currency",
                |d| d.currency = Some("din".into()),
                "BR-CL-04",
                Fatal,
            ),
            (
                "foreign currency",
                |d| d.currency = Some("EUR".into()),
                "FSK-CURRENCY",
                Warning,
            ),
            (
                "tax point date",
                |d| d.tax_point_date = Some(today()),
                "RSR-04",
                Fatal,
            ),
            (
                "tax point date with BT-8",
                |d| d.tax_point_date = Some(today()),
                "BR-CO-03",
                Fatal,
            ),
            (
                "long note",
                |d| d.notes = vec!["x".repeat(1001)],
                "FSK-NOTE-LENGTH",
                Fatal,
            ),
        ],
    );
}

#[test]
fn date_and_vat_point_rules() {
    let base = spec_invoice_380(today());
    expect(
        &base,
        &[
            (
                "no BT-8 with S",
                |d| d.invoice_periods.clear(),
                "RSR-05",
                Fatal,
            ),
            (
                "BT-8 = 0",
                |d| d.invoice_periods[0].description_code = Some("0".into()),
                "RSR-06",
                Fatal,
            ),
            (
                "432 without due date",
                |d| {
                    d.invoice_periods[0].description_code = Some("432".into());
                    d.due_date = None;
                },
                "RSR-08",
                Fatal,
            ),
            (
                "35 without delivery",
                |d| d.deliveries.clear(),
                "RSR-33",
                Fatal,
            ),
            (
                "3 without delivery",
                |d| {
                    d.invoice_periods[0].description_code = Some("3".into());
                    d.deliveries.clear();
                },
                "FSK-DELIVERY-DATE",
                Fatal,
            ),
            (
                "delivery after issue",
                |d| d.deliveries = vec![Some(day(2026, 11, 26))],
                "FSK-DELIVERY-AFTER-ISSUE",
                Fatal,
            ),
            (
                "due in 91 days",
                |d| d.due_date = Some(today() + chrono::Days::new(91)),
                "FSK-DUE-DATE-90",
                Fatal,
            ),
            (
                "period end before start",
                |d| {
                    d.invoice_periods[0].start = Some(day(2026, 11, 2));
                    d.invoice_periods[0].end = Some(day(2026, 11, 1));
                },
                "BR-29",
                Fatal,
            ),
            (
                "empty period",
                |d| d.invoice_periods.push(InvoicePeriod::default()),
                "BR-CO-19",
                Fatal,
            ),
            (
                "no due date nor terms",
                |d| d.due_date = None,
                "BR-CO-25",
                Fatal,
            ),
            (
                "reference without id",
                |d| {
                    d.billing_references.push(BillingReference {
                        id: None,
                        issue_date: Some(today()),
                        document_type_code: None,
                    })
                },
                "BR-55",
                Fatal,
            ),
            (
                "reference without date",
                |d| {
                    d.billing_references.push(BillingReference {
                        id: Some("F-1".into()),
                        issue_date: None,
                        document_type_code: None,
                    })
                },
                "RSR-07",
                Fatal,
            ),
            (
                "reference type 381",
                |d| {
                    d.billing_references.push(BillingReference {
                        id: Some("F-1".into()),
                        issue_date: Some(today()),
                        document_type_code: Some("381".into()),
                    })
                },
                "FSK-REFERENCE-TYPE",
                Fatal,
            ),
            (
                "four attachments",
                |d| {
                    d.additional_documents = vec![
                        AdditionalDocument {
                            id: Some("a".into()),
                            ..Default::default()
                        };
                        4
                    ]
                },
                "FSK-ATTACHMENTS",
                Fatal,
            ),
            (
                "attachment without id",
                |d| d.additional_documents = vec![AdditionalDocument::default()],
                "BR-52",
                Fatal,
            ),
            (
                "png attachment",
                |d| {
                    d.additional_documents = vec![AdditionalDocument {
                        id: Some("a".into()),
                        mime_code: Some("image/png".into()),
                        filename: Some("a.png".into()),
                        content_base64: Some("AAAA".into()),
                    }]
                },
                "FSK-ATTACHMENT-TYPE",
                Fatal,
            ),
            (
                "attachment name",
                |d| {
                    d.additional_documents = vec![AdditionalDocument {
                        id: Some("a".into()),
                        mime_code: Some("application/pdf".into()),
                        filename: Some("račun 1.pdf".into()),
                        content_base64: Some("AAAA".into()),
                    }]
                },
                "FSK-ATTACHMENT-NAME",
                Fatal,
            ),
        ],
    );
}

#[test]
fn bt8_must_be_omitted_without_s() {
    let mut d = sample_mixed_categories_invoice("F-1", today());
    d.lines.remove(0);
    d.tax_totals[0]
        .subtotals
        .retain(|s| s.category.id != Some(VatCategory::S));
    // Totals are now inconsistent, but this test only looks at BT-8.
    let f = validate(&d);
    let x = f
        .iter()
        .find(|x| x.rule_id == "FSK-BT8-NOT-NEEDED")
        .unwrap();
    assert_eq!(x.sef_code, Some("InvoicePeriodDescriptionCodeNotNeeded"));
    assert!(!f.iter().any(|x| x.rule_id == "RSR-05"));
}

#[test]
fn credit_note_rules() {
    let base = sample_credit_note("O-1", today(), "F-1", day(2026, 11, 20));
    expect(
        &base,
        &[
            (
                "no source",
                |d| d.billing_references.clear(),
                "FSK-NOTE-SOURCE",
                Fatal,
            ),
            (
                "source and period",
                |d| {
                    d.invoice_periods[0].start = Some(day(2026, 10, 1));
                    d.invoice_periods[0].end = Some(day(2026, 10, 31));
                },
                "FSK-NOTE-SOURCE-BOTH",
                Fatal,
            ),
            (
                "no reduction date",
                |d| d.deliveries.clear(),
                "FSK-DELIVERY-DATE",
                Fatal,
            ),
            (
                "reduction after issue",
                |d| d.deliveries = vec![Some(day(2026, 11, 30))],
                "FSK-DELIVERY-AFTER-ISSUE",
                Fatal,
            ),
            (
                "no terms, no due date",
                |d| d.payment_terms.clear(),
                "BR-CO-25",
                Fatal,
            ),
            (
                "due date in PaymentMeans too far",
                |d| d.payment_means[0].due_date = Some(day(2027, 3, 1)),
                "FSK-DUE-DATE-90",
                Fatal,
            ),
        ],
    );
    let mut no_bt8 = base.clone();
    no_bt8.invoice_periods.clear();
    assert!(validate(&no_bt8).iter().any(|f| f.rule_id == "RSR-05"));
    let opts = ValidationOptions {
        credit_note_vat_point_code: None,
        ..Default::default()
    };
    assert!(validate_with(&no_bt8, &opts).is_empty());
    let with_delivery_sef_code = {
        let mut d = base.clone();
        d.deliveries.clear();
        validate(&d)
            .into_iter()
            .find(|f| f.rule_id == "FSK-DELIVERY-DATE")
            .unwrap()
            .sef_code
    };
    assert_eq!(
        with_delivery_sef_code,
        Some("CreditNoteReductionDateMissing")
    );
}

#[test]
fn english_and_serbian_messages() {
    let mut d = spec_invoice_380(today());
    d.monetary_total.as_mut().unwrap().payable = Some(dec("34499.97"));
    let f = validate(&d);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule_id, "BR-CO-16");
    assert_eq!(
        f[0].path,
        "/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount"
    );
    assert_eq!(
        f[0].message(Lang::SrLatn),
        "Iznos za plaćanje je 34499.97, a iznos sa PDV-om − avansi + zaokruživanje daje 34949.97."
    );
    assert!(
        f[0].message(Lang::En)
            .starts_with("The amount due is 34499.97")
    );
    assert!(f[0].to_string().starts_with("[BR-CO-16] greška:"));
}
