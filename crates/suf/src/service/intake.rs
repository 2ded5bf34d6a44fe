//! Audit intake (suf-backend.md §6.2): every check of a package in the spec's order, answered
//! with an [`AuditStatus`], and the storing of the verified receipt.
//!
//! Each step returns `Err(Stop::Reject(answer))` for a package it refuses and
//! `Err(Stop::Fail(error))` when the SUF itself failed (answered "retry later").

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use fiskal_domain::api::{self, Computed, InvoiceRequest, InvoiceResult};
use fiskal_domain::money::to_scaled;
use fiskal_domain::tax::{TaxRateGroup, taxes_by_category};
use fiskal_domain::verification_url::{VerificationPayload, se_header};
use fiskal_se::authority::{InternalData, decrypt_internal_data, verify_rsa_sha256};
use fiskal_se::cert::CertificateInfo;
use sha2::{Digest, Sha256};

use super::{AuditAnswer, MAX_FUTURE_MS, MAX_PAST_MS, Signer, Suf, SufError, now_ms};
use crate::package::{self, AuditPackage, AuditStatus, PackagePlain};
use crate::store::{InsertOutcome, ReceiptRecord, Store, StoreError};

/// Why the intake of a package stopped.
enum Stop {
    /// The package is refused with this answer.
    Reject(AuditAnswer),
    /// The SUF failed (storage); the PFR is told to retry later.
    Fail(SufError),
}

impl From<SufError> for Stop {
    fn from(e: SufError) -> Stop {
        Stop::Fail(e)
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Stop {
        Stop::Fail(e.into())
    }
}

/// Refuses the package with `status`.
fn reject<T>(status: AuditStatus, message: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Reject(AuditAnswer::reject(status, message)))
}

/// The receipt of a package: the request and the result the PFR returned.
struct Receipt {
    request: InvoiceRequest,
    result: InvoiceResult,
}

/// What the signature check established: the signed bytes' parts, decoded.
struct Signed {
    /// The encrypted internal data.
    internal: Vec<u8>,
    /// The SE's signature.
    signature: Vec<u8>,
    /// The total amount × 10 000.
    amount: u64,
    /// The PFR time, ms.
    time_ms: i64,
}

