//! Acceptance scenarios of `moje-fakture.md` §14 about sending documents and following their
//! status (timeouts and reconciliation, midnight, the buyer's rejection and storno, the rate
//! limit under load, a crash mid-send, callbacks) against the in-process SEF sandbox, each on
//! SQLite and on PostgreSQL over real connections. The scenarios about tenants and keys are in
//! `acceptance.rs`.

mod common;

use std::time::Duration;

use common::{Env, TestDb, belgrade, pib, test_config};
use fiskal_einvoice::model::DocState;
use fiskal_einvoice::service::ServiceError;
use fiskal_sef::sandbox::Fault;

/// §14.5: timeout after commit → same requestId → one document, `in_sef`. With idempotency
/// `refuse` → `accepted_ids_unknown` → reconciliation finds the ids.
async fn timeout_after_commit_and_reconciliation(db: TestDb) {
    let env = Env::on(db).await;
    let p = pib(19400001);
    let (r, _) = env.tenant(&p).await;
    let t = r.tenant.id;
    let fault = |count| Fault {
        path: "/api/publicApi/sales-invoice/ubl".into(),
        kind: fiskal_sef::sandbox::FaultKind::TimeoutAfterCommit,
        count,
    };
    env.sb.sandbox().inject_fault(fault(1));
    let d = env
        .svc
        .submit_xml(t, &env.invoice(&p, "T-1"), "t")
        .await
        .unwrap()
        .id;
    let rid = env.doc(t, d).await.request_id.unwrap();
    env.svc.run_sender_once().await;
    let doc = env.doc(t, d).await;
    assert_eq!(
        doc.state,
        DocState::Sending,
        "outcome unknown: stays sending"
    );
    env.drain(t, Duration::from_secs(15)).await;
    let doc = env.doc(t, d).await;
    assert_eq!(doc.state, DocState::InSef);
    assert_eq!(doc.request_id.unwrap(), rid);
    assert_eq!(env.sandbox_docs(&p).await.len(), 1, "no duplicate");
    let attempts = env.svc.store().attempts(t, d).await.unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].outcome.as_deref(), Some("unavailable"));
    // refuse mode
    env.sb
        .sandbox()
        .update_settings(serde_json::json!({ "idempotencyMode": "refuse" }))
        .await
        .unwrap();
    env.sb.sandbox().inject_fault(fault(1));
    let d2 = env
        .svc
        .submit_xml(t, &env.invoice(&p, "T-2"), "t")
        .await
        .unwrap()
        .id;
    env.drain(t, Duration::from_secs(15)).await;
    assert_eq!(env.doc(t, d2).await.state, DocState::AcceptedIdsUnknown);
    assert!(env.svc.reconcile(t, d2).await.unwrap());
    let doc2 = env.doc(t, d2).await;
    assert_eq!(doc2.state, DocState::InSef);
    let sb_doc = env
        .sandbox_docs(&p)
        .await
        .into_iter()
        .find(|x| x.number == "T-2")
        .unwrap();
    assert_eq!(doc2.sales_invoice_id, Some(sb_doc.sales_id));
    assert_eq!(env.sandbox_docs(&p).await.len(), 2);
    env.cleanup().await;
}

