//! VAT breakdown: the TaxTotal and its subtotals against the lines' groups (BR-CO-14, BR-CO-17,
//! BR-x-08…10, BR-x-01).

use fiskal_domain::money::round2;
use rust_decimal::Decimal;

use super::categories::{GroupKey, Sums};
use super::{V, blank, dp};
use crate::finding::Severity;
use crate::model::*;

impl<'a> V<'a> {
    pub(super) fn breakdown(&mut self, groups: &[(GroupKey, Sums)]) {
        let Some((tp, tt)) = self.main_tax_total() else {
            return;
        };
        if tt.subtotals.is_empty() {
            self.fatal(
                "BR-CO-18",
                format!("{tp}/cac:TaxSubtotal"),
                "Rekapitulacija PDV-a nema nijedan poreski međuzbir (TaxSubtotal).".into(),
                "The VAT breakdown has no VAT subtotal (BG-23).".into(),
            );
        }
        let mut sub_sum = Decimal::ZERO;
        let mut seen: Vec<GroupKey> = Vec::with_capacity(tt.subtotals.len());
        let has_o_sub = tt
            .subtotals
            .iter()
            .any(|s| s.category.id == Some(VatCategory::O));
        for (i, s) in tt.subtotals.iter().enumerate() {
            let sp = format!("{tp}/cac:TaxSubtotal[{}]", i + 1);
            if let Some(a) = s.tax_amount {
                sub_sum += a;
            }
            self.subtotal(s, &sp, groups, &mut seen, has_o_sub);
        }
        self.groups_without_subtotal(groups, &seen, &tp);
        self.total_tax(tt, &tp, sub_sum);
    }

    /// The one TaxTotal in the document currency (BR-CO-15, BR-CO-18) and its path.
    fn main_tax_total(&mut self) -> Option<(String, &'a TaxTotal)> {
        let d = self.doc;
        let cur = d.currency.as_deref();
        let main: Vec<(usize, &TaxTotal)> = d
            .tax_totals
            .iter()
            .enumerate()
            .filter(|(_, t)| t.currency.is_none() || t.currency.as_deref() == cur)
            .collect();
        if main.len() > 1 {
            self.fatal(
                "BR-CO-15",
                self.p(&format!("cac:TaxTotal[{}]", main[1].0 + 1)),
                "Dokument sme imati samo jedan ukupan iznos PDV-a (TaxTotal) u valuti dokumenta."
                    .into(),
                "The document may have only one TaxTotal in the document currency.".into(),
            );
        }
        let Some(&(ti, tt)) = main.first() else {
            self.fatal(
                "BR-CO-18",
                self.p("cac:TaxTotal/cac:TaxSubtotal"),
                "Nedostaje rekapitulacija PDV-a (TaxTotal sa bar jednim TaxSubtotal).".into(),
                "The VAT breakdown (TaxTotal with at least one TaxSubtotal) is missing.".into(),
            );
            return None;
        };
        Some((self.p(&format!("cac:TaxTotal[{}]", ti + 1)), tt))
    }

