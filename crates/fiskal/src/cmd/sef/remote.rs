//! `fiskal sef send` and `fiskal sef status`: through a running Moje fakture service (its
//! HTTP API, the access token in `FISKAL_SEF_TOKEN`), into a service's store, or straight to SEF
//! (the API key in `FISKAL_SEF_API_KEY`). Secrets are never taken from the command line.

use std::time::Duration;

use anyhow::{Context, bail};
use fiskal_einvoice::{KeyRing, MasterKey};

use super::args::{SendArgs, StatusArgs};
use super::env::{env_secret, master_key_ring};

fn sef_env(name: &str) -> anyhow::Result<fiskal_sef::SefEnvironment> {
    Ok(match name {
        "production" => fiskal_sef::SefEnvironment::Production,
        "demo" => fiskal_sef::SefEnvironment::Demo,
        "sandbox" => fiskal_sef::SefEnvironment::Sandbox,
        other => bail!("unknown SEF environment {other} (production, demo, sandbox)"),
    })
}

fn direct_client(environment: &str, base_url: &str) -> anyhow::Result<fiskal_sef::SefClient> {
    let env = sef_env(environment)?;
    let mut cfg = match env {
        fiskal_sef::SefEnvironment::Production => fiskal_sef::SefClientConfig::production(),
        fiskal_sef::SefEnvironment::Demo => fiskal_sef::SefClientConfig::demo(),
        fiskal_sef::SefEnvironment::Sandbox => fiskal_sef::SefClientConfig::sandbox(base_url),
    };
    if env == fiskal_sef::SefEnvironment::Sandbox {
        cfg.base_url = base_url.to_string();
    }
    let key = fiskal_sef::ApiKey::parse(&env_secret("FISKAL_SEF_API_KEY")?)
        .map_err(|e| anyhow::anyhow!("FISKAL_SEF_API_KEY: {e}"))?;
    Ok(fiskal_sef::SefClient::new(cfg, key)?)
}

/// `fiskal sef send`: through a running service, into a service's store, or straight to SEF.
pub async fn send(a: SendArgs) -> anyhow::Result<()> {
    let xml =
        std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    if let Some(base) = a.service {
        let token = env_secret("FISKAL_SEF_TOKEN")?;
        let http = reqwest::Client::new();
        let base = base.trim_end_matches('/').to_string();
        let r = http
            .post(format!("{base}/api/v1/documents"))
            .bearer_auth(&token)
            .header("Content-Type", "application/xml")
            .body(xml)
            .send()
            .await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await?;
        if !status.is_success() {
            bail!(
                "{}",
                body["error"]["text"]
                    .as_str()
                    .unwrap_or("the service refused the document")
            );
        }
        let id = body["id"].as_i64().unwrap_or_default();
        println!(
            "Dokument {} (id {id}) je u redu za slanje; requestId {}.",
            body["number"].as_str().unwrap_or(""),
            body["request_id"].as_str().unwrap_or("")
        );
        let end = tokio::time::Instant::now() + Duration::from_secs(a.wait);
        while a.wait > 0 && tokio::time::Instant::now() < end {
            let v: serde_json::Value = http
                .get(format!("{base}/api/v1/documents/{id}"))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            let st = v["document"]["state"].as_str().unwrap_or("").to_string();
            if !matches!(st.as_str(), "queued" | "sending") {
                println!(
                    "Stanje: {st}; SEF status: {}; SalesInvoiceId: {}",
                    v["document"]["sef_status"], v["document"]["sales_invoice_id"]
                );
                if let Some(m) = v["message"]["text"].as_str() {
                    println!("{m}");
                }
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        return Ok(());
    }
    if let (Some(db), Some(pib)) = (a.db, a.pib) {
        // A service's store: the master key as `serve` reads it, or a throw-away one (the
        // document does not need the tenant's key to be queued).
        let ring = master_key_ring(None).unwrap_or_else(|_| KeyRing::new(MasterKey::generate()));
        let d = fiskal_einvoice::setup::queue_document(&db, &a.environment, &pib, &xml, ring)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "Dokument {} (id {}) je u redu za slanje; requestId {}.",
            d.number,
            d.id,
            d.request_id.unwrap_or_default()
        );
        return Ok(());
    }
    if a.direct {
        let client = direct_client(&a.environment, &a.base_url)?;
        let rid = fiskal_sef::new_request_id();
        let up = fiskal_sef::UblUpload::new(xml, rid.clone());
        match client.send_ubl(&up).await {
            Ok(r) => {
                println!(
                    "SEF je prihvatio dokument: SalesInvoiceId {}, PurchaseInvoiceId {}, requestId {rid}.",
                    r.sales_invoice_id,
                    r.purchase_invoice_id
                        .map(|i| i.to_string())
                        .unwrap_or_default()
                );
                return Ok(());
            }
            Err(e) => bail!("{} (requestId {rid})", e.message_sr()),
        }
    }
    bail!("choose --service URL, --db URL --pib PIB, or --direct")
}

/// `fiskal sef status`: from a running service, or straight from SEF.
pub async fn status(a: StatusArgs) -> anyhow::Result<()> {
    if let Some(base) = a.service {
        let token = env_secret("FISKAL_SEF_TOKEN")?;
        let http = reqwest::Client::new();
        let base = base.trim_end_matches('/');
        let url = match a.id {
            Some(id) => format!("{base}/api/v1/documents/{id}"),
            None => format!("{base}/api/v1/documents"),
        };
        let r = http.get(url).bearer_auth(&token).send().await?;
        let ok = r.status().is_success();
        let v: serde_json::Value = r.json().await?;
        if !ok {
            bail!(
                "{}",
                v["error"]["text"].as_str().unwrap_or("request failed")
            );
        }
        let docs: Vec<serde_json::Value> = match v.as_array() {
            Some(a) => a.clone(),
            None => vec![v["document"].clone()],
        };
        for d in docs {
            println!(
                "{}\t{}\t{}\t{}\t{}\tSalesInvoiceId={}",
                d["id"],
                d["number"].as_str().unwrap_or(""),
                d["issue_date"].as_str().unwrap_or(""),
                d["state"].as_str().unwrap_or(""),
                d["sef_status"].as_str().unwrap_or("-"),
                d["sales_invoice_id"]
            );
        }
        if let Some(m) = v["message"]["text"].as_str() {
            println!("{m}");
        }
        return Ok(());
    }
    if let Some(id) = a.sales_id {
        let client = direct_client(&a.environment, &a.base_url)?;
        let r = client
            .get_sales_invoice(id)
            .await
            .map_err(|e| anyhow::anyhow!(e.message_sr()))?;
        println!(
            "SalesInvoiceId {id}: {} ({}){}",
            r.status.as_str(),
            r.status.label_sr(),
            r.comment.map(|c| format!(" — {c}")).unwrap_or_default()
        );
        return Ok(());
    }
    bail!("choose --service URL [ID] or --sales-id N")
}
