//! The sandbox's small portal (server-rendered, Serbian Latin, no JavaScript), playing the part
//! of SEF's own web UI in the seed's flow: register a company (type, PIB, matični broj),
//! open "Podešavanja > API menadžment", copy the authentication key, regenerate it, switch
//! API STATUS on or off, and set the callback addresses.

use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Company, Sandbox, Webhooks};
use crate::model::{PurchaseInvoiceStatus as PS, SalesInvoiceStatus as SS};
use crate::xml::escape as e;

type Sb = AxState<Arc<Sandbox>>;

/// Company types offered at registration ("Tip kompanije").
pub const COMPANY_TYPES: &[&str] = &[
    "Privredni subjekt",
    "Preduzetnik",
    "Korisnik javnih sredstava",
    "Ostali subjekti",
];

pub(super) fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/portal") }))
        .route("/portal", get(index))
        .route("/portal/registracija", post(register))
        .route("/portal/firma/{pib}", get(dashboard))
        .route(
            "/portal/firma/{pib}/podesavanja/api-menadzment",
            get(api_page),
        )
        .route(
            "/portal/firma/{pib}/podesavanja/api-menadzment/novi-kljuc",
            post(new_key),
        )
        .route(
            "/portal/firma/{pib}/podesavanja/api-menadzment/status",
            post(api_status),
        )
        .route(
            "/portal/firma/{pib}/podesavanja/api-menadzment/adrese",
            post(addresses),
        )
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1d2733;background:#f4f6f8}\
header{background:#0b3d6e;color:#fff;padding:.8rem 1.5rem}header a{color:#fff;text-decoration:none}\
main{display:flex;gap:1.5rem;padding:1.5rem}nav{min-width:14rem;background:#fff;padding:1rem;border-radius:6px}\
nav a{display:block;padding:.3rem 0;color:#0b3d6e}section{flex:1;background:#fff;padding:1rem 1.5rem;border-radius:6px}\
label{display:block;margin:.6rem 0 .2rem;font-weight:600}input,select{padding:.4rem;width:100%;max-width:28rem;box-sizing:border-box;font-size:1rem}\
button{margin-top:.8rem;padding:.5rem 1rem;font-size:1rem;cursor:pointer}.err{background:#fde2e1;padding:.6rem;border-radius:4px}\
.ok{background:#e3f6e5;padding:.6rem;border-radius:4px}.warn{background:#fff4d6;padding:.6rem;border-radius:4px}\
table{border-collapse:collapse}td,th{border-bottom:1px solid #dde;padding:.3rem .8rem;text-align:left}\
@media(max-width:700px){main{flex-direction:column;padding:.6rem}nav{min-width:0}section{padding:.6rem}table{font-size:.85rem}}\
.status-on{color:#176b2c;font-weight:700}.status-off{color:#a11;font-weight:700}code,input.key{font-family:monospace}";

fn page(title: &str, nav: Option<&Company>, body: &str) -> Html<String> {
    let nav_html = match nav {
        Some(c) => format!(
            "<nav aria-label=\"Glavni meni\"><strong>{name}</strong><br><small>PIB {pib}</small>\
             <a href=\"/portal/firma/{pib}\">Komandna tabla</a>\
             <span>Podešavanja</span>\
             <a href=\"/portal/firma/{pib}/podesavanja/api-menadzment\">&nbsp;&nbsp;API menadžment</a>\
             <a href=\"/portal\">Odjava</a></nav>",
            name = e(&c.name),
            pib = e(&c.pib)
        ),
        None => String::new(),
    };
    Html(format!(
        "<!DOCTYPE html><html lang=\"sr-Latn\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{t} — SEF sandbox</title>\
         <style>{CSS}</style></head><body><header><a href=\"/portal\"><strong>Sistem elektronskih faktura</strong> — lokalni sandbox (fiskal)</a></header>\
         <main>{nav_html}<section><h1>{t}</h1>{body}</section></main></body></html>",
        t = e(title)
    ))
}

async fn company(sb: &Sandbox, pib: &str) -> Option<Company> {
    sb.snapshot().await.companies.get(pib).cloned()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        page("Firma nije pronađena", None, "<p class=\"err\">Firma sa tim PIB-om nije registrovana u sandbox-u.</p><p><a href=\"/portal\">Nazad</a></p>"),
    )
        .into_response()
}

fn register_form(error: Option<&str>, f: &RegisterForm) -> String {
    let opts: String = COMPANY_TYPES
        .iter()
        .map(|t| {
            let sel = if f.tip == *t { " selected" } else { "" };
            format!("<option{sel}>{}</option>", e(t))
        })
        .collect();
    let err = error
        .map(|m| format!("<p class=\"err\" role=\"alert\">{}</p>", e(m)))
        .unwrap_or_default();
    format!(
        "<h2>Registracija novog korisnika</h2>{err}\
         <p>Na pravom SEF-u registraciju obavlja zakonski zastupnik kvalifikovanim elektronskim sertifikatom (eID.gov.rs). U sandbox-u se podaci unose direktno.</p>\
         <form method=\"post\" action=\"/portal/registracija\">\
         <label for=\"tip\">Tip kompanije</label><select id=\"tip\" name=\"tip\">{opts}</select>\
         <label for=\"pib\">PIB</label><input id=\"pib\" name=\"pib\" inputmode=\"numeric\" maxlength=\"9\" value=\"{pib}\" required>\
         <label for=\"mb\">Matični broj</label><input id=\"mb\" name=\"mb\" inputmode=\"numeric\" maxlength=\"8\" value=\"{mb}\" required>\
         <label for=\"naziv\">Naziv firme</label><input id=\"naziv\" name=\"naziv\" value=\"{naziv}\" required>\
         <label for=\"jbkjs\">JBKJS (samo za korisnike javnih sredstava)</label><input id=\"jbkjs\" name=\"jbkjs\" inputmode=\"numeric\" maxlength=\"5\" value=\"{jbkjs}\">\
         <br><button type=\"submit\">Nastavi</button></form>",
        pib = e(&f.pib),
        mb = e(&f.mb),
        naziv = e(&f.naziv),
        jbkjs = e(f.jbkjs.as_deref().unwrap_or(""))
    )
}

async fn index(AxState(sb): Sb) -> Html<String> {
    let st = sb.snapshot().await;
    let mut rows = String::new();
    for c in st.companies.values() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/portal/firma/{}\">Prijavi se</a></td></tr>",
            e(&c.name),
            e(&c.pib),
            e(&c.mb),
            e(&c.company_type),
            e(&c.pib)
        ));
    }
    let list = if rows.is_empty() {
        "<p>Još nema registrovanih firmi.</p>".to_string()
    } else {
        format!(
            "<table><thead><tr><th>Naziv</th><th>PIB</th><th>Matični broj</th><th>Tip kompanije</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    page(
        "Prijavi se",
        None,
        &format!(
            "<h2>Registrovane firme</h2><p>U sandbox-u nema kvalifikovanog sertifikata: izaberite firmu za prijavu.</p>{list}{}",
            register_form(None, &RegisterForm::default())
        ),
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

async fn register(AxState(sb): Sb, Form(f): Form<RegisterForm>) -> Response {
    let tip = if COMPANY_TYPES.contains(&f.tip.as_str()) {
        f.tip.clone()
    } else {
        COMPANY_TYPES[0].to_string()
    };
    let budget = tip == "Korisnik javnih sredstava";
    let jbkjs = f.jbkjs.clone().filter(|j| !j.trim().is_empty());
    if budget && jbkjs.is_none() {
        return (
            StatusCode::BAD_REQUEST,
            page(
                "Registracija",
                None,
                &register_form(Some("Za korisnika javnih sredstava JBKJS je obavezan."), &f),
            ),
        )
            .into_response();
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
        Err(err) => (
            StatusCode::BAD_REQUEST,
            page(
                "Registracija",
                None,
                &register_form(Some(&err.to_string()), &f),
            ),
        )
            .into_response(),
    }
}

async fn dashboard(AxState(sb): Sb, Path(pib): Path<String>) -> Response {
    let st = sb.snapshot().await;
    let Some(c) = st.companies.get(&pib).cloned() else {
        return not_found();
    };
    let api_on = st.current_key(&pib).is_some_and(|(_, k)| k.active);
    let count_s = |s: SS| st.sales_of(&pib).filter(|d| d.status == s).count();
    let count_p = |s: PS| {
        st.purchases_of(&pib)
            .filter(|d| d.purchase_status == s)
            .count()
    };
    let mut sales = String::new();
    for s in [
        SS::Sending,
        SS::Sent,
        SS::Mistake,
        SS::Approved,
        SS::Rejected,
        SS::Cancelled,
        SS::Storno,
    ] {
        sales.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            s.label_sr(),
            count_s(s)
        ));
    }
    let mut purchases = String::new();
    for (s, label) in [
        (PS::New, "Nova"),
        (PS::Seen, "Pregledana"),
        (PS::ReNotified, "Ponovo obaveštena"),
        (PS::Approved, "Prihvaćena"),
        (PS::Rejected, "Odbijena"),
        (PS::Cancelled, "Otkazana"),
        (PS::Storno, "Stornirana"),
    ] {
        purchases.push_str(&format!("<tr><td>{label}</td><td>{}</td></tr>", count_p(s)));
    }
    let warn = if api_on {
        String::new()
    } else {
        format!(
            "<p class=\"warn\" role=\"alert\">VAŽNO: API STATUS nije aktivan. Aktivirajte ga u delu <a href=\"/portal/firma/{}/podesavanja/api-menadzment\">Podešavanja &gt; API menadžment</a>.</p>",
            e(&pib)
        )
    };
    page(
        "Komandna tabla",
        Some(&c),
        &format!(
            "{warn}<p>{} — PIB {}, matični broj {}, {}</p>\
             <h2>Izlazne fakture</h2><table>{sales}</table><h2>Ulazne fakture</h2><table>{purchases}</table>",
            e(&c.name),
            e(&c.pib),
            e(&c.mb),
            e(&c.company_type)
        ),
    )
    .into_response()
}

async fn api_page_with(sb: &Sandbox, pib: &str, notice: Option<&str>) -> Response {
    let st = sb.snapshot().await;
    let Some(c) = st.companies.get(pib).cloned() else {
        return not_found();
    };
    let (key, active) = st
        .current_key(pib)
        .map(|(k, r)| (k.clone(), r.active))
        .unwrap_or_default();
    let hooks = st.webhooks.get(pib).cloned().unwrap_or_default();
    let notice = notice
        .map(|n| format!("<p class=\"ok\" role=\"status\">{}</p>", e(n)))
        .unwrap_or_default();
    let (status_text, status_class, toggle_value, toggle_label) = if active {
        (
            "Aktivan",
            "status-on",
            "neaktivan",
            "Deaktiviraj API status",
        )
    } else {
        ("Neaktivan", "status-off", "aktivan", "Aktiviraj API status")
    };
    let base = format!("/portal/firma/{}/podesavanja/api-menadzment", e(pib));
    let key_html = if key.is_empty() {
        "<p>Ključ još nije generisan.</p>".to_string()
    } else {
        format!(
            "<label for=\"api-kljuc\">Ključ za autentifikaciju</label>\
             <input class=\"key\" id=\"api-kljuc\" name=\"api-kljuc\" readonly value=\"{}\" size=\"40\">\
             <p><small>Označite ključ i kopirajte ga (Ctrl+C).</small></p>",
            e(&key)
        )
    };
    page(
        "API menadžment",
        Some(&c),
        &format!(
            "{notice}<p>Podešavanja &gt; API menadžment</p>{key_html}\
             <p>API STATUS: <span id=\"api-status\" class=\"{status_class}\">{status_text}</span></p>\
             <form method=\"post\" action=\"{base}/status\"><input type=\"hidden\" name=\"status\" value=\"{toggle_value}\"><button type=\"submit\">{toggle_label}</button></form>\
             <form method=\"post\" action=\"{base}/novi-kljuc\"><p class=\"warn\">Generisanjem novog ključa prethodni ključ prestaje da važi: svaki program koji ga koristi (npr. Moje fakture) mora dobiti novi ključ.</p><button type=\"submit\">Generiši novi ključ</button></form>\
             <h2>Adrese za obaveštenja o promeni statusa</h2>\
             <form method=\"post\" action=\"{base}/adrese\">\
             <label for=\"izlazne\">Izlazne fakture</label><input id=\"izlazne\" name=\"izlazne\" value=\"{out}\">\
             <label for=\"ulazne\">Ulazne fakture</label><input id=\"ulazne\" name=\"ulazne\" value=\"{inc}\">\
             <br><button type=\"submit\">Sačuvaj adrese</button></form>",
            out = e(hooks.outgoing.as_deref().unwrap_or("")),
            inc = e(hooks.incoming.as_deref().unwrap_or(""))
        ),
    )
    .into_response()
}

async fn api_page(AxState(sb): Sb, Path(pib): Path<String>) -> Response {
    api_page_with(&sb, &pib, None).await
}

async fn new_key(AxState(sb): Sb, Path(pib): Path<String>) -> Response {
    let Some(_) = company(&sb, &pib).await else {
        return not_found();
    };
    let st = sb.snapshot().await;
    let current = st.current_key(&pib).map(|(k, r)| (k.clone(), r.active));
    let r = match current {
        Some((k, _)) => sb.regenerate_key(&k).await,
        None => sb.create_key(&pib, None, false).await,
    };
    match r {
        Ok(_) => {
            api_page_with(
                &sb,
                &pib,
                Some("Generisan je novi ključ. Prethodni ključ više ne važi."),
            )
            .await
        }
        Err(err) => (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
}

async fn api_status(
    AxState(sb): Sb,
    Path(pib): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    let Some(_) = company(&sb, &pib).await else {
        return not_found();
    };
    let on = f.status == "aktivan";
    let st = sb.snapshot().await;
    let key = match st.current_key(&pib).map(|(k, _)| k.clone()) {
        Some(k) => k,
        None => match sb.create_key(&pib, None, on).await {
            Ok(k) => k,
            Err(err) => return (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
        },
    };
    if let Err(err) = sb.set_key_active(&key, on).await {
        return (StatusCode::BAD_REQUEST, err.to_string()).into_response();
    }
    let msg = if on {
        "API STATUS je aktiviran."
    } else {
        "API STATUS je deaktiviran."
    };
    api_page_with(&sb, &pib, Some(msg)).await
}

#[derive(Deserialize)]
struct AddrForm {
    #[serde(default)]
    izlazne: String,
    #[serde(default)]
    ulazne: String,
}

async fn addresses(AxState(sb): Sb, Path(pib): Path<String>, Form(f): Form<AddrForm>) -> Response {
    let clean = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let hooks = Webhooks {
        outgoing: clean(f.izlazne),
        incoming: clean(f.ulazne),
    };
    match sb.set_webhooks(&pib, hooks).await {
        Ok(()) => api_page_with(&sb, &pib, Some("Adrese su sačuvane.")).await,
        Err(_) => not_found(),
    }
}
