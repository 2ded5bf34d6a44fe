//! HTTP client for the TaxCore PFR API v3 (pfr-api.md), fiskal's L-PFR or any other.
//!
//! The base URL may carry a path prefix (`http://host:8888/{token}/`); endpoint paths
//! (`api/v3/...`) are joined under it.
//!
//! Never twice: `POST /api/v3/invoices` carries a `RequestId`. When the answer is lost (connection
//! failure, timeout, 502/503/504 from a proxy) the same request is sent again with the same
//! `RequestId` (a PFR signs a request ID once and returns the stored result for a repeat), and when
//! every attempt fails the client asks `GET /api/v3/invoices/{requestId}`. Only if that lookup also
//! fails is the outcome unknown ([`EsirError::OutcomeUnknown`]).

use std::time::Duration;

use fiskal_domain::api::{EnvironmentParameters, InvoiceRequest, InvoiceResult, Status};
use fiskal_domain::gsc::Gsc;
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, CONTENT_TYPE};
use serde_json::{Map, Value};

use crate::error::{EsirError, PfrFieldError};
use crate::messages::Lang;

/// The secure element's PIN: exactly 4 ASCII digits. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    /// Parses a PIN (surrounding whitespace is ignored).
    pub fn parse(s: &str) -> Result<Pin, EsirError> {
        let s = s.trim();
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Pin(s.to_string()))
        } else {
            Err(EsirError::PinFormat)
        }
    }

    /// The digits, for the one call that sends them.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// Timeouts and retries of a [`PfrClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request and its answer.
    pub timeout: Duration,
    /// How many times a lost `POST /api/v3/invoices` is sent again (same `RequestId`).
    pub retries: u32,
    /// Pause before each repeat.
    pub retry_delay: Duration,
    /// Language of the PFR's messages (`Accept-Language`).
    pub lang: Lang,
    /// `PAC` header for a V-PFR (6 letters/digits), if any.
    pub pac: Option<String>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retries: 2,
            retry_delay: Duration::from_secs(1),
            lang: Lang::SrLatn,
            pac: None,
        }
    }
}

/// A client of one PFR.
#[derive(Debug, Clone)]
pub struct PfrClient {
    base: reqwest::Url,
    http: reqwest::Client,
    config: ClientConfig,
}

