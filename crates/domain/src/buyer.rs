//! Buyer IDs (`buyerId`) and optional buyer fields (`buyerCostCenterId`): codebook, prefixes and
//! check digits (receipt.md §8).
//!
//! A buyer ID is `code:value`, the code saying which document the value comes from (`10:` PIB of a
//! legal entity, `20:` ID card, `30:` foreign passport, ...). The PFR checks only length and
//! ASCII; fiskal's ESIR applies the stricter checks of [`BuyerId::parse`].
//!
//! ```
//! use fiskal_domain::buyer::{BuyerId, BuyerIdKind};
//! let (id, warnings) = BuyerId::parse("10:106884584").unwrap();
//! assert_eq!(id.kind, BuyerIdKind::PibLegalEntity);
//! assert!(warnings.is_empty());
//! assert_eq!(id.to_string(), "10:106884584");
//! let err = BuyerId::parse("10:123456789").unwrap_err();
//! assert_eq!(err.message_sr(), "PIB 123456789 nema ispravnu kontrolnu cifru.");
//! ```

use std::fmt;

use chrono::NaiveDate;

/// Maximum length of a whole buyer ID, code and colon included (TD).
pub const BUYER_ID_MAX_LEN: usize = 20;
/// Maximum length of a whole optional buyer field (`buyerCostCenterId`).
pub const COST_CENTER_MAX_LEN: usize = 50;
/// Maximum length of a document number after the code (receipt.md §8).
const DOCUMENT_NUMBER_MAX_LEN: usize = 17;

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

pub use crate::ids::{jmbg_check_digit_valid, pib_check_digit_valid};

/// Kind of buyer identification: the code before the colon of a buyer ID (receipt.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuyerIdKind {
    /// 10: PIB of a domestic legal entity (9 digits).
    PibLegalEntity,
    /// 11: JMBG of a domestic person with a self-employed activity (13 digits).
    JmbgSelfEmployed,
    /// 12: PIB and JBKJS of a public-funds user (`PIB:JBKJS`, 9 + 5 digits).
    PibJbkjs,
    /// 13: pension card number.
    PensionCard,
    /// 14: PIB of a legal entity or entrepreneur with an agricultural holding (9 digits).
    PibAgricultural,
    /// 15: JMBG of a person or entrepreneur with an agricultural holding (13 digits).
    JmbgAgricultural,
    /// 16: BPG, the agricultural holding number (digits).
    AgriculturalHoldingNumber,
    /// 20: domestic ID card number.
    IdCard,
    /// 21: refugee ID number.
    RefugeeId,
    /// 22: EBS of a foreigner residing in Serbia.
    ForeignerEbs,
    /// 23: domestic passport number.
    DomesticPassport,
    /// 30: foreign passport number.
    ForeignPassport,
    /// 31: diplomatic ID or ID card of a diplomat.
    DiplomaticId,
    /// 32: ID card of North Macedonia.
    IdCardNorthMacedonia,
    /// 33: ID card of Montenegro.
    IdCardMontenegro,
    /// 34: ID card of Albania.
    IdCardAlbania,
    /// 35: ID card of Bosnia and Herzegovina.
    IdCardBosniaHerzegovina,
    /// 36: ID card of an EU, Swiss, Norwegian or Icelandic citizen.
    IdCardEu,
    /// 40: foreign tax ID (TIN); may contain letters.
    ForeignTin,
}

/// What the ESIR accepts after the code of a buyer ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueRule {
    Pib,
    Jmbg,
    PibJbkjs,
    Digits,
    DocumentNumber,
    ForeignTin,
}

