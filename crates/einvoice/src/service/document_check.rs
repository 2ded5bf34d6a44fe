//! Checking an uploaded document: fiskal-ubl's validator and reader run on the blocking pool
//! (a document is up to `max_upload_bytes` of untrusted XML; parsing it must not hold up an
//! async worker), then the document must be the tenant's and dated today.

use std::sync::Arc;

use super::base::Service;
use super::error::{SResult, ServiceError};
use crate::model::Tenant;
use crate::tools::{DocumentSummary, DocumentTools, Finding};

impl Service {
    /// Runs `f` with the document tools on the blocking pool: parsing and validating a
    /// document (up to `max_upload_bytes` of untrusted XML) must not hold up an async worker.
    pub(super) async fn with_tools<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn DocumentTools) -> T + Send + 'static,
    ) -> SResult<T> {
        let tools = Arc::clone(&self.inner.tools);
        tokio::task::spawn_blocking(move || f(tools.as_ref()))
            .await
            .map_err(|e| match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => ServiceError::refused(
                    "Dokument nije mogao da se proveri; pokušajte ponovo.",
                    "The document could not be checked; please try again.",
                ),
            })
    }

    pub(super) async fn check_document(
        &self,
        tenant: &Tenant,
        xml: &[u8],
    ) -> SResult<(DocumentSummary, Vec<Finding>)> {
        let owned = xml.to_vec();
        let (findings, summary) = self
            .with_tools(move |t| {
                let findings = t.validate(&owned);
                let fatal = findings.iter().any(|f| f.fatal);
                let summary = (!fatal).then(|| t.summarize(&owned));
                (findings, summary)
            })
            .await?;
        let Some(summary) = summary else {
            return Err(ServiceError::InvalidDocument(findings));
        };
        let summary = summary.map_err(|e| {
            ServiceError::InvalidDocument(vec![Finding {
                rule_id: "XML".into(),
                path: "/".into(),
                message: e,
                fatal: true,
            }])
        })?;
        if summary.supplier_pib.as_deref() != Some(tenant.pib.as_str()) {
            return Err(ServiceError::refused(
                format!(
                    "Prodavac u dokumentu (PIB {}) nije firma {} (PIB {}).",
                    summary.supplier_pib.as_deref().unwrap_or("—"),
                    tenant.name,
                    tenant.pib
                ),
                format!(
                    "The supplier in the document (PIB {}) is not {} (PIB {}).",
                    summary.supplier_pib.as_deref().unwrap_or("—"),
                    tenant.name,
                    tenant.pib
                ),
            ));
        }
        let today = self.today();
        if summary.issue_date != today {
            return Err(ServiceError::refused(
                format!(
                    "Datum izdavanja ({}) mora biti današnji datum ({today}): SEF prihvata samo fakture sa današnjim datumom izdavanja.",
                    summary.issue_date
                ),
                format!(
                    "The issue date ({}) must be today ({today}): SEF accepts only invoices dated today.",
                    summary.issue_date
                ),
            ));
        }
        Ok((summary, findings))
    }
}
