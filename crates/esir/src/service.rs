//! The ESIR's use cases: issue a document, refund, copy, cancel, run an advance chain. Each one
//! checks the document locally first ([`crate::rules`]), records it as pending, sends it once
//! (retries keep the `RequestId`) and stores the result.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use fiskal_domain::api::{InvoiceRequest, Item, Payment, Status};
use fiskal_domain::gsc::Gsc;
use fiskal_domain::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};

use crate::client::{ClientConfig, PfrClient, Pin, new_request_id};
use crate::documents::{self, AdvanceChain, Header, Original};
use crate::error::EsirError;
use crate::messages::Lang;
use crate::rules::{self, CheckContext, EsirWarning};
use crate::store::{Store, StoredInvoice};

/// Everything [`Esir::open`] needs.
#[derive(Debug, Clone)]
pub struct EsirConfig {
    /// PFR base URL (`http://127.0.0.1:7701/`, `http://host:8888/{token}/`).
    pub pfr_url: String,
    /// Directory of the local store (`esir.sqlite`) and of QR images.
    pub data_dir: PathBuf,
    /// Language of cashier messages (and of the PFR's messages).
    pub lang: Lang,
    /// PIN sent when the PFR asks for it (code 1500).
    pub pin: Option<Pin>,
    /// ESIR number written on every document that does not carry one (`ЕСИР број`).
    pub esir_number: String,
    /// Client timeouts and retries (its `lang` is replaced by [`EsirConfig::lang`]).
    pub client: ClientConfig,
}

/// The default ESIR number: `fiskal/{version}`.
pub fn default_esir_number() -> String {
    format!("fiskal/{}", env!("CARGO_PKG_VERSION"))
}

/// A document issued by the PFR and stored, with the warnings shown before it was sent.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The stored document.
    pub doc: StoredInvoice,
    /// Warnings (the document was sent anyway).
    pub warnings: Vec<EsirWarning>,
}

/// What became of a request whose outcome was unknown.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PendingOutcome {
    /// The PFR had issued it; it is now stored.
    Issued(Box<StoredInvoice>),
    /// The PFR has nothing under the request ID; it is marked as not issued.
    NotIssued(String),
    /// The PFR could not be asked; it stays pending.
    Unknown(String),
}

/// A refund, and the Copy Refund the buyer signs when the money went back in cash.
#[derive(Debug, Clone)]
pub struct RefundOutcome {
    /// The Normal or Advance Refund.
    pub refund: Issued,
    /// The Copy Refund for the buyer's signature (cash refunds only).
    pub copy: Option<Issued>,
}

/// The ESIR: a PFR client, the local store and the cashier's language.
#[derive(Debug, Clone)]
pub struct Esir {
    /// The PFR client.
    pub client: PfrClient,
    /// The local store.
    pub store: Store,
    /// Language of cashier messages.
    pub lang: Lang,
    pin: Option<Pin>,
    esir_number: String,
}

impl Esir {
    /// Opens the store in `cfg.data_dir` and prepares the client.
    pub async fn open(cfg: EsirConfig) -> Result<Esir, EsirError> {
        let client = PfrClient::new(
            &cfg.pfr_url,
            ClientConfig {
                lang: cfg.lang,
                ..cfg.client
            },
        )?;
        let store = Store::open_dir(&cfg.data_dir).await?;
        Ok(Esir::new(client, store, cfg.lang, cfg.pin, cfg.esir_number))
    }

    /// An ESIR from its parts.
    pub fn new(
        client: PfrClient,
        store: Store,
        lang: Lang,
        pin: Option<Pin>,
        esir_number: String,
    ) -> Esir {
        Esir {
            client,
            store,
            lang,
            pin,
            esir_number,
        }
    }

    /// The ESIR number used when a document has none.
    pub fn esir_number(&self) -> &str {
        &self.esir_number
    }

    /// A header with the ESIR number filled in when not given.
    pub fn header(&self, mut h: Header) -> Header {
        if h.esir_number.is_none() {
            h.esir_number = Some(self.esir_number.clone());
        }
        h
    }

