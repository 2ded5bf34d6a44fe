//! Black-box: the real `fiskal` binary runs the SEF sandbox and Moje fakture (`fiskal sef
//! sandbox`, `fiskal sef serve`); the service is killed with SIGKILL while SEF holds an upload it
//! already committed, restarted, and the sandbox's store must end with every invoice exactly once.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use fiskal_testkit::free_port;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_fiskal");

struct Proc(Option<Child>);

impl Proc {
    fn kill9(&mut self) {
        if let Some(mut c) = self.0.take() {
            c.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
            let _ = c.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn spawn(args: &[&str], envs: &[(&str, &str)]) -> Proc {
    let mut c = Command::new(BIN);
    c.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    for (k, v) in envs {
        c.env(k, v);
    }
    Proc(Some(c.spawn().expect("start fiskal")))
}

async fn wait_http(http: &reqwest::Client, url: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if http.get(url).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sef_serve_killed_mid_send_loses_and_duplicates_nothing() {
    let help = Command::new(BIN).args(["sef", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("serve") && help.contains("sandbox"),
        "`fiskal sef` is not wired to fiskal-einvoice yet:\n{help}"
    );

    let http = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();
    let (p_sb, p_mf) = (free_port(), free_port());
    let sb = format!("http://127.0.0.1:{p_sb}");
    let mf = format!("http://127.0.0.1:{p_mf}");
    let _sandbox = spawn(
        &["sef", "sandbox", "--listen", &format!("127.0.0.1:{p_sb}")],
        &[],
    );
    wait_http(&http, &format!("{sb}/__sandbox/config")).await;
    http.put(format!("{sb}/__sandbox/config"))
        .json(&json!({ "faultDelayMs": 30000 }))
        .send()
        .await
        .unwrap();
    for (pib, mb, name) in [
        ("190000012", "99000011", "Primer Softver d.o.o."),
        ("190000029", "99000028", "Kupac Trgovina d.o.o."),
    ] {
        let r = http
            .post(format!("{sb}/__sandbox/companies"))
            .json(&json!({ "pib": pib, "mb": mb, "name": name, "jbkjs": null, "budgetUser": false, "vatActive": true, "status": "Active", "isp": false }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let key: Value = http
        .post(format!("{sb}/__sandbox/keys"))
        .json(&json!({ "pib": "190000012", "key": null, "active": true }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_string();

    let mut mk = [0u8; 32];
    aws_lc_rs::rand::fill(&mut mk).unwrap();
    let mk = base64::engine::general_purpose::STANDARD.encode(mk);
    let db = format!("sqlite:{}?mode=rwc", dir.path().join("mf.db").display());
    let listen = format!("127.0.0.1:{p_mf}");
    let serve_args = [
        "sef",
        "serve",
        "--listen",
        &listen,
        "--db",
        &db,
        "--sandbox-url",
        &sb,
        "--official",
        "false",
        "--lease-secs",
        "2",
        "--call-timeout-secs",
        "3",
        "--retry-base-ms",
        "100",
        "--tick-ms",
        "50",
    ];
    let envs = [("FISKAL_SEF_MASTER_KEY", mk.as_str())];
    let mut serve = spawn(&serve_args, &envs);
    wait_http(&http, &format!("{mf}/healthz")).await;

    let reg: Value = http
        .post(format!("{mf}/api/v1/tenants"))
        .json(&json!({
            "environment": "sandbox", "pib": "190000012", "mb": "99000011", "name": "Primer Softver d.o.o.",
            "street": "Bulevar oslobođenja 1", "city": "Novi Sad", "postal_code": "21000",
            "bank_accounts": ["999000000012345632"], "api_key": key
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = reg["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("registration failed: {reg}"))
        .to_string();

    // SEF will commit the first upload and hold the answer: the service is then mid-send.
    http.post(format!("{sb}/__sandbox/faults"))
        .json(&json!({ "path": "/api/publicApi/sales-invoice/ubl", "kind": "timeout_after_commit", "count": 1 }))
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let form = json!({ "number": format!("BB-{i}"), "buyer_pib": "190000029", "buyer_mb": "99000028", "buyer_name": "Kupac Trgovina d.o.o.",
            "buyer_street": "Knez Mihailova 10", "buyer_city": "Beograd", "buyer_postal_code": "11000",
            "lines": [{ "name": "Usluga", "quantity": "1", "unit_code": "H87", "unit_price": "1000.00", "vat_rate": "20" }] });
        let d: Value = http
            .post(format!("{mf}/api/v1/documents"))
            .bearer_auth(&token)
            .json(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(
            d["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("not queued: {d}")),
        );
    }
    let sales = |http: reqwest::Client| {
        let sb = sb.clone();
        async move {
            let v: Value = http
                .get(format!("{sb}/__sandbox/sales"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .filter(|d| d["supplierPib"] == "190000012")
                .cloned()
                .collect::<Vec<Value>>()
        }
    };
    let start = Instant::now();
    loop {
        let first: Value = http
            .get(format!("{mf}/api/v1/documents/{}", ids[0]))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !sales(http.clone()).await.is_empty() && first["document"]["state"] == "sending" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the service never reached the middle of a send"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    serve.kill9();

    let mut serve = spawn(&serve_args, &envs);
    wait_http(&http, &format!("{mf}/healthz")).await;
    let start = Instant::now();
    loop {
        let docs: Value = http
            .get(format!("{mf}/api/v1/documents"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if docs
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["state"] == "in_sef")
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "not every document reached SEF: {docs}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serve.kill9();
    let in_sandbox = sales(http.clone()).await;
    assert_eq!(
        in_sandbox.len(),
        5,
        "nothing lost, nothing sent twice: {in_sandbox:?}"
    );
    let mut numbers: Vec<&str> = in_sandbox
        .iter()
        .map(|d| d["number"].as_str().unwrap())
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers, ["BB-0", "BB-1", "BB-2", "BB-3", "BB-4"]);
}
