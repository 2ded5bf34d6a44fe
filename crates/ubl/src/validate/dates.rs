//! Dates: VAT point date code (BT-8), invoicing periods, delivery and due dates.

use super::V;
use crate::model::*;

impl<'a> V<'a> {
    fn has_category(&self, cat: &VatCategory) -> bool {
        self.doc.lines.iter().any(|l| {
            l.item
                .tax_category
                .as_ref()
                .is_some_and(|t| t.id.as_ref() == Some(cat))
        }) || self.doc.allowance_charges.iter().any(|a| {
            a.tax_category
                .as_ref()
                .is_some_and(|t| t.id.as_ref() == Some(cat))
        })
    }

    pub(super) fn dates(&mut self) {
        self.vat_point_date_code();
        self.invoice_periods();
        self.delivery_date();
        self.due_date();
    }

    /// BT-8: required with S lines (unless a credit note omits it by configuration), forbidden without, and the dates it calls for.
    fn vat_point_date_code(&mut self) {
        let d = self.doc;
        let dt = d.document_type();
        let has_s = self.has_category(&VatCategory::S);
        let code = d.vat_point_date_code().map(str::trim);
        let code_path = || {
            let i = d
                .invoice_periods
                .iter()
                .position(|p| p.description_code.is_some())
                .unwrap_or(0);
            format!(
                "/{}/cac:InvoicePeriod[{}]/cbc:DescriptionCode",
                d.root.name(),
                i + 1
            )
        };
        let credit = dt == Some(DocumentType::CreditNote);
        let cn_omit = credit && self.opts.credit_note_vat_point_code.is_none();
        match code {
            None if has_s && !cn_omit => self.fatal_sef(
                "RSR-05",
                "InvoicePeriodDescriptionCodeNotDefined",
                self.p("cac:InvoicePeriod/cbc:DescriptionCode"),
                "Dokument ima stavke sa PDV kategorijom S, pa mora imati šifru datuma poreske obaveze (35 = datum prometa, 3 = datum izdavanja, 432 = datum plaćanja).".into(),
                "The document has items in VAT category S, so it must carry the VAT point date code (BT-8: 35, 3 or 432).".into(),
            ),
            Some(c) if !has_s => self.fatal_sef(
                "FSK-BT8-NOT-NEEDED",
                "InvoicePeriodDescriptionCodeNotNeeded",
                code_path(),
                format!(
                    "Dokument nema nijednu stavku sa PDV kategorijom S, pa šifra datuma poreske obaveze ('{c}') mora da se izostavi."
                ),
                format!(
                    "The document has no item in VAT category S, so the VAT point date code ('{c}') must be omitted."
                ),
            ),
            Some(c) => {
                let extra = if credit {
                    self.opts.credit_note_vat_point_code.as_deref()
                } else {
                    None
                };
                if !matches!(c, "3" | "35" | "432") && Some(c) != extra {
                    self.fatal_sef(
                        "RSR-06",
                        "InvoicePeriodDescriptionCodeNotProperlyDefined",
                        code_path(),
                        format!(
                            "Šifra datuma poreske obaveze '{c}' nije dozvoljena; dozvoljene su 35 (datum prometa), 3 (datum izdavanja) i 432 (datum plaćanja)."
                        ),
                        format!(
                            "VAT point date code '{c}' is not allowed; use 35 (date of supply), 3 (issue date) or 432 (payment date)."
                        ),
                    );
                }
                if c == "432" && d.effective_due_date().is_none() {
                    self.fatal_sef(
                        "RSR-08",
                        "UBLDueDateIsMissing",
                        self.p(if d.root == Root::Invoice {
                            "cbc:DueDate"
                        } else {
                            "cac:PaymentMeans/cbc:PaymentDueDate"
                        }),
                        "Kada poreska obaveza nastaje danom plaćanja (šifra 432), mora se navesti datum dospeća plaćanja.".into(),
                        "With VAT point date code 432 (payment date) the payment due date (BT-9) is mandatory.".into(),
                    );
                }
                if c == "35" && d.delivery_date().is_none() {
                    self.fatal_sef(
                        "RSR-33",
                        "InvoiceDeliveryDateMissing",
                        self.p("cac:Delivery/cbc:ActualDeliveryDate"),
                        "Kada poreska obaveza nastaje danom prometa (šifra 35), mora se navesti datum prometa.".into(),
                        "With VAT point date code 35 (date of supply) the actual delivery date (BT-72) is mandatory.".into(),
                    );
                }
            }
            None => {}
        }
    }

