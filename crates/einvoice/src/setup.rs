//! Starting Moje fakture from plain settings: the `fiskal` binary parses its options, reads the
//! environment (master key, operator token) and fills [`ServeConfig`]; this module builds the
//! [`Service`] (store, SEF gateways, document tools), runs it with its workers, and runs the
//! maintenance operations of `fiskal sef` (master-key rotation, queueing a file in a store).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fiskal_sef::{SefEnvironment, SefError};
use fiskal_web::Server;

use crate::crypto::KeyRing;
use crate::gateway::SefGateway;
use crate::messages::Lang;
use crate::model::Document;
use crate::sef_gateway::ClientGateway;
use crate::service::{Service, ServiceConfig, ServiceError};
use crate::store::{SqlStore, StoreError, TenantStore};
use crate::ubl_tools::UblTools;

/// Settings of a running Moje fakture (`fiskal sef serve`). `Debug` hides the operator token.
#[derive(Clone)]
pub struct ServeConfig {
    /// Address the server listens on (the default public URL is `http://LISTEN`).
    pub listen: SocketAddr,
    /// Database URL: `sqlite:FILE?mode=rwc` or `postgres://…`.
    pub db_url: String,
    /// Offer the `sandbox` environment at this base URL.
    pub sandbox_url: Option<String>,
    /// Offer SEF production and demo.
    pub official: bool,
    /// Public base URL people and SEF reach the service by.
    pub public_url: Option<String>,
    /// Outbox lease.
    pub lease: Duration,
    /// Largest upload in bytes.
    pub max_upload_bytes: usize,
    /// Timeout of one SEF call (the SEF client's default when `None`).
    pub call_timeout: Option<Duration>,
    /// First retry back-off.
    pub retry_base: Duration,
    /// Sender tick.
    pub tick: Duration,
    /// Token that grants operator access to the API.
    pub operator_token: Option<String>,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("sandbox_url", &self.sandbox_url)
            .field("official", &self.official)
            .field("public_url", &self.public_url)
            .field("lease", &self.lease)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("call_timeout", &self.call_timeout)
            .field("retry_base", &self.retry_base)
            .field("tick", &self.tick)
            .field(
                "operator_token",
                &self.operator_token.as_ref().map(|_| "***"),
            )
            .finish_non_exhaustive()
    }
}

/// Why Moje fakture could not be started or an operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The service's database cannot be opened.
    #[error("cannot open the database: {0}")]
    OpenDatabase(#[source] StoreError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A SEF client cannot be built (a bad base URL, for example).
    #[error(transparent)]
    Sef(#[from] SefError),
    /// A service operation failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// No tenant has this PIB in this environment.
    #[error("no tenant with PIB {pib} in the {environment} environment")]
    NoTenant {
        /// The PIB asked for.
        pib: String,
        /// The environment asked for.
        environment: String,
    },
    /// The service refused a document (the Serbian sentence of the refusal).
    #[error("{0}")]
    Rejected(String),
    /// The server failed while serving.
    #[error(transparent)]
    Serve(#[from] std::io::Error),
}

/// Builds the service of `cfg`: its store (schema brought up to date), one SEF gateway per
/// offered environment, fiskal-ubl's document tools.
pub async fn open_service(cfg: &ServeConfig, ring: KeyRing) -> Result<Service, SetupError> {
    let db = SqlStore::connect(&cfg.db_url)
        .await
        .map_err(SetupError::OpenDatabase)?;
    let mut gws: HashMap<String, Arc<dyn SefGateway>> = HashMap::new();
    if let Some(u) = &cfg.sandbox_url {
        let gw = ClientGateway::new(SefEnvironment::Sandbox, Some(u), cfg.call_timeout)?;
        gws.insert("sandbox".into(), Arc::new(gw));
    }
    if cfg.official {
        for (name, env) in [
            ("production", SefEnvironment::Production),
            ("demo", SefEnvironment::Demo),
        ] {
            let gw = ClientGateway::new(env, None, cfg.call_timeout)?;
            gws.insert(name.into(), Arc::new(gw));
        }
    }
    let service_cfg = ServiceConfig {
        lease: cfg.lease,
        max_upload_bytes: cfg.max_upload_bytes,
        retry_base: cfg.retry_base,
        tick: cfg.tick,
        public_base_url: cfg
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", cfg.listen)),
        operator_token: cfg.operator_token.clone(),
        ..ServiceConfig::default()
    };
    Ok(Service::new(db, ring, gws, Arc::new(UblTools), service_cfg))
}

/// Serves `svc` on `server` and runs its workers until `shutdown` resolves; the requests in
/// flight finish, then the workers stop.
pub async fn run(
    server: Server,
    svc: Service,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), SetupError> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let workers = {
        let svc = svc.clone();
        let mut rx = rx.clone();
        tokio::spawn(async move {
            svc.run_workers(async move {
                let _ = rx.changed().await;
            })
            .await
        })
    };
    let served = crate::api::serve_on(server, svc, shutdown).await;
    let _ = tx.send(true);
    let _ = workers.await;
    served?;
    Ok(())
}

/// A service on `db` without SEF gateways (for the operations below).
fn offline_service(db: SqlStore, ring: KeyRing) -> Service {
    Service::new(
        db,
        ring,
        HashMap::new(),
        Arc::new(UblTools),
        ServiceConfig::default(),
    )
}

/// Re-wraps every stored data key of the store at `db_url` under the ring's current master key;
/// returns how many records changed.
pub async fn rotate_master_key(db_url: &str, ring: KeyRing) -> Result<usize, SetupError> {
    let db = SqlStore::connect(db_url).await?;
    Ok(offline_service(db, ring).rotate_master_key().await?)
}

/// Validates a UBL document and queues it in the outbox of the tenant with `pib` in
/// `environment`, in the store at `db_url`; a running service sends it.
pub async fn queue_document(
    db_url: &str,
    environment: &str,
    pib: &str,
    xml: &[u8],
    ring: KeyRing,
) -> Result<Document, SetupError> {
    let db = SqlStore::connect(db_url).await?;
    let tenant = db
        .tenant_by_pib(environment, pib)
        .await?
        .ok_or_else(|| SetupError::NoTenant {
            pib: pib.to_string(),
            environment: environment.to_string(),
        })?;
    offline_service(db, ring)
        .submit_xml(tenant.id, xml, "cli")
        .await
        .map_err(|e| SetupError::Rejected(e.text(Lang::SrLatn)))
}
