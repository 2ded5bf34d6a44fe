//! Document totals (LegalMonetaryTotal): presence, decimals and the sums BR-CO-10…16, BR-CO-25.

use rust_decimal::Decimal;

use super::{V, dp, fmt_opt};
use crate::finding::Severity;
use crate::model::MonetaryTotal;

impl<'a> V<'a> {
    pub(super) fn totals(&mut self) {
        let d = self.doc;
        let mp = self.p("cac:LegalMonetaryTotal");
        let Some(m) = &d.monetary_total else {
            self.fatal(
                "BR-12",
                mp,
                "Nedostaju ukupni iznosi dokumenta (LegalMonetaryTotal).".into(),
                "The document totals (LegalMonetaryTotal) are missing.".into(),
            );
            return;
        };
        self.totals_present(m, &mp);
        self.totals_of_lines_and_allowances(m, &mp);
        self.totals_with_vat_and_payable(m, &mp);
    }

    /// The four mandatory totals (BR-12…BR-15) and the decimals of every total (BR-DEC-09…18).
    fn totals_present(&mut self, m: &MonetaryTotal, mp: &str) {
        let checks: [TotalCheck<'_>; 4] = [
            (
                "BR-12",
                "cbc:LineExtensionAmount",
                "UBLLineExtensionAmountMoreDecimalsThanPermitted",
                m.line_extension,
                "zbir neto iznosa stavki",
                "sum of line net amounts (BT-106)",
            ),
            (
                "BR-13",
                "cbc:TaxExclusiveAmount",
                "UBLTaxExclusiveAmountMoreDecimalsThanPermitted",
                m.tax_exclusive,
                "ukupan iznos bez PDV-a",
                "total without VAT (BT-109)",
            ),
            (
                "BR-14",
                "cbc:TaxInclusiveAmount",
                "UBLTaxInclusiveAmountMoreDecimalsThanPermitted",
                m.tax_inclusive,
                "ukupan iznos sa PDV-om",
                "total with VAT (BT-112)",
            ),
            (
                "BR-15",
                "cbc:PayableAmount",
                "UBLPayableAmountMoreDecimalsThanPermitted",
                m.payable,
                "iznos za plaćanje",
                "amount due for payment (BT-115)",
            ),
        ];
        for (rule, el, _, v, sr, en) in checks {
            if v.is_none() {
                self.fatal(
                    rule,
                    format!("{mp}/{el}"),
                    format!("Nedostaje {sr}."),
                    format!("The {en} is missing."),
                );
            }
        }
        let decs: [(
            &'static str,
            &'static str,
            Option<&'static str>,
            Option<Decimal>,
        ); 8] = [
            (
                "BR-DEC-09",
                "cbc:LineExtensionAmount",
                Some(checks[0].2),
                m.line_extension,
            ),
            (
                "BR-DEC-10",
                "cbc:AllowanceTotalAmount",
                Some("UBLAllowanceTotalAmountMoreDecimalsThanPermitted"),
                m.allowance_total,
            ),
            ("BR-DEC-11", "cbc:ChargeTotalAmount", None, m.charge_total),
            (
                "BR-DEC-12",
                "cbc:TaxExclusiveAmount",
                Some(checks[1].2),
                m.tax_exclusive,
            ),
            (
                "BR-DEC-14",
                "cbc:TaxInclusiveAmount",
                Some(checks[2].2),
                m.tax_inclusive,
            ),
            (
                "BR-DEC-16",
                "cbc:PrepaidAmount",
                Some("UBLPrepayedAmountMoreDecimalsThanPermitted"),
                m.prepaid,
            ),
            (
                "BR-DEC-17",
                "cbc:PayableRoundingAmount",
                None,
                m.payable_rounding,
            ),
            (
                "BR-DEC-18",
                "cbc:PayableAmount",
                Some(checks[3].2),
                m.payable,
            ),
        ];
        for (rule, el, sef, v) in decs {
            if let Some(v) = v
                && dp(v) > 2
            {
                self.push(
                    Severity::Fatal,
                    rule,
                    format!("{mp}/{el}"),
                    format!("Iznos {v} u {el} sme imati najviše 2 decimale."),
                    format!("The amount {v} in {el} may have at most 2 decimals."),
                    sef,
                );
            }
        }
    }

