//! The SUF's HTTP side: TaxCore.API for PFRs (suf-backend.md §3, §4; `esdc`), the public pages
//! (verification-url.md §5; `pages`, rendered by [`page`]), the administration API ([`admin`]),
//! the attempt limit of the lookups ([`limit`]) and the one error mapping (`error`). Handlers
//! are thin: the work is in [`crate::service`].

use std::sync::Arc;

use axum::routing::{get, post, put};
use fiskal_web::Policy;

use crate::service::Suf;
use crate::store::Store;

pub mod admin;
mod error;
mod esdc;
pub mod limit;
pub mod page;
mod pages;

pub use error::{AdminError, ApiError};
pub use esdc::{CLIENT_UID_HEADER, TOKEN_HEADER};
pub use pages::{manual_answer, specifications_answer};

/// The shared state of every handler.
type App<S> = Arc<Suf<S>>;

/// Largest request body (what axum allowed before: 2 MiB).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// The layers' policy of a SUF: its public base URL is the origin its forms come from.
pub fn policy<S: Store>(suf: &Suf<S>) -> Policy {
    let base = Policy::new().body_limit(MAX_BODY);
    let url = suf.config().base_url;
    base.clone().public_url(&url).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the SUF's base URL is not usable as the pages' origin");
        base
    })
}

/// The router: TaxCore.API for PFRs, and the pages for people (verification page, manual
/// check, item list, stylesheet) behind fiskal-web's page layers (security headers, CSRF).
/// Pages speak the language of the request (fiskal-web's [`fiskal_web::Language`] under
/// [`fiskal_web::Pages`]); one chosen with `?lang=` is remembered in the `lang` cookie.
pub fn router<S: Store>(suf: App<S>) -> axum::Router {
    let policy = policy(&suf);
    let api = axum::Router::new()
        .route("/api/v3/configuration", get(esdc::configuration::<S>))
        .route("/api/v3/tax-rates", get(esdc::tax_rates::<S>))
        .route("/api/v3/environments", get(esdc::environments::<S>))
        .route(
            "/api/v3/encryption-certificate",
            get(esdc::encryption_key::<S>),
        )
        .route("/api/v3/sdc/token", get(esdc::token::<S>))
        .route("/api/v3/sdc/status", put(esdc::status::<S>))
        .route("/api/v3/sdc/commands", get(esdc::commands::<S>))
        .route("/api/v3/sdc/commands/{id}", put(esdc::command_result::<S>))
        .route("/api/v3/sdc/audit", post(esdc::audit::<S>))
        .route("/api/v3/sdc/audit-proof", post(esdc::audit_proof::<S>))
        .with_state(suf.clone());
    let pages = axum::Router::new()
        .route("/v/", get(pages::verify_page::<S>))
        .route("/v", get(pages::verify_page::<S>))
        .with_state(suf.clone())
        .merge(lookups(suf))
        .merge(fiskal_web::assets())
        .layer(axum::middleware::from_fn_with_state(
            fiskal_web::LanguageCookie::on_pages(policy.clone()),
            fiskal_web::remember_language,
        ));
    api.merge(fiskal_web::pages(pages, &policy))
}

/// The lookups a person could brute-force, behind the per-client attempt limit.
fn lookups<S: Store>(suf: App<S>) -> axum::Router {
    let limiter = Arc::new(limit::AttemptLimiter::default());
    axum::Router::new()
        .route(page::SPECIFICATIONS_PATH, post(pages::specifications::<S>))
        .route(
            page::MANUAL_PATH,
            get(pages::manual_form).post(pages::manual_check::<S>),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            limiter,
            limit::limit_posts,
        ))
        .with_state(suf)
}
