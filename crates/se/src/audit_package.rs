//! Audit packages (suf-backend.md §6.1): `{key, iv, payload}` with an AES-256-CBC payload whose
//! key and IV are wrapped with RSAES-PKCS1-v1_5 for the SUF's encryption key.
//!
//! Both sides use this module: [`seal`] (the L-PFR) and [`open_with`] (the SUF, which holds the
//! private key; `fiskal_suf::package::open` wraps it). It lives in `fiskal-se` so that the L-PFR
//! does not depend on the SUF.

use aws_lc_rs::cipher::{
    AES_256, DecryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

/// An audit package as sent over the wire and stored on removable media.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPackage {
    /// base64 of the RSA-wrapped 32-byte AES key.
    pub key: String,
    /// base64 of the RSA-wrapped 16-byte IV.
    pub iv: String,
    /// base64 of the AES-256-CBC (PKCS#7) ciphertext of the plaintext JSON.
    pub payload: String,
}

/// Errors sealing or opening a package.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The package cannot be decrypted (wrong key, damaged data, not base64).
    #[error("the audit package cannot be decrypted: {0}")]
    Undecryptable(&'static str),
    /// Building the package failed.
    #[error("the audit package could not be built: {0}")]
    Build(String),
}

/// The plaintext of a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackagePlain {
    /// Always 1.
    pub version: u32,
    /// The `InvoiceRequest` as accepted (normalised).
    pub request: Value,
    /// The ESIR's `RequestId`, if any.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The `InvoiceResult` with journal and mrc, without `verificationQRCode`.
    pub result: Value,
}

/// Plaintext format version.
pub const PLAIN_VERSION: u32 = 1;

/// Builds the plaintext JSON of a package from the L-PFR journal's stored JSON texts.
pub fn plaintext(
    request_json: &str,
    request_id: Option<&str>,
    result_json: &str,
) -> Result<Vec<u8>, PackageError> {
    let request: Value =
        serde_json::from_str(request_json).map_err(|e| PackageError::Build(e.to_string()))?;
    let mut result: Value =
        serde_json::from_str(result_json).map_err(|e| PackageError::Build(e.to_string()))?;
    if let Value::Object(m) = &mut result {
        m.remove("verificationQRCode");
    }
    let p = PackagePlain {
        version: PLAIN_VERSION,
        request,
        request_id: request_id.map(str::to_string),
        result,
    };
    serde_json::to_vec(&p).map_err(|e| PackageError::Build(e.to_string()))
}

/// File name of a package: `{requestedBy}-{signedBy}-{totalCounter}.json`.
pub fn file_name(requested_by: &str, signed_by: &str, total_counter: u32) -> String {
    format!("{requested_by}-{signed_by}-{total_counter}.json")
}

/// Encrypts `plaintext` for the SUF whose encryption public key is `encryption_spki` (SPKI DER).
pub fn seal(encryption_spki: &[u8], plaintext: &[u8]) -> Result<AuditPackage, PackageError> {
    let err = |m: &str| PackageError::Build(m.to_string());
    let rng = SystemRandom::new();
    let mut key = Zeroizing::new([0u8; 32]);
    rng.fill(&mut key[..])
        .map_err(|_| err("no random numbers"))?;
    let aes = PaddedBlockEncryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(&AES_256, &key[..]).map_err(|_| err("AES key"))?,
    )
    .map_err(|_| err("AES key"))?;
    let mut data = plaintext.to_vec();
    let ctx = aes.encrypt(&mut data).map_err(|_| err("AES encryption"))?;
    let iv: &[u8] = (&ctx).try_into().map_err(|_| err("IV"))?;
    let pk = PublicEncryptingKey::from_der(encryption_spki).map_err(|_| err("encryption key"))?;
    let rsa = Pkcs1PublicEncryptingKey::new(pk).map_err(|_| err("encryption key"))?;
    let wrap = |m: &[u8]| -> Result<String, PackageError> {
        let mut out = vec![0u8; rsa.ciphertext_size()];
        let n = rsa
            .encrypt(m, &mut out)
            .map_err(|_| err("RSA key wrapping"))?
            .len();
        out.truncate(n);
        Ok(B64.encode(out))
    };
    Ok(AuditPackage {
        key: wrap(&key[..])?,
        iv: wrap(iv)?,
        payload: B64.encode(&data),
    })
}

