//! The frame of the SUF's public pages: fiskal-web's layout in the language of the request
//! (fiskal-web's [`fiskal_web::Language`] under [`fiskal_web::Pages`]: Serbian Latin by default,
//! Cyrillic by transliteration, English) with a language switcher, and the helpers their texts
//! are written with.
//!
//! Only the pages' own words change with the language. What the receipt says (its journal as
//! TaxCore prints it, item names, labels, the document type, the counter's letters) stays in
//! Cyrillic in every language.

use fiskal_domain::lang::Lang;
use fiskal_web::{Layout, escape as esc};

/// Path of the manual check's form.
pub const MANUAL_PATH: &str = "/v/manual";
/// Path of the item list (`POST`).
pub const SPECIFICATIONS_PATH: &str = "/specifications";

pub mod manual;
pub mod verification;

/// A text of the pages in `lang`: `sr_latn` in Serbian Latin (in Cyrillic transliterated) or
/// `en`. A part in braces is not Serbian (`{QR}`, `{RSD}`, `{vl}`, `{AAAA1111-…}`): it keeps its
/// Latin letters in Cyrillic too, and the braces are dropped.
///
/// ```
/// use fiskal_domain::lang::Lang;
/// use fiskal_suf::api::page::text;
/// assert_eq!(text(Lang::SrLatn, "Račun bez {QR} koda", "No QR code"), "Račun bez QR koda");
/// assert_eq!(text(Lang::SrCyrl, "Račun bez {QR} koda", "No QR code"), "Рачун без QR кода");
/// assert_eq!(text(Lang::En, "Račun bez {QR} koda", "No QR code"), "No QR code");
/// ```
pub fn text(lang: Lang, sr_latn: &'static str, en: &'static str) -> String {
    lang.pick(sr_latn, en).replace(['{', '}'], "")
}

/// [`text`] escaped for HTML.
pub fn t(lang: Lang, sr_latn: &'static str, en: &'static str) -> String {
    esc(&text(lang, sr_latn, en))
}

/// A whole page in `lang` titled `title` (plain text) around `body` (markup with every
/// request-derived text escaped), opened by links to the same page in the other languages.
/// `here` is the page's path and query without `lang`, already safe in a URL (see
/// [`url_safe`]); each link adds `lang=` to it.
pub fn page(lang: Lang, here: &str, title: &str, body: &str) -> String {
    let body = format!("{}{body}", switcher(lang, here));
    Layout::new(title, lang).render(&body)
}

/// The language switcher: `Latinica · Ћирилица · English`, the page's own language not a link.
fn switcher(lang: Lang, here: &str) -> String {
    format!(
        "<nav class=\"more\" id=\"languages\" aria-label=\"{}\">{}</nav>",
        t(lang, "Jezik", "Language"),
        fiskal_web::language_links(lang, here)
    )
}

/// `raw` (a query value as the request carried it, still percent-encoded) made safe to put back
/// into a link: the characters of a percent-encoded base64 `vl` pass unchanged, every other byte
/// is percent-encoded, so the link carries the same value.
pub fn url_safe(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~%+/=".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A paragraph linking to the manual check, for pages without a usable link.
pub fn manual_link(lang: Lang) -> String {
    format!(
        "<p class=\"manual-link\"><a href=\"{MANUAL_PATH}\" id=\"manual-link\">{}</a></p>",
        t(
            lang,
            "Proverite račun unosom podataka sa računa",
            "Check a receipt by typing in its details"
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switcher_links_the_other_languages_keeping_the_query() {
        let html = page(Lang::SrCyrl, "/v/?vl=AB%2B%3D", "Рачун", "<h1>x</h1>");
        assert!(html.contains("<html lang=\"sr-Cyrl\">"), "{html}");
        assert!(
            html.contains("<a href=\"/v/?vl=AB%2B%3D&amp;lang=sr\" lang=\"sr-Latn\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"/v/?vl=AB%2B%3D&amp;lang=en\""),
            "{html}"
        );
        assert!(html.contains("<strong lang=\"sr-Cyrl\" aria-current=\"true\">Ћирилица</strong>"));
        assert!(html.contains("aria-label=\"Језик\""), "{html}");
        let html = page(Lang::En, MANUAL_PATH, "Check", "");
        assert!(html.contains("href=\"/v/manual?lang=sr-Cyrl\""), "{html}");
        assert!(html.contains("aria-label=\"Language\""), "{html}");
    }

    #[test]
    fn request_values_are_made_safe_for_links() {
        assert_eq!(url_safe("AB%2Bc/d+e=="), "AB%2Bc/d+e==");
        assert_eq!(url_safe("a\"<b> č"), "a%22%3Cb%3E%20%C4%8D");
    }

    #[test]
    fn braces_keep_latin_letters_in_cyrillic() {
        assert_eq!(
            text(Lang::SrCyrl, "Ukupan iznos ({RSD})", "Total (RSD)"),
            "Укупан износ (RSD)"
        );
        assert_eq!(t(Lang::En, "x", "a < b"), "a &lt; b");
    }
}
