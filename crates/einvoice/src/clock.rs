//! Time source of the service. "Today" is the calendar day in Europe/Belgrade (§8.3, §13).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Belgrade;

/// A clock in Unix milliseconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, Unix milliseconds (UTC).
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
}

/// The system clock shifted by an adjustable offset (tests and demos: jump to 23:59, next day).
#[derive(Debug, Default, Clone)]
pub struct OffsetClock {
    offset_ms: Arc<AtomicI64>,
}

impl OffsetClock {
    /// A clock equal to the system clock.
    pub fn new() -> OffsetClock {
        OffsetClock::default()
    }

    /// Makes "now" equal to `at` (time keeps running from there).
    pub fn set(&self, at: DateTime<Utc>) {
        self.offset_ms.store(
            at.timestamp_millis() - Utc::now().timestamp_millis(),
            Ordering::SeqCst,
        );
    }

    /// Moves the clock forward.
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::SeqCst)
    }
}

/// The Serbian calendar day of an instant.
pub fn belgrade_date(ms: i64) -> NaiveDate {
    let utc = Utc
        .timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(Utc::now);
    utc.with_timezone(&Belgrade).date_naive()
}

/// Formats an instant as Belgrade local time `YYYY-MM-DD HH:MM`.
pub fn belgrade_display(ms: i64) -> String {
    let utc = Utc
        .timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(Utc::now);
    utc.with_timezone(&Belgrade)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn belgrade_day_changes_at_local_midnight() {
        // 2026-11-25 22:59:59 UTC = 23:59:59 CET.
        let t = Utc
            .with_ymd_and_hms(2026, 11, 25, 22, 59, 59)
            .unwrap()
            .timestamp_millis();
        assert_eq!(belgrade_date(t).to_string(), "2026-11-25");
        assert_eq!(belgrade_date(t + 1000).to_string(), "2026-11-26");
        assert_eq!(belgrade_display(t), "2026-11-25 23:59");
    }

    #[test]
    fn offset_clock_moves() {
        let c = OffsetClock::new();
        let target = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        c.set(target);
        assert!((c.now_ms() - target.timestamp_millis()).abs() < 1000);
        c.advance_ms(86_400_000);
        assert_eq!(belgrade_date(c.now_ms()).to_string(), "2030-01-02");
    }
}
