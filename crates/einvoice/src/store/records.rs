//! The records the store reads and writes besides the model types: new rows to insert and the
//! service-internal rows (key material, outbox items, frozen versions).

use crate::crypto::{CryptoError, SealedKey};
use crate::model::{KeyInfo, KeyState};

/// Fields of a new tenant.
#[derive(Debug, Clone)]
pub struct NewTenant {
    /// Environment.
    pub environment: String,
    /// PIB.
    pub pib: String,
    /// MB.
    pub mb: String,
    /// JBKJS.
    pub jbkjs: Option<String>,
    /// Legal name.
    pub name: String,
    /// Trading name.
    pub trading_name: Option<String>,
    /// Street.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Budget-user flag from SEF.
    pub budget_user: bool,
    /// Contact e-mail.
    pub contact_email: Option<String>,
    /// Bank accounts, default first.
    pub bank_accounts: Vec<String>,
}

/// A key record with its sealed material, for the service's internal use only.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// Row id.
    pub id: i64,
    /// Tenant.
    pub tenant_id: i64,
    /// Version.
    pub version: i64,
    /// State.
    pub state: KeyState,
    /// Sealed key (absent once replaced).
    pub sealed: Option<SealedKey>,
    /// Fingerprint.
    pub fingerprint: String,
    /// Shown information.
    pub info: KeyInfo,
}

/// A pending outbox entry, claimed by a sender.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    /// Outbox row id.
    pub id: i64,
    /// Tenant.
    pub tenant_id: i64,
    /// Document.
    pub document_id: i64,
    /// Version row id.
    pub version_id: i64,
    /// Stable `requestId`.
    pub request_id: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// Days (YYYY-MM-DD, comma-separated) on which attempts were made.
    pub attempt_days: String,
}

/// One frozen document version.
#[derive(Debug, Clone)]
pub struct VersionRow {
    /// Row id.
    pub id: i64,
    /// Version number.
    pub version: i64,
    /// UBL bytes.
    pub ubl: Vec<u8>,
    /// SHA-256 hex.
    pub sha256: String,
    /// `requestId`.
    pub request_id: String,
    /// `Yes` / `No`.
    pub send_to_cir: String,
    /// Issue date (YYYY-MM-DD).
    pub issue_date: String,
}

/// Fields of a document to queue.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// Type code.
    pub doc_type: String,
    /// Number.
    pub number: String,
    /// Issue date.
    pub issue_date: String,
    /// Buyer PIB.
    pub buyer_pib: Option<String>,
    /// Buyer name.
    pub buyer_name: Option<String>,
    /// Payable amount.
    pub total: Option<String>,
    /// Currency.
    pub currency: Option<String>,
}

/// A status event to store (`moje-fakture.md` §4.1, "SEF event").
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `sales` or `purchase`.
    pub direction: String,
    /// SEF `EventId`.
    pub event_id: i64,
    /// SEF document id.
    pub sef_document_id: i64,
    /// New status.
    pub new_status: String,
    /// Comment.
    pub comment: Option<String>,
    /// Event date as SEF wrote it.
    pub event_date: Option<String>,
    /// `callback`, `changes` or `poll`.
    pub source: String,
}

/// A new key version to store (the sealed material is passed beside it).
#[derive(Debug, Clone, Copy)]
pub struct NewKey<'a> {
    /// Version number (1 for a new tenant).
    pub version: i64,
    /// Fingerprint.
    pub fingerprint: &'a str,
    /// Last four characters of the key (shown masked).
    pub last_four: &'a str,
    /// Who submitted it.
    pub created_by: &'a str,
    /// The SEF version the key check answered with.
    pub sef_version: Option<&'a str>,
}

/// Seals a tenant's first key once the tenant's id is known.
pub type SealFn<'a> = dyn Fn(i64) -> Result<SealedKey, CryptoError> + Send + Sync + 'a;
