//! Typed model of a UBL 2.1 `Invoice` / `CreditNote` under the Serbian profile.
//!
//! The model is *faithful*: it holds what a document says, including totals and codes that may be
//! wrong, so that the reader can load any document (also ones fiskal did not write) and the
//! validator can judge it. Documents fiskal issues are made by [`crate::DocumentBuilder`], which
//! computes every total; nothing here computes anything.
//!
//! Optional fields mirror optional or possibly-missing elements; codes with a closed list in the
//! profile (VAT category, document type) are enums with a fallback for unknown values.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Root element of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Root {
    /// `Invoice` (type codes 380, 383, 386).
    Invoice,
    /// `CreditNote` (type code 381).
    CreditNote,
}

impl Root {
    /// Local name of the root element.
    pub fn name(self) -> &'static str {
        match self {
            Root::Invoice => "Invoice",
            Root::CreditNote => "CreditNote",
        }
    }
    /// Name of the line element (`InvoiceLine` / `CreditNoteLine`).
    pub fn line_name(self) -> &'static str {
        match self {
            Root::Invoice => "InvoiceLine",
            Root::CreditNote => "CreditNoteLine",
        }
    }
    /// Name of the type-code element.
    pub fn type_code_name(self) -> &'static str {
        match self {
            Root::Invoice => "InvoiceTypeCode",
            Root::CreditNote => "CreditNoteTypeCode",
        }
    }
}

/// The four document types SEF accepts (RSR-03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentType {
    /// 380, faktura.
    Invoice,
    /// 383, dokument o povećanju (debit note).
    DebitNote,
    /// 386, avansna faktura (advance invoice).
    AdvanceInvoice,
    /// 381, dokument o smanjenju (credit note); root `CreditNote`.
    CreditNote,
}

impl DocumentType {
    /// UNTDID 1001 code.
    pub fn code(self) -> &'static str {
        match self {
            DocumentType::Invoice => "380",
            DocumentType::DebitNote => "383",
            DocumentType::AdvanceInvoice => "386",
            DocumentType::CreditNote => "381",
        }
    }
    /// Root element this type is written under.
    pub fn root(self) -> Root {
        match self {
            DocumentType::CreditNote => Root::CreditNote,
            _ => Root::Invoice,
        }
    }
    /// Type for a root element and code; `None` when the pair is not allowed (RSR-03).
    pub fn from_code(root: Root, code: &str) -> Option<DocumentType> {
        match (root, code.trim()) {
            (Root::Invoice, "380") => Some(DocumentType::Invoice),
            (Root::Invoice, "383") => Some(DocumentType::DebitNote),
            (Root::Invoice, "386") => Some(DocumentType::AdvanceInvoice),
            (Root::CreditNote, "381") => Some(DocumentType::CreditNote),
            _ => None,
        }
    }
}

/// VAT category code (UNCL 5305 as restricted and extended by the Serbian profile, §7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VatCategory {
    /// Taxable at 20 % or 10 %.
    S,
    /// Reverse charge: the buyer calculates VAT.
    AE,
    /// Exempt with the right to deduct (Art. 24).
    Z,
    /// Exempt without the right to deduct (Art. 25).
    E,
    /// Outside the scope (place of supply abroad).
    O,
    /// Not a supply (Art. 6).
    R,
    /// Not part of the tax base (Art. 17(4)).
    OE,
    /// Special procedures (supplier outside VAT, travel agencies, margin scheme, gold).
    SS,
    /// Other, article not specified.
    N,
    /// Any other text found in a document (always an error, RSR-34..36).
    Other(String),
}

impl VatCategory {
    /// Parses a category code; unknown text becomes [`VatCategory::Other`].
    pub fn parse(s: &str) -> VatCategory {
        match s.trim() {
            "S" => VatCategory::S,
            "AE" => VatCategory::AE,
            "Z" => VatCategory::Z,
            "E" => VatCategory::E,
            "O" => VatCategory::O,
            "R" => VatCategory::R,
            "OE" => VatCategory::OE,
            "SS" => VatCategory::SS,
            "N" => VatCategory::N,
            other => VatCategory::Other(other.to_string()),
        }
    }
    /// The code as written in UBL.
    pub fn code(&self) -> &str {
        match self {
            VatCategory::S => "S",
            VatCategory::AE => "AE",
            VatCategory::Z => "Z",
            VatCategory::E => "E",
            VatCategory::O => "O",
            VatCategory::R => "R",
            VatCategory::OE => "OE",
            VatCategory::SS => "SS",
            VatCategory::N => "N",
            VatCategory::Other(s) => s,
        }
    }
    /// Whether the code is one of the nine the Serbian profile allows.
    pub fn is_known(&self) -> bool {
        !matches!(self, VatCategory::Other(_))
    }
    /// Whether a subtotal of this category needs an exemption reason (every category but `S`).
    pub fn needs_exemption_reason(&self) -> bool {
        self.is_known() && *self != VatCategory::S
    }
    /// Whether the percent is omitted for this category (`O`, §7.2).
    pub fn omits_percent(&self) -> bool {
        *self == VatCategory::O
    }
}

