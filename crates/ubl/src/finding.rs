//! One broken rule: what the reader (schema) and the validator (rules) report.
//!
//! Both [`crate::reader`] and [`crate::validate`] produce findings; this module is the one both
//! depend on, so neither depends on the other for it.

use crate::Lang;

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
