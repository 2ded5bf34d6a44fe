//! The three languages of fiskal and their negotiation: Serbian in Latin script (the default of
//! every page a cashier or bookkeeper reads), Serbian in Cyrillic script (receipts, and the
//! default of the TaxCore PFR API) and English.
//!
//! Each server declares which languages it supports, in order of preference
//! ([`Lang::negotiate`]): the PFR API offers `sr-Cyrl-RS` and `en-US` and answers 406 for anything
//! else (pfr-api.md §2.1); pages offer all three with Serbian Latin first.
//!
//! ```
//! use fiskal_domain::lang::{Lang, PAGES, PFR_API};
//! assert_eq!(Lang::negotiate(None, Some("en-US,en;q=0.9"), PAGES), Ok(Lang::En));
//! assert_eq!(Lang::negotiate(None, Some("sr"), PAGES), Ok(Lang::SrLatn));
//! assert_eq!(Lang::negotiate(None, Some("sr"), PFR_API), Ok(Lang::SrCyrl));
//! assert!(Lang::negotiate(None, Some("de-DE"), PFR_API).is_err());
//! assert_eq!(Lang::SrLatn.pick("Račun", "Receipt"), "Račun");
//! assert_eq!(Lang::SrCyrl.pick("Račun", "Receipt"), "Рачун");
//! ```

use std::borrow::Cow;

/// A language fiskal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Lang {
    /// Serbian, Latin script (`sr-Latn-RS`), the default of pages.
    #[default]
    SrLatn,
    /// Serbian, Cyrillic script (`sr-Cyrl-RS`), the default of the PFR API and of receipts.
    SrCyrl,
    /// English (`en-US`).
    En,
}

/// What a server of fiskal supports, first = default when the client states nothing.
pub type Supported = &'static [Lang];

/// Pages (verification page, Moje fakture, sandbox portal, POS): Serbian Latin by default.
pub const PAGES: Supported = &[Lang::SrLatn, Lang::SrCyrl, Lang::En];
/// The TaxCore PFR API: `sr-Cyrl-RS` by default and `en-US` (pfr-api.md §2.1).
pub const PFR_API: Supported = &[Lang::SrCyrl, Lang::En];
/// Command-line messages: Serbian Latin by default.
pub const CLI: Supported = PAGES;

/// No language the client accepts is supported (HTTP 406 on the PFR API).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("none of the requested languages is supported")]
pub struct NotAcceptable;

impl Lang {
    /// Every language, in the order of [`PAGES`].
    pub const ALL: [Lang; 3] = [Lang::SrLatn, Lang::SrCyrl, Lang::En];

