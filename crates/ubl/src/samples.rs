//! Sample documents with fictitious companies (PIBs starting with `19`, bank code 999), for tests
//! of this and other crates (SEF sandbox and service tests, `fiskal demo`).
//!
//! All samples are valid for fiskal's validator and the official validators when built; the issue
//! date is a parameter because SEF only accepts documents issued on the day they are sent.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::builder::{AdvanceReference, DocumentBuilder, LineInput, PartyInput};
use crate::model::{Document, DocumentType, VatCategory};

/// Seller of `ubl-profile.md` §15: Primer Softver d.o.o., PIB 190000012, MB 99000011.
pub fn sample_seller() -> PartyInput {
    let mut p = PartyInput::new(
        "190000012",
        "99000011",
        "Primer Softver d.o.o.",
        "Bulevar oslobođenja 1",
        "Novi Sad",
        "21000",
    );
    p.email = Some("fakture@primer-softver.example".to_string());
    p
}

/// Buyer of §15: Kupac Trgovina d.o.o., PIB 190000029, MB 99000028.
pub fn sample_buyer() -> PartyInput {
    PartyInput::new(
        "190000029",
        "99000028",
        "Kupac Trgovina d.o.o.",
        "Knez Mihailova 10",
        "Beograd",
        "11000",
    )
}

/// A budget-user buyer (public sector): PIB 190000037, MB 99000035, JBKJS 10520.
pub fn sample_budget_buyer() -> PartyInput {
    let mut p = PartyInput::new(
        "190000037",
        "99000035",
        "Dom zdravlja Primer",
        "Trg slobode 3",
        "Kragujevac",
        "34000",
    );
    p.jbkjs = Some("10520".to_string());
    p
}

/// Seller's account of the samples (bank code 999, valid control digits).
pub const SAMPLE_ACCOUNT: &str = "999000000012345632";

fn d(s: &str) -> Decimal {
    fiskal_domain::money::dec(s)
}

/// The invoice of `ubl-profile.md` §15 (two lines, S 20 % and S 10 %), issued on `issue_date`
/// (the spec uses 2026-11-25) with delivery the day before and due date 30 days later.
pub fn spec_invoice_380(issue_date: NaiveDate) -> Document {
    let mut l1 = LineInput::new(
        "Održavanje softvera",
        d("10"),
        "HUR",
        d("2500.00"),
        VatCategory::S,
        d("20"),
    );
    l1.sellers_item_id = Some("USL-001".into());
    let mut l2 = LineInput::new(
        "Priručnik za korisnike (štampani)",
        d("3"),
        "H87",
        d("1499.99"),
        VatCategory::S,
        d("10"),
    );
    l2.sellers_item_id = Some("KNJ-017".into());
    DocumentBuilder::new(DocumentType::Invoice, "F-2026-0142", issue_date)
        .due_date(issue_date + chrono::Days::new(30))
        .delivery_date(issue_date.pred_opt().unwrap_or(issue_date))
        .note("Faktura za održavanje softvera, novembar 2026.")
        .contract_reference("UG-7/2026")
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .payment(SAMPLE_ACCOUNT, Some("(mod97) 872026000042"))
        .line(l1)
        .line(l2)
        .build()
        .expect("the §15 sample is valid input")
}

/// An invoice (380) with `lines` lines alternating S 20 % services and S 10 % goods, for
/// tests and the benchmark. `lines` = 0 is treated as 1.
pub fn sample_invoice(number: &str, issue_date: NaiveDate, lines: usize) -> Document {
    sample_invoice_builder(number, issue_date, lines)
        .build()
        .expect("the sample invoice is valid input")
}

/// The builder behind [`sample_invoice`] (to add or change things before building).
pub fn sample_invoice_builder(
    number: &str,
    issue_date: NaiveDate,
    lines: usize,
) -> DocumentBuilder {
    let mut b = DocumentBuilder::new(DocumentType::Invoice, number, issue_date)
        .due_date(issue_date + chrono::Days::new(15))
        .delivery_date(issue_date)
        .contract_reference("UG-7/2026")
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .payment(SAMPLE_ACCOUNT, Some("(mod97) 872026000042"));
    for i in 0..lines.max(1) {
        let line = if i % 2 == 0 {
            LineInput::new(
                &format!("Održavanje softvera, modul {}", i + 1),
                Decimal::from(1 + i % 7),
                "HUR",
                d("2500.00"),
                VatCategory::S,
                d("20"),
            )
        } else {
            LineInput::new(
                &format!("Priručnik {}", i + 1),
                Decimal::from(1 + i % 5),
                "H87",
                d("1499.99"),
                VatCategory::S,
                d("10"),
            )
        };
        b = b.line(line);
    }
    b
}

/// The credit note of §16: 2 hours of the §15 invoice reduced, referencing `original` issued on
/// `original_date`.
pub fn sample_credit_note(
    number: &str,
    issue_date: NaiveDate,
    original: &str,
    original_date: NaiveDate,
) -> Document {
    let mut l = LineInput::new(
        "Održavanje softvera (umanjenje)",
        d("2"),
        "HUR",
        d("2500.00"),
        VatCategory::S,
        d("20"),
    );
    l.sellers_item_id = Some("USL-001".into());
    let mut seller = sample_seller();
    seller.email = None;
    DocumentBuilder::new(DocumentType::CreditNote, number, issue_date)
        .note("Umanjenje: 2 sata održavanja nisu izvršena.")
        .billing_reference(original, original_date)
        .contract_reference("UG-7/2026")
        .delivery_date(issue_date)
        .supplier(seller)
        .buyer(sample_buyer())
        .payment(SAMPLE_ACCOUNT, None)
        .payment_terms("Iznos umanjenja se prebija sa sledećom uplatom.")
        .line(l)
        .build()
        .expect("the sample credit note is valid input")
}

