//! The SUF's storage: the secure-element registry, tokens, received receipts, audit requests and
//! commands. [`Store`] is the interface; [`SqlStore`] implements it on SQLite (default) or
//! PostgreSQL, chosen by URL, with the same SQL (`$n` parameters work on both).

use std::future::Future;

mod sql;

pub use sql::{MIGRATIONS, SqlStore};

/// Errors of the storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed or is unreachable.
    #[error("the SUF database failed: {0}")]
    Db(#[from] sqlx::Error),
    /// The URL names no supported database (the text says why; never a password).
    #[error("{0}")]
    BadUrl(String),
    /// The store cannot be opened: of a newer fiskal, of an older layout, or unreachable.
    #[error("{0}")]
    Storage(#[from] fiskal_storage::StorageError),
    /// A group write failed; nothing of the group was stored.
    #[error("the SUF database failed to store a group of receipts: {0}")]
    GroupWrite(String),
}

/// A secure element (or V-PFR signer) known to the SUF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeRecord {
    /// UID.
    pub uid: String,
    /// Seller TIN from the certificate.
    pub tin: String,
    /// DER of the signing certificate.
    pub certificate: Vec<u8>,
    /// When the certificate was revoked (ms), if it was.
    pub revoked_at_ms: Option<i64>,
}

/// A receipt received by audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRecord {
    /// PFR invoice number `{requestedBy}-{signedBy}-{totalCounter}`.
    pub invoice_number: String,
    /// Signing SE.
    pub signed_by: String,
    /// Requesting SE.
    pub requested_by: String,
    /// Total counter.
    pub total_counter: u32,
    /// Transaction-type counter.
    pub transaction_type_counter: u32,
    /// PFR time, ms.
    pub sdc_time_ms: i64,
    /// Amount × 10 000.
    pub amount: i64,
    /// Invoice type code.
    pub invoice_type: u8,
    /// Transaction type code.
    pub transaction_type: u8,
    /// Buyer ID.
    pub buyer_id: Option<String>,
    /// Cumulative sale + refund × 10 000 after this document (from the internal data).
    pub cumulative_total: i64,
    /// Internal data bytes.
    pub internal_data: Vec<u8>,
    /// Signature bytes.
    pub signature: Vec<u8>,
    /// SHA-256 (hex) of the normalised package content.
    pub content_hash: String,
    /// Request JSON.
    pub request_json: String,
    /// Result JSON.
    pub result_json: String,
    /// When it arrived, ms.
    pub received_ms: i64,
}

/// Outcome of storing a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Newly stored.
    Inserted,
    /// Already stored with identical content.
    Duplicate,
    /// A different receipt with the same invoice number is stored.
    Conflict,
    /// The cumulative totals do not follow from a neighbouring receipt already stored
    /// (`totalCounter ± 1`); nothing was stored.
    ChainBroken,
}

/// An audit request (ARP) received from an SE, and the proof issued for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// SE UID.
    pub uid: String,
    /// Audit number.
    pub audit_seq: u32,
    /// Raw ARP bytes.
    pub arp: Vec<u8>,
    /// Total counter at Start Audit.
    pub total_counter: u32,
    /// Unaudited sum × 10 000 at Start Audit.
    pub sum: i64,
    /// Limit × 10 000.
    pub limit: i64,
    /// When it arrived, ms.
    pub requested_ms: i64,
    /// The proof of audit once issued.
    pub poa: Option<Vec<u8>>,
}

/// A command for an SE (suf-backend.md §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    /// GUID.
    pub command_id: String,
    /// Target SE.
    pub uid: String,
    /// Command type.
    pub command_type: i32,
    /// Payload text.
    pub payload: String,
    /// Creation time (ms); commands run in this order.
    pub created_ms: i64,
    /// Result reported by the PFR, once reported.
    pub success: Option<bool>,
}

impl CommandRecord {
    /// The command as it goes to the PFR.
    pub fn to_command(&self) -> fiskal_se::command::Command {
        fiskal_se::command::Command {
            command_id: self.command_id.clone(),
            command_type: self.command_type,
            payload: self.payload.clone(),
            uid: self.uid.clone(),
        }
    }
}

