//! The SEF API key (`ApiKey` header) and the SEF environments.

use std::fmt;

/// A SEF API key: a GUID written as 8-4-4-4-12 hex digits (`sef-api.md` §2).
///
/// The value is a secret: it is zeroised when dropped, `Debug` and `Display` print `ApiKey(***)`,
/// and the only way to read it is [`ApiKey::expose`], used when the `ApiKey` header is built or
/// the key is sealed for storage. This is the one type for a SEF API key in fiskal (the SEF client,
/// the sandbox and Moje fakture).
#[derive(Clone)]
pub struct ApiKey(zeroize::Zeroizing<String>);

impl PartialEq for ApiKey {
    fn eq(&self, other: &ApiKey) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for ApiKey {}

impl std::hash::Hash for ApiKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.expose().hash(state);
    }
}

/// Why a text is not a SEF API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "The key has the wrong format: a SEF authentication key has 36 characters in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx."
)]
pub struct ApiKeyFormatError;

impl ApiKeyFormatError {
    /// The Serbian (Latin) text of `sef.key.malformed` (`moje-fakture.md` §6.3).
    pub fn message_sr(&self) -> &'static str {
        "Uneti ključ nije ispravnog oblika. Ključ za autentifikaciju iz SEF-a (Podešavanja → API menadžment) ima 36 znakova u obliku xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx. Kopirajte ga ponovo, ceo i bez razmaka."
    }

    /// The English text of `sef.key.malformed`.
    pub fn message_en(&self) -> &'static str {
        "The key has the wrong format. The SEF authentication key (Settings → API management) has 36 characters in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx. Copy it again, complete and without spaces."
    }
}

/// Returns true when `s` has the GUID form 8-4-4-4-12 (hex digits, either case).
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let lens = [8usize, 4, 4, 4, 12];
    groups.len() == 5
        && groups
            .iter()
            .zip(lens)
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl ApiKey {
    /// Parses a key as pasted by a user: surrounding whitespace is trimmed, the rest must be a
    /// GUID. The key is kept as given (case preserved).
    pub fn parse(s: &str) -> Result<ApiKey, ApiKeyFormatError> {
        let key = ApiKey::unchecked(s);
        if key.is_well_formed() {
            Ok(key)
        } else {
            Err(ApiKeyFormatError)
        }
    }

    /// Keeps what a user typed into a key field (trimmed) without checking its form, so that a
    /// form can report [`ApiKeyFormatError`] beside its other fields; check it with
    /// [`ApiKey::is_well_formed`] before use.
    pub fn unchecked(s: &str) -> ApiKey {
        ApiKey(zeroize::Zeroizing::new(s.trim().to_string()))
    }

    /// Whether the key has SEF's GUID form (`sef-api.md` §2).
    pub fn is_well_formed(&self) -> bool {
        is_guid(&self.0)
    }

    /// The key itself, for building the `ApiKey` header. Never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, the only part that may appear in logs, pages and recordings.
    pub fn last4(&self) -> &str {
        let start = self.0.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
        &self.0[start..]
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl<'de> serde::Deserialize<'de> for ApiKey {
    /// Reads a key field as typed ([`ApiKey::unchecked`]); the plain text is zeroised.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = zeroize::Zeroizing::new(<String as serde::Deserialize>::deserialize(d)?);
        Ok(ApiKey::unchecked(&s))
    }
}

impl std::str::FromStr for ApiKey {
    type Err = ApiKeyFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApiKey::parse(s)
    }
}

/// A SEF environment (`sef-api.md` §1). A key belongs to exactly one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SefEnvironment {
    /// `https://efaktura.mfin.gov.rs`.
    Production,
    /// `https://demoefaktura.mfin.gov.rs`, SEF's own test system.
    Demo,
    /// fiskal's local sandbox on a loopback address.
    Sandbox,
}

impl SefEnvironment {
    /// The official base URL of production and demo; `None` for the sandbox (configured).
    pub fn official_base_url(self) -> Option<&'static str> {
        match self {
            SefEnvironment::Production => Some("https://efaktura.mfin.gov.rs"),
            SefEnvironment::Demo => Some("https://demoefaktura.mfin.gov.rs"),
            SefEnvironment::Sandbox => None,
        }
    }

    /// The configuration name (`production`, `demo`, `sandbox`).
    pub fn as_str(self) -> &'static str {
        match self {
            SefEnvironment::Production => "production",
            SefEnvironment::Demo => "demo",
            SefEnvironment::Sandbox => "sandbox",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_key() {
        let k = ApiKey::parse(" 3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90\n").unwrap();
        assert_eq!(format!("{k:?}"), "ApiKey(***)");
        assert_eq!(format!("{k}"), "ApiKey(***)");
        assert_eq!(format!("{:?}", Some(&k)), "Some(ApiKey(***))");
        assert_eq!(k.expose(), "3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90");
        assert_eq!(k.last4(), "7b90");
        assert_eq!(ApiKey::unchecked("ab").last4(), "ab");
        assert_eq!(ApiKey::unchecked("čćžšđ").last4(), "ćžšđ");
        assert!(!ApiKey::unchecked("not a key").is_well_formed());
    }

    #[test]
    fn rejects_malformed_keys() {
        for bad in [
            "",
            "3f2a9c4e7b1d4e8a9c550d6e1f2a7b90",
            "3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b9",
            "3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b9g",
            "3f2a9c4e-7b1d-4e8a-9c55 -0d6e1f2a7b90",
        ] {
            assert_eq!(ApiKey::parse(bad), Err(ApiKeyFormatError), "{bad:?}");
        }
        assert!(ApiKey::parse("3F2A9C4E-7B1D-4E8A-9C55-0D6E1F2A7B90").is_ok());
    }
}
