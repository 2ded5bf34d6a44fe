//! Storage: one SQL layer over `sqlx::AnyPool` for SQLite (default) and PostgreSQL.
//!
//! Both backends run the same statements (`$n` placeholders, `RETURNING`, `ON CONFLICT`); the
//! schemas differ only in column types (`migrations/sqlite`, `migrations/postgres`). Only the
//! portable types are used: `i64`, `String`, `Vec<u8>`. Times are Unix milliseconds (UTC).
//! Every query that touches tenant data is scoped by the tenant id.

use fiskal_storage::{DatabaseUrl, LegacyVersion, Migrations, PoolConfig, Step};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::crypto::{SealedKey, masked_key};
use crate::model::{
    AuditEntry, DocState, Document, KeyInfo, KeyState, Notification, SendAttempt, Tenant,
};

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database driver failed.
    #[error("The database reported an error: {0}")]
    Sql(#[from] sqlx::Error),
    /// The store cannot be opened: a bad URL, unreachable, of a newer fiskal or of an older
    /// layout (the text says which; never a password).
    #[error("{0}")]
    Storage(#[from] fiskal_storage::StorageError),
    /// A stored value is not what the schema promises.
    #[error("The database holds an unexpected value in {0}.")]
    Corrupt(&'static str),
}

/// Shorthand.
pub type DbResult<T> = Result<T, DbError>;

/// Which backend a [`Db`] talks to.
pub use fiskal_storage::Backend;

/// The store's schema steps (`migrations/{sqlite,postgres}`); never edit a released step, add
/// one. fiskal 0.1 recorded its steps in `fiskal_einvoice_migrations`; that table is respected
/// (a version above 1 is refused) and kept.
pub const MIGRATIONS: Migrations = Migrations {
    store: "Moje fakture store",
    table: "_fiskal_migrations_einvoice",
    sqlite: &[Step {
        version: 1,
        description: "init",
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    }],
    postgres: &[Step {
        version: 1,
        description: "init",
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    }],
    legacy: LegacyVersion::Table {
        table: "fiskal_einvoice_migrations",
        column: "version",
    },
    legacy_known: 1,
};

/// The service's store.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// Fields of a new tenant.
#[derive(Debug, Clone)]
pub struct NewTenant {
    /// Environment.
    pub environment: String,
    /// PIB.
    pub pib: String,
    /// MB.
    pub mb: String,
    /// JBKJS.
    pub jbkjs: Option<String>,
    /// Legal name.
    pub name: String,
    /// Trading name.
    pub trading_name: Option<String>,
    /// Street.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Budget-user flag from SEF.
    pub budget_user: bool,
    /// Contact e-mail.
    pub contact_email: Option<String>,
    /// Bank accounts, default first.
    pub bank_accounts: Vec<String>,
}

/// A key record with its sealed material, for the service's internal use only.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// Row id.
    pub id: i64,
    /// Tenant.
    pub tenant_id: i64,
    /// Version.
    pub version: i64,
    /// State.
    pub state: KeyState,
    /// Sealed key (absent once replaced).
    pub sealed: Option<SealedKey>,
    /// Fingerprint.
    pub fingerprint: String,
    /// Shown information.
    pub info: KeyInfo,
}

/// A pending outbox entry, claimed by a sender.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    /// Outbox row id.
    pub id: i64,
    /// Tenant.
    pub tenant_id: i64,
    /// Document.
    pub document_id: i64,
    /// Version row id.
    pub version_id: i64,
    /// Stable `requestId`.
    pub request_id: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// Days (YYYY-MM-DD, comma-separated) on which attempts were made.
    pub attempt_days: String,
}

/// One frozen document version.
#[derive(Debug, Clone)]
pub struct VersionRow {
    /// Row id.
    pub id: i64,
    /// Version number.
    pub version: i64,
    /// UBL bytes.
    pub ubl: Vec<u8>,
    /// SHA-256 hex.
    pub sha256: String,
    /// `requestId`.
    pub request_id: String,
    /// `Yes` / `No`.
    pub send_to_cir: String,
    /// Issue date (YYYY-MM-DD).
    pub issue_date: String,
}

/// Fields of a document to queue.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// Type code.
    pub doc_type: String,
    /// Number.
    pub number: String,
    /// Issue date.
    pub issue_date: String,
    /// Buyer PIB.
    pub buyer_pib: Option<String>,
    /// Buyer name.
    pub buyer_name: Option<String>,
    /// Payable amount.
    pub total: Option<String>,
    /// Currency.
    pub currency: Option<String>,
}

