//! fiskal's software secure element (secure-element.md §8).
//!
//! One password-protected state file per SE, `{UID}.fse`: an outer JSON envelope
//! (`fiskal-soft-se/1`, Argon2id key derivation, AES-256-GCM) around the inner JSON state of
//! §8.1. The key is derived once when the SE is opened and kept in memory (zeroized on drop);
//! every write uses a fresh nonce and is atomic (temporary file, fsync, rename, fsync of the
//! folder). Signing persists the new counters **before** the signatures are returned.
//!
//! The software SE behaves like the smart card (PIN with 5 tries, limit, audits, directives)
//! but is not tamper-proof: anyone with the file and the password can restore an older copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rsa::{KeyPair, KeySize, OaepPublicEncryptingKey};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use fiskal_domain::counter::Uid;
use fiskal_domain::kinds::{InvoiceType, TransactionType};
use fiskal_domain::seller::Seller;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::authority::{
    self, AuditRequest, AuthorityKeys, Directive, DirectiveKind, InternalData,
    proof_of_audit_message,
};
use crate::cert::{self, CertKind, CertificateInfo};
use crate::{AmountStatus, MAX_AMOUNT_7, Pin, SeError, SecureElement, SignRequest, SignedInvoice};

/// Format tag of the state file (outer JSON `format`).
pub const FORMAT: &str = "fiskal-soft-se/1";
/// Version text the software SE reports (`secureElementVersion`).
pub const VERSION: &str = "fiskal-soft-1";
/// PIN tries of a fresh or unlocked SE.
pub const MAX_PIN_TRIES: u8 = 5;
/// Most tax categories in one invoice.
pub const MAX_CATEGORIES: usize = 12;
/// Shortest accepted state-file password (characters).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Most signatures the state file keeps for recovery (Get Last Signed Invoice generalised): the
/// current and the previous signing group, each at most the L-PFR's largest group (64).
pub const RECENT_SIGNED_MAX: usize = 128;
/// Argon2id memory of the state-file key derivation, KiB.
pub const KDF_MEMORY_KIB: u32 = 65536;
/// Argon2id iterations of the state-file key derivation.
pub const KDF_ITERATIONS: u32 = 3;
/// Argon2id parallelism of the state-file key derivation.
pub const KDF_PARALLELISM: u32 = 1;

/// Argon2id parameters of the PIN hash (lighter than the file key: it runs on every Verify PIN).
const PIN_MEMORY_KIB: u32 = 19456;
const PIN_ITERATIONS: u32 = 2;
const PIN_PARALLELISM: u32 = 1;

/// Upper bounds accepted from a state file, so a crafted file cannot exhaust memory.
const KDF_MAX_MEMORY_KIB: u32 = 1 << 20;
const KDF_MAX_ITERATIONS: u32 = 64;
const KDF_MAX_PARALLELISM: u32 = 16;

fn storage<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> SeError + '_ {
    move |e| SeError::Storage(format!("{what}: {e}"))
}

fn random<const N: usize>() -> Result<[u8; N], SeError> {
    let mut b = [0u8; N];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| SeError::Storage("the system has no randomness".into()))?;
    Ok(b)
}

/// A random UID: 8 characters from `A–Z0–9`, from the system CSPRNG.
pub fn generate_uid() -> Result<Uid, SeError> {
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::with_capacity(8);
    while out.len() < 8 {
        for b in random::<16>()? {
            // 252 = 7 × 36: rejection sampling keeps the distribution uniform.
            if b < 252 && out.len() < 8 {
                out.push(char::from(ALPHABET[usize::from(b % 36)]));
            }
        }
    }
    Uid::parse(&out).map_err(|e| SeError::Storage(e.to_string()))
}

fn argon2(m: u32, t: u32, p: u32, out: Option<usize>) -> Result<argon2::Argon2<'static>, SeError> {
    let params = argon2::Params::new(m, t, p, out).map_err(storage("Argon2 parameters"))?;
    Ok(argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    ))
}

fn derive_key(password: &str, kdf: &KdfParams) -> Result<Zeroizing<[u8; 32]>, SeError> {
    let a = argon2(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))?;
    let mut key = Zeroizing::new([0u8; 32]);
    a.hash_password_into(password.as_bytes(), &kdf.salt, key.as_mut())
        .map_err(storage("Argon2id"))?;
    Ok(key)
}

