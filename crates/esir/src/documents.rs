//! Building documents: new ones from command-line items and payments, and those that follow an
//! earlier document (refund, copy, cancellation, advance chain; receipt.md §4).
//!
//! Builders only assemble requests; [`crate::rules::check_request`] checks them before sending.

use chrono::{DateTime, FixedOffset};
use fiskal_domain::api::{InvoiceOptions, InvoiceRequest, InvoiceResult, Item, Payment};
use fiskal_domain::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};
use fiskal_domain::money::round2;
use fiskal_domain::verification_url::VerificationPayload;
use rust_decimal::Decimal;

use crate::codebook::{self, ItemPrefix, PrefixOf};
use crate::error::EsirError;
use crate::rules::RuleViolation;
use crate::store::StoredInvoice;

/// The fields a cashier sets on any new document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// Cashier identification.
    pub cashier: Option<String>,
    /// Buyer ID (`code:value`).
    pub buyer_id: Option<String>,
    /// Optional buyer field (`code:value`).
    pub buyer_cost_center_id: Option<String>,
    /// ESIR number (`ЕСИР број`).
    pub esir_number: Option<String>,
}

/// A new document with nothing taken from an earlier one.
pub fn new_document(
    kind: DocumentKind,
    header: &Header,
    items: Vec<Item>,
    payment: Vec<Payment>,
) -> InvoiceRequest {
    InvoiceRequest {
        date_and_time_of_issue: None,
        cashier: header.cashier.clone(),
        buyer_id: header.buyer_id.clone(),
        buyer_cost_center_id: header.buyer_cost_center_id.clone(),
        invoice_type: kind.invoice_type,
        transaction_type: kind.transaction_type,
        payment,
        invoice_number: header.esir_number.clone(),
        referent_document_number: None,
        referent_document_dt: None,
        options: InvoiceOptions::default(),
        items,
    }
}

/// Reads an item given as `NAME;QTY;PRICE;LABEL[,LABEL][;GTIN]` (`Pivo Lav/л;2;82.00;Ђ`).
/// Decimal commas are accepted (`82,00`); the total is `round2(QTY × PRICE)`.
pub fn parse_item_spec(spec: &str) -> Result<Item, EsirError> {
    let bad = || EsirError::ItemSpec {
        spec: spec.to_string(),
    };
    let parts: Vec<&str> = spec.split(';').collect();
    if !(4..=5).contains(&parts.len()) {
        return Err(bad());
    }
    let name = parts[0].trim();
    let quantity = parse_decimal(parts[1]).ok_or_else(bad)?;
    let unit_price = parse_decimal(parts[2]).ok_or_else(bad)?;
    let labels: Vec<String> = parts[3]
        .split(',')
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if name.is_empty()
        || labels.is_empty()
        || quantity <= Decimal::ZERO
        || unit_price < Decimal::ZERO
    {
        return Err(bad());
    }
    let gtin = parts
        .get(4)
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty());
    Ok(Item {
        gtin,
        name: name.to_string(),
        quantity,
        unit_price,
        labels,
        total_amount: round2(quantity * unit_price),
    })
}

/// Reads a payment given as `METHOD:AMOUNT` (`cash:164.00`); methods `cash`, `card`, `check`,
/// `wire`, `voucher`, `mobile`, `other` (or the API names and codes).
pub fn parse_payment_spec(spec: &str) -> Result<Payment, EsirError> {
    let bad = || EsirError::PaymentSpec {
        spec: spec.to_string(),
    };
    let (method, amount) = spec.split_once(':').ok_or_else(bad)?;
    let payment_type = payment_type_name(method).ok_or_else(bad)?;
    let amount = parse_decimal(amount).ok_or_else(bad)?;
    if amount < Decimal::ZERO {
        return Err(bad());
    }
    Ok(Payment {
        amount,
        payment_type,
    })
}

