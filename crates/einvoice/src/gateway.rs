//! What the service needs from SEF, as a small object-safe trait. The production implementation
//! ([`crate::sef_gateway::ClientGateway`]) wraps fiskal-sef's client; tests may plug in others.
//!
//! Every method makes **one** attempt (no internal retries): the outbox records each attempt and
//! decides about retries itself, always with the same `requestId` and bytes (§8.2).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::NaiveDate;

use std::sync::Arc;

use crate::crypto::ApiKey;

/// The credentials of one call: the key and the gate every call of that key passes right before
/// the request leaves (the shared per-key rate limit). `Debug` never shows the key.
#[derive(Clone)]
pub struct Auth {
    /// The key.
    pub key: ApiKey,
    /// The per-key call gate.
    pub gate: Arc<dyn fiskal_sef::CallGate>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth { key: *** }")
    }
}

struct NoGate;

impl fiskal_sef::CallGate for NoGate {
    fn acquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async {})
    }
}

impl Auth {
    /// Credentials without a gate (callers that limit the rate themselves).
    pub fn ungated(key: ApiKey) -> Auth {
        Auth {
            key,
            gate: Arc::new(NoGate),
        }
    }
}

/// A boxed, sendable future.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The error of one SEF call (`sef-api.md` §4.1, §10 point 3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// 401/403.
    #[error("SEF did not accept the API key (401/403).")]
    Unauthorized,
    /// 400 `ISPIsSetForCompanyAnyOperationIsForbidden`.
    #[error("SEF refuses the company's own key because an information service provider is set.")]
    IspForbidden,
    /// 400 `InvalidSenderCompany` / `UBLSenderCompanyAndSenderCompanyIdentiferDoNotMatch`.
    #[error("SEF says the key belongs to another company ({code}).")]
    CompanyMismatch {
        /// The SEF error code.
        code: String,
    },
    /// Any other 400.
    #[error("SEF refused the request (error code {code}).")]
    Rejected {
        /// `ErrorCode`.
        code: String,
        /// `FieldName`.
        field: Option<String>,
        /// `Message`.
        message: Option<String>,
    },
    /// 404 or a not-found code.
    #[error("SEF does not know the document.")]
    NotFound,
    /// 429.
    #[error("SEF's rate limit was exceeded.")]
    RateLimited {
        /// `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// 5xx, timeout, connection failure: outcome unknown.
    #[error("SEF is unavailable ({cause}).")]
    Unavailable {
        /// What failed (never key material).
        cause: String,
    },
    /// 415 or an answer that cannot be understood.
    #[error("SEF answered something that cannot be understood ({detail}).")]
    Protocol {
        /// What was wrong.
        detail: String,
    },
}

impl CallError {
    /// The stored outcome name of an attempt.
    pub fn outcome(&self) -> &'static str {
        match self {
            CallError::Unauthorized => "unauthorized",
            CallError::IspForbidden
            | CallError::CompanyMismatch { .. }
            | CallError::Rejected { .. }
            | CallError::NotFound => "rejected",
            CallError::RateLimited { .. } => "rate_limited",
            CallError::Unavailable { .. } => "unavailable",
            CallError::Protocol { .. } => "protocol",
        }
    }

    /// HTTP status implied by the error, when there was one.
    pub fn http_status(&self) -> Option<i64> {
        match self {
            CallError::Unauthorized => Some(401),
            CallError::IspForbidden
            | CallError::CompanyMismatch { .. }
            | CallError::Rejected { .. } => Some(400),
            CallError::NotFound => Some(404),
            CallError::RateLimited { .. } => Some(429),
            CallError::Unavailable { .. } | CallError::Protocol { .. } => None,
        }
    }

    /// The SEF error code, when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::IspForbidden => Some("ISPIsSetForCompanyAnyOperationIsForbidden"),
            CallError::CompanyMismatch { code } | CallError::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// The three ids of an accepted upload (`sef-api.md` §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadIds {
    /// `InvoiceId`.
    pub invoice_id: Option<i64>,
    /// `PurchaseInvoiceId`.
    pub purchase_invoice_id: Option<i64>,
    /// `SalesInvoiceId`.
    pub sales_invoice_id: i64,
}

