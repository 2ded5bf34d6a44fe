//! The local audit (suf-backend.md §7) through removable media, in the RT-LPFR layout.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_se::audit_package;

use super::state::{save_state, sent_counter, start_audit, state};
use super::{AuditError, package_of};
use crate::commands::{self, Command, CommandResult};
use crate::service::{Lpfr, PfrError};

/// What a local audit did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalReport {
    /// The SE's folder on the medium.
    pub folder: PathBuf,
    /// Results of the commands read from `{UID}.commands`, in order.
    pub results: Vec<CommandResult>,
    /// Whether a proof of audit was applied.
    pub proof_applied: bool,
    /// Package files written.
    pub packages_written: usize,
    /// Package files removed because a proof of audit covers them.
    pub packages_removed: usize,
    /// Whether `{UID}.arp` was written.
    pub arp_written: bool,
}

fn medium_err(path: &Path) -> impl Fn(std::io::Error) -> AuditError + '_ {
    move |e| AuditError::Medium {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn counter_of(name: &str) -> Option<u32> {
    name.strip_suffix(".json")?.rsplit('-').next()?.parse().ok()
}

/// Writes a file of the medium durably and atomically; every failure (fsync included) is reported.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AuditError> {
    fiskal_storage::write_atomic(path, bytes, fiskal_storage::MODE_PUBLIC).map_err(medium_err(path))
}

/// Local audit (suf-backend.md §7) on the medium mounted at `medium`, in the RT-LPFR layout:
///
/// 1. `{UID}/{UID}.commands`, if present, is executed first and `{UID}/{UID}.results` written;
/// 2. package files a proof of audit now covers are removed from the medium;
/// 3. every package the SUF may not have yet is written as `{UID}/{UID}-{UID}-{n}.json`;
/// 4. when receipts are not covered by a proof, an audit is started and `{UID}/{UID}.arp` written
///    (an audit still waiting for its proof is written again instead of starting a new one).
pub async fn local_audit(
    lpfr: &Lpfr,
    medium: &Path,
    encryption_key: &[u8],
) -> Result<LocalReport, AuditError> {
    let uid = lpfr.uid().to_string();
    let dir = medium.join(&uid);
    std::fs::create_dir_all(&dir).map_err(medium_err(&dir))?;
    let mut report = LocalReport {
        folder: dir.clone(),
        ..LocalReport::default()
    };
    // 1. Commands brought back from the authority.
    let cmd_path = dir.join(format!("{uid}.commands"));
    if let Ok(text) = std::fs::read_to_string(&cmd_path) {
        let cmds: Vec<Command> = serde_json::from_str(&text).map_err(|e| AuditError::Medium {
            path: cmd_path.clone(),
            message: format!("not a commands file: {e}"),
        })?;
        let before = state(lpfr).await?.audited_counter;
        report.results = commands::execute_all(lpfr, &cmds).await?;
        report.proof_applied = state(lpfr).await?.audited_counter > before;
        let results_path = dir.join(format!("{uid}.results"));
        let text = serde_json::to_vec_pretty(&report.results)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        write_atomic(&results_path, &text)?;
        let ids: Vec<String> = report
            .results
            .iter()
            .map(|r| r.command_id.clone())
            .collect();
        commands::mark_reported(lpfr, &ids).await?;
    }
    let s = state(lpfr).await?;
    // 2. Packages the authority has confirmed by a proof.
    for d in [dir.clone(), dir.join("Audit")] {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if counter_of(&name).is_some_and(|n| n <= s.audited_counter)
                && std::fs::remove_file(e.path()).is_ok()
            {
                report.packages_removed += 1;
            }
        }
    }
    let arp_path = dir.join(format!("{uid}.arp"));
    if s.pending.is_none() && arp_path.exists() {
        std::fs::remove_file(&arp_path).map_err(medium_err(&arp_path))?;
    }
    // 3. Packages.
    let mut from = sent_counter(lpfr).await?.max(s.audited_counter);
    loop {
        let batch = lpfr.journal().after(from, 256).await?;
        if batch.is_empty() {
            break;
        }
        for r in &batch {
            let name = audit_package::file_name(&uid, &uid, r.total_counter);
            let path = dir.join(&name);
            if !path.exists() {
                let pkg = package_of(r, encryption_key)?;
                let bytes =
                    serde_json::to_vec(&pkg).map_err(|e| PfrError::Internal(e.to_string()))?;
                write_atomic(&path, &bytes)?;
                report.packages_written += 1;
            }
            from = r.total_counter;
        }
    }
    // 4. The audit request.
    let (_, journal_max) = lpfr.journal().count_and_max().await?;
    let pending = match s.pending {
        Some(p) => Some(p),
        None if journal_max > s.audited_counter => Some(start_audit(lpfr).await?),
        None => None,
    };
    if let Some(mut p) = pending {
        let arp = B64
            .decode(&p.arp)
            .map_err(|e| PfrError::Internal(e.to_string()))?;
        write_atomic(&arp_path, &arp)?;
        report.arp_written = true;
        if !p.posted {
            p.posted = true;
            let mut s = state(lpfr).await?;
            s.pending = Some(p);
            save_state(lpfr, &s).await?;
        }
    }
    Ok(report)
}
