//! One test document per content code of `sef-api.md` §4.3: a sample of fiskal-ubl changed in
//! one place, with the code the sandbox must answer with (`sandbox_codes.rs`; the agreement test
//! runs them through the official validators too).

use chrono::{Days, NaiveDate};
use fiskal_ubl::samples::*;
use fiskal_ubl::{Document, PartyId, VatCategory, to_xml};
use rust_decimal::Decimal;

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn scale(d: &mut Option<Decimal>, dp: u32) {
    if let Some(d) = d {
        d.rescale(dp);
    }
}

/// One test document: the code it must get, its XML.
pub struct Case {
    /// The SEF code the sandbox must answer with.
    pub code: &'static str,
    /// The document.
    pub xml: String,
}

pub fn doc(code: &'static str, d: &Document) -> Case {
    Case {
        code,
        xml: to_xml(d),
    }
}

/// A sample changed by `f`.
pub fn changed(base: &Document, f: impl FnOnce(&mut Document)) -> Document {
    let mut x = base.clone();
    f(&mut x);
    x
}

pub fn invoice_doc() -> Document {
    spec_invoice_380(today())
}

pub fn credit_note_doc() -> Document {
    sample_credit_note("O-2026-0007", today(), "F-2026-0142", today())
}

pub fn mixed_doc() -> Document {
    sample_mixed_categories_invoice("F-2026-0300", today())
}

pub fn subtotal_of(x: &mut Document, cat: VatCategory) -> &mut fiskal_ubl::TaxSubtotal {
    x.tax_totals[0]
        .subtotals
        .iter_mut()
        .find(|s| s.category.id == Some(cat.clone()))
        .unwrap()
}

/// Header, type, number, notes and the dates.
pub fn header_and_dates() -> Vec<Case> {
    let inv = invoice_doc();
    let cn = credit_note_doc();
    let order = to_xml(&inv).replace(
        "  <cbc:DueDate>2026-12-25</cbc:DueDate>\n  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\n",
        "  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\n  <cbc:DueDate>2026-12-25</cbc:DueDate>\n",
    );
    let adv = sample_advance_invoice("A-2026-0009", today());
    let debit = sample_debit_note("P-1", today(), "F-2026-0142", today());
    let late = Some(today() + Days::new(1));
    vec![
        Case {
            code: "XmlInvalid",
            xml: "<Invoice><oops></Invoice>".into(),
        },
        Case {
            code: "UBLDocumentNotValid",
            xml: order,
        },
        Case {
            code: "UBLUnsupportedDocumentType",
            xml: "<Order xmlns=\"urn:x\"/>".into(),
        },
        doc(
            "UBLUnsupportedDocumentType",
            &changed(&inv, |x| x.type_code = Some("384".into())),
        ),
        doc(
            "InvoiceTypeCodeMissing",
            &changed(&inv, |x| x.type_code = None),
        ),
        doc(
            "CreditNoteTypeCodeNotCorrent",
            &changed(&cn, |x| x.type_code = Some("380".into())),
        ),
        doc(
            "UBLInvoiceNumberContainsInvalidCharacters",
            &changed(&inv, |x| x.id = Some("F 2026#1".into())),
        ),
        doc(
            "InvoiceNumberTooLong",
            &changed(&inv, |x| x.id = Some("F".repeat(51))),
        ),
        doc(
            "UBLMaxNoteLengthExceeded",
            &changed(&inv, |x| x.notes = vec!["n".repeat(1001)]),
        ),
        doc(
            "UBLDeliveryDateMustNotBeLatterThanIssueDate",
            &changed(&inv, |x| x.deliveries = vec![late]),
        ),
        doc(
            "UBLReductionDateMustNotBeLatterThanIssueDate",
            &changed(&cn, |x| x.deliveries = vec![late]),
        ),
        doc(
            "UBLIncreaseDateMustNotBeLatterThanIssueDate",
            &changed(&debit, |x| x.deliveries = vec![late]),
        ),
        doc(
            "UBLPrepaymentDateMustNotBeLatterThanIssueDate",
            &changed(&adv, |x| x.due_date = late),
        ),
        doc(
            "InvoiceDeliveryDateMissing",
            &changed(&inv, |x| x.deliveries.clear()),
        ),
        doc(
            "CreditNoteReductionDateMissing",
            &changed(&cn, |x| x.deliveries.clear()),
        ),
        doc(
            "UBLDueDateIsMissing",
            &changed(&inv, |x| {
                x.invoice_periods[0].description_code = Some("432".into());
                x.due_date = None;
            }),
        ),
        doc(
            "PaymentDateMoreThan90DaysInFuture",
            &changed(&inv, |x| x.due_date = Some(today() + Days::new(91))),
        ),
        doc(
            "InvoicePeriodDescriptionCodeNotDefined",
            &changed(&inv, |x| x.invoice_periods.clear()),
        ),
        doc(
            "InvoicePeriodDescriptionCodeNotProperlyDefined",
            &changed(&inv, |x| {
                x.invoice_periods[0].description_code = Some("0".into())
            }),
        ),
        doc(
            "InvoicePeriodDescriptionCodeNotProperlyDefined",
            &changed(&cn, |x| {
                x.invoice_periods[0].description_code = Some("7".into())
            }),
        ),
    ]
}

