//! `fiskal pfr ...`: the L-PFR service.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use fiskal_pfr::audit::{self, AuditConfig};
use fiskal_pfr::store::{Journal as _, SqliteJournal};
use fiskal_pfr::{Lpfr, Settings};
use fiskal_se::SecureElement;
use fiskal_se::env::{self, Environment};

use super::secrets::{optional_secret, secret};

/// `fiskal pfr` subcommands.
#[derive(clap::Subcommand)]
pub enum PfrCommand {
    /// Serve the TaxCore PFR API v3 (L-PFR) for ESIRs, and audit towards the SUF in the
    /// background (packages, proof of audit, commands).
    Serve(ServeCli),
    /// Check the journal's hash chain and counters.
    Verify(VerifyArgs),
    /// Local audit for a shop without internet: run the commands brought on the medium (writing
    /// `{UID}.results`), then write the packages and the audit request `{UID}.arp` to it. Stop
    /// `fiskal pfr serve` first.
    AuditLocal(AuditLocalArgs),
}

/// Arguments of `fiskal pfr serve`: the L-PFR and its internet audit.
#[derive(clap::Args, Clone)]
pub struct ServeCli {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Seconds between two rounds of the internet audit.
    #[arg(long, default_value_t = 30)]
    pub audit_interval: u64,
    /// Least seconds between two audit requests (Start Audit); the first one is sent at once.
    #[arg(long, default_value_t = 300)]
    pub audit_min_gap: u64,
    /// Do not talk to the SUF (no internet audit; status shows 0220).
    #[arg(long)]
    pub no_audit: bool,
    /// SUF base URL; default: the `taxCoreApi` of the settings (set by the environment bundle and
    /// by the SUF's configuration command).
    #[arg(long)]
    pub suf_url: Option<String>,
}

/// Arguments of `fiskal pfr audit-local`.
#[derive(clap::Args, Clone)]
pub struct AuditLocalArgs {
    /// Data folder made by `fiskal se init`.
    #[arg(long, env = "FISKAL_DATA", default_value = "fiskal-data")]
    pub data: PathBuf,
    /// Root of the medium (USB stick, SD card); the L-PFR uses the folder `{UID}` on it.
    #[arg(long)]
    pub medium: PathBuf,
    /// Password of the SE state file (env FISKAL_SE_PASSWORD or FISKAL_SE_PASSWORD_FILE;
    /// default FISKAL01).
    #[arg(long, env = "FISKAL_SE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

/// Arguments of `fiskal pfr serve`.
#[derive(clap::Args, Clone)]
pub struct ServeArgs {
    /// Data folder made by `fiskal se init`.
    #[arg(long, env = "FISKAL_DATA", default_value = "fiskal-data")]
    pub data: PathBuf,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, env = "FISKAL_PFR_LISTEN", default_value = "127.0.0.1:7701")]
    pub listen: SocketAddr,
    /// Password of the SE state file (env FISKAL_SE_PASSWORD or FISKAL_SE_PASSWORD_FILE;
    /// default FISKAL01).
    #[arg(long, env = "FISKAL_SE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Enter this PIN at start-up, for unattended set-ups (env FISKAL_SE_PIN or
    /// FISKAL_SE_PIN_FILE). Without it, the ESIR sends the PIN through /api/v3/pin.
    #[arg(long, env = "FISKAL_SE_PIN", hide_env_values = true)]
    pub pin: Option<String>,
}

/// Arguments of `fiskal pfr verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Data folder.
    #[arg(long, env = "FISKAL_DATA", default_value = "fiskal-data")]
    pub data: PathBuf,
}

/// Runs `fiskal pfr ...`.
pub async fn run(c: PfrCommand) -> anyhow::Result<()> {
    match c {
        PfrCommand::Serve(a) => {
            let _lock = lock_data(&a.serve.data, false)?;
            let (lpfr, listener) = start(&a.serve).await?;
            let addr = listener.local_addr()?;
            println!(
                "fiskal L-PFR listening on http://{addr}/ (secure element {})",
                lpfr.uid()
            );
            if !a.no_audit {
                let environment = env::load(&a.serve.data)?;
                let cfg = AuditConfig {
                    suf_url: a.suf_url.clone(),
                    encryption_key: environment.authority_encryption_key_der().ok(),
                    interval: Duration::from_secs(a.audit_interval.max(1)),
                    min_audit_interval: Duration::from_secs(a.audit_min_gap),
                    ..AuditConfig::default()
                };
                tokio::spawn(audit::run(lpfr.clone(), cfg));
            }
            fiskal_pfr::serve(lpfr, listener).await?;
            Ok(())
        }
        PfrCommand::AuditLocal(a) => {
            let _lock = lock_data(&a.data, true)?;
            let serve = ServeArgs {
                data: a.data.clone(),
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                password: a.password.clone(),
                pin: None,
            };
            let (lpfr, listener) = start(&serve).await?;
            drop(listener);
            let environment = env::load(&a.data)?;
            let key = environment
                .authority_encryption_key_der()
                .context("reading the SUF encryption key of the bundle")?;
            std::fs::create_dir_all(&a.medium)
                .with_context(|| format!("creating {}", a.medium.display()))?;
            println!("Почиње копирање на медијум {} ...", a.medium.display());
            let r = audit::local_audit(&lpfr, &a.medium, &key).await?;
            let ok = r.results.iter().filter(|x| x.success).count();
            if !r.results.is_empty() {
                println!(
                    "Извршено команди: {} (успешно: {ok}), резултати у {}.results",
                    r.results.len(),
                    lpfr.uid()
                );
            }
            if r.proof_applied {
                println!("Доказ о ишчитавању је примењен: лимит је поново слободан.");
            }
            if r.packages_removed > 0 {
                println!("Уклоњено ишчитаних пакета: {}", r.packages_removed);
            }
            println!("Записано пакета: {}", r.packages_written);
            if r.arp_written {
                println!(
                    "Захтев за доказ о ишчитавању: {}/{}.arp",
                    r.folder.display(),
                    lpfr.uid()
                );
            }
            println!("Копирање је завршено: {}", r.folder.display());
            Ok(())
        }
        PfrCommand::Verify(a) => {
            let journal = SqliteJournal::open(&journal_path(&a.data)).await?;
            let n = journal
                .verify_chain()
                .await
                .context("checking the journal")?;
            println!(
                "The journal is intact: {n} receipts, counters without gaps, hash chain valid."
            );
            Ok(())
        }
    }
}

