//! The [`Service`] itself: its parts (store, key ring, SEF gateways, document tools, clock), access by token, and the per-key call gate of every SEF call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use tokio::sync::{Notify, Semaphore};

use crate::clock::{Clock, SystemClock, belgrade_date};
use crate::crypto::{ApiKey, KeyRing, random_token, sha256_hex};
use crate::gateway::{Auth, SefGateway};
use crate::model::{Document, Tenant};
use crate::store::Store;
use crate::tools::DocumentTools;

use super::config::ServiceConfig;
use super::error::{SResult, ServiceError};

/// The Moje fakture service. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) db: Arc<dyn Store>,
    pub(super) ring: KeyRing,
    pub(super) gateways: HashMap<String, Arc<dyn SefGateway>>,
    pub(super) tools: Arc<dyn DocumentTools>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) cfg: ServiceConfig,
    pub(super) instance: String,
    pub(super) wake: Notify,
    pub(super) inflight: Semaphore,
    pub(super) daily: Mutex<HashMap<String, NaiveDate>>,
    pub(super) last_reconcile: Mutex<HashMap<i64, i64>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("instance", &self.inner.instance)
            .field(
                "environments",
                &self.inner.gateways.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Service {
    /// Builds the service. `gateways` maps environment names (`production`, `demo`, `sandbox`)
    /// to SEF gateways.
    pub fn new(
        db: impl Store,
        ring: KeyRing,
        gateways: HashMap<String, Arc<dyn SefGateway>>,
        tools: Arc<dyn DocumentTools>,
        cfg: ServiceConfig,
    ) -> Service {
        Service::with_clock(db, ring, gateways, tools, cfg, Arc::new(SystemClock))
    }

    /// As [`Service::new`] with an injected clock.
    pub fn with_clock(
        db: impl Store,
        ring: KeyRing,
        gateways: HashMap<String, Arc<dyn SefGateway>>,
        tools: Arc<dyn DocumentTools>,
        cfg: ServiceConfig,
        clock: Arc<dyn Clock>,
    ) -> Service {
        let inflight = Semaphore::new(cfg.global_inflight_max.max(1));
        Service {
            inner: Arc::new(Inner {
                db: Arc::new(db),
                ring,
                gateways,
                tools,
                clock,
                cfg,
                instance: format!("mf-{}", &random_token()[..12]),
                wake: Notify::new(),
                inflight,
                daily: Mutex::new(HashMap::new()),
                last_reconcile: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.inner.db.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.inner.cfg
    }

    /// The document tools.
    pub fn tools(&self) -> &Arc<dyn DocumentTools> {
        &self.inner.tools
    }

    /// Now (Unix ms) on the service clock.
    pub fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Today in Belgrade on the service clock.
    pub fn today(&self) -> NaiveDate {
        belgrade_date(self.now())
    }

    pub(super) fn gateway(&self, env: &str) -> SResult<&Arc<dyn SefGateway>> {
        self.inner
            .gateways
            .get(env)
            .ok_or_else(|| ServiceError::UnknownEnvironment(env.to_string()))
    }

    /// Environments this deployment offers.
    pub fn environments(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner.gateways.keys().cloned().collect();
        v.sort();
        v
    }

    /// Wakes the sender.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    pub(super) fn callback_url(&self, token: &str) -> String {
        format!(
            "{}/sef/callback/{token}",
            self.inner.cfg.public_base_url.trim_end_matches('/')
        )
    }

    /// The tenant an access token belongs to.
    pub async fn authenticate(&self, token: &str) -> SResult<Tenant> {
        if token.is_empty() {
            return Err(ServiceError::Unauthorized);
        }
        self.inner
            .db
            .tenant_by_access_hash(&sha256_hex(token.as_bytes()))
            .await?
            .ok_or(ServiceError::Unauthorized)
    }

    /// Whether the token is the operator token.
    pub fn is_operator(&self, token: &str) -> bool {
        self.inner
            .cfg
            .operator_token
            .as_deref()
            .is_some_and(|t| crate::crypto::ct_eq(t, token))
    }

    /// A document of a tenant, or [`ServiceError::NotFound`].
    pub(super) async fn stored_document(&self, tenant_id: i64, doc_id: i64) -> SResult<Document> {
        self.inner
            .db
            .document(tenant_id, doc_id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// A tenant by id.
    pub async fn tenant(&self, id: i64) -> SResult<Tenant> {
        self.inner
            .db
            .tenant(id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Waits for a call slot of the key (shared through the store, §5). Background reads also
    /// respect `background_calls_per_s` = 1 (at most 3 starts per 3 windows).
    /// The credentials of one SEF call: the key plus the call gate of the key's shared rate
    /// limit (§5), taken by the client right before the request leaves. Background reads also
    /// respect `background_calls_per_s` = 1.
    pub(super) fn auth(&self, key: &ApiKey, fingerprint: &str, background: bool) -> Auth {
        Auth {
            key: key.clone(),
            gate: Arc::new(DbGate {
                db: self.inner.db.clone(),
                fingerprint: fingerprint.to_string(),
                window_ms: self.inner.cfg.rate_window_ms,
                background,
            }),
        }
    }
}

/// The per-key sliding-window limit kept in the shared store (`sef-api.md` §5), as the SEF
/// client's call gate.
struct DbGate {
    db: Arc<dyn Store>,
    fingerprint: String,
    window_ms: i64,
    background: bool,
}

impl DbGate {
    async fn take(&self, name: &str, window_ms: i64) {
        let mut failures = 0;
        loop {
            match self.db.rate_try_acquire(name, window_ms).await {
                Ok(None) => return,
                Ok(Some(wait)) => {
                    tokio::time::sleep(Duration::from_millis(wait.clamp(1, 5000) as u64)).await
                }
                Err(e) => {
                    // The store is unreachable: wait a full window (conservative) and go on.
                    failures += 1;
                    tracing::warn!(error = %e, "rate limiter store failed");
                    tokio::time::sleep(Duration::from_millis(window_ms as u64)).await;
                    if failures >= 3 {
                        return;
                    }
                }
            }
        }
    }
}

impl fiskal_sef::CallGate for DbGate {
    fn acquire(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if self.background {
                self.take(&format!("{}:bg", self.fingerprint), 3 * self.window_ms)
                    .await;
            }
            self.take(&self.fingerprint, self.window_ms).await;
        })
    }
}
