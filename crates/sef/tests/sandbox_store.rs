//! The sandbox store written by fiskal 0.1 (`testdata/release-0.1-moje-fakture/sandbox.sqlite`,
//! before numbered migrations) opens with the current code and keeps its state; a store of a
//! newer fiskal is refused unchanged. Always on a copy.

use std::path::{Path, PathBuf};

use fiskal_sef::sandbox::{Sandbox, SandboxConfig, SqliteStore};
use sqlx::Connection;

fn copy_fixture(dir: &Path) -> PathBuf {
    let to = dir.join("sandbox.sqlite");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/release-0.1-moje-fakture/sandbox.sqlite"),
        &to,
    )
    .unwrap();
    to
}

async fn snapshot_row(db: &Path) -> (String, String) {
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .unwrap();
    let row = sqlx::query_as("SELECT snapshot, saved_at FROM sef_sandbox_state WHERE id = 1")
        .fetch_one(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    row
}

#[tokio::test]
async fn store_of_release_0_1_is_adopted_with_its_state() {
    let tmp = tempfile::tempdir().unwrap();
    let db = copy_fixture(tmp.path());
    let before = snapshot_row(&db).await;
    let sb = Sandbox::open(SandboxConfig {
        db_path: Some(db.clone()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let st = sb.snapshot().await;
    assert_eq!(st.companies.len(), 1);
    assert!(st.companies.contains_key("190000012"));
    drop(sb);
    assert_eq!(snapshot_row(&db).await, before, "opening changed nothing");
}

#[tokio::test]
async fn store_of_a_newer_fiskal_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = copy_fixture(tmp.path());
    SqliteStore::open(&db).await.unwrap();
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _fiskal_migrations_sandbox (version, description, success, checksum, execution_time) \
         VALUES (42, 'future', TRUE, x'00', 0)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    let e = SqliteStore::open(&db).await.err().expect("refused");
    assert!(e.to_string().contains("newer fiskal"), "{e}");
}
