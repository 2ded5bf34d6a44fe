//! Errors of the store and the future its methods return.

use std::future::Future;
use std::pin::Pin;

use crate::crypto::CryptoError;

/// Storage errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database driver failed.
    #[error("The database reported an error: {0}")]
    Sql(#[from] sqlx::Error),
    /// The store cannot be opened: a bad URL, unreachable, of a newer fiskal or of an older
    /// layout (the text says which; never a password).
    #[error("{0}")]
    Storage(#[from] fiskal_storage::StorageError),
    /// A stored value is not what the schema promises.
    #[error("The database holds an unexpected value in {0}.")]
    Corrupt(&'static str),
    /// Sealing a key inside a transaction failed; nothing was stored.
    #[error(transparent)]
    Seal(#[from] CryptoError),
}

/// Shorthand.
pub type StoreResult<T> = Result<T, StoreError>;

/// A boxed future, as returned by the store's methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

impl StoreError {
    /// Whether a unique key refused the write (an invoice number already used, for example).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sql(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()))
    }
}
