//! X.509 certificates of fiskal's software SE: issuing them (with [`rcgen`]) and reading the
//! fields the PFR needs back out of them (with [`x509_parser`]).
//!
//! Subject layout (suf-backend.md §9): CN = UID, SERIALNUMBER = UID, O = business name,
//! OU = location name, STREET = address, ST = district, C = RS; the seller TIN is carried in the
//! custom extension [`tin_extension_oid`].

use chrono::{DateTime, Utc};
use fiskal_domain::counter::Uid;
use fiskal_domain::seller::Seller;
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, PublicKeyData, SerialNumber,
    SignatureAlgorithm,
};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Env digit of the certificates `fiskal se init` issues: 1 ("internal"), which fiskal's test
/// PKI calls the *local* environment. Sandbox (5) and production (3) certificates come only from
/// `fiskal suf ca` of that environment, so local material never passes for sandbox material.
pub const LOCAL_ENV_DIGIT: u64 = 1;

/// Env digits a certificate may carry: 1 local/internal, 2 staging, 3 production, 4 pilot,
/// 5 sandbox (suf-backend.md §9).
pub const ENV_DIGITS: std::ops::RangeInclusive<u64> = 1..=5;

/// OID of the certificate extension carrying the seller TIN: `1.3.6.1.4.1.49952.{env}.8.6`.
///
/// **fiskal's choice**, following TaxCore's arc `1.3.6.1.4.1.49952.{env}.{country}.6` (TIN) with
/// country 8 (Serbia) (suf-backend.md §9). The value is a DER `UTF8String` with the TIN.
pub fn tin_extension_oid(env: u64) -> [u64; 10] {
    [1, 3, 6, 1, 4, 1, 49952, env, 8, 6]
}

/// Extended key usage marking the SE signing certificate, class V33 equivalent:
/// `1.3.6.1.4.1.49952.{env}.8.3.3` (arc `…{env}.{country}.3.{n}` of secure-element.md §7;
/// TaxCore's exact arc is unverified, this is fiskal's choice).
pub fn eku_se_signing_v33(env: u64) -> [u64; 11] {
    [1, 3, 6, 1, 4, 1, 49952, env, 8, 3, 3]
}

/// Extended key usage marking the SE authentication (PKI applet, TLS client) certificate,
/// class V34 equivalent: `1.3.6.1.4.1.49952.{env}.8.3.4` (fiskal's choice, as
/// [`eku_se_signing_v33`]).
pub fn eku_se_auth_v34(env: u64) -> [u64; 11] {
    [1, 3, 6, 1, 4, 1, 49952, env, 8, 3, 4]
}

const OID_SERIAL_NUMBER: &[u64] = &[2, 5, 4, 5];
const OID_STREET: &[u64] = &[2, 5, 4, 9];

/// Common name of the local environment's test root CA.
pub const TEST_ROOT_CA_NAME: &str = "fiskal lokalno test root CA";

/// Errors issuing or reading certificates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Building or signing a certificate failed.
    #[error("the certificate could not be issued: {0}")]
    Issue(String),
    /// A certificate could not be parsed or lacks a field.
    #[error("the certificate is not a valid fiskal SE certificate: {0}")]
    Parse(String),
}

/// Which SE certificate to issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// The SE signing certificate (class V33 equivalent).
    SeSigning,
    /// The SE TLS client certificate (PKI applet role, class V34 equivalent).
    SeAuth,
}

/// An RSA public key as rcgen wants it: the PKCS#1 `RSAPublicKey` inside an SPKI.
struct RsaPublic(Vec<u8>);

impl PublicKeyData for RsaPublic {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn to_time(t: DateTime<Utc>) -> Result<time::OffsetDateTime, CertError> {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp())
        .map_err(|e| CertError::Issue(e.to_string()))
}

fn random_serial() -> Result<SerialNumber, CertError> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| CertError::Issue("no randomness".into()))?;
    b[0] &= 0x7f;
    b[0] |= 0x01;
    Ok(SerialNumber::from_slice(&b))
}

/// DER `UTF8String` of a short text (< 128 bytes).
fn der_utf8(s: &str) -> Result<Vec<u8>, CertError> {
    let b = s.as_bytes();
    if b.len() >= 128 {
        return Err(CertError::Issue("the TIN is too long".into()));
    }
    let mut v = vec![0x0c, b.len() as u8];
    v.extend_from_slice(b);
    Ok(v)
}

