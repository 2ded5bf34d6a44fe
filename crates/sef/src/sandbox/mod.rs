//! fiskal's local SEF-compatible sandbox (`sef-api.md` §1, §12, §13): the same public API on a
//! loopback address, a sandbox-only admin API under `/__sandbox`, and a small portal page under
//! `/portal` where a company registers, sees and regenerates its API key and switches its API
//! status ("Podešavanja > API menadžment"), as on SEF's own portal.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use fiskal_domain::lang::Lang;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, MutexGuard};

pub mod check;
pub mod codes;
pub mod fixtures;
pub mod state;
pub mod store;

mod admin;
mod api;
mod portal;
mod samples;
mod server;
mod upload;

pub use codes::sef_code;
pub use samples::SampleKeys;
pub use server::{
    LOOPBACK_ANY_PORT, MAX_BODY, SandboxHandle, router, serve_with_shutdown, spawn, spawn_on,
};
pub use state::{Company, Document, Event, KeyRecord, SandboxSettings, Side, State, Webhooks};
pub use store::{MemoryStore, SandboxStore, SqliteStore, StoreError};

use crate::model::{PurchaseInvoiceStatus, SalesInvoiceStatus};
use check::Refusal;
use fiskal_domain::ids::pib_check_digit_valid as is_valid_pib;
use state::Notification;

/// How to start a sandbox.
#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    /// SQLite file for the state; `None` keeps everything in memory.
    pub db_path: Option<PathBuf>,
    /// Behaviour switches for a fresh state (a stored state keeps its own).
    pub settings: SandboxSettings,
    /// Initial sandbox clock (default: real time).
    pub now: Option<DateTime<FixedOffset>>,
    /// Serve `/__sandbox` and `/portal` to non-loopback peers too (default false).
    pub allow_remote_admin: bool,
}

/// Why the sandbox could not start or an admin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored snapshot could not be read.
    #[error("The stored sandbox state could not be read: {0}.")]
    Snapshot(String),
    /// Socket failure.
    #[error("The sandbox could not serve: {0}.")]
    Io(#[from] std::io::Error),
    /// The operation referred to something unknown.
    #[error("{0}")]
    NotFound(String),
    /// The operation's input was not valid.
    #[error("{0}")]
    Invalid(String),
    /// The company could not be registered.
    #[error(transparent)]
    Registration(#[from] RegistrationError),
}

/// Why a company could not be registered. `Display` says it in Serbian (Latin), as the admin
/// API answers; [`RegistrationError::message`] in the portal's language.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The PIB (as given) fails its check digit or is not 9 digits.
    Pib(String),
    /// The matični broj (as given) is not 8 digits.
    Mb(String),
    /// No company name.
    NoName,
    /// A JBKJS that is not 5 digits.
    Jbkjs,
    /// A company with this PIB is registered already.
    Registered(String),
}

impl std::fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::SrLatn))
    }
}

impl std::error::Error for RegistrationError {}

impl RegistrationError {
    /// The message in `lang` (Cyrillic transliterates the Latin; the PIB or MB stays as given).
    pub fn message(&self, lang: Lang) -> String {
        let (sr, en, value) = match self {
            RegistrationError::Pib(v) => (
                "PIB {v} nije ispravan (9 cifara sa kontrolnom cifrom).",
                "The PIB {v} is not valid (9 digits with a check digit).",
                v.as_str(),
            ),
            RegistrationError::Mb(v) => (
                "Matični broj {v} mora imati 8 cifara.",
                "The registration number (matični broj) {v} must have 8 digits.",
                v.as_str(),
            ),
            RegistrationError::NoName => (
                "Naziv firme je obavezan.",
                "The company name is required.",
                "",
            ),
            RegistrationError::Jbkjs => (
                "JBKJS mora imati 5 cifara.",
                "The JBKJS must have 5 digits.",
                "",
            ),
            RegistrationError::Registered(v) => (
                "Firma sa PIB-om {v} je već registrovana.",
                "A company with PIB {v} is registered already.",
                v.as_str(),
            ),
        };
        lang.pick(sr, en).replace("{v}", value)
    }
}

