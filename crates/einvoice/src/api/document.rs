//! One document's page (`/app/documents/{id}`): its facts, SEF's status and message, its XML,
//! and the actions SEF allows (refresh, cancel, storno, send with today's date).

use axum::Form;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fiskal_web::{Language, Pages, escape};
use serde::Deserialize;

use super::app::state_label;
use super::error;
use super::shell::{Flash, St, Web, msg_box, page_response, page_tenant, t};
use crate::messages::{Lang, sef_status_label, tr};
use crate::model::{DocState, Document, Tenant};
use crate::service::{Service, ServiceError};

type Lng = Language<Pages>;

/// The document routes.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/app/documents/{id}", get(document_page))
        .route("/app/documents/{id}/xml", get(document_xml))
        .route("/app/documents/{id}/action", post(action))
        .layer(DefaultBodyLimit::max(fiskal_web::DEFAULT_BODY_LIMIT))
}

fn facts(d: &Document, lang: Lang) -> Vec<(String, String)> {
    let mut rows = vec![
        (tr(lang, "Broj", "Number"), d.number.clone()),
        (tr(lang, "Vrsta", "Type"), d.doc_type.clone()),
        (
            tr(lang, "Datum izdavanja", "Issue date"),
            d.issue_date.clone(),
        ),
        (
            tr(lang, "Kupac", "Buyer"),
            format!(
                "{} ({})",
                d.buyer_name.as_deref().unwrap_or(""),
                d.buyer_pib.as_deref().unwrap_or("")
            ),
        ),
        (
            tr(lang, "Iznos", "Amount"),
            format!(
                "{} {}",
                d.total.as_deref().unwrap_or(""),
                d.currency.as_deref().unwrap_or("")
            ),
        ),
        (tr(lang, "Stanje", "State"), state_label(d.state, lang)),
        ("requestId".into(), d.request_id.clone().unwrap_or_default()),
    ];
    if let Some(st) = &d.sef_status {
        rows.push((
            tr(lang, "SEF status", "SEF status"),
            sef_status_label(st, lang),
        ));
    }
    if let Some(id) = d.sales_invoice_id {
        rows.push(("SalesInvoiceId".into(), id.to_string()));
    }
    if let Some(c) = &d.sef_comment {
        rows.push((tr(lang, "Komentar", "Comment"), c.clone()));
    }
    rows
}

fn actions_html(d: &Document, lang: Lang) -> String {
    let action = |act: &str, label: String, comment: bool| {
        let c = if comment {
            format!(
                "<label for=\"comment-{act}\">{}</label><input id=\"comment-{act}\" name=\"comment\" required>",
                t(lang, "Komentar (obavezan)", "Comment (required)")
            )
        } else {
            String::new()
        };
        format!(
            "<form method=\"post\" action=\"/app/documents/{}/action\"><input type=\"hidden\" name=\"action\" value=\"{act}\">{c}<button type=\"submit\">{}</button></form>",
            d.id,
            escape(&label)
        )
    };
    let mut actions = String::new();
    if d.sales_invoice_id.is_some() {
        actions.push_str(&action(
            "refresh",
            tr(lang, "Osveži status iz SEF-a", "Refresh status from SEF"),
            false,
        ));
        actions.push_str(&action("cancel", tr(lang, "Otkaži", "Cancel"), true));
        actions.push_str(&action("storno", tr(lang, "Storniraj", "Storno"), true));
    }
    if d.state == DocState::NeedsRedate {
        actions.push_str(&action(
            "redate",
            tr(
                lang,
                "Pošalji sa današnjim datumom",
                "Send with today's date",
            ),
            false,
        ));
    }
    actions
}

