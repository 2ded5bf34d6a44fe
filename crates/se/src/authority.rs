//! The tax authority's (SUF's) side of fiskal's software SE: its keys, and what it produces for
//! and reads from an SE — proofs of audit (secure-element.md §8.4), directives (§8.5) and the
//! decrypted internal data (§8.3).
//!
//! The local environment (`fiskal se init`) generates an [`AuthorityKeys`] and keeps it in
//! `DIR/authority/authority.json` for a future local SUF; tests use it to check the SE.

use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeyPair, KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use fiskal_domain::counter::Uid;
use fiskal_domain::kinds::{InvoiceType, TransactionType};
use fiskal_domain::seller::Seller;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::MAX_AMOUNT_7;
use crate::cert::{self, CertKind};

/// Errors of authority-side operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// A cryptographic operation failed (key generation, signing, bad key).
    #[error("a cryptographic operation of the authority failed: {0}")]
    Crypto(String),
    /// Decrypting or parsing SE data failed.
    #[error("the data from the secure element are not valid: {0}")]
    BadData(String),
    /// The authority file could not be read or written.
    #[error("the authority key file could not be used: {0}")]
    Io(String),
    /// A certificate could not be issued.
    #[error(transparent)]
    Certificate(#[from] cert::CertError),
}

fn crypto<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> AuthorityError + '_ {
    move |e| AuthorityError::Crypto(format!("{what}: {e}"))
}

/// Generates an RSA key pair of the given size; returns its PKCS#8 DER.
pub(crate) fn generate_rsa_pkcs8(size: KeySize) -> Result<Zeroizing<Vec<u8>>, AuthorityError> {
    let kp = KeyPair::generate(size).map_err(crypto("RSA key generation"))?;
    let der = kp.as_der().map_err(crypto("PKCS#8 encoding"))?;
    Ok(Zeroizing::new(der.as_ref().to_vec()))
}

/// SubjectPublicKeyInfo DER of an RSA key pair.
pub(crate) fn spki_of(kp: &KeyPair) -> Result<Vec<u8>, AuthorityError> {
    Ok(kp
        .public_key()
        .as_der()
        .map_err(crypto("SPKI encoding"))?
        .as_ref()
        .to_vec())
}

/// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature with an RSA public key (SPKI or PKCS#1 DER).
pub fn verify_rsa_sha256(public_key_der: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public_key_der)
        .verify(msg, sig)
        .is_ok()
}

/// RSA-OAEP (SHA-256, MGF1-SHA-256) encryption with a public key given as SPKI DER.
pub fn oaep_encrypt(spki_der: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, AuthorityError> {
    let pk = PublicEncryptingKey::from_der(spki_der).map_err(crypto("encryption key"))?;
    let key = OaepPublicEncryptingKey::new(pk).map_err(crypto("encryption key"))?;
    let mut out = vec![0u8; key.ciphertext_size()];
    let n = key
        .encrypt(&OAEP_SHA256_MGF1SHA256, plaintext, &mut out, None)
        .map_err(crypto("RSA-OAEP"))?
        .len();
    out.truncate(n);
    Ok(out)
}

/// The tax authority's keys for a local environment: a test root CA, the encryption key pair
/// (class V36 role: SEs encrypt internal data and audit requests to it) and the authority
/// signing key pair (proofs of audit and directives).
///
/// The test root CA uses RSA-2048 to keep `fiskal se init` fast; fiskal's production-like SUF
/// uses an RSA-4096 root and an issuing CA (suf-backend.md §9).
pub struct AuthorityKeys {
    root_ca_der: Vec<u8>,
    root_ca_key: Zeroizing<Vec<u8>>,
    encryption_key: Zeroizing<Vec<u8>>,
    authority_key: Zeroizing<Vec<u8>>,
    encryption_public: Vec<u8>,
    authority_public: Vec<u8>,
    signer: KeyPair,
    decrypter: OaepPrivateDecryptingKey,
}

impl std::fmt::Debug for AuthorityKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorityKeys")
            .field("root_ca_der_len", &self.root_ca_der.len())
            .field("private_keys", &"<hidden>")
            .finish()
    }
}

