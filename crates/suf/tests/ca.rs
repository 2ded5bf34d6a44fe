//! The SUF's test PKI (`fiskal_suf::ca`): PFX round trip, passwords, PAC hashing, SE
//! certificates and the separation of sandbox, local and production material.

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use fiskal_domain::seller::Seller;
use fiskal_suf::ca::{self, CaError, CertClass, EnvironmentKind, PfxRequest, Pki, Verifier};
use x509_parser::prelude::{FromDer, X509Certificate};

fn request() -> PfxRequest {
    PfxRequest {
        tin: "123456789".into(),
        name: "Супермаркет АБВ".into(),
        location: Some("10000001-Продавница".into()),
        ..PfxRequest::default()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Checks with aws-lc-rs and x509-parser alone that `child` is signed by `parent`'s key and
/// names it as issuer.
fn signed_by(child: &[u8], parent: &[u8]) -> bool {
    let (_, c) = X509Certificate::from_der(child).expect("child");
    let (_, p) = X509Certificate::from_der(parent).expect("parent");
    c.issuer().as_raw() == p.subject().as_raw()
        && UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, p.public_key().raw)
            .verify(c.tbs_certificate.as_ref(), &c.signature_value.data)
            .is_ok()
}

fn oid_strings(der: &[u8]) -> Vec<String> {
    let (_, c) = X509Certificate::from_der(der).expect("cert");
    let mut v: Vec<String> = c
        .extensions()
        .iter()
        .map(|e| e.oid.to_id_string())
        .collect();
    if let Ok(Some(eku)) = c.extended_key_usage() {
        v.extend(eku.value.other.iter().map(|o| o.to_id_string()));
    }
    v
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn pfx_round_trip_key_matches_and_chain_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_dir = dir.path().join("sandbox-ca");
    let pki = Pki::init(&ca_dir, EnvironmentKind::Sandbox).expect("init");
    #[cfg(unix)]
    {
        assert_eq!(mode(&ca_dir.join("root-ca.key")), 0o600);
        assert_eq!(mode(&ca_dir.join("issuing-ca.key")), 0o600);
    }
    // The keys on disk are PKCS#8 PEM.
    let key_pem = std::fs::read_to_string(ca_dir.join("root-ca.key")).expect("key");
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));

    let issued = pki.issue_pfx(&request(), None).expect("issue");
    assert!(ca::is_valid_pfx_password(&issued.pfx_password));
    assert!(ca::is_valid_pac(&issued.pac));
    assert_eq!(issued.uid.len(), 8);
    assert!(
        issued
            .uid
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_eq!(
        issued.path,
        ca_dir.join("issued").join(format!("{}.pfx", issued.uid))
    );
    #[cfg(unix)]
    assert_eq!(mode(&issued.path), 0o600);
    // Debug output hides the secrets.
    let dbg = format!("{issued:?}");
    assert!(!dbg.contains(issued.pac.as_str()) && !dbg.contains(issued.pfx_password.as_str()));

    let bytes = std::fs::read(&issued.path).expect("read pfx");
    // Opened with p12-keystore directly, not only through our helper.
    let ks = p12_keystore::KeyStore::from_pkcs12(
        &bytes,
        &issued.pfx_password,
        p12_keystore::Pkcs12ImportPolicy::Strict,
    )
    .expect("p12-keystore opens the PFX");
    let (_, chain) = ks.private_key_chain().expect("a key chain");
    let certs: Vec<Vec<u8>> = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
    assert_eq!(certs.len(), 3, "leaf, issuing CA, root");
    assert_eq!(certs[0], issued.certificate);
    assert_eq!(certs[1], pki.issuing_der());
    assert_eq!(certs[2], pki.root_der());

    // The key is the certificate's key: sign with it, verify with the certificate.
    let key = chain.key().as_der();
    assert!(ca::key_matches_certificate(key, &certs[0]));
    assert!(!ca::key_matches_certificate(key, &certs[1]));
    let kp = KeyPair::from_pkcs8(key).expect("RSA key");
    assert_eq!(kp.public_modulus_len(), 256, "RSA-2048 leaf");
    let mut sig = vec![0u8; kp.public_modulus_len()];
    kp.sign(
        &signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        b"hello V-PFR",
        &mut sig,
    )
    .expect("sign");
    let (_, leaf) = X509Certificate::from_der(&certs[0]).expect("leaf");
    UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        leaf.public_key().raw,
    )
    .verify(b"hello V-PFR", &sig)
    .expect("signature verifies with the certificate");

    // Chain with aws-lc-rs + x509-parser alone.
    assert!(signed_by(&certs[0], &certs[1]), "leaf signed by issuing CA");
    assert!(signed_by(&certs[1], &certs[2]), "issuing CA signed by root");
    assert!(signed_by(&certs[2], &certs[2]), "root self-signed");
    assert!(
        !signed_by(&certs[0], &certs[2]),
        "leaf not signed by the root directly"
    );

    // And with the CA's verifier.
    let v = pki
        .verifier()
        .expect("verifier")
        .verify(&certs[0], &certs[1..], now())
        .expect("verify");
    assert_eq!(v.class, CertClass::V32);
    assert_eq!(v.uid, issued.uid);
    assert_eq!(v.tin, "123456789");
    assert_eq!(v.name, "Супермаркет АБВ");
    assert_eq!(v.environment, EnvironmentKind::Sandbox);
    // Subject: CN and SERIALNUMBER = UID; the class V32 EKU and client auth.
    assert_eq!(
        leaf.subject()
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok()),
        Some(issued.uid.as_str())
    );
    let eku = leaf
        .extended_key_usage()
        .expect("eku")
        .expect("eku present");
    assert!(eku.value.client_auth);
    let oids = oid_strings(&certs[0]);
    assert!(
        oids.contains(&"1.3.6.1.4.1.49952.5.8.3.2".to_string()),
        "{oids:?}"
    );
    assert!(
        oids.contains(&"1.3.6.1.4.1.49952.5.8.6".to_string()),
        "{oids:?}"
    );

    // Registry.
    let reg = pki.registry().expect("registry");
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].uid, issued.uid);
    assert_eq!(reg[0].classes, vec![CertClass::V32]);

    // Expired time or a tampered signature are refused.
    assert!(matches!(
        pki.verifier()
            .expect("v")
            .verify(&certs[0], &certs[1..], now() + 3 * 365 * 86_400),
        Err(CaError::NotTrusted(_))
    ));
    let mut bad = certs[0].clone();
    let n = bad.len();
    bad[n - 5] ^= 0x01;
    assert!(matches!(
        pki.verifier().expect("v").verify(&bad, &certs[1..], now()),
        Err(CaError::NotTrusted(_))
    ));
    // No issuing CA given: not trusted.
    assert!(
        pki.verifier()
            .expect("v")
            .verify(&certs[0], &[], now())
            .is_err()
    );

    // Reopening the folder gives the same CA.
    let again = Pki::open(&ca_dir).expect("open");
    assert_eq!(again.root_der(), pki.root_der());
    assert_eq!(again.environment(), EnvironmentKind::Sandbox);
}

