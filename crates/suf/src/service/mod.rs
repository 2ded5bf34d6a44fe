//! The SUF's use cases, without HTTP: the registry, tokens, audit intake (suf-backend.md §6),
//! proof of audit (§6.3), commands (§5) and receipt verification (verification-url.md §4).

use std::path::Path;
use std::sync::{Arc, RwLock};

use chrono::Utc;
use fiskal_domain::api::{Endpoints, EnvironmentParameters};
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::TaxRateGroup;
use fiskal_domain::verification_url::{UrlError, VerificationPayload};
use fiskal_se::cert::{CertificateInfo, parse_certificate};
use serde::Serialize;

pub mod admin;
mod commands;
mod intake;
pub mod local;
pub mod lookup;
pub mod manual;
mod proofs;
mod tokens;
mod verify;

use crate::keys::{KeyError, SufKeys};
use crate::package::AuditStatus;
use crate::store::{CommandRecord, ReceiptRecord, SeRecord, Store, StoreError};

/// How long a finding "this SE has no audit request waiting" is trusted before it is checked
/// again after a package.
pub const OPEN_AUDIT_RECHECK_MS: i64 = 5_000;
/// How long a registry record is used from memory before it is read again (revocations made by
/// another process take effect within this time).
pub const SIGNER_RECHECK_MS: i64 = 5_000;
/// How long the pending commands returned with audit answers may be served from memory.
pub const COMMAND_CACHE_MS: i64 = 1_000;
/// Most tokens kept in the in-memory token cache.
const TOKEN_CACHE_MAX: usize = 100_000;
/// Token lifetime: 8 hours (suf-backend.md §4).
pub const TOKEN_TTL_MS: i64 = 8 * 3600 * 1000;
/// Oldest PFR time accepted relative to arrival: 30 days (status 75).
pub const MAX_PAST_MS: i64 = 30 * 24 * 3600 * 1000;
/// Furthest PFR time in the future accepted relative to arrival: 5 minutes (status 73).
pub const MAX_FUTURE_MS: i64 = 5 * 60 * 1000;

/// Command types (suf-backend.md §5), shared with the PFR.
pub use fiskal_se::command::kind as command_type;

/// Errors of the SUF service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SufError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Keys could not be loaded.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The environment bundle could not be read.
    #[error("the environment bundle could not be used: {0}")]
    Environment(String),
    /// A request was refused (shown to the client).
    #[error("{0}")]
    Refused(String),
    /// The caller is not authenticated.
    #[error("the token is missing, unknown or expired")]
    Unauthorized,
    /// No such object.
    #[error("{0}")]
    NotFound(String),
}

/// Configuration of a SUF.
#[derive(Debug, Clone)]
pub struct SufConfig {
    /// Environment name.
    pub environment_name: String,
    /// Authority name.
    pub organization_name: String,
    /// Public base URL of the SUF (ends with `/`).
    pub base_url: String,
    /// Verification URL prefix (`{base}v/?vl=`).
    pub verification_prefix: String,
    /// Time server URL.
    pub ntp_server: String,
}

/// The answer to an audit package (`AuditDataStatus`), plus a sentence saying why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditAnswer {
    /// TaxCore audit status ([`AuditStatus::Verified`]; [`AuditStatus::RetryLater`]; anything
    /// else = rejected). The bare number on the wire.
    pub status: AuditStatus,
    /// Why (English; fiskal's addition to `AuditDataStatus`).
    pub message: String,
}

impl AuditAnswer {
    fn reject(status: AuditStatus, message: impl Into<String>) -> AuditAnswer {
        AuditAnswer {
            status,
            message: message.into(),
        }
    }
}

/// Why a verification URL is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// The URL cannot be decoded.
    Damaged(UrlError),
    /// The signer is not in the registry.
    UnknownSigner(String),
    /// The signer's certificate was revoked before, or was not valid at, the PFR time.
    CertificateNotValid,
    /// The signature does not match.
    BadSignature,
    /// The internal data do not match the URL.
    InternalData,
    /// The URL differs from the receipt the SUF received by audit.
    DataDiffer,
}

/// A receipt whose verification URL checked out.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The decoded URL.
    pub payload: VerificationPayload,
    /// The seller from the certificate of `requestedBy`.
    pub seller: Seller,
    /// The receipt as received by audit, if it arrived.
    pub received: Option<ReceiptRecord>,
}

/// A registered signer: its record and parsed certificate.
type Signer = Arc<(SeRecord, CertificateInfo)>;

/// Pending commands of one SE as cached: (generation, fetched at ms, list).
type CachedCommands = (u64, i64, Vec<CommandRecord>);

