//! Shared test fixtures: a local environment made by `fiskal_se::env::init`, its software SE,
//! real receipts built the L-PFR's way, and SUF stores on fresh SQLite or PostgreSQL test
//! databases ([`TestDb`]; scenarios on both are listed in `fiskal_testkit::store_contract!`).
#![allow(dead_code)]

use std::path::Path;

use fiskal_domain::api::{self, InvoiceRequest, InvoiceResult};
use fiskal_domain::money::to_scaled;
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::taxes_by_category;
use fiskal_pfr::service::{Lang, Settings, build_result};
use fiskal_se::env::{self, Environment, InitOptions};
use fiskal_se::soft::SoftSe;
use fiskal_se::{Pin, SecureElement, SignRequest};
use fiskal_suf::package::{self, AuditPackage};
use fiskal_suf::store::SqlStore;

/// A local environment with its SE opened and the PIN entered.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub env: Environment,
    pub se: SoftSe,
    pub settings: Settings,
}

impl Env {
    pub fn new() -> Env {
        Env::with_limit(env::DEFAULT_LIMIT)
    }

    pub fn with_limit(limit: u64) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut opts = InitOptions::defaults(Seller::seed_example());
        opts.limit = limit;
        let env = env::init(dir.path(), opts).expect("env init");
        let mut se = env
            .open_se(dir.path(), env::DEFAULT_SE_PASSWORD)
            .expect("open se");
        se.verify_pin(&Pin::parse("1234").unwrap()).expect("pin");
        let settings = Settings {
            seller: env.seller.clone(),
            tax_rate_groups: env.tax_rate_groups.clone(),
            verification_url_prefix: env.verification_url_prefix.clone(),
            tax_core_api: env.suf_url.clone(),
            mrc: env.mrc.clone(),
            environment_name: env.environment_name.clone(),
            organization_name: env.organization_name.clone(),
            ntp_server: "http://0.pool.ntp.org:80/".into(),
        };
        Env {
            dir,
            env,
            se,
            settings,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn uid(&self) -> String {
        self.se.uid().to_string()
    }

    /// Signs a request the L-PFR's way and returns (canonical request JSON, result JSON, result).
    pub fn sign(&mut self, body: &serde_json::Value) -> (String, String, InvoiceResult) {
        let req = InvoiceRequest::from_value(body).expect("valid request");
        let time_ms =
            (chrono::Utc::now().timestamp_millis() as u64).max(self.se.last_signed_time());
        let time = fiskal_domain::time::from_millis(time_ms as i64).unwrap();
        let computed = api::compute(
            &req,
            &self.settings.tax_rate_groups,
            time,
            Default::default(),
        )
        .expect("compute");
        let sreq = SignRequest {
            time_ms,
            tin: self.settings.seller.tin.clone(),
            buyer_id: req.buyer_id.clone(),
            invoice_type: req.invoice_type,
            transaction_type: req.transaction_type,
            amount: to_scaled(computed.total_amount).unwrap(),
            taxes: taxes_by_category(&computed.tax_items)
                .into_iter()
                .map(|(o, t)| (o, to_scaled(t).unwrap()))
                .collect(),
        };
        let signed = self.se.sign_invoice(&sreq).expect("sign");
        let uid = self.se.uid().clone();
        let result = build_result(
            &self.settings,
            &uid,
            &req,
            &computed,
            &signed,
            None,
            Lang::SrCyrl,
        );
        (
            req.canonical_json(),
            serde_json::to_string(&result).unwrap(),
            result,
        )
    }

    /// Seals a package for this environment's SUF.
    pub fn seal(&self, request_json: &str, result_json: &str) -> AuditPackage {
        let plain = package::plaintext(request_json, Some("req"), result_json).unwrap();
        package::seal(&self.env.authority_encryption_key_der().unwrap(), &plain).unwrap()
    }
}

/// The seed's Pivo Lav receipt with a given price.
pub fn receipt(price: &str) -> serde_json::Value {
    let p: serde_json::Value = serde_json::from_str(price).unwrap();
    serde_json::json!({
        "cashier": "Радник 1",
        "invoiceType": 0,
        "transactionType": 0,
        "payment": [ { "amount": p, "paymentType": 2 } ],
        "items": [ { "name": "Pivo Lav/л", "quantity": 1, "unitPrice": p, "labels": ["Ђ"], "totalAmount": p } ]
    })
}

pub use fiskal_testkit::TestDb;

/// The SQLite URL of a store file `suf.sqlite` in `dir`.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("suf.sqlite").display())
}

/// Connects a store on a test database (a SQLite file, or a fresh PostgreSQL schema; either
/// way fresh). PostgreSQL being down fails the test.
pub async fn store_on(db: &TestDb) -> SqlStore {
    SqlStore::connect(db.url(), None)
        .await
        .unwrap_or_else(|e| panic!("the {} test store cannot be opened: {e}", db.backend()))
}

/// A SQLite store `suf.sqlite` in `dir`, for tests that run on SQLite only.
pub async fn sqlite_store(dir: &Path) -> SqlStore {
    SqlStore::connect(&sqlite_url(dir), None)
        .await
        .expect("sqlite store")
}

/// The earlier form of [`sqlite_store`], returning no schema: SQLite only (`pg` must be false;
/// tests on both backends take a [`TestDb`] from `fiskal_testkit::store_contract!`).
pub async fn store(pg: bool, dir: &Path) -> (SqlStore, Option<String>) {
    assert!(
        !pg,
        "PostgreSQL tests take a TestDb (fiskal_testkit::store_contract!)"
    );
    (sqlite_store(dir).await, None)
}