/// A fault injected through `POST /__sandbox/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// Exact request path, e.g. `/api/publicApi/sales-invoice/ubl`, or `*` for any API path.
    pub path: String,
    /// What happens.
    pub kind: FaultKind,
    /// How many matching calls fail (default 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// Kinds of injected faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultKind {
    /// HTTP 500, request not processed.
    #[serde(rename = "http_500")]
    Http500,
    /// HTTP 503, request not processed.
    #[serde(rename = "http_503")]
    Http503,
    /// HTTP 429 with `Retry-After: 1`, request not processed.
    #[serde(rename = "http_429")]
    Http429,
    /// The connection is broken after the status line, request not processed.
    #[serde(rename = "drop_connection")]
    DropConnection,
    /// The answer is held for `faultDelayMs`, then 504; request not processed.
    #[serde(rename = "timeout_before_commit")]
    TimeoutBeforeCommit,
    /// The request is processed (document created), the answer is held for `faultDelayMs`.
    #[serde(rename = "timeout_after_commit")]
    TimeoutAfterCommit,
}

/// One recorded API request (`GET /__sandbox/log`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// Arrival, real time, RFC 3339 with milliseconds.
    pub at: String,
    /// Arrival, real time, Unix milliseconds.
    pub at_ms: i64,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string.
    pub query: Option<String>,
    /// Last four characters of the `ApiKey` header.
    pub api_key: Option<String>,
    /// Answer status.
    pub status: u16,
    /// Handling time.
    pub duration_ms: u64,
}

/// The sandbox: state, store, faults, limiter and request log.
pub struct Sandbox {
    state: Mutex<State>,
    store: Arc<dyn SandboxStore>,
    faults: StdMutex<Vec<Fault>>,
    windows: StdMutex<HashMap<String, VecDeque<Instant>>>,
    log: StdMutex<VecDeque<LogEntry>>,
    http: reqwest::Client,
    allow_remote_admin: bool,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").finish_non_exhaustive()
    }
}

/// The state lock plus what happened while it was held.
pub(crate) struct Locked<'a> {
    pub st: MutexGuard<'a, State>,
    pub notes: Vec<Notification>,
    events_at_lock: usize,
}

impl Sandbox {
    /// Opens a sandbox with its store (in memory when `db_path` is `None`).
    pub async fn open(config: SandboxConfig) -> Result<Arc<Sandbox>, SandboxError> {
        let store: Arc<dyn SandboxStore> = match &config.db_path {
            Some(p) => Arc::new(SqliteStore::open(p).await?),
            None => Arc::new(MemoryStore),
        };
        Sandbox::with_store(config, store).await
    }

