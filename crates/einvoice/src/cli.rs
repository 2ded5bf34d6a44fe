//! `fiskal sef …`: the command-line side of SEF e-invoicing. The `fiskal` binary only parses
//! [`SefCommand`] and calls [`run`].
//!
//! Secrets are never taken from the command line (they would show in the process list): the SEF
//! API key comes from `FISKAL_SEF_API_KEY`, the service access token from `FISKAL_SEF_TOKEN`, the
//! master key from `FISKAL_SEF_MASTER_KEY` or a key file.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::crypto::{KeyRing, MasterKey};
use crate::gateway::SefGateway;
use crate::messages::{Lang, tr};
use crate::sef_gateway::ClientGateway;
use crate::service::{Service, ServiceConfig};
use crate::store::{SqlStore, TenantStore};
use crate::ubl_tools::UblTools;

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

/// Runs a `fiskal sef` subcommand.
pub async fn run(c: SefCommand) -> anyhow::Result<()> {
    match c {
        SefCommand::Validate(a) => validate(a),
        SefCommand::Send(a) => send(a).await,
        SefCommand::Status(a) => status(a).await,
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
            let ring = KeyRing::from_env_or_file(a.master_key_file.as_deref())?;
            let db = SqlStore::connect(&a.db).await?;
            let svc = Service::new(
                db,
                ring,
                HashMap::new(),
                Arc::new(UblTools),
                ServiceConfig::default(),
            );
            let n = svc.rotate_master_key().await?;
            println!("Re-wrapped {n} data key(s) under the current master key.");
            Ok(())
        }
    }
}

/// Validates a file and prints the findings; the text returned is what was printed.
pub fn validate_report(xml: &str, lang: Lang) -> (String, bool) {
    match fiskal_ubl::validate_xml(xml) {
        Ok(findings) => {
            let mut out = String::new();
            for f in &findings {
                let sev = if f.is_fatal() {
                    tr(lang, "greška", "error")
                } else {
                    tr(lang, "upozorenje", "warning")
                };
                out.push_str(&format!(
                    "{}\t{sev}\t{}\t{}\n",
                    f.rule_id,
                    f.path,
                    f.message(lang)
                ));
            }
            let fatal = findings.iter().filter(|f| f.is_fatal()).count();
            let n = findings.len();
            out.push_str(&if fatal == 0 {
                tr(
                    lang,
                    &format!("Dokument je ispravan ({n} upozorenja).\n"),
                    &format!("The document is valid ({n} warnings).\n"),
                )
            } else {
                tr(
                    lang,
                    &format!("Dokument nije ispravan: {fatal} grešaka.\n"),
                    &format!("The document is not valid: {fatal} errors.\n"),
                )
            });
            (out, fatal == 0)
        }
        Err(e) => (
            format!(
                "XML\t{}\t/\t{}\n",
                tr(lang, "greška", "error"),
                e.message(lang)
            ),
            false,
        ),
    }
}

/// The language of `--lang`: `sr` (Serbian, Latin script), `sr-Cyrl` (Cyrillic) or `en`.
pub fn parse_lang(code: &str) -> anyhow::Result<Lang> {
    Lang::from_code(code)
        .ok_or_else(|| anyhow::anyhow!("unknown language {code:?}: use sr, sr-Cyrl or en"))
}

fn validate(a: ValidateArgs) -> anyhow::Result<()> {
    let xml = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let lang = parse_lang(&a.lang)?;
    if a.json {
        let findings: Vec<serde_json::Value> = match fiskal_ubl::validate_xml(&xml) {
            Ok(f) => f.iter().map(|f| serde_json::json!({ "rule_id": f.rule_id, "path": f.path, "fatal": f.is_fatal(), "message_sr": f.message_sr, "message_en": f.message_en })).collect(),
            Err(e) => vec![serde_json::json!({ "rule_id": "XML", "path": "/", "fatal": true, "message_sr": e.message(Lang::SrLatn), "message_en": e.message(Lang::En) })],
        };
        let fatal = findings.iter().any(|f| f["fatal"] == true);
        println!("{}", serde_json::to_string_pretty(&findings)?);
        if fatal {
            bail!("{} is not valid", a.file.display());
        }
        return Ok(());
    }
    let (report, ok) = validate_report(&xml, lang);
    print!("{report}");
    if !ok {
        bail!("{} is not valid", a.file.display());
    }
    Ok(())
}

