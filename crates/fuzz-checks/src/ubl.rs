//! Target `ubl`: the UBL reader and validator of `fiskal_ubl` on untrusted XML.

use fiskal_ubl::{XmlLimits, read, read_with_findings, read_with_limits, to_xml, validate};

/// Tight bounds, so that the fuzzer also meets every limit of the reader.
const SMALL: XmlLimits = XmlLimits {
    max_bytes: 64 * 1024,
    max_depth: 12,
    max_elements: 2_000,
    max_attributes_per_element: 4,
    max_attributes: 200,
    max_namespace_bindings: 6,
};

/// Reads `data` (lossy UTF-8) with the default limits and with tight ones, and validates what
/// reads (`validate_xml`'s two steps). Never panics, never overflows the stack.
///
/// A document that reads must also write (`to_xml`, as Moje fakture's "redate" does with an
/// uploaded document) to XML that reads again.
pub fn check_ubl(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = read_with_limits(&text, &SMALL);
    let Ok((doc, _findings)) = read_with_findings(&text) else {
        return;
    };
    let _ = validate(&doc);
    let xml = to_xml(&doc);
    if let Err(e) = read(&xml) {
        panic!("the writer's XML of a read document does not read again: {e}\n{xml}");
    }
}
