//! Verification URL codec (verification-url.md §1–§4).
//!
//! Every fiscal document carries a verification URL, printed as a QR code:
//! `prefix + percentEncode(base64(payload))`. The payload (version 3) holds the UIDs, both counters,
//! the amount, the PFR time, the document kind, the buyer ID, the encrypted internal data and the
//! signature, closed by an MD5 of everything before it. Byte orders are mixed: counters and amount
//! little-endian, time big-endian.
//!
//! ```
//! use fiskal_domain::verification_url::{VerificationPayload, PRODUCTION_PREFIX};
//! use fiskal_domain::kinds::{InvoiceType, TransactionType};
//! let p = VerificationPayload {
//!     requested_by: "YJLQTEQR".into(),
//!     signed_by: "YJLQTEQR".into(),
//!     total_counter: 11389,
//!     transaction_type_counter: 8652,
//!     total_amount: 684_600,
//!     sdc_time_ms: 1_686_050_475_504,
//!     invoice_type: InvoiceType::Normal,
//!     transaction_type: TransactionType::Sale,
//!     buyer_id: None,
//!     internal_data: vec![0; 256],
//!     signature: vec![0; 256],
//! };
//! let url = p.encode(PRODUCTION_PREFIX);
//! assert!(url.starts_with("https://suf.purs.gov.rs/v/?vl=A1lKTFFURVFS"));
//! assert_eq!(VerificationPayload::decode(&url).unwrap(), p);
//! assert_eq!(p.invoice_number(), "YJLQTEQR-YJLQTEQR-11389");
//! ```

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use md5::{Digest, Md5};
use rust_decimal::Decimal;

use crate::kinds::{InvoiceType, TransactionType};
use crate::money::from_scaled;

/// Verification URL prefix of the production SUF.
pub const PRODUCTION_PREFIX: &str = "https://suf.purs.gov.rs/v/?vl=";
/// Verification URL prefix of the sandbox SUF.
pub const SANDBOX_PREFIX: &str = "https://sandbox.suf.purs.gov.rs/v/?vl=";

/// Payload version written and accepted.
pub const VERSION: u8 = 3;
/// Size of the fixed header before the buyer ID (version, UIDs, counters, amount, time, types, n).
pub const HEADER_LEN: usize = 44;
/// Size of the signature in bytes.
pub const SIGNATURE_LEN: usize = 256;
/// Size of the MD5 trailer in bytes.
pub const MD5_LEN: usize = 16;
/// Smallest valid payload: no buyer ID, 256 bytes of internal data.
pub const MIN_PAYLOAD_LEN: usize = HEADER_LEN + 256 + SIGNATURE_LEN + MD5_LEN;
/// Internal-data sizes a payload may carry (256 on every real sample; 512 on SEs with large
/// internal data).
pub const INTERNAL_DATA_LENS: [usize; 2] = [256, 512];
/// Size of the Sign Invoice output header (secure-element.md §5, bytes 0–64).
pub const SE_HEADER_LEN: usize = 65;

/// Why a verification URL or payload could not be decoded (verification-url.md §3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The `vl` text is not valid percent-encoded base64.
    #[error("the verification link is damaged: its data is not valid base64")]
    NotBase64,
    /// The payload is shorter than the smallest valid payload (572 bytes).
    #[error("the verification link is damaged: its data has {len} bytes, at least 572 are needed")]
    Truncated {
        /// Length of the decoded payload in bytes.
        len: usize,
    },
    /// The first byte is not version 3.
    #[error("the verification link has data version {version}, only version 3 is supported")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// The payload length does not leave 256 or 512 bytes of internal data.
    #[error(
        "the verification link is damaged: {len} bytes with a buyer ID of {buyer_id_len} bytes \
         leave no room for 256 or 512 bytes of internal data"
    )]
    BadLength {
        /// Length of the decoded payload in bytes.
        len: usize,
        /// The buyer ID length byte (`n`).
        buyer_id_len: usize,
    },
    /// The MD5 trailer does not match the payload.
    #[error("the verification link is damaged: its checksum does not match")]
    BadChecksum,
    /// A field has a value outside its range (UID, invoice type, transaction type, buyer ID).
    #[error("the verification link is damaged: {0}")]
    BadField(String),
}