/// A payment method by its command-line name (`cash`, `card`, `check`, `wire`, `voucher`,
/// `mobile`, `other`) or API name/code.
pub fn payment_type_name(s: &str) -> Option<PaymentType> {
    match s.trim().to_ascii_lowercase().as_str() {
        "cash" | "gotovina" => Some(PaymentType::Cash),
        "card" | "kartica" => Some(PaymentType::Card),
        "check" | "cheque" | "cek" | "ček" => Some(PaymentType::Check),
        "wire" | "transfer" | "prenos" => Some(PaymentType::WireTransfer),
        "voucher" | "vaucer" | "vaučer" => Some(PaymentType::Voucher),
        "mobile" | "instant" => Some(PaymentType::MobileMoney),
        "other" | "drugo" => Some(PaymentType::Other),
        other => PaymentType::parse_name(other),
    }
}

fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim().replace(',', ".");
    if s.is_empty() || s.contains(['e', 'E']) {
        return None;
    }
    s.parse().ok()
}

/// What a follow-up document needs to know about the document it refers to: its number, PFR
/// time, kind and, when known, its request.
#[derive(Debug, Clone, PartialEq)]
pub struct Original {
    /// PFR invoice number.
    pub number: String,
    /// PFR time.
    pub time: DateTime<FixedOffset>,
    /// Kind.
    pub kind: DocumentKind,
    /// The request it was issued from (unknown for a receipt issued elsewhere).
    pub request: Option<InvoiceRequest>,
    /// The seller's TIN from the result, when known.
    pub seller_tin: Option<String>,
}

impl Original {
    /// An original from the local store.
    pub fn stored(s: &StoredInvoice) -> Original {
        Original {
            number: s.number().to_string(),
            time: s.time(),
            kind: s.kind(),
            request: Some(s.request.clone()),
            seller_tin: Some(s.result.tin.clone()),
        }
    }

    /// An original from its PFR result and request.
    pub fn from_result(request: &InvoiceRequest, result: &InvoiceResult) -> Original {
        Original {
            number: result.invoice_number.clone(),
            time: result.sdc_date_time,
            kind: request.kind(),
            request: Some(request.clone()),
            seller_tin: Some(result.tin.clone()),
        }
    }

    /// An original known only from its verification URL (a receipt this ESIR did not issue).
    pub fn from_verification_url(url: &str) -> Result<Original, EsirError> {
        let p = VerificationPayload::decode(url).map_err(|e| EsirError::VerificationUrl {
            detail: e.to_string(),
        })?;
        let time = p.sdc_time().ok_or_else(|| EsirError::VerificationUrl {
            detail: "time out of range".into(),
        })?;
        Ok(Original {
            number: p.invoice_number(),
            time: fiskal_domain::time::to_belgrade(time),
            kind: DocumentKind::new(p.invoice_type, p.transaction_type),
            request: None,
            seller_tin: None,
        })
    }
}

fn follow_up(orig: &Original, kind: DocumentKind, header: &Header) -> InvoiceRequest {
    let base = orig.request.as_ref();
    let pick =
        |h: &Option<String>, o: Option<&Option<String>>| h.clone().or_else(|| o.cloned().flatten());
    InvoiceRequest {
        date_and_time_of_issue: None,
        cashier: pick(&header.cashier, base.map(|b| &b.cashier)),
        buyer_id: pick(&header.buyer_id, base.map(|b| &b.buyer_id)),
        buyer_cost_center_id: pick(
            &header.buyer_cost_center_id,
            base.map(|b| &b.buyer_cost_center_id),
        ),
        invoice_type: kind.invoice_type,
        transaction_type: kind.transaction_type,
        payment: base.map(|b| b.payment.clone()).unwrap_or_default(),
        invoice_number: pick(&header.esir_number, base.map(|b| &b.invoice_number)),
        referent_document_number: Some(orig.number.clone()),
        referent_document_dt: Some(orig.time),
        options: InvoiceOptions::default(),
        items: base.map(|b| b.items.clone()).unwrap_or_default(),
    }
}

