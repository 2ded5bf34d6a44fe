//! Acceptance scenarios of `moje-fakture.md` §14 about tenants and their SEF keys (onboarding,
//! deactivated, regenerated and ISP-blocked keys, tenant isolation, master-key rotation) against
//! the in-process SEF sandbox, each on SQLite and on PostgreSQL over real connections. The
//! scenarios about sending documents are in `sending.rs`.

mod common;

use std::time::Duration;

use common::{Backend, Env, TestDb, pib, registration, test_config};
use fiskal_einvoice::MessageId;
use fiskal_einvoice::crypto::ApiKey;
use fiskal_einvoice::model::{DocState, KeyState};
use fiskal_einvoice::service::ServiceError;

fn msg_id(e: &ServiceError) -> String {
    e.id()
}

/// §14.1 and §14.2: malformed, inactive and unknown keys are refused and nothing is stored; a
/// valid key is stored encrypted; the same key cannot serve a second tenant.
async fn onboarding(db: TestDb) {
    let env = Env::on(db).await;
    let p = pib(19100001);
    let mb = common::mb_for(&p);
    let good = env.sandbox_company(&p, &mb, "Firma").await;
    // malformed
    let e = env
        .svc
        .register(registration(&p, "not-a-key"), "t")
        .await
        .unwrap_err();
    assert_eq!(msg_id(&e), "sef.key.malformed");
    // inactive (API STATUS off)
    env.sb.sandbox().set_key_active(&good, false).await.unwrap();
    let e = env
        .svc
        .register(registration(&p, &good), "t")
        .await
        .unwrap_err();
    assert_eq!(msg_id(&e), "sef.key.rejected");
    assert!(e.text(fiskal_einvoice::Lang::SrLatn).contains("API STATUS"));
    env.sb.sandbox().set_key_active(&good, true).await.unwrap();
    // another environment = unknown to the sandbox
    let e = env
        .svc
        .register(registration(&p, &uuid::Uuid::new_v4().to_string()), "t")
        .await
        .unwrap_err();
    assert_eq!(msg_id(&e), "sef.key.rejected");
    assert!(
        env.svc.store().tenants().await.unwrap().is_empty(),
        "nothing stored after refusals"
    );
    // field check
    let mut bad = registration(&p, &good);
    bad.pib = "190000013".into();
    assert_eq!(
        msg_id(&env.svc.register(bad, "t").await.unwrap_err()),
        "field"
    );
    // valid
    let reg = env
        .svc
        .register(registration(&p, &good), "t")
        .await
        .unwrap();
    assert_eq!(reg.key.state, KeyState::Active);
    assert_eq!(reg.key.last_four, good[good.len() - 4..]);
    let json = serde_json::to_string(&reg).unwrap();
    assert!(
        !json.contains(&good),
        "the key never appears in API responses"
    );
    assert_no_plaintext_in_db(&env, &good).await;
    // §14.2: same key, second tenant
    let p2 = pib(19100002);
    env.sandbox_company(&p2, &common::mb_for(&p2), "Druga")
        .await;
    let e = env
        .svc
        .register(registration(&p2, &good), "t")
        .await
        .unwrap_err();
    assert_eq!(msg_id(&e), "sef.key.in_use_by_other_tenant");
    // upper-case variant of the same key is the same key
    let e = env
        .svc
        .register(registration(&p2, &good.to_uppercase()), "t")
        .await
        .unwrap_err();
    assert_eq!(msg_id(&e), "sef.key.in_use_by_other_tenant");
    env.cleanup().await;
}

async fn assert_no_plaintext_in_db(env: &Env, key: &str) {
    use sqlx::Row;
    for table in [
        "tenants",
        "sef_keys",
        "audit",
        "notifications",
        "send_attempts",
        "document_versions",
    ] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(env.store.pool())
            .await
            .unwrap();
        for r in rows {
            for i in 0..r.len() {
                let as_text: Option<String> = r.try_get::<Option<String>, _>(i).ok().flatten();
                let as_bytes: Option<Vec<u8>> = r.try_get::<Option<Vec<u8>>, _>(i).ok().flatten();
                for v in [as_text.map(String::into_bytes), as_bytes]
                    .into_iter()
                    .flatten()
                {
                    assert!(
                        !v.windows(key.len())
                            .any(|w| w.eq_ignore_ascii_case(key.as_bytes())),
                        "plaintext key found in {table}"
                    );
                }
            }
        }
    }
    if env.backend == Backend::Sqlite {
        let path = env
            .db_url
            .trim_start_matches("sqlite:")
            .split('?')
            .next()
            .unwrap()
            .to_string();
        for p in [path.clone(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&p) {
                assert!(
                    !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                    "plaintext key found in {p}"
                );
            }
        }
    }
}