/// What the internal-data check established.
struct Checked {
    /// The decrypted internal data.
    data: InternalData,
    /// The tax-rate groups known at the check.
    groups: Vec<TaxRateGroup>,
    /// The taxes recomputed from the items at the PFR time, if they could be.
    computed: Option<Computed>,
}

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

    async fn audit_inner(
        &self,
        client_uid: &str,
        pkg: &AuditPackage,
        arrival_ms: i64,
    ) -> Result<AuditAnswer, SufError> {
        match self.check_and_store(client_uid, pkg, arrival_ms).await {
            Ok(()) => Ok(AuditAnswer {
                status: AuditStatus::Verified,
                message: "verified".into(),
            }),
            Err(Stop::Reject(a)) => Ok(a),
            Err(Stop::Fail(e)) => Err(e),
        }
    }

    /// Every check in the spec's order, then the store.
    async fn check_and_store(
        &self,
        client_uid: &str,
        pkg: &AuditPackage,
        arrival_ms: i64,
    ) -> Result<(), Stop> {
        let receipt = self.open_package(pkg)?;
        let (signer, signed) = self.check_signature(&receipt).await?;
        let cert = &signer.1;
        let checked = self.check_internal_data(&receipt, &signed).await?;
        check_identity(&receipt, cert, &checked.groups, client_uid)?;
        check_url_and_times(&receipt, &signed, arrival_ms)?;
        check_taxes(&receipt, checked.computed.as_ref())?;
        self.store_receipt(receipt, signed, &checked.data, arrival_ms)
            .await
    }

    /// 0: decryption, then shape.
    fn open_package(&self, pkg: &AuditPackage) -> Result<Receipt, Stop> {
        let plain = match package::open(&self.keys, pkg) {
            Ok(p) => p,
            Err(e) => return reject(AuditStatus::Invalid, e.to_string()),
        };
        let Ok(p) = serde_json::from_slice::<PackagePlain>(&plain) else {
            return reject(
                AuditStatus::Invalid,
                "the package plaintext is not a fiskal audit package",
            );
        };
        if p.version != package::PLAIN_VERSION {
            return reject(
                AuditStatus::Invalid,
                format!("package version {} is not supported", p.version),
            );
        }
        let Ok(request) = InvoiceRequest::from_value(&p.request) else {
            return reject(
                AuditStatus::Invalid,
                "the package's request is not a valid InvoiceRequest",
            );
        };
        match serde_json::from_value(p.result.clone()) {
            Ok(result) => Ok(Receipt { request, result }),
            Err(e) => reject(
                AuditStatus::Invalid,
                format!("the package's result is not a valid InvoiceResult: {e}"),
            ),
        }
    }

    /// The signer's certificate known and valid at the PFR time (6, 8), then the signature (2).
    async fn check_signature(&self, receipt: &Receipt) -> Result<(Signer, Signed), Stop> {
        let (request, result) = (&receipt.request, &receipt.result);
        let Some(signer) = self.signer(&result.signed_by).await? else {
            return reject(
                AuditStatus::IdentityMismatch,
                format!(
                    "secure element {} is not registered at this SUF",
                    result.signed_by
                ),
            );
        };
        let (se, cert) = (&signer.0, &signer.1);
        let time_ms = result.sdc_date_time.timestamp_millis();
        if time_ms < cert.not_before_ms {
            return reject(
                AuditStatus::CertificateNotYetValid,
                "the certificate was not yet issued when the receipt was signed",
            );
        }
        if time_ms > cert.not_after_ms || se.revoked_at_ms.is_some_and(|r| r <= time_ms) {
            return reject(
                AuditStatus::CertificateRevoked,
                "the certificate was revoked or expired when the receipt was signed",
            );
        }
        let (Ok(internal), Ok(signature)) = (
            B64.decode(&result.encrypted_internal_data),
            B64.decode(&result.signature),
        ) else {
            return reject(
                AuditStatus::InvalidSignature,
                "the signature or internal data are not base64",
            );
        };
        let Some(amount) = to_scaled(result.total_amount) else {
            return reject(AuditStatus::Invalid, "the total amount cannot be signed");
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
            return reject(
                AuditStatus::InvalidSignature,
                "the signature does not match the receipt",
            );
        }
        let signed = Signed {
            internal,
            signature,
            amount,
            time_ms,
        };
        Ok((signer, signed))
    }

    /// Internal data (3): decrypted and compared with the receipt, taxes recomputed from the
    /// items at the PFR time (with the categories' order ids); the payment rule is the PFR's, so
    /// only taxes and the total are compared ([`check_taxes`]).
    async fn check_internal_data(
        &self,
        receipt: &Receipt,
        signed: &Signed,
    ) -> Result<Checked, Stop> {
        let (request, result) = (&receipt.request, &receipt.result);
        let Ok(data) = decrypt_internal_data(self.keys.authority(), &signed.internal) else {
            return reject(
                AuditStatus::InvalidInternalData,
                "the internal data cannot be decrypted",
            );
        };
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
        let computed = api::compute(request, &groups, sdc_time, result.total_amount).ok();
        let tax_basis = computed
            .as_ref()
            .map(|c| c.tax_items.as_slice())
            .unwrap_or(&result.tax_items);
        let taxes: Vec<(u8, u64)> = taxes_by_category(tax_basis)
            .into_iter()
            .map(|(o, t)| (o, to_scaled(t).unwrap_or(u64::MAX)))
            .collect();
        if data.uid.as_str() != result.signed_by
            || data.time_ms != signed.time_ms as u64
            || data.invoice_type != request.invoice_type
            || data.transaction_type != request.transaction_type
            || data.total_counter != result.total_counter
            || data.transaction_type_counter != result.transaction_type_counter
            || data.amount != signed.amount
            || data.taxes != taxes
        {
            return reject(
                AuditStatus::InvalidInternalData,
                "the internal data do not match the receipt",
            );
        }
        Ok(Checked {
            data,
            groups,
            computed,
        })
    }

    /// Stores the verified receipt; the counter chain (cumulative totals following from the
    /// stored neighbours) is checked by the store inside the transaction that stores it.
    async fn store_receipt(
        &self,
        receipt: Receipt,
        signed: Signed,
        data: &InternalData,
        arrival_ms: i64,
    ) -> Result<(), Stop> {
        let Receipt { request, result } = receipt;
        let cumulative = data.cumulative_sale.saturating_add(data.cumulative_refund);
        let request_json = serde_json::to_string(&request).unwrap_or_default();
        let result_json = serde_json::to_string(&result).unwrap_or_default();
        let record = ReceiptRecord {
            invoice_number: result.invoice_number.clone(),
            signed_by: result.signed_by.clone(),
            requested_by: result.requested_by.clone(),
            total_counter: result.total_counter,
            transaction_type_counter: result.transaction_type_counter,
            sdc_time_ms: signed.time_ms,
            amount: signed.amount as i64,
            invoice_type: request.invoice_type.code(),
            transaction_type: request.transaction_type.code(),
            buyer_id: request.buyer_id.clone(),
            cumulative_total: cumulative as i64,
            internal_data: signed.internal,
            signature: signed.signature,
            content_hash: content_hash(&request_json, &result_json),
            request_json,
            result_json,
            received_ms: arrival_ms,
        };
        match self.store.insert_receipt(&record).await? {
            InsertOutcome::Inserted | InsertOutcome::Duplicate => {}
            InsertOutcome::Conflict => {
                return reject(
                    AuditStatus::Invalid,
                    "a different receipt with this invoice number or counter is already stored",
                );
            }
            InsertOutcome::ChainBroken => {
                return reject(
                    AuditStatus::Invalid,
                    "the cumulative totals do not follow from the neighbouring receipts",
                );
            }
        }
        self.issue_proofs_after_package(&result.signed_by).await?;
        Ok(())
    }
}

