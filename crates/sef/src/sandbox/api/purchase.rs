//! The buyer's operations on its purchase documents (`sef-api.md` §7.8): read, ids, changes,
//! overview, accept or reject.

use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use crate::model::{AcceptRejectRequest, PurchaseInvoiceStatus as PS, SalesInvoiceStatus as SS};
use crate::sandbox::check::refuse;
use crate::sandbox::state::{Document, Side, local_date, local_text};
use crate::sandbox::{ApiError, Sandbox};

use super::common::{
    Q, Sb, changes, date_range, id_param, ok_json, parse_body, purchase_of, purchase_record, q,
    required_comment,
};

pub(super) async fn get_purchase(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let id = id_param(&m, "PurchaseInvoiceNotFound")?;
    let r = purchase_of(&l.st, &pib, id).map(purchase_record);
    sb.finish(l, false).await;
    r.map(ok_json).ok_or_else(|| {
        refuse(
            "PurchaseInvoiceNotFound",
            format!("Purchase invoice {id} was not found."),
            Some("invoiceId"),
        )
        .into()
    })
}

pub(super) async fn purchase_ids(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let (from, to) = date_range(&m)?;
    let status = q(&m, "status").map(PS::parse);
    let ids: Vec<i64> =
        l.st.purchases_of(&pib)
            .filter(|d| status.is_none_or(|s| d.purchase_status == s))
            .filter(|d| {
                let day = local_date(d.sent_at.unwrap_or(d.created_at));
                from <= day && day <= to
            })
            .map(|d| d.purchase_id)
            .collect();
    sb.finish(l, false).await;
    Ok(ok_json(json!({ "PurchaseInvoiceIds": ids })))
}

pub(super) async fn purchase_changes(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let r = changes(&l.st, &pib, Side::Purchase, &m)?;
    sb.finish(l, false).await;
    Ok(ok_json(r))
}

pub(super) async fn purchase_overview(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let (from, to) = date_range(&m)?;
    let status = q(&m, "status").filter(|s| !s.is_empty()).map(PS::parse);
    let rows: Vec<Value> = l
        .st
        .purchases_of(&pib)
        .filter(|d| status.is_none_or(|s| d.purchase_status == s))
        .filter(|d| {
            let day = local_date(d.sent_at.unwrap_or(d.created_at));
            from <= day && day <= to
        })
        .map(|d| {
            let supplier = l.st.companies.get(&d.supplier_pib);
            let num = |s: &Option<String>| s.as_deref().map(|v| Value::Number(serde_json::Number::from_string_unchecked(v.to_string()))).unwrap_or(Value::Null);
            let vat = match (&d.payable, &d.tax_exclusive) {
                (Some(_), Some(_)) => num(&d.tax_total),
                _ => Value::Null,
            };
            json!({
                "InvoiceId": d.purchase_id,
                "GlobUniqId": d.glob_uniq_id,
                "DocumentNumber": d.number,
                "DocumentType": d.doc_type.as_str(),
                "CirInvoiceId": d.cir_invoice_id,
                "Status": d.purchase_status.as_str(),
                "SupplierName": supplier.map(|c| c.name.clone()).or_else(|| d.supplier_name.clone()),
                "SupplierRegistrationNumber": supplier.map(|c| c.mb.clone()),
                "SupplierVatRegistrationNumber": d.supplier_pib,
                "Amount": num(&d.payable),
                "SumWithoutVat": num(&d.tax_exclusive),
                "VatAmount": vat,
                "RoundingAmount": 0,
                "Currency": d.currency,
                "DeliveryDate": d.delivery_date.map(|x| format!("{x}T00:00:00")),
                "PrepaymentDate": null,
                "DueDate": d.due_date.map(|x| format!("{x}T00:00:00")),
                "DateOfReduction": if d.type_code == "381" { d.delivery_date.map(|x| format!("{x}T00:00:00")) } else { None },
                "SentDate": d.sent_at.map(local_text),
            })
        })
        .collect();
    sb.finish(l, false).await;
    Ok(ok_json(Value::Array(rows)))
}

pub(super) async fn accept_reject_common(
    sb: &Sandbox,
    h: &HeaderMap,
    find: impl Fn(&Document) -> bool,
    accepted: bool,
    comment: Option<String>,
) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(h).await?;
    let Some(id) =
        l.st.docs
            .values()
            .find(|d| d.buyer_pib == pib && d.purchase_status != PS::SendingInProgress && find(d))
            .map(|d| d.sales_id)
    else {
        return Err(refuse(
            "InvoiceForApproveRejectNotFound",
            "The invoice to approve or reject was not found.",
            Some("invoiceId"),
        )
        .into());
    };
    let comment = comment
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if !accepted && comment.is_none() {
        return Err(refuse(
            "CannotRejectInvoiceWithoutComment",
            "A rejection needs a comment.",
            Some("comment"),
        )
        .into());
    }
    let d = &l.st.docs[&id];
    if !matches!(d.purchase_status, PS::New | PS::Seen | PS::ReNotified) {
        let body = json!({
            "Message": format!("The invoice is in status {} and cannot be approved or rejected.", d.purchase_status),
            "HttpStatus": 400,
            "Invoice": null,
            "Success": false,
        });
        sb.finish(l, false).await;
        return Ok(ok_json(body));
    }
    let now = l.st.now();
    let (s, p) = if accepted {
        (SS::Approved, PS::Approved)
    } else {
        (SS::Rejected, PS::Rejected)
    };
    if let Some(d) = l.st.docs.get_mut(&id) {
        d.comment = comment.clone();
    }
    let mut notes = std::mem::take(&mut l.notes);
    l.st.set_status(id, Some(s), Some(p), comment, None, now, &mut notes);
    l.notes = notes;
    let d = &l.st.docs[&id];
    let body = json!({
        "Message": null,
        "HttpStatus": null,
        "Invoice": { "InvoiceNumber": d.number, "Status": d.purchase_status.as_str() },
        "Success": true,
    });
    sb.finish(l, true).await;
    Ok(ok_json(body))
}

pub(super) async fn accept_reject(
    AxState(sb): Sb,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // Authenticate before reading the body so that a bad key always gives 401.
    {
        let (l, _) = sb.auth(&h).await?;
        sb.finish(l, false).await;
    }
    let req: AcceptRejectRequest = parse_body(&body)?;
    let id = req.invoice_id;
    accept_reject_common(
        &sb,
        &h,
        move |d| d.purchase_id == id,
        req.accepted,
        req.comment,
    )
    .await
}

#[derive(serde::Deserialize)]
pub(super) struct ByCir {
    cir_invoice_id: String,
    accepted: bool,
    #[serde(default)]
    comment: Option<String>,
}

pub(super) async fn accept_reject_by_cir(
    AxState(sb): Sb,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    {
        let (l, _) = sb.auth(&h).await?;
        sb.finish(l, false).await;
    }
    let req: ByCir = parse_body(&body)?;
    required_comment(
        req.comment.as_deref(),
        "CannotRejectInvoiceWithoutComment",
        "A comment is required.",
        "comment",
    )?;
    let cir = req.cir_invoice_id.clone();
    accept_reject_common(
        &sb,
        &h,
        move |d| d.cir_invoice_id.as_deref() == Some(cir.as_str()),
        req.accepted,
        req.comment,
    )
    .await
}
