//! Audit packages (suf-backend.md §6.1): the format shared with the L-PFR lives in
//! [`fiskal_se::audit_package`]; this module re-exports it and adds [`open`] with the SUF's keys.

pub use fiskal_se::audit_package::{
    AuditPackage, AuditStatus, PLAIN_VERSION, PackageError, PackagePlain, file_name, open_with,
    plaintext, seal,
};
use zeroize::Zeroizing;

use crate::keys::SufKeys;

/// Decrypts a package with the SUF's encryption key; returns the plaintext bytes.
pub fn open(keys: &SufKeys, pkg: &AuditPackage) -> Result<Zeroizing<Vec<u8>>, PackageError> {
    open_with(|c| keys.unwrap_pkcs1(c), pkg)
}