fn env_secret(name: &str) -> anyhow::Result<String> {
    std::env::var(name)
        .map(|s| s.trim().to_string())
        .map_err(|_| anyhow::anyhow!("set {name} (secrets are not accepted on the command line)"))
}

fn sef_env(name: &str) -> anyhow::Result<fiskal_sef::SefEnvironment> {
    Ok(match name {
        "production" => fiskal_sef::SefEnvironment::Production,
        "demo" => fiskal_sef::SefEnvironment::Demo,
        "sandbox" => fiskal_sef::SefEnvironment::Sandbox,
        other => bail!("unknown SEF environment {other} (production, demo, sandbox)"),
    })
}

fn direct_client(environment: &str, base_url: &str) -> anyhow::Result<fiskal_sef::SefClient> {
    let env = sef_env(environment)?;
    let mut cfg = match env {
        fiskal_sef::SefEnvironment::Production => fiskal_sef::SefClientConfig::production(),
        fiskal_sef::SefEnvironment::Demo => fiskal_sef::SefClientConfig::demo(),
        fiskal_sef::SefEnvironment::Sandbox => fiskal_sef::SefClientConfig::sandbox(base_url),
    };
    if env == fiskal_sef::SefEnvironment::Sandbox {
        cfg.base_url = base_url.to_string();
    }
    let key = fiskal_sef::ApiKey::parse(&env_secret("FISKAL_SEF_API_KEY")?)
        .map_err(|e| anyhow::anyhow!("FISKAL_SEF_API_KEY: {e}"))?;
    Ok(fiskal_sef::SefClient::new(cfg, key)?)
}

async fn send(a: SendArgs) -> anyhow::Result<()> {
    let xml =
        std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    if let Some(base) = a.service {
        let token = env_secret("FISKAL_SEF_TOKEN")?;
        let http = reqwest::Client::new();
        let base = base.trim_end_matches('/').to_string();
        let r = http
            .post(format!("{base}/api/v1/documents"))
            .bearer_auth(&token)
            .header("Content-Type", "application/xml")
            .body(xml)
            .send()
            .await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await?;
        if !status.is_success() {
            bail!(
                "{}",
                body["error"]["text"]
                    .as_str()
                    .unwrap_or("the service refused the document")
            );
        }
        let id = body["id"].as_i64().unwrap_or_default();
        println!(
            "Dokument {} (id {id}) je u redu za slanje; requestId {}.",
            body["number"].as_str().unwrap_or(""),
            body["request_id"].as_str().unwrap_or("")
        );
        let end = tokio::time::Instant::now() + Duration::from_secs(a.wait);
        while a.wait > 0 && tokio::time::Instant::now() < end {
            let v: serde_json::Value = http
                .get(format!("{base}/api/v1/documents/{id}"))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            let st = v["document"]["state"].as_str().unwrap_or("").to_string();
            if !matches!(st.as_str(), "queued" | "sending") {
                println!(
                    "Stanje: {st}; SEF status: {}; SalesInvoiceId: {}",
                    v["document"]["sef_status"], v["document"]["sales_invoice_id"]
                );
                if let Some(m) = v["message"]["text"].as_str() {
                    println!("{m}");
                }
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        return Ok(());
    }
    if let (Some(db), Some(pib)) = (a.db, a.pib) {
        let db = SqlStore::connect(&db).await?;
        let tenant = db
            .tenant_by_pib(&a.environment, &pib)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no tenant with PIB {pib} in the {} environment",
                    a.environment
                )
            })?;
        let ring =
            KeyRing::from_env_or_file(None).unwrap_or_else(|_| KeyRing::new(MasterKey::generate()));
        let svc = Service::new(
            db,
            ring,
            HashMap::new(),
            Arc::new(UblTools),
            ServiceConfig::default(),
        );
        let d = svc
            .submit_xml(tenant.id, &xml, "cli")
            .await
            .map_err(|e| anyhow::anyhow!(e.text(Lang::SrLatn)))?;
        println!(
            "Dokument {} (id {}) je u redu za slanje; requestId {}.",
            d.number,
            d.id,
            d.request_id.unwrap_or_default()
        );
        return Ok(());
    }
    if a.direct {
        let client = direct_client(&a.environment, &a.base_url)?;
        let rid = fiskal_sef::new_request_id();
        let up = fiskal_sef::UblUpload::new(xml, rid.clone());
        match client.send_ubl(&up).await {
            Ok(r) => {
                println!(
                    "SEF je prihvatio dokument: SalesInvoiceId {}, PurchaseInvoiceId {}, requestId {rid}.",
                    r.sales_invoice_id,
                    r.purchase_invoice_id
                        .map(|i| i.to_string())
                        .unwrap_or_default()
                );
                return Ok(());
            }
            Err(e) => bail!("{} (requestId {rid})", e.message_sr()),
        }
    }
    bail!("choose --service URL, --db URL --pib PIB, or --direct")
}

