//! What the handlers of the public API share: query and body reading, the JSON records of a
//! document, date ranges and the `changes` answer.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State as AxState};
use axum::response::Response;
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::json::from_slice_ci;
use crate::model::PurchaseInvoiceStatus as PS;
use crate::sandbox::check::refuse;
use crate::sandbox::state::{Document, Side, event_json, local_date, utc_text};
use crate::sandbox::{ApiError, Sandbox, State, json_response};

pub(super) type Sb = AxState<Arc<Sandbox>>;
pub(super) type Q = Query<HashMap<String, String>>;

/// Query parameter by name, case-insensitive (as ASP.NET binds them).
pub(super) fn q<'a>(m: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A comment SEF requires (cancel, storno, rejection): the given text trimmed, or the refusal
/// `code` with `message` on `field` when it is missing or blank.
pub(super) fn required_comment<'a>(
    given: Option<&'a str>,
    code: &'static str,
    message: &'static str,
    field: &'static str,
) -> Result<&'a str, ApiError> {
    match given.map(str::trim) {
        Some(c) if !c.is_empty() => Ok(c),
        _ => Err(refuse(code, message, Some(field)).into()),
    }
}

pub(super) fn ok_json(v: Value) -> Response {
    json_response(200, v.to_string())
}

pub(super) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    from_slice_ci(body)
        .map_err(|e| ApiError::BadRequest(format!("The request body could not be read: {e}.")))
}

pub(super) fn id_param(m: &HashMap<String, String>, code: &'static str) -> Result<i64, ApiError> {
    q(m, "invoiceId")
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::Business(refuse(
                code,
                "The invoiceId parameter is missing or not a number.",
                Some("invoiceId"),
            ))
        })
}

pub(super) fn sales_record(d: &Document) -> Value {
    json!({
        "InvoiceId": d.sales_id,
        "GlobUniqId": d.glob_uniq_id,
        "Comment": d.comment,
        "CirStatus": if d.cir_invoice_id.is_some() { "ActiveCir" } else { "None" },
        "CirInvoiceId": d.cir_invoice_id,
        "Version": d.version,
        "LastModifiedUtc": utc_text(d.last_modified),
        "CirSettledAmount": 0,
        "VatNumberFactoringCompany": null,
        "FactoringContractNumber": null,
        "CancelComment": d.cancel_comment,
        "StornoComment": d.storno_comment,
        "Status": d.status.as_str(),
    })
}

pub(super) fn purchase_record(d: &Document) -> Value {
    let mut v = sales_record(d);
    v["InvoiceId"] = json!(d.purchase_id);
    v["Status"] = json!(d.purchase_status.as_str());
    v
}

pub(super) fn action_result(d: &Document) -> Value {
    json!({
        "InvoiceId": d.sales_id,
        "PurchaseInvoiceId": d.purchase_id,
        "InvoiceNumber": d.number,
        "GlobUniqId": d.glob_uniq_id,
        "Status": d.status.as_str(),
        "CancelComment": d.cancel_comment,
        "StornoComment": d.storno_comment,
        "StornoNumber": d.storno_number,
        "LastModifiedUtc": utc_text(d.last_modified),
        "Version": d.version,
    })
}

pub(super) fn date_range(m: &HashMap<String, String>) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let parse = |name: &str| -> Result<NaiveDate, ApiError> {
        let v = q(m, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::Business(refuse(
                    "RequestParameterDateNotDefined",
                    format!("The parameter {name} is missing."),
                    Some(name),
                ))
            })?;
        parse_date(v).ok_or_else(|| {
            ApiError::Business(refuse(
                "SearchDateIsNotCorrectlyDefined",
                format!("The parameter {name} is not a date."),
                Some(name),
            ))
        })
    };
    let (from, to) = (parse("dateFrom")?, parse("dateTo")?);
    if from > to {
        return Err(refuse(
            "DateFromBiggerThanDateTo",
            "dateFrom is after dateTo.",
            Some("dateFrom"),
        )
        .into());
    }
    Ok((from, to))
}

fn parse_date(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d").ok()
}

pub(super) fn changes(
    sb_st: &State,
    pib: &str,
    side: Side,
    m: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let v = q(m, "date")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::Business(refuse(
                "RequestParameterDateNotDefined",
                "The parameter date is missing.",
                Some("date"),
            ))
        })?;
    let date = parse_date(v).ok_or_else(|| {
        ApiError::Business(refuse(
            "SearchDateIsNotCorrectlyDefined",
            "The parameter date is not a date.",
            Some("date"),
        ))
    })?;
    if date >= sb_st.today() {
        return Err(refuse(
            "SearchDateBiggerThanYesterday",
            "Changes can be asked only for past days.",
            Some("date"),
        )
        .into());
    }
    let evs: Vec<Value> = sb_st
        .events
        .iter()
        .filter(|e| e.side == side && e.pib == pib && local_date(e.at) == date)
        .map(event_json)
        .collect();
    Ok(Value::Array(evs))
}

pub(super) fn purchase_of<'a>(st: &'a State, pib: &str, id: i64) -> Option<&'a Document> {
    st.docs.values().find(|d| {
        d.purchase_id == id && d.buyer_pib == pib && d.purchase_status != PS::SendingInProgress
    })
}
