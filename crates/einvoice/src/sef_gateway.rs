//! [`SefGateway`] over fiskal-sef's [`SefClient`].
//!
//! A client is built for each call batch from the decrypted key and dropped afterwards, so the
//! key lives in memory only while the call runs (`moje-fakture.md` §4.2). The client's own
//! retries are switched off: the outbox makes every retry decision itself and records each
//! attempt. Rate limiting happens in the service's shared store before each call, so the
//! client's in-process gate is a no-op.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use fiskal_sef::{ApiKey, CallGate, RetryPolicy, SalesInvoiceStatus, SefClient, SefClientConfig, SefEnvironment, SefError, SendToCir, UblUpload};

use crate::crypto::SecretKey;
use crate::gateway::{BoxFut, CallError, ChangeEvent, DownloadedDocument, SalesStatus, SefGateway, UploadIds};

struct NoGate;

impl CallGate for NoGate {
    fn acquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async {})
    }
}

/// The gateway for one SEF environment.
#[derive(Debug, Clone)]
pub struct ClientGateway {
    cfg: SefClientConfig,
}

impl ClientGateway {
    /// For an environment; `base_url` is required for the sandbox and overrides the official
    /// address otherwise. `call_timeout` bounds every call (uploads get at least this much).
    pub fn new(environment: SefEnvironment, base_url: Option<&str>, call_timeout: Option<Duration>) -> Result<ClientGateway, SefError> {
        let mut cfg = match environment {
            SefEnvironment::Production => SefClientConfig::production(),
            SefEnvironment::Demo => SefClientConfig::demo(),
            SefEnvironment::Sandbox => SefClientConfig::sandbox(base_url.ok_or_else(|| SefError::Config("the sandbox needs a base URL".into()))?),
        };
        if let Some(u) = base_url {
            cfg.base_url = u.to_string();
        }
        cfg.retry = RetryPolicy::none();
        if let Some(t) = call_timeout {
            cfg.call_timeout = t;
            cfg.upload_timeout = t.max(cfg.call_timeout);
        }
        cfg.validate()?;
        Ok(ClientGateway { cfg })
    }

    /// The sandbox at `base_url`.
    pub fn sandbox(base_url: &str) -> Result<ClientGateway, SefError> {
        ClientGateway::new(SefEnvironment::Sandbox, Some(base_url), None)
    }

    fn client(&self, key: &SecretKey) -> Result<SefClient, CallError> {
        let k = ApiKey::parse(key.expose()).map_err(|_| CallError::Unauthorized)?;
        SefClient::with_call_gate(self.cfg.clone(), k, Arc::new(NoGate)).map_err(map_err)
    }
}

/// Maps fiskal-sef's error to the gateway's.
pub fn map_err(e: SefError) -> CallError {
    match e {
        SefError::InvalidKey => CallError::Unauthorized,
        SefError::IspForbidden => CallError::IspForbidden,
        SefError::CompanyMismatch { code } => CallError::CompanyMismatch { code },
        SefError::Rejected { code, field_name, message } => CallError::Rejected { code, field: field_name, message },
        SefError::AcceptedIdsUnknown { .. } => CallError::Rejected { code: "UBLUploadRequestIdDuplicate".into(), field: None, message: None },
        SefError::NotFound => CallError::NotFound,
        SefError::RateLimited { retry_after } => CallError::RateLimited { retry_after },
        SefError::Unavailable { cause } => CallError::Unavailable { cause },
        SefError::Protocol { detail } => CallError::Protocol { detail },
        other => CallError::Protocol { detail: other.to_string() },
    }
}

impl SefGateway for ClientGateway {
    fn base_url(&self) -> String {
        self.cfg.base_url.clone()
    }

    fn key_check<'a>(&'a self, key: &'a SecretKey) -> BoxFut<'a, Result<String, CallError>> {
        Box::pin(async move { Ok(self.client(key)?.check_key().await.map_err(map_err)?.version) })
    }

