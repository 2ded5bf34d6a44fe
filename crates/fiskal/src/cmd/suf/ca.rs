//! `fiskal suf ca ...`: the test PKI.

use std::path::PathBuf;

use anyhow::Context;

use super::super::secrets::optional_secret;

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
pub(super) fn run_ca(c: CaCommand) -> anyhow::Result<()> {
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
