//! Checks the verification URL codec and the buyer ID rules against `testdata/test-vectors.json`
//! (copied from the project spec), plus property tests of the codec.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::SecondsFormat;
use fiskal_domain::buyer::{BuyerCostCenterId, BuyerId, pib_check_digit_valid};
use fiskal_domain::kinds::{InvoiceType, TransactionType};
use fiskal_domain::verification_url::{SANDBOX_PREFIX, UrlError, VerificationPayload, se_header};
use proptest::prelude::*;
use serde_json::Value;

const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/test-vectors.json"
));

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("test-vectors.json parses")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not an integer in {v}"))
}

/// Splits a URL into its prefix (up to and including `vl=`) and the rest.
fn prefix_of(url: &str) -> &str {
    let i = url.find("vl=").expect("URL has vl=") + 3;
    &url[..i]
}

#[test]
fn real_urls_decode_to_their_fields_and_reencode_identically() {
    let v = vectors();
    let urls = v["verificationUrls"].as_array().expect("array");
    assert_eq!(urls.len(), 8);
    for case in urls {
        let url = s(case, "url");
        let d = &case["decoded"];
        let p = VerificationPayload::decode(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(u(d, "version"), 3);
        assert_eq!(p.requested_by, s(d, "requestedBy"));
        assert_eq!(p.signed_by, s(d, "signedBy"));
        assert_eq!(u64::from(p.total_counter), u(d, "totalCounter"));
        assert_eq!(
            u64::from(p.transaction_type_counter),
            u(d, "transactionTypeCounter")
        );
        assert_eq!(p.total_amount, u(d, "totalAmountTimes10000"));
        assert_eq!(p.total_amount_decimal().to_string(), s(d, "totalAmount"));
        assert_eq!(p.sdc_time_ms, u(d, "sdcTimeMs"));
        let utc = p
            .sdc_time()
            .expect("time in range")
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        assert_eq!(utc, s(d, "sdcTimeUtc"));
        assert_eq!(u64::from(p.invoice_type.code()), u(d, "invoiceType"));
        assert_eq!(
            u64::from(p.transaction_type.code()),
            u(d, "transactionType")
        );
        assert_eq!(p.buyer_id.as_deref(), d["buyerId"].as_str());
        assert_eq!(p.internal_data.len() as u64, u(d, "internalDataLength"));
        assert_eq!(
            STANDARD.encode(&p.internal_data),
            s(d, "encryptedInternalData")
        );
        assert_eq!(STANDARD.encode(&p.signature), s(d, "signature"));
        assert_eq!(p.invoice_number(), s(d, "invoiceNumber"));

        let bytes = p.to_bytes();
        assert_eq!(bytes.len() as u64, u(d, "payloadLength"));
        assert_eq!(hex(&bytes[bytes.len() - 16..]), s(d, "md5"));
        let header_hex = s(case, "headerHex");
        assert_eq!(hex(&bytes[..header_hex.len() / 2]), header_hex);
        assert!(p.validate().is_ok());

        // Re-encoding gives the identical URL; the bare vl value also decodes.
        assert_eq!(p.encode(prefix_of(url)), url);
        assert_eq!(
            VerificationPayload::decode(&url[prefix_of(url).len()..]).unwrap(),
            p
        );
    }
}

#[test]
fn real_url_survives_scanner_damage() {
    let v = vectors();
    let url = s(&v["verificationUrls"][0], "url");
    let p = VerificationPayload::decode(url).unwrap();
    let vl = &url[prefix_of(url).len()..];
    let raw = vl
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    // Unescaped, with `+` read as a space, without padding, lower-case escapes, trailing params.
    assert_eq!(VerificationPayload::decode(&raw).unwrap(), p);
    assert_eq!(
        VerificationPayload::decode(&raw.replace('+', " ")).unwrap(),
        p
    );
    assert_eq!(
        VerificationPayload::decode(raw.trim_end_matches('=')).unwrap(),
        p
    );
    assert_eq!(
        VerificationPayload::decode(&url.replace("%2F", "%2f")).unwrap(),
        p
    );
    assert_eq!(
        VerificationPayload::decode(&format!("{url}&lang=sr#top")).unwrap(),
        p
    );
    assert_eq!(
        VerificationPayload::decode(&format!("{url}\r\n")).unwrap(),
        p
    );
}

#[test]
fn pivo_lav_computed_url_is_reproduced() {
    let v = vectors();
    let ex = &v["computedExamples"]["pivoLav"];
    let expected = &ex["expected"];
    let request = &ex["request"];
    let number: Vec<&str> = s(expected, "invoiceNumber").split('-').collect();
    let counter = s(expected, "invoiceCounter");
    let (tt, rest) = counter.split_once('/').unwrap();
    let total: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let amount: rust_decimal::Decimal = s(expected, "totalAmount").parse().unwrap();
    let p = VerificationPayload {
        requested_by: number[0].into(),
        signed_by: number[1].into(),
        total_counter: total.parse().unwrap(),
        transaction_type_counter: tt.parse().unwrap(),
        total_amount: fiskal_domain::money::to_scaled(amount).unwrap(),
        sdc_time_ms: u(ex, "sdcTimeMs"),
        invoice_type: InvoiceType::from_code(u(request, "invoiceType")).unwrap(),
        transaction_type: TransactionType::from_code(u(request, "transactionType")).unwrap(),
        buyer_id: Some(s(request, "buyerId").into()),
        internal_data: vec![0; 256],
        signature: vec![0; 256],
    };
    let bytes = p.to_bytes();
    assert_eq!(bytes.len() as u64, u(ex, "payloadLength"));
    let header_hex = s(ex, "headerHex");
    assert_eq!(hex(&bytes[..header_hex.len() / 2]), header_hex);
    assert_eq!(hex(&bytes[bytes.len() - 16..]), s(ex, "md5"));
    assert_eq!(p.encode(SANDBOX_PREFIX), s(ex, "verificationUrl"));
    assert_eq!(
        VerificationPayload::decode(s(ex, "verificationUrl")).unwrap(),
        p
    );
}

#[test]
fn signed_data_of_a_real_url() {
    let v = vectors();
    let p = VerificationPayload::decode(s(&v["verificationUrls"][3], "url")).unwrap();
    let d = p.signed_data("106884584");
    assert_eq!(d.len(), 65 + 256);
    let h = se_header(
        p.sdc_time_ms,
        "106884584",
        Some("10:109262972"),
        InvoiceType::Normal,
        TransactionType::Sale,
        139_404_300,
        11374,
        12218,
    );
    assert_eq!(&d[..65], &h[..]);
    assert_eq!(&d[65..], &p.internal_data[..]);
    assert_eq!(&h[19..28], b"106884584");
    assert_eq!(&h[36..48], b"10:109262972");
}

fn real_bytes() -> (String, Vec<u8>) {
    let v = vectors();
    let url = s(&v["verificationUrls"][1], "url").to_string();
    let p = VerificationPayload::decode(&url).unwrap();
    (url, p.to_bytes())
}

/// Replaces the MD5 trailer with the right one for the changed body.
fn reseal(mut b: Vec<u8>) -> Vec<u8> {
    use md5::Digest;
    let n = b.len() - 16;
    let m = md5::Md5::digest(&b[..n]);
    b[n..].copy_from_slice(&m);
    b
}

fn vl_of(b: &[u8]) -> String {
    STANDARD.encode(b)
}

#[test]
fn every_error_kind() {
    let (url, bytes) = real_bytes();

    // NotBase64.
    assert_eq!(
        VerificationPayload::decode("https://suf.purs.gov.rs/v/?vl=A1l*KTF"),
        Err(UrlError::NotBase64)
    );
    assert_eq!(VerificationPayload::decode("%zz"), Err(UrlError::NotBase64));
    assert_eq!(
        VerificationPayload::decode("ABC%"),
        Err(UrlError::NotBase64)
    );
    assert_eq!(
        VerificationPayload::decode(&format!("{url}é")),
        Err(UrlError::NotBase64)
    );

    // Truncated: an empty value and a cut payload.
    assert_eq!(
        VerificationPayload::decode("https://suf.purs.gov.rs/v/?vl="),
        Err(UrlError::Truncated { len: 0 })
    );
    assert_eq!(
        VerificationPayload::decode(&vl_of(&bytes[..571])),
        Err(UrlError::Truncated { len: 571 })
    );

    // UnsupportedVersion.
    let mut b = bytes.clone();
    b[0] = 4;
    assert_eq!(
        VerificationPayload::from_bytes(&reseal(b)),
        Err(UrlError::UnsupportedVersion { version: 4 })
    );

    // BadLength: a buyer-ID length byte that does not fit, and an extra byte.
    let mut b = bytes.clone();
    b[43] = 5;
    assert!(matches!(
        VerificationPayload::from_bytes(&b),
        Err(UrlError::BadLength {
            len: 572,
            buyer_id_len: 5
        })
    ));
    let mut b = bytes.clone();
    b.push(0);
    assert!(matches!(
        VerificationPayload::from_bytes(&b),
        Err(UrlError::BadLength { .. })
    ));

    // BadChecksum: any flipped byte.
    for i in [0usize, 1, 17, 40, 100, 400, 571] {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        let r = VerificationPayload::from_bytes(&b);
        if i == 0 {
            assert_eq!(r, Err(UrlError::UnsupportedVersion { version: 2 }));
        } else {
            assert_eq!(r, Err(UrlError::BadChecksum), "byte {i}");
        }
    }

    // BadField: lower-case UID, invoice type 5, transaction type 2, non-printable buyer ID.
    let bad_field = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = bytes.clone();
        f(&mut b);
        let r = VerificationPayload::from_bytes(&reseal(b));
        assert!(matches!(r, Err(UrlError::BadField(_))), "{r:?}");
    };
    bad_field(&|b| b[1] = b'a');
    bad_field(&|b| b[16] = b'-');
    bad_field(&|b| b[41] = 5);
    bad_field(&|b| b[42] = 2);
    // A 1-byte buyer ID 0x07.
    let mut p = VerificationPayload::decode(&url).unwrap();
    p.buyer_id = Some("X".into());
    let mut b = p.to_bytes();
    assert_eq!(b[44], b'X');
    b[44] = 0x07;
    let b = reseal(b);
    assert!(matches!(
        VerificationPayload::from_bytes(&b),
        Err(UrlError::BadField(_))
    ));

    // The resealed original still decodes, so the checks above failed for their own reason.
    assert!(VerificationPayload::from_bytes(&reseal(bytes)).is_ok());
}

