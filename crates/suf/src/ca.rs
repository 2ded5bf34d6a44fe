//! Test PKI of fiskal's SUF (`fiskal suf ca ...`, suf-backend.md §9): a root and an issuing CA
//! for one environment, secure-element certificates (classes V33/V34) and V-PFR client
//! certificates (class V32) delivered as PFX files with a PFX password and a PAC.
//!
//! **fiskal chooses** (suf-backend.md §9, secure-element.md §7):
//!
//! - Root CA RSA-4096 (20 years), issuing CA RSA-3072 (10 years), leaf keys RSA-2048 (2 years);
//!   signatures RSA PKCS#1 v1.5 SHA-256.
//! - Every certificate carries its environment twice: in the CA names (`fiskal sandbox root CA`)
//!   and in the env digit of the OID arc `1.3.6.1.4.1.49952.{env}.8`: the environment marker
//!   extension `….{env}.8.0` (a `UTF8String` with the environment name) is in every certificate,
//!   leaves also carry the class EKU `….{env}.8.3.{n}` and the TIN extension `….{env}.8.6`.
//!   Env digits: production 3, sandbox 5, local 1 ("internal"). `fiskal se init` issues its
//!   bundle's SE certificates with digit 1 too (bundles made before carry 5 and still load).
//! - A [`Verifier`] is made for exactly one environment; a certificate of another environment is
//!   refused with [`CaError::EnvironmentMismatch`] before any signature is looked at, and its
//!   trust anchor must itself be a root of that environment.
//! - UID: 8 characters `A–Z0–9` from the CSPRNG, unique in the registry; PFX password 8 and PAC 6
//!   characters from the same alphabet; PIN 4 digits. PAC and PIN are stored only as Argon2id
//!   PHC strings in `registry.json`; the PFX password is stored nowhere. All are returned once.
//!
//! Layout of a CA folder:
//!
//! | Path | Content |
//! |---|---|
//! | `ca.json` | format and environment |
//! | `root-ca.crt`, `issuing-ca.crt` | certificates, PEM |
//! | `root-ca.key`, `issuing-ca.key` | PKCS#8 PEM, mode 0600 |
//! | `registry.json` | what was issued: UID, class, TIN, serials, PAC/PIN hashes |
//! | `issued/{UID}.pfx` | default place of issued PFX files (mode 0600) |

use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};
use fiskal_domain::seller::Seller;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyUsagePurpose, PublicKeyData, SerialNumber,
    SignatureAlgorithm,
};
use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};
use zeroize::Zeroizing;

/// TaxCore's private enterprise arc `1.3.6.1.4.1.49952`.
pub const TAXCORE_ARC: &[u64] = &[1, 3, 6, 1, 4, 1, 49952];
/// Country digit of Serbia in the arc.
pub const COUNTRY_SERBIA: u64 = 8;
/// Format of `ca.json`.
pub const CA_FORMAT: &str = "fiskal-ca/1";
/// File name of the CA description inside a CA folder.
pub const CA_FILE: &str = "ca.json";
/// File name of the registry inside a CA folder.
pub const REGISTRY_FILE: &str = "registry.json";
/// Alphabet of UIDs, PFX passwords and PACs.
pub const CODE_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Length of a PFX password.
pub const PFX_PASSWORD_LEN: usize = 8;
/// Length of a PAC.
pub const PAC_LEN: usize = 6;
/// Validity of leaf certificates, days (2 years).
pub const LEAF_VALIDITY_DAYS: i64 = 730;

const OID_SERIAL_NUMBER: &[u64] = &[2, 5, 4, 5];
const OID_STREET: &[u64] = &[2, 5, 4, 9];
const OID_SHA256_RSA: &[u64] = &[1, 2, 840, 113_549, 1, 1, 11];

/// Errors of the test PKI. Messages never contain secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// A file or folder could not be read or written.
    #[error("the CA files could not be used: {0}")]
    Io(String),
    /// Key generation, signing or certificate building failed.
    #[error("a cryptographic operation of the CA failed: {0}")]
    Crypto(String),
    /// A file or input is malformed.
    #[error("the data are not valid: {0}")]
    Invalid(String),
    /// Material of one environment met a CA or verifier of another.
    #[error(
        "the certificate belongs to the {found} environment, not to {expected}; sandbox, local and production material are never mixed"
    )]
    EnvironmentMismatch {
        /// The environment that was expected.
        expected: String,
        /// The environment found in the material.
        found: String,
    },
    /// The target folder belongs to a CA of another environment.
    #[error("{0}")]
    ForeignFolder(String),
    /// The folder already holds a CA.
    #[error("{0} already holds a CA; it is not overwritten")]
    AlreadyExists(String),
    /// The PFX password is wrong or the PFX is damaged.
    #[error("the PFX file cannot be opened: the password is wrong or the file is damaged")]
    WrongPassword,
    /// The chain does not lead to the trusted root.
    #[error("the certificate is not trusted: {0}")]
    NotTrusted(String),
}

type Result<T> = std::result::Result<T, CaError>;

fn io<E: std::fmt::Display>(what: impl std::fmt::Display) -> impl FnOnce(E) -> CaError {
    move |e| CaError::Io(format!("{what}: {e}"))
}

fn crypto<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> CaError {
    move |e| CaError::Crypto(format!("{what}: {e}"))
}

/// The environment a PKI belongs to; recorded in every certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentKind {
    /// Sandbox (env digit 5).
    Sandbox,
    /// Production (env digit 3).
    Production,
    /// A developer's local environment (env digit 1, "internal").
    Local,
}

impl EnvironmentKind {
    /// The env digit of the OID arc.
    pub fn digit(self) -> u64 {
        match self {
            EnvironmentKind::Sandbox => 5,
            EnvironmentKind::Production => 3,
            EnvironmentKind::Local => 1,
        }
    }

    /// The environment of an env digit, if fiskal uses it.
    pub fn from_digit(d: u64) -> Option<EnvironmentKind> {
        match d {
            5 => Some(EnvironmentKind::Sandbox),
            3 => Some(EnvironmentKind::Production),
            1 => Some(EnvironmentKind::Local),
            _ => None,
        }
    }

