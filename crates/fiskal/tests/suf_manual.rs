//! Black-box tests of the SUF's manual check (`/v/manual`) and item list (`POST /specifications`):
//! real receipts from the real L-PFR reach the real SUF by audit, then are checked by typing in
//! what the printed journal shows, and rendered in headless Chromium in each language.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

fn chromium_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--hide-scrollbars",
        "--window-size=412,900",
    ]
    .into_iter()
    .map(str::to_string)
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

/// Renders `url` to a PNG at `out` and checks that a PNG was written.
fn screenshot(browser: &Path, url: &str, out: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let _ = std::fs::remove_file(out);
    let o = Command::new(browser)
        .args(chromium_args(profile.path()))
        .arg(format!("--screenshot={}", out.display()))
        .arg(url)
        .output()
        .expect("run chromium");
    let png = std::fs::read(out).unwrap_or_else(|e| {
        panic!(
            "no screenshot of {url} ({e}): {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{url}: not a PNG");
    assert!(
        png.len() > 5_000,
        "{url}: a blank screenshot? {} bytes",
        png.len()
    );
}

fn dump_dom(browser: &Path, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(browser)
        .args(chromium_args(profile.path()))
        .args(["--dump-dom", url])
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Where the screenshots go, kept after the test for people to look at.
fn shots_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("suf_manual");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A receipt with two items, two labels and a GTIN.
fn two_items() -> String {
    json!({
        "cashier": "Радник 1", "invoiceType": 0, "transactionType": 0,
        "payment": [ { "amount": 1303.48, "paymentType": 1 } ],
        "options": { "omitQRCodeGen": "1" },
        "items": [
            { "name": "Pivo Lav/л", "gtin": "12345678", "quantity": 2, "unitPrice": 82.00, "labels": ["Ђ"], "totalAmount": 164.00 },
            { "name": "Хлеб/ком", "quantity": 1.5, "unitPrice": 759.65, "labels": ["Е"], "totalAmount": 1139.48 }
        ]
    })
    .to_string()
}

/// The value printed after `label` on the journal (`ПФР време:  28.08.2024. 14:37:28`).
fn journal_value(journal: &str, label: &str) -> String {
    journal
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("{label} not on the journal:\n{journal}"))
        .trim()
        .to_string()
}

/// The four fields as a person copies them from the printed receipt.
fn typed_from_journal(res: &Value) -> Vec<(&'static str, String)> {
    let j = res["journal"].as_str().expect("journal");
    vec![
        ("invoiceNumber", journal_value(j, "ПФР број рачуна:")),
        ("invoiceCounter", journal_value(j, "Бројач рачуна:")),
        ("totalAmount", journal_value(j, "Укупан износ:")),
        ("sdcDateTime", journal_value(j, "ПФР време:")),
    ]
}

fn with(fields: &[(&'static str, String)], name: &str, value: &str) -> Vec<(&'static str, String)> {
    fields
        .iter()
        .map(|(k, v)| {
            (
                *k,
                if *k == name {
                    value.to_string()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

/// The value of attribute `attr` on the element with id `id`.
fn attr(html: &str, id: &str, attr: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let tag_start = html[..at].rfind('<').unwrap();
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>').unwrap()];
    let key = format!("{attr}=\"");
    let v = &tag[tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {attr} in {tag}"))
        + key.len()..];
    v[..v.find('"').unwrap()]
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

async fn post_form(
    c: &reqwest::Client,
    url: &str,
    fields: &[(&'static str, String)],
) -> (u16, String) {
    let r = c.post(url).form(fields).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_check_and_specifications_of_audited_receipts() {
    let port = free_port();
    let data = DataDir::new(&["--suf-url", &format!("http://127.0.0.1:{port}/")]);
    let pfr = Pfr::start(data.path(), &["--pin", "1234", "--audit-interval", "1"]);
    let suf = SufProc::start(data.path(), port);
    let c = client();

    let (st, pivo) = post_invoice(&c, &pfr, &pivo_lav().to_string(), None).await;
    assert_eq!(st, 200, "{pivo}");
    let (st, two) = post_invoice(&c, &pfr, &two_items(), None).await;
    assert_eq!(st, 200, "{two}");

    // Wait until the audit has brought both receipts to the SUF.
    let deadline = Instant::now() + Duration::from_secs(40);
    for r in [&pivo, &two] {
        let url = suf.page_url(r["verificationUrl"].as_str().unwrap());
        loop {
            let j: Value = c
                .get(&url)
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if j["journal"].is_string() {
                break;
            }
            assert!(Instant::now() < deadline, "never audited: {j}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    // The empty form.
    let r = c.get(suf.url("v/manual")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let form = r.text().await.unwrap();
    for name in [
        "invoiceNumber",
        "invoiceCounter",
        "totalAmount",
        "sdcDateTime",
    ] {
        assert!(form.contains(&format!("name=\"{name}\"")), "{form}");
    }

    // Typed from the printed journal → the same page as the QR code gives.
    let manual_url = suf.url("v/manual");
    let typed = typed_from_journal(&two);
    assert_eq!(typed[0].1, two["invoiceNumber"].as_str().unwrap());
    assert_eq!(typed[2].1, "1.303,48", "{typed:?}");
    let (st, page) = post_form(&c, &manual_url, &typed).await;
    assert_eq!(st, 200, "{page}");
    assert_eq!(attr(&page, "validity", "data-valid"), "true", "{page}");
    assert_eq!(attr(&page, "audit", "data-received"), "true");
    assert!(page.contains(two["invoiceNumber"].as_str().unwrap()));
    assert!(page.contains("1.303,48 RSD"));
    // Other spellings of the same data: API time, plain amount, lower case, Latin extension.
    let sdc = two["sdcDateTime"].as_str().unwrap();
    let alt = with(&typed, "sdcDateTime", &sdc[..16]);
    let alt = with(&alt, "totalAmount", "1303.48");
    let alt = with(&alt, "invoiceNumber", &typed[0].1.to_lowercase());
    let alt = with(&alt, "invoiceCounter", &typed[1].1.replace("ПП", "PP"));
    let (st, page) = post_form(&c, &manual_url, &alt).await;
    assert_eq!(st, 200);
    assert_eq!(
        attr(&page, "validity", "data-valid"),
        "true",
        "{alt:?}: {page}"
    );

    // A wrong amount, counter or minute → not found, with no verdict on the receipt.
    let later = {
        // The minute after the printed one (`28.08.2024. 14:37:28` → `…14:38`), same hour
        // unless it is :59, then the hour before.
        let t = &typed[3].1;
        let (day, hm) = t.rsplit_once(' ').unwrap();
        let mut p = hm.split(':');
        let (h, m): (u32, u32) = (
            p.next().unwrap().parse().unwrap(),
            p.next().unwrap().parse().unwrap(),
        );
        if m < 59 {
            format!("{day} {h}:{:02}", m + 1)
        } else {
            format!("{day} {h}:{:02}", m - 1)
        }
    };
    for wrong in [
        with(&typed, "totalAmount", "1.303,49"),
        with(&typed, "invoiceCounter", &typed[1].1.replace("ПП", "ПР")),
        with(&typed, "sdcDateTime", &later),
        with(
            &typed,
            "invoiceNumber",
            pivo["invoiceNumber"].as_str().unwrap(),
        ),
    ] {
        let (st, page) = post_form(&c, &manual_url, &wrong).await;
        if wrong[0].1 == pivo["invoiceNumber"].as_str().unwrap() {
            // The counter no longer matches the number: an input error, not a lookup.
            assert_eq!(st, 400, "{page}");
            assert!(page.contains("id=\"err-invoiceCounter\""), "{page}");
            continue;
        }
        assert_eq!(st, 200, "{wrong:?}");
        assert!(page.contains("Račun nije pronađen"), "{wrong:?}: {page}");
        assert_eq!(attr(&page, "manual-result", "data-outcome"), "not-found");
        assert!(!page.contains("data-valid=\"true\""));
        assert!(!page.contains("1.303,48 RSD"), "no receipt data leak");
    }
    // In Cyrillic when the form says so (its action names the language it was shown in).
    let (st, page) = post_form(
        &c,
        &format!("{manual_url}?lang=sr-Cyrl"),
        &with(&typed, "totalAmount", "1,00"),
    )
    .await;
    assert_eq!(st, 200);
    assert!(page.contains("Рачун није пронађен"), "{page}");
    assert!(page.contains("action=\"/v/manual?lang=sr-Cyrl\""), "{page}");

    // Nothing typed, or nonsense → the form again, 400.
    let (st, errors_page) = post_form(&c, &manual_url, &[]).await;
    assert_eq!(st, 400);
    assert!(
        errors_page.contains("id=\"err-sdcDateTime\""),
        "{errors_page}"
    );
    let (st, page) = post_form(
        &c,
        &manual_url,
        &with(
            &with(&typed, "totalAmount", "12,34,56"),
            "sdcDateTime",
            "31.02.2024. 25:61",
        ),
    )
    .await;
    assert_eq!(st, 400);
    assert!(page.contains("id=\"err-totalAmount\"") && page.contains("id=\"err-sdcDateTime\""));
    assert!(!page.contains("id=\"err-invoiceNumber\""));
    let r = c
        .post(&manual_url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x80, b'&', b'&', b'='])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Items: the token and invoice number ride on the verification page.
    let vpage = c
        .get(suf.page_url(two["verificationUrl"].as_str().unwrap()))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let number = attr(&vpage, "specifications", "data-invoice-number");
    let token = attr(&vpage, "specifications", "data-token");
    assert_eq!(number, two["invoiceNumber"].as_str().unwrap());
    assert_eq!(
        attr(&vpage, "specifications", "data-url"),
        "/specifications"
    );
    let spec_url = suf.url("specifications");
    let r = c
        .post(&spec_url)
        .form(&[
            ("invoiceNumber", number.as_str()),
            ("token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["success"], true, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v}");
    let (a, b) = (&items[0], &items[1]);
    assert_eq!(
        (a["gtin"].as_str(), a["name"].as_str()),
        (Some("12345678"), Some("Pivo Lav/л"))
    );
    assert_eq!(
        (a["label"].as_str(), b["label"].as_str()),
        (Some("Ђ"), Some("Е"))
    );
    assert_eq!(b["gtin"], Value::Null);
    // Exact decimals, never binary floating point.
    assert!(text.contains("\"vatAmount\":27.3333"), "{text}");
    assert!(text.contains("\"taxBaseAmount\":136.6667"), "{text}");
    assert!(text.contains("\"vatAmount\":103.5891"), "{text}");
    assert!(text.contains("\"quantity\":1.5"), "{text}");
    for (it, want_total) in [(a, "164"), (b, "1139.48")] {
        assert_eq!(
            it["total"]
                .to_string()
                .trim_end_matches('0')
                .trim_end_matches('.'),
            want_total
        );
    }
    // Per-label sums of the item taxes are the receipt's tax items.
    for ti in two["taxItems"].as_array().unwrap() {
        let item = items.iter().find(|i| i["label"] == ti["label"]).unwrap();
        assert_eq!(
            item["vatAmount"].to_string(),
            ti["amount"].to_string(),
            "{ti}"
        );
    }
    // Another receipt's token, a forged one, or no token: nothing.
    let pivo_page = c
        .get(suf.page_url(pivo["verificationUrl"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pivo_token = attr(&pivo_page, "specifications", "data-token");
    for (n, t) in [
        (number.as_str(), pivo_token.as_str()),
        (number.as_str(), "9999999999.AAAA"),
        ("AAAA1111-BBBB2222-1", token.as_str()),
    ] {
        let r = c
            .post(&spec_url)
            .form(&[("invoiceNumber", n), ("token", t)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v, json!({"success": false, "items": []}));
    }
    let r = c
        .post(&spec_url)
        .form(&[("invoiceNumber", number.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The missing-vl page links to the manual form.
    let r = c.get(suf.url("v/")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("href=\"/v/manual\""));

    // Headless Chromium: the form and the page with items in each language (English by
    // Chromium's Accept-Language, the others by `?lang=`), the error state and "not found".
    let browser = fiskal_testkit::chromium();
    let dom = dump_dom(&browser, &manual_url);
    assert!(dom.contains("<html lang=\"en\">"), "{dom}");
    assert!(dom.contains("Check the receipt"), "{dom}");
    assert!(dom.contains("placeholder=\"12/15ПП\""), "{dom}");
    let dom = dump_dom(&browser, &format!("{manual_url}?lang=sr-Cyrl"));
    assert!(dom.contains("Провери рачун"), "{dom}");
    assert!(dom.contains("placeholder=\"12/15ПП\""), "{dom}");
    let dom = dump_dom(&browser, &format!("{manual_url}?lang=sr"));
    assert!(dom.contains("Proveri račun"), "{dom}");
    assert!(dom.contains("placeholder=\"12/15PP\""), "{dom}");
    let shots = shots_dir();
    let found_url = suf.page_url(two["verificationUrl"].as_str().unwrap());
    for code in ["sr", "sr-Cyrl", "en"] {
        screenshot(
            &browser,
            &format!("{manual_url}?lang={code}"),
            &shots.join(format!("form-{code}.png")),
        );
        screenshot(
            &browser,
            &format!("{found_url}&lang={code}"),
            &shots.join(format!("found-{code}.png")),
        );
    }
    let (_, not_found) = post_form(&c, &manual_url, &with(&typed, "totalAmount", "1,00")).await;
    let files = tempfile::tempdir().unwrap();
    for (name, html) in [("errors", &errors_page), ("not_found", &not_found)] {
        let f = files.path().join(format!("{name}.html"));
        // A file has no server to serve the stylesheet from: put it into the page.
        let link = format!(
            "<link rel=\"stylesheet\" href=\"{}\">",
            fiskal_web::page::CSS_PATH
        );
        assert!(html.contains(&link), "{html}");
        let html = html.replace(&link, &format!("<style>{}</style>", fiskal_web::page::CSS));
        std::fs::write(&f, html).unwrap();
        screenshot(
            &browser,
            &format!("file://{}", f.display()),
            &shots.join(format!("{name}.png")),
        );
    }
    eprintln!("screenshots in {}", shots.display());
}

/// Guessing is limited: after 30 manual checks in a minute a client gets 429 with Retry-After,
/// while the verification page itself stays open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_checks_are_limited_per_client() {
    let port = free_port();
    let data = DataDir::new(&["--suf-url", &format!("http://127.0.0.1:{port}/")]);
    let suf = SufProc::start(data.path(), port);
    let c = client();
    let guess = vec![
        ("invoiceNumber", "AAAA1111-AAAA1111-1".to_string()),
        ("invoiceCounter", "1/1ПП".to_string()),
        ("totalAmount", "100,00".to_string()),
        ("sdcDateTime", "25.11.2026. 10:00:00".to_string()),
    ];
    for i in 0..30 {
        let (st, _) = post_form(&c, &suf.url("/v/manual"), &guess).await;
        assert_ne!(st, 429, "attempt {} was limited", i + 1);
    }
    let r = c
        .post(suf.url("/v/manual"))
        .form(&guess)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "60");
    let text = r.text().await.unwrap();
    assert!(
        text.contains("<h1 id=\"too-many\">Previše pokušaja</h1>"),
        "{text}"
    );
    let r = c
        .post(suf.url("/v/manual?lang=en"))
        .form(&guess)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.text().await.unwrap().contains("Too many attempts"));
    // The form and the QR-code page are not limited.
    assert_eq!(
        c.get(suf.url("/v/manual")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        c.get(suf.url("/v/?vl=AAAA")).send().await.unwrap().status(),
        200
    );
}
