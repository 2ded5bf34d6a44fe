//! Reads UBL 2.1 XML into a [`Document`], for any document (also ones fiskal did not write).
//!
//! Three steps: quick-xml builds a small element tree (a malformed document is a
//! [`ParseError`] with line and column); a structural pass checks every aggregate fiskal knows
//! against the child order and cardinality of the OASIS XSDs (`schema/`, generated), reported as
//! findings with rule id `XSD`; then the tree is mapped onto the model, where values that are not
//! valid dates, decimals or booleans are reported as `XSD` findings too.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::finding::{Finding, Severity};
use crate::limits::XmlLimits;
use crate::model::*;
use crate::schema;
pub use crate::tree::ParseError;
use crate::tree::{Lines, Node, build_tree};
use crate::{NS_CREDIT_NOTE, NS_INVOICE};

/// Most `XSD` findings one document gets; past it one more finding says the list was cut short
/// (a document of 100,000 stray elements would otherwise produce 100,000 sentences).
pub const MAX_STRUCTURE_FINDINGS: usize = 1000;

struct Ctx {
    lines: Lines,
    findings: Vec<Finding>,
    structure_findings: usize,
    currency_uses: Vec<(String, Option<String>)>,
}

impl Ctx {
    fn xsd(&mut self, node_pos: u64, path: String, sr: String, en: String) {
        self.structure_findings += 1;
        if self.structure_findings > MAX_STRUCTURE_FINDINGS {
            return;
        }
        let line = Some(self.lines.line(node_pos));
        self.findings.push(Finding {
            rule_id: "XSD",
            path,
            severity: Severity::Fatal,
            message_sr: sr,
            message_en: en,
            sef_code: Some("UBLDocumentNotValid"),
            line,
        });
    }

    /// The closing note when [`MAX_STRUCTURE_FINDINGS`] cut the list short.
    fn note_cut_findings(&mut self) {
        let more = self
            .structure_findings
            .saturating_sub(MAX_STRUCTURE_FINDINGS);
        if more > 0 {
            self.findings.push(Finding {
                rule_id: "XSD",
                path: String::new(),
                severity: Severity::Fatal,
                message_sr: format!(
                    "Još {more} grešaka strukture nije navedeno (navodi se najviše {MAX_STRUCTURE_FINDINGS})."
                ),
                message_en: format!(
                    "{more} more structure errors are not listed (at most {MAX_STRUCTURE_FINDINGS} are)."
                ),
                sef_code: Some("UBLDocumentNotValid"),
                line: None,
            });
        }
    }

    fn structure(&mut self, node: &Node, path: &str, table: &'static [schema::Particle]) {
        let mut idx = 0usize; // position in the table
        let mut count = 0u32; // occurrences of table[idx]
        let mut seen_index: HashMap<&str, u32> = HashMap::new();
        for child in &node.children {
            let n = {
                let c = seen_index.entry(child.name.as_str()).or_insert(0);
                *c += 1;
                *c
            };
            let cpath = format!("{path}/{}[{n}]", child.name);
            match table.iter().position(|(q, _, _)| *q == child.name) {
                None => {
                    self.xsd(
                        child.pos,
                        cpath,
                        format!(
                            "Element {} nije dozvoljen unutar {} (UBL 2.1 šema).",
                            child.name, node.name
                        ),
                        format!(
                            "Element {} is not allowed inside {} (UBL 2.1 schema).",
                            child.name, node.name
                        ),
                    );
                    continue;
                }
                Some(p) if p < idx => {
                    self.xsd(
                        child.pos,
                        cpath,
                        format!(
                            "Element {} je na pogrešnom mestu: u {} mora da stoji pre elementa {} (redosled UBL 2.1 šeme).",
                            child.name, node.name, table[idx].0
                        ),
                        format!(
                            "Element {} is out of order: inside {} it must come before {} (UBL 2.1 schema order).",
                            child.name, node.name, table[idx].0
                        ),
                    );
                    continue;
                }
                Some(p) if p == idx => count += 1,
                Some(p) => {
                    self.check_missing(node, path, table, idx, count, p);
                    idx = p;
                    count = 1;
                }
            }
            let (_, _, max) = table[idx];
            if max != 0 && count > max {
                self.xsd(
                    child.pos,
                    cpath.clone(),
                    format!(
                        "Element {} sme da se pojavi najviše {max} put(a) unutar {}.",
                        child.name, node.name
                    ),
                    format!(
                        "Element {} may occur at most {max} time(s) inside {}.",
                        child.name, node.name
                    ),
                );
            }
            self.descend(child, &cpath);
        }
        self.check_missing(node, path, table, idx, count, table.len());
        if !node.text.trim().is_empty() {
            self.xsd(
                node.pos,
                path.to_string(),
                format!("Element {} ne sme da sadrži tekst.", node.name),
                format!("Element {} must not contain text.", node.name),
            );
        }
    }

