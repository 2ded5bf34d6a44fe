//! VAT categories: groups of lines by category and rate, the rate each category allows, unknown
//! categories, exemption keys.

use rust_decimal::Decimal;

use super::V;
use crate::model::*;

/// Key of a VAT group: category and, for `S`, the normalised rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GroupKey {
    pub(super) cat: VatCategory,
    pub(super) rate: Option<Decimal>,
}

impl GroupKey {
    pub(super) fn of(tc: &TaxCategory) -> Option<GroupKey> {
        let cat = tc.id.clone()?;
        let rate = if cat == VatCategory::S {
            tc.percent.map(|p| p.normalize())
        } else {
            None
        };
        Some(GroupKey { cat, rate })
    }
    pub(super) fn label(&self) -> String {
        match self.rate {
            Some(r) => format!("{} {}%", self.cat, r),
            None => self.cat.to_string(),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Sums {
    pub(super) lines: Decimal,
    pub(super) allowances: Decimal,
    pub(super) charges: Decimal,
    pub(super) used: bool,
}

#[derive(Clone, Copy)]
pub(super) enum Level {
    Line,
    Doc,
}
/// The standard rates in the Serbian message.
const SR_RULE_RATES: &str = "20 ili 10";

impl<'a> V<'a> {
    pub(super) fn category_percent_rules(
        &mut self,
        tc: &TaxCategory,
        path: &str,
        level: Level,
        charge: bool,
    ) {
        let Some(cat) = &tc.id else { return };
        let pct = tc.percent;
        let (rule, ok, sr, en): (&'static str, bool, String, String) = match cat {
            VatCategory::S => {
                let rule = match level {
                    Level::Line => "BR-S-05",
                    Level::Doc if charge => "BR-S-07",
                    Level::Doc => "BR-S-06",
                };
                (
                    rule,
                    pct.is_some_and(|p| p > Decimal::ZERO),
                    "Za PDV kategoriju S mora se navesti stopa veća od nule.".into(),
                    "VAT category S requires a rate greater than zero.".into(),
                )
            }
            VatCategory::O => {
                let rule = match level {
                    Level::Line => "BR-O-05",
                    Level::Doc if charge => "BR-O-07",
                    Level::Doc => "BR-O-06",
                };
                (
                    rule,
                    pct.is_none(),
                    "Za PDV kategoriju O (van sistema PDV) stopa se ne navodi.".into(),
                    "VAT category O (not subject to VAT) must not carry a rate.".into(),
                )
            }
            VatCategory::Other(_) => return,
            c => {
                let rule = match (c, level, charge) {
                    (VatCategory::AE, Level::Line, _) => "BR-AE-05",
                    (VatCategory::AE, Level::Doc, false) => "BR-AE-06",
                    (VatCategory::AE, Level::Doc, true) => "BR-AE-07",
                    (VatCategory::E, Level::Line, _) => "BR-E-05",
                    (VatCategory::E, Level::Doc, false) => "BR-E-06",
                    (VatCategory::E, Level::Doc, true) => "BR-E-07",
                    (VatCategory::Z, Level::Line, _) => "BR-Z-05",
                    (VatCategory::Z, Level::Doc, false) => "BR-Z-06",
                    (VatCategory::Z, Level::Doc, true) => "BR-Z-07",
                    (VatCategory::R, Level::Line, _) => "RSK-R-05",
                    (VatCategory::R, Level::Doc, false) => "RSK-R-06",
                    (VatCategory::R, Level::Doc, true) => "RSK-R-07",
                    (VatCategory::OE, Level::Line, _) => "RSK-OE-05",
                    (VatCategory::OE, Level::Doc, false) => "RSK-OE-06",
                    (VatCategory::OE, Level::Doc, true) => "RSK-OE-07",
                    (VatCategory::SS, Level::Line, _) => "RSK-SS-05",
                    (VatCategory::SS, Level::Doc, false) => "RSK-SS-06",
                    (VatCategory::SS, Level::Doc, true) => "RSK-SS-07",
                    (_, Level::Line, _) => "RSK-N-05",
                    (_, Level::Doc, false) => "RSK-N-06",
                    (_, Level::Doc, true) => "RSK-N-07",
                };
                (
                    rule,
                    pct.is_some_and(|p| p.is_zero()),
                    format!("Za PDV kategoriju {c} stopa PDV-a mora biti 0."),
                    format!("VAT category {c} requires a VAT rate of 0."),
                )
            }
        };
        if !ok {
            self.fatal(rule, format!("{path}/cbc:Percent"), sr, en);
        } else if *cat == VatCategory::S
            && let Some(p) = pct
        {
            self.standard_rate(p, path);
        }
    }

    /// FSK-S-RATE: category S is 20 or 10 % (`path` is the category element).
    pub(super) fn standard_rate(&mut self, p: Decimal, path: &str) {
        if p != Decimal::from(20) && p != Decimal::from(10) {
            self.fatal_sef(
                "FSK-S-RATE",
                "UBLIncorrectVatRateForStandardVatRate",
                format!("{path}/cbc:Percent"),
                format!(
                    "Stopa PDV-a za kategoriju S mora biti {SR_RULE_RATES} %, a navedeno je {p} %."
                ),
                format!("The VAT rate for category S must be 20 or 10 %; it is {p} %."),
            );
        }
    }

    pub(super) fn unknown_category(&mut self, rule: &'static str, cat: &VatCategory, path: String) {
        self.fatal_sef(
            rule,
            "UBLTaxCategoryIdUnknown",
            path,
            format!(
                "Nepoznata PDV kategorija '{cat}'; dozvoljene su S, AE, Z, E, O, R, OE, SS i N."
            ),
            format!("Unknown VAT category '{cat}'; allowed are S, AE, Z, E, O, R, OE, SS and N."),
        );
    }

    pub(super) fn exemption_key(&mut self, cat: &VatCategory, code: &str, path: &str) {
        if let Some(keys) = &self.opts.exemption_keys {
            match keys.get(code) {
                None => self.fatal_sef(
                    "FSK-EXEMPTION-KEY",
                    "VatExemptionReasonNotExists",
                    path.to_string(),
                    format!("Šifra osnova oslobođenja '{code}' ne postoji na SEF-ovoj listi."),
                    format!("Exemption key '{code}' is not in SEF's list."),
                ),
                Some(k) => {
                    if &k.category != cat {
                        self.fatal_sef(
                            "FSK-EXEMPTION-CATEGORY",
                            "UBLTaxExemptionReasonCategoryNotCorrect",
                            path.to_string(),
                            format!(
                                "Šifra osnova oslobođenja '{code}' pripada kategoriji {}, a ne kategoriji {cat}.",
                                k.category
                            ),
                            format!(
                                "Exemption key '{code}' belongs to category {}, not {cat}.",
                                k.category
                            ),
                        );
                    }
                    if let Some(day) = self.doc.issue_date {
                        let before = k.active_from.is_some_and(|f| day < f);
                        let after = k.active_to.is_some_and(|t| day > t);
                        if before || after {
                            self.fatal_sef(
                                "FSK-EXEMPTION-ACTIVE",
                                "VatExemptionReasonPointOfLawNotActive",
                                path.to_string(),
                                format!(
                                    "Šifra osnova oslobođenja '{code}' nije važila na dan izdavanja ({day})."
                                ),
                                format!(
                                    "Exemption key '{code}' is not active on the issue date ({day})."
                                ),
                            );
                        }
                    }
                }
            }
            return;
        }
        // Without SEF's list: the key families of ubl-profile.md §7.
        let Some(rest) = code.strip_prefix("PDV-RS-") else {
            self.fatal_sef(
                "FSK-EXEMPTION-KEY",
                "UBLTaxExemptionReasonKeyNotDefined",
                path.to_string(),
                format!("Šifra osnova oslobođenja '{code}' mora imati oblik PDV-RS-… (npr. PDV-RS-25-2-3)."),
                format!("Exemption key '{code}' must have the form PDV-RS-… (e.g. PDV-RS-25-2-3)."),
            );
            return;
        };
        let family_ok = match cat {
            VatCategory::AE => rest.starts_with("10-2-") || rest == "36b-6",
            VatCategory::Z => rest.starts_with("24-") || rest == "61",
            VatCategory::E => rest.starts_with("25-"),
            VatCategory::O => rest.starts_with("11-") || rest.starts_with("12-"),
            VatCategory::R => rest == "6-1-1" || rest == "6a",
            VatCategory::OE => rest.starts_with("17-4-"),
            VatCategory::SS => matches!(rest, "33" | "35-7" | "36-5" | "36b-4"),
            VatCategory::N => rest == "N",
            _ => true,
        };
        if !family_ok {
            self.warn(
                "FSK-EXEMPTION-CATEGORY",
                path.to_string(),
                format!(
                    "Šifra osnova oslobođenja '{code}' ne pripada uobičajenoj grupi šifara za kategoriju {cat}; proverite je na SEF-ovoj listi."
                ),
                format!(
                    "Exemption key '{code}' is not in the usual key family of category {cat}; check it against SEF's list."
                ),
            );
        }
    }
}
