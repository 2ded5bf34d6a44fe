//! HTTP: the JSON API (`/api/v1/…`), the server-rendered pages (`/`, `/register`, `/app`, …;
//! Serbian Latin by default, English with `?lang=en` or `Accept-Language`), the SEF callback
//! endpoint (`/sef/callback/{token}`) and `/healthz`.
//!
//! Authentication: the access token returned at registration, as `Authorization: Bearer …` for
//! the API or the `mf_token` cookie (HttpOnly, SameSite=Strict) for the pages. An operator token
//! (configuration) lists tenants and their key states — never keys.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::crypto::{ApiKey, masked_key};
use crate::messages::{Lang, MessageId, onboarding_checklist, sef_status_label, tr};
use crate::model::{DocState, Document, Tenant};
use crate::service::{Registration, Service, ServiceError};
use crate::tools::{SimpleInvoice, SimpleLine};

/// Builds the router.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/tenants", post(api_register))
        .route("/api/v1/tenant", get(api_tenant))
        .route("/api/v1/tenant/key", axum::routing::put(api_replace_key))
        .route("/api/v1/tenant/key/check", post(api_check_key))
        .route("/api/v1/documents", get(api_documents).post(api_submit))
        .route(
            "/api/v1/documents/{id}",
            get(api_document).put(api_resubmit),
        )
        .route("/api/v1/documents/{id}/xml", get(api_document_xml))
        .route("/api/v1/documents/{id}/cancel", post(api_cancel))
        .route("/api/v1/documents/{id}/storno", post(api_storno))
        .route("/api/v1/documents/{id}/refresh", post(api_refresh))
        .route("/api/v1/documents/{id}/redate", post(api_redate))
        .route("/api/v1/operator/tenants", get(api_operator_tenants))
        .route("/sef/callback/{token}", post(callback))
        .route("/", get(page_home))
        .route("/register", get(page_register).post(page_register_post))
        .route("/login", get(page_login).post(page_login_post))
        .route("/logout", post(page_logout))
        .route("/app", get(page_app))
        .route("/app/key", post(page_key_post))
        .route("/app/key/check", post(page_key_check))
        .route("/app/upload", post(page_upload))
        .route("/app/create", post(page_create))
        .route("/app/documents/{id}", get(page_document))
        .route("/app/documents/{id}/action", post(page_document_action))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(service)
}

// ==================================================================== helpers

#[derive(Debug, Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

fn lang_of(q: &LangQuery, headers: &HeaderMap) -> Lang {
    Lang::negotiate(
        q.lang.as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
        fiskal_domain::lang::PAGES,
    )
    .unwrap_or_default()
}

fn api_error(e: &ServiceError, lang: Lang) -> Response {
    if matches!(e, ServiceError::Db(_) | ServiceError::Crypto(_)) {
        tracing::error!(error = %e, "internal error");
    }
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({ "error": { "id": e.id(), "text": e.text(lang) } });
    match e {
        ServiceError::Fields(f) => body["error"]["fields"] = json!(f),
        ServiceError::InvalidDocument(f) => body["error"]["findings"] = json!(f),
        _ => {}
    }
    (status, Json(body)).into_response()
}

fn too_large(lang: Lang, limit: usize) -> (StatusCode, String) {
    let kb = limit / 1024;
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        tr(lang, 
            &format!("Dokument je prevelik: najveća dozvoljena veličina je {kb} KB. Proverite da li ste izabrali pravu datoteku (UBL XML fakture)."),
            &format!("The document is too large: the maximum size is {kb} KB. Check that you chose the right file (the invoice's UBL XML)."),
        )
        .to_string(),
    )
}

async fn read_body(
    req: Request,
    limit: usize,
    lang: Lang,
) -> Result<(HeaderMap, Bytes), (StatusCode, String)> {
    use http_body_util::BodyExt;
    let (parts, mut body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Far too large: answer at once (the client may see the connection close).
    let drain_cap = limit.saturating_mul(8).max(8 * 1024 * 1024);
    if declared.is_some_and(|n| n > drain_cap) {
        return Err(too_large(lang, limit));
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err((
                StatusCode::BAD_REQUEST,
                tr(lang, "Zahtev nije potpun.", "The request is incomplete.")
                    .into(),
            ));
        };
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen <= limit {
                buf.extend_from_slice(&data);
            } else if seen > drain_cap {
                break;
            }
        }
    }
    // Over the limit: the rest was read and discarded so the client gets the answer.
    if seen > limit {
        return Err(too_large(lang, limit));
    }
    Ok((parts.headers, Bytes::from(buf)))
}

fn too_large_api(e: (StatusCode, String)) -> Response {
    let id = if e.0 == StatusCode::PAYLOAD_TOO_LARGE {
        "upload.too_large"
    } else {
        "request.invalid"
    };
    (e.0, Json(json!({ "error": { "id": id, "text": e.1 } }))).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|s| s.trim().to_string())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let c = c.trim();
            c.strip_prefix("mf_token=").map(str::to_string)
        })
}

async fn api_tenant_of(s: &Service, headers: &HeaderMap) -> Result<Tenant, ServiceError> {
    s.authenticate(&bearer(headers).unwrap_or_default()).await
}

macro_rules! api_try {
    ($e:expr, $lang:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return api_error(&e, $lang),
        }
    };
}

// ==================================================================== JSON API

async fn api_register(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    req: Request,
) -> Response {
    let lang = lang_of(&q, req.headers());
    let (_, body) = match read_body(req, 64 * 1024, lang).await {
        Ok(b) => b,
        Err(e) => return too_large_api(e),
    };
    let r: Registration = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({ "error": { "id": "request.invalid", "text": format!("The request body is not a valid registration: {e}") } }))).into_response(),
    };
    let reg = api_try!(s.register(r, "tenant-admin").await, lang);
    (StatusCode::CREATED, Json(json!(reg))).into_response()
}

