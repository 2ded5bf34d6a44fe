//! Keys at rest (`moje-fakture.md` §4.2): envelope encryption with AES-256-GCM (aws-lc-rs).
//!
//! * The **master key** (32 random bytes, base64) comes from a key file or the environment
//!   variable `FISKAL_SEF_MASTER_KEY` (read by the binary, [`MasterKeySources`]), never from the
//!   database. Its id is derived from it
//!   (HMAC), so records name the master key that wrapped them.
//! * Every SEF key version gets a fresh random 256-bit **data key**; the SEF key is sealed under
//!   the data key with associated data `tenant id ‖ environment ‖ key version`, and the data key is
//!   stored only wrapped (sealed) by the master key, bound to the same associated data.
//! * **Rotation**: a [`KeyRing`] holds the current master key and older ones; re-wrapping a data key
//!   under the current master key never touches the SEF key ciphertext.
//! * The **fingerprint** is HMAC-SHA-256 of the lowercase key under a secret derived from the
//!   master key; it only detects the same key on two tenants.
//! * Plaintext keys live in [`ApiKey`] (fiskal-sef's one type for a SEF API key), which zeroises
//!   on drop and prints `ApiKey(***)` in `Debug`.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use zeroize::{Zeroize, Zeroizing};

/// Environment variable holding the base64 master key.
pub const MASTER_KEY_ENV: &str = "FISKAL_SEF_MASTER_KEY";
/// Environment variable naming a master key file.
pub const MASTER_KEY_FILE_ENV: &str = "FISKAL_SEF_MASTER_KEY_FILE";
/// Environment variable with older master keys (base64, comma-separated) still accepted for
/// unwrapping until [`crate::Service::rotate_master_key`] has re-wrapped every data key.
pub const OLD_MASTER_KEYS_ENV: &str = "FISKAL_SEF_OLD_MASTER_KEYS";

/// Where a [`KeyRing`] comes from ([`KeyRing::load`]). `Debug` shows only which sources are set.
#[derive(Default)]
pub struct MasterKeySources {
    /// A key file: current key first, older keys on further lines (`#` starts a comment).
    pub file: Option<std::path::PathBuf>,
    /// The current key (base64), used when there is no file.
    pub key: Option<Zeroizing<String>>,
    /// Older keys (base64, comma-separated), still accepted for unwrapping.
    pub old_keys: Option<Zeroizing<String>>,
}

impl MasterKeySources {
    /// The sources from plain values (the key texts are zeroised when dropped).
    pub fn new(
        file: Option<std::path::PathBuf>,
        key: Option<String>,
        old_keys: Option<String>,
    ) -> MasterKeySources {
        MasterKeySources {
            file,
            key: key.map(Zeroizing::new),
            old_keys: old_keys.map(Zeroizing::new),
        }
    }
}

impl std::fmt::Debug for MasterKeySources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKeySources")
            .field("file", &self.file)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("old_keys", &self.old_keys.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Errors of the key-at-rest layer. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// No master key configured.
    #[error(
        "No master key is configured: set FISKAL_SEF_MASTER_KEY (base64 of 32 random bytes) or FISKAL_SEF_MASTER_KEY_FILE."
    )]
    MissingMasterKey,
    /// The master key is not base64 of exactly 32 bytes.
    #[error("The master key must be base64 of exactly 32 random bytes.")]
    BadMasterKey,
    /// The master key file could not be read.
    #[error("The master key file {path} cannot be read: {reason}.")]
    KeyFile {
        /// Path of the file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A record names a master key this process does not have.
    #[error("The stored key was wrapped by master key {0}, which is not configured.")]
    UnknownMasterKey(String),
    /// Decryption failed: wrong master key, tampered record or record copied to another
    /// tenant/environment/version.
    #[error(
        "The stored key cannot be decrypted (wrong master key, or the record was altered or copied to another tenant)."
    )]
    Decrypt,
    /// The random generator or cipher failed.
    #[error("The cipher failed.")]
    Cipher,
}

