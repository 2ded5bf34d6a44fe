//! # fiskal-suf
//!
//! fiskal's SUF (систем за управљање фискализацијом), the tax authority's side of fiscalization:
//!
//! - [`service::Suf`]: the secure-element registry, tokens, audit intake with every check of
//!   suf-backend.md §6.2, proofs of audit (§6.3), commands (§5) and receipt verification
//!   (verification-url.md §4);
//!   the use cases live in `service/`: [`service::lookup`] and [`service::manual`] (the
//!   verification page's lookups), [`service::local`] (local audit on removable media) and
//!   [`service::admin`] (the authority's administration: tax-rate groups, verification URL, time
//!   server, registry and command history, carried to PFRs by commands);
//! - [`store`]: storage behind the [`store::Store`] trait, SQLite by default, PostgreSQL by URL;
//! - [`package`]: the audit-package format shared with the L-PFR;
//! - [`api`]: the HTTP side, [`api::router`] (TaxCore.API for PFRs and the public verification
//!   page `GET /v/?vl=`) and [`api::admin::router`]; [`admin_client`] calls the latter;
//! - [`ca`]: the test PKI.
//!
//! The SUF adopts the environment bundle made by `fiskal se init` ([`service::Suf::adopt`]).

pub mod admin_client;
pub mod api;
pub mod ca;
pub mod keys;
pub mod package;
pub mod service;
pub mod store;

pub use service::{Suf, SufConfig, SufError};
pub use store::{SqlStore, Store};

/// Serves the SUF on `listener` until `shutdown` completes: the API and pages of
/// [`api::router`] and the administration API of [`api::admin::router`], inside fiskal-web's stack
/// (request id, tracing, body limit) on fiskal-web's server (clients that send their headers
/// slowly are dropped after 10 s; the peer address reaches the attempt limiter).
pub async fn serve<S: Store>(
    suf: std::sync::Arc<Suf<S>>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let policy = api::policy(&suf);
    let app = fiskal_web::layers(
        api::router(suf.clone()).merge(api::admin::router(suf)),
        &policy,
    );
    fiskal_web::serve(listener, app, fiskal_web::ServeConfig::new(), shutdown).await
}
