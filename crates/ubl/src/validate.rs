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

use std::collections::HashMap;

use chrono::NaiveDate;
use fiskal_domain::money::round2;
use rust_decimal::Decimal;

use crate::ids;
use crate::model::*;
use crate::reader::{ParseError, read_with_findings};
use crate::{CUSTOMIZATION_ID, CUSTOMIZATION_ID_EXT, Lang};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The document must not be sent.
    Fatal,
    /// Worth a look; does not stop sending.
    Warning,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Rule id: `BR-CO-15`, `BR-S-08`, `RSR-26`, `XSD`, `FSK-DELIVERY-DATE`, …
    pub rule_id: &'static str,
    /// XPath-like path of the offending element, e.g. `/Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount`.
    pub path: String,
    /// Fatal or warning.
    pub severity: Severity,
    /// The sentence for a bookkeeper, Serbian (Latin script).
    pub message_sr: String,
    /// The same sentence in English.
    pub message_en: String,
    /// SEF's `ErrorCode` for the same situation, when SEF has one.
    pub sef_code: Option<&'static str>,
    /// Line in the XML source, when the finding comes from reading XML.
    pub line: Option<u32>,
}

impl Finding {
    /// The message in the chosen language (Cyrillic: the Serbian text transliterated, its codes
    /// and quoted values kept).
    pub fn message(&self, lang: Lang) -> std::borrow::Cow<'_, str> {
        crate::cyrillic::text(lang, &self.message_sr, &self.message_en)
    }
    /// Whether the finding stops sending.
    pub fn is_fatal(&self) -> bool {
        self.severity == Severity::Fatal
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Fatal => "greška",
            Severity::Warning => "upozorenje",
        };
        write!(
            f,
            "[{}] {sev}: {} ({})",
            self.rule_id, self.message_sr, self.path
        )
    }
}

/// Whether any finding is fatal.
pub fn has_fatal(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_fatal)
}

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

/// Key of a VAT group: category and, for `S`, the normalised rate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupKey {
    cat: VatCategory,
    rate: Option<Decimal>,
}

impl GroupKey {
    fn of(tc: &TaxCategory) -> Option<GroupKey> {
        let cat = tc.id.clone()?;
        let rate = if cat == VatCategory::S {
            tc.percent.map(|p| p.normalize())
        } else {
            None
        };
        Some(GroupKey { cat, rate })
    }
    fn label(&self) -> String {
        match self.rate {
            Some(r) => format!("{} {}%", self.cat, r),
            None => self.cat.to_string(),
        }
    }
}

#[derive(Debug, Default)]
struct Sums {
    lines: Decimal,
    allowances: Decimal,
    charges: Decimal,
    used: bool,
}

struct V<'a> {
    doc: &'a Document,
    opts: &'a ValidationOptions,
    r: &'static str,
    f: Vec<Finding>,
}

