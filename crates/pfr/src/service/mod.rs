//! The L-PFR's use cases (status, PIN, sign an invoice, look one up) over the secure element and
//! the journal. No HTTP types here: `api` maps these results to TaxCore's HTTP answers.
//!
//! The parts: `invoice` (the invoice use case and the receipt it builds), `signer` (the
//! two-stage signing pipeline: group, sign, journal, answer) and `recovery` (receipts the SE
//! signed before a crash, rebuilt at start).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine;
use chrono::Utc;
use fiskal_domain::api::{
    Endpoints, EnvironmentParameters, FieldError, InvoiceRequest, InvoiceResult, Status,
};
use fiskal_domain::counter::Uid;
use fiskal_domain::gsc::Gsc;
use fiskal_domain::journal::AdvanceSettlement;
use fiskal_domain::money::from_scaled;
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::{TaxRateGroup, group_at};
use fiskal_domain::time::to_belgrade;
use fiskal_se::{AmountStatus, SeError, SecureElement};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::store::{Journal, JournalError};

mod invoice;
pub mod qr;
mod recovery;
mod signer;

pub use invoice::{apply_output_options, build_result};

/// Most requests signed in one group commit.
pub const MAX_BATCH: usize = 64;

/// Language of `messages` in answers: [`Lang::SrCyrl`] (default) or [`Lang::En`], negotiated
/// under [`fiskal_domain::lang::PFR_API`].
pub use fiskal_domain::lang::Lang;

/// `messages` of a successful invoice: `Успешно` or `Success`.
pub fn success_message(lang: Lang) -> String {
    lang.pick("Uspešno", "Success").into_owned()
}

/// The language of a pending request as the journal stores it ([`Lang::code`]: `sr-Cyrl`,
/// `en`); journals of fiskal 0.1 hold `sr` (which meant Cyrillic) and `en`, read as before.
pub fn lang_from_journal(code: &str) -> Lang {
    match Lang::from_code(code) {
        Some(Lang::En) => Lang::En,
        _ => Lang::SrCyrl,
    }
}

/// Everything that configures the L-PFR besides its SE: set from the environment bundle and
/// later changed by SUF commands. Persisted in the journal database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Seller identity (as on the SE certificate).
    pub seller: Seller,
    /// All tax-rate groups, past and future.
    pub tax_rate_groups: Vec<TaxRateGroup>,
    /// Verification URL prefix (`…/v/?vl=`).
    pub verification_url_prefix: String,
    /// SUF API base URL.
    pub tax_core_api: String,
    /// L-PFR registration code.
    pub mrc: String,
    /// Environment name.
    pub environment_name: String,
    /// Authority name.
    pub organization_name: String,
    /// Time server.
    pub ntp_server: String,
}

impl Settings {
    /// Whether the L-PFR can sign (tax rates and a verification URL prefix are known).
    pub fn is_configured(&self) -> bool {
        !self.tax_rate_groups.is_empty() && !self.verification_url_prefix.is_empty()
    }
}

/// An error answer of the PFR.
#[derive(Debug, thiserror::Error)]
pub enum PfrError {
    /// A state refusal (1300, 1500, 2110, 2210, 2220, 2400, …), reported on property `""`.
    #[error("PFR state does not allow this: {0}")]
    State(Gsc),
    /// Field errors, reported per property.
    #[error("invalid request: {0:?}")]
    Fields(Vec<FieldError>),
    /// An unexpected internal failure (details only in the log).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<JournalError> for PfrError {
    fn from(e: JournalError) -> Self {
        PfrError::Internal(e.to_string())
    }
}

/// What the L-PFR knows about its SE without asking it (updated after every SE operation).
#[derive(Debug, Clone, Copy)]
struct SeSnapshot {
    pin_verified: bool,
    tries_left: u8,
    amount: AmountStatus,
    signing_disabled: bool,
    last_signed_ms: u64,
}

