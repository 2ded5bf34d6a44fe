//! Numbered schema migrations per backend through sqlx's [`Migrator`], one version table per
//! store.
//!
//! Each store lists its steps ([`Step`], usually `include_str!` of
//! `migrations/{sqlite,postgres}/NNNN_name.sql`) in a [`Migrations`]. Opening a database:
//!
//! 1. **Newer database refused.** If the store's version table records a step this program does
//!    not know, or a legacy version record (see [`LegacyVersion`]) is above what it knows, the
//!    store is refused with [`StorageError::NewerDatabase`] and nothing is changed.
//! 2. **Existing data adopted.** A database made before numbered migrations has no version
//!    table. Step 1 of every store is written to change nothing on such a database (`CREATE …
//!    IF NOT EXISTS`). Before it runs, every existing table the steps create is compared with
//!    the columns the steps give it; a table of an older layout is refused
//!    ([`StorageError::OlderSchema`]), nothing changed. The legacy version record is kept.
//! 3. **Steps applied** in order, each in its own transaction, recorded in the version table.
//!    On PostgreSQL concurrent migrators wait for each other (sqlx's advisory lock).

use std::borrow::Cow;
use std::collections::BTreeSet;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::{AnyConnection, Connection, Executor, SqlSafeStr, SqliteConnection};

use crate::StorageError;
use crate::url::Backend;

/// One numbered schema step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Version number (1, 2, 3, …); never reused, never edited once released.
    pub version: i64,
    /// Short description (recorded with the version).
    pub description: &'static str,
    /// The SQL (may hold several statements).
    pub sql: &'static str,
}

/// Where a store kept its schema version before numbered migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyVersion {
    /// No version was kept.
    None,
    /// SQLite's `PRAGMA user_version`. After migrating it is set to the newest applied step,
    /// so an older program that reads it refuses a newer database.
    UserVersion,
    /// The highest value of `column` in `table` (when the table exists and has rows).
    Table {
        /// The table.
        table: &'static str,
        /// Its version column.
        column: &'static str,
    },
}

/// The schema steps of one store.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// The store, as messages name it ("L-PFR journal").
    pub store: &'static str,
    /// The table sqlx records applied steps in; unique per store, so stores may share one
    /// PostgreSQL schema. A plain identifier.
    pub table: &'static str,
    /// Steps on SQLite.
    pub sqlite: &'static [Step],
    /// Steps on PostgreSQL (the same tables and columns as on SQLite); empty for a SQLite-only
    /// store.
    pub postgres: &'static [Step],
    /// Where the store kept its version before numbered migrations.
    pub legacy: LegacyVersion,
    /// The newest legacy version this program knows: a database whose legacy record is at most
    /// this (or absent) holds the schema of step 1 and is adopted by it.
    pub legacy_known: i64,
}

impl Migrations {
    /// The steps for `backend`.
    pub fn steps(&self, backend: Backend) -> &'static [Step] {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }

    /// The newest version for `backend` (0 when there are no steps).
    pub fn latest(&self, backend: Backend) -> i64 {
        self.steps(backend)
            .iter()
            .map(|s| s.version)
            .max()
            .unwrap_or(0)
    }

    fn migrator(&self, backend: Backend) -> Migrator {
        let list = self
            .steps(backend)
            .iter()
            .map(|s| {
                Migration::new(
                    s.version,
                    Cow::Borrowed(s.description),
                    MigrationType::Simple,
                    s.sql.into_sql_str(),
                    false,
                )
            })
            .collect();
        let mut m = Migrator::with_migrations(list);
        m.dangerous_set_table_name(self.table);
        m
    }
}

/// What [`migrate_sqlite`] or [`migrate_any`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Migrated {
    /// The database held tables of a release before numbered migrations and was adopted.
    pub adopted: bool,
    /// The versions applied now, in order.
    pub applied: Vec<i64>,
    /// The newest version now applied.
    pub version: i64,
}

/// A connection being migrated.
enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Any(&'a mut AnyConnection, Backend),
}

