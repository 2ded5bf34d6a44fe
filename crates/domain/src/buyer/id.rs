//! Parsing and checking a buyer ID (`buyerId`), with its errors and warnings in English and
//! Serbian (receipt.md §8).

use std::fmt;

use super::kind::{BuyerIdKind, ValueRule};
use super::{BUYER_ID_MAX_LEN, DOCUMENT_NUMBER_MAX_LEN, all_digits};
use crate::ids::{jmbg_check_digit_valid, pib_check_digit_valid};

/// Why a buyer ID was rejected. `Display` gives the English sentence ([`BuyerIdError::message_en`]);
/// [`BuyerIdError::message_sr`] gives the Serbian one for cashiers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuyerIdError {
    /// The buyer ID is an empty string (leave the field out instead).
    #[error(
        "The buyer ID is empty. Enter it as code:number, e.g. 10:123456789, or leave the field out."
    )]
    Empty,
    /// The buyer ID contains a character outside printable ASCII (non-ASCII letters, tabs, ...).
    #[error(
        "The buyer ID contains the character \u{201c}{ch}\u{201d}; only English letters, digits and the signs : - and space are allowed."
    )]
    BadCharacter {
        /// The offending character.
        ch: char,
    },
    /// The whole buyer ID is longer than 20 characters.
    #[error("The buyer ID has {len} characters; at most 20 are allowed, code and colon included.")]
    TooLong {
        /// Length in characters.
        len: usize,
    },
    /// The buyer ID has no `code:` prefix.
    #[error(
        "The buyer ID \u{201c}{value}\u{201d} has no document code. Enter it as code:number, e.g. 10:123456789."
    )]
    MissingPrefix {
        /// The text entered.
        value: String,
    },
    /// The code before the colon is not in the codebook.
    #[error("\u{201c}{code}\u{201d} is not a known buyer ID code.")]
    UnknownCode {
        /// The code entered.
        code: String,
    },
    /// Nothing follows the code.
    #[error("No number follows the code {kind}.")]
    EmptyValue {
        /// The kind named by the code.
        kind: BuyerIdKind,
    },
    /// A second colon in a code other than 12.
    #[error("Only code 12 (PIB and JBKJS) may contain a second colon.")]
    UnexpectedColon {
        /// The kind named by the code.
        kind: BuyerIdKind,
    },
    /// A PIB (codes 10 and 14) is not exactly 9 digits.
    #[error("A PIB has exactly 9 digits, not \u{201c}{value}\u{201d}.")]
    PibFormat {
        /// The value entered.
        value: String,
    },
    /// A PIB has a wrong check digit.
    #[error("PIB {pib} does not have a valid check digit.")]
    PibCheckDigit {
        /// The PIB.
        pib: String,
    },
    /// Code 12 is not `PIB:JBKJS` (9 digits, colon, 5 digits).
    #[error(
        "For code 12 enter the PIB and the JBKJS as 123456789:12345 (9 digits, colon, 5 digits), not \u{201c}{value}\u{201d}."
    )]
    PibJbkjsFormat {
        /// The value entered.
        value: String,
    },
    /// A JMBG (codes 11 and 15) is not exactly 13 digits.
    #[error("A JMBG has exactly 13 digits, not \u{201c}{value}\u{201d}.")]
    JmbgFormat {
        /// The value entered.
        value: String,
    },
    /// A BPG (code 16) is not 1–17 digits.
    #[error(
        "The agricultural holding number (BPG) has 1 to 17 digits, not \u{201c}{value}\u{201d}."
    )]
    DigitsFormat {
        /// The value entered.
        value: String,
    },
    /// A document number is not 1–17 letters or digits.
    #[error("{} has 1 to 17 letters or digits without spaces or other signs, not \u{201c}{value}\u{201d}.", kind.describe_en())]
    DocumentNumberFormat {
        /// The kind named by the code.
        kind: BuyerIdKind,
        /// The value entered.
        value: String,
    },
    /// A foreign TIN (code 40) is not 1–17 letters, digits, spaces and hyphens.
    #[error(
        "A foreign tax ID has 1 to 17 letters, digits, spaces or hyphens, starting and ending with a letter or digit, not \u{201c}{value}\u{201d}."
    )]
    ForeignTinFormat {
        /// The value entered.
        value: String,
    },
}

