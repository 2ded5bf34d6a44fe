//! Test helpers shared by fiskal's crates. **A dev-dependency only**: never a normal
//! dependency of a product crate.
//!
//! - [`proc`]: spawn the real binary and read the address it announces, free ports, kill -9,
//!   headless Chromium, waiting for an event (never for a fixed time);
//! - [`pg`]: a fresh PostgreSQL schema per test, so tests run in parallel on one database;
//! - [`TestDb`] and [`store_contract!`]: one list of async scenarios run on SQLite and on
//!   PostgreSQL. PostgreSQL being unreachable fails the test; nothing is skipped;
//! - `sef` (feature `sef`): the SEF sandbox of fiskal-sef on a free port, with sample data.

pub mod official;
pub mod pg;
pub mod proc;
#[cfg(feature = "sef")]
pub mod sef;
pub mod sqlite;

use std::path::Path;

pub use fiskal_storage::Backend;
pub use official::{official_validator, official_validator_path};
pub use pg::{PgSchema, pg_base_url};
pub use proc::{chromium, free_port, kill9, spawn_listening, wait_until};
pub use sqlite::sqlite_schema;

/// A fresh, empty database for one test: a SQLite file in a temporary folder, or a PostgreSQL
/// schema of its own (dropped when the `TestDb` is dropped or [`TestDb::cleanup`]ed).
#[derive(Debug)]
pub struct TestDb {
    backend: Backend,
    url: String,
    dir: tempfile::TempDir,
    schema: Option<PgSchema>,
}

impl TestDb {
    /// A fresh database on `backend`. Panics (fails the test) when PostgreSQL is unreachable.
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite().await,
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    /// A SQLite file `db.sqlite` (not created yet) in a fresh temporary folder.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        TestDb {
            backend: Backend::Sqlite,
            url,
            dir,
            schema: None,
        }
    }

    /// A fresh PostgreSQL schema ([`PgSchema::create`]). Panics when PostgreSQL is unreachable.
    pub async fn postgres() -> TestDb {
        let schema = PgSchema::create().await;
        TestDb {
            backend: Backend::Postgres,
            url: schema.url().to_string(),
            dir: tempfile::tempdir().expect("temporary folder"),
            schema: Some(schema),
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// The database URL for a store (`sqlite://…` or `postgres://…` with the schema as
    /// `search_path`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A temporary folder for other files of the test (removed with the `TestDb`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The PostgreSQL schema, if this is PostgreSQL.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_ref().map(PgSchema::name)
    }

    /// Drops the PostgreSQL schema now (waiting for it) and removes the folder.
    pub async fn cleanup(self) {
        if let Some(s) = self.schema {
            s.drop_now().await;
        }
    }
}

/// Runs each listed async scenario `fn name(db: TestDb)` on SQLite and on PostgreSQL: it
/// generates the test modules `sqlite` and `postgres` with one `#[tokio::test]` per scenario
/// (multi-threaded runtime, 2 workers), each given a fresh [`TestDb`]. PostgreSQL being
/// unreachable fails the `postgres` tests.
///
/// ```text
/// async fn round_trip(db: fiskal_testkit::TestDb) {
///     let store = MyStore::connect(db.url()).await.unwrap();
///     // …
/// }
/// fiskal_testkit::store_contract!(round_trip);
/// ```
#[macro_export]
macro_rules! store_contract {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestDb::new($crate::Backend::Sqlite).await).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestDb::new($crate::Backend::Postgres).await).await
                }
            )+
        }
    };
}
