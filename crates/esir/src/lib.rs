//! # fiskal-esir
//!
//! fiskal's ESIR (електронски систем за издавање рачуна = invoicing system, the shop's POS
//! software) as a library: it speaks to any TaxCore-compatible PFR (fiscal receipt processor),
//! fiskal's L-PFR or a real one, over the PFR API v3 (`/api/v3/...`), and takes care of what the
//! PFR leaves to the ESIR.
//!
//! - [`client::PfrClient`]: the HTTP client. A lost answer to `POST /api/v3/invoices` is retried
//!   with the same `RequestId` and then looked up with `GET /api/v3/invoices/{requestId}`, so a
//!   receipt is never issued twice because of a retry. All three error-body shapes seen in the
//!   wild are parsed into [`EsirError::Pfr`].
//! - [`rules`]: the codebook and document rules the PFR does not check (buyer ID on refunds, JMBG
//!   not on cash refunds, known item prefixes, PIB check digit, reference and advance-chain rules,
//!   tax labels of the PFR's current rates, ESIR time only for wire-paid advances). A violation
//!   stops the document before anything is sent.
//! - [`documents`]: building refunds, copies, cancellations and advance chains from earlier
//!   documents.
//! - [`store::Store`]: the local SQLite store of everything issued (WAL, `synchronous=FULL`),
//!   including requests whose outcome is not yet known.
//! - [`output`]: printable receipt text (journal with the QR block, the buyer's signature block on
//!   Copy Refund, the double-size "ОВО НИЈЕ ФИСКАЛНИ РАЧУН") and the QR code as a 300 dpi PNG.
//! - [`Esir`]: the use cases (issue, refund, copy, cancel, advance chain) tying it together.
//! - [`messages`]: every sentence a cashier reads, in Serbian (Latin script, the default) or
//!   English ([`Lang`]). Receipts themselves stay in Serbian Cyrillic.
//!
//! What it is not: a PFR, a tax engine (the PFR computes taxes), or a GUI.
//!
//! ```
//! use fiskal_esir::documents::{parse_item_spec, parse_payment_spec};
//! use fiskal_esir::Lang;
//! let item = parse_item_spec("Pivo Lav/л;2;82.00;Ђ").unwrap();
//! assert_eq!(item.total_amount.to_string(), "164.00");
//! let pay = parse_payment_spec("card:164.00").unwrap();
//! assert_eq!(pay.amount, item.total_amount);
//! assert_eq!(Lang::from_code("en"), Some(Lang::En));
//! ```

pub mod client;
pub mod codebook;
pub mod documents;
pub mod error;
pub mod messages;
pub mod output;
pub mod rules;
pub mod service;
pub mod store;

pub use client::{ClientConfig, PfrClient, Pin};
pub use error::{EsirError, PfrFieldError};
pub use messages::Lang;
pub use output::{QrInText, printable_receipt, printable_stored, qr_png};
pub use rules::{CheckContext, EsirWarning, RuleViolation, check_request};
pub use service::{Esir, Issued};
pub use store::{Store, StoredInvoice};
