//! Builds documents from business input and computes every amount (`ubl-profile.md` §8.2):
//! line nets, the VAT breakdown per (category, rate), document totals, advances and the Serbian
//! extension of a final invoice. Totals are never taken from input.

use chrono::NaiveDate;
use fiskal_domain::money::round2;
use rust_decimal::Decimal;

use crate::ids;
use crate::model::*;
use crate::{CUSTOMIZATION_ID, CUSTOMIZATION_ID_EXT};

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

/// Why a document could not be built from the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// No seller given.
    #[error("the seller is missing")]
    MissingSupplier,
    /// No buyer given.
    #[error("the buyer is missing")]
    MissingBuyer,
    /// No line given.
    #[error("the document has no lines")]
    NoLines,
    /// No payee account given.
    #[error("the seller's bank account for payment is missing")]
    MissingPayment,
    /// A PIB with a wrong form or check digit.
    #[error("the {role}'s PIB {pib} is not valid (9 digits with a correct check digit)")]
    InvalidPib {
        /// `seller` or `buyer`.
        role: &'static str,
        /// The PIB as given.
        pib: String,
    },
    /// An MB that is not 8 (or 13) digits.
    #[error(
        "the {role}'s registration number (MB) {mb} must have 8 digits, leading zeros included"
    )]
    InvalidMb {
        /// `seller` or `buyer`.
        role: &'static str,
        /// The MB as given.
        mb: String,
    },
    /// A JBKJS that is not 5 digits.
    #[error("the buyer's JBKJS {0} must have exactly 5 digits")]
    InvalidJbkjs(String),
    /// A bank account without 18 digits and valid control digits.
    #[error("the bank account {0} is not valid (18 digits with correct control digits)")]
    InvalidAccount(String),
    /// A payment reference not in `(modNN) reference` form or with wrong model-97 control digits.
    #[error("the payment reference {0} is not valid; write it as (mod97) 872026000042")]
    InvalidPaymentReference(String),
    /// A category outside the nine of the profile.
    #[error("line {line}: VAT category {category} is unknown")]
    UnknownCategory {
        /// 1-based line number (0 = document allowance).
        line: usize,
        /// The category.
        category: String,
    },
    /// An `S` rate other than 20 or 10.
    #[error("line {line}: the standard VAT rate must be 20 or 10 percent, not {rate}")]
    InvalidStandardRate {
        /// 1-based line number (0 = document allowance).
        line: usize,
        /// The rate.
        rate: Decimal,
    },
    /// A non-zero rate on a category that must have rate 0.
    #[error("line {line}: VAT category {category} must have rate 0")]
    NonZeroRate {
        /// 1-based line number (0 = document allowance).
        line: usize,
        /// The category.
        category: String,
    },
    /// A non-`S` category used without an exemption reason.
    #[error("VAT category {0} is used without an exemption reason (PDV-RS-… key)")]
    MissingExemption(String),
    /// A negative price or quantity, or a zero base quantity.
    #[error("line {line}: {what}")]
    InvalidLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong, as a sentence fragment.
        what: &'static str,
    },
    /// A 380 or 383 without a due date.
    #[error("an invoice or debit note needs a payment due date")]
    MissingDueDate,
    /// A due date more than 90 days after the issue date.
    #[error("the payment due date is more than 90 days after the issue date")]
    DueDateTooFar,
    /// A 380 or 381 without a delivery (reduction) date.
    #[error("an invoice needs the date of supply and a credit note the reduction date")]
    MissingDeliveryDate,
    /// A credit or debit note that references neither invoices nor a period.
    #[error("a credit or debit note must reference the invoices it corrects or a period")]
    MissingSource,
    /// Advances on a document that is not a 380.
    #[error("advances can be settled only by a final invoice (380)")]
    AdvanceNotAllowed,
    /// An advance group that the final invoice does not have.
    #[error("advance {0} has a VAT category or rate that the final invoice does not have")]
    AdvanceRateMismatch(String),
}

