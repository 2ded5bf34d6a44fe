//! The public pages: home, company registration (checklist, key field, the access token shown
//! once), log in with the access token, log out.

use axum::Form;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use fiskal_web::{Language, Pages, escape};
use serde::Deserialize;

use super::error;
use super::shell::{
    Flash, St, Web, msg_box, page, page_response, see_other, session_cookie, session_removal,
    session_token, t,
};
use crate::crypto::ApiKey;
use crate::messages::{Lang, MessageId, onboarding_checklist, tr};
use crate::service::{Registration, Service};

type Lng = Language<Pages>;

/// The public page routes.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(home))
        .route("/register", get(register).post(register_post))
        .route("/login", get(login).post(login_post))
        .route("/logout", post(logout))
}

async fn home(Language { lang, .. }: Lng, headers: HeaderMap) -> Html<String> {
    let body = format!(
        "<section><p class=\"lead\">{}</p><ul class=\"check\"><li><a href=\"/register\">{}</a></li><li><a href=\"/login\">{}</a></li><li><a href=\"/app\">{}</a></li></ul></section>",
        t(
            lang,
            "Moje fakture izdaje elektronske fakture u ime vaše firme preko Sistema elektronskih faktura (SEF) i prati njihov status.",
            "Moje fakture issues e-invoices in your company's name through SEF (the Serbian e-invoice system) and follows their status."
        ),
        t(
            lang,
            "Registracija firme i API ključa",
            "Register a company and its API key"
        ),
        t(
            lang,
            "Prijava pristupnim tokenom",
            "Log in with an access token"
        ),
        t(
            lang,
            "Moj nalog: API status i fakture",
            "My account: API status and invoices"
        ),
    );
    let title = tr(
        lang,
        "Moje fakture — elektronsko fakturisanje",
        "Moje fakture — e-invoicing",
    );
    page(lang, &title, "/", session_token(&headers).is_some(), &body)
}

/// The checklist of `moje-fakture.md` §3.1, shown before every key field.
pub fn checklist_html(lang: Lang) -> String {
    let items: String = onboarding_checklist(lang)
        .iter()
        .map(|i| format!("<li>{}</li>", escape(i)))
        .collect();
    format!(
        "<section id=\"checklist\"><h2>{}</h2><ol>{items}</ol></section>",
        t(lang, "Pre unosa ključa", "Before entering the key")
    )
}

/// The key field (a password field, never filled in) with the API STATUS reminder.
pub fn key_field(lang: Lang) -> String {
    format!(
        "<label for=\"api_key\">{}</label><input id=\"api_key\" name=\"api_key\" type=\"password\" autocomplete=\"off\" required placeholder=\"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\">\
         <p class=\"note\" id=\"reminder\">{}</p>",
        t(
            lang,
            "Ključ za autentifikaciju (API ključ)",
            "Authentication key (API key)"
        ),
        escape(&MessageId::ApiStatusReminder.template(lang))
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterForm {
    environment: String,
    pib: String,
    mb: String,
    jbkjs: String,
    name: String,
    trading_name: String,
    street: String,
    city: String,
    postal_code: String,
    bank_account: String,
    contact_email: String,
    api_key: Option<ApiKey>,
}

impl std::fmt::Debug for RegisterForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterForm")
            .field("pib", &self.pib)
            .field("api_key", &"***")
            .finish_non_exhaustive()
    }
}

fn environment_label(lang: Lang, env: &str) -> String {
    match env {
        "production" => tr(
            lang,
            "produkcija (efaktura.mfin.gov.rs)",
            "production (efaktura.mfin.gov.rs)",
        ),
        "demo" => tr(
            lang,
            "test (demoefaktura.mfin.gov.rs)",
            "test (demoefaktura.mfin.gov.rs)",
        ),
        _ => tr(lang, "lokalni sandbox", "local sandbox"),
    }
}