    /// Opens a sandbox on any store.
    pub async fn with_store(
        config: SandboxConfig,
        store: Arc<dyn SandboxStore>,
    ) -> Result<Arc<Sandbox>, SandboxError> {
        let mut st = match store.load().await? {
            Some(s) => serde_json::from_str::<State>(&s)
                .map_err(|e| SandboxError::Snapshot(e.to_string()))?,
            None => State {
                settings: config.settings.clone(),
                ..State::default()
            },
        };
        if let Some(now) = config.now {
            st.clock_offset_ms = (now.with_timezone(&Utc) - Utc::now()).num_milliseconds();
        }
        let http = reqwest::Client::builder()
            // Below the servers' 10 s header-read timeout (fiskal-web).
            .pool_idle_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| SandboxError::Invalid(e.to_string()))?;
        Ok(Arc::new(Sandbox {
            state: Mutex::new(st),
            store,
            faults: StdMutex::new(Vec::new()),
            windows: StdMutex::new(HashMap::new()),
            log: StdMutex::new(VecDeque::new()),
            http,
            allow_remote_admin: config.allow_remote_admin,
        }))
    }

    pub(crate) async fn lock(&self) -> Locked<'_> {
        let mut st = self.state.lock().await;
        let events_at_lock = st.events.len();
        let mut notes = Vec::new();
        st.tick(&mut notes);
        Locked {
            st,
            notes,
            events_at_lock,
        }
    }

    /// Saves the state when it changed and sends the callbacks collected meanwhile.
    pub(crate) async fn finish(&self, l: Locked<'_>, mutated: bool) {
        if (mutated || l.st.events.len() != l.events_at_lock) && self.store_is_persistent() {
            match serde_json::to_string(&*l.st) {
                Ok(s) => {
                    if let Err(e) = self.store.save(&s).await {
                        tracing::warn!(error = %e, "sandbox state not saved");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "sandbox state not serialised"),
            }
        }
        let (timeout, attempts) = (
            Duration::from_millis(l.st.settings.webhook_timeout_ms),
            l.st.settings.webhook_attempts.max(1),
        );
        let notes = l.notes;
        drop(l.st);
        for n in notes {
            let http = self.http.clone();
            tokio::spawn(async move {
                for attempt in 1..=attempts {
                    let r = http
                        .post(&n.url)
                        .timeout(timeout)
                        .json(&n.body)
                        .send()
                        .await;
                    match r {
                        Ok(resp) if resp.status().is_success() => return,
                        _ if attempt < attempts => {
                            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt)))
                                .await;
                        }
                        _ => tracing::info!(url = %n.url, "sandbox callback not delivered"),
                    }
                }
            });
        }
    }

    fn store_is_persistent(&self) -> bool {
        self.store.is_persistent()
    }

    /// Locks the state, checks the `ApiKey` header and returns the key's company PIB
    /// (`sef-api.md` §2): 401 for a missing, unknown, revoked or inactive key, 400
    /// `ISPIsSetForCompanyAnyOperationIsForbidden` for a company with an ISP.
    pub(crate) async fn auth(&self, headers: &HeaderMap) -> Result<(Locked<'_>, String), ApiError> {
        let l = self.lock().await;
        let Some(key) = headers
            .get("ApiKey")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
        else {
            return Err(ApiError::Unauthorized);
        };
        let Some(rec) = l.st.keys.get(key).filter(|k| k.active && !k.revoked) else {
            return Err(ApiError::Unauthorized);
        };
        let Some(company) = l.st.companies.get(&rec.pib).filter(|c| c.is_active()) else {
            return Err(ApiError::Unauthorized);
        };
        if company.isp {
            return Err(ApiError::Business(check::refuse(
                "ISPIsSetForCompanyAnyOperationIsForbidden",
                "The company has an information service provider; any operation with its own key is forbidden.",
                None,
            )));
        }
        let pib = company.pib.clone();
        Ok((l, pib))
    }

    /// Sliding one-second window per key; `true` when the call may proceed. Only keys the
    /// sandbox issued get a window: any other value is answered 401 by authentication anyway,
    /// and a window per made-up key would let a caller grow the map without bound.
    async fn admit(&self, key: &str) -> bool {
        let limit = {
            let st = self.state.lock().await;
            if !st.keys.contains_key(key) {
                return true;
            }
            st.settings.rate_limit_per_second as usize
        };
        if limit == 0 {
            return true;
        }
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let q = w.entry(key.to_string()).or_default();
        let now = Instant::now();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            q.pop_front();
        }
        if q.len() >= limit {
            return false;
        }
        q.push_back(now);
        true
    }

    fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut f = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let i = f.iter().position(|x| x.path == path || x.path == "*")?;
        let kind = f[i].kind;
        f[i].count = f[i].count.saturating_sub(1);
        if f[i].count == 0 {
            f.remove(i);
        }
        Some(kind)
    }

    fn record(&self, e: LogEntry) {
        let mut l = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if l.len() >= 10_000 {
            l.pop_front();
        }
        l.push_back(e);
    }

    // ----- admin operations (also reachable over HTTP, §12) -----

    /// Drops all state (settings back to the defaults), faults and the log.
    pub async fn reset(&self) {
        let mut l = self.lock().await;
        *l.st = State::default();
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        if let Err(e) = self.store.clear().await {
            tracing::warn!(error = %e, "sandbox store not cleared");
        }
        self.finish(l, true).await;
    }

    /// Registers a company. The PIB must pass the check digit, the MB must have 8 digits.
    pub async fn register_company(&self, mut c: Company) -> Result<Company, SandboxError> {
        c.pib = c.pib.trim().to_string();
        c.mb = c.mb.trim().to_string();
        c.name = c.name.trim().to_string();
        if !is_valid_pib(&c.pib) {
            return Err(RegistrationError::Pib(c.pib).into());
        }
        if c.mb.len() != 8 || !c.mb.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegistrationError::Mb(c.mb).into());
        }
        if c.name.is_empty() {
            return Err(RegistrationError::NoName.into());
        }
        if let Some(j) = c.jbkjs.as_deref().map(str::trim).filter(|j| !j.is_empty()) {
            if j.len() != 5 || !j.bytes().all(|b| b.is_ascii_digit()) {
                return Err(RegistrationError::Jbkjs.into());
            }
            c.jbkjs = Some(j.to_string());
        } else {
            c.jbkjs = None;
        }
        let mut l = self.lock().await;
        if l.st.companies.contains_key(&c.pib) {
            return Err(RegistrationError::Registered(c.pib).into());
        }
        if c.registration_date.is_empty() {
            c.registration_date = l.st.now().to_rfc3339();
        }
        l.st.companies.insert(c.pib.clone(), c.clone());
        self.finish(l, true).await;
        Ok(c)
    }

    /// Changes fields of a registered company (JSON merge of camelCase fields).
    pub async fn update_company(
        &self,
        pib: &str,
        patch: serde_json::Value,
    ) -> Result<Company, SandboxError> {
        let mut l = self.lock().await;
        let c =
            l.st.companies
                .get(pib)
                .ok_or_else(|| SandboxError::NotFound(format!("No company with PIB {pib}.")))?;
        let mut v = serde_json::to_value(c).map_err(|e| SandboxError::Invalid(e.to_string()))?;
        merge(&mut v, patch);
        let mut nc: Company =
            serde_json::from_value(v).map_err(|e| SandboxError::Invalid(e.to_string()))?;
        nc.pib = pib.to_string();
        l.st.companies.insert(pib.to_string(), nc.clone());
        self.finish(l, true).await;
        Ok(nc)
    }

    /// Creates a key for a company (random GUID when `key` is `None`); the company's previous
    /// key stops working (one key per company).
    pub async fn create_key(
        &self,
        pib: &str,
        key: Option<String>,
        active: bool,
    ) -> Result<String, SandboxError> {
        if let Some(k) = &key
            && !crate::key::is_guid(k)
        {
            return Err(SandboxError::Invalid("The key must be a GUID.".into()));
        }
        let mut l = self.lock().await;
        if !l.st.companies.contains_key(pib) {
            return Err(SandboxError::NotFound(format!(
                "No company with PIB {pib}."
            )));
        }
        let k = l.st.create_key(pib, key, active);
        self.finish(l, true).await;
        Ok(k)
    }

    /// Switches a key's API status.
    pub async fn set_key_active(&self, key: &str, active: bool) -> Result<(), SandboxError> {
        let mut l = self.lock().await;
        let k =
            l.st.keys
                .get_mut(key)
                .ok_or_else(|| SandboxError::NotFound("Unknown key.".into()))?;
        k.active = active;
        self.finish(l, true).await;
        Ok(())
    }

    /// Invalidates a key and returns a new one for the same company (same API status).
    pub async fn regenerate_key(&self, key: &str) -> Result<String, SandboxError> {
        let mut l = self.lock().await;
        let rec =
            l.st.keys
                .get(key)
                .cloned()
                .ok_or_else(|| SandboxError::NotFound("Unknown key.".into()))?;
        let k = l.st.create_key(&rec.pib, None, rec.active);
        self.finish(l, true).await;
        Ok(k)
    }

    /// Sets the sandbox clock to `now`.
    pub async fn set_now(&self, now: DateTime<FixedOffset>) {
        let mut l = self.state.lock().await;
        l.clock_offset_ms = (now.with_timezone(&Utc) - Utc::now()).num_milliseconds();
        drop(l);
        let l = self.lock().await;
        self.finish(l, true).await;
    }

    /// Moves the sandbox clock forward (timers fire).
    pub async fn advance(&self, seconds: i64) {
        let mut l = self.state.lock().await;
        l.clock_offset_ms += seconds * 1000;
        drop(l);
        let l = self.lock().await;
        self.finish(l, true).await;
    }

    /// The sandbox clock.
    pub async fn now(&self) -> DateTime<Utc> {
        self.state.lock().await.now()
    }

    /// Merges camelCase fields into the behaviour switches and returns the result.
    pub async fn update_settings(
        &self,
        patch: serde_json::Value,
    ) -> Result<SandboxSettings, SandboxError> {
        let mut l = self.lock().await;
        let mut v = serde_json::to_value(&l.st.settings)
            .map_err(|e| SandboxError::Invalid(e.to_string()))?;
        merge(&mut v, patch);
        let s: SandboxSettings =
            serde_json::from_value(v).map_err(|e| SandboxError::Invalid(e.to_string()))?;
        l.st.settings = s.clone();
        self.finish(l, true).await;
        Ok(s)
    }

    /// The behaviour switches.
    pub async fn settings(&self) -> SandboxSettings {
        self.state.lock().await.settings.clone()
    }

    /// Sets a company's callback addresses.
    pub async fn set_webhooks(&self, pib: &str, hooks: Webhooks) -> Result<(), SandboxError> {
        let mut l = self.lock().await;
        if !l.st.companies.contains_key(pib) {
            return Err(SandboxError::NotFound(format!(
                "No company with PIB {pib}."
            )));
        }
        l.st.webhooks.insert(pib.to_string(), hooks);
        self.finish(l, true).await;
        Ok(())
    }

    /// Makes the next `count` matching API calls fail.
    pub fn inject_fault(&self, fault: Fault) {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(fault);
    }

    /// Forces a sales document's status (and the matching purchase status), emitting events.
    pub async fn force_status(
        &self,
        sales_id: i64,
        status: SalesInvoiceStatus,
    ) -> Result<(), SandboxError> {
        let mut l = self.lock().await;
        if !l.st.docs.contains_key(&sales_id) {
            return Err(SandboxError::NotFound(format!(
                "No sales document {sales_id}."
            )));
        }
        let purchase = match status {
            SalesInvoiceStatus::Sent => Some(PurchaseInvoiceStatus::New),
            SalesInvoiceStatus::Approved => Some(PurchaseInvoiceStatus::Approved),
            SalesInvoiceStatus::Rejected => Some(PurchaseInvoiceStatus::Rejected),
            SalesInvoiceStatus::Cancelled => Some(PurchaseInvoiceStatus::Cancelled),
            SalesInvoiceStatus::Storno => Some(PurchaseInvoiceStatus::Storno),
            SalesInvoiceStatus::Deleted => Some(PurchaseInvoiceStatus::Deleted),
            _ => None,
        };
        let now = l.st.now();
        let mut notes = std::mem::take(&mut l.notes);
        l.st.set_status(
            sales_id,
            Some(status),
            purchase,
            None,
            None,
            now,
            &mut notes,
        );
        l.notes = notes;
        self.finish(l, true).await;
        Ok(())
    }

    /// The recorded API requests.
    pub fn log(&self) -> Vec<LogEntry> {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// All documents.
    pub async fn documents(&self) -> Vec<Document> {
        self.state.lock().await.docs.values().cloned().collect()
    }

    /// A copy of the whole state.
    pub async fn snapshot(&self) -> State {
        self.state.lock().await.clone()
    }
}

fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    if let (Some(t), serde_json::Value::Object(p)) = (target.as_object_mut(), patch) {
        for (k, v) in p {
            t.insert(k, v);
        }
    }
}

/// Error answers of the public API.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// 401, empty body, no content type.
    Unauthorized,
    /// 400 with the SEF error body.
    Business(Refusal),
    /// 400 with a free message and no code.
    BadRequest(String),
    /// 404.
    NotFound,
    /// 415.
    UnsupportedMediaType,
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::Business(r)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
            ApiError::Business(r) => json_response(400, upload::error_json(&r).1),
            ApiError::BadRequest(m) => json_response(
                400,
                serde_json::json!({ "Message": m, "FieldName": null, "ErrorCode": null })
                    .to_string(),
            ),
            ApiError::NotFound => StatusCode::NOT_FOUND.into_response(),
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response(),
        }
    }
}

pub(crate) fn json_response(status: u16, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}
