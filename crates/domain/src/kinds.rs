//! The ten document kinds (five invoice types × two transaction types) and the payment methods.

use serde::{Deserialize, Serialize};

/// Invoice type (врста рачуна). Numeric codes as in the PFR API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InvoiceType {
    /// 0: Normal (Промет), a fiscal receipt.
    Normal,
    /// 1: ProForma (Предрачун), not a fiscal receipt.
    ProForma,
    /// 2: Copy (Копија) of an earlier Normal or Advance receipt, not a fiscal receipt.
    Copy,
    /// 3: Training (Обука), not a fiscal receipt.
    Training,
    /// 4: Advance (Аванс), a fiscal receipt.
    Advance,
}

/// Transaction type (тип трансакције).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransactionType {
    /// 0: Sale (Продаја).
    Sale,
    /// 1: Refund (Рефундација); also cancellation of an erroneous receipt.
    Refund,
}

/// Payment method (начин плаћања).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaymentType {
    /// 0: other cashless payment.
    Other,
    /// 1: cash.
    Cash,
    /// 2: payment card.
    Card,
    /// 3: check.
    Check,
    /// 4: wire transfer.
    WireTransfer,
    /// 5: voucher.
    Voucher,
    /// 6: instant (mobile) payment.
    MobileMoney,
}

macro_rules! code_enum {
    ($t:ty, $($v:ident = $n:expr, $name:expr);+ $(;)?) => {
        impl $t {
            /// All values in code order.
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];
            /// The numeric code used on the wire.
            pub fn code(self) -> u8 { match self { $(<$t>::$v => $n),+ } }
            /// The value with the given numeric code.
            pub fn from_code(c: u64) -> Option<Self> { match c { $($n => Some(<$t>::$v),)+ _ => None } }
            /// The PascalCase English name (`"Normal"`, `"WireTransfer"`).
            pub fn name(self) -> &'static str { match self { $(<$t>::$v => $name),+ } }
            /// Parses a name case-insensitively (`"normal"`, `"Normal"`, `"wireTransfer"`) or a
            /// decimal code given as text.
            pub fn parse_name(s: &str) -> Option<Self> {
                $(if s.eq_ignore_ascii_case($name) { return Some(<$t>::$v); })+
                s.trim().parse::<u64>().ok().and_then(Self::from_code)
            }
        }
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u8(self.code())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = serde_json::Value::deserialize(d)?;
                let r = match &v {
                    serde_json::Value::Number(n) => n.as_u64().and_then(Self::from_code),
                    serde_json::Value::String(s) => Self::parse_name(s),
                    _ => None,
                };
                r.ok_or_else(|| serde::de::Error::custom(format!("invalid {} value {v}", stringify!($t))))
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.name()) }
        }
    };
}

code_enum!(InvoiceType, Normal = 0, "Normal"; ProForma = 1, "ProForma"; Copy = 2, "Copy"; Training = 3, "Training"; Advance = 4, "Advance");
code_enum!(TransactionType, Sale = 0, "Sale"; Refund = 1, "Refund");
code_enum!(PaymentType, Other = 0, "Other"; Cash = 1, "Cash"; Card = 2, "Card"; Check = 3, "Check"; WireTransfer = 4, "WireTransfer"; Voucher = 5, "Voucher"; MobileMoney = 6, "MobileMoney");

impl InvoiceType {
    /// Cyrillic letter of the counter extension: П, Р, К, О, А.
    pub fn extension_letter(self) -> char {
        match self {
            InvoiceType::Normal => 'П',
            InvoiceType::ProForma => 'Р',
            InvoiceType::Copy => 'К',
            InvoiceType::Training => 'О',
            InvoiceType::Advance => 'А',
        }
    }

    /// Serbian name in capitals as on the journal's type line.
    pub fn serbian_caps(self) -> &'static str {
        match self {
            InvoiceType::Normal => "ПРОМЕТ",
            InvoiceType::ProForma => "ПРЕДРАЧУН",
            InvoiceType::Copy => "КОПИЈА",
            InvoiceType::Training => "ОБУКА",
            InvoiceType::Advance => "АВАНС",
        }
    }

    /// Whether documents of this type are fiscal receipts (Normal and Advance only).
    pub fn is_fiscal_receipt(self) -> bool {
        matches!(self, InvoiceType::Normal | InvoiceType::Advance)
    }
}

impl TransactionType {
    /// Cyrillic letter of the counter extension: П (продаја) or Р (рефундација).
    pub fn extension_letter(self) -> char {
        match self {
            TransactionType::Sale => 'П',
            TransactionType::Refund => 'Р',
        }
    }

    /// Serbian name in capitals.
    pub fn serbian_caps(self) -> &'static str {
        match self {
            TransactionType::Sale => "ПРОДАЈА",
            TransactionType::Refund => "РЕФУНДАЦИЈА",
        }
    }
}

