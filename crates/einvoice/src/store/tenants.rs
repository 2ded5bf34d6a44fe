//! Tenants: the companies registered with the service and their bank accounts.

use crate::model::Tenant;

use super::error::StoreFuture;
use super::records::{NewKey, NewTenant, SealFn};

/// Tenants: the companies registered with the service and their bank accounts.
pub trait TenantStore: Send + Sync {
    /// Registers a tenant with its bank accounts and its first key, all in one transaction:
    /// `seal` seals the key once the tenant's id is known (the id is part of the sealing).
    /// Nothing is stored when a step fails. Returns the tenant id.
    #[allow(clippy::too_many_arguments)]
    fn insert_tenant<'a>(
        &'a self,
        t: &'a NewTenant,
        callback_token: &'a str,
        access_token_hash: &'a str,
        key: &'a NewKey<'a>,
        seal: &'a SealFn<'a>,
        now: i64,
    ) -> StoreFuture<'a, i64>;

    /// A tenant by id.
    fn tenant(&self, id: i64) -> StoreFuture<'_, Option<Tenant>>;

    /// A tenant by (environment, PIB).
    fn tenant_by_pib<'a>(
        &'a self,
        environment: &'a str,
        pib: &'a str,
    ) -> StoreFuture<'a, Option<Tenant>>;

    /// The tenant whose access token hashes to `hash`.
    fn tenant_by_access_hash<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<Tenant>>;

    /// The tenant owning a callback token.
    fn tenant_by_callback_token<'a>(&'a self, token: &'a str) -> StoreFuture<'a, Option<Tenant>>;

    /// The callback token of a tenant.
    fn callback_token(&self, tenant_id: i64) -> StoreFuture<'_, String>;

    /// Every tenant (operator view, schedulers).
    fn tenants(&self) -> StoreFuture<'_, Vec<Tenant>>;

    /// Sets the per-tenant settings of §13.
    fn set_tenant_settings(
        &self,
        tenant_id: i64,
        auto_redate: bool,
        send_to_cir: bool,
        now: i64,
    ) -> StoreFuture<'_, ()>;
}
