//! How `fiskal suf admin` prints the SUF's answers.

use fiskal_suf::admin_client::TaxRateGroups;
use fiskal_suf::service::admin::{AdminOutcome, CommandView, SecureElementSummary};

/// An instant as the SUF's JSON writes it (RFC 3339, `Z` for UTC).
pub(super) fn rfc3339<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

pub(super) fn print_tax_rates(groups: &TaxRateGroups) {
    let current = groups.current_tax_rates.as_ref().map(|g| g.group_id);
    for g in &groups.all_tax_rates {
        let mark = if Some(g.group_id) == current {
            " (važi sada)"
        } else {
            ""
        };
        println!(
            "Grupa {}, važi od {}{mark}:",
            g.group_id,
            rfc3339(&g.valid_from)
        );
        for c in &g.tax_categories {
            let rates: Vec<String> = c
                .tax_rates
                .iter()
                .map(|r| format!("{} {}%", r.label, r.rate))
                .collect();
            println!("  {} ({}): {}", c.name, c.order_id, rates.join(", "));
        }
    }
}

pub(super) fn print_url_setting(what: &str, o: &AdminOutcome<String>) {
    println!(
        "{what} je sada {}; komanda poslata za {} bezbednosnih elemenata.",
        o.value, o.queued_for
    );
}

pub(super) fn print_secure_elements(list: &[SecureElementSummary]) {
    println!("UID        PIB        komande na čekanju  ishčitano do brojača  opozvan");
    for s in list {
        // The counts are not padded (as before, when they were printed as JSON values).
        println!(
            "{:<10} {:<10} {}  {}  {}",
            s.uid,
            s.tin,
            s.pending_commands,
            s.audited_up_to,
            s.revoked_at.map_or_else(|| "ne".into(), |t| rfc3339(&t))
        );
    }
}

pub(super) fn print_commands(list: &[CommandView]) {
    for c in list {
        let result = match c.success {
            None => "čeka",
            Some(true) => "izvršena",
            Some(false) => "NEUSPELA",
        };
        let short: String = c.payload.chars().take(60).collect();
        let more = if c.payload.chars().count() > 60 {
            "…"
        } else {
            ""
        };
        println!(
            "{}  {:<28} {:<9} {short}{more}",
            rfc3339(&c.created),
            c.type_name,
            result
        );
    }
}