#[test]
fn wrong_pfx_password_is_refused_and_chosen_secrets_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::init(&dir.path().join("ca"), EnvironmentKind::Local).expect("init");
    let out = dir.path().join("client.pfx");
    let issued = pki
        .issue_pfx(
            &PfxRequest {
                pac: Some("AB12CD".into()),
                pfx_password: Some("PASSW0RD".into()),
                ..request()
            },
            Some(&out),
        )
        .expect("issue");
    assert_eq!(issued.path, out);
    assert_eq!(issued.pac.as_str(), "AB12CD");
    assert_eq!(issued.pfx_password.as_str(), "PASSW0RD");
    let bytes = std::fs::read(&out).expect("read");
    for wrong in ["PASSW0RE", "passw0rd", "", "PASSW0RD "] {
        assert!(
            matches!(ca::open_pfx(&bytes, wrong), Err(CaError::WrongPassword)),
            "{wrong:?} must be refused"
        );
        assert!(
            p12_keystore::KeyStore::from_pkcs12(&bytes, wrong, Default::default()).is_err(),
            "p12-keystore also refuses {wrong:?}"
        );
    }
    let entries = ca::open_pfx(&bytes, "PASSW0RD").expect("right password");
    assert_eq!(entries.len(), 1);
    assert!(ca::key_matches_certificate(
        &entries[0].key_pkcs8,
        &entries[0].chain[0]
    ));
    // A damaged file is refused too.
    let mut damaged = bytes.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0xff;
    assert!(ca::open_pfx(&damaged, "PASSW0RD").is_err());

    // Chosen secrets of the wrong form are refused; no file is written.
    for (pac, pw) in [
        (Some("ab12cd"), None),
        (Some("AB12C"), None),
        (Some("AB12CDE"), None),
        (None, Some("PASSWORD1")),
        (None, Some("Passw0rd")),
        (None, Some("PASS-0RD")),
    ] {
        let o = dir.path().join("refused.pfx");
        let r = pki.issue_pfx(
            &PfxRequest {
                pac: pac.map(str::to_string),
                pfx_password: pw.map(str::to_string),
                ..request()
            },
            Some(&o),
        );
        assert!(matches!(r, Err(CaError::Invalid(_))), "{pac:?} {pw:?}");
        assert!(!o.exists());
    }
    // An existing file is not overwritten.
    assert!(pki.issue_pfx(&request(), Some(&out)).is_err());
    assert_eq!(std::fs::read(&out).expect("still there"), bytes);
}