impl std::fmt::Display for VatCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// `cac:TaxCategory` / `cac:ClassifiedTaxCategory`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxCategory {
    /// `cbc:ID`; `None` when absent.
    pub id: Option<VatCategory>,
    /// `cbc:Percent`.
    pub percent: Option<Decimal>,
    /// `cbc:TaxExemptionReasonCode` (`PDV-RS-…`), subtotals only.
    pub exemption_reason_code: Option<String>,
    /// `cbc:TaxExemptionReason` (free text), subtotals only.
    pub exemption_reason: Option<String>,
    /// `cac:TaxScheme/cbc:ID`, normally `VAT`.
    pub tax_scheme: Option<String>,
}

impl TaxCategory {
    /// A VAT category with the given percent and no exemption reason.
    pub fn vat(id: VatCategory, percent: Option<Decimal>) -> TaxCategory {
        TaxCategory {
            id: Some(id),
            percent,
            exemption_reason_code: None,
            exemption_reason: None,
            tax_scheme: Some("VAT".to_string()),
        }
    }
    /// Whether the scheme is VAT (the EN 16931 rules only look at VAT categories).
    pub fn is_vat(&self) -> bool {
        self.tax_scheme
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("VAT"))
    }
}

/// `cac:PostalAddress`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// `cbc:StreetName`.
    pub street: Option<String>,
    /// `cbc:AdditionalStreetName`.
    pub additional_street: Option<String>,
    /// `cbc:CityName`.
    pub city: Option<String>,
    /// `cbc:PostalZone`.
    pub postal_zone: Option<String>,
    /// `cbc:CountrySubentity`.
    pub country_subentity: Option<String>,
    /// `cac:AddressLine/cbc:Line`.
    pub address_line: Option<String>,
    /// `cac:Country/cbc:IdentificationCode`.
    pub country: Option<String>,
}

/// `cac:PartyTaxScheme`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyTaxScheme {
    /// `cbc:CompanyID`, `RS` + PIB for VAT.
    pub company_id: Option<String>,
    /// `cac:TaxScheme/cbc:ID`.
    pub tax_scheme: Option<String>,
}

/// `cac:PartyLegalEntity`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegalEntity {
    /// `cbc:RegistrationName` (BT-27 / BT-44).
    pub registration_name: Option<String>,
    /// `cbc:CompanyID`: matični broj (MB), 8 digits.
    pub company_id: Option<String>,
    /// `schemeID` of the company id (must be absent for the buyer, RSR-18).
    pub company_id_scheme: Option<String>,
}

/// `cac:Contact`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// `cbc:Name`.
    pub name: Option<String>,
    /// `cbc:Telephone`.
    pub telephone: Option<String>,
    /// `cbc:ElectronicMail`.
    pub email: Option<String>,
}

/// `cac:PartyIdentification/cbc:ID` with its optional scheme.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyId {
    /// The identifier (`JBKJS:12345` for budget users).
    pub id: String,
    /// `schemeID` (fiskal writes none).
    pub scheme: Option<String>,
}

/// `cac:Party` (seller, buyer, payee or tax representative).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// `cbc:EndpointID` (PIB without `RS`).
    pub endpoint_id: Option<String>,
    /// `schemeID` of the endpoint (`9948`).
    pub endpoint_scheme: Option<String>,
    /// `cac:PartyIdentification` entries.
    pub identifications: Vec<PartyId>,
    /// `cac:PartyName/cbc:Name`.
    pub name: Option<String>,
    /// `cac:PostalAddress`.
    pub address: Option<Address>,
    /// `cac:PartyTaxScheme` entries.
    pub tax_schemes: Vec<PartyTaxScheme>,
    /// `cac:PartyLegalEntity`.
    pub legal_entity: Option<LegalEntity>,
    /// `cac:Contact`.
    pub contact: Option<Contact>,
}

