//! The SUF's storage: the secure-element registry, tokens, received receipts, audit requests and
//! commands. [`Store`] is the interface; [`SqlStore`] implements it on SQLite (default) or
//! PostgreSQL, chosen by URL, with the same SQL (`$n` parameters work on both).

use std::future::Future;

use fiskal_storage::{DatabaseUrl, LegacyVersion, Migrations, PoolConfig, Step};
use sqlx::{AnyPool, Row};

/// Errors of the storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed or is unreachable.
    #[error("the SUF database failed: {0}")]
    Db(#[from] sqlx::Error),
    /// The URL names no supported database (the text says why; never a password).
    #[error("{0}")]
    BadUrl(String),
    /// The store cannot be opened: of a newer fiskal, of an older layout, or unreachable.
    #[error("{0}")]
    Storage(#[from] fiskal_storage::StorageError),
    /// A group write failed; nothing of the group was stored.
    #[error("the SUF database failed to store a group of receipts: {0}")]
    GroupWrite(String),
}

/// A secure element (or V-PFR signer) known to the SUF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeRecord {
    /// UID.
    pub uid: String,
    /// Seller TIN from the certificate.
    pub tin: String,
    /// DER of the signing certificate.
    pub certificate: Vec<u8>,
    /// When the certificate was revoked (ms), if it was.
    pub revoked_at_ms: Option<i64>,
}

/// A receipt received by audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRecord {
    /// PFR invoice number `{requestedBy}-{signedBy}-{totalCounter}`.
    pub invoice_number: String,
    /// Signing SE.
    pub signed_by: String,
    /// Requesting SE.
    pub requested_by: String,
    /// Total counter.
    pub total_counter: u32,
    /// Transaction-type counter.
    pub transaction_type_counter: u32,
    /// PFR time, ms.
    pub sdc_time_ms: i64,
    /// Amount × 10 000.
    pub amount: i64,
    /// Invoice type code.
    pub invoice_type: u8,
    /// Transaction type code.
    pub transaction_type: u8,
    /// Buyer ID.
    pub buyer_id: Option<String>,
    /// Cumulative sale + refund × 10 000 after this document (from the internal data).
    pub cumulative_total: i64,
    /// Internal data bytes.
    pub internal_data: Vec<u8>,
    /// Signature bytes.
    pub signature: Vec<u8>,
    /// SHA-256 (hex) of the normalised package content.
    pub content_hash: String,
    /// Request JSON.
    pub request_json: String,
    /// Result JSON.
    pub result_json: String,
    /// When it arrived, ms.
    pub received_ms: i64,
}

/// Outcome of storing a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Newly stored.
    Inserted,
    /// Already stored with identical content.
    Duplicate,
    /// A different receipt with the same invoice number is stored.
    Conflict,
    /// The cumulative totals do not follow from a neighbouring receipt already stored
    /// (`totalCounter ± 1`); nothing was stored.
    ChainBroken,
}

/// An audit request (ARP) received from an SE, and the proof issued for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// SE UID.
    pub uid: String,
    /// Audit number.
    pub audit_seq: u32,
    /// Raw ARP bytes.
    pub arp: Vec<u8>,
    /// Total counter at Start Audit.
    pub total_counter: u32,
    /// Unaudited sum × 10 000 at Start Audit.
    pub sum: i64,
    /// Limit × 10 000.
    pub limit: i64,
    /// When it arrived, ms.
    pub requested_ms: i64,
    /// The proof of audit once issued.
    pub poa: Option<Vec<u8>>,
}

/// A command for an SE (suf-backend.md §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    /// GUID.
    pub command_id: String,
    /// Target SE.
    pub uid: String,
    /// Command type.
    pub command_type: i32,
    /// Payload text.
    pub payload: String,
    /// Creation time (ms); commands run in this order.
    pub created_ms: i64,
    /// Result reported by the PFR, once reported.
    pub success: Option<bool>,
}

