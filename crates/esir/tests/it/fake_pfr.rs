//! A tiny fake PFR (axum) speaking enough of the PFR API v3 for the client and use-case tests.
//! It signs with fiskal-domain's tax engine and journal renderer, keeps results by RequestId
//! (idempotent like a real PFR) and can be told to lose answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fiskal_domain::api::{InvoiceRequest, InvoiceResult, ModelErrors, compute};
use fiskal_domain::journal::{JournalInput, render};
use fiskal_domain::kinds::DocumentKind;
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::TaxRateGroup;
use fiskal_domain::verification_url::{SANDBOX_PREFIX, VerificationPayload};

pub const UID: &str = "FAKEPFR1";

#[derive(Default)]
pub struct Fake {
    /// Every POST /invoices: (RequestId, body).
    pub posts: Vec<(String, String)>,
    /// Results by RequestId.
    pub results: HashMap<String, InvoiceResult>,
    /// Signed documents in order.
    pub signed: Vec<String>,
    /// Counters per kind.
    pub kind_counters: HashMap<DocumentKind, u32>,
    /// POSTs still to answer late (signed first, answer after the client gave up).
    pub lose_answers: u32,
    /// POSTs still to drop without signing (answer late, nothing signed).
    pub drop_unsigned: u32,
    /// GET invoices/{id} answers 500.
    pub lookup_broken: bool,
    /// GET invoices/{id} calls.
    pub lookups: u32,
    /// PIN verified.
    pub pin_ok: bool,
    /// PIN requests.
    pub pins: Vec<String>,
    /// Error body to answer every POST with, once: (status, body).
    pub canned_error: Option<(u16, String)>,
}

pub type Shared = Arc<Mutex<Fake>>;

fn json(status: u16, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    fiskal_domain::time::truncate_ms(chrono::Utc::now())
}

async fn status(State(s): State<Shared>) -> Response {
    let pin_ok = s.lock().unwrap().pin_ok;
    let g = TaxRateGroup::serbian_default();
    let v = serde_json::json!({
        "isPinRequired": !pin_ok, "auditRequired": false,
        "sdcDateTime": fiskal_domain::time::format_api(now()),
        "lastInvoiceNumber": "", "protocolVersion": "3.0", "secureElementVersion": "fake", "hardwareVersion": "n/a",
        "softwareVersion": "0", "deviceSerialNumber": "1", "make": "fake", "model": "fake", "mssc": [],
        "gsc": if pin_ok { vec!["0100", "0210"] } else { vec!["1500", "0210"] },
        "supportedLanguages": ["sr-Cyrl-RS", "en-US"], "uid": UID, "taxCoreApi": "",
        "currentTaxRates": g, "allTaxRates": [g]
    });
    json(200, v.to_string())
}

async fn pin(State(s): State<Shared>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body)
        .trim()
        .trim_matches('"')
        .to_string();
    let mut f = s.lock().unwrap();
    f.pins.push(text.clone());
    if text == "1234" {
        f.pin_ok = true;
        json(200, "\"0100\"".into())
    } else {
        json(423, "\"2100\"".into())
    }
}

