//! Black-box tests of the audit between the real L-PFR (`fiskal pfr serve`, `fiskal pfr
//! audit-local`) and the real SUF (`fiskal suf serve`, `fiskal suf import`), on SQLite: the limit
//! is reached and freed by a proof of audit, a SUF that is down or answers 500 never stops
//! selling, local audit through a folder, and a tax-rate command reaching the receipts.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// A data folder whose bundle names a SUF on `port`.
fn data_for(port: u16, extra: &[&str]) -> DataDir {
    let url = format!("http://127.0.0.1:{port}/");
    let mut args = vec!["--suf-url", url.as_str()];
    args.extend_from_slice(extra);
    DataDir::new(&args)
}

/// Sells 164 + 70 + 70 against a limit of 300: the second and third carry the 1400 warning, the
/// fourth is refused with 2210. Returns the three signed results.
async fn sell_to_the_limit(c: &reqwest::Client, pfr: &Pfr) -> Vec<Value> {
    let mut out = Vec::new();
    let (st, r) = post_invoice(c, pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["messages"], "Успешно", "54 % of the limit: no warning");
    out.push(r);
    for _ in 0..2 {
        let (st, r) = post_invoice(c, pfr, &sale(70), None).await;
        assert_eq!(st, 200, "{r}");
        let m = r["messages"].as_str().unwrap();
        assert!(
            m.starts_with("Успешно") && m.contains("1400"),
            "warning at ≥ 75 %: {m}"
        );
        out.push(r);
    }
    let s = status(c, pfr).await;
    assert!(gsc(&s).contains(&"1400".to_string()), "{s}");
    assert_eq!(s["auditRequired"], true);
    let (st, r) = post_invoice(c, pfr, &sale(10), None).await;
    assert_eq!(st, 400, "{r}");
    assert_eq!(error_codes(&r), vec!["2210"]);
    let s = status(c, pfr).await;
    assert!(gsc(&s).contains(&"2210".to_string()), "{s}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_reached_then_the_suf_audits_and_signing_resumes() {
    let port = free_port();
    let data = data_for(port, &["--limit", "300"]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234", "--audit-interval", "1"]);
    let c = client();
    let signed = sell_to_the_limit(&c, &pfr).await;
    assert!(
        gsc(&status(&c, &pfr).await).contains(&"0220".to_string()),
        "no SUF yet"
    );

    let suf = SufProc::start(data.path(), port);
    let s = wait_status(&c, &pfr, 40, "audit and proof of audit", |s| {
        let g = gsc(s);
        g.contains(&"0210".to_string()) && !g.contains(&"2210".to_string())
    })
    .await;
    assert_eq!(s["auditRequired"], false, "{s}");
    assert!(!gsc(&s).contains(&"1400".to_string()), "{s}");

    // The SUF received every receipt.
    for r in &signed {
        let j = suf
            .verify_json(&c, r["verificationUrl"].as_str().unwrap())
            .await;
        assert_eq!(j["isValid"], true, "{j}");
        assert!(j["journal"].is_string(), "received by audit: {j}");
        assert_eq!(
            j["invoiceRequest"]["payments"].as_array().unwrap().len(),
            1,
            "{j}"
        );
    }
    // Signing works again, without the warning; the new receipt reaches the SUF too.
    let (st, r) = post_invoice(&c, &pfr, &sale(10), None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["messages"], "Успешно");
    assert_eq!(r["totalCounter"], 4);
    let url = r["verificationUrl"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let j = suf.verify_json(&c, &url).await;
        if j["journal"].is_string() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "receipt 4 never reached the SUF: {j}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The settings came from the SUF's initialisation commands and match the bundle.
    let env: Value = c
        .get(pfr.url("api/v3/environment-parameters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        env["endpoints"]["taxCoreApi"],
        format!("http://127.0.0.1:{port}/")
    );
    assert_eq!(env["ntpServer"], "http://0.pool.ntp.org:80/");
}

/// Answers every HTTP request with 500 until dropped.
struct Broken {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Requests answered with 500 so far.
    served: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
    port: u16,
}

impl Broken {
    fn start(port: u16) -> Broken {
        let l = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        l.set_nonblocking(true).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = stop.clone();
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let served2 = served.clone();
        let thread = std::thread::spawn(move || {
            while !s2.load(std::sync::atomic::Ordering::SeqCst) {
                match l.accept() {
                    Ok((mut sock, _)) => {
                        sock.set_nonblocking(false).ok();
                        sock.set_read_timeout(Some(Duration::from_millis(500))).ok();
                        let mut buf = [0u8; 8192];
                        let _ = sock.read(&mut buf);
                        let _ = sock.write_all(
                            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 5\r\nconnection: close\r\n\r\nerror",
                        );
                        served2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Broken {
            stop,
            served,
            thread: Some(thread),
            port,
        }
    }
}

impl Drop for Broken {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = self.port;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suf_that_is_down_or_failing_never_stops_selling() {
    let port = free_port();
    let data = data_for(port, &[]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234", "--audit-interval", "1"]);
    let c = client();
    let mut urls = Vec::new();
    // Nobody listens: receipts are signed offline.
    for i in 0..5 {
        let (st, r) = post_invoice(&c, &pfr, &sale(100 + i), None).await;
        assert_eq!(st, 200, "{r}");
        urls.push(r["verificationUrl"].as_str().unwrap().to_string());
    }
    assert!(gsc(&status(&c, &pfr).await).contains(&"0220".to_string()));
    // A SUF answering 500 to everything: still offline, still selling.
    {
        let broken = Broken::start(port);
        // Wait until the L-PFR's audit loop has met the broken SUF (twice: a retry too).
        let deadline = Instant::now() + Duration::from_secs(120);
        while broken.served.load(std::sync::atomic::Ordering::SeqCst) < 2 {
            assert!(Instant::now() < deadline, "the L-PFR never called the SUF");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for i in 0..5 {
            let (st, r) = post_invoice(&c, &pfr, &sale(200 + i), None).await;
            assert_eq!(st, 200, "{r}");
            urls.push(r["verificationUrl"].as_str().unwrap().to_string());
        }
        assert!(gsc(&status(&c, &pfr).await).contains(&"0220".to_string()));
    }
    // The real SUF: everything arrives, once, in order; the audit completes.
    let suf = SufProc::start(data.path(), port);
    wait_status(&c, &pfr, 40, "online", |s| {
        gsc(s).contains(&"0210".to_string())
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    for u in &urls {
        loop {
            let j = suf.verify_json(&c, u).await;
            assert_eq!(j["isValid"], true, "{j}");
            if j["journal"].is_string() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "a receipt never reached the SUF: {j}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // A kill -9 and a restart resume where the audit stopped and sell on.
    drop(pfr);
    let pfr = Pfr::start(data.path(), &["--pin", "1234", "--audit-interval", "1"]);
    let (st, r) = post_invoice(&c, &pfr, &sale(7), None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["totalCounter"], 11);
    let u = r["verificationUrl"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let j = suf.verify_json(&c, &u).await;
        if j["journal"].is_string() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "receipt 11 never reached the SUF: {j}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (ok, out, err) = run(&["pfr", "verify", "--data", &data.path_str()]);
    assert!(ok, "{out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_audit_round_trip_through_a_folder() {
    let data = DataDir::new(&["--limit", "300"]);
    let d = data.path_str();
    let medium = tempfile::tempdir().unwrap();
    let m = medium.path().to_str().unwrap().to_string();
    let c = client();
    let uid;
    {
        let pfr = Pfr::start(data.path(), &["--pin", "1234", "--no-audit"]);
        let signed = sell_to_the_limit(&c, &pfr).await;
        uid = signed[0]["requestedBy"].as_str().unwrap().to_string();
        // The SE is in use: a local audit must wait for the L-PFR to stop.
        let (ok, _, err) = run(&["pfr", "audit-local", "--data", &d, "--medium", &m]);
        assert!(!ok && err.contains("another fiskal pfr process"), "{err}");
    }
    // 1. The shop writes the packages and the audit request.
    let (ok, out, err) = run(&["pfr", "audit-local", "--data", &d, "--medium", &m]);
    assert!(ok, "{out}{err}");
    let dir = medium.path().join(&uid);
    for n in 1..=3 {
        assert!(
            dir.join(format!("{uid}-{uid}-{n}.json")).exists(),
            "package {n}: {out}"
        );
    }
    assert!(dir.join(format!("{uid}.arp")).exists());
    let arp_len = std::fs::metadata(dir.join(format!("{uid}.arp")))
        .unwrap()
        .len();
    assert_eq!(arp_len, 260);
    // 2. The inspector imports it: packages verified, proof of audit issued.
    let (ok, out, err) = run(&["suf", "import", "--env", &d, "--medium", &m]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("исправних: 3"), "{out}");
    let cmds: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{uid}.commands"))).unwrap(),
    )
    .unwrap();
    let types: Vec<i64> = cmds
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_i64().unwrap())
        .collect();
    assert!(
        types.contains(&5),
        "proof of audit on the medium: {types:?}"
    );
    // 3. The shop runs the commands: the proof frees the limit; results written; the packages
    //    the proof covers leave the medium.
    let (ok, out, err) = run(&["pfr", "audit-local", "--data", &d, "--medium", &m]);
    assert!(ok, "{out}{err}");
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{uid}.results"))).unwrap())
            .unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), types.len());
    assert!(results.iter().all(|r| r["success"] == true), "{results:?}");
    assert!(results.iter().all(|r| r["dateAndTime"].is_string()));
    assert!(!dir.join(format!("{uid}-{uid}-1.json")).exists());
    assert!(
        !dir.join(format!("{uid}.arp")).exists(),
        "no new receipts, no new request"
    );
    // Running the same commands again changes nothing and repeats the first results.
    let (ok, out, err) = run(&["pfr", "audit-local", "--data", &d, "--medium", &m]);
    assert!(ok, "{out}{err}");
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{uid}.results"))).unwrap())
            .unwrap();
    assert_eq!(again.as_array().unwrap(), results);
    // 4. The inspector imports the results: nothing is pending for this SE any more.
    let (ok, out, err) = run(&["suf", "import", "--env", &d, "--medium", &m]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("Примењених резултата команди: {}", types.len())),
        "{out}"
    );
    let cmds: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{uid}.commands"))).unwrap(),
    )
    .unwrap();
    assert_eq!(cmds, json!([]));
    // 5. The L-PFR signs again.
    let pfr = Pfr::start(data.path(), &["--pin", "1234", "--no-audit"]);
    let s = status(&c, &pfr).await;
    assert!(!gsc(&s).contains(&"2210".to_string()), "{s}");
    let (st, r) = post_invoice(&c, &pfr, &sale(10), None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["totalCounter"], 4);
}

/// Runs `fiskal suf admin --env DIR ...` and returns its stdout; panics when it fails.
fn admin(data: &DataDir, args: &[&str]) -> String {
    let d = data.path_str();
    let mut all = vec!["suf", "admin", "--env", d.as_str()];
    all.extend_from_slice(args);
    let (ok, out, err) = run(&all);
    assert!(ok, "fiskal suf admin {args:?} failed: {out}\n{err}");
    out
}

/// The authority changes tax rates (valid from a future instant), the verification URL and the
/// time server with `fiskal suf admin`; the L-PFR applies each command, reports it, shows the new
/// state, and its receipts use the new group once it applies. The SUF audits those receipts, also
/// after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authority_commands_reach_the_lpfr_and_its_receipts() {
    let port = free_port();
    let data = data_for(port, &[]);
    let suf = SufProc::start(data.path(), port);
    let pfr = Pfr::start(data.path(), &["--pin", "1234", "--audit-interval", "1"]);
    let c = client();
    let s = wait_status(&c, &pfr, 30, "online", |s| {
        gsc(s).contains(&"0210".to_string())
    })
    .await;
    let uid = s["uid"].as_str().unwrap().to_string();
    assert_eq!(s["allTaxRates"].as_array().unwrap().len(), 1);

    // Bad input is refused and changes nothing.
    let d = data.path_str();
    let (ok, _, err) = run(&[
        "suf",
        "admin",
        "--env",
        &d,
        "add-tax-rates",
        "--valid-from",
        "2020-01-01",
        "--rate",
        "Ђ=10",
    ]);
    assert!(!ok && err.contains("not in the future"), "{err}");
    let (ok, _, err) = run(&["suf", "admin", "--env", &d, "--token", "wrong", "tax-rates"]);
    assert!(!ok && err.contains("401"), "{err}");
    let (ok, _, err) = run(&["suf", "admin", "--env", &d, "time-server", "ftp://x"]);
    assert!(!ok && err.contains("http"), "{err}");

    let valid_from = chrono::Utc::now() + chrono::Duration::seconds(4);
    let vf = valid_from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let out = admin(
        &data,
        &["add-tax-rates", "--valid-from", &vf, "--rate", "Ђ=10"],
    );
    assert!(
        out.contains("grupa poreskih stopa 2") && out.contains("za 1 "),
        "{out}"
    );
    let prefix = format!("http://localhost:{port}/v/?vl=");
    let out = admin(&data, &["verification-url", &prefix]);
    assert!(out.contains(&prefix), "{out}");
    admin(&data, &["time-server", "http://time.example.rs:80/"]);

    // Applied: status lists the new group, environment-parameters the new URLs, and every
    // command's result reached the SUF.
    wait_status(&c, &pfr, 20, "the new tax rates", |s| {
        s["allTaxRates"].as_array().unwrap().len() == 2
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let history = admin(&data, &["commands", &uid]);
        if !history.contains("čeka") {
            assert!(!history.contains("NEUSPELA"), "{history}");
            assert_eq!(history.matches("izvršena").count(), 7, "{history}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "commands still pending: {history}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let env: Value = c
        .get(pfr.url("/api/v3/environment-parameters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(env["ntpServer"], "http://time.example.rs:80/", "{env}");
    let listed = admin(&data, &["secure-elements"]);
    assert!(listed.contains(&uid), "{listed}");

    // Before validFrom the old rate applies, after it the new one, with the new link.
    let (st, r) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["taxItems"][0]["rate"].to_string(), "20.00");
    assert!(
        r["verificationUrl"].as_str().unwrap().starts_with(&prefix),
        "{r}"
    );
    while chrono::Utc::now() < valid_from + chrono::Duration::milliseconds(100) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (st, r) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["taxGroupRevision"], 2);
    assert_eq!(r["taxItems"][0]["rate"].to_string(), "10.00");
    assert_eq!(r["taxItems"][0]["amount"].to_string(), "14.9091");
    let url = r["verificationUrl"].as_str().unwrap().to_string();

    // The SUF audits the receipt taxed with the new group; after a restart it still knows the
    // group and the settings, and audits the next one too.
    let received = |suf: &SufProc, url: String| {
        let c = c.clone();
        let base = suf.base.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let vl = url.split_once("vl=").unwrap().1;
                let j: Value = c
                    .get(format!("{base}v/?vl={vl}"))
                    .header("Accept", "application/json")
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_eq!(j["isValid"], true, "{j}");
                if j["journal"].is_string() {
                    return j;
                }
                assert!(Instant::now() < deadline, "never received: {j}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    received(&suf, url).await;
    drop(suf);
    let suf = SufProc::start(data.path(), port);
    let groups = admin(&data, &["tax-rates"]);
    assert!(
        groups.contains("Grupa 2") && groups.contains("Ђ 10.00%"),
        "{groups}"
    );
    let (st, r) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["taxGroupRevision"], 2);
    received(&suf, r["verificationUrl"].as_str().unwrap().to_string()).await;

    // The L-PFR keeps what it applied across a restart.
    drop(pfr);
    let pfr = Pfr::start(data.path(), &["--pin", "1234", "--no-audit"]);
    let s = status(&c, &pfr).await;
    assert_eq!(s["allTaxRates"].as_array().unwrap().len(), 2);
    assert_eq!(s["currentTaxRates"]["groupId"], 2);
}

/// The authority's directives reach the secure element through the L-PFR: a PIN locked by wrong
/// tries is unlocked, signing is stopped and resumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directives_unlock_the_pin_and_stop_and_resume_signing() {
    let port = free_port();
    let data = data_for(port, &[]);
    let _suf = SufProc::start(data.path(), port);
    let pfr = Pfr::start(data.path(), &["--audit-interval", "1"]);
    let c = client();
    for _ in 0..5 {
        enter_pin(&c, &pfr, "0000").await;
    }
    assert_eq!(
        enter_pin(&c, &pfr, "1234").await,
        (423, "\"2110\"".to_string())
    );
    let uid = status(&c, &pfr).await["uid"].as_str().unwrap().to_string();

    let (ok, _, err) = run(&[
        "suf",
        "admin",
        "--env",
        &data.path_str(),
        "directive",
        "ZZZZ9999",
        "--unlock-pin",
    ]);
    assert!(!ok && err.contains("404"), "{err}");
    let out = admin(&data, &["directive", &uid, "--unlock-pin"]);
    assert!(out.contains("UnlockPin br. 1"), "{out}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, body) = enter_pin(&c, &pfr, "1234").await;
        if st == 200 {
            assert_eq!(body, "\"0100\"");
            break;
        }
        assert_eq!(body, "\"2110\"", "still locked until the directive arrives");
        assert!(Instant::now() < deadline, "the PIN was never unlocked");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    admin(&data, &["directive", &uid, "--disable-signing"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, r) = post_invoice(&c, &pfr, &sale(10), None).await;
        if st != 200 {
            assert_eq!(st, 400, "{r}");
            break;
        }
        assert!(Instant::now() < deadline, "signing was never disabled");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    admin(&data, &["directive", &uid, "--enable-signing"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, r) = post_invoice(&c, &pfr, &sale(10), None).await;
        if st == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "signing never resumed: {r}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let history = admin(&data, &["commands", &uid]);
    assert_eq!(
        history.matches("ForwardSecureElementDirective").count(),
        3,
        "{history}"
    );
    assert!(!history.contains("NEUSPELA"), "{history}");
}
