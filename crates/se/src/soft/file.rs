//! The state file `{UID}.fse`: its JSON envelope and inner state (secure-element.md §8.1),
//! opening it with the password and writing it atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rsa::KeyPair;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_domain::counter::Uid;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::crypto::{KdfParams, derive_key, random, storage};
use super::state::{Dynamic, Fixed, PendingAudit, SoftSe};
use super::{FORMAT, MAX_PIN_TRIES};
use crate::SeError;
use crate::authority;
use crate::cert;

/// Upper bounds accepted from a state file, so a crafted file cannot exhaust memory.
const KDF_MAX_MEMORY_KIB: u32 = 1 << 20;
const KDF_MAX_ITERATIONS: u32 = 64;
const KDF_MAX_PARALLELISM: u32 = 16;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OuterKdf {
    alg: String,
    #[serde(rename = "memoryKiB")]
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outer {
    format: String,
    uid: String,
    kdf: OuterKdf,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

/// Integers × 10 000 kept as JSON strings.
mod amount_str {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!(
                "{s:?} is not an integer amount"
            )));
        }
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SufKeysJson {
    encryption_key: String,
    authority_key: String,
}

#[derive(Serialize, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct PendingAuditJson {
    seq: u32,
    nonce: String,
    #[serde(with = "amount_str")]
    sum_at_start: u64,
    total_counter: u32,
}

/// The inner JSON (secure-element.md §8.1 table). Zeroized on drop.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inner {
    uid: String,
    tin: String,
    certificate: String,
    signing_key: String,
    auth_certificate: String,
    auth_key: String,
    suf: SufKeysJson,
    pin_hash: String,
    pin_tries_left: u8,
    signing_enabled: bool,
    #[serde(with = "amount_str")]
    limit: u64,
    #[serde(with = "amount_str")]
    unaudited_sum: u64,
    #[serde(with = "amount_str")]
    cumulative_sale: u64,
    #[serde(with = "amount_str")]
    cumulative_refund: u64,
    total_counter: u32,
    type_counters: BTreeMap<String, u32>,
    last_signed_time: u64,
    last_signed: Option<String>,
    /// fiskal's addition: every output of the most recent signing step (a batch), oldest first.
    #[serde(default)]
    recent_signed: Vec<String>,
    audit_seq: u32,
    pending_audit: Option<PendingAuditJson>,
    last_directive_seq: u32,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.signing_key.zeroize();
        self.auth_key.zeroize();
        self.pin_hash.zeroize();
    }
}