impl PfrClient {
    /// A client for the PFR at `base` (`http://127.0.0.1:7701/`, `http://host:8888/{token}/`).
    /// A missing trailing slash is added, so the last path segment is kept as a prefix.
    pub fn new(base: &str, config: ClientConfig) -> Result<PfrClient, EsirError> {
        let mut b = base.trim().to_string();
        if !b.ends_with('/') {
            b.push('/');
        }
        let base = reqwest::Url::parse(&b).map_err(|e| EsirError::Unreachable {
            url: base.to_string(),
            detail: e.to_string(),
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(EsirError::Unreachable {
                url: base.to_string(),
                detail: "only http and https".into(),
            });
        }
        let http = reqwest::Client::builder()
            // Below the servers' 10 s header-read timeout (fiskal-web).
            .pool_idle_timeout(std::time::Duration::from_secs(5))
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| EsirError::Unreachable {
                url: base.to_string(),
                detail: e.to_string(),
            })?;
        Ok(PfrClient { base, http, config })
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The full URL of an endpoint path such as `api/v3/status`.
    pub fn url(&self, path: &str) -> Result<reqwest::Url, EsirError> {
        self.base.join(path).map_err(|e| EsirError::Unreachable {
            url: self.base.to_string(),
            detail: e.to_string(),
        })
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, EsirError> {
        let mut rb = self
            .http
            .request(method, self.url(path)?)
            .header(ACCEPT, "application/json")
            .header(
                ACCEPT_LANGUAGE,
                crate::messages::accept_language(self.config.lang),
            );
        if let Some(pac) = &self.config.pac {
            rb = rb.header("PAC", pac);
        }
        Ok(rb)
    }

    fn unreachable(&self, e: &reqwest::Error) -> EsirError {
        EsirError::Unreachable {
            url: self.base.to_string(),
            detail: transport_detail(e),
        }
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), reqwest::Error> {
        let resp = rb.send().await?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await?;
        Ok((status, body.to_vec()))
    }

    /// `GET /api/v3/attention`: `Ok(())` when the PFR answers 200.
    pub async fn attention(&self) -> Result<(), EsirError> {
        let (status, body) = self
            .send(self.request(reqwest::Method::GET, "api/v3/attention")?)
            .await
            .map_err(|e| self.unreachable(&e))?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(parse_error_body(status, &body))
        }
    }

    /// `GET /api/v3/status`. Fields a PFR leaves out (a V-PFR sends only some) get empty values.
    pub async fn status(&self) -> Result<Status, EsirError> {
        let (status, body) = self
            .send(self.request(reqwest::Method::GET, "api/v3/status")?)
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !(200..300).contains(&status) {
            return Err(parse_error_body(status, &body));
        }
        parse_status(&body)
    }

    /// `GET /api/v3/environment-parameters`. Missing fields get empty values.
    pub async fn environment_parameters(&self) -> Result<EnvironmentParameters, EsirError> {
        let (status, body) = self
            .send(self.request(reqwest::Method::GET, "api/v3/environment-parameters")?)
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !(200..300).contains(&status) {
            return Err(parse_error_body(status, &body));
        }
        parse_environment(&body)
    }

    /// `POST /api/v3/pin` with the PIN as a JSON string. Returns the code the PFR answered
    /// (`0100` accepted, `2100` wrong, `2110` locked, `1300` no card, …) whatever the HTTP status.
    pub async fn verify_pin(&self, pin: &Pin) -> Result<Gsc, EsirError> {
        let body = serde_json::to_vec(pin.expose()).map_err(|e| EsirError::BadResponse {
            detail: e.to_string(),
        })?;
        let rb = self
            .request(reqwest::Method::POST, "api/v3/pin")?
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        let (status, body) = self.send(rb).await.map_err(|e| self.unreachable(&e))?;
        match bare_code(&body) {
            Some(code) => Gsc::from_code(&code).ok_or(EsirError::BadResponse {
                detail: format!("unknown code {code} from /pin"),
            }),
            None => Err(parse_error_body(status, &body)),
        }
    }

    /// `POST /api/v3/invoices` with header `RequestId: request_id` (at most 32 characters).
    ///
    /// A lost answer is retried with the same `RequestId` ([`ClientConfig::retries`]), then looked
    /// up with [`PfrClient::invoice_by_request_id`]. Errors: [`EsirError::Pfr`] when the PFR
    /// refused (nothing signed); [`EsirError::Unreachable`] when the lookup says the PFR has
    /// nothing under the request ID, or when no attempt got past connecting;
    /// [`EsirError::OutcomeUnknown`] when a request may have arrived and the lookup failed too.
    pub async fn create_invoice(
        &self,
        req: &InvoiceRequest,
        request_id: &str,
    ) -> Result<InvoiceResult, EsirError> {
        check_request_id(request_id)?;
        let body = serde_json::to_vec(req).map_err(|e| EsirError::BadResponse {
            detail: e.to_string(),
        })?;
        let mut last_detail = String::new();
        // Whether any attempt may have reached the PFR (anything but a failed connect).
        let mut maybe_sent = false;
        for attempt in 0..=self.config.retries {
            if attempt > 0 {
                tokio::time::sleep(self.config.retry_delay).await;
                tracing::warn!(
                    request_id,
                    attempt,
                    "sending the invoice again with the same RequestId"
                );
            }
            let rb = self
                .request(reqwest::Method::POST, "api/v3/invoices")?
                .header(CONTENT_TYPE, "application/json")
                .header("RequestId", request_id)
                .body(body.clone());
            match self.send(rb).await {
                Ok((status, body)) if (200..300).contains(&status) => return parse_result(&body),
                Ok((status @ (502..=504), _)) => {
                    maybe_sent = true;
                    last_detail = format!("HTTP {status}");
                }
                Ok((status, body)) => return Err(parse_error_body(status, &body)),
                Err(e) => {
                    maybe_sent |= !e.is_connect();
                    last_detail = transport_detail(&e);
                }
            }
        }
        match self.invoice_by_request_id(request_id).await {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(EsirError::Unreachable {
                url: self.base.to_string(),
                detail: last_detail,
            }),
            Err(_) if !maybe_sent => Err(EsirError::Unreachable {
                url: self.base.to_string(),
                detail: last_detail,
            }),
            Err(EsirError::Pfr { .. })
            | Err(EsirError::Unreachable { .. })
            | Err(EsirError::BadResponse { .. }) => Err(EsirError::OutcomeUnknown {
                request_id: request_id.to_string(),
            }),
            Err(e) => Err(e),
        }
    }

    /// `GET /api/v3/invoices/{requestId}`: the stored result, or `None` when the PFR answers `null`.
    pub async fn invoice_by_request_id(
        &self,
        request_id: &str,
    ) -> Result<Option<InvoiceResult>, EsirError> {
        check_request_id(request_id)?;
        let rb = self.request(
            reqwest::Method::GET,
            &format!("api/v3/invoices/{request_id}"),
        )?;
        let (status, body) = self.send(rb).await.map_err(|e| self.unreachable(&e))?;
        if !(200..300).contains(&status) {
            return Err(parse_error_body(status, &body));
        }
        let v: Value = serde_json::from_slice(&body).map_err(|e| EsirError::BadResponse {
            detail: e.to_string(),
        })?;
        if v.is_null() {
            return Ok(None);
        }
        serde_json::from_value(v)
            .map(Some)
            .map_err(|e| EsirError::BadResponse {
                detail: e.to_string(),
            })
    }
}

fn check_request_id(id: &str) -> Result<(), EsirError> {
    if id.is_empty()
        || id.len() > 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(EsirError::BadResponse {
            detail: format!("request ID {id:?} is not 1–32 letters, digits, - or _"),
        });
    }
    Ok(())
}