impl BuyerIdError {
    /// The English sentence (same as `Display`).
    pub fn message_en(&self) -> String {
        self.to_string()
    }

    /// The Serbian sentence (Latin script) for the cashier.
    pub fn message_sr(&self) -> String {
        use BuyerIdError::*;
        match self {
            Empty => "ID kupca je prazan. Upišite ga u obliku šifra:broj, npr. 10:123456789, ili ostavite polje prazno.".into(),
            BadCharacter { ch } => format!("ID kupca sadrži znak „{ch}“; dozvoljena su samo slova engleske abecede, cifre i znakovi : - i razmak."),
            TooLong { len } => format!("ID kupca ima {len} znakova; dozvoljeno je najviše 20, sa šifrom i dvotačkom."),
            MissingPrefix { value } => format!("ID kupca „{value}“ nema šifru vrste dokumenta. Upišite ga u obliku šifra:broj, npr. 10:123456789."),
            UnknownCode { code } => format!("„{code}“ nije poznata šifra ID kupca."),
            EmptyValue { kind } => format!("Posle šifre {kind} nije upisan broj."),
            UnexpectedColon { .. } => "Samo šifra 12 (PIB i JBKJS) sme da sadrži drugu dvotačku.".into(),
            PibFormat { value } => format!("PIB ima tačno 9 cifara, a upisano je „{value}“."),
            PibCheckDigit { pib } => format!("PIB {pib} nema ispravnu kontrolnu cifru."),
            PibJbkjsFormat { value } => format!("Za šifru 12 upišite PIB i JBKJS u obliku 123456789:12345 (9 cifara, dvotačka, 5 cifara), a upisano je „{value}“."),
            JmbgFormat { value } => format!("JMBG ima tačno 13 cifara, a upisano je „{value}“."),
            DigitsFormat { value } => format!("Broj poljoprivrednog gazdinstva (BPG) ima od 1 do 17 cifara, a upisano je „{value}“."),
            DocumentNumberFormat { kind, value } => format!("{} ima od 1 do 17 slova ili cifara, bez razmaka i drugih znakova, a upisano je „{value}“.", kind.describe_sr()),
            ForeignTinFormat { value } => format!("Poreski broj strane države ima od 1 do 17 slova, cifara, razmaka ili crtica i počinje i završava se slovom ili cifrom, a upisano je „{value}“."),
        }
    }
}

/// A buyer ID accepted with a reservation the cashier should see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuyerIdWarning {
    /// A JMBG whose check digit does not match (accepted: some issued JMBGs break the rule).
    #[error("The check digit of JMBG {jmbg} does not match; check that it was typed correctly.")]
    JmbgCheckDigit {
        /// The JMBG.
        jmbg: String,
    },
}

impl BuyerIdWarning {
    /// The English sentence (same as `Display`).
    pub fn message_en(&self) -> String {
        self.to_string()
    }

    /// The Serbian sentence (Latin script) for the cashier.
    pub fn message_sr(&self) -> String {
        match self {
            BuyerIdWarning::JmbgCheckDigit { jmbg } => {
                format!(
                    "Kontrolna cifra JMBG {jmbg} se ne slaže; proverite da li je ispravno upisan."
                )
            }
        }
    }
}

/// A buyer ID (`buyerId`) checked by the ESIR rules of receipt.md §8. `Display` gives `code:value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BuyerId {
    /// The kind named by the code.
    pub kind: BuyerIdKind,
    /// The text after `code:` (for code 12 `PIB:JBKJS`).
    pub value: String,
}