/// Builder for a document; see the crate docs for an example.
#[derive(Debug, Clone)]
pub struct DocumentBuilder {
    doc_type: DocumentType,
    number: String,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    delivery_date: Option<NaiveDate>,
    supplier: Option<PartyInput>,
    buyer: Option<PartyInput>,
    lines: Vec<LineInput>,
    notes: Vec<String>,
    exemptions: Vec<(VatCategory, Option<String>, Option<String>)>,
    allowances: Vec<DocumentAllowance>,
    contract_refs: Vec<String>,
    order_ref: Option<String>,
    lot_refs: Vec<String>,
    billing_refs: Vec<BillingReference>,
    period: Option<(NaiveDate, NaiveDate)>,
    account: Option<String>,
    payment_reference: Option<String>,
    payment_terms: Option<String>,
    vat_point_code: Option<Option<String>>,
    credit_note_code: Option<String>,
    advances: Vec<AdvanceReference>,
    buyer_reference: Option<String>,
}

impl DocumentBuilder {
    /// Starts a document of the given type, number and issue date.
    pub fn new(doc_type: DocumentType, number: &str, issue_date: NaiveDate) -> DocumentBuilder {
        DocumentBuilder {
            doc_type,
            number: number.to_string(),
            issue_date,
            due_date: None,
            delivery_date: None,
            supplier: None,
            buyer: None,
            lines: Vec::new(),
            notes: Vec::new(),
            exemptions: Vec::new(),
            allowances: Vec::new(),
            contract_refs: Vec::new(),
            order_ref: None,
            lot_refs: Vec::new(),
            billing_refs: Vec::new(),
            period: None,
            account: None,
            payment_reference: None,
            payment_terms: None,
            vat_point_code: None,
            credit_note_code: Some("3".to_string()),
            advances: Vec::new(),
            buyer_reference: None,
        }
    }
    /// Sets the seller.
    pub fn supplier(mut self, p: PartyInput) -> Self {
        self.supplier = Some(p);
        self
    }
    /// Sets the buyer.
    pub fn buyer(mut self, p: PartyInput) -> Self {
        self.buyer = Some(p);
        self
    }
    /// Adds a line.
    pub fn line(mut self, l: LineInput) -> Self {
        self.lines.push(l);
        self
    }
    /// Adds a free-text note (BT-22).
    pub fn note(mut self, n: &str) -> Self {
        self.notes.push(n.to_string());
        self
    }
    /// Due date (380/383), payment date of the advance (386), or `PaymentDueDate` (381).
    pub fn due_date(mut self, d: NaiveDate) -> Self {
        self.due_date = Some(d);
        self
    }
    /// Date of supply (380), reduction date (381) or increase date (383).
    pub fn delivery_date(mut self, d: NaiveDate) -> Self {
        self.delivery_date = Some(d);
        self
    }
    /// Exemption key and/or text for a non-`S` category (one per category, §7.1).
    pub fn exemption(
        mut self,
        category: VatCategory,
        code: Option<&str>,
        text: Option<&str>,
    ) -> Self {
        self.exemptions.retain(|(c, _, _)| *c != category);
        self.exemptions
            .push((category, code.map(str::to_string), text.map(str::to_string)));
        self
    }
    /// Adds a document-level discount or charge.
    pub fn document_allowance(mut self, a: DocumentAllowance) -> Self {
        self.allowances.push(a);
        self
    }
    /// Adds a contract number (BT-12).
    pub fn contract_reference(mut self, id: &str) -> Self {
        self.contract_refs.push(id.to_string());
        self
    }
    /// Sets the order number (BT-13).
    pub fn order_reference(mut self, id: &str) -> Self {
        self.order_ref = Some(id.to_string());
        self
    }
    /// Adds a tender lot number (BT-17).
    pub fn lot_number(mut self, id: &str) -> Self {
        self.lot_refs.push(id.to_string());
        self
    }
    /// Sets the buyer reference (BT-10), e.g. `JN-JBKJS:12345`.
    pub fn buyer_reference(mut self, r: &str) -> Self {
        self.buyer_reference = Some(r.to_string());
        self
    }
    /// References an invoice issued in SEF (credit / debit notes).
    pub fn billing_reference(mut self, id: &str, issue_date: NaiveDate) -> Self {
        self.billing_refs.push(BillingReference {
            id: Some(id.to_string()),
            issue_date: Some(issue_date),
            document_type_code: None,
        });
        self
    }
    /// References a document issued outside SEF (`DocumentTypeCode` 380 or 386 is written).
    pub fn billing_reference_outside_sef(
        mut self,
        id: &str,
        issue_date: NaiveDate,
        doc_type: DocumentType,
    ) -> Self {
        self.billing_refs.push(BillingReference {
            id: Some(id.to_string()),
            issue_date: Some(issue_date),
            document_type_code: Some(doc_type.code().to_string()),
        });
        self
    }
    /// A note for a period instead of listed invoices (§10.3).
    pub fn period(mut self, start: NaiveDate, end: NaiveDate) -> Self {
        self.period = Some((start, end));
        self
    }
    /// Seller's account (18 digits or `999-123456-32`) and optional payment reference
    /// (`(mod97) 872026000042`).
    pub fn payment(mut self, account: &str, reference: Option<&str>) -> Self {
        self.account = Some(account.to_string());
        self.payment_reference = reference.map(str::to_string);
        self
    }
    /// Payment terms text (BT-20).
    pub fn payment_terms(mut self, t: &str) -> Self {
        self.payment_terms = Some(t.to_string());
        self
    }
    /// Overrides BT-8 (`None` = omit); by default it is derived from the type (§5.3).
    pub fn vat_point_date_code(mut self, code: Option<&str>) -> Self {
        self.vat_point_code = Some(code.map(str::to_string));
        self
    }
    /// The deployment's BT-8 value for credit notes (`Some("3")` by default, `None` = omit).
    pub fn credit_note_vat_point_code(mut self, code: Option<&str>) -> Self {
        self.credit_note_code = code.map(str::to_string);
        self
    }
    /// Settles an advance invoice (final invoice 380 only).
    pub fn advance(mut self, a: AdvanceReference) -> Self {
        self.advances.push(a);
        self
    }

