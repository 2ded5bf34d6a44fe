//! SEF status events, queued status reads and callback subscriptions. (SQL)

use sqlx::Row;

use crate::store::error::StoreFuture;
use crate::store::events::EventStore;
use crate::store::records::NewEvent;

use super::SqlStore;

impl EventStore for SqlStore {
    fn insert_event<'a>(
        &'a self,
        tenant_id: i64,
        e: &'a NewEvent,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let r = sqlx::query(
                "INSERT INTO sef_events (tenant_id, direction, event_id, sef_document_id, new_status, comment, event_date, source, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (tenant_id, direction, event_id) DO NOTHING",
            )
            .bind(tenant_id)
            .bind(&e.direction)
            .bind(e.event_id)
            .bind(e.sef_document_id)
            .bind(&e.new_status)
            .bind(e.comment.clone())
            .bind(e.event_date.clone())
            .bind(&e.source)
            .bind(now)
            .execute(&self.pool)
            .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    fn event_count(&self, tenant_id: i64) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            Ok(
                sqlx::query_scalar("SELECT COUNT(*) FROM sef_events WHERE tenant_id = $1")
                    .bind(tenant_id)
                    .fetch_one(&self.pool)
                    .await?,
            )
        })
    }

    fn enqueue_status_read(
        &self,
        tenant_id: i64,
        sef_document_id: i64,
        now: i64,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO status_reads (tenant_id, sef_document_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(tenant_id)
            .bind(sef_document_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn pending_status_reads(&self, limit: i64) -> StoreFuture<'_, Vec<(i64, i64, i64)>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT id, tenant_id, sef_document_id FROM status_reads WHERE done_at IS NULL ORDER BY id LIMIT $1")
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get("id")?,
                        r.try_get("tenant_id")?,
                        r.try_get("sef_document_id")?,
                    ))
                })
                .collect()
        })
    }

    fn status_read_done(&self, id: i64, now: i64) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("UPDATE status_reads SET done_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn store_subscription<'a>(
        &'a self,
        tenant_id: i64,
        valid_for: &'a str,
        key: &'a str,
        now: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO subscriptions (tenant_id, valid_for, subscription_key, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, valid_for) DO UPDATE SET subscription_key = excluded.subscription_key",
            )
            .bind(tenant_id)
            .bind(valid_for)
            .bind(key)
            .bind(now)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn subscription_keys<'a>(
        &'a self,
        tenant_id: i64,
        days: &'a [String],
    ) -> StoreFuture<'a, Vec<String>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for d in days {
                let k: Option<String> = sqlx::query_scalar("SELECT subscription_key FROM subscriptions WHERE tenant_id = $1 AND valid_for = $2")
                    .bind(tenant_id)
                    .bind(d)
                    .fetch_optional(&self.pool)
                    .await?;
                out.extend(k);
            }
            Ok(out)
        })
    }
}