pub use fiskal_sef::ApiKey;
pub use fiskal_sef::key::is_guid;

/// The masked form shown in the UI: `••••••••-••••-••••-••••-••••••••5e21`.
pub fn masked_key(last_four: &str) -> String {
    format!("••••••••-••••-••••-••••-••••••••{last_four}")
}

/// One master key: 32 bytes and its derived id. `Debug` prints only the id.
pub struct MasterKey {
    id: String,
    bytes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey {{ id: {}, bytes: *** }}", self.id)
    }
}

impl MasterKey {
    /// From 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &bytes),
            b"fiskal master key id",
        );
        let id = format!("mk-{}", hex::encode(&tag.as_ref()[..8]));
        MasterKey {
            id,
            bytes: Zeroizing::new(bytes),
        }
    }

    /// From base64 text (standard or URL-safe alphabet, padding optional).
    pub fn from_base64(text: &str) -> Result<MasterKey, CryptoError> {
        let t = text.trim();
        let mut raw = Zeroizing::new(
            STANDARD
                .decode(t)
                .or_else(|_| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')))
                .map_err(|_| CryptoError::BadMasterKey)?,
        );
        if raw.len() != 32 {
            raw.zeroize();
            return Err(CryptoError::BadMasterKey);
        }
        let mut b = [0u8; 32];
        b.copy_from_slice(&raw);
        let k = MasterKey::from_bytes(b);
        b.zeroize();
        Ok(k)
    }

    /// A fresh random master key (tests, `fiskal sef gen-master-key`).
    pub fn generate() -> MasterKey {
        let mut b = [0u8; 32];
        // aws-lc-rs' system random generator only fails when the OS has no entropy source.
        aws_lc_rs::rand::fill(&mut b).expect("the system random generator is unavailable");
        let k = MasterKey::from_bytes(b);
        b.zeroize();
        k
    }

    /// The key as base64 (only for writing a new key file).
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(*self.bytes))
    }

    /// The derived id, stored next to every data key it wraps.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn aead(&self) -> Result<LessSafeKey, CryptoError> {
        Ok(LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &*self.bytes).map_err(|_| CryptoError::Cipher)?,
        ))
    }

    fn fingerprint_key(&self) -> hmac::Key {
        let derived = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &*self.bytes),
            b"fiskal sef key fingerprint v1",
        );
        hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
    }
}

/// The current master key plus older ones still accepted for unwrapping.
#[derive(Debug)]
pub struct KeyRing {
    current: MasterKey,
    old: Vec<MasterKey>,
}

/// What is stored for one sealed SEF key (all binary columns of the key record).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedKey {
    /// SEF key ciphertext with the GCM tag.
    pub ciphertext: Vec<u8>,
    /// Nonce of the SEF key ciphertext.
    pub nonce: Vec<u8>,
    /// The data key sealed under the master key (with tag).
    pub wrapped_dek: Vec<u8>,
    /// Nonce of the data-key wrap.
    pub dek_nonce: Vec<u8>,
    /// Id of the master key that wrapped the data key.
    pub master_key_id: String,
}

impl std::fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedKey {{ master_key_id: {}, ciphertext: *** }}",
            self.master_key_id
        )
    }
}

/// The associated data binding a sealed key to its tenant, environment and key version.
pub fn key_aad(tenant_id: i64, environment: &str, key_version: i64) -> Vec<u8> {
    format!("fiskal-sef-key|tenant={tenant_id}|env={environment}|v={key_version}").into_bytes()
}

fn dek_aad(tenant_id: i64, environment: &str, key_version: i64) -> Vec<u8> {
    format!("fiskal-sef-dek|tenant={tenant_id}|env={environment}|v={key_version}").into_bytes()
}

fn random_nonce() -> Result<[u8; NONCE_LEN], CryptoError> {
    let mut n = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut n).map_err(|_| CryptoError::Cipher)?;
    Ok(n)
}

