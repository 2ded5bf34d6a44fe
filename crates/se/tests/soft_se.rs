//! Behaviour of the software SE (secure-element.md §8) and of the authority helpers.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{Duration, Utc};
use fiskal_domain::counter::Uid;
use fiskal_domain::kinds::{InvoiceType, TransactionType};
use fiskal_domain::seller::Seller;
use fiskal_se::authority::{
    self, AuthorityKeys, DirectiveKind, decrypt_audit_request, decrypt_internal_data,
    make_directive, make_proof_of_audit,
};
use fiskal_se::cert::parse_certificate;
use fiskal_se::soft::{CreateParams, SoftSe};
use fiskal_se::{Pin, SeError, SecureElement, SignRequest, SignedInvoice};
use x509_parser::prelude::{FromDer, X509Certificate};

const PASSWORD: &str = "TEST1234";
/// 1 000 000.0000 × 10 000.
const BIG_LIMIT: u64 = 10_000_000_000;

fn authority() -> &'static AuthorityKeys {
    static A: OnceLock<AuthorityKeys> = OnceLock::new();
    A.get_or_init(|| AuthorityKeys::generate().unwrap())
}

fn pin() -> Pin {
    Pin::parse("1234").unwrap()
}

fn create(dir: &Path, limit: u64) -> (SoftSe, PathBuf) {
    let now = Utc::now();
    SoftSe::create(
        dir,
        CreateParams {
            uid: None,
            seller: Seller::seed_example(),
            pin: pin(),
            password: PASSWORD,
            limit,
            authority: authority(),
            valid_from: now - Duration::days(1),
            valid_to: now + Duration::days(730),
        },
    )
    .unwrap()
}

/// A fresh SE with the PIN verified.
fn ready(dir: &Path, limit: u64) -> (SoftSe, PathBuf) {
    let (mut se, path) = create(dir, limit);
    se.verify_pin(&pin()).unwrap();
    (se, path)
}

fn now_ms() -> u64 {
    Utc::now().timestamp_millis() as u64
}

fn req(time_ms: u64, it: InvoiceType, tt: TransactionType, amount: u64) -> SignRequest {
    SignRequest {
        time_ms,
        tin: "123456789".into(),
        buyer_id: None,
        invoice_type: it,
        transaction_type: tt,
        amount,
        taxes: vec![(3, amount / 6)],
    }
}

fn sale(time_ms: u64, amount: u64) -> SignRequest {
    req(time_ms, InvoiceType::Normal, TransactionType::Sale, amount)
}

fn verify_signature(se: &SoftSe, inv: &SignedInvoice) -> bool {
    let der = se.certificate_der();
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let spki = cert.public_key().raw;
    authority::verify_rsa_sha256(spki, &inv.signed_data().unwrap(), &inv.signature)
}

#[test]
fn create_and_open_roundtrip() {
    let dir = tempfile::tempdir().unwrap();
    let (se, path) = create(dir.path(), BIG_LIMIT);
    let uid = se.uid().clone();
    assert_eq!(path, dir.path().join(format!("{uid}.fse")));
    assert_eq!(se.version(), "fiskal-soft-1");

    let outer: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(outer["format"], "fiskal-soft-se/1");
    assert_eq!(outer["uid"], uid.as_str());
    assert_eq!(outer["cipher"], "aes-256-gcm");
    assert_eq!(outer["kdf"]["alg"], "argon2id");
    assert_eq!(outer["kdf"]["memoryKiB"].to_string(), "65536");
    assert_eq!(outer["kdf"]["iterations"].to_string(), "3");
    assert_eq!(outer["kdf"]["parallelism"].to_string(), "1");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("123456789"),
        "the TIN must not be readable in the file"
    );
    let nonce1 = outer["nonce"].as_str().unwrap().to_string();

    let mut opened = SoftSe::open(&path, PASSWORD).unwrap();
    assert_eq!(opened.uid(), &uid);
    assert_eq!(opened.certificate_der(), se.certificate_der());
    assert_eq!(opened.pin_tries_left(), 5);
    assert!(!opened.is_pin_verified());
    assert_eq!(opened.total_counter(), 0);
    assert_eq!(opened.amount_status().limit, BIG_LIMIT);
    assert_eq!(opened.seller(), &Seller::seed_example());

    // Every write uses a fresh nonce.
    opened.verify_pin(&Pin::parse("0000").unwrap()).unwrap_err();
    let outer2: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_ne!(outer2["nonce"].as_str().unwrap(), nonce1);

    // Debug output hides secrets.
    let dbg = format!("{opened:?}");
    assert!(dbg.contains(uid.as_str()));
    assert!(!dbg.contains(PASSWORD) && !dbg.contains("argon2") && !dbg.contains("1234"));
    let auth_dbg = format!("{:?}", authority());
    assert!(auth_dbg.contains("hidden"));

    // No overwrite of an existing SE.
    let again = SoftSe::create(
        dir.path(),
        CreateParams {
            uid: Some(uid.clone()),
            seller: Seller::seed_example(),
            pin: pin(),
            password: PASSWORD,
            limit: 1,
            authority: authority(),
            valid_from: Utc::now(),
            valid_to: Utc::now() + Duration::days(1),
        },
    );
    assert!(matches!(again, Err(SeError::Storage(_))));
}

