//! The receipt writer: concurrent [`Store::insert_receipt`](crate::store::Store::insert_receipt)
//! calls are queued to one task, which stores every waiting receipt in one transaction (one
//! fsync) and answers each caller only after the commit.

use sqlx::{AnyPool, Row};

use super::rows::RECEIPT_COLS;
use crate::store::{Backend, InsertOutcome, ReceiptRecord, StoreError};

/// A receipt waiting for the group writer, with the channel for its outcome.
pub(super) type ReceiptJob = (
    ReceiptRecord,
    tokio::sync::oneshot::Sender<Result<InsertOutcome, StoreError>>,
);

/// Receipts that may wait for the writer; more callers wait for room (back-pressure).
pub(super) const WRITE_QUEUE: usize = 4096;
/// Most receipts stored in one transaction.
const MAX_GROUP: usize = 256;

/// The group writer: takes every waiting receipt, stores them in one transaction, answers each.
pub(super) async fn receipt_writer(
    pool: AnyPool,
    backend: Backend,
    mut jobs: tokio::sync::mpsc::Receiver<ReceiptJob>,
) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        // One order for every writer (also in other SUF processes) avoids lock-order deadlocks.
        group.sort_by(|a, b| {
            (&a.0.signed_by, a.0.total_counter).cmp(&(&b.0.signed_by, b.0.total_counter))
        });
        match write_group_in_time(&pool, backend, &group).await {
            Ok(outcomes) => {
                for ((_, reply), o) in group.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(o));
                }
            }
            Err(e) if group.len() == 1 => {
                let (_, reply) = group.pop().expect("one job");
                let _ = reply.send(Err(StoreError::GroupWrite(e)));
            }
            Err(_) => {
                // Whatever failed, it need not fail the others: store them one by one.
                for job in group {
                    let one = std::slice::from_ref(&job);
                    let answer = write_group_in_time(&pool, backend, one)
                        .await
                        .map(|mut o| o.pop().unwrap_or(InsertOutcome::Conflict))
                        .map_err(StoreError::GroupWrite);
                    let _ = job.1.send(answer);
                }
            }
        }
    }
}

/// Longest a group write may take before its callers are told to retry (status 1).
const GROUP_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// [`write_group`] bounded by [`GROUP_WRITE_TIMEOUT`]; the error as text.
async fn write_group_in_time(
    pool: &AnyPool,
    backend: Backend,
    group: &[ReceiptJob],
) -> Result<Vec<InsertOutcome>, String> {
    match tokio::time::timeout(GROUP_WRITE_TIMEOUT, write_group(pool, backend, group)).await {
        Ok(Ok(o)) => Ok(o),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the database did not finish the write in time".into()),
    }
}

/// (total counter, amount, cumulative total) of the stored receipts of `uid` at
/// `total_counter ± 1`.
async fn neighbours_in(
    conn: &mut sqlx::AnyConnection,
    uid: &str,
    total_counter: u32,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT total_counter, amount, cumulative_total FROM suf_receipt \
         WHERE signed_by = $1 AND (total_counter = $2 OR total_counter = $3)",
    )
    .bind(uid)
    .bind(i64::from(total_counter) - 1)
    .bind(i64::from(total_counter) + 1)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Stores a group of receipts in one transaction; within it each receipt sees the ones before it.
async fn write_group(
    pool: &AnyPool,
    backend: Backend,
    group: &[ReceiptJob],
) -> Result<Vec<InsertOutcome>, sqlx::Error> {
    // SQLite: take the write lock first, so the reads below cannot make the upgrade fail.
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    let mut outcomes = Vec::with_capacity(group.len());
    let insert = format!(
        "INSERT INTO suf_receipt ({RECEIPT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17) ON CONFLICT DO NOTHING"
    );
    for (r, _) in group {
        // Counter chain: the cumulative totals must follow from the stored neighbours.
        let mut broken = false;
        for (counter, amount, cumulative) in
            neighbours_in(&mut tx, &r.signed_by, r.total_counter).await?
        {
            broken |= if counter + 1 == i64::from(r.total_counter) {
                r.total_counter > 1 && cumulative.saturating_add(r.amount) != r.cumulative_total
            } else {
                r.cumulative_total.saturating_add(amount) != cumulative
            };
        }
        if broken {
            outcomes.push(InsertOutcome::ChainBroken);
            continue;
        }
        let done = sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
            .bind(&r.invoice_number)
            .bind(&r.signed_by)
            .bind(&r.requested_by)
            .bind(i64::from(r.total_counter))
            .bind(i64::from(r.transaction_type_counter))
            .bind(r.sdc_time_ms)
            .bind(r.amount)
            .bind(i64::from(r.invoice_type))
            .bind(i64::from(r.transaction_type))
            .bind(r.buyer_id.clone())
            .bind(r.cumulative_total)
            .bind(r.internal_data.clone())
            .bind(r.signature.clone())
            .bind(&r.content_hash)
            .bind(&r.request_json)
            .bind(&r.result_json)
            .bind(r.received_ms)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            outcomes.push(InsertOutcome::Inserted);
            continue;
        }
        let existing = sqlx::query(
            "SELECT content_hash FROM suf_receipt WHERE invoice_number = $1 \
             OR (signed_by = $2 AND total_counter = $3)",
        )
        .bind(&r.invoice_number)
        .bind(&r.signed_by)
        .bind(i64::from(r.total_counter))
        .fetch_all(&mut *tx)
        .await?;
        let same = existing.len() == 1 && existing[0].try_get::<String, _>(0)? == r.content_hash;
        outcomes.push(if same {
            InsertOutcome::Duplicate
        } else {
            InsertOutcome::Conflict
        });
    }
    tx.commit().await?;
    Ok(outcomes)
}
