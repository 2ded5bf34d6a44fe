//! The authority's administration, run on SQLite and on PostgreSQL over real connections:
//! a new tax-rate group, the verification URL and the time server are stored with the commands
//! that carry them, survive a restart, and a receipt taxed with the new group passes audit.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Env, TestDb, receipt};
use fiskal_domain::tax::TaxRateGroup;
use fiskal_suf::api::admin;
use fiskal_suf::service::admin::{NewTaxRateGroup, new_admin_token};
use fiskal_suf::service::command_type;
use fiskal_suf::store::SqlStore;
use fiskal_suf::{Suf, SufError};
use rust_decimal::Decimal;
use tower::ServiceExt as _;

/// A second SUF on the same database (as after a restart, or another process).
async fn reopen(db: &TestDb, e: &Env) -> Suf<SqlStore> {
    let store = common::store_on(db).await;
    Suf::adopt(e.path(), store, None).await.expect("adopt")
}

fn group_with_rate(
    valid_from: chrono::DateTime<chrono::Utc>,
    label: &str,
    rate: i64,
) -> NewTaxRateGroup {
    let mut g = TaxRateGroup::serbian_default();
    for c in &mut g.tax_categories {
        for r in &mut c.tax_rates {
            if r.label == label {
                r.rate = Decimal::new(rate * 100, 2);
            }
        }
    }
    NewTaxRateGroup {
        valid_from: valid_from.fixed_offset(),
        tax_categories: g.tax_categories,
    }
}

