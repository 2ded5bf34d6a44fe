//! One middleware stack for every server ([`layers`]), the extra layers of pages for people
//! ([`pages`]: security headers and CSRF protection) and of signed-in pages ([`no_store`]),
//! configured by one [`Policy`].

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponseParts, Response, ResponseParts};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::cookie::{CookieError, SetCookie};
use crate::csrf::{self, CsrfCheck};
use crate::extract::{REQUEST_ID_HEADER, RequestId};

/// Largest request body by default: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The Content-Security-Policy of pages: resources only from the page's own origin, no inline
/// script or style, no plug-ins, forms only to the same origin, never inside a frame.
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// How a server's layers behave: its public URL (for the CSRF origin check and `Secure`
/// cookies), the body limit and the Content-Security-Policy of its pages.
#[derive(Debug, Clone)]
pub struct Policy {
    public_origin: Option<String>,
    https: bool,
    body_limit: usize,
    csp: HeaderValue,
}

/// A public URL that is not an absolute `http`/`https` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the public URL {0:?} is not an absolute http:// or https:// URL with a host")]
pub struct PolicyError(pub String);

impl Default for Policy {
    fn default() -> Policy {
        Policy::new()
    }
}

impl Policy {
    /// No public URL (the request's `Host` is the origin, cookies without `Secure`), a body limit
    /// of [`DEFAULT_BODY_LIMIT`] and [`DEFAULT_CSP`].
    pub fn new() -> Policy {
        Policy {
            public_origin: None,
            https: false,
            body_limit: DEFAULT_BODY_LIMIT,
            csp: HeaderValue::from_static(DEFAULT_CSP),
        }
    }

    /// The URL people reach the server by (e.g. `https://suf.example/` or the verification URL
    /// prefix): its origin is trusted by the CSRF check, and an `https` URL makes every cookie of
    /// [`Policy::cookie`] `Secure`.
    pub fn public_url(mut self, url: &str) -> Result<Policy, PolicyError> {
        let u = url::Url::parse(url).map_err(|_| PolicyError(url.to_string()))?;
        if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
            return Err(PolicyError(url.to_string()));
        }
        self.https = u.scheme() == "https";
        self.public_origin = Some(u.origin().ascii_serialization().to_ascii_lowercase());
        Ok(self)
    }

    /// Refuses request bodies over `bytes` with 413.
    pub fn body_limit(mut self, bytes: usize) -> Policy {
        self.body_limit = bytes;
        self
    }

    /// Another Content-Security-Policy for the pages.
    pub fn content_security_policy(mut self, csp: &'static str) -> Policy {
        self.csp = HeaderValue::from_static(csp);
        self
    }

    /// The public origin (`https://host[:port]`), if a public URL was given.
    pub fn public_origin(&self) -> Option<&str> {
        self.public_origin.as_deref()
    }

    /// Whether the public URL is https.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The body limit in bytes.
    pub fn max_body(&self) -> usize {
        self.body_limit
    }

    /// A cookie with fiskal's defaults: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure`
    /// whenever the public URL is https.
    pub fn cookie(&self, name: &str, value: &str) -> Result<SetCookie, CookieError> {
        SetCookie::new(name, value, self.https)
    }
}

/// The stack every server wraps its whole router in: a request id per request (extension
/// [`RequestId`], answer header `x-request-id`), a tracing span per request carrying method,
/// path and request id (never headers: no `Authorization`, PAC or cookies in logs),
/// `X-Content-Type-Options: nosniff`, and the body limit (413 above it).
pub fn layers<S: Clone + Send + Sync + 'static>(router: Router<S>, policy: &Policy) -> Router<S> {
    let limit = policy.body_limit;
    router
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(middleware::from_fn(request_id))
}

fn request_span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(ToString::to_string)
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %id,
    )
}

async fn request_id(mut req: Request, next: Next) -> Response {
    let id = RequestId::new();
    req.extensions_mut().insert(id);
    let mut res = next.run(req).await;
    let too_large = res.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        h.insert(REQUEST_ID_HEADER, v);
    }
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    if too_large {
        // The body was refused unread, so the connection cannot carry another request: say so,
        // or a client hands the closing connection to its next request.
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// The layers of pages for people, inside [`layers`]: `Content-Security-Policy` (the policy's),
/// `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer` and `X-Content-Type-Options: nosniff`
/// on every answer (a handler's own value wins), and CSRF protection of every state-changing
/// request ([`crate::csrf`]: 403 with a sentence saying why).
pub fn pages<S: Clone + Send + Sync + 'static>(router: Router<S>, policy: &Policy) -> Router<S> {
    let check = Arc::new(CsrfCheck {
        public_origin: policy.public_origin.clone(),
    });
    router
        .layer(middleware::from_fn_with_state(check, csrf::protect))
        .layer(middleware::from_fn_with_state(
            Arc::new(policy.csp.clone()),
            security_headers,
        ))
}

async fn security_headers(
    State(csp): State<Arc<HeaderValue>>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let too_large = res.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert((*csp).clone());
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    if too_large {
        // The body was refused unread, so the connection cannot carry another request: say so,
        // or a client hands the closing connection to its next request.
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// For signed-in pages: every answer of `router` gets `Cache-Control: no-store`, so no
/// browser or proxy keeps a copy of what a signed-in person saw.
pub fn no_store<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(middleware::from_fn(no_store_mw))
}

async fn no_store_mw(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A response part setting `Cache-Control: no-store` on one answer: `(NoStore, Html(...))`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStore;

impl IntoResponseParts for NoStore {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(res)
    }
}