    fn check_missing(
        &mut self,
        node: &Node,
        path: &str,
        table: &'static [schema::Particle],
        idx: usize,
        count: u32,
        upto: usize,
    ) {
        for (i, (q, min, _)) in table.iter().enumerate().take(upto).skip(idx) {
            let have = if i == idx { count } else { 0 };
            if have < *min {
                self.xsd(
                    node.pos,
                    format!("{path}/{q}"),
                    format!("Nedostaje obavezni element {q} unutar {}.", node.name),
                    format!("The mandatory element {q} is missing inside {}.", node.name),
                );
            }
        }
    }

    fn descend(&mut self, node: &Node, path: &str) {
        if node.name.starts_with("cac:") {
            if let Some(t) = schema::aggregate_type(&node.name) {
                self.structure(node, path, t);
            }
        } else if node.name.starts_with("cbc:") && !node.children.is_empty() {
            self.xsd(
                node.pos,
                path.to_string(),
                format!(
                    "Element {} sme da sadrži samo vrednost, ne i druge elemente.",
                    node.name
                ),
                format!(
                    "Element {} may contain only a value, not other elements.",
                    node.name
                ),
            );
        }
    }

    // ---- typed values ----

    fn text(&mut self, node: &Node, name: &str) -> Option<String> {
        node.child(name).map(Node::value)
    }

    fn date(&mut self, node: &Node, name: &str, path: &str) -> Option<NaiveDate> {
        let c = node.child(name)?;
        let v = c.value();
        match parse_date(&v) {
            Some(d) => Some(d),
            None => {
                self.xsd(
                    c.pos,
                    format!("{path}/{name}"),
                    format!("Vrednost \"{v}\" u elementu {name} nije datum oblika GGGG-MM-DD."),
                    format!("The value \"{v}\" of {name} is not a date of the form YYYY-MM-DD."),
                );
                None
            }
        }
    }

    fn decimal_node(&mut self, c: &Node, path: String) -> Option<Decimal> {
        let v = c.value();
        match parse_decimal(&v) {
            Some(d) => Some(d),
            None => {
                self.xsd(
                    c.pos,
                    path,
                    format!(
                        "Vrednost \"{v}\" u elementu {} nije broj (decimalna tačka, bez razmaka i eksponenta).",
                        c.name
                    ),
                    format!(
                        "The value \"{v}\" of {} is not a decimal number (decimal point, no spaces or exponent).",
                        c.name
                    ),
                );
                None
            }
        }
    }

    fn decimal(&mut self, node: &Node, name: &str, path: &str) -> Option<Decimal> {
        let c = node.child(name)?;
        self.decimal_node(c, format!("{path}/{name}"))
    }

    fn amount(&mut self, node: &Node, name: &str, path: &str) -> Option<Decimal> {
        let c = node.child(name)?;
        let p = format!("{path}/{name}");
        match c.attr("currencyID") {
            Some(cur) => self
                .currency_uses
                .push((p.clone(), Some(cur.trim().to_string()))),
            None => {
                self.xsd(
                    c.pos,
                    p.clone(),
                    format!("Iznos {name} nema obavezni atribut currencyID."),
                    format!("The amount {name} lacks the mandatory currencyID attribute."),
                );
            }
        }
        self.decimal_node(c, p)
    }
}

/// Parses `xs:date` (`YYYY-MM-DD`, an optional time zone is ignored).
pub(crate) fn parse_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    if v.len() < 10 || !v.is_char_boundary(10) {
        return None;
    }
    let (d, tz) = v.split_at(10);
    let tz_ok = tz.is_empty()
        || tz == "Z"
        || (tz.len() == 6
            && (tz.starts_with('+') || tz.starts_with('-'))
            && tz.as_bytes()[3] == b':');
    if !tz_ok {
        return None;
    }
    NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()
}

