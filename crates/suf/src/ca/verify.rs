//! Verification of certificates against one environment's root.

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::base::*;

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

pub(super) fn arcs(oid: &x509_parser::der_parser::oid::Oid<'_>) -> Vec<u64> {
    oid.iter().map(|i| i.collect()).unwrap_or_default()
}

pub(super) fn environment_of(c: &X509Certificate<'_>) -> Result<EnvironmentKind> {
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

pub(super) fn check_signed_by(
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

pub(super) fn check_time(c: &X509Certificate<'_>, at: i64, what: &str) -> Result<()> {
    let v = c.validity();
    if at < v.not_before.timestamp() || at > v.not_after.timestamp() {
        return Err(CaError::NotTrusted(format!(
            "the {what} is not valid at this time"
        )));
    }
    Ok(())
}

pub(super) fn check_ca(c: &X509Certificate<'_>, what: &str) -> Result<()> {
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

    pub(super) fn check_issuing(&self, issuing_der: &[u8], at: i64) -> Result<()> {
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