/// An advance invoice (386) for 10 000.00 + 20 % VAT received on `issue_date` (§11.2 numbers).
pub fn sample_advance_invoice(number: &str, issue_date: NaiveDate) -> Document {
    DocumentBuilder::new(DocumentType::AdvanceInvoice, number, issue_date)
        .due_date(issue_date)
        .contract_reference("UG-7/2026")
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .payment(SAMPLE_ACCOUNT, None)
        .line(LineInput::new(
            "Avans za implementaciju softvera",
            d("1"),
            "H87",
            d("10000.00"),
            VatCategory::S,
            d("20"),
        ))
        .build()
        .expect("the sample advance invoice is valid input")
}

/// The final invoice (380 with `sbt:SrbDtExt`) that settles `advance` (§11.2 numbers: one line
/// 25 000.00 at S 20 %, payable 18 000.00 after a 12 000.00 advance).
pub fn sample_final_invoice(number: &str, issue_date: NaiveDate, advance: &Document) -> Document {
    let adv = AdvanceReference::from_document(advance).expect("a 386 document");
    DocumentBuilder::new(DocumentType::Invoice, number, issue_date)
        .due_date(issue_date + chrono::Days::new(15))
        .delivery_date(issue_date)
        .contract_reference("UG-7/2026")
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .payment(SAMPLE_ACCOUNT, None)
        .line(LineInput::new(
            "Implementacija softvera",
            d("1"),
            "H87",
            d("25000.00"),
            VatCategory::S,
            d("20"),
        ))
        .advance(adv)
        .build()
        .expect("the sample final invoice is valid input")
}

/// An invoice with one line per non-`S` category (AE, Z, E, R, OE, SS, N) and one `S` line, each
/// with an exemption key of its family.
pub fn sample_mixed_categories_invoice(number: &str, issue_date: NaiveDate) -> Document {
    let mut b = DocumentBuilder::new(DocumentType::Invoice, number, issue_date)
        .due_date(issue_date + chrono::Days::new(15))
        .delivery_date(issue_date)
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .payment(SAMPLE_ACCOUNT, None)
        .line(LineInput::new(
            "Konsultacije",
            d("2"),
            "HUR",
            d("3000"),
            VatCategory::S,
            d("20"),
        ));
    let cats = [
        (
            VatCategory::AE,
            "PDV-RS-10-2-1",
            "Građevinske usluge (obrnuto)",
        ),
        (VatCategory::Z, "PDV-RS-24-1-2", "Izvoz opreme"),
        (VatCategory::E, "PDV-RS-25-2-3", "Zakup stana"),
        (VatCategory::R, "PDV-RS-6-1-1", "Prenos imovine"),
        (
            VatCategory::OE,
            "PDV-RS-17-4-2",
            "Naplata u ime i za račun drugog",
        ),
        (VatCategory::SS, "PDV-RS-36-5", "Polovni automobil (marža)"),
        (VatCategory::N, "PDV-RS-N", "Ostalo"),
    ];
    for (i, (cat, key, name)) in cats.into_iter().enumerate() {
        b = b
            .line(LineInput::new(
                name,
                d("1"),
                "H87",
                Decimal::from(1000 * (i as i64 + 1)),
                cat.clone(),
                Decimal::ZERO,
            ))
            .exemption(cat, Some(key), None);
    }
    b.build()
        .expect("the mixed-categories sample is valid input")
}

/// An invoice to a budget-user buyer (JBKJS, contract number).
pub fn sample_budget_invoice(number: &str, issue_date: NaiveDate) -> Document {
    DocumentBuilder::new(DocumentType::Invoice, number, issue_date)
        .due_date(issue_date + chrono::Days::new(30))
        .delivery_date(issue_date)
        .contract_reference("404-12/2026")
        .supplier(sample_seller())
        .buyer(sample_budget_buyer())
        .payment(SAMPLE_ACCOUNT, Some("(mod97) 872026000042"))
        .line(LineInput::new(
            "Održavanje informacionog sistema",
            d("12"),
            "HUR",
            d("3200.50"),
            VatCategory::S,
            d("20"),
        ))
        .build()
        .expect("the budget sample is valid input")
}

/// A debit note (383) increasing the §15 invoice.
pub fn sample_debit_note(
    number: &str,
    issue_date: NaiveDate,
    original: &str,
    original_date: NaiveDate,
) -> Document {
    DocumentBuilder::new(DocumentType::DebitNote, number, issue_date)
        .due_date(issue_date + chrono::Days::new(15))
        .delivery_date(issue_date)
        .billing_reference(original, original_date)
        .supplier(sample_seller())
        .buyer(sample_buyer())
        .payment(SAMPLE_ACCOUNT, None)
        .line(LineInput::new(
            "Dodatni sati održavanja",
            d("1.5"),
            "HUR",
            d("2500.00"),
            VatCategory::S,
            d("20"),
        ))
        .build()
        .expect("the debit-note sample is valid input")
}
