//! The signed-in account page (`/app`): API status and key, a new key, the UBL upload, the
//! simple invoice form and the documents.

use axum::Form;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use fiskal_web::{Language, Pages, escape};
use serde::Deserialize;

use super::error;
use super::forms::multipart_file;
use super::pages::{checklist_html, key_field};
use super::shell::{Flash, St, Web, msg_box, page_response, page_tenant, t};
use crate::crypto::{ApiKey, masked_key};
use crate::messages::{Lang, sef_status_label, tr};
use crate::model::{DocState, Tenant};
use crate::service::{Service, ServiceError};
use crate::tools::{SimpleInvoice, SimpleLine};

type Lng = Language<Pages>;

/// The account routes; the upload reads its form within the service's upload cap, the other
/// forms take at most [`fiskal_web::DEFAULT_BODY_LIMIT`].
pub fn routes() -> Router<Web> {
    let forms = Router::new()
        .route("/app", get(app))
        .route("/app/key", post(key_post))
        .route("/app/key/check", post(key_check))
        .route("/app/create", post(create))
        .layer(DefaultBodyLimit::max(fiskal_web::DEFAULT_BODY_LIMIT));
    forms.route("/app/upload", post(upload))
}

/// The label of a document state.
pub fn state_label(st: DocState, lang: Lang) -> String {
    let (sr, en) = match st {
        DocState::Draft => ("nacrt", "draft"),
        DocState::Invalid => ("neispravan", "invalid"),
        DocState::Queued => ("u redu za slanje", "queued"),
        DocState::Sending => ("slanje u toku", "sending"),
        DocState::BlockedKey => ("čeka ispravan ključ", "waiting for a valid key"),
        DocState::NeedsRedate => ("potrebno je potvrditi današnji datum", "needs today's date"),
        DocState::AcceptedIdsUnknown => (
            "primljen u SEF, usklađivanje u toku",
            "in SEF, reconciling ids",
        ),
        DocState::Refused => ("odbijen od SEF-a", "refused by SEF"),
        DocState::InSef => ("u SEF-u", "in SEF"),
    };
    tr(lang, sr, en)
}

/// The API status section and the new-key section.
async fn api_status_html(
    s: &Service,
    tenant: &Tenant,
    lang: Lang,
) -> Result<(String, String), ServiceError> {
    let st = s.key_status(tenant.id, lang).await?;
    let key_line = match &st.key {
        Some(k) => format!(
            "<p>{}: <code>{}</code> — <strong id=\"key-state\">{}</strong> ({} {})</p>",
            t(lang, "Ključ", "Key"),
            escape(&k.masked),
            escape(k.state.as_str()),
            t(lang, "verzija", "version"),
            k.version
        ),
        None => format!("<p>{}</p>", t(lang, "Ključ nije unet.", "No key entered.")),
    };
    let status_msg = match &st.message {
        Some(m) => msg_box(Flash::Err, &m.text),
        None => msg_box(
            Flash::Ok,
            &tr(
                lang,
                "API status: ključ je aktivan i SEF ga prihvata.",
                "API status: the key is active and accepted by SEF.",
            ),
        ),
    };
    let status = format!(
        "<section id=\"api-status\"><h2>{api_status} — {name} ({pib_l} {pib}, {env})</h2>{key_line}{status_msg}<p class=\"muted\">{waiting_l}: {waiting}</p>\
         <form method=\"post\" action=\"/app/key/check\"><button type=\"submit\">{check}</button></form></section>",
        api_status = t(lang, "API status", "API status"),
        pib_l = t(lang, "PIB", "PIB"),
        name = escape(&tenant.name),
        pib = escape(&tenant.pib),
        env = escape(&tenant.environment),
        waiting_l = t(
            lang,
            "Fakture koje čekaju ispravan ključ",
            "Invoices waiting for a valid key"
        ),
        waiting = st.waiting,
        check = t(lang, "Proveri ponovo", "Check again"),
    );
    let new_key = format!(
        "<section id=\"new-key\"><h2>{replace}</h2>{checklist}<form method=\"post\" action=\"/app/key\">{keyfield}<button type=\"submit\">{save}</button></form>\
         <p class=\"muted\">{cb_l}: <code>{cb}</code></p></section>",
        replace = t(lang, "Unos novog ključa", "Enter a new key"),
        checklist = checklist_html(lang),
        keyfield = key_field(lang),
        save = t(lang, "Proveri i sačuvaj ključ", "Check and save the key"),
        cb_l = t(
            lang,
            "Adresa za obaveštenja (opciono, unosi se u SEF-u)",
            "Notification address (optional, entered in SEF)"
        ),
        cb = escape(&st.callback_url),
    );
    Ok((status, new_key))
}

