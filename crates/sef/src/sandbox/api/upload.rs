//! `sales-invoice/ubl` and `sales-invoice/ubl/upload` (`sef-api.md` §7.2): the body (raw or
//! the form's `ublFile` part) checked on the blocking pool, then handed to the state.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::sandbox::check::{CheckContext, check_document, refuse};
use crate::sandbox::{ApiError, Sandbox, json_response};

use super::common::{Q, Sb, q};

pub(super) fn is_xml_type(h: &HeaderMap) -> bool {
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

pub(super) async fn do_upload(
    sb: &Sandbox,
    h: &HeaderMap,
    m: &HashMap<String, String>,
    xml: Bytes,
) -> Result<Response, ApiError> {
    let (mut l, pib) = sb.auth(h).await?;
    // Parsing and the layer 1-2 checks run on the blocking pool, not on an async worker; the
    // state stays locked meanwhile, as if they ran in place.
    let cx = CheckContext::of_state(&l.st);
    let body = xml.clone();
    let checked = tokio::task::spawn_blocking(move || check_document(&body, &cx))
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

pub(super) async fn upload_raw(
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

pub(super) async fn upload_multipart(
    AxState(sb): Sb,
    h: HeaderMap,
    Query(m): Q,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    // Authentication first, as on SEF: a caller without a valid key gets 401 before the
    // sandbox spends any work on the form. The state is not held while the form is read.
    drop(sb.auth(&h).await?);
    // Without a multipart content type and boundary: 415.
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
pub(super) enum FormProblem {
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
pub(super) async fn ubl_file(form: &mut Multipart) -> Result<Bytes, FormProblem> {
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
