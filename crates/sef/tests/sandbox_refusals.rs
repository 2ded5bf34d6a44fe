//! Uploads the sandbox refuses as SEF does (`sef-api.md` §4.3, §13 scenarios 6 and 10): the
//! document's content (fiskal's validator) and the sandbox's state.

use chrono::{DateTime, NaiveDate};
use fiskal_sef::sandbox::{SandboxConfig, SandboxSettings};
use fiskal_sef::{SalesInvoiceStatus, SefError, UblUpload, new_request_id};
use fiskal_ubl::samples::*;
use fiskal_ubl::{Document, to_xml};

mod common;
use common::*;

#[tokio::test]
async fn uploads_are_refused_like_sef() {
    let (h, sk, bk) = setup().await;
    let c = client(&h, &sk);
    let send = |xml: Vec<u8>| {
        let c = c.clone();
        async move {
            c.send_ubl(&UblUpload::new(xml, new_request_id()))
                .await
                .unwrap_err()
        }
    };
    assert_eq!(
        code(&send(b"<Invoice><oops></Invoice>".to_vec()).await),
        "XmlInvalid"
    );
    assert_eq!(
        code(&send(b"<Order xmlns=\"urn:x\"/>".to_vec()).await),
        "UBLUnsupportedDocumentType"
    );
    // Scenario 6: IssueDate is not the sandbox's today.
    let e = send(
        INVOICE
            .replace("<cbc:IssueDate>2026-11-25", "<cbc:IssueDate>2026-11-24")
            .replace(
                "2026-11-24</cbc:ActualDeliveryDate>",
                "2026-11-23</cbc:ActualDeliveryDate>",
            )
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&e), "IssueDateCannotBeDifferentFromTodays");
    assert!(
        e.message_sr()
            .contains("datum izdavanja mora biti današnji datum")
    );
    // Delivery date after the issue date.
    let e = send(
        INVOICE
            .replace(
                "2026-11-24</cbc:ActualDeliveryDate>",
                "2026-11-26</cbc:ActualDeliveryDate>",
            )
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&e), "UBLDeliveryDateMustNotBeLatterThanIssueDate");
    // Unknown buyer (valid PIB, not registered) and a wrong check digit.
    let e = send(INVOICE.replace(BUYER, "190000037").into_bytes()).await;
    assert_eq!(code(&e), "ReceiverCompanyNotFound");
    let e = send(INVOICE.replace(BUYER, "190000028").into_bytes()).await;
    assert_eq!(code(&e), "ReceiverCompanyNotFound");
    // Totals that do not add up.
    let e = send(
        INVOICE
            .replace(">5450.00</cbc:TaxAmount>", ">5451.00</cbc:TaxAmount>")
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&e), "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer");
    // MB without its 8 digits.
    let e = send(INVOICE.replace(">99000028<", ">9900028<").into_bytes()).await;
    assert_eq!(code(&e), "UBLRegistrationCodeDoesNotHaveGoodLength");
    // Unit code not in the list.
    let e = send(
        INVOICE
            .replacen("unitCode=\"", "unitCode=\"XX", 1)
            .into_bytes(),
    )
    .await;
    assert_eq!(code(&e), "UBLUnitCodeNotValid");
    // The buyer's key sending a document whose supplier is another company.
    let b = client(&h, &bk);
    let e = b
        .send_ubl(&UblUpload::new(invoice("F-X"), new_request_id()))
        .await
        .unwrap_err();
    assert!(matches!(e, SefError::CompanyMismatch { .. }), "{e:?}");
    assert!(e.is_key_problem());
    // Duplicate number.
    c.send_ubl(&UblUpload::new(invoice("F-D"), new_request_id()))
        .await
        .unwrap();
    assert_eq!(code(&send(invoice("F-D")).await), "EInvoiceNumberDublicate");
    assert_eq!(h.sandbox().documents().await.len(), 1);
    // A company with an information service provider.
    h.sandbox()
        .update_company(SUPPLIER, serde_json::json!({ "isp": true }))
        .await
        .unwrap();
    let e = c.check_key().await.unwrap_err();
    assert!(matches!(e, SefError::IspForbidden), "{e:?}");
    assert!(e.message_sr().contains("informacionog posrednika"));
}

