//! The rules the ESIR enforces before sending a document: those the PFR leaves to the ESIR
//! (receipt.md §4, §8 "fiskal chooses", §10; pfr-api.md §6.2) and a few the PFR would also
//! refuse, caught early with a clearer sentence.
//!
//! [`check_request`] returns every violation at once, so the cashier can fix them together, and
//! the warnings (sent anyway) separately.

use chrono::{DateTime, FixedOffset};
use fiskal_domain::api::InvoiceRequest;
use fiskal_domain::counter::is_valid_referent_number;
use fiskal_domain::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};
use fiskal_domain::tax::{TaxRateGroup, group_at};
use rust_decimal::Decimal;

use crate::codebook::{self, BuyerIdError, CostCenterError, ItemPrefix, PrefixOf};
use fiskal_domain::buyer::BuyerIdWarning;

/// A rule a document breaks; nothing is sent. Sentences: [`RuleViolation::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleViolation {
    /// A Normal or Advance Refund paid (partly) in cash has no buyer ID.
    BuyerIdRequired {
        /// The document kind.
        kind: DocumentKind,
    },
    /// The buyer ID does not follow the codebook.
    BuyerId {
        /// The value given.
        value: String,
        /// What is wrong.
        error: BuyerIdError,
    },
    /// A JMBG (codes 11, 15) on a refund paid out in cash.
    JmbgOnCashRefund {
        /// The value given.
        value: String,
    },
    /// The optional buyer field does not follow the codebook.
    CostCenter {
        /// The value given.
        value: String,
        /// What is wrong.
        error: CostCenterError,
    },
    /// Optional buyer field 50 (corporate card) needs every payment to be Voucher.
    CorporateCardNeedsVoucher,
    /// An item name starts with a `NN:` prefix that is not in the codebook.
    UnknownItemPrefix {
        /// Item index.
        item: usize,
        /// The two digits.
        prefix: String,
    },
    /// An item with a coded prefix carries a label other than the prefix's.
    PrefixLabel {
        /// Item index.
        item: usize,
        /// The prefix.
        prefix: ItemPrefix,
    },
    /// An advance item (`10:`–`13:`) on a Normal document.
    AdvanceItemOnNormal {
        /// Item index.
        item: usize,
    },
    /// An item without an advance prefix on an Advance document.
    NonAdvanceItemOnAdvance {
        /// Item index.
        item: usize,
    },
    /// An advance item whose quantity is not 1.
    AdvanceQuantity {
        /// Item index.
        item: usize,
    },
    /// Single-purpose vouchers of different rates on one receipt.
    VoucherRatesMixed,
    /// A tax label that is not in the PFR's tax rates in force.
    UnknownTaxLabel {
        /// Item index.
        item: usize,
        /// The label.
        label: String,
        /// The group checked against.
        group_id: u32,
    },
    /// The PFR reports no tax rates in force.
    NoTaxRates,
    /// The document has no items.
    NoItems,
    /// The document has no payments.
    NoPayments,
    /// The payments do not cover the amount due.
    PaymentBelowTotal {
        /// Amount due.
        due: Decimal,
        /// Sum of payments.
        paid: Decimal,
    },
    /// No ESIR number (`invoiceNumber`), mandatory on every Serbian receipt.
    EsirNumberMissing,
    /// The kind needs a reference number.
    ReferenceRequired {
        /// The document kind.
        kind: DocumentKind,
    },
    /// The kind needs a reference time (the ESIR always sends it on Copy and Refund).
    ReferenceTimeRequired {
        /// The document kind.
        kind: DocumentKind,
    },
    /// A reference number not of the form `XXXXXXXX-XXXXXXXX-123`.
    ReferenceFormat {
        /// The value given.
        value: String,
    },
    /// A reference time without a reference number.
    ReferenceTimeWithoutNumber,
    /// The reference time does not match the referenced document in the local store.
    ReferenceTimeMismatch {
        /// The referenced number.
        number: String,
    },
    /// The referenced document is of a kind this document cannot reference.
    WrongReferencedKind {
        /// This document's kind.
        kind: DocumentKind,
        /// The referenced number.
        number: String,
        /// The referenced document's kind.
        found: DocumentKind,
    },
    /// A Normal Sale references an Advance Sale directly: the chain must first be closed with an
    /// Advance Refund.
    AdvanceNotClosed {
        /// The referenced Advance Sale.
        number: String,
    },
    /// ESIR time (`dateAndTimeOfIssue`) on a document other than an Advance Sale.
    IssueTimeNotAllowed {
        /// The document kind.
        kind: DocumentKind,
    },
    /// ESIR time on an Advance Sale not paid by wire transfer.
    IssueTimeNeedsWire,
    /// ESIR time that is not before the day of the receipt.
    IssueTimeNotBeforeToday,
    /// This kind of document cannot be refunded.
    CannotRefund {
        /// Kind of the original.
        kind: DocumentKind,
    },
    /// This kind of document cannot be copied.
    CannotCopy {
        /// Kind of the original.
        kind: DocumentKind,
    },
    /// Only Normal and Advance documents can be cancelled.
    CannotCancel {
        /// Kind of the original.
        kind: DocumentKind,
    },
    /// The document is not part of an advance chain that can be continued or closed.
    NotAnAdvanceChain {
        /// The number given.
        number: String,
    },
    /// The advance chain has nothing left to close.
    NothingToClose {
        /// The number given.
        number: String,
    },
    /// A refund must list the original's payments or new ones; the original is not known, so the
    /// payments must be given.
    PaymentsNeeded,
    /// A refund of a receipt not in the local store needs its items.
    ItemsNeeded,
    /// A given number does not match the verification URL.
    NumberMismatch {
        /// The number given.
        given: String,
        /// The number in the URL.
        in_url: String,
    },
}

