//! The sandbox's small portal (server-rendered with fiskal-web's [`Layout`], no JavaScript),
//! playing the part of SEF's own web UI in the seed's flow: register a company (type, PIB,
//! matični broj), open "Podešavanja > API menadžment", copy the authentication key, regenerate
//! it, switch API STATUS on or off, and set the callback addresses.
//!
//! Serbian Latin by default, Serbian Cyrillic by transliteration and English ([`Language`]:
//! `?lang=`, which the portal remembers in a cookie, or `Accept-Language`). Company data is
//! shown as registered, never transliterated.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fiskal_domain::lang::Lang;
use fiskal_web::{Language, Layout, NavLink, Pages, Policy, escape as e};
use serde::Deserialize;

use super::{Company, Sandbox, SandboxError, Webhooks};
use crate::model::{PurchaseInvoiceStatus as PS, SalesInvoiceStatus as SS};

type Sb = AxState<Arc<Sandbox>>;
type Lng = Language<Pages>;

/// Company types offered at registration ("Tip kompanije"), as stored, with their English names.
pub const COMPANY_TYPES: &[(&str, &str)] = &[
    ("Privredni subjekt", "Business entity"),
    ("Preduzetnik", "Entrepreneur"),
    ("Korisnik javnih sredstava", "Public funds user"),
    ("Ostali subjekti", "Other entities"),
];

/// Path of the portal's own stylesheet (after fiskal's).
const CSS_PATH: &str = "/static/sef-sandbox.css";
const CSS: &str = include_str!("portal.css");

pub(super) fn routes() -> Router<Arc<Sandbox>> {
    let api = "/portal/firma/{pib}/podesavanja/api-menadzment";
    Router::new()
        .route("/", get(|| async { Redirect::to("/portal") }))
        .route("/portal", get(index))
        .route("/portal/registracija", post(register))
        .route("/portal/firma/{pib}", get(dashboard))
        .route(api, get(api_page))
        .route(&format!("{api}/novi-kljuc"), post(new_key))
        .route(&format!("{api}/status"), post(api_status))
        .route(&format!("{api}/adrese"), post(addresses))
        .route(CSS_PATH, get(css))
        .layer(middleware::from_fn_with_state(
            fiskal_web::LanguageCookie::on_pages(Policy::new()),
            fiskal_web::remember_language,
        ))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// `lang.pick` as escaped HTML text.
fn t(lang: Lang, sr: &'static str, en: &'static str) -> String {
    e(&lang.pick(sr, en))
}

fn company_type_label(lang: Lang, stored: &str) -> Cow<'_, str> {
    match COMPANY_TYPES.iter().find(|(sr, _)| *sr == stored) {
        Some((sr, en)) => lang.pick(sr, en),
        None => Cow::Borrowed(stored),
    }
}

fn api_path(pib: &str) -> String {
    format!("/portal/firma/{pib}/podesavanja/api-menadzment")
}

