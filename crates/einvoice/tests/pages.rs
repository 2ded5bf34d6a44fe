//! The pages on fiskal-web over real HTTP: forms posted from another site are refused and
//! change nothing, the three languages (Cyrillic by transliteration, names and codes kept),
//! security headers and `no-store` on signed-in pages, `Secure` cookies under an https public
//! URL, and uploads that are not a proper form.

mod common;

use common::{Backend, Env, pib, test_config};
use fiskal_einvoice::service::ServiceConfig;
use reqwest::header::{HeaderMap, HeaderValue};

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

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A signed-in tenant: its id, company name and session cookie.
async fn signed_in(env: &Env, body: u32) -> (i64, String, String) {
    let (reg, _) = env.tenant(&pib(body)).await;
    (
        reg.tenant.id,
        reg.tenant.name,
        format!("mf_token={}", reg.access_token),
    )
}

fn invoice_form(number: &str) -> Vec<(&'static str, String)> {
    [
        ("number", number),
        ("buyer_pib", "190000029"),
        ("buyer_mb", "99000028"),
        ("buyer_name", "Kupac Trgovina d.o.o."),
        ("buyer_street", "Knez Mihailova 10"),
        ("buyer_city", "Beograd"),
        ("buyer_postal_code", "11000"),
        ("item", "Konsultacije"),
        ("quantity", "1"),
        ("unit_price", "1000"),
        ("vat_rate", "20"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_and_changes_nothing() {
    let env = Env::new(Backend::Sqlite).await;
    let base = serve(&env).await;
    let http = client();
    let (tenant, _, cookie) = signed_in(&env, 18400001).await;
    let cross_site: [(&str, &str); 3] = [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Origin", "null"),
    ];
    for (name, value) in cross_site {
        let r = http
            .post(format!("{base}/app/create"))
            .header("Cookie", &cookie)
            .header(name, value)
            .form(&invoice_form("X-1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
        let text = r.text().await.unwrap();
        assert!(text.contains("poslat sa druge stranice"), "{text}");
        let r = http
            .post(format!("{base}/logout"))
            .header("Cookie", &cookie)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.headers().get("set-cookie").is_none(), "still signed in");
    }
    let r = http
        .post(format!("{base}/register"))
        .header("Origin", "https://evil.example")
        .form(&[("environment", "sandbox"), ("pib", &pib(18400002))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(env.svc.documents(tenant).await.unwrap().len(), 0);
    assert_eq!(env.svc.store().tenants().await.unwrap().len(), 1);
    // The same form from the service's own page goes through.
    let r = http
        .post(format!("{base}/app/create"))
        .header("Cookie", &cookie)
        .header("Origin", &base)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&invoice_form("X-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(env.svc.documents(tenant).await.unwrap().len(), 1);
    // The API takes a bearer token, not the cookie: no browser check there.
    let r = http
        .get(format!("{base}/api/v1/documents"))
        .header("Origin", "https://evil.example")
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the session cookie is no API credential");
    env.cleanup().await;
}

async fn get(http: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> (HeaderMap, String) {
    let mut req = http.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    (r.headers().clone(), r.text().await.unwrap())
}

#[tokio::test]
async fn pages_in_cyrillic_and_english() {
    let env = Env::new(Backend::Sqlite).await;
    let base = serve(&env).await;
    let http = client();
    let url = format!("{base}/register?lang=sr-Cyrl");
    let (h, html) = get(&http, &url, &[]).await;
    assert!(html.contains("<html lang=\"sr-Cyrl\">"), "{html}");
    assert!(html.contains("<title>Регистрација фирме — Моје фактуре</title>"));
    assert!(html.contains("Фирма је регистрована на СЕФ-у (efaktura.mfin.gov.rs)."));
    assert!(html.contains(
        "ВАЖНО: у СЕФ-у, у делу Подешавања → АПИ менаџмент, АПИ СТАТУС мора бити активан."
    ));
    assert!(html.contains("placeholder=\"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\""));
    assert!(!html.contains("Registracija"), "no Latin label left");
    let lang_cookie = h["set-cookie"].to_str().unwrap();
    assert!(lang_cookie.starts_with("lang=sr-Cyrl;"), "{lang_cookie}");
    // The switcher offers the three, the current one marked.
    assert!(
        html.contains(
            "href=\"/register?lang=sr\" lang=\"sr-Latn\" hreflang=\"sr-Latn\">Latinica</a>"
        )
    );
    assert!(html.contains("lang=\"sr-Cyrl\" aria-current=\"true\">Ћирилица</strong>"));
    assert!(html.contains("href=\"/register?lang=en\" lang=\"en\" hreflang=\"en\">English</a>"));
    // The choice is remembered; Accept-Language with q-values otherwise; Latin by default.
    let (_, html) = get(
        &http,
        &format!("{base}/login"),
        &[("Cookie", "lang=sr-Cyrl")],
    )
    .await;
    assert!(html.contains("Приступни токен"), "{html}");
    let al = [("Accept-Language", "en;q=0.5, sr-Cyrl-RS;q=0.9")];
    let (_, html) = get(&http, &format!("{base}/login"), &al).await;
    assert!(html.contains("<html lang=\"sr-Cyrl\">"));
    let al = [("Accept-Language", "de-DE, en;q=0.8")];
    let (_, html) = get(&http, &format!("{base}/login"), &al).await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("Access token"));
    let (_, html) = get(
        &http,
        &format!("{base}/login"),
        &[("Accept-Language", "de")],
    )
    .await;
    assert!(html.contains("<html lang=\"sr-Latn\">") && html.contains("Pristupni token"));
    // Signed in: labels in Cyrillic, the company's data and the document number as they are.
    let (tenant, name, cookie) = signed_in(&env, 18400003).await;
    let r = http
        .post(format!("{base}/app/create?lang=sr-Cyrl"))
        .header("Cookie", &cookie)
        .header("Origin", &base)
        .form(&invoice_form("INV-7/2026"))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Фактура је направљена и стављена у ред за слање: INV-7/2026"),
        "{html}"
    );
    assert!(
        html.contains(&format!("АПИ статус — {name} (ПИБ ")),
        "{html}"
    );
    assert!(
        html.contains("Kupac Trgovina d.o.o."),
        "buyer as registered"
    );
    assert!(html.contains("<th>Датум издавања</th>") && html.contains("у реду за слање"));
    let id = env.svc.documents(tenant).await.unwrap()[0].id;
    let url = format!("{base}/app/documents/{id}?lang=en");
    let (_, html) = get(&http, &url, &[("Cookie", &cookie)]).await;
    assert!(html.contains("<h1>Document</h1>") && html.contains("INV-7/2026"));
    let url = format!("{base}/app/documents/{id}/xml");
    let (h, xml) = get(&http, &url, &[("Cookie", &cookie)]).await;
    assert_eq!(h["content-type"], "application/xml");
    assert!(xml.contains("<cbc:ID>INV-7/2026</cbc:ID>"));
    env.cleanup().await;
}

#[tokio::test]
async fn signed_in_pages_carry_security_headers_and_no_store() {
    let env = Env::new(Backend::Sqlite).await;
    let base = serve(&env).await;
    let http = client();
    let (_, _, cookie) = signed_in(&env, 18400004).await;
    let (h, html) = get(&http, &format!("{base}/app"), &[("Cookie", &cookie)]).await;
    assert_eq!(h["cache-control"], "no-store");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h.contains_key("x-request-id"));
    assert!(
        !html.contains("<style") && !html.contains("style="),
        "no inline CSS"
    );
    assert!(!html.contains("<script"));
    for css in ["/static/fiskal.css", fiskal_einvoice::api::CSS_PATH] {
        assert!(html.contains(&format!("<link rel=\"stylesheet\" href=\"{css}\">")));
        let (h, body) = get(&http, &format!("{base}{css}"), &[]).await;
        assert_eq!(h["content-type"], "text/css; charset=utf-8");
        assert!(body.starts_with("/*"));
    }
    // Without a session: a redirect to the login page, never the account.
    let r = http
        .get(format!("{base}/app?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?lang=en");
    assert_eq!(r.headers()["cache-control"], "no-store");
    // The JSON API is not a page: no page headers, but the common ones.
    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert!(r.headers().get("content-security-policy").is_none());
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    env.cleanup().await;
}

fn cookies(h: &HeaderMap) -> Vec<&str> {
    h.get_all("set-cookie")
        .iter()
        .map(|v: &HeaderValue| v.to_str().unwrap())
        .collect()
}

#[tokio::test]
async fn cookies_are_secure_under_an_https_public_url() {
    let cfg = ServiceConfig {
        public_base_url: "https://fakture.example".into(),
        ..test_config()
    };
    let env = Env::with_config(Backend::Sqlite, cfg).await;
    let base = serve(&env).await;
    let http = client();
    let (reg, _) = env.tenant(&pib(18400005)).await;
    assert!(
        reg.callback_url
            .starts_with("https://fakture.example/sef/callback/")
    );
    // The public origin is trusted by the CSRF check.
    let r = http
        .post(format!("{base}/login?lang=en"))
        .header("Origin", "https://fakture.example")
        .form(&[("token", reg.access_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let set = cookies(r.headers());
    let session = set.iter().find(|c| c.starts_with("mf_token=")).unwrap();
    assert_eq!(
        *session,
        format!(
            "mf_token={}; Path=/; HttpOnly; SameSite=Strict; Secure",
            reg.access_token
        )
    );
    let lang = set.iter().find(|c| c.starts_with("lang=en;")).unwrap();
    assert!(lang.ends_with("; Secure"), "{lang}");
    let r = http
        .post(format!("{base}/logout"))
        .header("Origin", "https://fakture.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cookies(r.headers()),
        ["mf_token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure"]
    );
    env.cleanup().await;

    // Under plain http (the default public URL) the cookies are not `Secure`.
    let env = Env::new(Backend::Sqlite).await;
    let base = serve(&env).await;
    let (reg, _) = env.tenant(&pib(18400006)).await;
    let r = http
        .post(format!("{base}/login"))
        .form(&[("token", reg.access_token.as_str())])
        .send()
        .await
        .unwrap();
    let set = cookies(r.headers());
    assert_eq!(set.len(), 1);
    assert!(!set[0].contains("Secure"), "{}", set[0]);
    env.cleanup().await;
}

#[tokio::test]
async fn uploads_that_are_not_a_proper_form_get_a_sentence() {
    let env = Env::new(Backend::Sqlite).await;
    let base = serve(&env).await;
    let http = client();
    let (tenant, _, cookie) = signed_in(&env, 18400007).await;
    let post = |ct: &'static str, body: &'static str| {
        http.post(format!("{base}/app/upload?lang=en"))
            .header("Cookie", &cookie)
            .header("Content-Type", ct)
            .body(body)
            .send()
    };
    // Cut off in the middle of the file part.
    let cut =
        "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xml\"\r\n\r\n<Inv";
    let r = post("multipart/form-data; boundary=b", cut).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The form did not arrive whole")
    );
    // A form without a file, and a body that is no form at all.
    let no_file = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--\r\n";
    for (ct, body) in [
        ("multipart/form-data; boundary=b", no_file),
        ("application/xml", "<Invoice/>"),
    ] {
        let r = post(ct, body).await.unwrap();
        assert_eq!(r.status(), 400, "{ct}");
        assert!(r.text().await.unwrap().contains("Choose an XML file."));
    }
    assert_eq!(env.svc.documents(tenant).await.unwrap().len(), 0);
    env.cleanup().await;
}
