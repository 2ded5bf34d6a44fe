//! The SUF's keys: the authority keys of the adopted environment bundle plus the PKCS#1 v1.5
//! view of the encryption key that unwraps audit-package keys (suf-backend.md §6.1).

use std::path::Path;

use aws_lc_rs::rsa::{Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_se::authority::AuthorityKeys;
use zeroize::Zeroizing;

/// Errors loading the SUF's keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The authority file is missing or unreadable.
    #[error("the authority keys could not be read: {0}")]
    Authority(#[from] fiskal_se::authority::AuthorityError),
    /// The authority file is readable but its encryption key is not usable for PKCS#1 v1.5.
    #[error("the authority encryption key cannot unwrap audit-package keys: {0}")]
    Encryption(String),
}

/// The SUF's private keys. Never printed: `Debug` hides them.
pub struct SufKeys {
    authority: AuthorityKeys,
    pkcs1: Pkcs1PrivateDecryptingKey,
}

impl std::fmt::Debug for SufKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SufKeys(<hidden>)")
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EncryptionOnly {
    encryption_key: String,
}

impl Drop for EncryptionOnly {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.encryption_key.zeroize();
    }
}

impl SufKeys {
    /// Loads `DIR/authority/authority.json` of an environment bundle (`fiskal se init`).
    pub fn load(dir: &Path) -> Result<SufKeys, KeyError> {
        let authority = AuthorityKeys::load(dir)?;
        let path = AuthorityKeys::file_path(dir);
        let bytes = Zeroizing::new(
            std::fs::read(&path)
                .map_err(|e| KeyError::Encryption(format!("{}: {e}", path.display())))?,
        );
        let f: EncryptionOnly =
            serde_json::from_slice(&bytes).map_err(|e| KeyError::Encryption(e.to_string()))?;
        let der = Zeroizing::new(
            B64.decode(&f.encryption_key)
                .map_err(|e| KeyError::Encryption(e.to_string()))?,
        );
        SufKeys::from_parts(authority, &der)
    }

    /// Builds the keys from authority keys and the PKCS#8 DER of the same encryption key.
    pub fn from_parts(
        authority: AuthorityKeys,
        encryption_pkcs8: &[u8],
    ) -> Result<SufKeys, KeyError> {
        let key = PrivateDecryptingKey::from_pkcs8(encryption_pkcs8)
            .map_err(|e| KeyError::Encryption(e.to_string()))?;
        let pkcs1 =
            Pkcs1PrivateDecryptingKey::new(key).map_err(|e| KeyError::Encryption(e.to_string()))?;
        Ok(SufKeys { authority, pkcs1 })
    }

    /// The authority keys (OAEP decryption of internal data and ARPs, signing of proofs and
    /// directives).
    pub fn authority(&self) -> &AuthorityKeys {
        &self.authority
    }

    /// RSAES-PKCS1-v1_5 decryption with the encryption key (audit-package `key` and `iv`).
    pub fn unwrap_pkcs1(&self, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(vec![0u8; self.pkcs1.min_output_size()]);
        let n = self.pkcs1.decrypt(ciphertext, &mut out).ok()?.len();
        out.truncate(n);
        Some(out)
    }
}
