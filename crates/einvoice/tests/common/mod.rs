//! Test harness: a SEF sandbox in-process and the service on SQLite or PostgreSQL over real
//! connections, each test on a fresh [`TestDb`] (PostgreSQL: a schema of its own on
//! `FISKAL_TEST_PG_URL`; if PostgreSQL is unreachable the test fails). Scenarios that run on
//! both backends take a `TestDb` and are listed in `fiskal_testkit::store_contract!`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate};
use fiskal_einvoice::clock::OffsetClock;
use fiskal_einvoice::crypto::{ApiKey, KeyRing, MasterKey};
use fiskal_einvoice::demo::DEMO_BUYER;
use fiskal_einvoice::gateway::SefGateway;
use fiskal_einvoice::model::{DocState, Document};
use fiskal_einvoice::sef_gateway::ClientGateway;
use fiskal_einvoice::service::{Registered, Registration, Service, ServiceConfig};
use fiskal_einvoice::store::SqlStore;
use fiskal_einvoice::ubl_tools::UblTools;
use fiskal_sef::SefEnvironment;
use fiskal_sef::sandbox::{SandboxConfig, SandboxHandle};
use fiskal_ubl::PartyInput;

pub use fiskal_testkit::{Backend, TestDb};

/// A test environment.
pub struct Env {
    /// The service.
    pub svc: Service,
    /// The sandbox.
    pub sb: SandboxHandle,
    /// The service clock.
    pub clock: OffsetClock,
    /// The database URL.
    pub db_url: String,
    /// Backend.
    pub backend: Backend,
    /// Master key (base64) so a second service can open the same store.
    pub master_b64: String,
    /// The service's store (the same pool), for raw SQL in tests.
    pub store: SqlStore,
    db: TestDb,
}

/// Test defaults: short timeouts, fast re-checks off (tests set them), no daily jobs.
pub fn test_config() -> ServiceConfig {
    ServiceConfig {
        tick: Duration::from_millis(50),
        daily_jobs: false,
        retry_base: Duration::from_millis(100),
        retry_cap: Duration::from_millis(400),
        lease: Duration::from_secs(5),
        // The service spaces call starts per key; the sandbox judges their arrivals. On a machine
        // busy with other work the two differ by more than the production margin of 100 ms, and
        // a 429 would then stall a test's key check, so tests keep a wider margin (what they check,
        // at most 3 starts per key per second, is the same).
        rate_window_ms: 1500,
        ..ServiceConfig::default()
    }
}

impl Env {
    /// A sandbox, the demo buyer registered in it, and a service on a fresh store.
    pub async fn new(backend: Backend) -> Env {
        Env::on(TestDb::new(backend).await).await
    }

    /// As [`Env::new`] with a configuration.
    pub async fn with_config(backend: Backend, cfg: ServiceConfig) -> Env {
        Env::with_config_on(TestDb::new(backend).await, cfg).await
    }

    /// As [`Env::new`] on a given fresh database.
    pub async fn on(db: TestDb) -> Env {
        Env::with_config_on(db, test_config()).await
    }

    /// As [`Env::on`] with a configuration.
    pub async fn with_config_on(db: TestDb, cfg: ServiceConfig) -> Env {
        let sb = fiskal_testkit::sef::sandbox(SandboxConfig::default()).await;
        sb.sandbox()
            .update_settings(serde_json::json!({ "faultDelayMs": 2500 }))
            .await
            .unwrap();
        sb.company_with_key(DEMO_BUYER.0, DEMO_BUYER.1, DEMO_BUYER.2)
            .await
            .unwrap();
        let db_url = db.url().to_string();
        let backend = db.backend();
        let master = MasterKey::generate();
        let master_b64 = master.to_base64().to_string();
        let clock = OffsetClock::new();
        let (svc, store) = build_service(&db_url, &sb.base_url(), master, cfg, clock.clone()).await;
        Env {
            svc,
            sb,
            clock,
            db_url,
            backend,
            master_b64,
            store,
            db,
        }
    }

    /// Registers a company in the sandbox (with a key) and returns the key.
    pub async fn sandbox_company(&self, pib: &str, mb: &str, name: &str) -> String {
        self.sb.company_with_key(pib, mb, name).await.unwrap()
    }

    /// Registers a company in the sandbox and with the service.
    pub async fn tenant(&self, pib: &str) -> (Registered, String) {
        let mb = mb_for(pib);
        let name = format!("Firma {pib} d.o.o.");
        let key = self.sandbox_company(pib, &mb, &name).await;
        let reg = self
            .svc
            .register(registration(pib, &key), "test")
            .await
            .unwrap();
        (reg, key)
    }

    /// A valid 380 of `supplier_pib`, dated today on the service clock.
    pub fn invoice(&self, supplier_pib: &str, number: &str) -> Vec<u8> {
        invoice_xml(supplier_pib, number, self.svc.today())
    }

