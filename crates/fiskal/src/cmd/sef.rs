//! `fiskal sef`. Placeholder.
/// SEF subcommands.
#[derive(clap::Subcommand)]
pub enum SefCommand { /// Validate.
 Validate }
/// Runs it.
pub async fn run(_a: SefCommand) -> anyhow::Result<()> { anyhow::bail!("not yet") }

/// The SEF part of `fiskal demo`.
pub async fn demo(_data: &std::path::Path) -> anyhow::Result<()> {
    println!("SEF e-invoicing demo: not available in this build.");
    Ok(())
}