#[test]
fn pac_is_stored_only_hashed_and_codes_have_the_right_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_dir = dir.path().join("ca");
    let pki = Pki::init(&ca_dir, EnvironmentKind::Sandbox).expect("init");
    let a = pki.issue_pfx(&request(), None).expect("a");
    let b = pki.issue_pfx(&request(), None).expect("b");
    assert_ne!(a.uid, b.uid);
    let registry = std::fs::read_to_string(ca_dir.join("registry.json")).expect("registry");
    for s in [&a.pac, &b.pac, &a.pfx_password, &b.pfx_password] {
        assert!(
            !registry.contains(s.as_str()),
            "a secret is in the registry"
        );
    }
    let reg = pki.registry().expect("registry");
    let ha = reg
        .iter()
        .find(|e| e.uid == a.uid)
        .and_then(|e| e.pac_hash.clone())
        .expect("hash");
    assert!(ha.starts_with("$argon2id$"), "{ha}");
    assert!(pki.check_pac(&a.uid, &a.pac).expect("check"));
    assert!(pki.check_pac(&b.uid, &b.pac).expect("check"));
    if a.pac != b.pac {
        assert!(!pki.check_pac(&a.uid, &b.pac).expect("check"));
    }
    assert!(!pki.check_pac(&a.uid, "ZZZZZZ").expect("check") || a.pac.as_str() == "ZZZZZZ");
    assert!(!pki.check_pac("NOSUCHID", &a.pac).expect("check"));
    // The same PAC hashes differently each time (salted) and verifies.
    let h1 = ca::hash_secret("AB12CD").expect("h1");
    let h2 = ca::hash_secret("AB12CD").expect("h2");
    assert_ne!(h1, h2);
    assert!(ca::verify_secret("AB12CD", &h1) && ca::verify_secret("AB12CD", &h2));
    assert!(!ca::verify_secret("AB12CE", &h1));
    assert!(!ca::verify_secret("AB12CD", "not a hash"));

    // Generated codes: the right alphabet and length, and not constant.
    let pacs: Vec<String> = (0..300)
        .map(|_| ca::generate_pac().expect("pac").to_string())
        .collect();
    assert!(pacs.iter().all(|p| ca::is_valid_pac(p)));
    let distinct: std::collections::HashSet<_> = pacs.iter().collect();
    assert!(distinct.len() > 290);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..300 {
        let pw = ca::generate_pfx_password().expect("pw");
        assert!(ca::is_valid_pfx_password(&pw), "{}", pw.len());
        seen.extend(pw.chars());
        let pin = ca::generate_pin().expect("pin");
        assert!(pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit()));
    }
    assert!(seen.iter().any(char::is_ascii_digit) && seen.iter().any(char::is_ascii_uppercase));
    assert!(
        seen.iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    );
    assert!(
        seen.len() >= 30,
        "the whole alphabet is used: {}",
        seen.len()
    );
}

