//! Bounds for reading untrusted XML: total size, nesting depth, element count, attributes per
//! element and per document, and namespace declarations in scope.
//!
//! Every XML tree that fiskal builds from network input (this crate's reader, the SEF sandbox's
//! element tree) counts what it reads with an [`XmlBudget`] and refuses a document as soon as one
//! bound is passed: the check for an element comes before it is pushed on the stack, the check
//! for an attribute before its value is copied. The namespace resolver inside quick-xml gets the
//! same bound on declarations ([`XmlBudget::reader`]), so a start tag with thousands of `xmlns:*`
//! attributes is refused before quick-xml stores them.
//!
//! ```
//! use fiskal_ubl::limits::{LimitExceeded, XmlBudget, XmlLimits};
//!
//! let mut budget = XmlBudget::new(XmlLimits::DEFAULT);
//! assert!(budget.element(1).is_ok());
//! assert_eq!(
//!     budget.element(XmlLimits::DEFAULT.max_depth + 1),
//!     Err(LimitExceeded::TooDeep { max: XmlLimits::DEFAULT.max_depth })
//! );
//! ```

use quick_xml::NsReader;
use quick_xml::name::NamespaceError;

/// Bounds on one XML document read from untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Largest document in bytes. The default (32 MiB) leaves room for three 5 MB PDF
    /// attachments in base64, the most the SEF profile allows (`ubl-profile.md` BG-24).
    pub max_bytes: usize,
    /// Deepest element nesting (the root is depth 1). UBL documents nest about 12 levels, a SEF
    /// envelope adds two.
    pub max_depth: usize,
    /// Most elements in the document.
    pub max_elements: usize,
    /// Most attributes on one start tag, namespace declarations included.
    pub max_attributes_per_element: usize,
    /// Most attributes in the whole document, namespace declarations included.
    pub max_attributes: usize,
    /// Most `xmlns` / `xmlns:*` declarations in scope at once.
    pub max_namespace_bindings: usize,
}

impl XmlLimits {
    /// The bounds every reader of fiskal uses unless told otherwise.
    pub const DEFAULT: XmlLimits = XmlLimits {
        max_bytes: 32 * 1024 * 1024,
        max_depth: 100,
        max_elements: 1_000_000,
        max_attributes_per_element: 64,
        max_attributes: 1_000_000,
        max_namespace_bindings: 64,
    };
}

impl Default for XmlLimits {
    fn default() -> Self {
        XmlLimits::DEFAULT
    }
}

/// Which bound a document passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// The document is larger than [`XmlLimits::max_bytes`].
    #[error("the document has {size} bytes; at most {max} bytes are accepted")]
    TooLarge {
        /// Size of the document in bytes.
        size: usize,
        /// The bound.
        max: usize,
    },
    /// Elements nest deeper than [`XmlLimits::max_depth`].
    #[error("elements are nested more than {max} levels deep")]
    TooDeep {
        /// The bound.
        max: usize,
    },
    /// More elements than [`XmlLimits::max_elements`].
    #[error("the document has more than {max} elements")]
    TooManyElements {
        /// The bound.
        max: usize,
    },
    /// One start tag has more attributes than [`XmlLimits::max_attributes_per_element`].
    #[error("an element has more than {max} attributes")]
    TooManyAttributesOnElement {
        /// The bound.
        max: usize,
    },
    /// More attributes in the document than [`XmlLimits::max_attributes`].
    #[error("the document has more than {max} attributes")]
    TooManyAttributes {
        /// The bound.
        max: usize,
    },
    /// More namespace declarations in scope than [`XmlLimits::max_namespace_bindings`].
    #[error("more than {max} namespace declarations are in scope")]
    TooManyNamespaces {
        /// The bound.
        max: usize,
    },
}

impl LimitExceeded {
    /// The same sentence in Serbian (Latin script).
    pub fn message_sr(&self) -> String {
        match self {
            LimitExceeded::TooLarge { size, max } => {
                format!("dokument ima {size} bajtova, a prihvata se najviše {max}")
            }
            LimitExceeded::TooDeep { max } => {
                format!("elementi su ugnježdeni dublje od {max} nivoa")
            }
            LimitExceeded::TooManyElements { max } => {
                format!("dokument ima više od {max} elemenata")
            }
            LimitExceeded::TooManyAttributesOnElement { max } => {
                format!("jedan element ima više od {max} atributa")
            }
            LimitExceeded::TooManyAttributes { max } => {
                format!("dokument ima više od {max} atributa")
            }
            LimitExceeded::TooManyNamespaces { max } => {
                format!("istovremeno je deklarisano više od {max} imenskih prostora")
            }
        }
    }
}

