//! Writes the seed corpus of `fuzz/corpus/` from real inputs: the verification URLs of
//! `testdata/test-vectors.json`, invoice requests, `fiskal_ubl::samples` documents, an audit
//! package sealed for the fuzz key, medium files, and a state file made by `SoftSe::create`
//! (re-encrypted with a cheap key derivation so that the fuzzer stays fast).
//!
//! Run by hand when a format changes: `cargo test -p fiskal-fuzz-checks --test seeds --
//! --ignored`. Files the fuzzer found live beside the seeds and are kept.

use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_256, PaddedBlockEncryptingKey, UnboundCipherKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{Duration, NaiveDate, Utc};
use fiskal_domain::api::InvoiceRequest;
use fiskal_domain::counter::Uid;
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::TaxRateGroup;
use fiskal_domain::verification_url::VerificationPayload;
use fiskal_fuzz_checks::{STATE_PASSWORD, TARGETS, encryption_spki};
use fiskal_se::Pin;
use fiskal_se::audit_package::{AuditPackage, plaintext, seal};
use fiskal_se::authority::{AuditRequest, AuthorityKeys, DirectiveKind, make_directive};
use fiskal_se::command::{Command, CommandResult, kind};
use fiskal_se::soft::{CreateParams, SoftSe};
use fiskal_ubl::samples;
use serde_json::{Value, json};

fn corpus(target: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    std::fs::create_dir_all(&d).expect("corpus folder");
    d
}

fn put(target: &str, name: &str, data: &[u8]) {
    std::fs::write(corpus(target).join(name), data).expect("write seed");
    let check = TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .expect("target")
        .1;
    check(data);
}

fn vectors() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/test-vectors.json");
    serde_json::from_slice(&std::fs::read(p).expect("test vectors")).expect("JSON")
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand"]
fn write_seed_corpus() {
    let v = vectors();
    verification_urls(&v);
    invoices(&v);
    ubl();
    audit_packages(&v);
    medium();
    state_file();
}

fn verification_urls(v: &Value) {
    for (i, case) in v["verificationUrls"]
        .as_array()
        .expect("urls")
        .iter()
        .enumerate()
    {
        let url = case["url"].as_str().expect("url");
        put("verification_url", &format!("url-{i}.txt"), url.as_bytes());
        if i == 0 {
            let p = VerificationPayload::decode(url).expect("decodes");
            put("verification_url", "payload-0.bin", &p.to_bytes());
            put("verification_url", "vl-0.txt", p.encode_vl().as_bytes());
        }
    }
    let ex = v["computedExamples"]["pivoLav"]["verificationUrl"]
        .as_str()
        .expect("example url");
    put("verification_url", "computed-pivo-lav.txt", ex.as_bytes());
}

fn invoices(v: &Value) {
    let pivo = &v["computedExamples"]["pivoLav"]["request"];
    put(
        "invoice_request",
        "pivo-lav.json",
        pivo.to_string().as_bytes(),
    );
    let bodies = [
        (
            "refund.json",
            json!({"invoiceType":0,"transactionType":1,"referentDocumentNumber":"YTSS6KKG-HJHR9EO0-289",
                "referentDocumentDT":"2026-11-14T15:50:23.000+01:00","buyerId":"10:109262972",
                "payment":[{"amount":164,"paymentType":"cash"}],
                "items":[{"name":"Pivo","quantity":2,"unitPrice":82,"labels":["Ђ"],"totalAmount":164}]}),
        ),
        (
            "advance-multi-label.json",
            json!({"InvoiceType":"Advance","TransactionType":"Sale","cashier":"Ana","buyerCostCenterId":"20:1234567",
                "payment":[{"amount":100.5,"paymentType":1},{"amount":20,"paymentType":"WireTransfer"}],
                "items":[{"gtin":"12345678","name":"Usluga","quantity":1.5,"unitPrice":80.33,"labels":["Ђ","Е"],"totalAmount":120.50},
                         {"name":"Bez PDV","quantity":0.001,"unitPrice":1,"labels":["А"],"totalAmount":0}]}),
        ),
        (
            "proforma-options.json",
            json!({"invoiceType":1,"transactionType":0,"dateAndTimeOfIssue":"2026-11-30T10:00:00+01:00",
                "invoiceNumber":"POS-1","options":{"omitQRCodeGen":"1","omitTextualRepresentation":0},
                "payment":[{"amount":10,"paymentType":3}],
                "items":[{"name":"x","quantity":1,"unitPrice":10,"labels":["Г"],"totalAmount":10,"discount":0}]}),
        ),
        (
            "copy-training.json",
            json!({"invoiceType":"Training","transactionType":"Refund","referentDocumentNumber":"AAAAAAAA-BBBBBBBB-1",
                "payment":[{"amount":0.1,"paymentType":"Other"}],
                "items":[{"name":"y","quantity":0.001,"unitPrice":99999999999999.99,"labels":["Ђ"],"totalAmount":100000000000.00}]}),
        ),
    ];
    for (name, body) in bodies {
        put("invoice_request", name, body.to_string().as_bytes());
    }
}

