//! The sandbox-only admin API under `/__sandbox` (`sef-api.md` §12).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use chrono::DateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Company, Fault, Sandbox, SandboxError, Webhooks, json_response};
use crate::model::SalesInvoiceStatus;

type Sb = AxState<Arc<Sandbox>>;

pub(super) fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/__sandbox/reset", post(reset))
        .route(
            "/__sandbox/companies",
            post(add_company).get(list_companies),
        )
        .route("/__sandbox/companies/{pib}", patch(patch_company))
        .route("/__sandbox/keys", post(add_key))
        .route("/__sandbox/keys/{key}/activate", post(activate))
        .route("/__sandbox/keys/{key}/deactivate", post(deactivate))
        .route("/__sandbox/keys/{key}/regenerate", post(regenerate))
        .route("/__sandbox/clock", put(clock).get(get_clock))
        .route("/__sandbox/config", put(config).get(get_config))
        .route("/__sandbox/webhooks/{pib}", put(webhooks))
        .route("/__sandbox/faults", post(fault))
        .route("/__sandbox/sales/{id}/status", post(force_status))
        .route("/__sandbox/sales", get(list_sales))
        .route("/__sandbox/log", get(log))
}

fn err(e: SandboxError) -> Response {
    let status = match e {
        SandboxError::NotFound(_) => StatusCode::NOT_FOUND,
        SandboxError::Invalid(_) | SandboxError::Registration(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, axum::Json(json!({ "error": e.to_string() }))).into_response()
}

#[allow(clippy::result_large_err)] // the error is the finished answer, returned at once
fn body_json(b: &[u8]) -> Result<Value, Response> {
    if b.iter().all(|c| c.is_ascii_whitespace()) {
        return Ok(json!({}));
    }
    serde_json::from_slice(b)
        .map_err(|e| err(SandboxError::Invalid(format!("The body is not JSON: {e}."))))
}

async fn reset(AxState(sb): Sb) -> Response {
    sb.reset().await;
    StatusCode::OK.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompanyIn {
    pib: String,
    mb: String,
    name: String,
    #[serde(default)]
    company_type: Option<String>,
    #[serde(default)]
    jbkjs: Option<String>,
    #[serde(default)]
    budget_user: bool,
    #[serde(default = "yes")]
    vat_active: bool,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    isp: bool,
}

fn yes() -> bool {
    true
}

async fn add_company(AxState(sb): Sb, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let c: CompanyIn = match serde_json::from_value(v) {
        Ok(c) => c,
        Err(e) => return err(SandboxError::Invalid(e.to_string())),
    };
    let company = Company {
        pib: c.pib,
        mb: c.mb,
        name: c.name,
        company_type: c.company_type.unwrap_or_else(|| {
            if c.budget_user {
                "Korisnik javnih sredstava"
            } else {
                "Privredni subjekt"
            }
            .into()
        }),
        jbkjs: c.jbkjs,
        budget_user: c.budget_user,
        vat_active: c.vat_active,
        status: c.status.unwrap_or_else(|| "Active".into()),
        isp: c.isp,
        registration_date: String::new(),
    };
    match sb.register_company(company).await {
        Ok(c) => (StatusCode::OK, axum::Json(c)).into_response(),
        Err(e) => err(e),
    }
}

async fn list_companies(AxState(sb): Sb) -> Response {
    let s = sb.snapshot().await;
    axum::Json(s.companies.into_values().collect::<Vec<_>>()).into_response()
}

async fn patch_company(AxState(sb): Sb, Path(pib): Path<String>, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match sb.update_company(&pib, v).await {
        Ok(c) => axum::Json(c).into_response(),
        Err(e) => err(e),
    }
}

#[derive(Deserialize)]
struct KeyIn {
    pib: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default = "yes")]
    active: bool,
}