impl SoftSe {
    /// Opens a state file with its password. A wrong password gives [`SeError::WrongPassword`].
    /// The PIN must be verified again after opening.
    pub fn open(path: &Path, password: &str) -> Result<SoftSe, SeError> {
        let raw =
            std::fs::read(path).map_err(storage(&format!("cannot read {}", path.display())))?;
        let outer: Outer = serde_json::from_slice(&raw).map_err(storage(&format!(
            "{} is not a software SE state file",
            path.display()
        )))?;
        if outer.format != FORMAT {
            return Err(SeError::Storage(format!(
                "unknown state file format {:?}",
                outer.format
            )));
        }
        if outer.cipher != "aes-256-gcm" || outer.kdf.alg != "argon2id" {
            return Err(SeError::Storage(
                "unsupported cipher or key derivation in the state file".into(),
            ));
        }
        let k = &outer.kdf;
        if k.memory_kib > KDF_MAX_MEMORY_KIB
            || k.iterations > KDF_MAX_ITERATIONS
            || k.parallelism > KDF_MAX_PARALLELISM
        {
            return Err(SeError::Storage(
                "the state file asks for unreasonable key-derivation costs".into(),
            ));
        }
        let uid = Uid::parse(&outer.uid).map_err(storage("state file UID"))?;
        let kdf = KdfParams {
            memory_kib: k.memory_kib,
            iterations: k.iterations,
            parallelism: k.parallelism,
            salt: B64.decode(&k.salt).map_err(storage("salt"))?,
        };
        let nonce: [u8; NONCE_LEN] = B64
            .decode(&outer.nonce)
            .map_err(storage("nonce"))?
            .try_into()
            .map_err(|_| SeError::Storage("the nonce is not 12 bytes".into()))?;
        let mut ct = B64
            .decode(&outer.ciphertext)
            .map_err(storage("ciphertext"))?;
        let key = derive_key(password, &kdf)?;
        let aead = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, key.as_ref()).map_err(storage("AES key"))?,
        );
        let aad = format!("{FORMAT}|{uid}");
        let plain = aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut ct,
            )
            .map_err(|_| SeError::WrongPassword)?;
        let plain = Zeroizing::new(plain.to_vec());
        ct.zeroize();
        let inner: Inner = serde_json::from_slice(&plain).map_err(storage("inner state"))?;
        if inner.uid != uid.as_str() {
            return Err(SeError::Storage(
                "the inner and outer UIDs of the state file differ".into(),
            ));
        }
        let d = |s: &str, what: &str| {
            B64.decode(s)
                .map_err(|e| SeError::Storage(format!("{what}: {e}")))
        };
        let fixed = Fixed {
            uid: uid.clone(),
            tin: inner.tin.clone(),
            certificate: d(&inner.certificate, "certificate")?,
            signing_key: Zeroizing::new(d(&inner.signing_key, "signingKey")?),
            auth_certificate: d(&inner.auth_certificate, "authCertificate")?,
            auth_key: Zeroizing::new(d(&inner.auth_key, "authKey")?),
            encryption_key: d(&inner.suf.encryption_key, "suf.encryptionKey")?,
            authority_key: d(&inner.suf.authority_key, "suf.authorityKey")?,
        };
        let pending_audit = match &inner.pending_audit {
            None => None,
            Some(p) => Some(PendingAudit {
                seq: p.seq,
                nonce: d(&p.nonce, "pendingAudit.nonce")?
                    .try_into()
                    .map_err(|_| SeError::Storage("pendingAudit.nonce is not 16 bytes".into()))?,
                sum_at_start: p.sum_at_start,
                total_counter: p.total_counter,
            }),
        };
        let dynamic = Dynamic {
            pin_hash: Zeroizing::new(inner.pin_hash.clone()),
            pin_tries_left: inner.pin_tries_left.min(MAX_PIN_TRIES),
            signing_enabled: inner.signing_enabled,
            limit: inner.limit,
            unaudited_sum: inner.unaudited_sum,
            cumulative_sale: inner.cumulative_sale,
            cumulative_refund: inner.cumulative_refund,
            total_counter: inner.total_counter,
            type_counters: inner.type_counters.clone(),
            last_signed_time: inner.last_signed_time,
            last_signed: inner
                .last_signed
                .as_deref()
                .map(|s| d(s, "lastSigned"))
                .transpose()?,
            recent_signed: inner
                .recent_signed
                .iter()
                .map(|s| d(s, "recentSigned"))
                .collect::<Result<_, _>>()?,
            audit_seq: inner.audit_seq,
            pending_audit,
            last_directive_seq: inner.last_directive_seq,
        };
        SoftSe::assemble(path.to_path_buf(), key, kdf, fixed, dynamic)
    }

    pub(super) fn assemble(
        path: PathBuf,
        key: Zeroizing<[u8; 32]>,
        kdf: KdfParams,
        fixed: Fixed,
        dynamic: Dynamic,
    ) -> Result<SoftSe, SeError> {
        let signer = KeyPair::from_pkcs8(&fixed.signing_key).map_err(storage("signing key"))?;
        let encrypter = authority::oaep_key(&fixed.encryption_key)
            .map_err(|e| SeError::Storage(e.to_string()))?;
        let cert_info = cert::parse_certificate(&fixed.certificate)
            .map_err(|e| SeError::Storage(e.to_string()))?;
        if cert_info.uid != fixed.uid || cert_info.seller.tin != fixed.tin {
            return Err(SeError::Storage(
                "the certificate's UID or TIN differs from the state file".into(),
            ));
        }
        let own_spki = authority::spki_of(&signer).map_err(|e| SeError::Storage(e.to_string()))?;
        if own_spki != cert_info.public_key_spki {
            return Err(SeError::Storage(
                "the certificate does not certify the signing key".into(),
            ));
        }
        Ok(SoftSe {
            path,
            key,
            kdf,
            fixed,
            dynamic,
            signer,
            encrypter,
            cert_info,
            pin_verified: false,
            previous_group_len: 0,
        })
    }

    /// Encrypts and atomically writes the state `d`.
    pub(super) fn persist(&self, d: &Dynamic) -> Result<(), SeError> {
        let f = &self.fixed;
        let inner = Inner {
            uid: f.uid.to_string(),
            tin: f.tin.clone(),
            certificate: B64.encode(&f.certificate),
            signing_key: B64.encode(&*f.signing_key),
            auth_certificate: B64.encode(&f.auth_certificate),
            auth_key: B64.encode(&*f.auth_key),
            suf: SufKeysJson {
                encryption_key: B64.encode(&f.encryption_key),
                authority_key: B64.encode(&f.authority_key),
            },
            pin_hash: d.pin_hash.to_string(),
            pin_tries_left: d.pin_tries_left,
            signing_enabled: d.signing_enabled,
            limit: d.limit,
            unaudited_sum: d.unaudited_sum,
            cumulative_sale: d.cumulative_sale,
            cumulative_refund: d.cumulative_refund,
            total_counter: d.total_counter,
            type_counters: d.type_counters.clone(),
            last_signed_time: d.last_signed_time,
            last_signed: d.last_signed.as_ref().map(|b| B64.encode(b)),
            recent_signed: d.recent_signed.iter().map(|b| B64.encode(b)).collect(),
            audit_seq: d.audit_seq,
            pending_audit: d.pending_audit.as_ref().map(|p| PendingAuditJson {
                seq: p.seq,
                nonce: B64.encode(p.nonce),
                sum_at_start: p.sum_at_start,
                total_counter: p.total_counter,
            }),
            last_directive_seq: d.last_directive_seq,
        };
        let mut buf = Zeroizing::new(serde_json::to_vec(&inner).map_err(storage("inner state"))?);
        let nonce = random::<NONCE_LEN>()?;
        let aead = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, self.key.as_ref()).map_err(storage("AES key"))?,
        );
        let aad = format!("{FORMAT}|{}", f.uid);
        aead.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad.as_bytes()),
            &mut *buf,
        )
        .map_err(storage("AES-GCM"))?;
        let outer = Outer {
            format: FORMAT.into(),
            uid: f.uid.to_string(),
            kdf: OuterKdf {
                alg: "argon2id".into(),
                memory_kib: self.kdf.memory_kib,
                iterations: self.kdf.iterations,
                parallelism: self.kdf.parallelism,
                salt: B64.encode(&self.kdf.salt),
            },
            cipher: "aes-256-gcm".into(),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(&*buf),
        };
        let json = serde_json::to_vec(&outer).map_err(storage("state file"))?;
        fiskal_storage::write_atomic(&self.path, &json, fiskal_storage::MODE_PRIVATE)
            .map_err(storage(&format!("cannot write {}", self.path.display())))
    }
}
