//! The manual check without a QR code, `GET/POST /v/manual` (verification-url.md §5,
//! docs/suf-formats.md "Items and manual check"): the PFR invoice number, invoice counter, total
//! amount and PFR time typed in by hand ([`parse_manual`]), looked up among the receipts the SUF
//! received by audit ([`manual_lookup`]). Its pages are [`crate::api::page::manual`].

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use fiskal_domain::api::InvoiceResult;
use fiskal_domain::kinds::{DocumentKind, InvoiceType, TransactionType};
use fiskal_domain::lang::Lang;
use fiskal_domain::money::{max_se_amount, to_scaled};
use fiskal_domain::time::{from_millis, to_belgrade};
use rust_decimal::Decimal;

use super::lookup::{MAX_FIELD_CHARS, field, form_fields};
use super::{Invalid, Suf, SufError, Verified};
use crate::store::{ReceiptRecord, Store};

/// The manual form as typed (`invoiceNumber`, `invoiceCounter`, `totalAmount`, `sdcDateTime`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManualForm {
    /// PFR invoice number, `AAAA1111-AAAA1111-12`.
    pub invoice_number: String,
    /// Invoice counter as printed, `12/15ПП`.
    pub invoice_counter: String,
    /// Total amount, `1.234,56`.
    pub total_amount: String,
    /// PFR time, `28.08.2024. 14:37:28`.
    pub sdc_date_time: String,
}

impl ManualForm {
    /// Reads a form body; missing fields are empty.
    pub fn from_body(body: &[u8]) -> ManualForm {
        let f = form_fields(body);
        let get = |n: &str| field(&f, n).unwrap_or_default().to_string();
        ManualForm {
            invoice_number: get("invoiceNumber"),
            invoice_counter: get("invoiceCounter"),
            total_amount: get("totalAmount"),
            sdc_date_time: get("sdcDateTime"),
        }
    }
}

/// A field of the manual form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualField {
    /// `invoiceNumber`.
    InvoiceNumber,
    /// `invoiceCounter`.
    InvoiceCounter,
    /// `totalAmount`.
    TotalAmount,
    /// `sdcDateTime`.
    SdcDateTime,
}

impl ManualField {
    /// The form field name.
    pub fn name(self) -> &'static str {
        match self {
            ManualField::InvoiceNumber => "invoiceNumber",
            ManualField::InvoiceCounter => "invoiceCounter",
            ManualField::TotalAmount => "totalAmount",
            ManualField::SdcDateTime => "sdcDateTime",
        }
    }
}

/// Why a typed value cannot be used (a sentence for the form, in each language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualInputError {
    /// The field.
    pub field: ManualField,
    /// What is wrong, in Serbian Latin (see [`crate::api::page::text`]).
    pub sr_latn: &'static str,
    /// What is wrong, in English.
    pub en: &'static str,
}

impl ManualInputError {
    /// What is wrong, in `lang` (Cyrillic transliterates the Latin).
    pub fn message(&self, lang: Lang) -> String {
        // As the pages' texts (`api::page::text`): a part in braces keeps its Latin letters.
        lang.pick(self.sr_latn, self.en).replace(['{', '}'], "")
    }
}

/// The manual form, checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualQuery {
    /// Canonical PFR invoice number `{requestedBy}-{signedBy}-{totalCounter}`.
    pub invoice_number: String,
    /// Transaction-type counter from the invoice counter.
    pub transaction_type_counter: u32,
    /// Total counter from the invoice counter (equal to the invoice number's).
    pub total_counter: u32,
    /// Document kind from the counter extension.
    pub kind: DocumentKind,
    /// Total amount × 10 000.
    pub amount_scaled: u64,
    /// PFR time in Belgrade wall-clock time, cut to the minute.
    pub minute: NaiveDateTime,
}