fn is_document_number(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= DOCUMENT_NUMBER_MAX_LEN
        && v.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl BuyerId {
    /// Parses and checks a buyer ID: known code, whole value ≤ 20 ASCII characters, and per code
    /// a PIB with a valid check digit (10, 14), `PIB:JBKJS` (12), 13 JMBG digits (11, 15; a wrong
    /// check digit is only a warning), 1–17 digits (16), 1–17 letters or digits (document numbers)
    /// or 1–17 letters, digits, spaces and hyphens (40). The text must be exact: no surrounding
    /// spaces.
    pub fn parse(s: &str) -> Result<(BuyerId, Vec<BuyerIdWarning>), BuyerIdError> {
        if s.is_empty() {
            return Err(BuyerIdError::Empty);
        }
        if let Some(ch) = s.chars().find(|c| !(' '..='~').contains(c)) {
            return Err(BuyerIdError::BadCharacter { ch });
        }
        if s.len() > BUYER_ID_MAX_LEN {
            return Err(BuyerIdError::TooLong { len: s.len() });
        }
        let Some((code, value)) = s.split_once(':') else {
            return Err(BuyerIdError::MissingPrefix {
                value: s.to_string(),
            });
        };
        let kind = BuyerIdKind::from_code(code).ok_or_else(|| BuyerIdError::UnknownCode {
            code: code.to_string(),
        })?;
        if value.is_empty() {
            return Err(BuyerIdError::EmptyValue { kind });
        }
        let rule = kind.rule();
        if value.contains(':') && rule != ValueRule::PibJbkjs {
            return Err(BuyerIdError::UnexpectedColon { kind });
        }
        let mut warnings = Vec::new();
        let v = value.to_string();
        match rule {
            ValueRule::Pib => {
                if v.len() != 9 || !all_digits(&v) {
                    return Err(BuyerIdError::PibFormat { value: v });
                }
                if !pib_check_digit_valid(&v) {
                    return Err(BuyerIdError::PibCheckDigit { pib: v });
                }
            }
            ValueRule::PibJbkjs => {
                let ok = value.split_once(':').filter(|(p, j)| {
                    p.len() == 9 && all_digits(p) && j.len() == 5 && all_digits(j)
                });
                let Some((pib, _)) = ok else {
                    return Err(BuyerIdError::PibJbkjsFormat { value: v });
                };
                if !pib_check_digit_valid(pib) {
                    return Err(BuyerIdError::PibCheckDigit {
                        pib: pib.to_string(),
                    });
                }
            }
            ValueRule::Jmbg => {
                if v.len() != 13 || !all_digits(&v) {
                    return Err(BuyerIdError::JmbgFormat { value: v });
                }
                if !jmbg_check_digit_valid(&v) {
                    warnings.push(BuyerIdWarning::JmbgCheckDigit { jmbg: v.clone() });
                }
            }
            ValueRule::Digits => {
                if v.len() > DOCUMENT_NUMBER_MAX_LEN || !all_digits(&v) {
                    return Err(BuyerIdError::DigitsFormat { value: v });
                }
            }
            ValueRule::DocumentNumber => {
                if !is_document_number(&v) {
                    return Err(BuyerIdError::DocumentNumberFormat { kind, value: v });
                }
            }
            ValueRule::ForeignTin => {
                let b = v.as_bytes();
                let edge_ok = |c: Option<&u8>| c.is_some_and(u8::is_ascii_alphanumeric);
                if v.len() > DOCUMENT_NUMBER_MAX_LEN
                    || !b
                        .iter()
                        .all(|c| c.is_ascii_alphanumeric() || *c == b' ' || *c == b'-')
                    || !edge_ok(b.first())
                    || !edge_ok(b.last())
                {
                    return Err(BuyerIdError::ForeignTinFormat { value: v });
                }
            }
        }
        Ok((BuyerId { kind, value: v }, warnings))
    }

    /// For codes 10, 12 and 14 the PIB (for 12 the part before the second colon).
    pub fn pib(&self) -> Option<&str> {
        match self.kind.rule() {
            ValueRule::Pib => Some(&self.value),
            ValueRule::PibJbkjs => self.value.split_once(':').map(|(p, _)| p),
            _ => None,
        }
    }
}

impl fmt::Display for BuyerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.code(), self.value)
    }
}

impl std::str::FromStr for BuyerId {
    type Err = BuyerIdError;
    /// Parses like [`BuyerId::parse`], dropping the warnings.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BuyerId::parse(s).map(|(id, _)| id)
    }
}
