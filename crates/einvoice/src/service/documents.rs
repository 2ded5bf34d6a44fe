//! Documents (§7, §8.1): uploads and the simple form queued in the outbox, corrected versions, re-dating, and the views of a tenant's documents.

use crate::crypto::sha256_hex;
use crate::messages::{Lang, MessageId, UserMessage, explain_error_code, tr};
use crate::model::{DocState, Document, Tenant};
use crate::store::NewDocument;
use crate::tools::SimpleInvoice;

use super::base::Service;
use super::error::{SResult, ServiceError};
use super::views::DocumentView;

impl Service {
    /// Validates, freezes and queues an uploaded UBL document (§8.1). The document, its version
    /// with a new `requestId` and the outbox row are committed in one transaction.
    pub async fn submit_xml(&self, tenant_id: i64, xml: &[u8], actor: &str) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        if tenant.status != "active" {
            return Err(ServiceError::refused(
                "Nalog firme nije aktivan.",
                "The company's account is not active.",
            ));
        }
        let (summary, _) = self.check_document(&tenant, xml).await?;
        if self
            .inner
            .db
            .number_used(tenant_id, &summary.number)
            .await?
        {
            return Err(ServiceError::refused(
                format!(
                    "Broj fakture {} je već iskorišćen. Broj se nikada ne koristi ponovo, ni posle storniranja; izaberite novi broj.",
                    summary.number
                ),
                format!(
                    "Invoice number {} has already been used. A number is never reused, not even after storno; choose a new number.",
                    summary.number
                ),
            ));
        }
        let send_to_cir = self.send_to_cir(&tenant, &summary);
        let request_id = uuid::Uuid::new_v4().to_string();
        let now = self.now();
        let nd = NewDocument {
            doc_type: summary.doc_type.clone(),
            number: summary.number.clone(),
            issue_date: summary.issue_date.to_string(),
            buyer_pib: summary.buyer_pib.clone(),
            buyer_name: summary.buyer_name.clone(),
            total: summary.total.map(|t| t.to_string()),
            currency: summary.currency.clone(),
        };
        let doc_id = match self
            .inner
            .db
            .queue_new_document(
                tenant_id,
                &nd,
                xml,
                &sha256_hex(xml),
                &request_id,
                send_to_cir,
                now,
            )
            .await
        {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(ServiceError::refused(
                    format!("Broj fakture {} je već iskorišćen.", summary.number),
                    format!("Invoice number {} has already been used.", summary.number),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "document_queued",
                None,
                Some(&format!(
                    "{} {} requestId={request_id}",
                    summary.doc_type, summary.number
                )),
                now,
            )
            .await?;
        tracing::info!(tenant = tenant_id, document = doc_id, request_id = %request_id, "document queued");
        self.wake();
        self.stored_document(tenant_id, doc_id).await
    }

    pub(super) fn send_to_cir(
        &self,
        tenant: &Tenant,
        s: &crate::tools::DocumentSummary,
    ) -> &'static str {
        if tenant.send_to_cir
            && s.buyer_jbkjs.is_some()
            && s.doc_type == "380"
            && s.currency.as_deref().unwrap_or("RSD") == "RSD"
        {
            "Yes"
        } else {
            "No"
        }
    }

