//! The JSON API (`/api/v1/…`, `Authorization: Bearer` with the tenant's access token or the
//! operator token), the SEF callback endpoint (`/sef/callback/{token}`) and `/healthz`.
//! Messages follow [`Language`]: `?lang=`, the `lang` cookie or `Accept-Language`.

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use fiskal_web::{BearerToken, Language, Pages};
use serde::Deserialize;
use serde_json::json;

use super::error::{api_error, invalid_request, refused_body};
use super::forms::read_body;
use super::shell::{St, Web};
use crate::crypto::ApiKey;
use crate::model::Tenant;
use crate::service::{Registration, Service, ServiceError};
use crate::tools::SimpleInvoice;

type Lng = Language<Pages>;

/// Largest registration body.
const REGISTRATION_LIMIT: usize = 64 * 1024;

/// The API routes. Uploads (`POST /api/v1/documents`, `PUT /api/v1/documents/{id}`) read their
/// body within the service's upload cap; every other route takes at most
/// [`fiskal_web::DEFAULT_BODY_LIMIT`].
pub fn routes() -> Router<Web> {
    let uploads = Router::new()
        .route("/api/v1/documents", post(api_submit))
        .route("/api/v1/documents/{id}", put(api_resubmit))
        .route("/api/v1/tenants", post(api_register));
    let rest = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/tenant", get(api_tenant))
        .route("/api/v1/tenant/key", put(api_replace_key))
        .route("/api/v1/tenant/key/check", post(api_check_key))
        .route("/api/v1/documents", get(api_documents))
        .route("/api/v1/documents/{id}", get(api_document))
        .route("/api/v1/documents/{id}/xml", get(api_document_xml))
        .route("/api/v1/documents/{id}/cancel", post(api_cancel))
        .route("/api/v1/documents/{id}/storno", post(api_storno))
        .route("/api/v1/documents/{id}/refresh", post(api_refresh))
        .route("/api/v1/documents/{id}/redate", post(api_redate))
        .route("/api/v1/operator/tenants", get(api_operator_tenants))
        .route("/sef/callback/{token}", post(callback))
        .layer(DefaultBodyLimit::max(fiskal_web::DEFAULT_BODY_LIMIT));
    uploads.merge(rest)
}

fn token(bearer: Option<&BearerToken>) -> &str {
    bearer.map_or("", BearerToken::secret)
}

async fn tenant_of(s: &Service, bearer: Option<&BearerToken>) -> Result<Tenant, ServiceError> {
    s.authenticate(token(bearer)).await
}

macro_rules! api_try {
    ($e:expr, $lang:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return api_error(&e, $lang),
        }
    };
}

async fn api_register(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    body: Body,
) -> Response {
    let body = match read_body(body, REGISTRATION_LIMIT, lang).await {
        Ok(b) => b,
        Err(e) => return refused_body(e),
    };
    let r: Registration = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return invalid_request(format!("The request body is not a valid registration: {e}"));
        }
    };
    let reg = api_try!(w.svc.register(r, "tenant-admin").await, lang);
    (StatusCode::CREATED, Json(json!(reg))).into_response()
}

async fn api_tenant(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    Json(json!(api_try!(w.svc.key_status(t.id, lang).await, lang))).into_response()
}

#[derive(Deserialize)]
struct KeyBody {
    api_key: ApiKey,
}

async fn api_replace_key(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
    body: Bytes,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    let Ok(k) = serde_json::from_slice::<KeyBody>(&body) else {
        return invalid_request("Expected {\"api_key\": \"…\"}.");
    };
    Json(json!(api_try!(
        w.svc.replace_key(t.id, k.api_key, "tenant-admin").await,
        lang
    )))
    .into_response()
}

async fn api_check_key(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    Json(json!(api_try!(
        w.svc.check_again(t.id, "tenant-admin").await,
        lang
    )))
    .into_response()
}

async fn api_documents(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    Json(json!(api_try!(w.svc.documents(t.id).await, lang))).into_response()
}

async fn api_submit(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    let body = match read_body(body, w.svc.config().max_upload_bytes, lang).await {
        Ok(b) => b,
        Err(e) => return refused_body(e),
    };
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    let doc = if json_body {
        let Ok(form) = serde_json::from_slice::<SimpleInvoice>(&body) else {
            return invalid_request("The body is not a valid simple invoice.");
        };
        api_try!(w.svc.create_simple(t.id, &form, "tenant-user").await, lang)
    } else {
        api_try!(w.svc.submit_xml(t.id, &body, "tenant-user").await, lang)
    };
    (StatusCode::CREATED, Json(json!(doc))).into_response()
}

async fn api_resubmit(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
    body: Body,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    let body = match read_body(body, w.svc.config().max_upload_bytes, lang).await {
        Ok(b) => b,
        Err(e) => return refused_body(e),
    };
    Json(json!(api_try!(
        w.svc.resubmit(t.id, id, &body, "tenant-user").await,
        lang
    )))
    .into_response()
}

async fn api_document(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    Json(json!(api_try!(w.svc.document(t.id, id, lang).await, lang))).into_response()
}

async fn api_document_xml(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    let xml = api_try!(w.svc.document_xml(t.id, id).await, lang);
    ([(header::CONTENT_TYPE, "application/xml")], xml).into_response()
}

#[derive(Deserialize)]
struct ActionBody {
    comment: String,
    #[serde(default)]
    storno_number: Option<String>,
}

async fn api_cancel(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
    Json(b): Json<ActionBody>,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    Json(json!(api_try!(
        w.svc.cancel(t.id, id, &b.comment, "tenant-user").await,
        lang
    )))
    .into_response()
}

async fn api_storno(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
    Json(b): Json<ActionBody>,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    let number = b.storno_number.as_deref();
    Json(json!(api_try!(
        w.svc
            .storno(t.id, id, &b.comment, number, "tenant-user")
            .await,
        lang
    )))
    .into_response()
}

async fn api_refresh(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    Json(json!(api_try!(w.svc.refresh_status(t.id, id).await, lang))).into_response()
}

async fn api_redate(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
) -> Response {
    let t = api_try!(tenant_of(&w.svc, bearer.as_ref()).await, lang);
    Json(json!(api_try!(
        w.svc.confirm_redate(t.id, id, "tenant-user").await,
        lang
    )))
    .into_response()
}

async fn api_operator_tenants(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    bearer: Option<BearerToken>,
) -> Response {
    let s = &w.svc;
    if !s.is_operator(token(bearer.as_ref())) {
        return api_error(&ServiceError::Unauthorized, lang);
    }
    Json(json!(api_try!(s.operator_overview().await, lang))).into_response()
}

async fn callback(axum::extract::State(w): St, Path(token): Path<String>, body: Bytes) -> Response {
    // Always 200 for a known tenant so SEF does not retry garbage (§9.2).
    match w.svc.handle_callback(&token, &body).await {
        Ok(n) => Json(json!({ "accepted": n })).into_response(),
        Err(ServiceError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(ServiceError::Refused { .. }) => Json(json!({ "accepted": 0 })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "callback handling failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
