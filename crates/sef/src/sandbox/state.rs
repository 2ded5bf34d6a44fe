//! The sandbox's data and its rules: registry, documents, status transitions (`sef-api.md` §8),
//! events, idempotency (§6) and the registry checks of uploads (layer 3 of §12).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration as ChronoDuration, NaiveDate, Utc};
use chrono_tz::Europe::Belgrade;
use serde::{Deserialize, Serialize};

use crate::model::{
    DocumentType, PurchaseInvoiceStatus as PS, SalesInvoiceStatus as SS, SendToCir,
};

/// A company registered in the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    /// PIB (9 digits).
    pub pib: String,
    /// Matični broj (8 digits).
    pub mb: String,
    /// Name.
    pub name: String,
    /// Company type as chosen on the portal ("Tip kompanije").
    #[serde(default)]
    pub company_type: String,
    /// JBKJS of a budget user.
    #[serde(default)]
    pub jbkjs: Option<String>,
    /// Budget user (korisnik javnih sredstava).
    #[serde(default)]
    pub budget_user: bool,
    /// PIB active in the VAT system.
    #[serde(default = "yes")]
    pub vat_active: bool,
    /// `Active` or another registry status (e.g. `Deleted`).
    #[serde(default = "active")]
    pub status: String,
    /// Has an information service provider.
    #[serde(default)]
    pub isp: bool,
    /// Registration time (sandbox clock, RFC 3339).
    #[serde(default)]
    pub registration_date: String,
}

fn yes() -> bool {
    true
}
fn active() -> String {
    "Active".into()
}

impl Company {
    /// Whether the company is registered and active in the registry.
    pub fn is_active(&self) -> bool {
        self.status.eq_ignore_ascii_case("Active")
    }
}

/// An API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    /// Owner PIB.
    pub pib: String,
    /// API status ("API STATUS" on the portal).
    pub active: bool,
    /// Replaced by a regenerated key.
    pub revoked: bool,
}

/// Side of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// Supplier side.
    Sales,
    /// Buyer side.
    Purchase,
}

/// A status-change event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Monotonic event id.
    pub event_id: i64,
    /// Sandbox time of the change.
    pub at: DateTime<Utc>,
    /// Side.
    pub side: Side,
    /// Company that sees the event (supplier for sales, buyer for purchase).
    pub pib: String,
    /// Sales or purchase id.
    pub invoice_id: i64,
    /// New status (wire spelling).
    pub status: String,
    /// Comment.
    pub comment: Option<String>,
    /// Storno number.
    pub storno_number: Option<String>,
    /// CRF id.
    pub cir_invoice_id: Option<String>,
}

/// A document held by the sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Supplier-side id.
    pub sales_id: i64,
    /// Buyer-side id (also `InvoiceId` of the upload answer).
    pub purchase_id: i64,
    /// GUID.
    pub glob_uniq_id: String,
    /// Supplier PIB.
    pub supplier_pib: String,
    /// Supplier name.
    pub supplier_name: Option<String>,
    /// Buyer PIB.
    pub buyer_pib: String,
    /// Invoice number.
    pub number: String,
    /// Type code.
    pub type_code: String,
    /// Document type.
    pub doc_type: DocumentType,
    /// The uploaded UBL.
    pub xml: String,
    /// Sales status.
    pub status: SS,
    /// Purchase status.
    pub purchase_status: PS,
    /// Upload time.
    pub created_at: DateTime<Utc>,
    /// Delivery (Sent) time.
    pub sent_at: Option<DateTime<Utc>>,
    /// Last change.
    pub last_modified: DateTime<Utc>,
    /// Record version.
    pub version: i64,
    /// Buyer's comment.
    pub comment: Option<String>,
    /// Cancel comment.
    pub cancel_comment: Option<String>,
    /// Storno comment.
    pub storno_comment: Option<String>,
    /// Storno number.
    pub storno_number: Option<String>,
    /// `sendToCir`.
    pub send_to_cir: SendToCir,
    /// CRF id.
    pub cir_invoice_id: Option<String>,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Delivery date.
    pub delivery_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Currency.
    pub currency: String,
    /// Payable amount (text).
    pub payable: Option<String>,
    /// Tax-exclusive amount (text).
    pub tax_exclusive: Option<String>,
    /// Tax total (text).
    pub tax_total: Option<String>,
    /// PDF already requested once.
    #[serde(default)]
    pub pdf_requested: bool,
    /// Purchase side re-notified.
    #[serde(default)]
    pub renotified: bool,
}

