//! # fiskal-se
//!
//! The secure element (SE, безбедносни елемент): the device that signs every fiscal document,
//! keeps the fiscal counters, encrypts internal data for the tax authority (SUF) and stops signing
//! when the unaudited amount reaches its limit.
//!
//! [`SecureElement`] is the interface the PFR uses. [`soft::SoftSe`] is fiskal's software SE
//! (secure-element.md §8), kept in a password-protected state file; a smart card over PC/SC will
//! implement the same trait behind an opt-in feature.
//!
//! [`env`](mod@env) holds the local environment bundle written by `fiskal se init`: test authority keys,
//! the seller identity, tax rates and the verification URL prefix.

use fiskal_domain::counter::Uid;
use fiskal_domain::gsc::Gsc;
use fiskal_domain::kinds::{InvoiceType, TransactionType};

pub mod audit_package;
pub mod authority;
pub mod cert;
pub mod command;
pub mod env;
pub mod soft;

/// A 4-digit PIN. Only [`Pin::parse`] makes one, so a `Pin` is always well-formed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin([u8; 4]);

impl Pin {
    /// Parses exactly 4 ASCII digits.
    pub fn parse(s: &str) -> Result<Pin, SeError> {
        let b = s.as_bytes();
        if b.len() == 4 && b.iter().all(u8::is_ascii_digit) {
            Ok(Pin([b[0] - b'0', b[1] - b'0', b[2] - b'0', b[3] - b'0']))
        } else {
            Err(SeError::WrongPinSize)
        }
    }
    /// The digit values 0–9 (as the card's Verify PIN APDU takes them).
    pub fn digits(&self) -> [u8; 4] {
        self.0
    }
    /// The PIN as ASCII text.
    pub fn to_ascii(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// Input of Sign Invoice (secure-element.md §4). Amounts are integers × 10 000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignRequest {
    /// PFR time, milliseconds since the epoch (UTC).
    pub time_ms: u64,
    /// Seller TIN; must equal the SE's own.
    pub tin: String,
    /// Buyer ID as sent, ASCII, at most 20 bytes.
    pub buyer_id: Option<String>,
    /// Invoice type.
    pub invoice_type: InvoiceType,
    /// Transaction type.
    pub transaction_type: TransactionType,
    /// Total amount × 10 000 (fits in 7 bytes).
    pub amount: u64,
    /// Per tax category: `orderId` and tax × 10 000, ascending by `orderId`, at most 12.
    pub taxes: Vec<(u8, u64)>,
}

/// Output of Sign Invoice (secure-element.md §5): the echoed input, both counters, the encrypted
/// internal data and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInvoice {
    /// PFR time in ms.
    pub time_ms: u64,
    /// Seller TIN.
    pub tin: String,
    /// Buyer ID.
    pub buyer_id: Option<String>,
    /// Invoice type.
    pub invoice_type: InvoiceType,
    /// Transaction type.
    pub transaction_type: TransactionType,
    /// Amount × 10 000.
    pub amount: u64,
    /// Counter of this invoice type × transaction type.
    pub transaction_type_counter: u32,
    /// Counter of all documents.
    pub total_counter: u32,
    /// Internal data encrypted for SUF (256 or 512 bytes).
    pub internal_data: Vec<u8>,
    /// RSA-2048 signature (256 bytes).
    pub signature: Vec<u8>,
}

/// Length of the Sign Invoice output header (secure-element.md §5, bytes 0–64).
pub const SIGNED_HEADER_LEN: usize = fiskal_domain::verification_url::SE_HEADER_LEN;

/// Largest value of a 7-byte big-endian amount (2^56 − 1).
pub const MAX_AMOUNT_7: u64 = (1 << 56) - 1;

/// Checks a TIN or buyer ID for the 20-byte padded field.
fn check_padded(s: &str) -> Result<(), SeError> {
    if s.len() > 20 || !s.is_ascii() {
        return Err(SeError::BadData(format!(
            "{s:?} is not ASCII of at most 20 bytes"
        )));
    }
    Ok(())
}