fn ubl() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let advance = samples::sample_advance_invoice("A-1", day);
    let docs = [
        ("spec-380.xml", samples::spec_invoice_380(day)),
        (
            "invoice-3-lines.xml",
            samples::sample_invoice("F-1", day, 3),
        ),
        (
            "credit-note.xml",
            samples::sample_credit_note("K-1", day, "F-1", day),
        ),
        (
            "debit-note.xml",
            samples::sample_debit_note("D-1", day, "F-1", day),
        ),
        (
            "final.xml",
            samples::sample_final_invoice("F-2", day, &advance),
        ),
        ("advance.xml", advance),
        (
            "mixed.xml",
            samples::sample_mixed_categories_invoice("F-3", day),
        ),
        ("budget.xml", samples::sample_budget_invoice("F-4", day)),
    ];
    for (name, doc) in docs {
        put("ubl", name, fiskal_ubl::to_xml(&doc).as_bytes());
    }
}

fn audit_packages(v: &Value) {
    let pivo = &v["computedExamples"]["pivoLav"]["request"];
    let req = InvoiceRequest::from_value(pivo).expect("the example parses");
    let result = &v["realInvoiceResults"][0]["result"];
    let plain = plaintext(&req.canonical_json(), Some("r1"), &result.to_string()).expect("plain");
    put("audit_package", "plain-1.json", &plain);
    let plain2 = plaintext(&req.canonical_json(), None, &result.to_string()).expect("plain");
    let pkg = seal(&encryption_spki(), &plain2).expect("seal");
    put(
        "audit_package",
        "sealed-1.json",
        &serde_json::to_vec(&pkg).expect("JSON"),
    );
    // Key and IV in the clear: the check's identity unwrapping decrypts this one.
    let key = [7u8; 32];
    let aes = PaddedBlockEncryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(&AES_256, &key).expect("AES key"),
    )
    .expect("AES");
    let mut data = plain.clone();
    let ctx = aes.encrypt(&mut data).expect("encrypt");
    let iv: &[u8] = (&ctx).try_into().expect("IV");
    let clear = AuditPackage {
        key: B64.encode(key),
        iv: B64.encode(iv),
        payload: B64.encode(&data),
    };
    put(
        "audit_package",
        "clear-key.json",
        &serde_json::to_vec(&clear).expect("JSON"),
    );
}

fn medium() {
    let uid = Uid::parse("YTSS6KKG").expect("uid");
    let authority = AuthorityKeys::generate().expect("authority");
    let directive = make_directive(&authority, &uid, 3, DirectiveKind::SetLimit(10_000_000))
        .expect("directive");
    let config = json!({"organizationName":"Poreska uprava","serverTimeZone":"Central Europe Standard Time",
        "street":"","city":"Beograd","country":"RS",
        "endpoints":{"taxpayerAdminPortal":"","taxCoreApi":"https://api.example.invalid/","vsdc":"","root":"https://suf.example.invalid/"},
        "environmentName":"fiskal","logo":"","ntpServer":"pool.ntp.org","supportedLanguages":["sr-Cyrl-RS"]});
    let cmd = |id: &str, t: i32, payload: String| Command {
        command_id: id.into(),
        command_type: t,
        payload,
        uid: uid.to_string(),
    };
    let commands = vec![
        cmd(
            "11111111-0000-0000-0000-000000000000",
            kind::SET_TAX_RATES,
            serde_json::to_string(&TaxRateGroup::serbian_default()).expect("group"),
        ),
        cmd(
            "22222222-0000-0000-0000-000000000000",
            kind::SET_TIME_SERVER_URL,
            "pool.ntp.org".into(),
        ),
        cmd(
            "33333333-0000-0000-0000-000000000000",
            kind::SET_VERIFICATION_URL,
            "https://suf.example.invalid/v/?vl=".into(),
        ),
        cmd(
            "44444444-0000-0000-0000-000000000000",
            kind::SET_TAX_CORE_CONFIGURATION,
            config.to_string(),
        ),
        cmd(
            "55555555-0000-0000-0000-000000000000",
            kind::FORWARD_PROOF_OF_AUDIT,
            B64.encode([9u8; 256]),
        ),
        cmd(
            "66666666-0000-0000-0000-000000000000",
            kind::FORWARD_DIRECTIVE,
            B64.encode(&directive),
        ),
        cmd(
            "77777777-0000-0000-0000-000000000000",
            kind::TAX_CORE_PUBLIC_KEY,
            String::new(),
        ),
    ];
    put(
        "local_medium",
        "YTSS6KKG.commands",
        &serde_json::to_vec_pretty(&commands).expect("JSON"),
    );
    let results = vec![CommandResult {
        command_id: "11111111-0000-0000-0000-000000000000".into(),
        success: true,
        date_and_time: "2026-12-08T01:02:03.004+01:00".into(),
    }];
    put(
        "local_medium",
        "YTSS6KKG.results",
        &serde_json::to_vec_pretty(&results).expect("JSON"),
    );
    let arp = AuditRequest {
        uid: uid.clone(),
        audit_seq: 2,
        total_counter: 289,
        sum_at_start: 1_640_000,
        limit: 10_000_000_000,
        nonce: [5u8; 16],
        time_ms: 1_764_000_000_000,
    };
    put("local_medium", "arp-plain.bin", &arp.to_bytes());
    put("local_medium", "directive-payload.bin", &directive[..256]);
    put("local_medium", "uid.txt", b"YTSS6KKG");
}

