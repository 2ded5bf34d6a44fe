//! Black-box tests of fiskal's SUF (`fiskal suf serve`) under faults during the audit:
//!
//! - a SUF killed with SIGKILL in the middle of an internet audit (once, and twice) and restarted
//!   on the same database loses no receipt, stores none twice, and the proof of audit still
//!   reaches the L-PFR;
//! - audit packages written by the real L-PFR (`fiskal pfr audit-local`) and then sent to the
//!   real SUF out of order, replayed, tampered with, truncated, without a valid token or signed by
//!   a secure element the SUF does not know are answered with the right status, never a 500, and
//!   change nothing that is stored.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use fiskal_suf::Store as _;
use fiskal_suf::package::AuditPackage;
use serde_json::{Value, json};

/// Whether the status carries `code`.
fn has(s: &Value, code: &str) -> bool {
    gsc(s).iter().any(|g| g == code)
}

/// The SUF's database, opened beside the running SUF (SQLite in WAL mode) to count what it
/// stored.
async fn open_store(env: &Path) -> fiskal_suf::SqlStore {
    fiskal_suf::SqlStore::connect(
        &format!("sqlite://{}", env.join("suf").join("suf.sqlite").display()),
        None,
    )
    .await
    .expect("open the SUF database")
}

/// Receipts of `uid` stored by the SUF (every counter).
async fn stored(store: &fiskal_suf::SqlStore, uid: &str) -> u64 {
    store.count_range(uid, 0, u32::MAX).await.unwrap()
}

