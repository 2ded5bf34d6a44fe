//! Downloads (`sef-api.md` §7.9): the XML envelope, the placeholder PDF and the signature.

use std::collections::HashMap;

use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::model::PurchaseInvoiceStatus as PS;
use crate::sandbox::check::refuse;
use crate::sandbox::state::{Document, Side, local_date};
use crate::sandbox::{ApiError, Sandbox};

use super::common::{Q, Sb, id_param, ok_json, purchase_of};

pub(super) fn envelope(d: &Document) -> String {
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

pub(super) fn xml_response(s: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        s,
    )
        .into_response()
}

/// A one-page placeholder PDF naming the document.
pub(super) fn placeholder_pdf(d: &Document) -> Vec<u8> {
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

pub(super) async fn sales_xml(
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

pub(super) async fn pdf_common(
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

pub(super) async fn sales_pdf(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    pdf_common(&sb, &h, &m, Side::Sales).await
}

pub(super) async fn sales_signature(
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

pub(super) async fn purchase_xml(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
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

pub(super) async fn purchase_pdf(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
) -> Result<Response, ApiError> {
    pdf_common(&sb, &h, &m, Side::Purchase).await
}
