//! SEF API keys: sealed key versions, their states and checks, and the per-key call-rate window. (SQL)

use fiskal_storage::Backend;
use sqlx::{Any, Row, Transaction};

use crate::crypto::SealedKey;
use crate::model::KeyState;
use crate::store::error::{StoreFuture, StoreResult};
use crate::store::keys::KeyStore;
use crate::store::records::{KeyRecord, NewKey};

use super::SqlStore;
use super::rows::{KEY_COLS, b, key_from_row};

impl KeyStore for SqlStore {
    fn insert_key<'a>(
        &'a self,
        tenant_id: i64,
        key: &'a NewKey<'a>,
        sealed: &'a SealedKey,
        now: i64,
    ) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let id = insert_key_in(&mut tx, tenant_id, key, sealed, now).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    fn current_key(&self, tenant_id: i64) -> StoreFuture<'_, Option<KeyRecord>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT {KEY_COLS} FROM sef_keys WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1"
            );
            match q!(sql).bind(tenant_id).fetch_optional(&self.pool).await? {
                Some(r) => Ok(Some(key_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    fn key_history(&self, tenant_id: i64) -> StoreFuture<'_, Vec<KeyRecord>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT {KEY_COLS} FROM sef_keys WHERE tenant_id = $1 ORDER BY version DESC"
            );
            let rows = q!(sql).bind(tenant_id).fetch_all(&self.pool).await?;
            rows.iter().map(key_from_row).collect()
        })
    }

    fn sealed_keys(&self) -> StoreFuture<'_, Vec<(KeyRecord, String)>> {
        Box::pin(async move {
            let sql = format!(
                "SELECT k.{}, t.environment FROM sef_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.ciphertext IS NOT NULL ORDER BY k.id",
                KEY_COLS.replace(", ", ", k.")
            );
            let rows = q!(sql).fetch_all(&self.pool).await?;
            rows.iter()
                .map(|r| Ok((key_from_row(r)?, r.try_get::<String, _>("environment")?)))
                .collect()
        })
    }

    fn fingerprint_used_elsewhere<'a>(
        &'a self,
        fingerprint: &'a str,
        tenant_id: Option<i64>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sef_keys WHERE fingerprint = $1 AND tenant_id <> $2 AND state <> 'replaced' AND state <> 'rejected'")
                .bind(fingerprint)
                .bind(tenant_id.unwrap_or(-1))
                .fetch_one(&self.pool)
                .await?;
            Ok(n > 0)
        })
    }

    fn update_sealed<'a>(
        &'a self,
        key_id: i64,
        sealed: &'a SealedKey,
        fingerprint: &'a str,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query("UPDATE sef_keys SET wrapped_dek = $1, dek_nonce = $2, master_key_id = $3, fingerprint = $4 WHERE id = $5 AND ciphertext IS NOT NULL")
                .bind(sealed.wrapped_dek.clone())
                .bind(sealed.dek_nonce.clone())
                .bind(&sealed.master_key_id)
                .bind(fingerprint)
                .bind(key_id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn key_success<'a>(
        &'a self,
        key_id: i64,
        sef_version: Option<&'a str>,
        was_check: bool,
        now: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if was_check {
                sqlx::query("UPDATE sef_keys SET last_success_at = $1, last_check_at = $1, last_check_outcome = 'ok', sef_version = COALESCE($2, sef_version) WHERE id = $3")
                    .bind(now)
                    .bind(sef_version.map(str::to_string))
                    .bind(key_id)
                    .execute(&self.pool)
                    .await?;
            } else {
                sqlx::query("UPDATE sef_keys SET last_success_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(key_id)
                    .execute(&self.pool)
                    .await?;
            }
            Ok(())
        })
    }

    fn key_check_failed<'a>(
        &'a self,
        key_id: i64,
        outcome: &'a str,
        now: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "UPDATE sef_keys SET last_check_at = $1, last_check_outcome = $2 WHERE id = $3",
            )
            .bind(now)
            .bind(outcome)
            .bind(key_id)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn set_key_state(
        &self,
        key_id: i64,
        from: KeyState,
        to: KeyState,
        next_recheck_at: Option<i64>,
        got_401: bool,
        now: i64,
    ) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let r = sqlx::query(
                "UPDATE sef_keys SET state = $1, state_changed_at = $2, next_recheck_at = $3, last_401_at = CASE WHEN $4 = 1 THEN $2 ELSE last_401_at END \
                 WHERE id = $5 AND state = $6",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(next_recheck_at)
            .bind(b(got_401))
            .bind(key_id)
            .bind(from.as_str())
            .execute(&self.pool)
            .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    fn set_next_recheck(&self, key_id: i64, at: Option<i64>) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("UPDATE sef_keys SET next_recheck_at = $1 WHERE id = $2")
                .bind(at)
                .bind(key_id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn key_state_changed_at(&self, key_id: i64) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            Ok(
                sqlx::query_scalar("SELECT state_changed_at FROM sef_keys WHERE id = $1")
                    .bind(key_id)
                    .fetch_one(&self.pool)
                    .await?,
            )
        })
    }

    fn keys_due_for_recheck(&self, now: i64) -> StoreFuture<'_, Vec<i64>> {
        Box::pin(async move {
            Ok(sqlx::query_scalar(
                "SELECT tenant_id FROM sef_keys WHERE state IN ('invalid', 'isp_blocked') AND next_recheck_at IS NOT NULL AND next_recheck_at <= $1 ORDER BY next_recheck_at",
            )
            .bind(now)
            .fetch_all(&self.pool)
            .await?)
        })
    }

    fn rate_try_acquire<'a>(
        &'a self,
        fingerprint: &'a str,
        window_ms: i64,
    ) -> StoreFuture<'a, Option<i64>> {
        Box::pin(async move {
            sqlx::query("INSERT INTO rate_windows (fingerprint, s1, s2, s3) VALUES ($1, 0, 0, 0) ON CONFLICT (fingerprint) DO NOTHING")
                .bind(fingerprint)
                .execute(&self.pool)
                .await?;
            let (update, read) = match self.backend {
                Backend::Sqlite => (
                    "UPDATE rate_windows SET s1 = s2, s2 = s3, s3 = CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) \
                     WHERE fingerprint = $1 AND s1 <= CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) - $2",
                    "SELECT s1 + $2 - CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) FROM rate_windows WHERE fingerprint = $1",
                ),
                Backend::Postgres => (
                    "UPDATE rate_windows SET s1 = s2, s2 = s3, s3 = CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) \
                     WHERE fingerprint = $1 AND s1 <= CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) - $2",
                    "SELECT s1 + $2 - CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) FROM rate_windows WHERE fingerprint = $1",
                ),
            };
            let r = sqlx::query(update)
                .bind(fingerprint)
                .bind(window_ms)
                .execute(&self.pool)
                .await?;
            if r.rows_affected() == 1 {
                return Ok(None);
            }
            let wait: i64 = sqlx::query_scalar(read)
                .bind(fingerprint)
                .bind(window_ms)
                .fetch_one(&self.pool)
                .await?;
            Ok(Some(wait.max(1)))
        })
    }
}

