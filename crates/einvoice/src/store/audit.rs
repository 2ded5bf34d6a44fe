//! Notifications to tenants and the audit trail.

use crate::model::{AuditEntry, Notification};

use super::error::StoreFuture;

/// Notifications to tenants and the audit trail.
pub trait AuditStore: Send + Sync {
    /// Queues a notification once per `dedup_key`; returns whether it was new.
    fn notify<'a>(
        &'a self,
        tenant_id: i64,
        message_id: &'a str,
        recipient: Option<&'a str>,
        body: &'a str,
        dedup_key: &'a str,
        now: i64,
    ) -> StoreFuture<'a, bool>;

    /// Notifications of a tenant, oldest first.
    fn notifications(&self, tenant_id: i64) -> StoreFuture<'_, Vec<Notification>>;

    /// Appends an audit entry.
    fn audit<'a>(
        &'a self,
        tenant_id: Option<i64>,
        actor: &'a str,
        action: &'a str,
        key_last_four: Option<&'a str>,
        detail: Option<&'a str>,
        now: i64,
    ) -> StoreFuture<'a, ()>;

    /// Audit entries of a tenant, oldest first.
    fn audit_entries(&self, tenant_id: i64) -> StoreFuture<'_, Vec<AuditEntry>>;
}
