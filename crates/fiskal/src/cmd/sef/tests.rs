//! `fiskal sef` argument parsing and the validate command.

use clap::Parser;

use super::args::{SendArgs, ServeArgs, StatusArgs};
use super::*;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    c: SefCommand,
}

#[test]
fn parses_the_documented_syntax() {
    let c = Cli::try_parse_from(["sef", "validate", "a.xml"]).unwrap();
    assert!(matches!(c.c, SefCommand::Validate(_)));
    let c = Cli::try_parse_from(["sef", "send", "--service", "http://x", "a.xml"]).unwrap();
    assert!(matches!(
        c.c,
        SefCommand::Send(SendArgs {
            service: Some(_),
            ..
        })
    ));
    let c = Cli::try_parse_from([
        "sef",
        "send",
        "--db",
        "sqlite:x",
        "--tenant",
        "190000012",
        "a.xml",
    ])
    .unwrap();
    assert!(matches!(
        c.c,
        SefCommand::Send(SendArgs { pib: Some(_), .. })
    ));
    assert!(
        Cli::try_parse_from(["sef", "send", "--db", "sqlite:x", "a.xml"]).is_err(),
        "--db needs --pib"
    );
    let c = Cli::try_parse_from([
        "sef",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--db",
        "sqlite::memory:",
        "--sandbox-url",
        "http://127.0.0.1:8787",
        "--official",
        "false",
    ])
    .unwrap();
    assert!(matches!(
        c.c,
        SefCommand::Serve(ServeArgs {
            official: false,
            ..
        })
    ));
    let c = Cli::try_parse_from(["sef", "status", "--service", "http://x", "7"]).unwrap();
    assert!(matches!(
        c.c,
        SefCommand::Status(StatusArgs { id: Some(7), .. })
    ));
    assert!(Cli::try_parse_from(["sef", "sandbox", "--listen", "127.0.0.1:9999"]).is_ok());
}

#[test]
fn parses_languages() {
    for (code, lang) in [
        ("sr", Lang::SrLatn),
        ("sr-Cyrl", Lang::SrCyrl),
        ("en", Lang::En),
    ] {
        assert_eq!(parse_lang(code).unwrap(), lang);
    }
    assert!(parse_lang("de").is_err());
}

/// A file the reader refuses is an error of the whole command, not a crash (moved here from
/// fiskal-einvoice's hostile-XML test when the command moved into the binary).
#[test]
fn validate_refuses_a_hostile_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.xml");
    let deep = format!(
        "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">{}{}</Invoice>",
        "<a>".repeat(50_000),
        "</a>".repeat(50_000)
    );
    std::fs::write(&file, deep).unwrap();
    for json in [false, true] {
        let e = validate(ValidateArgs {
            file: file.clone(),
            lang: "en".into(),
            json,
        })
        .unwrap_err();
        assert!(e.to_string().ends_with("is not valid"), "{e}");
    }
}
