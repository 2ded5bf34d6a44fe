//! The ESIR's error type. Every variant renders as a cashier sentence in Serbian or English
//! ([`EsirError::message`], texts in [`crate::messages`]); `Display` gives the English one.

use fiskal_domain::gsc::Gsc;

use crate::rules::RuleViolation;

/// One error the PFR reported: the JSON path of the field and the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfrFieldError {
    /// JSON path such as `items[0].labels[0]`; empty when the error belongs to no field.
    pub property: String,
    /// The code as received (normally 4 digits, e.g. `2310`); empty when the PFR sent only text.
    pub code: String,
    /// Free text the PFR sent instead of (or besides) a code, e.g. DTI-POS's `MessageDetails`.
    pub text: Option<String>,
}

impl PfrFieldError {
    /// The general status code, when the code is one of TaxCore's.
    pub fn gsc(&self) -> Option<Gsc> {
        Gsc::from_code(&self.code)
    }
}

/// Everything that can go wrong in the ESIR.
#[derive(Debug)]
#[non_exhaustive]
pub enum EsirError {
    /// The PFR answered with an error (any HTTP status other than 2xx, with one of the three error
    /// bodies of pfr-api.md §11). Nothing was signed.
    Pfr {
        /// HTTP status.
        http_status: u16,
        /// The reported errors, in the PFR's order; may be empty (406, 413, 500).
        errors: Vec<PfrFieldError>,
    },
    /// The PFR could not be reached (connection refused, timeout) and nothing was sent that could
    /// have been signed, or the PFR confirmed that it has no invoice under the request ID.
    Unreachable {
        /// The base URL used.
        url: String,
        /// Technical detail.
        detail: String,
    },
    /// The request was sent but neither the answer nor the lookup by request ID came back: the
    /// invoice may or may not have been signed. It stays pending in the local store and is looked
    /// up again before the next document.
    OutcomeUnknown {
        /// The `RequestId` to look up.
        request_id: String,
    },
    /// The PFR answered something that is not a valid response.
    BadResponse {
        /// What was wrong.
        detail: String,
    },
    /// The PFR wants the PIN (code 1500) and none was given.
    PinRequired,
    /// The PIN is not 4 digits.
    PinFormat,
    /// The PFR refused the PIN.
    PinRefused {
        /// The code the PFR answered (2100 wrong PIN, 2110 locked, …).
        code: String,
    },
    /// Local checks failed; nothing was sent.
    Rules(Vec<RuleViolation>),
    /// A request file does not pass the API field checks; nothing was sent.
    InvalidRequest {
        /// Field errors found (same codes as the PFR would give).
        errors: Vec<PfrFieldError>,
    },
    /// A command-line item (`NAME;QTY;PRICE;LABEL`) cannot be read.
    ItemSpec {
        /// What was given.
        spec: String,
    },
    /// A command-line payment (`cash:164.00`) cannot be read.
    PaymentSpec {
        /// What was given.
        spec: String,
    },
    /// A document number is not in the local store.
    NotInStore {
        /// The PFR invoice number looked up.
        number: String,
    },
    /// A verification URL cannot be read.
    VerificationUrl {
        /// Technical detail.
        detail: String,
    },
    /// The local store failed.
    Store {
        /// Technical detail.
        detail: String,
    },
    /// Writing a file failed.
    Io {
        /// The file.
        path: String,
        /// Technical detail.
        detail: String,
    },
    /// The QR code could not be made (URL too long for a QR code).
    Qr {
        /// Technical detail.
        detail: String,
    },
}

impl EsirError {
    /// Whether the PFR reported this code (anywhere in its error list).
    pub fn has_code(&self, gsc: Gsc) -> bool {
        match self {
            EsirError::Pfr { errors, .. } => errors.iter().any(|e| e.gsc() == Some(gsc)),
            _ => false,
        }
    }
}

impl std::error::Error for EsirError {}

impl From<sqlx::Error> for EsirError {
    fn from(e: sqlx::Error) -> Self {
        EsirError::Store {
            detail: e.to_string(),
        }
    }
}
