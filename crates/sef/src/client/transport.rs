//! One call to SEF: the `ApiKey` header, the limiter, and retries with back-off that reuse the
//! same request (`sef-api.md` §10).

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::API_PREFIX;
use super::config::SefClientConfig;
use crate::error::{REQUEST_ID_DUPLICATE_CODE, SefError};
use crate::json::from_slice_ci;
use crate::key::{ApiKey, SefEnvironment};
use crate::limiter::{CallGate, SlidingWindowLimiter};
use crate::model::ErrorBody;

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

/// The body of a call.
pub(super) enum Body {
    None,
    Json(Vec<u8>),
    Xml(Vec<u8>),
}

/// One call: method, path under [`API_PREFIX`], query, body and what it accepts.
pub(super) struct Call<'a> {
    pub(super) method: Method,
    pub(super) path: &'a str,
    pub(super) query: Vec<(&'static str, String)>,
    pub(super) body: Body,
    pub(super) accept: &'static str,
    /// A UBL upload: the longer timeout, and a duplicate `requestId` after an unknown outcome
    /// becomes [`SefError::AcceptedIdsUnknown`].
    pub(super) upload: bool,
}

/// A successful answer.
pub(super) struct Raw {
    pub(super) body: Vec<u8>,
    pub(super) content_type: Option<String>,
}

/// The end of a call after all its attempts.
pub(super) struct Outcome {
    pub(super) result: Result<Raw, SefError>,
    /// An earlier attempt of this call may have reached SEF (5xx, timeout, reset).
    pub(super) retried_after_unknown: bool,
}

/// What one attempt ended with.
enum Attempt {
    /// The call is over, with this result.
    Done(Result<Raw, SefError>),
    /// Try again after the wait, unless the policy says stop (then the error stands).
    Retry(SefError, Duration),
}

/// The back-offs of one call, and whether an attempt may have reached SEF.
struct RetryState {
    backoff: Duration,
    rate_limited_backoff: Duration,
    unknown: bool,
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

    /// The wait after a 5xx, timeout or connection error, doubling the next one.
    fn next_backoff(&self, st: &mut RetryState) -> Duration {
        let w = self.jittered(st.backoff);
        st.backoff = (st.backoff * 2).min(self.inner.cfg.retry.max_backoff);
        w
    }

    /// Runs a call with the retry policy: every attempt passes the limiter and sends the same
    /// request.
    pub(super) async fn run(&self, call: Call<'_>) -> Outcome {
        let policy = &self.inner.cfg.retry;
        let started = Instant::now();
        let mut st = RetryState {
            backoff: policy.initial_backoff,
            rate_limited_backoff: policy.rate_limited_initial,
            unknown: false,
        };
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
            let (err, wait) = match self.attempt(&call, &url, timeout, attempt, &mut st).await {
                Attempt::Done(result) => {
                    return Outcome {
                        result,
                        retried_after_unknown: st.unknown,
                    };
                }
                Attempt::Retry(err, wait) => (err, wait),
            };
            let over_time = policy
                .max_elapsed
                .is_some_and(|m| started.elapsed() + wait > m);
            if attempt >= policy.max_attempts.max(1) || over_time {
                return Outcome {
                    result: Err(err),
                    retried_after_unknown: st.unknown,
                };
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends one attempt of `call` and judges what came back.
    async fn attempt(
        &self,
        call: &Call<'_>,
        url: &str,
        timeout: Duration,
        attempt: u32,
        st: &mut RetryState,
    ) -> Attempt {
        let t0 = Instant::now();
        let mut rb = self
            .inner
            .http
            .request(call.method.clone(), url)
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
        match rb.send().await {
            Ok(resp) => self.answer(call, resp, attempt, t0, st).await,
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
                    st.unknown = true;
                }
                if e.is_builder() {
                    return Attempt::Done(Err(SefError::Config(short(&e))));
                }
                let w = self.next_backoff(st);
                Attempt::Retry(SefError::Unavailable { cause: short(&e) }, w)
            }
        }
    }