    /// Checks the input, computes every amount and returns the document.
    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    pub fn build(self) -> Result<Document, BuildError> {
        let dt = self.doc_type;
        let supplier = self.supplier.as_ref().ok_or(BuildError::MissingSupplier)?;
        let buyer = self.buyer.as_ref().ok_or(BuildError::MissingBuyer)?;
        if self.lines.is_empty() {
            return Err(BuildError::NoLines);
        }
        let account = self.account.as_deref().ok_or(BuildError::MissingPayment)?;
        let account = ids::normalize_bank_account(account)
            .filter(|a| ids::bank_account_valid(a))
            .ok_or_else(|| BuildError::InvalidAccount(account.to_string()))?;
        if let Some(r) = &self.payment_reference
            && !ids::payment_id_valid(r)
        {
            return Err(BuildError::InvalidPaymentReference(r.clone()));
        }
        let seller = party(supplier, "seller")?;
        let customer = party(buyer, "buyer")?;
        match dt {
            DocumentType::Invoice | DocumentType::DebitNote => {
                let due = self.due_date.ok_or(BuildError::MissingDueDate)?;
                if (due - self.issue_date).num_days() > 90 {
                    return Err(BuildError::DueDateTooFar);
                }
            }
            DocumentType::CreditNote => {
                if let Some(due) = self.due_date
                    && (due - self.issue_date).num_days() > 90
                {
                    return Err(BuildError::DueDateTooFar);
                }
            }
            DocumentType::AdvanceInvoice => {}
        }
        if matches!(dt, DocumentType::Invoice | DocumentType::CreditNote)
            && self.delivery_date.is_none()
        {
            return Err(BuildError::MissingDeliveryDate);
        }
        if matches!(dt, DocumentType::CreditNote | DocumentType::DebitNote)
            && self.billing_refs.is_empty()
            && self.period.is_none()
        {
            return Err(BuildError::MissingSource);
        }
        if !self.advances.is_empty() && dt != DocumentType::Invoice {
            return Err(BuildError::AdvanceNotAllowed);
        }

        // Lines.
        let mut groups: Vec<(GroupKeyB, Decimal)> = Vec::new();
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, li) in self.lines.iter().enumerate() {
            let no = i + 1;
            let rate = check_category(&li.category, li.rate, no)?;
            if li.price.is_sign_negative() && !li.price.is_zero() {
                return Err(BuildError::InvalidLine {
                    line: no,
                    what: "the price must not be negative",
                });
            }
            if li.quantity.is_sign_negative() && !li.quantity.is_zero() {
                return Err(BuildError::InvalidLine {
                    line: no,
                    what: "the quantity must not be negative",
                });
            }
            if li.price.normalize().scale() > 4 {
                return Err(BuildError::InvalidLine {
                    line: no,
                    what: "the price may have at most 4 decimals",
                });
            }
            if li.quantity.normalize().scale() > 4 {
                return Err(BuildError::InvalidLine {
                    line: no,
                    what: "the quantity may have at most 4 decimals",
                });
            }
            if li.base_quantity.is_some_and(|b| b <= Decimal::ZERO) {
                return Err(BuildError::InvalidLine {
                    line: no,
                    what: "the price base quantity must be positive",
                });
            }
            if li.name.trim().is_empty() || li.name.chars().count() > 100 {
                return Err(BuildError::InvalidLine {
                    line: no,
                    what: "the item name must have 1 to 100 characters",
                });
            }
            let base = li.base_quantity.map(|b| b.normalize());
            let mut net = li.quantity * li.price;
            if let Some(b) = base
                && b != Decimal::ONE
            {
                net /= b;
            }
            let mut acs = Vec::with_capacity(li.allowances.len());
            for a in &li.allowances {
                let amt = round2(a.amount);
                if a.charge {
                    net += amt;
                } else {
                    net -= amt;
                }
                acs.push(AllowanceCharge {
                    charge: a.charge,
                    reason: Some(a.reason.clone()),
                    amount: Some(amt),
                    ..AllowanceCharge::default()
                });
            }
            let net = round2(net);
            let key = GroupKeyB::new(&li.category, rate);
            add_group(&mut groups, &key, net);
            lines.push(Line {
                id: Some(no.to_string()),
                note: li.note.clone(),
                quantity: Some(li.quantity.normalize()),
                unit_code: Some(li.unit_code.clone()),
                line_extension: Some(net),
                period: None,
                order_line_reference: None,
                allowance_charges: acs,
                item: Item {
                    description: None,
                    name: Some(li.name.clone()),
                    buyers_id: li.buyers_item_id.clone(),
                    sellers_id: li.sellers_item_id.clone(),
                    standard_id: None,
                    tax_category: Some(TaxCategory::vat(li.category.clone(), key.percent())),
                },
                price: Some(Price {
                    amount: Some(price_scale(li.price)),
                    base_quantity: base,
                    base_unit_code: base.map(|_| li.unit_code.clone()),
                }),
            });
        }
        let line_total: Decimal = lines.iter().filter_map(|l| l.line_extension).sum();