/// §14.6: queued at 23:59 with SEF unavailable until after midnight → `needs_redate`, never a
/// duplicate; confirming sends a new version dated today. With the document committed before
/// midnight → `in_sef` on the replay.
async fn midnight_redate(db: TestDb) {
    let env = Env::on(db).await;
    let p = pib(19500001);
    let (r, _) = env.tenant(&p).await;
    let t = r.tenant.id;
    env.set_time(belgrade(2030, 3, 14, 23, 59, 30)).await;
    let ubl_path = "/api/publicApi/sales-invoice/ubl".to_string();
    env.sb.sandbox().inject_fault(Fault {
        path: ubl_path.clone(),
        kind: fiskal_sef::sandbox::FaultKind::Http503,
        count: 1,
    });
    let d = env
        .svc
        .submit_xml(t, &env.invoice(&p, "M-1"), "t")
        .await
        .unwrap()
        .id;
    env.svc.run_sender_once().await;
    assert_eq!(env.doc(t, d).await.state, DocState::Sending);
    env.set_time(belgrade(2030, 3, 15, 0, 0, 30)).await;
    env.drain(t, Duration::from_secs(10)).await;
    let doc = env.doc(t, d).await;
    assert_eq!(doc.state, DocState::NeedsRedate);
    assert_eq!(doc.issue_date, "2030-03-14");
    let v = env
        .svc
        .document(t, d, fiskal_einvoice::Lang::SrLatn)
        .await
        .unwrap();
    assert_eq!(v.message.unwrap().id, "sef.document.needs_redate");
    assert!(env.sandbox_docs(&p).await.is_empty());
    let old_rid = doc.request_id.clone().unwrap();
    env.svc.confirm_redate(t, d, "t").await.unwrap();
    env.drain(t, Duration::from_secs(10)).await;
    let doc = env.doc(t, d).await;
    assert_eq!(doc.state, DocState::InSef);
    assert_eq!(doc.issue_date, "2030-03-15");
    assert_eq!(doc.version, 2);
    assert_ne!(
        doc.request_id.unwrap(),
        old_rid,
        "a re-dated version gets a new requestId"
    );
    assert_eq!(env.sandbox_docs(&p).await.len(), 1);

    // Committed before midnight, answer lost: the replay after midnight finds it.
    env.set_time(belgrade(2030, 3, 15, 23, 59, 30)).await;
    env.sb.sandbox().inject_fault(Fault {
        path: ubl_path,
        kind: fiskal_sef::sandbox::FaultKind::TimeoutAfterCommit,
        count: 1,
    });
    let d2 = env
        .svc
        .submit_xml(t, &env.invoice(&p, "M-2"), "t")
        .await
        .unwrap()
        .id;
    env.svc.run_sender_once().await;
    env.set_time(belgrade(2030, 3, 16, 0, 0, 30)).await;
    env.drain(t, Duration::from_secs(10)).await;
    assert_eq!(env.doc(t, d2).await.state, DocState::InSef);
    assert_eq!(env.sandbox_docs(&p).await.len(), 2);
    env.cleanup().await;
}

/// §14.9: the buyer rejects → `Rejected` with the comment, e-mailed; storno → `Storno`; the
/// number cannot be used again.
async fn buyer_rejects_then_storno(db: TestDb) {
    let env = Env::on(db).await;
    let p = pib(19600001);
    let (r, _) = env.tenant(&p).await;
    let t = r.tenant.id;
    let d = env
        .svc
        .submit_xml(t, &env.invoice(&p, "S-1"), "t")
        .await
        .unwrap()
        .id;
    env.drain(t, Duration::from_secs(10)).await;
    let doc = env.svc.refresh_status(t, d).await.unwrap();
    assert_eq!(doc.sef_status.as_deref(), Some("Sent"));
    // Buyer rejects with its own key.
    let buyer_key = env
        .sb
        .sandbox()
        .create_key(fiskal_einvoice::demo::DEMO_BUYER.0, None, true)
        .await
        .unwrap();
    let buyer = fiskal_sef::SefClient::new(
        fiskal_sef::SefClientConfig::sandbox(&env.sb.base_url()),
        fiskal_sef::ApiKey::parse(&buyer_key).unwrap(),
    )
    .unwrap();
    buyer
        .accept_reject_purchase_invoice(
            doc.purchase_invoice_id.unwrap(),
            false,
            Some("Cena ne odgovara ugovoru."),
        )
        .await
        .unwrap();
    let doc = env.svc.refresh_status(t, d).await.unwrap();
    assert_eq!(doc.sef_status.as_deref(), Some("Rejected"));
    let v = env
        .svc
        .document(t, d, fiskal_einvoice::Lang::SrLatn)
        .await
        .unwrap();
    let m = v.message.unwrap();
    assert_eq!(m.id, "sef.document.rejected_by_buyer");
    assert!(m.text.contains("Cena ne odgovara ugovoru."), "{}", m.text);
    let n = env.svc.store().notifications(t).await.unwrap();
    assert_eq!(
        n.iter()
            .filter(|n| n.message_id == "sef.document.rejected_by_buyer")
            .count(),
        1
    );
    // Storno needs a comment.
    assert!(env.svc.storno(t, d, "  ", None, "t").await.is_err());
    let doc = env
        .svc
        .storno(t, d, "Faktura odbijena, izdaje se nova.", None, "t")
        .await
        .unwrap();
    assert_eq!(doc.sef_status.as_deref(), Some("Storno"));
    // Number never reused.
    let e = env
        .svc
        .submit_xml(t, &env.invoice(&p, "S-1"), "t")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Refused { .. }), "{e}");
    assert_eq!(fiskal_einvoice::api::error::status(&e).as_u16(), 409);
    env.cleanup().await;
}