/// One portal page: `title` (plain text), the signed-in company's navigation, `body_html`, and
/// language links back to `here` (a GET path).
fn page(
    lang: Lang,
    title: &str,
    company: Option<&Company>,
    here: &str,
    body_html: &str,
) -> Html<String> {
    let (home, api) = match company {
        Some(c) => (format!("/portal/firma/{}", c.pib), api_path(&c.pib)),
        None => ("/portal".to_string(), String::new()),
    };
    let labels = [
        lang.pick("Komandna tabla", "Dashboard"),
        lang.pick("API menadžment", "API management"),
        lang.pick("Odjava", "Sign out"),
        lang.pick("Prijava", "Sign in"),
    ];
    let nav_company = [
        NavLink {
            href: &home,
            label: &labels[0],
            current: here == home,
        },
        NavLink {
            href: &api,
            label: &labels[1],
            current: here == api,
        },
        NavLink {
            href: "/portal",
            label: &labels[2],
            current: false,
        },
    ];
    let nav_public = [NavLink {
        href: "/portal",
        label: &labels[3],
        current: here == "/portal",
    }];
    let who = company
        .map(|c| {
            format!(
                "<p class=\"who\"><strong>{}</strong> · {} {}</p>",
                e(&c.name),
                t(lang, "PIB", "PIB"),
                e(&c.pib)
            )
        })
        .unwrap_or_default();
    let langs = fiskal_web::language_links(lang, here);
    let body = format!(
        "<p class=\"brand\">{brand}</p>{who}<h1>{title}</h1>{body_html}\
         <p class=\"langs\">{lang_label}: {langs}</p>",
        brand = t(
            lang,
            "Sistem elektronskih faktura — lokalno probno okruženje (fiskal)",
            "E-invoice system (SEF) — local sandbox (fiskal)"
        ),
        title = e(title),
        lang_label = t(lang, "Jezik", "Language"),
    );
    let full_title = format!("{title} — SEF sandbox");
    let layout = Layout::new(&full_title, lang).stylesheet(CSS_PATH);
    let layout = if company.is_some() {
        layout.nav(&nav_company)
    } else {
        layout.nav(&nav_public)
    };
    layout.html(&body)
}

fn not_found(lang: Lang) -> Response {
    let body = format!(
        "<p class=\"banner bad\" role=\"alert\">{}</p><p><a href=\"/portal\">{}</a></p>",
        t(
            lang,
            "Firma sa tim PIB-om nije registrovana u probnom okruženju.",
            "No company with this PIB is registered in the sandbox."
        ),
        t(lang, "Nazad", "Back")
    );
    let title = lang.pick("Firma nije pronađena", "Company not found");
    (
        StatusCode::NOT_FOUND,
        page(lang, &title, None, "/portal", &body),
    )
        .into_response()
}

fn failed(lang: Lang, err: &SandboxError) -> Response {
    let msg = match err {
        SandboxError::Registration(r) => r.message(lang),
        other => other.to_string(),
    };
    let body = format!(
        "<p class=\"banner bad\" role=\"alert\">{}</p><p><a href=\"/portal\">{}</a></p>",
        e(&msg),
        t(lang, "Nazad", "Back")
    );
    let title = lang.pick("Greška", "Error");
    (
        StatusCode::BAD_REQUEST,
        page(lang, &title, None, "/portal", &body),
    )
        .into_response()
}

fn input(id: &str, label: &str, value: &str, extra: &str) -> String {
    format!(
        "<label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{id}\" value=\"{}\"{extra}>",
        e(value)
    )
}

fn register_form(lang: Lang, error: Option<&str>, f: &RegisterForm) -> String {
    let opts: String = COMPANY_TYPES
        .iter()
        .map(|(sr, en)| {
            let sel = if f.tip == *sr { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{sel}>{}</option>",
                e(sr),
                e(&lang.pick(sr, en))
            )
        })
        .collect();
    let err = error
        .map(|m| format!("<p class=\"banner bad\" role=\"alert\">{}</p>", e(m)))
        .unwrap_or_default();
    let note = lang
        .pick(
            "Na pravom SEF-u registraciju obavlja zakonski zastupnik kvalifikovanim elektronskim \
             sertifikatom ({eid}). U probnom okruženju se podaci unose direktno.",
            "On the real SEF the legal representative registers with a qualified electronic \
             certificate ({eid}). In the sandbox the data is entered directly.",
        )
        .replace("{eid}", "eID.gov.rs");
    let digits = " inputmode=\"numeric\" autocomplete=\"off\"";
    format!(
        "<section><h2>{h}</h2>{err}<p class=\"lead\">{note}</p>\
         <form method=\"post\" action=\"/portal/registracija\">\
         <label for=\"tip\">{tip}</label><select id=\"tip\" name=\"tip\">{opts}</select>\
         {pib}{mb}{naziv}{jbkjs}<p class=\"hint\">{jbkjs_hint}</p>\
         <button type=\"submit\">{go}</button></form></section>",
        h = t(lang, "Registracija novog korisnika", "Register a new user"),
        note = e(&note),
        tip = t(lang, "Tip kompanije", "Company type"),
        pib = input(
            "pib",
            &t(lang, "PIB", "PIB"),
            &f.pib,
            &format!("{digits} maxlength=\"9\" required")
        ),
        mb = input(
            "mb",
            &t(lang, "Matični broj", "Registration number (matični broj)"),
            &f.mb,
            &format!("{digits} maxlength=\"8\" required")
        ),
        naziv = input(
            "naziv",
            &t(lang, "Naziv firme", "Company name"),
            &f.naziv,
            " required"
        ),
        jbkjs = input(
            "jbkjs",
            &t(lang, "JBKJS", "JBKJS"),
            f.jbkjs.as_deref().unwrap_or(""),
            &format!("{digits} maxlength=\"5\"")
        ),
        jbkjs_hint = t(
            lang,
            "JBKJS unose samo korisnici javnih sredstava.",
            "Only public funds users enter a JBKJS."
        ),
        go = t(lang, "Nastavi", "Continue"),
    )
}

