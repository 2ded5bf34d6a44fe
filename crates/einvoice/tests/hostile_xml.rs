//! Hostile UBL documents against every Moje fakture endpoint that takes XML (`POST
//! /api/v1/documents`, `PUT /api/v1/documents/{id}`, `POST /app/upload`) and against `fiskal sef
//! validate`'s report: each gets a clear refusal, and the server answers the next request
//! (the whole `fiskal sef validate FILE` command is tested in the binary). Durations are
//! printed, never asserted.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, Env, pib};
use fiskal_einvoice::messages::Lang;
use fiskal_einvoice::model::DocState;
use fiskal_einvoice::report::validate_report;
use serde_json::Value;

const OPEN: &str = "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"";

fn deep(depth: usize) -> Vec<u8> {
    format!(
        "{OPEN}>{}{}</Invoice>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    )
    .into_bytes()
}

fn many_attributes(n: usize) -> Vec<u8> {
    let attrs: String = (0..n).map(|i| format!(" a{i}=\"{i}\"")).collect();
    format!("{OPEN}{attrs}/>").into_bytes()
}

/// What each hostile document is, the document, and what its refusal says.
fn hostile() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        (
            "50,000 deep",
            deep(50_000),
            "elements are nested more than 100 levels deep",
        ),
        (
            "80,000 attributes",
            many_attributes(80_000),
            "an element has more than 64 attributes",
        ),
    ]
}

async fn serve(env: &Env) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(fiskal_einvoice::api::serve(
        listener,
        env.svc.clone(),
        std::future::pending(),
    ));
    base
}

fn multipart(content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----fiskalhostile7MA4YWxk";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.xml\"\r\nContent-Type: text/xml\r\n\r\n").into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Asserts the API's 422 `document.invalid` with one `XML` finding that says `says`.
async fn assert_api_refusal(r: reqwest::Response, what: &str, says: &str) {
    assert_eq!(r.status(), 422, "{what}");
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["id"], "document.invalid", "{what}: {b}");
    let f = &b["error"]["findings"][0];
    assert_eq!(f["rule_id"], "XML", "{what}: {b}");
    assert!(f["message"].as_str().unwrap().contains(says), "{what}: {b}");
}

/// A document of the tenant that SEF refused: its number was put into the sandbox first.
async fn refused_document(env: &Env, p: &str, key: &str, tenant: i64) -> i64 {
    let xml = env.invoice(p, "H-REF");
    let r = reqwest::Client::new()
        .post(format!(
            "{}/api/publicApi/sales-invoice/ubl?requestId={}",
            env.sb.base_url(),
            uuid::Uuid::new_v4()
        ))
        .header("ApiKey", key)
        .header("Content-Type", "application/xml")
        .body(xml.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc = env.svc.submit_xml(tenant, &xml, "test").await.unwrap();
    env.drain(tenant, Duration::from_secs(60)).await;
    assert_eq!(env.doc(tenant, doc.id).await.state, DocState::Refused);
    doc.id
}

#[tokio::test]
async fn hostile_uploads_are_refused_by_every_endpoint() {
    let env = Env::new(Backend::Sqlite).await;
    let base = serve(&env).await;
    let http = reqwest::Client::new();
    let p = pib(18300001);
    let (reg, key) = env.tenant(&p).await;
    let (tenant, token) = (reg.tenant.id, reg.access_token);

    // POST /api/v1/documents
    for (what, xml, says) in hostile() {
        let t = Instant::now();
        let r = http
            .post(format!("{base}/api/v1/documents?lang=en"))
            .bearer_auth(&token)
            .header("Content-Type", "application/xml")
            .body(xml)
            .send()
            .await
            .unwrap();
        eprintln!("POST /api/v1/documents, {what}: {:?}", t.elapsed());
        assert_api_refusal(r, what, says).await;
    }
    let r = http
        .post(format!("{base}/api/v1/documents"))
        .bearer_auth(&token)
        .header("Content-Type", "application/xml")
        .body(env.invoice(&p, "H-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // PUT /api/v1/documents/{id} on a document SEF refused.
    let id = refused_document(&env, &p, &key, tenant).await;
    for (what, xml, says) in hostile() {
        let t = Instant::now();
        let r = http
            .put(format!("{base}/api/v1/documents/{id}?lang=en"))
            .bearer_auth(&token)
            .header("Content-Type", "application/xml")
            .body(xml)
            .send()
            .await
            .unwrap();
        eprintln!("PUT /api/v1/documents/{{id}}, {what}: {:?}", t.elapsed());
        assert_api_refusal(r, what, says).await;
    }
    assert_eq!(env.doc(tenant, id).await.state, DocState::Refused);
    let r = http
        .put(format!("{base}/api/v1/documents/{id}"))
        .bearer_auth(&token)
        .header("Content-Type", "application/xml")
        .body(env.invoice(&p, "H-REF"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // POST /app/upload (the page's multipart form).
    let cookie = format!("mf_token={token}");
    for (what, xml, says) in hostile() {
        let (ct, body) = multipart(&xml);
        let t = Instant::now();
        let r = http
            .post(format!("{base}/app/upload?lang=en"))
            .header("Origin", &base)
            .header("Cookie", &cookie)
            .header("Content-Type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        eprintln!("POST /app/upload, {what}: {:?}", t.elapsed());
        assert_eq!(r.status(), 422, "{what}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("The document is not valid: [XML]") && html.contains(says),
            "{what}: {html}"
        );
    }
    let (ct, body) = multipart(&env.invoice(&p, "H-2"));
    let r = http
        .post(format!("{base}/app/upload?lang=en"))
        .header("Origin", &base)
        .header("Cookie", &cookie)
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("queued: H-2"));
    env.cleanup().await;
}

#[tokio::test]
async fn sef_validate_refuses_hostile_files() {
    for (what, xml, says) in hostile() {
        let text = String::from_utf8(xml).unwrap();
        let t = Instant::now();
        let (report, ok) = validate_report(&text, Lang::En);
        eprintln!("fiskal sef validate, {what}: {:?}", t.elapsed());
        assert!(!ok, "{what}");
        assert_eq!(
            report,
            format!("XML\terror\t/\tthe document was refused (line 1): {says}\n")
        );
        let (sr, _) = validate_report(&text, Lang::SrLatn);
        assert!(
            sr.starts_with("XML\tgreška\t/\tDokument je odbijen (red 1): "),
            "{sr}"
        );
    }
}
