//! Every sentence a cashier reads, in Serbian (Latin script, the default) and English.
//!
//! Receipts (journal text) are not here: they are Serbian Cyrillic whatever the language.

use fiskal_domain::gsc::Gsc;
use fiskal_domain::kinds::{DocumentKind, InvoiceType, TransactionType};

use crate::codebook::ItemPrefix;
use crate::error::{EsirError, PfrFieldError};
use crate::rules::EsirWarning;

mod violations;

pub use fiskal_domain::lang::Lang;

/// The `Accept-Language` value sent to the PFR: `sr-Cyrl-RS` for either Serbian script (the
/// PFR API speaks Cyrillic), `en-US` for English.
pub fn accept_language(lang: Lang) -> &'static str {
    match lang {
        Lang::SrLatn | Lang::SrCyrl => "sr-Cyrl-RS",
        Lang::En => "en-US",
    }
}

/// Chooses the Serbian (Latin) or English text; Cyrillic transliterates the Latin one.
fn pick(lang: Lang, sr: impl Into<String>, en: impl Into<String>) -> String {
    lang.pick_owned(sr.into(), en.into())
}

impl crate::error::EsirError {
    /// The error as a sentence for the cashier (one or more lines for several errors).
    pub fn message(&self, lang: Lang) -> String {
        error(self, lang)
    }
}

impl std::fmt::Display for crate::error::EsirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

/// The name of a document kind in the cashier's language (`Promet prodaja`, `Normal Sale`).
pub fn kind_name(kind: DocumentKind, lang: Lang) -> String {
    let (it_sr, it_en) = match kind.invoice_type {
        InvoiceType::Normal => ("Promet", "Normal"),
        InvoiceType::ProForma => ("Predračun", "ProForma"),
        InvoiceType::Copy => ("Kopija", "Copy"),
        InvoiceType::Training => ("Obuka", "Training"),
        InvoiceType::Advance => ("Avans", "Advance"),
    };
    let (tt_sr, tt_en) = match kind.transaction_type {
        TransactionType::Sale => ("prodaja", "Sale"),
        TransactionType::Refund => ("refundacija", "Refund"),
    };
    pick(lang, format!("{it_sr} {tt_sr}"), format!("{it_en} {tt_en}"))
}

/// A GSC's meaning in the cashier's language.
pub fn gsc_text(gsc: Gsc, lang: Lang) -> String {
    pick(lang, gsc.describe_sr(), gsc.describe_en())
}

fn lower_first(s: &str) -> String {
    let mut cs = s.chars();
    match (cs.next(), cs.clone().next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(cs).collect()
        }
        _ => s.to_string(),
    }
}

/// One PFR error as a sentence: `Polje items[0].labels[0]: neispravne poreske oznake (2310).`
pub fn pfr_field_error(e: &PfrFieldError, lang: Lang) -> String {
    let meaning = match (e.gsc(), &e.text) {
        (Some(g), _) => lower_first(&gsc_text(g, lang)),
        (None, Some(t)) => t.trim().trim_end_matches('.').to_string(),
        (None, None) => pick(lang, "nepoznata greška", "unknown error"),
    };
    let code = if e.code.is_empty() {
        String::new()
    } else {
        format!(" ({})", e.code)
    };
    if e.property.is_empty() {
        pick(
            lang,
            format!("PFR je odbio zahtev: {meaning}{code}."),
            format!("The PFR refused the request: {meaning}{code}."),
        )
    } else {
        pick(
            lang,
            format!("Polje {}: {meaning}{code}.", e.property),
            format!("Field {}: {meaning}{code}.", e.property),
        )
    }
}

