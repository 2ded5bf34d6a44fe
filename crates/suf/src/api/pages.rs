//! The public pages (verification-url.md §5): the verification page `GET /v/?vl=` (HTML, or
//! JSON for `Accept: application/json`), the item list `POST /specifications` and the manual
//! check `GET/POST /v/manual`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use fiskal_domain::lang::Lang;
use fiskal_web::{Language, Pages};
use serde_json::{Value, json};

use super::App;
use super::error::ApiError;
use super::page::manual::{form, not_found, not_received, unavailable};
use super::page::verification;
use crate::service::Suf;
use crate::service::lookup::{SpecItem, field, form_fields, specifications as lookup_items};
use crate::service::manual::{self, ManualForm, ManualOutcome};
use crate::store::Store;

/// Extracts the raw `vl` value (still percent-encoded) from a query string.
fn vl_of(query: &str) -> Option<&str> {
    query.split('&').find_map(|kv| kv.strip_prefix("vl="))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

pub(super) async fn verify_page<S: Store>(
    State(s): State<App<S>>,
    Language { lang, .. }: Language<Pages>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let json_mode = wants_json(&headers);
    let Some(vl) = q.as_deref().and_then(vl_of) else {
        return if json_mode {
            ApiError::bad_format("The vl parameter is missing").into_response()
        } else {
            (
                StatusCode::BAD_REQUEST,
                Html(verification::missing_vl(lang)),
            )
                .into_response()
        };
    };
    let verdict = match s.verify(vl).await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if json_mode {
        Json(verification::json(&verdict)).into_response()
    } else {
        Html(verification::html(&verdict, lang, vl)).into_response()
    }
}

/// `POST /specifications`: the items of a received receipt (verification-url.md §5).
pub(super) async fn specifications<S: Store>(State(s): State<App<S>>, body: Bytes) -> Response {
    let (status, answer) = specifications_answer(&s, &body).await;
    (status, Json(answer)).into_response()
}

/// `GET /v/manual`: the manual form.
pub(super) async fn manual_form(Language { lang, .. }: Language<Pages>) -> Response {
    Html(form(&Default::default(), &[], lang)).into_response()
}

/// `POST /v/manual`: the manual check.
pub(super) async fn manual_check<S: Store>(
    State(s): State<App<S>>,
    Language { lang, .. }: Language<Pages>,
    body: Bytes,
) -> Response {
    let (status, html) = manual_answer(&s, &body, lang).await;
    (status, Html(html)).into_response()
}

/// The whole `POST /specifications` exchange: `(200, {"success": true, "items": [...]})`;
/// `(200, {"success": false, "items": []})` for a wrong or expired token or a receipt the SUF has
/// not received; `(400, the same)` when `invoiceNumber` or `token` is missing.
pub async fn specifications_answer<S: Store>(suf: &Suf<S>, body: &[u8]) -> (StatusCode, Value) {
    let no = json!({"success": false, "items": []});
    let fields = form_fields(body);
    let (Some(number), Some(token)) = (field(&fields, "invoiceNumber"), field(&fields, "token"))
    else {
        return (StatusCode::BAD_REQUEST, no);
    };
    match lookup_items(suf, number.trim(), token).await {
        Ok(Some(items)) => (
            StatusCode::OK,
            json!({"success": true, "items": items.iter().map(SpecItem::to_json).collect::<Vec<_>>()}),
        ),
        Ok(None) => (StatusCode::OK, no),
        Err(e) => {
            tracing::error!(error = %e, "specifications lookup failed");
            (StatusCode::INTERNAL_SERVER_ERROR, no)
        }
    }
}

/// The whole `POST /v/manual` exchange in `lang`: the form again with errors (400), the
/// verification page of the matching receipt (200), "not found" (200) or "not yet received"
/// (200).
pub async fn manual_answer<S: Store>(
    suf: &Suf<S>,
    body: &[u8],
    lang: Lang,
) -> (StatusCode, String) {
    let form_values = ManualForm::from_body(body);
    let q = match manual::parse_manual(&form_values) {
        Ok(q) => q,
        Err(errors) => {
            return (StatusCode::BAD_REQUEST, form(&form_values, &errors, lang));
        }
    };
    match manual::manual_lookup(suf, &q).await {
        Ok(ManualOutcome::Found { verdict, vl }) => {
            (StatusCode::OK, verification::html(&verdict, lang, &vl))
        }
        Ok(ManualOutcome::NotFound) => (StatusCode::OK, not_found(&form_values, lang)),
        Ok(ManualOutcome::NotReceived) => (StatusCode::OK, not_received(&q.invoice_number, lang)),
        Err(e) => {
            tracing::error!(error = %e, "manual receipt lookup failed");
            (StatusCode::INTERNAL_SERVER_ERROR, unavailable(lang))
        }
    }
}
