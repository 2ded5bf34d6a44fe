//! User-facing messages of `moje-fakture.md` §6.3, in Serbian (Latin script, the default) and
//! English, plus the plain-language explanations of common SEF error codes.

use serde::{Deserialize, Serialize};

/// UI language. Serbian (Latin script) is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Serbian, Latin script.
    #[default]
    Sr,
    /// English.
    En,
}

impl Lang {
    /// Picks the language from a `lang` query value and an `Accept-Language` header:
    /// the query wins; otherwise the first of `sr`/`en` named in the header; otherwise Serbian.
    pub fn negotiate(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(q) = query {
            return Lang::parse(q).unwrap_or_default();
        }
        if let Some(h) = accept_language {
            for part in h.split(',') {
                let tag = part.split(';').next().unwrap_or("").trim();
                if let Some(l) = Lang::parse(tag) {
                    return l;
                }
            }
        }
        Lang::Sr
    }

    /// Parses `sr`, `sr-Latn-RS`, `en`, `en-US`, … (case-insensitive).
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "sr" | "sh" | "hr" | "bs" => Some(Lang::Sr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code used in URLs (`sr` or `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sr => "sr",
            Lang::En => "en",
        }
    }

    /// Chooses between a Serbian and an English text.
    pub fn pick<'a>(self, sr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Sr => sr,
            Lang::En => en,
        }
    }
}

/// The message ids of `moje-fakture.md` §6.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageId {
    /// `sef.api_status.reminder`
    #[serde(rename = "sef.api_status.reminder")]
    ApiStatusReminder,
    /// `sef.key.malformed`
    #[serde(rename = "sef.key.malformed")]
    KeyMalformed,
    /// `sef.key.rejected`
    #[serde(rename = "sef.key.rejected")]
    KeyRejected,
    /// `sef.key.stopped_working`
    #[serde(rename = "sef.key.stopped_working")]
    KeyStoppedWorking,
    /// `sef.key.still_rejected`
    #[serde(rename = "sef.key.still_rejected")]
    KeyStillRejected,
    /// `sef.key.company_mismatch`
    #[serde(rename = "sef.key.company_mismatch")]
    KeyCompanyMismatch,
    /// `sef.key.isp_conflict`
    #[serde(rename = "sef.key.isp_conflict")]
    KeyIspConflict,
    /// `sef.key.in_use_by_other_tenant`
    #[serde(rename = "sef.key.in_use_by_other_tenant")]
    KeyInUseByOtherTenant,
    /// `sef.company.not_registered`
    #[serde(rename = "sef.company.not_registered")]
    CompanyNotRegistered,
    /// `sef.unavailable`
    #[serde(rename = "sef.unavailable")]
    Unavailable,
    /// `sef.document.refused`
    #[serde(rename = "sef.document.refused")]
    DocumentRefused,
    /// `sef.document.needs_redate`
    #[serde(rename = "sef.document.needs_redate")]
    DocumentNeedsRedate,
    /// `sef.document.rejected_by_buyer`
    #[serde(rename = "sef.document.rejected_by_buyer")]
    DocumentRejectedByBuyer,
}

impl MessageId {
    /// The dotted id, e.g. `sef.key.rejected`.
    pub fn id(self) -> &'static str {
        match self {
            MessageId::ApiStatusReminder => "sef.api_status.reminder",
            MessageId::KeyMalformed => "sef.key.malformed",
            MessageId::KeyRejected => "sef.key.rejected",
            MessageId::KeyStoppedWorking => "sef.key.stopped_working",
            MessageId::KeyStillRejected => "sef.key.still_rejected",
            MessageId::KeyCompanyMismatch => "sef.key.company_mismatch",
            MessageId::KeyIspConflict => "sef.key.isp_conflict",
            MessageId::KeyInUseByOtherTenant => "sef.key.in_use_by_other_tenant",
            MessageId::CompanyNotRegistered => "sef.company.not_registered",
            MessageId::Unavailable => "sef.unavailable",
            MessageId::DocumentRefused => "sef.document.refused",
            MessageId::DocumentNeedsRedate => "sef.document.needs_redate",
            MessageId::DocumentRejectedByBuyer => "sef.document.rejected_by_buyer",
        }
    }

    /// Parses a dotted id.
    pub fn from_id(s: &str) -> Option<MessageId> {
        ALL_MESSAGES.iter().copied().find(|m| m.id() == s)
    }

    /// The template in the given language, with `{…}` placeholders.
    pub fn template(self, lang: Lang) -> &'static str {
        let (sr, en) = match self {
            MessageId::ApiStatusReminder => (
                "VAŽNO: u SEF-u, u delu Podešavanja → API menadžment, API STATUS mora biti aktivan. Ako nije, aktivirajte ga pre unosa ključa.",
                "IMPORTANT: in SEF, under Settings → API management, API STATUS must be active. If it is not, activate it before entering the key.",
            ),
            MessageId::KeyMalformed => (
                "Uneti ključ nije ispravnog oblika. Ključ za autentifikaciju iz SEF-a (Podešavanja → API menadžment) ima 36 znakova u obliku xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx. Kopirajte ga ponovo, ceo i bez razmaka.",
                "The key has the wrong format. The SEF authentication key (Settings → API management) has 36 characters in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx. Copy it again, complete and without spaces.",
            ),
            MessageId::KeyRejected => (
                "SEF nije prihvatio ključ za autentifikaciju. U SEF-u, u delu Podešavanja → API menadžment, proverite: 1) da je API STATUS aktivan — ako nije, aktivirajte ga; 2) da ste kopirali ključ koji je trenutno prikazan (generisanjem novog ključa prethodni prestaje da važi); 3) da ključ potiče iz okruženja koje ste izabrali ({okruženje}: {adresa}). Zatim ponovo unesite ključ.",
                "SEF did not accept the authentication key. In SEF, under Settings → API management, check: 1) that API STATUS is active — if not, activate it; 2) that you copied the key currently shown (generating a new key invalidates the previous one); 3) that the key comes from the environment you selected ({okruženje}: {adresa}). Then enter the key again.",
            ),
            MessageId::KeyStoppedWorking => (
                "Slanje faktura za {firma} je zaustavljeno jer SEF više ne prihvata sačuvani ključ za autentifikaciju (poslednja uspešna upotreba: {vreme}). Najčešći razlozi: u SEF-u je generisan novi ključ ili je API STATUS isključen. U SEF-u otvorite Podešavanja → API menadžment: ako API STATUS nije aktivan, aktivirajte ga i kliknite „Proveri ponovo“; ako je ključ promenjen, unesite novi ključ. Fakture koje čekaju ({broj}) biće poslate automatski čim ključ ponovo bude ispravan.",
                "Sending invoices for {firma} has stopped because SEF no longer accepts the stored authentication key (last successful use: {vreme}). Most common reasons: a new key was generated in SEF, or API STATUS was switched off. In SEF open Settings → API management: if API STATUS is not active, activate it and click \"Check again\"; if the key was changed, enter the new key. The {broj} waiting invoices will be sent automatically once the key is valid again.",
            ),
            MessageId::KeyStillRejected => (
                "Ključ i dalje nije prihvaćen. Ako je API STATUS u SEF-u aktivan, ključ je verovatno promenjen — unesite novi ključ iz dela Podešavanja → API menadžment.",
                "The key is still not accepted. If API STATUS in SEF is active, the key has probably been changed — enter the new key from Settings → API management.",
            ),
            MessageId::KeyCompanyMismatch => (
                "Ključ za autentifikaciju pripada drugoj firmi u SEF-u, a ne firmi sa PIB-om {pib}. Unesite ključ preuzet iz SEF naloga firme {firma}.",
                "The authentication key belongs to a different company in SEF, not to the company with PIB {pib}. Enter the key taken from the SEF account of {firma}.",
            ),
            MessageId::KeyIspConflict => (
                "Vaša firma u SEF-u ima izabranog informacionog posrednika, pa SEF ne dozvoljava rad sopstvenim API ključem. Uklonite informacionog posrednika u SEF-u ili nastavite rad preko njega.",
                "Your company has an information service provider set in SEF, so SEF does not allow work with the company's own API key. Remove the provider in SEF or keep working through it.",
            ),
            MessageId::KeyInUseByOtherTenant => (
                "Ovaj ključ je već povezan sa drugim nalogom u servisu Moje fakture. Jedan ključ pripada jednoj firmi — proverite da li ste izabrali pravu firmu i okruženje.",
                "This key is already linked to another account in Moje fakture. A key belongs to one company — check that you chose the right company and environment.",
            ),
            MessageId::CompanyNotRegistered => (
                "Firma sa PIB-om {pib} i matičnim brojem {mb} nije registrovana na SEF-u ili podaci nisu tačni. Registraciju obavlja zakonski zastupnik na efaktura.mfin.gov.rs kvalifikovanim elektronskim sertifikatom.",
                "The company with PIB {pib} and registration number {mb} is not registered on SEF, or the data are wrong. Registration is done by the legal representative at efaktura.mfin.gov.rs with a qualified electronic certificate.",
            ),
            MessageId::Unavailable => (
                "SEF trenutno nije dostupan. Pokušaćemo ponovo automatski; ništa ne morate da radite.",
                "SEF is currently unavailable. We will retry automatically; no action is needed.",
            ),
            MessageId::DocumentRefused => (
                "SEF je odbio dokument {broj}: {objašnjenje} (šifra greške: {ErrorCode}{polje}).",
                "SEF refused document {broj}: {objašnjenje} (error code: {ErrorCode}{polje}).",
            ),
            MessageId::DocumentNeedsRedate => (
                "Faktura {broj} nije poslata na dan izdavanja ({datum}). SEF prihvata samo fakture sa današnjim datumom izdavanja. Potvrdite slanje sa današnjim datumom.",
                "Invoice {broj} was not sent on its issue date ({datum}). SEF accepts only invoices dated today. Confirm sending it with today's date.",
            ),
            MessageId::DocumentRejectedByBuyer => (
                "Kupac {kupac} je odbio fakturu {broj}: „{komentar}“. Fakturu treba stornirati i, ako je potrebno, izdati novu pod novim brojem.",
                "Buyer {kupac} rejected invoice {broj}: \"{komentar}\". The invoice should be stornoed and, if needed, re-issued under a new number.",
            ),
        };
        lang.pick(sr, en)
    }

    /// Renders the message with its placeholders filled from `args` (`(name, value)` pairs;
    /// names without braces). Unknown placeholders are left as they are.
    pub fn render(self, lang: Lang, args: &[(&str, &str)]) -> String {
        let mut s = self.template(lang).to_string();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }
}

/// Every message id, in the order of §6.3.
pub const ALL_MESSAGES: [MessageId; 13] = [
    MessageId::ApiStatusReminder,
    MessageId::KeyMalformed,
    MessageId::KeyRejected,
    MessageId::KeyStoppedWorking,
    MessageId::KeyStillRejected,
    MessageId::KeyCompanyMismatch,
    MessageId::KeyIspConflict,
    MessageId::KeyInUseByOtherTenant,
    MessageId::CompanyNotRegistered,
    MessageId::Unavailable,
    MessageId::DocumentRefused,
    MessageId::DocumentNeedsRedate,
    MessageId::DocumentRejectedByBuyer,
];

/// A message as shown to a user or returned by the API: its id and rendered text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMessage {
    /// The §6.3 id (e.g. `sef.key.rejected`), or a field-validation id such as `field.pib`.
    pub id: String,
    /// Rendered text in the requested language.
    pub text: String,
}

impl UserMessage {
    /// Renders a §6.3 message.
    pub fn new(id: MessageId, lang: Lang, args: &[(&str, &str)]) -> UserMessage {
        UserMessage {
            id: id.id().to_string(),
            text: id.render(lang, args),
        }
    }
}

/// The checklist shown before the key form (`moje-fakture.md` §3.1), Serbian with English gloss.
pub fn onboarding_checklist(lang: Lang) -> [&'static str; 4] {
    match lang {
        Lang::Sr => [
            "Firma je registrovana na SEF-u (efaktura.mfin.gov.rs). Registraciju obavlja zakonski zastupnik kvalifikovanim elektronskim sertifikatom.",
            "U SEF-u otvorite Podešavanja → API menadžment i kopirajte ključ za autentifikaciju. Ne generišite novi ključ ako ga već koristi neki drugi program (npr. vaš knjigovodstveni softver): novi ključ poništava stari.",
            "VAŽNO: API STATUS mora biti aktivan. Ako nije, aktivirajte ga.",
            "Izaberite okruženje: produkcija (efaktura.mfin.gov.rs) ili test (demoefaktura.mfin.gov.rs). Ključ iz jednog okruženja ne važi u drugom.",
        ],
        Lang::En => [
            "The company is registered on SEF (efaktura.mfin.gov.rs). Registration is done by the legal representative with a qualified electronic certificate.",
            "In SEF open Settings → API management and copy the authentication key. Do not generate a new key if another program (e.g. your accounting software) already uses it: a new key invalidates the old one.",
            "IMPORTANT: API STATUS must be active. If it is not, activate it.",
            "Choose the environment: production (efaktura.mfin.gov.rs) or test (demoefaktura.mfin.gov.rs). A key from one environment does not work in the other.",
        ],
    }
}

/// Plain-language explanation of a SEF error code for `sef.document.refused`
/// (`moje-fakture.md` §6.3). `None` for codes without a prepared text: the caller then uses SEF's
/// own `Message`, or the code alone.
pub fn explain_error_code(code: &str, lang: Lang) -> Option<&'static str> {
    let (sr, en) = match code {
        "IssueDateCannotBeDifferentFromTodays" => (
            "datum izdavanja mora biti današnji datum",
            "the issue date must be today's date",
        ),
        "InvoiceDeliveryDateMissing" => (
            "nedostaje datum prometa (isporuke)",
            "the delivery date is missing",
        ),
        "CreditNoteReductionDateMissing" => (
            "nedostaje datum smanjenja naknade na knjižnom odobrenju",
            "the reduction date of the credit note is missing",
        ),
        "ReceiverCompanyNotFound" => (
            "kupac nije registrovan na SEF-u",
            "the buyer is not registered on SEF",
        ),
        "EInvoiceNumberDublicate" => (
            "broj fakture je već iskorišćen; svaka faktura mora imati novi broj",
            "the invoice number has already been used; every invoice needs a new number",
        ),
        "UBLRegistrationCodeDoesNotHaveGoodLength" => (
            "matični broj nema ispravnu dužinu (8 cifara)",
            "the registration number (MB) does not have the right length (8 digits)",
        ),
        "UBLUnitCodeNotValid" => (
            "jedinica mere nije na listi SEF-a",
            "the unit of measure is not on SEF's list",
        ),
        "VatExemptionReasonPointOfLawNotActive" => (
            "navedeni osnov za oslobođenje od PDV-a nije važeći na datum fakture",
            "the VAT exemption reason is not in force on the invoice date",
        ),
        "UBLJBKJSNotDefined" => (
            "kupac je korisnik javnih sredstava, a JBKJS nije naveden",
            "the buyer is a public-funds user and its JBKJS is missing",
        ),
        "UBLOrderNumberLotNumberOrContractNumberIsRequired" => (
            "za kupca iz javnog sektora potreban je broj ugovora, narudžbenice ili partije",
            "a public-sector buyer requires a contract, order or lot number",
        ),
        "InvoicePeriodDescriptionCodeNotDefined" => (
            "nije naveden kod datuma nastanka poreske obaveze",
            "the VAT point date code is missing",
        ),
        "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer" => (
            "ukupan iznos PDV-a se ne slaže sa zbirom po stopama",
            "the total VAT amount differs from the sum of the subtotals",
        ),
        "InvalidSenderCompany" | "UBLSenderCompanyAndSenderCompanyIdentiferDoNotMatch" => (
            "prodavac u fakturi nije firma kojoj pripada ključ",
            "the seller in the invoice is not the company the key belongs to",
        ),
        _ => return None,
    };
    Some(lang.pick(sr, en))
}

/// Serbian UI label of a SEF sales status (`sef-api.md` §8.1); English shows the SEF value.
pub fn sef_status_label(status: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return status.to_string();
    }
    match status {
        "Draft" => "Nacrt",
        "New" => "Nova",
        "Sending" => "Slanje",
        "Sent" => "Poslata",
        "Mistake" => "Greška prilikom slanja",
        "Seen" => "Pregledana",
        "ReNotified" => "Ponovo obaveštena",
        "Approved" => "Prihvaćena",
        "Rejected" => "Odbijena",
        "Cancelled" => "Otkazana",
        "Storno" => "Stornirana",
        "Deleted" => "Obrisana",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_query_then_header_then_serbian() {
        assert_eq!(Lang::negotiate(Some("en"), Some("sr")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("de-DE,en-US;q=0.8")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("sr-Latn-RS,en;q=0.5")), Lang::Sr);
        assert_eq!(Lang::negotiate(None, None), Lang::Sr);
        assert_eq!(Lang::negotiate(None, Some("de")), Lang::Sr);
    }

    #[test]
    fn render_fills_placeholders() {
        let m = MessageId::CompanyNotRegistered
            .render(Lang::Sr, &[("pib", "101134702"), ("mb", "07042040")]);
        assert!(m.starts_with("Firma sa PIB-om 101134702 i matičnim brojem 07042040 nije"));
        assert!(!m.contains('{'));
    }

    #[test]
    fn ids_round_trip_and_are_unique() {
        for m in ALL_MESSAGES {
            assert_eq!(MessageId::from_id(m.id()), Some(m));
            assert!(!m.template(Lang::Sr).is_empty() && !m.template(Lang::En).is_empty());
        }
        let json = serde_json::to_string(&MessageId::KeyRejected).unwrap();
        assert_eq!(json, "\"sef.key.rejected\"");
    }

    #[test]
    fn explanations_cover_the_listed_codes() {
        for code in [
            "IssueDateCannotBeDifferentFromTodays",
            "InvoiceDeliveryDateMissing",
            "CreditNoteReductionDateMissing",
            "ReceiverCompanyNotFound",
            "EInvoiceNumberDublicate",
            "UBLRegistrationCodeDoesNotHaveGoodLength",
            "UBLUnitCodeNotValid",
            "VatExemptionReasonPointOfLawNotActive",
            "UBLJBKJSNotDefined",
            "UBLOrderNumberLotNumberOrContractNumberIsRequired",
            "InvoicePeriodDescriptionCodeNotDefined",
            "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer",
        ] {
            assert!(explain_error_code(code, Lang::Sr).is_some(), "{code}");
            assert!(explain_error_code(code, Lang::En).is_some(), "{code}");
        }
        assert!(explain_error_code("SomethingElse", Lang::Sr).is_none());
    }
}