/// MRC (24), tax group and labels (5, 69), payment (71), TIN, UIDs and invoice number (72).
fn check_identity(
    receipt: &Receipt,
    cert: &CertificateInfo,
    groups: &[TaxRateGroup],
    client_uid: &str,
) -> Result<(), Stop> {
    let (request, result) = (&receipt.request, &receipt.result);
    if !result.mrc.as_deref().is_some_and(mrc_ok) {
        return reject(
            AuditStatus::InvalidMrc,
            "the MRC is missing or not in the form XX-XXXX-serial",
        );
    }
    let Some(group) = groups
        .iter()
        .find(|g| g.group_id == result.tax_group_revision)
    else {
        return reject(
            AuditStatus::UnknownTaxGroup,
            format!("tax group {} is unknown", result.tax_group_revision),
        );
    };
    for t in &result.tax_items {
        let mut cs = t.label.chars();
        let ok = match (cs.next(), cs.next()) {
            (Some(c), None) => group.label(c).is_some(),
            _ => false,
        };
        if !ok {
            return reject(
                AuditStatus::UnknownTaxLabel,
                format!("tax label {} is not in group {}", t.label, group.group_id),
            );
        }
    }
    if request.payment.is_empty() {
        return reject(AuditStatus::NoPayment, "the receipt has no payment");
    }
    if result.tin != cert.seller.tin
        || result.requested_by != result.signed_by
        || result.signed_by != client_uid
    {
        return reject(
            AuditStatus::IdentityMismatch,
            "TIN, signedBy or requestedBy do not match the secure element",
        );
    }
    let expected_number = format!(
        "{}-{}-{}",
        result.requested_by, result.signed_by, result.total_counter
    );
    if result.invoice_number != expected_number {
        return reject(
            AuditStatus::IdentityMismatch,
            "the invoice number does not match the UIDs and the counter",
        );
    }
    Ok(())
}

/// Verification URL (78), time window (73, 75) and reference time (74).
fn check_url_and_times(receipt: &Receipt, signed: &Signed, arrival_ms: i64) -> Result<(), Stop> {
    let (request, result) = (&receipt.request, &receipt.result);
    let time_ms = signed.time_ms;
    let url_ok = VerificationPayload::decode(&result.verification_url).is_ok_and(|u| {
        u.requested_by == result.requested_by
            && u.signed_by == result.signed_by
            && u.total_counter == result.total_counter
            && u.transaction_type_counter == result.transaction_type_counter
            && u.total_amount == signed.amount
            && u.sdc_time_ms == time_ms as u64
            && u.invoice_type == request.invoice_type
            && u.transaction_type == request.transaction_type
            && u.buyer_id == request.buyer_id
            && u.internal_data == signed.internal
            && u.signature == signed.signature
    });
    if !url_ok {
        return reject(
            AuditStatus::InvalidVerificationUrl,
            "the verification URL is missing or does not match the receipt",
        );
    }
    if time_ms > arrival_ms + MAX_FUTURE_MS {
        return reject(
            AuditStatus::TimeInFuture,
            "the PFR time is too far in the future",
        );
    }
    if time_ms < arrival_ms - MAX_PAST_MS {
        return reject(
            AuditStatus::TimeTooOld,
            "the PFR time is too far in the past",
        );
    }
    if let Some(rt) = request.referent_document_dt
        && rt.timestamp_millis() > time_ms + MAX_FUTURE_MS
    {
        return reject(
            AuditStatus::ReferenceTimeAfterPfrTime,
            "the reference time is after the PFR time",
        );
    }
    Ok(())
}

/// Taxes recomputed from the items (0): total and every tax item as the PFR returned them.
fn check_taxes(receipt: &Receipt, computed: Option<&Computed>) -> Result<(), Stop> {
    let result = &receipt.result;
    let same_taxes = |c: &Computed| {
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
    if !computed.is_some_and(same_taxes) {
        return reject(AuditStatus::Invalid, "the taxes do not match the items");
    }
    Ok(())
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
