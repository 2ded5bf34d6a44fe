//! The SEF sandbox for tests (feature `sef`): thin wrappers around fiskal-sef's own launcher
//! ([`fiskal_sef::sandbox::spawn`]) and sample data ([`Sandbox::seed_samples`]), which stay
//! product code because `fiskal demo` and `fiskal sef sandbox` use them too.
//!
//! [`Sandbox::seed_samples`]: fiskal_sef::sandbox::Sandbox::seed_samples

use fiskal_sef::sandbox::{self, SampleKeys, SandboxConfig, SandboxHandle};

/// A sandbox serving on a free loopback port. Panics (fails the test) when it cannot start.
pub async fn sandbox(config: SandboxConfig) -> SandboxHandle {
    sandbox::spawn(config, sandbox::LOOPBACK_ANY_PORT)
        .await
        .unwrap_or_else(|e| panic!("the SEF sandbox did not start on 127.0.0.1:0: {e}"))
}

/// A fresh in-memory sandbox with the sample companies of fiskal-ubl's samples registered
/// (seller, buyer, budget-user buyer), and their keys.
pub async fn seeded_sandbox() -> (SandboxHandle, SampleKeys) {
    let h = sandbox(SandboxConfig::default()).await;
    let keys = h
        .sandbox()
        .seed_samples()
        .await
        .unwrap_or_else(|e| panic!("seeding the SEF sandbox failed: {e}"));
    (h, keys)
}
