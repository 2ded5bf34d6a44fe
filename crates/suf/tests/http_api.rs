//! TaxCore.API of the SUF through the axum router: token, status, commands, audit and
//! audit-proof, with the error answers of suf-backend.md §4.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_se::SecureElement;
use fiskal_suf::Suf;
use serde_json::Value;
use tower::ServiceExt;

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let r = app.clone().oneshot(req).await.unwrap();
    let st = r.status();
    let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

fn req(method: &str, uri: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("Content-Type", "application/json");
    if let Some(t) = token {
        b = b.header("TaxCoreAuthenticationToken", t);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_flow_over_http() {
    let mut e = common::Env::new();
    let uid = e.uid();
    let store = common::sqlite_store(e.path()).await;
    let suf = Arc::new(Suf::adopt(e.path(), store, None).await.unwrap());
    let app = fiskal_suf::api::router(suf);

    // Token: needs the client identity; unknown SE refused.
    let (st, v) = call(&app, req("GET", "/api/v3/sdc/token", None, "")).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["modelState"], serde_json::json!([]));
    let mut r = req("GET", "/api/v3/sdc/token", None, "");
    r.headers_mut()
        .insert("X-Fiskal-Client-Uid", "ZZZZZZZZ".parse().unwrap());
    assert_eq!(call(&app, r).await.0, StatusCode::UNAUTHORIZED);
    // The UID alone is not enough: the client must prove it holds the SE's authentication key.
    let mut r = req("GET", "/api/v3/sdc/token", None, "");
    r.headers_mut()
        .insert("X-Fiskal-Client-Uid", uid.parse().unwrap());
    let (st, v) = call(&app, r).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    let proof_request = |uid: &str, time: i64, message_uid: &str, cert: Vec<u8>| {
        use base64::Engine as _;
        use fiskal_se::SecureElement as _;
        use fiskal_se::client_proof as proof;
        let b64 = &base64::engine::general_purpose::STANDARD;
        let sig =
            e.se.sign_authentication(&proof::message(message_uid, time))
                .unwrap()
                .unwrap();
        let mut r = req("GET", "/api/v3/sdc/token", None, "");
        let h = r.headers_mut();
        h.insert(proof::UID_HEADER, uid.parse().unwrap());
        h.insert(proof::TIME_HEADER, time.to_string().parse().unwrap());
        h.insert(proof::CERTIFICATE_HEADER, b64.encode(cert).parse().unwrap());
        h.insert(proof::SIGNATURE_HEADER, b64.encode(sig).parse().unwrap());
        r
    };
    let now = chrono::Utc::now().timestamp_millis();
    let auth_cert = e.se.auth_certificate_der().to_vec();
    // Signed for another UID, too old, or with the signing certificate: refused.
    for (r, what) in [
        (
            proof_request(&uid, now, "ZZZZZZZZ", auth_cert.clone()),
            "other message",
        ),
        (
            proof_request(&uid, now - 10 * 60_000, &uid, auth_cert.clone()),
            "too old",
        ),
        (
            proof_request(
                &uid,
                now,
                &uid,
                fiskal_se::SecureElement::certificate_der(&e.se),
            ),
            "signing certificate",
        ),
    ] {
        let (st, v) = call(&app, r).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{what}: {v}");
    }
    let (st, v) = call(&app, proof_request(&uid, now, &uid, auth_cert)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert!(v["expiresAt"].as_str().unwrap().ends_with('Z'));
    let t = Some(token.as_str());

    // Wrong token → 401 everywhere.
    for (m, u) in [
        ("PUT", "/api/v3/sdc/status"),
        ("GET", "/api/v3/sdc/commands"),
        ("POST", "/api/v3/sdc/audit"),
    ] {
        assert_eq!(
            call(&app, req(m, u, Some("bad"), "true")).await.0,
            StatusCode::UNAUTHORIZED,
            "{u}"
        );
    }
    // Status true → the initialisation commands; quoted booleans accepted too.
    let (st, v) = call(&app, req("PUT", "/api/v3/sdc/status", t, "\"true\"")).await;
    assert_eq!(st, StatusCode::OK);
    let cmds = v.as_array().unwrap().clone();
    assert_eq!(
        cmds.iter()
            .map(|c| c["type"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![0, 1, 2, 7]
    );
    assert_eq!(cmds[0]["uid"], uid.as_str());
    assert_eq!(
        call(&app, req("PUT", "/api/v3/sdc/status", t, "maybe"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    // Results: known → 200, unknown → 404, after reporting the command is gone.
    let id = cmds[0]["commandId"].as_str().unwrap();
    assert_eq!(
        call(
            &app,
            req("PUT", &format!("/api/v3/sdc/commands/{id}"), t, "true")
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, req("PUT", "/api/v3/sdc/commands/nope", t, "true"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, v) = call(&app, req("GET", "/api/v3/sdc/commands", t, "")).await;
    assert_eq!(v.as_array().unwrap().len(), 3);

    // Audit: malformed body → 400 with 2806; a real package → status 4.
    let (st, v) = call(&app, req("POST", "/api/v3/sdc/audit", t, "{\"x\":1}")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(v["modelState"][0]["errors"][0], "2806");
    let (rq, rs, _) = e.sign(&common::receipt("50.00"));
    let pkg = serde_json::to_string(&e.seal(&rq, &rs)).unwrap();
    let (st, v) = call(&app, req("POST", "/api/v3/sdc/audit", t, &pkg)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["status"], 4, "{v}");

    // Audit proof: wrong sum → 400; right → 200 and the proof arrives as command type 5.
    let a = e.se.amount_status();
    let arp = B64.encode(e.se.start_audit().unwrap());
    let body = |sum: u64| {
        format!(
            "{{\"auditRequestPayload\":\"{arp}\",\"sum\":{sum},\"limit\":{}}}",
            a.limit
        )
    };
    assert_eq!(
        call(
            &app,
            req("POST", "/api/v3/sdc/audit-proof", t, &body(a.unaudited + 1))
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        call(
            &app,
            req("POST", "/api/v3/sdc/audit-proof", t, &body(a.unaudited))
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, v) = call(&app, req("GET", "/api/v3/sdc/commands", t, "")).await;
    let poa = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == 5)
        .expect("proof of audit");
    e.se.end_audit(&B64.decode(poa["payload"].as_str().unwrap()).unwrap())
        .unwrap();
    assert_eq!(e.se.amount_status().unaudited, 0);

    // Shared services.
    let (st, v) = call(&app, req("GET", "/api/v3/configuration", None, "")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        v["endpoints"]["root"],
        e.env.verification_url_prefix.as_str()
    );
    let (_, v) = call(&app, req("GET", "/api/v3/tax-rates", None, "")).await;
    assert_eq!(v["currentTaxRates"]["groupId"], 1);
}
