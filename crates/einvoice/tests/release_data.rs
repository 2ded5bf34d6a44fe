//! A Moje fakture store written by fiskal 0.1 (before numbered migrations, with its own version
//! table `fiskal_einvoice_migrations`) opens with the current code: tenants and documents are
//! found and no table changes. On SQLite the store is `testdata/release-0.1-moje-fakture`
//! (always a copy); on PostgreSQL it is built in a fresh schema the way 0.1 built it. A store
//! whose old version table names a newer version is refused unchanged.

mod common;

use std::path::{Path, PathBuf};

use common::TestDb;
use fiskal_einvoice::model::DocState;
use fiskal_einvoice::store::{DocumentStore, KeyStore, MIGRATIONS, SqlStore, TenantStore};
use fiskal_testkit::sqlite_schema;
use sqlx::Connection;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/release-0.1-moje-fakture/moje-fakture.sqlite")
}

async fn legacy_versions(db: &SqlStore) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM fiskal_einvoice_migrations ORDER BY version")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_of_release_0_1_is_adopted() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("moje-fakture.sqlite");
    std::fs::copy(fixture(), &file).unwrap();
    let before = sqlite_schema(&file).await;
    for _ in 0..2 {
        let db = SqlStore::connect(&format!("sqlite:{}?mode=rwc", file.display()))
            .await
            .unwrap();
        let tenants = db.tenants().await.unwrap();
        assert_eq!(tenants.len(), 1);
        assert_eq!(tenants[0].pib, "190000012");
        assert_eq!(tenants[0].name, "Primer Softver d.o.o.");
        let docs = db.documents(tenants[0].id, 100).await.unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].number, "MF-DEMO-0001");
        assert_eq!(docs[0].state, DocState::InSef);
        assert_eq!(docs[0].sef_status.as_deref(), Some("Approved"));
        assert_eq!(
            db.versions(tenants[0].id, docs[0].id).await.unwrap().len(),
            1
        );
        assert!(db.current_key(tenants[0].id).await.unwrap().is_some());
        assert_eq!(legacy_versions(&db).await, vec![1]);
        db.pool().close().await;
    }
    assert_eq!(
        sqlite_schema(&file).await,
        before,
        "no table or index changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_of_a_newer_fiskal_is_refused_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("moje-fakture.sqlite");
    std::fs::copy(fixture(), &file).unwrap();
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query("INSERT INTO fiskal_einvoice_migrations (version, applied_at) VALUES (2, 0)")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    let before = sqlite_schema(&file).await;
    let e = SqlStore::connect(&format!("sqlite:{}", file.display()))
        .await
        .expect_err("refused");
    assert!(e.to_string().contains("newer fiskal"), "{e}");
    assert_eq!(sqlite_schema(&file).await, before);
}

/// The PostgreSQL schema exactly as fiskal 0.1 made it: its version table, its migration file
/// (the current step 1 without `IF NOT EXISTS`, the only change since) and version 1 recorded.
async fn build_release_0_1_postgres(url: &str, legacy_version: i64) {
    let old_sql = MIGRATIONS.postgres[0].sql.replace(" IF NOT EXISTS", "");
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS fiskal_einvoice_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let mut tx = c.begin().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(old_sql))
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO fiskal_einvoice_migrations (version, applied_at) VALUES ($1, 0)")
        .bind(legacy_version)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO tenants (environment, pib, mb, name, street, city, postal_code, callback_token, \
         access_token_hash, created_at, updated_at) VALUES ('sandbox', '190000012', '99000011', \
         'Primer Softver d.o.o.', 'Bulevar 1', 'Novi Sad', '21000', 'cb', 'ah', 0, 0)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_of_release_0_1_is_adopted() {
    let test_db = TestDb::postgres().await;
    build_release_0_1_postgres(test_db.url(), 1).await;
    let db = SqlStore::connect(test_db.url()).await.unwrap();
    let tenants = db.tenants().await.unwrap();
    assert_eq!(tenants.len(), 1);
    assert_eq!(tenants[0].pib, "190000012");
    assert_eq!(legacy_versions(&db).await, vec![1]);
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _fiskal_migrations_einvoice ORDER BY version")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(applied, vec![1]);
    db.pool().close().await;
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_of_a_newer_fiskal_is_refused() {
    let test_db = TestDb::postgres().await;
    build_release_0_1_postgres(test_db.url(), 2).await;
    let e = SqlStore::connect(test_db.url()).await.expect_err("refused");
    assert!(e.to_string().contains("newer fiskal"), "{e}");
    test_db.cleanup().await;
}
