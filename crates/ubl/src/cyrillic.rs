//! Serbian Cyrillic for messages that quote documents: [`transliterate`] turns the Serbian Latin
//! words of a sentence into Cyrillic with [`fiskal_domain::lang::to_cyrillic`] and keeps what is
//! not Serbian as written — quoted values (`'F-1/2026'`, `"abc"`), rule ids and codes with digits
//! (`BR-CO-15`, `RS190000012`, `PDV-RS-25-2-3`), element names (`cbc:IssueDate`, `CreditNote`),
//! domain names (`efaktura.mfin.gov.rs`), technical abbreviations (`UBL`, `XML`, `ISO`, `RSD`),
//! VAT category letters (`S`, `AE`, `O`), `{…}` placeholders and URLs.
//!
//! ```
//! use fiskal_ubl::cyrillic::transliterate;
//! assert_eq!(
//!     transliterate("Broj fakture 'F-1' nije ispravan; PDV kategorija S, šifra PDV-RS-25-2-3."),
//!     "Број фактуре 'F-1' није исправан; ПДВ категорија S, шифра PDV-RS-25-2-3."
//! );
//! assert_eq!(
//!     transliterate("U SEF-u (efaktura.mfin.gov.rs) pošaljite UBL XML za {broj}."),
//!     "У СЕФ-у (efaktura.mfin.gov.rs) пошаљите UBL XML за {broj}."
//! );
//! ```

use std::borrow::Cow;

use fiskal_domain::lang::{Lang, to_cyrillic};

/// Technical abbreviations and codes written in Latin letters in Serbian Cyrillic text too.
/// Words with `q`, `w`, `x` or `y` (no Serbian word has them) are kept anyway.
const LATIN_ABBREVIATIONS: &[&str] = &[
    "AE", "BOM", "CSV", "DOCTYPE", "EN", "EUR", "GLN", "HTML", "HTTP", "HTTPS", "IBAN", "ID",
    "ISO", "JSON", "OE", "PDF", "RS", "RSD", "SS", "UBL", "URL", "USD", "UTF", "UUID", "VAT",
];

/// Characters stripped from a word's ends before it is classified (kept in the output).
fn is_edge_punct(c: char) -> bool {
    "()[],.;:!?„“”\"«»…".contains(c)
}

/// Whether a word (edge punctuation removed) is written as it is in Cyrillic text.
fn keep_word(core: &str, sentence_start: bool) -> bool {
    let has_digit = core.chars().any(|c| c.is_ascii_digit());
    let has_letter = core.chars().any(|c| c.is_alphabetic());
    if core.starts_with('{') || core.contains("://") {
        return true;
    }
    if has_digit && has_letter {
        return true;
    }
    let inner = |c: char| {
        core.trim_matches(|x: char| !x.is_alphanumeric())
            .contains(c)
    };
    if inner(':') || inner('_') || inner('@') || inner('=') || inner('#') {
        return true;
    }
    // `application/pdf`, `Delivery/ActualDeliveryDate`; but `popusti/troškovi` is Serbian.
    if inner('/') && core.is_ascii() {
        return true;
    }
    // A domain name: dot-separated labels, one of them longer than a letter (not `d.o.o`).
    if core.contains('.') {
        let labels: Vec<&str> = core.split('.').collect();
        if labels.len() >= 2
            && labels.iter().all(|l| !l.is_empty())
            && labels.iter().any(|l| l.chars().count() > 1)
        {
            return true;
        }
    }
    if core.contains('-') {
        return keep_hyphenated(core);
    }
    keep_simple(core, sentence_start)
}

/// `BR-CO`, `PDV-RS-…`, `GGGG-MM-DD`, `A-Z`, `a-z` are codes; `PDV-a` or `e-pošta` are words,
/// transliterated part by part.
fn keep_hyphenated(core: &str) -> bool {
    let parts: Vec<&str> = core.split('-').filter(|p| !p.is_empty()).collect();
    let caps = parts
        .iter()
        .filter(|p| p.chars().all(|c| c.is_ascii_uppercase()))
        .count();
    let letters = parts.len() >= 2
        && parts
            .iter()
            .all(|p| p.chars().count() == 1 && p.chars().all(|c| c.is_ascii_alphabetic()));
    caps >= 2 || letters
}

fn keep_simple(word: &str, sentence_start: bool) -> bool {
    if word.is_empty() || !word.chars().any(|c| c.is_alphabetic()) {
        return false;
    }
    if word
        .chars()
        .any(|c| matches!(c, 'q' | 'w' | 'x' | 'y' | 'Q' | 'W' | 'X' | 'Y'))
    {
        return true;
    }
    // CamelCase element and code names: `CreditNote`, `schemeID`, `TaxTotal`.
    let chars: Vec<char> = word.chars().collect();
    if chars
        .windows(2)
        .any(|w| w[0].is_lowercase() && w[1].is_uppercase())
    {
        return true;
    }
    if matches!(word, "Invoice" | "true" | "false") {
        return true;
    }
    if chars.iter().all(|c| c.is_ascii_uppercase()) {
        // A lone capital is a VAT category or a code, except a word opening a sentence (`U`, `O`).
        if chars.len() == 1 {
            return !sentence_start;
        }
        return LATIN_ABBREVIATIONS.contains(&word);
    }
    false
}

/// One word: kept, or transliterated part by part around its hyphens.
fn word_to_cyrillic(core: &str, sentence_start: bool, out: &mut String) {
    if keep_word(core, sentence_start) {
        out.push_str(core);
        return;
    }
    for (i, part) in core.split('-').enumerate() {
        if i > 0 {
            out.push('-');
        }
        if keep_simple(part, sentence_start && i == 0) {
            out.push_str(part);
        } else {
            out.push_str(&to_cyrillic(part));
        }
    }
}

