//! The sandbox's public API: the operations of `sef-api.md` §7 under `/api/publicApi`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{NaiveDate, TimeDelta};
use serde_json::{Value, json};

use super::state::{Document, Side, event_json, local_date, local_text, utc_text};
use super::ubl_check::{check_document, refuse};
use super::{ApiError, Sandbox, fixtures, json_response};
use crate::json::from_slice_ci;
use crate::model::{
    AcceptRejectRequest, CancelRequest, CompanyCheckRequest, PurchaseInvoiceStatus as PS,
    SalesInvoiceStatus as SS, StornoRequest,
};

type Sb = AxState<Arc<Sandbox>>;
type Q = Query<HashMap<String, String>>;

const P: &str = "/api/publicApi";

pub(super) fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route(&format!("{P}/getEfakturaVersion"), get(version))
        .route(&format!("{P}/sales-invoice/ubl"), post(upload_raw))
        .route(
            &format!("{P}/sales-invoice/ubl/upload"),
            post(upload_multipart),
        )
        .route(
            &format!("{P}/sales-invoice"),
            get(get_sales).delete(delete_many),
        )
        .route(&format!("{P}/sales-invoice/{{id}}"), delete(delete_one))
        .route(&format!("{P}/sales-invoice/cancel"), post(cancel))
        .route(&format!("{P}/sales-invoice/storno"), post(storno))
        .route(&format!("{P}/sales-invoice/ids"), post(sales_ids))
        .route(&format!("{P}/sales-invoice/changes"), post(sales_changes))
        .route(&format!("{P}/sales-invoice/xml"), get(sales_xml))
        .route(&format!("{P}/sales-invoice/pdf"), get(sales_pdf))
        .route(
            &format!("{P}/sales-invoice/signature"),
            get(sales_signature),
        )
        .route(
            &format!("{P}/sales-invoice/getValueAddedTaxExemptionReasonList"),
            get(exemption_reasons),
        )
        .route(&format!("{P}/purchase-invoice"), get(get_purchase))
        .route(&format!("{P}/purchase-invoice/ids"), post(purchase_ids))
        .route(
            &format!("{P}/purchase-invoice/changes"),
            post(purchase_changes),
        )
        .route(
            &format!("{P}/purchase-invoice/overview"),
            get(purchase_overview),
        )
        .route(
            &format!("{P}/purchase-invoice/acceptRejectPurchaseInvoice"),
            post(accept_reject),
        )
        .route(
            &format!("{P}/purchase-invoice/acceptRejectPurchaseInvoiceByCirInvoiceId"),
            post(accept_reject_by_cir),
        )
        .route(&format!("{P}/purchase-invoice/xml"), get(purchase_xml))
        .route(&format!("{P}/purchase-invoice/pdf"), get(purchase_pdf))
        .route(&format!("{P}/get-unit-measures"), get(unit_measures))
        .route(
            &format!("{P}/Company/CheckIfCompanyRegisteredOnEfaktura"),
            post(check_company),
        )
        .route(&format!("{P}/getAllCompanies"), get(all_companies))
        .route(&format!("{P}/subscribe"), post(subscribe))
}

/// Query parameter by name, case-insensitive (as ASP.NET binds them).
fn q<'a>(m: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn ok_json(v: Value) -> Response {
    json_response(200, v.to_string())
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    from_slice_ci(body)
        .map_err(|e| ApiError::BadRequest(format!("The request body could not be read: {e}.")))
}

fn id_param(m: &HashMap<String, String>, code: &'static str) -> Result<i64, ApiError> {
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

async fn version(AxState(sb): Sb, h: HeaderMap) -> Result<Response, ApiError> {
    let (l, _) = sb.auth(&h).await?;
    let v = l.st.settings.version.clone();
    sb.finish(l, false).await;
    Ok(ok_json(json!({ "Version": v })))
}

fn is_xml_type(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|t| t == "application/xml" || t == "text/xml")
}

