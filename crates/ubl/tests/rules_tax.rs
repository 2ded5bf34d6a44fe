//! Rule tests: VAT breakdown and totals, VAT categories, exemption keys. One test per rule area: a valid document broken in one way must give
//! that rule (see `common::expect`).

mod common;

use common::*;
use fiskal_ubl::Severity::{Fatal, Warning};
use fiskal_ubl::samples::*;
use fiskal_ubl::*;
use rust_decimal::Decimal;

#[test]
fn breakdown_and_total_rules() {
    let base = spec_invoice_380(today());
    fn m(d: &mut Document) -> &mut MonetaryTotal {
        d.monetary_total.as_mut().unwrap()
    }
    expect(
        &base,
        &[
            ("no tax total", |d| d.tax_totals.clear(), "BR-CO-18", Fatal),
            (
                "no subtotals",
                |d| d.tax_totals[0].subtotals.clear(),
                "BR-CO-18",
                Fatal,
            ),
            (
                "two tax totals",
                |d| {
                    let t = d.tax_totals[0].clone();
                    d.tax_totals.push(t);
                },
                "BR-CO-15",
                Fatal,
            ),
            (
                "no taxable",
                |d| d.tax_totals[0].subtotals[0].taxable_amount = None,
                "BR-45",
                Fatal,
            ),
            (
                "no subtotal tax",
                |d| d.tax_totals[0].subtotals[0].tax_amount = None,
                "BR-46",
                Fatal,
            ),
            (
                "no subtotal category",
                |d| d.tax_totals[0].subtotals[0].category.id = None,
                "BR-47",
                Fatal,
            ),
            (
                "no subtotal rate",
                |d| d.tax_totals[0].subtotals[0].category.percent = None,
                "BR-48",
                Fatal,
            ),
            (
                "subtotal unknown category",
                |d| d.tax_totals[0].subtotals[0].category.id = Some(VatCategory::parse("K")),
                "RSR-35",
                Fatal,
            ),
            (
                "duplicate subtotal",
                |d| {
                    let s = d.tax_totals[0].subtotals[0].clone();
                    d.tax_totals[0].subtotals.push(s);
                },
                "FSK-SUBTOTAL-DUPLICATE",
                Fatal,
            ),
            (
                "missing S 10 subtotal",
                |d| {
                    d.tax_totals[0].subtotals.pop();
                },
                "BR-S-01",
                Fatal,
            ),
            (
                "subtotal without items",
                |d| {
                    let mut s = d.tax_totals[0].subtotals[0].clone();
                    s.category = TaxCategory::vat(VatCategory::E, Some(dec("0")));
                    s.category.exemption_reason_code = Some("PDV-RS-25-2-3".into());
                    s.tax_amount = Some(dec("0.00"));
                    d.tax_totals[0].subtotals.push(s);
                },
                "FSK-SUBTOTAL-WITHOUT-ITEMS",
                Fatal,
            ),
            (
                "taxable off by 0.01",
                |d| d.tax_totals[0].subtotals[0].taxable_amount = Some(dec("25000.01")),
                "BR-S-08",
                Fatal,
            ),
            (
                "tax off by 0.01",
                |d| d.tax_totals[0].subtotals[1].tax_amount = Some(dec("449.99")),
                "BR-CO-17",
                Fatal,
            ),
            (
                "taxable 3 decimals",
                |d| {
                    let mut v = dec("25000");
                    v.rescale(3);
                    d.tax_totals[0].subtotals[0].taxable_amount = Some(v);
                },
                "BR-DEC-19",
                Fatal,
            ),
            (
                "tax 3 decimals",
                |d| {
                    let mut v = dec("5000");
                    v.rescale(3);
                    d.tax_totals[0].subtotals[0].tax_amount = Some(v);
                },
                "BR-DEC-20",
                Fatal,
            ),
            (
                "subtotal S rate 18",
                |d| d.tax_totals[0].subtotals[0].category.percent = Some(dec("18")),
                "FSK-S-RATE",
                Fatal,
            ),
            (
                "exemption on S",
                |d| d.tax_totals[0].subtotals[0].category.exemption_reason = Some("x".into()),
                "BR-S-10",
                Fatal,
            ),
            (
                "tax total ≠ Σ",
                |d| d.tax_totals[0].tax_amount = Some(dec("5450.01")),
                "BR-CO-14",
                Fatal,
            ),
            (
                "tax total missing",
                |d| d.tax_totals[0].tax_amount = None,
                "BR-CO-14",
                Fatal,
            ),
            (
                "tax total 3 decimals",
                |d| {
                    let mut v = dec("5450");
                    v.rescale(3);
                    d.tax_totals[0].tax_amount = Some(v);
                },
                "BR-DEC-13",
                Fatal,
            ),
            (
                "no monetary total",
                |d| d.monetary_total = None,
                "BR-12",
                Fatal,
            ),
            (
                "no line extension",
                |d| m(d).line_extension = None,
                "BR-12",
                Fatal,
            ),
            (
                "no tax exclusive",
                |d| m(d).tax_exclusive = None,
                "BR-13",
                Fatal,
            ),
            (
                "no tax inclusive",
                |d| m(d).tax_inclusive = None,
                "BR-14",
                Fatal,
            ),
            ("no payable", |d| m(d).payable = None, "BR-15", Fatal),
            (
                "line total",
                |d| m(d).line_extension = Some(dec("29499.98")),
                "BR-CO-10",
                Fatal,
            ),
            (
                "allowance total",
                |d| m(d).allowance_total = Some(dec("1.00")),
                "BR-CO-11",
                Fatal,
            ),
            (
                "charge total",
                |d| m(d).charge_total = Some(dec("1.00")),
                "BR-CO-12",
                Fatal,
            ),
            (
                "tax exclusive",
                |d| m(d).tax_exclusive = Some(dec("29499.98")),
                "BR-CO-13",
                Fatal,
            ),
            (
                "tax inclusive",
                |d| m(d).tax_inclusive = Some(dec("34949.98")),
                "BR-CO-15",
                Fatal,
            ),
            (
                "payable",
                |d| m(d).payable = Some(dec("34949.98")),
                "BR-CO-16",
                Fatal,
            ),
            (
                "payable 3 decimals",
                |d| {
                    let mut v = dec("34949.97");
                    v.rescale(3);
                    m(d).payable = Some(v);
                },
                "BR-DEC-18",
                Fatal,
            ),
            (
                "prepaid 3 decimals",
                |d| {
                    let mut v = dec("0");
                    v.rescale(3);
                    m(d).prepaid = Some(v);
                },
                "BR-DEC-16",
                Fatal,
            ),
            (
                "line extension 3 decimals",
                |d| {
                    let mut v = dec("29499.97");
                    v.rescale(3);
                    m(d).line_extension = Some(v);
                },
                "BR-DEC-09",
                Fatal,
            ),
        ],
    );
}

