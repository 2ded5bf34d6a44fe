//! The [`SecureElement`] interface of the software SE: PIN, signing, audits and directives.

use chrono::Utc;
use fiskal_domain::counter::Uid;

use super::crypto::{pin_matches, random};
use super::state::{PendingAudit, SoftSe};
use super::{MAX_PIN_TRIES, VERSION};
use crate::authority::{self, AuditRequest, Directive, DirectiveKind, proof_of_audit_message};
use crate::{AmountStatus, Pin, SeError, SecureElement, SignRequest, SignedInvoice};

impl SecureElement for SoftSe {
    fn authentication_certificate_der(&self) -> Option<Vec<u8>> {
        Some(self.fixed.auth_certificate.clone())
    }

    fn sign_authentication(&self, message: &[u8]) -> Option<Result<Vec<u8>, SeError>> {
        let sign = || -> Result<Vec<u8>, SeError> {
            let kp = aws_lc_rs::rsa::KeyPair::from_pkcs8(&self.fixed.auth_key)
                .map_err(|_| SeError::Storage("the authentication key is unreadable".into()))?;
            let mut sig = vec![0u8; kp.public_modulus_len()];
            kp.sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| SeError::Storage("signing with the authentication key failed".into()))?;
            Ok(sig)
        };
        Some(sign())
    }

    fn uid(&self) -> &Uid {
        &self.fixed.uid
    }

    fn version(&self) -> String {
        VERSION.to_string()
    }

    fn certificate_der(&self) -> Vec<u8> {
        self.fixed.certificate.clone()
    }

    fn verify_pin(&mut self, pin: &Pin) -> Result<(), SeError> {
        if self.dynamic.pin_tries_left == 0 {
            self.pin_verified = false;
            return Err(SeError::Locked);
        }
        if pin_matches(pin, &self.dynamic.pin_hash)? {
            if self.dynamic.pin_tries_left != MAX_PIN_TRIES {
                let mut d = self.dynamic.clone();
                d.pin_tries_left = MAX_PIN_TRIES;
                self.commit(d)?;
            }
            self.pin_verified = true;
            Ok(())
        } else {
            self.pin_verified = false;
            let mut d = self.dynamic.clone();
            d.pin_tries_left -= 1;
            let left = d.pin_tries_left;
            // The decrement is kept in memory even if it cannot be written: a failing disk must
            // not give unlimited tries.
            let written = self.persist(&d);
            self.dynamic = d;
            written?;
            tracing::warn!(uid = %self.fixed.uid, tries_left = left, "wrong PIN");
            if left == 0 {
                Err(SeError::Locked)
            } else {
                Err(SeError::WrongPin { tries_left: left })
            }
        }
    }

    fn is_pin_verified(&self) -> bool {
        self.pin_verified
    }

    fn pin_tries_left(&self) -> u8 {
        self.dynamic.pin_tries_left
    }

    fn sign_invoice(&mut self, req: &SignRequest) -> Result<SignedInvoice, SeError> {
        self.sign_batch(std::slice::from_ref(req))
            .pop()
            .unwrap_or_else(|| Err(SeError::NotAvailable("no result".into())))
    }

    fn sign_batch(&mut self, reqs: &[SignRequest]) -> Vec<Result<SignedInvoice, SeError>> {
        self.sign_group(reqs)
    }

    fn amount_status(&self) -> AmountStatus {
        AmountStatus {
            unaudited: self.dynamic.unaudited_sum,
            limit: self.dynamic.limit,
        }
    }

    fn total_counter(&self) -> u32 {
        self.dynamic.total_counter
    }

    fn recent_signed(&self) -> Vec<SignedInvoice> {
        let d = &self.dynamic;
        let raw: Vec<&Vec<u8>> = if d.recent_signed.is_empty() {
            d.last_signed.iter().collect()
        } else {
            d.recent_signed.iter().collect()
        };
        raw.into_iter()
            .filter_map(|b| SignedInvoice::from_bytes(b).ok())
            .collect()
    }

    fn start_audit(&mut self) -> Result<Vec<u8>, SeError> {
        let mut d = self.dynamic.clone();
        let seq = d
            .audit_seq
            .checked_add(1)
            .ok_or(SeError::CounterExhausted)?;
        let nonce = random::<16>()?;
        let req = AuditRequest {
            uid: self.fixed.uid.clone(),
            audit_seq: seq,
            total_counter: d.total_counter,
            sum_at_start: d.unaudited_sum,
            limit: d.limit,
            nonce,
            time_ms: u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0),
        };
        let ct = self.oaep(&req.to_bytes())?;
        d.audit_seq = seq;
        d.pending_audit = Some(PendingAudit {
            seq,
            nonce,
            sum_at_start: d.unaudited_sum,
            total_counter: d.total_counter,
        });
        self.commit(d)?;
        let mut out = seq.to_be_bytes().to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    fn end_audit(&mut self, proof: &[u8]) -> Result<(), SeError> {
        let Some(p) = self.dynamic.pending_audit.clone() else {
            return Err(SeError::NoAuditInProgress);
        };
        if proof.len() != 256 {
            return Err(SeError::WrongLength);
        }
        let msg = proof_of_audit_message(
            &self.fixed.uid,
            p.seq,
            p.total_counter,
            p.sum_at_start,
            &p.nonce,
        );
        if !authority::verify_rsa_sha256(&self.fixed.authority_key, &msg, proof) {
            return Err(SeError::BadData(
                "the proof of audit is not valid for this audit".into(),
            ));
        }
        let mut d = self.dynamic.clone();
        d.unaudited_sum = d.unaudited_sum.saturating_sub(p.sum_at_start);
        d.pending_audit = None;
        self.commit(d)?;
        tracing::info!(uid = %self.fixed.uid, audit = p.seq, "proof of audit accepted");
        Ok(())
    }

    fn forward_directive(&mut self, directive: &[u8]) -> Result<(), SeError> {
        if directive.len() != 2 * authority::DIRECTIVE_PART_LEN {
            return Err(SeError::WrongLength);
        }
        let (payload, sig) = directive.split_at(authority::DIRECTIVE_PART_LEN);
        if !authority::verify_rsa_sha256(&self.fixed.authority_key, payload, sig) {
            return Err(SeError::BadData(
                "the directive's signature is not valid".into(),
            ));
        }
        let dir = Directive::parse_payload(payload).map_err(|e| SeError::BadData(e.to_string()))?;
        if dir.uid != self.fixed.uid {
            return Err(SeError::BadData(format!(
                "the directive is for {}, not this secure element",
                dir.uid
            )));
        }
        if dir.seq <= self.dynamic.last_directive_seq {
            return Err(SeError::BadData(format!(
                "directive number {} was already used",
                dir.seq
            )));
        }
        let mut d = self.dynamic.clone();
        match dir.kind {
            DirectiveKind::DisableSigning => d.signing_enabled = false,
            DirectiveKind::EnableSigning => d.signing_enabled = true,
            DirectiveKind::SetLimit(limit) => d.limit = limit,
            DirectiveKind::UnlockPin => d.pin_tries_left = MAX_PIN_TRIES,
        }
        d.last_directive_seq = dir.seq;
        self.commit(d)?;
        tracing::info!(uid = %self.fixed.uid, seq = dir.seq, kind = ?dir.kind, "directive applied");
        Ok(())
    }
}
