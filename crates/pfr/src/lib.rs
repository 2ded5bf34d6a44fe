//! # fiskal-pfr
//!
//! fiskal's PFR (процесор фискалних рачуна, fiscal receipt processor): the TaxCore PFR HTTP API
//! v3 (`/api/v3/...`) served by the L-PFR (local PFR) on the shop's premises.
//!
//! - [`service::Lpfr`]: the use cases over a [`fiskal_se::SecureElement`] and the durable
//!   [`journal::Journal`]; a single signer task groups concurrent requests so one fsync covers
//!   many receipts.
//! - [`api::router`]: the axum routes with TaxCore's error bodies and codes.
//! - [`audit`]: the audit towards the SUF (internet loop and local audit on removable media);
//!   [`commands`]: the SUF's commands.
//! - [`serve`]: binds and serves until Ctrl-C or SIGTERM.

pub mod api;
pub mod audit;
pub mod commands;
pub mod journal;
pub mod qr;
pub mod service;

use std::net::SocketAddr;

pub use api::router;
pub use service::{Lpfr, Settings};

/// Serves the L-PFR API on `listener` until the process is asked to stop.
pub async fn serve(lpfr: Lpfr, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = router(lpfr);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
