//! Administration by the tax authority (suf-backend.md §9, §10): new tax-rate groups with the
//! instant they take effect, the verification URL prefix and the time server, each carried to every
//! secure element by a command (§5); the registry and each element's command history.
//!
//! Changes are stored atomically with the commands that carry them
//! ([`Store::apply_admin_change`]), so a crash never leaves a change that some elements miss.
//! The HTTP side ([`crate::api::admin`]) lives under `/portal/api/v1/` and requires
//! `Authorization: Bearer {admin token}`.

use chrono::{DateTime, FixedOffset, Utc};
use fiskal_domain::tax::{CategoryType, TaxCategory, TaxRateGroup};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Suf, SufError, command_type, new_command, now_ms};
use crate::store::{AdminChange, CommandRecord, Store};

/// Setting name of the verification URL prefix.
pub const SETTING_VERIFICATION_PREFIX: &str = "verificationPrefix";
/// Setting name of the time server URL.
pub const SETTING_TIME_SERVER: &str = "ntpServer";
/// How many commands of one element the history shows at most.
pub const HISTORY_LIMIT: u32 = 500;

/// A tax-rate group as the authority defines it: the SUF assigns the `groupId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTaxRateGroup {
    /// Instant from which the group applies; must be in the future.
    pub valid_from: DateTime<FixedOffset>,
    /// The categories with their labels and rates.
    pub tax_categories: Vec<TaxCategory>,
}

/// What an administrative change did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminOutcome<T> {
    /// The stored value.
    pub value: T,
    /// How many secure elements got a command carrying it.
    pub queued_for: usize,
}

/// One registered secure element as the authority sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecureElementSummary {
    /// UID.
    pub uid: String,
    /// Taxpayer TIN from the certificate.
    pub tin: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Commands not yet reported by its PFR.
    pub pending_commands: usize,
    /// Highest total counter covered by an issued proof of audit (0 if none).
    pub audited_up_to: u32,
}

/// One command in an element's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandView {
    /// GUID.
    pub command_id: String,
    /// Command type (suf-backend.md §5).
    #[serde(rename = "type")]
    pub command_type: i32,
    /// The type's name.
    pub type_name: String,
    /// Payload (a proof of audit or directive is shown by its length only).
    pub payload: String,
    /// When it was queued.
    pub created: DateTime<Utc>,
    /// The PFR's report: `None` while pending.
    pub success: Option<bool>,
}

/// A proof of audit forced by an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForcedProof {
    /// Secure element.
    pub uid: String,
    /// The audit request the proof answers.
    pub audit_seq: u32,
    /// Total counter the request covers.
    pub total_counter: u32,
    /// How many receipts of `1..=total_counter` the SUF never received.
    pub missing_receipts: u64,
    /// Who forced it.
    pub operator: String,
}

/// A directive to a secure element (secure-element.md §8.5), as the authority asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveRequest {
    /// Type 1: stop signing.
    DisableSigning,
    /// Type 2: sign again.
    EnableSigning,
    /// Type 3: a new limit, in dinars × 10 000.
    SetLimit(u64),
    /// Type 4: unlock a PIN locked after wrong tries.
    UnlockPin,
}

impl DirectiveRequest {
    fn kind(self) -> fiskal_se::authority::DirectiveKind {
        use fiskal_se::authority::DirectiveKind as K;
        match self {
            DirectiveRequest::DisableSigning => K::DisableSigning,
            DirectiveRequest::EnableSigning => K::EnableSigning,
            DirectiveRequest::SetLimit(l) => K::SetLimit(l),
            DirectiveRequest::UnlockPin => K::UnlockPin,
        }
    }

    /// The directive's name.
    pub fn name(self) -> &'static str {
        match self {
            DirectiveRequest::DisableSigning => "DisableSigning",
            DirectiveRequest::EnableSigning => "EnableSigning",
            DirectiveRequest::SetLimit(_) => "SetLimit",
            DirectiveRequest::UnlockPin => "UnlockPin",
        }
    }
}

