//! The ESIR's local store: every request it sent and the PFR's result, in SQLite (WAL,
//! `synchronous=FULL`, so an issued receipt survives a power cut once the call returns).
//!
//! A request is written as *pending* before it is sent, with its `RequestId`; the result then
//! marks it *issued* (or *failed* when the PFR refused it or confirmed it has nothing under the
//! request ID). Pending rows are looked up at the PFR before the next document, so a receipt whose
//! answer was lost is never issued a second time.
//!
//! Issued documents are indexed by PFR invoice number and request ID, with kind, PFR time,
//! total, buyer ID, reference and advance-chain ID (the PFR number of the chain's first Advance
//! Sale).

use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use fiskal_domain::api::{InvoiceRequest, InvoiceResult};
use fiskal_domain::kinds::{DocumentKind, InvoiceType, TransactionType};
use fiskal_storage::{DatabaseUrl, LegacyVersion, Migrations, PoolConfig, Step};
use sqlx::{Row, SqlitePool};

use crate::error::EsirError;
use crate::rules::Referenced;

/// The store's schema steps (`migrations/sqlite`); never edit a released step, add one.
/// fiskal 0.1 counted its steps in `PRAGMA user_version`; it is kept up to date.
pub const MIGRATIONS: Migrations = Migrations {
    store: "ESIR store",
    table: "_fiskal_migrations_esir",
    sqlite: &[Step {
        version: 1,
        description: "initial",
        sql: include_str!("../migrations/sqlite/0001_initial.sql"),
    }],
    postgres: &[],
    legacy: LegacyVersion::UserVersion,
    legacy_known: 1,
};

/// One issued document as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInvoice {
    /// The `RequestId` it was sent with.
    pub request_id: String,
    /// The request as sent.
    pub request: InvoiceRequest,
    /// The PFR's result.
    pub result: InvoiceResult,
    /// PFR number of the first Advance Sale of its advance chain, if it belongs to one.
    pub chain_id: Option<String>,
    /// When the ESIR stored the result.
    pub stored_at: DateTime<Utc>,
}

impl StoredInvoice {
    /// The document kind.
    pub fn kind(&self) -> DocumentKind {
        self.request.kind()
    }

    /// The PFR invoice number (`YTSS6KKG-HJHR9EO0-289`).
    pub fn number(&self) -> &str {
        &self.result.invoice_number
    }

    /// The PFR time.
    pub fn time(&self) -> DateTime<FixedOffset> {
        self.result.sdc_date_time
    }

    /// What the rules need to know about this document when another one references it.
    pub fn as_referenced(&self) -> Referenced {
        Referenced {
            number: self.number().to_string(),
            kind: self.kind(),
            time: self.time(),
            total: self.result.total_amount,
            seller_tin: Some(self.result.tin.clone()),
        }
    }
}

/// A request sent whose outcome is not known yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRequest {
    /// The `RequestId`.
    pub request_id: String,
    /// The request.
    pub request: InvoiceRequest,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// The local store (a SQLite file).
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

fn json_err(e: serde_json::Error) -> EsirError {
    EsirError::Store {
        detail: format!("stored JSON cannot be read: {e}"),
    }
}

impl Store {
    /// Opens (creating if needed) the store in directory `dir` as `esir.sqlite`.
    pub async fn open_dir(dir: &Path) -> Result<Store, EsirError> {
        std::fs::create_dir_all(dir).map_err(|e| EsirError::Io {
            path: dir.display().to_string(),
            detail: e.to_string(),
        })?;
        Store::open(&dir.join("esir.sqlite")).await
    }

    /// Opens (creating if needed) the store in the SQLite file `path` and brings its schema up to
    /// date ([`MIGRATIONS`]; a store of fiskal 0.1 is adopted as it is, one of a newer fiskal
    /// refused).
    pub async fn open(path: &Path) -> Result<Store, EsirError> {
        let pool = fiskal_storage::open_sqlite(
            &DatabaseUrl::sqlite_file(path),
            &PoolConfig::with_max_connections(2),
            &MIGRATIONS,
        )
        .await
        .map_err(|e| EsirError::Store {
            detail: e.to_string(),
        })?;
        Ok(Store { pool })
    }

