//! The in-memory state of a software SE: identity and keys, the state that changes, and the
//! accessors of [`SoftSe`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_lc_rs::rsa::{KeyPair, OaepPublicEncryptingKey};
use fiskal_domain::counter::Uid;
use fiskal_domain::kinds::{InvoiceType, TransactionType};
use fiskal_domain::seller::Seller;
use zeroize::Zeroizing;

use super::crypto::KdfParams;
use crate::SeError;
use crate::cert::CertificateInfo;

/// Identity and keys: fixed after issue.
pub(super) struct Fixed {
    pub(super) uid: Uid,
    pub(super) tin: String,
    pub(super) certificate: Vec<u8>,
    pub(super) signing_key: Zeroizing<Vec<u8>>,
    pub(super) auth_certificate: Vec<u8>,
    pub(super) auth_key: Zeroizing<Vec<u8>>,
    pub(super) encryption_key: Vec<u8>,
    pub(super) authority_key: Vec<u8>,
}

#[derive(Clone, PartialEq, Eq)]
pub(super) struct PendingAudit {
    pub(super) seq: u32,
    pub(super) nonce: [u8; 16],
    pub(super) sum_at_start: u64,
    pub(super) total_counter: u32,
}

/// Everything that changes; cloned as a tentative copy during an operation and committed only
/// after it was persisted.
#[derive(Clone)]
pub(super) struct Dynamic {
    pub(super) pin_hash: Zeroizing<String>,
    pub(super) pin_tries_left: u8,
    pub(super) signing_enabled: bool,
    pub(super) limit: u64,
    pub(super) unaudited_sum: u64,
    pub(super) cumulative_sale: u64,
    pub(super) cumulative_refund: u64,
    pub(super) total_counter: u32,
    pub(super) type_counters: BTreeMap<String, u32>,
    pub(super) last_signed_time: u64,
    pub(super) last_signed: Option<Vec<u8>>,
    pub(super) recent_signed: Vec<Vec<u8>>,
    pub(super) audit_seq: u32,
    pub(super) pending_audit: Option<PendingAudit>,
    pub(super) last_directive_seq: u32,
}

pub(super) fn type_key(it: InvoiceType, tt: TransactionType) -> String {
    format!("{}{}", it.code(), tt.code())
}

/// The software secure element. See the [module docs](self).
pub struct SoftSe {
    pub(super) path: PathBuf,
    pub(super) key: Zeroizing<[u8; 32]>,
    pub(super) kdf: KdfParams,
    pub(super) fixed: Fixed,
    pub(super) dynamic: Dynamic,
    pub(super) signer: KeyPair,
    pub(super) encrypter: OaepPublicEncryptingKey,
    pub(super) cert_info: CertificateInfo,
    pub(super) pin_verified: bool,
    /// Size of the previous signing group of this process (kept with the current one in
    /// `recentSigned`).
    pub(super) previous_group_len: usize,
}

impl std::fmt::Debug for SoftSe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftSe")
            .field("uid", &self.fixed.uid)
            .field("path", &self.path)
            .field("total_counter", &self.dynamic.total_counter)
            .field("pin_tries_left", &self.dynamic.pin_tries_left)
            .field("pin_verified", &self.pin_verified)
            .field("signing_enabled", &self.dynamic.signing_enabled)
            .finish_non_exhaustive()
    }
}

impl SoftSe {
    /// Persists a tentative state and commits it in memory; on failure the state is unchanged.
    pub(super) fn commit(&mut self, d: Dynamic) -> Result<(), SeError> {
        self.persist(&d)?;
        self.dynamic = d;
        Ok(())
    }

    /// Path of the state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The seller as the signing certificate names it.
    pub fn seller(&self) -> &Seller {
        &self.cert_info.seller
    }

    /// UID, seller, validity and public key of the signing certificate.
    pub fn certificate_info(&self) -> &CertificateInfo {
        &self.cert_info
    }

    /// DER of the authentication (TLS client, class V34 equivalent) certificate.
    pub fn auth_certificate_der(&self) -> &[u8] {
        &self.fixed.auth_certificate
    }

    /// PKCS#8 DER of the authentication key, for a TLS client. Secret: never log it.
    pub fn auth_key_pkcs8(&self) -> &[u8] {
        &self.fixed.auth_key
    }

    /// SPKI DER of the SUF encryption key the SE encrypts to.
    pub fn suf_encryption_key_der(&self) -> &[u8] {
        &self.fixed.encryption_key
    }

    /// Whether the authority allows signing (directives 1 and 2).
    pub fn signing_enabled(&self) -> bool {
        self.dynamic.signing_enabled
    }

    /// Time of the last signature, ms (0 before the first).
    pub fn last_signed_time(&self) -> u64 {
        self.dynamic.last_signed_time
    }

    /// Counter of one invoice type × transaction type (0 before the first).
    pub fn type_counter(&self, it: InvoiceType, tt: TransactionType) -> u32 {
        self.dynamic
            .type_counters
            .get(&type_key(it, tt))
            .copied()
            .unwrap_or(0)
    }

    /// Cumulative sale and refund amounts since issue, × 10 000.
    pub fn cumulative(&self) -> (u64, u64) {
        (self.dynamic.cumulative_sale, self.dynamic.cumulative_refund)
    }

    /// Number of the last Start Audit, and whether an audit is pending.
    pub fn audit_state(&self) -> (u32, bool) {
        (self.dynamic.audit_seq, self.dynamic.pending_audit.is_some())
    }
}
