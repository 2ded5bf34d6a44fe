//! Payment means: code, the seller's account, the payment reference (model 97).

use super::V;
use crate::ids;
use crate::model::*;

impl<'a> V<'a> {
    pub(super) fn payment(&mut self) {
        let d = self.doc;
        if d.payment_means.is_empty() {
            self.fatal_sef(
                "FSK-PAYMENT-MEANS",
                "UBLPaymentMeansNotDefined",
                self.p("cac:PaymentMeans"),
                "Nedostaje način plaćanja (šifra 30 i tekući račun prodavca).".into(),
                "Payment means are missing (code 30 and the seller's account).".into(),
            );
        }
        for (i, pm) in d.payment_means.iter().enumerate() {
            let base = self.p(&format!("cac:PaymentMeans[{}]", i + 1));
            let code = pm.code.as_deref().map(str::trim);
            match code {
                None | Some("") => self.fatal_sef(
                    "BR-49",
                    "UBLPaymentMeansCodeNotDefined",
                    format!("{base}/cbc:PaymentMeansCode"),
                    "Nedostaje šifra načina plaćanja (30 = prenos na račun).".into(),
                    "The payment means type code (BT-81) is missing (30 = credit transfer).".into(),
                ),
                Some("30") => {}
                Some(c) => self.warn(
                    "FSK-PAYMENT-CODE",
                    format!("{base}/cbc:PaymentMeansCode"),
                    format!("Šifra načina plaćanja je '{c}'; SEF očekuje 30 (prenos na račun)."),
                    format!("The payment means code is '{c}'; SEF expects 30 (credit transfer)."),
                ),
            }
            let acc_path = format!("{base}/cac:PayeeFinancialAccount/cbc:ID");
            match pm.payee_account.as_deref().map(str::trim) {
                None | Some("") if matches!(code, Some("30") | Some("58")) => self.fatal_sef(
                    "BR-61",
                    "UBLPayeeFinancialAccountIdNotDefined",
                    acc_path,
                    "Kod plaćanja prenosom na račun mora se navesti tekući račun prodavca.".into(),
                    "With credit transfer the payee's account identifier (BT-84) is mandatory.".into(),
                ),
                Some(a) if !ids::bank_account_valid(a) => self.fatal_sef(
                    "FSK-ACCOUNT",
                    "BankAccountIncorrect",
                    acc_path,
                    format!(
                        "Tekući račun '{a}' nije ispravan: mora imati 18 cifara bez crtica (šifra banke, broj računa, kontrolni broj) i ispravan kontrolni broj."
                    ),
                    format!(
                        "Account '{a}' is not valid: it must be 18 digits without dashes (bank, account, control digits) with correct control digits."
                    ),
                ),
                _ => {}
            }
            if let Some(pid) = pm.payment_id.as_deref()
                && !ids::payment_id_valid(pid)
            {
                self.fatal_sef(
                    "FSK-PAYMENT-ID",
                    "UBLReferenceAndModelNumberFormatNotValid",
                    format!("{base}/cbc:PaymentID"),
                    format!(
                        "Poziv na broj '{pid}' nije ispravan; piše se kao (mod97) 872026000042, a kod modela 97 kontrolni broj mora da odgovara."
                    ),
                    format!(
                        "Payment reference '{pid}' is not valid; write it as (mod97) 872026000042, with correct control digits for model 97."
                    ),
                );
            }
            if d.root == Root::Invoice && pm.due_date.is_some() {
                self.warn(
                    "FSK-PAYMENT-DUE-DATE",
                    format!("{base}/cbc:PaymentDueDate"),
                    "U fakturi se datum dospeća piše u elementu DueDate, ne u PaymentMeans.".into(),
                    "In an Invoice the due date belongs in cbc:DueDate, not in PaymentMeans."
                        .into(),
                );
            }
        }
    }
}
