//! A typed client of the SUF's administration API ([`crate::api::admin::router`],
//! under `/portal/api/v1/`): one method per call, answering with the structs of
//! [`crate::service::admin`].
//! `fiskal suf admin` uses it.
//!
//! The administration token is sent as `Authorization: Bearer` and never logged or shown
//! (`Debug` leaves it out).

use std::time::Duration;

use fiskal_domain::tax::TaxRateGroup;
use reqwest::{Method, StatusCode, Url};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::service::admin::{
    AdminOutcome, CommandView, DirectiveRequest, DirectiveSent, ForcedProof, NewTaxRateGroup,
    SecureElementSummary,
};

/// The answer to `GET tax-rate-groups`: every group the SUF knows and the one in force now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxRateGroups {
    /// The group in force now (none before the first group's instant).
    pub current_tax_rates: Option<TaxRateGroup>,
    /// Every group, in the SUF's order.
    pub all_tax_rates: Vec<TaxRateGroup>,
}

/// Why an administration call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminClientError {
    /// The base URL is not an http(s) URL.
    #[error("{0:?} is not an http(s) URL of a SUF")]
    BadUrl(String),
    /// The HTTP client could not be built.
    #[error("the HTTP client cannot be set up: {0}")]
    Setup(#[source] reqwest::Error),
    /// No answer (connection refused, timeout, broken connection).
    #[error("the SUF at {base} does not answer; is `fiskal suf serve` running?")]
    Unreachable {
        /// The SUF's base URL.
        base: String,
        /// What went wrong.
        #[source]
        source: reqwest::Error,
    },
    /// The SUF answered with an error status.
    #[error("the SUF refused ({status}): {message}")]
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// The SUF's `message`, or "no reason given".
        message: String,
    },
    /// The SUF answered success with a body that is not the expected JSON.
    #[error("the SUF's answer to {path} is not what fiskal expects: {source}")]
    Answer {
        /// The call's path under `/portal/api/v1/`.
        path: String,
        /// What did not parse.
        #[source]
        source: serde_json::Error,
    },
}

/// A client of one SUF's administration API.
#[derive(Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    base: Url,
    token: String,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl AdminClient {
    /// A client of the SUF at `base` (e.g. `http://127.0.0.1:8443/`) with the administration
    /// `token`. Each call times out after 30 s.
    pub fn new(base: &str, token: impl Into<String>) -> Result<AdminClient, AdminClientError> {
        let bad = || AdminClientError::BadUrl(base.to_string());
        let url = Url::parse(base).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(bad());
        }
        let http = reqwest::Client::builder()
            // Below the servers' 10 s header-read timeout (fiskal-web).
            .pool_idle_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(AdminClientError::Setup)?;
        Ok(AdminClient {
            http,
            base: url,
            token: token.into(),
        })
    }

    /// `GET tax-rate-groups`: the groups and the one in force now.
    pub async fn tax_rate_groups(&self) -> Result<TaxRateGroups, AdminClientError> {
        self.call(Method::GET, &["tax-rate-groups"], None).await
    }

    /// `POST tax-rate-groups`: adds a group valid from a future instant; every secure element
    /// gets it as SetTaxRates.
    pub async fn add_tax_rate_group(
        &self,
        group: &NewTaxRateGroup,
    ) -> Result<AdminOutcome<TaxRateGroup>, AdminClientError> {
        let body = serde_json::to_value(group).map_err(|source| AdminClientError::Answer {
            path: "tax-rate-groups".into(),
            source,
        })?;
        self.call(Method::POST, &["tax-rate-groups"], Some(body))
            .await
    }

    /// `PUT verification-url`: the verification URL prefix.
    pub async fn set_verification_url(
        &self,
        url: &str,
    ) -> Result<AdminOutcome<String>, AdminClientError> {
        let body = json!({ "url": url });
        self.call(Method::PUT, &["verification-url"], Some(body))
            .await
    }

    /// `PUT time-server`: the time server URL.
    pub async fn set_time_server(
        &self,
        url: &str,
    ) -> Result<AdminOutcome<String>, AdminClientError> {
        let body = json!({ "url": url });
        self.call(Method::PUT, &["time-server"], Some(body)).await
    }

    /// `GET secure-elements`: the registry.
    pub async fn secure_elements(&self) -> Result<Vec<SecureElementSummary>, AdminClientError> {
        self.call(Method::GET, &["secure-elements"], None).await
    }

    /// `GET secure-elements/{uid}/commands`: an element's command history, newest first.
    pub async fn commands(&self, uid: &str) -> Result<Vec<CommandView>, AdminClientError> {
        self.call(Method::GET, &["secure-elements", uid, "commands"], None)
            .await
    }

    /// `POST secure-elements/{uid}/directives`: queues a directive for an element.
    pub async fn send_directive(
        &self,
        uid: &str,
        directive: DirectiveRequest,
    ) -> Result<AdminOutcome<DirectiveSent>, AdminClientError> {
        let body = match directive {
            DirectiveRequest::DisableSigning => json!({ "type": 1 }),
            DirectiveRequest::EnableSigning => json!({ "type": 2 }),
            DirectiveRequest::SetLimit(l) => {
                let dinars = Decimal::from_i128_with_scale(i128::from(l), 4).normalize();
                json!({ "type": 3, "limit": dinars.to_string() })
            }
            DirectiveRequest::UnlockPin => json!({ "type": 4 }),
        };
        self.call(
            Method::POST,
            &["secure-elements", uid, "directives"],
            Some(body),
        )
        .await
    }

    /// `POST secure-elements/{uid}/revoke`: revokes an element now.
    pub async fn revoke(&self, uid: &str) -> Result<(), AdminClientError> {
        let path = ["secure-elements", uid, "revoke"];
        let _: serde_json::Value = self.call(Method::POST, &path, Some(json!({}))).await?;
        Ok(())
    }

    /// `POST secure-elements/{uid}/proof-of-audit`: forces a proof of audit for the element's
    /// pending audit request, recording `operator`.
    pub async fn force_proof_of_audit(
        &self,
        uid: &str,
        operator: &str,
    ) -> Result<AdminOutcome<ForcedProof>, AdminClientError> {
        let path = ["secure-elements", uid, "proof-of-audit"];
        let body = json!({ "operator": operator });
        self.call(Method::POST, &path, Some(body)).await
    }

    /// The URL of `segments` under `/portal/api/v1/`; each segment is percent-encoded, so a UID
    /// cannot reach another path.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut p) = url.path_segments_mut() {
            p.pop_if_empty()
                .extend(["portal", "api", "v1"])
                .extend(segments);
        }
        url
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<serde_json::Value>,
    ) -> Result<T, AdminClientError> {
        let base = self.base.as_str().trim_end_matches('/').to_string();
        let unreachable = |source| AdminClientError::Unreachable {
            base: base.clone(),
            source,
        };
        let mut req = self
            .http
            .request(method, self.url(segments))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("message")?.as_str().map(str::to_string))
                .unwrap_or_else(|| "no reason given".into());
            return Err(AdminClientError::Refused { status, message });
        }
        serde_json::from_slice(&bytes).map_err(|source| AdminClientError::Answer {
            path: segments.join("/"),
            source,
        })
    }
}
