//! The client of the SUF's E-SDC services (token, status, commands, audit packages, proof).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_se::audit_package::{AuditPackage, AuditStatus};
use serde_json::Value;

use super::AuditError;
use super::state::{PendingAudit, now_ms};
use crate::commands::{Command, CommandResult};
use crate::service::Lpfr;

/// Header naming the SE on a plain-HTTP SUF (docs/suf-formats.md).
pub const CLIENT_UID_HEADER: &str = "X-Fiskal-Client-Uid";
/// Header carrying the token.
pub const TOKEN_HEADER: &str = "TaxCoreAuthenticationToken";

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

    pub(super) async fn encryption_key(&mut self, base: &str) -> Result<Vec<u8>, AuditError> {
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
    ) -> Result<(AuditStatus, String, Vec<Command>), AuditError> {
        let url = join(base, "api/v3/sdc/audit");
        let r = self
            .authed(base, |c, t| c.post(&url).header(TOKEN_HEADER, t).json(pkg))
            .await?;
        let v = Self::json(r).await?;
        let status = v["status"]
            .as_u64()
            .and_then(|s| u8::try_from(s).ok())
            .map(AuditStatus::from)
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
