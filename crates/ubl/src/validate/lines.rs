//! Lines and allowances: each line's fields, amounts and category, document-level allowances and
//! charges, and the sums per VAT group they make.

use fiskal_domain::money::round2;
use rust_decimal::Decimal;

use super::categories::{GroupKey, Level, Sums};
use super::{V, blank, dp};
use crate::model::*;

impl<'a> V<'a> {
    pub(super) fn lines_and_allowances(&mut self) -> Vec<(GroupKey, Sums)> {
        let d = self.doc;
        let mut groups: Vec<(GroupKey, Sums)> = Vec::new();
        if d.lines.is_empty() {
            self.fatal(
                "BR-16",
                self.p(&format!("cac:{}", d.root.line_name())),
                "Dokument mora imati bar jednu stavku.".into(),
                "The document must have at least one line (BG-25).".into(),
            );
        }
        let line_name = d.root.line_name();
        let mut seen_ids: Vec<&str> = Vec::with_capacity(d.lines.len());
        for (i, l) in d.lines.iter().enumerate() {
            let lp = format!("/{}/cac:{line_name}[{}]", self.r, i + 1);
            let no = i + 1;
            self.line_id(l, &lp, no, &mut seen_ids);
            self.line_quantity_and_unit(l, &lp, no);
            self.line_net_name_and_price(l, &lp, no);
            for (j, ac) in l.allowance_charges.iter().enumerate() {
                self.allowance_fields(
                    ac,
                    &format!("{lp}/cac:AllowanceCharge[{}]", j + 1),
                    Level::Line,
                );
            }
            self.line_period(l, &lp, no);
            self.line_net_recomputed(l, &lp, no);
            if let Some(key) = self.line_category(l, &lp, no) {
                let s = group(&mut groups, key);
                s.lines += l.line_extension.unwrap_or_default();
                s.used = true;
            }
        }
        for (i, ac) in d.allowance_charges.iter().enumerate() {
            if let Some(key) = self.document_allowance(ac, i) {
                let s = group(&mut groups, key);
                let a = ac.amount.unwrap_or_default();
                if ac.charge {
                    s.charges += a;
                } else {
                    s.allowances += a;
                }
                s.used = true;
            }
        }
        groups
    }

