//! `fiskal demo`. Placeholder.
/// Arguments of `fiskal demo`.
#[derive(clap::Args)]
pub struct DemoArgs {}
/// Runs the demo.
pub async fn run(_a: DemoArgs) -> anyhow::Result<()> { anyhow::bail!("not yet") }
