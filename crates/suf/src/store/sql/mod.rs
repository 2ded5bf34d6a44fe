//! [`Store`] on SQLite or PostgreSQL through one `AnyPool`, with the same SQL (`$n`
//! parameters work on both): `rows` maps rows to records, `group` is the receipt writer that
//! stores concurrent receipts in one transaction.

use fiskal_storage::{DatabaseUrl, LegacyVersion, Migrations, PoolConfig, Step};
use sqlx::{AnyPool, Row};

use super::{
    AdminChange, AuditRecord, Backend, CommandRecord, InsertOutcome, ReceiptRecord, SeRecord,
    Store, StoreError,
};

mod group;
mod rows;

use group::{ReceiptJob, WRITE_QUEUE, receipt_writer};
use rows::{RECEIPT_COLS, audit_row, command_row, insert_command, pair_row, receipt_row, se_row};

/// [`Store`] on SQLite or PostgreSQL.
///
/// Receipts are written by group commit: concurrent [`Store::insert_receipt`] calls are queued
/// to one writer task, which stores every waiting receipt in one transaction (one fsync) and
/// answers each caller only after the commit.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    receipts: tokio::sync::mpsc::Sender<ReceiptJob>,
}

/// The SUF store's schema steps (`migrations/{sqlite,postgres}`); never edit a released step,
/// add one.
pub const MIGRATIONS: Migrations = Migrations {
    store: "SUF store",
    table: "_fiskal_migrations_suf",
    sqlite: &[Step {
        version: 1,
        description: "initial",
        sql: include_str!("../../../migrations/sqlite/0001_initial.sql"),
    }],
    postgres: &[Step {
        version: 1,
        description: "initial",
        sql: include_str!("../../../migrations/postgres/0001_initial.sql"),
    }],
    legacy: LegacyVersion::None,
    legacy_known: 0,
};

impl SqlStore {
    /// Connects to `url` (`sqlite://PATH` — created if missing — or `postgres://...`) and brings
    /// the schema up to date ([`MIGRATIONS`]; a store of fiskal 0.1 is adopted as it is, one of
    /// a newer fiskal refused). `pg_schema`, for PostgreSQL only, puts the tables in that schema
    /// (created if missing).
    pub async fn connect(url: &str, pg_schema: Option<&str>) -> Result<SqlStore, StoreError> {
        let url = DatabaseUrl::parse(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        let backend = url.backend();
        let cfg = PoolConfig {
            schema: pg_schema.map(str::to_string),
            ..PoolConfig::default()
        };
        let pool = fiskal_storage::open_any(&url, &cfg, &MIGRATIONS).await?;
        let (receipts, jobs) = tokio::sync::mpsc::channel(WRITE_QUEUE);
        tokio::spawn(receipt_writer(pool.clone(), backend, jobs));
        Ok(SqlStore {
            pool,
            backend,
            receipts,
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Store for SqlStore {
    async fn put_se(&self, se: &SeRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO suf_se (uid, tin, certificate, revoked_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (uid) DO UPDATE SET tin = excluded.tin, certificate = excluded.certificate",
        )
        .bind(&se.uid)
        .bind(&se.tin)
        .bind(se.certificate.clone())
        .bind(se.revoked_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_se(&self, uid: &str) -> Result<Option<SeRecord>, StoreError> {
        let r =
            sqlx::query("SELECT uid, tin, certificate, revoked_at_ms FROM suf_se WHERE uid = $1")
                .bind(uid)
                .fetch_optional(&self.pool)
                .await?;
        Ok(r.as_ref().map(se_row).transpose()?)
    }

    async fn revoke_se(&self, uid: &str, at_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE suf_se SET revoked_at_ms = $1 WHERE uid = $2 AND revoked_at_ms IS NULL",
        )
        .bind(at_ms)
        .bind(uid)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0 || self.get_se(uid).await?.is_some())
    }

    async fn put_token(&self, token: &str, uid: &str, expires_ms: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO suf_token (token, uid, expires_ms) VALUES ($1, $2, $3)")
            .bind(token)
            .bind(uid)
            .bind(expires_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn token_of(&self, uid: &str, now_ms: i64) -> Result<Option<(String, i64)>, StoreError> {
        let r = sqlx::query(
            "SELECT token, expires_ms FROM suf_token WHERE uid = $1 AND expires_ms > $2 ORDER BY expires_ms DESC LIMIT 1",
        )
        .bind(uid)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.as_ref().map(pair_row).transpose()?)
    }

    async fn token_uid(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Option<(String, i64)>, StoreError> {
        let r = sqlx::query(
            "SELECT uid, expires_ms FROM suf_token WHERE token = $1 AND expires_ms > $2",
        )
        .bind(token)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.as_ref().map(pair_row).transpose()?)
    }

    async fn insert_receipt(&self, r: &ReceiptRecord) -> Result<InsertOutcome, StoreError> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.receipts
            .send((r.clone(), reply))
            .await
            .map_err(|_| StoreError::GroupWrite("the receipt writer has stopped".into()))?;
        outcome
            .await
            .map_err(|_| StoreError::GroupWrite("the receipt writer has stopped".into()))?
    }

    async fn receipt(&self, invoice_number: &str) -> Result<Option<ReceiptRecord>, StoreError> {
        let q = format!("SELECT {RECEIPT_COLS} FROM suf_receipt WHERE invoice_number = $1");
        let r = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(invoice_number)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.as_ref().map(receipt_row).transpose()?)
    }

    async fn receipt_at(
        &self,
        uid: &str,
        total_counter: u32,
    ) -> Result<Option<ReceiptRecord>, StoreError> {
        let q = format!(
            "SELECT {RECEIPT_COLS} FROM suf_receipt WHERE signed_by = $1 AND total_counter = $2"
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(uid)
            .bind(i64::from(total_counter))
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.as_ref().map(receipt_row).transpose()?)
    }

    async fn count_range(&self, uid: &str, from: u32, to: u32) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) FROM suf_receipt WHERE signed_by = $1 AND total_counter >= $2 AND total_counter <= $3",
        )
        .bind(uid)
        .bind(i64::from(from))
        .bind(i64::from(to))
        .fetch_one(&self.pool)
        .await?;
        Ok(r.try_get::<i64, _>(0)? as u64)
    }

    async fn put_audit(&self, a: &AuditRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO suf_audit (uid, audit_seq, arp, total_counter, sum_at_start, limit_amount, requested_ms, poa) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(&a.uid)
        .bind(i64::from(a.audit_seq))
        .bind(a.arp.clone())
        .bind(i64::from(a.total_counter))
        .bind(a.sum)
        .bind(a.limit)
        .bind(a.requested_ms)
        .bind(a.poa.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn open_audits(&self, uid: &str) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT uid, audit_seq, arp, total_counter, sum_at_start, limit_amount, requested_ms, poa FROM suf_audit \
             WHERE uid = $1 AND poa IS NULL ORDER BY audit_seq",
        )
        .bind(uid)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(audit_row).collect::<Result<_, _>>()?)
    }

