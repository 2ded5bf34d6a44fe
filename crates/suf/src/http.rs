//! The SUF's HTTP API (suf-backend.md §3, §4) and the verification page (verification-url.md §5),
//! on one axum router.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_domain::api::{FieldError, ModelErrors};
use fiskal_domain::gsc::Gsc;
use fiskal_domain::lang::Lang;
use fiskal_web::extract::LANG_PARAM;
use fiskal_web::{Language, Pages, Policy};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::layout::MANUAL_PATH;
use crate::lookup::SPECIFICATIONS_PATH;
use crate::package::AuditPackage;
use crate::page;
use crate::service::{Suf, SufError};
use crate::store::{CommandRecord, Store};

/// Header carrying the token (suf-backend.md §4).
pub const TOKEN_HEADER: &str = "TaxCoreAuthenticationToken";
/// Header naming the client's SE UID on a plain-HTTP listener, standing in for the TLS client
/// certificate (docs/suf-formats.md).
pub const CLIENT_UID_HEADER: &str = "X-Fiskal-Client-Uid";

type App<S> = Arc<Suf<S>>;

/// Largest request body (what axum allowed before: 2 MiB).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// The layers' policy of a SUF: its public base URL is the origin its forms come from.
pub fn policy<S: Store>(suf: &Suf<S>) -> Policy {
    let base = Policy::new().body_limit(MAX_BODY);
    let url = suf.config().base_url;
    base.clone().public_url(&url).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the SUF's base URL is not usable as the pages' origin");
        base
    })
}

/// The router: TaxCore.API for PFRs, and the pages for people (verification page, manual
/// check, item list, stylesheet) behind fiskal-web's page layers (security headers, CSRF).
/// Pages speak the language of the request (fiskal-web's [`Language`] under [`Pages`]); one
/// chosen with `?lang=` is remembered in the `lang` cookie.
pub fn router<S: Store>(suf: App<S>) -> axum::Router {
    let policy = policy(&suf);
    let api = axum::Router::new()
        .route("/api/v3/configuration", get(configuration::<S>))
        .route("/api/v3/tax-rates", get(tax_rates::<S>))
        .route("/api/v3/environments", get(environments::<S>))
        .route("/api/v3/encryption-certificate", get(encryption_key::<S>))
        .route("/api/v3/sdc/token", get(token::<S>))
        .route("/api/v3/sdc/status", put(status::<S>))
        .route("/api/v3/sdc/commands", get(commands::<S>))
        .route("/api/v3/sdc/commands/{id}", put(command_result::<S>))
        .route("/api/v3/sdc/audit", post(audit::<S>))
        .route("/api/v3/sdc/audit-proof", post(audit_proof::<S>))
        .with_state(suf.clone());
    let pages = axum::Router::new()
        .route("/v/", get(verify_page::<S>))
        .route("/v", get(verify_page::<S>))
        .with_state(suf.clone())
        .merge(lookups(suf))
        .merge(fiskal_web::assets())
        .layer(axum::middleware::from_fn_with_state(
            policy.clone(),
            remember_lang,
        ));
    api.merge(fiskal_web::pages(pages, &policy))
}

/// How long the `lang` cookie keeps a language chosen with `?lang=`: a year.
const LANG_COOKIE_AGE: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);