fn is_uid(s: &str) -> bool {
    s.len() == 8
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a PFR invoice number (`AAAA1111-AAAA1111-12`, any case, spaces ignored) into its
/// canonical form and total counter.
pub fn parse_invoice_number(s: &str) -> Option<(String, u32)> {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let mut parts = t.split('-');
    let (Some(a), Some(b), Some(n), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if !is_uid(a) || !is_uid(b) || !all_digits(n) || n.len() > 10 {
        return None;
    }
    let n: u32 = n.parse().ok()?;
    Some((format!("{a}-{b}-{n}"), n))
}

/// Parses an invoice counter as printed, `{transactionTypeCounter}/{totalCounter}{extension}`
/// (`12/15ПП`); the extension may be typed in lower case or with the Latin look-alikes
/// `A K O P R`.
pub fn parse_invoice_counter(s: &str) -> Option<(u32, u32, DocumentKind)> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (tt, rest) = t.split_once('/')?;
    let digits_end = rest
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map(|(i, _)| i)?;
    let (total, ext) = rest.split_at(digits_end);
    if !all_digits(tt) || !all_digits(total) || tt.len() > 10 || total.len() > 10 {
        return None;
    }
    let ext: String = ext
        .chars()
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            'A' => 'А',
            'K' => 'К',
            'O' => 'О',
            'P' => 'П',
            'R' => 'Р',
            c => c,
        })
        .collect();
    let kind = DocumentKind::from_extension(&ext)?;
    let (tt, total) = (tt.parse::<u32>().ok()?, total.parse::<u32>().ok()?);
    if tt == 0 || tt > total {
        return None;
    }
    Some((tt, total, kind))
}

/// Whether `groups` (the parts between grouping separators) form valid thousands groups.
fn valid_groups(groups: &[&str]) -> bool {
    let Some((first, rest)) = groups.split_first() else {
        return false;
    };
    (1..=3).contains(&first.len())
        && all_digits(first)
        && rest.iter().all(|g| g.len() == 3 && all_digits(g))
}

/// Parses a total amount typed the Serbian way (`1.234,56`, `1234,56`) or the API way
/// (`1234.56`); spaces and a trailing `RSD`/`дин` are ignored. With one separator, exactly three
/// digits after it mean thousands (`1.234` = 1234), otherwise it is the decimal separator. At most
/// 4 decimals; never negative; at most what a verification URL can carry.
pub fn parse_amount(s: &str) -> Option<Decimal> {
    let mut t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202F}' && *c != '\'')
        .collect();
    for suffix in ["RSD", "rsd", "дин.", "дин", "ДИН"] {
        if let Some(x) = t.strip_suffix(suffix) {
            t = x.to_string();
            break;
        }
    }
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let (int_part, frac) = match (t.rfind('.'), t.rfind(',')) {
        (None, None) => (t.clone(), String::new()),
        (Some(d), Some(c)) => {
            let (dec_pos, group) = if d > c { (d, ',') } else { (c, '.') };
            let int = &t[..dec_pos];
            if int.contains(if group == ',' { '.' } else { ',' }) {
                return None; // the decimal separator appears twice
            }
            let groups: Vec<&str> = int.split(group).collect();
            if !valid_groups(&groups) {
                return None;
            }
            (groups.concat(), t[dec_pos + 1..].to_string())
        }
        (Some(_), None) | (None, Some(_)) => {
            let sep = if t.contains('.') { '.' } else { ',' };
            let parts: Vec<&str> = t.split(sep).collect();
            match parts.as_slice() {
                [_, ""] => return None,
                [int, frac] if frac.len() != 3 => (int.to_string(), frac.to_string()),
                _ => {
                    if !valid_groups(&parts) {
                        return None;
                    }
                    (parts.concat(), String::new())
                }
            }
        }
    };
    if !all_digits(&int_part) || int_part.len() > 13 || frac.len() > 4 {
        return None;
    }
    if !frac.is_empty() && !all_digits(&frac) {
        return None;
    }
    let text = if frac.is_empty() {
        int_part
    } else {
        format!("{int_part}.{frac}")
    };
    let d: Decimal = text.parse().ok()?;
    (d <= max_se_amount()).then_some(d)
}