/// Decrypts a package with `unwrap_pkcs1`, the RSAES-PKCS1-v1_5 decryption of the SUF's
/// encryption key (it returns `None` when a ciphertext does not decrypt); returns the plaintext
/// bytes.
pub fn open_with(
    unwrap_pkcs1: impl Fn(&[u8]) -> Option<Zeroizing<Vec<u8>>>,
    pkg: &AuditPackage,
) -> Result<Zeroizing<Vec<u8>>, PackageError> {
    let u = PackageError::Undecryptable;
    let wrapped_key = B64
        .decode(pkg.key.trim())
        .map_err(|_| u("the key is not base64"))?;
    let wrapped_iv = B64
        .decode(pkg.iv.trim())
        .map_err(|_| u("the IV is not base64"))?;
    let mut data = B64
        .decode(pkg.payload.trim())
        .map_err(|_| u("the payload is not base64"))?;
    let key = unwrap_pkcs1(&wrapped_key).ok_or(u("the key is not wrapped for this SUF"))?;
    let iv = unwrap_pkcs1(&wrapped_iv).ok_or(u("the IV is not wrapped for this SUF"))?;
    if key.len() != 32 {
        return Err(u("the key is not 32 bytes"));
    }
    let iv: [u8; 16] = iv[..].try_into().map_err(|_| u("the IV is not 16 bytes"))?;
    let aes = PaddedBlockDecryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(&AES_256, &key[..]).map_err(|_| u("AES key"))?,
    )
    .map_err(|_| u("AES key"))?;
    let n = aes
        .decrypt(&mut data, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| u("the payload does not decrypt with its key"))?
        .len();
    data.truncate(n);
    Ok(Zeroizing::new(data))
}

/// The status of an answer to an audit package (`AuditDataStatus.status`, suf-backend.md §6.2).
///
/// On the wire it is the bare TaxCore number (`4`, `72`, ...); a number this module does not
/// name is kept as [`AuditStatus::Other`], so a newer SUF's answer still reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "u8", into = "u8")]
pub enum AuditStatus {
    /// 0: the package cannot be read, or the receipt is not consistent (taxes, total, counters).
    Invalid,
    /// 1: the SUF cannot store the package now; send it again later.
    RetryLater,
    /// 2: the signature does not match the receipt.
    InvalidSignature,
    /// 3: the internal data cannot be decrypted or do not match the receipt.
    InvalidInternalData,
    /// 4: verified and stored.
    Verified,
    /// 5: the tax group is unknown.
    UnknownTaxGroup,
    /// 6: the certificate was revoked or expired when the receipt was signed.
    CertificateRevoked,
    /// 8: the certificate was not yet issued when the receipt was signed.
    CertificateNotYetValid,
    /// 24: the MRC is missing or malformed.
    InvalidMrc,
    /// 69: a tax label is not in the tax group.
    UnknownTaxLabel,
    /// 71: the receipt has no payment.
    NoPayment,
    /// 72: TIN, UIDs or the invoice number do not match a secure element of this SUF.
    IdentityMismatch,
    /// 73: the PFR time is too far in the future.
    TimeInFuture,
    /// 74: the reference time is after the PFR time.
    ReferenceTimeAfterPfrTime,
    /// 75: the PFR time is too far in the past.
    TimeTooOld,
    /// 78: the verification URL is missing or does not match the receipt.
    InvalidVerificationUrl,
    /// A number not named above.
    Other(u8),
}

impl AuditStatus {
    /// The TaxCore number.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            AuditStatus::Invalid => 0,
            AuditStatus::RetryLater => 1,
            AuditStatus::InvalidSignature => 2,
            AuditStatus::InvalidInternalData => 3,
            AuditStatus::Verified => 4,
            AuditStatus::UnknownTaxGroup => 5,
            AuditStatus::CertificateRevoked => 6,
            AuditStatus::CertificateNotYetValid => 8,
            AuditStatus::InvalidMrc => 24,
            AuditStatus::UnknownTaxLabel => 69,
            AuditStatus::NoPayment => 71,
            AuditStatus::IdentityMismatch => 72,
            AuditStatus::TimeInFuture => 73,
            AuditStatus::ReferenceTimeAfterPfrTime => 74,
            AuditStatus::TimeTooOld => 75,
            AuditStatus::InvalidVerificationUrl => 78,
            AuditStatus::Other(n) => n,
        }
    }

    /// Whether the package was verified (4).
    #[must_use]
    pub fn is_verified(self) -> bool {
        self == AuditStatus::Verified
    }

    /// Whether the answer is final: anything but "retry later" (1).
    #[must_use]
    pub fn is_final(self) -> bool {
        self != AuditStatus::RetryLater
    }
}