/// A warning: the document is still sent. Sentences: [`EsirWarning::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EsirWarning {
    /// The buyer ID is accepted with a reservation (a JMBG whose check digit does not match).
    BuyerId(BuyerIdWarning),
    /// The referenced document is not in the local store, so the chain rules were not checked.
    ReferenceNotInStore {
        /// The referenced number.
        number: String,
    },
}

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
#[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
pub fn check_request(
    req: &InvoiceRequest,
    ctx: &CheckContext,
) -> Result<Vec<EsirWarning>, Vec<RuleViolation>> {
    let mut v = Vec::new();
    let mut w = Vec::new();
    let kind = req.kind();
    let money_refund = kind.transaction_type == TransactionType::Refund
        && matches!(
            kind.invoice_type,
            InvoiceType::Normal | InvoiceType::Advance
        );

    // Buyer ID (receipt.md §8).
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

    // Items, prefixes and labels.
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

    // Payments.
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

    // ESIR number (SEED-004: mandatory on every receipt).
    if req
        .invoice_number
        .as_deref()
        .is_none_or(|s| s.trim().is_empty())
    {
        v.push(RuleViolation::EsirNumberMissing);
    }

    // Reference number and time (receipt.md §4, pfr-api.md §6.2).
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
                    check_referenced_kind(kind, r, &mut v);
                }
                _ => {
                    if kind.requires_reference() || kind.invoice_type == InvoiceType::Advance {
                        w.push(EsirWarning::ReferenceNotInStore { number: n.clone() });
                    }
                }
            }
        }
    }

    // ESIR time only on an Advance Sale paid by wire before the receipt day (receipt.md §4).
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

    if v.is_empty() { Ok(w) } else { Err(v) }
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

