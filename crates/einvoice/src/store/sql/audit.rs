//! Notifications to tenants and the audit trail. (SQL)

use sqlx::Row;

use crate::model::{AuditEntry, Notification};
use crate::store::audit::AuditStore;
use crate::store::error::StoreFuture;

use super::SqlStore;

impl AuditStore for SqlStore {
    fn notify<'a>(
        &'a self,
        tenant_id: i64,
        message_id: &'a str,
        recipient: Option<&'a str>,
        body: &'a str,
        dedup_key: &'a str,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let r = sqlx::query(
                "INSERT INTO notifications (tenant_id, message_id, recipient, body, dedup_key, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedup_key) DO NOTHING",
            )
            .bind(tenant_id)
            .bind(message_id)
            .bind(recipient.map(str::to_string))
            .bind(body)
            .bind(dedup_key)
            .bind(now)
            .execute(&self.pool)
            .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    fn notifications(&self, tenant_id: i64) -> StoreFuture<'_, Vec<Notification>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT message_id, recipient, body, created_at FROM notifications WHERE tenant_id = $1 ORDER BY id")
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(Notification {
                        message_id: r.try_get("message_id")?,
                        recipient: r.try_get("recipient")?,
                        body: r.try_get("body")?,
                        created_at: r.try_get("created_at")?,
                    })
                })
                .collect()
        })
    }

    fn audit<'a>(
        &'a self,
        tenant_id: Option<i64>,
        actor: &'a str,
        action: &'a str,
        key_last_four: Option<&'a str>,
        detail: Option<&'a str>,
        now: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query("INSERT INTO audit (at, tenant_id, actor, action, key_last_four, detail) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(now)
                .bind(tenant_id)
                .bind(actor)
                .bind(action)
                .bind(key_last_four.map(str::to_string))
                .bind(detail.map(str::to_string))
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn audit_entries(&self, tenant_id: i64) -> StoreFuture<'_, Vec<AuditEntry>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT at, actor, action, key_last_four, detail FROM audit WHERE tenant_id = $1 ORDER BY id")
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditEntry {
                        at: r.try_get("at")?,
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        key_last_four: r.try_get("key_last_four")?,
                        detail: r.try_get("detail")?,
                    })
                })
                .collect()
        })
    }
}