    /// Lower-case name (`sandbox`, `production`, `local`).
    pub fn name(self) -> &'static str {
        match self {
            EnvironmentKind::Sandbox => "sandbox",
            EnvironmentKind::Production => "production",
            EnvironmentKind::Local => "local",
        }
    }

    /// `1.3.6.1.4.1.49952.{env}.8` followed by `tail`.
    pub fn arc(self, tail: &[u64]) -> Vec<u64> {
        let mut v = TAXCORE_ARC.to_vec();
        v.push(self.digit());
        v.push(COUNTRY_SERBIA);
        v.extend_from_slice(tail);
        v
    }

    /// Common name of this environment's root CA.
    pub fn root_ca_name(self) -> String {
        format!("fiskal {} root CA", self.name())
    }

    /// Common name of this environment's issuing CA.
    pub fn issuing_ca_name(self) -> String {
        format!("fiskal {} issuing CA", self.name())
    }
}

impl std::fmt::Display for EnvironmentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for EnvironmentKind {
    type Err = CaError;
    fn from_str(s: &str) -> Result<EnvironmentKind> {
        match s.to_ascii_lowercase().as_str() {
            "sandbox" => Ok(EnvironmentKind::Sandbox),
            "production" => Ok(EnvironmentKind::Production),
            "local" => Ok(EnvironmentKind::Local),
            _ => Err(CaError::Invalid(format!(
                "{s:?} is not an environment (sandbox, production or local)"
            ))),
        }
    }
}

/// Certificate classes this CA issues (secure-element.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertClass {
    /// HTTPS client authentication of a POS/ESIR to the V-PFR.
    V32,
    /// Signing on the SE applet.
    V33,
    /// HTTPS client authentication of the SE's PKI applet (L-PFR to TaxCore.API).
    V34,
}

impl CertClass {
    /// The `n` of `V3n` (last arc of the class EKU).
    pub fn number(self) -> u64 {
        match self {
            CertClass::V32 => 2,
            CertClass::V33 => 3,
            CertClass::V34 => 4,
        }
    }

    fn from_number(n: u64) -> Option<CertClass> {
        match n {
            2 => Some(CertClass::V32),
            3 => Some(CertClass::V33),
            4 => Some(CertClass::V34),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets

/// `len` characters of `alphabet` (at most 256 symbols) from the system CSPRNG, uniformly.
fn random_code(len: usize, alphabet: &[u8]) -> Result<Zeroizing<String>> {
    let n = alphabet.len();
    let limit = 256 - 256 % n; // rejection sampling keeps the distribution uniform
    let mut out = Zeroizing::new(String::with_capacity(len));
    while out.len() < len {
        let mut b = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(&mut *b).map_err(|_| CaError::Crypto("no randomness".into()))?;
        for &x in b.iter() {
            if usize::from(x) < limit && out.len() < len {
                out.push(char::from(alphabet[usize::from(x) % n]));
            }
        }
    }
    Ok(out)
}

/// A new PFX password: 8 characters `A–Z0–9`.
pub fn generate_pfx_password() -> Result<Zeroizing<String>> {
    random_code(PFX_PASSWORD_LEN, CODE_ALPHABET)
}

/// A new PAC: 6 characters `A–Z0–9`.
pub fn generate_pac() -> Result<Zeroizing<String>> {
    random_code(PAC_LEN, CODE_ALPHABET)
}

/// A new card PIN: 4 digits.
pub fn generate_pin() -> Result<Zeroizing<String>> {
    random_code(4, b"0123456789")
}

/// A new UID: 8 characters `A–Z0–9`.
pub fn generate_uid() -> Result<String> {
    Ok(random_code(8, CODE_ALPHABET)?.to_string())
}

fn is_code(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

/// Whether `s` has the PAC format (6 uppercase letters/digits).
pub fn is_valid_pac(s: &str) -> bool {
    is_code(s, PAC_LEN)
}

/// Whether `s` has the PFX password format (8 uppercase letters/digits).
pub fn is_valid_pfx_password(s: &str) -> bool {
    is_code(s, PFX_PASSWORD_LEN)
}

/// Argon2id PHC string of a short secret (PAC, PIN).
pub fn hash_secret(secret: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| CaError::Crypto("no randomness".into()))?;
    let salt = SaltString::encode_b64(&salt).map_err(crypto("salt"))?;
    Ok(argon2::Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(crypto("Argon2id"))?
        .to_string())
}

/// Whether `secret` matches an Argon2id PHC string made by [`hash_secret`].
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(secret.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

// ---------------------------------------------------------------------------------------------
// PEM and files

/// PEM text of a DER object.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    let b = B64.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

/// Every PEM block of `text` as (label, DER).
pub fn from_pem(text: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = after
            .find("-----")
            .ok_or_else(|| CaError::Invalid("a PEM header is broken".into()))?;
        let label = after[..label_end].to_string();
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let end = body_start
            .find(&end_marker)
            .ok_or_else(|| CaError::Invalid(format!("the PEM block {label} has no end")))?;
        let body: String = body_start[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = B64
            .decode(body)
            .map_err(|e| CaError::Invalid(format!("the PEM block {label}: {e}")))?;
        out.push((label, der));
        rest = &body_start[end + end_marker.len()..];
    }
    Ok(out)
}

/// Certificates (DER) in a file that is either DER or PEM with `CERTIFICATE` blocks.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>> {
    if bytes.first() == Some(&0x30) {
        return Ok(vec![bytes.to_vec()]);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| CaError::Invalid("the file is neither DER nor PEM".into()))?;
    let certs: Vec<Vec<u8>> = from_pem(text)?
        .into_iter()
        .filter(|(l, _)| l == "CERTIFICATE")
        .map(|(_, d)| d)
        .collect();
    if certs.is_empty() {
        return Err(CaError::Invalid("the file holds no certificate".into()));
    }
    Ok(certs)
}

/// A file write's error (its text names the step and the path).
fn file_err(e: std::io::Error) -> CaError {
    CaError::Io(e.to_string())
}

/// Writes a new private file (mode 0600 on Unix) durably, refusing to overwrite.
fn write_private_new(path: &Path, bytes: &[u8]) -> Result<()> {
    fiskal_storage::write_new(path, bytes, fiskal_storage::MODE_PRIVATE).map_err(file_err)
}

/// Writes a new public file (a certificate) durably, refusing to overwrite.
fn write_public_new(path: &Path, bytes: &[u8]) -> Result<()> {
    fiskal_storage::write_new(path, bytes, fiskal_storage::MODE_PUBLIC).map_err(file_err)
}

/// Replaces a private file durably and atomically (random temporary name, fsync, rename, fsync
/// of the folder).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    fiskal_storage::write_atomic(path, bytes, fiskal_storage::MODE_PRIVATE).map_err(file_err)
}

fn read_pem_one(path: &Path, label: &str) -> Result<Zeroizing<Vec<u8>>> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io(path.display()))?);
    let mut blocks = from_pem(&text)?;
    let pos = blocks
        .iter()
        .position(|(l, _)| l == label)
        .ok_or_else(|| CaError::Invalid(format!("{} holds no {label}", path.display())))?;
    Ok(Zeroizing::new(std::mem::take(&mut blocks[pos].1)))
}

