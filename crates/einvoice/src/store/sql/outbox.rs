//! The outbox: claiming due items with a lease, send attempts and the end of an item. (SQL)

use sqlx::Row;

use crate::model::{DocState, SendAttempt};
use crate::store::error::StoreFuture;
use crate::store::outbox::OutboxStore;
use crate::store::records::OutboxItem;

use super::SqlStore;
use super::rows::{error_columns, outbox_item_from_row};

impl OutboxStore for SqlStore {
    fn tenants_with_due_work(&self, now: i64) -> StoreFuture<'_, Vec<i64>> {
        Box::pin(async move {
            Ok(sqlx::query_scalar(
                "SELECT o.tenant_id FROM outbox o JOIN documents d ON d.id = o.document_id \
                 WHERE o.done_at IS NULL AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until < $1) AND d.state IN ('queued', 'sending') \
                 GROUP BY o.tenant_id ORDER BY MIN(o.id)",
            )
            .bind(now)
            .fetch_all(&self.pool)
            .await?)
        })
    }

    fn claim_next<'a>(
        &'a self,
        tenant_id: i64,
        owner: &'a str,
        lease_ms: i64,
        now: i64,
    ) -> StoreFuture<'a, Option<OutboxItem>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT o.id FROM outbox o JOIN documents d ON d.id = o.document_id WHERE o.tenant_id = $1 AND o.done_at IS NULL AND d.state IN ('queued', 'sending') ORDER BY o.id LIMIT 1",
            )
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let id: i64 = row.try_get("id")?;
            let r = sqlx::query(
                "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE id = $3 AND done_at IS NULL AND next_attempt_at <= $4 AND (lease_until IS NULL OR lease_until < $4)",
            )
            .bind(owner)
            .bind(now + lease_ms)
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
            if r.rows_affected() != 1 {
                return Ok(None);
            }
            let r = sqlx::query("SELECT id, tenant_id, document_id, version_id, request_id, attempts, attempt_days FROM outbox WHERE id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
            Ok(Some(outbox_item_from_row(&r)?))
        })
    }

    fn release(&self, outbox_id: i64, next_attempt_at: i64) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("UPDATE outbox SET lease_owner = NULL, lease_until = NULL, next_attempt_at = $1 WHERE id = $2")
                .bind(next_attempt_at)
                .bind(outbox_id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn start_attempt<'a>(
        &'a self,
        item: &'a OutboxItem,
        day: &'a str,
        now: i64,
    ) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let attempt_no = item.attempts + 1;
            let days = if item.attempt_days.split(',').any(|d| d == day) {
                item.attempt_days.clone()
            } else if item.attempt_days.is_empty() {
                day.to_string()
            } else {
                format!("{},{day}", item.attempt_days)
            };
            sqlx::query("UPDATE outbox SET attempts = $1, attempt_days = $2 WHERE id = $3")
                .bind(attempt_no)
                .bind(&days)
                .bind(item.id)
                .execute(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar("INSERT INTO send_attempts (tenant_id, version_id, attempt_no, started_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(item.tenant_id)
                .bind(item.version_id)
                .bind(attempt_no)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("UPDATE documents SET state = 'sending', updated_at = $1 WHERE id = $2 AND tenant_id = $3 AND state = 'queued'")
                .bind(now)
                .bind(item.document_id)
                .bind(item.tenant_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_attempt<'a>(
        &'a self,
        attempt_id: i64,
        outcome: &'a str,
        http_status: Option<i64>,
        sef_version: Option<&'a str>,
        error: Option<(&'a str, Option<&'a str>, Option<&'a str>)>,
        started_at: i64,
        now: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (code, field, msg) = error_columns(error);
            sqlx::query(
                "UPDATE send_attempts SET finished_at = $1, outcome = $2, http_status = $3, sef_version = $4, error_code = $5, error_field = $6, error_message = $7, duration_ms = $8 WHERE id = $9",
            )
            .bind(now)
            .bind(outcome)
            .bind(http_status)
            .bind(sef_version.map(str::to_string))
            .bind(code)
            .bind(field)
            .bind(msg)
            .bind(now - started_at)
            .bind(attempt_id)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn may_have_reached_sef(&self, tenant_id: i64, version_id: i64) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM send_attempts WHERE tenant_id = $1 AND version_id = $2 AND (outcome IS NULL OR outcome NOT IN ('rejected', 'unauthorized', 'rate_limited'))",
            )
            .bind(tenant_id)
            .bind(version_id)
            .fetch_one(&self.pool)
            .await?;
            Ok(n > 0)
        })
    }

    fn earlier_version_may_have_reached(
        &self,
        tenant_id: i64,
        doc_id: i64,
        version_id: i64,
    ) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM send_attempts a JOIN document_versions v ON v.id = a.version_id \
                 WHERE a.tenant_id = $1 AND v.document_id = $2 AND v.id <> $3 AND (a.outcome IS NULL OR a.outcome NOT IN ('rejected', 'unauthorized', 'rate_limited'))",
            )
            .bind(tenant_id)
            .bind(doc_id)
            .bind(version_id)
            .fetch_one(&self.pool)
            .await?;
            Ok(n > 0)
        })
    }

    fn attempts(&self, tenant_id: i64, doc_id: i64) -> StoreFuture<'_, Vec<SendAttempt>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT a.attempt_no, a.started_at, a.finished_at, a.http_status, a.outcome, a.error_code FROM send_attempts a JOIN document_versions v ON v.id = a.version_id \
                 WHERE a.tenant_id = $1 AND v.document_id = $2 ORDER BY a.id",
            )
            .bind(tenant_id)
            .bind(doc_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(SendAttempt {
                        attempt_no: r.try_get("attempt_no")?,
                        started_at: r.try_get("started_at")?,
                        finished_at: r.try_get("finished_at")?,
                        http_status: r.try_get("http_status")?,
                        outcome: r.try_get("outcome")?,
                        error_code: r.try_get("error_code")?,
                    })
                })
                .collect()
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn mark_in_sef<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        outbox_id: Option<i64>,
        sales: i64,
        purchase: Option<i64>,
        invoice: Option<i64>,
        sef_status: &'a str,
        now: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "UPDATE documents SET state = 'in_sef', prev_state = NULL, sef_sales_id = $1, sef_purchase_id = $2, sef_invoice_id = $3, sef_status = COALESCE(sef_status, $4), \
                 error_code = NULL, error_field = NULL, error_message = NULL, accepted_at = $5, updated_at = $5 WHERE id = $6 AND tenant_id = $7",
            )
            .bind(sales)
            .bind(purchase)
            .bind(invoice)
            .bind(sef_status)
            .bind(now)
            .bind(doc_id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
            if let Some(o) = outbox_id {
                sqlx::query("UPDATE outbox SET done_at = $1, lease_owner = NULL, lease_until = NULL WHERE id = $2").bind(now).bind(o).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_document<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        outbox_id: i64,
        state: DocState,
        error: Option<(&'a str, Option<&'a str>, Option<&'a str>)>,
        now: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let (code, field, msg) = error_columns(error);
            sqlx::query("UPDATE documents SET state = $1, prev_state = NULL, error_code = $2, error_field = $3, error_message = $4, updated_at = $5 WHERE id = $6 AND tenant_id = $7")
                .bind(state.as_str())
                .bind(code)
                .bind(field)
                .bind(msg)
                .bind(now)
                .bind(doc_id)
                .bind(tenant_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE outbox SET done_at = $1, lease_owner = NULL, lease_until = NULL WHERE id = $2",
            )
            .bind(now)
            .bind(outbox_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn note_transient_error<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        code: &'a str,
        message: &'a str,
        now: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query("UPDATE documents SET error_code = $1, error_message = $2, error_field = NULL, updated_at = $3 WHERE id = $4 AND tenant_id = $5")
                .bind(code)
                .bind(message)
                .bind(now)
                .bind(doc_id)
                .bind(tenant_id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn open_items(&self, tenant_id: i64) -> StoreFuture<'_, Vec<(OutboxItem, String)>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT o.id, o.tenant_id, o.document_id, o.version_id, o.request_id, o.attempts, o.attempt_days, v.issue_date FROM outbox o JOIN document_versions v ON v.id = o.version_id \
                 WHERE o.tenant_id = $1 AND o.done_at IS NULL ORDER BY o.id",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| Ok((outbox_item_from_row(r)?, r.try_get("issue_date")?)))
                .collect()
        })
    }

    fn attempt_days_of_document(
        &self,
        tenant_id: i64,
        doc_id: i64,
    ) -> StoreFuture<'_, Vec<String>> {
        Box::pin(async move {
            let rows: Vec<String> = sqlx::query_scalar(
                "SELECT attempt_days FROM outbox WHERE tenant_id = $1 AND document_id = $2",
            )
            .bind(tenant_id)
            .bind(doc_id)
            .fetch_all(&self.pool)
            .await?;
            let mut days: Vec<String> = rows
                .iter()
                .flat_map(|s| s.split(','))
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect();
            days.sort();
            days.dedup();
            Ok(days)
        })
    }
}