/// A directive queued for a secure element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectiveSent {
    /// Secure element.
    pub uid: String,
    /// Directive number (the SE accepts each number once, in increasing order).
    pub seq: u32,
    /// What it does.
    pub directive: String,
    /// The new limit in dinars, for SetLimit.
    pub limit: Option<Decimal>,
}

/// The name of a command type.
pub fn command_type_name(t: i32) -> &'static str {
    match t {
        command_type::SET_TAX_RATES => "SetTaxRates",
        command_type::SET_TIME_SERVER_URL => "SetTimeServerUrl",
        command_type::SET_VERIFICATION_URL => "SetVerificationUrl",
        command_type::FORWARD_PROOF_OF_AUDIT => "ForwardProofOfAudit",
        command_type::SET_TAX_CORE_CONFIGURATION => "SetTaxCoreConfiguration",
        command_type::FORWARD_DIRECTIVE => "ForwardSecureElementDirective",
        _ => "Unknown",
    }
}

impl From<&CommandRecord> for CommandView {
    fn from(c: &CommandRecord) -> CommandView {
        let payload = match c.command_type {
            command_type::FORWARD_PROOF_OF_AUDIT | command_type::FORWARD_DIRECTIVE => {
                format!("({} characters of base64)", c.payload.len())
            }
            _ => c.payload.clone(),
        };
        CommandView {
            command_id: c.command_id.clone(),
            command_type: c.command_type,
            type_name: command_type_name(c.command_type).into(),
            payload,
            created: DateTime::<Utc>::from_timestamp_millis(c.created_ms).unwrap_or_default(),
            success: c.success,
        }
    }
}

/// Checks a new group against the groups already known, at `now`; returns the reason it is
/// refused. Rules: `validFrom` in the future; at least one category; category names non-empty
/// and order ids unique and non-zero; every category has labels; each label is one letter and
/// unique in the group; rates of types 0 and 1 are percentages from 0 to 100, type 2 amounts are
/// not negative; at most 4 decimals.
pub fn check_new_group(new: &NewTaxRateGroup, now: DateTime<Utc>) -> Result<(), String> {
    if new.valid_from.with_timezone(&Utc) <= now {
        return Err(format!(
            "validFrom {} is not in the future: a tax-rate group is announced before it applies",
            new.valid_from.to_rfc3339()
        ));
    }
    if new.tax_categories.is_empty() {
        return Err("the group has no tax category".into());
    }
    if new.tax_categories.len() > fiskal_se::soft::MAX_CATEGORIES {
        return Err(format!(
            "a group has at most {} tax categories (what a secure element can sign)",
            fiskal_se::soft::MAX_CATEGORIES
        ));
    }
    let mut order_ids = std::collections::BTreeSet::new();
    let mut labels = std::collections::BTreeSet::new();
    for c in &new.tax_categories {
        if c.name.trim().is_empty() {
            return Err("a tax category has no name".into());
        }
        if c.order_id == 0 || !order_ids.insert(c.order_id) {
            return Err(format!(
                "category {:?}: orderId {} is zero or used twice",
                c.name, c.order_id
            ));
        }
        if c.tax_rates.is_empty() {
            return Err(format!("category {:?} has no label", c.name));
        }
        for r in &c.tax_rates {
            let mut chars = r.label.chars();
            let one_letter =
                matches!((chars.next(), chars.next()), (Some(ch), None) if ch.is_alphabetic());
            if !one_letter {
                return Err(format!(
                    "label {:?} in category {:?} is not a single letter",
                    r.label, c.name
                ));
            }
            if !labels.insert(r.label.clone()) {
                return Err(format!("label {} is used twice", r.label));
            }
            let percent = matches!(
                c.category_type,
                CategoryType::TaxOnNet | CategoryType::TaxOnTotal
            );
            if r.rate.is_sign_negative() || (percent && r.rate > Decimal::from(100)) {
                return Err(format!(
                    "rate {} of label {} is out of range (0 to 100 %)",
                    r.rate, r.label
                ));
            }
            if r.rate.scale() > 4 && r.rate.normalize().scale() > 4 {
                return Err(format!("rate {} has more than 4 decimals", r.rate));
            }
        }
    }
    Ok(())
}