fn seal(
    key: &LessSafeKey,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    let nonce = random_nonce()?;
    let mut buf = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut buf,
    )
    .map_err(|_| CryptoError::Cipher)?;
    Ok((buf, nonce.to_vec()))
}

fn open(
    key: &LessSafeKey,
    aad: &[u8],
    nonce: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Decrypt)?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| CryptoError::Decrypt)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

impl KeyRing {
    /// A ring with one current master key.
    pub fn new(current: MasterKey) -> KeyRing {
        KeyRing {
            current,
            old: Vec::new(),
        }
    }

    /// Adds an older master key accepted for unwrapping.
    pub fn with_old(mut self, old: MasterKey) -> KeyRing {
        if old.id != self.current.id {
            self.old.push(old);
        }
        self
    }

    /// Loads the ring from its sources: the key file (its first key line is the current key,
    /// further non-comment lines older ones) or else the base64 key, then the older keys
    /// (base64, comma-separated). The binary fills [`MasterKeySources`] from its options and
    /// [`MASTER_KEY_FILE_ENV`], [`MASTER_KEY_ENV`] and [`OLD_MASTER_KEYS_ENV`].
    pub fn load(sources: &MasterKeySources) -> Result<KeyRing, CryptoError> {
        let mut keys: Vec<MasterKey> = Vec::new();
        if let Some(path) = &sources.file {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                CryptoError::KeyFile {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }
            })?);
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                keys.push(MasterKey::from_base64(line)?);
            }
        } else if let Some(v) = &sources.key {
            keys.push(MasterKey::from_base64(v)?);
        }
        if keys.is_empty() {
            return Err(CryptoError::MissingMasterKey);
        }
        if let Some(v) = &sources.old_keys {
            for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                keys.push(MasterKey::from_base64(part)?);
            }
        }
        let mut it = keys.into_iter();
        let mut ring = KeyRing::new(it.next().ok_or(CryptoError::MissingMasterKey)?);
        for k in it {
            ring = ring.with_old(k);
        }
        Ok(ring)
    }

    /// Id of the current master key.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    fn find(&self, id: &str) -> Result<&MasterKey, CryptoError> {
        if self.current.id == id {
            return Ok(&self.current);
        }
        self.old
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| CryptoError::UnknownMasterKey(id.to_string()))
    }

    /// Seals a SEF key for (tenant, environment, key version) under a fresh data key.
    pub fn seal_key(
        &self,
        tenant_id: i64,
        environment: &str,
        key_version: i64,
        key: &ApiKey,
    ) -> Result<SealedKey, CryptoError> {
        let mut dek = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(&mut *dek).map_err(|_| CryptoError::Cipher)?;
        let dek_key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &*dek).map_err(|_| CryptoError::Cipher)?,
        );
        let (ciphertext, nonce) = seal(
            &dek_key,
            &key_aad(tenant_id, environment, key_version),
            key.expose().as_bytes(),
        )?;
        let (wrapped_dek, dek_nonce) = seal(
            &self.current.aead()?,
            &dek_aad(tenant_id, environment, key_version),
            &*dek,
        )?;
        Ok(SealedKey {
            ciphertext,
            nonce,
            wrapped_dek,
            dek_nonce,
            master_key_id: self.current.id.clone(),
        })
    }

    fn unwrap_dek(
        &self,
        tenant_id: i64,
        environment: &str,
        key_version: i64,
        sealed: &SealedKey,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mk = self.find(&sealed.master_key_id)?;
        open(
            &mk.aead()?,
            &dek_aad(tenant_id, environment, key_version),
            &sealed.dek_nonce,
            &sealed.wrapped_dek,
        )
    }

    /// Opens a sealed SEF key. Fails if the record belongs to another tenant, environment or
    /// version, or was altered.
    pub fn open_key(
        &self,
        tenant_id: i64,
        environment: &str,
        key_version: i64,
        sealed: &SealedKey,
    ) -> Result<ApiKey, CryptoError> {
        let dek = self.unwrap_dek(tenant_id, environment, key_version, sealed)?;
        let dek_key =
            LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &dek).map_err(|_| CryptoError::Cipher)?);
        let plain = open(
            &dek_key,
            &key_aad(tenant_id, environment, key_version),
            &sealed.nonce,
            &sealed.ciphertext,
        )?;
        let s = std::str::from_utf8(&plain).map_err(|_| CryptoError::Decrypt)?;
        Ok(ApiKey::unchecked(s))
    }

    /// Re-wraps the data key under the current master key; the SEF key ciphertext is unchanged.
    /// Returns `None` when it already is wrapped by the current key.
    pub fn rewrap(
        &self,
        tenant_id: i64,
        environment: &str,
        key_version: i64,
        sealed: &SealedKey,
    ) -> Result<Option<SealedKey>, CryptoError> {
        if sealed.master_key_id == self.current.id {
            return Ok(None);
        }
        let dek = self.unwrap_dek(tenant_id, environment, key_version, sealed)?;
        let (wrapped_dek, dek_nonce) = seal(
            &self.current.aead()?,
            &dek_aad(tenant_id, environment, key_version),
            &dek,
        )?;
        Ok(Some(SealedKey {
            ciphertext: sealed.ciphertext.clone(),
            nonce: sealed.nonce.clone(),
            wrapped_dek,
            dek_nonce,
            master_key_id: self.current.id.clone(),
        }))
    }

    /// Fingerprint of a key under the current master key: hex HMAC-SHA-256 of the lowercase key.
    pub fn fingerprint(&self, key: &ApiKey) -> String {
        fingerprint_with(&self.current, key)
    }

    /// Fingerprint under a given master key id (to compare with records made before a rotation).
    pub fn fingerprint_under(
        &self,
        master_key_id: &str,
        key: &ApiKey,
    ) -> Result<String, CryptoError> {
        Ok(fingerprint_with(self.find(master_key_id)?, key))
    }

    /// Ids of every configured master key, current first.
    pub fn ids(&self) -> Vec<String> {
        std::iter::once(self.current.id.clone())
            .chain(self.old.iter().map(|k| k.id.clone()))
            .collect()
    }
}

