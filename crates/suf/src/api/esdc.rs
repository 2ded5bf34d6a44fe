//! TaxCore.API for PFRs (suf-backend.md §3, §4): configuration, tax rates, the encryption key,
//! tokens, status and commands, audit packages and proof-of-audit requests.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use super::error::ApiError;
use crate::package::AuditPackage;
use crate::service::{Suf, SufError};
use crate::store::{CommandRecord, Store};

/// Header carrying the token (suf-backend.md §4).
pub const TOKEN_HEADER: &str = "TaxCoreAuthenticationToken";
/// Header naming the client's SE UID on a plain-HTTP listener, standing in for the TLS client
/// certificate (docs/suf-formats.md).
pub const CLIENT_UID_HEADER: &str = "X-Fiskal-Client-Uid";

fn command_json(c: &CommandRecord) -> Value {
    serde_json::to_value(c.to_command()).unwrap_or(Value::Null)
}

pub(super) async fn configuration<S: Store>(State(s): State<App<S>>) -> Response {
    Json(s.configuration()).into_response()
}

pub(super) async fn tax_rates<S: Store>(State(s): State<App<S>>) -> Response {
    let all = s.tax_groups();
    let now = chrono::Utc::now().fixed_offset();
    let current = fiskal_domain::tax::group_at(&all, now).cloned();
    Json(json!({"currentTaxRates": current, "allTaxRates": all})).into_response()
}

pub(super) async fn environments<S: Store>(State(s): State<App<S>>) -> Response {
    let c = s.config();
    Json(
        json!([{"name": c.environment_name, "url": c.base_url, "description": c.organization_name,
                 "environmentName": "LOCAL"}]),
    )
    .into_response()
}

pub(super) async fn encryption_key<S: Store>(State(s): State<App<S>>) -> Response {
    Json(Value::String(
        B64.encode(s.keys().authority().encryption_public_key_der()),
    ))
    .into_response()
}

pub(super) async fn token<S: Store>(
    State(s): State<App<S>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(uid) = headers.get(CLIENT_UID_HEADER).and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::unauthorized(
            "A client certificate (or client UID) is required",
        ));
    };
    let uid = uid.trim();
    client_proof(&s, uid, &headers).map_err(ApiError::unauthorized)?;
    match s.token(uid).await {
        Ok((t, exp)) => Ok(Json(
            json!({"token": t, "expiresAt": exp.format("%Y-%m-%dT%H:%M:%SZ").to_string()}),
        )
        .into_response()),
        Err(SufError::Refused(m)) => Err(ApiError::unauthorized(m)),
        Err(e) => Err(e.into()),
    }
}

/// Checks the proof-of-key headers of a token request on this plain-HTTP listener.
fn client_proof<S: Store>(s: &Suf<S>, uid: &str, headers: &HeaderMap) -> Result<(), String> {
    use fiskal_se::client_proof as proof;
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let (Some(time), Some(cert), Some(sig)) = (
        get(proof::TIME_HEADER),
        get(proof::CERTIFICATE_HEADER),
        get(proof::SIGNATURE_HEADER),
    ) else {
        return Err(format!(
            "a token needs proof of the secure element's authentication key: headers {}, {} and {}",
            proof::TIME_HEADER,
            proof::CERTIFICATE_HEADER,
            proof::SIGNATURE_HEADER
        ));
    };
    let time: i64 = time
        .parse()
        .map_err(|_| format!("{} is not a time in ms", proof::TIME_HEADER))?;
    let (Ok(cert), Ok(sig)) = (B64.decode(cert), B64.decode(sig)) else {
        return Err("the certificate or signature is not base64".into());
    };
    s.check_client_proof(uid, time, &cert, &sig)
        .map_err(|e| e.to_string())
}

/// The SE a request's token belongs to.
async fn client<S: Store>(s: &Suf<S>, headers: &HeaderMap) -> Result<String, ApiError> {
    let t = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok());
    Ok(s.authenticate(t).await?)
}

/// A body of `true` or `false` (quoted or not, any case).
fn parse_bool(body: &[u8]) -> Result<bool, ApiError> {
    let t = std::str::from_utf8(body)
        .unwrap_or_default()
        .trim()
        .trim_matches('"')
        .to_ascii_lowercase();
    match t.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::bad_format("The body must be true or false")),
    }
}

/// The commands as TaxCore's JSON array.
fn commands_answer(cs: &[CommandRecord]) -> Response {
    Json(Value::Array(cs.iter().map(command_json).collect())).into_response()
}

pub(super) async fn status<S: Store>(
    State(s): State<App<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let uid = client(&s, &headers).await?;
    if !parse_bool(&body)? {
        return Ok(Json(json!([])).into_response());
    }
    Ok(commands_answer(&s.commands(&uid).await?))
}

pub(super) async fn commands<S: Store>(
    State(s): State<App<S>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let uid = client(&s, &headers).await?;
    Ok(commands_answer(&s.commands(&uid).await?))
}

pub(super) async fn command_result<S: Store>(
    State(s): State<App<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let uid = client(&s, &headers).await?;
    let ok = parse_bool(&body)?;
    s.command_result(&uid, &id, ok).await?;
    Ok(StatusCode::OK)
}

pub(super) async fn audit<S: Store>(
    State(s): State<App<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let uid = client(&s, &headers).await?;
    let pkg = serde_json::from_slice::<AuditPackage>(&body)
        .map_err(|_| ApiError::bad_format("The body is not an audit package"))?;
    let answer = s.audit_package(&uid, &pkg).await;
    if !answer.status.is_verified() {
        tracing::warn!(uid, status = answer.status.code(), message = %answer.message, "audit package rejected");
    }
    let cmds = s.commands_for_audit_answer(&uid).await.unwrap_or_default();
    Ok(
        Json(json!({"status": answer.status, "message": answer.message,
                "commands": cmds.iter().map(command_json).collect::<Vec<_>>()}))
        .into_response(),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProofRequest {
    audit_request_payload: String,
    sum: i64,
    limit: i64,
}

pub(super) async fn audit_proof<S: Store>(
    State(s): State<App<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let uid = client(&s, &headers).await?;
    let req = serde_json::from_slice::<ProofRequest>(&body)
        .map_err(|_| ApiError::bad_format("The body is not a ProofOfAuditRequest"))?;
    let arp = B64
        .decode(req.audit_request_payload.trim())
        .map_err(|_| ApiError::bad_format("auditRequestPayload is not base64"))?;
    s.audit_proof_request(&uid, &arp, req.sum, req.limit)
        .await?;
    Ok(StatusCode::OK)
}
