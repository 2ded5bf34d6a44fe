//! Target `se_state_file`: opening a software SE's state file (`{UID}.fse`) with its password.

use std::path::PathBuf;

use fiskal_se::soft::SoftSe;

/// Password of the seed state files in `fuzz/corpus/se_state_file/`.
pub const STATE_PASSWORD: &str = "fuzz-state-password";

/// Largest key-derivation costs the check lets `SoftSe::open` run (Argon2id memory in KiB and
/// iterations). `SoftSe::open` accepts up to 1 GiB and 64 iterations, which is bounded but takes
/// seconds; the seeds use 256 KiB and one iteration so that the fuzzer stays fast.
const FUZZ_MAX_MEMORY_KIB: u64 = 1024;
const FUZZ_MAX_ITERATIONS: u64 = 2;

/// Writes `data` as a state file and opens it with [`STATE_PASSWORD`]: garbage must be refused
/// with an error, never a panic; a file that opens must give a usable SE.
///
/// The inner JSON is only reachable through AES-256-GCM with the password's key: fiskal-se has
/// no public function that parses the decrypted state, so mutations of the ciphertext stop at
/// the tag check. Files asking for more key derivation than the bounds above are skipped.
pub fn check_se_state_file(data: &[u8]) {
    if too_costly(data) {
        return;
    }
    let path = temp_path();
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let opened = SoftSe::open(&path, STATE_PASSWORD);
    let _ = std::fs::remove_file(&path);
    if let Ok(se) = opened {
        let _ = se.certificate_info();
        let _ = se.seller();
        let _ = se.audit_state();
        let _ = se.cumulative();
        let _ = se.last_signed_time();
        let _ = se.signing_enabled();
    }
}

fn too_costly(data: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return false;
    };
    let kdf = &v["kdf"];
    let over = |name: &str, max: u64| kdf[name].as_u64().is_some_and(|n| n > max);
    over("memoryKiB", FUZZ_MAX_MEMORY_KIB) || over("iterations", FUZZ_MAX_ITERATIONS)
}

fn temp_path() -> PathBuf {
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    std::env::temp_dir().join(format!(
        "fiskal-fuzz-state-{}-{thread}.fse",
        std::process::id()
    ))
}