/// §14.3: key deactivated while 5 invoices are queued; another tenant keeps sending; "check
/// again" resumes with the original requestIds; exactly 5 documents reach the sandbox. Then the
/// same with an automatic re-check instead of "check again".
async fn deactivated_key_waits_and_resumes(db: TestDb) {
    let mut cfg = test_config();
    cfg.recheck_fast = Duration::from_secs(3600);
    let env = Env::with_config_on(db, cfg).await;
    let pa = pib(19200001);
    let pb = pib(19200002);
    let (ra, ka) = env.tenant(&pa).await;
    let (rb, _) = env.tenant(&pb).await;
    let (a, b) = (ra.tenant.id, rb.tenant.id);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            env.svc
                .submit_xml(a, &env.invoice(&pa, &format!("A-{i}")), "t")
                .await
                .unwrap()
                .id,
        );
    }
    let rids: Vec<String> = futures_ids(&env, a, &ids).await;
    env.sb.sandbox().set_key_active(&ka, false).await.unwrap();
    let log_before = env.sb.sandbox().log().len();
    env.svc.run_sender_once().await;
    // The first call got 401: key invalid, all 5 wait.
    let st = env
        .svc
        .key_status(a, fiskal_einvoice::Lang::SrLatn)
        .await
        .unwrap();
    assert_eq!(st.key.as_ref().unwrap().state, KeyState::Invalid);
    assert_eq!(st.message.as_ref().unwrap().id, "sef.key.stopped_working");
    assert_eq!(st.waiting, 5);
    assert!(st.message.as_ref().unwrap().text.contains("(5)"));
    let calls_a = |env: &Env| {
        env.sb
            .sandbox()
            .log()
            .iter()
            .filter(|l| l.api_key.as_deref() == Some(&ka[ka.len() - 4..]))
            .count()
    };
    let after_401 = calls_a(&env);
    assert_eq!(
        after_401
            - env.sb.sandbox().log()[..log_before]
                .iter()
                .filter(|l| l.api_key.as_deref() == Some(&ka[ka.len() - 4..]))
                .count(),
        1,
        "exactly one call with the dead key"
    );
    // Another tenant keeps sending meanwhile; tenant A makes no calls.
    let bdoc = env
        .svc
        .submit_xml(b, &env.invoice(&pb, "B-1"), "t")
        .await
        .unwrap()
        .id;
    env.drain(b, Duration::from_secs(10)).await;
    for _ in 0..3 {
        env.svc.run_sender_once().await;
        env.svc.run_background_once().await.unwrap();
    }
    assert_eq!(env.doc(b, bdoc).await.state, DocState::InSef);
    assert_eq!(
        calls_a(&env),
        after_401,
        "no SEF calls for a tenant with an invalid key"
    );
    // E-mailed once.
    let n = env.svc.store().notifications(a).await.unwrap();
    assert_eq!(
        n.iter()
            .filter(|n| n.message_id == "sef.key.stopped_working")
            .count(),
        1
    );
    assert_eq!(
        n[0].recipient.as_deref(),
        Some(format!("admin@{pa}.example").as_str())
    );
    // Re-activate + check again → resumes with the same requestIds.
    env.sb.sandbox().set_key_active(&ka, true).await.unwrap();
    env.svc.check_again(a, "t").await.unwrap();
    env.drain(a, Duration::from_secs(20)).await;
    for (id, rid) in ids.iter().zip(&rids) {
        let d = env.doc(a, *id).await;
        assert_eq!(d.state, DocState::InSef);
        assert_eq!(
            d.request_id.as_deref(),
            Some(rid.as_str()),
            "original requestId kept"
        );
    }
    assert_eq!(
        env.sandbox_docs(&pa).await.len(),
        5,
        "exactly 5 documents in the sandbox"
    );

    // Variant: re-activation without "check again" → the automatic re-check resumes.
    let more = env
        .svc
        .submit_xml(a, &env.invoice(&pa, "A-5"), "t")
        .await
        .unwrap()
        .id;
    env.sb.sandbox().set_key_active(&ka, false).await.unwrap();
    // Force a key check now (TTL elapsed), so the sender sees the 401.
    env.clock.advance_ms(61_000);
    env.svc.run_sender_once().await;
    assert_eq!(env.doc(a, more).await.state, DocState::BlockedKey);
    env.sb.sandbox().set_key_active(&ka, true).await.unwrap();
    env.clock.advance_ms(16 * 60 * 1000); // past the 15-minute re-check
    // The test config uses a 1 h fast interval; make it due by moving the clock further.
    env.clock.advance_ms(3600 * 1000);
    env.svc.run_background_once().await.unwrap();
    env.drain(a, Duration::from_secs(10)).await;
    assert_eq!(env.doc(a, more).await.state, DocState::InSef);
    assert_eq!(env.sandbox_docs(&pa).await.len(), 6);
    env.cleanup().await;
}

