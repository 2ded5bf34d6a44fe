//! The SEF client against the sandbox over real HTTP on 127.0.0.1 (`sef-api.md` §13 and the
//! fault rules of the issue: no invoice lost or sent twice).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate};
use fiskal_sef::sandbox::{Fault, FaultKind, SandboxConfig, SandboxHandle};
use fiskal_sef::xml::extract_envelope_document;
use fiskal_sef::{
    ApiKey, PdfDownload, PurchaseInvoiceStatus, RetryPolicy, SalesInvoiceStatus, SefClient,
    SefClientConfig, SefError, UblUpload, new_request_id,
};

const SUPPLIER: &str = "190000012";
const BUYER: &str = "190000029";
const INVOICE: &str = include_str!("data/invoice_380.xml");
const CREDIT_NOTE: &str = include_str!("data/credit_note_381.xml");
const UPLOAD_PATH: &str = "/api/publicApi/sales-invoice/ubl";

fn invoice(number: &str) -> Vec<u8> {
    INVOICE.replace("F-2026-0142", number).into_bytes()
}

async fn setup_with(config: SandboxConfig) -> (SandboxHandle, String, String) {
    let config = SandboxConfig {
        now: Some(DateTime::parse_from_rfc3339("2026-11-25T10:00:00+01:00").unwrap()),
        ..config
    };
    let (_, h) = sandbox_on_loopback(config).await;
    let s = h
        .company_with_key(SUPPLIER, "99000011", "Dobavljač Usluge d.o.o.")
        .await
        .unwrap();
    let b = h
        .company_with_key(BUYER, "99000028", "Kupac Trgovina d.o.o.")
        .await
        .unwrap();
    (h, s, b)
}

async fn setup() -> (SandboxHandle, String, String) {
    setup_with(SandboxConfig::default()).await
}

fn config(h: &SandboxHandle) -> SefClientConfig {
    let mut c = SefClientConfig::sandbox(&h.base_url());
    c.retry = RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        rate_limited_initial: Duration::from_millis(200),
        rate_limited_max: Duration::from_secs(2),
        jitter: 0.2,
        max_elapsed: Some(Duration::from_secs(20)),
    };
    c.call_timeout = Duration::from_secs(5);
    c.upload_timeout = Duration::from_secs(5);
    c
}

fn client(h: &SandboxHandle, key: &str) -> SefClient {
    SefClient::new(config(h), ApiKey::parse(key).unwrap()).unwrap()
}

