//! Per-key call limiter: at most N call starts in any window (`sef-api.md` §5).
//!
//! A token bucket of capacity 3 refilled at 3/s would let 6 calls start within one second, so the
//! limiter is a sliding window: a call may start only when the N-th most recent start lies at
//! least `window + margin` in the past.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex as StdMutex, Weak};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

/// Something every SEF call of one key passes before it starts. The default is the in-process
/// [`SlidingWindowLimiter`]; a multi-process service plugs in one backed by its shared store.
pub trait CallGate: Send + Sync {
    /// Waits until the next call may start and records its start.
    fn acquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Limits of the sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per window (SEF: 3).
    pub max_calls: usize,
    /// The window (SEF: 1 s).
    pub window: Duration,
    /// Safety margin added to the window (default 100 ms).
    pub margin: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            max_calls: 3,
            window: Duration::from_secs(1),
            margin: Duration::from_millis(100),
        }
    }
}

/// In-process sliding-window limiter. Waiters are served in arrival order.
#[derive(Debug)]
pub struct SlidingWindowLimiter {
    limit: RateLimit,
    starts: tokio::sync::Mutex<VecDeque<Instant>>,
}

impl SlidingWindowLimiter {
    /// A limiter with the given limits.
    pub fn new(limit: RateLimit) -> SlidingWindowLimiter {
        SlidingWindowLimiter {
            limit,
            starts: tokio::sync::Mutex::new(VecDeque::new()),
        }
    }

    /// The shared limiter for `(scope, key)` in this process: every client built for the same key
    /// and base URL gets the same instance while any of them lives.
    pub fn shared_for(scope: &str, key: &str, limit: RateLimit) -> Arc<SlidingWindowLimiter> {
        static REGISTRY: LazyLock<StdMutex<HashMap<[u8; 32], Weak<SlidingWindowLimiter>>>> =
            LazyLock::new(|| StdMutex::new(HashMap::new()));
        let mut h = Sha256::new();
        h.update(scope.as_bytes());
        h.update([0u8]);
        h.update(key.as_bytes());
        let id: [u8; 32] = h.finalize().into();
        let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
        reg.retain(|_, w| w.strong_count() > 0);
        if let Some(l) = reg.get(&id).and_then(Weak::upgrade) {
            return l;
        }
        let l = Arc::new(SlidingWindowLimiter::new(limit));
        reg.insert(id, Arc::downgrade(&l));
        l
    }

    /// Waits for a free slot and records the start.
    pub async fn acquire_slot(&self) {
        let span = self.limit.window + self.limit.margin;
        let mut starts = self.starts.lock().await;
        loop {
            let now = Instant::now();
            while starts
                .front()
                .is_some_and(|t| now.duration_since(*t) >= span)
            {
                starts.pop_front();
            }
            if starts.len() < self.limit.max_calls.max(1) {
                starts.push_back(now);
                return;
            }
            let oldest = starts[starts.len() - self.limit.max_calls.max(1)];
            tokio::time::sleep_until(oldest + span).await;
        }
    }
}

impl CallGate for SlidingWindowLimiter {
    fn acquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.acquire_slot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn never_more_than_three_starts_per_window() {
        let l = Arc::new(SlidingWindowLimiter::new(RateLimit {
            max_calls: 3,
            window: Duration::from_millis(200),
            margin: Duration::from_millis(20),
        }));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let l = l.clone();
            tasks.push(tokio::spawn(async move {
                l.acquire_slot().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort();
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|u| u.duration_since(*t) < Duration::from_millis(200))
                .count();
            assert!(in_window <= 3, "{in_window} starts within one window");
        }
        // 10 calls need at least 3 full windows.
        assert!(times[9].duration_since(t0) >= Duration::from_millis(600));
    }

    #[test]
    fn shared_registry_returns_same_instance() {
        let a = SlidingWindowLimiter::shared_for("x", "k1", RateLimit::default());
        let b = SlidingWindowLimiter::shared_for("x", "k1", RateLimit::default());
        let c = SlidingWindowLimiter::shared_for("x", "k2", RateLimit::default());
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