/// A sales document's status record (`sef-api.md` §7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesStatus {
    /// `Status` as SEF wrote it.
    pub status: String,
    /// `Comment` (buyer's comment).
    pub comment: Option<String>,
    /// `CirStatus`.
    pub cir_status: Option<String>,
}

/// A status change (`sef-api.md` §7.6, also the callback body of §7.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// `EventId`.
    pub event_id: i64,
    /// `Date`.
    pub date: Option<String>,
    /// `NewInvoiceStatus`.
    pub new_status: String,
    /// `SalesInvoiceId`.
    pub sales_invoice_id: i64,
    /// `Comment`.
    pub comment: Option<String>,
    /// `SubscriptionKey` (callbacks).
    pub subscription_key: Option<String>,
}

/// A downloaded sales document (envelope of `sef-api.md` §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedDocument {
    /// `PurchaseInvoiceId` from the header, if present.
    pub purchase_invoice_id: Option<i64>,
    /// The UBL document (first element child of `DocumentBody`).
    pub ubl: Vec<u8>,
}

/// The SEF operations the service uses, for one environment. Every call takes the tenant's key;
/// implementations never log it.
pub trait SefGateway: Send + Sync {
    /// Base URL (for messages).
    fn base_url(&self) -> String;

    /// Key check: `GET getEfakturaVersion`; returns the version string.
    fn key_check<'a>(&'a self, auth: &'a Auth) -> BoxFut<'a, Result<String, CallError>>;

    /// `CheckIfCompanyRegisteredOnEfaktura`.
    fn company_registered<'a>(
        &'a self,
        auth: &'a Auth,
        mb: &'a str,
        pib: &'a str,
        jbkjs: Option<&'a str>,
    ) -> BoxFut<'a, Result<bool, CallError>>;

    /// One upload attempt (`sales-invoice/ubl`).
    fn upload<'a>(
        &'a self,
        auth: &'a Auth,
        request_id: &'a str,
        ubl: &'a [u8],
        send_to_cir: bool,
    ) -> BoxFut<'a, Result<UploadIds, CallError>>;

    /// `GET sales-invoice`.
    fn sales_status<'a>(
        &'a self,
        auth: &'a Auth,
        sales_invoice_id: i64,
    ) -> BoxFut<'a, Result<SalesStatus, CallError>>;

    /// `POST sales-invoice/cancel`; returns the new status.
    fn cancel<'a>(
        &'a self,
        auth: &'a Auth,
        sales_invoice_id: i64,
        comment: &'a str,
    ) -> BoxFut<'a, Result<String, CallError>>;

    /// `POST sales-invoice/storno`; returns the new status.
    fn storno<'a>(
        &'a self,
        auth: &'a Auth,
        sales_invoice_id: i64,
        storno_number: Option<&'a str>,
        comment: &'a str,
    ) -> BoxFut<'a, Result<String, CallError>>;

    /// `POST sales-invoice/ids`.
    fn sales_ids<'a>(
        &'a self,
        auth: &'a Auth,
        status: &'a str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> BoxFut<'a, Result<Vec<i64>, CallError>>;

    /// `GET sales-invoice/xml`.
    fn sales_xml<'a>(
        &'a self,
        auth: &'a Auth,
        sales_invoice_id: i64,
    ) -> BoxFut<'a, Result<DownloadedDocument, CallError>>;

    /// `POST sales-invoice/changes`.
    fn sales_changes<'a>(
        &'a self,
        auth: &'a Auth,
        date: NaiveDate,
    ) -> BoxFut<'a, Result<Vec<ChangeEvent>, CallError>>;

    /// `POST subscribe`; returns the subscription key for the next day.
    fn subscribe<'a>(&'a self, auth: &'a Auth) -> BoxFut<'a, Result<String, CallError>>;
}
