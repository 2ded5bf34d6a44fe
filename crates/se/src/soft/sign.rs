//! Signing: checking each request against a tentative state, encrypting its internal data,
//! RSA signatures on two threads, and persisting the group before the signatures are returned.

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use fiskal_domain::kinds::TransactionType;
use zeroize::Zeroizing;

use super::state::{Dynamic, SoftSe, type_key};
use super::{MAX_CATEGORIES, RECENT_SIGNED_MAX};
use crate::authority::InternalData;
use crate::{MAX_AMOUNT_7, SeError, SignRequest, SignedInvoice};

/// A signing step prepared under the tentative state, waiting for its signature.
struct Prepared {
    invoice: SignedInvoice,
    signed_data: Vec<u8>,
}

impl SoftSe {
    /// Checks one request against the tentative state `d` (secure-element.md §8.2 order) and
    /// applies it: counters, sums, internal data.
    fn prepare(&self, d: &mut Dynamic, req: &SignRequest) -> Result<Prepared, SeError> {
        if !self.pin_verified {
            return Err(SeError::PinRequired);
        }
        if d.pin_tries_left == 0 {
            return Err(SeError::Locked);
        }
        if !d.signing_enabled {
            return Err(SeError::SigningDisabled);
        }
        if d.unaudited_sum >= d.limit {
            return Err(SeError::LimitReached);
        }
        if req.tin != self.fixed.tin {
            return Err(SeError::BadData(format!(
                "the TIN {:?} is not the secure element's TIN {:?}",
                req.tin, self.fixed.tin
            )));
        }
        if req.time_ms < d.last_signed_time {
            return Err(SeError::ClockBehind);
        }
        let t = i64::try_from(req.time_ms).map_err(|_| SeError::CertificateNotValidAt)?;
        if !self.cert_info.is_valid_at(t) {
            return Err(SeError::CertificateNotValidAt);
        }
        if req.taxes.len() > MAX_CATEGORIES {
            return Err(SeError::TooManyCategories);
        }
        if req.amount > MAX_AMOUNT_7 {
            return Err(SeError::BadData(
                "the amount does not fit in 7 bytes".into(),
            ));
        }
        if let Some(b) = &req.buyer_id
            && (b.len() > 20 || !b.is_ascii())
        {
            return Err(SeError::BadData(
                "the buyer ID must be ASCII of at most 20 bytes".into(),
            ));
        }
        let mut prev = 0u8;
        for (i, &(id, tax)) in req.taxes.iter().enumerate() {
            if (i > 0 && id <= prev) || tax > MAX_AMOUNT_7 {
                return Err(SeError::BadData(
                    "tax categories must ascend by orderId and each tax must fit in 7 bytes".into(),
                ));
            }
            prev = id;
        }

        let key = type_key(req.invoice_type, req.transaction_type);
        let tt_counter = d.type_counters.get(&key).copied().unwrap_or(0);
        let (Some(total), Some(tt)) = (d.total_counter.checked_add(1), tt_counter.checked_add(1))
        else {
            return Err(SeError::CounterExhausted);
        };
        let (sale, refund) = match req.transaction_type {
            TransactionType::Sale => (
                d.cumulative_sale.checked_add(req.amount),
                Some(d.cumulative_refund),
            ),
            TransactionType::Refund => (
                Some(d.cumulative_sale),
                d.cumulative_refund.checked_add(req.amount),
            ),
        };
        let (Some(sale), Some(refund)) = (sale, refund) else {
            return Err(SeError::CounterExhausted);
        };
        d.total_counter = total;
        d.type_counters.insert(key, tt);
        d.cumulative_sale = sale;
        d.cumulative_refund = refund;
        d.unaudited_sum = d.unaudited_sum.saturating_add(req.amount).min(MAX_AMOUNT_7);
        d.last_signed_time = req.time_ms;

        let plain = Zeroizing::new(
            InternalData {
                uid: self.fixed.uid.clone(),
                time_ms: req.time_ms,
                invoice_type: req.invoice_type,
                transaction_type: req.transaction_type,
                total_counter: total,
                transaction_type_counter: tt,
                amount: req.amount,
                cumulative_sale: sale,
                cumulative_refund: refund,
                unaudited_sum: d.unaudited_sum,
                taxes: req.taxes.clone(),
            }
            .to_bytes(),
        );
        let internal_data = self.oaep(&plain)?;
        let invoice = SignedInvoice {
            time_ms: req.time_ms,
            tin: req.tin.clone(),
            buyer_id: req.buyer_id.clone(),
            invoice_type: req.invoice_type,
            transaction_type: req.transaction_type,
            amount: req.amount,
            transaction_type_counter: tt,
            total_counter: total,
            internal_data,
            signature: Vec::new(),
        };
        let signed_data = invoice.signed_data()?;
        Ok(Prepared {
            invoice,
            signed_data,
        })
    }