/// An [`EsirError`] as one or more sentences (one per line).
pub fn error(e: &EsirError, lang: Lang) -> String {
    match e {
        EsirError::Pfr {
            http_status,
            errors,
        } => {
            if errors.is_empty() {
                pick(
                    lang,
                    format!("PFR je odbio zahtev (HTTP {http_status}) bez navođenja razloga."),
                    format!(
                        "The PFR refused the request (HTTP {http_status}) without giving a reason."
                    ),
                )
            } else {
                errors
                    .iter()
                    .map(|x| pfr_field_error(x, lang))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }
        EsirError::InvalidRequest { errors } => {
            let head = pick(
                lang,
                "Zahtev nije poslat jer nije ispravan:",
                "The request was not sent because it is not valid:",
            );
            let lines: Vec<String> = errors.iter().map(|x| pfr_field_error(x, lang)).collect();
            format!("{head}\n{}", lines.join("\n"))
        }
        EsirError::Unreachable { url, detail } => pick(
            lang,
            format!("PFR na adresi {url} nije dostupan ({detail}); ništa nije izdato."),
            format!("The PFR at {url} cannot be reached ({detail}); nothing was issued."),
        ),
        EsirError::OutcomeUnknown { request_id } => pick(
            lang,
            format!(
                "Nije poznato da li je PFR izdao dokument (zahtev {request_id}). Ne izdajte ga ponovo: \
                 provera se ponavlja automatski pre sledećeg dokumenta, ili pokrenite `fiskal esir list`."
            ),
            format!(
                "It is not known whether the PFR issued the document (request {request_id}). Do not issue it \
                 again: it is looked up automatically before the next document, or run `fiskal esir list`."
            ),
        ),
        EsirError::BadResponse { detail } => pick(
            lang,
            format!("PFR je poslao odgovor koji nije ispravan ({detail})."),
            format!("The PFR sent an answer that is not valid ({detail})."),
        ),
        EsirError::PinRequired => pick(
            lang,
            "PFR traži PIN bezbednosnog elementa: unesite ga sa `fiskal esir pin` ili zadajte --pin (FISKAL_PIN).",
            "The PFR needs the secure element's PIN: enter it with `fiskal esir pin` or give --pin (FISKAL_PIN).",
        ),
        EsirError::PinFormat => pick(
            lang,
            "PIN mora da ima tačno 4 cifre.",
            "The PIN must be exactly 4 digits.",
        ),
        EsirError::PinRefused { code } => {
            let meaning = Gsc::from_code(code)
                .map(|g| gsc_text(g, lang))
                .unwrap_or_else(|| code.clone());
            pick(
                lang,
                format!("PFR nije prihvatio PIN: {meaning} ({code})."),
                format!("The PFR did not accept the PIN: {meaning} ({code})."),
            )
        }
        EsirError::Rules(vs) => {
            let head = pick(lang, "Dokument nije poslat:", "The document was not sent:");
            let lines: Vec<String> = vs
                .iter()
                .map(|v| format!("- {}", v.message(lang)))
                .collect();
            format!("{head}\n{}", lines.join("\n"))
        }
        EsirError::ItemSpec { spec } => pick(
            lang,
            format!(
                "Stavka „{spec}” nije ispravna; oblik je NAZIV;KOLIČINA;CENA;OZNAKA[,OZNAKA], npr. „Hleb/kom;2;10.55;Ђ”."
            ),
            format!(
                "The item \"{spec}\" is not valid; the form is NAME;QTY;PRICE;LABEL[,LABEL], e.g. \"Bread/pc;2;10.55;Ђ\"."
            ),
        ),
        EsirError::PaymentSpec { spec } => pick(
            lang,
            format!(
                "Plaćanje „{spec}” nije ispravno; oblik je NAČIN:IZNOS, npr. „cash:164.00” \
                 (cash, card, check, wire, voucher, mobile, other)."
            ),
            format!(
                "The payment \"{spec}\" is not valid; the form is METHOD:AMOUNT, e.g. \"cash:164.00\" \
                 (cash, card, check, wire, voucher, mobile, other)."
            ),
        ),
        EsirError::NotInStore { number } => pick(
            lang,
            format!(
                "Dokument {number} nije u lokalnoj evidenciji ovog ESIR-a. Za račun izdat na drugom mestu \
                 zadajte URL za proveru (--url) i stavke (--item)."
            ),
            format!(
                "Document {number} is not in this ESIR's local store. For a receipt issued elsewhere give its \
                 verification URL (--url) and the items (--item)."
            ),
        ),
        EsirError::VerificationUrl { detail } => pick(
            lang,
            format!("URL za proveru nije ispravan ({detail})."),
            format!("The verification URL is not valid ({detail})."),
        ),
        EsirError::Store { detail } => pick(
            lang,
            format!("Lokalna evidencija ESIR-a nije dostupna ({detail})."),
            format!("The ESIR's local store is not available ({detail})."),
        ),
        EsirError::Io { path, detail } => pick(
            lang,
            format!("Datoteka {path} ne može da se upiše ili pročita ({detail})."),
            format!("The file {path} cannot be written or read ({detail})."),
        ),
        EsirError::Qr { detail } => pick(
            lang,
            format!("QR kod ne može da se napravi ({detail})."),
            format!("The QR code cannot be made ({detail})."),
        ),
    }
}

fn item_no(i: usize) -> usize {
    i + 1
}

impl EsirWarning {
    /// The warning as a sentence for the cashier.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            EsirWarning::BuyerId(w) => pick(
                lang,
                format!("Upozorenje: {}", w.message_sr()),
                format!("Warning: {}", w.message_en()),
            ),
            EsirWarning::ReferenceNotInStore { number } => pick(
                lang,
                format!(
                    "Upozorenje: dokument {number} nije u lokalnoj evidenciji, pa veza sa njim nije proverena."
                ),
                format!(
                    "Warning: document {number} is not in the local store, so the link to it was not checked."
                ),
            ),
        }
    }
}

