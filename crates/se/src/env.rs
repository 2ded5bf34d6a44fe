//! The local environment bundle (suf-backend.md §5, end): what `fiskal se init --data DIR`
//! writes so an L-PFR can be configured before any SUF exists.
//!
//! Layout of `DIR`:
//!
//! | Path | Content |
//! |---|---|
//! | `environment.json` | [`Environment`]: public, camelCase JSON |
//! | `authority/authority.json` | [`AuthorityKeys`]: the test authority's private keys (mode 0600), for a future local SUF |
//! | `se/{UID}.fse` | the software SE state file ([`crate::soft`]) |
//! | `se/{UID}.crt` | the SE signing certificate (DER, public), for a SUF adopting the environment |

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use fiskal_domain::counter::Uid;
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::TaxRateGroup;
use serde::{Deserialize, Serialize};

pub use crate::authority::{AuthorityError, AuthorityKeys};
use crate::soft::{CreateParams, SoftSe};
use crate::{Pin, SeError};

/// Default PIN of a local SE: `1234`.
pub const DEFAULT_PIN: &str = "1234";
/// Default state-file password of a local SE: 8 uppercase letters/digits, like a password SUF
/// issues with a PFX.
pub const DEFAULT_SE_PASSWORD: &str = "FISKAL01";
/// Default limit of a local SE: 1 000 000.00 RSD (× 10 000).
pub const DEFAULT_LIMIT: u64 = 1_000_000 * 10_000;
/// Default URL of a local SUF.
pub const DEFAULT_SUF_URL: &str = "http://127.0.0.1:7700/";
/// Default environment name.
pub const DEFAULT_ENVIRONMENT_NAME: &str = "fiskal lokalno";
/// Default name of the organization running the environment.
pub const DEFAULT_ORGANIZATION_NAME: &str = "fiskal lokalni SUF";
/// File name of the bundle inside `DIR`.
pub const ENVIRONMENT_FILE: &str = "environment.json";
/// Validity of a local SE's certificates, days (2 years, within the 1–4-year rule).
pub const SE_VALIDITY_DAYS: i64 = 730;

/// Errors of the environment bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// An environment already exists and `force` was not given.
    #[error("an environment already exists in {0}; use --force to replace it")]
    AlreadyExists(PathBuf),
    /// No environment in the folder.
    #[error("no environment in {0}; create one with `fiskal se init`")]
    NotFound(PathBuf),
    /// Reading or writing a file failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// `environment.json` is not valid.
    #[error("{path} is not a valid environment file: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Creating the secure element failed.
    #[error(transparent)]
    Se(#[from] SeError),
    /// The authority keys could not be made or read.
    #[error(transparent)]
    Authority(#[from] AuthorityError),
}

/// The public environment bundle, `DIR/environment.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    /// Environment name (`fiskal lokalno`).
    pub environment_name: String,
    /// Name of the organization running the (local) SUF.
    pub organization_name: String,
    /// URL of the SUF.
    pub suf_url: String,
    /// Prefix of verification URLs (SetVerificationUrl).
    pub verification_url_prefix: String,
    /// The seller identity of the SE.
    pub seller: Seller,
    /// Tax-rate groups (SetTaxRates).
    pub tax_rate_groups: Vec<TaxRateGroup>,
    /// UID of the software SE.
    pub se_uid: Uid,
    /// Path of the SE state file, relative to `DIR`, with `/` separators (`se/{UID}.fse`).
    pub se_state_file: String,
    /// Manufacturer registration code of the L-PFR (`00-0001-{UID}`).
    pub mrc: String,
    /// The authority encryption public key (SPKI DER, base64).
    pub authority_encryption_key: String,
    /// The authority signing public key (SPKI DER, base64).
    pub authority_key: String,
    /// The test root CA certificate (DER, base64).
    pub root_ca_certificate: String,
}

impl Environment {
    /// Absolute path of the SE state file for an environment in `dir`.
    pub fn se_state_path(&self, dir: &Path) -> PathBuf {
        self.se_state_file
            .split('/')
            .fold(dir.to_path_buf(), |p, part| p.join(part))
    }

    /// Decoded root CA certificate DER.
    pub fn root_ca_der(&self) -> Result<Vec<u8>, EnvError> {
        decode(&self.root_ca_certificate, "rootCaCertificate")
    }

    /// Decoded authority encryption public key (SPKI DER).
    pub fn authority_encryption_key_der(&self) -> Result<Vec<u8>, EnvError> {
        decode(&self.authority_encryption_key, "authorityEncryptionKey")
    }

    /// Decoded authority signing public key (SPKI DER).
    pub fn authority_key_der(&self) -> Result<Vec<u8>, EnvError> {
        decode(&self.authority_key, "authorityKey")
    }

    /// Opens the environment's SE with its password (the PIN still has to be verified).
    pub fn open_se(&self, dir: &Path, password: &str) -> Result<SoftSe, EnvError> {
        Ok(SoftSe::open(&self.se_state_path(dir), password)?)
    }
}

fn decode(s: &str, what: &str) -> Result<Vec<u8>, EnvError> {
    B64.decode(s).map_err(|e| EnvError::Invalid {
        path: PathBuf::from(ENVIRONMENT_FILE),
        message: format!("{what}: {e}"),
    })
}