/// Parses a PFR time in Belgrade wall-clock time: `2024-08-28T14:37:28`, `2024-08-28 14:37`,
/// `28.08.2024. 14:37:28`, `28.8.2024 9:05`; an explicit offset (`…+02:00`, `…Z`) is converted to
/// Belgrade time. Seconds are optional and fractions ignored. Years 2000–2099 only. Returns the
/// time cut to the minute.
pub fn parse_sdc_time(s: &str) -> Option<NaiveDateTime> {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() || t.len() > 40 {
        return None;
    }
    let naive = if let Ok(z) = DateTime::parse_from_rfc3339(&t) {
        to_belgrade(z.with_timezone(&Utc)).naive_local()
    } else {
        // `28.08.2024.14:37` → `28.08.2024. 14:37`
        let t = match t.find(". ") {
            None if t.matches('.').count() >= 3 && !t.contains(' ') => {
                let i = t.match_indices('.').nth(2).map(|(i, _)| i)?;
                format!("{}. {}", &t[..i], &t[i + 1..])
            }
            _ => t,
        };
        const FORMATS: [&str; 10] = [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%d.%m.%Y. %H:%M:%S",
            "%d.%m.%Y. %H:%M",
            "%d.%m.%Y %H:%M:%S",
            "%d.%m.%Y %H:%M",
            "%d.%m.%Y.%H:%M:%S",
            "%d.%m.%Y.%H:%M",
        ];
        FORMATS
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(&t, f).ok())?
    };
    let year = chrono::Datelike::year(&naive);
    if !(2000..=2099).contains(&year) {
        return None;
    }
    naive.with_second(0)?.with_nanosecond(0)
}

/// Checks the typed form; every unusable field gets a message.
pub fn parse_manual(f: &ManualForm) -> Result<ManualQuery, Vec<ManualInputError>> {
    let mut errors = Vec::new();
    let mut err = |field, sr_latn, en| errors.push(ManualInputError { field, sr_latn, en });
    let too_long = |s: &str| s.chars().count() > MAX_FIELD_CHARS;

    let number = if f.invoice_number.trim().is_empty() {
        err(
            ManualField::InvoiceNumber,
            "Unesite PFR broj računa.",
            "Enter the PFR invoice number.",
        );
        None
    } else if too_long(&f.invoice_number) {
        err(
            ManualField::InvoiceNumber,
            "PFR broj računa je predugačak.",
            "The PFR invoice number is too long.",
        );
        None
    } else {
        let n = parse_invoice_number(&f.invoice_number);
        if n.is_none() {
            err(
                ManualField::InvoiceNumber,
                "PFR broj računa ima oblik {AAAA1111-AAAA1111-12}: dve grupe od 8 slova ili cifara \
                 i broj, razdvojeni crticom.",
                "The PFR invoice number looks like AAAA1111-AAAA1111-12: two groups of 8 letters \
                 or digits and a number, joined by hyphens.",
            );
        }
        n
    };
    let counter = if f.invoice_counter.trim().is_empty() {
        err(
            ManualField::InvoiceCounter,
            "Unesite brojač računa.",
            "Enter the invoice counter.",
        );
        None
    } else if too_long(&f.invoice_counter) {
        err(
            ManualField::InvoiceCounter,
            "Brojač računa je predugačak.",
            "The invoice counter is too long.",
        );
        None
    } else {
        let c = parse_invoice_counter(&f.invoice_counter);
        if c.is_none() {
            err(
                ManualField::InvoiceCounter,
                "Brojač računa ima oblik 12/15PP: dva broja razdvojena kosom crtom i oznaka vrste \
                 računa (PP, PR, AP, AR, KP, KR, OP, OR, RP ili RR).",
                "The invoice counter looks like 12/15ПП: two numbers separated by a slash, then \
                 the letters of the receipt type (ПП, ПР, АП, АР, КП, КР, ОП, ОР, РП or РР).",
            );
        }
        c
    };
    if let (Some((_, n_total)), Some((_, c_total, _))) = (&number, &counter)
        && n_total != c_total
    {
        err(
            ManualField::InvoiceCounter,
            "Broj posle kose crte u brojaču mora biti jednak broju na kraju PFR broja računa.",
            "The number after the slash in the counter must equal the number at the end of the \
             PFR invoice number.",
        );
    }
    let amount = if f.total_amount.trim().is_empty() {
        err(
            ManualField::TotalAmount,
            "Unesite ukupan iznos.",
            "Enter the total amount.",
        );
        None
    } else if too_long(&f.total_amount) {
        err(
            ManualField::TotalAmount,
            "Ukupan iznos je predugačak.",
            "The total amount is too long.",
        );
        None
    } else {
        let a = parse_amount(&f.total_amount).and_then(to_scaled);
        if a.is_none() {
            err(
                ManualField::TotalAmount,
                "Ukupan iznos unesite kao na računu, na primer 1.234,56 ili 1234,56.",
                "Enter the total amount as on the receipt, for example 1.234,56 or 1234,56.",
            );
        }
        a
    };
    let minute = if f.sdc_date_time.trim().is_empty() {
        err(
            ManualField::SdcDateTime,
            "Unesite PFR vreme.",
            "Enter the PFR time.",
        );
        None
    } else if too_long(&f.sdc_date_time) {
        err(
            ManualField::SdcDateTime,
            "PFR vreme je predugačko.",
            "The PFR time is too long.",
        );
        None
    } else {
        let t = parse_sdc_time(&f.sdc_date_time);
        if t.is_none() {
            err(
                ManualField::SdcDateTime,
                "PFR vreme unesite kao na računu, na primer 28.08.2024. 14:37:28 (sekunde nisu \
                 obavezne).",
                "Enter the PFR time as on the receipt, for example 28.08.2024. 14:37:28 (the \
                 seconds may be left out).",
            );
        }
        t
    };
    match (number, counter, amount, minute) {
        (Some((invoice_number, _)), Some((tt, total, kind)), Some(amount_scaled), Some(minute))
            if errors.is_empty() =>
        {
            Ok(ManualQuery {
                invoice_number,
                transaction_type_counter: tt,
                total_counter: total,
                kind,
                amount_scaled,
                minute,
            })
        }
        _ => Err(errors),
    }
}

