//! [`SefGateway`] over fiskal-sef's [`SefClient`].
//!
//! A client is built for each call batch from the decrypted key and dropped afterwards, so the
//! key lives in memory only while the call runs (`moje-fakture.md` §4.2). The client's own
//! retries are switched off: the outbox makes every retry decision itself and records each
//! attempt. Every call passes the caller's gate ([`Auth::gate`], the per-key limit kept in the
//! service's shared store) right before the request leaves.

use std::time::Duration;

use chrono::NaiveDate;
use fiskal_sef::{
    RetryPolicy, SalesInvoiceStatus, SefClient, SefClientConfig, SefEnvironment, SefError,
    SendToCir, UblUpload,
};

use crate::gateway::{
    Auth, BoxFut, CallError, ChangeEvent, DownloadedDocument, SalesStatus, SefGateway, UploadIds,
};

/// The gateway for one SEF environment.
#[derive(Debug, Clone)]
pub struct ClientGateway {
    cfg: SefClientConfig,
}

impl ClientGateway {
    /// For an environment; `base_url` is required for the sandbox and overrides the official
    /// address otherwise. `call_timeout` bounds every call (uploads get at least this much).
    pub fn new(
        environment: SefEnvironment,
        base_url: Option<&str>,
        call_timeout: Option<Duration>,
    ) -> Result<ClientGateway, SefError> {
        let mut cfg = match environment {
            SefEnvironment::Production => SefClientConfig::production(),
            SefEnvironment::Demo => SefClientConfig::demo(),
            SefEnvironment::Sandbox => SefClientConfig::sandbox(
                base_url.ok_or_else(|| SefError::Config("the sandbox needs a base URL".into()))?,
            ),
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

    fn client(&self, auth: &Auth) -> Result<SefClient, CallError> {
        if !auth.key.is_well_formed() {
            return Err(CallError::Unauthorized);
        }
        SefClient::with_call_gate(self.cfg.clone(), auth.key.clone(), auth.gate.clone())
            .map_err(map_err)
    }
}

/// Maps fiskal-sef's error to the gateway's.
pub fn map_err(e: SefError) -> CallError {
    match e {
        SefError::InvalidKey => CallError::Unauthorized,
        SefError::IspForbidden => CallError::IspForbidden,
        SefError::CompanyMismatch { code } => CallError::CompanyMismatch { code },
        SefError::Rejected {
            code,
            field_name,
            message,
        } => CallError::Rejected {
            code,
            field: field_name,
            message,
        },
        SefError::AcceptedIdsUnknown { .. } => CallError::Rejected {
            code: "UBLUploadRequestIdDuplicate".into(),
            field: None,
            message: None,
        },
        SefError::NotFound => CallError::NotFound,
        SefError::RateLimited { retry_after } => CallError::RateLimited { retry_after },
        SefError::Unavailable { cause } => CallError::Unavailable { cause },
        SefError::Protocol { detail } => CallError::Protocol { detail },
        other => CallError::Protocol {
            detail: other.to_string(),
        },
    }
}

impl SefGateway for ClientGateway {
    fn base_url(&self) -> String {
        self.cfg.base_url.clone()
    }

    fn key_check<'a>(&'a self, auth: &'a Auth) -> BoxFut<'a, Result<String, CallError>> {
        Box::pin(async move {
            Ok(self
                .client(auth)?
                .check_key()
                .await
                .map_err(map_err)?
                .version)
        })
    }

    fn company_registered<'a>(
        &'a self,
        auth: &'a Auth,
        mb: &'a str,
        pib: &'a str,
        jbkjs: Option<&'a str>,
    ) -> BoxFut<'a, Result<bool, CallError>> {
        Box::pin(async move {
            self.client(auth)?
                .check_company_registered(mb, pib, jbkjs)
                .await
                .map_err(map_err)
        })
    }

