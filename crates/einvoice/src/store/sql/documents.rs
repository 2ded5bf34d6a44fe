//! Documents and their frozen versions: queueing, reading, state changes and SEF status. (SQL)

use sqlx::{Any, Row, Transaction};

use crate::model::{DocState, Document};
use crate::store::documents::DocumentStore;
use crate::store::error::{StoreFuture, StoreResult};
use crate::store::records::{NewDocument, VersionRow};

use super::SqlStore;
use super::rows::{DOC_COLS, doc_from_row, version_from_row};

impl DocumentStore for SqlStore {
    #[allow(clippy::too_many_arguments)]
    fn queue_new_document<'a>(
        &'a self,
        tenant_id: i64,
        doc: &'a NewDocument,
        ubl: &'a [u8],
        sha256: &'a str,
        request_id: &'a str,
        send_to_cir: &'a str,
        now: i64,
    ) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let doc_id: i64 = sqlx::query_scalar(
                "INSERT INTO documents (tenant_id, doc_type, number, issue_date, state, buyer_pib, buyer_name, total, currency, current_version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, 1, $9, $9) RETURNING id",
            )
            .bind(tenant_id)
            .bind(&doc.doc_type)
            .bind(&doc.number)
            .bind(&doc.issue_date)
            .bind(doc.buyer_pib.clone())
            .bind(doc.buyer_name.clone())
            .bind(doc.total.clone())
            .bind(doc.currency.clone())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            insert_version(
                &mut tx,
                tenant_id,
                doc_id,
                1,
                ubl,
                sha256,
                request_id,
                send_to_cir,
                &doc.issue_date,
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(doc_id)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn requeue_new_version<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        expected_states: &'a [DocState],
        ubl: &'a [u8],
        sha256: &'a str,
        request_id: &'a str,
        send_to_cir: &'a str,
        issue_date: &'a str,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let row = sqlx::query(
                "SELECT state, current_version FROM documents WHERE id = $1 AND tenant_id = $2",
            )
            .bind(doc_id)
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { return Ok(false) };
            let state: String = row.try_get("state")?;
            let cur: i64 = row.try_get("current_version")?;
            if !expected_states.iter().any(|s| s.as_str() == state) {
                return Ok(false);
            }
            // Close any open outbox row of the older version.
            sqlx::query("UPDATE outbox SET done_at = $1 WHERE document_id = $2 AND tenant_id = $3 AND done_at IS NULL")
                .bind(now)
                .bind(doc_id)
                .bind(tenant_id)
                .execute(&mut *tx)
                .await?;
            let changed = sqlx::query(
                "UPDATE documents SET state = 'queued', prev_state = NULL, current_version = $1, issue_date = $2, error_code = NULL, error_field = NULL, error_message = NULL, updated_at = $3 \
                 WHERE id = $4 AND tenant_id = $5 AND state = $6 AND current_version = $7",
            )
            .bind(cur + 1)
            .bind(issue_date)
            .bind(now)
            .bind(doc_id)
            .bind(tenant_id)
            .bind(&state)
            .bind(cur)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() != 1 {
                return Ok(false);
            }
            insert_version(
                &mut tx,
                tenant_id,
                doc_id,
                cur + 1,
                ubl,
                sha256,
                request_id,
                send_to_cir,
                issue_date,
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    fn document(&self, tenant_id: i64, doc_id: i64) -> StoreFuture<'_, Option<Document>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT {DOC_COLS} FROM documents d LEFT JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.id = $1 AND d.tenant_id = $2"
            );
            match q!(sql)
                .bind(doc_id)
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?
            {
                Some(r) => Ok(Some(doc_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    fn document_by_sales_id(
        &self,
        tenant_id: i64,
        sales_id: i64,
    ) -> StoreFuture<'_, Option<Document>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT {DOC_COLS} FROM documents d LEFT JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.sef_sales_id = $1 AND d.tenant_id = $2"
            );
            match q!(sql)
                .bind(sales_id)
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?
            {
                Some(r) => Ok(Some(doc_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    fn documents(&self, tenant_id: i64, limit: i64) -> StoreFuture<'_, Vec<Document>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT {DOC_COLS} FROM documents d LEFT JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.tenant_id = $1 ORDER BY d.id DESC LIMIT $2"
            );
            let rows = q!(sql)
                .bind(tenant_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(doc_from_row).collect()
        })
    }

    fn documents_in_state(
        &self,
        tenant_id: i64,
        state: DocState,
    ) -> StoreFuture<'_, Vec<Document>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT {DOC_COLS} FROM documents d LEFT JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.tenant_id = $1 AND d.state = $2 ORDER BY d.id"
            );
            let rows = q!(sql)
                .bind(tenant_id)
                .bind(state.as_str())
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(doc_from_row).collect()
        })
    }

    fn count_in_states<'a>(
        &'a self,
        tenant_id: i64,
        states: &'a [DocState],
    ) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let mut n = 0;
            for s in states {
                let c: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM documents WHERE tenant_id = $1 AND state = $2",
                )
                .bind(tenant_id)
                .bind(s.as_str())
                .fetch_one(&self.pool)
                .await?;
                n += c;
            }
            Ok(n)
        })
    }

    fn number_used<'a>(&'a self, tenant_id: i64, number: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM documents WHERE tenant_id = $1 AND number = $2",
            )
            .bind(tenant_id)
            .bind(number)
            .fetch_one(&self.pool)
            .await?;
            Ok(n > 0)
        })
    }

    fn current_version(&self, tenant_id: i64, doc_id: i64) -> StoreFuture<'_, Option<VersionRow>> {
        Box::pin(async move {
            let r = sqlx::query(
                "SELECT v.id, v.version, v.ubl, v.sha256, v.request_id, v.send_to_cir, v.issue_date FROM document_versions v JOIN documents d ON d.id = v.document_id AND d.current_version = v.version \
                 WHERE d.id = $1 AND d.tenant_id = $2",
            )
            .bind(doc_id)
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
            r.map(|r| version_from_row(&r)).transpose()
        })
    }

    fn version(&self, tenant_id: i64, version_id: i64) -> StoreFuture<'_, Option<VersionRow>> {
        Box::pin(async move {
            let r = sqlx::query("SELECT id, version, ubl, sha256, request_id, send_to_cir, issue_date FROM document_versions WHERE id = $1 AND tenant_id = $2")
                .bind(version_id)
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?;
            r.map(|r| version_from_row(&r)).transpose()
        })
    }

    fn versions(&self, tenant_id: i64, doc_id: i64) -> StoreFuture<'_, Vec<VersionRow>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT id, version, ubl, sha256, request_id, send_to_cir, issue_date FROM document_versions WHERE document_id = $1 AND tenant_id = $2 ORDER BY version")
                .bind(doc_id)
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(version_from_row).collect()
        })
    }

    fn set_doc_state<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        from: &'a [DocState],
        to: DocState,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            for f in from {
                let r = sqlx::query("UPDATE documents SET state = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4 AND state = $5")
                    .bind(to.as_str())
                    .bind(now)
                    .bind(doc_id)
                    .bind(tenant_id)
                    .bind(f.as_str())
                    .execute(&self.pool)
                    .await?;
                if r.rows_affected() == 1 {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }

    fn block_tenant_documents(&self, tenant_id: i64, now: i64) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let r = sqlx::query(
                "UPDATE documents SET prev_state = state, state = 'blocked_key', updated_at = $1 WHERE tenant_id = $2 AND state IN ('queued', 'sending')",
            )
            .bind(now)
            .bind(tenant_id)
            .execute(&self.pool)
            .await?;
            Ok(r.rows_affected())
        })
    }

    fn unblock_tenant_documents(&self, tenant_id: i64, now: i64) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let r = sqlx::query(
                "UPDATE documents SET state = COALESCE(prev_state, 'queued'), prev_state = NULL, updated_at = $1 WHERE tenant_id = $2 AND state = 'blocked_key'",
            )
            .bind(now)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE outbox SET next_attempt_at = $1 WHERE tenant_id = $2 AND done_at IS NULL",
            )
            .bind(now)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(r.rows_affected())
        })
    }

    fn known_sales_ids(&self, tenant_id: i64) -> StoreFuture<'_, Vec<i64>> {
        Box::pin(async move {
            Ok(sqlx::query_scalar(
                "SELECT sef_sales_id FROM documents WHERE tenant_id = $1 AND sef_sales_id IS NOT NULL",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?)
        })
    }

    fn set_sef_status<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        status: &'a str,
        comment: Option<&'a str>,
        cir_status: Option<&'a str>,
        now: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query("UPDATE documents SET sef_status = $1, sef_comment = COALESCE($2, sef_comment), cir_status = COALESCE($3, cir_status), status_checked_at = $4, updated_at = $4 WHERE id = $5 AND tenant_id = $6")
                .bind(status)
                .bind(comment.map(str::to_string))
                .bind(cir_status.map(str::to_string))
                .bind(now)
                .bind(doc_id)
                .bind(tenant_id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn documents_to_poll(&self, since: i64, read_before: i64) -> StoreFuture<'_, Vec<(i64, i64)>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT tenant_id, id FROM documents WHERE state = 'in_sef' AND sef_status = 'Sending' AND accepted_at >= $1 AND (status_checked_at IS NULL OR status_checked_at < $2) ORDER BY id",
            )
            .bind(since)
            .bind(read_before)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("tenant_id")?, r.try_get("id")?)))
                .collect()
        })
    }
}

/// Inserts a version and its outbox row inside `tx`.
#[allow(clippy::too_many_arguments)]
async fn insert_version(
    tx: &mut Transaction<'static, Any>,
    tenant_id: i64,
    doc_id: i64,
    version: i64,
    ubl: &[u8],
    sha256: &str,
    request_id: &str,
    send_to_cir: &str,
    issue_date: &str,
    now: i64,
) -> StoreResult<i64> {
    let version_id: i64 = sqlx::query_scalar(
            "INSERT INTO document_versions (tenant_id, document_id, version, ubl, sha256, request_id, send_to_cir, issue_date, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(tenant_id)
        .bind(doc_id)
        .bind(version)
        .bind(ubl.to_vec())
        .bind(sha256)
        .bind(request_id)
        .bind(send_to_cir)
        .bind(issue_date)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO outbox (tenant_id, document_id, version_id, request_id, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)")
            .bind(tenant_id)
            .bind(doc_id)
            .bind(version_id)
            .bind(request_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    Ok(version_id)
}