async fn futures_ids(env: &Env, tenant: i64, ids: &[i64]) -> Vec<String> {
    let mut v = Vec::new();
    for id in ids {
        v.push(env.doc(tenant, *id).await.request_id.unwrap());
    }
    v
}

/// §14.4: regenerated key → "check again" says still rejected; the new key resumes the queue.
async fn regenerated_key_needs_new_key(db: TestDb) {
    let env = Env::on(db).await;
    let p = pib(19300001);
    let (r, k) = env.tenant(&p).await;
    let t = r.tenant.id;
    let d = env
        .svc
        .submit_xml(t, &env.invoice(&p, "R-1"), "t")
        .await
        .unwrap()
        .id;
    let rid = env.doc(t, d).await.request_id.unwrap();
    let new_key = env.sb.sandbox().regenerate_key(&k).await.unwrap();
    env.svc.run_sender_once().await;
    assert_eq!(env.doc(t, d).await.state, DocState::BlockedKey);
    let e = env.svc.check_again(t, "t").await.unwrap_err();
    assert_eq!(msg_id(&e), "sef.key.still_rejected");
    let info = env
        .svc
        .replace_key(t, ApiKey::unchecked(&new_key), "t")
        .await
        .unwrap();
    assert_eq!(info.version, 2);
    assert_eq!(info.state, KeyState::Active);
    env.drain(t, Duration::from_secs(10)).await;
    let doc = env.doc(t, d).await;
    assert_eq!(doc.state, DocState::InSef);
    assert_eq!(doc.request_id.unwrap(), rid);
    // The old record keeps only fingerprint/last four.
    let hist = env.svc.store().key_history(t).await.unwrap();
    assert_eq!(hist.len(), 2);
    assert_eq!(hist[1].state, KeyState::Replaced);
    assert!(hist[1].sealed.is_none(), "old ciphertext deleted");
    env.cleanup().await;
}

/// §14.10: ISP at onboarding → `isp_conflict`, nothing stored; ISP set later → `isp_blocked`;
/// removed → the automatic re-check resumes the queue.
async fn isp_conflict(db: TestDb) {
    let mut cfg = test_config();
    cfg.recheck_fast = Duration::from_millis(1);
    let env = Env::with_config_on(db, cfg).await;
    let p = pib(19700001);
    let key = env
        .sandbox_company(&p, &common::mb_for(&p), "ISP firma")
        .await;
    env.sb
        .sandbox()
        .update_company(&p, serde_json::json!({ "isp": true }))
        .await
        .unwrap();
    let e = env
        .svc
        .register(registration(&p, &key), "t")
        .await
        .unwrap_err();
    assert_eq!(msg_id(&e), "sef.key.isp_conflict");
    assert!(env.svc.store().tenants().await.unwrap().is_empty());
    env.sb
        .sandbox()
        .update_company(&p, serde_json::json!({ "isp": false }))
        .await
        .unwrap();
    let reg = env.svc.register(registration(&p, &key), "t").await.unwrap();
    let t = reg.tenant.id;
    env.sb
        .sandbox()
        .update_company(&p, serde_json::json!({ "isp": true }))
        .await
        .unwrap();
    let d = env
        .svc
        .submit_xml(t, &env.invoice(&p, "I-1"), "t")
        .await
        .unwrap()
        .id;
    env.svc.run_sender_once().await;
    let st = env
        .svc
        .key_status(t, fiskal_einvoice::Lang::SrLatn)
        .await
        .unwrap();
    assert_eq!(st.key.unwrap().state, KeyState::IspBlocked);
    assert_eq!(st.message.unwrap().id, "sef.key.isp_conflict");
    assert_eq!(env.doc(t, d).await.state, DocState::BlockedKey);
    // Still set: automatic re-check changes nothing.
    env.svc.run_background_once().await.unwrap();
    assert_eq!(env.doc(t, d).await.state, DocState::BlockedKey);
    env.sb
        .sandbox()
        .update_company(&p, serde_json::json!({ "isp": false }))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    env.svc.run_background_once().await.unwrap();
    env.drain(t, Duration::from_secs(10)).await;
    assert_eq!(env.doc(t, d).await.state, DocState::InSef);
    env.cleanup().await;
}

