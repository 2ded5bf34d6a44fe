//! What the pages and answers of Moje fakture share: the router state, the page shell on
//! fiskal-web's [`Layout`] with the language switcher, message boxes and the session cookie.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use fiskal_web::cookie::{SameSite, SetCookie};
use fiskal_web::extract::LANG_PARAM;
use fiskal_web::{Layout, NavLink, Policy, escape};

use crate::messages::{Lang, tr};
use crate::model::Tenant;
use crate::service::Service;

/// Name of the session cookie that carries the access token on the pages.
pub const SESSION_COOKIE: &str = "mf_token";

/// Path of the service's own stylesheet (after fiskal's).
pub const CSS_PATH: &str = "/static/moje-fakture.css";
const CSS: &str = include_str!("moje-fakture.css");

/// The router's state: the service and the HTTP policy (public URL, cookies).
#[derive(Clone)]
pub struct Web {
    /// The service.
    pub svc: Service,
    /// The policy of [`fiskal_web::layers`] and [`fiskal_web::pages`].
    pub policy: Arc<Policy>,
}

/// Shorthand for handlers.
pub type St = State<Web>;

/// `sr`/`en` in `lang` as escaped HTML text.
pub fn t(lang: Lang, sr: &str, en: &str) -> String {
    escape(&tr(lang, sr, en))
}

/// What a message box says: success, failure or a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    /// It worked.
    Ok,
    /// It did not.
    Err,
    /// Worth a look.
    Warn,
}

/// A message box around plain `text`.
pub fn msg_box(kind: Flash, text: &str) -> String {
    let class = match kind {
        Flash::Ok => "banner ok",
        Flash::Err => "banner bad",
        Flash::Warn => "note",
    };
    format!(
        "<div class=\"{class}\" role=\"alert\">{}</div>",
        escape(text)
    )
}

/// A page: `title` (plain text), the navigation for signed-in or public visitors, the
/// language switcher pointing at `here` (a GET path), a sign-out button when signed in, and
/// `body_html` (markup with every request-derived text escaped).
pub fn page(lang: Lang, title: &str, here: &str, signed_in: bool, body_html: &str) -> Html<String> {
    let labels = [
        tr(lang, "Moje fakture", "Moje fakture"),
        tr(lang, "Moj nalog", "My account"),
        tr(lang, "Registracija", "Register"),
        tr(lang, "Prijava", "Log in"),
    ];
    let link = |href: &'static str, i: usize| NavLink {
        href,
        label: &labels[i],
        current: here == href,
    };
    let nav_in = [link("/", 0), link("/app", 1)];
    let nav_out = [link("/", 0), link("/register", 2), link("/login", 3)];
    let langs = fiskal_web::language_links(lang, here);
    let logout = if signed_in {
        format!(
            "<form class=\"inline\" method=\"post\" action=\"/logout\"><button type=\"submit\">{}</button></form>",
            t(lang, "Odjava", "Log out")
        )
    } else {
        String::new()
    };
    let body = format!(
        "<div class=\"bar\"><p class=\"langs\" id=\"langs\">{lang_label}: {langs}</p>{logout}</div>\
         <h1>{title}</h1>{body_html}",
        lang_label = t(lang, "Jezik", "Language"),
        title = escape(title),
    );
    let full_title = format!("{title} — {}", labels[0]);
    Layout::new(&full_title, lang)
        .stylesheet(CSS_PATH)
        .nav(if signed_in { &nav_in } else { &nav_out })
        .html(&body)
}

/// `page` with a status code, as a response.
pub fn page_response(
    status: StatusCode,
    lang: Lang,
    title: &str,
    here: &str,
    signed_in: bool,
    body_html: &str,
) -> Response {
    (status, page(lang, title, here, signed_in, body_html)).into_response()
}

/// The access token of the session cookie, if any.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    fiskal_web::cookie::get(headers, SESSION_COOKIE).filter(|t| !t.is_empty())
}

/// The session cookie for `token` (`HttpOnly`, `SameSite=Strict`, `Secure` under an https
/// public URL); `None` for a token a cookie cannot carry.
pub fn session_cookie(policy: &Policy, token: &str) -> Option<SetCookie> {
    policy
        .cookie(SESSION_COOKIE, token)
        .ok()
        .map(|c| c.same_site(SameSite::Strict))
}

/// The removal of the session cookie.
pub fn session_removal(policy: &Policy) -> Option<SetCookie> {
    session_cookie(policy, "x").map(SetCookie::removal)
}

/// The signed-in tenant of a page request, or a redirect to the login page.
pub async fn page_tenant(s: &Service, headers: &HeaderMap, lang: Lang) -> Result<Tenant, Response> {
    match s
        .authenticate(session_token(headers).unwrap_or_default())
        .await
    {
        Ok(t) => Ok(t),
        Err(_) => Err(see_other(&format!("/login?{LANG_PARAM}={}", lang.code()))),
    }
}

/// `303 See Other` to `location` (a path of this service).
pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// The service's stylesheet (`GET` [`CSS_PATH`]).
pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}
