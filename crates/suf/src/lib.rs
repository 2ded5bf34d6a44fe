//! # fiskal-suf
//!
//! fiskal's SUF (систем за управљање фискализацијом), the tax authority's side of fiscalization:
//!
//! - [`service::Suf`]: the secure-element registry, tokens, audit intake with every check of
//!   suf-backend.md §6.2, proofs of audit (§6.3), commands (§5) and receipt verification
//!   (verification-url.md §4);
//! - [`store`]: storage behind the [`store::Store`] trait, SQLite by default, PostgreSQL by URL;
//! - [`package`]: the audit-package format shared with the L-PFR;
//! - [`http::router`]: TaxCore.API for PFRs and the public verification page `GET /v/?vl=`;
//! - [`local`]: local audit (removable media) on the authority's side;
//! - [`admin`]: the authority's administration (tax-rate groups, verification URL, time server,
//!   registry and command history), carried to PFRs by commands; [`admin_client`] calls it.
//!
//! The SUF adopts the environment bundle made by `fiskal se init` ([`service::Suf::adopt`]).

pub mod admin;
pub mod admin_client;
pub mod ca;
pub mod http;
pub mod keys;
pub mod layout;
pub mod limit;
pub mod local;
pub mod lookup;
pub mod manual;
pub mod manual_page;
pub mod package;
pub mod page;
pub mod service;
pub mod store;

pub use service::{Suf, SufConfig, SufError};
pub use store::{SqlStore, Store};

/// Serves the SUF on `listener` until `shutdown` completes: the API and pages of
/// [`http::router`] and the administration API of [`admin::router`], inside fiskal-web's stack
/// (request id, tracing, body limit) on fiskal-web's server (clients that send their headers
/// slowly are dropped after 10 s; the peer address reaches the attempt limiter).
pub async fn serve<S: Store>(
    suf: std::sync::Arc<Suf<S>>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let policy = http::policy(&suf);
    let app = fiskal_web::layers(http::router(suf.clone()).merge(admin::router(suf)), &policy);
    fiskal_web::serve(listener, app, fiskal_web::ServeConfig::new(), shutdown).await
}
