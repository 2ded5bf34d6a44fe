//! Storage of Moje fakture: the [`Store`] interface the service uses, one trait per table area
//! ([`TenantStore`], [`KeyStore`], [`DocumentStore`], [`OutboxStore`], [`EventStore`],
//! [`AuditStore`]), and its SQL implementation [`SqlStore`] for SQLite (default) and PostgreSQL.
//!
//! Times are Unix milliseconds (UTC). Every query that touches tenant data is scoped by the
//! tenant id.

mod audit;
mod documents;
mod error;
mod events;
mod keys;
mod outbox;
mod records;
mod sql;
mod tenants;

pub use audit::AuditStore;
pub use documents::DocumentStore;
pub use error::{StoreError, StoreFuture, StoreResult};
pub use events::EventStore;
/// Which backend a [`SqlStore`] talks to.
pub use fiskal_storage::Backend;
pub use keys::KeyStore;
pub use outbox::OutboxStore;
pub use records::{
    KeyRecord, NewDocument, NewEvent, NewKey, NewTenant, OutboxItem, SealFn, VersionRow,
};
pub use sql::{MIGRATIONS, SqlStore};
pub use tenants::TenantStore;

/// Everything the service stores: the union of the per-area traits. Implemented for every type
/// that implements them all.
pub trait Store:
    TenantStore + KeyStore + DocumentStore + OutboxStore + EventStore + AuditStore + 'static
{
}

impl<T> Store for T where
    T: TenantStore + KeyStore + DocumentStore + OutboxStore + EventStore + AuditStore + 'static
{
}