async fn status(a: StatusArgs) -> anyhow::Result<()> {
    if let Some(base) = a.service {
        let token = env_secret("FISKAL_SEF_TOKEN")?;
        let http = reqwest::Client::new();
        let base = base.trim_end_matches('/');
        let url = match a.id {
            Some(id) => format!("{base}/api/v1/documents/{id}"),
            None => format!("{base}/api/v1/documents"),
        };
        let r = http.get(url).bearer_auth(&token).send().await?;
        let ok = r.status().is_success();
        let v: serde_json::Value = r.json().await?;
        if !ok {
            bail!(
                "{}",
                v["error"]["text"].as_str().unwrap_or("request failed")
            );
        }
        let docs: Vec<serde_json::Value> = match v.as_array() {
            Some(a) => a.clone(),
            None => vec![v["document"].clone()],
        };
        for d in docs {
            println!(
                "{}\t{}\t{}\t{}\t{}\tSalesInvoiceId={}",
                d["id"],
                d["number"].as_str().unwrap_or(""),
                d["issue_date"].as_str().unwrap_or(""),
                d["state"].as_str().unwrap_or(""),
                d["sef_status"].as_str().unwrap_or("-"),
                d["sales_invoice_id"]
            );
        }
        if let Some(m) = v["message"]["text"].as_str() {
            println!("{m}");
        }
        return Ok(());
    }
    if let Some(id) = a.sales_id {
        let client = direct_client(&a.environment, &a.base_url)?;
        let r = client
            .get_sales_invoice(id)
            .await
            .map_err(|e| anyhow::anyhow!(e.message_sr()))?;
        println!(
            "SalesInvoiceId {id}: {} ({}){}",
            r.status.as_str(),
            r.status.label_sr(),
            r.comment.map(|c| format!(" — {c}")).unwrap_or_default()
        );
        return Ok(());
    }
    bail!("choose --service URL [ID] or --sales-id N")
}