/// A refund of `orig` (Normal Sale → Normal Refund, Advance Sale → Advance Refund, also
/// ProForma and Training): same items and payments unless `items` / `payments` are given (a
/// partial refund, or money returned another way), reference = the original's number and time.
/// `header.buyer_id` is the buyer's ID (required for a cash refund, checked by the rules).
pub fn refund_of(
    orig: &Original,
    header: &Header,
    items: Option<Vec<Item>>,
    payments: Option<Vec<Payment>>,
) -> Result<InvoiceRequest, RuleViolation> {
    if orig.kind.transaction_type != TransactionType::Sale
        || orig.kind.invoice_type == InvoiceType::Copy
    {
        return Err(RuleViolation::CannotRefund { kind: orig.kind });
    }
    let kind = DocumentKind::new(orig.kind.invoice_type, TransactionType::Refund);
    let mut r = follow_up(orig, kind, header);
    // A refund's buyer is the one returning the goods, not the original buyer by default.
    r.buyer_id = header.buyer_id.clone().or(r.buyer_id);
    match items {
        Some(i) => r.items = i,
        None if orig.request.is_none() => return Err(RuleViolation::ItemsNeeded),
        None => {}
    }
    match payments {
        Some(p) => r.payment = p,
        None if orig.request.is_none() => return Err(RuleViolation::PaymentsNeeded),
        None => {
            // Refund what the items are worth, in the original's first payment method.
            let total = r.total();
            if r.payment_total() != total {
                let t = r
                    .payment
                    .first()
                    .map(|p| p.payment_type)
                    .unwrap_or(PaymentType::Cash);
                r.payment = vec![Payment {
                    amount: total,
                    payment_type: t,
                }];
            }
        }
    }
    Ok(r)
}

/// A copy of `orig`: Copy Sale of a Normal or Advance Sale, Copy Refund of a Normal or Advance
/// Refund, with the same buyer, items and payments; reference = the original's number and time.
pub fn copy_of(orig: &Original, header: &Header) -> Result<InvoiceRequest, RuleViolation> {
    if !matches!(
        orig.kind.invoice_type,
        InvoiceType::Normal | InvoiceType::Advance
    ) || orig.request.is_none()
    {
        return Err(RuleViolation::CannotCopy { kind: orig.kind });
    }
    let kind = DocumentKind::new(InvoiceType::Copy, orig.kind.transaction_type);
    // The copy repeats the original's buyer; the header may only change cashier and ESIR number.
    let h = Header {
        buyer_id: None,
        buyer_cost_center_id: None,
        ..header.clone()
    };
    Ok(follow_up(orig, kind, &h))
}

/// Cancellation of an erroneous Normal or Advance receipt (receipt.md §4): the opposite
/// transaction of the same type with the same items, quantities, prices and payments, buyer ID
/// `10:{seller PIB}`, reference = the erroneous receipt. `seller_tin` may carry a country prefix
/// (`RS111911206`).
pub fn cancellation_of(
    orig: &Original,
    seller_tin: &str,
    header: &Header,
) -> Result<InvoiceRequest, RuleViolation> {
    if !matches!(
        orig.kind.invoice_type,
        InvoiceType::Normal | InvoiceType::Advance
    ) || orig.request.is_none()
    {
        return Err(RuleViolation::CannotCancel { kind: orig.kind });
    }
    let tx = match orig.kind.transaction_type {
        TransactionType::Sale => TransactionType::Refund,
        TransactionType::Refund => TransactionType::Sale,
    };
    let h = Header {
        buyer_id: Some(codebook::seller_buyer_id(seller_tin)),
        ..header.clone()
    };
    Ok(follow_up(
        orig,
        DocumentKind::new(orig.kind.invoice_type, tx),
        &h,
    ))
}

/// A ProForma or Training version of a document (same items and payments, no reference).
pub fn as_non_fiscal(req: &InvoiceRequest, invoice_type: InvoiceType) -> InvoiceRequest {
    let mut r = req.clone();
    r.invoice_type = invoice_type;
    r.referent_document_number = None;
    r.referent_document_dt = None;
    r.date_and_time_of_issue = None;
    r
}

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

