//! Reading uploads within the size cap: a raw body ([`read_body`]) or the file of a
//! `multipart/form-data` form ([`multipart_file`], axum's [`Multipart`]). Over the cap the rest
//! of the body is read and dropped (up to the server's body limit), so the client gets the
//! answer saying why instead of a closed connection.

use axum::body::{Body, Bytes};
use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use http_body_util::BodyExt;

use crate::messages::{Lang, tr};

/// Why an upload could not be read: the status and the sentence for the person.
pub type Refusal = (StatusCode, String);

/// 413 with the sentence of `moje-fakture.md`: the cap in KB and what to check.
pub fn too_large(lang: Lang, limit: usize) -> Refusal {
    let kb = limit / 1024;
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        tr(
            lang,
            &format!(
                "Dokument je prevelik: najveća dozvoljena veličina je {kb} KB. Proverite da li ste izabrali pravu datoteku (UBL XML fakture)."
            ),
            &format!(
                "The document is too large: the maximum size is {kb} KB. Check that you chose the right file (the invoice's UBL XML)."
            ),
        ),
    )
}

fn incomplete(lang: Lang) -> Refusal {
    (
        StatusCode::BAD_REQUEST,
        tr(lang, "Zahtev nije potpun.", "The request is incomplete."),
    )
}

/// The body, if it has at most `limit` bytes; over it, 413 after reading the rest.
pub async fn read_body(body: Body, limit: usize, lang: Lang) -> Result<Bytes, Refusal> {
    let mut body = body;
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            // The server's body limit cut the body short, or the client did.
            return Err(if seen > limit {
                too_large(lang, limit)
            } else {
                incomplete(lang)
            });
        };
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen <= limit {
                buf.extend_from_slice(&data);
            }
        }
    }
    if seen > limit {
        return Err(too_large(lang, limit));
    }
    Ok(Bytes::from(buf))
}

fn unreadable(lang: Lang, limit: usize, e: &MultipartError) -> Refusal {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(lang, limit);
    }
    (
        StatusCode::BAD_REQUEST,
        tr(
            lang,
            "Obrazac nije stigao ceo ili nije ispravan. Izaberite XML datoteku i pošaljite je ponovo.",
            "The form did not arrive whole or is not valid. Choose the XML file and send it again.",
        ),
    )
}

/// The content of the form's file part (named `file`, or the first part with a file name),
/// at most `limit` bytes; other parts are skipped. `Ok(None)` when the form has no file or the
/// file is empty.
pub async fn multipart_file(
    form: &mut Multipart,
    limit: usize,
    lang: Lang,
) -> Result<Option<Vec<u8>>, Refusal> {
    let mut file = None;
    let mut over = false;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) if over => return Err(too_large(lang, limit)),
            Err(e) => return Err(unreadable(lang, limit, &e)),
        };
        let wanted = file.is_none()
            && !over
            && (field.name() == Some("file") || field.file_name().is_some());
        let mut content = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(c)) if wanted && !over => {
                    if content.len() + c.len() > limit {
                        over = true;
                        content = Vec::new();
                    } else {
                        content.extend_from_slice(&c);
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) if over => return Err(too_large(lang, limit)),
                Err(e) => return Err(unreadable(lang, limit, &e)),
            }
        }
        if wanted && !over {
            file = Some(content);
        }
    }
    if over {
        return Err(too_large(lang, limit));
    }
    Ok(file.filter(|f| !f.is_empty()))
}
