//! Document header: specification identifier (BT-24), number (BT-1), issue date, type code,
//! currency, tax point date and note lengths.

use super::V;
use crate::ids;
use crate::{CUSTOMIZATION_ID, CUSTOMIZATION_ID_EXT};

impl<'a> V<'a> {
    pub(super) fn header(&mut self) {
        self.customization_id();
        self.number_date_and_type();
        self.currency_tax_point_and_notes();
    }

    /// BT-24: present, Serbian, with the extension suffix exactly when the extension is there.
    fn customization_id(&mut self) {
        let d = self.doc;
        match d.customization_id.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                "BR-01",
                self.p("cbc:CustomizationID"),
                "Nedostaje identifikator specifikacije (CustomizationID).".into(),
                "The specification identifier (CustomizationID, BT-24) is missing.".into(),
            ),
            Some(v) => {
                if !v.starts_with(CUSTOMIZATION_ID) {
                    self.fatal(
                        "RSR-01",
                        self.p("cbc:CustomizationID"),
                        format!(
                            "Identifikator specifikacije mora da počinje sa '{CUSTOMIZATION_ID}', a glasi '{v}'."
                        ),
                        format!(
                            "The specification identifier must start with '{CUSTOMIZATION_ID}'; it is '{v}'."
                        ),
                    );
                } else if d.extension.is_some() && v != CUSTOMIZATION_ID_EXT {
                    self.fatal(
                        "RSR-02",
                        self.p("cbc:CustomizationID"),
                        format!(
                            "Faktura sa srpskom ekstenzijom (avansi) mora imati identifikator specifikacije '{CUSTOMIZATION_ID_EXT}'."
                        ),
                        format!(
                            "A document with the Serbian extension (advances) must have the specification identifier '{CUSTOMIZATION_ID_EXT}'."
                        ),
                    );
                } else if d.extension.is_none() && v != CUSTOMIZATION_ID {
                    self.warn(
                        "FSK-CUSTOMIZATION",
                        self.p("cbc:CustomizationID"),
                        format!(
                            "Dokument bez srpske ekstenzije treba da ima identifikator specifikacije '{CUSTOMIZATION_ID}'."
                        ),
                        format!(
                            "A document without the Serbian extension should have the specification identifier '{CUSTOMIZATION_ID}'."
                        ),
                    );
                }
            }
        }
    }

    /// BT-1 (SEF's character set and length), BT-2 and BT-3.
    fn number_date_and_type(&mut self) {
        let d = self.doc;
        match d.id.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                "BR-02",
                self.p("cbc:ID"),
                "Nedostaje broj fakture.".into(),
                "The invoice number (BT-1) is missing.".into(),
            ),
            Some(n) if !ids::invoice_number_valid(n) => self.fatal_sef(
                "FSK-NUMBER",
                if n.len() > 50 {
                    "InvoiceNumberTooLong"
                } else {
                    "UBLInvoiceNumberContainsInvalidCharacters"
                },
                self.p("cbc:ID"),
                format!(
                    "Broj fakture '{n}' sme da sadrži samo slova A-Z, a-z, cifre i znakove - / _ . i najviše 50 znakova."
                ),
                format!(
                    "The invoice number '{n}' may contain only A-Z, a-z, digits and - / _ . and at most 50 characters."
                ),
            ),
            _ => {}
        }
        if d.issue_date.is_none() {
            self.fatal(
                "BR-03",
                self.p("cbc:IssueDate"),
                "Nedostaje datum izdavanja fakture.".into(),
                "The invoice issue date (BT-2) is missing.".into(),
            );
        }
        let tc_name = format!("cbc:{}", d.root.type_code_name());
        match d.type_code.as_deref().map(str::trim) {
            None | Some("") => self.fatal_sef(
                "BR-04",
                "InvoiceTypeCodeMissing",
                self.p(&tc_name),
                "Nedostaje šifra vrste dokumenta (380, 381, 383 ili 386).".into(),
                "The document type code (BT-3) is missing.".into(),
            ),
            Some(c) if d.document_type().is_none() => self.fatal_sef(
                "RSR-03",
                "UBLUnsupportedDocumentType",
                self.p(&tc_name),
                format!(
                    "Šifra vrste dokumenta '{c}' nije dozvoljena: Invoice može biti 380, 383 ili 386, a CreditNote 381."
                ),
                format!(
                    "Document type code '{c}' is not allowed: an Invoice may be 380, 383 or 386, a CreditNote 381."
                ),
            ),
            _ => {}
        }
    }

    /// BT-5, BT-7 (not used in Serbia) and the length of each note.
    fn currency_tax_point_and_notes(&mut self) {
        let d = self.doc;
        match d.currency.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                "BR-05",
                self.p("cbc:DocumentCurrencyCode"),
                "Nedostaje valuta dokumenta.".into(),
                "The invoice currency code (BT-5) is missing.".into(),
            ),
            Some(c) if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) => self.fatal(
                "BR-CL-04",
                self.p("cbc:DocumentCurrencyCode"),
                format!("Valuta '{c}' nije ISO 4217 šifra od tri velika slova."),
                format!("Currency '{c}' is not an ISO 4217 alpha-3 code."),
            ),
            Some("RSD") => {}
            Some(c) => self.warn(
                "FSK-CURRENCY",
                self.p("cbc:DocumentCurrencyCode"),
                format!(
                    "Dokument je u valuti {c}; fiskal za sada izdaje samo dokumente u dinarima (RSD) i ne proverava drugi TaxTotal u dinarima."
                ),
                format!(
                    "The document is in {c}; fiskal issues only RSD documents for now and does not check the second TaxTotal in RSD."
                ),
            ),
        }
        if d.tax_point_date.is_some() {
            self.fatal(
                "RSR-04",
                self.p("cbc:TaxPointDate"),
                "Dokument ne sme da sadrži datum poreske obaveze (TaxPointDate); koristi se šifra datuma poreske obaveze (3, 35 ili 432).".into(),
                "The document must not contain a tax point date (BT-7); use the VAT point date code (BT-8) instead.".into(),
            );
        }
        if d.tax_point_date.is_some() && d.vat_point_date_code().is_some() {
            self.fatal(
                "BR-CO-03",
                self.p("cbc:TaxPointDate"),
                "Datum poreske obaveze i šifra datuma poreske obaveze ne smeju se navesti zajedno.".into(),
                "The tax point date (BT-7) and the VAT point date code (BT-8) are mutually exclusive.".into(),
            );
        }
        for (i, n) in d.notes.iter().enumerate() {
            if n.chars().count() > 1000 {
                self.fatal_sef(
                    "FSK-NOTE-LENGTH",
                    "UBLMaxNoteLengthExceeded",
                    self.p(&format!("cbc:Note[{}]", i + 1)),
                    "Napomena je duža od 1000 znakova; skratite je ili podelite u više napomena.".into(),
                    "The note is longer than 1000 characters; shorten it or split it into several notes.".into(),
                );
            }
        }
    }
}
