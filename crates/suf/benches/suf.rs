//! SUF throughput: audit intake (receipts/s) and verification page (requests/s) over HTTP,
//! each beside the bare RSA-2048 private-key and public-key rates measured in the same run on
//! the same number of threads.
//!
//! `cargo bench -p fiskal-suf` (env `SUF_BENCH_N` = receipts, default 400).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Instant;

use fiskal_se::authority::verify_rsa_sha256;
use fiskal_suf::Suf;
use fiskal_suf::package::AuditPackage;

const THREADS: usize = 2;
const IN_FLIGHT: usize = 64;

/// Runs `f` on THREADS threads for about `secs`; returns operations per second.
fn rate(secs: f64, f: impl Fn() + Sync) -> f64 {
    let start = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while start.elapsed().as_secs_f64() < secs {
                        f();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64()
}

async fn run_http(urls: Vec<(String, Option<String>)>, c: reqwest::Client) -> (f64, Vec<String>) {
    let urls = Arc::new(urls);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (urls, next, c) = (urls.clone(), next.clone(), c.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((url, body)) = urls.get(i) else {
                    break;
                };
                let r = match body {
                    Some(b) => c.post(url).body(b.clone()),
                    None => c.get(url).header("Accept", "application/json"),
                };
                out.push(r.send().await.unwrap().text().await.unwrap());
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (urls.len() as f64 / start.elapsed().as_secs_f64(), all)
}

fn main() {
    let n: usize = std::env::var("SUF_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(THREADS)
        .enable_all()
        .build()
        .unwrap();
    let mut e = common::Env::with_limit(1_000_000_000 * 10_000);
    let uid = e.uid();
    eprintln!("signing {n} receipts…");
    let receipts: Vec<_> = (0..n)
        .map(|i| e.sign(&common::receipt(&format!("{}.{:02}", 10 + i, i % 100))))
        .collect();
    let packages: Vec<AuditPackage> = receipts.iter().map(|(rq, rs, _)| e.seal(rq, rs)).collect();

    // Bare RSA rates on the same threads.
    let keys = fiskal_suf::keys::SufKeys::load(e.path()).unwrap();
    let msg = b"fiskal benchmark message";
    let private_rate = rate(2.0, || {
        keys.authority().sign(msg).unwrap();
    });
    let sig = keys.authority().sign(msg).unwrap();
    let spki = keys.authority().authority_public_key_der().to_vec();
    let public_rate = rate(2.0, || {
        assert!(verify_rsa_sha256(&spki, msg, &sig));
    });

    rt.block_on(async {
        let dir = e.path().to_path_buf();
        let store = fiskal_suf::SqlStore::connect(&common::sqlite_url(&dir), None).await.unwrap();
        let suf = Arc::new(Suf::adopt(&dir, store, None).await.unwrap());
        let (token, _) = suf.token(&uid).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(fiskal_suf::serve(suf.clone(), listener, std::future::pending()));
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("TaxCoreAuthenticationToken", token.parse().unwrap());
        h.insert("Content-Type", "application/json".parse().unwrap());
        let c = reqwest::Client::builder().default_headers(h).pool_max_idle_per_host(IN_FLIGHT).build().unwrap();

        // Verification of receipts not yet received: 1 public + 1 private operation each.
        let verify_urls: Vec<_> = receipts
            .iter()
            .map(|(_, _, r)| (format!("{base}v/?vl={}", r.verification_url.split_once("vl=").unwrap().1), None))
            .collect();
        let (v_unreceived, out) = run_http(verify_urls.clone(), c.clone()).await;
        assert!(out.iter().all(|o| o.contains("\"isValid\":true")));

        // Audit intake: 3 private (key, IV, internal data) + 1 public (signature) per receipt.
        let audit_url = format!("{base}api/v3/sdc/audit");
        let bodies: Vec<_> =
            packages.iter().map(|p| (audit_url.clone(), Some(serde_json::to_string(p).unwrap()))).collect();
        let (intake, out) = run_http(bodies, c.clone()).await;
        assert!(out.iter().all(|o| o.contains("\"status\":4")), "{:?}", out.iter().find(|o| !o.contains("\"status\":4")));

        // Verification of received receipts: 1 public operation each.
        let (v_received, _) = run_http(verify_urls.clone(), c.clone()).await;

        // The same received pages in process, without HTTP: verify + JSON answer.
        let vls: Arc<Vec<String>> = Arc::new(
            receipts
                .iter()
                .map(|(_, _, r)| r.verification_url.split_once("vl=").unwrap().1.to_string())
                .collect(),
        );
        let start = Instant::now();
        let mut tasks = Vec::new();
        for t in 0..IN_FLIGHT {
            let (suf, vls) = (suf.clone(), vls.clone());
            tasks.push(tokio::spawn(async move {
                for vl in vls.iter().skip(t).step_by(IN_FLIGHT) {
                    let v = suf.verify(vl).await.unwrap();
                    let body = serde_json::to_vec(&fiskal_suf::api::page::verification::json(&v)).unwrap();
                    assert!(body.len() > 100);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let in_process = vls.len() as f64 / start.elapsed().as_secs_f64();

        // The HTTP ceiling on these cores: an empty axum handler answering "{}" to the same client
        // with the same concurrency.
        let empty = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let empty_base = format!("http://{}/", empty.local_addr().unwrap());
        tokio::spawn(async move {
            let app = axum::Router::new().route("/v/", axum::routing::get(|| async { "{}" }));
            axum::serve(empty, app).await.unwrap();
        });
        let empty_urls: Vec<_> = verify_urls
            .iter()
            .map(|(u, _)| (u.replacen(&base, &empty_base, 1), None))
            .collect();
        let (empty_rate, _) = run_http(empty_urls, c.clone()).await;

        let mixed_intake = 1.0 / (3.0 / private_rate + 1.0 / public_rate);
        let mixed_unreceived = 1.0 / (1.0 / private_rate + 1.0 / public_rate);
        println!("SUF benchmark, {n} receipts, {THREADS} threads, {IN_FLIGHT} requests in flight, SQLite");
        println!("  bare RSA-2048 private-key ops/s : {private_rate:9.0}");
        println!("  bare RSA-2048 public-key ops/s  : {public_rate:9.0}");
        println!(
            "  audit intake receipts/s         : {intake:9.0}  (3 private + 1 public per receipt; crypto alone allows {mixed_intake:.0}; ratio {:.2})",
            intake / mixed_intake
        );
        println!(
            "  verification page, received     : {v_received:9.0}  (1 public per page; crypto alone allows {public_rate:.0}; ratio {:.2})",
            v_received / public_rate
        );
        println!(
            "  received page without HTTP      : {in_process:9.0}  (verify + JSON answer in process)"
        );
        println!(
            "  empty HTTP handler (ceiling)     : {empty_rate:9.0}  (no work; the received page reaches {:.2} of it)",
            v_received / empty_rate
        );
        println!(
            "  verification page, not received : {v_unreceived:9.0}  (1 private + 1 public per page; crypto alone allows {mixed_unreceived:.0}; ratio {:.2})",
            v_unreceived / mixed_unreceived
        );
    });
}