impl BuyerIdKind {
    /// All kinds in code order.
    pub const ALL: &'static [BuyerIdKind] = &[
        BuyerIdKind::PibLegalEntity,
        BuyerIdKind::JmbgSelfEmployed,
        BuyerIdKind::PibJbkjs,
        BuyerIdKind::PensionCard,
        BuyerIdKind::PibAgricultural,
        BuyerIdKind::JmbgAgricultural,
        BuyerIdKind::AgriculturalHoldingNumber,
        BuyerIdKind::IdCard,
        BuyerIdKind::RefugeeId,
        BuyerIdKind::ForeignerEbs,
        BuyerIdKind::DomesticPassport,
        BuyerIdKind::ForeignPassport,
        BuyerIdKind::DiplomaticId,
        BuyerIdKind::IdCardNorthMacedonia,
        BuyerIdKind::IdCardMontenegro,
        BuyerIdKind::IdCardAlbania,
        BuyerIdKind::IdCardBosniaHerzegovina,
        BuyerIdKind::IdCardEu,
        BuyerIdKind::ForeignTin,
    ];

    /// The two-digit code (`"10"`).
    pub fn code(self) -> &'static str {
        use BuyerIdKind::*;
        match self {
            PibLegalEntity => "10",
            JmbgSelfEmployed => "11",
            PibJbkjs => "12",
            PensionCard => "13",
            PibAgricultural => "14",
            JmbgAgricultural => "15",
            AgriculturalHoldingNumber => "16",
            IdCard => "20",
            RefugeeId => "21",
            ForeignerEbs => "22",
            DomesticPassport => "23",
            ForeignPassport => "30",
            DiplomaticId => "31",
            IdCardNorthMacedonia => "32",
            IdCardMontenegro => "33",
            IdCardAlbania => "34",
            IdCardBosniaHerzegovina => "35",
            IdCardEu => "36",
            ForeignTin => "40",
        }
    }

    /// The kind with this code, if any.
    pub fn from_code(code: &str) -> Option<BuyerIdKind> {
        BuyerIdKind::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// Description in Serbian (Latin script), e.g. `PIB domaćeg pravnog lica`.
    pub fn describe_sr(self) -> &'static str {
        use BuyerIdKind::*;
        match self {
            PibLegalEntity => "PIB domaćeg pravnog lica",
            JmbgSelfEmployed => "JMBG fizičkog lica koje obavlja samostalnu delatnost",
            PibJbkjs => "PIB i JBKJS korisnika javnih sredstava",
            PensionCard => "Broj penzionerske kartice",
            PibAgricultural => "PIB pravnog lica ili preduzetnika sa poljoprivrednim gazdinstvom",
            JmbgAgricultural => {
                "JMBG fizičkog lica ili preduzetnika sa poljoprivrednim gazdinstvom"
            }
            AgriculturalHoldingNumber => "Broj poljoprivrednog gazdinstva (BPG)",
            IdCard => "Broj lične karte",
            RefugeeId => "Broj izbegličke legitimacije",
            ForeignerEbs => "EBS stranog fizičkog lica koje boravi u Srbiji",
            DomesticPassport => "Broj domaćeg pasoša",
            ForeignPassport => "Broj stranog pasoša",
            DiplomaticId => "Broj diplomatske legitimacije ili lične karte diplomate",
            IdCardNorthMacedonia => "Broj lične karte izdate u Severnoj Makedoniji",
            IdCardMontenegro => "Broj lične karte izdate u Crnoj Gori",
            IdCardAlbania => "Broj lične karte izdate u Albaniji",
            IdCardBosniaHerzegovina => "Broj lične karte izdate u Bosni i Hercegovini",
            IdCardEu => "Broj lične karte državljanina EU, Švajcarske, Norveške ili Islanda",
            ForeignTin => "Poreski identifikacioni broj strane države",
        }
    }

    /// Description in English, e.g. `PIB of a domestic legal entity`.
    pub fn describe_en(self) -> &'static str {
        use BuyerIdKind::*;
        match self {
            PibLegalEntity => "PIB of a domestic legal entity",
            JmbgSelfEmployed => "JMBG of a domestic person with a self-employed activity",
            PibJbkjs => "PIB and JBKJS of a public-funds user",
            PensionCard => "Pension card number",
            PibAgricultural => "PIB of a legal entity or entrepreneur with an agricultural holding",
            JmbgAgricultural => "JMBG of a person or entrepreneur with an agricultural holding",
            AgriculturalHoldingNumber => "Agricultural holding number (BPG)",
            IdCard => "Domestic ID card number",
            RefugeeId => "Refugee ID number",
            ForeignerEbs => "EBS of a foreigner residing in Serbia",
            DomesticPassport => "Domestic passport number",
            ForeignPassport => "Foreign passport number",
            DiplomaticId => "Diplomatic ID or ID card of a diplomat",
            IdCardNorthMacedonia => "ID card of North Macedonia",
            IdCardMontenegro => "ID card of Montenegro",
            IdCardAlbania => "ID card of Albania",
            IdCardBosniaHerzegovina => "ID card of Bosnia and Herzegovina",
            IdCardEu => "ID card of an EU, Swiss, Norwegian or Icelandic citizen",
            ForeignTin => "Foreign tax ID (TIN)",
        }
    }

    /// Whether the value is a Serbian PIB (codes 10, 12 and 14).
    pub fn is_pib(self) -> bool {
        matches!(self.rule(), ValueRule::Pib | ValueRule::PibJbkjs)
    }

    /// Whether the value is a JMBG (codes 11 and 15).
    pub fn is_jmbg(self) -> bool {
        self.rule() == ValueRule::Jmbg
    }

    fn rule(self) -> ValueRule {
        use BuyerIdKind::*;
        match self {
            PibLegalEntity | PibAgricultural => ValueRule::Pib,
            JmbgSelfEmployed | JmbgAgricultural => ValueRule::Jmbg,
            PibJbkjs => ValueRule::PibJbkjs,
            AgriculturalHoldingNumber => ValueRule::Digits,
            ForeignTin => ValueRule::ForeignTin,
            _ => ValueRule::DocumentNumber,
        }
    }
}

