//! Tests of buyer IDs and optional buyer fields.

use chrono::NaiveDate;

use super::kind::ValueRule;
use super::*;

fn ok(s: &str) -> (BuyerId, Vec<BuyerIdWarning>) {
    BuyerId::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> BuyerIdError {
    match BuyerId::parse(s) {
        Ok(v) => panic!("{s} accepted as {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn pib_check_digits() {
    for good in [
        "106884584",
        "109952524",
        "111911206",
        "109262972",
        "100223617",
    ] {
        assert!(pib_check_digit_valid(good), "{good}");
    }
    for bad in [
        "123456789",
        "111111111",
        "512456789",
        "123123123",
        "10688458",
        "1068845840",
        "10688458a",
        "",
    ] {
        assert!(!pib_check_digit_valid(bad), "{bad}");
    }
    // Every wrong last digit of a valid PIB fails.
    for d in 0..10 {
        let s = format!("10688458{d}");
        assert_eq!(pib_check_digit_valid(&s), d == 4, "{s}");
    }
}

#[test]
fn jmbg_check_digits() {
    assert!(jmbg_check_digit_valid("0101006500006"));
    assert!(!jmbg_check_digit_valid("0101006500007"));
    assert!(!jmbg_check_digit_valid("010100650000"));
    assert!(!jmbg_check_digit_valid("010100650000a"));
    // m = 11 gives check digit 0: a sum divisible by 11.
    // 0000000000000 has sum 0, m = 11 → 0.
    assert!(jmbg_check_digit_valid("0000000000000"));
}

#[test]
fn kinds_codebook() {
    assert_eq!(BuyerIdKind::ALL.len(), 19);
    let codes: Vec<&str> = BuyerIdKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(
        codes,
        [
            "10", "11", "12", "13", "14", "15", "16", "20", "21", "22", "23", "30", "31", "32",
            "33", "34", "35", "36", "40"
        ]
    );
    for &k in BuyerIdKind::ALL {
        assert_eq!(BuyerIdKind::from_code(k.code()), Some(k));
        assert!(!k.describe_sr().is_empty() && !k.describe_en().is_empty());
    }
    assert_eq!(
        BuyerIdKind::PibLegalEntity.describe_sr(),
        "PIB domaćeg pravnog lica"
    );
    assert_eq!(BuyerIdKind::from_code("99"), None);
}

#[test]
fn cash_refund_excludes_jmbg() {
    let excluded: Vec<&str> = BuyerIdKind::ALL
        .iter()
        .filter(|k| !is_allowed_for_cash_refund(**k))
        .map(|k| k.code())
        .collect();
    assert_eq!(excluded, ["11", "15"]);
}

#[test]
fn pib_codes() {
    for code in ["10", "14"] {
        let (id, w) = ok(&format!("{code}:106884584"));
        assert!(w.is_empty());
        assert_eq!(id.pib(), Some("106884584"));
        assert_eq!(id.to_string(), format!("{code}:106884584"));
        assert!(matches!(
            err(&format!("{code}:123456789")),
            BuyerIdError::PibCheckDigit { .. }
        ));
        assert!(matches!(
            err(&format!("{code}:12345678")),
            BuyerIdError::PibFormat { .. }
        ));
        assert!(matches!(
            err(&format!("{code}:10688458A")),
            BuyerIdError::PibFormat { .. }
        ));
    }
    assert!(matches!(
        err("10:123456789:54321"),
        BuyerIdError::UnexpectedColon { .. }
    ));
    assert_eq!(
        err("10:123456789").message_sr(),
        "PIB 123456789 nema ispravnu kontrolnu cifru."
    );
    assert_eq!(
        err("10:123456789").message_en(),
        "PIB 123456789 does not have a valid check digit."
    );
}

#[test]
fn pib_jbkjs_code_12() {
    let (id, _) = ok("12:106884584:54321");
    assert_eq!(id.kind, BuyerIdKind::PibJbkjs);
    assert_eq!(id.pib(), Some("106884584"));
    assert!(matches!(
        err("12:123456789:54321"),
        BuyerIdError::PibCheckDigit { .. }
    ));
    assert!(matches!(
        err("12:106884584"),
        BuyerIdError::PibJbkjsFormat { .. }
    ));
    assert!(matches!(
        err("12:106884584:5432"),
        BuyerIdError::PibJbkjsFormat { .. }
    ));
    assert!(matches!(
        err("12:106884584:5432A"),
        BuyerIdError::PibJbkjsFormat { .. }
    ));
    assert!(matches!(
        err("12:106884584:54321:"),
        BuyerIdError::PibJbkjsFormat { .. }
    ));
}

#[test]
fn jmbg_codes_warn_on_check_digit() {
    for code in ["11", "15"] {
        let (id, w) = ok(&format!("{code}:0101006500006"));
        assert!(w.is_empty());
        assert!(id.kind.is_jmbg());
        let (_, w) = ok(&format!("{code}:0101006500007"));
        assert_eq!(
            w,
            vec![BuyerIdWarning::JmbgCheckDigit {
                jmbg: "0101006500007".into()
            }]
        );
        assert!(w[0].message_sr().contains("0101006500007"));
        assert!(matches!(
            err(&format!("{code}:010100650000")),
            BuyerIdError::JmbgFormat { .. }
        ));
    }
}

#[test]
fn bpg_code_16() {
    ok("16:123");
    ok("16:12345678901234567");
    assert!(matches!(err("16:A123"), BuyerIdError::DigitsFormat { .. }));
}

#[test]
fn document_number_codes() {
    for &k in BuyerIdKind::ALL {
        if k.rule() != ValueRule::DocumentNumber {
            continue;
        }
        let c = k.code();
        let (id, w) = ok(&format!("{c}:PP3456789"));
        assert_eq!(id.kind, k);
        assert!(w.is_empty());
        ok(&format!("{c}:12345678901234567"));
        assert!(matches!(
            err(&format!("{c}:123456789012345678")),
            BuyerIdError::TooLong { .. }
        ));
        assert!(matches!(
            err(&format!("{c}:PP 123")),
            BuyerIdError::DocumentNumberFormat { .. }
        ));
        assert!(matches!(
            err(&format!("{c}:PP-123")),
            BuyerIdError::DocumentNumberFormat { .. }
        ));
        assert!(matches!(
            err(&format!("{c}:")),
            BuyerIdError::EmptyValue { .. }
        ));
    }
    let e = err("20:AB-1");
    assert!(
        e.message_sr()
            .starts_with("Broj lične karte ima od 1 do 17"),
        "{}",
        e.message_sr()
    );
}

#[test]
fn foreign_tin_code_40() {
    ok("40:DE 123-456");
    ok("40:DE-12345678901234");
    assert!(matches!(
        err("40:DE-123456789012345"),
        BuyerIdError::TooLong { len: 21 }
    ));
    assert!(matches!(
        err("40:DE_123"),
        BuyerIdError::ForeignTinFormat { .. }
    ));
    assert!(matches!(
        err("40: DE123"),
        BuyerIdError::ForeignTinFormat { .. }
    ));
    assert!(matches!(
        err("40:DE123-"),
        BuyerIdError::ForeignTinFormat { .. }
    ));
}

#[test]
fn general_rejections() {
    assert_eq!(err(""), BuyerIdError::Empty);
    assert!(matches!(
        err("RS34564565"),
        BuyerIdError::MissingPrefix { .. }
    ));
    assert!(matches!(err("99:123456"), BuyerIdError::UnknownCode { .. }));
    assert!(matches!(err("1:123456"), BuyerIdError::UnknownCode { .. }));
    assert_eq!(err("20:ЛК12345"), BuyerIdError::BadCharacter { ch: 'Л' });
    assert!(matches!(err("20:AB\t1"), BuyerIdError::BadCharacter { .. }));
    assert!(matches!(err(" 20:AB1"), BuyerIdError::UnknownCode { .. }));
    assert_eq!(
        "20:0023456".parse::<BuyerId>().unwrap().kind,
        BuyerIdKind::IdCard
    );
}

#[test]
fn cost_center_codes() {
    assert_eq!(CostCenterKind::ALL.len(), 8);
    for &k in CostCenterKind::ALL {
        assert_eq!(CostCenterKind::from_code(k.code()), Some(k));
        if k != CostCenterKind::CorporateCardPeriod {
            let c = BuyerCostCenterId::parse(&format!("{}:AB123", k.code())).unwrap();
            assert_eq!(c.kind, k);
            assert_eq!(c.to_string(), format!("{}:AB123", k.code()));
            assert_eq!(c.period(), None);
            assert!(matches!(
                BuyerCostCenterId::parse(&format!("{}:AB 123", k.code())),
                Err(CostCenterError::BadValue { .. })
            ));
            assert!(matches!(
                BuyerCostCenterId::parse(&format!("{}:", k.code())),
                Err(CostCenterError::BadValue { .. })
            ));
        }
    }
    let p = BuyerCostCenterId::parse("60:01032022_31032022").unwrap();
    assert_eq!(
        p.period(),
        Some((
            NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2022, 3, 31).unwrap()
        ))
    );
    BuyerCostCenterId::parse("60:01032022_01032022").unwrap();
    assert!(matches!(
        BuyerCostCenterId::parse("60:31032022_01032022"),
        Err(CostCenterError::PeriodReversed { .. })
    ));
    assert!(matches!(
        BuyerCostCenterId::parse("60:30022022_31032022"),
        Err(CostCenterError::BadDate { .. })
    ));
    assert!(matches!(
        BuyerCostCenterId::parse("60:01032022-31032022"),
        Err(CostCenterError::BadPeriod { .. })
    ));
    assert!(matches!(
        BuyerCostCenterId::parse("60:1032022_31032022"),
        Err(CostCenterError::BadPeriod { .. })
    ));
    assert!(matches!(
        BuyerCostCenterId::parse("10:099999999"),
        Err(CostCenterError::UnknownCode { .. })
    ));
    assert!(matches!(
        BuyerCostCenterId::parse("099999999"),
        Err(CostCenterError::MissingPrefix { .. })
    ));
    assert!(matches!(
        BuyerCostCenterId::parse(""),
        Err(CostCenterError::Empty)
    ));
    let long = format!("30:{}", "1".repeat(48));
    assert!(matches!(
        BuyerCostCenterId::parse(&long),
        Err(CostCenterError::TooLong { len: 51 })
    ));
    BuyerCostCenterId::parse(&long[..50]).unwrap();
    assert_eq!(
        BuyerCostCenterId::parse("60:31032022_01032022")
            .unwrap_err()
            .message_sr(),
        "Početni datum 31032022 je posle krajnjeg datuma 01032022."
    );
}
