//! The pages a bookkeeper uses, rendered in headless Chromium: the service's registration page
//! (Serbian Latin and Cyrillic) and the SEF sandbox portal (Settings > API management). CI
//! installs Debian's `chromium`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Backend, Env};

use fiskal_testkit::chromium;

/// Renders `url` in headless Chromium; returns the DOM after scripts ran, and writes a
/// screenshot of a phone-sized window.
fn render(url: &str, shot: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let common_args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    let dom = Command::new(chromium())
        .args(common_args)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .output()
        .expect("run chromium");
    assert!(
        dom.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let shot_status = Command::new(chromium())
        .args(common_args)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args([
            "--window-size=412,1200",
            &format!("--screenshot={}", shot.display()),
            url,
        ])
        .output()
        .expect("run chromium");
    assert!(shot_status.status.success());
    String::from_utf8_lossy(&dom.stdout).into_owned()
}

fn png_size(path: &Path) -> (u32, u32) {
    let d = std::fs::read(path).unwrap();
    assert_eq!(&d[1..4], b"PNG", "not a PNG");
    (
        u32::from_be_bytes(d[16..20].try_into().unwrap()),
        u32::from_be_bytes(d[20..24].try_into().unwrap()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_page_and_sandbox_portal_render_in_chromium() {
    let env = Env::new(Backend::Sqlite).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let srv = tokio::spawn(fiskal_einvoice::api::serve(
        listener,
        env.svc.clone(),
        std::future::pending(),
    ));
    let out = std::env::var_os("FISKAL_SCREENSHOTS").map(std::path::PathBuf::from);
    let tmp = tempfile::tempdir().unwrap();
    let dir = out.as_deref().unwrap_or(tmp.path()).to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();

    let url = format!("{base}/register?lang=sr");
    let shot = dir.join("moje-fakture-register.png");
    let dom = tokio::task::spawn_blocking(move || render(&url, &shot))
        .await
        .unwrap();
    assert!(dom.contains("Firma je registrovana na SEF-u"), "{dom}");
    assert!(dom.contains("API STATUS mora biti aktivan"), "{dom}");
    assert!(
        dom.contains("type=\"password\""),
        "the key field is a password field"
    );
    let (w, h) = png_size(&dir.join("moje-fakture-register.png"));
    assert!(w >= 400 && h >= 1000, "{w}x{h}");

    // The same page in Cyrillic: the sentence transliterated, the addresses kept.
    let url = format!("{base}/register?lang=sr-Cyrl");
    let shot = dir.join("moje-fakture-register-cyrl.png");
    let dom = tokio::task::spawn_blocking(move || render(&url, &shot))
        .await
        .unwrap();
    assert!(dom.contains("<html lang=\"sr-Cyrl\">"), "{dom}");
    assert!(
        dom.contains("Фирма је регистрована на СЕФ-у (efaktura.mfin.gov.rs)."),
        "{dom}"
    );
    assert!(dom.contains("АПИ СТАТУС мора бити активан"), "{dom}");

    let portal = format!("{}/portal", env.sb.base_url().trim_end_matches('/'));
    let shot = dir.join("sef-sandbox-portal.png");
    let dom = tokio::task::spawn_blocking(move || render(&portal, &shot))
        .await
        .unwrap();
    assert!(dom.to_lowercase().contains("pib"), "{dom}");
    assert!(dir.join("sef-sandbox-portal.png").exists());
    srv.abort();
    env.cleanup().await;
}