    /// One VAT subtotal: amounts, category and rate, its group's sums, VAT and exemption reason.
    fn subtotal(
        &mut self,
        s: &TaxSubtotal,
        sp: &str,
        groups: &[(GroupKey, Sums)],
        seen: &mut Vec<GroupKey>,
        has_o_sub: bool,
    ) {
        let cp = format!("{sp}/cac:TaxCategory");
        match s.taxable_amount {
            None => self.fatal(
                "BR-45",
                format!("{sp}/cbc:TaxableAmount"),
                "Poreski međuzbir nema osnovicu.".into(),
                "The VAT subtotal has no taxable amount (BT-116).".into(),
            ),
            Some(a) if dp(a) > 2 => self.fatal_sef(
                "BR-DEC-19",
                "UBLTaxSubtotalTaxableAmountMoreDecimalsThanPermitted",
                format!("{sp}/cbc:TaxableAmount"),
                format!("Osnovica ({a}) sme imati najviše 2 decimale."),
                format!("The taxable amount ({a}) may have at most 2 decimals."),
            ),
            _ => {}
        }
        match s.tax_amount {
            None => self.fatal(
                "BR-46",
                format!("{sp}/cbc:TaxAmount"),
                "Poreski međuzbir nema iznos PDV-a.".into(),
                "The VAT subtotal has no tax amount (BT-117).".into(),
            ),
            Some(a) => {
                if dp(a) > 2 {
                    self.fatal_sef(
                        "BR-DEC-20",
                        "UBLTaxSubtotalTaxAmountMoreDecimalsThanPermitted",
                        format!("{sp}/cbc:TaxAmount"),
                        format!("Iznos PDV-a ({a}) sme imati najviše 2 decimale."),
                        format!("The tax amount ({a}) may have at most 2 decimals."),
                    );
                }
            }
        }
        let tc = &s.category;
        let Some(cat) = tc.id.as_ref().filter(|_| tc.is_vat()) else {
            self.fatal(
                "BR-47",
                format!("{cp}/cbc:ID"),
                "Poreski međuzbir nema PDV kategoriju.".into(),
                "The VAT subtotal has no VAT category code (BT-118).".into(),
            );
            return;
        };
        if let VatCategory::Other(_) = cat {
            self.unknown_category("RSR-35", cat, format!("{cp}/cbc:ID"));
            return;
        }
        self.subtotal_rate(cat, tc.percent, &cp);
        let key = GroupKey::of(tc);
        self.subtotal_group(s, sp, cat, &key, groups, seen);
        self.subtotal_tax(s, sp, cat);
        self.subtotal_exemption(tc, &cp, cat);
        // BR-O-11..14 as warnings.
        if has_o_sub && *cat != VatCategory::O {
            self.warn(
                "BR-O-11",
                sp.to_string(),
                "Dokument sa kategorijom O (van sistema PDV) ne bi trebalo da sadrži i druge PDV kategorije.".into(),
                "A document with category O (not subject to VAT) should not contain other VAT categories.".into(),
            );
        }
    }

    /// BR-48 and the rate each category allows on a subtotal.
    fn subtotal_rate(&mut self, cat: &VatCategory, percent: Option<Decimal>, cp: &str) {
        if percent.is_none() && *cat != VatCategory::O {
            self.fatal(
                "BR-48",
                format!("{cp}/cbc:Percent"),
                format!("U poreskom međuzbiru za kategoriju {cat} nedostaje stopa PDV-a."),
                format!("The VAT subtotal for category {cat} has no VAT rate (BT-119)."),
            );
        }
        // Percent per category on the subtotal.
        match (cat, percent) {
            (VatCategory::S, Some(p)) => self.standard_rate(p, cp),
            (VatCategory::O, Some(_)) => self.warn(
                "FSK-O-PERCENT",
                format!("{cp}/cbc:Percent"),
                "Za kategoriju O stopa se ne navodi.".into(),
                "Category O carries no rate.".into(),
            ),
            (c, Some(p)) if *c != VatCategory::S && !p.is_zero() => self.fatal(
                "FSK-ZERO-RATE",
                format!("{cp}/cbc:Percent"),
                format!("Za PDV kategoriju {c} stopa mora biti 0, a navedeno je {p} %."),
                format!("VAT category {c} requires rate 0; it is {p} %."),
            ),
            _ => {}
        }
    }