    /// Runs the sender until no document of the tenant is `queued`/`sending`, or the time is up.
    pub async fn drain(&self, tenant: i64, max: Duration) {
        // At least a minute: the loop ends as soon as nothing is pending, so a generous bound
        // costs nothing on a quiet machine and keeps a busy one from failing.
        let end = tokio::time::Instant::now() + max.max(Duration::from_secs(60));
        loop {
            self.svc.run_sender_once().await;
            let pending = self
                .svc
                .store()
                .count_in_states(tenant, &[DocState::Queued, DocState::Sending])
                .await
                .unwrap();
            if pending == 0 || tokio::time::Instant::now() > end {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A document.
    pub async fn doc(&self, tenant: i64, id: i64) -> Document {
        self.svc
            .store()
            .document(tenant, id)
            .await
            .unwrap()
            .unwrap()
    }

    /// Documents the sandbox holds for a supplier.
    pub async fn sandbox_docs(&self, supplier_pib: &str) -> Vec<fiskal_sef::sandbox::Document> {
        self.sb
            .sandbox()
            .documents()
            .await
            .into_iter()
            .filter(|d| d.supplier_pib == supplier_pib)
            .collect()
    }

    /// Sets both clocks (service and sandbox) to a Belgrade local time.
    pub async fn set_time(&self, at: DateTime<FixedOffset>) {
        self.clock.set(at.with_timezone(&chrono::Utc));
        self.sb.sandbox().set_now(at).await;
    }

    /// Closes the store and drops the PostgreSQL schema.
    pub async fn cleanup(self) {
        self.store.pool().close().await;
        self.db.cleanup().await;
    }
}

/// Builds a service on a store and a sandbox; returns the service and its store.
pub async fn build_service(
    db_url: &str,
    sandbox_url: &str,
    master: MasterKey,
    cfg: ServiceConfig,
    clock: OffsetClock,
) -> (Service, SqlStore) {
    let db = SqlStore::connect(db_url).await.unwrap();
    let gw: Arc<dyn SefGateway> = Arc::new(
        ClientGateway::new(
            SefEnvironment::Sandbox,
            Some(sandbox_url),
            Some(Duration::from_millis(1500)),
        )
        .unwrap(),
    );
    let mut gws = HashMap::new();
    gws.insert("sandbox".to_string(), gw);
    let svc = Service::with_clock(
        db.clone(),
        KeyRing::new(master),
        gws,
        Arc::new(UblTools),
        cfg,
        Arc::new(clock),
    );
    (svc, db)
}

/// A valid PIB with the given 8-digit body (MOD 11,10 check digit appended).
pub fn pib(body: u32) -> String {
    let b = format!("{body:08}");
    let mut p = 10;
    for c in b.bytes() {
        let mut s = (p + u32::from(c - b'0')) % 10;
        if s == 0 {
            s = 10;
        }
        p = (2 * s) % 11;
    }
    format!("{b}{}", (11 - p) % 10)
}

/// A deterministic MB for a PIB.
pub fn mb_for(pib: &str) -> String {
    format!("9{}", &pib[2..9])
}

/// The onboarding form for a sandbox company.
pub fn registration(pib: &str, key: &str) -> Registration {
    Registration {
        environment: "sandbox".into(),
        pib: pib.into(),
        mb: mb_for(pib),
        jbkjs: None,
        name: format!("Firma {pib} d.o.o."),
        trading_name: None,
        street: "Bulevar 1".into(),
        city: "Novi Sad".into(),
        postal_code: "21000".into(),
        bank_accounts: vec![fiskal_ubl::samples::SAMPLE_ACCOUNT.into()],
        contact_email: Some(format!("admin@{pib}.example")),
        api_key: ApiKey::unchecked(key),
    }
}

/// A valid 380 from `supplier_pib` to the demo buyer.
pub fn invoice_xml(supplier_pib: &str, number: &str, day: NaiveDate) -> Vec<u8> {
    let seller = PartyInput::new(
        supplier_pib,
        &mb_for(supplier_pib),
        &format!("Firma {supplier_pib} d.o.o."),
        "Bulevar 1",
        "Novi Sad",
        "21000",
    );
    let doc = fiskal_ubl::samples::sample_invoice_builder(number, day, 1)
        .supplier(seller)
        .build()
        .unwrap();
    fiskal_ubl::to_xml(&doc).into_bytes()
}

/// Belgrade local time.
pub fn belgrade(y: i32, m: u32, d: u32, hh: u32, mm: u32, ss: u32) -> DateTime<FixedOffset> {
    use chrono::TimeZone;
    chrono_tz::Europe::Belgrade
        .with_ymd_and_hms(y, m, d, hh, mm, ss)
        .unwrap()
        .fixed_offset()
}