/// Takes the L-PFR's lock on a data folder (held until the file is dropped), so a local audit
/// never opens the SE while `fiskal pfr serve` uses it: `serve` takes it shared, `audit-local`
/// exclusively.
pub fn lock_data(data: &Path, exclusive: bool) -> anyhow::Result<std::fs::File> {
    let dir = data.join("pfr");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("lpfr.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let r = if exclusive {
        f.try_lock()
    } else {
        f.try_lock_shared()
    };
    match r {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!(
                "another fiskal pfr process uses {}; stop it first",
                data.display()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// Path of the L-PFR journal in a data folder.
pub fn journal_path(data: &Path) -> PathBuf {
    data.join("pfr").join("journal.sqlite")
}

/// Settings of a new L-PFR from the environment bundle.
pub fn settings_from(environment: &Environment) -> Settings {
    Settings {
        seller: environment.seller.clone(),
        tax_rate_groups: environment.tax_rate_groups.clone(),
        verification_url_prefix: environment.verification_url_prefix.clone(),
        tax_core_api: environment.suf_url.clone(),
        mrc: environment.mrc.clone(),
        environment_name: environment.environment_name.clone(),
        organization_name: environment.organization_name.clone(),
        ntp_server: "http://0.pool.ntp.org:80/".into(),
    }
}

/// Opens the SE and journal of a data folder and binds the listener.
pub async fn start(a: &ServeArgs) -> anyhow::Result<(Lpfr, tokio::net::TcpListener)> {
    let environment = env::load(&a.data)?;
    let password = secret(
        a.password.clone(),
        "FISKAL_SE_PASSWORD",
        env::DEFAULT_SE_PASSWORD,
    )?;
    let pin = optional_secret(a.pin.clone(), "FISKAL_SE_PIN")?;
    let dir = a.data.clone();
    let e2 = environment.clone();
    let se = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut se = e2
            .open_se(&dir, &password)
            .context("opening the secure element")?;
        if let Some(pin) = pin {
            let pin = fiskal_se::Pin::parse(&pin)
                .map_err(|_| anyhow::anyhow!("the PIN must be exactly 4 digits"))?;
            se.verify_pin(&pin).context("entering the PIN")?;
        }
        Ok(se)
    })
    .await??;
    // Test-only crash switch (feature `fault-injection`), asked for by the kill tests.
    #[cfg(feature = "fault-injection")]
    fiskal_pfr::fault::crash_after_sign(
        std::env::var_os("FISKAL_FAULT_CRASH_AFTER_SIGN").is_some(),
    );
    let jpath = journal_path(&a.data);
    std::fs::create_dir_all(jpath.parent().unwrap_or(&a.data))?;
    let journal = SqliteJournal::open(&jpath)
        .await
        .with_context(|| format!("opening the journal {}", jpath.display()))?;
    let lpfr = Lpfr::start(Box::new(se), Arc::new(journal), settings_from(&environment))
        .await
        .map_err(|e| anyhow::anyhow!("starting the L-PFR: {e}"))?;
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .with_context(|| format!("listening on {}", a.listen))?;
    if !a.listen.ip().is_loopback() {
        eprintln!("{}", open_listener_warning(a.listen));
    }
    Ok((lpfr, listener))
}

/// What `fiskal pfr serve` says when it listens beyond this machine: the PFR API has no
/// authentication (TaxCore's design), so anyone who reaches the port can issue receipts.
fn open_listener_warning(listen: std::net::SocketAddr) -> String {
    format!(
        "warning: the PFR API on {listen} can be reached from other machines and has no \
         authentication (TaxCore's design): anyone who reaches this port can issue receipts \
         in the shop's name. Listen on 127.0.0.1 unless the ESIR runs elsewhere, and then keep \
         the port on the shop's own network behind a firewall."
    )
}