fn register_page(
    lang: Lang,
    status: StatusCode,
    error: Option<&str>,
    f: &RegisterForm,
) -> Response {
    let title = lang.pick("Registracija", "Registration");
    let body = register_form(lang, error, f);
    (status, page(lang, &title, None, "/portal", &body)).into_response()
}

async fn index(AxState(sb): Sb, Language { lang, .. }: Lng) -> Html<String> {
    let st = sb.snapshot().await;
    let sign_in = t(lang, "Prijavi se", "Sign in");
    let mut rows = String::new();
    for c in st.companies.values() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/portal/firma/{}\">{sign_in}</a></td></tr>",
            e(&c.name),
            e(&c.pib),
            e(&c.mb),
            e(&company_type_label(lang, &c.company_type)),
            e(&c.pib)
        ));
    }
    let list = if rows.is_empty() {
        format!(
            "<p>{}</p>",
            t(
                lang,
                "Još nema registrovanih firmi.",
                "No company is registered yet."
            )
        )
    } else {
        format!(
            "<div class=\"scroll\"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>{rows}</tbody></table></div>",
            t(lang, "Naziv", "Name"),
            t(lang, "PIB", "PIB"),
            t(lang, "Matični broj", "Reg. number"),
            t(lang, "Tip kompanije", "Company type"),
        )
    };
    let body = format!(
        "<section><h2>{}</h2><p>{}</p>{list}</section>{}",
        t(lang, "Registrovane firme", "Registered companies"),
        t(
            lang,
            "U probnom okruženju nema kvalifikovanog sertifikata: izaberite firmu za prijavu.",
            "The sandbox has no qualified certificate: choose a company to sign in."
        ),
        register_form(lang, None, &RegisterForm::default())
    );
    page(
        lang,
        &lang.pick("Prijavi se", "Sign in"),
        None,
        "/portal",
        &body,
    )
}

#[derive(Debug, Default, Deserialize)]
struct RegisterForm {
    #[serde(default)]
    tip: String,
    #[serde(default)]
    pib: String,
    #[serde(default)]
    mb: String,
    #[serde(default)]
    naziv: String,
    #[serde(default)]
    jbkjs: Option<String>,
}

