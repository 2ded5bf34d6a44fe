//! [`DocumentTools`] over fiskal-ubl: reader, validator, builder and writer.

use chrono::{Days, NaiveDate};
use fiskal_ubl::{DocumentBuilder, DocumentType, LineInput, PartyInput, VatCategory};

use crate::model::Tenant;
use crate::tools::{DocumentSummary, DocumentTools, Finding, SimpleInvoice};

/// The fiskal-ubl implementation.
#[derive(Debug, Clone, Copy, Default)]
pub struct UblTools;

fn pib_of(p: &fiskal_ubl::Party) -> Option<String> {
    p.endpoint_id
        .clone()
        .or_else(|| {
            p.vat_id()
                .map(|v| v.trim().trim_start_matches("RS").to_string())
        })
        .map(|s| s.trim().to_string())
}

fn text(xml: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(xml).map_err(|_| "the document is not UTF-8 text".to_string())
}

impl DocumentTools for UblTools {
    fn summarize(&self, xml: &[u8]) -> Result<DocumentSummary, String> {
        let doc = fiskal_ubl::read(text(xml)?).map_err(|e| e.to_string())?;
        let customer = doc.customer.as_ref();
        Ok(DocumentSummary {
            doc_type: doc
                .type_code
                .clone()
                .ok_or("the document has no type code")?,
            number: doc
                .id
                .clone()
                .ok_or("the document has no number (cbc:ID)")?,
            issue_date: doc.issue_date.ok_or("the document has no issue date")?,
            supplier_pib: doc.supplier.as_ref().and_then(pib_of),
            buyer_pib: customer.and_then(pib_of),
            buyer_name: customer.and_then(|c| {
                c.registration_name()
                    .map(str::to_string)
                    .or_else(|| c.name.clone())
            }),
            buyer_jbkjs: customer.and_then(|c| c.jbkjs().map(str::to_string)),
            total: doc.monetary_total.as_ref().and_then(|m| m.payable),
            currency: doc.currency.clone(),
        })
    }

    fn validate(&self, xml: &[u8]) -> Vec<Finding> {
        let t = match text(xml) {
            Ok(t) => t,
            Err(e) => {
                return vec![Finding {
                    rule_id: "XML".into(),
                    path: "/".into(),
                    message: e,
                    fatal: true,
                }];
            }
        };
        match fiskal_ubl::validate_xml(t) {
            Ok(list) => list
                .into_iter()
                .map(|f| Finding {
                    rule_id: f.rule_id.to_string(),
                    path: f.path.clone(),
                    message: f.message_sr.clone(),
                    fatal: f.is_fatal(),
                })
                .collect(),
            Err(e) => vec![Finding {
                rule_id: "XML".into(),
                path: "/".into(),
                message: e.to_string(),
                fatal: true,
            }],
        }
    }

    fn redate(&self, xml: &[u8], issue_date: NaiveDate) -> Result<Vec<u8>, String> {
        let t = text(xml)?;
        let doc = fiskal_ubl::read(t).map_err(|e| e.to_string())?;
        let old = doc.issue_date.ok_or("the document has no issue date")?;
        // Keep the original bytes: replace only the document's own IssueDate (the first one; in
        // UBL order it precedes every reference's IssueDate).
        let needle = format!("<cbc:IssueDate>{old}</cbc:IssueDate>");
        if let Some(pos) = t.find(&needle) {
            let mut out = String::with_capacity(t.len());
            out.push_str(&t[..pos]);
            out.push_str(&format!("<cbc:IssueDate>{issue_date}</cbc:IssueDate>"));
            out.push_str(&t[pos + needle.len()..]);
            if fiskal_ubl::read(&out).ok().and_then(|d| d.issue_date) == Some(issue_date) {
                return Ok(out.into_bytes());
            }
        }
        let mut doc = doc;
        doc.issue_date = Some(issue_date);
        Ok(fiskal_ubl::to_xml(&doc).into_bytes())
    }

    fn build(
        &self,
        supplier: &Tenant,
        form: &SimpleInvoice,
        issue_date: NaiveDate,
    ) -> Result<Vec<u8>, String> {
        let mut seller = PartyInput::new(
            &supplier.pib,
            &supplier.mb,
            supplier.trading_name.as_deref().unwrap_or(&supplier.name),
            &supplier.street,
            &supplier.city,
            &supplier.postal_code,
        );
        seller.registration_name = Some(supplier.name.clone());
        seller.email = supplier.contact_email.clone();
        let mut buyer = PartyInput::new(
            &form.buyer_pib,
            &form.buyer_mb,
            &form.buyer_name,
            &form.buyer_street,
            &form.buyer_city,
            &form.buyer_postal_code,
        );
        buyer.jbkjs = form.buyer_jbkjs.clone().filter(|j| !j.trim().is_empty());
        let account = supplier
            .bank_accounts
            .first()
            .ok_or("the company has no bank account")?;
        let mut b = DocumentBuilder::new(DocumentType::Invoice, &form.number, issue_date)
            .supplier(seller)
            .buyer(buyer)
            .due_date(form.due_date.unwrap_or(issue_date + Days::new(15)))
            .delivery_date(form.delivery_date.unwrap_or(issue_date))
            .payment(account, None);
        if let Some(c) = form
            .contract_number
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            b = b.contract_reference(c);
        }
        for l in &form.lines {
            let cat = VatCategory::parse(l.vat_category.as_deref().unwrap_or("S"));
            if cat != VatCategory::S {
                b = b.exemption(cat.clone(), l.exemption_key.as_deref(), None);
            }
            b = b.line(LineInput::new(
                &l.name,
                l.quantity,
                &l.unit_code,
                l.unit_price,
                cat,
                l.vat_rate,
            ));
        }
        let doc = b.build().map_err(|e| e.to_string())?;
        Ok(fiskal_ubl::to_xml(&doc).into_bytes())
    }
}
