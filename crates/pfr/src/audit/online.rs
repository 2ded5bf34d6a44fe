//! The internet audit: one [`round`] at a time, repeated by [`run`].

use fiskal_se::audit_package::AuditStatus;

use super::client::{AuditConfig, SufClient};
use super::state::{
    Rejected, add_rejected, now_ms, save_state, sent_counter, set_sent_counter, start_audit, state,
};
use super::{AuditError, package_of};
use crate::commands::{self, Command};
use crate::service::Lpfr;

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Packages the SUF verified (status 4).
    pub delivered: u32,
    /// Packages rejected in this round.
    pub rejected: Vec<Rejected>,
    /// Whether the SUF asked to retry a package later (status 1).
    pub retry_later: bool,
    /// Commands executed (or re-reported) in this round.
    pub commands: usize,
    /// Whether an audit request was posted.
    pub audit_requested: bool,
    /// Whether a proof of audit was applied.
    pub proof_applied: bool,
}

fn base_url(lpfr: &Lpfr, cfg: &AuditConfig) -> String {
    cfg.suf_url
        .clone()
        .unwrap_or_else(|| lpfr.settings().tax_core_api)
}

async fn run_commands(
    lpfr: &Lpfr,
    client: &mut SufClient,
    base: &str,
    cmds: &[Command],
    report: &mut RoundReport,
) -> Result<(), AuditError> {
    if cmds.is_empty() {
        return Ok(());
    }
    let before = state(lpfr).await?.audited_counter;
    let results = commands::execute_all(lpfr, cmds).await?;
    report.commands += results.len();
    let mut done = Vec::new();
    for r in &results {
        client.report(base, r).await?;
        done.push(r.command_id.clone());
    }
    commands::mark_reported(lpfr, &done).await?;
    if state(lpfr).await?.audited_counter > before {
        report.proof_applied = true;
    }
    Ok(())
}

/// One round of the internet audit. Any failure to reach the SUF ends the round with an error;
/// what was delivered so far stays delivered.
pub async fn round(
    lpfr: &Lpfr,
    client: &mut SufClient,
    cfg: &AuditConfig,
) -> Result<RoundReport, AuditError> {
    let base = base_url(lpfr, cfg);
    let mut report = RoundReport::default();
    // 1. Results not yet reported, then the commands waiting.
    let mut done = Vec::new();
    for r in commands::unreported(lpfr).await? {
        client.report(&base, &r).await?;
        done.push(r.command_id);
    }
    commands::mark_reported(lpfr, &done).await?;
    let cmds = client.status(&base).await?;
    lpfr.set_suf_online(true);
    run_commands(lpfr, client, &base, &cmds, &mut report).await?;
    // Command 7 may have moved the SUF.
    let base = base_url(lpfr, cfg);
    // 2. Packages, oldest unsent first.
    let key = client.encryption_key(&base).await?;
    let mut sent = sent_counter(lpfr).await?;
    let mut inline: Vec<Command> = Vec::new();
    'send: loop {
        let batch = lpfr.journal().after(sent, 64).await?;
        if batch.is_empty() {
            break;
        }
        let mut rejected = Vec::new();
        for r in &batch {
            let pkg = package_of(r, &key)?;
            let answer = client.send_package(&base, &pkg).await;
            let (status, message, cmds) = match answer {
                Ok(a) => a,
                Err(e) => {
                    set_sent_counter(lpfr, sent).await?;
                    add_rejected(lpfr, &rejected).await?;
                    return Err(e);
                }
            };
            for c in cmds {
                if !inline.iter().any(|x| x.command_id == c.command_id) {
                    inline.push(c);
                }
            }
            match status {
                AuditStatus::Verified => report.delivered += 1,
                AuditStatus::RetryLater => {
                    report.retry_later = true;
                    set_sent_counter(lpfr, sent).await?;
                    add_rejected(lpfr, &rejected).await?;
                    break 'send;
                }
                s => {
                    tracing::warn!(total_counter = r.total_counter, status = %s, %message, "the SUF rejected an audit package; it is kept");
                    let x = Rejected {
                        total_counter: r.total_counter,
                        status: s,
                        message,
                    };
                    report.rejected.push(x.clone());
                    rejected.push(x);
                }
            }
            sent = r.total_counter;
        }
        set_sent_counter(lpfr, sent).await?;
        add_rejected(lpfr, &rejected).await?;
    }
    run_commands(lpfr, client, &base, &inline, &mut report).await?;
    // 3. Proof of audit.
    let s = state(lpfr).await?;
    let (_, journal_max) = lpfr.journal().count_and_max().await?;
    let min_gap = cfg.min_audit_interval.as_millis() as i64;
    // An audit waiting for its proof is posted again (the SUF ignores a repeated request), so a
    // request lost on the way is not lost for good; a new one starts only when the last proof
    // came and receipts were delivered since.
    let pending = match s.pending {
        Some(p) => Some(p),
        None if !report.retry_later
            && sent >= journal_max
            && journal_max > s.audited_counter
            && now_ms() - s.last_started_ms >= min_gap =>
        {
            Some(start_audit(lpfr).await?)
        }
        None => None,
    };
    if let Some(mut p) = pending {
        client.request_proof(&base, &p).await?;
        p.posted = true;
        let mut s = state(lpfr).await?;
        if s.pending.as_ref().is_some_and(|x| x.arp == p.arp) {
            s.pending = Some(p);
            save_state(lpfr, &s).await?;
        }
        report.audit_requested = true;
        let cmds = client.commands(&base).await?;
        run_commands(lpfr, client, &base, &cmds, &mut report).await?;
    }
    Ok(report)
}

/// Runs the internet audit until the process ends: a round every `cfg.interval` (at once again
/// after a round that delivered packages but left more to do). Never returns.
pub async fn run(lpfr: Lpfr, cfg: AuditConfig) {
    let mut client = match SufClient::new(lpfr.uid().as_str(), &cfg) {
        Ok(c) => c.with_authentication(lpfr.clone()),
        Err(e) => {
            tracing::error!(error = %e, "the internet audit cannot start");
            return;
        }
    };
    let mut was_online = None;
    loop {
        match round(&lpfr, &mut client, &cfg).await {
            Ok(r) => {
                if was_online != Some(true) {
                    tracing::info!(base = %base_url(&lpfr, &cfg), "connected to the SUF");
                }
                was_online = Some(true);
                if r.delivered > 0 || r.commands > 0 || r.audit_requested {
                    tracing::info!(
                        delivered = r.delivered,
                        rejected = r.rejected.len(),
                        commands = r.commands,
                        audit_requested = r.audit_requested,
                        proof_applied = r.proof_applied,
                        "audit round"
                    );
                }
            }
            Err(e) => {
                lpfr.set_suf_online(false);
                if was_online != Some(false) {
                    tracing::warn!(error = %e, "the SUF is not available; receipts are signed offline and sent later");
                } else {
                    tracing::debug!(error = %e, "the SUF is still not available");
                }
                was_online = Some(false);
            }
        }
        tokio::time::sleep(cfg.interval).await;
    }
}
