//! `fiskal suf ...`: fiskal's SUF (tax authority side) on a local environment bundle.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use fiskal_suf::service::admin::{AdminOutcome, CommandView, DirectiveRequest, SecureElementSummary};
use fiskal_suf::admin_client::{AdminClient, TaxRateGroups};
use fiskal_suf::store::SqlStore;
use fiskal_suf::Suf;
use fiskal_suf::service::local;

use super::secrets::optional_secret;

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

/// Arguments of `fiskal suf admin`.
#[derive(clap::Args)]
pub struct AdminArgs {
    /// Environment folder: gives the SUF's URL and the administration token file
    /// `DIR/suf/admin-token` that `fiskal suf serve` writes.
    #[arg(
        long = "env",
        alias = "data",
        env = "FISKAL_DATA",
        default_value = "fiskal-data"
    )]
    pub env: PathBuf,
    /// Base URL of the SUF (default: the environment's SUF URL).
    #[arg(long)]
    pub url: Option<String>,
    /// Administration token (env FISKAL_SUF_ADMIN_TOKEN or FISKAL_SUF_ADMIN_TOKEN_FILE; default:
    /// the file DIR/suf/admin-token).
    #[arg(long, env = "FISKAL_SUF_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub action: AdminAction,
}

/// `fiskal suf admin` actions.
#[derive(clap::Subcommand)]
pub enum AdminAction {
    /// List the tax-rate groups and which one applies now.
    TaxRates,
    /// Add a tax-rate group valid from a future instant; every L-PFR gets it as SetTaxRates.
    AddTaxRates(AddTaxRatesArgs),
    /// Set the verification URL prefix that starts every QR code's link.
    VerificationUrl {
        /// The prefix, e.g. https://suf.example/v/?vl=
        url: String,
    },
    /// Set the time server URL the PFRs synchronise with.
    TimeServer {
        /// The time server URL, e.g. http://0.europe.pool.ntp.org:80/
        url: String,
    },
    /// List the registered secure elements: TIN, revocation, commands pending, audited counter.
    SecureElements,
    /// Show the commands of one secure element and what its PFR reported.
    Commands {
        /// UID of the secure element.
        uid: String,
    },
    /// Send a directive to a secure element: stop or resume signing, set its limit, unlock its
    /// PIN after wrong tries. It travels as a command and the SE checks the authority's
    /// signature.
    Directive {
        /// UID of the secure element.
        uid: String,
        /// Stop signing.
        #[arg(long, group = "directive")]
        disable_signing: bool,
        /// Resume signing.
        #[arg(long, group = "directive")]
        enable_signing: bool,
        /// New limit in dinars (e.g. 2000000).
        #[arg(long, group = "directive", value_name = "DINARS")]
        set_limit: Option<String>,
        /// Unlock the PIN (tries back to 5).
        #[arg(long, group = "directive")]
        unlock_pin: bool,
    },
    /// Revoke a secure element from now on (its later receipts are refused, its token too).
    Revoke {
        /// UID of the secure element.
        uid: String,
    },
    /// Force the proof of audit for a secure element whose receipts cannot all be delivered
    /// (device failure); the operator's name is recorded.
    ForceProof {
        /// UID of the secure element.
        uid: String,
        /// Who forces it.
        #[arg(long)]
        operator: String,
    },
}

