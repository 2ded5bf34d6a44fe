//! The amounts of a document (`ubl-profile.md` §8.2): line nets, document allowances and
//! charges, the VAT breakdown per (category, rate) and the totals; 2 decimals throughout.

use fiskal_domain::money::round2;
use rust_decimal::Decimal;

use super::error::BuildError;
use super::input::{DocumentAllowance, LineInput};
use crate::model::*;

/// A category with its exemption key and text, as given to the builder.
pub(super) type Exemption = (VatCategory, Option<String>, Option<String>);

/// Lines, allowances, breakdown and totals computed from the input.
pub(super) struct Amounts {
    /// The document's lines.
    pub(super) lines: Vec<Line>,
    /// Document-level allowances and charges.
    pub(super) allowances: Vec<AllowanceCharge>,
    /// Taxable amount per (category, rate), in first-use order.
    pub(super) groups: Vec<(GroupKeyB, Decimal)>,
    /// The VAT breakdown, one subtotal per group.
    pub(super) subtotals: Vec<TaxSubtotal>,
    /// Sum of the line nets.
    pub(super) line_total: Decimal,
    /// Sum of the document-level allowances.
    pub(super) allow_total: Decimal,
    /// Sum of the document-level charges.
    pub(super) charge_total: Decimal,
    /// Sum of the subtotals' VAT.
    pub(super) tax_total: Decimal,
    /// Total without VAT.
    pub(super) tax_exclusive: Decimal,
    /// Total with VAT.
    pub(super) tax_inclusive: Decimal,
}

/// Computes every amount; the first input error in line order.
pub(super) fn compute(
    inputs: &[LineInput],
    allowances: &[DocumentAllowance],
    exemptions: &[Exemption],
) -> Result<Amounts, BuildError> {
    let mut groups: Vec<(GroupKeyB, Decimal)> = Vec::new();
    let lines = lines(inputs, &mut groups)?;
    let line_total: Decimal = lines.iter().filter_map(|l| l.line_extension).sum();
    let (doc_acs, allow_total, charge_total) = document_allowances(allowances, &mut groups)?;
    let (subtotals, tax_total) = breakdown(&groups, exemptions)?;
    let tax_exclusive = line_total - allow_total + charge_total;
    Ok(Amounts {
        lines,
        allowances: doc_acs,
        groups,
        subtotals,
        line_total,
        allow_total,
        charge_total,
        tax_total,
        tax_exclusive,
        tax_inclusive: tax_exclusive + tax_total,
    })
}

/// The lines with their nets; each net added to its group.
fn lines(
    inputs: &[LineInput],
    groups: &mut Vec<(GroupKeyB, Decimal)>,
) -> Result<Vec<Line>, BuildError> {
    let mut lines = Vec::with_capacity(inputs.len());
    for (i, li) in inputs.iter().enumerate() {
        let no = i + 1;
        let rate = check_category(&li.category, li.rate, no)?;
        if li.price.is_sign_negative() && !li.price.is_zero() {
            return Err(BuildError::InvalidLine {
                line: no,
                what: "the price must not be negative",
            });
        }
        if li.quantity.is_sign_negative() && !li.quantity.is_zero() {
            return Err(BuildError::InvalidLine {
                line: no,
                what: "the quantity must not be negative",
            });
        }
        if li.price.normalize().scale() > 4 {
            return Err(BuildError::InvalidLine {
                line: no,
                what: "the price may have at most 4 decimals",
            });
        }
        if li.quantity.normalize().scale() > 4 {
            return Err(BuildError::InvalidLine {
                line: no,
                what: "the quantity may have at most 4 decimals",
            });
        }
        if li.base_quantity.is_some_and(|b| b <= Decimal::ZERO) {
            return Err(BuildError::InvalidLine {
                line: no,
                what: "the price base quantity must be positive",
            });
        }
        if li.name.trim().is_empty() || li.name.chars().count() > 100 {
            return Err(BuildError::InvalidLine {
                line: no,
                what: "the item name must have 1 to 100 characters",
            });
        }
        let base = li.base_quantity.map(|b| b.normalize());
        let mut net = li.quantity * li.price;
        if let Some(b) = base
            && b != Decimal::ONE
        {
            net /= b;
        }
        let mut acs = Vec::with_capacity(li.allowances.len());
        for a in &li.allowances {
            let amt = round2(a.amount);
            if a.charge {
                net += amt;
            } else {
                net -= amt;
            }
            acs.push(AllowanceCharge {
                charge: a.charge,
                reason: Some(a.reason.clone()),
                amount: Some(amt),
                ..AllowanceCharge::default()
            });
        }
        let net = round2(net);
        let key = GroupKeyB::new(&li.category, rate);
        add_group(groups, &key, net);
        lines.push(Line {
            id: Some(no.to_string()),
            note: li.note.clone(),
            quantity: Some(li.quantity.normalize()),
            unit_code: Some(li.unit_code.clone()),
            line_extension: Some(net),
            period: None,
            order_line_reference: None,
            allowance_charges: acs,
            item: Item {
                description: None,
                name: Some(li.name.clone()),
                buyers_id: li.buyers_item_id.clone(),
                sellers_id: li.sellers_item_id.clone(),
                standard_id: None,
                tax_category: Some(TaxCategory::vat(li.category.clone(), key.percent())),
            },
            price: Some(Price {
                amount: Some(price_scale(li.price)),
                base_quantity: base,
                base_unit_code: base.map(|_| li.unit_code.clone()),
            }),
        });
    }
    Ok(lines)
}

