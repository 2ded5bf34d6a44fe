//! SEF status events (§9.1–§9.3): callback subscriptions, the daily sweep of changes and the callbacks SEF sends.

use chrono::{Days, NaiveDate};

use crate::gateway::ChangeEvent;
use crate::messages::MessageId;
use crate::model::Tenant;
use crate::store::NewEvent;

use super::base::Service;
use super::error::{SResult, ServiceError};

impl Service {
    /// Subscribes a tenant to SEF callbacks for tomorrow (§9.1). Returns the subscription key.
    pub async fn subscribe(&self, tenant_id: i64) -> SResult<String> {
        let tenant = self.tenant(tenant_id).await?;
        let key = self.usable_key(&tenant).await?;
        let gw = self.gateway(&tenant.environment)?.clone();
        match gw
            .subscribe(&self.auth(&key.key, &key.fingerprint, true))
            .await
        {
            Ok(sk) => {
                let tomorrow = self
                    .today()
                    .checked_add_days(Days::new(1))
                    .unwrap_or(self.today());
                self.inner
                    .db
                    .store_subscription(
                        tenant_id,
                        &tomorrow.to_string(),
                        sk.trim_matches('"'),
                        self.now(),
                    )
                    .await?;
                Ok(sk)
            }
            Err(e) => {
                self.on_key_error(&tenant, &key, &e).await?;
                Err(ServiceError::msg(MessageId::Unavailable, &[]))
            }
        }
    }

    /// Stores a subscription key valid on a day (tests, and operators copying a key).
    pub async fn store_subscription(
        &self,
        tenant_id: i64,
        valid_for: NaiveDate,
        key: &str,
    ) -> SResult<()> {
        Ok(self
            .inner
            .db
            .store_subscription(tenant_id, &valid_for.to_string(), key, self.now())
            .await?)
    }

    /// The daily sweep for one day (§9.3): stores the day's events idempotently and applies them
    /// in `EventId` order without moving a status backwards. Returns the number of new events.
    pub async fn sweep_changes(&self, tenant_id: i64, date: NaiveDate) -> SResult<usize> {
        let tenant = self.tenant(tenant_id).await?;
        let key = self.usable_key(&tenant).await?;
        let gw = self.gateway(&tenant.environment)?.clone();
        let mut events = match gw
            .sales_changes(&self.auth(&key.key, &key.fingerprint, true), date)
            .await
        {
            Ok(e) => e,
            Err(e) => {
                self.on_key_error(&tenant, &key, &e).await?;
                return Err(ServiceError::msg(MessageId::Unavailable, &[]));
            }
        };
        events.sort_by_key(|e| e.event_id);
        let mut new = 0;
        for e in events {
            if self.store_event(&tenant, &e, "changes").await? {
                new += 1;
                if let Some(doc) = self
                    .inner
                    .db
                    .document_by_sales_id(tenant_id, e.sales_invoice_id)
                    .await?
                {
                    self.apply_status(
                        &tenant,
                        &doc,
                        &e.new_status,
                        e.comment.as_deref(),
                        None,
                        false,
                    )
                    .await?;
                }
            }
        }
        Ok(new)
    }

    pub(super) async fn store_event(
        &self,
        tenant: &Tenant,
        e: &ChangeEvent,
        source: &str,
    ) -> SResult<bool> {
        Ok(self
            .inner
            .db
            .insert_event(
                tenant.id,
                &NewEvent {
                    direction: "sales".into(),
                    event_id: e.event_id,
                    sef_document_id: e.sales_invoice_id,
                    new_status: e.new_status.clone(),
                    comment: e.comment.clone(),
                    event_date: e.date.clone(),
                    source: source.into(),
                },
                self.now(),
            )
            .await?)
    }

    /// Handles a SEF callback (§9.2): one object or an array of events. Events with an unknown
    /// subscription key are ignored; known ones are stored (deduplicated by `EventId`) and a
    /// status read is queued. Never calls SEF. Returns the number of accepted events.
    pub async fn handle_callback(&self, callback_token: &str, body: &[u8]) -> SResult<usize> {
        let Some(tenant) = self
            .inner
            .db
            .tenant_by_callback_token(callback_token)
            .await?
        else {
            return Err(ServiceError::NotFound);
        };
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
            ServiceError::refused("Telo poziva nije JSON.", "The callback body is not JSON.")
        })?;
        let items: Vec<serde_json::Value> = match v {
            serde_json::Value::Array(a) => a,
            o => vec![o],
        };
        let today = self.today();
        let days: Vec<String> = [Some(today), today.checked_sub_days(Days::new(1))]
            .into_iter()
            .flatten()
            .map(|d| d.to_string())
            .collect();
        let keys = self.inner.db.subscription_keys(tenant.id, &days).await?;
        let mut accepted = 0;
        for it in items {
            let Some(e) = parse_change_event(&it) else {
                continue;
            };
            let Some(sk) = e.subscription_key.as_deref() else {
                continue;
            };
            if !keys.iter().any(|k| crate::crypto::ct_eq(k, sk)) {
                tracing::info!(
                    tenant = tenant.id,
                    "callback with an unknown subscription key ignored"
                );
                continue;
            }
            self.store_event(&tenant, &e, "callback").await?;
            self.inner
                .db
                .enqueue_status_read(tenant.id, e.sales_invoice_id, self.now())
                .await?;
            accepted += 1;
        }
        Ok(accepted)
    }
}

/// Parses a change event / callback object (field names case-insensitive).
pub fn parse_change_event(v: &serde_json::Value) -> Option<ChangeEvent> {
    let o = v.as_object()?;
    let get = |name: &str| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let int = |name: &str| {
        get(name).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let text = |name: &str| get(name).and_then(|v| v.as_str()).map(str::to_string);
    Some(ChangeEvent {
        event_id: int("EventId")?,
        date: text("Date"),
        new_status: text("NewInvoiceStatus")?,
        sales_invoice_id: int("SalesInvoiceId")?,
        comment: text("Comment"),
        subscription_key: text("SubscriptionKey"),
    })
}
