//! `validate_xml` on raw XML: parse errors, schema structure, value types.

use fiskal_ubl::*;

const SPEC_380: &str = include_str!("../testdata/spec-invoice-380.xml");
const SPEC_381: &str = include_str!("../testdata/spec-credit-note-381.xml");

fn ids(xml: &str) -> Vec<&'static str> {
    validate_xml(xml)
        .unwrap()
        .iter()
        .map(|f| f.rule_id)
        .collect()
}

#[test]
fn malformed_xml_is_a_parse_error_with_position() {
    let broken = SPEC_380.replace("</cbc:IssueDate>", "</cbc:IssueDat>");
    let e = validate_xml(&broken).unwrap_err();
    match &e {
        ParseError::Malformed { line, column, .. } => {
            assert_eq!(*line, 7);
            assert!(*column > 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.message(Lang::SrLatn)
            .starts_with("Dokument nije ispravan XML (red 7")
    );
    // Cyrillic: the sentence transliterated, the XML reader's own words kept.
    let ParseError::Malformed { message, .. } = &e else {
        unreachable!()
    };
    let cyr = e.message(Lang::SrCyrl);
    assert!(
        cyr.starts_with("Документ није исправан XML (ред 7"),
        "{cyr}"
    );
    assert!(cyr.ends_with(message.as_str()), "{cyr}");
    let truncated = &SPEC_380[..SPEC_380.len() / 2];
    assert!(matches!(
        validate_xml(truncated),
        Err(ParseError::Malformed { .. })
    ));
    assert!(matches!(
        validate_xml("not xml at all"),
        Err(ParseError::Malformed { .. }) | Err(ParseError::Empty)
    ));
}

#[test]
fn wrong_root_is_refused() {
    let order = SPEC_380
        .replace(
            "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"",
            "<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"",
        )
        .replace("</Invoice>", "</Order>");
    assert!(matches!(
        validate_xml(&order),
        Err(ParseError::NotUbl { .. })
    ));
    // Invoice element in the CreditNote namespace.
    let mixed = SPEC_380.replace(
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    );
    assert!(matches!(
        validate_xml(&mixed),
        Err(ParseError::NotUbl { .. })
    ));
}

#[test]
fn element_order_and_cardinality_follow_the_xsd() {
    let swapped = SPEC_380.replace(
        "  <cbc:DueDate>2026-12-25</cbc:DueDate>\n  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\n",
        "  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\n  <cbc:DueDate>2026-12-25</cbc:DueDate>\n",
    );
    let f = validate_xml(&swapped).unwrap();
    let x = f.iter().find(|f| f.rule_id == "XSD").unwrap();
    assert_eq!(x.path, "/Invoice/cbc:DueDate[1]");
    assert_eq!(x.line, Some(9));
    assert_eq!(x.sef_code, Some("UBLDocumentNotValid"));
    // Missing mandatory element (AccountingCustomerParty).
    let start = SPEC_380.find("  <cac:AccountingCustomerParty>").unwrap();
    let end = SPEC_380.find("  </cac:AccountingCustomerParty>\n").unwrap()
        + "  </cac:AccountingCustomerParty>\n".len();
    let no_buyer = format!("{}{}", &SPEC_380[..start], &SPEC_380[end..]);
    let f = validate_xml(&no_buyer).unwrap();
    assert!(
        f.iter()
            .any(|f| f.rule_id == "XSD" && f.path == "/Invoice/cac:AccountingCustomerParty"),
        "{f:#?}"
    );
    assert!(f.iter().any(|f| f.rule_id == "BR-07"));
    // DueDate in a CreditNote is not allowed by the schema.
    let cn = SPEC_381.replace(
        "  <cbc:CreditNoteTypeCode>",
        "  <cbc:DueDate>2026-12-27</cbc:DueDate>\n  <cbc:CreditNoteTypeCode>",
    );
    assert!(ids(&cn).contains(&"XSD"));
    // Two IssueDates.
    let twice = SPEC_380.replace(
        "  <cbc:IssueDate>2026-11-25</cbc:IssueDate>\n",
        "  <cbc:IssueDate>2026-11-25</cbc:IssueDate>\n  <cbc:IssueDate>2026-11-25</cbc:IssueDate>\n",
    );
    assert!(ids(&twice).contains(&"XSD"));
    // Unknown element inside an aggregate.
    let unknown = SPEC_380.replace(
        "<cbc:CityName>Beograd</cbc:CityName>",
        "<cbc:CityName>Beograd</cbc:CityName><cbc:Grad>Beograd</cbc:Grad>",
    );
    let f = validate_xml(&unknown).unwrap();
    assert!(
        f.iter()
            .any(|f| f.rule_id == "XSD" && f.path.ends_with("cbc:Grad[1]")),
        "{f:#?}"
    );
}

#[test]
fn values_must_have_the_right_type() {
    let bad_date = SPEC_380.replace(
        "<cbc:IssueDate>2026-11-25</cbc:IssueDate>",
        "<cbc:IssueDate>25.11.2026.</cbc:IssueDate>",
    );
    let f = validate_xml(&bad_date).unwrap();
    assert!(
        f.iter()
            .any(|f| f.rule_id == "XSD" && f.path == "/Invoice/cbc:IssueDate")
    );
    let comma = SPEC_380.replace(
        ">34949.97</cbc:PayableAmount>",
        ">34949,97</cbc:PayableAmount>",
    );
    let f = validate_xml(&comma).unwrap();
    assert!(
        f.iter()
            .any(|f| f.rule_id == "XSD" && f.path.ends_with("cbc:PayableAmount"))
    );
    let no_currency = SPEC_380.replace(
        "<cbc:PayableAmount currencyID=\"RSD\">",
        "<cbc:PayableAmount>",
    );
    assert!(ids(&no_currency).contains(&"XSD"));
    let eur = SPEC_380.replace(
        "<cbc:PayableAmount currencyID=\"RSD\">",
        "<cbc:PayableAmount currencyID=\"EUR\">",
    );
    assert!(ids(&eur).contains(&"FSK-CUR"));
}

#[test]
fn foreign_documents_with_extra_elements_are_read() {
    // UUID and IssueTime are valid UBL though fiskal does not write them; entity references and
    // CDATA are decoded.
    let x = SPEC_380
        .replace(
            "  <cbc:IssueDate>2026-11-25</cbc:IssueDate>\n",
            "  <cbc:UUID>5f0c1f70-0000-4000-8000-000000000000</cbc:UUID>\n  <cbc:IssueDate>2026-11-25</cbc:IssueDate>\n  <cbc:IssueTime>10:00:00</cbc:IssueTime>\n",
        )
        .replace("Kupac Trgovina d.o.o.</cbc:Name>", "Kupac &amp; Trgovina <![CDATA[d.o.o.]]></cbc:Name>");
    let f = validate_xml(&x).unwrap();
    assert!(f.is_empty(), "{f:#?}");
    let doc = read(&x).unwrap();
    assert_eq!(
        doc.customer.unwrap().name.as_deref(),
        Some("Kupac & Trgovina d.o.o.")
    );
}

#[test]
fn totals_are_recomputed_from_the_xml() {
    let wrong = SPEC_380.replace(
        ">4499.97</cbc:LineExtensionAmount>",
        ">4499.98</cbc:LineExtensionAmount>",
    );
    let f = ids(&wrong);
    assert!(f.contains(&"FSK-LINE-NET"));
    assert!(f.contains(&"BR-CO-10"));
    assert!(f.contains(&"BR-S-08"));
}

#[test]
fn findings_in_cyrillic_keep_codes_and_values() {
    let xml = SPEC_380.replace(
        "<cbc:DocumentCurrencyCode>RSD</cbc:DocumentCurrencyCode>",
        "<cbc:DocumentCurrencyCode>rsd</cbc:DocumentCurrencyCode>",
    );
    let f = validate_xml(&xml).unwrap();
    let f = f
        .iter()
        .find(|f| f.rule_id == "BR-CL-04")
        .expect("BR-CL-04");
    assert_eq!(
        f.message(Lang::SrLatn),
        "Valuta 'rsd' nije ISO 4217 šifra od tri velika slova."
    );
    assert_eq!(
        f.message(Lang::SrCyrl),
        "Валута 'rsd' није ISO 4217 шифра од три велика слова."
    );
    assert_eq!(f.message(Lang::En), f.message_en);
}