#[test]
fn wrong_or_short_password() {
    let dir = tempfile::tempdir().unwrap();
    let (_se, path) = create(dir.path(), 10);
    assert_eq!(
        SoftSe::open(&path, "TEST1235").unwrap_err(),
        SeError::WrongPassword
    );
    let short = SoftSe::create(
        dir.path(),
        CreateParams {
            uid: Some(Uid::parse("SHORTPW1").unwrap()),
            seller: Seller::seed_example(),
            pin: pin(),
            password: "1234567",
            limit: 10,
            authority: authority(),
            valid_from: Utc::now(),
            valid_to: Utc::now() + Duration::days(1),
        },
    );
    assert!(matches!(short, Err(SeError::BadData(m)) if m.contains("8 characters")));
    assert!(!dir.path().join("SHORTPW1.fse").exists());
}

#[test]
fn certificate_fields_and_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (se, _) = create(dir.path(), 10);
    let info = parse_certificate(&se.certificate_der()).unwrap();
    assert_eq!(&info.uid, se.uid());
    assert_eq!(info.seller, Seller::seed_example());
    assert_eq!(
        info.environment_digit,
        fiskal_se::cert::LOCAL_ENV_DIGIT,
        "a software SE belongs to the local environment, never to the sandbox (5)"
    );
    let der = se.certificate_der();
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert_eq!(
        cert.subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        se.uid().as_str()
    );
    assert_eq!(
        cert.subject()
            .iter_country()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "RS"
    );
    assert_eq!(
        cert.issuer()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        fiskal_se::cert::TEST_ROOT_CA_NAME
    );
    // The root CA's key signed the certificate.
    let (_, root) = X509Certificate::from_der(authority().root_ca_der()).unwrap();
    assert!(authority::verify_rsa_sha256(
        root.public_key().raw,
        cert.tbs_certificate.as_ref(),
        &cert.signature_value.data
    ));
    // The auth certificate certifies a different key for the same UID.
    let auth = parse_certificate(se.auth_certificate_der()).unwrap();
    assert_eq!(&auth.uid, se.uid());
    assert_ne!(auth.public_key_spki, info.public_key_spki);
}

#[test]
fn five_wrong_pins_lock_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut se, path) = create(dir.path(), 10);
    let wrong = Pin::parse("9999").unwrap();
    for left in (1..=4).rev() {
        assert_eq!(
            se.verify_pin(&wrong),
            Err(SeError::WrongPin { tries_left: left })
        );
    }
    assert_eq!(se.verify_pin(&wrong), Err(SeError::Locked));
    assert_eq!(se.pin_tries_left(), 0);
    drop(se);

    let mut se = SoftSe::open(&path, PASSWORD).unwrap();
    assert_eq!(se.pin_tries_left(), 0);
    assert_eq!(se.verify_pin(&pin()), Err(SeError::Locked));
    assert!(!se.is_pin_verified());
    assert_eq!(
        se.sign_invoice(&sale(now_ms(), 1)),
        Err(SeError::PinRequired)
    );

    // The authority unlocks it.
    let d = make_directive(authority(), se.uid(), 1, DirectiveKind::UnlockPin).unwrap();
    se.forward_directive(&d).unwrap();
    assert_eq!(se.pin_tries_left(), 5);
    se.verify_pin(&pin()).unwrap();
    assert!(se.sign_invoice(&sale(now_ms(), 1)).is_ok());
}