    /// The subtotal's group: not repeated, backed by lines, taxable amount = their sum (BR-x-08).
    fn subtotal_group(
        &mut self,
        s: &TaxSubtotal,
        sp: &str,
        cat: &VatCategory,
        key: &Option<GroupKey>,
        groups: &[(GroupKey, Sums)],
        seen: &mut Vec<GroupKey>,
    ) {
        let cp = format!("{sp}/cac:TaxCategory");
        // Duplicates.
        if let Some(k) = &key {
            if seen.contains(k) {
                self.fatal_sef(
                    "FSK-SUBTOTAL-DUPLICATE",
                    "UBLOnlyOneTaxSubtotalPerTaxCategoryIsAllowed",
                    sp.to_string(),
                    format!(
                        "Poreski međuzbir za {} se ponavlja; dozvoljen je jedan po kategoriji (za S po stopi).",
                        k.label()
                    ),
                    format!(
                        "The VAT subtotal for {} is repeated; one per category (per rate for S) is allowed.",
                        k.label()
                    ),
                );
            }
            seen.push(k.clone());
        }
        let sums = key
            .as_ref()
            .and_then(|k| groups.iter().find(|(g, _)| g == k))
            .map(|(_, s)| s);
        if sums.is_none_or(|s| !s.used) {
            self.fatal_sef(
                "FSK-SUBTOTAL-WITHOUT-ITEMS",
                "UBLNoItemsWithTaxSubtotalTaxCategory",
                format!("{cp}/cbc:ID"),
                format!(
                    "Postoji poreski međuzbir za {}, a nijedna stavka, popust ili trošak nema tu kategoriju i stopu.",
                    key.as_ref().map_or_else(|| cat.to_string(), GroupKey::label)
                ),
                format!(
                    "There is a VAT subtotal for {}, but no line, allowance or charge has that category and rate.",
                    key.as_ref().map_or_else(|| cat.to_string(), GroupKey::label)
                ),
            );
        }
        // BR-x-08: taxable = Σ lines − allowances + charges.
        if let (Some(s), Some(taxable)) = (sums, s.taxable_amount) {
            let expected = s.lines - s.allowances + s.charges;
            if expected != taxable {
                let rule = match cat {
                    VatCategory::S => "BR-S-08",
                    VatCategory::AE => "BR-AE-08",
                    VatCategory::Z => "BR-Z-08",
                    VatCategory::E => "BR-E-08",
                    VatCategory::O => "BR-O-08",
                    VatCategory::R => "RSK-R-08",
                    VatCategory::OE => "RSK-OE-08",
                    VatCategory::SS => "RSK-SS-08",
                    _ => "RSK-N-08",
                };
                let label = key.as_ref().map_or_else(String::new, GroupKey::label);
                self.fatal(
                    rule,
                    format!("{sp}/cbc:TaxableAmount"),
                    format!(
                        "Osnovica za {label} je {taxable}, a zbir neto iznosa stavki te kategorije (− popusti + troškovi) je {expected}."
                    ),
                    format!(
                        "The taxable amount for {label} is {taxable}, but the sum of that group's line nets (− allowances + charges) is {expected}."
                    ),
                );
            }
        }
    }

    /// The subtotal's VAT: taxable amount × rate (BR-CO-17), zero outside S (BR-x-09).
    fn subtotal_tax(&mut self, s: &TaxSubtotal, sp: &str, cat: &VatCategory) {
        let tc = &s.category;
        if let (Some(taxable), Some(tax)) = (s.taxable_amount, s.tax_amount) {
            if let Some(p) = tc.percent {
                let expected = round2(taxable * p / Decimal::ONE_HUNDRED);
                if expected != tax {
                    self.fatal(
                            "BR-CO-17",
                            format!("{sp}/cbc:TaxAmount"),
                            format!(
                                "PDV za stopu {p} % je {tax}, a osnovica {taxable} × {p} % zaokruženo na 2 decimale daje {expected}."
                            ),
                            format!(
                                "The VAT for rate {p} % is {tax}, but taxable amount {taxable} × {p} % rounded to 2 decimals gives {expected}."
                            ),
                        );
                }
            }
            if *cat != VatCategory::S && !tax.is_zero() {
                let (rule, sef): (&'static str, Option<&'static str>) = match cat {
                    VatCategory::AE => (
                        "BR-AE-09",
                        Some("UBLNotAllowedTaxAmountForRecipientCalculatesVAT"),
                    ),
                    VatCategory::Z => ("BR-Z-09", None),
                    VatCategory::E => {
                        ("BR-E-09", Some("UBLNotAllowedTaxAmountForExemptionFromVAT"))
                    }
                    VatCategory::O => ("BR-O-09", None),
                    VatCategory::R => ("RSK-R-09", None),
                    VatCategory::OE => ("RSK-OE-09", None),
                    VatCategory::SS => ("RSK-SS-09", None),
                    _ => ("RSK-N-09", None),
                };
                self.push(
                    Severity::Fatal,
                    rule,
                    format!("{sp}/cbc:TaxAmount"),
                    format!(
                        "Za PDV kategoriju {cat} iznos PDV-a mora biti 0, a navedeno je {tax}."
                    ),
                    format!("For VAT category {cat} the tax amount must be 0; it is {tax}."),
                    sef,
                );
            }
        }
    }

