//! Configuration of a client: environment, base URL, timeouts, retries and limits.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use crate::error::SefError;
use crate::key::SefEnvironment;
use crate::limiter::RateLimit;

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
    /// The per-key limiter's limits (used unless a [`crate::limiter::CallGate`] is given).
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