pub fn not_needed_bt8() -> Document {
    let mut x = mixed_doc();
    let s = x
        .lines
        .iter()
        .position(|l| l.item.tax_category.as_ref().unwrap().id == Some(VatCategory::S))
        .unwrap();
    x.lines.remove(s);
    let t = &mut x.tax_totals[0];
    t.subtotals
        .retain(|s| s.category.id != Some(VatCategory::S));
    t.tax_amount = Some(dec("0.00"));
    let sum: Decimal = x.lines.iter().filter_map(|l| l.line_extension).sum();
    let m = x.monetary_total.as_mut().unwrap();
    for a in [
        &mut m.line_extension,
        &mut m.tax_exclusive,
        &mut m.tax_inclusive,
        &mut m.payable,
    ] {
        *a = Some(sum.round_dp(2));
    }
    x.invoice_periods = vec![fiskal_ubl::InvoicePeriod {
        description_code: Some("35".into()),
        ..Default::default()
    }];
    x
}

/// Parties, JBKJS and payment means.
pub fn parties() -> Vec<Case> {
    let inv = invoice_doc();
    let budget = sample_budget_invoice("F-2026-0400", today());
    let buyer = |f: fn(&mut fiskal_ubl::Party)| changed(&inv, |x| f(x.customer.as_mut().unwrap()));
    let budget_buyer =
        |f: fn(&mut fiskal_ubl::Party)| changed(&budget, |x| f(x.customer.as_mut().unwrap()));
    vec![
        doc(
            "SenderEndpointSchemeIDInvalid",
            &changed(&inv, |x| {
                x.supplier.as_mut().unwrap().endpoint_scheme = Some("0088".into())
            }),
        ),
        doc(
            "ReceiverEndpointSchemeIDInvalid",
            &buyer(|c| c.endpoint_scheme = Some("0088".into())),
        ),
        doc(
            "UBLPartyTaxSchemeCompanyIdWithoutPrefix",
            &buyer(|c| c.tax_schemes[0].company_id = Some("190000029".into())),
        ),
        doc(
            "UBLVatRegistrationCodeDoesNotHaveGoodLength",
            &buyer(|c| c.tax_schemes[0].company_id = Some("RS19000002".into())),
        ),
        doc(
            "UBLRegistrationCodeDoesNotHaveGoodLength",
            &buyer(|c| c.legal_entity.as_mut().unwrap().company_id = Some("9900028".into())),
        ),
        doc(
            "UBLJBKJSNotDefined",
            &budget_buyer(|c| c.identifications.clear()),
        ),
        doc(
            "ReceiverMissedAddingJBKJSPrefix",
            &budget_buyer(|c| c.identifications[0].id = "10520".into()),
        ),
        doc(
            "ReceiverJBKJSLengthInvalid",
            &budget_buyer(|c| c.identifications[0].id = "JBKJS:1052".into()),
        ),
        doc(
            "UBLCannotBeDefinedPartyIdentificationIdForNonBudgetCompany",
            &buyer(|c| {
                c.identifications = vec![PartyId {
                    id: "JBKJS:10520".into(),
                    scheme: None,
                }]
            }),
        ),
        doc(
            "UBLOrderNumberLotNumberOrContractNumberIsRequired",
            &changed(&budget, |x| {
                x.contract_references.clear();
                x.order_reference = None;
                x.originator_references.clear();
            }),
        ),
        doc(
            "UBLPaymentMeansNotDefined",
            &changed(&inv, |x| x.payment_means.clear()),
        ),
        doc(
            "UBLPaymentMeansCodeNotDefined",
            // Present but empty: a missing element is a schema error first.
            &changed(&inv, |x| x.payment_means[0].code = Some(String::new())),
        ),
        doc(
            "UBLPayeeFinancialAccountIdNotDefined",
            &changed(&inv, |x| x.payment_means[0].payee_account = None),
        ),
        doc(
            "UBLReferenceAndModelNumberFormatNotValid",
            &changed(&inv, |x| {
                x.payment_means[0].payment_id = Some("97 872026000042".into())
            }),
        ),
    ]
}