/// The SUF.
pub struct Suf<S: Store> {
    pub(crate) store: S,
    keys: SufKeys,
    pub(crate) config: RwLock<SufConfig>,
    /// Serialises administrative changes (group ids, settings).
    pub(crate) admin: tokio::sync::Mutex<()>,
    /// SHA-256 of the administration token; `None` disables the administration API.
    pub(crate) admin_token: Option<[u8; 32]>,
    pub(crate) tax_groups: RwLock<Vec<TaxRateGroup>>,
    /// Env digit of the certificates this SUF accepts, fixed by the first one registered (the
    /// bundle's SE): local, sandbox and production material never mix.
    environment_digit: std::sync::OnceLock<u64>,
    certs: RwLock<std::collections::HashMap<String, (Signer, i64)>>,
    /// Bumped whenever this process changes a command; invalidates `command_cache`.
    commands_generation: std::sync::atomic::AtomicU64,
    /// Pending commands per UID: (generation, fetched at ms, list).
    command_cache: RwLock<std::collections::HashMap<String, CachedCommands>>,
    /// SEs found without a waiting audit request, with when that was checked (ms).
    no_open_audit: RwLock<std::collections::HashMap<String, i64>>,
    /// When an audit request of each SE was last stored by this SUF (ms).
    last_arp: RwLock<std::collections::HashMap<String, i64>>,
    /// Tokens seen valid: token → (UID, expiry ms). Tokens never change once issued.
    tokens: RwLock<std::collections::HashMap<String, (String, i64)>>,
}

impl<S: Store> std::fmt::Debug for Suf<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suf")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A new command with a fresh id. Creation times strictly increase within the process, which
/// keeps the order of commands queued in one millisecond.
pub(crate) fn new_command(uid: &str, command_type: i32, payload: String) -> CommandRecord {
    use std::sync::atomic::{AtomicI64, Ordering};
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = now_ms();
    let prev = LAST.fetch_max(now, Ordering::SeqCst);
    let created_ms = if prev >= now {
        LAST.fetch_add(1, Ordering::SeqCst) + 1
    } else {
        now
    };
    CommandRecord {
        command_id: uuid::Uuid::new_v4().to_string(),
        uid: uid.to_string(),
        command_type,
        payload,
        created_ms,
        success: None,
    }
}

impl<S: Store> Suf<S> {
    /// A SUF over `store` with `keys`, `config` and the tax-rate groups it knows.
    pub fn new(
        store: S,
        keys: SufKeys,
        config: SufConfig,
        tax_groups: Vec<TaxRateGroup>,
    ) -> Suf<S> {
        Suf {
            store,
            keys,
            config: RwLock::new(config),
            admin: tokio::sync::Mutex::new(()),
            admin_token: None,
            tax_groups: RwLock::new(tax_groups),
            environment_digit: std::sync::OnceLock::new(),
            certs: RwLock::default(),
            tokens: RwLock::default(),
            no_open_audit: RwLock::default(),
            commands_generation: std::sync::atomic::AtomicU64::new(0),
            command_cache: RwLock::default(),
            last_arp: RwLock::default(),
        }
    }

    /// Adopts the local environment bundle made by `fiskal se init --data DIR`: its authority keys,
    /// tax rates and verification prefix, and registers its SE. The SE certificate is read from
    /// `DIR/se/{UID}.crt` (DER) when present, else from the SE state file opened with
    /// `se_password` (the authority issued that password, so it may open the file).
    pub async fn adopt(
        dir: &Path,
        store: S,
        se_password: Option<&str>,
    ) -> Result<Suf<S>, SufError> {
        let env = fiskal_se::env::load(dir).map_err(|e| SufError::Environment(e.to_string()))?;
        let keys = SufKeys::load(dir)?;
        let base_url = if env.suf_url.ends_with('/') {
            env.suf_url.clone()
        } else {
            format!("{}/", env.suf_url)
        };
        let config = SufConfig {
            environment_name: env.environment_name.clone(),
            organization_name: env.organization_name.clone(),
            base_url,
            verification_prefix: env.verification_url_prefix.clone(),
            ntp_server: "http://0.pool.ntp.org:80/".into(),
        };
        let suf = Suf::new(store, keys, config, env.tax_rate_groups.clone());
        suf.load_admin_state().await?;
        let crt = dir.join("se").join(format!("{}.crt", env.se_uid));
        let der = match std::fs::read(&crt) {
            Ok(der) => der,
            Err(_) => {
                let password = se_password
                    .unwrap_or(fiskal_se::env::DEFAULT_SE_PASSWORD)
                    .to_string();
                let dir = dir.to_path_buf();
                let env2 = env.clone();
                tokio::task::spawn_blocking(move || {
                    env2.open_se(&dir, &password)
                        .map(|se| fiskal_se::SecureElement::certificate_der(&se))
                })
                .await
                .map_err(|e| SufError::Environment(e.to_string()))?
                .map_err(|e| {
                    SufError::Environment(format!(
                        "the SE certificate is neither in {} nor readable from the SE file: {e}",
                        crt.display()
                    ))
                })?
            }
        };
        suf.register_certificate(&der).await?;
        Ok(suf)
    }

