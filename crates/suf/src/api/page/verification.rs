//! The public verification page (verification-url.md §5): HTML for people in their language
//! (the receipt's own data as the receipt prints them), JSON for machines.

use fiskal_domain::api::{InvoiceRequest, InvoiceResult};
use fiskal_domain::kinds::DocumentKind;
use fiskal_domain::lang::Lang;
use fiskal_domain::money::{format_money, format_quantity, format_rate, from_scaled, round2};
use fiskal_domain::time::{format_journal, from_millis};
use fiskal_web::escape as esc;
use serde_json::{Value, json};

use super::{SPECIFICATIONS_PATH, manual_link, page, t, text, url_safe};
use crate::service::lookup;
use crate::service::{Invalid, Verified};

fn amount_number(scaled: u64) -> Value {
    let mut d = from_scaled(scaled).normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn utc_text(ms: u64) -> Value {
    from_millis(ms.min(i64::MAX as u64) as i64)
        .map(|t| Value::String(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()))
        .unwrap_or(Value::Null)
}

/// The JSON answer (verification-url.md §5).
pub fn json(v: &Result<Verified, Invalid>) -> Value {
    let Ok(v) = v else {
        return json!({"isValid": false, "invoiceRequest": null, "invoiceResult": null, "journal": null});
    };
    let p = &v.payload;
    let stored_req: Option<InvoiceRequest> = v
        .received
        .as_ref()
        .and_then(|r| serde_json::from_str(&r.request_json).ok());
    let stored_res: Option<InvoiceResult> = v
        .received
        .as_ref()
        .and_then(|r| serde_json::from_str(&r.result_json).ok());
    let payments: Vec<Value> = stored_req
        .as_ref()
        .map(|r| {
            r.payment
                .iter()
                .map(|pm| {
                    let amount = pm
                        .amount
                        .to_string()
                        .parse::<serde_json::Number>()
                        .map(Value::Number)
                        .unwrap_or(Value::Null);
                    json!({"paymentType": pm.payment_type.code(), "amount": amount})
                })
                .collect()
        })
        .unwrap_or_default();
    let kind = DocumentKind::new(p.invoice_type, p.transaction_type);
    json!({
        "isValid": true,
        "invoiceRequest": {
            "posTime": utc_text(p.sdc_time_ms),
            "taxId": v.seller.tin,
            "businessName": v.seller.business_name,
            "locationName": v.seller.location_name,
            "address": v.seller.address,
            "city": v.seller.district,
            "administrativeUnit": v.seller.district,
            "buyer": p.buyer_id.as_ref().map(|b| json!({"id": b})),
            "buyerCostCenter": stored_req.as_ref().and_then(|r| r.buyer_cost_center_id.as_ref()).map(|b| json!({"id": b})),
            "cashier": stored_req.as_ref().and_then(|r| r.cashier.clone()),
            "requestedBy": p.requested_by,
            "referentDocumentNumber": stored_req.as_ref().and_then(|r| r.referent_document_number.clone()),
            "invoiceType": p.invoice_type.code(),
            "transactionType": p.transaction_type.code(),
            "payments": payments,
        },
        "invoiceResult": {
            "totalAmount": amount_number(p.total_amount),
            "transactionTypeCounter": p.transaction_type_counter,
            "totalCounter": p.total_counter,
            "invoiceCounterExtension": kind.extension(),
            "invoiceNumber": p.invoice_number(),
            "signedBy": p.signed_by,
            "sdcTime": utc_text(p.sdc_time_ms),
        },
        "journal": stored_res.and_then(|r| r.journal),
    })
}

/// Why the receipt is not valid, in `lang`.
fn reason(e: &Invalid, lang: Lang) -> String {
    let (sr_latn, en) = match e {
        Invalid::Damaged(_) => (
            "Veza za proveru je oštećena ili nepotpuna: podaci računa ne mogu da se pročitaju.",
            "The verification link is damaged or incomplete: the receipt's data cannot be read.",
        ),
        Invalid::UnknownSigner(_) => (
            "Bezbednosni element koji je potpisao račun nije poznat poreskoj upravi.",
            "The secure element that signed the receipt is not known to the Tax Administration.",
        ),
        Invalid::CertificateNotValid => (
            "Sertifikat bezbednosnog elementa nije bio važeći u vreme izdavanja računa.",
            "The secure element's certificate was not valid when the receipt was issued.",
        ),
        Invalid::BadSignature => (
            "Potpis računa nije ispravan: podaci u vezi su izmenjeni.",
            "The receipt's signature is not valid: the data in the link were altered.",
        ),
        Invalid::InternalData => (
            "Interni podaci računa se ne slažu sa podacima u vezi.",
            "The receipt's internal data do not match the data in the link.",
        ),
        Invalid::DataDiffer => (
            "Podaci u vezi se razlikuju od računa koji je poreska uprava primila.",
            "The data in the link differ from the receipt the Tax Administration received.",
        ),
    };
    text(lang, sr_latn, en)
}

/// The link of the verification page of `vl` (the value as the request carried it).
fn here(vl: &str) -> String {
    format!("/v/?vl={}", url_safe(vl))
}

/// The HTML page in `lang` of the receipt whose link carried `vl` (still percent-encoded; the
/// language switcher links back to it). The receipt's own data (journal, items, type line)
/// stay as the receipt prints them.
pub fn html(v: &Result<Verified, Invalid>, lang: Lang, vl: &str) -> String {
    let here = here(vl);
    let v = match v {
        Ok(v) => v,
        Err(e) => {
            let body = format!(
                "<h1>{h1}</h1>\
                 <div class=\"banner bad\" id=\"validity\" data-valid=\"false\">✗ {bad}</div>\
                 <section><p id=\"reason\">{reason}</p><p>{shop}</p>{link}</section>",
                h1 = t(lang, "Provera fiskalnog računa", "Fiscal receipt check"),
                bad = t(lang, "Račun NIJE ispravan", "The receipt is NOT valid"),
                reason = esc(&reason(e, lang)),
                shop = t(
                    lang,
                    "Ako ste ovaj račun dobili u prodavnici, obratite se Poreskoj upravi.",
                    "If you were given this receipt in a shop, please contact the Tax Administration."
                ),
                link = manual_link(lang),
            );
            let title = text(lang, "Račun nije ispravan", "The receipt is not valid");
            return page(lang, &here, &title, &body);
        }
    };
    let p = &v.payload;
    let s = &v.seller;
    let kind = DocumentKind::new(p.invoice_type, p.transaction_type);
    let time = from_millis(p.sdc_time_ms.min(i64::MAX as u64) as i64)
        .map(format_journal)
        .unwrap_or_default();
    let amount = format_money(from_scaled(p.total_amount));
    let received = match &v.received {
        Some(_) => format!(
            "<div class=\"got\" id=\"audit\" data-received=\"true\">{}</div>",
            t(
                lang,
                "Poreska uprava je primila ovaj račun (iščitavanjem).",
                "The Tax Administration has received this receipt (by audit)."
            )
        ),
        None => format!(
            "<div class=\"note\" id=\"audit\" data-received=\"false\">{}</div>",
            t(
                lang,
                "Podaci ovog računa još nisu stigli u Poresku upravu. Potpis računa je ispravan.",
                "The data of this receipt have not reached the Tax Administration yet. The \
                 receipt's signature is valid."
            )
        ),
    };
    let journal = v
        .received
        .as_ref()
        .and_then(|r| serde_json::from_str::<InvoiceResult>(&r.result_json).ok())
        .and_then(|r| r.journal)
        .map(|j| {
            format!(
                "<h2>{}</h2><pre id=\"journal\" lang=\"sr-Cyrl\">{}</pre>",
                t(lang, "Račun", "Receipt"),
                esc(&j)
            )
        })
        .unwrap_or_default();
    let buyer = p
        .buyer_id
        .as_ref()
        .map(|b| {
            format!(
                "<dt>{}</dt><dd>{}</dd>",
                t(lang, "ID kupca", "Buyer ID"),
                esc(b)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>{h1}</h1>\
         <div class=\"banner ok\" id=\"validity\" data-valid=\"true\">✓ {ok}</div>\
         {received}\
         <section><dl>\
         <dt>{l_seller}</dt><dd>{name}</dd>\
         <dt>{l_tin}</dt><dd>{tin}</dd>\
         <dt>{l_loc}</dt><dd>{loc}</dd>\
         <dt>{l_addr}</dt><dd>{addr}</dd>\
         <dt>{l_district}</dt><dd>{district}</dd>\
         </dl></section>\
         <section><dl>\
         <dt>{l_amount}</dt><dd class=\"amount\" id=\"amount\">{amount} RSD</dd>\
         <dt>{l_kind}</dt><dd>{kindline}</dd>\
         <dt>{l_time}</dt><dd id=\"time\">{time}</dd>\
         <dt>{l_number}</dt><dd id=\"number\">{number}</dd>\
         <dt>{l_counter}</dt><dd id=\"counter\">{tt}/{total}{ext}</dd>\
         {buyer}\
         </dl></section>{specs}{journal}",
        h1 = t(lang, "Provera fiskalnog računa", "Fiscal receipt check"),
        ok = t(lang, "Račun je ispravan", "The receipt is valid"),
        l_seller = t(lang, "Prodavac", "Seller"),
        l_tin = t(lang, "PIB", "Tax ID (PIB)"),
        l_loc = t(lang, "Prodajno mesto", "Point of sale"),
        l_addr = t(lang, "Adresa", "Address"),
        l_district = t(lang, "Opština", "Municipality"),
        l_amount = t(lang, "Iznos", "Amount"),
        l_kind = t(lang, "Vrsta", "Type"),
        l_time = t(lang, "PFR vreme", "PFR time"),
        l_number = t(lang, "PFR broj", "PFR invoice number"),
        l_counter = t(lang, "Brojač računa", "Invoice counter"),
        name = esc(&s.business_name),
        tin = esc(&s.tin),
        loc = esc(&s.location_name),
        addr = esc(&s.address),
        district = esc(&s.district),
        kindline = esc(&kind.type_line()),
        number = esc(&p.invoice_number()),
        tt = p.transaction_type_counter,
        total = p.total_counter,
        ext = esc(&kind.extension()),
        specs = specifications_section(v, lang),
    );
    page(
        lang,
        &here,
        &text(lang, "Račun je ispravan", "The receipt is valid"),
        &body,
    )
}

/// The page for a request without `vl`, in `lang`.
pub fn missing_vl(lang: Lang) -> String {
    let title = text(lang, "Provera fiskalnog računa", "Fiscal receipt check");
    let body = format!(
        "<h1>{}</h1><div class=\"banner bad\" id=\"validity\" data-valid=\"false\">{}</div>{}",
        esc(&title),
        t(
            lang,
            "Veza ne sadrži podatke računa (parametar {vl} nedostaje).",
            "The link does not carry the receipt's data (the vl parameter is missing)."
        ),
        manual_link(lang),
    );
    page(lang, "/v/", &title, &body)
}

/// The item list of a received receipt for the verification page: a section with id
/// `specifications` carrying `data-invoice-number`, `data-token` and `data-url` (for
/// `POST /specifications`), listing the items (names and labels as on the receipt, the tax
/// line in `lang`). Empty for a receipt not received yet.
pub fn specifications_section(v: &Verified, lang: Lang) -> String {
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
                    t(lang, "bez poreza", "no tax")
                } else {
                    let (rate, vat, base) = (
                        format_rate(it.label_rate),
                        format_money(round2(it.vat_amount)),
                        format_money(round2(it.tax_base_amount)),
                    );
                    esc(&lang.pick_owned(
                        format!("porez {rate}: {vat} · osnovica {base}"),
                        format!("tax {rate}: {vat} · base {base}"),
                    ))
                },
            )
        })
        .collect();
    format!(
        "<section id=\"specifications\" data-invoice-number=\"{number}\" data-token=\"{token}\" \
         data-url=\"{SPECIFICATIONS_PATH}\"><h2>{h2}</h2><ul class=\"items\">{rows}</ul></section>",
        number = esc(&r.invoice_number),
        token = esc(&token),
        h2 = t(lang, "Stavke", "Items"),
    )
}
