//! The cashier's sentence for every codebook rule the ESIR checks ([`RuleViolation`]).

use fiskal_domain::money::format_money;

use super::{Lang, item_no, kind_name, pick};
use crate::rules::RuleViolation;

impl RuleViolation {
    /// The violation as a sentence for the cashier.
    pub fn message(&self, lang: Lang) -> String {
        use RuleViolation as R;
        // Every variant is assigned to the group that words it (the compiler checks this).
        let text = match self {
            R::BuyerIdRequired { .. }
            | R::BuyerId { .. }
            | R::JmbgOnCashRefund { .. }
            | R::CostCenter { .. }
            | R::CorporateCardNeedsVoucher { .. }
            | R::UnknownItemPrefix { .. }
            | R::PrefixLabel { .. }
            | R::AdvanceItemOnNormal { .. }
            | R::NonAdvanceItemOnAdvance { .. }
            | R::AdvanceQuantity { .. } => self.buyer_and_item_message(lang),
            R::VoucherRatesMixed { .. }
            | R::UnknownTaxLabel { .. }
            | R::NoTaxRates { .. }
            | R::NoItems { .. }
            | R::NoPayments { .. }
            | R::PaymentBelowTotal { .. }
            | R::EsirNumberMissing { .. } => self.tax_and_payment_message(lang),
            R::ReferenceRequired { .. }
            | R::ReferenceTimeRequired { .. }
            | R::ReferenceFormat { .. }
            | R::ReferenceTimeWithoutNumber { .. }
            | R::ReferenceTimeMismatch { .. }
            | R::WrongReferencedKind { .. }
            | R::AdvanceNotClosed { .. } => self.reference_message(lang),
            R::IssueTimeNotAllowed { .. }
            | R::IssueTimeNeedsWire { .. }
            | R::IssueTimeNotBeforeToday { .. }
            | R::CannotRefund { .. }
            | R::CannotCopy { .. }
            | R::CannotCancel { .. }
            | R::NotAnAdvanceChain { .. }
            | R::NothingToClose { .. }
            | R::PaymentsNeeded { .. }
            | R::ItemsNeeded { .. }
            | R::NumberMismatch { .. } => self.time_and_chain_message(lang),
        };
        text.unwrap_or_else(|| format!("{self:?}"))
    }

    /// Buyer and item rules.
    fn buyer_and_item_message(&self, lang: Lang) -> Option<String> {
        use RuleViolation as R;
        let text = match self {
            R::BuyerIdRequired { kind } => pick(
                lang,
                format!(
                    "{} sa gotovinskim povraćajem mora da ima ID kupca (npr. broj lične karte 20:…, ili PIB 10:…).",
                    kind_name(*kind, lang)
                ),
                format!(
                    "A {} paid out in cash needs a buyer ID (e.g. ID card 20:…, or PIB 10:…).",
                    kind_name(*kind, lang)
                ),
            ),
            R::BuyerId { error, .. } => pick(lang, error.message_sr(), error.message_en()),
            R::JmbgOnCashRefund { value } => pick(
                lang,
                format!(
                    "JMBG ({value}) se ne koristi kod povraćaja gotovine; unesite broj lične karte ili drugog ličnog dokumenta."
                ),
                format!(
                    "A JMBG ({value}) is not used for a cash refund; enter the number of an ID card or another identity document."
                ),
            ),
            R::CostCenter { error, .. } => pick(lang, error.message_sr(), error.message_en()),
            R::CorporateCardNeedsVoucher => pick(
                lang,
                "Uz korporativnu karticu (opciono polje 50:) svako plaćanje mora biti vaučer.",
                "With a corporate card (optional field 50:) every payment must be a voucher.",
            ),
            R::UnknownItemPrefix { item, prefix } => pick(
                lang,
                format!(
                    "Stavka {}: oznaka {prefix}: na početku naziva ne postoji u šifarniku (dozvoljeno: 00, 10–13, 20–23, 30–32).",
                    item_no(*item)
                ),
                format!(
                    "Item {}: the prefix {prefix}: at the start of the name is not in the codebook (allowed: 00, 10–13, 20–23, 30–32).",
                    item_no(*item)
                ),
            ),
            R::PrefixLabel { item, prefix } => {
                let l = prefix.required_label().unwrap_or('?');
                pick(
                    lang,
                    format!(
                        "Stavka {}: stavka sa oznakom {:02}: mora da ima samo poresku oznaku {l}.",
                        item_no(*item),
                        prefix.code()
                    ),
                    format!(
                        "Item {}: an item with prefix {:02}: must carry only the tax label {l}.",
                        item_no(*item),
                        prefix.code()
                    ),
                )
            }
            R::AdvanceItemOnNormal { item } => pick(
                lang,
                format!(
                    "Stavka {}: avansna stavka (10:–13:) ne može biti na računu Promet; izdajte račun Avans.",
                    item_no(*item)
                ),
                format!(
                    "Item {}: an advance item (10:–13:) cannot be on a Normal document; issue an Advance document.",
                    item_no(*item)
                ),
            ),
            R::NonAdvanceItemOnAdvance { item } => pick(
                lang,
                format!(
                    "Stavka {}: na računu Avans sve stavke moraju biti avansne (npr. „10: Аванс” sa oznakom Ђ).",
                    item_no(*item)
                ),
                format!(
                    "Item {}: on an Advance document every item must be an advance item (e.g. \"10: Аванс\" with label Ђ).",
                    item_no(*item)
                ),
            ),
            R::AdvanceQuantity { item } => pick(
                lang,
                format!(
                    "Stavka {}: avansna stavka mora imati količinu 1, a cenu jednaku iznosu avansa.",
                    item_no(*item)
                ),
                format!(
                    "Item {}: an advance item must have quantity 1 and the advance amount as its price.",
                    item_no(*item)
                ),
            ),
            _ => return None,
        };
        Some(text)
    }

