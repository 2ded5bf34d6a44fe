//! fiskal-storage against real databases: the settings each pool's connections have, and the
//! migrations (fresh database, adoption of a database made before numbered migrations, refusal
//! of a newer or older-layout database) on SQLite and PostgreSQL. PostgreSQL being down fails
//! these tests (`FISKAL_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/test`).

use fiskal_storage::{
    Backend, DatabaseUrl, LegacyVersion, Migrations, PoolConfig, Step, StorageError, any_pool,
    migrate_any, migrate_sqlite, open_any, sqlite_pool,
};
use sqlx::{AnyPool, Executor, Row};

fn pg_url() -> DatabaseUrl {
    let text = std::env::var("FISKAL_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    DatabaseUrl::parse(&text).unwrap()
}

/// A fresh schema name.
fn schema_name() -> String {
    format!("storage_test_{}", uuid::Uuid::new_v4().simple())
}

/// A pool on a fresh PostgreSQL schema; PostgreSQL down fails the test.
async fn pg_pool(schema: &str) -> AnyPool {
    let cfg = PoolConfig {
        max_connections: Some(2),
        schema: Some(schema.to_string()),
    };
    any_pool(&pg_url(), &cfg)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required for this test: {e}"))
}

async fn drop_schema(schema: &str) {
    let pool = any_pool(&pg_url(), &PoolConfig::with_max_connections(1))
        .await
        .unwrap();
    pool.execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .await
        .unwrap();
    pool.close().await;
}

const V1_SQLITE: &str = "CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY, name TEXT NOT NULL, \
     payload BLOB); CREATE INDEX IF NOT EXISTS things_name ON things (name);";
const V1_PG: &str = "CREATE TABLE IF NOT EXISTS things (id BIGINT PRIMARY KEY, name TEXT NOT NULL, \
     payload BYTEA); CREATE INDEX IF NOT EXISTS things_name ON things (name);";
const V2: &str = "ALTER TABLE things ADD COLUMN note TEXT;";

const STEPS_SQLITE: &[Step] = &[
    Step {
        version: 1,
        description: "initial",
        sql: V1_SQLITE,
    },
    Step {
        version: 2,
        description: "note",
        sql: V2,
    },
];
const STEPS_PG: &[Step] = &[
    Step {
        version: 1,
        description: "initial",
        sql: V1_PG,
    },
    Step {
        version: 2,
        description: "note",
        sql: V2,
    },
];

/// The test store, with a legacy version table `legacy_version (v)` known up to 1.
fn things(steps: usize) -> Migrations {
    Migrations {
        store: "test store",
        table: "_migrations_things",
        sqlite: &STEPS_SQLITE[..steps],
        postgres: &STEPS_PG[..steps],
        legacy: LegacyVersion::Table {
            table: "legacy_version",
            column: "v",
        },
        legacy_known: 1,
    }
}

async fn count_things(pool: &AnyPool) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM things")
        .fetch_one(pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn versions(pool: &AnyPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM _migrations_things ORDER BY version")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Runs `scenario` on a SQLite file and on a fresh PostgreSQL schema.
async fn on_both<F, Fut>(scenario: F)
where
    F: Fn(AnyPool, Backend, DatabaseUrl, PoolConfig) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::sqlite_file(dir.path().join("t.sqlite"));
    let cfg = PoolConfig::default();
    let pool = any_pool(&url, &cfg).await.unwrap();
    scenario(pool, Backend::Sqlite, url, cfg).await;

    let schema = schema_name();
    let pool = pg_pool(&schema).await;
    let cfg = PoolConfig {
        max_connections: Some(2),
        schema: Some(schema.clone()),
    };
    scenario(pool, Backend::Postgres, pg_url(), cfg).await;
    drop_schema(&schema).await;
}

#[tokio::test]
async fn sqlite_pragmas_are_in_effect() {
    let dir = tempfile::tempdir().unwrap();
    let url =
        DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("p.db").display())).unwrap();
    let typed = sqlite_pool(&url, &PoolConfig::default()).await.unwrap();
    let any = any_pool(&url, &PoolConfig::default()).await.unwrap();
    for pool in [&any] {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&typed)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    for (pragma, want) in [
        ("synchronous", 2),
        ("busy_timeout", 10_000),
        ("foreign_keys", 1),
    ] {
        let sql = format!("PRAGMA {pragma}");
        let a: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_one(&typed)
            .await
            .unwrap();
        let b: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&any)
            .await
            .unwrap();
        assert_eq!(
            (pragma, a, b),
            (pragma, want, want),
            "synchronous 2 is FULL"
        );
    }
    assert_eq!(typed.options().get_max_connections(), 4);
    // A memory database has one connection (each connection would be a database of its own).
    let mem = any_pool(
        &DatabaseUrl::SqliteMemory,
        &PoolConfig::with_max_connections(8),
    )
    .await
    .unwrap();
    assert_eq!(mem.options().get_max_connections(), 1);
}

