//! HTML escaping for text put into server-rendered pages.

use std::fmt::Write as _;

/// Escapes `text` for HTML element content and quoted attribute values: `&`, `<`, `>`, `"` and
/// `'` become character references, and the Unicode bidirectional controls
/// ([`fiskal_domain::journal::is_bidi_control`]) become spaces, as on the receipt, so text from
/// outside cannot reorder what is shown after it; everything else passes unchanged.
///
/// ```
/// assert_eq!(fiskal_web::escape("<a href=\"x\">Tom & 'Jerry'</a>"),
///            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_into(&mut out, text);
    out
}

/// Like [`escape`], appending to `out`.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if fiskal_domain::journal::is_bidi_control(c) => out.push(' '),
            c => out.push(c),
        }
    }
}

/// An attribute `name="value"` with the value escaped, for building markup.
pub fn attr(name: &str, value: &str) -> String {
    let mut out = String::with_capacity(name.len() + value.len() + 3);
    let _ = write!(out, "{name}=\"");
    escape_into(&mut out, value);
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters_and_nothing_else() {
        assert_eq!(escape("Рачун & <b>\"'"), "Рачун &amp; &lt;b&gt;&quot;&#39;");
        assert_eq!(escape(""), "");
        assert_eq!(attr("value", "a\"b"), "value=\"a&quot;b\"");
    }

    #[test]
    fn bidirectional_controls_become_spaces() {
        assert_eq!(escape("Pivo\u{202E}00,000.1"), "Pivo 00,000.1");
        assert_eq!(escape("a\u{2066}b\u{2069}c\u{200F}"), "a b c ");
        // Right-to-left letters themselves are text, not controls.
        assert_eq!(escape("שלום"), "שלום");
    }
}
