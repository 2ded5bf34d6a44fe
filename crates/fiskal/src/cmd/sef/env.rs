//! What `fiskal sef` reads from the environment: the secrets (never taken from the command line,
//! where they would show in the process list) and the master-key ring.

use std::path::Path;

use fiskal_einvoice::crypto::{MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, OLD_MASTER_KEYS_ENV};
use fiskal_einvoice::{KeyRing, MasterKeySources};

/// The value of a secret's environment variable (trimmed).
pub fn env_secret(name: &str) -> anyhow::Result<String> {
    std::env::var(name)
        .map(|s| s.trim().to_string())
        .map_err(|_| anyhow::anyhow!("set {name} (secrets are not accepted on the command line)"))
}

/// The master-key ring: the key file (`file`, else `FISKAL_SEF_MASTER_KEY_FILE`) or
/// `FISKAL_SEF_MASTER_KEY`, plus older keys from `FISKAL_SEF_OLD_MASTER_KEYS`.
pub fn master_key_ring(file: Option<&Path>) -> anyhow::Result<KeyRing> {
    let sources = MasterKeySources::new(
        file.map(Path::to_path_buf)
            .or_else(|| std::env::var_os(MASTER_KEY_FILE_ENV).map(Into::into)),
        std::env::var(MASTER_KEY_ENV).ok(),
        std::env::var(OLD_MASTER_KEYS_ENV).ok(),
    );
    Ok(KeyRing::load(&sources)?)
}

/// The operator token of `fiskal sef serve` (`FISKAL_SEF_OPERATOR_TOKEN`), if set and not empty.
pub fn operator_token() -> Option<String> {
    std::env::var("FISKAL_SEF_OPERATOR_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
}
