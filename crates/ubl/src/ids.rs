//! Serbian identifiers used in UBL documents (`ubl-profile.md` §5.1, §9): PIB, MB, JBKJS, bank
//! account, model-97 payment reference.
//!
//! The identifier rules themselves live in `fiskal_domain::ids`; this module re-exports them
//! beside the UBL-only checks.

pub use fiskal_domain::ids::{
    bank_account_valid, is_digits, mb_format_valid, model97_reference, normalize_bank_account,
    parse_jbkjs, payment_id_valid, pib_check_digit, pib_check_digit_valid,
};

/// A light syntactic e-mail check (`local@domain.tld`, no spaces).
pub fn email_plausible(email: &str) -> bool {
    let e = email.trim();
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.contains(char::is_whitespace)
        && !domain.contains('@')
}

/// Whether an invoice number uses only `A-Z a-z 0-9 - / _ .` and has 1..=50 characters (§3).
pub fn invoice_number_valid(number: &str) -> bool {
    !number.is_empty()
        && number.len() <= 50
        && number
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'/' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_mail() {
        assert!(invoice_number_valid("F-2026/0142_a.1"));
        assert!(!invoice_number_valid("F 2026"));
        assert!(!invoice_number_valid(&"x".repeat(51)));
        assert!(email_plausible("fakture@primer-softver.example"));
        assert!(!email_plausible("fakture@primer"));
        assert!(!email_plausible("a b@c.rs"));
    }
}
