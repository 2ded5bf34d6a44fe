//! The arguments of `fiskal sef …` (clap).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

/// SEF e-invoicing subcommands.
#[derive(Debug, Subcommand)]
pub enum SefCommand {
    /// Validate a UBL invoice with fiskal's validator (rule id, path, sentence); exit status 2
    /// when the document has fatal errors.
    Validate(ValidateArgs),
    /// Send a UBL invoice: through the Moje fakture service (`--service`), into a service's store
    /// (`--db --pib`), or straight to SEF (`--direct`).
    Send(SendArgs),
    /// Show document status: from the service (`--service`) or straight from SEF (`--sales-id`).
    Status(StatusArgs),
    /// Run Moje fakture, the multi-tenant e-invoicing service (HTTP API and pages).
    Serve(ServeArgs),
    /// Run the local SEF sandbox.
    Sandbox(SandboxArgs),
    /// Print a new random master key (base64) for `FISKAL_SEF_MASTER_KEY` or a key file.
    GenMasterKey,
    /// Re-wrap every stored data key under the current master key (old keys from
    /// `FISKAL_SEF_OLD_MASTER_KEYS` or further lines of the key file).
    RotateMasterKey(RotateArgs),
}

/// `fiskal sef validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The UBL XML file.
    pub file: PathBuf,
    /// Message language: `sr` (Serbian, Latin script), `sr-Cyrl` (Serbian, Cyrillic) or `en`.
    #[arg(long, default_value = "sr")]
    pub lang: String,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fiskal sef send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The UBL XML file.
    pub file: PathBuf,
    /// Base URL of a running Moje fakture service; the tenant is the owner of the access token
    /// in `FISKAL_SEF_TOKEN`.
    #[arg(long, conflicts_with_all = ["db", "direct"])]
    pub service: Option<String>,
    /// Wait (up to this many seconds) until SEF accepted or refused the document.
    #[arg(long, default_value_t = 0)]
    pub wait: u64,
    /// Database URL of a service: the document is queued in its outbox and the running
    /// service sends it.
    #[arg(long, requires = "pib")]
    pub db: Option<String>,
    /// Tenant PIB (with `--db`).
    #[arg(long, alias = "tenant")]
    pub pib: Option<String>,
    /// Send straight to SEF with the key in `FISKAL_SEF_API_KEY`.
    #[arg(long)]
    pub direct: bool,
    /// SEF environment: production, demo or sandbox.
    #[arg(long, default_value = "sandbox")]
    pub environment: String,
    /// Base URL (required for the sandbox).
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    pub base_url: String,
}

/// `fiskal sef status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Document id in the service (with `--service`); all documents when omitted.
    pub id: Option<i64>,
    /// Base URL of a running Moje fakture service (token in `FISKAL_SEF_TOKEN`).
    #[arg(long)]
    pub service: Option<String>,
    /// Ask SEF directly for this `SalesInvoiceId` (key in `FISKAL_SEF_API_KEY`).
    #[arg(long)]
    pub sales_id: Option<i64>,
    /// SEF environment for `--sales-id`.
    #[arg(long, default_value = "sandbox")]
    pub environment: String,
    /// Base URL for `--sales-id`.
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    pub base_url: String,
}

/// `fiskal sef serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8790")]
    pub listen: SocketAddr,
    /// Database URL: `sqlite:FILE?mode=rwc` (default) or `postgres://…`.
    #[arg(long, default_value = "sqlite:moje-fakture.db?mode=rwc")]
    pub db: String,
    /// Master key file (otherwise `FISKAL_SEF_MASTER_KEY` / `FISKAL_SEF_MASTER_KEY_FILE`).
    #[arg(long)]
    pub master_key_file: Option<PathBuf>,
    /// Offer the `sandbox` environment at this base URL.
    #[arg(long)]
    pub sandbox_url: Option<String>,
    /// Offer SEF production and demo (on by default).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub official: bool,
    /// Public base URL people and SEF reach the service by (default `http://LISTEN`): the
    /// callback address shown to tenants, the origin the pages accept forms from, and with
    /// `https://` the session and language cookies are `Secure`.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Outbox lease in seconds (how soon another process may take over after a crash).
    #[arg(long, default_value_t = 30)]
    pub lease_secs: u64,
    /// Largest upload in KiB.
    #[arg(long, default_value_t = 2048)]
    pub max_upload_kib: usize,
    /// Timeout of one SEF call in seconds.
    #[arg(long)]
    pub call_timeout_secs: Option<u64>,
    /// First retry back-off in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub retry_base_ms: u64,
    /// Sender tick in milliseconds.
    #[arg(long, default_value_t = 250)]
    pub tick_ms: u64,
}

/// `fiskal sef sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (loopback).
    #[arg(long, default_value = fiskal_sef::cli_support::DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// SQLite file for the sandbox state (default: memory).
    #[arg(long)]
    pub db: Option<PathBuf>,
}

/// `fiskal sef rotate-master-key`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Database URL of the service.
    #[arg(long)]
    pub db: String,
    /// Master key file (current key first, older keys on further lines).
    #[arg(long)]
    pub master_key_file: Option<PathBuf>,
}
