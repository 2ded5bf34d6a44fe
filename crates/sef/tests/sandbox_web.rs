//! The sandbox on fiskal-web over real HTTP on 127.0.0.1: the portal's security headers, CSRF
//! refusal of cross-site form posts, its three languages, multipart uploads through axum's
//! `Multipart` (malformed forms get SEF's 400, never a 500), the header-read timeout of the
//! listener, and the sample companies of [`Sandbox::seed_samples`].

use std::time::Duration;

use chrono::DateTime;
use fiskal_sef::sandbox::{self, RegistrationError, SandboxConfig, SandboxError, SandboxHandle};
use fiskal_sef::{ApiKey, SefClient, SefClientConfig, UblUpload, new_request_id};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SUPPLIER: &str = "190000012";
const BUYER: &str = "190000029";
const INVOICE: &str = include_str!("data/invoice_380.xml");
const MULTIPART: &str = "/api/publicApi/sales-invoice/ubl/upload";
/// Upper bound for an expected event; never a pause before checking.
const EVENT_DEADLINE: Duration = Duration::from_secs(20);

async fn start() -> SandboxHandle {
    let config = SandboxConfig {
        now: Some(DateTime::parse_from_rfc3339("2026-11-25T10:00:00+01:00").unwrap()),
        ..SandboxConfig::default()
    };
    sandbox::spawn(config, sandbox::LOOPBACK_ANY_PORT)
        .await
        .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn portal_pages_carry_the_security_headers_and_no_inline_style() {
    let h = start().await;
    let r = http()
        .get(format!("{}/portal", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let hd = r.headers().clone();
    let csp = hd["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert_eq!(hd["x-frame-options"], "DENY");
    assert_eq!(hd["x-content-type-options"], "nosniff");
    assert_eq!(hd["referrer-policy"], "no-referrer");
    assert!(hd.contains_key("x-request-id"));
    assert!(
        hd["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"sr-Latn\">"));
    assert!(
        !html.contains("<style") && !html.contains("style="),
        "{html}"
    );
    // Both stylesheets the page links are served.
    for css in ["/static/fiskal.css", "/static/sef-sandbox.css"] {
        assert!(html.contains(&format!("href=\"{css}\"")), "{css}");
        let r = http()
            .get(format!("{}{css}", h.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{css}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/css")
        );
    }
    // The public API is not a page: no CSP, but the request id and nosniff of every answer.
    let r = http()
        .get(format!("{}/api/publicApi/getEfakturaVersion", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(!r.headers().contains_key("content-security-policy"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn cross_site_form_posts_are_refused_and_same_origin_ones_work() {
    let h = start().await;
    let base = h.base_url();
    let form = [
        ("tip", "Privredni subjekt"),
        ("pib", SUPPLIER),
        ("mb", "99000011"),
        ("naziv", "Dobavljač d.o.o."),
    ];
    let post = |headers: &[(&str, &str)]| {
        let mut r = http()
            .post(format!("{base}/portal/registracija"))
            .form(&form);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.send()
    };
    for headers in [
        &[("origin", "http://evil.example")][..],
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://evil.example"),
        ][..],
        &[("sec-fetch-site", "same-site")][..],
    ] {
        let r = post(headers).await.unwrap();
        assert_eq!(r.status().as_u16(), 403, "{headers:?}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("sent from another page or site")
        );
    }
    assert!(h.sandbox().snapshot().await.companies.is_empty());

    // A page on another site cannot reset the sandbox either.
    h.sandbox().seed_samples().await.unwrap();
    let r = http()
        .post(format!("{base}/__sandbox/reset"))
        .header("origin", "http://evil.example")
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(h.sandbox().snapshot().await.companies.len(), 3);
    h.sandbox().reset().await;

    // What a browser sends for the portal's own form: its origin, same-origin.
    let origin = base.as_str();
    let r = post(&[("origin", origin), ("sec-fetch-site", "same-origin")])
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], format!("/portal/firma/{SUPPLIER}"));
    // An older browser: only Origin, naming the server itself.
    let r = http()
        .post(format!(
            "{base}/portal/firma/{SUPPLIER}/podesavanja/api-menadzment/status"
        ))
        .header("origin", origin)
        .form(&[("status", "aktivan")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains(">Aktivan<"));
}

#[tokio::test]
async fn the_portal_speaks_latin_cyrillic_and_english() {
    let h = start().await;
    h.company_with_key(SUPPLIER, "99000011", "Dobavljač Usluge d.o.o.")
        .await
        .unwrap();
    let base = h.base_url();
    let get = |path: String, headers: Vec<(&'static str, &'static str)>| {
        let mut r = http().get(format!("{base}{path}"));
        for (k, v) in headers {
            r = r.header(k, v);
        }
        async move { r.send().await.unwrap() }
    };
    let latin = get("/portal".into(), vec![]).await.text().await.unwrap();
    assert!(latin.contains("Tip kompanije") && latin.contains("lang=\"sr-Latn\""));

    let en = get(
        "/portal".into(),
        vec![("accept-language", "en-US,en;q=0.9")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        en.contains("<html lang=\"en\">") && en.contains("Company type"),
        "{en}"
    );
    assert!(en.contains("Business entity"));

    // ?lang= wins over Accept-Language and is remembered in a cookie.
    let r = get(
        "/portal?lang=sr-Cyrl".into(),
        vec![("accept-language", "en")],
    )
    .await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("lang=sr-Cyrl;"), "{cookie}");
    let cyr = r.text().await.unwrap();
    assert!(cyr.contains("<html lang=\"sr-Cyrl\">") && cyr.contains("Тип компаније"));
    // Company data is shown as registered, not transliterated.
    assert!(cyr.contains("Dobavljač Usluge d.o.o."));
    let dash = get(
        format!("/portal/firma/{SUPPLIER}"),
        vec![("cookie", "lang=sr-Cyrl")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(dash.contains("Командна табла"), "{dash}");

    // A refused registration says why in the page's language.
    let r = http()
        .post(format!("{base}/portal/registracija"))
        .header("accept-language", "en")
        .form(&[
            ("tip", "Privredni subjekt"),
            ("pib", "190000013"),
            ("mb", "99000011"),
            ("naziv", "X"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The PIB 190000013 is not valid")
    );
}

fn form(parts: &[(&str, &str)], boundary: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, content) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"f.xml\"\r\nContent-Type: text/xml\r\n\r\n{content}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

async fn upload(
    h: &SandboxHandle,
    key: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    http()
        .post(format!(
            "{}{MULTIPART}?requestId={}",
            h.base_url(),
            new_request_id()
        ))
        .header("ApiKey", key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn sef_error(r: reqwest::Response) -> (u16, serde_json::Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status}: not a SEF error body ({e}): {text:?}"));
    (status, body)
}

#[tokio::test]
async fn multipart_uploads_and_malformed_forms() {
    let h = start().await;
    let sk = h
        .company_with_key(SUPPLIER, "99000011", "Dobavljač Usluge d.o.o.")
        .await
        .unwrap();
    h.company_with_key(BUYER, "99000028", "Kupac Trgovina d.o.o.")
        .await
        .unwrap();
    // Many calls in a row: no per-key limit here.
    h.sandbox()
        .update_settings(serde_json::json!({ "rateLimitPerSecond": 0 }))
        .await
        .unwrap();
    let ct = "multipart/form-data; boundary=b0undary";

    // The ublFile part is found after another part.
    let ok = form(&[("note", "x"), ("ublFile", INVOICE)], "b0undary");
    let r = upload(&h, &sk, ct, ok.clone()).await;
    assert_eq!(r.status().as_u16(), 200);
    let ids: serde_json::Value = r.json().await.unwrap();
    assert!(ids["SalesInvoiceId"].as_i64().is_some(), "{ids}");

    let (s, b) = sef_error(upload(&h, &sk, ct, form(&[("note", "x")], "b0undary")).await).await;
    assert_eq!(
        (s, b["ErrorCode"].as_str()),
        (400, Some("UBLDocumentNotValid"))
    );
    assert_eq!(b["FieldName"], "ublFile");
    assert_eq!(b["Message"], "The form has no ublFile part.");

    // Cut off in the middle of the part, and a body that is no form at all.
    let cut = ok[..ok.len() / 2].to_vec();
    for (what, body) in [("cut", cut), ("garbage", b"just some text".to_vec())] {
        let (s, b) = sef_error(upload(&h, &sk, ct, body).await).await;
        assert_eq!(s, 400, "{what}: {b}");
        assert_eq!(b["ErrorCode"], "UBLDocumentNotValid", "{what}");
        let m = b["Message"].as_str().unwrap();
        assert!(m.starts_with("The form could not be read: "), "{what}: {m}");
    }
    // Headers of a part that never end.
    let body = b"--b0undary\r\nContent-Disposition: form-data; name=\"ublFile\"".to_vec();
    let (s, b) = sef_error(upload(&h, &sk, ct, body).await).await;
    assert_eq!(
        (s, b["ErrorCode"].as_str()),
        (400, Some("UBLDocumentNotValid"))
    );

    // Not multipart, or without a boundary: 415, as before.
    for ct in ["multipart/form-data", "application/json"] {
        let r = upload(&h, &sk, ct, form(&[("ublFile", INVOICE)], "b0undary")).await;
        assert_eq!(r.status().as_u16(), 415, "{ct}");
    }
    // Authentication comes first: a bad key with a bad form is 401.
    let r = upload(
        &h,
        "00000000-0000-0000-0000-000000000000",
        ct,
        b"x".to_vec(),
    )
    .await;
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(h.sandbox().documents().await.len(), 1);
}

#[tokio::test]
async fn the_sandbox_listener_drops_clients_that_send_headers_slowly() {
    let server = fiskal_web::Server::bind(sandbox::LOOPBACK_ANY_PORT)
        .await
        .unwrap()
        .config(fiskal_web::ServeConfig::new().header_read_timeout(Duration::from_millis(300)));
    let h = sandbox::spawn_on(SandboxConfig::default(), server)
        .await
        .unwrap();
    let mut slow = TcpStream::connect(h.addr()).await.unwrap();
    slow.write_all(b"GET /portal HT").await.unwrap();
    let closed = tokio::time::timeout(EVENT_DEADLINE, async {
        let mut buf = [0u8; 512];
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the sandbox kept a slow client's connection open"
    );
    // Others are served meanwhile and afterwards.
    let r = http()
        .get(format!("{}/portal", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Graceful shutdown stops accepting.
    let addr = h.addr();
    h.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn seeded_sample_companies_can_send_the_sample_invoice() {
    let h = start().await;
    let keys = h.sandbox().seed_samples().await.unwrap();
    assert!(!format!("{keys:?}").contains(&keys.seller));
    let today = sandbox::state::local_date(h.sandbox().now().await);
    let xml = fiskal_ubl::to_xml(&fiskal_ubl::samples::sample_invoice("S-1", today, 2));
    let seller = SefClient::new(
        SefClientConfig::sandbox(&h.base_url()),
        ApiKey::parse(&keys.seller).unwrap(),
    )
    .unwrap();
    let ids = seller
        .send_ubl(&UblUpload::new(xml.into_bytes(), new_request_id()))
        .await
        .unwrap();
    let buyer = SefClient::new(
        SefClientConfig::sandbox(&h.base_url()),
        ApiKey::parse(&keys.buyer).unwrap(),
    )
    .unwrap();
    let id = ids.purchase_invoice_id.unwrap();
    buyer
        .accept_reject_purchase_invoice(id, true, Some("U redu."))
        .await
        .unwrap();
    let snap = h.sandbox().snapshot().await;
    assert!(snap.companies["190000037"].budget_user);
    assert_eq!(snap.companies["190000037"].jbkjs.as_deref(), Some("10520"));
    // Seeding twice refuses the first company that is already there.
    match h.sandbox().seed_samples().await {
        Err(SandboxError::Registration(RegistrationError::Registered(p))) => {
            assert_eq!(p, SUPPLIER)
        }
        other => panic!("{other:?}"),
    }
}