/// Parameters of the local test root CA (also used to rebuild its [`rcgen::Issuer`]).
pub(crate) fn root_ca_params(
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<CertificateParams, CertError> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, TEST_ROOT_CA_NAME);
    dn.push(DnType::OrganizationName, "fiskal");
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("RS".try_into().map_err(|_| CertError::Issue("C".into()))?),
    );
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = to_time(not_before)?;
    p.not_after = to_time(not_after)?;
    p.serial_number = Some(random_serial()?);
    Ok(p)
}

/// An rcgen key pair from an RSA PKCS#8 DER key (signatures RSA PKCS#1 v1.5 SHA-256).
pub(crate) fn rcgen_key(pkcs8: &[u8]) -> Result<KeyPair, CertError> {
    let key = KeyPair::try_from(pkcs8).map_err(|e| CertError::Issue(e.to_string()))?;
    if key.algorithm() != &rcgen::PKCS_RSA_SHA256 {
        return Err(CertError::Issue("the CA key is not an RSA key".into()));
    }
    Ok(key)
}

/// Self-signs the test root CA certificate; returns its DER.
pub(crate) fn self_sign_root(
    ca_key_pkcs8: &[u8],
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<Vec<u8>, CertError> {
    let key = rcgen_key(ca_key_pkcs8)?;
    let params = root_ca_params(not_before, not_after)?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| CertError::Issue(e.to_string()))?;
    Ok(cert.der().to_vec())
}

/// Issues an SE certificate for `seller` and `uid` over the public key `spki_der`
/// (SubjectPublicKeyInfo DER), signed by the root CA key `ca_key_pkcs8`.
pub(crate) fn issue_se_certificate(
    ca_key_pkcs8: &[u8],
    uid: &Uid,
    seller: &Seller,
    spki_der: &[u8],
    kind: CertKind,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<Vec<u8>, CertError> {
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|e| CertError::Issue(format!("bad public key: {e}")))?;
    let public = RsaPublic(spki.subject_public_key.data.to_vec());

    let ca_key = rcgen_key(ca_key_pkcs8)?;
    let issuer = rcgen::Issuer::new(root_ca_params(not_before, not_after)?, ca_key);

    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    let printable = |s: &str| -> Result<DnValue, CertError> {
        Ok(DnValue::PrintableString(s.try_into().map_err(|_| {
            CertError::Issue(format!("{s:?} is not printable"))
        })?))
    };
    dn.push(DnType::CommonName, uid.as_str());
    dn.push(
        DnType::CustomDnType(OID_SERIAL_NUMBER.to_vec()),
        printable(uid.as_str())?,
    );
    dn.push(DnType::OrganizationName, seller.business_name.as_str());
    dn.push(
        DnType::OrganizationalUnitName,
        seller.location_name.as_str(),
    );
    dn.push(
        DnType::CustomDnType(OID_STREET.to_vec()),
        seller.address.as_str(),
    );
    dn.push(DnType::StateOrProvinceName, seller.district.as_str());
    dn.push(DnType::CountryName, printable("RS")?);
    p.distinguished_name = dn;
    p.is_ca = IsCa::ExplicitNoCa;
    p.not_before = to_time(not_before)?;
    p.not_after = to_time(not_after)?;
    p.serial_number = Some(random_serial()?);
    p.use_authority_key_identifier_extension = true;
    match kind {
        CertKind::SeSigning => {
            // Class V33 equivalent: signing on the SE applet (non-repudiation of receipts).
            p.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(
                eku_se_signing_v33(LOCAL_ENV_DIGIT).to_vec(),
            )];
        }
        CertKind::SeAuth => {
            // Class V34 equivalent: TLS client authentication of the PKI applet to TaxCore.API.
            p.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            p.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ClientAuth,
                ExtendedKeyUsagePurpose::Other(eku_se_auth_v34(LOCAL_ENV_DIGIT).to_vec()),
            ];
        }
    }
    p.custom_extensions = vec![CustomExtension::from_oid_content(
        &tin_extension_oid(LOCAL_ENV_DIGIT),
        der_utf8(&seller.tin)?,
    )];
    let cert = p
        .signed_by(&public, &issuer)
        .map_err(|e| CertError::Issue(e.to_string()))?;
    Ok(cert.der().to_vec())
}

