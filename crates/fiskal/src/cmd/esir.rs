//! `fiskal esir`: the ESIR (invoicing client) on the command line. The work is in `fiskal-esir`;
//! this module only reads arguments, calls it and prints.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use clap::{Args, Subcommand, ValueEnum};
use fiskal_domain::api::{InvoiceRequest, Item, Payment};
use fiskal_domain::kinds::{DocumentKind, InvoiceType, TransactionType};
use fiskal_domain::money::format_money;
use fiskal_esir::client::{ClientConfig, Pin};
use fiskal_esir::documents::{self, Header};
use fiskal_esir::messages::{self, Text, kind_name};
use fiskal_esir::service::{EsirConfig, Issued, PendingOutcome, default_esir_number};
use fiskal_esir::{Esir, EsirError, Lang, PfrFieldError, QrInText, StoredInvoice};

/// Writes a line to stdout; a closed pipe (`| head`) is not an error worth a panic.
macro_rules! out {
    ($($t:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// Writes text to stdout as it is.
macro_rules! out_raw {
    ($e:expr) => {{
        let _ = write!(std::io::stdout().lock(), "{}", $e);
    }};
}

/// ESIR arguments.
#[derive(Args)]
pub struct EsirArgs {
    /// PFR base URL, fiskal's L-PFR or any TaxCore PFR (a path prefix is kept:
    /// `http://host:8888/{token}/`).
    #[arg(
        long,
        env = "FISKAL_PFR_URL",
        default_value = "http://127.0.0.1:7701/",
        global = true
    )]
    pfr: String,
    /// Directory of the ESIR's local store (`esir.sqlite`) and QR images.
    #[arg(
        long,
        env = "FISKAL_ESIR_DATA",
        default_value = "./fiskal-data/esir",
        global = true
    )]
    data: PathBuf,
    /// Language of messages: `sr` (Serbian, Latin script), `sr-Cyrl` (Cyrillic) or `en`. Receipts stay in Cyrillic.
    #[arg(long, env = "FISKAL_LANG", default_value = "sr", global = true)]
    lang: String,
    /// Secure element PIN, sent when the PFR asks for it (code 1500).
    #[arg(long, env = "FISKAL_PIN", hide_env_values = true, global = true)]
    pin: Option<String>,
    /// ESIR number (`ЕСИР број`) written on documents; default `fiskal/{version}`.
    #[arg(long, env = "FISKAL_ESIR_NUMBER", global = true)]
    esir_number: Option<String>,
    #[command(subcommand)]
    cmd: EsirCmd,
}

