//! The optional buyer field (`buyerCostCenterId`): its codebook, parsing and errors
//! (receipt.md §8).

use std::fmt;

use chrono::NaiveDate;

use super::{COST_CENTER_MAX_LEN, all_digits};

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
