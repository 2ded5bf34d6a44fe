//! The outbox: claiming due items with a lease, send attempts and the end of an item.

use crate::model::{DocState, SendAttempt};

use super::error::StoreFuture;
use super::records::OutboxItem;

/// The outbox: claiming due items with a lease, send attempts and the end of an item.
pub trait OutboxStore: Send + Sync {
    /// Tenants with due outbox work whose documents are sendable (not blocked), round-robin order
    /// by the oldest due item.
    fn tenants_with_due_work(&self, now: i64) -> StoreFuture<'_, Vec<i64>>;

    /// Claims the oldest due outbox item of a tenant with a lease. Per-tenant FIFO: only the
    /// oldest open item is considered, so a retrying document is never overtaken.
    fn claim_next<'a>(
        &'a self,
        tenant_id: i64,
        owner: &'a str,
        lease_ms: i64,
        now: i64,
    ) -> StoreFuture<'a, Option<OutboxItem>>;

    /// Extends or drops a lease.
    fn release(&self, outbox_id: i64, next_attempt_at: i64) -> StoreFuture<'_, ()>;

    /// Records the start of an attempt (before the HTTP call): the attempt row, the attempt
    /// counter and the attempt day, and moves the document to `sending`.
    fn start_attempt<'a>(
        &'a self,
        item: &'a OutboxItem,
        day: &'a str,
        now: i64,
    ) -> StoreFuture<'a, i64>;

    /// Records the end of an attempt.
    #[allow(clippy::too_many_arguments)]
    fn finish_attempt<'a>(
        &'a self,
        attempt_id: i64,
        outcome: &'a str,
        http_status: Option<i64>,
        sef_version: Option<&'a str>,
        error: Option<(&'a str, Option<&'a str>, Option<&'a str>)>,
        started_at: i64,
        now: i64,
    ) -> StoreFuture<'a, ()>;

    /// Whether an earlier attempt of a version may have reached SEF: any attempt that did not end
    /// in a clean 400, 401/403 or 429 (§8.3 step 1), including attempts that never finished.
    fn may_have_reached_sef(&self, tenant_id: i64, version_id: i64) -> StoreFuture<'_, bool>;

    /// Whether any version of the document other than `version_id` may have reached SEF.
    fn earlier_version_may_have_reached(
        &self,
        tenant_id: i64,
        doc_id: i64,
        version_id: i64,
    ) -> StoreFuture<'_, bool>;

    /// Attempts of a document, oldest first.
    fn attempts(&self, tenant_id: i64, doc_id: i64) -> StoreFuture<'_, Vec<SendAttempt>>;

    /// Marks a document accepted by SEF with its ids and closes its outbox row.
    #[allow(clippy::too_many_arguments)]
    fn mark_in_sef<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        outbox_id: Option<i64>,
        sales: i64,
        purchase: Option<i64>,
        invoice: Option<i64>,
        sef_status: &'a str,
        now: i64,
    ) -> StoreFuture<'a, ()>;

    /// Ends an outbox item with a terminal local state (`refused`, `accepted_ids_unknown`,
    /// `needs_redate`), storing the SEF error fields.
    #[allow(clippy::too_many_arguments)]
    fn finish_document<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        outbox_id: i64,
        state: DocState,
        error: Option<(&'a str, Option<&'a str>, Option<&'a str>)>,
        now: i64,
    ) -> StoreFuture<'a, ()>;

    /// Stores the last transient error on a document that stays in `sending`.
    fn note_transient_error<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        code: &'a str,
        message: &'a str,
        now: i64,
    ) -> StoreFuture<'a, ()>;

    /// Open outbox items with their documents (for the day-change check of §8.3).
    fn open_items(&self, tenant_id: i64) -> StoreFuture<'_, Vec<(OutboxItem, String)>>;

    /// Outbox days of attempts for every version of a document (reconciliation, §8.4).
    fn attempt_days_of_document(&self, tenant_id: i64, doc_id: i64)
    -> StoreFuture<'_, Vec<String>>;
}