#[derive(Subcommand)]
enum EsirCmd {
    /// Show the PFR's status: codes, time, tax rates.
    Status,
    /// Send the secure element's PIN to the PFR (asked for when not given).
    Pin {
        /// The 4-digit PIN (else --pin / FISKAL_PIN, else asked for).
        pin: Option<String>,
    },
    /// Issue any of the ten documents from flags or a request file.
    Issue(IssueArgs),
    /// Refund a receipt: items and payments from the local store, or --url and --item for a
    /// receipt issued elsewhere. A cash refund is followed by a Copy Refund for the buyer to sign.
    Refund(RefundArgs),
    /// Issue a copy (Copy Sale / Copy Refund) of a document in the local store.
    Copy {
        /// PFR invoice number of the original.
        number: String,
        #[command(flatten)]
        who: Cashier,
        #[command(flatten)]
        qr: QrArgs,
    },
    /// Cancel an erroneous Normal or Advance receipt (buyer ID = the seller's own PIB).
    Cancel {
        /// PFR invoice number of the erroneous receipt.
        number: String,
        #[command(flatten)]
        who: Cashier,
        #[command(flatten)]
        qr: QrArgs,
    },
    /// Advance chains: start, add an advance, close with the final sale, show.
    #[command(subcommand)]
    Advance(AdvanceCmd),
    /// Print a stored document's receipt text.
    Show {
        /// PFR invoice number.
        number: String,
        /// Show a QR placeholder instead of the verification URL.
        #[arg(long)]
        placeholder: bool,
    },
    /// Write a stored document's QR code as a PNG (45 mm at 300 dpi).
    Qr {
        /// PFR invoice number.
        number: String,
        /// PNG file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// List recent documents of the local store (and settle pending ones).
    List {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

#[derive(Args, Clone, Default)]
struct Cashier {
    /// Cashier identification.
    #[arg(long)]
    cashier: Option<String>,
}

#[derive(Args, Clone)]
struct QrArgs {
    /// Where to write the QR code PNG (default `{data}/qr/{number}.png`).
    #[arg(long)]
    qr_out: Option<PathBuf>,
    /// Do not write a QR code PNG.
    #[arg(long)]
    no_qr: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum TypeArg {
    Normal,
    Proforma,
    Copy,
    Training,
    Advance,
}

#[derive(Clone, Copy, ValueEnum)]
enum TxArg {
    Sale,
    Refund,
}

#[derive(Args)]
struct IssueArgs {
    /// Invoice type.
    #[arg(long = "type", value_enum, default_value = "normal")]
    invoice_type: TypeArg,
    /// Transaction type.
    #[arg(long, value_enum, default_value = "sale")]
    tx: TxArg,
    /// Item `NAME;QTY;PRICE;LABEL[,LABEL][;GTIN]` (repeatable), e.g. `Pivo Lav/л;2;82.00;Ђ`.
    #[arg(long = "item")]
    items: Vec<String>,
    /// Payment `METHOD:AMOUNT` (repeatable); cash, card, check, wire, voucher, mobile, other.
    #[arg(long = "pay")]
    pays: Vec<String>,
    /// Buyer ID `code:value` (e.g. `10:106884584`, `20:0023456`).
    #[arg(long)]
    buyer_id: Option<String>,
    /// Optional buyer field `code:value` (e.g. `30:099999999`).
    #[arg(long)]
    cost_center: Option<String>,
    #[command(flatten)]
    who: Cashier,
    /// Reference: PFR number of the referenced document.
    #[arg(long = "ref")]
    reference: Option<String>,
    /// Reference time (ISO 8601); taken from the local store when it has the document.
    #[arg(long)]
    ref_time: Option<String>,
    /// ESIR time (ISO 8601): only on an Advance Sale paid by wire before today.
    #[arg(long)]
    issue_time: Option<String>,
    /// Request JSON file (PFR API `InvoiceRequest`); flags given as well override its fields.
    #[arg(long)]
    file: Option<PathBuf>,
    #[command(flatten)]
    qr: QrArgs,
}

#[derive(Args)]
struct RefundArgs {
    /// PFR invoice number of the sale being refunded (optional with --url).
    number: Option<String>,
    /// Verification URL of a receipt not in the local store.
    #[arg(long)]
    url: Option<String>,
    /// Buyer ID `code:value` (required for a cash refund; not a JMBG).
    #[arg(long)]
    buyer_id: Option<String>,
    /// Optional buyer field.
    #[arg(long)]
    cost_center: Option<String>,
    #[command(flatten)]
    who: Cashier,
    /// Items refunded (default: all items of the original).
    #[arg(long = "item")]
    items: Vec<String>,
    /// How the money goes back (default: as the original was paid).
    #[arg(long = "pay")]
    pays: Vec<String>,
    /// Do not issue the Copy Refund for the buyer's signature after a cash refund.
    #[arg(long)]
    no_copy: bool,
    #[command(flatten)]
    qr: QrArgs,
}

#[derive(Subcommand)]
enum AdvanceCmd {
    /// First Advance Sale of a chain.
    Start(AdvanceNew),
    /// A further Advance Sale in the chain of NUMBER (references the chain's last Advance Sale).
    Add {
        /// PFR number of any document of the chain.
        number: String,
        #[command(flatten)]
        a: AdvanceNew,
    },
    /// Close the chain of NUMBER: Advance Refund of the open advance, then the Normal Sale of
    /// all goods paid with --pay (what is left to pay).
    Close {
        /// PFR number of any document of the chain.
        number: String,
        /// Goods `NAME;QTY;PRICE;LABEL` (repeatable).
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        /// What is left to pay, `METHOD:AMOUNT` (repeatable; none when all was paid in advance).
        #[arg(long = "pay")]
        pays: Vec<String>,
        /// Buyer ID (default: the chain's).
        #[arg(long)]
        buyer_id: Option<String>,
        #[command(flatten)]
        who: Cashier,
        #[command(flatten)]
        qr: QrArgs,
    },
    /// Show the documents of the chain of NUMBER and the open advance.
    Show {
        /// PFR number of any document of the chain.
        number: String,
    },
}

#[derive(Args)]
struct AdvanceNew {
    /// Advance `LABEL:AMOUNT` (repeatable), e.g. `Ђ:5000` → item `10: Аванс`; also `10:5000`.
    #[arg(long = "advance")]
    advances: Vec<String>,
    /// Advance item in full form `NAME;QTY;PRICE;LABEL` (repeatable).
    #[arg(long = "item")]
    items: Vec<String>,
    /// Payment `METHOD:AMOUNT` (repeatable).
    #[arg(long = "pay", required = true)]
    pays: Vec<String>,
    /// Buyer ID.
    #[arg(long)]
    buyer_id: Option<String>,
    /// Optional buyer field.
    #[arg(long)]
    cost_center: Option<String>,
    #[command(flatten)]
    who: Cashier,
    /// PFR number of the ProForma this advance is based on (start only).
    #[arg(long)]
    based_on: Option<String>,
    /// Day a wire transfer arrived before today (ISO date or date-time); sent as ESIR time.
    #[arg(long)]
    paid_on: Option<String>,
    #[command(flatten)]
    qr: QrArgs,
}

/// Runs `fiskal esir ...`.
pub async fn run(a: EsirArgs) -> anyhow::Result<()> {
    let lang = Lang::from_code(&a.lang).ok_or_else(|| {
        anyhow!(
            "Nepoznat jezik „{}”; izaberite sr, sr-Cyrl ili en. / Unknown language \"{}\"; choose sr, sr-Cyrl or en.",
            a.lang,
            a.lang
        )
    })?;
    let cli = Cli {
        lang,
        data: a.data.clone(),
    };
    cli.run(a).await.map_err(|e| anyhow!(e.message(lang)))
}

struct Cli {
    lang: Lang,
    data: PathBuf,
}

fn items(specs: &[String]) -> Result<Vec<Item>, EsirError> {
    specs
        .iter()
        .map(|s| documents::parse_item_spec(s))
        .collect()
}

fn pays(specs: &[String]) -> Result<Vec<Payment>, EsirError> {
    specs
        .iter()
        .map(|s| documents::parse_payment_spec(s))
        .collect()
}

fn time_arg(
    s: &Option<String>,
    what: &str,
) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>, EsirError> {
    match s {
        None => Ok(None),
        Some(t) => {
            let full = if t.len() == 10 {
                format!("{t}T00:00:00")
            } else {
                t.clone()
            };
            fiskal_domain::time::parse_request_time(&full)
                .map(Some)
                .ok_or_else(|| EsirError::InvalidRequest {
                    errors: vec![PfrFieldError {
                        property: what.to_string(),
                        code: "2806".into(),
                        text: None,
                    }],
                })
        }
    }
}

impl Cli {
    async fn esir(&self, a: &EsirArgs) -> Result<Esir, EsirError> {
        let pin = a.pin.as_deref().map(Pin::parse).transpose()?;
        Esir::open(EsirConfig {
            pfr_url: a.pfr.clone(),
            data_dir: a.data.clone(),
            lang: self.lang,
            pin,
            esir_number: a.esir_number.clone().unwrap_or_else(default_esir_number),
            client: ClientConfig::default(),
        })
        .await
    }

    async fn run(&self, a: EsirArgs) -> Result<(), EsirError> {
        let esir = self.esir(&a).await?;
        match &a.cmd {
            EsirCmd::Status => self.status(&esir, &a).await,
            EsirCmd::Pin { pin } => {
                let text = match pin.clone().or_else(|| a.pin.clone()) {
                    Some(p) => p,
                    None => {
                        eprint!("{}", Text::EnterPin.render(self.lang));
                        let _ = std::io::stderr().flush();
                        let mut line = String::new();
                        std::io::stdin()
                            .read_line(&mut line)
                            .map_err(|e| EsirError::Io {
                                path: "stdin".into(),
                                detail: e.to_string(),
                            })?;
                        line
                    }
                };
                esir.verify_pin(&Pin::parse(&text)?).await?;
                out!("{}", Text::PinAccepted.render(self.lang));
                Ok(())
            }
            EsirCmd::Issue(i) => self.issue(&esir, i).await,
            EsirCmd::Refund(r) => {
                let orig = esir.original(r.number.as_deref(), r.url.as_deref()).await?;
                let header = Header {
                    cashier: r.who.cashier.clone(),
                    buyer_id: r.buyer_id.clone(),
                    buyer_cost_center_id: r.cost_center.clone(),
                    esir_number: None,
                };
                let it = if r.items.is_empty() {
                    None
                } else {
                    Some(items(&r.items)?)
                };
                let py = if r.pays.is_empty() {
                    None
                } else {
                    Some(pays(&r.pays)?)
                };
                let out = esir.refund(&orig, header, it, py, !r.no_copy).await?;
                self.print_issued(&esir, &out.refund, &r.qr).await?;
                if let Some(c) = &out.copy {
                    out!("");
                    out!("{}", Text::CopyRefundFollows.render(self.lang));
                    let qr = QrArgs {
                        qr_out: None,
                        no_qr: r.qr.no_qr,
                    };
                    self.print_issued(&esir, c, &qr).await?;
                }
                Ok(())
            }
            EsirCmd::Copy { number, who, qr } => {
                let h = Header {
                    cashier: who.cashier.clone(),
                    ..Header::default()
                };
                let d = esir.copy(number, h).await?;
                self.print_issued(&esir, &d, qr).await
            }
            EsirCmd::Cancel { number, who, qr } => {
                let h = Header {
                    cashier: who.cashier.clone(),
                    ..Header::default()
                };
                let d = esir.cancel(number, h).await?;
                self.print_issued(&esir, &d, qr).await
            }
            EsirCmd::Advance(cmd) => self.advance(&esir, cmd).await,
            EsirCmd::Show {
                number,
                placeholder,
            } => {
                let d = esir.find(number).await?;
                let mode = if *placeholder {
                    QrInText::Placeholder
                } else {
                    QrInText::Url
                };
                out_raw!(fiskal_esir::printable_stored(&d, mode));
                if let Some(note) = esir.closing_note(&d).await? {
                    out!("{note}");
                }
                Ok(())
            }
            EsirCmd::Qr { number, out } => {
                let d = esir.find(number).await?;
                let info = fiskal_esir::qr_png(&d.result.verification_url, out)?;
                out!(
                    "{}",
                    Text::QrWritten {
                        path: &out.display().to_string(),
                        mm: info.mm
                    }
                    .render(self.lang)
                );
                Ok(())
            }
            EsirCmd::List { limit } => {
                self.settle_pending(&esir).await?;
                let docs = esir.store.recent(*limit).await?;
                if docs.is_empty() {
                    out!("{}", Text::NothingIssued.render(self.lang));
                }
                for d in docs {
                    out!("{}", self.list_line(&d));
                }
                Ok(())
            }
        }
    }

    fn list_line(&self, d: &StoredInvoice) -> String {
        let t = fiskal_domain::time::to_belgrade(d.time().to_utc()).format("%d.%m.%Y. %H:%M:%S");
        let mut s = format!(
            "{}  {}  {}  {}  {}",
            d.number(),
            d.result.invoice_counter,
            t,
            format_money(d.result.total_amount),
            kind_name(d.kind(), self.lang)
        );
        if let Some(b) = &d.request.buyer_id {
            s.push_str(&format!("  {b}"));
        }
        if let Some(r) = &d.request.referent_document_number {
            s.push_str(&format!("  → {r}"));
        }
        s
    }

    async fn settle_pending(&self, esir: &Esir) -> Result<(), EsirError> {
        for p in esir.resolve_pending().await? {
            let line = match &p {
                PendingOutcome::Issued(d) => Text::PendingIssued {
                    request_id: &d.request_id,
                    number: d.number(),
                }
                .render(self.lang),
                PendingOutcome::NotIssued(id) => {
                    Text::PendingNotIssued { request_id: id }.render(self.lang)
                }
                PendingOutcome::Unknown(id) => {
                    Text::PendingUnknown { request_id: id }.render(self.lang)
                }
                _ => continue,
            };
            eprintln!("{line}");
        }
        Ok(())
    }

    async fn status(&self, esir: &Esir, a: &EsirArgs) -> Result<(), EsirError> {
        let s = esir.client.status().await?;
        out!("{}", messages::status_report(&a.pfr, &s, self.lang));
        Ok(())
    }

    async fn issue(&self, esir: &Esir, i: &IssueArgs) -> Result<(), EsirError> {
        let mut req: InvoiceRequest = match &i.file {
            Some(f) => {
                let body = std::fs::read(f).map_err(|e| EsirError::Io {
                    path: f.display().to_string(),
                    detail: e.to_string(),
                })?;
                InvoiceRequest::from_json(&body).map_err(|errs| EsirError::InvalidRequest {
                    errors: errs
                        .into_iter()
                        .map(|e| PfrFieldError {
                            property: e.property,
                            code: e.code.code().to_string(),
                            text: None,
                        })
                        .collect(),
                })?
            }
            None => {
                let it = match i.invoice_type {
                    TypeArg::Normal => InvoiceType::Normal,
                    TypeArg::Proforma => InvoiceType::ProForma,
                    TypeArg::Copy => InvoiceType::Copy,
                    TypeArg::Training => InvoiceType::Training,
                    TypeArg::Advance => InvoiceType::Advance,
                };
                let tt = match i.tx {
                    TxArg::Sale => TransactionType::Sale,
                    TxArg::Refund => TransactionType::Refund,
                };
                documents::new_document(
                    DocumentKind::new(it, tt),
                    &Header::default(),
                    items(&i.items)?,
                    pays(&i.pays)?,
                )
            }
        };
        if i.file.is_some() {
            if !i.items.is_empty() {
                req.items = items(&i.items)?;
            }
            if !i.pays.is_empty() {
                req.payment = pays(&i.pays)?;
            }
        }
        let set = |slot: &mut Option<String>, v: &Option<String>| {
            if v.is_some() {
                *slot = v.clone();
            }
        };
        set(&mut req.cashier, &i.who.cashier);
        set(&mut req.buyer_id, &i.buyer_id);
        set(&mut req.buyer_cost_center_id, &i.cost_center);
        set(&mut req.referent_document_number, &i.reference);
        if let Some(t) = time_arg(&i.ref_time, "referentDocumentDT")? {
            req.referent_document_dt = Some(t);
        }
        if let Some(t) = time_arg(&i.issue_time, "dateAndTimeOfIssue")? {
            req.date_and_time_of_issue = Some(t);
        }
        let d = esir.issue(req).await?;
        self.print_issued(esir, &d, &i.qr).await
    }

    async fn advance(&self, esir: &Esir, cmd: &AdvanceCmd) -> Result<(), EsirError> {
        let new_items = |a: &AdvanceNew| -> Result<Vec<Item>, EsirError> {
            let mut v: Vec<Item> = a
                .advances
                .iter()
                .map(|s| documents::parse_advance_spec(s))
                .collect::<Result<_, _>>()?;
            v.extend(items(&a.items)?);
            Ok(v)
        };
        let header = |a: &AdvanceNew| Header {
            cashier: a.who.cashier.clone(),
            buyer_id: a.buyer_id.clone(),
            buyer_cost_center_id: a.cost_center.clone(),
            esir_number: None,
        };
        match cmd {
            AdvanceCmd::Start(a) => {
                let paid_on = time_arg(&a.paid_on, "dateAndTimeOfIssue")?;
                let d = esir
                    .advance_start(
                        header(a),
                        new_items(a)?,
                        pays(&a.pays)?,
                        a.based_on.as_deref(),
                        paid_on,
                    )
                    .await?;
                self.print_issued(esir, &d, &a.qr).await
            }
            AdvanceCmd::Add { number, a } => {
                let paid_on = time_arg(&a.paid_on, "dateAndTimeOfIssue")?;
                let d = esir
                    .advance_add(number, header(a), new_items(a)?, pays(&a.pays)?, paid_on)
                    .await?;
                self.print_issued(esir, &d, &a.qr).await?;
                let chain = esir.chain_of(number).await?;
                out!(
                    "{}",
                    Text::AdvanceSum {
                        open: &format_money(chain.open_total())
                    }
                    .render(self.lang)
                );
                Ok(())
            }
            AdvanceCmd::Close {
                number,
                items: its,
                pays: ps,
                buyer_id,
                who,
                qr,
            } => {
                let h = Header {
                    cashier: who.cashier.clone(),
                    buyer_id: buyer_id.clone(),
                    ..Header::default()
                };
                let (refund, sale) = esir
                    .advance_close(number, h, items(its)?, pays(ps)?)
                    .await?;
                self.print_issued(esir, &refund, qr).await?;
                out!("");
                self.print_issued(esir, &sale, qr).await
            }
            AdvanceCmd::Show { number } => {
                let chain = esir.chain_of(number).await?;
                for d in &chain.docs {
                    out!("{}", self.list_line(d));
                }
                out!(
                    "{}",
                    Text::AdvanceSum {
                        open: &format_money(chain.open_total())
                    }
                    .render(self.lang)
                );
                Ok(())
            }
        }
    }

    async fn print_issued(&self, esir: &Esir, d: &Issued, qr: &QrArgs) -> Result<(), EsirError> {
        for w in &d.warnings {
            eprintln!("{}", w.message(self.lang));
        }
        // With a QR image the text shows where it goes; without one it carries the link.
        let mode = if qr.no_qr {
            QrInText::Url
        } else {
            QrInText::Placeholder
        };
        out_raw!(fiskal_esir::printable_stored(&d.doc, mode));
        if let Some(note) = esir.closing_note(&d.doc).await? {
            out!("{note}");
        }
        out!(
            "{}",
            Text::Issued {
                kind: d.doc.kind(),
                number: d.doc.number(),
                counter: &d.doc.result.invoice_counter
            }
            .render(self.lang)
        );
        out!(
            "{}",
            Text::VerificationUrl(&d.doc.result.verification_url).render(self.lang)
        );
        if !qr.no_qr {
            let path = qr
                .qr_out
                .clone()
                .unwrap_or_else(|| default_qr_path(&self.data, d.doc.number()));
            let info = fiskal_esir::qr_png(&d.doc.result.verification_url, &path)?;
            out!(
                "{}",
                Text::QrWritten {
                    path: &path.display().to_string(),
                    mm: info.mm
                }
                .render(self.lang)
            );
        }
        let _ = std::io::stdout().flush();
        Ok(())
    }
}

fn default_qr_path(data: &Path, number: &str) -> PathBuf {
    data.join("qr").join(format!("{number}.png"))
}