/// Other texts the command line prints.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Text<'a> {
    /// A document was issued.
    Issued {
        /// Its kind.
        kind: DocumentKind,
        /// PFR number.
        number: &'a str,
        /// Counter.
        counter: &'a str,
    },
    /// The verification URL line.
    VerificationUrl(&'a str),
    /// Where the QR PNG was written.
    QrWritten {
        /// File.
        path: &'a str,
        /// Width in millimetres.
        mm: f32,
    },
    /// The PFR accepted the PIN.
    PinAccepted,
    /// Prompt for the PIN.
    EnterPin,
    /// A pending request turned out to be issued.
    PendingIssued {
        /// Request ID.
        request_id: &'a str,
        /// PFR number.
        number: &'a str,
    },
    /// A pending request was not issued.
    PendingNotIssued {
        /// Request ID.
        request_id: &'a str,
    },
    /// A pending request is still unknown.
    PendingUnknown {
        /// Request ID.
        request_id: &'a str,
    },
    /// The local store is empty.
    NothingIssued,
    /// After a cash refund: the Copy Refund for the buyer's signature follows.
    CopyRefundFollows,
    /// Advance chain summary.
    AdvanceSum {
        /// Sum still open.
        open: &'a str,
    },
}

impl Text<'_> {
    /// The text in the given language.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Text::Issued {
                kind,
                number,
                counter,
            } => pick(
                lang,
                format!(
                    "Izdat je dokument {} broj {number} (brojač {counter}).",
                    kind_name(*kind, lang)
                ),
                format!(
                    "Issued {} number {number} (counter {counter}).",
                    kind_name(*kind, lang)
                ),
            ),
            Text::VerificationUrl(u) => pick(
                lang,
                format!("URL za proveru: {u}"),
                format!("Verification URL: {u}"),
            ),
            Text::QrWritten { path, mm } => pick(
                lang,
                format!(
                    "QR kod je upisan u {path} ({} mm pri 300 dpi).",
                    format!("{mm:.1}").replace('.', ",")
                ),
                format!("The QR code was written to {path} ({mm:.1} mm at 300 dpi)."),
            ),
            Text::PinAccepted => pick(lang, "PFR je prihvatio PIN.", "The PFR accepted the PIN."),
            Text::EnterPin => pick(
                lang,
                "Unesite PIN bezbednosnog elementa: ",
                "Enter the secure element's PIN: ",
            ),
            Text::PendingIssued { request_id, number } => pick(
                lang,
                format!("Zahtev {request_id}, čiji ishod nije bio poznat, izdat je kao {number}."),
                format!("Request {request_id}, whose outcome was unknown, was issued as {number}."),
            ),
            Text::PendingNotIssued { request_id } => pick(
                lang,
                format!("Zahtev {request_id}, čiji ishod nije bio poznat, nije izdat."),
                format!("Request {request_id}, whose outcome was unknown, was not issued."),
            ),
            Text::PendingUnknown { request_id } => pick(
                lang,
                format!("Ishod zahteva {request_id} još nije poznat (PFR nije dostupan)."),
                format!(
                    "The outcome of request {request_id} is still unknown (the PFR cannot be reached)."
                ),
            ),
            Text::NothingIssued => pick(
                lang,
                "Lokalna evidencija nema izdatih dokumenata.",
                "The local store has no issued documents.",
            ),
            Text::CopyRefundFollows => pick(
                lang,
                "Novac je vraćen u gotovini: izdaje se Kopija refundacija koju kupac potpisuje.",
                "The money was returned in cash: a Copy Refund for the buyer to sign is issued.",
            ),
            Text::AdvanceSum { open } => pick(
                lang,
                format!("Otvoreni avans: {open}."),
                format!("Open advance: {open}."),
            ),
        }
    }
}

/// The PFR's status as lines for the cashier: address, UID, time, every status code with its
/// meaning, and the tax rates in force.
pub fn status_report(url: &str, s: &fiskal_domain::api::Status, lang: Lang) -> String {
    let mut out = Vec::new();
    out.push(format!("PFR: {url}"));
    if !s.uid.is_empty() {
        out.push(pick(
            lang,
            format!("UID bezbednosnog elementa: {}", s.uid),
            format!("Secure element UID: {}", s.uid),
        ));
    }
    let t = fiskal_domain::time::format_journal(s.sdc_date_time.to_utc());
    out.push(pick(
        lang,
        format!("Vreme PFR-a: {t}"),
        format!("PFR time: {t}"),
    ));
    if !s.last_invoice_number.is_empty() {
        out.push(pick(
            lang,
            format!("Poslednji račun: {}", s.last_invoice_number),
            format!("Last invoice: {}", s.last_invoice_number),
        ));
    }
    out.push(pick(lang, "Stanje:", "State:"));
    for c in &s.gsc {
        let meaning = Gsc::from_code(c)
            .map(|g| gsc_text(g, lang))
            .unwrap_or_else(|| pick(lang, "nepoznat kod", "unknown code"));
        out.push(format!("  {c} {meaning}"));
    }
    match &s.current_tax_rates {
        Some(g) => {
            out.push(pick(
                lang,
                format!("Važeće poreske stope (grupa {}):", g.group_id),
                format!("Tax rates in force (group {}):", g.group_id),
            ));
            for c in &g.tax_categories {
                for r in &c.tax_rates {
                    out.push(format!(
                        "  {} {} {}",
                        r.label,
                        fiskal_domain::money::format_rate(r.rate),
                        c.name
                    ));
                }
            }
        }
        None => out.push(pick(
            lang,
            "PFR nema važeće poreske stope.",
            "The PFR has no tax rates in force.",
        )),
    }
    out.join("\n")
}

