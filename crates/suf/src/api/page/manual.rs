//! The manual check without a QR code (`GET/POST /v/manual`, docs/suf-formats.md "Items and
//! manual check"): its pages in the request's language (one column, readable at 360–420 px) and
//! the whole `POST` exchange. The rows the form asks for are named as the receipt prints them.

use fiskal_domain::lang::Lang;
use fiskal_web::escape as esc;

use super::{MANUAL_PATH, page, t, text};
use crate::service::manual::{ManualField, ManualForm, ManualInputError};

/// One field of the form: label, input, its errors and a hint (all texts already escaped).
struct Field<'a> {
    field: ManualField,
    label: String,
    value: &'a str,
    placeholder: String,
    hint: String,
    extra: &'static str,
}

fn field_block(f: &Field<'_>, errors: &[ManualInputError], lang: Lang) -> String {
    let name = f.field.name();
    let err: Vec<&ManualInputError> = errors.iter().filter(|e| e.field == f.field).collect();
    let invalid = if err.is_empty() {
        ""
    } else {
        " aria-invalid=\"true\""
    };
    let described = if err.is_empty() {
        format!("hint-{name}")
    } else {
        format!("err-{name} hint-{name}")
    };
    let err_html: String = err
        .iter()
        .map(|e| {
            format!(
                "<p class=\"err\" id=\"err-{name}\">{}</p>",
                esc(&e.message(lang))
            )
        })
        .collect();
    format!(
        "<label for=\"{name}\">{label}</label>\
         <input id=\"{name}\" name=\"{name}\" value=\"{value}\" placeholder=\"{placeholder}\" \
         autocomplete=\"off\" spellcheck=\"false\" required maxlength=\"100\" \
         aria-describedby=\"{described}\"{invalid}{extra}>\
         {err_html}<p class=\"hint\" id=\"hint-{name}\">{hint}</p>",
        label = f.label,
        value = esc(f.value),
        placeholder = f.placeholder,
        hint = f.hint,
        extra = f.extra,
    )
}

fn form_html(values: &ManualForm, errors: &[ManualInputError], lang: Lang) -> String {
    let fields = [
        Field {
            field: ManualField::InvoiceNumber,
            label: t(lang, "PFR broj računa", "PFR invoice number"),
            value: &values.invoice_number,
            placeholder: "AAAA1111-AAAA1111-12".into(),
            hint: t(
                lang,
                "Red „PFR broj računa“ na dnu računa.",
                "The line “ПФР број рачуна” at the bottom of the receipt.",
            ),
            extra: " autocapitalize=\"characters\"",
        },
        Field {
            field: ManualField::InvoiceCounter,
            label: t(lang, "Brojač računa", "Invoice counter"),
            value: &values.invoice_counter,
            placeholder: t(lang, "12/15PP", "12/15ПП"),
            hint: t(
                lang,
                "Red „Brojač računa“, zajedno sa slovima na kraju.",
                "The line “Бројач рачуна”, with the letters at its end.",
            ),
            extra: " autocapitalize=\"characters\"",
        },
        Field {
            field: ManualField::TotalAmount,
            label: t(lang, "Ukupan iznos ({RSD})", "Total amount (RSD)"),
            value: &values.total_amount,
            placeholder: "1.234,56".into(),
            hint: t(
                lang,
                "Red „Ukupan iznos“, na primer 1.234,56.",
                "The line “Укупан износ”, for example 1.234,56.",
            ),
            extra: " inputmode=\"decimal\"",
        },
        Field {
            field: ManualField::SdcDateTime,
            label: t(lang, "PFR vreme", "PFR time"),
            value: &values.sdc_date_time,
            placeholder: "28.08.2024. 14:37:28".into(),
            hint: t(
                lang,
                "Red „PFR vreme“: datum i vreme (sekunde nisu obavezne).",
                "The line “ПФР време”: date and time (the seconds may be left out).",
            ),
            extra: "",
        },
    ];
    let blocks: String = fields
        .iter()
        .map(|f| field_block(f, errors, lang))
        .collect();
    // The form names its language, so the answer speaks it even without the cookie.
    format!(
        "<section><form method=\"post\" action=\"{MANUAL_PATH}?lang={code}\" id=\"manual\" \
         novalidate>{blocks}<button type=\"submit\">{button}</button></form></section>",
        code = lang.code(),
        button = t(lang, "Proveri račun", "Check the receipt"),
    )
}

fn heading(lang: Lang) -> String {
    format!(
        "<h1>{}</h1>",
        t(
            lang,
            "Provera računa bez {QR} koda",
            "Checking a receipt without a QR code"
        )
    )
}