impl Party {
    /// The VAT identifier (`PartyTaxScheme` with scheme `VAT`), e.g. `RS190000012`.
    pub fn vat_id(&self) -> Option<&str> {
        self.tax_schemes
            .iter()
            .find(|t| {
                t.tax_scheme
                    .as_deref()
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case("VAT"))
            })
            .and_then(|t| t.company_id.as_deref())
    }
    /// The JBKJS of a budget user, taken from `PartyIdentification` (`JBKJS:nnnnn`).
    pub fn jbkjs(&self) -> Option<&str> {
        self.identifications
            .iter()
            .find_map(|p| p.id.trim().strip_prefix("JBKJS:").map(str::trim))
    }
    /// The registration name (BT-27 / BT-44).
    pub fn registration_name(&self) -> Option<&str> {
        self.legal_entity
            .as_ref()
            .and_then(|l| l.registration_name.as_deref())
    }
    /// The MB (`PartyLegalEntity/CompanyID`).
    pub fn mb(&self) -> Option<&str> {
        self.legal_entity
            .as_ref()
            .and_then(|l| l.company_id.as_deref())
    }
}

/// `cac:InvoicePeriod`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoicePeriod {
    /// `cbc:StartDate`.
    pub start: Option<NaiveDate>,
    /// `cbc:EndDate`.
    pub end: Option<NaiveDate>,
    /// `cbc:DescriptionCode` (BT-8: 3, 35, 432).
    pub description_code: Option<String>,
}

/// `cac:BillingReference/cac:InvoiceDocumentReference`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingReference {
    /// Number of the referenced invoice (BT-25).
    pub id: Option<String>,
    /// Its issue date (BT-26, mandatory per RSR-07).
    pub issue_date: Option<NaiveDate>,
    /// `cbc:DocumentTypeCode` (BT-E26, `380`/`386`), only for documents issued outside SEF.
    pub document_type_code: Option<String>,
}

/// `cac:AdditionalDocumentReference` (attachment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdditionalDocument {
    /// `cbc:ID`.
    pub id: Option<String>,
    /// `mimeCode` of the embedded object.
    pub mime_code: Option<String>,
    /// `filename` of the embedded object.
    pub filename: Option<String>,
    /// Base64 content as written.
    pub content_base64: Option<String>,
}

/// `cac:PaymentMeans`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentMeans {
    /// `cbc:PaymentMeansCode` (`30`).
    pub code: Option<String>,
    /// `cbc:PaymentDueDate` (credit notes only, BT-9).
    pub due_date: Option<NaiveDate>,
    /// `cbc:PaymentID` (`(mod97) 872026000042`).
    pub payment_id: Option<String>,
    /// `cac:PayeeFinancialAccount/cbc:ID` (18-digit account).
    pub payee_account: Option<String>,
}

/// `cac:AllowanceCharge` (document or line level).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowanceCharge {
    /// `cbc:ChargeIndicator`: `true` = charge (surcharge), `false` = allowance (discount).
    pub charge: bool,
    /// `cbc:AllowanceChargeReasonCode`.
    pub reason_code: Option<String>,
    /// `cbc:AllowanceChargeReason`.
    pub reason: Option<String>,
    /// `cbc:MultiplierFactorNumeric` (percentage).
    pub multiplier: Option<Decimal>,
    /// `cbc:Amount`.
    pub amount: Option<Decimal>,
    /// `cbc:BaseAmount`.
    pub base_amount: Option<Decimal>,
    /// `cac:TaxCategory` (document level only).
    pub tax_category: Option<TaxCategory>,
}

/// `cac:TaxSubtotal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxSubtotal {
    /// `cbc:TaxableAmount` (BT-116).
    pub taxable_amount: Option<Decimal>,
    /// `cbc:TaxAmount` (BT-117).
    pub tax_amount: Option<Decimal>,
    /// `cac:TaxCategory`.
    pub category: TaxCategory,
}

/// `cac:TaxTotal`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaxTotal {
    /// `cbc:TaxAmount` (BT-110).
    pub tax_amount: Option<Decimal>,
    /// `currencyID` of the tax amount (document currency, or the tax currency for a second total).
    pub currency: Option<String>,
    /// `cac:TaxSubtotal` entries.
    pub subtotals: Vec<TaxSubtotal>,
}

