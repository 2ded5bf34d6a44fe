//! The L-PFR's use cases (status, PIN, sign an invoice, look one up) over the secure element and
//! the journal. No HTTP types here: `api` maps these results to TaxCore's HTTP answers.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine;
use chrono::{DateTime, Utc};
use fiskal_domain::api::{
    self, Computed, Endpoints, EnvironmentParameters, FieldError, InvoiceRequest, InvoiceResult,
    Status,
};
use fiskal_domain::counter::{InvoiceCounter, Uid};
use fiskal_domain::gsc::Gsc;
use fiskal_domain::journal::{AdvanceSettlement, JournalInput};
use fiskal_domain::kinds::{InvoiceType, TransactionType};
use fiskal_domain::money::{from_scaled, round4, to_scaled};
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::{TaxRateGroup, group_at, taxes_by_category};
use fiskal_domain::time::{from_millis, to_belgrade};
use fiskal_domain::verification_url::VerificationPayload;
use fiskal_se::{AmountStatus, SeError, SecureElement, SignRequest, SignedInvoice};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::journal::{Journal, JournalError, NewReceipt, PendingRow};

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
    journal: Journal,
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

/// Builds the invoice result of a signed request (without the QR image).
pub fn build_result(
    settings: &Settings,
    uid: &Uid,
    req: &InvoiceRequest,
    computed: &Computed,
    signed: &SignedInvoice,
    advance: Option<&AdvanceSettlement>,
    lang: Lang,
) -> InvoiceResult {
    let sdc_time: DateTime<Utc> = from_millis(signed.time_ms as i64).unwrap_or_else(Utc::now);
    let counter = InvoiceCounter {
        transaction_type_counter: signed.transaction_type_counter,
        total_counter: signed.total_counter,
        kind: req.kind(),
    };
    let invoice_number = format!("{uid}-{uid}-{}", signed.total_counter);
    let payload = VerificationPayload {
        requested_by: uid.to_string(),
        signed_by: uid.to_string(),
        total_counter: signed.total_counter,
        transaction_type_counter: signed.transaction_type_counter,
        total_amount: signed.amount,
        sdc_time_ms: signed.time_ms,
        invoice_type: req.invoice_type,
        transaction_type: req.transaction_type,
        buyer_id: req.buyer_id.clone(),
        internal_data: signed.internal_data.clone(),
        signature: signed.signature.clone(),
    };
    let verification_url = payload.encode(&settings.verification_url_prefix);
    let counter_text = counter.to_string();
    let journal = fiskal_domain::journal::render(&JournalInput {
        seller: &settings.seller,
        request: req,
        tax_items: &computed.tax_items,
        total_amount: computed.total_amount,
        sdc_time,
        invoice_number: &invoice_number,
        invoice_counter: &counter_text,
        advance: advance.cloned(),
    });
    let s = &settings.seller;
    InvoiceResult {
        requested_by: uid.to_string(),
        signed_by: uid.to_string(),
        sdc_date_time: to_belgrade(sdc_time),
        invoice_counter: counter_text,
        invoice_counter_extension: req.kind().extension(),
        invoice_number,
        tax_items: computed.tax_items.clone(),
        verification_url,
        verification_q_r_code: None,
        journal: Some(journal),
        messages: success_message(lang),
        signature: b64(&signed.signature),
        encrypted_internal_data: b64(&signed.internal_data),
        total_counter: signed.total_counter,
        transaction_type_counter: signed.transaction_type_counter,
        total_amount: computed.total_amount,
        tax_group_revision: computed.tax_group_revision,
        business_name: s.business_name.clone(),
        tin: s.tin.clone(),
        location_name: s.location_name.clone(),
        address: s.address.clone(),
        district: s.district.clone(),
        mrc: Some(settings.mrc.clone()),
    }
}

fn sign_request(
    settings: &Settings,
    req: &InvoiceRequest,
    computed: &Computed,
    time_ms: u64,
) -> SignRequest {
    SignRequest {
        time_ms,
        tin: settings.seller.tin.clone(),
        buyer_id: req.buyer_id.clone(),
        invoice_type: req.invoice_type,
        transaction_type: req.transaction_type,
        amount: to_scaled(computed.total_amount).unwrap_or(0),
        taxes: taxes_by_category(&computed.tax_items)
            .into_iter()
            .map(|(o, t)| (o, to_scaled(t).unwrap_or(0)))
            .collect(),
    }
}

