//! Field rules of the onboarding form (`moje-fakture.md` §3.2, `ubl-profile.md` §5.1).

use serde::{Deserialize, Serialize};

/// A field-level validation message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Field name as in the form.
    pub field: String,
    /// Serbian text.
    pub sr: String,
    /// English text.
    pub en: String,
}

impl FieldError {
    fn new(field: &str, sr: &str, en: &str) -> FieldError {
        FieldError {
            field: field.into(),
            sr: sr.into(),
            en: en.into(),
        }
    }
}

/// ISO 7064 MOD 11,10 check of a 9-digit PIB.
pub fn pib_valid(pib: &str) -> bool {
    if pib.len() != 9 || !pib.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = pib.bytes().map(|b| u32::from(b - b'0')).collect();
    let mut p = 10;
    for &x in &d[..8] {
        let mut s = (p + x) % 10;
        if s == 0 {
            s = 10;
        }
        p = (2 * s) % 11;
    }
    (11 - p) % 10 == d[8]
}

/// Normalises a domestic bank account (`999-123456-32` → 18 digits) or `None` if impossible.
pub fn normalize_account(s: &str) -> Option<String> {
    let s = s.trim();
    let parts: Vec<&str> = s.split('-').collect();
    let digits = if parts.len() == 3 {
        if parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
            || parts[0].len() != 3
            || parts[2].len() != 2
            || parts[1].len() > 13
        {
            return None;
        }
        format!("{}{:0>13}{}", parts[0], parts[1], parts[2])
    } else {
        s.to_string()
    };
    (digits.len() == 18 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Whether an 18-digit account has valid control digits (number mod 97 = 1).
pub fn account_valid(acc: &str) -> bool {
    acc.len() == 18
        && acc.bytes().all(|b| b.is_ascii_digit())
        && acc
            .bytes()
            .fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97)
            == 1
}

/// Checks PIB, MB, JBKJS, names, address and accounts; returns every problem found.
#[allow(clippy::too_many_arguments)]
pub fn check_company_fields(
    pib: &str,
    mb: &str,
    jbkjs: Option<&str>,
    name: &str,
    street: &str,
    city: &str,
    postal_code: &str,
    accounts: &[String],
) -> Vec<FieldError> {
    let mut e = Vec::new();
    if !pib_valid(pib) {
        e.push(FieldError::new(
            "pib",
            "PIB mora imati 9 cifara sa ispravnom kontrolnom cifrom.",
            "The PIB must have 9 digits with a valid check digit.",
        ));
    }
    if mb.len() != 8 || !mb.bytes().all(|b| b.is_ascii_digit()) {
        e.push(FieldError::new(
            "mb",
            "Matični broj mora imati tačno 8 cifara (vodeće nule se zadržavaju).",
            "The registration number (MB) must have exactly 8 digits (leading zeros kept).",
        ));
    }
    if let Some(j) = jbkjs
        && (j.len() != 5 || !j.bytes().all(|b| b.is_ascii_digit()))
    {
        e.push(FieldError::new(
            "jbkjs",
            "JBKJS mora imati tačno 5 cifara.",
            "The JBKJS must have exactly 5 digits.",
        ));
    }
    for (f, v) in [
        ("name", name),
        ("street", street),
        ("city", city),
        ("postal_code", postal_code),
    ] {
        if v.trim().is_empty() {
            e.push(FieldError::new(
                f,
                "Ovo polje je obavezno.",
                "This field is required.",
            ));
        }
    }
    if accounts.is_empty() {
        e.push(FieldError::new(
            "bank_accounts",
            "Unesite bar jedan tekući račun.",
            "Enter at least one bank account.",
        ));
    }
    for a in accounts {
        if !account_valid(a) {
            e.push(FieldError::new(
                "bank_accounts",
                &format!(
                    "Račun {a} nije ispravan: potrebno je 18 cifara sa ispravnim kontrolnim brojem."
                ),
                &format!(
                    "Account {a} is not valid: 18 digits with valid control digits are required."
                ),
            ));
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pib_vectors() {
        for ok in [
            "108213413",
            "101134702",
            "107775252",
            "190000012",
            "190000029",
            "190000037",
        ] {
            assert!(pib_valid(ok), "{ok}");
        }
        for bad in [
            "190000013",
            "19000001",
            "1900000120",
            "19000001A",
            "RS190000012",
        ] {
            assert!(!pib_valid(bad), "{bad}");
        }
    }

    #[test]
    fn accounts() {
        let n = normalize_account("999-123456-32").unwrap();
        assert_eq!(n, "999000000012345632");
        assert!(normalize_account("12-34").is_none());
        // 160-0000000000001-?? : control = 98 - (1600000000000001 * 100 mod 97)
        let body = "1600000000000001";
        let r = body
            .bytes()
            .fold(0u64, |r, b| (r * 10 + u64::from(b - b'0')) % 97);
        let ctl = 98 - (r * 100) % 97;
        let acc = format!("{body}{ctl:02}");
        assert!(account_valid(&acc), "{acc}");
        let mut wrong = acc.clone().into_bytes();
        wrong[17] = if wrong[17] == b'0' { b'1' } else { b'0' };
        assert!(!account_valid(std::str::from_utf8(&wrong).unwrap()));
    }
}
