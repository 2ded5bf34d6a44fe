//! `fiskal suf ...`: fiskal's SUF (tax authority side) on a local environment bundle.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use fiskal_suf::Suf;
use fiskal_suf::service::local;
use fiskal_suf::store::SqlStore;

use super::secrets::optional_secret;

mod admin;
mod ca;
mod print;

pub use admin::AdminArgs;
pub use ca::CaCommand;

/// `fiskal suf` subcommands.
#[derive(clap::Subcommand)]
pub enum SufCommand {
    /// Serve the SUF: TaxCore.API for PFRs (token, status, commands, audit, proof of audit) and
    /// the public verification page `/v/?vl=...`.
    Serve(ServeArgs),
    /// Local audit: read a medium (USB stick, SD card) written by an L-PFR, check and store its
    /// packages and audit request, apply its command results, and write `{UID}.commands` back.
    Import(ImportArgs),
    /// Revoke a secure element from now on.
    Revoke(RevokeArgs),
    /// Administration of a running SUF: tax-rate groups, verification URL, time server, the
    /// registry and each secure element's commands. Changes reach every L-PFR as commands.
    Admin(AdminArgs),
    /// Test PKI: a root and issuing CA for one environment (sandbox, production or local),
    /// V-PFR client PFX files with PFX password and PAC, secure-element certificates with PIN.
    #[command(subcommand)]
    Ca(CaCommand),
}

/// Options shared by every `fiskal suf` command.
#[derive(clap::Args, Clone)]
pub struct Common {
    /// Environment folder made by `fiskal se init` (the SUF adopts its authority keys and SE).
    #[arg(
        long = "env",
        alias = "data",
        env = "FISKAL_DATA",
        default_value = "fiskal-data"
    )]
    pub env: PathBuf,
    /// Database URL: sqlite://PATH (default DIR/suf/suf.sqlite) or postgres://user@host/db.
    #[arg(long, env = "FISKAL_SUF_DB")]
    pub db: Option<String>,
    /// PostgreSQL schema for the SUF's tables (default: the search path).
    #[arg(long, env = "FISKAL_SUF_DB_SCHEMA")]
    pub db_schema: Option<String>,
    /// Password of the SE state file, used only when the bundle has no `se/{UID}.crt`
    /// (env FISKAL_SE_PASSWORD or FISKAL_SE_PASSWORD_FILE; default FISKAL01).
    #[arg(long, env = "FISKAL_SE_PASSWORD", hide_env_values = true)]
    pub se_password: Option<String>,
}

/// Arguments of `fiskal suf serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: Common,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, env = "FISKAL_SUF_LISTEN", default_value = "127.0.0.1:7700")]
    pub listen: SocketAddr,
}

/// Arguments of `fiskal suf import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub common: Common,
    /// Root of the medium: it holds one folder per SE UID.
    #[arg(long)]
    pub medium: PathBuf,
}

/// Arguments of `fiskal suf revoke`.
#[derive(clap::Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub common: Common,
    /// UID of the secure element.
    #[arg(long)]
    pub uid: String,
}

fn default_db(env: &Path) -> String {
    format!("sqlite://{}", env.join("suf").join("suf.sqlite").display())
}

/// Opens the database and adopts the environment bundle.
pub async fn open(c: &Common) -> anyhow::Result<Suf<SqlStore>> {
    let url = c.db.clone().unwrap_or_else(|| default_db(&c.env));
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(c.env.join("suf")).ok();
    }
    let store = SqlStore::connect(&url, c.db_schema.as_deref())
        .await
        .with_context(|| format!("opening the SUF database {}", redact(&url)))?;
    let password = optional_secret(c.se_password.clone(), "FISKAL_SE_PASSWORD")?;
    let suf = Suf::adopt(&c.env, store, password.as_deref())
        .await
        .with_context(|| format!("adopting the environment in {}", c.env.display()))?;
    Ok(suf)
}

/// The URL without a password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..s + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Runs `fiskal suf ...`.
pub async fn run(c: SufCommand) -> anyhow::Result<()> {
    match c {
        SufCommand::Serve(a) => {
            let token = admin_token_for_serve(&a.common.env)?;
            let suf = Arc::new(open(&a.common).await?.with_admin_token(&token));
            let listener = tokio::net::TcpListener::bind(a.listen)
                .await
                .with_context(|| format!("listening on {}", a.listen))?;
            let addr = listener.local_addr()?;
            println!(
                "fiskal SUF listening on http://{addr}/ (verification page http://{addr}/v/?vl=..., environment {})",
                a.common.env.display()
            );
            println!(
                "Administration: `fiskal suf admin --env {} ...` (token in {}, never printed)",
                a.common.env.display(),
                admin::admin_token_path(&a.common.env).display()
            );
            fiskal_suf::serve(suf, listener, fiskal_web::shutdown_signal()).await?;
            Ok(())
        }
        SufCommand::Import(a) => {
            let suf = open(&a.common).await?;
            let r = local::import(&suf, &a.medium).await?;
            if r.uids.is_empty() {
                anyhow::bail!("{} holds no folder named by an SE UID", a.medium.display());
            }
            let ok = r
                .packages
                .iter()
                .filter(|(_, s)| s.status.is_verified())
                .count();
            println!("Прочитано пакета: {} (исправних: {ok})", r.packages.len());
            for (name, s) in r.packages.iter().filter(|(_, s)| !s.status.is_verified()) {
                println!("  одбијен {name}: статус {} ({})", s.status, s.message);
            }
            for uid in &r.arps {
                println!("Захтев за доказ о ишчитавању примљен за {uid}.");
            }
            println!("Примењених резултата команди: {}", r.results_applied);
            for (uid, n) in &r.commands_written {
                println!("Команде за {uid}: {n} (датотека {uid}/{uid}.commands)");
            }
            Ok(())
        }
        SufCommand::Ca(c) => ca::run_ca(c),
        SufCommand::Admin(a) => admin::run_admin(a).await,
        SufCommand::Revoke(a) => {
            let suf = open(&a.common).await?;
            if !suf
                .revoke(&a.uid, chrono::Utc::now().timestamp_millis())
                .await?
            {
                anyhow::bail!("secure element {} is not registered", a.uid);
            }
            println!("Безбедносни елемент {} је опозван.", a.uid);
            Ok(())
        }
    }
}

/// The administration token of `fiskal suf serve`: FISKAL_SUF_ADMIN_TOKEN(_FILE), else the file
/// `DIR/suf/admin-token`, created (mode 0600) with a random token when missing.
fn admin_token_for_serve(env: &Path) -> anyhow::Result<String> {
    let given = std::env::var("FISKAL_SUF_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    if let Some(t) = optional_secret(given, "FISKAL_SUF_ADMIN_TOKEN")? {
        let t = t.trim().to_string();
        if t.len() < 16 {
            anyhow::bail!("FISKAL_SUF_ADMIN_TOKEN must have at least 16 characters");
        }
        return Ok(t);
    }
    let path = admin::admin_token_path(env);
    if let Ok(t) = std::fs::read_to_string(&path)
        && !t.trim().is_empty()
    {
        return Ok(t.trim().to_string());
    }
    std::fs::create_dir_all(path.parent().unwrap_or(env))?;
    let token = fiskal_suf::service::admin::new_admin_token();
    fiskal_storage::write_atomic(&path, token.as_bytes(), fiskal_storage::MODE_PRIVATE)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(token)
}