/// VAT categories, rates, exemptions, units, item names.
pub fn taxes() -> Vec<Case> {
    let inv = invoice_doc();
    let mixed = mixed_doc();
    let old = sample_mixed_categories_invoice(
        "F-2021-0300",
        NaiveDate::from_ymd_opt(2021, 12, 30).unwrap(),
    );
    vec![
        doc(
            "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer",
            &changed(&inv, |x| x.tax_totals[0].tax_amount = Some(dec("5451.00"))),
        ),
        doc(
            "UBLOnlyOneTaxSubtotalPerTaxCategoryIsAllowed",
            &changed(&inv, |x| {
                let t = &mut x.tax_totals[0];
                let mut half = t.subtotals[0].clone();
                half.taxable_amount = Some(dec("12500.00"));
                half.tax_amount = Some(dec("2500.00"));
                t.subtotals[0] = half.clone();
                t.subtotals.push(half);
            }),
        ),
        doc(
            "UBLNoItemsWithTaxSubtotalTaxCategory",
            &changed(&inv, |x| {
                let mut z = x.tax_totals[0].subtotals[1].clone();
                z.category = fiskal_ubl::TaxCategory::vat(VatCategory::Z, Some(Decimal::ZERO));
                z.category.exemption_reason_code = Some("PDV-RS-24-1-2".into());
                z.taxable_amount = Some(dec("0.00"));
                z.tax_amount = Some(dec("0.00"));
                x.tax_totals[0].subtotals.push(z);
            }),
        ),
        doc(
            "UBLIncorrectVatRateForStandardVatRate",
            &changed(&inv, |x| {
                x.lines[1].item.tax_category.as_mut().unwrap().percent = Some(dec("18"));
                let s = &mut x.tax_totals[0].subtotals[1];
                s.category.percent = Some(dec("18"));
                s.tax_amount = Some(dec("809.99"));
                x.tax_totals[0].tax_amount = Some(dec("5809.99"));
                let t = x.monetary_total.as_mut().unwrap();
                t.tax_inclusive = Some(dec("35309.96"));
                t.payable = Some(dec("35309.96"));
            }),
        ),
        doc(
            "UBLNotAllowedTaxAmountForExemptionFromVAT",
            &changed(&mixed, |x| {
                subtotal_of(x, VatCategory::E).tax_amount = Some(dec("200.00"))
            }),
        ),
        doc(
            "UBLNotAllowedTaxAmountForRecipientCalculatesVAT",
            &changed(&mixed, |x| {
                subtotal_of(x, VatCategory::AE).tax_amount = Some(dec("200.00"))
            }),
        ),
        doc(
            "UBLTaxCategoryIdUnknown",
            &changed(&inv, |x| {
                let k = VatCategory::parse("X");
                x.lines[1].item.tax_category.as_mut().unwrap().id = Some(k.clone());
                x.tax_totals[0].subtotals[1].category.id = Some(k);
            }),
        ),
        doc(
            "UBLTaxExemptionReasonKeyNotDefined",
            &changed(&mixed, |x| {
                let e = subtotal_of(x, VatCategory::E);
                e.category.exemption_reason_code = None;
                e.category.exemption_reason = None;
            }),
        ),
        doc(
            "VatExemptionReasonNotExists",
            &changed(&mixed, |x| {
                subtotal_of(x, VatCategory::E)
                    .category
                    .exemption_reason_code = Some("PDV-RS-25-2-99".into())
            }),
        ),
        doc(
            "UBLTaxExemptionReasonCategoryNotCorrect",
            &changed(&mixed, |x| {
                subtotal_of(x, VatCategory::E)
                    .category
                    .exemption_reason_code = Some("PDV-RS-10-2-1".into())
            }),
        ),
        // The sandbox's keys are active from 2022-01-01.
        doc("VatExemptionReasonPointOfLawNotActive", &old),
        doc(
            "UBLUnitCodeNotValid",
            &changed(&inv, |x| x.lines[0].unit_code = Some("XXH".into())),
        ),
        doc(
            "UBLProductNameLengthExceeded",
            &changed(&inv, |x| x.lines[0].item.name = Some("n".repeat(101))),
        ),
        doc("InvoicePeriodDescriptionCodeNotNeeded", &not_needed_bt8()),
    ]
}

