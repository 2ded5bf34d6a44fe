//! One test per rule: a valid document broken in one way must give that rule (fatal unless
//! noted), with a path and messages in both languages; the untouched document gives nothing.

use chrono::NaiveDate;
use fiskal_ubl::samples::*;
use fiskal_ubl::*;
use rust_decimal::Decimal;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}
fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}
const D: (i32, u32, u32) = (2026, 11, 25);
fn today() -> NaiveDate {
    day(D.0, D.1, D.2)
}

type Mutation = fn(&mut Document);

fn expect(base: &Document, cases: &[(&str, Mutation, &str, Severity)]) {
    assert!(validate(base).is_empty(), "{:#?}", validate(base));
    let mut failures = Vec::new();
    for (name, mutate, rule, sev) in cases {
        let mut d = base.clone();
        mutate(&mut d);
        let f = validate(&d);
        match f.iter().find(|x| x.rule_id == *rule) {
            None => failures.push(format!(
                "{name}: expected {rule}, got {:?}",
                f.iter().map(|x| x.rule_id).collect::<Vec<_>>()
            )),
            Some(x) => {
                if x.severity != *sev {
                    failures.push(format!("{name}: {rule} has severity {:?}", x.severity));
                }
                if x.path.is_empty() || !x.path.starts_with('/') {
                    failures.push(format!("{name}: {rule} has no path"));
                }
                if x.message_sr.is_empty()
                    || x.message_en.is_empty()
                    || x.message_sr == x.message_en
                {
                    failures.push(format!(
                        "{name}: {rule} lacks separate Serbian and English messages"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

use Severity::{Fatal, Warning};

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

#[test]
fn party_rules() {
    let base = spec_invoice_380(today());
    fn s(d: &mut Document) -> &mut Party {
        d.supplier.as_mut().unwrap()
    }
    fn b(d: &mut Document) -> &mut Party {
        d.customer.as_mut().unwrap()
    }
    expect(
        &base,
        &[
            ("no seller", |d| d.supplier = None, "BR-06", Fatal),
            ("no buyer", |d| d.customer = None, "BR-07", Fatal),
            (
                "seller registration name",
                |d| s(d).legal_entity.as_mut().unwrap().registration_name = None,
                "BR-06",
                Fatal,
            ),
            (
                "buyer registration name",
                |d| b(d).legal_entity.as_mut().unwrap().registration_name = None,
                "BR-07",
                Fatal,
            ),
            (
                "seller trading name",
                |d| s(d).name = None,
                "FSK-PARTY-NAME",
                Fatal,
            ),
            ("seller address", |d| s(d).address = None, "BR-08", Fatal),
            (
                "seller country",
                |d| s(d).address.as_mut().unwrap().country = None,
                "BR-09",
                Fatal,
            ),
            ("buyer address", |d| b(d).address = None, "BR-10", Fatal),
            (
                "buyer country",
                |d| b(d).address.as_mut().unwrap().country = None,
                "BR-11",
                Fatal,
            ),
            (
                "country lowercase",
                |d| b(d).address.as_mut().unwrap().country = Some("rs".into()),
                "BR-CL-14",
                Fatal,
            ),
            (
                "seller city",
                |d| s(d).address.as_mut().unwrap().city = None,
                "RSR-16",
                Fatal,
            ),
            (
                "buyer city",
                |d| b(d).address.as_mut().unwrap().city = None,
                "RSR-25",
                Fatal,
            ),
            (
                "buyer postal code",
                |d| b(d).address.as_mut().unwrap().postal_zone = None,
                "RSR-26",
                Fatal,
            ),
            (
                "seller VAT id",
                |d| s(d).tax_schemes.clear(),
                "RSR-09",
                Fatal,
            ),
            (
                "seller VAT without RS",
                |d| s(d).tax_schemes[0].company_id = Some("190000012".into()),
                "RSR-11",
                Fatal,
            ),
            (
                "buyer VAT id",
                |d| b(d).tax_schemes.clear(),
                "RSR-20",
                Fatal,
            ),
            (
                "buyer VAT 8 digits",
                |d| b(d).tax_schemes[0].company_id = Some("RS19000002".into()),
                "RSR-21",
                Fatal,
            ),
            (
                "seller PIB check digit",
                |d| {
                    s(d).tax_schemes[0].company_id = Some("RS190000013".into());
                    s(d).endpoint_id = Some("190000013".into());
                },
                "FSK-PIB-CHECKSUM",
                Fatal,
            ),
            (
                "seller endpoint",
                |d| s(d).endpoint_id = None,
                "RSR-13",
                Fatal,
            ),
            (
                "seller endpoint scheme missing",
                |d| s(d).endpoint_scheme = None,
                "BR-62",
                Fatal,
            ),
            (
                "seller endpoint scheme",
                |d| s(d).endpoint_scheme = Some("0088".into()),
                "RSR-14",
                Fatal,
            ),
            (
                "seller endpoint with RS",
                |d| s(d).endpoint_id = Some("RS190000012".into()),
                "RSR-15",
                Fatal,
            ),
            (
                "buyer endpoint",
                |d| b(d).endpoint_id = None,
                "RSR-22",
                Fatal,
            ),
            (
                "buyer endpoint scheme missing",
                |d| b(d).endpoint_scheme = None,
                "BR-63",
                Fatal,
            ),
            (
                "buyer endpoint scheme",
                |d| b(d).endpoint_scheme = Some("9946".into()),
                "RSR-23",
                Fatal,
            ),
            (
                "buyer endpoint other PIB",
                |d| b(d).endpoint_id = Some("190000037".into()),
                "RSR-24",
                Fatal,
            ),
            (
                "seller MB",
                |d| s(d).legal_entity.as_mut().unwrap().company_id = None,
                "FSK-SELLER-MB",
                Fatal,
            ),
            (
                "buyer MB",
                |d| b(d).legal_entity.as_mut().unwrap().company_id = None,
                "RSR-17",
                Fatal,
            ),
            (
                "buyer MB scheme",
                |d| b(d).legal_entity.as_mut().unwrap().company_id_scheme = Some("0088".into()),
                "RSR-18",
                Fatal,
            ),
            (
                "buyer MB lost zero",
                |d| b(d).legal_entity.as_mut().unwrap().company_id = Some("9000028".into()),
                "RSR-19",
                Fatal,
            ),
            (
                "seller e-mail",
                |d| s(d).contact.as_mut().unwrap().email = Some("fakture@".into()),
                "FSK-EMAIL",
                Fatal,
            ),
            (
                "buyer identification not JBKJS",
                |d| {
                    b(d).identifications.push(PartyId {
                        id: "10520".into(),
                        scheme: None,
                    })
                },
                "FSK-JBKJS",
                Fatal,
            ),
            (
                "JBKJS 4 digits",
                |d| {
                    b(d).identifications.push(PartyId {
                        id: "JBKJS:1052".into(),
                        scheme: None,
                    })
                },
                "FSK-JBKJS",
                Fatal,
            ),
            (
                "JBKJS twice",
                |d| {
                    b(d).identifications.push(PartyId {
                        id: "JBKJS:10520".into(),
                        scheme: None,
                    });
                    b(d).identifications.push(PartyId {
                        id: "JBKJS:10521".into(),
                        scheme: None,
                    });
                },
                "FSK-JBKJS-ONCE",
                Fatal,
            ),
            (
                "payee without MB",
                |d| {
                    d.payee = Some(Party {
                        name: Some("Faktoring d.o.o.".into()),
                        ..Default::default()
                    })
                },
                "RSR-27",
                Fatal,
            ),
            (
                "payee MB",
                |d| {
                    d.payee = Some(Party {
                        name: Some("F".into()),
                        legal_entity: Some(LegalEntity {
                            company_id: Some("123".into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    })
                },
                "RSR-28",
                Fatal,
            ),
            (
                "tax representative",
                |d| d.tax_representative = Some(Party::default()),
                "RSR-29",
                Fatal,
            ),
            (
                "tax representative city",
                |d| {
                    d.tax_representative = Some(Party {
                        address: Some(Address::default()),
                        ..Default::default()
                    })
                },
                "RSR-31",
                Fatal,
            ),
            (
                "tax representative postal code",
                |d| {
                    d.tax_representative = Some(Party {
                        address: Some(Address::default()),
                        ..Default::default()
                    })
                },
                "RSR-32",
                Fatal,
            ),
            (
                "tax representative VAT form",
                |d| {
                    d.tax_representative = Some(Party {
                        tax_schemes: vec![PartyTaxScheme {
                            company_id: Some("123".into()),
                            tax_scheme: Some("VAT".into()),
                        }],
                        ..Default::default()
                    })
                },
                "RSR-30",
                Fatal,
            ),
        ],
    );
}

#[test]
fn budget_user_rules() {
    let base = sample_budget_invoice("F-1", today());
    expect(
        &base,
        &[(
            "no contract/order/lot",
            |d| d.contract_references.clear(),
            "FSK-BUDGET-REFERENCE",
            Fatal,
        )],
    );
    let mut plain = spec_invoice_380(today());
    let opts = ValidationOptions {
        buyer_is_budget_user: Some(true),
        ..Default::default()
    };
    assert!(
        validate_with(&plain, &opts)
            .iter()
            .any(|f| f.rule_id == "FSK-JBKJS-MISSING")
    );
    let opts = ValidationOptions {
        buyer_is_budget_user: Some(false),
        ..Default::default()
    };
    assert!(
        validate_with(&base, &opts)
            .iter()
            .any(|f| f.rule_id == "FSK-JBKJS-NOT-BUDGET")
    );
    plain.buyer_reference = Some("JN-JBKJS:123".into());
    assert!(
        validate(&plain)
            .iter()
            .any(|f| f.rule_id == "FSK-BUYER-REFERENCE" && !f.is_fatal())
    );
}

#[test]
fn payment_rules() {
    let base = spec_invoice_380(today());
    expect(
        &base,
        &[
            (
                "no payment means",
                |d| d.payment_means.clear(),
                "FSK-PAYMENT-MEANS",
                Fatal,
            ),
            (
                "no code",
                |d| d.payment_means[0].code = None,
                "BR-49",
                Fatal,
            ),
            (
                "code 42",
                |d| d.payment_means[0].code = Some("42".into()),
                "FSK-PAYMENT-CODE",
                Warning,
            ),
            (
                "no account",
                |d| d.payment_means[0].payee_account = None,
                "BR-61",
                Fatal,
            ),
            (
                "account control digits",
                |d| d.payment_means[0].payee_account = Some("999000000012345633".into()),
                "FSK-ACCOUNT",
                Fatal,
            ),
            (
                "account with dashes",
                |d| d.payment_means[0].payee_account = Some("999-123456-32".into()),
                "FSK-ACCOUNT",
                Fatal,
            ),
            (
                "reference form",
                |d| d.payment_means[0].payment_id = Some("97 872026000042".into()),
                "FSK-PAYMENT-ID",
                Fatal,
            ),
            (
                "reference control",
                |d| d.payment_means[0].payment_id = Some("(mod97) 882026000042".into()),
                "FSK-PAYMENT-ID",
                Fatal,
            ),
        ],
    );
}

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