impl PaymentType {
    /// Label printed in the journal (receipt.md §9).
    pub fn journal_label(self) -> &'static str {
        match self {
            PaymentType::Other => "Друго безготовинско плаћање",
            PaymentType::Cash => "Готовина",
            PaymentType::Card => "Платна картица",
            PaymentType::Check => "Чек",
            PaymentType::WireTransfer => "Пренос на рачун",
            PaymentType::Voucher => "Ваучер",
            PaymentType::MobileMoney => "Инстант плаћање",
        }
    }
}

/// One of the ten document kinds: an invoice type with a transaction type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentKind {
    /// The invoice type.
    pub invoice_type: InvoiceType,
    /// The transaction type.
    pub transaction_type: TransactionType,
}

impl DocumentKind {
    /// Builds a kind.
    pub const fn new(invoice_type: InvoiceType, transaction_type: TransactionType) -> Self {
        DocumentKind {
            invoice_type,
            transaction_type,
        }
    }

    /// All ten kinds.
    pub fn all() -> impl Iterator<Item = DocumentKind> {
        InvoiceType::ALL.iter().flat_map(|&i| {
            TransactionType::ALL
                .iter()
                .map(move |&t| DocumentKind::new(i, t))
        })
    }

    /// Counter extension: `ПП`, `ПР`, `АП`, `АР`, `РП`, `РР`, `КП`, `КР`, `ОП`, `ОР`.
    pub fn extension(self) -> String {
        let mut s = String::new();
        s.push(self.invoice_type.extension_letter());
        s.push(self.transaction_type.extension_letter());
        s
    }

    /// Parses a counter extension back into the kind.
    pub fn from_extension(ext: &str) -> Option<Self> {
        DocumentKind::all().find(|k| k.extension() == ext)
    }

    /// Type line text of the journal, e.g. `ПРОМЕТ ПРОДАЈА`.
    pub fn type_line(self) -> String {
        format!(
            "{} {}",
            self.invoice_type.serbian_caps(),
            self.transaction_type.serbian_caps()
        )
    }

    /// Whether this kind is a fiscal receipt (Normal or Advance).
    pub fn is_fiscal_receipt(self) -> bool {
        self.invoice_type.is_fiscal_receipt()
    }

    /// Key of this kind's transaction-type counter: `"{invoiceType}{transactionType}"`, e.g. `"41"`.
    pub fn counter_key(self) -> String {
        format!(
            "{}{}",
            self.invoice_type.code(),
            self.transaction_type.code()
        )
    }

    /// Whether the PFR requires a referent document number for this kind (every Refund and every
    /// Copy, pfr-api.md §6.2).
    pub fn requires_reference(self) -> bool {
        self.transaction_type == TransactionType::Refund || self.invoice_type == InvoiceType::Copy
    }
}

impl std::fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.invoice_type.name(),
            self.transaction_type.name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_of_all_ten() {
        let exts: Vec<String> = DocumentKind::all().map(|k| k.extension()).collect();
        assert_eq!(
            exts,
            ["ПП", "ПР", "РП", "РР", "КП", "КР", "ОП", "ОР", "АП", "АР"]
        );
        for k in DocumentKind::all() {
            assert_eq!(DocumentKind::from_extension(&k.extension()), Some(k));
        }
        assert_eq!(DocumentKind::from_extension("NS"), None);
    }

    #[test]
    fn names_parse_in_any_case() {
        assert_eq!(InvoiceType::parse_name("normal"), Some(InvoiceType::Normal));
        assert_eq!(
            InvoiceType::parse_name("PROFORMA"),
            Some(InvoiceType::ProForma)
        );
        assert_eq!(
            PaymentType::parse_name("wireTransfer"),
            Some(PaymentType::WireTransfer)
        );
        assert_eq!(PaymentType::parse_name("7"), None);
        assert_eq!(TransactionType::from_code(1), Some(TransactionType::Refund));
        let v: InvoiceType = serde_json::from_str("4").unwrap();
        assert_eq!(v, InvoiceType::Advance);
        let v: InvoiceType = serde_json::from_str("\"Advance\"").unwrap();
        assert_eq!(v, InvoiceType::Advance);
        assert!(serde_json::from_str::<InvoiceType>("5").is_err());
    }

    #[test]
    fn type_lines_and_fiscal_flag() {
        let k = DocumentKind::new(InvoiceType::ProForma, TransactionType::Sale);
        assert_eq!(k.type_line(), "ПРЕДРАЧУН ПРОДАЈА");
        assert!(!k.is_fiscal_receipt());
        assert!(
            DocumentKind::new(InvoiceType::Advance, TransactionType::Refund).is_fiscal_receipt()
        );
    }
}