/// The SUF's storage interface. Every method is one atomic step.
pub trait Store: Send + Sync + 'static {
    /// Registers or updates an SE (certificate and TIN; revocation is kept).
    fn put_se(&self, se: &SeRecord) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The SE with this UID.
    fn get_se(
        &self,
        uid: &str,
    ) -> impl Future<Output = Result<Option<SeRecord>, StoreError>> + Send;
    /// Marks an SE revoked at `at_ms`; false when unknown.
    fn revoke_se(
        &self,
        uid: &str,
        at_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Stores a token for a UID.
    fn put_token(
        &self,
        token: &str,
        uid: &str,
        expires_ms: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A token of this UID still valid at `now_ms`, with its expiry.
    fn token_of(
        &self,
        uid: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<(String, i64)>, StoreError>> + Send;
    /// The UID a token valid at `now_ms` belongs to, with the token's expiry (ms).
    fn token_uid(
        &self,
        token: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<(String, i64)>, StoreError>> + Send;
    /// Stores a receipt unless one with the same invoice number exists or its cumulative totals
    /// do not follow from a stored neighbour (`totalCounter ± 1`).
    fn insert_receipt(
        &self,
        r: &ReceiptRecord,
    ) -> impl Future<Output = Result<InsertOutcome, StoreError>> + Send;
    /// The receipt with this invoice number.
    fn receipt(
        &self,
        invoice_number: &str,
    ) -> impl Future<Output = Result<Option<ReceiptRecord>, StoreError>> + Send;
    /// The receipt of SE `uid` with this total counter.
    fn receipt_at(
        &self,
        uid: &str,
        total_counter: u32,
    ) -> impl Future<Output = Result<Option<ReceiptRecord>, StoreError>> + Send;
    /// How many receipts of `uid` have a total counter in `from..=to`.
    fn count_range(
        &self,
        uid: &str,
        from: u32,
        to: u32,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Stores an audit request (idempotent per UID and audit number).
    fn put_audit(&self, a: &AuditRecord) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Audit requests of `uid` without a proof yet, oldest first.
    fn open_audits(
        &self,
        uid: &str,
    ) -> impl Future<Output = Result<Vec<AuditRecord>, StoreError>> + Send;
    /// Records the proof of audit issued for an audit request together with the command that
    /// forwards it, in one transaction; `forced_by` names the operator of a forced proof.
    /// False (and nothing stored) when the request already has a proof.
    fn set_poa(
        &self,
        uid: &str,
        audit_seq: u32,
        poa: &[u8],
        command: &CommandRecord,
        forced_by: Option<&str>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Highest total counter covered by an issued proof of audit for `uid` (0 if none).
    fn last_proof_counter(&self, uid: &str)
    -> impl Future<Output = Result<u32, StoreError>> + Send;
    /// Queues a command.
    fn add_command(&self, c: &CommandRecord)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Commands of `uid` not yet reported, in order.
    fn pending_commands(
        &self,
        uid: &str,
    ) -> impl Future<Output = Result<Vec<CommandRecord>, StoreError>> + Send;
    /// Records a command result (the first report wins); false when no such command of `uid`.
    fn complete_command(
        &self,
        uid: &str,
        command_id: &str,
        success: bool,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Every command of `uid`, reported or not, newest first, at most `limit`.
    fn command_history(
        &self,
        uid: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<CommandRecord>, StoreError>> + Send;
    /// Every registered secure element, by UID.
    fn list_se(&self) -> impl Future<Output = Result<Vec<SeRecord>, StoreError>> + Send;
    /// Tax-rate groups added by the authority (beyond the bundle's), as (group id, group JSON).
    fn tax_groups(&self) -> impl Future<Output = Result<Vec<(u32, String)>, StoreError>> + Send;
    /// Administration settings (verification prefix, time server), as (name, value).
    fn settings(&self) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;
    /// Applies one administrative change in a single transaction: optionally a new tax-rate group
    /// (refused with `Ok(false)` when its id is taken), optionally a setting, and the commands
    /// that carry the change to the secure elements. Either all of it is stored or none.
    fn apply_admin_change(
        &self,
        change: &AdminChange,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// One administrative change, stored atomically by [`Store::apply_admin_change`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminChange {
    /// A new tax-rate group: (group id, group JSON).
    pub tax_group: Option<(u32, String)>,
    /// A setting: (name, value).
    pub setting: Option<(String, String)>,
    /// When set, the setting is written only if its stored value is still this one (`None`:
    /// not stored yet); otherwise nothing is stored and the change answers `false`. Used for
    /// numbers that must never repeat, even with several SUF processes on one database.
    pub setting_expected: Option<Option<String>>,
    /// The commands queued for the secure elements.
    pub commands: Vec<CommandRecord>,
    /// When the change was made, ms.
    pub at_ms: i64,
}

/// Which SQL database a [`SqlStore`] talks to.
pub use fiskal_storage::Backend;
