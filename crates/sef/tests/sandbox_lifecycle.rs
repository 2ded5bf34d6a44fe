//! A document's life on the sandbox over real HTTP on 127.0.0.1 (`sef-api.md` §8, §13): sent,
//! tracked and downloaded; rejected, stornoed and cancelled; the buyer timers; callbacks; the
//! reference lists; the SQLite store.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fiskal_sef::sandbox::{Fault, FaultKind, SandboxConfig};
use fiskal_sef::xml::extract_envelope_document;
use fiskal_sef::{
    ApiKey, PdfDownload, PurchaseInvoiceStatus, SalesInvoiceStatus, SefClient, SefError, UblUpload,
    new_request_id,
};

mod common;
use common::*;

#[tokio::test]
async fn valid_invoice_is_accepted_tracked_and_downloadable() {
    let (h, sk, bk) = setup().await;
    let c = client(&h, &sk);
    assert_eq!(c.check_key().await.unwrap().version, "3.14.0");
    let xml = invoice("F-2026-0142");
    let ids = c
        .send_ubl(&UblUpload::new(xml.clone(), new_request_id()))
        .await
        .unwrap();
    assert_eq!(ids.invoice_id, ids.purchase_invoice_id);
    let purchase_id = ids.purchase_invoice_id.unwrap();
    let rec = c.get_sales_invoice(ids.sales_invoice_id).await.unwrap();
    assert_eq!(rec.status, SalesInvoiceStatus::Sent);
    assert_eq!(rec.invoice_id, ids.sales_invoice_id);

    // Changes only for past days (scenario 8), then the next sandbox day (scenario 1).
    let e = c
        .sales_invoice_changes(day("2026-11-25"))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "SearchDateBiggerThanYesterday");
    h.sandbox().advance(86_400).await;
    let ch = c.sales_invoice_changes(day("2026-11-25")).await.unwrap();
    let statuses: Vec<_> = ch.iter().map(|e| e.new_invoice_status).collect();
    assert_eq!(
        statuses,
        vec![SalesInvoiceStatus::Sending, SalesInvoiceStatus::Sent]
    );
    assert!(
        ch.iter()
            .all(|e| e.sales_invoice_id == Some(ids.sales_invoice_id))
    );
    assert!(ch[0].event_id < ch[1].event_id);

    let listed = c
        .sales_invoice_ids(
            SalesInvoiceStatus::Sent,
            day("2026-11-25"),
            day("2026-11-26"),
        )
        .await
        .unwrap();
    assert_eq!(listed, vec![ids.sales_invoice_id]);

    // The stored document comes back in the envelope, byte for byte (without the declaration).
    let env = c.sales_invoice_xml(ids.sales_invoice_id).await.unwrap();
    let doc = extract_envelope_document(&env).unwrap();
    let original = INVOICE.replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "");
    assert_eq!(doc.trim(), original.trim());

    // The buyer's side.
    let b = client(&h, &bk);
    let p = b.get_purchase_invoice(purchase_id).await.unwrap();
    assert_eq!(p.status, PurchaseInvoiceStatus::New);
    let ov = b
        .purchase_invoice_overview(None, day("2026-11-25"), day("2026-11-26"))
        .await
        .unwrap();
    assert_eq!(ov.len(), 1);
    assert_eq!(ov[0].document_number.as_deref(), Some("F-2026-0142"));
    assert_eq!(
        ov[0].amount.map(|a| a.to_string()).as_deref(),
        Some("34949.97")
    );
    // The supplier cannot read the buyer's side and vice versa.
    let e = c.get_purchase_invoice(purchase_id).await.unwrap_err();
    assert_eq!(code(&e), "PurchaseInvoiceNotFound");
    let e = b.get_sales_invoice(ids.sales_invoice_id).await.unwrap_err();
    assert_eq!(code(&e), "SalesInvoiceNotFound");
}

