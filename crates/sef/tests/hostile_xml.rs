//! Hostile UBL bodies against every sandbox route that takes one (`sales-invoice/ubl` and
//! `sales-invoice/ubl/upload`): each gets SEF's 400 `XmlInvalid` with a readable message, and the
//! sandbox answers the next request. Durations are printed, never asserted.

use std::time::Instant;

use chrono::DateTime;
use fiskal_sef::sandbox::{SandboxConfig, SandboxHandle, SandboxSettings};
use fiskal_sef::xml::{XmlError, extract_envelope_document};
use fiskal_ubl::ParseError;
use fiskal_ubl::limits::LimitExceeded;

const SUPPLIER: &str = "190000012";
const BUYER: &str = "190000029";
const INVOICE: &str = include_str!("data/invoice_380.xml");
const OPEN: &str = "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"";

fn deep(depth: usize) -> String {
    format!(
        "{OPEN}>{}{}</Invoice>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    )
}

fn many_attributes(n: usize) -> String {
    let attrs: String = (0..n).map(|i| format!(" a{i}=\"{i}\"")).collect();
    format!("{OPEN}{attrs}/>")
}

fn many_namespaces(n: usize) -> String {
    let attrs: String = (0..n).map(|i| format!(" xmlns:p{i}=\"u:{i}\"")).collect();
    format!("{OPEN}{attrs}/>")
}

fn hostile() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("50,000 deep", deep(50_000), "nested more than 100 levels"),
        (
            "80,000 attributes",
            many_attributes(80_000),
            "more than 64 attributes",
        ),
        (
            "10,000 namespace declarations",
            many_namespaces(10_000),
            "more than 64 namespace declarations",
        ),
    ]
}

async fn setup() -> (SandboxHandle, String) {
    let (_, h) = sandbox_on_loopback(SandboxConfig {
        now: Some(DateTime::parse_from_rfc3339("2026-11-25T10:00:00+01:00").unwrap()),
        // Eight uploads in a row: SEF's 3 calls per second would refuse some with 429.
        settings: SandboxSettings {
            rate_limit_per_second: 0,
            ..SandboxSettings::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let sk = h
        .company_with_key(SUPPLIER, "99000011", "Dobavljač Usluge d.o.o.")
        .await
        .unwrap();
    h.company_with_key(BUYER, "99000028", "Kupac Trgovina d.o.o.")
        .await
        .unwrap();
    (h, sk)
}

/// Posts `xml` to the raw route (`multipart = false`) or as the `ublFile` part of a form.
async fn post(h: &SandboxHandle, key: &str, xml: String, multipart: bool) -> reqwest::Response {
    let rid = uuid::Uuid::new_v4();
    let http = reqwest::Client::new();
    let req = if multipart {
        let boundary = "fiskalTestBoundary7d1";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"ublFile\"; filename=\"f.xml\"\r\nContent-Type: application/xml\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(xml.as_bytes());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        http.post(format!(
            "{}/api/publicApi/sales-invoice/ubl/upload?requestId={rid}",
            h.base_url()
        ))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
    } else {
        http.post(format!(
            "{}/api/publicApi/sales-invoice/ubl?requestId={rid}",
            h.base_url()
        ))
        .header("Content-Type", "application/xml")
        .body(xml)
    };
    req.header("ApiKey", key).send().await.unwrap()
}

#[tokio::test]
async fn hostile_uploads_get_xml_invalid_and_the_sandbox_keeps_answering() {
    let (h, sk) = setup().await;
    for multipart in [false, true] {
        let route = if multipart { "ubl/upload" } else { "ubl" };
        for (what, xml, says) in hostile() {
            let t = Instant::now();
            let r = post(&h, &sk, xml, multipart).await;
            eprintln!("sandbox {route}, {what}: {:?}", t.elapsed());
            assert_eq!(r.status().as_u16(), 400, "{route} {what}");
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["ErrorCode"], "XmlInvalid", "{route} {what}: {body}");
            let m = body["Message"].as_str().unwrap();
            assert!(
                m.starts_with("The document was refused: ") && m.contains(says),
                "{route} {what}: {m}"
            );
        }
        // The next, valid upload on the same route is accepted.
        let number = format!("F-OK-{}", u8::from(multipart));
        let r = post(&h, &sk, INVOICE.replace("F-2026-0142", &number), multipart).await;
        assert_eq!(
            r.status().as_u16(),
            200,
            "{route}: {}",
            r.text().await.unwrap()
        );
    }
    assert_eq!(h.sandbox().documents().await.len(), 2);
}

/// The sandbox reads uploads with fiskal-ubl's reader: each hostile document is refused at its
/// bound; a DOCTYPE and an undeclared entity are refused as malformed.
#[test]
fn the_reader_refuses_hostile_documents() {
    let limit = |xml: &str| match fiskal_ubl::read(xml) {
        Err(ParseError::Limit { limit, .. }) => limit,
        other => panic!("not refused at a bound: {other:?}"),
    };
    assert_eq!(limit(&deep(50_000)), LimitExceeded::TooDeep { max: 100 });
    assert_eq!(
        limit(&many_attributes(80_000)),
        LimitExceeded::TooManyAttributesOnElement { max: 64 }
    );
    assert_eq!(
        limit(&many_namespaces(80_000)),
        LimitExceeded::TooManyNamespaces { max: 64 }
    );
    let laughs = format!(
        "<!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>{OPEN}>&b;</Invoice>"
    );
    assert!(matches!(
        fiskal_ubl::read(&laughs),
        Err(ParseError::Doctype { .. })
    ));
    assert!(matches!(
        fiskal_ubl::read(&format!("{OPEN}>&b;</Invoice>")),
        Err(ParseError::Malformed { .. })
    ));
    // A deep document inside an envelope: the scan hands it over, the reader refuses it.
    let env = format!(
        "<env:DocumentEnvelope xmlns:env=\"urn:eFaktura:MinFinrs:envelop:schema\"><env:DocumentBody>{}</env:DocumentBody></env:DocumentEnvelope>",
        deep(50_000)
    );
    let inner = extract_envelope_document(&env).unwrap();
    assert_eq!(limit(inner), LimitExceeded::TooDeep { max: 100 });
    assert_eq!(
        extract_envelope_document(&many_namespaces(80_000)).unwrap_err(),
        XmlError::Limit(LimitExceeded::TooManyNamespaces { max: 64 })
    );
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

/// A form upload without a valid ApiKey is answered 401 before the sandbox reads the form: the
/// caller announces a 2 MB body, sends a few bytes and waits; the answer comes without the rest
/// (before the key was checked first, the sandbox waited for the whole body).
#[tokio::test]
async fn a_form_upload_without_a_valid_key_is_refused_before_the_form_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, _h) = sandbox_on_loopback(SandboxConfig::default()).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/publicApi/sales-invoice/ubl/upload?requestId=r1 HTTP/1.1\r\n\
         Host: {addr}\r\nApiKey: 00000000-0000-0000-0000-000000000000\r\n\
         Content-Type: multipart/form-data; boundary=xyz\r\n\
         Content-Length: 2000000\r\n\r\n--xyz\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // The answer is read as it comes: an event, not a fixed wait.
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
}
