//! The PKI: a root and an issuing CA of one environment in a folder, issuing PFX files.

use std::path::{Path, PathBuf};

use aws_lc_rs::rsa::KeySize;
use chrono::{DateTime, Duration, Utc};
use fiskal_domain::seller::Seller;
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyUsagePurpose,
};
use x509_parser::prelude::FromDer;
use zeroize::Zeroizing;

use super::base::*;
use super::parts::*;
use super::verify::*;

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

/// A root and issuing CA of one environment, kept in a folder. See the [module docs](super).
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

pub(super) fn check_taxpayer(tin: &str, name: &str) -> Result<()> {
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
pub(super) fn spki_rsa_bits(spki: &[u8]) -> Result<Vec<u8>> {
    let (_, s) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki)
        .map_err(|e| CaError::Crypto(format!("bad public key: {e}")))?;
    Ok(s.subject_public_key.data.to_vec())
}

/// Refuses `target` when it or one of its ancestors is the CA folder of another environment.
pub(super) fn check_target(env: EnvironmentKind, target: &Path) -> Result<()> {
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
