//! Constants, errors, environments and certificate classes, generated secrets, PEM and the CA folder's files.

use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
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

pub(super) const OID_SERIAL_NUMBER: &[u64] = &[2, 5, 4, 5];
pub(super) const OID_STREET: &[u64] = &[2, 5, 4, 9];
pub(super) const OID_SHA256_RSA: &[u64] = &[1, 2, 840, 113_549, 1, 1, 11];

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

pub(super) type Result<T> = std::result::Result<T, CaError>;

pub(super) fn io<E: std::fmt::Display>(what: impl std::fmt::Display) -> impl FnOnce(E) -> CaError {
    move |e| CaError::Io(format!("{what}: {e}"))
}

pub(super) fn crypto<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> CaError {
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

    pub(super) fn from_number(n: u64) -> Option<CertClass> {
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
pub(super) fn random_code(len: usize, alphabet: &[u8]) -> Result<Zeroizing<String>> {
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

pub(super) fn is_code(s: &str, len: usize) -> bool {
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
pub(super) fn file_err(e: std::io::Error) -> CaError {
    CaError::Io(e.to_string())
}

/// Writes a new private file (mode 0600 on Unix) durably, refusing to overwrite.
pub(super) fn write_private_new(path: &Path, bytes: &[u8]) -> Result<()> {
    fiskal_storage::write_new(path, bytes, fiskal_storage::MODE_PRIVATE).map_err(file_err)
}

/// Writes a new public file (a certificate) durably, refusing to overwrite.
pub(super) fn write_public_new(path: &Path, bytes: &[u8]) -> Result<()> {
    fiskal_storage::write_new(path, bytes, fiskal_storage::MODE_PUBLIC).map_err(file_err)
}

/// Replaces a private file durably and atomically (random temporary name, fsync, rename, fsync
/// of the folder).
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    fiskal_storage::write_atomic(path, bytes, fiskal_storage::MODE_PRIVATE).map_err(file_err)
}

pub(super) fn read_pem_one(path: &Path, label: &str) -> Result<Zeroizing<Vec<u8>>> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io(path.display()))?);
    let mut blocks = from_pem(&text)?;
    let pos = blocks
        .iter()
        .position(|(l, _)| l == label)
        .ok_or_else(|| CaError::Invalid(format!("{} holds no {label}", path.display())))?;
    Ok(Zeroizing::new(std::mem::take(&mut blocks[pos].1)))
}