/// The decoded content of a verification URL (payload version 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationPayload {
    /// UID of the requester (`requestedBy`): 8 characters `[A-Z0-9]`.
    pub requested_by: String,
    /// UID of the signer (`signedBy`): 8 characters `[A-Z0-9]`.
    pub signed_by: String,
    /// Total counter of the PFR.
    pub total_counter: u32,
    /// Counter of this document kind.
    pub transaction_type_counter: u32,
    /// Total amount × 10 000 (always positive, also for refunds).
    pub total_amount: u64,
    /// PFR time in milliseconds since 1970-01-01T00:00:00Z.
    pub sdc_time_ms: u64,
    /// Invoice type.
    pub invoice_type: InvoiceType,
    /// Transaction type.
    pub transaction_type: TransactionType,
    /// Buyer ID exactly as sent (`10:109262972`), printable ASCII, or `None`.
    pub buyer_id: Option<String>,
    /// Encrypted internal data (256 or 512 bytes).
    pub internal_data: Vec<u8>,
    /// Signature (256 bytes).
    pub signature: Vec<u8>,
}

/// Right-aligns ASCII text in 20 bytes, left-padded with `0x00` (secure-element.md §4).
///
/// Text longer than 20 bytes keeps its last 20 bytes; callers validate lengths beforehand.
pub fn pad_left_20(text: &[u8]) -> [u8; 20] {
    let mut out = [0u8; 20];
    let src = if text.len() > 20 {
        &text[text.len() - 20..]
    } else {
        text
    };
    out[20 - src.len()..].copy_from_slice(src);
    out
}

/// Builds the 65-byte Sign Invoice output header (secure-element.md §5, bytes 0–64), which is also
/// the start of the data the SE signs (secure-element.md §8.3):
/// time (8 bytes BE), seller TIN (20 bytes, right-aligned, left-padded with `0x00`), buyer ID
/// (20 bytes, same padding, all zero when none), invoice type, transaction type, amount × 10 000
/// (7 bytes BE; higher bits are dropped), transaction-type counter (4 bytes BE), total counter
/// (4 bytes BE).
#[allow(clippy::too_many_arguments)]
pub fn se_header(
    time_ms: u64,
    tin: &str,
    buyer_id: Option<&str>,
    invoice_type: InvoiceType,
    transaction_type: TransactionType,
    amount: u64,
    tt_counter: u32,
    total_counter: u32,
) -> [u8; SE_HEADER_LEN] {
    let mut h = [0u8; SE_HEADER_LEN];
    h[0..8].copy_from_slice(&time_ms.to_be_bytes());
    h[8..28].copy_from_slice(&pad_left_20(tin.as_bytes()));
    h[28..48].copy_from_slice(&pad_left_20(buyer_id.unwrap_or("").as_bytes()));
    h[48] = invoice_type.code();
    h[49] = transaction_type.code();
    h[50..57].copy_from_slice(&amount.to_be_bytes()[1..8]);
    h[57..61].copy_from_slice(&tt_counter.to_be_bytes());
    h[61..65].copy_from_slice(&total_counter.to_be_bytes());
    h
}

/// Base64 engine accepting input with or without `=` padding.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn is_uid(s: &str) -> bool {
    s.len() == 8
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Copies `s` into exactly 8 bytes: cut, or padded with `0x00`.
fn uid_bytes(s: &str) -> [u8; 8] {
    let mut out = [0u8; 8];
    let b = s.as_bytes();
    let n = b.len().min(8);
    out[..n].copy_from_slice(&b[..n]);
    out
}

fn read_u32_le(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn read_u64(b: &[u8], at: usize, big_endian: bool) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    if big_endian {
        u64::from_be_bytes(a)
    } else {
        u64::from_le_bytes(a)
    }
}

