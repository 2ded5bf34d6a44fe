//! What the service needs from the UBL layer, as a small trait. The production implementation
//! ([`crate::ubl_tools::UblTools`]) wraps fiskal-ubl's reader, writer and validator.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::Tenant;

/// The facts the service reads from a UBL document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    /// `380`, `381`, `383`, `386`.
    pub doc_type: String,
    /// `cbc:ID`.
    pub number: String,
    /// `cbc:IssueDate`.
    pub issue_date: NaiveDate,
    /// Supplier PIB (without `RS`).
    pub supplier_pib: Option<String>,
    /// Buyer PIB (without `RS`).
    pub buyer_pib: Option<String>,
    /// Buyer name.
    pub buyer_name: Option<String>,
    /// Buyer JBKJS (budget users).
    pub buyer_jbkjs: Option<String>,
    /// Payable amount.
    pub total: Option<Decimal>,
    /// Document currency.
    pub currency: Option<String>,
}

/// One validator finding (`ubl-profile.md` §14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule id, e.g. `RSR-12` or `BR-CO-15`.
    pub rule_id: String,
    /// Where (XPath-like).
    pub path: String,
    /// The sentence.
    pub message: String,
    /// Fatal (blocks sending) or warning.
    pub fatal: bool,
}

/// One line of the simple invoice form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleLine {
    /// Item name.
    pub name: String,
    /// Quantity.
    pub quantity: Decimal,
    /// UN/ECE unit code (e.g. `H87`).
    pub unit_code: String,
    /// Net unit price.
    pub unit_price: Decimal,
    /// VAT rate in percent (20, 10, or 0 with an exemption).
    pub vat_rate: Decimal,
    /// VAT category (`S`, `E`, `Z`, `AE`, `O`, …); `S` when empty.
    #[serde(default)]
    pub vat_category: Option<String>,
    /// Exemption reason key for categories other than `S`.
    #[serde(default)]
    pub exemption_key: Option<String>,
}

/// The simple invoice form of the pages and the API (a 380 in RSD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleInvoice {
    /// Invoice number.
    pub number: String,
    /// Buyer PIB.
    pub buyer_pib: String,
    /// Buyer MB.
    pub buyer_mb: String,
    /// Buyer JBKJS (budget users).
    #[serde(default)]
    pub buyer_jbkjs: Option<String>,
    /// Buyer legal name.
    pub buyer_name: String,
    /// Buyer street.
    pub buyer_street: String,
    /// Buyer city.
    pub buyer_city: String,
    /// Buyer postal code.
    pub buyer_postal_code: String,
    /// Delivery date (default: the issue date).
    #[serde(default)]
    pub delivery_date: Option<NaiveDate>,
    /// Due date (default: issue date + 15 days).
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    /// Contract/order number (required for budget-user buyers).
    #[serde(default)]
    pub contract_number: Option<String>,
    /// Lines.
    pub lines: Vec<SimpleLine>,
}

/// The UBL operations the service uses.
pub trait DocumentTools: Send + Sync {
    /// Reads the facts of a document.
    fn summarize(&self, xml: &[u8]) -> Result<DocumentSummary, String>;
    /// Runs the native validator.
    fn validate(&self, xml: &[u8]) -> Vec<Finding>;
    /// A copy of the document with a new issue date (and nothing else changed except dates that
    /// must not be later than the issue date).
    fn redate(&self, xml: &[u8], issue_date: NaiveDate) -> Result<Vec<u8>, String>;
    /// Builds a document from the simple form, with the tenant as supplier.
    fn build(
        &self,
        supplier: &Tenant,
        form: &SimpleInvoice,
        issue_date: NaiveDate,
    ) -> Result<Vec<u8>, String>;
}
