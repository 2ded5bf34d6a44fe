//! The one mapping of the service's errors to HTTP answers. [`ApiError`] answers the E-SDC API
//! and the pages' JSON in TaxCore's `ModelErrors` body; [`AdminError`] answers the
//! administration API as `{ "message": ... }`. Both take the status of a [`SufError`] from
//! [`Failure::of`]; an internal failure is logged here and its detail never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fiskal_domain::api::{FieldError, ModelErrors};
use fiskal_domain::gsc::Gsc;
use serde_json::json;

use crate::service::SufError;

/// What a [`SufError`] means for the client.
enum Failure {
    /// 401: no valid token.
    Unauthorized,
    /// 404, with the service's sentence.
    NotFound(String),
    /// 400, with the service's sentence.
    Refused(String),
    /// 500; the detail was logged.
    Internal,
}

impl Failure {
    /// The one `match` over the service's errors; `log` names the failed request in the log.
    fn of(e: SufError, log: &'static str) -> Failure {
        match e {
            SufError::Unauthorized => Failure::Unauthorized,
            SufError::NotFound(m) => Failure::NotFound(m),
            SufError::Refused(m) => Failure::Refused(m),
            other => {
                tracing::error!(error = %other, "{log}");
                Failure::Internal
            }
        }
    }
}

/// An error answer of the E-SDC API: TaxCore's `ModelErrors` with a message and GSC codes.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    codes: Vec<Gsc>,
}

impl ApiError {
    /// An answer with `status`, `message` and the codes on property `""`.
    pub fn new(status: StatusCode, message: impl Into<String>, codes: &[Gsc]) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            codes: codes.to_vec(),
        }
    }

    /// 400 for a body or parameter that cannot be read (code 2310, invalid format).
    pub fn bad_format(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message, &[Gsc::InvalidFormat])
    }

    /// 401 with `message`.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message, &[])
    }
}

impl From<SufError> for ApiError {
    fn from(e: SufError) -> ApiError {
        match Failure::of(e, "SUF request failed") {
            Failure::Unauthorized => ApiError::unauthorized("Unauthorized"),
            Failure::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m, &[]),
            Failure::Refused(m) => ApiError::bad_format(m),
            Failure::Internal => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                &[],
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let errors: Vec<FieldError> = self
            .codes
            .iter()
            .map(|c| FieldError {
                property: String::new(),
                code: *c,
            })
            .collect();
        (
            self.status,
            Json(ModelErrors::from_errors(&self.message, &errors)),
        )
            .into_response()
    }
}

/// An error of the administration API, as JSON `{ "message": ... }`.
#[derive(Debug)]
pub struct AdminError(StatusCode, String);

impl AdminError {
    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> AdminError {
        AdminError(StatusCode::BAD_REQUEST, message.into())
    }

    /// 401 with `message`.
    pub fn unauthorized(message: impl Into<String>) -> AdminError {
        AdminError(StatusCode::UNAUTHORIZED, message.into())
    }

    /// 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> AdminError {
        AdminError(StatusCode::NOT_FOUND, message.into())
    }
}

impl From<SufError> for AdminError {
    fn from(e: SufError) -> AdminError {
        match Failure::of(e, "administration request failed") {
            Failure::Refused(m) => AdminError::bad_request(m),
            Failure::NotFound(m) => AdminError::not_found(m),
            Failure::Unauthorized => AdminError::unauthorized("not authorised"),
            Failure::Internal => AdminError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the SUF could not complete the change; nothing was changed".into(),
            ),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "message": self.1 }))).into_response()
    }
}
