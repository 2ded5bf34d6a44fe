//! **Moje fakture** — fiskal's multi-tenant SEF e-invoicing service (`moje-fakture.md`).
//!
//! A client company registers with its PIB and SEF API key; the key is checked against SEF at
//! once and on every use ([`Service::register`], §5), stored with envelope encryption
//! ([`crypto`], §4.2), and never logged or returned. Invoices go through a persistent outbox
//! ([`Service::submit_xml`], [`Service::run_sender_once`], §8): the document, its frozen version
//! and its stable `requestId` are committed in one transaction before any HTTP call, so a crash
//! never loses or duplicates an invoice. Statuses are tracked from SEF (§9). [`api`] serves the
//! HTTP JSON API and the server-rendered pages; [`store`] stores everything in SQLite or
//! PostgreSQL.

pub mod api;
pub mod clock;
pub mod crypto;
pub mod demo;
pub mod fields;
pub mod gateway;
pub mod messages;
pub mod model;
pub mod report;
pub mod sef_gateway;
pub mod service;
pub mod setup;
pub mod store;
pub mod tools;
pub mod ubl_tools;

pub use crypto::{ApiKey, KeyRing, MasterKey, MasterKeySources};
pub use demo::{DemoOptions, DemoSummary, demo_flow};
pub use messages::{Lang, MessageId, UserMessage};
pub use model::{DocState, Document, KeyInfo, KeyState, Tenant};
pub use service::{Registration, Service, ServiceConfig, ServiceError};
pub use store::{SqlStore, Store};
