//! The L-PFR's durable journal: every signed receipt, in counter order, chained by hashes.
//!
//! [`Journal`] is what the service uses; [`SqliteJournal`] implements it on SQLite in WAL mode
//! with `synchronous=FULL` (a transaction that returned is on disk). The journal is written in
//! two steps per group of requests (group commit: one fsync for many receipts):
//!
//! 1. [`Journal::record_pending`] stores the requests about to be signed, **before** the SE signs;
//! 2. [`Journal::commit_signed`] stores the signed receipts and removes the pending rows, **before**
//!    any answer is sent.
//!
//! After a crash between the SE's signature and step 2, the pending rows plus the SE's record of
//! its last signatures let the L-PFR rebuild the missing receipts at start-up, so counters never
//! skip or repeat.

use std::future::Future;
use std::pin::Pin;

use sha2::{Digest, Sha256};

mod sqlite;

pub use sqlite::{MIGRATIONS, SqliteJournal};

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The database failed.
    #[error("journal database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The journal cannot be opened: it is of a newer fiskal, or of an older layout.
    #[error("{0}")]
    Storage(#[from] fiskal_storage::StorageError),
    /// The hash chain is broken at this counter.
    #[error("the journal's hash chain is broken at receipt {0}")]
    BrokenChain(u32),
}

/// The future every [`Journal`] method returns (boxed, so the service can hold a
/// `dyn Journal`).
pub type JournalFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, JournalError>> + Send + 'a>>;

/// A request recorded before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    /// Row id (assigned by [`Journal::record_pending`]).
    pub id: i64,
    /// `RequestId` header, if any.
    pub request_id: Option<String>,
    /// Canonical JSON of the checked request.
    pub request_json: String,
    /// PFR time assigned to it.
    pub sdc_time_ms: i64,
    /// Language of the answer (`sr` or `en`).
    pub lang: String,
}

/// A signed receipt to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReceipt {
    /// Total counter (the SE's).
    pub total_counter: u32,
    /// SE UID.
    pub uid: String,
    /// PFR invoice number.
    pub invoice_number: String,
    /// `RequestId`, if any.
    pub request_id: Option<String>,
    /// Counter extension (document kind), e.g. `ПП`.
    pub kind: String,
    /// PFR time in ms.
    pub sdc_time_ms: i64,
    /// Total amount as decimal text.
    pub amount: String,
    /// Canonical request JSON.
    pub request_json: String,
    /// The invoice result JSON (without the QR image).
    pub result_json: String,
    /// The SE's Sign Invoice output bytes.
    pub se_output: Vec<u8>,
}

/// A receipt read back from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReceipt {
    /// Total counter.
    pub total_counter: u32,
    /// PFR invoice number.
    pub invoice_number: String,
    /// `RequestId`.
    pub request_id: Option<String>,
    /// Canonical request JSON.
    pub request_json: String,
    /// Result JSON (without the QR image).
    pub result_json: String,
    /// SE output bytes.
    pub se_output: Vec<u8>,
    /// Hash of this entry.
    pub hash: Vec<u8>,
}

/// The journal as the L-PFR's service uses it. Every method is one atomic step.
pub trait Journal: Send + Sync + 'static {
    /// Records requests about to be signed, in one transaction; returns them with their ids.
    fn record_pending(&self, rows: Vec<PendingRow>) -> JournalFuture<'_, Vec<PendingRow>>;
    /// Pending rows, oldest first.
    fn pending(&self) -> JournalFuture<'_, Vec<PendingRow>>;
    /// Stores signed receipts (extending the hash chain, [`entry_hash`]) and removes the given
    /// pending rows, in one transaction.
    fn commit_signed<'a>(
        &'a self,
        receipts: &'a [NewReceipt],
        done_pending: &'a [i64],
    ) -> JournalFuture<'a, ()>;
    /// Removes pending rows that will never be signed.
    fn drop_pending<'a>(&'a self, ids: &'a [i64]) -> JournalFuture<'a, ()> {
        self.commit_signed(&[], ids)
    }
    /// The receipt created with this `RequestId` by this SE.
    fn by_request_id<'a>(
        &'a self,
        uid: &'a str,
        request_id: &'a str,
    ) -> JournalFuture<'a, Option<StoredReceipt>>;
    /// The receipt with this PFR invoice number.
    fn by_invoice_number<'a>(&'a self, number: &'a str)
    -> JournalFuture<'a, Option<StoredReceipt>>;
    /// The newest receipt.
    fn last(&self) -> JournalFuture<'_, Option<StoredReceipt>>;
    /// Receipts with a total counter above `after`, oldest first, at most `limit`.
    fn after(&self, after: u32, limit: u32) -> JournalFuture<'_, Vec<StoredReceipt>>;
    /// Number of receipts and the highest total counter (0 when empty).
    fn count_and_max(&self) -> JournalFuture<'_, (u64, u32)>;
    /// Checks the whole hash chain and that counters run 1, 2, 3, … without a gap; returns the
    /// number of receipts.
    fn verify_chain(&self) -> JournalFuture<'_, u64>;
    /// Reads a setting.
    fn setting<'a>(&'a self, key: &'a str) -> JournalFuture<'a, Option<String>>;
    /// Writes a setting.
    fn set_setting<'a>(&'a self, key: &'a str, value: &'a str) -> JournalFuture<'a, ()>;
}

/// The hash of a journal entry: SHA-256 over the previous entry's hash (32 zero bytes for the
/// first) and the receipt's fields, each text prefixed by its length.
pub fn entry_hash(prev: &[u8], r: &NewReceipt) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(r.total_counter.to_be_bytes());
    h.update(r.sdc_time_ms.to_be_bytes());
    let request_id = r.request_id.clone().unwrap_or_default();
    for part in [
        &r.uid,
        &r.invoice_number,
        &request_id,
        &r.kind,
        &r.amount,
        &r.request_json,
        &r.result_json,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.update(&r.se_output);
    h.finalize().to_vec()
}
