//! The invoice use case: look a receipt up, sign a new one, and build its result.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use fiskal_domain::api::{self, Computed, FieldError, InvoiceRequest, InvoiceResult};
use fiskal_domain::counter::{InvoiceCounter, Uid};
use fiskal_domain::gsc::Gsc;
use fiskal_domain::journal::{AdvanceSettlement, JournalInput};
use fiskal_domain::kinds::{InvoiceType, TransactionType};
use fiskal_domain::money::round4;
use fiskal_domain::time::{from_millis, to_belgrade};
use fiskal_domain::verification_url::VerificationPayload;
use fiskal_se::SignedInvoice;
use rust_decimal::Decimal;
use tokio::sync::oneshot;

use super::{Job, Lang, Lpfr, PfrError, Settings, audit_warning_message, b64, success_message};
use crate::store::{NewReceipt, PendingRow};

/// Applies the request's output options to its result (no journal text, no QR image) and adds
/// the QR image when it is asked for and not drawn yet.
pub async fn apply_output_options(
    mut result: InvoiceResult,
    req: &InvoiceRequest,
) -> Result<InvoiceResult, PfrError> {
    if req.options.omit_textual_representation {
        result.journal = None;
    }
    if req.options.omit_qr_code_gen {
        result.verification_q_r_code = None;
    } else if result.verification_q_r_code.is_none() {
        let url = result.verification_url.clone();
        let gif = tokio::task::spawn_blocking(move || super::qr::gif_base64(&url))
            .await
            .map_err(|e| PfrError::Internal(e.to_string()))?
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        result.verification_q_r_code = Some(gif);
    }
    Ok(result)
}

/// Builds the invoice result of a signed request (without the QR image).
pub fn build_result(
    settings: &Settings,
    uid: &Uid,
    req: &InvoiceRequest,
    computed: &Computed,
    signed: &SignedInvoice,
    advance: Option<&AdvanceSettlement>,
    lang: Lang,
) -> InvoiceResult {
    let sdc_time: DateTime<Utc> = from_millis(signed.time_ms as i64).unwrap_or_else(Utc::now);
    let counter = InvoiceCounter {
        transaction_type_counter: signed.transaction_type_counter,
        total_counter: signed.total_counter,
        kind: req.kind(),
    };
    let invoice_number = format!("{uid}-{uid}-{}", signed.total_counter);
    let payload = VerificationPayload {
        requested_by: uid.to_string(),
        signed_by: uid.to_string(),
        total_counter: signed.total_counter,
        transaction_type_counter: signed.transaction_type_counter,
        total_amount: signed.amount,
        sdc_time_ms: signed.time_ms,
        invoice_type: req.invoice_type,
        transaction_type: req.transaction_type,
        buyer_id: req.buyer_id.clone(),
        internal_data: signed.internal_data.clone(),
        signature: signed.signature.clone(),
    };
    let verification_url = payload.encode(&settings.verification_url_prefix);
    let counter_text = counter.to_string();
    let journal = fiskal_domain::journal::render(&JournalInput {
        seller: &settings.seller,
        request: req,
        tax_items: &computed.tax_items,
        total_amount: computed.total_amount,
        sdc_time,
        invoice_number: &invoice_number,
        invoice_counter: &counter_text,
        advance: advance.cloned(),
    });
    let s = &settings.seller;
    InvoiceResult {
        requested_by: uid.to_string(),
        signed_by: uid.to_string(),
        sdc_date_time: to_belgrade(sdc_time),
        invoice_counter: counter_text,
        invoice_counter_extension: req.kind().extension(),
        invoice_number,
        tax_items: computed.tax_items.clone(),
        verification_url,
        verification_q_r_code: None,
        journal: Some(journal),
        messages: success_message(lang),
        signature: b64(&signed.signature),
        encrypted_internal_data: b64(&signed.internal_data),
        total_counter: signed.total_counter,
        transaction_type_counter: signed.transaction_type_counter,
        total_amount: computed.total_amount,
        tax_group_revision: computed.tax_group_revision,
        business_name: s.business_name.clone(),
        tin: s.tin.clone(),
        location_name: s.location_name.clone(),
        address: s.address.clone(),
        district: s.district.clone(),
        mrc: Some(settings.mrc.clone()),
    }
}

fn se_output_bytes(s: &SignedInvoice) -> Vec<u8> {
    s.to_bytes().unwrap_or_default()
}

impl Lpfr {
    pub(super) fn new_receipt(
        &self,
        req: &InvoiceRequest,
        row: &PendingRow,
        result: &InvoiceResult,
        signed: &SignedInvoice,
    ) -> Result<NewReceipt, PfrError> {
        Ok(NewReceipt {
            total_counter: signed.total_counter,
            uid: self.inner.uid.to_string(),
            invoice_number: result.invoice_number.clone(),
            request_id: row.request_id.clone(),
            kind: req.kind().extension(),
            sdc_time_ms: signed.time_ms as i64,
            amount: result.total_amount.to_string(),
            request_json: row.request_json.clone(),
            result_json: serde_json::to_string(result)
                .map_err(|e| PfrError::Internal(e.to_string()))?,
            se_output: se_output_bytes(signed),
        })
    }

