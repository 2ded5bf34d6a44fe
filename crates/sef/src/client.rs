//! The SEF API client (`sef-api.md` §10): `ApiKey` header, per-key sliding-window limiter,
//! retries with back-off that reuse the same `requestId`, typed errors.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fiskal_sef::SefError> {
//! use fiskal_sef::{ApiKey, SefClient, SefClientConfig, SendToCir, UblUpload};
//! let key = ApiKey::parse("3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90").expect("key format");
//! let client = SefClient::new(SefClientConfig::sandbox("http://127.0.0.1:8787"), key)?;
//! let version = client.check_key().await?;
//! let ids = client
//!     .send_ubl(&UblUpload::new(b"<Invoice/>".to_vec(), fiskal_sef::new_request_id()))
//!     .await?;
//! # let _ = (version, ids, SendToCir::No); Ok(()) }
//! ```

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::error::{REQUEST_ID_DUPLICATE_CODE, SefError};
use crate::json::from_slice_ci;
use crate::key::{ApiKey, SefEnvironment};
use crate::limiter::{CallGate, RateLimit, SlidingWindowLimiter};
use crate::model::*;

/// Path prefix of every public operation.
pub const API_PREFIX: &str = "/api/publicApi";

/// Retry policy (`sef-api.md` §10 point 2).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// First back-off after a 5xx / timeout / connection error (default 1 s), doubled each time.
    pub initial_backoff: Duration,
    /// Cap of that back-off (default 5 min).
    pub max_backoff: Duration,
    /// First wait after a 429 without `Retry-After` (default 1 s), doubled each time.
    pub rate_limited_initial: Duration,
    /// Cap of the 429 wait (default 30 s).
    pub rate_limited_max: Duration,
    /// Relative jitter applied to the 5xx back-off (default 0.2 = ±20 %).
    pub jitter: f64,
    /// Give up when the next wait would end later than this after the call started.
    pub max_elapsed: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            rate_limited_initial: Duration::from_secs(1),
            rate_limited_max: Duration::from_secs(30),
            jitter: 0.2,
            max_elapsed: Some(Duration::from_secs(600)),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (one attempt).
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }
}

/// Configuration of one client.
#[derive(Debug, Clone)]
pub struct SefClientConfig {
    /// The environment; the base URL must match it.
    pub environment: SefEnvironment,
    /// Base URL without the `/api/publicApi` prefix.
    pub base_url: String,
    /// TCP/TLS connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Timeout of a UBL upload (default 120 s).
    pub upload_timeout: Duration,
    /// Timeout of every other call (default 30 s).
    pub call_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// The per-key limiter's limits (used unless a [`CallGate`] is given).
    pub rate_limit: RateLimit,
}

impl SefClientConfig {
    fn with(environment: SefEnvironment, base_url: &str) -> SefClientConfig {
        SefClientConfig {
            environment,
            base_url: base_url.to_string(),
            connect_timeout: Duration::from_secs(10),
            upload_timeout: Duration::from_secs(120),
            call_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            rate_limit: RateLimit::default(),
        }
    }

    /// Production SEF, `https://efaktura.mfin.gov.rs`.
    pub fn production() -> SefClientConfig {
        SefClientConfig::with(SefEnvironment::Production, "https://efaktura.mfin.gov.rs")
    }

    /// SEF's demo system, `https://demoefaktura.mfin.gov.rs`.
    pub fn demo() -> SefClientConfig {
        SefClientConfig::with(SefEnvironment::Demo, "https://demoefaktura.mfin.gov.rs")
    }

    /// fiskal's sandbox at a loopback base URL such as `http://127.0.0.1:8787`.
    pub fn sandbox(base_url: &str) -> SefClientConfig {
        SefClientConfig::with(SefEnvironment::Sandbox, base_url)
    }

