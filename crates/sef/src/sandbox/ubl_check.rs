//! The sandbox's checks of an uploaded document, layers 1 and 2 of `sef-api.md` §12
//! (well-formedness and structure; the rules of `ubl-profile.md` that SEF enforces). Layer 3
//! (registry and state) lives in the state module because it needs the sandbox's data.

use std::collections::HashSet;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::DocumentType;
use crate::sandbox::fixtures;
use crate::xml::{Element, NS_CREDIT_NOTE, NS_INVOICE};

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
    /// Buyer JBKJS (`JBKJS:` prefix and spaces removed), when given.
    pub buyer_jbkjs: Option<String>,
    /// Whether the buyer's PartyIdentification had a JBKJS-like value without the prefix.
    pub buyer_party_identification_raw: Option<String>,
    /// Contract, order or lot number present.
    pub has_contract_or_order: bool,
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
    /// Exemption keys used.
    pub exemption_keys: Vec<String>,
    /// Supplier name.
    pub supplier_name: Option<String>,
}

fn date_at(root: &Element, path: &str, field: &str) -> Result<Option<NaiveDate>, Refusal> {
    match root.text_at(path) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                refuse(
                    "UBLDocumentNotValid",
                    format!("{field} is not a date (YYYY-MM-DD)."),
                    Some(field),
                )
            }),
    }
}

fn dec(el: &Element, field: &str) -> Result<Decimal, Refusal> {
    Decimal::from_str(el.text.trim()).map_err(|_| {
        refuse(
            "UBLDocumentNotValid",
            format!("{field} is not a decimal number."),
            Some(field),
        )
    })
}

