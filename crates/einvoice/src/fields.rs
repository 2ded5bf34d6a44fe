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

pub use fiskal_domain::ids::normalize_bank_account as normalize_account;
use fiskal_domain::ids::{bank_account_valid as account_valid, pib_check_digit_valid as pib_valid};

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