#[tokio::test]
async fn postgres_timeouts_schema_and_pool_cap() {
    let schema = schema_name();
    let pool = pg_pool(&schema).await;
    let row = sqlx::query(
        "SELECT current_setting('lock_timeout'), current_setting('statement_timeout'), current_schema()::text",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>(0), "5s");
    assert_eq!(row.get::<String, _>(1), "15s");
    assert_eq!(row.get::<String, _>(2), schema);
    pool.close().await;
    // The default PostgreSQL pool is small, and no pool exceeds the cap.
    let cfg = PoolConfig::default();
    assert_eq!(cfg.size_for(&pg_url()), 5);
    assert_eq!(
        PoolConfig::with_max_connections(1000).size_for(&pg_url()),
        16
    );
    drop_schema(&schema).await;
    // A bad schema name is refused before anything connects.
    let bad = PoolConfig {
        schema: Some("x; DROP TABLE y".into()),
        ..PoolConfig::default()
    };
    assert!(matches!(
        any_pool(&pg_url(), &bad).await,
        Err(StorageError::Url(_))
    ));
}

#[tokio::test]
async fn fresh_database_gets_every_step_and_a_second_run_changes_nothing() {
    on_both(|pool, backend, _, _| async move {
        let m = things(2);
        let done = migrate_any(&pool, &m).await.unwrap();
        assert_eq!(
            (done.adopted, done.applied, done.version),
            (false, vec![1, 2], 2),
            "{backend}"
        );
        sqlx::query("INSERT INTO things (id, name, note) VALUES (1, 'a', 'n')")
            .execute(&pool)
            .await
            .unwrap();
        let again = migrate_any(&pool, &m).await.unwrap();
        assert!(again.applied.is_empty());
        assert_eq!(versions(&pool).await, vec![1, 2]);
        assert_eq!(count_things(&pool).await, 1);
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn a_step_added_later_is_applied_to_existing_data() {
    on_both(|pool, backend, _, _| async move {
        migrate_any(&pool, &things(1)).await.unwrap();
        sqlx::query("INSERT INTO things (id, name) VALUES (1, 'a')")
            .execute(&pool)
            .await
            .unwrap();
        let done = migrate_any(&pool, &things(2)).await.unwrap();
        assert_eq!(done.applied, vec![2], "{backend}");
        let note: Option<String> = sqlx::query_scalar("SELECT note FROM things WHERE id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(note, None);
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn legacy_database_is_adopted_with_its_data() {
    on_both(|pool, backend, _, _| async move {
        // Made by a release before numbered migrations: step 1's schema, a legacy version row.
        let v1 = if backend == Backend::Sqlite { V1_SQLITE } else { V1_PG };
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "{v1} CREATE TABLE legacy_version (v BIGINT NOT NULL); INSERT INTO legacy_version VALUES (1); \
             INSERT INTO things (id, name) VALUES (1, 'kept'), (2, 'also kept');"
        )))
        .execute(&pool)
        .await
        .unwrap();
        let done = migrate_any(&pool, &things(2)).await.unwrap();
        assert!(done.adopted, "{backend}");
        assert_eq!(done.applied, vec![1, 2]);
        assert_eq!(count_things(&pool).await, 2);
        // The legacy record is kept.
        let v: i64 = sqlx::query_scalar("SELECT v FROM legacy_version")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(v, 1);
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn newer_database_is_refused_and_left_unchanged() {
    on_both(|pool, backend, url, cfg| async move {
        migrate_any(&pool, &things(2)).await.unwrap();
        pool.close().await;
        // An older program (knows step 1 only) refuses it, before changing anything.
        let e = open_any(&url, &cfg, &things(1)).await.unwrap_err();
        assert!(
            matches!(
                e,
                StorageError::NewerDatabase {
                    found: 2,
                    known: 1,
                    ..
                }
            ),
            "{backend}: {e}"
        );
        assert!(e.to_string().contains("newer fiskal"), "{e}");
        let pool = any_pool(&url, &cfg).await.unwrap();
        assert_eq!(versions(&pool).await, vec![1, 2]);
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn newer_legacy_record_is_refused() {
    on_both(|pool, backend, _, _| async move {
        sqlx::raw_sql(
            "CREATE TABLE legacy_version (v BIGINT NOT NULL); INSERT INTO legacy_version VALUES (7);",
        )
        .execute(&pool)
        .await
        .unwrap();
        let e = migrate_any(&pool, &things(2)).await.unwrap_err();
        assert!(
            matches!(e, StorageError::NewerDatabase { found: 7, known: 1, .. }),
            "{backend}: {e}"
        );
        let tables: i64 = sqlx::query_scalar(if backend == Backend::Sqlite {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
        } else {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        })
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(tables, 1, "nothing was created");
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn older_layout_is_refused_clearly() {
    on_both(|pool, backend, _, _| async move {
        sqlx::raw_sql(
            "CREATE TABLE things (id BIGINT PRIMARY KEY); INSERT INTO things VALUES (1);",
        )
        .execute(&pool)
        .await
        .unwrap();
        let e = migrate_any(&pool, &things(2)).await.unwrap_err();
        match &e {
            StorageError::OlderSchema { table, missing, .. } => {
                assert_eq!(
                    (table.as_str(), missing.as_str()),
                    ("things", "name, payload")
                );
            }
            other => panic!("{backend}: {other}"),
        }
        assert_eq!(count_things(&pool).await, 1);
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn user_version_is_respected_and_kept_up_to_date() {
    let m = Migrations {
        legacy: LegacyVersion::UserVersion,
        ..things(2)
    };
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::sqlite_file(dir.path().join("u.sqlite"));
    let pool = sqlite_pool(&url, &PoolConfig::default()).await.unwrap();
    sqlx::raw_sql("PRAGMA user_version = 3")
        .execute(&pool)
        .await
        .unwrap();
    let e = migrate_sqlite(&pool, &m).await.unwrap_err();
    assert!(
        matches!(e, StorageError::NewerDatabase { found: 3, .. }),
        "{e}"
    );
    sqlx::raw_sql("PRAGMA user_version = 1")
        .execute(&pool)
        .await
        .unwrap();
    migrate_sqlite(&pool, &m).await.unwrap();
    let v: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        v, 2,
        "an older program reading user_version sees the newest step"
    );
}

#[tokio::test]
async fn two_stores_share_one_postgres_schema() {
    let schema = schema_name();
    let pool = pg_pool(&schema).await;
    migrate_any(&pool, &things(2)).await.unwrap();
    const OTHER: &[Step] = &[Step {
        version: 1,
        description: "other",
        sql: "CREATE TABLE IF NOT EXISTS other_things (id BIGINT PRIMARY KEY)",
    }];
    let other = Migrations {
        store: "other store",
        table: "_migrations_other",
        sqlite: OTHER,
        postgres: OTHER,
        legacy: LegacyVersion::None,
        legacy_known: 0,
    };
    assert_eq!(migrate_any(&pool, &other).await.unwrap().applied, vec![1]);
    assert!(
        migrate_any(&pool, &things(2))
            .await
            .unwrap()
            .applied
            .is_empty()
    );
    pool.close().await;
    drop_schema(&schema).await;
}