    /// The configuration as it is now (the verification prefix and time server can change).
    pub fn config(&self) -> SufConfig {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The keys.
    pub fn keys(&self) -> &SufKeys {
        &self.keys
    }

    /// The storage.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The tax-rate groups.
    pub fn tax_groups(&self) -> Vec<TaxRateGroup> {
        self.tax_groups
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Registers an SE certificate (DER) issued by this authority. A new UID gets the
    /// initialisation commands (types 0, 1, 2 and 7). Returns the UID.
    pub async fn register_certificate(&self, der: &[u8]) -> Result<String, SufError> {
        let info = parse_certificate(der)
            .map_err(|e| SufError::Refused(format!("not an SE certificate: {e}")))?;
        let env = *self
            .environment_digit
            .get_or_init(|| info.environment_digit);
        if env != info.environment_digit {
            return Err(SufError::Refused(format!(
                "the certificate belongs to environment {} and this SUF to environment {env}: \
                 local, sandbox and production material never mix",
                info.environment_digit
            )));
        }
        let uid = info.uid.to_string();
        let existing = self.store.get_se(&uid).await?;
        self.store
            .put_se(&SeRecord {
                uid: uid.clone(),
                tin: info.seller.tin.clone(),
                certificate: der.to_vec(),
                revoked_at_ms: None,
            })
            .await?;
        self.certs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&uid);
        if existing.is_none() {
            self.queue_initialisation(&uid).await?;
        }
        Ok(uid)
    }

    async fn queue_initialisation(&self, uid: &str) -> Result<(), SufError> {
        for g in self.tax_groups() {
            self.queue_command(
                uid,
                command_type::SET_TAX_RATES,
                serde_json::to_string(&g).unwrap_or_default(),
            )
            .await?;
        }
        let config = self.config();
        self.queue_command(
            uid,
            command_type::SET_TIME_SERVER_URL,
            config.ntp_server.clone(),
        )
        .await?;
        self.queue_command(
            uid,
            command_type::SET_VERIFICATION_URL,
            config.verification_prefix.clone(),
        )
        .await?;
        let conf = serde_json::to_string(&self.configuration()).unwrap_or_default();
        self.queue_command(uid, command_type::SET_TAX_CORE_CONFIGURATION, conf)
            .await?;
        Ok(())
    }

    /// Queues a command for `uid`; returns its id.
    pub async fn queue_command(
        &self,
        uid: &str,
        command_type: i32,
        payload: String,
    ) -> Result<String, SufError> {
        let command = new_command(uid, command_type, payload);
        self.store.add_command(&command).await?;
        self.commands_changed();
        Ok(command.command_id)
    }

    /// The configuration object (`/api/v3/configuration`, SetTaxCoreConfiguration).
    pub fn configuration(&self) -> EnvironmentParameters {
        let config = self.config();
        let base = config.base_url.clone();
        EnvironmentParameters {
            organization_name: config.organization_name.clone(),
            server_time_zone: "Central Europe Standard Time".into(),
            street: String::new(),
            city: "Београд".into(),
            country: "RS".into(),
            endpoints: Endpoints {
                taxpayer_admin_portal: base.clone(),
                tax_core_api: base.clone(),
                vsdc: String::new(),
                root: config.verification_prefix.clone(),
            },
            environment_name: config.environment_name.clone(),
            logo: String::new(),
            ntp_server: config.ntp_server.clone(),
            supported_languages: vec!["sr-Cyrl-RS".into(), "en-US".into()],
        }
    }

    async fn signer(
        &self,
        uid: &str,
    ) -> Result<Option<Arc<(SeRecord, CertificateInfo)>>, SufError> {
        let now = now_ms();
        let cached = self
            .certs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(uid)
            .cloned();
        if let Some((c, fetched)) = &cached
            && now - fetched < SIGNER_RECHECK_MS
        {
            return Ok(Some(c.clone()));
        }
        // Re-read the record now and then: another process (`fiskal suf revoke`) may have revoked it.
        let Some(rec) = self.store.get_se(uid).await? else {
            return Ok(None);
        };
        let info = match &cached {
            Some((c, _)) if c.0.certificate == rec.certificate => c.1.clone(),
            _ => match parse_certificate(&rec.certificate) {
                Ok(info) => info,
                Err(_) => return Ok(None),
            },
        };
        let entry = Arc::new((rec, info));
        self.certs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(uid.to_string(), (entry.clone(), now));
        Ok(Some(entry))
    }

    /// Revokes an SE from `at_ms` on; false when unknown.
    pub async fn revoke(&self, uid: &str, at_ms: i64) -> Result<bool, SufError> {
        let r = self.store.revoke_se(uid, at_ms).await?;
        self.certs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(uid);
        Ok(r)
    }
}
