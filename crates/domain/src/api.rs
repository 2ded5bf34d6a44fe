//! PFR API v3 request and response types, and the field checks that give TaxCore's codes
//! (pfr-api.md §6, §8, §9, §11).
//!
//! Requests are parsed from a [`serde_json::Value`] by hand so that field names match in any
//! letter case, enums accept numbers and names, unknown fields are ignored and *every* field error
//! is collected with its JSON path, as TaxCore does.

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::counter::is_valid_referent_number;
use crate::gsc::Gsc;
use crate::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};
use crate::money::{decimal_places, integer_digits, json_number, max_se_amount, round2};
use crate::tax::{TaxItem, TaxRateGroup, compute_taxes, group_at};

/// Most payments in one request (fiskal's choice).
pub const MAX_PAYMENTS: usize = 20;
/// Most items in one request (fiskal's choice).
pub const MAX_ITEMS: usize = 1000;
/// Most labels per item (fiskal's choice).
pub const MAX_LABELS: usize = 10;
/// Most distinct tax categories in one invoice (the SE accepts 12).
pub const MAX_CATEGORIES: usize = 12;

/// One field error: the JSON path of the field and a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path such as `items[0].labels[1]`; empty for the whole request.
    pub property: String,
    /// The code.
    pub code: Gsc,
}

/// The TaxCore error body (`ModelErrors`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelErrors {
    /// HTTP reason phrase.
    pub message: String,
    /// Errors per property.
    pub model_state: Vec<ModelStateEntry>,
}

/// One property's errors in [`ModelErrors`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelStateEntry {
    /// JSON path of the field.
    pub property: String,
    /// 4-digit codes.
    pub errors: Vec<String>,
}

impl ModelErrors {
    /// Groups field errors by property, keeping the first-seen property order and sorting codes
    /// within a property.
    pub fn from_errors(message: &str, errors: &[FieldError]) -> ModelErrors {
        let mut model_state: Vec<ModelStateEntry> = Vec::new();
        for e in errors {
            let code = e.code.code().to_string();
            match model_state.iter_mut().find(|m| m.property == e.property) {
                Some(m) => {
                    if !m.errors.contains(&code) {
                        m.errors.push(code);
                    }
                }
                None => model_state.push(ModelStateEntry {
                    property: e.property.clone(),
                    errors: vec![code],
                }),
            }
        }
        for m in &mut model_state {
            m.errors.sort();
        }
        ModelErrors {
            message: message.to_string(),
            model_state,
        }
    }

    /// All codes in order.
    pub fn codes(&self) -> Vec<String> {
        self.model_state
            .iter()
            .flat_map(|m| m.errors.iter().cloned())
            .collect()
    }
}

/// One payment of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// Amount (≥ 0, ≤ 4 decimals).
    #[serde(with = "json_number")]
    pub amount: Decimal,
    /// Method.
    pub payment_type: PaymentType,
}

/// One item of a request. Prices are gross (tax included), always positive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// GTIN, 8–14 digits.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gtin: Option<String>,
    /// Name including the unit after a slash (`Pivo Lav/л`).
    pub name: String,
    /// Quantity (≥ 0.001, ≤ 3 decimals).
    #[serde(with = "json_number")]
    pub quantity: Decimal,
    /// Unit price (≤ 2 decimals).
    #[serde(with = "json_number")]
    pub unit_price: Decimal,
    /// Tax labels.
    pub labels: Vec<String>,
    /// `round2(unitPrice × quantity)`.
    #[serde(with = "json_number")]
    pub total_amount: Decimal,
}

/// Options of a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceOptions {
    /// Leave out the QR code image.
    #[serde(with = "flag")]
    pub omit_qr_code_gen: bool,
    /// Leave out the journal text.
    #[serde(with = "flag")]
    pub omit_textual_representation: bool,
}

mod flag {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *b { "1" } else { "0" })
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        super::parse_flag(&v).ok_or_else(|| serde::de::Error::custom("expected 0 or 1"))
    }
}