fn only_digits(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Layer 1 and 2 checks. `credit_note_codes` are the BT-8 values accepted on a 381.
#[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
pub fn check_document(
    xml: &[u8],
    credit_note_codes: &[String],
    rules: bool,
) -> Result<ParsedDocument, Refusal> {
    let text = std::str::from_utf8(xml)
        .map_err(|_| refuse("XmlInvalid", "The document is not UTF-8.", None))?;
    let root = Element::parse(text).map_err(|e| refuse("XmlInvalid", e.to_string(), None))?;
    let (is_credit, line_name, qty_name) = match (root.ns.as_str(), root.name.as_str()) {
        (NS_INVOICE, "Invoice") => (false, "InvoiceLine", "InvoicedQuantity"),
        (NS_CREDIT_NOTE, "CreditNote") => (true, "CreditNoteLine", "CreditedQuantity"),
        _ => {
            return Err(refuse(
                "UBLUnsupportedDocumentType",
                format!(
                    "The root element {} is neither a UBL 2.1 Invoice nor a CreditNote.",
                    root.name
                ),
                None,
            ));
        }
    };
    let type_code = if is_credit {
        let c = root.text_at("CreditNoteTypeCode").unwrap_or("");
        if c != "381" {
            return Err(refuse(
                "CreditNoteTypeCodeNotCorrent",
                "The credit note type code must be 381.",
                Some("CreditNoteTypeCode"),
            ));
        }
        c.to_string()
    } else {
        let c = root.text_at("InvoiceTypeCode").ok_or_else(|| {
            refuse(
                "InvoiceTypeCodeMissing",
                "The invoice type code is missing.",
                Some("InvoiceTypeCode"),
            )
        })?;
        if !["380", "383", "386"].contains(&c) {
            return Err(refuse(
                "UBLUnsupportedDocumentType",
                format!("The invoice type code {c} is not allowed."),
                Some("InvoiceTypeCode"),
            ));
        }
        c.to_string()
    };
    let doc_type = match type_code.as_str() {
        "381" => DocumentType::CreditNote,
        "383" => DocumentType::DebitNote,
        "386" => DocumentType::Prepayment,
        _ => DocumentType::Invoice,
    };
    // Structural minimum (stand-in for the XSD).
    for (path, field) in [
        ("ID", "ID"),
        ("IssueDate", "IssueDate"),
        ("AccountingSupplierParty/Party", "AccountingSupplierParty"),
        ("AccountingCustomerParty/Party", "AccountingCustomerParty"),
        ("LegalMonetaryTotal", "LegalMonetaryTotal"),
    ] {
        if root.path(path).is_none() {
            return Err(refuse(
                "UBLDocumentNotValid",
                format!("The mandatory element {field} is missing."),
                Some(field),
            ));
        }
    }
    if root.child(line_name).is_none() {
        return Err(refuse(
            "UBLDocumentNotValid",
            "The document has no lines.",
            Some(line_name),
        ));
    }
    let number = root.text_at("ID").unwrap_or("").to_string();
    let issue_date = date_at(&root, "IssueDate", "IssueDate")?.ok_or_else(|| {
        refuse(
            "UBLDocumentNotValid",
            "IssueDate is missing.",
            Some("IssueDate"),
        )
    })?;
    let sup = root
        .path("AccountingSupplierParty/Party")
        .expect("checked above");
    let buy = root
        .path("AccountingCustomerParty/Party")
        .expect("checked above");
    let currency = root
        .text_at("DocumentCurrencyCode")
        .unwrap_or("RSD")
        .to_string();
    let delivery_date = date_at(
        &root,
        "Delivery/ActualDeliveryDate",
        "Delivery.ActualDeliveryDate",
    )?;
    let due_date = if is_credit {
        date_at(
            &root,
            "PaymentMeans/PaymentDueDate",
            "PaymentMeans.PaymentDueDate",
        )?
    } else {
        date_at(&root, "DueDate", "DueDate")?
    };
    let lmt = root.child("LegalMonetaryTotal").expect("checked above");
    let payable = lmt
        .child("PayableAmount")
        .map(|e| dec(e, "PayableAmount"))
        .transpose()?;
    let tax_exclusive = lmt
        .child("TaxExclusiveAmount")
        .map(|e| dec(e, "TaxExclusiveAmount"))
        .transpose()?;
    let tax_total_el = root.child("TaxTotal");
    let tax_total = tax_total_el
        .and_then(|t| t.child("TaxAmount"))
        .map(|e| dec(e, "TaxTotal.TaxAmount"))
        .transpose()?;
    let billing_refs: Vec<String> = root
        .all("BillingReference/InvoiceDocumentReference/ID")
        .iter()
        .map(|e| e.text.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let pid = buy
        .all("PartyIdentification/ID")
        .first()
        .map(|e| e.text.trim().to_string());
    let buyer_jbkjs = pid
        .as_deref()
        .and_then(|p| p.strip_prefix("JBKJS:").map(|r| r.trim().to_string()));
    let has_contract_or_order = root.text_at("ContractDocumentReference/ID").is_some()
        || root.text_at("OrderReference/ID").is_some()
        || root.text_at("OriginatorDocumentReference/ID").is_some();
    let supplier_pib = sup.text_at("EndpointID").unwrap_or("").to_string();
    let buyer_pib = buy.text_at("EndpointID").unwrap_or("").to_string();

    let mut exemption_keys = Vec::new();
    if rules {
        // Invoice number.
        if number.chars().count() > 50 {
            return Err(refuse(
                "InvoiceNumberTooLong",
                "The invoice number is longer than 50 characters.",
                Some("ID"),
            ));
        }
        if number.is_empty()
            || !number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-/_.".contains(c))
        {
            return Err(refuse(
                "UBLInvoiceNumberContainsInvalidCharacters",
                "The invoice number may contain only letters, digits and - / _ .",
                Some("ID"),
            ));
        }
        // Parties.
        for (party, scheme_code, who) in [
            (
                sup,
                "SenderEndpointSchemeIDInvalid",
                "AccountingSupplierParty",
            ),
            (
                buy,
                "ReceiverEndpointSchemeIDInvalid",
                "AccountingCustomerParty",
            ),
        ] {
            let ep = party.child("EndpointID");
            if ep.and_then(|e| e.attr("schemeID")) != Some("9948") {
                return Err(refuse(
                    scheme_code,
                    "The EndpointID scheme must be 9948.",
                    Some(&format!("{who}.Party.EndpointID")),
                ));
            }
            let vat = party.text_at("PartyTaxScheme/CompanyID").unwrap_or("");
            let Some(digits) = vat.strip_prefix("RS") else {
                return Err(refuse(
                    "UBLPartyTaxSchemeCompanyIdWithoutPrefix",
                    "The VAT identifier must start with RS.",
                    Some(&format!("{who}.Party.PartyTaxScheme.CompanyID")),
                ));
            };
            if !only_digits(digits, &[9, 13]) {
                return Err(refuse(
                    "UBLVatRegistrationCodeDoesNotHaveGoodLength",
                    "The VAT identifier must be RS followed by 9 or 13 digits.",
                    Some(&format!("{who}.Party.PartyTaxScheme.CompanyID")),
                ));
            }
            let mb = party.text_at("PartyLegalEntity/CompanyID");
            let mandatory = who == "AccountingCustomerParty";
            match mb {
                Some(m) if !only_digits(m, &[8, 13]) => {
                    return Err(refuse(
                        "UBLRegistrationCodeDoesNotHaveGoodLength",
                        "The registration number (MB) must have 8 or 13 digits.",
                        Some(&format!("{who}.Party.PartyLegalEntity.CompanyID")),
                    ));
                }
                None if mandatory => {
                    return Err(refuse(
                        "UBLRegistrationCodeDoesNotHaveGoodLength",
                        "The buyer's registration number (MB) is missing.",
                        Some(&format!("{who}.Party.PartyLegalEntity.CompanyID")),
                    ));
                }
                _ => {}
            }
        }
        // Dates.
        match type_code.as_str() {
            "380" if delivery_date.is_none() => {
                return Err(refuse(
                    "InvoiceDeliveryDateMissing",
                    "The delivery date is missing.",
                    Some("Delivery.ActualDeliveryDate"),
                ));
            }
            "381" if delivery_date.is_none() => {
                return Err(refuse(
                    "CreditNoteReductionDateMissing",
                    "The reduction date is missing.",
                    Some("Delivery.ActualDeliveryDate"),
                ));
            }
            _ => {}
        }
        if let Some(d) = delivery_date
            && d > issue_date
        {
            let code = match type_code.as_str() {
                "381" => "UBLReductionDateMustNotBeLatterThanIssueDate",
                "383" => "UBLIncreaseDateMustNotBeLatterThanIssueDate",
                _ => "UBLDeliveryDateMustNotBeLatterThanIssueDate",
            };
            return Err(refuse(
                code,
                "The delivery date must not be later than the issue date.",
                Some("Delivery.ActualDeliveryDate"),
            ));
        }
        if type_code == "386"
            && let Some(d) = due_date
            && d > issue_date
        {
            return Err(refuse(
                "UBLPrepaymentDateMustNotBeLatterThanIssueDate",
                "The prepayment date must not be later than the issue date.",
                Some("DueDate"),
            ));
        }
        if type_code != "386"
            && let Some(d) = due_date
            && d > issue_date + chrono::Days::new(90)
        {
            return Err(refuse(
                "PaymentDateMoreThan90DaysInFuture",
                "The due date is more than 90 days after the issue date.",
                Some("DueDate"),
            ));
        }
        // Tax categories.
        let lines: Vec<&Element> = root.children_named(line_name).collect();
        let mut line_cats: HashSet<String> = HashSet::new();
        for l in &lines {
            if let Some(c) = l.text_at("Item/ClassifiedTaxCategory/ID") {
                line_cats.insert(c.to_string());
            }
            if let Some(n) = l.text_at("Item/Name")
                && n.chars().count() > 250
            {
                return Err(refuse(
                    "UBLProductNameLengthExceeded",
                    "An item name is too long.",
                    Some("Item.Name"),
                ));
            }
            if let Some(q) = l.child(qty_name) {
                let unit = q.attr("unitCode").unwrap_or("");
                if !fixtures::is_unit(unit) {
                    return Err(refuse(
                        "UBLUnitCodeNotValid",
                        format!("The unit code {unit:?} is not in SEF's list."),
                        Some(qty_name),
                    ));
                }
            }
            if let Some(p) = l.path("Price/PriceAmount")
                && dec(p, "PriceAmount")?.scale() > 4
            {
                return Err(refuse(
                    "UBLInvoiceLinePriceAmountMoreDecimalsThanPermitted",
                    "A price has more than 4 decimals.",
                    Some("Price.PriceAmount"),
                ));
            }
            if let Some(a) = l.child("LineExtensionAmount")
                && dec(a, "LineExtensionAmount")?.scale() > 2
            {
                return Err(refuse(
                    "UBLInvoiceLineExtensionAmountMoreDecimalsThanPermitted",
                    "A line amount has more than 2 decimals.",
                    Some("LineExtensionAmount"),
                ));
            }
        }
        for c in root.all("AllowanceCharge/TaxCategory/ID") {
            line_cats.insert(c.text.trim().to_string());
        }
        for n in root.children_named("Note") {
            if n.text.chars().count() > 1000 {
                return Err(refuse(
                    "UBLMaxNoteLengthExceeded",
                    "A note is too long.",
                    Some("Note"),
                ));
            }
        }
        let has_s = line_cats.contains("S");
        // BT-8.
        let code = root.text_at("InvoicePeriod/DescriptionCode");
        if is_credit {
            if let Some(c) = code
                && !credit_note_codes.iter().any(|x| x == c)
            {
                return Err(refuse(
                    "InvoicePeriodDescriptionCodeNotProperlyDefined",
                    format!("The VAT point date code {c} is not allowed on a credit note."),
                    Some("InvoicePeriod.DescriptionCode"),
                ));
            }
        } else if has_s {
            match code {
                None => {
                    return Err(refuse(
                        "InvoicePeriodDescriptionCodeNotDefined",
                        "The VAT point date code is missing.",
                        Some("InvoicePeriod.DescriptionCode"),
                    ));
                }
                Some(c) if !["3", "35", "432"].contains(&c) => {
                    return Err(refuse(
                        "InvoicePeriodDescriptionCodeNotProperlyDefined",
                        format!("The VAT point date code {c} is not 3, 35 or 432."),
                        Some("InvoicePeriod.DescriptionCode"),
                    ));
                }
                _ => {}
            }
        } else if code.is_some() {
            return Err(refuse(
                "InvoicePeriodDescriptionCodeNotNeeded",
                "A document without standard-rated items must not carry a VAT point date code.",
                Some("InvoicePeriod.DescriptionCode"),
            ));
        }
        if code == Some("432") && due_date.is_none() {
            return Err(refuse(
                "UBLDueDateIsMissing",
                "The due date is missing.",
                Some("DueDate"),
            ));
        }
        // Payment means.
        let pm = root.child("PaymentMeans").ok_or_else(|| {
            refuse(
                "UBLPaymentMeansNotDefined",
                "Payment means are missing.",
                Some("PaymentMeans"),
            )
        })?;
        if pm.text_at("PaymentMeansCode").is_none() {
            return Err(refuse(
                "UBLPaymentMeansCodeNotDefined",
                "The payment means code is missing.",
                Some("PaymentMeans.PaymentMeansCode"),
            ));
        }
        if pm.text_at("PayeeFinancialAccount/ID").is_none() {
            return Err(refuse(
                "UBLPayeeFinancialAccountIdNotDefined",
                "The payee's account is missing.",
                Some("PaymentMeans.PayeeFinancialAccount.ID"),
            ));
        }
        if let Some(pid) = pm.text_at("PaymentID")
            && !valid_payment_id(pid)
        {
            return Err(refuse(
                "UBLReferenceAndModelNumberFormatNotValid",
                "The payment reference must have the form (modNN) reference.",
                Some("PaymentMeans.PaymentID"),
            ));
        }
        // Tax total and subtotals.
        let tt = tax_total_el.ok_or_else(|| {
            refuse(
                "UBLDocumentNotValid",
                "TaxTotal is missing.",
                Some("TaxTotal"),
            )
        })?;
        let total = tax_total.unwrap_or_default();
        if total.scale() > 2 {
            return Err(refuse(
                "UBLTaxAmountMoreDecimalsThanPermitted",
                "The VAT total has more than 2 decimals.",
                Some("TaxTotal.TaxAmount"),
            ));
        }
        let mut sum = Decimal::ZERO;
        let mut seen: HashSet<(String, String)> = HashSet::new();
        for st in tt.children_named("TaxSubtotal") {
            let amount = st
                .child("TaxAmount")
                .map(|e| dec(e, "TaxSubtotal.TaxAmount"))
                .transpose()?
                .unwrap_or_default();
            if amount.scale() > 2 {
                return Err(refuse(
                    "UBLTaxSubtotalTaxAmountMoreDecimalsThanPermitted",
                    "A VAT subtotal has more than 2 decimals.",
                    Some("TaxSubtotal.TaxAmount"),
                ));
            }
            if let Some(b) = st.child("TaxableAmount")
                && dec(b, "TaxableAmount")?.scale() > 2
            {
                return Err(refuse(
                    "UBLTaxSubtotalTaxableAmountMoreDecimalsThanPermitted",
                    "A taxable amount has more than 2 decimals.",
                    Some("TaxSubtotal.TaxableAmount"),
                ));
            }
            sum += amount;
            let cat = st.text_at("TaxCategory/ID").unwrap_or("").to_string();
            let pct = st
                .text_at("TaxCategory/Percent")
                .and_then(|p| Decimal::from_str(p).ok())
                .map(|d| d.normalize().to_string())
                .unwrap_or_default();
            if !["S", "AE", "Z", "E", "O", "R", "OE", "SS", "N"].contains(&cat.as_str()) {
                return Err(refuse(
                    "UBLTaxCategoryIdUnknown",
                    format!("The tax category {cat:?} is unknown."),
                    Some("TaxSubtotal.TaxCategory.ID"),
                ));
            }
            let id = (
                cat.clone(),
                if cat == "S" {
                    pct.clone()
                } else {
                    String::new()
                },
            );
            if !seen.insert(id) {
                return Err(refuse(
                    "UBLOnlyOneTaxSubtotalPerTaxCategoryIsAllowed",
                    "Only one subtotal per tax category (and rate) is allowed.",
                    Some("TaxSubtotal"),
                ));
            }
            if !line_cats.contains(&cat) {
                return Err(refuse(
                    "UBLNoItemsWithTaxSubtotalTaxCategory",
                    format!("No item has the subtotal's tax category {cat}."),
                    Some("TaxSubtotal.TaxCategory.ID"),
                ));
            }
            if cat == "S" {
                if pct != "20" && pct != "10" {
                    return Err(refuse(
                        "UBLIncorrectVatRateForStandardVatRate",
                        "The standard VAT rate must be 20 or 10.",
                        Some("TaxSubtotal.TaxCategory.Percent"),
                    ));
                }
                continue;
            }
            if !amount.is_zero() {
                let code = if cat == "AE" {
                    "UBLNotAllowedTaxAmountForRecipientCalculatesVAT"
                } else {
                    "UBLNotAllowedTaxAmountForExemptionFromVAT"
                };
                return Err(refuse(
                    code,
                    "The tax amount of this category must be 0.",
                    Some("TaxSubtotal.TaxAmount"),
                ));
            }
            let key = st.text_at("TaxCategory/TaxExemptionReasonCode");
            let reason = st.text_at("TaxCategory/TaxExemptionReason");
            match key {
                None if reason.is_none() => {
                    return Err(refuse(
                        "UBLTaxExemptionReasonKeyNotDefined",
                        format!("The exemption reason of category {cat} is missing."),
                        Some("TaxSubtotal.TaxCategory.TaxExemptionReasonCode"),
                    ));
                }
                None => {}
                Some(k) => {
                    let list = fixtures::vat_exemption_reasons();
                    let Some(r) = list.iter().find(|r| r.key == k) else {
                        return Err(refuse(
                            "VatExemptionReasonNotExists",
                            format!("The exemption reason {k} does not exist."),
                            Some("TaxSubtotal.TaxCategory.TaxExemptionReasonCode"),
                        ));
                    };
                    if r.category.as_deref() != Some(cat.as_str()) {
                        return Err(refuse(
                            "UBLTaxExemptionReasonCategoryNotCorrect",
                            format!("The exemption reason {k} does not belong to category {cat}."),
                            Some("TaxSubtotal.TaxCategory.TaxExemptionReasonCode"),
                        ));
                    }
                    exemption_keys.push(k.to_string());
                }
            }
        }
        if sum != total {
            return Err(refuse(
                "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer",
                format!("The VAT total {total} differs from the sum of the subtotals {sum}."),
                Some("TaxTotal.TaxAmount"),
            ));
        }
        for (name, code) in [
            (
                "LineExtensionAmount",
                "UBLLineExtensionAmountMoreDecimalsThanPermitted",
            ),
            (
                "TaxExclusiveAmount",
                "UBLTaxExclusiveAmountMoreDecimalsThanPermitted",
            ),
            (
                "TaxInclusiveAmount",
                "UBLTaxInclusiveAmountMoreDecimalsThanPermitted",
            ),
            (
                "AllowanceTotalAmount",
                "UBLAllowanceTotalAmountMoreDecimalsThanPermitted",
            ),
            (
                "PrepaidAmount",
                "UBLPrepayedAmountMoreDecimalsThanPermitted",
            ),
            ("PayableAmount", "UBLPayableAmountMoreDecimalsThanPermitted"),
        ] {
            if let Some(e) = lmt.child(name)
                && dec(e, name)?.scale() > 2
            {
                return Err(refuse(
                    code,
                    format!("{name} has more than 2 decimals."),
                    Some(&format!("LegalMonetaryTotal.{name}")),
                ));
            }
        }
        // Notes: references.
        if type_code == "381" || type_code == "383" {
            let has_period = root.text_at("InvoicePeriod/StartDate").is_some()
                && root.text_at("InvoicePeriod/EndDate").is_some();
            if !billing_refs.is_empty() && has_period {
                return Err(refuse(
                    "UBLCannotBeDefinedInvoiceDocumentReferenceIDWithInvoicePeriodStartDateAndInvoicePeriodEndDateParameters",
                    "A note references either invoices or a period, not both.",
                    Some("BillingReference"),
                ));
            }
            if billing_refs.is_empty() && !has_period {
                let code = if type_code == "381" {
                    "CreditInvoiceMustHaveSource"
                } else {
                    "DebitInvoiceMustHaveSource"
                };
                return Err(refuse(
                    code,
                    "The note does not reference any invoice.",
                    Some("BillingReference"),
                ));
            }
        }
    }
    Ok(ParsedDocument {
        number,
        type_code,
        doc_type,
        issue_date,
        supplier_name: sup.text_at("PartyName/Name").map(str::to_string),
        supplier_pib,
        buyer_pib,
        buyer_jbkjs,
        buyer_party_identification_raw: pid,
        has_contract_or_order,
        delivery_date,
        due_date,
        currency,
        payable,
        tax_exclusive,
        tax_total,
        billing_refs,
        exemption_keys,
    })
}

/// `(modNN) reference`: two-digit model, a space, a non-empty reference without spaces.
fn valid_payment_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("(mod") else {
        return false;
    };
    let b = rest.as_bytes();
    b.len() > 4
        && b[0].is_ascii_digit()
        && b[1].is_ascii_digit()
        && b[2] == b')'
        && b[3] == b' '
        && rest[4..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

pub use fiskal_domain::ids::pib_check_digit_valid as is_valid_pib;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_id_form() {
        assert!(valid_payment_id("(mod97) 872026000042"));
        assert!(!valid_payment_id("97 872026000042"));
        assert!(!valid_payment_id("(mod97)872026000042"));
    }
}