/// Checks a URL the authority hands to PFRs: absolute http(s), with a host, no spaces.
fn check_url(what: &str, url: &str) -> Result<String, SufError> {
    let url = url.trim();
    let parsed = url::Url::parse(url)
        .map_err(|e| SufError::Refused(format!("the {what} {url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(SufError::Refused(format!(
            "the {what} must be an http:// or https:// URL with a host"
        )));
    }
    if url.len() > 200 || url.chars().any(char::is_whitespace) {
        return Err(SufError::Refused(format!(
            "the {what} is longer than 200 characters or has spaces"
        )));
    }
    Ok(url.to_string())
}

/// A new random administration token: 32 bytes from the system CSPRNG, as 64 hex digits.
pub fn new_admin_token() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator failed");
    hex::encode(bytes)
}

impl<S: Store> Suf<S> {
    /// Enables the administration API with this token (only its SHA-256 is kept).
    pub fn with_admin_token(mut self, token: &str) -> Suf<S> {
        self.admin_token = Some(Sha256::digest(token.as_bytes()).into());
        self
    }

    /// Whether `presented` is the administration token (compared in constant time).
    pub fn admin_token_matches(&self, presented: &str) -> bool {
        let Some(expected) = &self.admin_token else {
            return false;
        };
        let got: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        aws_lc_rs::constant_time::verify_slices_are_equal(&got, expected).is_ok()
    }

    /// Loads what the authority changed earlier (tax-rate groups, verification prefix, time
    /// server) from the store over the bundle's defaults. [`Suf::adopt`] calls it.
    pub async fn load_admin_state(&self) -> Result<(), SufError> {
        let stored = self.store.tax_groups().await?;
        let mut parsed = Vec::with_capacity(stored.len());
        for (id, json) in stored {
            let g: TaxRateGroup = serde_json::from_str(&json).map_err(|e| {
                SufError::Environment(format!("stored tax-rate group {id} is unreadable: {e}"))
            })?;
            parsed.push(g);
        }
        {
            let mut groups = self.tax_groups.write().unwrap_or_else(|e| e.into_inner());
            for g in parsed {
                groups.retain(|x| x.group_id != g.group_id);
                groups.push(g);
            }
            groups.sort_by_key(|g| g.group_id);
        }
        let settings = self.store.settings().await?;
        let mut config = self.config.write().unwrap_or_else(|e| e.into_inner());
        for (name, value) in settings {
            match name.as_str() {
                SETTING_VERIFICATION_PREFIX => config.verification_prefix = value,
                SETTING_TIME_SERVER => config.ntp_server = value,
                _ => {}
            }
        }
        Ok(())
    }

    /// UIDs of the registered, non-revoked secure elements.
    async fn active_uids(&self) -> Result<Vec<String>, SufError> {
        let now = now_ms();
        Ok(self
            .store
            .list_se()
            .await?
            .into_iter()
            .filter(|s| s.revoked_at_ms.is_none_or(|r| r > now))
            .map(|s| s.uid)
            .collect())
    }

    /// Adds a tax-rate group (suf-backend.md §10): checks it, gives it the next group id, stores
    /// it and queues SetTaxRates for every active secure element, all in one transaction.
    pub async fn add_tax_group(
        &self,
        new: NewTaxRateGroup,
    ) -> Result<AdminOutcome<TaxRateGroup>, SufError> {
        check_new_group(&new, Utc::now()).map_err(SufError::Refused)?;
        let _guard = self.admin.lock().await;
        // Another SUF process on the same database may have added groups: start from the store.
        self.load_admin_state().await?;
        let next_id = self
            .tax_groups()
            .iter()
            .map(|g| g.group_id)
            .max()
            .unwrap_or(0)
            + 1;
        let group = TaxRateGroup {
            group_id: next_id,
            valid_from: new.valid_from,
            tax_categories: new.tax_categories,
        };
        let json = serde_json::to_string(&group)
            .map_err(|e| SufError::Refused(format!("the group cannot be written: {e}")))?;
        let uids = self.active_uids().await?;
        let change = AdminChange {
            tax_group: Some((next_id, json.clone())),
            setting: None,
            setting_expected: None,
            commands: uids
                .iter()
                .map(|u| new_command(u, command_type::SET_TAX_RATES, json.clone()))
                .collect(),
            at_ms: now_ms(),
        };
        let applied = self.store.apply_admin_change(&change).await?;
        self.commands_changed();
        if !applied {
            return Err(SufError::Refused(format!(
                "tax-rate group {next_id} was just added elsewhere; try again"
            )));
        }
        let mut groups = self.tax_groups.write().unwrap_or_else(|e| e.into_inner());
        groups.push(group.clone());
        groups.sort_by_key(|g| g.group_id);
        tracing::info!(group_id = next_id, valid_from = %group.valid_from, queued_for = uids.len(), "tax-rate group added");
        Ok(AdminOutcome {
            value: group,
            queued_for: uids.len(),
        })
    }