    /// Exemption reason: none for S (BR-S-10), required otherwise (BR-x-10), a known key.
    fn subtotal_exemption(&mut self, tc: &TaxCategory, cp: &str, cat: &VatCategory) {
        let has_reason = !blank(&tc.exemption_reason_code) || !blank(&tc.exemption_reason);
        if *cat == VatCategory::S {
            if has_reason {
                self.fatal(
                    "BR-S-10",
                    format!("{cp}/cbc:TaxExemptionReasonCode"),
                    "Za kategoriju S (oporezivo) ne navodi se osnov oslobođenja.".into(),
                    "A standard-rated (S) subtotal must not have an exemption reason.".into(),
                );
            }
        } else {
            if !has_reason {
                let rule = match cat {
                    VatCategory::AE => "BR-AE-10",
                    VatCategory::E => "BR-E-10",
                    VatCategory::O => "BR-O-10",
                    VatCategory::Z => "FSK-Z-EXEMPTION",
                    VatCategory::R => "RSK-R-10",
                    VatCategory::OE => "RSK-OE-10",
                    VatCategory::SS => "RSK-SS-10",
                    _ => "RSK-N-10",
                };
                self.fatal_sef(
                    rule,
                    "UBLTaxExemptionReasonKeyNotDefined",
                    format!("{cp}/cbc:TaxExemptionReasonCode"),
                    format!(
                        "Za PDV kategoriju {cat} mora se navesti osnov oslobođenja (šifra PDV-RS-… iz SEF liste ili tekst)."
                    ),
                    format!(
                        "VAT category {cat} needs an exemption reason (a PDV-RS-… key from SEF's list, or a text)."
                    ),
                );
            }
            if let Some(code) = tc.exemption_reason_code.as_deref().map(str::trim)
                && !code.is_empty()
            {
                self.exemption_key(cat, code, &format!("{cp}/cbc:TaxExemptionReasonCode"));
            }
        }
    }

    /// Every category (for S, every rate) used by a line, allowance or charge has a subtotal
    /// (BR-S-01, BR-E-01, …, RSK-x-01).
    fn groups_without_subtotal(
        &mut self,
        groups: &[(GroupKey, Sums)],
        seen: &[GroupKey],
        tp: &str,
    ) {
        for (k, s) in groups {
            if !s.used || !k.cat.is_known() {
                continue;
            }
            let present = if k.cat == VatCategory::S {
                seen.iter().any(|g| g == k)
            } else {
                seen.iter().any(|g| g.cat == k.cat)
            };
            if !present {
                let rule = match k.cat {
                    VatCategory::S => "BR-S-01",
                    VatCategory::AE => "BR-AE-01",
                    VatCategory::Z => "BR-Z-01",
                    VatCategory::E => "BR-E-01",
                    VatCategory::O => "BR-O-01",
                    VatCategory::R => "RSK-R-01",
                    VatCategory::OE => "RSK-OE-01",
                    VatCategory::SS => "RSK-SS-01",
                    _ => "RSK-N-01",
                };
                let label = k.label();
                self.fatal(
                    rule,
                    format!("{tp}/cac:TaxSubtotal"),
                    format!(
                        "Postoje stavke (ili popusti/troškovi) sa PDV kategorijom {label}, a u rekapitulaciji PDV-a nema poreskog međuzbira za nju."
                    ),
                    format!(
                        "There are lines (or allowances/charges) in VAT category {label}, but the VAT breakdown has no subtotal for it."
                    ),
                );
            }
        }
    }

    /// BR-CO-14: the total VAT is present, has 2 decimals and equals the subtotals' sum.
    fn total_tax(&mut self, tt: &TaxTotal, tp: &str, sub_sum: Decimal) {
        match tt.tax_amount {
            None => self.fatal(
                "BR-CO-14",
                format!("{tp}/cbc:TaxAmount"),
                "Nedostaje ukupan iznos PDV-a.".into(),
                "The invoice total VAT amount (BT-110) is missing.".into(),
            ),
            Some(t) => {
                if dp(t) > 2 {
                    self.fatal_sef(
                        "BR-DEC-13",
                        "UBLTaxAmountMoreDecimalsThanPermitted",
                        format!("{tp}/cbc:TaxAmount"),
                        format!("Ukupan PDV ({t}) sme imati najviše 2 decimale."),
                        format!("The total VAT amount ({t}) may have at most 2 decimals."),
                    );
                }
                if !tt.subtotals.is_empty() && t != sub_sum {
                    self.fatal_sef(
                        "BR-CO-14",
                        "UBLTotalTaxAmountAndSubtotalTaxAmountDiffer",
                        format!("{tp}/cbc:TaxAmount"),
                        format!(
                            "Ukupan PDV je {t}, a zbir PDV-a po poreskim međuzbirovima je {sub_sum}."
                        ),
                        format!(
                            "The total VAT is {t}, but the VAT subtotals add up to {sub_sum}."
                        ),
                    );
                }
            }
        }
    }
}
