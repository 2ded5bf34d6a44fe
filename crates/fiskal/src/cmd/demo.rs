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
        println!("Note: {}", w.message(Lang::Sr));
    }
    Ok(png)
}

/// Runs the demo.
pub async fn run(a: DemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.data).with_context(|| format!("creating {}", a.data.display()))?;
    if !a.data.join(env::ENVIRONMENT_FILE).exists() {
        let dir = a.data.clone();
        let e = tokio::task::spawn_blocking(move || {
            env::init(&dir, InitOptions::defaults(Seller::seed_example()))
        })
        .await??;
        println!(
            "Created a software secure element {} and a local environment in {}",
            e.se_uid,
            a.data.display()
        );
    } else {
        println!("Using the existing environment in {}", a.data.display());
    }
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
    let server = tokio::spawn(fiskal_pfr::serve(lpfr, listener));
    println!("L-PFR (secure element {uid}) listening on {base}");

    let esir = Esir::open(EsirConfig {
        pfr_url: base.clone(),
        data_dir: a.data.join("esir"),
        lang: Lang::Sr,
        pin: Some(Pin::parse(env::DEFAULT_PIN)?),
        esir_number: default_esir_number(),
        client: ClientConfig::default(),
    })
    .await
    .map_err(|e| anyhow::anyhow!(e.message(Lang::Sr)))?;
    let status = esir
        .client
        .status()
        .await
        .map_err(|e| anyhow::anyhow!(e.message(Lang::Sr)))?;
    esir.ensure_pin(&status)
        .await
        .map_err(|e| anyhow::anyhow!(e.message(Lang::Sr)))?;

    let qr_dir = a.data.join("demo");
    std::fs::create_dir_all(&qr_dir)?;
    let e = |e: fiskal_esir::EsirError| anyhow::anyhow!(e.message(Lang::Sr));
    let header = |buyer: Option<&str>| Header {
        cashier: Some("1".into()),
        buyer_id: buyer.map(str::to_string),
        buyer_cost_center_id: None,
        esir_number: Some("AS9280".into()),
    };
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
    rule();

    if !a.no_sef {
        super::sef::demo(&a.data).await?;
        rule();
    }

    println!("Done. Where everything is:");
    println!("  environment and secure element: {}", a.data.display());
    println!(
        "  L-PFR journal:                  {}",
        super::pfr::journal_path(&a.data).display()
    );
    println!(
        "  ESIR store:                     {}",
        a.data.join("esir").join("esir.sqlite").display()
    );
    println!(
        "  QR codes (PNG, 300 dpi):        {} ({} files)",
        qr_dir.display(),
        pngs.len()
    );
    println!(
        "  Seed receipt verification URL:  {}",
        sale.doc.result.verification_url
    );
    if a.serve {
        println!("The L-PFR keeps serving on {base} (Ctrl-C stops it).");
        server.await??;
    } else {
        server.abort();
    }
    Ok(())
}
