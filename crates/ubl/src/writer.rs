//! Writes a [`Document`] as UBL 2.1 XML with quick-xml, in the element order of the OASIS XSDs
//! (`ubl-profile.md` §2). The writer writes what the model holds and computes nothing; decimals
//! are written with the scale they carry (the builder fixes the scales).

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use rust_decimal::Decimal;

use crate::model::*;
use crate::{NS_CAC, NS_CBC, NS_CEC, NS_CREDIT_NOTE, NS_INVOICE, NS_SBT};

/// Writes the document as a UTF-8 string (XML declaration, 2-space indentation, no BOM).
pub fn to_xml(doc: &Document) -> String {
    let mut buf = Vec::with_capacity(4096 + doc.lines.len() * 900);
    write_into(doc, &mut buf);
    // The writer only emits UTF-8 (all input is &str); the conversion cannot fail.
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends the document's XML to `out`.
pub fn write_into(doc: &Document, out: &mut Vec<u8>) {
    let mut w = W {
        w: Writer::new_with_indent(out, b' ', 2),
        cur: doc.currency.as_deref().unwrap_or("RSD"),
    };
    // Writing into a Vec<u8> cannot fail.
    let _ = w.document(doc);
}

struct W<'a, 'o> {
    w: Writer<&'o mut Vec<u8>>,
    cur: &'a str,
}

type R = io::Result<()>;

fn date_str(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl<'a> W<'a, '_> {
    fn start(&mut self, name: &str) -> R {
        self.w.write_event(Event::Start(BytesStart::new(name)))
    }
    fn end(&mut self, name: &str) -> R {
        self.w.write_event(Event::End(BytesEnd::new(name)))
    }
    fn text(&mut self, name: &str, value: &str) -> R {
        self.start(name)?;
        self.w.write_event(Event::Text(BytesText::new(value)))?;
        self.end(name)
    }
    fn opt_text(&mut self, name: &str, value: Option<&str>) -> R {
        match value {
            Some(v) => self.text(name, v),
            None => Ok(()),
        }
    }
    fn text_attr(&mut self, name: &str, attr: &str, attr_value: Option<&str>, value: &str) -> R {
        let mut s = BytesStart::new(name);
        if let Some(a) = attr_value {
            s.push_attribute((attr, a));
        }
        self.w.write_event(Event::Start(s))?;
        self.w.write_event(Event::Text(BytesText::new(value)))?;
        self.end(name)
    }
    fn date(&mut self, name: &str, d: Option<chrono::NaiveDate>) -> R {
        match d {
            Some(d) => self.text(name, &date_str(d)),
            None => Ok(()),
        }
    }
    fn amount(&mut self, name: &str, d: Option<Decimal>) -> R {
        self.amount_in(name, d, self.cur)
    }
    fn amount_in(&mut self, name: &str, d: Option<Decimal>, cur: &str) -> R {
        match d {
            Some(d) => self.text_attr(name, "currencyID", Some(cur), &d.to_string()),
            None => Ok(()),
        }
    }
    fn number(&mut self, name: &str, d: Option<Decimal>) -> R {
        match d {
            Some(d) => self.text(name, &d.to_string()),
            None => Ok(()),
        }
    }
    fn wrapped_id(&mut self, outer: &str, id: &str) -> R {
        self.start(outer)?;
        self.text("cbc:ID", id)?;
        self.end(outer)
    }

    fn document(&mut self, doc: &Document) -> R {
        self.w
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let root = doc.root.name();
        let mut s = BytesStart::new(root);
        s.push_attribute((
            "xmlns",
            match doc.root {
                Root::Invoice => NS_INVOICE,
                Root::CreditNote => NS_CREDIT_NOTE,
            },
        ));
        s.push_attribute(("xmlns:cac", NS_CAC));
        s.push_attribute(("xmlns:cbc", NS_CBC));
        if doc.extension.is_some() {
            s.push_attribute(("xmlns:cec", NS_CEC));
            s.push_attribute(("xmlns:sbt", NS_SBT));
        }
        self.w.write_event(Event::Start(s))?;
        if let Some(ext) = &doc.extension {
            self.extension(ext)?;
        }
        self.opt_text("cbc:CustomizationID", doc.customization_id.as_deref())?;
        self.opt_text("cbc:ID", doc.id.as_deref())?;
        self.date("cbc:IssueDate", doc.issue_date)?;
        let invoice = doc.root == Root::Invoice;
        if invoice {
            self.date("cbc:DueDate", doc.due_date)?;
            self.opt_text("cbc:InvoiceTypeCode", doc.type_code.as_deref())?;
        } else {
            self.date("cbc:TaxPointDate", doc.tax_point_date)?;
            self.opt_text("cbc:CreditNoteTypeCode", doc.type_code.as_deref())?;
        }
        for n in &doc.notes {
            self.text("cbc:Note", n)?;
        }
        if invoice {
            self.date("cbc:TaxPointDate", doc.tax_point_date)?;
        }
        self.opt_text("cbc:DocumentCurrencyCode", doc.currency.as_deref())?;
        self.opt_text("cbc:TaxCurrencyCode", doc.tax_currency.as_deref())?;
        self.opt_text("cbc:BuyerReference", doc.buyer_reference.as_deref())?;
        for p in &doc.invoice_periods {
            self.period("cac:InvoicePeriod", p)?;
        }
        if let Some(o) = &doc.order_reference {
            self.wrapped_id("cac:OrderReference", o)?;
        }
        for b in &doc.billing_references {
            self.start("cac:BillingReference")?;
            self.start("cac:InvoiceDocumentReference")?;
            self.opt_text("cbc:ID", b.id.as_deref())?;
            self.date("cbc:IssueDate", b.issue_date)?;
            self.opt_text("cbc:DocumentTypeCode", b.document_type_code.as_deref())?;
            self.end("cac:InvoiceDocumentReference")?;
            self.end("cac:BillingReference")?;
        }
        for d in &doc.despatch_references {
            self.wrapped_id("cac:DespatchDocumentReference", d)?;
        }
        for d in &doc.receipt_references {
            self.wrapped_id("cac:ReceiptDocumentReference", d)?;
        }
        if invoice {
            for d in &doc.originator_references {
                self.wrapped_id("cac:OriginatorDocumentReference", d)?;
            }
        }
        for d in &doc.contract_references {
            self.wrapped_id("cac:ContractDocumentReference", d)?;
        }
        for a in &doc.additional_documents {
            self.additional(a)?;
        }
        if !invoice {
            for d in &doc.originator_references {
                self.wrapped_id("cac:OriginatorDocumentReference", d)?;
            }
        }
        for p in &doc.project_references {
            self.wrapped_id("cac:ProjectReference", p)?;
        }
        if let Some(p) = &doc.supplier {
            self.start("cac:AccountingSupplierParty")?;
            self.party("cac:Party", p)?;
            self.end("cac:AccountingSupplierParty")?;
        }
        if let Some(p) = &doc.customer {
            self.start("cac:AccountingCustomerParty")?;
            self.party("cac:Party", p)?;
            self.end("cac:AccountingCustomerParty")?;
        }
        if let Some(p) = &doc.payee {
            self.party("cac:PayeeParty", p)?;
        }
        if let Some(p) = &doc.tax_representative {
            self.party("cac:TaxRepresentativeParty", p)?;
        }
        for d in &doc.deliveries {
            self.start("cac:Delivery")?;
            self.date("cbc:ActualDeliveryDate", *d)?;
            self.end("cac:Delivery")?;
        }
        for pm in &doc.payment_means {
            self.start("cac:PaymentMeans")?;
            self.opt_text("cbc:PaymentMeansCode", pm.code.as_deref())?;
            self.date("cbc:PaymentDueDate", pm.due_date)?;
            self.opt_text("cbc:PaymentID", pm.payment_id.as_deref())?;
            if let Some(acc) = &pm.payee_account {
                self.wrapped_id("cac:PayeeFinancialAccount", acc)?;
            }
            self.end("cac:PaymentMeans")?;
        }
        for t in &doc.payment_terms {
            self.start("cac:PaymentTerms")?;
            self.text("cbc:Note", t)?;
            self.end("cac:PaymentTerms")?;
        }
        for ac in &doc.allowance_charges {
            self.allowance_charge(ac)?;
        }
        for t in &doc.tax_totals {
            self.tax_total(t)?;
        }
        if let Some(m) = &doc.monetary_total {
            self.monetary_total(m)?;
        }
        for l in &doc.lines {
            self.line(doc.root, l)?;
        }
        self.end(root)
    }

    fn period(&mut self, name: &str, p: &InvoicePeriod) -> R {
        self.start(name)?;
        self.date("cbc:StartDate", p.start)?;
        self.date("cbc:EndDate", p.end)?;
        self.opt_text("cbc:DescriptionCode", p.description_code.as_deref())?;
        self.end(name)
    }

    fn additional(&mut self, a: &AdditionalDocument) -> R {
        self.start("cac:AdditionalDocumentReference")?;
        self.opt_text("cbc:ID", a.id.as_deref())?;
        if let Some(content) = &a.content_base64 {
            self.start("cac:Attachment")?;
            let mut s = BytesStart::new("cbc:EmbeddedDocumentBinaryObject");
            if let Some(m) = &a.mime_code {
                s.push_attribute(("mimeCode", m.as_str()));
            }
            if let Some(f) = &a.filename {
                s.push_attribute(("filename", f.as_str()));
            }
            self.w.write_event(Event::Start(s))?;
            self.w.write_event(Event::Text(BytesText::new(content)))?;
            self.end("cbc:EmbeddedDocumentBinaryObject")?;
            self.end("cac:Attachment")?;
        }
        self.end("cac:AdditionalDocumentReference")
    }

    fn party(&mut self, name: &str, p: &Party) -> R {
        self.start(name)?;
        if let Some(e) = &p.endpoint_id {
            self.text_attr(
                "cbc:EndpointID",
                "schemeID",
                p.endpoint_scheme.as_deref(),
                e,
            )?;
        }
        for id in &p.identifications {
            self.start("cac:PartyIdentification")?;
            self.text_attr("cbc:ID", "schemeID", id.scheme.as_deref(), &id.id)?;
            self.end("cac:PartyIdentification")?;
        }
        if let Some(n) = &p.name {
            self.start("cac:PartyName")?;
            self.text("cbc:Name", n)?;
            self.end("cac:PartyName")?;
        }
        if let Some(a) = &p.address {
            self.start("cac:PostalAddress")?;
            self.opt_text("cbc:StreetName", a.street.as_deref())?;
            self.opt_text("cbc:AdditionalStreetName", a.additional_street.as_deref())?;
            self.opt_text("cbc:CityName", a.city.as_deref())?;
            self.opt_text("cbc:PostalZone", a.postal_zone.as_deref())?;
            self.opt_text("cbc:CountrySubentity", a.country_subentity.as_deref())?;
            if let Some(l) = &a.address_line {
                self.start("cac:AddressLine")?;
                self.text("cbc:Line", l)?;
                self.end("cac:AddressLine")?;
            }
            if let Some(c) = &a.country {
                self.start("cac:Country")?;
                self.text("cbc:IdentificationCode", c)?;
                self.end("cac:Country")?;
            }
            self.end("cac:PostalAddress")?;
        }
        for t in &p.tax_schemes {
            self.start("cac:PartyTaxScheme")?;
            self.opt_text("cbc:CompanyID", t.company_id.as_deref())?;
            if let Some(s) = &t.tax_scheme {
                self.wrapped_id("cac:TaxScheme", s)?;
            }
            self.end("cac:PartyTaxScheme")?;
        }
        if let Some(l) = &p.legal_entity {
            self.start("cac:PartyLegalEntity")?;
            self.opt_text("cbc:RegistrationName", l.registration_name.as_deref())?;
            if let Some(c) = &l.company_id {
                self.text_attr(
                    "cbc:CompanyID",
                    "schemeID",
                    l.company_id_scheme.as_deref(),
                    c,
                )?;
            }
            self.end("cac:PartyLegalEntity")?;
        }
        if let Some(c) = &p.contact {
            self.start("cac:Contact")?;
            self.opt_text("cbc:Name", c.name.as_deref())?;
            self.opt_text("cbc:Telephone", c.telephone.as_deref())?;
            self.opt_text("cbc:ElectronicMail", c.email.as_deref())?;
            self.end("cac:Contact")?;
        }
        self.end(name)
    }

    fn allowance_charge(&mut self, ac: &AllowanceCharge) -> R {
        self.start("cac:AllowanceCharge")?;
        self.text(
            "cbc:ChargeIndicator",
            if ac.charge { "true" } else { "false" },
        )?;
        self.opt_text("cbc:AllowanceChargeReasonCode", ac.reason_code.as_deref())?;
        self.opt_text("cbc:AllowanceChargeReason", ac.reason.as_deref())?;
        self.number("cbc:MultiplierFactorNumeric", ac.multiplier)?;
        self.amount("cbc:Amount", ac.amount)?;
        self.amount("cbc:BaseAmount", ac.base_amount)?;
        if let Some(tc) = &ac.tax_category {
            self.tax_category("cac:TaxCategory", tc)?;
        }
        self.end("cac:AllowanceCharge")
    }

    fn tax_category(&mut self, name: &str, tc: &TaxCategory) -> R {
        self.start(name)?;
        if let Some(id) = &tc.id {
            self.text("cbc:ID", id.code())?;
        }
        self.number("cbc:Percent", tc.percent)?;
        self.opt_text(
            "cbc:TaxExemptionReasonCode",
            tc.exemption_reason_code.as_deref(),
        )?;
        self.opt_text("cbc:TaxExemptionReason", tc.exemption_reason.as_deref())?;
        if let Some(s) = &tc.tax_scheme {
            self.wrapped_id("cac:TaxScheme", s)?;
        }
        self.end(name)
    }

    fn tax_total(&mut self, t: &TaxTotal) -> R {
        let cur = t.currency.as_deref().unwrap_or(self.cur);
        self.start("cac:TaxTotal")?;
        self.amount_in("cbc:TaxAmount", t.tax_amount, cur)?;
        for s in &t.subtotals {
            self.start("cac:TaxSubtotal")?;
            self.amount_in("cbc:TaxableAmount", s.taxable_amount, cur)?;
            self.amount_in("cbc:TaxAmount", s.tax_amount, cur)?;
            self.tax_category("cac:TaxCategory", &s.category)?;
            self.end("cac:TaxSubtotal")?;
        }
        self.end("cac:TaxTotal")
    }

    fn monetary_total(&mut self, m: &MonetaryTotal) -> R {
        self.start("cac:LegalMonetaryTotal")?;
        self.amount("cbc:LineExtensionAmount", m.line_extension)?;
        self.amount("cbc:TaxExclusiveAmount", m.tax_exclusive)?;
        self.amount("cbc:TaxInclusiveAmount", m.tax_inclusive)?;
        self.amount("cbc:AllowanceTotalAmount", m.allowance_total)?;
        self.amount("cbc:ChargeTotalAmount", m.charge_total)?;
        self.amount("cbc:PrepaidAmount", m.prepaid)?;
        self.amount("cbc:PayableRoundingAmount", m.payable_rounding)?;
        self.amount("cbc:PayableAmount", m.payable)?;
        self.end("cac:LegalMonetaryTotal")
    }

    fn line(&mut self, root: Root, l: &Line) -> R {
        let name = match root {
            Root::Invoice => "cac:InvoiceLine",
            Root::CreditNote => "cac:CreditNoteLine",
        };
        let qty = match root {
            Root::Invoice => "cbc:InvoicedQuantity",
            Root::CreditNote => "cbc:CreditedQuantity",
        };
        self.start(name)?;
        self.opt_text("cbc:ID", l.id.as_deref())?;
        self.opt_text("cbc:Note", l.note.as_deref())?;
        if let Some(q) = l.quantity {
            self.text_attr(qty, "unitCode", l.unit_code.as_deref(), &q.to_string())?;
        }
        self.amount("cbc:LineExtensionAmount", l.line_extension)?;
        if let Some(p) = &l.period {
            self.period("cac:InvoicePeriod", p)?;
        }
        if let Some(o) = &l.order_line_reference {
            self.start("cac:OrderLineReference")?;
            self.text("cbc:LineID", o)?;
            self.end("cac:OrderLineReference")?;
        }
        for ac in &l.allowance_charges {
            self.allowance_charge(ac)?;
        }
        self.start("cac:Item")?;
        let it = &l.item;
        self.opt_text("cbc:Description", it.description.as_deref())?;
        self.opt_text("cbc:Name", it.name.as_deref())?;
        if let Some(b) = &it.buyers_id {
            self.wrapped_id("cac:BuyersItemIdentification", b)?;
        }
        if let Some(s) = &it.sellers_id {
            self.wrapped_id("cac:SellersItemIdentification", s)?;
        }
        if let Some((id, scheme)) = &it.standard_id {
            self.start("cac:StandardItemIdentification")?;
            self.text_attr("cbc:ID", "schemeID", scheme.as_deref(), id)?;
            self.end("cac:StandardItemIdentification")?;
        }
        if let Some(tc) = &it.tax_category {
            self.tax_category("cac:ClassifiedTaxCategory", tc)?;
        }
        self.end("cac:Item")?;
        if let Some(p) = &l.price {
            self.start("cac:Price")?;
            self.amount("cbc:PriceAmount", p.amount)?;
            if let Some(b) = p.base_quantity {
                self.text_attr(
                    "cbc:BaseQuantity",
                    "unitCode",
                    p.base_unit_code.as_deref(),
                    &b.to_string(),
                )?;
            }
            self.end("cac:Price")?;
        }
        self.end(name)
    }

    fn extension(&mut self, ext: &SrbDtExt) -> R {
        self.start("cec:UBLExtensions")?;
        self.start("cec:UBLExtension")?;
        self.start("cec:ExtensionContent")?;
        self.start("sbt:SrbDtExt")?;
        for p in &ext.prepayments {
            self.start("sbt:InvoicedPrepaymentAmmount")?;
            self.opt_text("cbc:ID", p.id.as_deref())?;
            self.tax_total(&p.tax_total)?;
            self.end("sbt:InvoicedPrepaymentAmmount")?;
        }
        if let Some(r) = &ext.reduced_totals {
            self.start("sbt:ReducedTotals")?;
            self.tax_total(&r.tax_total)?;
            self.monetary_total(&r.monetary_total)?;
            self.end("sbt:ReducedTotals")?;
        }
        self.end("sbt:SrbDtExt")?;
        self.end("cec:ExtensionContent")?;
        self.end("cec:UBLExtension")?;
        self.end("cec:UBLExtensions")
    }
}