#[test]
fn non_standard_category_rules() {
    let base = sample_mixed_categories_invoice("F-1", today());
    fn sub(d: &mut Document, c: VatCategory) -> &mut TaxSubtotal {
        d.tax_totals[0]
            .subtotals
            .iter_mut()
            .find(|s| s.category.id == Some(c.clone()))
            .unwrap()
    }
    fn line(d: &mut Document, c: VatCategory) -> &mut Line {
        d.lines
            .iter_mut()
            .find(|l| l.item.tax_category.as_ref().unwrap().id == Some(c.clone()))
            .unwrap()
    }
    expect(
        &base,
        &[
            (
                "E without reason",
                |d| sub(d, VatCategory::E).category.exemption_reason_code = None,
                "BR-E-10",
                Fatal,
            ),
            (
                "AE without reason",
                |d| sub(d, VatCategory::AE).category.exemption_reason_code = None,
                "BR-AE-10",
                Fatal,
            ),
            (
                "Z without reason",
                |d| sub(d, VatCategory::Z).category.exemption_reason_code = None,
                "FSK-Z-EXEMPTION",
                Fatal,
            ),
            (
                "R without reason",
                |d| sub(d, VatCategory::R).category.exemption_reason_code = None,
                "RSK-R-10",
                Fatal,
            ),
            (
                "OE without reason",
                |d| sub(d, VatCategory::OE).category.exemption_reason_code = None,
                "RSK-OE-10",
                Fatal,
            ),
            (
                "SS without reason",
                |d| sub(d, VatCategory::SS).category.exemption_reason_code = None,
                "RSK-SS-10",
                Fatal,
            ),
            (
                "N without reason",
                |d| sub(d, VatCategory::N).category.exemption_reason_code = None,
                "RSK-N-10",
                Fatal,
            ),
            (
                "E with tax",
                |d| sub(d, VatCategory::E).tax_amount = Some(dec("1.00")),
                "BR-E-09",
                Fatal,
            ),
            (
                "AE with tax",
                |d| sub(d, VatCategory::AE).tax_amount = Some(dec("1.00")),
                "BR-AE-09",
                Fatal,
            ),
            (
                "Z with tax",
                |d| sub(d, VatCategory::Z).tax_amount = Some(dec("1.00")),
                "BR-Z-09",
                Fatal,
            ),
            (
                "OE with tax",
                |d| sub(d, VatCategory::OE).tax_amount = Some(dec("1.00")),
                "RSK-OE-09",
                Fatal,
            ),
            (
                "E base",
                |d| sub(d, VatCategory::E).taxable_amount = Some(dec("1.00")),
                "BR-E-08",
                Fatal,
            ),
            (
                "AE base",
                |d| sub(d, VatCategory::AE).taxable_amount = Some(dec("1.00")),
                "BR-AE-08",
                Fatal,
            ),
            (
                "N base",
                |d| sub(d, VatCategory::N).taxable_amount = Some(dec("1.00")),
                "RSK-N-08",
                Fatal,
            ),
            (
                "E subtotal missing",
                |d| {
                    d.tax_totals[0]
                        .subtotals
                        .retain(|s| s.category.id != Some(VatCategory::E))
                },
                "BR-E-01",
                Fatal,
            ),
            (
                "R subtotal missing",
                |d| {
                    d.tax_totals[0]
                        .subtotals
                        .retain(|s| s.category.id != Some(VatCategory::R))
                },
                "RSK-R-01",
                Fatal,
            ),
            (
                "E line with rate",
                |d| {
                    line(d, VatCategory::E)
                        .item
                        .tax_category
                        .as_mut()
                        .unwrap()
                        .percent = Some(dec("20"))
                },
                "BR-E-05",
                Fatal,
            ),
            (
                "AE line with rate",
                |d| {
                    line(d, VatCategory::AE)
                        .item
                        .tax_category
                        .as_mut()
                        .unwrap()
                        .percent = Some(dec("20"))
                },
                "BR-AE-05",
                Fatal,
            ),
            (
                "Z line with rate",
                |d| {
                    line(d, VatCategory::Z)
                        .item
                        .tax_category
                        .as_mut()
                        .unwrap()
                        .percent = Some(dec("10"))
                },
                "BR-Z-05",
                Fatal,
            ),
            (
                "OE line with rate",
                |d| {
                    line(d, VatCategory::OE)
                        .item
                        .tax_category
                        .as_mut()
                        .unwrap()
                        .percent = Some(dec("10"))
                },
                "RSK-OE-05",
                Fatal,
            ),
            (
                "E subtotal with rate",
                |d| sub(d, VatCategory::E).category.percent = Some(dec("20")),
                "FSK-ZERO-RATE",
                Fatal,
            ),
            (
                "E key of another family",
                |d| {
                    sub(d, VatCategory::E).category.exemption_reason_code =
                        Some("PDV-RS-24-1-2".into())
                },
                "FSK-EXEMPTION-CATEGORY",
                Warning,
            ),
            (
                "key not PDV-RS",
                |d| {
                    sub(d, VatCategory::E).category.exemption_reason_code =
                        Some("VATEX-EU-132".into())
                },
                "FSK-EXEMPTION-KEY",
                Fatal,
            ),
        ],
    );
}

