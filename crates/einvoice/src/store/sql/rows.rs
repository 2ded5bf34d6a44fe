//! Rows to records: the column lists and the conversions every area shares.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::crypto::{SealedKey, masked_key};
use crate::model::{DocState, Document, KeyInfo, KeyState, Tenant};
use crate::store::error::{StoreError, StoreResult};
use crate::store::records::{KeyRecord, OutboxItem, VersionRow};

pub(super) fn b(v: bool) -> i64 {
    i64::from(v)
}

pub(super) fn tenant_from_row(r: &AnyRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: r.try_get("id")?,
        environment: r.try_get("environment")?,
        pib: r.try_get("pib")?,
        mb: r.try_get("mb")?,
        jbkjs: r.try_get("jbkjs")?,
        name: r.try_get("name")?,
        trading_name: r.try_get("trading_name")?,
        street: r.try_get("street")?,
        city: r.try_get("city")?,
        postal_code: r.try_get("postal_code")?,
        budget_user: r.try_get::<i64, _>("budget_user")? != 0,
        status: r.try_get("status")?,
        auto_redate: r.try_get::<i64, _>("auto_redate")? != 0,
        send_to_cir: r.try_get::<i64, _>("send_to_cir")? != 0,
        contact_email: r.try_get("contact_email")?,
        bank_accounts: Vec::new(),
        created_at: r.try_get("created_at")?,
    })
}

pub(super) const KEY_COLS: &str = "id, tenant_id, version, state, ciphertext, nonce, wrapped_dek, dek_nonce, master_key_id, fingerprint, last_four, created_at, created_by, last_success_at, last_401_at, last_check_at, last_check_outcome, sef_version, next_recheck_at";

pub(super) fn key_from_row(r: &AnyRow) -> StoreResult<KeyRecord> {
    let state_s: String = r.try_get("state")?;
    let state = KeyState::parse(&state_s).ok_or(StoreError::Corrupt("sef_keys.state"))?;
    let ciphertext: Option<Vec<u8>> = r.try_get("ciphertext")?;
    let nonce: Option<Vec<u8>> = r.try_get("nonce")?;
    let wrapped_dek: Option<Vec<u8>> = r.try_get("wrapped_dek")?;
    let dek_nonce: Option<Vec<u8>> = r.try_get("dek_nonce")?;
    let master_key_id: String = r.try_get("master_key_id")?;
    let sealed = match (ciphertext, nonce, wrapped_dek, dek_nonce) {
        (Some(ciphertext), Some(nonce), Some(wrapped_dek), Some(dek_nonce)) => Some(SealedKey {
            ciphertext,
            nonce,
            wrapped_dek,
            dek_nonce,
            master_key_id: master_key_id.clone(),
        }),
        _ => None,
    };
    let last_four: String = r.try_get("last_four")?;
    Ok(KeyRecord {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        version: r.try_get("version")?,
        state,
        sealed,
        fingerprint: r.try_get("fingerprint")?,
        info: KeyInfo {
            version: r.try_get("version")?,
            state,
            masked: masked_key(&last_four),
            last_four,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
            last_success_at: r.try_get("last_success_at")?,
            last_401_at: r.try_get("last_401_at")?,
            last_check_at: r.try_get("last_check_at")?,
            last_check_outcome: r.try_get("last_check_outcome")?,
            sef_version: r.try_get("sef_version")?,
            next_recheck_at: r.try_get("next_recheck_at")?,
        },
    })
}

pub(super) const DOC_COLS: &str = "d.id, d.tenant_id, d.doc_type, d.number, d.issue_date, d.state, d.buyer_pib, d.buyer_name, d.total, d.currency, d.current_version, d.sef_sales_id, d.sef_purchase_id, d.sef_invoice_id, d.sef_status, d.sef_comment, d.cir_status, d.error_code, d.error_field, d.error_message, d.created_at, d.updated_at, v.request_id";

pub(super) fn doc_from_row(r: &AnyRow) -> StoreResult<Document> {
    let state_s: String = r.try_get("state")?;
    Ok(Document {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        doc_type: r.try_get("doc_type")?,
        number: r.try_get("number")?,
        issue_date: r.try_get("issue_date")?,
        state: DocState::parse(&state_s).ok_or(StoreError::Corrupt("documents.state"))?,
        buyer_pib: r.try_get("buyer_pib")?,
        buyer_name: r.try_get("buyer_name")?,
        total: r.try_get("total")?,
        currency: r.try_get("currency")?,
        version: r.try_get("current_version")?,
        request_id: r.try_get("request_id")?,
        sales_invoice_id: r.try_get("sef_sales_id")?,
        purchase_invoice_id: r.try_get("sef_purchase_id")?,
        invoice_id: r.try_get("sef_invoice_id")?,
        sef_status: r.try_get("sef_status")?,
        sef_comment: r.try_get("sef_comment")?,
        cir_status: r.try_get("cir_status")?,
        error_code: r.try_get("error_code")?,
        error_field: r.try_get("error_field")?,
        error_message: r.try_get("error_message")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(super) fn version_from_row(r: &AnyRow) -> StoreResult<VersionRow> {
    Ok(VersionRow {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        ubl: r.try_get("ubl")?,
        sha256: r.try_get("sha256")?,
        request_id: r.try_get("request_id")?,
        send_to_cir: r.try_get("send_to_cir")?,
        issue_date: r.try_get("issue_date")?,
    })
}

/// The outbox columns `id, tenant_id, document_id, version_id, request_id, attempts,
/// attempt_days` of a row.
pub(super) fn outbox_item_from_row(r: &AnyRow) -> StoreResult<OutboxItem> {
    Ok(OutboxItem {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        document_id: r.try_get("document_id")?,
        version_id: r.try_get("version_id")?,
        request_id: r.try_get("request_id")?,
        attempts: r.try_get("attempts")?,
        attempt_days: r.try_get("attempt_days")?,
    })
}

/// The `error_code`, `error_field` and `error_message` columns of a SEF error (all `NULL` for
/// none).
pub(super) fn error_columns(
    error: Option<(&str, Option<&str>, Option<&str>)>,
) -> (Option<String>, Option<String>, Option<String>) {
    match error {
        Some((c, f, m)) => (
            Some(c.to_string()),
            f.map(str::to_string),
            m.map(str::to_string),
        ),
        None => (None, None, None),
    }
}