/// Whether the typed data describe this received receipt: invoice number, counters and kind,
/// amount, and PFR time within the same minute of Belgrade wall-clock time.
pub fn matches(q: &ManualQuery, r: &ReceiptRecord) -> bool {
    let kind = match (
        InvoiceType::from_code(u64::from(r.invoice_type)),
        TransactionType::from_code(u64::from(r.transaction_type)),
    ) {
        (Some(i), Some(t)) => DocumentKind::new(i, t),
        _ => return false,
    };
    let minute = from_millis(r.sdc_time_ms)
        .map(|t| to_belgrade(t).naive_local())
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0));
    r.invoice_number == q.invoice_number
        && r.transaction_type_counter == q.transaction_type_counter
        && r.total_counter == q.total_counter
        && kind == q.kind
        && u64::try_from(r.amount).ok() == Some(q.amount_scaled)
        && minute == Some(q.minute)
}

/// What the manual check found.
#[derive(Debug, Clone)]
pub enum ManualOutcome {
    /// The data match a received receipt: the verification of its stored URL, exactly what
    /// `/v/?vl=` shows for it.
    Found {
        /// The verification of the stored URL.
        verdict: Box<Result<Verified, Invalid>>,
        /// The stored URL's `vl` value (percent-encoded), for links to `/v/?vl=`.
        vl: String,
    },
    /// A receipt with this number was received, but the other data differ.
    NotFound,
    /// The SUF has not received a receipt with this number (yet).
    NotReceived,
}

