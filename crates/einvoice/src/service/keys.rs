//! Keys checked on use (§5, §6): opening a tenant's key for one operation, automatic re-checks, a key that stops working, and the "API status" view.

use crate::clock::belgrade_display;
use crate::crypto::ApiKey;
use crate::gateway::CallError;
use crate::messages::{Lang, MessageId, UserMessage};
use crate::model::{DocState, KeyState, Tenant};
use crate::store::KeyRecord;

use super::base::Service;
use super::error::{SResult, ServiceError};
use super::views::{KeyStatus, TenantOverview};

/// A key ready for use in one operation.
pub(super) struct ActiveKey {
    pub(super) record_id: i64,
    pub(super) fingerprint: String,
    pub(super) key: ApiKey,
}

pub(super) enum KeyUse {
    Ok(ActiveKey),
    NotActive(KeyState),
    NoKey,
    Unavailable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RecheckOutcome {
    Active,
    StillRejected,
    Isp,
    Unavailable,
}

impl RecheckOutcome {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            RecheckOutcome::Active => "ok",
            RecheckOutcome::StillRejected => "unauthorized",
            RecheckOutcome::Isp => "isp_forbidden",
            RecheckOutcome::Unavailable => "unavailable",
        }
    }
}

impl Service {
    /// Every tenant with its key's state and waiting documents (the operator's view).
    pub async fn operator_overview(&self) -> SResult<Vec<TenantOverview>> {
        let mut out = Vec::new();
        for tenant in self.inner.db.tenants().await? {
            let key = self.inner.db.current_key(tenant.id).await?.map(|k| k.info);
            let waiting = self
                .inner
                .db
                .count_in_states(tenant.id, &[DocState::BlockedKey])
                .await?;
            out.push(TenantOverview {
                tenant,
                key,
                waiting,
            });
        }
        Ok(out)
    }

    pub(super) async fn recheck_key(
        &self,
        tenant: &Tenant,
        rec: &KeyRecord,
    ) -> SResult<RecheckOutcome> {
        let gw = self.gateway(&tenant.environment)?.clone();
        let sealed = rec.sealed.as_ref().ok_or(ServiceError::NotFound)?;
        let key = self
            .inner
            .ring
            .open_key(tenant.id, &tenant.environment, rec.version, sealed)?;
        let now = self.now();
        match gw
            .key_check(&self.auth(&key, &rec.fingerprint, false))
            .await
        {
            Ok(v) => {
                self.inner
                    .db
                    .key_success(rec.id, Some(&v), true, now)
                    .await?;
                if rec.state != KeyState::Active {
                    self.inner
                        .db
                        .set_key_state(rec.id, rec.state, KeyState::Active, None, false, now)
                        .await?;
                }
                let resumed = self
                    .inner
                    .db
                    .unblock_tenant_documents(tenant.id, now)
                    .await?;
                tracing::info!(
                    tenant = tenant.id,
                    resumed,
                    "key accepted again; queue resumed"
                );
                self.wake();
                Ok(RecheckOutcome::Active)
            }
            Err(e) => {
                self.inner
                    .db
                    .key_check_failed(rec.id, e.outcome(), now)
                    .await?;
                let outcome = match e {
                    CallError::Unauthorized => RecheckOutcome::StillRejected,
                    CallError::IspForbidden => RecheckOutcome::Isp,
                    _ => RecheckOutcome::Unavailable,
                };
                match (rec.state, &outcome) {
                    (KeyState::Active, RecheckOutcome::StillRejected) => {
                        self.key_went_bad(tenant, rec.id, KeyState::Invalid, true)
                            .await?
                    }
                    (KeyState::Active, RecheckOutcome::Isp) => {
                        self.key_went_bad(tenant, rec.id, KeyState::IspBlocked, false)
                            .await?
                    }
                    (
                        KeyState::Invalid | KeyState::IspBlocked,
                        RecheckOutcome::Unavailable
                        | RecheckOutcome::StillRejected
                        | RecheckOutcome::Isp,
                    ) => {
                        let changed = self.inner.db.key_state_changed_at(rec.id).await?;
                        let step = if now - changed < 24 * 3600 * 1000 {
                            self.inner.cfg.recheck_fast
                        } else {
                            self.inner.cfg.recheck_slow
                        };
                        self.inner
                            .db
                            .set_next_recheck(rec.id, Some(now + step.as_millis() as i64))
                            .await?;
                        if rec.state == KeyState::Invalid && matches!(outcome, RecheckOutcome::Isp)
                        {
                            self.inner
                                .db
                                .set_key_state(
                                    rec.id,
                                    KeyState::Invalid,
                                    KeyState::IspBlocked,
                                    Some(now + step.as_millis() as i64),
                                    false,
                                    now,
                                )
                                .await?;
                        }
                    }
                    _ => {}
                }
                Ok(outcome)
            }
        }
    }