/// A new request ID: 32 hexadecimal digits (a UUID without hyphens).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn transport_detail(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(x) = src {
            s = format!("{s}: {x}");
            src = x.source();
        }
        s
    }
}

fn parse_result(body: &[u8]) -> Result<InvoiceResult, EsirError> {
    serde_json::from_slice(body).map_err(|e| EsirError::BadResponse {
        detail: format!("invoice result: {e}"),
    })
}

/// A body that is only a code: `"2100"`, `2100` or `"\"2100\""` (the `/pin` answer and one error
/// shape of pfr-api.md §11).
fn bare_code(body: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(body).ok()?.trim();
    let s = match serde_json::from_str::<Value>(s) {
        Ok(Value::String(x)) => x,
        Ok(Value::Number(n)) => n.to_string(),
        _ => s.to_string(),
    };
    let s = s.trim().trim_matches('"');
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_string())
}

fn get_ci<'a>(o: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn code_in_text(s: &str) -> Option<String> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(3)).find_map(|i| {
        let w = &b[i..i + 4];
        let before_ok = i == 0 || !b[i - 1].is_ascii_digit();
        let after_ok = i + 4 == b.len() || !b[i + 4].is_ascii_digit();
        (before_ok
            && after_ok
            && w.iter().all(|c| c.is_ascii_digit())
            && Gsc::from_code(std::str::from_utf8(w).ok()?).is_some())
        .then(|| String::from_utf8_lossy(w).into_owned())
    })
}

