//! [`check_request`] and its parts: buyer fields, items, payments, the ESIR number, the
//! reference and the ESIR time, each adding what it finds to one list.

use chrono::{DateTime, FixedOffset};
use fiskal_domain::api::InvoiceRequest;
use fiskal_domain::counter::is_valid_referent_number;
use fiskal_domain::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};
use fiskal_domain::tax::{TaxRateGroup, group_at};
use rust_decimal::Decimal;

use super::violation::{EsirWarning, RuleViolation};
use crate::codebook::{self, BuyerIdError, ItemPrefix, PrefixOf};

/// What a referenced document is, as far as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referenced {
    /// PFR invoice number.
    pub number: String,
    /// Its kind.
    pub kind: DocumentKind,
    /// Its PFR time.
    pub time: DateTime<FixedOffset>,
    /// Its total.
    pub total: Decimal,
    /// The seller's TIN from its PFR result, when known: a cancellation's buyer ID `10:{TIN}` is
    /// the PFR's own PIB and is not held to the check digit.
    pub seller_tin: Option<String>,
}

/// What the checks need besides the request.
#[derive(Debug, Clone)]
pub struct CheckContext<'a> {
    /// All tax-rate groups of the PFR (`allTaxRates` of its status).
    pub tax_groups: &'a [TaxRateGroup],
    /// The group in force now (`currentTaxRates`).
    pub current: Option<&'a TaxRateGroup>,
    /// Now, as the PFR reports it (`sdcDateTime` of its status).
    pub now: DateTime<FixedOffset>,
    /// The referenced document, when the local store has it.
    pub referenced: Option<Referenced>,
}

fn has_cash(req: &InvoiceRequest) -> bool {
    req.payment.is_empty()
        || req
            .payment
            .iter()
            .any(|p| p.payment_type == PaymentType::Cash)
}

/// Checks a request before it is sent. `Ok` carries the warnings; `Err` every violation found.
pub fn check_request(
    req: &InvoiceRequest,
    ctx: &CheckContext,
) -> Result<Vec<EsirWarning>, Vec<RuleViolation>> {
    let mut v = Vec::new();
    let mut w = Vec::new();
    let kind = req.kind();
    check_buyer(req, ctx, kind, &mut v, &mut w);
    check_items(req, ctx, kind, &mut v);
    check_payments(req, ctx, kind, &mut v);

    // ESIR number (SEED-004: mandatory on every receipt).
    if req
        .invoice_number
        .as_deref()
        .is_none_or(|s| s.trim().is_empty())
    {
        v.push(RuleViolation::EsirNumberMissing);
    }

    check_reference(req, ctx, kind, &mut v, &mut w);
    check_issue_time(req, ctx, kind, &mut v);
    if v.is_empty() { Ok(w) } else { Err(v) }
}

/// The buyer ID and the optional buyer field (receipt.md §8).
fn check_buyer(
    req: &InvoiceRequest,
    ctx: &CheckContext,
    kind: DocumentKind,
    v: &mut Vec<RuleViolation>,
    w: &mut Vec<EsirWarning>,
) {
    let money_refund = kind.transaction_type == TransactionType::Refund
        && matches!(
            kind.invoice_type,
            InvoiceType::Normal | InvoiceType::Advance
        );

    match &req.buyer_id {
        Some(b) => match codebook::check_buyer_id(b) {
            Ok((id, notes)) => {
                w.extend(notes.into_iter().map(EsirWarning::BuyerId));
                if money_refund && has_cash(req) && !codebook::allowed_for_cash_refund(&id, kind) {
                    v.push(RuleViolation::JmbgOnCashRefund { value: b.clone() });
                }
            }
            Err(error) => {
                let own_pib = ctx
                    .referenced
                    .as_ref()
                    .and_then(|r| r.seller_tin.as_deref())
                    .is_some_and(|t| codebook::seller_buyer_id(t) == *b);
                let pib_digit_only = matches!(error, BuyerIdError::PibCheckDigit { .. });
                if !(own_pib && pib_digit_only) {
                    v.push(RuleViolation::BuyerId {
                        value: b.clone(),
                        error,
                    });
                }
            }
        },
        None => {
            if money_refund && has_cash(req) {
                v.push(RuleViolation::BuyerIdRequired { kind });
            }
        }
    }
    if let Some(c) = &req.buyer_cost_center_id {
        match codebook::check_cost_center(c) {
            Ok(cc) => {
                if codebook::is_corporate_card(&cc)
                    && req
                        .payment
                        .iter()
                        .any(|p| p.payment_type != PaymentType::Voucher)
                {
                    v.push(RuleViolation::CorporateCardNeedsVoucher);
                }
            }
            Err(error) => v.push(RuleViolation::CostCenter {
                value: c.clone(),
                error,
            }),
        }
    }
}

