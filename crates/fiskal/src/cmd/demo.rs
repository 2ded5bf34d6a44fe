//! `fiskal demo`: a whole local set-up on embedded defaults, the seed's example receipt and every
//! kind of document, printed and with QR codes, in one command.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use fiskal_domain::kinds::{DocumentKind, InvoiceType, TransactionType};
use fiskal_domain::seller::Seller;
use fiskal_esir::documents::{
    Header, Original, advance_item, new_document, parse_item_spec, parse_payment_spec,
};
use fiskal_esir::service::{EsirConfig, default_esir_number};
use fiskal_esir::{ClientConfig, Esir, Issued, Lang, Pin, QrInText};
use fiskal_se::env::{self, InitOptions};
use rust_decimal::Decimal;

/// Arguments of `fiskal demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Data folder (created when missing; reused when it exists).
    #[arg(long, env = "FISKAL_DATA", default_value = "fiskal-data")]
    pub data: PathBuf,
    /// Address of the L-PFR (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Keep the L-PFR running after the demo (Ctrl-C stops it).
    #[arg(long)]
    pub serve: bool,
    /// Leave out the SEF e-invoicing part.
    #[arg(long)]
    pub no_sef: bool,
}

fn rule() {
    println!("{}", "─".repeat(72));
}

fn show(title: &str, issued: &Issued, qr_dir: &Path, n: usize) -> anyhow::Result<PathBuf> {
    rule();
    println!(
        "{n}. {title}: {}  ({})",
        issued.doc.number(),
        issued.doc.result.invoice_counter
    );
    rule();
    print!(
        "{}",
        fiskal_esir::printable_stored(&issued.doc, QrInText::Placeholder)
    );
    println!("Verification URL: {}", issued.doc.result.verification_url);
    let png = qr_dir.join(format!("{n:02}-{}.png", issued.doc.number()));
    fiskal_esir::qr_png(&issued.doc.result.verification_url, &png)?;
    println!("QR code:          {}", png.display());
    for w in &issued.warnings {
        println!("Note: {}", w.message(Lang::SrLatn));
    }
    Ok(png)
}

/// Runs the demo.
pub async fn run(a: DemoArgs) -> anyhow::Result<()> {
    ensure_environment(&a.data).await?;
    let serve_args = super::pfr::ServeArgs {
        data: a.data.clone(),
        listen: a.listen,
        password: None,
        pin: None,
    };
    let (lpfr, listener) = super::pfr::start(&serve_args).await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}/");
    let uid = lpfr.uid().clone();
    let lpfr_handle = lpfr.clone();
    let server = tokio::spawn(fiskal_pfr::serve(lpfr, listener));
    println!("L-PFR (secure element {uid}) listening on {base}");
    // The tax authority's SUF on the address the verification URLs point to.
    let environment = env::load(&a.data)?;
    let suf = start_suf(&a.data, &environment.suf_url).await;

    let esir = open_esir(&a.data, &base).await?;
    let qr_dir = a.data.join("demo");
    std::fs::create_dir_all(&qr_dir)?;
    let (sale, pngs) = issue_documents(&esir, &qr_dir).await?;
    rule();

    let audit_cfg = fiskal_pfr::audit::AuditConfig {
        encryption_key: environment.authority_encryption_key_der().ok(),
        min_audit_interval: std::time::Duration::ZERO,
        ..fiskal_pfr::audit::AuditConfig::default()
    };
    if suf.is_some() {
        audit(&lpfr_handle, &audit_cfg, &sale.doc.result.verification_url).await?;
        rule();
    }

    if !a.no_sef {
        super::sef::demo(&a.data).await?;
        rule();
    }

    print_where_everything_is(&a.data, &qr_dir, pngs.len(), &sale);
    if a.serve {
        println!("The L-PFR keeps serving on {base} (Ctrl-C stops it).");
        if suf.is_some() {
            tokio::spawn(fiskal_pfr::audit::run(lpfr_handle.clone(), audit_cfg));
        }
        server.await??;
    } else {
        server.abort();
    }
    Ok(())
}

/// Creates the software SE and the local environment in `data` unless they exist.
async fn ensure_environment(data: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    if data.join(env::ENVIRONMENT_FILE).exists() {
        println!("Using the existing environment in {}", data.display());
        return Ok(());
    }
    let dir = data.to_path_buf();
    let e = tokio::task::spawn_blocking(move || {
        env::init(&dir, InitOptions::defaults(Seller::seed_example()))
    })
    .await??;
    println!(
        "Created a software secure element {} and a local environment in {}",
        e.se_uid,
        data.display()
    );
    Ok(())
}

