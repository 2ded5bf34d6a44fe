//! Onboarding (§3): registering a company with its SEF API key, replacing the key and checking it again.

use std::sync::Arc;

use crate::crypto::{ApiKey, random_token, sha256_hex};
use crate::fields::{check_company_fields, normalize_account};
use crate::gateway::{CallError, SefGateway};
use crate::messages::MessageId;
use crate::model::{Environment, KeyInfo, KeyState};
use crate::store::{NewKey, NewTenant, StoreError};

use super::base::Service;
use super::error::{SResult, ServiceError};
use super::keys::RecheckOutcome;
use super::views::{Registered, Registration};

impl Service {
    /// Registers a company (§3.3): key format, fields, fingerprint, key check, company check,
    /// then stores the tenant and the encrypted key. Nothing is stored when a step fails.
    pub async fn register(&self, r: Registration, actor: &str) -> SResult<Registered> {
        let env = r.environment.trim().to_string();
        if Environment::parse(&env).is_none() {
            return Err(ServiceError::UnknownEnvironment(env));
        }
        let gw = self.gateway(&env)?.clone();
        // 1. key format
        if !r.api_key.is_well_formed() {
            return Err(ServiceError::msg(MessageId::KeyMalformed, &[]));
        }
        // 2. fields
        let nt = new_tenant(&r, &env)?;
        if self.inner.db.tenant_by_pib(&env, &nt.pib).await?.is_some() {
            let pib = &nt.pib;
            return Err(ServiceError::refused(
                format!(
                    "Firma sa PIB-om {pib} je već registrovana u okruženju {env}. Ključ menjate na stranici „API status“ te firme."
                ),
                format!(
                    "The company with PIB {pib} is already registered in the {env} environment. Replace its key on that company's \"API status\" page."
                ),
            ));
        }
        // 3. fingerprint
        let fp = self.inner.ring.fingerprint(&r.api_key);
        if self.inner.db.fingerprint_used_elsewhere(&fp, None).await? {
            return Err(ServiceError::msg(MessageId::KeyInUseByOtherTenant, &[]));
        }
        // 4. key check
        let version = self.verify_new_key(&gw, &env, &r.api_key, &fp).await?;
        // 5. company registered
        self.check_company_registered(&gw, &r.api_key, &fp, &nt)
            .await?;
        // 7. store
        self.store_registration(&r, nt, &fp, &version, actor).await
    }

