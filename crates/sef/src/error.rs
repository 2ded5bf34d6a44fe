//! Typed errors of the SEF client (`sef-api.md` §4, §10 point 3) with Serbian and English texts.

use std::time::Duration;

use crate::model::ErrorBody;

/// Error codes that change the state of a tenant's key rather than of a document
/// (`moje-fakture.md` §6.2).
pub const SENDER_MISMATCH_CODES: &[&str] = &[
    "InvalidSenderCompany",
    "UBLSenderCompanyAndSenderCompanyIdentiferDoNotMatch",
];

/// The error code of an information-service-provider conflict.
pub const ISP_FORBIDDEN_CODE: &str = "ISPIsSetForCompanyAnyOperationIsForbidden";

/// The error code SEF gives for a repeated `requestId` (§6).
pub const REQUEST_ID_DUPLICATE_CODE: &str = "UBLUploadRequestIdDuplicate";

/// What went wrong in a SEF call.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SefError {
    /// HTTP 401 or 403: the key is wrong, was regenerated (revoked), its API status is off, or it
    /// belongs to the other environment. SEF does not say which. Stop all traffic for the key.
    #[error(
        "This API key is not valid or was revoked — copy the current key from SEF Settings > API management (and check that API STATUS is active there)."
    )]
    InvalidKey,
    /// HTTP 400 `ISPIsSetForCompanyAnyOperationIsForbidden`: the company works through an
    /// information service provider.
    #[error(
        "The company has an information service provider set in SEF, so SEF refuses calls made with the company's own API key."
    )]
    IspForbidden,
    /// HTTP 400 with `InvalidSenderCompany` or
    /// `UBLSenderCompanyAndSenderCompanyIdentiferDoNotMatch`: the key belongs to another company.
    #[error(
        "The API key belongs to a different company than the supplier of the document ({code})."
    )]
    CompanyMismatch {
        /// The SEF error code.
        code: String,
    },
    /// Any other HTTP 400: SEF refused the request. Terminal: do not resend the same bytes.
    #[error("SEF refused the request: {} (error code: {code}{}).", message.as_deref().unwrap_or(code), field_name.as_deref().map(|f| format!(", field: {f}")).unwrap_or_default())]
    Rejected {
        /// SEF's `ErrorCode` (opaque; empty when the body had none).
        code: String,
        /// SEF's `FieldName`.
        field_name: Option<String>,
        /// SEF's `Message`.
        message: Option<String>,
    },
    /// A retried upload got `UBLUploadRequestIdDuplicate` after an attempt whose outcome was
    /// unknown: SEF holds the document but did not repeat its ids. Reconcile through `ids` + `xml`.
    #[error(
        "SEF already has the document sent with request id {request_id}, but did not return its ids; they must be found by reconciliation."
    )]
    AcceptedIdsUnknown {
        /// The `requestId` that was reused.
        request_id: String,
    },
    /// HTTP 404 (or SEF's "not found" 400 codes, which arrive as [`SefError::Rejected`]).
    #[error("SEF does not know the requested document or path.")]
    NotFound,
    /// HTTP 429 on every attempt: the 3 calls per second limit of the key was exceeded.
    #[error("SEF's limit of 3 calls per second for this API key was exceeded; retry later.")]
    RateLimited {
        /// The last `Retry-After`, when SEF sent one.
        retry_after: Option<Duration>,
    },
    /// 5xx, timeout or connection failure on every attempt: SEF is unavailable (or in its night
    /// pause). The outcome of an upload is unknown: retry later with the same `requestId`.
    #[error("SEF is currently unavailable ({cause}); retry later.")]
    Unavailable {
        /// What failed last (status code or transport error, without any key material).
        cause: String,
    },
    /// An answer that could not be understood (bad JSON, unexpected status, 415).
    #[error("SEF sent an answer that could not be understood: {detail}.")]
    Protocol {
        /// What was wrong.
        detail: String,
    },
    /// The client configuration is not usable (e.g. plain HTTP to a non-loopback host).
    #[error("The SEF client configuration is not valid: {0}.")]
    Config(String),
}

impl SefError {
    /// Builds the error for an HTTP 400 body.
    pub fn from_error_body(body: ErrorBody) -> SefError {
        let code = body.error_code.unwrap_or_default();
        if code == ISP_FORBIDDEN_CODE {
            SefError::IspForbidden
        } else if SENDER_MISMATCH_CODES.contains(&code.as_str()) {
            SefError::CompanyMismatch { code }
        } else {
            SefError::Rejected {
                code,
                field_name: body.field_name,
                message: body.message,
            }
        }
    }

