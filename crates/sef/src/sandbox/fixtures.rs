//! Reference lists served by the sandbox (`sef-api.md` §7.10): units of measure and VAT
//! exemption reasons. These are sandbox fixtures (own values), not SEF's authoritative lists.

use crate::model::{UnitMeasure, VatExemptionReason};

/// (code, symbol, English, Serbian Latin, Serbian Cyrillic, on short list)
const UNITS: &[(&str, &str, &str, &str, &str, bool)] = &[
    ("H87", "kom", "piece", "komad", "комад", true),
    ("HUR", "h", "hour", "sat", "сат", true),
    ("DAY", "dan", "day", "dan", "дан", true),
    ("WEE", "ned", "week", "nedelja", "недеља", false),
    ("MON", "mes", "month", "mesec", "месец", true),
    ("ANN", "god", "year", "godina", "година", true),
    ("MIN", "min", "minute", "minut", "минут", true),
    ("SEC", "s", "second", "sekunda", "секунда", false),
    ("KGM", "kg", "kilogram", "kilogram", "килограм", true),
    ("GRM", "g", "gram", "gram", "грам", true),
    ("TNE", "t", "tonne", "tona", "тона", true),
    ("LTR", "l", "litre", "litar", "литар", true),
    ("MLT", "ml", "millilitre", "mililitar", "милилитар", false),
    ("MTR", "m", "metre", "metar", "метар", true),
    ("CMT", "cm", "centimetre", "centimetar", "центиметар", false),
    ("MMT", "mm", "millimetre", "milimetar", "милиметар", false),
    ("KMT", "km", "kilometre", "kilometar", "километар", true),
    (
        "MTK",
        "m2",
        "square metre",
        "kvadratni metar",
        "квадратни метар",
        true,
    ),
    (
        "MTQ",
        "m3",
        "cubic metre",
        "kubni metar",
        "кубни метар",
        true,
    ),
    (
        "KWH",
        "kWh",
        "kilowatt hour",
        "kilovat-sat",
        "киловат-сат",
        true,
    ),
    (
        "MWH",
        "MWh",
        "megawatt hour",
        "megavat-sat",
        "мегават-сат",
        false,
    ),
    ("KWT", "kW", "kilowatt", "kilovat", "киловат", false),
    ("SET", "set", "set", "set", "сет", false),
    ("PR", "par", "pair", "par", "пар", false),
    ("PK", "pak", "pack", "pakovanje", "паковање", false),
    ("BX", "kut", "box", "kutija", "кутија", false),
    ("BO", "fl", "bottle", "flaša", "флаша", false),
    ("RO", "rol", "roll", "rolna", "ролна", false),
    ("C62", "jed", "one", "jedinica", "јединица", false),
    (
        "E48",
        "usl",
        "service unit",
        "uslužna jedinica",
        "услужна јединица",
        false,
    ),
];

/// The units of measure of the sandbox.
pub fn unit_measures() -> Vec<UnitMeasure> {
    UNITS
        .iter()
        .map(|(c, s, en, lt, cy, short)| UnitMeasure {
            code: (*c).into(),
            symbol: Some((*s).into()),
            name_eng: Some((*en).into()),
            name_srb_ltn: Some((*lt).into()),
            name_srb_cyr: Some((*cy).into()),
            is_on_short_list: *short,
        })
        .collect()
}

/// True when `code` is a unit of the sandbox list.
pub fn is_unit(code: &str) -> bool {
    UNITS.iter().any(|u| u.0 == code)
}

fn keys() -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = Vec::new();
    for s in [
        "10-2-1", "10-2-2", "10-2-3", "10-2-4", "10-2-5-1", "10-2-5-2", "10-2-5-3", "36b-6",
    ] {
        v.push((format!("PDV-RS-{s}"), "AE"));
    }
    for i in 1..=17 {
        v.push((format!("PDV-RS-24-1-{i}"), "Z"));
    }
    v.push(("PDV-RS-61".into(), "Z"));
    for s in ["1", "1a", "2", "3", "4", "5", "6", "7", "8"] {
        v.push((format!("PDV-RS-25-1-{s}"), "E"));
    }
    for i in 1..=19 {
        v.push((format!("PDV-RS-25-2-{i}"), "E"));
    }
    v.push(("PDV-RS-25-2-3a".into(), "E"));
    v.push(("PDV-RS-25-2-3b".into(), "E"));
    for s in [
        "11-1-1", "11-1-2", "11-1-3", "11-1-4", "11-1-5", "11-3", "12-4",
    ] {
        v.push((format!("PDV-RS-{s}"), "O"));
    }
    for i in 1..=9 {
        v.push((format!("PDV-RS-12-6-{i}"), "O"));
    }
    v.push(("PDV-RS-6-1-1".into(), "R"));
    v.push(("PDV-RS-6a".into(), "R"));
    v.push(("PDV-RS-17-4-2".into(), "OE"));
    v.push(("PDV-RS-17-4-3".into(), "OE"));
    for s in ["33", "35-7", "36-5", "36b-4"] {
        v.push((format!("PDV-RS-{s}"), "SS"));
    }
    v.push(("PDV-RS-N".into(), "N"));
    v
}

/// The VAT exemption reasons of the sandbox (all active from 2022-01-01).
pub fn vat_exemption_reasons() -> Vec<VatExemptionReason> {
    keys()
        .into_iter()
        .enumerate()
        .map(|(i, (key, cat))| {
            let parts: Vec<&str> = key.trim_start_matches("PDV-RS-").split('-').collect();
            VatExemptionReason {
                reason_id: Some(400 + i as i64),
                key: key.clone(),
                law: Some("Zakon o porezu na dodatu vrednost".into()),
                article: parts.first().map(|s| s.to_string()),
                paragraph: parts.get(1).map(|s| s.to_string()),
                point: parts.get(2).map(|s| s.to_string()),
                subpoint: parts.get(3).map(|s| s.to_string()),
                text: Some(format!("Oslobođenje po osnovu {key} (sandbox)")),
                free_form_note: None,
                active_from: Some("2022-01-01T00:00:00".into()),
                active_to: None,
                category: Some(cat.into()),
            }
        })
        .collect()
}
