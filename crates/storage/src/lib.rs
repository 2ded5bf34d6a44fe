//! Storage for every part of fiskal.
//!
//! - [`DatabaseUrl`]: a checked database URL (SQLite file, `sqlite::memory:`, PostgreSQL) whose
//!   `Display` never shows a password;
//! - [`sqlite_pool`] and [`any_pool`]: pools with fiskal's durable settings (SQLite WAL,
//!   `synchronous=FULL`, busy timeout, foreign keys; PostgreSQL lock and statement timeouts),
//!   small by default;
//! - [`Migrations`], [`migrate_sqlite`] and [`migrate_any`]: numbered schema steps per backend
//!   through sqlx's migrator, one version table per store; a database made before the steps
//!   existed is adopted (its data kept, its old version record respected), and a database
//!   newer than the program is refused without a change;
//! - [`write_atomic`]: one durable atomic file write (random temporary name, fsync, rename,
//!   fsync of the folder, every error reported).
//!
//! Without the default `sql` feature only the file functions are built.

pub mod fs;
#[cfg(feature = "sql")]
pub mod migrate;
#[cfg(feature = "sql")]
pub mod pool;
#[cfg(feature = "sql")]
pub mod url;

pub use fs::{MODE_PRIVATE, MODE_PUBLIC, sync_folder, write_atomic, write_new};
#[cfg(feature = "sql")]
pub use migrate::{LegacyVersion, Migrated, Migrations, Step, migrate_any, migrate_sqlite};
#[cfg(feature = "sql")]
pub use pool::{PoolConfig, any_pool, sqlite_options, sqlite_pool};
#[cfg(feature = "sql")]
pub use url::{Backend, DatabaseUrl, PostgresUrl, SqliteMode, UrlError};

/// Why a store could not be opened or migrated. The text never holds a password.
#[cfg(feature = "sql")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The URL cannot be used.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// Connecting failed.
    #[error("cannot open the database {url}: {source}")]
    Connect {
        /// The URL, password masked.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The store needs another backend than the URL names.
    #[error("{url} is not a {wanted} database")]
    WrongBackend {
        /// The URL, password masked.
        url: String,
        /// What the store needs.
        wanted: Backend,
    },
    /// A statement failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// The database holds a schema version this program does not know.
    #[error(
        "the {store} was written by a newer fiskal (schema version {found}; this program knows up \
         to {known}); nothing was changed: use a newer fiskal"
    )]
    NewerDatabase {
        /// Which store.
        store: &'static str,
        /// The version found.
        found: i64,
        /// The newest version this program knows.
        known: i64,
    },
    /// A table of a release before numbered migrations lacks columns of today's schema.
    #[error(
        "the {store} has table {table} in an older layout (missing columns: {missing}); it cannot \
         be adopted and nothing was changed"
    )]
    OlderSchema {
        /// Which store.
        store: &'static str,
        /// The table.
        table: String,
        /// The missing columns, comma-separated.
        missing: String,
    },
    /// A migration failed part-way in an earlier run.
    #[error("the {store} has migration {version} only partly applied; restore it from a backup")]
    Dirty {
        /// Which store.
        store: &'static str,
        /// The migration.
        version: i64,
    },
    /// Running the migrations failed (nothing of the failed step was kept).
    #[error("migrating the {store} failed: {source}")]
    Migrate {
        /// Which store.
        store: &'static str,
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

#[cfg(feature = "sql")]
impl StorageError {
    /// A connection error for `url`.
    pub(crate) fn connect(url: &DatabaseUrl, source: sqlx::Error) -> StorageError {
        StorageError::Connect {
            url: url.to_string(),
            source,
        }
    }
}

/// Parses `url` and opens an [`sqlx::AnyPool`] on it with `cfg`, then brings its schema up to
/// date with `migrations`.
#[cfg(feature = "sql")]
pub async fn open_any(
    url: &DatabaseUrl,
    cfg: &PoolConfig,
    migrations: &Migrations,
) -> Result<sqlx::AnyPool, StorageError> {
    let pool = any_pool(url, cfg).await?;
    migrate_any(&pool, migrations).await?;
    Ok(pool)
}

/// Opens a [`sqlx::SqlitePool`] on `url` with `cfg`, then brings its schema up to date with
/// `migrations`.
#[cfg(feature = "sql")]
pub async fn open_sqlite(
    url: &DatabaseUrl,
    cfg: &PoolConfig,
    migrations: &Migrations,
) -> Result<sqlx::SqlitePool, StorageError> {
    let pool = sqlite_pool(url, cfg).await?;
    migrate_sqlite(&pool, migrations).await?;
    Ok(pool)
}
