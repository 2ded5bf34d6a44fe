//! Black-box tests of the L-PFR: the real binary over HTTP.

mod common;

use base64::Engine;
use common::*;
use serde_json::{Value, json};

fn codes(v: &Value) -> Vec<(String, Vec<String>)> {
    v["modelState"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|m| {
            (
                m["property"].as_str().unwrap_or("?").to_string(),
                m["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

fn with(mut base: Value, path: &[&str], v: Value) -> Value {
    let mut cur = &mut base;
    for (i, p) in path.iter().enumerate() {
        let last = i == path.len() - 1;
        let next = if let Ok(n) = p.parse::<usize>() {
            &mut cur[n]
        } else {
            &mut cur[*p]
        };
        if last {
            *next = v;
            return base;
        }
        cur = next;
    }
    base
}

fn without(mut base: Value, key: &str) -> Value {
    base.as_object_mut().unwrap().remove(key);
    base
}

#[tokio::test]
async fn seed_receipt_signs_with_the_spec_numbers_and_everything_round_trips() {
    let data = DataDir::new(&[]);
    let pfr = Pfr::start(data.path(), &[]);
    let c = client();
    // Before the PIN: 1500 and nothing signed.
    let (st, body) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 400);
    assert_eq!(
        codes(&body),
        vec![(String::new(), vec!["1500".to_string()])]
    );
    assert_eq!(
        enter_pin(&c, &pfr, "1234").await,
        (200, "\"0100\"".to_string())
    );
    let s = status(&c, &pfr).await;
    assert_eq!(s["gsc"], json!(["0100", "0220"]));

    let mut req = pivo_lav();
    req["options"]["omitQRCodeGen"] = json!("0");
    let (st, r) = post_invoice(&c, &pfr, &req.to_string(), Some("seed-1")).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["taxItems"][0]["amount"].to_string(), "27.3333");
    assert_eq!(r["taxItems"][0]["label"], "Ђ");
    assert_eq!(r["totalAmount"].to_string(), "164.00");
    assert_eq!(r["invoiceCounter"], "1/1ПП");
    assert_eq!(r["messages"], "Успешно");
    let uid = r["requestedBy"].as_str().unwrap().to_string();
    assert_eq!(r["invoiceNumber"], format!("{uid}-{uid}-1"));
    let journal = r["journal"].as_str().unwrap();
    assert!(
        journal.contains("Ђ           О-ПДВ   20,00%         27,33\r\n"),
        "{journal}"
    );
    assert!(journal.contains("Укупан износ:                     164,00\r\n"));
    let t = r["sdcDateTime"].as_str().unwrap();
    assert_eq!(t.len(), "2021-07-14T15:50:23.000+02:00".len(), "{t}");
    // The QR image is a GIF.
    let gif = base64::engine::general_purpose::STANDARD
        .decode(r["verificationQRCode"].as_str().unwrap())
        .unwrap();
    assert_eq!(&gif[..6], b"GIF89a");
    // The verification URL carries the receipt.
    let url = r["verificationUrl"].as_str().unwrap();
    let p = fiskal_domain::verification_url::VerificationPayload::decode(url).unwrap();
    assert_eq!(p.total_counter, 1);
    assert_eq!(p.total_amount, 1_640_000);
    assert_eq!(p.buyer_id.as_deref(), Some("30:PP3456789"));
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(&p.signature),
        r["signature"].as_str().unwrap()
    );
    // Same RequestId, same body: the same receipt, no new counter.
    let (st, again) = post_invoice(&c, &pfr, &req.to_string(), Some("seed-1")).await;
    assert_eq!(st, 200);
    assert_eq!(again["invoiceNumber"], r["invoiceNumber"]);
    // GET by RequestId.
    let got: Value = c
        .get(pfr.url("api/v3/invoices/seed-1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["invoiceNumber"], r["invoiceNumber"]);
    assert_eq!(got["signature"], r["signature"]);
    let none = c
        .get(pfr.url("api/v3/invoices/unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 200);
    assert_eq!(none.text().await.unwrap(), "null");
    // A RequestId longer than 32 characters is refused as on POST, not looked up.
    let long = c
        .get(pfr.url(&format!("api/v3/invoices/{}", "a".repeat(33))))
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), 400);
    let body: Value = long.json().await.unwrap();
    assert_eq!(body["modelState"][0]["property"], "RequestId", "{body}");
    assert_eq!(body["modelState"][0]["errors"][0], "2801", "{body}");
    // English messages on request, PascalCase names and enum names accepted.
    let pascal = json!({
        "InvoiceType": "Normal", "TransactionType": "sale",
        "Payment": [ { "Amount": 10.00, "PaymentType": "Cash" } ],
        "Items": [ { "Name": "Хлеб/ком", "Quantity": 1, "UnitPrice": 10, "Labels": ["Е"], "TotalAmount": 10.00, "Unknown": 1 } ],
        "Hash": "ignored"
    });
    let resp = c
        .post(pfr.url("api/v3/invoices"))
        .header("Content-Type", "application/json")
        .header("Accept-Language", "en-US")
        .body(pascal.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r2: Value = resp.json().await.unwrap();
    assert_eq!(r2["messages"], "Success");
    assert_eq!(r2["invoiceCounter"], "2/2ПП");
    assert_eq!(r2["taxItems"][0]["amount"].to_string(), "0.9091");
    let s = status(&c, &pfr).await;
    assert_eq!(s["lastInvoiceNumber"], r2["invoiceNumber"]);
    // The journal is intact.
    drop(pfr);
    let (ok, out, err) = run(&["pfr", "verify", "--data", &data.path_str()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("2 receipts"), "{out}");
}

#[tokio::test]
async fn all_ten_documents_with_their_counters_and_markings() {
    let data = DataDir::new(&[]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234"]);
    let c = client();
    let (_, first) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    let reference = first["invoiceNumber"].as_str().unwrap().to_string();
    let ref_time = first["sdcDateTime"].as_str().unwrap().to_string();
    let kinds = [
        (0, 1, "ПР", true),
        (1, 0, "РП", false),
        (1, 1, "РР", false),
        (2, 0, "КП", false),
        (2, 1, "КР", false),
        (3, 0, "ОП", false),
        (3, 1, "ОР", false),
        (4, 0, "АП", true),
        (4, 1, "АР", true),
        (0, 0, "ПП", true),
    ];
    for (n, (it, tt, ext, fiscal)) in kinds.iter().enumerate() {
        let mut req = pivo_lav();
        req["invoiceType"] = json!(it);
        req["transactionType"] = json!(tt);
        req["buyerId"] = json!("10:106884584");
        req["referentDocumentNumber"] = json!(reference);
        req["referentDocumentDT"] = json!(ref_time);
        let (st, r) = post_invoice(&c, &pfr, &req.to_string(), None).await;
        assert_eq!(st, 200, "{ext}: {r}");
        assert_eq!(r["invoiceCounterExtension"], *ext);
        assert_eq!(r["totalCounter"], n as u64 + 2);
        let expected_tt = if *ext == "ПП" { 2 } else { 1 };
        assert_eq!(r["transactionTypeCounter"], expected_tt, "{ext}");
        let journal = r["journal"].as_str().unwrap();
        let notice = "======== ОВО НИЈЕ ФИСКАЛНИ РАЧУН =======\r\n";
        if *fiscal {
            assert!(
                journal.starts_with("============ ФИСКАЛНИ РАЧУН ============\r\n"),
                "{journal}"
            );
            assert!(!journal.contains("ОВО НИЈЕ"));
        } else {
            assert!(journal.starts_with(notice), "{journal}");
            assert!(journal.ends_with(notice), "{journal}");
        }
        if *tt == 1 {
            assert!(journal.contains("Укупна рефундација:"), "{journal}");
            assert!(journal.contains("-164,00"), "{journal}");
        }
        assert!(
            journal.contains(&format!("Реф. број:{:>30}", reference)),
            "{journal}"
        );
    }
}

#[tokio::test]
async fn advance_chain_closes_with_the_advance_settlement() {
    let data = DataDir::new(&[]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234"]);
    let c = client();
    let advance = |amount: &str, it: u8, tt: u8, reference: Option<&str>| {
        let mut v = json!({
            "invoiceType": it, "transactionType": tt, "buyerId": "10:106884584",
            "payment": [ { "amount": amount.parse::<f64>().unwrap(), "paymentType": 4 } ],
            "items": [ { "name": "10: Аванс", "quantity": 1, "unitPrice": amount.parse::<f64>().unwrap(), "labels": ["Ђ"], "totalAmount": amount.parse::<f64>().unwrap() } ]
        });
        if let Some(r) = reference {
            v["referentDocumentNumber"] = json!(r);
        }
        v.to_string()
    };
    let (_, a1) = post_invoice(&c, &pfr, &advance("1000", 4, 0, None), None).await;
    assert_eq!(a1["invoiceCounterExtension"], "АП");
    let (_, a2) = post_invoice(
        &c,
        &pfr,
        &advance("2000", 4, 0, a1["invoiceNumber"].as_str()),
        None,
    )
    .await;
    let (_, ar) = post_invoice(
        &c,
        &pfr,
        &advance("3000", 4, 1, a2["invoiceNumber"].as_str()),
        None,
    )
    .await;
    assert_eq!(ar["invoiceCounterExtension"], "АР", "{ar}");
    // Closing sale of 5000: 3000 paid in advance, 2000 paid now.
    let close = json!({
        "invoiceType": 0, "transactionType": 0, "buyerId": "10:106884584",
        "referentDocumentNumber": ar["invoiceNumber"],
        "payment": [ { "amount": 2000.00, "paymentType": 1 } ],
        "items": [ { "name": "Кухиња/ком", "quantity": 1, "unitPrice": 5000.00, "labels": ["Ђ"], "totalAmount": 5000.00 } ]
    });
    let (st, r) = post_invoice(&c, &pfr, &close.to_string(), None).await;
    assert_eq!(st, 200, "{r}");
    let j = r["journal"].as_str().unwrap();
    assert!(
        j.contains("Плаћено авансом:                3.000,00\r\n"),
        "{j}"
    );
    assert!(
        j.contains("Преостало за плаћање:           2.000,00\r\n"),
        "{j}"
    );
    // Without the advance the same payment would not cover the total.
    let mut short = close.clone();
    short
        .as_object_mut()
        .unwrap()
        .remove("referentDocumentNumber");
    let (st, e) = post_invoice(&c, &pfr, &short.to_string(), None).await;
    assert_eq!(st, 400);
    assert_eq!(
        codes(&e),
        vec![("payment".to_string(), vec!["2805".to_string()])]
    );
}

/// Every row of the error table: the right code, and nothing changes (no counter, no journal
/// entry).
#[tokio::test]
async fn bad_input_gets_its_code_and_changes_nothing() {
    let data = DataDir::new(&[]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234"]);
    let c = client();
    let (st, ok) = post_invoice(&c, &pfr, &pivo_lav().to_string(), Some("taken")).await;
    assert_eq!(st, 200);
    let last = ok["invoiceNumber"].clone();
    let base = pivo_lav();
    let item = |q: Value, p: Value, t: Value| json!({"name": "X/ком", "quantity": q, "unitPrice": p, "labels": ["Ђ"], "totalAmount": t});
    let many_items: Vec<Value> = (0..1001)
        .map(|_| item(json!(1), json!(1), json!(1)))
        .collect();
    let many_payments: Vec<Value> = (0..21)
        .map(|_| json!({"amount": 10, "paymentType": 1}))
        .collect();
    let refund = with(base.clone(), &["transactionType"], json!(1));
    /// (what, request body, expected (property, code) pairs).
    type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        ("malformed JSON", "{\"invoiceType\": 0,".into(), vec![("", "2806")]),
        ("not an object", "[1,2]".into(), vec![("", "2806")]),
        ("wrong type", with(base.clone(), &["items", "0", "quantity"], json!("two")).to_string(), vec![("items[0].quantity", "2806")]),
        ("unknown enum number", with(base.clone(), &["invoiceType"], json!(7)).to_string(), vec![("invoiceType", "2805")]),
        ("unknown enum name", with(base.clone(), &["transactionType"], json!("Sell")).to_string(), vec![("transactionType", "2805")]),
        ("missing enum", without(base.clone(), "invoiceType").to_string(), vec![("invoiceType", "2800")]),
        ("negative price", with(base.clone(), &["items", "0", "unitPrice"], json!(-82)).to_string(), vec![("items[0].unitPrice", "2804")]),
        ("negative payment", with(base.clone(), &["payment", "0", "amount"], json!(-1)).to_string(), vec![("payment[0].amount", "2804")]),
        ("over-precise price", json!({"invoiceType":0,"transactionType":0,"payment":[{"amount":10,"paymentType":1}],"items":[item(json!(1), json!(1.234), json!(1.23))]}).to_string(), vec![("items[0].unitPrice", "2806")]),
        ("over-precise quantity", json!({"invoiceType":0,"transactionType":0,"payment":[{"amount":10,"paymentType":1}],"items":[item(json!(1.0001), json!(1), json!(1))]}).to_string(), vec![("items[0].quantity", "2806")]),
        ("over-precise payment", with(base.clone(), &["payment", "0", "amount"], json!(164.00001)).to_string(), vec![("payment[0].amount", "2806")]),
        ("quantity below 0.001", with(base.clone(), &["items", "0", "quantity"], json!(0)).to_string(), vec![("items[0].quantity", "2804")]),
        ("total not price x quantity", with(base.clone(), &["items", "0", "totalAmount"], json!(165)).to_string(), vec![("items[0].totalAmount", "2805")]),
        ("too many items", with(base.clone(), &["items"], json!(many_items)).to_string(), vec![("items", "2808")]),
        ("no items", with(base.clone(), &["items"], json!([])).to_string(), vec![("items", "2807")]),
        ("no payment", with(base.clone(), &["payment"], json!([])).to_string(), vec![("payment", "2807")]),
        ("too many payments", with(base.clone(), &["payment"], json!(many_payments)).to_string(), vec![("payment", "2808")]),
        ("unknown tax label", with(base.clone(), &["items", "0", "labels"], json!(["Ђ", "X"])).to_string(), vec![("items[0].labels[1]", "2310")]),
        ("Latin E is not Cyrillic Е", with(base.clone(), &["items", "0", "labels"], json!(["E"])).to_string(), vec![("items[0].labels[0]", "2310")]),
        ("duplicate label", with(base.clone(), &["items", "0", "labels"], json!(["Ђ", "Ђ"])).to_string(), vec![("items[0].labels[1]", "2805")]),
        ("out-of-date label (group not yet in force at the reference time)",
            with(with(with(refund.clone(), &["referentDocumentNumber"], json!("AAAAAAAA-AAAAAAAA-1")), &["referentDocumentDT"], json!("2020-01-01T10:00:00+01:00")), &["buyerId"], json!("10:106884584")).to_string(),
            vec![("items[0].labels[0]", "2310")]),
        ("refund without reference", refund.to_string(), vec![("referentDocumentNumber", "2800")]),
        ("copy without reference", with(base.clone(), &["invoiceType"], json!(2)).to_string(), vec![("referentDocumentNumber", "2800")]),
        ("bad reference format", with(refund.clone(), &["referentDocumentNumber"], json!("ABC-123")).to_string(), vec![("referentDocumentNumber", "2806")]),
        ("reference time without number", with(base.clone(), &["referentDocumentDT"], json!("2024-01-01T10:00:00+01:00")).to_string(), vec![("referentDocumentDT", "2805")]),
        ("reference time in the future", with(with(refund.clone(), &["referentDocumentNumber"], json!("AAAAAAAA-AAAAAAAA-1")), &["referentDocumentDT"], json!("2099-01-01T10:00:00+01:00")).to_string(), vec![("referentDocumentDT", "2804")]),
        ("empty buyer ID", with(base.clone(), &["buyerId"], json!("")).to_string(), vec![("buyerId", "2802")]),
        ("buyer ID too long", with(base.clone(), &["buyerId"], json!("40:DE-123456789012345")).to_string(), vec![("buyerId", "2801")]),
        ("non-ASCII buyer ID", with(base.clone(), &["buyerId"], json!("20:ЛК12345")).to_string(), vec![("buyerId", "2806")]),
        ("cashier too long", with(base.clone(), &["cashier"], json!("x".repeat(51))).to_string(), vec![("cashier", "2801")]),
        ("GTIN length", with(base.clone(), &["items", "0", "gtin"], json!("1234567")).to_string(), vec![("items[0].gtin", "2803")]),
        ("GTIN not digits", with(base.clone(), &["items", "0", "gtin"], json!("1234567A")).to_string(), vec![("items[0].gtin", "2806")]),
        ("bad option", with(base.clone(), &["options", "omitQRCodeGen"], json!("2")).to_string(), vec![("options.omitQRCodeGen", "2805")]),
        ("payment below total", with(base.clone(), &["payment", "0", "amount"], json!(100)).to_string(), vec![("payment", "2805")]),
        ("total beyond the SE range", json!({"invoiceType":0,"transactionType":0,"payment":[{"amount":10000000000000u64,"paymentType":1}],
            "items":[item(json!(1), json!(5000000000000u64), json!(5000000000000u64)), item(json!(1), json!(5000000000000u64), json!(5000000000000u64))]}).to_string(), vec![("items", "2804")]),
        ("several errors at once", json!({"invoiceType": 9, "payment": [], "items": [{"name": "", "quantity": -1, "unitPrice": 1, "labels": [], "totalAmount": 1}]}).to_string(),
            vec![("invoiceType", "2805"), ("transactionType", "2800"), ("payment", "2807"), ("items[0].name", "2802"), ("items[0].quantity", "2804"), ("items[0].labels", "2807")]),
    ];
    for (name, body, expected) in cases {
        let (st, e) = post_invoice(&c, &pfr, &body, None).await;
        assert_eq!(st, 400, "{name}: {e}");
        let got = codes(&e);
        let want: Vec<(String, Vec<String>)> = expected
            .iter()
            .map(|(p, c)| (p.to_string(), vec![c.to_string()]))
            .collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(e["message"], "Bad Request", "{name}");
        assert_eq!(
            status(&c, &pfr).await["lastInvoiceNumber"],
            last,
            "{name} changed the journal"
        );
    }
    // RequestId rules.
    let long_id = "x".repeat(33);
    let (st, e) = post_invoice(&c, &pfr, &base.to_string(), Some(&long_id)).await;
    assert_eq!(
        (st, codes(&e)),
        (
            400,
            vec![("RequestId".to_string(), vec!["2801".to_string()])]
        )
    );
    let other = with(base.clone(), &["cashier"], json!("2"));
    let (st, e) = post_invoice(&c, &pfr, &other.to_string(), Some("taken")).await;
    assert_eq!(
        (st, codes(&e)),
        (
            400,
            vec![("RequestId".to_string(), vec!["2805".to_string()])]
        )
    );
    // HTTP-level rows.
    let r = c
        .post(pfr.url("api/v3/invoices"))
        .header("Accept-Language", "de-DE")
        .body(base.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 406);
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(1_100_000));
    // The PFR answers 413 as soon as it sees the length and closes the connection without
    // reading the rest; if the close reaches the client before the answer is read, the send
    // fails. That is a race of the client, not a second answer, so the request is repeated
    // until the answer is read (each attempt must be a 413 when one is read). The attempts use
    // their own client, so the connection the PFR closes is never handed back to `c`'s pool
    // for the requests that follow.
    let oversized = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut too_large = None;
    for _ in 0..5 {
        match oversized
            .post(pfr.url("api/v3/invoices"))
            .header("Content-Type", "application/json")
            .body(big.clone())
            .send()
            .await
        {
            Ok(r) => {
                too_large = Some(r.status());
                break;
            }
            Err(e) => assert!(!e.is_timeout(), "{e}"),
        }
    }
    assert_eq!(too_large, Some(reqwest::StatusCode::PAYLOAD_TOO_LARGE));
    let r = c.get(pfr.url("api/v3/nothing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let r = c.delete(pfr.url("api/v3/status")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        enter_pin(&c, &pfr, "12a4").await,
        (400, "\"2806\"".to_string())
    );
    assert_eq!(status(&c, &pfr).await["lastInvoiceNumber"], last);
    // No counter was used: the next receipt is number 2.
    let (st, next) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 200);
    assert_eq!(next["totalCounter"], 2);
    assert_eq!(next["invoiceCounter"], "2/2ПП");
}

#[tokio::test]
async fn wrong_pins_lock_the_se_for_good() {
    let data = DataDir::new(&["--pin", "4321"]);
    let mut pfr = Pfr::start(data.path(), &[]);
    let c = client();
    for _ in 0..4 {
        assert_eq!(
            enter_pin(&c, &pfr, "0000").await,
            (423, "\"2100\"".to_string())
        );
    }
    assert_eq!(
        enter_pin(&c, &pfr, "0000").await,
        (423, "\"2110\"".to_string())
    );
    assert_eq!(
        enter_pin(&c, &pfr, "4321").await,
        (423, "\"2110\"".to_string())
    );
    assert_eq!(status(&c, &pfr).await["gsc"][0], "2110");
    let (st, e) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(
        (st, codes(&e)),
        (400, vec![(String::new(), vec!["2110".to_string()])])
    );
    // The lock survives a restart.
    pfr.kill9();
    let pfr = Pfr::start(data.path(), &[]);
    assert_eq!(
        enter_pin(&c, &pfr, "4321").await,
        (423, "\"2110\"".to_string())
    );
}

#[tokio::test]
async fn the_limit_stops_signing_after_the_crossing_invoice() {
    let data = DataDir::new(&["--limit", "300"]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234"]);
    let c = client();
    let (st, _) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 200);
    let s = status(&c, &pfr).await;
    assert_eq!(s["auditRequired"], false);
    // 164 + 164 = 328 crosses 300: still signed, with the audit warning.
    let (st, _) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 200);
    let s = status(&c, &pfr).await;
    assert_eq!(s["auditRequired"], true);
    assert_eq!(s["gsc"], json!(["2210", "1400", "0100", "0220"]));
    let (st, e) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(
        (st, codes(&e)),
        (400, vec![(String::new(), vec!["2210".to_string()])])
    );
    assert_eq!(
        status(&c, &pfr).await["lastInvoiceNumber"]
            .as_str()
            .unwrap()
            .rsplit('-')
            .next(),
        Some("2")
    );
}

/// What `fiskal pfr serve` printed on stderr by the time it announced its address on `listen`.
fn stderr_until_listening(data: &DataDir, listen: &str) -> String {
    use std::io::{BufRead, Read};
    let mut child = std::process::Command::new(bin())
        .args([
            "pfr",
            "serve",
            "--data",
            &data.path_str(),
            "--listen",
            listen,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "ended before listening"
        );
        if line.contains("http://") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    err
}

#[test]
fn listening_beyond_this_machine_is_said_out_loud() {
    let data = DataDir::new(&[]);
    let open = stderr_until_listening(&data, "0.0.0.0:0");
    assert!(
        open.contains("can be reached from other machines and has no authentication"),
        "{open}"
    );
    let local = stderr_until_listening(&data, "127.0.0.1:0");
    assert!(!local.contains("warning"), "{local}");
}

/// Hostile numbers and text through the running L-PFR: a price more precise than a Decimal
/// holds is refused (2806) and uses no counter; a right-to-left override in an item name is
/// signed, but the journal prints it as a space, so it cannot reorder the receipt.
#[tokio::test]
async fn hostile_numbers_and_bidi_text_through_the_pfr() {
    let data = DataDir::new(&[]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234"]);
    let c = client();
    let mut precise = pivo_lav();
    let body = precise.to_string().replace(
        "\"unitPrice\":82.0",
        "\"unitPrice\":82.00000000000000000000000000001",
    );
    assert!(body.contains("82.00000000000000000000000000001"), "{body}");
    let (st, e) = post_invoice(&c, &pfr, &body, None).await;
    assert_eq!(st, 400, "{e}");
    assert_eq!(
        codes(&e),
        vec![("items[0].unitPrice".to_string(), vec!["2806".to_string()])]
    );
    precise["items"][0]["name"] = json!("Pivo Lav\u{202E}00,000.1/л");
    let (st, r) = post_invoice(&c, &pfr, &precise.to_string(), None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["totalCounter"], 1, "the refused request used no counter");
    let journal = r["journal"].as_str().unwrap();
    assert!(!journal.contains('\u{202E}'), "{journal}");
    assert!(journal.contains("Pivo Lav 00,000.1/л"), "{journal}");
}