    async fn set_poa(
        &self,
        uid: &str,
        audit_seq: u32,
        poa: &[u8],
        command: &CommandRecord,
        forced_by: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE suf_audit SET poa = $1 WHERE uid = $2 AND audit_seq = $3 AND poa IS NULL",
        )
        .bind(poa.to_vec())
        .bind(uid)
        .bind(i64::from(audit_seq))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_command(&mut *tx, command).await?;
        if let Some(operator) = forced_by {
            sqlx::query(
                "INSERT INTO suf_forced_proof (uid, audit_seq, operator, forced_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind(uid)
            .bind(i64::from(audit_seq))
            .bind(operator)
            .bind(command.created_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn last_proof_counter(&self, uid: &str) -> Result<u32, StoreError> {
        let r = sqlx::query(
            "SELECT MAX(total_counter) FROM suf_audit WHERE uid = $1 AND poa IS NOT NULL",
        )
        .bind(uid)
        .fetch_one(&self.pool)
        .await?;
        Ok(r.try_get::<Option<i64>, _>(0)?.unwrap_or(0) as u32)
    }

    async fn add_command(&self, c: &CommandRecord) -> Result<(), StoreError> {
        insert_command(&self.pool, c).await?;
        Ok(())
    }

    async fn pending_commands(&self, uid: &str) -> Result<Vec<CommandRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT command_id, uid, command_type, payload, created_ms, success FROM suf_command \
             WHERE uid = $1 AND success IS NULL ORDER BY created_ms, command_id",
        )
        .bind(uid)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(command_row).collect()
    }

    async fn complete_command(
        &self,
        uid: &str,
        command_id: &str,
        success: bool,
    ) -> Result<bool, StoreError> {
        sqlx::query("UPDATE suf_command SET success = $1 WHERE uid = $2 AND command_id = $3 AND success IS NULL")
            .bind(i64::from(success))
            .bind(uid)
            .bind(command_id)
            .execute(&self.pool)
            .await?;
        let r = sqlx::query("SELECT COUNT(*) FROM suf_command WHERE uid = $1 AND command_id = $2")
            .bind(uid)
            .bind(command_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get::<i64, _>(0)? > 0)
    }

    async fn command_history(
        &self,
        uid: &str,
        limit: u32,
    ) -> Result<Vec<CommandRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT command_id, uid, command_type, payload, created_ms, success FROM suf_command \
             WHERE uid = $1 ORDER BY created_ms DESC, command_id DESC LIMIT $2",
        )
        .bind(uid)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(command_row).collect()
    }

    async fn list_se(&self) -> Result<Vec<SeRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT uid, tin, certificate, revoked_at_ms FROM suf_se ORDER BY uid")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(se_row).collect::<Result<_, _>>()?)
    }

    async fn tax_groups(&self) -> Result<Vec<(u32, String)>, StoreError> {
        let rows = sqlx::query("SELECT group_id, group_json FROM suf_tax_group ORDER BY group_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)? as u32, r.try_get(1)?)))
            .collect()
    }

    async fn settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT name, value FROM suf_setting ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    async fn apply_admin_change(&self, change: &AdminChange) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some((id, json)) = &change.tax_group {
            let done = sqlx::query(
                "INSERT INTO suf_tax_group (group_id, group_json, created_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(i64::from(*id))
            .bind(json)
            .bind(change.at_ms)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        if let (Some((name, value)), Some(expected)) = (&change.setting, &change.setting_expected) {
            let done = match expected {
                Some(old) => {
                    sqlx::query(
                        "UPDATE suf_setting SET value = $1, changed_ms = $2 WHERE name = $3 AND value = $4",
                    )
                    .bind(value)
                    .bind(change.at_ms)
                    .bind(name)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?
                }
                None => {
                    sqlx::query(
                        "INSERT INTO suf_setting (name, value, changed_ms) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(name)
                    .bind(value)
                    .bind(change.at_ms)
                    .execute(&mut *tx)
                    .await?
                }
            };
            if done.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
        } else if let Some((name, value)) = &change.setting {
            sqlx::query(
                "INSERT INTO suf_setting (name, value, changed_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_ms = excluded.changed_ms",
            )
            .bind(name)
            .bind(value)
            .bind(change.at_ms)
            .execute(&mut *tx)
            .await?;
        }
        for c in &change.commands {
            insert_command(&mut *tx, c).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