/// `authority.json`: the authority's private material, base64 DER.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorityFile {
    format: String,
    root_ca_certificate: String,
    root_ca_key: String,
    encryption_key: String,
    authority_key: String,
}

impl Drop for AuthorityFile {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.root_ca_key.zeroize();
        self.encryption_key.zeroize();
        self.authority_key.zeroize();
    }
}

const AUTHORITY_FORMAT: &str = "fiskal-authority/1";

impl AuthorityKeys {
    /// Generates fresh keys: a self-signed test root CA valid for 20 years, the encryption key
    /// pair and the authority signing key pair (all RSA-2048).
    pub fn generate() -> Result<AuthorityKeys, AuthorityError> {
        let ca_key = generate_rsa_pkcs8(KeySize::Rsa2048)?;
        let now = Utc::now();
        let not_before = now - chrono::Duration::days(1);
        let not_after = now + chrono::Duration::days(20 * 365);
        let ca_der = cert::self_sign_root(&ca_key, not_before, not_after)?;
        let enc = generate_rsa_pkcs8(KeySize::Rsa2048)?;
        let auth = generate_rsa_pkcs8(KeySize::Rsa2048)?;
        AuthorityKeys::from_der(ca_der, ca_key, enc, auth)
    }

    /// Builds the keys from DER: root CA certificate, and PKCS#8 keys of the root CA, the
    /// encryption key pair and the authority signing key pair.
    pub fn from_der(
        root_ca_der: Vec<u8>,
        root_ca_key: Zeroizing<Vec<u8>>,
        encryption_key: Zeroizing<Vec<u8>>,
        authority_key: Zeroizing<Vec<u8>>,
    ) -> Result<AuthorityKeys, AuthorityError> {
        let signer = KeyPair::from_pkcs8(&authority_key).map_err(crypto("authority key"))?;
        let authority_public = spki_of(&signer)?;
        let dec =
            PrivateDecryptingKey::from_pkcs8(&encryption_key).map_err(crypto("encryption key"))?;
        let encryption_public = dec
            .public_key()
            .as_der()
            .map_err(crypto("encryption key SPKI"))?
            .as_ref()
            .to_vec();
        let decrypter = OaepPrivateDecryptingKey::new(dec).map_err(crypto("encryption key"))?;
        // The CA key must parse too.
        cert::rcgen_key(&root_ca_key)?;
        Ok(AuthorityKeys {
            root_ca_der,
            root_ca_key,
            encryption_key,
            authority_key,
            encryption_public,
            authority_public,
            signer,
            decrypter,
        })
    }

    /// Path of the authority file inside an environment folder: `DIR/authority/authority.json`.
    pub fn file_path(dir: &Path) -> PathBuf {
        dir.join("authority").join("authority.json")
    }

