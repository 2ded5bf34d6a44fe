//! HTTP on fiskal-web: the JSON API (`/api/v1/…`), the server-rendered pages (`/`,
//! `/register`, `/login`, `/app`, …), the SEF callback endpoint (`/sef/callback/{token}`) and
//! `/healthz`.
//!
//! - Everything runs inside [`fiskal_web::layers`] (request id, tracing, body limit) and is
//!   served by [`fiskal_web::serve`] (header-read timeout, graceful shutdown).
//! - The pages are [`fiskal_web::pages`]: security headers, and a form posted from another site
//!   is refused with 403 (CSRF); every page answers with `Cache-Control: no-store`, as they show
//!   tenants' data and access tokens. They are in Serbian Latin by default, Serbian Cyrillic and
//!   English ([`fiskal_web::Language`]: `?lang=`, remembered in the `lang` cookie, or
//!   `Accept-Language`), on fiskal's [`fiskal_web::Layout`].
//! - Authentication: the access token returned at registration, as `Authorization: Bearer …`
//!   for the API or the `mf_token` cookie (HttpOnly, SameSite=Strict, `Secure` when the public
//!   URL is https) for the pages. An operator token (configuration) lists tenants and their key
//!   states — never keys.

mod app;
mod document;
pub mod error;
mod forms;
mod json;
mod pages;
mod shell;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use fiskal_web::{Policy, PolicyError, Server};

use crate::service::{Service, ServiceConfig};

pub use shell::{CSS_PATH, SESSION_COOKIE};

/// The HTTP policy of a service: its public URL ([`ServiceConfig::public_base_url`], trusted by
/// the CSRF check; https makes the cookies `Secure`) and a body limit that lets an upload over
/// the cap be read to its end and refused with a sentence saying why.
pub fn policy(cfg: &ServiceConfig) -> Result<Policy, PolicyError> {
    let body_limit = cfg.max_upload_bytes.saturating_mul(8).max(8 * 1024 * 1024);
    Ok(Policy::new()
        .public_url(&cfg.public_base_url)?
        .body_limit(body_limit))
}

/// Builds the router. A public URL that is not an http(s) URL is logged and ignored (the
/// command line refuses it before it gets here).
pub fn router(service: Service) -> Router {
    let policy = policy(service.config()).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the public URL is ignored");
        Policy::new()
    });
    let web = shell::Web {
        svc: service,
        policy: Arc::new(policy.clone()),
    };
    let signed_in = fiskal_web::no_store(
        pages::routes()
            .merge(app::routes())
            .merge(document::routes()),
    );
    let pages = fiskal_web::pages(
        signed_in
            .route(CSS_PATH, get(shell::css))
            .merge(fiskal_web::assets()),
        &policy,
    )
    .layer(middleware::from_fn_with_state(
        // The sign-in form carries the language chosen on it into the signed-in pages.
        fiskal_web::LanguageCookie::on_pages((*web.policy).clone()).also_on_forms(),
        fiskal_web::remember_language,
    ));
    let app = Router::new()
        .merge(json::routes())
        .merge(pages)
        .with_state(web);
    fiskal_web::layers(app, &policy)
}

/// Serves the router on a listener until `shutdown` resolves (fiskal-web's default
/// [`fiskal_web::ServeConfig`]: headers within 10 s), then lets the requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Service,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_on(Server::from_listener(listener)?, service, shutdown).await
}

/// Like [`serve`] on a bound [`Server`] (with its own timeouts).
pub async fn serve_on(
    server: Server,
    service: Service,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server.serve(router(service), shutdown).await
}