    /// Sends the PIN; `Ok` only when the PFR answers 0100.
    pub async fn verify_pin(&self, pin: &Pin) -> Result<(), EsirError> {
        match self.client.verify_pin(pin).await? {
            Gsc::PinOk => Ok(()),
            other => Err(EsirError::PinRefused {
                code: other.code().to_string(),
            }),
        }
    }

    /// Sends the configured PIN when the PFR's status shows 1500.
    pub async fn ensure_pin(&self, status: &Status) -> Result<(), EsirError> {
        if status.gsc.iter().any(|c| c == Gsc::PinRequired.code()) {
            let pin = self.pin.as_ref().ok_or(EsirError::PinRequired)?;
            self.verify_pin(pin).await?;
        }
        Ok(())
    }

    /// Looks up every pending request at the PFR and records what became of it.
    pub async fn resolve_pending(&self) -> Result<Vec<PendingOutcome>, EsirError> {
        let mut out = Vec::new();
        for p in self.store.pending().await? {
            match self.client.invoice_by_request_id(&p.request_id).await {
                Ok(Some(r)) => out.push(PendingOutcome::Issued(Box::new(
                    self.store.complete(&p.request_id, &r).await?,
                ))),
                Ok(None) => {
                    self.store.mark_failed(&p.request_id).await?;
                    out.push(PendingOutcome::NotIssued(p.request_id));
                }
                Err(_) => out.push(PendingOutcome::Unknown(p.request_id)),
            }
        }
        Ok(out)
    }

    /// A stored document by PFR number, or [`EsirError::NotInStore`].
    pub async fn find(&self, number: &str) -> Result<StoredInvoice, EsirError> {
        self.store
            .by_number(number)
            .await?
            .ok_or_else(|| EsirError::NotInStore {
                number: number.to_string(),
            })
    }

    /// Checks `req` against the PFR's current state and the local store, and issues it.
    ///
    /// Missing ESIR number and (for a referenced document in the store) reference time are filled
    /// in. Nothing is sent when a check fails ([`EsirError::Rules`]).
    pub async fn issue(&self, mut req: InvoiceRequest) -> Result<Issued, EsirError> {
        let _ = self.resolve_pending().await;
        if req.invoice_number.is_none() {
            req.invoice_number = Some(self.esir_number.clone());
        }
        let status = self.client.status().await?;
        let referenced = match &req.referent_document_number {
            Some(n) => self.store.by_number(n).await?,
            None => None,
        };
        if let Some(r) = &referenced
            && req.referent_document_dt.is_none()
        {
            req.referent_document_dt = Some(r.time());
        }
        let ctx = CheckContext {
            tax_groups: &status.all_tax_rates,
            current: status.current_tax_rates.as_ref(),
            now: status.sdc_date_time,
            referenced: referenced.as_ref().map(StoredInvoice::as_referenced),
        };
        let warnings = rules::check_request(&req, &ctx).map_err(EsirError::Rules)?;
        self.ensure_pin(&status).await?;
        let request_id = new_request_id();
        self.store.insert_pending(&request_id, &req).await?;
        let mut sent = self.client.create_invoice(&req, &request_id).await;
        if let Err(e) = &sent
            && e.has_code(Gsc::PinRequired)
            && self.pin.is_some()
        {
            if let Some(pin) = &self.pin {
                self.verify_pin(pin).await?;
            }
            sent = self.client.create_invoice(&req, &request_id).await;
        }
        match sent {
            Ok(result) => {
                let doc = self.store.complete(&request_id, &result).await?;
                tracing::debug!(number = %doc.number(), kind = %doc.kind(), "document issued");
                Ok(Issued { doc, warnings })
            }
            Err(e @ EsirError::OutcomeUnknown { .. }) => Err(e),
            Err(e) => {
                self.store.mark_failed(&request_id).await?;
                Err(e)
            }
        }
    }

