//! Rule tests: lines, line and document-level allowances and charges. One test per rule area: a valid document broken in one way must give
//! that rule (see `common::expect`).

mod common;

use common::*;
use fiskal_ubl::Severity::{Fatal, Warning};
use fiskal_ubl::samples::*;
use fiskal_ubl::*;

#[test]
fn line_rules() {
    let base = spec_invoice_380(today());
    expect(
        &base,
        &[
            ("no lines", |d| d.lines.clear(), "BR-16", Fatal),
            ("no line id", |d| d.lines[0].id = None, "BR-21", Fatal),
            (
                "duplicate line id",
                |d| d.lines[1].id = Some("1".into()),
                "FSK-LINE-ID",
                Fatal,
            ),
            (
                "no quantity",
                |d| d.lines[0].quantity = None,
                "BR-22",
                Fatal,
            ),
            (
                "negative quantity",
                |d| d.lines[0].quantity = Some(dec("-10")),
                "FSK-QUANTITY-NEGATIVE",
                Fatal,
            ),
            (
                "5 decimals quantity",
                |d| d.lines[0].quantity = Some(dec("10.00001")),
                "FSK-QUANTITY-DECIMALS",
                Warning,
            ),
            ("no unit", |d| d.lines[0].unit_code = None, "BR-23", Fatal),
            (
                "no net",
                |d| d.lines[0].line_extension = None,
                "BR-24",
                Fatal,
            ),
            (
                "net 3 decimals",
                |d| {
                    let mut v = dec("25000");
                    v.rescale(3);
                    d.lines[0].line_extension = Some(v);
                },
                "BR-DEC-23",
                Fatal,
            ),
            (
                "no item name",
                |d| d.lines[0].item.name = None,
                "BR-25",
                Fatal,
            ),
            (
                "long item name",
                |d| d.lines[0].item.name = Some("x".repeat(101)),
                "FSK-ITEM-NAME-LENGTH",
                Fatal,
            ),
            ("no price", |d| d.lines[0].price = None, "BR-26", Fatal),
            (
                "negative price",
                |d| d.lines[0].price.as_mut().unwrap().amount = Some(dec("-2500")),
                "BR-27",
                Fatal,
            ),
            (
                "price 5 decimals",
                |d| d.lines[0].price.as_mut().unwrap().amount = Some(dec("2500.00001")),
                "FSK-PRICE-DECIMALS",
                Fatal,
            ),
            (
                "net ≠ qty × price",
                |d| d.lines[0].price.as_mut().unwrap().amount = Some(dec("2400.00")),
                "FSK-LINE-NET",
                Fatal,
            ),
            (
                "no category",
                |d| d.lines[0].item.tax_category = None,
                "BR-CO-04",
                Fatal,
            ),
            (
                "unknown category",
                |d| {
                    d.lines[0].item.tax_category.as_mut().unwrap().id =
                        Some(VatCategory::parse("K"))
                },
                "RSR-36",
                Fatal,
            ),
            (
                "S without rate",
                |d| d.lines[0].item.tax_category.as_mut().unwrap().percent = None,
                "BR-S-05",
                Fatal,
            ),
            (
                "S at 18 %",
                |d| d.lines[0].item.tax_category.as_mut().unwrap().percent = Some(dec("18")),
                "FSK-S-RATE",
                Fatal,
            ),
            (
                "exemption on line",
                |d| {
                    d.lines[0]
                        .item
                        .tax_category
                        .as_mut()
                        .unwrap()
                        .exemption_reason_code = Some("PDV-RS-25-2-3".into())
                },
                "FSK-LINE-EXEMPTION",
                Warning,
            ),
            (
                "line allowance without amount",
                |d| {
                    d.lines[0].allowance_charges.push(AllowanceCharge {
                        reason: Some("x".into()),
                        ..Default::default()
                    })
                },
                "BR-41",
                Fatal,
            ),
            (
                "line allowance without reason",
                |d| {
                    d.lines[0].allowance_charges.push(AllowanceCharge {
                        amount: Some(dec("0.00")),
                        ..Default::default()
                    })
                },
                "BR-42",
                Fatal,
            ),
            (
                "line charge without amount",
                |d| {
                    d.lines[0].allowance_charges.push(AllowanceCharge {
                        charge: true,
                        reason: Some("x".into()),
                        ..Default::default()
                    })
                },
                "BR-43",
                Fatal,
            ),
            (
                "line charge without reason",
                |d| {
                    d.lines[0].allowance_charges.push(AllowanceCharge {
                        charge: true,
                        amount: Some(dec("0.00")),
                        ..Default::default()
                    })
                },
                "BR-44",
                Fatal,
            ),
            (
                "line allowance 3 decimals",
                |d| {
                    d.lines[0].allowance_charges.push(AllowanceCharge {
                        reason: Some("x".into()),
                        amount: Some(dec("0.000")),
                        ..Default::default()
                    })
                },
                "BR-DEC-24",
                Fatal,
            ),
            (
                "line period reversed",
                |d| {
                    d.lines[0].period = Some(InvoicePeriod {
                        start: Some(day(2026, 11, 2)),
                        end: Some(day(2026, 11, 1)),
                        description_code: None,
                    })
                },
                "BR-30",
                Fatal,
            ),
            (
                "line period empty",
                |d| d.lines[0].period = Some(InvoicePeriod::default()),
                "BR-CO-20",
                Fatal,
            ),
        ],
    );
    let mut units = std::collections::HashSet::new();
    units.insert("H87".to_string());
    let opts = ValidationOptions {
        unit_codes: Some(units),
        ..Default::default()
    };
    let f = validate_with(&base, &opts);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].rule_id, "FSK-UNIT-CODE");
    assert_eq!(
        f[0].path,
        "/Invoice/cac:InvoiceLine[1]/cbc:InvoicedQuantity/@unitCode"
    );
}

