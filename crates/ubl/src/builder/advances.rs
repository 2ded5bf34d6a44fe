//! Advances settled by a final invoice (`ubl-profile.md` §11.2): their billing references,
//! `sbt:SrbDtExt` with each advance's VAT groups and the totals reduced by them.

use fiskal_domain::money::round2;
use rust_decimal::Decimal;

use super::amounts::{Amounts, GroupKeyB, check_category};
use super::error::BuildError;
use super::input::AdvanceReference;
use crate::model::*;

/// Taxable amount and VAT of the advances per group.
type AdvanceGroups = Vec<(GroupKeyB, Decimal, Decimal)>;

/// What settling the advances adds to the document.
pub(super) struct Settlement {
    /// Taxable amounts plus VAT of all advances.
    pub(super) prepaid: Decimal,
    /// The Serbian extension; `None` without advances.
    pub(super) extension: Option<SrbDtExt>,
    /// The billing references given, then one per advance.
    pub(super) billing_refs: Vec<BillingReference>,
}

/// Settles `advances` against the final invoice's amounts.
pub(super) fn settle(
    advances: &[AdvanceReference],
    billing_refs: &[BillingReference],
    amounts: &Amounts,
) -> Result<Settlement, BuildError> {
    let mut billing_refs = billing_refs.to_vec();
    if advances.is_empty() {
        return Ok(Settlement {
            prepaid: Decimal::ZERO,
            extension: None,
            billing_refs,
        });
    }
    let mut ext = SrbDtExt::default();
    let (adv_groups, prepaid) =
        prepayments(advances, &amounts.groups, &mut ext, &mut billing_refs)?;
    ext.reduced_totals = Some(reduced_totals(amounts, &adv_groups, prepaid));
    Ok(Settlement {
        prepaid,
        extension: Some(ext),
        billing_refs,
    })
}

/// One prepayment per advance in `ext` and one billing reference each; the advances' taxable
/// amount and VAT per group, and their gross sum.
fn prepayments(
    advances: &[AdvanceReference],
    groups: &[(GroupKeyB, Decimal)],
    ext: &mut SrbDtExt,
    billing_refs: &mut Vec<BillingReference>,
) -> Result<(AdvanceGroups, Decimal), BuildError> {
    let mut prepaid = Decimal::ZERO;
    let mut adv_groups: AdvanceGroups = Vec::new();
    for a in advances {
        billing_refs.push(BillingReference {
            id: Some(a.number.clone()),
            issue_date: Some(a.issue_date),
            document_type_code: a.issued_outside_sef.then(|| "386".to_string()),
        });
        let mut t = TaxTotal {
            tax_amount: None,
            currency: Some("RSD".to_string()),
            subtotals: Vec::new(),
        };
        let mut sum_tax = Decimal::ZERO;
        for s in &a.subtotals {
            let rate = check_category(&s.category, s.rate, 0)?;
            let key = GroupKeyB::new(&s.category, rate);
            if !groups.iter().any(|(g, _)| *g == key) {
                return Err(BuildError::AdvanceRateMismatch(a.number.clone()));
            }
            let taxable = round2(s.taxable);
            let tax = key.tax(taxable);
            sum_tax += tax;
            prepaid += taxable + tax;
            match adv_groups.iter_mut().find(|(g, _, _)| *g == key) {
                Some((_, x, y)) => {
                    *x += taxable;
                    *y += tax;
                }
                None => adv_groups.push((key.clone(), taxable, tax)),
            }
            t.subtotals.push(TaxSubtotal {
                taxable_amount: Some(taxable),
                tax_amount: Some(tax),
                category: TaxCategory::vat(key.cat.clone(), key.percent()),
            });
        }
        t.tax_amount = Some(sum_tax);
        ext.prepayments.push(PrepaymentAmount {
            id: Some(a.number.clone()),
            tax_total: t,
        });
    }
    Ok((adv_groups, prepaid))
}

/// The invoice's subtotals and totals reduced by the advances.
fn reduced_totals(
    amounts: &Amounts,
    adv_groups: &[(GroupKeyB, Decimal, Decimal)],
    prepaid: Decimal,
) -> ReducedTotals {
    let mut red_subs = Vec::with_capacity(amounts.subtotals.len());
    let mut red_tax = Decimal::ZERO;
    let mut adv_taxable = Decimal::ZERO;
    for ((key, _), sub) in amounts.groups.iter().zip(&amounts.subtotals) {
        let (at, ax) = adv_groups
            .iter()
            .find(|(g, _, _)| g == key)
            .map_or((Decimal::ZERO, Decimal::ZERO), |(_, a, b)| (*a, *b));
        adv_taxable += at;
        let rt = sub.taxable_amount.unwrap_or_default() - at;
        let rx = sub.tax_amount.unwrap_or_default() - ax;
        red_tax += rx;
        red_subs.push(TaxSubtotal {
            taxable_amount: Some(rt),
            tax_amount: Some(rx),
            category: sub.category.clone(),
        });
    }
    ReducedTotals {
        tax_total: TaxTotal {
            tax_amount: Some(red_tax),
            currency: Some("RSD".to_string()),
            subtotals: red_subs,
        },
        monetary_total: MonetaryTotal {
            tax_exclusive: Some(amounts.tax_exclusive - adv_taxable),
            tax_inclusive: Some(amounts.tax_inclusive - prepaid),
            payable: Some(amounts.tax_inclusive - prepaid),
            ..MonetaryTotal::default()
        },
    }
}
