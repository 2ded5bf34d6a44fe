//! The TaxCore PFR HTTP API v3 (pfr-api.md): routes, language negotiation and TaxCore's error
//! bodies. Handlers are thin: the work is in [`crate::service`].

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fiskal_domain::api::{FieldError, InvoiceRequest, InvoiceResult, ModelErrors};
use fiskal_domain::gsc::Gsc;

use crate::qr;
use crate::service::{Lang, Lpfr, PfrError};

/// Largest request body accepted (fiskal's choice: 1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// The PFR router for an L-PFR.
pub fn router(lpfr: Lpfr) -> Router {
    Router::new()
        .route("/api/v3/attention", get(attention))
        .route("/api/v3/status", get(status))
        .route(
            "/api/v3/environment-parameters",
            get(environment_parameters),
        )
        .route("/api/v3/pin", post(pin))
        .route("/api/v3/invoices", post(create_invoice))
        .route("/api/v3/invoices/{request_id}", get(invoice_by_request_id))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(lpfr)
}

/// JSON answer with `application/json; charset=utf-8`.
fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn model_errors(status: StatusCode, errors: &[FieldError]) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = ModelErrors::from_errors(reason, errors);
    json_response(status, serde_json::to_string(&body).unwrap_or_default())
}

fn gsc_string(status: StatusCode, g: Gsc) -> Response {
    json_response(status, format!("\"{}\"", g.code()))
}

impl IntoResponse for PfrError {
    fn into_response(self) -> Response {
        match self {
            PfrError::State(g) => model_errors(
                StatusCode::BAD_REQUEST,
                &[FieldError {
                    property: String::new(),
                    code: g,
                }],
            ),
            PfrError::Fields(f) => model_errors(StatusCode::BAD_REQUEST, &f),
            PfrError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                model_errors(StatusCode::INTERNAL_SERVER_ERROR, &[])
            }
        }
    }
}

/// Picks the answer language from `Accept-Language` (q-values honoured; `*` = default).
/// `None` when a header is present and none of its languages is supported (→ 406).
pub fn negotiate_language(headers: &HeaderMap) -> Option<Lang> {
    let Some(v) = headers.get(header::ACCEPT_LANGUAGE) else {
        return Some(Lang::SrCyrl);
    };
    let Ok(v) = v.to_str() else {
        return Some(Lang::SrCyrl);
    };
    if v.trim().is_empty() {
        return Some(Lang::SrCyrl);
    }
    let mut best: Option<(f32, Lang)> = None;
    for part in v.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|x| x.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let lang = if tag == "*" || tag == "sr" || tag.starts_with("sr-") {
            Some(Lang::SrCyrl)
        } else if tag == "en" || tag.starts_with("en-") {
            Some(Lang::En)
        } else {
            None
        };
        if let Some(l) = lang
            && best.map(|(bq, _)| q > bq).unwrap_or(true)
        {
            best = Some((q, l));
        }
    }
    best.map(|(_, l)| l)
}

fn not_acceptable() -> Response {
    model_errors(StatusCode::NOT_ACCEPTABLE, &[])
}

async fn attention() -> StatusCode {
    StatusCode::OK
}

async fn status(State(lpfr): State<Lpfr>, headers: HeaderMap) -> Response {
    if negotiate_language(&headers).is_none() {
        return not_acceptable();
    }
    json_response(
        StatusCode::OK,
        serde_json::to_string(&lpfr.status()).unwrap_or_default(),
    )
}

async fn environment_parameters(State(lpfr): State<Lpfr>, headers: HeaderMap) -> Response {
    if negotiate_language(&headers).is_none() {
        return not_acceptable();
    }
    Json(lpfr.environment_parameters()).into_response()
}

async fn pin(State(lpfr): State<Lpfr>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    let g = lpfr.verify_pin(&text).await;
    let status = match g {
        Gsc::PinOk => StatusCode::OK,
        Gsc::PinNotOk | Gsc::CardLocked => StatusCode::LOCKED,
        Gsc::InvalidFormat => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    gsc_string(status, g)
}

/// Applies the request's output options and adds the QR image.
async fn finish(
    mut result: InvoiceResult,
    req: &InvoiceRequest,
) -> Result<InvoiceResult, PfrError> {
    if req.options.omit_textual_representation {
        result.journal = None;
    }
    if req.options.omit_qr_code_gen {
        result.verification_q_r_code = None;
    } else if result.verification_q_r_code.is_none() {
        let url = result.verification_url.clone();
        let gif = tokio::task::spawn_blocking(move || qr::gif_base64(&url))
            .await
            .map_err(|e| PfrError::Internal(e.to_string()))?
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        result.verification_q_r_code = Some(gif);
    }
    Ok(result)
}

async fn create_invoice(State(lpfr): State<Lpfr>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(lang) = negotiate_language(&headers) else {
        return not_acceptable();
    };
    let request_id = headers
        .iter()
        .find(|(k, _)| k.as_str().eq_ignore_ascii_case("requestid"))
        .and_then(|(_, v)| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let (result, req) = match lpfr.create_invoice(&body, request_id, lang).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match finish(result, &req).await {
        Ok(r) => json_response(
            StatusCode::OK,
            serde_json::to_string(&r).unwrap_or_default(),
        ),
        Err(e) => e.into_response(),
    }
}

async fn invoice_by_request_id(
    State(lpfr): State<Lpfr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if negotiate_language(&headers).is_none() {
        return not_acceptable();
    }
    match lpfr.invoice_by_request_id(&id).await {
        Ok(Some((result, req))) => match finish(result, &req).await {
            Ok(r) => json_response(
                StatusCode::OK,
                serde_json::to_string(&r).unwrap_or_default(),
            ),
            Err(e) => e.into_response(),
        },
        Ok(None) => json_response(StatusCode::OK, "null".into()),
        Err(e) => e.into_response(),
    }
}

async fn not_found() -> Response {
    model_errors(StatusCode::NOT_FOUND, &[])
}

async fn method_not_allowed(_m: Method) -> Response {
    model_errors(StatusCode::METHOD_NOT_ALLOWED, &[])
}
