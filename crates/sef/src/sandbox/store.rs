//! Where the sandbox keeps its state between runs. The state is small; it is saved whole as
//! one JSON snapshot after every change. The trait keeps the door open for other databases
//! (e.g. PostgreSQL): an implementation only has to load and save one text value.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use fiskal_storage::{DatabaseUrl, LegacyVersion, Migrations, PoolConfig, Step};
use sqlx::sqlite::SqlitePool;

/// A boxed future, as returned by [`SandboxStore`] methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[error("The sandbox store failed: {0}.")]
pub struct StoreError(pub String);

/// Persistence of the sandbox's state snapshot.
pub trait SandboxStore: Send + Sync {
    /// The last saved snapshot, or `None` for a fresh store.
    fn load(&self) -> StoreFuture<'_, Option<String>>;
    /// Replaces the snapshot.
    fn save<'a>(&'a self, snapshot: &'a str) -> StoreFuture<'a, ()>;
    /// Drops everything.
    fn clear(&self) -> StoreFuture<'_, ()>;
    /// Whether saving keeps anything (the sandbox skips serialising for a memory-only store).
    fn is_persistent(&self) -> bool {
        true
    }
}

/// Keeps nothing: the state lives in memory only.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryStore;

impl SandboxStore for MemoryStore {
    fn load(&self) -> StoreFuture<'_, Option<String>> {
        Box::pin(async { Ok(None) })
    }
    fn save<'a>(&'a self, _snapshot: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn clear(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
    fn is_persistent(&self) -> bool {
        false
    }
}

/// A SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

/// The sandbox store's schema steps (`migrations/sqlite`); never edit a released step, add one.
pub const MIGRATIONS: Migrations = Migrations {
    store: "SEF sandbox store",
    table: "_fiskal_migrations_sandbox",
    sqlite: &[Step {
        version: 1,
        description: "initial",
        sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
    }],
    postgres: &[],
    legacy: LegacyVersion::None,
    legacy_known: 0,
};

impl SqliteStore {
    /// Opens (creating when missing) the SQLite file at `path` and brings its schema up to
    /// date ([`MIGRATIONS`]; a store of fiskal 0.1 is adopted as it is, one of a newer fiskal
    /// refused).
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let pool = fiskal_storage::open_sqlite(
            &DatabaseUrl::sqlite_file(path),
            &PoolConfig::with_max_connections(1),
            &MIGRATIONS,
        )
        .await
        .map_err(|e| StoreError(e.to_string()))?;
        Ok(SqliteStore { pool })
    }
}

impl SandboxStore for SqliteStore {
    fn load(&self) -> StoreFuture<'_, Option<String>> {
        Box::pin(async move {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT snapshot FROM sef_sandbox_state WHERE id = 1")
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| StoreError(e.to_string()))?;
            Ok(row.map(|r| r.0))
        })
    }

    fn save<'a>(&'a self, snapshot: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO sef_sandbox_state (id, snapshot, saved_at) VALUES (1, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, saved_at = excluded.saved_at",
            )
            .bind(snapshot)
            .bind(chrono::Utc::now().to_rfc3339())
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError(e.to_string()))?;
            Ok(())
        })
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("DELETE FROM sef_sandbox_state")
                .execute(&self.pool)
                .await
                .map_err(|e| StoreError(e.to_string()))?;
            Ok(())
        })
    }
}