    /// BR-21 and unique line identifiers.
    fn line_id<'l>(&mut self, l: &'l Line, lp: &str, no: usize, seen_ids: &mut Vec<&'l str>) {
        match l.id.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                "BR-21",
                format!("{lp}/cbc:ID"),
                format!("Stavka {no} nema redni broj (ID)."),
                format!("Line {no} has no line identifier (BT-126)."),
            ),
            Some(id) => {
                if seen_ids.contains(&id) {
                    self.fatal(
                        "FSK-LINE-ID",
                        format!("{lp}/cbc:ID"),
                        format!("Redni broj stavke '{id}' se ponavlja; svaka stavka mora imati jedinstven broj."),
                        format!("Line identifier '{id}' is repeated; every line needs a unique identifier."),
                    );
                }
                seen_ids.push(id);
            }
        }
    }

    /// BR-22 and BR-23: quantity (not negative, at most 4 decimals) and a unit from SEF's list.
    fn line_quantity_and_unit(&mut self, l: &Line, lp: &str, no: usize) {
        let qty_name = quantity_name(self.doc.root);
        match l.quantity {
            None => self.fatal(
                "BR-22",
                format!("{lp}/{qty_name}"),
                format!("Stavka {no} nema količinu."),
                format!("Line {no} has no quantity (BT-129)."),
            ),
            Some(q) => {
                if q.is_sign_negative() && !q.is_zero() {
                    let is_n = l
                        .item
                        .tax_category
                        .as_ref()
                        .is_some_and(|t| t.id == Some(VatCategory::N));
                    let sr = format!("Stavka {no} ima negativnu količinu ({q}).");
                    let en = format!("Line {no} has a negative quantity ({q}).");
                    if is_n {
                        self.warn("FSK-QUANTITY-NEGATIVE", format!("{lp}/{qty_name}"), sr, en);
                    } else {
                        self.fatal("FSK-QUANTITY-NEGATIVE", format!("{lp}/{qty_name}"), sr, en);
                    }
                }
                if dp(q.normalize()) > 4 {
                    self.warn(
                        "FSK-QUANTITY-DECIMALS",
                        format!("{lp}/{qty_name}"),
                        format!("Količina na stavci {no} ({q}) ima više od 4 decimale."),
                        format!("The quantity of line {no} ({q}) has more than 4 decimals."),
                    );
                }
            }
        }
        match l.unit_code.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                "BR-23",
                format!("{lp}/{qty_name}/@unitCode"),
                format!("Stavka {no} nema jedinicu mere."),
                format!("Line {no} has no unit of measure code (BT-130)."),
            ),
            Some(u) => {
                if let Some(units) = &self.opts.unit_codes
                    && !units.contains(u)
                {
                    self.fatal_sef(
                        "FSK-UNIT-CODE",
                        "UBLUnitCodeNotValid",
                        format!("{lp}/{qty_name}/@unitCode"),
                        format!("Jedinica mere '{u}' na stavci {no} nije na SEF-ovoj listi jedinica mere."),
                        format!("Unit code '{u}' of line {no} is not in SEF's list of units."),
                    );
                }
            }
        }
    }

    /// BR-24, BR-25 and BR-26: net amount, item name and price with their decimals and lengths.
    fn line_net_name_and_price(&mut self, l: &Line, lp: &str, no: usize) {
        match l.line_extension {
            None => self.fatal(
                "BR-24",
                format!("{lp}/cbc:LineExtensionAmount"),
                format!("Stavka {no} nema neto iznos."),
                format!("Line {no} has no net amount (BT-131)."),
            ),
            Some(a) if dp(a) > 2 => self.fatal_sef(
                "BR-DEC-23",
                "UBLInvoiceLineExtensionAmountMoreDecimalsThanPermitted",
                format!("{lp}/cbc:LineExtensionAmount"),
                format!("Neto iznos stavke {no} ({a}) sme imati najviše 2 decimale."),
                format!("The net amount of line {no} ({a}) may have at most 2 decimals."),
            ),
            _ => {}
        }
        match l.item.name.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                "BR-25",
                format!("{lp}/cac:Item/cbc:Name"),
                format!("Stavka {no} nema naziv artikla ili usluge."),
                format!("Line {no} has no item name (BT-153)."),
            ),
            Some(n) if n.chars().count() > 100 => self.fatal_sef(
                "FSK-ITEM-NAME-LENGTH",
                "UBLProductNameLengthExceeded",
                format!("{lp}/cac:Item/cbc:Name"),
                format!("Naziv artikla na stavci {no} je duži od 100 znakova."),
                format!("The item name of line {no} is longer than 100 characters."),
            ),
            _ => {}
        }
        let price = l.price.as_ref().and_then(|p| p.amount);
        match price {
            None => self.fatal(
                "BR-26",
                format!("{lp}/cac:Price/cbc:PriceAmount"),
                format!("Stavka {no} nema jediničnu cenu."),
                format!("Line {no} has no item net price (BT-146)."),
            ),
            Some(p) => {
                if p.is_sign_negative() && !p.is_zero() {
                    self.fatal_sef(
                        "BR-27",
                        "InvoiceItemsPriceNegative",
                        format!("{lp}/cac:Price/cbc:PriceAmount"),
                        format!("Cena na stavci {no} ne sme biti negativna ({p})."),
                        format!("The item net price of line {no} must not be negative ({p})."),
                    );
                }
                if dp(p) > 4 {
                    self.fatal_sef(
                        "FSK-PRICE-DECIMALS",
                        "UBLInvoiceLinePriceAmountMoreDecimalsThanPermitted",
                        format!("{lp}/cac:Price/cbc:PriceAmount"),
                        format!("Cena na stavci {no} ({p}) sme imati najviše 4 decimale."),
                        format!("The price of line {no} ({p}) may have at most 4 decimals."),
                    );
                }
            }
        }
    }

    /// BR-30 and BR-CO-20 on the line's period.
    fn line_period(&mut self, l: &Line, lp: &str, no: usize) {
        if let Some(per) = &l.period {
            if let (Some(s), Some(e)) = (per.start, per.end)
                && e < s
            {
                self.fatal(
                    "BR-30",
                    format!("{lp}/cac:InvoicePeriod/cbc:EndDate"),
                    format!("Kraj perioda stavke {no} je pre njegovog početka."),
                    format!("The end of line {no}'s period is before its start."),
                );
            }
            if per.start.is_none() && per.end.is_none() {
                self.fatal(
                    "BR-CO-20",
                    format!("{lp}/cac:InvoicePeriod"),
                    format!("Period stavke {no} nema ni početak ni kraj."),
                    format!("Line {no}'s period has neither start nor end date."),
                );
            }
        }
    }

    /// The line net recomputed: quantity × price / base quantity ± line allowances and charges
    /// (§8.2 step 1).
    fn line_net_recomputed(&mut self, l: &Line, lp: &str, no: usize) {
        let price = l.price.as_ref().and_then(|p| p.amount);
        if let (Some(q), Some(p), Some(net)) = (l.quantity, price, l.line_extension) {
            let base = l
                .price
                .as_ref()
                .and_then(|p| p.base_quantity)
                .filter(|b| !b.is_zero())
                .unwrap_or(Decimal::ONE);
            let mut expected = q * p;
            if base != Decimal::ONE {
                expected /= base;
            }
            for ac in &l.allowance_charges {
                let a = ac.amount.unwrap_or_default();
                if ac.charge {
                    expected += a;
                } else {
                    expected -= a;
                }
            }
            let expected = round2(expected);
            if expected != net {
                self.fatal(
                    "FSK-LINE-NET",
                    format!("{lp}/cbc:LineExtensionAmount"),
                    format!(
                        "Neto iznos stavke {no} je {net}, a količina × cena (± popusti i troškovi stavke) daje {expected}."
                    ),
                    format!(
                        "The net amount of line {no} is {net}, but quantity × price (± line allowances and charges) gives {expected}."
                    ),
                );
            }
        }
    }

    /// The line's VAT category (BR-CO-04) with its rate rules; the group the line counts in.
    fn line_category(&mut self, l: &Line, lp: &str, no: usize) -> Option<GroupKey> {
        match &l.item.tax_category {
            Some(tc) if tc.is_vat() && tc.id.is_some() => {
                let cp = format!("{lp}/cac:Item/cac:ClassifiedTaxCategory");
                if let Some(cat @ VatCategory::Other(_)) = &tc.id {
                    self.unknown_category("RSR-36", cat, format!("{cp}/cbc:ID"));
                } else {
                    self.category_percent_rules(tc, &cp, Level::Line, false);
                    if tc.exemption_reason_code.is_some() || tc.exemption_reason.is_some() {
                        self.warn(
                            "FSK-LINE-EXEMPTION",
                            format!("{cp}/cbc:TaxExemptionReasonCode"),
                            format!(
                                "Osnov oslobođenja se navodi u poreskom međuzbiru, ne na stavci {no}."
                            ),
                            format!(
                                "The exemption reason belongs in the VAT breakdown, not on line {no}."
                            ),
                        );
                    }
                }
                GroupKey::of(tc)
            }
            _ => {
                self.fatal(
                    "BR-CO-04",
                    format!("{lp}/cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
                    format!("Stavka {no} nema PDV kategoriju (S, AE, Z, E, O, R, OE, SS ili N)."),
                    format!("Line {no} has no VAT category code (BT-151)."),
                );
                None
            }
        }
    }

    /// One document-level allowance or charge (BR-31…BR-38); the group it counts in.
    fn document_allowance(&mut self, ac: &AllowanceCharge, i: usize) -> Option<GroupKey> {
        let ap = self.p(&format!("cac:AllowanceCharge[{}]", i + 1));
        let r_cat = if ac.charge { "BR-37" } else { "BR-32" };
        let what_sr = if ac.charge { "trošak" } else { "popust" };
        let what_en = if ac.charge { "charge" } else { "allowance" };
        self.allowance_fields(ac, &ap, Level::Doc);
        match &ac.tax_category {
            Some(tc) if tc.is_vat() && tc.id.is_some() => {
                let cp = format!("{ap}/cac:TaxCategory");
                if let Some(cat @ VatCategory::Other(_)) = &tc.id {
                    self.unknown_category("RSR-34", cat, format!("{cp}/cbc:ID"));
                } else {
                    self.category_percent_rules(tc, &cp, Level::Doc, ac.charge);
                }
                GroupKey::of(tc)
            }
            _ => {
                self.fatal(
                    r_cat,
                    format!("{ap}/cac:TaxCategory/cbc:ID"),
                    format!("{what_sr} na nivou dokumenta nema PDV kategoriju."),
                    format!("A document-level {what_en} has no VAT category code."),
                );
                None
            }
        }
    }

    /// Amount, base amount and reason of an allowance or charge, on a line (BR-41…BR-44) or on
    /// the document (BR-31…BR-38).
    fn allowance_fields(&mut self, ac: &AllowanceCharge, path: &str, level: Level) {
        let (r_amt, r_reason, r_dec, r_dec_base) = match (level, ac.charge) {
            (Level::Line, true) => ("BR-43", "BR-44", "BR-DEC-27", "BR-DEC-28"),
            (Level::Line, false) => ("BR-41", "BR-42", "BR-DEC-24", "BR-DEC-25"),
            (Level::Doc, true) => ("BR-36", "BR-38", "BR-DEC-05", "BR-DEC-06"),
            (Level::Doc, false) => ("BR-31", "BR-33", "BR-DEC-01", "BR-DEC-02"),
        };
        let what_sr = if ac.charge { "trošak" } else { "popust" };
        let what_en = if ac.charge { "charge" } else { "allowance" };
        let line = matches!(level, Level::Line);
        match ac.amount {
            None => self.fatal(
                r_amt,
                format!("{path}/cbc:Amount"),
                if line {
                    format!("Stavka ima {what_sr} bez iznosa.")
                } else {
                    format!("{what_sr} na nivou dokumenta nema iznos.")
                },
                if line {
                    format!("A line {what_en} has no amount.")
                } else {
                    format!("A document-level {what_en} has no amount.")
                },
            ),
            Some(a) if dp(a) > 2 => self.fatal(
                r_dec,
                format!("{path}/cbc:Amount"),
                format!("Iznos ({a}) sme imati najviše 2 decimale."),
                format!("The amount ({a}) may have at most 2 decimals."),
            ),
            _ => {}
        }
        if let Some(b) = ac.base_amount
            && dp(b) > 2
        {
            self.fatal(
                r_dec_base,
                format!("{path}/cbc:BaseAmount"),
                format!("Osnovica ({b}) sme imati najviše 2 decimale."),
                format!("The base amount ({b}) may have at most 2 decimals."),
            );
        }
        if blank(&ac.reason) && blank(&ac.reason_code) {
            let (sr, en) = if line {
                (
                    format!("Za {what_sr} na stavci mora se navesti razlog (tekst ili šifra)."),
                    format!("A line {what_en} needs a reason text or reason code."),
                )
            } else {
                (
                    format!("Za {what_sr} na nivou dokumenta mora se navesti razlog."),
                    format!("A document-level {what_en} needs a reason text or reason code."),
                )
            };
            self.fatal(
                r_reason,
                format!("{path}/cbc:AllowanceChargeReason"),
                sr,
                en,
            );
        }
    }
}

/// The quantity element of a line: `InvoicedQuantity` or `CreditedQuantity`.
fn quantity_name(root: Root) -> &'static str {
    match root {
        Root::Invoice => "cbc:InvoicedQuantity",
        Root::CreditNote => "cbc:CreditedQuantity",
    }
}

/// The sums of a VAT group, added at the end when the group is new (first-seen order).
fn group(groups: &mut Vec<(GroupKey, Sums)>, key: GroupKey) -> &mut Sums {
    let i = match groups.iter().position(|(k, _)| *k == key) {
        Some(i) => i,
        None => {
            groups.push((key, Sums::default()));
            groups.len() - 1
        }
    };
    &mut groups[i].1
}
