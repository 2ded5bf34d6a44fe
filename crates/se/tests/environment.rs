//! The local environment bundle written by `fiskal se init`.

use fiskal_domain::counter::Uid;
use fiskal_domain::kinds::{InvoiceType, TransactionType};
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::TaxRateGroup;
use fiskal_se::authority::{AuthorityKeys, decrypt_internal_data};
use fiskal_se::env::{
    self, DEFAULT_LIMIT, DEFAULT_PIN, DEFAULT_SE_PASSWORD, EnvError, InitOptions,
};
use fiskal_se::{Pin, SecureElement, SignRequest};

#[test]
fn init_load_and_use() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = InitOptions::defaults(Seller::seed_example());
    opts.uid = Some(Uid::parse("LOCAL001").unwrap());
    let e = env::init(dir.path(), opts).unwrap();
    assert_eq!(e.se_uid.as_str(), "LOCAL001");
    assert_eq!(e.se_state_file, "se/LOCAL001.fse");
    assert_eq!(e.mrc, "00-0001-LOCAL001");
    assert_eq!(e.suf_url, "http://127.0.0.1:7700/");
    assert_eq!(e.verification_url_prefix, "http://127.0.0.1:7700/v/?vl=");
    assert_eq!(e.environment_name, "fiskal lokalno");
    assert_eq!(e.tax_rate_groups, vec![TaxRateGroup::serbian_default()]);
    assert_eq!(env::load(dir.path()).unwrap(), e);

    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("environment.json")).unwrap())
            .unwrap();
    for key in [
        "sufUrl",
        "verificationUrlPrefix",
        "taxRateGroups",
        "seUid",
        "seStateFile",
        "authorityEncryptionKey",
        "rootCaCertificate",
    ] {
        assert!(raw.get(key).is_some(), "environment.json lacks {key}");
    }
    assert!(!raw.to_string().contains(DEFAULT_SE_PASSWORD));

    let auth_path = AuthorityKeys::file_path(dir.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&auth_path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let authority = AuthorityKeys::load(dir.path()).unwrap();
    assert_eq!(
        e.authority_encryption_key_der().unwrap(),
        authority.encryption_public_key_der()
    );
    assert_eq!(
        e.authority_key_der().unwrap(),
        authority.authority_public_key_der()
    );
    assert_eq!(e.root_ca_der().unwrap(), authority.root_ca_der());

    let mut se = e.open_se(dir.path(), DEFAULT_SE_PASSWORD).unwrap();
    assert_eq!(se.amount_status().limit, DEFAULT_LIMIT);
    assert_eq!(DEFAULT_LIMIT, 10_000_000_000);
    se.verify_pin(&Pin::parse(DEFAULT_PIN).unwrap()).unwrap();
    let inv = se
        .sign_invoice(&SignRequest {
            time_ms: chrono::Utc::now().timestamp_millis() as u64,
            tin: e.seller.tin.clone(),
            buyer_id: None,
            invoice_type: InvoiceType::Normal,
            transaction_type: TransactionType::Sale,
            amount: 100_0000,
            taxes: vec![(3, 16_6667)],
        })
        .unwrap();
    let data = decrypt_internal_data(&authority, &inv.internal_data).unwrap();
    assert_eq!(data.total_counter, 1);
    drop(se);

    // No silent overwrite.
    let err = env::init(dir.path(), InitOptions::defaults(Seller::seed_example())).unwrap_err();
    assert!(matches!(err, EnvError::AlreadyExists(_)));
    assert!(err.to_string().contains("--force"));

    // With force: a new SE, the same authority.
    let mut opts = InitOptions::defaults(Seller::seed_example());
    opts.force = true;
    opts.suf_url = Some("https://suf.example".into());
    let e2 = env::init(dir.path(), opts).unwrap();
    assert_ne!(e2.se_uid, e.se_uid);
    assert_eq!(e2.authority_key, e.authority_key);
    assert_eq!(e2.verification_url_prefix, "https://suf.example/v/?vl=");
    assert!(e2.se_state_path(dir.path()).exists());
}

#[test]
fn load_missing_environment() {
    let dir = tempfile::tempdir().unwrap();
    let err = env::load(dir.path()).unwrap_err();
    assert!(matches!(err, EnvError::NotFound(_)));
}