async fn admin_contract(db: TestDb) {
    let mut e = Env::new();
    let uid = e.uid();
    let store = common::store_on(&db).await;
    let suf = Suf::adopt(e.path(), store, None).await.expect("adopt");
    let initial = suf.commands(&uid).await.unwrap().len();
    assert_eq!(initial, 4, "initialisation commands 0, 1, 2, 7");

    // A group in the past is refused and changes nothing.
    let past = group_with_rate(chrono::Utc::now() - chrono::Duration::hours(1), "Ђ", 10);
    match suf.add_tax_group(past).await {
        Err(SufError::Refused(m)) => assert!(m.contains("not in the future"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(suf.tax_groups().len(), 1);
    assert_eq!(suf.commands(&uid).await.unwrap().len(), initial);

    // A future group gets id 2 and a SetTaxRates command for the SE.
    let valid_from = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let out = suf
        .add_tax_group(group_with_rate(valid_from, "Ђ", 10))
        .await
        .unwrap();
    assert_eq!(out.value.group_id, 2);
    assert_eq!(out.queued_for, 1);
    let cmds = suf.commands(&uid).await.unwrap();
    let last = cmds.last().unwrap();
    assert_eq!(last.command_type, command_type::SET_TAX_RATES);
    let sent: TaxRateGroup = serde_json::from_str(&last.payload).unwrap();
    assert_eq!(sent, out.value);

    // Verification prefix and time server: checked, stored, carried by commands 2 and 1.
    assert!(suf.set_verification_prefix("ftp://x/").await.is_err());
    assert!(suf.set_time_server("no url").await.is_err());
    let prefix = "http://localhost:7700/v/?vl=";
    assert_eq!(
        suf.set_verification_prefix(prefix)
            .await
            .unwrap()
            .queued_for,
        1
    );
    suf.set_time_server("http://time.example.rs:80/")
        .await
        .unwrap();
    let cmds = suf.commands(&uid).await.unwrap();
    let tail: Vec<(i32, &str)> = cmds[cmds.len() - 2..]
        .iter()
        .map(|c| (c.command_type, c.payload.as_str()))
        .collect();
    assert_eq!(
        tail,
        vec![
            (command_type::SET_VERIFICATION_URL, prefix),
            (
                command_type::SET_TIME_SERVER_URL,
                "http://time.example.rs:80/"
            )
        ]
    );
    assert_eq!(suf.configuration().endpoints.root, prefix);
    assert_eq!(suf.configuration().ntp_server, "http://time.example.rs:80/");

    // A restarted SUF knows all of it, and queues no second initialisation.
    drop(suf);
    let suf = Arc::new(reopen(&db, &e).await);
    assert_eq!(suf.tax_groups().len(), 2);
    assert_eq!(suf.tax_groups()[1].group_id, 2);
    assert_eq!(suf.configuration().endpoints.root, prefix);
    assert_eq!(suf.configuration().ntp_server, "http://time.example.rs:80/");
    assert_eq!(suf.commands(&uid).await.unwrap().len(), initial + 3);
    let history = suf.command_history(&uid).await.unwrap();
    assert_eq!(history.len(), initial + 3);
    assert_eq!(history[0].type_name, "SetTimeServerUrl", "newest first");

    // Once the group applies, a receipt taxed with it passes audit at the restarted SUF.
    e.settings.tax_rate_groups.push(suf.tax_groups()[1].clone());
    while chrono::Utc::now() <= valid_from {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (rq, rs, result) = e.sign(&receipt("110.00"));
    assert_eq!(result.tax_group_revision, 2);
    assert_eq!(result.tax_items[0].amount.to_string(), "10.0000");
    let answer = suf.audit_package(&uid, &e.seal(&rq, &rs)).await;
    assert_eq!(answer.status.code(), 4, "{}", answer.message);

    // The HTTP side: the token is required, the registry shows the SE.
    let app = admin::router(suf.clone());
    let no_token = app
        .clone()
        .oneshot(
            Request::get("/portal/api/v1/secure-elements")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        no_token.status(),
        StatusCode::UNAUTHORIZED,
        "admin disabled without a token"
    );
    drop(app);
    let token = new_admin_token();
    let suf = Arc::new(
        Arc::try_unwrap(suf)
            .unwrap_or_else(|_| panic!("one owner"))
            .with_admin_token(&token),
    );
    let app = admin::router(suf.clone());
    let get = |auth: String| {
        Request::get("/portal/api/v1/secure-elements")
            .header("Authorization", auth)
            .body(Body::empty())
            .unwrap()
    };
    let wrong = app
        .clone()
        .oneshot(get("Bearer nope".into()))
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = app
        .clone()
        .oneshot(get(format!("Bearer {token}")))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body = axum::body::to_bytes(ok.into_body(), 1 << 20).await.unwrap();
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list[0]["uid"], uid.as_str());
    assert_eq!(list[0]["pendingCommands"], (initial + 3) as u64);
    let bad_group = Request::post("/portal/api/v1/tax-rate-groups")
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body(Body::from("{\"validFrom\": \"yesterday\"}"))
        .unwrap();
    let r = app.clone().oneshot(bad_group).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(suf.tax_groups().len(), 2, "a bad body changes nothing");

    // A forced proof of audit: two more receipts, only one delivered; the normal path issues no
    // proof, the operator forces it, and the SE accepts it.
    {
        use fiskal_se::SecureElement as _;
        let (rq, rs, _) = e.sign(&receipt("5.00"));
        let (_missing, _, _) = e.sign(&receipt("6.00"));
        assert_eq!(
            suf.audit_package(&uid, &e.seal(&rq, &rs))
                .await
                .status
                .code(),
            4
        );
        let amount = e.se.amount_status();
        let arp = e.se.start_audit().unwrap();
        suf.audit_proof_request(&uid, &arp, amount.unaudited as i64, amount.limit as i64)
            .await
            .unwrap();
        let pending_poa = |cmds: &[fiskal_suf::store::CommandRecord]| {
            cmds.iter()
                .filter(|c| c.command_type == command_type::FORWARD_PROOF_OF_AUDIT)
                .count()
        };
        assert_eq!(
            pending_poa(&suf.commands(&uid).await.unwrap()),
            0,
            "a receipt is missing"
        );
        assert!(
            suf.force_proof_of_audit(&uid, "  ").await.is_err(),
            "operator required"
        );
        assert!(
            suf.force_proof_of_audit("ZZZZZZZZ", "Inspektor")
                .await
                .is_err()
        );
        let forced = suf
            .force_proof_of_audit(&uid, "Inspektor Petrović")
            .await
            .unwrap()
            .value;
        assert_eq!(forced.missing_receipts, 1);
        assert_eq!(forced.total_counter, 3);
        let cmds = suf.commands(&uid).await.unwrap();
        assert_eq!(pending_poa(&cmds), 1);
        let poa = cmds
            .iter()
            .find(|c| c.command_type == command_type::FORWARD_PROOF_OF_AUDIT)
            .unwrap();
        use base64::Engine as _;
        let poa = base64::engine::general_purpose::STANDARD
            .decode(&poa.payload)
            .unwrap();
        e.se.end_audit(&poa)
            .expect("the SE accepts the forced proof");
        assert_eq!(e.se.amount_status().unaudited, 0);
        assert!(
            suf.force_proof_of_audit(&uid, "Inspektor").await.is_err(),
            "no open audit request left"
        );
    }

    // Directives are numbered per SE; the numbers survive a restart and the SE accepts them.
    {
        use fiskal_se::SecureElement as _;
        use fiskal_suf::service::admin::DirectiveRequest;
        let a = suf
            .send_directive(&uid, DirectiveRequest::SetLimit(5_000 * 10_000))
            .await
            .unwrap();
        let b = suf
            .send_directive(&uid, DirectiveRequest::UnlockPin)
            .await
            .unwrap();
        assert_eq!((a.value.seq, b.value.seq), (1, 2));
        assert_eq!(a.value.limit.unwrap().to_string(), "5000");
        assert!(
            suf.send_directive("ZZZZ9999", DirectiveRequest::UnlockPin)
                .await
                .is_err()
        );
        assert!(
            suf.send_directive(&uid, DirectiveRequest::SetLimit(0))
                .await
                .is_err()
        );
        let again = reopen(&db, &e).await;
        let c = again
            .send_directive(&uid, DirectiveRequest::EnableSigning)
            .await
            .unwrap();
        assert_eq!(c.value.seq, 3);
        use base64::Engine as _;
        for cmd in suf.commands(&uid).await.unwrap() {
            if cmd.command_type == command_type::FORWARD_DIRECTIVE {
                let d = base64::engine::general_purpose::STANDARD
                    .decode(&cmd.payload)
                    .unwrap();
                e.se.forward_directive(&d)
                    .expect("the SE accepts the directive");
            }
        }
        assert_eq!(e.se.amount_status().limit, 5_000 * 10_000);
    }

    // A revoked SE gets no further commands.
    assert!(
        suf.revoke(&uid, chrono::Utc::now().timestamp_millis())
            .await
            .unwrap()
    );
    let out = suf
        .add_tax_group(group_with_rate(
            chrono::Utc::now() + chrono::Duration::days(30),
            "Е",
            12,
        ))
        .await
        .unwrap();
    assert_eq!((out.value.group_id, out.queued_for), (3, 0));
    let se = &suf.secure_elements().await.unwrap()[0];
    assert!(se.revoked_at.is_some());

    db.cleanup().await;
}

/// A SUF adopted from a local bundle refuses a sandbox SE certificate: local, sandbox and
/// production material never mix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_of_another_environment_are_refused() {
    use fiskal_suf::ca::{EnvironmentKind, Pki};
    let e = Env::new();
    let store = common::sqlite_store(e.path()).await;
    let suf = Suf::adopt(e.path(), store, None).await.expect("adopt");
    let pki = Pki::init(&e.path().join("sandbox-ca"), EnvironmentKind::Sandbox).unwrap();
    let seller = fiskal_domain::seller::Seller::seed_example();
    let se = pki.issue_se(&seller, Some("1234"), None).unwrap();
    match suf.register_certificate(&se.signing_certificate).await {
        Err(SufError::Refused(m)) => assert!(m.contains("never mix"), "{m}"),
        other => panic!("a sandbox certificate was not refused: {other:?}"),
    }
    assert_eq!(suf.secure_elements().await.unwrap().len(), 1);
    // A second local SE is welcome.
    let other = Env::new();
    let der = fiskal_se::SecureElement::certificate_der(&other.se);
    assert_eq!(suf.register_certificate(&der).await.unwrap(), other.uid());
}

/// Two SUF processes on one database: groups added by one are known to the other, group ids and
/// directive numbers never repeat.
async fn two_sufs_on_one_database(db: TestDb) {
    use fiskal_suf::service::admin::DirectiveRequest;
    let mut e = Env::new();
    let uid = e.uid();
    let store = common::store_on(&db).await;
    let a = Suf::adopt(e.path(), store, None).await.expect("adopt a");
    let b = reopen(&db, &e).await;

    let valid_from = chrono::Utc::now() + chrono::Duration::milliseconds(800);
    let g2 = a
        .add_tax_group(group_with_rate(valid_from, "Ђ", 10))
        .await
        .unwrap();
    let g3 = b
        .add_tax_group(group_with_rate(
            chrono::Utc::now() + chrono::Duration::days(10),
            "Е",
            12,
        ))
        .await
        .unwrap();
    assert_eq!((g2.value.group_id, g3.value.group_id), (2, 3));

    // B audits a receipt taxed with the group A announced.
    e.settings.tax_rate_groups.push(g2.value.clone());
    while chrono::Utc::now() <= valid_from {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (rq, rs, result) = e.sign(&receipt("110.00"));
    assert_eq!(result.tax_group_revision, 2);
    let answer = b.audit_package(&uid, &e.seal(&rq, &rs)).await;
    assert_eq!(answer.status.code(), 4, "{}", answer.message);

    // Directive numbers taken at the same time by both stay distinct.
    let (x, y) = tokio::join!(
        a.send_directive(&uid, DirectiveRequest::UnlockPin),
        b.send_directive(&uid, DirectiveRequest::EnableSigning)
    );
    let mut seqs = vec![x.unwrap().value.seq, y.unwrap().value.seq];
    seqs.sort();
    assert_eq!(seqs, vec![1, 2]);

    db.cleanup().await;
}

fiskal_testkit::store_contract!(admin_contract, two_sufs_on_one_database);