async fn document_html(
    s: &Service,
    tenant: &Tenant,
    id: i64,
    lang: Lang,
    flash: Option<(Flash, String)>,
) -> Result<String, ServiceError> {
    let v = s.document(tenant.id, id, lang).await?;
    let d: &Document = &v.document;
    let table: String = facts(d, lang)
        .iter()
        .map(|(k, v)| {
            format!(
                "<tr><th>{}</th><td id=\"f-{}\">{}</td></tr>",
                escape(k),
                escape(&k.to_lowercase().replace(' ', "-")),
                escape(v)
            )
        })
        .collect();
    let msg = v
        .message
        .as_ref()
        .map(|m| {
            let warn = d.state == DocState::InSef && d.sef_status.as_deref() != Some("Rejected");
            msg_box(if warn { Flash::Warn } else { Flash::Err }, &m.text)
        })
        .unwrap_or_default();
    let flash = flash.map(|(k, m)| msg_box(k, &m)).unwrap_or_default();
    Ok(format!(
        "{flash}{msg}<section><table id=\"document\">{table}</table><p><a href=\"/app/documents/{id}/xml\">XML</a> · <a href=\"/app\">{back}</a></p></section><section id=\"actions\">{actions}</section>",
        id = d.id,
        back = t(lang, "Nazad", "Back"),
        actions = actions_html(d, lang),
    ))
}

fn error_page(lang: Lang, e: &ServiceError) -> Response {
    page_response(
        error::status(e),
        lang,
        &tr(lang, "Dokument", "Document"),
        "/app",
        true,
        &msg_box(Flash::Err, &e.text(lang)),
    )
}

async fn document_page(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    headers: HeaderMap,
) -> Response {
    let tenant = match page_tenant(&w.svc, &headers, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let here = format!("/app/documents/{id}");
    match document_html(&w.svc, &tenant, id, lang, None).await {
        Ok(b) => page_response(
            StatusCode::OK,
            lang,
            &tr(lang, "Dokument", "Document"),
            &here,
            true,
            &b,
        ),
        Err(e) => error_page(lang, &e),
    }
}

async fn document_xml(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    headers: HeaderMap,
) -> Response {
    let tenant = match page_tenant(&w.svc, &headers, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match w.svc.document_xml(tenant.id, id).await {
        Ok(xml) => ([(header::CONTENT_TYPE, "application/xml")], xml).into_response(),
        Err(e) => error_page(lang, &e),
    }
}

#[derive(Deserialize)]
struct ActionForm {
    action: String,
    #[serde(default)]
    comment: String,
}

async fn action(
    axum::extract::State(w): St,
    Path(id): Path<i64>,
    Language { lang, .. }: Lng,
    headers: HeaderMap,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let s = &w.svc;
    let tenant = match page_tenant(s, &headers, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(Form(f)) = form else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let r = match f.action.as_str() {
        "refresh" => s
            .refresh_status(tenant.id, id)
            .await
            .map(|_| tr(lang, "Status je osvežen.", "Status refreshed.")),
        "cancel" => s
            .cancel(tenant.id, id, &f.comment, "tenant-user")
            .await
            .map(|_| tr(lang, "Dokument je otkazan.", "The document was cancelled.")),
        "storno" => s
            .storno(tenant.id, id, &f.comment, None, "tenant-user")
            .await
            .map(|_| tr(lang, "Dokument je storniran.", "The document was stornoed.")),
        "redate" => s
            .confirm_redate(tenant.id, id, "tenant-user")
            .await
            .map(|_| {
                tr(
                    lang,
                    "Nova verzija sa današnjim datumom je u redu za slanje.",
                    "A new version dated today is queued.",
                )
            }),
        _ => Err(ServiceError::NotFound),
    };
    let (status, flash) = match r {
        Ok(m) => (StatusCode::OK, (Flash::Ok, m)),
        Err(e) => (error::status(&e), (Flash::Err, e.text(lang))),
    };
    let here = format!("/app/documents/{id}");
    match document_html(s, &tenant, id, lang, Some(flash)).await {
        Ok(b) => page_response(
            status,
            lang,
            &tr(lang, "Dokument", "Document"),
            &here,
            true,
            &b,
        ),
        Err(e) => error_page(lang, &e),
    }
}
