//! User-facing messages of `moje-fakture.md` §6.3, in Serbian (Latin script, the default),
//! Serbian Cyrillic and English, plus the plain-language explanations of common SEF error codes.
//!
//! Cyrillic is the Serbian Latin text transliterated by [`fiskal_ubl::cyrillic::transliterate`]:
//! templates are transliterated before their `{…}` placeholders are filled, so names, numbers
//! and codes put into a message stay as they were given, and codes, domain names and technical
//! abbreviations in the text itself (`efaktura.mfin.gov.rs`, `UBL`, `XML`) stay in Latin letters.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// UI language: fiskal's one [`Lang`] (Serbian Latin by default).
pub use fiskal_domain::lang::Lang;

/// `sr` or `en` in `lang`; Serbian Cyrillic transliterates `sr` ([`fiskal_ubl::cyrillic`]).
pub fn tr(lang: Lang, sr: &str, en: &str) -> String {
    fiskal_ubl::cyrillic::text(lang, sr, en).into_owned()
}

/// Like [`tr`] for texts known at compile time: borrowed in Latin and English.
pub fn tr_static(lang: Lang, sr: &'static str, en: &'static str) -> Cow<'static, str> {
    fiskal_ubl::cyrillic::text(lang, sr, en)
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
    pub fn template(self, lang: Lang) -> Cow<'static, str> {
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
        tr_static(lang, sr, en)
    }

    /// Renders the message with its placeholders filled from `args` (`(name, value)` pairs;
    /// names without braces). Unknown placeholders are left as they are.
    pub fn render(self, lang: Lang, args: &[(&str, &str)]) -> String {
        let mut s = self.template(lang).into_owned();
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

/// The checklist shown before the key form (`moje-fakture.md` §3.1).
pub fn onboarding_checklist(lang: Lang) -> Vec<Cow<'static, str>> {
    let sr = [
        "Firma je registrovana na SEF-u (efaktura.mfin.gov.rs). Registraciju obavlja zakonski zastupnik kvalifikovanim elektronskim sertifikatom.",
        "U SEF-u otvorite Podešavanja → API menadžment i kopirajte ključ za autentifikaciju. Ne generišite novi ključ ako ga već koristi neki drugi program (npr. vaš knjigovodstveni softver): novi ključ poništava stari.",
        "VAŽNO: API STATUS mora biti aktivan. Ako nije, aktivirajte ga.",
        "Izaberite okruženje: produkcija (efaktura.mfin.gov.rs) ili test (demoefaktura.mfin.gov.rs). Ključ iz jednog okruženja ne važi u drugom.",
    ];
    let en = [
        "The company is registered on SEF (efaktura.mfin.gov.rs). Registration is done by the legal representative with a qualified electronic certificate.",
        "In SEF open Settings → API management and copy the authentication key. Do not generate a new key if another program (e.g. your accounting software) already uses it: a new key invalidates the old one.",
        "IMPORTANT: API STATUS must be active. If it is not, activate it.",
        "Choose the environment: production (efaktura.mfin.gov.rs) or test (demoefaktura.mfin.gov.rs). A key from one environment does not work in the other.",
    ];
    sr.into_iter()
        .zip(en)
        .map(|(sr, en)| tr_static(lang, sr, en))
        .collect()
}

/// Plain-language explanation of a SEF error code for `sef.document.refused`
/// (`moje-fakture.md` §6.3). `None` for codes without a prepared text: the caller then uses SEF's
/// own `Message`, or the code alone.
pub fn explain_error_code(code: &str, lang: Lang) -> Option<Cow<'static, str>> {
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
    Some(tr_static(lang, sr, en))
}

/// Serbian UI label of a SEF sales status (`sef-api.md` §8.1); English shows the SEF value.
pub fn sef_status_label(status: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return status.to_string();
    }
    let sr = match status {
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
        other => return other.to_string(),
    };
    tr(lang, sr, sr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<&str> {
        s.match_indices('{')
            .filter_map(|(i, _)| s[i..].find('}').map(|j| &s[i..=i + j]))
            .collect()
    }

    #[test]
    fn cyrillic_templates_keep_placeholders_domains_and_codes() {
        for m in ALL_MESSAGES {
            let latin = m.template(Lang::SrLatn);
            let cyr = m.template(Lang::SrCyrl);
            assert_eq!(placeholders(&latin), placeholders(&cyr), "{}", m.id());
            assert!(!cyr.contains("Ključ") && !cyr.contains(" je "), "{cyr}");
        }
        let m = MessageId::CompanyNotRegistered
            .render(Lang::SrCyrl, &[("pib", "101134702"), ("mb", "07042040")]);
        assert_eq!(
            m,
            "Фирма са ПИБ-ом 101134702 и матичним бројем 07042040 није регистрована на СЕФ-у \
             или подаци нису тачни. Регистрацију обавља законски заступник на \
             efaktura.mfin.gov.rs квалификованим електронским сертификатом."
        );
        let m = MessageId::DocumentRefused.render(
            Lang::SrCyrl,
            &[
                ("broj", "F-1/2026"),
                ("objašnjenje", "kupac nije registrovan"),
                ("ErrorCode", "ReceiverCompanyNotFound"),
                ("polje", ""),
            ],
        );
        assert_eq!(
            m,
            "СЕФ је одбио документ F-1/2026: kupac nije registrovan (шифра грешке: \
             ReceiverCompanyNotFound)."
        );
        assert!(
            MessageId::KeyMalformed
                .template(Lang::SrCyrl)
                .contains("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
        );
        assert_eq!(sef_status_label("Approved", Lang::SrCyrl), "Прихваћена");
        assert_eq!(sef_status_label("Approved", Lang::En), "Approved");
        assert_eq!(
            explain_error_code("UBLUnitCodeNotValid", Lang::SrCyrl).unwrap(),
            "јединица мере није на листи СЕФ-а"
        );
        assert!(onboarding_checklist(Lang::SrCyrl)[0].contains("(efaktura.mfin.gov.rs)"));
    }

    #[test]
    fn render_fills_placeholders() {
        let m = MessageId::CompanyNotRegistered
            .render(Lang::SrLatn, &[("pib", "101134702"), ("mb", "07042040")]);
        assert!(m.starts_with("Firma sa PIB-om 101134702 i matičnim brojem 07042040 nije"));
        assert!(!m.contains('{'));
    }

    #[test]
    fn ids_round_trip_and_are_unique() {
        for m in ALL_MESSAGES {
            assert_eq!(MessageId::from_id(m.id()), Some(m));
            assert!(!m.template(Lang::SrLatn).is_empty() && !m.template(Lang::En).is_empty());
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
            assert!(explain_error_code(code, Lang::SrLatn).is_some(), "{code}");
            assert!(explain_error_code(code, Lang::En).is_some(), "{code}");
        }
        assert!(explain_error_code("SomethingElse", Lang::SrLatn).is_none());
    }
}
