//! Client and use-case tests against a fake PFR.

mod fake_pfr;

use std::time::Duration;

use fiskal_domain::kinds::{DocumentKind, InvoiceType, TransactionType};
use fiskal_domain::money::dec;
use fiskal_esir::client::{ClientConfig, PfrClient, Pin};
use fiskal_esir::documents::{
    Header, new_document, parse_advance_spec, parse_item_spec, parse_payment_spec,
};
use fiskal_esir::service::Esir;
use fiskal_esir::{EsirError, Lang, QrInText, RuleViolation, Store, printable_stored};

fn fast() -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_millis(400),
        retries: 2,
        retry_delay: Duration::from_millis(10),
        lang: Lang::SrLatn,
        pac: None,
    }
}

fn sale() -> fiskal_domain::api::InvoiceRequest {
    new_document(
        DocumentKind::new(InvoiceType::Normal, TransactionType::Sale),
        &Header {
            cashier: Some("1".into()),
            esir_number: Some("fiskal/test".into()),
            ..Header::default()
        },
        vec![parse_item_spec("Pivo Lav/л;2;82.00;Ђ").unwrap()],
        vec![parse_payment_spec("card:164.00").unwrap()],
    )
}

async fn esir(url: &str, pin: Option<&str>) -> (Esir, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let client = PfrClient::new(url, fast()).unwrap();
    let store = Store::open_dir(dir.path()).await.unwrap();
    (
        Esir::new(
            client,
            store,
            Lang::SrLatn,
            pin.map(|p| Pin::parse(p).unwrap()),
            "fiskal/test".into(),
        ),
        dir,
    )
}

#[tokio::test]
async fn lost_answer_is_retried_with_the_same_request_id_and_signed_once() {
    let (url, fake) = fake_pfr::start("/token123/").await;
    fake.lock().unwrap().lose_answers = 1;
    let client = PfrClient::new(&url, fast()).unwrap();
    let r = client.create_invoice(&sale(), "req-1").await.unwrap();
    assert_eq!(r.invoice_number, format!("{0}-{0}-1", fake_pfr::UID));
    let f = fake.lock().unwrap();
    assert_eq!(f.signed.len(), 1, "signed exactly once");
    assert_eq!(f.posts.len(), 2);
    assert!(f.posts.iter().all(|(id, _)| id == "req-1"));
    assert_eq!(f.lookups, 0);
}

#[tokio::test]
async fn every_answer_lost_falls_back_to_lookup_by_request_id() {
    let (url, fake) = fake_pfr::start("/").await;
    fake.lock().unwrap().lose_answers = 3;
    let client = PfrClient::new(&url, fast()).unwrap();
    let r = client.create_invoice(&sale(), "req-2").await.unwrap();
    let f = fake.lock().unwrap();
    assert_eq!(f.posts.len(), 3);
    assert!(f.posts.iter().all(|(id, _)| id == "req-2"));
    assert_eq!(f.lookups, 1);
    assert_eq!(f.signed, vec![r.invoice_number.clone()]);
}

