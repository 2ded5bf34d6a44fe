//! Test-only faults (cargo feature `fault-injection`, off in a normal build): switches the
//! binary sets when a black-box test asks for them, so a test can crash the L-PFR at the one
//! moment it wants to prove safe. The library reads no environment; `fiskal pfr serve` turns the
//! switch on from `FISKAL_FAULT_CRASH_AFTER_SIGN` when built with the feature.

use std::sync::atomic::{AtomicBool, Ordering};

static CRASH_AFTER_SIGN: AtomicBool = AtomicBool::new(false);

/// Abort the process after the SE signed (and persisted its counters) but before the journal
/// stored the receipts: the crash that start-up recovery must repair.
pub fn crash_after_sign(on: bool) {
    CRASH_AFTER_SIGN.store(on, Ordering::SeqCst);
}

/// Whether [`crash_after_sign`] is on.
pub(crate) fn crashes_after_sign() -> bool {
    CRASH_AFTER_SIGN.load(Ordering::SeqCst)
}