    async fn change_setting(
        &self,
        name: &'static str,
        command: i32,
        value: String,
    ) -> Result<AdminOutcome<String>, SufError> {
        let _guard = self.admin.lock().await;
        let uids = self.active_uids().await?;
        let change = AdminChange {
            tax_group: None,
            setting: Some((name.to_string(), value.clone())),
            setting_expected: None,
            commands: uids
                .iter()
                .map(|u| new_command(u, command, value.clone()))
                .collect(),
            at_ms: now_ms(),
        };
        self.store.apply_admin_change(&change).await?;
        self.commands_changed();
        {
            let mut config = self.config.write().unwrap_or_else(|e| e.into_inner());
            match name {
                SETTING_VERIFICATION_PREFIX => config.verification_prefix = value.clone(),
                _ => config.ntp_server = value.clone(),
            }
        }
        tracing::info!(setting = name, %value, queued_for = uids.len(), "setting changed");
        Ok(AdminOutcome {
            value,
            queued_for: uids.len(),
        })
    }

    /// Changes the verification URL prefix (the start of every QR code's link) and queues
    /// SetVerificationUrl for every active secure element.
    pub async fn set_verification_prefix(
        &self,
        prefix: &str,
    ) -> Result<AdminOutcome<String>, SufError> {
        let prefix = check_url("verification URL prefix", prefix)?;
        if !prefix.ends_with('=') && !prefix.ends_with('/') {
            return Err(SufError::Refused(
                "the verification URL prefix must end with \"vl=\" or \"/\" so the link can be appended"
                    .into(),
            ));
        }
        self.change_setting(
            SETTING_VERIFICATION_PREFIX,
            command_type::SET_VERIFICATION_URL,
            prefix,
        )
        .await
    }

    /// Changes the time server and queues SetTimeServerUrl for every active secure element.
    pub async fn set_time_server(&self, url: &str) -> Result<AdminOutcome<String>, SufError> {
        let url = check_url("time server URL", url)?;
        self.change_setting(SETTING_TIME_SERVER, command_type::SET_TIME_SERVER_URL, url)
            .await
    }

    /// Forces the proof of audit for the oldest open audit request of `uid` although receipts
    /// are missing (suf-backend.md §6.3: a device whose data cannot all be delivered). The
    /// operator's name is stored with it; the proof goes out as command 5 like any other.
    pub async fn force_proof_of_audit(
        &self,
        uid: &str,
        operator: &str,
    ) -> Result<AdminOutcome<ForcedProof>, SufError> {
        let operator = operator.trim();
        if operator.is_empty() || operator.chars().count() > 100 {
            return Err(SufError::Refused(
                "name the operator who forces the proof (1 to 100 characters)".into(),
            ));
        }
        if self.store.get_se(uid).await?.is_none() {
            return Err(SufError::NotFound(format!(
                "secure element {uid} is not registered"
            )));
        }
        let _guard = self.admin.lock().await;
        let Some(audit) = self.store.open_audits(uid).await?.into_iter().next() else {
            return Err(SufError::Refused(format!(
                "no audit request of {uid} waits for a proof: the PFR must start an audit first (over the internet or on a medium)"
            )));
        };
        let stored = if audit.total_counter == 0 {
            0
        } else {
            self.store.count_range(uid, 1, audit.total_counter).await?
        };
        let issued = self.issue_proof(uid, &audit, Some(operator)).await?;
        if !issued {
            return Err(SufError::Refused(
                "the proof was issued meanwhile; nothing to force".into(),
            ));
        }
        let missing = u64::from(audit.total_counter).saturating_sub(stored);
        tracing::warn!(
            uid,
            audit_seq = audit.audit_seq,
            missing,
            operator,
            "proof of audit forced"
        );
        Ok(AdminOutcome {
            value: ForcedProof {
                uid: uid.to_string(),
                audit_seq: audit.audit_seq,
                total_counter: audit.total_counter,
                missing_receipts: missing,
                operator: operator.to_string(),
            },
            queued_for: 1,
        })
    }

