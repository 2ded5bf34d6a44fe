//! The service's settings (`moje-fakture.md` §13 and the sender's timings).

use std::time::Duration;

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
