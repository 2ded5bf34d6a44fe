//! Serbian extension (`sbt:SrbDtExt`) of a final invoice: advances, prepaid amount and reduced
//! totals.

use rust_decimal::Decimal;

use super::categories::GroupKey;
use super::{V, fmt_opt};
use crate::model::*;

impl<'a> V<'a> {
    pub(super) fn extension(&mut self) {
        let d = self.doc;
        let Some(ext) = &d.extension else { return };
        let ep = self.p("cec:UBLExtensions/cec:UBLExtension/cec:ExtensionContent/sbt:SrbDtExt");
        if d.document_type() != Some(DocumentType::Invoice) {
            self.fatal_sef(
                "FSK-EXTENSION-TYPE",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                ep.clone(),
                "Ekstenzija sa avansima je dozvoljena samo u konačnoj fakturi (380).".into(),
                "The advance extension is allowed only in a final invoice (380).".into(),
            );
        }
        if ext.prepayments.is_empty() {
            self.fatal_sef(
                "FSK-EXTENSION-ADVANCES",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                format!("{ep}/sbt:InvoicedPrepaymentAmmount"),
                "Ekstenzija ne navodi nijedan avans.".into(),
                "The extension lists no advance.".into(),
            );
        }
        let Advances {
            groups: adv,
            gross,
            taxable: adv_taxable,
        } = self.advances(ext, &ep);
        let m = d.monetary_total.clone().unwrap_or_default();
        if let Some(prepaid) = m.prepaid
            && !ext.prepayments.is_empty()
            && prepaid != gross
        {
            self.fatal_sef(
                "FSK-EXTENSION-PREPAID",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                self.p("cac:LegalMonetaryTotal/cbc:PrepaidAmount"),
                format!(
                    "Plaćeni avansi (PrepaidAmount) su {prepaid}, a avansi iz ekstenzije iznose ukupno {gross} sa PDV-om."
                ),
                format!(
                    "PrepaidAmount is {prepaid}, but the advances in the extension total {gross} including VAT."
                ),
            );
        }
        let rp = format!("{ep}/sbt:ReducedTotals");
        let Some(red) = &ext.reduced_totals else {
            self.fatal_sef(
                "FSK-EXTENSION-REDUCED",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                rp,
                "Ekstenzija nema umanjene iznose (ReducedTotals).".into(),
                "The extension has no reduced totals (ReducedTotals).".into(),
            );
            return;
        };
        self.reduced_subtotals(red, &rp, &ep, &adv);
        self.reduced_totals(red, &rp, &m, adv_taxable);
    }

