//! Certificate building blocks, PFX files and the registry of what was issued.

use std::path::Path;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use chrono::{DateTime, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, IsCa,
    KeyUsagePurpose, PublicKeyData, SerialNumber, SignatureAlgorithm,
};
use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};
use zeroize::Zeroizing;

use super::base::*;

// ---------------------------------------------------------------------------------------------
// Certificate building

pub(super) struct RsaPublic(pub(super) Vec<u8>);

impl PublicKeyData for RsaPublic {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

pub(super) fn rsa_key(size: KeySize) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>)> {
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

pub(super) fn rcgen_key(pkcs8: &[u8]) -> Result<rcgen::KeyPair> {
    let k = rcgen::KeyPair::try_from(pkcs8).map_err(crypto("CA key"))?;
    if k.algorithm() != &rcgen::PKCS_RSA_SHA256 {
        return Err(CaError::Crypto("the CA key is not an RSA key".into()));
    }
    Ok(k)
}

pub(super) fn to_time(t: DateTime<Utc>) -> Result<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(crypto("time"))
}

pub(super) fn random_serial() -> Result<(SerialNumber, String)> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| CaError::Crypto("no randomness".into()))?;
    b[0] &= 0x7f;
    b[0] |= 0x01;
    Ok((SerialNumber::from_slice(&b), hex::encode(b)))
}

pub(super) fn der_utf8(s: &str) -> Result<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() >= 128 {
        return Err(CaError::Invalid(format!("{s:?} is too long")));
    }
    let mut v = vec![0x0c, b.len() as u8];
    v.extend_from_slice(b);
    Ok(v)
}

pub(super) fn printable(s: &str) -> Result<DnValue> {
    Ok(DnValue::PrintableString(s.try_into().map_err(|_| {
        CaError::Invalid(format!("{s:?} is not printable"))
    })?))
}

pub(super) fn env_marker(env: EnvironmentKind) -> Result<CustomExtension> {
    Ok(CustomExtension::from_oid_content(
        &env.arc(&[0]),
        der_utf8(env.name())?,
    ))
}

pub(super) fn ca_params(env: EnvironmentKind, root: bool) -> Result<CertificateParams> {
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
pub(super) struct LeafSpec<'a> {
    pub(super) uid: &'a str,
    pub(super) tin: &'a str,
    pub(super) name: &'a str,
    pub(super) location: Option<&'a str>,
    pub(super) address: Option<&'a str>,
    pub(super) district: Option<&'a str>,
    pub(super) class: CertClass,
    pub(super) vpfr_url: Option<&'a str>,
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
pub(super) struct RegistryFile {
    pub(super) format: String,
    pub(super) environment: EnvironmentKind,
    pub(super) entries: Vec<RegistryEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CaFile {
    pub(super) format: String,
    pub(super) environment: EnvironmentKind,
    pub(super) env_digit: u64,
    pub(super) created: String,
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