/// Parses `xs:decimal`: optional sign, digits, optional fraction; no exponent, no separators.
pub(crate) fn parse_decimal(v: &str) -> Option<Decimal> {
    let v = v.trim();
    let body = v.strip_prefix(['+', '-']).unwrap_or(v);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|c| c.is_ascii_digit()) || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut s = String::with_capacity(v.len() + 1);
    if v.starts_with('-') {
        s.push('-');
    }
    s.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        s.push('.');
        s.push_str(frac);
    }
    s.parse().ok()
}

/// Reads a UBL document and returns it with the structural findings (rule id `XSD`: element
/// order and cardinality of the OASIS schema, malformed values, missing `currencyID`; and
/// `FSK-CUR` for amounts in a currency other than the document's). The document is read within
/// [`XmlLimits::DEFAULT`].
pub fn read_with_findings(xml: &str) -> Result<(Document, Vec<Finding>), ParseError> {
    read_with_limits(xml, &XmlLimits::DEFAULT)
}

/// [`read_with_findings`] within other bounds; a document past one is a [`ParseError::Limit`].
pub fn read_with_limits(
    xml: &str,
    limits: &XmlLimits,
) -> Result<(Document, Vec<Finding>), ParseError> {
    let src = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let (tree, uri) = build_tree(src, limits)?;
    let root = match (tree.name.as_str(), uri.as_str()) {
        ("Invoice", NS_INVOICE) => Root::Invoice,
        ("CreditNote", NS_CREDIT_NOTE) => Root::CreditNote,
        _ => {
            let name = tree
                .name
                .rsplit(['}', ':'])
                .next()
                .unwrap_or(&tree.name)
                .to_string();
            return Err(ParseError::NotUbl {
                name,
                namespace: uri,
            });
        }
    };
    let mut cx = Ctx {
        lines: Lines::new(src),
        findings: Vec::new(),
        structure_findings: 0,
        currency_uses: Vec::new(),
    };
    if src.len() != xml.len() {
        cx.findings.push(Finding {
            rule_id: "FSK-BOM",
            path: String::new(),
            severity: Severity::Warning,
            message_sr: "Dokument počinje oznakom BOM; SEF očekuje UTF-8 bez BOM-a.".into(),
            message_en:
                "The document starts with a byte-order mark; SEF expects UTF-8 without BOM.".into(),
            sef_code: None,
            line: Some(1),
        });
    }
    let rp = format!("/{}", root.name());
    let table = match root {
        Root::Invoice => schema::INVOICE,
        Root::CreditNote => schema::CREDITNOTE,
    };
    cx.structure(&tree, &rp, table);
    let doc = map_document(&mut cx, &tree, root, &rp);
    cx.note_cut_findings();
    let cur = doc.currency.clone();
    let tax_cur = doc.tax_currency.clone();
    for (path, c) in std::mem::take(&mut cx.currency_uses) {
        let ok = c.as_deref() == cur.as_deref()
            || (tax_cur.is_some()
                && c.as_deref() == tax_cur.as_deref()
                && path.contains("TaxTotal"));
        if !ok && cur.is_some() {
            let c = c.unwrap_or_default();
            let d = cur.clone().unwrap_or_default();
            cx.findings.push(Finding {
                rule_id: "FSK-CUR",
                path,
                severity: Severity::Fatal,
                message_sr: format!(
                    "Iznos je iskazan u valuti {c}, a valuta dokumenta je {d}; svi iznosi moraju biti u valuti dokumenta."
                ),
                message_en: format!(
                    "The amount is in currency {c} but the document currency is {d}; every amount must be in the document currency."
                ),
                sef_code: Some("UBLDocumentNotValid"),
                line: None,
            });
        }
    }
    Ok((doc, cx.findings))
}

/// Reads a UBL document into the model (structural findings are dropped; use
/// [`read_with_findings`] or [`crate::validate_xml`] to see them).
pub fn read(xml: &str) -> Result<Document, ParseError> {
    read_with_findings(xml).map(|(d, _)| d)
}

fn idx(path: &str, name: &str, i: usize) -> String {
    format!("{path}/{name}[{}]", i + 1)
}

