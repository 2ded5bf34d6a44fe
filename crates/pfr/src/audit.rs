//! The L-PFR's side of the audit (suf-backend.md §4–§7): the internet audit loop and the local
//! audit through removable media.
//!
//! Internet audit, one [`round`] at a time ([`run`] repeats it):
//!
//! 1. token (`GET /api/v3/sdc/token`, header `X-Fiskal-Client-Uid` on plain HTTP,
//!    docs/suf-formats.md), reused until it expires;
//! 2. results of commands not yet reported, then `PUT /api/v3/sdc/status` (`true`) and the
//!    commands it returns, executed in order ([`crate::commands`]);
//! 3. one audit package per receipt, oldest unsent first (`POST /api/v3/sdc/audit`); the last
//!    delivered counter is kept in the journal setting [`SENT_KEY`], so sending resumes after a
//!    restart and a package sent twice is answered 4 again by the SUF;
//! 4. when receipts were delivered since the last proof of audit: SE Start Audit + Amount Status,
//!    `POST /api/v3/sdc/audit-proof`; the proof arrives as command 5 and End Audit frees the limit.
//!
//! A SUF that is down or answers 500 never blocks selling: the round fails, the status shows
//! `0220`, and the next round starts where this one stopped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_se::audit_package::{self, AuditPackage};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::commands::{self, Command, CommandResult};
use crate::service::{Lpfr, PfrError};

/// Journal setting: highest total counter whose package the SUF answered (status 4 or a final
/// rejection).
pub const SENT_KEY: &str = "suf.sentCounter";
/// Journal setting: packages the SUF rejected (JSON array of [`Rejected`]).
pub const REJECTED_KEY: &str = "suf.rejected";
/// Journal setting: the audit state ([`AuditState`]).
pub const AUDIT_KEY: &str = "suf.audit";
/// Header naming the SE on a plain-HTTP SUF (docs/suf-formats.md).
pub const CLIENT_UID_HEADER: &str = "X-Fiskal-Client-Uid";
/// Header carrying the token.
pub const TOKEN_HEADER: &str = "TaxCoreAuthenticationToken";

