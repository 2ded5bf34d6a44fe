//! Documents and their frozen versions: queueing, reading, state changes and SEF status.

use crate::model::{DocState, Document};

use super::error::StoreFuture;
use super::records::{NewDocument, VersionRow};

/// Documents and their frozen versions: queueing, reading, state changes and SEF status.
pub trait DocumentStore: Send + Sync {
    /// Queues a new document: the document row, its frozen version with the `requestId` and the
    /// outbox row, all in one transaction (§8.1). Returns the document id.
    #[allow(clippy::too_many_arguments)]
    fn queue_new_document<'a>(
        &'a self,
        tenant_id: i64,
        doc: &'a NewDocument,
        ubl: &'a [u8],
        sha256: &'a str,
        request_id: &'a str,
        send_to_cir: &'a str,
        now: i64,
    ) -> StoreFuture<'a, i64>;

    /// Re-queues a document as a new version (after `refused`, `invalid` or a confirmed re-date):
    /// new bytes, new `requestId`, state `queued`, all in one transaction.
    #[allow(clippy::too_many_arguments)]
    fn requeue_new_version<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        expected_states: &'a [DocState],
        ubl: &'a [u8],
        sha256: &'a str,
        request_id: &'a str,
        send_to_cir: &'a str,
        issue_date: &'a str,
        now: i64,
    ) -> StoreFuture<'a, bool>;

    /// A document of a tenant.
    fn document(&self, tenant_id: i64, doc_id: i64) -> StoreFuture<'_, Option<Document>>;

    /// A document of a tenant by SEF sales id.
    fn document_by_sales_id(
        &self,
        tenant_id: i64,
        sales_id: i64,
    ) -> StoreFuture<'_, Option<Document>>;

    /// Documents of a tenant, newest first.
    fn documents(&self, tenant_id: i64, limit: i64) -> StoreFuture<'_, Vec<Document>>;

    /// Documents of a tenant in a state.
    fn documents_in_state(&self, tenant_id: i64, state: DocState)
    -> StoreFuture<'_, Vec<Document>>;

    /// Count of a tenant's documents in the given states.
    fn count_in_states<'a>(
        &'a self,
        tenant_id: i64,
        states: &'a [DocState],
    ) -> StoreFuture<'a, i64>;

    /// Whether the tenant already used an invoice number.
    fn number_used<'a>(&'a self, tenant_id: i64, number: &'a str) -> StoreFuture<'a, bool>;

    /// The current version of a document.
    fn current_version(&self, tenant_id: i64, doc_id: i64) -> StoreFuture<'_, Option<VersionRow>>;

    /// A version by id.
    fn version(&self, tenant_id: i64, version_id: i64) -> StoreFuture<'_, Option<VersionRow>>;

    /// Every version of a document, oldest first.
    fn versions(&self, tenant_id: i64, doc_id: i64) -> StoreFuture<'_, Vec<VersionRow>>;

    /// Moves a document from one of `from` to `to` (compare-and-set).
    fn set_doc_state<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        from: &'a [DocState],
        to: DocState,
        now: i64,
    ) -> StoreFuture<'a, bool>;

    /// Blocks every `queued`/`sending` document of a tenant (§7.2), remembering the previous state.
    fn block_tenant_documents(&self, tenant_id: i64, now: i64) -> StoreFuture<'_, u64>;

    /// Returns every `blocked_key` document of a tenant to its previous state and makes its
    /// outbox row due now.
    fn unblock_tenant_documents(&self, tenant_id: i64, now: i64) -> StoreFuture<'_, u64>;

    /// Every SEF sales id the tenant already knows.
    fn known_sales_ids(&self, tenant_id: i64) -> StoreFuture<'_, Vec<i64>>;

    /// Updates the SEF status fields of a document (by tenant and sales id).
    fn set_sef_status<'a>(
        &'a self,
        tenant_id: i64,
        doc_id: i64,
        status: &'a str,
        comment: Option<&'a str>,
        cir_status: Option<&'a str>,
        now: i64,
    ) -> StoreFuture<'a, ()>;

    /// `in_sef` documents still in `Sending` (§9.4) accepted after `since`, not read since
    /// `read_before`.
    fn documents_to_poll(&self, since: i64, read_before: i64) -> StoreFuture<'_, Vec<(i64, i64)>>;
}