async fn do_upload(
    sb: &Sandbox,
    h: &HeaderMap,
    m: &HashMap<String, String>,
    xml: Bytes,
) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(h).await?;
    // Parsing and the layer 1-2 checks run on the blocking pool, not on an async worker; the
    // state stays locked meanwhile, as if they ran in place.
    let codes = l.st.settings.credit_note_description_codes.clone();
    let rules = l.st.settings.validate_rules;
    let body = xml.clone();
    let checked = tokio::task::spawn_blocking(move || check_document(&body, &codes, rules))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "sandbox document check failed");
            Err(refuse(
                "XmlInvalid",
                "The document could not be checked.",
                None,
            ))
        });
    let mut notes = std::mem::take(&mut l.notes);
    let (status, body) = l.st.upload(
        &pib,
        q(m, "requestId"),
        q(m, "sendToCir"),
        &xml,
        checked,
        &mut notes,
    );
    l.notes = notes;
    sb.finish(l, true).await;
    Ok(json_response(status, body))
}

async fn upload_raw(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !is_xml_type(&h) {
        // Authentication still comes first, as on SEF.
        let (l, _) = sb.auth(&h).await?;
        sb.finish(l, false).await;
        return Err(ApiError::UnsupportedMediaType);
    }
    do_upload(&sb, &h, &m, body).await
}

async fn upload_multipart(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    // Without a multipart content type and boundary: 415, after authentication as on SEF.
    let read = match form {
        Ok(mut form) => ubl_file(&mut form).await,
        Err(_) => Err(FormProblem::NotMultipart),
    };
    let problem = match read {
        Ok(xml) => return do_upload(&sb, &h, &m, xml).await,
        Err(p) => p,
    };
    let (l, _) = sb.auth(&h).await?;
    sb.finish(l, false).await;
    let why = match problem {
        FormProblem::NotMultipart => return Err(ApiError::UnsupportedMediaType),
        FormProblem::TooLarge => return Ok(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
        FormProblem::Unreadable(why) => format!("The form could not be read: {why}."),
        FormProblem::NoFile => "The form has no ublFile part.".to_string(),
    };
    Err(ApiError::Business(refuse(
        "UBLDocumentNotValid",
        why,
        Some("ublFile"),
    )))
}

/// Why a multipart upload carries no document.
enum FormProblem {
    /// Not `multipart/form-data` with a boundary.
    NotMultipart,
    /// The body is over the sandbox's limit.
    TooLarge,
    /// The body is not a well-formed multipart form.
    Unreadable(String),
    /// No part named `ublFile`.
    NoFile,
}

/// The content of the form's `ublFile` part (`sef-api.md` §7.2); other parts are skipped.
async fn ubl_file(form: &mut Multipart) -> Result<Bytes, FormProblem> {
    let problem = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            FormProblem::TooLarge
        } else {
            FormProblem::Unreadable(e.body_text())
        }
    };
    while let Some(field) = form.next_field().await.map_err(problem)? {
        if field.name() == Some("ublFile") {
            return field.bytes().await.map_err(problem);
        }
    }
    Err(FormProblem::NoFile)
}

