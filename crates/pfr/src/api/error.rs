//! The one mapping of the service's errors to TaxCore's HTTP answers: a state refusal and field
//! errors are 400 with their codes, an internal failure is 500 with an empty error list (its
//! detail only in the log).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fiskal_domain::api::FieldError;
use fiskal_web::taxcore::model_errors;

use crate::service::PfrError;

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