fn map_document(cx: &mut Ctx, n: &Node, root: Root, p: &str) -> Document {
    let mut d = Document::empty(root);
    if let Some(ext) = n
        .child("cec:UBLExtensions")
        .and_then(|e| e.child("cec:UBLExtension"))
        .and_then(|e| e.child("cec:ExtensionContent"))
        .and_then(|e| e.child("sbt:SrbDtExt"))
    {
        let ep =
            format!("{p}/cec:UBLExtensions/cec:UBLExtension/cec:ExtensionContent/sbt:SrbDtExt");
        let mut x = SrbDtExt::default();
        for (i, pre) in ext.all("sbt:InvoicedPrepaymentAmmount").enumerate() {
            let pp = idx(&ep, "sbt:InvoicedPrepaymentAmmount", i);
            x.prepayments.push(PrepaymentAmount {
                id: cx.text(pre, "cbc:ID"),
                tax_total: pre
                    .child("cac:TaxTotal")
                    .map(|t| map_tax_total(cx, t, &format!("{pp}/cac:TaxTotal")))
                    .unwrap_or_default(),
            });
        }
        if let Some(r) = ext.child("sbt:ReducedTotals") {
            let rp = format!("{ep}/sbt:ReducedTotals");
            x.reduced_totals = Some(ReducedTotals {
                tax_total: r
                    .child("cac:TaxTotal")
                    .map(|t| map_tax_total(cx, t, &format!("{rp}/cac:TaxTotal")))
                    .unwrap_or_default(),
                monetary_total: r
                    .child("cac:LegalMonetaryTotal")
                    .map(|m| map_monetary(cx, m, &format!("{rp}/cac:LegalMonetaryTotal")))
                    .unwrap_or_default(),
            });
        }
        d.extension = Some(x);
    }
    d.customization_id = cx.text(n, "cbc:CustomizationID");
    d.id = cx.text(n, "cbc:ID");
    d.issue_date = cx.date(n, "cbc:IssueDate", p);
    d.due_date = cx.date(n, "cbc:DueDate", p);
    d.type_code = cx.text(
        n,
        match root {
            Root::Invoice => "cbc:InvoiceTypeCode",
            Root::CreditNote => "cbc:CreditNoteTypeCode",
        },
    );
    d.notes = n.all("cbc:Note").map(Node::value).collect();
    d.tax_point_date = cx.date(n, "cbc:TaxPointDate", p);
    d.currency = cx.text(n, "cbc:DocumentCurrencyCode");
    d.tax_currency = cx.text(n, "cbc:TaxCurrencyCode");
    d.buyer_reference = cx.text(n, "cbc:BuyerReference");
    for (i, per) in n.all("cac:InvoicePeriod").enumerate() {
        let pp = idx(p, "cac:InvoicePeriod", i);
        d.invoice_periods.push(map_period(cx, per, &pp));
    }
    d.order_reference = n
        .child("cac:OrderReference")
        .and_then(|o| cx.text(o, "cbc:ID"));
    for (i, b) in n.all("cac:BillingReference").enumerate() {
        let bp = format!(
            "{}/cac:InvoiceDocumentReference",
            idx(p, "cac:BillingReference", i)
        );
        let r = b.child("cac:InvoiceDocumentReference");
        d.billing_references.push(match r {
            Some(r) => BillingReference {
                id: cx.text(r, "cbc:ID"),
                issue_date: cx.date(r, "cbc:IssueDate", &bp),
                document_type_code: cx.text(r, "cbc:DocumentTypeCode"),
            },
            None => BillingReference::default(),
        });
    }
    let ids = |n: &Node, name: &str| -> Vec<String> {
        n.all(name)
            .map(|r| r.child("cbc:ID").map(Node::value).unwrap_or_default())
            .collect()
    };
    d.despatch_references = ids(n, "cac:DespatchDocumentReference");
    d.receipt_references = ids(n, "cac:ReceiptDocumentReference");
    d.originator_references = ids(n, "cac:OriginatorDocumentReference");
    d.contract_references = ids(n, "cac:ContractDocumentReference");
    d.project_references = ids(n, "cac:ProjectReference");
    for a in n.all("cac:AdditionalDocumentReference") {
        let obj = a
            .child("cac:Attachment")
            .and_then(|x| x.child("cbc:EmbeddedDocumentBinaryObject"));
        d.additional_documents.push(AdditionalDocument {
            id: cx.text(a, "cbc:ID"),
            mime_code: obj.and_then(|o| o.attr("mimeCode").map(str::to_string)),
            filename: obj.and_then(|o| o.attr("filename").map(str::to_string)),
            content_base64: obj.map(Node::value),
        });
    }
    d.supplier = n
        .child("cac:AccountingSupplierParty")
        .and_then(|s| s.child("cac:Party"))
        .map(map_party);
    d.customer = n
        .child("cac:AccountingCustomerParty")
        .and_then(|s| s.child("cac:Party"))
        .map(map_party);
    d.payee = n.child("cac:PayeeParty").map(map_party);
    d.tax_representative = n.child("cac:TaxRepresentativeParty").map(map_party);
    for (i, del) in n.all("cac:Delivery").enumerate() {
        let dp = idx(p, "cac:Delivery", i);
        d.deliveries
            .push(cx.date(del, "cbc:ActualDeliveryDate", &dp));
    }
    for (i, pm) in n.all("cac:PaymentMeans").enumerate() {
        let pp = idx(p, "cac:PaymentMeans", i);
        d.payment_means.push(PaymentMeans {
            code: cx.text(pm, "cbc:PaymentMeansCode"),
            due_date: cx.date(pm, "cbc:PaymentDueDate", &pp),
            payment_id: cx.text(pm, "cbc:PaymentID"),
            payee_account: pm
                .child("cac:PayeeFinancialAccount")
                .and_then(|a| a.child("cbc:ID"))
                .map(Node::value),
        });
    }
    d.payment_terms = n
        .all("cac:PaymentTerms")
        .filter_map(|t| t.child("cbc:Note").map(Node::value))
        .collect();
    for (i, ac) in n.all("cac:AllowanceCharge").enumerate() {
        let ap = idx(p, "cac:AllowanceCharge", i);
        d.allowance_charges.push(map_allowance(cx, ac, &ap));
    }
    for (i, t) in n.all("cac:TaxTotal").enumerate() {
        let tp = idx(p, "cac:TaxTotal", i);
        d.tax_totals.push(map_tax_total(cx, t, &tp));
    }
    d.monetary_total = n
        .child("cac:LegalMonetaryTotal")
        .map(|m| map_monetary(cx, m, &format!("{p}/cac:LegalMonetaryTotal")));
    let (line_name, qty_name) = match root {
        Root::Invoice => ("cac:InvoiceLine", "cbc:InvoicedQuantity"),
        Root::CreditNote => ("cac:CreditNoteLine", "cbc:CreditedQuantity"),
    };
    for (i, l) in n.all(line_name).enumerate() {
        let lp = idx(p, line_name, i);
        d.lines.push(map_line(cx, l, &lp, qty_name));
    }
    d
}

