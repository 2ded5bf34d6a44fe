//! The public verification page (verification-url.md §5): HTML for people, JSON for machines.

use fiskal_domain::api::{InvoiceRequest, InvoiceResult};
use fiskal_domain::kinds::DocumentKind;
use fiskal_domain::money::{format_money, from_scaled};
use fiskal_domain::time::{format_journal, from_millis};
use fiskal_web::escape as esc;
use serde_json::{Value, json};

use crate::layout::page;
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

/// The HTML page.
pub fn html(v: &Result<Verified, Invalid>) -> String {
    let v = match v {
        Ok(v) => v,
        Err(e) => {
            let body = format!(
                "<h1>Провера фискалног рачуна</h1>\
                 <div class=\"banner bad\" id=\"validity\" data-valid=\"false\">✗ Рачун НИЈЕ исправан</div>\
                 <section><p id=\"reason\">{}</p><p>Ако сте овај рачун добили у продавници, \
                 обратите се Пореској управи.</p>{}</section>",
                esc(e.serbian()),
                crate::manual_page::manual_link()
            );
            return page("Рачун није исправан", &body);
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
        Some(_) => "<div class=\"got\" id=\"audit\" data-received=\"true\">Пореска управа је примила овај рачун \
                    (ишчитавањем).</div>"
            .to_string(),
        None => "<div class=\"note\" id=\"audit\" data-received=\"false\">Подаци овог рачуна још нису стигли у \
                 Пореску управу. Потпис рачуна је исправан.</div>"
            .to_string(),
    };
    let journal = v
        .received
        .as_ref()
        .and_then(|r| serde_json::from_str::<InvoiceResult>(&r.result_json).ok())
        .and_then(|r| r.journal)
        .map(|j| format!("<h2>Рачун</h2><pre id=\"journal\">{}</pre>", esc(&j)))
        .unwrap_or_default();
    let buyer = p
        .buyer_id
        .as_ref()
        .map(|b| format!("<dt>ИД купца</dt><dd>{}</dd>", esc(b)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Провера фискалног рачуна</h1>\
         <div class=\"banner ok\" id=\"validity\" data-valid=\"true\">✓ Рачун је исправан</div>\
         {received}\
         <section><dl>\
         <dt>Продавац</dt><dd>{name}</dd>\
         <dt>ПИБ</dt><dd>{tin}</dd>\
         <dt>Продајно место</dt><dd>{loc}</dd>\
         <dt>Адреса</dt><dd>{addr}</dd>\
         <dt>Општина</dt><dd>{district}</dd>\
         </dl></section>\
         <section><dl>\
         <dt>Износ</dt><dd class=\"amount\" id=\"amount\">{amount} RSD</dd>\
         <dt>Врста</dt><dd>{kindline}</dd>\
         <dt>ПФР време</dt><dd id=\"time\">{time}</dd>\
         <dt>ПФР број</dt><dd id=\"number\">{number}</dd>\
         <dt>Бројач рачуна</dt><dd id=\"counter\">{tt}/{total}{ext}</dd>\
         {buyer}\
         </dl></section>{specs}{journal}",
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
        specs = crate::manual_page::specifications_section(v),
    );
    page("Рачун је исправан", &body)
}

/// The page for a request without `vl`.
pub fn missing_vl() -> String {
    page(
        "Провера фискалног рачуна",
        &format!(
            "<h1>Провера фискалног рачуна</h1><div class=\"banner bad\" id=\"validity\" data-valid=\"false\">\
             Веза не садржи податке рачуна (параметар vl недостаје).</div>{}",
            crate::manual_page::manual_link()
        ),
    )
}