/// Arguments of `fiskal suf admin add-tax-rates`.
#[derive(clap::Args)]
pub struct AddTaxRatesArgs {
    /// When the group takes effect: RFC 3339 (2027-01-01T00:00:00+01:00), or Belgrade local
    /// time (2027-01-01, 2027-01-01T00:00:00).
    #[arg(long)]
    pub valid_from: String,
    /// A changed rate, LABEL=PERCENT (e.g. Ђ=22); the other labels keep the current group's
    /// rates. Repeatable.
    #[arg(long = "rate", value_name = "LABEL=PERCENT")]
    pub rates: Vec<String>,
    /// The whole group as JSON (`taxCategories` as in the PFR API) instead of --rate.
    #[arg(long, conflicts_with = "rates")]
    pub file: Option<PathBuf>,
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
                admin_token_path(&a.common.env).display()
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
        SufCommand::Ca(c) => run_ca(c),
        SufCommand::Admin(a) => run_admin(a).await,
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

fn admin_token_path(env: &Path) -> PathBuf {
    env.join("suf").join("admin-token")
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
    let path = admin_token_path(env);
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

/// Reads a --valid-from value: RFC 3339 or Belgrade local time, a date alone meaning midnight.
fn parse_valid_from(s: &str) -> anyhow::Result<chrono::DateTime<chrono::FixedOffset>> {
    let s = s.trim();
    let full = if s.len() == 10 {
        format!("{s}T00:00:00")
    } else {
        s.to_string()
    };
    fiskal_domain::time::parse_request_time(&full).with_context(|| {
        format!("--valid-from {s:?} is not a time: use 2027-01-01T00:00:00+01:00 or 2027-01-01")
    })
}

/// The group for `add-tax-rates`: the file, or the group in force now with the --rate changes.
fn new_group(
    a: &AddTaxRatesArgs,
    current: Option<fiskal_domain::tax::TaxRateGroup>,
) -> anyhow::Result<fiskal_suf::service::admin::NewTaxRateGroup> {
    let valid_from = parse_valid_from(&a.valid_from)?;
    if let Some(f) = &a.file {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", f.display()))?;
        let categories = v
            .get("taxCategories")
            .cloned()
            .with_context(|| format!("{} has no taxCategories", f.display()))?;
        return Ok(fiskal_suf::service::admin::NewTaxRateGroup {
            valid_from,
            tax_categories: serde_json::from_value(categories)
                .with_context(|| format!("the taxCategories of {} are not valid", f.display()))?,
        });
    }
    if a.rates.is_empty() {
        anyhow::bail!("say what changes: --rate LABEL=PERCENT (repeatable) or --file GROUP.json");
    }
    let mut group = current.context("the SUF has no tax-rate group in force to start from")?;
    for r in &a.rates {
        let (label, rate) = r
            .split_once('=')
            .with_context(|| format!("--rate {r:?} is not LABEL=PERCENT"))?;
        let mut rate: rust_decimal::Decimal = rate
            .trim()
            .trim_end_matches('%')
            .replace(',', ".")
            .parse()
            .with_context(|| format!("--rate {r:?}: {rate:?} is not a number"))?;
        if rate.scale() < 2 {
            rate.rescale(2);
        }
        let found = group
            .tax_categories
            .iter_mut()
            .flat_map(|c| c.tax_rates.iter_mut())
            .find(|t| t.label == label.trim());
        match found {
            Some(t) => t.rate = rate,
            None => anyhow::bail!(
                "label {label} is not in the current group; define new labels with --file"
            ),
        }
    }
    Ok(fiskal_suf::service::admin::NewTaxRateGroup {
        valid_from,
        tax_categories: group.tax_categories,
    })
}

/// Reads an amount in dinars typed by a person: plain (`2000000`, `2000000.50`) or Serbian
/// (`2.000.000,00`, `2000000,50`). A dot followed by exactly three digits and no comma
/// (`2.000`) is ambiguous and refused.
fn plain_amount(s: &str) -> anyhow::Result<String> {
    let s = s.trim();
    let plain = if s.contains(',') {
        s.replace('.', "").replace(',', ".")
    } else {
        if let Some((_, tail)) = s.rsplit_once('.')
            && tail.len() == 3
        {
            anyhow::bail!(
                "{s:?} is ambiguous: write 2000000 or 2.000.000,00 (thousands with dots need a decimal comma)"
            );
        }
        s.to_string()
    };
    let d: rust_decimal::Decimal = plain
        .parse()
        .with_context(|| format!("{s:?} is not an amount in dinars"))?;
    if d <= rust_decimal::Decimal::ZERO {
        anyhow::bail!("the amount must be more than 0");
    }
    Ok(d.to_string())
}

/// Runs `fiskal suf admin ...` against a running SUF.
async fn run_admin(a: AdminArgs) -> anyhow::Result<()> {
    let token = match optional_secret(a.token.clone(), "FISKAL_SUF_ADMIN_TOKEN")? {
        Some(t) => t,
        None => {
            let path = admin_token_path(&a.env);
            std::fs::read_to_string(&path)
                .with_context(|| {
                    format!(
                        "no administration token: {} is missing (start `fiskal suf serve --env {}` once, or pass --token)",
                        path.display(),
                        a.env.display()
                    )
                })?
                .trim()
                .to_string()
        }
    };
    let base = match &a.url {
        Some(u) => u.clone(),
        None => {
            fiskal_se::env::load(&a.env)
                .with_context(|| format!("reading the environment in {}", a.env.display()))?
                .suf_url
        }
    };
    let client = AdminClient::new(&base, token)?;
    match a.action {
        AdminAction::TaxRates => print_tax_rates(&client.tax_rate_groups().await?),
        AdminAction::AddTaxRates(args) => {
            let current = client.tax_rate_groups().await?.current_tax_rates;
            let group = new_group(&args, current)?;
            let o = client.add_tax_rate_group(&group).await?;
            println!(
                "Dodata grupa poreskih stopa {} (važi od {}); komanda SetTaxRates poslata za {} bezbednosnih elemenata.",
                o.value.group_id,
                rfc3339(&o.value.valid_from),
                o.queued_for
            );
        }
        AdminAction::VerificationUrl { url } => {
            let o = client.set_verification_url(&url).await?;
            print_url_setting("Adresa za proveru računa", &o);
        }
        AdminAction::TimeServer { url } => {
            let o = client.set_time_server(&url).await?;
            print_url_setting("Server vremena", &o);
        }
        AdminAction::SecureElements => print_secure_elements(&client.secure_elements().await?),
        AdminAction::Directive {
            uid,
            disable_signing,
            enable_signing,
            set_limit,
            unlock_pin,
        } => {
            let request = if disable_signing {
                DirectiveRequest::DisableSigning
            } else if enable_signing {
                DirectiveRequest::EnableSigning
            } else if let Some(l) = set_limit {
                let dinars: rust_decimal::Decimal = plain_amount(&l)?.parse()?;
                let scaled = fiskal_domain::money::to_scaled(dinars)
                    .with_context(|| format!("limit {l:?} is out of range"))?;
                DirectiveRequest::SetLimit(scaled)
            } else if unlock_pin {
                DirectiveRequest::UnlockPin
            } else {
                anyhow::bail!(
                    "say which directive: --disable-signing, --enable-signing, --set-limit DINARS or --unlock-pin"
                );
            };
            let o = client.send_directive(&uid, request).await?;
            println!(
                "Direktiva {} br. {} za {uid} poslata komandom.",
                o.value.directive, o.value.seq
            );
        }
        AdminAction::Revoke { uid } => {
            client.revoke(&uid).await?;
            println!("Bezbednosni element {uid} je opozvan.");
        }
        AdminAction::ForceProof { uid, operator } => {
            let p = client.force_proof_of_audit(&uid, &operator).await?.value;
            println!(
                "Dokaz o ishčitavanju za {uid} (brojač do {}) izdat na zahtev: {}; nedostaje računa: {}. Šalje se komandom.",
                p.total_counter, p.operator, p.missing_receipts
            );
        }
        AdminAction::Commands { uid } => print_commands(&client.commands(&uid).await?),
    }
    Ok(())
}

/// An instant as the SUF's JSON writes it (RFC 3339, `Z` for UTC).
fn rfc3339<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn print_tax_rates(groups: &TaxRateGroups) {
    let current = groups.current_tax_rates.as_ref().map(|g| g.group_id);
    for g in &groups.all_tax_rates {
        let mark = if Some(g.group_id) == current {
            " (važi sada)"
        } else {
            ""
        };
        println!(
            "Grupa {}, važi od {}{mark}:",
            g.group_id,
            rfc3339(&g.valid_from)
        );
        for c in &g.tax_categories {
            let rates: Vec<String> = c
                .tax_rates
                .iter()
                .map(|r| format!("{} {}%", r.label, r.rate))
                .collect();
            println!("  {} ({}): {}", c.name, c.order_id, rates.join(", "));
        }
    }
}

fn print_url_setting(what: &str, o: &AdminOutcome<String>) {
    println!(
        "{what} je sada {}; komanda poslata za {} bezbednosnih elemenata.",
        o.value, o.queued_for
    );
}

fn print_secure_elements(list: &[SecureElementSummary]) {
    println!("UID        PIB        komande na čekanju  ishčitano do brojača  opozvan");
    for s in list {
        // The counts are not padded (as before, when they were printed as JSON values).
        println!(
            "{:<10} {:<10} {}  {}  {}",
            s.uid,
            s.tin,
            s.pending_commands,
            s.audited_up_to,
            s.revoked_at.map_or_else(|| "ne".into(), |t| rfc3339(&t))
        );
    }
}

fn print_commands(list: &[CommandView]) {
    for c in list {
        let result = match c.success {
            None => "čeka",
            Some(true) => "izvršena",
            Some(false) => "NEUSPELA",
        };
        let short: String = c.payload.chars().take(60).collect();
        let more = if c.payload.chars().count() > 60 {
            "…"
        } else {
            ""
        };
        println!(
            "{}  {:<28} {:<9} {short}{more}",
            rfc3339(&c.created),
            c.type_name,
            result
        );
    }
}

/// `fiskal suf ca` subcommands.
#[derive(clap::Subcommand)]
pub enum CaCommand {
    /// Create a root CA (RSA-4096) and an issuing CA (RSA-3072) for one environment in DIR.
    Init(CaInitArgs),
    /// Issue a V-PFR client certificate (class V32) as a PFX file; prints UID, PFX password and
    /// PAC once.
    IssuePfx(CaIssuePfxArgs),
    /// Issue a secure element's certificates (signing V33, authentication V34) in a PFX file;
    /// prints UID, PFX password and PIN once.
    IssueSe(CaIssueSeArgs),
    /// List what the CA in DIR has issued.
    List(CaDirArgs),
    /// Verify a certificate or PFX: chain to the CA's root and its environment.
    Verify(CaVerifyArgs),
}

/// The CA folder, and optionally the environment it must belong to.
#[derive(clap::Args)]
pub struct CaDirArgs {
    /// CA folder (made by `fiskal suf ca init`).
    #[arg(long, env = "FISKAL_CA_DIR")]
    pub dir: PathBuf,
    /// Refuse the CA unless it belongs to this environment (sandbox, production, local).
    #[arg(long = "env")]
    pub env: Option<String>,
}

/// Arguments of `fiskal suf ca init`.
#[derive(clap::Args)]
pub struct CaInitArgs {
    /// CA folder to create.
    #[arg(long, env = "FISKAL_CA_DIR")]
    pub dir: PathBuf,
    /// Environment: sandbox, production or local.
    #[arg(long = "env")]
    pub env: String,
}

/// Arguments of `fiskal suf ca issue-pfx`.
#[derive(clap::Args)]
pub struct CaIssuePfxArgs {
    #[command(flatten)]
    pub ca: CaDirArgs,
    /// Taxpayer TIN (PIB).
    #[arg(long)]
    pub tin: String,
    /// Taxpayer name.
    #[arg(long)]
    pub name: String,
    /// Location (`{location id}-{name}`), optional.
    #[arg(long)]
    pub location: Option<String>,
    /// V-PFR URL written into the certificate, optional.
    #[arg(long)]
    pub vpfr_url: Option<String>,
    /// PAC chosen by the taxpayer (6 uppercase letters/digits); generated when absent
    /// (env FISKAL_PAC or FISKAL_PAC_FILE).
    #[arg(long, env = "FISKAL_PAC", hide_env_values = true)]
    pub pac: Option<String>,
    /// PFX password chosen by the taxpayer (8 uppercase letters/digits); generated when absent
    /// (env FISKAL_PFX_PASSWORD or FISKAL_PFX_PASSWORD_FILE).
    #[arg(long, env = "FISKAL_PFX_PASSWORD", hide_env_values = true)]
    pub pfx_password: Option<String>,
    /// Where to write the PFX (default DIR/issued/{UID}.pfx).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `fiskal suf ca issue-se`.
#[derive(clap::Args)]
pub struct CaIssueSeArgs {
    #[command(flatten)]
    pub ca: CaDirArgs,
    /// Taxpayer TIN (PIB).
    #[arg(long)]
    pub tin: String,
    /// Business name (O).
    #[arg(long)]
    pub name: String,
    /// Location (OU), `{location id}-{name}`.
    #[arg(long)]
    pub location: String,
    /// Street address (STREET).
    #[arg(long)]
    pub address: String,
    /// District / municipality (ST).
    #[arg(long)]
    pub district: String,
    /// 4-digit PIN chosen by the taxpayer; generated when absent (env FISKAL_SE_PIN or
    /// FISKAL_SE_PIN_FILE).
    #[arg(long, env = "FISKAL_SE_PIN", hide_env_values = true)]
    pub pin: Option<String>,
    /// Where to write the PFX (default DIR/issued/{UID}.pfx).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `fiskal suf ca verify`.
#[derive(clap::Args)]
pub struct CaVerifyArgs {
    /// Certificate (PEM or DER, optionally followed by its chain) or PFX file (.pfx, .p12).
    pub file: PathBuf,
    /// CA folder whose root is trusted (its issuing CA is added to the chain).
    #[arg(long, env = "FISKAL_CA_DIR", conflicts_with = "root")]
    pub dir: Option<PathBuf>,
    /// Trusted root certificate (PEM or DER) instead of a CA folder.
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// The environment the certificate must belong to (default: the trusted root's).
    #[arg(long = "env")]
    pub env: Option<String>,
    /// PFX password, for a PFX file (env FISKAL_PFX_PASSWORD or FISKAL_PFX_PASSWORD_FILE).
    #[arg(long, env = "FISKAL_PFX_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

fn open_ca(a: &CaDirArgs) -> anyhow::Result<fiskal_suf::ca::Pki> {
    use fiskal_suf::ca::Pki;
    Ok(match &a.env {
        Some(e) => Pki::open_as(&a.dir, e.parse()?)?,
        None => Pki::open(&a.dir)?,
    })
}

/// Runs `fiskal suf ca ...`.
fn run_ca(c: CaCommand) -> anyhow::Result<()> {
    use fiskal_suf::ca::{self, EnvironmentKind, PfxRequest, Pki, Verifier};
    match c {
        CaCommand::Init(a) => {
            let env: EnvironmentKind = a.env.parse()?;
            let pki = Pki::init(&a.dir, env)?;
            println!(
                "CA okruženja {env} napravljen u {} (koren: root-ca.crt, izdavalac: issuing-ca.crt).",
                pki.dir().display()
            );
            Ok(())
        }
        CaCommand::IssuePfx(a) => {
            let pki = open_ca(&a.ca)?;
            let req = PfxRequest {
                tin: a.tin,
                name: a.name,
                location: a.location,
                vpfr_url: a.vpfr_url,
                pac: optional_secret(a.pac, "FISKAL_PAC")?,
                pfx_password: optional_secret(a.pfx_password, "FISKAL_PFX_PASSWORD")?,
            };
            let r = pki.issue_pfx(&req, a.out.as_deref())?;
            println!("UID: {}", r.uid);
            println!("PFX: {}", r.path.display());
            println!("PFX lozinka: {}", r.pfx_password.as_str());
            println!("PAC: {}", r.pac.as_str());
            println!("Okruženje: {}", pki.environment());
            println!("Lozinka i PAC se prikazuju samo sada; sačuvajte ih.");
            Ok(())
        }
        CaCommand::IssueSe(a) => {
            let pki = open_ca(&a.ca)?;
            let seller = fiskal_domain::seller::Seller {
                tin: a.tin,
                business_name: a.name,
                location_name: a.location,
                address: a.address,
                district: a.district,
            };
            let pin = optional_secret(a.pin, "FISKAL_SE_PIN")?;
            let r = pki.issue_se(&seller, pin.as_deref(), a.out.as_deref())?;
            println!("UID: {}", r.uid);
            println!("PFX: {}", r.path.display());
            println!("PFX lozinka: {}", r.pfx_password.as_str());
            println!("PIN: {}", r.pin.as_str());
            println!("Okruženje: {}", pki.environment());
            println!("Lozinka i PIN se prikazuju samo sada; sačuvajte ih.");
            Ok(())
        }
        CaCommand::List(a) => {
            let pki = open_ca(&a)?;
            let entries = pki.registry()?;
            println!(
                "CA okruženja {} u {}: izdato {}",
                pki.environment(),
                pki.dir().display(),
                entries.len()
            );
            for e in entries {
                let classes: Vec<String> = e.classes.iter().map(|c| format!("{c:?}")).collect();
                println!(
                    "{}  {}  PIB {}  {}  važi do {}  {}",
                    e.uid,
                    classes.join("+"),
                    e.tin,
                    e.name,
                    e.not_after,
                    e.file
                );
            }
            Ok(())
        }
        CaCommand::Verify(a) => {
            let bytes =
                std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
            let is_pfx = matches!(
                a.file
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("pfx" | "p12")
            );
            let mut leaves: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
            if is_pfx {
                let pw = optional_secret(a.password, "FISKAL_PFX_PASSWORD")?
                    .context("a PFX file needs its password (--password or FISKAL_PFX_PASSWORD)")?;
                for e in ca::open_pfx(&bytes, &pw)? {
                    let first = e
                        .chain
                        .first()
                        .context("the PFX entry has no certificate")?;
                    if !ca::key_matches_certificate(&e.key_pkcs8, first) {
                        anyhow::bail!("the key of {} does not match its certificate", e.alias);
                    }
                    leaves.push((e.alias, e.chain));
                }
            } else {
                leaves.push((String::new(), ca::read_certificates(&bytes)?));
            }
            let expected: Option<EnvironmentKind> = a.env.as_deref().map(str::parse).transpose()?;
            let (verifier, extra) = match (&a.dir, &a.root) {
                (Some(dir), _) => {
                    let pki = match expected {
                        Some(e) => Pki::open_as(dir, e)?,
                        None => Pki::open(dir)?,
                    };
                    (pki.verifier()?, vec![pki.issuing_der().to_vec()])
                }
                (None, Some(root)) => {
                    let rb = std::fs::read(root)
                        .with_context(|| format!("reading {}", root.display()))?;
                    let rd = ca::read_certificates(&rb)?
                        .into_iter()
                        .next()
                        .context("the root file holds no certificate")?;
                    let env = match expected {
                        Some(e) => e,
                        None => ca::certificate_environment(&rd)?,
                    };
                    (Verifier::new(env, &rd)?, Vec::new())
                }
                (None, None) => {
                    anyhow::bail!("give the trusted CA with --dir DIR or --root ROOT.crt")
                }
            };
            let now = chrono::Utc::now().timestamp();
            for (alias, chain) in leaves {
                let (leaf, rest) = chain.split_first().context("no certificate")?;
                let mut inter = rest.to_vec();
                inter.extend(extra.iter().cloned());
                let v = verifier.verify(leaf, &inter, now)?;
                let until = chrono::DateTime::from_timestamp(v.not_after, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                let label = if alias.is_empty() {
                    String::new()
                } else {
                    format!(" ({alias})")
                };
                println!(
                    "U redu{label}: UID {}, klasa {:?}, okruženje {}, PIB {}, {}, važi do {until}",
                    v.uid, v.class, v.environment, v.tin, v.name
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod admin_tests {
    use super::plain_amount;

    #[test]
    fn amounts_in_both_notations_and_ambiguity_refused() {
        assert_eq!(plain_amount("2000000").unwrap(), "2000000");
        assert_eq!(plain_amount("2.000.000,00").unwrap(), "2000000.00");
        assert_eq!(plain_amount("2000000,5").unwrap(), "2000000.5");
        assert_eq!(plain_amount("2000000.50").unwrap(), "2000000.50");
        assert!(plain_amount("2.000").is_err(), "2 or 2000?");
        assert!(plain_amount("500.000").is_err());
        assert!(plain_amount("0").is_err());
        assert!(plain_amount("dva").is_err());
    }
}
