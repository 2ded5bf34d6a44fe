//! Target `verification_url`: the verification URL codec of `fiskal_domain::verification_url`.

use fiskal_domain::verification_url::{PRODUCTION_PREFIX, VerificationPayload};
use md5::{Digest, Md5};

/// Decodes `data` as a payload, as the same payload with a correct MD5 trailer (so that the
/// fuzzer gets past the checksum to the field checks) and, when it is UTF-8, as a URL or bare
/// `vl` value.
///
/// Whatever decodes must pass `validate`, re-encode byte-identically (payload bytes) and decode
/// back to itself from its own `vl` and URL: `decode(encode(x)) == x`.
pub fn check_verification_url(data: &[u8]) {
    payload_round_trip(data);
    if data.len() > 16 {
        let mut fixed = data[..data.len() - 16].to_vec();
        let md5 = Md5::digest(&fixed);
        fixed.extend_from_slice(&md5);
        payload_round_trip(&fixed);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(p) = VerificationPayload::decode(text)
    {
        encoded_round_trip(&p);
    }
}

fn payload_round_trip(bytes: &[u8]) {
    let Ok(p) = VerificationPayload::from_bytes(bytes) else {
        return;
    };
    assert_eq!(
        p.to_bytes(),
        bytes,
        "a decoded payload re-encodes to other bytes"
    );
    encoded_round_trip(&p);
}

fn encoded_round_trip(p: &VerificationPayload) {
    if let Err(e) = p.validate() {
        panic!("a decoded payload does not validate: {e}");
    }
    assert_eq!(
        VerificationPayload::decode(&p.encode_vl()).as_ref(),
        Ok(p),
        "decode(encode_vl(p)) != p"
    );
    assert_eq!(
        VerificationPayload::decode(&p.encode(PRODUCTION_PREFIX)).as_ref(),
        Ok(p),
        "decode(encode(p)) != p"
    );
    VerificationPayload::from_bytes(&p.to_bytes()).expect("to_bytes of a valid payload decodes");
    // What the verification page shows of a payload.
    let _ = p.total_amount_decimal().to_string();
    let _ = p.sdc_time();
    let _ = p.invoice_number();
    let _ = p.signed_data("106884584");
}