#[test]
fn document_allowance_rules() {
    let base = spec_invoice_380(today());
    fn ac(d: &mut Document, a: AllowanceCharge) {
        d.allowance_charges.push(a);
    }
    expect(
        &base,
        &[
            (
                "allowance without amount",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            reason: Some("x".into()),
                            tax_category: Some(TaxCategory::vat(VatCategory::S, Some(dec("20")))),
                            ..Default::default()
                        },
                    )
                },
                "BR-31",
                Fatal,
            ),
            (
                "allowance without category",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            reason: Some("x".into()),
                            amount: Some(dec("1.00")),
                            ..Default::default()
                        },
                    )
                },
                "BR-32",
                Fatal,
            ),
            (
                "allowance without reason",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            amount: Some(dec("1.00")),
                            tax_category: Some(TaxCategory::vat(VatCategory::S, Some(dec("20")))),
                            ..Default::default()
                        },
                    )
                },
                "BR-33",
                Fatal,
            ),
            (
                "charge without amount",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            charge: true,
                            reason: Some("x".into()),
                            tax_category: Some(TaxCategory::vat(VatCategory::S, Some(dec("20")))),
                            ..Default::default()
                        },
                    )
                },
                "BR-36",
                Fatal,
            ),
            (
                "charge without category",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            charge: true,
                            reason: Some("x".into()),
                            amount: Some(dec("1.00")),
                            ..Default::default()
                        },
                    )
                },
                "BR-37",
                Fatal,
            ),
            (
                "charge without reason",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            charge: true,
                            amount: Some(dec("1.00")),
                            tax_category: Some(TaxCategory::vat(VatCategory::S, Some(dec("20")))),
                            ..Default::default()
                        },
                    )
                },
                "BR-38",
                Fatal,
            ),
            (
                "allowance unknown category",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            reason: Some("x".into()),
                            amount: Some(dec("1.00")),
                            tax_category: Some(TaxCategory::vat(VatCategory::parse("Q"), None)),
                            ..Default::default()
                        },
                    )
                },
                "RSR-34",
                Fatal,
            ),
            (
                "allowance not in AllowanceTotal",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            reason: Some("x".into()),
                            amount: Some(dec("1.00")),
                            tax_category: Some(TaxCategory::vat(VatCategory::S, Some(dec("20")))),
                            ..Default::default()
                        },
                    )
                },
                "BR-CO-11",
                Fatal,
            ),
            (
                "charge without ChargeTotal",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            charge: true,
                            reason: Some("x".into()),
                            amount: Some(dec("1.00")),
                            tax_category: Some(TaxCategory::vat(VatCategory::S, Some(dec("20")))),
                            ..Default::default()
                        },
                    )
                },
                "BR-CO-12",
                Fatal,
            ),
            (
                "allowance E with rate",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            reason: Some("x".into()),
                            amount: Some(dec("1.00")),
                            tax_category: Some(TaxCategory::vat(VatCategory::E, Some(dec("20")))),
                            ..Default::default()
                        },
                    )
                },
                "BR-E-06",
                Fatal,
            ),
            (
                "charge O with rate",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            charge: true,
                            reason: Some("x".into()),
                            amount: Some(dec("1.00")),
                            tax_category: Some(TaxCategory::vat(VatCategory::O, Some(dec("0")))),
                            ..Default::default()
                        },
                    )
                },
                "BR-O-07",
                Fatal,
            ),
            (
                "allowance SS with rate",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            reason: Some("x".into()),
                            amount: Some(dec("1.00")),
                            tax_category: Some(TaxCategory::vat(VatCategory::SS, Some(dec("10")))),
                            ..Default::default()
                        },
                    )
                },
                "RSK-SS-06",
                Fatal,
            ),
            (
                "allowance 3 decimals",
                |d| {
                    ac(
                        d,
                        AllowanceCharge {
                            reason: Some("x".into()),
                            amount: Some(dec("1.000")),
                            tax_category: Some(TaxCategory::vat(VatCategory::S, Some(dec("20")))),
                            ..Default::default()
                        },
                    )
                },
                "BR-DEC-01",
                Fatal,
            ),
        ],
    );
}
