//! The SUF's contract, run on SQLite and on PostgreSQL over real connections: registry, tokens,
//! audit intake with its rejections, proof of audit, commands and verification.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{Env, TestDb, receipt};
use fiskal_domain::verification_url::VerificationPayload;
use fiskal_se::SecureElement;
use fiskal_suf::service::{Invalid, command_type};
use fiskal_suf::store::{SqlStore, Store};
use fiskal_suf::{Suf, package};

async fn suf(db: &TestDb, e: &Env) -> Arc<Suf<SqlStore>> {
    let store = common::store_on(db).await;
    Arc::new(Suf::adopt(e.path(), store, None).await.expect("adopt"))
}

async fn audit_contract(db: TestDb) {
    let mut e = Env::new();
    let uid = e.uid();
    let suf = suf(&db, &e).await;

    // Tokens: one per UID while valid; unknown UID refused.
    let (t1, exp) = suf.token(&uid).await.unwrap();
    let (t2, _) = suf.token(&uid).await.unwrap();
    assert_eq!(t1, t2, "a valid token is reused");
    assert!(exp > chrono::Utc::now() + chrono::Duration::hours(7));
    assert_eq!(suf.authenticate(Some(&t1)).await.unwrap(), uid);
    assert!(suf.authenticate(Some("nonsense")).await.is_err());
    assert!(suf.token("ZZZZZZZZ").await.is_err());

    // Initialisation commands for the adopted SE: 0, 1, 2, 7 in this order.
    let cmds = suf.commands(&uid).await.unwrap();
    let types: Vec<i32> = cmds.iter().map(|c| c.command_type).collect();
    assert_eq!(types, vec![0, 1, 2, 7]);
    assert_eq!(cmds[2].payload, e.env.verification_url_prefix);
    suf.command_result(&uid, &cmds[0].command_id, true)
        .await
        .unwrap();
    assert!(
        suf.command_result(&uid, "no-such-command", true)
            .await
            .is_err()
    );
    assert_eq!(suf.commands(&uid).await.unwrap().len(), 3);

    // Three real receipts.
    let r: Vec<_> = ["100.00", "250.50", "12.34"]
        .iter()
        .map(|p| e.sign(&receipt(p)))
        .collect();
    let pk: Vec<_> = r.iter().map(|(rq, rs, _)| e.seal(rq, rs)).collect();

    // Before audit: the URL verifies, not yet received.
    let v = suf
        .verify(&r[0].2.verification_url)
        .await
        .unwrap()
        .expect("valid");
    assert!(v.received.is_none());
    assert_eq!(v.seller.tin, "123456789");

    // Reordered: 1, 3, then 2 — all verified, nothing counted twice.
    assert_eq!(suf.audit_package(&uid, &pk[0]).await.status.code(), 4);
    assert_eq!(suf.audit_package(&uid, &pk[2]).await.status.code(), 4);
    assert_eq!(suf.audit_package(&uid, &pk[1]).await.status.code(), 4);
    // Replayed (same package, and the same receipt re-encrypted): verified again, stored once.
    assert_eq!(suf.audit_package(&uid, &pk[1]).await.status.code(), 4);
    assert_eq!(
        suf.audit_package(&uid, &e.seal(&r[1].0, &r[1].1))
            .await
            .status
            .code(),
        4
    );
    assert_eq!(suf.store().count_range(&uid, 1, 100).await.unwrap(), 3);

    // After audit: received, and the journal is stored.
    let v = suf
        .verify(&r[0].2.verification_url)
        .await
        .unwrap()
        .expect("valid");
    let got = v.received.expect("received");
    assert!(got.result_json.contains("ФИСКАЛНИ РАЧУН"));

    // Tampered payload bytes: cannot be decrypted.
    let mut bad = pk[0].clone();
    let mut raw = B64.decode(&bad.payload).unwrap();
    raw[5] ^= 0x40;
    bad.payload = B64.encode(raw);
    assert_eq!(suf.audit_package(&uid, &bad).await.status.code(), 0);
    // Truncated package.
    let mut short = pk[0].clone();
    short.payload.truncate(short.payload.len() / 2);
    assert_eq!(suf.audit_package(&uid, &short).await.status.code(), 0);
    // Altered amount inside a correctly encrypted package: the signature fails.
    let mut res: serde_json::Value = serde_json::from_str(&r[0].1).unwrap();
    res["totalAmount"] = serde_json::from_str("1000.00").unwrap();
    let altered = e.seal(&r[0].0, &res.to_string());
    assert_eq!(suf.audit_package(&uid, &altered).await.status.code(), 2);
    // Altered journal text only (not signed): same invoice number, different content → 0.
    let mut res: serde_json::Value = serde_json::from_str(&r[0].1).unwrap();
    res["journal"] = serde_json::Value::String("лажни рачун".into());
    let altered = e.seal(&r[0].0, &res.to_string());
    let a = suf.audit_package(&uid, &altered).await;
    assert_eq!(a.status.code(), 0, "{}", a.message);
    // Wrong MRC → 24.
    let (rq4, rs4, _) = e.sign(&receipt("5.00"));
    let mut res: serde_json::Value = serde_json::from_str(&rs4).unwrap();
    res["mrc"] = serde_json::Value::String("bad".into());
    assert_eq!(
        suf.audit_package(&uid, &e.seal(&rq4, &res.to_string()))
            .await
            .status
            .code(),
        24
    );
    // Sent under another SE's token → 72.
    assert_eq!(
        suf.audit_package("AAAAAAAA", &e.seal(&rq4, &rs4))
            .await
            .status
            .code(),
        72
    );
    // Now properly.
    assert_eq!(
        suf.audit_package(&uid, &e.seal(&rq4, &rs4))
            .await
            .status
            .code(),
        4
    );

    // Proof of audit: ARP with every receipt stored → POA issued at once as command type 5.
    let amount = e.se.amount_status();
    assert!(amount.unaudited > 0);
    let arp = e.se.start_audit().unwrap();
    // Wrong sum is refused.
    assert!(
        suf.audit_proof_request(&uid, &arp, amount.unaudited as i64 + 1, amount.limit as i64)
            .await
            .is_err()
    );
    // Another SE's token is refused.
    assert!(
        suf.audit_proof_request(
            "AAAAAAAA",
            &arp,
            amount.unaudited as i64,
            amount.limit as i64
        )
        .await
        .is_err()
    );
    suf.audit_proof_request(&uid, &arp, amount.unaudited as i64, amount.limit as i64)
        .await
        .unwrap();
    let poa_cmd = suf
        .commands(&uid)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.command_type == command_type::FORWARD_PROOF_OF_AUDIT)
        .expect("proof of audit queued");
    let poa = B64.decode(&poa_cmd.payload).unwrap();
    assert_eq!(poa.len(), 256);
    e.se.end_audit(&poa).expect("the SE accepts the proof");
    assert_eq!(e.se.amount_status().unaudited, 0);
    suf.command_result(&uid, &poa_cmd.command_id, true)
        .await
        .unwrap();

    // Next audit with a missing receipt: no proof until it arrives.
    let (rq5, rs5, _) = e.sign(&receipt("7.00"));
    let (rq6, rs6, _) = e.sign(&receipt("8.00"));
    assert_eq!(
        suf.audit_package(&uid, &e.seal(&rq6, &rs6))
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
    assert!(
        suf.commands(&uid)
            .await
            .unwrap()
            .iter()
            .all(|c| c.command_type != 5),
        "receipt 5 is missing"
    );
    assert_eq!(
        suf.audit_package(&uid, &e.seal(&rq5, &rs5))
            .await
            .status
            .code(),
        4
    );
    let poa_cmd = suf
        .commands(&uid)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.command_type == 5)
        .expect("now issued");
    e.se.end_audit(&B64.decode(&poa_cmd.payload).unwrap())
        .unwrap();

    // Revocation: packages signed after the revocation time are refused with 6; verification
    // of a receipt signed after it fails.
    let (rq7, rs7, res7) = e.sign(&receipt("9.00"));
    suf.revoke(&uid, chrono::Utc::now().timestamp_millis() - 60_000)
        .await
        .unwrap();
    assert_eq!(
        suf.audit_package(&uid, &e.seal(&rq7, &rs7))
            .await
            .status
            .code(),
        6
    );
    assert_eq!(
        suf.verify(&res7.verification_url)
            .await
            .unwrap()
            .unwrap_err(),
        Invalid::CertificateNotValid
    );
    assert!(suf.token(&uid).await.is_err(), "no token for a revoked SE");

    db.cleanup().await;
}

