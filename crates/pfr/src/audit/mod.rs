//! The L-PFR's side of the audit (suf-backend.md §4–§7): the internet audit loop and the local
//! audit through removable media.
//!
//! Internet audit, one [`round`] at a time ([`run`] repeats it):
//!
//! 1. token (`GET /api/v3/sdc/token`, header `X-Fiskal-Client-Uid` on plain HTTP,
//!    docs/suf-formats.md), reused until it expires;
//! 2. results of commands not yet reported, then `PUT /api/v3/sdc/status` (`true`) and the
//!    commands it returns, executed in order ([`crate::commands`]);
//! 3. one audit package per receipt, oldest unsent first (`POST /api/v3/sdc/audit`); the last
//!    delivered counter is kept in the journal setting [`SENT_KEY`], so sending resumes after a
//!    restart and a package sent twice is answered 4 again by the SUF;
//! 4. when receipts were delivered since the last proof of audit: SE Start Audit + Amount Status,
//!    `POST /api/v3/sdc/audit-proof`; the proof arrives as command 5 and End Audit frees the limit.
//!
//! A SUF that is down or answers 500 never blocks selling: the round fails, the status shows
//! `0220`, and the next round starts where this one stopped.
//!
//! The parts: `state` (what was sent, the journal settings, the audit waiting for its proof),
//! `client` (the SUF's HTTP calls, [`SufClient`]), `online` (the internet audit loop) and
//! `local` (the local audit on removable media, [`local_audit`]).

use std::path::PathBuf;

use fiskal_se::audit_package::{self, AuditPackage};

use crate::service::PfrError;

mod client;
mod local;
mod online;
pub(crate) mod state;

pub use client::{AuditConfig, CLIENT_UID_HEADER, SufClient, TOKEN_HEADER};
pub use local::{LocalReport, local_audit};
pub use online::{RoundReport, round, run};
pub use state::{
    AUDIT_KEY, AuditState, PendingAudit, REJECTED_KEY, Rejected, SENT_KEY, proof_applied, rejected,
    sent_counter, state,
};

/// Errors of the audit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The SUF could not be reached or answered with a server error.
    #[error("the SUF is not reachable: {0}")]
    Unreachable(String),
    /// The SUF refused a request.
    #[error("the SUF refused the request ({status}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The SUF's answer.
        message: String,
    },
    /// The L-PFR's own storage or SE failed.
    #[error(transparent)]
    Pfr(#[from] PfrError),
    /// An audit package could not be built.
    #[error(transparent)]
    Package(#[from] audit_package::PackageError),
    /// The secure element refused an audit operation.
    #[error("the secure element refused the audit: {0}")]
    Se(#[from] fiskal_se::SeError),
    /// The medium could not be read or written.
    #[error("the medium {path} could not be used: {message}")]
    Medium {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl From<crate::store::JournalError> for AuditError {
    fn from(e: crate::store::JournalError) -> Self {
        AuditError::Pfr(e.into())
    }
}

/// Builds the package of one journal receipt.
pub(super) fn package_of(
    r: &crate::store::StoredReceipt,
    key: &[u8],
) -> Result<AuditPackage, audit_package::PackageError> {
    let plain = audit_package::plaintext(&r.request_json, r.request_id.as_deref(), &r.result_json)?;
    audit_package::seal(key, &plain)
}