impl From<u8> for AuditStatus {
    fn from(n: u8) -> AuditStatus {
        match n {
            0 => AuditStatus::Invalid,
            1 => AuditStatus::RetryLater,
            2 => AuditStatus::InvalidSignature,
            3 => AuditStatus::InvalidInternalData,
            4 => AuditStatus::Verified,
            5 => AuditStatus::UnknownTaxGroup,
            6 => AuditStatus::CertificateRevoked,
            8 => AuditStatus::CertificateNotYetValid,
            24 => AuditStatus::InvalidMrc,
            69 => AuditStatus::UnknownTaxLabel,
            71 => AuditStatus::NoPayment,
            72 => AuditStatus::IdentityMismatch,
            73 => AuditStatus::TimeInFuture,
            74 => AuditStatus::ReferenceTimeAfterPfrTime,
            75 => AuditStatus::TimeTooOld,
            78 => AuditStatus::InvalidVerificationUrl,
            n => AuditStatus::Other(n),
        }
    }
}

impl From<AuditStatus> for u8 {
    fn from(s: AuditStatus) -> u8 {
        s.code()
    }
}

impl std::fmt::Display for AuditStatus {
    /// The TaxCore number, as on the wire.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeySize, Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};

    fn keypair() -> (Vec<u8>, Pkcs1PrivateDecryptingKey) {
        let k = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
        let spki = k.public_key().as_der().unwrap().as_ref().to_vec();
        (spki, Pkcs1PrivateDecryptingKey::new(k).unwrap())
    }

    fn unwrapper(
        k: &Pkcs1PrivateDecryptingKey,
    ) -> impl Fn(&[u8]) -> Option<Zeroizing<Vec<u8>>> + '_ {
        move |c| {
            let mut out = Zeroizing::new(vec![0u8; k.min_output_size()]);
            let n = k.decrypt(c, &mut out).ok()?.len();
            out.truncate(n);
            Some(out)
        }
    }

    #[test]
    fn seal_and_open_round_trip_and_strip_the_qr_code() {
        let (spki, key) = keypair();
        let plain = plaintext(
            r#"{"invoiceType":0}"#,
            Some("r1"),
            r#"{"totalCounter":1,"verificationQRCode":"R0lGOD"}"#,
        )
        .unwrap();
        let p: PackagePlain = serde_json::from_slice(&plain).unwrap();
        assert_eq!(p.version, PLAIN_VERSION);
        assert_eq!(p.request_id.as_deref(), Some("r1"));
        assert!(p.result.get("verificationQRCode").is_none());
        assert_eq!(p.result["totalCounter"], 1);
        let pkg = seal(&spki, &plain).unwrap();
        assert_eq!(&open_with(unwrapper(&key), &pkg).unwrap()[..], &plain[..]);
        // Another key cannot open it; a damaged payload is refused.
        let (_, other) = keypair();
        assert!(open_with(unwrapper(&other), &pkg).is_err());
        let mut bad = pkg.clone();
        bad.payload = "not base64!".into();
        assert!(open_with(unwrapper(&key), &bad).is_err());
        assert_eq!(
            file_name("AB12CD34", "AB12CD34", 7),
            "AB12CD34-AB12CD34-7.json"
        );
    }

    #[test]
    fn audit_status_is_the_bare_number_on_the_wire() {
        for n in 0..=u8::MAX {
            let s = AuditStatus::from(n);
            assert_eq!(s.code(), n);
            assert_eq!(serde_json::to_string(&s).unwrap(), n.to_string());
            assert_eq!(
                serde_json::from_str::<AuditStatus>(&n.to_string()).unwrap(),
                s
            );
        }
        assert_eq!(AuditStatus::from(4), AuditStatus::Verified);
        assert_eq!(AuditStatus::from(72), AuditStatus::IdentityMismatch);
        assert_eq!(AuditStatus::from(77), AuditStatus::Other(77));
        assert_eq!(AuditStatus::InvalidVerificationUrl.to_string(), "78");
        assert!(!AuditStatus::RetryLater.is_final() && AuditStatus::Invalid.is_final());
        assert!(serde_json::from_str::<AuditStatus>("256").is_err());
    }
}
