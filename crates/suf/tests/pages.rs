//! The SUF's pages through fiskal-web's layers: fiskal's layout and stylesheet, security
//! headers, CSRF protection of the forms, and the administration's bearer token.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use fiskal_suf::Suf;
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
    let policy = fiskal_suf::http::policy(&suf);
    let app = fiskal_web::layers(fiskal_suf::http::router(suf.clone()), &policy);

    // The manual form: fiskal's layout in Cyrillic, no inline style, the page headers.
    let (st, h, html) = call(&app, Request::get("/v/manual").body(Body::empty()).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("<html lang=\"sr-Cyrl\">"), "{html}");
    assert!(html.contains("href=\"/static/fiskal.css\""), "{html}");
    assert!(html.contains("Провера рачуна без QR кода"));
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
    let app = fiskal_suf::admin::router(suf);
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