#[tokio::test]
async fn nothing_signed_and_lookup_empty_is_unreachable_broken_lookup_is_unknown() {
    let (url, fake) = fake_pfr::start("/").await;
    fake.lock().unwrap().drop_unsigned = 3;
    let client = PfrClient::new(&url, fast()).unwrap();
    let e = client.create_invoice(&sale(), "req-3").await.unwrap_err();
    assert!(matches!(e, EsirError::Unreachable { .. }), "{e:?}");
    {
        let mut f = fake.lock().unwrap();
        assert!(f.signed.is_empty());
        f.lose_answers = 3;
        f.lookup_broken = true;
    }
    let e = client.create_invoice(&sale(), "req-4").await.unwrap_err();
    assert!(
        matches!(&e, EsirError::OutcomeUnknown { request_id } if request_id == "req-4"),
        "{e:?}"
    );
    // The PFR did sign it; the next lookup finds it.
    fake.lock().unwrap().lookup_broken = false;
    assert!(
        client
            .invoice_by_request_id("req-4")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        client
            .invoice_by_request_id("nope")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn connection_refused_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = PfrClient::new(&format!("http://{addr}/"), fast()).unwrap();
    assert!(matches!(
        client.status().await,
        Err(EsirError::Unreachable { .. })
    ));
    let e = client.create_invoice(&sale(), "req-5").await.unwrap_err();
    // No attempt got past connecting: certainly not issued.
    assert!(matches!(e, EsirError::Unreachable { .. }), "{e:?}");
}

#[tokio::test]
async fn pfr_errors_parsed_from_the_server() {
    let (url, fake) = fake_pfr::start("/").await;
    let client = PfrClient::new(&url, fast()).unwrap();
    let mut bad = sale();
    bad.items[0].labels = vec!["Ж".into()];
    let e = client.create_invoice(&bad, "req-6").await.unwrap_err();
    assert_eq!(
        e.message(Lang::SrLatn),
        "Polje items[0].labels[0]: neispravne poreske oznake (2310)."
    );
    assert_eq!(
        e.message(Lang::En),
        "Field items[0].labels[0]: invalid tax labels (2310)."
    );
    fake.lock().unwrap().canned_error = Some((400, "2806".into()));
    let e = client.create_invoice(&sale(), "req-7").await.unwrap_err();
    assert!(matches!(&e, EsirError::Pfr { http_status: 400, errors } if errors[0].code == "2806"));
    fake.lock().unwrap().canned_error = Some((
        400,
        r#"{"Message":"Greška","MessageDetails":"2310"}"#.into(),
    ));
    let e = client.create_invoice(&sale(), "req-8").await.unwrap_err();
    assert!(e.has_code(fiskal_domain::gsc::Gsc::InvalidTaxLabels));
    // PIN
    assert_eq!(
        client
            .verify_pin(&Pin::parse("9999").unwrap())
            .await
            .unwrap(),
        fiskal_domain::gsc::Gsc::PinNotOk
    );
    assert_eq!(
        client
            .verify_pin(&Pin::parse("1234").unwrap())
            .await
            .unwrap(),
        fiskal_domain::gsc::Gsc::PinOk
    );
    assert_eq!(fake.lock().unwrap().pins, vec!["9999", "1234"]);
    client.attention().await.unwrap();
}

#[tokio::test]
async fn issue_sends_pin_stores_and_refunds_from_the_store() {
    let (url, fake) = fake_pfr::start("/").await;
    fake.lock().unwrap().pin_ok = false;
    // Without a PIN: refused before anything is sent.
    let (e0, _d0) = esir(&url, None).await;
    assert!(matches!(
        e0.issue(sale()).await,
        Err(EsirError::PinRequired)
    ));
    assert!(fake.lock().unwrap().posts.is_empty());

    let (e, _dir) = esir(&url, Some("1234")).await;
    let issued = e.issue(sale()).await.unwrap();
    assert_eq!(fake.lock().unwrap().pins, vec!["1234"]);
    let n = issued.doc.number().to_string();
    let stored = e.store.by_number(&n).await.unwrap().unwrap();
    assert_eq!(stored.request.items, sale().items);
    assert_eq!(e.store.recent(10).await.unwrap().len(), 1);
    let text = printable_stored(&stored, QrInText::Url);
    assert!(text.contains("ПРОМЕТ ПРОДАЈА"));
    assert!(text.contains(&stored.result.verification_url[..40]));

    // Refund in cash without buyer ID: refused locally.
    let orig = e.original(Some(&n), None).await.unwrap();
    let cash = Some(vec![parse_payment_spec("cash:164").unwrap()]);
    let err = e
        .refund(&orig, Header::default(), None, cash.clone(), true)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EsirError::Rules(v) if v.iter().any(|x| matches!(x, RuleViolation::BuyerIdRequired { .. })))
    );
    assert_eq!(fake.lock().unwrap().posts.len(), 1, "nothing sent");

    // With an ID card: Normal Refund, then a Copy Refund for the signature.
    let out = e
        .refund(
            &orig,
            Header {
                buyer_id: Some("20:0023456".into()),
                ..Header::default()
            },
            None,
            cash,
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        out.refund.doc.kind(),
        DocumentKind::new(InvoiceType::Normal, TransactionType::Refund)
    );
    assert_eq!(
        out.refund.doc.request.referent_document_number.as_deref(),
        Some(n.as_str())
    );
    assert_eq!(
        out.refund.doc.request.referent_document_dt,
        Some(stored.time())
    );
    let copy = out.copy.unwrap();
    assert_eq!(
        copy.doc.kind(),
        DocumentKind::new(InvoiceType::Copy, TransactionType::Refund)
    );
    let text = printable_stored(&copy.doc, QrInText::Placeholder);
    assert!(text.contains("Потпис купца: ______"), "{text}");
    assert!(text.contains("О В О   Н И Ј Е"), "{text}");

    // Refund of a receipt issued elsewhere, by verification URL.
    let other_url = stored.result.verification_url.clone();
    let (e2, _d2) = esir(&url, Some("1234")).await;
    let o = e2.original(None, Some(&other_url)).await.unwrap();
    assert_eq!(o.number, n);
    assert!(o.request.is_none());
    let err = e2
        .refund(
            &o,
            Header {
                buyer_id: Some("20:0023456".into()),
                ..Header::default()
            },
            None,
            None,
            false,
        )
        .await;
    assert!(matches!(err, Err(EsirError::Rules(v)) if v == vec![RuleViolation::ItemsNeeded]));
    let r = e2
        .refund(
            &o,
            Header {
                buyer_id: Some("20:0023456".into()),
                ..Header::default()
            },
            Some(vec![parse_item_spec("Pivo Lav/л;1;82.00;Ђ").unwrap()]),
            Some(vec![parse_payment_spec("card:82").unwrap()]),
            true,
        )
        .await
        .unwrap();
    assert!(r.copy.is_none());
    assert_eq!(r.refund.warnings.len(), 1, "reference not in this store");
}

