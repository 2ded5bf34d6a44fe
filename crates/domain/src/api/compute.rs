//! The PFR's checks of a parsed request against the tax-rate groups, and the totals and taxes it
//! computes before signing (pfr-api.md §6.1).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::request::InvoiceRequest;
use super::{FieldError, MAX_CATEGORIES};
use crate::gsc::Gsc;
use crate::kinds::InvoiceType;
use crate::money::max_se_amount;
use crate::tax::{TaxItem, TaxRateGroup, compute_taxes, group_at};

/// What the PFR computes from a checked request before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    /// Sum of item totals.
    pub total_amount: Decimal,
    /// Tax per label, in order of first appearance.
    pub tax_items: Vec<TaxItem>,
    /// `groupId` of the group used.
    pub tax_group_revision: u32,
}

/// Checks a parsed request against the tax-rate groups at `pfr_time` (pfr-api.md §6.1 steps 4, 5
/// and 7, and the reference-time rule) and computes totals and taxes.
///
/// `paid_in_advance` is the amount already paid by advance when this is the closing Normal Sale
/// of an advance chain (receipt.md §4): the payment-sum rule then applies to the rest only.
pub fn compute(
    req: &InvoiceRequest,
    groups: &[TaxRateGroup],
    pfr_time: DateTime<Utc>,
    paid_in_advance: Decimal,
) -> Result<Computed, Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Some(rdt) = req.referent_document_dt
        && rdt.with_timezone(&Utc) > pfr_time
    {
        errors.push(FieldError {
            property: "referentDocumentDT".into(),
            code: Gsc::OutOfRange,
        });
    }
    let reference_instant = match (req.kind().requires_reference(), req.referent_document_dt) {
        (true, Some(t)) => t,
        _ => pfr_time.fixed_offset(),
    };
    let Some(group) = group_at(groups, reference_instant) else {
        for (i, it) in req.items.iter().enumerate() {
            for j in 0..it.labels.len() {
                errors.push(FieldError {
                    property: format!("items[{i}].labels[{j}]"),
                    code: Gsc::InvalidTaxLabels,
                });
            }
        }
        return Err(errors);
    };
    let mut lines = Vec::with_capacity(req.items.len());
    for (i, it) in req.items.iter().enumerate() {
        let mut ls = Vec::new();
        for (j, l) in it.labels.iter().enumerate() {
            let mut cs = l.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => ls.push(c),
                _ => errors.push(FieldError {
                    property: format!("items[{i}].labels[{j}]"),
                    code: Gsc::InvalidTaxLabels,
                }),
            }
        }
        lines.push((it.total_amount, it.quantity, ls));
    }
    let tax_items = match compute_taxes(group, &lines) {
        Ok(t) => t,
        Err(unknown) => {
            for u in unknown {
                errors.push(FieldError {
                    property: format!("items[{}].labels[{}]", u.item, u.label_index),
                    code: Gsc::InvalidTaxLabels,
                });
            }
            Vec::new()
        }
    };
    let categories = crate::tax::taxes_by_category(&tax_items);
    if categories.len() > MAX_CATEGORIES {
        errors.push(FieldError {
            property: "items".into(),
            code: Gsc::ListTooLong,
        });
    }
    // Item totals have at most 2 decimals (checked above); show the total with exactly 2.
    let mut total_amount = req.total();
    if total_amount.scale() < 2 {
        total_amount.rescale(2);
    }
    let kind = req.kind();
    if matches!(
        kind.invoice_type,
        InvoiceType::Normal | InvoiceType::Advance | InvoiceType::Copy
    ) && req.payment_total() < total_amount - paid_in_advance
    {
        errors.push(FieldError {
            property: "payment".into(),
            code: Gsc::InvalidValue,
        });
    }
    if total_amount > max_se_amount() || categories.iter().any(|(_, t)| *t > max_se_amount()) {
        errors.push(FieldError {
            property: "items".into(),
            code: Gsc::OutOfRange,
        });
    }
    if errors.is_empty() {
        Ok(Computed {
            total_amount,
            tax_items,
            tax_group_revision: group.group_id,
        })
    } else {
        Err(errors)
    }
}
