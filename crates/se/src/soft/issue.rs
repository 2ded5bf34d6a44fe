//! Issuing a new software SE: keys, certificates from the authority's CA, the first state file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_lc_rs::rsa::{KeyPair, KeySize};
use chrono::{DateTime, Utc};
use fiskal_domain::counter::Uid;
use fiskal_domain::seller::Seller;
use zeroize::Zeroizing;

use super::crypto::{KdfParams, derive_key, generate_uid, hash_pin, random, storage};
use super::state::{Dynamic, Fixed, SoftSe};
use super::{KDF_ITERATIONS, KDF_MEMORY_KIB, KDF_PARALLELISM, MAX_PIN_TRIES, MIN_PASSWORD_LEN};
use crate::authority::{self, AuthorityKeys};
use crate::cert::CertKind;
use crate::{MAX_AMOUNT_7, Pin, SeError};

/// Parameters of [`SoftSe::create`].
pub struct CreateParams<'a> {
    /// UID of the new SE; a random one when `None`.
    pub uid: Option<Uid>,
    /// The seller (taxpayer and location) the SE is issued to.
    pub seller: Seller,
    /// The 4-digit PIN.
    pub pin: Pin,
    /// Password of the state file, at least [`MIN_PASSWORD_LEN`] characters.
    pub password: &'a str,
    /// Limit of the unaudited amount, × 10 000.
    pub limit: u64,
    /// The authority issuing the SE: its CA signs the certificates, its public keys go into the
    /// SE.
    pub authority: &'a AuthorityKeys,
    /// Start of the certificates' validity.
    pub valid_from: DateTime<Utc>,
    /// End of the certificates' validity.
    pub valid_to: DateTime<Utc>,
}

impl std::fmt::Debug for CreateParams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateParams")
            .field("uid", &self.uid)
            .field("seller", &self.seller)
            .field("pin", &self.pin)
            .field("password", &"<hidden>")
            .field("limit", &self.limit)
            .field("valid_from", &self.valid_from)
            .field("valid_to", &self.valid_to)
            .finish()
    }
}

impl SoftSe {
    /// Issues a new software SE: generates its RSA-2048 signing and authentication keys, has
    /// the authority's CA certify them, and writes `dir/{UID}.fse`. Returns the SE (PIN not
    /// verified) and the path of the state file. Refuses to overwrite an existing file.
    pub fn create(dir: &Path, params: CreateParams<'_>) -> Result<(SoftSe, PathBuf), SeError> {
        if params.password.chars().count() < MIN_PASSWORD_LEN {
            return Err(SeError::BadData(format!(
                "the state-file password must have at least {MIN_PASSWORD_LEN} characters"
            )));
        }
        let tin = params.seller.tin.clone();
        if tin.is_empty() || tin.len() > 20 || !tin.is_ascii() {
            return Err(SeError::BadData(format!(
                "the TIN {tin:?} must be 1 to 20 ASCII characters"
            )));
        }
        if params.limit > MAX_AMOUNT_7 {
            return Err(SeError::BadData("the limit does not fit in 7 bytes".into()));
        }
        if params.valid_to <= params.valid_from {
            return Err(SeError::BadData(
                "the certificate validity ends before it starts".into(),
            ));
        }
        let uid = match params.uid {
            Some(u) => u,
            None => generate_uid()?,
        };
        let path = dir.join(format!("{uid}.fse"));
        if path.exists() {
            return Err(SeError::Storage(format!(
                "{} already exists; it is not overwritten",
                path.display()
            )));
        }
        std::fs::create_dir_all(dir)
            .map_err(storage(&format!("cannot create {}", dir.display())))?;

        let gen_err = |e: authority::AuthorityError| SeError::Storage(e.to_string());
        let signing_key = authority::generate_rsa_pkcs8(KeySize::Rsa2048).map_err(gen_err)?;
        let auth_key = authority::generate_rsa_pkcs8(KeySize::Rsa2048).map_err(gen_err)?;
        let spki = |pkcs8: &[u8]| -> Result<Vec<u8>, SeError> {
            let kp = KeyPair::from_pkcs8(pkcs8).map_err(storage("generated key"))?;
            authority::spki_of(&kp).map_err(gen_err)
        };
        let a = params.authority;
        let certificate = a
            .issue_se_certificate(
                &uid,
                &params.seller,
                &spki(&signing_key)?,
                CertKind::SeSigning,
                params.valid_from,
                params.valid_to,
            )
            .map_err(gen_err)?;
        let auth_certificate = a
            .issue_se_certificate(
                &uid,
                &params.seller,
                &spki(&auth_key)?,
                CertKind::SeAuth,
                params.valid_from,
                params.valid_to,
            )
            .map_err(gen_err)?;

        let fixed = Fixed {
            uid: uid.clone(),
            tin,
            certificate,
            signing_key,
            auth_certificate,
            auth_key,
            encryption_key: a.encryption_public_key_der().to_vec(),
            authority_key: a.authority_public_key_der().to_vec(),
        };
        let dynamic = Dynamic {
            pin_hash: Zeroizing::new(hash_pin(&params.pin)?),
            pin_tries_left: MAX_PIN_TRIES,
            signing_enabled: true,
            limit: params.limit,
            unaudited_sum: 0,
            cumulative_sale: 0,
            cumulative_refund: 0,
            total_counter: 0,
            type_counters: BTreeMap::new(),
            last_signed_time: 0,
            last_signed: None,
            recent_signed: Vec::new(),
            audit_seq: 0,
            pending_audit: None,
            last_directive_seq: 0,
        };
        let kdf = KdfParams {
            memory_kib: KDF_MEMORY_KIB,
            iterations: KDF_ITERATIONS,
            parallelism: KDF_PARALLELISM,
            salt: random::<16>()?.to_vec(),
        };
        let key = derive_key(params.password, &kdf)?;
        let se = SoftSe::assemble(path.clone(), key, kdf, fixed, dynamic)?;
        se.persist(&se.dynamic)?;
        tracing::info!(uid = %se.fixed.uid, path = %path.display(), "software secure element issued");
        Ok((se, path))
    }
}
