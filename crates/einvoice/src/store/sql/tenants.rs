//! Tenants: the companies registered with the service and their bank accounts. (SQL)

use crate::model::Tenant;
use crate::store::error::{StoreFuture, StoreResult};
use crate::store::records::{NewKey, NewTenant, SealFn};
use crate::store::tenants::TenantStore;

use super::SqlStore;
use super::keys::insert_key_in;
use super::rows::{b, tenant_from_row};

impl TenantStore for SqlStore {
    fn insert_tenant<'a>(
        &'a self,
        t: &'a NewTenant,
        callback_token: &'a str,
        access_token_hash: &'a str,
        key: &'a NewKey<'a>,
        seal: &'a SealFn<'a>,
        now: i64,
    ) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tenants (environment, pib, mb, jbkjs, name, trading_name, street, city, postal_code, budget_user, status, auto_redate, send_to_cir, contact_email, callback_token, access_token_hash, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', 0, 1, $11, $12, $13, $14, $14) RETURNING id",
            )
            .bind(&t.environment)
            .bind(&t.pib)
            .bind(&t.mb)
            .bind(t.jbkjs.clone())
            .bind(&t.name)
            .bind(t.trading_name.clone())
            .bind(&t.street)
            .bind(&t.city)
            .bind(&t.postal_code)
            .bind(b(t.budget_user))
            .bind(t.contact_email.clone())
            .bind(callback_token)
            .bind(access_token_hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for (i, acc) in t.bank_accounts.iter().enumerate() {
                sqlx::query("INSERT INTO tenant_bank_accounts (tenant_id, account, is_default) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(acc)
                    .bind(b(i == 0))
                    .execute(&mut *tx)
                    .await?;
            }
            let sealed = seal(id)?;
            insert_key_in(&mut tx, id, key, &sealed, now).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    fn tenant(&self, id: i64) -> StoreFuture<'_, Option<Tenant>> {
        Box::pin(async move {
            match sqlx::query("SELECT * FROM tenants WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
            {
                Some(r) => Ok(Some(self.with_accounts(tenant_from_row(&r)?).await?)),
                None => Ok(None),
            }
        })
    }

    fn tenant_by_pib<'a>(
        &'a self,
        environment: &'a str,
        pib: &'a str,
    ) -> StoreFuture<'a, Option<Tenant>> {
        Box::pin(async move {
            match sqlx::query("SELECT * FROM tenants WHERE environment = $1 AND pib = $2")
                .bind(environment)
                .bind(pib)
                .fetch_optional(&self.pool)
                .await?
            {
                Some(r) => Ok(Some(self.with_accounts(tenant_from_row(&r)?).await?)),
                None => Ok(None),
            }
        })
    }

    fn tenant_by_access_hash<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<Tenant>> {
        Box::pin(async move {
            match sqlx::query("SELECT * FROM tenants WHERE access_token_hash = $1")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?
            {
                Some(r) => Ok(Some(self.with_accounts(tenant_from_row(&r)?).await?)),
                None => Ok(None),
            }
        })
    }

    fn tenant_by_callback_token<'a>(&'a self, token: &'a str) -> StoreFuture<'a, Option<Tenant>> {
        Box::pin(async move {
            match sqlx::query("SELECT * FROM tenants WHERE callback_token = $1")
                .bind(token)
                .fetch_optional(&self.pool)
                .await?
            {
                Some(r) => Ok(Some(tenant_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    fn callback_token(&self, tenant_id: i64) -> StoreFuture<'_, String> {
        Box::pin(async move {
            Ok(
                sqlx::query_scalar("SELECT callback_token FROM tenants WHERE id = $1")
                    .bind(tenant_id)
                    .fetch_one(&self.pool)
                    .await?,
            )
        })
    }

    fn tenants(&self) -> StoreFuture<'_, Vec<Tenant>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT * FROM tenants ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(tenant_from_row).collect()
        })
    }

    fn set_tenant_settings(
        &self,
        tenant_id: i64,
        auto_redate: bool,
        send_to_cir: bool,
        now: i64,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query(
                "UPDATE tenants SET auto_redate = $1, send_to_cir = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(b(auto_redate))
            .bind(b(send_to_cir))
            .bind(now)
            .bind(tenant_id)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }
}

impl SqlStore {
    /// A tenant with its bank accounts, default first.
    async fn with_accounts(&self, mut t: Tenant) -> StoreResult<Tenant> {
        t.bank_accounts = sqlx::query_scalar("SELECT account FROM tenant_bank_accounts WHERE tenant_id = $1 ORDER BY is_default DESC, id")
            .bind(t.id)
            .fetch_all(&self.pool)
            .await?;
        Ok(t)
    }
}