    /// Checks the base URL (`sef-api.md` §10 point 6): `https` for production and demo, `http`
    /// only for a loopback sandbox.
    pub fn validate(&self) -> Result<Url, SefError> {
        let url = Url::parse(self.base_url.trim_end_matches('/'))
            .map_err(|e| SefError::Config(format!("the base URL is not a URL ({e})")))?;
        let loopback = match url.host_str() {
            Some(h) if h.eq_ignore_ascii_case("localhost") => true,
            Some(h) => h
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|a| a.is_loopback()),
            None => false,
        };
        match self.environment {
            SefEnvironment::Production | SefEnvironment::Demo => {
                if url.scheme() != "https" {
                    return Err(SefError::Config(format!(
                        "the {} environment must be reached over https",
                        self.environment.as_str()
                    )));
                }
            }
            SefEnvironment::Sandbox => {
                if !loopback {
                    return Err(SefError::Config(
                        "the sandbox must be on a loopback address (127.0.0.1, ::1 or localhost)"
                            .into(),
                    ));
                }
                if url.scheme() != "http" && url.scheme() != "https" {
                    return Err(SefError::Config(
                        "the sandbox URL must be http or https".into(),
                    ));
                }
            }
        }
        Ok(url)
    }
}

/// One UBL upload (`sef-api.md` §7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UblUpload {
    /// The UTF-8 UBL document.
    pub xml: Vec<u8>,
    /// The idempotency key, reused unchanged on every retry of these bytes.
    pub request_id: String,
    /// `sendToCir` (default `No`).
    pub send_to_cir: SendToCir,
    /// `executeValidation` (default `true`).
    pub execute_validation: bool,
}

impl UblUpload {
    /// An upload with `sendToCir=No` and `executeValidation=true`.
    pub fn new(xml: Vec<u8>, request_id: impl Into<String>) -> UblUpload {
        UblUpload {
            xml,
            request_id: request_id.into(),
            send_to_cir: SendToCir::No,
            execute_validation: true,
        }
    }
}

/// A fresh `requestId`: a random UUID v4, lowercase and hyphenated (`sef-api.md` §6).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Result of a PDF download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfDownload {
    /// The PDF bytes.
    Pdf(Vec<u8>),
    /// SEF is still rendering; poll again later. Carries SEF's message.
    Initiated(String),
}

/// The SEF client for one (environment, key). Cheap to clone; clones share the limiter.
#[derive(Clone)]
pub struct SefClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    cfg: SefClientConfig,
    base: String,
    key: ApiKey,
    key_header: HeaderValue,
    gate: Arc<dyn CallGate>,
}

impl std::fmt::Debug for SefClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SefClient")
            .field("environment", &self.inner.cfg.environment)
            .field("base_url", &self.inner.base)
            .field("key", &self.inner.key)
            .finish()
    }
}

enum Body {
    None,
    Json(Vec<u8>),
    Xml(Vec<u8>),
}

struct Call<'a> {
    method: Method,
    path: &'a str,
    query: Vec<(&'static str, String)>,
    body: Body,
    accept: &'static str,
    upload: bool,
}

struct Raw {
    body: Vec<u8>,
    content_type: Option<String>,
}

struct Outcome {
    result: Result<Raw, SefError>,
    /// An earlier attempt of this call may have reached SEF (5xx, timeout, reset).
    retried_after_unknown: bool,
}

impl SefClient {
    /// A client using the process-wide limiter shared by every client of the same key and base
    /// URL.
    pub fn new(cfg: SefClientConfig, key: ApiKey) -> Result<SefClient, SefError> {
        let url = cfg.validate()?;
        let gate = SlidingWindowLimiter::shared_for(url.as_str(), key.expose(), cfg.rate_limit);
        SefClient::with_call_gate(cfg, key, gate)
    }

    /// A client that passes every call through `gate` (e.g. a limiter in the service's shared
    /// store).
    pub fn with_call_gate(
        cfg: SefClientConfig,
        key: ApiKey,
        gate: Arc<dyn CallGate>,
    ) -> Result<SefClient, SefError> {
        let url = cfg.validate()?;
        let http = reqwest::Client::builder()
            // Below the servers' 10 s header-read timeout (fiskal-web).
            .pool_idle_timeout(std::time::Duration::from_secs(5))
            .connect_timeout(cfg.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SefError::Config(format!("the HTTP client could not be built ({e})")))?;
        let mut key_header = HeaderValue::from_str(key.expose())
            .map_err(|_| SefError::Config("the API key is not a valid header value".into()))?;
        key_header.set_sensitive(true);
        Ok(SefClient {
            inner: Arc::new(Inner {
                http,
                base: url.as_str().trim_end_matches('/').to_string(),
                cfg,
                key,
                key_header,
                gate,
            }),
        })
    }