fn se_output_bytes(s: &SignedInvoice) -> Vec<u8> {
    s.to_bytes().unwrap_or_default()
}

impl Lpfr {
    /// Starts the L-PFR over an opened SE and journal: recovers receipts the SE signed but the
    /// journal lacks, then starts the signer.
    pub async fn start(
        se: Box<dyn SecureElement>,
        journal: Journal,
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
    pub fn journal(&self) -> &Journal {
        &self.inner.journal
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

    /// Rebuilds receipts the SE signed but the journal does not hold (crash between the SE's
    /// write and the journal's), then drops pending requests that were never signed.
    async fn recover(&self) -> Result<(), PfrError> {
        let (_, journal_max) = self.inner.journal.count_and_max().await?;
        let (se_total, recent) = {
            let se = self.inner.se.lock().unwrap_or_else(|e| e.into_inner());
            (se.total_counter(), se.recent_signed())
        };
        let pending = self.inner.journal.pending().await?;
        if se_total < journal_max {
            return Err(PfrError::Internal(format!(
                "the journal holds receipt {journal_max} but the secure element's counter is {se_total}: \
                 the SE state is older than the journal"
            )));
        }
        let missing: Vec<SignedInvoice> = recent
            .into_iter()
            .filter(|s| s.total_counter > journal_max)
            .collect();
        let first_missing = missing
            .first()
            .map(|s| s.total_counter)
            .unwrap_or(se_total + 1);
        if se_total > journal_max && first_missing != journal_max + 1 {
            return Err(PfrError::Internal(format!(
                "receipts {}..={} were signed by the secure element but are neither in the journal nor recoverable",
                journal_max + 1,
                first_missing - 1
            )));
        }
        let settings = self.settings();
        let mut receipts = Vec::new();
        let mut used = Vec::new();
        let mut p = 0usize;
        for signed in &missing {
            // Match pending requests in order; a pending request the SE refused has no signature.
            let mut found = None;
            while p < pending.len() {
                let row = &pending[p];
                p += 1;
                let Ok(req) = serde_json::from_str::<InvoiceRequest>(&row.request_json) else {
                    continue;
                };
                if row.sdc_time_ms as u64 == signed.time_ms
                    && req.invoice_type == signed.invoice_type
                    && req.transaction_type == signed.transaction_type
                    && req.buyer_id == signed.buyer_id
                    && to_scaled(req.total()) == Some(signed.amount)
                {
                    found = Some((row.clone(), req));
                    break;
                }
            }
            let Some((row, req)) = found else {
                return Err(PfrError::Internal(format!(
                    "receipt {} was signed by the secure element but its request is not in the journal",
                    signed.total_counter
                )));
            };
            let time = from_millis(signed.time_ms as i64).unwrap_or_else(Utc::now);
            let advance = self.advance_for(&req).await?;
            let paid = advance
                .as_ref()
                .map(|a| a.paid_by_advance)
                .unwrap_or_default();
            let computed = api::compute(&req, &settings.tax_rate_groups, time, paid)
                .map_err(PfrError::Fields)?;
            let result = build_result(
                &settings,
                &self.inner.uid,
                &req,
                &computed,
                signed,
                advance.as_ref(),
                lang_from_journal(&row.lang),
            );
            receipts.push(self.new_receipt(&req, &row, &result, signed)?);
            used.push(row.id);
        }
        let all_pending: Vec<i64> = pending.iter().map(|r| r.id).collect();
        self.inner
            .journal
            .commit_signed(&receipts, &all_pending)
            .await?;
        if !receipts.is_empty() {
            tracing::warn!(
                count = receipts.len(),
                "recovered receipts signed before a crash"
            );
        }
        Ok(())
    }

    fn new_receipt(
        &self,
        req: &InvoiceRequest,
        row: &PendingRow,
        result: &InvoiceResult,
        signed: &SignedInvoice,
    ) -> Result<NewReceipt, PfrError> {
        Ok(NewReceipt {
            total_counter: signed.total_counter,
            uid: self.inner.uid.to_string(),
            invoice_number: result.invoice_number.clone(),
            request_id: row.request_id.clone(),
            kind: req.kind().extension(),
            sdc_time_ms: signed.time_ms as i64,
            amount: result.total_amount.to_string(),
            request_json: row.request_json.clone(),
            result_json: serde_json::to_string(result)
                .map_err(|e| PfrError::Internal(e.to_string()))?,
            se_output: se_output_bytes(signed),
        })
    }

    /// The advance settlement of a closing Normal Sale whose reference is an Advance Refund in
    /// this journal (receipt.md §4).
    async fn advance_for(
        &self,
        req: &InvoiceRequest,
    ) -> Result<Option<AdvanceSettlement>, PfrError> {
        if req.invoice_type != InvoiceType::Normal || req.transaction_type != TransactionType::Sale
        {
            return Ok(None);
        }
        let Some(r) = &req.referent_document_number else {
            return Ok(None);
        };
        let Some(stored) = self.inner.journal.by_invoice_number(r).await? else {
            return Ok(None);
        };
        let Ok(res) = serde_json::from_str::<InvoiceResult>(&stored.result_json) else {
            return Ok(None);
        };
        if res.invoice_counter_extension != "АР" {
            return Ok(None);
        }
        let tax: Decimal = res.tax_items.iter().map(|t| t.amount).sum();
        Ok(Some(AdvanceSettlement {
            paid_by_advance: res.total_amount,
            advance_tax: round4(tax),
        }))
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

    /// `GET /api/v3/invoices/{requestId}`: the stored result, or `None`.
    pub async fn invoice_by_request_id(
        &self,
        request_id: &str,
    ) -> Result<Option<(InvoiceResult, InvoiceRequest)>, PfrError> {
        let Some(stored) = self
            .inner
            .journal
            .by_request_id(self.inner.uid.as_str(), request_id)
            .await?
        else {
            return Ok(None);
        };
        let result: InvoiceResult = serde_json::from_str(&stored.result_json)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        let req: InvoiceRequest = serde_json::from_str(&stored.request_json)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        Ok(Some((result, req)))
    }

    /// `POST /api/v3/invoices`: checks, signs, journals and returns the result (journal text
    /// included; the caller applies the output options and adds the QR image).
    pub async fn create_invoice(
        &self,
        body: &[u8],
        request_id: Option<String>,
        lang: Lang,
    ) -> Result<(InvoiceResult, InvoiceRequest), PfrError> {
        if let Some(g) = self.state_error() {
            return Err(PfrError::State(g));
        }
        if self.inner.poisoned.load(Ordering::SeqCst) {
            return Err(PfrError::Internal(
                "the journal failed; restart the L-PFR".into(),
            ));
        }
        let req = InvoiceRequest::from_json(body).map_err(PfrError::Fields)?;
        if let Some(id) = &request_id {
            if id.chars().count() > 32 {
                return Err(PfrError::Fields(vec![FieldError {
                    property: "RequestId".into(),
                    code: Gsc::FieldTooLong,
                }]));
            }
            if let Some(found) = self.existing(id, &req).await? {
                return Ok(found);
            }
        }
        let advance = self.advance_for(&req).await?;
        let paid = advance
            .as_ref()
            .map(|a| a.paid_by_advance)
            .unwrap_or_default();
        // Check against the rates in force now; the signer repeats it at the exact PFR time.
        api::compute(&req, &self.settings().tax_rate_groups, Utc::now(), paid)
            .map_err(PfrError::Fields)?;
        let (tx, rx) = oneshot::channel();
        let job = Job {
            request: req.clone(),
            computed_advance: advance,
            request_id,
            lang,
            reply: tx,
        };
        self.inner
            .jobs
            .send(job)
            .await
            .map_err(|_| PfrError::Internal("the signer stopped".into()))?;
        let mut result = rx
            .await
            .map_err(|_| PfrError::Internal("the signer dropped the request".into()))??;
        if self.snapshot().amount.audit_required() {
            result.messages = audit_warning_message(&result.messages, lang);
        }
        Ok((result, req))
    }

    async fn existing(
        &self,
        id: &str,
        req: &InvoiceRequest,
    ) -> Result<Option<(InvoiceResult, InvoiceRequest)>, PfrError> {
        let Some(stored) = self
            .inner
            .journal
            .by_request_id(self.inner.uid.as_str(), id)
            .await?
        else {
            return Ok(None);
        };
        if stored.request_json != req.canonical_json() {
            return Err(PfrError::Fields(vec![FieldError {
                property: "RequestId".into(),
                code: Gsc::InvalidValue,
            }]));
        }
        let result: InvoiceResult = serde_json::from_str(&stored.result_json)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        Ok(Some((result, req.clone())))
    }

    /// Stage 1 of the signing pipeline: groups waiting requests, journals them as pending,
    /// has the SE sign them and builds the results; stage 2 ([`Lpfr::committer`]) journals the
    /// receipts and answers. While stage 2 writes one group, stage 1 signs the next.
    async fn signer(self, mut rx: mpsc::Receiver<Job>) {
        let (tx, crx) = mpsc::channel::<SignedGroup>(1);
        let me = self.clone();
        tokio::spawn(async move { me.committer(crx).await });
        let (ptx, mut prx) = mpsc::channel::<Staged>(1);
        let me = self.clone();
        tokio::spawn(async move {
            // At most two groups are signed but not yet journalled (one being written, one just
            // signed): the SE keeps the signatures of its last two groups, so a crash can always
            // be recovered.
            let uncommitted = Arc::new(tokio::sync::Semaphore::new(2));
            while let Some(staged) = prx.recv().await {
                let Ok(permit) = uncommitted.clone().acquire_owned().await else {
                    return;
                };
                let mut group = match staged {
                    Staged::Done(g) => g,
                    Staged::Ready(p) => me.sign_prepared(*p).await,
                };
                group.permit = Some(permit);
                if tx.send(group).await.is_err() {
                    return;
                }
            }
        });
        while let Some(first) = rx.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            let staged = self.prepare_group(jobs).await;
            if ptx.send(staged).await.is_err() {
                return;
            }
        }
    }

    /// Stage 2: journal the signed receipts, then answer every request of the group.
    async fn committer(self, mut rx: mpsc::Receiver<SignedGroup>) {
        while let Some(g) = rx.recv().await {
            let SignedGroup {
                jobs,
                mut out,
                receipts,
                results,
                pending_ids,
                followers,
                permit,
                qr,
            } = g;
            if !pending_ids.is_empty() {
                let committed = self
                    .inner
                    .journal
                    .commit_signed(&receipts, &pending_ids)
                    .await;
                match committed {
                    Ok(()) => {
                        if let Some(last) = receipts.last() {
                            *self
                                .inner
                                .last_invoice_number
                                .write()
                                .unwrap_or_else(|e| e.into_inner()) = last.invoice_number.clone();
                        }
                        for (i, r) in results {
                            if out[i].is_none() {
                                out[i] = Some(Ok(r));
                            }
                        }
                    }
                    Err(e) => {
                        // Signed but not journalled: stop signing; the receipts stay pending and
                        // are recovered at the next start, where a retry with the same RequestId
                        // gets them.
                        tracing::error!(error = %e, "journal write failed after signing; the L-PFR stops signing until restarted");
                        self.inner.poisoned.store(true, Ordering::SeqCst);
                        for (i, _) in results {
                            out[i] = Some(Err(PfrError::Internal("journal write failed".into())));
                        }
                    }
                }
            }
            drop(permit);
            for (i, handle) in qr {
                let image = handle.await.ok().flatten();
                if let Some(Ok(r)) = out[i].as_mut() {
                    r.verification_q_r_code = image;
                }
            }
            {
                let mut inflight = self
                    .inner
                    .in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                for job in &jobs {
                    if let Some(id) = &job.request_id {
                        inflight.remove(id);
                    }
                }
            }
            for (job, r) in jobs.into_iter().zip(out) {
                let r = r
                    .unwrap_or_else(|| Err(PfrError::Internal("request was not processed".into())));
                let _ = job.reply.send(r);
            }
            // Requests repeating a RequestId that was in flight: the journal now has the answer.
            for job in followers {
                let id = job.request_id.clone().unwrap_or_default();
                let r = match self.existing(&id, &job.request).await {
                    Ok(Some((res, _))) => Ok(res),
                    Ok(None) => Err(PfrError::Internal(
                        "the first request with this RequestId failed; send it again".into(),
                    )),
                    Err(e) => Err(e),
                };
                let _ = job.reply.send(r);
            }
        }
    }

    /// Stage 1 of the signing pipeline: answers repeated RequestIds, computes taxes at the PFR
    /// time and journals the group as pending (before the SE signs anything).
    async fn prepare_group(&self, jobs: Vec<Job>) -> Staged {
        let mut fresh: Vec<Job> = Vec::with_capacity(jobs.len());
        let mut followers: Vec<Job> = Vec::new();
        for job in jobs {
            if let Some(id) = &job.request_id {
                if self
                    .inner
                    .in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(id)
                {
                    followers.push(job);
                    continue;
                }
                match self.existing(id, &job.request).await {
                    Ok(Some(found)) => {
                        let _ = job.reply.send(Ok(found.0));
                        continue;
                    }
                    Err(e) => {
                        let _ = job.reply.send(Err(e));
                        continue;
                    }
                    Ok(None) => {}
                }
                self.inner
                    .in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id.clone());
            }
            fresh.push(job);
        }
        let mut g = SignedGroup {
            out: (0..fresh.len()).map(|_| None).collect(),
            jobs: Vec::new(),
            receipts: Vec::new(),
            results: Vec::new(),
            pending_ids: Vec::new(),
            followers,
            permit: None,
            qr: Vec::new(),
        };
        if fresh.is_empty() {
            return Staged::Done(g);
        }
        if self.inner.poisoned.load(Ordering::SeqCst) {
            for o in g.out.iter_mut() {
                *o = Some(Err(PfrError::Internal(
                    "the journal failed; restart the L-PFR".into(),
                )));
            }
            g.jobs = fresh;
            return Staged::Done(g);
        }
        let t0 = std::time::Instant::now();
        let settings = self.settings();
        let last = self.snapshot().last_signed_ms;
        let time_ms = now_ms();
        if time_ms < last {
            for o in g.out.iter_mut() {
                *o = Some(Err(PfrError::State(Gsc::NotConfigured)));
            }
            g.jobs = fresh;
            return Staged::Done(g);
        }
        let time = from_millis(time_ms as i64).unwrap_or_else(Utc::now);
        // Compute at the exact PFR time.
        let mut ready: Vec<(usize, Computed)> = Vec::new();
        for (i, job) in fresh.iter().enumerate() {
            let paid = job
                .computed_advance
                .as_ref()
                .map(|a| a.paid_by_advance)
                .unwrap_or_default();
            match api::compute(&job.request, &settings.tax_rate_groups, time, paid) {
                Ok(c) => ready.push((i, c)),
                Err(e) => g.out[i] = Some(Err(PfrError::Fields(e))),
            }
        }
        if ready.is_empty() {
            g.jobs = fresh;
            return Staged::Done(g);
        }
        // 1. Record the requests before signing.
        let rows: Vec<PendingRow> = ready
            .iter()
            .map(|(i, _)| PendingRow {
                id: 0,
                request_id: fresh[*i].request_id.clone(),
                request_json: fresh[*i].request.canonical_json(),
                sdc_time_ms: time_ms as i64,
                lang: fresh[*i].lang.code().into(),
            })
            .collect();
        let rows = match self.inner.journal.record_pending(rows).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "journal write failed before signing");
                for o in g.out.iter_mut() {
                    o.get_or_insert_with(|| Err(PfrError::Internal("journal write failed".into())));
                }
                g.jobs = fresh;
                return Staged::Done(g);
            }
        };
        Staged::Ready(Box::new(PreparedGroup {
            g,
            fresh,
            ready,
            rows,
            settings,
            time_ms,
            t0,
        }))
    }

    /// Stage 2: the SE signs a prepared group and the results are built.
    async fn sign_prepared(&self, p: PreparedGroup) -> SignedGroup {
        let PreparedGroup {
            mut g,
            fresh,
            ready,
            rows,
            settings,
            time_ms,
            t0,
        } = p;
        let t_pending = t0.elapsed();
        // 2. Sign (the SE persists its counters before returning).
        let sign_reqs: Vec<SignRequest> = ready
            .iter()
            .map(|(i, c)| sign_request(&settings, &fresh[*i].request, c, time_ms))
            .collect();
        let me = self.clone();
        let signed = tokio::task::spawn_blocking(move || {
            let mut se = me.inner.se.lock().unwrap_or_else(|e| e.into_inner());
            let r = se.sign_batch(&sign_reqs);
            me.refresh_snapshot(se.as_ref());
            r
        })
        .await
        .unwrap_or_else(|_| vec![Err(SeError::NotAvailable("signing task failed".into()))]);
        // Test-only crash (feature `fault-injection`): after the SE persisted, before the journal.
        #[cfg(feature = "fault-injection")]
        if std::env::var_os("FISKAL_FAULT_CRASH_AFTER_SIGN").is_some() {
            std::process::abort();
        }
        let t_signed = t0.elapsed();
        // 3. Build the results; stage 2 journals them before answering.
        for (k, (i, computed)) in ready.iter().enumerate() {
            match signed.get(k) {
                Some(Ok(s)) => {
                    let job = &fresh[*i];
                    let result = build_result(
                        &settings,
                        &self.inner.uid,
                        &job.request,
                        computed,
                        s,
                        job.computed_advance.as_ref(),
                        job.lang,
                    );
                    match self.new_receipt(&job.request, &rows[k], &result, s) {
                        Ok(r) => g.receipts.push(r),
                        Err(e) => g.out[*i] = Some(Err(e)),
                    }
                    if !job.request.options.omit_qr_code_gen {
                        // Draw the QR code while the committer writes the journal.
                        let url = result.verification_url.clone();
                        g.qr.push((
                            *i,
                            tokio::task::spawn_blocking(move || crate::qr::gif_base64(&url).ok()),
                        ));
                    }
                    g.results.push((*i, result));
                }
                Some(Err(e)) => {
                    if matches!(e, SeError::SigningDisabled) {
                        self.inner
                            .snapshot
                            .write()
                            .unwrap_or_else(|e| e.into_inner())
                            .signing_disabled = true;
                    }
                    g.out[*i] = Some(Err(PfrError::State(e.gsc())));
                }
                None => {
                    g.out[*i] = Some(Err(PfrError::Internal(
                        "the secure element returned no answer".into(),
                    )))
                }
            }
        }
        g.pending_ids = rows.iter().map(|r| r.id).collect();
        tracing::debug!(
            batch = fresh.len(),
            pending_us = t_pending.as_micros() as u64,
            sign_us = (t_signed - t_pending).as_micros() as u64,
            build_us = (t0.elapsed() - t_signed).as_micros() as u64,
            "signed a group"
        );
        g.jobs = fresh;
        g
    }
}

/// A group journalled as pending, waiting for the SE.
struct PreparedGroup {
    g: SignedGroup,
    fresh: Vec<Job>,
    ready: Vec<(usize, Computed)>,
    rows: Vec<PendingRow>,
    settings: Settings,
    time_ms: u64,
    t0: std::time::Instant,
}

/// What stage 1 hands to stage 2.
enum Staged {
    /// Nothing to sign (answered, refused or failed already).
    Done(SignedGroup),
    /// Ready for the SE.
    Ready(Box<PreparedGroup>),
}

/// A signed group on its way from the signer to the committer.
struct SignedGroup {
    jobs: Vec<Job>,
    out: Vec<Option<Result<InvoiceResult, PfrError>>>,
    receipts: Vec<NewReceipt>,
    results: Vec<(usize, InvoiceResult)>,
    pending_ids: Vec<i64>,
    followers: Vec<Job>,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    qr: Vec<(usize, tokio::task::JoinHandle<Option<String>>)>,
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