    fn company_registered<'a>(&'a self, key: &'a SecretKey, mb: &'a str, pib: &'a str, jbkjs: Option<&'a str>) -> BoxFut<'a, Result<bool, CallError>> {
        Box::pin(async move { self.client(key)?.check_company_registered(mb, pib, jbkjs).await.map_err(map_err) })
    }

    fn upload<'a>(&'a self, key: &'a SecretKey, request_id: &'a str, ubl: &'a [u8], send_to_cir: bool) -> BoxFut<'a, Result<UploadIds, CallError>> {
        Box::pin(async move {
            let mut up = UblUpload::new(ubl.to_vec(), request_id);
            up.send_to_cir = if send_to_cir { SendToCir::Yes } else { SendToCir::No };
            let r = self.client(key)?.send_ubl(&up).await.map_err(map_err)?;
            Ok(UploadIds { invoice_id: r.invoice_id, purchase_invoice_id: r.purchase_invoice_id, sales_invoice_id: r.sales_invoice_id })
        })
    }

    fn sales_status<'a>(&'a self, key: &'a SecretKey, sales_invoice_id: i64) -> BoxFut<'a, Result<SalesStatus, CallError>> {
        Box::pin(async move {
            let r = self.client(key)?.get_sales_invoice(sales_invoice_id).await.map_err(map_err)?;
            Ok(SalesStatus { status: r.status.as_str().to_string(), comment: r.comment, cir_status: r.cir_status.map(|c| c.as_str().to_string()) })
        })
    }

    fn cancel<'a>(&'a self, key: &'a SecretKey, sales_invoice_id: i64, comment: &'a str) -> BoxFut<'a, Result<String, CallError>> {
        Box::pin(async move { Ok(self.client(key)?.cancel_sales_invoice(sales_invoice_id, comment).await.map_err(map_err)?.status.as_str().to_string()) })
    }

    fn storno<'a>(&'a self, key: &'a SecretKey, sales_invoice_id: i64, storno_number: Option<&'a str>, comment: &'a str) -> BoxFut<'a, Result<String, CallError>> {
        Box::pin(async move { Ok(self.client(key)?.storno_sales_invoice(sales_invoice_id, storno_number, comment).await.map_err(map_err)?.status.as_str().to_string()) })
    }

    fn sales_ids<'a>(&'a self, key: &'a SecretKey, status: &'a str, from: NaiveDate, to: NaiveDate) -> BoxFut<'a, Result<Vec<i64>, CallError>> {
        Box::pin(async move { self.client(key)?.sales_invoice_ids(SalesInvoiceStatus::parse(status), from, to).await.map_err(map_err) })
    }

    fn sales_xml<'a>(&'a self, key: &'a SecretKey, sales_invoice_id: i64) -> BoxFut<'a, Result<DownloadedDocument, CallError>> {
        Box::pin(async move {
            let env = self.client(key)?.sales_invoice_xml(sales_invoice_id).await.map_err(map_err)?;
            let body = fiskal_sef::xml::extract_envelope_document(&env).map_err(|e| CallError::Protocol { detail: e.to_string() })?;
            let purchase = header_value(&env, "PurchaseInvoiceId").and_then(|v| v.parse().ok());
            Ok(DownloadedDocument { purchase_invoice_id: purchase, ubl: body.as_bytes().to_vec() })
        })
    }

    fn sales_changes<'a>(&'a self, key: &'a SecretKey, date: NaiveDate) -> BoxFut<'a, Result<Vec<ChangeEvent>, CallError>> {
        Box::pin(async move {
            let list = self.client(key)?.sales_invoice_changes(date).await.map_err(map_err)?;
            Ok(list
                .into_iter()
                .filter_map(|c| {
                    Some(ChangeEvent {
                        event_id: c.event_id,
                        date: c.date,
                        new_status: c.new_invoice_status.as_str().to_string(),
                        sales_invoice_id: c.sales_invoice_id?,
                        comment: c.comment,
                        subscription_key: c.subscription_key,
                    })
                })
                .collect())
        })
    }

    fn subscribe<'a>(&'a self, key: &'a SecretKey) -> BoxFut<'a, Result<String, CallError>> {
        Box::pin(async move { self.client(key)?.subscribe().await.map_err(map_err) })
    }
}

fn header_value(xml: &str, local: &str) -> Option<String> {
    let open = xml.find(&format!(":{local}>")).or_else(|| xml.find(&format!("<{local}>")))?;
    let start = xml[open..].find('>')? + open + 1;
    let end = xml[start..].find('<')? + start;
    Some(xml[start..end].trim().to_string())
}