    /// The SEF `ErrorCode`, when the error carries one.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            SefError::Rejected { code, .. } | SefError::CompanyMismatch { code } => Some(code),
            SefError::IspForbidden => Some(ISP_FORBIDDEN_CODE),
            _ => None,
        }
    }

    /// True for `UBLUploadRequestIdDuplicate` (either as a plain rejection on a first attempt,
    /// or as [`SefError::AcceptedIdsUnknown`] after a retry).
    pub fn is_request_id_duplicate(&self) -> bool {
        matches!(self, SefError::AcceptedIdsUnknown { .. })
            || self.error_code() == Some(REQUEST_ID_DUPLICATE_CODE)
    }

    /// True when the same call may succeed later unchanged (429, 5xx, timeouts): the outcome of
    /// an upload is unknown and it must be retried with the same `requestId` and bytes.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SefError::RateLimited { .. } | SefError::Unavailable { .. }
        )
    }

    /// True when every further call with this key is pointless (401/403, ISP, wrong company).
    pub fn is_key_problem(&self) -> bool {
        matches!(
            self,
            SefError::InvalidKey | SefError::IspForbidden | SefError::CompanyMismatch { .. }
        )
    }

    /// The message for a bookkeeper, Serbian (Latin script).
    pub fn message_sr(&self) -> String {
        match self {
            SefError::InvalidKey => "Ovaj API ključ nije ispravan ili je opozvan — kopirajte važeći ključ iz SEF-a, Podešavanja > API menadžment (i proverite da je API STATUS aktivan).".into(),
            SefError::IspForbidden => "Vaša firma u SEF-u ima izabranog informacionog posrednika, pa SEF ne dozvoljava rad sopstvenim API ključem. Uklonite informacionog posrednika u SEF-u ili nastavite rad preko njega.".into(),
            SefError::CompanyMismatch { .. } => "Ključ za autentifikaciju pripada drugoj firmi u SEF-u, a ne firmi koja je izdavalac dokumenta. Unesite ključ preuzet iz SEF naloga te firme.".into(),
            SefError::Rejected { code, field_name, message } => {
                let expl = explanation_sr(code)
                    .map(str::to_string)
                    .or_else(|| message.clone())
                    .unwrap_or_else(|| code.clone());
                let field = field_name.as_deref().map(|f| format!(", polje: {f}")).unwrap_or_default();
                format!("SEF je odbio zahtev: {expl} (šifra greške: {code}{field}).")
            }
            SefError::AcceptedIdsUnknown { .. } => "SEF je već primio ovaj dokument, ali nije vratio njegove identifikatore; pronaći ćemo ih automatski.".into(),
            SefError::NotFound => "SEF ne poznaje traženi dokument.".into(),
            SefError::RateLimited { .. } => "Prekoračeno je ograničenje SEF-a od 3 poziva u sekundi za ovaj ključ. Pokušaćemo ponovo automatski.".into(),
            SefError::Unavailable { .. } => "SEF trenutno nije dostupan. Pokušaćemo ponovo automatski; ništa ne morate da radite.".into(),
            SefError::Protocol { detail } => format!("SEF je poslao odgovor koji nije razumljiv: {detail}."),
            SefError::Config(d) => format!("Podešavanje SEF klijenta nije ispravno: {d}."),
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        match self {
            SefError::InvalidKey => "This API key is not valid or was revoked — copy the current key from SEF Settings > API management (and check that API STATUS is active there).".into(),
            SefError::IspForbidden => "Your company has an information service provider set in SEF, so SEF does not allow work with the company's own API key. Remove the provider in SEF or keep working through it.".into(),
            SefError::CompanyMismatch { .. } => "The authentication key belongs to a different company in SEF than the supplier of the document. Enter the key taken from that company's SEF account.".into(),
            SefError::Rejected { code, field_name, message } => {
                let expl = explanation_en(code)
                    .map(str::to_string)
                    .or_else(|| message.clone())
                    .unwrap_or_else(|| code.clone());
                let field = field_name.as_deref().map(|f| format!(", field: {f}")).unwrap_or_default();
                format!("SEF refused the request: {expl} (error code: {code}{field}).")
            }
            SefError::AcceptedIdsUnknown { .. } => "SEF already has this document but did not return its ids; they will be found automatically.".into(),
            SefError::NotFound => "SEF does not know the requested document.".into(),
            SefError::RateLimited { .. } => "SEF's limit of 3 calls per second for this key was exceeded. We will retry automatically.".into(),
            SefError::Unavailable { .. } => "SEF is currently unavailable. We will retry automatically; no action is needed.".into(),
            SefError::Protocol { detail } => format!("SEF sent an answer that could not be understood: {detail}."),
            SefError::Config(d) => format!("The SEF client configuration is not valid: {d}."),
        }
    }
}

