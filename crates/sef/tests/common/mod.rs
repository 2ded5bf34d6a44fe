//! What the sandbox test files share: the two companies, the sample documents, a sandbox on
//! 127.0.0.1 with both companies registered (clock at 2026-11-25 10:00), a client with short
//! retries.
#![allow(dead_code)]

pub mod cases;

use std::time::Duration;

use chrono::{DateTime, NaiveDate};
use fiskal_sef::sandbox::{SandboxConfig, SandboxHandle};
use fiskal_sef::{ApiKey, RetryPolicy, SefClient, SefClientConfig, SefError};

pub const SUPPLIER: &str = "190000012";
pub const BUYER: &str = "190000029";
pub const INVOICE: &str = include_str!("../data/invoice_380.xml");
pub const CREDIT_NOTE: &str = include_str!("../data/credit_note_381.xml");
pub const UPLOAD_PATH: &str = "/api/publicApi/sales-invoice/ubl";

pub fn invoice(number: &str) -> Vec<u8> {
    INVOICE.replace("F-2026-0142", number).into_bytes()
}

pub async fn setup_with(config: SandboxConfig) -> (SandboxHandle, String, String) {
    let config = SandboxConfig {
        now: Some(DateTime::parse_from_rfc3339("2026-11-25T10:00:00+01:00").unwrap()),
        ..config
    };
    let (_, h) = sandbox_on_loopback(config).await;
    let s = h
        .company_with_key(SUPPLIER, "99000011", "Dobavljač Usluge d.o.o.")
        .await
        .unwrap();
    let b = h
        .company_with_key(BUYER, "99000028", "Kupac Trgovina d.o.o.")
        .await
        .unwrap();
    (h, s, b)
}

pub async fn setup() -> (SandboxHandle, String, String) {
    setup_with(SandboxConfig::default()).await
}

pub fn config(h: &SandboxHandle) -> SefClientConfig {
    let mut c = SefClientConfig::sandbox(&h.base_url());
    c.retry = RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        rate_limited_initial: Duration::from_millis(200),
        rate_limited_max: Duration::from_secs(2),
        jitter: 0.2,
        max_elapsed: Some(Duration::from_secs(20)),
    };
    c.call_timeout = Duration::from_secs(5);
    c.upload_timeout = Duration::from_secs(5);
    c
}

pub fn client(h: &SandboxHandle, key: &str) -> SefClient {
    SefClient::new(config(h), ApiKey::parse(key).unwrap()).unwrap()
}

pub fn code(e: &SefError) -> &str {
    e.error_code().unwrap_or("")
}

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A sandbox on 127.0.0.1 with a free port, through the product launcher.
pub async fn sandbox_on_loopback(
    config: fiskal_sef::SandboxConfig,
) -> (std::net::SocketAddr, fiskal_sef::SandboxHandle) {
    let h = fiskal_sef::sandbox::spawn(config, fiskal_sef::sandbox::LOOPBACK_ANY_PORT)
        .await
        .expect("the SEF sandbox starts on 127.0.0.1:0");
    (h.addr(), h)
}

/// Registers the budget user of fiskal-ubl's samples (Dom zdravlja Primer, PIB 190000037,
/// JBKJS 10520).
pub async fn register_budget_buyer(h: &SandboxHandle) {
    h.sandbox()
        .register_company(fiskal_sef::sandbox::Company {
            pib: "190000037".into(),
            mb: "99000035".into(),
            name: "Dom zdravlja Primer".into(),
            company_type: String::new(),
            jbkjs: Some("10520".into()),
            budget_user: true,
            vat_active: true,
            status: "Active".into(),
            isp: false,
            registration_date: String::new(),
        })
        .await
        .unwrap();
}

/// The `ErrorCode` of the sandbox's answer to an upload of `xml` with a fresh `requestId` and
/// the extra query `query` (e.g. `&sendToCir=Yes`); empty when the upload is accepted.
pub async fn upload_code(h: &SandboxHandle, key: &str, query: &str, xml: String) -> String {
    let r = reqwest::Client::new()
        .post(format!(
            "{}{UPLOAD_PATH}?requestId={}{query}",
            h.base_url(),
            uuid::Uuid::new_v4()
        ))
        .header("ApiKey", key)
        .header("Content-Type", "application/xml")
        .body(xml)
        .send()
        .await
        .unwrap();
    if r.status().is_success() {
        return String::new();
    }
    let body: serde_json::Value = r.json().await.unwrap();
    body["ErrorCode"].as_str().unwrap_or("").to_string()
}