#[test]
fn error_messages_are_sentences() {
    assert_eq!(
        UrlError::BadChecksum.to_string(),
        "the verification link is damaged: its checksum does not match"
    );
    assert!(
        UrlError::Truncated { len: 3 }
            .to_string()
            .contains("3 bytes")
    );
}

#[test]
fn pib_check_digit_vectors() {
    let v = vectors();
    let cases = v["pibCheckDigit"]["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for c in cases {
        let pib = s(c, "pib");
        assert_eq!(
            pib_check_digit_valid(pib),
            c["checkDigitValid"].as_bool().unwrap(),
            "{pib}"
        );
    }
}

#[test]
fn buyer_id_vectors() {
    let v = vectors();
    let b = &v["buyerIds"];
    assert_eq!(u(b, "maxLength"), 20);
    let mut n = 0;
    for list in ["valid", "invalid"] {
        for c in b[list].as_array().unwrap() {
            let value = s(c, "value");
            let verdict = s(c, "esir");
            let r = BuyerId::parse(value);
            if verdict == "accept" {
                let (id, warnings) = r.unwrap_or_else(|e| panic!("{value}: {e}"));
                assert!(warnings.is_empty(), "{value}");
                assert_eq!(id.to_string(), value);
            } else {
                assert!(verdict.starts_with("reject"), "{verdict}");
                let e = r.err().unwrap_or_else(|| panic!("{value} accepted"));
                assert!(!e.message_sr().is_empty() && !e.message_en().is_empty());
                if verdict.contains("check digit") {
                    assert!(
                        e.message_sr().contains("kontrolnu cifru"),
                        "{value}: {}",
                        e.message_sr()
                    );
                }
            }
            n += 1;
        }
    }
    assert_eq!(n, 14);
}

