//! Commands for the secure elements (suf-backend.md §5): the pending list, the cached list
//! returned with audit answers, and the results the PFRs report.

use super::{COMMAND_CACHE_MS, Suf, SufError, TOKEN_CACHE_MAX, now_ms};
use crate::store::{CommandRecord, Store};

impl<S: Store> Suf<S> {
    /// Commands of `uid` not yet reported.
    pub async fn commands(&self, uid: &str) -> Result<Vec<CommandRecord>, SufError> {
        Ok(self.store.pending_commands(uid).await?)
    }

    /// The pending commands of `uid` for the answer to an audit package: like [`Suf::commands`],
    /// but served from memory when nothing changed them in this process within the last
    /// [`COMMAND_CACHE_MS`] (a change by another process, such as `fiskal suf import`, shows
    /// within that time; a PFR runs each command id only once, so a stale list is harmless).
    pub async fn commands_for_audit_answer(
        &self,
        uid: &str,
    ) -> Result<Vec<CommandRecord>, SufError> {
        let generation = self
            .commands_generation
            .load(std::sync::atomic::Ordering::SeqCst);
        let now = now_ms();
        if let Some((g, at, list)) = self
            .command_cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(uid)
            && *g == generation
            && now - at < COMMAND_CACHE_MS
        {
            return Ok(list.clone());
        }
        let list = self.store.pending_commands(uid).await?;
        let mut cache = self
            .command_cache
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if cache.len() >= TOKEN_CACHE_MAX {
            cache.clear();
        }
        cache.insert(uid.to_string(), (generation, now, list.clone()));
        Ok(list)
    }

    /// Marks every cached command list stale (a command was queued, completed or issued).
    pub(crate) fn commands_changed(&self) {
        self.commands_generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Records a command result; `NotFound` when `uid` has no such command.
    pub async fn command_result(
        &self,
        uid: &str,
        command_id: &str,
        success: bool,
    ) -> Result<(), SufError> {
        let found = self
            .store
            .complete_command(uid, command_id, success)
            .await?;
        self.commands_changed();
        if found {
            Ok(())
        } else {
            Err(SufError::NotFound(format!(
                "no command {command_id} for {uid}"
            )))
        }
    }
}
