//! The audit state in the journal database: the last package the SUF answered, the packages it
//! rejected, and the audit waiting for its proof.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_se::audit_package::AuditStatus;
use serde::{Deserialize, Serialize};

use super::AuditError;
use crate::service::{Lpfr, PfrError};

/// Journal setting: highest total counter whose package the SUF answered (status 4 or a final
/// rejection).
pub const SENT_KEY: &str = "suf.sentCounter";
/// Journal setting: packages the SUF rejected (JSON array of [`Rejected`]).
pub const REJECTED_KEY: &str = "suf.rejected";
/// Journal setting: the audit state ([`AuditState`]).
pub const AUDIT_KEY: &str = "suf.audit";

/// A package the SUF rejected (kept and reported, suf-backend.md §6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    /// Total counter of the receipt.
    pub total_counter: u32,
    /// `AuditDataStatus.status` (stored as the bare TaxCore number).
    pub status: AuditStatus,
    /// The SUF's explanation, if any.
    pub message: String,
}

/// An audit request started on the SE and not yet answered by a proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingAudit {
    /// The SE's total counter when the audit started (the ARP covers 1..=this).
    pub total_counter: u32,
    /// Base64 of the ARP.
    pub arp: String,
    /// Unaudited sum at start (× 10 000).
    pub sum: u64,
    /// Limit (× 10 000).
    pub limit: u64,
    /// When it started (ms).
    pub started_ms: i64,
    /// Whether the SUF accepted the request (`audit-proof` answered 200, or written to a medium).
    pub posted: bool,
}

/// The audit state kept in the journal database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditState {
    /// The audit waiting for its proof.
    pub pending: Option<PendingAudit>,
    /// Total counter covered by the last proof of audit applied.
    pub audited_counter: u32,
    /// When the last audit started (ms), for the minimum interval.
    pub last_started_ms: i64,
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The audit state.
pub async fn state(lpfr: &Lpfr) -> Result<AuditState, PfrError> {
    match lpfr.journal().setting(AUDIT_KEY).await? {
        Some(t) => serde_json::from_str(&t)
            .map_err(|e| PfrError::Internal(format!("stored audit state: {e}"))),
        None => Ok(AuditState::default()),
    }
}

pub(super) async fn save_state(lpfr: &Lpfr, s: &AuditState) -> Result<(), PfrError> {
    let t = serde_json::to_string(s).map_err(|e| PfrError::Internal(e.to_string()))?;
    lpfr.journal().set_setting(AUDIT_KEY, &t).await?;
    Ok(())
}

/// Highest total counter delivered to the SUF.
pub async fn sent_counter(lpfr: &Lpfr) -> Result<u32, PfrError> {
    Ok(lpfr
        .journal()
        .setting(SENT_KEY)
        .await?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

pub(super) async fn set_sent_counter(lpfr: &Lpfr, n: u32) -> Result<(), PfrError> {
    lpfr.journal().set_setting(SENT_KEY, &n.to_string()).await?;
    Ok(())
}

/// Packages the SUF rejected.
pub async fn rejected(lpfr: &Lpfr) -> Result<Vec<Rejected>, PfrError> {
    match lpfr.journal().setting(REJECTED_KEY).await? {
        Some(t) => Ok(serde_json::from_str(&t).unwrap_or_default()),
        None => Ok(Vec::new()),
    }
}

pub(super) async fn add_rejected(lpfr: &Lpfr, r: &[Rejected]) -> Result<(), PfrError> {
    if r.is_empty() {
        return Ok(());
    }
    let mut all = rejected(lpfr).await?;
    for x in r {
        all.retain(|y| y.total_counter != x.total_counter);
        all.push(x.clone());
    }
    let t = serde_json::to_string(&all).map_err(|e| PfrError::Internal(e.to_string()))?;
    lpfr.journal().set_setting(REJECTED_KEY, &t).await?;
    Ok(())
}

/// Called after End Audit accepted a proof: the pending audit is closed, its counter is audited.
pub async fn proof_applied(lpfr: &Lpfr) -> Result<(), PfrError> {
    let mut s = state(lpfr).await?;
    if let Some(p) = s.pending.take() {
        s.audited_counter = s.audited_counter.max(p.total_counter);
        tracing::info!(
            total_counter = p.total_counter,
            "proof of audit applied; the limit is free again"
        );
    }
    save_state(lpfr, &s).await?;
    // Every receipt the proof covers is at the SUF, however it got there.
    if sent_counter(lpfr).await? < s.audited_counter {
        set_sent_counter(lpfr, s.audited_counter).await?;
    }
    Ok(())
}

/// Starts an audit on the SE (Start Audit + Amount Status, atomically) and records it.
pub(super) async fn start_audit(lpfr: &Lpfr) -> Result<PendingAudit, AuditError> {
    let (arp, amount, total) = lpfr
        .with_se(|se| -> Result<_, fiskal_se::SeError> {
            let arp = se.start_audit()?;
            Ok((arp, se.amount_status(), se.total_counter()))
        })
        .await?;
    let p = PendingAudit {
        total_counter: total,
        arp: B64.encode(&arp),
        sum: amount.unaudited,
        limit: amount.limit,
        started_ms: now_ms(),
        posted: false,
    };
    let mut s = state(lpfr).await?;
    s.pending = Some(p.clone());
    s.last_started_ms = p.started_ms;
    save_state(lpfr, &s).await?;
    tracing::info!(total_counter = total, "audit started");
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_packages_keep_the_bare_taxcore_number() {
        let r = Rejected {
            total_counter: 7,
            status: AuditStatus::InvalidSignature,
            message: "bad".into(),
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(text, r#"{"totalCounter":7,"status":2,"message":"bad"}"#);
        let back: Rejected =
            serde_json::from_str(r#"{"totalCounter":7,"status":99,"message":""}"#).unwrap();
        assert_eq!(back.status, AuditStatus::Other(99));
        assert_eq!(serde_json::from_str::<Rejected>(&text).unwrap(), r);
    }
}
