//! Columns of the SUF's tables and the records read from their rows.

use sqlx::Row;

use crate::store::{AuditRecord, CommandRecord, ReceiptRecord, SeRecord, StoreError};

pub(super) const RECEIPT_COLS: &str = "invoice_number, signed_by, requested_by, total_counter, tt_counter, sdc_time_ms, amount, \
     invoice_type, transaction_type, buyer_id, cumulative_total, internal_data, signature, content_hash, \
     request_json, result_json, received_ms";

pub(super) fn receipt_row(r: &sqlx::any::AnyRow) -> Result<ReceiptRecord, sqlx::Error> {
    Ok(ReceiptRecord {
        invoice_number: r.try_get(0)?,
        signed_by: r.try_get(1)?,
        requested_by: r.try_get(2)?,
        total_counter: r.try_get::<i64, _>(3)? as u32,
        transaction_type_counter: r.try_get::<i64, _>(4)? as u32,
        sdc_time_ms: r.try_get(5)?,
        amount: r.try_get(6)?,
        invoice_type: r.try_get::<i64, _>(7)? as u8,
        transaction_type: r.try_get::<i64, _>(8)? as u8,
        buyer_id: r.try_get(9)?,
        cumulative_total: r.try_get(10)?,
        internal_data: r.try_get(11)?,
        signature: r.try_get(12)?,
        content_hash: r.try_get(13)?,
        request_json: r.try_get(14)?,
        result_json: r.try_get(15)?,
        received_ms: r.try_get(16)?,
    })
}

pub(super) fn audit_row(r: &sqlx::any::AnyRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        uid: r.try_get(0)?,
        audit_seq: r.try_get::<i64, _>(1)? as u32,
        arp: r.try_get(2)?,
        total_counter: r.try_get::<i64, _>(3)? as u32,
        sum: r.try_get(4)?,
        limit: r.try_get(5)?,
        requested_ms: r.try_get(6)?,
        poa: r.try_get(7)?,
    })
}

pub(super) fn command_row(r: &sqlx::any::AnyRow) -> Result<CommandRecord, StoreError> {
    Ok(CommandRecord {
        command_id: r.try_get(0)?,
        uid: r.try_get(1)?,
        command_type: r.try_get::<i64, _>(2)? as i32,
        payload: r.try_get(3)?,
        created_ms: r.try_get(4)?,
        success: r.try_get::<Option<i64>, _>(5)?.map(|v| v != 0),
    })
}

/// An SE record from `uid, tin, certificate, revoked_at_ms`.
pub(super) fn se_row(r: &sqlx::any::AnyRow) -> Result<SeRecord, sqlx::Error> {
    Ok(SeRecord {
        uid: r.try_get(0)?,
        tin: r.try_get(1)?,
        certificate: r.try_get(2)?,
        revoked_at_ms: r.try_get(3)?,
    })
}

/// The first two columns of a row.
pub(super) fn pair_row<A, B>(r: &sqlx::any::AnyRow) -> Result<(A, B), sqlx::Error>
where
    A: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    B: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    Ok((r.try_get(0)?, r.try_get(1)?))
}

/// Inserts a command on `conn` (a pool or a transaction).
pub(super) async fn insert_command<'c, E>(conn: E, c: &CommandRecord) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(INSERT_COMMAND)
        .bind(&c.command_id)
        .bind(&c.uid)
        .bind(i64::from(c.command_type))
        .bind(&c.payload)
        .bind(c.created_ms)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) const INSERT_COMMAND: &str = "INSERT INTO suf_command (command_id, uid, command_type, payload, created_ms, success) \
     VALUES ($1, $2, $3, $4, $5, NULL)";