impl Conn<'_> {
    fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Any(_, b) => *b,
        }
    }

    /// The first column of every row, as text.
    async fn texts(&mut self, sql: String, arg: Option<&str>) -> Result<Vec<String>, sqlx::Error> {
        match self {
            Conn::Sqlite(c) => {
                let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
                if let Some(a) = arg {
                    q = q.bind(a.to_string());
                }
                q.fetch_all(&mut **c).await
            }
            Conn::Any(c, _) => {
                let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
                if let Some(a) = arg {
                    q = q.bind(a.to_string());
                }
                q.fetch_all(&mut **c).await
            }
        }
    }

    /// The first column of every row, as integers (NULL skipped).
    async fn ints(&mut self, sql: String) -> Result<Vec<i64>, sqlx::Error> {
        let v: Vec<Option<i64>> = match self {
            Conn::Sqlite(c) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut **c)
                    .await?
            }
            Conn::Any(c, _) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut **c)
                    .await?
            }
        };
        Ok(v.into_iter().flatten().collect())
    }

    async fn exec(&mut self, sql: String) -> Result<(), sqlx::Error> {
        match self {
            Conn::Sqlite(c) => c.execute(sqlx::AssertSqlSafe(sql)).await.map(|_| ()),
            Conn::Any(c, _) => c.execute(sqlx::AssertSqlSafe(sql)).await.map(|_| ()),
        }
    }

    async fn run(&mut self, migrator: &Migrator) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Conn::Sqlite(c) => migrator.run(&mut **c).await,
            Conn::Any(c, _) => migrator.run(&mut **c).await,
        }
    }

    /// Tables of the current schema.
    async fn tables(&mut self) -> Result<BTreeSet<String>, sqlx::Error> {
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema()"
            }
        };
        Ok(self.texts(sql.into(), None).await?.into_iter().collect())
    }

    /// Columns of `table` in the current schema.
    async fn columns(&mut self, table: &str) -> Result<BTreeSet<String>, sqlx::Error> {
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT name FROM pragma_table_info(?)",
            Backend::Postgres => {
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
        };
        Ok(self
            .texts(sql.into(), Some(table))
            .await?
            .into_iter()
            .collect())
    }
}

/// The tables and columns that the steps up to `version` create, found by running the SQLite
/// steps on a scratch in-memory database.
async fn expected_layout(
    m: &Migrations,
    version: i64,
) -> Result<Vec<(String, BTreeSet<String>)>, StorageError> {
    let mut scratch = SqliteConnection::connect("sqlite::memory:").await?;
    for s in m.sqlite.iter().filter(|s| s.version <= version) {
        scratch.execute(sqlx::AssertSqlSafe(s.sql)).await?;
    }
    let mut out = Vec::new();
    {
        let mut conn = Conn::Sqlite(&mut scratch);
        for t in conn.tables().await? {
            if t.starts_with("sqlite_") {
                continue;
            }
            let cols = conn.columns(&t).await?;
            out.push((t, cols));
        }
    }
    scratch.close().await?;
    Ok(out)
}

/// The legacy version record, if any.
async fn legacy_version(
    conn: &mut Conn<'_>,
    m: &Migrations,
    tables: &BTreeSet<String>,
) -> Result<Option<i64>, sqlx::Error> {
    match m.legacy {
        LegacyVersion::None => Ok(None),
        LegacyVersion::UserVersion if conn.backend() == Backend::Sqlite => Ok(conn
            .ints("PRAGMA user_version".into())
            .await?
            .first()
            .copied()
            .filter(|v| *v != 0)),
        LegacyVersion::UserVersion => Ok(None),
        LegacyVersion::Table { table, column } if tables.contains(table) => Ok(conn
            .ints(format!("SELECT MAX({column}) FROM {table}"))
            .await?
            .first()
            .copied()),
        LegacyVersion::Table { .. } => Ok(None),
    }
}