    /// BR-CO-10…13: line total, allowance and charge totals, total without VAT.
    fn totals_of_lines_and_allowances(&mut self, m: &MonetaryTotal, mp: &str) {
        let d = self.doc;
        let sum_lines: Decimal = d.lines.iter().filter_map(|l| l.line_extension).sum();
        let (mut allow, mut charge) = (Decimal::ZERO, Decimal::ZERO);
        let (mut n_allow, mut n_charge) = (0, 0);
        for ac in &d.allowance_charges {
            if ac.charge {
                charge += ac.amount.unwrap_or_default();
                n_charge += 1;
            } else {
                allow += ac.amount.unwrap_or_default();
                n_allow += 1;
            }
        }
        if let Some(le) = m.line_extension
            && le != sum_lines
        {
            self.fatal(
                "BR-CO-10",
                format!("{mp}/cbc:LineExtensionAmount"),
                format!("Zbir neto iznosa stavki je {sum_lines}, a u dokumentu piše {le}."),
                format!("The line net amounts add up to {sum_lines}, but the document says {le}."),
            );
        }
        match m.allowance_total {
            Some(a) if a != allow => self.fatal(
                "BR-CO-11",
                format!("{mp}/cbc:AllowanceTotalAmount"),
                format!("Zbir popusta na nivou dokumenta je {allow}, a u dokumentu piše {a}."),
                format!("The document-level allowances add up to {allow}, but the document says {a}."),
            ),
            None if n_allow > 0 => self.fatal(
                "BR-CO-11",
                format!("{mp}/cbc:AllowanceTotalAmount"),
                format!("Dokument ima popuste ({allow}), a nedostaje njihov zbir (AllowanceTotalAmount)."),
                format!("The document has allowances ({allow}) but no AllowanceTotalAmount."),
            ),
            _ => {}
        }
        match m.charge_total {
            Some(c) if c != charge => self.fatal(
                "BR-CO-12",
                format!("{mp}/cbc:ChargeTotalAmount"),
                format!("Zbir troškova na nivou dokumenta je {charge}, a u dokumentu piše {c}."),
                format!(
                    "The document-level charges add up to {charge}, but the document says {c}."
                ),
            ),
            None if n_charge > 0 => self.fatal(
                "BR-CO-12",
                format!("{mp}/cbc:ChargeTotalAmount"),
                format!(
                    "Dokument ima troškove ({charge}), a nedostaje njihov zbir (ChargeTotalAmount)."
                ),
                format!("The document has charges ({charge}) but no ChargeTotalAmount."),
            ),
            _ => {}
        }
        if let (Some(le), Some(te)) = (m.line_extension, m.tax_exclusive) {
            let expected =
                le - m.allowance_total.unwrap_or_default() + m.charge_total.unwrap_or_default();
            if te != expected {
                self.fatal(
                    "BR-CO-13",
                    format!("{mp}/cbc:TaxExclusiveAmount"),
                    format!(
                        "Iznos bez PDV-a je {te}, a zbir stavki − popusti + troškovi daje {expected}."
                    ),
                    format!(
                        "The total without VAT is {te}, but lines − allowances + charges gives {expected}."
                    ),
                );
            }
        }
    }

    /// BR-CO-15, BR-CO-16 and BR-CO-25: total with VAT, amount due and its due date or terms;
    /// prepaid amounts only with the advance extension.
    fn totals_with_vat_and_payable(&mut self, m: &MonetaryTotal, mp: &str) {
        let d = self.doc;
        let tax = d.main_tax_total().and_then(|t| t.tax_amount);
        if let (Some(te), Some(ti)) = (m.tax_exclusive, m.tax_inclusive) {
            let expected = te + tax.unwrap_or_default();
            if ti != expected {
                self.fatal(
                    "BR-CO-15",
                    format!("{mp}/cbc:TaxInclusiveAmount"),
                    format!(
                        "Iznos sa PDV-om je {ti}, a iznos bez PDV-a {te} + PDV {} daje {expected}.",
                        fmt_opt(tax)
                    ),
                    format!(
                        "The total with VAT is {ti}, but total without VAT {te} + VAT {} gives {expected}.",
                        fmt_opt(tax)
                    ),
                );
            }
        }
        if let (Some(ti), Some(pay)) = (m.tax_inclusive, m.payable) {
            let expected =
                ti - m.prepaid.unwrap_or_default() + m.payable_rounding.unwrap_or_default();
            if pay != expected {
                self.fatal(
                    "BR-CO-16",
                    format!("{mp}/cbc:PayableAmount"),
                    format!(
                        "Iznos za plaćanje je {pay}, a iznos sa PDV-om − avansi + zaokruživanje daje {expected}."
                    ),
                    format!(
                        "The amount due is {pay}, but total with VAT − prepaid + rounding gives {expected}."
                    ),
                );
            }
            if pay > Decimal::ZERO && d.effective_due_date().is_none() && d.payment_terms.is_empty()
            {
                self.fatal(
                    "BR-CO-25",
                    self.root_path(),
                    "Kada postoji iznos za plaćanje, mora se navesti datum dospeća ili uslovi plaćanja.".into(),
                    "When an amount is due, the payment due date (BT-9) or payment terms (BT-20) must be given.".into(),
                );
            }
        }
        if m.prepaid.is_some_and(|p| !p.is_zero()) && d.extension.is_none() {
            self.fatal_sef(
                "FSK-PREPAID-WITHOUT-EXTENSION",
                "UBLInvoiceExtensionNotDefined",
                format!("{mp}/cbc:PrepaidAmount"),
                "Dokument umanjuje iznos za avanse, a nema srpsku ekstenziju sa avansima (SrbDtExt).".into(),
                "The document deducts prepaid amounts but has no Serbian extension listing the advances (SrbDtExt).".into(),
            );
        }
    }
}
/// (rule, element, SEF decimals code, value, Serbian name, English name) of a mandatory total.
type TotalCheck<'s> = (
    &'static str,
    &'static str,
    &'static str,
    Option<Decimal>,
    &'s str,
    &'s str,
);
