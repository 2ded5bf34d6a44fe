//! The buyer-ID codebook (receipt.md §8) and item prefixes (receipt.md §10) as the ESIR applies
//! them.
//!
//! Every codebook decision of this crate goes through this module. Buyer IDs and optional buyer
//! fields are checked by [`fiskal_domain::buyer`]; item prefixes are checked here.

use fiskal_domain::buyer::{self, BuyerCostCenterId, BuyerId, BuyerIdWarning, CostCenterKind};
pub use fiskal_domain::buyer::{BuyerIdError, CostCenterError};
use fiskal_domain::kinds::DocumentKind;

/// Checks a buyer ID (`buyerId`) against the codebook: known code, value form, PIB check digit.
/// A JMBG check-digit mismatch is returned as a warning, not an error.
pub fn check_buyer_id(s: &str) -> Result<(BuyerId, Vec<BuyerIdWarning>), BuyerIdError> {
    BuyerId::parse(s)
}

/// Whether a buyer ID may stand on a refund of `kind` paid out in cash on the spot (JMBG codes
/// 11 and 15 may not).
pub fn allowed_for_cash_refund(id: &BuyerId, _kind: DocumentKind) -> bool {
    buyer::is_allowed_for_cash_refund(id.kind)
}

/// Checks an optional buyer field (`buyerCostCenterId`).
pub fn check_cost_center(s: &str) -> Result<BuyerCostCenterId, CostCenterError> {
    BuyerCostCenterId::parse(s)
}

/// Whether an optional buyer field is a corporate card (code 50), which demands Voucher payments.
pub fn is_corporate_card(c: &BuyerCostCenterId) -> bool {
    c.kind == CostCenterKind::CorporateCard
}

/// The seller's own PIB as a buyer ID for a cancellation (`10:{PIB}`), from the `tin` of a
/// result (which may carry a country prefix such as `RS111911206`).
pub fn seller_buyer_id(tin: &str) -> String {
    let digits: String = tin.chars().filter(|c| c.is_ascii_digit()).collect();
    format!("10:{digits}")
}

/// A coded item-name prefix (receipt.md §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ItemPrefix {
    /// `00:` supply without consideration treated as a sale.
    FreeSupply,
    /// `10:`–`13:` advance at Ђ / Е / Г / А.
    Advance(char),
    /// `20:`–`23:` single-purpose voucher at Ђ / Е / Г / А.
    Voucher(char),
    /// `30:`–`32:` buildings at Ђ / Е / Г.
    Building(char),
}

impl ItemPrefix {
    /// The prefix code as written on the item (`10`).
    pub fn code(self) -> u8 {
        let idx = |c: char| match c {
            'Ђ' => 0,
            'Е' => 1,
            'Г' => 2,
            _ => 3,
        };
        match self {
            ItemPrefix::FreeSupply => 0,
            ItemPrefix::Advance(c) => 10 + idx(c),
            ItemPrefix::Voucher(c) => 20 + idx(c),
            ItemPrefix::Building(c) => 30 + idx(c),
        }
    }

    /// The only label an item with this prefix may carry (`None`: any label).
    pub fn required_label(self) -> Option<char> {
        match self {
            ItemPrefix::FreeSupply => None,
            ItemPrefix::Advance(c) | ItemPrefix::Voucher(c) | ItemPrefix::Building(c) => Some(c),
        }
    }

    /// The advance prefix for a label: Ђ → 10, Е → 11, Г → 12, А → 13.
    pub fn advance_for_label(label: char) -> Option<ItemPrefix> {
        matches!(label, 'Ђ' | 'Е' | 'Г' | 'А').then_some(ItemPrefix::Advance(label))
    }
}

/// What the start of an item name says about a coded prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixOf {
    /// The name has no `NN:` prefix.
    None,
    /// A known prefix.
    Known(ItemPrefix),
    /// Two digits and a colon that are not a known prefix.
    Unknown(String),
}

/// Recognises a coded prefix (`10: Аванс`, `10:Аванс`) at the start of an item name.
pub fn item_prefix(name: &str) -> PrefixOf {
    let b = name.as_bytes();
    if b.len() < 3 || !b[0].is_ascii_digit() || !b[1].is_ascii_digit() || b[2] != b':' {
        return PrefixOf::None;
    }
    // A time such as "12:30" is not a prefix.
    if b.len() >= 5 && b[3].is_ascii_digit() && b[4].is_ascii_digit() {
        return PrefixOf::None;
    }
    let code = &name[..2];
    let labels = ['Ђ', 'Е', 'Г', 'А'];
    let p = match code {
        "00" => ItemPrefix::FreeSupply,
        "10" | "11" | "12" | "13" => ItemPrefix::Advance(labels[usize::from(b[1] - b'0')]),
        "20" | "21" | "22" | "23" => ItemPrefix::Voucher(labels[usize::from(b[1] - b'0')]),
        "30" | "31" | "32" => ItemPrefix::Building(labels[usize::from(b[1] - b'0')]),
        _ => return PrefixOf::Unknown(code.to_string()),
    };
    PrefixOf::Known(p)
}

/// The item name fiskal writes for an advance at a label: `10: Аванс` (receipt.md §10).
pub fn advance_item_name(label: char) -> Option<String> {
    ItemPrefix::advance_for_label(label).map(|p| format!("{:02}: Аванс", p.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buyer_ids_through_the_domain_codebook() {
        assert!(check_buyer_id("10:106884584").is_ok());
        assert!(matches!(
            check_buyer_id("10:123456789"),
            Err(BuyerIdError::PibCheckDigit { .. })
        ));
        assert!(check_buyer_id("99:1").is_err());
        let (id, _) = check_buyer_id("11:0101990710006").unwrap();
        let k = DocumentKind::new(
            fiskal_domain::kinds::InvoiceType::Normal,
            fiskal_domain::kinds::TransactionType::Refund,
        );
        assert!(!allowed_for_cash_refund(&id, k));
        let (id, _) = check_buyer_id("20:0023456").unwrap();
        assert!(allowed_for_cash_refund(&id, k));
        assert!(is_corporate_card(
            &check_cost_center("50:66666666").unwrap()
        ));
        assert!(check_cost_center("60:31032022_01032022").is_err());
        assert_eq!(seller_buyer_id("RS111911206"), "10:111911206");
    }

    #[test]
    fn item_prefixes() {
        assert_eq!(
            item_prefix("10: Аванс"),
            PrefixOf::Known(ItemPrefix::Advance('Ђ'))
        );
        assert_eq!(
            item_prefix("13:Аванс"),
            PrefixOf::Known(ItemPrefix::Advance('А'))
        );
        assert_eq!(
            item_prefix("00: Хаљина/ком"),
            PrefixOf::Known(ItemPrefix::FreeSupply)
        );
        assert_eq!(
            item_prefix("31: Стан"),
            PrefixOf::Known(ItemPrefix::Building('Е'))
        );
        assert_eq!(item_prefix("33: Стан"), PrefixOf::Unknown("33".into()));
        assert_eq!(item_prefix("12:30 termin"), PrefixOf::None);
        assert_eq!(item_prefix("Pivo Lav/л"), PrefixOf::None);
        assert_eq!(advance_item_name('Е').as_deref(), Some("11: Аванс"));
        assert_eq!(ItemPrefix::Voucher('А').code(), 23);
    }
}