/// Amounts with too many decimals.
pub fn decimals() -> Vec<Case> {
    let inv = invoice_doc();
    let total = |f: fn(&mut fiskal_ubl::MonetaryTotal) -> &mut Option<Decimal>| {
        changed(&inv, |x| scale(f(x.monetary_total.as_mut().unwrap()), 3))
    };
    vec![
        doc(
            "UBLTaxAmountMoreDecimalsThanPermitted",
            &changed(&inv, |x| scale(&mut x.tax_totals[0].tax_amount, 3)),
        ),
        doc(
            "UBLTaxSubtotalTaxableAmountMoreDecimalsThanPermitted",
            &changed(&inv, |x| {
                scale(&mut x.tax_totals[0].subtotals[0].taxable_amount, 3)
            }),
        ),
        doc(
            "UBLTaxSubtotalTaxAmountMoreDecimalsThanPermitted",
            &changed(&inv, |x| {
                scale(&mut x.tax_totals[0].subtotals[0].tax_amount, 3)
            }),
        ),
        doc(
            "UBLInvoiceLineExtensionAmountMoreDecimalsThanPermitted",
            &changed(&inv, |x| scale(&mut x.lines[0].line_extension, 3)),
        ),
        doc(
            "UBLInvoiceLinePriceAmountMoreDecimalsThanPermitted",
            &changed(&inv, |x| {
                scale(&mut x.lines[0].price.as_mut().unwrap().amount, 5)
            }),
        ),
        doc(
            "UBLLineExtensionAmountMoreDecimalsThanPermitted",
            &total(|t| &mut t.line_extension),
        ),
        doc(
            "UBLTaxExclusiveAmountMoreDecimalsThanPermitted",
            &total(|t| &mut t.tax_exclusive),
        ),
        doc(
            "UBLTaxInclusiveAmountMoreDecimalsThanPermitted",
            &total(|t| &mut t.tax_inclusive),
        ),
        doc(
            "UBLAllowanceTotalAmountMoreDecimalsThanPermitted",
            &total(|t| &mut t.allowance_total),
        ),
        doc(
            "UBLPrepayedAmountMoreDecimalsThanPermitted",
            &total(|t| &mut t.prepaid),
        ),
        doc(
            "UBLPayableAmountMoreDecimalsThanPermitted",
            &total(|t| &mut t.payable),
        ),
    ]
}

/// References of notes and final invoices, the Serbian extension.
pub fn references() -> Vec<Case> {
    let cn = credit_note_doc();
    let debit = sample_debit_note("P-1", today(), "F-2026-0142", today());
    let adv = sample_advance_invoice(
        "A-2026-0009",
        NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
    );
    let fin = sample_final_invoice("F-2026-0150", today(), &adv);
    vec![
        doc(
            "UBLBillingReferenceMissing",
            &changed(&cn, |x| x.billing_references[0].id = Some(String::new())),
        ),
        doc(
            "CreditInvoiceMustHaveSource",
            &changed(&cn, |x| x.billing_references.clear()),
        ),
        doc(
            "DebitInvoiceMustHaveSource",
            &changed(&debit, |x| x.billing_references.clear()),
        ),
        doc(
            "UBLCannotBeDefinedInvoiceDocumentReferenceIDWithInvoicePeriodStartDateAndInvoicePeriodEndDateParameters",
            &changed(&cn, |x| {
                x.invoice_periods[0].start = Some(today() - Days::new(30));
                x.invoice_periods[0].end = Some(today());
            }),
        ),
        doc(
            "UBLInvoiceExtensionNotDefined",
            &changed(&fin, |x| x.extension = None),
        ),
        doc(
            "UBLInvoiceExtensionSrbDtExtNotValid",
            &changed(&fin, |x| x.extension.as_mut().unwrap().prepayments.clear()),
        ),
        doc(
            "UBLPrepaymentInvoiceNotFound",
            &changed(&fin, |x| x.billing_references.clear()),
        ),
    ]
}

/// Every case.
pub fn all() -> Vec<Case> {
    [
        header_and_dates(),
        parties(),
        taxes(),
        decimals(),
        references(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
