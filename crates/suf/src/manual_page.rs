//! HTML of the manual check (`/v/manual`) and of the item list on the verification page
//! (verification-url.md §5): Serbian Cyrillic, one column, readable at 360–420 px.

use fiskal_domain::money::{format_money, format_quantity, format_rate, round2};
use fiskal_web::escape as esc;

use crate::layout::page;
use crate::lookup::{self, ManualField, ManualForm, ManualInputError};
use crate::service::Verified;

/// Path of the manual form.
pub const MANUAL_PATH: &str = "/v/manual";

/// Path of the item list (`POST`).
pub const SPECIFICATIONS_PATH: &str = "/specifications";

fn field_block(
    field: ManualField,
    label: &str,
    value: &str,
    placeholder: &str,
    hint: &str,
    extra: &str,
    errors: &[ManualInputError],
) -> String {
    let name = field.name();
    let err: Vec<&ManualInputError> = errors.iter().filter(|e| e.field == field).collect();
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
        .map(|e| format!("<p class=\"err\" id=\"err-{name}\">{}</p>", esc(e.message)))
        .collect();
    format!(
        "<label for=\"{name}\">{label}</label>\
         <input id=\"{name}\" name=\"{name}\" value=\"{value}\" placeholder=\"{placeholder}\" \
         autocomplete=\"off\" spellcheck=\"false\" required maxlength=\"100\" \
         aria-describedby=\"{described}\"{invalid}{extra}>\
         {err_html}<p class=\"hint\" id=\"hint-{name}\">{hint}</p>",
        value = esc(value),
    )
}

fn form_html(values: &ManualForm, errors: &[ManualInputError]) -> String {
    format!(
        "<section><form method=\"post\" action=\"{MANUAL_PATH}\" id=\"manual\" novalidate>{}{}{}{}\
         <button type=\"submit\">Провери рачун</button></form></section>",
        field_block(
            ManualField::InvoiceNumber,
            "ПФР број рачуна",
            &values.invoice_number,
            "AAAA1111-AAAA1111-12",
            "Ред „ПФР број рачуна“ на дну рачуна.",
            " autocapitalize=\"characters\"",
            errors,
        ),
        field_block(
            ManualField::InvoiceCounter,
            "Бројач рачуна",
            &values.invoice_counter,
            "12/15ПП",
            "Ред „Бројач рачуна“, заједно са словима на крају.",
            " autocapitalize=\"characters\"",
            errors,
        ),
        field_block(
            ManualField::TotalAmount,
            "Укупан износ (RSD)",
            &values.total_amount,
            "1.234,56",
            "Ред „Укупан износ“, на пример 1.234,56.",
            " inputmode=\"decimal\"",
            errors,
        ),
        field_block(
            ManualField::SdcDateTime,
            "ПФР време",
            &values.sdc_date_time,
            "28.08.2024. 14:37:28",
            "Ред „ПФР време“: датум и време (секунде нису обавезне).",
            "",
            errors,
        ),
    )
}

/// The manual form, filled with `values`; with `errors`, each bad field is marked and explained.
pub fn form(values: &ManualForm, errors: &[ManualInputError]) -> String {
    let banner = if errors.is_empty() {
        String::new()
    } else {
        "<div class=\"banner bad\" id=\"errors\" role=\"alert\">Проверите означена поља.</div>"
            .to_string()
    };
    let body = format!(
        "<h1>Провера рачуна без QR кода</h1>{banner}\
         <p class=\"lead\">Унесите четири податка са фискалног рачуна тачно онако како су \
         одштампани. Рачун може да се провери овако тек када га Пореска управа прими.</p>{}",
        form_html(values, errors)
    );
    page("Провера рачуна без QR кода", &body)
}