/// Reads a right-aligned, `0x00`-padded ASCII field.
fn get_padded(b: &[u8]) -> Result<String, SeError> {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    let t = &b[start..];
    if !t.is_ascii() || t.contains(&0) {
        return Err(SeError::BadData("a padded text field is not ASCII".into()));
    }
    Ok(String::from_utf8_lossy(t).into_owned())
}

/// The 65-byte Sign Invoice output header (secure-element.md §5), built by
/// [`fiskal_domain::verification_url::se_header`] after checking the field sizes: time 8 BE, TIN 20, buyer ID 20
/// (both right-aligned, `0x00`-padded), invoice type 1, transaction type 1, amount 7 BE,
/// transaction-type counter 4 BE, total counter 4 BE.
#[allow(clippy::too_many_arguments)]
fn se_header(
    time_ms: u64,
    tin: &str,
    buyer_id: Option<&str>,
    invoice_type: InvoiceType,
    transaction_type: TransactionType,
    amount: u64,
    transaction_type_counter: u32,
    total_counter: u32,
) -> Result<[u8; SIGNED_HEADER_LEN], SeError> {
    if amount > MAX_AMOUNT_7 {
        return Err(SeError::BadData(
            "the amount does not fit in 7 bytes".into(),
        ));
    }
    check_padded(tin)?;
    check_padded(buyer_id.unwrap_or(""))?;
    Ok(fiskal_domain::verification_url::se_header(
        time_ms,
        tin,
        buyer_id,
        invoice_type,
        transaction_type,
        amount,
        transaction_type_counter,
        total_counter,
    ))
}

impl SignedInvoice {
    /// The 65-byte header of the Sign Invoice output (bytes 0–64, secure-element.md §5).
    pub fn header(&self) -> Result<[u8; SIGNED_HEADER_LEN], SeError> {
        se_header(
            self.time_ms,
            &self.tin,
            self.buyer_id.as_deref(),
            self.invoice_type,
            self.transaction_type,
            self.amount,
            self.transaction_type_counter,
            self.total_counter,
        )
    }

    /// The bytes the signature covers: the 65-byte header followed by the internal data
    /// (secure-element.md §8.3).
    pub fn signed_data(&self) -> Result<Vec<u8>, SeError> {
        let mut v = Vec::with_capacity(SIGNED_HEADER_LEN + self.internal_data.len());
        v.extend_from_slice(&self.header()?);
        v.extend_from_slice(&self.internal_data);
        Ok(v)
    }

    /// The Sign Invoice output (secure-element.md §5) without CRC: header, internal data,
    /// signature.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SeError> {
        let mut v = self.signed_data()?;
        v.extend_from_slice(&self.signature);
        Ok(v)
    }

    /// Parses a Sign Invoice output (secure-element.md §5) without CRC: 65 + 256 or 512 + 256
    /// bytes.
    pub fn from_bytes(b: &[u8]) -> Result<SignedInvoice, SeError> {
        let e = match b.len() {
            n if n == SIGNED_HEADER_LEN + 256 + 256 => 256,
            n if n == SIGNED_HEADER_LEN + 512 + 256 => 512,
            _ => return Err(SeError::WrongLength),
        };
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&b[0..8]);
        let mut a = [0u8; 8];
        a[1..].copy_from_slice(&b[50..57]);
        let buyer = get_padded(&b[28..48])?;
        Ok(SignedInvoice {
            time_ms: u64::from_be_bytes(t),
            tin: get_padded(&b[8..28])?,
            buyer_id: if buyer.is_empty() { None } else { Some(buyer) },
            invoice_type: InvoiceType::from_code(b[48].into())
                .ok_or_else(|| SeError::BadData(format!("unknown invoice type {}", b[48])))?,
            transaction_type: TransactionType::from_code(b[49].into())
                .ok_or_else(|| SeError::BadData(format!("unknown transaction type {}", b[49])))?,
            amount: u64::from_be_bytes(a),
            transaction_type_counter: u32_at(57),
            total_counter: u32_at(61),
            internal_data: b[SIGNED_HEADER_LEN..SIGNED_HEADER_LEN + e].to_vec(),
            signature: b[SIGNED_HEADER_LEN + e..].to_vec(),
        })
    }
}

