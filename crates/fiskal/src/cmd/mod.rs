//! Subcommands. Each module has its clap arguments and a `run` function.

pub mod demo;
pub mod esir;
pub mod pfr;
pub mod se;
pub mod secrets;
pub mod sef;
pub mod suf;

/// Logs go to stderr; `RUST_LOG` selects the level (default `info` for fiskal crates).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,fiskal=info,fiskal_pfr=info,fiskal_se=info")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
