//! JSON helpers: field names matched regardless of case style, SEF date-times.
//!
//! SEF answers in PascalCase although its OpenAPI description says camelCase (`sef-api.md` §3).
//! Every object key is therefore normalised to snake_case before deserialisation
//! (`SalesInvoiceId`, `salesInvoiceId`, `SALES_INVOICE_ID` and `sales_invoice_id` all become
//! `sales_invoice_id`), and the model structs deserialise snake_case field names.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Converts one field name to snake_case. Word boundaries are a lower-case letter or digit
/// followed by an upper-case letter, and the last capital of an upper-case run followed by a
/// lower-case letter (`HTTPStatus` → `http_status`, `EFakturaX` → `e_faktura_x`).
pub fn to_snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if (prev.is_lowercase() || prev.is_ascii_digit()) || (prev.is_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Rewrites every object key of `v` (recursively) to snake_case.
pub fn normalize_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m {
                out.insert(to_snake(&k), normalize_keys(v));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(normalize_keys).collect()),
        other => other,
    }
}

/// Deserialises `bytes` with field names matched regardless of case style.
pub fn from_slice_ci<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let v: Value = serde_json::from_slice(bytes)?;
    serde_json::from_value(normalize_keys(v))
}

/// Deserialises a JSON value with field names matched regardless of case style.
pub fn from_value_ci<T: DeserializeOwned>(v: Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(normalize_keys(v))
}

/// Parses a SEF date-time (`sef-api.md` §3): RFC 3339 with an offset, or a local date-time
/// without offset (1–7 fractional digits), or a bare date. Values without an offset are taken
/// in `assume` (Europe/Belgrade for ordinary fields, UTC for fields ending in `Utc`).
pub fn parse_sef_datetime(s: &str, assume: chrono_tz::Tz) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt);
    }
    if let Ok(dt) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%:z") {
        return Some(dt);
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    assume
        .from_local_datetime(&naive)
        .earliest()
        .map(|dt| dt.fixed_offset())
}

/// Declares a string enumeration whose unknown values map to `Unknown` instead of failing
/// (`sef-api.md` §8.1).
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $v,)+
            /// A value this version of fiskal does not know.
            Unknown,
        }

        impl $name {
            /// Every known value, in declaration order (without `Unknown`).
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The wire spelling (PascalCase).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => stringify!($v),)+
                    $name::Unknown => "Unknown",
                }
            }

            /// Parses the wire spelling, ignoring case; unknown text gives `Unknown`.
            pub fn parse(s: &str) -> $name {
                $(if s.eq_ignore_ascii_case(stringify!($v)) { return $name::$v; })+
                $name::Unknown
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::parse(&s))
            }
        }
    };
}
pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_conversion() {
        assert_eq!(to_snake("SalesInvoiceId"), "sales_invoice_id");
        assert_eq!(to_snake("salesInvoiceId"), "sales_invoice_id");
        assert_eq!(to_snake("sales_invoice_id"), "sales_invoice_id");
        assert_eq!(
            to_snake("EFakturaRegisteredCompany"),
            "e_faktura_registered_company"
        );
        assert_eq!(to_snake("GlobUniqId"), "glob_uniq_id");
        assert_eq!(to_snake("LastModifiedUtc"), "last_modified_utc");
        assert_eq!(to_snake("HttpStatus"), "http_status");
        assert_eq!(to_snake("InvoiceID"), "invoice_id");
    }

    #[test]
    fn parses_sef_datetimes() {
        let tz = chrono_tz::Europe::Belgrade;
        let a = parse_sef_datetime("2026-11-25T10:15:03.1234567", tz).unwrap();
        assert_eq!(a.to_rfc3339(), "2026-11-25T10:15:03.123456700+01:00");
        let b = parse_sef_datetime("2026-11-25T09:16:41.2170000+00:00", tz).unwrap();
        assert_eq!(b.offset().local_minus_utc(), 0);
        let c = parse_sef_datetime("2026-11-25T09:16:41", chrono_tz::UTC).unwrap();
        assert_eq!(c.to_rfc3339(), "2026-11-25T09:16:41+00:00");
        assert!(parse_sef_datetime("25.11.2026", tz).is_none());
    }
}
