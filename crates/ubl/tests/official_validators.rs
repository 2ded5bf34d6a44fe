//! Cross-check of fiskal's validator with the official validators (`shared/validators/validate-ubl`:
//! OASIS UBL 2.1 XSD, CEN EN 16931 Schematron, Serbian srbdt Schematron).
//!
//! One invocation of the script validates every document of this file: the valid samples (all
//! must pass both), documents broken on purpose where both must reject with the same rule, and
//! documents broken in ways only fiskal checks (rules that the Serbian Schematron never fires,
//! README §4, and SEF rules), where the official validators are expected to stay silent.
//!
//! The script is found by `fiskal_testkit::official_validator` (`shared/validators/validate-ubl`
//! beside the repository, or `$FISKAL_UBL_VALIDATOR`). If it is missing the test fails,
//! unless `FISKAL_SKIP_OFFICIAL_VALIDATOR=1`.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use fiskal_ubl::samples::*;
use fiskal_ubl::*;
use rust_decimal::Decimal;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

struct Case {
    name: &'static str,
    xml: String,
    /// Rule fiskal must report (fatal); `None` for valid documents.
    fiskal: Option<&'static str>,
    /// Rule the official validators must report (fatal); `None` = they must accept the document.
    official: Option<&'static str>,
}

fn valid(name: &'static str, doc: &Document) -> Case {
    Case {
        name,
        xml: to_xml(doc),
        fiskal: None,
        official: None,
    }
}

