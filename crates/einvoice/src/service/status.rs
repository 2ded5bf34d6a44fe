//! Status tracking (§9): reading a document's status from SEF and applying it without moving backwards.

use crate::messages::{Lang, MessageId};
use crate::model::{Document, Tenant};

use super::base::Service;
use super::error::SResult;
use super::keys::ActiveKey;

/// Lifecycle rank of a SEF status (`sef-api.md` §8.2) for "does not move backwards".
pub(super) fn status_rank(s: &str) -> i32 {
    match s {
        "New" | "Draft" => 0,
        "Sending" => 1,
        "Sent" | "Mistake" | "Seen" => 2,
        "Approved" | "Rejected" | "ReNotified" => 3,
        "Cancelled" | "Storno" | "Deleted" => 4,
        _ => 2,
    }
}

impl Service {
    /// Reads a document's status from SEF now (user action "refresh").
    pub async fn refresh_status(&self, tenant_id: i64, doc_id: i64) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self.stored_document(tenant_id, doc_id).await?;
        let Some(sales_id) = doc.sales_invoice_id else {
            return Ok(doc);
        };
        let key = self.usable_key(&tenant).await?;
        self.read_status(&tenant, &key, sales_id, false).await?;
        self.stored_document(tenant_id, doc_id).await
    }

    pub(super) async fn read_status(
        &self,
        tenant: &Tenant,
        key: &ActiveKey,
        sales_id: i64,
        background: bool,
    ) -> SResult<bool> {
        let gw = self.gateway(&tenant.environment)?.clone();
        let r = {
            let _p = self.inner.inflight.acquire().await;
            gw.sales_status(&self.auth(&key.key, &key.fingerprint, background), sales_id)
                .await
        };
        match r {
            Ok(st) => {
                self.inner
                    .db
                    .key_success(key.record_id, None, false, self.now())
                    .await?;
                if let Some(doc) = self
                    .inner
                    .db
                    .document_by_sales_id(tenant.id, sales_id)
                    .await?
                {
                    self.apply_status(
                        tenant,
                        &doc,
                        &st.status,
                        st.comment.as_deref(),
                        st.cir_status.as_deref(),
                        true,
                    )
                    .await?;
                }
                Ok(true)
            }
            Err(e) => {
                self.on_key_error(tenant, key, &e).await?;
                tracing::warn!(tenant = tenant.id, sales_id, error = %e, "status read failed");
                Ok(false)
            }
        }
    }

    pub(super) async fn apply_status(
        &self,
        tenant: &Tenant,
        doc: &Document,
        status: &str,
        comment: Option<&str>,
        cir: Option<&str>,
        authoritative: bool,
    ) -> SResult<()> {
        let cur = doc.sef_status.as_deref().unwrap_or("Sending");
        if !authoritative && status_rank(status) < status_rank(cur) {
            return Ok(());
        }
        let now = self.now();
        self.inner
            .db
            .set_sef_status(tenant.id, doc.id, status, comment, cir, now)
            .await?;
        if cur != status {
            tracing::info!(
                tenant = tenant.id,
                document = doc.id,
                from = cur,
                to = status,
                "SEF status changed"
            );
            match status {
                "Rejected" => {
                    let body = MessageId::DocumentRejectedByBuyer.render(
                        Lang::SrLatn,
                        &[
                            ("kupac", doc.buyer_name.as_deref().unwrap_or("—")),
                            ("broj", &doc.number),
                            ("komentar", comment.unwrap_or("")),
                        ],
                    );
                    self.inner
                        .db
                        .notify(
                            tenant.id,
                            MessageId::DocumentRejectedByBuyer.id(),
                            tenant.contact_email.as_deref(),
                            &body,
                            &format!("doc:{}:rejected", doc.id),
                            now,
                        )
                        .await?;
                }
                "Mistake" => {
                    let body = MessageId::DocumentRefused.render(
                        Lang::SrLatn,
                        &[
                            ("broj", &doc.number),
                            ("objašnjenje", "Greška prilikom slanja"),
                            ("ErrorCode", "Mistake"),
                            ("polje", ""),
                        ],
                    );
                    self.inner
                        .db
                        .notify(
                            tenant.id,
                            MessageId::DocumentRefused.id(),
                            tenant.contact_email.as_deref(),
                            &body,
                            &format!("doc:{}:mistake", doc.id),
                            now,
                        )
                        .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}