/// Percent-encodes base64 text: `+` → `%2B`, `/` → `%2F`, `=` → `%3D` (verification-url.md §1).
fn percent_encode_base64(b64: &str) -> String {
    let mut out = String::with_capacity(b64.len() + b64.len() / 8);
    for c in b64.chars() {
        match c {
            '+' => out.push_str("%2B"),
            '/' => out.push_str("%2F"),
            '=' => out.push_str("%3D"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-decodes `s`, turning spaces back into `+`. `None` on a malformed escape.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let hi = (hex[0] as char).to_digit(16)?;
                let lo = (hex[1] as char).to_digit(16)?;
                // Both digits are below 16, so the value fits in a byte.
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b' ' => {
                out.push(b'+');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    // A decoded space (`%20`) is also a `+` lost by a scanner.
    for c in out.iter_mut() {
        if *c == b' ' {
            *c = b'+';
        }
    }
    Some(out)
}

/// Extracts the `vl` value from a full URL or returns the bare value: the text after the first
/// `vl=` (if any), up to the first `&` or `#`.
fn extract_vl(input: &str) -> &str {
    let input = input.trim_matches(|c| c == '\r' || c == '\n' || c == '\t');
    let start = input.find("vl=").map(|i| i + 3).unwrap_or(0);
    let rest = &input[start..];
    let end = rest.find(['&', '#']).unwrap_or(rest.len());
    &rest[..end]
}

impl VerificationPayload {
    /// The total amount as a decimal with 4 places (`68.4600`).
    pub fn total_amount_decimal(&self) -> Decimal {
        from_scaled(self.total_amount)
    }

    /// The PFR invoice number: `{requestedBy}-{signedBy}-{totalCounter}`.
    pub fn invoice_number(&self) -> String {
        format!(
            "{}-{}-{}",
            self.requested_by, self.signed_by, self.total_counter
        )
    }

    /// The PFR time as a UTC date-time (`None` only for times beyond chrono's range).
    pub fn sdc_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        i64::try_from(self.sdc_time_ms)
            .ok()
            .and_then(chrono::DateTime::from_timestamp_millis)
    }

    /// Checks the fields that [`VerificationPayload::from_bytes`] would reject: UIDs, buyer ID
    /// (printable ASCII, at most 255 bytes), internal data of 256 or 512 bytes, signature of 256
    /// bytes.
    pub fn validate(&self) -> Result<(), UrlError> {
        if !is_uid(&self.requested_by) {
            return Err(UrlError::BadField(format!(
                "requestedBy {:?} is not 8 letters or digits",
                self.requested_by
            )));
        }
        if !is_uid(&self.signed_by) {
            return Err(UrlError::BadField(format!(
                "signedBy {:?} is not 8 letters or digits",
                self.signed_by
            )));
        }
        if let Some(b) = &self.buyer_id
            && (b.len() > 255 || !b.bytes().all(|c| (0x20..=0x7e).contains(&c)))
        {
            return Err(UrlError::BadField(format!(
                "buyer ID {b:?} is not printable ASCII of at most 255 characters"
            )));
        }
        if !INTERNAL_DATA_LENS.contains(&self.internal_data.len())
            || self.signature.len() != SIGNATURE_LEN
        {
            return Err(UrlError::BadLength {
                len: HEADER_LEN
                    + self.buyer_id.as_deref().map_or(0, str::len)
                    + self.internal_data.len()
                    + self.signature.len()
                    + MD5_LEN,
                buyer_id_len: self.buyer_id.as_deref().map_or(0, str::len),
            });
        }
        Ok(())
    }

    /// Serializes the payload (verification-url.md §2), MD5 trailer included.
    ///
    /// For a payload that passes [`VerificationPayload::validate`] this is the exact inverse of
    /// [`VerificationPayload::from_bytes`]. Otherwise the layout is kept but the result will not
    /// decode: UIDs are cut or zero-padded to 8 bytes, the buyer ID is cut to 255 bytes and the
    /// signature is cut or zero-padded to 256 bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let buyer: &[u8] = self.buyer_id.as_deref().map_or(&[], str::as_bytes);
        let buyer = &buyer[..buyer.len().min(255)];
        let mut b = Vec::with_capacity(
            HEADER_LEN + buyer.len() + self.internal_data.len() + SIGNATURE_LEN + MD5_LEN,
        );
        b.push(VERSION);
        b.extend_from_slice(&uid_bytes(&self.requested_by));
        b.extend_from_slice(&uid_bytes(&self.signed_by));
        b.extend_from_slice(&self.total_counter.to_le_bytes());
        b.extend_from_slice(&self.transaction_type_counter.to_le_bytes());
        b.extend_from_slice(&self.total_amount.to_le_bytes());
        b.extend_from_slice(&self.sdc_time_ms.to_be_bytes());
        b.push(self.invoice_type.code());
        b.push(self.transaction_type.code());
        // `buyer` is at most 255 bytes.
        b.push(buyer.len() as u8);
        b.extend_from_slice(buyer);
        b.extend_from_slice(&self.internal_data);
        let sig = &self.signature[..self.signature.len().min(SIGNATURE_LEN)];
        b.extend_from_slice(sig);
        b.resize(b.len() + (SIGNATURE_LEN - sig.len()), 0);
        let md5 = Md5::digest(&b);
        b.extend_from_slice(&md5);
        b
    }

    /// Parses a payload (verification-url.md §3, steps 2–6).
    pub fn from_bytes(b: &[u8]) -> Result<VerificationPayload, UrlError> {
        if b.len() < MIN_PAYLOAD_LEN {
            return Err(UrlError::Truncated { len: b.len() });
        }
        if b[0] != VERSION {
            return Err(UrlError::UnsupportedVersion { version: b[0] });
        }
        let n = b[43] as usize;
        let e = b.len() as i64 - (HEADER_LEN + n + SIGNATURE_LEN + MD5_LEN) as i64;
        let e = usize::try_from(e)
            .ok()
            .filter(|e| INTERNAL_DATA_LENS.contains(e));
        let Some(e) = e else {
            return Err(UrlError::BadLength {
                len: b.len(),
                buyer_id_len: n,
            });
        };
        let body = &b[..b.len() - MD5_LEN];
        if Md5::digest(body).as_slice() != &b[b.len() - MD5_LEN..] {
            return Err(UrlError::BadChecksum);
        }
        let uid = |at: usize, name: &str| -> Result<String, UrlError> {
            let raw = &b[at..at + 8];
            match std::str::from_utf8(raw) {
                Ok(s) if is_uid(s) => Ok(s.to_string()),
                _ => Err(UrlError::BadField(format!(
                    "{name} is not 8 letters or digits (bytes {})",
                    hex(raw)
                ))),
            }
        };
        let requested_by = uid(1, "requestedBy")?;
        let signed_by = uid(9, "signedBy")?;
        let invoice_type = InvoiceType::from_code(u64::from(b[41])).ok_or_else(|| {
            UrlError::BadField(format!("invoice type {} is not between 0 and 4", b[41]))
        })?;
        let transaction_type = TransactionType::from_code(u64::from(b[42])).ok_or_else(|| {
            UrlError::BadField(format!("transaction type {} is not 0 or 1", b[42]))
        })?;
        let buyer_raw = &b[HEADER_LEN..HEADER_LEN + n];
        let buyer_id = if n == 0 {
            None
        } else if buyer_raw.iter().all(|c| (0x20..=0x7e).contains(c)) {
            // Printable ASCII is valid UTF-8.
            Some(String::from_utf8_lossy(buyer_raw).into_owned())
        } else {
            return Err(UrlError::BadField(format!(
                "the buyer ID is not printable ASCII (bytes {})",
                hex(buyer_raw)
            )));
        };
        let data_at = HEADER_LEN + n;
        Ok(VerificationPayload {
            requested_by,
            signed_by,
            total_counter: read_u32_le(b, 17),
            transaction_type_counter: read_u32_le(b, 21),
            total_amount: read_u64(b, 25, false),
            sdc_time_ms: read_u64(b, 33, true),
            invoice_type,
            transaction_type,
            buyer_id,
            internal_data: b[data_at..data_at + e].to_vec(),
            signature: b[data_at + e..data_at + e + SIGNATURE_LEN].to_vec(),
        })
    }

    /// The `vl` value: percent-encoded standard base64 with padding.
    pub fn encode_vl(&self) -> String {
        percent_encode_base64(&STANDARD.encode(self.to_bytes()))
    }

    /// The full verification URL: `prefix` followed by the percent-encoded base64 payload.
    pub fn encode(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.encode_vl())
    }

    /// Decodes a full verification URL or a bare `vl` value (verification-url.md §1 and §3).
    ///
    /// Takes the text after the first `vl=` if there is one, stops at `&` or `#`, percent-decodes
    /// it, turns spaces back into `+` and base64-decodes it with or without padding.
    pub fn decode(url_or_vl: &str) -> Result<VerificationPayload, UrlError> {
        let vl = extract_vl(url_or_vl);
        let text = percent_decode(vl).ok_or(UrlError::NotBase64)?;
        let bytes = LENIENT_BASE64
            .decode(&text)
            .map_err(|_| UrlError::NotBase64)?;
        VerificationPayload::from_bytes(&bytes)
    }

    /// Rebuilds the bytes the SE signed (verification-url.md §4 step 3, secure-element.md §8.3):
    /// the 65-byte [`se_header`] followed by the internal data. `seller_tin` comes from the
    /// `requestedBy` certificate.
    pub fn signed_data(&self, seller_tin: &str) -> Vec<u8> {
        let header = se_header(
            self.sdc_time_ms,
            seller_tin,
            self.buyer_id.as_deref(),
            self.invoice_type,
            self.transaction_type,
            self.total_amount,
            self.transaction_type_counter,
            self.total_counter,
        );
        let mut out = Vec::with_capacity(SE_HEADER_LEN + self.internal_data.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.internal_data);
        out
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> VerificationPayload {
        VerificationPayload {
            requested_by: "YJLQTEQR".into(),
            signed_by: "YJLQTEQR".into(),
            total_counter: 11389,
            transaction_type_counter: 8652,
            total_amount: 684_600,
            sdc_time_ms: 1_686_050_475_504,
            invoice_type: InvoiceType::Normal,
            transaction_type: TransactionType::Sale,
            buyer_id: Some("RS34564565".into()),
            internal_data: (0..=255u8).collect(),
            signature: (0..=255u8).rev().collect(),
        }
    }

    #[test]
    fn header_layout_matches_spec_vector_1() {
        let b = sample().to_bytes();
        assert_eq!(b.len(), 582);
        assert_eq!(
            hex(&b[..54]),
            "03594a4c5154455152594a4c51544551527d2c0000cc21000038720a00000000000000018890708df000000a52533334353634353635"
        );
    }

    #[test]
    fn percent_codec() {
        assert_eq!(percent_encode_base64("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(percent_decode("a%2bb%2Fc%3D%3D").unwrap(), b"a+b/c==");
        assert_eq!(percent_decode("a b").unwrap(), b"a+b");
        assert_eq!(percent_decode("a%20b").unwrap(), b"a+b");
        assert!(percent_decode("abc%2").is_none());
        assert!(percent_decode("abc%zz").is_none());
        assert!(percent_decode("é%").is_none());
    }

    #[test]
    fn vl_extraction() {
        assert_eq!(extract_vl("https://x/v/?vl=ABC%3D&x=1"), "ABC%3D");
        assert_eq!(extract_vl("https://x/v/?a=b&vl=ABC#frag"), "ABC");
        assert_eq!(extract_vl("ABC\r\n"), "ABC");
    }

    #[test]
    fn se_header_layout() {
        let h = se_header(
            0x0102_0304_0506_0708,
            "021131682",
            Some("10:109262972"),
            InvoiceType::Advance,
            TransactionType::Refund,
            2_400_000,
            7,
            0x0A0B_0C0D,
        );
        assert_eq!(&h[0..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&h[8..19], &[0u8; 11]);
        assert_eq!(&h[19..28], b"021131682");
        assert_eq!(&h[28..36], &[0u8; 8]);
        assert_eq!(&h[36..48], b"10:109262972");
        assert_eq!(h[48], 4);
        assert_eq!(h[49], 1);
        assert_eq!(&h[50..57], &[0, 0, 0, 0, 0x24, 0x9f, 0x00]);
        assert_eq!(&h[57..61], &[0, 0, 0, 7]);
        assert_eq!(&h[61..65], &[0x0A, 0x0B, 0x0C, 0x0D]);
        let none = se_header(
            0,
            "1",
            None,
            InvoiceType::Normal,
            TransactionType::Sale,
            0,
            0,
            0,
        );
        assert_eq!(&none[28..48], &[0u8; 20]);
    }

    #[test]
    fn signed_data_is_header_then_internal_data() {
        let p = sample();
        let d = p.signed_data("106884584");
        assert_eq!(d.len(), 65 + 256);
        assert_eq!(&d[65..], &p.internal_data[..]);
        assert_eq!(&d[57..61], &8652u32.to_be_bytes());
        assert_eq!(&d[61..65], &11389u32.to_be_bytes());
        assert_eq!(&d[50..57], &[0, 0, 0, 0, 0x0a, 0x72, 0x38]);
    }

    #[test]
    fn validate_flags_bad_fields() {
        assert!(sample().validate().is_ok());
        let mut p = sample();
        p.requested_by = "abc".into();
        assert!(matches!(p.validate(), Err(UrlError::BadField(_))));
        let mut p = sample();
        p.signature.pop();
        assert!(matches!(p.validate(), Err(UrlError::BadLength { .. })));
        let mut p = sample();
        p.buyer_id = Some("10:1\u{7f}".into());
        assert!(matches!(p.validate(), Err(UrlError::BadField(_))));
    }

    #[test]
    fn time_and_amount_helpers() {
        let p = sample();
        assert_eq!(p.total_amount_decimal().to_string(), "68.4600");
        assert_eq!(
            p.sdc_time().unwrap().to_rfc3339(),
            "2023-06-06T11:21:15.504+00:00"
        );
    }
}