impl fmt::Display for BuyerIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether a buyer ID of this kind may be offered for an on-the-spot cash refund: false for the
/// JMBG codes 11 and 15 (OBAV: no JMBG is asked of the buyer).
pub fn is_allowed_for_cash_refund(kind: BuyerIdKind) -> bool {
    !kind.is_jmbg()
}

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

/// Kind of optional buyer field (`buyerCostCenterId`): the code before the colon (receipt.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CostCenterKind {
    /// 20: SNPDV form number (VAT exemption, official use by diplomatic missions).
    SnpdvForm,
    /// 21: LNPDV form number (personal use by diplomats).
    LnpdvForm,
    /// 30: PPO-PDV confirmation number at PURS.
    PpoPdv,
    /// 31: ZPPO-PDV confirmation number.
    ZppoPdv,
    /// 32: MPPO-PDV confirmation number.
    MppoPdv,
    /// 33: IPPO-PDV confirmation number.
    IppoPdv,
    /// 50: corporate card number; the payment is always Voucher.
    CorporateCard,
    /// 60: the calendar period whose corporate-card sales one Normal Refund refunds
    /// (`ddmmgggg_ddmmgggg`).
    CorporateCardPeriod,
}

impl CostCenterKind {
    /// All kinds in code order.
    pub const ALL: &'static [CostCenterKind] = &[
        CostCenterKind::SnpdvForm,
        CostCenterKind::LnpdvForm,
        CostCenterKind::PpoPdv,
        CostCenterKind::ZppoPdv,
        CostCenterKind::MppoPdv,
        CostCenterKind::IppoPdv,
        CostCenterKind::CorporateCard,
        CostCenterKind::CorporateCardPeriod,
    ];

    /// The two-digit code (`"20"`).
    pub fn code(self) -> &'static str {
        use CostCenterKind::*;
        match self {
            SnpdvForm => "20",
            LnpdvForm => "21",
            PpoPdv => "30",
            ZppoPdv => "31",
            MppoPdv => "32",
            IppoPdv => "33",
            CorporateCard => "50",
            CorporateCardPeriod => "60",
        }
    }

    /// The kind with this code, if any.
    pub fn from_code(code: &str) -> Option<CostCenterKind> {
        CostCenterKind::ALL
            .iter()
            .copied()
            .find(|k| k.code() == code)
    }

    /// Description in Serbian (Latin script).
    pub fn describe_sr(self) -> &'static str {
        use CostCenterKind::*;
        match self {
            SnpdvForm => "Broj obrasca SNPDV (službene potrebe diplomatskih misija)",
            LnpdvForm => "Broj obrasca LNPDV (lične potrebe diplomata)",
            PpoPdv => "Broj potvrde PPO-PDV kod PURS",
            ZppoPdv => "Broj potvrde ZPPO-PDV",
            MppoPdv => "Broj potvrde MPPO-PDV",
            IppoPdv => "Broj potvrde IPPO-PDV",
            CorporateCard => "Broj korporativne kartice",
            CorporateCardPeriod => "Period prodaje korporativnom karticom koji se refundira",
        }
    }

    /// Description in English.
    pub fn describe_en(self) -> &'static str {
        use CostCenterKind::*;
        match self {
            SnpdvForm => "SNPDV form number (official use by diplomatic missions)",
            LnpdvForm => "LNPDV form number (personal use by diplomats)",
            PpoPdv => "PPO-PDV confirmation number at PURS",
            ZppoPdv => "ZPPO-PDV confirmation number",
            MppoPdv => "MPPO-PDV confirmation number",
            IppoPdv => "IPPO-PDV confirmation number",
            CorporateCard => "Corporate card number",
            CorporateCardPeriod => "Period of corporate-card sales being refunded",
        }
    }
}

