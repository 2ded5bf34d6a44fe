//! Builds documents from business input and computes every amount (`ubl-profile.md` §8.2):
//! line nets, the VAT breakdown per (category, rate), document totals, advances and the Serbian
//! extension of a final invoice. Totals are never taken from input.
//!
//! The builder checks the input ([`BuildError`]), `amounts` computes lines, allowances, the
//! breakdown and the totals, `advances` settles advance invoices, and `build` puts the
//! document together.

mod advances;
mod amounts;
mod error;
mod input;
mod party;

use chrono::NaiveDate;

use self::advances::Settlement;
use self::amounts::Amounts;
use self::party::party;
use crate::ids;
use crate::model::*;
use crate::{CUSTOMIZATION_ID, CUSTOMIZATION_ID_EXT};

pub use self::error::BuildError;
pub use self::input::{
    AdvanceReference, AdvanceSubtotal, DocumentAllowance, LineAllowance, LineInput, PartyInput,
};

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
    pub fn build(self) -> Result<Document, BuildError> {
        let (seller, customer, account) = self.checked_input()?;
        let amounts = amounts::compute(&self.lines, &self.allowances, &self.exemptions)?;
        let settlement = advances::settle(&self.advances, &self.billing_refs, &amounts)?;
        let mut doc = self.document(seller, customer, account, amounts, settlement);
        amounts::rescale(&mut doc);
        Ok(doc)
    }

    /// The checks on the whole input before any amount: parties, payment, dates, sources of a
    /// note, advances only on a 380; the seller, the buyer and the normalised account.
    fn checked_input(&self) -> Result<(Party, Party, String), BuildError> {
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
        Ok((seller, customer, account))
    }

    /// BT-8 (§5.3) and the invoicing period: the code given, or the profile's default for the
    /// document type when there are `S` lines.
    fn invoice_periods(&self, has_s: bool) -> Vec<InvoicePeriod> {
        let dt = self.doc_type;
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
        periods
    }

    /// The document from the checked parties, the amounts and the settled advances.
    fn document(
        &self,
        seller: Party,
        customer: Party,
        account: String,
        amounts: Amounts,
        settlement: Settlement,
    ) -> Document {
        let dt = self.doc_type;
        let has_s = amounts.groups.iter().any(|(k, _)| k.cat == VatCategory::S);
        let periods = self.invoice_periods(has_s);
        let Settlement {
            prepaid,
            extension,
            billing_refs,
        } = settlement;
        let Amounts {
            lines,
            allowances: doc_acs,
            subtotals,
            line_total,
            allow_total,
            charge_total,
            tax_total,
            tax_exclusive,
            tax_inclusive,
            ..
        } = amounts;
        let payable = tax_inclusive - prepaid;
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
        doc
    }
}
