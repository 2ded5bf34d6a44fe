//! The SEF client against the sandbox over real HTTP on 127.0.0.1: the rate limit, retries after
//! faults and the `requestId` rules (`sef-api.md` §5, §6, §13 scenarios 2–4): no invoice lost or
//! sent twice.

use std::time::Duration;

use fiskal_sef::sandbox::{Fault, FaultKind};
use fiskal_sef::xml::extract_envelope_document;
use fiskal_sef::{ApiKey, SalesInvoiceStatus, SefClient, SefError, UblUpload, new_request_id};

mod common;
use common::*;

#[tokio::test]
async fn client_never_starts_more_than_three_calls_per_second() {
    let (h, sk, _) = setup().await;
    let c = client(&h, &sk);
    let mut tasks = Vec::new();
    for i in 0..10 {
        // Clones and a second client for the same key share one limiter.
        let c = if i % 2 == 0 {
            c.clone()
        } else {
            client(&h, &sk)
        };
        tasks.push(tokio::spawn(async move { c.check_key().await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mut times: Vec<i64> = h
        .sandbox()
        .log()
        .iter()
        .filter(|e| e.path.ends_with("getEfakturaVersion"))
        .inspect(|e| assert_eq!(e.status, 200, "no call was refused"))
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(times.len(), 10);
    times.sort();
    for (i, t) in times.iter().enumerate() {
        let n = times[i..].iter().filter(|u| **u - t < 1000).count();
        assert!(n <= 3, "{n} calls within one second: {times:?}");
    }
    assert!(
        times[9] - times[0] >= 3000,
        "10 calls need more than 3 s: {times:?}"
    );
}

#[tokio::test]
async fn sandbox_answers_429_above_three_calls_per_second() {
    let (h, sk, _) = setup().await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..4 {
        let r = http
            .get(format!("{}/api/publicApi/getEfakturaVersion", h.base_url()))
            .header("ApiKey", &sk)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status().as_u16() == 429 {
            retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            assert!(r.bytes().await.unwrap().is_empty());
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    assert_eq!(retry_after.as_deref(), Some("1"));
}

/// The limiter keeps windows for issued keys only: a made-up key is refused by authentication
/// (401) however often it comes, and a flood of made-up keys leaves no state behind.
#[tokio::test]
async fn made_up_keys_get_401_and_no_rate_window() {
    let (h, _, _) = setup().await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = http
            .get(format!("{}/api/publicApi/getEfakturaVersion", h.base_url()))
            .header("ApiKey", "11111111-2222-3333-4444-555555555555")
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![401; 5]);
}

#[tokio::test]
async fn rate_limited_upload_is_retried_with_the_same_request_id_and_no_duplicate() {
    let (h, sk, _) = setup().await;
    let c = client(&h, &sk);
    h.sandbox().inject_fault(Fault {
        path: UPLOAD_PATH.into(),
        kind: FaultKind::Http429,
        count: 2,
    });
    let rid = new_request_id();
    let ids = c
        .send_ubl(&UblUpload::new(invoice("F-429"), rid.clone()))
        .await
        .unwrap();
    let docs = h.sandbox().documents().await;
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].sales_id, ids.sales_invoice_id);
    let uploads: Vec<_> = h
        .sandbox()
        .log()
        .into_iter()
        .filter(|e| e.path == UPLOAD_PATH)
        .collect();
    assert_eq!(
        uploads.iter().map(|e| e.status).collect::<Vec<_>>(),
        vec![429, 429, 200]
    );
    assert!(uploads.iter().all(|e| {
        e.query
            .as_deref()
            .unwrap()
            .contains(&format!("requestId={rid}"))
    }));
    // Retry-After: 1 was honoured.
    assert!(uploads[1].at_ms - uploads[0].at_ms >= 1000);
}

#[tokio::test]
async fn server_errors_then_success_store_a_single_invoice() {
    let (h, sk, _) = setup().await;
    let c = client(&h, &sk);
    h.sandbox().inject_fault(Fault {
        path: UPLOAD_PATH.into(),
        kind: FaultKind::Http500,
        count: 1,
    });
    h.sandbox().inject_fault(Fault {
        path: UPLOAD_PATH.into(),
        kind: FaultKind::Http503,
        count: 1,
    });
    h.sandbox().inject_fault(Fault {
        path: UPLOAD_PATH.into(),
        kind: FaultKind::DropConnection,
        count: 1,
    });
    let rid = new_request_id();
    let ids = c
        .send_ubl(&UblUpload::new(invoice("F-500"), rid.clone()))
        .await
        .unwrap();
    assert_eq!(h.sandbox().documents().await.len(), 1);
    let uploads: Vec<_> = h
        .sandbox()
        .log()
        .into_iter()
        .filter(|e| e.path == UPLOAD_PATH)
        .collect();
    assert_eq!(uploads.len(), 4);
    assert!(
        uploads
            .iter()
            .all(|e| e.query.as_deref().unwrap().contains(&rid))
    );
    assert_eq!(
        c.get_sales_invoice(ids.sales_invoice_id)
            .await
            .unwrap()
            .status,
        SalesInvoiceStatus::Sent
    );
}

#[tokio::test]
async fn exhausted_retries_give_unavailable_and_a_later_resend_creates_one_invoice() {
    let (h, sk, _) = setup().await;
    let mut cfg = config(&h);
    cfg.retry.max_attempts = 3;
    let c = SefClient::new(cfg, ApiKey::parse(&sk).unwrap()).unwrap();
    h.sandbox().inject_fault(Fault {
        path: UPLOAD_PATH.into(),
        kind: FaultKind::Http503,
        count: 3,
    });
    let up = UblUpload::new(invoice("F-503"), new_request_id());
    let e = c.send_ubl(&up).await.unwrap_err();
    assert!(matches!(e, SefError::Unavailable { .. }), "{e:?}");
    assert!(e.is_transient());
    assert_eq!(
        e.message_sr(),
        "SEF trenutno nije dostupan. Pokušaćemo ponovo automatski; ništa ne morate da radite."
    );
    assert!(h.sandbox().documents().await.is_empty());
    let ids = c.send_ubl(&up).await.unwrap();
    let again = c.send_ubl(&up).await.unwrap();
    assert_eq!(
        ids, again,
        "same requestId and bytes replay the first answer"
    );
    assert_eq!(h.sandbox().documents().await.len(), 1);
}

#[tokio::test]
async fn timeout_after_commit_is_retried_with_the_same_request_id() {
    let (h, sk, _) = setup().await;
    h.sandbox()
        .update_settings(serde_json::json!({ "faultDelayMs": 1500 }))
        .await
        .unwrap();
    let mut cfg = config(&h);
    cfg.upload_timeout = Duration::from_millis(400);
    let c = SefClient::new(cfg, ApiKey::parse(&sk).unwrap()).unwrap();
    h.sandbox().inject_fault(Fault {
        path: UPLOAD_PATH.into(),
        kind: FaultKind::TimeoutAfterCommit,
        count: 1,
    });
    let ids = c
        .send_ubl(&UblUpload::new(invoice("F-TO"), new_request_id()))
        .await
        .unwrap();
    let docs = h.sandbox().documents().await;
    assert_eq!(docs.len(), 1, "exactly one document exists");
    assert_eq!(
        docs[0].sales_id, ids.sales_invoice_id,
        "the replay returned the first ids"
    );

    // timeout before commit: nothing stored by the first attempt, one document in the end.
    h.sandbox().inject_fault(Fault {
        path: UPLOAD_PATH.into(),
        kind: FaultKind::TimeoutBeforeCommit,
        count: 1,
    });
    c.send_ubl(&UblUpload::new(invoice("F-TO2"), new_request_id()))
        .await
        .unwrap();
    assert_eq!(h.sandbox().documents().await.len(), 2);
}

#[tokio::test]
async fn refusing_idempotency_mode_ends_in_accepted_ids_unknown_and_reconciles() {
    let (h, sk, _) = setup().await;
    h.sandbox()
        .update_settings(serde_json::json!({ "faultDelayMs": 1500, "idempotencyMode": "refuse" }))
        .await
        .unwrap();
    let mut cfg = config(&h);
    cfg.upload_timeout = Duration::from_millis(400);
    let c = SefClient::new(cfg, ApiKey::parse(&sk).unwrap()).unwrap();
    h.sandbox().inject_fault(Fault {
        path: UPLOAD_PATH.into(),
        kind: FaultKind::TimeoutAfterCommit,
        count: 1,
    });
    let rid = new_request_id();
    let e = c
        .send_ubl(&UblUpload::new(invoice("F-REC"), rid.clone()))
        .await
        .unwrap_err();
    match &e {
        SefError::AcceptedIdsUnknown { request_id } => assert_eq!(request_id, &rid),
        other => panic!("expected AcceptedIdsUnknown, got {other:?}"),
    }
    assert!(e.is_request_id_duplicate());
    assert_eq!(h.sandbox().documents().await.len(), 1);
    // Reconciliation: ids of the day, then the XML of each, matched on cbc:ID.
    let ids = c
        .sales_invoice_ids(
            SalesInvoiceStatus::Sent,
            day("2026-11-25"),
            day("2026-11-26"),
        )
        .await
        .unwrap();
    let mut found = None;
    for id in ids {
        let env = c.sales_invoice_xml(id).await.unwrap();
        let doc = fiskal_ubl::read(extract_envelope_document(&env).unwrap()).unwrap();
        if doc.id.as_deref() == Some("F-REC") {
            found = Some(id);
        }
    }
    assert_eq!(found, Some(h.sandbox().documents().await[0].sales_id));
}

#[tokio::test]
async fn request_id_rules() {
    let (h, sk, _) = setup().await;
    let c = client(&h, &sk);
    let rid = new_request_id();
    c.send_ubl(&UblUpload::new(invoice("F-A"), rid.clone()))
        .await
        .unwrap();
    // Scenario 3: same requestId, changed body.
    let e = c
        .send_ubl(&UblUpload::new(invoice("F-B"), rid.clone()))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UBLUploadRequestIdDuplicate");
    assert!(
        matches!(e, SefError::Rejected { .. }),
        "a first-attempt refusal stays a rejection"
    );
    // A stored 400 is replayed for the same bytes.
    let bad_rid = new_request_id();
    let bad = invoice("F-A"); // duplicate number
    let e1 = c
        .send_ubl(&UblUpload::new(bad.clone(), bad_rid.clone()))
        .await
        .unwrap_err();
    let e2 = c.send_ubl(&UblUpload::new(bad, bad_rid)).await.unwrap_err();
    assert_eq!(code(&e1), "EInvoiceNumberDublicate");
    assert_eq!(code(&e2), "EInvoiceNumberDublicate");
    // Missing requestId on the wire.
    let r = reqwest::Client::new()
        .post(format!("{}{UPLOAD_PATH}?sendToCir=No", h.base_url()))
        .header("ApiKey", &sk)
        .header("Content-Type", "application/xml")
        .body(invoice("F-C"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["ErrorCode"], "RequiredRequestId");
    // Wrong content type.
    let r = reqwest::Client::new()
        .post(format!("{}{UPLOAD_PATH}?requestId=x1", h.base_url()))
        .header("ApiKey", &sk)
        .header("Content-Type", "application/json")
        .body(invoice("F-C"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    assert_eq!(h.sandbox().documents().await.len(), 1);
}
