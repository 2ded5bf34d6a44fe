//! The seller's identity as the SE certificate carries it.

use serde::{Deserialize, Serialize};

/// Seller data printed at the top of every receipt and returned in every invoice result.
///
/// The TIN is kept exactly as issued (no check-digit test: documentation TINs such as
/// `123456789` fail it, and the SE is authoritative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seller {
    /// Seller TIN (PIB) as issued.
    pub tin: String,
    /// Business name.
    pub business_name: String,
    /// Location name, typically `{location id}-{name}`.
    pub location_name: String,
    /// Street address.
    pub address: String,
    /// District (municipality).
    pub district: String,
}

impl Seller {
    /// The seed's example shop (SEED-004): Супермаркет АБВ, Миријевски Булевар 152, Звездара.
    pub fn seed_example() -> Seller {
        Seller {
            tin: "123456789".into(),
            business_name: "Супермаркет АБВ".into(),
            location_name: "10000001-Продавница Миријевски Булевар".into(),
            address: "Миријевски Булевар 152".into(),
            district: "Звездара".into(),
        }
    }
}