// ---------------------------------------------------------------------------------------------
// Certificate building

struct RsaPublic(Vec<u8>);

impl PublicKeyData for RsaPublic {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn rsa_key(size: KeySize) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>)> {
    let kp = KeyPair::generate(size).map_err(crypto("RSA key generation"))?;
    let pkcs8 = Zeroizing::new(
        kp.as_der()
            .map_err(crypto("PKCS#8 encoding"))?
            .as_ref()
            .to_vec(),
    );
    let spki = kp
        .public_key()
        .as_der()
        .map_err(crypto("SPKI encoding"))?
        .as_ref()
        .to_vec();
    Ok((pkcs8, spki))
}

fn rcgen_key(pkcs8: &[u8]) -> Result<rcgen::KeyPair> {
    let k = rcgen::KeyPair::try_from(pkcs8).map_err(crypto("CA key"))?;
    if k.algorithm() != &rcgen::PKCS_RSA_SHA256 {
        return Err(CaError::Crypto("the CA key is not an RSA key".into()));
    }
    Ok(k)
}

fn to_time(t: DateTime<Utc>) -> Result<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(crypto("time"))
}

fn random_serial() -> Result<(SerialNumber, String)> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| CaError::Crypto("no randomness".into()))?;
    b[0] &= 0x7f;
    b[0] |= 0x01;
    Ok((SerialNumber::from_slice(&b), hex::encode(b)))
}

fn der_utf8(s: &str) -> Result<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() >= 128 {
        return Err(CaError::Invalid(format!("{s:?} is too long")));
    }
    let mut v = vec![0x0c, b.len() as u8];
    v.extend_from_slice(b);
    Ok(v)
}

fn printable(s: &str) -> Result<DnValue> {
    Ok(DnValue::PrintableString(s.try_into().map_err(|_| {
        CaError::Invalid(format!("{s:?} is not printable"))
    })?))
}

fn env_marker(env: EnvironmentKind) -> Result<CustomExtension> {
    Ok(CustomExtension::from_oid_content(
        &env.arc(&[0]),
        der_utf8(env.name())?,
    ))
}

fn ca_params(env: EnvironmentKind, root: bool) -> Result<CertificateParams> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        if root {
            env.root_ca_name()
        } else {
            env.issuing_ca_name()
        },
    );
    dn.push(DnType::OrganizationName, "fiskal");
    dn.push(DnType::OrganizationalUnitName, env.name());
    dn.push(DnType::CountryName, printable("RS")?);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(if root {
        BasicConstraints::Constrained(1)
    } else {
        BasicConstraints::Constrained(0)
    });
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.custom_extensions = vec![env_marker(env)?];
    p.use_authority_key_identifier_extension = !root;
    Ok(p)
}

/// What a leaf certificate is issued for.
struct LeafSpec<'a> {
    uid: &'a str,
    tin: &'a str,
    name: &'a str,
    location: Option<&'a str>,
    address: Option<&'a str>,
    district: Option<&'a str>,
    class: CertClass,
    vpfr_url: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------------
// PFX

/// One key entry of a PFX file.
pub struct PfxEntry {
    /// Alias (friendly name).
    pub alias: String,
    /// PKCS#8 DER of the private key.
    pub key_pkcs8: Zeroizing<Vec<u8>>,
    /// Certificate chain, leaf first (DER).
    pub chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for PfxEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PfxEntry")
            .field("alias", &self.alias)
            .field("key_pkcs8", &"<hidden>")
            .field("chain_len", &self.chain.len())
            .finish()
    }
}

