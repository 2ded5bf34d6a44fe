//! `fiskal esir`. Placeholder.
/// ESIR arguments.
#[derive(clap::Args)]
pub struct EsirArgs {}
/// Runs it.
pub async fn run(_a: EsirArgs) -> anyhow::Result<()> { anyhow::bail!("not yet") }
