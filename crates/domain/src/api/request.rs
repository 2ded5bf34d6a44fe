//! The request types of `POST /api/v3/invoices` (pfr-api.md §8) and their serde form.

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kinds::{DocumentKind, InvoiceType, PaymentType, TransactionType};
use crate::money::json_number;

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

pub(super) fn parse_flag(v: &Value) -> Option<bool> {
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
}