/// Reads an advance given as `LABEL:AMOUNT` (`Ђ:5000`) or `PREFIX:AMOUNT` (`10:5000`).
pub fn parse_advance_spec(spec: &str) -> Result<Item, EsirError> {
    let bad = || EsirError::ItemSpec {
        spec: spec.to_string(),
    };
    let (l, a) = spec.split_once(':').ok_or_else(bad)?;
    let l = l.trim();
    let label = match l {
        "10" => 'Ђ',
        "11" => 'Е',
        "12" => 'Г',
        "13" => 'А',
        _ => {
            let mut cs = l.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => c,
                _ => return Err(bad()),
            }
        }
    };
    let amount = parse_decimal(a)
        .filter(|a| *a > Decimal::ZERO)
        .ok_or_else(bad)?;
    advance_item(label, amount).ok_or_else(bad)
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

#[cfg(test)]
mod tests {
    use super::*;
    use fiskal_domain::money::dec;

    fn result(number: &str, kind: DocumentKind, total: &str) -> InvoiceResult {
        let json = serde_json::json!({
            "requestedBy": "YTSS6KKG", "signedBy": "YTSS6KKG",
            "sdcDateTime": "2024-05-01T10:00:00.000+02:00",
            "invoiceCounter": format!("1/1{}", kind.extension()), "invoiceCounterExtension": kind.extension(),
            "invoiceNumber": number, "taxItems": [], "verificationUrl": "https://x/v/?vl=A",
            "verificationQRCode": null, "journal": null, "messages": "Успешно", "signature": "", "encryptedInternalData": "",
            "totalCounter": 1, "transactionTypeCounter": 1, "totalAmount": serde_json::Number::from_string_unchecked(total.into()),
            "taxGroupRevision": 1, "businessName": "Продавница", "tin": "RS106884584", "locationName": "1-Радња",
            "address": "Улица 1", "district": "Београд"
        });
        serde_json::from_value(json).unwrap()
    }

    fn stored(number: &str, req: InvoiceRequest) -> StoredInvoice {
        let res = result(number, req.kind(), &req.total().to_string());
        StoredInvoice {
            request_id: format!("r-{number}"),
            request: req,
            result: res,
            chain_id: None,
            stored_at: chrono::Utc::now(),
        }
    }

    fn header() -> Header {
        Header {
            cashier: Some("Mira".into()),
            esir_number: Some("fiskal/0.1".into()),
            ..Header::default()
        }
    }

    fn sale() -> InvoiceRequest {
        new_document(
            DocumentKind::new(InvoiceType::Normal, TransactionType::Sale),
            &Header {
                buyer_id: Some("10:106884584".into()),
                ..header()
            },
            vec![
                parse_item_spec("Pivo Lav/л;2;82.00;Ђ").unwrap(),
                parse_item_spec("Hleb/kom;1;64,5;Е").unwrap(),
            ],
            vec![parse_payment_spec("cash:300").unwrap()],
        )
    }

    #[test]
    fn item_and_payment_specs() {
        let i = parse_item_spec("Pivo Lav/л;2;82.00;Ђ,Е;12345678").unwrap();
        assert_eq!(
            (i.total_amount, i.labels.clone(), i.gtin.as_deref()),
            (
                dec("164.00"),
                vec!["Ђ".into(), "Е".into()],
                Some("12345678")
            )
        );
        assert_eq!(
            parse_item_spec("x;0.333;1.01;Ђ").unwrap().total_amount,
            dec("0.34")
        );
        assert!(parse_item_spec("x;2;82").is_err());
        assert!(parse_item_spec("x;-1;82;Ђ").is_err());
        assert_eq!(
            parse_payment_spec("wire:10,50").unwrap(),
            Payment {
                amount: dec("10.50"),
                payment_type: PaymentType::WireTransfer
            }
        );
        assert_eq!(
            parse_payment_spec("MobileMoney:1").unwrap().payment_type,
            PaymentType::MobileMoney
        );
        assert!(parse_payment_spec("bitcoin:1").is_err());
        assert!(parse_payment_spec("cash").is_err());
    }

