//! The service core: onboarding (§3), keys checked on use (§5, §6), documents and the outbox
//! (§7, §8), status tracking (§9). The HTTP layer ([`crate::web`]) and the CLI call into this.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore};

use crate::clock::{Clock, SystemClock, belgrade_date, belgrade_display};
use crate::crypto::{ApiKey, CryptoError, KeyRing, random_token, sha256_hex};
use crate::db::{Db, DbError, KeyRecord, NewDocument, NewEvent, NewTenant, OutboxItem};
use crate::fields::{FieldError, check_company_fields, normalize_account};
use crate::gateway::{Auth, CallError, ChangeEvent, SefGateway};
use crate::messages::{Lang, MessageId, UserMessage, explain_error_code, tr};
use crate::model::{DocState, Document, Environment, KeyInfo, KeyState, Tenant};
use crate::tools::{DocumentTools, Finding, SimpleInvoice};

mod document_check;

/// Settings of `moje-fakture.md` §13 plus operational knobs.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// `key_check_ttl` (default 60 s).
    pub key_check_ttl: Duration,
    /// Re-check interval of an `invalid`/`isp_blocked` key during its first 24 h (15 min).
    pub recheck_fast: Duration,
    /// Re-check interval afterwards (1 h).
    pub recheck_slow: Duration,
    /// `retry_cap` (5 min).
    pub retry_cap: Duration,
    /// First back-off step (1 s).
    pub retry_base: Duration,
    /// `global_inflight_max` (32).
    pub global_inflight_max: usize,
    /// Outbox lease: how long a claimed item stays with one sender before another process may
    /// take it over (after a crash). Default 30 s.
    pub lease: Duration,
    /// `sending_poll` interval (5 min) and window (2 h).
    pub sending_poll_every: Duration,
    /// See `sending_poll_every`.
    pub sending_poll_window: Duration,
    /// Reconciliation interval for `accepted_ids_unknown` (1 h).
    pub reconcile_every: Duration,
    /// Rate window per key: at most 3 call starts within this many ms (1 s + 100 ms margin).
    pub rate_window_ms: i64,
    /// Sender loop tick.
    pub tick: Duration,
    /// Largest accepted upload (bytes).
    pub max_upload_bytes: usize,
    /// Public base URL of the service (for the callback address shown to tenants).
    pub public_base_url: String,
    /// Token that grants operator access to the API (never a tenant's key).
    pub operator_token: Option<String>,
    /// Run the daily jobs (subscribe, sweep, health check) in the background loop.
    pub daily_jobs: bool,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            key_check_ttl: Duration::from_secs(60),
            recheck_fast: Duration::from_secs(15 * 60),
            recheck_slow: Duration::from_secs(3600),
            retry_cap: Duration::from_secs(300),
            retry_base: Duration::from_secs(1),
            global_inflight_max: 32,
            lease: Duration::from_secs(30),
            sending_poll_every: Duration::from_secs(300),
            sending_poll_window: Duration::from_secs(7200),
            reconcile_every: Duration::from_secs(3600),
            rate_window_ms: 1100,
            tick: Duration::from_millis(250),
            max_upload_bytes: 2 * 1024 * 1024,
            public_base_url: "http://127.0.0.1:8790".into(),
            operator_token: None,
            daily_jobs: true,
        }
    }
}

/// Errors of service operations. Each carries a user-facing text in Serbian and English.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// One of the §6.3 messages.
    #[error("{}", .0.render(Lang::En, &args_ref(.1)))]
    Message(MessageId, Vec<(String, String)>),
    /// Field-level validation failed.
    #[error("Some fields are not valid: {}", .0.iter().map(|f| f.en.as_str()).collect::<Vec<_>>().join(" "))]
    Fields(Vec<FieldError>),
    /// The validator found fatal errors.
    #[error("The document is not valid: {}", .0.iter().filter(|f| f.fatal).map(|f| format!("[{}] {}", f.rule_id, f.message)).collect::<Vec<_>>().join("; "))]
    InvalidDocument(Vec<Finding>),
    /// A request that cannot be done in the current state.
    #[error("{en}")]
    Refused {
        /// Serbian text.
        sr: String,
        /// English text.
        en: String,
    },
    /// Unknown tenant or document (or one of another tenant).
    #[error("Not found.")]
    NotFound,
    /// Authentication required or wrong.
    #[error("Access denied: a valid access token is required.")]
    Unauthorized,
    /// The environment is not configured in this deployment.
    #[error("The SEF environment {0} is not configured in this service.")]
    UnknownEnvironment(String),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Key storage failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