#[cfg(test)]
mod tests {
    use super::*;
    use fiskal_domain::api::{InvoiceOptions, Item, Payment};
    use fiskal_domain::money::dec;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2024-05-10T12:00:00+02:00").unwrap()
    }

    fn item(name: &str, qty: &str, price: &str, label: &str) -> Item {
        Item {
            gtin: None,
            name: name.into(),
            quantity: dec(qty),
            unit_price: dec(price),
            labels: vec![label.into()],
            total_amount: fiskal_domain::money::round2(dec(qty) * dec(price)),
        }
    }

    fn req(it: InvoiceType, tt: TransactionType, pay: PaymentType) -> InvoiceRequest {
        InvoiceRequest {
            date_and_time_of_issue: None,
            cashier: Some("1".into()),
            buyer_id: None,
            buyer_cost_center_id: None,
            invoice_type: it,
            transaction_type: tt,
            payment: vec![Payment {
                amount: dec("164.00"),
                payment_type: pay,
            }],
            invoice_number: Some("fiskal/0.1".into()),
            referent_document_number: None,
            referent_document_dt: None,
            options: InvoiceOptions::default(),
            items: vec![item("Pivo Lav/л", "2", "82.00", "Ђ")],
        }
    }

    fn check(
        r: &InvoiceRequest,
        referenced: Option<Referenced>,
    ) -> Result<Vec<EsirWarning>, Vec<RuleViolation>> {
        let groups = [TaxRateGroup::serbian_default()];
        let ctx = CheckContext {
            tax_groups: &groups,
            current: Some(&groups[0]),
            now: now(),
            referenced,
        };
        check_request(r, &ctx)
    }

    fn with_ref(mut r: InvoiceRequest) -> InvoiceRequest {
        r.referent_document_number = Some("YTSS6KKG-HJHR9EO0-289".into());
        r.referent_document_dt =
            Some(DateTime::parse_from_rfc3339("2024-05-01T10:00:00+02:00").unwrap());
        r
    }

    fn referenced(kind: DocumentKind) -> Referenced {
        Referenced {
            number: "YTSS6KKG-HJHR9EO0-289".into(),
            kind,
            time: DateTime::parse_from_rfc3339("2024-05-01T10:00:00+02:00").unwrap(),
            total: dec("164.00"),
            seller_tin: Some("123456789".into()),
        }
    }

    #[test]
    fn plain_sale_passes() {
        assert_eq!(
            check(
                &req(
                    InvoiceType::Normal,
                    TransactionType::Sale,
                    PaymentType::Card
                ),
                None
            ),
            Ok(vec![])
        );
    }

    #[test]
    fn cash_refund_needs_buyer_id_but_card_refund_does_not() {
        let r = with_ref(req(
            InvoiceType::Normal,
            TransactionType::Refund,
            PaymentType::Cash,
        ));
        let e = check(&r, None).unwrap_err();
        assert!(e.contains(&RuleViolation::BuyerIdRequired { kind: r.kind() }));
        let r = with_ref(req(
            InvoiceType::Normal,
            TransactionType::Refund,
            PaymentType::Card,
        ));
        assert!(check(&r, None).is_ok());
    }

    #[test]
    fn jmbg_refused_on_cash_refund_and_check_digit_warns() {
        let base = "010199071000";
        let good = (0..10)
            .map(|d| format!("{base}{d}"))
            .find(|j| fiskal_domain::buyer::jmbg_check_digit_valid(j))
            .unwrap();
        let mut r = with_ref(req(
            InvoiceType::Normal,
            TransactionType::Refund,
            PaymentType::Cash,
        ));
        r.buyer_id = Some(format!("11:{good}"));
        let e = check(&r, None).unwrap_err();
        assert_eq!(
            e,
            vec![RuleViolation::JmbgOnCashRefund {
                value: format!("11:{good}")
            }]
        );
        let bad = format!("{base}{}", (good.as_bytes()[12] - b'0' + 1) % 10);
        let mut s = req(
            InvoiceType::Normal,
            TransactionType::Sale,
            PaymentType::Cash,
        );
        s.buyer_id = Some(format!("11:{bad}"));
        let w = check(&s, None).unwrap();
        assert_eq!(
            w,
            vec![EsirWarning::BuyerId(BuyerIdWarning::JmbgCheckDigit {
                jmbg: bad.clone()
            })]
        );
    }

    #[test]
    fn pib_check_digit_and_unknown_code() {
        let mut r = req(
            InvoiceType::Normal,
            TransactionType::Sale,
            PaymentType::Cash,
        );
        r.buyer_id = Some("10:123456789".into());
        assert_eq!(
            check(&r, None).unwrap_err(),
            vec![RuleViolation::BuyerId {
                value: "10:123456789".into(),
                error: BuyerIdError::PibCheckDigit {
                    pib: "123456789".into()
                }
            }]
        );
        r.buyer_id = Some("10:106884584".into());
        assert!(check(&r, None).is_ok());
        // The seller's own PIB on a cancellation comes from the PFR and is accepted as it is.
        let mut c = with_ref(req(
            InvoiceType::Normal,
            TransactionType::Refund,
            PaymentType::Cash,
        ));
        c.buyer_id = Some("10:123456789".into());
        let sale = DocumentKind::new(InvoiceType::Normal, TransactionType::Sale);
        assert!(check(&c, Some(referenced(sale))).is_ok());
        r.buyer_id = Some("77:1".into());
        assert!(matches!(
            check(&r, None).unwrap_err()[0],
            RuleViolation::BuyerId { .. }
        ));
    }

    #[test]
    fn unknown_labels_and_prefixes() {
        let mut r = req(
            InvoiceType::Normal,
            TransactionType::Sale,
            PaymentType::Cash,
        );
        r.items.push(item("55: nešto", "1", "0", "Ж"));
        let e = check(&r, None).unwrap_err();
        assert!(e.contains(&RuleViolation::UnknownItemPrefix {
            item: 1,
            prefix: "55".into()
        }));
        assert!(e.contains(&RuleViolation::UnknownTaxLabel {
            item: 1,
            label: "Ж".into(),
            group_id: 1
        }));
        let mut r = req(
            InvoiceType::Normal,
            TransactionType::Sale,
            PaymentType::Cash,
        );
        r.items = vec![
            item("20: Ваучер", "1", "100", "Ђ"),
            item("21: Ваучер", "1", "64", "Е"),
        ];
        assert_eq!(
            check(&r, None).unwrap_err(),
            vec![RuleViolation::VoucherRatesMixed]
        );
    }

    #[test]
    fn advance_items_only_on_advance_documents() {
        let mut r = req(
            InvoiceType::Advance,
            TransactionType::Sale,
            PaymentType::Cash,
        );
        assert_eq!(
            check(&r, None).unwrap_err(),
            vec![RuleViolation::NonAdvanceItemOnAdvance { item: 0 }]
        );
        r.items = vec![item("10: Аванс", "1", "164.00", "Ђ")];
        assert!(check(&r, None).is_ok());
        r.items = vec![item("10: Аванс", "1", "164.00", "Е")];
        assert_eq!(
            check(&r, None).unwrap_err(),
            vec![RuleViolation::PrefixLabel {
                item: 0,
                prefix: ItemPrefix::Advance('Ђ')
            }]
        );
        let mut n = req(
            InvoiceType::Normal,
            TransactionType::Sale,
            PaymentType::Cash,
        );
        n.items = vec![item("10: Аванс", "2", "82.00", "Ђ")];
        let e = check(&n, None).unwrap_err();
        assert!(e.contains(&RuleViolation::AdvanceItemOnNormal { item: 0 }));
        assert!(e.contains(&RuleViolation::AdvanceQuantity { item: 0 }));
    }

    #[test]
    fn references_required_and_checked_against_the_store() {
        let r = req(InvoiceType::Copy, TransactionType::Sale, PaymentType::Card);
        assert_eq!(
            check(&r, None).unwrap_err(),
            vec![RuleViolation::ReferenceRequired { kind: r.kind() }]
        );
        let mut r = with_ref(req(
            InvoiceType::Copy,
            TransactionType::Sale,
            PaymentType::Card,
        ));
        r.referent_document_dt = None;
        assert_eq!(
            check(&r, None).unwrap_err(),
            vec![RuleViolation::ReferenceTimeRequired { kind: r.kind() }]
        );
        // Copy Sale of a ProForma is refused.
        let r = with_ref(req(
            InvoiceType::Copy,
            TransactionType::Sale,
            PaymentType::Card,
        ));
        let pf = DocumentKind::new(InvoiceType::ProForma, TransactionType::Sale);
        assert!(matches!(
            check(&r, Some(referenced(pf))).unwrap_err()[0],
            RuleViolation::WrongReferencedKind { .. }
        ));
        // Normal Sale straight after an Advance Sale: close first.
        let r = with_ref(req(
            InvoiceType::Normal,
            TransactionType::Sale,
            PaymentType::Card,
        ));
        let ap = DocumentKind::new(InvoiceType::Advance, TransactionType::Sale);
        assert_eq!(
            check(&r, Some(referenced(ap))).unwrap_err(),
            vec![RuleViolation::AdvanceNotClosed {
                number: "YTSS6KKG-HJHR9EO0-289".into()
            }]
        );
        // Not in the store: a warning.
        let r = with_ref(req(
            InvoiceType::Normal,
            TransactionType::Refund,
            PaymentType::Card,
        ));
        assert_eq!(
            check(&r, None).unwrap(),
            vec![EsirWarning::ReferenceNotInStore {
                number: "YTSS6KKG-HJHR9EO0-289".into()
            }]
        );
        let mut r = r;
        r.referent_document_number = Some("АБ123456-XXXXXXXX-1".into());
        assert!(matches!(
            check(&r, None).unwrap_err()[0],
            RuleViolation::ReferenceFormat { .. }
        ));
    }

    #[test]
    fn closing_sale_pays_only_the_remainder() {
        let mut r = with_ref(req(
            InvoiceType::Normal,
            TransactionType::Sale,
            PaymentType::Cash,
        ));
        r.referent_document_dt = None;
        r.payment[0].amount = dec("0");
        let ar = DocumentKind::new(InvoiceType::Advance, TransactionType::Refund);
        assert!(check(&r, Some(referenced(ar))).is_ok());
        assert_eq!(
            check(&r, None).unwrap_err(),
            vec![RuleViolation::PaymentBelowTotal {
                due: dec("164.00"),
                paid: dec("0")
            }]
        );
    }

    #[test]
    fn esir_time_only_for_wire_paid_advance_before_today() {
        let mut r = req(
            InvoiceType::Advance,
            TransactionType::Sale,
            PaymentType::WireTransfer,
        );
        r.items = vec![item("10: Аванс", "1", "164.00", "Ђ")];
        r.date_and_time_of_issue =
            Some(DateTime::parse_from_rfc3339("2024-05-09T09:00:00+02:00").unwrap());
        assert!(check(&r, None).is_ok());
        r.date_and_time_of_issue = Some(now());
        assert_eq!(
            check(&r, None).unwrap_err(),
            vec![RuleViolation::IssueTimeNotBeforeToday]
        );
        let mut s = req(
            InvoiceType::Normal,
            TransactionType::Sale,
            PaymentType::Cash,
        );
        s.date_and_time_of_issue =
            Some(DateTime::parse_from_rfc3339("2024-05-09T09:00:00+02:00").unwrap());
        assert_eq!(
            check(&s, None).unwrap_err(),
            vec![RuleViolation::IssueTimeNotAllowed { kind: s.kind() }]
        );
    }

    #[test]
    fn corporate_card_needs_voucher_and_esir_number_required() {
        let mut r = req(
            InvoiceType::Normal,
            TransactionType::Sale,
            PaymentType::Cash,
        );
        r.buyer_cost_center_id = Some("50:66666666".into());
        r.invoice_number = None;
        let e = check(&r, None).unwrap_err();
        assert_eq!(
            e,
            vec![
                RuleViolation::CorporateCardNeedsVoucher,
                RuleViolation::EsirNumberMissing
            ]
        );
    }
}