/// Tenant isolation (§11): tenant A cannot read or act on tenant B's documents or keys.
async fn tenant_isolation(db: TestDb) {
    let env = Env::on(db).await;
    let pa = pib(19900001);
    let pb = pib(19900002);
    let (ra, _) = env.tenant(&pa).await;
    let (rb, _) = env.tenant(&pb).await;
    let db = env
        .svc
        .submit_xml(rb.tenant.id, &env.invoice(&pb, "X-1"), "t")
        .await
        .unwrap()
        .id;
    assert!(matches!(
        env.svc
            .document(ra.tenant.id, db, fiskal_einvoice::Lang::SrLatn)
            .await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        env.svc.cancel(ra.tenant.id, db, "x", "t").await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        env.svc.document_xml(ra.tenant.id, db).await,
        Err(ServiceError::NotFound)
    ));
    assert!(env.svc.documents(ra.tenant.id).await.unwrap().is_empty());
    // A cannot upload as B (supplier must be the tenant).
    let e = env
        .svc
        .submit_xml(ra.tenant.id, &env.invoice(&pb, "X-2"), "t")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Refused { .. }), "{e}");
    assert_eq!(fiskal_einvoice::api::error::status(&e).as_u16(), 409);
    // Tokens are per tenant.
    assert_eq!(
        env.svc.authenticate(&ra.access_token).await.unwrap().id,
        ra.tenant.id
    );
    assert!(env.svc.authenticate("nope").await.is_err());
    let _ = MessageId::ApiStatusReminder;
    env.cleanup().await;
}

/// Master-key rotation re-wraps data keys; the service on the new master key still works.
async fn master_key_rotation(db: TestDb) {
    let env = Env::on(db).await;
    let p = pib(19900021);
    let (r, _) = env.tenant(&p).await;
    let new = fiskal_einvoice::MasterKey::generate();
    let ring = fiskal_einvoice::KeyRing::new(new)
        .with_old(fiskal_einvoice::MasterKey::from_base64(&env.master_b64).unwrap());
    let db = fiskal_einvoice::SqlStore::connect(&env.db_url)
        .await
        .unwrap();
    let gw: std::sync::Arc<dyn fiskal_einvoice::gateway::SefGateway> = std::sync::Arc::new(
        fiskal_einvoice::sef_gateway::ClientGateway::sandbox(&env.sb.base_url()).unwrap(),
    );
    let svc2 = fiskal_einvoice::Service::new(
        db,
        ring,
        [("sandbox".to_string(), gw)].into_iter().collect(),
        std::sync::Arc::new(fiskal_einvoice::ubl_tools::UblTools),
        test_config(),
    );
    assert_eq!(svc2.rotate_master_key().await.unwrap(), 1);
    assert_eq!(svc2.rotate_master_key().await.unwrap(), 0);
    let d = svc2
        .submit_xml(
            r.tenant.id,
            &common::invoice_xml(&p, "MK-1", svc2.today()),
            "t",
        )
        .await
        .unwrap()
        .id;
    for _ in 0..1200 {
        svc2.run_sender_once().await; // up to 60 s on a busy machine; ends at the event
        if svc2
            .store()
            .document(r.tenant.id, d)
            .await
            .unwrap()
            .unwrap()
            .state
            == DocState::InSef
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        svc2.store()
            .document(r.tenant.id, d)
            .await
            .unwrap()
            .unwrap()
            .state,
        DocState::InSef
    );
    // The old service (old master key only) can no longer open the re-wrapped key.
    env.clock.advance_ms(120_000);
    let e = env.svc.refresh_status(r.tenant.id, d).await.unwrap_err();
    assert!(matches!(e, ServiceError::Crypto(_)), "{e:?}");
    env.cleanup().await;
}

fiskal_testkit::store_contract!(
    onboarding,
    deactivated_key_waits_and_resumes,
    regenerated_key_needs_new_key,
    isp_conflict,
    tenant_isolation,
    master_key_rotation,
);