#[test]
fn category_o_rules() {
    let d0 = today();
    let doc = DocumentBuilder::new(DocumentType::Invoice, "F-O", d0)
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .due_date(d0)
        .delivery_date(d0)
        .payment(SAMPLE_ACCOUNT, None)
        .line(LineInput::new(
            "Usluga u inostranstvu",
            Decimal::ONE,
            "H87",
            Decimal::from(500),
            VatCategory::O,
            Decimal::ZERO,
        ))
        .exemption(VatCategory::O, Some("PDV-RS-12-4"), None)
        .build()
        .unwrap();
    assert!(
        doc.lines[0]
            .item
            .tax_category
            .as_ref()
            .unwrap()
            .percent
            .is_none()
    );
    expect(
        &doc,
        &[
            (
                "O line with rate",
                |d| d.lines[0].item.tax_category.as_mut().unwrap().percent = Some(dec("0")),
                "BR-O-05",
                Fatal,
            ),
            (
                "O without reason",
                |d| d.tax_totals[0].subtotals[0].category.exemption_reason_code = None,
                "BR-O-10",
                Fatal,
            ),
            (
                "O with tax",
                |d| d.tax_totals[0].subtotals[0].tax_amount = Some(dec("1.00")),
                "BR-O-09",
                Fatal,
            ),
            (
                "O base",
                |d| d.tax_totals[0].subtotals[0].taxable_amount = Some(dec("1.00")),
                "BR-O-08",
                Fatal,
            ),
        ],
    );
    // O combined with S: BR-O-11 only as a warning (§14).
    let mixed = sample_invoice_builder("F-OS", d0, 1)
        .line(LineInput::new(
            "Usluga u inostranstvu",
            Decimal::ONE,
            "H87",
            Decimal::from(500),
            VatCategory::O,
            Decimal::ZERO,
        ))
        .exemption(VatCategory::O, Some("PDV-RS-12-4"), None)
        .build()
        .unwrap();
    let f = validate(&mixed);
    assert!(
        !f.is_empty() && f.iter().all(|x| x.rule_id == "BR-O-11" && !x.is_fatal()),
        "{f:#?}"
    );
    assert!(!has_fatal(&f));
}

