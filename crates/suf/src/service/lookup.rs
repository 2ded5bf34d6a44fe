//! Lookups of the public verification page that work from the SUF's records rather than from the
//! URL alone (verification-url.md §5, docs/suf-formats.md "Items and manual check"):
//!
//! - the item list of a received receipt, `POST /specifications`, guarded by a per-page token
//!   bound to the invoice number for one hour ([`issue_token`], [`check_token`]);
//! - the manual check without a QR code, `GET/POST /v/manual`, is [`super::manual`].
//!
//! Both only ever answer for receipts the SUF received by audit.

use std::sync::OnceLock;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::Utc;
use fiskal_domain::api::{InvoiceRequest, InvoiceResult};
use fiskal_domain::money::round4;
use fiskal_domain::tax::{CategoryType, TaxCategory, TaxRate, TaxRateGroup, compute_taxes};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Suf, SufError};
use crate::store::{ReceiptRecord, Store};

/// How long a specifications token stays valid: one hour.
pub const TOKEN_TTL_SECS: i64 = 3600;

/// Longest value accepted in any field of the manual form or of `POST /specifications`.
pub(crate) const MAX_FIELD_CHARS: usize = 100;

// ---------------------------------------------------------------- token

/// The process-wide HMAC-SHA256 key of the specifications tokens: 32 random bytes drawn once per
/// process (on first use), never stored or logged. Tokens therefore die with the process.
fn token_key() -> &'static hmac::Key {
    static KEY: OnceLock<hmac::Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        // Invariant: the operating system's random generator does not fail on a running system;
        // a SUF without randomness could not issue safe tokens of any kind.
        aws_lc_rs::rand::fill(&mut *secret).expect("the system random generator failed");
        hmac::Key::new(hmac::HMAC_SHA256, &*secret)
    })
}

/// Draws the token secret now, so the first page does not pay for it. Optional.
pub fn init_token_secret() {
    let _ = token_key();
}

fn token_message(invoice_number: &str, expires: i64) -> Vec<u8> {
    let mut m = Vec::with_capacity(invoice_number.len() + 24);
    m.extend_from_slice(invoice_number.as_bytes());
    m.push(0);
    m.extend_from_slice(expires.to_string().as_bytes());
    m
}

/// A token for `invoice_number` valid until `now_s + TOKEN_TTL_SECS` (Unix seconds):
/// `{expires}.{base64url(HMAC-SHA256(key, invoiceNumber ‖ 0x00 ‖ expires))}`.
pub fn token_at(invoice_number: &str, now_s: i64) -> String {
    let expires = now_s.saturating_add(TOKEN_TTL_SECS);
    let tag = hmac::sign(token_key(), &token_message(invoice_number, expires));
    format!("{expires}.{}", B64URL.encode(tag.as_ref()))
}

/// A token for `invoice_number`, valid for one hour from now.
pub fn issue_token(invoice_number: &str) -> String {
    token_at(invoice_number, Utc::now().timestamp())
}

/// Whether `token` was issued by this process for `invoice_number` and has not expired at `now_s`.
pub fn check_token(invoice_number: &str, token: &str, now_s: i64) -> bool {
    let Some((exp, mac)) = token.trim().split_once('.') else {
        return false;
    };
    if exp.is_empty() || exp.len() > 12 || !exp.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(expires) = exp.parse::<i64>() else {
        return false;
    };
    if now_s > expires || expires - now_s > TOKEN_TTL_SECS {
        return false;
    }
    let Ok(tag) = B64URL.decode(mac) else {
        return false;
    };
    hmac::verify(token_key(), &token_message(invoice_number, expires), &tag).is_ok()
}

// ---------------------------------------------------------------- items

/// One item of a received receipt as `POST /specifications` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecItem {
    /// GTIN, if the request had one.
    pub gtin: Option<String>,
    /// Name including the unit (`Pivo Lav/л`).
    pub name: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Item total (gross).
    pub total: Decimal,
    /// Unit price (gross).
    pub unit_price: Decimal,
    /// The item's labels, joined with `,` when there are several (`Ђ`).
    pub label: String,
    /// Rate of the label; with several labels, the sum of the percentage rates (types 0 and 1).
    pub label_rate: Decimal,
    /// `total − vatAmount`.
    pub tax_base_amount: Decimal,
    /// The item's tax, 4 decimals, computed per item the PFR's way (receipt.md §2.2).
    pub vat_amount: Decimal,
}