    /// Writes `DIR/authority/authority.json` (mode 0600 on Unix) atomically; returns its path.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, AuthorityError> {
        let path = AuthorityKeys::file_path(dir);
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent)
            .map_err(|e| AuthorityError::Io(format!("{}: {e}", parent.display())))?;
        let file = AuthorityFile {
            format: AUTHORITY_FORMAT.into(),
            root_ca_certificate: B64.encode(&self.root_ca_der),
            root_ca_key: B64.encode(&*self.root_ca_key),
            encryption_key: B64.encode(&*self.encryption_key),
            authority_key: B64.encode(&*self.authority_key),
        };
        let json = Zeroizing::new(
            serde_json::to_vec_pretty(&file).map_err(|e| AuthorityError::Io(e.to_string()))?,
        );
        fiskal_storage::write_atomic(&path, &json, fiskal_storage::MODE_PRIVATE)
            .map_err(|e| AuthorityError::Io(format!("{}: {e}", path.display())))?;
        Ok(path)
    }

    /// Reads `DIR/authority/authority.json`.
    pub fn load(dir: &Path) -> Result<AuthorityKeys, AuthorityError> {
        let path = AuthorityKeys::file_path(dir);
        let bytes = Zeroizing::new(
            std::fs::read(&path)
                .map_err(|e| AuthorityError::Io(format!("{}: {e}", path.display())))?,
        );
        let f: AuthorityFile = serde_json::from_slice(&bytes).map_err(|e| {
            AuthorityError::Io(format!("{} is not an authority file: {e}", path.display()))
        })?;
        if f.format != AUTHORITY_FORMAT {
            return Err(AuthorityError::Io(format!(
                "{} has unknown format {:?}",
                path.display(),
                f.format
            )));
        }
        let d = |s: &str, what: &str| {
            B64.decode(s)
                .map_err(|e| AuthorityError::Io(format!("{what} in {}: {e}", path.display())))
        };
        AuthorityKeys::from_der(
            d(&f.root_ca_certificate, "rootCaCertificate")?,
            Zeroizing::new(d(&f.root_ca_key, "rootCaKey")?),
            Zeroizing::new(d(&f.encryption_key, "encryptionKey")?),
            Zeroizing::new(d(&f.authority_key, "authorityKey")?),
        )
    }

    /// DER of the root CA certificate.
    pub fn root_ca_der(&self) -> &[u8] {
        &self.root_ca_der
    }

    /// SPKI DER of the encryption public key (`suf.encryptionKey` of an SE).
    pub fn encryption_public_key_der(&self) -> &[u8] {
        &self.encryption_public
    }

    /// SPKI DER of the authority signing public key (`suf.authorityKey` of an SE).
    pub fn authority_public_key_der(&self) -> &[u8] {
        &self.authority_public
    }

    /// Signs `msg` with the authority key (RSASSA-PKCS1-v1_5 SHA-256, 256 bytes).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, AuthorityError> {
        let mut sig = vec![0u8; self.signer.public_modulus_len()];
        self.signer
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                msg,
                &mut sig,
            )
            .map_err(crypto("signing"))?;
        Ok(sig)
    }

    /// Decrypts RSA-OAEP-SHA256 data encrypted with [`Self::encryption_public_key_der`].
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, AuthorityError> {
        let mut out = Zeroizing::new(vec![0u8; self.decrypter.min_output_size()]);
        let n = self
            .decrypter
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, None)
            .map_err(|_| AuthorityError::BadData("RSA-OAEP decryption failed".into()))?
            .len();
        out.truncate(n);
        Ok(out)
    }

    /// Issues an SE certificate (signing: class V33 equivalent; auth: V34 equivalent) for the
    /// public key `spki_der`, signed by the test root CA.
    pub fn issue_se_certificate(
        &self,
        uid: &Uid,
        seller: &Seller,
        spki_der: &[u8],
        kind: CertKind,
        valid_from: DateTime<Utc>,
        valid_to: DateTime<Utc>,
    ) -> Result<Vec<u8>, AuthorityError> {
        Ok(cert::issue_se_certificate(
            &self.root_ca_key,
            uid,
            seller,
            spki_der,
            kind,
            valid_from,
            valid_to,
        )?)
    }
}

fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x))
}

/// The plaintext of an SE's internal data (secure-element.md §8.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalData {
    /// UID of the signing SE.
    pub uid: Uid,
    /// Invoice time, ms.
    pub time_ms: u64,
    /// Invoice type.
    pub invoice_type: InvoiceType,
    /// Transaction type.
    pub transaction_type: TransactionType,
    /// Total counter.
    pub total_counter: u32,
    /// Transaction-type counter.
    pub transaction_type_counter: u32,
    /// Amount × 10 000.
    pub amount: u64,
    /// Cumulative sale × 10 000 after this document.
    pub cumulative_sale: u64,
    /// Cumulative refund × 10 000 after this document.
    pub cumulative_refund: u64,
    /// Unaudited sum × 10 000 after this document.
    pub unaudited_sum: u64,
    /// `orderId` and tax × 10 000 per category.
    pub taxes: Vec<(u8, u64)>,
}

