//! UIDs, receipt counters (`267/303ПП`) and PFR invoice numbers (`requestedBy-signedBy-total`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::kinds::DocumentKind;

/// Errors parsing identifiers and counters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// A UID is not 8 uppercase ASCII letters or digits.
    #[error("a UID is 8 uppercase letters or digits, not {0:?}")]
    BadUid(String),
    /// An invoice counter does not have the form `123/456ПП`.
    #[error("an invoice counter looks like 267/303ПП, not {0:?}")]
    BadCounter(String),
    /// An invoice number does not have the form `UID-UID-counter`.
    #[error("a PFR invoice number looks like ABCD1234-ABCD1234-42, not {0:?}")]
    BadInvoiceNumber(String),
}

/// Secure-element or certificate UID (ЈИД): 8 uppercase ASCII letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uid(String);

impl Uid {
    /// Parses a UID.
    pub fn parse(s: &str) -> Result<Uid, IdError> {
        if s.len() == 8
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            Ok(Uid(s.to_string()))
        } else {
            Err(IdError::BadUid(s.to_string()))
        }
    }
    /// The UID text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Uid {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Uid::parse(&s)
    }
}
impl From<Uid> for String {
    fn from(u: Uid) -> String {
        u.0
    }
}
impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Receipt counter (бројач рачуна): `{transactionTypeCounter}/{totalCounter}{extension}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceCounter {
    /// Counter of this document kind.
    pub transaction_type_counter: u32,
    /// Counter of all documents.
    pub total_counter: u32,
    /// The document kind, giving the extension.
    pub kind: DocumentKind,
}

impl fmt::Display for InvoiceCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}{}",
            self.transaction_type_counter,
            self.total_counter,
            self.kind.extension()
        )
    }
}

impl FromStr for InvoiceCounter {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || IdError::BadCounter(s.to_string());
        let (tt, rest) = s.split_once('/').ok_or_else(bad)?;
        let digits_end = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (total, ext) = rest.split_at(digits_end);
        let num = |x: &str| -> Result<u32, IdError> {
            if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            x.parse().map_err(|_| bad())
        };
        Ok(InvoiceCounter {
            transaction_type_counter: num(tt)?,
            total_counter: num(total)?,
            kind: DocumentKind::from_extension(ext).ok_or_else(bad)?,
        })
    }
}

/// PFR invoice number (ПФР број рачуна): `{requestedBy}-{signedBy}-{totalCounter}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvoiceNumber {
    /// UID of the requester (L-PFR: the SE; V-PFR: the client certificate).
    pub requested_by: Uid,
    /// UID of the signing SE.
    pub signed_by: Uid,
    /// Total counter.
    pub total_counter: u32,
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}-{}",
            self.requested_by, self.signed_by, self.total_counter
        )
    }
}

impl FromStr for InvoiceNumber {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || IdError::BadInvoiceNumber(s.to_string());
        let mut parts = s.splitn(3, '-');
        let a = parts.next().ok_or_else(bad)?;
        let b = parts.next().ok_or_else(bad)?;
        let c = parts.next().ok_or_else(bad)?;
        if c.is_empty() || !c.bytes().all(|x| x.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(InvoiceNumber {
            requested_by: Uid::parse(a).map_err(|_| bad())?,
            signed_by: Uid::parse(b).map_err(|_| bad())?,
            total_counter: c.parse().map_err(|_| bad())?,
        })
    }
}

/// Checks the format of a referent document number: `^[0-9A-Za-z]{8}-[0-9A-Za-z]{8}-[0-9]+$`
/// (pfr-api.md §6.2; also covers pre-fiscalization `XXXXXXXX-XXXXXXXX-121`).
pub fn is_valid_referent_number(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 8
        && parts[1].len() == 8
        && parts[0].bytes().all(|b| b.is_ascii_alphanumeric())
        && parts[1].bytes().all(|b| b.is_ascii_alphanumeric())
        && !parts[2].is_empty()
        && parts[2].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{InvoiceType, TransactionType};

    #[test]
    fn counter_roundtrip() {
        let c: InvoiceCounter = "267/303ПП".parse().unwrap();
        assert_eq!(c.transaction_type_counter, 267);
        assert_eq!(c.total_counter, 303);
        assert_eq!(
            c.kind,
            DocumentKind::new(InvoiceType::Normal, TransactionType::Sale)
        );
        assert_eq!(c.to_string(), "267/303ПП");
        assert!("2/ЗКР".parse::<InvoiceCounter>().is_err());
        assert!("8652/11389 ПП".parse::<InvoiceCounter>().is_err());
        assert!("6/16NS".parse::<InvoiceCounter>().is_err());
    }

    #[test]
    fn invoice_number_roundtrip() {
        let n: InvoiceNumber = "YTSS6KKG-HJHR9EO0-289".parse().unwrap();
        assert_eq!(n.total_counter, 289);
        assert_eq!(n.to_string(), "YTSS6KKG-HJHR9EO0-289");
        assert!("YTSS6KKG-HJHR9EO0".parse::<InvoiceNumber>().is_err());
        assert!("ytss6kkg-HJHR9EO0-1".parse::<InvoiceNumber>().is_err());
    }

    #[test]
    fn uid_rules() {
        assert!(Uid::parse("YJLQTEQR").is_ok());
        assert!(Uid::parse("yjlqteqr").is_err());
        assert!(Uid::parse("YJLQTEQ").is_err());
    }
}