/// Serbian Latin to Cyrillic, keeping what is not Serbian (see the module documentation).
pub fn transliterate(latin: &str) -> String {
    let mut out = String::with_capacity(latin.len() * 2);
    let chars: Vec<char> = latin.chars().collect();
    let mut sentence_start = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            out.push(c);
            i += 1;
            continue;
        }
        // A value in ASCII quotes, e.g. 'F-1/2026' or "abc": to the quote that ends a word.
        if c == '\'' || c == '"' {
            let close = (i + 1..chars.len())
                .find(|&j| chars[j] == c && chars.get(j + 1).is_none_or(|n| !n.is_alphanumeric()));
            if let Some(j) = close {
                out.extend(&chars[i..=j]);
                i = j + 1;
                sentence_start = false;
                continue;
            }
        }
        let end = (i..chars.len())
            .find(|&j| chars[j].is_whitespace())
            .unwrap_or(chars.len());
        let token: String = chars[i..end].iter().collect();
        let start = token
            .find(|c: char| !is_edge_punct(c))
            .unwrap_or(token.len());
        let stop = token.rfind(|c: char| !is_edge_punct(c)).map_or(start, |p| {
            p + token[p..].chars().next().map_or(1, char::len_utf8)
        });
        let stop = stop.max(start);
        out.push_str(&token[..start]);
        word_to_cyrillic(&token[start..stop], sentence_start, &mut out);
        out.push_str(&token[stop..]);
        sentence_start = token.ends_with(['.', '!', '?']);
        i = end;
    }
    out
}

/// The text in `lang`: `sr` as written, [`transliterate`]d for Cyrillic, or `en`.
pub fn text<'a>(lang: Lang, sr: &'a str, en: &'a str) -> Cow<'a, str> {
    match lang {
        Lang::SrLatn => Cow::Borrowed(sr),
        Lang::SrCyrl => Cow::Owned(transliterate(sr)),
        Lang::En => Cow::Borrowed(en),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_sentences_keep_their_codes_and_values() {
        let cases = [
            (
                "Identifikator specifikacije mora da počinje sa 'urn:cen.eu:en16931:2017', a glasi 'x y'.",
                "Идентификатор спецификације мора да почиње са 'urn:cen.eu:en16931:2017', а гласи 'x y'.",
            ),
            (
                "Broj fakture 'O'Neil-1' sme da sadrži samo slova A-Z, a-z, cifre i znakove - / _ . i najviše 50 znakova.",
                "Број фактуре 'O'Neil-1' сме да садржи само слова A-Z, a-z, цифре и знакове - / _ . и највише 50 знакова.",
            ),
            (
                "Šifra vrste dokumenta '384' nije dozvoljena: Invoice može biti 380, 383 ili 386, a CreditNote 381.",
                "Шифра врсте документа '384' није дозвољена: Invoice може бити 380, 383 или 386, а CreditNote 381.",
            ),
            (
                "Nepoznata PDV kategorija 'X'; dozvoljene su S, AE, Z, E, O, R, OE, SS i N.",
                "Непозната ПДВ категорија 'X'; дозвољене су S, AE, Z, E, O, R, OE, SS и N.",
            ),
            (
                "U adresi kupca nedostaje šifra države (npr. RS). O tome: PIB RS190000012.",
                "У адреси купца недостаје шифра државе (нпр. RS). О томе: ПИБ RS190000012.",
            ),
            (
                "Šifra osnova oslobođenja 'A' mora imati oblik PDV-RS-… (npr. PDV-RS-25-2-3); vidi SEF-ovoj listi.",
                "Шифра основа ослобођења 'A' мора имати облик PDV-RS-… (нпр. PDV-RS-25-2-3); види СЕФ-овој листи.",
            ),
            (
                "Element cbc:Note nije dozvoljen unutar cac:Party (UBL 2.1 šema); datum GGGG-MM-DD, BOM-a.",
                "Елемент cbc:Note није дозвољен унутар cac:Party (UBL 2.1 шема); датум GGGG-MM-DD, BOM-а.",
            ),
            (
                "Vrednost \"abc\" nije datum; ChargeIndicator mora biti true ili false (popusti/troškovi, application/pdf).",
                "Вредност \"abc\" није датум; ChargeIndicator мора бити true или false (попусти/трошкови, application/pdf).",
            ),
            (
                "Firma d.o.o. u SEF-u: API STATUS, JBKJS-a, e-pošta, Podešavanja → API menadžment.",
                "Фирма д.о.о. у СЕФ-у: АПИ СТАТУС, ЈБКЈС-а, е-пошта, Подешавања → АПИ менаџмент.",
            ),
            (
                "Ključ ima oblik xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; vidi https://efaktura.mfin.gov.rs/a?b=1 i {ErrorCode}{polje}.",
                "Кључ има облик xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; види https://efaktura.mfin.gov.rs/a?b=1 и {ErrorCode}{polje}.",
            ),
        ];
        for (latin, cyrillic) in cases {
            assert_eq!(transliterate(latin), cyrillic, "{latin}");
        }
    }

    #[test]
    fn the_three_languages() {
        assert_eq!(text(Lang::SrLatn, "Račun", "Invoice"), "Račun");
        assert_eq!(text(Lang::SrCyrl, "Račun XML", "Invoice"), "Рачун XML");
        assert_eq!(text(Lang::En, "Račun", "Invoice"), "Invoice");
        assert_eq!(transliterate(""), "");
        assert_eq!(transliterate("  ...  "), "  ...  ");
        assert_eq!(transliterate("'"), "'");
    }
}
