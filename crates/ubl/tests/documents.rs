//! Builder, writer and reader against the spec examples; roundtrips; saved samples.

use chrono::NaiveDate;
use fiskal_ubl::samples::*;
use fiskal_ubl::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const SPEC_380: &str = include_str!("../testdata/spec-invoice-380.xml");
const SPEC_381: &str = include_str!("../testdata/spec-credit-note-381.xml");

/// The spec writes the root's namespace declarations on three lines; fiskal on one.
fn one_line_root(xml: &str) -> String {
    let mut out = String::new();
    let mut in_root = false;
    for line in xml.lines() {
        let t = line.trim_start();
        if t.starts_with("<Invoice ") || t.starts_with("<CreditNote ") {
            in_root = !t.ends_with('>');
            out.push_str(line.trim_end());
            if !in_root {
                out.push('\n');
            }
        } else if in_root {
            out.push(' ');
            out.push_str(t.trim_end());
            if t.ends_with('>') {
                in_root = false;
                out.push('\n');
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn spec_examples_read_and_validate_clean() {
    for xml in [SPEC_380, SPEC_381] {
        let findings = validate_xml(xml).unwrap();
        assert!(findings.is_empty(), "{findings:#?}");
    }
}

#[test]
fn builder_reproduces_the_spec_invoice_byte_for_byte() {
    let built = spec_invoice_380(day(2026, 11, 25));
    assert_eq!(built, read(SPEC_380).unwrap());
    let written = to_xml(&built);
    assert_eq!(written.trim_end(), one_line_root(SPEC_380).trim_end());
}

#[test]
fn builder_reproduces_the_spec_credit_note() {
    let built = sample_credit_note(
        "O-2026-0007",
        day(2026, 11, 27),
        "F-2026-0142",
        day(2026, 11, 25),
    );
    assert_eq!(built, read(SPEC_381).unwrap());
    assert_eq!(
        to_xml(&built).trim_end(),
        one_line_root(SPEC_381).trim_end()
    );
}

fn all_samples() -> Vec<(&'static str, Document)> {
    let d = day(2026, 11, 25);
    let adv = sample_advance_invoice("A-2026-0009", day(2026, 11, 10));
    vec![
        ("invoice-380", spec_invoice_380(d)),
        ("invoice-10-lines", sample_invoice("F-2026-0200", d, 10)),
        (
            "credit-note-381",
            sample_credit_note("O-2026-0007", d, "F-2026-0142", day(2026, 11, 20)),
        ),
        (
            "debit-note-383",
            sample_debit_note("P-2026-0001", d, "F-2026-0142", day(2026, 11, 20)),
        ),
        ("advance-386", adv.clone()),
        (
            "final-380-after-advance",
            sample_final_invoice("F-2026-0150", d, &adv),
        ),
        (
            "mixed-categories",
            sample_mixed_categories_invoice("F-2026-0300", d),
        ),
        ("budget-user", sample_budget_invoice("F-2026-0400", d)),
    ]
}

#[test]
fn every_sample_is_valid_and_roundtrips_identically() {
    for (name, doc) in all_samples() {
        let f = validate(&doc);
        assert!(f.is_empty(), "{name}: {f:#?}");
        let xml = to_xml(&doc);
        let (back, structural) = read_with_findings(&xml).unwrap();
        assert!(structural.is_empty(), "{name}: {structural:#?}");
        assert_eq!(back, doc, "{name}: model differs after write→read");
        assert_eq!(to_xml(&back), xml, "{name}: write→read→write differs");
    }
}

#[test]
fn final_invoice_numbers_match_the_profile() {
    let adv = sample_advance_invoice("A-2026-0009", day(2026, 11, 10));
    let m = adv.monetary_total.as_ref().unwrap();
    assert_eq!(m.payable.unwrap().to_string(), "12000.00");
    assert_eq!(adv.vat_point_date_code(), Some("432"));
    assert_eq!(adv.due_date, Some(day(2026, 11, 10)));
    assert!(adv.deliveries.is_empty());
    let fin = sample_final_invoice("F-2026-0150", day(2026, 11, 25), &adv);
    let m = fin.monetary_total.as_ref().unwrap();
    assert_eq!(m.tax_inclusive.unwrap().to_string(), "30000.00");
    assert_eq!(m.prepaid.unwrap().to_string(), "12000.00");
    assert_eq!(m.payable.unwrap().to_string(), "18000.00");
    assert_eq!(fin.customization_id.as_deref(), Some(CUSTOMIZATION_ID_EXT));
    assert_eq!(fin.billing_references[0].id.as_deref(), Some("A-2026-0009"));
    let ext = fin.extension.as_ref().unwrap();
    let red = ext.reduced_totals.as_ref().unwrap();
    assert_eq!(red.tax_total.tax_amount.unwrap().to_string(), "3000.00");
    assert_eq!(
        red.tax_total.subtotals[0]
            .taxable_amount
            .unwrap()
            .to_string(),
        "15000.00"
    );
    assert_eq!(
        red.monetary_total.tax_exclusive.unwrap().to_string(),
        "15000.00"
    );
    assert_eq!(
        red.monetary_total.tax_inclusive.unwrap().to_string(),
        "18000.00"
    );
    assert_eq!(
        ext.prepayments[0].tax_total.tax_amount.unwrap().to_string(),
        "2000.00"
    );
    let xml = to_xml(&fin);
    assert!(xml.contains("<sbt:InvoicedPrepaymentAmmount>"));
    assert!(xml.contains("xmlns:sbt=\"http://mfin.gov.rs/srbdt/srbdtext\""));
}

#[test]
fn builder_rounds_once_per_subtotal() {
    // 3 × 0.05 at 10 %: per-line tax would be 3 × 0.01 = 0.03; per subtotal 0.15 × 10 % = 0.02.
    let d = day(2026, 11, 25);
    let mut b = sample_invoice_builder("F-1", d, 1);
    for _ in 0..3 {
        b = b.line(LineInput::new(
            "Sitnica",
            Decimal::ONE,
            "H87",
            "0.05".parse().unwrap(),
            VatCategory::S,
            Decimal::from(10),
        ));
    }
    let doc = b.build().unwrap();
    let sub10 = doc.tax_totals[0]
        .subtotals
        .iter()
        .find(|s| s.category.percent == Some(Decimal::from(10)))
        .unwrap();
    assert_eq!(sub10.taxable_amount.unwrap().to_string(), "0.15");
    assert_eq!(sub10.tax_amount.unwrap().to_string(), "0.02");
    assert!(validate(&doc).is_empty());
}

#[test]
fn builder_applies_base_quantity_allowances_and_document_discounts() {
    let d = day(2026, 11, 25);
    let mut l = LineInput::new(
        "Papir",
        Decimal::from(250),
        "H87",
        "1234.5678".parse().unwrap(),
        VatCategory::S,
        Decimal::from(20),
    );
    l.base_quantity = Some(Decimal::from(100));
    l.allowances.push(LineAllowance {
        charge: false,
        amount: "86.42".parse().unwrap(),
        reason: "Količinski popust".into(),
    });
    let doc = sample_invoice_builder("F-2", d, 1)
        .line(l)
        .document_allowance(DocumentAllowance {
            charge: false,
            amount: Decimal::from(100),
            reason: "Popust za lojalnost".into(),
            category: VatCategory::S,
            rate: Decimal::from(20),
        })
        .document_allowance(DocumentAllowance {
            charge: true,
            amount: "50.5".parse().unwrap(),
            reason: "Transport".into(),
            category: VatCategory::S,
            rate: Decimal::from(20),
        })
        .build()
        .unwrap();
    // 250 × 1234.5678 / 100 = 3086.4195 − 86.42 = 2999.9995 → 3000.00
    assert_eq!(doc.lines[1].line_extension.unwrap().to_string(), "3000.00");
    assert_eq!(
        doc.lines[1]
            .price
            .as_ref()
            .unwrap()
            .amount
            .unwrap()
            .to_string(),
        "1234.5678"
    );
    let m = doc.monetary_total.as_ref().unwrap();
    assert_eq!(m.allowance_total.unwrap().to_string(), "100.00");
    assert_eq!(m.charge_total.unwrap().to_string(), "50.50");
    // line 1: 1 × 2500 = 2500 → S20 base 2500 + 3000 − 100 + 50.50 = 5450.50, VAT 1090.10
    assert_eq!(m.tax_exclusive.unwrap().to_string(), "5450.50");
    assert_eq!(doc.tax_totals[0].tax_amount.unwrap().to_string(), "1090.10");
    let f = validate(&doc);
    assert!(f.is_empty(), "{f:#?}");
    let back = read(&to_xml(&doc)).unwrap();
    assert_eq!(back, doc);
}

#[test]
fn builder_refuses_bad_input() {
    let d = day(2026, 11, 25);
    let mut bad_pib = sample_buyer();
    bad_pib.pib = "190000013".into();
    assert_eq!(
        sample_invoice_builder("F", d, 1).buyer(bad_pib).build(),
        Err(BuildError::InvalidPib {
            role: "buyer",
            pib: "190000013".into()
        })
    );
    let mut bad_mb = sample_seller();
    bad_mb.mb = "9900011".into();
    assert!(matches!(
        sample_invoice_builder("F", d, 1).supplier(bad_mb).build(),
        Err(BuildError::InvalidMb { role: "seller", .. })
    ));
    let e = sample_invoice_builder("F", d, 1)
        .line(LineInput::new(
            "Izvoz",
            Decimal::ONE,
            "H87",
            Decimal::TEN,
            VatCategory::Z,
            Decimal::ZERO,
        ))
        .build();
    assert_eq!(e, Err(BuildError::MissingExemption("Z".into())));
    let e = sample_invoice_builder("F", d, 1)
        .line(LineInput::new(
            "X",
            Decimal::ONE,
            "H87",
            Decimal::TEN,
            VatCategory::S,
            Decimal::from(18),
        ))
        .build();
    assert!(matches!(
        e,
        Err(BuildError::InvalidStandardRate { line: 2, .. })
    ));
    let e = sample_invoice_builder("F", d, 1)
        .line(LineInput::new(
            "X",
            Decimal::ONE,
            "H87",
            Decimal::TEN,
            VatCategory::parse("K"),
            Decimal::ZERO,
        ))
        .build();
    assert!(matches!(e, Err(BuildError::UnknownCategory { .. })));
    let e = sample_invoice_builder("F", d, 1)
        .line(LineInput::new(
            "X",
            Decimal::ONE,
            "H87",
            -Decimal::TEN,
            VatCategory::S,
            Decimal::from(20),
        ))
        .build();
    assert!(matches!(e, Err(BuildError::InvalidLine { line: 2, .. })));
    let e = sample_invoice_builder("F", d, 1)
        .payment("999-123456-33", None)
        .build();
    assert!(matches!(e, Err(BuildError::InvalidAccount(_))));
    let e = sample_invoice_builder("F", d, 1)
        .payment(SAMPLE_ACCOUNT, Some("(mod97) 882026000042"))
        .build();
    assert!(matches!(e, Err(BuildError::InvalidPaymentReference(_))));
    let e = DocumentBuilder::new(DocumentType::CreditNote, "O-1", d)
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .delivery_date(d)
        .payment(SAMPLE_ACCOUNT, None)
        .line(LineInput::new(
            "X",
            Decimal::ONE,
            "H87",
            Decimal::TEN,
            VatCategory::S,
            Decimal::from(20),
        ))
        .build();
    assert_eq!(e, Err(BuildError::MissingSource));
    let e = sample_invoice_builder("F", d, 1)
        .due_date(d + chrono::Days::new(91))
        .build();
    assert_eq!(e, Err(BuildError::DueDateTooFar));
}

#[test]
fn dashed_account_is_normalised() {
    let d = day(2026, 11, 25);
    let doc = sample_invoice_builder("F", d, 1)
        .payment("999-123456-32", None)
        .build()
        .unwrap();
    assert_eq!(
        doc.payment_means[0].payee_account.as_deref(),
        Some("999000000012345632")
    );
}

#[test]
fn only_s_free_documents_omit_bt8_and_credit_notes_use_the_setting() {
    let d = day(2026, 11, 25);
    let doc = DocumentBuilder::new(DocumentType::Invoice, "F-E", d)
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .due_date(d)
        .delivery_date(d)
        .payment(SAMPLE_ACCOUNT, None)
        .line(LineInput::new(
            "Zakup",
            Decimal::ONE,
            "MON",
            Decimal::from(12000),
            VatCategory::E,
            Decimal::ZERO,
        ))
        .exemption(VatCategory::E, Some("PDV-RS-25-2-3"), None)
        .build()
        .unwrap();
    assert_eq!(doc.vat_point_date_code(), None);
    assert!(doc.invoice_periods.is_empty());
    assert!(validate(&doc).is_empty());
    let cn = DocumentBuilder::new(DocumentType::CreditNote, "O-0", d)
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .delivery_date(d)
        .billing_reference("F-1", d)
        .credit_note_vat_point_code(Some("0"))
        .payment(SAMPLE_ACCOUNT, None)
        .line(LineInput::new(
            "X",
            Decimal::ONE,
            "H87",
            Decimal::TEN,
            VatCategory::S,
            Decimal::from(20),
        ))
        .build()
        .unwrap();
    assert_eq!(cn.vat_point_date_code(), Some("0"));
    assert_eq!(validate(&cn)[0].rule_id, "RSR-06");
    let opts = ValidationOptions {
        credit_note_vat_point_code: Some("0".into()),
        ..ValidationOptions::default()
    };
    assert!(validate_with(&cn, &opts).is_empty());
}

/// Keeps the samples in `testdata/` current: fails when a saved sample differs from what the
/// builder writes now (run with `FISKAL_UPDATE_TESTDATA=1` to rewrite them).
#[test]
fn saved_samples_are_current() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
    let d = day(2026, 11, 25);
    let adv = sample_advance_invoice("A-2026-0009", day(2026, 11, 10));
    let files = [
        ("invoice-380.xml", spec_invoice_380(d)),
        (
            "credit-note-381.xml",
            sample_credit_note("O-2026-0007", day(2026, 11, 27), "F-2026-0142", d),
        ),
        ("advance-invoice-386.xml", adv.clone()),
        (
            "final-invoice-380-after-advance.xml",
            sample_final_invoice("F-2026-0150", d, &adv),
        ),
    ];
    for (name, doc) in files {
        let path = format!("{dir}/{name}");
        let xml = to_xml(&doc);
        if std::env::var_os("FISKAL_UPDATE_TESTDATA").is_some() {
            std::fs::write(&path, &xml).unwrap();
        }
        let saved = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            saved, xml,
            "{name} is stale; rerun with FISKAL_UPDATE_TESTDATA=1"
        );
    }
}

use rust_decimal::Decimal;
