//! Target `local_medium`: the files of a local-audit medium (suf-backend.md §7) that the SUF
//! reads (`{UID}.results`, `{UID}.arp`) and that the L-PFR reads (`{UID}.commands` and each
//! command's payload). Package files (`{UID}-{UID}-{n}.json`) are the `audit_package` target.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fiskal_domain::api::{EnvironmentParameters, InvoiceRequest};
use fiskal_domain::counter::Uid;
use fiskal_domain::tax::TaxRateGroup;
use fiskal_se::authority::{
    AuditRequest, AuthorityKeys, DIRECTIVE_PART_LEN, Directive, decrypt_audit_request,
};
use fiskal_se::command::{Command, CommandResult, kind};

use crate::invoice::compute_and_render;

fn authority() -> &'static AuthorityKeys {
    static KEYS: OnceLock<AuthorityKeys> = OnceLock::new();
    KEYS.get_or_init(|| AuthorityKeys::generate().expect("authority keys"))
}

/// Reads `data` as each medium file, never panicking:
///
/// - `{UID}.results` (`Vec<CommandResult>`, the SUF) and `{UID}.commands` (`Vec<Command>`, the
///   L-PFR): what parses writes back (`to_vec_pretty`, as both sides write them) to text that
///   parses to the same list; each command's payload is parsed as `commands::apply` does
///   (`SetTaxRates`: a `TaxRateGroup`, which must then not make an invoice computation panic;
///   `SetTaxCoreConfiguration`: `EnvironmentParameters`; proof of audit and directive: base64,
///   the directive's 256-byte payload parsed);
/// - `{UID}.arp`: `decrypt_audit_request` with the SUF's authority keys, and the decrypted
///   plaintext (`AuditRequest::from_bytes`), which must re-encode byte-identically; the same
///   for a directive payload (`Directive::parse_payload`);
/// - the folder name as a UID.
pub fn check_local_medium(data: &[u8]) {
    if let Ok(list) = serde_json::from_slice::<Vec<CommandResult>>(data) {
        let text = serde_json::to_vec_pretty(&list).expect("results serialize");
        let back: Vec<CommandResult> =
            serde_json::from_slice(&text).expect("written results read back");
        assert_eq!(back, list, "results read back differently");
    }
    if let Ok(list) = serde_json::from_slice::<Vec<Command>>(data) {
        let text = serde_json::to_vec_pretty(&list).expect("commands serialize");
        let back: Vec<Command> = serde_json::from_slice(&text).expect("written commands read back");
        assert_eq!(back, list, "commands read back differently");
        for c in &list {
            payload(c);
        }
    }
    let _ = decrypt_audit_request(authority(), data);
    if let Ok(req) = AuditRequest::from_bytes(data) {
        assert_eq!(
            req.to_bytes(),
            data,
            "an audit request re-encodes differently"
        );
        let _ = req.proof_message();
    }
    directive(data);
    if let Ok(name) = std::str::from_utf8(data) {
        let _ = Uid::parse(name);
    }
}

fn directive(data: &[u8]) {
    if let Ok(d) = Directive::parse_payload(data) {
        assert_eq!(
            &d.payload()[..],
            data,
            "a directive payload re-encodes differently"
        );
    }
}

/// One command's payload, as the L-PFR's `commands::apply` reads it.
fn payload(c: &Command) {
    match c.command_type {
        kind::SET_TAX_RATES => {
            if let Ok(g) = serde_json::from_str::<TaxRateGroup>(&c.payload) {
                tax_group(g);
            }
        }
        kind::SET_TAX_CORE_CONFIGURATION => {
            let _ = serde_json::from_str::<EnvironmentParameters>(&c.payload);
        }
        kind::FORWARD_PROOF_OF_AUDIT => {
            let _ = B64.decode(c.payload.trim());
        }
        kind::FORWARD_DIRECTIVE => {
            if let Ok(d) = B64.decode(c.payload.trim())
                && d.len() == 2 * DIRECTIVE_PART_LEN
            {
                directive(&d[..DIRECTIVE_PART_LEN]);
            }
        }
        _ => {}
    }
}

/// A tax-rate group from a `SetTaxRates` command: the next invoices compute against it.
fn tax_group(g: TaxRateGroup) {
    let labels = g.labels();
    for l in &labels {
        let _ = g.label(*l);
    }
    let label = labels.first().copied().unwrap_or('Ђ');
    let Ok(req) = InvoiceRequest::from_json(sample_request(label).as_bytes()) else {
        // A label the request parser refuses (not a tax label at all).
        return;
    };
    compute_and_render(&req, &[g]);
}

/// A Normal Sale of two items with tax label `label`, one small and one large.
fn sample_request(label: char) -> String {
    let label = serde_json::to_string(&label.to_string()).expect("a string serializes");
    format!(
        r#"{{"invoiceType":0,"transactionType":0,"payment":[{{"amount":10000163.99,"paymentType":1}}],
            "items":[{{"name":"a","quantity":2,"unitPrice":82,"labels":[{label}],"totalAmount":164}},
                     {{"name":"b","quantity":1,"unitPrice":9999999.99,"labels":[{label}],"totalAmount":9999999.99}}]}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_request_computes_with_the_default_group() {
        let g = TaxRateGroup::serbian_default();
        let req = InvoiceRequest::from_json(sample_request('Ђ').as_bytes()).expect("parses");
        let groups = [g];
        let c = fiskal_domain::api::compute(
            &req,
            &groups,
            chrono::Utc::now(),
            rust_decimal::Decimal::ZERO,
        );
        assert!(c.is_ok(), "{c:?}");
    }
}
