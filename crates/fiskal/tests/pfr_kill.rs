//! `kill -9` of the real L-PFR during a stream of requests loses no acknowledged receipt and
//! leaves no gap or repeat in the counters.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use common::*;
use serde_json::Value;

fn request(i: usize) -> String {
    let price = 10 + (i % 90);
    serde_json::json!({
        "invoiceType": 0, "transactionType": 0,
        "payment": [ { "amount": price, "paymentType": 1 } ],
        "options": { "omitQRCodeGen": "1", "omitTextualRepresentation": "1" },
        "items": [ { "name": format!("Артикал {i}/ком"), "quantity": 1, "unitPrice": price, "labels": ["Ђ"], "totalAmount": price } ]
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_a_stream_loses_nothing_and_leaves_no_gap() {
    let data = DataDir::new(&[]);
    let c = client();
    // request id -> invoice number acknowledged by the PFR
    let acked: Arc<Mutex<BTreeMap<String, (String, u64)>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let mut sent_ids: Vec<String> = Vec::new();
    let mut next = 0usize;
    for round in 0..3 {
        let mut pfr = Pfr::start(data.path(), &["--pin", "1234"]);
        let base = pfr.base.clone();
        let mut tasks = Vec::new();
        // Acknowledgements of this round, and a wake-up for each one.
        let acked_now = Arc::new(AtomicUsize::new(0));
        let progress = Arc::new(Notify::new());
        for w in 0..8 {
            let c = c.clone();
            let acked = acked.clone();
            let acked_now = acked_now.clone();
            let progress = progress.clone();
            let base = base.clone();
            let ids: Vec<(String, usize)> = (0..400)
                .map(|k| (format!("r{round}-w{w}-{k}"), next + w * 400 + k))
                .collect();
            sent_ids.extend(ids.iter().map(|(id, _)| id.clone()));
            tasks.push(tokio::spawn(async move {
                for (id, i) in ids {
                    let r = c
                        .post(format!("{base}api/v3/invoices"))
                        .header("Content-Type", "application/json")
                        .header("RequestId", &id)
                        .body(request(i))
                        .send()
                        .await;
                    let Ok(r) = r else { return };
                    if r.status() != 200 {
                        return;
                    }
                    let Ok(v) = r.json::<Value>().await else {
                        return;
                    };
                    acked.lock().unwrap().insert(
                        id,
                        (
                            v["invoiceNumber"].as_str().unwrap().to_string(),
                            v["totalCounter"].as_u64().unwrap(),
                        ),
                    );
                    acked_now.fetch_add(1, Ordering::SeqCst);
                    progress.notify_one();
                }
                // A worker that ends (all sent, or the PFR is gone) wakes the waiter too.
                progress.notify_one();
            }));
        }
        next += 8 * 400;
        // Kill at a different point of each round, while requests are in flight: after this
        // many receipts of the round were acknowledged (an event, not a time, so a busy machine
        // only makes the round slower).
        let kill_after = [25, 200, 600][round];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
        while acked_now.load(Ordering::SeqCst) < kill_after {
            assert!(
                !tasks
                    .iter()
                    .all(|t: &tokio::task::JoinHandle<()>| t.is_finished()),
                "round {round}: every worker stopped before {kill_after} receipts were acknowledged"
            );
            let woke = tokio::time::timeout_at(deadline, progress.notified()).await;
            assert!(
                woke.is_ok(),
                "round {round}: the L-PFR acknowledged too little"
            );
        }
        pfr.kill9();
        for t in tasks {
            let _ = t.await;
        }
    }
    // Restart: every acknowledged receipt is there, unchanged.
    let pfr = Pfr::start(data.path(), &["--pin", "1234"]);
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "too few receipts acknowledged to prove anything: {}",
        acked.len()
    );
    for (id, (number, _)) in &acked {
        let v: Value = c
            .get(pfr.url(&format!("api/v3/invoices/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["invoiceNumber"].as_str(),
            Some(number.as_str()),
            "acknowledged receipt {id} lost"
        );
    }
    // Counters: every acknowledged counter is distinct and the journal has no gap.
    let mut counters: Vec<u64> = acked.values().map(|(_, n)| *n).collect();
    counters.sort();
    let n = counters.len();
    counters.dedup();
    assert_eq!(counters.len(), n, "a counter was used twice");
    let status: Value = c
        .get(pfr.url("api/v3/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last: u64 = status["lastInvoiceNumber"]
        .as_str()
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(last >= *counters.last().unwrap());
    // Every request id that has a receipt maps to exactly one counter; together they cover 1..=last.
    let mut all = Vec::new();
    for id in &sent_ids {
        let v: Value = c
            .get(pfr.url(&format!("api/v3/invoices/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(t) = v["totalCounter"].as_u64() {
            all.push(t);
        }
    }
    all.sort();
    assert_eq!(
        all,
        (1..=last).collect::<Vec<_>>(),
        "the counters have a gap or a repeat"
    );
    drop(pfr);
    let (ok, out, err) = run(&["pfr", "verify", "--data", &data.path_str()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("{last} receipts")), "{out}");
}

/// A crash after the SE signed but before the journal stored the receipt: at restart the
/// receipt is rebuilt from the SE's record, so the counter has no gap and the ESIR's retry
/// with the same RequestId gets that very receipt.
/// Needs the binary's test-only crash switch: `cargo test -p fiskal --features fault-injection`
/// (`scripts/test` enables it).
#[cfg(feature = "fault-injection")]
#[tokio::test]
async fn a_signature_the_journal_lacks_is_recovered_at_restart() {
    let data = DataDir::new(&[]);
    let c = client();
    {
        let pfr = Pfr::start(data.path(), &["--pin", "1234"]);
        let (st, r) = post_invoice(&c, &pfr, &pivo_lav().to_string(), Some("before")).await;
        assert_eq!(st, 200);
        assert_eq!(r["totalCounter"], 1);
    }
    let mut crashing = std::process::Command::new(bin())
        .args([
            "pfr",
            "serve",
            "--data",
            &data.path_str(),
            "--listen",
            "127.0.0.1:0",
            "--pin",
            "1234",
        ])
        .env("FISKAL_FAULT_CRASH_AFTER_SIGN", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(crashing.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    let lost = c
        .post(format!("{base}api/v3/invoices"))
        .header("Content-Type", "application/json")
        .header("RequestId", "lost-answer")
        .body(pivo_lav().to_string())
        .send()
        .await;
    assert!(
        lost.is_err(),
        "the PFR should have crashed before answering"
    );
    let _ = crashing.wait();
    let pfr = Pfr::start(data.path(), &["--pin", "1234"]);
    let (st, r) = post_invoice(&c, &pfr, &pivo_lav().to_string(), Some("lost-answer")).await;
    assert_eq!(st, 200);
    assert_eq!(
        r["totalCounter"], 2,
        "the recovered receipt keeps the counter the SE gave it"
    );
    let (_, next) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(next["totalCounter"], 3);
    drop(pfr);
    let (ok, out, err) = run(&["pfr", "verify", "--data", &data.path_str()]);
    assert!(ok && out.contains("3 receipts"), "{out}{err}");
}