/// Errors of the audit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The SUF could not be reached or answered with a server error.
    #[error("the SUF is not reachable: {0}")]
    Unreachable(String),
    /// The SUF refused a request.
    #[error("the SUF refused the request ({status}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The SUF's answer.
        message: String,
    },
    /// The L-PFR's own storage or SE failed.
    #[error(transparent)]
    Pfr(#[from] PfrError),
    /// An audit package could not be built.
    #[error(transparent)]
    Package(#[from] audit_package::PackageError),
    /// The secure element refused an audit operation.
    #[error("the secure element refused the audit: {0}")]
    Se(#[from] fiskal_se::SeError),
    /// The medium could not be read or written.
    #[error("the medium {path} could not be used: {message}")]
    Medium {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl From<crate::journal::JournalError> for AuditError {
    fn from(e: crate::journal::JournalError) -> Self {
        AuditError::Pfr(e.into())
    }
}

/// A package the SUF rejected (kept and reported, suf-backend.md §6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    /// Total counter of the receipt.
    pub total_counter: u32,
    /// `AuditDataStatus.status`.
    pub status: u8,
    /// The SUF's explanation, if any.
    pub message: String,
}

/// An audit request started on the SE and not yet answered by a proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingAudit {
    /// The SE's total counter when the audit started (the ARP covers 1..=this).
    pub total_counter: u32,
    /// Base64 of the ARP.
    pub arp: String,
    /// Unaudited sum at start (× 10 000).
    pub sum: u64,
    /// Limit (× 10 000).
    pub limit: u64,
    /// When it started (ms).
    pub started_ms: i64,
    /// Whether the SUF accepted the request (`audit-proof` answered 200, or written to a medium).
    pub posted: bool,
}

/// The audit state kept in the journal database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditState {
    /// The audit waiting for its proof.
    pub pending: Option<PendingAudit>,
    /// Total counter covered by the last proof of audit applied.
    pub audited_counter: u32,
    /// When the last audit started (ms), for the minimum interval.
    pub last_started_ms: i64,
}

/// Configuration of the internet audit.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// SUF base URL; `None` uses the settings' `tax_core_api` (changed by command 7).
    pub suf_url: Option<String>,
    /// SUF encryption public key (SPKI DER); `None` asks `/api/v3/encryption-certificate`.
    pub encryption_key: Option<Vec<u8>>,
    /// Pause between rounds.
    pub interval: Duration,
    /// Least time between two Start Audits (TU-1.17: 5 minutes); the first one starts at once.
    /// An audit waiting for its proof is never replaced: its request is posted again each round.
    pub min_audit_interval: Duration,
    /// Timeout of each HTTP request.
    pub timeout: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            suf_url: None,
            encryption_key: None,
            interval: Duration::from_secs(30),
            min_audit_interval: Duration::from_secs(300),
            timeout: Duration::from_secs(20),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Packages the SUF verified (status 4).
    pub delivered: u32,
    /// Packages rejected in this round.
    pub rejected: Vec<Rejected>,
    /// Whether the SUF asked to retry a package later (status 1).
    pub retry_later: bool,
    /// Commands executed (or re-reported) in this round.
    pub commands: usize,
    /// Whether an audit request was posted.
    pub audit_requested: bool,
    /// Whether a proof of audit was applied.
    pub proof_applied: bool,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The audit state.
pub async fn state(lpfr: &Lpfr) -> Result<AuditState, PfrError> {
    match lpfr.journal().setting(AUDIT_KEY).await? {
        Some(t) => serde_json::from_str(&t)
            .map_err(|e| PfrError::Internal(format!("stored audit state: {e}"))),
        None => Ok(AuditState::default()),
    }
}

async fn save_state(lpfr: &Lpfr, s: &AuditState) -> Result<(), PfrError> {
    let t = serde_json::to_string(s).map_err(|e| PfrError::Internal(e.to_string()))?;
    lpfr.journal().set_setting(AUDIT_KEY, &t).await?;
    Ok(())
}

/// Highest total counter delivered to the SUF.
pub async fn sent_counter(lpfr: &Lpfr) -> Result<u32, PfrError> {
    Ok(lpfr
        .journal()
        .setting(SENT_KEY)
        .await?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

async fn set_sent_counter(lpfr: &Lpfr, n: u32) -> Result<(), PfrError> {
    lpfr.journal().set_setting(SENT_KEY, &n.to_string()).await?;
    Ok(())
}

/// Packages the SUF rejected.
pub async fn rejected(lpfr: &Lpfr) -> Result<Vec<Rejected>, PfrError> {
    match lpfr.journal().setting(REJECTED_KEY).await? {
        Some(t) => Ok(serde_json::from_str(&t).unwrap_or_default()),
        None => Ok(Vec::new()),
    }
}

async fn add_rejected(lpfr: &Lpfr, r: &[Rejected]) -> Result<(), PfrError> {
    if r.is_empty() {
        return Ok(());
    }
    let mut all = rejected(lpfr).await?;
    for x in r {
        all.retain(|y| y.total_counter != x.total_counter);
        all.push(x.clone());
    }
    let t = serde_json::to_string(&all).map_err(|e| PfrError::Internal(e.to_string()))?;
    lpfr.journal().set_setting(REJECTED_KEY, &t).await?;
    Ok(())
}

/// Called after End Audit accepted a proof: the pending audit is closed, its counter is audited.
pub async fn proof_applied(lpfr: &Lpfr) -> Result<(), PfrError> {
    let mut s = state(lpfr).await?;
    if let Some(p) = s.pending.take() {
        s.audited_counter = s.audited_counter.max(p.total_counter);
        tracing::info!(
            total_counter = p.total_counter,
            "proof of audit applied; the limit is free again"
        );
    }
    save_state(lpfr, &s).await?;
    // Every receipt the proof covers is at the SUF, however it got there.
    if sent_counter(lpfr).await? < s.audited_counter {
        set_sent_counter(lpfr, s.audited_counter).await?;
    }
    Ok(())
}

/// Starts an audit on the SE (Start Audit + Amount Status, atomically) and records it.
async fn start_audit(lpfr: &Lpfr) -> Result<PendingAudit, AuditError> {
    let (arp, amount, total) = lpfr
        .with_se(|se| -> Result<_, fiskal_se::SeError> {
            let arp = se.start_audit()?;
            Ok((arp, se.amount_status(), se.total_counter()))
        })
        .await?;
    let p = PendingAudit {
        total_counter: total,
        arp: B64.encode(&arp),
        sum: amount.unaudited,
        limit: amount.limit,
        started_ms: now_ms(),
        posted: false,
    };
    let mut s = state(lpfr).await?;
    s.pending = Some(p.clone());
    s.last_started_ms = p.started_ms;
    save_state(lpfr, &s).await?;
    tracing::info!(total_counter = total, "audit started");
    Ok(p)
}

/// A client of the SUF's E-SDC services for one SE.
pub struct SufClient {
    http: reqwest::Client,
    uid: String,
    token: Option<(String, String, i64)>,
    encryption_key: Option<Vec<u8>>,
    /// The L-PFR whose SE signs the token request with its authentication key.
    prover: Option<Lpfr>,
}

fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

impl std::fmt::Debug for SufClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SufClient")
            .field("uid", &self.uid)
            .field("has_token", &self.token.is_some())
            .field("proves_key", &self.prover.is_some())
            .finish_non_exhaustive()
    }
}

impl SufClient {
    /// A client for the SE `uid`.
    pub fn new(uid: &str, cfg: &AuditConfig) -> Result<SufClient, AuditError> {
        let http = reqwest::Client::builder()
            // Below the servers' 10 s header-read timeout (fiskal-web).
            .pool_idle_timeout(std::time::Duration::from_secs(5))
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| AuditError::Unreachable(e.to_string()))?;
        Ok(SufClient {
            http,
            uid: uid.to_string(),
            token: None,
            encryption_key: cfg.encryption_key.clone(),
            prover: None,
        })
    }

    /// Proves possession of the SE's authentication key when asking for a token (on a plain
    /// HTTP listener, where no TLS client certificate does it).
    pub fn with_authentication(mut self, lpfr: Lpfr) -> SufClient {
        self.prover = Some(lpfr);
        self
    }

    async fn check(
        r: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<reqwest::Response, AuditError> {
        let r = r.map_err(|e| AuditError::Unreachable(e.to_string()))?;
        let status = r.status();
        if status.is_server_error() {
            return Err(AuditError::Unreachable(format!("HTTP {status}")));
        }
        if !status.is_success() {
            let message = r.text().await.unwrap_or_default();
            return Err(AuditError::Refused {
                status: status.as_u16(),
                message,
            });
        }
        Ok(r)
    }

    async fn json(r: reqwest::Response) -> Result<Value, AuditError> {
        r.json::<Value>()
            .await
            .map_err(|e| AuditError::Unreachable(format!("unreadable answer: {e}")))
    }

    /// The token for `base`, fetched when missing or about to expire.
    async fn token(&mut self, base: &str) -> Result<String, AuditError> {
        if let Some((b, t, exp)) = &self.token
            && b == base
            && *exp > now_ms() + 60_000
        {
            return Ok(t.clone());
        }
        let mut req = self
            .http
            .get(join(base, "api/v3/sdc/token"))
            .header(CLIENT_UID_HEADER, &self.uid);
        if let Some(lpfr) = &self.prover {
            use fiskal_se::client_proof as proof;
            let time = now_ms();
            let message = proof::message(&self.uid, time);
            let (cert, sig) = lpfr
                .with_se(move |se| {
                    (
                        se.authentication_certificate_der(),
                        se.sign_authentication(&message),
                    )
                })
                .await;
            if let (Some(cert), Some(sig)) = (cert, sig) {
                let sig = sig.map_err(|e| AuditError::Unreachable(e.to_string()))?;
                req = req
                    .header(proof::TIME_HEADER, time.to_string())
                    .header(proof::CERTIFICATE_HEADER, B64.encode(cert))
                    .header(proof::SIGNATURE_HEADER, B64.encode(sig));
            }
        }
        let r = req.send().await;
        let v = Self::json(Self::check(r).await?).await?;
        let token = v["token"].as_str().unwrap_or_default().to_string();
        if token.is_empty() {
            return Err(AuditError::Unreachable(
                "the token answer has no token".into(),
            ));
        }
        let exp = v["expiresAt"]
            .as_str()
            // `2020-12-23T15:18:33Z`, or TD's `2020-12-23 15:18:33Z`.
            .and_then(|s| {
                chrono::DateTime::parse_from_rfc3339(&s.trim().replacen(' ', "T", 1)).ok()
            })
            .map(|d| d.timestamp_millis())
            .unwrap_or_else(|| now_ms() + 3_600_000);
        self.token = Some((base.to_string(), token.clone(), exp));
        Ok(token)
    }

    async fn authed(
        &mut self,
        base: &str,
        f: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, AuditError> {
        let token = self.token(base).await?;
        let r = Self::check(f(&self.http, &token).send().await).await;
        if let Err(AuditError::Refused { status: 401, .. }) = &r {
            // The token expired early or the SUF forgot it: ask once more.
            self.token = None;
            let token = self.token(base).await?;
            return Self::check(f(&self.http, &token).send().await).await;
        }
        r
    }

    async fn encryption_key(&mut self, base: &str) -> Result<Vec<u8>, AuditError> {
        if let Some(k) = &self.encryption_key {
            return Ok(k.clone());
        }
        let r = self
            .http
            .get(join(base, "api/v3/encryption-certificate"))
            .send()
            .await;
        let v = Self::json(Self::check(r).await?).await?;
        let k = v
            .as_str()
            .and_then(|s| B64.decode(s.trim()).ok())
            .ok_or_else(|| AuditError::Unreachable("the encryption key is not base64".into()))?;
        self.encryption_key = Some(k.clone());
        Ok(k)
    }

    fn commands_of(v: &Value) -> Vec<Command> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| serde_json::from_value(c.clone()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `PUT /api/v3/sdc/status` with `true`: the commands waiting.
    pub async fn status(&mut self, base: &str) -> Result<Vec<Command>, AuditError> {
        let url = join(base, "api/v3/sdc/status");
        let r = self
            .authed(base, |c, t| {
                c.put(&url)
                    .header(TOKEN_HEADER, t)
                    .header("Content-Type", "application/json")
                    .body("true")
            })
            .await?;
        Ok(Self::commands_of(&Self::json(r).await?))
    }

    /// `GET /api/v3/sdc/commands`.
    pub async fn commands(&mut self, base: &str) -> Result<Vec<Command>, AuditError> {
        let url = join(base, "api/v3/sdc/commands");
        let r = self
            .authed(base, |c, t| c.get(&url).header(TOKEN_HEADER, t))
            .await?;
        Ok(Self::commands_of(&Self::json(r).await?))
    }

    /// `PUT /api/v3/sdc/commands/{id}`. A 404 (the SUF no longer has it) counts as delivered.
    pub async fn report(&mut self, base: &str, r: &CommandResult) -> Result<(), AuditError> {
        let url = join(base, &format!("api/v3/sdc/commands/{}", r.command_id));
        let body = if r.success { "true" } else { "false" };
        match self
            .authed(base, |c, t| {
                c.put(&url)
                    .header(TOKEN_HEADER, t)
                    .header("Content-Type", "application/json")
                    .body(body)
            })
            .await
        {
            Ok(_) | Err(AuditError::Refused { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `POST /api/v3/sdc/audit`: the status and the commands of the answer.
    pub async fn send_package(
        &mut self,
        base: &str,
        pkg: &AuditPackage,
    ) -> Result<(u8, String, Vec<Command>), AuditError> {
        let url = join(base, "api/v3/sdc/audit");
        let r = self
            .authed(base, |c, t| c.post(&url).header(TOKEN_HEADER, t).json(pkg))
            .await?;
        let v = Self::json(r).await?;
        let status = v["status"]
            .as_u64()
            .and_then(|s| u8::try_from(s).ok())
            .ok_or_else(|| AuditError::Unreachable("the audit answer has no status".into()))?;
        let message = v["message"].as_str().unwrap_or_default().to_string();
        Ok((status, message, Self::commands_of(&v["commands"])))
    }

    /// `POST /api/v3/sdc/audit-proof`.
    pub async fn request_proof(&mut self, base: &str, p: &PendingAudit) -> Result<(), AuditError> {
        let url = join(base, "api/v3/sdc/audit-proof");
        let body =
            serde_json::json!({"auditRequestPayload": p.arp, "sum": p.sum, "limit": p.limit});
        self.authed(base, |c, t| {
            c.post(&url).header(TOKEN_HEADER, t).json(&body)
        })
        .await?;
        Ok(())
    }
}

fn base_url(lpfr: &Lpfr, cfg: &AuditConfig) -> String {
    cfg.suf_url
        .clone()
        .unwrap_or_else(|| lpfr.settings().tax_core_api)
}

async fn run_commands(
    lpfr: &Lpfr,
    client: &mut SufClient,
    base: &str,
    cmds: &[Command],
    report: &mut RoundReport,
) -> Result<(), AuditError> {
    if cmds.is_empty() {
        return Ok(());
    }
    let before = state(lpfr).await?.audited_counter;
    let results = commands::execute_all(lpfr, cmds).await?;
    report.commands += results.len();
    let mut done = Vec::new();
    for r in &results {
        client.report(base, r).await?;
        done.push(r.command_id.clone());
    }
    commands::mark_reported(lpfr, &done).await?;
    if state(lpfr).await?.audited_counter > before {
        report.proof_applied = true;
    }
    Ok(())
}

/// Builds the package of one journal receipt.
fn package_of(
    r: &crate::journal::StoredReceipt,
    key: &[u8],
) -> Result<AuditPackage, audit_package::PackageError> {
    let plain = audit_package::plaintext(&r.request_json, r.request_id.as_deref(), &r.result_json)?;
    audit_package::seal(key, &plain)
}

/// One round of the internet audit. Any failure to reach the SUF ends the round with an error;
/// what was delivered so far stays delivered.
pub async fn round(
    lpfr: &Lpfr,
    client: &mut SufClient,
    cfg: &AuditConfig,
) -> Result<RoundReport, AuditError> {
    let base = base_url(lpfr, cfg);
    let mut report = RoundReport::default();
    // 1. Results not yet reported, then the commands waiting.
    let mut done = Vec::new();
    for r in commands::unreported(lpfr).await? {
        client.report(&base, &r).await?;
        done.push(r.command_id);
    }
    commands::mark_reported(lpfr, &done).await?;
    let cmds = client.status(&base).await?;
    lpfr.set_suf_online(true);
    run_commands(lpfr, client, &base, &cmds, &mut report).await?;
    // Command 7 may have moved the SUF.
    let base = base_url(lpfr, cfg);
    // 2. Packages, oldest unsent first.
    let key = client.encryption_key(&base).await?;
    let mut sent = sent_counter(lpfr).await?;
    let mut inline: Vec<Command> = Vec::new();
    'send: loop {
        let batch = lpfr.journal().after(sent, 64).await?;
        if batch.is_empty() {
            break;
        }
        let mut rejected = Vec::new();
        for r in &batch {
            let pkg = package_of(r, &key)?;
            let answer = client.send_package(&base, &pkg).await;
            let (status, message, cmds) = match answer {
                Ok(a) => a,
                Err(e) => {
                    set_sent_counter(lpfr, sent).await?;
                    add_rejected(lpfr, &rejected).await?;
                    return Err(e);
                }
            };
            for c in cmds {
                if !inline.iter().any(|x| x.command_id == c.command_id) {
                    inline.push(c);
                }
            }
            match status {
                4 => report.delivered += 1,
                1 => {
                    report.retry_later = true;
                    set_sent_counter(lpfr, sent).await?;
                    add_rejected(lpfr, &rejected).await?;
                    break 'send;
                }
                s => {
                    tracing::warn!(total_counter = r.total_counter, status = s, %message, "the SUF rejected an audit package; it is kept");
                    let x = Rejected {
                        total_counter: r.total_counter,
                        status: s,
                        message,
                    };
                    report.rejected.push(x.clone());
                    rejected.push(x);
                }
            }
            sent = r.total_counter;
        }
        set_sent_counter(lpfr, sent).await?;
        add_rejected(lpfr, &rejected).await?;
    }
    run_commands(lpfr, client, &base, &inline, &mut report).await?;
    // 3. Proof of audit.
    let s = state(lpfr).await?;
    let (_, journal_max) = lpfr.journal().count_and_max().await?;
    let min_gap = cfg.min_audit_interval.as_millis() as i64;
    // An audit waiting for its proof is posted again (the SUF ignores a repeated request), so a
    // request lost on the way is not lost for good; a new one starts only when the last proof
    // came and receipts were delivered since.
    let pending = match s.pending {
        Some(p) => Some(p),
        None if !report.retry_later
            && sent >= journal_max
            && journal_max > s.audited_counter
            && now_ms() - s.last_started_ms >= min_gap =>
        {
            Some(start_audit(lpfr).await?)
        }
        None => None,
    };
    if let Some(mut p) = pending {
        client.request_proof(&base, &p).await?;
        p.posted = true;
        let mut s = state(lpfr).await?;
        if s.pending.as_ref().is_some_and(|x| x.arp == p.arp) {
            s.pending = Some(p);
            save_state(lpfr, &s).await?;
        }
        report.audit_requested = true;
        let cmds = client.commands(&base).await?;
        run_commands(lpfr, client, &base, &cmds, &mut report).await?;
    }
    Ok(report)
}

/// Runs the internet audit until the process ends: a round every `cfg.interval` (at once again
/// after a round that delivered packages but left more to do). Never returns.
pub async fn run(lpfr: Lpfr, cfg: AuditConfig) {
    let mut client = match SufClient::new(lpfr.uid().as_str(), &cfg) {
        Ok(c) => c.with_authentication(lpfr.clone()),
        Err(e) => {
            tracing::error!(error = %e, "the internet audit cannot start");
            return;
        }
    };
    let mut was_online = None;
    loop {
        match round(&lpfr, &mut client, &cfg).await {
            Ok(r) => {
                if was_online != Some(true) {
                    tracing::info!(base = %base_url(&lpfr, &cfg), "connected to the SUF");
                }
                was_online = Some(true);
                if r.delivered > 0 || r.commands > 0 || r.audit_requested {
                    tracing::info!(
                        delivered = r.delivered,
                        rejected = r.rejected.len(),
                        commands = r.commands,
                        audit_requested = r.audit_requested,
                        proof_applied = r.proof_applied,
                        "audit round"
                    );
                }
            }
            Err(e) => {
                lpfr.set_suf_online(false);
                if was_online != Some(false) {
                    tracing::warn!(error = %e, "the SUF is not available; receipts are signed offline and sent later");
                } else {
                    tracing::debug!(error = %e, "the SUF is still not available");
                }
                was_online = Some(false);
            }
        }
        tokio::time::sleep(cfg.interval).await;
    }
}

/// What a local audit did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalReport {
    /// The SE's folder on the medium.
    pub folder: PathBuf,
    /// Results of the commands read from `{UID}.commands`, in order.
    pub results: Vec<CommandResult>,
    /// Whether a proof of audit was applied.
    pub proof_applied: bool,
    /// Package files written.
    pub packages_written: usize,
    /// Package files removed because a proof of audit covers them.
    pub packages_removed: usize,
    /// Whether `{UID}.arp` was written.
    pub arp_written: bool,
}

fn medium_err(path: &Path) -> impl Fn(std::io::Error) -> AuditError + '_ {
    move |e| AuditError::Medium {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn counter_of(name: &str) -> Option<u32> {
    name.strip_suffix(".json")?.rsplit('-').next()?.parse().ok()
}

/// Writes a file of the medium durably and atomically; every failure (fsync included) is reported.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AuditError> {
    fiskal_storage::write_atomic(path, bytes, fiskal_storage::MODE_PUBLIC).map_err(medium_err(path))
}

/// Local audit (suf-backend.md §7) on the medium mounted at `medium`, in the RT-LPFR layout:
///
/// 1. `{UID}/{UID}.commands`, if present, is executed first and `{UID}/{UID}.results` written;
/// 2. package files a proof of audit now covers are removed from the medium;
/// 3. every package the SUF may not have yet is written as `{UID}/{UID}-{UID}-{n}.json`;
/// 4. when receipts are not covered by a proof, an audit is started and `{UID}/{UID}.arp` written
///    (an audit still waiting for its proof is written again instead of starting a new one).
pub async fn local_audit(
    lpfr: &Lpfr,
    medium: &Path,
    encryption_key: &[u8],
) -> Result<LocalReport, AuditError> {
    let uid = lpfr.uid().to_string();
    let dir = medium.join(&uid);
    std::fs::create_dir_all(&dir).map_err(medium_err(&dir))?;
    let mut report = LocalReport {
        folder: dir.clone(),
        ..LocalReport::default()
    };
    // 1. Commands brought back from the authority.
    let cmd_path = dir.join(format!("{uid}.commands"));
    if let Ok(text) = std::fs::read_to_string(&cmd_path) {
        let cmds: Vec<Command> = serde_json::from_str(&text).map_err(|e| AuditError::Medium {
            path: cmd_path.clone(),
            message: format!("not a commands file: {e}"),
        })?;
        let before = state(lpfr).await?.audited_counter;
        report.results = commands::execute_all(lpfr, &cmds).await?;
        report.proof_applied = state(lpfr).await?.audited_counter > before;
        let results_path = dir.join(format!("{uid}.results"));
        let text = serde_json::to_vec_pretty(&report.results)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        write_atomic(&results_path, &text)?;
        let ids: Vec<String> = report
            .results
            .iter()
            .map(|r| r.command_id.clone())
            .collect();
        commands::mark_reported(lpfr, &ids).await?;
    }
    let s = state(lpfr).await?;
    // 2. Packages the authority has confirmed by a proof.
    for d in [dir.clone(), dir.join("Audit")] {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if counter_of(&name).is_some_and(|n| n <= s.audited_counter)
                && std::fs::remove_file(e.path()).is_ok()
            {
                report.packages_removed += 1;
            }
        }
    }
    let arp_path = dir.join(format!("{uid}.arp"));
    if s.pending.is_none() && arp_path.exists() {
        std::fs::remove_file(&arp_path).map_err(medium_err(&arp_path))?;
    }
    // 3. Packages.
    let mut from = sent_counter(lpfr).await?.max(s.audited_counter);
    loop {
        let batch = lpfr.journal().after(from, 256).await?;
        if batch.is_empty() {
            break;
        }
        for r in &batch {
            let name = audit_package::file_name(&uid, &uid, r.total_counter);
            let path = dir.join(&name);
            if !path.exists() {
                let pkg = package_of(r, encryption_key)?;
                let bytes =
                    serde_json::to_vec(&pkg).map_err(|e| PfrError::Internal(e.to_string()))?;
                write_atomic(&path, &bytes)?;
                report.packages_written += 1;
            }
            from = r.total_counter;
        }
    }
    // 4. The audit request.
    let (_, journal_max) = lpfr.journal().count_and_max().await?;
    let pending = match s.pending {
        Some(p) => Some(p),
        None if journal_max > s.audited_counter => Some(start_audit(lpfr).await?),
        None => None,
    };
    if let Some(mut p) = pending {
        let arp = B64
            .decode(&p.arp)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        write_atomic(&arp_path, &arp)?;
        report.arp_written = true;
        if !p.posted {
            p.posted = true;
            let mut s = state(lpfr).await?;
            s.pending = Some(p);
            save_state(lpfr, &s).await?;
        }
    }
    Ok(report)
}