    /// Moves the active key to a bad state once, blocks the queue and notifies the tenant.
    pub(super) async fn key_went_bad(
        &self,
        tenant: &Tenant,
        key_id: i64,
        to: KeyState,
        got_401: bool,
    ) -> SResult<()> {
        let now = self.now();
        let next = matches!(to, KeyState::Invalid | KeyState::IspBlocked)
            .then(|| now + self.inner.cfg.recheck_fast.as_millis() as i64);
        if !self
            .inner
            .db
            .set_key_state(key_id, KeyState::Active, to, next, got_401, now)
            .await?
        {
            // Already moved by another worker: still make sure nothing is left sendable.
            self.inner.db.block_tenant_documents(tenant.id, now).await?;
            return Ok(());
        }
        self.inner.db.block_tenant_documents(tenant.id, now).await?;
        let waiting = self
            .inner
            .db
            .count_in_states(tenant.id, &[DocState::BlockedKey])
            .await?;
        let rec = self.inner.db.current_key(tenant.id).await?;
        let last = rec
            .as_ref()
            .and_then(|r| r.info.last_success_at)
            .map(belgrade_display)
            .unwrap_or_else(|| "—".into());
        let (id, args): (MessageId, Vec<(&str, String)>) = match to {
            KeyState::Invalid => (
                MessageId::KeyStoppedWorking,
                vec![
                    ("firma", tenant.name.clone()),
                    ("vreme", last),
                    ("broj", waiting.to_string()),
                ],
            ),
            KeyState::IspBlocked => (MessageId::KeyIspConflict, vec![]),
            _ => (
                MessageId::KeyCompanyMismatch,
                vec![("pib", tenant.pib.clone()), ("firma", tenant.name.clone())],
            ),
        };
        let a: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = id.render(Lang::SrLatn, &a);
        self.inner
            .db
            .notify(
                tenant.id,
                id.id(),
                tenant.contact_email.as_deref(),
                &body,
                &format!("key:{key_id}:{to}:{now}"),
                now,
            )
            .await?;
        self.inner
            .db
            .audit(
                Some(tenant.id),
                "system",
                "key_state_changed",
                rec.as_ref().map(|r| r.info.last_four.as_str()),
                Some(&format!("active -> {to}")),
                now,
            )
            .await?;
        tracing::warn!(tenant = tenant.id, state = %to, waiting, "key stopped working; tenant queue paused");
        Ok(())
    }

    /// The "API status" view.
    pub async fn key_status(&self, tenant_id: i64, lang: Lang) -> SResult<KeyStatus> {
        let tenant = self.tenant(tenant_id).await?;
        let rec = self.inner.db.current_key(tenant_id).await?;
        let waiting = self
            .inner
            .db
            .count_in_states(tenant_id, &[DocState::BlockedKey])
            .await?;
        let message = match rec.as_ref().map(|r| r.state) {
            Some(KeyState::Invalid) => {
                let last = rec
                    .as_ref()
                    .and_then(|r| r.info.last_success_at)
                    .map(belgrade_display)
                    .unwrap_or_else(|| "—".into());
                Some(UserMessage::new(
                    MessageId::KeyStoppedWorking,
                    lang,
                    &[
                        ("firma", &tenant.name),
                        ("vreme", &last),
                        ("broj", &waiting.to_string()),
                    ],
                ))
            }
            Some(KeyState::IspBlocked) => {
                Some(UserMessage::new(MessageId::KeyIspConflict, lang, &[]))
            }
            Some(KeyState::CompanyMismatch) => Some(UserMessage::new(
                MessageId::KeyCompanyMismatch,
                lang,
                &[("pib", &tenant.pib), ("firma", &tenant.name)],
            )),
            _ => None,
        };
        let token = self.inner.db.callback_token(tenant_id).await?;
        Ok(KeyStatus {
            tenant,
            key: rec.map(|r| r.info),
            message,
            waiting,
            callback_url: self.callback_url(&token),
            reminder: UserMessage::new(MessageId::ApiStatusReminder, lang, &[]),
        })
    }

