//! The hand-written request parser: field names in any letter case, enums as numbers or names,
//! unknown fields ignored and every field error collected with its JSON path (pfr-api.md §6).

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::request::{InvoiceOptions, InvoiceRequest, Item, Payment, parse_flag};
use super::{FieldError, MAX_ITEMS, MAX_LABELS, MAX_PAYMENTS};
use crate::counter::is_valid_referent_number;
use crate::gsc::Gsc;
use crate::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};
use crate::money::{decimal_places, integer_digits, round2};

impl InvoiceRequest {
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
            // More digits than a Decimal holds are rounded by the parser; such a value is not
            // the one sent, so it is refused as too precise (2806, as any excess decimals).
            Ok(d)
                if significant_digits(&text) != significant_digits(&d.normalize().to_string()) =>
            {
                self.err(path, Gsc::InvalidFormat);
                None
            }
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

/// The significant digits of a number's text (plain or exponent notation): its mantissa's digits
/// without the point, the sign and leading and trailing zeros. Two texts of one value have the
/// same significant digits; a value the parser rounded has other ones.
fn significant_digits(text: &str) -> String {
    let mantissa = text.split(['e', 'E']).next().unwrap_or("");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .to_string()
}