fn hash_pin(pin: &Pin) -> Result<String, SeError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&random::<16>()?).map_err(storage("PIN salt"))?;
    let a = argon2(PIN_MEMORY_KIB, PIN_ITERATIONS, PIN_PARALLELISM, None)?;
    let ascii = Zeroizing::new(pin.to_ascii());
    Ok(a.hash_password(ascii.as_bytes(), &salt)
        .map_err(storage("PIN hash"))?
        .to_string())
}

/// Constant-time PIN check through the Argon2 verifier (parameters come from the PHC string).
fn pin_matches(pin: &Pin, phc: &str) -> Result<bool, SeError> {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let hash = PasswordHash::new(phc).map_err(storage("PIN hash in the state file"))?;
    let ascii = Zeroizing::new(pin.to_ascii());
    Ok(argon2::Argon2::default()
        .verify_password(ascii.as_bytes(), &hash)
        .is_ok())
}

/// Key-derivation parameters and salt of one state file.
#[derive(Clone)]
struct KdfParams {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: Vec<u8>,
}

// ---------------------------------------------------------------- on-disk JSON

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

// ---------------------------------------------------------------- in-memory state

/// Identity and keys: fixed after issue.
struct Fixed {
    uid: Uid,
    tin: String,
    certificate: Vec<u8>,
    signing_key: Zeroizing<Vec<u8>>,
    auth_certificate: Vec<u8>,
    auth_key: Zeroizing<Vec<u8>>,
    encryption_key: Vec<u8>,
    authority_key: Vec<u8>,
}

#[derive(Clone, PartialEq, Eq)]
struct PendingAudit {
    seq: u32,
    nonce: [u8; 16],
    sum_at_start: u64,
    total_counter: u32,
}

/// Everything that changes; cloned as a tentative copy during an operation and committed only
/// after it was persisted.
#[derive(Clone)]
struct Dynamic {
    pin_hash: Zeroizing<String>,
    pin_tries_left: u8,
    signing_enabled: bool,
    limit: u64,
    unaudited_sum: u64,
    cumulative_sale: u64,
    cumulative_refund: u64,
    total_counter: u32,
    type_counters: BTreeMap<String, u32>,
    last_signed_time: u64,
    last_signed: Option<Vec<u8>>,
    recent_signed: Vec<Vec<u8>>,
    audit_seq: u32,
    pending_audit: Option<PendingAudit>,
    last_directive_seq: u32,
}

fn type_key(it: InvoiceType, tt: TransactionType) -> String {
    format!("{}{}", it.code(), tt.code())
}

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

/// The software secure element. See the [module docs](self).
pub struct SoftSe {
    path: PathBuf,
    key: Zeroizing<[u8; 32]>,
    kdf: KdfParams,
    fixed: Fixed,
    dynamic: Dynamic,
    signer: KeyPair,
    encrypter: OaepPublicEncryptingKey,
    cert_info: CertificateInfo,
    pin_verified: bool,
    /// Size of the previous signing group of this process (kept with the current one in
    /// `recentSigned`).
    previous_group_len: usize,
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

/// A signing step prepared under the tentative state, waiting for its signature.
struct Prepared {
    invoice: SignedInvoice,
    signed_data: Vec<u8>,
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

