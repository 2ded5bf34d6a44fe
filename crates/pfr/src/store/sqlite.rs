//! The journal on SQLite (`DIR/pfr/journal.sqlite`): WAL mode with `synchronous=FULL`, schema in
//! `migrations/sqlite`.

use std::path::Path;

use fiskal_storage::{DatabaseUrl, LegacyVersion, Migrations, PoolConfig, Step};
use sqlx::{Row, SqlitePool};

use super::{
    Journal, JournalError, JournalFuture, NewReceipt, PendingRow, StoredReceipt, entry_hash,
};

macro_rules! cols {
    () => {
        "total_counter, invoice_number, request_id, request_json, result_json, se_output, hash"
    };
}

/// The journal's schema steps (`migrations/sqlite`); never edit a released step, add one.
pub const MIGRATIONS: Migrations = Migrations {
    store: "L-PFR journal",
    table: "_fiskal_migrations_journal",
    sqlite: &[Step {
        version: 1,
        description: "initial",
        sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
    }],
    postgres: &[],
    legacy: LegacyVersion::Table {
        table: "schema_version",
        column: "version",
    },
    legacy_known: 1,
};

/// The journal on SQLite.
#[derive(Clone)]
pub struct SqliteJournal {
    pool: SqlitePool,
}

impl SqliteJournal {
    /// Opens (creating if needed) the journal at `path` and brings its schema up to date
    /// ([`MIGRATIONS`]; a journal of fiskal 0.1 is adopted as it is, one of a newer fiskal
    /// refused).
    pub async fn open(path: &Path) -> Result<SqliteJournal, JournalError> {
        let pool = fiskal_storage::open_sqlite(
            &DatabaseUrl::sqlite_file(path),
            &PoolConfig::with_max_connections(4),
            &MIGRATIONS,
        )
        .await?;
        Ok(SqliteJournal { pool })
    }