#[test]
fn se_certificates_v33_v34_with_pin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::init(&dir.path().join("ca"), EnvironmentKind::Sandbox).expect("init");
    let seller = Seller::seed_example();
    let se = pki.issue_se(&seller, None, None).expect("issue se");
    assert!(se.pin.len() == 4 && se.pin.bytes().all(|b| b.is_ascii_digit()));
    assert!(!format!("{se:?}").contains(&format!("\"{}\"", se.pin.as_str())));
    assert!(pki.check_pin(&se.uid, &se.pin).expect("pin"));
    let other = if se.pin.as_str() == "0000" {
        "0001"
    } else {
        "0000"
    };
    assert!(!pki.check_pin(&se.uid, other).expect("pin"));

    let bytes = std::fs::read(&se.path).expect("pfx");
    let entries = ca::open_pfx(&bytes, &se.pfx_password).expect("open");
    let aliases: Vec<&str> = entries.iter().map(|e| e.alias.as_str()).collect();
    assert_eq!(aliases, ["auth", "signing"]);
    let v = pki.verifier().expect("verifier");
    for e in &entries {
        assert!(ca::key_matches_certificate(&e.key_pkcs8, &e.chain[0]));
        let got = v.verify(&e.chain[0], &e.chain[1..], now()).expect("verify");
        assert_eq!(got.uid, se.uid);
        assert_eq!(got.tin, seller.tin);
        let want = if e.alias == "signing" {
            CertClass::V33
        } else {
            CertClass::V34
        };
        assert_eq!(got.class, want);
    }
    assert_eq!(entries[1].chain[0], se.signing_certificate);
    assert_eq!(entries[0].chain[0], se.auth_certificate);
    assert_ne!(
        entries[0].key_pkcs8.as_slice(),
        entries[1].key_pkcs8.as_slice()
    );
    // Subject as fiskal-se writes it: its parser reads a sandbox SE certificate (same arc).
    let info =
        fiskal_se::cert::parse_certificate(&se.signing_certificate).expect("fiskal-se parses");
    assert_eq!(info.uid.as_str(), se.uid);
    assert_eq!(info.seller, seller);
    assert_eq!(info.environment_digit, 5, "issued by the sandbox CA");

    // A chosen PIN of the wrong form is refused.
    assert!(matches!(
        pki.issue_se(&seller, Some("12345"), None),
        Err(CaError::Invalid(_))
    ));
    assert!(matches!(
        pki.issue_se(&seller, Some("12a4"), None),
        Err(CaError::Invalid(_))
    ));
    let reg = pki.registry().expect("registry");
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].classes, vec![CertClass::V33, CertClass::V34]);
    assert_eq!(reg[0].serials.len(), 2);
}