fn parse_flag(v: &Value) -> Option<bool> {
    match v {
        Value::Null => Some(false),
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim() {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        },
        _ => None,
    }
}

/// A checked `InvoiceRequest` (pfr-api.md §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceRequest {
    /// ESIR time; printed as `ЕСИР време`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date_and_time_of_issue: Option<DateTime<FixedOffset>>,
    /// Cashier identification.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cashier: Option<String>,
    /// Buyer ID `code:value`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub buyer_id: Option<String>,
    /// Optional buyer field `code:value`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub buyer_cost_center_id: Option<String>,
    /// Invoice type.
    pub invoice_type: InvoiceType,
    /// Transaction type.
    pub transaction_type: TransactionType,
    /// Payments.
    pub payment: Vec<Payment>,
    /// ESIR number (`ЕСИР број`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub invoice_number: Option<String>,
    /// PFR number of the referenced receipt.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub referent_document_number: Option<String>,
    /// PFR time of the referenced receipt.
    #[serde(
        rename = "referentDocumentDT",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub referent_document_dt: Option<DateTime<FixedOffset>>,
    /// Output options.
    #[serde(default)]
    pub options: InvoiceOptions,
    /// Items.
    pub items: Vec<Item>,
}

impl InvoiceRequest {
    /// The document kind.
    pub fn kind(&self) -> DocumentKind {
        DocumentKind::new(self.invoice_type, self.transaction_type)
    }

    /// Sum of the item totals.
    pub fn total(&self) -> Decimal {
        self.items.iter().map(|i| i.total_amount).sum()
    }

    /// Sum of the payments.
    pub fn payment_total(&self) -> Decimal {
        self.payment.iter().map(|p| p.amount).sum()
    }

    /// Canonical JSON of the request, used to tell a repeated `RequestId` with the same body from
    /// one with a different body.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses and checks a request body (pfr-api.md §6, steps 2 and 3 of §6.1), collecting every
    /// field error.
    pub fn from_json(body: &[u8]) -> Result<InvoiceRequest, Vec<FieldError>> {
        let v: Value = serde_json::from_slice(body).map_err(|_| {
            vec![FieldError {
                property: String::new(),
                code: Gsc::InvalidFormat,
            }]
        })?;
        Self::from_value(&v)
    }

    /// Like [`InvoiceRequest::from_json`] on an already parsed value.
    pub fn from_value(v: &Value) -> Result<InvoiceRequest, Vec<FieldError>> {
        let obj = match v {
            Value::Object(o) => o,
            _ => {
                return Err(vec![FieldError {
                    property: String::new(),
                    code: Gsc::InvalidFormat,
                }]);
            }
        };
        let mut p = Parser { errors: Vec::new() };
        let req = p.request(obj);
        match req {
            Some(r) if p.errors.is_empty() => Ok(r),
            _ => Err(p.errors),
        }
    }
}

/// Case-insensitive field lookup; `null` counts as absent.
pub fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

struct Parser {
    errors: Vec<FieldError>,
}

impl Parser {
    fn err(&mut self, property: impl Into<String>, code: Gsc) {
        self.errors.push(FieldError {
            property: property.into(),
            code,
        });
    }

    fn string(
        &mut self,
        obj: &Map<String, Value>,
        name: &str,
        path: &str,
        max: usize,
        empty_is_absent: bool,
    ) -> Option<String> {
        match field(obj, name) {
            None => None,
            Some(Value::String(s)) => {
                if s.is_empty() {
                    if !empty_is_absent {
                        self.err(path, Gsc::FieldTooShort);
                    }
                    None
                } else if s.chars().count() > max {
                    self.err(path, Gsc::FieldTooLong);
                    None
                } else {
                    Some(s.clone())
                }
            }
            Some(_) => {
                self.err(path, Gsc::InvalidFormat);
                None
            }
        }
    }

