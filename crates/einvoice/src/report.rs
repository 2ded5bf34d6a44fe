//! What `fiskal sef validate` reports about a UBL document: fiskal-ubl's findings as lines of
//! text ([`validate_report`]) or as JSON ([`validate_json`]).

use crate::messages::{Lang, tr};

/// The report of `fiskal sef validate`: one line per finding (rule id, severity, path, sentence;
/// tab-separated) and a closing sentence, in `lang`, and whether the document has no fatal
/// finding. A document the reader refuses gives one `XML` line.
pub fn validate_report(xml: &str, lang: Lang) -> (String, bool) {
    match fiskal_ubl::validate_xml(xml) {
        Ok(findings) => {
            let mut out = String::new();
            for f in &findings {
                let sev = if f.is_fatal() {
                    tr(lang, "greška", "error")
                } else {
                    tr(lang, "upozorenje", "warning")
                };
                out.push_str(&format!(
                    "{}\t{sev}\t{}\t{}\n",
                    f.rule_id,
                    f.path,
                    f.message(lang)
                ));
            }
            let fatal = findings.iter().filter(|f| f.is_fatal()).count();
            let n = findings.len();
            out.push_str(&if fatal == 0 {
                tr(
                    lang,
                    &format!("Dokument je ispravan ({n} upozorenja).\n"),
                    &format!("The document is valid ({n} warnings).\n"),
                )
            } else {
                tr(
                    lang,
                    &format!("Dokument nije ispravan: {fatal} grešaka.\n"),
                    &format!("The document is not valid: {fatal} errors.\n"),
                )
            });
            (out, fatal == 0)
        }
        Err(e) => (
            format!(
                "XML\t{}\t/\t{}\n",
                tr(lang, "greška", "error"),
                e.message(lang)
            ),
            false,
        ),
    }
}

/// The findings of a document as JSON objects (`rule_id`, `path`, `fatal`, `message_sr`,
/// `message_en`), and whether any is fatal. A document the reader refuses gives one `XML` finding.
pub fn validate_json(xml: &str) -> (Vec<serde_json::Value>, bool) {
    let findings: Vec<serde_json::Value> = match fiskal_ubl::validate_xml(xml) {
        Ok(f) => f
            .iter()
            .map(|f| {
                serde_json::json!({ "rule_id": f.rule_id, "path": f.path, "fatal": f.is_fatal(), "message_sr": f.message_sr, "message_en": f.message_en })
            })
            .collect(),
        Err(e) => vec![
            serde_json::json!({ "rule_id": "XML", "path": "/", "fatal": true, "message_sr": e.message(Lang::SrLatn), "message_en": e.message(Lang::En) }),
        ],
    };
    let fatal = findings.iter().any(|f| f["fatal"] == true);
    (findings, fatal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_report_lists_rule_path_and_sentence() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let good = fiskal_ubl::to_xml(&fiskal_ubl::samples::sample_invoice("F-1", day, 2));
        let (out, ok) = validate_report(&good, Lang::SrLatn);
        assert!(ok, "{out}");
        let bad = good.replace("<cbc:ID>F-1</cbc:ID>", "");
        let (out, ok) = validate_report(&bad, Lang::En);
        assert!(!ok);
        let first = out.lines().next().unwrap();
        let cols: Vec<&str> = first.split('\t').collect();
        assert_eq!(cols.len(), 4, "{first}");
        assert_eq!(cols[1], "error");
        assert!(cols[2].starts_with('/'), "{first}");
        assert!(out.contains("The document is not valid"));
        let (out, ok) = validate_report("<not xml", Lang::SrLatn);
        assert!(!ok && out.starts_with("XML\tgreška"));
        let (out, ok) = validate_report(&bad, Lang::SrCyrl);
        assert!(!ok && out.contains("\tгрешка\t/Invoice/cbc:ID\t"), "{out}");
        assert!(
            out.ends_with("Документ није исправан: 2 грешака.\n"),
            "{out}"
        );
    }

    #[test]
    fn validate_json_marks_fatal_findings() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let good = fiskal_ubl::to_xml(&fiskal_ubl::samples::sample_invoice("F-1", day, 2));
        assert!(!validate_json(&good).1);
        let (findings, fatal) = validate_json("<not xml");
        assert!(fatal);
        assert_eq!(findings[0]["rule_id"], "XML");
    }
}