    /// Tax, payment and ESIR rules.
    fn tax_and_payment_message(&self, lang: Lang) -> Option<String> {
        use RuleViolation as R;
        let text = match self {
            R::VoucherRatesMixed => pick(
                lang,
                "Na jednom računu mogu biti samo jednonamenski vaučeri iste poreske stope.",
                "One receipt may carry single-purpose vouchers of one tax rate only.",
            ),
            R::UnknownTaxLabel {
                item,
                label,
                group_id,
            } => pick(
                lang,
                format!(
                    "Stavka {}: poreska oznaka „{label}” ne postoji u važećim poreskim stopama PFR-a (grupa {group_id}).",
                    item_no(*item)
                ),
                format!(
                    "Item {}: the tax label \"{label}\" does not exist in the PFR's tax rates in force (group {group_id}).",
                    item_no(*item)
                ),
            ),
            R::NoTaxRates => pick(
                lang,
                "PFR nema važeće poreske stope; dokument ne može da se izda.",
                "The PFR has no tax rates in force; no document can be issued.",
            ),
            R::NoItems => pick(
                lang,
                "Dokument nema nijednu stavku.",
                "The document has no items.",
            ),
            R::NoPayments => pick(
                lang,
                "Dokument nema nijedno plaćanje.",
                "The document has no payment.",
            ),
            R::PaymentBelowTotal { due, paid } => pick(
                lang,
                format!(
                    "Plaćeno je {}, a za uplatu je {}.",
                    format_money(*paid),
                    format_money(*due)
                ),
                format!(
                    "{} is paid but {} is due.",
                    format_money(*paid),
                    format_money(*due)
                ),
            ),
            R::EsirNumberMissing => pick(
                lang,
                "Nedostaje ESIR broj (--esir-number), obavezan na svakom računu.",
                "The ESIR number (--esir-number) is missing; every receipt must carry it.",
            ),
            _ => return None,
        };
        Some(text)
    }

    /// Rules of referenced documents.
    fn reference_message(&self, lang: Lang) -> Option<String> {
        use RuleViolation as R;
        let text = match self {
            R::ReferenceRequired { kind } => pick(
                lang,
                format!(
                    "{} mora da ima referentni broj (PFR broj računa na koji se odnosi, --ref).",
                    kind_name(*kind, lang)
                ),
                format!(
                    "A {} needs a reference number (the PFR number of the receipt it refers to, --ref).",
                    kind_name(*kind, lang)
                ),
            ),
            R::ReferenceTimeRequired { kind } => pick(
                lang,
                format!(
                    "{} mora da ima referentno vreme (PFR vreme računa na koji se odnosi, --ref-time ili --url).",
                    kind_name(*kind, lang)
                ),
                format!(
                    "A {} needs a reference time (the PFR time of the receipt it refers to, --ref-time or --url).",
                    kind_name(*kind, lang)
                ),
            ),
            R::ReferenceFormat { value } => pick(
                lang,
                format!("Referentni broj „{value}” nije u obliku XXXXXXXX-XXXXXXXX-123."),
                format!(
                    "The reference number \"{value}\" is not of the form XXXXXXXX-XXXXXXXX-123."
                ),
            ),
            R::ReferenceTimeWithoutNumber => pick(
                lang,
                "Referentno vreme može da se zada samo uz referentni broj.",
                "A reference time can only be given together with a reference number.",
            ),
            R::ReferenceTimeMismatch { number } => pick(
                lang,
                format!(
                    "Referentno vreme se ne slaže sa PFR vremenom dokumenta {number} iz lokalne evidencije."
                ),
                format!(
                    "The reference time does not match the PFR time of document {number} in the local store."
                ),
            ),
            R::WrongReferencedKind {
                kind,
                number,
                found,
            } => pick(
                lang,
                format!(
                    "{} ne može da se odnosi na dokument {number}, koji je {}.",
                    kind_name(*kind, lang),
                    kind_name(*found, lang)
                ),
                format!(
                    "A {} cannot refer to document {number}, which is a {}.",
                    kind_name(*kind, lang),
                    kind_name(*found, lang)
                ),
            ),
            R::AdvanceNotClosed { number } => pick(
                lang,
                format!(
                    "Račun Promet prodaja ne može da se odnosi direktno na avansni račun {number}; \
                         prvo zatvorite avanse računom Avans refundacija (`fiskal esir advance close`)."
                ),
                format!(
                    "A Normal Sale cannot refer directly to the advance receipt {number}; first close the advances \
                         with an Advance Refund (`fiskal esir advance close`)."
                ),
            ),
            _ => return None,
        };
        Some(text)
    }