const SR_RULE_RATES: &str = "20 ili 10";

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
        self.dates_and_references();
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

    // ------------------------------------------------------------------ header

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    fn header(&mut self) {
        let d = self.doc;
        match d.customization_id.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                "BR-01",
                self.p("cbc:CustomizationID"),
                "Nedostaje identifikator specifikacije (CustomizationID).".into(),
                "The specification identifier (CustomizationID, BT-24) is missing.".into(),
            ),
            Some(v) => {
                if !v.starts_with(CUSTOMIZATION_ID) {
                    self.fatal(
                        "RSR-01",
                        self.p("cbc:CustomizationID"),
                        format!(
                            "Identifikator specifikacije mora da počinje sa '{CUSTOMIZATION_ID}', a glasi '{v}'."
                        ),
                        format!(
                            "The specification identifier must start with '{CUSTOMIZATION_ID}'; it is '{v}'."
                        ),
                    );
                } else if d.extension.is_some() && v != CUSTOMIZATION_ID_EXT {
                    self.fatal(
                        "RSR-02",
                        self.p("cbc:CustomizationID"),
                        format!(
                            "Faktura sa srpskom ekstenzijom (avansi) mora imati identifikator specifikacije '{CUSTOMIZATION_ID_EXT}'."
                        ),
                        format!(
                            "A document with the Serbian extension (advances) must have the specification identifier '{CUSTOMIZATION_ID_EXT}'."
                        ),
                    );
                } else if d.extension.is_none() && v != CUSTOMIZATION_ID {
                    self.warn(
                        "FSK-CUSTOMIZATION",
                        self.p("cbc:CustomizationID"),
                        format!(
                            "Dokument bez srpske ekstenzije treba da ima identifikator specifikacije '{CUSTOMIZATION_ID}'."
                        ),
                        format!(
                            "A document without the Serbian extension should have the specification identifier '{CUSTOMIZATION_ID}'."
                        ),
                    );
                }
            }
        }
        match d.id.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                "BR-02",
                self.p("cbc:ID"),
                "Nedostaje broj fakture.".into(),
                "The invoice number (BT-1) is missing.".into(),
            ),
            Some(n) if !ids::invoice_number_valid(n) => self.fatal_sef(
                "FSK-NUMBER",
                if n.len() > 50 {
                    "InvoiceNumberTooLong"
                } else {
                    "UBLInvoiceNumberContainsInvalidCharacters"
                },
                self.p("cbc:ID"),
                format!(
                    "Broj fakture '{n}' sme da sadrži samo slova A-Z, a-z, cifre i znakove - / _ . i najviše 50 znakova."
                ),
                format!(
                    "The invoice number '{n}' may contain only A-Z, a-z, digits and - / _ . and at most 50 characters."
                ),
            ),
            _ => {}
        }
        if d.issue_date.is_none() {
            self.fatal(
                "BR-03",
                self.p("cbc:IssueDate"),
                "Nedostaje datum izdavanja fakture.".into(),
                "The invoice issue date (BT-2) is missing.".into(),
            );
        }
        let tc_name = format!("cbc:{}", d.root.type_code_name());
        match d.type_code.as_deref().map(str::trim) {
            None | Some("") => self.fatal_sef(
                "BR-04",
                "InvoiceTypeCodeMissing",
                self.p(&tc_name),
                "Nedostaje šifra vrste dokumenta (380, 381, 383 ili 386).".into(),
                "The document type code (BT-3) is missing.".into(),
            ),
            Some(c) if d.document_type().is_none() => self.fatal_sef(
                "RSR-03",
                "UBLUnsupportedDocumentType",
                self.p(&tc_name),
                format!(
                    "Šifra vrste dokumenta '{c}' nije dozvoljena: Invoice može biti 380, 383 ili 386, a CreditNote 381."
                ),
                format!(
                    "Document type code '{c}' is not allowed: an Invoice may be 380, 383 or 386, a CreditNote 381."
                ),
            ),
            _ => {}
        }
        match d.currency.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                "BR-05",
                self.p("cbc:DocumentCurrencyCode"),
                "Nedostaje valuta dokumenta.".into(),
                "The invoice currency code (BT-5) is missing.".into(),
            ),
            Some(c) if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) => self.fatal(
                "BR-CL-04",
                self.p("cbc:DocumentCurrencyCode"),
                format!("Valuta '{c}' nije ISO 4217 šifra od tri velika slova."),
                format!("Currency '{c}' is not an ISO 4217 alpha-3 code."),
            ),
            Some("RSD") => {}
            Some(c) => self.warn(
                "FSK-CURRENCY",
                self.p("cbc:DocumentCurrencyCode"),
                format!(
                    "Dokument je u valuti {c}; fiskal za sada izdaje samo dokumente u dinarima (RSD) i ne proverava drugi TaxTotal u dinarima."
                ),
                format!(
                    "The document is in {c}; fiskal issues only RSD documents for now and does not check the second TaxTotal in RSD."
                ),
            ),
        }
        if d.tax_point_date.is_some() {
            self.fatal(
                "RSR-04",
                self.p("cbc:TaxPointDate"),
                "Dokument ne sme da sadrži datum poreske obaveze (TaxPointDate); koristi se šifra datuma poreske obaveze (3, 35 ili 432).".into(),
                "The document must not contain a tax point date (BT-7); use the VAT point date code (BT-8) instead.".into(),
            );
        }
        if d.tax_point_date.is_some() && d.vat_point_date_code().is_some() {
            self.fatal(
                "BR-CO-03",
                self.p("cbc:TaxPointDate"),
                "Datum poreske obaveze i šifra datuma poreske obaveze ne smeju se navesti zajedno.".into(),
                "The tax point date (BT-7) and the VAT point date code (BT-8) are mutually exclusive.".into(),
            );
        }
        for (i, n) in d.notes.iter().enumerate() {
            if n.chars().count() > 1000 {
                self.fatal_sef(
                    "FSK-NOTE-LENGTH",
                    "UBLMaxNoteLengthExceeded",
                    self.p(&format!("cbc:Note[{}]", i + 1)),
                    "Napomena je duža od 1000 znakova; skratite je ili podelite u više napomena.".into(),
                    "The note is longer than 1000 characters; shorten it or split it into several notes.".into(),
                );
            }
        }
    }

    // ------------------------------------------------------- dates, BT-8, references

    fn has_category(&self, cat: &VatCategory) -> bool {
        self.doc.lines.iter().any(|l| {
            l.item
                .tax_category
                .as_ref()
                .is_some_and(|t| t.id.as_ref() == Some(cat))
        }) || self.doc.allowance_charges.iter().any(|a| {
            a.tax_category
                .as_ref()
                .is_some_and(|t| t.id.as_ref() == Some(cat))
        })
    }

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    fn dates_and_references(&mut self) {
        let d = self.doc;
        let dt = d.document_type();
        let issue = d.issue_date;
        let has_s = self.has_category(&VatCategory::S);
        let code = d.vat_point_date_code().map(str::trim);
        let code_path = || {
            let i = d
                .invoice_periods
                .iter()
                .position(|p| p.description_code.is_some())
                .unwrap_or(0);
            format!(
                "/{}/cac:InvoicePeriod[{}]/cbc:DescriptionCode",
                d.root.name(),
                i + 1
            )
        };
        let credit = dt == Some(DocumentType::CreditNote);
        let cn_omit = credit && self.opts.credit_note_vat_point_code.is_none();
        match code {
            None if has_s && !cn_omit => self.fatal_sef(
                "RSR-05",
                "InvoicePeriodDescriptionCodeNotDefined",
                self.p("cac:InvoicePeriod/cbc:DescriptionCode"),
                "Dokument ima stavke sa PDV kategorijom S, pa mora imati šifru datuma poreske obaveze (35 = datum prometa, 3 = datum izdavanja, 432 = datum plaćanja).".into(),
                "The document has items in VAT category S, so it must carry the VAT point date code (BT-8: 35, 3 or 432).".into(),
            ),
            Some(c) if !has_s => self.fatal_sef(
                "FSK-BT8-NOT-NEEDED",
                "InvoicePeriodDescriptionCodeNotNeeded",
                code_path(),
                format!(
                    "Dokument nema nijednu stavku sa PDV kategorijom S, pa šifra datuma poreske obaveze ('{c}') mora da se izostavi."
                ),
                format!(
                    "The document has no item in VAT category S, so the VAT point date code ('{c}') must be omitted."
                ),
            ),
            Some(c) => {
                let extra = if credit {
                    self.opts.credit_note_vat_point_code.as_deref()
                } else {
                    None
                };
                if !matches!(c, "3" | "35" | "432") && Some(c) != extra {
                    self.fatal_sef(
                        "RSR-06",
                        "InvoicePeriodDescriptionCodeNotProperlyDefined",
                        code_path(),
                        format!(
                            "Šifra datuma poreske obaveze '{c}' nije dozvoljena; dozvoljene su 35 (datum prometa), 3 (datum izdavanja) i 432 (datum plaćanja)."
                        ),
                        format!(
                            "VAT point date code '{c}' is not allowed; use 35 (date of supply), 3 (issue date) or 432 (payment date)."
                        ),
                    );
                }
                if c == "432" && d.effective_due_date().is_none() {
                    self.fatal_sef(
                        "RSR-08",
                        "UBLDueDateIsMissing",
                        self.p(if d.root == Root::Invoice {
                            "cbc:DueDate"
                        } else {
                            "cac:PaymentMeans/cbc:PaymentDueDate"
                        }),
                        "Kada poreska obaveza nastaje danom plaćanja (šifra 432), mora se navesti datum dospeća plaćanja.".into(),
                        "With VAT point date code 432 (payment date) the payment due date (BT-9) is mandatory.".into(),
                    );
                }
                if c == "35" && d.delivery_date().is_none() {
                    self.fatal_sef(
                        "RSR-33",
                        "InvoiceDeliveryDateMissing",
                        self.p("cac:Delivery/cbc:ActualDeliveryDate"),
                        "Kada poreska obaveza nastaje danom prometa (šifra 35), mora se navesti datum prometa.".into(),
                        "With VAT point date code 35 (date of supply) the actual delivery date (BT-72) is mandatory.".into(),
                    );
                }
            }
            None => {}
        }
        // Periods (BR-29, BR-CO-19).
        for (i, per) in d.invoice_periods.iter().enumerate() {
            if let (Some(s), Some(e)) = (per.start, per.end)
                && e < s
            {
                self.fatal(
                    "BR-29",
                    self.p(&format!("cac:InvoicePeriod[{}]/cbc:EndDate", i + 1)),
                    "Kraj obračunskog perioda je pre njegovog početka.".into(),
                    "The invoicing period end date is before its start date.".into(),
                );
            }
            if per.start.is_none() && per.end.is_none() && per.description_code.is_none() {
                self.fatal(
                    "BR-CO-19",
                    self.p(&format!("cac:InvoicePeriod[{}]", i + 1)),
                    "Obračunski period je naveden bez početka, kraja i šifre datuma poreske obaveze.".into(),
                    "The invoicing period has neither start date, end date nor VAT point date code.".into(),
                );
            }
        }
        // Delivery date per type (§5.4).
        let delivery = d.delivery_date();
        let del_path = self.p("cac:Delivery/cbc:ActualDeliveryDate");
        match dt {
            Some(DocumentType::Invoice) if delivery.is_none() && code != Some("35") => self
                .fatal_sef(
                    "FSK-DELIVERY-DATE",
                    "InvoiceDeliveryDateMissing",
                    del_path.clone(),
                    "Faktura mora imati datum prometa (datum isporuke dobara ili pružanja usluge).".into(),
                    "An invoice (380) must carry the date of supply (actual delivery date, BT-72).".into(),
                ),
            Some(DocumentType::CreditNote) if delivery.is_none() => self.fatal_sef(
                "FSK-DELIVERY-DATE",
                "CreditNoteReductionDateMissing",
                del_path.clone(),
                "Dokument o smanjenju mora imati datum smanjenja (u elementu Delivery/ActualDeliveryDate).".into(),
                "A credit note (381) must carry the reduction date (Delivery/ActualDeliveryDate).".into(),
            ),
            Some(DocumentType::AdvanceInvoice) if !d.deliveries.is_empty() => self.warn(
                "FSK-DELIVERY-ADVANCE",
                self.p("cac:Delivery"),
                "Avansna faktura ne treba da ima datum prometa; promet još nije izvršen.".into(),
                "An advance invoice (386) should not carry a delivery date; the supply has not happened yet.".into(),
            ),
            _ => {}
        }
        if let (Some(del), Some(iss)) = (delivery, issue)
            && del > iss
            && dt != Some(DocumentType::AdvanceInvoice)
        {
            let (sef, sr, en) = match dt {
                Some(DocumentType::CreditNote) => (
                    "UBLReductionDateMustNotBeLatterThanIssueDate",
                    "Datum smanjenja ne sme biti posle datuma izdavanja dokumenta.",
                    "The reduction date must not be after the issue date.",
                ),
                Some(DocumentType::DebitNote) => (
                    "UBLIncreaseDateMustNotBeLatterThanIssueDate",
                    "Datum povećanja ne sme biti posle datuma izdavanja dokumenta.",
                    "The increase date must not be after the issue date.",
                ),
                _ => (
                    "UBLDeliveryDateMustNotBeLatterThanIssueDate",
                    "Datum prometa ne sme biti posle datuma izdavanja fakture.",
                    "The delivery date must not be after the issue date.",
                ),
            };
            self.fatal_sef(
                "FSK-DELIVERY-AFTER-ISSUE",
                sef,
                del_path,
                format!("{sr} ({del} > {iss})"),
                format!("{en} ({del} > {iss})"),
            );
        }
        // Due date (§5.2, §11.1).
        if let (Some(due), Some(iss)) = (d.effective_due_date(), issue) {
            if dt == Some(DocumentType::AdvanceInvoice) {
                if due > iss {
                    self.fatal_sef(
                        "FSK-ADVANCE-PAYMENT-DATE",
                        "UBLPrepaymentDateMustNotBeLatterThanIssueDate",
                        self.p("cbc:DueDate"),
                        format!(
                            "Kod avansne fakture datum dospeća je datum prijema avansa i ne sme biti posle datuma izdavanja ({due} > {iss})."
                        ),
                        format!(
                            "On an advance invoice the due date is the date the advance was received and must not be after the issue date ({due} > {iss})."
                        ),
                    );
                }
            } else if (due - iss).num_days() > 90 {
                self.fatal_sef(
                    "FSK-DUE-DATE-90",
                    "PaymentDateMoreThan90DaysInFuture",
                    self.p(if d.root == Root::Invoice {
                        "cbc:DueDate"
                    } else {
                        "cac:PaymentMeans/cbc:PaymentDueDate"
                    }),
                    format!(
                        "Rok plaćanja ne sme biti duži od 90 dana od datuma izdavanja (dospeće {due})."
                    ),
                    format!(
                        "The payment due date must be at most 90 days after the issue date (due {due})."
                    ),
                );
            }
        }
        // Billing references (RSR-07, BR-55, §10).
        for (i, b) in d.billing_references.iter().enumerate() {
            let bp = format!(
                "/{}/cac:BillingReference[{}]/cac:InvoiceDocumentReference",
                self.r,
                i + 1
            );
            if blank(&b.id) {
                self.fatal(
                    "BR-55",
                    format!("{bp}/cbc:ID"),
                    "Referenca na prethodnu fakturu nema broj te fakture.".into(),
                    "The preceding invoice reference (BG-3) has no invoice number (BT-25).".into(),
                );
            }
            if b.issue_date.is_none() {
                self.fatal(
                    "RSR-07",
                    format!("{bp}/cbc:IssueDate"),
                    "Referenca na prethodnu fakturu mora sadržati i datum izdavanja te fakture.".into(),
                    "The preceding invoice reference must contain that invoice's issue date (BT-26).".into(),
                );
            }
            if let Some(c) = b.document_type_code.as_deref()
                && !matches!(c.trim(), "380" | "386")
            {
                self.fatal(
                    "FSK-REFERENCE-TYPE",
                    format!("{bp}/cbc:DocumentTypeCode"),
                    format!("Vrsta referencirane fakture '{c}' nije dozvoljena; dozvoljeno je 380 ili 386."),
                    format!("Referenced document type '{c}' is not allowed; use 380 or 386."),
                );
            }
        }
        let has_period = d
            .invoice_periods
            .iter()
            .any(|p| p.start.is_some() || p.end.is_some());
        let has_refs = !d.billing_references.is_empty();
        match dt {
            Some(DocumentType::CreditNote | DocumentType::DebitNote) => {
                if !has_refs && !has_period {
                    let (sef, sr, en) = if credit {
                        (
                            "CreditInvoiceMustHaveSource",
                            "Dokument o smanjenju mora navesti fakturu (broj i datum) koju umanjuje, ili period na koji se odnosi.",
                            "A credit note must reference the invoice(s) it reduces (number and date), or a period.",
                        )
                    } else {
                        (
                            "DebitInvoiceMustHaveSource",
                            "Dokument o povećanju mora navesti fakturu (broj i datum) koju povećava, ili period na koji se odnosi.",
                            "A debit note must reference the invoice(s) it increases (number and date), or a period.",
                        )
                    };
                    self.fatal_sef(
                        "FSK-NOTE-SOURCE",
                        sef,
                        self.p("cac:BillingReference"),
                        sr.into(),
                        en.into(),
                    );
                }
                if has_refs && has_period {
                    self.fatal_sef(
                        "FSK-NOTE-SOURCE-BOTH",
                        "UBLCannotBeDefinedInvoiceDocumentReferenceIDWithInvoicePeriodStartDateAndInvoicePeriodEndDateParameters",
                        self.p("cac:InvoicePeriod"),
                        "Dokument ne može istovremeno da navodi fakture i period (početak i kraj); izaberite jedno.".into(),
                        "The document cannot reference invoices and a period (start and end) at the same time; choose one.".into(),
                    );
                }
            }
            Some(DocumentType::AdvanceInvoice) if has_refs => self.warn(
                "FSK-ADVANCE-REFERENCE",
                self.p("cac:BillingReference"),
                "Avansna faktura obično ne navodi druge fakture.".into(),
                "An advance invoice normally references no other invoice.".into(),
            ),
            _ => {}
        }
        // Attachments (BR-52 and fiskal's limits).
        let n_att = d.additional_documents.len();
        if n_att > 3 {
            self.fatal_sef(
                "FSK-ATTACHMENTS",
                "TooManyAttachments",
                self.p("cac:AdditionalDocumentReference[4]"),
                format!("Dokument ima {n_att} priloga; dozvoljena su najviše 3."),
                format!("The document has {n_att} attachments; at most 3 are allowed."),
            );
        }
        for (i, a) in d.additional_documents.iter().enumerate() {
            let ap = self.p(&format!("cac:AdditionalDocumentReference[{}]", i + 1));
            if blank(&a.id) {
                self.fatal(
                    "BR-52",
                    format!("{ap}/cbc:ID"),
                    "Prilog nema oznaku (ID).".into(),
                    "The supporting document (BG-24) has no reference (BT-122).".into(),
                );
            }
            if a.content_base64.is_some() {
                if a.mime_code.as_deref() != Some("application/pdf") {
                    self.fatal(
                        "FSK-ATTACHMENT-TYPE",
                        format!("{ap}/cac:Attachment/cbc:EmbeddedDocumentBinaryObject"),
                        "Prilog mora biti PDF dokument (mimeCode application/pdf).".into(),
                        "An attachment must be a PDF (mimeCode application/pdf).".into(),
                    );
                }
                let name_ok = a.filename.as_deref().is_some_and(|f| {
                    !f.is_empty()
                        && f.bytes()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
                });
                if !name_ok {
                    self.fatal(
                        "FSK-ATTACHMENT-NAME",
                        format!("{ap}/cac:Attachment/cbc:EmbeddedDocumentBinaryObject/@filename"),
                        "Ime priloga sme da sadrži samo slova bez kvačica, cifre i znakove . _ -"
                            .into(),
                        "The attachment file name may contain only A-Z, a-z, 0-9 and . _ -".into(),
                    );
                }
                let len = a.content_base64.as_deref().map_or(0, str::len);
                if len / 4 * 3 > 5 * 1024 * 1024 {
                    self.fatal_sef(
                        "FSK-ATTACHMENT-SIZE",
                        "FileTooBig",
                        format!("{ap}/cac:Attachment/cbc:EmbeddedDocumentBinaryObject"),
                        "Prilog je veći od 5 MB.".into(),
                        "The attachment is larger than 5 MB.".into(),
                    );
                }
            }
        }
    }

    // ------------------------------------------------------------------ parties

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    fn party_common(&mut self, party: &Party, base: &str, seller: bool) {
        let who_sr = if seller { "prodavca" } else { "kupca" };
        let who_en = if seller { "seller" } else { "buyer" };
        // Name.
        if blank(&party.name) {
            self.fatal(
                "FSK-PARTY-NAME",
                format!("{base}/cac:PartyName/cbc:Name"),
                format!("Nedostaje naziv {who_sr} (PartyName)."),
                format!("The {who_en}'s trading name (PartyName) is missing."),
            );
        }
        if party
            .registration_name()
            .is_none_or(|s| s.trim().is_empty())
        {
            self.fatal(
                if seller { "BR-06" } else { "BR-07" },
                format!("{base}/cac:PartyLegalEntity/cbc:RegistrationName"),
                format!("Nedostaje poslovno ime {who_sr} (PartyLegalEntity/RegistrationName)."),
                format!("The {who_en} name (PartyLegalEntity/RegistrationName) is missing."),
            );
        }
        // Address.
        match &party.address {
            None => self.fatal(
                if seller { "BR-08" } else { "BR-10" },
                format!("{base}/cac:PostalAddress"),
                format!("Nedostaje adresa {who_sr}."),
                format!("The {who_en}'s postal address is missing."),
            ),
            Some(a) => {
                match a.country.as_deref().map(str::trim) {
                    None | Some("") => self.fatal(
                        if seller { "BR-09" } else { "BR-11" },
                        format!("{base}/cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
                        format!("U adresi {who_sr} nedostaje šifra države (npr. RS)."),
                        format!("The {who_en}'s address lacks the country code (e.g. RS)."),
                    ),
                    Some(c) if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) => self
                        .fatal(
                            "BR-CL-14",
                            format!("{base}/cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
                            format!(
                                "Šifra države '{c}' nije ISO 3166-1 šifra od dva velika slova."
                            ),
                            format!("Country code '{c}' is not an ISO 3166-1 alpha-2 code."),
                        ),
                    _ => {}
                }
                if blank(&a.city) {
                    self.fatal(
                        if seller { "RSR-16" } else { "RSR-25" },
                        format!("{base}/cac:PostalAddress/cbc:CityName"),
                        format!("Nedostaje mesto {who_sr}."),
                        format!("The {who_en}'s city is missing."),
                    );
                }
                if !seller && blank(&a.postal_zone) {
                    self.fatal(
                        "RSR-26",
                        format!("{base}/cac:PostalAddress/cbc:PostalZone"),
                        "Nedostaje poštanski broj kupca.".into(),
                        "The buyer's postal code is missing.".into(),
                    );
                }
            }
        }
        // VAT id, endpoint.
        let vat = party.vat_id().map(str::trim);
        let (r_vat_missing, r_vat_fmt, r_ep_missing, r_ep_scheme, r_ep_eq, r_scheme_present) =
            if seller {
                ("RSR-09", "RSR-11", "RSR-13", "RSR-14", "RSR-15", "BR-62")
            } else {
                ("RSR-20", "RSR-21", "RSR-22", "RSR-23", "RSR-24", "BR-63")
            };
        let vat_path = format!("{base}/cac:PartyTaxScheme/cbc:CompanyID");
        match vat {
            None | Some("") => self.fatal(
                r_vat_missing,
                vat_path,
                format!("Nedostaje PIB {who_sr} (PartyTaxScheme sa šemom VAT)."),
                format!(
                    "The {who_en}'s VAT identifier (PartyTaxScheme with scheme VAT) is missing."
                ),
            ),
            Some(v) => {
                let digits = v.get(2..).unwrap_or("");
                let prefix_ok = v.len() > 2 && v[..2].eq_ignore_ascii_case("RS");
                if !prefix_ok || !(ids::is_digits(digits, 9) || ids::is_digits(digits, 13)) {
                    let sef = if v.bytes().all(|b| b.is_ascii_digit()) {
                        "UBLPartyTaxSchemeCompanyIdWithoutPrefix"
                    } else {
                        "UBLVatRegistrationCodeDoesNotHaveGoodLength"
                    };
                    self.fatal_sef(
                        r_vat_fmt,
                        sef,
                        vat_path,
                        format!(
                            "PIB {who_sr} u poreskoj šemi mora biti oblika RS + 9 cifara (npr. RS190000012), a glasi '{v}'."
                        ),
                        format!(
                            "The {who_en}'s VAT identifier must be RS followed by 9 (or 13) digits, e.g. RS190000012; it is '{v}'."
                        ),
                    );
                } else if digits.len() == 9 && !ids::pib_check_digit_valid(digits) {
                    self.fatal(
                        "FSK-PIB-CHECKSUM",
                        vat_path,
                        format!(
                            "PIB {who_sr} {digits} nije ispravan: kontrolna cifra ne odgovara (proverite da li je PIB tačno prepisan)."
                        ),
                        format!(
                            "The {who_en}'s PIB {digits} is not valid: the check digit does not match (check that it was copied correctly)."
                        ),
                    );
                }
            }
        }
        let ep_path = format!("{base}/cbc:EndpointID");
        match party.endpoint_id.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                r_ep_missing,
                ep_path,
                format!("Nedostaje elektronska adresa {who_sr} (EndpointID = PIB, šema 9948)."),
                format!(
                    "The {who_en}'s electronic address (EndpointID = PIB, scheme 9948) is missing."
                ),
            ),
            Some(ep) => {
                match party.endpoint_scheme.as_deref().map(str::trim) {
                    None => self.fatal(
                        r_scheme_present,
                        format!("{ep_path}/@schemeID"),
                        format!("Elektronska adresa {who_sr} nema oznaku šeme (schemeID=\"9948\")."),
                        format!("The {who_en}'s electronic address has no scheme identifier (schemeID=\"9948\")."),
                    ),
                    Some("9948") => {}
                    Some(s) => self.fatal_sef(
                        r_ep_scheme,
                        if seller {
                            "SenderEndpointSchemeIDInvalid"
                        } else {
                            "ReceiverEndpointSchemeIDInvalid"
                        },
                        format!("{ep_path}/@schemeID"),
                        format!("Šema elektronske adrese {who_sr} mora biti 9948, a ne '{s}'."),
                        format!("The {who_en}'s electronic address scheme must be 9948, not '{s}'."),
                    ),
                }
                if let Some(v) = vat
                    && !v.is_empty()
                    && !(v.len() > 2 && v[..2].eq_ignore_ascii_case("RS") && v[2..] == *ep)
                {
                    self.fatal(
                        r_ep_eq,
                        ep_path,
                        format!(
                            "Elektronska adresa {who_sr} ({ep}) mora biti PIB {who_sr} bez prefiksa RS ({v})."
                        ),
                        format!(
                            "The {who_en}'s electronic address ({ep}) must equal the VAT identifier without the RS prefix ({v})."
                        ),
                    );
                }
            }
        }
        // MB.
        let mb_path = format!("{base}/cac:PartyLegalEntity/cbc:CompanyID");
        match party.mb().map(str::trim) {
            None | Some("") => {
                if seller {
                    self.fatal_sef(
                        "FSK-SELLER-MB",
                        "UBLRegistrationCodeDoesNotHaveGoodLength",
                        mb_path.clone(),
                        "Nedostaje matični broj prodavca.".into(),
                        "The seller's company registration number (MB) is missing.".into(),
                    )
                } else {
                    self.fatal(
                        "RSR-17",
                        mb_path.clone(),
                        "Nedostaje matični broj kupca.".into(),
                        "The buyer's company registration number (MB, BT-47) is missing.".into(),
                    )
                }
            }
            Some(mb) if !ids::mb_format_valid(mb) => self.fatal_sef(
                if seller { "FSK-SELLER-MB" } else { "RSR-19" },
                "UBLRegistrationCodeDoesNotHaveGoodLength",
                mb_path.clone(),
                format!(
                    "Matični broj {who_sr} '{mb}' mora imati 8 cifara (sa vodećim nulama) ili 13 cifara."
                ),
                format!(
                    "The {who_en}'s registration number '{mb}' must have 8 digits (leading zeros kept) or 13 digits."
                ),
            ),
            _ => {}
        }
        if !seller
            && party
                .legal_entity
                .as_ref()
                .is_some_and(|l| l.company_id.is_some() && l.company_id_scheme.is_some())
        {
            self.fatal(
                "RSR-18",
                format!("{mb_path}/@schemeID"),
                "Matični broj kupca ne sme imati oznaku šeme (schemeID).".into(),
                "The buyer's registration number must not have a scheme identifier.".into(),
            );
        }
        if let Some(mail) = party.contact.as_ref().and_then(|c| c.email.as_deref())
            && !ids::email_plausible(mail)
        {
            let sev_fatal = seller;
            let sr = format!("Adresa elektronske pošte {who_sr} '{mail}' nije ispravna.");
            let en = format!("The {who_en}'s e-mail address '{mail}' is not valid.");
            let path = format!("{base}/cac:Contact/cbc:ElectronicMail");
            if sev_fatal {
                self.fatal_sef("FSK-EMAIL", "InvalidSenderContactEmail", path, sr, en);
            } else {
                self.warn("FSK-EMAIL", path, sr, en);
            }
        }
    }

    fn seller(&mut self, s: Option<&'a Party>) {
        let base = self.p("cac:AccountingSupplierParty/cac:Party");
        let Some(s) = s else {
            self.fatal(
                "BR-06",
                base,
                "Nedostaje prodavac (AccountingSupplierParty).".into(),
                "The seller (AccountingSupplierParty) is missing.".into(),
            );
            return;
        };
        self.party_common(s, &base, true);
        if !s.identifications.is_empty() {
            self.warn(
                "FSK-SELLER-ID",
                format!("{base}/cac:PartyIdentification"),
                "Prodavac ima PartyIdentification; fiskal ga ne koristi za prodavca.".into(),
                "The seller carries PartyIdentification, which fiskal does not use for the seller."
                    .into(),
            );
        }
    }

    fn buyer(&mut self, c: Option<&'a Party>) {
        let base = self.p("cac:AccountingCustomerParty/cac:Party");
        let Some(c) = c else {
            self.fatal(
                "BR-07",
                base,
                "Nedostaje kupac (AccountingCustomerParty).".into(),
                "The buyer (AccountingCustomerParty) is missing.".into(),
            );
            return;
        };
        self.party_common(c, &base, false);
        // JBKJS (§4, §12).
        let mut jbkjs_count = 0;
        for (i, pid) in c.identifications.iter().enumerate() {
            let path = format!("{base}/cac:PartyIdentification[{}]/cbc:ID", i + 1);
            let v = pid.id.trim();
            if !v.starts_with("JBKJS:") {
                self.fatal_sef(
                    "FSK-JBKJS",
                    "ReceiverMissedAddingJBKJSPrefix",
                    path,
                    format!(
                        "Identifikacija kupca '{v}' mora biti JBKJS u obliku JBKJS:12345 (koristi se samo za korisnike javnih sredstava)."
                    ),
                    format!(
                        "The buyer identification '{v}' must be a JBKJS written as JBKJS:12345 (budget users only)."
                    ),
                );
            } else if ids::parse_jbkjs(v).is_none() {
                self.fatal_sef(
                    "FSK-JBKJS",
                    "ReceiverJBKJSLengthInvalid",
                    path,
                    format!("JBKJS kupca '{v}' mora imati tačno 5 cifara posle 'JBKJS:'."),
                    format!("The buyer's JBKJS '{v}' must have exactly 5 digits after 'JBKJS:'."),
                );
            } else {
                jbkjs_count += 1;
                if pid.scheme.is_some() {
                    self.warn(
                        "FSK-JBKJS-SCHEME",
                        format!("{path}/@schemeID"),
                        "JBKJS se piše bez oznake šeme (schemeID).".into(),
                        "The JBKJS is written without a scheme identifier.".into(),
                    );
                }
            }
        }
        if c.identifications.len() > 1 {
            self.fatal(
                "FSK-JBKJS-ONCE",
                format!("{base}/cac:PartyIdentification[2]"),
                "Kupac sme imati samo jednu identifikaciju (JBKJS).".into(),
                "The buyer may carry exactly one identification (the JBKJS).".into(),
            );
        }
        match self.opts.buyer_is_budget_user {
            Some(true) if jbkjs_count == 0 => self.fatal_sef(
                "FSK-JBKJS-MISSING",
                "UBLJBKJSNotDefined",
                format!("{base}/cac:PartyIdentification/cbc:ID"),
                "Kupac je korisnik javnih sredstava, pa mora biti naveden njegov JBKJS (JBKJS:12345).".into(),
                "The buyer is a budget user, so its JBKJS (JBKJS:12345) must be given.".into(),
            ),
            Some(false) if !c.identifications.is_empty() => self.fatal_sef(
                "FSK-JBKJS-NOT-BUDGET",
                "UBLCannotBeDefinedPartyIdentificationIdForNonBudgetCompany",
                format!("{base}/cac:PartyIdentification/cbc:ID"),
                "Kupac nije korisnik javnih sredstava, pa ne sme imati JBKJS.".into(),
                "The buyer is not a budget user, so it must not carry a JBKJS.".into(),
            ),
            _ => {}
        }
        let budget = jbkjs_count > 0 || self.opts.buyer_is_budget_user == Some(true);
        let d = self.doc;
        if budget
            && d.contract_references.iter().all(|s| s.trim().is_empty())
            && d.order_reference
                .as_deref()
                .is_none_or(|s| s.trim().is_empty())
            && d.originator_references.iter().all(|s| s.trim().is_empty())
        {
            self.fatal_sef(
                "FSK-BUDGET-REFERENCE",
                "UBLOrderNumberLotNumberOrContractNumberIsRequired",
                self.p("cac:ContractDocumentReference/cbc:ID"),
                "Za kupca iz javnog sektora mora se navesti broj ugovora, broj narudžbenice ili broj partije.".into(),
                "For a public-sector buyer the contract number, order number or lot number is mandatory.".into(),
            );
        }
        if let Some(br) = d.buyer_reference.as_deref()
            && let Some(rest) = br.trim().strip_prefix("JN-JBKJS:")
        {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if digits.len() != 5 {
                self.warn(
                    "FSK-BUYER-REFERENCE",
                    self.p("cbc:BuyerReference"),
                    "Referenca kupca za javnu nabavku treba da glasi JN-JBKJS: i pet cifara JBKJS-a naručioca.".into(),
                    "The public-procurement buyer reference should be JN-JBKJS: followed by the 5-digit JBKJS.".into(),
                );
            }
        }
    }

    fn other_parties(&mut self) {
        let d = self.doc;
        if let Some(p) = &d.payee {
            let base = self.p("cac:PayeeParty");
            let n = usize::from(p.mb().is_some());
            if n != 1 {
                self.fatal(
                    "RSR-27",
                    format!("{base}/cac:PartyLegalEntity/cbc:CompanyID"),
                    "Primalac plaćanja mora imati matični broj.".into(),
                    "The payee must have exactly one registration number (BT-61).".into(),
                );
            } else if let Some(mb) = p.mb()
                && !ids::mb_format_valid(mb.trim())
            {
                self.fatal(
                    "RSR-28",
                    format!("{base}/cac:PartyLegalEntity/cbc:CompanyID"),
                    format!("Matični broj primaoca plaćanja '{mb}' mora imati 8 ili 13 cifara."),
                    format!("The payee's registration number '{mb}' must have 8 or 13 digits."),
                );
            }
            if blank(&p.name) {
                self.fatal(
                    "BR-17",
                    format!("{base}/cac:PartyName/cbc:Name"),
                    "Nedostaje naziv primaoca plaćanja.".into(),
                    "The payee name (BT-59) is missing.".into(),
                );
            }
        }
        if let Some(t) = &d.tax_representative {
            let base = self.p("cac:TaxRepresentativeParty");
            if blank(&t.name) {
                self.fatal(
                    "BR-18",
                    format!("{base}/cac:PartyName/cbc:Name"),
                    "Nedostaje naziv poreskog punomoćnika.".into(),
                    "The tax representative name (BT-62) is missing.".into(),
                );
            }
            match &t.address {
                None => self.fatal(
                    "BR-19",
                    format!("{base}/cac:PostalAddress"),
                    "Nedostaje adresa poreskog punomoćnika.".into(),
                    "The tax representative postal address (BG-12) is missing.".into(),
                ),
                Some(a) => {
                    if blank(&a.country) {
                        self.fatal(
                            "BR-20",
                            format!("{base}/cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
                            "U adresi poreskog punomoćnika nedostaje šifra države.".into(),
                            "The tax representative address lacks the country code (BT-69).".into(),
                        );
                    }
                    if blank(&a.city) {
                        self.fatal(
                            "RSR-31",
                            format!("{base}/cac:PostalAddress/cbc:CityName"),
                            "Nedostaje mesto poreskog punomoćnika.".into(),
                            "The tax representative's city (BT-66) is missing.".into(),
                        );
                    }
                    if blank(&a.postal_zone) {
                        self.fatal(
                            "RSR-32",
                            format!("{base}/cac:PostalAddress/cbc:PostalZone"),
                            "Nedostaje poštanski broj poreskog punomoćnika.".into(),
                            "The tax representative's postal code (BT-67) is missing.".into(),
                        );
                    }
                }
            }
            let vat_path = format!("{base}/cac:PartyTaxScheme/cbc:CompanyID");
            match t
                .vat_id()
                .or(t.tax_schemes.first().and_then(|s| s.company_id.as_deref()))
            {
                None => self.fatal(
                    "RSR-29",
                    vat_path,
                    "Nedostaje PIB poreskog punomoćnika.".into(),
                    "The tax representative's VAT identifier (BT-63) is missing.".into(),
                ),
                Some(v) => {
                    let v = v.trim();
                    let ok = v.len() > 2
                        && v[..2].eq_ignore_ascii_case("RS")
                        && (ids::is_digits(&v[2..], 9) || ids::is_digits(&v[2..], 13));
                    if !ok {
                        self.fatal(
                            "RSR-30",
                            vat_path,
                            format!("PIB poreskog punomoćnika '{v}' mora biti RS + 9 ili 13 cifara."),
                            format!("The tax representative's VAT identifier '{v}' must be RS + 9 or 13 digits."),
                        );
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ payment

    fn payment(&mut self) {
        let d = self.doc;
        if d.payment_means.is_empty() {
            self.fatal_sef(
                "FSK-PAYMENT-MEANS",
                "UBLPaymentMeansNotDefined",
                self.p("cac:PaymentMeans"),
                "Nedostaje način plaćanja (šifra 30 i tekući račun prodavca).".into(),
                "Payment means are missing (code 30 and the seller's account).".into(),
            );
        }
        for (i, pm) in d.payment_means.iter().enumerate() {
            let base = self.p(&format!("cac:PaymentMeans[{}]", i + 1));
            let code = pm.code.as_deref().map(str::trim);
            match code {
                None | Some("") => self.fatal_sef(
                    "BR-49",
                    "UBLPaymentMeansCodeNotDefined",
                    format!("{base}/cbc:PaymentMeansCode"),
                    "Nedostaje šifra načina plaćanja (30 = prenos na račun).".into(),
                    "The payment means type code (BT-81) is missing (30 = credit transfer).".into(),
                ),
                Some("30") => {}
                Some(c) => self.warn(
                    "FSK-PAYMENT-CODE",
                    format!("{base}/cbc:PaymentMeansCode"),
                    format!("Šifra načina plaćanja je '{c}'; SEF očekuje 30 (prenos na račun)."),
                    format!("The payment means code is '{c}'; SEF expects 30 (credit transfer)."),
                ),
            }
            let acc_path = format!("{base}/cac:PayeeFinancialAccount/cbc:ID");
            match pm.payee_account.as_deref().map(str::trim) {
                None | Some("") if matches!(code, Some("30") | Some("58")) => self.fatal_sef(
                    "BR-61",
                    "UBLPayeeFinancialAccountIdNotDefined",
                    acc_path,
                    "Kod plaćanja prenosom na račun mora se navesti tekući račun prodavca.".into(),
                    "With credit transfer the payee's account identifier (BT-84) is mandatory.".into(),
                ),
                Some(a) if !ids::bank_account_valid(a) => self.fatal_sef(
                    "FSK-ACCOUNT",
                    "BankAccountIncorrect",
                    acc_path,
                    format!(
                        "Tekući račun '{a}' nije ispravan: mora imati 18 cifara bez crtica (šifra banke, broj računa, kontrolni broj) i ispravan kontrolni broj."
                    ),
                    format!(
                        "Account '{a}' is not valid: it must be 18 digits without dashes (bank, account, control digits) with correct control digits."
                    ),
                ),
                _ => {}
            }
            if let Some(pid) = pm.payment_id.as_deref()
                && !ids::payment_id_valid(pid)
            {
                self.fatal_sef(
                    "FSK-PAYMENT-ID",
                    "UBLReferenceAndModelNumberFormatNotValid",
                    format!("{base}/cbc:PaymentID"),
                    format!(
                        "Poziv na broj '{pid}' nije ispravan; piše se kao (mod97) 872026000042, a kod modela 97 kontrolni broj mora da odgovara."
                    ),
                    format!(
                        "Payment reference '{pid}' is not valid; write it as (mod97) 872026000042, with correct control digits for model 97."
                    ),
                );
            }
            if d.root == Root::Invoice && pm.due_date.is_some() {
                self.warn(
                    "FSK-PAYMENT-DUE-DATE",
                    format!("{base}/cbc:PaymentDueDate"),
                    "U fakturi se datum dospeća piše u elementu DueDate, ne u PaymentMeans.".into(),
                    "In an Invoice the due date belongs in cbc:DueDate, not in PaymentMeans."
                        .into(),
                );
            }
        }
    }

    // ------------------------------------------------------- lines and allowances

    fn category_percent_rules(&mut self, tc: &TaxCategory, path: &str, level: Level, charge: bool) {
        let Some(cat) = &tc.id else { return };
        let pct = tc.percent;
        let (rule, ok, sr, en): (&'static str, bool, String, String) = match cat {
            VatCategory::S => {
                let rule = match level {
                    Level::Line => "BR-S-05",
                    Level::Doc if charge => "BR-S-07",
                    Level::Doc => "BR-S-06",
                };
                (
                    rule,
                    pct.is_some_and(|p| p > Decimal::ZERO),
                    "Za PDV kategoriju S mora se navesti stopa veća od nule.".into(),
                    "VAT category S requires a rate greater than zero.".into(),
                )
            }
            VatCategory::O => {
                let rule = match level {
                    Level::Line => "BR-O-05",
                    Level::Doc if charge => "BR-O-07",
                    Level::Doc => "BR-O-06",
                };
                (
                    rule,
                    pct.is_none(),
                    "Za PDV kategoriju O (van sistema PDV) stopa se ne navodi.".into(),
                    "VAT category O (not subject to VAT) must not carry a rate.".into(),
                )
            }
            VatCategory::Other(_) => return,
            c => {
                let rule = match (c, level, charge) {
                    (VatCategory::AE, Level::Line, _) => "BR-AE-05",
                    (VatCategory::AE, Level::Doc, false) => "BR-AE-06",
                    (VatCategory::AE, Level::Doc, true) => "BR-AE-07",
                    (VatCategory::E, Level::Line, _) => "BR-E-05",
                    (VatCategory::E, Level::Doc, false) => "BR-E-06",
                    (VatCategory::E, Level::Doc, true) => "BR-E-07",
                    (VatCategory::Z, Level::Line, _) => "BR-Z-05",
                    (VatCategory::Z, Level::Doc, false) => "BR-Z-06",
                    (VatCategory::Z, Level::Doc, true) => "BR-Z-07",
                    (VatCategory::R, Level::Line, _) => "RSK-R-05",
                    (VatCategory::R, Level::Doc, false) => "RSK-R-06",
                    (VatCategory::R, Level::Doc, true) => "RSK-R-07",
                    (VatCategory::OE, Level::Line, _) => "RSK-OE-05",
                    (VatCategory::OE, Level::Doc, false) => "RSK-OE-06",
                    (VatCategory::OE, Level::Doc, true) => "RSK-OE-07",
                    (VatCategory::SS, Level::Line, _) => "RSK-SS-05",
                    (VatCategory::SS, Level::Doc, false) => "RSK-SS-06",
                    (VatCategory::SS, Level::Doc, true) => "RSK-SS-07",
                    (_, Level::Line, _) => "RSK-N-05",
                    (_, Level::Doc, false) => "RSK-N-06",
                    (_, Level::Doc, true) => "RSK-N-07",
                };
                (
                    rule,
                    pct.is_some_and(|p| p.is_zero()),
                    format!("Za PDV kategoriju {c} stopa PDV-a mora biti 0."),
                    format!("VAT category {c} requires a VAT rate of 0."),
                )
            }
        };
        if !ok {
            self.fatal(rule, format!("{path}/cbc:Percent"), sr, en);
        } else if *cat == VatCategory::S
            && let Some(p) = pct
            && p != Decimal::from(20)
            && p != Decimal::from(10)
        {
            self.fatal_sef(
                "FSK-S-RATE",
                "UBLIncorrectVatRateForStandardVatRate",
                format!("{path}/cbc:Percent"),
                format!(
                    "Stopa PDV-a za kategoriju S mora biti {SR_RULE_RATES} %, a navedeno je {p} %."
                ),
                format!("The VAT rate for category S must be 20 or 10 %; it is {p} %."),
            );
        }
    }

    fn unknown_category(&mut self, rule: &'static str, cat: &VatCategory, path: String) {
        self.fatal_sef(
            rule,
            "UBLTaxCategoryIdUnknown",
            path,
            format!(
                "Nepoznata PDV kategorija '{cat}'; dozvoljene su S, AE, Z, E, O, R, OE, SS i N."
            ),
            format!("Unknown VAT category '{cat}'; allowed are S, AE, Z, E, O, R, OE, SS and N."),
        );
    }

    fn line_allowance(&mut self, ac: &AllowanceCharge, path: &str) {
        let (r_amt, r_reason, r_dec, r_dec_base) = if ac.charge {
            ("BR-43", "BR-44", "BR-DEC-27", "BR-DEC-28")
        } else {
            ("BR-41", "BR-42", "BR-DEC-24", "BR-DEC-25")
        };
        let what_sr = if ac.charge { "trošak" } else { "popust" };
        let what_en = if ac.charge { "charge" } else { "allowance" };
        match ac.amount {
            None => self.fatal(
                r_amt,
                format!("{path}/cbc:Amount"),
                format!("Stavka ima {what_sr} bez iznosa."),
                format!("A line {what_en} has no amount."),
            ),
            Some(a) if dp(a) > 2 => self.fatal(
                r_dec,
                format!("{path}/cbc:Amount"),
                format!("Iznos ({a}) sme imati najviše 2 decimale."),
                format!("The amount ({a}) may have at most 2 decimals."),
            ),
            _ => {}
        }
        if let Some(b) = ac.base_amount
            && dp(b) > 2
        {
            self.fatal(
                r_dec_base,
                format!("{path}/cbc:BaseAmount"),
                format!("Osnovica ({b}) sme imati najviše 2 decimale."),
                format!("The base amount ({b}) may have at most 2 decimals."),
            );
        }
        if blank(&ac.reason) && blank(&ac.reason_code) {
            self.fatal(
                r_reason,
                format!("{path}/cbc:AllowanceChargeReason"),
                format!("Za {what_sr} na stavci mora se navesti razlog (tekst ili šifra)."),
                format!("A line {what_en} needs a reason text or reason code."),
            );
        }
    }

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    fn lines_and_allowances(&mut self) -> Vec<(GroupKey, Sums)> {
        let d = self.doc;
        let mut groups: Vec<(GroupKey, Sums)> = Vec::new();
        let mut add =
            |key: GroupKey, f: &dyn Fn(&mut Sums)| match groups.iter_mut().find(|(k, _)| *k == key)
            {
                Some((_, s)) => f(s),
                None => {
                    let mut s = Sums::default();
                    f(&mut s);
                    groups.push((key, s));
                }
            };
        if d.lines.is_empty() {
            self.fatal(
                "BR-16",
                self.p(&format!("cac:{}", d.root.line_name())),
                "Dokument mora imati bar jednu stavku.".into(),
                "The document must have at least one line (BG-25).".into(),
            );
        }
        let line_name = d.root.line_name();
        let qty_name = match d.root {
            Root::Invoice => "cbc:InvoicedQuantity",
            Root::CreditNote => "cbc:CreditedQuantity",
        };
        let mut seen_ids: Vec<&str> = Vec::with_capacity(d.lines.len());
        for (i, l) in d.lines.iter().enumerate() {
            let lp = format!("/{}/cac:{line_name}[{}]", self.r, i + 1);
            let no = i + 1;
            match l.id.as_deref().map(str::trim) {
                None | Some("") => self.fatal(
                    "BR-21",
                    format!("{lp}/cbc:ID"),
                    format!("Stavka {no} nema redni broj (ID)."),
                    format!("Line {no} has no line identifier (BT-126)."),
                ),
                Some(id) => {
                    if seen_ids.contains(&id) {
                        self.fatal(
                            "FSK-LINE-ID",
                            format!("{lp}/cbc:ID"),
                            format!("Redni broj stavke '{id}' se ponavlja; svaka stavka mora imati jedinstven broj."),
                            format!("Line identifier '{id}' is repeated; every line needs a unique identifier."),
                        );
                    }
                    seen_ids.push(id);
                }
            }
            match l.quantity {
                None => self.fatal(
                    "BR-22",
                    format!("{lp}/{qty_name}"),
                    format!("Stavka {no} nema količinu."),
                    format!("Line {no} has no quantity (BT-129)."),
                ),
                Some(q) => {
                    if q.is_sign_negative() && !q.is_zero() {
                        let is_n = l
                            .item
                            .tax_category
                            .as_ref()
                            .is_some_and(|t| t.id == Some(VatCategory::N));
                        let sr = format!("Stavka {no} ima negativnu količinu ({q}).");
                        let en = format!("Line {no} has a negative quantity ({q}).");
                        if is_n {
                            self.warn("FSK-QUANTITY-NEGATIVE", format!("{lp}/{qty_name}"), sr, en);
                        } else {
                            self.fatal("FSK-QUANTITY-NEGATIVE", format!("{lp}/{qty_name}"), sr, en);
                        }
                    }
                    if dp(q.normalize()) > 4 {
                        self.warn(
                            "FSK-QUANTITY-DECIMALS",
                            format!("{lp}/{qty_name}"),
                            format!("Količina na stavci {no} ({q}) ima više od 4 decimale."),
                            format!("The quantity of line {no} ({q}) has more than 4 decimals."),
                        );
                    }
                }
            }
            match l.unit_code.as_deref().map(str::trim) {
                None | Some("") => self.fatal(
                    "BR-23",
                    format!("{lp}/{qty_name}/@unitCode"),
                    format!("Stavka {no} nema jedinicu mere."),
                    format!("Line {no} has no unit of measure code (BT-130)."),
                ),
                Some(u) => {
                    if let Some(units) = &self.opts.unit_codes
                        && !units.contains(u)
                    {
                        self.fatal_sef(
                            "FSK-UNIT-CODE",
                            "UBLUnitCodeNotValid",
                            format!("{lp}/{qty_name}/@unitCode"),
                            format!("Jedinica mere '{u}' na stavci {no} nije na SEF-ovoj listi jedinica mere."),
                            format!("Unit code '{u}' of line {no} is not in SEF's list of units."),
                        );
                    }
                }
            }
            match l.line_extension {
                None => self.fatal(
                    "BR-24",
                    format!("{lp}/cbc:LineExtensionAmount"),
                    format!("Stavka {no} nema neto iznos."),
                    format!("Line {no} has no net amount (BT-131)."),
                ),
                Some(a) if dp(a) > 2 => self.fatal_sef(
                    "BR-DEC-23",
                    "UBLInvoiceLineExtensionAmountMoreDecimalsThanPermitted",
                    format!("{lp}/cbc:LineExtensionAmount"),
                    format!("Neto iznos stavke {no} ({a}) sme imati najviše 2 decimale."),
                    format!("The net amount of line {no} ({a}) may have at most 2 decimals."),
                ),
                _ => {}
            }
            match l.item.name.as_deref().map(str::trim) {
                None | Some("") => self.fatal(
                    "BR-25",
                    format!("{lp}/cac:Item/cbc:Name"),
                    format!("Stavka {no} nema naziv artikla ili usluge."),
                    format!("Line {no} has no item name (BT-153)."),
                ),
                Some(n) if n.chars().count() > 100 => self.fatal_sef(
                    "FSK-ITEM-NAME-LENGTH",
                    "UBLProductNameLengthExceeded",
                    format!("{lp}/cac:Item/cbc:Name"),
                    format!("Naziv artikla na stavci {no} je duži od 100 znakova."),
                    format!("The item name of line {no} is longer than 100 characters."),
                ),
                _ => {}
            }
            let price = l.price.as_ref().and_then(|p| p.amount);
            match price {
                None => self.fatal(
                    "BR-26",
                    format!("{lp}/cac:Price/cbc:PriceAmount"),
                    format!("Stavka {no} nema jediničnu cenu."),
                    format!("Line {no} has no item net price (BT-146)."),
                ),
                Some(p) => {
                    if p.is_sign_negative() && !p.is_zero() {
                        self.fatal_sef(
                            "BR-27",
                            "InvoiceItemsPriceNegative",
                            format!("{lp}/cac:Price/cbc:PriceAmount"),
                            format!("Cena na stavci {no} ne sme biti negativna ({p})."),
                            format!("The item net price of line {no} must not be negative ({p})."),
                        );
                    }
                    if dp(p) > 4 {
                        self.fatal_sef(
                            "FSK-PRICE-DECIMALS",
                            "UBLInvoiceLinePriceAmountMoreDecimalsThanPermitted",
                            format!("{lp}/cac:Price/cbc:PriceAmount"),
                            format!("Cena na stavci {no} ({p}) sme imati najviše 4 decimale."),
                            format!("The price of line {no} ({p}) may have at most 4 decimals."),
                        );
                    }
                }
            }
            for (j, ac) in l.allowance_charges.iter().enumerate() {
                self.line_allowance(ac, &format!("{lp}/cac:AllowanceCharge[{}]", j + 1));
            }
            if let Some(per) = &l.period {
                if let (Some(s), Some(e)) = (per.start, per.end)
                    && e < s
                {
                    self.fatal(
                        "BR-30",
                        format!("{lp}/cac:InvoicePeriod/cbc:EndDate"),
                        format!("Kraj perioda stavke {no} je pre njegovog početka."),
                        format!("The end of line {no}'s period is before its start."),
                    );
                }
                if per.start.is_none() && per.end.is_none() {
                    self.fatal(
                        "BR-CO-20",
                        format!("{lp}/cac:InvoicePeriod"),
                        format!("Period stavke {no} nema ni početak ni kraj."),
                        format!("Line {no}'s period has neither start nor end date."),
                    );
                }
            }
            // Recompute the line net (§8.2 step 1).
            if let (Some(q), Some(p), Some(net)) = (l.quantity, price, l.line_extension) {
                let base = l
                    .price
                    .as_ref()
                    .and_then(|p| p.base_quantity)
                    .filter(|b| !b.is_zero())
                    .unwrap_or(Decimal::ONE);
                let mut expected = q * p;
                if base != Decimal::ONE {
                    expected /= base;
                }
                for ac in &l.allowance_charges {
                    let a = ac.amount.unwrap_or_default();
                    if ac.charge {
                        expected += a;
                    } else {
                        expected -= a;
                    }
                }
                let expected = round2(expected);
                if expected != net {
                    self.fatal(
                        "FSK-LINE-NET",
                        format!("{lp}/cbc:LineExtensionAmount"),
                        format!(
                            "Neto iznos stavke {no} je {net}, a količina × cena (± popusti i troškovi stavke) daje {expected}."
                        ),
                        format!(
                            "The net amount of line {no} is {net}, but quantity × price (± line allowances and charges) gives {expected}."
                        ),
                    );
                }
            }
            // Category.
            match &l.item.tax_category {
                Some(tc) if tc.is_vat() && tc.id.is_some() => {
                    let cp = format!("{lp}/cac:Item/cac:ClassifiedTaxCategory");
                    if let Some(cat @ VatCategory::Other(_)) = &tc.id {
                        self.unknown_category("RSR-36", cat, format!("{cp}/cbc:ID"));
                    } else {
                        self.category_percent_rules(tc, &cp, Level::Line, false);
                        if tc.exemption_reason_code.is_some() || tc.exemption_reason.is_some() {
                            self.warn(
                                "FSK-LINE-EXEMPTION",
                                format!("{cp}/cbc:TaxExemptionReasonCode"),
                                format!(
                                    "Osnov oslobođenja se navodi u poreskom međuzbiru, ne na stavci {no}."
                                ),
                                format!(
                                    "The exemption reason belongs in the VAT breakdown, not on line {no}."
                                ),
                            );
                        }
                    }
                    if let Some(key) = GroupKey::of(tc) {
                        let net = l.line_extension.unwrap_or_default();
                        add(key, &|s: &mut Sums| {
                            s.lines += net;
                            s.used = true;
                        });
                    }
                }
                _ => self.fatal(
                    "BR-CO-04",
                    format!("{lp}/cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
                    format!("Stavka {no} nema PDV kategoriju (S, AE, Z, E, O, R, OE, SS ili N)."),
                    format!("Line {no} has no VAT category code (BT-151)."),
                ),
            }
        }
        // Document-level allowances and charges.
        for (i, ac) in d.allowance_charges.iter().enumerate() {
            let ap = self.p(&format!("cac:AllowanceCharge[{}]", i + 1));
            let (r_amt, r_cat, r_reason, r_dec, r_dec_base) = if ac.charge {
                ("BR-36", "BR-37", "BR-38", "BR-DEC-05", "BR-DEC-06")
            } else {
                ("BR-31", "BR-32", "BR-33", "BR-DEC-01", "BR-DEC-02")
            };
            let what_sr = if ac.charge { "trošak" } else { "popust" };
            let what_en = if ac.charge { "charge" } else { "allowance" };
            match ac.amount {
                None => self.fatal(
                    r_amt,
                    format!("{ap}/cbc:Amount"),
                    format!("{what_sr} na nivou dokumenta nema iznos."),
                    format!("A document-level {what_en} has no amount."),
                ),
                Some(a) if dp(a) > 2 => self.fatal(
                    r_dec,
                    format!("{ap}/cbc:Amount"),
                    format!("Iznos ({a}) sme imati najviše 2 decimale."),
                    format!("The amount ({a}) may have at most 2 decimals."),
                ),
                _ => {}
            }
            if let Some(b) = ac.base_amount
                && dp(b) > 2
            {
                self.fatal(
                    r_dec_base,
                    format!("{ap}/cbc:BaseAmount"),
                    format!("Osnovica ({b}) sme imati najviše 2 decimale."),
                    format!("The base amount ({b}) may have at most 2 decimals."),
                );
            }
            if blank(&ac.reason) && blank(&ac.reason_code) {
                self.fatal(
                    r_reason,
                    format!("{ap}/cbc:AllowanceChargeReason"),
                    format!("Za {what_sr} na nivou dokumenta mora se navesti razlog."),
                    format!("A document-level {what_en} needs a reason text or reason code."),
                );
            }
            match &ac.tax_category {
                Some(tc) if tc.is_vat() && tc.id.is_some() => {
                    let cp = format!("{ap}/cac:TaxCategory");
                    if let Some(cat @ VatCategory::Other(_)) = &tc.id {
                        self.unknown_category("RSR-34", cat, format!("{cp}/cbc:ID"));
                    } else {
                        self.category_percent_rules(tc, &cp, Level::Doc, ac.charge);
                    }
                    if let Some(key) = GroupKey::of(tc) {
                        let a = ac.amount.unwrap_or_default();
                        let charge = ac.charge;
                        add(key, &|s: &mut Sums| {
                            if charge {
                                s.charges += a;
                            } else {
                                s.allowances += a;
                            }
                            s.used = true;
                        });
                    }
                }
                _ => self.fatal(
                    r_cat,
                    format!("{ap}/cac:TaxCategory/cbc:ID"),
                    format!("{what_sr} na nivou dokumenta nema PDV kategoriju."),
                    format!("A document-level {what_en} has no VAT category code."),
                ),
            }
        }
        groups
    }

    // ------------------------------------------------------------------ VAT breakdown

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    fn breakdown(&mut self, groups: &[(GroupKey, Sums)]) {
        let d = self.doc;
        let cur = d.currency.as_deref();
        let main: Vec<(usize, &TaxTotal)> = d
            .tax_totals
            .iter()
            .enumerate()
            .filter(|(_, t)| t.currency.is_none() || t.currency.as_deref() == cur)
            .collect();
        if main.len() > 1 {
            self.fatal(
                "BR-CO-15",
                self.p(&format!("cac:TaxTotal[{}]", main[1].0 + 1)),
                "Dokument sme imati samo jedan ukupan iznos PDV-a (TaxTotal) u valuti dokumenta."
                    .into(),
                "The document may have only one TaxTotal in the document currency.".into(),
            );
        }
        let Some(&(ti, tt)) = main.first() else {
            self.fatal(
                "BR-CO-18",
                self.p("cac:TaxTotal/cac:TaxSubtotal"),
                "Nedostaje rekapitulacija PDV-a (TaxTotal sa bar jednim TaxSubtotal).".into(),
                "The VAT breakdown (TaxTotal with at least one TaxSubtotal) is missing.".into(),
            );
            return;
        };
        let tp = self.p(&format!("cac:TaxTotal[{}]", ti + 1));
        if tt.subtotals.is_empty() {
            self.fatal(
                "BR-CO-18",
                format!("{tp}/cac:TaxSubtotal"),
                "Rekapitulacija PDV-a nema nijedan poreski međuzbir (TaxSubtotal).".into(),
                "The VAT breakdown has no VAT subtotal (BG-23).".into(),
            );
        }
        let mut sub_sum = Decimal::ZERO;
        let mut seen: Vec<GroupKey> = Vec::with_capacity(tt.subtotals.len());
        let has_o_sub = tt
            .subtotals
            .iter()
            .any(|s| s.category.id == Some(VatCategory::O));
        for (i, s) in tt.subtotals.iter().enumerate() {
            let sp = format!("{tp}/cac:TaxSubtotal[{}]", i + 1);
            let cp = format!("{sp}/cac:TaxCategory");
            match s.taxable_amount {
                None => self.fatal(
                    "BR-45",
                    format!("{sp}/cbc:TaxableAmount"),
                    "Poreski međuzbir nema osnovicu.".into(),
                    "The VAT subtotal has no taxable amount (BT-116).".into(),
                ),
                Some(a) if dp(a) > 2 => self.fatal_sef(
                    "BR-DEC-19",
                    "UBLTaxSubtotalTaxableAmountMoreDecimalsThanPermitted",
                    format!("{sp}/cbc:TaxableAmount"),
                    format!("Osnovica ({a}) sme imati najviše 2 decimale."),
                    format!("The taxable amount ({a}) may have at most 2 decimals."),
                ),
                _ => {}
            }
            match s.tax_amount {
                None => self.fatal(
                    "BR-46",
                    format!("{sp}/cbc:TaxAmount"),
                    "Poreski međuzbir nema iznos PDV-a.".into(),
                    "The VAT subtotal has no tax amount (BT-117).".into(),
                ),
                Some(a) => {
                    sub_sum += a;
                    if dp(a) > 2 {
                        self.fatal_sef(
                            "BR-DEC-20",
                            "UBLTaxSubtotalTaxAmountMoreDecimalsThanPermitted",
                            format!("{sp}/cbc:TaxAmount"),
                            format!("Iznos PDV-a ({a}) sme imati najviše 2 decimale."),
                            format!("The tax amount ({a}) may have at most 2 decimals."),
                        );
                    }
                }
            }
            let tc = &s.category;
            let Some(cat) = tc.id.as_ref().filter(|_| tc.is_vat()) else {
                self.fatal(
                    "BR-47",
                    format!("{cp}/cbc:ID"),
                    "Poreski međuzbir nema PDV kategoriju.".into(),
                    "The VAT subtotal has no VAT category code (BT-118).".into(),
                );
                continue;
            };
            if let VatCategory::Other(_) = cat {
                self.unknown_category("RSR-35", cat, format!("{cp}/cbc:ID"));
                continue;
            }
            if tc.percent.is_none() && *cat != VatCategory::O {
                self.fatal(
                    "BR-48",
                    format!("{cp}/cbc:Percent"),
                    format!("U poreskom međuzbiru za kategoriju {cat} nedostaje stopa PDV-a."),
                    format!("The VAT subtotal for category {cat} has no VAT rate (BT-119)."),
                );
            }
            // Percent per category on the subtotal.
            match (cat, tc.percent) {
                (VatCategory::S, Some(p)) if p != Decimal::from(20) && p != Decimal::from(10) => {
                    self.fatal_sef(
                        "FSK-S-RATE",
                        "UBLIncorrectVatRateForStandardVatRate",
                        format!("{cp}/cbc:Percent"),
                        format!("Stopa PDV-a za kategoriju S mora biti 20 ili 10 %, a navedeno je {p} %."),
                        format!("The VAT rate for category S must be 20 or 10 %; it is {p} %."),
                    )
                }
                (VatCategory::O, Some(_)) => self.warn(
                    "FSK-O-PERCENT",
                    format!("{cp}/cbc:Percent"),
                    "Za kategoriju O stopa se ne navodi.".into(),
                    "Category O carries no rate.".into(),
                ),
                (c, Some(p)) if *c != VatCategory::S && !p.is_zero() => self.fatal(
                    "FSK-ZERO-RATE",
                    format!("{cp}/cbc:Percent"),
                    format!("Za PDV kategoriju {c} stopa mora biti 0, a navedeno je {p} %."),
                    format!("VAT category {c} requires rate 0; it is {p} %."),
                ),
                _ => {}
            }
            let key = GroupKey::of(tc);
            // Duplicates.
            if let Some(k) = &key {
                if seen.contains(k) {
                    self.fatal_sef(
                        "FSK-SUBTOTAL-DUPLICATE",
                        "UBLOnlyOneTaxSubtotalPerTaxCategoryIsAllowed",
                        sp.clone(),
                        format!(
                            "Poreski međuzbir za {} se ponavlja; dozvoljen je jedan po kategoriji (za S po stopi).",
                            k.label()
                        ),
                        format!(
                            "The VAT subtotal for {} is repeated; one per category (per rate for S) is allowed.",
                            k.label()
                        ),
                    );
                }
                seen.push(k.clone());
            }
            let sums = key
                .as_ref()
                .and_then(|k| groups.iter().find(|(g, _)| g == k))
                .map(|(_, s)| s);
            if sums.is_none_or(|s| !s.used) {
                self.fatal_sef(
                    "FSK-SUBTOTAL-WITHOUT-ITEMS",
                    "UBLNoItemsWithTaxSubtotalTaxCategory",
                    format!("{cp}/cbc:ID"),
                    format!(
                        "Postoji poreski međuzbir za {}, a nijedna stavka, popust ili trošak nema tu kategoriju i stopu.",
                        key.as_ref().map_or_else(|| cat.to_string(), GroupKey::label)
                    ),
                    format!(
                        "There is a VAT subtotal for {}, but no line, allowance or charge has that category and rate.",
                        key.as_ref().map_or_else(|| cat.to_string(), GroupKey::label)
                    ),
                );
            }
            // BR-x-08: taxable = Σ lines − allowances + charges.
            if let (Some(s), Some(taxable)) = (sums, s.taxable_amount) {
                let expected = s.lines - s.allowances + s.charges;
                if expected != taxable {
                    let rule = match cat {
                        VatCategory::S => "BR-S-08",
                        VatCategory::AE => "BR-AE-08",
                        VatCategory::Z => "BR-Z-08",
                        VatCategory::E => "BR-E-08",
                        VatCategory::O => "BR-O-08",
                        VatCategory::R => "RSK-R-08",
                        VatCategory::OE => "RSK-OE-08",
                        VatCategory::SS => "RSK-SS-08",
                        _ => "RSK-N-08",
                    };
                    let label = key.as_ref().map_or_else(String::new, GroupKey::label);
                    self.fatal(
                        rule,
                        format!("{sp}/cbc:TaxableAmount"),
                        format!(
                            "Osnovica za {label} je {taxable}, a zbir neto iznosa stavki te kategorije (− popusti + troškovi) je {expected}."
                        ),
                        format!(
                            "The taxable amount for {label} is {taxable}, but the sum of that group's line nets (− allowances + charges) is {expected}."
                        ),
                    );
                }
            }
            // Tax amount.
            if let (Some(taxable), Some(tax)) = (s.taxable_amount, s.tax_amount) {
                if let Some(p) = tc.percent {
                    let expected = round2(taxable * p / Decimal::ONE_HUNDRED);
                    if expected != tax {
                        self.fatal(
                                "BR-CO-17",
                                format!("{sp}/cbc:TaxAmount"),
                                format!(
                                    "PDV za stopu {p} % je {tax}, a osnovica {taxable} × {p} % zaokruženo na 2 decimale daje {expected}."
                                ),
                                format!(
                                    "The VAT for rate {p} % is {tax}, but taxable amount {taxable} × {p} % rounded to 2 decimals gives {expected}."
                                ),
                            );
                    }
                }
                if *cat != VatCategory::S && !tax.is_zero() {
                    let (rule, sef): (&'static str, Option<&'static str>) = match cat {
                        VatCategory::AE => (
                            "BR-AE-09",
                            Some("UBLNotAllowedTaxAmountForRecipientCalculatesVAT"),
                        ),
                        VatCategory::Z => ("BR-Z-09", None),
                        VatCategory::E => {
                            ("BR-E-09", Some("UBLNotAllowedTaxAmountForExemptionFromVAT"))
                        }
                        VatCategory::O => ("BR-O-09", None),
                        VatCategory::R => ("RSK-R-09", None),
                        VatCategory::OE => ("RSK-OE-09", None),
                        VatCategory::SS => ("RSK-SS-09", None),
                        _ => ("RSK-N-09", None),
                    };
                    self.push(
                        Severity::Fatal,
                        rule,
                        format!("{sp}/cbc:TaxAmount"),
                        format!(
                            "Za PDV kategoriju {cat} iznos PDV-a mora biti 0, a navedeno je {tax}."
                        ),
                        format!("For VAT category {cat} the tax amount must be 0; it is {tax}."),
                        sef,
                    );
                }
            }
            // Exemption reasons.
            let has_reason = !blank(&tc.exemption_reason_code) || !blank(&tc.exemption_reason);
            if *cat == VatCategory::S {
                if has_reason {
                    self.fatal(
                        "BR-S-10",
                        format!("{cp}/cbc:TaxExemptionReasonCode"),
                        "Za kategoriju S (oporezivo) ne navodi se osnov oslobođenja.".into(),
                        "A standard-rated (S) subtotal must not have an exemption reason.".into(),
                    );
                }
            } else {
                if !has_reason {
                    let rule = match cat {
                        VatCategory::AE => "BR-AE-10",
                        VatCategory::E => "BR-E-10",
                        VatCategory::O => "BR-O-10",
                        VatCategory::Z => "FSK-Z-EXEMPTION",
                        VatCategory::R => "RSK-R-10",
                        VatCategory::OE => "RSK-OE-10",
                        VatCategory::SS => "RSK-SS-10",
                        _ => "RSK-N-10",
                    };
                    self.fatal_sef(
                        rule,
                        "UBLTaxExemptionReasonKeyNotDefined",
                        format!("{cp}/cbc:TaxExemptionReasonCode"),
                        format!(
                            "Za PDV kategoriju {cat} mora se navesti osnov oslobođenja (šifra PDV-RS-… iz SEF liste ili tekst)."
                        ),
                        format!(
                            "VAT category {cat} needs an exemption reason (a PDV-RS-… key from SEF's list, or a text)."
                        ),
                    );
                }
                if let Some(code) = tc.exemption_reason_code.as_deref().map(str::trim)
                    && !code.is_empty()
                {
                    self.exemption_key(cat, code, &format!("{cp}/cbc:TaxExemptionReasonCode"));
                }
            }
            // BR-O-11..14 as warnings.
            if has_o_sub && *cat != VatCategory::O {
                self.warn(
                    "BR-O-11",
                    sp.clone(),
                    "Dokument sa kategorijom O (van sistema PDV) ne bi trebalo da sadrži i druge PDV kategorije.".into(),
                    "A document with category O (not subject to VAT) should not contain other VAT categories.".into(),
                );
            }
        }
        // Every used category needs a subtotal (BR-S-01, BR-E-01, …, RSK-x-01).
        for (k, s) in groups {
            if !s.used || !k.cat.is_known() {
                continue;
            }
            let present = if k.cat == VatCategory::S {
                seen.iter().any(|g| g == k)
            } else {
                seen.iter().any(|g| g.cat == k.cat)
            };
            if !present {
                let rule = match k.cat {
                    VatCategory::S => "BR-S-01",
                    VatCategory::AE => "BR-AE-01",
                    VatCategory::Z => "BR-Z-01",
                    VatCategory::E => "BR-E-01",
                    VatCategory::O => "BR-O-01",
                    VatCategory::R => "RSK-R-01",
                    VatCategory::OE => "RSK-OE-01",
                    VatCategory::SS => "RSK-SS-01",
                    _ => "RSK-N-01",
                };
                let label = k.label();
                self.fatal(
                    rule,
                    format!("{tp}/cac:TaxSubtotal"),
                    format!(
                        "Postoje stavke (ili popusti/troškovi) sa PDV kategorijom {label}, a u rekapitulaciji PDV-a nema poreskog međuzbira za nju."
                    ),
                    format!(
                        "There are lines (or allowances/charges) in VAT category {label}, but the VAT breakdown has no subtotal for it."
                    ),
                );
            }
        }
        // BR-CO-14.
        match tt.tax_amount {
            None => self.fatal(
                "BR-CO-14",
                format!("{tp}/cbc:TaxAmount"),
                "Nedostaje ukupan iznos PDV-a.".into(),
                "The invoice total VAT amount (BT-110) is missing.".into(),
            ),
            Some(t) => {
                if dp(t) > 2 {
                    self.fatal_sef(
                        "BR-DEC-13",
                        "UBLTaxAmountMoreDecimalsThanPermitted",
                        format!("{tp}/cbc:TaxAmount"),
                        format!("Ukupan PDV ({t}) sme imati najviše 2 decimale."),
                        format!("The total VAT amount ({t}) may have at most 2 decimals."),
                    );
                }
                if !tt.subtotals.is_empty() && t != sub_sum {
                    self.fatal_sef(
                        "BR-CO-14",
                        "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer",
                        format!("{tp}/cbc:TaxAmount"),
                        format!(
                            "Ukupan PDV je {t}, a zbir PDV-a po poreskim međuzbirovima je {sub_sum}."
                        ),
                        format!(
                            "The total VAT is {t}, but the VAT subtotals add up to {sub_sum}."
                        ),
                    );
                }
            }
        }
    }

    fn exemption_key(&mut self, cat: &VatCategory, code: &str, path: &str) {
        if let Some(keys) = &self.opts.exemption_keys {
            match keys.get(code) {
                None => self.fatal_sef(
                    "FSK-EXEMPTION-KEY",
                    "VatExemptionReasonNotExists",
                    path.to_string(),
                    format!("Šifra osnova oslobođenja '{code}' ne postoji na SEF-ovoj listi."),
                    format!("Exemption key '{code}' is not in SEF's list."),
                ),
                Some(k) => {
                    if &k.category != cat {
                        self.fatal_sef(
                            "FSK-EXEMPTION-CATEGORY",
                            "UBLTaxExemptionReasonCategoryNotCorrect",
                            path.to_string(),
                            format!(
                                "Šifra osnova oslobođenja '{code}' pripada kategoriji {}, a ne kategoriji {cat}.",
                                k.category
                            ),
                            format!(
                                "Exemption key '{code}' belongs to category {}, not {cat}.",
                                k.category
                            ),
                        );
                    }
                    if let Some(day) = self.doc.issue_date {
                        let before = k.active_from.is_some_and(|f| day < f);
                        let after = k.active_to.is_some_and(|t| day > t);
                        if before || after {
                            self.fatal_sef(
                                "FSK-EXEMPTION-ACTIVE",
                                "VatExemptionReasonPointOfLawNotActive",
                                path.to_string(),
                                format!(
                                    "Šifra osnova oslobođenja '{code}' nije važila na dan izdavanja ({day})."
                                ),
                                format!(
                                    "Exemption key '{code}' is not active on the issue date ({day})."
                                ),
                            );
                        }
                    }
                }
            }
            return;
        }
        // Without SEF's list: the key families of ubl-profile.md §7.
        let Some(rest) = code.strip_prefix("PDV-RS-") else {
            self.fatal_sef(
                "FSK-EXEMPTION-KEY",
                "UBLTaxExemptionReasonKeyNotDefined",
                path.to_string(),
                format!("Šifra osnova oslobođenja '{code}' mora imati oblik PDV-RS-… (npr. PDV-RS-25-2-3)."),
                format!("Exemption key '{code}' must have the form PDV-RS-… (e.g. PDV-RS-25-2-3)."),
            );
            return;
        };
        let family_ok = match cat {
            VatCategory::AE => rest.starts_with("10-2-") || rest == "36b-6",
            VatCategory::Z => rest.starts_with("24-") || rest == "61",
            VatCategory::E => rest.starts_with("25-"),
            VatCategory::O => rest.starts_with("11-") || rest.starts_with("12-"),
            VatCategory::R => rest == "6-1-1" || rest == "6a",
            VatCategory::OE => rest.starts_with("17-4-"),
            VatCategory::SS => matches!(rest, "33" | "35-7" | "36-5" | "36b-4"),
            VatCategory::N => rest == "N",
            _ => true,
        };
        if !family_ok {
            self.warn(
                "FSK-EXEMPTION-CATEGORY",
                path.to_string(),
                format!(
                    "Šifra osnova oslobođenja '{code}' ne pripada uobičajenoj grupi šifara za kategoriju {cat}; proverite je na SEF-ovoj listi."
                ),
                format!(
                    "Exemption key '{code}' is not in the usual key family of category {cat}; check it against SEF's list."
                ),
            );
        }
    }

    // ------------------------------------------------------------------ totals

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    fn totals(&mut self) {
        let d = self.doc;
        let mp = self.p("cac:LegalMonetaryTotal");
        let Some(m) = &d.monetary_total else {
            self.fatal(
                "BR-12",
                mp,
                "Nedostaju ukupni iznosi dokumenta (LegalMonetaryTotal).".into(),
                "The document totals (LegalMonetaryTotal) are missing.".into(),
            );
            return;
        };
        let checks: [TotalCheck<'_>; 4] = [
            (
                "BR-12",
                "cbc:LineExtensionAmount",
                "UBLLineExtensionAmountMoreDecimalsThanPermitted",
                m.line_extension,
                "zbir neto iznosa stavki",
                "sum of line net amounts (BT-106)",
            ),
            (
                "BR-13",
                "cbc:TaxExclusiveAmount",
                "UBLTaxExclusiveAmountMoreDecimalsThanPermitted",
                m.tax_exclusive,
                "ukupan iznos bez PDV-a",
                "total without VAT (BT-109)",
            ),
            (
                "BR-14",
                "cbc:TaxInclusiveAmount",
                "UBLTaxInclusiveAmountMoreDecimalsThanPermitted",
                m.tax_inclusive,
                "ukupan iznos sa PDV-om",
                "total with VAT (BT-112)",
            ),
            (
                "BR-15",
                "cbc:PayableAmount",
                "UBLPayableAmountMoreDecimalsThanPermitted",
                m.payable,
                "iznos za plaćanje",
                "amount due for payment (BT-115)",
            ),
        ];
        for (rule, el, _, v, sr, en) in checks {
            if v.is_none() {
                self.fatal(
                    rule,
                    format!("{mp}/{el}"),
                    format!("Nedostaje {sr}."),
                    format!("The {en} is missing."),
                );
            }
        }
        let decs: [(
            &'static str,
            &'static str,
            Option<&'static str>,
            Option<Decimal>,
        ); 8] = [
            (
                "BR-DEC-09",
                "cbc:LineExtensionAmount",
                Some(checks[0].2),
                m.line_extension,
            ),
            (
                "BR-DEC-10",
                "cbc:AllowanceTotalAmount",
                Some("UBLAllowanceTotalAmountMoreDecimalsThanPermitted"),
                m.allowance_total,
            ),
            ("BR-DEC-11", "cbc:ChargeTotalAmount", None, m.charge_total),
            (
                "BR-DEC-12",
                "cbc:TaxExclusiveAmount",
                Some(checks[1].2),
                m.tax_exclusive,
            ),
            (
                "BR-DEC-14",
                "cbc:TaxInclusiveAmount",
                Some(checks[2].2),
                m.tax_inclusive,
            ),
            (
                "BR-DEC-16",
                "cbc:PrepaidAmount",
                Some("UBLPrepayedAmountMoreDecimalsThanPermitted"),
                m.prepaid,
            ),
            (
                "BR-DEC-17",
                "cbc:PayableRoundingAmount",
                None,
                m.payable_rounding,
            ),
            (
                "BR-DEC-18",
                "cbc:PayableAmount",
                Some(checks[3].2),
                m.payable,
            ),
        ];
        for (rule, el, sef, v) in decs {
            if let Some(v) = v
                && dp(v) > 2
            {
                self.push(
                    Severity::Fatal,
                    rule,
                    format!("{mp}/{el}"),
                    format!("Iznos {v} u {el} sme imati najviše 2 decimale."),
                    format!("The amount {v} in {el} may have at most 2 decimals."),
                    sef,
                );
            }
        }
        let sum_lines: Decimal = d.lines.iter().filter_map(|l| l.line_extension).sum();
        let (mut allow, mut charge) = (Decimal::ZERO, Decimal::ZERO);
        let (mut n_allow, mut n_charge) = (0, 0);
        for ac in &d.allowance_charges {
            if ac.charge {
                charge += ac.amount.unwrap_or_default();
                n_charge += 1;
            } else {
                allow += ac.amount.unwrap_or_default();
                n_allow += 1;
            }
        }
        if let Some(le) = m.line_extension
            && le != sum_lines
        {
            self.fatal(
                "BR-CO-10",
                format!("{mp}/cbc:LineExtensionAmount"),
                format!("Zbir neto iznosa stavki je {sum_lines}, a u dokumentu piše {le}."),
                format!("The line net amounts add up to {sum_lines}, but the document says {le}."),
            );
        }
        match m.allowance_total {
            Some(a) if a != allow => self.fatal(
                "BR-CO-11",
                format!("{mp}/cbc:AllowanceTotalAmount"),
                format!("Zbir popusta na nivou dokumenta je {allow}, a u dokumentu piše {a}."),
                format!("The document-level allowances add up to {allow}, but the document says {a}."),
            ),
            None if n_allow > 0 => self.fatal(
                "BR-CO-11",
                format!("{mp}/cbc:AllowanceTotalAmount"),
                format!("Dokument ima popuste ({allow}), a nedostaje njihov zbir (AllowanceTotalAmount)."),
                format!("The document has allowances ({allow}) but no AllowanceTotalAmount."),
            ),
            _ => {}
        }
        match m.charge_total {
            Some(c) if c != charge => self.fatal(
                "BR-CO-12",
                format!("{mp}/cbc:ChargeTotalAmount"),
                format!("Zbir troškova na nivou dokumenta je {charge}, a u dokumentu piše {c}."),
                format!(
                    "The document-level charges add up to {charge}, but the document says {c}."
                ),
            ),
            None if n_charge > 0 => self.fatal(
                "BR-CO-12",
                format!("{mp}/cbc:ChargeTotalAmount"),
                format!(
                    "Dokument ima troškove ({charge}), a nedostaje njihov zbir (ChargeTotalAmount)."
                ),
                format!("The document has charges ({charge}) but no ChargeTotalAmount."),
            ),
            _ => {}
        }
        if let (Some(le), Some(te)) = (m.line_extension, m.tax_exclusive) {
            let expected =
                le - m.allowance_total.unwrap_or_default() + m.charge_total.unwrap_or_default();
            if te != expected {
                self.fatal(
                    "BR-CO-13",
                    format!("{mp}/cbc:TaxExclusiveAmount"),
                    format!(
                        "Iznos bez PDV-a je {te}, a zbir stavki − popusti + troškovi daje {expected}."
                    ),
                    format!(
                        "The total without VAT is {te}, but lines − allowances + charges gives {expected}."
                    ),
                );
            }
        }
        let tax = d.main_tax_total().and_then(|t| t.tax_amount);
        if let (Some(te), Some(ti)) = (m.tax_exclusive, m.tax_inclusive) {
            let expected = te + tax.unwrap_or_default();
            if ti != expected {
                self.fatal(
                    "BR-CO-15",
                    format!("{mp}/cbc:TaxInclusiveAmount"),
                    format!(
                        "Iznos sa PDV-om je {ti}, a iznos bez PDV-a {te} + PDV {} daje {expected}.",
                        fmt_opt(tax)
                    ),
                    format!(
                        "The total with VAT is {ti}, but total without VAT {te} + VAT {} gives {expected}.",
                        fmt_opt(tax)
                    ),
                );
            }
        }
        if let (Some(ti), Some(pay)) = (m.tax_inclusive, m.payable) {
            let expected =
                ti - m.prepaid.unwrap_or_default() + m.payable_rounding.unwrap_or_default();
            if pay != expected {
                self.fatal(
                    "BR-CO-16",
                    format!("{mp}/cbc:PayableAmount"),
                    format!(
                        "Iznos za plaćanje je {pay}, a iznos sa PDV-om − avansi + zaokruživanje daje {expected}."
                    ),
                    format!(
                        "The amount due is {pay}, but total with VAT − prepaid + rounding gives {expected}."
                    ),
                );
            }
            if pay > Decimal::ZERO && d.effective_due_date().is_none() && d.payment_terms.is_empty()
            {
                self.fatal(
                    "BR-CO-25",
                    self.root_path(),
                    "Kada postoji iznos za plaćanje, mora se navesti datum dospeća ili uslovi plaćanja.".into(),
                    "When an amount is due, the payment due date (BT-9) or payment terms (BT-20) must be given.".into(),
                );
            }
        }
        if m.prepaid.is_some_and(|p| !p.is_zero()) && d.extension.is_none() {
            self.fatal_sef(
                "FSK-PREPAID-WITHOUT-EXTENSION",
                "UBLInvoiceExtensionNotDefined",
                format!("{mp}/cbc:PrepaidAmount"),
                "Dokument umanjuje iznos za avanse, a nema srpsku ekstenziju sa avansima (SrbDtExt).".into(),
                "The document deducts prepaid amounts but has no Serbian extension listing the advances (SrbDtExt).".into(),
            );
        }
    }

    // ------------------------------------------------------------------ extension

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    fn extension(&mut self) {
        let d = self.doc;
        let Some(ext) = &d.extension else { return };
        let ep = self.p("cec:UBLExtensions/cec:UBLExtension/cec:ExtensionContent/sbt:SrbDtExt");
        if d.document_type() != Some(DocumentType::Invoice) {
            self.fatal_sef(
                "FSK-EXTENSION-TYPE",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                ep.clone(),
                "Ekstenzija sa avansima je dozvoljena samo u konačnoj fakturi (380).".into(),
                "The advance extension is allowed only in a final invoice (380).".into(),
            );
        }
        if ext.prepayments.is_empty() {
            self.fatal_sef(
                "FSK-EXTENSION-ADVANCES",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                format!("{ep}/sbt:InvoicedPrepaymentAmmount"),
                "Ekstenzija ne navodi nijedan avans.".into(),
                "The extension lists no advance.".into(),
            );
        }
        // Advances' sums per group.
        let mut adv: Vec<(GroupKey, Decimal, Decimal)> = Vec::new();
        let mut gross = Decimal::ZERO;
        let mut adv_taxable = Decimal::ZERO;
        for (i, p) in ext.prepayments.iter().enumerate() {
            let pp = format!("{ep}/sbt:InvoicedPrepaymentAmmount[{}]", i + 1);
            match p.id.as_deref().map(str::trim) {
                None | Some("") => self.fatal_sef(
                    "FSK-EXTENSION-ADVANCE-ID",
                    "UBLInvoiceExtensionSrbDtExtNotValid",
                    format!("{pp}/cbc:ID"),
                    "Avans u ekstenziji nema broj avansne fakture.".into(),
                    "An advance in the extension has no advance invoice number.".into(),
                ),
                Some(id) => {
                    if !d
                        .billing_references
                        .iter()
                        .any(|b| b.id.as_deref().map(str::trim) == Some(id))
                    {
                        self.fatal_sef(
                            "FSK-EXTENSION-ADVANCE-REFERENCE",
                            "UBLPrepaymentInvoiceNotFound",
                            format!("{pp}/cbc:ID"),
                            format!(
                                "Avansna faktura {id} iz ekstenzije nije navedena među referencama na prethodne fakture (BillingReference)."
                            ),
                            format!(
                                "Advance invoice {id} in the extension is not listed in the billing references."
                            ),
                        );
                    }
                }
            }
            let mut sub_tax = Decimal::ZERO;
            for (j, s) in p.tax_total.subtotals.iter().enumerate() {
                let cp = format!(
                    "{pp}/cac:TaxTotal/cac:TaxSubtotal[{}]/cac:TaxCategory/cbc:ID",
                    j + 1
                );
                if let Some(cat @ VatCategory::Other(_)) = &s.category.id {
                    self.unknown_category("RSE-01", cat, cp);
                    continue;
                }
                let (ta, tx) = (
                    s.taxable_amount.unwrap_or_default(),
                    s.tax_amount.unwrap_or_default(),
                );
                sub_tax += tx;
                gross += ta + tx;
                adv_taxable += ta;
                if let Some(k) = GroupKey::of(&s.category) {
                    match adv.iter_mut().find(|(g, _, _)| *g == k) {
                        Some((_, a, b)) => {
                            *a += ta;
                            *b += tx;
                        }
                        None => adv.push((k, ta, tx)),
                    }
                }
            }
            if let Some(t) = p.tax_total.tax_amount
                && t != sub_tax
            {
                self.fatal_sef(
                    "FSK-EXTENSION-ADVANCE-TAX",
                    "UBLInvoiceExtensionSrbDtExtNotValid",
                    format!("{pp}/cac:TaxTotal/cbc:TaxAmount"),
                    format!("PDV avansa je {t}, a zbir po međuzbirovima avansa je {sub_tax}."),
                    format!("The advance's VAT is {t}, but its subtotals add up to {sub_tax}."),
                );
            }
        }
        let m = d.monetary_total.clone().unwrap_or_default();
        if let Some(prepaid) = m.prepaid
            && !ext.prepayments.is_empty()
            && prepaid != gross
        {
            self.fatal_sef(
                "FSK-EXTENSION-PREPAID",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                self.p("cac:LegalMonetaryTotal/cbc:PrepaidAmount"),
                format!(
                    "Plaćeni avansi (PrepaidAmount) su {prepaid}, a avansi iz ekstenzije iznose ukupno {gross} sa PDV-om."
                ),
                format!(
                    "PrepaidAmount is {prepaid}, but the advances in the extension total {gross} including VAT."
                ),
            );
        }
        let rp = format!("{ep}/sbt:ReducedTotals");
        let Some(red) = &ext.reduced_totals else {
            self.fatal_sef(
                "FSK-EXTENSION-REDUCED",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                rp,
                "Ekstenzija nema umanjene iznose (ReducedTotals).".into(),
                "The extension has no reduced totals (ReducedTotals).".into(),
            );
            return;
        };
        // RSE-02 and reduced subtotals = final − advances.
        let final_subs: Vec<(GroupKey, Decimal, Decimal)> = d
            .main_tax_total()
            .map(|t| {
                t.subtotals
                    .iter()
                    .filter_map(|s| {
                        GroupKey::of(&s.category).map(|k| {
                            (
                                k,
                                s.taxable_amount.unwrap_or_default(),
                                s.tax_amount.unwrap_or_default(),
                            )
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut red_tax_sum = Decimal::ZERO;
        for (j, s) in red.tax_total.subtotals.iter().enumerate() {
            let sp = format!("{rp}/cac:TaxTotal/cac:TaxSubtotal[{}]", j + 1);
            if let Some(cat @ VatCategory::Other(_)) = &s.category.id {
                self.unknown_category("RSE-02", cat, format!("{sp}/cac:TaxCategory/cbc:ID"));
                continue;
            }
            red_tax_sum += s.tax_amount.unwrap_or_default();
            let Some(k) = GroupKey::of(&s.category) else {
                continue;
            };
            let (ft, fx) = final_subs
                .iter()
                .find(|(g, _, _)| *g == k)
                .map_or((Decimal::ZERO, Decimal::ZERO), |(_, a, b)| (*a, *b));
            let (at, ax) = adv
                .iter()
                .find(|(g, _, _)| *g == k)
                .map_or((Decimal::ZERO, Decimal::ZERO), |(_, a, b)| (*a, *b));
            if s.taxable_amount != Some(ft - at) || s.tax_amount != Some(fx - ax) {
                let label = k.label();
                self.fatal_sef(
                    "FSK-EXTENSION-REDUCED",
                    "UBLInvoiceExtensionSrbDtExtNotValid",
                    sp,
                    format!(
                        "Umanjena osnovica i PDV za {label} moraju biti osnovica i PDV fakture umanjeni za avanse: {} i {}, a navedeno je {} i {}.",
                        ft - at,
                        fx - ax,
                        fmt_opt(s.taxable_amount),
                        fmt_opt(s.tax_amount)
                    ),
                    format!(
                        "The reduced base and VAT for {label} must be the invoice's minus the advances': {} and {}, not {} and {}.",
                        ft - at,
                        fx - ax,
                        fmt_opt(s.taxable_amount),
                        fmt_opt(s.tax_amount)
                    ),
                );
            }
        }
        for (k, at, _) in &adv {
            if !final_subs.iter().any(|(g, _, _)| g == k) {
                let label = k.label();
                self.fatal_sef(
                    "FSK-EXTENSION-RATES",
                    "PrepaymentInvoicesVatRatesDiffersFromInvoiceVatRates",
                    format!("{ep}/sbt:InvoicedPrepaymentAmmount"),
                    format!(
                        "Avans sadrži osnovicu {at} za {label}, a konačna faktura nema tu kategoriju i stopu."
                    ),
                    format!(
                        "An advance has a base of {at} for {label}, which the final invoice does not have."
                    ),
                );
            }
        }
        if let Some(t) = red.tax_total.tax_amount
            && t != red_tax_sum
        {
            self.fatal_sef(
                "FSK-EXTENSION-REDUCED",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                format!("{rp}/cac:TaxTotal/cbc:TaxAmount"),
                format!("Umanjeni PDV je {t}, a zbir umanjenih međuzbirova je {red_tax_sum}."),
                format!(
                    "The reduced VAT is {t}, but the reduced subtotals add up to {red_tax_sum}."
                ),
            );
        }
        let rm = &red.monetary_total;
        if let (Some(hi), Some(rti)) = (m.tax_inclusive, rm.tax_inclusive) {
            let expected = hi - m.prepaid.unwrap_or_default();
            if rti != expected {
                self.fatal(
                    "RSE-03",
                    format!("{rp}/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
                    format!(
                        "Umanjeni iznos sa PDV-om je {rti}, a mora biti iznos sa PDV-om {hi} umanjen za avanse: {expected}."
                    ),
                    format!(
                        "The reduced total with VAT is {rti}; it must be the total with VAT {hi} minus the prepaid amount: {expected}."
                    ),
                );
            }
        }
        if let (Some(hte), Some(rte)) = (m.tax_exclusive, rm.tax_exclusive)
            && rte != hte - adv_taxable
        {
            self.fatal_sef(
                "FSK-EXTENSION-REDUCED",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                format!("{rp}/cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"),
                format!(
                    "Umanjeni iznos bez PDV-a je {rte}, a mora biti {}.",
                    hte - adv_taxable
                ),
                format!(
                    "The reduced total without VAT is {rte}; it must be {}.",
                    hte - adv_taxable
                ),
            );
        }
        if let (Some(hp), Some(rpay)) = (m.payable, rm.payable)
            && rpay != hp
        {
            self.fatal_sef(
                "FSK-EXTENSION-REDUCED",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                format!("{rp}/cac:LegalMonetaryTotal/cbc:PayableAmount"),
                format!(
                    "Umanjeni iznos za plaćanje je {rpay}, a iznos za plaćanje fakture je {hp}."
                ),
                format!("The reduced amount due is {rpay}, but the invoice's amount due is {hp}."),
            );
        }
    }
}

/// (rule, element, SEF decimals code, value, Serbian name, English name) of a mandatory total.
type TotalCheck<'s> = (
    &'static str,
    &'static str,
    &'static str,
    Option<Decimal>,
    &'s str,
    &'s str,
);

#[derive(Clone, Copy)]
enum Level {
    Line,
    Doc,
}