    /// Each advance of the extension: its number among the billing references, known
    /// categories, VAT = its subtotals; their sums per group.
    fn advances(&mut self, ext: &SrbDtExt, ep: &str) -> Advances {
        let d = self.doc;
        let mut adv: Vec<(GroupKey, Decimal, Decimal)> = Vec::new();
        let mut gross = Decimal::ZERO;
        let mut adv_taxable = Decimal::ZERO;
        for (i, p) in ext.prepayments.iter().enumerate() {
            let pp = format!("{ep}/sbt:InvoicedPrepaymentAmmount[{}]", i + 1);
            match p.id.as_deref().map(str::trim) {
                None | Some("") => self.fatal_sef(
                    "FSK-EXTENSION-ADVANCE-ID",
                    "UBLInvoiceExtensionSrbDtExtNotValid",
                    format!("{pp}/cbc:ID"),
                    "Avans u ekstenziji nema broj avansne fakture.".into(),
                    "An advance in the extension has no advance invoice number.".into(),
                ),
                Some(id) => {
                    if !d
                        .billing_references
                        .iter()
                        .any(|b| b.id.as_deref().map(str::trim) == Some(id))
                    {
                        self.fatal_sef(
                            "FSK-EXTENSION-ADVANCE-REFERENCE",
                            "UBLPrepaymentInvoiceNotFound",
                            format!("{pp}/cbc:ID"),
                            format!(
                                "Avansna faktura {id} iz ekstenzije nije navedena među referencama na prethodne fakture (BillingReference)."
                            ),
                            format!(
                                "Advance invoice {id} in the extension is not listed in the billing references."
                            ),
                        );
                    }
                }
            }
            let mut sub_tax = Decimal::ZERO;
            for (j, s) in p.tax_total.subtotals.iter().enumerate() {
                let cp = format!(
                    "{pp}/cac:TaxTotal/cac:TaxSubtotal[{}]/cac:TaxCategory/cbc:ID",
                    j + 1
                );
                if let Some(cat @ VatCategory::Other(_)) = &s.category.id {
                    self.unknown_category("RSE-01", cat, cp);
                    continue;
                }
                let (ta, tx) = (
                    s.taxable_amount.unwrap_or_default(),
                    s.tax_amount.unwrap_or_default(),
                );
                sub_tax += tx;
                gross += ta + tx;
                adv_taxable += ta;
                if let Some(k) = GroupKey::of(&s.category) {
                    match adv.iter_mut().find(|(g, _, _)| *g == k) {
                        Some((_, a, b)) => {
                            *a += ta;
                            *b += tx;
                        }
                        None => adv.push((k, ta, tx)),
                    }
                }
            }
            if let Some(t) = p.tax_total.tax_amount
                && t != sub_tax
            {
                self.fatal_sef(
                    "FSK-EXTENSION-ADVANCE-TAX",
                    "UBLInvoiceExtensionSrbDtExtNotValid",
                    format!("{pp}/cac:TaxTotal/cbc:TaxAmount"),
                    format!("PDV avansa je {t}, a zbir po međuzbirovima avansa je {sub_tax}."),
                    format!("The advance's VAT is {t}, but its subtotals add up to {sub_tax}."),
                );
            }
        }
        Advances {
            groups: adv,
            gross,
            taxable: adv_taxable,
        }
    }

