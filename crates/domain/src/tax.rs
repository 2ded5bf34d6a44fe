//! Tax-rate groups, labels and the tax engine (receipt.md §2).

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{json_number, round4};

/// How a tax category's rate applies to an item (`categoryType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CategoryType {
    /// 0: tax on net (VAT): `G × r / (100 + R)`.
    TaxOnNet,
    /// 1: tax on total, applied before type 0.
    TaxOnTotal,
    /// 2: a fixed amount per quantity.
    AmountPerQuantity,
}

impl CategoryType {
    /// Numeric code.
    pub fn code(self) -> u8 {
        match self {
            CategoryType::TaxOnNet => 0,
            CategoryType::TaxOnTotal => 1,
            CategoryType::AmountPerQuantity => 2,
        }
    }
    /// From the numeric code.
    pub fn from_code(c: u64) -> Option<Self> {
        match c {
            0 => Some(CategoryType::TaxOnNet),
            1 => Some(CategoryType::TaxOnTotal),
            2 => Some(CategoryType::AmountPerQuantity),
            _ => None,
        }
    }
}

impl Serialize for CategoryType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for CategoryType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let c = u64::deserialize(d)?;
        CategoryType::from_code(c)
            .ok_or_else(|| serde::de::Error::custom("categoryType must be 0, 1 or 2"))
    }
}

/// One label and its rate inside a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    /// Percent for types 0 and 1; currency amount per unit for type 2.
    #[serde(with = "json_number")]
    pub rate: Decimal,
    /// The single-character label, e.g. `Ђ`.
    pub label: String,
}

/// A tax category (e.g. "О-ПДВ") with its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxCategory {
    /// Category name as printed (`О-ПДВ`).
    pub name: String,
    /// How the rate applies.
    pub category_type: CategoryType,
    /// Position of the category; the key used in the SE payload (1…).
    pub order_id: u8,
    /// Labels of this category.
    pub tax_rates: Vec<TaxRate>,
}

/// A tax-rate group valid from an instant (`TaxRateGroup` of the PFR API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxRateGroup {
    /// Group id, reported as `taxGroupRevision`.
    pub group_id: u32,
    /// Instant from which the group applies.
    pub valid_from: DateTime<FixedOffset>,
    /// The categories.
    pub tax_categories: Vec<TaxCategory>,
}

/// What a label resolves to within a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelInfo {
    /// The label.
    pub label: char,
    /// Rate.
    pub rate: Decimal,
    /// Category name.
    pub category_name: String,
    /// Category type.
    pub category_type: CategoryType,
    /// Category order id.
    pub order_id: u8,
}

impl TaxRateGroup {
    /// fiskal's default Serbian group (receipt.md §2.5): groupId 1 from 2021-11-01T00:00:00+01:00,
    /// categories 1 "Без ПДВ" {А 0}, 2 "Ослобођено" {Г 0}, 3 "О-ПДВ" {Ђ 20}, 4 "П-ПДВ" {Е 10}.
    pub fn serbian_default() -> TaxRateGroup {
        let cat = |order_id: u8, name: &str, label: &str, rate: i64| TaxCategory {
            name: name.to_string(),
            category_type: CategoryType::TaxOnNet,
            order_id,
            tax_rates: vec![TaxRate {
                rate: Decimal::new(rate * 100, 2),
                label: label.to_string(),
            }],
        };
        TaxRateGroup {
            group_id: 1,
            valid_from: DateTime::parse_from_rfc3339("2021-11-01T00:00:00+01:00")
                .expect("constant"),
            tax_categories: vec![
                cat(1, "Без ПДВ", "А", 0),
                cat(2, "Ослобођено", "Г", 0),
                cat(3, "О-ПДВ", "Ђ", 20),
                cat(4, "П-ПДВ", "Е", 10),
            ],
        }
    }

    /// Looks a label up (compared by code point: Cyrillic `Е` is not Latin `E`).
    pub fn label(&self, label: char) -> Option<LabelInfo> {
        for c in &self.tax_categories {
            for r in &c.tax_rates {
                if r.label.chars().eq(std::iter::once(label)) {
                    return Some(LabelInfo {
                        label,
                        rate: r.rate,
                        category_name: c.name.clone(),
                        category_type: c.category_type,
                        order_id: c.order_id,
                    });
                }
            }
        }
        None
    }

    /// All labels of the group.
    pub fn labels(&self) -> Vec<char> {
        self.tax_categories
            .iter()
            .flat_map(|c| c.tax_rates.iter().filter_map(|r| r.label.chars().next()))
            .collect()
    }
}

