//! Black-box tests of `fiskal suf serve`: real receipts from the real L-PFR, checked on the
//! SUF's public verification page (HTML in three languages, JSON, headless Chromium), on SQLite
//! and PostgreSQL.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

use fiskal_testkit::chromium;

fn dump_dom(url: &str) -> String {
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--window-size=412,900",
            "--dump-dom",
            url,
        ])
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The page of `url` with `headers`: (its `<html lang>`, its `Set-Cookie`, the page).
async fn page_with(
    c: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
) -> (String, Option<String>, String) {
    let mut r = c.get(url);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200, "{url} {headers:?}");
    let cookie = r
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    let html = r.text().await.unwrap();
    let lang = html
        .split_once("<html lang=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(l, _)| l.to_string())
        .unwrap_or_default();
    (lang, cookie, html)
}

/// The language of the page: Accept-Language with q-values, `?lang=` over it, remembered in the
/// `lang` cookie; the switcher keeps `vl`.
async fn check_languages(c: &reqwest::Client, url: &str) {
    for (accept, want, valid) in [
        ("sr", "sr-Latn", "✓ Račun je ispravan"),
        ("sr-Cyrl-RS", "sr-Cyrl", "✓ Рачун је исправан"),
        ("sr-Cyrl-RS;q=0.5, en-US", "en", "✓ The receipt is valid"),
        ("en-US", "en", "✓ The receipt is valid"),
        ("de-DE", "sr-Latn", "✓ Račun je ispravan"),
    ] {
        let (lang, cookie, html) = page_with(c, url, &[("accept-language", accept)]).await;
        assert_eq!(lang, want, "{accept}");
        assert!(html.contains(valid), "{accept}: {html}");
        assert_eq!(cookie, None, "only ?lang= sets the cookie");
    }
    let (lang, cookie, html) = page_with(
        c,
        &format!("{url}&lang=sr-Cyrl"),
        &[("accept-language", "en-US")],
    )
    .await;
    assert_eq!(lang, "sr-Cyrl", "?lang= beats the header");
    let vl = &url[url.find("/v/?vl=").unwrap()..];
    assert!(
        html.contains(&format!("href=\"{vl}&amp;lang=en\"")),
        "the switcher keeps vl: {html}"
    );
    let cookie = cookie.expect("the choice is remembered");
    let pair = cookie.split(';').next().unwrap().to_string();
    assert_eq!(pair, "lang=sr-Cyrl", "{cookie}");
    let (lang, _, _) = page_with(
        c,
        url,
        &[("accept-language", "en-US"), ("cookie", pair.as_str())],
    )
    .await;
    assert_eq!(lang, "sr-Cyrl", "the cookie beats the header");
}

async fn check_pages(extra: &[&str]) {
    let data = DataDir::new(&[]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234"]);
    let suf = SufProc::start_with(data.path(), "127.0.0.1:0", extra);
    let c = client();
    let (st, res) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 200, "{res}");
    let url = suf.page_url(res["verificationUrl"].as_str().unwrap());

    // HTML for a phone: Serbian Latin by default, the receipt's data as printed (Cyrillic).
    let r = c
        .get(&url)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-valid=\"true\""), "{html}");
    assert!(html.contains("<html lang=\"sr-Latn\">"), "{html}");
    assert!(html.contains("✓ Račun je ispravan"), "{html}");
    assert!(html.contains("164,00 RSD"));
    assert!(html.contains("Супермаркет АБВ"));
    assert!(html.contains("data-received=\"false\""), "not audited yet");
    assert!(html.contains("1/1ПП"));
    check_languages(&c, &url).await;

    // JSON for machines.
    let j: Value = c
        .get(&url)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["isValid"], true);
    assert_eq!(j["invoiceResult"]["totalAmount"].to_string(), "164.00");
    assert_eq!(j["invoiceResult"]["totalCounter"], 1);
    assert_eq!(j["invoiceResult"]["invoiceNumber"], res["invoiceNumber"]);
    assert_eq!(j["invoiceRequest"]["taxId"], "123456789");
    assert_eq!(j["journal"], Value::Null);

    // Altered, truncated, forged links: a page saying so, never a crash.
    let vl_start = url.find("vl=").unwrap() + 3;
    let mut altered: Vec<char> = url.chars().collect();
    let i = vl_start + 30;
    altered[i] = if altered[i] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    let truncated = &url[..url.len() - 50];
    for bad in [
        altered.as_str(),
        truncated,
        &format!("{}v/?vl=AAAA", suf.base),
        &format!("{}v/?vl=%ZZ", suf.base),
    ] {
        let r = c.get(bad).send().await.unwrap();
        assert_eq!(r.status(), 200, "{bad}");
        let h = r.text().await.unwrap();
        assert!(h.contains("data-valid=\"false\""), "{bad}: {h}");
        let j: Value = c
            .get(bad)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            j,
            serde_json::json!({"isValid": false, "invoiceRequest": null, "invoiceResult": null, "journal": null})
        );
    }
    let r = c
        .get(format!("{}v/", suf.base))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "vl missing");

    // The SUF still answers after all that.
    let j: Value = c
        .get(&url)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["isValid"], true);

    // Headless Chromium (Accept-Language en-US) renders the amount and the validity in
    // English, and in Cyrillic when the page is asked for it.
    let dom = dump_dom(&url);
    assert!(dom.contains("164,00 RSD"), "{dom}");
    assert!(dom.contains("The receipt is valid"), "{dom}");
    let dom = dump_dom(&format!("{url}&lang=sr-Cyrl"));
    assert!(dom.contains("164,00 RSD"), "{dom}");
    assert!(dom.contains("Рачун је исправан"), "{dom}");
    let dom = dump_dom(&format!("{altered}&lang=sr-Cyrl"));
    assert!(dom.contains("Рачун НИЈЕ исправан"), "{dom}");
    let dom = dump_dom(&format!("{altered}&lang=sr"));
    assert!(dom.contains("Račun NIJE ispravan"), "{dom}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_page_sqlite() {
    check_pages(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_page_postgres() {
    // `--db-schema` puts the tables in a schema of their own (dropped at the end).
    let schema = fiskal_testkit::PgSchema::create().await;
    let base = fiskal_testkit::pg_base_url();
    check_pages(&["--db", &base, "--db-schema", schema.name()]).await;
    schema.drop_now().await;
}