    /// Builds a 380 from the simple form (issue date today) and queues it.
    pub async fn create_simple(
        &self,
        tenant_id: i64,
        form: &SimpleInvoice,
        actor: &str,
    ) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let xml = self
            .inner
            .tools
            .build(&tenant, form, self.today())
            .map_err(|e| {
                ServiceError::refused(
                    format!("Faktura ne može da se napravi: {e}"),
                    format!("The invoice cannot be built: {e}"),
                )
            })?;
        self.submit_xml(tenant_id, &xml, actor).await
    }

    /// Sends a corrected version of a `refused` (or `invalid`) document: same number, new bytes,
    /// new `requestId`.
    pub async fn resubmit(
        &self,
        tenant_id: i64,
        doc_id: i64,
        xml: &[u8],
        actor: &str,
    ) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self.stored_document(tenant_id, doc_id).await?;
        if !matches!(
            doc.state,
            DocState::Refused | DocState::Invalid | DocState::Draft
        ) {
            return Err(self.state_refusal(&doc));
        }
        let (summary, _) = self.check_document(&tenant, xml).await?;
        if summary.number != doc.number {
            return Err(ServiceError::refused(
                "Ispravljena verzija mora imati isti broj fakture.",
                "The corrected version must keep the invoice number.",
            ));
        }
        let rid = uuid::Uuid::new_v4().to_string();
        let ok = self
            .inner
            .db
            .requeue_new_version(
                tenant_id,
                doc_id,
                &[DocState::Refused, DocState::Invalid, DocState::Draft],
                xml,
                &sha256_hex(xml),
                &rid,
                self.send_to_cir(&tenant, &summary),
                &summary.issue_date.to_string(),
                self.now(),
            )
            .await?;
        if !ok {
            return Err(self.state_refusal(&doc));
        }
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "document_requeued",
                None,
                Some(&format!("{} requestId={rid}", doc.number)),
                self.now(),
            )
            .await?;
        self.wake();
        self.stored_document(tenant_id, doc_id).await
    }

    /// Confirms re-dating a `needs_redate` document (§8.3): a new version with IssueDate =
    /// today, the same number, a new `requestId`.
    pub async fn confirm_redate(
        &self,
        tenant_id: i64,
        doc_id: i64,
        actor: &str,
    ) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self.stored_document(tenant_id, doc_id).await?;
        if doc.state != DocState::NeedsRedate {
            return Err(self.state_refusal(&doc));
        }
        self.redate_now(&tenant, &doc, actor).await?;
        self.stored_document(tenant_id, doc_id).await
    }

    pub(super) async fn redate_now(
        &self,
        tenant: &Tenant,
        doc: &Document,
        actor: &str,
    ) -> SResult<()> {
        let ver = self
            .inner
            .db
            .current_version(tenant.id, doc.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let today = self.today();
        let ubl = ver.ubl.clone();
        let redated = self.with_tools(move |t| t.redate(&ubl, today)).await?;
        let xml = redated.map_err(|e| {
            ServiceError::refused(
                format!("Datum ne može da se promeni: {e}"),
                format!("The date cannot be changed: {e}"),
            )
        })?;
        let rid = uuid::Uuid::new_v4().to_string();
        let ok = self
            .inner
            .db
            .requeue_new_version(
                tenant.id,
                doc.id,
                &[DocState::NeedsRedate],
                &xml,
                &sha256_hex(&xml),
                &rid,
                &ver.send_to_cir,
                &today.to_string(),
                self.now(),
            )
            .await?;
        if !ok {
            return Err(self.state_refusal(doc));
        }
        self.inner
            .db
            .audit(
                Some(tenant.id),
                actor,
                "document_redated",
                None,
                Some(&format!("{} -> {today} requestId={rid}", doc.number)),
                self.now(),
            )
            .await?;
        self.wake();
        Ok(())
    }

    pub(super) fn state_refusal(&self, doc: &Document) -> ServiceError {
        ServiceError::refused(
            format!(
                "Ova radnja nije moguća za dokument {} u stanju „{}“.",
                doc.number, doc.state
            ),
            format!(
                "This action is not possible for document {} in state \"{}\".",
                doc.number, doc.state
            ),
        )
    }

    /// A document with its message and attempts.
    pub async fn document(&self, tenant_id: i64, doc_id: i64, lang: Lang) -> SResult<DocumentView> {
        let doc = self.stored_document(tenant_id, doc_id).await?;
        let attempts = self.inner.db.attempts(tenant_id, doc_id).await?;
        let message = self.document_message(tenant_id, &doc, lang).await?;
        Ok(DocumentView {
            document: doc,
            message,
            attempts,
        })
    }

    /// The message the user sees for a document's state.
    pub async fn document_message(
        &self,
        tenant_id: i64,
        doc: &Document,
        lang: Lang,
    ) -> SResult<Option<UserMessage>> {
        Ok(match doc.state {
            DocState::Refused => Some(refused_message(doc, lang)),
            DocState::NeedsRedate => Some(UserMessage::new(
                MessageId::DocumentNeedsRedate,
                lang,
                &[("broj", &doc.number), ("datum", &doc.issue_date)],
            )),
            DocState::BlockedKey => {
                let st = self.key_status(tenant_id, lang).await?;
                st.message
            }
            DocState::Sending
                if doc
                    .error_code
                    .as_deref()
                    .is_some_and(|c| c == "unavailable" || c == "rate_limited") =>
            {
                Some(UserMessage::new(MessageId::Unavailable, lang, &[]))
            }
            DocState::InSef if doc.sef_status.as_deref() == Some("Rejected") => {
                Some(UserMessage::new(
                    MessageId::DocumentRejectedByBuyer,
                    lang,
                    &[
                        ("kupac", doc.buyer_name.as_deref().unwrap_or("—")),
                        ("broj", &doc.number),
                        ("komentar", doc.sef_comment.as_deref().unwrap_or("")),
                    ],
                ))
            }
            DocState::InSef if doc.sef_status.as_deref() == Some("Mistake") => {
                let expl = crate::messages::sef_status_label("Mistake", lang);
                Some(UserMessage::new(
                    MessageId::DocumentRefused,
                    lang,
                    &[
                        ("broj", &doc.number),
                        ("objašnjenje", &expl),
                        ("ErrorCode", "Mistake"),
                        ("polje", ""),
                    ],
                ))
            }
            _ => None,
        })
    }

    /// Documents of a tenant, newest first.
    pub async fn documents(&self, tenant_id: i64) -> SResult<Vec<Document>> {
        Ok(self.inner.db.documents(tenant_id, 500).await?)
    }

    /// The UBL bytes of a document's current version.
    pub async fn document_xml(&self, tenant_id: i64, doc_id: i64) -> SResult<Vec<u8>> {
        Ok(self
            .inner
            .db
            .current_version(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)?
            .ubl)
    }
}

pub(super) fn refused_args(doc: &Document, lang: Lang) -> Vec<(&'static str, String)> {
    let code = doc.error_code.clone().unwrap_or_default();
    let expl = explain_error_code(&code, lang)
        .map(std::borrow::Cow::into_owned)
        .or_else(|| doc.error_message.clone().filter(|m| !m.is_empty()))
        .unwrap_or_else(|| code.clone());
    let field = doc
        .error_field
        .as_deref()
        .map(|f| format!("{}{f}", tr(lang, ", polje: ", ", field: ")))
        .unwrap_or_default();
    vec![
        ("broj", doc.number.clone()),
        ("objašnjenje", expl),
        ("ErrorCode", code),
        ("polje", field),
    ]
}

/// The `sef.document.refused` message of a document.
pub fn refused_message(doc: &Document, lang: Lang) -> UserMessage {
    let args = refused_args(doc, lang);
    let a: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    UserMessage::new(MessageId::DocumentRefused, lang, &a)
}