fn args_ref(a: &[(String, String)]) -> Vec<(&str, &str)> {
    a.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

impl ServiceError {
    fn msg(id: MessageId, args: &[(&str, &str)]) -> ServiceError {
        ServiceError::Message(
            id,
            args.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn refused(sr: impl Into<String>, en: impl Into<String>) -> ServiceError {
        ServiceError::Refused {
            sr: sr.into(),
            en: en.into(),
        }
    }

    /// The message id (`sef.key.rejected`, `field`, `document.invalid`, …).
    pub fn id(&self) -> String {
        match self {
            ServiceError::Message(m, _) => m.id().to_string(),
            ServiceError::Fields(_) => "field".into(),
            ServiceError::InvalidDocument(_) => "document.invalid".into(),
            ServiceError::Refused { .. } => "refused".into(),
            ServiceError::NotFound => "not_found".into(),
            ServiceError::Unauthorized => "unauthorized".into(),
            ServiceError::UnknownEnvironment(_) => "environment.unknown".into(),
            ServiceError::Db(_) | ServiceError::Crypto(_) => "internal".into(),
        }
    }

    /// The text in a language.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            ServiceError::Message(m, a) => m.render(lang, &args_ref(a)),
            ServiceError::Fields(f) => f
                .iter()
                .map(|f| tr(lang, &f.sr, &f.en))
                .collect::<Vec<_>>()
                .join(" "),
            ServiceError::InvalidDocument(f) => {
                let head = tr(
                    lang,
                    "Dokument nije ispravan:",
                    "The document is not valid:",
                );
                let items: Vec<String> = f
                    .iter()
                    .filter(|f| f.fatal)
                    .map(|f| format!("[{}] {} ({})", f.rule_id, finding_text(f, lang), f.path))
                    .collect();
                format!("{head} {}", items.join("; "))
            }
            ServiceError::Refused { sr, en } => tr(lang, sr, en),
            ServiceError::NotFound => tr(lang, "Traženi zapis ne postoji.", "Not found."),
            ServiceError::Unauthorized => tr(
                lang,
                "Pristup nije dozvoljen: potreban je ispravan pristupni token.",
                "Access denied: a valid access token is required.",
            ),
            ServiceError::UnknownEnvironment(e) => format!(
                "{}{e}",
                tr(
                    lang,
                    "SEF okruženje nije podešeno u ovom servisu: ",
                    "This SEF environment is not configured in the service: "
                )
            ),
            ServiceError::Db(_) | ServiceError::Crypto(_) => tr(
                lang,
                "Došlo je do interne greške servisa. Pokušajte ponovo; ako se ponovi, obratite se podršci.",
                "An internal error occurred. Try again; if it persists, contact support.",
            ),
        }
    }

    /// HTTP status for the API.
    pub fn http_status(&self) -> u16 {
        match self {
            ServiceError::Message(MessageId::Unavailable, _) => 503,
            ServiceError::Message(MessageId::KeyInUseByOtherTenant, _) => 409,
            ServiceError::Message(..)
            | ServiceError::Fields(_)
            | ServiceError::InvalidDocument(_) => 422,
            ServiceError::Refused { .. } => 409,
            ServiceError::NotFound => 404,
            ServiceError::Unauthorized => 401,
            ServiceError::UnknownEnvironment(_) => 422,
            ServiceError::Db(_) | ServiceError::Crypto(_) => 500,
        }
    }

    /// As a [`UserMessage`].
    pub fn user_message(&self, lang: Lang) -> UserMessage {
        UserMessage {
            id: self.id(),
            text: self.text(lang),
        }
    }
}

/// Shorthand.
pub type SResult<T> = Result<T, ServiceError>;

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

/// A key ready for use in one operation.
struct ActiveKey {
    record_id: i64,
    fingerprint: String,
    key: ApiKey,
}

enum KeyUse {
    Ok(ActiveKey),
    NotActive(KeyState),
    NoKey,
    Unavailable(String),
}

/// The Moje fakture service. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    ring: KeyRing,
    gateways: HashMap<String, Arc<dyn SefGateway>>,
    tools: Arc<dyn DocumentTools>,
    clock: Arc<dyn Clock>,
    cfg: ServiceConfig,
    instance: String,
    wake: Notify,
    inflight: Semaphore,
    daily: Mutex<HashMap<String, NaiveDate>>,
    last_reconcile: Mutex<HashMap<i64, i64>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("instance", &self.inner.instance)
            .field(
                "environments",
                &self.inner.gateways.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Lifecycle rank of a SEF status (`sef-api.md` §8.2) for "does not move backwards".
fn status_rank(s: &str) -> i32 {
    match s {
        "New" | "Draft" => 0,
        "Sending" => 1,
        "Sent" | "Mistake" | "Seen" => 2,
        "Approved" | "Rejected" | "ReNotified" => 3,
        "Cancelled" | "Storno" | "Deleted" => 4,
        _ => 2,
    }
}

const RECONCILE_STATUSES: [&str; 7] = [
    "Sending",
    "Sent",
    "Mistake",
    "Approved",
    "Rejected",
    "Cancelled",
    "Storno",
];

impl Service {
    /// Builds the service. `gateways` maps environment names (`production`, `demo`, `sandbox`)
    /// to SEF gateways.
    pub fn new(
        db: Db,
        ring: KeyRing,
        gateways: HashMap<String, Arc<dyn SefGateway>>,
        tools: Arc<dyn DocumentTools>,
        cfg: ServiceConfig,
    ) -> Service {
        Service::with_clock(db, ring, gateways, tools, cfg, Arc::new(SystemClock))
    }

    /// As [`Service::new`] with an injected clock.
    pub fn with_clock(
        db: Db,
        ring: KeyRing,
        gateways: HashMap<String, Arc<dyn SefGateway>>,
        tools: Arc<dyn DocumentTools>,
        cfg: ServiceConfig,
        clock: Arc<dyn Clock>,
    ) -> Service {
        let inflight = Semaphore::new(cfg.global_inflight_max.max(1));
        Service {
            inner: Arc::new(Inner {
                db,
                ring,
                gateways,
                tools,
                clock,
                cfg,
                instance: format!("mf-{}", &random_token()[..12]),
                wake: Notify::new(),
                inflight,
                daily: Mutex::new(HashMap::new()),
                last_reconcile: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The store.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.inner.cfg
    }

    /// The document tools.
    pub fn tools(&self) -> &Arc<dyn DocumentTools> {
        &self.inner.tools
    }

    /// Now (Unix ms) on the service clock.
    pub fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Today in Belgrade on the service clock.
    pub fn today(&self) -> NaiveDate {
        belgrade_date(self.now())
    }

    fn gateway(&self, env: &str) -> SResult<&Arc<dyn SefGateway>> {
        self.inner
            .gateways
            .get(env)
            .ok_or_else(|| ServiceError::UnknownEnvironment(env.to_string()))
    }

    /// Environments this deployment offers.
    pub fn environments(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner.gateways.keys().cloned().collect();
        v.sort();
        v
    }

    /// Wakes the sender.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    fn callback_url(&self, token: &str) -> String {
        format!(
            "{}/sef/callback/{token}",
            self.inner.cfg.public_base_url.trim_end_matches('/')
        )
    }

    // ================================================================ access

    /// The tenant an access token belongs to.
    pub async fn authenticate(&self, token: &str) -> SResult<Tenant> {
        if token.is_empty() {
            return Err(ServiceError::Unauthorized);
        }
        self.inner
            .db
            .tenant_by_access_hash(&sha256_hex(token.as_bytes()))
            .await?
            .ok_or(ServiceError::Unauthorized)
    }

    /// Whether the token is the operator token.
    pub fn is_operator(&self, token: &str) -> bool {
        self.inner
            .cfg
            .operator_token
            .as_deref()
            .is_some_and(|t| crate::crypto::ct_eq(t, token))
    }

    /// A tenant by id.
    pub async fn tenant(&self, id: i64) -> SResult<Tenant> {
        self.inner
            .db
            .tenant(id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    // ================================================================ onboarding (§3)

    /// Registers a company (§3.3): key format, fields, fingerprint, key check, company check,
    /// then stores the tenant and the encrypted key. Nothing is stored when a step fails.
    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    pub async fn register(&self, r: Registration, actor: &str) -> SResult<Registered> {
        let env = r.environment.trim().to_string();
        if Environment::parse(&env).is_none() {
            return Err(ServiceError::UnknownEnvironment(env));
        }
        let gw = self.gateway(&env)?.clone();
        // 1. key format
        if !r.api_key.is_well_formed() {
            return Err(ServiceError::msg(MessageId::KeyMalformed, &[]));
        }
        // 2. fields
        let pib = r.pib.trim().to_string();
        let mb = r.mb.trim().to_string();
        let jbkjs = r
            .jbkjs
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let accounts: Vec<String> = r
            .bank_accounts
            .iter()
            .filter(|a| !a.trim().is_empty())
            .map(|a| normalize_account(a).unwrap_or_else(|| a.trim().to_string()))
            .collect();
        let errs = check_company_fields(
            &pib,
            &mb,
            jbkjs.as_deref(),
            &r.name,
            &r.street,
            &r.city,
            &r.postal_code,
            &accounts,
        );
        if !errs.is_empty() {
            return Err(ServiceError::Fields(errs));
        }
        if self.inner.db.tenant_by_pib(&env, &pib).await?.is_some() {
            return Err(ServiceError::refused(
                format!(
                    "Firma sa PIB-om {pib} je već registrovana u okruženju {env}. Ključ menjate na stranici „API status“ te firme."
                ),
                format!(
                    "The company with PIB {pib} is already registered in the {env} environment. Replace its key on that company's \"API status\" page."
                ),
            ));
        }
        // 3. fingerprint
        let fp = self.inner.ring.fingerprint(&r.api_key);
        if self.inner.db.fingerprint_used_elsewhere(&fp, None).await? {
            return Err(ServiceError::msg(MessageId::KeyInUseByOtherTenant, &[]));
        }
        // 4. key check
        let version = self.verify_new_key(&gw, &env, &r.api_key, &fp).await?;
        // 5. company registered
        match gw
            .company_registered(
                &self.auth(&r.api_key, &fp, false),
                &mb,
                &pib,
                jbkjs.as_deref(),
            )
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                return Err(ServiceError::msg(
                    MessageId::CompanyNotRegistered,
                    &[("pib", &pib), ("mb", &mb)],
                ));
            }
            Err(CallError::Rejected { .. }) => {
                return Err(ServiceError::msg(
                    MessageId::CompanyNotRegistered,
                    &[("pib", &pib), ("mb", &mb)],
                ));
            }
            Err(_) => return Err(ServiceError::msg(MessageId::Unavailable, &[])),
        }
        // 7. store
        let now = self.now();
        let access_token = random_token();
        let callback_token = random_token();
        let nt = NewTenant {
            environment: env.clone(),
            pib,
            mb,
            budget_user: jbkjs.is_some(),
            jbkjs,
            name: r.name.trim().to_string(),
            trading_name: r
                .trading_name
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            street: r.street.trim().to_string(),
            city: r.city.trim().to_string(),
            postal_code: r.postal_code.trim().to_string(),
            contact_email: r
                .contact_email
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            bank_accounts: accounts,
        };
        let mut tx = self.inner.db.begin().await?;
        let tenant_id = Db::insert_tenant(
            &mut tx,
            &nt,
            &callback_token,
            &sha256_hex(access_token.as_bytes()),
            now,
        )
        .await?;
        let sealed = self.inner.ring.seal_key(tenant_id, &env, 1, &r.api_key)?;
        Db::insert_key(
            &mut tx,
            tenant_id,
            1,
            &sealed,
            &fp,
            r.api_key.last4(),
            actor,
            Some(&version),
            now,
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "key_submitted",
                Some(r.api_key.last4()),
                Some("tenant registered; key check passed"),
                now,
            )
            .await?;
        tracing::info!(tenant = tenant_id, environment = %env, sef_version = %version, "tenant registered");
        let tenant = self.tenant(tenant_id).await?;
        let key = self
            .inner
            .db
            .current_key(tenant_id)
            .await?
            .ok_or(ServiceError::NotFound)?
            .info;
        Ok(Registered {
            tenant,
            access_token,
            key,
            callback_url: self.callback_url(&callback_token),
        })
    }

    async fn verify_new_key(
        &self,
        gw: &Arc<dyn SefGateway>,
        env: &str,
        key: &ApiKey,
        fp: &str,
    ) -> SResult<String> {
        match gw.key_check(&self.auth(key, fp, false)).await {
            Ok(v) => Ok(v),
            Err(CallError::Unauthorized) => {
                let addr = if env == "sandbox" {
                    gw.base_url()
                } else {
                    Environment::parse(env)
                        .map(|e| e.public_address().to_string())
                        .unwrap_or_default()
                };
                Err(ServiceError::msg(
                    MessageId::KeyRejected,
                    &[("okruženje", env), ("adresa", &addr)],
                ))
            }
            Err(CallError::IspForbidden) => Err(ServiceError::msg(MessageId::KeyIspConflict, &[])),
            Err(e) => {
                tracing::warn!(error = %e, "key check failed during onboarding");
                Err(ServiceError::msg(MessageId::Unavailable, &[]))
            }
        }
    }

    /// Replaces a tenant's key (§6.2 "any → admin submits a new key"): the new key passes the
    /// checks of §3.3, the old record becomes `replaced` (ciphertext deleted), the queue resumes.
    pub async fn replace_key(&self, tenant_id: i64, key: ApiKey, actor: &str) -> SResult<KeyInfo> {
        let tenant = self.tenant(tenant_id).await?;
        let gw = self.gateway(&tenant.environment)?.clone();
        if !key.is_well_formed() {
            return Err(ServiceError::msg(MessageId::KeyMalformed, &[]));
        }
        let fp = self.inner.ring.fingerprint(&key);
        if self
            .inner
            .db
            .fingerprint_used_elsewhere(&fp, Some(tenant_id))
            .await?
        {
            return Err(ServiceError::msg(MessageId::KeyInUseByOtherTenant, &[]));
        }
        let version = self
            .verify_new_key(&gw, &tenant.environment, &key, &fp)
            .await?;
        match gw
            .company_registered(
                &self.auth(&key, &fp, false),
                &tenant.mb,
                &tenant.pib,
                tenant.jbkjs.as_deref(),
            )
            .await
        {
            Ok(true) => {}
            Ok(false) | Err(CallError::Rejected { .. }) => {
                return Err(ServiceError::msg(
                    MessageId::CompanyNotRegistered,
                    &[("pib", &tenant.pib), ("mb", &tenant.mb)],
                ));
            }
            Err(_) => return Err(ServiceError::msg(MessageId::Unavailable, &[])),
        }
        let now = self.now();
        let next_version = self
            .inner
            .db
            .current_key(tenant_id)
            .await?
            .map(|k| k.version + 1)
            .unwrap_or(1);
        let sealed =
            self.inner
                .ring
                .seal_key(tenant_id, &tenant.environment, next_version, &key)?;
        let mut tx = self.inner.db.begin().await?;
        Db::insert_key(
            &mut tx,
            tenant_id,
            next_version,
            &sealed,
            &fp,
            key.last4(),
            actor,
            Some(&version),
            now,
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "key_replaced",
                Some(key.last4()),
                Some(&format!("key version {next_version}")),
                now,
            )
            .await?;
        let resumed = self
            .inner
            .db
            .unblock_tenant_documents(tenant_id, now)
            .await?;
        tracing::info!(
            tenant = tenant_id,
            version = next_version,
            resumed,
            "key replaced"
        );
        self.wake();
        Ok(self
            .inner
            .db
            .current_key(tenant_id)
            .await?
            .ok_or(ServiceError::NotFound)?
            .info)
    }

    /// "Proveri ponovo" (check again): re-checks the current key; on success the key returns to
    /// `active` and the queue resumes.
    pub async fn check_again(&self, tenant_id: i64, actor: &str) -> SResult<KeyInfo> {
        let tenant = self.tenant(tenant_id).await?;
        let rec = self
            .inner
            .db
            .current_key(tenant_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        match rec.state {
            KeyState::Replaced | KeyState::Rejected | KeyState::CompanyMismatch => {
                return Err(ServiceError::msg(
                    MessageId::KeyCompanyMismatch,
                    &[("pib", &tenant.pib), ("firma", &tenant.name)],
                ));
            }
            _ => {}
        }
        let outcome = self.recheck_key(&tenant, &rec).await?;
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "key_checked",
                Some(&rec.info.last_four),
                Some(outcome.as_str()),
                self.now(),
            )
            .await?;
        match outcome {
            RecheckOutcome::Active => Ok(self
                .inner
                .db
                .current_key(tenant_id)
                .await?
                .ok_or(ServiceError::NotFound)?
                .info),
            RecheckOutcome::StillRejected => {
                Err(ServiceError::msg(MessageId::KeyStillRejected, &[]))
            }
            RecheckOutcome::Isp => Err(ServiceError::msg(MessageId::KeyIspConflict, &[])),
            RecheckOutcome::Unavailable => Err(ServiceError::msg(MessageId::Unavailable, &[])),
        }
    }

    async fn recheck_key(&self, tenant: &Tenant, rec: &KeyRecord) -> SResult<RecheckOutcome> {
        let gw = self.gateway(&tenant.environment)?.clone();
        let sealed = rec.sealed.as_ref().ok_or(ServiceError::NotFound)?;
        let key = self
            .inner
            .ring
            .open_key(tenant.id, &tenant.environment, rec.version, sealed)?;
        let now = self.now();
        match gw
            .key_check(&self.auth(&key, &rec.fingerprint, false))
            .await
        {
            Ok(v) => {
                self.inner
                    .db
                    .key_success(rec.id, Some(&v), true, now)
                    .await?;
                if rec.state != KeyState::Active {
                    self.inner
                        .db
                        .set_key_state(rec.id, rec.state, KeyState::Active, None, false, now)
                        .await?;
                }
                let resumed = self
                    .inner
                    .db
                    .unblock_tenant_documents(tenant.id, now)
                    .await?;
                tracing::info!(
                    tenant = tenant.id,
                    resumed,
                    "key accepted again; queue resumed"
                );
                self.wake();
                Ok(RecheckOutcome::Active)
            }
            Err(e) => {
                self.inner
                    .db
                    .key_check_failed(rec.id, e.outcome(), now)
                    .await?;
                let outcome = match e {
                    CallError::Unauthorized => RecheckOutcome::StillRejected,
                    CallError::IspForbidden => RecheckOutcome::Isp,
                    _ => RecheckOutcome::Unavailable,
                };
                match (rec.state, &outcome) {
                    (KeyState::Active, RecheckOutcome::StillRejected) => {
                        self.key_went_bad(tenant, rec.id, KeyState::Invalid, true)
                            .await?
                    }
                    (KeyState::Active, RecheckOutcome::Isp) => {
                        self.key_went_bad(tenant, rec.id, KeyState::IspBlocked, false)
                            .await?
                    }
                    (
                        KeyState::Invalid | KeyState::IspBlocked,
                        RecheckOutcome::Unavailable
                        | RecheckOutcome::StillRejected
                        | RecheckOutcome::Isp,
                    ) => {
                        let changed = self.inner.db.key_state_changed_at(rec.id).await?;
                        let step = if now - changed < 24 * 3600 * 1000 {
                            self.inner.cfg.recheck_fast
                        } else {
                            self.inner.cfg.recheck_slow
                        };
                        self.inner
                            .db
                            .set_next_recheck(rec.id, Some(now + step.as_millis() as i64))
                            .await?;
                        if rec.state == KeyState::Invalid && matches!(outcome, RecheckOutcome::Isp)
                        {
                            self.inner
                                .db
                                .set_key_state(
                                    rec.id,
                                    KeyState::Invalid,
                                    KeyState::IspBlocked,
                                    Some(now + step.as_millis() as i64),
                                    false,
                                    now,
                                )
                                .await?;
                        }
                    }
                    _ => {}
                }
                Ok(outcome)
            }
        }
    }

    /// Moves the active key to a bad state once, blocks the queue and notifies the tenant.
    async fn key_went_bad(
        &self,
        tenant: &Tenant,
        key_id: i64,
        to: KeyState,
        got_401: bool,
    ) -> SResult<()> {
        let now = self.now();
        let next = matches!(to, KeyState::Invalid | KeyState::IspBlocked)
            .then(|| now + self.inner.cfg.recheck_fast.as_millis() as i64);
        if !self
            .inner
            .db
            .set_key_state(key_id, KeyState::Active, to, next, got_401, now)
            .await?
        {
            // Already moved by another worker: still make sure nothing is left sendable.
            self.inner.db.block_tenant_documents(tenant.id, now).await?;
            return Ok(());
        }
        self.inner.db.block_tenant_documents(tenant.id, now).await?;
        let waiting = self
            .inner
            .db
            .count_in_states(tenant.id, &[DocState::BlockedKey])
            .await?;
        let rec = self.inner.db.current_key(tenant.id).await?;
        let last = rec
            .as_ref()
            .and_then(|r| r.info.last_success_at)
            .map(belgrade_display)
            .unwrap_or_else(|| "—".into());
        let (id, args): (MessageId, Vec<(&str, String)>) = match to {
            KeyState::Invalid => (
                MessageId::KeyStoppedWorking,
                vec![
                    ("firma", tenant.name.clone()),
                    ("vreme", last),
                    ("broj", waiting.to_string()),
                ],
            ),
            KeyState::IspBlocked => (MessageId::KeyIspConflict, vec![]),
            _ => (
                MessageId::KeyCompanyMismatch,
                vec![("pib", tenant.pib.clone()), ("firma", tenant.name.clone())],
            ),
        };
        let a: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = id.render(Lang::SrLatn, &a);
        self.inner
            .db
            .notify(
                tenant.id,
                id.id(),
                tenant.contact_email.as_deref(),
                &body,
                &format!("key:{key_id}:{to}:{now}"),
                now,
            )
            .await?;
        self.inner
            .db
            .audit(
                Some(tenant.id),
                "system",
                "key_state_changed",
                rec.as_ref().map(|r| r.info.last_four.as_str()),
                Some(&format!("active -> {to}")),
                now,
            )
            .await?;
        tracing::warn!(tenant = tenant.id, state = %to, waiting, "key stopped working; tenant queue paused");
        Ok(())
    }

    /// The "API status" view.
    pub async fn key_status(&self, tenant_id: i64, lang: Lang) -> SResult<KeyStatus> {
        let tenant = self.tenant(tenant_id).await?;
        let rec = self.inner.db.current_key(tenant_id).await?;
        let waiting = self
            .inner
            .db
            .count_in_states(tenant_id, &[DocState::BlockedKey])
            .await?;
        let message = match rec.as_ref().map(|r| r.state) {
            Some(KeyState::Invalid) => {
                let last = rec
                    .as_ref()
                    .and_then(|r| r.info.last_success_at)
                    .map(belgrade_display)
                    .unwrap_or_else(|| "—".into());
                Some(UserMessage::new(
                    MessageId::KeyStoppedWorking,
                    lang,
                    &[
                        ("firma", &tenant.name),
                        ("vreme", &last),
                        ("broj", &waiting.to_string()),
                    ],
                ))
            }
            Some(KeyState::IspBlocked) => {
                Some(UserMessage::new(MessageId::KeyIspConflict, lang, &[]))
            }
            Some(KeyState::CompanyMismatch) => Some(UserMessage::new(
                MessageId::KeyCompanyMismatch,
                lang,
                &[("pib", &tenant.pib), ("firma", &tenant.name)],
            )),
            _ => None,
        };
        let token = self.inner.db.callback_token(tenant_id).await?;
        Ok(KeyStatus {
            tenant,
            key: rec.map(|r| r.info),
            message,
            waiting,
            callback_url: self.callback_url(&token),
            reminder: UserMessage::new(MessageId::ApiStatusReminder, lang, &[]),
        })
    }

    /// Opens the tenant's key for one operation, with the key check of §5 unless an authenticated
    /// call succeeded within `key_check_ttl`.
    async fn key_for_use(&self, tenant: &Tenant) -> SResult<KeyUse> {
        let Some(rec) = self.inner.db.current_key(tenant.id).await? else {
            return Ok(KeyUse::NoKey);
        };
        if rec.state != KeyState::Active {
            return Ok(KeyUse::NotActive(rec.state));
        }
        let sealed = rec.sealed.as_ref().ok_or(ServiceError::NotFound)?;
        let key = self
            .inner
            .ring
            .open_key(tenant.id, &tenant.environment, rec.version, sealed)?;
        let now = self.now();
        let fresh = rec
            .info
            .last_success_at
            .is_some_and(|t| now - t < self.inner.cfg.key_check_ttl.as_millis() as i64);
        if !fresh {
            let gw = self.gateway(&tenant.environment)?.clone();
            let r = {
                let _permit = self.inner.inflight.acquire().await;
                gw.key_check(&self.auth(&key, &rec.fingerprint, false))
                    .await
            };
            match r {
                Ok(v) => {
                    self.inner
                        .db
                        .key_success(rec.id, Some(&v), true, self.now())
                        .await?
                }
                Err(e) => {
                    self.inner
                        .db
                        .key_check_failed(rec.id, e.outcome(), self.now())
                        .await?;
                    match e {
                        CallError::Unauthorized => {
                            self.key_went_bad(tenant, rec.id, KeyState::Invalid, true)
                                .await?;
                            return Ok(KeyUse::NotActive(KeyState::Invalid));
                        }
                        CallError::IspForbidden => {
                            self.key_went_bad(tenant, rec.id, KeyState::IspBlocked, false)
                                .await?;
                            return Ok(KeyUse::NotActive(KeyState::IspBlocked));
                        }
                        other => return Ok(KeyUse::Unavailable(other.to_string())),
                    }
                }
            }
        }
        Ok(KeyUse::Ok(ActiveKey {
            record_id: rec.id,
            fingerprint: rec.fingerprint,
            key,
        }))
    }

    /// Reacts to a key-related failure of any SEF call. Returns true when it was one.
    async fn on_key_error(&self, tenant: &Tenant, key: &ActiveKey, e: &CallError) -> SResult<bool> {
        let to = match e {
            CallError::Unauthorized => KeyState::Invalid,
            CallError::IspForbidden => KeyState::IspBlocked,
            CallError::CompanyMismatch { .. } => KeyState::CompanyMismatch,
            _ => return Ok(false),
        };
        self.key_went_bad(
            tenant,
            key.record_id,
            to,
            matches!(e, CallError::Unauthorized),
        )
        .await?;
        Ok(true)
    }

    fn key_use_error(&self, tenant: &Tenant, k: KeyUse) -> ServiceError {
        match k {
            KeyUse::NotActive(KeyState::IspBlocked) => {
                ServiceError::msg(MessageId::KeyIspConflict, &[])
            }
            KeyUse::NotActive(KeyState::CompanyMismatch) => ServiceError::msg(
                MessageId::KeyCompanyMismatch,
                &[("pib", &tenant.pib), ("firma", &tenant.name)],
            ),
            KeyUse::NotActive(_) | KeyUse::NoKey => ServiceError::msg(
                MessageId::KeyStoppedWorking,
                &[("firma", &tenant.name), ("vreme", "—"), ("broj", "0")],
            ),
            KeyUse::Unavailable(_) => ServiceError::msg(MessageId::Unavailable, &[]),
            KeyUse::Ok(_) => ServiceError::NotFound,
        }
    }

    /// Waits for a call slot of the key (shared through the store, §5). Background reads also
    /// respect `background_calls_per_s` = 1 (at most 3 starts per 3 windows).
    /// The credentials of one SEF call: the key plus the call gate of the key's shared rate
    /// limit (§5), taken by the client right before the request leaves. Background reads also
    /// respect `background_calls_per_s` = 1.
    fn auth(&self, key: &ApiKey, fingerprint: &str, background: bool) -> Auth {
        Auth {
            key: key.clone(),
            gate: Arc::new(DbGate {
                db: self.inner.db.clone(),
                fingerprint: fingerprint.to_string(),
                window_ms: self.inner.cfg.rate_window_ms,
                background,
            }),
        }
    }

    // ================================================================ documents (§7)

    /// Validates, freezes and queues an uploaded UBL document (§8.1). The document, its version
    /// with a new `requestId` and the outbox row are committed in one transaction.
    pub async fn submit_xml(&self, tenant_id: i64, xml: &[u8], actor: &str) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        if tenant.status != "active" {
            return Err(ServiceError::refused(
                "Nalog firme nije aktivan.",
                "The company's account is not active.",
            ));
        }
        let (summary, _) = self.check_document(&tenant, xml).await?;
        if self
            .inner
            .db
            .number_used(tenant_id, &summary.number)
            .await?
        {
            return Err(ServiceError::refused(
                format!(
                    "Broj fakture {} je već iskorišćen. Broj se nikada ne koristi ponovo, ni posle storniranja; izaberite novi broj.",
                    summary.number
                ),
                format!(
                    "Invoice number {} has already been used. A number is never reused, not even after storno; choose a new number.",
                    summary.number
                ),
            ));
        }
        let send_to_cir = self.send_to_cir(&tenant, &summary);
        let request_id = uuid::Uuid::new_v4().to_string();
        let now = self.now();
        let nd = NewDocument {
            doc_type: summary.doc_type.clone(),
            number: summary.number.clone(),
            issue_date: summary.issue_date.to_string(),
            buyer_pib: summary.buyer_pib.clone(),
            buyer_name: summary.buyer_name.clone(),
            total: summary.total.map(|t| t.to_string()),
            currency: summary.currency.clone(),
        };
        let doc_id = match self
            .inner
            .db
            .queue_new_document(
                tenant_id,
                &nd,
                xml,
                &sha256_hex(xml),
                &request_id,
                send_to_cir,
                now,
            )
            .await
        {
            Ok(id) => id,
            Err(DbError::Sql(e))
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                return Err(ServiceError::refused(
                    format!("Broj fakture {} je već iskorišćen.", summary.number),
                    format!("Invoice number {} has already been used.", summary.number),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "document_queued",
                None,
                Some(&format!(
                    "{} {} requestId={request_id}",
                    summary.doc_type, summary.number
                )),
                now,
            )
            .await?;
        tracing::info!(tenant = tenant_id, document = doc_id, request_id = %request_id, "document queued");
        self.wake();
        self.inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    fn send_to_cir(&self, tenant: &Tenant, s: &crate::tools::DocumentSummary) -> &'static str {
        if tenant.send_to_cir
            && s.buyer_jbkjs.is_some()
            && s.doc_type == "380"
            && s.currency.as_deref().unwrap_or("RSD") == "RSD"
        {
            "Yes"
        } else {
            "No"
        }
    }

    /// Builds a 380 from the simple form (issue date today) and queues it.
    pub async fn create_simple(
        &self,
        tenant_id: i64,
        form: &SimpleInvoice,
        actor: &str,
    ) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let xml = self
            .inner
            .tools
            .build(&tenant, form, self.today())
            .map_err(|e| {
                ServiceError::refused(
                    format!("Faktura ne može da se napravi: {e}"),
                    format!("The invoice cannot be built: {e}"),
                )
            })?;
        self.submit_xml(tenant_id, &xml, actor).await
    }

    /// Sends a corrected version of a `refused` (or `invalid`) document: same number, new bytes,
    /// new `requestId`.
    pub async fn resubmit(
        &self,
        tenant_id: i64,
        doc_id: i64,
        xml: &[u8],
        actor: &str,
    ) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self
            .inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if !matches!(
            doc.state,
            DocState::Refused | DocState::Invalid | DocState::Draft
        ) {
            return Err(self.state_refusal(&doc));
        }
        let (summary, _) = self.check_document(&tenant, xml).await?;
        if summary.number != doc.number {
            return Err(ServiceError::refused(
                "Ispravljena verzija mora imati isti broj fakture.",
                "The corrected version must keep the invoice number.",
            ));
        }
        let rid = uuid::Uuid::new_v4().to_string();
        let ok = self
            .inner
            .db
            .requeue_new_version(
                tenant_id,
                doc_id,
                &[DocState::Refused, DocState::Invalid, DocState::Draft],
                xml,
                &sha256_hex(xml),
                &rid,
                self.send_to_cir(&tenant, &summary),
                &summary.issue_date.to_string(),
                self.now(),
            )
            .await?;
        if !ok {
            return Err(self.state_refusal(&doc));
        }
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "document_requeued",
                None,
                Some(&format!("{} requestId={rid}", doc.number)),
                self.now(),
            )
            .await?;
        self.wake();
        self.inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Confirms re-dating a `needs_redate` document (§8.3): a new version with IssueDate =
    /// today, the same number, a new `requestId`.
    pub async fn confirm_redate(
        &self,
        tenant_id: i64,
        doc_id: i64,
        actor: &str,
    ) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self
            .inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if doc.state != DocState::NeedsRedate {
            return Err(self.state_refusal(&doc));
        }
        self.redate_now(&tenant, &doc, actor).await?;
        self.inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    async fn redate_now(&self, tenant: &Tenant, doc: &Document, actor: &str) -> SResult<()> {
        let ver = self
            .inner
            .db
            .current_version(tenant.id, doc.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let today = self.today();
        let ubl = ver.ubl.clone();
        let redated = self.with_tools(move |t| t.redate(&ubl, today)).await?;
        let xml = redated.map_err(|e| {
            ServiceError::refused(
                format!("Datum ne može da se promeni: {e}"),
                format!("The date cannot be changed: {e}"),
            )
        })?;
        let rid = uuid::Uuid::new_v4().to_string();
        let ok = self
            .inner
            .db
            .requeue_new_version(
                tenant.id,
                doc.id,
                &[DocState::NeedsRedate],
                &xml,
                &sha256_hex(&xml),
                &rid,
                &ver.send_to_cir,
                &today.to_string(),
                self.now(),
            )
            .await?;
        if !ok {
            return Err(self.state_refusal(doc));
        }
        self.inner
            .db
            .audit(
                Some(tenant.id),
                actor,
                "document_redated",
                None,
                Some(&format!("{} -> {today} requestId={rid}", doc.number)),
                self.now(),
            )
            .await?;
        self.wake();
        Ok(())
    }

    fn state_refusal(&self, doc: &Document) -> ServiceError {
        ServiceError::refused(
            format!(
                "Ova radnja nije moguća za dokument {} u stanju „{}“.",
                doc.number, doc.state
            ),
            format!(
                "This action is not possible for document {} in state \"{}\".",
                doc.number, doc.state
            ),
        )
    }

    /// A document with its message and attempts.
    pub async fn document(&self, tenant_id: i64, doc_id: i64, lang: Lang) -> SResult<DocumentView> {
        let doc = self
            .inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let attempts = self.inner.db.attempts(tenant_id, doc_id).await?;
        let message = self.document_message(tenant_id, &doc, lang).await?;
        Ok(DocumentView {
            document: doc,
            message,
            attempts,
        })
    }

    /// The message the user sees for a document's state.
    pub async fn document_message(
        &self,
        tenant_id: i64,
        doc: &Document,
        lang: Lang,
    ) -> SResult<Option<UserMessage>> {
        Ok(match doc.state {
            DocState::Refused => Some(refused_message(doc, lang)),
            DocState::NeedsRedate => Some(UserMessage::new(
                MessageId::DocumentNeedsRedate,
                lang,
                &[("broj", &doc.number), ("datum", &doc.issue_date)],
            )),
            DocState::BlockedKey => {
                let st = self.key_status(tenant_id, lang).await?;
                st.message
            }
            DocState::Sending
                if doc
                    .error_code
                    .as_deref()
                    .is_some_and(|c| c == "unavailable" || c == "rate_limited") =>
            {
                Some(UserMessage::new(MessageId::Unavailable, lang, &[]))
            }
            DocState::InSef if doc.sef_status.as_deref() == Some("Rejected") => {
                Some(UserMessage::new(
                    MessageId::DocumentRejectedByBuyer,
                    lang,
                    &[
                        ("kupac", doc.buyer_name.as_deref().unwrap_or("—")),
                        ("broj", &doc.number),
                        ("komentar", doc.sef_comment.as_deref().unwrap_or("")),
                    ],
                ))
            }
            DocState::InSef if doc.sef_status.as_deref() == Some("Mistake") => {
                let expl = crate::messages::sef_status_label("Mistake", lang);
                Some(UserMessage::new(
                    MessageId::DocumentRefused,
                    lang,
                    &[
                        ("broj", &doc.number),
                        ("objašnjenje", &expl),
                        ("ErrorCode", "Mistake"),
                        ("polje", ""),
                    ],
                ))
            }
            _ => None,
        })
    }

    /// Documents of a tenant, newest first.
    pub async fn documents(&self, tenant_id: i64) -> SResult<Vec<Document>> {
        Ok(self.inner.db.documents(tenant_id, 500).await?)
    }

    /// The UBL bytes of a document's current version.
    pub async fn document_xml(&self, tenant_id: i64, doc_id: i64) -> SResult<Vec<u8>> {
        Ok(self
            .inner
            .db
            .current_version(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)?
            .ubl)
    }

    /// Cancels (`otkazivanje`) a document in SEF with a mandatory comment (§7.2, `sef-api.md` §7.4).
    pub async fn cancel(
        &self,
        tenant_id: i64,
        doc_id: i64,
        comment: &str,
        actor: &str,
    ) -> SResult<Document> {
        self.sef_action(tenant_id, doc_id, comment, None, actor, true)
            .await
    }

    /// Stornoes a document in SEF with a mandatory comment (`sef-api.md` §7.5).
    pub async fn storno(
        &self,
        tenant_id: i64,
        doc_id: i64,
        comment: &str,
        storno_number: Option<&str>,
        actor: &str,
    ) -> SResult<Document> {
        self.sef_action(tenant_id, doc_id, comment, storno_number, actor, false)
            .await
    }

    async fn sef_action(
        &self,
        tenant_id: i64,
        doc_id: i64,
        comment: &str,
        storno_number: Option<&str>,
        actor: &str,
        cancel: bool,
    ) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self
            .inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(ServiceError::refused(
                "Komentar je obavezan.",
                "A comment is required.",
            ));
        }
        let (Some(sales_id), DocState::InSef) = (doc.sales_invoice_id, doc.state) else {
            return Err(self.state_refusal(&doc));
        };
        let key = match self.key_for_use(&tenant).await? {
            KeyUse::Ok(k) => k,
            other => return Err(self.key_use_error(&tenant, other)),
        };
        let gw = self.gateway(&tenant.environment)?.clone();
        let r = {
            let _p = self.inner.inflight.acquire().await;
            if cancel {
                gw.cancel(
                    &self.auth(&key.key, &key.fingerprint, false),
                    sales_id,
                    comment,
                )
                .await
            } else {
                gw.storno(
                    &self.auth(&key.key, &key.fingerprint, false),
                    sales_id,
                    storno_number,
                    comment,
                )
                .await
            }
        };
        let now = self.now();
        match r {
            Ok(status) => {
                self.inner
                    .db
                    .key_success(key.record_id, None, false, now)
                    .await?;
                let status = if status.is_empty() {
                    if cancel {
                        "Cancelled".to_string()
                    } else {
                        "Storno".to_string()
                    }
                } else {
                    status
                };
                self.inner
                    .db
                    .set_sef_status(tenant_id, doc_id, &status, None, None, now)
                    .await?;
                self.inner
                    .db
                    .audit(
                        Some(tenant_id),
                        actor,
                        if cancel {
                            "document_cancelled"
                        } else {
                            "document_stornoed"
                        },
                        None,
                        Some(&format!("{}: {comment}", doc.number)),
                        now,
                    )
                    .await?;
                self.inner
                    .db
                    .document(tenant_id, doc_id)
                    .await?
                    .ok_or(ServiceError::NotFound)
            }
            Err(e) => {
                if self.on_key_error(&tenant, &key, &e).await? {
                    return Err(self.key_use_error(&tenant, KeyUse::NotActive(KeyState::Invalid)));
                }
                match e {
                    CallError::Rejected {
                        code,
                        field,
                        message,
                    } => {
                        let d = Document {
                            error_code: Some(code),
                            error_field: field,
                            error_message: message,
                            ..doc
                        };
                        Err(ServiceError::Message(
                            MessageId::DocumentRefused,
                            refused_args(&d, Lang::SrLatn)
                                .into_iter()
                                .map(|(k, v)| (k.to_string(), v))
                                .collect(),
                        ))
                    }
                    _ => Err(ServiceError::msg(MessageId::Unavailable, &[])),
                }
            }
        }
    }

    /// Reads a document's status from SEF now (user action "refresh").
    pub async fn refresh_status(&self, tenant_id: i64, doc_id: i64) -> SResult<Document> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self
            .inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let Some(sales_id) = doc.sales_invoice_id else {
            return Ok(doc);
        };
        let key = match self.key_for_use(&tenant).await? {
            KeyUse::Ok(k) => k,
            other => return Err(self.key_use_error(&tenant, other)),
        };
        self.read_status(&tenant, &key, sales_id, false).await?;
        self.inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    async fn read_status(
        &self,
        tenant: &Tenant,
        key: &ActiveKey,
        sales_id: i64,
        background: bool,
    ) -> SResult<bool> {
        let gw = self.gateway(&tenant.environment)?.clone();
        let r = {
            let _p = self.inner.inflight.acquire().await;
            gw.sales_status(&self.auth(&key.key, &key.fingerprint, background), sales_id)
                .await
        };
        match r {
            Ok(st) => {
                self.inner
                    .db
                    .key_success(key.record_id, None, false, self.now())
                    .await?;
                if let Some(doc) = self
                    .inner
                    .db
                    .document_by_sales_id(tenant.id, sales_id)
                    .await?
                {
                    self.apply_status(
                        tenant,
                        &doc,
                        &st.status,
                        st.comment.as_deref(),
                        st.cir_status.as_deref(),
                        true,
                    )
                    .await?;
                }
                Ok(true)
            }
            Err(e) => {
                self.on_key_error(tenant, key, &e).await?;
                tracing::warn!(tenant = tenant.id, sales_id, error = %e, "status read failed");
                Ok(false)
            }
        }
    }

    async fn apply_status(
        &self,
        tenant: &Tenant,
        doc: &Document,
        status: &str,
        comment: Option<&str>,
        cir: Option<&str>,
        authoritative: bool,
    ) -> SResult<()> {
        let cur = doc.sef_status.as_deref().unwrap_or("Sending");
        if !authoritative && status_rank(status) < status_rank(cur) {
            return Ok(());
        }
        let now = self.now();
        self.inner
            .db
            .set_sef_status(tenant.id, doc.id, status, comment, cir, now)
            .await?;
        if cur != status {
            tracing::info!(
                tenant = tenant.id,
                document = doc.id,
                from = cur,
                to = status,
                "SEF status changed"
            );
            match status {
                "Rejected" => {
                    let body = MessageId::DocumentRejectedByBuyer.render(
                        Lang::SrLatn,
                        &[
                            ("kupac", doc.buyer_name.as_deref().unwrap_or("—")),
                            ("broj", &doc.number),
                            ("komentar", comment.unwrap_or("")),
                        ],
                    );
                    self.inner
                        .db
                        .notify(
                            tenant.id,
                            MessageId::DocumentRejectedByBuyer.id(),
                            tenant.contact_email.as_deref(),
                            &body,
                            &format!("doc:{}:rejected", doc.id),
                            now,
                        )
                        .await?;
                }
                "Mistake" => {
                    let body = MessageId::DocumentRefused.render(
                        Lang::SrLatn,
                        &[
                            ("broj", &doc.number),
                            ("objašnjenje", "Greška prilikom slanja"),
                            ("ErrorCode", "Mistake"),
                            ("polje", ""),
                        ],
                    );
                    self.inner
                        .db
                        .notify(
                            tenant.id,
                            MessageId::DocumentRefused.id(),
                            tenant.contact_email.as_deref(),
                            &body,
                            &format!("doc:{}:mistake", doc.id),
                            now,
                        )
                        .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    // ================================================================ the sender (§8)

    /// One pass of the sender: every tenant with due work is served concurrently (round-robin
    /// between tenants, FIFO within a tenant). Returns the number of attempts made.
    pub async fn run_sender_once(&self) -> usize {
        let now = self.now();
        let tenants = match self.inner.db.tenants_with_due_work(now).await {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "outbox scan failed");
                return 0;
            }
        };
        let mut set = tokio::task::JoinSet::new();
        for t in tenants {
            let s = self.clone();
            set.spawn(async move {
                match s.run_tenant(t, 20).await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::error!(tenant = t, error = %e, "sender failed for tenant");
                        0
                    }
                }
            });
        }
        let mut n = 0;
        while let Some(r) = set.join_next().await {
            n += r.unwrap_or(0);
        }
        n
    }

    async fn run_tenant(&self, tenant_id: i64, max_items: usize) -> SResult<usize> {
        let tenant = self.tenant(tenant_id).await?;
        let lease = self.inner.cfg.lease.as_millis() as i64;
        let mut done = 0;
        let mut key: Option<ActiveKey> = None;
        while done < max_items {
            let Some(item) = self
                .inner
                .db
                .claim_next(tenant_id, &self.inner.instance, lease, self.now())
                .await?
            else {
                break;
            };
            // §8.3: the Serbian day changed before a confirmed result?
            let ver = self
                .inner
                .db
                .version(tenant_id, item.version_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let issue = NaiveDate::parse_from_str(&ver.issue_date, "%Y-%m-%d")
                .unwrap_or_else(|_| self.today());
            let reached_before = self
                .inner
                .db
                .may_have_reached_sef(tenant_id, item.version_id)
                .await?;
            if issue < self.today() && !reached_before {
                self.to_needs_redate(&tenant, &item).await?;
                done += 1;
                continue;
            }
            // Key check at the start of the run (§8.1, §5).
            if key.is_none() {
                match self.key_for_use(&tenant).await? {
                    KeyUse::Ok(k) => key = Some(k),
                    KeyUse::NotActive(_) | KeyUse::NoKey => {
                        self.inner
                            .db
                            .block_tenant_documents(tenant_id, self.now())
                            .await?;
                        self.inner.db.release(item.id, self.now()).await?;
                        break;
                    }
                    KeyUse::Unavailable(cause) => {
                        let delay = self.backoff(item.attempts.max(1));
                        self.inner
                            .db
                            .note_transient_error(
                                tenant_id,
                                item.document_id,
                                "unavailable",
                                &cause,
                                self.now(),
                            )
                            .await?;
                        self.inner.db.release(item.id, self.now() + delay).await?;
                        break;
                    }
                }
            }
            let Some(k) = key.as_ref() else { break };
            let stop = self
                .attempt(&tenant, k, &item, &ver, reached_before)
                .await?;
            done += 1;
            if stop {
                break;
            }
        }
        Ok(done)
    }

    async fn to_needs_redate(&self, tenant: &Tenant, item: &OutboxItem) -> SResult<()> {
        let now = self.now();
        self.inner
            .db
            .finish_document(
                tenant.id,
                item.document_id,
                item.id,
                DocState::NeedsRedate,
                Some(("IssueDateCannotBeDifferentFromTodays", None, None)),
                now,
            )
            .await?;
        let doc = self
            .inner
            .db
            .document(tenant.id, item.document_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if tenant.auto_redate {
            self.redate_now(tenant, &doc, "system").await?;
            let body = format!(
                "Faktura {} je automatski poslata sa današnjim datumom izdavanja ({}).",
                doc.number,
                self.today()
            );
            self.inner
                .db
                .notify(
                    tenant.id,
                    "sef.document.redated",
                    tenant.contact_email.as_deref(),
                    &body,
                    &format!("doc:{}:redated:{}", doc.id, item.id),
                    now,
                )
                .await?;
        } else {
            let body = MessageId::DocumentNeedsRedate.render(
                Lang::SrLatn,
                &[("broj", &doc.number), ("datum", &doc.issue_date)],
            );
            self.inner
                .db
                .notify(
                    tenant.id,
                    MessageId::DocumentNeedsRedate.id(),
                    tenant.contact_email.as_deref(),
                    &body,
                    &format!("doc:{}:redate:{}", doc.id, item.id),
                    now,
                )
                .await?;
        }
        tracing::info!(
            tenant = tenant.id,
            document = item.document_id,
            "issue day passed without a confirmed send; needs re-date"
        );
        Ok(())
    }

    fn backoff(&self, attempts: i64) -> i64 {
        let base = self.inner.cfg.retry_base.as_millis() as i64;
        let cap = self.inner.cfg.retry_cap.as_millis() as i64;
        let exp = base
            .saturating_mul(1i64 << (attempts - 1).clamp(0, 30))
            .min(cap);
        // ±20 % jitter
        let mut b = [0u8; 2];
        let _ = aws_lc_rs::rand::fill(&mut b);
        let r = i64::from(u16::from_le_bytes(b)) % 401 - 200; // -200..=200 per mille
        (exp + exp * r / 1000).max(1)
    }

    /// One upload attempt. Returns true when the tenant's run must stop (key problem).
    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    async fn attempt(
        &self,
        tenant: &Tenant,
        key: &ActiveKey,
        item: &OutboxItem,
        ver: &crate::db::VersionRow,
        reached_before: bool,
    ) -> SResult<bool> {
        let gw = self.gateway(&tenant.environment)?.clone();
        let day = self.today().to_string();
        let started = self.now();
        // Recorded before the call: if the process dies now, the attempt counts as "may have
        // reached SEF" and the retry reuses the same requestId and bytes.
        let attempt_id = self.inner.db.start_attempt(item, &day, started).await?;
        tracing::info!(tenant = tenant.id, document = item.document_id, request_id = %item.request_id, attempt = item.attempts + 1, "uploading");
        let r = {
            let _p = self.inner.inflight.acquire().await;
            // The call slot is taken last, right before the request leaves.
            gw.upload(
                &self.auth(&key.key, &key.fingerprint, false),
                &item.request_id,
                &ver.ubl,
                ver.send_to_cir == "Yes",
            )
            .await
        };
        let now = self.now();
        match r {
            Ok(ids) => {
                self.inner
                    .db
                    .finish_attempt(attempt_id, "ok", Some(200), None, None, started, now)
                    .await?;
                self.inner
                    .db
                    .key_success(key.record_id, None, false, now)
                    .await?;
                self.inner
                    .db
                    .mark_in_sef(
                        tenant.id,
                        item.document_id,
                        Some(item.id),
                        ids.sales_invoice_id,
                        ids.purchase_invoice_id,
                        ids.invoice_id,
                        "Sending",
                        now,
                    )
                    .await?;
                self.inner
                    .db
                    .audit(
                        Some(tenant.id),
                        "system",
                        "document_sent",
                        None,
                        Some(&format!(
                            "requestId={} SalesInvoiceId={}",
                            item.request_id, ids.sales_invoice_id
                        )),
                        now,
                    )
                    .await?;
                tracing::info!(
                    tenant = tenant.id,
                    document = item.document_id,
                    sales_invoice_id = ids.sales_invoice_id,
                    "accepted by SEF"
                );
                Ok(false)
            }
            Err(e) => {
                let code = e.code().map(str::to_string);
                let (field, message) = match &e {
                    CallError::Rejected { field, message, .. } => (field.clone(), message.clone()),
                    _ => (None, Some(e.to_string())),
                };
                self.inner
                    .db
                    .finish_attempt(
                        attempt_id,
                        e.outcome(),
                        e.http_status(),
                        None,
                        code.as_deref()
                            .map(|c| (c, field.as_deref(), message.as_deref())),
                        started,
                        now,
                    )
                    .await?;
                tracing::warn!(tenant = tenant.id, document = item.document_id, request_id = %item.request_id, error = %e, "upload attempt failed");
                match &e {
                    CallError::Unauthorized
                    | CallError::IspForbidden
                    | CallError::CompanyMismatch { .. } => {
                        self.inner.db.release(item.id, now).await?;
                        self.on_key_error(tenant, key, &e).await?;
                        Ok(true)
                    }
                    CallError::Rejected {
                        code,
                        field,
                        message,
                    } => {
                        // A refusal of a retry that may already be in SEF means "SEF has it".
                        let dup_of_ours = (code == "UBLUploadRequestIdDuplicate" && reached_before)
                            || (code == "EInvoiceNumberDublicate"
                                && (reached_before
                                    || self
                                        .inner
                                        .db
                                        .earlier_version_may_have_reached(
                                            tenant.id,
                                            item.document_id,
                                            item.version_id,
                                        )
                                        .await?));
                        let state = if dup_of_ours {
                            DocState::AcceptedIdsUnknown
                        } else if code == "IssueDateCannotBeDifferentFromTodays" {
                            DocState::NeedsRedate
                        } else {
                            DocState::Refused
                        };
                        if state == DocState::NeedsRedate {
                            self.to_needs_redate(tenant, item).await?;
                            return Ok(false);
                        }
                        self.inner
                            .db
                            .finish_document(
                                tenant.id,
                                item.document_id,
                                item.id,
                                state,
                                Some((code, field.as_deref(), message.as_deref())),
                                now,
                            )
                            .await?;
                        if state == DocState::Refused {
                            let doc = self
                                .inner
                                .db
                                .document(tenant.id, item.document_id)
                                .await?
                                .ok_or(ServiceError::NotFound)?;
                            let m = refused_message(&doc, Lang::SrLatn);
                            self.inner
                                .db
                                .notify(
                                    tenant.id,
                                    &m.id,
                                    tenant.contact_email.as_deref(),
                                    &m.text,
                                    &format!("doc:{}:refused:{}", doc.id, item.id),
                                    now,
                                )
                                .await?;
                        } else {
                            // Reconcile soon.
                            self.inner
                                .last_reconcile
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .remove(&item.document_id);
                        }
                        Ok(false)
                    }
                    CallError::NotFound | CallError::Protocol { .. } => {
                        let delay = self.backoff(item.attempts + 1);
                        self.inner
                            .db
                            .note_transient_error(
                                tenant.id,
                                item.document_id,
                                "protocol",
                                &e.to_string(),
                                now,
                            )
                            .await?;
                        self.inner.db.release(item.id, now + delay).await?;
                        Ok(false)
                    }
                    CallError::RateLimited { retry_after } => {
                        let delay =
                            retry_after
                                .map(|d| d.as_millis() as i64)
                                .unwrap_or_else(|| {
                                    (1000i64 << (item.attempts.clamp(0, 5))).min(30_000)
                                });
                        self.inner
                            .db
                            .note_transient_error(
                                tenant.id,
                                item.document_id,
                                "rate_limited",
                                &e.to_string(),
                                now,
                            )
                            .await?;
                        self.inner.db.release(item.id, now + delay.max(1)).await?;
                        Ok(true)
                    }
                    CallError::Unavailable { .. } => {
                        let delay = self.backoff(item.attempts + 1);
                        self.inner
                            .db
                            .note_transient_error(
                                tenant.id,
                                item.document_id,
                                "unavailable",
                                &e.to_string(),
                                now,
                            )
                            .await?;
                        self.inner.db.release(item.id, now + delay).await?;
                        Ok(true)
                    }
                }
            }
        }
    }

    // ================================================================ background (§5, §8.4, §9)

    /// One pass of the background work: automatic key re-checks (§5 point 5), status reads
    /// queued by callbacks, polls of fresh documents (§9.4), reconciliation (§8.4) and, when
    /// enabled, the daily jobs.
    pub async fn run_background_once(&self) -> SResult<()> {
        let now = self.now();
        for tenant_id in self.inner.db.keys_due_for_recheck(now).await? {
            let tenant = self.tenant(tenant_id).await?;
            if let Some(rec) = self.inner.db.current_key(tenant_id).await? {
                let o = self.recheck_key(&tenant, &rec).await?;
                tracing::info!(
                    tenant = tenant_id,
                    outcome = o.as_str(),
                    "automatic key re-check"
                );
            }
        }
        for (id, tenant_id, sales_id) in self.inner.db.pending_status_reads(50).await? {
            let tenant = self.tenant(tenant_id).await?;
            if let KeyUse::Ok(k) = self.key_for_use(&tenant).await? {
                self.read_status(&tenant, &k, sales_id, true).await?;
                self.inner.db.status_read_done(id, self.now()).await?;
            }
        }
        let window = self.inner.cfg.sending_poll_window.as_millis() as i64;
        let every = self.inner.cfg.sending_poll_every.as_millis() as i64;
        for (tenant_id, doc_id) in self
            .inner
            .db
            .documents_to_poll(now - window, now - every)
            .await?
        {
            let tenant = self.tenant(tenant_id).await?;
            let Some(doc) = self.inner.db.document(tenant_id, doc_id).await? else {
                continue;
            };
            if let (KeyUse::Ok(k), Some(sid)) =
                (self.key_for_use(&tenant).await?, doc.sales_invoice_id)
            {
                self.read_status(&tenant, &k, sid, true).await?;
            }
        }
        for tenant in self.inner.db.tenants().await? {
            for doc in self
                .inner
                .db
                .documents_in_state(tenant.id, DocState::AcceptedIdsUnknown)
                .await?
            {
                let due = {
                    let m = self
                        .inner
                        .last_reconcile
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    m.get(&doc.id).is_none_or(|t| {
                        now - t >= self.inner.cfg.reconcile_every.as_millis() as i64
                    })
                };
                if due {
                    self.inner
                        .last_reconcile
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(doc.id, now);
                    let _ = self.reconcile(tenant.id, doc.id).await?;
                }
            }
        }
        if self.inner.cfg.daily_jobs {
            self.run_daily_jobs().await?;
        }
        Ok(())
    }

    async fn run_daily_jobs(&self) -> SResult<()> {
        use chrono::{TimeZone, Timelike};
        let now = self.now();
        let local = chrono::Utc
            .timestamp_millis_opt(now)
            .single()
            .unwrap_or_else(chrono::Utc::now)
            .with_timezone(&chrono_tz::Europe::Belgrade);
        let today = local.date_naive();
        let minutes = local.hour() * 60 + local.minute();
        let due = |name: &str, from: u32, to: u32| -> bool {
            if minutes < from || minutes >= to {
                return false;
            }
            let mut m = self.inner.daily.lock().unwrap_or_else(|p| p.into_inner());
            if m.get(name) == Some(&today) {
                return false;
            }
            m.insert(name.to_string(), today);
            true
        };
        if due("sweep", 6 * 60, 24 * 60) {
            for t in self.inner.db.tenants().await? {
                if let Some(y) = today.checked_sub_days(Days::new(1)) {
                    let _ = self.sweep_changes(t.id, y).await;
                }
            }
        }
        if due("health", 6 * 60 + 30, 7 * 60 + 30) {
            for t in self.inner.db.tenants().await? {
                if let Some(rec) = self.inner.db.current_key(t.id).await?
                    && rec.state == KeyState::Active
                {
                    let _ = self.recheck_key(&t, &rec).await;
                }
            }
        }
        if due("subscribe", 20 * 60, 23 * 60 + 30) {
            for t in self.inner.db.tenants().await? {
                let _ = self.subscribe(t.id).await;
            }
        }
        Ok(())
    }

    /// Subscribes a tenant to SEF callbacks for tomorrow (§9.1). Returns the subscription key.
    pub async fn subscribe(&self, tenant_id: i64) -> SResult<String> {
        let tenant = self.tenant(tenant_id).await?;
        let key = match self.key_for_use(&tenant).await? {
            KeyUse::Ok(k) => k,
            other => return Err(self.key_use_error(&tenant, other)),
        };
        let gw = self.gateway(&tenant.environment)?.clone();
        match gw
            .subscribe(&self.auth(&key.key, &key.fingerprint, true))
            .await
        {
            Ok(sk) => {
                let tomorrow = self
                    .today()
                    .checked_add_days(Days::new(1))
                    .unwrap_or(self.today());
                self.inner
                    .db
                    .store_subscription(
                        tenant_id,
                        &tomorrow.to_string(),
                        sk.trim_matches('"'),
                        self.now(),
                    )
                    .await?;
                Ok(sk)
            }
            Err(e) => {
                self.on_key_error(&tenant, &key, &e).await?;
                Err(ServiceError::msg(MessageId::Unavailable, &[]))
            }
        }
    }

    /// Stores a subscription key valid on a day (tests, and operators copying a key).
    pub async fn store_subscription(
        &self,
        tenant_id: i64,
        valid_for: NaiveDate,
        key: &str,
    ) -> SResult<()> {
        Ok(self
            .inner
            .db
            .store_subscription(tenant_id, &valid_for.to_string(), key, self.now())
            .await?)
    }

    /// The daily sweep for one day (§9.3): stores the day's events idempotently and applies them
    /// in `EventId` order without moving a status backwards. Returns the number of new events.
    pub async fn sweep_changes(&self, tenant_id: i64, date: NaiveDate) -> SResult<usize> {
        let tenant = self.tenant(tenant_id).await?;
        let key = match self.key_for_use(&tenant).await? {
            KeyUse::Ok(k) => k,
            other => return Err(self.key_use_error(&tenant, other)),
        };
        let gw = self.gateway(&tenant.environment)?.clone();
        let mut events = match gw
            .sales_changes(&self.auth(&key.key, &key.fingerprint, true), date)
            .await
        {
            Ok(e) => e,
            Err(e) => {
                self.on_key_error(&tenant, &key, &e).await?;
                return Err(ServiceError::msg(MessageId::Unavailable, &[]));
            }
        };
        events.sort_by_key(|e| e.event_id);
        let mut new = 0;
        for e in events {
            if self.store_event(&tenant, &e, "changes").await? {
                new += 1;
                if let Some(doc) = self
                    .inner
                    .db
                    .document_by_sales_id(tenant_id, e.sales_invoice_id)
                    .await?
                {
                    self.apply_status(
                        &tenant,
                        &doc,
                        &e.new_status,
                        e.comment.as_deref(),
                        None,
                        false,
                    )
                    .await?;
                }
            }
        }
        Ok(new)
    }

    async fn store_event(&self, tenant: &Tenant, e: &ChangeEvent, source: &str) -> SResult<bool> {
        Ok(self
            .inner
            .db
            .insert_event(
                tenant.id,
                &NewEvent {
                    direction: "sales".into(),
                    event_id: e.event_id,
                    sef_document_id: e.sales_invoice_id,
                    new_status: e.new_status.clone(),
                    comment: e.comment.clone(),
                    event_date: e.date.clone(),
                    source: source.into(),
                },
                self.now(),
            )
            .await?)
    }

    /// Handles a SEF callback (§9.2): one object or an array of events. Events with an unknown
    /// subscription key are ignored; known ones are stored (deduplicated by `EventId`) and a
    /// status read is queued. Never calls SEF. Returns the number of accepted events.
    pub async fn handle_callback(&self, callback_token: &str, body: &[u8]) -> SResult<usize> {
        let Some(tenant) = self
            .inner
            .db
            .tenant_by_callback_token(callback_token)
            .await?
        else {
            return Err(ServiceError::NotFound);
        };
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
            ServiceError::refused("Telo poziva nije JSON.", "The callback body is not JSON.")
        })?;
        let items: Vec<serde_json::Value> = match v {
            serde_json::Value::Array(a) => a,
            o => vec![o],
        };
        let today = self.today();
        let days: Vec<String> = [Some(today), today.checked_sub_days(Days::new(1))]
            .into_iter()
            .flatten()
            .map(|d| d.to_string())
            .collect();
        let keys = self.inner.db.subscription_keys(tenant.id, &days).await?;
        let mut accepted = 0;
        for it in items {
            let Some(e) = parse_change_event(&it) else {
                continue;
            };
            let Some(sk) = e.subscription_key.as_deref() else {
                continue;
            };
            if !keys.iter().any(|k| crate::crypto::ct_eq(k, sk)) {
                tracing::info!(
                    tenant = tenant.id,
                    "callback with an unknown subscription key ignored"
                );
                continue;
            }
            self.store_event(&tenant, &e, "callback").await?;
            self.inner
                .db
                .enqueue_status_read(tenant.id, e.sales_invoice_id, self.now())
                .await?;
            accepted += 1;
        }
        Ok(accepted)
    }

    /// Reconciles an `accepted_ids_unknown` document (§8.4): lists the tenant's sales ids for
    /// each day with an attempt, downloads unknown ones and matches the invoice number. Returns
    /// whether the ids were found.
    pub async fn reconcile(&self, tenant_id: i64, doc_id: i64) -> SResult<bool> {
        let tenant = self.tenant(tenant_id).await?;
        let doc = self
            .inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if doc.state != DocState::AcceptedIdsUnknown {
            return Ok(doc.state == DocState::InSef);
        }
        let key = match self.key_for_use(&tenant).await? {
            KeyUse::Ok(k) => k,
            other => return Err(self.key_use_error(&tenant, other)),
        };
        let gw = self.gateway(&tenant.environment)?.clone();
        let known = self.inner.db.known_sales_ids(tenant_id).await?;
        let mut seen = std::collections::HashSet::new();
        for day in self
            .inner
            .db
            .attempt_days_of_document(tenant_id, doc_id)
            .await?
        {
            let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
                continue;
            };
            let to = d.checked_add_days(Days::new(1)).unwrap_or(d);
            for status in RECONCILE_STATUSES {
                let ids = match gw
                    .sales_ids(&self.auth(&key.key, &key.fingerprint, true), status, d, to)
                    .await
                {
                    Ok(ids) => ids,
                    Err(e) => {
                        self.on_key_error(&tenant, &key, &e).await?;
                        return Ok(false);
                    }
                };
                for id in ids {
                    if known.contains(&id) || !seen.insert(id) {
                        continue;
                    }
                    let Ok(dl) = gw
                        .sales_xml(&self.auth(&key.key, &key.fingerprint, true), id)
                        .await
                    else {
                        continue;
                    };
                    let ubl = dl.ubl.clone();
                    let Ok(s) = self.with_tools(move |t| t.summarize(&ubl)).await? else {
                        continue;
                    };
                    if s.number == doc.number {
                        let now = self.now();
                        self.inner
                            .db
                            .mark_in_sef(
                                tenant_id,
                                doc_id,
                                None,
                                id,
                                dl.purchase_invoice_id,
                                None,
                                status,
                                now,
                            )
                            .await?;
                        self.inner
                            .db
                            .set_sef_status(tenant_id, doc_id, status, None, None, now)
                            .await?;
                        self.inner
                            .db
                            .audit(
                                Some(tenant_id),
                                "system",
                                "document_reconciled",
                                None,
                                Some(&format!("{} SalesInvoiceId={id}", doc.number)),
                                now,
                            )
                            .await?;
                        tracing::info!(
                            tenant = tenant_id,
                            document = doc_id,
                            sales_invoice_id = id,
                            "reconciled"
                        );
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    // ================================================================ operations

    /// Re-wraps every data key under the current master key and refreshes fingerprints
    /// (§4.2 rotation). Returns the number of records changed.
    pub async fn rotate_master_key(&self) -> SResult<usize> {
        let mut n = 0;
        for (rec, env) in self.inner.db.sealed_keys().await? {
            let Some(sealed) = rec.sealed.as_ref() else {
                continue;
            };
            if let Some(new) = self
                .inner
                .ring
                .rewrap(rec.tenant_id, &env, rec.version, sealed)?
            {
                let key = self
                    .inner
                    .ring
                    .open_key(rec.tenant_id, &env, rec.version, &new)?;
                let fp = self.inner.ring.fingerprint(&key);
                self.inner.db.update_sealed(rec.id, &new, &fp).await?;
                n += 1;
            }
        }
        if n > 0 {
            self.inner
                .db
                .audit(
                    None,
                    "operator",
                    "master_key_rotated",
                    None,
                    Some(&format!("{n} data keys re-wrapped")),
                    self.now(),
                )
                .await?;
        }
        Ok(n)
    }

    /// Runs the sender and the background loop until `shutdown` resolves.
    pub async fn run_workers(&self, shutdown: impl std::future::Future<Output = ()> + Send) {
        let s = self.clone();
        let sender = async move {
            loop {
                let n = s.run_sender_once().await;
                if n == 0 {
                    tokio::select! {
                        _ = s.inner.wake.notified() => {}
                        _ = tokio::time::sleep(s.inner.cfg.tick) => {}
                    }
                }
            }
        };
        let b = self.clone();
        let background = async move {
            loop {
                if let Err(e) = b.run_background_once().await {
                    tracing::error!(error = %e, "background pass failed");
                }
                tokio::time::sleep(b.inner.cfg.tick.max(Duration::from_millis(500))).await;
            }
        };
        tokio::select! {
            _ = shutdown => {}
            _ = sender => {}
            _ = background => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecheckOutcome {
    Active,
    StillRejected,
    Isp,
    Unavailable,
}

impl RecheckOutcome {
    fn as_str(self) -> &'static str {
        match self {
            RecheckOutcome::Active => "ok",
            RecheckOutcome::StillRejected => "unauthorized",
            RecheckOutcome::Isp => "isp_forbidden",
            RecheckOutcome::Unavailable => "unavailable",
        }
    }
}

fn refused_args(doc: &Document, lang: Lang) -> Vec<(&'static str, String)> {
    let code = doc.error_code.clone().unwrap_or_default();
    let expl = explain_error_code(&code, lang)
        .map(std::borrow::Cow::into_owned)
        .or_else(|| doc.error_message.clone().filter(|m| !m.is_empty()))
        .unwrap_or_else(|| code.clone());
    let field = doc
        .error_field
        .as_deref()
        .map(|f| format!("{}{f}", tr(lang, ", polje: ", ", field: ")))
        .unwrap_or_default();
    vec![
        ("broj", doc.number.clone()),
        ("objašnjenje", expl),
        ("ErrorCode", code),
        ("polje", field),
    ]
}

/// A validator finding's sentence in `lang`: rule findings are Serbian (transliterated for
/// Cyrillic); the reader's `XML` refusals are the XML reader's English and stay so.
fn finding_text(f: &Finding, lang: Lang) -> String {
    if f.rule_id == "XML" {
        f.message.clone()
    } else {
        tr(lang, &f.message, &f.message)
    }
}

/// The `sef.document.refused` message of a document.
pub fn refused_message(doc: &Document, lang: Lang) -> UserMessage {
    let args = refused_args(doc, lang);
    let a: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    UserMessage::new(MessageId::DocumentRefused, lang, &a)
}

/// Parses a change event / callback object (field names case-insensitive).
pub fn parse_change_event(v: &serde_json::Value) -> Option<ChangeEvent> {
    let o = v.as_object()?;
    let get = |name: &str| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let int = |name: &str| {
        get(name).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let text = |name: &str| get(name).and_then(|v| v.as_str()).map(str::to_string);
    Some(ChangeEvent {
        event_id: int("EventId")?,
        date: text("Date"),
        new_status: text("NewInvoiceStatus")?,
        sales_invoice_id: int("SalesInvoiceId")?,
        comment: text("Comment"),
        subscription_key: text("SubscriptionKey"),
    })
}

/// The per-key sliding-window limit kept in the shared store (`sef-api.md` §5), as the SEF
/// client's call gate.
struct DbGate {
    db: Db,
    fingerprint: String,
    window_ms: i64,
    background: bool,
}

impl DbGate {
    async fn take(&self, name: &str, window_ms: i64) {
        let mut failures = 0;
        loop {
            match self.db.rate_try_acquire(name, window_ms).await {
                Ok(None) => return,
                Ok(Some(wait)) => {
                    tokio::time::sleep(Duration::from_millis(wait.clamp(1, 5000) as u64)).await
                }
                Err(e) => {
                    // The store is unreachable: wait a full window (conservative) and go on.
                    failures += 1;
                    tracing::warn!(error = %e, "rate limiter store failed");
                    tokio::time::sleep(Duration::from_millis(window_ms as u64)).await;
                    if failures >= 3 {
                        return;
                    }
                }
            }
        }
    }
}

impl fiskal_sef::CallGate for DbGate {
    fn acquire(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if self.background {
                self.take(&format!("{}:bg", self.fingerprint), 3 * self.window_ms)
                    .await;
            }
            self.take(&self.fingerprint, self.window_ms).await;
        })
    }
}
