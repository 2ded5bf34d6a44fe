//! `fiskal se ...`: the software secure element and the local environment bundle.

use std::path::PathBuf;

use anyhow::Context;
use fiskal_domain::counter::Uid;
use fiskal_domain::money::{format_money, from_scaled, to_scaled};
use fiskal_domain::seller::Seller;
use fiskal_se::env::{self, InitOptions};
use fiskal_se::{Pin, SecureElement};
use rust_decimal::Decimal;

use super::secrets::secret;

/// `fiskal se` subcommands.
#[derive(clap::Subcommand)]
pub enum SeCommand {
    /// Create a software SE and a local environment bundle (test authority keys, seller,
    /// tax rates, verification URL prefix) in DIR.
    Init(Box<InitArgs>),
    /// Show the SE and environment in DIR.
    Show(ShowArgs),
}

/// Arguments of `fiskal se init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// Data folder.
    #[arg(long, env = "FISKAL_DATA", default_value = "fiskal-data")]
    pub data: PathBuf,
    /// PIN of the new SE, 4 digits (env FISKAL_SE_PIN or FISKAL_SE_PIN_FILE; default 1234).
    #[arg(long, env = "FISKAL_SE_PIN", hide_env_values = true)]
    pub pin: Option<String>,
    /// Password of the SE state file, at least 8 characters (env FISKAL_SE_PASSWORD or
    /// FISKAL_SE_PASSWORD_FILE; default FISKAL01).
    #[arg(long, env = "FISKAL_SE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Signing limit in dinars: the most the SE signs without a proof of audit.
    #[arg(long, default_value = "1000000.00")]
    pub limit: Decimal,
    /// Base URL of the (future) local SUF; the verification URL prefix is `{suf-url}v/?vl=`.
    #[arg(long, default_value = env::DEFAULT_SUF_URL)]
    pub suf_url: String,
    /// UID of the SE (8 uppercase letters/digits); random by default.
    #[arg(long)]
    pub uid: Option<String>,
    /// Seller TIN (PIB), kept as issued.
    #[arg(long)]
    pub tin: Option<String>,
    /// Seller business name.
    #[arg(long)]
    pub business_name: Option<String>,
    /// Seller location name (`{id}-{name}`).
    #[arg(long)]
    pub location_name: Option<String>,
    /// Seller street address.
    #[arg(long)]
    pub address: Option<String>,
    /// Seller district (municipality).
    #[arg(long)]
    pub district: Option<String>,
    /// Replace an existing environment in DIR.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `fiskal se show`.
#[derive(clap::Args)]
pub struct ShowArgs {
    /// Data folder.
    #[arg(long, env = "FISKAL_DATA", default_value = "fiskal-data")]
    pub data: PathBuf,
    /// Password of the SE state file (env FISKAL_SE_PASSWORD or FISKAL_SE_PASSWORD_FILE).
    #[arg(long, env = "FISKAL_SE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

/// Runs `fiskal se ...`.
pub async fn run(c: SeCommand) -> anyhow::Result<()> {
    match c {
        SeCommand::Init(a) => init(*a).await,
        SeCommand::Show(a) => show(a).await,
    }
}

/// Builds init options from the arguments.
pub fn init_options(a: &InitArgs) -> anyhow::Result<InitOptions> {
    let mut seller = Seller::seed_example();
    if let Some(v) = &a.tin {
        seller.tin = v.clone();
    }
    if let Some(v) = &a.business_name {
        seller.business_name = v.clone();
    }
    if let Some(v) = &a.location_name {
        seller.location_name = v.clone();
    }
    if let Some(v) = &a.address {
        seller.address = v.clone();
    }
    if let Some(v) = &a.district {
        seller.district = v.clone();
    }
    let pin = secret(a.pin.clone(), "FISKAL_SE_PIN", env::DEFAULT_PIN)?;
    let pin = Pin::parse(&pin).map_err(|_| anyhow::anyhow!("the PIN must be exactly 4 digits"))?;
    let password = secret(
        a.password.clone(),
        "FISKAL_SE_PASSWORD",
        env::DEFAULT_SE_PASSWORD,
    )?;
    if password.chars().count() < 8 {
        anyhow::bail!("the SE password must have at least 8 characters");
    }
    if a.limit <= Decimal::ZERO {
        anyhow::bail!("the limit must be a positive amount in dinars");
    }
    let limit = to_scaled(a.limit).context("the limit is too large")?;
    let uid = match &a.uid {
        Some(u) => Some(Uid::parse(u).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    let mut suf_url = a.suf_url.clone();
    if !suf_url.ends_with('/') {
        suf_url.push('/');
    }
    Ok(InitOptions {
        seller,
        pin,
        password,
        limit,
        suf_url: Some(suf_url),
        uid,
        force: a.force,
    })
}

async fn init(a: InitArgs) -> anyhow::Result<()> {
    let opts = init_options(&a)?;
    let dir = a.data.clone();
    let environment = tokio::task::spawn_blocking(move || env::init(&dir, opts)).await??;
    println!(
        "Secure element {} created in {}",
        environment.se_uid,
        a.data.display()
    );
    println!(
        "  state file:        {}",
        environment.se_state_path(&a.data).display()
    );
    println!(
        "  seller:            {} {} ({})",
        environment.seller.tin, environment.seller.business_name, environment.seller.location_name
    );
    println!("  limit:             {} RSD", format_money(a.limit));
    println!(
        "  verification URLs: {}",
        environment.verification_url_prefix
    );
    println!(
        "  environment:       {}",
        a.data.join(env::ENVIRONMENT_FILE).display()
    );
    println!(
        "Start the L-PFR with: fiskal pfr serve --data {}",
        a.data.display()
    );
    Ok(())
}

async fn show(a: ShowArgs) -> anyhow::Result<()> {
    let environment = env::load(&a.data)?;
    let password = secret(
        a.password.clone(),
        "FISKAL_SE_PASSWORD",
        env::DEFAULT_SE_PASSWORD,
    )?;
    let dir = a.data.clone();
    let e2 = environment.clone();
    let se = tokio::task::spawn_blocking(move || e2.open_se(&dir, &password)).await??;
    let amount = se.amount_status();
    println!("UID:               {}", se.uid());
    println!(
        "Seller:            {} {}",
        environment.seller.tin, environment.seller.business_name
    );
    println!("Total counter:     {}", se.total_counter());
    println!("PIN tries left:    {}", se.pin_tries_left());
    println!(
        "Unaudited amount:  {} RSD of {} RSD",
        format_money(from_scaled(amount.unaudited)),
        format_money(from_scaled(amount.limit))
    );
    println!("Verification URLs: {}", environment.verification_url_prefix);
    Ok(())
}
