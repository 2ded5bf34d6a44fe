//! Cross-site request forgery protection by the browser's own headers, as Go's
//! `http.CrossOriginProtection` does: a state-changing request (any method but GET, HEAD,
//! OPTIONS) is refused with 403 when the browser says it comes from another site.
//!
//! - `Sec-Fetch-Site: same-origin` or `none` (typed in, bookmarks) passes; `same-site` and
//!   `cross-site` are refused;
//! - without `Sec-Fetch-Site` (older browsers), an `Origin` must be the server's public origin
//!   or name the request's own `Host`;
//! - with neither header the request is not from a browser form (curl, an ESIR, a test
//!   client) and passes: no browser sends a cross-site POST without them.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The sentence a refused request gets (Serbian Latin and English).
pub const REFUSAL: &str = "Zahtev je odbijen jer je poslat sa druge stranice ili sajta. Otvorite \
stranicu ponovo i pošaljite obrazac odatle.\nThe request was refused because it was sent from \
another page or site. Open the page again and send the form from there.";

/// What a request is compared with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsrfCheck {
    /// The public origin (`https://host[:port]`, lower-case, no path), if configured.
    pub public_origin: Option<String>,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrossSite {
    /// `Sec-Fetch-Site` said `cross-site` or `same-site`.
    FetchSite,
    /// `Origin` named another origin.
    Origin,
}

fn is_safe(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

impl CsrfCheck {
    /// Checks one request; `Ok` when it may go on.
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), CrossSite> {
        if is_safe(method) {
            return Ok(());
        }
        if let Some(site) = headers.get("sec-fetch-site") {
            return match site.as_bytes() {
                b"same-origin" | b"none" => Ok(()),
                _ => Err(CrossSite::FetchSite),
            };
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().unwrap_or("").trim().to_ascii_lowercase();
        if self.public_origin.as_deref() == Some(origin.as_str()) {
            return Ok(());
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| h.trim().to_ascii_lowercase());
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        match (origin_host, host) {
            (Some(o), Some(h)) if o == h => Ok(()),
            _ => Err(CrossSite::Origin),
        }
    }
}

/// Middleware: refuses cross-site state-changing requests with 403 and [`REFUSAL`].
pub async fn protect(
    State(check): State<std::sync::Arc<CsrfCheck>>,
    req: Request,
    next: Next,
) -> Response {
    if let Err(why) = check.check(req.method(), req.headers()) {
        tracing::warn!(?why, method = %req.method(), path = req.uri().path(), "cross-site request refused");
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            REFUSAL,
        )
            .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_rules() {
        let c = CsrfCheck {
            public_origin: Some("https://suf.example".into()),
        };
        let post = Method::POST;
        let ok = |h: &[(&'static str, &'static str)]| c.check(&post, &headers(h));
        assert_eq!(ok(&[]), Ok(()), "not a browser");
        assert_eq!(ok(&[("sec-fetch-site", "same-origin")]), Ok(()));
        assert_eq!(ok(&[("sec-fetch-site", "none")]), Ok(()));
        assert_eq!(
            ok(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://suf.example")
            ]),
            Err(CrossSite::FetchSite)
        );
        assert_eq!(
            ok(&[("sec-fetch-site", "same-site")]),
            Err(CrossSite::FetchSite)
        );
        assert_eq!(ok(&[("origin", "https://suf.example")]), Ok(()));
        assert_eq!(ok(&[("origin", "https://SUF.example")]), Ok(()));
        assert_eq!(
            ok(&[("origin", "https://evil.example")]),
            Err(CrossSite::Origin)
        );
        assert_eq!(ok(&[("origin", "null")]), Err(CrossSite::Origin));
        assert_eq!(
            ok(&[
                ("origin", "http://127.0.0.1:7700"),
                ("host", "127.0.0.1:7700")
            ]),
            Ok(())
        );
        assert_eq!(
            ok(&[
                ("origin", "http://127.0.0.1:7701"),
                ("host", "127.0.0.1:7700")
            ]),
            Err(CrossSite::Origin)
        );
        assert_eq!(
            c.check(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")])),
            Ok(())
        );
        assert_eq!(
            c.check(
                &Method::DELETE,
                &headers(&[("sec-fetch-site", "cross-site")])
            ),
            Err(CrossSite::FetchSite)
        );
    }
}