/// Parses an error body into [`EsirError::Pfr`], accepting the three shapes of pfr-api.md §11:
/// TaxCore's `ModelErrors` (`{"message", "modelState": [{"property", "errors": [...]}]}`), a bare
/// code (plain text or JSON string), and DTI-POS's `{"Message", "MessageDetails"}`.
pub fn parse_error_body(http_status: u16, body: &[u8]) -> EsirError {
    let mut errors = Vec::new();
    if let Some(code) = bare_code(body) {
        errors.push(PfrFieldError {
            property: String::new(),
            code,
            text: None,
        });
        return EsirError::Pfr {
            http_status,
            errors,
        };
    }
    if let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(body) {
        if let Some(ms) = get_ci(&o, "modelState") {
            match ms {
                Value::Array(entries) => {
                    for e in entries {
                        let Value::Object(eo) = e else { continue };
                        let property = get_ci(eo, "property")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        if let Some(Value::Array(codes)) = get_ci(eo, "errors") {
                            for c in codes {
                                let code = match c {
                                    Value::String(s) => s.trim().to_string(),
                                    Value::Number(n) => n.to_string(),
                                    _ => continue,
                                };
                                if code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()) {
                                    errors.push(PfrFieldError {
                                        property: property.clone(),
                                        code,
                                        text: None,
                                    });
                                } else {
                                    errors.push(PfrFieldError {
                                        property: property.clone(),
                                        code: String::new(),
                                        text: Some(code),
                                    });
                                }
                            }
                        }
                    }
                }
                // ASP.NET's dictionary form: {"field": ["2800"]}.
                Value::Object(map) => {
                    for (property, codes) in map {
                        if let Value::Array(codes) = codes {
                            for c in codes.iter().filter_map(Value::as_str) {
                                errors.push(PfrFieldError {
                                    property: property.clone(),
                                    code: c.trim().to_string(),
                                    text: None,
                                });
                            }
                        }
                    }
                }
                _ => {}
            }
            return EsirError::Pfr {
                http_status,
                errors,
            };
        }
        let message = get_ci(&o, "message")
            .and_then(Value::as_str)
            .map(str::to_string);
        let details = get_ci(&o, "messageDetails")
            .and_then(Value::as_str)
            .map(str::to_string);
        if message.is_some() || details.is_some() {
            let text = [message.clone(), details.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            let code = details
                .as_deref()
                .and_then(code_in_text)
                .or_else(|| message.as_deref().and_then(code_in_text));
            match code {
                Some(code) => errors.push(PfrFieldError {
                    property: String::new(),
                    code,
                    text: Some(text),
                }),
                None if details.is_some() || !is_reason_phrase(http_status, message.as_deref()) => {
                    errors.push(PfrFieldError {
                        property: String::new(),
                        code: String::new(),
                        text: Some(text),
                    })
                }
                None => {}
            }
            return EsirError::Pfr {
                http_status,
                errors,
            };
        }
    }
    let text = String::from_utf8_lossy(body).trim().to_string();
    if !text.is_empty() && text.len() <= 500 {
        errors.push(PfrFieldError {
            property: String::new(),
            code: code_in_text(&text).unwrap_or_default(),
            text: Some(text),
        });
    }
    EsirError::Pfr {
        http_status,
        errors,
    }
}

fn is_reason_phrase(status: u16, message: Option<&str>) -> bool {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason());
    match (message, reason) {
        (Some(m), Some(r)) => m.eq_ignore_ascii_case(r),
        (None, _) => true,
        _ => false,
    }
}

fn fill(o: &mut Map<String, Value>, key: &str, default: Value) {
    if get_ci(o, key).is_none() {
        o.retain(|k, _| !k.eq_ignore_ascii_case(key));
        o.insert(key.to_string(), default);
    }
}

fn parse_status(body: &[u8]) -> Result<Status, EsirError> {
    let bad = |e: String| EsirError::BadResponse {
        detail: format!("status: {e}"),
    };
    let mut v: Value = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    let Value::Object(o) = &mut v else {
        return Err(bad("not an object".into()));
    };
    for k in ["isPinRequired", "auditRequired"] {
        fill(o, k, Value::Bool(false));
    }
    for k in [
        "lastInvoiceNumber",
        "protocolVersion",
        "secureElementVersion",
        "hardwareVersion",
        "softwareVersion",
        "deviceSerialNumber",
        "make",
        "model",
        "uid",
        "taxCoreApi",
    ] {
        fill(o, k, Value::String(String::new()));
    }
    for k in ["mssc", "gsc", "supportedLanguages", "allTaxRates"] {
        fill(o, k, Value::Array(Vec::new()));
    }
    fill(
        o,
        "sdcDateTime",
        Value::String(chrono::Utc::now().fixed_offset().to_rfc3339()),
    );
    serde_json::from_value(v).map_err(|e| bad(e.to_string()))
}

