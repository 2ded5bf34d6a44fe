//! `fiskal sef`. Placeholder.
/// SEF subcommands.
#[derive(clap::Subcommand)]
pub enum SefCommand { /// Validate.
 Validate }
/// Runs it.
pub async fn run(_a: SefCommand) -> anyhow::Result<()> { anyhow::bail!("not yet") }