fn map_period(cx: &mut Ctx, per: &Node, pp: &str) -> InvoicePeriod {
    InvoicePeriod {
        start: cx.date(per, "cbc:StartDate", pp),
        end: cx.date(per, "cbc:EndDate", pp),
        description_code: cx.text(per, "cbc:DescriptionCode"),
    }
}

fn map_party(n: &Node) -> Party {
    let t = |n: &Node, name: &str| n.child(name).map(Node::value);
    Party {
        endpoint_id: t(n, "cbc:EndpointID"),
        endpoint_scheme: n
            .child("cbc:EndpointID")
            .and_then(|e| e.attr("schemeID").map(str::to_string)),
        identifications: n
            .all("cac:PartyIdentification")
            .filter_map(|pi| pi.child("cbc:ID"))
            .map(|id| PartyId {
                id: id.value(),
                scheme: id.attr("schemeID").map(str::to_string),
            })
            .collect(),
        name: n.child("cac:PartyName").and_then(|x| t(x, "cbc:Name")),
        address: n.child("cac:PostalAddress").map(|a| Address {
            street: t(a, "cbc:StreetName"),
            additional_street: t(a, "cbc:AdditionalStreetName"),
            city: t(a, "cbc:CityName"),
            postal_zone: t(a, "cbc:PostalZone"),
            country_subentity: t(a, "cbc:CountrySubentity"),
            address_line: a.child("cac:AddressLine").and_then(|l| t(l, "cbc:Line")),
            country: a
                .child("cac:Country")
                .and_then(|c| t(c, "cbc:IdentificationCode")),
        }),
        tax_schemes: n
            .all("cac:PartyTaxScheme")
            .map(|s| PartyTaxScheme {
                company_id: t(s, "cbc:CompanyID"),
                tax_scheme: s.child("cac:TaxScheme").and_then(|x| t(x, "cbc:ID")),
            })
            .collect(),
        legal_entity: n.child("cac:PartyLegalEntity").map(|l| LegalEntity {
            registration_name: t(l, "cbc:RegistrationName"),
            company_id: t(l, "cbc:CompanyID"),
            company_id_scheme: l
                .child("cbc:CompanyID")
                .and_then(|c| c.attr("schemeID").map(str::to_string)),
        }),
        contact: n.child("cac:Contact").map(|c| Contact {
            name: t(c, "cbc:Name"),
            telephone: t(c, "cbc:Telephone"),
            email: t(c, "cbc:ElectronicMail"),
        }),
    }
}