    fn time(
        &mut self,
        obj: &Map<String, Value>,
        name: &str,
        path: &str,
        empty_is_absent: bool,
    ) -> Option<DateTime<FixedOffset>> {
        match field(obj, name) {
            None => None,
            Some(Value::String(s)) if s.is_empty() && empty_is_absent => None,
            Some(Value::String(s)) => match crate::time::parse_request_time(s) {
                Some(t) => Some(t),
                None => {
                    self.err(path, Gsc::InvalidFormat);
                    None
                }
            },
            Some(_) => {
                self.err(path, Gsc::InvalidFormat);
                None
            }
        }
    }

    fn decimal(&mut self, v: &Value, path: &str) -> Option<Decimal> {
        let text = match v {
            Value::Number(n) => n.as_str().to_string(),
            _ => {
                self.err(path, Gsc::InvalidFormat);
                return None;
            }
        };
        // Exponent forms such as 1e3 are converted exactly.
        let parsed = text
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(&text));
        match parsed {
            Ok(d) => Some(d),
            Err(_) => {
                // Too large or too precise to represent at all.
                self.err(path, Gsc::OutOfRange);
                None
            }
        }
    }

    fn enum_value<T>(
        &mut self,
        obj: &Map<String, Value>,
        name: &str,
        from_code: fn(u64) -> Option<T>,
        parse: fn(&str) -> Option<T>,
    ) -> Option<T> {
        match field(obj, name) {
            None => {
                self.err(name, Gsc::FieldRequired);
                None
            }
            Some(v) => {
                let r = match v {
                    Value::Number(n) => n.as_u64().and_then(from_code),
                    Value::String(s) => parse(s),
                    _ => None,
                };
                if r.is_none() {
                    self.err(name, Gsc::InvalidValue);
                }
                r
            }
        }
    }

    fn request(&mut self, obj: &Map<String, Value>) -> Option<InvoiceRequest> {
        let date_and_time_of_issue =
            self.time(obj, "dateAndTimeOfIssue", "dateAndTimeOfIssue", false);
        let cashier = self.string(obj, "cashier", "cashier", 50, false);
        let buyer_id = self.string(obj, "buyerId", "buyerId", 20, false);
        if let Some(b) = &buyer_id
            && !b.bytes().all(|c| (0x20..=0x7e).contains(&c))
        {
            self.err("buyerId", Gsc::InvalidFormat);
        }
        let buyer_cost_center_id =
            self.string(obj, "buyerCostCenterId", "buyerCostCenterId", 50, false);
        let invoice_type = self.enum_value(
            obj,
            "invoiceType",
            InvoiceType::from_code,
            InvoiceType::parse_name,
        );
        let transaction_type = self.enum_value(
            obj,
            "transactionType",
            TransactionType::from_code,
            TransactionType::parse_name,
        );
        let payment = self.payments(obj);
        let invoice_number = self.string(obj, "invoiceNumber", "invoiceNumber", 60, false);
        let referent_document_number = self.string(
            obj,
            "referentDocumentNumber",
            "referentDocumentNumber",
            50,
            true,
        );
        if let Some(r) = &referent_document_number
            && !is_valid_referent_number(r)
        {
            self.err("referentDocumentNumber", Gsc::InvalidFormat);
        }
        if let (Some(it), Some(tt), None) =
            (invoice_type, transaction_type, &referent_document_number)
            && DocumentKind::new(it, tt).requires_reference()
            && !self
                .errors
                .iter()
                .any(|e| e.property == "referentDocumentNumber")
        {
            self.err("referentDocumentNumber", Gsc::FieldRequired);
        }
        let referent_document_dt = self.time(obj, "referentDocumentDT", "referentDocumentDT", true);
        if referent_document_dt.is_some() && referent_document_number.is_none() {
            self.err("referentDocumentDT", Gsc::InvalidValue);
        }
        let options = self.options(obj);
        let items = self.items(obj);
        Some(InvoiceRequest {
            date_and_time_of_issue,
            cashier,
            buyer_id,
            buyer_cost_center_id,
            invoice_type: invoice_type?,
            transaction_type: transaction_type?,
            payment: payment?,
            invoice_number,
            referent_document_number,
            referent_document_dt,
            options,
            items: items?,
        })
    }

    fn payments(&mut self, obj: &Map<String, Value>) -> Option<Vec<Payment>> {
        let arr = match field(obj, "payment") {
            None => {
                self.err("payment", Gsc::FieldRequired);
                return None;
            }
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.err("payment", Gsc::InvalidFormat);
                return None;
            }
        };
        if arr.is_empty() {
            self.err("payment", Gsc::ListTooShort);
            return None;
        }
        if arr.len() > MAX_PAYMENTS {
            self.err("payment", Gsc::ListTooLong);
            return None;
        }
        let mut out = Vec::new();
        for (i, p) in arr.iter().enumerate() {
            let path = format!("payment[{i}]");
            let Value::Object(po) = p else {
                self.err(path, Gsc::InvalidFormat);
                continue;
            };
            let amount_path = format!("{path}.amount");
            let amount = match field(po, "amount") {
                None => {
                    self.err(amount_path.clone(), Gsc::FieldRequired);
                    None
                }
                Some(v) => self.decimal(v, &amount_path),
            };
            if let Some(a) = amount {
                if a.is_sign_negative() && !a.is_zero() || integer_digits(a) > 14 {
                    self.err(amount_path.clone(), Gsc::OutOfRange);
                } else if decimal_places(a) > 4 {
                    self.err(amount_path.clone(), Gsc::InvalidFormat);
                }
            }
            let pt_path = format!("{path}.paymentType");
            let payment_type = match field(po, "paymentType") {
                None => {
                    self.err(pt_path, Gsc::FieldRequired);
                    None
                }
                Some(v) => {
                    let r = match v {
                        Value::Number(n) => n.as_u64().and_then(PaymentType::from_code),
                        Value::String(s) => PaymentType::parse_name(s),
                        _ => None,
                    };
                    if r.is_none() {
                        self.err(pt_path, Gsc::InvalidValue);
                    }
                    r
                }
            };
            if let (Some(amount), Some(payment_type)) = (amount, payment_type) {
                out.push(Payment {
                    amount,
                    payment_type,
                });
            }
        }
        (out.len() == arr.len()).then_some(out)
    }

    fn options(&mut self, obj: &Map<String, Value>) -> InvoiceOptions {
        let mut o = InvoiceOptions::default();
        let Some(v) = field(obj, "options") else {
            return o;
        };
        let Value::Object(m) = v else {
            self.err("options", Gsc::InvalidFormat);
            return o;
        };
        for (name, slot) in [
            ("omitQRCodeGen", &mut o.omit_qr_code_gen),
            (
                "omitTextualRepresentation",
                &mut o.omit_textual_representation,
            ),
        ] {
            if let Some(v) = field(m, name) {
                match parse_flag(v) {
                    Some(b) => *slot = b,
                    None => self.errors.push(FieldError {
                        property: format!("options.{name}"),
                        code: Gsc::InvalidValue,
                    }),
                }
            }
        }
        o
    }

    fn items(&mut self, obj: &Map<String, Value>) -> Option<Vec<Item>> {
        let arr = match field(obj, "items") {
            None => {
                self.err("items", Gsc::FieldRequired);
                return None;
            }
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.err("items", Gsc::InvalidFormat);
                return None;
            }
        };
        if arr.is_empty() {
            self.err("items", Gsc::ListTooShort);
            return None;
        }
        if arr.len() > MAX_ITEMS {
            self.err("items", Gsc::ListTooLong);
            return None;
        }
        let mut out = Vec::new();
        for (i, it) in arr.iter().enumerate() {
            if let Some(item) = self.item(it, i) {
                out.push(item);
            }
        }
        (out.len() == arr.len()).then_some(out)
    }

    fn item(&mut self, v: &Value, i: usize) -> Option<Item> {
        let path = format!("items[{i}]");
        let Value::Object(o) = v else {
            self.err(path, Gsc::InvalidFormat);
            return None;
        };
        let before = self.errors.len();
        let gtin = self.string(o, "gtin", &format!("{path}.gtin"), usize::MAX, false);
        if let Some(g) = &gtin {
            if !(8..=14).contains(&g.chars().count()) {
                self.err(format!("{path}.gtin"), Gsc::InvalidFieldLength);
            } else if !g.bytes().all(|b| b.is_ascii_digit()) {
                self.err(format!("{path}.gtin"), Gsc::InvalidFormat);
            }
        }
        let name_path = format!("{path}.name");
        let name = match field(o, "name") {
            None => {
                self.err(name_path, Gsc::FieldRequired);
                None
            }
            Some(_) => self.string(o, "name", &name_path, 2048, false),
        };
        let num = |p: &mut Parser, key: &str| -> Option<Decimal> {
            let fp = format!("{path}.{key}");
            match field(o, key) {
                None => {
                    p.err(fp, Gsc::FieldRequired);
                    None
                }
                Some(v) => p.decimal(v, &fp),
            }
        };
        let quantity = num(self, "quantity");
        if let Some(q) = quantity {
            let fp = format!("{path}.quantity");
            if q < Decimal::new(1, 3) || integer_digits(q) > 14 {
                self.err(fp, Gsc::OutOfRange);
            } else if decimal_places(q) > 3 {
                self.err(fp, Gsc::InvalidFormat);
            }
        }
        let unit_price = num(self, "unitPrice");
        if let Some(u) = unit_price {
            let fp = format!("{path}.unitPrice");
            if u.is_sign_negative() && !u.is_zero() || integer_digits(u) > 14 {
                self.err(fp, Gsc::OutOfRange);
            } else if decimal_places(u) > 2 {
                self.err(fp, Gsc::InvalidFormat);
            }
        }
        let labels_path = format!("{path}.labels");
        let labels = match field(o, "labels") {
            None => {
                self.err(labels_path, Gsc::FieldRequired);
                None
            }
            Some(Value::Array(a)) => {
                if a.is_empty() {
                    self.err(labels_path, Gsc::ListTooShort);
                    None
                } else if a.len() > MAX_LABELS {
                    self.err(labels_path, Gsc::ListTooLong);
                    None
                } else {
                    let mut ls: Vec<String> = Vec::new();
                    for (j, l) in a.iter().enumerate() {
                        match l {
                            Value::String(s) => {
                                if ls.contains(s) {
                                    self.err(format!("{labels_path}[{j}]"), Gsc::InvalidValue);
                                }
                                ls.push(s.clone());
                            }
                            _ => self.err(format!("{labels_path}[{j}]"), Gsc::InvalidFormat),
                        }
                    }
                    (ls.len() == a.len()).then_some(ls)
                }
            }
            Some(_) => {
                self.err(labels_path, Gsc::InvalidFormat);
                None
            }
        };
        let total_amount = num(self, "totalAmount");
        if let Some(t) = total_amount {
            let fp = format!("{path}.totalAmount");
            if t.is_sign_negative() && !t.is_zero() || integer_digits(t) > 14 {
                self.err(fp, Gsc::OutOfRange);
            } else if decimal_places(t) > 2 {
                self.err(fp, Gsc::InvalidFormat);
            } else if let (Some(q), Some(u)) = (quantity, unit_price)
                && self.errors.len() == before
                && round2(q * u) != round2(t)
            {
                self.err(fp, Gsc::InvalidValue);
            }
        }
        Some(Item {
            gtin,
            name: name?,
            quantity: quantity?,
            unit_price: unit_price?,
            labels: labels?,
            total_amount: total_amount?,
        })
    }
}

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

