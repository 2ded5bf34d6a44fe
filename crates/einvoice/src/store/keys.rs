//! SEF API keys: sealed key versions, their states and checks, and the per-key call-rate window.

use crate::crypto::SealedKey;
use crate::model::KeyState;

use super::error::StoreFuture;
use super::records::{KeyRecord, NewKey};

/// SEF API keys: sealed key versions, their states and checks, and the per-key call-rate window.
pub trait KeyStore: Send + Sync {
    /// Inserts a new active key version of `tenant_id`, marking the previous one `replaced` and
    /// deleting its ciphertext (§4.2), in one transaction. Returns the new record id.
    fn insert_key<'a>(
        &'a self,
        tenant_id: i64,
        key: &'a NewKey<'a>,
        sealed: &'a SealedKey,
        now: i64,
    ) -> StoreFuture<'a, i64>;

    /// The newest key record of a tenant.
    fn current_key(&self, tenant_id: i64) -> StoreFuture<'_, Option<KeyRecord>>;

    /// Every key record of a tenant, newest first (no material leaves the service).
    fn key_history(&self, tenant_id: i64) -> StoreFuture<'_, Vec<KeyRecord>>;

    /// Every key record that still holds material (for master-key rotation and fingerprints).
    fn sealed_keys(&self) -> StoreFuture<'_, Vec<(KeyRecord, String)>>;

    /// Whether a non-replaced key record of another tenant has this fingerprint.
    fn fingerprint_used_elsewhere<'a>(
        &'a self,
        fingerprint: &'a str,
        tenant_id: Option<i64>,
    ) -> StoreFuture<'a, bool>;

    /// Replaces the sealed material of a record (master-key rotation) and its fingerprint.
    fn update_sealed<'a>(
        &'a self,
        key_id: i64,
        sealed: &'a SealedKey,
        fingerprint: &'a str,
    ) -> StoreFuture<'a, ()>;

    /// Records a successful key check or SEF call.
    fn key_success<'a>(
        &'a self,
        key_id: i64,
        sef_version: Option<&'a str>,
        was_check: bool,
        now: i64,
    ) -> StoreFuture<'a, ()>;

    /// Records the outcome of a failed key check.
    fn key_check_failed<'a>(
        &'a self,
        key_id: i64,
        outcome: &'a str,
        now: i64,
    ) -> StoreFuture<'a, ()>;

    /// Moves a key to a new state if it is currently in `from` (compare-and-set); returns whether
    /// it changed. `got_401` also stamps `last_401_at`.
    fn set_key_state(
        &self,
        key_id: i64,
        from: KeyState,
        to: KeyState,
        next_recheck_at: Option<i64>,
        got_401: bool,
        now: i64,
    ) -> StoreFuture<'_, bool>;

    /// Sets the time of the next automatic re-check.
    fn set_next_recheck(&self, key_id: i64, at: Option<i64>) -> StoreFuture<'_, ()>;

    /// Key state-change time.
    fn key_state_changed_at(&self, key_id: i64) -> StoreFuture<'_, i64>;

    /// Tenants whose current key is `invalid` or `isp_blocked` with a re-check due.
    fn keys_due_for_recheck(&self, now: i64) -> StoreFuture<'_, Vec<i64>>;

    /// Tries to take one call start for a key (sliding window: at most 3 starts in any window of
    /// `window_ms`), in the database's own real-time clock so every process agrees. Returns
    /// `Ok(None)` when granted, or how many milliseconds to wait before trying again. Atomic in one
    /// statement, so it is shared by every process using this store.
    fn rate_try_acquire<'a>(
        &'a self,
        fingerprint: &'a str,
        window_ms: i64,
    ) -> StoreFuture<'a, Option<i64>>;
}