    /// The environment this client talks to.
    pub fn environment(&self) -> SefEnvironment {
        self.inner.cfg.environment
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The last four characters of the key (for logs).
    pub fn key_last4(&self) -> &str {
        self.inner.key.last4()
    }

    fn jittered(&self, d: Duration) -> Duration {
        let j = self.inner.cfg.retry.jitter.clamp(0.0, 1.0);
        let f = 1.0 + j * (fastrand::f64() * 2.0 - 1.0);
        d.mul_f64(f.max(0.0))
    }

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    async fn run(&self, call: Call<'_>) -> Outcome {
        let policy = &self.inner.cfg.retry;
        let started = Instant::now();
        let mut backoff = policy.initial_backoff;
        let mut rl_backoff = policy.rate_limited_initial;
        let mut unknown = false;
        let mut attempt = 0u32;
        let url = format!("{}{}{}", self.inner.base, API_PREFIX, call.path);
        let timeout = if call.upload {
            self.inner.cfg.upload_timeout
        } else {
            self.inner.cfg.call_timeout
        };
        loop {
            attempt += 1;
            self.inner.gate.acquire().await;
            let t0 = Instant::now();
            let mut rb = self
                .inner
                .http
                .request(call.method.clone(), &url)
                .timeout(timeout)
                .header("ApiKey", self.inner.key_header.clone())
                .header(ACCEPT, call.accept);
            if !call.query.is_empty() {
                rb = rb.query(&call.query);
            }
            rb = match &call.body {
                Body::None => rb,
                Body::Json(b) => rb.header(CONTENT_TYPE, "application/json").body(b.clone()),
                Body::Xml(b) => rb.header(CONTENT_TYPE, "application/xml").body(b.clone()),
            };
            let sent = rb.send().await;
            let (err, wait) = match sent {
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = resp
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let content_type = resp
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let body = resp.bytes().await;
                    tracing::info!(
                        method = %call.method,
                        path = call.path,
                        status = status.as_u16(),
                        attempt,
                        duration_ms = t0.elapsed().as_millis() as u64,
                        key = self.inner.key.last4(),
                        "SEF call"
                    );
                    match body {
                        Err(e) => {
                            unknown = true;
                            let w = self.jittered(backoff);
                            backoff = (backoff * 2).min(policy.max_backoff);
                            (
                                SefError::Unavailable {
                                    cause: format!("the answer was cut off ({})", short(&e)),
                                },
                                w,
                            )
                        }
                        Ok(body) => {
                            let body = body.to_vec();
                            match classify(status, &body) {
                                Ok(()) => {
                                    return Outcome {
                                        result: Ok(Raw { body, content_type }),
                                        retried_after_unknown: unknown,
                                    };
                                }
                                Err(Class::Final(mut e)) => {
                                    if call.upload
                                        && unknown
                                        && e.error_code() == Some(REQUEST_ID_DUPLICATE_CODE)
                                    {
                                        let request_id = call
                                            .query
                                            .iter()
                                            .find(|(k, _)| *k == "requestId")
                                            .map(|(_, v)| v.clone())
                                            .unwrap_or_default();
                                        e = SefError::AcceptedIdsUnknown { request_id };
                                    }
                                    return Outcome {
                                        result: Err(e),
                                        retried_after_unknown: unknown,
                                    };
                                }
                                Err(Class::RateLimited) => {
                                    let w = retry_after.unwrap_or(rl_backoff);
                                    rl_backoff = (rl_backoff * 2).min(policy.rate_limited_max);
                                    (SefError::RateLimited { retry_after }, w)
                                }
                                Err(Class::ServerError) => {
                                    unknown = true;
                                    let w = self.jittered(backoff);
                                    backoff = (backoff * 2).min(policy.max_backoff);
                                    (
                                        SefError::Unavailable {
                                            cause: format!("HTTP {}", status.as_u16()),
                                        },
                                        w,
                                    )
                                }
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::info!(
                        method = %call.method,
                        path = call.path,
                        attempt,
                        error = %short(&e),
                        key = self.inner.key.last4(),
                        "SEF call failed"
                    );
                    if !e.is_connect() {
                        unknown = true;
                    }
                    if e.is_builder() {
                        return Outcome {
                            result: Err(SefError::Config(short(&e))),
                            retried_after_unknown: unknown,
                        };
                    }
                    let w = self.jittered(backoff);
                    backoff = (backoff * 2).min(policy.max_backoff);
                    (SefError::Unavailable { cause: short(&e) }, w)
                }
            };
            let over_time = policy
                .max_elapsed
                .is_some_and(|m| started.elapsed() + wait > m);
            if attempt >= policy.max_attempts.max(1) || over_time {
                return Outcome {
                    result: Err(err),
                    retried_after_unknown: unknown,
                };
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, SefError> {
        let raw = self.run(call).await.result?;
        parse_json(&raw.body)
    }

    fn get<'a>(path: &'a str, query: Vec<(&'static str, String)>) -> Call<'a> {
        Call {
            method: Method::GET,
            path,
            query,
            body: Body::None,
            accept: "application/json",
            upload: false,
        }
    }

    fn post<'a>(path: &'a str, query: Vec<(&'static str, String)>, body: Body) -> Call<'a> {
        Call {
            method: Method::POST,
            path,
            query,
            body,
            accept: "application/json",
            upload: false,
        }
    }

    /// §7.1: the key and liveness check. `Ok` proves the key is known, active and of this
    /// environment; `Err(SefError::InvalidKey)` that it is not.
    pub async fn check_key(&self) -> Result<VersionInfo, SefError> {
        self.json(Self::get("/getEfakturaVersion", vec![])).await
    }

    /// §7.2: uploads one UBL document. Every retry (429, 5xx, timeouts, resets) reuses the same
    /// `requestId` and bytes. A `UBLUploadRequestIdDuplicate` after an attempt with unknown outcome
    /// becomes [`SefError::AcceptedIdsUnknown`].
    pub async fn send_ubl(&self, upload: &UblUpload) -> Result<UploadResponse, SefError> {
        if upload.request_id.trim().is_empty() {
            return Err(SefError::Config("an upload needs a requestId".into()));
        }
        let call = Call {
            method: Method::POST,
            path: "/sales-invoice/ubl",
            query: vec![
                ("requestId", upload.request_id.clone()),
                ("sendToCir", upload.send_to_cir.as_str().to_string()),
                ("executeValidation", upload.execute_validation.to_string()),
            ],
            body: Body::Xml(upload.xml.clone()),
            accept: "application/json",
            upload: true,
        };
        self.json(call).await
    }

    /// §7.3: the status record of a sales document.
    pub async fn get_sales_invoice(
        &self,
        sales_invoice_id: i64,
    ) -> Result<SalesInvoiceRecord, SefError> {
        self.json(Self::get(
            "/sales-invoice",
            vec![("invoiceId", sales_invoice_id.to_string())],
        ))
        .await
    }

    /// §7.4: cancels a sales document. If an earlier attempt may have succeeded and the retry is
    /// refused because of the status, the status is read back and a `Cancelled` document counts
    /// as success.
    pub async fn cancel_sales_invoice(
        &self,
        sales_invoice_id: i64,
        comment: &str,
    ) -> Result<SalesInvoiceActionResult, SefError> {
        let body = serde_json::to_vec(&CancelRequest {
            invoice_id: sales_invoice_id,
            cancel_comments: Some(comment.to_string()),
        })
        .map_err(|e| SefError::Protocol {
            detail: e.to_string(),
        })?;
        let out = self
            .run(Self::post(
                "/sales-invoice/cancel",
                vec![],
                Body::Json(body),
            ))
            .await;
        self.action_result(out, sales_invoice_id, SalesInvoiceStatus::Cancelled)
            .await
    }

    /// §7.5: stornoes a sales document (same retry safety as cancel).
    pub async fn storno_sales_invoice(
        &self,
        sales_invoice_id: i64,
        storno_number: Option<&str>,
        comment: &str,
    ) -> Result<SalesInvoiceActionResult, SefError> {
        let body = serde_json::to_vec(&StornoRequest {
            invoice_id: sales_invoice_id,
            storno_number: storno_number.map(str::to_string),
            storno_comment: Some(comment.to_string()),
        })
        .map_err(|e| SefError::Protocol {
            detail: e.to_string(),
        })?;
        let out = self
            .run(Self::post(
                "/sales-invoice/storno",
                vec![],
                Body::Json(body),
            ))
            .await;
        self.action_result(out, sales_invoice_id, SalesInvoiceStatus::Storno)
            .await
    }

    async fn action_result(
        &self,
        out: Outcome,
        id: i64,
        target: SalesInvoiceStatus,
    ) -> Result<SalesInvoiceActionResult, SefError> {
        match out.result {
            Ok(raw) => parse_json(&raw.body),
            Err(e @ SefError::Rejected { .. }) if out.retried_after_unknown => {
                let rec = self.get_sales_invoice(id).await?;
                if rec.status == target {
                    Ok(SalesInvoiceActionResult {
                        invoice_id: Some(rec.invoice_id),
                        invoice_number: None,
                        glob_uniq_id: rec.glob_uniq_id,
                        status: rec.status,
                        storno_number: None,
                    })
                } else {
                    Err(e)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// §7.6: ids of sales documents in `status` between two dates (`YYYY-MM-DD`).
    pub async fn sales_invoice_ids(
        &self,
        status: SalesInvoiceStatus,
        date_from: NaiveDate,
        date_to: NaiveDate,
    ) -> Result<Vec<i64>, SefError> {
        let r: SalesInvoiceIds = self
            .json(Self::post(
                "/sales-invoice/ids",
                vec![
                    ("status", status.as_str().to_string()),
                    ("dateFrom", date_from.to_string()),
                    ("dateTo", date_to.to_string()),
                ],
                Body::None,
            ))
            .await?;
        Ok(r.sales_invoice_ids)
    }

    /// §7.6: status changes of the company's sales documents on a past day.
    pub async fn sales_invoice_changes(
        &self,
        date: NaiveDate,
    ) -> Result<Vec<SalesStatusChange>, SefError> {
        self.json(Self::post(
            "/sales-invoice/changes",
            vec![("date", date.to_string())],
            Body::None,
        ))
        .await
    }

    /// §7.7: deletes a `Draft`/`New` sales document.
    pub async fn delete_sales_invoice(&self, sales_invoice_id: i64) -> Result<(), SefError> {
        let path = format!("/sales-invoice/{sales_invoice_id}");
        let call = Call {
            method: Method::DELETE,
            path: &path,
            query: vec![],
            body: Body::None,
            accept: "application/json",
            upload: false,
        };
        self.run(call).await.result.map(|_| ())
    }

    async fn download(&self, path: &str, id: i64) -> Result<Raw, SefError> {
        let call = Call {
            method: Method::GET,
            path,
            query: vec![("invoiceId", id.to_string())],
            body: Body::None,
            accept: "*/*",
            upload: false,
        };
        self.run(call).await.result
    }

    /// §7.9: the download envelope of a sales document (use
    /// [`crate::xml::extract_envelope_document`] for the UBL inside).
    pub async fn sales_invoice_xml(&self, sales_invoice_id: i64) -> Result<String, SefError> {
        let raw = self
            .download("/sales-invoice/xml", sales_invoice_id)
            .await?;
        String::from_utf8(raw.body).map_err(|_| SefError::Protocol {
            detail: "the XML is not UTF-8".into(),
        })
    }

    /// §7.9: SEF's PDF of a sales document.
    pub async fn sales_invoice_pdf(&self, sales_invoice_id: i64) -> Result<PdfDownload, SefError> {
        let raw = self
            .download("/sales-invoice/pdf", sales_invoice_id)
            .await?;
        Ok(pdf_download(raw))
    }

    /// §7.9: SEF's signature file of a sales document.
    pub async fn sales_invoice_signature(
        &self,
        sales_invoice_id: i64,
    ) -> Result<Vec<u8>, SefError> {
        Ok(self
            .download("/sales-invoice/signature", sales_invoice_id)
            .await?
            .body)
    }

    /// §7.8: the status record of a purchase document.
    pub async fn get_purchase_invoice(
        &self,
        purchase_invoice_id: i64,
    ) -> Result<PurchaseInvoiceRecord, SefError> {
        self.json(Self::get(
            "/purchase-invoice",
            vec![("invoiceId", purchase_invoice_id.to_string())],
        ))
        .await
    }

    /// §7.8: ids of purchase documents in `status` between two dates.
    pub async fn purchase_invoice_ids(
        &self,
        status: PurchaseInvoiceStatus,
        date_from: NaiveDate,
        date_to: NaiveDate,
    ) -> Result<Vec<i64>, SefError> {
        let r: PurchaseInvoiceIds = self
            .json(Self::post(
                "/purchase-invoice/ids",
                vec![
                    ("status", status.as_str().to_string()),
                    ("dateFrom", date_from.to_string()),
                    ("dateTo", date_to.to_string()),
                ],
                Body::None,
            ))
            .await?;
        Ok(r.purchase_invoice_ids)
    }

    /// §7.8: status changes of the company's purchase documents on a past day.
    pub async fn purchase_invoice_changes(
        &self,
        date: NaiveDate,
    ) -> Result<Vec<PurchaseStatusChange>, SefError> {
        self.json(Self::post(
            "/purchase-invoice/changes",
            vec![("date", date.to_string())],
            Body::None,
        ))
        .await
    }

    /// §7.8: overview of purchase documents.
    pub async fn purchase_invoice_overview(
        &self,
        status: Option<PurchaseInvoiceStatus>,
        date_from: NaiveDate,
        date_to: NaiveDate,
    ) -> Result<Vec<PurchaseOverviewRow>, SefError> {
        let mut q = vec![
            ("dateFrom", date_from.to_string()),
            ("dateTo", date_to.to_string()),
        ];
        if let Some(s) = status {
            q.insert(0, ("status", s.as_str().to_string()));
        }
        self.json(Self::get("/purchase-invoice/overview", q)).await
    }

    /// §7.8: accepts or rejects an incoming document as the buyer. `Success: false` becomes
    /// [`SefError::Rejected`] with an empty code.
    pub async fn accept_reject_purchase_invoice(
        &self,
        purchase_invoice_id: i64,
        accepted: bool,
        comment: Option<&str>,
    ) -> Result<AcceptRejectResponse, SefError> {
        let body = serde_json::to_vec(&AcceptRejectRequest {
            invoice_id: purchase_invoice_id,
            accepted,
            comment: comment.map(str::to_string),
        })
        .map_err(|e| SefError::Protocol {
            detail: e.to_string(),
        })?;
        let r: AcceptRejectResponse = self
            .json(Self::post(
                "/purchase-invoice/acceptRejectPurchaseInvoice",
                vec![],
                Body::Json(body),
            ))
            .await?;
        if r.success {
            Ok(r)
        } else {
            Err(SefError::Rejected {
                code: String::new(),
                field_name: None,
                message: r.message,
            })
        }
    }

    /// §7.8: the download envelope of a purchase document.
    pub async fn purchase_invoice_xml(&self, purchase_invoice_id: i64) -> Result<String, SefError> {
        let raw = self
            .download("/purchase-invoice/xml", purchase_invoice_id)
            .await?;
        String::from_utf8(raw.body).map_err(|_| SefError::Protocol {
            detail: "the XML is not UTF-8".into(),
        })
    }

    /// §7.8: SEF's PDF of a purchase document.
    pub async fn purchase_invoice_pdf(
        &self,
        purchase_invoice_id: i64,
    ) -> Result<PdfDownload, SefError> {
        let raw = self
            .download("/purchase-invoice/pdf", purchase_invoice_id)
            .await?;
        Ok(pdf_download(raw))
    }

    /// §7.10: SEF's units of measure.
    pub async fn unit_measures(&self) -> Result<Vec<UnitMeasure>, SefError> {
        self.json(Self::get("/get-unit-measures", vec![])).await
    }

    /// §7.10: SEF's VAT exemption reasons.
    pub async fn vat_exemption_reasons(&self) -> Result<Vec<VatExemptionReason>, SefError> {
        self.json(Self::get(
            "/sales-invoice/getValueAddedTaxExemptionReasonList",
            vec![],
        ))
        .await
    }

    /// §7.11: whether a company is registered on SEF.
    pub async fn check_company_registered(
        &self,
        registration_number: &str,
        vat_number: &str,
        jbkjs: Option<&str>,
    ) -> Result<bool, SefError> {
        let body = serde_json::to_vec(&CompanyCheckRequest {
            registration_number: Some(registration_number.to_string()),
            vat_number: Some(vat_number.to_string()),
            jbkjs: jbkjs.map(str::to_string),
        })
        .map_err(|e| SefError::Protocol {
            detail: e.to_string(),
        })?;
        let r: CompanyRegistrationCheck = self
            .json(Self::post(
                "/Company/CheckIfCompanyRegisteredOnEfaktura",
                vec![],
                Body::Json(body),
            ))
            .await?;
        Ok(r.e_faktura_registered_company)
    }

    /// §7.11: every registered company (large on production).
    pub async fn all_companies(
        &self,
        include_all_statuses: bool,
    ) -> Result<Vec<RegisteredCompany>, SefError> {
        self.json(Self::get(
            "/getAllCompanies",
            vec![("includeAllStatuses", include_all_statuses.to_string())],
        ))
        .await
    }

    /// §7.12: subscribes to next day's status callbacks; returns the subscription key (quotes
    /// stripped).
    pub async fn subscribe(&self) -> Result<String, SefError> {
        let raw = self
            .run(Call {
                method: Method::POST,
                path: "/subscribe",
                query: vec![],
                body: Body::None,
                accept: "*/*",
                upload: false,
            })
            .await
            .result?;
        let text = String::from_utf8_lossy(&raw.body);
        Ok(text.trim().trim_matches('"').to_string())
    }
}

enum Class {
    Final(SefError),
    RateLimited,
    ServerError,
}

fn classify(status: StatusCode, body: &[u8]) -> Result<(), Class> {
    match status.as_u16() {
        200..=299 => Ok(()),
        400 => {
            let parsed: Result<ErrorBody, _> = from_slice_ci(body);
            Err(Class::Final(match parsed {
                Ok(b) => SefError::from_error_body(b),
                Err(_) => SefError::Rejected {
                    code: String::new(),
                    field_name: None,
                    message: Some(String::from_utf8_lossy(body).chars().take(500).collect()),
                },
            }))
        }
        401 | 403 => Err(Class::Final(SefError::InvalidKey)),
        404 => Err(Class::Final(SefError::NotFound)),
        415 => Err(Class::Final(SefError::Protocol {
            detail: "SEF refused the content type of the upload (HTTP 415)".into(),
        })),
        429 => Err(Class::RateLimited),
        500..=599 => Err(Class::ServerError),
        other => Err(Class::Final(SefError::Protocol {
            detail: format!("unexpected HTTP status {other}"),
        })),
    }
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, SefError> {
    from_slice_ci(body).map_err(|e| SefError::Protocol {
        detail: format!("the JSON answer could not be read ({e})"),
    })
}

fn pdf_download(raw: Raw) -> PdfDownload {
    let is_json = raw
        .content_type
        .as_deref()
        .is_some_and(|c| c.contains("json") || c.starts_with("text/"));
    if is_json && !raw.body.starts_with(b"%PDF") {
        let text = String::from_utf8_lossy(&raw.body).into_owned();
        let msg = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                crate::json::normalize_keys(v)
                    .get("message")
                    .and_then(|m| m.as_str().map(str::to_string))
            })
            .unwrap_or(text);
        PdfDownload::Initiated(msg)
    } else {
        PdfDownload::Pdf(raw.body)
    }
}

fn short(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "connection closed while reading the answer"
    } else if e.is_request() {
        "the request could not be completed"
    } else {
        "transport error"
    };
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = src {
        detail = s.to_string();
        src = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        assert!(SefClientConfig::production().validate().is_ok());
        assert!(
            SefClientConfig::sandbox("http://127.0.0.1:8787")
                .validate()
                .is_ok()
        );
        assert!(
            SefClientConfig::sandbox("http://localhost:8787/")
                .validate()
                .is_ok()
        );
        assert!(
            SefClientConfig::sandbox("http://[::1]:8787")
                .validate()
                .is_ok()
        );
        assert!(
            SefClientConfig::sandbox("http://10.0.0.5:8787")
                .validate()
                .is_err()
        );
        let mut p = SefClientConfig::production();
        p.base_url = "http://efaktura.mfin.gov.rs".into();
        assert!(p.validate().is_err());
    }

    #[test]
    fn client_debug_hides_key() {
        let k = ApiKey::parse("3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90").unwrap();
        let c = SefClient::new(SefClientConfig::sandbox("http://127.0.0.1:1"), k).unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("0d6e1f2a7b90"), "{d}");
        assert!(d.contains("ApiKey(***)"));
    }
}