#[test]
fn sandbox_and_production_are_never_mixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sb_dir = dir.path().join("sandbox");
    let pr_dir = dir.path().join("production");
    let sandbox = Pki::init(&sb_dir, EnvironmentKind::Sandbox).expect("sandbox");
    let production = Pki::init(&pr_dir, EnvironmentKind::Production).expect("production");

    let sb = sandbox.issue_pfx(&request(), None).expect("sandbox pfx");
    let pr = production
        .issue_pfx(&request(), None)
        .expect("production pfx");
    let sb_chain = ca::open_pfx(&std::fs::read(&sb.path).expect("r"), &sb.pfx_password)
        .expect("open")
        .remove(0)
        .chain;
    let pr_chain = ca::open_pfx(&std::fs::read(&pr.path).expect("r"), &pr.pfx_password)
        .expect("open")
        .remove(0)
        .chain;

    // The environment is in the OID arc and in the CA names.
    assert_eq!(
        ca::certificate_environment(&sb_chain[0]).expect("env"),
        EnvironmentKind::Sandbox
    );
    assert_eq!(
        ca::certificate_environment(&pr_chain[0]).expect("env"),
        EnvironmentKind::Production
    );
    assert!(oid_strings(&pr_chain[0]).contains(&"1.3.6.1.4.1.49952.3.8.3.2".to_string()));
    assert!(
        oid_strings(&pr_chain[0])
            .iter()
            .all(|o| !o.starts_with("1.3.6.1.4.1.49952.5."))
    );
    for (chain, env) in [(&sb_chain, "sandbox"), (&pr_chain, "production")] {
        for c in &chain[1..] {
            let (_, x) = X509Certificate::from_der(c).expect("ca");
            let cn = x
                .subject()
                .iter_common_name()
                .next()
                .and_then(|a| a.as_str().ok())
                .unwrap_or("");
            assert!(cn.contains(env), "{cn}");
        }
    }

    let pv = production.verifier().expect("production verifier");
    let sv = sandbox.verifier().expect("sandbox verifier");
    assert!(pv.verify(&pr_chain[0], &pr_chain[1..], now()).is_ok());
    assert!(sv.verify(&sb_chain[0], &sb_chain[1..], now()).is_ok());
    // A sandbox certificate is refused by a production verifier, with any intermediates, and
    // vice versa.
    for inter in [&sb_chain[1..], &pr_chain[1..]] {
        assert!(matches!(
            pv.verify(&sb_chain[0], inter, now()),
            Err(CaError::EnvironmentMismatch { .. })
        ));
    }
    for inter in [&sb_chain[1..], &pr_chain[1..]] {
        assert!(matches!(
            sv.verify(&pr_chain[0], inter, now()),
            Err(CaError::EnvironmentMismatch { .. })
        ));
    }
    // A production verifier cannot be built on a sandbox root.
    assert!(matches!(
        Verifier::new(EnvironmentKind::Production, sandbox.root_der()),
        Err(CaError::EnvironmentMismatch { .. })
    ));
    assert!(matches!(
        Verifier::new(EnvironmentKind::Sandbox, production.root_der()),
        Err(CaError::EnvironmentMismatch { .. })
    ));
    // A local verifier refuses both.
    let local = Pki::init(&dir.path().join("local"), EnvironmentKind::Local).expect("local");
    let lv = local.verifier().expect("local verifier");
    assert!(matches!(
        lv.verify(&sb_chain[0], &sb_chain[1..], now()),
        Err(CaError::EnvironmentMismatch { .. })
    ));

    // Issuing from one CA into another environment's folder is refused, nothing is written.
    let into_prod = pr_dir.join("issued").join("from-sandbox.pfx");
    assert!(matches!(
        sandbox.issue_pfx(&request(), Some(&into_prod)),
        Err(CaError::ForeignFolder(_))
    ));
    assert!(!into_prod.exists());
    assert!(matches!(
        production.issue_se(&Seller::seed_example(), None, Some(&sb_dir.join("x.pfx"))),
        Err(CaError::ForeignFolder(_))
    ));
    assert!(!sb_dir.join("x.pfx").exists());
    assert_eq!(sandbox.registry().expect("r").len(), 1);
    assert_eq!(production.registry().expect("r").len(), 1);
    // A CA of another environment is not created inside (or over) a CA folder.
    assert!(matches!(
        Pki::init(&pr_dir, EnvironmentKind::Sandbox),
        Err(CaError::ForeignFolder(_))
    ));
    assert!(matches!(
        Pki::init(&pr_dir.join("nested"), EnvironmentKind::Sandbox),
        Err(CaError::ForeignFolder(_))
    ));
    assert!(matches!(
        Pki::init(&pr_dir, EnvironmentKind::Production),
        Err(CaError::AlreadyExists(_))
    ));
    // Opening a folder as another environment is refused.
    assert!(matches!(
        Pki::open_as(&sb_dir, EnvironmentKind::Production),
        Err(CaError::EnvironmentMismatch { .. })
    ));
    assert!(Pki::open_as(&sb_dir, EnvironmentKind::Sandbox).is_ok());

    // A folder whose issuing CA was swapped for another environment's does not open.
    let mixed = dir.path().join("mixed");
    std::fs::create_dir(&mixed).expect("mkdir");
    for f in ["ca.json", "root-ca.crt", "root-ca.key", "registry.json"] {
        std::fs::copy(sb_dir.join(f), mixed.join(f)).expect("copy");
    }
    for f in ["issuing-ca.crt", "issuing-ca.key"] {
        std::fs::copy(pr_dir.join(f), mixed.join(f)).expect("copy");
    }
    assert!(matches!(
        Pki::open(&mixed),
        Err(CaError::EnvironmentMismatch { .. })
    ));
}