        // Document allowances and charges.
        let mut doc_acs = Vec::with_capacity(self.allowances.len());
        let (mut allow_total, mut charge_total) = (Decimal::ZERO, Decimal::ZERO);
        for a in &self.allowances {
            let rate = check_category(&a.category, a.rate, 0)?;
            let key = GroupKeyB::new(&a.category, rate);
            let amt = round2(a.amount);
            if a.charge {
                charge_total += amt;
                add_group(&mut groups, &key, amt);
            } else {
                allow_total += amt;
                add_group(&mut groups, &key, -amt);
            }
            doc_acs.push(AllowanceCharge {
                charge: a.charge,
                reason: Some(a.reason.clone()),
                amount: Some(amt),
                tax_category: Some(TaxCategory::vat(a.category.clone(), key.percent())),
                ..AllowanceCharge::default()
            });
        }

        // VAT breakdown.
        let mut subtotals = Vec::with_capacity(groups.len());
        let mut tax_total = Decimal::ZERO;
        for (key, taxable) in &groups {
            let taxable = round2(*taxable);
            let tax = key.tax(taxable);
            tax_total += tax;
            let mut cat = TaxCategory::vat(key.cat.clone(), key.percent());
            if key.cat != VatCategory::S {
                let (_, code, text) = self
                    .exemptions
                    .iter()
                    .find(|(c, _, _)| *c == key.cat)
                    .filter(|(_, c, t)| c.is_some() || t.is_some())
                    .ok_or_else(|| BuildError::MissingExemption(key.cat.to_string()))?;
                cat.exemption_reason_code = code.clone();
                cat.exemption_reason = text.clone();
            }
            subtotals.push(TaxSubtotal {
                taxable_amount: Some(taxable),
                tax_amount: Some(tax),
                category: cat,
            });
        }
        let tax_exclusive = line_total - allow_total + charge_total;
        let tax_inclusive = tax_exclusive + tax_total;