/// Document-level allowances and charges with their totals; each added to its group.
fn document_allowances(
    inputs: &[DocumentAllowance],
    groups: &mut Vec<(GroupKeyB, Decimal)>,
) -> Result<(Vec<AllowanceCharge>, Decimal, Decimal), BuildError> {
    let mut doc_acs = Vec::with_capacity(inputs.len());
    let (mut allow_total, mut charge_total) = (Decimal::ZERO, Decimal::ZERO);
    for a in inputs {
        let rate = check_category(&a.category, a.rate, 0)?;
        let key = GroupKeyB::new(&a.category, rate);
        let amt = round2(a.amount);
        if a.charge {
            charge_total += amt;
            add_group(groups, &key, amt);
        } else {
            allow_total += amt;
            add_group(groups, &key, -amt);
        }
        doc_acs.push(AllowanceCharge {
            charge: a.charge,
            reason: Some(a.reason.clone()),
            amount: Some(amt),
            tax_category: Some(TaxCategory::vat(a.category.clone(), key.percent())),
            ..AllowanceCharge::default()
        });
    }
    Ok((doc_acs, allow_total, charge_total))
}

/// One subtotal per group with its VAT and, outside `S`, the exemption given for the category.
fn breakdown(
    groups: &[(GroupKeyB, Decimal)],
    exemptions: &[Exemption],
) -> Result<(Vec<TaxSubtotal>, Decimal), BuildError> {
    let mut subtotals = Vec::with_capacity(groups.len());
    let mut tax_total = Decimal::ZERO;
    for (key, taxable) in groups {
        let taxable = round2(*taxable);
        let tax = key.tax(taxable);
        tax_total += tax;
        let mut cat = TaxCategory::vat(key.cat.clone(), key.percent());
        if key.cat != VatCategory::S {
            let (_, code, text) = exemptions
                .iter()
                .find(|(c, _, _)| *c == key.cat)
                .filter(|(_, c, t)| c.is_some() || t.is_some())
                .ok_or_else(|| BuildError::MissingExemption(key.cat.to_string()))?;
            cat.exemption_reason_code = code.clone();
            cat.exemption_reason = text.clone();
        }
        subtotals.push(TaxSubtotal {
            taxable_amount: Some(taxable),
            tax_amount: Some(tax),
            category: cat,
        });
    }
    Ok((subtotals, tax_total))
}

/// (category, rate) of a group; the rate only for `S`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GroupKeyB {
    pub(super) cat: VatCategory,
    rate: Decimal,
}

impl GroupKeyB {
    pub(super) fn new(cat: &VatCategory, rate: Decimal) -> GroupKeyB {
        GroupKeyB {
            cat: cat.clone(),
            rate: rate.normalize(),
        }
    }
    pub(super) fn percent(&self) -> Option<Decimal> {
        if self.cat.omits_percent() {
            None
        } else {
            Some(self.rate)
        }
    }
    pub(super) fn tax(&self, taxable: Decimal) -> Decimal {
        if self.cat == VatCategory::S {
            round2(taxable * self.rate / Decimal::ONE_HUNDRED)
        } else {
            round2(Decimal::ZERO)
        }
    }
}

/// Adds `amount` to the group `key`, appended when new.
fn add_group(groups: &mut Vec<(GroupKeyB, Decimal)>, key: &GroupKeyB, amount: Decimal) {
    match groups.iter_mut().find(|(k, _)| k == key) {
        Some((_, s)) => *s += amount,
        None => groups.push((key.clone(), amount)),
    }
}

/// Checks a category and its rate; returns the rate to use (0 for non-`S`).
pub(super) fn check_category(
    cat: &VatCategory,
    rate: Decimal,
    line: usize,
) -> Result<Decimal, BuildError> {
    match cat {
        VatCategory::Other(c) => Err(BuildError::UnknownCategory {
            line,
            category: c.clone(),
        }),
        VatCategory::S => {
            if rate == Decimal::from(20) || rate == Decimal::from(10) {
                Ok(rate)
            } else {
                Err(BuildError::InvalidStandardRate { line, rate })
            }
        }
        VatCategory::O => Ok(Decimal::ZERO),
        c => {
            if rate.is_zero() {
                Ok(Decimal::ZERO)
            } else {
                Err(BuildError::NonZeroRate {
                    line,
                    category: c.to_string(),
                })
            }
        }
    }
}

/// Price with 2 to 4 decimals.
fn price_scale(p: Decimal) -> Decimal {
    let mut p = p.normalize();
    if p.scale() < 2 {
        p.rescale(2);
    }
    p
}

/// Every amount of the document with exactly 2 decimals.
pub(super) fn rescale(doc: &mut Document) {
    if let Some(m) = &mut doc.monetary_total {
        for v in [
            &mut m.line_extension,
            &mut m.tax_exclusive,
            &mut m.tax_inclusive,
            &mut m.allowance_total,
            &mut m.charge_total,
            &mut m.prepaid,
            &mut m.payable,
        ]
        .into_iter()
        .flatten()
        {
            v.rescale(2);
        }
    }
    if let Some(t) = doc.tax_totals.first_mut()
        && let Some(a) = &mut t.tax_amount
    {
        a.rescale(2);
    }
    if let Some(ext) = &mut doc.extension {
        for p in &mut ext.prepayments {
            if let Some(a) = &mut p.tax_total.tax_amount {
                a.rescale(2);
            }
        }
        if let Some(r) = &mut ext.reduced_totals {
            if let Some(a) = &mut r.tax_total.tax_amount {
                a.rescale(2);
            }
            for s in &mut r.tax_total.subtotals {
                for v in [&mut s.taxable_amount, &mut s.tax_amount]
                    .into_iter()
                    .flatten()
                {
                    v.rescale(2);
                }
            }
            let m = &mut r.monetary_total;
            for v in [&mut m.tax_exclusive, &mut m.tax_inclusive, &mut m.payable]
                .into_iter()
                .flatten()
            {
                v.rescale(2);
            }
        }
    }
}
