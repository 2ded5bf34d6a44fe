//! `fiskal`: one thin binary whose subcommands start each part of fiskal.
//!
//! The work lives in the library crates; this binary only parses arguments, sets up logging and
//! dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// fiskal: Serbian fiscalization (TaxCore) and SEF e-invoicing.
#[derive(Parser)]
#[command(name = "fiskal", version, about, propagate_version = true)]
struct Cli {
    /// More log lines on stderr: `-v` for information, `-vv` for debugging (`RUST_LOG` overrides).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set up a whole local environment, issue the example documents and show the results.
    Demo(cmd::demo::DemoArgs),
    /// Secure element: create the software SE and the local environment bundle.
    #[command(subcommand)]
    Se(cmd::se::SeCommand),
    /// PFR (fiscal receipt processor): run the L-PFR service.
    #[command(subcommand)]
    Pfr(cmd::pfr::PfrCommand),
    /// ESIR (invoicing client): issue documents through any TaxCore-compatible PFR.
    Esir(cmd::esir::EsirArgs),
    /// SEF e-invoicing: validate and send UBL invoices, the local SEF sandbox, the service.
    #[command(subcommand)]
    Sef(cmd::sef::SefCommand),
    /// SUF (tax authority side): audit intake, proof of audit, commands, verification page.
    #[command(subcommand)]
    Suf(cmd::suf::SufCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `fiskal demo` talks to a person: only warnings unless asked; servers log what they do.
    let quiet_by_default = matches!(cli.command, Command::Demo(_));
    cmd::init_logging(cmd::LogLevel::from_flags(cli.verbose, quiet_by_default));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fiskal: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Command::Demo(a) => cmd::demo::run(a).await,
            Command::Se(c) => cmd::se::run(c).await,
            Command::Pfr(c) => cmd::pfr::run(c).await,
            Command::Esir(a) => cmd::esir::run(a).await,
            Command::Sef(c) => cmd::sef::run(c).await,
            Command::Suf(c) => cmd::suf::run(c).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fiskal: {e:#}");
            ExitCode::from(2)
        }
    }
}
