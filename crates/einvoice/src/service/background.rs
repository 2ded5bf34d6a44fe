//! The background work (§5, §8.4, §9): automatic key re-checks, queued status reads, polls, reconciliation of documents whose ids are unknown, the daily jobs, master-key rotation and the worker loop.

use std::time::Duration;

use chrono::{Days, NaiveDate};

use crate::model::{DocState, KeyState};

use super::base::Service;
use super::error::SResult;
use super::keys::KeyUse;

pub(super) const RECONCILE_STATUSES: [&str; 7] = [
    "Sending",
    "Sent",
    "Mistake",
    "Approved",
    "Rejected",
    "Cancelled",
    "Storno",
];

impl Service {
    /// One pass of the background work: automatic key re-checks (§5 point 5), status reads
    /// queued by callbacks, polls of fresh documents (§9.4), reconciliation (§8.4) and, when
    /// enabled, the daily jobs.
    pub async fn run_background_once(&self) -> SResult<()> {
        let now = self.now();
        for tenant_id in self.inner.db.keys_due_for_recheck(now).await? {
            let tenant = self.tenant(tenant_id).await?;
            if let Some(rec) = self.inner.db.current_key(tenant_id).await? {
                let o = self.recheck_key(&tenant, &rec).await?;
                tracing::info!(
                    tenant = tenant_id,
                    outcome = o.as_str(),
                    "automatic key re-check"
                );
            }
        }
        for (id, tenant_id, sales_id) in self.inner.db.pending_status_reads(50).await? {
            let tenant = self.tenant(tenant_id).await?;
            if let KeyUse::Ok(k) = self.key_for_use(&tenant).await? {
                self.read_status(&tenant, &k, sales_id, true).await?;
                self.inner.db.status_read_done(id, self.now()).await?;
            }
        }
        let window = self.inner.cfg.sending_poll_window.as_millis() as i64;
        let every = self.inner.cfg.sending_poll_every.as_millis() as i64;
        for (tenant_id, doc_id) in self
            .inner
            .db
            .documents_to_poll(now - window, now - every)
            .await?
        {
            let tenant = self.tenant(tenant_id).await?;
            let Some(doc) = self.inner.db.document(tenant_id, doc_id).await? else {
                continue;
            };
            if let (KeyUse::Ok(k), Some(sid)) =
                (self.key_for_use(&tenant).await?, doc.sales_invoice_id)
            {
                self.read_status(&tenant, &k, sid, true).await?;
            }
        }
        for tenant in self.inner.db.tenants().await? {
            for doc in self
                .inner
                .db
                .documents_in_state(tenant.id, DocState::AcceptedIdsUnknown)
                .await?
            {
                let due = {
                    let m = self
                        .inner
                        .last_reconcile
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    m.get(&doc.id).is_none_or(|t| {
                        now - t >= self.inner.cfg.reconcile_every.as_millis() as i64
                    })
                };
                if due {
                    self.inner
                        .last_reconcile
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(doc.id, now);
                    let _ = self.reconcile(tenant.id, doc.id).await?;
                }
            }
        }
        if self.inner.cfg.daily_jobs {
            self.run_daily_jobs().await?;
        }
        Ok(())
    }

    pub(super) async fn run_daily_jobs(&self) -> SResult<()> {
        use chrono::{TimeZone, Timelike};
        let now = self.now();
        let local = chrono::Utc
            .timestamp_millis_opt(now)
            .single()
            .unwrap_or_else(chrono::Utc::now)
            .with_timezone(&chrono_tz::Europe::Belgrade);
        let today = local.date_naive();
        let minutes = local.hour() * 60 + local.minute();
        let due = |name: &str, from: u32, to: u32| -> bool {
            if minutes < from || minutes >= to {
                return false;
            }
            let mut m = self.inner.daily.lock().unwrap_or_else(|p| p.into_inner());
            if m.get(name) == Some(&today) {
                return false;
            }
            m.insert(name.to_string(), today);
            true
        };
        if due("sweep", 6 * 60, 24 * 60) {
            for t in self.inner.db.tenants().await? {
                if let Some(y) = today.checked_sub_days(Days::new(1)) {
                    let _ = self.sweep_changes(t.id, y).await;
                }
            }
        }
        if due("health", 6 * 60 + 30, 7 * 60 + 30) {
            for t in self.inner.db.tenants().await? {
                if let Some(rec) = self.inner.db.current_key(t.id).await?
                    && rec.state == KeyState::Active
                {
                    let _ = self.recheck_key(&t, &rec).await;
                }
            }
        }
        if due("subscribe", 20 * 60, 23 * 60 + 30) {
            for t in self.inner.db.tenants().await? {
                let _ = self.subscribe(t.id).await;
            }
        }
        Ok(())
    }