/// Inserts a new active key version inside `tx`, marking the previous one `replaced` and deleting
/// its ciphertext (§4.2). Returns the new record id.
pub(super) async fn insert_key_in(
    tx: &mut Transaction<'static, Any>,
    tenant_id: i64,
    key: &NewKey<'_>,
    sealed: &SealedKey,
    now: i64,
) -> StoreResult<i64> {
    sqlx::query(
            "UPDATE sef_keys SET state = 'replaced', replaced_at = $1, state_changed_at = $1, ciphertext = NULL, nonce = NULL, wrapped_dek = NULL, dek_nonce = NULL, next_recheck_at = NULL \
             WHERE tenant_id = $2 AND state <> 'replaced'",
        )
        .bind(now)
        .bind(tenant_id)
        .execute(&mut **tx)
        .await?;
    let id: i64 = sqlx::query_scalar(
            "INSERT INTO sef_keys (tenant_id, version, state, ciphertext, nonce, wrapped_dek, dek_nonce, master_key_id, fingerprint, last_four, created_at, created_by, verified_at, last_success_at, state_changed_at, last_check_at, last_check_outcome, sef_version) \
             VALUES ($1, $2, 'active', $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $10, $10, $10, 'ok', $12) RETURNING id",
        )
        .bind(tenant_id)
        .bind(key.version)
        .bind(sealed.ciphertext.clone())
        .bind(sealed.nonce.clone())
        .bind(sealed.wrapped_dek.clone())
        .bind(sealed.dek_nonce.clone())
        .bind(&sealed.master_key_id)
        .bind(key.fingerprint)
        .bind(key.last_four)
        .bind(now)
        .bind(key.created_by)
        .bind(key.sef_version.map(str::to_string))
        .fetch_one(&mut **tx)
        .await?;
    Ok(id)
}
