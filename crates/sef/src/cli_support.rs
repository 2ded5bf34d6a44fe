//! Library side of `fiskal sef sandbox --listen 127.0.0.1:PORT --db PATH`: the binary parses the
//! arguments and calls [`run_sandbox`].

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::sandbox::{self, SandboxConfig, SandboxError};

/// Default listening address of the sandbox.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// Options of `fiskal sef sandbox`.
#[derive(Debug, Clone)]
pub struct SandboxCliOptions {
    /// Address to listen on (default `127.0.0.1:8787`). Non-loopback addresses are refused
    /// unless `allow_non_loopback` is set.
    pub listen: SocketAddr,
    /// SQLite file for the sandbox's state; `None` keeps it in memory.
    pub db: Option<PathBuf>,
    /// Permit a non-loopback listen address (the admin API and portal then still answer only
    /// loopback peers).
    pub allow_non_loopback: bool,
}

impl Default for SandboxCliOptions {
    fn default() -> Self {
        SandboxCliOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            db: None,
            allow_non_loopback: false,
        }
    }
}

/// Runs the sandbox ([`sandbox::spawn`]) until Ctrl+C or SIGTERM, then lets the requests in
/// flight finish. Prints the portal and API addresses to stderr once it listens.
pub async fn run_sandbox(opts: SandboxCliOptions) -> Result<(), SandboxError> {
    if !opts.listen.ip().is_loopback() && !opts.allow_non_loopback {
        return Err(SandboxError::Invalid(format!(
            "The sandbox listens on loopback addresses only; {} is not one.",
            opts.listen
        )));
    }
    let config = SandboxConfig {
        db_path: opts.db.clone(),
        ..SandboxConfig::default()
    };
    let handle = sandbox::spawn(config, opts.listen).await?;
    let addr = handle.addr();
    eprintln!(
        "SEF sandbox: http://{addr}/api/publicApi (portal: http://{addr}/portal, admin: http://{addr}/__sandbox)"
    );
    fiskal_web::shutdown_signal().await;
    handle.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_listen_address_is_the_documented_one() {
        assert_eq!(
            SandboxCliOptions::default().listen.to_string(),
            DEFAULT_LISTEN
        );
    }
}
