//! The sandbox, `fiskal sef validate` (`fiskal_ubl::validate_xml`) and the official validators
//! (`shared/validators/validate-ubl`: UBL 2.1 XSD, EN 16931 and Serbian Schematron) agree on
//! the whole test corpus: every UBL document under the repository's `testdata` and `tests`
//! folders, fiskal-ubl's samples, and the one-change documents of `sandbox_codes.rs`.
//!
//! On every document the official validators judge: when they refuse it, the sandbox and
//! `fiskal sef validate` refuse it too; when they accept it, the sandbox accepts it or refuses
//! it with one of the SEF-only codes named in [`SEF_ONLY`] (rules no Schematron fires), and
//! `fiskal sef validate` judges it as the sandbox does, except for the codes that need SEF's
//! lists or registry ([`NEEDS_SEF_DATA`]). The sandbox verdict here is its content check
//! (layers 1 and 2); its state checks (issue date today, numbers, registry) are about the
//! moment of sending and are tested in `sandbox_refusals.rs`.
//!
//! The official script is found at `../../../shared/validators/validate-ubl` from this crate or
//! at `$FISKAL_UBL_VALIDATOR` (CI prepares its environment in `.ci/run`); if it is missing the
//! test fails, unless `FISKAL_SKIP_OFFICIAL_VALIDATOR=1`. One call judges every document.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use fiskal_sef::sandbox::check::{CheckContext, check_document};
use fiskal_sef::sandbox::codes::{answering_finding, sef_code};
use fiskal_sef::sandbox::{Company, State};
use fiskal_ubl::samples::*;
use fiskal_ubl::to_xml;

mod common;

/// SEF codes the sandbox answers documents with that the official validators accept: SEF's own
/// rules, and Serbian rules that the published Schematron never fires (validators README §4).
const SEF_ONLY: &[&str] = &[
    // Number, notes, item names: SEF's limits (ubl-profile.md §3).
    "UBLInvoiceNumberContainsInvalidCharacters",
    "InvoiceNumberTooLong",
    "UBLMaxNoteLengthExceeded",
    "UBLProductNameLengthExceeded",
    // Dates (§5): delivery, reduction, increase and advance dates; due date within 90 days;
    // the delivery date of a 380 (RSR-33 never fires) and the reduction date of a 381.
    "UBLDeliveryDateMustNotBeLatterThanIssueDate",
    "UBLReductionDateMustNotBeLatterThanIssueDate",
    "UBLIncreaseDateMustNotBeLatterThanIssueDate",
    "UBLPrepaymentDateMustNotBeLatterThanIssueDate",
    "InvoiceDeliveryDateMissing",
    "CreditNoteReductionDateMissing",
    "PaymentDateMoreThan90DaysInFuture",
    // BT-8 must be omitted without S lines (SEF 3.14; the 2022 Schematron still wants it).
    "InvoicePeriodDescriptionCodeNotNeeded",
    // Budget users (§4, §12): JBKJS and contract / order / lot number.
    "UBLJBKJSNotDefined",
    "ReceiverMissedAddingJBKJSPrefix",
    "ReceiverJBKJSLengthInvalid",
    "UBLCannotBeDefinedPartyIdentificationIdForNonBudgetCompany",
    "UBLOrderNumberLotNumberOrContractNumberIsRequired",
    // Payment means and the model-97 reference (§9).
    "UBLPaymentMeansNotDefined",
    "UBLReferenceAndModelNumberFormatNotValid",
    // VAT breakdown: a subtotal needs items of its category; S is 20 or 10 (§7).
    "UBLNoItemsWithTaxSubtotalTaxCategory",
    "UBLIncorrectVatRateForStandardVatRate",
    // SEF's lists: exemption keys and unit codes (§6, §7).
    "VatExemptionReasonNotExists",
    "UBLTaxExemptionReasonCategoryNotCorrect",
    "VatExemptionReasonPointOfLawNotActive",
    "UBLUnitCodeNotValid",
    // Prices have at most 4 decimals (§8.1; EN 16931 sets no limit on BT-146).
    "UBLInvoiceLinePriceAmountMoreDecimalsThanPermitted",
    // Notes reference invoices or a period, not both and not neither (§10); a reference
    // without the invoice's number.
    "UBLBillingReferenceMissing",
    "CreditInvoiceMustHaveSource",
    "DebitInvoiceMustHaveSource",
    "UBLCannotBeDefinedInvoiceDocumentReferenceIDWithInvoicePeriodStartDateAndInvoicePeriodEndDateParameters",
    // Final invoices after advances (§11): the extension present and consistent, each
    // advance referenced.
    "UBLInvoiceExtensionNotDefined",
    "UBLInvoiceExtensionSrbDtExtNotValid",
    "UBLPrepaymentInvoiceNotFound",
];

/// Codes the sandbox finds with SEF's lists (units, exemption keys) or its registry (budget
/// users); `fiskal sef validate` has neither by default, so it may accept these documents.
const NEEDS_SEF_DATA: &[&str] = &[
    "UBLUnitCodeNotValid",
    "VatExemptionReasonNotExists",
    "VatExemptionReasonPointOfLawNotActive",
    "UBLTaxExemptionReasonCategoryNotCorrect",
    "UBLJBKJSNotDefined",
    "UBLCannotBeDefinedPartyIdentificationIdForNonBudgetCompany",
];

