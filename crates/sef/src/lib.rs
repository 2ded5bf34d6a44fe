//! fiskal-sef: the SEF (Sistem elektronskih faktura) public API — a client and a local
//! SEF-compatible sandbox (`shared/spec/sef-api.md`).
//!
//! * [`SefClient`]: `ApiKey` header, a per-key limit of 3 call starts in any second, retries with
//!   back-off on 429 / 5xx / timeouts that always reuse the same `requestId`, typed errors with
//!   Serbian and English messages ([`SefError::message_sr`], [`SefError::message_en`]).
//! * [`sandbox`]: the same API on a loopback address with its own store, the admin API of §12
//!   and a small portal page ("Podešavanja > API menadžment").

pub mod cli_support;
pub mod client;
pub mod error;
pub mod json;
pub mod key;
pub mod limiter;
pub mod model;
pub mod sandbox;
pub mod xml;

pub use client::{PdfDownload, RetryPolicy, SefClient, SefClientConfig, UblUpload, new_request_id};
pub use error::SefError;
pub use key::{ApiKey, ApiKeyFormatError, SefEnvironment};
pub use limiter::{CallGate, RateLimit, SlidingWindowLimiter};
pub use model::*;
pub use sandbox::{SandboxConfig, SandboxHandle};