#[tokio::test]
async fn buyer_rejects_then_supplier_stornoes_and_cancel_rules() {
    let (h, sk, bk) = setup().await;
    let c = client(&h, &sk);
    let b = client(&h, &bk);
    let ids = c
        .send_ubl(&UblUpload::new(invoice("F-7"), new_request_id()))
        .await
        .unwrap();
    let pid = ids.purchase_invoice_id.unwrap();
    let sid = ids.sales_invoice_id;
    // Cancelling a Sent document is refused by default.
    let e = c
        .cancel_sales_invoice(sid, "Pogrešan kupac.")
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvoiceForCancellationNotInSpecificStatus");
    // Rejecting needs a comment.
    let e = b
        .accept_reject_purchase_invoice(pid, false, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "CannotRejectInvoiceWithoutComment");
    let r = b
        .accept_reject_purchase_invoice(pid, false, Some("Cena ne odgovara ugovoru."))
        .await
        .unwrap();
    assert!(r.success);
    assert_eq!(
        r.invoice.unwrap().status,
        Some(PurchaseInvoiceStatus::Rejected)
    );
    let rec = c.get_sales_invoice(sid).await.unwrap();
    assert_eq!(rec.status, SalesInvoiceStatus::Rejected);
    assert_eq!(rec.comment.as_deref(), Some("Cena ne odgovara ugovoru."));
    // A second decision is a Success:false answer.
    let e = b
        .accept_reject_purchase_invoice(pid, true, None)
        .await
        .unwrap_err();
    assert!(matches!(e, SefError::Rejected { .. }));
    // Storno: comment required, then Storno, then no second storno.
    let e = c
        .storno_sales_invoice(sid, Some("ST-1"), " ")
        .await
        .unwrap_err();
    assert_eq!(code(&e), "StornoCommentNotDefined");
    let s = c
        .storno_sales_invoice(
            sid,
            Some("ST-2026-0003"),
            "Faktura odbijena, izdaje se nova.",
        )
        .await
        .unwrap();
    assert_eq!(s.status, SalesInvoiceStatus::Storno);
    assert_eq!(s.storno_number.as_deref(), Some("ST-2026-0003"));
    assert_eq!(
        b.get_purchase_invoice(pid).await.unwrap().status,
        PurchaseInvoiceStatus::Storno
    );
    let e = c.storno_sales_invoice(sid, None, "opet").await.unwrap_err();
    assert_eq!(code(&e), "InvoiceCannotBeStornoCancelled");
    // The number stays used after storno.
    let e = c
        .send_ubl(&UblUpload::new(invoice("F-7"), new_request_id()))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "EInvoiceNumberDublicate");

    // Mistake → Cancelled; not twice; an unknown id.
    let ids2 = c
        .send_ubl(&UblUpload::new(invoice("F-8"), new_request_id()))
        .await
        .unwrap();
    h.sandbox()
        .force_status(ids2.sales_invoice_id, SalesInvoiceStatus::Mistake)
        .await
        .unwrap();
    let e = c
        .cancel_sales_invoice(ids2.sales_invoice_id, "")
        .await
        .unwrap_err();
    assert_eq!(code(&e), "CancelCommentNotDefined");
    let r = c
        .cancel_sales_invoice(ids2.sales_invoice_id, "Pogrešan kupac.")
        .await
        .unwrap();
    assert_eq!(r.status, SalesInvoiceStatus::Cancelled);
    assert_eq!(r.invoice_number.as_deref(), Some("F-8"));
    let e = c
        .cancel_sales_invoice(ids2.sales_invoice_id, "x")
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvoiceForCancellationNotInSpecificStatus");
    let e = c.cancel_sales_invoice(1, "x").await.unwrap_err();
    assert_eq!(code(&e), "InvoiceForCancellationNotFound");
    // Accept path and the switch that allows cancelling Sent documents.
    let ids3 = c
        .send_ubl(&UblUpload::new(invoice("F-9"), new_request_id()))
        .await
        .unwrap();
    h.sandbox()
        .update_settings(serde_json::json!({ "allowCancelFromSent": true }))
        .await
        .unwrap();
    let r = c
        .cancel_sales_invoice(ids3.sales_invoice_id, "Greška.")
        .await
        .unwrap();
    assert_eq!(r.status, SalesInvoiceStatus::Cancelled);
    let ids4 = c
        .send_ubl(&UblUpload::new(invoice("F-10"), new_request_id()))
        .await
        .unwrap();
    b.accept_reject_purchase_invoice(ids4.purchase_invoice_id.unwrap(), true, None)
        .await
        .unwrap();
    assert_eq!(
        c.get_sales_invoice(ids4.sales_invoice_id)
            .await
            .unwrap()
            .status,
        SalesInvoiceStatus::Approved
    );
    // Delete is only for drafts.
    let e = c
        .delete_sales_invoice(ids4.sales_invoice_id)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "CannotDeleteInvoiceInThisStatus");
}

#[tokio::test]
async fn cancel_retried_after_a_lost_answer_counts_as_done() {
    let (h, sk, _) = setup().await;
    h.sandbox()
        .update_settings(serde_json::json!({ "faultDelayMs": 1200 }))
        .await
        .unwrap();
    let mut cfg = config(&h);
    cfg.call_timeout = Duration::from_millis(400);
    let c = SefClient::new(cfg, ApiKey::parse(&sk).unwrap()).unwrap();
    let ids = c
        .send_ubl(&UblUpload::new(invoice("F-C1"), new_request_id()))
        .await
        .unwrap();
    h.sandbox()
        .force_status(ids.sales_invoice_id, SalesInvoiceStatus::Mistake)
        .await
        .unwrap();
    h.sandbox().inject_fault(Fault {
        path: "/api/publicApi/sales-invoice/cancel".into(),
        kind: FaultKind::TimeoutAfterCommit,
        count: 1,
    });
    let r = c
        .cancel_sales_invoice(ids.sales_invoice_id, "Pogrešan kupac.")
        .await
        .unwrap();
    assert_eq!(r.status, SalesInvoiceStatus::Cancelled);
}