    async fn record_pending_rows(
        &self,
        rows: Vec<PendingRow>,
    ) -> Result<Vec<PendingRow>, JournalError> {
        if rows.is_empty() {
            return Ok(rows);
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO pending (request_id, request_json, sdc_time_ms, lang) ",
        );
        qb.push_values(&rows, |mut b, r| {
            b.push_bind(r.request_id.clone())
                .push_bind(r.request_json.clone())
                .push_bind(r.sdc_time_ms)
                .push_bind(r.lang.clone());
        });
        let done = qb.build().execute(&mut *tx).await?;
        tx.commit().await?;
        // One writer: the ids of one multi-row insert are consecutive and end at the last rowid.
        let last = done.last_insert_rowid();
        let first = last - rows.len() as i64 + 1;
        Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r.id = first + i as i64;
                r
            })
            .collect())
    }

    async fn pending_rows(&self) -> Result<Vec<PendingRow>, JournalError> {
        let rows = sqlx::query(
            "SELECT id, request_id, request_json, sdc_time_ms, lang FROM pending ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PendingRow {
                id: r.get(0),
                request_id: r.get(1),
                request_json: r.get(2),
                sdc_time_ms: r.get(3),
                lang: r.get(4),
            })
            .collect())
    }

    async fn commit(
        &self,
        receipts: &[NewReceipt],
        done_pending: &[i64],
    ) -> Result<(), JournalError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut prev: Vec<u8> =
            sqlx::query_scalar("SELECT hash FROM receipts ORDER BY total_counter DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or_else(|| vec![0u8; 32]);
        // Multi-row inserts, at most 64 rows (12 columns) per statement.
        for chunk in receipts.chunks(64) {
            let mut chained = Vec::with_capacity(chunk.len());
            for r in chunk {
                let hash = entry_hash(&prev, r);
                chained.push((r, prev.clone(), hash.clone()));
                prev = hash;
            }
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO receipts (total_counter, uid, invoice_number, request_id, kind, sdc_time_ms, amount, \
                 request_json, result_json, se_output, prev_hash, hash) ",
            );
            qb.push_values(chained, |mut b, (r, p, h)| {
                b.push_bind(r.total_counter as i64)
                    .push_bind(r.uid.clone())
                    .push_bind(r.invoice_number.clone())
                    .push_bind(r.request_id.clone())
                    .push_bind(r.kind.clone())
                    .push_bind(r.sdc_time_ms)
                    .push_bind(r.amount.clone())
                    .push_bind(r.request_json.clone())
                    .push_bind(r.result_json.clone())
                    .push_bind(r.se_output.clone())
                    .push_bind(p)
                    .push_bind(h);
            });
            qb.build().execute(&mut *tx).await?;
        }
        for chunk in done_pending.chunks(500) {
            let mut qb =
                sqlx::QueryBuilder::<sqlx::Sqlite>::new("DELETE FROM pending WHERE id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            sep.push_unseparated(")");
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    fn stored(r: sqlx::sqlite::SqliteRow) -> StoredReceipt {
        StoredReceipt {
            total_counter: r.get::<i64, _>(0) as u32,
            invoice_number: r.get(1),
            request_id: r.get(2),
            request_json: r.get(3),
            result_json: r.get(4),
            se_output: r.get(5),
            hash: r.get(6),
        }
    }

    /// One receipt (or none) of a query over `cols!()` with text parameters.
    async fn one(
        &self,
        q: &'static str,
        binds: &[&str],
    ) -> Result<Option<StoredReceipt>, JournalError> {
        let mut query = sqlx::query(q);
        for b in binds {
            query = query.bind(*b);
        }
        Ok(query.fetch_optional(&self.pool).await?.map(Self::stored))
    }

    async fn receipts_after(
        &self,
        after: u32,
        limit: u32,
    ) -> Result<Vec<StoredReceipt>, JournalError> {
        let q = concat!(
            "SELECT ",
            cols!(),
            " FROM receipts WHERE total_counter > ? ORDER BY total_counter LIMIT ?"
        );
        let rows = sqlx::query(q)
            .bind(after as i64)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Self::stored).collect())
    }

    async fn counts(&self) -> Result<(u64, u32), JournalError> {
        let r = sqlx::query("SELECT COUNT(*), COALESCE(MAX(total_counter), 0) FROM receipts")
            .fetch_one(&self.pool)
            .await?;
        Ok((r.get::<i64, _>(0) as u64, r.get::<i64, _>(1) as u32))
    }

    async fn check_chain(&self) -> Result<u64, JournalError> {
        let rows = sqlx::query(
            "SELECT total_counter, uid, invoice_number, request_id, kind, sdc_time_ms, amount, request_json, \
             result_json, se_output, prev_hash, hash FROM receipts ORDER BY total_counter",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut prev = vec![0u8; 32];
        for (i, r) in rows.iter().enumerate() {
            let expected = i as u32 + 1;
            let n = NewReceipt {
                total_counter: r.get::<i64, _>(0) as u32,
                uid: r.get(1),
                invoice_number: r.get(2),
                request_id: r.get(3),
                kind: r.get(4),
                sdc_time_ms: r.get(5),
                amount: r.get(6),
                request_json: r.get(7),
                result_json: r.get(8),
                se_output: r.get(9),
            };
            let stored_prev: Vec<u8> = r.get(10);
            let stored_hash: Vec<u8> = r.get(11);
            if n.total_counter != expected
                || stored_prev != prev
                || entry_hash(&prev, &n) != stored_hash
            {
                return Err(JournalError::BrokenChain(n.total_counter));
            }
            prev = stored_hash;
        }
        Ok(rows.len() as u64)
    }

    async fn read_setting(&self, key: &str) -> Result<Option<String>, JournalError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn write_setting(&self, key: &str, value: &str) -> Result<(), JournalError> {
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Journal for SqliteJournal {
    fn record_pending(&self, rows: Vec<PendingRow>) -> JournalFuture<'_, Vec<PendingRow>> {
        Box::pin(self.record_pending_rows(rows))
    }

    fn pending(&self) -> JournalFuture<'_, Vec<PendingRow>> {
        Box::pin(self.pending_rows())
    }

    fn commit_signed<'a>(
        &'a self,
        receipts: &'a [NewReceipt],
        done_pending: &'a [i64],
    ) -> JournalFuture<'a, ()> {
        Box::pin(self.commit(receipts, done_pending))
    }

    fn by_request_id<'a>(
        &'a self,
        uid: &'a str,
        request_id: &'a str,
    ) -> JournalFuture<'a, Option<StoredReceipt>> {
        let q = concat!(
            "SELECT ",
            cols!(),
            " FROM receipts WHERE uid = ? AND request_id = ?"
        );
        Box::pin(async move { self.one(q, &[uid, request_id]).await })
    }

    fn by_invoice_number<'a>(
        &'a self,
        number: &'a str,
    ) -> JournalFuture<'a, Option<StoredReceipt>> {
        let q = concat!(
            "SELECT ",
            cols!(),
            " FROM receipts WHERE invoice_number = ?"
        );
        Box::pin(async move { self.one(q, &[number]).await })
    }

    fn last(&self) -> JournalFuture<'_, Option<StoredReceipt>> {
        let q = concat!(
            "SELECT ",
            cols!(),
            " FROM receipts ORDER BY total_counter DESC LIMIT 1"
        );
        Box::pin(async move { self.one(q, &[]).await })
    }

    fn after(&self, after: u32, limit: u32) -> JournalFuture<'_, Vec<StoredReceipt>> {
        Box::pin(self.receipts_after(after, limit))
    }

    fn count_and_max(&self) -> JournalFuture<'_, (u64, u32)> {
        Box::pin(self.counts())
    }

    fn verify_chain(&self) -> JournalFuture<'_, u64> {
        Box::pin(self.check_chain())
    }

    fn setting<'a>(&'a self, key: &'a str) -> JournalFuture<'a, Option<String>> {
        Box::pin(self.read_setting(key))
    }

    fn set_setting<'a>(&'a self, key: &'a str, value: &'a str) -> JournalFuture<'a, ()> {
        Box::pin(self.write_setting(key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(n: u32) -> NewReceipt {
        NewReceipt {
            total_counter: n,
            uid: "AAAAAAAA".into(),
            invoice_number: format!("AAAAAAAA-AAAAAAAA-{n}"),
            request_id: Some(format!("r{n}")),
            kind: "ПП".into(),
            sdc_time_ms: 1_700_000_000_000 + n as i64,
            amount: "10.00".into(),
            request_json: "{}".into(),
            result_json: "{}".into(),
            se_output: vec![n as u8; 10],
        }
    }

    #[tokio::test]
    async fn pending_rows_chain_and_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let j = SqliteJournal::open(&dir.path().join("j.sqlite"))
            .await
            .unwrap();
        let rows = j
            .record_pending(
                (0..3)
                    .map(|i| PendingRow {
                        id: 0,
                        request_id: None,
                        request_json: format!("{i}"),
                        sdc_time_ms: i,
                        lang: "sr".into(),
                    })
                    .collect(),
            )
            .await
            .unwrap();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        assert_eq!(
            j.pending()
                .await
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            ids
        );
        j.commit_signed(&[receipt(1), receipt(2)], &ids)
            .await
            .unwrap();
        assert!(j.pending().await.unwrap().is_empty());
        j.commit_signed(&[receipt(3)], &[]).await.unwrap();
        assert_eq!(j.verify_chain().await.unwrap(), 3);
        assert_eq!(j.count_and_max().await.unwrap(), (3, 3));
        assert_eq!(
            j.by_request_id("AAAAAAAA", "r2")
                .await
                .unwrap()
                .unwrap()
                .total_counter,
            2
        );
        assert_eq!(j.after(1, 10).await.unwrap().len(), 2);
        // A repeated counter is refused by the database itself.
        assert!(j.commit_signed(&[receipt(3)], &[]).await.is_err());
        // Altering a stored receipt breaks the chain at that receipt.
        sqlx::query("UPDATE receipts SET amount = '99.00' WHERE total_counter = 2")
            .execute(&j.pool)
            .await
            .unwrap();
        assert!(matches!(
            j.verify_chain().await,
            Err(JournalError::BrokenChain(2))
        ));
    }

    #[tokio::test]
    async fn a_gap_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let j = SqliteJournal::open(&dir.path().join("j.sqlite"))
            .await
            .unwrap();
        j.commit_signed(&[receipt(1), receipt(3)], &[])
            .await
            .unwrap();
        assert!(matches!(
            j.verify_chain().await,
            Err(JournalError::BrokenChain(3))
        ));
    }
}
