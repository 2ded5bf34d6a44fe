//! SEF status events, queued status reads and callback subscriptions.

use super::error::StoreFuture;
use super::records::NewEvent;

/// SEF status events, queued status reads and callback subscriptions.
pub trait EventStore: Send + Sync {
    /// Inserts an event; `false` if it was already known (unique on tenant, direction, EventId).
    fn insert_event<'a>(
        &'a self,
        tenant_id: i64,
        e: &'a NewEvent,
        now: i64,
    ) -> StoreFuture<'a, bool>;

    /// Number of stored events of a tenant.
    fn event_count(&self, tenant_id: i64) -> StoreFuture<'_, i64>;

    /// Enqueues a status read for a SEF document (from a callback).
    fn enqueue_status_read(
        &self,
        tenant_id: i64,
        sef_document_id: i64,
        now: i64,
    ) -> StoreFuture<'_, ()>;

    /// Pending status reads (oldest first).
    fn pending_status_reads(&self, limit: i64) -> StoreFuture<'_, Vec<(i64, i64, i64)>>;

    /// Marks a status read done.
    fn status_read_done(&self, id: i64, now: i64) -> StoreFuture<'_, ()>;

    /// Stores a subscription key for a day.
    fn store_subscription<'a>(
        &'a self,
        tenant_id: i64,
        valid_for: &'a str,
        key: &'a str,
        now: i64,
    ) -> StoreFuture<'a, ()>;

    /// Subscription keys of a tenant valid on the given days.
    fn subscription_keys<'a>(
        &'a self,
        tenant_id: i64,
        days: &'a [String],
    ) -> StoreFuture<'a, Vec<String>>;
}