    /// BR-29 and BR-CO-19 on each invoicing period.
    fn invoice_periods(&mut self) {
        let d = self.doc;
        // Periods (BR-29, BR-CO-19).
        for (i, per) in d.invoice_periods.iter().enumerate() {
            if let (Some(s), Some(e)) = (per.start, per.end)
                && e < s
            {
                self.fatal(
                    "BR-29",
                    self.p(&format!("cac:InvoicePeriod[{}]/cbc:EndDate", i + 1)),
                    "Kraj obračunskog perioda je pre njegovog početka.".into(),
                    "The invoicing period end date is before its start date.".into(),
                );
            }
            if per.start.is_none() && per.end.is_none() && per.description_code.is_none() {
                self.fatal(
                    "BR-CO-19",
                    self.p(&format!("cac:InvoicePeriod[{}]", i + 1)),
                    "Obračunski period je naveden bez početka, kraja i šifre datuma poreske obaveze.".into(),
                    "The invoicing period has neither start date, end date nor VAT point date code.".into(),
                );
            }
        }
    }

    /// The date of supply (reduction date of a 381) per document type, not after the issue date.
    fn delivery_date(&mut self) {
        let d = self.doc;
        let dt = d.document_type();
        let issue = d.issue_date;
        let code = d.vat_point_date_code().map(str::trim);
        // Delivery date per type (§5.4).
        let delivery = d.delivery_date();
        let del_path = self.p("cac:Delivery/cbc:ActualDeliveryDate");
        match dt {
            Some(DocumentType::Invoice) if delivery.is_none() && code != Some("35") => self
                .fatal_sef(
                    "FSK-DELIVERY-DATE",
                    "InvoiceDeliveryDateMissing",
                    del_path.clone(),
                    "Faktura mora imati datum prometa (datum isporuke dobara ili pružanja usluge).".into(),
                    "An invoice (380) must carry the date of supply (actual delivery date, BT-72).".into(),
                ),
            Some(DocumentType::CreditNote) if delivery.is_none() => self.fatal_sef(
                "FSK-DELIVERY-DATE",
                "CreditNoteReductionDateMissing",
                del_path.clone(),
                "Dokument o smanjenju mora imati datum smanjenja (u elementu Delivery/ActualDeliveryDate).".into(),
                "A credit note (381) must carry the reduction date (Delivery/ActualDeliveryDate).".into(),
            ),
            Some(DocumentType::AdvanceInvoice) if !d.deliveries.is_empty() => self.warn(
                "FSK-DELIVERY-ADVANCE",
                self.p("cac:Delivery"),
                "Avansna faktura ne treba da ima datum prometa; promet još nije izvršen.".into(),
                "An advance invoice (386) should not carry a delivery date; the supply has not happened yet.".into(),
            ),
            _ => {}
        }
        if let (Some(del), Some(iss)) = (delivery, issue)
            && del > iss
            && dt != Some(DocumentType::AdvanceInvoice)
        {
            let (sef, sr, en) = match dt {
                Some(DocumentType::CreditNote) => (
                    "UBLReductionDateMustNotBeLatterThanIssueDate",
                    "Datum smanjenja ne sme biti posle datuma izdavanja dokumenta.",
                    "The reduction date must not be after the issue date.",
                ),
                Some(DocumentType::DebitNote) => (
                    "UBLIncreaseDateMustNotBeLatterThanIssueDate",
                    "Datum povećanja ne sme biti posle datuma izdavanja dokumenta.",
                    "The increase date must not be after the issue date.",
                ),
                _ => (
                    "UBLDeliveryDateMustNotBeLatterThanIssueDate",
                    "Datum prometa ne sme biti posle datuma izdavanja fakture.",
                    "The delivery date must not be after the issue date.",
                ),
            };
            self.fatal_sef(
                "FSK-DELIVERY-AFTER-ISSUE",
                sef,
                del_path,
                format!("{sr} ({del} > {iss})"),
                format!("{en} ({del} > {iss})"),
            );
        }
    }

    /// The due date: at most 90 days ahead; on an advance invoice, not after the issue date.
    fn due_date(&mut self) {
        let d = self.doc;
        let dt = d.document_type();
        let issue = d.issue_date;
        // Due date (§5.2, §11.1).
        if let (Some(due), Some(iss)) = (d.effective_due_date(), issue) {
            if dt == Some(DocumentType::AdvanceInvoice) {
                if due > iss {
                    self.fatal_sef(
                        "FSK-ADVANCE-PAYMENT-DATE",
                        "UBLPrepaymentDateMustNotBeLatterThanIssueDate",
                        self.p("cbc:DueDate"),
                        format!(
                            "Kod avansne fakture datum dospeća je datum prijema avansa i ne sme biti posle datuma izdavanja ({due} > {iss})."
                        ),
                        format!(
                            "On an advance invoice the due date is the date the advance was received and must not be after the issue date ({due} > {iss})."
                        ),
                    );
                }
            } else if (due - iss).num_days() > 90 {
                self.fatal_sef(
                    "FSK-DUE-DATE-90",
                    "PaymentDateMoreThan90DaysInFuture",
                    self.p(if d.root == Root::Invoice {
                        "cbc:DueDate"
                    } else {
                        "cac:PaymentMeans/cbc:PaymentDueDate"
                    }),
                    format!(
                        "Rok plaćanja ne sme biti duži od 90 dana od datuma izdavanja (dospeće {due})."
                    ),
                    format!(
                        "The payment due date must be at most 90 days after the issue date (due {due})."
                    ),
                );
            }
        }
    }
}
