//! UBL 2.1 `Invoice` (380, 383, 386) and `CreditNote` (381) under the Serbian SEF profile
//! (`shared/spec/ubl-profile.md`): a typed model, a builder that computes every amount, a
//! quick-xml writer in the XSD element order, a reader for any UBL document, and fiskal's own
//! validator (EN 16931, Serbian RSR/RSE/RSK and SEF rules, §14).
//!
//! ```
//! use fiskal_ubl::{DocumentBuilder, DocumentType, LineInput, VatCategory, samples, to_xml, validate};
//! use rust_decimal::Decimal;
//!
//! let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
//! let doc = DocumentBuilder::new(DocumentType::Invoice, "F-2026-0142", day)
//!     .supplier(samples::sample_seller())
//!     .buyer(samples::sample_buyer())
//!     .due_date(day + chrono::Days::new(30))
//!     .delivery_date(day)
//!     .payment("999-123456-32", None)
//!     .line(LineInput::new("Održavanje", Decimal::from(10), "HUR", Decimal::from(2500), VatCategory::S, Decimal::from(20)))
//!     .build()
//!     .unwrap();
//! assert!(validate(&doc).is_empty());
//! let xml = to_xml(&doc);
//! assert!(xml.contains("<cbc:PayableAmount currencyID=\"RSD\">30000.00</cbc:PayableAmount>"));
//! ```

pub mod builder;
pub mod cyrillic;
mod finding;
pub mod ids;
pub mod limits;
pub mod model;
pub mod reader;
pub mod samples;
mod schema;
mod tree;
pub mod validate;
pub mod writer;

pub use builder::{
    AdvanceReference, AdvanceSubtotal, BuildError, DocumentAllowance, DocumentBuilder,
    LineAllowance, LineInput, PartyInput,
};
pub use ids::pib_check_digit_valid;
pub use limits::{LimitExceeded, XmlLimits};
pub use model::*;
pub use reader::{ParseError, read, read_with_findings, read_with_limits};
pub use validate::{
    ExemptionKey, Finding, Severity, ValidationOptions, has_fatal, validate, validate_with,
    validate_xml, validate_xml_with,
};
pub use writer::{to_xml, write_into};

/// Namespace of the `Invoice` root.
pub const NS_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
/// Namespace of the `CreditNote` root.
pub const NS_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
/// Common aggregate components (`cac`).
pub const NS_CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
/// Common basic components (`cbc`).
pub const NS_CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
/// Common extension components (`cec`).
pub const NS_CEC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2";
/// Serbian extension (`sbt`).
pub const NS_SBT: &str = "http://mfin.gov.rs/srbdt/srbdtext";

/// BT-24 of every document without the Serbian extension (§1.2).
pub const CUSTOMIZATION_ID: &str = "urn:cen.eu:en16931:2017#compliant#urn:mfin.gov.rs:srbdt:2022";
/// BT-24 of a final invoice with `sbt:SrbDtExt` (§1.2).
pub const CUSTOMIZATION_ID_EXT: &str = "urn:cen.eu:en16931:2017#compliant#urn:mfin.gov.rs:srbdt:2022#conformant#urn:mfin.gov.rs:srbdtext:2022";

/// Language of user-facing messages: fiskal's one [`Lang`] — Serbian
/// Latin (the default), Serbian Cyrillic ([`cyrillic::transliterate`] of the Latin text, codes
/// and quoted values kept) and English.
pub use fiskal_domain::lang::Lang;
