//! A small namespace-aware element tree over quick-xml, enough for the sandbox's checks of an
//! uploaded UBL document and for reading SEF's download envelope (`sef-api.md` §9).

use fiskal_ubl::limits::{LimitExceeded, XmlBudget, XmlLimits};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// UBL `cbc` namespace.
pub const NS_CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
/// UBL `cac` namespace.
pub const NS_CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
/// UBL Invoice root namespace.
pub const NS_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
/// UBL CreditNote root namespace.
pub const NS_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
/// SEF envelope namespace.
pub const NS_ENVELOPE: &str = "urn:eFaktura:MinFinrs:envelop:schema";

/// One element: namespace URI, local name, attributes (local name → value), text, children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI (empty when none).
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Attributes by local name.
    pub attrs: Vec<(String, String)>,
    /// Concatenated direct text content.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

/// Why a text could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The text is not well-formed XML (or uses what the sandbox refuses: DOCTYPE, entities).
    #[error("The document is not well-formed XML: {0}.")]
    Malformed(String),
    /// The document passes one of the bounds of [`XmlLimits::DEFAULT`] and was not read further.
    #[error("The document was refused: {0}.")]
    Limit(#[from] LimitExceeded),
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

/// Reads the next event; a bound that quick-xml's namespace resolver enforces is a
/// [`XmlError::Limit`].
fn next_event<'s>(
    r: &mut NsReader<&'s [u8]>,
    budget: &XmlBudget,
) -> Result<(String, Event<'s>), XmlError> {
    let (res, ev) = r
        .read_resolved_event()
        .map_err(|e| match budget.limit_of(&e) {
            Some(l) => XmlError::Limit(l),
            None => malformed(e),
        })?;
    let ns = match res {
        ResolveResult::Bound(n) => n.as_ref().to_string(),
        ResolveResult::Unbound => String::new(),
        ResolveResult::Unknown(p) => {
            return Err(XmlError::Malformed(format!("unknown namespace prefix {p}")));
        }
    };
    Ok((ns, ev))
}

/// The element of a start tag, its attributes counted against the budget before they are kept.
fn open_element(
    ns: String,
    e: &BytesStart<'_>,
    budget: &mut XmlBudget,
) -> Result<Element, XmlError> {
    let mut el = Element {
        ns,
        name: e.local_name().as_ref().to_string(),
        ..Default::default()
    };
    for (i, a) in e.attributes().enumerate() {
        budget.attribute(i)?;
        let a = a.map_err(malformed)?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(malformed)?;
        el.attrs
            .push((a.key.local_name().as_ref().to_string(), v.into_owned()));
    }
    Ok(el)
}

fn reference_text(g: &BytesRef<'_>) -> Result<String, XmlError> {
    if g.is_char_ref() {
        g.resolve_char_ref()
            .map_err(malformed)?
            .map(String::from)
            .ok_or_else(|| XmlError::Malformed("invalid character reference".into()))
    } else {
        quick_xml::escape::resolve_predefined_entity(g)
            .map(str::to_string)
            .ok_or_else(|| XmlError::Malformed(format!("unknown entity &{};", &**g)))
    }
}

impl Element {
    /// Parses a whole document within [`XmlLimits::DEFAULT`] and returns its root element.
    pub fn parse(xml: &str) -> Result<Element, XmlError> {
        Element::parse_with_limits(xml, &XmlLimits::DEFAULT)
    }

