//! Looking into SQLite files the way a release-adoption test needs: the schema as it stands.

use std::path::Path;

use sqlx::Connection as _;

/// Every table and index definition of the SQLite file at `db` (name and `CREATE` text, sorted by
/// name), without fiskal-storage's own version tables, read over a read-only connection. Two
/// calls give equal lists exactly when the schema did not change in between.
pub async fn sqlite_schema(db: &Path) -> Vec<(String, String)> {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let mut c = sqlx::SqliteConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", db.display()));
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master \
         WHERE tbl_name NOT LIKE '\\_fiskal\\_migrations%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut c)
    .await
    .unwrap_or_else(|e| panic!("{}: {e}", db.display()));
    c.close().await.ok();
    rows.into_iter()
        .map(|(n, s)| (n, s.unwrap_or_default()))
        .collect()
}