/// Builds a PFX (PBES2 AES-256, HMAC-SHA-256) with the given key entries.
pub fn write_pfx(entries: &[PfxEntry], password: &str) -> Result<Vec<u8>> {
    let mut ks = p12_keystore::KeyStore::new();
    for e in entries {
        let key = p12_keystore::PrivateKey::from_der(&e.key_pkcs8).map_err(crypto("PFX key"))?;
        let certs = e
            .chain
            .iter()
            .map(|c| p12_keystore::Certificate::from_der(c))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(crypto("PFX certificate"))?;
        let mut id = [0u8; 20];
        aws_lc_rs::rand::fill(&mut id).map_err(|_| CaError::Crypto("no randomness".into()))?;
        let chain = p12_keystore::PrivateKeyChain::new(id.to_vec(), key, certs);
        ks.add_entry(
            &e.alias,
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
    }
    ks.writer(password)
        .encryption_iterations(100_000)
        .mac_iterations(100_000)
        .write()
        .map_err(crypto("PFX encoding"))
}

/// Opens a PFX with its password; returns its key entries (sorted by alias). A wrong password
/// gives [`CaError::WrongPassword`].
pub fn open_pfx(bytes: &[u8], password: &str) -> Result<Vec<PfxEntry>> {
    let ks = p12_keystore::KeyStore::from_pkcs12(
        bytes,
        password,
        p12_keystore::Pkcs12ImportPolicy::Strict,
    )
    .map_err(|_| CaError::WrongPassword)?;
    let mut out = Vec::new();
    for (alias, entry) in ks.entries() {
        if let p12_keystore::KeyStoreEntry::PrivateKeyChain(c) = entry {
            out.push(PfxEntry {
                alias: alias.clone(),
                key_pkcs8: Zeroizing::new(c.key().as_der().to_vec()),
                chain: c.certs().iter().map(|x| x.as_der().to_vec()).collect(),
            });
        }
    }
    if out.is_empty() {
        return Err(CaError::Invalid("the PFX file holds no private key".into()));
    }
    Ok(out)
}

/// Whether the PKCS#8 RSA key `pkcs8` is the private half of the key in `cert_der`.
pub fn key_matches_certificate(pkcs8: &[u8], cert_der: &[u8]) -> bool {
    let Ok(kp) = KeyPair::from_pkcs8(pkcs8) else {
        return false;
    };
    let Ok(spki) = kp.public_key().as_der() else {
        return false;
    };
    match X509Certificate::from_der(cert_der) {
        Ok((_, c)) => c.public_key().raw == spki.as_ref(),
        Err(_) => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Registry

/// One issuance recorded in `registry.json`.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RegistryEntry {
    /// UID (Subject SERIALNUMBER).
    pub uid: String,
    /// Classes issued: `["V32"]` for a V-PFR client, `["V33", "V34"]` for an SE.
    pub classes: Vec<CertClass>,
    /// Taxpayer TIN.
    pub tin: String,
    /// Taxpayer (business) name.
    pub name: String,
    /// Certificate serial numbers, hex.
    pub serials: Vec<String>,
    /// Issue time, RFC 3339.
    pub issued_at: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Where the PFX was written.
    pub file: String,
    /// Argon2id PHC string of the PAC (V-PFR clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pac_hash: Option<String>,
    /// Argon2id PHC string of the PIN (secure elements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<String>,
}

impl std::fmt::Debug for RegistryEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryEntry")
            .field("uid", &self.uid)
            .field("classes", &self.classes)
            .field("tin", &self.tin)
            .field("name", &self.name)
            .field("serials", &self.serials)
            .field("issued_at", &self.issued_at)
            .field("not_after", &self.not_after)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegistryFile {
    format: String,
    environment: EnvironmentKind,
    entries: Vec<RegistryEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CaFile {
    format: String,
    environment: EnvironmentKind,
    env_digit: u64,
    created: String,
}

/// Reads the environment of the CA folder `dir`, if it is one.
pub fn folder_environment(dir: &Path) -> Result<Option<EnvironmentKind>> {
    let path = dir.join(CA_FILE);
    match std::fs::read(&path) {
        Ok(b) => {
            let f: CaFile = serde_json::from_slice(&b).map_err(|e| {
                CaError::Invalid(format!("{} is not a CA description: {e}", path.display()))
            })?;
            if f.format != CA_FORMAT {
                return Err(CaError::Invalid(format!(
                    "{} has unknown format {:?}",
                    path.display(),
                    f.format
                )));
            }
            Ok(Some(f.environment))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CaError::Io(format!("{}: {e}", path.display()))),
    }
}

// ---------------------------------------------------------------------------------------------
// The PKI

/// What [`Pki::issue_pfx`] needs.
#[derive(Debug, Clone, Default)]
pub struct PfxRequest {
    /// Taxpayer TIN.
    pub tin: String,
    /// Taxpayer name (O).
    pub name: String,
    /// Location (OU), optional.
    pub location: Option<String>,
    /// V-PFR URL for the extension `….7`, optional.
    pub vpfr_url: Option<String>,
    /// PAC chosen by the taxpayer; generated when `None`.
    pub pac: Option<String>,
    /// PFX password chosen by the taxpayer; generated when `None`.
    pub pfx_password: Option<String>,
}

/// A V-PFR client certificate just issued. The secrets are shown once.
pub struct IssuedPfx {
    /// UID of the certificate.
    pub uid: String,
    /// Where the PFX was written.
    pub path: PathBuf,
    /// PFX password.
    pub pfx_password: Zeroizing<String>,
    /// PAC.
    pub pac: Zeroizing<String>,
    /// The certificate (DER).
    pub certificate: Vec<u8>,
}

impl std::fmt::Debug for IssuedPfx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedPfx")
            .field("uid", &self.uid)
            .field("path", &self.path)
            .field("pfx_password", &"<hidden>")
            .field("pac", &"<hidden>")
            .finish_non_exhaustive()
    }
}

/// A secure element's certificates just issued (a card's material). The secrets are shown once.
pub struct IssuedSe {
    /// UID of the SE.
    pub uid: String,
    /// The PFX with the entries `signing` (V33) and `auth` (V34).
    pub path: PathBuf,
    /// PFX password.
    pub pfx_password: Zeroizing<String>,
    /// 4-digit PIN.
    pub pin: Zeroizing<String>,
    /// Signing certificate (V33, DER).
    pub signing_certificate: Vec<u8>,
    /// Authentication certificate (V34, DER).
    pub auth_certificate: Vec<u8>,
}

impl std::fmt::Debug for IssuedSe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSe")
            .field("uid", &self.uid)
            .field("path", &self.path)
            .field("pfx_password", &"<hidden>")
            .field("pin", &"<hidden>")
            .finish_non_exhaustive()
    }
}

/// A root and issuing CA of one environment, kept in a folder. See the [module docs](self).
pub struct Pki {
    dir: PathBuf,
    env: EnvironmentKind,
    root_der: Vec<u8>,
    issuing_der: Vec<u8>,
    issuing_key: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki")
            .field("dir", &self.dir)
            .field("env", &self.env)
            .field("keys", &"<hidden>")
            .finish()
    }
}

