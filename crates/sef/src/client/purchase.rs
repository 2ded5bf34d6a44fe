//! Purchase documents (`sef-api.md` §7.8): status, lists, overview, accept or reject, downloads.

use chrono::NaiveDate;

use super::download::{PdfDownload, pdf_download};
use super::transport::{SefClient, json_body};
use crate::error::SefError;
use crate::model::*;

impl SefClient {
    /// §7.8: the status record of a purchase document.
    pub async fn get_purchase_invoice(
        &self,
        purchase_invoice_id: i64,
    ) -> Result<PurchaseInvoiceRecord, SefError> {
        self.json(Self::get(
            "/purchase-invoice",
            vec![("invoiceId", purchase_invoice_id.to_string())],
        ))
        .await
    }

    /// §7.8: ids of purchase documents in `status` between two dates.
    pub async fn purchase_invoice_ids(
        &self,
        status: PurchaseInvoiceStatus,
        date_from: NaiveDate,
        date_to: NaiveDate,
    ) -> Result<Vec<i64>, SefError> {
        let r: PurchaseInvoiceIds = self
            .ids("/purchase-invoice/ids", status.as_str(), date_from, date_to)
            .await?;
        Ok(r.purchase_invoice_ids)
    }

    /// §7.8: status changes of the company's purchase documents on a past day.
    pub async fn purchase_invoice_changes(
        &self,
        date: NaiveDate,
    ) -> Result<Vec<PurchaseStatusChange>, SefError> {
        self.changes("/purchase-invoice/changes", date).await
    }

    /// §7.8: overview of purchase documents.
    pub async fn purchase_invoice_overview(
        &self,
        status: Option<PurchaseInvoiceStatus>,
        date_from: NaiveDate,
        date_to: NaiveDate,
    ) -> Result<Vec<PurchaseOverviewRow>, SefError> {
        let mut q = vec![
            ("dateFrom", date_from.to_string()),
            ("dateTo", date_to.to_string()),
        ];
        if let Some(s) = status {
            q.insert(0, ("status", s.as_str().to_string()));
        }
        self.json(Self::get("/purchase-invoice/overview", q)).await
    }

    /// §7.8: accepts or rejects an incoming document as the buyer. `Success: false` becomes
    /// [`SefError::Rejected`] with an empty code.
    pub async fn accept_reject_purchase_invoice(
        &self,
        purchase_invoice_id: i64,
        accepted: bool,
        comment: Option<&str>,
    ) -> Result<AcceptRejectResponse, SefError> {
        let body = json_body(&AcceptRejectRequest {
            invoice_id: purchase_invoice_id,
            accepted,
            comment: comment.map(str::to_string),
        })?;
        let r: AcceptRejectResponse = self
            .json(Self::post(
                "/purchase-invoice/acceptRejectPurchaseInvoice",
                vec![],
                body,
            ))
            .await?;
        if r.success {
            Ok(r)
        } else {
            Err(SefError::Rejected {
                code: String::new(),
                field_name: None,
                message: r.message,
            })
        }
    }

    /// §7.8: the download envelope of a purchase document.
    pub async fn purchase_invoice_xml(&self, purchase_invoice_id: i64) -> Result<String, SefError> {
        self.download_text("/purchase-invoice/xml", purchase_invoice_id)
            .await
    }

    /// §7.8: SEF's PDF of a purchase document.
    pub async fn purchase_invoice_pdf(
        &self,
        purchase_invoice_id: i64,
    ) -> Result<PdfDownload, SefError> {
        let raw = self
            .download("/purchase-invoice/pdf", purchase_invoice_id)
            .await?;
        Ok(pdf_download(raw))
    }
}
