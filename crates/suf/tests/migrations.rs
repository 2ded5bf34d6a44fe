//! The SUF store's migrations on both backends: a store made by fiskal 0.1 (which created its
//! tables itself, without a version table) is adopted with its data; a store of a newer fiskal
//! is refused unchanged. (The 0.1 SQLite store of `fiskal demo` is checked in
//! `crates/fiskal/tests/release_data.rs`.)

mod common;

use common::TestDb;
use fiskal_storage::{Backend, DatabaseUrl, PoolConfig};
use fiskal_suf::store::{MIGRATIONS, SeRecord, SqlStore, Store as _};
use sqlx::Executor;

async fn raw_pool(db: &TestDb) -> sqlx::AnyPool {
    fiskal_storage::any_pool(
        &DatabaseUrl::parse(db.url()).unwrap(),
        &PoolConfig::with_max_connections(1),
    )
    .await
    .unwrap()
}

/// The tables as fiskal 0.1 created them (its schema text is step 1, unchanged), with one SE.
async fn build_release_0_1(db: &TestDb) {
    let pool = raw_pool(db).await;
    let sql = MIGRATIONS.steps(db.backend())[0].sql;
    pool.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
    sqlx::query(
        "INSERT INTO suf_se (uid, tin, certificate, revoked_at_ms) VALUES ($1, $2, $3, NULL)",
    )
    .bind("AAAA1111")
    .bind("123456789")
    .bind(vec![1u8, 2, 3])
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

async fn adopts_a_release_0_1_store(db: TestDb) {
    build_release_0_1(&db).await;
    for _ in 0..2 {
        let store = SqlStore::connect(db.url(), None).await.unwrap();
        assert_eq!(
            store.get_se("AAAA1111").await.unwrap(),
            Some(SeRecord {
                uid: "AAAA1111".into(),
                tin: "123456789".into(),
                certificate: vec![1, 2, 3],
                revoked_at_ms: None,
            })
        );
        assert_eq!(store.list_se().await.unwrap().len(), 1);
    }
    let pool = raw_pool(&db).await;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _fiskal_migrations_suf")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(applied, vec![1]);
    pool.close().await;
    db.cleanup().await;
}

async fn refuses_a_newer_store(db: TestDb) {
    SqlStore::connect(db.url(), None).await.unwrap();
    let pool = raw_pool(&db).await;
    let truth = if db.backend() == Backend::Sqlite {
        "1"
    } else {
        "TRUE"
    };
    pool.execute(sqlx::AssertSqlSafe(format!(
        "INSERT INTO _fiskal_migrations_suf (version, description, success, checksum, execution_time) \
         VALUES (2, 'from the future', {truth}, '', 0)"
    )))
    .await
    .unwrap();
    pool.close().await;
    let e = SqlStore::connect(db.url(), None)
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("newer fiskal"), "{e}");
    db.cleanup().await;
}

fiskal_testkit::store_contract!(adopts_a_release_0_1_store, refuses_a_newer_store);