/// Page answers depend on the language: `Vary: Accept-Language, Cookie`; a language chosen
/// with `?lang=` on a `GET` is remembered in the `lang` cookie (`Secure` under https).
async fn remember_lang(State(policy): State<Policy>, req: Request, next: Next) -> Response {
    let chosen = (req.method() == Method::GET)
        .then(|| req.uri().query().and_then(lang_of))
        .flatten()
        .and_then(Lang::from_code);
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.append(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    if let Some(l) = chosen {
        match policy.cookie(LANG_PARAM, l.code()) {
            Ok(c) => {
                headers.append(
                    header::SET_COOKIE,
                    c.max_age(LANG_COOKIE_AGE).header_value(),
                );
            }
            Err(e) => tracing::warn!(error = %e, "the language cookie cannot be set"),
        }
    }
    res
}

/// The lookups a person could brute-force, behind the per-client attempt limit.
fn lookups<S: Store>(suf: App<S>) -> axum::Router {
    let limiter = Arc::new(crate::limit::AttemptLimiter::default());
    axum::Router::new()
        .route(SPECIFICATIONS_PATH, post(specifications::<S>))
        .route(MANUAL_PATH, get(manual_form).post(manual_check::<S>))
        .route_layer(axum::middleware::from_fn_with_state(
            limiter,
            crate::limit::limit_posts,
        ))
        .with_state(suf)
}

fn model_errors(status: StatusCode, message: &str, codes: &[Gsc]) -> Response {
    let errors: Vec<FieldError> = codes
        .iter()
        .map(|c| FieldError {
            property: String::new(),
            code: *c,
        })
        .collect();
    (status, Json(ModelErrors::from_errors(message, &errors))).into_response()
}

fn error_response(e: SufError) -> Response {
    match e {
        SufError::Unauthorized => model_errors(StatusCode::UNAUTHORIZED, "Unauthorized", &[]),
        SufError::NotFound(m) => model_errors(StatusCode::NOT_FOUND, &m, &[]),
        SufError::Refused(m) => model_errors(StatusCode::BAD_REQUEST, &m, &[Gsc::InvalidFormat]),
        other => {
            tracing::error!(error = %other, "SUF request failed");
            model_errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                &[],
            )
        }
    }
}

fn command_json(c: &CommandRecord) -> Value {
    json!({"commandId": c.command_id, "type": c.command_type, "payload": c.payload, "uid": c.uid})
}

async fn configuration<S: Store>(State(s): State<App<S>>) -> Response {
    Json(s.configuration()).into_response()
}

async fn tax_rates<S: Store>(State(s): State<App<S>>) -> Response {
    let all = s.tax_groups();
    let now = chrono::Utc::now().fixed_offset();
    let current = fiskal_domain::tax::group_at(&all, now).cloned();
    Json(json!({"currentTaxRates": current, "allTaxRates": all})).into_response()
}

async fn environments<S: Store>(State(s): State<App<S>>) -> Response {
    let c = s.config();
    Json(
        json!([{"name": c.environment_name, "url": c.base_url, "description": c.organization_name,
                 "environmentName": "LOCAL"}]),
    )
    .into_response()
}

async fn encryption_key<S: Store>(State(s): State<App<S>>) -> Response {
    Json(Value::String(
        B64.encode(s.keys().authority().encryption_public_key_der()),
    ))
    .into_response()
}