impl fmt::Display for CostCenterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why an optional buyer field was rejected. `Display` gives the English sentence;
/// [`CostCenterError::message_sr`] the Serbian one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CostCenterError {
    /// The field is an empty string (leave it out instead).
    #[error("The optional buyer field is empty. Enter it as code:number or leave it out.")]
    Empty,
    /// The field is longer than 50 characters.
    #[error("The optional buyer field has {len} characters; at most 50 are allowed.")]
    TooLong {
        /// Length in characters.
        len: usize,
    },
    /// The field has no `code:` prefix.
    #[error(
        "The optional buyer field \u{201c}{value}\u{201d} has no code. Enter it as code:number, e.g. 30:099999999."
    )]
    MissingPrefix {
        /// The text entered.
        value: String,
    },
    /// The code is not in the codebook.
    #[error("\u{201c}{code}\u{201d} is not a known code of the optional buyer field.")]
    UnknownCode {
        /// The code entered.
        code: String,
    },
    /// The value is not letters and digits only.
    #[error("After code {kind} enter only letters and digits, not \u{201c}{value}\u{201d}.")]
    BadValue {
        /// The kind named by the code.
        kind: CostCenterKind,
        /// The value entered.
        value: String,
    },
    /// Code 60 is not `ddmmgggg_ddmmgggg`.
    #[error(
        "For code 60 enter the period as ddmmyyyy_ddmmyyyy, e.g. 01032022_31032022, not \u{201c}{value}\u{201d}."
    )]
    BadPeriod {
        /// The value entered.
        value: String,
    },
    /// A date of the code-60 period does not exist.
    #[error("{date} is not a valid date (ddmmyyyy).")]
    BadDate {
        /// The eight digits entered.
        date: String,
    },
    /// The first date of the code-60 period is after the second.
    #[error("The start date {from} is after the end date {to}.")]
    PeriodReversed {
        /// First date as entered.
        from: String,
        /// Second date as entered.
        to: String,
    },
}

impl CostCenterError {
    /// The English sentence (same as `Display`).
    pub fn message_en(&self) -> String {
        self.to_string()
    }

    /// The Serbian sentence (Latin script) for the cashier.
    pub fn message_sr(&self) -> String {
        use CostCenterError::*;
        match self {
            Empty => "Opciono polje kupca je prazno. Upišite ga u obliku šifra:broj ili ga ostavite prazno.".into(),
            TooLong { len } => format!("Opciono polje kupca ima {len} znakova; dozvoljeno je najviše 50."),
            MissingPrefix { value } => format!("Opciono polje kupca „{value}“ nema šifru. Upišite ga u obliku šifra:broj, npr. 30:099999999."),
            UnknownCode { code } => format!("„{code}“ nije poznata šifra opcionog polja kupca."),
            BadValue { kind, value } => format!("Posle šifre {kind} upišite samo slova i cifre, a upisano je „{value}“."),
            BadPeriod { value } => format!("Za šifru 60 upišite period u obliku ddmmgggg_ddmmgggg, npr. 01032022_31032022, a upisano je „{value}“."),
            BadDate { date } => format!("{date} nije ispravan datum (ddmmgggg)."),
            PeriodReversed { from, to } => format!("Početni datum {from} je posle krajnjeg datuma {to}."),
        }
    }
}

/// An optional buyer field (`buyerCostCenterId`), e.g. `30:099999999` or `60:01032022_31032022`.
/// `Display` gives `code:value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BuyerCostCenterId {
    /// The kind named by the code.
    pub kind: CostCenterKind,
    /// The text after `code:`.
    pub value: String,
}

