//! The e-invoicing part of `fiskal demo`: a local SEF sandbox in-process, a company registered
//! there and with Moje fakture, one invoice sent, approved by the buyer and followed until
//! `Approved`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use fiskal_sef::sandbox::{LOOPBACK_ANY_PORT, SandboxConfig, SandboxHandle, spawn};
use fiskal_sef::{ApiKey, SefClient, SefClientConfig};
use serde::Serialize;

use crate::crypto::{KeyRing, MasterKey, masked_key};
use crate::gateway::SefGateway;
use crate::model::DocState;
use crate::sef_gateway::ClientGateway;
use crate::service::{Registration, Service, ServiceConfig};
use crate::store::SqlStore;
use crate::ubl_tools::UblTools;

/// Options of [`demo_flow`].
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Database URL of the service (default: in-memory SQLite).
    pub db_url: String,
    /// Invoice number to send.
    pub invoice_number: String,
    /// How long to wait for `Approved`.
    pub timeout: Duration,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            db_url: "sqlite::memory:".into(),
            invoice_number: "MF-DEMO-0001".into(),
            timeout: Duration::from_secs(60),
        }
    }
}

/// What the demo did, for printing.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    /// Base URL of the in-process sandbox.
    pub sandbox_url: String,
    /// Supplier (tenant) PIB and name.
    pub supplier: String,
    /// Buyer PIB and name.
    pub buyer: String,
    /// The key as the UI shows it.
    pub key_masked: String,
    /// SEF version reported by the key check.
    pub sef_version: String,
    /// Invoice number.
    pub invoice_number: String,
    /// The `requestId` of the upload.
    pub request_id: String,
    /// SEF ids.
    pub sales_invoice_id: i64,
    /// Buyer-side id.
    pub purchase_invoice_id: Option<i64>,
    /// SEF statuses seen, in order.
    pub statuses: Vec<String>,
    /// The final SEF status (`Approved` when everything worked).
    pub final_status: String,
    /// Documents the sandbox holds for the supplier (must be 1: nothing sent twice).
    pub documents_in_sandbox: usize,
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "SEF sandbox:            {}", self.sandbox_url)?;
        writeln!(f, "Firma (dobavljač):      {}", self.supplier)?;
        writeln!(f, "Kupac:                  {}", self.buyer)?;
        writeln!(
            f,
            "API ključ (maskiran):   {}  (SEF {})",
            self.key_masked, self.sef_version
        )?;
        writeln!(
            f,
            "Faktura:                {}  requestId {}",
            self.invoice_number, self.request_id
        )?;
        writeln!(
            f,
            "SalesInvoiceId:         {}  PurchaseInvoiceId {}",
            self.sales_invoice_id,
            self.purchase_invoice_id
                .map(|i| i.to_string())
                .unwrap_or_else(|| "—".into())
        )?;
        writeln!(f, "Statusi:                {}", self.statuses.join(" → "))?;
        write!(
            f,
            "Konačni status:         {} ({} dokument u sandbox-u)",
            self.final_status, self.documents_in_sandbox
        )
    }
}

/// Why the demo failed.
#[derive(Debug, thiserror::Error)]
#[error("The e-invoicing demo failed: {0}")]
pub struct DemoError(pub String);

fn err<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> DemoError + '_ {
    move |e| DemoError(format!("{what}: {e}"))
}

/// Supplier of the demo (the sample seller of `ubl-profile.md` §15).
pub const DEMO_SUPPLIER: (&str, &str, &str) = ("190000012", "99000011", "Primer Softver d.o.o.");
/// Buyer of the demo.
pub const DEMO_BUYER: (&str, &str, &str) = ("190000029", "99000028", "Kupac Trgovina d.o.o.");

/// Starts a sandbox, registers the demo companies, builds a service on it (in-memory SQLite
/// unless `db_url` says otherwise) and returns everything. Used by [`demo_flow`] and tests.
pub async fn demo_setup(
    db_url: &str,
) -> Result<(SandboxHandle, Service, String, String), DemoError> {
    let sb = spawn(SandboxConfig::default(), LOOPBACK_ANY_PORT)
        .await
        .map_err(err("sandbox"))?;
    let supplier_key = sb
        .company_with_key(DEMO_SUPPLIER.0, DEMO_SUPPLIER.1, DEMO_SUPPLIER.2)
        .await
        .map_err(err("sandbox company"))?;
    let buyer_key = sb
        .company_with_key(DEMO_BUYER.0, DEMO_BUYER.1, DEMO_BUYER.2)
        .await
        .map_err(err("sandbox company"))?;
    let db = SqlStore::connect(db_url).await.map_err(err("database"))?;
    let gw: Arc<dyn SefGateway> =
        Arc::new(ClientGateway::sandbox(&sb.base_url()).map_err(err("SEF client"))?);
    let mut gws = HashMap::new();
    gws.insert("sandbox".to_string(), gw);
    let cfg = ServiceConfig {
        tick: Duration::from_millis(100),
        daily_jobs: false,
        ..ServiceConfig::default()
    };
    let svc = Service::new(
        db,
        KeyRing::new(MasterKey::generate()),
        gws,
        Arc::new(UblTools),
        cfg,
    );
    Ok((sb, svc, supplier_key, buyer_key))
}