    /// The full BCP 47 tag: `sr-Latn-RS`, `sr-Cyrl-RS`, `en-US`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::SrLatn => "sr-Latn-RS",
            Lang::SrCyrl => "sr-Cyrl-RS",
            Lang::En => "en-US",
        }
    }

    /// The short code used in `?lang=` and cookies: `sr`, `sr-Cyrl`, `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::SrLatn => "sr",
            Lang::SrCyrl => "sr-Cyrl",
            Lang::En => "en",
        }
    }

    /// The value of an HTML `lang` attribute.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::SrLatn => "sr-Latn",
            Lang::SrCyrl => "sr-Cyrl",
            Lang::En => "en",
        }
    }

    /// The language's own name, for a language switcher.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::SrLatn => "Latinica",
            Lang::SrCyrl => "Ћирилица",
            Lang::En => "English",
        }
    }

    /// Whether this is one of the Serbian scripts.
    pub fn is_serbian(self) -> bool {
        matches!(self, Lang::SrLatn | Lang::SrCyrl)
    }

    /// Reads one language tag (case-insensitive, `-` or `_`): `sr-Latn…`/`sh`/`hr`/`bs` → Latin,
    /// `sr-Cyrl…` → Cyrillic, `en…` → English. A bare `sr` or `sr-RS` says no script: that is
    /// [`a choice of script`], resolved by the server's preference in [`Lang::negotiate`].
    fn parse_tag(tag: &str) -> Option<Choice> {
        let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = lower.split('-');
        let primary = parts.next().unwrap_or("");
        match primary {
            "en" => Some(Choice::Exact(Lang::En)),
            "sh" | "hr" | "bs" => Some(Choice::Exact(Lang::SrLatn)),
            "sr" => {
                for p in parts {
                    match p {
                        "latn" => return Some(Choice::Exact(Lang::SrLatn)),
                        "cyrl" => return Some(Choice::Exact(Lang::SrCyrl)),
                        _ => {}
                    }
                }
                Some(Choice::AnySerbian)
            }
            "*" => Some(Choice::Any),
            _ => None,
        }
    }

    /// Reads a `lang` query or cookie value (`sr`, `sr-Latn`, `sr-Cyrl`, `en`, or a full tag);
    /// a bare `sr` is Serbian Latin here, as the short code of [`Lang::SrLatn`] is `sr`.
    pub fn from_code(code: &str) -> Option<Lang> {
        match Lang::parse_tag(code)? {
            Choice::Exact(l) => Some(l),
            Choice::AnySerbian => Some(Lang::SrLatn),
            Choice::Any => None,
        }
    }

    /// Picks the language for a request: an explicit choice (`?lang=` or a cookie) that the
    /// server supports wins; otherwise `Accept-Language` with q-values (ties keep header order,
    /// `q=0` excludes, `*` means the default, bare `sr` means the server's first Serbian script);
    /// with no header the first supported language. [`NotAcceptable`] when a header is present
    /// and names nothing supported.
    pub fn negotiate(
        explicit: Option<&str>,
        accept_language: Option<&str>,
        supported: Supported,
    ) -> Result<Lang, NotAcceptable> {
        let default = supported.first().copied().unwrap_or_default();
        if let Some(l) = explicit.and_then(Lang::from_code) {
            if supported.contains(&l) {
                return Ok(l);
            }
        }
        let Some(header) = accept_language.map(str::trim).filter(|h| !h.is_empty()) else {
            return Ok(default);
        };
        let mut ranges: Vec<(u16, usize, Choice)> = Vec::new();
        for (i, part) in header.split(',').take(32).enumerate() {
            let mut fields = part.split(';');
            let Some(choice) = Lang::parse_tag(fields.next().unwrap_or("")) else {
                continue;
            };
            let q = fields
                .find_map(|f| f.trim().strip_prefix("q=").map(parse_q))
                .unwrap_or(Some(1000));
            match q {
                Some(q) if q > 0 => ranges.push((q, i, choice)),
                _ => {}
            }
        }
        ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, _, choice) in ranges {
            let found = match choice {
                Choice::Exact(l) => supported.contains(&l).then_some(l),
                Choice::AnySerbian => supported.iter().copied().find(|l| l.is_serbian()),
                Choice::Any => Some(default),
            };
            if let Some(l) = found {
                return Ok(l);
            }
        }
        Err(NotAcceptable)
    }

    /// Chooses between a Serbian (Latin) and an English text; Cyrillic transliterates the Latin.
    pub fn pick(self, sr_latn: &'static str, en: &'static str) -> Cow<'static, str> {
        match self {
            Lang::SrLatn => Cow::Borrowed(sr_latn),
            Lang::SrCyrl => Cow::Owned(to_cyrillic(sr_latn)),
            Lang::En => Cow::Borrowed(en),
        }
    }

    /// Like [`Lang::pick`] for texts built at run time.
    pub fn pick_owned(self, sr_latn: String, en: String) -> String {
        match self {
            Lang::SrLatn => sr_latn,
            Lang::SrCyrl => to_cyrillic(&sr_latn),
            Lang::En => en,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Choice {
    Exact(Lang),
    AnySerbian,
    Any,
}

/// A q-value in thousandths (`0.8` → 800); `None` if malformed.
fn parse_q(s: &str) -> Option<u16> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let f: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(f),
        "1" if f == 0 => Some(1000),
        _ => None,
    }
}

/// Transliterates Serbian Latin to Cyrillic (Gaj's alphabet to Vuk's, digraphs `lj`, `nj`, `dž`
/// as one letter). Text inside `{…}` and after `://` is not Serbian and is kept; other
/// characters pass unchanged.
pub fn to_cyrillic(latin: &str) -> String {
    let mut out = String::with_capacity(latin.len() * 2);
    let chars: Vec<char> = latin.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // Keep URLs, e-mail addresses and placeholders as they are.
        if c == '{' || starts_url(&chars[i..]) {
            let end = chars[i..]
                .iter()
                .position(|&x| {
                    if c == '{' {
                        x == '}'
                    } else {
                        x.is_whitespace()
                    }
                })
                .map_or(chars.len(), |p| i + p + usize::from(c == '{'));
            out.extend(&chars[i..end]);
            i = end;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let digraph = match (c, next) {
            ('L', Some('j' | 'J')) => Some('Љ'),
            ('l', Some('j')) => Some('љ'),
            ('N', Some('j' | 'J')) => Some('Њ'),
            ('n', Some('j')) => Some('њ'),
            ('D', Some('ž' | 'Ž')) => Some('Џ'),
            ('d', Some('ž')) => Some('џ'),
            _ => None,
        };
        if let Some(d) = digraph {
            out.push(d);
            i += 2;
            continue;
        }
        out.push(letter(c));
        i += 1;
    }
    out
}

fn starts_url(rest: &[char]) -> bool {
    let s: String = rest.iter().take(8).collect();
    s.starts_with("http://") || s.starts_with("https://")
}