#[test]
fn correct_pin_resets_tries_and_reopen_needs_pin() {
    let dir = tempfile::tempdir().unwrap();
    let (mut se, path) = create(dir.path(), 10_0000);
    let wrong = Pin::parse("0000").unwrap();
    se.verify_pin(&wrong).unwrap_err();
    se.verify_pin(&wrong).unwrap_err();
    assert_eq!(se.pin_tries_left(), 3);
    assert_eq!(
        SoftSe::open(&path, PASSWORD).unwrap().pin_tries_left(),
        3,
        "wrong tries are persisted at once"
    );

    assert_eq!(
        se.sign_invoice(&sale(now_ms(), 1)),
        Err(SeError::PinRequired)
    );
    se.verify_pin(&pin()).unwrap();
    assert_eq!(se.pin_tries_left(), 5);
    assert!(se.sign_invoice(&sale(now_ms(), 1)).is_ok());

    let mut se = SoftSe::open(&path, PASSWORD).unwrap();
    assert_eq!(se.pin_tries_left(), 5);
    assert_eq!(
        se.sign_invoice(&sale(now_ms(), 1)),
        Err(SeError::PinRequired)
    );
}

#[test]
fn counters_per_kind_and_total_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut se, path) = ready(dir.path(), BIG_LIMIT);
    let t = now_ms();
    let a = se.sign_invoice(&sale(t, 100_0000)).unwrap();
    let b = se.sign_invoice(&sale(t + 1, 50_0000)).unwrap();
    let c = se
        .sign_invoice(&req(
            t + 2,
            InvoiceType::Normal,
            TransactionType::Refund,
            20_0000,
        ))
        .unwrap();
    let d = se
        .sign_invoice(&req(
            t + 3,
            InvoiceType::Training,
            TransactionType::Sale,
            5_0000,
        ))
        .unwrap();
    assert_eq!((a.transaction_type_counter, a.total_counter), (1, 1));
    assert_eq!((b.transaction_type_counter, b.total_counter), (2, 2));
    assert_eq!((c.transaction_type_counter, c.total_counter), (1, 3));
    assert_eq!((d.transaction_type_counter, d.total_counter), (1, 4));
    assert_eq!(
        se.amount_status().unaudited,
        175_0000,
        "sales and refunds both add"
    );
    assert_eq!(se.cumulative(), (155_0000, 20_0000));
    drop(se);

    let mut se = SoftSe::open(&path, PASSWORD).unwrap();
    assert_eq!(se.total_counter(), 4);
    assert_eq!(
        se.type_counter(InvoiceType::Normal, TransactionType::Sale),
        2
    );
    assert_eq!(
        se.type_counter(InvoiceType::Normal, TransactionType::Refund),
        1
    );
    assert_eq!(
        se.type_counter(InvoiceType::Training, TransactionType::Sale),
        1
    );
    assert_eq!(
        se.type_counter(InvoiceType::Advance, TransactionType::Sale),
        0
    );
    assert_eq!(
        se.recent_signed().last(),
        Some(&d),
        "INS 15: the last signed invoice"
    );
    se.verify_pin(&pin()).unwrap();
    let e = se.sign_invoice(&sale(t + 4, 1_0000)).unwrap();
    assert_eq!((e.transaction_type_counter, e.total_counter), (3, 5));
}