/// The answer when no received receipt matches the typed data. It never says which field
/// differs, only which fields to check, and shows the form again to correct them.
pub fn not_found(values: &ManualForm) -> String {
    let body = format!(
        "<h1>Провера рачуна без QR кода</h1>\
         <div class=\"banner bad\" id=\"manual-result\" data-outcome=\"not-found\">Рачун није пронађен</div>\
         <section><p>Подаци које сте унели не одговарају рачуну који је \
         Пореска управа примила. Упоредите са рачуном:</p><ul class=\"check\">\
         <li>ПФР број рачуна (нпр. AAAA1111-AAAA1111-12),</li>\
         <li>бројач рачуна, са словима на крају (нпр. 12/15ПП),</li>\
         <li>укупан износ (нпр. 1.234,56),</li>\
         <li>ПФР време: датум, сат и минут.</li></ul></section>{}",
        form_html(values, &[])
    );
    page("Рачун није пронађен", &body)
}

/// The answer when the SUF has not received a receipt with this number yet.
pub fn not_received(invoice_number: &str) -> String {
    let body = format!(
        "<h1>Провера рачуна без QR кода</h1>\
         <div class=\"note\" id=\"manual-result\" data-outcome=\"not-received\">Пореска управа још \
         није примила рачун <b>{}</b>.</div>\
         <section><p>Продавац шаље податке рачуна Пореској управи накнадно. \
         Без QR кода рачун може да се провери тек када они стигну, па покушајте поново касније.</p>\
         <p>Ако рачун има QR код, скенирајте га: провера QR кодом ради одмах, и пре него што \
         подаци стигну.</p><p class=\"more\"><a href=\"{MANUAL_PATH}\">Нова провера</a></p></section>",
        esc(invoice_number)
    );
    page("Рачун још није примљен", &body)
}

/// The answer when the lookup could not be done (storage failure).
pub fn unavailable() -> String {
    page(
        "Провера тренутно није могућа",
        "<h1>Провера рачуна без QR кода</h1>\
         <div class=\"banner bad\" id=\"manual-result\" data-outcome=\"error\">Провера тренутно није \
         могућа.</div><section><p>Покушајте поново за неколико минута.</p></section>",
    )
}

/// A paragraph linking to the manual form, for pages without a usable link.
pub fn manual_link() -> String {
    format!(
        "<p class=\"manual-link\"><a href=\"{MANUAL_PATH}\" id=\"manual-link\">Проверите рачун \
         уносом података са рачуна</a></p>"
    )
}

/// The item list of a received receipt for the verification page: a section with id
/// `specifications` carrying `data-invoice-number`, `data-token` and `data-url` (for
/// `POST /specifications`), listing the items. Empty for a receipt not received yet.
pub fn specifications_section(v: &Verified) -> String {
    let Some(r) = &v.received else {
        return String::new();
    };
    let token = lookup::issue_token(&r.invoice_number);
    let items = lookup::specification_items(r).unwrap_or_default();
    let rows: String = items
        .iter()
        .map(|it| {
            format!(
                "<li><div class=\"item-name\">{name} ({label})</div>\
                 <div class=\"item-row\"><span>{qty} × {price}</span>\
                 <span class=\"item-total\">{total}</span></div>\
                 <div class=\"item-tax\">{tax}</div></li>",
                name = esc(&it.name),
                label = esc(&it.label),
                qty = esc(&format_quantity(it.quantity)),
                price = format_money(it.unit_price),
                total = format_money(it.total),
                tax = if it.vat_amount.is_zero() {
                    "без пореза".to_string()
                } else {
                    format!(
                        "порез {}: {} · основица {}",
                        format_rate(it.label_rate),
                        format_money(round2(it.vat_amount)),
                        format_money(round2(it.tax_base_amount))
                    )
                },
            )
        })
        .collect();
    format!(
        "<section id=\"specifications\" data-invoice-number=\"{number}\" data-token=\"{token}\" \
         data-url=\"{SPECIFICATIONS_PATH}\"><h2>Ставке</h2><ul class=\"items\">{rows}</ul></section>",
        number = esc(&r.invoice_number),
        token = esc(&token),
    )
}
