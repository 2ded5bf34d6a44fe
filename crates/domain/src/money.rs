//! Money, quantities and their rounding and Serbian formatting.
//!
//! All amounts are [`Decimal`]; binary floating point never appears. Amounts in API responses carry
//! up to 4 decimals, printed amounts 2; secure-element and verification-URL amounts are integers
//! scaled by 10 000.

use rust_decimal::{Decimal, RoundingStrategy};

/// Parses a decimal literal; panics on a malformed literal. Meant for constants and tests.
pub fn dec(s: &str) -> Decimal {
    s.parse()
        .unwrap_or_else(|_| panic!("invalid decimal literal {s:?}"))
}

/// Rounds half away from zero to 4 decimals (the PFR's rule for every sum, TU-1.17).
pub fn round4(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(4);
    r
}

/// Rounds half away from zero to 2 decimals (printed amounts).
pub fn round2(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// Largest amount the SE and verification URL can carry: 7 bytes × 10 000.
pub fn max_se_amount() -> Decimal {
    Decimal::from_i128_with_scale((1i128 << 56) - 1, 4)
}

/// Converts an amount to the integer × 10 000 used by the SE and the verification URL.
///
/// Returns `None` for negative amounts or amounts beyond 64 bits once scaled.
pub fn to_scaled(d: Decimal) -> Option<u64> {
    if d.is_sign_negative() && !d.is_zero() {
        return None;
    }
    let r = round4(d);
    let m = r.mantissa();
    u64::try_from(m).ok()
}

/// Converts an integer × 10 000 back to an amount with 4 decimals.
pub fn from_scaled(v: u64) -> Decimal {
    Decimal::from_i128_with_scale(v as i128, 4)
}

/// Groups the integer digits with dots: `1234567` → `1.234.567`.
fn group_thousands(int_part: &str) -> String {
    let bytes: Vec<char> = int_part.chars().collect();
    let mut out = String::new();
    for (i, c) in bytes.iter().enumerate() {
        if i > 0 && (bytes.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(*c);
    }
    out
}

/// Formats money the Serbian way with 2 decimals: `1.804,50`, `-7.000,00`.
pub fn format_money(d: Decimal) -> String {
    let r = round2(d);
    let neg = r.is_sign_negative() && !r.is_zero();
    let s = r.abs().to_string();
    let (i, f) = s.split_once('.').unwrap_or((&s, "00"));
    format!("{}{},{}", if neg { "-" } else { "" }, group_thousands(i), f)
}

/// Formats a quantity: up to 3 decimals without trailing zeros, comma separator, dot thousands:
/// `2`, `1,032`, `400.000`.
pub fn format_quantity(d: Decimal) -> String {
    let r = d
        .round_dp_with_strategy(3, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    let neg = r.is_sign_negative() && !r.is_zero();
    let s = r.abs().to_string();
    let (i, f) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(&group_thousands(&i));
    if let Some(f) = f {
        out.push(',');
        out.push_str(&f);
    }
    out
}

/// Formats a tax rate with 2 decimals and a percent sign: `20,00%`.
pub fn format_rate(d: Decimal) -> String {
    format!("{}%", format_money(d))
}

/// Number of decimal places actually used (trailing zeros ignored): `1.50` → 1.
pub fn decimal_places(d: Decimal) -> u32 {
    d.normalize().scale()
}

/// Number of digits before the decimal point.
pub fn integer_digits(d: Decimal) -> u32 {
    let t = d.abs().trunc().normalize();
    if t.is_zero() {
        1
    } else {
        t.to_string().len() as u32
    }
}

/// Serde helpers writing a [`Decimal`] as an exact JSON number (never through `f64`).
pub mod json_number {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as a JSON number with the decimal's own digits.
    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::arbitrary_precision::serialize(d, s)
    }

    /// Deserializes from a JSON number (or a string holding one).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::Number(n) => n.as_str().parse().map_err(serde::de::Error::custom),
            serde_json::Value::String(s) => s.parse().map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom("expected a decimal number")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round4(dec("27.33333333")).to_string(), "27.3333");
        assert_eq!(round4(dec("0.00495")).to_string(), "0.0050");
        assert_eq!(round2(dec("0.0050")).to_string(), "0.01");
        assert_eq!(round2(dec("-0.005")).to_string(), "-0.01");
        assert_eq!(round4(dec("500")).to_string(), "500.0000");
    }

    #[test]
    fn money_format() {
        assert_eq!(format_money(dec("1804.5")), "1.804,50");
        assert_eq!(format_money(dec("12000000")), "12.000.000,00");
        assert_eq!(format_money(dec("-7000")), "-7.000,00");
        assert_eq!(format_money(dec("164")), "164,00");
        assert_eq!(format_money(dec("0.5")), "0,50");
        // RT-ESIR display rounding.
        assert_eq!(format_money(dec("5.1")), "5,10");
        assert_eq!(format_money(dec("10.267")), "10,27");
        assert_eq!(format_money(dec("20.143")), "20,14");
        assert_eq!(format_money(dec("1.2177")), "1,22");
        assert_eq!(format_money(dec("1.22385")), "1,22");
    }

    #[test]
    fn quantity_format() {
        assert_eq!(format_quantity(dec("2")), "2");
        assert_eq!(format_quantity(dec("1.032")), "1,032");
        assert_eq!(format_quantity(dec("400000")), "400.000");
        assert_eq!(format_quantity(dec("2.500")), "2,5");
    }

    #[test]
    fn scaling() {
        assert_eq!(to_scaled(dec("68.46")), Some(684600));
        assert_eq!(from_scaled(684600).to_string(), "68.4600");
        assert_eq!(to_scaled(dec("-1")), None);
        assert_eq!(max_se_amount().to_string(), "7205759403792.7935");
        assert_eq!(decimal_places(dec("1.50")), 1);
        assert_eq!(integer_digits(dec("123.4")), 3);
        assert_eq!(integer_digits(dec("0.4")), 1);
    }
}