/// The PFR's answer to a signed invoice (`InvoiceResult`, pfr-api.md §9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceResult {
    /// UID of the requester.
    pub requested_by: String,
    /// UID of the signing SE.
    pub signed_by: String,
    /// PFR time, `2021-07-14T15:50:23.000+02:00`.
    #[serde(with = "crate::time::api_format")]
    pub sdc_date_time: DateTime<FixedOffset>,
    /// `278/289ПП`.
    pub invoice_counter: String,
    /// `ПП`.
    pub invoice_counter_extension: String,
    /// `YTSS6KKG-HJHR9EO0-289`.
    pub invoice_number: String,
    /// Tax per label.
    pub tax_items: Vec<TaxItem>,
    /// Verification URL.
    pub verification_url: String,
    /// Base64 GIF of the QR code, or null.
    pub verification_q_r_code: Option<String>,
    /// Journal text, or null.
    pub journal: Option<String>,
    /// `Success` / `Успешно`.
    pub messages: String,
    /// Base64 signature.
    pub signature: String,
    /// Base64 internal data.
    pub encrypted_internal_data: String,
    /// Total counter.
    pub total_counter: u32,
    /// Counter of this document kind.
    pub transaction_type_counter: u32,
    /// Sum of item totals.
    #[serde(with = "json_number")]
    pub total_amount: Decimal,
    /// Tax-rate group used.
    pub tax_group_revision: u32,
    /// Seller name.
    pub business_name: String,
    /// Seller TIN.
    pub tin: String,
    /// Seller location.
    pub location_name: String,
    /// Seller address.
    pub address: String,
    /// Seller district.
    pub district: String,
    /// L-PFR registration code.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mrc: Option<String>,
}