#[test]
fn exemption_keys_from_sef_list() {
    let doc = sample_mixed_categories_invoice("F-1", today());
    let mut keys = std::collections::HashMap::new();
    let k = |c: VatCategory| ExemptionKey {
        category: c,
        active_from: Some(day(2022, 1, 1)),
        active_to: None,
    };
    keys.insert("PDV-RS-10-2-1".to_string(), k(VatCategory::AE));
    keys.insert("PDV-RS-24-1-2".to_string(), k(VatCategory::Z));
    keys.insert(
        "PDV-RS-25-2-3".to_string(),
        ExemptionKey {
            category: VatCategory::E,
            active_from: None,
            active_to: Some(day(2025, 12, 31)),
        },
    );
    keys.insert("PDV-RS-6-1-1".to_string(), k(VatCategory::Z));
    keys.insert("PDV-RS-17-4-2".to_string(), k(VatCategory::OE));
    keys.insert("PDV-RS-36-5".to_string(), k(VatCategory::SS));
    let opts = ValidationOptions {
        exemption_keys: Some(keys),
        ..Default::default()
    };
    let f = validate_with(&doc, &opts);
    let ids: Vec<(&str, Option<&str>)> = f.iter().map(|x| (x.rule_id, x.sef_code)).collect();
    assert_eq!(
        ids,
        vec![
            (
                "FSK-EXEMPTION-ACTIVE",
                Some("VatExemptionReasonPointOfLawNotActive")
            ),
            (
                "FSK-EXEMPTION-CATEGORY",
                Some("UBLTaxExemptionReasonCategoryNotCorrect")
            ),
            ("FSK-EXEMPTION-KEY", Some("VatExemptionReasonNotExists")),
        ]
    );
}
