//! What the use cases take and return: the onboarding form and the views of a tenant's key and documents.

use serde::{Deserialize, Serialize};

use crate::crypto::ApiKey;
use crate::messages::UserMessage;
use crate::model::{Document, KeyInfo, Tenant};

/// The onboarding form (§3.2). `Debug` never shows the key.
#[derive(Debug, Clone, Deserialize)]
pub struct Registration {
    /// `production`, `demo` or `sandbox`.
    pub environment: String,
    /// PIB.
    pub pib: String,
    /// MB.
    pub mb: String,
    /// JBKJS (budget users).
    #[serde(default)]
    pub jbkjs: Option<String>,
    /// Legal name.
    pub name: String,
    /// Trading name.
    #[serde(default)]
    pub trading_name: Option<String>,
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Bank accounts, default first.
    #[serde(default)]
    pub bank_accounts: Vec<String>,
    /// Contact e-mail.
    #[serde(default)]
    pub contact_email: Option<String>,
    /// The SEF API key (masked field).
    pub api_key: ApiKey,
}

/// Result of a registration: the tenant and its access token (shown once; only its hash is kept).
#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    /// The tenant.
    pub tenant: Tenant,
    /// Bearer token for the API and the pages.
    pub access_token: String,
    /// The key record (no material).
    pub key: KeyInfo,
    /// The callback address to paste into SEF (optional, §9.2).
    pub callback_url: String,
}

/// What the "API status" screen shows.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStatus {
    /// The tenant.
    pub tenant: Tenant,
    /// The current key record, if any.
    pub key: Option<KeyInfo>,
    /// The message for the current state (none when `active`).
    pub message: Option<UserMessage>,
    /// Documents waiting for the key.
    pub waiting: i64,
    /// Callback address for SEF.
    pub callback_url: String,
    /// The reminder shown next to the key field.
    pub reminder: UserMessage,
}

/// Summary of a demo or CLI run.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    /// The document.
    pub document: Document,
    /// The message to show for its state, if any.
    pub message: Option<UserMessage>,
    /// Upload attempts.
    pub attempts: Vec<crate::model::SendAttempt>,
}

/// A tenant as the operator sees it: its key record (never the key) and how many documents wait
/// for a working key.
#[derive(Debug, Clone, Serialize)]
pub struct TenantOverview {
    /// The tenant.
    pub tenant: Tenant,
    /// The current key record, if any.
    pub key: Option<KeyInfo>,
    /// Documents waiting for the key.
    pub waiting: i64,
}