/// Picks the group that applies at `at`: the latest `validFrom` not after it (pfr-api.md §6.4).
pub fn group_at(groups: &[TaxRateGroup], at: DateTime<FixedOffset>) -> Option<&TaxRateGroup> {
    groups
        .iter()
        .filter(|g| g.valid_from <= at)
        .max_by_key(|g| (g.valid_from, g.group_id))
}

/// A computed tax line (`taxItems[]` of the invoice result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxItem {
    /// Category type.
    pub category_type: CategoryType,
    /// Label.
    pub label: String,
    /// Tax of all items with this label, 4 decimals.
    #[serde(with = "json_number")]
    pub amount: Decimal,
    /// Rate.
    #[serde(with = "json_number")]
    pub rate: Decimal,
    /// Category name.
    pub category_name: String,
    /// Category order id (not in the API output; used for the SE payload).
    #[serde(skip)]
    pub order_id: u8,
}

/// A label that is not in the group: `(item index, label index)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tax label {label:?} of item {item} is not defined in the tax-rate group")]
pub struct UnknownLabel {
    /// Item index.
    pub item: usize,
    /// Label index within the item.
    pub label_index: usize,
    /// The label.
    pub label: char,
}

/// Largest rate fiskal computes with: 100 % for a tax on net or on total, 1 000 000 per unit for
/// an amount per quantity.
const MAX_PERCENT_RATE: Decimal = Decimal::ONE_HUNDRED;
const MAX_AMOUNT_PER_QUANTITY: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Whether a label's rate is one fiskal can compute with: within `0..=`[`MAX_PERCENT_RATE`]
/// (or [`MAX_AMOUNT_PER_QUANTITY`] for an amount per quantity). A label of a broken or hostile
/// group (a `SetTaxRates` command with a rate of 10^28 or -100) is treated as unknown instead of
/// overflowing or dividing by zero.
fn usable_rate(info: &LabelInfo) -> bool {
    let max = match info.category_type {
        CategoryType::AmountPerQuantity => MAX_AMOUNT_PER_QUANTITY,
        _ => MAX_PERCENT_RATE,
    };
    !info.rate.is_sign_negative() && info.rate <= max
}

/// Computes the tax items of a document from `(gross total, quantity, labels)` per item, in order
/// of first appearance of each label (receipt.md §2.2, per item, half away from zero at 4 dp).
pub fn compute_taxes(
    group: &TaxRateGroup,
    items: &[(Decimal, Decimal, Vec<char>)],
) -> Result<Vec<TaxItem>, Vec<UnknownLabel>> {
    let mut unknown = Vec::new();
    let mut out: Vec<TaxItem> = Vec::new();
    for (i, (gross, quantity, labels)) in items.iter().enumerate() {
        let mut infos = Vec::new();
        for (j, &l) in labels.iter().enumerate() {
            match group.label(l) {
                Some(info) if usable_rate(&info) => infos.push(info),
                _ => unknown.push(UnknownLabel {
                    item: i,
                    label_index: j,
                    label: l,
                }),
            }
        }
        if !unknown.is_empty() {
            continue;
        }
        let mut g = *gross;
        let mut per_label: Vec<(LabelInfo, Decimal)> = Vec::new();
        for info in infos
            .iter()
            .filter(|x| x.category_type == CategoryType::AmountPerQuantity)
        {
            let t = round4(info.rate * quantity);
            g -= t;
            per_label.push((info.clone(), t));
        }
        let r1: Decimal = infos
            .iter()
            .filter(|x| x.category_type == CategoryType::TaxOnTotal)
            .map(|x| x.rate)
            .sum();
        let mut sub = Decimal::ZERO;
        for info in infos
            .iter()
            .filter(|x| x.category_type == CategoryType::TaxOnTotal)
        {
            let t = round4(g * info.rate / (Decimal::ONE_HUNDRED + r1));
            sub += t;
            per_label.push((info.clone(), t));
        }
        g -= sub;
        let r0: Decimal = infos
            .iter()
            .filter(|x| x.category_type == CategoryType::TaxOnNet)
            .map(|x| x.rate)
            .sum();
        for info in infos
            .iter()
            .filter(|x| x.category_type == CategoryType::TaxOnNet)
        {
            let t = round4(g * info.rate / (Decimal::ONE_HUNDRED + r0));
            per_label.push((info.clone(), t));
        }
        // Keep the order of first appearance of labels in the request.
        for &l in labels {
            if let Some((info, t)) = per_label.iter().find(|(x, _)| x.label == l) {
                match out
                    .iter_mut()
                    .find(|x| x.label.chars().eq(std::iter::once(l)))
                {
                    Some(existing) => existing.amount = round4(existing.amount + *t),
                    None => out.push(TaxItem {
                        category_type: info.category_type,
                        label: l.to_string(),
                        amount: round4(*t),
                        rate: info.rate,
                        category_name: info.category_name.clone(),
                        order_id: info.order_id,
                    }),
                }
            }
        }
    }
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(unknown)
    }
}