/// Counts what a streaming reader has seen against an [`XmlLimits`].
#[derive(Debug, Clone)]
pub struct XmlBudget {
    limits: XmlLimits,
    elements: usize,
    attributes: usize,
}

impl XmlBudget {
    /// A fresh count for one document.
    pub fn new(limits: XmlLimits) -> XmlBudget {
        XmlBudget {
            limits,
            elements: 0,
            attributes: 0,
        }
    }

    /// The bounds.
    pub fn limits(&self) -> &XmlLimits {
        &self.limits
    }

    /// Refuses a document of `size` bytes when it is over [`XmlLimits::max_bytes`]; call it
    /// before parsing.
    pub fn check_size(&self, size: usize) -> Result<(), LimitExceeded> {
        if size > self.limits.max_bytes {
            return Err(LimitExceeded::TooLarge {
                size,
                max: self.limits.max_bytes,
            });
        }
        Ok(())
    }

    /// Counts a start tag whose element will sit at `depth` (the root is 1). Call it before
    /// anything for the element is allocated.
    pub fn element(&mut self, depth: usize) -> Result<(), LimitExceeded> {
        if depth > self.limits.max_depth {
            return Err(LimitExceeded::TooDeep {
                max: self.limits.max_depth,
            });
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(LimitExceeded::TooManyElements {
                max: self.limits.max_elements,
            });
        }
        Ok(())
    }

    /// Counts the attribute at 0-based position `index` of the current start tag (namespace
    /// declarations count too). Call it before the value is unescaped or stored.
    pub fn attribute(&mut self, index: usize) -> Result<(), LimitExceeded> {
        if index >= self.limits.max_attributes_per_element {
            return Err(LimitExceeded::TooManyAttributesOnElement {
                max: self.limits.max_attributes_per_element,
            });
        }
        self.attributes += 1;
        if self.attributes > self.limits.max_attributes {
            return Err(LimitExceeded::TooManyAttributes {
                max: self.limits.max_attributes,
            });
        }
        Ok(())
    }

    /// A namespace-aware reader over `src` with end-name checks on and the namespace resolver
    /// bounded by [`XmlLimits::max_namespace_bindings`].
    pub fn reader<'s>(&self, src: &'s str) -> NsReader<&'s [u8]> {
        let mut r = NsReader::from_str(src);
        r.config_mut().check_end_names = true;
        r.resolver_mut()
            .set_max_namespace_bindings(self.limits.max_namespace_bindings);
        r
    }

    /// The bound behind a quick-xml error, when it is one (too many namespace declarations, or
    /// nesting deeper than quick-xml itself can count).
    pub fn limit_of(&self, e: &quick_xml::Error) -> Option<LimitExceeded> {
        match e {
            quick_xml::Error::Namespace(NamespaceError::TooManyBindings(_)) => {
                Some(LimitExceeded::TooManyNamespaces {
                    max: self.limits.max_namespace_bindings,
                })
            }
            quick_xml::Error::Namespace(NamespaceError::TooDeeplyNested(_)) => {
                Some(LimitExceeded::TooDeep {
                    max: self.limits.max_depth,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_elements_and_attributes() {
        let mut b = XmlBudget::new(XmlLimits {
            max_elements: 2,
            max_attributes: 3,
            max_attributes_per_element: 2,
            ..XmlLimits::DEFAULT
        });
        assert!(b.element(1).is_ok());
        assert!(b.attribute(0).is_ok());
        assert!(b.attribute(1).is_ok());
        assert_eq!(
            b.attribute(2),
            Err(LimitExceeded::TooManyAttributesOnElement { max: 2 })
        );
        assert!(b.element(2).is_ok());
        assert!(b.attribute(0).is_ok());
        assert_eq!(
            b.attribute(1),
            Err(LimitExceeded::TooManyAttributes { max: 3 })
        );
        assert_eq!(b.element(2), Err(LimitExceeded::TooManyElements { max: 2 }));
        assert_eq!(
            b.check_size(usize::MAX),
            Err(LimitExceeded::TooLarge {
                size: usize::MAX,
                max: XmlLimits::DEFAULT.max_bytes
            })
        );
    }

    #[test]
    fn namespace_errors_map_to_limits() {
        let b = XmlBudget::new(XmlLimits::DEFAULT);
        let mut doc = String::from("<a");
        for i in 0..200 {
            doc.push_str(&format!(" xmlns:p{i}=\"urn:{i}\""));
        }
        doc.push_str("/>");
        let mut r = b.reader(&doc);
        let err = r.read_resolved_event().map(|_| ()).unwrap_err();
        assert_eq!(
            b.limit_of(&err),
            Some(LimitExceeded::TooManyNamespaces { max: 64 })
        );
    }
}
