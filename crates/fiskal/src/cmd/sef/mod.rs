//! `fiskal sef …`: SEF e-invoicing (validate and send UBL, the local SEF sandbox, the
//! "Moje fakture" service). The work lives in fiskal-einvoice (the service, its setup and the
//! validation report) and fiskal-sef (the SEF client and the sandbox); this module parses the
//! arguments ([`args`]), reads the environment ([`env`]) and prints.
//!
//! Secrets are never taken from the command line (they would show in the process list): the SEF
//! API key comes from `FISKAL_SEF_API_KEY`, the service access token from `FISKAL_SEF_TOKEN`, the
//! master key from `FISKAL_SEF_MASTER_KEY` or a key file.

mod args;
mod env;
mod remote;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use fiskal_einvoice::setup::{self, ServeConfig};
use fiskal_einvoice::{Lang, MasterKey};

use args::{ServeArgs, ValidateArgs};

pub use args::SefCommand;

/// Runs a `fiskal sef` subcommand.
pub async fn run(c: SefCommand) -> anyhow::Result<()> {
    match c {
        SefCommand::Validate(a) => validate(a),
        SefCommand::Send(a) => remote::send(a).await,
        SefCommand::Status(a) => remote::status(a).await,
        SefCommand::Serve(a) => serve(a).await,
        SefCommand::Sandbox(a) => {
            fiskal_sef::cli_support::run_sandbox(fiskal_sef::cli_support::SandboxCliOptions {
                listen: a.listen,
                db: a.db,
                allow_non_loopback: false,
            })
            .await?;
            Ok(())
        }
        SefCommand::GenMasterKey => {
            println!("{}", MasterKey::generate().to_base64().as_str());
            Ok(())
        }
        SefCommand::RotateMasterKey(a) => {
            let ring = env::master_key_ring(a.master_key_file.as_deref())?;
            let n = setup::rotate_master_key(&a.db, ring).await?;
            println!("Re-wrapped {n} data key(s) under the current master key.");
            Ok(())
        }
    }
}

/// The SEF part of `fiskal demo`: a company registers on the local SEF sandbox, hands its API
/// key to the service, and an invoice goes out and comes back Approved.
pub async fn demo(_data: &Path) -> anyhow::Result<()> {
    println!("SEF e-invoicing (Moje fakture) against the local SEF sandbox:");
    let summary = fiskal_einvoice::demo_flow(fiskal_einvoice::DemoOptions::default()).await?;
    println!("{summary}");
    Ok(())
}

/// The language of `--lang`: `sr` (Serbian, Latin script), `sr-Cyrl` (Cyrillic) or `en`.
fn parse_lang(code: &str) -> anyhow::Result<Lang> {
    Lang::from_code(code)
        .ok_or_else(|| anyhow::anyhow!("unknown language {code:?}: use sr, sr-Cyrl or en"))
}

fn validate(a: ValidateArgs) -> anyhow::Result<()> {
    let xml = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let lang = parse_lang(&a.lang)?;
    let ok = if a.json {
        let (findings, fatal) = fiskal_einvoice::report::validate_json(&xml);
        println!("{}", serde_json::to_string_pretty(&findings)?);
        !fatal
    } else {
        let (report, ok) = fiskal_einvoice::report::validate_report(&xml, lang);
        print!("{report}");
        ok
    };
    if !ok {
        bail!("{} is not valid", a.file.display());
    }
    Ok(())
}

/// The service's settings from `serve` arguments and the environment.
fn serve_config(a: &ServeArgs) -> ServeConfig {
    ServeConfig {
        listen: a.listen,
        db_url: a.db.clone(),
        sandbox_url: a.sandbox_url.clone(),
        official: a.official,
        public_url: a.public_url.clone(),
        lease: Duration::from_secs(a.lease_secs.max(1)),
        max_upload_bytes: a.max_upload_kib * 1024,
        call_timeout: a.call_timeout_secs.map(Duration::from_secs),
        retry_base: Duration::from_millis(a.retry_base_ms.max(1)),
        tick: Duration::from_millis(a.tick_ms.max(10)),
        operator_token: env::operator_token(),
    }
}

async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    if let Some(url) = &a.public_url {
        fiskal_web::Policy::new()
            .public_url(url)
            .context("--public-url")?;
    }
    let ring = env::master_key_ring(a.master_key_file.as_deref())?;
    let svc = setup::open_service(&serve_config(&a), ring).await?;
    let server = fiskal_web::Server::bind(a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let addr = server.local_addr();
    eprintln!(
        "Moje fakture: http://{addr}/ (API: http://{addr}/api/v1, environments: {})",
        svc.environments().join(", ")
    );
    // Ctrl-C or SIGTERM stops the server (requests in flight finish) and then the workers.
    setup::run(server, svc, fiskal_web::shutdown_signal()).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