    /// Signs a directive for `uid` with the next directive number and queues it as command 8;
    /// the number is stored in the same transaction, so numbers never repeat.
    pub async fn send_directive(
        &self,
        uid: &str,
        request: DirectiveRequest,
    ) -> Result<AdminOutcome<DirectiveSent>, SufError> {
        let Some(se) = self.store.get_se(uid).await? else {
            return Err(SufError::NotFound(format!(
                "secure element {uid} is not registered"
            )));
        };
        if se.revoked_at_ms.is_some() {
            return Err(SufError::Refused(format!(
                "secure element {uid} is revoked"
            )));
        }
        if let DirectiveRequest::SetLimit(l) = request
            && l == 0
        {
            return Err(SufError::Refused("the limit must be more than 0".into()));
        }
        let uid_parsed = fiskal_domain::counter::Uid::parse(uid)
            .map_err(|e| SufError::Refused(e.to_string()))?;
        let _guard = self.admin.lock().await;
        let key = format!("directiveSeq:{uid}");
        // The number is taken by compare-and-set in the transaction that queues the directive,
        // so two SUF processes on one database never hand out the same number.
        let mut attempt = 0;
        let seq = loop {
            attempt += 1;
            let stored = self
                .store
                .settings()
                .await?
                .into_iter()
                .find(|(n, _)| *n == key)
                .map(|(_, v)| v);
            let last: u32 = match &stored {
                Some(v) => v.parse().map_err(|_| {
                    SufError::Refused(format!("the stored directive number {v:?} is unreadable"))
                })?,
                None => 0,
            };
            let seq = last + 1;
            let directive = fiskal_se::authority::make_directive(
                self.keys().authority(),
                &uid_parsed,
                seq,
                request.kind(),
            )
            .map_err(|e| SufError::Refused(e.to_string()))?;
            use base64::Engine as _;
            let change = AdminChange {
                tax_group: None,
                setting: Some((key.clone(), seq.to_string())),
                setting_expected: Some(stored),
                commands: vec![new_command(
                    uid,
                    command_type::FORWARD_DIRECTIVE,
                    base64::engine::general_purpose::STANDARD.encode(&directive),
                )],
                at_ms: now_ms(),
            };
            let applied = self.store.apply_admin_change(&change).await?;
            self.commands_changed();
            if applied {
                break seq;
            }
            if attempt >= 5 {
                return Err(SufError::Refused(
                    "directive numbers are being taken concurrently; try again".into(),
                ));
            }
        };
        tracing::info!(uid, seq, directive = request.name(), "directive queued");
        Ok(AdminOutcome {
            value: DirectiveSent {
                uid: uid.to_string(),
                seq,
                directive: request.name().into(),
                limit: match request {
                    DirectiveRequest::SetLimit(l) => Some(Decimal::new(l as i64, 4).normalize()),
                    _ => None,
                },
            },
            queued_for: 1,
        })
    }

    /// The registry as the authority sees it.
    pub async fn secure_elements(&self) -> Result<Vec<SecureElementSummary>, SufError> {
        let mut out = Vec::new();
        for se in self.store.list_se().await? {
            let pending = self.store.pending_commands(&se.uid).await?.len();
            let audited_up_to = self.store.last_proof_counter(&se.uid).await?;
            out.push(SecureElementSummary {
                revoked_at: se
                    .revoked_at_ms
                    .and_then(DateTime::<Utc>::from_timestamp_millis),
                uid: se.uid,
                tin: se.tin,
                pending_commands: pending,
                audited_up_to,
            });
        }
        Ok(out)
    }