/// Unaudited amount and limit (Amount Status, INS `14`), integers × 10 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountStatus {
    /// Sale + refund amount signed since the last proof of audit.
    pub unaudited: u64,
    /// Highest unaudited amount the SE may sign.
    pub limit: u64,
}

impl AmountStatus {
    /// Whether the unaudited amount passed 75 % of the limit (status `auditRequired`, GSC 1400).
    pub fn audit_required(&self) -> bool {
        (self.unaudited as u128) * 4 >= (self.limit as u128) * 3
    }
    /// Whether signing is refused until a proof of audit arrives.
    pub fn limit_reached(&self) -> bool {
        self.unaudited >= self.limit
    }
}

/// Errors of SE operations, named after the card's status words (pfr-api.md §12.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SeError {
    /// `63 01`: PIN verification required before signing.
    #[error("the PIN must be entered first")]
    PinRequired,
    /// `63 02`: wrong PIN.
    #[error("wrong PIN, {tries_left} tries left")]
    WrongPin {
        /// Tries left before the SE locks.
        tries_left: u8,
    },
    /// `63 03`: the PIN is not 4 digits.
    #[error("the PIN must be exactly 4 digits")]
    WrongPinSize,
    /// `63 04`: more than 12 tax categories.
    #[error("more than 12 tax categories in one invoice")]
    TooManyCategories,
    /// `63 05`: the unaudited amount reached the limit.
    #[error("the secure element's limit is reached; it signs again after a proof of audit")]
    LimitReached,
    /// `63 06`: End Audit without Start Audit.
    #[error("no audit is in progress")]
    NoAuditInProgress,
    /// `63 07`: fiscalization disabled by the authority.
    #[error("signing is disabled by the tax authority")]
    SigningDisabled,
    /// `63 08`: invoice time outside the certificate validity.
    #[error("the invoice time is outside the certificate's validity")]
    CertificateNotValidAt,
    /// `63 10`: too many wrong PINs.
    #[error("the secure element is locked after 5 wrong PINs")]
    Locked,
    /// `63 FF`: a counter reached its maximum.
    #[error("a counter of the secure element reached its maximum; the SE must be replaced")]
    CounterExhausted,
    /// `6A 80`: bad parameter (TIN mismatch, forged proof of audit or directive, bad category).
    #[error("the secure element refused the data: {0}")]
    BadData(String),
    /// `67 00`: wrong data length.
    #[error("wrong data length")]
    WrongLength,
    /// `69 85` (software SE): invoice time earlier than the last signed time.
    #[error("the clock is behind the last signed receipt")]
    ClockBehind,
    /// The SE is not present or does not answer.
    #[error("the secure element does not answer: {0}")]
    NotAvailable(String),
    /// The state file could not be read or written.
    #[error("secure element storage failed: {0}")]
    Storage(String),
    /// The software SE's state file could not be decrypted: the password is wrong or the file
    /// was altered.
    #[error("the secure element's password is wrong, or its state file was altered")]
    WrongPassword,
}

impl SeError {
    /// The general status code the PFR reports for this error.
    pub fn gsc(&self) -> Gsc {
        match self {
            SeError::PinRequired => Gsc::PinRequired,
            SeError::WrongPin { .. } | SeError::WrongPinSize => Gsc::PinNotOk,
            SeError::TooManyCategories => Gsc::ListTooLong,
            SeError::LimitReached | SeError::SigningDisabled | SeError::CounterExhausted => {
                Gsc::SeLocked
            }
            SeError::CertificateNotValidAt => Gsc::CertificateExpired,
            SeError::Locked => Gsc::CardLocked,
            SeError::BadData(_) => Gsc::InvalidTaxLabels,
            SeError::ClockBehind => Gsc::NotConfigured,
            SeError::NoAuditInProgress
            | SeError::WrongLength
            | SeError::NotAvailable(_)
            | SeError::Storage(_)
            | SeError::WrongPassword => Gsc::SeCommunicationFailed,
        }
    }
}