/// The SUF's storage interface. Every method is one atomic step.
pub trait Store: Send + Sync + 'static {
    /// Registers or updates an SE (certificate and TIN; revocation is kept).
    fn put_se(&self, se: &SeRecord) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The SE with this UID.
    fn get_se(
        &self,
        uid: &str,
    ) -> impl Future<Output = Result<Option<SeRecord>, StoreError>> + Send;
    /// Marks an SE revoked at `at_ms`; false when unknown.
    fn revoke_se(
        &self,
        uid: &str,
        at_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Stores a token for a UID.
    fn put_token(
        &self,
        token: &str,
        uid: &str,
        expires_ms: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A token of this UID still valid at `now_ms`, with its expiry.
    fn token_of(
        &self,
        uid: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<(String, i64)>, StoreError>> + Send;
    /// The UID a token valid at `now_ms` belongs to, with the token's expiry (ms).
    fn token_uid(
        &self,
        token: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<(String, i64)>, StoreError>> + Send;
    /// Stores a receipt unless one with the same invoice number exists or its cumulative totals
    /// do not follow from a stored neighbour (`totalCounter ± 1`).
    fn insert_receipt(
        &self,
        r: &ReceiptRecord,
    ) -> impl Future<Output = Result<InsertOutcome, StoreError>> + Send;
    /// The receipt with this invoice number.
    fn receipt(
        &self,
        invoice_number: &str,
    ) -> impl Future<Output = Result<Option<ReceiptRecord>, StoreError>> + Send;
    /// The receipt of SE `uid` with this total counter.
    fn receipt_at(
        &self,
        uid: &str,
        total_counter: u32,
    ) -> impl Future<Output = Result<Option<ReceiptRecord>, StoreError>> + Send;
    /// How many receipts of `uid` have a total counter in `from..=to`.
    fn count_range(
        &self,
        uid: &str,
        from: u32,
        to: u32,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Stores an audit request (idempotent per UID and audit number).
    fn put_audit(&self, a: &AuditRecord) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Audit requests of `uid` without a proof yet, oldest first.
    fn open_audits(
        &self,
        uid: &str,
    ) -> impl Future<Output = Result<Vec<AuditRecord>, StoreError>> + Send;
    /// Records the proof of audit issued for an audit request together with the command that
    /// forwards it, in one transaction; `forced_by` names the operator of a forced proof.
    /// False (and nothing stored) when the request already has a proof.
    fn set_poa(
        &self,
        uid: &str,
        audit_seq: u32,
        poa: &[u8],
        command: &CommandRecord,
        forced_by: Option<&str>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Highest total counter covered by an issued proof of audit for `uid` (0 if none).
    fn last_proof_counter(&self, uid: &str)
    -> impl Future<Output = Result<u32, StoreError>> + Send;
    /// Queues a command.
    fn add_command(&self, c: &CommandRecord)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Commands of `uid` not yet reported, in order.
    fn pending_commands(
        &self,
        uid: &str,
    ) -> impl Future<Output = Result<Vec<CommandRecord>, StoreError>> + Send;
    /// Records a command result (the first report wins); false when no such command of `uid`.
    fn complete_command(
        &self,
        uid: &str,
        command_id: &str,
        success: bool,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Every command of `uid`, reported or not, newest first, at most `limit`.
    fn command_history(
        &self,
        uid: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<CommandRecord>, StoreError>> + Send;
    /// Every registered secure element, by UID.
    fn list_se(&self) -> impl Future<Output = Result<Vec<SeRecord>, StoreError>> + Send;
    /// Tax-rate groups added by the authority (beyond the bundle's), as (group id, group JSON).
    fn tax_groups(&self) -> impl Future<Output = Result<Vec<(u32, String)>, StoreError>> + Send;
    /// Administration settings (verification prefix, time server), as (name, value).
    fn settings(&self) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;
    /// Applies one administrative change in a single transaction: optionally a new tax-rate group
    /// (refused with `Ok(false)` when its id is taken), optionally a setting, and the commands
    /// that carry the change to the secure elements. Either all of it is stored or none.
    fn apply_admin_change(
        &self,
        change: &AdminChange,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// One administrative change, stored atomically by [`Store::apply_admin_change`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminChange {
    /// A new tax-rate group: (group id, group JSON).
    pub tax_group: Option<(u32, String)>,
    /// A setting: (name, value).
    pub setting: Option<(String, String)>,
    /// When set, the setting is written only if its stored value is still this one (`None`:
    /// not stored yet); otherwise nothing is stored and the change answers `false`. Used for
    /// numbers that must never repeat, even with several SUF processes on one database.
    pub setting_expected: Option<Option<String>>,
    /// The commands queued for the secure elements.
    pub commands: Vec<CommandRecord>,
    /// When the change was made, ms.
    pub at_ms: i64,
}

/// Which SQL database a [`SqlStore`] talks to.
pub use fiskal_storage::Backend;

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

/// A receipt waiting for the group writer, with the channel for its outcome.
type ReceiptJob = (
    ReceiptRecord,
    tokio::sync::oneshot::Sender<Result<InsertOutcome, StoreError>>,
);

/// Receipts that may wait for the writer; more callers wait for room (back-pressure).
const WRITE_QUEUE: usize = 4096;
/// Most receipts stored in one transaction.
const MAX_GROUP: usize = 256;

/// The group writer: takes every waiting receipt, stores them in one transaction, answers each.
async fn receipt_writer(
    pool: AnyPool,
    backend: Backend,
    mut jobs: tokio::sync::mpsc::Receiver<ReceiptJob>,
) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        // One order for every writer (also in other SUF processes) avoids lock-order deadlocks.
        group.sort_by(|a, b| {
            (&a.0.signed_by, a.0.total_counter).cmp(&(&b.0.signed_by, b.0.total_counter))
        });
        match write_group_in_time(&pool, backend, &group).await {
            Ok(outcomes) => {
                for ((_, reply), o) in group.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(o));
                }
            }
            Err(e) if group.len() == 1 => {
                let (_, reply) = group.pop().expect("one job");
                let _ = reply.send(Err(StoreError::GroupWrite(e)));
            }
            Err(_) => {
                // Whatever failed, it need not fail the others: store them one by one.
                for job in group {
                    let one = std::slice::from_ref(&job);
                    let answer = write_group_in_time(&pool, backend, one)
                        .await
                        .map(|mut o| o.pop().unwrap_or(InsertOutcome::Conflict))
                        .map_err(StoreError::GroupWrite);
                    let _ = job.1.send(answer);
                }
            }
        }
    }
}

/// Longest a group write may take before its callers are told to retry (status 1).
const GROUP_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// [`write_group`] bounded by [`GROUP_WRITE_TIMEOUT`]; the error as text.
async fn write_group_in_time(
    pool: &AnyPool,
    backend: Backend,
    group: &[ReceiptJob],
) -> Result<Vec<InsertOutcome>, String> {
    match tokio::time::timeout(GROUP_WRITE_TIMEOUT, write_group(pool, backend, group)).await {
        Ok(Ok(o)) => Ok(o),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the database did not finish the write in time".into()),
    }
}

/// (total counter, amount, cumulative total) of the stored receipts of `uid` at
/// `total_counter ± 1`.
async fn neighbours_in(
    conn: &mut sqlx::AnyConnection,
    uid: &str,
    total_counter: u32,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT total_counter, amount, cumulative_total FROM suf_receipt \
         WHERE signed_by = $1 AND (total_counter = $2 OR total_counter = $3)",
    )
    .bind(uid)
    .bind(i64::from(total_counter) - 1)
    .bind(i64::from(total_counter) + 1)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Stores a group of receipts in one transaction; within it each receipt sees the ones before it.
async fn write_group(
    pool: &AnyPool,
    backend: Backend,
    group: &[ReceiptJob],
) -> Result<Vec<InsertOutcome>, sqlx::Error> {
    // SQLite: take the write lock first, so the reads below cannot make the upgrade fail.
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    let mut outcomes = Vec::with_capacity(group.len());
    let insert = format!(
        "INSERT INTO suf_receipt ({RECEIPT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17) ON CONFLICT DO NOTHING"
    );
    for (r, _) in group {
        // Counter chain: the cumulative totals must follow from the stored neighbours.
        let mut broken = false;
        for (counter, amount, cumulative) in
            neighbours_in(&mut tx, &r.signed_by, r.total_counter).await?
        {
            broken |= if counter + 1 == i64::from(r.total_counter) {
                r.total_counter > 1 && cumulative.saturating_add(r.amount) != r.cumulative_total
            } else {
                r.cumulative_total.saturating_add(amount) != cumulative
            };
        }
        if broken {
            outcomes.push(InsertOutcome::ChainBroken);
            continue;
        }
        let done = sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
            .bind(&r.invoice_number)
            .bind(&r.signed_by)
            .bind(&r.requested_by)
            .bind(i64::from(r.total_counter))
            .bind(i64::from(r.transaction_type_counter))
            .bind(r.sdc_time_ms)
            .bind(r.amount)
            .bind(i64::from(r.invoice_type))
            .bind(i64::from(r.transaction_type))
            .bind(r.buyer_id.clone())
            .bind(r.cumulative_total)
            .bind(r.internal_data.clone())
            .bind(r.signature.clone())
            .bind(&r.content_hash)
            .bind(&r.request_json)
            .bind(&r.result_json)
            .bind(r.received_ms)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            outcomes.push(InsertOutcome::Inserted);
            continue;
        }
        let existing = sqlx::query(
            "SELECT content_hash FROM suf_receipt WHERE invoice_number = $1 \
             OR (signed_by = $2 AND total_counter = $3)",
        )
        .bind(&r.invoice_number)
        .bind(&r.signed_by)
        .bind(i64::from(r.total_counter))
        .fetch_all(&mut *tx)
        .await?;
        let same = existing.len() == 1 && existing[0].try_get::<String, _>(0)? == r.content_hash;
        outcomes.push(if same {
            InsertOutcome::Duplicate
        } else {
            InsertOutcome::Conflict
        });
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The SUF store's schema steps (`migrations/{sqlite,postgres}`); never edit a released step,
/// add one.
pub const MIGRATIONS: Migrations = Migrations {
    store: "SUF store",
    table: "_fiskal_migrations_suf",
    sqlite: &[Step {
        version: 1,
        description: "initial",
        sql: include_str!("../migrations/sqlite/0001_initial.sql"),
    }],
    postgres: &[Step {
        version: 1,
        description: "initial",
        sql: include_str!("../migrations/postgres/0001_initial.sql"),
    }],
    legacy: LegacyVersion::None,
    legacy_known: 0,
};

const RECEIPT_COLS: &str = "invoice_number, signed_by, requested_by, total_counter, tt_counter, sdc_time_ms, amount, \
     invoice_type, transaction_type, buyer_id, cumulative_total, internal_data, signature, content_hash, \
     request_json, result_json, received_ms";

fn receipt_row(r: &sqlx::any::AnyRow) -> Result<ReceiptRecord, sqlx::Error> {
    Ok(ReceiptRecord {
        invoice_number: r.try_get(0)?,
        signed_by: r.try_get(1)?,
        requested_by: r.try_get(2)?,
        total_counter: r.try_get::<i64, _>(3)? as u32,
        transaction_type_counter: r.try_get::<i64, _>(4)? as u32,
        sdc_time_ms: r.try_get(5)?,
        amount: r.try_get(6)?,
        invoice_type: r.try_get::<i64, _>(7)? as u8,
        transaction_type: r.try_get::<i64, _>(8)? as u8,
        buyer_id: r.try_get(9)?,
        cumulative_total: r.try_get(10)?,
        internal_data: r.try_get(11)?,
        signature: r.try_get(12)?,
        content_hash: r.try_get(13)?,
        request_json: r.try_get(14)?,
        result_json: r.try_get(15)?,
        received_ms: r.try_get(16)?,
    })
}

fn audit_row(r: &sqlx::any::AnyRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        uid: r.try_get(0)?,
        audit_seq: r.try_get::<i64, _>(1)? as u32,
        arp: r.try_get(2)?,
        total_counter: r.try_get::<i64, _>(3)? as u32,
        sum: r.try_get(4)?,
        limit: r.try_get(5)?,
        requested_ms: r.try_get(6)?,
        poa: r.try_get(7)?,
    })
}

fn command_row(r: &sqlx::any::AnyRow) -> Result<CommandRecord, StoreError> {
    Ok(CommandRecord {
        command_id: r.try_get(0)?,
        uid: r.try_get(1)?,
        command_type: r.try_get::<i64, _>(2)? as i32,
        payload: r.try_get(3)?,
        created_ms: r.try_get(4)?,
        success: r.try_get::<Option<i64>, _>(5)?.map(|v| v != 0),
    })
}

/// An SE record from `uid, tin, certificate, revoked_at_ms`.
fn se_row(r: &sqlx::any::AnyRow) -> Result<SeRecord, sqlx::Error> {
    Ok(SeRecord {
        uid: r.try_get(0)?,
        tin: r.try_get(1)?,
        certificate: r.try_get(2)?,
        revoked_at_ms: r.try_get(3)?,
    })
}

/// The first two columns of a row.
fn pair_row<A, B>(r: &sqlx::any::AnyRow) -> Result<(A, B), sqlx::Error>
where
    A: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    B: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    Ok((r.try_get(0)?, r.try_get(1)?))
}

/// Inserts a command on `conn` (a pool or a transaction).
async fn insert_command<'c, E>(conn: E, c: &CommandRecord) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(INSERT_COMMAND)
        .bind(&c.command_id)
        .bind(&c.uid)
        .bind(i64::from(c.command_type))
        .bind(&c.payload)
        .bind(c.created_ms)
        .execute(conn)
        .await?;
    Ok(())
}

const INSERT_COMMAND: &str = "INSERT INTO suf_command (command_id, uid, command_type, payload, created_ms, success) \
     VALUES ($1, $2, $3, $4, $5, NULL)";

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
