//! Reading SEF's download envelope (`sef-api.md` §9): the document inside it, as the exact text
//! it had, found by a streaming scan within fiskal-ubl's limits. (Uploaded documents are read by
//! fiskal-ubl's reader itself.)

use fiskal_ubl::limits::{LimitExceeded, XmlBudget, XmlLimits};
use quick_xml::events::Event;

/// SEF envelope namespace.
pub const NS_ENVELOPE: &str = "urn:eFaktura:MinFinrs:envelop:schema";

/// Why a text could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The text is not well-formed XML.
    #[error("The document is not well-formed XML: {0}.")]
    Malformed(String),
    /// The document passes one of the bounds of [`XmlLimits::DEFAULT`] and was not read further.
    #[error("The document was refused: {0}.")]
    Limit(#[from] LimitExceeded),
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
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
