//! The SUF's pages through fiskal-web's layers: fiskal's layout and stylesheet, security
//! headers, CSRF protection of the forms, the language of each page (Serbian Latin by default,
//! Cyrillic, English; the receipt itself always Cyrillic), the item list and the manual check
//! against receipts received by audit, and the administration's bearer token.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use fiskal_domain::api::InvoiceResult;
use fiskal_domain::lang::Lang;
use fiskal_domain::money::dec;
use fiskal_suf::Suf;
use fiskal_suf::api::page::{manual as manual_page, verification as page};
use fiskal_suf::api::{manual_answer, specifications_answer};
use fiskal_suf::service::Invalid;
use fiskal_suf::service::lookup::{issue_token, specifications};
use fiskal_suf::service::manual::{ManualForm, ManualOutcome, manual_lookup, parse_manual};
use fiskal_suf::store::SqlStore;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let r = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = r.into_parts();
    let b = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&b).into_owned(),
    )
}

fn form_post(uri: &str, extra: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:7700");
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    b.body(Body::from("invoiceNumber=X")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_have_the_layout_the_headers_and_csrf_protection() {
    let e = common::Env::new();
    let (store, _) = common::store(false, e.path()).await;
    let suf = Arc::new(Suf::adopt(e.path(), store, None).await.unwrap());
    let policy = fiskal_suf::api::policy(&suf);
    let app = fiskal_web::layers(fiskal_suf::api::router(suf.clone()), &policy);

    // The manual form: fiskal's layout in Serbian Latin by default, no inline style, the page
    // headers; in Cyrillic when asked.
    let (st, h, html) = call(&app, Request::get("/v/manual").body(Body::empty()).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("<html lang=\"sr-Latn\">"), "{html}");
    assert!(html.contains("href=\"/static/fiskal.css\""), "{html}");
    assert!(html.contains("Provera računa bez QR koda"));
    let (_, _, cyr) = call(
        &app,
        Request::get("/v/manual?lang=sr-Cyrl")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(cyr.contains("<html lang=\"sr-Cyrl\">"), "{cyr}");
    assert!(cyr.contains("<h1>Провера рачуна без QR кода</h1>"), "{cyr}");
    assert!(!html.contains("style="), "{html}");
    assert!(!html.contains("<style"), "{html}");
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert!(h.contains_key("x-request-id"));

    let (st, h, css) = call(
        &app,
        Request::get("/static/fiskal.css")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.contains(".banner"));

    // The form posted from the page itself is checked; one from another site is refused.
    let (st, _, html) = call(
        &app,
        form_post("/v/manual", &[("sec-fetch-site", "same-origin")]),
    )
    .await;
    assert_eq!(
        st,
        StatusCode::BAD_REQUEST,
        "field errors, not a refusal: {html}"
    );
    assert!(html.contains("id=\"errors\""), "{html}");
    let (st, _, text) = call(
        &app,
        form_post("/v/manual", &[("sec-fetch-site", "cross-site")]),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(text.contains("another page or site"), "{text}");
    let (st, _, _) = call(
        &app,
        form_post("/specifications", &[("origin", "https://evil.example")]),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = call(
        &app,
        form_post("/v/manual", &[("origin", "http://127.0.0.1:7700")]),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // TaxCore.API is for machines: no page headers, no CSRF check.
    let (st, h, _) = call(
        &app,
        Request::put("/api/v3/sdc/status")
            .header("sec-fetch-site", "cross-site")
            .body(Body::from("true"))
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(h.get(header::CONTENT_SECURITY_POLICY).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administration_takes_a_bearer_token_in_any_case() {
    let e = common::Env::new();
    let (store, _) = common::store(false, e.path()).await;
    let suf = Arc::new(
        Suf::adopt(e.path(), store, None)
            .await
            .unwrap()
            .with_admin_token("0123456789abcdef0123456789abcdef"),
    );
    let app = fiskal_suf::api::admin::router(suf);
    let get = |auth: Option<&str>| {
        let mut b = Request::get("/portal/api/v1/secure-elements");
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(Body::empty()).unwrap()
    };
    for (auth, want) in [
        (
            Some("Bearer 0123456789abcdef0123456789abcdef"),
            StatusCode::OK,
        ),
        (
            Some("bearer 0123456789abcdef0123456789abcdef"),
            StatusCode::OK,
        ),
        (Some("Bearer wrong"), StatusCode::UNAUTHORIZED),
        (
            Some("Basic 0123456789abcdef0123456789abcdef"),
            StatusCode::UNAUTHORIZED,
        ),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let (st, _, body) = call(&app, get(auth)).await;
        assert_eq!(st, want, "{auth:?}: {body}");
        if want == StatusCode::UNAUTHORIZED {
            assert!(
                body.contains("administration token is missing or wrong"),
                "{body}"
            );
        }
    }
}

/// A SUF holding real receipts signed by a software SE the L-PFR's way; the first `received`
/// of them reached it through a real audit package.
struct Fixture {
    _env: common::Env,
    suf: Arc<Suf<SqlStore>>,
    results: Vec<InvoiceResult>,
}

fn two_items() -> Value {
    json!({
        "cashier": "Радник 1", "invoiceType": 0, "transactionType": 0,
        "payment": [ { "amount": 1303.48, "paymentType": 1 } ],
        "items": [
            { "name": "Pivo Lav/л", "gtin": "12345678", "quantity": 2, "unitPrice": 82.00, "labels": ["Ђ"], "totalAmount": 164.00 },
            { "name": "Хлеб/ком", "quantity": 1.5, "unitPrice": 759.65, "labels": ["Е"], "totalAmount": 1139.48 }
        ]
    })
}

async fn fixture(count: usize, received: usize) -> Fixture {
    let mut e = common::Env::new();
    let store = common::sqlite_store(e.path()).await;
    let suf = Arc::new(Suf::adopt(e.path(), store, None).await.unwrap());
    let mut results = Vec::new();
    for i in 0..count {
        let (req, res, result) = e.sign(&two_items());
        if i < received {
            let a = suf.audit_package(&e.uid(), &e.seal(&req, &res)).await;
            assert_eq!(a.status.code(), 4, "{}", a.message);
        }
        results.push(result);
    }
    Fixture {
        _env: e,
        suf,
        results,
    }
}

fn vl_of(r: &InvoiceResult) -> &str {
    r.verification_url.split_once("vl=").unwrap().1
}

fn form_for(r: &InvoiceResult) -> ManualForm {
    ManualForm {
        invoice_number: r.invoice_number.to_lowercase(),
        invoice_counter: r.invoice_counter.clone(),
        total_amount: fiskal_domain::money::format_money(r.total_amount),
        sdc_date_time: r.sdc_date_time.format("%d.%m.%Y. %H:%M").to_string(),
    }
}

fn form_body(f: &ManualForm) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("invoiceNumber", &f.invoice_number)
        .append_pair("invoiceCounter", &f.invoice_counter)
        .append_pair("totalAmount", &f.total_amount)
        .append_pair("sdcDateTime", &f.sdc_date_time)
        .finish()
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_specifications_and_manual_check_against_received_receipts() {
    let f = fixture(3, 2).await;
    let (got, pending) = (&f.results[1], &f.results[2]);
    assert_eq!(got.invoice_counter, "2/2ПП");

    // Items with per-item taxes whose per-label sums are the receipt's tax items.
    let t = issue_token(&got.invoice_number);
    let items = specifications(&f.suf, &got.invoice_number, &t)
        .await
        .unwrap()
        .expect("items");
    assert_eq!(items.len(), 2);
    let first = &items[0];
    assert_eq!(first.gtin.as_deref(), Some("12345678"));
    assert_eq!(first.name, "Pivo Lav/л");
    assert_eq!(
        (first.quantity, first.unit_price, first.total),
        (dec("2"), dec("82"), dec("164"))
    );
    assert_eq!((first.label.as_str(), first.label_rate), ("Ђ", dec("20")));
    assert_eq!(first.vat_amount, dec("27.3333"));
    assert_eq!(first.tax_base_amount, dec("136.6667"));
    let j = first.to_json();
    assert_eq!(j["vatAmount"].to_string(), "27.3333", "exact number: {j}");
    assert_eq!(j["taxBaseAmount"].to_string(), "136.6667");
    assert_eq!(items[1].to_json()["gtin"], Value::Null);
    assert_eq!(items[1].vat_amount, dec("103.5891"));
    assert_eq!(items[1].tax_base_amount, dec("1035.8909"));
    for ti in &got.tax_items {
        let sum: Decimal = items
            .iter()
            .filter(|i| i.label == ti.label)
            .map(|i| i.vat_amount)
            .sum();
        assert_eq!(sum, ti.amount, "{}", ti.label);
    }
    // Wrong token, other invoice's token, not received: nothing.
    let other = issue_token(&pending.invoice_number);
    for (number, token) in [
        (&got.invoice_number, other.as_str()),
        (&got.invoice_number, "1.AA"),
        (&pending.invoice_number, other.as_str()),
    ] {
        assert_eq!(
            specifications(&f.suf, number, token).await.unwrap(),
            None,
            "{number} {token}"
        );
    }
    let (st, v) = specifications_answer(
        &f.suf,
        format!("invoiceNumber={}&token={t}", got.invoice_number).as_bytes(),
    )
    .await;
    assert_eq!((st, v["success"].clone()), (StatusCode::OK, json!(true)));
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    let (st, v) = specifications_answer(&f.suf, b"invoiceNumber=X&token=Y").await;
    assert_eq!(
        (st, v),
        (StatusCode::OK, json!({"success": false, "items": []}))
    );
    let (st, _) = specifications_answer(&f.suf, b"token=Y").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // Manual check: the right data find the receipt and give the /v/ page, in each language.
    let q = parse_manual(&form_for(got)).unwrap();
    let ManualOutcome::Found { verdict, vl } = manual_lookup(&f.suf, &q).await.unwrap() else {
        panic!("not found");
    };
    assert_eq!(vl, vl_of(got));
    let v = verdict.as_ref().as_ref().expect("valid");
    assert!(v.received.is_some());
    assert_eq!(v.payload.invoice_number(), got.invoice_number);
    let strip = |s: &str| s.split("data-token=").next().unwrap().to_string();
    for lang in Lang::ALL {
        let direct = page::html(&f.suf.verify(vl_of(got)).await.unwrap(), lang, vl_of(got));
        let (st, manual) = manual_answer(&f.suf, &form_body(&form_for(got)), lang).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(strip(&manual), strip(&direct), "same page as /v/?vl=");
        assert!(manual.contains("data-valid=\"true\""));
        assert!(manual.contains("id=\"specifications\""));
    }

    // Each wrong field → not found.
    let mut wrong = Vec::new();
    let mut w = form_for(got);
    w.total_amount = "164,01".into();
    wrong.push(w);
    let mut w = form_for(got);
    w.invoice_counter = got.invoice_counter.replace("ПП", "ПР");
    wrong.push(w);
    let mut w = form_for(got);
    w.invoice_counter = "1/2ПП".into();
    wrong.push(w);
    let mut w = form_for(got);
    w.sdc_date_time = (got.sdc_date_time + chrono::Duration::minutes(1))
        .format("%d.%m.%Y. %H:%M")
        .to_string();
    wrong.push(w);
    let mut w = form_for(got);
    w.sdc_date_time = (got.sdc_date_time + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    wrong.push(w);
    for w in wrong {
        let q = parse_manual(&w).unwrap();
        assert!(
            matches!(
                manual_lookup(&f.suf, &q).await.unwrap(),
                ManualOutcome::NotFound
            ),
            "{w:?}"
        );
        let (st, page) = manual_answer(&f.suf, &form_body(&w), Lang::SrCyrl).await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains("Рачун није пронађен"), "{page}");
        assert!(!page.contains("data-valid=\"true\""));
    }
    let (_, page) = manual_answer(
        &f.suf,
        &form_body(&ManualForm {
            total_amount: "1,00".into(),
            ..form_for(got)
        }),
        Lang::En,
    )
    .await;
    assert!(page.contains(">Receipt not found</div>"), "{page}");
    // The API time format and seconds work too.
    let mut w = form_for(got);
    w.sdc_date_time = got.sdc_date_time.format("%Y-%m-%dT%H:%M:%S").to_string();
    w.total_amount = got.total_amount.to_string();
    assert!(matches!(
        manual_lookup(&f.suf, &parse_manual(&w).unwrap())
            .await
            .unwrap(),
        ManualOutcome::Found { .. }
    ));

    // Not yet received: its own page, even with all data right.
    let q = parse_manual(&form_for(pending)).unwrap();
    assert!(matches!(
        manual_lookup(&f.suf, &q).await.unwrap(),
        ManualOutcome::NotReceived
    ));
    let (st, page) = manual_answer(&f.suf, &form_body(&form_for(pending)), Lang::SrLatn).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("data-outcome=\"not-received\""), "{page}");
    assert!(
        page.contains("Poreska uprava još nije primila račun"),
        "{page}"
    );

    // Bad input: the form again, 400, the messages in the page's language.
    let bad = b"invoiceNumber=&totalAmount=%FF%FE";
    let (st, page) = manual_answer(&f.suf, bad, Lang::SrCyrl).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(page.contains("<form"), "{page}");
    assert!(page.contains("Унесите ПФР број рачуна."));
    let (_, page) = manual_answer(&f.suf, bad, Lang::SrLatn).await;
    assert!(page.contains("Unesite PFR broj računa."), "{page}");
    let (_, page) = manual_answer(&f.suf, bad, Lang::En).await;
    assert!(page.contains("Enter the PFR invoice number."), "{page}");
}

#[test]
fn pages_without_a_usable_link_link_to_the_manual_check() {
    for lang in Lang::ALL {
        assert!(page::missing_vl(lang).contains("href=\"/v/manual\""));
        assert!(
            page::html(&Err(Invalid::BadSignature), lang, "AAAA").contains("href=\"/v/manual\"")
        );
        let form = manual_page::form(&ManualForm::default(), &[], lang);
        assert!(
            form.contains(&format!("action=\"/v/manual?lang={}\"", lang.code()))
                && !form.contains("id=\"errors\""),
            "{form}"
        );
    }
}

fn get(uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::get(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::empty()).unwrap()
}

/// The text of the element with `id` up to its closing tag `</{tag}>`.
fn element<'a>(html: &'a str, id: &str, tag: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}: {html}"));
    let end = html[at..].find(&format!("</{tag}>")).unwrap();
    &html[at..at + end]
}

fn has_cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_speak_the_language_of_the_request_and_the_receipt_stays_cyrillic() {
    let f = fixture(1, 1).await;
    let policy = fiskal_suf::api::policy(&f.suf);
    let app = fiskal_web::layers(fiskal_suf::api::router(f.suf.clone()), &policy);
    let vl = vl_of(&f.results[0]);
    let url = format!("/v/?vl={vl}");

    let mut journals = Vec::new();
    for (headers, lang, valid, items, tax) in [
        (
            vec![],
            Lang::SrLatn,
            "Račun je ispravan",
            "Stavke",
            "porez 20,00%",
        ),
        (
            vec![("accept-language", "sr")],
            Lang::SrLatn,
            "Račun je ispravan",
            "Stavke",
            "porez 20,00%",
        ),
        (
            vec![("accept-language", "sr-Cyrl-RS")],
            Lang::SrCyrl,
            "Рачун је исправан",
            "Ставке",
            "порез 20,00%",
        ),
        (
            vec![("accept-language", "en-US,en;q=0.9")],
            Lang::En,
            "The receipt is valid",
            "Items",
            "tax 20,00%",
        ),
    ] {
        let (st, h, html) = call(&app, get(&url, &headers)).await;
        assert_eq!(st, StatusCode::OK, "{headers:?}");
        assert!(
            html.contains(&format!("<html lang=\"{}\">", lang.html_lang())),
            "{headers:?}: {html}"
        );
        assert!(html.contains(&format!("✓ {valid}</div>")), "{html}");
        assert!(html.contains(&format!("<h2>{items}</h2>")), "{html}");
        assert!(html.contains(tax), "{html}");
        // The receipt's own data as the receipt prints them.
        assert!(html.contains("Pivo Lav/л (Ђ)"), "{html}");
        assert!(html.contains("id=\"counter\">1/1ПП<"), "{html}");
        assert!(html.contains("164,00"), "{html}");
        journals.push(element(&html, "journal", "pre").to_string());
        // The switcher leads to this receipt in the other languages; only `?lang=` sets the cookie.
        for other in Lang::ALL.into_iter().filter(|l| *l != lang) {
            let href = format!("href=\"/v/?vl={vl}&amp;lang={}\"", other.code());
            assert!(html.contains(&href), "{href}: {html}");
        }
        assert!(html.contains("aria-current=\"true\""), "{html}");
        assert!(h.get(header::SET_COOKIE).is_none(), "{h:?}");
        assert_eq!(h[header::VARY], "Accept-Language, Cookie");
    }
    assert!(journals[0].contains("ФИСКАЛНИ РАЧУН"), "{}", journals[0]);
    assert!(journals[0].contains("ПФР број рачуна:"), "{}", journals[0]);
    assert!(
        journals.iter().all(|j| *j == journals[0]),
        "the same journal in every language"
    );

    // `?lang=` beats the header and is remembered in the cookie; the cookie beats the header;
    // a later `?lang=` beats the cookie.
    let (_, h, html) = call(
        &app,
        get(
            &format!("{url}&lang=sr-Cyrl"),
            &[("accept-language", "en-US")],
        ),
    )
    .await;
    assert!(html.contains("✓ Рачун је исправан"), "{html}");
    let cookie = h[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("lang=sr-Cyrl;"), "{cookie}");
    assert!(cookie.contains("Max-Age=31536000"), "{cookie}");
    let (_, _, html) = call(
        &app,
        get(
            &url,
            &[("accept-language", "en-US"), ("cookie", "lang=sr-Cyrl")],
        ),
    )
    .await;
    assert!(html.contains("✓ Рачун је исправан"), "{html}");
    let (_, h, html) = call(
        &app,
        get(
            &format!("/v/?lang=en&vl={vl}"),
            &[("cookie", "lang=sr-Cyrl")],
        ),
    )
    .await;
    assert!(html.contains("✓ The receipt is valid"), "{html}");
    assert!(
        h[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("lang=en;")
    );
    let (_, _, html) = call(&app, get("/v/manual", &[("cookie", "lang=en")])).await;
    assert!(
        html.contains("Checking a receipt without a QR code"),
        "{html}"
    );

    // JSON for machines is the same in every language.
    let (_, _, j) = call(
        &app,
        get(&format!("{url}&lang=en"), &[("accept", "application/json")]),
    )
    .await;
    let j: Value = serde_json::from_str(&j).unwrap();
    assert_eq!(j["isValid"], true);
    assert!(j["journal"].as_str().unwrap().contains("ФИСКАЛНИ РАЧУН"));

    // Invalid and missing links in each language; the switcher keeps the link's `vl`.
    for (lang, bad) in [
        (Lang::SrLatn, "✗ Račun NIJE ispravan"),
        (Lang::SrCyrl, "✗ Рачун НИЈЕ исправан"),
        (Lang::En, "✗ The receipt is NOT valid"),
    ] {
        let (st, _, html) = call(
            &app,
            get(&format!("/v/?vl=AAAA%3D&lang={}", lang.code()), &[]),
        )
        .await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains(bad), "{html}");
        assert!(html.contains("href=\"/v/?vl=AAAA%3D&amp;lang="), "{html}");
    }
    let (st, _, html) = call(&app, get("/v/", &[("accept-language", "en")])).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("the vl parameter is missing"), "{html}");

    // The manual form in each language: Latin has no Cyrillic but the switcher's own name; the
    // English hints quote the receipt's Cyrillic lines.
    let (_, _, latin) = call(&app, get("/v/manual", &[])).await;
    assert!(latin.contains("placeholder=\"12/15PP\""), "{latin}");
    assert!(latin.contains("<button type=\"submit\">Proveri račun</button>"));
    assert!(!has_cyrillic(&latin.replace("Ћирилица", "")), "{latin}");
    let (_, _, cyr) = call(&app, get("/v/manual", &[("accept-language", "sr-Cyrl")])).await;
    assert!(cyr.contains("placeholder=\"12/15ПП\""), "{cyr}");
    assert!(cyr.contains("<button type=\"submit\">Провери рачун</button>"));
    assert!(cyr.contains("Укупан износ (RSD)"), "{cyr}");
    let (_, _, en) = call(&app, get("/v/manual", &[("accept-language", "en-GB")])).await;
    assert!(en.contains("<button type=\"submit\">Check the receipt</button>"));
    assert!(en.contains("The line “ПФР број рачуна”"), "{en}");
    assert!(en.contains("action=\"/v/manual?lang=en\""), "{en}");

    // A posted form answers in the language its action names, and sets no cookie.
    let post = |uri: &str, body: Vec<u8>| {
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header("accept-language", "sr-Cyrl")
            .body(Body::from(body))
            .unwrap()
    };
    let (st, h, html) = call(&app, post("/v/manual?lang=en", b"invoiceNumber=".to_vec())).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("Enter the PFR invoice number."), "{html}");
    assert!(html.contains("Please check the marked fields."), "{html}");
    assert!(h.get(header::SET_COOKIE).is_none());
    let (st, _, html) = call(&app, post("/v/manual", form_body(&form_for(&f.results[0])))).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("✓ Рачун је исправан"), "{html}");
    assert!(
        html.contains(&format!("href=\"/v/?vl={vl}&amp;lang=en\"")),
        "{html}"
    );
}

/// Over the attempt limit the manual check answers 429 in the request's language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attempt_limit_page_speaks_the_language_of_the_request() {
    let f = fixture(0, 0).await;
    let policy = fiskal_suf::api::policy(&f.suf);
    let app = fiskal_web::layers(fiskal_suf::api::router(f.suf.clone()), &policy);
    let post = |uri: &str, lang: &str| {
        let mut r = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header("accept-language", lang)
            .body(Body::from("invoiceNumber="))
            .unwrap();
        let peer: std::net::SocketAddr = "192.0.2.7:4000".parse().unwrap();
        r.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        r
    };
    for _ in 0..fiskal_suf::api::limit::MAX_ATTEMPTS {
        let (st, _, _) = call(&app, post("/v/manual", "en")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
    }
    for (uri, lang, want) in [
        ("/v/manual", "en", "Too many attempts"),
        ("/v/manual", "sr", "Previše pokušaja"),
        ("/v/manual?lang=sr-Cyrl", "en", "Превише покушаја"),
    ] {
        let (st, h, html) = call(&app, post(uri, lang)).await;
        assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(h[header::RETRY_AFTER], "60");
        assert!(
            html.contains(&format!("<h1 id=\"too-many\">{want}</h1>")),
            "{html}"
        );
    }
}