/// §14.7 (reduced to 4 tenants × 12 documents by default; `FISKAL_SEF_LOAD=10x100` for the full
/// size): no 429 from the sandbox's sliding window, no key with more than 3 call starts in any
/// second, every tenant progresses, also with status polling running.
async fn many_tenants_respect_the_rate_limit(db: TestDb) {
    let (tenants, docs) = std::env::var("FISKAL_SEF_LOAD")
        .ok()
        .and_then(|s| {
            s.split_once('x')
                .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        })
        .unwrap_or((4usize, 12usize));
    let mut cfg = test_config();
    cfg.sending_poll_every = Duration::from_millis(300);
    let env = Env::with_config_on(db, cfg).await;
    let mut ts = Vec::new();
    for i in 0..tenants {
        let p = pib(19800001 + i as u32);
        let (r, k) = env.tenant(&p).await;
        ts.push((r.tenant.id, p, k));
    }
    for (t, p, _) in &ts {
        for j in 0..docs {
            env.svc
                .submit_xml(*t, &env.invoice(p, &format!("L-{j}")), "t")
                .await
                .unwrap();
        }
    }
    let svc = env.svc.clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(async move {
        svc.run_workers(async {
            let _ = stop_rx.await;
        })
        .await
    });
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(30 + (tenants * docs) as u64 / 2);
    loop {
        let mut pending = 0;
        for (t, _, _) in &ts {
            pending += env
                .svc
                .store()
                .count_in_states(*t, &[DocState::Queued, DocState::Sending])
                .await
                .unwrap();
        }
        if pending == 0 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop_tx.send(());
    let _ = worker.await;
    let log = env.sb.sandbox().log();
    assert!(
        log.iter().all(|l| l.status != 429),
        "the sandbox never answered 429"
    );
    for (t, p, k) in &ts {
        assert_eq!(
            env.svc
                .store()
                .count_in_states(*t, &[DocState::InSef])
                .await
                .unwrap(),
            docs as i64,
            "tenant {p} finished"
        );
        let mut starts: Vec<i64> = log
            .iter()
            .filter(|l| l.api_key.as_deref() == Some(&k[k.len() - 4..]))
            .map(|l| l.at_ms)
            .collect();
        starts.sort();
        for w in starts.windows(4) {
            assert!(
                w[3] - w[0] >= 1000,
                "key …{} had 4 calls within {} ms",
                &k[k.len() - 4..],
                w[3] - w[0]
            );
        }
    }
    env.cleanup().await;
}

/// A process that died mid-send (attempt started, never finished) is resumed by another process
/// after the lease: same requestId, one document.
async fn crash_mid_send_resumes(db: TestDb) {
    let env = Env::on(db).await;
    let p = pib(19900011);
    let (r, _) = env.tenant(&p).await;
    let t = r.tenant.id;
    let d = env
        .svc
        .submit_xml(t, &env.invoice(&p, "K-1"), "t")
        .await
        .unwrap()
        .id;
    // Simulate the crash: claim and start an attempt, then abandon it (the HTTP call "happened").
    let now = env.svc.now();
    let item = env
        .svc
        .store()
        .claim_next(t, "dead-process", 5000, now)
        .await
        .unwrap()
        .unwrap();
    env.svc
        .store()
        .start_attempt(&item, &env.svc.today().to_string(), now)
        .await
        .unwrap();
    assert!(
        env.svc
            .store()
            .may_have_reached_sef(t, item.version_id)
            .await
            .unwrap()
    );
    // Leased by the dead process: nothing happens yet.
    assert_eq!(env.svc.run_sender_once().await, 0);
    env.clock.advance_ms(6000);
    env.drain(t, Duration::from_secs(10)).await;
    let doc = env.doc(t, d).await;
    assert_eq!(doc.state, DocState::InSef);
    assert_eq!(doc.request_id.unwrap(), item.request_id);
    assert_eq!(env.sandbox_docs(&p).await.len(), 1);
    env.cleanup().await;
}

/// §14.8: a callback with a wrong subscription key is ignored; a correct one leads to a status
/// read; the next morning's sweep produces no duplicate events.
async fn callbacks_and_sweep(db: TestDb) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut cfg = test_config();
    cfg.public_base_url = base.clone();
    let env = Env::with_config_on(db, cfg).await;
    let server = tokio::spawn(fiskal_einvoice::api::serve(
        listener,
        env.svc.clone(),
        std::future::pending(),
    ));
    let p = pib(19900031);
    let (r, _) = env.tenant(&p).await;
    let t = r.tenant.id;
    env.set_time(belgrade(2030, 5, 6, 19, 0, 0)).await;
    env.svc.subscribe(t).await.unwrap();
    env.sb
        .sandbox()
        .set_webhooks(
            &p,
            fiskal_sef::sandbox::Webhooks {
                outgoing: Some(r.callback_url.clone()),
                incoming: None,
            },
        )
        .await
        .unwrap();
    env.set_time(belgrade(2030, 5, 7, 10, 0, 0)).await;
    // A callback with a wrong subscription key is ignored.
    let http = reqwest::Client::new();
    let fake = serde_json::json!([{ "EventId": 999999, "Date": "2030-05-07T10:00:00", "NewInvoiceStatus": "Approved", "SalesInvoiceId": 1, "SubscriptionKey": uuid::Uuid::new_v4().to_string() }]);
    let resp = http.post(&r.callback_url).json(&fake).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["accepted"],
        0
    );
    assert_eq!(env.svc.store().event_count(t).await.unwrap(), 0);
    // Unknown callback token: 404.
    assert_eq!(
        http.post(format!("{base}/sef/callback/nope"))
            .json(&fake)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // A real document: the sandbox calls back with the right key.
    let d = env
        .svc
        .submit_xml(t, &env.invoice(&p, "C-1"), "t")
        .await
        .unwrap()
        .id;
    env.drain(t, Duration::from_secs(10)).await;
    let mut events = 0;
    for _ in 0..1200 {
        events = env.svc.store().event_count(t).await.unwrap(); // ≤ 60 s; ends at the event
        if events >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(events >= 2, "callbacks stored ({events})");
    assert_eq!(
        env.doc(t, d).await.sef_status.as_deref(),
        Some("Sending"),
        "a callback alone changes nothing"
    );
    env.svc.run_background_once().await.unwrap();
    assert_eq!(
        env.doc(t, d).await.sef_status.as_deref(),
        Some("Sent"),
        "the queued status read applied it"
    );
    // Next morning: the sweep of yesterday adds no duplicates.
    env.set_time(belgrade(2030, 5, 8, 6, 30, 0)).await;
    let new = env
        .svc
        .sweep_changes(t, chrono::NaiveDate::from_ymd_opt(2030, 5, 7).unwrap())
        .await
        .unwrap();
    assert_eq!(new, 0, "every event was already known from the callbacks");
    assert_eq!(env.svc.store().event_count(t).await.unwrap(), events);
    assert_eq!(
        env.svc
            .sweep_changes(t, chrono::NaiveDate::from_ymd_opt(2030, 5, 7).unwrap())
            .await
            .unwrap(),
        0
    );
    server.abort();
    env.cleanup().await;
}

fiskal_testkit::store_contract!(
    callbacks_and_sweep,
    timeout_after_commit_and_reconciliation,
    midnight_redate,
    buyer_rejects_then_storno,
    many_tenants_respect_the_rate_limit,
    crash_mid_send_resumes,
);