    /// The advance settlement of a closing Normal Sale whose reference is an Advance Refund in
    /// this journal (receipt.md §4).
    pub(super) async fn advance_for(
        &self,
        req: &InvoiceRequest,
    ) -> Result<Option<AdvanceSettlement>, PfrError> {
        if req.invoice_type != InvoiceType::Normal || req.transaction_type != TransactionType::Sale
        {
            return Ok(None);
        }
        let Some(r) = &req.referent_document_number else {
            return Ok(None);
        };
        let Some(stored) = self.inner.journal.by_invoice_number(r).await? else {
            return Ok(None);
        };
        let Ok(res) = serde_json::from_str::<InvoiceResult>(&stored.result_json) else {
            return Ok(None);
        };
        if res.invoice_counter_extension != "АР" {
            return Ok(None);
        }
        let tax: Decimal = res.tax_items.iter().map(|t| t.amount).sum();
        Ok(Some(AdvanceSettlement {
            paid_by_advance: res.total_amount,
            advance_tax: round4(tax),
        }))
    }

    /// `GET /api/v3/invoices/{requestId}`: the stored result, or `None`.
    pub async fn invoice_by_request_id(
        &self,
        request_id: &str,
    ) -> Result<Option<(InvoiceResult, InvoiceRequest)>, PfrError> {
        check_request_id(request_id)?;
        let Some(stored) = self
            .inner
            .journal
            .by_request_id(self.inner.uid.as_str(), request_id)
            .await?
        else {
            return Ok(None);
        };
        let result: InvoiceResult = serde_json::from_str(&stored.result_json)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        let req: InvoiceRequest = serde_json::from_str(&stored.request_json)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        Ok(Some((result, req)))
    }

    /// `POST /api/v3/invoices`: checks, signs, journals and returns the result (journal text
    /// included; the caller applies the output options with [`apply_output_options`]).
    pub async fn create_invoice(
        &self,
        body: &[u8],
        request_id: Option<String>,
        lang: Lang,
    ) -> Result<(InvoiceResult, InvoiceRequest), PfrError> {
        if let Some(g) = self.state_error() {
            return Err(PfrError::State(g));
        }
        if self.inner.poisoned.load(Ordering::SeqCst) {
            return Err(PfrError::Internal(
                "the journal failed; restart the L-PFR".into(),
            ));
        }
        let req = InvoiceRequest::from_json(body).map_err(PfrError::Fields)?;
        if let Some(id) = &request_id {
            check_request_id(id)?;
            if let Some(found) = self.existing(id, &req).await? {
                return Ok(found);
            }
        }
        let advance = self.advance_for(&req).await?;
        let paid = advance
            .as_ref()
            .map(|a| a.paid_by_advance)
            .unwrap_or_default();
        // Check against the rates in force now; the signer repeats it at the exact PFR time.
        api::compute(&req, &self.settings().tax_rate_groups, Utc::now(), paid)
            .map_err(PfrError::Fields)?;
        let (tx, rx) = oneshot::channel();
        let job = Job {
            request: req.clone(),
            computed_advance: advance,
            request_id,
            lang,
            reply: tx,
        };
        self.inner
            .jobs
            .send(job)
            .await
            .map_err(|_| PfrError::Internal("the signer stopped".into()))?;
        let mut result = rx
            .await
            .map_err(|_| PfrError::Internal("the signer dropped the request".into()))??;
        if self.snapshot().amount.audit_required() {
            result.messages = audit_warning_message(&result.messages, lang);
        }
        Ok((result, req))
    }

    pub(super) async fn existing(
        &self,
        id: &str,
        req: &InvoiceRequest,
    ) -> Result<Option<(InvoiceResult, InvoiceRequest)>, PfrError> {
        let Some(stored) = self
            .inner
            .journal
            .by_request_id(self.inner.uid.as_str(), id)
            .await?
        else {
            return Ok(None);
        };
        if stored.request_json != req.canonical_json() {
            return Err(PfrError::Fields(vec![FieldError {
                property: "RequestId".into(),
                code: Gsc::InvalidValue,
            }]));
        }
        let result: InvoiceResult = serde_json::from_str(&stored.result_json)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        Ok(Some((result, req.clone())))
    }
}

/// The longest `RequestId` the PFR takes (characters).
pub const MAX_REQUEST_ID_CHARS: usize = 32;

/// A `RequestId` over [`MAX_REQUEST_ID_CHARS`] is refused with 2801 (field too long) on property `RequestId`,
/// when a receipt is asked for as when one is created.
fn check_request_id(id: &str) -> Result<(), PfrError> {
    if id.chars().count() > MAX_REQUEST_ID_CHARS {
        return Err(PfrError::Fields(vec![FieldError {
            property: "RequestId".into(),
            code: Gsc::FieldTooLong,
        }]));
    }
    Ok(())
}