#[test]
fn signature_verifies_and_internal_data_decrypts() {
    let dir = tempfile::tempdir().unwrap();
    let (mut se, _) = ready(dir.path(), BIG_LIMIT);
    let t = now_ms();
    se.sign_invoice(&sale(t, 240_0000)).unwrap();
    let mut r = req(
        t + 5,
        InvoiceType::Advance,
        TransactionType::Refund,
        120_0000,
    );
    r.buyer_id = Some("10:123456789".into());
    r.taxes = vec![(3, 13_5849), (4, 2_0000)];
    let inv = se.sign_invoice(&r).unwrap();
    assert_eq!(inv.internal_data.len(), 256);
    assert_eq!(inv.signature.len(), 256);
    assert!(verify_signature(&se, &inv));

    let mut tampered = inv.clone();
    tampered.amount += 1;
    assert!(
        !verify_signature(&se, &tampered),
        "the signature covers the header"
    );

    // Byte layout (secure-element.md §5).
    let bytes = inv.to_bytes().unwrap();
    assert_eq!(bytes.len(), 65 + 256 + 256);
    assert_eq!(&bytes[0..8], &(t + 5).to_be_bytes());
    assert_eq!(&bytes[8..19], &[0u8; 11]);
    assert_eq!(&bytes[19..28], b"123456789");
    assert_eq!(&bytes[36..48], b"10:123456789");
    assert_eq!((bytes[48], bytes[49]), (4, 1));
    assert_eq!(&bytes[50..57], &[0, 0, 0, 0, 0x12, 0x4f, 0x80]);
    assert_eq!(&bytes[57..61], &1u32.to_be_bytes());
    assert_eq!(&bytes[61..65], &2u32.to_be_bytes());
    assert_eq!(SignedInvoice::from_bytes(&bytes).unwrap(), inv);
    assert_eq!(
        SignedInvoice::from_bytes(&bytes[1..]),
        Err(SeError::WrongLength)
    );

    let data = decrypt_internal_data(authority(), &inv.internal_data).unwrap();
    assert_eq!(&data.uid, se.uid());
    assert_eq!(data.time_ms, t + 5);
    assert_eq!(data.invoice_type, InvoiceType::Advance);
    assert_eq!(data.transaction_type, TransactionType::Refund);
    assert_eq!(data.total_counter, 2);
    assert_eq!(data.transaction_type_counter, 1);
    assert_eq!(data.amount, 120_0000);
    assert_eq!(data.cumulative_sale, 240_0000);
    assert_eq!(data.cumulative_refund, 120_0000);
    assert_eq!(data.unaudited_sum, 360_0000);
    assert_eq!(data.taxes, vec![(3, 13_5849), (4, 2_0000)]);
}

#[test]
fn limit_audit_and_forged_proof() {
    let dir = tempfile::tempdir().unwrap();
    let (mut se, path) = ready(dir.path(), 100_0000);
    let t = now_ms();
    se.sign_invoice(&sale(t, 60_0000)).unwrap();
    assert!(!se.amount_status().audit_required());
    // This one crosses the limit and is still signed.
    se.sign_invoice(&sale(t, 60_0000)).unwrap();
    let st = se.amount_status();
    assert_eq!((st.unaudited, st.limit), (120_0000, 100_0000));
    assert!(st.limit_reached() && st.audit_required());
    assert_eq!(se.sign_invoice(&sale(t, 1)), Err(SeError::LimitReached));
    assert_eq!(se.total_counter(), 2);

    assert_eq!(se.end_audit(&[0u8; 256]), Err(SeError::NoAuditInProgress));
    let arp = se.start_audit().unwrap();
    assert_eq!(arp.len(), 260);
    assert_eq!(&arp[..4], &1u32.to_be_bytes());
    let request = decrypt_audit_request(authority(), &arp).unwrap();
    assert_eq!(&request.uid, se.uid());
    assert_eq!((request.audit_seq, request.total_counter), (1, 2));
    assert_eq!((request.sum_at_start, request.limit), (120_0000, 100_0000));

    // Forged proofs change nothing.
    assert_eq!(se.end_audit(&[7u8; 100]), Err(SeError::WrongLength));
    assert!(matches!(
        se.end_audit(&[7u8; 256]),
        Err(SeError::BadData(_))
    ));
    let other = authority().sign(b"FISKAL-POA-1 something else").unwrap();
    assert!(matches!(se.end_audit(&other), Err(SeError::BadData(_))));
    assert_eq!(se.amount_status().unaudited, 120_0000);
    assert_eq!(se.audit_state(), (1, true));
    assert_eq!(se.sign_invoice(&sale(t, 1)), Err(SeError::LimitReached));

    let poa = make_proof_of_audit(authority(), &arp).unwrap();
    assert_eq!(poa.len(), 256);
    // A proof for an older audit is refused after a new Start Audit.
    let arp2 = se.start_audit().unwrap();
    assert!(matches!(se.end_audit(&poa), Err(SeError::BadData(_))));
    let poa2 = make_proof_of_audit(authority(), &arp2).unwrap();
    se.end_audit(&poa2).unwrap();
    assert_eq!(se.amount_status().unaudited, 0);
    assert_eq!(se.audit_state(), (2, false));
    assert_eq!(se.end_audit(&poa2), Err(SeError::NoAuditInProgress));
    assert!(se.sign_invoice(&sale(t, 10_0000)).is_ok());

    // Documents signed during an audit stay counted.
    let arp3 = se.start_audit().unwrap();
    se.sign_invoice(&sale(t, 5_0000)).unwrap();
    // The pending audit survives a reopen.
    drop(se);
    let mut se = SoftSe::open(&path, PASSWORD).unwrap();
    se.end_audit(&make_proof_of_audit(authority(), &arp3).unwrap())
        .unwrap();
    assert_eq!(se.amount_status().unaudited, 5_0000);
}

