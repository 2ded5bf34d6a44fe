//! `fiskal pfr ...`: the L-PFR service.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use fiskal_pfr::journal::Journal;
use fiskal_pfr::{Lpfr, Settings};
use fiskal_se::SecureElement;
use fiskal_se::env::{self, Environment};

use super::secrets::{optional_secret, secret};

/// `fiskal pfr` subcommands.
#[derive(clap::Subcommand)]
pub enum PfrCommand {
    /// Serve the TaxCore PFR API v3 (L-PFR) for ESIRs.
    Serve(ServeArgs),
    /// Check the journal's hash chain and counters.
    Verify(VerifyArgs),
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
            let (lpfr, listener) = start(&a).await?;
            let addr = listener.local_addr()?;
            println!("fiskal L-PFR listening on http://{addr}/ (secure element {})", lpfr.uid());
            fiskal_pfr::serve(lpfr, listener).await?;
            Ok(())
        }
        PfrCommand::Verify(a) => {
            let journal = Journal::open(&journal_path(&a.data)).await?;
            let n = journal.verify_chain().await.context("checking the journal")?;
            println!("The journal is intact: {n} receipts, counters without gaps, hash chain valid.");
            Ok(())
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
    let password = secret(a.password.clone(), "FISKAL_SE_PASSWORD", env::DEFAULT_SE_PASSWORD)?;
    let pin = optional_secret(a.pin.clone(), "FISKAL_SE_PIN")?;
    let dir = a.data.clone();
    let e2 = environment.clone();
    let se = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut se = e2.open_se(&dir, &password).context("opening the secure element")?;
        if let Some(pin) = pin {
            let pin = fiskal_se::Pin::parse(&pin).map_err(|_| anyhow::anyhow!("the PIN must be exactly 4 digits"))?;
            se.verify_pin(&pin).context("entering the PIN")?;
        }
        Ok(se)
    })
    .await??;
    let jpath = journal_path(&a.data);
    std::fs::create_dir_all(jpath.parent().unwrap_or(&a.data))?;
    let journal = Journal::open(&jpath).await.with_context(|| format!("opening the journal {}", jpath.display()))?;
    let lpfr = Lpfr::start(Box::new(se), journal, settings_from(&environment))
        .await
        .map_err(|e| anyhow::anyhow!("starting the L-PFR: {e}"))?;
    let listener = tokio::net::TcpListener::bind(a.listen).await.with_context(|| format!("listening on {}", a.listen))?;
    Ok((lpfr, listener))
}
