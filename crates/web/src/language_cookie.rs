//! Remembering a language a person chose on a page ([`remember_language`]).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use fiskal_domain::lang::Lang;

use crate::extract::{LANG_PARAM, query_param};
use crate::stack::Policy;

/// How long the `lang` cookie keeps a language chosen with `?lang=`: a year.
pub const LANG_COOKIE_AGE: Duration = Duration::from_secs(365 * 24 * 3600);

/// When [`remember_language`] sets the `lang` cookie.
#[derive(Debug, Clone)]
pub struct LanguageCookie {
    policy: Policy,
    forms_too: bool,
}

impl LanguageCookie {
    /// Remember a `?lang=` of a `GET` only: a posted form (the public verification page's
    /// manual check) answers in its action's language and sets no cookie.
    pub fn on_pages(policy: Policy) -> Self {
        LanguageCookie {
            policy,
            forms_too: false,
        }
    }

    /// Remember a `?lang=` of any request, also a posted form's action (a sign-in form that
    /// carries the language into the signed-in pages).
    pub fn also_on_forms(mut self) -> Self {
        self.forms_too = true;
        self
    }
}

/// Middleware for pages (`axum::middleware::from_fn_with_state(LanguageCookie::on_pages(policy),
/// remember_language)`): a language chosen with `?lang=` is remembered in the `lang` cookie (with
/// the policy's cookie defaults, so `Secure` under https) for the next pages, and every answer
/// says `Vary: Accept-Language, Cookie`, because its language depends on them.
pub async fn remember_language(
    State(cookie): State<LanguageCookie>,
    req: Request,
    next: Next,
) -> Response {
    let chosen = (cookie.forms_too || req.method() == Method::GET)
        .then(|| query_param(req.uri().query(), LANG_PARAM))
        .flatten()
        .and_then(Lang::from_code);
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.append(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    if let Some(l) = chosen {
        match cookie.policy.cookie(LANG_PARAM, l.code()) {
            Ok(c) => {
                headers.append(
                    header::SET_COOKIE,
                    c.max_age(LANG_COOKIE_AGE).header_value(),
                );
            }
            Err(e) => tracing::warn!(error = %e, "the language cookie cannot be set"),
        }
    }
    res
}
