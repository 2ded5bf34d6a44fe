//! Subcommands. Each module has its clap arguments and a `run` function.

pub mod demo;
pub mod esir;
pub mod pfr;
pub mod se;
pub mod secrets;
pub mod sef;
pub mod suf;

/// How much is logged to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Warnings and errors only.
    Warn,
    /// What fiskal does (requests served, audits, commands).
    Info,
    /// Everything fiskal logs.
    Debug,
}

impl LogLevel {
    /// The level for `-v` given `count` times; `quiet` commands start at [`LogLevel::Warn`].
    pub fn from_flags(count: u8, quiet: bool) -> LogLevel {
        match (count, quiet) {
            (0, true) => LogLevel::Warn,
            (0, false) | (1, true) => LogLevel::Info,
            _ => LogLevel::Debug,
        }
    }

    fn filter(self) -> &'static str {
        match self {
            LogLevel::Warn => "warn",
            LogLevel::Info => "warn,fiskal=info,fiskal_pfr=info,fiskal_se=info,fiskal_suf=info",
            LogLevel::Debug => {
                "info,fiskal=debug,fiskal_pfr=debug,fiskal_se=debug,fiskal_suf=debug,fiskal_web=debug"
            }
        }
    }
}

/// Logs go to stderr; `RUST_LOG` overrides the level chosen by `-v`.
pub fn init_logging(level: LogLevel) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level.filter()));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