fn letter(c: char) -> char {
    const MAP: [(char, char); 30] = [
        ('a', 'а'),
        ('b', 'б'),
        ('c', 'ц'),
        ('č', 'ч'),
        ('ć', 'ћ'),
        ('d', 'д'),
        ('đ', 'ђ'),
        ('e', 'е'),
        ('f', 'ф'),
        ('g', 'г'),
        ('h', 'х'),
        ('i', 'и'),
        ('j', 'ј'),
        ('k', 'к'),
        ('l', 'л'),
        ('m', 'м'),
        ('n', 'н'),
        ('o', 'о'),
        ('p', 'п'),
        ('r', 'р'),
        ('s', 'с'),
        ('š', 'ш'),
        ('t', 'т'),
        ('u', 'у'),
        ('v', 'в'),
        ('z', 'з'),
        ('ž', 'ж'),
        ('q', 'q'),
        ('w', 'w'),
        ('x', 'x'),
    ];
    let lower: Vec<char> = c.to_lowercase().collect();
    let is_upper = c.is_uppercase();
    if lower.len() != 1 {
        return c;
    }
    match MAP.iter().find(|(l, _)| *l == lower[0]) {
        Some((_, cy)) if is_upper => cy.to_uppercase().next().unwrap_or(*cy),
        Some((_, cy)) => *cy,
        None => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values_order_the_choice() {
        let h = Some("de;q=1, en;q=0.5, sr-Cyrl-RS;q=0.8");
        assert_eq!(Lang::negotiate(None, h, PAGES), Ok(Lang::SrCyrl));
        assert_eq!(Lang::negotiate(None, Some("en, sr"), PAGES), Ok(Lang::En));
        assert_eq!(
            Lang::negotiate(None, Some("en;q=0, sr"), PAGES),
            Ok(Lang::SrLatn)
        );
        assert_eq!(Lang::negotiate(None, Some("*"), PFR_API), Ok(Lang::SrCyrl));
        assert_eq!(Lang::negotiate(None, None, PFR_API), Ok(Lang::SrCyrl));
        assert_eq!(Lang::negotiate(None, Some(""), PAGES), Ok(Lang::SrLatn));
        assert_eq!(
            Lang::negotiate(None, Some("hr-HR"), PAGES),
            Ok(Lang::SrLatn)
        );
    }

    #[test]
    fn the_pfr_api_refuses_what_it_does_not_speak() {
        assert_eq!(
            Lang::negotiate(None, Some("de-DE, fr"), PFR_API),
            Err(NotAcceptable)
        );
        assert_eq!(
            Lang::negotiate(None, Some("sr-Latn-RS"), PFR_API),
            Err(NotAcceptable)
        );
        assert_eq!(
            Lang::negotiate(None, Some("en;q=abc"), PFR_API),
            Err(NotAcceptable)
        );
        assert_eq!(
            Lang::negotiate(None, Some("sr-RS"), PFR_API),
            Ok(Lang::SrCyrl)
        );
    }

    #[test]
    fn an_explicit_choice_wins_when_supported() {
        assert_eq!(Lang::negotiate(Some("en"), Some("sr"), PAGES), Ok(Lang::En));
        assert_eq!(
            Lang::negotiate(Some("sr-Cyrl"), None, PAGES),
            Ok(Lang::SrCyrl)
        );
        assert_eq!(
            Lang::negotiate(Some("sr-Latn"), Some("en"), PFR_API),
            Ok(Lang::En)
        );
        assert_eq!(Lang::negotiate(Some("xx"), None, PAGES), Ok(Lang::SrLatn));
        for l in Lang::ALL {
            assert_eq!(Lang::from_code(l.code()), Some(l));
            assert_eq!(Lang::from_code(l.tag()), Some(l));
        }
    }

    #[test]
    fn transliteration() {
        assert_eq!(
            to_cyrillic("Ljubljana, NJEGOŠ, džep"),
            "Љубљана, ЊЕГОШ, џеп"
        );
        assert_eq!(
            to_cyrillic("Račun br. {n} na https://x.rs/v?a=1 ćao"),
            "Рачун бр. {n} на https://x.rs/v?a=1 ћао"
        );
        assert_eq!(to_cyrillic("Đurđevdan 2026."), "Ђурђевдан 2026.");
    }

    #[test]
    fn hostile_headers_do_not_panic() {
        let long = "en;q=0.1,".repeat(10_000);
        assert_eq!(Lang::negotiate(None, Some(&long), PAGES), Ok(Lang::En));
        for h in [
            ";;;", "q=1", ",,,", "sr;q=", "sr;q=1.5", "sr;q=-1", "ć;q=0.5",
        ] {
            let _ = Lang::negotiate(None, Some(h), PAGES);
        }
    }
}