#[test]
fn buyer_cost_center_vectors() {
    let v = vectors();
    let b = &v["buyerCostCenterIds"];
    assert_eq!(u(b, "maxLength"), 50);
    for c in b["valid"].as_array().unwrap() {
        let value = s(c, "value");
        let id = BuyerCostCenterId::parse(value).unwrap_or_else(|e| panic!("{value}: {e}"));
        assert_eq!(id.to_string(), value);
    }
    for c in b["invalid"].as_array().unwrap() {
        let value = s(c, "value");
        assert!(BuyerCostCenterId::parse(value).is_err(), "{value} accepted");
    }
}

fn arb_uid() -> impl Strategy<Value = String> {
    "[A-Z0-9]{8}"
}

prop_compose! {
    fn arb_payload()(
        requested_by in arb_uid(),
        signed_by in arb_uid(),
        total_counter in any::<u32>(),
        transaction_type_counter in any::<u32>(),
        total_amount in any::<u64>(),
        sdc_time_ms in any::<u64>(),
        it in 0u64..5,
        tt in 0u64..2,
        buyer_id in proptest::option::of("[ -~]{0,20}"),
        large in any::<bool>(),
        seed in any::<u8>(),
        signature in proptest::collection::vec(any::<u8>(), 256),
    ) -> VerificationPayload {
        let e = if large { 512 } else { 256 };
        VerificationPayload {
            requested_by,
            signed_by,
            total_counter,
            transaction_type_counter,
            total_amount,
            sdc_time_ms,
            invoice_type: InvoiceType::from_code(it).unwrap(),
            transaction_type: TransactionType::from_code(tt).unwrap(),
            // An empty buyer ID is written as none.
            buyer_id: buyer_id.filter(|b| !b.is_empty()),
            internal_data: (0..e).map(|i| (i as u8).wrapping_mul(seed).wrapping_add(seed)).collect(),
            signature,
        }
    }
}

