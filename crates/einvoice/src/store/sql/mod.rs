//! [`SqlStore`]: the store on one SQL layer over `sqlx::AnyPool`, for SQLite (default) and
//! PostgreSQL.
//!
//! Both backends run the same statements (`$n` placeholders, `RETURNING`, `ON CONFLICT`); the
//! schemas differ only in column types (`migrations/sqlite`, `migrations/postgres`). Only the
//! portable types are used: `i64`, `String`, `Vec<u8>`. One file per table area implements that
//! area's trait.

use fiskal_storage::{Backend, DatabaseUrl, LegacyVersion, Migrations, PoolConfig, Step};
use sqlx::AnyPool;

use crate::store::error::StoreResult;

/// A query from a statement built at run time (column lists spliced in with `format!`).
macro_rules! q {
    ($s:expr) => {
        sqlx::query(sqlx::AssertSqlSafe($s))
    };
}

mod audit;
mod documents;
mod events;
mod keys;
mod outbox;
mod rows;
mod tenants;

/// The store's schema steps (`migrations/{sqlite,postgres}`); never edit a released step, add
/// one. fiskal 0.1 recorded its steps in `fiskal_einvoice_migrations`; that table is respected
/// (a version above 1 is refused) and kept.
pub const MIGRATIONS: Migrations = Migrations {
    store: "Moje fakture store",
    table: "_fiskal_migrations_einvoice",
    sqlite: &[Step {
        version: 1,
        description: "init",
        sql: include_str!("../../../migrations/sqlite/0001_init.sql"),
    }],
    postgres: &[Step {
        version: 1,
        description: "init",
        sql: include_str!("../../../migrations/postgres/0001_init.sql"),
    }],
    legacy: LegacyVersion::Table {
        table: "fiskal_einvoice_migrations",
        column: "version",
    },
    legacy_known: 1,
};

/// The service's store on SQLite or PostgreSQL. Cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
}

impl SqlStore {
    /// Connects to `sqlite:path?mode=rwc`, `sqlite::memory:` or `postgres://…` and brings the
    /// schema up to date ([`MIGRATIONS`]; a store of fiskal 0.1 is adopted as it is, one of a
    /// newer fiskal refused).
    pub async fn connect(url: &str) -> StoreResult<SqlStore> {
        let url = DatabaseUrl::parse(url).map_err(fiskal_storage::StorageError::from)?;
        let backend = url.backend();
        let pool = fiskal_storage::open_any(&url, &PoolConfig::default(), &MIGRATIONS).await?;
        Ok(SqlStore { pool, backend })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool (for tests and maintenance tools).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}
