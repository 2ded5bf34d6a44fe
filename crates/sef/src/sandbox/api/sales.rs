//! The supplier's operations on its sales documents (`sef-api.md` §7.3–§7.7): read, cancel,
//! storno, ids, changes, delete.

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::TimeDelta;
use serde_json::json;

use crate::model::{
    CancelRequest, PurchaseInvoiceStatus as PS, SalesInvoiceStatus as SS, StornoRequest,
};
use crate::sandbox::ApiError;
use crate::sandbox::check::refuse;
use crate::sandbox::state::{Side, local_date};

use super::common::{
    Q, Sb, action_result, changes, date_range, id_param, ok_json, parse_body, q, required_comment,
    sales_record,
};

pub(super) async fn get_sales(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let id = id_param(&m, "SalesInvoiceNotFound")?;
    let r =
        l.st.docs
            .get(&id)
            .filter(|d| d.supplier_pib == pib)
            .map(sales_record);
    sb.finish(l, false).await;
    r.map(ok_json).ok_or_else(|| {
        refuse(
            "SalesInvoiceNotFound",
            format!("Sales invoice {id} was not found."),
            Some("invoiceId"),
        )
        .into()
    })
}

pub(super) async fn cancel(
    AxState(sb): Sb,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(&h).await?;
    let req: CancelRequest = parse_body(&body)?;
    let now = l.st.now();
    let s = l.st.settings.clone();
    let Some(d) =
        l.st.docs
            .get(&req.invoice_id)
            .filter(|d| d.supplier_pib == pib)
    else {
        return Err(refuse(
            "InvoiceForCancellationNotFound",
            "The invoice for cancellation was not found.",
            Some("invoiceId"),
        )
        .into());
    };
    let comment = required_comment(
        req.cancel_comments.as_deref(),
        "CancelCommentNotDefined",
        "A cancellation comment is required.",
        "cancelComments",
    )?;
    match d.status {
        SS::Draft | SS::New | SS::Mistake => {}
        SS::Sent if s.allow_cancel_from_sent => {}
        SS::Sending => {
            let waited = now.signed_duration_since(d.created_at);
            if waited < TimeDelta::milliseconds(s.cancel_sending_after_ms as i64) {
                return Err(refuse(
                    "InvoiceForCancellationNotLongEnoughInSendingStatus",
                    "The invoice has not been in Sending long enough to be cancelled.",
                    Some("invoiceId"),
                )
                .into());
            }
        }
        other => {
            return Err(refuse(
                "InvoiceForCancellationNotInSpecificStatus",
                format!("An invoice in status {other} cannot be cancelled."),
                Some("invoiceId"),
            )
            .into());
        }
    }
    let id = req.invoice_id;
    if let Some(d) = l.st.docs.get_mut(&id) {
        d.cancel_comment = Some(comment.to_string());
    }
    let mut notes = std::mem::take(&mut l.notes);
    l.st.set_status(
        id,
        Some(SS::Cancelled),
        Some(PS::Cancelled),
        Some(comment.to_string()),
        None,
        now,
        &mut notes,
    );
    l.notes = notes;
    let r = action_result(&l.st.docs[&id]);
    sb.finish(l, true).await;
    Ok(ok_json(r))
}

pub(super) async fn storno(
    AxState(sb): Sb,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(&h).await?;
    let req: StornoRequest = parse_body(&body)?;
    let now = l.st.now();
    let Some(d) =
        l.st.docs
            .get(&req.invoice_id)
            .filter(|d| d.supplier_pib == pib)
    else {
        return Err(refuse(
            "SalesInvoiceNotFound",
            "The sales invoice was not found.",
            Some("invoiceId"),
        )
        .into());
    };
    let comment = required_comment(
        req.storno_comment.as_deref(),
        "StornoCommentNotDefined",
        "A storno comment is required.",
        "stornoComment",
    )?;
    if !matches!(d.status, SS::Sent | SS::Approved | SS::Rejected) {
        return Err(refuse(
            "InvoiceCannotBeStornoCancelled",
            format!("An invoice in status {} cannot be stornoed.", d.status),
            Some("invoiceId"),
        )
        .into());
    }
    let id = req.invoice_id;
    let number = req.storno_number.filter(|n| !n.trim().is_empty());
    if let Some(d) = l.st.docs.get_mut(&id) {
        d.storno_comment = Some(comment.to_string());
        d.storno_number = number.clone();
    }
    let mut notes = std::mem::take(&mut l.notes);
    l.st.set_status(
        id,
        Some(SS::Storno),
        Some(PS::Storno),
        Some(comment.to_string()),
        number,
        now,
        &mut notes,
    );
    l.notes = notes;
    let r = action_result(&l.st.docs[&id]);
    sb.finish(l, true).await;
    Ok(ok_json(r))
}

pub(super) async fn sales_ids(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let (from, to) = date_range(&m)?;
    let status = q(&m, "status").map(SS::parse);
    let ids: Vec<i64> =
        l.st.sales_of(&pib)
            .filter(|d| status.is_none_or(|s| d.status == s))
            .filter(|d| {
                let day = local_date(d.created_at);
                from <= day && day <= to
            })
            .map(|d| d.sales_id)
            .collect();
    sb.finish(l, false).await;
    Ok(ok_json(json!({ "SalesInvoiceIds": ids })))
}

pub(super) async fn sales_changes(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let r = changes(&l.st, &pib, Side::Sales, &m)?;
    sb.finish(l, false).await;
    Ok(ok_json(r))
}

pub(super) async fn delete_one(
    AxState(sb): Sb,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(&h).await?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let Some(d) = l.st.docs.get(&id).filter(|d| d.supplier_pib == pib) else {
        return Err(refuse(
            "SalesInvoiceNotFound",
            "The sales invoice was not found.",
            Some("invoiceId"),
        )
        .into());
    };
    if !matches!(d.status, SS::Draft | SS::New) {
        return Err(refuse(
            "CannotDeleteInvoiceInThisStatus",
            format!("An invoice in status {} cannot be deleted.", d.status),
            Some("invoiceId"),
        )
        .into());
    }
    let now = l.st.now();
    let mut notes = std::mem::take(&mut l.notes);
    l.st.set_status(id, Some(SS::Deleted), None, None, None, now, &mut notes);
    l.notes = notes;
    sb.finish(l, true).await;
    Ok(ok_json(json!(id)))
}

pub(super) async fn delete_many(
    AxState(sb): Sb,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(&h).await?;
    let ids: Vec<i64> = parse_body(&body)?;
    let now = l.st.now();
    let mut deleted = Vec::new();
    let mut notes = std::mem::take(&mut l.notes);
    for id in ids {
        if l.st
            .docs
            .get(&id)
            .is_some_and(|d| d.supplier_pib == pib && matches!(d.status, SS::Draft | SS::New))
        {
            l.st.set_status(id, Some(SS::Deleted), None, None, None, now, &mut notes);
            deleted.push(id);
        }
    }
    l.notes = notes;
    sb.finish(l, true).await;
    Ok(ok_json(json!(deleted)))
}