/// `GET /api/v3/status` answer (pfr-api.md §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// PIN not yet verified.
    pub is_pin_required: bool,
    /// Unaudited amount ≥ 75 % of the limit.
    pub audit_required: bool,
    /// PFR clock now.
    #[serde(with = "crate::time::api_format")]
    pub sdc_date_time: DateTime<FixedOffset>,
    /// Last PFR invoice number.
    pub last_invoice_number: String,
    /// `3.0`.
    pub protocol_version: String,
    /// SE version.
    pub secure_element_version: String,
    /// Hardware version.
    pub hardware_version: String,
    /// Software version.
    pub software_version: String,
    /// Device serial (MRC serial part).
    pub device_serial_number: String,
    /// Make.
    pub make: String,
    /// Model.
    pub model: String,
    /// Manufacturer status codes.
    pub mssc: Vec<String>,
    /// General status codes.
    pub gsc: Vec<String>,
    /// Supported languages.
    pub supported_languages: Vec<String>,
    /// UID of the SE.
    pub uid: String,
    /// SUF API URL.
    pub tax_core_api: String,
    /// Group in force now.
    pub current_tax_rates: Option<TaxRateGroup>,
    /// All groups.
    pub all_tax_rates: Vec<TaxRateGroup>,
}

/// Endpoint list of [`EnvironmentParameters`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// Taxpayer portal.
    pub taxpayer_admin_portal: String,
    /// SUF API.
    pub tax_core_api: String,
    /// V-PFR.
    pub vsdc: String,
    /// Verification URL prefix.
    pub root: String,
}

/// `GET /api/v3/environment-parameters` answer (pfr-api.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentParameters {
    /// Authority name.
    pub organization_name: String,
    /// Windows zone ID.
    pub server_time_zone: String,
    /// Street.
    pub street: String,
    /// City.
    pub city: String,
    /// Country code.
    pub country: String,
    /// Endpoints.
    pub endpoints: Endpoints,
    /// Environment name.
    pub environment_name: String,
    /// Logo URL.
    pub logo: String,
    /// Time server.
    pub ntp_server: String,
    /// Supported languages.
    pub supported_languages: Vec<String>,
}

#[cfg(test)]
mod tests;
