//! The sandbox's content checks of an uploaded document, layers 1 and 2 of `sef-api.md` §12:
//! fiskal-ubl's reader (within its limits) and fiskal's validator, the same code
//! `fiskal sef validate` runs, with SEF's reference lists (the sandbox fixtures) and what the
//! registry says about the buyer. A refused document is answered with the SEF code of its
//! answering finding ([`sef_code`]). Layer 3 (registry and state: sender, buyer registered,
//! numbers, references, the issue date against the sandbox clock) lives in the state module.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use fiskal_ubl::{
    ExemptionKey, Finding, Lang, ParseError, Root, ValidationOptions, VatCategory,
    read_with_findings, validate_with,
};
use rust_decimal::Decimal;

use super::codes::{DOCUMENT_NOT_VALID, answering_finding, field_name, sef_code};
use super::fixtures;
use super::state::State;
use crate::model::DocumentType;

/// A refusal: SEF error code, message, field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// SEF `ErrorCode`.
    pub code: &'static str,
    /// Message (English).
    pub message: String,
    /// Field path, when known.
    pub field: Option<String>,
}

pub(crate) fn refuse(
    code: &'static str,
    message: impl Into<String>,
    field: Option<&str>,
) -> Refusal {
    Refusal {
        code,
        message: message.into(),
        field: field.map(str::to_string),
    }
}

impl Refusal {
    /// SEF's answer to a document refused for `finding`.
    pub fn of_finding(finding: &Finding) -> Refusal {
        Refusal {
            code: sef_code(finding),
            message: finding.message_en.clone(),
            field: field_name(&finding.path),
        }
    }

    /// SEF's answer to a body that is not a UBL document at all.
    pub fn of_parse_error(e: &ParseError) -> Refusal {
        match e {
            ParseError::NotUbl { name, .. } => refuse(
                "UBLUnsupportedDocumentType",
                format!("The root element {name} is neither a UBL 2.1 Invoice nor a CreditNote."),
                None,
            ),
            ParseError::Limit { limit, .. } => refuse(
                "XmlInvalid",
                format!("The document was refused: {limit}."),
                None,
            ),
            other => {
                let m = other.message(Lang::En);
                let mut c = m.chars();
                let first = c.next().map(|f| f.to_uppercase().collect::<String>());
                refuse(
                    "XmlInvalid",
                    format!("{}{}.", first.unwrap_or_default(), c.as_str()),
                    None,
                )
            }
        }
    }
}

/// What the sandbox keeps from a document that passed layers 1 and 2.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedDocument {
    /// `cbc:ID`.
    pub number: String,
    /// `380`, `381`, `383` or `386`.
    pub type_code: String,
    /// Overview document type.
    pub doc_type: DocumentType,
    /// `cbc:IssueDate`.
    pub issue_date: NaiveDate,
    /// Supplier PIB (EndpointID).
    pub supplier_pib: String,
    /// Buyer PIB (EndpointID).
    pub buyer_pib: String,
    /// Delivery / reduction date.
    pub delivery_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Document currency.
    pub currency: String,
    /// Payable amount.
    pub payable: Option<Decimal>,
    /// Tax-exclusive amount.
    pub tax_exclusive: Option<Decimal>,
    /// Total VAT.
    pub tax_total: Option<Decimal>,
    /// Referenced invoice numbers (BillingReference).
    pub billing_refs: Vec<String>,
    /// Supplier name.
    pub supplier_name: Option<String>,
}

/// What the content checks take from the sandbox: its switches and its registry.
#[derive(Debug, Clone, Default)]
pub struct CheckContext {
    /// Layer 1 beyond well-formedness: the reader's schema findings refuse the document.
    pub schema: bool,
    /// Layer 2: fiskal's validator.
    pub rules: bool,
    /// BT-8 values accepted on a 381 (`sandboxSettings.creditNoteDescriptionCodes`).
    pub credit_note_codes: Vec<String>,
    /// Active companies by PIB, `true` for budget users; `None` when layer 3 is switched off
    /// (the validator then does not know whether the buyer is a budget user).
    pub registry: Option<HashMap<String, bool>>,
}

impl CheckContext {
    /// What the content checks take from a sandbox state: its switches and, with layer 3 on,
    /// the registry (so that the validator knows whether the buyer is a budget user).
    pub fn of_state(st: &State) -> CheckContext {
        let s = &st.settings;
        CheckContext {
            schema: s.validate_xml,
            rules: s.validate_rules,
            credit_note_codes: s.credit_note_description_codes.clone(),
            registry: s.validate_registry.then(|| {
                st.companies
                    .values()
                    .filter(|c| c.is_active())
                    .map(|c| (c.pib.clone(), c.budget_user))
                    .collect()
            }),
        }
    }
}

/// SEF's unit codes (the sandbox list).
fn unit_codes() -> &'static HashSet<String> {
    static UNITS: OnceLock<HashSet<String>> = OnceLock::new();
    UNITS.get_or_init(|| {
        fixtures::unit_measures()
            .into_iter()
            .map(|u| u.code)
            .collect()
    })
}