    /// Parses a whole document within `limits`. The tree is built with an explicit stack; a
    /// start tag is counted against the depth and element bounds before its element exists.
    pub fn parse_with_limits(xml: &str, limits: &XmlLimits) -> Result<Element, XmlError> {
        let mut budget = XmlBudget::new(*limits);
        budget.check_size(xml.len())?;
        let mut r = budget.reader(xml);
        let mut stack: Vec<Element> = Vec::new();
        let mut root: Option<Element> = None;
        loop {
            let (ns, ev) = next_event(&mut r, &budget)?;
            match ev {
                Event::Start(_) | Event::Empty(_) if root.is_some() => {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                Event::Start(ref e) | Event::Empty(ref e) => {
                    budget.element(stack.len() + 1)?;
                    let el = open_element(ns, e, &mut budget)?;
                    if matches!(ev, Event::Empty(_)) {
                        match stack.last_mut() {
                            Some(p) => p.children.push(el),
                            None => root = Some(el),
                        }
                    } else {
                        stack.push(el);
                    }
                }
                Event::End(_) => {
                    let el = stack
                        .pop()
                        .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                    match stack.last_mut() {
                        Some(p) => p.children.push(el),
                        None => root = Some(el),
                    }
                }
                Event::Text(t) => {
                    let s = t.xml10_content();
                    match stack.last_mut() {
                        Some(p) => p.text.push_str(&s),
                        None if s.trim().is_empty() => {}
                        None => {
                            return Err(XmlError::Malformed(
                                "text outside the root element".into(),
                            ));
                        }
                    }
                }
                Event::CData(t) => {
                    if let Some(p) = stack.last_mut() {
                        p.text.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(g) => {
                    let s = reference_text(&g)?;
                    if let Some(p) = stack.last_mut() {
                        p.text.push_str(&s);
                    }
                }
                Event::DocType(_) => {
                    return Err(XmlError::Malformed("DOCTYPE is not allowed".into()));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !stack.is_empty() {
            return Err(XmlError::Malformed("unexpected end of document".into()));
        }
        root.ok_or_else(|| XmlError::Malformed("no root element".into()))
    }

    /// The value of an attribute by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Direct children with this local name (any namespace).
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first direct child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Follows a `/`-separated path of local names (first match at each step).
    pub fn path(&self, path: &str) -> Option<&Element> {
        let mut cur = self;
        for step in path.split('/') {
            cur = cur.child(step)?;
        }
        Some(cur)
    }

    /// Every element reached by a `/`-separated path (all matches at each step).
    pub fn all<'a>(&'a self, path: &str) -> Vec<&'a Element> {
        let mut cur: Vec<&'a Element> = vec![self];
        for step in path.split('/') {
            cur = cur
                .iter()
                .flat_map(|e| e.children.iter().filter(|c| c.name == step))
                .collect();
        }
        cur
    }

    /// Trimmed text at a path, `None` when absent or empty.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.path(path)
            .map(|e| e.text.trim())
            .filter(|t| !t.is_empty())
    }
}

/// Extracts the document (the first element child of `env:DocumentBody`) from a SEF download
/// envelope, as the exact text it had in the envelope. A bare `Invoice` / `CreditNote` (no
/// envelope) is returned unchanged. A streaming scan (nothing is kept but a depth counter), within
/// the size and namespace bounds of [`XmlLimits::DEFAULT`].
pub fn extract_envelope_document(xml: &str) -> Result<&str, XmlError> {
    let budget = XmlBudget::new(XmlLimits::DEFAULT);
    budget.check_size(xml.len())?;
    let mut r = budget.reader(xml);
    let mut seen_root = false;
    let mut in_body = false;
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    loop {
        let before = r.buffer_position() as usize;
        let ev = r.read_event().map_err(|e| match budget.limit_of(&e) {
            Some(l) => XmlError::Limit(l),
            None => malformed(e),
        })?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) if !seen_root => {
                seen_root = true;
                if e.local_name().as_ref() != "DocumentEnvelope" {
                    return Ok(xml[before..].trim_end());
                }
            }
            Event::Start(ref e) if !in_body => {
                in_body = e.local_name().as_ref() == "DocumentBody";
            }
            Event::Start(_) => {
                if start.is_none() {
                    start = Some(before);
                }
                depth += 1;
            }
            Event::Empty(_) if in_body && start.is_none() => {
                return Ok(&xml[before..r.buffer_position() as usize]);
            }
            Event::End(_) if in_body => {
                if depth == 0 {
                    return Err(XmlError::Malformed(
                        "the envelope's DocumentBody is empty".into(),
                    ));
                }
                depth -= 1;
                if depth == 0
                    && let Some(s) = start
                {
                    return Ok(&xml[s..r.buffer_position() as usize]);
                }
            }
            Event::Eof => {
                return Err(XmlError::Malformed(
                    "no DocumentBody in the envelope".into(),
                ));
            }
            _ => {}
        }
    }
}

/// Escapes text for XML or HTML content and attribute values.
pub fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_and_text() {
        let x = r#"<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>A &amp; B</cbc:ID><cbc:EndpointID schemeID="9948">1</cbc:EndpointID></Invoice>"#;
        let e = Element::parse(x).unwrap();
        assert_eq!(e.ns, NS_INVOICE);
        assert_eq!(e.name, "Invoice");
        assert_eq!(e.text_at("ID"), Some("A & B"));
        assert_eq!(e.child("ID").unwrap().ns, NS_CBC);
        assert_eq!(
            e.child("EndpointID").unwrap().attr("schemeID"),
            Some("9948")
        );
    }

    #[test]
    fn rejects_malformed() {
        assert!(Element::parse("<a><b></a>").is_err());
        assert!(Element::parse("<a>").is_err());
        assert!(Element::parse("not xml").is_err());
        assert!(Element::parse("<x:a/>").is_err());
    }

    #[test]
    fn extracts_document_from_envelope() {
        let doc = r#"<Invoice xmlns="urn:x"><ID>1</ID><X/></Invoice>"#;
        let env = format!(
            r#"<env:DocumentEnvelope xmlns:env="urn:eFaktura:MinFinrs:envelop:schema"><env:DocumentHeader><env:SalesInvoiceId>1</env:SalesInvoiceId></env:DocumentHeader><env:DocumentBody>
{doc}
</env:DocumentBody></env:DocumentEnvelope>"#
        );
        assert_eq!(extract_envelope_document(&env).unwrap(), doc);
        assert_eq!(extract_envelope_document(doc).unwrap(), doc);
    }
}