/// Builds the service from `serve` arguments.
pub async fn build_service(a: &ServeArgs) -> anyhow::Result<Service> {
    if let Some(url) = &a.public_url {
        fiskal_web::Policy::new()
            .public_url(url)
            .context("--public-url")?;
    }
    let ring = KeyRing::from_env_or_file(a.master_key_file.as_deref())?;
    let db = SqlStore::connect(&a.db)
        .await
        .with_context(|| "cannot open the database")?;
    let timeout = a.call_timeout_secs.map(Duration::from_secs);
    let mut gws: HashMap<String, Arc<dyn SefGateway>> = HashMap::new();
    if let Some(u) = &a.sandbox_url {
        gws.insert(
            "sandbox".into(),
            Arc::new(ClientGateway::new(
                fiskal_sef::SefEnvironment::Sandbox,
                Some(u),
                timeout,
            )?),
        );
    }
    if a.official {
        gws.insert(
            "production".into(),
            Arc::new(ClientGateway::new(
                fiskal_sef::SefEnvironment::Production,
                None,
                timeout,
            )?),
        );
        gws.insert(
            "demo".into(),
            Arc::new(ClientGateway::new(
                fiskal_sef::SefEnvironment::Demo,
                None,
                timeout,
            )?),
        );
    }
    let cfg = ServiceConfig {
        lease: Duration::from_secs(a.lease_secs.max(1)),
        max_upload_bytes: a.max_upload_kib * 1024,
        retry_base: Duration::from_millis(a.retry_base_ms.max(1)),
        tick: Duration::from_millis(a.tick_ms.max(10)),
        public_base_url: a
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", a.listen)),
        operator_token: std::env::var("FISKAL_SEF_OPERATOR_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        ..ServiceConfig::default()
    };
    Ok(Service::new(db, ring, gws, Arc::new(UblTools), cfg))
}

async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let svc = build_service(&a).await?;
    let server = fiskal_web::Server::bind(a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let addr = server.local_addr();
    eprintln!(
        "Moje fakture: http://{addr}/ (API: http://{addr}/api/v1, environments: {})",
        svc.environments().join(", ")
    );
    // Ctrl-C or SIGTERM stops the server (requests in flight finish) and then the workers.
    let (tx, rx) = tokio::sync::watch::channel(false);
    let workers = {
        let svc = svc.clone();
        let mut rx = rx.clone();
        tokio::spawn(async move {
            svc.run_workers(async move {
                let _ = rx.changed().await;
            })
            .await
        })
    };
    let served = crate::api::serve_on(server, svc, fiskal_web::shutdown_signal()).await;
    let _ = tx.send(true);
    let _ = workers.await;
    served?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        c: SefCommand,
    }

    #[test]
    fn parses_the_documented_syntax() {
        let c = Cli::try_parse_from(["sef", "validate", "a.xml"]).unwrap();
        assert!(matches!(c.c, SefCommand::Validate(_)));
        let c = Cli::try_parse_from(["sef", "send", "--service", "http://x", "a.xml"]).unwrap();
        assert!(matches!(
            c.c,
            SefCommand::Send(SendArgs {
                service: Some(_),
                ..
            })
        ));
        let c = Cli::try_parse_from([
            "sef",
            "send",
            "--db",
            "sqlite:x",
            "--tenant",
            "190000012",
            "a.xml",
        ])
        .unwrap();
        assert!(matches!(
            c.c,
            SefCommand::Send(SendArgs { pib: Some(_), .. })
        ));
        assert!(
            Cli::try_parse_from(["sef", "send", "--db", "sqlite:x", "a.xml"]).is_err(),
            "--db needs --pib"
        );
        let c = Cli::try_parse_from([
            "sef",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            "sqlite::memory:",
            "--sandbox-url",
            "http://127.0.0.1:8787",
            "--official",
            "false",
        ])
        .unwrap();
        assert!(matches!(
            c.c,
            SefCommand::Serve(ServeArgs {
                official: false,
                ..
            })
        ));
        let c = Cli::try_parse_from(["sef", "status", "--service", "http://x", "7"]).unwrap();
        assert!(matches!(
            c.c,
            SefCommand::Status(StatusArgs { id: Some(7), .. })
        ));
        assert!(Cli::try_parse_from(["sef", "sandbox", "--listen", "127.0.0.1:9999"]).is_ok());
    }

    #[test]
    fn validate_report_lists_rule_path_and_sentence() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let good = fiskal_ubl::to_xml(&fiskal_ubl::samples::sample_invoice("F-1", day, 2));
        let (out, ok) = validate_report(&good, Lang::SrLatn);
        assert!(ok, "{out}");
        let bad = good.replace("<cbc:ID>F-1</cbc:ID>", "");
        let (out, ok) = validate_report(&bad, Lang::En);
        assert!(!ok);
        let first = out.lines().next().unwrap();
        let cols: Vec<&str> = first.split('\t').collect();
        assert_eq!(cols.len(), 4, "{first}");
        assert_eq!(cols[1], "error");
        assert!(cols[2].starts_with('/'), "{first}");
        assert!(out.contains("The document is not valid"));
        let (out, ok) = validate_report("<not xml", Lang::SrLatn);
        assert!(!ok && out.starts_with("XML\tgreška"));
        let (out, ok) = validate_report(&bad, Lang::SrCyrl);
        assert!(!ok && out.contains("\tгрешка\t/Invoice/cbc:ID\t"), "{out}");
        assert!(
            out.ends_with("Документ није исправан: 2 грешака.\n"),
            "{out}"
        );
        for (code, lang) in [
            ("sr", Lang::SrLatn),
            ("sr-Cyrl", Lang::SrCyrl),
            ("en", Lang::En),
        ] {
            assert_eq!(parse_lang(code).unwrap(), lang);
        }
        assert!(parse_lang("de").is_err());
    }
}