async fn register(
    AxState(sb): Sb,
    Language { lang, .. }: Lng,
    Form(f): Form<RegisterForm>,
) -> Response {
    let tip = match COMPANY_TYPES.iter().find(|(sr, _)| *sr == f.tip) {
        Some((sr, _)) => (*sr).to_string(),
        None => COMPANY_TYPES[0].0.to_string(),
    };
    let budget = tip == "Korisnik javnih sredstava";
    let jbkjs = f.jbkjs.clone().filter(|j| !j.trim().is_empty());
    if budget && jbkjs.is_none() {
        let msg = lang.pick(
            "Za korisnika javnih sredstava JBKJS je obavezan.",
            "A public funds user must enter its JBKJS.",
        );
        return register_page(lang, StatusCode::BAD_REQUEST, Some(&msg), &f);
    }
    let c = Company {
        pib: f.pib.clone(),
        mb: f.mb.clone(),
        name: f.naziv.clone(),
        company_type: tip,
        jbkjs,
        budget_user: budget,
        vat_active: true,
        status: "Active".into(),
        isp: false,
        registration_date: String::new(),
    };
    match sb.register_company(c).await {
        Ok(c) => {
            // As on SEF, the account gets a key whose API status must still be activated.
            if let Err(err) = sb.create_key(&c.pib, None, false).await {
                tracing::warn!(error = %err, "portal: key not created");
            }
            Redirect::to(&format!("/portal/firma/{}", c.pib)).into_response()
        }
        Err(SandboxError::Registration(r)) => {
            register_page(lang, StatusCode::BAD_REQUEST, Some(&r.message(lang)), &f)
        }
        Err(err) => failed(lang, &err),
    }
}

/// English names of the statuses on the dashboard (Serbian: the labels of `sef-api.md` §8.1).
fn sales_label(lang: Lang, s: SS) -> Cow<'static, str> {
    let en = match s {
        SS::Sending => "Sending",
        SS::Sent => "Sent",
        SS::Mistake => "Sending failed",
        SS::Approved => "Approved",
        SS::Rejected => "Rejected",
        SS::Cancelled => "Cancelled",
        SS::Storno => "Stornoed",
        _ => s.as_str(),
    };
    lang.pick(s.label_sr(), en)
}