/// Format byte of internal data, ARP plaintext.
const FORMAT_1: u8 = 0x01;

impl InternalData {
    /// The plaintext bytes (58 + 8·N).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(58 + 8 * self.taxes.len());
        v.push(FORMAT_1);
        v.extend_from_slice(self.uid.as_str().as_bytes());
        v.extend_from_slice(&self.time_ms.to_be_bytes());
        v.push(self.invoice_type.code());
        v.push(self.transaction_type.code());
        v.extend_from_slice(&self.total_counter.to_be_bytes());
        v.extend_from_slice(&self.transaction_type_counter.to_be_bytes());
        v.extend_from_slice(&self.amount.min(MAX_AMOUNT_7).to_be_bytes()[1..]);
        v.extend_from_slice(&self.cumulative_sale.to_be_bytes());
        v.extend_from_slice(&self.cumulative_refund.to_be_bytes());
        v.extend_from_slice(&self.unaudited_sum.min(MAX_AMOUNT_7).to_be_bytes()[1..]);
        v.push(self.taxes.len() as u8);
        for (id, tax) in &self.taxes {
            v.push(*id);
            v.extend_from_slice(&tax.min(&MAX_AMOUNT_7).to_be_bytes()[1..]);
        }
        v
    }

    /// Parses the plaintext bytes.
    pub fn from_bytes(b: &[u8]) -> Result<InternalData, AuthorityError> {
        let bad = |m: &str| AuthorityError::BadData(format!("internal data: {m}"));
        if b.len() < 58 || b[0] != FORMAT_1 {
            return Err(bad("too short or unknown format"));
        }
        let n = usize::from(b[57]);
        if b.len() != 58 + 8 * n {
            return Err(bad("length does not match the number of categories"));
        }
        let uid = Uid::parse(std::str::from_utf8(&b[1..9]).map_err(|_| bad("UID"))?)
            .map_err(|_| bad("UID"))?;
        Ok(InternalData {
            uid,
            time_ms: be(&b[9..17]),
            invoice_type: InvoiceType::from_code(b[17].into())
                .ok_or_else(|| bad("invoice type"))?,
            transaction_type: TransactionType::from_code(b[18].into())
                .ok_or_else(|| bad("transaction type"))?,
            total_counter: be(&b[19..23]) as u32,
            transaction_type_counter: be(&b[23..27]) as u32,
            amount: be(&b[27..34]),
            cumulative_sale: be(&b[34..42]),
            cumulative_refund: be(&b[42..50]),
            unaudited_sum: be(&b[50..57]),
            taxes: (0..n)
                .map(|i| (b[58 + 8 * i], be(&b[59 + 8 * i..66 + 8 * i])))
                .collect(),
        })
    }
}

/// Decrypts and parses an SE's internal data (`SignedInvoice::internal_data`).
pub fn decrypt_internal_data(
    authority: &AuthorityKeys,
    data: &[u8],
) -> Result<InternalData, AuthorityError> {
    let pt = authority.decrypt(data)?;
    InternalData::from_bytes(&pt)
}

/// The decrypted audit request payload of Start Audit (secure-element.md §8.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRequest {
    /// UID of the SE.
    pub uid: Uid,
    /// Audit number.
    pub audit_seq: u32,
    /// Total counter at Start Audit.
    pub total_counter: u32,
    /// Unaudited sum × 10 000 at Start Audit.
    pub sum_at_start: u64,
    /// Limit × 10 000.
    pub limit: u64,
    /// The SE's random nonce.
    pub nonce: [u8; 16],
    /// Time of Start Audit, ms.
    pub time_ms: u64,
}

/// Length of the ARP plaintext.
const ARP_PLAIN_LEN: usize = 1 + 8 + 4 + 4 + 7 + 7 + 16 + 8;