    /// Records a request as pending, before it is sent.
    pub async fn insert_pending(
        &self,
        request_id: &str,
        req: &InvoiceRequest,
    ) -> Result<(), EsirError> {
        let now = Utc::now().to_rfc3339();
        let kind = req.kind();
        sqlx::query(
            "INSERT INTO invoices (request_id, state, invoice_type, transaction_type, total, buyer_id, \
             referent_number, request_json, created_at, updated_at) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(request_id)
        .bind(i64::from(kind.invoice_type.code()))
        .bind(i64::from(kind.transaction_type.code()))
        .bind(req.total().to_string())
        .bind(req.buyer_id.clone())
        .bind(req.referent_document_number.clone())
        .bind(serde_json::to_string(req).map_err(json_err)?)
        .bind(&now)
        .bind(&now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the PFR's result of a pending request and returns the stored document.
    pub async fn complete(
        &self,
        request_id: &str,
        result: &InvoiceResult,
    ) -> Result<StoredInvoice, EsirError> {
        let row = sqlx::query("SELECT request_json FROM invoices WHERE request_id = ?")
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| EsirError::Store {
                detail: format!("request {request_id} was never recorded"),
            })?;
        let request: InvoiceRequest =
            serde_json::from_str(row.get::<&str, _>(0)).map_err(json_err)?;
        let chain_id = self.chain_for(&request, &result.invoice_number).await?;
        let now = Utc::now();
        sqlx::query(
            "UPDATE invoices SET state = 'issued', invoice_number = ?, sdc_time = ?, total = ?, chain_id = ?, \
             result_json = ?, updated_at = ? WHERE request_id = ?",
        )
        .bind(&result.invoice_number)
        .bind(result.sdc_date_time.to_rfc3339())
        .bind(result.total_amount.to_string())
        .bind(chain_id.clone())
        .bind(serde_json::to_string(result).map_err(json_err)?)
        .bind(now.to_rfc3339())
        .bind(request_id)
        .execute(&self.pool)
        .await?;
        Ok(StoredInvoice {
            request_id: request_id.to_string(),
            request,
            result: result.clone(),
            chain_id,
            stored_at: now,
        })
    }

    /// Marks a pending request as not issued.
    pub async fn mark_failed(&self, request_id: &str) -> Result<(), EsirError> {
        sqlx::query("UPDATE invoices SET state = 'failed', updated_at = ? WHERE request_id = ? AND state = 'pending'")
            .bind(Utc::now().to_rfc3339())
            .bind(request_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The advance chain a new document joins: a Normal or Advance document referencing a member
    /// of a chain joins it (a Normal Sale only through the chain's Advance Refund); an Advance
    /// Sale that references no chain starts one.
    async fn chain_for(
        &self,
        req: &InvoiceRequest,
        own_number: &str,
    ) -> Result<Option<String>, EsirError> {
        let kind = req.kind();
        let referenced = match &req.referent_document_number {
            Some(n) => self.by_number(n).await?,
            None => None,
        };
        if let Some(r) = referenced
            && let Some(c) = r.chain_id
        {
            let rk = r.request.kind();
            let joins = match (kind.invoice_type, kind.transaction_type) {
                (InvoiceType::Advance, _) => true,
                (InvoiceType::Normal, TransactionType::Sale) => {
                    rk == DocumentKind::new(InvoiceType::Advance, TransactionType::Refund)
                }
                _ => false,
            };
            if joins {
                return Ok(Some(c));
            }
        }
        Ok(
            (kind == DocumentKind::new(InvoiceType::Advance, TransactionType::Sale))
                .then(|| own_number.to_string()),
        )
    }

    fn row_to_stored(row: &sqlx::sqlite::SqliteRow) -> Result<StoredInvoice, EsirError> {
        let request: InvoiceRequest =
            serde_json::from_str(row.get::<&str, _>("request_json")).map_err(json_err)?;
        let result_json: Option<String> = row.get("result_json");
        let result: InvoiceResult =
            serde_json::from_str(result_json.as_deref().unwrap_or("null")).map_err(json_err)?;
        let updated: String = row.get("updated_at");
        Ok(StoredInvoice {
            request_id: row.get("request_id"),
            request,
            result,
            chain_id: row.get("chain_id"),
            stored_at: DateTime::parse_from_rfc3339(&updated)
                .map(|t| t.to_utc())
                .unwrap_or_default(),
        })
    }

    /// The issued document with this PFR invoice number.
    pub async fn by_number(&self, number: &str) -> Result<Option<StoredInvoice>, EsirError> {
        let row =
            sqlx::query("SELECT * FROM invoices WHERE invoice_number = ? AND state = 'issued'")
                .bind(number)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(Store::row_to_stored).transpose()
    }

    /// The issued document sent with this request ID.
    pub async fn by_request_id(
        &self,
        request_id: &str,
    ) -> Result<Option<StoredInvoice>, EsirError> {
        let row = sqlx::query("SELECT * FROM invoices WHERE request_id = ? AND state = 'issued'")
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Store::row_to_stored).transpose()
    }

    /// The most recent issued documents, newest first.
    pub async fn recent(&self, limit: u32) -> Result<Vec<StoredInvoice>, EsirError> {
        let rows =
            sqlx::query("SELECT * FROM invoices WHERE state = 'issued' ORDER BY seq DESC LIMIT ?")
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(Store::row_to_stored).collect()
    }

    /// The documents of an advance chain, in the order they were issued.
    pub async fn chain(&self, chain_id: &str) -> Result<Vec<StoredInvoice>, EsirError> {
        let rows = sqlx::query(
            "SELECT * FROM invoices WHERE chain_id = ? AND state = 'issued' ORDER BY seq",
        )
        .bind(chain_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Store::row_to_stored).collect()
    }

    /// Issued documents that reference `number`, in the order they were issued.
    pub async fn referencing(&self, number: &str) -> Result<Vec<StoredInvoice>, EsirError> {
        let rows = sqlx::query(
            "SELECT * FROM invoices WHERE referent_number = ? AND state = 'issued' ORDER BY seq",
        )
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Store::row_to_stored).collect()
    }

    /// Requests whose outcome is not known yet, oldest first.
    pub async fn pending(&self) -> Result<Vec<PendingRequest>, EsirError> {
        let rows = sqlx::query("SELECT request_id, request_json, created_at FROM invoices WHERE state = 'pending' ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let created: String = r.get("created_at");
                Ok(PendingRequest {
                    request_id: r.get("request_id"),
                    request: serde_json::from_str(r.get::<&str, _>("request_json"))
                        .map_err(json_err)?,
                    created_at: DateTime::parse_from_rfc3339(&created)
                        .map(|t| t.to_utc())
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Closes the store.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