#[tokio::test]
async fn cancel_copy_and_pending_recovery() {
    let (url, fake) = fake_pfr::start("/").await;
    let (e, _dir) = esir(&url, None).await;
    let s = e.issue(sale()).await.unwrap();
    let c = e.copy(s.doc.number(), Header::default()).await.unwrap();
    assert_eq!(
        c.doc.kind(),
        DocumentKind::new(InvoiceType::Copy, TransactionType::Sale)
    );
    let x = e.cancel(s.doc.number(), Header::default()).await.unwrap();
    assert_eq!(x.doc.request.buyer_id.as_deref(), Some("10:106884584"));
    assert!(matches!(
        e.cancel(c.doc.number(), Header::default()).await,
        Err(EsirError::Rules(_))
    ));

    // An answer lost for good: pending, then found before the next document.
    {
        let mut f = fake.lock().unwrap();
        f.lose_answers = 3;
        f.lookup_broken = true;
    }
    let err = e.issue(sale()).await.unwrap_err();
    let EsirError::OutcomeUnknown { request_id } = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.store.pending().await.unwrap().len(), 1);
    fake.lock().unwrap().lookup_broken = false;
    let next = e.issue(sale()).await.unwrap();
    assert!(e.store.pending().await.unwrap().is_empty());
    let recovered = e.store.by_request_id(&request_id).await.unwrap().unwrap();
    assert_ne!(recovered.number(), next.doc.number());
    assert_eq!(fake.lock().unwrap().signed.len(), 5);
}

#[tokio::test]
async fn advance_chain_start_add_close() {
    let (url, _fake) = fake_pfr::start("/").await;
    let (e, _dir) = esir(&url, None).await;
    let h = Header {
        buyer_id: Some("10:106884584".into()),
        ..Header::default()
    };
    let a1 = e
        .advance_start(
            h.clone(),
            vec![parse_advance_spec("Ђ:5000").unwrap()],
            vec![parse_payment_spec("wire:5000").unwrap()],
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(a1.doc.chain_id.as_deref(), Some(a1.doc.number()));
    let a2 = e
        .advance_add(
            a1.doc.number(),
            Header::default(),
            vec![parse_advance_spec("Ђ:3000").unwrap()],
            vec![parse_payment_spec("cash:3000").unwrap()],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        a2.doc.request.referent_document_number.as_deref(),
        Some(a1.doc.number())
    );
    assert_eq!(a2.doc.chain_id.as_deref(), Some(a1.doc.number()));
    // A Normal Sale straight after an advance is refused.
    let mut direct = sale();
    direct.referent_document_number = Some(a2.doc.number().to_string());
    assert!(
        matches!(e.issue(direct).await, Err(EsirError::Rules(v)) if matches!(v[0], RuleViolation::AdvanceNotClosed { .. }))
    );
    // Goods not paid in full: refused before the Advance Refund is sent.
    let goods = vec![parse_item_spec("Kauč/kom;1;10000;Ђ").unwrap()];
    let err = e
        .advance_close(
            a2.doc.number(),
            Header::default(),
            goods.clone(),
            vec![parse_payment_spec("card:1000").unwrap()],
        )
        .await;
    assert!(
        matches!(err, Err(EsirError::Rules(v)) if matches!(v[0], RuleViolation::PaymentBelowTotal { .. }))
    );
    assert_eq!(e.chain_of(a1.doc.number()).await.unwrap().docs.len(), 2);
    let (ar, ps) = e
        .advance_close(
            a1.doc.number(),
            Header::default(),
            goods,
            vec![parse_payment_spec("card:2000").unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(
        ar.doc.kind(),
        DocumentKind::new(InvoiceType::Advance, TransactionType::Refund)
    );
    assert_eq!(ar.doc.request.total(), dec("8000"));
    assert_eq!(
        ar.doc.request.referent_document_number.as_deref(),
        Some(a2.doc.number())
    );
    assert_eq!(
        ps.doc.request.referent_document_number.as_deref(),
        Some(ar.doc.number())
    );
    let chain = e.chain_of(a1.doc.number()).await.unwrap();
    assert_eq!(chain.docs.len(), 4);
    assert!(chain.is_closed());
    let note = e.closing_note(&ps.doc).await.unwrap().unwrap();
    assert!(
        note.starts_with(&format!("Последњи авансни рачун: {}", a2.doc.number())),
        "{note}"
    );
}
