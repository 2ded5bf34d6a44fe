//! Records and states of the service (`moje-fakture.md` §4.1, §6.1, §7.1).

use serde::{Deserialize, Serialize};

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $v),+ }
        impl $name {
            /// The stored and wire form.
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            /// Parses the stored form.
            pub fn parse(s: &str) -> Option<$name> { match s { $($s => Some($name::$v),)+ _ => None } }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

str_enum! {
    /// State of a SEF key record (`moje-fakture.md` §6.1).
    KeyState {
        /// The last key check or SEF call succeeded.
        Active = "active",
        /// A newly submitted key got 401 (never stored as a record; kept for completeness).
        Rejected = "rejected",
        /// A key that worked before now gets 401.
        Invalid = "invalid",
        /// SEF says the key belongs to another company.
        CompanyMismatch = "company_mismatch",
        /// SEF refuses because the company uses an information service provider.
        IspBlocked = "isp_blocked",
        /// Superseded by a newer key version.
        Replaced = "replaced",
    }
}

str_enum! {
    /// Local state of a document (`moje-fakture.md` §7.1).
    DocState {
        /// Editable.
        Draft = "draft",
        /// fiskal's validator found fatal errors.
        Invalid = "invalid",
        /// Frozen version with its `requestId`, waiting for the sender.
        Queued = "queued",
        /// An upload is in progress or its outcome is unknown.
        Sending = "sending",
        /// Waiting because the tenant's key is not active.
        BlockedKey = "blocked_key",
        /// The issue date passed without a confirmed send.
        NeedsRedate = "needs_redate",
        /// SEF has the document but its ids are not known yet.
        AcceptedIdsUnknown = "accepted_ids_unknown",
        /// SEF answered 400.
        Refused = "refused",
        /// SEF accepted it; ids stored.
        InSef = "in_sef",
    }
}

str_enum! {
    /// SEF environment of a tenant (`sef-api.md` §1).
    Environment {
        /// `https://efaktura.mfin.gov.rs`.
        Production = "production",
        /// `https://demoefaktura.mfin.gov.rs`.
        Demo = "demo",
        /// fiskal's local sandbox.
        Sandbox = "sandbox",
    }
}

impl Environment {
    /// Public address of the environment (for messages); the sandbox shows its configured URL.
    pub fn public_address(self) -> &'static str {
        match self {
            Environment::Production => "efaktura.mfin.gov.rs",
            Environment::Demo => "demoefaktura.mfin.gov.rs",
            Environment::Sandbox => "sandbox",
        }
    }
}

/// A tenant company (`moje-fakture.md` §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Id.
    pub id: i64,
    /// SEF environment.
    pub environment: String,
    /// PIB (9 digits).
    pub pib: String,
    /// Registration number (8 digits).
    pub mb: String,
    /// JBKJS of a budget user.
    pub jbkjs: Option<String>,
    /// Legal name.
    pub name: String,
    /// Trading name.
    pub trading_name: Option<String>,
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Budget-user flag (from SEF).
    pub budget_user: bool,
    /// `active`, `suspended` or `closed`.
    pub status: String,
    /// Re-date automatically (§8.3).
    pub auto_redate: bool,
    /// Send eligible documents to CRF (`sef-api.md` §7.2).
    pub send_to_cir: bool,
    /// Contact e-mail for notifications.
    pub contact_email: Option<String>,
    /// Bank accounts, default first.
    pub bank_accounts: Vec<String>,
    /// Created (Unix ms).
    pub created_at: i64,
}

/// A SEF key record without key material (`moje-fakture.md` §4.1). This is what screens and the
/// API may show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// Key version (1, 2, …).
    pub version: i64,
    /// State.
    pub state: KeyState,
    /// Last four characters.
    pub last_four: String,
    /// Masked display form.
    pub masked: String,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Who submitted it.
    pub created_by: String,
    /// Last successful key check or call (Unix ms).
    pub last_success_at: Option<i64>,
    /// Last 401/403 (Unix ms).
    pub last_401_at: Option<i64>,
    /// Last key check (Unix ms).
    pub last_check_at: Option<i64>,
    /// Outcome of the last key check.
    pub last_check_outcome: Option<String>,
    /// SEF version reported by the last successful check.
    pub sef_version: Option<String>,
    /// Next automatic re-check (Unix ms) for `invalid` / `isp_blocked`.
    pub next_recheck_at: Option<i64>,
}

/// A document as listed and shown (`moje-fakture.md` §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Id.
    pub id: i64,
    /// Owning tenant.
    pub tenant_id: i64,
    /// `380`, `381`, `383` or `386`.
    pub doc_type: String,
    /// Invoice number.
    pub number: String,
    /// Issue date of the current version (YYYY-MM-DD).
    pub issue_date: String,
    /// Local state.
    pub state: DocState,
    /// Buyer PIB.
    pub buyer_pib: Option<String>,
    /// Buyer name.
    pub buyer_name: Option<String>,
    /// Payable amount as a decimal string.
    pub total: Option<String>,
    /// Currency.
    pub currency: Option<String>,
    /// Current version number.
    pub version: i64,
    /// `requestId` of the current version.
    pub request_id: Option<String>,
    /// SEF `SalesInvoiceId`.
    pub sales_invoice_id: Option<i64>,
    /// SEF `PurchaseInvoiceId`.
    pub purchase_invoice_id: Option<i64>,
    /// SEF `InvoiceId`.
    pub invoice_id: Option<i64>,
    /// SEF status (`Sending`, `Sent`, `Approved`, …).
    pub sef_status: Option<String>,
    /// Buyer's or SEF's comment.
    pub sef_comment: Option<String>,
    /// CRF status.
    pub cir_status: Option<String>,
    /// Last SEF error code.
    pub error_code: Option<String>,
    /// Last SEF error field.
    pub error_field: Option<String>,
    /// Last SEF error message.
    pub error_message: Option<String>,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Updated (Unix ms).
    pub updated_at: i64,
}

/// One upload attempt (no key material).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendAttempt {
    /// Attempt number (1, 2, …).
    pub attempt_no: i64,
    /// Started (Unix ms).
    pub started_at: i64,
    /// Finished (Unix ms); `None` if the process died during the call.
    pub finished_at: Option<i64>,
    /// HTTP status when one was received.
    pub http_status: Option<i64>,
    /// Outcome (`ok`, `rejected`, `unauthorized`, `rate_limited`, `unavailable`, `protocol`).
    pub outcome: Option<String>,
    /// SEF error code.
    pub error_code: Option<String>,
}

/// An audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When (Unix ms).
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Key last four where relevant.
    pub key_last_four: Option<String>,
    /// Free text.
    pub detail: Option<String>,
}

/// A queued notification (the e-mail outbox; delivery is outside this crate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Message id (§6.3).
    pub message_id: String,
    /// Recipient address.
    pub recipient: Option<String>,
    /// Rendered text.
    pub body: String,
    /// Created (Unix ms).
    pub created_at: i64,
}