        // Advances (§11.2).
        let mut prepaid = Decimal::ZERO;
        let mut extension = None;
        let mut billing_refs = self.billing_refs.clone();
        if !self.advances.is_empty() {
            let mut ext = SrbDtExt::default();
            let mut adv_groups: Vec<(GroupKeyB, Decimal, Decimal)> = Vec::new();
            for a in &self.advances {
                billing_refs.push(BillingReference {
                    id: Some(a.number.clone()),
                    issue_date: Some(a.issue_date),
                    document_type_code: a.issued_outside_sef.then(|| "386".to_string()),
                });
                let mut t = TaxTotal {
                    tax_amount: None,
                    currency: Some("RSD".to_string()),
                    subtotals: Vec::new(),
                };
                let mut sum_tax = Decimal::ZERO;
                for s in &a.subtotals {
                    let rate = check_category(&s.category, s.rate, 0)?;
                    let key = GroupKeyB::new(&s.category, rate);
                    if !groups.iter().any(|(g, _)| *g == key) {
                        return Err(BuildError::AdvanceRateMismatch(a.number.clone()));
                    }
                    let taxable = round2(s.taxable);
                    let tax = key.tax(taxable);
                    sum_tax += tax;
                    prepaid += taxable + tax;
                    match adv_groups.iter_mut().find(|(g, _, _)| *g == key) {
                        Some((_, x, y)) => {
                            *x += taxable;
                            *y += tax;
                        }
                        None => adv_groups.push((key.clone(), taxable, tax)),
                    }
                    t.subtotals.push(TaxSubtotal {
                        taxable_amount: Some(taxable),
                        tax_amount: Some(tax),
                        category: TaxCategory::vat(key.cat.clone(), key.percent()),
                    });
                }
                t.tax_amount = Some(sum_tax);
                ext.prepayments.push(PrepaymentAmount {
                    id: Some(a.number.clone()),
                    tax_total: t,
                });
            }
            let mut red_subs = Vec::with_capacity(subtotals.len());
            let mut red_tax = Decimal::ZERO;
            let mut adv_taxable = Decimal::ZERO;
            for ((key, _), sub) in groups.iter().zip(&subtotals) {
                let (at, ax) = adv_groups
                    .iter()
                    .find(|(g, _, _)| g == key)
                    .map_or((Decimal::ZERO, Decimal::ZERO), |(_, a, b)| (*a, *b));
                adv_taxable += at;
                let rt = sub.taxable_amount.unwrap_or_default() - at;
                let rx = sub.tax_amount.unwrap_or_default() - ax;
                red_tax += rx;
                red_subs.push(TaxSubtotal {
                    taxable_amount: Some(rt),
                    tax_amount: Some(rx),
                    category: sub.category.clone(),
                });
            }
            ext.reduced_totals = Some(ReducedTotals {
                tax_total: TaxTotal {
                    tax_amount: Some(red_tax),
                    currency: Some("RSD".to_string()),
                    subtotals: red_subs,
                },
                monetary_total: MonetaryTotal {
                    tax_exclusive: Some(tax_exclusive - adv_taxable),
                    tax_inclusive: Some(tax_inclusive - prepaid),
                    payable: Some(tax_inclusive - prepaid),
                    ..MonetaryTotal::default()
                },
            });
            extension = Some(ext);
        }
        let payable = tax_inclusive - prepaid;