fn parse_environment(body: &[u8]) -> Result<EnvironmentParameters, EsirError> {
    let bad = |e: String| EsirError::BadResponse {
        detail: format!("environment parameters: {e}"),
    };
    let mut v: Value = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    let Value::Object(o) = &mut v else {
        return Err(bad("not an object".into()));
    };
    for k in [
        "organizationName",
        "serverTimeZone",
        "street",
        "city",
        "country",
        "environmentName",
        "logo",
        "ntpServer",
    ] {
        fill(o, k, Value::String(String::new()));
    }
    fill(o, "supportedLanguages", Value::Array(Vec::new()));
    fill(o, "endpoints", Value::Object(Map::new()));
    if let Some(Value::Object(e)) = o
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case("endpoints"))
        .map(|(_, v)| v)
    {
        for k in ["taxpayerAdminPortal", "taxCoreApi", "vsdc", "root"] {
            fill(e, k, Value::String(String::new()));
        }
    }
    serde_json::from_value(v).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(e: EsirError) -> (u16, Vec<(String, String)>) {
        match e {
            EsirError::Pfr {
                http_status,
                errors,
            } => (
                http_status,
                errors.into_iter().map(|e| (e.property, e.code)).collect(),
            ),
            other => panic!("not a PFR error: {other:?}"),
        }
    }

    #[test]
    fn model_errors_shape() {
        let body = br#"{ "message": "Bad Request",
            "modelState": [ { "property": "referentDocumentNumber", "errors": [ "2806" ] },
                            { "property": "items[0].labels[0]", "errors": [ "2310", "2805" ] } ] }"#;
        assert_eq!(
            errs(parse_error_body(400, body)),
            (
                400,
                vec![
                    ("referentDocumentNumber".into(), "2806".into()),
                    ("items[0].labels[0]".into(), "2310".into()),
                    ("items[0].labels[0]".into(), "2805".into())
                ]
            )
        );
        // PascalCase keys and an empty list.
        let body = br#"{ "Message": "Internal Server Error", "ModelState": [] }"#;
        assert_eq!(errs(parse_error_body(500, body)), (500, vec![]));
    }

    #[test]
    fn bare_code_shapes() {
        assert_eq!(
            errs(parse_error_body(423, b"\"2100\"")),
            (423, vec![(String::new(), "2100".into())])
        );
        assert_eq!(
            errs(parse_error_body(400, b"2806\r\n")),
            (400, vec![(String::new(), "2806".into())])
        );
        assert_eq!(
            errs(parse_error_body(400, b"1500")),
            (400, vec![(String::new(), "1500".into())])
        );
    }

    #[test]
    fn message_details_shape() {
        let body = br#"{ "Message": "An error has occurred.", "MessageDetails": "Invalid tax labels 2310" }"#;
        let e = parse_error_body(400, body);
        let EsirError::Pfr { errors, .. } = &e else {
            panic!()
        };
        assert_eq!(errors[0].code, "2310");
        assert_eq!(errors[0].gsc(), Some(Gsc::InvalidTaxLabels));
        let body = br#"{ "Message": "Something failed", "MessageDetails": "no code here" }"#;
        let EsirError::Pfr { errors, .. } = parse_error_body(400, body) else {
            panic!()
        };
        assert_eq!(errors[0].code, "");
        assert_eq!(
            errors[0].text.as_deref(),
            Some("Something failed: no code here")
        );
        assert!(
            crate::messages::error(
                &EsirError::Pfr {
                    http_status: 400,
                    errors
                },
                Lang::SrLatn
            )
            .starts_with("PFR je odbio zahtev: Something failed: no code here")
        );
    }

    #[test]
    fn status_missing_fields_filled() {
        let s = parse_status(br#"{"gsc":["0000"],"supportedLanguages":["sr-Cyrl-RS"],"uid":"E3B30A31","sdcDateTime":"2024-05-10T12:00:00.000+02:00","currentTaxRates":null}"#).unwrap();
        assert_eq!(s.gsc, vec!["0000"]);
        assert!(!s.is_pin_required);
        assert!(s.all_tax_rates.is_empty());
        let e = parse_environment(br#"{"endpoints":{"root":"https://x/v/?vl="}}"#).unwrap();
        assert_eq!(e.endpoints.root, "https://x/v/?vl=");
    }

    #[test]
    fn pin_never_in_debug_and_base_keeps_prefix() {
        let p = Pin::parse(" 1234 ").unwrap();
        assert_eq!(format!("{p:?}"), "Pin(****)");
        assert!(Pin::parse("12345").is_err());
        let c = PfrClient::new("http://host:8888/abc-token", ClientConfig::default()).unwrap();
        assert_eq!(
            c.url("api/v3/status").unwrap().as_str(),
            "http://host:8888/abc-token/api/v3/status"
        );
        let c = PfrClient::new("http://127.0.0.1:7701/", ClientConfig::default()).unwrap();
        assert_eq!(
            c.url("api/v3/invoices/abc").unwrap().as_str(),
            "http://127.0.0.1:7701/api/v3/invoices/abc"
        );
        assert_eq!(new_request_id().len(), 32);
    }
}