/// `cac:LegalMonetaryTotal`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonetaryTotal {
    /// BT-106 `cbc:LineExtensionAmount`.
    pub line_extension: Option<Decimal>,
    /// BT-109 `cbc:TaxExclusiveAmount`.
    pub tax_exclusive: Option<Decimal>,
    /// BT-112 `cbc:TaxInclusiveAmount`.
    pub tax_inclusive: Option<Decimal>,
    /// BT-107 `cbc:AllowanceTotalAmount`.
    pub allowance_total: Option<Decimal>,
    /// BT-108 `cbc:ChargeTotalAmount`.
    pub charge_total: Option<Decimal>,
    /// BT-113 `cbc:PrepaidAmount`.
    pub prepaid: Option<Decimal>,
    /// BT-114 `cbc:PayableRoundingAmount`.
    pub payable_rounding: Option<Decimal>,
    /// BT-115 `cbc:PayableAmount`.
    pub payable: Option<Decimal>,
}

/// `cac:Item`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// `cbc:Description`.
    pub description: Option<String>,
    /// `cbc:Name` (BT-153).
    pub name: Option<String>,
    /// `cac:BuyersItemIdentification/cbc:ID` (`BNKTR:` for bank fees).
    pub buyers_id: Option<String>,
    /// `cac:SellersItemIdentification/cbc:ID`.
    pub sellers_id: Option<String>,
    /// `cac:StandardItemIdentification/cbc:ID` and its `schemeID`.
    pub standard_id: Option<(String, Option<String>)>,
    /// `cac:ClassifiedTaxCategory`.
    pub tax_category: Option<TaxCategory>,
}

/// `cac:Price`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Price {
    /// `cbc:PriceAmount` (BT-146, ≤ 4 decimals).
    pub amount: Option<Decimal>,
    /// `cbc:BaseQuantity` (BT-149).
    pub base_quantity: Option<Decimal>,
    /// `unitCode` of the base quantity.
    pub base_unit_code: Option<String>,
}

/// `cac:InvoiceLine` / `cac:CreditNoteLine`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// `cbc:ID` (BT-126).
    pub id: Option<String>,
    /// `cbc:Note`.
    pub note: Option<String>,
    /// `cbc:InvoicedQuantity` / `cbc:CreditedQuantity` (BT-129).
    pub quantity: Option<Decimal>,
    /// `unitCode` of the quantity (BT-130).
    pub unit_code: Option<String>,
    /// `cbc:LineExtensionAmount` (BT-131).
    pub line_extension: Option<Decimal>,
    /// `cac:InvoicePeriod` of the line (start, end).
    pub period: Option<InvoicePeriod>,
    /// `cac:OrderLineReference/cbc:LineID`.
    pub order_line_reference: Option<String>,
    /// Line allowances and charges (no tax category).
    pub allowance_charges: Vec<AllowanceCharge>,
    /// `cac:Item`.
    pub item: Item,
    /// `cac:Price`.
    pub price: Option<Price>,
}

/// One advance settled by a final invoice (`sbt:InvoicedPrepaymentAmmount`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrepaymentAmount {
    /// Number of the advance invoice (`cbc:ID`).
    pub id: Option<String>,
    /// Its tax total with subtotals.
    pub tax_total: TaxTotal,
}

/// `sbt:ReducedTotals`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReducedTotals {
    /// Subtotals of the final invoice minus the advances'.
    pub tax_total: TaxTotal,
    /// Reduced `TaxExclusiveAmount`, `TaxInclusiveAmount`, `PayableAmount`.
    pub monetary_total: MonetaryTotal,
}

/// The Serbian extension `sbt:SrbDtExt` of a final invoice after advances (§11.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SrbDtExt {
    /// One entry per advance.
    pub prepayments: Vec<PrepaymentAmount>,
    /// The reduced totals.
    pub reduced_totals: Option<ReducedTotals>,
}

