//! fiskal's software secure element (secure-element.md §8).
//!
//! One password-protected state file per SE, `{UID}.fse`: an outer JSON envelope
//! (`fiskal-soft-se/1`, Argon2id key derivation, AES-256-GCM) around the inner JSON state of
//! §8.1. The key is derived once when the SE is opened and kept in memory (zeroized on drop);
//! every write uses a fresh nonce and is atomic (temporary file, fsync, rename, fsync of the
//! folder). Signing persists the new counters **before** the signatures are returned.
//!
//! The software SE behaves like the smart card (PIN with 5 tries, limit, audits, directives)
//! but is not tamper-proof: anyone with the file and the password can restore an older copy.

mod crypto;
mod element;
mod file;
mod issue;
mod sign;
mod state;

pub use crypto::generate_uid;
pub use issue::CreateParams;
pub use state::SoftSe;

/// Format tag of the state file (outer JSON `format`).
pub const FORMAT: &str = "fiskal-soft-se/1";
/// Version text the software SE reports (`secureElementVersion`).
pub const VERSION: &str = "fiskal-soft-1";
/// PIN tries of a fresh or unlocked SE.
pub const MAX_PIN_TRIES: u8 = 5;
/// Most tax categories in one invoice.
pub const MAX_CATEGORIES: usize = 12;
/// Shortest accepted state-file password (characters).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Most signatures the state file keeps for recovery (Get Last Signed Invoice generalised): the
/// current and the previous signing group, each at most the L-PFR's largest group (64).
pub const RECENT_SIGNED_MAX: usize = 128;
/// Argon2id memory of the state-file key derivation, KiB.
pub const KDF_MEMORY_KIB: u32 = 65536;
/// Argon2id iterations of the state-file key derivation.
pub const KDF_ITERATIONS: u32 = 3;
/// Argon2id parallelism of the state-file key derivation.
pub const KDF_PARALLELISM: u32 = 1;