/// Opens the demo's ESIR against the L-PFR at `base` and enters the PIN if needed.
async fn open_esir(data: &Path, base: &str) -> anyhow::Result<Esir> {
    let e = |e: fiskal_esir::EsirError| anyhow::anyhow!(e.message(Lang::SrLatn));
    let esir = Esir::open(EsirConfig {
        pfr_url: base.to_string(),
        data_dir: data.join("esir"),
        lang: Lang::SrLatn,
        pin: Some(Pin::parse(env::DEFAULT_PIN)?),
        esir_number: default_esir_number(),
        client: ClientConfig::default(),
    })
    .await
    .map_err(e)?;
    let status = esir.client.status().await.map_err(e)?;
    esir.ensure_pin(&status).await.map_err(e)?;
    Ok(esir)
}

/// The cashier's header of the demo's documents.
fn header(buyer: Option<&str>) -> Header {
    Header {
        cashier: Some("1".into()),
        buyer_id: buyer.map(str::to_string),
        buyer_cost_center_id: None,
        esir_number: Some("AS9280".into()),
    }
}

fn esir_error(e: fiskal_esir::EsirError) -> anyhow::Error {
    anyhow::anyhow!(e.message(Lang::SrLatn))
}

/// Issues the seed receipt, its refund and copy, a pro-forma, a training receipt and an
/// advance chain; returns the seed receipt and the QR files written.
async fn issue_documents(esir: &Esir, qr_dir: &Path) -> anyhow::Result<(Issued, Vec<PathBuf>)> {
    let e = esir_error;
    let pivo = || parse_item_spec("Pivo Lav/л;2;82.00;Ђ");
    let mut pngs = Vec::new();
    // 1. The seed's example receipt: Pivo Lav, 2 x 82.00, Ђ 20 %, paid by card.
    let sale = esir
        .issue(new_document(
            DocumentKind::new(InvoiceType::Normal, TransactionType::Sale),
            &header(Some("30:PP3456789")),
            vec![pivo().map_err(e)?],
            vec![parse_payment_spec("card:164.00").map_err(e)?],
        ))
        .await
        .map_err(e)?;
    pngs.push(show(
        "Promet prodaja (primer iz dokumentacije)",
        &sale,
        &qr_dir,
        1,
    )?);

    // 2. A refund of it to the card, with the buyer's ID card number.
    let original = Original::stored(&sale.doc);
    let refund = esir
        .refund(
            &original,
            header(Some("20:0023456")),
            None,
            Some(vec![parse_payment_spec("card:164.00").map_err(e)?]),
            false,
        )
        .await
        .map_err(e)?;
    pngs.push(show("Promet refundacija", &refund.refund, &qr_dir, 2)?);

    // 3. A copy of the sale.
    let copy = esir
        .copy(sale.doc.number(), header(None))
        .await
        .map_err(e)?;
    pngs.push(show("Kopija prodaja", &copy, &qr_dir, 3)?);

    // 4. A pro-forma and 5. a training receipt.
    let proforma = esir
        .issue(new_document(
            DocumentKind::new(InvoiceType::ProForma, TransactionType::Sale),
            &header(None),
            vec![
                pivo().map_err(e)?,
                parse_item_spec("Хлеб/ком;1;65.00;Е").map_err(e)?,
            ],
            vec![parse_payment_spec("wire:229.00").map_err(e)?],
        ))
        .await
        .map_err(e)?;
    pngs.push(show("Predračun prodaja", &proforma, &qr_dir, 4)?);
    let training = esir
        .issue(new_document(
            DocumentKind::new(InvoiceType::Training, TransactionType::Sale),
            &header(None),
            vec![pivo().map_err(e)?],
            vec![parse_payment_spec("cash:200.00").map_err(e)?],
        ))
        .await
        .map_err(e)?;
    pngs.push(show("Obuka prodaja", &training, &qr_dir, 5)?);

    issue_advance_chain(esir, qr_dir, &mut pngs).await?;
    Ok((sale, pngs))
}

