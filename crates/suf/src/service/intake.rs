//! Audit intake (suf-backend.md §6.2): every check of a package in the spec's order, answered
//! with an [`AuditStatus`], and the storing of the verified receipt.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use fiskal_domain::api::{self, InvoiceRequest, InvoiceResult};
use fiskal_domain::money::to_scaled;
use fiskal_domain::tax::taxes_by_category;
use fiskal_domain::verification_url::{VerificationPayload, se_header};
use fiskal_se::authority::{decrypt_internal_data, verify_rsa_sha256};
use sha2::{Digest, Sha256};

use super::{AuditAnswer, MAX_FUTURE_MS, MAX_PAST_MS, Suf, SufError, now_ms};
use crate::package::{self, AuditPackage, AuditStatus, PackagePlain};
use crate::store::{InsertOutcome, ReceiptRecord, Store};

impl<S: Store> Suf<S> {
    /// Checks and stores one audit package sent by SE `client_uid` (suf-backend.md §6.2, checks in
    /// the spec's order). Status 1 means "retry later" (storage failure).
    pub async fn audit_package(&self, client_uid: &str, pkg: &AuditPackage) -> AuditAnswer {
        match self.audit_inner(client_uid, pkg, now_ms()).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "audit package could not be stored now");
                AuditAnswer::reject(
                    AuditStatus::RetryLater,
                    "the SUF cannot store the package now; send it again later",
                )
            }
        }
    }

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    async fn audit_inner(
        &self,
        client_uid: &str,
        pkg: &AuditPackage,
        arrival_ms: i64,
    ) -> Result<AuditAnswer, SufError> {
        use AuditAnswer as A;
        // 0: decryption, then shape.
        let plain = match package::open(&self.keys, pkg) {
            Ok(p) => p,
            Err(e) => return Ok(A::reject(AuditStatus::Invalid, e.to_string())),
        };
        let Ok(p) = serde_json::from_slice::<PackagePlain>(&plain) else {
            return Ok(A::reject(
                AuditStatus::Invalid,
                "the package plaintext is not a fiskal audit package",
            ));
        };
        if p.version != package::PLAIN_VERSION {
            return Ok(A::reject(
                AuditStatus::Invalid,
                format!("package version {} is not supported", p.version),
            ));
        }
        let Ok(request) = InvoiceRequest::from_value(&p.request) else {
            return Ok(A::reject(
                AuditStatus::Invalid,
                "the package's request is not a valid InvoiceRequest",
            ));
        };
        let result: InvoiceResult = match serde_json::from_value(p.result.clone()) {
            Ok(r) => r,
            Err(e) => {
                return Ok(A::reject(
                    AuditStatus::Invalid,
                    format!("the package's result is not a valid InvoiceResult: {e}"),
                ));
            }
        };
        // Signer certificate known and valid at PFR time (6, 8).
        let Some(signer) = self.signer(&result.signed_by).await? else {
            return Ok(A::reject(
                AuditStatus::IdentityMismatch,
                format!(
                    "secure element {} is not registered at this SUF",
                    result.signed_by
                ),
            ));
        };
        let (se, cert) = (&signer.0, &signer.1);
        let time_ms = result.sdc_date_time.timestamp_millis();
        if time_ms < cert.not_before_ms {
            return Ok(A::reject(
                AuditStatus::CertificateNotYetValid,
                "the certificate was not yet issued when the receipt was signed",
            ));
        }
        if time_ms > cert.not_after_ms || se.revoked_at_ms.is_some_and(|r| r <= time_ms) {
            return Ok(A::reject(
                AuditStatus::CertificateRevoked,
                "the certificate was revoked or expired when the receipt was signed",
            ));
        }
        // Signature (2).
        let (Ok(internal), Ok(signature)) = (
            B64.decode(&result.encrypted_internal_data),
            B64.decode(&result.signature),
        ) else {
            return Ok(A::reject(
                AuditStatus::InvalidSignature,
                "the signature or internal data are not base64",
            ));
        };
        let Some(amount) = to_scaled(result.total_amount) else {
            return Ok(A::reject(
                AuditStatus::Invalid,
                "the total amount cannot be signed",
            ));
        };
        let mut signed = se_header(
            time_ms.max(0) as u64,
            &cert.seller.tin,
            request.buyer_id.as_deref(),
            request.invoice_type,
            request.transaction_type,
            amount,
            result.transaction_type_counter,
            result.total_counter,
        )
        .to_vec();
        signed.extend_from_slice(&internal);
        if !verify_rsa_sha256(&cert.public_key_spki, &signed, &signature) {
            return Ok(A::reject(
                AuditStatus::InvalidSignature,
                "the signature does not match the receipt",
            ));
        }
        // Internal data (3).
        let Ok(data) = decrypt_internal_data(self.keys.authority(), &internal) else {
            return Ok(A::reject(
                AuditStatus::InvalidInternalData,
                "the internal data cannot be decrypted",
            ));
        };
        // Taxes recomputed from the items at the PFR time (with the categories' order ids); the
        // payment rule is the PFR's, so only taxes and the total are compared (status 0 below).
        let mut groups = self.tax_groups();
        if !groups
            .iter()
            .any(|g| g.group_id == result.tax_group_revision)
        {
            // Another SUF process on the same database may have announced it since we loaded.
            self.load_admin_state().await?;
            groups = self.tax_groups();
        }
        let sdc_time = result.sdc_date_time.with_timezone(&Utc);
        let computed = api::compute(&request, &groups, sdc_time, result.total_amount).ok();
        let tax_basis = computed
            .as_ref()
            .map(|c| c.tax_items.as_slice())
            .unwrap_or(&result.tax_items);
        let taxes: Vec<(u8, u64)> = taxes_by_category(tax_basis)
            .into_iter()
            .map(|(o, t)| (o, to_scaled(t).unwrap_or(u64::MAX)))
            .collect();
        if data.uid.as_str() != result.signed_by
            || data.time_ms != time_ms as u64
            || data.invoice_type != request.invoice_type
            || data.transaction_type != request.transaction_type
            || data.total_counter != result.total_counter
            || data.transaction_type_counter != result.transaction_type_counter
            || data.amount != amount
            || data.taxes != taxes
        {
            return Ok(A::reject(
                AuditStatus::InvalidInternalData,
                "the internal data do not match the receipt",
            ));
        }
        // MRC (24).
        if !result.mrc.as_deref().is_some_and(mrc_ok) {
            return Ok(A::reject(
                AuditStatus::InvalidMrc,
                "the MRC is missing or not in the form XX-XXXX-serial",
            ));
        }
        // Tax group and labels (5, 69).
        let Some(group) = groups
            .iter()
            .find(|g| g.group_id == result.tax_group_revision)
        else {
            return Ok(A::reject(
                AuditStatus::UnknownTaxGroup,
                format!("tax group {} is unknown", result.tax_group_revision),
            ));
        };
        for t in &result.tax_items {
            let mut cs = t.label.chars();
            let ok = match (cs.next(), cs.next()) {
                (Some(c), None) => group.label(c).is_some(),
                _ => false,
            };
            if !ok {
                return Ok(A::reject(
                    AuditStatus::UnknownTaxLabel,
                    format!("tax label {} is not in group {}", t.label, group.group_id),
                ));
            }
        }
        // Payment (71).
        if request.payment.is_empty() {
            return Ok(A::reject(
                AuditStatus::NoPayment,
                "the receipt has no payment",
            ));
        }
        // TIN and UIDs (72).
        if result.tin != cert.seller.tin
            || result.requested_by != result.signed_by
            || result.signed_by != client_uid
        {
            return Ok(A::reject(
                AuditStatus::IdentityMismatch,
                "TIN, signedBy or requestedBy do not match the secure element",
            ));
        }
        let expected_number = format!(
            "{}-{}-{}",
            result.requested_by, result.signed_by, result.total_counter
        );
        if result.invoice_number != expected_number {
            return Ok(A::reject(
                AuditStatus::IdentityMismatch,
                "the invoice number does not match the UIDs and the counter",
            ));
        }
        // Verification URL (78).
        let url_ok = VerificationPayload::decode(&result.verification_url).is_ok_and(|u| {
            u.requested_by == result.requested_by
                && u.signed_by == result.signed_by
                && u.total_counter == result.total_counter
                && u.transaction_type_counter == result.transaction_type_counter
                && u.total_amount == amount
                && u.sdc_time_ms == time_ms as u64
                && u.invoice_type == request.invoice_type
                && u.transaction_type == request.transaction_type
                && u.buyer_id == request.buyer_id
                && u.internal_data == internal
                && u.signature == signature
        });
        if !url_ok {
            return Ok(A::reject(
                AuditStatus::InvalidVerificationUrl,
                "the verification URL is missing or does not match the receipt",
            ));
        }
        // Time window (73, 75) and reference time (74).
        if time_ms > arrival_ms + MAX_FUTURE_MS {
            return Ok(A::reject(
                AuditStatus::TimeInFuture,
                "the PFR time is too far in the future",
            ));
        }
        if time_ms < arrival_ms - MAX_PAST_MS {
            return Ok(A::reject(
                AuditStatus::TimeTooOld,
                "the PFR time is too far in the past",
            ));
        }
        if let Some(rt) = request.referent_document_dt
            && rt.timestamp_millis() > time_ms + MAX_FUTURE_MS
        {
            return Ok(A::reject(
                AuditStatus::ReferenceTimeAfterPfrTime,
                "the reference time is after the PFR time",
            ));
        }
        // Taxes recomputed (0).
        let same_taxes = |c: &api::Computed| {
            c.total_amount == result.total_amount
                && c.tax_items.len() == result.tax_items.len()
                && c.tax_items.iter().zip(&result.tax_items).all(|(a, b)| {
                    a.label == b.label
                        && a.amount == b.amount
                        && a.rate == b.rate
                        && a.category_type == b.category_type
                        && a.category_name == b.category_name
                })
        };
        if !computed.as_ref().is_some_and(same_taxes) {
            return Ok(A::reject(
                AuditStatus::Invalid,
                "the taxes do not match the items",
            ));
        }
        // The counter chain (cumulative totals following from the stored neighbours) is checked
        // by the store inside the transaction that stores the receipt.
        let cumulative = data.cumulative_sale.saturating_add(data.cumulative_refund);
        let request_json = serde_json::to_string(&request).unwrap_or_default();
        let result_json = serde_json::to_string(&result).unwrap_or_default();
        let record = ReceiptRecord {
            invoice_number: result.invoice_number.clone(),
            signed_by: result.signed_by.clone(),
            requested_by: result.requested_by.clone(),
            total_counter: result.total_counter,
            transaction_type_counter: result.transaction_type_counter,
            sdc_time_ms: time_ms,
            amount: amount as i64,
            invoice_type: request.invoice_type.code(),
            transaction_type: request.transaction_type.code(),
            buyer_id: request.buyer_id.clone(),
            cumulative_total: cumulative as i64,
            internal_data: internal,
            signature,
            content_hash: content_hash(&request_json, &result_json),
            request_json,
            result_json,
            received_ms: arrival_ms,
        };
        match self.store.insert_receipt(&record).await? {
            InsertOutcome::Inserted | InsertOutcome::Duplicate => {}
            InsertOutcome::Conflict => {
                return Ok(A::reject(
                    AuditStatus::Invalid,
                    "a different receipt with this invoice number or counter is already stored",
                ));
            }
            InsertOutcome::ChainBroken => {
                return Ok(A::reject(
                    AuditStatus::Invalid,
                    "the cumulative totals do not follow from the neighbouring receipts",
                ));
            }
        }
        self.issue_proofs_after_package(&result.signed_by).await?;
        Ok(AuditAnswer {
            status: AuditStatus::Verified,
            message: "verified".into(),
        })
    }
}

/// SHA-256 (hex) of the normalised request and result JSON.
fn content_hash(request_json: &str, result_json: &str) -> String {
    let mut h = Sha256::new();
    h.update(request_json.as_bytes());
    h.update([0u8]);
    h.update(result_json.as_bytes());
    hex::encode(h.finalize())
}

fn mrc_ok(mrc: &str) -> bool {
    let mut parts = mrc.splitn(3, '-');
    let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let an = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|x| x.is_ascii_uppercase() || x.is_ascii_digit())
    };
    an(a, 2)
        && an(b, 4)
        && !c.is_empty()
        && c.chars().count() <= 32
        && !c.chars().any(char::is_control)
}
