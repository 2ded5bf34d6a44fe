//! Local audit on the authority's side (suf-backend.md §7): read a medium's `{UID}` folder
//! (packages, ARP, results), check and store everything, and write `{UID}.commands` back.

use std::path::{Path, PathBuf};

use super::{AuditAnswer, Suf, SufError};
use fiskal_se::command::{Command, CommandResult};

use crate::package::{AuditPackage, AuditStatus};
use crate::store::{CommandRecord, Store};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// SE UIDs found on the medium.
    pub uids: Vec<String>,
    /// Per package file: its name and the audit answer.
    pub packages: Vec<(String, AuditAnswer)>,
    /// Whether an ARP was read, per UID.
    pub arps: Vec<String>,
    /// Command results applied.
    pub results_applied: usize,
    /// Commands written to `{UID}.commands`, per UID.
    pub commands_written: Vec<(String, usize)>,
}

fn counter_of(name: &str) -> Option<u32> {
    name.strip_suffix(".json")?.rsplit('-').next()?.parse().ok()
}

fn package_files(dir: &Path) -> Vec<(u32, PathBuf)> {
    let mut v = Vec::new();
    for d in [dir.to_path_buf(), dir.join("Audit")] {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = counter_of(&name) {
                v.push((n, e.path()));
            }
        }
    }
    v.sort();
    v
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SufError + '_ {
    move |e| SufError::Refused(format!("{}: {e}", path.display()))
}

/// Imports every `{UID}` folder under `medium`: results first (commands on the medium were run
/// before the export), then packages oldest first, then the ARP; finally writes
/// `{UID}.commands` with every command still pending for that SE (including a proof of audit
/// issued now).
pub async fn import<S: Store>(suf: &Suf<S>, medium: &Path) -> Result<ImportReport, SufError> {
    let mut report = ImportReport::default();
    let rd = std::fs::read_dir(medium).map_err(io(medium))?;
    let mut dirs: Vec<(String, PathBuf)> = rd
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| fiskal_domain::counter::Uid::parse(n).is_ok())
        .collect();
    dirs.sort();
    for (uid, dir) in dirs {
        report.uids.push(uid.clone());
        let results = dir.join(format!("{uid}.results"));
        if let Ok(text) = std::fs::read_to_string(&results) {
            let list: Vec<CommandResult> = serde_json::from_str(&text).map_err(|e| {
                SufError::Refused(format!("{} is not a results file: {e}", results.display()))
            })?;
            for r in list {
                match suf.command_result(&uid, &r.command_id, r.success).await {
                    Ok(()) => report.results_applied += 1,
                    Err(SufError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        for (_, path) in package_files(&dir) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let answer = match std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<AuditPackage>(&b).ok())
            {
                Some(pkg) => suf.audit_package(&uid, &pkg).await,
                None => AuditAnswer {
                    status: AuditStatus::Invalid,
                    message: "the file is not an audit package".into(),
                },
            };
            report.packages.push((name, answer));
        }
        let arp_path = [
            dir.join(format!("{uid}.arp")),
            dir.join("Audit").join("ARP.bin"),
        ]
        .into_iter()
        .find(|p| p.exists());
        if let Some(p) = arp_path {
            let arp = std::fs::read(&p).map_err(io(&p))?;
            let owner = suf.local_audit_request(&arp).await?;
            if owner != uid {
                return Err(SufError::Refused(format!(
                    "{} belongs to {owner}, not {uid}",
                    p.display()
                )));
            }
            report.arps.push(uid.clone());
        }
        let cmds = suf.commands(&uid).await?;
        let out: Vec<_> = cmds
            .iter()
            .map(CommandRecord::to_command)
            .collect::<Vec<Command>>();
        let path = dir.join(format!("{uid}.commands"));
        let text = serde_json::to_vec_pretty(&out).map_err(|e| SufError::Refused(e.to_string()))?;
        // Durable and whole: a medium pulled out mid-write keeps the previous file.
        fiskal_storage::write_atomic(&path, &text, 0o644).map_err(io(&path))?;
        report.commands_written.push((uid.clone(), out.len()));
    }
    Ok(report)
}
