//! API keys against the sandbox over real HTTP on 127.0.0.1: unknown, regenerated and inactive
//! keys (`sef-api.md` §2, §13 scenario 5), the portal's registration and key page, the admin API
//! (§12).

use fiskal_sef::sandbox::SandboxConfig;
use fiskal_sef::{SefError, UblUpload, new_request_id};

mod common;
use common::*;

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
