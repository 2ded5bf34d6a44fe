//! # fiskal-web
//!
//! The HTTP foundation of every fiskal server (L-PFR, SUF, Moje fakture, the SEF sandbox, the
//! POS to come):
//!
//! - [`serve`] / [`Server`]: HTTP/1.1 on hyper-util with a header-read timeout (slow clients are
//!   dropped), a whole-request timeout (408), graceful shutdown, the peer address as
//!   [`axum::extract::ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo) and optional TLS
//!   ([`tls`], rustls on aws-lc-rs) with the client's certificates as [`PeerCertificates`];
//!   [`shutdown_signal`] (Ctrl-C or SIGTERM);
//! - [`layers`]: the middleware stack of every server (request id, tracing span, body limit,
//!   `nosniff`); [`pages`] for pages for people (Content-Security-Policy, frame and referrer
//!   headers, CSRF protection); [`no_store`] / [`NoStore`] for signed-in pages; all set by one
//!   [`Policy`], which also makes cookies ([`Policy::cookie`], `Secure` under https);
//! - [`Layout`]: the one page layout (askama) with [`escape`] for text and [`assets`] serving
//!   its stylesheet;
//! - extractors: [`Language`] under a [`LangPolicy`] ([`PfrApi`]: 406 otherwise; [`Pages`]:
//!   never refuses), [`BearerToken`], [`RequestId`], [`TaxCoreJson`], and axum's
//!   [`Multipart`](axum::extract::Multipart) for uploads;
//! - [`taxcore`]: TaxCore's JSON and `ModelErrors` answers.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use fiskal_domain::lang::Lang;
//! use fiskal_web::{Language, Layout, Pages, Policy, ServeConfig, Server};
//!
//! async fn home(Language { lang, .. }: Language<Pages>) -> axum::response::Html<String> {
//!     let title = lang.pick("Početna", "Home");
//!     Layout::new(&title, lang).html(&format!("<h1>{}</h1>", fiskal_web::escape(&title)))
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = Policy::new().public_url("https://fakture.example/")?;
//! let pages = fiskal_web::pages(
//!     Router::new().route("/", get(home)).merge(fiskal_web::assets()),
//!     &policy,
//! );
//! let app = fiskal_web::layers(pages, &policy);
//! let server = Server::bind("127.0.0.1:0".parse()?).await?.config(ServeConfig::new());
//! println!("listening on http://{}/", server.local_addr());
//! server.serve(app, fiskal_web::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

pub mod cookie;
pub mod csrf;
pub mod extract;
pub mod html;
pub mod language_cookie;
pub mod page;
mod server;
mod stack;
pub mod taxcore;
pub mod tls;

pub use extract::{
    BearerToken, LangPolicy, Language, Pages, PfrApi, REQUEST_ID_HEADER, RequestId, TaxCoreJson,
};
pub use html::escape;
pub use language_cookie::{LanguageCookie, remember_language};
pub use page::{Layout, NavLink, assets, language_links};
pub use server::{
    MAX_CONNECTIONS, MAX_HEAD_BYTES, MAX_HEADERS, ServeConfig, Server, serve, shutdown_signal,
};
pub use stack::{
    DEFAULT_BODY_LIMIT, DEFAULT_CSP, NoStore, Policy, PolicyError, layers, no_store, pages,
};
pub use tls::PeerCertificates;
