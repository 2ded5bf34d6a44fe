//! PFR time: Europe/Belgrade local time with its offset, millisecond precision.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Europe::Belgrade;

/// Converts an instant to Belgrade local time with its UTC offset.
pub fn to_belgrade(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    let local = t.with_timezone(&Belgrade);
    local.with_timezone(&local.offset().fix())
}

/// Truncates to whole milliseconds.
pub fn truncate_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// Instant from milliseconds since the epoch.
pub fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(ms)
}

/// Writes PFR time as the API does: `2021-07-14T15:50:23.000+02:00`.
pub fn format_api(t: DateTime<Utc>) -> String {
    to_belgrade(t)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// Writes a time the journal way, `14.07.2021. 15:50:23` (hour without leading zero), in
/// Belgrade time.
pub fn format_journal(t: DateTime<Utc>) -> String {
    format_journal_wall(to_belgrade(t).naive_local())
}

/// Writes wall-clock fields the journal way without zone conversion (ESIR time).
pub fn format_journal_wall(t: NaiveDateTime) -> String {
    t.format("%d.%m.%Y. %-H:%M:%S").to_string()
}

/// Parses an ISO 8601 date-time from a request, with or without offset and with 0–7 fractional
/// digits. A value without offset is Belgrade local time.
pub fn parse_request_time(s: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            let local = Belgrade.from_local_datetime(&n).earliest()?;
            return Some(local.with_timezone(&local.offset().fix()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_time() {
        let t = from_millis(1626270623000).unwrap();
        assert_eq!(format_api(t), "2021-07-14T15:50:23.000+02:00");
        assert_eq!(format_journal(t), "14.07.2021. 15:50:23");
        let winter = DateTime::parse_from_rfc3339("2024-02-29T17:07:27.4551405+01:00").unwrap();
        assert_eq!(
            format_journal(winter.with_timezone(&Utc)),
            "29.02.2024. 17:07:27"
        );
    }

    #[test]
    fn request_times() {
        let t = parse_request_time("2020-12-08T08:55:23.286Z").unwrap();
        assert_eq!(format_journal_wall(t.naive_local()), "08.12.2020. 8:55:23");
        let t = parse_request_time("2021-08-12T10:23:11.6488037+02:00").unwrap();
        assert_eq!(t.timestamp(), 1628756591);
        let t = parse_request_time("2021-08-12T10:23:11").unwrap();
        assert_eq!(t.offset().local_minus_utc(), 7200);
        assert!(parse_request_time("yesterday").is_none());
    }
}

/// Serde helpers writing a PFR time with exactly 3 fractional digits and its offset
/// (`2021-07-14T15:50:23.000+02:00`), reading any RFC 3339 time.
pub mod api_format {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes.
    pub fn serialize<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string())
    }

    /// Deserializes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_request_time(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid date-time {s:?}")))
    }
}