/// Looks the typed data up among the received receipts.
pub async fn manual_lookup<S: Store>(
    suf: &Suf<S>,
    q: &ManualQuery,
) -> Result<ManualOutcome, SufError> {
    let Some(r) = suf.store().receipt(&q.invoice_number).await? else {
        return Ok(ManualOutcome::NotReceived);
    };
    if !matches(q, &r) {
        return Ok(ManualOutcome::NotFound);
    }
    let Ok(res) = serde_json::from_str::<InvoiceResult>(&r.result_json) else {
        tracing::warn!(invoice = %r.invoice_number, "stored result unreadable");
        return Ok(ManualOutcome::NotFound);
    };
    let vl = res
        .verification_url
        .split_once("vl=")
        .map_or(res.verification_url.as_str(), |(_, vl)| vl);
    let vl = vl.split(['&', '#']).next().unwrap_or_default().to_string();
    Ok(ManualOutcome::Found {
        verdict: Box::new(suf.verify(&vl).await?),
        vl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use fiskal_domain::money::dec;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    #[test]
    fn manual_amounts() {
        for (s, want) in [
            ("1.234,56", "1234.56"),
            ("1234.56", "1234.56"),
            ("1234,56", "1234.56"),
            ("1,234.56", "1234.56"),
            ("164", "164"),
            ("164,00", "164.00"),
            ("164,5", "164.5"),
            ("1.234", "1234"),
            ("12.345.678,90", "12345678.90"),
            (" 1 234,56 RSD", "1234.56"),
            ("730,00 дин.", "730.00"),
            ("68.4600", "68.4600"),
            ("0,00", "0.00"),
        ] {
            assert_eq!(parse_amount(s), Some(dec(want)), "{s}");
        }
        for s in [
            "",
            "abc",
            "-5",
            "1.2.3",
            "1,234,5",
            "12.34,56,7",
            "1.23,4",
            "1,234.5.6",
            "1..2",
            ",5",
            "164,",
            "1.234,56789",
            "99999999999999999",
            "1e5",
            "١٢٣",
        ] {
            assert_eq!(parse_amount(s), None, "{s}");
        }
    }

    #[test]
    fn manual_times() {
        let want = at(2024, 8, 28, 14, 37);
        for s in [
            "2024-08-28T14:37:28",
            "2024-08-28T14:37",
            "2024-08-28 14:37:28.033",
            "28.08.2024. 14:37:28",
            "28.08.2024. 14:37",
            "28.8.2024 14:37:59",
            "28.08.2024.14:37:28",
            "  28.08.2024.   14:37:28 ",
            "2024-08-28T12:37:28.033Z",
            "2024-08-28T14:37:28+02:00",
        ] {
            assert_eq!(parse_sdc_time(s), Some(want), "{s}");
        }
        assert_eq!(parse_sdc_time("1.2.2024. 9:05"), Some(at(2024, 2, 1, 9, 5)));
        // Winter: UTC+1.
        assert_eq!(
            parse_sdc_time("2024-02-01T08:05:00Z"),
            Some(at(2024, 2, 1, 9, 5))
        );
        for s in [
            "",
            "yesterday",
            "28.08.2024.",
            "32.08.2024. 14:37",
            "28.13.2024. 14:37",
            "28.08.2024. 25:00",
            "28.08.1999. 14:37",
            "2024-08-28",
            "14:37:28",
        ] {
            assert_eq!(parse_sdc_time(s), None, "{s}");
        }
    }

    #[test]
    fn manual_numbers_and_counters() {
        assert_eq!(
            parse_invoice_number(" aaaa1111-BBBB2222-0012 "),
            Some(("AAAA1111-BBBB2222-12".into(), 12))
        );
        for s in [
            "AAAA1111-BBBB2222",
            "AAAA111-BBBB2222-1",
            "AAAA1111-BBBB2222-x",
            "AAAA1111-BBBB2222-1-2",
            "ЏААА1111-BBBB2222-1",
            "AAAA1111-BBBB2222-99999999999",
        ] {
            assert_eq!(parse_invoice_number(s), None, "{s}");
        }
        let pp = DocumentKind::new(InvoiceType::Normal, TransactionType::Sale);
        let ar = DocumentKind::new(InvoiceType::Advance, TransactionType::Refund);
        assert_eq!(parse_invoice_counter("12/15ПП"), Some((12, 15, pp)));
        assert_eq!(parse_invoice_counter(" 12 / 15 пп"), Some((12, 15, pp)));
        assert_eq!(parse_invoice_counter("12/15PP"), Some((12, 15, pp)));
        assert_eq!(parse_invoice_counter("3/15AR"), Some((3, 15, ar)));
        for s in [
            "12/15",
            "12-15ПП",
            "16/15ПП",
            "0/15ПП",
            "12/15ХХ",
            "/15ПП",
            "12/ПП",
            "12/15ППП",
        ] {
            assert_eq!(parse_invoice_counter(s), None, "{s}");
        }
    }

    #[test]
    fn manual_form_errors_name_each_bad_field() {
        let e = parse_manual(&ManualForm::default()).unwrap_err();
        assert_eq!(e.len(), 4);
        let f = ManualForm {
            invoice_number: "AAAA1111-BBBB2222-12".into(),
            invoice_counter: "12/13ПП".into(),
            total_amount: "x".repeat(500),
            sdc_date_time: "28.08.2024. 14:37".into(),
        };
        let e = parse_manual(&f).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![ManualField::InvoiceCounter, ManualField::TotalAmount]
        );
        let ok = ManualForm {
            total_amount: "164,00".into(),
            invoice_counter: "12/12ПП".into(),
            ..f
        };
        let q = parse_manual(&ok).unwrap();
        assert_eq!(q.amount_scaled, 1_640_000);
        assert_eq!(q.minute, at(2024, 8, 28, 14, 37));
        let body = b"invoiceNumber=AAAA1111-BBBB2222-12&invoiceCounter=12%2F12%D0%9F%D0%9F&totalAmount=164%2C00&sdcDateTime=28.08.2024.+14%3A37";
        assert_eq!(ManualForm::from_body(body), ok);
    }

    #[test]
    fn manual_form_errors_in_each_language() {
        let forms = [
            ManualForm::default(),
            ManualForm {
                invoice_number: "x".repeat(101),
                invoice_counter: "x".repeat(101),
                total_amount: "x".repeat(101),
                sdc_date_time: "x".repeat(101),
            },
            ManualForm {
                invoice_number: "AAAA".into(),
                invoice_counter: "1/1".into(),
                total_amount: "abc".into(),
                sdc_date_time: "x".into(),
            },
            ManualForm {
                invoice_number: "AAAA1111-BBBB2222-12".into(),
                invoice_counter: "1/13ПП".into(),
                total_amount: "1,00".into(),
                sdc_date_time: "28.08.2024. 14:37".into(),
            },
        ];
        let errors: Vec<ManualInputError> = forms
            .iter()
            .flat_map(|f| parse_manual(f).unwrap_err())
            .collect();
        let cyrillic: Vec<String> = errors.iter().map(|e| e.message(Lang::SrCyrl)).collect();
        // The Cyrillic texts are the form's texts from before it spoke three languages.
        assert_eq!(
            cyrillic,
            [
                "Унесите ПФР број рачуна.",
                "Унесите бројач рачуна.",
                "Унесите укупан износ.",
                "Унесите ПФР време.",
                "ПФР број рачуна је предугачак.",
                "Бројач рачуна је предугачак.",
                "Укупан износ је предугачак.",
                "ПФР време је предугачко.",
                "ПФР број рачуна има облик AAAA1111-AAAA1111-12: две групе од 8 слова или цифара и \
                 број, раздвојени цртицом.",
                "Бројач рачуна има облик 12/15ПП: два броја раздвојена косом цртом и ознака врсте \
                 рачуна (ПП, ПР, АП, АР, КП, КР, ОП, ОР, РП или РР).",
                "Укупан износ унесите као на рачуну, на пример 1.234,56 или 1234,56.",
                "ПФР време унесите као на рачуну, на пример 28.08.2024. 14:37:28 (секунде нису \
                 обавезне).",
                "Број после косе црте у бројачу мора бити једнак броју на крају ПФР броја рачуна.",
            ]
        );
        for e in &errors {
            let latin = e.message(Lang::SrLatn);
            assert!(
                !latin.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)),
                "{latin}"
            );
            assert!(!latin.contains('{'), "{latin}");
            assert_ne!(e.message(Lang::En), latin);
        }
        assert_eq!(errors[0].message(Lang::En), "Enter the PFR invoice number.");
    }
}
