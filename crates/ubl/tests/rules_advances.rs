//! Rule tests: advance invoices and final invoices with the Serbian extension. One test per rule area: a valid document broken in one way must give
//! that rule (see `common::expect`).

mod common;

use common::*;
use fiskal_ubl::Severity::{Fatal, Warning};
use fiskal_ubl::samples::*;
use fiskal_ubl::*;

#[test]
fn advance_rules() {
    let base = sample_advance_invoice("A-1", today());
    expect(
        &base,
        &[
            (
                "payment after issue",
                |d| d.due_date = Some(day(2026, 11, 26)),
                "FSK-ADVANCE-PAYMENT-DATE",
                Fatal,
            ),
            (
                "delivery on advance",
                |d| d.deliveries = vec![Some(day(2026, 11, 20))],
                "FSK-DELIVERY-ADVANCE",
                Warning,
            ),
            (
                "432 without due date",
                |d| d.due_date = None,
                "RSR-08",
                Fatal,
            ),
        ],
    );
}

#[test]
fn final_invoice_rules() {
    let adv = sample_advance_invoice("A-1", day(2026, 11, 10));
    let base = sample_final_invoice("F-9", today(), &adv);
    expect(
        &base,
        &[
            (
                "plain customization",
                |d| d.customization_id = Some(CUSTOMIZATION_ID.into()),
                "RSR-02",
                Fatal,
            ),
            (
                "prepaid wrong",
                |d| {
                    let m = d.monetary_total.as_mut().unwrap();
                    m.prepaid = Some(dec("11000.00"));
                    m.payable = Some(dec("19000.00"));
                },
                "FSK-EXTENSION-PREPAID",
                Fatal,
            ),
            (
                "advance not referenced",
                |d| d.billing_references.clear(),
                "FSK-EXTENSION-ADVANCE-REFERENCE",
                Fatal,
            ),
            (
                "reduced inclusive wrong",
                |d| {
                    d.extension
                        .as_mut()
                        .unwrap()
                        .reduced_totals
                        .as_mut()
                        .unwrap()
                        .monetary_total
                        .tax_inclusive = Some(dec("18000.01"));
                },
                "RSE-03",
                Fatal,
            ),
            (
                "reduced subtotal wrong",
                |d| {
                    d.extension
                        .as_mut()
                        .unwrap()
                        .reduced_totals
                        .as_mut()
                        .unwrap()
                        .tax_total
                        .subtotals[0]
                        .taxable_amount = Some(dec("15000.01"));
                },
                "FSK-EXTENSION-REDUCED",
                Fatal,
            ),
            (
                "reduced category unknown",
                |d| {
                    d.extension
                        .as_mut()
                        .unwrap()
                        .reduced_totals
                        .as_mut()
                        .unwrap()
                        .tax_total
                        .subtotals[0]
                        .category
                        .id = Some(VatCategory::parse("K"));
                },
                "RSE-02",
                Fatal,
            ),
            (
                "advance category unknown",
                |d| {
                    d.extension.as_mut().unwrap().prepayments[0]
                        .tax_total
                        .subtotals[0]
                        .category
                        .id = Some(VatCategory::parse("K"));
                },
                "RSE-01",
                Fatal,
            ),
            (
                "advance at 10 %",
                |d| {
                    let s = &mut d.extension.as_mut().unwrap().prepayments[0]
                        .tax_total
                        .subtotals[0];
                    s.category.percent = Some(dec("10"));
                },
                "FSK-EXTENSION-RATES",
                Fatal,
            ),
            (
                "no reduced totals",
                |d| d.extension.as_mut().unwrap().reduced_totals = None,
                "FSK-EXTENSION-REDUCED",
                Fatal,
            ),
            (
                "extension on 386",
                |d| d.type_code = Some("386".into()),
                "FSK-EXTENSION-TYPE",
                Fatal,
            ),
            (
                "prepaid without extension",
                |d| d.extension = None,
                "FSK-PREPAID-WITHOUT-EXTENSION",
                Fatal,
            ),
        ],
    );
}