impl AuditRequest {
    /// The plaintext bytes (55).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(ARP_PLAIN_LEN);
        v.push(FORMAT_1);
        v.extend_from_slice(self.uid.as_str().as_bytes());
        v.extend_from_slice(&self.audit_seq.to_be_bytes());
        v.extend_from_slice(&self.total_counter.to_be_bytes());
        v.extend_from_slice(&self.sum_at_start.min(MAX_AMOUNT_7).to_be_bytes()[1..]);
        v.extend_from_slice(&self.limit.min(MAX_AMOUNT_7).to_be_bytes()[1..]);
        v.extend_from_slice(&self.nonce);
        v.extend_from_slice(&self.time_ms.to_be_bytes());
        v
    }

    /// Parses the plaintext bytes.
    pub fn from_bytes(b: &[u8]) -> Result<AuditRequest, AuthorityError> {
        let bad = |m: &str| AuthorityError::BadData(format!("audit request: {m}"));
        if b.len() != ARP_PLAIN_LEN || b[0] != FORMAT_1 {
            return Err(bad("wrong length or unknown format"));
        }
        let uid = Uid::parse(std::str::from_utf8(&b[1..9]).map_err(|_| bad("UID"))?)
            .map_err(|_| bad("UID"))?;
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&b[31..47]);
        Ok(AuditRequest {
            uid,
            audit_seq: be(&b[9..13]) as u32,
            total_counter: be(&b[13..17]) as u32,
            sum_at_start: be(&b[17..24]),
            limit: be(&b[24..31]),
            nonce,
            time_ms: be(&b[47..55]),
        })
    }

    /// The text a proof of audit signs: ASCII `FISKAL-POA-1` + UID (8) + `auditSeq` (4) + total
    /// counter (4) + `sumAtStart` (7) + nonce (16).
    pub fn proof_message(&self) -> Vec<u8> {
        proof_of_audit_message(
            &self.uid,
            self.audit_seq,
            self.total_counter,
            self.sum_at_start,
            &self.nonce,
        )
    }
}

/// The text a proof of audit signs (secure-element.md §8.4).
pub fn proof_of_audit_message(
    uid: &Uid,
    audit_seq: u32,
    total_counter: u32,
    sum_at_start: u64,
    nonce: &[u8; 16],
) -> Vec<u8> {
    let mut v = Vec::with_capacity(12 + 8 + 4 + 4 + 7 + 16);
    v.extend_from_slice(b"FISKAL-POA-1");
    v.extend_from_slice(uid.as_str().as_bytes());
    v.extend_from_slice(&audit_seq.to_be_bytes());
    v.extend_from_slice(&total_counter.to_be_bytes());
    v.extend_from_slice(&sum_at_start.min(MAX_AMOUNT_7).to_be_bytes()[1..]);
    v.extend_from_slice(nonce);
    v
}

/// Decrypts an audit request payload (Start Audit output: `auditSeq` 4 BE + ciphertext) and
/// checks that the clear `auditSeq` matches the encrypted one.
pub fn decrypt_audit_request(
    authority: &AuthorityKeys,
    arp: &[u8],
) -> Result<AuditRequest, AuthorityError> {
    if arp.len() < 4 + 256 {
        return Err(AuthorityError::BadData(
            "the audit request payload is too short".into(),
        ));
    }
    let seq = be(&arp[..4]) as u32;
    let pt = authority.decrypt(&arp[4..])?;
    let req = AuditRequest::from_bytes(&pt)?;
    if req.audit_seq != seq {
        return Err(AuthorityError::BadData(
            "the audit numbers in the payload differ".into(),
        ));
    }
    Ok(req)
}

/// Produces the 256-byte proof of audit for an audit request payload.
pub fn make_proof_of_audit(
    authority: &AuthorityKeys,
    arp: &[u8],
) -> Result<Vec<u8>, AuthorityError> {
    let req = decrypt_audit_request(authority, arp)?;
    authority.sign(&req.proof_message())
}

