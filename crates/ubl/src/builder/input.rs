//! What the user enters: parties, lines, allowances and charges, advances to settle.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{Document, DocumentType, VatCategory};

/// A seller or buyer as entered by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyInput {
    /// PIB, 9 digits, without `RS`.
    pub pib: String,
    /// Matični broj (MB), 8 digits with leading zeros.
    pub mb: String,
    /// Trading name (`PartyName`).
    pub name: String,
    /// Registered name (`PartyLegalEntity/RegistrationName`); `None` = same as `name`.
    pub registration_name: Option<String>,
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 country code (`RS`).
    pub country: String,
    /// Contact e-mail.
    pub email: Option<String>,
    /// JBKJS (5 digits) of a budget-user buyer.
    pub jbkjs: Option<String>,
}

impl PartyInput {
    /// A Serbian company with the given identifiers and address.
    pub fn new(
        pib: &str,
        mb: &str,
        name: &str,
        street: &str,
        city: &str,
        postal_code: &str,
    ) -> PartyInput {
        PartyInput {
            pib: pib.to_string(),
            mb: mb.to_string(),
            name: name.to_string(),
            registration_name: None,
            street: street.to_string(),
            city: city.to_string(),
            postal_code: postal_code.to_string(),
            country: "RS".to_string(),
            email: None,
            jbkjs: None,
        }
    }
}

/// A line allowance (discount) or charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAllowance {
    /// `true` = charge (surcharge), `false` = discount.
    pub charge: bool,
    /// Amount (rounded to 2 decimals).
    pub amount: Decimal,
    /// Reason text.
    pub reason: String,
}

/// One line as entered by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    /// Item name (≤ 100 characters).
    pub name: String,
    /// Quantity (≤ 4 decimals, not negative).
    pub quantity: Decimal,
    /// Unit code from SEF's list (`H87`, `HUR`, …).
    pub unit_code: String,
    /// Net unit price (≤ 4 decimals, not negative).
    pub price: Decimal,
    /// Price base quantity (the price is per this many units).
    pub base_quantity: Option<Decimal>,
    /// VAT category.
    pub category: VatCategory,
    /// VAT rate in percent (20 or 10 for `S`, 0 otherwise; ignored for `O`).
    pub rate: Decimal,
    /// Seller's article code.
    pub sellers_item_id: Option<String>,
    /// Buyer's article code (`BNKTR:` for bank fees).
    pub buyers_item_id: Option<String>,
    /// Line discounts and charges.
    pub allowances: Vec<LineAllowance>,
    /// Line note.
    pub note: Option<String>,
}

impl LineInput {
    /// A line with the essentials; the rest empty.
    pub fn new(
        name: &str,
        quantity: Decimal,
        unit_code: &str,
        price: Decimal,
        category: VatCategory,
        rate: Decimal,
    ) -> LineInput {
        LineInput {
            name: name.to_string(),
            quantity,
            unit_code: unit_code.to_string(),
            price,
            base_quantity: None,
            category,
            rate,
            sellers_item_id: None,
            buyers_item_id: None,
            allowances: Vec::new(),
            note: None,
        }
    }
}

/// A document-level discount or charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentAllowance {
    /// `true` = charge, `false` = discount.
    pub charge: bool,
    /// Amount.
    pub amount: Decimal,
    /// Reason text.
    pub reason: String,
    /// VAT category it belongs to.
    pub category: VatCategory,
    /// VAT rate of that category.
    pub rate: Decimal,
}

/// One VAT group of an advance: category, rate and taxable base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvanceSubtotal {
    /// Category.
    pub category: VatCategory,
    /// Rate (percent).
    pub rate: Decimal,
    /// Taxable base of the advance in this group.
    pub taxable: Decimal,
}

/// An advance invoice (386) settled by a final invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvanceReference {
    /// Number of the advance invoice.
    pub number: String,
    /// Its issue date.
    pub issue_date: NaiveDate,
    /// Whether it was issued outside SEF (then `DocumentTypeCode` 386 is written).
    pub issued_outside_sef: bool,
    /// Its VAT groups.
    pub subtotals: Vec<AdvanceSubtotal>,
}

impl AdvanceReference {
    /// Takes number, date and VAT groups from an advance invoice document.
    pub fn from_document(doc: &Document) -> Option<AdvanceReference> {
        if doc.document_type() != Some(DocumentType::AdvanceInvoice) {
            return None;
        }
        let t = doc.main_tax_total()?;
        Some(AdvanceReference {
            number: doc.id.clone()?,
            issue_date: doc.issue_date?,
            issued_outside_sef: false,
            subtotals: t
                .subtotals
                .iter()
                .filter_map(|s| {
                    Some(AdvanceSubtotal {
                        category: s.category.id.clone()?,
                        rate: s.category.percent.unwrap_or_default(),
                        taxable: s.taxable_amount?,
                    })
                })
                .collect(),
        })
    }
}
