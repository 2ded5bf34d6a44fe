//! TaxCore's answer bodies: JSON with `application/json; charset=utf-8` and the `ModelErrors`
//! error body (`{"message": <reason phrase>, "modelState": [...]}`) that the PFR API and the
//! SUF's API answer with.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use fiskal_domain::api::{FieldError, ModelErrors};
use fiskal_domain::gsc::Gsc;

/// The content type of every JSON answer of a TaxCore API.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A JSON answer with [`JSON_CONTENT_TYPE`]; `body` is already serialised JSON.
pub fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, JSON_CONTENT_TYPE)], body).into_response()
}

/// Serialises `value` as a JSON answer with [`JSON_CONTENT_TYPE`].
pub fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => json_response(status, body),
        Err(e) => {
            tracing::error!(error = %e, "an answer could not be serialised");
            model_errors(StatusCode::INTERNAL_SERVER_ERROR, &[])
        }
    }
}

/// The `ModelErrors` body with the status's reason phrase as `message` (`"Bad Request"`,
/// `"Not Acceptable"`, ...), the errors grouped per property.
pub fn model_errors(status: StatusCode, errors: &[FieldError]) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    model_errors_with_message(status, reason, errors)
}

/// Like [`model_errors`] with a chosen `message`.
pub fn model_errors_with_message(
    status: StatusCode,
    message: &str,
    errors: &[FieldError],
) -> Response {
    let body = ModelErrors::from_errors(message, errors);
    // ModelErrors holds only strings: serialising it cannot fail.
    json_response(status, serde_json::to_string(&body).unwrap_or_default())
}

/// A `ModelErrors` answer with codes reported on the empty property `""` (state refusals and
/// whole-body errors).
pub fn model_errors_codes(status: StatusCode, message: &str, codes: &[Gsc]) -> Response {
    let errors: Vec<FieldError> = codes
        .iter()
        .map(|c| FieldError {
            property: String::new(),
            code: *c,
        })
        .collect();
    model_errors_with_message(status, message, &errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(r: Response) -> (StatusCode, String, String) {
        let status = r.status();
        let ct = r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, ct, String::from_utf8(b.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn model_errors_carry_the_reason_phrase() {
        let (s, ct, b) = body(model_errors(StatusCode::NOT_ACCEPTABLE, &[])).await;
        assert_eq!(s, 406);
        assert_eq!(ct, JSON_CONTENT_TYPE);
        assert_eq!(b, r#"{"message":"Not Acceptable","modelState":[]}"#);
        let (_, _, b) = body(model_errors_codes(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            &[Gsc::InvalidFormat],
        ))
        .await;
        assert_eq!(
            b,
            r#"{"message":"Bad Request","modelState":[{"property":"","errors":["2806"]}]}"#
        );
    }
}