async fn add_key(AxState(sb): Sb, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let k: KeyIn = match serde_json::from_value(v) {
        Ok(k) => k,
        Err(e) => return err(SandboxError::Invalid(e.to_string())),
    };
    match sb.create_key(&k.pib, k.key, k.active).await {
        Ok(key) => axum::Json(json!({ "key": key })).into_response(),
        Err(e) => err(e),
    }
}

async fn activate(AxState(sb): Sb, Path(key): Path<String>) -> Response {
    match sb.set_key_active(&key, true).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => err(e),
    }
}

async fn deactivate(AxState(sb): Sb, Path(key): Path<String>) -> Response {
    match sb.set_key_active(&key, false).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => err(e),
    }
}

async fn regenerate(AxState(sb): Sb, Path(key): Path<String>) -> Response {
    match sb.regenerate_key(&key).await {
        Ok(k) => axum::Json(json!({ "key": k })).into_response(),
        Err(e) => err(e),
    }
}

async fn clock(AxState(sb): Sb, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Some(now) = v.get("now").and_then(Value::as_str) {
        match DateTime::parse_from_rfc3339(now) {
            Ok(t) => sb.set_now(t).await,
            Err(e) => {
                return err(SandboxError::Invalid(format!(
                    "now is not an RFC 3339 time: {e}."
                )));
            }
        }
    }
    if let Some(s) = v.get("advanceSeconds").and_then(|n| n.as_str_number()) {
        sb.advance(s).await;
    }
    get_clock(AxState(sb)).await
}

trait AsI64 {
    fn as_str_number(&self) -> Option<i64>;
}

impl AsI64 for Value {
    fn as_str_number(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_str().parse::<i64>().ok(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }
}

async fn get_clock(AxState(sb): Sb) -> Response {
    let now = sb.now().await;
    axum::Json(json!({
        "now": now.with_timezone(&chrono_tz::Europe::Belgrade).to_rfc3339(),
        "today": super::state::local_date(now).to_string(),
    }))
    .into_response()
}

async fn config(AxState(sb): Sb, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match sb.update_settings(v).await {
        Ok(s) => axum::Json(s).into_response(),
        Err(e) => err(e),
    }
}

async fn get_config(AxState(sb): Sb) -> Response {
    axum::Json(sb.settings().await).into_response()
}

async fn webhooks(AxState(sb): Sb, Path(pib): Path<String>, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let w: Webhooks = match serde_json::from_value(v) {
        Ok(w) => w,
        Err(e) => return err(SandboxError::Invalid(e.to_string())),
    };
    match sb.set_webhooks(&pib, w).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => err(e),
    }
}

async fn fault(AxState(sb): Sb, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match serde_json::from_value::<Fault>(v) {
        Ok(f) => {
            sb.inject_fault(f);
            StatusCode::OK.into_response()
        }
        Err(e) => err(SandboxError::Invalid(e.to_string())),
    }
}

async fn force_status(AxState(sb): Sb, Path(id): Path<i64>, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let status = v
        .get("status")
        .and_then(Value::as_str)
        .map(SalesInvoiceStatus::parse)
        .unwrap_or(SalesInvoiceStatus::Unknown);
    if status == SalesInvoiceStatus::Unknown {
        return err(SandboxError::Invalid(
            "status is not a SalesInvoiceStatus.".into(),
        ));
    }
    match sb.force_status(id, status).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => err(e),
    }
}

async fn list_sales(AxState(sb): Sb) -> Response {
    let docs: Vec<Value> = sb
        .documents()
        .await
        .into_iter()
        .map(|d| {
            json!({
                "salesInvoiceId": d.sales_id,
                "purchaseInvoiceId": d.purchase_id,
                "number": d.number,
                "supplierPib": d.supplier_pib,
                "buyerPib": d.buyer_pib,
                "status": d.status.as_str(),
                "purchaseStatus": d.purchase_status.as_str(),
            })
        })
        .collect();
    axum::Json(docs).into_response()
}

async fn log(AxState(sb): Sb) -> Response {
    json_response(
        200,
        serde_json::to_string(&sb.log()).unwrap_or_else(|_| "[]".into()),
    )
}
