//! The advance chain (receipt.md §10, TU-1.17 §9.1): advance items, Advance Sales and closing
//! the chain with an Advance Refund and a Normal Sale.

use chrono::{DateTime, FixedOffset};
use fiskal_domain::api::{InvoiceRequest, Item, Payment};
use fiskal_domain::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};
use fiskal_domain::money::round2;
use rust_decimal::Decimal;

use super::follow_up::{Original, follow_up};
use super::{Header, new_document};
use crate::codebook::{self, ItemPrefix, PrefixOf};
use crate::rules::RuleViolation;
use crate::store::StoredInvoice;

/// An advance item: `10: Аванс` (Ђ), `11: Аванс` (Е), `12: Аванс` (Г), `13: Аванс` (А),
/// quantity 1, price = the gross advance (receipt.md §10).
pub fn advance_item(label: char, amount: Decimal) -> Option<Item> {
    let name = codebook::advance_item_name(label)?;
    Some(Item {
        gtin: None,
        name,
        quantity: Decimal::ONE,
        unit_price: amount,
        labels: vec![label.to_string()],
        total_amount: round2(amount),
    })
}

/// An Advance Sale. `previous` is the last Advance Sale of the chain it continues (the reference
/// TaxCore requires), or a ProForma it is based on, or `None` for the first advance.
/// `paid_on` is the day a wire transfer arrived before the receipt day (sent as ESIR time).
pub fn advance_sale(
    header: &Header,
    items: Vec<Item>,
    payment: Vec<Payment>,
    previous: Option<&Original>,
    paid_on: Option<DateTime<FixedOffset>>,
) -> InvoiceRequest {
    let mut r = new_document(
        DocumentKind::new(InvoiceType::Advance, TransactionType::Sale),
        header,
        items,
        payment,
    );
    if let Some(p) = previous {
        r.referent_document_number = Some(p.number.clone());
        r.referent_document_dt = Some(p.time);
        if r.buyer_id.is_none() {
            r.buyer_id = p.request.as_ref().and_then(|q| q.buyer_id.clone());
        }
    }
    r.date_and_time_of_issue = paid_on;
    r
}

/// An advance chain (TU-1.17 §9.1) as the local store has it: Advance Sales, Advance Refunds and
/// the closing Normal Sale, in the order issued.
#[derive(Debug, Clone)]
pub struct AdvanceChain {
    /// The chain ID: the PFR number of the first Advance Sale.
    pub id: String,
    /// The documents, in order.
    pub docs: Vec<StoredInvoice>,
}

impl AdvanceChain {
    /// The last Advance Sale, which the next Advance Sale or the closing Advance Refund references.
    pub fn last_advance_sale(&self) -> Option<&StoredInvoice> {
        self.docs
            .iter()
            .rev()
            .find(|d| d.kind() == DocumentKind::new(InvoiceType::Advance, TransactionType::Sale))
    }

    /// Whether a closing Normal Sale was already issued.
    pub fn is_closed(&self) -> bool {
        self.docs
            .iter()
            .any(|d| d.kind() == DocumentKind::new(InvoiceType::Normal, TransactionType::Sale))
    }

