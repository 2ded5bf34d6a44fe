//! References and attachments: preceding invoices (BG-3), the source a credit or debit note
//! must name, supporting documents (BG-24).

use super::{V, blank};
use crate::model::*;

impl<'a> V<'a> {
    pub(super) fn references(&mut self) {
        self.billing_references();
        self.attachments();
    }

    /// Preceding invoice references (BR-55, RSR-07) and the source a credit or debit note must name.
    fn billing_references(&mut self) {
        let d = self.doc;
        let dt = d.document_type();
        let credit = dt == Some(DocumentType::CreditNote);
        // Billing references (RSR-07, BR-55, §10).
        for (i, b) in d.billing_references.iter().enumerate() {
            let bp = format!(
                "/{}/cac:BillingReference[{}]/cac:InvoiceDocumentReference",
                self.r,
                i + 1
            );
            if blank(&b.id) {
                self.fatal(
                    "BR-55",
                    format!("{bp}/cbc:ID"),
                    "Referenca na prethodnu fakturu nema broj te fakture.".into(),
                    "The preceding invoice reference (BG-3) has no invoice number (BT-25).".into(),
                );
            }
            if b.issue_date.is_none() {
                self.fatal(
                    "RSR-07",
                    format!("{bp}/cbc:IssueDate"),
                    "Referenca na prethodnu fakturu mora sadržati i datum izdavanja te fakture.".into(),
                    "The preceding invoice reference must contain that invoice's issue date (BT-26).".into(),
                );
            }
            if let Some(c) = b.document_type_code.as_deref()
                && !matches!(c.trim(), "380" | "386")
            {
                self.fatal(
                    "FSK-REFERENCE-TYPE",
                    format!("{bp}/cbc:DocumentTypeCode"),
                    format!("Vrsta referencirane fakture '{c}' nije dozvoljena; dozvoljeno je 380 ili 386."),
                    format!("Referenced document type '{c}' is not allowed; use 380 or 386."),
                );
            }
        }
        let has_period = d
            .invoice_periods
            .iter()
            .any(|p| p.start.is_some() || p.end.is_some());
        let has_refs = !d.billing_references.is_empty();
        match dt {
            Some(DocumentType::CreditNote | DocumentType::DebitNote) => {
                if !has_refs && !has_period {
                    let (sef, sr, en) = if credit {
                        (
                            "CreditInvoiceMustHaveSource",
                            "Dokument o smanjenju mora navesti fakturu (broj i datum) koju umanjuje, ili period na koji se odnosi.",
                            "A credit note must reference the invoice(s) it reduces (number and date), or a period.",
                        )
                    } else {
                        (
                            "DebitInvoiceMustHaveSource",
                            "Dokument o povećanju mora navesti fakturu (broj i datum) koju povećava, ili period na koji se odnosi.",
                            "A debit note must reference the invoice(s) it increases (number and date), or a period.",
                        )
                    };
                    self.fatal_sef(
                        "FSK-NOTE-SOURCE",
                        sef,
                        self.p("cac:BillingReference"),
                        sr.into(),
                        en.into(),
                    );
                }
                if has_refs && has_period {
                    self.fatal_sef(
                        "FSK-NOTE-SOURCE-BOTH",
                        "UBLCannotBeDefinedInvoiceDocumentReferenceIDWithInvoicePeriodStartDateAndInvoicePeriodEndDateParameters",
                        self.p("cac:InvoicePeriod"),
                        "Dokument ne može istovremeno da navodi fakture i period (početak i kraj); izaberite jedno.".into(),
                        "The document cannot reference invoices and a period (start and end) at the same time; choose one.".into(),
                    );
                }
            }
            Some(DocumentType::AdvanceInvoice) if has_refs => self.warn(
                "FSK-ADVANCE-REFERENCE",
                self.p("cac:BillingReference"),
                "Avansna faktura obično ne navodi druge fakture.".into(),
                "An advance invoice normally references no other invoice.".into(),
            ),
            _ => {}
        }
    }

    /// Attachments: at most 3, PDF, plain file names, at most 5 MB each (BR-52).
    fn attachments(&mut self) {
        let d = self.doc;
        // Attachments (BR-52 and fiskal's limits).
        let n_att = d.additional_documents.len();
        if n_att > 3 {
            self.fatal_sef(
                "FSK-ATTACHMENTS",
                "TooManyAttachments",
                self.p("cac:AdditionalDocumentReference[4]"),
                format!("Dokument ima {n_att} priloga; dozvoljena su najviše 3."),
                format!("The document has {n_att} attachments; at most 3 are allowed."),
            );
        }
        for (i, a) in d.additional_documents.iter().enumerate() {
            let ap = self.p(&format!("cac:AdditionalDocumentReference[{}]", i + 1));
            if blank(&a.id) {
                self.fatal(
                    "BR-52",
                    format!("{ap}/cbc:ID"),
                    "Prilog nema oznaku (ID).".into(),
                    "The supporting document (BG-24) has no reference (BT-122).".into(),
                );
            }
            if a.content_base64.is_some() {
                if a.mime_code.as_deref() != Some("application/pdf") {
                    self.fatal(
                        "FSK-ATTACHMENT-TYPE",
                        format!("{ap}/cac:Attachment/cbc:EmbeddedDocumentBinaryObject"),
                        "Prilog mora biti PDF dokument (mimeCode application/pdf).".into(),
                        "An attachment must be a PDF (mimeCode application/pdf).".into(),
                    );
                }
                let name_ok = a.filename.as_deref().is_some_and(|f| {
                    !f.is_empty()
                        && f.bytes()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
                });
                if !name_ok {
                    self.fatal(
                        "FSK-ATTACHMENT-NAME",
                        format!("{ap}/cac:Attachment/cbc:EmbeddedDocumentBinaryObject/@filename"),
                        "Ime priloga sme da sadrži samo slova bez kvačica, cifre i znakove . _ -"
                            .into(),
                        "The attachment file name may contain only A-Z, a-z, 0-9 and . _ -".into(),
                    );
                }
                let len = a.content_base64.as_deref().map_or(0, str::len);
                if len / 4 * 3 > 5 * 1024 * 1024 {
                    self.fatal_sef(
                        "FSK-ATTACHMENT-SIZE",
                        "FileTooBig",
                        format!("{ap}/cac:Attachment/cbc:EmbeddedDocumentBinaryObject"),
                        "Prilog je veći od 5 MB.".into(),
                        "The attachment is larger than 5 MB.".into(),
                    );
                }
            }
        }
    }
}