/// Checks that the SUF holds receipts 1..=n of `uid` exactly once each, with the amounts the
/// L-PFR signed and cumulative totals that never count a receipt twice.
async fn assert_exactly_once(store: &fiskal_suf::SqlStore, uid: &str, amounts: &[i64]) {
    let n = amounts.len() as u32;
    assert_eq!(
        stored(store, uid).await,
        u64::from(n),
        "receipts of {uid} stored at the SUF"
    );
    let mut cumulative = 0i64;
    for counter in 1..=n {
        let r = store
            .receipt_at(uid, counter)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("receipt {counter} is missing at the SUF"));
        assert_eq!(r.invoice_number, format!("{uid}-{uid}-{counter}"));
        let amount = amounts[counter as usize - 1];
        assert_eq!(r.amount, amount, "amount of receipt {counter}");
        cumulative += amount;
        assert_eq!(
            r.cumulative_total, cumulative,
            "cumulative total of receipt {counter}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// 1. The SUF killed in the middle of an internet audit.

const RECEIPTS: u32 = 150;
const PRICE: u32 = 100;

/// Sells RECEIPTS receipts with no SUF running (the last one reaches the limit exactly), starts
/// the SUF on the bundle's port and kills it with SIGKILL each time it has stored at least the
/// next number of `kill_points` receipts, restarting it on the same database. Then the audit must
/// complete: every receipt once at the SUF, the proof of audit applied, the journal intact and
/// signing possible again.
async fn killed_mid_audit(kill_points: &[u64]) {
    let started = Instant::now();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let limit = (RECEIPTS * PRICE).to_string();
    let data = DataDir::new(&["--suf-url", &format!("http://{listen}/"), "--limit", &limit]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234", "--audit-interval", "1"]);
    let c = client();

    // Offline: nobody listens on the SUF's port, the L-PFR signs on.
    let mut urls = Vec::new();
    for i in 1..=RECEIPTS {
        let (st, r) = post_invoice(&c, &pfr, &sale(PRICE), None).await;
        assert_eq!(st, 200, "receipt {i}: {r}");
        assert_eq!(r["totalCounter"], i);
        urls.push(r["verificationUrl"].as_str().unwrap().to_string());
    }
    let s = status(&c, &pfr).await;
    let uid = s["uid"].as_str().unwrap().to_string();
    assert!(has(&s, "0220"), "no SUF yet: {s}");
    assert!(has(&s, "2210"), "the limit is reached: {s}");
    assert_eq!(s["auditRequired"], true, "{s}");
    let (st, r) = post_invoice(&c, &pfr, &sale(PRICE), None).await;
    assert_eq!(st, 400, "signing waits for a proof of audit: {r}");
    assert_eq!(error_codes(&r), vec!["2210"]);
    eprintln!(
        "{} receipts signed offline in {:?}",
        RECEIPTS,
        started.elapsed()
    );

    // The SUF comes up and is killed while the packages arrive.
    let mut suf = SufProc::start_with(data.path(), &listen, &[]);
    let store = open_store(data.path()).await;
    let mut at_kill = Vec::new();
    for &point in kill_points {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let n = stored(&store, &uid).await;
            if n >= point {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the SUF stored only {n} receipts, waiting for {point}"
            );
            // Tight polling (a SQLite count takes well under a millisecond): the kill then often
            // lands after the SUF committed a package but before the L-PFR read the answer, so the
            // L-PFR sends that package again after the restart (the duplicate path).
            tokio::task::yield_now().await;
        }
        suf.kill9();
        let n = stored(&store, &uid).await;
        eprintln!("SUF killed with {n} receipts stored");
        assert!(
            n >= point && n < u64::from(RECEIPTS),
            "the kill must come in the middle of the audit: {n} of {RECEIPTS} stored"
        );
        at_kill.push(n);
        // The L-PFR notices and keeps the rest for later.
        wait_status(&c, &pfr, 20, "the L-PFR to see the SUF gone", |s| {
            has(s, "0220")
        })
        .await;
        assert_eq!(stored(&store, &uid).await, n, "nothing arrives while down");
        suf = SufProc::start_with(data.path(), &listen, &[]);
    }

    // The audit resumes and ends with the proof of audit: the limit is free again.
    let s = wait_status(&c, &pfr, 90, "the proof of audit after the restart", |s| {
        has(s, "0210") && !has(s, "2210") && s["auditRequired"] == false
    })
    .await;
    assert!(!has(&s, "1400"), "{s}");
    eprintln!("proof of audit applied after {:?}", started.elapsed());

    // Every receipt exactly once, amounts and cumulative totals as signed.
    let amounts = vec![i64::from(PRICE) * 10_000; RECEIPTS as usize];
    assert_exactly_once(&store, &uid, &amounts).await;
    let mut sample = vec![1u64, u64::from(RECEIPTS)];
    for n in &at_kill {
        sample.extend([*n, *n + 1]);
    }
    for n in sample {
        let j = suf.verify_json(&c, &urls[n as usize - 1]).await;
        assert_eq!(j["isValid"], true, "{j}");
        assert!(j["journal"].is_string(), "receipt {n} received: {j}");
        assert_eq!(j["invoiceResult"]["totalCounter"], n);
    }
    // The journal of the L-PFR is intact.
    let (ok, out, err) = run(&["pfr", "verify", "--data", &data.path_str()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("{RECEIPTS} receipts")), "{out}");

    // Signing works again, without any warning, and the new receipt reaches the SUF.
    let (st, r) = post_invoice(&c, &pfr, &sale(PRICE), None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["messages"], "Успешно", "{r}");
    assert_eq!(r["totalCounter"], RECEIPTS + 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    while stored(&store, &uid).await < u64::from(RECEIPTS) + 1 {
        assert!(
            Instant::now() < deadline,
            "the receipt signed after the audit never reached the SUF"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut amounts = amounts;
    amounts.push(i64::from(PRICE) * 10_000);
    assert_exactly_once(&store, &uid, &amounts).await;
    eprintln!("done in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suf_killed_mid_audit_resumes_without_loss_or_double_count() {
    killed_mid_audit(&[40]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suf_killed_twice_mid_audit_resumes_without_loss_or_double_count() {
    killed_mid_audit(&[30, 90]).await;
}

// ------------------------------------------------------------------------------------------
// 2. Bad packages against the real SUF.

/// `POST /api/v3/sdc/audit` with a raw body; returns the HTTP status and the answer.
async fn post_audit(
    c: &reqwest::Client,
    suf: &SufProc,
    token: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut r = c
        .post(suf.url("api/v3/sdc/audit"))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        r = r.header("TaxCoreAuthenticationToken", t);
    }
    let resp = r.send().await.expect("send");
    let st = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        st,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Posts a package that must be answered 200 with `status`; returns the message.
async fn expect_status(
    c: &reqwest::Client,
    suf: &SufProc,
    token: &str,
    body: &str,
    status: u64,
    what: &str,
) -> String {
    let (st, v) = post_audit(c, suf, Some(token), body).await;
    assert_eq!(st, 200, "{what}: HTTP {st} {v}");
    assert_eq!(v["status"], status, "{what}: {v}");
    assert!(v["commands"].is_array(), "{what}: {v}");
    let m = v["message"].as_str().unwrap_or_default().to_string();
    assert!(!m.is_empty(), "{what}: a rejection says why: {v}");
    m
}

/// `GET /api/v3/sdc/token` naming `uid` (or no client at all); with `bundle`, the request
/// carries the proof of key made with that bundle's SE authentication key, as the L-PFR sends it.
async fn get_token(
    c: &reqwest::Client,
    suf: &SufProc,
    uid: Option<&str>,
    bundle: Option<&Path>,
) -> (u16, Value) {
    use base64::Engine as _;
    use fiskal_se::SecureElement as _;
    use fiskal_se::client_proof as proof;
    let mut r = c.get(suf.url("api/v3/sdc/token"));
    if let Some(u) = uid {
        r = r.header(proof::UID_HEADER, u);
        if let Some(dir) = bundle {
            let se = fiskal_se::env::load(dir)
                .unwrap()
                .open_se(dir, fiskal_se::env::DEFAULT_SE_PASSWORD)
                .unwrap();
            let time = chrono::Utc::now().timestamp_millis();
            let sig = se
                .sign_authentication(&proof::message(u, time))
                .unwrap()
                .unwrap();
            let b64 = &base64::engine::general_purpose::STANDARD;
            r = r
                .header(proof::TIME_HEADER, time.to_string())
                .header(
                    proof::CERTIFICATE_HEADER,
                    b64.encode(se.auth_certificate_der()),
                )
                .header(proof::SIGNATURE_HEADER, b64.encode(sig));
        }
    }
    let resp = r.send().await.unwrap();
    let st = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        st,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Signs `prices` on an L-PFR without audit, stops it and writes the packages and the audit
/// request with `fiskal pfr audit-local`. Returns the UID, the signed results and the folder
/// `{medium}/{UID}`.
async fn packages_on_a_medium(
    data: &DataDir,
    medium: &Path,
    prices: &[u32],
) -> (String, Vec<Value>, std::path::PathBuf) {
    let c = client();
    let mut results = Vec::new();
    {
        let pfr = Pfr::start(data.path(), &["--pin", "1234", "--no-audit"]);
        for p in prices {
            let (st, r) = post_invoice(&c, &pfr, &sale(*p), None).await;
            assert_eq!(st, 200, "{r}");
            results.push(r);
        }
    }
    let uid = results[0]["requestedBy"].as_str().unwrap().to_string();
    let (ok, out, err) = run(&[
        "pfr",
        "audit-local",
        "--data",
        &data.path_str(),
        "--medium",
        medium.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    let dir = medium.join(&uid);
    (uid, results, dir)
}

/// The package file of receipt `n`: the JSON `AuditPackage` `{key, iv, payload}`.
fn package_file(dir: &Path, uid: &str, n: usize) -> String {
    let text = std::fs::read_to_string(dir.join(format!("{uid}-{uid}-{n}.json")))
        .unwrap_or_else(|e| panic!("package {n}: {e}"));
    let v: Value = serde_json::from_str(&text).expect("a package file is JSON");
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["iv", "key", "payload"], "package {n}: {text}");
    text
}

fn with_field(pkg: &str, field: &str, value: String) -> String {
    let mut v: Value = serde_json::from_str(pkg).unwrap();
    v[field] = Value::String(value);
    v.to_string()
}

/// What the SUF keeps of each receipt, to prove later requests changed none of it.
async fn snapshot(store: &fiskal_suf::SqlStore, uid: &str, n: u32) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    for counter in 1..=n {
        let r = store.receipt_at(uid, counter).await.unwrap().unwrap();
        out.push((r.content_hash, r.result_json, r.received_ms));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_packages_against_the_real_suf_are_rejected_and_change_nothing() {
    let started = Instant::now();
    let c = client();
    let data = DataDir::new(&[]);
    let medium = tempfile::tempdir().unwrap();
    let prices = [100u32, 110, 120, 130, 140, 150];
    let (uid, signed, dir) = packages_on_a_medium(&data, medium.path(), &prices).await;
    let files: Vec<String> = (1..=prices.len())
        .map(|n| package_file(&dir, &uid, n))
        .collect();
    let arp = std::fs::read(dir.join(format!("{uid}.arp"))).expect("the audit request");

    let suf = SufProc::start_with(data.path(), "127.0.0.1:0", &[]);
    let store = open_store(data.path()).await;

    // (f) Tokens: only a registered UID gets one; without a valid token nothing is accepted.
    let (st, v) = get_token(&c, &suf, None, None).await;
    assert_eq!(st, 401, "no client: {v}");
    assert!(v["modelState"].is_array(), "{v}");
    let (st, v) = get_token(&c, &suf, Some("ZZZZ9999"), None).await;
    assert_eq!(st, 401, "unknown UID: {v}");
    let (st, v) = get_token(&c, &suf, Some(&uid), Some(data.path())).await;
    assert_eq!(st, 200, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert!(v["expiresAt"].as_str().unwrap().ends_with('Z'), "{v}");
    let (_, again) = get_token(&c, &suf, Some(&uid), Some(data.path())).await;
    assert_eq!(again["token"], token.as_str(), "a valid token is reused");
    for bad in [None, Some(""), Some("245ebd69-1438-4dc3-a65b-18f1a527f093")] {
        let (st, v) = post_audit(&c, &suf, bad, &files[0]).await;
        assert_eq!(st, 401, "token {bad:?}: {v}");
        assert!(v["modelState"].is_array(), "ModelErrors: {v}");
    }
    assert_eq!(
        stored(&store, &uid).await,
        0,
        "nothing stored without a token"
    );

    // (a) In reverse order: every package is verified on its own.
    for n in (1..=files.len()).rev() {
        let m = expect_status(&c, &suf, &token, &files[n - 1], 4, &format!("package {n}")).await;
        assert_eq!(m, "verified");
    }
    let amounts: Vec<i64> = prices.iter().map(|p| i64::from(*p) * 10_000).collect();
    assert_exactly_once(&store, &uid, &amounts).await;
    let before = snapshot(&store, &uid, prices.len() as u32).await;

    // (b) Replayed: answered 4 again, stored once. The same receipt sealed again with a new AES
    // key is the same receipt; the same invoice number with other content is a conflict.
    for (i, f) in files.iter().enumerate() {
        expect_status(&c, &suf, &token, f, 4, &format!("replay of {}", i + 1)).await;
    }
    let keys = fiskal_suf::keys::SufKeys::load(data.path()).unwrap();
    let spki = fiskal_se::env::load(data.path())
        .unwrap()
        .authority_encryption_key_der()
        .unwrap();
    let pkg3: AuditPackage = serde_json::from_str(&files[2]).unwrap();
    let plain3 = fiskal_suf::package::open(&keys, &pkg3).expect("the SUF's key opens it");
    let resealed = fiskal_suf::package::seal(&spki, &plain3).unwrap();
    assert_ne!(resealed.payload, pkg3.payload);
    let resealed = serde_json::to_string(&resealed).unwrap();
    expect_status(&c, &suf, &token, &resealed, 4, "package 3 sealed again").await;
    let mut changed: Value = serde_json::from_slice(&plain3).unwrap();
    let journal = changed["result"]["journal"].as_str().unwrap().to_string();
    changed["result"]["journal"] = json!(format!("{journal}\n"));
    assert_ne!(changed["result"]["journal"], journal.as_str());
    let changed = fiskal_suf::package::seal(&spki, changed.to_string().as_bytes()).unwrap();
    let m = expect_status(
        &c,
        &suf,
        &token,
        &serde_json::to_string(&changed).unwrap(),
        0,
        "package 3 with another journal text",
    )
    .await;
    assert_ne!(m, "verified");

    // (c) Tampered ciphertext (still valid base64): not decryptable into a package.
    let mut ct = B64.decode(pkg3.payload.as_bytes()).unwrap();
    let mid = ct.len() / 2;
    for b in &mut ct[mid..mid + 16] {
        *b ^= 0x5a;
    }
    let tampered = with_field(&files[2], "payload", B64.encode(&ct));
    expect_status(&c, &suf, &token, &tampered, 0, "tampered payload").await;
    let mut ct = B64.decode(pkg3.payload.as_bytes()).unwrap();
    let last = ct.len() - 1;
    ct[last] ^= 0x01;
    let tampered = with_field(&files[2], "payload", B64.encode(&ct));
    expect_status(&c, &suf, &token, &tampered, 0, "tampered last block").await;
    let mut k = B64.decode(pkg3.key.as_bytes()).unwrap();
    k[10] ^= 0xff;
    let tampered = with_field(&files[2], "key", B64.encode(&k));
    expect_status(&c, &suf, &token, &tampered, 0, "tampered wrapped key").await;
    // Another package's key and IV with this payload.
    let pkg4: AuditPackage = serde_json::from_str(&files[3]).unwrap();
    let swapped = with_field(&files[2], "key", pkg4.key.clone());
    let swapped = with_field(&swapped, "iv", pkg4.iv.clone());
    expect_status(
        &c,
        &suf,
        &token,
        &swapped,
        0,
        "key and IV of another package",
    )
    .await;

    // (d) Truncated or malformed bodies: 400 ModelErrors 2806.
    for (what, body) in [
        ("half a package", &files[0][..files[0].len() / 2]),
        (
            "a package without its last brace",
            &files[0][..files[0].len() - 1],
        ),
        ("an empty body", ""),
        ("a JSON array", "[]"),
        ("a package without payload", r#"{"key":"AAAA","iv":"AAAA"}"#),
    ] {
        let (st, v) = post_audit(&c, &suf, Some(&token), body).await;
        assert_eq!(st, 400, "{what}: {v}");
        assert_eq!(error_codes(&v), vec!["2806"], "{what}: {v}");
    }

    // (e) Truncated ciphertext or keys: refused with status 0, never a server error.
    let p = pkg3.payload.as_str();
    for (what, field, value) in [
        (
            "payload without its last 6 bytes",
            "payload",
            p[..p.len() - 8].to_string(),
        ),
        ("payload of one block", "payload", p[..24].to_string()),
        (
            "payload cut inside a base64 quantum",
            "payload",
            p[..p.len() - 1].to_string(),
        ),
        ("empty payload", "payload", String::new()),
        (
            "key cut in half",
            "key",
            pkg3.key[..pkg3.key.len() / 2].to_string(),
        ),
        ("empty IV", "iv", String::new()),
    ] {
        let body = with_field(&files[2], field, value);
        expect_status(&c, &suf, &token, &body, 0, what).await;
    }

    // (g) A secure element this SUF does not know.
    let other = DataDir::new(&[]);
    let medium2 = tempfile::tempdir().unwrap();
    let (uid2, _, dir2) = packages_on_a_medium(&other, medium2.path(), &[200, 210]).await;
    assert_ne!(uid2, uid);
    let (st, v) = get_token(&c, &suf, Some(&uid2), Some(other.path())).await;
    assert_eq!(st, 401, "no token for an unknown SE: {v}");
    // Its own package is sealed for its own (test) authority: this SUF cannot open it.
    let foreign = package_file(&dir2, &uid2, 1);
    expect_status(
        &c,
        &suf,
        &token,
        &foreign,
        0,
        "package for another authority",
    )
    .await;
    // The same receipt sealed for this SUF: signed by an SE this SUF never registered.
    let keys2 = fiskal_suf::keys::SufKeys::load(other.path()).unwrap();
    let plain = fiskal_suf::package::open(&keys2, &serde_json::from_str(&foreign).unwrap())
        .expect("the other authority opens its package");
    let foreign = fiskal_suf::package::seal(&spki, &plain).unwrap();
    let m = expect_status(
        &c,
        &suf,
        &token,
        &serde_json::to_string(&foreign).unwrap(),
        72,
        "package of an unknown SE",
    )
    .await;
    assert!(m.contains(&uid2), "{m}");
    assert_eq!(stored(&store, &uid2).await, 0);

    // Nothing changed: the six receipts once each, exactly as first stored.
    assert_exactly_once(&store, &uid, &amounts).await;
    assert_eq!(
        snapshot(&store, &uid, prices.len() as u32).await,
        before,
        "a later request changed a stored receipt"
    );
    for (i, r) in signed.iter().enumerate() {
        let j = suf
            .verify_json(&c, r["verificationUrl"].as_str().unwrap())
            .await;
        assert_eq!(j["isValid"], true, "{j}");
        assert_eq!(j["invoiceResult"]["totalCounter"], i + 1);
        assert_eq!(j["journal"], r["journal"], "receipt {} as signed", i + 1);
        let payments = j["invoiceRequest"]["payments"].as_array().unwrap();
        assert_eq!(payments.len(), 1, "{j}");
        assert_eq!(payments[0]["paymentType"], 1, "{j}");
        assert_eq!(
            payments[0]["amount"].as_f64(),
            Some(f64::from(prices[i])),
            "{j}"
        );
    }

    // The audit request of the medium: a wrong sum is refused, the right one gets the proof at
    // once (every receipt is stored), and the proof frees the L-PFR through the medium.
    let sum: i64 = amounts.iter().sum();
    let limit: i64 = 1_000_000 * 10_000;
    let proof = |sum: i64, token: Option<&str>| {
        let mut r = c
            .post(suf.url("api/v3/sdc/audit-proof"))
            .json(&json!({"auditRequestPayload": B64.encode(&arp), "sum": sum, "limit": limit}));
        if let Some(t) = token {
            r = r.header("TaxCoreAuthenticationToken", t);
        }
        r.send()
    };
    let r = proof(sum, None).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = proof(sum + 1, Some(&token)).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(error_codes(&v), vec!["2806"], "{v}");
    let r = proof(sum, Some(&token)).await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let cmds: Value = c
        .get(suf.url("api/v3/sdc/commands"))
        .header("TaxCoreAuthenticationToken", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let proofs = cmds
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == 5)
        .count();
    assert_eq!(proofs, 1, "one proof of audit: {cmds}");
    std::fs::write(dir.join(format!("{uid}.commands")), cmds.to_string()).unwrap();
    let (ok, out, err) = run(&[
        "pfr",
        "audit-local",
        "--data",
        &data.path_str(),
        "--medium",
        medium.path().to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("Доказ о ишчитавању је примењен"), "{out}");
    assert_eq!(stored(&store, &uid).await, prices.len() as u64);
    eprintln!("done in {:?}", started.elapsed());
}

/// A secure element revoked while the SUF runs, from another process (`fiskal suf revoke`) or
/// through the administration API (`fiskal suf admin revoke`), gets no token any more, and its
/// receipts signed after the revocation are refused (status 6) while earlier ones stay valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_secure_elements_are_refused_by_the_running_suf() {
    let port = free_port();
    let data = DataDir::new(&["--suf-url", &format!("http://127.0.0.1:{port}/")]);
    let suf = SufProc::start(data.path(), port);
    let c = client();
    let pfr = Pfr::start(data.path(), &["--pin", "1234", "--no-audit"]);
    let uid = status(&c, &pfr).await["uid"].as_str().unwrap().to_string();
    let (st, before) = post_invoice(&c, &pfr, &sale(100), None).await;
    assert_eq!(st, 200, "{before}");
    let (st, _) = get_token(&c, &suf, Some(&uid), Some(data.path())).await;
    assert_eq!(st, 200);

    // Another process revokes it; the running SUF sees it within its recheck time (5 s).
    let (ok, out, err) = run(&["suf", "revoke", "--env", &data.path_str(), "--uid", &uid]);
    assert!(ok, "{out}{err}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (st, body) = get_token(&c, &suf, Some(&uid), Some(data.path())).await;
        if st == 401 {
            assert!(body.to_string().contains("revoked"), "{body}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the running SUF never saw the revocation"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The receipt signed before the revocation still verifies; one signed after it does not.
    let j = suf
        .verify_json(&c, before["verificationUrl"].as_str().unwrap())
        .await;
    assert_eq!(j["isValid"], true, "{j}");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (st, after) = post_invoice(&c, &pfr, &sale(100), None).await;
    assert_eq!(st, 200, "the L-PFR keeps signing offline: {after}");
    let j = suf
        .verify_json(&c, after["verificationUrl"].as_str().unwrap())
        .await;
    assert_eq!(j["isValid"], false, "signed after the revocation: {j}");

    // The administration API revokes at once, and says so for an unknown UID.
    let (ok, _, err) = run(&[
        "suf",
        "admin",
        "--env",
        &data.path_str(),
        "--url",
        &suf.base,
        "revoke",
        "ZZZZ9999",
    ]);
    assert!(!ok && err.contains("404"), "{err}");
    let (ok, out, err) = run(&[
        "suf",
        "admin",
        "--env",
        &data.path_str(),
        "--url",
        &suf.base,
        "revoke",
        &uid,
    ]);
    assert!(ok && out.contains("opozvan"), "{out}{err}");
}