async fn token<S: Store>(State(s): State<App<S>>, headers: HeaderMap) -> Response {
    let Some(uid) = headers.get(CLIENT_UID_HEADER).and_then(|v| v.to_str().ok()) else {
        return model_errors(
            StatusCode::UNAUTHORIZED,
            "A client certificate (or client UID) is required",
            &[],
        );
    };
    let uid = uid.trim();
    if let Err(why) = client_proof(&s, uid, &headers) {
        return model_errors(StatusCode::UNAUTHORIZED, &why, &[]);
    }
    match s.token(uid).await {
        Ok((t, exp)) => {
            Json(json!({"token": t, "expiresAt": exp.format("%Y-%m-%dT%H:%M:%SZ").to_string()}))
                .into_response()
        }
        Err(SufError::Refused(m)) => model_errors(StatusCode::UNAUTHORIZED, &m, &[]),
        Err(e) => error_response(e),
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

async fn client<S: Store>(s: &Suf<S>, headers: &HeaderMap) -> Result<String, Response> {
    let t = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok());
    s.authenticate(t).await.map_err(error_response)
}

fn parse_bool(body: &[u8]) -> Option<bool> {
    let t = std::str::from_utf8(body)
        .ok()?
        .trim()
        .trim_matches('"')
        .to_ascii_lowercase();
    match t.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

async fn status<S: Store>(State(s): State<App<S>>, headers: HeaderMap, body: Bytes) -> Response {
    let uid = match client(&s, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(online) = parse_bool(&body) else {
        return model_errors(
            StatusCode::BAD_REQUEST,
            "The body must be true or false",
            &[Gsc::InvalidFormat],
        );
    };
    if !online {
        return Json(json!([])).into_response();
    }
    match s.commands(&uid).await {
        Ok(cs) => Json(Value::Array(cs.iter().map(command_json).collect())).into_response(),
        Err(e) => error_response(e),
    }
}

async fn commands<S: Store>(State(s): State<App<S>>, headers: HeaderMap) -> Response {
    let uid = match client(&s, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match s.commands(&uid).await {
        Ok(cs) => Json(Value::Array(cs.iter().map(command_json).collect())).into_response(),
        Err(e) => error_response(e),
    }
}

async fn command_result<S: Store>(
    State(s): State<App<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let uid = match client(&s, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(ok) = parse_bool(&body) else {
        return model_errors(
            StatusCode::BAD_REQUEST,
            "The body must be true or false",
            &[Gsc::InvalidFormat],
        );
    };
    match s.command_result(&uid, &id, ok).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => error_response(e),
    }
}

async fn audit<S: Store>(State(s): State<App<S>>, headers: HeaderMap, body: Bytes) -> Response {
    let uid = match client(&s, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Ok(pkg) = serde_json::from_slice::<AuditPackage>(&body) else {
        return model_errors(
            StatusCode::BAD_REQUEST,
            "The body is not an audit package",
            &[Gsc::InvalidFormat],
        );
    };
    let answer = s.audit_package(&uid, &pkg).await;
    if !answer.status.is_verified() {
        tracing::warn!(uid, status = answer.status.code(), message = %answer.message, "audit package rejected");
    }
    let cmds = s.commands_for_audit_answer(&uid).await.unwrap_or_default();
    Json(json!({"status": answer.status, "message": answer.message,
                "commands": cmds.iter().map(command_json).collect::<Vec<_>>()}))
    .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProofRequest {
    audit_request_payload: String,
    sum: i64,
    limit: i64,
}

async fn audit_proof<S: Store>(
    State(s): State<App<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let uid = match client(&s, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Ok(req) = serde_json::from_slice::<ProofRequest>(&body) else {
        return model_errors(
            StatusCode::BAD_REQUEST,
            "The body is not a ProofOfAuditRequest",
            &[Gsc::InvalidFormat],
        );
    };
    let Ok(arp) = B64.decode(req.audit_request_payload.trim()) else {
        return model_errors(
            StatusCode::BAD_REQUEST,
            "auditRequestPayload is not base64",
            &[Gsc::InvalidFormat],
        );
    };
    match s.audit_proof_request(&uid, &arp, req.sum, req.limit).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => error_response(e),
    }
}

/// The `lang` value of a query string.
fn lang_of(query: &str) -> Option<&str> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(LANG_PARAM)?.strip_prefix('='))
}

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

async fn verify_page<S: Store>(
    State(s): State<App<S>>,
    Language { lang, .. }: Language<Pages>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let json_mode = wants_json(&headers);
    let Some(vl) = q.as_deref().and_then(vl_of) else {
        return if json_mode {
            model_errors(
                StatusCode::BAD_REQUEST,
                "The vl parameter is missing",
                &[Gsc::InvalidFormat],
            )
        } else {
            (StatusCode::BAD_REQUEST, Html(page::missing_vl(lang))).into_response()
        };
    };
    let verdict = match s.verify(vl).await {
        Ok(v) => v,
        Err(e) => return error_response(e),
    };
    if json_mode {
        Json(page::json(&verdict)).into_response()
    } else {
        Html(page::html(&verdict, lang, vl)).into_response()
    }
}

/// `POST /specifications`: the items of a received receipt (verification-url.md §5).
async fn specifications<S: Store>(State(s): State<App<S>>, body: Bytes) -> Response {
    let (status, answer) = crate::lookup::specifications_answer(&s, &body).await;
    (status, Json(answer)).into_response()
}

/// `GET /v/manual`: the manual form.
async fn manual_form(Language { lang, .. }: Language<Pages>) -> Response {
    Html(crate::manual_page::form(&Default::default(), &[], lang)).into_response()
}

/// `POST /v/manual`: the manual check.
async fn manual_check<S: Store>(
    State(s): State<App<S>>,
    Language { lang, .. }: Language<Pages>,
    body: Bytes,
) -> Response {
    let (status, html) = crate::manual_page::manual_answer(&s, &body, lang).await;
    (status, Html(html)).into_response()
}
