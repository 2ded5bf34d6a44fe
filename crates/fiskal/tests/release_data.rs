//! Data written by fiskal 0.1 (`testdata/release-0.1-*`, made before the stores moved to
//! numbered migrations) opens with the current code: every receipt and document is found, the
//! schema is left as it was (only the new version table is added), and `fiskal pfr verify`
//! passes. Always on a copy.

use std::path::{Path, PathBuf};

use fiskal_esir::Store as EsirStore;
use fiskal_pfr::store::{Journal as _, SqliteJournal};
use fiskal_suf::store::{SqlStore, Store as _};
use fiskal_testkit::sqlite_schema;
use sqlx::Connection;

const UID: &str = "03LFM87H";

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// The invoice numbers the release folder holds.
fn numbers() -> Vec<String> {
    (1..=9).map(|n| format!("{UID}-{UID}-{n}")).collect()
}

async fn user_version(db: &Path) -> i64 {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let v = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_0_1_data_folder_is_adopted_with_every_receipt() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fiskal-data");
    copy_dir(&testdata("release-0.1-fiskal-data"), &data);
    let journal_db = data.join("pfr/journal.sqlite");
    let esir_db = data.join("esir/esir.sqlite");
    let suf_db = data.join("suf/suf.sqlite");
    let before = [
        sqlite_schema(&journal_db).await,
        sqlite_schema(&esir_db).await,
        sqlite_schema(&suf_db).await,
    ];
    assert!(before.iter().all(|s| !s.is_empty()));

    // Twice: adoption, then an ordinary open.
    for round in 0..2 {
        let j = SqliteJournal::open(&journal_db).await.unwrap();
        assert_eq!(j.count_and_max().await.unwrap(), (9, 9), "round {round}");
        let got: Vec<String> = j
            .after(0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.invoice_number)
            .collect();
        assert_eq!(got, numbers());
        assert_eq!(j.verify_chain().await.unwrap(), 9);

        let esir = EsirStore::open_dir(&data.join("esir")).await.unwrap();
        let mut issued: Vec<String> = esir
            .recent(100)
            .await
            .unwrap()
            .iter()
            .map(|d| d.number().to_string())
            .collect();
        issued.reverse();
        assert_eq!(issued, numbers());
        for n in numbers() {
            let d = esir.by_number(&n).await.unwrap().expect("document");
            assert_eq!(d.number(), n);
        }
        assert!(esir.pending().await.unwrap().is_empty());
        esir.close().await;

        let suf = SqlStore::connect(&format!("sqlite://{}", suf_db.display()), None)
            .await
            .unwrap();
        assert_eq!(suf.count_range(UID, 1, 100).await.unwrap(), 9);
        for (i, n) in numbers().iter().enumerate() {
            let r = suf.receipt(n).await.unwrap().expect("received receipt");
            assert_eq!(r.total_counter as usize, i + 1);
        }
        assert_eq!(suf.last_proof_counter(UID).await.unwrap(), 9);
        assert_eq!(suf.list_se().await.unwrap().len(), 1);
    }

    let after = [
        sqlite_schema(&journal_db).await,
        sqlite_schema(&esir_db).await,
        sqlite_schema(&suf_db).await,
    ];
    assert_eq!(before, after, "adoption changed no table or index");
    assert_eq!(user_version(&esir_db).await, 1);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fiskal"))
        .args(["pfr", "verify", "--data", data.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("9"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_a_newer_fiskal_is_refused_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fiskal-data");
    copy_dir(&testdata("release-0.1-fiskal-data"), &data);
    let db = data.join("pfr/journal.sqlite");
    SqliteJournal::open(&db).await.unwrap();
    // A later fiskal recorded a step this one does not know.
    let url = format!("sqlite://{}", db.display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO _fiskal_migrations_journal (version, description, success, checksum, execution_time) \
         VALUES (99, 'future', TRUE, x'00', 0)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    let before = sqlite_schema(&db).await;
    let e = SqliteJournal::open(&db).await.err().expect("refused");
    assert!(e.to_string().contains("newer fiskal"), "{e}");
    assert_eq!(sqlite_schema(&db).await, before);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fiskal"))
        .args(["pfr", "verify", "--data", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("newer fiskal"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