        // BT-8 (§5.3).
        let has_s = groups.iter().any(|(k, _)| k.cat == VatCategory::S);
        let code: Option<String> = match &self.vat_point_code {
            Some(c) => c.clone(),
            None if !has_s => None,
            None => match dt {
                DocumentType::Invoice => Some("35".into()),
                DocumentType::DebitNote => Some(
                    if self.delivery_date.is_some() {
                        "35"
                    } else {
                        "3"
                    }
                    .into(),
                ),
                DocumentType::AdvanceInvoice => Some("432".into()),
                DocumentType::CreditNote => self.credit_note_code.clone(),
            },
        };
        let mut periods = Vec::new();
        if self.period.is_some() || code.is_some() {
            periods.push(InvoicePeriod {
                start: self.period.map(|p| p.0),
                end: self.period.map(|p| p.1),
                description_code: code,
            });
        }

        let mut doc = Document::empty(dt.root());
        doc.customization_id = Some(
            if extension.is_some() {
                CUSTOMIZATION_ID_EXT
            } else {
                CUSTOMIZATION_ID
            }
            .to_string(),
        );
        doc.extension = extension;
        doc.id = Some(self.number.clone());
        doc.issue_date = Some(self.issue_date);
        doc.type_code = Some(dt.code().to_string());
        doc.notes = self.notes.clone();
        doc.currency = Some("RSD".to_string());
        doc.buyer_reference = self.buyer_reference.clone();
        doc.invoice_periods = periods;
        doc.order_reference = self.order_ref.clone();
        doc.billing_references = billing_refs;
        doc.originator_references = self.lot_refs.clone();
        doc.contract_references = self.contract_refs.clone();
        doc.supplier = Some(seller);
        doc.customer = Some(customer);
        match dt {
            DocumentType::AdvanceInvoice => {
                doc.due_date = Some(self.due_date.unwrap_or(self.issue_date));
            }
            DocumentType::CreditNote => {}
            _ => doc.due_date = self.due_date,
        }
        if dt != DocumentType::AdvanceInvoice
            && let Some(d) = self.delivery_date
        {
            doc.deliveries.push(Some(d));
        }
        doc.payment_means.push(PaymentMeans {
            code: Some("30".to_string()),
            due_date: if dt == DocumentType::CreditNote {
                self.due_date
            } else {
                None
            },
            payment_id: self.payment_reference.clone(),
            payee_account: Some(account),
        });
        match &self.payment_terms {
            Some(t) => doc.payment_terms.push(t.clone()),
            None if dt == DocumentType::CreditNote && self.due_date.is_none() => doc
                .payment_terms
                .push("Iznos umanjenja se prebija sa sledećim plaćanjem.".to_string()),
            None => {}
        }
        doc.allowance_charges = doc_acs;
        doc.lines = lines;
        doc.tax_totals.push(TaxTotal {
            tax_amount: Some(tax_total),
            currency: Some("RSD".to_string()),
            subtotals,
        });
        doc.monetary_total = Some(MonetaryTotal {
            line_extension: Some(line_total),
            tax_exclusive: Some(tax_exclusive),
            tax_inclusive: Some(tax_inclusive),
            allowance_total: Some(allow_total),
            charge_total: (!charge_total.is_zero()).then_some(charge_total),
            prepaid: Some(prepaid),
            payable_rounding: None,
            payable: Some(payable),
        });
        if let Some(m) = &mut doc.monetary_total {
            for v in [
                &mut m.line_extension,
                &mut m.tax_exclusive,
                &mut m.tax_inclusive,
                &mut m.allowance_total,
                &mut m.charge_total,
                &mut m.prepaid,
                &mut m.payable,
            ]
            .into_iter()
            .flatten()
            {
                v.rescale(2);
            }
        }
        if let Some(t) = doc.tax_totals.first_mut()
            && let Some(a) = &mut t.tax_amount
        {
            a.rescale(2);
        }
        if let Some(ext) = &mut doc.extension {
            for p in &mut ext.prepayments {
                if let Some(a) = &mut p.tax_total.tax_amount {
                    a.rescale(2);
                }
            }
            if let Some(r) = &mut ext.reduced_totals {
                if let Some(a) = &mut r.tax_total.tax_amount {
                    a.rescale(2);
                }
                for s in &mut r.tax_total.subtotals {
                    for v in [&mut s.taxable_amount, &mut s.tax_amount]
                        .into_iter()
                        .flatten()
                    {
                        v.rescale(2);
                    }
                }
                let m = &mut r.monetary_total;
                for v in [&mut m.tax_exclusive, &mut m.tax_inclusive, &mut m.payable]
                    .into_iter()
                    .flatten()
                {
                    v.rescale(2);
                }
            }
        }
        Ok(doc)
    }
}

