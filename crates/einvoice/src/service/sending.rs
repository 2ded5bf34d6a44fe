//! The sender (§8): serves every tenant with due outbox work, one upload attempt at a time per tenant, with back-off, re-dating at a day change and the key checks of §5.

use chrono::NaiveDate;

use crate::gateway::{CallError, UploadIds};
use crate::messages::{Lang, MessageId};
use crate::model::{DocState, Tenant};
use crate::store::{OutboxItem, VersionRow};

use super::base::Service;
use super::documents::refused_message;
use super::error::{SResult, ServiceError};
use super::keys::{ActiveKey, KeyUse};

impl Service {
    /// One pass of the sender: every tenant with due work is served concurrently (round-robin
    /// between tenants, FIFO within a tenant). Returns the number of attempts made.
    pub async fn run_sender_once(&self) -> usize {
        let now = self.now();
        let tenants = match self.inner.db.tenants_with_due_work(now).await {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "outbox scan failed");
                return 0;
            }
        };
        let mut set = tokio::task::JoinSet::new();
        for t in tenants {
            let s = self.clone();
            set.spawn(async move {
                match s.run_tenant(t, 20).await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::error!(tenant = t, error = %e, "sender failed for tenant");
                        0
                    }
                }
            });
        }
        let mut n = 0;
        while let Some(r) = set.join_next().await {
            n += r.unwrap_or(0);
        }
        n
    }

    pub(super) async fn run_tenant(&self, tenant_id: i64, max_items: usize) -> SResult<usize> {
        let tenant = self.tenant(tenant_id).await?;
        let lease = self.inner.cfg.lease.as_millis() as i64;
        let mut done = 0;
        let mut key: Option<ActiveKey> = None;
        while done < max_items {
            let Some(item) = self
                .inner
                .db
                .claim_next(tenant_id, &self.inner.instance, lease, self.now())
                .await?
            else {
                break;
            };
            // §8.3: the Serbian day changed before a confirmed result?
            let ver = self
                .inner
                .db
                .version(tenant_id, item.version_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let issue = NaiveDate::parse_from_str(&ver.issue_date, "%Y-%m-%d")
                .unwrap_or_else(|_| self.today());
            let reached_before = self
                .inner
                .db
                .may_have_reached_sef(tenant_id, item.version_id)
                .await?;
            if issue < self.today() && !reached_before {
                self.to_needs_redate(&tenant, &item).await?;
                done += 1;
                continue;
            }
            // Key check at the start of the run (§8.1, §5).
            if key.is_none() {
                match self.key_for_use(&tenant).await? {
                    KeyUse::Ok(k) => key = Some(k),
                    KeyUse::NotActive(_) | KeyUse::NoKey => {
                        self.inner
                            .db
                            .block_tenant_documents(tenant_id, self.now())
                            .await?;
                        self.inner.db.release(item.id, self.now()).await?;
                        break;
                    }
                    KeyUse::Unavailable(cause) => {
                        let delay = self.backoff(item.attempts.max(1));
                        self.inner
                            .db
                            .note_transient_error(
                                tenant_id,
                                item.document_id,
                                "unavailable",
                                &cause,
                                self.now(),
                            )
                            .await?;
                        self.inner.db.release(item.id, self.now() + delay).await?;
                        break;
                    }
                }
            }
            let Some(k) = key.as_ref() else { break };
            let stop = self
                .attempt(&tenant, k, &item, &ver, reached_before)
                .await?;
            done += 1;
            if stop {
                break;
            }
        }
        Ok(done)
    }

    pub(super) async fn to_needs_redate(&self, tenant: &Tenant, item: &OutboxItem) -> SResult<()> {
        let now = self.now();
        self.inner
            .db
            .finish_document(
                tenant.id,
                item.document_id,
                item.id,
                DocState::NeedsRedate,
                Some(("IssueDateCannotBeDifferentFromTodays", None, None)),
                now,
            )
            .await?;
        let doc = self.stored_document(tenant.id, item.document_id).await?;
        if tenant.auto_redate {
            self.redate_now(tenant, &doc, "system").await?;
            let body = format!(
                "Faktura {} je automatski poslata sa današnjim datumom izdavanja ({}).",
                doc.number,
                self.today()
            );
            self.inner
                .db
                .notify(
                    tenant.id,
                    "sef.document.redated",
                    tenant.contact_email.as_deref(),
                    &body,
                    &format!("doc:{}:redated:{}", doc.id, item.id),
                    now,
                )
                .await?;
        } else {
            let body = MessageId::DocumentNeedsRedate.render(
                Lang::SrLatn,
                &[("broj", &doc.number), ("datum", &doc.issue_date)],
            );
            self.inner
                .db
                .notify(
                    tenant.id,
                    MessageId::DocumentNeedsRedate.id(),
                    tenant.contact_email.as_deref(),
                    &body,
                    &format!("doc:{}:redate:{}", doc.id, item.id),
                    now,
                )
                .await?;
        }
        tracing::info!(
            tenant = tenant.id,
            document = item.document_id,
            "issue day passed without a confirmed send; needs re-date"
        );
        Ok(())
    }

    pub(super) fn backoff(&self, attempts: i64) -> i64 {
        let base = self.inner.cfg.retry_base.as_millis() as i64;
        let cap = self.inner.cfg.retry_cap.as_millis() as i64;
        let exp = base
            .saturating_mul(1i64 << (attempts - 1).clamp(0, 30))
            .min(cap);
        // ±20 % jitter
        let mut b = [0u8; 2];
        let _ = aws_lc_rs::rand::fill(&mut b);
        let r = i64::from(u16::from_le_bytes(b)) % 401 - 200; // -200..=200 per mille
        (exp + exp * r / 1000).max(1)
    }

    /// One upload attempt. Returns true when the tenant's run must stop (key problem).
    pub(super) async fn attempt(
        &self,
        tenant: &Tenant,
        key: &ActiveKey,
        item: &OutboxItem,
        ver: &VersionRow,
        reached_before: bool,
    ) -> SResult<bool> {
        let gw = self.gateway(&tenant.environment)?.clone();
        let day = self.today().to_string();
        let started = self.now();
        // Recorded before the call: if the process dies now, the attempt counts as "may have
        // reached SEF" and the retry reuses the same requestId and bytes.
        let attempt_id = self.inner.db.start_attempt(item, &day, started).await?;
        tracing::info!(tenant = tenant.id, document = item.document_id, request_id = %item.request_id, attempt = item.attempts + 1, "uploading");
        let r = {
            let _p = self.inner.inflight.acquire().await;
            // The call slot is taken last, right before the request leaves.
            gw.upload(
                &self.auth(&key.key, &key.fingerprint, false),
                &item.request_id,
                &ver.ubl,
                ver.send_to_cir == "Yes",
            )
            .await
        };
        let t = UploadTry {
            tenant,
            key,
            item,
            attempt_id,
            started,
        };
        let now = self.now();
        match r {
            Ok(ids) => self.upload_accepted(&t, &ids, now).await,
            Err(e) => self.upload_failed(&t, reached_before, &e, now).await,
        }
    }

    /// SEF took the document: the attempt, the key's success and the document's ids are stored.
    async fn upload_accepted(&self, t: &UploadTry<'_>, ids: &UploadIds, now: i64) -> SResult<bool> {
        let (tenant, item) = (t.tenant, t.item);
        self.inner
            .db
            .finish_attempt(t.attempt_id, "ok", Some(200), None, None, t.started, now)
            .await?;
        self.inner
            .db
            .key_success(t.key.record_id, None, false, now)
            .await?;
        self.inner
            .db
            .mark_in_sef(
                tenant.id,
                item.document_id,
                Some(item.id),
                ids.sales_invoice_id,
                ids.purchase_invoice_id,
                ids.invoice_id,
                "Sending",
                now,
            )
            .await?;
        self.inner
            .db
            .audit(
                Some(tenant.id),
                "system",
                "document_sent",
                None,
                Some(&format!(
                    "requestId={} SalesInvoiceId={}",
                    item.request_id, ids.sales_invoice_id
                )),
                now,
            )
            .await?;
        tracing::info!(
            tenant = tenant.id,
            document = item.document_id,
            sales_invoice_id = ids.sales_invoice_id,
            "accepted by SEF"
        );
        Ok(false)
    }

    /// The upload failed: the attempt is stored and the item is refused, handed to the key
    /// checks, or retried later. Returns true when the tenant's run must stop.
    async fn upload_failed(
        &self,
        t: &UploadTry<'_>,
        reached_before: bool,
        e: &CallError,
        now: i64,
    ) -> SResult<bool> {
        let (tenant, item) = (t.tenant, t.item);
        let code = e.code().map(str::to_string);
        let (field, message) = match e {
            CallError::Rejected { field, message, .. } => (field.clone(), message.clone()),
            _ => (None, Some(e.to_string())),
        };
        self.inner
            .db
            .finish_attempt(
                t.attempt_id,
                e.outcome(),
                e.http_status(),
                None,
                code.as_deref()
                    .map(|c| (c, field.as_deref(), message.as_deref())),
                t.started,
                now,
            )
            .await?;
        tracing::warn!(tenant = tenant.id, document = item.document_id, request_id = %item.request_id, error = %e, "upload attempt failed");
        match e {
            CallError::Unauthorized
            | CallError::IspForbidden
            | CallError::CompanyMismatch { .. } => {
                self.inner.db.release(item.id, now).await?;
                self.on_key_error(tenant, t.key, e).await?;
                Ok(true)
            }
            CallError::Rejected {
                code,
                field,
                message,
            } => {
                let error = (code.as_str(), field.as_deref(), message.as_deref());
                self.upload_refused(t, reached_before, error, now).await?;
                Ok(false)
            }
            CallError::NotFound | CallError::Protocol { .. } => {
                let delay = self.backoff(item.attempts + 1);
                self.retry_later(t, "protocol", e, delay, now).await?;
                Ok(false)
            }
            CallError::RateLimited { retry_after } => {
                let delay = retry_after
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or_else(|| (1000i64 << (item.attempts.clamp(0, 5))).min(30_000));
                self.retry_later(t, "rate_limited", e, delay.max(1), now)
                    .await?;
                Ok(true)
            }
            CallError::Unavailable { .. } => {
                let delay = self.backoff(item.attempts + 1);
                self.retry_later(t, "unavailable", e, delay, now).await?;
                Ok(true)
            }
        }
    }

    /// SEF refused the document (400): refused, needs a new date, or (a refusal of a retry that
    /// may already be in SEF) accepted with ids still unknown.
    async fn upload_refused(
        &self,
        t: &UploadTry<'_>,
        reached_before: bool,
        error: (&str, Option<&str>, Option<&str>),
        now: i64,
    ) -> SResult<()> {
        let (tenant, item) = (t.tenant, t.item);
        let code = error.0;
        // A refusal of a retry that may already be in SEF means "SEF has it".
        let dup_of_ours = (code == "UBLUploadRequestIdDuplicate" && reached_before)
            || (code == "EInvoiceNumberDublicate"
                && (reached_before
                    || self
                        .inner
                        .db
                        .earlier_version_may_have_reached(
                            tenant.id,
                            item.document_id,
                            item.version_id,
                        )
                        .await?));
        let state = if dup_of_ours {
            DocState::AcceptedIdsUnknown
        } else if code == "IssueDateCannotBeDifferentFromTodays" {
            DocState::NeedsRedate
        } else {
            DocState::Refused
        };
        if state == DocState::NeedsRedate {
            return self.to_needs_redate(tenant, item).await;
        }
        self.inner
            .db
            .finish_document(
                tenant.id,
                item.document_id,
                item.id,
                state,
                Some(error),
                now,
            )
            .await?;
        if state == DocState::Refused {
            let doc = self.stored_document(tenant.id, item.document_id).await?;
            let m = refused_message(&doc, Lang::SrLatn);
            self.inner
                .db
                .notify(
                    tenant.id,
                    &m.id,
                    tenant.contact_email.as_deref(),
                    &m.text,
                    &format!("doc:{}:refused:{}", doc.id, item.id),
                    now,
                )
                .await?;
        } else {
            // Reconcile soon.
            self.inner
                .last_reconcile
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&item.document_id);
        }
        Ok(())
    }

    /// A transient failure: the document keeps the error and the item is due again after `delay`.
    async fn retry_later(
        &self,
        t: &UploadTry<'_>,
        code: &str,
        e: &CallError,
        delay: i64,
        now: i64,
    ) -> SResult<()> {
        self.inner
            .db
            .note_transient_error(t.tenant.id, t.item.document_id, code, &e.to_string(), now)
            .await?;
        self.inner.db.release(t.item.id, now + delay).await?;
        Ok(())
    }
}

/// One upload attempt under way: whose, with which key, of which outbox item.
struct UploadTry<'a> {
    tenant: &'a Tenant,
    key: &'a ActiveKey,
    item: &'a OutboxItem,
    attempt_id: i64,
    started: i64,
}
