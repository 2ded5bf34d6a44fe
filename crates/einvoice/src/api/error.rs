//! The one mapping of errors to HTTP answers. [`status`] holds the single `match` that gives
//! every [`ServiceError`] its HTTP status, for the API and the pages alike; [`api_error`] is the
//! API's JSON error body; [`invalid_request`] and [`refused_body`] answer requests that never
//! reached the service (a body that is not JSON, an upload over the cap). Internal failures
//! (store, key storage) get a generic sentence and their detail goes to the log, once, here.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::forms::Refusal;
use crate::messages::{Lang, MessageId};
use crate::service::ServiceError;

/// The HTTP status of a service error.
pub fn status(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::Message(MessageId::Unavailable, _) => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Message(MessageId::KeyInUseByOtherTenant, _) => StatusCode::CONFLICT,
        ServiceError::Message(..) | ServiceError::Fields(_) | ServiceError::InvalidDocument(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ServiceError::Refused { .. } => StatusCode::CONFLICT,
        ServiceError::NotFound => StatusCode::NOT_FOUND,
        ServiceError::Unauthorized => StatusCode::UNAUTHORIZED,
        ServiceError::UnknownEnvironment(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Store(_) | ServiceError::Crypto(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The API's error body: `{"error": {"id", "text", "fields"?, "findings"?}}` with the error's
/// status. An internal failure is logged with its detail; the body carries a generic sentence.
pub fn api_error(e: &ServiceError, lang: Lang) -> Response {
    if matches!(e, ServiceError::Store(_) | ServiceError::Crypto(_)) {
        tracing::error!(error = %e, "internal error");
    }
    let mut body = json!({ "error": { "id": e.id(), "text": e.text(lang) } });
    match e {
        ServiceError::Fields(f) => body["error"]["fields"] = json!(f),
        ServiceError::InvalidDocument(f) => body["error"]["findings"] = json!(f),
        _ => {}
    }
    (status(e), Json(body)).into_response()
}

/// 400 `request.invalid` with a sentence (a body that is not what the endpoint takes).
pub fn invalid_request(text: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": { "id": "request.invalid", "text": text.into() } })),
    )
        .into_response()
}

/// An upload that could not be read: 413 `upload.too_large`, otherwise 400 `request.invalid`.
pub fn refused_body(e: Refusal) -> Response {
    let id = if e.0 == StatusCode::PAYLOAD_TOO_LARGE {
        "upload.too_large"
    } else {
        "request.invalid"
    };
    (e.0, Json(json!({ "error": { "id": id, "text": e.1 } }))).into_response()
}
