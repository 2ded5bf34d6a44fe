//! An upload as the state sees it (`sef-api.md` §6, §7.2): the `requestId` memory, the
//! registry and state checks of layer 3 of §12 (sender, buyer, numbers, references, the issue
//! date against the sandbox clock, `sendToCir`), and the new document with its first events.
//! The content checks (layers 1 and 2) ran before, in the check module.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sha2::{Digest, Sha256};

use super::check::{ParsedDocument, Refusal, refuse};
use super::state::{Document, IdemRecord, Notification, Side, State, local_date};
use crate::model::{PurchaseInvoiceStatus as PS, SalesInvoiceStatus as SS, SendToCir};

impl State {
    /// Processes an upload of `body` for the key's company `pib` (§6, §7.2), given its layer 1-2
    /// checks (`checked`). Returns the HTTP status and JSON body (200 with ids, 400 with an error).
    pub fn upload(
        &mut self,
        pib: &str,
        request_id: Option<&str>,
        send_to_cir: Option<&str>,
        body: &[u8],
        checked: Result<ParsedDocument, Refusal>,
        out: &mut Vec<Notification>,
    ) -> (u16, String) {
        let Some(request_id) = request_id.map(str::trim).filter(|r| !r.is_empty()) else {
            return error_json(&refuse(
                "RequiredRequestId",
                "The requestId parameter is required.",
                Some("requestId"),
            ));
        };
        let hash = hex::encode(Sha256::digest(body));
        let idem_key = format!("{pib}\u{1f}{request_id}");
        let now = self.now();
        self.idempotency
            .retain(|_, r| now.signed_duration_since(r.at) < ChronoDuration::days(30));
        if let Some(rec) = self.idempotency.get(&idem_key) {
            if self
                .settings
                .idempotency_mode
                .eq_ignore_ascii_case("refuse")
                || rec.body_hash != hash
            {
                return error_json(&refuse(
                    "UBLUploadRequestIdDuplicate",
                    "A document was already uploaded with this requestId.",
                    Some("requestId"),
                ));
            }
            return (rec.status, rec.body.clone());
        }
        let (status, json) =
            match checked.and_then(|d| self.accept(pib, send_to_cir, body, d, now, out)) {
                Ok(ids) => (200, ids),
                Err(r) => error_json(&r),
            };
        self.idempotency.insert(
            idem_key,
            IdemRecord {
                body_hash: hash,
                status,
                body: json.clone(),
                at: now,
            },
        );
        (status, json)
    }

    fn accept(
        &mut self,
        pib: &str,
        send_to_cir: Option<&str>,
        body: &[u8],
        doc: ParsedDocument,
        now: DateTime<Utc>,
        out: &mut Vec<Notification>,
    ) -> Result<String, Refusal> {
        let s = self.settings.clone();
        let cir = self.check_registry(pib, send_to_cir, &doc, now)?;
        let sales_id = self.next_sales_id;
        let purchase_id = self.next_purchase_id;
        self.next_sales_id += 1;
        self.next_purchase_id += 1;
        let cir_id = (cir == SendToCir::Yes).then(|| format!("K{:X}", sales_id % 0xFFFF));
        let d = Document {
            sales_id,
            purchase_id,
            glob_uniq_id: uuid::Uuid::new_v4().to_string(),
            supplier_pib: doc.supplier_pib.clone(),
            supplier_name: doc.supplier_name.clone(),
            buyer_pib: doc.buyer_pib.clone(),
            number: doc.number.clone(),
            type_code: doc.type_code.clone(),
            doc_type: doc.doc_type,
            xml: String::from_utf8_lossy(body).into_owned(),
            status: SS::Sending,
            purchase_status: PS::SendingInProgress,
            created_at: now,
            sent_at: None,
            last_modified: now,
            version: 1,
            comment: None,
            cancel_comment: None,
            storno_comment: None,
            storno_number: None,
            send_to_cir: cir,
            cir_invoice_id: cir_id.clone(),
            issue_date: doc.issue_date,
            delivery_date: doc.delivery_date,
            due_date: doc.due_date,
            currency: doc.currency.clone(),
            payable: doc.payable.map(|d| d.to_string()),
            tax_exclusive: doc.tax_exclusive.map(|d| d.to_string()),
            tax_total: doc.tax_total.map(|d| d.to_string()),
            pdf_requested: false,
            renotified: false,
        };
        self.docs.insert(sales_id, d);
        self.push_event(
            Side::Sales,
            pib.to_string(),
            sales_id,
            "Sending",
            None,
            None,
            cir_id,
            now,
            out,
        );
        if s.sending_delay_ms == 0 {
            self.set_status(
                sales_id,
                Some(SS::Sent),
                Some(PS::New),
                None,
                None,
                now,
                out,
            );
        }
        Ok(serde_json::json!({
            "InvoiceId": purchase_id,
            "PurchaseInvoiceId": purchase_id,
            "SalesInvoiceId": sales_id,
        })
        .to_string())
    }