async fn verification_contract(db: TestDb) {
    let mut e = Env::new();
    let suf = suf(&db, &e).await;
    let (_, _, res) = e.sign(&receipt("164.00"));
    let url = res.verification_url.clone();
    assert!(url.starts_with("http://127.0.0.1:7700/v/?vl="));
    assert!(suf.verify(&url).await.unwrap().is_ok());

    // Altered amount with a recomputed checksum: signature fails.
    let mut p = VerificationPayload::decode(&url).unwrap();
    p.total_amount += 10_000;
    let forged = p.encode("http://x/v/?vl=");
    assert_eq!(
        suf.verify(&forged).await.unwrap().unwrap_err(),
        Invalid::BadSignature
    );
    // Altered internal data: the signature covers them.
    let mut p = VerificationPayload::decode(&url).unwrap();
    p.internal_data[3] ^= 1;
    assert_eq!(
        suf.verify(&p.encode("")).await.unwrap().unwrap_err(),
        Invalid::BadSignature
    );
    // Unknown signer.
    let mut p = VerificationPayload::decode(&url).unwrap();
    p.signed_by = "ZZZZZZZZ".into();
    assert!(matches!(
        suf.verify(&p.encode("")).await.unwrap().unwrap_err(),
        Invalid::UnknownSigner(_)
    ));
    // Truncated and garbage links.
    assert!(matches!(
        suf.verify(&url[..url.len() - 40])
            .await
            .unwrap()
            .unwrap_err(),
        Invalid::Damaged(_)
    ));
    assert!(matches!(
        suf.verify("vl=%%%garbage").await.unwrap().unwrap_err(),
        Invalid::Damaged(_)
    ));
    assert!(matches!(
        suf.verify("").await.unwrap().unwrap_err(),
        Invalid::Damaged(_)
    ));
    // A real URL from the sandbox (known format, unknown signer).
    let sandbox = "https://sandbox.suf.purs.gov.rs/v/?vl=A1lKTFFURVFSWUpMUVRFUVJ9LAAAzCEAADhyCgAAAAAAAAABiJBwjfAAAAo=";
    assert!(suf.verify(sandbox).await.unwrap().is_err());

    db.cleanup().await;
}