    fn upload<'a>(
        &'a self,
        auth: &'a Auth,
        request_id: &'a str,
        ubl: &'a [u8],
        send_to_cir: bool,
    ) -> BoxFut<'a, Result<UploadIds, CallError>> {
        Box::pin(async move {
            let mut up = UblUpload::new(ubl.to_vec(), request_id);
            up.send_to_cir = if send_to_cir {
                SendToCir::Yes
            } else {
                SendToCir::No
            };
            let r = self.client(auth)?.send_ubl(&up).await.map_err(map_err)?;
            Ok(UploadIds {
                invoice_id: r.invoice_id,
                purchase_invoice_id: r.purchase_invoice_id,
                sales_invoice_id: r.sales_invoice_id,
            })
        })
    }

    fn sales_status<'a>(
        &'a self,
        auth: &'a Auth,
        sales_invoice_id: i64,
    ) -> BoxFut<'a, Result<SalesStatus, CallError>> {
        Box::pin(async move {
            let r = self
                .client(auth)?
                .get_sales_invoice(sales_invoice_id)
                .await
                .map_err(map_err)?;
            Ok(SalesStatus {
                status: r.status.as_str().to_string(),
                comment: r.comment,
                cir_status: r.cir_status.map(|c| c.as_str().to_string()),
            })
        })
    }

    fn cancel<'a>(
        &'a self,
        auth: &'a Auth,
        sales_invoice_id: i64,
        comment: &'a str,
    ) -> BoxFut<'a, Result<String, CallError>> {
        Box::pin(async move {
            Ok(self
                .client(auth)?
                .cancel_sales_invoice(sales_invoice_id, comment)
                .await
                .map_err(map_err)?
                .status
                .as_str()
                .to_string())
        })
    }

    fn storno<'a>(
        &'a self,
        auth: &'a Auth,
        sales_invoice_id: i64,
        storno_number: Option<&'a str>,
        comment: &'a str,
    ) -> BoxFut<'a, Result<String, CallError>> {
        Box::pin(async move {
            Ok(self
                .client(auth)?
                .storno_sales_invoice(sales_invoice_id, storno_number, comment)
                .await
                .map_err(map_err)?
                .status
                .as_str()
                .to_string())
        })
    }

    fn sales_ids<'a>(
        &'a self,
        auth: &'a Auth,
        status: &'a str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> BoxFut<'a, Result<Vec<i64>, CallError>> {
        Box::pin(async move {
            self.client(auth)?
                .sales_invoice_ids(SalesInvoiceStatus::parse(status), from, to)
                .await
                .map_err(map_err)
        })
    }

    fn sales_xml<'a>(
        &'a self,
        auth: &'a Auth,
        sales_invoice_id: i64,
    ) -> BoxFut<'a, Result<DownloadedDocument, CallError>> {
        Box::pin(async move {
            let env = self
                .client(auth)?
                .sales_invoice_xml(sales_invoice_id)
                .await
                .map_err(map_err)?;
            let body = fiskal_sef::xml::extract_envelope_document(&env).map_err(|e| {
                CallError::Protocol {
                    detail: e.to_string(),
                }
            })?;
            let purchase = header_value(&env, "PurchaseInvoiceId").and_then(|v| v.parse().ok());
            Ok(DownloadedDocument {
                purchase_invoice_id: purchase,
                ubl: body.as_bytes().to_vec(),
            })
        })
    }

    fn sales_changes<'a>(
        &'a self,
        auth: &'a Auth,
        date: NaiveDate,
    ) -> BoxFut<'a, Result<Vec<ChangeEvent>, CallError>> {
        Box::pin(async move {
            let list = self
                .client(auth)?
                .sales_invoice_changes(date)
                .await
                .map_err(map_err)?;
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

    fn subscribe<'a>(&'a self, auth: &'a Auth) -> BoxFut<'a, Result<String, CallError>> {
        Box::pin(async move { self.client(auth)?.subscribe().await.map_err(map_err) })
    }
}

fn header_value(xml: &str, local: &str) -> Option<String> {
    let open = xml
        .find(&format!(":{local}>"))
        .or_else(|| xml.find(&format!("<{local}>")))?;
    let start = xml[open..].find('>')? + open + 1;
    let end = xml[start..].find('<')? + start;
    Some(xml[start..end].trim().to_string())
}