fn parse_ddmmyyyy(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !all_digits(s) {
        return None;
    }
    let d = s[0..2].parse().ok()?;
    let m = s[2..4].parse().ok()?;
    let y = s[4..8].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

impl BuyerCostCenterId {
    /// Parses and checks an optional buyer field: known code, at most 50 characters, a value of
    /// ASCII letters and digits, and for code 60 exactly `ddmmgggg_ddmmgggg` with valid dates, the
    /// first not after the second.
    pub fn parse(s: &str) -> Result<BuyerCostCenterId, CostCenterError> {
        if s.is_empty() {
            return Err(CostCenterError::Empty);
        }
        let len = s.chars().count();
        if len > COST_CENTER_MAX_LEN {
            return Err(CostCenterError::TooLong { len });
        }
        let Some((code, value)) = s.split_once(':') else {
            return Err(CostCenterError::MissingPrefix {
                value: s.to_string(),
            });
        };
        let kind = CostCenterKind::from_code(code).ok_or_else(|| CostCenterError::UnknownCode {
            code: code.to_string(),
        })?;
        let v = value.to_string();
        if kind == CostCenterKind::CorporateCardPeriod {
            let Some((a, b)) = value.split_once('_') else {
                return Err(CostCenterError::BadPeriod { value: v });
            };
            if a.len() != 8 || b.len() != 8 || !all_digits(a) || !all_digits(b) {
                return Err(CostCenterError::BadPeriod { value: v });
            }
            let from =
                parse_ddmmyyyy(a).ok_or_else(|| CostCenterError::BadDate { date: a.into() })?;
            let to =
                parse_ddmmyyyy(b).ok_or_else(|| CostCenterError::BadDate { date: b.into() })?;
            if from > to {
                return Err(CostCenterError::PeriodReversed {
                    from: a.into(),
                    to: b.into(),
                });
            }
        } else if value.is_empty() || !value.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(CostCenterError::BadValue { kind, value: v });
        }
        Ok(BuyerCostCenterId { kind, value: v })
    }

    /// For code 60 the first and last day of the period.
    pub fn period(&self) -> Option<(NaiveDate, NaiveDate)> {
        if self.kind != CostCenterKind::CorporateCardPeriod {
            return None;
        }
        let (a, b) = self.value.split_once('_')?;
        Some((parse_ddmmyyyy(a)?, parse_ddmmyyyy(b)?))
    }
}

impl fmt::Display for BuyerCostCenterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.code(), self.value)
    }
}

