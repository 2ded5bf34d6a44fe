//! Serbian identifiers and their check digits, one copy for every fiskal crate: PIB (tax ID,
//! ISO 7064 MOD 11,10), JMBG (personal number, mod 11), MB (company number), JBKJS (public-funds
//! user number), domestic bank accounts and model-97 payment references (ISO 7064 MOD 97-10).
//!
//! ```
//! use fiskal_domain::ids;
//! assert!(ids::pib_check_digit_valid("108213413"));
//! assert!(ids::bank_account_valid("999000000012345632"));
//! assert_eq!(ids::normalize_bank_account("999-123456-32").as_deref(), Some("999000000012345632"));
//! ```

/// Whether `s` consists of exactly `n` ASCII digits.
pub fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|c| c.is_ascii_digit())
}

/// Whether `pib` is 9 digits whose last digit is the ISO 7064 MOD 11,10 check digit of the first
/// eight (holds for every real PIB seen; no official statement of the algorithm was found).
pub fn pib_check_digit_valid(pib: &str) -> bool {
    is_digits(pib, 9) && pib_check_digit(&pib[..8]) == Some(pib.as_bytes()[8] - b'0')
}

/// Whether `jmbg` is 13 digits with a valid mod-11 check digit (the standard JMBG rule: weights
/// 7 6 5 4 3 2 7 6 5 4 3 2, `m = 11 − sum mod 11`, check digit `m`, or 0 when `m` is 10 or 11).
pub fn jmbg_check_digit_valid(jmbg: &str) -> bool {
    if !is_digits(jmbg, 13) {
        return false;
    }
    let b = jmbg.as_bytes();
    const WEIGHTS: [u32; 12] = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = b[..12]
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| u32::from(c - b'0') * w)
        .sum();
    let m = 11 - sum % 11;
    let check = if m > 9 { 0 } else { m };
    check == u32::from(b[12] - b'0')
}

/// Computes the check digit for the first 8 digits of a PIB; `None` if `body` is not 8 digits.
pub fn pib_check_digit(body: &str) -> Option<u8> {
    let b = body.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut p: u32 = 10;
    for &c in b {
        let mut s = (p + u32::from(c - b'0')) % 10;
        if s == 0 {
            s = 10;
        }
        p = (2 * s) % 11;
    }
    Some(((11 - p) % 10) as u8)
}

/// Whether an MB (matični broj) has the form SEF accepts: 8 digits (13 for JMBG-identified
/// entrepreneurs). No check digit is verified (`ubl-profile.md` §5.1).
pub fn mb_format_valid(mb: &str) -> bool {
    is_digits(mb, 8) || is_digits(mb, 13)
}

/// Parses a `PartyIdentification` value `JBKJS:nnnnn` (fiskal writes no space; a space after the
/// colon is tolerated). Returns the 5 digits.
pub fn parse_jbkjs(value: &str) -> Option<&str> {
    let rest = value.trim().strip_prefix("JBKJS:")?.trim_start();
    is_digits(rest, 5).then_some(rest)
}

/// Whether an 18-digit domestic account number has valid control digits (number mod 97 = 1).
pub fn bank_account_valid(account: &str) -> bool {
    is_digits(account, 18) && mod97(account) == 1
}

/// Normalises `999-123456-32` to the 18-digit form `999000000012345632`; `None` if malformed.
pub fn normalize_bank_account(account: &str) -> Option<String> {
    let s = account.trim();
    if is_digits(s, 18) {
        return Some(s.to_string());
    }
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3
        || !is_digits(parts[0], 3)
        || !is_digits(parts[2], 2)
        || parts[1].is_empty()
        || parts[1].len() > 13
        || !parts[1].bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some(format!("{}{:0>13}{}", parts[0], parts[1], parts[2]))
}

fn mod97(digits: &str) -> u32 {
    digits
        .bytes()
        .fold(0u32, |acc, c| (acc * 10 + u32::from(c - b'0')) % 97)
}

/// Computes a model-97 reference: 2 control digits followed by `rest` (digits only).
pub fn model97_reference(rest: &str) -> Option<String> {
    if rest.is_empty() || rest.len() > 20 || !rest.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let control = 98 - (mod97(rest) * 100) % 97;
    Some(format!("{control:02}{rest}"))
}

/// Checks a `cbc:PaymentID` (BT-83): `(modNN) reference`, and for model 97 the control digits.
pub fn payment_id_valid(payment_id: &str) -> bool {
    let Some(rest) = payment_id.trim().strip_prefix("(mod") else {
        return false;
    };
    let Some((model, reference)) = rest.split_once(')') else {
        return false;
    };
    if !is_digits(model, 2) {
        return false;
    }
    let reference = reference.trim();
    if reference.is_empty() || reference.len() > 23 {
        return false;
    }
    if model == "97" {
        let digits: String = reference.chars().filter(|c| *c != '-').collect();
        if digits.len() < 3 || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
        let (control, body) = digits.split_at(2);
        return mod97(&format!("{body}{control}")) == 1;
    }
    reference
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pib_vectors_from_the_profile() {
        for ok in [
            "108213413",
            "101134702",
            "107775252",
            "190000012",
            "190000029",
            "190000037",
        ] {
            assert!(pib_check_digit_valid(ok), "{ok}");
        }
        for bad in [
            "190000013",
            "19000001",
            "1900000120",
            "19000001A",
            "RS190000012",
        ] {
            assert!(!pib_check_digit_valid(bad), "{bad}");
        }
        assert_eq!(pib_check_digit("19000001"), Some(2));
        assert_eq!(pib_check_digit("10821341"), Some(3));
    }

    #[test]
    fn mb_and_jbkjs() {
        assert!(mb_format_valid("09000011"));
        assert!(!mb_format_valid("9000011"));
        assert!(mb_format_valid("0101990710008"));
        assert_eq!(parse_jbkjs("JBKJS:10520"), Some("10520"));
        assert_eq!(parse_jbkjs("JBKJS: 10520"), Some("10520"));
        assert_eq!(parse_jbkjs("10520"), None);
        assert_eq!(parse_jbkjs("JBKJS:1052"), None);
    }

    #[test]
    fn bank_account_and_reference() {
        assert!(bank_account_valid("999000000012345632"));
        assert!(!bank_account_valid("999000000012345633"));
        assert_eq!(
            normalize_bank_account("999-123456-32").as_deref(),
            Some("999000000012345632")
        );
        assert_eq!(
            model97_reference("2026000042").as_deref(),
            Some("872026000042")
        );
        assert!(payment_id_valid("(mod97) 872026000042"));
        assert!(!payment_id_valid("(mod97) 882026000042"));
        assert!(!payment_id_valid("97 872026000042"));
        assert!(payment_id_valid("(mod00) 123-456"));
    }
}
