//! fiskal-testkit's own checks: each scenario of `store_contract!` gets a fresh database on
//! each backend, PostgreSQL schemas are isolated and dropped afterwards.

use fiskal_storage::{DatabaseUrl, PoolConfig};
use fiskal_testkit::{Backend, PgSchema, TestDb, store_contract};
use sqlx::Executor;

async fn pool(url: &str) -> sqlx::AnyPool {
    fiskal_storage::any_pool(
        &DatabaseUrl::parse(url).unwrap(),
        &PoolConfig::with_max_connections(1),
    )
    .await
    .unwrap()
}

async fn schema_exists(name: &str) -> bool {
    let p = pool(&fiskal_testkit::pg_base_url()).await;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = $1",
    )
    .bind(name)
    .fetch_one(&p)
    .await
    .unwrap();
    p.close().await;
    n == 1
}

/// A fresh database is empty and writable.
async fn fresh_and_empty(db: TestDb) {
    let p = pool(db.url()).await;
    p.execute("CREATE TABLE t (id BIGINT PRIMARY KEY)")
        .await
        .unwrap();
    p.execute("INSERT INTO t VALUES (1)").await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
        .fetch_one(&p)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(db.is_postgres(), db.backend() == Backend::Postgres);
    assert_eq!(db.schema().is_some(), db.is_postgres());
    assert!(db.dir().is_dir());
    p.close().await;
}

/// The same table name in another scenario's database does not collide.
async fn isolated(db: TestDb) {
    fresh_and_empty(db).await;
}

store_contract!(fresh_and_empty, isolated);

#[tokio::test]
async fn schemas_are_dropped_explicitly_and_on_drop() {
    let a = PgSchema::create().await;
    let name = a.name().to_string();
    assert!(schema_exists(&name).await);
    a.drop_now().await;
    assert!(!schema_exists(&name).await);

    let db = TestDb::postgres().await;
    let name = db.schema().unwrap().to_string();
    {
        let p = pool(db.url()).await;
        p.execute("CREATE TABLE kept_until_drop (id BIGINT)")
            .await
            .unwrap();
        p.close().await;
    }
    drop(db);
    assert!(!schema_exists(&name).await);
}