    #[test]
    fn refund_takes_items_and_references_the_sale() {
        let s = stored("YTSS6KKG-YTSS6KKG-10", sale());
        let h = Header {
            buyer_id: Some("20:0023456".into()),
            ..Header::default()
        };
        let r = refund_of(&Original::stored(&s), &h, None, None).unwrap();
        assert_eq!(
            r.kind(),
            DocumentKind::new(InvoiceType::Normal, TransactionType::Refund)
        );
        assert_eq!(
            r.referent_document_number.as_deref(),
            Some("YTSS6KKG-YTSS6KKG-10")
        );
        assert_eq!(r.referent_document_dt, Some(s.time()));
        assert_eq!(r.items, s.request.items);
        assert_eq!(r.buyer_id.as_deref(), Some("20:0023456"));
        assert_eq!(r.cashier.as_deref(), Some("Mira"));
        // Payment reduced to the refunded value (300 was paid for 228.50).
        assert_eq!(
            r.payment,
            vec![Payment {
                amount: dec("228.50"),
                payment_type: PaymentType::Cash
            }]
        );
        // Partial refund.
        let part = vec![parse_item_spec("Hleb/kom;1;64.50;Е").unwrap()];
        let r = refund_of(
            &Original::stored(&s),
            &h,
            Some(part),
            Some(vec![parse_payment_spec("card:64.50").unwrap()]),
        )
        .unwrap();
        assert_eq!(r.total(), dec("64.50"));
        // A refund cannot be refunded.
        let rs = stored("YTSS6KKG-YTSS6KKG-11", r);
        assert!(matches!(
            refund_of(&Original::stored(&rs), &h, None, None),
            Err(RuleViolation::CannotRefund { .. })
        ));
    }

    #[test]
    fn copies_follow_the_transaction_type() {
        let s = stored("YTSS6KKG-YTSS6KKG-10", sale());
        let c = copy_of(&Original::stored(&s), &header()).unwrap();
        assert_eq!(
            c.kind(),
            DocumentKind::new(InvoiceType::Copy, TransactionType::Sale)
        );
        assert_eq!(c.buyer_id.as_deref(), Some("10:106884584"));
        assert_eq!(
            (c.items.clone(), c.payment.clone()),
            (s.request.items.clone(), s.request.payment.clone())
        );
        let r = refund_of(
            &Original::stored(&s),
            &Header {
                buyer_id: Some("20:1".into()),
                ..header()
            },
            None,
            None,
        )
        .unwrap();
        let rs = stored("YTSS6KKG-YTSS6KKG-11", r);
        let c = copy_of(&Original::stored(&rs), &header()).unwrap();
        assert_eq!(
            c.kind(),
            DocumentKind::new(InvoiceType::Copy, TransactionType::Refund)
        );
        assert_eq!(
            c.referent_document_number.as_deref(),
            Some("YTSS6KKG-YTSS6KKG-11")
        );
        let pf = stored(
            "YTSS6KKG-YTSS6KKG-12",
            as_non_fiscal(&sale(), InvoiceType::ProForma),
        );
        assert!(matches!(
            copy_of(&Original::stored(&pf), &header()),
            Err(RuleViolation::CannotCopy { .. })
        ));
    }

    #[test]
    fn cancellation_uses_the_sellers_pib() {
        let s = stored("YTSS6KKG-YTSS6KKG-10", sale());
        let c = cancellation_of(&Original::stored(&s), &s.result.tin, &Header::default()).unwrap();
        assert_eq!(
            c.kind(),
            DocumentKind::new(InvoiceType::Normal, TransactionType::Refund)
        );
        assert_eq!(c.buyer_id.as_deref(), Some("10:106884584"));
        assert_eq!(c.payment, s.request.payment);
        assert_eq!(c.referent_document_number.as_deref(), Some(s.number()));
        // Cancelling that refund gives a Normal Sale.
        let cs = stored("YTSS6KKG-YTSS6KKG-11", c);
        let again =
            cancellation_of(&Original::stored(&cs), "106884584", &Header::default()).unwrap();
        assert_eq!(
            again.kind(),
            DocumentKind::new(InvoiceType::Normal, TransactionType::Sale)
        );
        let t = stored(
            "YTSS6KKG-YTSS6KKG-12",
            as_non_fiscal(&sale(), InvoiceType::Training),
        );
        assert!(matches!(
            cancellation_of(&Original::stored(&t), "106884584", &header()),
            Err(RuleViolation::CannotCancel { .. })
        ));
    }