#[test]
fn package_round_trip_and_wrong_key() {
    let e = Env::new();
    let keys = fiskal_suf::keys::SufKeys::load(e.path()).unwrap();
    let plain = b"{\"hello\":\"\xd1\x80\"}".to_vec();
    let pkg = package::seal(&e.env.authority_encryption_key_der().unwrap(), &plain).unwrap();
    assert_eq!(&package::open(&keys, &pkg).unwrap()[..], &plain[..]);
    // A package sealed for another authority cannot be opened.
    let other = Env::new();
    let pkg2 = package::seal(&other.env.authority_encryption_key_der().unwrap(), &plain).unwrap();
    // `other` has its own authority (a fresh folder), so its key differs.
    assert!(package::open(&keys, &pkg2).is_err());
}

fn record(
    counter: u32,
    amount: i64,
    cumulative: i64,
    hash: &str,
) -> fiskal_suf::store::ReceiptRecord {
    fiskal_suf::store::ReceiptRecord {
        invoice_number: format!("AAAA1111-AAAA1111-{counter}"),
        signed_by: "AAAA1111".into(),
        requested_by: "AAAA1111".into(),
        total_counter: counter,
        transaction_type_counter: counter,
        sdc_time_ms: 1_700_000_000_000 + i64::from(counter),
        amount,
        invoice_type: 0,
        transaction_type: 0,
        buyer_id: None,
        cumulative_total: cumulative,
        internal_data: vec![1; 8],
        signature: vec![2; 8],
        content_hash: hash.into(),
        request_json: "{}".into(),
        result_json: "{}".into(),
        received_ms: 0,
    }
}

/// Concurrent inserts are stored by group commit: each once, duplicates and conflicts told
/// apart, and the counter chain checked against neighbours stored in the same group.
async fn group_commit(db: TestDb) {
    use fiskal_suf::store::InsertOutcome;
    let store = common::store_on(&db).await;
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for c in 1..=60u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .insert_receipt(&record(c, 10, 10 * i64::from(c), &format!("h{c}")))
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), InsertOutcome::Inserted);
    }
    assert_eq!(store.count_range("AAAA1111", 1, 60).await.unwrap(), 60);
    assert_eq!(
        store
            .insert_receipt(&record(7, 10, 70, "h7"))
            .await
            .unwrap(),
        InsertOutcome::Duplicate
    );
    assert_eq!(
        store
            .insert_receipt(&record(7, 10, 70, "other"))
            .await
            .unwrap(),
        InsertOutcome::Conflict
    );
    // 61 must continue from 60 (cumulative 600): 600 + 10 = 610.
    assert_eq!(
        store
            .insert_receipt(&record(61, 10, 999, "h61"))
            .await
            .unwrap(),
        InsertOutcome::ChainBroken
    );
    // 63 stored first; 62 must then lead to it exactly.
    assert_eq!(
        store
            .insert_receipt(&record(63, 10, 630, "h63"))
            .await
            .unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(
        store
            .insert_receipt(&record(62, 10, 625, "bad62"))
            .await
            .unwrap(),
        InsertOutcome::ChainBroken
    );
    let (r61, r62) = (record(61, 10, 610, "h61"), record(62, 10, 620, "h62"));
    let (a, b) = tokio::join!(store.insert_receipt(&r61), store.insert_receipt(&r62));
    assert_eq!(
        (a.unwrap(), b.unwrap()),
        (InsertOutcome::Inserted, InsertOutcome::Inserted)
    );
    assert_eq!(store.count_range("AAAA1111", 1, 63).await.unwrap(), 63);
    db.cleanup().await;
}

fiskal_testkit::store_contract!(audit_contract, verification_contract, group_commit);