#[tokio::test]
async fn buyer_timers_move_statuses_when_the_clock_advances() {
    let (h, sk, bk) = setup().await;
    let c = client(&h, &sk);
    let ids = c
        .send_ubl(&UblUpload::new(invoice("F-T"), new_request_id()))
        .await
        .unwrap();
    h.sandbox().advance(16 * 86_400).await;
    let b = client(&h, &bk);
    assert_eq!(
        b.get_purchase_invoice(ids.purchase_invoice_id.unwrap())
            .await
            .unwrap()
            .status,
        PurchaseInvoiceStatus::ReNotified
    );
    h.sandbox().advance(5 * 86_400).await;
    assert_eq!(
        c.get_sales_invoice(ids.sales_invoice_id)
            .await
            .unwrap()
            .status,
        SalesInvoiceStatus::Rejected
    );
}

#[tokio::test]
async fn subscription_callbacks_carry_the_subscription_key() {
    let (h, sk, _) = setup().await;
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/sef/out",
        axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let g = g.clone();
            async move {
                g.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    h.sandbox()
        .set_webhooks(
            SUPPLIER,
            fiskal_sef::sandbox::Webhooks {
                outgoing: Some(format!("http://{addr}/sef/out")),
                incoming: None,
            },
        )
        .await
        .unwrap();
    let c = client(&h, &sk);
    let sub = c.subscribe().await.unwrap();
    assert!(fiskal_sef::key::is_guid(&sub), "{sub}");
    let ids = c
        .send_ubl(&UblUpload::new(invoice("F-W"), new_request_id()))
        .await
        .unwrap();
    for _ in 0..1200 {
        // up to 60 s on a busy machine; ends at the event
        if got.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    for cb in &got {
        let arr = cb.as_array().unwrap();
        assert_eq!(arr.len(), 1);
        assert_eq!(arr[0]["SubscriptionKey"], sub.as_str());
        assert_eq!(arr[0]["SalesInvoiceId"], ids.sales_invoice_id);
    }
}

#[tokio::test]
async fn reference_lists_registry_checks_and_downloads() {
    let (h, sk, _) = setup().await;
    let c = client(&h, &sk);
    let units = c.unit_measures().await.unwrap();
    assert!(
        units
            .iter()
            .any(|u| u.code == "H87" && u.name_srb_ltn.as_deref() == Some("komad"))
    );
    let reasons = c.vat_exemption_reasons().await.unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r.key == "PDV-RS-25-2-3" && r.category.as_deref() == Some("E"))
    );
    assert!(
        c.check_company_registered("99000028", BUYER, None)
            .await
            .unwrap()
    );
    assert!(
        !c.check_company_registered("99000028", "190000037", None)
            .await
            .unwrap()
    );
    let all = c.all_companies(false).await.unwrap();
    assert_eq!(all.len(), 2);
    h.sandbox()
        .update_settings(serde_json::json!({ "pdfInitiatedFirst": true }))
        .await
        .unwrap();
    let ids = c
        .send_ubl(&UblUpload::new(invoice("F-P"), new_request_id()))
        .await
        .unwrap();
    assert!(matches!(
        c.sales_invoice_pdf(ids.sales_invoice_id).await.unwrap(),
        PdfDownload::Initiated(_)
    ));
    match c.sales_invoice_pdf(ids.sales_invoice_id).await.unwrap() {
        PdfDownload::Pdf(b) => assert!(b.starts_with(b"%PDF")),
        other => panic!("{other:?}"),
    }
    assert!(
        !c.sales_invoice_signature(ids.sales_invoice_id)
            .await
            .unwrap()
            .is_empty()
    );
    // Unused operations answer 404.
    let r = reqwest::Client::new()
        .get(format!("{}/api/publicApi/cir-tickets/1", h.base_url()))
        .header("ApiKey", &sk)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn sqlite_store_keeps_state_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sandbox.db");
    let (h, sk, _) = setup_with(SandboxConfig {
        db_path: Some(db.clone()),
        ..SandboxConfig::default()
    })
    .await;
    let ids = client(&h, &sk)
        .send_ubl(&UblUpload::new(invoice("F-DB"), new_request_id()))
        .await
        .unwrap();
    h.shutdown().await;
    let (_, h2) = sandbox_on_loopback(SandboxConfig {
        db_path: Some(db),
        ..SandboxConfig::default()
    })
    .await;
    let c = client(&h2, &sk);
    let rec = c.get_sales_invoice(ids.sales_invoice_id).await.unwrap();
    assert_eq!(rec.status, SalesInvoiceStatus::Sent);
    assert_eq!(h2.sandbox().documents().await.len(), 1);
}