    #[test]
    fn advance_chain_start_add_close() {
        let h = header();
        let a1 = advance_sale(
            &h,
            vec![parse_advance_spec("Ђ:5000").unwrap()],
            vec![parse_payment_spec("wire:5000").unwrap()],
            None,
            None,
        );
        assert_eq!(a1.items[0].name, "10: Аванс");
        assert_eq!(a1.referent_document_number, None);
        let mut s1 = stored("YTSS6KKG-YTSS6KKG-20", a1);
        s1.chain_id = Some(s1.number().to_string());
        let a2 = advance_sale(
            &h,
            vec![
                parse_advance_spec("10:3000").unwrap(),
                parse_advance_spec("Е:1100").unwrap(),
            ],
            vec![parse_payment_spec("cash:5000").unwrap()],
            Some(&Original::stored(&s1)),
            None,
        );
        assert_eq!(
            a2.referent_document_number.as_deref(),
            Some("YTSS6KKG-YTSS6KKG-20")
        );
        let s2 = stored("YTSS6KKG-YTSS6KKG-21", a2);
        let chain = AdvanceChain {
            id: s1.number().to_string(),
            docs: vec![s1.clone(), s2.clone()],
        };
        assert_eq!(
            chain.last_advance_sale().map(|d| d.number()),
            Some("YTSS6KKG-YTSS6KKG-21")
        );
        assert_eq!(
            chain.open_by_label(),
            vec![('Ђ', dec("8000")), ('Е', dec("1100"))]
        );
        let ar = chain
            .closing_refund(&Header {
                buyer_id: Some("10:106884584".into()),
                ..h.clone()
            })
            .unwrap();
        assert_eq!(
            ar.kind(),
            DocumentKind::new(InvoiceType::Advance, TransactionType::Refund)
        );
        assert_eq!(
            ar.referent_document_number.as_deref(),
            Some("YTSS6KKG-YTSS6KKG-21")
        );
        assert_eq!(
            ar.items
                .iter()
                .map(|i| (i.name.as_str(), i.total_amount))
                .collect::<Vec<_>>(),
            vec![("10: Аванс", dec("8000")), ("11: Аванс", dec("1100"))]
        );
        // 10 000 paid for 9 100: the 900 change comes off the cash.
        assert_eq!(
            ar.payment,
            vec![
                Payment {
                    amount: dec("5000"),
                    payment_type: PaymentType::WireTransfer
                },
                Payment {
                    amount: dec("4100"),
                    payment_type: PaymentType::Cash
                }
            ]
        );
        let sar = stored("YTSS6KKG-YTSS6KKG-22", ar);
        let mut chain2 = chain.clone();
        chain2.docs.push(sar.clone());
        assert!(chain2.open_by_label().is_empty());
        assert!(matches!(
            chain2.closing_refund(&h),
            Err(RuleViolation::NothingToClose { .. })
        ));
        let ps = chain.closing_sale(
            &sar,
            &h,
            vec![parse_item_spec("Kauč/kom;1;10000;Ђ").unwrap()],
            vec![parse_payment_spec("card:900").unwrap()],
        );
        assert_eq!(
            ps.kind(),
            DocumentKind::new(InvoiceType::Normal, TransactionType::Sale)
        );
        assert_eq!(
            ps.referent_document_number.as_deref(),
            Some("YTSS6KKG-YTSS6KKG-22")
        );
        assert_eq!(ps.buyer_id.as_deref(), Some("10:106884584"));
    }

    #[test]
    fn advance_specs() {
        assert_eq!(parse_advance_spec("А:100").unwrap().name, "13: Аванс");
        assert!(parse_advance_spec("Ж:100").is_err());
        assert!(parse_advance_spec("Ђ:0").is_err());
    }
}
