//! The middleware stack, request by request with `tower::ServiceExt::oneshot`.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use fiskal_web::{NoStore, Policy, RequestId, layers, no_store, pages};
use tower::ServiceExt;

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let r = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = r.into_parts();
    let b = axum::body::to_bytes(body, 1 << 22).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&b).into_owned(),
    )
}

fn page_app(policy: &Policy) -> Router {
    let forms = Router::new()
        .route(
            "/form",
            get(|| async { Html("<form method=post></form>") }).post(|| async { "saved" }),
        )
        .route("/account", get(|| async { (NoStore, Html("mine")) }));
    let api = Router::new()
        .route(
            "/api/echo",
            post(|b: Bytes| async move { b.len().to_string() }),
        )
        .route(
            "/api/id",
            get(|id: RequestId| async move { id.to_string() }),
        );
    layers(pages(forms, policy).merge(api), policy)
}

#[tokio::test]
async fn every_answer_gets_a_request_id_and_nosniff() {
    let policy = Policy::new();
    let app = page_app(&policy);
    let (s, h, body) = send(&app, Request::get("/api/id").body(Body::empty()).unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(
        h["x-request-id"],
        body.as_str(),
        "the handler's id is the echoed one"
    );
    assert!(uuid::Uuid::parse_str(&body).is_ok(), "{body}");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let (_, h2, _) = send(&app, Request::get("/api/id").body(Body::empty()).unwrap()).await;
    assert_ne!(h["x-request-id"], h2["x-request-id"]);
    // A client's own x-request-id is not taken over.
    let (_, h3, _) = send(
        &app,
        Request::get("/api/id")
            .header("x-request-id", "mine")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_ne!(h3["x-request-id"], "mine");
    // API routes carry no page headers.
    assert!(h.get(header::CONTENT_SECURITY_POLICY).is_none());
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let policy = Policy::new().body_limit(1000);
    let app = page_app(&policy);
    let ok = Request::post("/api/echo")
        .body(Body::from(vec![b'a'; 1000]))
        .unwrap();
    assert_eq!(send(&app, ok).await.2, "1000");
    let declared = Request::post("/api/echo")
        .header(header::CONTENT_LENGTH, "1001")
        .body(Body::from(vec![b'a'; 1001]))
        .unwrap();
    let (s, h, _) = send(&app, declared).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    // The refused body is not read, so the connection is closed after the answer.
    assert_eq!(h[header::CONNECTION], "close");
    // Without a Content-Length the limit holds while reading.
    let undeclared = Request::post("/api/echo")
        .body(Body::from(vec![b'a'; 1001]))
        .unwrap();
    assert_eq!(
        send(&app, undeclared).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn pages_get_the_security_headers_and_signed_in_pages_no_store() {
    let policy = Policy::new();
    let app = page_app(&policy);
    let (s, h, _) = send(&app, Request::get("/form").body(Body::empty()).unwrap()).await;
    assert_eq!(s, 200);
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert!(
        h.get(header::CACHE_CONTROL).is_none(),
        "a public page may be cached"
    );
    let (_, h, _) = send(&app, Request::get("/account").body(Body::empty()).unwrap()).await;
    assert_eq!(h[header::CACHE_CONTROL], "no-store");

    let signed_in = no_store(Router::new().route("/me", get(|| async { "me" })));
    let (_, h, _) = send(&signed_in, Request::get("/me").body(Body::empty()).unwrap()).await;
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn cross_site_form_posts_are_refused_with_a_sentence() {
    let policy = Policy::new()
        .public_url("https://suf.example/v/?vl=")
        .unwrap();
    let app = page_app(&policy);
    let form = |pairs: &[(&str, &str)]| {
        let mut b = Request::post("/form")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "suf.example");
        for (k, v) in pairs {
            b = b.header(*k, *v);
        }
        b.body(Body::from("a=1")).unwrap()
    };
    let (s, h, body) = send(
        &app,
        form(&[("sec-fetch-site", "cross-site"), ("cookie", "sid=1")]),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("sent from another page or site"), "{body}");
    assert!(body.contains("poslat sa druge stranice"), "{body}");
    assert!(h.get(header::CONTENT_SECURITY_POLICY).is_some());
    let (s, _, _) = send(&app, form(&[("origin", "https://evil.example")])).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for ok in [
        &[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://suf.example"),
        ][..],
        &[("sec-fetch-site", "none")],
        &[("origin", "https://suf.example")],
        &[],
    ] {
        let (s, _, body) = send(&app, form(ok)).await;
        assert_eq!((s, body.as_str()), (StatusCode::OK, "saved"), "{ok:?}");
    }
    // API routes outside `pages` are not subject to it.
    let api = Request::post("/api/echo")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from("x"))
        .unwrap();
    assert_eq!(send(&app, api).await.0, 200);
}

#[tokio::test]
async fn cookies_are_secure_under_https() {
    let https = Policy::new()
        .public_url("https://fakture.example/")
        .unwrap();
    let http = Policy::new().public_url("http://127.0.0.1:7700/").unwrap();
    assert_eq!(https.public_origin(), Some("https://fakture.example"));
    assert_eq!(http.public_origin(), Some("http://127.0.0.1:7700"));
    let c = https.cookie("lang", "en").unwrap();
    let app = Router::new().route(
        "/",
        get(move || {
            let c = c.clone();
            async move { (c, "x").into_response() }
        }),
    );
    let (_, h, _) = send(&app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(
        h[header::SET_COOKIE],
        "lang=en; Path=/; HttpOnly; SameSite=Lax; Secure"
    );
    assert_eq!(
        http.cookie("lang", "en").unwrap().header_value(),
        "lang=en; Path=/; HttpOnly; SameSite=Lax"
    );
    assert!(Policy::new().public_url("ftp://x/").is_err());
    assert!(Policy::new().public_url("not a url").is_err());
}