    /// Issue-time, refund/copy/cancel and advance-chain rules.
    fn time_and_chain_message(&self, lang: Lang) -> Option<String> {
        use RuleViolation as R;
        let text = match self {
            R::IssueTimeNotAllowed { kind } => pick(
                lang,
                format!(
                    "ESIR vreme se zadaje samo na računu Avans prodaja plaćenom prenosom pre dana izdavanja, a ne na računu {}.",
                    kind_name(*kind, lang)
                ),
                format!(
                    "The ESIR time is only given on an Advance Sale paid by wire before the day of issue, not on a {}.",
                    kind_name(*kind, lang)
                ),
            ),
            R::IssueTimeNeedsWire => pick(
                lang,
                "ESIR vreme se zadaje samo kad je avans plaćen prenosom na račun.",
                "The ESIR time is only given when the advance was paid by wire transfer.",
            ),
            R::IssueTimeNotBeforeToday => pick(
                lang,
                "ESIR vreme (datum uplate) mora biti pre današnjeg dana.",
                "The ESIR time (date of payment) must be before today.",
            ),
            R::CannotRefund { kind } => pick(
                lang,
                format!(
                    "Dokument vrste {} ne može da se refundira.",
                    kind_name(*kind, lang)
                ),
                format!("A {} cannot be refunded.", kind_name(*kind, lang)),
            ),
            R::CannotCopy { kind } => pick(
                lang,
                format!(
                    "Kopija se izdaje samo za račune Promet i Avans, a ne za {}.",
                    kind_name(*kind, lang)
                ),
                format!(
                    "A copy is only issued of Normal and Advance receipts, not of a {}.",
                    kind_name(*kind, lang)
                ),
            ),
            R::CannotCancel { kind } => pick(
                lang,
                format!(
                    "Poništavaju se samo računi Promet i Avans, a ne {}.",
                    kind_name(*kind, lang)
                ),
                format!(
                    "Only Normal and Advance receipts can be cancelled, not a {}.",
                    kind_name(*kind, lang)
                ),
            ),
            R::NotAnAdvanceChain { number } => pick(
                lang,
                format!("Dokument {number} nije deo niza avansnih računa u lokalnoj evidenciji."),
                format!("Document {number} is not part of an advance chain in the local store."),
            ),
            R::NothingToClose { number } => pick(
                lang,
                format!("U nizu avansa dokumenta {number} nema preostalog avansa za zatvaranje."),
                format!("The advance chain of document {number} has no advance left to close."),
            ),
            R::PaymentsNeeded => pick(
                lang,
                "Zadajte način povraćaja novca (--pay), jer originalni račun nije u lokalnoj evidenciji.",
                "Give how the money is returned (--pay), because the original receipt is not in the local store.",
            ),
            R::ItemsNeeded => pick(
                lang,
                "Zadajte stavke koje se refundiraju (--item), jer originalni račun nije u lokalnoj evidenciji.",
                "Give the items being refunded (--item), because the original receipt is not in the local store.",
            ),
            R::NumberMismatch { given, in_url } => pick(
                lang,
                format!("Broj {given} se ne slaže sa brojem {in_url} iz URL-a za proveru."),
                format!(
                    "The number {given} does not match the number {in_url} in the verification URL."
                ),
            ),
            _ => return None,
        };
        Some(text)
    }
}