/// A remembered upload answer (idempotency, §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdemRecord {
    /// SHA-256 of the body, hex.
    pub body_hash: String,
    /// HTTP status of the first answer.
    pub status: u16,
    /// JSON body of the first answer.
    pub body: String,
    /// When it was stored.
    pub at: DateTime<Utc>,
}

/// A subscription to status callbacks (§7.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Company.
    pub pib: String,
    /// The subscription key.
    pub key: String,
    /// Day of the `subscribe` call.
    pub from: NaiveDate,
    /// Last day it is valid (the next day).
    pub until: NaiveDate,
}

/// Callback addresses of a company.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhooks {
    /// For sales (outgoing) events.
    #[serde(default)]
    pub outgoing: Option<String>,
    /// For purchase (incoming) events.
    #[serde(default)]
    pub incoming: Option<String>,
}

/// Behaviour switches (`PUT /__sandbox/config`, §12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SandboxSettings {
    /// Answer of `getEfakturaVersion`.
    pub version: String,
    /// Calls per second per key; 0 switches the limit off.
    pub rate_limit_per_second: u32,
    /// Delay from `Sending` to `Sent`; 0 = within the upload.
    pub sending_delay_ms: u64,
    /// Allow cancelling a `Sent` document.
    pub allow_cancel_from_sent: bool,
    /// `replay` or `refuse` for a known `requestId`.
    pub idempotency_mode: String,
    /// BT-8 codes accepted on a 381.
    pub credit_note_description_codes: Vec<String>,
    /// Answer the first PDF request with "initiated".
    pub pdf_initiated_first: bool,
    /// How long a document must be `Sending` before it can be cancelled.
    pub cancel_sending_after_ms: u64,
    /// How long the timeout faults hold the answer.
    pub fault_delay_ms: u64,
    /// Layer 1 checks beyond well-formedness: the reader's schema findings (element order and
    /// cardinality, values) refuse the document. A document must parse in any case.
    pub validate_xml: bool,
    /// Layer 2 checks: fiskal's validator (`ubl-profile.md` §14).
    pub validate_rules: bool,
    /// Layer 3 checks (registry and state); off, the validator is also not told whether the
    /// buyer is a budget user.
    pub validate_registry: bool,
    /// Callback timeout.
    pub webhook_timeout_ms: u64,
    /// Callback attempts.
    pub webhook_attempts: u32,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            version: "3.14.0".into(),
            rate_limit_per_second: 3,
            sending_delay_ms: 0,
            allow_cancel_from_sent: false,
            idempotency_mode: "replay".into(),
            credit_note_description_codes: ["0", "3", "35", "432"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            pdf_initiated_first: false,
            cancel_sending_after_ms: 3_600_000,
            fault_delay_ms: 35_000,
            validate_xml: true,
            validate_rules: true,
            validate_registry: true,
            webhook_timeout_ms: 5_000,
            webhook_attempts: 3,
        }
    }
}

/// The whole persistent state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct State {
    /// Companies by PIB.
    pub companies: BTreeMap<String, Company>,
    /// Keys by key text.
    pub keys: BTreeMap<String, KeyRecord>,
    /// Documents by sales id.
    pub docs: BTreeMap<i64, Document>,
    /// Events in order.
    pub events: Vec<Event>,
    /// Idempotency memory by `pib \u{1f} requestId`.
    pub idempotency: BTreeMap<String, IdemRecord>,
    /// Subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Callback addresses by PIB.
    pub webhooks: BTreeMap<String, Webhooks>,
    /// Sandbox clock offset from real time, milliseconds.
    pub clock_offset_ms: i64,
    /// Behaviour switches.
    pub settings: SandboxSettings,
    /// Next sales id.
    pub next_sales_id: i64,
    /// Next purchase id.
    pub next_purchase_id: i64,
    /// Next event id.
    pub next_event_id: i64,
}