fn create_form_html(lang: Lang) -> String {
    let input = |id: &str, sr: &str, en: &str, extra: &str| {
        format!(
            "<div><label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{id}\" {extra}required></div>",
            t(lang, sr, en)
        )
    };
    let fields = [
        input("number", "Broj", "Number", ""),
        input(
            "buyer_pib",
            "PIB kupca",
            "Buyer PIB",
            "inputmode=\"numeric\" ",
        ),
        input(
            "buyer_mb",
            "Matični broj kupca",
            "Buyer MB",
            "inputmode=\"numeric\" ",
        ),
        input("buyer_name", "Kupac", "Buyer", ""),
        input("buyer_street", "Ulica kupca", "Buyer street", ""),
        input("buyer_city", "Mesto kupca", "Buyer city", ""),
        input(
            "buyer_postal_code",
            "Poštanski broj kupca",
            "Buyer postal code",
            "",
        ),
        input("item", "Naziv stavke", "Item", ""),
        input(
            "quantity",
            "Količina (kom)",
            "Quantity (pcs)",
            "value=\"1\" ",
        ),
        input(
            "unit_price",
            "Cena bez PDV-a (RSD)",
            "Net unit price (RSD)",
            "",
        ),
    ]
    .concat();
    format!(
        "<section id=\"upload\"><h2>{up}</h2><form method=\"post\" action=\"/app/upload\" enctype=\"multipart/form-data\"><input type=\"file\" name=\"file\" accept=\".xml,application/xml,text/xml\" aria-label=\"{up}\" required><button type=\"submit\">{send}</button></form></section>\
         <section id=\"create\"><h2>{create}</h2><form method=\"post\" action=\"/app/create\"><div class=\"grid\">{fields}\
         <div><label for=\"vat_rate\">{vat}</label><select id=\"vat_rate\" name=\"vat_rate\"><option>20</option><option>10</option></select></div>\
         </div><button type=\"submit\">{send}</button></form></section>",
        up = t(lang, "Slanje UBL XML fakture", "Upload a UBL XML invoice"),
        send = t(lang, "Pošalji", "Send"),
        create = t(
            lang,
            "Nova faktura (jednostavan obrazac)",
            "New invoice (simple form)"
        ),
        vat = t(lang, "Stopa PDV-a (%)", "VAT rate (%)"),
    )
}

async fn documents_html(s: &Service, tenant: &Tenant, lang: Lang) -> Result<String, ServiceError> {
    let docs = s.documents(tenant.id).await?;
    let rows: String = docs
        .iter()
        .map(|d| {
            format!(
                "<tr><td><a href=\"/app/documents/{id}\">{num}</a></td><td>{ty}</td><td>{date}</td><td>{buyer}</td><td class=\"num\">{total}</td><td>{state}</td><td>{sef}</td></tr>",
                id = d.id,
                num = escape(&d.number),
                ty = escape(&d.doc_type),
                date = escape(&d.issue_date),
                buyer = escape(d.buyer_name.as_deref().unwrap_or("")),
                total = escape(d.total.as_deref().unwrap_or("")),
                state = escape(&state_label(d.state, lang)),
                sef = escape(&d.sef_status.as_deref().map(|x| sef_status_label(x, lang)).unwrap_or_default()),
            )
        })
        .collect();
    Ok(format!(
        "<section id=\"documents\"><h2>{}</h2><div class=\"scroll\"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table></div></section>",
        t(lang, "Dokumenti", "Documents"),
        t(lang, "Broj", "Number"),
        t(lang, "Vrsta", "Type"),
        t(lang, "Datum izdavanja", "Issue date"),
        t(lang, "Kupac", "Buyer"),
        t(lang, "Iznos", "Amount"),
        t(lang, "Stanje", "State"),
        t(lang, "SEF", "SEF"),
    ))
}

/// The account page with an optional message on top, as an answer with `status`.
pub async fn render_app(
    s: &Service,
    tenant: &Tenant,
    lang: Lang,
    status: StatusCode,
    flash: Option<(Flash, String)>,
) -> Response {
    let title = tr(lang, "Moj nalog", "My account");
    // What a bookkeeper looks at most comes first: API status, documents, then the forms.
    let parts = async {
        let (api_status, new_key) = api_status_html(s, tenant, lang).await?;
        Ok::<_, ServiceError>(format!(
            "{}{api_status}{}{}{new_key}",
            flash.map(|(k, m)| msg_box(k, &m)).unwrap_or_default(),
            documents_html(s, tenant, lang).await?,
            create_form_html(lang),
        ))
    };
    match parts.await {
        Ok(body) => page_response(status, lang, &title, "/app", true, &body),
        Err(e) => page_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            lang,
            &title,
            "/app",
            true,
            &msg_box(Flash::Err, &e.text(lang)),
        ),
    }
}

