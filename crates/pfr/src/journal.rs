//! The L-PFR's durable journal: every signed receipt, in counter order, chained by hashes.
//!
//! SQLite in WAL mode with `synchronous=FULL`: a transaction that returned is on disk. The
//! journal is written in two steps per group of requests (group commit: one fsync for many
//! receipts):
//!
//! 1. [`Journal::record_pending`] stores the requests about to be signed, **before** the SE signs;
//! 2. [`Journal::commit_signed`] stores the signed receipts and removes the pending rows, **before**
//!    any answer is sent.
//!
//! After a crash between the SE's signature and step 2, the pending rows plus the SE's record of
//! its last signatures let the L-PFR rebuild the missing receipts at start-up, so counters never
//! skip or repeat.

use std::path::Path;

use fiskal_storage::{DatabaseUrl, LegacyVersion, Migrations, PoolConfig, Step};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqlitePool};

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The database failed.
    #[error("journal database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The journal cannot be opened: it is of a newer fiskal, or of an older layout.
    #[error("{0}")]
    Storage(#[from] fiskal_storage::StorageError),
    /// The hash chain is broken at this counter.
    #[error("the journal's hash chain is broken at receipt {0}")]
    BrokenChain(u32),
}

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
        sql: include_str!("../migrations/sqlite/0001_initial.sql"),
    }],
    postgres: &[],
    legacy: LegacyVersion::Table {
        table: "schema_version",
        column: "version",
    },
    legacy_known: 1,
};

/// A request recorded before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    /// Row id (assigned by [`Journal::record_pending`]).
    pub id: i64,
    /// `RequestId` header, if any.
    pub request_id: Option<String>,
    /// Canonical JSON of the checked request.
    pub request_json: String,
    /// PFR time assigned to it.
    pub sdc_time_ms: i64,
    /// Language of the answer (`sr` or `en`).
    pub lang: String,
}

/// A signed receipt to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReceipt {
    /// Total counter (the SE's).
    pub total_counter: u32,
    /// SE UID.
    pub uid: String,
    /// PFR invoice number.
    pub invoice_number: String,
    /// `RequestId`, if any.
    pub request_id: Option<String>,
    /// Counter extension (document kind), e.g. `ПП`.
    pub kind: String,
    /// PFR time in ms.
    pub sdc_time_ms: i64,
    /// Total amount as decimal text.
    pub amount: String,
    /// Canonical request JSON.
    pub request_json: String,
    /// The invoice result JSON (without the QR image).
    pub result_json: String,
    /// The SE's Sign Invoice output bytes.
    pub se_output: Vec<u8>,
}

/// A receipt read back from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReceipt {
    /// Total counter.
    pub total_counter: u32,
    /// PFR invoice number.
    pub invoice_number: String,
    /// `RequestId`.
    pub request_id: Option<String>,
    /// Canonical request JSON.
    pub request_json: String,
    /// Result JSON (without the QR image).
    pub result_json: String,
    /// SE output bytes.
    pub se_output: Vec<u8>,
    /// Hash of this entry.
    pub hash: Vec<u8>,
}

/// The journal.
#[derive(Clone)]
pub struct Journal {
    pool: SqlitePool,
}

fn entry_hash(prev: &[u8], r: &NewReceipt) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(r.total_counter.to_be_bytes());
    h.update(r.sdc_time_ms.to_be_bytes());
    let request_id = r.request_id.clone().unwrap_or_default();
    for part in [
        &r.uid,
        &r.invoice_number,
        &request_id,
        &r.kind,
        &r.amount,
        &r.request_json,
        &r.result_json,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.update(&r.se_output);
    h.finalize().to_vec()
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` and brings its schema up to date
    /// ([`MIGRATIONS`]; a journal of fiskal 0.1 is adopted as it is, one of a newer fiskal
    /// refused).
    pub async fn open(path: &Path) -> Result<Journal, JournalError> {
        let pool = fiskal_storage::open_sqlite(
            &DatabaseUrl::sqlite_file(path),
            &PoolConfig::with_max_connections(4),
            &MIGRATIONS,
        )
        .await?;
        Ok(Journal { pool })
    }

    /// Records requests about to be signed, in one transaction (one statement); returns them
    /// with their ids.
    pub async fn record_pending(
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

    /// Pending rows, oldest first.
    pub async fn pending(&self) -> Result<Vec<PendingRow>, JournalError> {
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

    /// Stores signed receipts (extending the hash chain) and removes the given pending rows, in
    /// one transaction.
    pub async fn commit_signed(
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

    /// Removes pending rows that will never be signed.
    pub async fn drop_pending(&self, ids: &[i64]) -> Result<(), JournalError> {
        self.commit_signed(&[], ids).await
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

    /// The receipt created with this `RequestId` by this SE.
    pub async fn by_request_id(
        &self,
        uid: &str,
        request_id: &str,
    ) -> Result<Option<StoredReceipt>, JournalError> {
        let q = concat!(
            "SELECT ",
            cols!(),
            " FROM receipts WHERE uid = ? AND request_id = ?"
        );
        let r = sqlx::query(q)
            .bind(uid)
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(Self::stored))
    }

    /// The receipt with this PFR invoice number.
    pub async fn by_invoice_number(
        &self,
        number: &str,
    ) -> Result<Option<StoredReceipt>, JournalError> {
        let q = concat!(
            "SELECT ",
            cols!(),
            " FROM receipts WHERE invoice_number = ?"
        );
        let r = sqlx::query(q)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(Self::stored))
    }

    /// The newest receipt.
    pub async fn last(&self) -> Result<Option<StoredReceipt>, JournalError> {
        let q = concat!(
            "SELECT ",
            cols!(),
            " FROM receipts ORDER BY total_counter DESC LIMIT 1"
        );
        Ok(sqlx::query(q)
            .fetch_optional(&self.pool)
            .await?
            .map(Self::stored))
    }

    /// Receipts with a total counter above `after`, oldest first, at most `limit`.
    pub async fn after(&self, after: u32, limit: u32) -> Result<Vec<StoredReceipt>, JournalError> {
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

    /// Number of receipts and the highest total counter (0 when empty).
    pub async fn count_and_max(&self) -> Result<(u64, u32), JournalError> {
        let r = sqlx::query("SELECT COUNT(*), COALESCE(MAX(total_counter), 0) FROM receipts")
            .fetch_one(&self.pool)
            .await?;
        Ok((r.get::<i64, _>(0) as u64, r.get::<i64, _>(1) as u32))
    }

    /// Checks the whole hash chain and that counters run 1, 2, 3, … without a gap; returns the
    /// number of receipts.
    pub async fn verify_chain(&self) -> Result<u64, JournalError> {
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

    /// Reads a setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, JournalError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Writes a setting.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), JournalError> {
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
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
        let j = Journal::open(&dir.path().join("j.sqlite")).await.unwrap();
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
        let j = Journal::open(&dir.path().join("j.sqlite")).await.unwrap();
        j.commit_signed(&[receipt(1), receipt(3)], &[])
            .await
            .unwrap();
        assert!(matches!(
            j.verify_chain().await,
            Err(JournalError::BrokenChain(3))
        ));
    }
}