fn sales_record(d: &Document) -> Value {
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

fn purchase_record(d: &Document) -> Value {
    let mut v = sales_record(d);
    v["InvoiceId"] = json!(d.purchase_id);
    v["Status"] = json!(d.purchase_status.as_str());
    v
}

fn action_result(d: &Document) -> Value {
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

async fn get_sales(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
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

async fn cancel(AxState(sb): Sb, h: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
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
    let comment = req.cancel_comments.as_deref().map(str::trim).unwrap_or("");
    if comment.is_empty() {
        return Err(refuse(
            "CancelCommentNotDefined",
            "A cancellation comment is required.",
            Some("cancelComments"),
        )
        .into());
    }
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

async fn storno(AxState(sb): Sb, h: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
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
    let comment = req.storno_comment.as_deref().map(str::trim).unwrap_or("");
    if comment.is_empty() {
        return Err(refuse(
            "StornoCommentNotDefined",
            "A storno comment is required.",
            Some("stornoComment"),
        )
        .into());
    }
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

fn date_range(m: &HashMap<String, String>) -> Result<(NaiveDate, NaiveDate), ApiError> {
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

async fn sales_ids(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
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

fn changes(
    sb_st: &super::State,
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

async fn sales_changes(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let r = changes(&l.st, &pib, Side::Sales, &m)?;
    sb.finish(l, false).await;
    Ok(ok_json(r))
}

async fn delete_one(
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

async fn delete_many(AxState(sb): Sb, h: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
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

fn envelope(d: &Document) -> String {
    let ubl = d.xml.trim_start_matches('\u{feff}').trim_start();
    let ubl = if ubl.starts_with("<?xml") {
        ubl.find("?>")
            .map(|i| &ubl[i + 2..])
            .unwrap_or(ubl)
            .trim_start()
    } else {
        ubl
    };
    let created = local_date(d.created_at);
    let sent = d.sent_at.map(local_date).unwrap_or(created);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<env:DocumentEnvelope xmlns:env=\"urn:eFaktura:MinFinrs:envelop:schema\">\n  <env:DocumentHeader>\n    <env:SalesInvoiceId>{}</env:SalesInvoiceId>\n    <env:PurchaseInvoiceId>{}</env:PurchaseInvoiceId>\n    <env:DocumentId>{}</env:DocumentId>\n    <env:CreationDate>{created}</env:CreationDate>\n    <env:SendingDate>{sent}</env:SendingDate>\n  </env:DocumentHeader>\n  <env:DocumentBody>\n{}\n  </env:DocumentBody>\n</env:DocumentEnvelope>\n",
        d.sales_id,
        d.purchase_id,
        d.glob_uniq_id,
        ubl.trim_end()
    )
}

fn xml_response(s: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        s,
    )
        .into_response()
}

/// A one-page placeholder PDF naming the document.
fn placeholder_pdf(d: &Document) -> Vec<u8> {
    let text = format!("SEF sandbox - faktura {} ({})", d.number, d.sales_id)
        .replace(['(', ')', '\\'], " ");
    let stream = format!("BT /F1 12 Tf 50 780 Td ({text}) Tj ET");
    let objs = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objs.len() + 1
    ));
    for o in offsets {
        out.push_str(&format!("{o:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objs.len() + 1
    ));
    out.into_bytes()
}

async fn sales_xml(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let id = id_param(&m, "SalesInvoiceNotFound")?;
    let r =
        l.st.docs
            .get(&id)
            .filter(|d| d.supplier_pib == pib)
            .map(envelope);
    sb.finish(l, false).await;
    r.map(xml_response).ok_or_else(|| {
        refuse(
            "SalesInvoiceNotFound",
            "The sales invoice was not found.",
            Some("invoiceId"),
        )
        .into()
    })
}

async fn pdf_common(
    sb: &Sandbox,
    h: &HeaderMap,
    m: &HashMap<String, String>,
    side: Side,
) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(h).await?;
    let (code, id) = match side {
        Side::Sales => ("SalesInvoiceNotFound", id_param(m, "SalesInvoiceNotFound")?),
        Side::Purchase => (
            "PurchaseInvoiceNotFound",
            id_param(m, "PurchaseInvoiceNotFound")?,
        ),
    };
    let initiated_first = l.st.settings.pdf_initiated_first;
    let doc = match side {
        Side::Sales => {
            l.st.docs
                .values_mut()
                .find(|d| d.sales_id == id && d.supplier_pib == pib)
        }
        Side::Purchase => l.st.docs.values_mut().find(|d| {
            d.purchase_id == id && d.buyer_pib == pib && d.purchase_status != PS::SendingInProgress
        }),
    };
    let Some(doc) = doc else {
        return Err(refuse(code, "The invoice was not found.", Some("invoiceId")).into());
    };
    if initiated_first && !doc.pdf_requested {
        doc.pdf_requested = true;
        sb.finish(l, true).await;
        return Ok(ok_json(
            json!({ "Message": "PDF creation has been initiated. Please try again later." }),
        ));
    }
    let pdf = placeholder_pdf(doc);
    sb.finish(l, false).await;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/pdf")],
        pdf,
    )
        .into_response())
}

async fn sales_pdf(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
    pdf_common(&sb, &h, &m, Side::Sales).await
}

async fn sales_signature(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let id = id_param(&m, "SalesInvoiceNotFound")?;
    let r =
        l.st.docs
            .get(&id)
            .filter(|d| d.supplier_pib == pib)
            .map(|d| format!("SEF-SANDBOX-SIGNATURE {} {}\n", d.glob_uniq_id, d.number));
    sb.finish(l, false).await;
    r.map(|s| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            s,
        )
            .into_response()
    })
    .ok_or_else(|| {
        refuse(
            "SalesInvoiceNotFound",
            "The sales invoice was not found.",
            Some("invoiceId"),
        )
        .into()
    })
}

async fn exemption_reasons(AxState(sb): Sb, h: HeaderMap) -> Result<Response, ApiError> {
    let (l, _) = sb.auth(&h).await?;
    sb.finish(l, false).await;
    Ok(ok_json(
        serde_json::to_value(fixtures::vat_exemption_reasons()).unwrap_or(Value::Null),
    ))
}

async fn unit_measures(AxState(sb): Sb, h: HeaderMap) -> Result<Response, ApiError> {
    let (l, _) = sb.auth(&h).await?;
    sb.finish(l, false).await;
    Ok(ok_json(
        serde_json::to_value(fixtures::unit_measures()).unwrap_or(Value::Null),
    ))
}

fn purchase_of<'a>(st: &'a super::State, pib: &str, id: i64) -> Option<&'a Document> {
    st.docs.values().find(|d| {
        d.purchase_id == id && d.buyer_pib == pib && d.purchase_status != PS::SendingInProgress
    })
}