fn register_form_html(s: &Service, lang: Lang, f: &RegisterForm, error: Option<&str>) -> String {
    let envs: String = s
        .environments()
        .iter()
        .map(|e| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(e),
                if *e == f.environment { " selected" } else { "" },
                escape(&environment_label(lang, e))
            )
        })
        .collect();
    let field = |name: &str, sr: &str, en: &str, value: &str, extra: &str| {
        format!(
            "<div><label for=\"{name}\">{}</label><input id=\"{name}\" name=\"{name}\" value=\"{}\" {extra}></div>",
            t(lang, sr, en),
            escape(value)
        )
    };
    let digits = "inputmode=\"numeric\"";
    let fields = [
        field(
            "pib",
            "PIB",
            "PIB",
            &f.pib,
            &format!("required {digits} maxlength=\"9\""),
        ),
        field(
            "mb",
            "Matični broj",
            "Registration number (MB)",
            &f.mb,
            &format!("required {digits} maxlength=\"8\""),
        ),
        field(
            "jbkjs",
            "JBKJS (samo korisnici javnih sredstava)",
            "JBKJS (budget users only)",
            &f.jbkjs,
            "maxlength=\"5\"",
        ),
        field("name", "Poslovno ime", "Legal name", &f.name, "required"),
        field(
            "trading_name",
            "Skraćeno ime",
            "Trading name",
            &f.trading_name,
            "",
        ),
        field(
            "street",
            "Ulica i broj",
            "Street and number",
            &f.street,
            "required",
        ),
        field("city", "Mesto", "City", &f.city, "required"),
        field(
            "postal_code",
            "Poštanski broj",
            "Postal code",
            &f.postal_code,
            "required",
        ),
        field(
            "bank_account",
            "Tekući račun (18 cifara)",
            "Bank account (18 digits)",
            &f.bank_account,
            "required",
        ),
        field(
            "contact_email",
            "E-pošta za obaveštenja",
            "E-mail for notifications",
            &f.contact_email,
            "type=\"email\"",
        ),
    ]
    .concat();
    format!(
        "{checklist}{err}<section><form method=\"post\" action=\"/register\"><label for=\"environment\">{envl}</label><select id=\"environment\" name=\"environment\">{envs}</select><div class=\"grid\">{fields}</div>{key}<button type=\"submit\">{submit}</button></form></section>",
        checklist = checklist_html(lang),
        err = error.map(|e| msg_box(Flash::Err, e)).unwrap_or_default(),
        envl = t(lang, "Okruženje", "Environment"),
        key = key_field(lang),
        submit = t(
            lang,
            "Proveri ključ i registruj",
            "Check the key and register"
        ),
    )
}

async fn register(axum::extract::State(w): St, Language { lang, .. }: Lng) -> Html<String> {
    let f = RegisterForm {
        environment: w.svc.environments().first().cloned().unwrap_or_default(),
        ..Default::default()
    };
    let title = tr(lang, "Registracija firme", "Company registration");
    page(
        lang,
        &title,
        "/register",
        false,
        &register_form_html(&w.svc, lang, &f, None),
    )
}

async fn register_post(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    form: Result<Form<RegisterForm>, FormRejection>,
) -> Response {
    let title = tr(lang, "Registracija firme", "Company registration");
    let Ok(Form(f)) = form else {
        let f = RegisterForm::default();
        let err = tr(
            lang,
            "Popunite sva polja obrasca.",
            "Fill in every field of the form.",
        );
        let body = register_form_html(&w.svc, lang, &f, Some(&err));
        return page_response(
            StatusCode::BAD_REQUEST,
            lang,
            &title,
            "/register",
            false,
            &body,
        );
    };
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
    match w.svc.register(r, "tenant-admin").await {
        Ok(reg) => {
            let body = format!(
                "{}<section><p>{}</p><p><code id=\"access-token\">{}</code></p><p>{}</p><p><code>{}</code></p><p><a href=\"/app\">{}</a></p></section>",
                msg_box(
                    Flash::Ok,
                    &tr(
                        lang,
                        "Ključ je proveren u SEF-u i sačuvan šifrovano. Firma je registrovana.",
                        "The key was checked with SEF and stored encrypted. The company is registered."
                    )
                ),
                t(
                    lang,
                    "Vaš pristupni token (prikazuje se samo sada; sačuvajte ga):",
                    "Your access token (shown only now; keep it):"
                ),
                escape(&reg.access_token),
                t(
                    lang,
                    "Opciono: u SEF-u (Podešavanja → API menadžment) kao adresu za obaveštenja o izlaznim fakturama unesite:",
                    "Optional: in SEF (Settings → API management) enter as the notification address for outgoing invoices:"
                ),
                escape(&reg.callback_url),
                t(lang, "Nastavi na moj nalog", "Continue to my account"),
            );
            let done = tr(lang, "Registracija uspešna", "Registration complete");
            let html = page(lang, &done, "/app", true, &body);
            (session_cookie(&w.policy, &reg.access_token), html).into_response()
        }
        Err(e) => {
            let status = error::status(&e);
            let body = register_form_html(&w.svc, lang, &f, Some(&e.text(lang)));
            page_response(status, lang, &title, "/register", false, &body)
        }
    }
}

async fn login(Language { lang, .. }: Lng) -> Html<String> {
    let body = format!(
        "<section><form method=\"post\" action=\"/login\"><label for=\"token\">{}</label><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required><button type=\"submit\">{}</button></form></section>",
        t(lang, "Pristupni token", "Access token"),
        t(lang, "Prijava", "Log in")
    );
    page(lang, &tr(lang, "Prijava", "Log in"), "/login", false, &body)
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login_post(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let token = form
        .map(|Form(f)| f.token.trim().to_string())
        .unwrap_or_default();
    match w.svc.authenticate(&token).await {
        Ok(_) => (
            session_cookie(&w.policy, &token),
            see_other(&format!("/app?lang={}", lang.code())),
        )
            .into_response(),
        Err(e) => page_response(
            StatusCode::UNAUTHORIZED,
            lang,
            &tr(lang, "Prijava", "Log in"),
            "/login",
            false,
            &msg_box(Flash::Err, &e.text(lang)),
        ),
    }
}

async fn logout(axum::extract::State(w): St, Language { lang, .. }: Lng) -> Response {
    (
        session_removal(&w.policy),
        see_other(&format!("/?lang={}", lang.code())),
    )
        .into_response()
}