#[tokio::test]
async fn credit_note_needs_a_known_source_invoice() {
    let (h, sk, _) = setup().await;
    let c = client(&h, &sk);
    h.sandbox().advance(2 * 86_400).await; // the credit note is dated 2026-11-27
    let e = c
        .send_ubl(&UblUpload::new(
            CREDIT_NOTE.as_bytes().to_vec(),
            new_request_id(),
        ))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UBLSourceInvoiceNotFound");
    // Send the invoice on its day, then the credit note two days later.
    h.sandbox()
        .set_now(DateTime::parse_from_rfc3339("2026-11-25T10:00:00+01:00").unwrap())
        .await;
    c.send_ubl(&UblUpload::new(
        INVOICE.as_bytes().to_vec(),
        new_request_id(),
    ))
    .await
    .unwrap();
    h.sandbox().advance(2 * 86_400).await;
    let ids = c
        .send_ubl(&UblUpload::new(
            CREDIT_NOTE.as_bytes().to_vec(),
            new_request_id(),
        ))
        .await
        .unwrap();
    let docs = h.sandbox().documents().await;
    let cn = docs
        .iter()
        .find(|d| d.sales_id == ids.sales_invoice_id)
        .unwrap();
    assert_eq!(cn.type_code, "381");
}

/// The codes of §4.3 that depend on the sandbox's state: who is registered, what was sent
/// before, `sendToCir`. (Content codes: `sandbox_codes.rs`.)
#[tokio::test]
async fn state_codes_of_uploads() {
    let (h, sk, _) = setup_with(SandboxConfig {
        settings: SandboxSettings {
            rate_limit_per_second: 0,
            ..SandboxSettings::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    register_budget_buyer(&h).await;
    let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let up = |query: &'static str, doc: Document| upload_code(&h, &sk, query, to_xml(&doc));
    // A supplier that is not registered at all, next to one that is (another company's).
    let mut x = spec_invoice_380(d);
    let s = x.supplier.as_mut().unwrap();
    s.endpoint_id = Some("190000045".into());
    s.tax_schemes[0].company_id = Some("RS190000045".into());
    assert_eq!(up("", x).await, "SenderCompanyNotFound");
    // sendToCir: required for a budget user, Yes or No, never for these documents.
    let budget = sample_budget_invoice("F-B-1", d);
    assert_eq!(
        up("", budget.clone()).await,
        "SendToCirParameterMustBeDefinedForBudgetUser"
    );
    assert_eq!(up("&sendToCir=Maybe", budget).await, "InvalidSendToCirMode");
    let adv = sample_advance_invoice("A-C-1", d);
    assert_eq!(
        up("&sendToCir=Yes", adv).await,
        "CannotSendPrepaymentInvoiceToCir"
    );
    let cn = sample_credit_note("O-C-1", d, "F-2026-0142", d);
    assert_eq!(
        up("&sendToCir=Yes", cn).await,
        "CannotSendCreditInvoiceToCir"
    );
    let debit = sample_debit_note("P-C-1", d, "F-2026-0142", d);
    assert_eq!(
        up("&sendToCir=Yes", debit).await,
        "CannotSendDebitNoteToCir"
    );
    let mut eur = spec_invoice_380(d);
    eur.currency = Some("EUR".into());
    eur.tax_totals[0].currency = Some("EUR".into());
    assert_eq!(
        up("&sendToCir=Yes", eur).await,
        "CannotSendToCirDocumentWithForeignCurrency"
    );
    // A final invoice whose advance was never sent.
    let adv = sample_advance_invoice(
        "A-2026-0009",
        NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
    );
    let fin = sample_final_invoice("F-2026-0150", d, &adv);
    assert_eq!(up("", fin).await, "UBLPrepaymentInvoiceNotFound");
    // A credit note for an invoice that was cancelled.
    assert_eq!(up("", spec_invoice_380(d)).await, "");
    let sent = h.sandbox().documents().await[0].sales_id;
    h.sandbox()
        .force_status(sent, SalesInvoiceStatus::Cancelled)
        .await
        .unwrap();
    let cn = sample_credit_note("O-C-2", d, "F-2026-0142", d);
    assert_eq!(up("", cn).await, "UBLSourceInvoiceUnallowedStatus");
    assert_eq!(h.sandbox().documents().await.len(), 1);
}