/// The manual form in `lang`, filled with `values`; with `errors`, each bad field is marked and
/// explained.
pub fn form(values: &ManualForm, errors: &[ManualInputError], lang: Lang) -> String {
    let banner = if errors.is_empty() {
        String::new()
    } else {
        format!(
            "<div class=\"banner bad\" id=\"errors\" role=\"alert\">{}</div>",
            t(
                lang,
                "Proverite označena polja.",
                "Please check the marked fields."
            )
        )
    };
    let body = format!(
        "{h1}{banner}<p class=\"lead\">{lead}</p>{form}",
        h1 = heading(lang),
        lead = t(
            lang,
            "Unesite četiri podatka sa fiskalnog računa tačno onako kako su odštampani. Račun \
             može da se proveri ovako tek kada ga Poreska uprava primi.",
            "Type in four details of the fiscal receipt exactly as they are printed. A receipt \
             can be checked this way only once the Tax Administration has received it."
        ),
        form = form_html(values, errors, lang)
    );
    let title = text(
        lang,
        "Provera računa bez {QR} koda",
        "Checking a receipt without a QR code",
    );
    page(lang, MANUAL_PATH, &title, &body)
}

/// The answer when no received receipt matches the typed data. It never says which field
/// differs, only which fields to check, and shows the form again to correct them.
pub fn not_found(values: &ManualForm, lang: Lang) -> String {
    let items = [
        t(
            lang,
            "PFR broj računa (npr. {AAAA1111-AAAA1111-12}),",
            "the PFR invoice number (e.g. AAAA1111-AAAA1111-12),",
        ),
        t(
            lang,
            "brojač računa, sa slovima na kraju (npr. 12/15PP),",
            "the invoice counter, with the letters at its end (e.g. 12/15ПП),",
        ),
        t(
            lang,
            "ukupan iznos (npr. 1.234,56),",
            "the total amount (e.g. 1.234,56),",
        ),
        t(
            lang,
            "PFR vreme: datum, sat i minut.",
            "the PFR time: date, hour and minute.",
        ),
    ];
    let title = text(lang, "Račun nije pronađen", "Receipt not found");
    let body = format!(
        "{h1}<div class=\"banner bad\" id=\"manual-result\" data-outcome=\"not-found\">{banner}\
         </div><section><p>{compare}</p><ul class=\"check\">{items}</ul></section>{form}",
        h1 = heading(lang),
        banner = esc(&title),
        compare = t(
            lang,
            "Podaci koje ste uneli ne odgovaraju računu koji je Poreska uprava primila. \
             Uporedite sa računom:",
            "The details you typed do not match a receipt the Tax Administration has received. \
             Compare them with the receipt:"
        ),
        items = items
            .iter()
            .map(|i| format!("<li>{i}</li>"))
            .collect::<String>(),
        form = form_html(values, &[], lang)
    );
    page(lang, MANUAL_PATH, &title, &body)
}

/// The answer when the SUF has not received a receipt with this number yet.
pub fn not_received(invoice_number: &str, lang: Lang) -> String {
    let body = format!(
        "{h1}<div class=\"note\" id=\"manual-result\" data-outcome=\"not-received\">{not_yet} \
         <b>{number}</b>.</div><section><p>{later}</p><p>{qr}</p>\
         <p class=\"more\"><a href=\"{MANUAL_PATH}\">{again}</a></p></section>",
        h1 = heading(lang),
        not_yet = t(
            lang,
            "Poreska uprava još nije primila račun",
            "The Tax Administration has not yet received receipt"
        ),
        number = esc(invoice_number),
        later = t(
            lang,
            "Prodavac šalje podatke računa Poreskoj upravi naknadno. Bez {QR} koda račun može da \
             se proveri tek kada oni stignu, pa pokušajte ponovo kasnije.",
            "The seller sends the receipt's data to the Tax Administration later. Without a QR \
             code a receipt can be checked only once they have arrived, so please try again later."
        ),
        qr = t(
            lang,
            "Ako račun ima {QR} kod, skenirajte ga: provera {QR} kodom radi odmah, i pre nego što \
             podaci stignu.",
            "If the receipt has a QR code, scan it: the check by QR code works at once, even \
             before the data arrive."
        ),
        again = t(lang, "Nova provera", "New check"),
    );
    let title = text(lang, "Račun još nije primljen", "Receipt not received yet");
    page(lang, MANUAL_PATH, &title, &body)
}

/// The answer when the lookup could not be done (storage failure).
pub fn unavailable(lang: Lang) -> String {
    let title = text(
        lang,
        "Provera trenutno nije moguća",
        "Checking is not possible right now",
    );
    let body = format!(
        "{h1}<div class=\"banner bad\" id=\"manual-result\" data-outcome=\"error\">{banner}</div>\
         <section><p>{retry}</p></section>",
        h1 = heading(lang),
        banner = t(
            lang,
            "Provera trenutno nije moguća.",
            "Checking is not possible right now."
        ),
        retry = t(
            lang,
            "Pokušajte ponovo za nekoliko minuta.",
            "Please try again in a few minutes."
        ),
    );
    page(lang, MANUAL_PATH, &title, &body)
}

/// The answer (with status 429) to a client over the attempt limit of [`crate::api::limit`].
pub fn too_many(lang: Lang) -> String {
    let title = text(lang, "Previše pokušaja", "Too many attempts");
    let body = format!(
        "<h1 id=\"too-many\">{}</h1><p>{}</p>",
        esc(&title),
        t(
            lang,
            "Sa ove adrese je stiglo previše provera za kratko vreme. Pokušajte ponovo za minut.",
            "Too many checks came from this address in a short time. Please try again in a minute."
        )
    );
    page(lang, MANUAL_PATH, &title, &body)
}
