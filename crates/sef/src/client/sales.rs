//! Sales documents (`sef-api.md` §7.2–§7.7, §7.9): upload, status, cancel, storno, lists,
//! delete and downloads.

use chrono::NaiveDate;
use reqwest::Method;

use super::download::{PdfDownload, pdf_download};
use super::transport::{Body, Call, Outcome, SefClient, json_body, parse_json};
use crate::error::SefError;
use crate::model::*;

/// One UBL upload (`sef-api.md` §7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UblUpload {
    /// The UTF-8 UBL document.
    pub xml: Vec<u8>,
    /// The idempotency key, reused unchanged on every retry of these bytes.
    pub request_id: String,
    /// `sendToCir` (default `No`).
    pub send_to_cir: SendToCir,
    /// `executeValidation` (default `true`).
    pub execute_validation: bool,
}

impl UblUpload {
    /// An upload with `sendToCir=No` and `executeValidation=true`.
    pub fn new(xml: Vec<u8>, request_id: impl Into<String>) -> UblUpload {
        UblUpload {
            xml,
            request_id: request_id.into(),
            send_to_cir: SendToCir::No,
            execute_validation: true,
        }
    }
}

/// A fresh `requestId`: a random UUID v4, lowercase and hyphenated (`sef-api.md` §6).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl SefClient {
    /// §7.2: uploads one UBL document. Every retry (429, 5xx, timeouts, resets) reuses the same
    /// `requestId` and bytes. A `UBLUploadRequestIdDuplicate` after an attempt with unknown outcome
    /// becomes [`SefError::AcceptedIdsUnknown`].
    pub async fn send_ubl(&self, upload: &UblUpload) -> Result<UploadResponse, SefError> {
        if upload.request_id.trim().is_empty() {
            return Err(SefError::Config("an upload needs a requestId".into()));
        }
        let call = Call {
            method: Method::POST,
            path: "/sales-invoice/ubl",
            query: vec![
                ("requestId", upload.request_id.clone()),
                ("sendToCir", upload.send_to_cir.as_str().to_string()),
                ("executeValidation", upload.execute_validation.to_string()),
            ],
            body: Body::Xml(upload.xml.clone()),
            accept: "application/json",
            upload: true,
        };
        self.json(call).await
    }

    /// §7.3: the status record of a sales document.
    pub async fn get_sales_invoice(
        &self,
        sales_invoice_id: i64,
    ) -> Result<SalesInvoiceRecord, SefError> {
        self.json(Self::get(
            "/sales-invoice",
            vec![("invoiceId", sales_invoice_id.to_string())],
        ))
        .await
    }

    /// §7.4: cancels a sales document. If an earlier attempt may have succeeded and the retry is
    /// refused because of the status, the status is read back and a `Cancelled` document counts
    /// as success.
    pub async fn cancel_sales_invoice(
        &self,
        sales_invoice_id: i64,
        comment: &str,
    ) -> Result<SalesInvoiceActionResult, SefError> {
        let body = json_body(&CancelRequest {
            invoice_id: sales_invoice_id,
            cancel_comments: Some(comment.to_string()),
        })?;
        let out = self
            .run(Self::post("/sales-invoice/cancel", vec![], body))
            .await;
        self.action_result(out, sales_invoice_id, SalesInvoiceStatus::Cancelled)
            .await
    }

    /// §7.5: stornoes a sales document (same retry safety as cancel).
    pub async fn storno_sales_invoice(
        &self,
        sales_invoice_id: i64,
        storno_number: Option<&str>,
        comment: &str,
    ) -> Result<SalesInvoiceActionResult, SefError> {
        let body = json_body(&StornoRequest {
            invoice_id: sales_invoice_id,
            storno_number: storno_number.map(str::to_string),
            storno_comment: Some(comment.to_string()),
        })?;
        let out = self
            .run(Self::post("/sales-invoice/storno", vec![], body))
            .await;
        self.action_result(out, sales_invoice_id, SalesInvoiceStatus::Storno)
            .await
    }

    async fn action_result(
        &self,
        out: Outcome,
        id: i64,
        target: SalesInvoiceStatus,
    ) -> Result<SalesInvoiceActionResult, SefError> {
        match out.result {
            Ok(raw) => parse_json(&raw.body),
            Err(e @ SefError::Rejected { .. }) if out.retried_after_unknown => {
                let rec = self.get_sales_invoice(id).await?;
                if rec.status == target {
                    Ok(SalesInvoiceActionResult {
                        invoice_id: Some(rec.invoice_id),
                        invoice_number: None,
                        glob_uniq_id: rec.glob_uniq_id,
                        status: rec.status,
                        storno_number: None,
                    })
                } else {
                    Err(e)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// §7.6: ids of sales documents in `status` between two dates (`YYYY-MM-DD`).
    pub async fn sales_invoice_ids(
        &self,
        status: SalesInvoiceStatus,
        date_from: NaiveDate,
        date_to: NaiveDate,
    ) -> Result<Vec<i64>, SefError> {
        let r: SalesInvoiceIds = self
            .ids("/sales-invoice/ids", status.as_str(), date_from, date_to)
            .await?;
        Ok(r.sales_invoice_ids)
    }

    /// §7.6: status changes of the company's sales documents on a past day.
    pub async fn sales_invoice_changes(
        &self,
        date: NaiveDate,
    ) -> Result<Vec<SalesStatusChange>, SefError> {
        self.changes("/sales-invoice/changes", date).await
    }

    /// §7.7: deletes a `Draft`/`New` sales document.
    pub async fn delete_sales_invoice(&self, sales_invoice_id: i64) -> Result<(), SefError> {
        let path = format!("/sales-invoice/{sales_invoice_id}");
        let call = Call {
            method: Method::DELETE,
            path: &path,
            query: vec![],
            body: Body::None,
            accept: "application/json",
            upload: false,
        };
        self.run(call).await.result.map(|_| ())
    }
    /// §7.9: the download envelope of a sales document (use
    /// [`crate::xml::extract_envelope_document`] for the UBL inside).
    pub async fn sales_invoice_xml(&self, sales_invoice_id: i64) -> Result<String, SefError> {
        self.download_text("/sales-invoice/xml", sales_invoice_id)
            .await
    }

    /// §7.9: SEF's PDF of a sales document.
    pub async fn sales_invoice_pdf(&self, sales_invoice_id: i64) -> Result<PdfDownload, SefError> {
        let raw = self
            .download("/sales-invoice/pdf", sales_invoice_id)
            .await?;
        Ok(pdf_download(raw))
    }

    /// §7.9: SEF's signature file of a sales document.
    pub async fn sales_invoice_signature(
        &self,
        sales_invoice_id: i64,
    ) -> Result<Vec<u8>, SefError> {
        Ok(self
            .download("/sales-invoice/signature", sales_invoice_id)
            .await?
            .body)
    }
}
