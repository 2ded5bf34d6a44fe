//! Test PKI of fiskal's SUF (`fiskal suf ca ...`, suf-backend.md §9): a root and an issuing CA
//! for one environment, secure-element certificates (classes V33/V34) and V-PFR client
//! certificates (class V32) delivered as PFX files with a PFX password and a PAC.
//!
//! **fiskal chooses** (suf-backend.md §9, secure-element.md §7):
//!
//! - Root CA RSA-4096 (20 years), issuing CA RSA-3072 (10 years), leaf keys RSA-2048 (2 years);
//!   signatures RSA PKCS#1 v1.5 SHA-256.
//! - Every certificate carries its environment twice: in the CA names (`fiskal sandbox root CA`)
//!   and in the env digit of the OID arc `1.3.6.1.4.1.49952.{env}.8`: the environment marker
//!   extension `….{env}.8.0` (a `UTF8String` with the environment name) is in every certificate,
//!   leaves also carry the class EKU `….{env}.8.3.{n}` and the TIN extension `….{env}.8.6`.
//!   Env digits: production 3, sandbox 5, local 1 ("internal"). `fiskal se init` issues its
//!   bundle's SE certificates with digit 1 too (bundles made before carry 5 and still load).
//! - A [`Verifier`] is made for exactly one environment; a certificate of another environment is
//!   refused with [`CaError::EnvironmentMismatch`] before any signature is looked at, and its
//!   trust anchor must itself be a root of that environment.
//! - UID: 8 characters `A–Z0–9` from the CSPRNG, unique in the registry; PFX password 8 and PAC 6
//!   characters from the same alphabet; PIN 4 digits. PAC and PIN are stored only as Argon2id
//!   PHC strings in `registry.json`; the PFX password is stored nowhere. All are returned once.
//!
//! Layout of a CA folder:
//!
//! | Path | Content |
//! |---|---|
//! | `ca.json` | format and environment |
//! | `root-ca.crt`, `issuing-ca.crt` | certificates, PEM |
//! | `root-ca.key`, `issuing-ca.key` | PKCS#8 PEM, mode 0600 |
//! | `registry.json` | what was issued: UID, class, TIN, serials, PAC/PIN hashes |
//! | `issued/{UID}.pfx` | default place of issued PFX files (mode 0600) |

mod base;
mod parts;
mod pki;
mod verify;

pub use self::base::*;
pub use self::parts::*;
pub use self::pki::*;
pub use self::verify::*;