/// Options of [`init`].
pub struct InitOptions {
    /// The seller the SE is issued to.
    pub seller: Seller,
    /// PIN of the SE.
    pub pin: Pin,
    /// State-file password (at least 8 characters).
    pub password: String,
    /// Limit × 10 000.
    pub limit: u64,
    /// SUF URL; [`DEFAULT_SUF_URL`] when `None`. The verification URL prefix is `{suf_url}v/?vl=`.
    pub suf_url: Option<String>,
    /// UID of the SE; random when `None`.
    pub uid: Option<Uid>,
    /// Replace an existing environment (the authority keys are still reused).
    pub force: bool,
}

impl std::fmt::Debug for InitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitOptions")
            .field("seller", &self.seller)
            .field("pin", &self.pin)
            .field("password", &"<hidden>")
            .field("limit", &self.limit)
            .field("suf_url", &self.suf_url)
            .field("uid", &self.uid)
            .field("force", &self.force)
            .finish()
    }
}

impl InitOptions {
    /// Options with the defaults ([`DEFAULT_PIN`], [`DEFAULT_SE_PASSWORD`], [`DEFAULT_LIMIT`],
    /// local SUF URL, random UID, no force) for `seller`.
    pub fn defaults(seller: Seller) -> InitOptions {
        InitOptions {
            seller,
            pin: Pin::parse(DEFAULT_PIN)
                .unwrap_or_else(|_| unreachable!("DEFAULT_PIN is 4 digits")),
            password: DEFAULT_SE_PASSWORD.to_string(),
            limit: DEFAULT_LIMIT,
            suf_url: None,
            uid: None,
            force: false,
        }
    }
}

/// Creates a local environment in `dir`: authority keys (reused when `dir/authority` already
/// has them), a software SE under `dir/se/{UID}.fse` and `dir/environment.json`. Refuses to
/// replace an existing environment unless `opts.force`.
pub fn init(dir: &Path, opts: InitOptions) -> Result<Environment, EnvError> {
    let env_path = dir.join(ENVIRONMENT_FILE);
    if env_path.exists() && !opts.force {
        return Err(EnvError::AlreadyExists(dir.to_path_buf()));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| EnvError::Io {
            path,
            message: e.to_string(),
        }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;

    let authority = if AuthorityKeys::file_path(dir).exists() {
        AuthorityKeys::load(dir)?
    } else {
        let a = AuthorityKeys::generate()?;
        a.save(dir)?;
        a
    };

    let suf_url = match opts.suf_url {
        Some(u) if u.ends_with('/') => u,
        Some(u) => format!("{u}/"),
        None => DEFAULT_SUF_URL.to_string(),
    };
    let se_dir = dir.join("se");
    if opts.force
        && let Some(uid) = &opts.uid
    {
        let old = se_dir.join(format!("{uid}.fse"));
        if old.exists() {
            std::fs::remove_file(&old).map_err(io(&old))?;
        }
    }
    let now = Utc::now();
    let (se, _) = SoftSe::create(
        &se_dir,
        CreateParams {
            uid: opts.uid,
            seller: opts.seller.clone(),
            pin: opts.pin,
            password: &opts.password,
            limit: opts.limit,
            authority: &authority,
            valid_from: now - chrono::Duration::days(1),
            valid_to: now + chrono::Duration::days(SE_VALIDITY_DAYS),
        },
    )?;
    let uid = crate::SecureElement::uid(&se).clone();
    // The public SE certificate beside the state file, for a SUF adopting this environment.
    let crt = se_dir.join(format!("{uid}.crt"));
    fiskal_storage::write_atomic(
        &crt,
        &crate::SecureElement::certificate_der(&se),
        fiskal_storage::MODE_PUBLIC,
    )
    .map_err(io(&crt))?;
    let public = authority.public();
    let env = Environment {
        environment_name: DEFAULT_ENVIRONMENT_NAME.into(),
        organization_name: DEFAULT_ORGANIZATION_NAME.into(),
        verification_url_prefix: format!("{suf_url}v/?vl="),
        suf_url,
        seller: opts.seller,
        tax_rate_groups: vec![TaxRateGroup::serbian_default()],
        se_state_file: format!("se/{uid}.fse"),
        mrc: format!("00-0001-{uid}"),
        se_uid: uid,
        authority_encryption_key: B64.encode(&public.encryption_key),
        authority_key: B64.encode(&public.authority_key),
        root_ca_certificate: B64.encode(&public.root_ca),
    };
    let json = serde_json::to_vec_pretty(&env).map_err(|e| EnvError::Invalid {
        path: env_path.clone(),
        message: e.to_string(),
    })?;
    fiskal_storage::write_atomic(&env_path, &json, fiskal_storage::MODE_PUBLIC)
        .map_err(io(&env_path))?;
    tracing::info!(dir = %dir.display(), uid = %env.se_uid, "local environment created");
    Ok(env)
}

/// Reads `dir/environment.json`.
pub fn load(dir: &Path) -> Result<Environment, EnvError> {
    let path = dir.join(ENVIRONMENT_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(EnvError::NotFound(dir.to_path_buf()));
        }
        Err(e) => {
            return Err(EnvError::Io {
                path,
                message: e.to_string(),
            });
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| EnvError::Invalid {
        path,
        message: e.to_string(),
    })
}
