//! Documents given on the command line: items, payments and advances as short text specs.

use fiskal_domain::api::{Item, Payment};
use fiskal_domain::kinds::PaymentType;
use fiskal_domain::money::round2;
use rust_decimal::Decimal;

use super::advance::advance_item;
use crate::error::EsirError;

/// Reads an item given as `NAME;QTY;PRICE;LABEL[,LABEL][;GTIN]` (`Pivo Lav/л;2;82.00;Ђ`).
/// Decimal commas are accepted (`82,00`); the total is `round2(QTY × PRICE)`.
pub fn parse_item_spec(spec: &str) -> Result<Item, EsirError> {
    let bad = || EsirError::ItemSpec {
        spec: spec.to_string(),
    };
    let parts: Vec<&str> = spec.split(';').collect();
    if !(4..=5).contains(&parts.len()) {
        return Err(bad());
    }
    let name = parts[0].trim();
    let quantity = parse_decimal(parts[1]).ok_or_else(bad)?;
    let unit_price = parse_decimal(parts[2]).ok_or_else(bad)?;
    let labels: Vec<String> = parts[3]
        .split(',')
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if name.is_empty()
        || labels.is_empty()
        || quantity <= Decimal::ZERO
        || unit_price < Decimal::ZERO
    {
        return Err(bad());
    }
    let gtin = parts
        .get(4)
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty());
    Ok(Item {
        gtin,
        name: name.to_string(),
        quantity,
        unit_price,
        labels,
        total_amount: round2(quantity * unit_price),
    })
}

/// Reads a payment given as `METHOD:AMOUNT` (`cash:164.00`); methods `cash`, `card`, `check`,
/// `wire`, `voucher`, `mobile`, `other` (or the API names and codes).
pub fn parse_payment_spec(spec: &str) -> Result<Payment, EsirError> {
    let bad = || EsirError::PaymentSpec {
        spec: spec.to_string(),
    };
    let (method, amount) = spec.split_once(':').ok_or_else(bad)?;
    let payment_type = payment_type_name(method).ok_or_else(bad)?;
    let amount = parse_decimal(amount).ok_or_else(bad)?;
    if amount < Decimal::ZERO {
        return Err(bad());
    }
    Ok(Payment {
        amount,
        payment_type,
    })
}

/// A payment method by its command-line name (`cash`, `card`, `check`, `wire`, `voucher`,
/// `mobile`, `other`) or API name/code.
pub fn payment_type_name(s: &str) -> Option<PaymentType> {
    match s.trim().to_ascii_lowercase().as_str() {
        "cash" | "gotovina" => Some(PaymentType::Cash),
        "card" | "kartica" => Some(PaymentType::Card),
        "check" | "cheque" | "cek" | "ček" => Some(PaymentType::Check),
        "wire" | "transfer" | "prenos" => Some(PaymentType::WireTransfer),
        "voucher" | "vaucer" | "vaučer" => Some(PaymentType::Voucher),
        "mobile" | "instant" => Some(PaymentType::MobileMoney),
        "other" | "drugo" => Some(PaymentType::Other),
        other => PaymentType::parse_name(other),
    }
}

fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim().replace(',', ".");
    if s.is_empty() || s.contains(['e', 'E']) {
        return None;
    }
    s.parse().ok()
}

/// Reads an advance given as `LABEL:AMOUNT` (`Ђ:5000`) or `PREFIX:AMOUNT` (`10:5000`).
pub fn parse_advance_spec(spec: &str) -> Result<Item, EsirError> {
    let bad = || EsirError::ItemSpec {
        spec: spec.to_string(),
    };
    let (l, a) = spec.split_once(':').ok_or_else(bad)?;
    let l = l.trim();
    let label = match l {
        "10" => 'Ђ',
        "11" => 'Е',
        "12" => 'Г',
        "13" => 'А',
        _ => {
            let mut cs = l.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => c,
                _ => return Err(bad()),
            }
        }
    };
    let amount = parse_decimal(a)
        .filter(|a| *a > Decimal::ZERO)
        .ok_or_else(bad)?;
    advance_item(label, amount).ok_or_else(bad)
}