/// The registration of the demo supplier with a key.
pub fn demo_registration(key: &str) -> Registration {
    Registration {
        environment: "sandbox".into(),
        pib: DEMO_SUPPLIER.0.into(),
        mb: DEMO_SUPPLIER.1.into(),
        jbkjs: None,
        name: DEMO_SUPPLIER.2.into(),
        trading_name: None,
        street: "Bulevar oslobođenja 1".into(),
        city: "Novi Sad".into(),
        postal_code: "21000".into(),
        bank_accounts: vec![fiskal_ubl::samples::SAMPLE_ACCOUNT.into()],
        contact_email: Some("fakture@primer-softver.example".into()),
        api_key: ApiKey::unchecked(key),
    }
}

/// The whole flow: sandbox → registration (key checked, stored encrypted) → sample invoice
/// queued in the outbox → sent → approved by the buyer in the sandbox → status followed until
/// `Approved`.
pub async fn demo_flow(opts: DemoOptions) -> Result<DemoSummary, DemoError> {
    let (sb, svc, supplier_key, buyer_key) = demo_setup(&opts.db_url).await?;
    let reg = svc
        .register(demo_registration(&supplier_key), "demo")
        .await
        .map_err(err("registration"))?;
    let tenant = reg.tenant.id;
    let xml = fiskal_ubl::to_xml(&fiskal_ubl::samples::sample_invoice(
        &opts.invoice_number,
        svc.today(),
        2,
    ));
    let doc = svc
        .submit_xml(tenant, xml.as_bytes(), "demo")
        .await
        .map_err(err("queueing the invoice"))?;
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let mut statuses = vec![format!("{}", doc.state)];
    let mut doc = doc;
    while doc.state != DocState::InSef {
        if tokio::time::Instant::now() > deadline {
            return Err(DemoError(format!(
                "the invoice is still {} (last error: {})",
                doc.state,
                doc.error_message.unwrap_or_default()
            )));
        }
        svc.run_sender_once().await;
        doc = svc
            .store()
            .document(tenant, doc.id)
            .await
            .map_err(err("database"))?
            .ok_or_else(|| DemoError("document vanished".into()))?;
        if doc.state != DocState::InSef {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    statuses.push(format!(
        "{} ({})",
        doc.state,
        doc.sef_status.clone().unwrap_or_default()
    ));
    let sales_id = doc
        .sales_invoice_id
        .ok_or_else(|| DemoError("no SalesInvoiceId".into()))?;
    // Follow until Sent, then approve as the buyer.
    let mut last = doc.sef_status.clone().unwrap_or_default();
    let purchase_id = doc.purchase_invoice_id;
    let mut approved_sent = false;
    loop {
        if tokio::time::Instant::now() > deadline {
            return Err(DemoError(format!(
                "the invoice did not reach Approved (last SEF status: {last})"
            )));
        }
        let d = svc
            .refresh_status(tenant, doc.id)
            .await
            .map_err(err("status read"))?;
        let s = d.sef_status.clone().unwrap_or_default();
        if s != last {
            statuses.push(s.clone());
            last = s.clone();
        }
        if s == "Approved" {
            break;
        }
        if s == "Sent" && !approved_sent {
            let buyer = SefClient::new(
                SefClientConfig::sandbox(&sb.base_url()),
                ApiKey::parse(&buyer_key).map_err(err("buyer key"))?,
            )
            .map_err(err("buyer client"))?;
            let pid = purchase_id.ok_or_else(|| DemoError("no PurchaseInvoiceId".into()))?;
            buyer
                .accept_reject_purchase_invoice(pid, true, Some("Prihvaćeno."))
                .await
                .map_err(err("buyer approval"))?;
            approved_sent = true;
            continue;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let docs = sb
        .sandbox()
        .documents()
        .await
        .into_iter()
        .filter(|d| d.supplier_pib == DEMO_SUPPLIER.0)
        .count();
    let summary = DemoSummary {
        sandbox_url: sb.base_url(),
        supplier: format!("{} (PIB {})", DEMO_SUPPLIER.2, DEMO_SUPPLIER.0),
        buyer: format!("{} (PIB {})", DEMO_BUYER.2, DEMO_BUYER.0),
        key_masked: masked_key(&reg.key.last_four),
        sef_version: reg.key.sef_version.clone().unwrap_or_default(),
        invoice_number: doc.number.clone(),
        request_id: doc.request_id.clone().unwrap_or_default(),
        sales_invoice_id: sales_id,
        purchase_invoice_id: purchase_id,
        statuses,
        final_status: last,
        documents_in_sandbox: docs,
    };
    sb.shutdown().await;
    Ok(summary)
}
