//! Downloads of documents (XML envelope, PDF, signature) shared by sales and purchase calls.

use reqwest::Method;

use super::transport::{Body, Call, Raw, SefClient};
use crate::error::SefError;

/// Result of a PDF download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfDownload {
    /// The PDF bytes.
    Pdf(Vec<u8>),
    /// SEF is still rendering; poll again later. Carries SEF's message.
    Initiated(String),
}

impl SefClient {
    pub(super) async fn download(&self, path: &str, id: i64) -> Result<Raw, SefError> {
        let call = Call {
            method: Method::GET,
            path,
            query: vec![("invoiceId", id.to_string())],
            body: Body::None,
            accept: "*/*",
            upload: false,
        };
        self.run(call).await.result
    }

    /// Downloads a document envelope that must be UTF-8 XML.
    pub(super) async fn download_text(&self, path: &str, id: i64) -> Result<String, SefError> {
        let raw = self.download(path, id).await?;
        String::from_utf8(raw.body).map_err(|_| SefError::Protocol {
            detail: "the XML is not UTF-8".into(),
        })
    }
}

/// Reads a PDF download: the PDF bytes, or SEF's message that it is still rendering.
pub(super) fn pdf_download(raw: Raw) -> PdfDownload {
    let is_json = raw
        .content_type
        .as_deref()
        .is_some_and(|c| c.contains("json") || c.starts_with("text/"));
    if is_json && !raw.body.starts_with(b"%PDF") {
        let text = String::from_utf8_lossy(&raw.body).into_owned();
        let msg = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                crate::json::normalize_keys(v)
                    .get("message")
                    .and_then(|m| m.as_str().map(str::to_string))
            })
            .unwrap_or(text);
        PdfDownload::Initiated(msg)
    } else {
        PdfDownload::Pdf(raw.body)
    }
}