/// Items, their prefixes and tax labels.
fn check_items(
    req: &InvoiceRequest,
    ctx: &CheckContext,
    kind: DocumentKind,
    v: &mut Vec<RuleViolation>,
) {
    if req.items.is_empty() {
        v.push(RuleViolation::NoItems);
    }
    let reference_instant = match (kind.requires_reference(), req.referent_document_dt) {
        (true, Some(t)) => t,
        _ => ctx.now,
    };
    let group = group_at(ctx.tax_groups, reference_instant).or(ctx.current);
    if group.is_none() {
        v.push(RuleViolation::NoTaxRates);
    }
    let mut voucher_label: Option<char> = None;
    for (i, it) in req.items.iter().enumerate() {
        let prefix = codebook::item_prefix(&it.name);
        match &prefix {
            PrefixOf::Unknown(p) => v.push(RuleViolation::UnknownItemPrefix {
                item: i,
                prefix: p.clone(),
            }),
            PrefixOf::Known(p) => {
                if let Some(l) = p.required_label()
                    && (it.labels.len() != 1 || !it.labels[0].chars().eq(std::iter::once(l)))
                {
                    v.push(RuleViolation::PrefixLabel {
                        item: i,
                        prefix: *p,
                    });
                }
                if let ItemPrefix::Voucher(l) = p {
                    match voucher_label {
                        Some(prev) if prev != *l => {
                            if !v.contains(&RuleViolation::VoucherRatesMixed) {
                                v.push(RuleViolation::VoucherRatesMixed);
                            }
                        }
                        _ => voucher_label = Some(*l),
                    }
                }
            }
            PrefixOf::None => {}
        }
        let is_advance_item = matches!(prefix, PrefixOf::Known(ItemPrefix::Advance(_)));
        match kind.invoice_type {
            InvoiceType::Normal if is_advance_item => {
                v.push(RuleViolation::AdvanceItemOnNormal { item: i })
            }
            InvoiceType::Advance if !is_advance_item => {
                v.push(RuleViolation::NonAdvanceItemOnAdvance { item: i })
            }
            _ => {}
        }
        if is_advance_item && it.quantity != Decimal::ONE {
            v.push(RuleViolation::AdvanceQuantity { item: i });
        }
        if let Some(g) = group {
            for l in &it.labels {
                let mut cs = l.chars();
                let known = match (cs.next(), cs.next()) {
                    (Some(c), None) => g.label(c).is_some(),
                    _ => false,
                };
                if !known {
                    v.push(RuleViolation::UnknownTaxLabel {
                        item: i,
                        label: l.clone(),
                        group_id: g.group_id,
                    });
                }
            }
        }
    }
}

/// Payments: present, and enough for what is due (a closing sale pays only the remainder).
fn check_payments(
    req: &InvoiceRequest,
    ctx: &CheckContext,
    kind: DocumentKind,
    v: &mut Vec<RuleViolation>,
) {
    if req.payment.is_empty() {
        v.push(RuleViolation::NoPayments);
    } else if matches!(
        kind.invoice_type,
        InvoiceType::Normal | InvoiceType::Advance | InvoiceType::Copy
    ) {
        let mut due = req.total();
        if let Some(r) = &ctx.referenced {
            let closes_chain = kind
                == DocumentKind::new(InvoiceType::Normal, TransactionType::Sale)
                && r.kind == DocumentKind::new(InvoiceType::Advance, TransactionType::Refund)
                && req.referent_document_number.as_deref() == Some(r.number.as_str());
            if closes_chain {
                due = (due - r.total).max(Decimal::ZERO);
            }
        }
        let paid = req.payment_total();
        if paid < due {
            v.push(RuleViolation::PaymentBelowTotal { due, paid });
        }
    }
}