/// SEF's exemption keys (the sandbox list).
fn exemption_keys() -> &'static HashMap<String, ExemptionKey> {
    static KEYS: OnceLock<HashMap<String, ExemptionKey>> = OnceLock::new();
    let day = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok())
    };
    KEYS.get_or_init(|| {
        fixtures::vat_exemption_reasons()
            .into_iter()
            .map(|r| {
                let key = ExemptionKey {
                    category: VatCategory::parse(r.category.as_deref().unwrap_or("")),
                    active_from: day(&r.active_from),
                    active_to: day(&r.active_to),
                };
                (r.key, key)
            })
            .collect()
    })
}

/// The validator's options for a document to the buyer with PIB `buyer`.
fn options(cx: &CheckContext, buyer: Option<&str>) -> ValidationOptions {
    ValidationOptions {
        // A 381 may omit BT-8 on the sandbox (`ubl-profile.md` §5.3); the codes it accepts
        // beyond 3 / 35 / 432 are the sandbox's setting, applied by `credit_note_code`.
        credit_note_vat_point_code: None,
        unit_codes: Some(unit_codes().clone()),
        exemption_keys: Some(exemption_keys().clone()),
        buyer_is_budget_user: cx
            .registry
            .as_ref()
            .zip(buyer)
            .and_then(|(r, pib)| r.get(pib.trim()).copied()),
    }
}

/// The sandbox's own setting for BT-8 on a 381: the validator's RSR-06 finding is dropped for a
/// code the setting accepts; a code the setting does not list is refused.
fn credit_note_code(
    doc: &fiskal_ubl::Document,
    cx: &CheckContext,
    findings: &mut Vec<Finding>,
) -> Option<Refusal> {
    if doc.root != Root::CreditNote {
        return None;
    }
    let code = doc.vat_point_date_code().map(str::trim)?;
    let accepted = cx.credit_note_codes.iter().any(|c| c == code);
    if accepted {
        findings.retain(|f| f.rule_id != "RSR-06");
        return None;
    }
    Some(refuse(
        "InvoicePeriodDescriptionCodeNotProperlyDefined",
        format!("The VAT point date code {code} is not allowed on a credit note."),
        Some("InvoicePeriod.DescriptionCode"),
    ))
}

/// Layers 1 and 2: the document read and judged, or SEF's refusal.
pub fn check_document(xml: &[u8], cx: &CheckContext) -> Result<ParsedDocument, Refusal> {
    let text = std::str::from_utf8(xml)
        .map_err(|_| refuse("XmlInvalid", "The document is not UTF-8.", None))?;
    let (doc, mut findings) = read_with_findings(text).map_err(|e| Refusal::of_parse_error(&e))?;
    if !cx.schema {
        findings.retain(|f| f.sef_code != Some(DOCUMENT_NOT_VALID));
    }
    let mut setting = None;
    if cx.rules {
        let buyer = doc.customer.as_ref().and_then(|c| c.endpoint_id.as_deref());
        findings.extend(validate_with(&doc, &options(cx, buyer)));
        setting = credit_note_code(&doc, cx, &mut findings);
    }
    if let Some(f) = findings.iter().find(|f| f.is_fatal() && f.rule_id == "XSD") {
        return Err(Refusal::of_finding(f));
    }
    if let Some(r) = setting {
        return Err(r);
    }
    if let Some(f) = answering_finding(&findings) {
        return Err(Refusal::of_finding(f));
    }
    ParsedDocument::of(&doc)
}

impl ParsedDocument {
    /// What the state keeps; with the rules switched off a document may still lack what the
    /// state needs (number, issue date, type), which is refused as not valid.
    fn of(doc: &fiskal_ubl::Document) -> Result<ParsedDocument, Refusal> {
        let missing = |what: &str, field: &str| {
            refuse(
                DOCUMENT_NOT_VALID,
                format!("The document has no valid {what}."),
                Some(field),
            )
        };
        let number = doc
            .id
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| missing("number", "ID"))?;
        let issue_date = doc
            .issue_date
            .ok_or_else(|| missing("issue date", "IssueDate"))?;
        let ty = doc
            .document_type()
            .ok_or_else(|| missing("type code", doc.root.type_code_name()))?;
        let doc_type = match ty {
            fiskal_ubl::DocumentType::Invoice => DocumentType::Invoice,
            fiskal_ubl::DocumentType::CreditNote => DocumentType::CreditNote,
            fiskal_ubl::DocumentType::DebitNote => DocumentType::DebitNote,
            fiskal_ubl::DocumentType::AdvanceInvoice => DocumentType::Prepayment,
        };
        let pib = |p: Option<&fiskal_ubl::Party>| {
            p.and_then(|p| p.endpoint_id.as_deref())
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let totals = doc.monetary_total.as_ref();
        Ok(ParsedDocument {
            number: number.to_string(),
            type_code: ty.code().to_string(),
            doc_type,
            issue_date,
            supplier_pib: pib(doc.supplier.as_ref()),
            buyer_pib: pib(doc.customer.as_ref()),
            delivery_date: doc.delivery_date(),
            due_date: doc.effective_due_date(),
            currency: doc.currency.as_deref().map_or("RSD", str::trim).to_string(),
            payable: totals.and_then(|t| t.payable),
            tax_exclusive: totals.and_then(|t| t.tax_exclusive),
            tax_total: doc.main_tax_total().and_then(|t| t.tax_amount),
            billing_refs: doc
                .billing_references
                .iter()
                .filter_map(|b| b.id.as_deref().map(str::trim))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            supplier_name: doc.supplier.as_ref().and_then(|s| s.name.clone()),
        })
    }
}
