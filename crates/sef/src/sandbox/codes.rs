//! The SEF `ErrorCode` for each finding of fiskal's validator (`sef-api.md` §4.3): what SEF
//! answers with when it refuses a document for the same reason. The sandbox answers with it;
//! `fiskal sef validate` may show it next to the rule id.
//!
//! Most findings carry SEF's code already ([`Finding::sef_code`], set where the rule is written);
//! this module adds what only the SEF side knows: codes that depend on where a rule fired (a
//! credit note's type code, the buyer's or the seller's PIB), codes for official rules that SEF
//! reports under its own name, and the generic `UBLDocumentNotValid` for every other schema or
//! Schematron finding.

use fiskal_ubl::Finding;

/// The code of a document that breaks a rule SEF has no own name for (schema and Schematron
/// findings).
pub const DOCUMENT_NOT_VALID: &str = "UBLDocumentNotValid";

/// The SEF `ErrorCode` SEF answers with for `finding`.
pub fn sef_code(finding: &Finding) -> &'static str {
    let path = finding.path.as_str();
    let buyer = path.contains("AccountingCustomerParty");
    match finding.rule_id {
        // The validator names the Invoice's code; on a CreditNote SEF has its own.
        "BR-04" | "RSR-03" if path.ends_with("CreditNoteTypeCode") => {
            return "CreditNoteTypeCodeNotCorrent";
        }
        // A PIB whose check digit fails names no company SEF knows.
        "FSK-PIB-CHECKSUM" if buyer => return "ReceiverCompanyNotFound",
        "FSK-PIB-CHECKSUM" => return "InvalidSenderCompany",
        _ => {}
    }
    if let Some(code) = finding.sef_code {
        return code;
    }
    match finding.rule_id {
        // EndpointID without schemeID: the scheme is not 9948.
        "BR-62" => "SenderEndpointSchemeIDInvalid",
        "BR-63" => "ReceiverEndpointSchemeIDInvalid",
        // No VAT identifier at all: no RS prefix either.
        "RSR-09" | "RSR-20" => "UBLPartyTaxSchemeCompanyIdWithoutPrefix",
        // The buyer's MB missing: not of the right length.
        "RSR-17" => "UBLRegistrationCodeDoesNotHaveGoodLength",
        // A billing reference without the referenced invoice's number.
        "BR-55" => "UBLBillingReferenceMissing",
        _ => DOCUMENT_NOT_VALID,
    }
}

/// The finding SEF answers a refused document with: the first schema finding (SEF checks the
/// XSD first), else the first fatal finding SEF has an own code for, else the first fatal one.
/// `None` when no finding is fatal.
pub fn answering_finding(findings: &[Finding]) -> Option<&Finding> {
    let mut fatal = findings.iter().filter(|f| f.is_fatal());
    fatal
        .clone()
        .find(|f| f.rule_id == "XSD")
        .or_else(|| fatal.clone().find(|f| sef_code(f) != DOCUMENT_NOT_VALID))
        .or_else(|| fatal.next())
}

/// SEF's `FieldName` for a finding's path: the element names below the root, without prefixes
/// and positions (`/Invoice/cac:Delivery[1]/cbc:ActualDeliveryDate` → `Delivery.ActualDeliveryDate`).
pub fn field_name(path: &str) -> Option<String> {
    let steps: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .skip(1)
        .map(|s| {
            let s = s.split('[').next().unwrap_or(s);
            let s = s.trim_start_matches('@');
            s.rsplit(':').next().unwrap_or(s)
        })
        .collect();
    (!steps.is_empty()).then(|| steps.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fiskal_ubl::Severity;

    fn finding(rule_id: &'static str, path: &str, sef: Option<&'static str>) -> Finding {
        Finding {
            rule_id,
            path: path.into(),
            severity: Severity::Fatal,
            message_sr: String::new(),
            message_en: String::new(),
            sef_code: sef,
            line: None,
        }
    }

    #[test]
    fn codes_by_place_rule_and_fallback() {
        let f = finding("RSR-03", "/CreditNote/cbc:CreditNoteTypeCode", Some("X"));
        assert_eq!(sef_code(&f), "CreditNoteTypeCodeNotCorrent");
        let f = finding(
            "RSR-03",
            "/Invoice/cbc:InvoiceTypeCode",
            Some("UBLUnsupportedDocumentType"),
        );
        assert_eq!(sef_code(&f), "UBLUnsupportedDocumentType");
        let p = "/Invoice/cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID";
        assert_eq!(
            sef_code(&finding("FSK-PIB-CHECKSUM", p, None)),
            "ReceiverCompanyNotFound"
        );
        assert_eq!(
            sef_code(&finding("BR-CO-16", "/Invoice", None)),
            DOCUMENT_NOT_VALID
        );
    }

    #[test]
    fn schema_findings_answer_first_then_own_codes() {
        let mut warn = finding("FSK-X", "/Invoice", Some("A"));
        warn.severity = Severity::Warning;
        let fs = vec![
            warn,
            finding("BR-CO-16", "/Invoice", None),
            finding(
                "BR-CO-14",
                "/Invoice",
                Some("UBLTotalTaxAmountAndSubtotalTaxAmountDiffer"),
            ),
        ];
        assert_eq!(answering_finding(&fs).unwrap().rule_id, "BR-CO-14");
        let mut with_xsd = fs.clone();
        with_xsd.push(finding(
            "XSD",
            "/Invoice/cbc:Note",
            Some(DOCUMENT_NOT_VALID),
        ));
        assert_eq!(answering_finding(&with_xsd).unwrap().rule_id, "XSD");
        assert_eq!(answering_finding(&fs[..2]).unwrap().rule_id, "BR-CO-16");
        assert!(answering_finding(&fs[..1]).is_none());
    }

    #[test]
    fn field_names_drop_root_prefixes_and_positions() {
        assert_eq!(
            field_name("/Invoice/cac:Delivery[1]/cbc:ActualDeliveryDate").as_deref(),
            Some("Delivery.ActualDeliveryDate")
        );
        assert_eq!(
            field_name("/Invoice/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID/@schemeID")
                .as_deref(),
            Some("AccountingSupplierParty.Party.EndpointID.schemeID")
        );
        assert_eq!(field_name("/Invoice"), None);
        assert_eq!(field_name(""), None);
    }
}