/// Sums tax per category `orderId` (ascending), the form the SE takes.
pub fn taxes_by_category(items: &[TaxItem]) -> Vec<(u8, Decimal)> {
    let mut v: Vec<(u8, Decimal)> = Vec::new();
    for t in items {
        match v.iter_mut().find(|(o, _)| *o == t.order_id) {
            Some((_, a)) => *a += t.amount,
            None => v.push((t.order_id, t.amount)),
        }
    }
    v.sort_by_key(|(o, _)| *o);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{dec, round2};

    fn one(gross: &str, label: char) -> Vec<TaxItem> {
        compute_taxes(
            &TaxRateGroup::serbian_default(),
            &[(dec(gross), dec("1"), vec![label])],
        )
        .unwrap()
    }

    /// Found by the `local_medium` fuzz target: a `SetTaxRates` group with a rate of 7.9 × 10^28
    /// made every invoice computation panic (multiplication overflow), one of -100 divided by
    /// zero. Such labels are now unknown (2310) instead.
    #[test]
    fn absurd_rates_make_the_label_unknown_instead_of_panicking() {
        for (category_type, rate) in [
            (CategoryType::TaxOnNet, "79228162514264337593543950335"),
            (CategoryType::TaxOnTotal, "-100"),
            (CategoryType::TaxOnNet, "100.0001"),
            (CategoryType::AmountPerQuantity, "99999999999999.9999"),
        ] {
            let mut g = TaxRateGroup::serbian_default();
            g.tax_categories[2].category_type = category_type;
            g.tax_categories[2].tax_rates[0].rate = dec(rate);
            let r = compute_taxes(
                &g,
                &[(
                    dec("99999999999999.99"),
                    dec("99999999999999.999"),
                    vec!['Ђ'],
                )],
            );
            assert_eq!(r.unwrap_err().len(), 1, "{rate}");
        }
        let mut g = TaxRateGroup::serbian_default();
        g.tax_categories[2].tax_rates[0].rate = dec("100");
        assert!(compute_taxes(&g, &[(dec("200"), dec("1"), vec!['Ђ'])]).is_ok());
    }

    #[test]
    fn pivo_lav_seed_numbers() {
        let t = compute_taxes(
            &TaxRateGroup::serbian_default(),
            &[(dec("164.00"), dec("2"), vec!['Ђ'])],
        )
        .unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].amount.to_string(), "27.3333");
        assert_eq!(round2(t[0].amount).to_string(), "27.33");
        assert_eq!(t[0].category_name, "О-ПДВ");
        assert_eq!(t[0].order_id, 3);
    }

    #[test]
    fn worked_numbers_of_receipt_md() {
        assert_eq!(one("7000.00", 'Ђ')[0].amount.to_string(), "1166.6667");
        assert_eq!(one("3000.00", 'Ђ')[0].amount.to_string(), "500.0000");
        assert_eq!(one("349.90", 'Ђ')[0].amount.to_string(), "58.3167");
        assert_eq!(
            one("12000000.00", 'Ђ')[0].amount.to_string(),
            "2000000.0000"
        );
        assert_eq!(one("469.98", 'Е')[0].amount.to_string(), "42.7255");
        assert_eq!(one("4834.81", 'Ђ')[0].amount.to_string(), "805.8017");
        assert_eq!(one("10.00", 'А')[0].amount.to_string(), "0.0000");
    }

    #[test]
    fn unknown_label_is_reported_with_position() {
        let e = compute_taxes(
            &TaxRateGroup::serbian_default(),
            &[
                (dec("1"), dec("1"), vec!['Ђ']),
                (dec("1"), dec("1"), vec!['Ђ', 'E']),
            ],
        )
        .unwrap_err();
        assert_eq!(
            e,
            vec![UnknownLabel {
                item: 1,
                label_index: 1,
                label: 'E'
            }]
        );
    }

    #[test]
    fn group_selection_by_time() {
        let mut g2 = TaxRateGroup::serbian_default();
        g2.group_id = 2;
        g2.valid_from = DateTime::parse_from_rfc3339("2030-01-01T00:00:00+01:00").unwrap();
        let groups = vec![TaxRateGroup::serbian_default(), g2];
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00+01:00").unwrap();
        assert_eq!(group_at(&groups, now).unwrap().group_id, 1);
        let later = DateTime::parse_from_rfc3339("2030-06-01T00:00:00+01:00").unwrap();
        assert_eq!(group_at(&groups, later).unwrap().group_id, 2);
        let before = DateTime::parse_from_rfc3339("2020-06-01T00:00:00+01:00").unwrap();
        assert!(group_at(&groups, before).is_none());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn label() -> impl Strategy<Value = char> {
            prop_oneof![Just('А'), Just('Г'), Just('Ђ'), Just('Е')]
        }

        proptest! {
            /// Per label, the 4-decimal tax differs from the exact tax by at most half a unit of
            /// the 4th decimal per item, and the printed tax is the 2-decimal rounding of it.
            #[test]
            fn tax_stays_within_the_rounding_rule(
                items in proptest::collection::vec((1i64..=100_000_000, label()), 1..20)
            ) {
                let group = TaxRateGroup::serbian_default();
                let lines: Vec<(Decimal, Decimal, Vec<char>)> =
                    items.iter().map(|(cents, l)| (Decimal::new(*cents, 2), Decimal::ONE, vec![*l])).collect();
                let taxes = compute_taxes(&group, &lines).unwrap();
                for t in &taxes {
                    let l = t.label.chars().next().unwrap();
                    let rate = group.label(l).unwrap().rate;
                    let n = lines.iter().filter(|x| x.2[0] == l).count() as i64;
                    let gross: Decimal = lines.iter().filter(|x| x.2[0] == l).map(|x| x.0).sum();
                    let exact = gross * rate / (Decimal::ONE_HUNDRED + rate);
                    let bound = Decimal::new(5, 5) * Decimal::from(n);
                    prop_assert!((t.amount - exact).abs() <= bound, "{} vs {}", t.amount, exact);
                    prop_assert_eq!(t.amount.scale(), 4);
                    prop_assert!(t.amount <= gross);
                }
                // Labels appear once each, in order of first appearance.
                let mut seen: Vec<char> = Vec::new();
                for (_, l) in &items {
                    if !seen.contains(l) { seen.push(*l); }
                }
                let got: Vec<char> = taxes.iter().map(|t| t.label.chars().next().unwrap()).collect();
                prop_assert_eq!(got, seen);
            }

            /// The invoice total is the sum of the item totals, and the per-category sums equal the
            /// per-label sums.
            #[test]
            fn totals_equal_the_sum_of_items(
                items in proptest::collection::vec((1i64..=1_000_000, 1i64..=5_000, label()), 1..30)
            ) {
                use crate::api::{InvoiceRequest, Item, Payment, InvoiceOptions, compute};
                use crate::kinds::{InvoiceType, TransactionType, PaymentType};
                let its: Vec<Item> = items.iter().map(|(price, qty_milli, l)| {
                    let unit_price = Decimal::new(*price, 2);
                    let quantity = Decimal::new(*qty_milli, 3);
                    Item { gtin: None, name: "X".into(), quantity, unit_price, labels: vec![l.to_string()],
                           total_amount: crate::money::round2(unit_price * quantity) }
                }).collect();
                let sum: Decimal = its.iter().map(|i| i.total_amount).sum();
                let req = InvoiceRequest {
                    date_and_time_of_issue: None, cashier: None, buyer_id: None, buyer_cost_center_id: None,
                    invoice_type: InvoiceType::Normal, transaction_type: TransactionType::Sale,
                    payment: vec![Payment { amount: sum, payment_type: PaymentType::Cash }],
                    invoice_number: None, referent_document_number: None, referent_document_dt: None,
                    options: InvoiceOptions::default(), items: its,
                };
                let now = chrono::Utc::now();
                let c = compute(&req, &[TaxRateGroup::serbian_default()], now, Decimal::ZERO).unwrap();
                prop_assert_eq!(c.total_amount, sum);
                let by_label: Decimal = c.tax_items.iter().map(|t| t.amount).sum();
                let by_cat: Decimal = taxes_by_category(&c.tax_items).iter().map(|(_, a)| *a).sum();
                prop_assert_eq!(by_label, by_cat);
            }
        }
    }
}