#[test]
fn directives() {
    let dir = tempfile::tempdir().unwrap();
    let (mut se, path) = ready(dir.path(), 100_0000);
    let uid = se.uid().clone();
    let a = authority();
    let t = now_ms();

    se.forward_directive(&make_directive(a, &uid, 1, DirectiveKind::DisableSigning).unwrap())
        .unwrap();
    assert_eq!(se.sign_invoice(&sale(t, 1)), Err(SeError::SigningDisabled));
    assert!(
        !SoftSe::open(&path, PASSWORD).unwrap().signing_enabled(),
        "persisted"
    );

    // Replayed number, other SE, forged signature, wrong length: refused, nothing changes.
    let replay = make_directive(a, &uid, 1, DirectiveKind::EnableSigning).unwrap();
    assert!(matches!(
        se.forward_directive(&replay),
        Err(SeError::BadData(_))
    ));
    let other = make_directive(
        a,
        &Uid::parse("OTHER123").unwrap(),
        5,
        DirectiveKind::EnableSigning,
    )
    .unwrap();
    assert!(matches!(
        se.forward_directive(&other),
        Err(SeError::BadData(_))
    ));
    let mut forged = make_directive(a, &uid, 6, DirectiveKind::DisableSigning).unwrap();
    forged[12] = 2; // turn "disable" into "enable" after signing
    assert!(matches!(
        se.forward_directive(&forged),
        Err(SeError::BadData(_))
    ));
    assert_eq!(
        se.forward_directive(&forged[..511]),
        Err(SeError::WrongLength)
    );
    assert!(!se.signing_enabled());

    se.forward_directive(&make_directive(a, &uid, 2, DirectiveKind::EnableSigning).unwrap())
        .unwrap();
    se.sign_invoice(&sale(t, 100_0000)).unwrap();
    assert_eq!(se.sign_invoice(&sale(t, 1)), Err(SeError::LimitReached));
    se.forward_directive(&make_directive(a, &uid, 10, DirectiveKind::SetLimit(500_0000)).unwrap())
        .unwrap();
    assert_eq!(se.amount_status().limit, 500_0000);
    se.sign_invoice(&sale(t, 1)).unwrap();
    // Numbers must grow: 9 < 10.
    let old = make_directive(a, &uid, 9, DirectiveKind::SetLimit(1)).unwrap();
    assert!(matches!(
        se.forward_directive(&old),
        Err(SeError::BadData(_))
    ));
    assert_eq!(
        SoftSe::open(&path, PASSWORD).unwrap().amount_status().limit,
        500_0000
    );
}

#[test]
fn clock_behind_tin_mismatch_categories_validity() {
    let dir = tempfile::tempdir().unwrap();
    let (mut se, _) = ready(dir.path(), BIG_LIMIT);
    let t = now_ms();
    se.sign_invoice(&sale(t, 1_0000)).unwrap();
    assert_eq!(
        se.sign_invoice(&sale(t - 1, 1_0000)),
        Err(SeError::ClockBehind)
    );
    se.sign_invoice(&sale(t, 1_0000)).unwrap();

    let mut bad_tin = sale(t, 1_0000);
    bad_tin.tin = "987654321".into();
    assert!(
        matches!(se.sign_invoice(&bad_tin), Err(SeError::BadData(m)) if m.contains("987654321"))
    );

    let mut many = sale(t, 13_0000);
    many.taxes = (1..=13).map(|i| (i, 1_0000)).collect();
    assert_eq!(se.sign_invoice(&many), Err(SeError::TooManyCategories));
    many.taxes.pop();
    assert!(se.sign_invoice(&many).is_ok(), "12 categories are allowed");

    let future = (Utc::now() + Duration::days(3650)).timestamp_millis() as u64;
    assert_eq!(
        se.sign_invoice(&sale(future, 1)),
        Err(SeError::CertificateNotValidAt)
    );
    assert_eq!(se.total_counter(), 3, "refused requests use no counter");
}