    /// Reads and classifies the answer of one attempt.
    async fn answer(
        &self,
        call: &Call<'_>,
        resp: reqwest::Response,
        attempt: u32,
        t0: Instant,
        st: &mut RetryState,
    ) -> Attempt {
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
        let body = match body {
            Err(e) => {
                st.unknown = true;
                let w = self.next_backoff(st);
                return Attempt::Retry(
                    SefError::Unavailable {
                        cause: format!("the answer was cut off ({})", short(&e)),
                    },
                    w,
                );
            }
            Ok(body) => body.to_vec(),
        };
        match classify(status, &body) {
            Ok(()) => Attempt::Done(Ok(Raw { body, content_type })),
            Err(Class::Final(mut e)) => {
                if call.upload && st.unknown && e.error_code() == Some(REQUEST_ID_DUPLICATE_CODE) {
                    let request_id = call
                        .query
                        .iter()
                        .find(|(k, _)| *k == "requestId")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    e = SefError::AcceptedIdsUnknown { request_id };
                }
                Attempt::Done(Err(e))
            }
            Err(Class::RateLimited) => {
                let w = retry_after.unwrap_or(st.rate_limited_backoff);
                st.rate_limited_backoff =
                    (st.rate_limited_backoff * 2).min(self.inner.cfg.retry.rate_limited_max);
                Attempt::Retry(SefError::RateLimited { retry_after }, w)
            }
            Err(Class::ServerError) => {
                st.unknown = true;
                let w = self.next_backoff(st);
                Attempt::Retry(
                    SefError::Unavailable {
                        cause: format!("HTTP {}", status.as_u16()),
                    },
                    w,
                )
            }
        }
    }

    /// Runs a call and reads its JSON answer.
    pub(super) async fn json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, SefError> {
        let raw = self.run(call).await.result?;
        parse_json(&raw.body)
    }

    /// A document-id list (`/ids`): documents in `status` between two dates.
    pub(super) async fn ids<T: DeserializeOwned>(
        &self,
        path: &str,
        status: &str,
        date_from: NaiveDate,
        date_to: NaiveDate,
    ) -> Result<T, SefError> {
        self.json(Self::post(
            path,
            vec![
                ("status", status.to_string()),
                ("dateFrom", date_from.to_string()),
                ("dateTo", date_to.to_string()),
            ],
            Body::None,
        ))
        .await
    }

    /// The status changes of one past day (`/changes`).
    pub(super) async fn changes<T: DeserializeOwned>(
        &self,
        path: &str,
        date: NaiveDate,
    ) -> Result<Vec<T>, SefError> {
        self.json(Self::post(
            path,
            vec![("date", date.to_string())],
            Body::None,
        ))
        .await
    }

    /// A `GET` that accepts JSON.
    pub(super) fn get<'a>(path: &'a str, query: Vec<(&'static str, String)>) -> Call<'a> {
        Call {
            method: Method::GET,
            path,
            query,
            body: Body::None,
            accept: "application/json",
            upload: false,
        }
    }

    /// A `POST` that accepts JSON.
    pub(super) fn post<'a>(
        path: &'a str,
        query: Vec<(&'static str, String)>,
        body: Body,
    ) -> Call<'a> {
        Call {
            method: Method::POST,
            path,
            query,
            body,
            accept: "application/json",
            upload: false,
        }
    }
}

/// A JSON request body.
pub(super) fn json_body<T: Serialize>(value: &T) -> Result<Body, SefError> {
    serde_json::to_vec(value)
        .map(Body::Json)
        .map_err(|e| SefError::Protocol {
            detail: e.to_string(),
        })
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

/// Reads a JSON answer, field names in any letter case.
pub(super) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, SefError> {
    from_slice_ci(body).map_err(|e| SefError::Protocol {
        detail: format!("the JSON answer could not be read ({e})"),
    })
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
