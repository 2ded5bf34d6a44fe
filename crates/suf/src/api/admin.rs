//! The administration API under `/portal/api/v1/` (the authority's changes and views of
//! [`crate::service::admin`]); every call requires `Authorization: Bearer {admin token}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::Utc;
use fiskal_domain::tax::group_at;
use fiskal_web::BearerToken;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use super::App;
use super::error::AdminError;
use crate::service::admin::{DirectiveRequest, NewTaxRateGroup};
use crate::service::{Suf, now_ms};
use crate::store::Store;

fn authorise<S: Store>(s: &Suf<S>, token: Option<BearerToken>) -> Result<(), AdminError> {
    match token {
        Some(t) if s.admin_token_matches(t.secret()) => Ok(()),
        _ => Err(AdminError::unauthorized(
            "the administration token is missing or wrong (Authorization: Bearer ...)",
        )),
    }
}

/// Parses a JSON body into `T`, with a readable 400 on failure.
fn body<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(bytes)
        .map_err(|e| AdminError::bad_request(format!("the body is not valid: {e}")))
}

/// The administration routes under `/portal/api/v1/`.
pub fn router<S: Store>(suf: App<S>) -> axum::Router {
    axum::Router::new()
        .route(
            "/portal/api/v1/tax-rate-groups",
            get(list_groups::<S>).post(add_group::<S>),
        )
        .route("/portal/api/v1/verification-url", put(put_prefix::<S>))
        .route("/portal/api/v1/time-server", put(put_time_server::<S>))
        .route("/portal/api/v1/secure-elements", get(list_se::<S>))
        .route(
            "/portal/api/v1/secure-elements/{uid}/commands",
            get(history::<S>),
        )
        .route(
            "/portal/api/v1/secure-elements/{uid}/revoke",
            post(revoke::<S>),
        )
        .route(
            "/portal/api/v1/secure-elements/{uid}/proof-of-audit",
            post(force_proof::<S>),
        )
        .route(
            "/portal/api/v1/secure-elements/{uid}/directives",
            post(directive::<S>),
        )
        .with_state(suf)
}

async fn list_groups<S: Store>(
    State(s): State<App<S>>,
    token: Option<BearerToken>,
) -> Result<Response, AdminError> {
    authorise(&s, token)?;
    let all = s.tax_groups();
    let current = group_at(&all, Utc::now().fixed_offset()).cloned();
    Ok(Json(json!({ "currentTaxRates": current, "allTaxRates": all })).into_response())
}

async fn add_group<S: Store>(
    State(s): State<App<S>>,
    token: Option<BearerToken>,
    bytes: axum::body::Bytes,
) -> Result<Response, AdminError> {
    authorise(&s, token)?;
    let new: NewTaxRateGroup = body(&bytes)?;
    let outcome = s.add_tax_group(new).await?;
    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}

#[derive(Deserialize)]
struct UrlBody {
    url: String,
}

async fn put_prefix<S: Store>(
    State(s): State<App<S>>,
    token: Option<BearerToken>,
    bytes: axum::body::Bytes,
) -> Result<Response, AdminError> {
    authorise(&s, token)?;
    let b: UrlBody = body(&bytes)?;
    Ok(Json(s.set_verification_prefix(&b.url).await?).into_response())
}

async fn put_time_server<S: Store>(
    State(s): State<App<S>>,
    token: Option<BearerToken>,
    bytes: axum::body::Bytes,
) -> Result<Response, AdminError> {
    authorise(&s, token)?;
    let b: UrlBody = body(&bytes)?;
    Ok(Json(s.set_time_server(&b.url).await?).into_response())
}

async fn list_se<S: Store>(
    State(s): State<App<S>>,
    token: Option<BearerToken>,
) -> Result<Response, AdminError> {
    authorise(&s, token)?;
    Ok(Json(s.secure_elements().await?).into_response())
}

async fn history<S: Store>(
    State(s): State<App<S>>,
    token: Option<BearerToken>,
    Path(uid): Path<String>,
) -> Result<Response, AdminError> {
    authorise(&s, token)?;
    Ok(Json(s.command_history(&uid).await?).into_response())
}

#[derive(Deserialize)]
struct DirectiveBody {
    #[serde(rename = "type")]
    kind: u8,
    limit: Option<String>,
}

async fn directive<S: Store>(
    State(s): State<App<S>>,
    token: Option<BearerToken>,
    Path(uid): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, AdminError> {
    authorise(&s, token)?;
    let b: DirectiveBody = body(&bytes)?;
    let request = match (b.kind, b.limit.as_deref()) {
        (1, _) => DirectiveRequest::DisableSigning,
        (2, _) => DirectiveRequest::EnableSigning,
        (3, Some(l)) => {
            let d: Decimal = l
                .trim()
                .parse()
                .map_err(|_| AdminError::bad_request(format!("limit {l:?} is not an amount")))?;
            let scaled = fiskal_domain::money::to_scaled(d)
                .ok_or_else(|| AdminError::bad_request(format!("limit {l:?} is out of range")))?;
            DirectiveRequest::SetLimit(scaled)
        }
        (3, None) => {
            return Err(AdminError::bad_request(
                "a SetLimit directive (type 3) needs \"limit\"",
            ));
        }
        (4, _) => DirectiveRequest::UnlockPin,
        (t, _) => {
            return Err(AdminError::bad_request(format!(
                "directive type {t} is unknown (1 disable, 2 enable, 3 limit, 4 unlock PIN)"
            )));
        }
    };
    Ok(Json(s.send_directive(&uid, request).await?).into_response())
}

#[derive(Deserialize)]
struct OperatorBody {
    operator: String,
}

async fn force_proof<S: Store>(
    State(s): State<App<S>>,
    token: Option<BearerToken>,
    Path(uid): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, AdminError> {
    authorise(&s, token)?;
    let b: OperatorBody = body(&bytes)?;
    Ok(Json(s.force_proof_of_audit(&uid, &b.operator).await?).into_response())
}

async fn revoke<S: Store>(
    State(s): State<App<S>>,
    token: Option<BearerToken>,
    Path(uid): Path<String>,
) -> Result<Response, AdminError> {
    authorise(&s, token)?;
    if !s.revoke(&uid, now_ms()).await? {
        return Err(AdminError::not_found(format!(
            "secure element {uid} is not registered"
        )));
    }
    tracing::info!(uid, "secure element revoked");
    Ok(Json(json!({ "uid": uid, "revoked": true })).into_response())
}