fn map_tax_category(cx: &mut Ctx, n: &Node, path: &str) -> TaxCategory {
    TaxCategory {
        id: n.child("cbc:ID").map(|c| VatCategory::parse(&c.text)),
        percent: cx.decimal(n, "cbc:Percent", path),
        exemption_reason_code: cx.text(n, "cbc:TaxExemptionReasonCode"),
        exemption_reason: cx.text(n, "cbc:TaxExemptionReason"),
        tax_scheme: n
            .child("cac:TaxScheme")
            .and_then(|s| s.child("cbc:ID"))
            .map(Node::value),
    }
}

fn map_allowance(cx: &mut Ctx, n: &Node, p: &str) -> AllowanceCharge {
    let charge = match n.child("cbc:ChargeIndicator") {
        Some(c) => match c.value().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            v => {
                cx.xsd(
                    c.pos,
                    format!("{p}/cbc:ChargeIndicator"),
                    format!("ChargeIndicator mora biti true ili false, a ne \"{v}\"."),
                    format!("ChargeIndicator must be true or false, not \"{v}\"."),
                );
                false
            }
        },
        None => false,
    };
    AllowanceCharge {
        charge,
        reason_code: cx.text(n, "cbc:AllowanceChargeReasonCode"),
        reason: cx.text(n, "cbc:AllowanceChargeReason"),
        multiplier: cx.decimal(n, "cbc:MultiplierFactorNumeric", p),
        amount: cx.amount(n, "cbc:Amount", p),
        base_amount: cx.amount(n, "cbc:BaseAmount", p),
        tax_category: n
            .child("cac:TaxCategory")
            .map(|t| map_tax_category(cx, t, &format!("{p}/cac:TaxCategory"))),
    }
}

fn map_tax_total(cx: &mut Ctx, n: &Node, p: &str) -> TaxTotal {
    let currency = n
        .child("cbc:TaxAmount")
        .and_then(|a| a.attr("currencyID").map(|c| c.trim().to_string()));
    let tax_amount = cx.amount(n, "cbc:TaxAmount", p);
    let mut subtotals = Vec::new();
    for (i, s) in n.all("cac:TaxSubtotal").enumerate() {
        let sp = idx(p, "cac:TaxSubtotal", i);
        subtotals.push(TaxSubtotal {
            taxable_amount: cx.amount(s, "cbc:TaxableAmount", &sp),
            tax_amount: cx.amount(s, "cbc:TaxAmount", &sp),
            category: s
                .child("cac:TaxCategory")
                .map(|t| map_tax_category(cx, t, &format!("{sp}/cac:TaxCategory")))
                .unwrap_or(TaxCategory {
                    id: None,
                    percent: None,
                    exemption_reason_code: None,
                    exemption_reason: None,
                    tax_scheme: None,
                }),
        });
    }
    TaxTotal {
        tax_amount,
        currency,
        subtotals,
    }
}

fn map_monetary(cx: &mut Ctx, n: &Node, p: &str) -> MonetaryTotal {
    MonetaryTotal {
        line_extension: cx.amount(n, "cbc:LineExtensionAmount", p),
        tax_exclusive: cx.amount(n, "cbc:TaxExclusiveAmount", p),
        tax_inclusive: cx.amount(n, "cbc:TaxInclusiveAmount", p),
        allowance_total: cx.amount(n, "cbc:AllowanceTotalAmount", p),
        charge_total: cx.amount(n, "cbc:ChargeTotalAmount", p),
        prepaid: cx.amount(n, "cbc:PrepaidAmount", p),
        payable_rounding: cx.amount(n, "cbc:PayableRoundingAmount", p),
        payable: cx.amount(n, "cbc:PayableAmount", p),
    }
}