/// A UBL 2.1 `Invoice` or `CreditNote`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Root element.
    pub root: Root,
    /// `cec:UBLExtensions/…/sbt:SrbDtExt`.
    pub extension: Option<SrbDtExt>,
    /// BT-24 `cbc:CustomizationID`.
    pub customization_id: Option<String>,
    /// BT-1 `cbc:ID`.
    pub id: Option<String>,
    /// BT-2 `cbc:IssueDate`.
    pub issue_date: Option<NaiveDate>,
    /// BT-9 `cbc:DueDate` (Invoice only; a credit note uses `PaymentMeans/PaymentDueDate`).
    pub due_date: Option<NaiveDate>,
    /// BT-3 type code as written (`380`, `381`, `383`, `386`).
    pub type_code: Option<String>,
    /// BT-22 `cbc:Note`.
    pub notes: Vec<String>,
    /// BT-7 `cbc:TaxPointDate` (forbidden, RSR-04; kept to report it).
    pub tax_point_date: Option<NaiveDate>,
    /// BT-5 `cbc:DocumentCurrencyCode`.
    pub currency: Option<String>,
    /// BT-6 `cbc:TaxCurrencyCode`.
    pub tax_currency: Option<String>,
    /// BT-10 `cbc:BuyerReference`.
    pub buyer_reference: Option<String>,
    /// `cac:InvoicePeriod` entries (BT-8 code, period of a note).
    pub invoice_periods: Vec<InvoicePeriod>,
    /// BT-13 `cac:OrderReference/cbc:ID`.
    pub order_reference: Option<String>,
    /// BG-3 referenced invoices.
    pub billing_references: Vec<BillingReference>,
    /// BT-16 despatch advice numbers.
    pub despatch_references: Vec<String>,
    /// BT-15 receipt advice numbers.
    pub receipt_references: Vec<String>,
    /// BT-17 tender / lot numbers.
    pub originator_references: Vec<String>,
    /// BT-12 contract numbers.
    pub contract_references: Vec<String>,
    /// BG-24 attachments.
    pub additional_documents: Vec<AdditionalDocument>,
    /// BT-11 project references.
    pub project_references: Vec<String>,
    /// BG-4 seller.
    pub supplier: Option<Party>,
    /// BG-7 buyer.
    pub customer: Option<Party>,
    /// BG-10 payee.
    pub payee: Option<Party>,
    /// BG-11 tax representative.
    pub tax_representative: Option<Party>,
    /// BT-72 `cac:Delivery/cbc:ActualDeliveryDate` entries (`None` = element without date).
    pub deliveries: Vec<Option<NaiveDate>>,
    /// BG-16 payment instructions.
    pub payment_means: Vec<PaymentMeans>,
    /// BT-20 `cac:PaymentTerms/cbc:Note` texts.
    pub payment_terms: Vec<String>,
    /// BG-20/BG-21 document allowances and charges.
    pub allowance_charges: Vec<AllowanceCharge>,
    /// `cac:TaxTotal` entries (one in RSD documents).
    pub tax_totals: Vec<TaxTotal>,
    /// `cac:LegalMonetaryTotal`.
    pub monetary_total: Option<MonetaryTotal>,
    /// BG-25 lines.
    pub lines: Vec<Line>,
}

impl Document {
    /// An empty document with the given root; every field unset.
    pub fn empty(root: Root) -> Document {
        Document {
            root,
            extension: None,
            customization_id: None,
            id: None,
            issue_date: None,
            due_date: None,
            type_code: None,
            notes: Vec::new(),
            tax_point_date: None,
            currency: None,
            tax_currency: None,
            buyer_reference: None,
            invoice_periods: Vec::new(),
            order_reference: None,
            billing_references: Vec::new(),
            despatch_references: Vec::new(),
            receipt_references: Vec::new(),
            originator_references: Vec::new(),
            contract_references: Vec::new(),
            additional_documents: Vec::new(),
            project_references: Vec::new(),
            supplier: None,
            customer: None,
            payee: None,
            tax_representative: None,
            deliveries: Vec::new(),
            payment_means: Vec::new(),
            payment_terms: Vec::new(),
            allowance_charges: Vec::new(),
            tax_totals: Vec::new(),
            monetary_total: None,
            lines: Vec::new(),
        }
    }

    /// The document type, when root and type code form one of the four allowed pairs.
    pub fn document_type(&self) -> Option<DocumentType> {
        self.type_code
            .as_deref()
            .and_then(|c| DocumentType::from_code(self.root, c))
    }

    /// BT-8, the VAT point date code (first `InvoicePeriod` that has one).
    pub fn vat_point_date_code(&self) -> Option<&str> {
        self.invoice_periods
            .iter()
            .find_map(|p| p.description_code.as_deref())
    }

    /// The first delivery date (BT-72).
    pub fn delivery_date(&self) -> Option<NaiveDate> {
        self.deliveries.iter().flatten().next().copied()
    }

    /// The due date wherever the root puts it (BT-9).
    pub fn effective_due_date(&self) -> Option<NaiveDate> {
        match self.root {
            Root::Invoice => self.due_date,
            Root::CreditNote => self.payment_means.iter().find_map(|p| p.due_date),
        }
    }

    /// The tax total in the document currency (the first one without a foreign currency).
    pub fn main_tax_total(&self) -> Option<&TaxTotal> {
        let cur = self.currency.as_deref();
        self.tax_totals
            .iter()
            .find(|t| t.currency.as_deref() == cur || t.currency.is_none())
            .or_else(|| self.tax_totals.first())
    }
}