/// Plain-language Serbian explanation of common SEF error codes (`moje-fakture.md` §6.3).
pub fn explanation_sr(code: &str) -> Option<&'static str> {
    Some(match code {
        "IssueDateCannotBeDifferentFromTodays" => "datum izdavanja mora biti današnji datum",
        "InvoiceDeliveryDateMissing" => "nedostaje datum prometa",
        "CreditNoteReductionDateMissing" => "nedostaje datum smanjenja",
        "ReceiverCompanyNotFound" => "kupac nije registrovan na SEF-u",
        "EInvoiceNumberDublicate" | "InvoiceNumberNotUnique" => "broj fakture je već iskorišćen",
        "UBLRegistrationCodeDoesNotHaveGoodLength" => {
            "matični broj mora imati 8 cifara (sa vodećim nulama)"
        }
        "UBLUnitCodeNotValid" => "jedinica mere nije sa liste SEF-a",
        "VatExemptionReasonPointOfLawNotActive" => {
            "osnov za oslobođenje od PDV-a nije važeći na datum izdavanja"
        }
        "UBLJBKJSNotDefined" => "za kupca iz javnog sektora nedostaje JBKJS",
        "UBLOrderNumberLotNumberOrContractNumberIsRequired" => {
            "za kupca iz javnog sektora potreban je broj ugovora, narudžbenice ili partije"
        }
        "InvoicePeriodDescriptionCodeNotDefined" => {
            "nedostaje oznaka datuma nastanka poreske obaveze"
        }
        "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer" => {
            "ukupan PDV se ne slaže sa zbirom PDV-a po stopama"
        }
        "UBLUploadRequestIdDuplicate" => {
            "isti identifikator zahteva je već upotrebljen za drugi dokument"
        }
        "XmlInvalid" | "UBLDocumentNotValid" => "dokument nije ispravan UBL",
        "SalesInvoiceNotFound" | "PurchaseInvoiceNotFound" => "dokument nije pronađen",
        _ => return None,
    })
}

/// Plain-language English explanation of common SEF error codes.
pub fn explanation_en(code: &str) -> Option<&'static str> {
    Some(match code {
        "IssueDateCannotBeDifferentFromTodays" => "the issue date must be today's date",
        "InvoiceDeliveryDateMissing" => "the delivery date is missing",
        "CreditNoteReductionDateMissing" => "the reduction date is missing",
        "ReceiverCompanyNotFound" => "the buyer is not registered on SEF",
        "EInvoiceNumberDublicate" | "InvoiceNumberNotUnique" => {
            "the invoice number was already used"
        }
        "UBLRegistrationCodeDoesNotHaveGoodLength" => {
            "the registration number (MB) must have 8 digits, leading zeros included"
        }
        "UBLUnitCodeNotValid" => "the unit of measure is not on SEF's list",
        "VatExemptionReasonPointOfLawNotActive" => {
            "the VAT exemption reason is not valid on the issue date"
        }
        "UBLJBKJSNotDefined" => "the JBKJS of the public-sector buyer is missing",
        "UBLOrderNumberLotNumberOrContractNumberIsRequired" => {
            "a public-sector buyer needs a contract, order or lot number"
        }
        "InvoicePeriodDescriptionCodeNotDefined" => "the VAT point date code is missing",
        "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer" => {
            "the total VAT does not equal the sum of the VAT subtotals"
        }
        "UBLUploadRequestIdDuplicate" => {
            "the same request id was already used for another document"
        }
        "XmlInvalid" | "UBLDocumentNotValid" => "the document is not valid UBL",
        "SalesInvoiceNotFound" | "PurchaseInvoiceNotFound" => "the document was not found",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_key_messages_name_the_settings_page() {
        let e = SefError::InvalidKey;
        assert!(e.message_sr().contains("Podešavanja > API menadžment"));
        assert!(e.message_en().contains("Settings > API management"));
        assert!(e.to_string().contains("not valid or was revoked"));
        assert!(e.is_key_problem());
    }

    #[test]
    fn error_body_classification() {
        let isp = SefError::from_error_body(ErrorBody {
            error_code: Some(ISP_FORBIDDEN_CODE.into()),
            ..Default::default()
        });
        assert!(matches!(isp, SefError::IspForbidden));
        let mism = SefError::from_error_body(ErrorBody {
            error_code: Some("InvalidSenderCompany".into()),
            ..Default::default()
        });
        assert!(matches!(mism, SefError::CompanyMismatch { .. }));
        let dup = SefError::from_error_body(ErrorBody {
            error_code: Some(REQUEST_ID_DUPLICATE_CODE.into()),
            message: Some("dup".into()),
            field_name: None,
        });
        assert!(dup.is_request_id_duplicate());
        assert!(!dup.is_transient());
        let r = SefError::from_error_body(ErrorBody {
            error_code: Some("ReceiverCompanyNotFound".into()),
            message: Some("Receiver not found".into()),
            field_name: Some("invoice.Buyer".into()),
        });
        assert_eq!(
            r.message_sr(),
            "SEF je odbio zahtev: kupac nije registrovan na SEF-u (šifra greške: ReceiverCompanyNotFound, polje: invoice.Buyer)."
        );
    }
}