    /// The original a follow-up refers to: from the local store by number, or from a
    /// verification URL for a receipt issued elsewhere (then `number`, if given, must match).
    pub async fn original(
        &self,
        number: Option<&str>,
        url: Option<&str>,
    ) -> Result<Original, EsirError> {
        if let Some(n) = number
            && let Some(s) = self.store.by_number(n).await?
        {
            return Ok(Original::stored(&s));
        }
        match (url, number) {
            (Some(u), n) => {
                let o = Original::from_verification_url(u)?;
                if let Some(n) = n
                    && n != o.number
                {
                    return Err(EsirError::Rules(vec![
                        rules::RuleViolation::NumberMismatch {
                            given: n.to_string(),
                            in_url: o.number,
                        },
                    ]));
                }
                if let Some(s) = self.store.by_number(&o.number).await? {
                    return Ok(Original::stored(&s));
                }
                Ok(o)
            }
            (None, Some(n)) => Err(EsirError::NotInStore {
                number: n.to_string(),
            }),
            (None, None) => Err(EsirError::NotInStore {
                number: String::new(),
            }),
        }
    }

    /// Refunds `orig` (see [`documents::refund_of`]). When money goes back in cash and
    /// `copy_for_signature` is set, the Copy Refund the buyer signs is issued right after.
    pub async fn refund(
        &self,
        orig: &Original,
        header: Header,
        items: Option<Vec<Item>>,
        payments: Option<Vec<Payment>>,
        copy_for_signature: bool,
    ) -> Result<RefundOutcome, EsirError> {
        let req = documents::refund_of(orig, &self.header(header.clone()), items, payments)
            .map_err(|v| EsirError::Rules(vec![v]))?;
        let cash = req
            .payment
            .iter()
            .any(|p| p.payment_type == PaymentType::Cash);
        let refund = self.issue(req).await?;
        let copy = if cash && copy_for_signature {
            let h = Header {
                cashier: header.cashier,
                esir_number: header.esir_number,
                ..Header::default()
            };
            Some(self.copy(refund.doc.number(), h).await?)
        } else {
            None
        };
        Ok(RefundOutcome { refund, copy })
    }

    /// Issues a copy of a stored document.
    pub async fn copy(&self, number: &str, header: Header) -> Result<Issued, EsirError> {
        let s = self.find(number).await?;
        let req = documents::copy_of(&Original::stored(&s), &self.header(header))
            .map_err(|v| EsirError::Rules(vec![v]))?;
        self.issue(req).await
    }

    /// Cancels a stored Normal or Advance document (buyer ID = the seller's PIB from its result).
    pub async fn cancel(&self, number: &str, header: Header) -> Result<Issued, EsirError> {
        let s = self.find(number).await?;
        let req =
            documents::cancellation_of(&Original::stored(&s), &s.result.tin, &self.header(header))
                .map_err(|v| EsirError::Rules(vec![v]))?;
        self.issue(req).await
    }

    /// The advance chain a stored document belongs to.
    pub async fn chain_of(&self, number: &str) -> Result<AdvanceChain, EsirError> {
        let s = self.find(number).await?;
        let id = s.chain_id.clone().ok_or_else(|| {
            EsirError::Rules(vec![rules::RuleViolation::NotAnAdvanceChain {
                number: number.to_string(),
            }])
        })?;
        let docs = self.store.chain(&id).await?;
        Ok(AdvanceChain { id, docs })
    }

    /// Starts an advance chain with an Advance Sale (optionally based on a ProForma `based_on`;
    /// `paid_on` = day a wire transfer arrived before today).
    pub async fn advance_start(
        &self,
        header: Header,
        items: Vec<Item>,
        payments: Vec<Payment>,
        based_on: Option<&str>,
        paid_on: Option<DateTime<FixedOffset>>,
    ) -> Result<Issued, EsirError> {
        let prev = match based_on {
            Some(n) => Some(Original::stored(&self.find(n).await?)),
            None => None,
        };
        let req = documents::advance_sale(
            &self.header(header),
            items,
            payments,
            prev.as_ref(),
            paid_on,
        );
        self.issue(req).await
    }

