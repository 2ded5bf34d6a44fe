//! Receipt verification (verification-url.md §4): a verification URL checked against the
//! registry, its signature and internal data, and the receipt received by audit.

use fiskal_domain::verification_url::VerificationPayload;
use fiskal_se::authority::{decrypt_internal_data, verify_rsa_sha256};

use super::{Invalid, Suf, SufError, Verified};
use crate::store::Store;

impl<S: Store> Suf<S> {
    /// Checks a verification URL (verification-url.md §4).
    pub async fn verify(&self, vl: &str) -> Result<Result<Verified, Invalid>, SufError> {
        let payload = match VerificationPayload::decode(vl) {
            Ok(p) => p,
            Err(e) => return Ok(Err(Invalid::Damaged(e))),
        };
        let Some(signer) = self.signer(&payload.signed_by).await? else {
            return Ok(Err(Invalid::UnknownSigner(payload.signed_by.clone())));
        };
        let requester = if payload.requested_by == payload.signed_by {
            signer.clone()
        } else {
            match self.signer(&payload.requested_by).await? {
                Some(r) => r,
                None => return Ok(Err(Invalid::UnknownSigner(payload.requested_by.clone()))),
            }
        };
        let time = payload.sdc_time_ms.min(i64::MAX as u64) as i64;
        let (se, cert) = (&signer.0, &signer.1);
        if !cert.is_valid_at(time) || se.revoked_at_ms.is_some_and(|r| r <= time) {
            return Ok(Err(Invalid::CertificateNotValid));
        }
        let seller = requester.1.seller.clone();
        let signed = payload.signed_data(&seller.tin);
        if !verify_rsa_sha256(&cert.public_key_spki, &signed, &payload.signature) {
            return Ok(Err(Invalid::BadSignature));
        }
        let received = self.store.receipt(&payload.invoice_number()).await?;
        if let Some(r) = &received {
            let same = r.requested_by == payload.requested_by
                && r.transaction_type_counter == payload.transaction_type_counter
                && r.amount as u64 == payload.total_amount
                && r.sdc_time_ms as u64 == payload.sdc_time_ms
                && r.invoice_type == payload.invoice_type.code()
                && r.transaction_type == payload.transaction_type.code()
                && r.buyer_id == payload.buyer_id
                && r.signature == payload.signature;
            if !same {
                return Ok(Err(Invalid::DataDiffer));
            }
            // The internal data were decrypted and checked when the receipt arrived.
            if r.internal_data != payload.internal_data {
                return Ok(Err(Invalid::InternalData));
            }
        } else {
            let Ok(d) = decrypt_internal_data(self.keys.authority(), &payload.internal_data) else {
                return Ok(Err(Invalid::InternalData));
            };
            if d.uid.as_str() != payload.signed_by
                || d.time_ms != payload.sdc_time_ms
                || d.invoice_type != payload.invoice_type
                || d.transaction_type != payload.transaction_type
                || d.total_counter != payload.total_counter
                || d.transaction_type_counter != payload.transaction_type_counter
                || d.amount != payload.total_amount
            {
                return Ok(Err(Invalid::InternalData));
            }
        }
        Ok(Ok(Verified {
            payload,
            seller,
            received,
        }))
    }
}