impl Pki {
    /// Creates a new CA in `dir` (created if missing): RSA-4096 root (20 years) and RSA-3072
    /// issuing CA (10 years). Refuses a folder that already holds a CA or lies inside another
    /// environment's CA folder.
    pub fn init(dir: &Path, env: EnvironmentKind) -> Result<Pki> {
        if let Some(found) = folder_environment(dir)? {
            return Err(if found == env {
                CaError::AlreadyExists(dir.display().to_string())
            } else {
                CaError::ForeignFolder(format!(
                    "{} holds the CA of the {found} environment; a {env} CA is not created there",
                    dir.display()
                ))
            });
        }
        check_target(env, dir)?;
        std::fs::create_dir_all(dir).map_err(io(dir.display()))?;
        let now = Utc::now();
        let nb = now - Duration::hours(1);

        let (root_key, _) = rsa_key(KeySize::Rsa4096)?;
        let mut rp = ca_params(env, true)?;
        rp.not_before = to_time(nb)?;
        rp.not_after = to_time(now + Duration::days(20 * 365))?;
        rp.serial_number = Some(random_serial()?.0);
        let rk = rcgen_key(&root_key)?;
        let root = rp.self_signed(&rk).map_err(crypto("root CA"))?;
        let root_issuer = Issuer::new(ca_params(env, true)?, rk);

        let (issuing_key, issuing_spki) = rsa_key(KeySize::Rsa3072)?;
        let mut ip = ca_params(env, false)?;
        ip.not_before = to_time(nb)?;
        ip.not_after = to_time(now + Duration::days(10 * 365))?;
        ip.serial_number = Some(random_serial()?.0);
        let issuing = ip
            .signed_by(&RsaPublic(spki_rsa_bits(&issuing_spki)?), &root_issuer)
            .map_err(crypto("issuing CA"))?;

        let ca = CaFile {
            format: CA_FORMAT.into(),
            environment: env,
            env_digit: env.digit(),
            created: now.to_rfc3339(),
        };
        write_private_new(
            &dir.join("root-ca.key"),
            to_pem("PRIVATE KEY", &root_key).as_bytes(),
        )?;
        write_private_new(
            &dir.join("issuing-ca.key"),
            to_pem("PRIVATE KEY", &issuing_key).as_bytes(),
        )?;
        write_public_new(
            &dir.join("root-ca.crt"),
            to_pem("CERTIFICATE", root.der()).as_bytes(),
        )?;
        write_public_new(
            &dir.join("issuing-ca.crt"),
            to_pem("CERTIFICATE", issuing.der()).as_bytes(),
        )?;
        let reg = RegistryFile {
            format: "fiskal-ca-registry/1".into(),
            environment: env,
            entries: Vec::new(),
        };
        write_atomic(
            &dir.join(REGISTRY_FILE),
            &serde_json::to_vec_pretty(&reg).map_err(crypto("JSON"))?,
        )?;
        // ca.json last: a folder with ca.json is a complete CA.
        write_atomic(
            &dir.join(CA_FILE),
            &serde_json::to_vec_pretty(&ca).map_err(crypto("JSON"))?,
        )?;
        tracing::info!(dir = %dir.display(), env = %env, "test CA created");
        Pki::open(dir)
    }

    /// Opens the CA in `dir`, checking that both certificates belong to its environment and the
    /// issuing CA chains to the root.
    pub fn open(dir: &Path) -> Result<Pki> {
        let env = folder_environment(dir)?.ok_or_else(|| {
            CaError::Invalid(format!("{} holds no CA ({CA_FILE})", dir.display()))
        })?;
        let root_der = read_pem_one(&dir.join("root-ca.crt"), "CERTIFICATE")?.to_vec();
        let issuing_der = read_pem_one(&dir.join("issuing-ca.crt"), "CERTIFICATE")?.to_vec();
        let issuing_key = read_pem_one(&dir.join("issuing-ca.key"), "PRIVATE KEY")?;
        let v = Verifier::new(env, &root_der)?;
        v.check_issuing(&issuing_der, Utc::now().timestamp())?;
        if !key_matches_certificate(&issuing_key, &issuing_der) {
            return Err(CaError::Invalid(
                "issuing-ca.key does not belong to issuing-ca.crt".into(),
            ));
        }
        Ok(Pki {
            dir: dir.to_path_buf(),
            env,
            root_der,
            issuing_der,
            issuing_key,
        })
    }

    /// Opens the CA in `dir` and refuses it unless it belongs to `env`.
    pub fn open_as(dir: &Path, env: EnvironmentKind) -> Result<Pki> {
        let p = Pki::open(dir)?;
        if p.env != env {
            return Err(CaError::EnvironmentMismatch {
                expected: env.name().into(),
                found: p.env.name().into(),
            });
        }
        Ok(p)
    }

    /// The CA's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA's environment.
    pub fn environment(&self) -> EnvironmentKind {
        self.env
    }

    /// Root CA certificate (DER).
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// Issuing CA certificate (DER).
    pub fn issuing_der(&self) -> &[u8] {
        &self.issuing_der
    }

    /// A verifier for this CA's environment trusting its root.
    pub fn verifier(&self) -> Result<Verifier> {
        Verifier::new(self.env, &self.root_der)
    }

    /// Everything issued so far.
    pub fn registry(&self) -> Result<Vec<RegistryEntry>> {
        Ok(self.read_registry()?.entries)
    }

    fn read_registry(&self) -> Result<RegistryFile> {
        let path = self.dir.join(REGISTRY_FILE);
        let b = std::fs::read(&path).map_err(io(path.display()))?;
        let r: RegistryFile = serde_json::from_slice(&b)
            .map_err(|e| CaError::Invalid(format!("{}: {e}", path.display())))?;
        if r.environment != self.env {
            return Err(CaError::EnvironmentMismatch {
                expected: self.env.name().into(),
                found: r.environment.name().into(),
            });
        }
        Ok(r)
    }

    fn add_to_registry(&self, e: RegistryEntry) -> Result<()> {
        let mut r = self.read_registry()?;
        r.entries.push(e);
        write_atomic(
            &self.dir.join(REGISTRY_FILE),
            &serde_json::to_vec_pretty(&r).map_err(crypto("JSON"))?,
        )
    }

    fn new_uid(&self) -> Result<String> {
        let r = self.read_registry()?;
        loop {
            let uid = generate_uid()?;
            if !r.entries.iter().any(|e| e.uid == uid) {
                return Ok(uid);
            }
        }
    }

    /// Whether `pac` is the PAC of the V-PFR client certificate `uid`.
    pub fn check_pac(&self, uid: &str, pac: &str) -> Result<bool> {
        Ok(self
            .read_registry()?
            .entries
            .iter()
            .find(|e| e.uid == uid)
            .and_then(|e| e.pac_hash.as_deref())
            .is_some_and(|h| verify_secret(pac, h)))
    }

    /// Whether `pin` is the PIN of the secure element `uid`.
    pub fn check_pin(&self, uid: &str, pin: &str) -> Result<bool> {
        Ok(self
            .read_registry()?
            .entries
            .iter()
            .find(|e| e.uid == uid)
            .and_then(|e| e.pin_hash.as_deref())
            .is_some_and(|h| verify_secret(pin, h)))
    }

