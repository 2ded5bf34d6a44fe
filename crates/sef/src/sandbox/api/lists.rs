//! Version, reference lists, the company registry checks and `subscribe` (`sef-api.md` §7.1,
//! §7.10–§7.12).

use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use crate::model::CompanyCheckRequest;
use crate::sandbox::state::Subscription;
use crate::sandbox::{ApiError, fixtures, json_response};

use super::common::{Q, Sb, ok_json, parse_body, q};

pub(super) async fn version(AxState(sb): Sb, h: HeaderMap) -> Result<Response, ApiError> {
    let (l, _) = sb.auth(&h).await?;
    let v = l.st.settings.version.clone();
    sb.finish(l, false).await;
    Ok(ok_json(json!({ "Version": v })))
}

pub(super) async fn exemption_reasons(AxState(sb): Sb, h: HeaderMap) -> Result<Response, ApiError> {
    let (l, _) = sb.auth(&h).await?;
    sb.finish(l, false).await;
    Ok(ok_json(
        serde_json::to_value(fixtures::vat_exemption_reasons()).unwrap_or(Value::Null),
    ))
}

pub(super) async fn unit_measures(AxState(sb): Sb, h: HeaderMap) -> Result<Response, ApiError> {
    let (l, _) = sb.auth(&h).await?;
    sb.finish(l, false).await;
    Ok(ok_json(
        serde_json::to_value(fixtures::unit_measures()).unwrap_or(Value::Null),
    ))
}

pub(super) async fn check_company(AxState(sb): Sb, body: Bytes) -> Result<Response, ApiError> {
    let req: CompanyCheckRequest = parse_body(&body)?;
    let l = sb.lock().await;
    let (mb, pib) = (
        req.registration_number.unwrap_or_default(),
        req.vat_number.unwrap_or_default(),
    );
    if mb.trim().is_empty() || pib.trim().is_empty() {
        sb.finish(l, false).await;
        return Err(ApiError::BadRequest(
            "registrationNumber and vatNumber are required.".into(),
        ));
    }
    let found = l.st.companies.get(pib.trim()).is_some_and(|c| {
        c.is_active()
            && c.mb == mb.trim()
            && (!c.budget_user || req.jbkjs.as_deref().map(str::trim) == c.jbkjs.as_deref())
    });
    sb.finish(l, false).await;
    Ok(ok_json(json!({ "EFakturaRegisteredCompany": found })))
}

pub(super) async fn all_companies(AxState(sb): Sb, Query(m): Q) -> Result<Response, ApiError> {
    let all = q(&m, "includeAllStatuses").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let l = sb.lock().await;
    let rows: Vec<Value> = l
        .st
        .companies
        .values()
        .filter(|c| all || c.is_active())
        .map(|c| {
            json!({
                "BugetCompanyNumber": c.jbkjs,
                "RegistrationCode": c.mb,
                "VatRegistrationCode": c.pib,
                "Name": c.name,
                "RegistrationDate": c.registration_date,
                "DeletionDate": if c.is_active() { None } else { Some(c.registration_date.clone()) },
            })
        })
        .collect();
    sb.finish(l, false).await;
    Ok(ok_json(Value::Array(rows)))
}

pub(super) async fn subscribe(AxState(sb): Sb, h: HeaderMap) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(&h).await?;
    let today = l.st.today();
    let key = uuid::Uuid::new_v4().to_string();
    l.st.subscriptions.retain(|s| s.until >= today);
    l.st.subscriptions.push(Subscription {
        pib,
        key: key.clone(),
        from: today,
        until: today + chrono::Days::new(1),
    });
    sb.finish(l, true).await;
    Ok(json_response(200, format!("\"{key}\"")))
}