/// Two advances, then the closing Advance Refund and Normal Sale (QR files 6 to 9).
async fn issue_advance_chain(
    esir: &Esir,
    qr_dir: &Path,
    pngs: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let e = esir_error;
    // 6. An advance chain: two advances, then the closing Advance Refund and Normal Sale.
    let advance_amount =
        |d: i64| advance_item('Ђ', Decimal::new(d * 100, 2)).context("advance item");
    let buyer = header(Some("10:106884584"));
    let a1 = esir
        .advance_start(
            buyer.clone(),
            vec![advance_amount(1000)?],
            vec![parse_payment_spec("wire:1000.00").map_err(e)?],
            None,
            None,
        )
        .await
        .map_err(e)?;
    pngs.push(show("Avans prodaja (prvi avans)", &a1, &qr_dir, 6)?);
    let a2 = esir
        .advance_add(
            a1.doc.number(),
            buyer.clone(),
            vec![advance_amount(2000)?],
            vec![parse_payment_spec("wire:2000.00").map_err(e)?],
            None,
        )
        .await
        .map_err(e)?;
    pngs.push(show("Avans prodaja (drugi avans)", &a2, &qr_dir, 7)?);
    let (advance_refund, closing) = esir
        .advance_close(
            a2.doc.number(),
            buyer.clone(),
            vec![parse_item_spec("Кухињски елементи/ком;1;5000.00;Ђ").map_err(e)?],
            vec![parse_payment_spec("wire:2000.00").map_err(e)?],
        )
        .await
        .map_err(e)?;
    pngs.push(show(
        "Avans refundacija (zatvaranje avansa)",
        &advance_refund,
        &qr_dir,
        8,
    )?);
    pngs.push(show(
        "Promet prodaja (konačni račun)",
        &closing,
        &qr_dir,
        9,
    )?);
    if let Some(note) = esir.closing_note(&closing.doc).await.map_err(e)? {
        println!("{note}");
    }
    Ok(())
}

/// The closing summary: where the environment, journal, store and QR files are.
fn print_where_everything_is(data: &Path, qr_dir: &Path, qr_files: usize, sale: &Issued) {
    println!("Done. Where everything is:");
    println!("  environment and secure element: {}", data.display());
    println!(
        "  L-PFR journal:                  {}",
        super::pfr::journal_path(&data).display()
    );
    println!(
        "  ESIR store:                     {}",
        data.join("esir").join("esir.sqlite").display()
    );
    println!(
        "  QR codes (PNG, 300 dpi):        {} ({} files)",
        qr_dir.display(),
        qr_files
    );
    println!(
        "  Seed receipt verification URL:  {}",
        sale.doc.result.verification_url
    );
}

/// Starts the SUF in this process on the address of `suf_url`; `None` (with a note) when that
/// address is taken.
async fn start_suf(
    data: &Path,
    suf_url: &str,
) -> Option<tokio::task::JoinHandle<std::io::Result<()>>> {
    let addr = suf_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let common = super::suf::Common {
        env: data.to_path_buf(),
        db: None,
        db_schema: None,
        se_password: None,
    };
    let suf = match super::suf::open(&common).await {
        Ok(s) => std::sync::Arc::new(s),
        Err(e) => {
            println!("Note: the SUF could not start ({e:#}); the receipts stay unaudited.");
            return None;
        }
    };
    match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => {
            println!(
                "SUF (tax authority) listening on http://{addr}/ (verification page /v/?vl=...)"
            );
            Some(tokio::spawn(fiskal_suf::serve(
                suf,
                listener,
                std::future::pending(),
            )))
        }
        Err(e) => {
            println!("Note: {addr} is taken ({e}); the SUF part of the demo is skipped.");
            None
        }
    }
}

/// Audits the demo receipts over the internet and shows the proof of audit and the
/// verification page of the seed receipt.
async fn audit(
    lpfr: &fiskal_pfr::Lpfr,
    cfg: &fiskal_pfr::audit::AuditConfig,
    seed_url: &str,
) -> anyhow::Result<()> {
    use fiskal_domain::money::{format_money, from_scaled};
    let mut client = fiskal_pfr::audit::SufClient::new(lpfr.uid().as_str(), cfg)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_authentication(lpfr.clone());
    let before = lpfr.amount_status();
    let mut delivered = 0;
    let mut proof = false;
    for _ in 0..6 {
        let r = fiskal_pfr::audit::round(lpfr, &mut client, cfg)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        delivered += r.delivered;
        if r.proof_applied {
            proof = true;
            break;
        }
    }
    let after = lpfr.amount_status();
    println!(
        "Audit: {delivered} receipts delivered to the SUF, each decrypted and its signature checked."
    );
    println!(
        "Proof of audit {}: unaudited amount {} RSD → {} RSD (limit {} RSD).",
        if proof { "applied" } else { "not yet received" },
        format_money(from_scaled(before.unaudited)),
        format_money(from_scaled(after.unaudited)),
        format_money(from_scaled(after.limit)),
    );
    let answer: serde_json::Value = reqwest::Client::new()
        .get(seed_url)
        .header("Accept", "application/json")
        .send()
        .await?
        .json()
        .await?;
    println!(
        "Verification of the seed receipt: valid = {}, received by the SUF = {}",
        answer["isValid"],
        !answer["journal"].is_null()
    );
    println!("Open the verification page in a browser: {seed_url}");
    Ok(())
}
