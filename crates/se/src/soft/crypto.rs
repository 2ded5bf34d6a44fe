//! Key derivation, the PIN hash and randomness of the software SE.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use fiskal_domain::counter::Uid;
use zeroize::Zeroizing;

use crate::{Pin, SeError};

/// Argon2id parameters of the PIN hash (lighter than the file key: it runs on every Verify PIN).
const PIN_MEMORY_KIB: u32 = 19456;
const PIN_ITERATIONS: u32 = 2;
const PIN_PARALLELISM: u32 = 1;

pub(super) fn storage<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> SeError + '_ {
    move |e| SeError::Storage(format!("{what}: {e}"))
}

pub(super) fn random<const N: usize>() -> Result<[u8; N], SeError> {
    let mut b = [0u8; N];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| SeError::Storage("the system has no randomness".into()))?;
    Ok(b)
}

/// A random UID: 8 characters from `A–Z0–9`, from the system CSPRNG.
pub fn generate_uid() -> Result<Uid, SeError> {
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::with_capacity(8);
    while out.len() < 8 {
        for b in random::<16>()? {
            // 252 = 7 × 36: rejection sampling keeps the distribution uniform.
            if b < 252 && out.len() < 8 {
                out.push(char::from(ALPHABET[usize::from(b % 36)]));
            }
        }
    }
    Uid::parse(&out).map_err(|e| SeError::Storage(e.to_string()))
}

pub(super) fn argon2(
    m: u32,
    t: u32,
    p: u32,
    out: Option<usize>,
) -> Result<argon2::Argon2<'static>, SeError> {
    let params = argon2::Params::new(m, t, p, out).map_err(storage("Argon2 parameters"))?;
    Ok(argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    ))
}

pub(super) fn derive_key(password: &str, kdf: &KdfParams) -> Result<Zeroizing<[u8; 32]>, SeError> {
    let a = argon2(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))?;
    let mut key = Zeroizing::new([0u8; 32]);
    a.hash_password_into(password.as_bytes(), &kdf.salt, key.as_mut())
        .map_err(storage("Argon2id"))?;
    Ok(key)
}

pub(super) fn hash_pin(pin: &Pin) -> Result<String, SeError> {
    let salt = SaltString::encode_b64(&random::<16>()?).map_err(storage("PIN salt"))?;
    let a = argon2(PIN_MEMORY_KIB, PIN_ITERATIONS, PIN_PARALLELISM, None)?;
    let ascii = Zeroizing::new(pin.to_ascii());
    Ok(a.hash_password(ascii.as_bytes(), &salt)
        .map_err(storage("PIN hash"))?
        .to_string())
}

/// Constant-time PIN check through the Argon2 verifier (parameters come from the PHC string).
pub(super) fn pin_matches(pin: &Pin, phc: &str) -> Result<bool, SeError> {
    let hash = PasswordHash::new(phc).map_err(storage("PIN hash in the state file"))?;
    let ascii = Zeroizing::new(pin.to_ascii());
    Ok(argon2::Argon2::default()
        .verify_password(ascii.as_bytes(), &hash)
        .is_ok())
}

/// Key-derivation parameters and salt of one state file.
#[derive(Clone)]
pub(super) struct KdfParams {
    pub(super) memory_kib: u32,
    pub(super) iterations: u32,
    pub(super) parallelism: u32,
    pub(super) salt: Vec<u8>,
}