    /// Opens the tenant's key for one operation, with the key check of §5 unless an authenticated
    /// call succeeded within `key_check_ttl`.
    pub(super) async fn key_for_use(&self, tenant: &Tenant) -> SResult<KeyUse> {
        let Some(rec) = self.inner.db.current_key(tenant.id).await? else {
            return Ok(KeyUse::NoKey);
        };
        if rec.state != KeyState::Active {
            return Ok(KeyUse::NotActive(rec.state));
        }
        let sealed = rec.sealed.as_ref().ok_or(ServiceError::NotFound)?;
        let key = self
            .inner
            .ring
            .open_key(tenant.id, &tenant.environment, rec.version, sealed)?;
        let now = self.now();
        let fresh = rec
            .info
            .last_success_at
            .is_some_and(|t| now - t < self.inner.cfg.key_check_ttl.as_millis() as i64);
        if !fresh {
            let gw = self.gateway(&tenant.environment)?.clone();
            let r = {
                let _permit = self.inner.inflight.acquire().await;
                gw.key_check(&self.auth(&key, &rec.fingerprint, false))
                    .await
            };
            match r {
                Ok(v) => {
                    self.inner
                        .db
                        .key_success(rec.id, Some(&v), true, self.now())
                        .await?
                }
                Err(e) => {
                    self.inner
                        .db
                        .key_check_failed(rec.id, e.outcome(), self.now())
                        .await?;
                    match e {
                        CallError::Unauthorized => {
                            self.key_went_bad(tenant, rec.id, KeyState::Invalid, true)
                                .await?;
                            return Ok(KeyUse::NotActive(KeyState::Invalid));
                        }
                        CallError::IspForbidden => {
                            self.key_went_bad(tenant, rec.id, KeyState::IspBlocked, false)
                                .await?;
                            return Ok(KeyUse::NotActive(KeyState::IspBlocked));
                        }
                        other => return Ok(KeyUse::Unavailable(other.to_string())),
                    }
                }
            }
        }
        Ok(KeyUse::Ok(ActiveKey {
            record_id: rec.id,
            fingerprint: rec.fingerprint,
            key,
        }))
    }

    /// The tenant's key ready for one operation, or the error saying why it cannot be used.
    pub(super) async fn usable_key(&self, tenant: &Tenant) -> SResult<ActiveKey> {
        match self.key_for_use(tenant).await? {
            KeyUse::Ok(k) => Ok(k),
            other => Err(self.key_use_error(tenant, other)),
        }
    }

    /// Reacts to a key-related failure of any SEF call. Returns true when it was one.
    pub(super) async fn on_key_error(
        &self,
        tenant: &Tenant,
        key: &ActiveKey,
        e: &CallError,
    ) -> SResult<bool> {
        let to = match e {
            CallError::Unauthorized => KeyState::Invalid,
            CallError::IspForbidden => KeyState::IspBlocked,
            CallError::CompanyMismatch { .. } => KeyState::CompanyMismatch,
            _ => return Ok(false),
        };
        self.key_went_bad(
            tenant,
            key.record_id,
            to,
            matches!(e, CallError::Unauthorized),
        )
        .await?;
        Ok(true)
    }

    pub(super) fn key_use_error(&self, tenant: &Tenant, k: KeyUse) -> ServiceError {
        match k {
            KeyUse::NotActive(KeyState::IspBlocked) => {
                ServiceError::msg(MessageId::KeyIspConflict, &[])
            }
            KeyUse::NotActive(KeyState::CompanyMismatch) => ServiceError::msg(
                MessageId::KeyCompanyMismatch,
                &[("pib", &tenant.pib), ("firma", &tenant.name)],
            ),
            KeyUse::NotActive(_) | KeyUse::NoKey => ServiceError::msg(
                MessageId::KeyStoppedWorking,
                &[("firma", &tenant.name), ("vreme", "—"), ("broj", "0")],
            ),
            KeyUse::Unavailable(_) => ServiceError::msg(MessageId::Unavailable, &[]),
            KeyUse::Ok(_) => ServiceError::NotFound,
        }
    }
}