    /// Step 5 of §3.3: SEF knows the company (MB, PIB and JBKJS) under this key.
    async fn check_company_registered(
        &self,
        gw: &Arc<dyn SefGateway>,
        key: &ApiKey,
        fp: &str,
        nt: &NewTenant,
    ) -> SResult<()> {
        let (pib, mb) = (nt.pib.as_str(), nt.mb.as_str());
        match gw
            .company_registered(&self.auth(key, fp, false), mb, pib, nt.jbkjs.as_deref())
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) | Err(CallError::Rejected { .. }) => Err(ServiceError::msg(
                MessageId::CompanyNotRegistered,
                &[("pib", pib), ("mb", mb)],
            )),
            Err(_) => Err(ServiceError::msg(MessageId::Unavailable, &[])),
        }
    }

    /// Step 7 of §3.3: the tenant and its sealed first key in one transaction, then the audit
    /// entry; returns the access token and the callback address.
    async fn store_registration(
        &self,
        r: &Registration,
        nt: NewTenant,
        fp: &str,
        version: &str,
        actor: &str,
    ) -> SResult<Registered> {
        let env = nt.environment.clone();
        let now = self.now();
        let access_token = random_token();
        let callback_token = random_token();
        let first_key = NewKey {
            version: 1,
            fingerprint: fp,
            last_four: r.api_key.last4(),
            created_by: actor,
            sef_version: Some(version),
        };
        let seal = |tenant_id| self.inner.ring.seal_key(tenant_id, &env, 1, &r.api_key);
        let tenant_id = self
            .inner
            .db
            .insert_tenant(
                &nt,
                &callback_token,
                &sha256_hex(access_token.as_bytes()),
                &first_key,
                &seal,
                now,
            )
            .await
            .map_err(|e| match e {
                StoreError::Seal(c) => ServiceError::Crypto(c),
                e => ServiceError::Store(e),
            })?;
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "key_submitted",
                Some(r.api_key.last4()),
                Some("tenant registered; key check passed"),
                now,
            )
            .await?;
        tracing::info!(tenant = tenant_id, environment = %env, sef_version = %version, "tenant registered");
        let tenant = self.tenant(tenant_id).await?;
        let key = self
            .inner
            .db
            .current_key(tenant_id)
            .await?
            .ok_or(ServiceError::NotFound)?
            .info;
        Ok(Registered {
            tenant,
            access_token,
            key,
            callback_url: self.callback_url(&callback_token),
        })
    }

    pub(super) async fn verify_new_key(
        &self,
        gw: &Arc<dyn SefGateway>,
        env: &str,
        key: &ApiKey,
        fp: &str,
    ) -> SResult<String> {
        match gw.key_check(&self.auth(key, fp, false)).await {
            Ok(v) => Ok(v),
            Err(CallError::Unauthorized) => {
                let addr = if env == "sandbox" {
                    gw.base_url()
                } else {
                    Environment::parse(env)
                        .map(|e| e.public_address().to_string())
                        .unwrap_or_default()
                };
                Err(ServiceError::msg(
                    MessageId::KeyRejected,
                    &[("okruženje", env), ("adresa", &addr)],
                ))
            }
            Err(CallError::IspForbidden) => Err(ServiceError::msg(MessageId::KeyIspConflict, &[])),
            Err(e) => {
                tracing::warn!(error = %e, "key check failed during onboarding");
                Err(ServiceError::msg(MessageId::Unavailable, &[]))
            }
        }
    }

    /// Replaces a tenant's key (§6.2 "any → admin submits a new key"): the new key passes the
    /// checks of §3.3, the old record becomes `replaced` (ciphertext deleted), the queue resumes.
    pub async fn replace_key(&self, tenant_id: i64, key: ApiKey, actor: &str) -> SResult<KeyInfo> {
        let tenant = self.tenant(tenant_id).await?;
        let gw = self.gateway(&tenant.environment)?.clone();
        if !key.is_well_formed() {
            return Err(ServiceError::msg(MessageId::KeyMalformed, &[]));
        }
        let fp = self.inner.ring.fingerprint(&key);
        if self
            .inner
            .db
            .fingerprint_used_elsewhere(&fp, Some(tenant_id))
            .await?
        {
            return Err(ServiceError::msg(MessageId::KeyInUseByOtherTenant, &[]));
        }
        let version = self
            .verify_new_key(&gw, &tenant.environment, &key, &fp)
            .await?;
        match gw
            .company_registered(
                &self.auth(&key, &fp, false),
                &tenant.mb,
                &tenant.pib,
                tenant.jbkjs.as_deref(),
            )
            .await
        {
            Ok(true) => {}
            Ok(false) | Err(CallError::Rejected { .. }) => {
                return Err(ServiceError::msg(
                    MessageId::CompanyNotRegistered,
                    &[("pib", &tenant.pib), ("mb", &tenant.mb)],
                ));
            }
            Err(_) => return Err(ServiceError::msg(MessageId::Unavailable, &[])),
        }
        let now = self.now();
        let next_version = self
            .inner
            .db
            .current_key(tenant_id)
            .await?
            .map(|k| k.version + 1)
            .unwrap_or(1);
        let sealed =
            self.inner
                .ring
                .seal_key(tenant_id, &tenant.environment, next_version, &key)?;
        let new_key = NewKey {
            version: next_version,
            fingerprint: &fp,
            last_four: key.last4(),
            created_by: actor,
            sef_version: Some(&version),
        };
        self.inner
            .db
            .insert_key(tenant_id, &new_key, &sealed, now)
            .await?;
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "key_replaced",
                Some(key.last4()),
                Some(&format!("key version {next_version}")),
                now,
            )
            .await?;
        let resumed = self
            .inner
            .db
            .unblock_tenant_documents(tenant_id, now)
            .await?;
        tracing::info!(
            tenant = tenant_id,
            version = next_version,
            resumed,
            "key replaced"
        );
        self.wake();
        Ok(self
            .inner
            .db
            .current_key(tenant_id)
            .await?
            .ok_or(ServiceError::NotFound)?
            .info)
    }

    /// "Proveri ponovo" (check again): re-checks the current key; on success the key returns to
    /// `active` and the queue resumes.
    pub async fn check_again(&self, tenant_id: i64, actor: &str) -> SResult<KeyInfo> {
        let tenant = self.tenant(tenant_id).await?;
        let rec = self
            .inner
            .db
            .current_key(tenant_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        match rec.state {
            KeyState::Replaced | KeyState::Rejected | KeyState::CompanyMismatch => {
                return Err(ServiceError::msg(
                    MessageId::KeyCompanyMismatch,
                    &[("pib", &tenant.pib), ("firma", &tenant.name)],
                ));
            }
            _ => {}
        }
        let outcome = self.recheck_key(&tenant, &rec).await?;
        self.inner
            .db
            .audit(
                Some(tenant_id),
                actor,
                "key_checked",
                Some(&rec.info.last_four),
                Some(outcome.as_str()),
                self.now(),
            )
            .await?;
        match outcome {
            RecheckOutcome::Active => Ok(self
                .inner
                .db
                .current_key(tenant_id)
                .await?
                .ok_or(ServiceError::NotFound)?
                .info),
            RecheckOutcome::StillRejected => {
                Err(ServiceError::msg(MessageId::KeyStillRejected, &[]))
            }
            RecheckOutcome::Isp => Err(ServiceError::msg(MessageId::KeyIspConflict, &[])),
            RecheckOutcome::Unavailable => Err(ServiceError::msg(MessageId::Unavailable, &[])),
        }
    }
}

/// Step 2 of §3.3: the form's fields trimmed (bank accounts normalised, empty optional fields
/// dropped) and checked; every field error at once.
fn new_tenant(r: &Registration, env: &str) -> SResult<NewTenant> {
    let pib = r.pib.trim().to_string();
    let mb = r.mb.trim().to_string();
    let jbkjs = non_empty(r.jbkjs.as_deref());
    let accounts: Vec<String> = r
        .bank_accounts
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| normalize_account(a).unwrap_or_else(|| a.trim().to_string()))
        .collect();
    let errs = check_company_fields(
        &pib,
        &mb,
        jbkjs.as_deref(),
        &r.name,
        &r.street,
        &r.city,
        &r.postal_code,
        &accounts,
    );
    if !errs.is_empty() {
        return Err(ServiceError::Fields(errs));
    }
    Ok(NewTenant {
        environment: env.to_string(),
        pib,
        mb,
        budget_user: jbkjs.is_some(),
        jbkjs,
        name: r.name.trim().to_string(),
        trading_name: non_empty(r.trading_name.as_deref()),
        street: r.street.trim().to_string(),
        city: r.city.trim().to_string(),
        postal_code: r.postal_code.trim().to_string(),
        contact_email: non_empty(r.contact_email.as_deref()),
        bank_accounts: accounts,
    })
}

/// A trimmed optional field; `None` when empty.
fn non_empty(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