    /// Adds an Advance Sale to the chain of `number`, referencing the chain's last Advance Sale.
    pub async fn advance_add(
        &self,
        number: &str,
        header: Header,
        items: Vec<Item>,
        payments: Vec<Payment>,
        paid_on: Option<DateTime<FixedOffset>>,
    ) -> Result<Issued, EsirError> {
        let chain = self.chain_of(number).await?;
        if chain.is_closed() {
            return Err(EsirError::Rules(vec![
                rules::RuleViolation::NothingToClose {
                    number: number.to_string(),
                },
            ]));
        }
        let last = chain.last_advance_sale().ok_or_else(|| {
            EsirError::Rules(vec![rules::RuleViolation::NotAnAdvanceChain {
                number: number.to_string(),
            }])
        })?;
        let req = documents::advance_sale(
            &self.header(header),
            items,
            payments,
            Some(&Original::stored(last)),
            paid_on,
        );
        self.issue(req).await
    }

    /// Closes the chain of `number`: an Advance Refund of the open advance referencing the last
    /// Advance Sale, then a Normal Sale of `items` referencing that refund, paid with `payments`
    /// (what is left to pay). Returns both.
    pub async fn advance_close(
        &self,
        number: &str,
        header: Header,
        items: Vec<Item>,
        payments: Vec<Payment>,
    ) -> Result<(Issued, Issued), EsirError> {
        let chain = self.chain_of(number).await?;
        let header = self.header(header);
        let refund_req = chain
            .closing_refund(&header)
            .map_err(|v| EsirError::Rules(vec![v]))?;
        // Check the closing sale before the refund is sent, so a mistake in the goods or payments
        // does not leave the chain half closed.
        let status = self.client.status().await?;
        let mut provisional = documents::new_document(
            DocumentKind::new(InvoiceType::Normal, TransactionType::Sale),
            &header,
            items.clone(),
            payments.clone(),
        );
        let stand_in = rules::Referenced {
            number: "XXXXXXXX-XXXXXXXX-1".into(),
            kind: DocumentKind::new(InvoiceType::Advance, TransactionType::Refund),
            time: status.sdc_date_time,
            total: refund_req.total(),
            seller_tin: None,
        };
        provisional.referent_document_number = Some(stand_in.number.clone());
        provisional.referent_document_dt = Some(stand_in.time);
        if provisional.payment.is_empty() {
            provisional.payment = vec![Payment {
                amount: rust_decimal::Decimal::ZERO,
                payment_type: PaymentType::Other,
            }];
        }
        let ctx = CheckContext {
            tax_groups: &status.all_tax_rates,
            current: status.current_tax_rates.as_ref(),
            now: status.sdc_date_time,
            referenced: Some(stand_in),
        };
        rules::check_request(&provisional, &ctx).map_err(EsirError::Rules)?;
        let refund = self.issue(refund_req).await?;
        let sale_req = chain.closing_sale(&refund.doc, &header, items, payments);
        let sale = self.issue(sale_req).await?;
        Ok((refund, sale))
    }

    /// For a closing Normal Sale: the line the advertising area must show (number and date of the
    /// chain's last Advance Sale, TU-1.17 §9.1), in Cyrillic.
    pub async fn closing_note(&self, doc: &StoredInvoice) -> Result<Option<String>, EsirError> {
        if doc.kind() != DocumentKind::new(InvoiceType::Normal, TransactionType::Sale) {
            return Ok(None);
        }
        let Some(id) = &doc.chain_id else {
            return Ok(None);
        };
        let docs = self.store.chain(id).await?;
        let chain = AdvanceChain {
            id: id.clone(),
            docs,
        };
        Ok(chain.last_advance_sale().map(|a| {
            format!(
                "Последњи авансни рачун: {} од {}",
                a.number(),
                fiskal_domain::time::to_belgrade(a.time().to_utc()).format("%d.%m.%Y.")
            )
        }))
    }
}