/// What fiskal reads from an SE certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// UID (Subject SERIALNUMBER).
    pub uid: Uid,
    /// Seller identity: TIN from [`tin_extension_oid`], business name (O), location (OU),
    /// address (STREET), district (ST).
    pub seller: Seller,
    /// The env digit of the TIN extension's OID: which environment issued the certificate
    /// ([`LOCAL_ENV_DIGIT`] for `fiskal se init`, 5 sandbox, 3 production).
    pub environment_digit: u64,
    /// Start of validity, ms since the epoch.
    pub not_before_ms: i64,
    /// End of validity, ms since the epoch.
    pub not_after_ms: i64,
    /// SubjectPublicKeyInfo DER of the certified key.
    pub public_key_spki: Vec<u8>,
}

impl CertificateInfo {
    /// Whether `time_ms` lies within the certificate's validity (inclusive).
    pub fn is_valid_at(&self, time_ms: i64) -> bool {
        self.not_before_ms <= time_ms && time_ms <= self.not_after_ms
    }
}

fn oid(parts: &[u64]) -> Result<x509_parser::der_parser::oid::Oid<'static>, CertError> {
    x509_parser::der_parser::oid::Oid::from(parts).map_err(|_| CertError::Parse("bad OID".into()))
}

/// Reads UID, seller, validity and public key from a DER SE certificate issued by fiskal.
pub fn parse_certificate(der: &[u8]) -> Result<CertificateInfo, CertError> {
    let (_, c) = X509Certificate::from_der(der).map_err(|e| CertError::Parse(e.to_string()))?;
    let subject = c.subject();
    let get = |o: &[u64], what: &str| -> Result<String, CertError> {
        let o = oid(o)?;
        let a = subject
            .iter_by_oid(&o)
            .next()
            .ok_or_else(|| CertError::Parse(format!("no {what} in the subject")))?;
        a.as_str()
            .map(str::to_string)
            .map_err(|_| CertError::Parse(format!("the {what} is not text")))
    };
    let serial = get(OID_SERIAL_NUMBER, "SERIALNUMBER")?;
    let uid = Uid::parse(&serial).map_err(|e| CertError::Parse(e.to_string()))?;
    let mut found = None;
    for env in ENV_DIGITS {
        let tin_oid = oid(&tin_extension_oid(env))?;
        if let Some(e) = c.extensions().iter().find(|e| e.oid == tin_oid) {
            found = Some((env, e));
            break;
        }
    }
    let (environment_digit, ext) =
        found.ok_or_else(|| CertError::Parse("no TIN extension".into()))?;
    let v = ext.value;
    let tin = match v {
        [0x0c | 0x13 | 0x16, len, rest @ ..] if usize::from(*len) == rest.len() && *len < 128 => {
            String::from_utf8(rest.to_vec())
                .map_err(|_| CertError::Parse("the TIN is not text".into()))?
        }
        _ => {
            return Err(CertError::Parse(
                "the TIN extension is not a short string".into(),
            ));
        }
    };
    let seller = Seller {
        tin,
        business_name: get(&[2, 5, 4, 10], "O")?,
        location_name: get(&[2, 5, 4, 11], "OU")?,
        address: get(OID_STREET, "STREET")?,
        district: get(&[2, 5, 4, 8], "ST")?,
    };
    let validity = c.validity();
    Ok(CertificateInfo {
        uid,
        seller,
        environment_digit,
        not_before_ms: validity.not_before.timestamp().saturating_mul(1000),
        not_after_ms: validity
            .not_after
            .timestamp()
            .saturating_mul(1000)
            .saturating_add(999),
        public_key_spki: c.public_key().raw.to_vec(),
    })
}

/// Checks that `der` was issued and signed (RSA PKCS#1 v1.5 SHA-256) by `issuer_der` and is valid
/// at `at_ms`, and reads it. Used by the SUF for authentication certificates presented by PFRs.
pub fn verify_issued_by(
    der: &[u8],
    issuer_der: &[u8],
    at_ms: i64,
) -> Result<CertificateInfo, CertError> {
    let (_, c) = X509Certificate::from_der(der).map_err(|e| CertError::Parse(e.to_string()))?;
    let (_, issuer) =
        X509Certificate::from_der(issuer_der).map_err(|e| CertError::Parse(e.to_string()))?;
    if c.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(CertError::Parse(
            "the certificate was not issued by this authority".into(),
        ));
    }
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        issuer.public_key().raw,
    )
    .verify(c.tbs_certificate.as_ref(), &c.signature_value.data)
    .map_err(|_| CertError::Parse("the certificate's signature is not valid".into()))?;
    let info = parse_certificate(der)?;
    if !info.is_valid_at(at_ms) {
        return Err(CertError::Parse("the certificate is not valid now".into()));
    }
    Ok(info)
}
