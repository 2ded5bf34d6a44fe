//! The JSON API and the server-rendered pages over real HTTP, on SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::{Env, TestDb, pib, test_config};
use serde_json::{Value, json};

async fn serve(env: &Env) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (
        base,
        tokio::spawn(fiskal_einvoice::api::serve(
            listener,
            env.svc.clone(),
            std::future::pending(),
        )),
    )
}

fn reg_json(p: &str, key: &str) -> Value {
    json!({
        "environment": "sandbox", "pib": p, "mb": common::mb_for(p), "name": format!("Firma {p} d.o.o."),
        "street": "Bulevar 1", "city": "Novi Sad", "postal_code": "21000",
        "bank_accounts": ["999-123456-32"], "contact_email": "a@b.example", "api_key": key
    })
}

async fn api_flow(db: TestDb) {
    let mut cfg = test_config();
    cfg.max_upload_bytes = 64 * 1024;
    let env = Env::with_config_on(db, cfg).await;
    let (base, srv) = serve(&env).await;
    let http = reqwest::Client::new();
    let pa = pib(18100001);
    let ka = env.sandbox_company(&pa, &common::mb_for(&pa), "A").await;
    // Malformed key: 422 with the §6.3 text, Serbian by default, English on request.
    let r = http
        .post(format!("{base}/api/v1/tenants"))
        .json(&reg_json(&pa, "123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["id"], "sef.key.malformed");
    assert!(
        b["error"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Uneti ključ nije ispravnog oblika")
    );
    let r = http
        .post(format!("{base}/api/v1/tenants?lang=en"))
        .json(&reg_json(&pa, "123"))
        .send()
        .await
        .unwrap();
    assert!(
        r.json::<Value>().await.unwrap()["error"]["text"]
            .as_str()
            .unwrap()
            .starts_with("The key has the wrong format")
    );
    let r = http
        .post(format!("{base}/api/v1/tenants"))
        .header("Accept-Language", "en-US,en;q=0.9")
        .json(&reg_json(&pa, "123"))
        .send()
        .await
        .unwrap();
    assert!(
        r.json::<Value>().await.unwrap()["error"]["text"]
            .as_str()
            .unwrap()
            .starts_with("The key has the wrong format")
    );
    // Valid registration.
    let r = http
        .post(format!("{base}/api/v1/tenants"))
        .json(&reg_json(&pa, &ka))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let text = r.text().await.unwrap();
    assert!(!text.contains(&ka), "the key is never returned");
    let b: Value = serde_json::from_str(&text).unwrap();
    let token_a = b["access_token"].as_str().unwrap().to_string();
    assert_eq!(b["key"]["state"], "active");
    // API status.
    let r = http
        .get(format!("{base}/api/v1/tenant"))
        .bearer_auth(&token_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains(&ka));
    let st: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        st["key"]["masked"],
        format!("••••••••-••••-••••-••••-••••••••{}", &ka[ka.len() - 4..])
    );
    assert!(
        st["reminder"]["text"]
            .as_str()
            .unwrap()
            .contains("API STATUS")
    );
    // No token / wrong token.
    assert_eq!(
        http.get(format!("{base}/api/v1/tenant"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        http.get(format!("{base}/api/v1/documents"))
            .bearer_auth("x")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Upload.
    let xml = env.invoice(&pa, "H-1");
    let r = http
        .post(format!("{base}/api/v1/documents"))
        .bearer_auth(&token_a)
        .header("Content-Type", "application/xml")
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let doc: Value = r.json().await.unwrap();
    let id = doc["id"].as_i64().unwrap();
    assert_eq!(doc["state"], "queued");
    assert!(doc["request_id"].as_str().unwrap().len() == 36);
    // Oversized upload: 413 with a clear message.
    let big = vec![b' '; 70 * 1024];
    let r = http
        .post(format!("{base}/api/v1/documents"))
        .bearer_auth(&token_a)
        .header("Content-Type", "application/xml")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["id"], "upload.too_large");
    assert!(b["error"]["text"].as_str().unwrap().contains("64 KB"));
    // Invalid document: 422 with findings (rule id, path, sentence).
    let r = http
        .post(format!("{base}/api/v1/documents"))
        .bearer_auth(&token_a)
        .header("Content-Type", "application/xml")
        .body("<Invoice/>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["id"], "document.invalid");
    // Simple form (JSON).
    let form = json!({ "number": "H-2", "buyer_pib": "190000029", "buyer_mb": "99000028", "buyer_name": "Kupac Trgovina d.o.o.",
        "buyer_street": "Knez Mihailova 10", "buyer_city": "Beograd", "buyer_postal_code": "11000",
        "lines": [{ "name": "Usluga", "quantity": "2", "unit_code": "H87", "unit_price": "1000.00", "vat_rate": "20" }] });
    let r = http
        .post(format!("{base}/api/v1/documents"))
        .bearer_auth(&token_a)
        .json(&form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let b: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["total"], "2400.00");
    env.drain(b["tenant_id"].as_i64().unwrap(), Duration::from_secs(10))
        .await;
    let r = http
        .get(format!("{base}/api/v1/documents/{id}"))
        .bearer_auth(&token_a)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["document"]["state"], "in_sef");
    assert_eq!(v["attempts"].as_array().unwrap().len(), 1);
    // Refresh, XML.
    let r = http
        .post(format!("{base}/api/v1/documents/{id}/refresh"))
        .bearer_auth(&token_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["sef_status"], "Sent");
    let r = http
        .get(format!("{base}/api/v1/documents/{id}/xml"))
        .bearer_auth(&token_a)
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("<cbc:ID>H-1</cbc:ID>"));
    // Cancel a Sent document is refused by SEF (default sandbox rule) with the §6.3 text.
    let r = http
        .post(format!("{base}/api/v1/documents/{id}/cancel"))
        .bearer_auth(&token_a)
        .json(&json!({ "comment": "Greška" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["id"],
        "sef.document.refused"
    );
    // Storno.
    let r = http
        .post(format!("{base}/api/v1/documents/{id}/storno"))
        .bearer_auth(&token_a)
        .json(&json!({ "comment": "Pogrešan iznos." }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["sef_status"], "Storno");
    // Tenant B cannot see A's document.
    let pb = pib(18100002);
    let kb = env.sandbox_company(&pb, &common::mb_for(&pb), "B").await;
    let b: Value = http
        .post(format!("{base}/api/v1/tenants"))
        .json(&reg_json(&pb, &kb))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token_b = b["access_token"].as_str().unwrap();
    assert_eq!(
        http.get(format!("{base}/api/v1/documents/{id}"))
            .bearer_auth(token_b)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        http.post(format!("{base}/api/v1/documents/{id}/storno"))
            .bearer_auth(token_b)
            .json(&json!({"comment":"x"}))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let list: Value = http
        .get(format!("{base}/api/v1/documents"))
        .bearer_auth(token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0);
    // Replace key through the API with a malformed key.
    let r = http
        .put(format!("{base}/api/v1/tenant/key"))
        .bearer_auth(&token_a)
        .json(&json!({ "api_key": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["id"],
        "sef.key.malformed"
    );
    let r = http
        .post(format!("{base}/api/v1/tenant/key/check"))
        .bearer_auth(&token_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "active");
    srv.abort();
    env.cleanup().await;
}

fn multipart(name: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----fiskaltestboundary7MA4YWxk";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/xml\r\n\r\n").into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn pages(db: TestDb) {
    let env = Env::on(db).await;
    let (base, srv) = serve(&env).await;
    let http = cookie_client();
    // Register page: checklist (§3.1) and reminder next to the key field, Serbian by default.
    let html = http
        .get(format!("{base}/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"sr-Latn\">"));
    assert!(html.contains("Firma je registrovana na SEF-u (efaktura.mfin.gov.rs)"));
    assert!(html.contains("Ne generišite novi ključ ako ga već koristi neki drugi program"));
    assert!(html.contains(
        "VAŽNO: u SEF-u, u delu Podešavanja → API menadžment, API STATUS mora biti aktivan."
    ));
    assert!(html.contains("type=\"password\""));
    let en = http
        .get(format!("{base}/register?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        en.contains("lang=\"en\"")
            && en.contains("IMPORTANT: in SEF, under Settings → API management")
    );
    let en2 = http
        .get(format!("{base}/register"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en2.contains("Before entering the key"));
    // Wrong key from the form: message shown, key not echoed, nothing stored.
    let p = pib(18200001);
    let key = env.sandbox_company(&p, &common::mb_for(&p), "P").await;
    let wrong = uuid::Uuid::new_v4().to_string();
    let form = |k: &str| {
        vec![
            ("environment", "sandbox".to_string()),
            ("pib", p.clone()),
            ("mb", common::mb_for(&p)),
            ("jbkjs", String::new()),
            ("name", "Firma P d.o.o.".into()),
            ("trading_name", String::new()),
            ("street", "Ulica 1".into()),
            ("city", "Niš".into()),
            ("postal_code", "18000".into()),
            ("bank_account", "999-123456-32".into()),
            ("contact_email", "p@p.example".into()),
            ("api_key", k.to_string()),
        ]
    };
    let r = http
        .post(format!("{base}/register"))
        .header("Origin", &base)
        .form(&form(&wrong))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("SEF nije prihvatio ključ za autentifikaciju."));
    assert!(!html.contains(&wrong), "the key is never echoed");
    assert!(
        html.contains("value=\"Firma P d.o.o.\""),
        "other fields are kept"
    );
    // Right key: token shown once, cookie set.
    let r = http
        .post(format!("{base}/register"))
        .header("Origin", &base)
        .form(&form(&key))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("mf_token="));
    let html = r.text().await.unwrap();
    assert!(!html.contains(&key));
    assert!(html.contains("/sef/callback/"));
    // Without cookie: redirect to login.
    let r = http.get(format!("{base}/app")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    // App page: API status, forms, documents.
    let html = http
        .get(format!("{base}/app"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"api-status\"") && html.contains("API status: ključ je aktivan"));
    assert!(html.contains(&format!(
        "••••••••-••••-••••-••••-••••••••{}",
        &key[key.len() - 4..]
    )));
    assert!(!html.contains(&key));
    assert!(html.contains("enctype=\"multipart/form-data\""));
    // Upload through the page (multipart).
    let xml = env.invoice(&p, "W-1");
    let (ct, body) = multipart("w1.xml", &xml);
    let r = http
        .post(format!("{base}/app/upload"))
        .header("Origin", &base)
        .header("Cookie", &cookie)
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Faktura je primljena i stavljena u red za slanje: W-1"),
        "{html}"
    );
    // Simple form.
    let r = http
        .post(format!("{base}/app/create"))
        .header("Origin", &base)
        .header("Cookie", &cookie)
        .form(&[
            ("number", "W-2"),
            ("buyer_pib", "190000029"),
            ("buyer_mb", "99000028"),
            ("buyer_name", "Kupac Trgovina d.o.o."),
            ("buyer_street", "Knez Mihailova 10"),
            ("buyer_city", "Beograd"),
            ("buyer_postal_code", "11000"),
            ("item", "Konsultacije"),
            ("quantity", "3"),
            ("unit_price", "1500,00"),
            ("vat_rate", "20"),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Faktura je napravljena i stavljena u red za slanje: W-2"),
        "{html}"
    );
    let tenant = env.svc.store().tenants().await.unwrap()[0].id;
    env.drain(tenant, Duration::from_secs(10)).await;
    let docs = env.svc.documents(tenant).await.unwrap();
    assert_eq!(docs.len(), 2);
    let html = http
        .get(format!("{base}/app?lang=en"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("W-1") && html.contains("W-2") && html.contains("in SEF"));
    // Document page and storno with a comment.
    let id = docs.iter().find(|d| d.number == "W-1").unwrap().id;
    let html = http
        .get(format!("{base}/app/documents/{id}"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Storniraj") && html.contains("requestId"));
    let r = http
        .post(format!("{base}/app/documents/{id}/action"))
        .header("Origin", &base)
        .header("Cookie", &cookie)
        .form(&[("action", "refresh"), ("comment", "")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Poslata"));
    let r = http
        .post(format!("{base}/app/documents/{id}/action"))
        .header("Origin", &base)
        .header("Cookie", &cookie)
        .form(&[("action", "storno"), ("comment", "Pogrešna cena.")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Dokument je storniran.") && html.contains("Stornirana"),
        "{html}"
    );
    // Oversized upload through the page: clear message, 413.
    let big = vec![b'x'; env.svc.config().max_upload_bytes + 10_000];
    let (ct, body) = multipart("big.xml", &big);
    let r = http
        .post(format!("{base}/app/upload"))
        .header("Origin", &base)
        .header("Cookie", &cookie)
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert!(r.text().await.unwrap().contains("Dokument je prevelik"));
    // Key check from the page.
    let r = http
        .post(format!("{base}/app/key/check"))
        .header("Origin", &base)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("SEF prihvata ključ."));
    // Login with the token works; a wrong token does not.
    let token = cookie.trim_start_matches("mf_token=");
    let r = http
        .post(format!("{base}/login"))
        .header("Origin", &base)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = http
        .post(format!("{base}/login"))
        .header("Origin", &base)
        .form(&[("token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    srv.abort();
    env.cleanup().await;
}

fiskal_testkit::store_contract!(api_flow, pages);