    /// The advance still open per label: the sum of Advance Sale items minus Advance Refund items,
    /// per label in order of first appearance. Only positive amounts are listed.
    pub fn open_by_label(&self) -> Vec<(char, Decimal)> {
        let mut out: Vec<(char, Decimal)> = Vec::new();
        for d in &self.docs {
            let sign = match d.kind() {
                k if k == DocumentKind::new(InvoiceType::Advance, TransactionType::Sale) => {
                    Decimal::ONE
                }
                k if k == DocumentKind::new(InvoiceType::Advance, TransactionType::Refund) => {
                    Decimal::NEGATIVE_ONE
                }
                _ => continue,
            };
            for it in &d.request.items {
                let label = match codebook::item_prefix(&it.name) {
                    PrefixOf::Known(ItemPrefix::Advance(l)) => l,
                    _ => match it.labels.first().and_then(|l| l.chars().next()) {
                        Some(l) => l,
                        None => continue,
                    },
                };
                match out.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, a)) => *a += sign * it.total_amount,
                    None => out.push((label, sign * it.total_amount)),
                }
            }
        }
        out.retain(|(_, a)| *a > Decimal::ZERO);
        out
    }

    /// The total advance still open.
    pub fn open_total(&self) -> Decimal {
        self.open_by_label().iter().map(|(_, a)| *a).sum()
    }

    /// The Advance Refund that closes the chain: one advance item per label for the open amount,
    /// referencing the last Advance Sale. Payments repeat the advances' payment methods, reduced
    /// to the open total (cash first, as change was given in cash). The buyer ID is the header's,
    /// else the chain's.
    pub fn closing_refund(&self, header: &Header) -> Result<InvoiceRequest, RuleViolation> {
        let last = self
            .last_advance_sale()
            .ok_or_else(|| RuleViolation::NotAnAdvanceChain {
                number: self.id.clone(),
            })?;
        let open = self.open_by_label();
        if open.is_empty() || self.is_closed() {
            return Err(RuleViolation::NothingToClose {
                number: self.id.clone(),
            });
        }
        let items: Vec<Item> = open
            .iter()
            .filter_map(|(l, a)| advance_item(*l, *a))
            .collect();
        let total: Decimal = items.iter().map(|i| i.total_amount).sum();
        let mut payments: Vec<Payment> = Vec::new();
        for d in self
            .docs
            .iter()
            .filter(|d| d.kind() == DocumentKind::new(InvoiceType::Advance, TransactionType::Sale))
        {
            for p in &d.request.payment {
                match payments
                    .iter_mut()
                    .find(|q| q.payment_type == p.payment_type)
                {
                    Some(q) => q.amount += p.amount,
                    None => payments.push(p.clone()),
                }
            }
        }
        reduce_payments(&mut payments, total);
        let orig = Original::stored(last);
        let mut r = follow_up(
            &orig,
            DocumentKind::new(InvoiceType::Advance, TransactionType::Refund),
            header,
        );
        r.items = items;
        r.payment = payments;
        if r.buyer_id.is_none() {
            r.buyer_id = self.docs.iter().find_map(|d| d.request.buyer_id.clone());
        }
        Ok(r)
    }

    /// The closing Normal Sale: all the goods, referencing the closing Advance Refund; `payment`
    /// covers what is left to pay (the PFR counts the advance). With nothing left to pay, one
    /// payment of 0.00 in the advances' first method is sent.
    pub fn closing_sale(
        &self,
        closing_refund: &StoredInvoice,
        header: &Header,
        items: Vec<Item>,
        payment: Vec<Payment>,
    ) -> InvoiceRequest {
        let mut r = new_document(
            DocumentKind::new(InvoiceType::Normal, TransactionType::Sale),
            header,
            items,
            payment,
        );
        r.referent_document_number = Some(closing_refund.number().to_string());
        r.referent_document_dt = Some(closing_refund.time());
        if r.buyer_id.is_none() {
            r.buyer_id = closing_refund.request.buyer_id.clone();
        }
        if r.payment.is_empty() {
            let t = closing_refund
                .request
                .payment
                .first()
                .map(|p| p.payment_type)
                .unwrap_or(PaymentType::Other);
            r.payment = vec![Payment {
                amount: Decimal::ZERO,
                payment_type: t,
            }];
        }
        r
    }
}

/// Reduces payments whose sum exceeds `total` (change given): cash first, then from the last.
fn reduce_payments(payments: &mut Vec<Payment>, total: Decimal) {
    let mut excess = payments.iter().map(|p| p.amount).sum::<Decimal>() - total;
    if excess <= Decimal::ZERO {
        return;
    }
    let mut order: Vec<usize> = (0..payments.len())
        .filter(|&i| payments[i].payment_type == PaymentType::Cash)
        .collect();
    order.extend(
        (0..payments.len())
            .rev()
            .filter(|&i| payments[i].payment_type != PaymentType::Cash),
    );
    for i in order {
        let cut = excess.min(payments[i].amount);
        payments[i].amount -= cut;
        excess -= cut;
        if excess <= Decimal::ZERO {
            break;
        }
    }
    let keep_one = payments.first().cloned();
    payments.retain(|p| !p.amount.is_zero());
    if payments.is_empty()
        && let Some(mut p) = keep_one
    {
        p.amount = Decimal::ZERO;
        payments.push(p);
    }
}
