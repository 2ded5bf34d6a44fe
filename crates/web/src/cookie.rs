//! Cookies: reading one from a request and writing `Set-Cookie` with fiskal's defaults
//! (`HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` whenever the public URL is https — see
//! [`crate::Policy::cookie`]).

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponseParts, ResponseParts};

/// The value of the first cookie called `name` in the request's `Cookie` headers.
///
/// ```
/// use axum::http::{HeaderMap, HeaderValue, header::COOKIE};
/// let mut h = HeaderMap::new();
/// h.insert(COOKIE, HeaderValue::from_static("a=1; lang=sr-Cyrl; b=2"));
/// assert_eq!(fiskal_web::cookie::get(&h, "lang"), Some("sr-Cyrl"));
/// assert_eq!(fiskal_web::cookie::get(&h, "c"), None);
/// ```
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"'))
        })
}

/// A cookie name or value that may not be sent (empty name, or characters outside RFC 6265's
/// token / cookie-octet sets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cookie {name:?}: the name or value holds characters a cookie cannot carry")]
pub struct CookieError {
    /// The cookie's name as given.
    pub name: String,
}

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SameSite {
    /// Sent on top-level navigations from other sites, not on their sub-requests or POSTs.
    #[default]
    Lax,
    /// Never sent on requests started by other sites.
    Strict,
}

/// A `Set-Cookie` answer header; add it to a response as a part: `(cookie, Html(...))`.
#[derive(Clone, PartialEq, Eq)]
pub struct SetCookie {
    name: String,
    value: String,
    path: String,
    max_age: Option<Duration>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
}

impl std::fmt::Debug for SetCookie {
    // The value may be a session id: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetCookie")
            .field("name", &self.name)
            .field("value", &"***")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_cookie_value(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

impl SetCookie {
    /// A cookie `name=value` with `Path=/`, `HttpOnly`, `SameSite=Lax`, a session cookie (no
    /// `Max-Age`), `Secure` when `secure`.
    pub fn new(name: &str, value: &str, secure: bool) -> Result<SetCookie, CookieError> {
        if !is_token(name) || !is_cookie_value(value) {
            return Err(CookieError {
                name: name.to_string(),
            });
        }
        Ok(SetCookie {
            name: name.to_string(),
            value: value.to_string(),
            path: "/".into(),
            max_age: None,
            secure,
            http_only: true,
            same_site: SameSite::Lax,
        })
    }

    /// Kept for `age` (`Max-Age`, whole seconds).
    pub fn max_age(mut self, age: Duration) -> SetCookie {
        self.max_age = Some(age);
        self
    }

    /// Sent only under `path` (default `/`).
    pub fn path(mut self, path: &str) -> Result<SetCookie, CookieError> {
        if path.is_empty() || !path.bytes().all(|b| (0x20..0x7F).contains(&b) && b != b';') {
            return Err(CookieError {
                name: self.name.clone(),
            });
        }
        self.path = path.to_string();
        Ok(self)
    }

    /// Readable by page scripts too (default: not, `HttpOnly`).
    pub fn readable_by_scripts(mut self) -> SetCookie {
        self.http_only = false;
        self
    }

    /// The `SameSite` attribute (default [`SameSite::Lax`]).
    pub fn same_site(mut self, same_site: SameSite) -> SetCookie {
        self.same_site = same_site;
        self
    }

    /// This cookie as a removal: empty value, `Max-Age=0`.
    pub fn removal(mut self) -> SetCookie {
        self.value.clear();
        self.max_age = Some(Duration::ZERO);
        self
    }

    /// The header value, e.g. `lang=en; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure`.
    pub fn header_value(&self) -> HeaderValue {
        let mut s = format!("{}={}; Path={}", self.name, self.value, self.path);
        if let Some(age) = self.max_age {
            s.push_str(&format!("; Max-Age={}", age.as_secs()));
        }
        if self.http_only {
            s.push_str("; HttpOnly");
        }
        s.push_str(match self.same_site {
            SameSite::Lax => "; SameSite=Lax",
            SameSite::Strict => "; SameSite=Strict",
        });
        if self.secure {
            s.push_str("; Secure");
        }
        // Name, value and path were checked to be visible ASCII in `new` and `path`.
        HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

impl IntoResponseParts for SetCookie {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.headers_mut()
            .append(header::SET_COOKIE, self.header_value());
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_has_the_safe_defaults() {
        let c = SetCookie::new("lang", "en", true).unwrap();
        assert_eq!(
            c.header_value(),
            "lang=en; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        let c = SetCookie::new("sid", "abc", false)
            .unwrap()
            .max_age(Duration::from_secs(60))
            .same_site(SameSite::Strict);
        assert_eq!(
            c.header_value(),
            "sid=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            c.clone().removal().header_value(),
            "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        );
        assert!(!format!("{c:?}").contains("abc"));
    }

    #[test]
    fn bad_names_and_values_are_refused() {
        assert!(SetCookie::new("", "x", false).is_err());
        assert!(SetCookie::new("a b", "x", false).is_err());
        assert!(SetCookie::new("a", "x;y", false).is_err());
        assert!(SetCookie::new("a", "x\r\nSet-Cookie: b=1", false).is_err());
        assert!(SetCookie::new("a", "ć", false).is_err());
        assert!(
            SetCookie::new("a", "x", false)
                .unwrap()
                .path("/a;b")
                .is_err()
        );
    }

    #[test]
    fn reads_cookies_from_several_headers() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("x=1"));
        h.append(header::COOKIE, HeaderValue::from_static("lang=\"en\"; y=2"));
        assert_eq!(get(&h, "lang"), Some("en"));
        assert_eq!(get(&h, "y"), Some("2"));
        assert_eq!(get(&h, "z"), None);
    }
}