/// What a directive does (secure-element.md §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveKind {
    /// Type 1: disable signing.
    DisableSigning,
    /// Type 2: enable signing.
    EnableSigning,
    /// Type 3: set the limit (× 10 000).
    SetLimit(u64),
    /// Type 4: unlock the PIN (tries back to 5).
    UnlockPin,
}

/// A parsed directive payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Target SE.
    pub uid: Uid,
    /// Directive number.
    pub seq: u32,
    /// Effect.
    pub kind: DirectiveKind,
}

/// Length of a directive payload and of its signature.
pub const DIRECTIVE_PART_LEN: usize = 256;

impl Directive {
    /// The 256-byte payload: UID (8), number (4 BE), type (1), parameters, zero padding.
    pub fn payload(&self) -> [u8; DIRECTIVE_PART_LEN] {
        let mut p = [0u8; DIRECTIVE_PART_LEN];
        p[..8].copy_from_slice(self.uid.as_str().as_bytes());
        p[8..12].copy_from_slice(&self.seq.to_be_bytes());
        p[12] = match self.kind {
            DirectiveKind::DisableSigning => 1,
            DirectiveKind::EnableSigning => 2,
            DirectiveKind::SetLimit(limit) => {
                p[13..20].copy_from_slice(&limit.min(MAX_AMOUNT_7).to_be_bytes()[1..]);
                3
            }
            DirectiveKind::UnlockPin => 4,
        };
        p
    }

    /// Parses a 256-byte payload (the signature is checked separately).
    pub fn parse_payload(p: &[u8]) -> Result<Directive, AuthorityError> {
        let bad = |m: &str| AuthorityError::BadData(format!("directive: {m}"));
        if p.len() != DIRECTIVE_PART_LEN {
            return Err(bad("wrong length"));
        }
        let uid = Uid::parse(std::str::from_utf8(&p[..8]).map_err(|_| bad("UID"))?)
            .map_err(|_| bad("UID"))?;
        let seq = be(&p[8..12]) as u32;
        let (kind, used) = match p[12] {
            1 => (DirectiveKind::DisableSigning, 13),
            2 => (DirectiveKind::EnableSigning, 13),
            3 => (DirectiveKind::SetLimit(be(&p[13..20])), 20),
            4 => (DirectiveKind::UnlockPin, 13),
            t => return Err(bad(&format!("unknown type {t}"))),
        };
        if p[used..].iter().any(|&b| b != 0) {
            return Err(bad("padding is not zero"));
        }
        Ok(Directive { uid, seq, kind })
    }
}

/// Produces a 512-byte directive (payload + authority signature) for the SE `uid`.
pub fn make_directive(
    authority: &AuthorityKeys,
    uid: &Uid,
    seq: u32,
    kind: DirectiveKind,
) -> Result<Vec<u8>, AuthorityError> {
    let payload = Directive {
        uid: uid.clone(),
        seq,
        kind,
    }
    .payload();
    let sig = authority.sign(&payload)?;
    let mut v = payload.to_vec();
    v.extend_from_slice(&sig);
    Ok(v)
}

/// The public parts of [`AuthorityKeys`], base64 DER, as written into the environment bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityPublic {
    /// Encryption public key (SPKI).
    pub encryption_key: Vec<u8>,
    /// Authority signing public key (SPKI).
    pub authority_key: Vec<u8>,
    /// Root CA certificate.
    pub root_ca: Vec<u8>,
}

impl AuthorityKeys {
    /// The public parts.
    pub fn public(&self) -> AuthorityPublic {
        AuthorityPublic {
            encryption_key: self.encryption_public.clone(),
            authority_key: self.authority_public.clone(),
            root_ca: self.root_ca_der.clone(),
        }
    }
}

/// Verifies an encryption public key can be used for OAEP (used when building an SE).
pub(crate) fn oaep_key(spki_der: &[u8]) -> Result<OaepPublicEncryptingKey, AuthorityError> {
    let pk = PublicEncryptingKey::from_der(spki_der).map_err(crypto("encryption key"))?;
    OaepPublicEncryptingKey::new(pk).map_err(crypto("encryption key"))
}