    /// RSE-02 and each reduced subtotal = the invoice's subtotal − the advances' for that group.
    fn reduced_subtotals(
        &mut self,
        red: &ReducedTotals,
        rp: &str,
        ep: &str,
        adv: &[(GroupKey, Decimal, Decimal)],
    ) {
        let d = self.doc;
        let final_subs: Vec<(GroupKey, Decimal, Decimal)> = d
            .main_tax_total()
            .map(|t| {
                t.subtotals
                    .iter()
                    .filter_map(|s| {
                        GroupKey::of(&s.category).map(|k| {
                            (
                                k,
                                s.taxable_amount.unwrap_or_default(),
                                s.tax_amount.unwrap_or_default(),
                            )
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut red_tax_sum = Decimal::ZERO;
        for (j, s) in red.tax_total.subtotals.iter().enumerate() {
            let sp = format!("{rp}/cac:TaxTotal/cac:TaxSubtotal[{}]", j + 1);
            if let Some(cat @ VatCategory::Other(_)) = &s.category.id {
                self.unknown_category("RSE-02", cat, format!("{sp}/cac:TaxCategory/cbc:ID"));
                continue;
            }
            red_tax_sum += s.tax_amount.unwrap_or_default();
            let Some(k) = GroupKey::of(&s.category) else {
                continue;
            };
            let (ft, fx) = final_subs
                .iter()
                .find(|(g, _, _)| *g == k)
                .map_or((Decimal::ZERO, Decimal::ZERO), |(_, a, b)| (*a, *b));
            let (at, ax) = adv
                .iter()
                .find(|(g, _, _)| *g == k)
                .map_or((Decimal::ZERO, Decimal::ZERO), |(_, a, b)| (*a, *b));
            if s.taxable_amount != Some(ft - at) || s.tax_amount != Some(fx - ax) {
                let label = k.label();
                self.fatal_sef(
                    "FSK-EXTENSION-REDUCED",
                    "UBLInvoiceExtensionSrbDtExtNotValid",
                    sp,
                    format!(
                        "Umanjena osnovica i PDV za {label} moraju biti osnovica i PDV fakture umanjeni za avanse: {} i {}, a navedeno je {} i {}.",
                        ft - at,
                        fx - ax,
                        fmt_opt(s.taxable_amount),
                        fmt_opt(s.tax_amount)
                    ),
                    format!(
                        "The reduced base and VAT for {label} must be the invoice's minus the advances': {} and {}, not {} and {}.",
                        ft - at,
                        fx - ax,
                        fmt_opt(s.taxable_amount),
                        fmt_opt(s.tax_amount)
                    ),
                );
            }
        }
        for (k, at, _) in adv {
            if !final_subs.iter().any(|(g, _, _)| g == k) {
                let label = k.label();
                self.fatal_sef(
                    "FSK-EXTENSION-RATES",
                    "PrepaymentInvoicesVatRatesDiffersFromInvoiceVatRates",
                    format!("{ep}/sbt:InvoicedPrepaymentAmmount"),
                    format!(
                        "Avans sadrži osnovicu {at} za {label}, a konačna faktura nema tu kategoriju i stopu."
                    ),
                    format!(
                        "An advance has a base of {at} for {label}, which the final invoice does not have."
                    ),
                );
            }
        }
        if let Some(t) = red.tax_total.tax_amount
            && t != red_tax_sum
        {
            self.fatal_sef(
                "FSK-EXTENSION-REDUCED",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                format!("{rp}/cac:TaxTotal/cbc:TaxAmount"),
                format!("Umanjeni PDV je {t}, a zbir umanjenih međuzbirova je {red_tax_sum}."),
                format!(
                    "The reduced VAT is {t}, but the reduced subtotals add up to {red_tax_sum}."
                ),
            );
        }
    }

    /// RSE-03 and the reduced totals without VAT and due against the invoice's.
    fn reduced_totals(
        &mut self,
        red: &ReducedTotals,
        rp: &str,
        m: &MonetaryTotal,
        adv_taxable: Decimal,
    ) {
        let rm = &red.monetary_total;
        if let (Some(hi), Some(rti)) = (m.tax_inclusive, rm.tax_inclusive) {
            let expected = hi - m.prepaid.unwrap_or_default();
            if rti != expected {
                self.fatal(
                    "RSE-03",
                    format!("{rp}/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
                    format!(
                        "Umanjeni iznos sa PDV-om je {rti}, a mora biti iznos sa PDV-om {hi} umanjen za avanse: {expected}."
                    ),
                    format!(
                        "The reduced total with VAT is {rti}; it must be the total with VAT {hi} minus the prepaid amount: {expected}."
                    ),
                );
            }
        }
        if let (Some(hte), Some(rte)) = (m.tax_exclusive, rm.tax_exclusive)
            && rte != hte - adv_taxable
        {
            self.fatal_sef(
                "FSK-EXTENSION-REDUCED",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                format!("{rp}/cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"),
                format!(
                    "Umanjeni iznos bez PDV-a je {rte}, a mora biti {}.",
                    hte - adv_taxable
                ),
                format!(
                    "The reduced total without VAT is {rte}; it must be {}.",
                    hte - adv_taxable
                ),
            );
        }
        if let (Some(hp), Some(rpay)) = (m.payable, rm.payable)
            && rpay != hp
        {
            self.fatal_sef(
                "FSK-EXTENSION-REDUCED",
                "UBLInvoiceExtensionSrbDtExtNotValid",
                format!("{rp}/cac:LegalMonetaryTotal/cbc:PayableAmount"),
                format!(
                    "Umanjeni iznos za plaćanje je {rpay}, a iznos za plaćanje fakture je {hp}."
                ),
                format!("The reduced amount due is {rpay}, but the invoice's amount due is {hp}."),
            );
        }
    }
}

/// What the advances of the extension add up to.
struct Advances {
    /// Taxable amount and VAT per group.
    groups: Vec<(GroupKey, Decimal, Decimal)>,
    /// Taxable amounts plus VAT of all advances.
    gross: Decimal,
    /// Taxable amounts of all advances.
    taxable: Decimal,
}
