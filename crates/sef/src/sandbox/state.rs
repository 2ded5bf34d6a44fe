//! The sandbox's data and its rules: registry, documents, status transitions (`sef-api.md` §8),
//! events, idempotency (§6) and the registry checks of uploads (layer 3 of §12).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration as ChronoDuration, NaiveDate, Utc};
use chrono_tz::Europe::Belgrade;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{
    DocumentType, PurchaseInvoiceStatus as PS, SalesInvoiceStatus as SS, SendToCir,
};
use crate::sandbox::fixtures;
use crate::sandbox::ubl_check::{ParsedDocument, Refusal, refuse};

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
    /// Layer 1 checks (well-formedness and structure). Cannot really be off: a document must
    /// parse; `false` only skips nothing more.
    pub validate_xml: bool,
    /// Layer 2 checks (profile rules).
    pub validate_rules: bool,
    /// Layer 3 checks (registry and state).
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
    fn push_event(
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

    /// Processes an upload of `body` for the key's company `pib` (§6, §7.2), given its layer 1-2
    /// checks (`checked`). Returns the HTTP status and JSON body (200 with ids, 400 with an error).
    pub fn upload(
        &mut self,
        pib: &str,
        request_id: Option<&str>,
        send_to_cir: Option<&str>,
        body: &[u8],
        checked: Result<ParsedDocument, Refusal>,
        out: &mut Vec<Notification>,
    ) -> (u16, String) {
        let Some(request_id) = request_id.map(str::trim).filter(|r| !r.is_empty()) else {
            return error_json(&refuse(
                "RequiredRequestId",
                "The requestId parameter is required.",
                Some("requestId"),
            ));
        };
        let hash = hex::encode(Sha256::digest(body));
        let idem_key = format!("{pib}\u{1f}{request_id}");
        let now = self.now();
        self.idempotency
            .retain(|_, r| now.signed_duration_since(r.at) < ChronoDuration::days(30));
        if let Some(rec) = self.idempotency.get(&idem_key) {
            if self
                .settings
                .idempotency_mode
                .eq_ignore_ascii_case("refuse")
                || rec.body_hash != hash
            {
                return error_json(&refuse(
                    "UBLUploadRequestIdDuplicate",
                    "A document was already uploaded with this requestId.",
                    Some("requestId"),
                ));
            }
            return (rec.status, rec.body.clone());
        }
        let (status, json) =
            match checked.and_then(|d| self.accept(pib, send_to_cir, body, d, now, out)) {
                Ok(ids) => (200, ids),
                Err(r) => error_json(&r),
            };
        self.idempotency.insert(
            idem_key,
            IdemRecord {
                body_hash: hash,
                status,
                body: json.clone(),
                at: now,
            },
        );
        (status, json)
    }

    fn accept(
        &mut self,
        pib: &str,
        send_to_cir: Option<&str>,
        body: &[u8],
        doc: ParsedDocument,
        now: DateTime<Utc>,
        out: &mut Vec<Notification>,
    ) -> Result<String, Refusal> {
        let s = self.settings.clone();
        let cir = self.check_registry(pib, send_to_cir, &doc, now)?;
        let sales_id = self.next_sales_id;
        let purchase_id = self.next_purchase_id;
        self.next_sales_id += 1;
        self.next_purchase_id += 1;
        let cir_id = (cir == SendToCir::Yes).then(|| format!("K{:X}", sales_id % 0xFFFF));
        let d = Document {
            sales_id,
            purchase_id,
            glob_uniq_id: uuid::Uuid::new_v4().to_string(),
            supplier_pib: doc.supplier_pib.clone(),
            supplier_name: doc.supplier_name.clone(),
            buyer_pib: doc.buyer_pib.clone(),
            number: doc.number.clone(),
            type_code: doc.type_code.clone(),
            doc_type: doc.doc_type,
            xml: String::from_utf8_lossy(body).into_owned(),
            status: SS::Sending,
            purchase_status: PS::SendingInProgress,
            created_at: now,
            sent_at: None,
            last_modified: now,
            version: 1,
            comment: None,
            cancel_comment: None,
            storno_comment: None,
            storno_number: None,
            send_to_cir: cir,
            cir_invoice_id: cir_id.clone(),
            issue_date: doc.issue_date,
            delivery_date: doc.delivery_date,
            due_date: doc.due_date,
            currency: doc.currency.clone(),
            payable: doc.payable.map(|d| d.to_string()),
            tax_exclusive: doc.tax_exclusive.map(|d| d.to_string()),
            tax_total: doc.tax_total.map(|d| d.to_string()),
            pdf_requested: false,
            renotified: false,
        };
        self.docs.insert(sales_id, d);
        self.push_event(
            Side::Sales,
            pib.to_string(),
            sales_id,
            "Sending",
            None,
            None,
            cir_id,
            now,
            out,
        );
        if s.sending_delay_ms == 0 {
            self.set_status(
                sales_id,
                Some(SS::Sent),
                Some(PS::New),
                None,
                None,
                now,
                out,
            );
        }
        Ok(serde_json::json!({
            "InvoiceId": purchase_id,
            "PurchaseInvoiceId": purchase_id,
            "SalesInvoiceId": sales_id,
        })
        .to_string())
    }

    #[expect(clippy::too_many_lines, reason = "foundations issue #10 splits it")]
    fn check_registry(
        &self,
        pib: &str,
        send_to_cir: Option<&str>,
        doc: &ParsedDocument,
        now: DateTime<Utc>,
    ) -> Result<SendToCir, Refusal> {
        let cir = match send_to_cir.map(str::trim) {
            None | Some("") => None,
            Some(v) => match SendToCir::parse(v) {
                SendToCir::Unknown => {
                    return Err(refuse(
                        "InvalidSendToCirMode",
                        format!("sendToCir {v:?} is not Yes or No."),
                        Some("sendToCir"),
                    ));
                }
                c => Some(c),
            },
        };
        if cir == Some(SendToCir::Yes) {
            let code = match doc.type_code.as_str() {
                "386" => Some("CannotSendPrepaymentInvoiceToCir"),
                "381" => Some("CannotSendCreditInvoiceToCir"),
                "383" => Some("CannotSendDebitNoteToCir"),
                _ if doc.currency != "RSD" => Some("CannotSendToCirDocumentWithForeignCurrency"),
                _ => None,
            };
            if let Some(code) = code {
                return Err(refuse(
                    code,
                    "This document cannot be sent to CRF.",
                    Some("sendToCir"),
                ));
            }
        }
        if !self.settings.validate_registry {
            return Ok(cir.unwrap_or(SendToCir::No));
        }
        if doc.issue_date != local_date(now) {
            return Err(refuse(
                "IssueDateCannotBeDifferentFromTodays",
                format!(
                    "The issue date {} is not today ({}).",
                    doc.issue_date,
                    local_date(now)
                ),
                Some("IssueDate"),
            ));
        }
        if doc.supplier_pib != pib {
            return Err(refuse(
                "InvalidSenderCompany",
                "The supplier of the document is not the company of the API key.",
                Some("AccountingSupplierParty.Party.EndpointID"),
            ));
        }
        let buyer = self
            .companies
            .get(&doc.buyer_pib)
            .filter(|c| c.is_active())
            .ok_or_else(|| {
                refuse(
                    "ReceiverCompanyNotFound",
                    format!("The buyer {} is not registered on SEF.", doc.buyer_pib),
                    Some("AccountingCustomerParty.Party.EndpointID"),
                )
            })?;
        if !buyer.vat_active {
            return Err(refuse(
                "VATNumberNotActive",
                "The buyer's PIB is not active.",
                Some("AccountingCustomerParty"),
            ));
        }
        if buyer.budget_user {
            match (&doc.buyer_jbkjs, &doc.buyer_party_identification_raw) {
                (None, None) => {
                    return Err(refuse(
                        "UBLJBKJSNotDefined",
                        "The buyer is a budget user: the JBKJS is missing.",
                        Some("AccountingCustomerParty.Party.PartyIdentification"),
                    ));
                }
                (None, Some(_)) => {
                    return Err(refuse(
                        "ReceiverMissedAddingJBKJSPrefix",
                        "The buyer's JBKJS must be written as JBKJS:nnnnn.",
                        Some("AccountingCustomerParty.Party.PartyIdentification"),
                    ));
                }
                (Some(j), _) if j.len() != 5 || !j.bytes().all(|b| b.is_ascii_digit()) => {
                    return Err(refuse(
                        "ReceiverJBKJSLengthInvalid",
                        "The JBKJS must have 5 digits.",
                        Some("AccountingCustomerParty.Party.PartyIdentification"),
                    ));
                }
                _ => {}
            }
            if !doc.has_contract_or_order {
                return Err(refuse(
                    "UBLOrderNumberLotNumberOrContractNumberIsRequired",
                    "A budget-user buyer needs a contract, order or lot number.",
                    Some("ContractDocumentReference"),
                ));
            }
            if cir.is_none() {
                return Err(refuse(
                    "SendToCirParameterMustBeDefinedForBudgetUser",
                    "sendToCir must be given for a budget-user buyer.",
                    Some("sendToCir"),
                ));
            }
        } else if doc.buyer_party_identification_raw.is_some() {
            return Err(refuse(
                "UBLCannotBeDefinedPartyIdentificationIdForNonBudgetCompany",
                "A JBKJS is given for a buyer that is not a budget user.",
                Some("AccountingCustomerParty.Party.PartyIdentification"),
            ));
        }
        if self
            .docs
            .values()
            .any(|d| d.supplier_pib == pib && d.number == doc.number)
        {
            return Err(refuse(
                "EInvoiceNumberDublicate",
                format!("The invoice number {} was already used.", doc.number),
                Some("ID"),
            ));
        }
        for r in &doc.billing_refs {
            let src = self
                .docs
                .values()
                .find(|d| d.supplier_pib == pib && &d.number == r)
                .ok_or_else(|| {
                    refuse(
                        "UBLSourceInvoiceNotFound",
                        format!("The referenced invoice {r} was not found."),
                        Some("BillingReference.InvoiceDocumentReference.ID"),
                    )
                })?;
            if !matches!(src.status, SS::Sent | SS::Approved) {
                return Err(refuse(
                    "UBLSourceInvoiceUnallowedStatus",
                    format!("The referenced invoice {r} is in status {}.", src.status),
                    Some("BillingReference.InvoiceDocumentReference.ID"),
                ));
            }
        }
        let reasons = fixtures::vat_exemption_reasons();
        for k in &doc.exemption_keys {
            if let Some(r) = reasons.iter().find(|r| &r.key == k) {
                let day = doc.issue_date.to_string();
                let from_ok = r.active_from.as_deref().is_none_or(|f| f[..10] <= day[..]);
                let to_ok = r.active_to.as_deref().is_none_or(|t| t[..10] >= day[..]);
                if !from_ok || !to_ok {
                    return Err(refuse(
                        "VatExemptionReasonPointOfLawNotActive",
                        format!("The exemption reason {k} is not active on the issue date."),
                        Some("TaxSubtotal.TaxCategory.TaxExemptionReasonCode"),
                    ));
                }
            }
        }
        Ok(cir.unwrap_or(SendToCir::No))
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

/// A 400 answer body.
pub fn error_json(r: &Refusal) -> (u16, String) {
    (
        400,
        serde_json::json!({
            "Message": r.message,
            "FieldName": r.field,
            "ErrorCode": r.code,
        })
        .to_string(),
    )
}