fn count_table(lang: Lang, caption: &str, rows: &[(Cow<'static, str>, usize)]) -> String {
    let body: String = rows
        .iter()
        .map(|(label, n)| format!("<tr><td>{}</td><td class=\"num\">{n}</td></tr>", e(label)))
        .collect();
    format!(
        "<section><h2>{}</h2><table><thead><tr><th>{}</th><th class=\"num\">{}</th></tr></thead><tbody>{body}</tbody></table></section>",
        e(caption),
        t(lang, "Status", "Status"),
        t(lang, "Broj", "Count"),
    )
}

async fn dashboard(
    AxState(sb): Sb,
    Language { lang, .. }: Lng,
    Path(pib): Path<String>,
) -> Response {
    let st = sb.snapshot().await;
    let Some(c) = st.companies.get(&pib).cloned() else {
        return not_found(lang);
    };
    let api_on = st.current_key(&pib).is_some_and(|(_, k)| k.active);
    let sales: Vec<_> = [
        SS::Sending,
        SS::Sent,
        SS::Mistake,
        SS::Approved,
        SS::Rejected,
        SS::Cancelled,
        SS::Storno,
    ]
    .into_iter()
    .map(|s| {
        let n = st.sales_of(&pib).filter(|d| d.status == s).count();
        (sales_label(lang, s), n)
    })
    .collect();
    let purchases: Vec<_> = [
        (PS::New, "Nova", "New"),
        (PS::Seen, "Pregledana", "Seen"),
        (PS::ReNotified, "Ponovo obaveštena", "Notified again"),
        (PS::Approved, "Prihvaćena", "Approved"),
        (PS::Rejected, "Odbijena", "Rejected"),
        (PS::Cancelled, "Otkazana", "Cancelled"),
        (PS::Storno, "Stornirana", "Stornoed"),
    ]
    .into_iter()
    .map(|(s, sr, en)| {
        let n = st
            .purchases_of(&pib)
            .filter(|d| d.purchase_status == s)
            .count();
        (lang.pick(sr, en), n)
    })
    .collect();
    let warn = if api_on {
        String::new()
    } else {
        format!(
            "<p class=\"note\" role=\"alert\"><strong>{}</strong> {} <a href=\"{}\">{}</a>.</p>",
            t(
                lang,
                "VAŽNO: API STATUS nije aktivan.",
                "IMPORTANT: API STATUS is not active."
            ),
            t(lang, "Aktivirajte ga u delu", "Activate it under"),
            e(&api_path(&pib)),
            t(
                lang,
                "Podešavanja > API menadžment",
                "Settings > API management"
            ),
        )
    };
    let facts = format!(
        "<section><dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl></section>",
        t(lang, "PIB", "PIB"),
        e(&c.pib),
        t(lang, "Matični broj", "Registration number"),
        e(&c.mb),
        t(lang, "Tip kompanije", "Company type"),
        e(&company_type_label(lang, &c.company_type)),
    );
    let body = format!(
        "{warn}{facts}{}{}",
        count_table(
            lang,
            &lang.pick("Izlazne fakture", "Sales invoices"),
            &sales
        ),
        count_table(
            lang,
            &lang.pick("Ulazne fakture", "Purchase invoices"),
            &purchases
        ),
    );
    let title = lang.pick("Komandna tabla", "Dashboard");
    let here = format!("/portal/firma/{pib}");
    page(lang, &title, Some(&c), &here, &body).into_response()
}

async fn api_page_with(sb: &Sandbox, lang: Lang, pib: &str, notice: Option<&str>) -> Response {
    let st = sb.snapshot().await;
    let Some(c) = st.companies.get(pib).cloned() else {
        return not_found(lang);
    };
    let (key, active) = st
        .current_key(pib)
        .map(|(k, r)| (k.clone(), r.active))
        .unwrap_or_default();
    let hooks = st.webhooks.get(pib).cloned().unwrap_or_default();
    drop(st);
    let notice = notice
        .map(|n| format!("<p class=\"banner ok\" role=\"status\">{}</p>", e(n)))
        .unwrap_or_default();
    let (status_text, status_class, toggle_value, toggle_label) = if active {
        (
            lang.pick("Aktivan", "Active"),
            "status-on",
            "neaktivan",
            lang.pick("Deaktiviraj API status", "Deactivate API status"),
        )
    } else {
        (
            lang.pick("Neaktivan", "Inactive"),
            "status-off",
            "aktivan",
            lang.pick("Aktiviraj API status", "Activate API status"),
        )
    };
    let base = e(&api_path(pib));
    let key_html = if key.is_empty() {
        format!(
            "<p>{}</p>",
            t(
                lang,
                "Ključ još nije generisan.",
                "No key has been generated yet."
            )
        )
    } else {
        let hint = lang
            .pick(
                "Označite ključ i kopirajte ga ({copy}).",
                "Select the key and copy it ({copy}).",
            )
            .replace("{copy}", "Ctrl+C");
        format!(
            "<label for=\"api-kljuc\">{}</label>\
             <input class=\"key\" id=\"api-kljuc\" name=\"api-kljuc\" readonly value=\"{}\" size=\"40\">\
             <p class=\"hint\">{}</p>",
            t(lang, "Ključ za autentifikaciju", "Authentication key"),
            e(&key),
            e(&hint)
        )
    };
    let body = format!(
        "{notice}<section>{key_html}\
         <p>{api_status}: <span id=\"api-status\" class=\"{status_class}\">{status_text}</span></p>\
         <form method=\"post\" action=\"{base}/status\"><input type=\"hidden\" name=\"status\" value=\"{toggle_value}\"><button type=\"submit\">{toggle_label}</button></form></section>\
         <section><p class=\"note\">{regen_note}</p><form method=\"post\" action=\"{base}/novi-kljuc\"><button type=\"submit\">{regen}</button></form></section>\
         <section><h2>{hooks_h}</h2>\
         <form method=\"post\" action=\"{base}/adrese\">{out}{inc}<button type=\"submit\">{save}</button></form></section>",
        api_status = t(lang, "API STATUS", "API STATUS"),
        status_text = e(&status_text),
        toggle_label = e(&toggle_label),
        regen_note = t(
            lang,
            "Generisanjem novog ključa prethodni ključ prestaje da važi: svaki program koji ga koristi (npr. Moje fakture) mora dobiti novi ključ.",
            "Generating a new key ends the previous one: every program that uses it (e.g. Moje fakture) must get the new key."
        ),
        regen = t(lang, "Generiši novi ključ", "Generate a new key"),
        hooks_h = t(
            lang,
            "Adrese za obaveštenja o promeni statusa",
            "Addresses notified of status changes"
        ),
        out = input(
            "izlazne",
            &t(lang, "Izlazne fakture", "Sales invoices"),
            hooks.outgoing.as_deref().unwrap_or(""),
            " inputmode=\"url\""
        ),
        inc = input(
            "ulazne",
            &t(lang, "Ulazne fakture", "Purchase invoices"),
            hooks.incoming.as_deref().unwrap_or(""),
            " inputmode=\"url\""
        ),
        save = t(lang, "Sačuvaj adrese", "Save the addresses"),
    );
    let title = lang.pick("API menadžment", "API management");
    page(lang, &title, Some(&c), &api_path(pib), &body).into_response()
}

async fn api_page(
    AxState(sb): Sb,
    Language { lang, .. }: Lng,
    Path(pib): Path<String>,
) -> Response {
    api_page_with(&sb, lang, &pib, None).await
}

async fn new_key(AxState(sb): Sb, Language { lang, .. }: Lng, Path(pib): Path<String>) -> Response {
    let st = sb.snapshot().await;
    if !st.companies.contains_key(&pib) {
        return not_found(lang);
    }
    let current = st.current_key(&pib).map(|(k, _)| k.clone());
    drop(st);
    let r = match current {
        Some(k) => sb.regenerate_key(&k).await,
        None => sb.create_key(&pib, None, false).await,
    };
    match r {
        Ok(_) => {
            let msg = lang.pick(
                "Generisan je novi ključ. Prethodni ključ više ne važi.",
                "A new key has been generated. The previous key no longer works.",
            );
            api_page_with(&sb, lang, &pib, Some(&msg)).await
        }
        Err(err) => failed(lang, &err),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
}

async fn api_status(
    AxState(sb): Sb,
    Language { lang, .. }: Lng,
    Path(pib): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    let st = sb.snapshot().await;
    if !st.companies.contains_key(&pib) {
        return not_found(lang);
    }
    let current = st.current_key(&pib).map(|(k, _)| k.clone());
    drop(st);
    let on = f.status == "aktivan";
    let key = match current {
        Some(k) => k,
        None => match sb.create_key(&pib, None, on).await {
            Ok(k) => k,
            Err(err) => return failed(lang, &err),
        },
    };
    if let Err(err) = sb.set_key_active(&key, on).await {
        return failed(lang, &err);
    }
    let msg = if on {
        lang.pick("API STATUS je aktiviran.", "API STATUS is activated.")
    } else {
        lang.pick("API STATUS je deaktiviran.", "API STATUS is deactivated.")
    };
    api_page_with(&sb, lang, &pib, Some(&msg)).await
}

#[derive(Deserialize)]
struct AddrForm {
    #[serde(default)]
    izlazne: String,
    #[serde(default)]
    ulazne: String,
}

async fn addresses(
    AxState(sb): Sb,
    Language { lang, .. }: Lng,
    Path(pib): Path<String>,
    Form(f): Form<AddrForm>,
) -> Response {
    let clean = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let hooks = Webhooks {
        outgoing: clean(f.izlazne),
        incoming: clean(f.ulazne),
    };
    match sb.set_webhooks(&pib, hooks).await {
        Ok(()) => {
            let msg = lang.pick("Adrese su sačuvane.", "The addresses are saved.");
            api_page_with(&sb, lang, &pib, Some(&msg)).await
        }
        Err(_) => not_found(lang),
    }
}
