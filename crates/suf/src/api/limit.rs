//! Attempt limits for the public lookups a person could brute-force: the manual check
//! (`POST /v/manual`, where amount and minute could be guessed for a known invoice number) and
//! `POST /specifications`. Per client IP, a fixed window; a client over the limit gets 429 with
//! `Retry-After`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

/// Attempts allowed per client and window.
pub const MAX_ATTEMPTS: u32 = 30;
/// Window length, ms.
pub const WINDOW_MS: i64 = 60_000;
/// Clients remembered at most; older windows are dropped first.
const MAX_CLIENTS: usize = 50_000;

/// Counts attempts per client in fixed windows. A client is an IPv4 address or an IPv6 /64
/// (one subscriber's prefix, so rotating addresses inside it does not help). When the table is
/// full of clients active in the current window, new clients are refused until windows expire:
/// the limiter fails closed rather than letting a flood bypass it.
#[derive(Debug)]
pub struct AttemptLimiter {
    max: u32,
    window_ms: i64,
    state: Mutex<LimiterState>,
}

#[derive(Debug, Default)]
struct LimiterState {
    clients: HashMap<IpAddr, (i64, u32)>,
    last_prune_ms: i64,
}

/// The key a client is counted under.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl AttemptLimiter {
    /// A limiter allowing `max` attempts per `window_ms`.
    pub fn new(max: u32, window_ms: i64) -> AttemptLimiter {
        AttemptLimiter {
            max,
            window_ms,
            state: Mutex::default(),
        }
    }

    /// Records an attempt of `ip` at `now_ms`; false when it is over the limit.
    pub fn allow(&self, ip: IpAddr, now_ms: i64) -> bool {
        self.allow_within(ip, now_ms, MAX_CLIENTS)
    }

    fn allow_within(&self, ip: IpAddr, now_ms: i64, max_clients: usize) -> bool {
        let key = client_key(ip);
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !st.clients.contains_key(&key) && st.clients.len() >= max_clients {
            // Prune expired windows at most once a second; refuse newcomers while still full.
            if now_ms - st.last_prune_ms >= 1_000 {
                let window = self.window_ms;
                st.clients.retain(|_, (start, _)| now_ms - *start < window);
                st.last_prune_ms = now_ms;
            }
            if st.clients.len() >= max_clients {
                return false;
            }
        }
        let entry = st.clients.entry(key).or_insert((now_ms, 0));
        if now_ms - entry.0 >= self.window_ms {
            *entry = (now_ms, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= self.max
    }
}

impl Default for AttemptLimiter {
    fn default() -> AttemptLimiter {
        AttemptLimiter::new(MAX_ATTEMPTS, WINDOW_MS)
    }
}

/// Middleware: POST requests beyond the limit get 429 (an HTML page, or JSON for
/// `/specifications`). Without connection info (in-process tests) nothing is limited.
pub async fn limit_posts(
    State(limiter): State<Arc<AttemptLimiter>>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() == Method::POST
        && let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>()
        && !limiter.allow(addr.ip(), chrono::Utc::now().timestamp_millis())
    {
        tracing::warn!(client = %addr.ip(), path = req.uri().path(), "too many lookups");
        let retry = [(header::RETRY_AFTER, (WINDOW_MS / 1000).to_string())];
        return if req.uri().path().starts_with("/specifications") {
            (
                StatusCode::TOO_MANY_REQUESTS,
                retry,
                axum::Json(serde_json::json!({ "success": false, "items": [] })),
            )
                .into_response()
        } else {
            (
                StatusCode::TOO_MANY_REQUESTS,
                retry,
                Html(super::page::manual::too_many(
                    fiskal_web::extract::negotiate(
                        req.uri().query(),
                        req.headers(),
                        fiskal_domain::lang::PAGES,
                    )
                    .unwrap_or_default(),
                )),
            )
                .into_response()
        };
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_client_and_window() {
        let l = AttemptLimiter::new(3, 1_000);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!((0..3).all(|_| l.allow(a, 0)));
        assert!(!l.allow(a, 500), "fourth attempt in the window");
        assert!(l.allow(b, 500), "another client is not affected");
        assert!(l.allow(a, 1_000), "a new window starts");
    }

    #[test]
    fn ipv6_counts_per_64_and_a_full_table_refuses_newcomers() {
        let l = AttemptLimiter::new(2, 1_000);
        let x: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let y: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(l.allow(x, 0) && l.allow(y, 0));
        assert!(!l.allow(x, 0), "same /64");
        let l = AttemptLimiter::new(5, 1_000);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(l.allow_within(a, 0, 1));
        assert!(!l.allow_within(b, 10, 1), "table full");
        assert!(l.allow_within(a, 20, 1), "known clients go on");
        assert!(l.allow_within(b, 2_000, 1), "after the window, room again");
    }
}