fn number(d: Decimal) -> Value {
    d.to_string()
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

impl SpecItem {
    /// The JSON object of the answer; amounts are exact JSON numbers.
    pub fn to_json(&self) -> Value {
        json!({
            "gtin": self.gtin,
            "name": self.name,
            "quantity": number(self.quantity),
            "total": number(self.total),
            "unitPrice": number(self.unit_price),
            "label": self.label,
            "labelRate": number(self.label_rate),
            "taxBaseAmount": number(self.tax_base_amount),
            "vatAmount": number(self.vat_amount),
        })
    }
}

/// The tax-rate group the receipt was computed with, rebuilt from its own `taxItems`: every
/// label of every item appears there with its rate and category type, so taxing each item with
/// this group gives exactly the PFR's per-item amounts, whose per-label sums are the `taxItems`.
fn receipt_group(res: &InvoiceResult) -> TaxRateGroup {
    TaxRateGroup {
        group_id: res.tax_group_revision,
        valid_from: res.sdc_date_time,
        tax_categories: res
            .tax_items
            .iter()
            .enumerate()
            .map(|(i, t)| TaxCategory {
                name: t.category_name.clone(),
                category_type: t.category_type,
                order_id: u8::try_from(i + 1).unwrap_or(u8::MAX),
                tax_rates: vec![TaxRate {
                    rate: t.rate,
                    label: t.label.clone(),
                }],
            })
            .collect(),
    }
}

/// The items of a received receipt with the tax of each, or `None` when the stored request or
/// result cannot be read or an item's label is not among the receipt's tax items.
pub fn specification_items(r: &ReceiptRecord) -> Option<Vec<SpecItem>> {
    let req: InvoiceRequest = serde_json::from_str(&r.request_json).ok()?;
    let res: InvoiceResult = serde_json::from_str(&r.result_json).ok()?;
    let group = receipt_group(&res);
    req.items
        .iter()
        .map(|it| {
            let labels: Vec<char> = it
                .labels
                .iter()
                .map(|l| {
                    let mut cs = l.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) => Some(c),
                        _ => None,
                    }
                })
                .collect::<Option<_>>()?;
            let taxes =
                compute_taxes(&group, &[(it.total_amount, it.quantity, labels.clone())]).ok()?;
            let vat = round4(taxes.iter().map(|t| t.amount).sum());
            let label_rate = match taxes.as_slice() {
                [one] => one.rate,
                many => many
                    .iter()
                    .filter(|t| t.category_type != CategoryType::AmountPerQuantity)
                    .map(|t| t.rate)
                    .sum(),
            };
            Some(SpecItem {
                gtin: it.gtin.clone(),
                name: it.name.clone(),
                quantity: it.quantity,
                total: it.total_amount,
                unit_price: it.unit_price,
                label: it.labels.join(","),
                label_rate,
                tax_base_amount: it.total_amount - vat,
                vat_amount: vat,
            })
        })
        .collect()
}

/// The items for `POST /specifications`: `None` when the token is wrong or expired for this
/// invoice number, or the SUF has not received the receipt.
pub async fn specifications<S: Store>(
    suf: &Suf<S>,
    invoice_number: &str,
    token: &str,
) -> Result<Option<Vec<SpecItem>>, SufError> {
    if invoice_number.is_empty()
        || invoice_number.len() > MAX_FIELD_CHARS
        || !check_token(invoice_number, token, Utc::now().timestamp())
    {
        return Ok(None);
    }
    let Some(r) = suf.store().receipt(invoice_number).await? else {
        return Ok(None);
    };
    Ok(specification_items(&r))
}

/// Fields of a form body (`application/x-www-form-urlencoded`), or of a flat JSON object when the
/// body starts with `{`. The first value of a repeated field wins.
pub(crate) fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    if body.trim_ascii_start().starts_with(b"{") {
        return match serde_json::from_slice::<serde_json::Map<String, Value>>(body) {
            Ok(m) => m
                .into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Number(n) => Some((k, n.to_string())),
                    _ => None,
                })
                .collect(),
            Err(_) => Vec::new(),
        };
    }
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The value of field `name` among `fields`.
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_token_valid_expired_and_bound_to_the_invoice() {
        let now = 1_724_848_648;
        let t = token_at("AAAA1111-BBBB2222-12", now);
        assert!(check_token("AAAA1111-BBBB2222-12", &t, now));
        assert!(check_token(
            "AAAA1111-BBBB2222-12",
            &t,
            now + TOKEN_TTL_SECS
        ));
        assert!(
            !check_token("AAAA1111-BBBB2222-12", &t, now + TOKEN_TTL_SECS + 1),
            "expired"
        );
        assert!(
            !check_token("AAAA1111-BBBB2222-13", &t, now),
            "other invoice"
        );
        assert!(!check_token("AAAA1111-BBBB2222-1", &t, now), "prefix");
        // Moving the expiry breaks the MAC; garbage never panics.
        let (exp, mac) = t.split_once('.').unwrap();
        let later = format!("{}.{mac}", exp.parse::<i64>().unwrap() + 10);
        assert!(!check_token("AAAA1111-BBBB2222-12", &later, now));
        for bad in [
            "",
            ".",
            "x.y",
            "1.",
            &format!("{exp}."),
            &format!("{exp}.%%"),
            "99999999999999999999.AA",
        ] {
            assert!(!check_token("AAAA1111-BBBB2222-12", bad, now), "{bad}");
        }
        // A token claiming a lifetime beyond one hour is refused even before the MAC.
        let far = token_at("X", now + 10 * TOKEN_TTL_SECS);
        assert!(!check_token("X", &far, now));
        assert_ne!(issue_token("X"), issue_token("Y"));
    }
}