#[allow(clippy::result_large_err)]
fn sign(f: &mut Fake, req: &InvoiceRequest) -> Result<InvoiceResult, Response> {
    let t = now();
    let groups = [TaxRateGroup::serbian_default()];
    let computed = match compute(req, &groups, t, rust_decimal::Decimal::ZERO) {
        Ok(c) => c,
        Err(errs) => {
            let errs: Vec<_> = errs
                .into_iter()
                .filter(|e| e.property != "payment")
                .collect();
            if !errs.is_empty() {
                return Err(json(
                    400,
                    serde_json::to_string(&ModelErrors::from_errors("Bad Request", &errs)).unwrap(),
                ));
            }
            // Closing sales pay only the remainder: recompute without the payment check.
            let mut r = req.clone();
            r.payment[0].amount = req.total();
            compute(&r, &groups, t, rust_decimal::Decimal::ZERO)
                .map_err(|_| json(500, "{}".into()))?
        }
    };
    let total_counter = f.signed.len() as u32 + 1;
    let kind = req.kind();
    let c = f.kind_counters.entry(kind).or_insert(0);
    *c += 1;
    let tt_counter = *c;
    let number = format!("{UID}-{UID}-{total_counter}");
    let counter = format!("{tt_counter}/{total_counter}{}", kind.extension());
    let seller = Seller {
        tin: "106884584".into(),
        business_name: "Продавница".into(),
        location_name: "1-Радња".into(),
        address: "Улица 1".into(),
        district: "Београд".into(),
    };
    let journal = render(&JournalInput {
        seller: &seller,
        request: req,
        tax_items: &computed.tax_items,
        total_amount: computed.total_amount,
        sdc_time: t,
        invoice_number: &number,
        invoice_counter: &counter,
        advance: None,
    });
    let payload = VerificationPayload {
        requested_by: UID.into(),
        signed_by: UID.into(),
        total_counter,
        transaction_type_counter: tt_counter,
        total_amount: fiskal_domain::money::to_scaled(computed.total_amount).unwrap(),
        sdc_time_ms: t.timestamp_millis() as u64,
        invoice_type: req.invoice_type,
        transaction_type: req.transaction_type,
        buyer_id: req.buyer_id.clone(),
        internal_data: vec![0; 256],
        signature: vec![0; 256],
    };
    let v = serde_json::json!({
        "requestedBy": UID, "signedBy": UID, "sdcDateTime": fiskal_domain::time::format_api(t),
        "invoiceCounter": counter, "invoiceCounterExtension": kind.extension(), "invoiceNumber": number,
        "taxItems": computed.tax_items, "verificationUrl": payload.encode(SANDBOX_PREFIX),
        "verificationQRCode": null, "journal": journal, "messages": "Успешно",
        "signature": "AA==", "encryptedInternalData": "AA==", "totalCounter": total_counter,
        "transactionTypeCounter": tt_counter,
        "totalAmount": serde_json::Number::from_string_unchecked(computed.total_amount.to_string()),
        "taxGroupRevision": computed.tax_group_revision, "businessName": seller.business_name, "tin": seller.tin,
        "locationName": seller.location_name, "address": seller.address, "district": seller.district
    });
    let r: InvoiceResult = serde_json::from_value(v).unwrap();
    f.signed.push(number);
    Ok(r)
}

enum Answer {
    Now(Response),
    Late(Response),
}

fn handle_post(s: &Shared, rid: &str, body: &[u8]) -> Answer {
    let mut f = s.lock().unwrap();
    f.posts
        .push((rid.to_string(), String::from_utf8_lossy(body).into_owned()));
    if let Some((st, b)) = f.canned_error.take() {
        return Answer::Now(json(st, b));
    }
    if f.drop_unsigned > 0 {
        f.drop_unsigned -= 1;
        return Answer::Late(json(500, "{}".into()));
    }
    if !f.pin_ok {
        return Answer::Now(json(
            400,
            r#"{"message":"Bad Request","modelState":[{"property":"","errors":["1500"]}]}"#.into(),
        ));
    }
    let result = match f.results.get(rid) {
        Some(r) => r.clone(),
        None => {
            let req = match InvoiceRequest::from_json(body) {
                Ok(r) => r,
                Err(errs) => {
                    return Answer::Now(json(
                        400,
                        serde_json::to_string(&ModelErrors::from_errors("Bad Request", &errs))
                            .unwrap(),
                    ));
                }
            };
            match sign(&mut f, &req) {
                Ok(r) => {
                    f.results.insert(rid.to_string(), r.clone());
                    r
                }
                Err(resp) => return Answer::Now(resp),
            }
        }
    };
    let resp = json(200, serde_json::to_string(&result).unwrap());
    if f.lose_answers > 0 {
        f.lose_answers -= 1;
        Answer::Late(resp)
    } else {
        Answer::Now(resp)
    }
}

async fn invoices(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let rid = headers
        .get("RequestId")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match handle_post(&s, &rid, &body) {
        Answer::Now(r) => r,
        Answer::Late(r) => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            r
        }
    }
}

async fn lookup(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let mut f = s.lock().unwrap();
    f.lookups += 1;
    if f.lookup_broken {
        return json(
            500,
            r#"{"message":"Internal Server Error","modelState":[]}"#.into(),
        );
    }
    match f.results.get(&id) {
        Some(r) => json(200, serde_json::to_string(r).unwrap()),
        None => json(200, "null".into()),
    }
}

/// Starts the fake under `prefix` (e.g. `/token/`) on 127.0.0.1:0; returns its base URL.
pub async fn start(prefix: &str) -> (String, Shared) {
    let state: Shared = Arc::new(Mutex::new(Fake {
        pin_ok: true,
        ..Fake::default()
    }));
    let api = Router::new()
        .route("/api/v3/attention", get(|| async { StatusCode::OK }))
        .route("/api/v3/status", get(status))
        .route("/api/v3/pin", post(pin))
        .route("/api/v3/invoices", post(invoices))
        .route("/api/v3/invoices/{id}", get(lookup))
        .with_state(state.clone());
    let app = if prefix == "/" {
        api
    } else {
        Router::new().nest(prefix.trim_end_matches('/'), api)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}{prefix}"), state)
}