fn code(e: &SefError) -> &str {
    e.error_code().unwrap_or("")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

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
async fn unknown_key_gives_401_with_the_settings_message() {
    let (h, _, _) = setup().await;
    let c = client(&h, "3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90");
    let e = c.check_key().await.unwrap_err();
    assert!(matches!(e, SefError::InvalidKey), "{e:?}");
    assert!(e.message_sr().contains("nije ispravan ili je opozvan"));
    assert!(e.message_sr().contains("Podešavanja > API menadžment"));
    assert!(e.message_en().contains("not valid or was revoked"));
    assert!(e.message_en().contains("Settings > API management"));
    // On the wire: 401, empty body, no content type (§2).
    let r = reqwest::Client::new()
        .get(format!("{}/api/publicApi/getEfakturaVersion", h.base_url()))
        .header("ApiKey", "3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.headers().get("content-type").is_none());
    assert!(r.bytes().await.unwrap().is_empty());
    // No key at all.
    let r = reqwest::Client::new()
        .get(format!("{}/api/publicApi/getEfakturaVersion", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // The key never appears in the sandbox's log, only its last four characters.
    let log = h.sandbox().log();
    assert!(log.iter().any(|e| e.api_key.as_deref() == Some("7b90")));
}

#[tokio::test]
async fn regenerated_key_is_rejected_and_new_key_works() {
    let (h, sk, _) = setup().await;
    let old = client(&h, &sk);
    old.check_key().await.unwrap();
    let new_key = h.sandbox().regenerate_key(&sk).await.unwrap();
    assert_ne!(new_key, sk);
    assert!(matches!(
        old.check_key().await.unwrap_err(),
        SefError::InvalidKey
    ));
    let e = old
        .send_ubl(&UblUpload::new(invoice("F-1"), new_request_id()))
        .await
        .unwrap_err();
    assert!(matches!(e, SefError::InvalidKey));
    client(&h, &new_key).check_key().await.unwrap();
}

#[tokio::test]
async fn inactive_api_status_gives_401_on_every_operation() {
    let (h, sk, _) = setup().await;
    let c = client(&h, &sk);
    let ids = c
        .send_ubl(&UblUpload::new(invoice("F-1"), new_request_id()))
        .await
        .unwrap();
    h.sandbox().set_key_active(&sk, false).await.unwrap();
    assert!(matches!(
        c.check_key().await.unwrap_err(),
        SefError::InvalidKey
    ));
    assert!(matches!(
        c.send_ubl(&UblUpload::new(invoice("F-2"), new_request_id()))
            .await
            .unwrap_err(),
        SefError::InvalidKey
    ));
    assert!(matches!(
        c.get_sales_invoice(ids.sales_invoice_id).await.unwrap_err(),
        SefError::InvalidKey
    ));
    assert!(matches!(
        c.storno_sales_invoice(ids.sales_invoice_id, None, "x")
            .await
            .unwrap_err(),
        SefError::InvalidKey
    ));
    assert!(matches!(
        c.unit_measures().await.unwrap_err(),
        SefError::InvalidKey
    ));
    assert!(matches!(
        c.subscribe().await.unwrap_err(),
        SefError::InvalidKey
    ));
    assert_eq!(h.sandbox().documents().await.len(), 1);
    h.sandbox().set_key_active(&sk, true).await.unwrap();
    c.check_key().await.unwrap();
}

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
        let doc =
            fiskal_sef::xml::Element::parse(extract_envelope_document(&env).unwrap()).unwrap();
        if doc.text_at("ID") == Some("F-REC") {
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

#[tokio::test]
async fn uploads_are_refused_like_sef() {
    let (h, sk, bk) = setup().await;
    let c = client(&h, &sk);
    let send = |xml: Vec<u8>| {
        let c = c.clone();
        async move {
            c.send_ubl(&UblUpload::new(xml, new_request_id()))
                .await
                .unwrap_err()
        }
    };
    assert_eq!(
        code(&send(b"<Invoice><oops></Invoice>".to_vec()).await),
        "XmlInvalid"
    );
    assert_eq!(
        code(&send(b"<Order xmlns=\"urn:x\"/>".to_vec()).await),
        "UBLUnsupportedDocumentType"
    );
    // Scenario 6: IssueDate is not the sandbox's today.
    let e = send(
        INVOICE
            .replace("<cbc:IssueDate>2026-11-25", "<cbc:IssueDate>2026-11-24")
            .replace(
                "2026-11-24</cbc:ActualDeliveryDate>",
                "2026-11-23</cbc:ActualDeliveryDate>",
            )
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&e), "IssueDateCannotBeDifferentFromTodays");
    assert!(
        e.message_sr()
            .contains("datum izdavanja mora biti današnji datum")
    );
    // Delivery date after the issue date.
    let e = send(
        INVOICE
            .replace(
                "2026-11-24</cbc:ActualDeliveryDate>",
                "2026-11-26</cbc:ActualDeliveryDate>",
            )
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&e), "UBLDeliveryDateMustNotBeLatterThanIssueDate");
    // Unknown buyer (valid PIB, not registered) and a wrong check digit.
    let e = send(INVOICE.replace(BUYER, "190000037").into_bytes()).await;
    assert_eq!(code(&e), "ReceiverCompanyNotFound");
    let e = send(INVOICE.replace(BUYER, "190000028").into_bytes()).await;
    assert_eq!(code(&e), "ReceiverCompanyNotFound");
    // Totals that do not add up.
    let e = send(
        INVOICE
            .replace(">5450.00</cbc:TaxAmount>", ">5451.00</cbc:TaxAmount>")
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&e), "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer");
    // MB without its 8 digits.
    let e = send(INVOICE.replace(">99000028<", ">9900028<").into_bytes()).await;
    assert_eq!(code(&e), "UBLRegistrationCodeDoesNotHaveGoodLength");
    // Unit code not in the list.
    let e = send(
        INVOICE
            .replacen("unitCode=\"", "unitCode=\"XX", 1)
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&e), "UBLUnitCodeNotValid");
    // The buyer's key sending a document whose supplier is another company.
    let b = client(&h, &bk);
    let e = b
        .send_ubl(&UblUpload::new(invoice("F-X"), new_request_id()))
        .await
        .unwrap_err();
    assert!(matches!(e, SefError::CompanyMismatch { .. }), "{e:?}");
    assert!(e.is_key_problem());
    // Duplicate number.
    c.send_ubl(&UblUpload::new(invoice("F-D"), new_request_id()))
        .await
        .unwrap();
    assert_eq!(code(&send(invoice("F-D")).await), "EInvoiceNumberDublicate");
    assert_eq!(h.sandbox().documents().await.len(), 1);
    // A company with an information service provider.
    h.sandbox()
        .update_company(SUPPLIER, serde_json::json!({ "isp": true }))
        .await
        .unwrap();
    let e = c.check_key().await.unwrap_err();
    assert!(matches!(e, SefError::IspForbidden), "{e:?}");
    assert!(e.message_sr().contains("informacionog posrednika"));
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
async fn credit_note_needs_a_known_source_invoice() {
    let (h, sk, _) = setup().await;
    let c = client(&h, &sk);
    h.sandbox().advance(2 * 86_400).await; // the credit note is dated 2026-11-27
    let e = c
        .send_ubl(&UblUpload::new(
            CREDIT_NOTE.as_bytes().to_vec(),
            new_request_id(),
        ))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UBLSourceInvoiceNotFound");
    // Send the invoice on its day, then the credit note two days later.
    h.sandbox()
        .set_now(DateTime::parse_from_rfc3339("2026-11-25T10:00:00+01:00").unwrap())
        .await;
    c.send_ubl(&UblUpload::new(
        INVOICE.as_bytes().to_vec(),
        new_request_id(),
    ))
    .await
    .unwrap();
    h.sandbox().advance(2 * 86_400).await;
    let ids = c
        .send_ubl(&UblUpload::new(
            CREDIT_NOTE.as_bytes().to_vec(),
            new_request_id(),
        ))
        .await
        .unwrap();
    let docs = h.sandbox().documents().await;
    let cn = docs
        .iter()
        .find(|d| d.sales_id == ids.sales_invoice_id)
        .unwrap();
    assert_eq!(cn.type_code, "381");
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

/// The seed's flow, played on the sandbox portal with plain form posts.
#[tokio::test]
async fn portal_registration_api_key_and_status() {
    let (_, h) = sandbox_on_loopback(SandboxConfig::default()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = h.base_url();
    let page = http.get(format!("{base}/portal")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Tip kompanije") && html.contains("Matični broj"));

    // A wrong PIB check digit is refused with a Serbian message.
    let r = http
        .post(format!("{base}/portal/registracija"))
        .form(&[
            ("tip", "Privredni subjekt"),
            ("pib", "190000013"),
            ("mb", "99000011"),
            ("naziv", "Greška d.o.o."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("nije ispravan"));

    let r = http
        .post(format!("{base}/portal/registracija"))
        .form(&[
            ("tip", "Privredni subjekt"),
            ("pib", SUPPLIER),
            ("mb", "99000011"),
            ("naziv", "Dobavljač & Sin d.o.o."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], format!("/portal/firma/{SUPPLIER}"));
    let dash = http
        .get(format!("{base}/portal/firma/{SUPPLIER}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dash.contains("Komandna tabla"));
    assert!(
        dash.contains("Dobavljač &amp; Sin d.o.o."),
        "names are escaped"
    );
    assert!(dash.contains("API STATUS nije aktivan"));

    let api = format!("{base}/portal/firma/{SUPPLIER}/podesavanja/api-menadzment");
    let html = http.get(&api).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("API menadžment") && html.contains("Ključ za autentifikaciju"));
    let key1 = shown_key(&html);
    assert!(html.contains(">Neaktivan<"));
    // API STATUS off: the key is refused, exactly as SEF does.
    assert!(matches!(
        client(&h, &key1).check_key().await.unwrap_err(),
        SefError::InvalidKey
    ));

    let html = http
        .post(format!("{api}/status"))
        .form(&[("status", "aktivan")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(">Aktivan<"));
    client(&h, &key1).check_key().await.unwrap();

    let html = http
        .post(format!("{api}/novi-kljuc"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let key2 = shown_key(&html);
    assert_ne!(key1, key2);
    assert!(html.contains("Prethodni ključ više ne važi"));
    assert!(matches!(
        client(&h, &key1).check_key().await.unwrap_err(),
        SefError::InvalidKey
    ));
    client(&h, &key2).check_key().await.unwrap();

    let html = http
        .post(format!("{api}/status"))
        .form(&[("status", "neaktivan")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(">Neaktivan<"));
    assert!(matches!(
        client(&h, &key2).check_key().await.unwrap_err(),
        SefError::InvalidKey
    ));

    let html = http
        .post(format!("{api}/adrese"))
        .form(&[("izlazne", "http://127.0.0.1:9001/sef/out"), ("ulazne", "")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("http://127.0.0.1:9001/sef/out"));
    let snap = h.sandbox().snapshot().await;
    assert_eq!(
        snap.webhooks[SUPPLIER].outgoing.as_deref(),
        Some("http://127.0.0.1:9001/sef/out")
    );
    assert_eq!(snap.webhooks[SUPPLIER].incoming, None);
    let r = http
        .get(format!("{base}/portal/firma/190000037"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

fn shown_key(html: &str) -> String {
    let i = html.find("id=\"api-kljuc\"").expect("key field");
    let rest = &html[i..];
    let v = rest.find("value=\"").unwrap() + 7;
    let end = rest[v..].find('"').unwrap();
    let key = rest[v..v + end].to_string();
    assert!(fiskal_sef::key::is_guid(&key), "{key}");
    key
}

#[tokio::test]
async fn admin_api_over_http() {
    let (_, h) = sandbox_on_loopback(SandboxConfig::default()).await;
    let http = reqwest::Client::new();
    let base = h.base_url();
    let r = http
        .post(format!("{base}/__sandbox/companies"))
        .json(&serde_json::json!({ "pib": SUPPLIER, "mb": "99000011", "name": "Dobavljač", "jbkjs": null, "budgetUser": false, "vatActive": true, "status": "Active", "isp": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r: serde_json::Value = http
        .post(format!("{base}/__sandbox/keys"))
        .json(&serde_json::json!({ "pib": SUPPLIER, "key": null, "active": true }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = r["key"].as_str().unwrap().to_string();
    client(&h, &key).check_key().await.unwrap();
    let r = http
        .post(format!("{base}/__sandbox/keys/{key}/deactivate"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(matches!(
        client(&h, &key).check_key().await.unwrap_err(),
        SefError::InvalidKey
    ));
    let r: serde_json::Value = http
        .put(format!("{base}/__sandbox/clock"))
        .json(&serde_json::json!({ "now": "2026-11-25T10:00:00+01:00" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["today"], "2026-11-25");
    let r: serde_json::Value = http
        .put(format!("{base}/__sandbox/config"))
        .json(&serde_json::json!({ "version": "3.15.0", "rateLimitPerSecond": 0 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["version"], "3.15.0");
    let r = http
        .post(format!("{base}/__sandbox/faults"))
        .json(&serde_json::json!({ "path": "/api/publicApi/getEfakturaVersion", "kind": "http_500", "count": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let log: Vec<serde_json::Value> = http
        .get(format!("{base}/__sandbox/log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        log.iter()
            .all(|e| e["apiKey"].as_str().is_none_or(|k| k.len() == 4))
    );
    let r = http
        .post(format!("{base}/__sandbox/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(h.sandbox().snapshot().await.companies.is_empty());
}

/// A sandbox on 127.0.0.1 with a free port, through the product launcher.
async fn sandbox_on_loopback(
    config: fiskal_sef::SandboxConfig,
) -> (std::net::SocketAddr, fiskal_sef::SandboxHandle) {
    let h = fiskal_sef::sandbox::spawn(config, fiskal_sef::sandbox::LOOPBACK_ANY_PORT)
        .await
        .expect("the SEF sandbox starts on 127.0.0.1:0");
    (h.addr(), h)
}
