//! Throughput and latency of the L-PFR's `POST /api/v3/invoices` over HTTP with durable writes,
//! beside the bare single-core RSA-2048 signing rate measured in the same run.
//!
//! Run with `cargo bench -p fiskal --bench pfr_throughput`. The server is the real `fiskal`
//! binary (release build); the load generator runs in this process. Both share the machine's
//! cores (no pinning), as an ESIR and an L-PFR on one shop PC would.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;

fn bare_rsa_rate() -> f64 {
    let key = KeyPair::generate(KeySize::Rsa2048).expect("key");
    let rng = SystemRandom::new();
    let msg = [7u8; 321];
    let mut sig = vec![0u8; key.public_modulus_len()];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        key.sign(&RSA_PKCS1_SHA256, &rng, &msg, &mut sig)
            .expect("sign");
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn request(i: usize, omit_qr: bool) -> String {
    let price = 10 + (i % 900);
    serde_json::json!({
        "cashier": "1", "invoiceNumber": "BENCH/1.0",
        "invoiceType": 0, "transactionType": 0,
        "payment": [ { "amount": price, "paymentType": 1 } ],
        "options": { "omitQRCodeGen": if omit_qr { "1" } else { "0" } },
        "items": [ { "name": "Pivo Lav/л", "quantity": 1, "unitPrice": price, "labels": ["Ђ"], "totalAmount": price } ]
    })
    .to_string()
}

struct Run {
    receipts_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    n: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn closed_loop(base: &str, concurrency: usize, total: usize, omit_qr: bool) -> Run {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let counter = counter.clone();
        let url = format!("{base}api/v3/invoices");
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return lat;
                }
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .body(request(i, omit_qr))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await.unwrap();
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Run {
        receipts_per_s: lat.len() as f64 / secs,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
        n: lat.len(),
    }
}

async fn open_loop(base: &str, rate: f64, seconds: f64) -> Run {
    let client = reqwest::Client::new();
    let url = format!("{base}api/v3/invoices");
    let n = (rate * seconds) as usize;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..n {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = client
                .post(&url)
                .header("Content-Type", "application/json")
                .body(request(i, false))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let _ = r.bytes().await.unwrap();
            t.elapsed().as_secs_f64() * 1000.0
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.push(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Run {
        receipts_per_s: lat.len() as f64 / secs,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
        n: lat.len(),
    }
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_fiskal");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let ok = Command::new(bin)
        .args(["se", "init", "--data", d, "--limit", "100000000000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "se init failed");
    println!(
        "fiskal L-PFR benchmark ({} cores shared by server and load generator, no pinning)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let rsa = bare_rsa_rate();
    println!("bare RSA-2048 signing, one core (aws-lc-rs):     {rsa:8.0} signatures/s");
    let mut child = Command::new(bin)
        .args([
            "pfr",
            "serve",
            "--data",
            d,
            "--listen",
            "127.0.0.1:0",
            "--pin",
            "1234",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let _ = closed_loop(&base, 16, 500, true).await; // warm-up
        let a = closed_loop(&base, 64, 20_000, true).await;
        println!(
            "POST invoices, omitQRCodeGen, 64 clients:      {:8.0} receipts/s  p50 {:.2} ms  p99 {:.2} ms  ({} receipts)  = {:.2} x bare RSA (target >= 0.8)",
            a.receipts_per_s, a.p50_ms, a.p99_ms, a.n, a.receipts_per_s / rsa
        );
        let b = closed_loop(&base, 64, 10_000, false).await;
        println!(
            "POST invoices, with QR GIF, 64 clients:        {:8.0} receipts/s  p50 {:.2} ms  p99 {:.2} ms  ({} receipts)  (target >= 1500/s)",
            b.receipts_per_s, b.p50_ms, b.p99_ms, b.n
        );
        let c = open_loop(&base, 200.0, 10.0).await;
        println!(
            "POST invoices, with QR GIF, 200 requests/s:    {:8.0} receipts/s  p50 {:.2} ms  p99 {:.2} ms  ({} receipts)  (target p99 < 10 ms)",
            c.receipts_per_s, c.p50_ms, c.p99_ms, c.n
        );
    });
    let _ = child.kill();
    let _ = child.wait();
    let t = Instant::now();
    let mut qr = 0;
    while t.elapsed() < Duration::from_secs(1) {
        let _ = fiskal_pfr::service::qr::gif_bytes(&format!(
            "https://suf.purs.gov.rs/v/?vl={}",
            "A".repeat(780)
        ))
        .unwrap();
        qr += 1;
    }
    println!(
        "QR GIF of an 810-character URL, one core:       {:8.3} ms each",
        1000.0 / qr as f64
    );
}
