//! fiskal's own validator: EN 16931, Serbian (RSR/RSE/RSK) and SEF rules of `ubl-profile.md` §14,
//! native in Rust, with the adjustments listed there.
//!
//! Every finding carries the official rule id when one exists (`BR-…`, `BR-CO-…`, `BR-DEC-…`,
//! `RSR-…`, `RSE-…`, `RSK-…`), `XSD` for schema violations found by the reader, and an `FSK-…`
//! id for SEF rules that no Schematron contains; where SEF has an error code for the situation it
//! is given in [`Finding::sef_code`] (the SEF sandbox answers with it).
//!
//! Rules about the moment of sending (issue date = today, `IssueDateCannotBeDifferentFromTodays`)
//! and about SEF's registries (buyer registered, numbers unique, advances exist) are not checked
//! here: they belong to the sending code (`moje-fakture.md` §8.3) and the sandbox. What is
//! deliberately *not* checked, per §14: RSR-10/RSR-12 (`RS-VAT-STATUS`), BR-CL-17/18/22,
//! UBL-CR-001, BR-Z-10, BR-O-02…04; RSR-05 and RSR-06 follow SEF 3.14 (§5.3); BR-O-11…14 are
//! warnings.

mod breakdown;
mod categories;
mod dates;
mod extension;
mod header;
mod lines;
mod parties;
mod payment;
mod references;
mod totals;

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use crate::finding::{Finding, Severity, has_fatal};
use crate::model::{Document, VatCategory};
use crate::reader::{ParseError, read_with_findings};

/// One VAT exemption key from SEF's list (`getValueAddedTaxExemptionReasonList`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExemptionKey {
    /// Category the key belongs to.
    pub category: VatCategory,
    /// First day the key may be used.
    pub active_from: Option<NaiveDate>,
    /// Last day the key may be used.
    pub active_to: Option<NaiveDate>,
}

/// Settings and fetched lists the validator may use. `Default` = the profile's defaults, no lists.
#[derive(Debug, Clone)]
pub struct ValidationOptions {
    /// BT-8 value this deployment writes on credit notes (`ubl-profile.md` §5.3): `Some("3")`
    /// (default), `Some("0")`, `Some("35")`, or `None` (omitted). The configured value is accepted
    /// in addition to 3 / 35 / 432, and `None` lets a 381 with `S` lines omit BT-8.
    pub credit_note_vat_point_code: Option<String>,
    /// SEF's unit codes (`get-unit-measures`); `None` = not checked.
    pub unit_codes: Option<std::collections::HashSet<String>>,
    /// SEF's exemption keys by key; `None` = only the key families of §7 are checked (warnings).
    pub exemption_keys: Option<HashMap<String, ExemptionKey>>,
    /// What SEF's registry says about the buyer: `Some(true)` budget user (JBKJS required),
    /// `Some(false)` not a budget user (JBKJS forbidden), `None` unknown.
    pub buyer_is_budget_user: Option<bool>,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            credit_note_vat_point_code: Some("3".to_string()),
            unit_codes: None,
            exemption_keys: None,
            buyer_is_budget_user: None,
        }
    }
}

/// Validates a document with the default options.
pub fn validate(doc: &Document) -> Vec<Finding> {
    validate_with(doc, &ValidationOptions::default())
}

/// Validates a document.
pub fn validate_with(doc: &Document, opts: &ValidationOptions) -> Vec<Finding> {
    let mut v = V {
        doc,
        opts,
        r: doc.root.name(),
        f: Vec::new(),
    };
    v.run();
    v.f
}

/// Reads and validates XML: structural findings of the reader first, then the model rules.
/// Not well-formed XML or a root that is not UBL `Invoice`/`CreditNote` is a [`ParseError`].
pub fn validate_xml(xml: &str) -> Result<Vec<Finding>, ParseError> {
    validate_xml_with(xml, &ValidationOptions::default())
}

/// [`validate_xml`] with options.
pub fn validate_xml_with(xml: &str, opts: &ValidationOptions) -> Result<Vec<Finding>, ParseError> {
    let (doc, mut findings) = read_with_findings(xml)?;
    findings.extend(validate_with(&doc, opts));
    Ok(findings)
}

fn dp(d: Decimal) -> u32 {
    d.scale()
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|s| s.trim().is_empty())
}

fn fmt_opt(d: Option<Decimal>) -> String {
    d.map_or_else(|| "—".to_string(), |d| d.to_string())
}

struct V<'a> {
    doc: &'a Document,
    opts: &'a ValidationOptions,
    r: &'static str,
    f: Vec<Finding>,
}

impl<'a> V<'a> {
    fn push(
        &mut self,
        severity: Severity,
        rule_id: &'static str,
        path: String,
        sr: String,
        en: String,
        sef_code: Option<&'static str>,
    ) {
        self.f.push(Finding {
            rule_id,
            path,
            severity,
            message_sr: sr,
            message_en: en,
            sef_code,
            line: None,
        });
    }
    fn fatal(&mut self, rule: &'static str, path: String, sr: String, en: String) {
        self.push(Severity::Fatal, rule, path, sr, en, None);
    }
    fn fatal_sef(
        &mut self,
        rule: &'static str,
        sef: &'static str,
        path: String,
        sr: String,
        en: String,
    ) {
        self.push(Severity::Fatal, rule, path, sr, en, Some(sef));
    }
    fn warn(&mut self, rule: &'static str, path: String, sr: String, en: String) {
        self.push(Severity::Warning, rule, path, sr, en, None);
    }
    fn p(&self, rest: &str) -> String {
        format!("/{}/{rest}", self.r)
    }
    fn root_path(&self) -> String {
        format!("/{}", self.r)
    }

    fn run(&mut self) {
        self.header();
        self.dates();
        self.references();
        let s = self.doc.supplier.as_ref();
        let c = self.doc.customer.as_ref();
        self.seller(s);
        self.buyer(c);
        self.other_parties();
        self.payment();
        let groups = self.lines_and_allowances();
        self.breakdown(&groups);
        self.totals();
        self.extension();
    }
}
