//! The service core: onboarding (§3), keys checked on use (§5, §6), documents and the outbox
//! (§7, §8), status tracking (§9). The HTTP layer ([`crate::api`]) and the command line call into
//! this; it knows no HTTP types. One file per use-case area; [`Service`] lives in `base`.

mod background;
mod base;
mod config;
mod document_check;
mod documents;
mod error;
mod events;
mod keys;
mod onboarding;
mod sef_actions;
mod sending;
mod status;
mod views;

pub use base::Service;
pub use config::ServiceConfig;
pub use documents::refused_message;
pub use error::{SResult, ServiceError};
pub use events::parse_change_event;
pub use views::{DocumentView, KeyStatus, Registered, Registration, TenantOverview};
