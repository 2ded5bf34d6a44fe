//! Hostile documents against the reader: deep nesting, attribute floods, namespace floods,
//! entity expansion, DOCTYPE, huge values, floods of stray elements, and random fragments. Each
//! gets a typed refusal (or a bounded list of findings) without overflowing the stack. Durations
//! are printed, never asserted.

use std::time::Instant;

use fiskal_ubl::limits::{LimitExceeded, XmlLimits};
use fiskal_ubl::*;
use proptest::prelude::*;

const SPEC_380: &str = include_str!("../testdata/spec-invoice-380.xml");
const OPEN: &str = "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">";

/// `<Invoice>` holding `depth` nested `<a>` elements (50,000 deep is about 350 KB).
fn deep(depth: usize) -> String {
    format!(
        "{OPEN}{}{}</Invoice>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    )
}

/// `<Invoice>` with `n` attributes on its start tag.
fn many_attributes(n: usize) -> String {
    let mut s =
        String::from("<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"");
    for i in 0..n {
        s.push_str(&format!(" a{i}=\"{i}\""));
    }
    s.push_str("/>");
    s
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    eprintln!("{what}: {:?}", t.elapsed());
    r
}

fn limit_of(r: Result<Vec<Finding>, ParseError>) -> LimitExceeded {
    match r {
        Err(ParseError::Limit { limit, .. }) => limit,
        other => panic!("expected a limit refusal, got {other:?}"),
    }
}

#[test]
fn fifty_thousand_deep_is_refused() {
    let xml = deep(50_000);
    let r = timed("ubl reader, 50,000 deep", || validate_xml(&xml));
    let e = r.clone().unwrap_err();
    assert_eq!(
        limit_of(r),
        LimitExceeded::TooDeep {
            max: XmlLimits::DEFAULT.max_depth
        }
    );
    assert_eq!(
        e.to_string(),
        "the document was refused (line 1): elements are nested more than 100 levels deep"
    );
    assert_eq!(
        e.message(Lang::SrLatn),
        "Dokument je odbijen (red 1): elementi su ugnježdeni dublje od 100 nivoa."
    );
    // Just inside the bound the document is read (and found wanting by the schema pass).
    let ok = validate_xml(&deep(XmlLimits::DEFAULT.max_depth - 1)).unwrap();
    assert!(ok.iter().any(|f| f.rule_id == "XSD"));
}

#[test]
fn eighty_thousand_attributes_are_refused() {
    let xml = many_attributes(80_000);
    let r = timed("ubl reader, 80,000 attributes", || validate_xml(&xml));
    assert_eq!(
        limit_of(r),
        LimitExceeded::TooManyAttributesOnElement {
            max: XmlLimits::DEFAULT.max_attributes_per_element
        }
    );
}

#[test]
fn attributes_per_document_and_elements_are_bounded() {
    // 10 elements with 5 attributes each, against a bound of 20 attributes per document.
    let body: String = (0..10)
        .map(|i| format!("<x a=\"{i}\" b=\"1\" c=\"2\" d=\"3\" e=\"4\"/>"))
        .collect();
    let xml = format!("{OPEN}{body}</Invoice>");
    let limits = XmlLimits {
        max_attributes: 20,
        ..XmlLimits::DEFAULT
    };
    assert!(matches!(
        read_with_limits(&xml, &limits),
        Err(ParseError::Limit {
            limit: LimitExceeded::TooManyAttributes { max: 20 },
            ..
        })
    ));
    let limits = XmlLimits {
        max_elements: 5,
        ..XmlLimits::DEFAULT
    };
    assert!(matches!(
        read_with_limits(&xml, &limits),
        Err(ParseError::Limit {
            limit: LimitExceeded::TooManyElements { max: 5 },
            ..
        })
    ));
}

#[test]
fn namespace_declaration_floods_are_refused() {
    let mut xml =
        String::from("<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"");
    for i in 0..80_000 {
        xml.push_str(&format!(" xmlns:p{i}=\"urn:x:{i}\""));
    }
    xml.push_str("/>");
    let r = timed("ubl reader, 80,000 namespace declarations", || {
        validate_xml(&xml)
    });
    assert_eq!(
        limit_of(r),
        LimitExceeded::TooManyNamespaces {
            max: XmlLimits::DEFAULT.max_namespace_bindings
        }
    );
    // Declarations spread over nested elements count while they are in scope.
    let nested: String = (0..70)
        .map(|i| format!("<a xmlns:q{i}=\"urn:q:{i}\">"))
        .collect();
    let xml = format!("{OPEN}{nested}{}</Invoice>", "</a>".repeat(70));
    assert!(matches!(
        validate_xml(&xml),
        Err(ParseError::Limit {
            limit: LimitExceeded::TooManyNamespaces { .. },
            ..
        })
    ));
}

#[test]
fn entity_expansion_and_doctype_are_refused() {
    let laughs = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n{}]>\n{OPEN}<cbc:Note>&lol9;</cbc:Note></Invoice>",
        (1..10)
            .map(|i| format!(
                " <!ENTITY lol{i} \"{}\">\n",
                format!("&lol{};", i - 1).repeat(10)
            ))
            .collect::<String>()
    );
    let r = timed("ubl reader, billion laughs", || validate_xml(&laughs));
    assert!(matches!(r, Err(ParseError::Doctype { line: 2 })), "{r:?}");
    let external =
        format!("<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{OPEN}&xxe;</Invoice>");
    assert!(matches!(
        validate_xml(&external),
        Err(ParseError::Doctype { .. })
    ));
    // Without a DOCTYPE an entity other than the five predefined ones is unknown.
    let undeclared = format!("{OPEN}<cbc:Note>&lol;</cbc:Note></Invoice>");
    assert!(matches!(
        validate_xml(&undeclared),
        Err(ParseError::Malformed { .. })
    ));
    let in_attribute = format!("{OPEN}<cbc:Note a=\"&lol;\">x</cbc:Note></Invoice>");
    assert!(matches!(
        validate_xml(&in_attribute),
        Err(ParseError::Malformed { .. })
    ));
}

#[test]
fn huge_values_and_the_size_bound() {
    // A 4 MB attribute value is read (within the size bound) and the document still validated.
    let big = "9".repeat(4 * 1024 * 1024);
    let xml = SPEC_380.replacen("currencyID=\"RSD\"", &format!("currencyID=\"{big}\""), 1);
    let r = timed("ubl reader, 4 MB attribute value", || validate_xml(&xml));
    assert!(r.unwrap().iter().any(|f| f.is_fatal()));
    let limits = XmlLimits {
        max_bytes: 1024 * 1024,
        ..XmlLimits::DEFAULT
    };
    match read_with_limits(&xml, &limits) {
        Err(ParseError::Limit {
            line: 1,
            limit: LimitExceeded::TooLarge { size, max },
        }) => {
            assert_eq!(size, xml.len());
            assert_eq!(max, 1024 * 1024);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn floods_of_stray_elements_give_a_bounded_list() {
    let body: String = (0..100_000).map(|i| format!("<x{i}/>")).collect();
    let xml = format!("{OPEN}{body}</Invoice>");
    let f = timed("ubl reader, 100,000 stray elements", || {
        validate_xml(&xml).unwrap()
    });
    let xsd = f.iter().filter(|f| f.rule_id == "XSD").count();
    assert_eq!(xsd, reader::MAX_STRUCTURE_FINDINGS + 1);
    assert!(f.iter().any(|f| {
        f.message_en
            .contains("more structure errors are not listed")
    }));
}

#[test]
fn the_reader_runs_on_a_small_stack() {
    // The reader must not recurse per nesting level: a thread with a 256 KiB stack reads a
    // document at the depth bound and refuses one past it.
    let h = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let at = validate_xml(&deep(XmlLimits::DEFAULT.max_depth - 1)).is_ok();
            let past = validate_xml(&deep(50_000)).is_err();
            (at, past)
        })
        .unwrap();
    assert_eq!(h.join().unwrap(), (true, true));
}

/// Pieces of XML, good and bad, that the strategy strings together.
const FRAGMENTS: &[&str] = &[
    "<a>",
    "</a>",
    "<b x=\"1\">",
    "</b>",
    "<c/>",
    "text",
    "&amp;",
    "&#x41;",
    "&#0;",
    "&bogus;",
    "<![CDATA[x]]>",
    "<!-- c -->",
    "<?pi x?>",
    "<!DOCTYPE d>",
    "<cbc:ID>",
    "</cbc:ID>",
    "<",
    ">",
    "\"",
    "=",
    " y=\"2\"",
    "xmlns:z=\"urn:z\"",
    "<z:e/>",
    "<q:e/>",
    "\u{feff}",
    "\n",
    "é",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_fragments_never_panic(parts in proptest::collection::vec(0..FRAGMENTS.len(), 0..60)) {
        let body: String = parts.iter().map(|i| FRAGMENTS[*i]).collect();
        let _ = validate_xml(&format!("{OPEN}{body}</Invoice>"));
        let _ = validate_xml(&body);
    }

    #[test]
    fn depth_is_refused_exactly_past_the_bound(depth in 1usize..400) {
        let r = read(&deep(depth));
        let refused = matches!(r, Err(ParseError::Limit { limit: LimitExceeded::TooDeep { .. }, .. }));
        // The root counts as one level.
        prop_assert_eq!(refused, depth + 1 > XmlLimits::DEFAULT.max_depth);
    }
}

/// Found by the `ubl` fuzz target: a VAT identifier whose second character is not ASCII
/// (`Rš…`) made the validator slice inside a character and panic. It is now a format finding.
#[test]
fn a_vat_identifier_with_a_multibyte_second_character_is_a_finding() {
    assert!(SPEC_380.contains("<cbc:CompanyID>RS"));
    for bad in ["Rš", "Ж", "Rš123456789", "žS123456789"] {
        let xml = SPEC_380.replace("<cbc:CompanyID>RS", &format!("<cbc:CompanyID>{bad}"));
        let findings = validate_xml(&xml).expect("the document still reads");
        assert!(has_fatal(&findings), "{bad}: {findings:?}");
    }
}
