//! A fresh PostgreSQL schema per test, so tests run in parallel on one database.
//!
//! The server is `FISKAL_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`). A
//! [`PgSchema`] is created with a unique name; its [`PgSchema::url`] puts it first in
//! `search_path` through the connection's `options`, so a store connected with that URL creates
//! and finds its tables there. The schema is dropped by [`PgSchema::drop_now`] or, failing that,
//! when the value is dropped (also when the test panics).

use fiskal_storage::{DatabaseUrl, PoolConfig};
use sqlx::Executor;

/// The PostgreSQL server of the tests.
pub fn pg_base_url() -> String {
    std::env::var("FISKAL_TEST_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A uniquely named schema on the test server, dropped at the end.
#[derive(Debug)]
pub struct PgSchema {
    name: String,
    url: String,
    dropped: bool,
}

/// Runs `sql` on one connection to the test server.
async fn run_on_server(sql: String) -> Result<(), String> {
    let base = DatabaseUrl::parse(&pg_base_url()).map_err(|e| e.to_string())?;
    let pool = fiskal_storage::any_pool(&base, &PoolConfig::with_max_connections(1))
        .await
        .map_err(|e| e.to_string())?;
    let done = pool
        .execute(sqlx::AssertSqlSafe(sql))
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    pool.close().await;
    done
}

impl PgSchema {
    /// Creates a fresh schema. Panics (fails the test) when PostgreSQL is unreachable: tests
    /// that need it never skip.
    pub async fn create() -> PgSchema {
        let base = pg_base_url();
        let DatabaseUrl::Postgres(p) = DatabaseUrl::parse(&base)
            .unwrap_or_else(|e| panic!("FISKAL_TEST_PG_URL is not usable: {e}"))
        else {
            panic!("FISKAL_TEST_PG_URL must be a postgres:// URL");
        };
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        run_on_server(format!("CREATE SCHEMA {name}"))
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL at {p} is required for this test and is not usable: {e}")
            });
        let url = p
            .with_search_path(&name)
            .expect("a generated schema name is an identifier")
            .expose()
            .to_string();
        PgSchema {
            name,
            url,
            dropped: false,
        }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server URL with this schema as `search_path`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the schema (and everything in it) now.
    pub async fn drop_now(mut self) {
        self.dropped = true;
        if let Err(e) = run_on_server(drop_sql(&self.name)).await {
            eprintln!("could not drop test schema {}: {e}", self.name);
        }
    }
}

fn drop_sql(name: &str) -> String {
    format!("SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {name} CASCADE")
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let sql = drop_sql(&self.name);
        // Drop may run inside a runtime (which cannot block on itself): use a thread of its own.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(run_on_server(sql))
        })
        .join();
        if let Ok(Err(e)) = done {
            eprintln!("could not drop test schema {}: {e}", self.name);
        }
    }
}