async fn api_tenant(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    Json(json!(api_try!(s.key_status(t.id, lang).await, lang))).into_response()
}

#[derive(Deserialize)]
struct KeyBody {
    api_key: ApiKey,
}

async fn api_replace_key(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    let Ok(k) = serde_json::from_slice::<KeyBody>(&body) else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": { "id": "request.invalid", "text": "Expected {\"api_key\": \"…\"}." } }))).into_response();
    };
    Json(json!(api_try!(
        s.replace_key(t.id, k.api_key, "tenant-admin").await,
        lang
    )))
    .into_response()
}

async fn api_check_key(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    Json(json!(api_try!(
        s.check_again(t.id, "tenant-admin").await,
        lang
    )))
    .into_response()
}

async fn api_documents(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    Json(json!(api_try!(s.documents(t.id).await, lang))).into_response()
}

async fn api_submit(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    req: Request,
) -> Response {
    let lang = lang_of(&q, req.headers());
    let t = api_try!(api_tenant_of(&s, req.headers()).await, lang);
    let limit = s.config().max_upload_bytes;
    let (headers, body) = match read_body(req, limit, lang).await {
        Ok(b) => b,
        Err(e) => return too_large_api(e),
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let doc = if ct.starts_with("application/json") {
        let Ok(form) = serde_json::from_slice::<SimpleInvoice>(&body) else {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": { "id": "request.invalid", "text": "The body is not a valid simple invoice." } }))).into_response();
        };
        api_try!(s.create_simple(t.id, &form, "tenant-user").await, lang)
    } else {
        api_try!(s.submit_xml(t.id, &body, "tenant-user").await, lang)
    };
    (StatusCode::CREATED, Json(json!(doc))).into_response()
}

async fn api_resubmit(
    State(s): State<Service>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    req: Request,
) -> Response {
    let lang = lang_of(&q, req.headers());
    let t = api_try!(api_tenant_of(&s, req.headers()).await, lang);
    let (_, body) = match read_body(req, s.config().max_upload_bytes, lang).await {
        Ok(b) => b,
        Err(e) => return too_large_api(e),
    };
    Json(json!(api_try!(
        s.resubmit(t.id, id, &body, "tenant-user").await,
        lang
    )))
    .into_response()
}

async fn api_document(
    State(s): State<Service>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    Json(json!(api_try!(s.document(t.id, id, lang).await, lang))).into_response()
}

async fn api_document_xml(
    State(s): State<Service>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    let xml = api_try!(s.document_xml(t.id, id).await, lang);
    ([(header::CONTENT_TYPE, "application/xml")], xml).into_response()
}

#[derive(Deserialize)]
struct ActionBody {
    comment: String,
    #[serde(default)]
    storno_number: Option<String>,
}

async fn api_cancel(
    State(s): State<Service>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Json(b): Json<ActionBody>,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    Json(json!(api_try!(
        s.cancel(t.id, id, &b.comment, "tenant-user").await,
        lang
    )))
    .into_response()
}

async fn api_storno(
    State(s): State<Service>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Json(b): Json<ActionBody>,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    Json(json!(api_try!(
        s.storno(
            t.id,
            id,
            &b.comment,
            b.storno_number.as_deref(),
            "tenant-user"
        )
        .await,
        lang
    )))
    .into_response()
}

async fn api_refresh(
    State(s): State<Service>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    Json(json!(api_try!(s.refresh_status(t.id, id).await, lang))).into_response()
}

async fn api_redate(
    State(s): State<Service>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = api_try!(api_tenant_of(&s, &headers).await, lang);
    Json(json!(api_try!(
        s.confirm_redate(t.id, id, "tenant-user").await,
        lang
    )))
    .into_response()
}

async fn api_operator_tenants(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    if !s.is_operator(&bearer(&headers).unwrap_or_default()) {
        return api_error(&ServiceError::Unauthorized, lang);
    }
    let mut out = Vec::new();
    for t in api_try!(s.db().tenants().await.map_err(ServiceError::from), lang) {
        let k = api_try!(
            s.db().current_key(t.id).await.map_err(ServiceError::from),
            lang
        );
        let waiting = api_try!(
            s.db()
                .count_in_states(t.id, &[DocState::BlockedKey])
                .await
                .map_err(ServiceError::from),
            lang
        );
        out.push(json!({ "tenant": t, "key": k.map(|k| k.info), "waiting": waiting }));
    }
    Json(json!(out)).into_response()
}

async fn callback(State(s): State<Service>, Path(token): Path<String>, body: Bytes) -> Response {
    // Always 200 for a known tenant so SEF does not retry garbage (§9.2).
    match s.handle_callback(&token, &body).await {
        Ok(n) => Json(json!({ "accepted": n })).into_response(),
        Err(ServiceError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(ServiceError::Refused { .. }) => Json(json!({ "accepted": 0 })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "callback handling failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

// ==================================================================== pages

/// Escapes text for HTML.
pub fn esc(s: impl AsRef<str>) -> String {
    let s = s.as_ref();
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1a1a1a}\
header{display:flex;justify-content:space-between;align-items:center;border-bottom:2px solid #0b4f8a;margin-bottom:1rem}\
h1{color:#0b4f8a;font-size:1.5rem}label{display:block;margin:.5rem 0 .1rem;font-weight:600}\
input,select,textarea{width:100%;padding:.35rem;box-sizing:border-box}button{margin-top:.7rem;padding:.4rem 1rem;background:#0b4f8a;color:#fff;border:0;border-radius:3px}\
.msg{padding:.6rem;border-radius:4px;margin:.7rem 0}.err{background:#fde8e8;border:1px solid #c53030}.ok{background:#e6f4ea;border:1px solid #2f855a}\
.warn{background:#fff8e1;border:1px solid #b7791f}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;text-align:left}\
.grid{display:grid;grid-template-columns:1fr 1fr;gap:0 1rem}.inline{display:inline}.muted{color:#666;font-size:.9rem}";

fn page(lang: Lang, title: impl AsRef<str>, body: &str, logged_in: bool) -> Html<String> {
    let title = title.as_ref();
    let other = match lang {
        Lang::SrLatn | Lang::SrCyrl => "<a href=\"?lang=en\">English</a>",
        Lang::En => "<a href=\"?lang=sr\">Srpski</a>",
    };
    let logout = if logged_in {
        format!(
            "<form class=\"inline\" method=\"post\" action=\"/logout?lang={}\"><button>{}</button></form>",
            lang.code(),
            &tr(lang, "Odjava", "Log out")
        )
    } else {
        String::new()
    };
    Html(format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{t} — Moje fakture</title><style>{CSS}</style></head>\
         <body><header><a href=\"/?lang={code}\"><strong>Moje fakture</strong></a><span>{other} {logout}</span></header><h1>{t}</h1>{body}</body></html>",
        code = lang.code(),
        t = esc(title),
    ))
}

fn msg_box(class: &str, text: impl AsRef<str>) -> String {
    let text = text.as_ref();
    format!(
        "<div class=\"msg {class}\" role=\"alert\">{}</div>",
        esc(text)
    )
}

async fn page_home(Query(q): Query<LangQuery>, headers: HeaderMap) -> Html<String> {
    let lang = lang_of(&q, &headers);
    let l = lang.code();
    let body = format!(
        "<p>{}</p><ul><li><a href=\"/register?lang={l}\">{}</a></li><li><a href=\"/login?lang={l}\">{}</a></li><li><a href=\"/app?lang={l}\">{}</a></li></ul>",
        esc(tr(lang, 
            "Moje fakture izdaje elektronske fakture u ime vaše firme preko Sistema elektronskih faktura (SEF) i prati njihov status.",
            "Moje fakture issues e-invoices in your company's name through SEF (the Serbian e-invoice system) and follows their status."
        )),
        &tr(lang, "Registracija firme i API ključa", "Register a company and its API key"),
        &tr(lang, "Prijava pristupnim tokenom", "Log in with an access token"),
        &tr(lang, "Moj nalog: API status i fakture", "My account: API status and invoices"),
    );
    page(
        lang,
        &tr(lang, 
            "Moje fakture — elektronsko fakturisanje",
            "Moje fakture — e-invoicing",
        ),
        &body,
        cookie_token(&headers).is_some(),
    )
}

fn checklist_html(lang: Lang) -> String {
    let items: String = onboarding_checklist(lang)
        .iter()
        .map(|i| format!("<li>{}</li>", esc(i)))
        .collect();
    format!(
        "<section id=\"checklist\"><h2>{}</h2><ol>{items}</ol></section>",
        &tr(lang, "Pre unosa ključa", "Before entering the key")
    )
}

fn key_field(lang: Lang) -> String {
    format!(
        "<label for=\"api_key\">{}</label><input id=\"api_key\" name=\"api_key\" type=\"password\" autocomplete=\"off\" required placeholder=\"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\">\
         <p class=\"msg warn\" id=\"reminder\">{}</p>",
        &tr(lang, 
            "Ključ za autentifikaciju (API ključ)",
            "Authentication key (API key)"
        ),
        esc(MessageId::ApiStatusReminder.template(lang))
    )
}

#[derive(Deserialize, Default)]
struct RegisterForm {
    #[serde(default)]
    environment: String,
    #[serde(default)]
    pib: String,
    #[serde(default)]
    mb: String,
    #[serde(default)]
    jbkjs: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    trading_name: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    bank_account: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    api_key: Option<ApiKey>,
}

impl std::fmt::Debug for RegisterForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterForm")
            .field("pib", &self.pib)
            .field("api_key", &"***")
            .finish()
    }
}

fn register_form_html(s: &Service, lang: Lang, f: &RegisterForm, error: Option<&str>) -> String {
    let envs: String = s
        .environments()
        .iter()
        .map(|e| {
            let label = match e.as_str() {
                "production" => tr(lang, 
                    "produkcija (efaktura.mfin.gov.rs)",
                    "production (efaktura.mfin.gov.rs)",
                ),
                "demo" => tr(lang, 
                    "test (demoefaktura.mfin.gov.rs)",
                    "test (demoefaktura.mfin.gov.rs)",
                ),
                _ => tr(lang, "lokalni sandbox", "local sandbox"),
            };
            format!(
                "<option value=\"{e}\"{}>{}</option>",
                if *e == f.environment { " selected" } else { "" },
                esc(label)
            )
        })
        .collect();
    let field = |name: &str, label: &str, value: &str, extra: &str| {
        format!(
            "<div><label for=\"{name}\">{}</label><input id=\"{name}\" name=\"{name}\" value=\"{}\" {extra}></div>",
            esc(label),
            esc(value)
        )
    };
    format!(
        "{checklist}{err}<form method=\"post\" action=\"/register?lang={l}\"><label for=\"environment\">{envl}</label><select id=\"environment\" name=\"environment\">{envs}</select><div class=\"grid\">{}{}{}{}{}{}{}{}{}{}</div>{key}<button type=\"submit\">{submit}</button></form>",
        field(
            "pib",
            "PIB",
            &f.pib,
            "required inputmode=\"numeric\" maxlength=\"9\""
        ),
        field(
            "mb",
            &tr(lang, "Matični broj", "Registration number (MB)"),
            &f.mb,
            "required inputmode=\"numeric\" maxlength=\"8\""
        ),
        field(
            "jbkjs",
            &tr(lang, 
                "JBKJS (samo korisnici javnih sredstava)",
                "JBKJS (budget users only)"
            ),
            &f.jbkjs,
            "maxlength=\"5\""
        ),
        field(
            "name",
            &tr(lang, "Poslovno ime", "Legal name"),
            &f.name,
            "required"
        ),
        field(
            "trading_name",
            &tr(lang, "Skraćeno ime", "Trading name"),
            &f.trading_name,
            ""
        ),
        field(
            "street",
            &tr(lang, "Ulica i broj", "Street and number"),
            &f.street,
            "required"
        ),
        field("city", &tr(lang, "Mesto", "City"), &f.city, "required"),
        field(
            "postal_code",
            &tr(lang, "Poštanski broj", "Postal code"),
            &f.postal_code,
            "required"
        ),
        field(
            "bank_account",
            &tr(lang, "Tekući račun (18 cifara)", "Bank account (18 digits)"),
            &f.bank_account,
            "required"
        ),
        field(
            "contact_email",
            &tr(lang, "E-pošta za obaveštenja", "E-mail for notifications"),
            &f.contact_email,
            "type=\"email\""
        ),
        checklist = checklist_html(lang),
        err = error.map(|e| msg_box("err", e)).unwrap_or_default(),
        l = lang.code(),
        envl = tr(lang, "Okruženje", "Environment"),
        key = key_field(lang),
        submit = tr(lang, "Proveri ključ i registruj", "Check the key and register"),
    )
}

async fn page_register(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Html<String> {
    let lang = lang_of(&q, &headers);
    let f = RegisterForm {
        environment: s.environments().first().cloned().unwrap_or_default(),
        ..Default::default()
    };
    page(
        lang,
        &tr(lang, "Registracija firme", "Company registration"),
        &register_form_html(&s, lang, &f, None),
        false,
    )
}

fn session_cookie(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "mf_token={token}; Path=/; HttpOnly; SameSite=Strict"
    ))
    .unwrap_or(HeaderValue::from_static("mf_token=; Path=/"))
}

async fn page_register_post(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    req: Request,
) -> Response {
    let lang = lang_of(&q, req.headers());
    let (_, body) = match read_body(req, 64 * 1024, lang).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let f: RegisterForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let r = Registration {
        environment: f.environment.clone(),
        pib: f.pib.clone(),
        mb: f.mb.clone(),
        jbkjs: Some(f.jbkjs.clone()),
        name: f.name.clone(),
        trading_name: Some(f.trading_name.clone()),
        street: f.street.clone(),
        city: f.city.clone(),
        postal_code: f.postal_code.clone(),
        bank_accounts: vec![f.bank_account.clone()],
        contact_email: Some(f.contact_email.clone()),
        api_key: f.api_key.clone().unwrap_or_else(|| ApiKey::unchecked("")),
    };
    match s.register(r, "tenant-admin").await {
        Ok(reg) => {
            let body = format!(
                "{}<p>{}</p><p><code id=\"access-token\">{}</code></p><p>{}</p><p><code>{}</code></p><p><a href=\"/app?lang={}\">{}</a></p>",
                msg_box("ok", tr(lang, "Ključ je proveren u SEF-u i sačuvan šifrovano. Firma je registrovana.", "The key was checked with SEF and stored encrypted. The company is registered.")),
                esc(tr(lang, "Vaš pristupni token (prikazuje se samo sada; sačuvajte ga):", "Your access token (shown only now; keep it):")),
                esc(&reg.access_token),
                esc(tr(lang, 
                    "Opciono: u SEF-u (Podešavanja → API menadžment) kao adresu za obaveštenja o izlaznim fakturama unesite:",
                    "Optional: in SEF (Settings → API management) enter as the notification address for outgoing invoices:"
                )),
                esc(&reg.callback_url),
                lang.code(),
                &tr(lang, "Nastavi na moj nalog", "Continue to my account"),
            );
            let mut resp = page(
                lang,
                &tr(lang, "Registracija uspešna", "Registration complete"),
                &body,
                true,
            )
            .into_response();
            resp.headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&reg.access_token));
            resp
        }
        Err(e) => {
            let status =
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            (
                status,
                page(
                    lang,
                    &tr(lang, "Registracija firme", "Company registration"),
                    &register_form_html(&s, lang, &f, Some(&e.text(lang))),
                    false,
                ),
            )
                .into_response()
        }
    }
}

async fn page_login(Query(q): Query<LangQuery>, headers: HeaderMap) -> Html<String> {
    let lang = lang_of(&q, &headers);
    let body = format!(
        "<form method=\"post\" action=\"/login?lang={}\"><label for=\"token\">{}</label><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required><button>{}</button></form>",
        lang.code(),
        &tr(lang, "Pristupni token", "Access token"),
        &tr(lang, "Prijava", "Log in")
    );
    page(lang, tr(lang, "Prijava", "Log in"), &body, false)
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn page_login_post(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = lang_of(&q, &headers);
    let token = serde_urlencoded::from_bytes::<LoginForm>(&body)
        .map(|f| f.token.trim().to_string())
        .unwrap_or_default();
    match s.authenticate(&token).await {
        Ok(_) => {
            let mut r = (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/app?lang={}", lang.code()))],
            )
                .into_response();
            r.headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&token));
            r
        }
        Err(e) => (
            StatusCode::UNAUTHORIZED,
            page(
                lang,
                &tr(lang, "Prijava", "Log in"),
                &msg_box("err", &e.text(lang)),
                false,
            ),
        )
            .into_response(),
    }
}

async fn page_logout(Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = lang_of(&q, &headers);
    let mut r = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/?lang={}", lang.code()))],
    )
        .into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("mf_token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    r
}

async fn page_tenant(s: &Service, headers: &HeaderMap, lang: Lang) -> Result<Tenant, Response> {
    match s
        .authenticate(&cookie_token(headers).unwrap_or_default())
        .await
    {
        Ok(t) => Ok(t),
        Err(_) => Err((
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/login?lang={}", lang.code()))],
        )
            .into_response()),
    }
}

fn state_label(st: DocState, lang: Lang) -> String {
    match st {
        DocState::Draft => tr(lang, "nacrt", "draft"),
        DocState::Invalid => tr(lang, "neispravan", "invalid"),
        DocState::Queued => tr(lang, "u redu za slanje", "queued"),
        DocState::Sending => tr(lang, "slanje u toku", "sending"),
        DocState::BlockedKey => tr(lang, "čeka ispravan ključ", "waiting for a valid key"),
        DocState::NeedsRedate => {
            tr(lang, "potrebno je potvrditi današnji datum", "needs today's date")
        }
        DocState::AcceptedIdsUnknown => tr(lang, 
            "primljen u SEF, usklađivanje u toku",
            "in SEF, reconciling ids",
        ),
        DocState::Refused => tr(lang, "odbijen od SEF-a", "refused by SEF"),
        DocState::InSef => tr(lang, "u SEF-u", "in SEF"),
    }
}

async fn app_html(
    s: &Service,
    t: &Tenant,
    lang: Lang,
    flash: Option<(&str, String)>,
) -> Result<String, ServiceError> {
    let st = s.key_status(t.id, lang).await?;
    let l = lang.code();
    let key_line = match &st.key {
        Some(k) => format!(
            "<p>{}: <code>{}</code> — <strong id=\"key-state\">{}</strong> ({} {})</p>",
            &tr(lang, "Ključ", "Key"),
            esc(&k.masked),
            esc(k.state.as_str()),
            &tr(lang, "verzija", "version"),
            k.version
        ),
        None => format!(
            "<p>{}</p>",
            &tr(lang, "Ključ nije unet.", "No key entered.")
        ),
    };
    let status_msg = st
        .message
        .as_ref()
        .map(|m| msg_box("err", &m.text))
        .unwrap_or_else(|| {
            msg_box(
                "ok",
                &tr(lang, 
                    "API status: ključ je aktivan i SEF ga prihvata.",
                    "API status: the key is active and accepted by SEF.",
                ),
            )
        });
    let docs = s.documents(t.id).await?;
    let rows: String = docs
        .iter()
        .map(|d| {
            format!(
                "<tr><td><a href=\"/app/documents/{id}?lang={l}\">{num}</a></td><td>{ty}</td><td>{date}</td><td>{buyer}</td><td>{total}</td><td>{state}</td><td>{sef}</td></tr>",
                id = d.id,
                num = esc(&d.number),
                ty = esc(&d.doc_type),
                date = esc(&d.issue_date),
                buyer = esc(d.buyer_name.as_deref().unwrap_or("")),
                total = esc(d.total.as_deref().unwrap_or("")),
                state = esc(state_label(d.state, lang)),
                sef = esc(&d.sef_status.as_deref().map(|x| sef_status_label(x, lang)).unwrap_or_default()),
            )
        })
        .collect();
    let flash = flash.map(|(c, m)| msg_box(c, &m)).unwrap_or_default();
    Ok(format!(
        "{flash}<section id=\"api-status\"><h2>API status — {name} (PIB {pib}, {env})</h2>{key_line}{status_msg}<p class=\"muted\">{waiting_l}: {waiting}</p>\
         <form method=\"post\" action=\"/app/key/check?lang={l}\"><button>{check}</button></form>\
         <h3>{replace}</h3>{checklist}<form method=\"post\" action=\"/app/key?lang={l}\">{keyfield}<button>{save}</button></form>\
         <p class=\"muted\">{cb_l}: <code>{cb}</code></p></section>\
         <section id=\"upload\"><h2>{up}</h2><form method=\"post\" action=\"/app/upload?lang={l}\" enctype=\"multipart/form-data\"><input type=\"file\" name=\"file\" accept=\".xml,application/xml,text/xml\" required><button>{send}</button></form></section>\
         <section id=\"create\"><h2>{create}</h2><form method=\"post\" action=\"/app/create?lang={l}\"><div class=\"grid\">\
         <div><label for=\"number\">{num_l}</label><input id=\"number\" name=\"number\" required></div>\
         <div><label for=\"buyer_pib\">{bpib}</label><input id=\"buyer_pib\" name=\"buyer_pib\" required></div>\
         <div><label for=\"buyer_mb\">{bmb}</label><input id=\"buyer_mb\" name=\"buyer_mb\" required></div>\
         <div><label for=\"buyer_name\">{bname}</label><input id=\"buyer_name\" name=\"buyer_name\" required></div>\
         <div><label for=\"buyer_street\">{bstreet}</label><input id=\"buyer_street\" name=\"buyer_street\" required></div>\
         <div><label for=\"buyer_city\">{bcity}</label><input id=\"buyer_city\" name=\"buyer_city\" required></div>\
         <div><label for=\"buyer_postal_code\">{bpost}</label><input id=\"buyer_postal_code\" name=\"buyer_postal_code\" required></div>\
         <div><label for=\"item\">{item}</label><input id=\"item\" name=\"item\" required></div>\
         <div><label for=\"quantity\">{qty}</label><input id=\"quantity\" name=\"quantity\" value=\"1\" required></div>\
         <div><label for=\"unit_price\">{price}</label><input id=\"unit_price\" name=\"unit_price\" required></div>\
         <div><label for=\"vat_rate\">{vat}</label><select id=\"vat_rate\" name=\"vat_rate\"><option>20</option><option>10</option></select></div>\
         </div><button>{send}</button></form></section>\
         <section id=\"documents\"><h2>{docs_l}</h2><table><thead><tr><th>{num_l}</th><th>{type_l}</th><th>{date_l}</th><th>{bname}</th><th>{total_l}</th><th>{state_l}</th><th>SEF</th></tr></thead><tbody>{rows}</tbody></table></section>",
        name = esc(&t.name),
        pib = esc(&t.pib),
        env = esc(&t.environment),
        waiting_l = tr(lang, 
            "Fakture koje čekaju ispravan ključ",
            "Invoices waiting for a valid key"
        ),
        waiting = st.waiting,
        check = tr(lang, "Proveri ponovo", "Check again"),
        replace = tr(lang, "Unos novog ključa", "Enter a new key"),
        checklist = checklist_html(lang),
        keyfield = key_field(lang),
        save = tr(lang, "Proveri i sačuvaj ključ", "Check and save the key"),
        cb_l = tr(lang, 
            "Adresa za obaveštenja (opciono, unosi se u SEF-u)",
            "Notification address (optional, entered in SEF)"
        ),
        cb = esc(&st.callback_url),
        up = tr(lang, "Slanje UBL XML fakture", "Upload a UBL XML invoice"),
        send = tr(lang, "Pošalji", "Send"),
        create = tr(lang, 
            "Nova faktura (jednostavan obrazac)",
            "New invoice (simple form)"
        ),
        num_l = tr(lang, "Broj", "Number"),
        bpib = tr(lang, "PIB kupca", "Buyer PIB"),
        bmb = tr(lang, "Matični broj kupca", "Buyer MB"),
        bname = tr(lang, "Kupac", "Buyer"),
        bstreet = tr(lang, "Ulica kupca", "Buyer street"),
        bcity = tr(lang, "Mesto kupca", "Buyer city"),
        bpost = tr(lang, "Poštanski broj kupca", "Buyer postal code"),
        item = tr(lang, "Naziv stavke", "Item"),
        qty = tr(lang, "Količina (kom)", "Quantity (pcs)"),
        price = tr(lang, "Cena bez PDV-a (RSD)", "Net unit price (RSD)"),
        vat = tr(lang, "Stopa PDV-a (%)", "VAT rate (%)"),
        docs_l = tr(lang, "Dokumenti", "Documents"),
        type_l = tr(lang, "Vrsta", "Type"),
        date_l = tr(lang, "Datum izdavanja", "Issue date"),
        total_l = tr(lang, "Iznos", "Amount"),
        state_l = tr(lang, "Stanje", "State"),
    ))
}

async fn render_app(
    s: &Service,
    t: &Tenant,
    lang: Lang,
    status: StatusCode,
    flash: Option<(&str, String)>,
) -> Response {
    match app_html(s, t, lang, flash).await {
        Ok(body) => (
            status,
            page(lang, tr(lang, "Moj nalog", "My account"), &body, true),
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            page(lang, "Moje fakture", &msg_box("err", &e.text(lang)), true),
        )
            .into_response(),
    }
}

async fn page_app(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = match page_tenant(&s, &headers, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    render_app(&s, &t, lang, StatusCode::OK, None).await
}

async fn page_key_post(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = match page_tenant(&s, &headers, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let key = serde_urlencoded::from_bytes::<KeyBody>(&body)
        .map(|k| k.api_key)
        .unwrap_or_else(|_| ApiKey::unchecked(""));
    match s.replace_key(t.id, key, "tenant-admin").await {
        Ok(k) => {
            let text = format!(
                "{} {}",
                &tr(lang, 
                    "Novi ključ je proveren i sačuvan:",
                    "The new key was checked and saved:"
                ),
                masked_key(&k.last_four)
            );
            render_app(&s, &t, lang, StatusCode::OK, Some(("ok", text))).await
        }
        Err(e) => {
            render_app(
                &s,
                &t,
                lang,
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                Some(("err", e.text(lang))),
            )
            .await
        }
    }
}

async fn page_key_check(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = match page_tenant(&s, &headers, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match s.check_again(t.id, "tenant-admin").await {
        Ok(_) => {
            render_app(
                &s,
                &t,
                lang,
                StatusCode::OK,
                Some((
                    "ok",
                    tr(lang, 
                        "SEF prihvata ključ. Slanje je nastavljeno.",
                        "SEF accepts the key. Sending has resumed.",
                    )
                    .into(),
                )),
            )
            .await
        }
        Err(e) => {
            render_app(
                &s,
                &t,
                lang,
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                Some(("err", e.text(lang))),
            )
            .await
        }
    }
}

/// Extracts the first file part of a `multipart/form-data` body (no streaming; the body is
/// already size-limited).
pub fn multipart_file(content_type: &str, body: &[u8]) -> Option<Vec<u8>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut i = 0;
    while let Some(p) = find(&body[i..], &delim) {
        parts.push(i + p);
        i += p + delim.len();
    }
    for w in parts.windows(2) {
        let part = &body[w[0] + delim.len()..w[1]];
        let Some(h_end) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..h_end]).to_ascii_lowercase();
        if head.contains("filename=") || head.contains("name=\"file\"") {
            let mut content = &part[h_end + 4..];
            if content.ends_with(b"\r\n") {
                content = &content[..content.len() - 2];
            }
            return Some(content.to_vec());
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn page_upload(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    req: Request,
) -> Response {
    let lang = lang_of(&q, req.headers());
    let t = match page_tenant(&s, req.headers(), lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    // Multipart framing adds a little to the file itself.
    let (headers, body) = match read_body(req, s.config().max_upload_bytes + 4096, lang).await {
        Ok(b) => b,
        Err((st, m)) => return render_app(&s, &t, lang, st, Some(("err", m))).await,
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let xml = if ct.starts_with("multipart/form-data") {
        multipart_file(ct, &body)
    } else {
        Some(body.to_vec())
    };
    let Some(xml) = xml.filter(|x| !x.is_empty()) else {
        return render_app(
            &s,
            &t,
            lang,
            StatusCode::BAD_REQUEST,
            Some((
                "err",
                tr(lang, "Izaberite XML datoteku.", "Choose an XML file.")
                    .into(),
            )),
        )
        .await;
    };
    if xml.len() > s.config().max_upload_bytes {
        let (st, m) = too_large(lang, s.config().max_upload_bytes);
        return render_app(&s, &t, lang, st, Some(("err", m))).await;
    }
    match s.submit_xml(t.id, &xml, "tenant-user").await {
        Ok(d) => {
            render_app(
                &s,
                &t,
                lang,
                StatusCode::OK,
                Some((
                    "ok",
                    format!(
                        "{} {}",
                        &tr(lang, 
                            "Faktura je primljena i stavljena u red za slanje:",
                            "The invoice was accepted and queued:"
                        ),
                        d.number
                    ),
                )),
            )
            .await
        }
        Err(e) => {
            render_app(
                &s,
                &t,
                lang,
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                Some(("err", e.text(lang))),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
struct CreateForm {
    number: String,
    buyer_pib: String,
    buyer_mb: String,
    buyer_name: String,
    buyer_street: String,
    buyer_city: String,
    buyer_postal_code: String,
    item: String,
    quantity: String,
    unit_price: String,
    vat_rate: String,
}

async fn page_create(
    State(s): State<Service>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = match page_tenant(&s, &headers, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(f) = serde_urlencoded::from_bytes::<CreateForm>(&body) else {
        return render_app(
            &s,
            &t,
            lang,
            StatusCode::BAD_REQUEST,
            Some((
                "err",
                tr(lang, 
                    "Popunite sva polja obrasca.",
                    "Fill in every field of the form.",
                )
                .into(),
            )),
        )
        .await;
    };
    let dec = |v: &str| {
        v.trim()
            .replace(',', ".")
            .parse::<rust_decimal::Decimal>()
            .ok()
    };
    let (Some(quantity), Some(unit_price), Some(vat_rate)) =
        (dec(&f.quantity), dec(&f.unit_price), dec(&f.vat_rate))
    else {
        return render_app(
            &s,
            &t,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((
                "err",
                tr(lang, 
                    "Količina, cena i stopa moraju biti brojevi.",
                    "Quantity, price and rate must be numbers.",
                )
                .into(),
            )),
        )
        .await;
    };
    let form = SimpleInvoice {
        number: f.number.trim().into(),
        buyer_pib: f.buyer_pib.trim().into(),
        buyer_mb: f.buyer_mb.trim().into(),
        buyer_jbkjs: None,
        buyer_name: f.buyer_name.trim().into(),
        buyer_street: f.buyer_street.trim().into(),
        buyer_city: f.buyer_city.trim().into(),
        buyer_postal_code: f.buyer_postal_code.trim().into(),
        delivery_date: None,
        due_date: None,
        contract_number: None,
        lines: vec![SimpleLine {
            name: f.item.trim().into(),
            quantity,
            unit_code: "H87".into(),
            unit_price,
            vat_rate,
            vat_category: None,
            exemption_key: None,
        }],
    };
    match s.create_simple(t.id, &form, "tenant-user").await {
        Ok(d) => {
            render_app(
                &s,
                &t,
                lang,
                StatusCode::OK,
                Some((
                    "ok",
                    format!(
                        "{} {}",
                        &tr(lang, 
                            "Faktura je napravljena i stavljena u red za slanje:",
                            "The invoice was created and queued:"
                        ),
                        d.number
                    ),
                )),
            )
            .await
        }
        Err(e) => {
            render_app(
                &s,
                &t,
                lang,
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                Some(("err", e.text(lang))),
            )
            .await
        }
    }
}

async fn document_html(
    s: &Service,
    t: &Tenant,
    id: i64,
    lang: Lang,
    flash: Option<(&str, String)>,
) -> Result<String, ServiceError> {
    let v = s.document(t.id, id, lang).await?;
    let d: &Document = &v.document;
    let l = lang.code();
    let mut rows = vec![
        (tr(lang, "Broj", "Number"), d.number.clone()),
        (tr(lang, "Vrsta", "Type"), d.doc_type.clone()),
        (
            tr(lang, "Datum izdavanja", "Issue date"),
            d.issue_date.clone(),
        ),
        (
            tr(lang, "Kupac", "Buyer"),
            format!(
                "{} ({})",
                d.buyer_name.as_deref().unwrap_or(""),
                d.buyer_pib.as_deref().unwrap_or("")
            ),
        ),
        (
            tr(lang, "Iznos", "Amount"),
            format!(
                "{} {}",
                d.total.as_deref().unwrap_or(""),
                d.currency.as_deref().unwrap_or("")
            ),
        ),
        (
            tr(lang, "Stanje", "State"),
            state_label(d.state, lang).to_string(),
        ),
        ("requestId".to_string(), d.request_id.clone().unwrap_or_default()),
    ];
    if let Some(st) = &d.sef_status {
        rows.push((
            tr(lang, "SEF status", "SEF status"),
            sef_status_label(st, lang),
        ));
    }
    if let Some(id) = d.sales_invoice_id {
        rows.push(("SalesInvoiceId".to_string(), id.to_string()));
    }
    if let Some(c) = &d.sef_comment {
        rows.push((tr(lang, "Komentar", "Comment"), c.clone()));
    }
    let table: String = rows
        .iter()
        .map(|(k, v)| {
            format!(
                "<tr><th>{}</th><td id=\"f-{}\">{}</td></tr>",
                esc(k),
                esc(&k.to_lowercase().replace(' ', "-")),
                esc(v)
            )
        })
        .collect();
    let msg = v
        .message
        .as_ref()
        .map(|m| {
            msg_box(
                if d.state == DocState::InSef && d.sef_status.as_deref() != Some("Rejected") {
                    "warn"
                } else {
                    "err"
                },
                &m.text,
            )
        })
        .unwrap_or_default();
    let flash = flash.map(|(c, m)| msg_box(c, &m)).unwrap_or_default();
    let action = |act: &str, label: &str, comment: bool| {
        let c = if comment {
            format!(
                "<label for=\"comment-{act}\">{}</label><input id=\"comment-{act}\" name=\"comment\" required>",
                &tr(lang, "Komentar (obavezan)", "Comment (required)")
            )
        } else {
            String::new()
        };
        format!(
            "<form method=\"post\" action=\"/app/documents/{}/action?lang={l}\"><input type=\"hidden\" name=\"action\" value=\"{act}\">{c}<button>{}</button></form>",
            d.id,
            esc(label)
        )
    };
    let mut actions = String::new();
    if d.sales_invoice_id.is_some() {
        actions.push_str(&action(
            "refresh",
            &tr(lang, "Osveži status iz SEF-a", "Refresh status from SEF"),
            false,
        ));
        actions.push_str(&action("cancel", &tr(lang, "Otkaži", "Cancel"), true));
        actions.push_str(&action("storno", &tr(lang, "Storniraj", "Storno"), true));
    }
    if d.state == DocState::NeedsRedate {
        actions.push_str(&action(
            "redate",
            &tr(lang, "Pošalji sa današnjim datumom", "Send with today's date"),
            false,
        ));
    }
    Ok(format!(
        "{flash}{msg}<table id=\"document\">{table}</table><p><a href=\"/api/v1/documents/{}/xml\">XML</a> · <a href=\"/app?lang={l}\">{}</a></p><section id=\"actions\">{actions}</section>",
        d.id,
        &tr(lang, "Nazad", "Back")
    ))
}

async fn page_document(
    State(s): State<Service>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = match page_tenant(&s, &headers, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match document_html(&s, &t, id, lang, None).await {
        Ok(b) => page(lang, tr(lang, "Dokument", "Document"), &b, true).into_response(),
        Err(e) => (
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::NOT_FOUND),
            page(
                lang,
                &tr(lang, "Dokument", "Document"),
                &msg_box("err", &e.text(lang)),
                true,
            ),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct ActionForm {
    action: String,
    #[serde(default)]
    comment: String,
}

async fn page_document_action(
    State(s): State<Service>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = lang_of(&q, &headers);
    let t = match page_tenant(&s, &headers, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(f) = serde_urlencoded::from_bytes::<ActionForm>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let r = match f.action.as_str() {
        "refresh" => s
            .refresh_status(t.id, id)
            .await
            .map(|_| tr(lang, "Status je osvežen.", "Status refreshed.")),
        "cancel" => s
            .cancel(t.id, id, &f.comment, "tenant-user")
            .await
            .map(|_| tr(lang, "Dokument je otkazan.", "The document was cancelled.")),
        "storno" => s
            .storno(t.id, id, &f.comment, None, "tenant-user")
            .await
            .map(|_| tr(lang, "Dokument je storniran.", "The document was stornoed.")),
        "redate" => s.confirm_redate(t.id, id, "tenant-user").await.map(|_| {
            tr(lang, 
                "Nova verzija sa današnjim datumom je u redu za slanje.",
                "A new version dated today is queued.",
            )
        }),
        _ => Err(ServiceError::NotFound),
    };
    let (status, flash) = match r {
        Ok(m) => (StatusCode::OK, ("ok", m.to_string())),
        Err(e) => (
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            ("err", e.text(lang)),
        ),
    };
    match document_html(&s, &t, id, lang, Some(flash)).await {
        Ok(b) => (
            status,
            page(lang, tr(lang, "Dokument", "Document"), &b, true),
        )
            .into_response(),
        Err(e) => (
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::NOT_FOUND),
            page(lang, "Moje fakture", &msg_box("err", &e.text(lang)), true),
        )
            .into_response(),
    }
}

/// Serves the router on a listener until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Service,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(service))
        .with_graceful_shutdown(shutdown)
        .await
}

#[allow(dead_code)]
fn _assert_body(_: Body) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_extracts_the_file() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xml\"\r\nContent-Type: text/xml\r\n\r\n<Invoice/>\r\n--XyZ--\r\n";
        assert_eq!(
            multipart_file("multipart/form-data; boundary=XyZ", body).unwrap(),
            b"<Invoice/>"
        );
        assert!(multipart_file("multipart/form-data", body).is_none());
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