/// The name of an item prefix, for listings.
pub fn prefix_name(p: ItemPrefix, lang: Lang) -> String {
    match p {
        ItemPrefix::FreeSupply => pick(lang, "promet bez naknade", "supply without consideration"),
        ItemPrefix::Advance(_) => pick(lang, "avans", "advance"),
        ItemPrefix::Voucher(_) => pick(lang, "jednonamenski vaučer", "single-purpose voucher"),
        ItemPrefix::Building(_) => pick(lang, "objekat", "building"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleViolation;

    #[test]
    fn pfr_errors_as_sentences() {
        let e = PfrFieldError {
            property: "items[0].labels[0]".into(),
            code: "2310".into(),
            text: None,
        };
        assert_eq!(
            pfr_field_error(&e, Lang::SrLatn),
            "Polje items[0].labels[0]: neispravne poreske oznake (2310)."
        );
        assert_eq!(
            pfr_field_error(&e, Lang::En),
            "Field items[0].labels[0]: invalid tax labels (2310)."
        );
        let e = PfrFieldError {
            property: String::new(),
            code: "1500".into(),
            text: None,
        };
        assert_eq!(
            pfr_field_error(&e, Lang::SrLatn),
            "PFR je odbio zahtev: potrebno je uneti PIN (1500)."
        );
        let e = PfrFieldError {
            property: String::new(),
            code: "2400".into(),
            text: None,
        };
        assert!(
            pfr_field_error(&e, Lang::En)
                .starts_with("The PFR refused the request: PFR not configured")
        );
        let e = PfrFieldError {
            property: String::new(),
            code: String::new(),
            text: Some("Something broke.".into()),
        };
        assert_eq!(
            pfr_field_error(&e, Lang::En),
            "The PFR refused the request: Something broke."
        );
    }

    #[test]
    fn languages_parse() {
        assert_eq!(Lang::from_code("SR"), Some(Lang::SrLatn));
        assert_eq!(Lang::from_code("en-US"), Some(Lang::En));
        assert_eq!(Lang::from_code("de"), None);
        assert_eq!(accept_language(Lang::En), "en-US");
        assert_eq!(accept_language(Lang::SrLatn), "sr-Cyrl-RS");
    }

    #[test]
    fn cyrillic_is_the_latin_text_transliterated() {
        let k = DocumentKind::new(InvoiceType::Normal, TransactionType::Refund);
        assert_eq!(kind_name(k, Lang::SrLatn), "Promet refundacija");
        assert_eq!(kind_name(k, Lang::SrCyrl), "Промет рефундација");
        assert_eq!(kind_name(k, Lang::En), "Normal Refund");
    }

    #[test]
    fn every_violation_reads_in_both_languages() {
        let k = DocumentKind::new(InvoiceType::Normal, TransactionType::Refund);
        let vs = [
            RuleViolation::BuyerIdRequired { kind: k },
            RuleViolation::ReferenceRequired { kind: k },
            RuleViolation::PaymentBelowTotal {
                due: rust_decimal::Decimal::new(16400, 2),
                paid: rust_decimal::Decimal::ZERO,
            },
        ];
        for v in vs {
            let (sr, en) = (v.message(Lang::SrLatn), v.message(Lang::En));
            assert_ne!(sr, en);
            assert!(sr.ends_with('.') && en.ends_with('.'), "{sr} / {en}");
        }
        assert_eq!(
            RuleViolation::BuyerIdRequired { kind: k }.message(Lang::SrLatn),
            "Promet refundacija sa gotovinskim povraćajem mora da ima ID kupca (npr. broj lične karte 20:…, ili PIB 10:…)."
        );
        assert_eq!(
            RuleViolation::PaymentBelowTotal {
                due: rust_decimal::Decimal::new(16400, 2),
                paid: rust_decimal::Decimal::ZERO
            }
            .message(Lang::En),
            "0,00 is paid but 164,00 is due."
        );
    }
}