    fn output_path(&self, out: Option<&Path>, uid: &str) -> Result<PathBuf> {
        let path = match out {
            Some(p) => p.to_path_buf(),
            None => self.dir.join("issued").join(format!("{uid}.pfx")),
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            check_target(self.env, parent)?;
            std::fs::create_dir_all(parent).map_err(io(parent.display()))?;
        }
        if path.exists() {
            return Err(CaError::Io(format!(
                "{} already exists; it is not overwritten",
                path.display()
            )));
        }
        Ok(path)
    }

    fn issue_leaf(
        &self,
        spec: &LeafSpec<'_>,
        spki: &[u8],
    ) -> Result<(Vec<u8>, String, DateTime<Utc>)> {
        let now = Utc::now();
        let not_after = now + Duration::days(LEAF_VALIDITY_DAYS);
        let issuer = Issuer::new(ca_params(self.env, false)?, rcgen_key(&self.issuing_key)?);
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, spec.uid);
        dn.push(
            DnType::CustomDnType(OID_SERIAL_NUMBER.to_vec()),
            printable(spec.uid)?,
        );
        dn.push(DnType::OrganizationName, spec.name);
        if let Some(l) = spec.location {
            dn.push(DnType::OrganizationalUnitName, l);
        }
        if let Some(a) = spec.address {
            dn.push(DnType::CustomDnType(OID_STREET.to_vec()), a);
        }
        if let Some(d) = spec.district {
            dn.push(DnType::StateOrProvinceName, d);
        }
        dn.push(DnType::CountryName, printable("RS")?);
        p.distinguished_name = dn;
        p.is_ca = IsCa::ExplicitNoCa;
        p.not_before = to_time(now - Duration::hours(1))?;
        p.not_after = to_time(not_after)?;
        let (serial, serial_hex) = random_serial()?;
        p.serial_number = Some(serial);
        p.use_authority_key_identifier_extension = true;
        let class_eku = ExtendedKeyUsagePurpose::Other(self.env.arc(&[3, spec.class.number()]));
        match spec.class {
            CertClass::V33 => {
                p.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::ContentCommitment,
                ];
                p.extended_key_usages = vec![class_eku];
            }
            CertClass::V32 | CertClass::V34 => {
                p.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::KeyEncipherment,
                ];
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth, class_eku];
            }
        }
        let mut ext = vec![
            env_marker(self.env)?,
            CustomExtension::from_oid_content(&self.env.arc(&[6]), der_utf8(spec.tin)?),
        ];
        if let Some(u) = spec.vpfr_url {
            ext.push(CustomExtension::from_oid_content(
                &self.env.arc(&[7]),
                der_utf8(u)?,
            ));
        }
        p.custom_extensions = ext;
        let cert = p
            .signed_by(&RsaPublic(spki_rsa_bits(spki)?), &issuer)
            .map_err(crypto("certificate"))?;
        Ok((cert.der().to_vec(), serial_hex, not_after))
    }

    fn chain_of(&self, leaf: Vec<u8>) -> Vec<Vec<u8>> {
        vec![leaf, self.issuing_der.clone(), self.root_der.clone()]
    }

    /// Issues a V-PFR client certificate (class V32) with a new RSA-2048 key into a PFX file
    /// (default `DIR/issued/{UID}.pfx`, mode 0600) holding the key and the chain up to the root.
    /// PAC and PFX password are taken from the request (checked for format) or generated; the
    /// PAC is stored hashed in the registry.
    pub fn issue_pfx(&self, req: &PfxRequest, out: Option<&Path>) -> Result<IssuedPfx> {
        check_taxpayer(&req.tin, &req.name)?;
        let pac = match &req.pac {
            Some(p) if is_valid_pac(p) => Zeroizing::new(p.clone()),
            Some(_) => {
                return Err(CaError::Invalid(
                    "the PAC must be 6 uppercase letters or digits".into(),
                ));
            }
            None => generate_pac()?,
        };
        let password = match &req.pfx_password {
            Some(p) if is_valid_pfx_password(p) => Zeroizing::new(p.clone()),
            Some(_) => {
                return Err(CaError::Invalid(
                    "the PFX password must be 8 uppercase letters or digits".into(),
                ));
            }
            None => generate_pfx_password()?,
        };
        let uid = self.new_uid()?;
        let path = self.output_path(out, &uid)?;
        let (key, spki) = rsa_key(KeySize::Rsa2048)?;
        let (cert, serial, not_after) = self.issue_leaf(
            &LeafSpec {
                uid: &uid,
                tin: &req.tin,
                name: &req.name,
                location: req.location.as_deref(),
                address: None,
                district: None,
                class: CertClass::V32,
                vpfr_url: req.vpfr_url.as_deref(),
            },
            &spki,
        )?;
        let pfx = write_pfx(
            &[PfxEntry {
                alias: uid.clone(),
                key_pkcs8: key,
                chain: self.chain_of(cert.clone()),
            }],
            &password,
        )?;
        write_private_new(&path, &pfx)?;
        self.add_to_registry(RegistryEntry {
            uid: uid.clone(),
            classes: vec![CertClass::V32],
            tin: req.tin.clone(),
            name: req.name.clone(),
            serials: vec![serial],
            issued_at: Utc::now().to_rfc3339(),
            not_after: not_after.to_rfc3339(),
            file: path.display().to_string(),
            pac_hash: Some(hash_secret(&pac)?),
            pin_hash: None,
        })?;
        tracing::info!(uid = %uid, env = %self.env, "V32 client certificate issued");
        Ok(IssuedPfx {
            uid,
            path,
            pfx_password: password,
            pac,
            certificate: cert,
        })
    }

    /// Issues a secure element's certificates for `seller` (subject as fiskal-se's `cert.rs`:
    /// CN = SERIALNUMBER = UID, O, OU, STREET, ST, C = RS, TIN extension): a signing
    /// certificate (V33) and an authentication certificate (V34), each with a new RSA-2048 key,
    /// in one PFX (entries `signing` and `auth`, default `DIR/issued/{UID}.pfx`). A 4-digit PIN
    /// is generated (or taken from `pin`) and stored hashed.
    pub fn issue_se(
        &self,
        seller: &Seller,
        pin: Option<&str>,
        out: Option<&Path>,
    ) -> Result<IssuedSe> {
        check_taxpayer(&seller.tin, &seller.business_name)?;
        let pin = match pin {
            Some(p) if p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()) => {
                Zeroizing::new(p.to_string())
            }
            Some(_) => return Err(CaError::Invalid("the PIN must be 4 digits".into())),
            None => generate_pin()?,
        };
        let password = generate_pfx_password()?;
        let uid = self.new_uid()?;
        let path = self.output_path(out, &uid)?;
        let mut entries = Vec::new();
        let mut serials = Vec::new();
        let mut certs = Vec::new();
        let mut not_after = Utc::now();
        for (alias, class) in [("signing", CertClass::V33), ("auth", CertClass::V34)] {
            let (key, spki) = rsa_key(KeySize::Rsa2048)?;
            let (cert, serial, na) = self.issue_leaf(
                &LeafSpec {
                    uid: &uid,
                    tin: &seller.tin,
                    name: &seller.business_name,
                    location: Some(&seller.location_name),
                    address: Some(&seller.address),
                    district: Some(&seller.district),
                    class,
                    vpfr_url: None,
                },
                &spki,
            )?;
            not_after = na;
            serials.push(serial);
            certs.push(cert.clone());
            entries.push(PfxEntry {
                alias: alias.into(),
                key_pkcs8: key,
                chain: self.chain_of(cert),
            });
        }
        let pfx = write_pfx(&entries, &password)?;
        write_private_new(&path, &pfx)?;
        self.add_to_registry(RegistryEntry {
            uid: uid.clone(),
            classes: vec![CertClass::V33, CertClass::V34],
            tin: seller.tin.clone(),
            name: seller.business_name.clone(),
            serials,
            issued_at: Utc::now().to_rfc3339(),
            not_after: not_after.to_rfc3339(),
            file: path.display().to_string(),
            pac_hash: None,
            pin_hash: Some(hash_secret(&pin)?),
        })?;
        tracing::info!(uid = %uid, env = %self.env, "SE certificates issued");
        let mut certs = certs.into_iter();
        Ok(IssuedSe {
            uid,
            path,
            pfx_password: password,
            pin,
            signing_certificate: certs.next().unwrap_or_default(),
            auth_certificate: certs.next().unwrap_or_default(),
        })
    }
}