/// (category, rate) of a group; the rate only for `S`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupKeyB {
    cat: VatCategory,
    rate: Decimal,
}

impl GroupKeyB {
    fn new(cat: &VatCategory, rate: Decimal) -> GroupKeyB {
        GroupKeyB {
            cat: cat.clone(),
            rate: rate.normalize(),
        }
    }
    fn percent(&self) -> Option<Decimal> {
        if self.cat.omits_percent() {
            None
        } else {
            Some(self.rate)
        }
    }
    fn tax(&self, taxable: Decimal) -> Decimal {
        if self.cat == VatCategory::S {
            round2(taxable * self.rate / Decimal::ONE_HUNDRED)
        } else {
            round2(Decimal::ZERO)
        }
    }
}

fn add_group(groups: &mut Vec<(GroupKeyB, Decimal)>, key: &GroupKeyB, amount: Decimal) {
    match groups.iter_mut().find(|(k, _)| k == key) {
        Some((_, s)) => *s += amount,
        None => groups.push((key.clone(), amount)),
    }
}

/// Checks a category and its rate; returns the rate to use (0 for non-`S`).
fn check_category(cat: &VatCategory, rate: Decimal, line: usize) -> Result<Decimal, BuildError> {
    match cat {
        VatCategory::Other(c) => Err(BuildError::UnknownCategory {
            line,
            category: c.clone(),
        }),
        VatCategory::S => {
            if rate == Decimal::from(20) || rate == Decimal::from(10) {
                Ok(rate)
            } else {
                Err(BuildError::InvalidStandardRate { line, rate })
            }
        }
        VatCategory::O => Ok(Decimal::ZERO),
        c => {
            if rate.is_zero() {
                Ok(Decimal::ZERO)
            } else {
                Err(BuildError::NonZeroRate {
                    line,
                    category: c.to_string(),
                })
            }
        }
    }
}

/// Price with 2 to 4 decimals.
fn price_scale(p: Decimal) -> Decimal {
    let mut p = p.normalize();
    if p.scale() < 2 {
        p.rescale(2);
    }
    p
}

fn party(p: &PartyInput, role: &'static str) -> Result<Party, BuildError> {
    let pib = p.pib.trim();
    if !ids::pib_check_digit_valid(pib) {
        return Err(BuildError::InvalidPib {
            role,
            pib: p.pib.clone(),
        });
    }
    let mb = p.mb.trim();
    if !ids::mb_format_valid(mb) {
        return Err(BuildError::InvalidMb {
            role,
            mb: p.mb.clone(),
        });
    }
    let mut identifications = Vec::new();
    if let Some(j) = &p.jbkjs {
        let j = j.trim();
        let j = j.strip_prefix("JBKJS:").unwrap_or(j).trim();
        if !ids::is_digits(j, 5) {
            return Err(BuildError::InvalidJbkjs(j.to_string()));
        }
        identifications.push(PartyId {
            id: format!("JBKJS:{j}"),
            scheme: None,
        });
    }
    Ok(Party {
        endpoint_id: Some(pib.to_string()),
        endpoint_scheme: Some("9948".to_string()),
        identifications,
        name: Some(p.name.clone()),
        address: Some(Address {
            street: Some(p.street.clone()),
            city: Some(p.city.clone()),
            postal_zone: Some(p.postal_code.clone()),
            country: Some(p.country.clone()),
            ..Address::default()
        }),
        tax_schemes: vec![PartyTaxScheme {
            company_id: Some(format!("RS{pib}")),
            tax_scheme: Some("VAT".to_string()),
        }],
        legal_entity: Some(LegalEntity {
            registration_name: Some(
                p.registration_name
                    .clone()
                    .unwrap_or_else(|| p.name.clone()),
            ),
            company_id: Some(mb.to_string()),
            company_id_scheme: None,
        }),
        contact: p.email.as_ref().map(|e| Contact {
            email: Some(e.clone()),
            ..Contact::default()
        }),
    })
}