/// Checks a database without the version table: a legacy record newer than known is refused,
/// tables of an older layout are refused. True when it holds tables of the store (adoption).
async fn check_legacy(
    conn: &mut Conn<'_>,
    m: &Migrations,
    tables: &BTreeSet<String>,
) -> Result<bool, StorageError> {
    if let Some(v) = legacy_version(conn, m, tables).await?
        && v > m.legacy_known
    {
        return Err(StorageError::NewerDatabase {
            store: m.store,
            found: v,
            known: m.legacy_known,
        });
    }
    let mut adopted = false;
    for (table, want) in expected_layout(m, 1).await? {
        if !tables.contains(&table) {
            continue;
        }
        adopted = true;
        let have = conn.columns(&table).await?;
        let missing: Vec<&str> = want.difference(&have).map(String::as_str).collect();
        if !missing.is_empty() {
            return Err(StorageError::OlderSchema {
                store: m.store,
                table,
                missing: missing.join(", "),
            });
        }
    }
    Ok(adopted)
}

/// Steps 1–3 of the module documentation on one connection.
async fn run_on(conn: &mut Conn<'_>, m: &Migrations) -> Result<Migrated, StorageError> {
    let backend = conn.backend();
    let known: BTreeSet<i64> = m.steps(backend).iter().map(|s| s.version).collect();
    let latest = m.latest(backend);
    let tables = conn.tables().await?;
    let mut before = Vec::new();
    let mut adopted = false;
    if tables.contains(m.table) {
        let dirty = conn
            .ints(format!("SELECT version FROM {} WHERE NOT success", m.table))
            .await?;
        if let Some(v) = dirty.first() {
            return Err(StorageError::Dirty {
                store: m.store,
                version: *v,
            });
        }
        before = conn
            .ints(format!("SELECT version FROM {} ORDER BY version", m.table))
            .await?;
        if let Some(v) = before.iter().rev().find(|v| !known.contains(v)) {
            return Err(StorageError::NewerDatabase {
                store: m.store,
                found: *v,
                known: latest,
            });
        }
    } else {
        adopted = check_legacy(conn, m, &tables).await?;
    }
    conn.run(&m.migrator(backend))
        .await
        .map_err(|source| match source {
            sqlx::migrate::MigrateError::VersionMissing(found) => StorageError::NewerDatabase {
                store: m.store,
                found,
                known: latest,
            },
            source => StorageError::Migrate {
                store: m.store,
                source,
            },
        })?;
    if m.legacy == LegacyVersion::UserVersion && backend == Backend::Sqlite {
        // Written only when it changes: an ordinary open stays read-only.
        let now = conn.ints("PRAGMA user_version".into()).await?;
        if now.first() != Some(&latest) {
            conn.exec(format!("PRAGMA user_version = {latest}")).await?;
        }
    }
    let applied = known
        .iter()
        .copied()
        .filter(|v| !before.contains(v))
        .collect::<Vec<_>>();
    if adopted {
        tracing::info!(
            store = m.store,
            "adopted a database made before numbered migrations"
        );
    }
    if !applied.is_empty() {
        tracing::info!(store = m.store, ?applied, "schema migrations applied");
    }
    Ok(Migrated {
        adopted,
        applied,
        version: latest,
    })
}

/// Runs `f` on a connection of the pool; on failure the connection is closed rather than put
/// back (it may still hold the migration lock).
macro_rules! on_pool_connection {
    ($pool:expr, |$conn:ident| $body:expr) => {{
        let mut pooled = $pool.acquire().await?;
        let result = {
            let $conn = &mut *pooled;
            $body
        };
        if result.is_err() {
            let _ = PoolConnection::detach(pooled).close().await;
        }
        result
    }};
}

/// Brings a SQLite store's schema up to date (see the module documentation).
pub async fn migrate_sqlite(
    pool: &sqlx::SqlitePool,
    m: &Migrations,
) -> Result<Migrated, StorageError> {
    on_pool_connection!(pool, |c| run_on(&mut Conn::Sqlite(c), m).await)
}

/// Brings a store's schema up to date on SQLite or PostgreSQL (see the module documentation).
pub async fn migrate_any(pool: &sqlx::AnyPool, m: &Migrations) -> Result<Migrated, StorageError> {
    on_pool_connection!(pool, |c| {
        let backend = if c.backend_name().eq_ignore_ascii_case("sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        if m.steps(backend).is_empty() {
            Err(StorageError::WrongBackend {
                url: format!("this {backend} database"),
                wanted: Backend::Sqlite,
            })
        } else {
            run_on(&mut Conn::Any(c, backend), m).await
        }
    })
}
