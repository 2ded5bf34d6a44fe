//! Actions in SEF on a sent document: cancellation and storno with a mandatory comment (§7.2).

use crate::gateway::CallError;
use crate::messages::{Lang, MessageId};
use crate::model::{DocState, Document, KeyState};

use super::base::Service;
use super::documents::refused_args;
use super::error::{SResult, ServiceError};
use super::keys::KeyUse;

impl Service {
    /// Cancels (`otkazivanje`) a document in SEF with a mandatory comment (§7.2, `sef-api.md` §7.4).
    pub async fn cancel(
        &self,
        tenant_id: i64,
        doc_id: i64,
        comment: &str,
        actor: &str,
    ) -> SResult<Document> {
        self.sef_action(tenant_id, doc_id, comment, None, actor, true)
            .await
    }

    /// Stornoes a document in SEF with a mandatory comment (`sef-api.md` §7.5).
    pub async fn storno(
        &self,
        tenant_id: i64,
        doc_id: i64,
        comment: &str,
        storno_number: Option<&str>,
        actor: &str,
    ) -> SResult<Document> {
        self.sef_action(tenant_id, doc_id, comment, storno_number, actor, false)
            .await
    }

    pub(super) async fn sef_action(
        &self,
        tenant_id: i64,
        doc_id: i64,
        comment: &str,
        storno_number: Option<&str>,
        actor: &str,
        cancel: bool,
    ) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self.stored_document(tenant_id, doc_id).await?;
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(ServiceError::refused(
                "Komentar je obavezan.",
                "A comment is required.",
            ));
        }
        let (Some(sales_id), DocState::InSef) = (doc.sales_invoice_id, doc.state) else {
            return Err(self.state_refusal(&doc));
        };
        let key = self.usable_key(&tenant).await?;
        let gw = self.gateway(&tenant.environment)?.clone();
        let r = {
            let _p = self.inner.inflight.acquire().await;
            if cancel {
                gw.cancel(
                    &self.auth(&key.key, &key.fingerprint, false),
                    sales_id,
                    comment,
                )
                .await
            } else {
                gw.storno(
                    &self.auth(&key.key, &key.fingerprint, false),
                    sales_id,
                    storno_number,
                    comment,
                )
                .await
            }
        };
        let now = self.now();
        match r {
            Ok(status) => {
                self.inner
                    .db
                    .key_success(key.record_id, None, false, now)
                    .await?;
                let status = if status.is_empty() {
                    if cancel {
                        "Cancelled".to_string()
                    } else {
                        "Storno".to_string()
                    }
                } else {
                    status
                };
                self.inner
                    .db
                    .set_sef_status(tenant_id, doc_id, &status, None, None, now)
                    .await?;
                self.inner
                    .db
                    .audit(
                        Some(tenant_id),
                        actor,
                        if cancel {
                            "document_cancelled"
                        } else {
                            "document_stornoed"
                        },
                        None,
                        Some(&format!("{}: {comment}", doc.number)),
                        now,
                    )
                    .await?;
                self.stored_document(tenant_id, doc_id).await
            }
            Err(e) => {
                if self.on_key_error(&tenant, &key, &e).await? {
                    return Err(self.key_use_error(&tenant, KeyUse::NotActive(KeyState::Invalid)));
                }
                match e {
                    CallError::Rejected {
                        code,
                        field,
                        message,
                    } => {
                        let d = Document {
                            error_code: Some(code),
                            error_field: field,
                            error_message: message,
                            ..doc
                        };
                        Err(ServiceError::Message(
                            MessageId::DocumentRefused,
                            refused_args(&d, Lang::SrLatn)
                                .into_iter()
                                .map(|(k, v)| (k.to_string(), v))
                                .collect(),
                        ))
                    }
                    _ => Err(ServiceError::msg(MessageId::Unavailable, &[])),
                }
            }
        }
    }
}