#[test]
fn batch_with_failing_entry_leaves_no_gap() {
    let dir = tempfile::tempdir().unwrap();
    let (mut se, path) = ready(dir.path(), BIG_LIMIT);
    let t = now_ms();
    let mut bad = sale(t + 1, 2_0000);
    bad.tin = "000000001".into();
    let reqs = vec![
        sale(t, 1_0000),
        bad,
        sale(t + 2, 3_0000),
        sale(t + 3, 4_0000),
        sale(t + 4, 5_0000),
    ];
    let out = se.sign_batch(&reqs);
    assert_eq!(out.len(), 5);
    assert!(matches!(out[1], Err(SeError::BadData(_))));
    let ok: Vec<&SignedInvoice> = out.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(
        ok.iter().map(|i| i.total_counter).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        ok.iter().map(|i| i.amount).collect::<Vec<_>>(),
        vec![1_0000, 3_0000, 4_0000, 5_0000]
    );
    for inv in &ok {
        assert!(
            verify_signature(&se, inv),
            "every signature of the batch verifies"
        );
    }
    assert_eq!(se.total_counter(), 4);
    let recent = SoftSe::open(&path, PASSWORD).unwrap().recent_signed();
    assert_eq!(
        recent.iter().collect::<Vec<_>>(),
        ok,
        "the whole batch is persisted, oldest first"
    );
    let data = decrypt_internal_data(authority(), &ok[3].internal_data).unwrap();
    assert_eq!(data.unaudited_sum, 13_0000);
}

#[test]
fn failed_persist_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let (mut se, path) = ready(dir.path(), BIG_LIMIT);
    let t = now_ms();
    se.sign_invoice(&sale(t, 1_0000)).unwrap();
    // Make the file impossible to replace: a non-empty folder in its place.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("x"), b"x").unwrap();
    let out = se.sign_batch(&[sale(t, 1_0000), sale(t, 2_0000)]);
    assert!(out.iter().all(|r| matches!(r, Err(SeError::Storage(_)))));
    assert_eq!(se.total_counter(), 1);
    assert_eq!(se.amount_status().unaudited, 1_0000);
    std::fs::remove_dir_all(&path).unwrap();
    let inv = se.sign_invoice(&sale(t, 1_0000)).unwrap();
    assert_eq!(
        inv.total_counter, 2,
        "no counter was lost to the failed write"
    );
    assert_eq!(SoftSe::open(&path, PASSWORD).unwrap().total_counter(), 2);
}

#[test]
fn authentication_key_proves_the_uid_to_the_authority() {
    use fiskal_se::client_proof;
    let dir = tempfile::tempdir().unwrap();
    let (se, _) = create(dir.path(), 10);
    let uid = se.uid().to_string();
    let cert = se.authentication_certificate_der().unwrap();
    let now = Utc::now().timestamp_millis();
    let msg = client_proof::message(&uid, now);
    let sig = se.sign_authentication(&msg).unwrap().unwrap();
    let info = fiskal_se::cert::verify_issued_by(&cert, authority().root_ca_der(), now).unwrap();
    assert_eq!(info.uid.as_str(), uid);
    assert!(authority::verify_rsa_sha256(
        &info.public_key_spki,
        &msg,
        &sig
    ));
    assert!(!authority::verify_rsa_sha256(
        &info.public_key_spki,
        &client_proof::message("ZZZZZZZZ", now),
        &sig
    ));
    // Not the signing key, and not a certificate of another authority.
    let signing = parse_certificate(&se.certificate_der()).unwrap();
    assert!(!authority::verify_rsa_sha256(
        &signing.public_key_spki,
        &msg,
        &sig
    ));
    let other = AuthorityKeys::generate().unwrap();
    assert!(fiskal_se::cert::verify_issued_by(&cert, other.root_ca_der(), now).is_err());
}
