//! Connection pools with fiskal's durable settings.
//!
//! SQLite: WAL journal, `synchronous=FULL` (a committed transaction is on disk), a busy timeout
//! of [`SQLITE_BUSY_TIMEOUT`] and foreign keys on. PostgreSQL: `lock_timeout`
//! ([`PG_LOCK_TIMEOUT`]) and `statement_timeout` ([`PG_STATEMENT_TIMEOUT`]), so a lock held
//! elsewhere fails a statement instead of stalling the service, and optionally a schema of its
//! own. Pools are small: at most [`MAX_CONNECTIONS`], by default [`DEFAULT_PG_CONNECTIONS`] on
//! PostgreSQL (one server serves many processes and parallel tests).

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor, SqlitePool};

use crate::StorageError;
use crate::url::{Backend, DatabaseUrl, SqliteMode, check_identifier};

/// How long a SQLite statement waits for another connection's lock.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// PostgreSQL `lock_timeout` of every connection.
pub const PG_LOCK_TIMEOUT: &str = "5s";
/// PostgreSQL `statement_timeout` of every connection.
pub const PG_STATEMENT_TIMEOUT: &str = "15s";
/// Most connections a pool may have, whatever is asked.
pub const MAX_CONNECTIONS: u32 = 16;
/// Connections of a PostgreSQL pool unless the store asks otherwise.
pub const DEFAULT_PG_CONNECTIONS: u32 = 5;
/// Connections of a SQLite file pool unless the store asks otherwise.
pub const DEFAULT_SQLITE_CONNECTIONS: u32 = 4;

/// Settings of a pool beyond the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolConfig {
    /// Largest number of connections (capped at [`MAX_CONNECTIONS`]); `None`: 4 for a SQLite
    /// file, 5 for PostgreSQL. An in-memory SQLite database always has exactly one.
    pub max_connections: Option<u32>,
    /// PostgreSQL only: a schema (created when missing) put first in every connection's
    /// `search_path`. A plain identifier.
    pub schema: Option<String>,
}

impl PoolConfig {
    /// A configuration with at most `n` connections.
    pub fn with_max_connections(n: u32) -> PoolConfig {
        PoolConfig {
            max_connections: Some(n),
            ..PoolConfig::default()
        }
    }

    /// The pool size for `url`.
    pub fn size_for(&self, url: &DatabaseUrl) -> u32 {
        match url {
            DatabaseUrl::SqliteMemory => 1,
            DatabaseUrl::SqliteFile { .. } => {
                self.max_connections.unwrap_or(DEFAULT_SQLITE_CONNECTIONS)
            }
            DatabaseUrl::Postgres(_) => self.max_connections.unwrap_or(DEFAULT_PG_CONNECTIONS),
        }
        .clamp(1, MAX_CONNECTIONS)
    }
}

/// The SQLite connection options fiskal uses for `url` (a `sqlite:` URL): WAL,
/// `synchronous=FULL`, busy timeout, foreign keys, the URL's open mode.
pub fn sqlite_options(url: &DatabaseUrl) -> Result<SqliteConnectOptions, StorageError> {
    let opts = match url {
        DatabaseUrl::SqliteMemory => SqliteConnectOptions::new().in_memory(true),
        DatabaseUrl::SqliteFile { path, mode } => {
            let o = SqliteConnectOptions::new().filename(path);
            match mode {
                SqliteMode::ReadWriteCreate => o.create_if_missing(true),
                SqliteMode::ReadWrite => o,
                SqliteMode::ReadOnly => o.read_only(true),
            }
        }
        DatabaseUrl::Postgres(_) => {
            return Err(StorageError::WrongBackend {
                url: url.to_string(),
                wanted: Backend::Sqlite,
            });
        }
    };
    let opts = opts
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true)
        .synchronous(SqliteSynchronous::Full);
    Ok(match url {
        DatabaseUrl::SqliteFile {
            mode: SqliteMode::ReadOnly,
            ..
        } => opts,
        _ => opts.journal_mode(SqliteJournalMode::Wal),
    })
}

/// Opens a SQLite pool (`sqlite:` URLs only) with fiskal's settings.
pub async fn sqlite_pool(url: &DatabaseUrl, cfg: &PoolConfig) -> Result<SqlitePool, StorageError> {
    let opts = sqlite_options(url)?;
    SqlitePoolOptions::new()
        .max_connections(cfg.size_for(url))
        .connect_with(opts)
        .await
        .map_err(|e| StorageError::connect(url, e))
}

/// The SQL run on every new connection of an [`AnyPool`].
fn session_sql(backend: Backend, schema: Option<&str>, read_only: bool) -> String {
    match backend {
        Backend::Sqlite if read_only => {
            format!("PRAGMA busy_timeout = {};", SQLITE_BUSY_TIMEOUT.as_millis())
        }
        Backend::Sqlite => format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA foreign_keys = ON;",
            SQLITE_BUSY_TIMEOUT.as_millis()
        ),
        Backend::Postgres => {
            let mut s = String::new();
            if let Some(schema) = schema {
                s.push_str(&format!("SET search_path TO {schema}; "));
            }
            s.push_str(&format!(
                "SET lock_timeout = '{PG_LOCK_TIMEOUT}'; SET statement_timeout = '{PG_STATEMENT_TIMEOUT}';"
            ));
            s
        }
    }
}

/// The `AnyConnectOptions` for `url`.
fn any_options(url: &DatabaseUrl) -> Result<AnyConnectOptions, StorageError> {
    let text = match url {
        DatabaseUrl::Postgres(p) => p.expose().to_string(),
        DatabaseUrl::SqliteMemory => "sqlite::memory:".to_string(),
        DatabaseUrl::SqliteFile { .. } => sqlite_options(url)?.to_url_lossy().to_string(),
    };
    text.parse::<AnyConnectOptions>()
        .map_err(|e| StorageError::connect(url, e))
}

/// Opens a pool over `sqlx::Any` (SQLite or PostgreSQL, by URL) with fiskal's settings; with
/// [`PoolConfig::schema`] on PostgreSQL, the schema is created when missing.
pub async fn any_pool(url: &DatabaseUrl, cfg: &PoolConfig) -> Result<AnyPool, StorageError> {
    sqlx::any::install_default_drivers();
    let backend = url.backend();
    let schema = match (backend, &cfg.schema) {
        (Backend::Postgres, Some(s)) => {
            check_identifier(s)?;
            Some(s.clone())
        }
        _ => None,
    };
    let opts = any_options(url)?;
    if let Some(s) = &schema {
        let mut conn = sqlx::AnyConnection::connect_with(&opts)
            .await
            .map_err(|e| StorageError::connect(url, e))?;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {s}"
        )))
        .await?;
        conn.close().await?;
    }
    let read_only = matches!(
        url,
        DatabaseUrl::SqliteFile {
            mode: SqliteMode::ReadOnly,
            ..
        }
    );
    let session = session_sql(backend, schema.as_deref(), read_only);
    AnyPoolOptions::new()
        .max_connections(cfg.size_for(url))
        .after_connect(move |conn, _| {
            let session = session.clone();
            Box::pin(async move {
                conn.execute(sqlx::AssertSqlSafe(session)).await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await
        .map_err(|e| StorageError::connect(url, e))
}