struct Job {
    request: InvoiceRequest,
    computed_advance: Option<AdvanceSettlement>,
    request_id: Option<String>,
    lang: Lang,
    reply: oneshot::Sender<Result<InvoiceResult, PfrError>>,
}

struct Inner {
    se: Mutex<Box<dyn SecureElement>>,
    uid: Uid,
    se_version: String,
    snapshot: RwLock<SeSnapshot>,
    settings: RwLock<Settings>,
    journal: Arc<dyn Journal>,
    last_invoice_number: RwLock<String>,
    jobs: mpsc::Sender<Job>,
    /// RequestIds signed but not yet journalled.
    in_flight: Mutex<HashSet<String>>,
    /// Set when the journal failed after signing: no more signing until a restart.
    poisoned: AtomicBool,
    /// Whether the last call to the SUF succeeded (status `0210`, else `0220`).
    suf_online: AtomicBool,
}

/// The L-PFR service. Cheap to clone.
#[derive(Clone)]
pub struct Lpfr {
    inner: Arc<Inner>,
}

fn now_ms() -> u64 {
    Utc::now().timestamp_millis().max(0) as u64
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

impl Lpfr {
    /// Starts the L-PFR over an opened SE and journal: recovers receipts the SE signed but the
    /// journal lacks, then starts the signer.
    pub async fn start(
        se: Box<dyn SecureElement>,
        journal: Arc<dyn Journal>,
        initial: Settings,
    ) -> Result<Lpfr, PfrError> {
        let settings = match journal.setting("settings").await? {
            Some(s) => serde_json::from_str(&s)
                .map_err(|e| PfrError::Internal(format!("stored settings: {e}")))?,
            None => {
                let s = serde_json::to_string(&initial)
                    .map_err(|e| PfrError::Internal(e.to_string()))?;
                journal.set_setting("settings", &s).await?;
                initial
            }
        };
        let uid = se.uid().clone();
        let snapshot = SeSnapshot {
            pin_verified: se.is_pin_verified(),
            tries_left: se.pin_tries_left(),
            amount: se.amount_status(),
            signing_disabled: false,
            last_signed_ms: se.recent_signed().last().map(|s| s.time_ms).unwrap_or(0),
        };
        let (tx, rx) = mpsc::channel::<Job>(4096);
        let lpfr = Lpfr {
            inner: Arc::new(Inner {
                se_version: se.version(),
                se: Mutex::new(se),
                uid,
                snapshot: RwLock::new(snapshot),
                settings: RwLock::new(settings),
                journal,
                last_invoice_number: RwLock::new(String::new()),
                jobs: tx,
                in_flight: Mutex::new(HashSet::new()),
                poisoned: AtomicBool::new(false),
                suf_online: AtomicBool::new(false),
            }),
        };
        lpfr.recover().await?;
        if let Some(last) = lpfr.inner.journal.last().await? {
            *lpfr
                .inner
                .last_invoice_number
                .write()
                .unwrap_or_else(|e| e.into_inner()) = last.invoice_number;
        }
        let me = lpfr.clone();
        tokio::spawn(async move { me.signer(rx).await });
        Ok(lpfr)
    }

    /// The SE's UID.
    pub fn uid(&self) -> &Uid {
        &self.inner.uid
    }

    /// The journal.
    pub fn journal(&self) -> &dyn Journal {
        self.inner.journal.as_ref()
    }

    /// Current settings.
    pub fn settings(&self) -> Settings {
        self.inner
            .settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs `f` with the secure element on a blocking thread (the SE lock is held meanwhile, so
    /// signing waits), then refreshes what the L-PFR knows about the SE (PIN, amounts; signing
    /// is tried again after any SE operation here, so a directive can enable it).
    pub async fn with_se<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn SecureElement) -> R + Send + 'static,
    ) -> R {
        let me = self.clone();
        let run = move || {
            let mut se = me.inner.se.lock().unwrap_or_else(|e| e.into_inner());
            let r = f(se.as_mut());
            me.refresh_snapshot(se.as_ref());
            me.inner
                .snapshot
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .signing_disabled = false;
            r
        };
        match tokio::task::spawn_blocking(run).await {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Changes the settings (SUF commands) and stores them in the journal database.
    pub async fn update_settings(&self, f: impl FnOnce(&mut Settings)) -> Result<(), PfrError> {
        let text = {
            let mut s = self
                .inner
                .settings
                .write()
                .unwrap_or_else(|e| e.into_inner());
            let mut next = s.clone();
            f(&mut next);
            let text =
                serde_json::to_string(&next).map_err(|e| PfrError::Internal(e.to_string()))?;
            *s = next;
            text
        };
        self.inner.journal.set_setting("settings", &text).await?;
        Ok(())
    }

    /// Records whether the last call to the SUF succeeded (status `0210` or `0220`).
    pub fn set_suf_online(&self, online: bool) {
        self.inner.suf_online.store(online, Ordering::SeqCst);
    }

    /// Whether the last call to the SUF succeeded.
    pub fn suf_online(&self) -> bool {
        self.inner.suf_online.load(Ordering::SeqCst)
    }

    /// The SE's unaudited amount and limit as last seen.
    pub fn amount_status(&self) -> AmountStatus {
        self.snapshot().amount
    }

    fn snapshot(&self) -> SeSnapshot {
        *self
            .inner
            .snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn refresh_snapshot(&self, se: &dyn SecureElement) {
        let mut s = self
            .inner
            .snapshot
            .write()
            .unwrap_or_else(|e| e.into_inner());
        s.pin_verified = se.is_pin_verified();
        s.tries_left = se.pin_tries_left();
        s.amount = se.amount_status();
        if let Some(last) = se.recent_signed().last() {
            s.last_signed_ms = s.last_signed_ms.max(last.time_ms);
        }
    }

    /// State refusal that applies before anything else (pfr-api.md §6.1 step 1).
    pub fn state_error(&self) -> Option<Gsc> {
        let s = self.snapshot();
        if s.tries_left == 0 {
            return Some(Gsc::CardLocked);
        }
        if !s.pin_verified {
            return Some(Gsc::PinRequired);
        }
        let settings = self
            .inner
            .settings
            .read()
            .unwrap_or_else(|e| e.into_inner());
        if !settings.is_configured() || now_ms() < s.last_signed_ms {
            return Some(Gsc::NotConfigured);
        }
        if s.amount.limit_reached() || s.signing_disabled {
            return Some(Gsc::SeLocked);
        }
        None
    }

    /// `GET /api/v3/status`.
    pub fn status(&self) -> Status {
        let s = self.snapshot();
        let settings = self.settings();
        let now = Utc::now();
        let mut gsc: Vec<Gsc> = Vec::new();
        if s.tries_left == 0 {
            gsc.push(Gsc::CardLocked);
        } else if !s.pin_verified {
            gsc.push(Gsc::PinRequired);
        } else {
            gsc.push(Gsc::PinOk);
            if s.amount.audit_required() {
                gsc.push(Gsc::AuditRequired);
            }
            if s.amount.limit_reached() || s.signing_disabled {
                gsc.push(Gsc::SeLocked);
            }
            if !settings.is_configured()
                || (now.timestamp_millis().max(0) as u64) < s.last_signed_ms
            {
                gsc.push(Gsc::NotConfigured);
            }
        }
        gsc.push(if self.suf_online() {
            Gsc::InternetAvailable
        } else {
            Gsc::InternetUnavailable
        });
        gsc.sort_by_key(|g| {
            let c = g.code();
            let group = match c.as_bytes()[0] {
                b'2' => 0,
                b'1' => 1,
                _ => 2,
            };
            (group, c)
        });
        let current = group_at(&settings.tax_rate_groups, now.fixed_offset()).cloned();
        Status {
            is_pin_required: !s.pin_verified,
            audit_required: s.amount.audit_required(),
            sdc_date_time: to_belgrade(now),
            last_invoice_number: self
                .inner
                .last_invoice_number
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            protocol_version: "3.0".into(),
            secure_element_version: self.inner.se_version.clone(),
            hardware_version: "n/a".into(),
            software_version: env!("CARGO_PKG_VERSION").into(),
            device_serial_number: settings
                .mrc
                .rsplit('-')
                .next()
                .unwrap_or_default()
                .to_string(),
            make: "fiskal".into(),
            model: "fiskal L-PFR".into(),
            mssc: vec![],
            gsc: gsc.iter().map(|g| g.code().to_string()).collect(),
            supported_languages: supported_languages(),
            uid: self.inner.uid.to_string(),
            tax_core_api: settings.tax_core_api.clone(),
            current_tax_rates: current,
            all_tax_rates: settings.tax_rate_groups.clone(),
        }
    }

    /// `GET /api/v3/environment-parameters`.
    pub fn environment_parameters(&self) -> EnvironmentParameters {
        let s = self.settings();
        let base = s.tax_core_api.trim_end_matches('/').to_string();
        EnvironmentParameters {
            organization_name: s.organization_name.clone(),
            server_time_zone: "Central Europe Standard Time".into(),
            street: String::new(),
            city: "Београд".into(),
            country: "RS".into(),
            endpoints: Endpoints {
                taxpayer_admin_portal: format!("{base}/"),
                tax_core_api: format!("{base}/"),
                vsdc: String::new(),
                root: s.verification_url_prefix.clone(),
            },
            environment_name: s.environment_name.clone(),
            logo: String::new(),
            ntp_server: s.ntp_server.clone(),
            supported_languages: supported_languages(),
        }
    }

    /// `POST /api/v3/pin`: returns the GSC to answer.
    pub async fn verify_pin(&self, body: &str) -> Gsc {
        let mut t = body.trim();
        if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
            t = &t[1..t.len() - 1];
        }
        let Ok(pin) = fiskal_se::Pin::parse(t) else {
            return Gsc::InvalidFormat;
        };
        let me = self.clone();
        let r = tokio::task::spawn_blocking(move || {
            let mut se = me.inner.se.lock().unwrap_or_else(|e| e.into_inner());
            let r = se.verify_pin(&pin);
            me.refresh_snapshot(se.as_ref());
            r
        })
        .await;
        match r {
            Ok(Ok(())) => Gsc::PinOk,
            Ok(Err(SeError::WrongPin { .. })) | Ok(Err(SeError::WrongPinSize)) => Gsc::PinNotOk,
            Ok(Err(SeError::Locked)) => Gsc::CardLocked,
            Ok(Err(e)) => e.gsc(),
            Err(_) => Gsc::UndefinedWarning,
        }
    }
}

/// `messages` of an invoice result signed at or above 75 % of the limit: the success text followed
/// by the warning 1400 (pfr-api.md §4, suf-backend.md §8), in the answer's language.
pub fn audit_warning_message(success: &str, lang: Lang) -> String {
    let warning = lang.pick(
        "1400: Potrebno je iščitavanje: neiščitani iznos je prešao 75% limita bezbednosnog elementa.",
        "1400: Audit required: the unaudited amount passed 75% of the secure element's limit.",
    );
    format!("{success} {warning}")
}

/// The languages the PFR supports as its status and environment report them: `sr-Cyrl-RS`,
/// `en-US`.
pub fn supported_languages() -> Vec<String> {
    fiskal_domain::lang::PFR_API
        .iter()
        .map(|l| l.tag().to_string())
        .collect()
}

/// Amount helper for status output: the unaudited amount and limit as decimals.
pub fn amount_status_decimal(a: AmountStatus) -> (Decimal, Decimal) {
    (from_scaled(a.unaudited), from_scaled(a.limit))
}