    /// The commands of one element, newest first, with the results its PFR reported.
    pub async fn command_history(&self, uid: &str) -> Result<Vec<CommandView>, SufError> {
        if self.store.get_se(uid).await?.is_none() {
            return Err(SufError::NotFound(format!(
                "secure element {uid} is not registered"
            )));
        }
        Ok(self
            .store
            .command_history(uid, HISTORY_LIMIT)
            .await?
            .iter()
            .map(CommandView::from)
            .collect())
    }
}

// ------------------------------------------------------------------------------------ HTTP

#[cfg(test)]
mod tests {
    use super::*;
    use fiskal_domain::tax::TaxRate;

    fn group(valid_from: &str) -> NewTaxRateGroup {
        let mut g = TaxRateGroup::serbian_default();
        g.tax_categories[2].tax_rates[0].rate = Decimal::new(22, 0);
        NewTaxRateGroup {
            valid_from: DateTime::parse_from_rfc3339(valid_from).unwrap(),
            tax_categories: g.tax_categories,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_future_group_passes() {
        assert_eq!(
            check_new_group(&group("2027-01-01T00:00:00+01:00"), now()),
            Ok(())
        );
    }

    #[test]
    fn past_or_present_valid_from_is_refused() {
        let e = check_new_group(&group("2026-11-25T13:00:00+01:00"), now()).unwrap_err();
        assert!(e.contains("not in the future"), "{e}");
    }

    #[test]
    fn bad_labels_rates_and_orders_are_refused() {
        let mut g = group("2027-01-01T00:00:00+01:00");
        g.tax_categories[1].tax_rates[0].label = "Ђ".into();
        assert!(
            check_new_group(&g, now())
                .unwrap_err()
                .contains("used twice")
        );

        let mut g = group("2027-01-01T00:00:00+01:00");
        g.tax_categories[0].tax_rates[0].label = "AB".into();
        assert!(
            check_new_group(&g, now())
                .unwrap_err()
                .contains("single letter")
        );

        let mut g = group("2027-01-01T00:00:00+01:00");
        g.tax_categories[2].tax_rates[0].rate = Decimal::new(101, 0);
        assert!(
            check_new_group(&g, now())
                .unwrap_err()
                .contains("out of range")
        );

        let mut g = group("2027-01-01T00:00:00+01:00");
        g.tax_categories[2].tax_rates[0].rate = Decimal::new(-1, 0);
        assert!(
            check_new_group(&g, now())
                .unwrap_err()
                .contains("out of range")
        );

        let mut g = group("2027-01-01T00:00:00+01:00");
        g.tax_categories[3].order_id = 1;
        assert!(check_new_group(&g, now()).unwrap_err().contains("orderId"));

        let mut g = group("2027-01-01T00:00:00+01:00");
        g.tax_categories.push(TaxCategory {
            name: "Празна".into(),
            category_type: CategoryType::TaxOnNet,
            order_id: 9,
            tax_rates: Vec::<TaxRate>::new(),
        });
        assert!(check_new_group(&g, now()).unwrap_err().contains("no label"));

        let g = NewTaxRateGroup {
            valid_from: DateTime::parse_from_rfc3339("2027-01-01T00:00:00+01:00").unwrap(),
            tax_categories: vec![],
        };
        assert!(
            check_new_group(&g, now())
                .unwrap_err()
                .contains("no tax category")
        );
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("x", "http://127.0.0.1:7700/v/?vl=").is_ok());
        assert!(check_url("x", "ftp://host/").is_err());
        assert!(check_url("x", "not a url").is_err());
        assert!(check_url("x", "http://").is_err());
        assert!(check_url("x", "http://host/with space").is_err());
    }

    #[test]
    fn proofs_and_directives_are_not_shown_in_full() {
        let c = new_command(
            "AAAA1111",
            command_type::FORWARD_PROOF_OF_AUDIT,
            "QUJD".repeat(86),
        );
        let v = CommandView::from(&c);
        assert_eq!(v.type_name, "ForwardProofOfAudit");
        assert!(v.payload.starts_with("(344 characters"), "{}", v.payload);
    }
}