impl Default for State {
    fn default() -> Self {
        State {
            companies: BTreeMap::new(),
            keys: BTreeMap::new(),
            docs: BTreeMap::new(),
            events: Vec::new(),
            idempotency: BTreeMap::new(),
            subscriptions: Vec::new(),
            webhooks: BTreeMap::new(),
            clock_offset_ms: 0,
            settings: SandboxSettings::default(),
            next_sales_id: 902_317,
            next_purchase_id: 771_204,
            next_event_id: 55_170_321,
        }
    }
}

/// A callback to deliver after the state lock is released.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Target URL.
    pub url: String,
    /// JSON body (a one-element array).
    pub body: serde_json::Value,
}

/// Serbian local date of a UTC instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Belgrade).date_naive()
}

/// Local date-time text as SEF writes it (7 fractional digits, no offset).
pub fn local_text(t: DateTime<Utc>) -> String {
    format!(
        "{}0",
        t.with_timezone(&Belgrade).format("%Y-%m-%dT%H:%M:%S%.6f")
    )
}

/// UTC text with offset.
pub fn utc_text(t: DateTime<Utc>) -> String {
    format!("{}0+00:00", t.format("%Y-%m-%dT%H:%M:%S%.6f"))
}

impl State {
    /// The sandbox clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + ChronoDuration::milliseconds(self.clock_offset_ms)
    }

    /// The sandbox's "today" (Europe/Belgrade).
    pub fn today(&self) -> NaiveDate {
        local_date(self.now())
    }

    /// The current (not revoked) key of a company.
    pub fn current_key(&self, pib: &str) -> Option<(&String, &KeyRecord)> {
        self.keys.iter().find(|(_, k)| k.pib == pib && !k.revoked)
    }

    /// Creates a key for a company, revoking its previous key (one key per company).
    pub fn create_key(&mut self, pib: &str, key: Option<String>, active: bool) -> String {
        for k in self.keys.values_mut() {
            if k.pib == pib {
                k.revoked = true;
            }
        }
        let key = key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        self.keys.insert(
            key.clone(),
            KeyRecord {
                pib: pib.to_string(),
                active,
                revoked: false,
            },
        );
        key
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_event(
        &mut self,
        side: Side,
        pib: String,
        invoice_id: i64,
        status: &str,
        comment: Option<String>,
        storno_number: Option<String>,
        cir: Option<String>,
        at: DateTime<Utc>,
        out: &mut Vec<Notification>,
    ) {
        let ev = Event {
            event_id: self.next_event_id,
            at,
            side,
            pib,
            invoice_id,
            status: status.to_string(),
            comment,
            storno_number,
            cir_invoice_id: cir,
        };
        self.next_event_id += 1;
        let today = local_date(at);
        if let Some(sub) = self
            .subscriptions
            .iter()
            .rev()
            .find(|s| s.pib == ev.pib && s.from <= today && today <= s.until)
        {
            let hooks = self.webhooks.get(&ev.pib).cloned().unwrap_or_default();
            let url = match side {
                Side::Sales => hooks.outgoing,
                Side::Purchase => hooks.incoming,
            };
            if let Some(url) = url {
                let mut body = event_json(&ev);
                body["SubscriptionKey"] = serde_json::Value::String(sub.key.clone());
                out.push(Notification {
                    url,
                    body: serde_json::Value::Array(vec![body]),
                });
            }
        }
        self.events.push(ev);
    }

    /// Changes a document's statuses, recording one event per side that changed.
    #[allow(clippy::too_many_arguments)]
    pub fn set_status(
        &mut self,
        sales_id: i64,
        sales: Option<SS>,
        purchase: Option<PS>,
        comment: Option<String>,
        storno_number: Option<String>,
        now: DateTime<Utc>,
        out: &mut Vec<Notification>,
    ) {
        let Some(doc) = self.docs.get_mut(&sales_id) else {
            return;
        };
        let mut evs = Vec::new();
        if let Some(s) = sales
            && doc.status != s
        {
            doc.status = s;
            if s == SS::Sent {
                doc.sent_at = Some(now);
            }
            evs.push((
                Side::Sales,
                doc.supplier_pib.clone(),
                doc.sales_id,
                s.as_str(),
            ));
        }
        if let Some(p) = purchase
            && doc.purchase_status != p
        {
            doc.purchase_status = p;
            evs.push((
                Side::Purchase,
                doc.buyer_pib.clone(),
                doc.purchase_id,
                p.as_str(),
            ));
        }
        if evs.is_empty() {
            return;
        }
        doc.version += 1;
        doc.last_modified = now;
        let cir = doc.cir_invoice_id.clone();
        for (side, pib, id, st) in evs {
            self.push_event(
                side,
                pib,
                id,
                st,
                comment.clone(),
                storno_number.clone(),
                cir.clone(),
                now,
                out,
            );
        }
    }

    /// Applies time-driven transitions: `Sending` → `Sent` after the delay, the 15-day and
    /// 15+5-day buyer timers (§8.2, §8.3).
    pub fn tick(&mut self, out: &mut Vec<Notification>) {
        let now = self.now();
        let delay = ChronoDuration::milliseconds(self.settings.sending_delay_ms as i64);
        let ids: Vec<i64> = self.docs.keys().copied().collect();
        for id in ids {
            let Some(doc) = self.docs.get(&id) else {
                continue;
            };
            if doc.status == SS::Sending && doc.created_at + delay <= now {
                let at = doc.created_at + delay;
                self.set_status(id, Some(SS::Sent), Some(PS::New), None, None, at, out);
                continue;
            }
            let doc = &self.docs[&id];
            if doc.status != SS::Sent {
                continue;
            }
            let Some(sent) = doc.sent_at else { continue };
            let budget = self
                .companies
                .get(&doc.buyer_pib)
                .is_some_and(|c| c.budget_user);
            let d15 = sent + ChronoDuration::days(15);
            let d20 = sent + ChronoDuration::days(20);
            if budget && now >= d15 {
                self.set_status(
                    id,
                    Some(SS::Approved),
                    Some(PS::Approved),
                    None,
                    None,
                    d15,
                    out,
                );
            } else if !budget && now >= d20 {
                if !self.docs[&id].renotified {
                    self.set_status(id, None, Some(PS::ReNotified), None, None, d15, out);
                    if let Some(d) = self.docs.get_mut(&id) {
                        d.renotified = true;
                    }
                }
                self.set_status(
                    id,
                    Some(SS::Rejected),
                    Some(PS::Rejected),
                    None,
                    None,
                    d20,
                    out,
                );
            } else if !budget && now >= d15 && !self.docs[&id].renotified {
                self.set_status(id, None, Some(PS::ReNotified), None, None, d15, out);
                if let Some(d) = self.docs.get_mut(&id) {
                    d.renotified = true;
                }
            }
        }
    }

    /// The sales documents of `pib` (as supplier).
    pub fn sales_of<'a>(&'a self, pib: &'a str) -> impl Iterator<Item = &'a Document> + 'a {
        self.docs.values().filter(move |d| d.supplier_pib == pib)
    }

    /// The purchase documents of `pib` (as buyer), delivered ones only.
    pub fn purchases_of<'a>(&'a self, pib: &'a str) -> impl Iterator<Item = &'a Document> + 'a {
        self.docs
            .values()
            .filter(move |d| d.buyer_pib == pib && d.purchase_status != PS::SendingInProgress)
    }
}

/// The JSON of an event as SEF's `changes` and callbacks show it.
pub fn event_json(ev: &Event) -> serde_json::Value {
    let mut v = serde_json::json!({
        "EventId": ev.event_id,
        "Date": local_text(ev.at),
        "NewInvoiceStatus": ev.status,
        "Comment": ev.comment,
        "CirInvoiceId": ev.cir_invoice_id,
        "SubscriptionKey": null,
        "StornoNumber": ev.storno_number,
        "CirAssignmentChange": null,
        "IsSigned": false,
        "IsAutoAssigned": false,
    });
    let id_field = match ev.side {
        Side::Sales => "SalesInvoiceId",
        Side::Purchase => "PurchaseInvoiceId",
    };
    v[id_field] = serde_json::Value::from(ev.invoice_id);
    v
}