    fn assemble(
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
    fn persist(&self, d: &Dynamic) -> Result<(), SeError> {
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

    /// Persists a tentative state and commits it in memory; on failure the state is unchanged.
    fn commit(&mut self, d: Dynamic) -> Result<(), SeError> {
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

    /// Checks one request against the tentative state `d` (secure-element.md §8.2 order) and
    /// applies it: counters, sums, internal data.
    fn prepare(&self, d: &mut Dynamic, req: &SignRequest) -> Result<Prepared, SeError> {
        if !self.pin_verified {
            return Err(SeError::PinRequired);
        }
        if d.pin_tries_left == 0 {
            return Err(SeError::Locked);
        }
        if !d.signing_enabled {
            return Err(SeError::SigningDisabled);
        }
        if d.unaudited_sum >= d.limit {
            return Err(SeError::LimitReached);
        }
        if req.tin != self.fixed.tin {
            return Err(SeError::BadData(format!(
                "the TIN {:?} is not the secure element's TIN {:?}",
                req.tin, self.fixed.tin
            )));
        }
        if req.time_ms < d.last_signed_time {
            return Err(SeError::ClockBehind);
        }
        let t = i64::try_from(req.time_ms).map_err(|_| SeError::CertificateNotValidAt)?;
        if !self.cert_info.is_valid_at(t) {
            return Err(SeError::CertificateNotValidAt);
        }
        if req.taxes.len() > MAX_CATEGORIES {
            return Err(SeError::TooManyCategories);
        }
        if req.amount > MAX_AMOUNT_7 {
            return Err(SeError::BadData(
                "the amount does not fit in 7 bytes".into(),
            ));
        }
        if let Some(b) = &req.buyer_id
            && (b.len() > 20 || !b.is_ascii())
        {
            return Err(SeError::BadData(
                "the buyer ID must be ASCII of at most 20 bytes".into(),
            ));
        }
        let mut prev = 0u8;
        for (i, &(id, tax)) in req.taxes.iter().enumerate() {
            if (i > 0 && id <= prev) || tax > MAX_AMOUNT_7 {
                return Err(SeError::BadData(
                    "tax categories must ascend by orderId and each tax must fit in 7 bytes".into(),
                ));
            }
            prev = id;
        }

        let key = type_key(req.invoice_type, req.transaction_type);
        let tt_counter = d.type_counters.get(&key).copied().unwrap_or(0);
        let (Some(total), Some(tt)) = (d.total_counter.checked_add(1), tt_counter.checked_add(1))
        else {
            return Err(SeError::CounterExhausted);
        };
        let (sale, refund) = match req.transaction_type {
            TransactionType::Sale => (
                d.cumulative_sale.checked_add(req.amount),
                Some(d.cumulative_refund),
            ),
            TransactionType::Refund => (
                Some(d.cumulative_sale),
                d.cumulative_refund.checked_add(req.amount),
            ),
        };
        let (Some(sale), Some(refund)) = (sale, refund) else {
            return Err(SeError::CounterExhausted);
        };
        d.total_counter = total;
        d.type_counters.insert(key, tt);
        d.cumulative_sale = sale;
        d.cumulative_refund = refund;
        d.unaudited_sum = d.unaudited_sum.saturating_add(req.amount).min(MAX_AMOUNT_7);
        d.last_signed_time = req.time_ms;

        let plain = Zeroizing::new(
            InternalData {
                uid: self.fixed.uid.clone(),
                time_ms: req.time_ms,
                invoice_type: req.invoice_type,
                transaction_type: req.transaction_type,
                total_counter: total,
                transaction_type_counter: tt,
                amount: req.amount,
                cumulative_sale: sale,
                cumulative_refund: refund,
                unaudited_sum: d.unaudited_sum,
                taxes: req.taxes.clone(),
            }
            .to_bytes(),
        );
        let internal_data = self.oaep(&plain)?;
        let invoice = SignedInvoice {
            time_ms: req.time_ms,
            tin: req.tin.clone(),
            buyer_id: req.buyer_id.clone(),
            invoice_type: req.invoice_type,
            transaction_type: req.transaction_type,
            amount: req.amount,
            transaction_type_counter: tt,
            total_counter: total,
            internal_data,
            signature: Vec::new(),
        };
        let signed_data = invoice.signed_data()?;
        Ok(Prepared {
            invoice,
            signed_data,
        })
    }

    fn oaep(&self, plain: &[u8]) -> Result<Vec<u8>, SeError> {
        let mut out = vec![0u8; self.encrypter.ciphertext_size()];
        let n = self
            .encrypter
            .encrypt(
                &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
                plain,
                &mut out,
                None,
            )
            .map_err(|_| SeError::NotAvailable("RSA-OAEP encryption failed".into()))?
            .len();
        out.truncate(n);
        Ok(out)
    }

    fn rsa_sign(signer: &KeyPair, msg: &[u8]) -> Result<Vec<u8>, SeError> {
        let mut sig = vec![0u8; signer.public_modulus_len()];
        signer
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                msg,
                &mut sig,
            )
            .map_err(|_| SeError::NotAvailable("RSA signing failed".into()))?;
        Ok(sig)
    }

    /// Signs the prepared entries on two threads.
    fn sign_all(&self, items: &mut [&mut Prepared]) -> Result<(), SeError> {
        let signer = &self.signer;
        let sign_chunk = |chunk: &mut [&mut Prepared]| -> Result<(), SeError> {
            for p in chunk.iter_mut() {
                p.invoice.signature = SoftSe::rsa_sign(signer, &p.signed_data)?;
            }
            Ok(())
        };
        if items.len() < 2 {
            return sign_chunk(items);
        }
        let mid = items.len().div_ceil(2);
        let (a, b) = items.split_at_mut(mid);
        std::thread::scope(|s| {
            let h = s.spawn(|| sign_chunk(b));
            let ra = sign_chunk(a);
            let rb = h
                .join()
                .unwrap_or_else(|_| Err(SeError::NotAvailable("a signing thread failed".into())));
            ra.and(rb)
        })
    }
}

impl SecureElement for SoftSe {
    fn authentication_certificate_der(&self) -> Option<Vec<u8>> {
        Some(self.fixed.auth_certificate.clone())
    }

    fn sign_authentication(&self, message: &[u8]) -> Option<Result<Vec<u8>, SeError>> {
        let sign = || -> Result<Vec<u8>, SeError> {
            let kp = aws_lc_rs::rsa::KeyPair::from_pkcs8(&self.fixed.auth_key)
                .map_err(|_| SeError::Storage("the authentication key is unreadable".into()))?;
            let mut sig = vec![0u8; kp.public_modulus_len()];
            kp.sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| SeError::Storage("signing with the authentication key failed".into()))?;
            Ok(sig)
        };
        Some(sign())
    }

    fn uid(&self) -> &Uid {
        &self.fixed.uid
    }

    fn version(&self) -> String {
        VERSION.to_string()
    }

    fn certificate_der(&self) -> Vec<u8> {
        self.fixed.certificate.clone()
    }

    fn verify_pin(&mut self, pin: &Pin) -> Result<(), SeError> {
        if self.dynamic.pin_tries_left == 0 {
            self.pin_verified = false;
            return Err(SeError::Locked);
        }
        if pin_matches(pin, &self.dynamic.pin_hash)? {
            if self.dynamic.pin_tries_left != MAX_PIN_TRIES {
                let mut d = self.dynamic.clone();
                d.pin_tries_left = MAX_PIN_TRIES;
                self.commit(d)?;
            }
            self.pin_verified = true;
            Ok(())
        } else {
            self.pin_verified = false;
            let mut d = self.dynamic.clone();
            d.pin_tries_left -= 1;
            let left = d.pin_tries_left;
            // The decrement is kept in memory even if it cannot be written: a failing disk must
            // not give unlimited tries.
            let written = self.persist(&d);
            self.dynamic = d;
            written?;
            tracing::warn!(uid = %self.fixed.uid, tries_left = left, "wrong PIN");
            if left == 0 {
                Err(SeError::Locked)
            } else {
                Err(SeError::WrongPin { tries_left: left })
            }
        }
    }

    fn is_pin_verified(&self) -> bool {
        self.pin_verified
    }

    fn pin_tries_left(&self) -> u8 {
        self.dynamic.pin_tries_left
    }

    fn sign_invoice(&mut self, req: &SignRequest) -> Result<SignedInvoice, SeError> {
        self.sign_batch(std::slice::from_ref(req))
            .pop()
            .unwrap_or_else(|| Err(SeError::NotAvailable("no result".into())))
    }

    fn sign_batch(&mut self, reqs: &[SignRequest]) -> Vec<Result<SignedInvoice, SeError>> {
        let mut d = self.dynamic.clone();
        let mut prepared: Vec<Result<Prepared, SeError>> =
            reqs.iter().map(|r| self.prepare(&mut d, r)).collect();
        if !prepared.iter().any(Result::is_ok) {
            return prepared.into_iter().map(|r| r.map(|p| p.invoice)).collect();
        }
        let mut ok: Vec<&mut Prepared> = prepared
            .iter_mut()
            .filter_map(|r| r.as_mut().ok())
            .collect();
        if let Err(e) = self.sign_all(&mut ok) {
            return reqs.iter().map(|_| Err(e.clone())).collect();
        }
        let mut outputs = Vec::with_capacity(ok.len());
        for p in &ok {
            match p.invoice.to_bytes() {
                Ok(b) => outputs.push(b),
                Err(e) => return reqs.iter().map(|_| Err(e.clone())).collect(),
            }
        }
        d.last_signed = outputs.last().cloned();
        // Keep the signatures of this group and the previous one, so a PFR that journals one
        // group while the next is being signed can always recover what it had not stored yet
        // (and the state file stays small when groups are small).
        let group_len = outputs.len();
        let keep = self.previous_group_len.min(d.recent_signed.len());
        let cut = d.recent_signed.len() - keep;
        d.recent_signed.drain(..cut);
        d.recent_signed.extend(outputs);
        if d.recent_signed.len() > RECENT_SIGNED_MAX {
            let cut = d.recent_signed.len() - RECENT_SIGNED_MAX;
            d.recent_signed.drain(..cut);
        }
        if let Err(e) = self.commit(d) {
            tracing::error!(uid = %self.fixed.uid, error = %e, "signing state not persisted; signatures discarded");
            return reqs.iter().map(|_| Err(e.clone())).collect();
        }
        self.previous_group_len = group_len;
        prepared.into_iter().map(|r| r.map(|p| p.invoice)).collect()
    }

    fn amount_status(&self) -> AmountStatus {
        AmountStatus {
            unaudited: self.dynamic.unaudited_sum,
            limit: self.dynamic.limit,
        }
    }

    fn total_counter(&self) -> u32 {
        self.dynamic.total_counter
    }

    fn recent_signed(&self) -> Vec<SignedInvoice> {
        let d = &self.dynamic;
        let raw: Vec<&Vec<u8>> = if d.recent_signed.is_empty() {
            d.last_signed.iter().collect()
        } else {
            d.recent_signed.iter().collect()
        };
        raw.into_iter()
            .filter_map(|b| SignedInvoice::from_bytes(b).ok())
            .collect()
    }

    fn start_audit(&mut self) -> Result<Vec<u8>, SeError> {
        let mut d = self.dynamic.clone();
        let seq = d
            .audit_seq
            .checked_add(1)
            .ok_or(SeError::CounterExhausted)?;
        let nonce = random::<16>()?;
        let req = AuditRequest {
            uid: self.fixed.uid.clone(),
            audit_seq: seq,
            total_counter: d.total_counter,
            sum_at_start: d.unaudited_sum,
            limit: d.limit,
            nonce,
            time_ms: u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0),
        };
        let ct = self.oaep(&req.to_bytes())?;
        d.audit_seq = seq;
        d.pending_audit = Some(PendingAudit {
            seq,
            nonce,
            sum_at_start: d.unaudited_sum,
            total_counter: d.total_counter,
        });
        self.commit(d)?;
        let mut out = seq.to_be_bytes().to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    fn end_audit(&mut self, proof: &[u8]) -> Result<(), SeError> {
        let Some(p) = self.dynamic.pending_audit.clone() else {
            return Err(SeError::NoAuditInProgress);
        };
        if proof.len() != 256 {
            return Err(SeError::WrongLength);
        }
        let msg = proof_of_audit_message(
            &self.fixed.uid,
            p.seq,
            p.total_counter,
            p.sum_at_start,
            &p.nonce,
        );
        if !authority::verify_rsa_sha256(&self.fixed.authority_key, &msg, proof) {
            return Err(SeError::BadData(
                "the proof of audit is not valid for this audit".into(),
            ));
        }
        let mut d = self.dynamic.clone();
        d.unaudited_sum = d.unaudited_sum.saturating_sub(p.sum_at_start);
        d.pending_audit = None;
        self.commit(d)?;
        tracing::info!(uid = %self.fixed.uid, audit = p.seq, "proof of audit accepted");
        Ok(())
    }

    fn forward_directive(&mut self, directive: &[u8]) -> Result<(), SeError> {
        if directive.len() != 2 * authority::DIRECTIVE_PART_LEN {
            return Err(SeError::WrongLength);
        }
        let (payload, sig) = directive.split_at(authority::DIRECTIVE_PART_LEN);
        if !authority::verify_rsa_sha256(&self.fixed.authority_key, payload, sig) {
            return Err(SeError::BadData(
                "the directive's signature is not valid".into(),
            ));
        }
        let dir = Directive::parse_payload(payload).map_err(|e| SeError::BadData(e.to_string()))?;
        if dir.uid != self.fixed.uid {
            return Err(SeError::BadData(format!(
                "the directive is for {}, not this secure element",
                dir.uid
            )));
        }
        if dir.seq <= self.dynamic.last_directive_seq {
            return Err(SeError::BadData(format!(
                "directive number {} was already used",
                dir.seq
            )));
        }
        let mut d = self.dynamic.clone();
        match dir.kind {
            DirectiveKind::DisableSigning => d.signing_enabled = false,
            DirectiveKind::EnableSigning => d.signing_enabled = true,
            DirectiveKind::SetLimit(limit) => d.limit = limit,
            DirectiveKind::UnlockPin => d.pin_tries_left = MAX_PIN_TRIES,
        }
        d.last_directive_seq = dir.seq;
        self.commit(d)?;
        tracing::info!(uid = %self.fixed.uid, seq = dir.seq, kind = ?dir.kind, "directive applied");
        Ok(())
    }
}
