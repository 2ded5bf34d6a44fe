//! Shared by the rule tests (`rules_*.rs`): a valid document broken in one way must give that
//! rule (fatal unless noted), with a path and messages in both languages; the untouched document
//! gives nothing.

// Each test binary uses its own part of these helpers.
#![allow(dead_code)]

use chrono::NaiveDate;
use fiskal_ubl::*;
use rust_decimal::Decimal;

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}
pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}
pub const D: (i32, u32, u32) = (2026, 11, 25);
pub fn today() -> NaiveDate {
    day(D.0, D.1, D.2)
}

pub type Mutation = fn(&mut Document);

/// Checks that `base` is valid and that each mutation gives its rule with that severity, a
/// path and separate Serbian and English messages; reports every failing case at once.
pub fn expect(base: &Document, cases: &[(&str, Mutation, &str, Severity)]) {
    assert!(validate(base).is_empty(), "{:#?}", validate(base));
    let mut failures = Vec::new();
    for (name, mutate, rule, sev) in cases {
        let mut d = base.clone();
        mutate(&mut d);
        let f = validate(&d);
        match f.iter().find(|x| x.rule_id == *rule) {
            None => failures.push(format!(
                "{name}: expected {rule}, got {:?}",
                f.iter().map(|x| x.rule_id).collect::<Vec<_>>()
            )),
            Some(x) => {
                if x.severity != *sev {
                    failures.push(format!("{name}: {rule} has severity {:?}", x.severity));
                }
                if x.path.is_empty() || !x.path.starts_with('/') {
                    failures.push(format!("{name}: {rule} has no path"));
                }
                if x.message_sr.is_empty()
                    || x.message_en.is_empty()
                    || x.message_sr == x.message_en
                {
                    failures.push(format!(
                        "{name}: {rule} lacks separate Serbian and English messages"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