/// A status event to store (`moje-fakture.md` §4.1, "SEF event").
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `sales` or `purchase`.
    pub direction: String,
    /// SEF `EventId`.
    pub event_id: i64,
    /// SEF document id.
    pub sef_document_id: i64,
    /// New status.
    pub new_status: String,
    /// Comment.
    pub comment: Option<String>,
    /// Event date as SEF wrote it.
    pub event_date: Option<String>,
    /// `callback`, `changes` or `poll`.
    pub source: String,
}

fn b(v: bool) -> i64 {
    i64::from(v)
}

fn tenant_from_row(r: &AnyRow) -> DbResult<Tenant> {
    Ok(Tenant {
        id: r.try_get("id")?,
        environment: r.try_get("environment")?,
        pib: r.try_get("pib")?,
        mb: r.try_get("mb")?,
        jbkjs: r.try_get("jbkjs")?,
        name: r.try_get("name")?,
        trading_name: r.try_get("trading_name")?,
        street: r.try_get("street")?,
        city: r.try_get("city")?,
        postal_code: r.try_get("postal_code")?,
        budget_user: r.try_get::<i64, _>("budget_user")? != 0,
        status: r.try_get("status")?,
        auto_redate: r.try_get::<i64, _>("auto_redate")? != 0,
        send_to_cir: r.try_get::<i64, _>("send_to_cir")? != 0,
        contact_email: r.try_get("contact_email")?,
        bank_accounts: Vec::new(),
        created_at: r.try_get("created_at")?,
    })
}

const KEY_COLS: &str = "id, tenant_id, version, state, ciphertext, nonce, wrapped_dek, dek_nonce, master_key_id, fingerprint, last_four, created_at, created_by, last_success_at, last_401_at, last_check_at, last_check_outcome, sef_version, next_recheck_at";

fn key_from_row(r: &AnyRow) -> DbResult<KeyRecord> {
    let state_s: String = r.try_get("state")?;
    let state = KeyState::parse(&state_s).ok_or(DbError::Corrupt("sef_keys.state"))?;
    let ciphertext: Option<Vec<u8>> = r.try_get("ciphertext")?;
    let nonce: Option<Vec<u8>> = r.try_get("nonce")?;
    let wrapped_dek: Option<Vec<u8>> = r.try_get("wrapped_dek")?;
    let dek_nonce: Option<Vec<u8>> = r.try_get("dek_nonce")?;
    let master_key_id: String = r.try_get("master_key_id")?;
    let sealed = match (ciphertext, nonce, wrapped_dek, dek_nonce) {
        (Some(ciphertext), Some(nonce), Some(wrapped_dek), Some(dek_nonce)) => Some(SealedKey {
            ciphertext,
            nonce,
            wrapped_dek,
            dek_nonce,
            master_key_id: master_key_id.clone(),
        }),
        _ => None,
    };
    let last_four: String = r.try_get("last_four")?;
    Ok(KeyRecord {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        version: r.try_get("version")?,
        state,
        sealed,
        fingerprint: r.try_get("fingerprint")?,
        info: KeyInfo {
            version: r.try_get("version")?,
            state,
            masked: masked_key(&last_four),
            last_four,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
            last_success_at: r.try_get("last_success_at")?,
            last_401_at: r.try_get("last_401_at")?,
            last_check_at: r.try_get("last_check_at")?,
            last_check_outcome: r.try_get("last_check_outcome")?,
            sef_version: r.try_get("sef_version")?,
            next_recheck_at: r.try_get("next_recheck_at")?,
        },
    })
}

const DOC_COLS: &str = "d.id, d.tenant_id, d.doc_type, d.number, d.issue_date, d.state, d.buyer_pib, d.buyer_name, d.total, d.currency, d.current_version, d.sef_sales_id, d.sef_purchase_id, d.sef_invoice_id, d.sef_status, d.sef_comment, d.cir_status, d.error_code, d.error_field, d.error_message, d.created_at, d.updated_at, v.request_id";