fn broken(
    name: &'static str,
    doc: &Document,
    fiskal: &'static str,
    official: Option<&'static str>,
) -> Case {
    Case {
        name,
        xml: to_xml(doc),
        fiskal: Some(fiskal),
        official,
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn cases() -> Vec<Case> {
    let d = day(2026, 11, 25);
    let inv = spec_invoice_380(d);
    let cn = sample_credit_note("O-2026-0007", d, "F-2026-0142", day(2026, 11, 20));
    let adv = sample_advance_invoice("A-2026-0009", day(2026, 11, 10));
    let fin = sample_final_invoice("F-2026-0150", d, &adv);
    let mixed = sample_mixed_categories_invoice("F-2026-0300", d);
    let mut v = vec![
        valid("valid-invoice-380", &inv),
        valid(
            "valid-invoice-100-lines",
            &sample_invoice("F-2026-0201", d, 100),
        ),
        valid("valid-credit-note-381", &cn),
        valid(
            "valid-debit-note-383",
            &sample_debit_note("P-1", d, "F-2026-0142", day(2026, 11, 20)),
        ),
        valid("valid-advance-386", &adv),
        valid("valid-final-380", &fin),
        valid("valid-mixed-categories", &mixed),
        valid(
            "valid-budget-user",
            &sample_budget_invoice("F-2026-0400", d),
        ),
    ];
    // Both must reject, with the same rule.
    let m = |f: &dyn Fn(&mut Document)| {
        let mut x = inv.clone();
        f(&mut x);
        x
    };
    v.push(broken(
        "payable-wrong",
        &m(&|x| x.monetary_total.as_mut().unwrap().payable = Some(dec("34499.97"))),
        "BR-CO-16",
        Some("BR-CO-16"),
    ));
    v.push(broken(
        "line-total-wrong",
        &m(&|x| {
            let t = x.monetary_total.as_mut().unwrap();
            t.line_extension = Some(dec("29500.00"));
        }),
        "BR-CO-10",
        Some("BR-CO-10"),
    ));
    v.push(broken(
        "tax-total-wrong",
        &m(&|x| x.tax_totals[0].tax_amount = Some(dec("5449.99"))),
        "BR-CO-14",
        Some("BR-CO-14"),
    ));
    v.push(broken(
        "subtotal-tax-wrong",
        &m(&|x| x.tax_totals[0].subtotals[1].tax_amount = Some(dec("440.00"))),
        "BR-CO-17",
        Some("BR-CO-17"),
    ));
    v.push(broken(
        "subtotal-base-wrong",
        &m(&|x| x.tax_totals[0].subtotals[0].taxable_amount = Some(dec("25010.00"))),
        "BR-S-08",
        Some("BR-S-08"),
    ));
    v.push(broken(
        "unknown-category",
        &m(&|x| {
            let k = VatCategory::parse("X");
            x.lines[1].item.tax_category.as_mut().unwrap().id = Some(k.clone());
            x.tax_totals[0].subtotals[1].category.id = Some(k);
        }),
        "RSR-36",
        Some("RSR-36"),
    ));
    v.push(broken(
        "exemption-on-s",
        &m(&|x| {
            x.tax_totals[0].subtotals[0].category.exemption_reason_code =
                Some("PDV-RS-25-2-3".into())
        }),
        "BR-S-10",
        Some("BR-S-10"),
    ));
    v.push(broken(
        "buyer-mb-length",
        &m(&|x| {
            x.customer
                .as_mut()
                .unwrap()
                .legal_entity
                .as_mut()
                .unwrap()
                .company_id = Some("9900028".into())
        }),
        "RSR-19",
        Some("RSR-19"),
    ));
    v.push(broken(
        "seller-endpoint-scheme",
        &m(&|x| x.supplier.as_mut().unwrap().endpoint_scheme = Some("0088".into())),
        "RSR-14",
        Some("RSR-14"),
    ));
    v.push(broken(
        "tax-point-date",
        &m(&|x| x.tax_point_date = Some(d)),
        "RSR-04",
        Some("RSR-04"),
    ));
    v.push(broken(
        "customization-2021",
        &m(&|x| {
            x.customization_id =
                Some("urn:cen.eu:en16931:2017#compliant#urn:mfin.gov.rs:srbdt:2021".into())
        }),
        "RSR-01",
        Some("RSR-01"),
    ));
    v.push(broken(
        "type-code-384",
        &m(&|x| x.type_code = Some("384".into())),
        "RSR-03",
        Some("RSR-03"),
    ));
    v.push(broken(
        "bt8-zero-on-invoice",
        &m(&|x| x.invoice_periods[0].description_code = Some("0".into())),
        "RSR-06",
        Some("RSR-06"),
    ));
    v.push(broken(
        "payable-three-decimals",
        &m(&|x| {
            let mut p = dec("34949.97");
            p.rescale(3);
            x.monetary_total.as_mut().unwrap().payable = Some(p)
        }),
        "BR-DEC-18",
        Some("BR-DEC-18"),
    ));
    let mut c = cn.clone();
    c.billing_references[0].issue_date = None;
    v.push(broken(
        "reference-without-date",
        &c,
        "RSR-07",
        Some("RSR-07"),
    ));
    let mut c = cn.clone();
    c.invoice_periods.clear();
    v.push(broken(
        "credit-note-s-without-bt8",
        &c,
        "RSR-05",
        Some("RSR-05"),
    ));
    let mut x = mixed.clone();
    let e = x.tax_totals[0]
        .subtotals
        .iter_mut()
        .find(|s| s.category.id == Some(VatCategory::E))
        .unwrap();
    e.category.exemption_reason_code = None;
    v.push(broken(
        "exempt-without-reason",
        &x,
        "BR-E-10",
        Some("BR-E-10"),
    ));
    let mut x = mixed.clone();
    let ae = x.tax_totals[0]
        .subtotals
        .iter_mut()
        .find(|s| s.category.id == Some(VatCategory::AE))
        .unwrap();
    ae.tax_amount = Some(dec("200.00"));
    v.push(broken(
        "reverse-charge-with-tax",
        &x,
        "BR-AE-09",
        Some("BR-AE-09"),
    ));
    let mut x = fin.clone();
    x.extension
        .as_mut()
        .unwrap()
        .reduced_totals
        .as_mut()
        .unwrap()
        .monetary_total
        .tax_inclusive = Some(dec("18000.01"));
    v.push(broken(
        "final-reduced-total-wrong",
        &x,
        "RSE-03",
        Some("RSE-03"),
    ));
    let mut x = mixed.clone();
    let r = x.tax_totals[0]
        .subtotals
        .iter_mut()
        .find(|s| s.category.id == Some(VatCategory::R))
        .unwrap();
    r.category.exemption_reason_code = None;
    v.push(broken(
        "not-a-supply-without-reason",
        &x,
        "RSK-R-10",
        Some("RSK-X-10"),
    ));
    // Schema order: DueDate after InvoiceTypeCode.
    let xml = to_xml(&inv).replace(
        "  <cbc:DueDate>2026-12-25</cbc:DueDate>\n  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\n",
        "  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\n  <cbc:DueDate>2026-12-25</cbc:DueDate>\n",
    );
    v.push(Case {
        name: "element-order",
        xml,
        fiskal: Some("XSD"),
        official: Some("XSD"),
    });
    // Only fiskal checks these (README §4 and SEF rules): the official validators accept them.
    v.push(broken(
        "buyer-pib-checksum",
        &m(&|x| {
            let c = x.customer.as_mut().unwrap();
            c.endpoint_id = Some("190000013".into());
            c.tax_schemes[0].company_id = Some("RS190000013".into());
        }),
        "FSK-PIB-CHECKSUM",
        None,
    ));
    v.push(broken(
        "buyer-postal-code-missing",
        &m(&|x| {
            x.customer
                .as_mut()
                .unwrap()
                .address
                .as_mut()
                .unwrap()
                .postal_zone = None
        }),
        "RSR-26",
        None,
    ));
    v.push(broken(
        "delivery-date-missing-with-35",
        &m(&|x| x.deliveries.clear()),
        "RSR-33",
        None,
    ));
    v.push(broken(
        "buyer-endpoint-missing",
        &m(&|x| x.customer.as_mut().unwrap().endpoint_id = None),
        "RSR-22",
        None,
    ));
    v.push(broken(
        "line-net-not-quantity-times-price",
        &m(&|x| {
            x.lines[0].price.as_mut().unwrap().amount = Some(dec("2400.00"));
        }),
        "FSK-LINE-NET",
        None,
    ));
    v.push(broken(
        "standard-rate-18",
        &m(&|x| {
            x.lines[1].item.tax_category.as_mut().unwrap().percent = Some(dec("18"));
            let s = &mut x.tax_totals[0].subtotals[1];
            s.category.percent = Some(dec("18"));
            s.tax_amount = Some(dec("809.99"));
            x.tax_totals[0].tax_amount = Some(dec("5809.99"));
            let t = x.monetary_total.as_mut().unwrap();
            t.tax_inclusive = Some(dec("35309.96"));
            t.payable = Some(dec("35309.96"));
        }),
        "FSK-S-RATE",
        None,
    ));
    // The CEN rules allow a difference of up to 1 in BR-S-08 / BR-CO-17; fiskal recomputes exactly.
    v.push(broken(
        "subtotal-tax-off-by-one-para",
        &m(&|x| {
            x.tax_totals[0].subtotals[1].tax_amount = Some(dec("449.99"));
            x.tax_totals[0].tax_amount = Some(dec("5449.99"));
            let t = x.monetary_total.as_mut().unwrap();
            t.tax_inclusive = Some(dec("34949.96"));
            t.payable = Some(dec("34949.96"));
        }),
        "BR-CO-17",
        None,
    ));
    v.push(broken(
        "delivery-after-issue",
        &m(&|x| x.deliveries = vec![Some(day(2026, 11, 26))]),
        "FSK-DELIVERY-AFTER-ISSUE",
        None,
    ));
    v
}

#[test]
fn fiskal_and_the_official_validators_agree() {
    let Some(script) = fiskal_testkit::official_validator() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let mut files = Vec::new();
    for c in &cases {
        let p = dir.path().join(format!("{}.xml", c.name));
        std::fs::write(&p, &c.xml).unwrap();
        files.push(p);
    }
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg("--json")
        .args(&files)
        .output()
        .expect("python3 must be installed to run the official validators");
    assert_ne!(
        out.status.code(),
        Some(2),
        "validator setup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "validator output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut problems = Vec::new();
    for (c, f) in cases.iter().zip(&files) {
        let entry = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["file"].as_str() == f.to_str())
            .unwrap_or_else(|| panic!("{} missing from the report", c.name));
        let official: BTreeSet<String> = entry["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["flag"] == "fatal")
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect();
        let ours = validate_xml(&c.xml).unwrap();
        let ours_fatal: BTreeSet<&str> = ours
            .iter()
            .filter(|x| x.is_fatal())
            .map(|x| x.rule_id)
            .collect();
        match c.fiskal {
            None if !ours.is_empty() => {
                problems.push(format!("{}: fiskal reports {ours:#?}", c.name))
            }
            Some(r) if !ours_fatal.contains(r) => problems.push(format!(
                "{}: fiskal does not report {r}; it reports {ours_fatal:?}",
                c.name
            )),
            _ => {}
        }
        match c.official {
            None if !official.is_empty() => problems.push(format!(
                "{}: official validators report {official:?}",
                c.name
            )),
            Some(r) if !official.contains(r) => problems.push(format!(
                "{}: official validators do not report {r}; they report {official:?}",
                c.name
            )),
            _ => {}
        }
        // Agreement: every fatal official rule that fiskal implements must be reported by fiskal.
        for id in &official {
            let alias = match id.as_str() {
                "BR-CL-06" => "RSR-06",
                // BR-S-09 is BR-CO-17 for category S (with a tolerance of 1).
                "BR-S-09" => "BR-CO-17",
                other => other,
            };
            let implemented = ours_fatal.contains(alias)
                // The Serbian XSLT reports every category rule as RSK-X-nn; fiskal names the
                // category (RSK-R-nn, RSK-OE-nn, RSK-SS-nn, RSK-N-nn).
                || id.strip_prefix("RSK-X-").is_some_and(|n| {
                    ours_fatal
                        .iter()
                        .any(|o| o.starts_with("RSK-") && o.ends_with(&format!("-{n}")))
                });
            let fiskal_knows = id == "XSD" || id.starts_with("BR-") || id.starts_with("RS");
            if fiskal_knows && !implemented {
                problems.push(format!(
                    "{}: official rule {id} fires but fiskal does not report it (fiskal: {ours_fatal:?})",
                    c.name
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\nofficial report:\n{:#}",
        problems.join("\n"),
        report
    );
}