proptest! {
    #[test]
    fn decode_inverts_encode(p in arb_payload()) {
        prop_assert!(p.validate().is_ok());
        let url = p.encode(SANDBOX_PREFIX);
        let back = VerificationPayload::decode(&url).unwrap();
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(back.encode(SANDBOX_PREFIX), url);
        let len = p.to_bytes().len();
        let n = p.buyer_id.as_ref().map_or(0, String::len);
        prop_assert_eq!(len, 316 + n + p.internal_data.len());
    }

    #[test]
    fn decode_never_panics_on_strings(s in any::<String>()) {
        let _ = VerificationPayload::decode(&s);
        let _ = VerificationPayload::decode(&format!("https://suf.purs.gov.rs/v/?vl={s}"));
    }

    #[test]
    fn decode_never_panics_on_base64_text(s in "[A-Za-z0-9+/=% ]{0,900}") {
        let _ = VerificationPayload::decode(&s);
    }

    #[test]
    fn from_bytes_never_panics(b in proptest::collection::vec(any::<u8>(), 0..900)) {
        let _ = VerificationPayload::from_bytes(&b);
    }

    #[test]
    fn buyer_parsers_never_panic(s in any::<String>()) {
        let _ = BuyerId::parse(&s);
        let _ = BuyerCostCenterId::parse(&s);
    }
}