/// The secure element as the PFR sees it. Implemented by the software SE and (later) the
/// PC/SC smart card.
pub trait SecureElement: Send {
    /// UID of the SE (Subject SERIALNUMBER of its certificate).
    fn uid(&self) -> &Uid;
    /// Applet version text (`fiskal-soft-1` for the software SE).
    fn version(&self) -> String;
    /// DER of the SE signing certificate.
    fn certificate_der(&self) -> Vec<u8>;
    /// Verifies the PIN; the verified state lives in memory only.
    fn verify_pin(&mut self, pin: &Pin) -> Result<(), SeError>;
    /// Whether the PIN was verified since the SE was opened.
    fn is_pin_verified(&self) -> bool;
    /// PIN tries left (0 = locked).
    fn pin_tries_left(&self) -> u8;
    /// Signs one invoice: counters + 1, sums updated, state persisted **before** returning.
    fn sign_invoice(&mut self, req: &SignRequest) -> Result<SignedInvoice, SeError>;
    /// Signs several invoices in order, persisting the state once before returning (group
    /// commit). Each entry succeeds or fails on its own; a failed entry uses no counter.
    fn sign_batch(&mut self, reqs: &[SignRequest]) -> Vec<Result<SignedInvoice, SeError>> {
        reqs.iter().map(|r| self.sign_invoice(r)).collect()
    }
    /// Unaudited amount and limit.
    fn amount_status(&self) -> AmountStatus;
    /// Current total counter (0 before the first signature).
    fn total_counter(&self) -> u32;
    /// The most recent signatures, oldest first (a smart card gives only the last one, INS `15`;
    /// the software SE keeps [`soft::RECENT_SIGNED_MAX`]), for recovery after a crash between
    /// signing and journalling.
    fn recent_signed(&self) -> Vec<SignedInvoice>;
    /// Start Audit (INS `21`): the audit request payload.
    fn start_audit(&mut self) -> Result<Vec<u8>, SeError>;
    /// End Audit (INS `20`) with a 256-byte proof of audit.
    fn end_audit(&mut self, proof: &[u8]) -> Result<(), SeError>;
    /// Forward SE Directive (INS `40`), 512 bytes.
    fn forward_directive(&mut self, directive: &[u8]) -> Result<(), SeError>;
    /// DER of the authentication certificate (the PKI applet's TLS client certificate, class
    /// V34), when the element has one.
    fn authentication_certificate_der(&self) -> Option<Vec<u8>> {
        None
    }
    /// Signs `message` with the authentication key (RSA PKCS#1 v1.5, SHA-256), as the PKI
    /// applet signs a TLS client handshake; `None` when the element cannot.
    fn sign_authentication(&self, message: &[u8]) -> Option<Result<Vec<u8>, SeError>> {
        let _ = message;
        None
    }
}

/// Proof that a client holds a secure element's authentication key, for the SUF token request
/// on a plain-HTTP listener (docs/suf-formats.md, "Token without TLS").
pub mod client_proof {
    /// Header with the client's UID.
    pub const UID_HEADER: &str = "X-Fiskal-Client-Uid";
    /// Header with the request time, ms since the epoch.
    pub const TIME_HEADER: &str = "X-Fiskal-Client-Time";
    /// Header with base64 of the authentication certificate (DER).
    pub const CERTIFICATE_HEADER: &str = "X-Fiskal-Client-Certificate";
    /// Header with base64 of the signature over [`message`].
    pub const SIGNATURE_HEADER: &str = "X-Fiskal-Client-Signature";
    /// Largest accepted difference between the request time and the SUF's clock, ms.
    pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;

    /// The signed message: `fiskal-sdc-token`, the UID and the time, one per line.
    pub fn message(uid: &str, time_ms: i64) -> Vec<u8> {
        format!("fiskal-sdc-token\n{uid}\n{time_ms}").into_bytes()
    }
}