fn doc_from_row(r: &AnyRow) -> DbResult<Document> {
    let state_s: String = r.try_get("state")?;
    Ok(Document {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        doc_type: r.try_get("doc_type")?,
        number: r.try_get("number")?,
        issue_date: r.try_get("issue_date")?,
        state: DocState::parse(&state_s).ok_or(DbError::Corrupt("documents.state"))?,
        buyer_pib: r.try_get("buyer_pib")?,
        buyer_name: r.try_get("buyer_name")?,
        total: r.try_get("total")?,
        currency: r.try_get("currency")?,
        version: r.try_get("current_version")?,
        request_id: r.try_get("request_id")?,
        sales_invoice_id: r.try_get("sef_sales_id")?,
        purchase_invoice_id: r.try_get("sef_purchase_id")?,
        invoice_id: r.try_get("sef_invoice_id")?,
        sef_status: r.try_get("sef_status")?,
        sef_comment: r.try_get("sef_comment")?,
        cir_status: r.try_get("cir_status")?,
        error_code: r.try_get("error_code")?,
        error_field: r.try_get("error_field")?,
        error_message: r.try_get("error_message")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

macro_rules! q {
    ($s:expr) => {
        sqlx::query(sqlx::AssertSqlSafe($s))
    };
}

impl Db {
    /// Connects to `sqlite:path?mode=rwc`, `sqlite::memory:` or `postgres://…` and brings the
    /// schema up to date ([`MIGRATIONS`]; a store of fiskal 0.1 is adopted as it is, one of a
    /// newer fiskal refused).
    pub async fn connect(url: &str) -> DbResult<Db> {
        let url = DatabaseUrl::parse(url).map_err(fiskal_storage::StorageError::from)?;
        let backend = url.backend();
        let pool = fiskal_storage::open_any(&url, &PoolConfig::default(), &MIGRATIONS).await?;
        Ok(Db { pool, backend })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool (for tests and maintenance tools).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> DbResult<Transaction<'static, Any>> {
        Ok(self.pool.begin().await?)
    }

    // ---------------------------------------------------------------- tenants

    /// Inserts a tenant with its bank accounts; returns its id.
    pub async fn insert_tenant(
        tx: &mut Transaction<'static, Any>,
        t: &NewTenant,
        callback_token: &str,
        access_token_hash: &str,
        now: i64,
    ) -> DbResult<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tenants (environment, pib, mb, jbkjs, name, trading_name, street, city, postal_code, budget_user, status, auto_redate, send_to_cir, contact_email, callback_token, access_token_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', 0, 1, $11, $12, $13, $14, $14) RETURNING id",
        )
        .bind(&t.environment)
        .bind(&t.pib)
        .bind(&t.mb)
        .bind(t.jbkjs.clone())
        .bind(&t.name)
        .bind(t.trading_name.clone())
        .bind(&t.street)
        .bind(&t.city)
        .bind(&t.postal_code)
        .bind(b(t.budget_user))
        .bind(t.contact_email.clone())
        .bind(callback_token)
        .bind(access_token_hash)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        for (i, acc) in t.bank_accounts.iter().enumerate() {
            sqlx::query("INSERT INTO tenant_bank_accounts (tenant_id, account, is_default) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(acc)
                .bind(b(i == 0))
                .execute(&mut **tx)
                .await?;
        }
        Ok(id)
    }

    async fn with_accounts(&self, mut t: Tenant) -> DbResult<Tenant> {
        t.bank_accounts = sqlx::query_scalar("SELECT account FROM tenant_bank_accounts WHERE tenant_id = $1 ORDER BY is_default DESC, id")
            .bind(t.id)
            .fetch_all(&self.pool)
            .await?;
        Ok(t)
    }

    /// A tenant by id.
    pub async fn tenant(&self, id: i64) -> DbResult<Option<Tenant>> {
        match sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        {
            Some(r) => Ok(Some(self.with_accounts(tenant_from_row(&r)?).await?)),
            None => Ok(None),
        }
    }

    /// A tenant by (environment, PIB).
    pub async fn tenant_by_pib(&self, environment: &str, pib: &str) -> DbResult<Option<Tenant>> {
        match sqlx::query("SELECT * FROM tenants WHERE environment = $1 AND pib = $2")
            .bind(environment)
            .bind(pib)
            .fetch_optional(&self.pool)
            .await?
        {
            Some(r) => Ok(Some(self.with_accounts(tenant_from_row(&r)?).await?)),
            None => Ok(None),
        }
    }

    /// The tenant whose access token hashes to `hash`.
    pub async fn tenant_by_access_hash(&self, hash: &str) -> DbResult<Option<Tenant>> {
        match sqlx::query("SELECT * FROM tenants WHERE access_token_hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?
        {
            Some(r) => Ok(Some(self.with_accounts(tenant_from_row(&r)?).await?)),
            None => Ok(None),
        }
    }

    /// The tenant owning a callback token.
    pub async fn tenant_by_callback_token(&self, token: &str) -> DbResult<Option<Tenant>> {
        match sqlx::query("SELECT * FROM tenants WHERE callback_token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?
        {
            Some(r) => Ok(Some(tenant_from_row(&r)?)),
            None => Ok(None),
        }
    }

    /// The callback token of a tenant.
    pub async fn callback_token(&self, tenant_id: i64) -> DbResult<String> {
        Ok(
            sqlx::query_scalar("SELECT callback_token FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Every tenant (operator view, schedulers).
    pub async fn tenants(&self) -> DbResult<Vec<Tenant>> {
        let rows = sqlx::query("SELECT * FROM tenants ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tenant_from_row).collect()
    }

    /// Sets the per-tenant settings of §13.
    pub async fn set_tenant_settings(
        &self,
        tenant_id: i64,
        auto_redate: bool,
        send_to_cir: bool,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "UPDATE tenants SET auto_redate = $1, send_to_cir = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(b(auto_redate))
        .bind(b(send_to_cir))
        .bind(now)
        .bind(tenant_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ---------------------------------------------------------------- keys

    /// The newest key record of a tenant.
    pub async fn current_key(&self, tenant_id: i64) -> DbResult<Option<KeyRecord>> {
        let sql = format!(
            "SELECT {KEY_COLS} FROM sef_keys WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1"
        );
        match q!(sql).bind(tenant_id).fetch_optional(&self.pool).await? {
            Some(r) => Ok(Some(key_from_row(&r)?)),
            None => Ok(None),
        }
    }

    /// Every key record of a tenant, newest first (no material leaves the service).
    pub async fn key_history(&self, tenant_id: i64) -> DbResult<Vec<KeyRecord>> {
        let sql =
            format!("SELECT {KEY_COLS} FROM sef_keys WHERE tenant_id = $1 ORDER BY version DESC");
        let rows = q!(sql).bind(tenant_id).fetch_all(&self.pool).await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Every key record that still holds material (for master-key rotation and fingerprints).
    pub async fn sealed_keys(&self) -> DbResult<Vec<(KeyRecord, String)>> {
        let sql = format!(
            "SELECT k.{}, t.environment FROM sef_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.ciphertext IS NOT NULL ORDER BY k.id",
            KEY_COLS.replace(", ", ", k.")
        );
        let rows = q!(sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((key_from_row(r)?, r.try_get::<String, _>("environment")?)))
            .collect()
    }

    /// Whether a non-replaced key record of another tenant has this fingerprint.
    pub async fn fingerprint_used_elsewhere(
        &self,
        fingerprint: &str,
        tenant_id: Option<i64>,
    ) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sef_keys WHERE fingerprint = $1 AND tenant_id <> $2 AND state <> 'replaced' AND state <> 'rejected'")
            .bind(fingerprint)
            .bind(tenant_id.unwrap_or(-1))
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Inserts a new active key version, marking the previous one `replaced` and deleting its
    /// ciphertext (§4.2). Returns the new record id.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_key(
        tx: &mut Transaction<'static, Any>,
        tenant_id: i64,
        version: i64,
        sealed: &SealedKey,
        fingerprint: &str,
        last_four: &str,
        created_by: &str,
        sef_version: Option<&str>,
        now: i64,
    ) -> DbResult<i64> {
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
        .bind(version)
        .bind(sealed.ciphertext.clone())
        .bind(sealed.nonce.clone())
        .bind(sealed.wrapped_dek.clone())
        .bind(sealed.dek_nonce.clone())
        .bind(&sealed.master_key_id)
        .bind(fingerprint)
        .bind(last_four)
        .bind(now)
        .bind(created_by)
        .bind(sef_version.map(str::to_string))
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Replaces the sealed material of a record (master-key rotation) and its fingerprint.
    pub async fn update_sealed(
        &self,
        key_id: i64,
        sealed: &SealedKey,
        fingerprint: &str,
    ) -> DbResult<()> {
        sqlx::query("UPDATE sef_keys SET wrapped_dek = $1, dek_nonce = $2, master_key_id = $3, fingerprint = $4 WHERE id = $5 AND ciphertext IS NOT NULL")
            .bind(sealed.wrapped_dek.clone())
            .bind(sealed.dek_nonce.clone())
            .bind(&sealed.master_key_id)
            .bind(fingerprint)
            .bind(key_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a successful key check or SEF call.
    pub async fn key_success(
        &self,
        key_id: i64,
        sef_version: Option<&str>,
        was_check: bool,
        now: i64,
    ) -> DbResult<()> {
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
    }

    /// Records the outcome of a failed key check.
    pub async fn key_check_failed(&self, key_id: i64, outcome: &str, now: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE sef_keys SET last_check_at = $1, last_check_outcome = $2 WHERE id = $3",
        )
        .bind(now)
        .bind(outcome)
        .bind(key_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Moves a key to a new state if it is currently in `from` (compare-and-set); returns whether
    /// it changed. `got_401` also stamps `last_401_at`.
    pub async fn set_key_state(
        &self,
        key_id: i64,
        from: KeyState,
        to: KeyState,
        next_recheck_at: Option<i64>,
        got_401: bool,
        now: i64,
    ) -> DbResult<bool> {
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
    }

    /// Sets the time of the next automatic re-check.
    pub async fn set_next_recheck(&self, key_id: i64, at: Option<i64>) -> DbResult<()> {
        sqlx::query("UPDATE sef_keys SET next_recheck_at = $1 WHERE id = $2")
            .bind(at)
            .bind(key_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Key state-change time.
    pub async fn key_state_changed_at(&self, key_id: i64) -> DbResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT state_changed_at FROM sef_keys WHERE id = $1")
                .bind(key_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Tenants whose current key is `invalid` or `isp_blocked` with a re-check due.
    pub async fn keys_due_for_recheck(&self, now: i64) -> DbResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT tenant_id FROM sef_keys WHERE state IN ('invalid', 'isp_blocked') AND next_recheck_at IS NOT NULL AND next_recheck_at <= $1 ORDER BY next_recheck_at",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    // ---------------------------------------------------------------- documents

    /// Queues a new document: the document row, its frozen version with the `requestId` and the
    /// outbox row, all in one transaction (§8.1). Returns the document id.
    #[allow(clippy::too_many_arguments)]
    pub async fn queue_new_document(
        &self,
        tenant_id: i64,
        doc: &NewDocument,
        ubl: &[u8],
        sha256: &str,
        request_id: &str,
        send_to_cir: &str,
        now: i64,
    ) -> DbResult<i64> {
        let mut tx = self.begin().await?;
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
        Self::insert_version(
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
    }

    /// Inserts a version and its outbox row inside `tx`.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_version(
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
    ) -> DbResult<i64> {
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

    /// Re-queues a document as a new version (after `refused`, `invalid` or a confirmed re-date):
    /// new bytes, new `requestId`, state `queued`, all in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn requeue_new_version(
        &self,
        tenant_id: i64,
        doc_id: i64,
        expected_states: &[DocState],
        ubl: &[u8],
        sha256: &str,
        request_id: &str,
        send_to_cir: &str,
        issue_date: &str,
        now: i64,
    ) -> DbResult<bool> {
        let mut tx = self.begin().await?;
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
        Self::insert_version(
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
    }

    /// A document of a tenant.
    pub async fn document(&self, tenant_id: i64, doc_id: i64) -> DbResult<Option<Document>> {
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
    }

    /// A document of a tenant by SEF sales id.
    pub async fn document_by_sales_id(
        &self,
        tenant_id: i64,
        sales_id: i64,
    ) -> DbResult<Option<Document>> {
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
    }

    /// Documents of a tenant, newest first.
    pub async fn documents(&self, tenant_id: i64, limit: i64) -> DbResult<Vec<Document>> {
        let sql = format!(
            "SELECT {DOC_COLS} FROM documents d LEFT JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.tenant_id = $1 ORDER BY d.id DESC LIMIT $2"
        );
        let rows = q!(sql)
            .bind(tenant_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(doc_from_row).collect()
    }

    /// Documents of a tenant in a state.
    pub async fn documents_in_state(
        &self,
        tenant_id: i64,
        state: DocState,
    ) -> DbResult<Vec<Document>> {
        let sql = format!(
            "SELECT {DOC_COLS} FROM documents d LEFT JOIN document_versions v ON v.document_id = d.id AND v.version = d.current_version WHERE d.tenant_id = $1 AND d.state = $2 ORDER BY d.id"
        );
        let rows = q!(sql)
            .bind(tenant_id)
            .bind(state.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(doc_from_row).collect()
    }

    /// Count of a tenant's documents in the given states.
    pub async fn count_in_states(&self, tenant_id: i64, states: &[DocState]) -> DbResult<i64> {
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
    }

    /// Whether the tenant already used an invoice number.
    pub async fn number_used(&self, tenant_id: i64, number: &str) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM documents WHERE tenant_id = $1 AND number = $2",
        )
        .bind(tenant_id)
        .bind(number)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// The current version of a document.
    pub async fn current_version(
        &self,
        tenant_id: i64,
        doc_id: i64,
    ) -> DbResult<Option<VersionRow>> {
        let r = sqlx::query(
            "SELECT v.id, v.version, v.ubl, v.sha256, v.request_id, v.send_to_cir, v.issue_date FROM document_versions v JOIN documents d ON d.id = v.document_id AND d.current_version = v.version \
             WHERE d.id = $1 AND d.tenant_id = $2",
        )
        .bind(doc_id)
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| version_from_row(&r)).transpose()
    }

    /// A version by id.
    pub async fn version(&self, tenant_id: i64, version_id: i64) -> DbResult<Option<VersionRow>> {
        let r = sqlx::query("SELECT id, version, ubl, sha256, request_id, send_to_cir, issue_date FROM document_versions WHERE id = $1 AND tenant_id = $2")
            .bind(version_id)
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| version_from_row(&r)).transpose()
    }

    /// Every version of a document, oldest first.
    pub async fn versions(&self, tenant_id: i64, doc_id: i64) -> DbResult<Vec<VersionRow>> {
        let rows = sqlx::query("SELECT id, version, ubl, sha256, request_id, send_to_cir, issue_date FROM document_versions WHERE document_id = $1 AND tenant_id = $2 ORDER BY version")
            .bind(doc_id)
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Moves a document from one of `from` to `to` (compare-and-set).
    pub async fn set_doc_state(
        &self,
        tenant_id: i64,
        doc_id: i64,
        from: &[DocState],
        to: DocState,
        now: i64,
    ) -> DbResult<bool> {
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
    }

    /// Blocks every `queued`/`sending` document of a tenant (§7.2), remembering the previous state.
    pub async fn block_tenant_documents(&self, tenant_id: i64, now: i64) -> DbResult<u64> {
        let r = sqlx::query(
            "UPDATE documents SET prev_state = state, state = 'blocked_key', updated_at = $1 WHERE tenant_id = $2 AND state IN ('queued', 'sending')",
        )
        .bind(now)
        .bind(tenant_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Returns every `blocked_key` document of a tenant to its previous state and makes its
    /// outbox row due now.
    pub async fn unblock_tenant_documents(&self, tenant_id: i64, now: i64) -> DbResult<u64> {
        let mut tx = self.begin().await?;
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
    }

    // ---------------------------------------------------------------- outbox

    /// Tenants with due outbox work whose documents are sendable (not blocked), round-robin order
    /// by the oldest due item.
    pub async fn tenants_with_due_work(&self, now: i64) -> DbResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT o.tenant_id FROM outbox o JOIN documents d ON d.id = o.document_id \
             WHERE o.done_at IS NULL AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until < $1) AND d.state IN ('queued', 'sending') \
             GROUP BY o.tenant_id ORDER BY MIN(o.id)",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims the oldest due outbox item of a tenant with a lease. Per-tenant FIFO: only the
    /// oldest open item is considered, so a retrying document is never overtaken.
    pub async fn claim_next(
        &self,
        tenant_id: i64,
        owner: &str,
        lease_ms: i64,
        now: i64,
    ) -> DbResult<Option<OutboxItem>> {
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
        Ok(Some(OutboxItem {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            document_id: r.try_get("document_id")?,
            version_id: r.try_get("version_id")?,
            request_id: r.try_get("request_id")?,
            attempts: r.try_get("attempts")?,
            attempt_days: r.try_get("attempt_days")?,
        }))
    }

    /// Extends or drops a lease.
    pub async fn release(&self, outbox_id: i64, next_attempt_at: i64) -> DbResult<()> {
        sqlx::query("UPDATE outbox SET lease_owner = NULL, lease_until = NULL, next_attempt_at = $1 WHERE id = $2")
            .bind(next_attempt_at)
            .bind(outbox_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the start of an attempt (before the HTTP call): the attempt row, the attempt
    /// counter and the attempt day, and moves the document to `sending`.
    pub async fn start_attempt(&self, item: &OutboxItem, day: &str, now: i64) -> DbResult<i64> {
        let mut tx = self.begin().await?;
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
    }

    /// Records the end of an attempt.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_attempt(
        &self,
        attempt_id: i64,
        outcome: &str,
        http_status: Option<i64>,
        sef_version: Option<&str>,
        error: Option<(&str, Option<&str>, Option<&str>)>,
        started_at: i64,
        now: i64,
    ) -> DbResult<()> {
        let (code, field, msg) = match error {
            Some((c, f, m)) => (
                Some(c.to_string()),
                f.map(str::to_string),
                m.map(str::to_string),
            ),
            None => (None, None, None),
        };
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
    }

    /// Whether an earlier attempt of a version may have reached SEF: any attempt that did not end
    /// in a clean 400, 401/403 or 429 (§8.3 step 1), including attempts that never finished.
    pub async fn may_have_reached_sef(&self, tenant_id: i64, version_id: i64) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM send_attempts WHERE tenant_id = $1 AND version_id = $2 AND (outcome IS NULL OR outcome NOT IN ('rejected', 'unauthorized', 'rate_limited'))",
        )
        .bind(tenant_id)
        .bind(version_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Whether any version of the document other than `version_id` may have reached SEF.
    pub async fn earlier_version_may_have_reached(
        &self,
        tenant_id: i64,
        doc_id: i64,
        version_id: i64,
    ) -> DbResult<bool> {
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
    }

    /// Attempts of a document, oldest first.
    pub async fn attempts(&self, tenant_id: i64, doc_id: i64) -> DbResult<Vec<SendAttempt>> {
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
    }

    /// Marks a document accepted by SEF with its ids and closes its outbox row.
    #[allow(clippy::too_many_arguments)]
    pub async fn mark_in_sef(
        &self,
        tenant_id: i64,
        doc_id: i64,
        outbox_id: Option<i64>,
        sales: i64,
        purchase: Option<i64>,
        invoice: Option<i64>,
        sef_status: &str,
        now: i64,
    ) -> DbResult<()> {
        let mut tx = self.begin().await?;
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
    }

    /// Ends an outbox item with a terminal local state (`refused`, `accepted_ids_unknown`,
    /// `needs_redate`), storing the SEF error fields.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_document(
        &self,
        tenant_id: i64,
        doc_id: i64,
        outbox_id: i64,
        state: DocState,
        error: Option<(&str, Option<&str>, Option<&str>)>,
        now: i64,
    ) -> DbResult<()> {
        let mut tx = self.begin().await?;
        let (code, field, msg) = match error {
            Some((c, f, m)) => (
                Some(c.to_string()),
                f.map(str::to_string),
                m.map(str::to_string),
            ),
            None => (None, None, None),
        };
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
    }

    /// Stores the last transient error on a document that stays in `sending`.
    pub async fn note_transient_error(
        &self,
        tenant_id: i64,
        doc_id: i64,
        code: &str,
        message: &str,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query("UPDATE documents SET error_code = $1, error_message = $2, error_field = NULL, updated_at = $3 WHERE id = $4 AND tenant_id = $5")
            .bind(code)
            .bind(message)
            .bind(now)
            .bind(doc_id)
            .bind(tenant_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Open outbox items with their documents (for the day-change check of §8.3).
    pub async fn open_items(&self, tenant_id: i64) -> DbResult<Vec<(OutboxItem, String)>> {
        let rows = sqlx::query(
            "SELECT o.id, o.tenant_id, o.document_id, o.version_id, o.request_id, o.attempts, o.attempt_days, v.issue_date FROM outbox o JOIN document_versions v ON v.id = o.version_id \
             WHERE o.tenant_id = $1 AND o.done_at IS NULL ORDER BY o.id",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    OutboxItem {
                        id: r.try_get("id")?,
                        tenant_id: r.try_get("tenant_id")?,
                        document_id: r.try_get("document_id")?,
                        version_id: r.try_get("version_id")?,
                        request_id: r.try_get("request_id")?,
                        attempts: r.try_get("attempts")?,
                        attempt_days: r.try_get("attempt_days")?,
                    },
                    r.try_get("issue_date")?,
                ))
            })
            .collect()
    }

    /// Outbox days of attempts for every version of a document (reconciliation, §8.4).
    pub async fn attempt_days_of_document(
        &self,
        tenant_id: i64,
        doc_id: i64,
    ) -> DbResult<Vec<String>> {
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
    }

    /// Every SEF sales id the tenant already knows.
    pub async fn known_sales_ids(&self, tenant_id: i64) -> DbResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT sef_sales_id FROM documents WHERE tenant_id = $1 AND sef_sales_id IS NOT NULL",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?)
    }

    // ---------------------------------------------------------------- status

    /// Updates the SEF status fields of a document (by tenant and sales id).
    pub async fn set_sef_status(
        &self,
        tenant_id: i64,
        doc_id: i64,
        status: &str,
        comment: Option<&str>,
        cir_status: Option<&str>,
        now: i64,
    ) -> DbResult<()> {
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
    }

    /// `in_sef` documents still in `Sending` (§9.4) accepted after `since`, not read since
    /// `read_before`.
    pub async fn documents_to_poll(
        &self,
        since: i64,
        read_before: i64,
    ) -> DbResult<Vec<(i64, i64)>> {
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
    }

    /// Inserts an event; `false` if it was already known (unique on tenant, direction, EventId).
    pub async fn insert_event(&self, tenant_id: i64, e: &NewEvent, now: i64) -> DbResult<bool> {
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
    }

    /// Number of stored events of a tenant.
    pub async fn event_count(&self, tenant_id: i64) -> DbResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM sef_events WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Enqueues a status read for a SEF document (from a callback).
    pub async fn enqueue_status_read(
        &self,
        tenant_id: i64,
        sef_document_id: i64,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO status_reads (tenant_id, sef_document_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(tenant_id)
        .bind(sef_document_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Pending status reads (oldest first).
    pub async fn pending_status_reads(&self, limit: i64) -> DbResult<Vec<(i64, i64, i64)>> {
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
    }

    /// Marks a status read done.
    pub async fn status_read_done(&self, id: i64, now: i64) -> DbResult<()> {
        sqlx::query("UPDATE status_reads SET done_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a subscription key for a day.
    pub async fn store_subscription(
        &self,
        tenant_id: i64,
        valid_for: &str,
        key: &str,
        now: i64,
    ) -> DbResult<()> {
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
    }

    /// Subscription keys of a tenant valid on the given days.
    pub async fn subscription_keys(
        &self,
        tenant_id: i64,
        days: &[String],
    ) -> DbResult<Vec<String>> {
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
    }

    // ---------------------------------------------------------------- notifications, audit

    /// Queues a notification once per `dedup_key`; returns whether it was new.
    pub async fn notify(
        &self,
        tenant_id: i64,
        message_id: &str,
        recipient: Option<&str>,
        body: &str,
        dedup_key: &str,
        now: i64,
    ) -> DbResult<bool> {
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
    }

    /// Notifications of a tenant, oldest first.
    pub async fn notifications(&self, tenant_id: i64) -> DbResult<Vec<Notification>> {
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
    }

    /// Appends an audit entry.
    pub async fn audit(
        &self,
        tenant_id: Option<i64>,
        actor: &str,
        action: &str,
        key_last_four: Option<&str>,
        detail: Option<&str>,
        now: i64,
    ) -> DbResult<()> {
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
    }

    /// Audit entries of a tenant, oldest first.
    pub async fn audit_entries(&self, tenant_id: i64) -> DbResult<Vec<AuditEntry>> {
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
    }

    // ---------------------------------------------------------------- rate limiter

    /// Tries to take one call start for a key (sliding window: at most 3 starts in any window of
    /// `window_ms`), in the database's own real-time clock so every process agrees. Returns
    /// `Ok(None)` when granted, or how many milliseconds to wait before trying again. Atomic in one
    /// statement, so it is shared by every process using this store.
    pub async fn rate_try_acquire(
        &self,
        fingerprint: &str,
        window_ms: i64,
    ) -> DbResult<Option<i64>> {
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
    }
}

fn version_from_row(r: &AnyRow) -> DbResult<VersionRow> {
    Ok(VersionRow {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        ubl: r.try_get("ubl")?,
        sha256: r.try_get("sha256")?,
        request_id: r.try_get("request_id")?,
        send_to_cir: r.try_get("send_to_cir")?,
        issue_date: r.try_get("issue_date")?,
    })
}
