//! SUF commands on the L-PFR (suf-backend.md §5): executed one at a time in the order received,
//! each at most once (an already processed `commandId` is not run again and keeps its first
//! result), with the results kept until the SUF has them.
//!
//! Executed commands are remembered in the journal database (setting [`EXECUTED_KEY`]), so a
//! restart neither repeats a command nor loses a result that was not yet reported.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_domain::api::EnvironmentParameters;
use fiskal_domain::tax::TaxRateGroup;
use serde::{Deserialize, Serialize};

use crate::service::{Lpfr, PfrError};

/// Journal setting holding the executed commands and their results.
pub const EXECUTED_KEY: &str = "suf.commands";

/// How many executed commands are remembered (oldest reported ones are forgotten first).
pub const REMEMBERED: usize = 1000;

pub use fiskal_se::command::{Command, CommandResult, kind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Executed {
    #[serde(flatten)]
    result: CommandResult,
    command_type: i32,
    reported: bool,
}

/// Serialises command execution within one process.
static RUNNING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn load(lpfr: &Lpfr) -> Result<Vec<Executed>, PfrError> {
    match lpfr.journal().setting(EXECUTED_KEY).await? {
        Some(t) => serde_json::from_str(&t)
            .map_err(|e| PfrError::Internal(format!("stored command results: {e}"))),
        None => Ok(Vec::new()),
    }
}

async fn store(lpfr: &Lpfr, list: &mut Vec<Executed>) -> Result<(), PfrError> {
    while list.len() > REMEMBERED {
        match list.iter().position(|e| e.reported) {
            Some(i) => {
                list.remove(i);
            }
            None => break,
        }
    }
    let text = serde_json::to_string(list).map_err(|e| PfrError::Internal(e.to_string()))?;
    lpfr.journal().set_setting(EXECUTED_KEY, &text).await?;
    Ok(())
}

fn now_text() -> String {
    fiskal_domain::time::to_belgrade(chrono::Utc::now())
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// Executes `commands` in order; a command already executed is not run again and keeps its first
/// result. Returns one result per command, in order.
pub async fn execute_all(
    lpfr: &Lpfr,
    commands: &[Command],
) -> Result<Vec<CommandResult>, PfrError> {
    let _guard = RUNNING.lock().await;
    let mut list = load(lpfr).await?;
    let mut out = Vec::with_capacity(commands.len());
    for c in commands {
        if let Some(e) = list.iter().find(|e| e.result.command_id == c.command_id) {
            out.push(e.result.clone());
            continue;
        }
        let success = match apply(lpfr, c).await {
            Ok(()) => true,
            Err(why) => {
                tracing::warn!(command = %c.command_id, kind = c.command_type, %why, "SUF command failed");
                false
            }
        };
        if success {
            tracing::info!(command = %c.command_id, kind = c.command_type, "SUF command executed");
        }
        let result = CommandResult {
            command_id: c.command_id.clone(),
            success,
            date_and_time: now_text(),
        };
        list.push(Executed {
            result: result.clone(),
            command_type: c.command_type,
            reported: false,
        });
        // Stored right after running, so a restart never runs it again.
        store(lpfr, &mut list).await?;
        out.push(result);
    }
    Ok(out)
}

/// Results not yet acknowledged by the SUF, oldest first.
pub async fn unreported(lpfr: &Lpfr) -> Result<Vec<CommandResult>, PfrError> {
    let _guard = RUNNING.lock().await;
    Ok(load(lpfr)
        .await?
        .into_iter()
        .filter(|e| !e.reported)
        .map(|e| e.result)
        .collect())
}

/// Marks results as delivered to the SUF.
pub async fn mark_reported(lpfr: &Lpfr, ids: &[String]) -> Result<(), PfrError> {
    if ids.is_empty() {
        return Ok(());
    }
    let _guard = RUNNING.lock().await;
    let mut list = load(lpfr).await?;
    for e in list.iter_mut() {
        if ids.contains(&e.result.command_id) {
            e.reported = true;
        }
    }
    store(lpfr, &mut list).await
}

/// The stored result of a command, if it was executed.
pub async fn result_of(lpfr: &Lpfr, command_id: &str) -> Result<Option<CommandResult>, PfrError> {
    let _guard = RUNNING.lock().await;
    Ok(load(lpfr)
        .await?
        .into_iter()
        .find(|e| e.result.command_id == command_id)
        .map(|e| e.result))
}

/// Runs one command; `Err` says why it failed.
async fn apply(lpfr: &Lpfr, c: &Command) -> Result<(), String> {
    if !c.uid.is_empty() && c.uid != lpfr.uid().as_str() {
        return Err(format!(
            "the command is for {}, not this secure element",
            c.uid
        ));
    }
    match c.command_type {
        kind::SET_TAX_RATES => {
            let g: TaxRateGroup = serde_json::from_str(&c.payload)
                .map_err(|e| format!("the payload is not a tax-rate group: {e}"))?;
            lpfr.update_settings(move |s| {
                s.tax_rate_groups.retain(|x| x.group_id != g.group_id);
                s.tax_rate_groups.push(g);
                s.tax_rate_groups
                    .sort_by_key(|x| (x.valid_from, x.group_id));
            })
            .await
            .map_err(|e| e.to_string())
        }
        kind::SET_TIME_SERVER_URL => {
            let url = c.payload.trim().to_string();
            if url.is_empty() {
                return Err("the time server URL is empty".into());
            }
            lpfr.update_settings(move |s| s.ntp_server = url)
                .await
                .map_err(|e| e.to_string())
        }
        kind::SET_VERIFICATION_URL => {
            let prefix = c.payload.trim().to_string();
            if !(prefix.starts_with("http://") || prefix.starts_with("https://")) {
                return Err("the verification URL prefix is not an http(s) URL".into());
            }
            lpfr.update_settings(move |s| s.verification_url_prefix = prefix)
                .await
                .map_err(|e| e.to_string())
        }
        kind::TAX_CORE_PUBLIC_KEY => Ok(()),
        kind::SET_TAX_CORE_CONFIGURATION => {
            let p: EnvironmentParameters = serde_json::from_str(&c.payload)
                .map_err(|e| format!("the payload is not a configuration: {e}"))?;
            lpfr.update_settings(move |s| {
                if !p.organization_name.is_empty() {
                    s.organization_name = p.organization_name;
                }
                if !p.environment_name.is_empty() {
                    s.environment_name = p.environment_name;
                }
                if !p.ntp_server.is_empty() {
                    s.ntp_server = p.ntp_server;
                }
                if !p.endpoints.tax_core_api.is_empty() {
                    s.tax_core_api = p.endpoints.tax_core_api;
                }
                if !p.endpoints.root.is_empty() {
                    s.verification_url_prefix = p.endpoints.root;
                }
            })
            .await
            .map_err(|e| e.to_string())
        }
        kind::FORWARD_PROOF_OF_AUDIT => {
            let poa = B64
                .decode(c.payload.trim())
                .map_err(|_| "the proof of audit is not base64".to_string())?;
            lpfr.with_se(move |se| se.end_audit(&poa))
                .await
                .map_err(|e| e.to_string())?;
            crate::audit::state::proof_applied(lpfr)
                .await
                .map_err(|e| e.to_string())
        }
        kind::FORWARD_DIRECTIVE => {
            let d = B64
                .decode(c.payload.trim())
                .map_err(|_| "the directive is not base64".to_string())?;
            lpfr.with_se(move |se| se.forward_directive(&d))
                .await
                .map_err(|e| e.to_string())
        }
        other => Err(format!("command type {other} is not supported")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Settings;
    use crate::store::SqliteJournal;
    use fiskal_se::authority::{AuthorityKeys, DirectiveKind, make_directive, make_proof_of_audit};
    use fiskal_se::env::{self, InitOptions};

    async fn lpfr(dir: &std::path::Path) -> Lpfr {
        let e = env::init(
            dir,
            InitOptions::defaults(fiskal_domain::seller::Seller::seed_example()),
        )
        .unwrap();
        let se = e.open_se(dir, env::DEFAULT_SE_PASSWORD).unwrap();
        let journal = SqliteJournal::open(&dir.join("journal.sqlite"))
            .await
            .unwrap();
        let settings = Settings {
            seller: e.seller.clone(),
            tax_rate_groups: e.tax_rate_groups.clone(),
            verification_url_prefix: e.verification_url_prefix.clone(),
            tax_core_api: e.suf_url.clone(),
            mrc: e.mrc.clone(),
            environment_name: e.environment_name.clone(),
            organization_name: e.organization_name.clone(),
            ntp_server: "http://0.pool.ntp.org:80/".into(),
        };
        Lpfr::start(Box::new(se), std::sync::Arc::new(journal), settings)
            .await
            .unwrap()
    }

    fn cmd(id: &str, t: i32, payload: &str) -> Command {
        Command {
            command_id: id.into(),
            command_type: t,
            payload: payload.into(),
            uid: String::new(),
        }
    }

    #[tokio::test]
    async fn commands_run_once_in_order_and_unknown_ones_fail() {
        let dir = tempfile::tempdir().unwrap();
        let l = lpfr(dir.path()).await;
        let r = execute_all(
            &l,
            &[
                cmd("a", kind::SET_TIME_SERVER_URL, "http://ntp.example/"),
                cmd("b", 3, ""),
                cmd("c", kind::SET_VERIFICATION_URL, "not a url"),
                cmd(
                    "d",
                    kind::SET_VERIFICATION_URL,
                    "https://suf.example/v/?vl=",
                ),
            ],
        )
        .await
        .unwrap();
        assert_eq!(
            r.iter().map(|x| x.success).collect::<Vec<_>>(),
            vec![true, false, false, true]
        );
        assert_eq!(l.settings().ntp_server, "http://ntp.example/");
        assert_eq!(
            l.settings().verification_url_prefix,
            "https://suf.example/v/?vl="
        );
        // The same id again is not run again and keeps its first result.
        let again = execute_all(
            &l,
            &[cmd("a", kind::SET_TIME_SERVER_URL, "http://other.example/")],
        )
        .await
        .unwrap();
        assert_eq!(again[0], r[0]);
        assert_eq!(l.settings().ntp_server, "http://ntp.example/");
        // A command for another SE fails.
        let mut other = cmd("e", kind::SET_TIME_SERVER_URL, "http://x.example/");
        other.uid = "ZZZZZZZZ".into();
        assert!(!execute_all(&l, &[other]).await.unwrap()[0].success);
        // Results wait for the SUF until marked reported; settings survive in the journal.
        assert_eq!(unreported(&l).await.unwrap().len(), 5);
        mark_reported(&l, &["a".to_string(), "b".to_string()])
            .await
            .unwrap();
        assert_eq!(unreported(&l).await.unwrap().len(), 3);
        let stored: Settings =
            serde_json::from_str(&l.journal().setting("settings").await.unwrap().unwrap()).unwrap();
        assert_eq!(stored.ntp_server, "http://ntp.example/");
    }

    #[tokio::test]
    async fn proof_of_audit_and_directives_reach_the_secure_element() {
        let dir = tempfile::tempdir().unwrap();
        let l = lpfr(dir.path()).await;
        let keys = AuthorityKeys::load(dir.path()).unwrap();
        let arp = l.with_se(|se| se.start_audit()).await.unwrap();
        let st = crate::audit::state::AuditState {
            pending: Some(crate::audit::state::PendingAudit {
                total_counter: 0,
                arp: B64.encode(&arp),
                sum: 0,
                limit: 0,
                started_ms: 0,
                posted: true,
            }),
            ..Default::default()
        };
        l.journal()
            .set_setting(
                crate::audit::state::AUDIT_KEY,
                &serde_json::to_string(&st).unwrap(),
            )
            .await
            .unwrap();
        // A forged proof fails and leaves the audit open.
        let forged = B64.encode([7u8; 256]);
        assert!(
            !execute_all(&l, &[cmd("p0", kind::FORWARD_PROOF_OF_AUDIT, &forged)])
                .await
                .unwrap()[0]
                .success
        );
        assert!(
            crate::audit::state::state(&l)
                .await
                .unwrap()
                .pending
                .is_some()
        );
        let poa = B64.encode(make_proof_of_audit(&keys, &arp).unwrap());
        assert!(
            execute_all(&l, &[cmd("p1", kind::FORWARD_PROOF_OF_AUDIT, &poa)])
                .await
                .unwrap()[0]
                .success
        );
        assert!(
            crate::audit::state::state(&l)
                .await
                .unwrap()
                .pending
                .is_none()
        );
        // The same proof under a new id: no audit in progress any more.
        assert!(
            !execute_all(&l, &[cmd("p2", kind::FORWARD_PROOF_OF_AUDIT, &poa)])
                .await
                .unwrap()[0]
                .success
        );
        // A directive setting the limit.
        let d = make_directive(&keys, l.uid(), 1, DirectiveKind::SetLimit(5_000_000)).unwrap();
        assert!(
            execute_all(&l, &[cmd("d1", kind::FORWARD_DIRECTIVE, &B64.encode(&d))])
                .await
                .unwrap()[0]
                .success
        );
        assert_eq!(l.amount_status().limit, 5_000_000);
        // Replayed directive number: refused.
        assert!(
            !execute_all(&l, &[cmd("d2", kind::FORWARD_DIRECTIVE, &B64.encode(&d))])
                .await
                .unwrap()[0]
                .success
        );
    }
}
