//! Rule tests: parties and identifiers, budget users, payment means. One test per rule area: a valid document broken in one way must give
//! that rule (see `common::expect`).

mod common;

use common::*;
use fiskal_ubl::Severity::{Fatal, Warning};
use fiskal_ubl::samples::*;
use fiskal_ubl::*;

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
