//! `fiskal sef …`: SEF e-invoicing (validate and send UBL, the local SEF sandbox, the
//! "Moje fakture" service). The work lives in fiskal-einvoice.

use std::path::Path;

/// SEF subcommands.
pub use fiskal_einvoice::cli::SefCommand;

/// Runs a `fiskal sef` subcommand.
pub async fn run(c: SefCommand) -> anyhow::Result<()> {
    fiskal_einvoice::cli::run(c).await
}

/// The SEF part of `fiskal demo`: a company registers on the local SEF sandbox, hands its API
/// key to the service, and an invoice goes out and comes back Approved.
pub async fn demo(_data: &Path) -> anyhow::Result<()> {
    println!("SEF e-invoicing (Moje fakture) against the local SEF sandbox:");
    let summary = fiskal_einvoice::demo_flow(fiskal_einvoice::DemoOptions::default()).await?;
    println!("{summary}");
    Ok(())
}
