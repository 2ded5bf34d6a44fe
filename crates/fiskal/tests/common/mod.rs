//! Shared helpers of the black-box tests: each test gets its own data folder and drives the
//! real `fiskal` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// Path of the built binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_fiskal")
}

/// Runs `fiskal` with arguments and returns (success, stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin())
        .args(args)
        .env("FISKAL_LANG", "sr")
        .output()
        .expect("run fiskal");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A data folder with a fresh SE and environment.
pub struct DataDir {
    pub dir: tempfile::TempDir,
}

impl DataDir {
    pub fn new(extra: &[&str]) -> DataDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_str().unwrap().to_string();
        let mut args = vec!["se", "init", "--data", &d];
        args.extend_from_slice(extra);
        let (ok, out, err) = run(&args);
        assert!(ok, "se init failed: {out}\n{err}");
        DataDir { dir }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn path_str(&self) -> String {
        self.dir.path().to_str().unwrap().to_string()
    }
}

#[allow(unused_imports)]
pub use fiskal_testkit::{free_port, spawn_listening};

/// A running L-PFR.
pub struct Pfr {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
}

impl Pfr {
    /// Starts `fiskal pfr serve` on a free port and waits until it listens.
    pub fn start(data: &Path, extra: &[&str]) -> Pfr {
        let mut cmd = Command::new(bin());
        cmd.args([
            "pfr",
            "serve",
            "--data",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra);
        let (child, url) = spawn_listening(&mut cmd);
        Pfr {
            child,
            base: url,
            data: data.to_path_buf(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Pfr {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        // Below the servers' 10 s header-read timeout (fiskal-web).
        .pool_idle_timeout(std::time::Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The seed's example receipt as JSON.
pub fn pivo_lav() -> serde_json::Value {
    serde_json::json!({
        "cashier": "1",
        "buyerId": "30:PP3456789",
        "invoiceType": 0,
        "transactionType": 0,
        "payment": [ { "amount": 164.00, "paymentType": 2 } ],
        "invoiceNumber": "AS9280",
        "options": { "omitQRCodeGen": "1" },
        "items": [ { "name": "Pivo Lav/л", "quantity": 2, "unitPrice": 82.00, "labels": ["Ђ"], "totalAmount": 164.00 } ]
    })
}

pub async fn post_invoice(
    c: &reqwest::Client,
    pfr: &Pfr,
    body: &str,
    request_id: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut r = c
        .post(pfr.url("api/v3/invoices"))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(id) = request_id {
        r = r.header("RequestId", id);
    }
    let resp = r.send().await.expect("send");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

pub async fn status(c: &reqwest::Client, pfr: &Pfr) -> serde_json::Value {
    c.get(pfr.url("api/v3/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn enter_pin(c: &reqwest::Client, pfr: &Pfr, pin: &str) -> (u16, String) {
    let r = c
        .post(pfr.url("api/v3/pin"))
        .header("Content-Type", "application/json")
        .body(format!("\"{pin}\""))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

// ------------------------------------------------------------------ SUF and audit helpers

/// A running `fiskal suf serve` on the environment's default SQLite database (killed on drop).
pub struct SufProc {
    pub child: Child,
    pub base: String,
}

impl SufProc {
    /// Serves on `127.0.0.1:{port}` (the port the bundle's SUF URL names).
    pub fn start(env: &Path, port: u16) -> SufProc {
        SufProc::start_with(env, &format!("127.0.0.1:{port}"), &[])
    }

    /// Serves on `listen` with extra arguments (such as `--db`).
    pub fn start_with(env: &Path, listen: &str, extra: &[&str]) -> SufProc {
        let (child, base) = spawn_listening(
            Command::new(bin())
                .args([
                    "suf",
                    "serve",
                    "--env",
                    env.to_str().unwrap(),
                    "--listen",
                    listen,
                ])
                .args(extra),
        );
        SufProc { child, base }
    }

    /// A URL on this SUF.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }

    /// The receipt's verification URL pointed at this SUF.
    pub fn page_url(&self, verification_url: &str) -> String {
        let vl = verification_url.split_once("vl=").expect("vl").1;
        format!("{}v/?vl={vl}", self.base)
    }

    /// The JSON verification answer for a receipt's verification URL.
    pub async fn verify_json(
        &self,
        c: &reqwest::Client,
        verification_url: &str,
    ) -> serde_json::Value {
        let r = c
            .get(self.page_url(verification_url))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "verification page");
        r.json().await.unwrap()
    }

    /// SIGKILL: no graceful shutdown, no chance to finish a request.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SufProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A receipt of `price` dinars with label Ђ.
pub fn sale(price: u32) -> String {
    serde_json::json!({
        "invoiceType": 0, "transactionType": 0,
        "payment": [ { "amount": price, "paymentType": 1 } ],
        "options": { "omitQRCodeGen": "1" },
        "items": [ { "name": "Артикал/ком", "quantity": 1, "unitPrice": price, "labels": ["Ђ"], "totalAmount": price } ]
    })
    .to_string()
}

pub fn gsc(s: &serde_json::Value) -> Vec<String> {
    s["gsc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap().to_string())
        .collect()
}

pub fn error_codes(v: &serde_json::Value) -> Vec<String> {
    v["modelState"]
        .as_array()
        .map(|a| {
            a.iter()
                .flat_map(|m| {
                    m["errors"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e.as_str().unwrap().to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Polls the L-PFR status until `pred` holds (panics after `secs`).
pub async fn wait_status(
    c: &reqwest::Client,
    pfr: &Pfr,
    secs: u64,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let s = status(c, pfr).await;
        if pred(&s) {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}; last status {s}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