fn check_taxpayer(tin: &str, name: &str) -> Result<()> {
    if tin.is_empty() || tin.len() > 20 || !tin.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(CaError::Invalid(format!(
            "the TIN {tin:?} must be 1 to 20 letters or digits"
        )));
    }
    if name.trim().is_empty() {
        return Err(CaError::Invalid("the taxpayer name is empty".into()));
    }
    Ok(())
}

/// The PKCS#1 `RSAPublicKey` bits inside an SPKI (what rcgen wants).
fn spki_rsa_bits(spki: &[u8]) -> Result<Vec<u8>> {
    let (_, s) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki)
        .map_err(|e| CaError::Crypto(format!("bad public key: {e}")))?;
    Ok(s.subject_public_key.data.to_vec())
}

/// Refuses `target` when it or one of its ancestors is the CA folder of another environment.
fn check_target(env: EnvironmentKind, target: &Path) -> Result<()> {
    let abs = if target.is_absolute() {
        target.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(io("current folder"))?
            .join(target)
    };
    let abs = abs.canonicalize().unwrap_or(abs);
    for dir in abs.ancestors() {
        if let Some(found) = folder_environment(dir)?
            && found != env
        {
            return Err(CaError::ForeignFolder(format!(
                "{} belongs to the {found} CA; material of the {env} CA is not written there",
                target.display()
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Verification

/// What a verified certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCertificate {
    /// Environment (from the OID arc).
    pub environment: EnvironmentKind,
    /// Class from the EKU.
    pub class: CertClass,
    /// UID (Subject SERIALNUMBER).
    pub uid: String,
    /// TIN from the TIN extension.
    pub tin: String,
    /// Subject O.
    pub name: String,
    /// End of validity, seconds since the epoch.
    pub not_after: i64,
}

/// The environment recorded in a certificate: every extension under `1.3.6.1.4.1.49952` must
/// carry the same env digit and the environment marker must be present.
pub fn certificate_environment(der: &[u8]) -> Result<EnvironmentKind> {
    let (_, c) = X509Certificate::from_der(der)
        .map_err(|e| CaError::Invalid(format!("not a certificate: {e}")))?;
    environment_of(&c)
}

fn arcs(oid: &x509_parser::der_parser::oid::Oid<'_>) -> Vec<u64> {
    oid.iter().map(|i| i.collect()).unwrap_or_default()
}

fn environment_of(c: &X509Certificate<'_>) -> Result<EnvironmentKind> {
    let mut digits: Vec<u64> = Vec::new();
    let mut marker = None;
    let mut note = |a: &[u64]| {
        if a.len() > TAXCORE_ARC.len() + 1 && a.starts_with(TAXCORE_ARC) {
            digits.push(a[TAXCORE_ARC.len()]);
        }
    };
    for e in c.extensions() {
        let a = arcs(&e.oid);
        note(&a);
        if a.len() == TAXCORE_ARC.len() + 3
            && a.starts_with(TAXCORE_ARC)
            && a[TAXCORE_ARC.len() + 1] == COUNTRY_SERBIA
            && a[TAXCORE_ARC.len() + 2] == 0
        {
            marker = Some(a[TAXCORE_ARC.len()]);
        }
    }
    if let Ok(Some(eku)) = c.extended_key_usage() {
        for o in &eku.value.other {
            note(&arcs(o));
        }
    }
    let d = marker.ok_or_else(|| {
        CaError::NotTrusted("the certificate carries no fiskal environment".into())
    })?;
    if digits.iter().any(|&x| x != d) {
        return Err(CaError::NotTrusted(
            "the certificate mixes OIDs of several environments".into(),
        ));
    }
    EnvironmentKind::from_digit(d)
        .ok_or_else(|| CaError::NotTrusted(format!("unknown environment digit {d}")))
}

fn check_signed_by(
    c: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    what: &str,
) -> Result<()> {
    if c.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(CaError::NotTrusted(format!(
            "the {what} was issued by {}, not by {}",
            c.issuer(),
            issuer.subject()
        )));
    }
    if arcs(&c.signature_algorithm.algorithm) != OID_SHA256_RSA {
        return Err(CaError::NotTrusted(format!(
            "the {what} is not signed with RSA SHA-256"
        )));
    }
    UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        issuer.public_key().raw,
    )
    .verify(c.tbs_certificate.as_ref(), &c.signature_value.data)
    .map_err(|_| CaError::NotTrusted(format!("the signature of the {what} is not valid")))
}

fn check_time(c: &X509Certificate<'_>, at: i64, what: &str) -> Result<()> {
    let v = c.validity();
    if at < v.not_before.timestamp() || at > v.not_after.timestamp() {
        return Err(CaError::NotTrusted(format!(
            "the {what} is not valid at this time"
        )));
    }
    Ok(())
}

fn check_ca(c: &X509Certificate<'_>, what: &str) -> Result<()> {
    let is_ca = matches!(c.basic_constraints(), Ok(Some(b)) if b.value.ca);
    let can_sign = matches!(c.key_usage(), Ok(Some(k)) if k.value.key_cert_sign());
    if !is_ca || !can_sign {
        return Err(CaError::NotTrusted(format!("the {what} is not a CA")));
    }
    Ok(())
}

/// Checks certificates of exactly one environment against that environment's root.
#[derive(Debug, Clone)]
pub struct Verifier {
    env: EnvironmentKind,
    root_der: Vec<u8>,
}

impl Verifier {
    /// A verifier for `env` trusting `root_der`, which must be a self-signed CA of `env`.
    pub fn new(env: EnvironmentKind, root_der: &[u8]) -> Result<Verifier> {
        let (_, root) = X509Certificate::from_der(root_der)
            .map_err(|e| CaError::Invalid(format!("the root is not a certificate: {e}")))?;
        let found = environment_of(&root)?;
        if found != env {
            return Err(CaError::EnvironmentMismatch {
                expected: env.name().into(),
                found: found.name().into(),
            });
        }
        check_ca(&root, "root")?;
        check_signed_by(&root, &root, "root")?;
        Ok(Verifier {
            env,
            root_der: root_der.to_vec(),
        })
    }

    /// The environment this verifier accepts.
    pub fn environment(&self) -> EnvironmentKind {
        self.env
    }

    fn check_issuing(&self, issuing_der: &[u8], at: i64) -> Result<()> {
        let (_, root) = X509Certificate::from_der(&self.root_der)
            .map_err(|e| CaError::Invalid(e.to_string()))?;
        let (_, ic) = X509Certificate::from_der(issuing_der)
            .map_err(|e| CaError::Invalid(format!("the issuing CA is not a certificate: {e}")))?;
        let found = environment_of(&ic)?;
        if found != self.env {
            return Err(CaError::EnvironmentMismatch {
                expected: self.env.name().into(),
                found: found.name().into(),
            });
        }
        check_ca(&ic, "issuing CA")?;
        check_signed_by(&ic, &root, "issuing CA")?;
        check_time(&root, at, "root")?;
        check_time(&ic, at, "issuing CA")?;
        Ok(())
    }

    /// Verifies `leaf_der` at `at` (seconds since the epoch): its environment first, then the
    /// chain leaf → issuing CA (one of `intermediates`) → root, signatures, validity, CA flags
    /// and the class EKU.
    pub fn verify(
        &self,
        leaf_der: &[u8],
        intermediates: &[Vec<u8>],
        at: i64,
    ) -> Result<VerifiedCertificate> {
        let (_, leaf) = X509Certificate::from_der(leaf_der)
            .map_err(|e| CaError::Invalid(format!("not a certificate: {e}")))?;
        let found = environment_of(&leaf)?;
        if found != self.env {
            return Err(CaError::EnvironmentMismatch {
                expected: self.env.name().into(),
                found: found.name().into(),
            });
        }
        if matches!(leaf.basic_constraints(), Ok(Some(b)) if b.value.ca) {
            return Err(CaError::NotTrusted(
                "the certificate is a CA, not a leaf".into(),
            ));
        }
        let mut last = None;
        let mut ok = false;
        for i in intermediates
            .iter()
            .filter(|i| i.as_slice() != self.root_der)
        {
            let Ok((_, ic)) = X509Certificate::from_der(i) else {
                continue;
            };
            if ic.subject().as_raw() != leaf.issuer().as_raw() {
                continue;
            }
            match self
                .check_issuing(i, at)
                .and_then(|()| check_signed_by(&leaf, &ic, "certificate"))
            {
                Ok(()) => {
                    ok = true;
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        if !ok {
            return Err(last.unwrap_or_else(|| {
                CaError::NotTrusted(format!(
                    "no issuing CA for {} was given or it is not trusted",
                    leaf.issuer()
                ))
            }));
        }
        check_time(&leaf, at, "certificate")?;
        let class = leaf
            .extended_key_usage()
            .ok()
            .flatten()
            .and_then(|e| {
                e.value.other.iter().find_map(|o| {
                    let a = arcs(o);
                    (a.len() == TAXCORE_ARC.len() + 4 && a[..a.len() - 1] == self.env.arc(&[3])[..])
                        .then(|| CertClass::from_number(a[a.len() - 1]))
                        .flatten()
                })
            })
            .ok_or_else(|| CaError::NotTrusted("the certificate has no fiskal class".into()))?;
        let attr = |o: &[u64]| -> String {
            let Ok(oid) = x509_parser::der_parser::oid::Oid::from(o) else {
                return String::new();
            };
            leaf.subject()
                .iter_by_oid(&oid)
                .next()
                .and_then(|a| a.as_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let tin_arc = self.env.arc(&[6]);
        let tin = leaf
            .extensions()
            .iter()
            .find(|e| arcs(&e.oid) == tin_arc)
            .and_then(|e| match e.value {
                [0x0c, len, rest @ ..] if usize::from(*len) == rest.len() => {
                    std::str::from_utf8(rest).ok().map(str::to_string)
                }
                _ => None,
            })
            .ok_or_else(|| CaError::NotTrusted("the certificate has no TIN".into()))?;
        Ok(VerifiedCertificate {
            environment: found,
            class,
            uid: attr(OID_SERIAL_NUMBER),
            tin,
            name: attr(&[2, 5, 4, 10]),
            not_after: leaf.validity().not_after.timestamp(),
        })
    }
}