impl std::str::FromStr for BuyerCostCenterId {
    type Err = CostCenterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BuyerCostCenterId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (BuyerId, Vec<BuyerIdWarning>) {
        BuyerId::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> BuyerIdError {
        match BuyerId::parse(s) {
            Ok(v) => panic!("{s} accepted as {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn pib_check_digits() {
        for good in [
            "106884584",
            "109952524",
            "111911206",
            "109262972",
            "100223617",
        ] {
            assert!(pib_check_digit_valid(good), "{good}");
        }
        for bad in [
            "123456789",
            "111111111",
            "512456789",
            "123123123",
            "10688458",
            "1068845840",
            "10688458a",
            "",
        ] {
            assert!(!pib_check_digit_valid(bad), "{bad}");
        }
        // Every wrong last digit of a valid PIB fails.
        for d in 0..10 {
            let s = format!("10688458{d}");
            assert_eq!(pib_check_digit_valid(&s), d == 4, "{s}");
        }
    }

    #[test]
    fn jmbg_check_digits() {
        assert!(jmbg_check_digit_valid("0101006500006"));
        assert!(!jmbg_check_digit_valid("0101006500007"));
        assert!(!jmbg_check_digit_valid("010100650000"));
        assert!(!jmbg_check_digit_valid("010100650000a"));
        // m = 11 gives check digit 0: a sum divisible by 11.
        // 0000000000000 has sum 0, m = 11 → 0.
        assert!(jmbg_check_digit_valid("0000000000000"));
    }

    #[test]
    fn kinds_codebook() {
        assert_eq!(BuyerIdKind::ALL.len(), 19);
        let codes: Vec<&str> = BuyerIdKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes,
            [
                "10", "11", "12", "13", "14", "15", "16", "20", "21", "22", "23", "30", "31", "32",
                "33", "34", "35", "36", "40"
            ]
        );
        for &k in BuyerIdKind::ALL {
            assert_eq!(BuyerIdKind::from_code(k.code()), Some(k));
            assert!(!k.describe_sr().is_empty() && !k.describe_en().is_empty());
        }
        assert_eq!(
            BuyerIdKind::PibLegalEntity.describe_sr(),
            "PIB domaćeg pravnog lica"
        );
        assert_eq!(BuyerIdKind::from_code("99"), None);
    }

    #[test]
    fn cash_refund_excludes_jmbg() {
        let excluded: Vec<&str> = BuyerIdKind::ALL
            .iter()
            .filter(|k| !is_allowed_for_cash_refund(**k))
            .map(|k| k.code())
            .collect();
        assert_eq!(excluded, ["11", "15"]);
    }

    #[test]
    fn pib_codes() {
        for code in ["10", "14"] {
            let (id, w) = ok(&format!("{code}:106884584"));
            assert!(w.is_empty());
            assert_eq!(id.pib(), Some("106884584"));
            assert_eq!(id.to_string(), format!("{code}:106884584"));
            assert!(matches!(
                err(&format!("{code}:123456789")),
                BuyerIdError::PibCheckDigit { .. }
            ));
            assert!(matches!(
                err(&format!("{code}:12345678")),
                BuyerIdError::PibFormat { .. }
            ));
            assert!(matches!(
                err(&format!("{code}:10688458A")),
                BuyerIdError::PibFormat { .. }
            ));
        }
        assert!(matches!(
            err("10:123456789:54321"),
            BuyerIdError::UnexpectedColon { .. }
        ));
        assert_eq!(
            err("10:123456789").message_sr(),
            "PIB 123456789 nema ispravnu kontrolnu cifru."
        );
        assert_eq!(
            err("10:123456789").message_en(),
            "PIB 123456789 does not have a valid check digit."
        );
    }

    #[test]
    fn pib_jbkjs_code_12() {
        let (id, _) = ok("12:106884584:54321");
        assert_eq!(id.kind, BuyerIdKind::PibJbkjs);
        assert_eq!(id.pib(), Some("106884584"));
        assert!(matches!(
            err("12:123456789:54321"),
            BuyerIdError::PibCheckDigit { .. }
        ));
        assert!(matches!(
            err("12:106884584"),
            BuyerIdError::PibJbkjsFormat { .. }
        ));
        assert!(matches!(
            err("12:106884584:5432"),
            BuyerIdError::PibJbkjsFormat { .. }
        ));
        assert!(matches!(
            err("12:106884584:5432A"),
            BuyerIdError::PibJbkjsFormat { .. }
        ));
        assert!(matches!(
            err("12:106884584:54321:"),
            BuyerIdError::PibJbkjsFormat { .. }
        ));
    }

    #[test]
    fn jmbg_codes_warn_on_check_digit() {
        for code in ["11", "15"] {
            let (id, w) = ok(&format!("{code}:0101006500006"));
            assert!(w.is_empty());
            assert!(id.kind.is_jmbg());
            let (_, w) = ok(&format!("{code}:0101006500007"));
            assert_eq!(
                w,
                vec![BuyerIdWarning::JmbgCheckDigit {
                    jmbg: "0101006500007".into()
                }]
            );
            assert!(w[0].message_sr().contains("0101006500007"));
            assert!(matches!(
                err(&format!("{code}:010100650000")),
                BuyerIdError::JmbgFormat { .. }
            ));
        }
    }

    #[test]
    fn bpg_code_16() {
        ok("16:123");
        ok("16:12345678901234567");
        assert!(matches!(err("16:A123"), BuyerIdError::DigitsFormat { .. }));
    }

    #[test]
    fn document_number_codes() {
        for &k in BuyerIdKind::ALL {
            if k.rule() != ValueRule::DocumentNumber {
                continue;
            }
            let c = k.code();
            let (id, w) = ok(&format!("{c}:PP3456789"));
            assert_eq!(id.kind, k);
            assert!(w.is_empty());
            ok(&format!("{c}:12345678901234567"));
            assert!(matches!(
                err(&format!("{c}:123456789012345678")),
                BuyerIdError::TooLong { .. }
            ));
            assert!(matches!(
                err(&format!("{c}:PP 123")),
                BuyerIdError::DocumentNumberFormat { .. }
            ));
            assert!(matches!(
                err(&format!("{c}:PP-123")),
                BuyerIdError::DocumentNumberFormat { .. }
            ));
            assert!(matches!(
                err(&format!("{c}:")),
                BuyerIdError::EmptyValue { .. }
            ));
        }
        let e = err("20:AB-1");
        assert!(
            e.message_sr()
                .starts_with("Broj lične karte ima od 1 do 17"),
            "{}",
            e.message_sr()
        );
    }

    #[test]
    fn foreign_tin_code_40() {
        ok("40:DE 123-456");
        ok("40:DE-12345678901234");
        assert!(matches!(
            err("40:DE-123456789012345"),
            BuyerIdError::TooLong { len: 21 }
        ));
        assert!(matches!(
            err("40:DE_123"),
            BuyerIdError::ForeignTinFormat { .. }
        ));
        assert!(matches!(
            err("40: DE123"),
            BuyerIdError::ForeignTinFormat { .. }
        ));
        assert!(matches!(
            err("40:DE123-"),
            BuyerIdError::ForeignTinFormat { .. }
        ));
    }

    #[test]
    fn general_rejections() {
        assert_eq!(err(""), BuyerIdError::Empty);
        assert!(matches!(
            err("RS34564565"),
            BuyerIdError::MissingPrefix { .. }
        ));
        assert!(matches!(err("99:123456"), BuyerIdError::UnknownCode { .. }));
        assert!(matches!(err("1:123456"), BuyerIdError::UnknownCode { .. }));
        assert_eq!(err("20:ЛК12345"), BuyerIdError::BadCharacter { ch: 'Л' });
        assert!(matches!(err("20:AB\t1"), BuyerIdError::BadCharacter { .. }));
        assert!(matches!(err(" 20:AB1"), BuyerIdError::UnknownCode { .. }));
        assert_eq!(
            "20:0023456".parse::<BuyerId>().unwrap().kind,
            BuyerIdKind::IdCard
        );
    }

    #[test]
    fn cost_center_codes() {
        assert_eq!(CostCenterKind::ALL.len(), 8);
        for &k in CostCenterKind::ALL {
            assert_eq!(CostCenterKind::from_code(k.code()), Some(k));
            if k != CostCenterKind::CorporateCardPeriod {
                let c = BuyerCostCenterId::parse(&format!("{}:AB123", k.code())).unwrap();
                assert_eq!(c.kind, k);
                assert_eq!(c.to_string(), format!("{}:AB123", k.code()));
                assert_eq!(c.period(), None);
                assert!(matches!(
                    BuyerCostCenterId::parse(&format!("{}:AB 123", k.code())),
                    Err(CostCenterError::BadValue { .. })
                ));
                assert!(matches!(
                    BuyerCostCenterId::parse(&format!("{}:", k.code())),
                    Err(CostCenterError::BadValue { .. })
                ));
            }
        }
        let p = BuyerCostCenterId::parse("60:01032022_31032022").unwrap();
        assert_eq!(
            p.period(),
            Some((
                NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(),
                NaiveDate::from_ymd_opt(2022, 3, 31).unwrap()
            ))
        );
        BuyerCostCenterId::parse("60:01032022_01032022").unwrap();
        assert!(matches!(
            BuyerCostCenterId::parse("60:31032022_01032022"),
            Err(CostCenterError::PeriodReversed { .. })
        ));
        assert!(matches!(
            BuyerCostCenterId::parse("60:30022022_31032022"),
            Err(CostCenterError::BadDate { .. })
        ));
        assert!(matches!(
            BuyerCostCenterId::parse("60:01032022-31032022"),
            Err(CostCenterError::BadPeriod { .. })
        ));
        assert!(matches!(
            BuyerCostCenterId::parse("60:1032022_31032022"),
            Err(CostCenterError::BadPeriod { .. })
        ));
        assert!(matches!(
            BuyerCostCenterId::parse("10:099999999"),
            Err(CostCenterError::UnknownCode { .. })
        ));
        assert!(matches!(
            BuyerCostCenterId::parse("099999999"),
            Err(CostCenterError::MissingPrefix { .. })
        ));
        assert!(matches!(
            BuyerCostCenterId::parse(""),
            Err(CostCenterError::Empty)
        ));
        let long = format!("30:{}", "1".repeat(48));
        assert!(matches!(
            BuyerCostCenterId::parse(&long),
            Err(CostCenterError::TooLong { len: 51 })
        ));
        BuyerCostCenterId::parse(&long[..50]).unwrap();
        assert_eq!(
            BuyerCostCenterId::parse("60:31032022_01032022")
                .unwrap_err()
                .message_sr(),
            "Početni datum 31032022 je posle krajnjeg datuma 01032022."
        );
    }
}
