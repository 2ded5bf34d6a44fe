//! The one page layout of fiskal's server-rendered pages (askama), and the stylesheet route it
//! links to.
//!
//! Pages carry no inline CSS or script, so the strict Content-Security-Policy of
//! [`crate::pages`] holds: the look is `/static/fiskal.css` ([`assets`]), plus any stylesheet a
//! server adds with [`Layout::stylesheet`].

use askama::Template;
use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use fiskal_domain::lang::Lang;

/// Path of fiskal's stylesheet, served by [`assets`].
pub const CSS_PATH: &str = "/static/fiskal.css";

/// The stylesheet itself.
pub const CSS: &str = include_str!("../static/fiskal.css");

/// A link of a page's navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavLink<'a> {
    /// Where it leads (program-written, escaped anyway).
    pub href: &'a str,
    /// What it says.
    pub label: &'a str,
    /// Whether it is the page shown (`aria-current="page"`).
    pub current: bool,
}

/// One page: title, language, optional navigation and extra stylesheets around a body.
///
/// ```
/// use fiskal_domain::lang::Lang;
/// use fiskal_web::{Layout, NavLink};
///
/// let nav = [NavLink { href: "/", label: "Početna", current: true }];
/// let html = Layout::new("Računi <2026>", Lang::SrLatn)
///     .nav(&nav)
///     .render("<h1>Računi</h1>");
/// assert!(html.starts_with("<!DOCTYPE html>"));
/// assert!(html.contains("<html lang=\"sr-Latn\">"));
/// assert!(html.contains("<title>Računi &#60;2026&#62;</title>"));
/// assert!(html.contains("<main><h1>Računi</h1></main>"));
/// ```
#[derive(Debug, Clone)]
pub struct Layout<'a> {
    title: &'a str,
    lang: Lang,
    nav: &'a [NavLink<'a>],
    stylesheets: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "layout.html", escape = "html")]
struct LayoutTemplate<'a> {
    html_lang: &'a str,
    title: &'a str,
    css: &'a str,
    stylesheets: &'a [&'a str],
    nav: &'a [NavLink<'a>],
    nav_label: &'a str,
    body: &'a str,
}

impl<'a> Layout<'a> {
    /// A page titled `title` (plain text, escaped) in `lang` (the `<html lang>` and the
    /// layout's own words).
    pub fn new(title: &'a str, lang: Lang) -> Layout<'a> {
        Layout {
            title,
            lang,
            nav: &[],
            stylesheets: Vec::new(),
        }
    }

    /// Adds a navigation bar with these links.
    pub fn nav(mut self, nav: &'a [NavLink<'a>]) -> Layout<'a> {
        self.nav = nav;
        self
    }

    /// Links a stylesheet after fiskal's own: a path on the same origin, as the
    /// Content-Security-Policy allows only those.
    pub fn stylesheet(mut self, href: &'a str) -> Layout<'a> {
        self.stylesheets.push(href);
        self
    }

    /// The whole document around `body_html`, which must be markup the program built (every
    /// request-derived text in it escaped with [`crate::escape`]).
    pub fn render(&self, body_html: &str) -> String {
        let nav_label = self.lang.pick("Glavni meni", "Main menu");
        let t = LayoutTemplate {
            html_lang: self.lang.html_lang(),
            title: self.title,
            css: CSS_PATH,
            stylesheets: &self.stylesheets,
            nav: self.nav,
            nav_label: &nav_label,
            body: body_html,
        };
        // Rendering writes into a String and every field displays infallibly.
        t.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "the page layout failed");
            String::new()
        })
    }

    /// [`Layout::render`] as an axum HTML answer.
    pub fn html(&self, body_html: &str) -> Html<String> {
        Html(self.render(body_html))
    }
}

/// The routes of fiskal's static assets (`GET /static/fiskal.css`), to merge into a server's
/// router.
pub fn assets<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(CSS_PATH, get(css))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// The language switcher of every page: `Latinica · Ћирилица · English`, the page's own
/// language in `<strong aria-current>` and the others as links to `here` with `lang=` added
/// (`here` is the page's path and query as the program built it; it is escaped here).
pub fn language_links(lang: Lang, here: &str) -> String {
    let sep = if here.contains('?') { '&' } else { '?' };
    Lang::ALL
        .iter()
        .map(|&l| {
            let name = crate::escape(l.own_name());
            let tag = l.html_lang();
            if l == lang {
                format!("<strong lang=\"{tag}\" aria-current=\"true\">{name}</strong>")
            } else {
                let href = crate::escape(&format!(
                    "{here}{sep}{}={}",
                    crate::extract::LANG_PARAM,
                    l.code()
                ));
                format!("<a href=\"{href}\" lang=\"{tag}\" hreflang=\"{tag}\">{name}</a>")
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_links_mark_the_current_language_and_keep_the_query() {
        let html = language_links(Lang::SrCyrl, "/v/?vl=A&B");
        assert!(html.contains("<strong lang=\"sr-Cyrl\" aria-current=\"true\">Ћирилица</strong>"));
        assert!(html.contains("<a href=\"/v/?vl=A&amp;B&amp;lang=sr\" lang=\"sr-Latn\""));
        assert!(html.contains("<a href=\"/v/?vl=A&amp;B&amp;lang=en\" lang=\"en\""));
        assert_eq!(html.matches(" · ").count(), 2);
        assert!(language_links(Lang::En, "/app").contains("href=\"/app?lang=sr-Cyrl\""));
    }
    use tower::ServiceExt;

    #[test]
    fn the_layout_escapes_what_it_is_given_except_the_body() {
        let nav = [
            NavLink {
                href: "/a?x=1&y=2",
                label: "Računi",
                current: true,
            },
            NavLink {
                href: "/b",
                label: "<Firma>",
                current: false,
            },
        ];
        let html = Layout::new("\"Naslov\"", Lang::En)
            .nav(&nav)
            .stylesheet("/static/suf.css")
            .render("<p>x</p>");
        assert!(html.contains("<html lang=\"en\">"), "{html}");
        assert!(html.contains("<title>&#34;Naslov&#34;</title>"), "{html}");
        assert!(html.contains("href=\"/a?x=1&#38;y=2\""), "{html}");
        assert!(html.contains("aria-current=\"page\">Računi</a>"), "{html}");
        assert!(html.contains("&#60;Firma&#62;"), "{html}");
        assert!(html.contains("<nav aria-label=\"Main menu\">"), "{html}");
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/fiskal.css\">"));
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/suf.css\">"));
        assert!(html.contains("<main><p>x</p></main>"));
        assert!(
            !html.contains("style="),
            "no inline styles under a strict CSP"
        );
    }

    #[test]
    fn without_nav_there_is_no_header_and_cyrillic_is_named() {
        let html = Layout::new("Рачун", Lang::SrCyrl).render("");
        assert!(html.contains("<html lang=\"sr-Cyrl\">"));
        assert!(!html.contains("<header>"));
    }

    #[tokio::test]
    async fn the_stylesheet_is_served() {
        let r = assets::<()>()
            .oneshot(
                axum::http::Request::get(CSS_PATH)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/css; charset=utf-8");
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        assert!(b.starts_with(b"/* fiskal"));
    }
}