fn fingerprint_with(mk: &MasterKey, key: &ApiKey) -> String {
    let lower = Zeroizing::new(key.expose().to_ascii_lowercase());
    hex::encode(hmac::sign(&mk.fingerprint_key(), lower.as_bytes()).as_ref())
}

/// A random URL-safe token of 32 bytes (callback tokens, access tokens).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b).expect("the system random generator is unavailable");
    URL_SAFE_NO_PAD.encode(b)
}

/// SHA-256 hex of bytes (UBL versions, access-token hashes).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref())
}

/// Constant-time equality of two strings (callback subscription keys, tokens).
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: &str = "3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90";

    #[test]
    fn guid_pattern() {
        assert!(is_guid(K));
        assert!(is_guid(&K.to_uppercase()));
        assert!(!is_guid("3f2a9c4e7b1d4e8a9c550d6e1f2a7b90"));
        assert!(!is_guid("3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b9g"));
        assert!(!is_guid(" 3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90"));
        assert!(ApiKey::unchecked("  3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90\n").is_well_formed());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let s = ApiKey::unchecked(K);
        assert_eq!(format!("{s:?}"), "ApiKey(***)");
        assert_eq!(format!("{s}"), "ApiKey(***)");
        assert_eq!(s.last4(), "7b90");
        let mk = MasterKey::generate();
        let dbg = format!("{mk:?}");
        assert!(!dbg.contains(mk.to_base64().as_str()));
        let ring = KeyRing::new(mk);
        let sealed = ring.seal_key(1, "sandbox", 1, &s).unwrap();
        assert!(!format!("{sealed:?}").contains("7b90"));
        assert_eq!(masked_key("5e21"), "••••••••-••••-••••-••••-••••••••5e21");
    }

    #[test]
    fn seal_open_round_trip_and_binding() {
        let ring = KeyRing::new(MasterKey::generate());
        let key = ApiKey::unchecked(K);
        let sealed = ring.seal_key(7, "demo", 2, &key).unwrap();
        assert!(!sealed.ciphertext.windows(4).any(|w| w == b"7b90"));
        assert_eq!(ring.open_key(7, "demo", 2, &sealed).unwrap().expose(), K);
        // Copied to another tenant, environment or version: fails.
        assert!(matches!(
            ring.open_key(8, "demo", 2, &sealed),
            Err(CryptoError::Decrypt)
        ));
        assert!(matches!(
            ring.open_key(7, "production", 2, &sealed),
            Err(CryptoError::Decrypt)
        ));
        assert!(matches!(
            ring.open_key(7, "demo", 3, &sealed),
            Err(CryptoError::Decrypt)
        ));
        // Tampered: fails.
        let mut t = sealed.clone();
        t.ciphertext[0] ^= 1;
        assert!(matches!(
            ring.open_key(7, "demo", 2, &t),
            Err(CryptoError::Decrypt)
        ));
        // Another master key: unknown id.
        let other = KeyRing::new(MasterKey::generate());
        assert!(matches!(
            other.open_key(7, "demo", 2, &sealed),
            Err(CryptoError::UnknownMasterKey(_))
        ));
    }

    #[test]
    fn rotation_rewraps_without_touching_the_ciphertext() {
        let old = MasterKey::generate();
        let old_b64 = old.to_base64();
        let ring1 = KeyRing::new(old);
        let key = ApiKey::unchecked(K);
        let sealed = ring1.seal_key(1, "sandbox", 1, &key).unwrap();
        let ring2 =
            KeyRing::new(MasterKey::generate()).with_old(MasterKey::from_base64(&old_b64).unwrap());
        let rewrapped = ring2.rewrap(1, "sandbox", 1, &sealed).unwrap().unwrap();
        assert_eq!(rewrapped.ciphertext, sealed.ciphertext);
        assert_eq!(rewrapped.master_key_id, ring2.current_id());
        assert!(ring2.rewrap(1, "sandbox", 1, &rewrapped).unwrap().is_none());
        // The new ring without the old key still opens the re-wrapped record.
        let only_new = KeyRing::new(MasterKey::from_base64(&ring2.current.to_base64()).unwrap());
        assert_eq!(
            only_new
                .open_key(1, "sandbox", 1, &rewrapped)
                .unwrap()
                .expose(),
            K
        );
    }

    #[test]
    fn fingerprint_is_case_insensitive_and_keyed() {
        let ring = KeyRing::new(MasterKey::generate());
        let a = ring.fingerprint(&ApiKey::unchecked(K));
        assert_eq!(a, ring.fingerprint(&ApiKey::unchecked(&K.to_uppercase())));
        assert_ne!(
            a,
            KeyRing::new(MasterKey::generate()).fingerprint(&ApiKey::unchecked(K))
        );
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn master_key_parsing() {
        assert!(matches!(
            MasterKey::from_base64("c2hvcnQ="),
            Err(CryptoError::BadMasterKey)
        ));
        let k = MasterKey::generate();
        let again = MasterKey::from_base64(&k.to_base64()).unwrap();
        assert_eq!(k.id(), again.id());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mk");
        std::fs::write(&p, format!("# current\n{}\n", k.to_base64().as_str())).unwrap();
        let ring = KeyRing::load(&MasterKeySources {
            file: Some(p),
            ..MasterKeySources::default()
        })
        .unwrap();
        assert_eq!(ring.current_id(), k.id());
        let old = MasterKey::generate();
        let ring = KeyRing::load(&MasterKeySources {
            file: None,
            key: Some(Zeroizing::new(k.to_base64().to_string())),
            old_keys: Some(Zeroizing::new(format!(" {} ,", old.to_base64().as_str()))),
        })
        .unwrap();
        assert_eq!(ring.current_id(), k.id());
        assert!(matches!(
            KeyRing::load(&MasterKeySources::default()),
            Err(CryptoError::MissingMasterKey)
        ));
    }
}
