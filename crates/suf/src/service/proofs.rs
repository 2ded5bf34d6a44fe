//! Proof of audit (suf-backend.md §6.3): audit requests from the internet or a medium, and the
//! proofs issued once every receipt they cover is stored.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_se::authority::decrypt_audit_request;

use super::{OPEN_AUDIT_RECHECK_MS, Suf, SufError, command_type, new_command, now_ms};
use crate::store::{AuditRecord, Store};

impl<S: Store> Suf<S> {
    /// `POST /api/v3/sdc/audit-proof`: checks and stores the ARP; issues the proof at once when
    /// every receipt it covers is stored.
    pub async fn audit_proof_request(
        &self,
        client_uid: &str,
        arp: &[u8],
        sum: i64,
        limit: i64,
    ) -> Result<(), SufError> {
        let req = decrypt_audit_request(self.keys.authority(), arp).map_err(|_| {
            SufError::Refused("the audit request payload cannot be decrypted".into())
        })?;
        if req.uid.as_str() != client_uid {
            return Err(SufError::Refused(
                "the audit request belongs to another secure element".into(),
            ));
        }
        if req.sum_at_start as i64 != sum || req.limit as i64 != limit {
            return Err(SufError::Refused(
                "sum and limit differ from the audit request payload".into(),
            ));
        }
        self.store_arp(arp, &req).await?;
        self.issue_proofs(client_uid).await?;
        Ok(())
    }

    /// Local audit: an ARP read from the medium (no token; the SE is the one named in it).
    pub async fn local_audit_request(&self, arp: &[u8]) -> Result<String, SufError> {
        let req = decrypt_audit_request(self.keys.authority(), arp).map_err(|_| {
            SufError::Refused("the audit request payload cannot be decrypted".into())
        })?;
        self.store_arp(arp, &req).await?;
        self.issue_proofs(req.uid.as_str()).await?;
        Ok(req.uid.to_string())
    }

    async fn store_arp(
        &self,
        arp: &[u8],
        req: &fiskal_se::authority::AuditRequest,
    ) -> Result<(), SufError> {
        if self.signer(req.uid.as_str()).await?.is_none() {
            return Err(SufError::Refused(format!(
                "secure element {} is not registered",
                req.uid
            )));
        }
        self.store
            .put_audit(&AuditRecord {
                uid: req.uid.to_string(),
                audit_seq: req.audit_seq,
                arp: arp.to_vec(),
                total_counter: req.total_counter,
                sum: req.sum_at_start as i64,
                limit: req.limit as i64,
                requested_ms: now_ms(),
                poa: None,
            })
            .await?;
        self.last_arp
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(req.uid.to_string(), now_ms());
        Ok(())
    }

    /// Issues the proof for every open audit of `uid` whose receipts are all stored, oldest
    /// first, and queues each as a ForwardProofOfAudit command. Returns how many were issued.
    pub async fn issue_proofs(&self, uid: &str) -> Result<usize, SufError> {
        let check_started = now_ms();
        let mut issued = 0;
        let mut waiting = false;
        for a in self.store.open_audits(uid).await? {
            let covered = if a.total_counter == 0 {
                true
            } else {
                u64::from(a.total_counter)
                    == self.store.count_range(uid, 1, a.total_counter).await?
            };
            if !covered {
                waiting = true;
                break;
            }
            if !self.issue_proof(uid, &a, None).await? {
                continue;
            }
            tracing::info!(
                uid,
                audit_seq = a.audit_seq,
                total_counter = a.total_counter,
                "proof of audit issued"
            );
            issued += 1;
        }
        let mut quiet = self
            .no_open_audit
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if waiting {
            quiet.remove(uid);
        } else {
            quiet.insert(uid.to_string(), check_started);
        }
        Ok(issued)
    }

    /// Makes the proof of audit for `audit` and stores it with the ForwardProofOfAudit command
    /// that carries it; false when the request already had a proof. `forced_by` names the
    /// operator of a forced proof.
    pub(crate) async fn issue_proof(
        &self,
        uid: &str,
        audit: &AuditRecord,
        forced_by: Option<&str>,
    ) -> Result<bool, SufError> {
        let poa = fiskal_se::authority::make_proof_of_audit(self.keys.authority(), &audit.arp)
            .map_err(|e| SufError::Refused(e.to_string()))?;
        let command = new_command(uid, command_type::FORWARD_PROOF_OF_AUDIT, B64.encode(&poa));
        let stored = self
            .store
            .set_poa(uid, audit.audit_seq, &poa, &command, forced_by)
            .await?;
        self.commands_changed();
        Ok(stored)
    }

    /// After a stored package: issues the proofs it may complete, unless this SUF found within
    /// the last [`OPEN_AUDIT_RECHECK_MS`] that the SE has no audit request waiting (an audit request
    /// arriving here clears that at once; one imported by another process is seen within the
    /// recheck time).
    pub(super) async fn issue_proofs_after_package(&self, uid: &str) -> Result<(), SufError> {
        let now = now_ms();
        let last_arp = self
            .last_arp
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(uid)
            .copied()
            .unwrap_or(i64::MIN);
        // Trusted only when the check started after the last audit request was stored here.
        let quiet = self
            .no_open_audit
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(uid)
            .is_some_and(|&checked| checked > last_arp && now - checked < OPEN_AUDIT_RECHECK_MS);
        if !quiet {
            self.issue_proofs(uid).await?;
        }
        Ok(())
    }
}
