//! The TaxCore PFR HTTP API v3 (pfr-api.md): routes, language negotiation and TaxCore's error
//! bodies. Handlers are thin: the work is in [`crate::service`]; `error` maps its errors to
//! answers.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fiskal_domain::gsc::Gsc;
use fiskal_web::taxcore::{json, json_response, model_errors};
use fiskal_web::{Language, PfrApi, Policy};

use crate::service::{Lpfr, apply_output_options};

mod error;

/// Largest request body accepted (fiskal's choice: 1 MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// The PFR router for an L-PFR, inside fiskal-web's stack (request id and tracing span per
/// request, body limit of [`MAX_BODY`]).
pub fn router(lpfr: Lpfr) -> Router {
    let routes = Router::new()
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
        .with_state(lpfr);
    fiskal_web::layers(routes, &Policy::new().body_limit(MAX_BODY))
}

fn gsc_string(status: StatusCode, g: Gsc) -> Response {
    json_response(status, format!("\"{}\"", g.code()))
}

async fn attention() -> StatusCode {
    StatusCode::OK
}

/// The language is negotiated only to refuse what the PFR does not speak (406).
async fn status(State(lpfr): State<Lpfr>, _lang: Language<PfrApi>) -> Response {
    json(StatusCode::OK, &lpfr.status())
}

async fn environment_parameters(State(lpfr): State<Lpfr>, _lang: Language<PfrApi>) -> Response {
    axum::Json(lpfr.environment_parameters()).into_response()
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

/// The body is read as bytes, not by a JSON extractor: the PFR's state (PIN, card, limit) is
/// checked before the body, and each field error carries its own TaxCore code.
async fn create_invoice(
    State(lpfr): State<Lpfr>,
    Language { lang, .. }: Language<PfrApi>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
    match apply_output_options(result, &req).await {
        Ok(r) => json(StatusCode::OK, &r),
        Err(e) => e.into_response(),
    }
}

async fn invoice_by_request_id(
    State(lpfr): State<Lpfr>,
    _lang: Language<PfrApi>,
    Path(id): Path<String>,
) -> Response {
    match lpfr.invoice_by_request_id(&id).await {
        Ok(Some((result, req))) => match apply_output_options(result, &req).await {
            Ok(r) => json(StatusCode::OK, &r),
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