fn map_line(cx: &mut Ctx, n: &Node, p: &str, qty_name: &str) -> Line {
    let q = n.child(qty_name);
    let mut l = Line {
        id: cx.text(n, "cbc:ID"),
        note: cx.text(n, "cbc:Note"),
        quantity: q.and_then(|q| cx.decimal_node(q, format!("{p}/{qty_name}"))),
        unit_code: q.and_then(|q| q.attr("unitCode").map(|u| u.trim().to_string())),
        line_extension: cx.amount(n, "cbc:LineExtensionAmount", p),
        period: n
            .child("cac:InvoicePeriod")
            .map(|per| map_period(cx, per, &format!("{p}/cac:InvoicePeriod"))),
        order_line_reference: n
            .child("cac:OrderLineReference")
            .and_then(|o| o.child("cbc:LineID"))
            .map(Node::value),
        ..Line::default()
    };
    for (i, ac) in n.all("cac:AllowanceCharge").enumerate() {
        let ap = idx(p, "cac:AllowanceCharge", i);
        l.allowance_charges.push(map_allowance(cx, ac, &ap));
    }
    if let Some(it) = n.child("cac:Item") {
        let ip = format!("{p}/cac:Item");
        let sub_id = |name: &str| {
            it.child(name)
                .and_then(|x| x.child("cbc:ID"))
                .map(Node::value)
        };
        l.item = Item {
            description: cx.text(it, "cbc:Description"),
            name: cx.text(it, "cbc:Name"),
            buyers_id: sub_id("cac:BuyersItemIdentification"),
            sellers_id: sub_id("cac:SellersItemIdentification"),
            standard_id: it
                .child("cac:StandardItemIdentification")
                .and_then(|x| x.child("cbc:ID"))
                .map(|id| (id.value(), id.attr("schemeID").map(str::to_string))),
            tax_category: it
                .child("cac:ClassifiedTaxCategory")
                .map(|t| map_tax_category(cx, t, &format!("{ip}/cac:ClassifiedTaxCategory"))),
        };
    }
    if let Some(pr) = n.child("cac:Price") {
        let pp = format!("{p}/cac:Price");
        let bq = pr.child("cbc:BaseQuantity");
        l.price = Some(Price {
            amount: cx.amount(pr, "cbc:PriceAmount", &pp),
            base_quantity: bq.and_then(|b| cx.decimal_node(b, format!("{pp}/cbc:BaseQuantity"))),
            base_unit_code: bq.and_then(|b| b.attr("unitCode").map(str::to_string)),
        });
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_follow_xsd() {
        assert_eq!(
            parse_decimal("5000.00").map(|d| d.to_string()).as_deref(),
            Some("5000.00")
        );
        assert_eq!(
            parse_decimal(".5").map(|d| d.to_string()).as_deref(),
            Some("0.5")
        );
        assert_eq!(
            parse_decimal("-1.").map(|d| d.to_string()).as_deref(),
            Some("-1")
        );
        for bad in ["1e5", "1,5", "", ".", "1 000", "1_000", "+-1"] {
            assert!(parse_decimal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn dates_follow_xsd() {
        assert!(parse_date("2026-11-25").is_some());
        assert!(parse_date("2026-11-25+01:00").is_some());
        assert!(parse_date("2026-11-25Z").is_some());
        assert!(parse_date("25.11.2026").is_none());
        assert!(parse_date("2026-02-30").is_none());
    }

    #[test]
    fn malformed_xml_reports_line_and_column() {
        let xml = "<?xml version=\"1.0\"?>\n<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">\n  <a>\n</Invoice>";
        match read(xml) {
            Err(ParseError::Malformed { line, .. }) => assert_eq!(line, 4),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_root_and_doctype_are_refused() {
        assert!(matches!(
            read("<Order xmlns=\"urn:x\"/>"),
            Err(ParseError::NotUbl { .. })
        ));
        assert!(matches!(read("<Invoice/>"), Err(ParseError::NotUbl { .. })));
        assert!(matches!(
            read("<!DOCTYPE x [<!ENTITY a \"b\">]><Invoice/>"),
            Err(ParseError::Doctype { line: 1 })
        ));
        assert!(matches!(read("   "), Err(ParseError::Empty)));
    }
}
