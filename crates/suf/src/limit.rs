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

/// Counts attempts per client IP in fixed windows.
#[derive(Debug)]
pub struct AttemptLimiter {
    max: u32,
    window_ms: i64,
    clients: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl AttemptLimiter {
    /// A limiter allowing `max` attempts per `window_ms`.
    pub fn new(max: u32, window_ms: i64) -> AttemptLimiter {
        AttemptLimiter {
            max,
            window_ms,
            clients: Mutex::default(),
        }
    }

    /// Records an attempt of `ip` at `now_ms`; false when it is over the limit.
    pub fn allow(&self, ip: IpAddr, now_ms: i64) -> bool {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= MAX_CLIENTS {
            let window = self.window_ms;
            clients.retain(|_, (start, _)| now_ms - *start < window);
        }
        let entry = clients.entry(ip).or_insert((now_ms, 0));
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
                Html(
                    "<!doctype html><html lang=\"sr\"><meta charset=\"utf-8\">\
                     <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
                     <title>Превише покушаја</title><body style=\"font-family:sans-serif;margin:1rem\">\
                     <h1 id=\"too-many\">Превише покушаја</h1><p>Са ове адресе је стигло превише \
                     провера за кратко време. Покушајте поново за минут.</p></body></html>",
                ),
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
}