async fn get_purchase(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
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

async fn purchase_ids(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
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

async fn purchase_changes(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let r = changes(&l.st, &pib, Side::Purchase, &m)?;
    sb.finish(l, false).await;
    Ok(ok_json(r))
}

async fn purchase_overview(
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

async fn accept_reject_common(
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

async fn accept_reject(AxState(sb): Sb, h: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
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
struct ByCir {
    cir_invoice_id: String,
    accepted: bool,
    #[serde(default)]
    comment: Option<String>,
}

async fn accept_reject_by_cir(
    AxState(sb): Sb,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    {
        let (l, _) = sb.auth(&h).await?;
        sb.finish(l, false).await;
    }
    let req: ByCir = parse_body(&body)?;
    if req.comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(refuse(
            "CannotRejectInvoiceWithoutComment",
            "A comment is required.",
            Some("comment"),
        )
        .into());
    }
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

async fn purchase_xml(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
    let (l, pib) = sb.auth(&h).await?;
    let id = id_param(&m, "PurchaseInvoiceNotFound")?;
    let r = purchase_of(&l.st, &pib, id).map(envelope);
    sb.finish(l, false).await;
    r.map(xml_response).ok_or_else(|| {
        refuse(
            "PurchaseInvoiceNotFound",
            "The purchase invoice was not found.",
            Some("invoiceId"),
        )
        .into()
    })
}

async fn purchase_pdf(AxState(sb): Sb, h: HeaderMap, Query(m): Q) -> Result<Response, ApiError> {
    pdf_common(&sb, &h, &m, Side::Purchase).await
}

async fn check_company(AxState(sb): Sb, body: Bytes) -> Result<Response, ApiError> {
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

async fn all_companies(AxState(sb): Sb, Query(m): Q) -> Result<Response, ApiError> {
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

async fn subscribe(AxState(sb): Sb, h: HeaderMap) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(&h).await?;
    let today = l.st.today();
    let key = uuid::Uuid::new_v4().to_string();
    l.st.subscriptions.retain(|s| s.until >= today);
    l.st.subscriptions.push(super::state::Subscription {
        pib,
        key: key.clone(),
        from: today,
        until: today + chrono::Days::new(1),
    });
    sb.finish(l, true).await;
    Ok(json_response(200, format!("\"{key}\"")))
}