/// Every `.xml` file below `dir` (recursively).
fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            xml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xml") {
            out.push(p);
        }
    }
}

/// The corpus: (name, XML).
fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    xml_files(&root.join("testdata"), &mut files);
    for c in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        xml_files(&c.path().join("testdata"), &mut files);
        xml_files(&c.path().join("tests"), &mut files);
    }
    files.sort();
    let mut v: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap_or(p).display().to_string();
            (name, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    assert!(v.len() >= 8, "the corpus files were not found: {v:?}");
    let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let adv = sample_advance_invoice(
        "A-2026-0009",
        NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
    );
    for (name, doc) in [
        ("sample-spec-invoice-380", spec_invoice_380(d)),
        (
            "sample-invoice-3-lines",
            sample_invoice("F-2026-0201", d, 3),
        ),
        (
            "sample-credit-note",
            sample_credit_note("O-2026-0007", d, "F-2026-0142", d),
        ),
        (
            "sample-debit-note",
            sample_debit_note("P-1", d, "F-2026-0142", d),
        ),
        (
            "sample-final-invoice",
            sample_final_invoice("F-2026-0150", d, &adv),
        ),
        ("sample-advance-invoice", adv),
        (
            "sample-mixed-categories",
            sample_mixed_categories_invoice("F-2026-0300", d),
        ),
        (
            "sample-budget-invoice",
            sample_budget_invoice("F-2026-0400", d),
        ),
    ] {
        v.push((name.to_string(), to_xml(&doc)));
    }
    for (i, c) in common::cases::all().into_iter().enumerate() {
        v.push((format!("case-{i:02}-{}", c.code), c.xml));
    }
    v
}

/// The sandbox's registry: the three companies of fiskal-ubl's samples.
fn sandbox_context() -> CheckContext {
    let mut st = State::default();
    for (pib, mb, budget) in [
        ("190000012", "99000011", false),
        ("190000029", "99000028", false),
        ("190000037", "99000035", true),
    ] {
        st.companies.insert(
            pib.into(),
            Company {
                pib: pib.into(),
                mb: mb.into(),
                name: pib.into(),
                company_type: String::new(),
                jbkjs: budget.then(|| "10520".into()),
                budget_user: budget,
                vat_active: true,
                status: "Active".into(),
                isp: false,
                registration_date: String::new(),
            },
        );
    }
    CheckContext::of_state(&st)
}

/// `fiskal sef validate`'s verdict: `None` when accepted, else the SEF code of its answer.
fn fiskal_verdict(xml: &str) -> Option<String> {
    match fiskal_ubl::validate_xml(xml) {
        Err(e) => Some(format!("{e}")),
        Ok(f) => answering_finding(&f).map(|f| sef_code(f).to_string()),
    }
}

#[test]
fn sandbox_fiskal_and_the_official_validators_agree() {
    let Some(script) = fiskal_testkit::official_validator() else {
        return;
    };
    let corpus = corpus();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = corpus
        .iter()
        .enumerate()
        .map(|(i, (_, xml))| {
            let p = dir.path().join(format!("{i:03}.xml"));
            std::fs::write(&p, xml).unwrap();
            p
        })
        .collect();
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
    let cx = sandbox_context();
    let mut problems = Vec::new();
    let mut sef_only_seen = std::collections::BTreeSet::new();
    for ((name, xml), f) in corpus.iter().zip(&files) {
        let entry = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["file"].as_str() == f.to_str())
            .unwrap_or_else(|| panic!("{name} missing from the report"));
        let official_ok = entry["ok"].as_bool().unwrap();
        let official: Vec<&str> = entry["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["flag"] == "fatal")
            .filter_map(|x| x["id"].as_str())
            .collect();
        let sandbox = check_document(xml.as_bytes(), &cx).err().map(|r| r.code);
        let fiskal = fiskal_verdict(xml);
        match (official_ok, sandbox) {
            (false, None) => problems.push(format!(
                "{name}: the official validators refuse it ({official:?}), the sandbox accepts it"
            )),
            (true, Some(code)) if !SEF_ONLY.contains(&code) => problems.push(format!(
                "{name}: the official validators accept it, the sandbox refuses it with {code} (not a SEF-only code)"
            )),
            (true, Some(code)) => {
                sef_only_seen.insert(code);
            }
            _ => {}
        }
        if !official_ok && fiskal.is_none() {
            problems.push(format!(
                "{name}: the official validators refuse it ({official:?}), fiskal sef validate accepts it"
            ));
        }
        match (sandbox, &fiskal) {
            (Some(code), None) if !NEEDS_SEF_DATA.contains(&code) => problems.push(format!(
                "{name}: the sandbox refuses it with {code}, fiskal sef validate accepts it"
            )),
            (None, Some(f)) => problems.push(format!(
                "{name}: fiskal sef validate refuses it ({f}), the sandbox accepts it"
            )),
            _ => {}
        }
    }
    for code in SEF_ONLY {
        if !sef_only_seen.contains(code) {
            problems.push(format!(
                "{code} is listed as SEF-only, but no document shows it"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