    /// Reconciles an `accepted_ids_unknown` document (§8.4): lists the tenant's sales ids for
    /// each day with an attempt, downloads unknown ones and matches the invoice number. Returns
    /// whether the ids were found.
    pub async fn reconcile(&self, tenant_id: i64, doc_id: i64) -> SResult<bool> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self.stored_document(tenant_id, doc_id).await?;
        if doc.state != DocState::AcceptedIdsUnknown {
            return Ok(doc.state == DocState::InSef);
        }
        let key = self.usable_key(&tenant).await?;
        let gw = self.gateway(&tenant.environment)?.clone();
        let known = self.inner.db.known_sales_ids(tenant_id).await?;
        let mut seen = std::collections::HashSet::new();
        for day in self
            .inner
            .db
            .attempt_days_of_document(tenant_id, doc_id)
            .await?
        {
            let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
                continue;
            };
            let to = d.checked_add_days(Days::new(1)).unwrap_or(d);
            for status in RECONCILE_STATUSES {
                let ids = match gw
                    .sales_ids(&self.auth(&key.key, &key.fingerprint, true), status, d, to)
                    .await
                {
                    Ok(ids) => ids,
                    Err(e) => {
                        self.on_key_error(&tenant, &key, &e).await?;
                        return Ok(false);
                    }
                };
                for id in ids {
                    if known.contains(&id) || !seen.insert(id) {
                        continue;
                    }
                    let Ok(dl) = gw
                        .sales_xml(&self.auth(&key.key, &key.fingerprint, true), id)
                        .await
                    else {
                        continue;
                    };
                    let ubl = dl.ubl.clone();
                    let Ok(s) = self.with_tools(move |t| t.summarize(&ubl)).await? else {
                        continue;
                    };
                    if s.number == doc.number {
                        let now = self.now();
                        self.inner
                            .db
                            .mark_in_sef(
                                tenant_id,
                                doc_id,
                                None,
                                id,
                                dl.purchase_invoice_id,
                                None,
                                status,
                                now,
                            )
                            .await?;
                        self.inner
                            .db
                            .set_sef_status(tenant_id, doc_id, status, None, None, now)
                            .await?;
                        self.inner
                            .db
                            .audit(
                                Some(tenant_id),
                                "system",
                                "document_reconciled",
                                None,
                                Some(&format!("{} SalesInvoiceId={id}", doc.number)),
                                now,
                            )
                            .await?;
                        tracing::info!(
                            tenant = tenant_id,
                            document = doc_id,
                            sales_invoice_id = id,
                            "reconciled"
                        );
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    /// Re-wraps every data key under the current master key and refreshes fingerprints
    /// (§4.2 rotation). Returns the number of records changed.
    pub async fn rotate_master_key(&self) -> SResult<usize> {
        let mut n = 0;
        for (rec, env) in self.inner.db.sealed_keys().await? {
            let Some(sealed) = rec.sealed.as_ref() else {
                continue;
            };
            if let Some(new) = self
                .inner
                .ring
                .rewrap(rec.tenant_id, &env, rec.version, sealed)?
            {
                let key = self
                    .inner
                    .ring
                    .open_key(rec.tenant_id, &env, rec.version, &new)?;
                let fp = self.inner.ring.fingerprint(&key);
                self.inner.db.update_sealed(rec.id, &new, &fp).await?;
                n += 1;
            }
        }
        if n > 0 {
            self.inner
                .db
                .audit(
                    None,
                    "operator",
                    "master_key_rotated",
                    None,
                    Some(&format!("{n} data keys re-wrapped")),
                    self.now(),
                )
                .await?;
        }
        Ok(n)
    }

    /// Runs the sender and the background loop until `shutdown` resolves.
    pub async fn run_workers(&self, shutdown: impl std::future::Future<Output = ()> + Send) {
        let s = self.clone();
        let sender = async move {
            loop {
                let n = s.run_sender_once().await;
                if n == 0 {
                    tokio::select! {
                        _ = s.inner.wake.notified() => {}
                        _ = tokio::time::sleep(s.inner.cfg.tick) => {}
                    }
                }
            }
        };
        let b = self.clone();
        let background = async move {
            loop {
                if let Err(e) = b.run_background_once().await {
                    tracing::error!(error = %e, "background pass failed");
                }
                tokio::time::sleep(b.inner.cfg.tick.max(Duration::from_millis(500))).await;
            }
        };
        tokio::select! {
            _ = shutdown => {}
            _ = sender => {}
            _ = background => {}
        }
    }
}
