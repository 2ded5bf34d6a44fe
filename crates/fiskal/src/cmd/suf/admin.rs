//! `fiskal suf admin ...`: the authority's administration of a running SUF through
//! [`fiskal_suf::admin_client::AdminClient`]; the answers are printed by `print`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use fiskal_suf::admin_client::AdminClient;
use fiskal_suf::service::admin::DirectiveRequest;

use super::super::secrets::optional_secret;
use super::print::{
    print_commands, print_secure_elements, print_tax_rates, print_url_setting, rfc3339,
};

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

/// The administration token file that `fiskal suf serve` writes.
pub(super) fn admin_token_path(env: &Path) -> PathBuf {
    env.join("suf").join("admin-token")
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
pub(super) async fn run_admin(a: AdminArgs) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
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