    pub(super) fn oaep(&self, plain: &[u8]) -> Result<Vec<u8>, SeError> {
        let mut out = vec![0u8; self.encrypter.ciphertext_size()];
        let n = self
            .encrypter
            .encrypt(
                &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
                plain,
                &mut out,
                None,
            )
            .map_err(|_| SeError::NotAvailable("RSA-OAEP encryption failed".into()))?
            .len();
        out.truncate(n);
        Ok(out)
    }

    fn rsa_sign(signer: &KeyPair, msg: &[u8]) -> Result<Vec<u8>, SeError> {
        let mut sig = vec![0u8; signer.public_modulus_len()];
        signer
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                msg,
                &mut sig,
            )
            .map_err(|_| SeError::NotAvailable("RSA signing failed".into()))?;
        Ok(sig)
    }

    /// Signs the prepared entries on two threads.
    fn sign_all(&self, items: &mut [&mut Prepared]) -> Result<(), SeError> {
        let signer = &self.signer;
        let sign_chunk = |chunk: &mut [&mut Prepared]| -> Result<(), SeError> {
            for p in chunk.iter_mut() {
                p.invoice.signature = SoftSe::rsa_sign(signer, &p.signed_data)?;
            }
            Ok(())
        };
        if items.len() < 2 {
            return sign_chunk(items);
        }
        let mid = items.len().div_ceil(2);
        let (a, b) = items.split_at_mut(mid);
        std::thread::scope(|s| {
            let h = s.spawn(|| sign_chunk(b));
            let ra = sign_chunk(a);
            let rb = h
                .join()
                .unwrap_or_else(|_| Err(SeError::NotAvailable("a signing thread failed".into())));
            ra.and(rb)
        })
    }

    /// Signs a group of requests ([`crate::SecureElement::sign_batch`]): all are checked
    /// against one tentative state, signed, and the state is persisted before any signature is
    /// returned.
    pub(super) fn sign_group(
        &mut self,
        reqs: &[SignRequest],
    ) -> Vec<Result<SignedInvoice, SeError>> {
        let mut d = self.dynamic.clone();
        let mut prepared: Vec<Result<Prepared, SeError>> =
            reqs.iter().map(|r| self.prepare(&mut d, r)).collect();
        if !prepared.iter().any(Result::is_ok) {
            return prepared.into_iter().map(|r| r.map(|p| p.invoice)).collect();
        }
        let mut ok: Vec<&mut Prepared> = prepared
            .iter_mut()
            .filter_map(|r| r.as_mut().ok())
            .collect();
        if let Err(e) = self.sign_all(&mut ok) {
            return reqs.iter().map(|_| Err(e.clone())).collect();
        }
        let mut outputs = Vec::with_capacity(ok.len());
        for p in &ok {
            match p.invoice.to_bytes() {
                Ok(b) => outputs.push(b),
                Err(e) => return reqs.iter().map(|_| Err(e.clone())).collect(),
            }
        }
        d.last_signed = outputs.last().cloned();
        // Keep the signatures of this group and the previous one, so a PFR that journals one
        // group while the next is being signed can always recover what it had not stored yet
        // (and the state file stays small when groups are small).
        let group_len = outputs.len();
        let keep = self.previous_group_len.min(d.recent_signed.len());
        let cut = d.recent_signed.len() - keep;
        d.recent_signed.drain(..cut);
        d.recent_signed.extend(outputs);
        if d.recent_signed.len() > RECENT_SIGNED_MAX {
            let cut = d.recent_signed.len() - RECENT_SIGNED_MAX;
            d.recent_signed.drain(..cut);
        }
        if let Err(e) = self.commit(d) {
            tracing::error!(uid = %self.fixed.uid, error = %e, "signing state not persisted; signatures discarded");
            return reqs.iter().map(|_| Err(e.clone())).collect();
        }
        self.previous_group_len = group_len;
        prepared.into_iter().map(|r| r.map(|p| p.invoice)).collect()
    }
}