/// Reference number and time (receipt.md §4, pfr-api.md §6.2).
fn check_reference(
    req: &InvoiceRequest,
    ctx: &CheckContext,
    kind: DocumentKind,
    v: &mut Vec<RuleViolation>,
    w: &mut Vec<EsirWarning>,
) {
    match &req.referent_document_number {
        None => {
            if kind.requires_reference() {
                v.push(RuleViolation::ReferenceRequired { kind });
            }
            if req.referent_document_dt.is_some() {
                v.push(RuleViolation::ReferenceTimeWithoutNumber);
            }
        }
        Some(n) => {
            if !is_valid_referent_number(n) {
                v.push(RuleViolation::ReferenceFormat { value: n.clone() });
            }
            if kind.requires_reference() && req.referent_document_dt.is_none() {
                v.push(RuleViolation::ReferenceTimeRequired { kind });
            }
            match &ctx.referenced {
                Some(r) if &r.number == n => {
                    if let Some(t) = req.referent_document_dt
                        && t != r.time
                    {
                        v.push(RuleViolation::ReferenceTimeMismatch { number: n.clone() });
                    }
                    check_referenced_kind(kind, r, v);
                }
                _ => {
                    if kind.requires_reference() || kind.invoice_type == InvoiceType::Advance {
                        w.push(EsirWarning::ReferenceNotInStore { number: n.clone() });
                    }
                }
            }
        }
    }
}

/// ESIR time only on an Advance Sale paid by wire before the receipt day (receipt.md §4).
fn check_issue_time(
    req: &InvoiceRequest,
    ctx: &CheckContext,
    kind: DocumentKind,
    v: &mut Vec<RuleViolation>,
) {
    if let Some(t) = req.date_and_time_of_issue {
        if kind != DocumentKind::new(InvoiceType::Advance, TransactionType::Sale) {
            v.push(RuleViolation::IssueTimeNotAllowed { kind });
        } else {
            if !req
                .payment
                .iter()
                .any(|p| p.payment_type == PaymentType::WireTransfer)
            {
                v.push(RuleViolation::IssueTimeNeedsWire);
            }
            let today = fiskal_domain::time::to_belgrade(ctx.now.to_utc()).date_naive();
            if t.date_naive() >= today {
                v.push(RuleViolation::IssueTimeNotBeforeToday);
            }
        }
    }
}

fn check_referenced_kind(kind: DocumentKind, r: &Referenced, v: &mut Vec<RuleViolation>) {
    use InvoiceType as I;
    use TransactionType as T;
    let found = r.kind;
    let ok = match (kind.invoice_type, kind.transaction_type) {
        (I::Copy, t) => {
            found.transaction_type == t && matches!(found.invoice_type, I::Normal | I::Advance)
        }
        (it, T::Refund) => {
            // A refund refunds, cancels or (Advance Refund) closes a sale of its own type.
            found.invoice_type == it && found.transaction_type == T::Sale
        }
        (I::Advance, T::Sale) => matches!(
            (found.invoice_type, found.transaction_type),
            (I::Advance, _) | (I::ProForma, T::Sale)
        ),
        (I::Normal, T::Sale) => {
            if found == DocumentKind::new(I::Advance, T::Sale) {
                v.push(RuleViolation::AdvanceNotClosed {
                    number: r.number.clone(),
                });
                return;
            }
            !matches!(found.invoice_type, I::Copy | I::Training)
        }
        _ => true,
    };
    if !ok {
        v.push(RuleViolation::WrongReferencedKind {
            kind,
            number: r.number.clone(),
            found,
        });
    }
}
