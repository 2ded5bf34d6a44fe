//! Target `audit_package`: decrypting and parsing an audit package as the SUF does when an
//! L-PFR posts one (`/api/v3/sdc/audit`) or a local-audit medium brings one.

use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use fiskal_domain::api::{InvoiceRequest, InvoiceResult};
use fiskal_domain::tax::TaxRateGroup;
use fiskal_se::audit_package::{AuditPackage, PLAIN_VERSION, PackagePlain, open_with, seal};
use zeroize::Zeroizing;

use crate::invoice::compute_and_render;

/// PKCS#8 DER of the RSA-2048 encryption key the fuzz checks play the SUF with. A test key made
/// for the fuzz corpus only (`openssl genpkey`); it protects nothing.
const ENCRYPTION_KEY: &[u8] = include_bytes!("../keys/encryption-key.pk8");

fn key() -> &'static Pkcs1PrivateDecryptingKey {
    static KEY: OnceLock<Pkcs1PrivateDecryptingKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let k = PrivateDecryptingKey::from_pkcs8(ENCRYPTION_KEY).expect("the fuzz key parses");
        Pkcs1PrivateDecryptingKey::new(k).expect("the fuzz key is an RSA key")
    })
}

/// SPKI DER of the fuzz checks' encryption key: seal a seed package for it.
pub fn encryption_spki() -> Vec<u8> {
    let k = PrivateDecryptingKey::from_pkcs8(ENCRYPTION_KEY).expect("the fuzz key parses");
    k.public_key()
        .as_der()
        .expect("SPKI of the fuzz key")
        .as_ref()
        .to_vec()
}

/// The SUF's `unwrap_pkcs1` (`fiskal_suf::keys::SufKeys::unwrap_pkcs1`) with the fuzz key.
fn unwrap_pkcs1(ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let k = key();
    let mut out = Zeroizing::new(vec![0u8; k.min_output_size()]);
    let n = k.decrypt(ciphertext, &mut out).ok()?.len();
    out.truncate(n);
    Some(out)
}

/// Feeds `data` to every step of the SUF's audit intake before the signature check:
///
/// 1. as the package JSON (`AuditPackage`), opened with the fuzz key (`open_with` and the
///    SUF's PKCS#1 unwrapping), and opened again with the key and IV taken as they are (so the
///    fuzzer reaches the base64, AES-256-CBC and padding checks past RSA);
/// 2. as the decrypted plaintext (`PackagePlain`, its version, `InvoiceRequest::from_value`
///    of the request, which then computes, and `InvoiceResult` of the result), which AES keeps
///    the fuzzer from reaching through step 1.
///
/// Never panics. A plaintext that parses must also survive `seal` and `open_with`
/// unchanged.
pub fn check_audit_package(data: &[u8]) {
    if let Ok(pkg) = serde_json::from_slice::<AuditPackage>(data) {
        if let Ok(plain) = open_with(unwrap_pkcs1, &pkg) {
            plaintext(&plain);
        }
        if let Ok(plain) = open_with(|c| Some(Zeroizing::new(c.to_vec())), &pkg) {
            plaintext(&plain);
        }
    }
    if plaintext(data) {
        let pkg = seal(&encryption_spki(), data).expect("seal with the fuzz key");
        let opened = open_with(unwrap_pkcs1, &pkg).expect("a sealed package opens");
        assert_eq!(&opened[..], data, "a package opens to another plaintext");
    }
}

/// The SUF's shape checks of a decrypted package (`open_package`); true when it would go on
/// to the signature check.
fn plaintext(plain: &[u8]) -> bool {
    let Ok(p) = serde_json::from_slice::<PackagePlain>(plain) else {
        return false;
    };
    if p.version != PLAIN_VERSION {
        return false;
    }
    let Ok(request) = InvoiceRequest::from_value(&p.request) else {
        return false;
    };
    compute_and_render(&request, &[TaxRateGroup::serbian_default()]);
    serde_json::from_value::<InvoiceResult>(p.result.clone()).is_ok()
}