    fn check_registry(
        &self,
        pib: &str,
        send_to_cir: Option<&str>,
        doc: &ParsedDocument,
        now: DateTime<Utc>,
    ) -> Result<SendToCir, Refusal> {
        let cir = cir_mode(send_to_cir, doc)?;
        if !self.settings.validate_registry {
            return Ok(cir.unwrap_or(SendToCir::No));
        }
        if doc.issue_date != local_date(now) {
            return Err(refuse(
                "IssueDateCannotBeDifferentFromTodays",
                format!(
                    "The issue date {} is not today ({}).",
                    doc.issue_date,
                    local_date(now)
                ),
                Some("IssueDate"),
            ));
        }
        self.check_parties(pib, doc, cir)?;
        self.check_references(pib, doc)?;
        Ok(cir.unwrap_or(SendToCir::No))
    }

    /// The supplier is the key's company; the buyer is registered, active in the VAT system
    /// and, as a budget user, told whether the invoice goes to the CRF. (What the document must
    /// carry for a budget user, the validator checked with the registry's answer.)
    fn check_parties(
        &self,
        pib: &str,
        doc: &ParsedDocument,
        cir: Option<SendToCir>,
    ) -> Result<(), Refusal> {
        if doc.supplier_pib != pib {
            let registered = self
                .companies
                .get(&doc.supplier_pib)
                .is_some_and(|c| c.is_active());
            return Err(if registered {
                refuse(
                    "InvalidSenderCompany",
                    "The supplier of the document is not the company of the API key.",
                    Some("AccountingSupplierParty.Party.EndpointID"),
                )
            } else {
                refuse(
                    "SenderCompanyNotFound",
                    format!(
                        "The supplier {} is not registered on SEF.",
                        doc.supplier_pib
                    ),
                    Some("AccountingSupplierParty.Party.EndpointID"),
                )
            });
        }
        let buyer = self
            .companies
            .get(&doc.buyer_pib)
            .filter(|c| c.is_active())
            .ok_or_else(|| {
                refuse(
                    "ReceiverCompanyNotFound",
                    format!("The buyer {} is not registered on SEF.", doc.buyer_pib),
                    Some("AccountingCustomerParty.Party.EndpointID"),
                )
            })?;
        if !buyer.vat_active {
            return Err(refuse(
                "VATNumberNotActive",
                "The buyer's PIB is not active.",
                Some("AccountingCustomerParty"),
            ));
        }
        if buyer.budget_user && cir.is_none() {
            return Err(refuse(
                "SendToCirParameterMustBeDefinedForBudgetUser",
                "sendToCir must be given for a budget-user buyer.",
                Some("sendToCir"),
            ));
        }
        Ok(())
    }

    /// The number is new for the supplier; every referenced invoice (the source of a note, the
    /// advances of a final invoice) is the supplier's and in a status that allows it.
    fn check_references(&self, pib: &str, doc: &ParsedDocument) -> Result<(), Refusal> {
        if self
            .docs
            .values()
            .any(|d| d.supplier_pib == pib && d.number == doc.number)
        {
            return Err(refuse(
                "EInvoiceNumberDublicate",
                format!("The invoice number {} was already used.", doc.number),
                Some("ID"),
            ));
        }
        let not_found = if doc.type_code == "380" {
            "UBLPrepaymentInvoiceNotFound"
        } else {
            "UBLSourceInvoiceNotFound"
        };
        for r in &doc.billing_refs {
            let src = self
                .docs
                .values()
                .find(|d| d.supplier_pib == pib && &d.number == r)
                .ok_or_else(|| {
                    refuse(
                        not_found,
                        format!("The referenced invoice {r} was not found."),
                        Some("BillingReference.InvoiceDocumentReference.ID"),
                    )
                })?;
            if !matches!(src.status, SS::Sent | SS::Approved) {
                return Err(refuse(
                    "UBLSourceInvoiceUnallowedStatus",
                    format!("The referenced invoice {r} is in status {}.", src.status),
                    Some("BillingReference.InvoiceDocumentReference.ID"),
                ));
            }
        }
        Ok(())
    }
}

/// `sendToCir` as given (`None` when absent), refused when it is neither Yes nor No or when the
/// document cannot go to the CRF (advances, notes, foreign currency).
fn cir_mode(send_to_cir: Option<&str>, doc: &ParsedDocument) -> Result<Option<SendToCir>, Refusal> {
    let cir = match send_to_cir.map(str::trim) {
        None | Some("") => return Ok(None),
        Some(v) => match SendToCir::parse(v) {
            SendToCir::Unknown => {
                return Err(refuse(
                    "InvalidSendToCirMode",
                    format!("sendToCir {v:?} is not Yes or No."),
                    Some("sendToCir"),
                ));
            }
            c => c,
        },
    };
    if cir == SendToCir::Yes {
        let code = match doc.type_code.as_str() {
            "386" => Some("CannotSendPrepaymentInvoiceToCir"),
            "381" => Some("CannotSendCreditInvoiceToCir"),
            "383" => Some("CannotSendDebitNoteToCir"),
            _ if doc.currency != "RSD" => Some("CannotSendToCirDocumentWithForeignCurrency"),
            _ => None,
        };
        if let Some(code) = code {
            return Err(refuse(
                code,
                "This document cannot be sent to CRF.",
                Some("sendToCir"),
            ));
        }
    }
    Ok(Some(cir))
}

/// A 400 answer body.
pub fn error_json(r: &Refusal) -> (u16, String) {
    (
        400,
        serde_json::json!({
            "Message": r.message,
            "FieldName": r.field,
            "ErrorCode": r.code,
        })
        .to_string(),
    )
}