fn state_file() {
    let authority = AuthorityKeys::generate().expect("authority");
    let dir = tempfile::tempdir().expect("temp dir");
    let now = Utc::now();
    let (_, path) = SoftSe::create(
        dir.path(),
        CreateParams {
            uid: Some(Uid::parse("FUZZ0001").expect("uid")),
            seller: Seller::seed_example(),
            pin: Pin::parse("1234").expect("pin"),
            password: STATE_PASSWORD,
            limit: 10_000_000_000,
            authority: &authority,
            valid_from: now - Duration::days(1),
            valid_to: now + Duration::days(3650),
        },
    )
    .expect("create");
    let cheap = cheap_kdf(&std::fs::read(&path).expect("state file"));
    std::fs::write(&path, &cheap).expect("write");
    SoftSe::open(&path, STATE_PASSWORD).expect("the cheap state file opens");
    put("se_state_file", "fuzz0001.fse", &cheap);
    put(
        "se_state_file",
        "not-json.fse",
        b"{\"format\":\"fiskal-soft-se/1\",",
    );
}

fn derive(password: &str, m: u32, t: u32, p: u32, salt: &[u8]) -> [u8; 32] {
    let params = argon2::Params::new(m, t, p, Some(32)).expect("params");
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    a.hash_password_into(password.as_bytes(), salt, &mut key)
        .expect("argon2");
    key
}

/// The same state file, re-encrypted under an Argon2id of 256 KiB and one iteration.
fn cheap_kdf(file: &[u8]) -> Vec<u8> {
    let mut outer: Value = serde_json::from_slice(file).expect("outer JSON");
    let k = outer["kdf"].clone();
    let n = |name: &str| u32::try_from(k[name].as_u64().expect("kdf field")).expect("u32");
    let salt = B64
        .decode(k["salt"].as_str().expect("salt"))
        .expect("base64");
    let key = derive(
        STATE_PASSWORD,
        n("memoryKiB"),
        n("iterations"),
        n("parallelism"),
        &salt,
    );
    let aad = format!("fiskal-soft-se/1|{}", outer["uid"].as_str().expect("uid"));
    let nonce: [u8; 12] = B64
        .decode(outer["nonce"].as_str().expect("nonce"))
        .expect("base64")
        .try_into()
        .expect("12 bytes");
    let mut ct = B64
        .decode(outer["ciphertext"].as_str().expect("ciphertext"))
        .expect("base64");
    let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).expect("key"));
    let plain = aead
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad.as_bytes()),
            &mut ct,
        )
        .expect("decrypts")
        .to_vec();
    let new_salt = [0x5au8; 16];
    let cheap = derive(STATE_PASSWORD, 256, 1, 1, &new_salt);
    let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cheap).expect("key"));
    let new_nonce = [0x11u8; 12];
    let mut buf = plain;
    aead.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(new_nonce),
        Aad::from(aad.as_bytes()),
        &mut buf,
    )
    .expect("seal");
    outer["kdf"]["memoryKiB"] = json!(256);
    outer["kdf"]["iterations"] = json!(1);
    outer["kdf"]["salt"] = json!(B64.encode(new_salt));
    outer["nonce"] = json!(B64.encode(new_nonce));
    outer["ciphertext"] = json!(B64.encode(&buf));
    serde_json::to_vec(&outer).expect("JSON")
}