/// The account page after an operation: its success message, or its error with the error's
/// status.
async fn after(
    s: &Service,
    tenant: &Tenant,
    lang: Lang,
    r: Result<String, ServiceError>,
) -> Response {
    match r {
        Ok(m) => render_app(s, tenant, lang, StatusCode::OK, Some((Flash::Ok, m))).await,
        Err(e) => {
            let st = error::status(&e);
            render_app(s, tenant, lang, st, Some((Flash::Err, e.text(lang)))).await
        }
    }
}

macro_rules! signed_in {
    ($s:expr, $headers:expr, $lang:expr) => {
        match page_tenant($s, $headers, $lang).await {
            Ok(t) => t,
            Err(r) => return r,
        }
    };
}

async fn app(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    headers: HeaderMap,
) -> Response {
    let tenant = signed_in!(&w.svc, &headers, lang);
    render_app(&w.svc, &tenant, lang, StatusCode::OK, None).await
}

#[derive(Deserialize)]
struct KeyForm {
    #[serde(default)]
    api_key: Option<ApiKey>,
}

async fn key_post(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    headers: HeaderMap,
    form: Result<Form<KeyForm>, FormRejection>,
) -> Response {
    let s = &w.svc;
    let tenant = signed_in!(s, &headers, lang);
    let key = form
        .ok()
        .and_then(|Form(f)| f.api_key)
        .unwrap_or_else(|| ApiKey::unchecked(""));
    let r = s
        .replace_key(tenant.id, key, "tenant-admin")
        .await
        .map(|k| {
            format!(
                "{} {}",
                tr(
                    lang,
                    "Novi ključ je proveren i sačuvan:",
                    "The new key was checked and saved:"
                ),
                masked_key(&k.last_four)
            )
        });
    after(s, &tenant, lang, r).await
}

async fn key_check(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    headers: HeaderMap,
) -> Response {
    let s = &w.svc;
    let tenant = signed_in!(s, &headers, lang);
    let r = s.check_again(tenant.id, "tenant-admin").await.map(|_| {
        tr(
            lang,
            "SEF prihvata ključ. Slanje je nastavljeno.",
            "SEF accepts the key. Sending has resumed.",
        )
    });
    after(s, &tenant, lang, r).await
}

async fn upload(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let s = &w.svc;
    let tenant = signed_in!(s, &headers, lang);
    let limit = s.config().max_upload_bytes;
    let read = match form {
        Ok(mut form) => multipart_file(&mut form, limit, lang).await,
        Err(_) => Ok(None),
    };
    let xml = match read {
        Ok(Some(xml)) => xml,
        Ok(None) => {
            let m = tr(lang, "Izaberite XML datoteku.", "Choose an XML file.");
            return render_app(
                s,
                &tenant,
                lang,
                StatusCode::BAD_REQUEST,
                Some((Flash::Err, m)),
            )
            .await;
        }
        Err((st, m)) => return render_app(s, &tenant, lang, st, Some((Flash::Err, m))).await,
    };
    let r = s.submit_xml(tenant.id, &xml, "tenant-user").await.map(|d| {
        let head = tr(
            lang,
            "Faktura je primljena i stavljena u red za slanje:",
            "The invoice was accepted and queued:",
        );
        format!("{head} {}", d.number)
    });
    after(s, &tenant, lang, r).await
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

fn simple_invoice(lang: Lang, f: &CreateForm) -> Result<SimpleInvoice, (StatusCode, String)> {
    let dec = |v: &str| {
        v.trim()
            .replace(',', ".")
            .parse::<rust_decimal::Decimal>()
            .ok()
    };
    let (Some(quantity), Some(unit_price), Some(vat_rate)) =
        (dec(&f.quantity), dec(&f.unit_price), dec(&f.vat_rate))
    else {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(
                lang,
                "Količina, cena i stopa moraju biti brojevi.",
                "Quantity, price and rate must be numbers.",
            ),
        ));
    };
    Ok(SimpleInvoice {
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
    })
}

async fn create(
    axum::extract::State(w): St,
    Language { lang, .. }: Lng,
    headers: HeaderMap,
    form: Result<Form<CreateForm>, FormRejection>,
) -> Response {
    let s = &w.svc;
    let tenant = signed_in!(s, &headers, lang);
    let Ok(Form(f)) = form else {
        let m = tr(
            lang,
            "Popunite sva polja obrasca.",
            "Fill in every field of the form.",
        );
        return render_app(
            s,
            &tenant,
            lang,
            StatusCode::BAD_REQUEST,
            Some((Flash::Err, m)),
        )
        .await;
    };
    let invoice = match simple_invoice(lang, &f) {
        Ok(i) => i,
        Err((st, m)) => return render_app(s, &tenant, lang, st, Some((Flash::Err, m))).await,
    };
    let r = s
        .create_simple(tenant.id, &invoice, "tenant-user")
        .await
        .map(|d| {
            let head = tr(
                lang,
                "Faktura je napravljena i stavljena u red za slanje:",
                "The invoice was created and queued:",
            );
            format!("{head} {}", d.number)
        });
    after(s, &tenant, lang, r).await
}
