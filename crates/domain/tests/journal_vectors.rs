//! Journal text against the spec's vectors (receipt.md §5, test-vectors.json) and its layout rules.

use chrono::{DateTime, Utc};
use fiskal_domain::Decimal;
use fiskal_domain::api::{InvoiceOptions, InvoiceRequest, Item, Payment};
use fiskal_domain::journal::{
    AdvanceSettlement, JournalInput, copy_refund_signature_block, render, split_for_print,
};
use fiskal_domain::kinds::{InvoiceType, PaymentType, TransactionType};
use fiskal_domain::money::dec;
use fiskal_domain::seller::Seller;
use fiskal_domain::tax::{CategoryType, TaxItem, TaxRateGroup, compute_taxes};
use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/test-vectors.json"
));

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("test-vectors.json parses")
}

fn sdc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn tax(label: &str, name: &str, rate: &str, amount: &str) -> TaxItem {
    TaxItem {
        category_type: CategoryType::TaxOnNet,
        label: label.into(),
        amount: dec(amount),
        rate: dec(rate),
        category_name: name.into(),
        order_id: 0,
    }
}

fn lines(j: &str) -> Vec<&str> {
    assert!(j.ends_with("\r\n"), "journal must end with CR LF");
    let body = &j[..j.len() - 2];
    body.split("\r\n").collect()
}

/// Checks the layout invariants: CR LF after every line, no stray CR/LF/tab, every line at most 40
/// characters, and exactly 40 except the seller lines (the `seller_lines` lines after the title)
/// and the literal `Артикли`.
fn assert_layout(j: &str, seller_lines: usize) {
    assert!(!j.contains('\t'));
    assert_eq!(
        j.matches('\n').count(),
        j.matches("\r\n").count(),
        "bare LF"
    );
    assert_eq!(
        j.matches('\r').count(),
        j.matches("\r\n").count(),
        "bare CR"
    );
    for (i, l) in lines(j).iter().enumerate() {
        let w = l.chars().count();
        assert!(w <= 40, "line {i} is {w} wide: {l:?}");
        if !(1..=seller_lines).contains(&i) && *l != "Артикли" {
            assert_eq!(w, 40, "line {i} is {w} wide: {l:?}\n{j}");
        }
    }
}

fn seller() -> Seller {
    Seller::seed_example()
}

fn request(
    invoice_type: InvoiceType,
    transaction_type: TransactionType,
    items: Vec<Item>,
    payment: Vec<Payment>,
) -> InvoiceRequest {
    InvoiceRequest {
        date_and_time_of_issue: None,
        cashier: Some("1".into()),
        buyer_id: None,
        buyer_cost_center_id: None,
        invoice_type,
        transaction_type,
        payment,
        invoice_number: None,
        referent_document_number: None,
        referent_document_dt: None,
        options: InvoiceOptions::default(),
        items,
    }
}

fn item(name: &str, quantity: &str, unit_price: &str, labels: &[&str]) -> Item {
    let q = dec(quantity);
    let p = dec(unit_price);
    Item {
        gtin: None,
        name: name.into(),
        quantity: q,
        unit_price: p,
        labels: labels.iter().map(|s| s.to_string()).collect(),
        total_amount: fiskal_domain::money::round2(q * p),
    }
}

fn pay(amount: &str, t: PaymentType) -> Payment {
    Payment {
        amount: dec(amount),
        payment_type: t,
    }
}

/// Renders with taxes computed by the default Serbian group.
fn render_simple(req: &InvoiceRequest, advance: Option<AdvanceSettlement>) -> String {
    let group = TaxRateGroup::serbian_default();
    let lines: Vec<(Decimal, Decimal, Vec<char>)> = req
        .items
        .iter()
        .map(|i| {
            (
                i.total_amount,
                i.quantity,
                i.labels.iter().filter_map(|l| l.chars().next()).collect(),
            )
        })
        .collect();
    let taxes = compute_taxes(&group, &lines).unwrap();
    let s = seller();
    render(&JournalInput {
        seller: &s,
        request: req,
        tax_items: &taxes,
        total_amount: req.total(),
        sdc_time: sdc("2021-07-14T15:50:23.000+02:00"),
        invoice_number: "YTSS6KKG-HJHR9EO0-289",
        invoice_counter: "278/289ПП",
        advance,
    })
}

#[test]
fn real_sandbox_journal_byte_for_byte() {
    let v = vectors();
    let expected = v["realJournals"][0]["journal"].as_str().unwrap();
    let result = &v["realInvoiceResults"][0]["result"];
    assert_eq!(result["journal"].as_str().unwrap(), expected);
    let body = br#"{
        "dateAndTimeOfIssue": "2020-12-08T08:55:23.286Z",
        "cashier": "123456789",
        "buyerId": "RS34564565",
        "buyerCostCenterId": "567546",
        "invoiceType": 0,
        "transactionType": 0,
        "payment": [ { "amount": 68.46, "paymentType": 1 } ],
        "invoiceNumber": "POS2017/998",
        "items": [ { "name": "Sport-100 Helmet, Blue", "quantity": 2, "unitPrice": 34.23,
                     "labels": [ "A" ], "totalAmount": 68.46 } ]
    }"#;
    let req = InvoiceRequest::from_json(body).unwrap();
    let seller = Seller {
        tin: "RS111911206".into(),
        business_name: "NAVIPARTNER".into(),
        location_name: "NAVIPARTNER".into(),
        address: "ХЕРОЈА МИЛАНА ТЕПИЋА 13".into(),
        district: "Београд".into(),
    };
    let taxes = [tax("A", "VAT", "9", "5.6527")];
    let j = render(&JournalInput {
        seller: &seller,
        request: &req,
        tax_items: &taxes,
        total_amount: dec("68.46"),
        sdc_time: sdc(result["sdcDateTime"].as_str().unwrap()),
        invoice_number: result["invoiceNumber"].as_str().unwrap(),
        invoice_counter: result["invoiceCounter"].as_str().unwrap(),
        advance: None,
    });
    assert_eq!(j, expected);
    assert_eq!(
        hex(&Sha256::digest(j.as_bytes())),
        v["realJournals"][0]["sha256"].as_str().unwrap()
    );
    assert_eq!(
        lines(&j).len() as u64,
        v["realJournals"][0]["lines"].as_u64().unwrap()
    );
    assert_layout(&j, 5);
}

#[test]
fn pivo_lav_journal_byte_for_byte() {
    let v = vectors();
    let ex = &v["computedExamples"]["pivoLav"];
    let req = InvoiceRequest::from_value(&ex["request"]).unwrap();
    let t = &ex["expected"]["taxItems"][0];
    let taxes = [tax(
        t["label"].as_str().unwrap(),
        t["categoryName"].as_str().unwrap(),
        t["rate"].as_str().unwrap(),
        t["amount"].as_str().unwrap(),
    )];
    let s = seller();
    let j = render(&JournalInput {
        seller: &s,
        request: &req,
        tax_items: &taxes,
        total_amount: dec(ex["expected"]["totalAmount"].as_str().unwrap()),
        sdc_time: sdc(ex["expected"]["sdcDateTime"].as_str().unwrap()),
        invoice_number: ex["expected"]["invoiceNumber"].as_str().unwrap(),
        invoice_counter: ex["expected"]["invoiceCounter"].as_str().unwrap(),
        advance: None,
    });
    assert_eq!(j, ex["journal"].as_str().unwrap());
    assert_eq!(
        hex(&Sha256::digest(j.as_bytes())),
        ex["journalSha256"].as_str().unwrap()
    );
    assert_layout(&j, 5);
    // The same journal with taxes from the tax engine.
    assert_eq!(render_simple(&req, None), j);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn refund_prints_negative_item_totals_and_total_refund() {
    let mut req = request(
        InvoiceType::Normal,
        TransactionType::Refund,
        vec![item("Фрижидер/ком", "1", "7000", &["Ђ"])],
        vec![pay("7000", PaymentType::Cash)],
    );
    req.buyer_id = Some("20:0023456".into());
    req.referent_document_number = Some("YTSS6KKG-HJHR9EO0-156".into());
    req.referent_document_dt =
        Some(DateTime::parse_from_rfc3339("2021-07-14T13:21:15.000Z").unwrap());
    let j = render_simple(&req, None);
    let l = lines(&j);
    assert!(
        l.contains(&"-----------ПРОМЕТ РЕФУНДАЦИЈА-----------"),
        "{j}"
    );
    assert!(
        l.contains(&"     7.000,00          1       -7.000,00"),
        "{j}"
    );
    assert!(
        l.contains(&"Укупна рефундација:             7.000,00"),
        "{j}"
    );
    assert!(!j.contains("Укупан износ:"));
    assert!(
        l.contains(&"Реф. број:         YTSS6KKG-HJHR9EO0-156"),
        "{j}"
    );
    // Reference time in Belgrade time (UTC+2 in July).
    assert!(
        l.contains(&"Реф. време:         14.07.2021. 15:21:15"),
        "{j}"
    );
    assert!(
        l.contains(&"Ђ           О-ПДВ   20,00%      1.166,67"),
        "{j}"
    );
    assert!(!j.contains("Повраћај"), "no change on refunds");
    assert_eq!(l[0], "============ ФИСКАЛНИ РАЧУН ============");
    assert_eq!(
        *l.last().unwrap(),
        "======== КРАЈ ФИСКАЛНОГ РАЧУНА ========="
    );
    assert_layout(&j, 5);
}

#[test]
fn non_fiscal_documents_carry_the_notice_three_times() {
    for (it, type_line) in [
        (
            InvoiceType::ProForma,
            "-----------ПРЕДРАЧУН ПРОДАЈА------------",
        ),
        (
            InvoiceType::Copy,
            "-------------КОПИЈА ПРОДАЈА-------------",
        ),
        (
            InvoiceType::Training,
            "-------------ОБУКА ПРОДАЈА--------------",
        ),
    ] {
        let req = request(
            it,
            TransactionType::Sale,
            vec![item("Pivo Lav/л", "2", "82", &["Ђ"])],
            vec![pay("164", PaymentType::Other)],
        );
        let j = render_simple(&req, None);
        let l = lines(&j);
        let frame = "======== ОВО НИЈЕ ФИСКАЛНИ РАЧУН =======";
        assert_eq!(l[0], frame);
        assert_eq!(*l.last().unwrap(), frame);
        assert!(l.contains(&type_line), "{j}");
        let notice = l
            .iter()
            .position(|x| *x == "        ОВО НИЈЕ ФИСКАЛНИ РАЧУН         ")
            .expect("centred notice");
        assert_eq!(l[notice - 1], "=".repeat(40));
        assert_eq!(l[notice - 2], "Друго безготовинско плаћање:      164,00");
        assert_eq!(l[notice + 1], "=".repeat(40));
        assert_eq!(l[notice + 2], "Ознака       Име      Стопа        Порез");
        assert!(!j.contains("============ ФИСКАЛНИ РАЧУН ============") && !j.contains("КРАЈ"));
        assert_layout(&j, 5);
    }
    // Fiscal documents have no notice.
    let req = request(
        InvoiceType::Advance,
        TransactionType::Sale,
        vec![item("10: Аванс", "1", "3000", &["Ђ"])],
        vec![pay("3000", PaymentType::Card)],
    );
    let j = render_simple(&req, None);
    assert!(!j.contains("ОВО НИЈЕ"));
    assert!(j.contains("-------------АВАНС ПРОДАЈА--------------\r\n"));
}

#[test]
fn long_item_names_are_word_wrapped_and_padded() {
    let name = "Kafa espreso sa toplim mlekom i dodatkom šlaga/kom";
    let req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item(name, "1.5", "200", &["Ђ"])],
        vec![pay("300", PaymentType::Cash)],
    );
    let j = render_simple(&req, None);
    let l = lines(&j);
    let a = l.iter().position(|x| x.starts_with("Kafa")).unwrap();
    assert_eq!(l[a], "Kafa espreso sa toplim mlekom i dodatkom");
    assert_eq!(l[a + 1], format!("{:<40}", "šlaga/kom (Ђ)"));
    assert_eq!(l[a + 2], "       200,00        1,5          300,00");
    // A word longer than the line is cut hard.
    let long = "X".repeat(45);
    let req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item(&long, "1", "1", &["Ђ"])],
        vec![pay("1", PaymentType::Cash)],
    );
    let j = render_simple(&req, None);
    assert!(
        j.contains(&format!("{}\r\n{:<40}\r\n", "X".repeat(40), "XXXXX (Ђ)")),
        "{j}"
    );
    assert_layout(&j, 5);
}

#[test]
fn the_real_wrap_moves_the_labels_alone() {
    // 36 characters of name + " (Ђ)" make exactly 40: one line.
    let name36 = format!("{}/kg", "A".repeat(33));
    let req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item(&name36, "1", "1", &["Ђ"])],
        vec![pay("1", PaymentType::Cash)],
    );
    let j = render_simple(&req, None);
    assert!(
        j.contains(&format!("\r\n{name36} (Ђ)\r\n         1,00")),
        "{j}"
    );
    // 37 characters push "(Ђ)" alone onto the next line.
    let name37 = format!("{}/kg", "A".repeat(34));
    let req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item(&name37, "1", "1", &["Ђ"])],
        vec![pay("1", PaymentType::Cash)],
    );
    let j = render_simple(&req, None);
    assert!(
        j.contains(&format!("\r\n{:<40}\r\n{:<40}\r\n", name37, "(Ђ)")),
        "{j}"
    );
    assert_layout(&j, 5);
}

#[test]
fn long_lr_values_go_to_the_next_line() {
    let mut req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item("Hleb/kom", "1", "60", &["Е"])],
        vec![pay("60", PaymentType::Cash)],
    );
    req.cashier = Some("Petar Petrović, smena B, kasa 3, TC Ušće".into());
    req.buyer_cost_center_id = Some(format!("50:{}", "6".repeat(46)));
    let j = render_simple(&req, None);
    let l = lines(&j);
    let c = l.iter().position(|x| x.starts_with("Касир:")).unwrap();
    assert_eq!(l[c], format!("{:<40}", "Касир:"));
    assert_eq!(
        l[c + 1],
        format!("{:>40}", "Petar Petrović, smena B, kasa 3, TC Ušće")
    );
    let o = l
        .iter()
        .position(|x| x.starts_with("Опционо поље купца:"))
        .unwrap();
    assert_eq!(l[o], format!("{:<40}", "Опционо поље купца:"));
    assert_eq!(l[o + 1], format!("50:{}", "6".repeat(37)));
    assert_eq!(l[o + 2], format!("{:>40}", "666666666"));
    // A 24-character PFR number beside "ПФР број рачуна:" (16 + 1 + 24 = 41) wraps.
    let s = seller();
    let taxes = compute_taxes(
        &TaxRateGroup::serbian_default(),
        &[(dec("60"), dec("1"), vec!['Е'])],
    )
    .unwrap();
    let j = render(&JournalInput {
        seller: &s,
        request: &req,
        tax_items: &taxes,
        total_amount: dec("60"),
        sdc_time: sdc("2023-06-06T13:21:15.504+02:00"),
        invoice_number: "YJLQTEQR-YJLQTEQR-113890",
        invoice_counter: "86520/113890ПП",
        advance: None,
    });
    assert!(
        j.contains(&format!(
            "{:<40}\r\n{:>40}\r\n",
            "ПФР број рачуна:", "YJLQTEQR-YJLQTEQR-113890"
        )),
        "{j}"
    );
    assert!(
        j.contains("Е           П-ПДВ   10,00%          5,45\r\n"),
        "{j}"
    );
    assert_layout(&j, 5);
}

#[test]
fn change_line_when_payments_exceed_the_total() {
    let req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item("Pivo Lav/л", "2", "82", &["Ђ"])],
        vec![pay("100", PaymentType::Card), pay("100", PaymentType::Cash)],
    );
    let j = render_simple(&req, None);
    assert!(j.contains(
        "Укупан износ:                     164,00\r\nПлатна картица:                   100,00\r\nГотовина:                         100,00\r\nПовраћај:                          36,00\r\n========================================\r\n"
    ), "{j}");
    let exact = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item("Pivo Lav/л", "2", "82", &["Ђ"])],
        vec![pay("164", PaymentType::Cash)],
    );
    assert!(!render_simple(&exact, None).contains("Повраћај"));
    assert_layout(&j, 5);
}

#[test]
fn advance_settlement_lines_follow_the_payments() {
    let mut req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item("Ормар/ком", "1", "10000", &["Ђ"])],
        vec![pay("7000", PaymentType::WireTransfer)],
    );
    req.referent_document_number = Some("YTSS6KKG-HJHR9EO0-300".into());
    let adv = AdvanceSettlement {
        paid_by_advance: dec("3000"),
        advance_tax: dec("500.0000"),
    };
    let j = render_simple(&req, Some(adv));
    assert!(j.contains(
        "Укупан износ:                  10.000,00\r\nПренос на рачун:                7.000,00\r\nПлаћено авансом:                3.000,00\r\nПДВ на аванс:                     500,00\r\nПреостало за плаћање:           7.000,00\r\n========================================\r\n"
    ), "{j}");
    assert!(
        !j.contains("Повраћај"),
        "payments equal the remaining amount: {j}"
    );
    // Cash beyond the remaining amount gives change.
    req.payment = vec![pay("7500", PaymentType::Cash)];
    let j = render_simple(&req, Some(adv));
    assert!(j.contains("Преостало за плаћање:           7.000,00\r\nПовраћај:                         500,00\r\n"), "{j}");
    assert_layout(&j, 5);
}

#[test]
fn multi_label_items_list_every_label() {
    let req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item("Пакет/ком", "1", "1000", &["Ђ", "Е"])],
        vec![pay("1000", PaymentType::Cash)],
    );
    let j = render_simple(&req, None);
    assert!(
        j.contains(&format!("{:<40}\r\n", "Пакет/ком (Ђ, Е)")),
        "{j}"
    );
    assert!(j.contains("\r\nЂ           О-ПДВ   20,00%"), "{j}");
    assert!(j.contains("\r\nЕ           П-ПДВ   10,00%"), "{j}");
    assert_layout(&j, 5);
}

#[test]
fn tax_total_is_the_rounded_sum_of_four_decimal_amounts() {
    // 0.0049 + 0.0049 = 0.0098 → 0,01, while each line shows 0,00.
    let taxes = [
        tax("Ђ", "О-ПДВ", "20", "0.0049"),
        tax("Е", "П-ПДВ", "10", "0.0049"),
    ];
    let req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item("X", "1", "0.05", &["Ђ", "Е"])],
        vec![pay("0.05", PaymentType::Cash)],
    );
    let s = seller();
    let j = render(&JournalInput {
        seller: &s,
        request: &req,
        tax_items: &taxes,
        total_amount: dec("0.05"),
        sdc_time: sdc("2021-07-14T15:50:23.000+02:00"),
        invoice_number: "YTSS6KKG-HJHR9EO0-289",
        invoice_counter: "278/289ПП",
        advance: None,
    });
    assert!(
        j.contains("Ђ           О-ПДВ   20,00%          0,00\r\n"),
        "{j}"
    );
    assert!(
        j.contains("Укупан износ пореза:                0,01\r\n"),
        "{j}"
    );
}

#[test]
fn amount_per_quantity_taxes_show_an_amount() {
    let mut t = tax("Н", "Акциза", "12.5", "25.0000");
    t.category_type = CategoryType::AmountPerQuantity;
    let req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item("Гориво/л", "2", "180", &["Н"])],
        vec![pay("360", PaymentType::Card)],
    );
    let s = seller();
    let j = render(&JournalInput {
        seller: &s,
        request: &req,
        tax_items: &[t],
        total_amount: dec("360"),
        sdc_time: sdc("2021-07-14T15:50:23.000+02:00"),
        invoice_number: "YTSS6KKG-HJHR9EO0-289",
        invoice_counter: "278/289ПП",
        advance: None,
    });
    assert!(
        j.contains("Н          Акциза    12,50         25,00\r\n"),
        "{j}"
    );
    assert_layout(&j, 5);
}

#[test]
fn oversized_values_fall_back_to_extra_lines() {
    let req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item("Зграда/ком", "1.5", "1234567890123.45", &["Ђ"])],
        vec![pay("1851851835185.18", PaymentType::WireTransfer)],
    );
    let j = render_simple(&req, None);
    assert!(
        j.contains(&format!(
            "{:<29}{:>11}\r\n{:>40}\r\n",
            "1.234.567.890.123,45", "1,5", "1.851.851.835.185,18"
        )),
        "{j}"
    );
    assert_layout(&j, 5);
}

#[test]
fn signature_block_and_print_split() {
    let sig = copy_refund_signature_block();
    assert_eq!(
        sig,
        format!("\r\n\r\n\r\nПотпис купца: {}\r\n\r\n\r\n", "_".repeat(26))
    );
    let sig_lines = lines(&sig);
    assert_eq!(sig_lines.len(), 6);
    assert_eq!(sig_lines[3].chars().count(), 40);
    assert!(
        sig_lines
            .iter()
            .enumerate()
            .all(|(i, l)| i == 3 || l.is_empty())
    );

    let v = vectors();
    let journal = v["realJournals"][0]["journal"].as_str().unwrap();
    let (body, end) = split_for_print(journal);
    assert_eq!(end, "======== КРАЈ ФИСКАЛНОГ РАЧУНА =========\r\n");
    assert!(body.ends_with(
        "Бројач рачуна:              8652/11389ПП\r\n========================================\r\n"
    ));
    assert_eq!(format!("{body}{end}"), journal);

    let req = request(
        InvoiceType::Copy,
        TransactionType::Refund,
        vec![item("X", "1", "1", &["Ђ"])],
        vec![pay("1", PaymentType::Cash)],
    );
    let j = render_simple(&req, None);
    let (body, end) = split_for_print(&j);
    assert_eq!(end, "======== ОВО НИЈЕ ФИСКАЛНИ РАЧУН =======\r\n");
    assert!(body.starts_with("======== ОВО НИЈЕ ФИСКАЛНИ РАЧУН =======\r\n"));
    assert_eq!(body + &end, j);

    assert_eq!(
        split_for_print("abc\r\n"),
        ("abc\r\n".to_string(), String::new())
    );
    assert_eq!(split_for_print(""), (String::new(), String::new()));
}

#[test]
fn control_characters_and_long_seller_fields() {
    let mut s = seller();
    s.address = "Миријевски Булевар 152, улаз 3, локал 4 поред пијаце".into();
    let mut req = request(
        InvoiceType::Normal,
        TransactionType::Sale,
        vec![item("Pivo\r\nLav\t/л\u{202E}", "2", "82", &["Ђ"])],
        vec![pay("164", PaymentType::Cash)],
    );
    req.cashier = Some("Ана\nА.".into());
    let taxes = compute_taxes(
        &TaxRateGroup::serbian_default(),
        &[(dec("164"), dec("2"), vec!['Ђ'])],
    )
    .unwrap();
    let j = render(&JournalInput {
        seller: &s,
        request: &req,
        tax_items: &taxes,
        total_amount: dec("164"),
        sdc_time: sdc("2021-07-14T15:50:23.000+02:00"),
        invoice_number: "YTSS6KKG-HJHR9EO0-289",
        invoice_counter: "278/289ПП",
        advance: None,
    });
    assert!(
        j.contains("\r\nМиријевски Булевар 152, улаз 3, локал 4\r\nпоред пијаце\r\n"),
        "{j}"
    );
    assert!(
        !j.contains('\u{202E}') && j.contains(&format!("{:<40}\r\n", "Pivo  Lav /л  (Ђ)")),
        "{j}"
    );
    assert!(
        j.contains(&format!("\r\nКасир:{:>34}\r\n", "Ана А.")),
        "{j}"
    );
    assert_layout(&j, 6);
}

fn arb_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just(' '),
            proptest::char::range('a', 'z'),
            proptest::char::range('А', 'Я'),
            proptest::char::range('0', '9'),
            Just('/'),
            Just('\n'),
        ],
        1..max,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn arb_item() -> impl Strategy<Value = Item> {
    (
        arb_text(120),
        1u64..10_000_000u64,
        1u64..100_000_000_000u64,
        proptest::sample::subsequence(vec!["Ђ", "Е", "Г", "А"], 1..=3),
    )
        .prop_map(|(name, q, p, labels)| {
            let quantity = Decimal::new(q as i64, 3);
            let unit_price = Decimal::new(p as i64, 2);
            Item {
                gtin: None,
                name,
                quantity,
                unit_price,
                labels: labels.into_iter().map(String::from).collect(),
                total_amount: fiskal_domain::money::round2(quantity * unit_price),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn every_line_is_40_wide_and_ends_with_crlf(
        items in proptest::collection::vec(arb_item(), 1..5),
        invoice_type in 0u64..5,
        refund in any::<bool>(),
        cashier in proptest::option::of(arb_text(60)),
        buyer in proptest::option::of(arb_text(25)),
        payments in proptest::collection::vec((0u64..1_000_000_000_000u64, 0u64..7), 1..4),
        seller_name in arb_text(40),
        advance in proptest::option::of(0u64..1_000_000u64),
    ) {
        let invoice_type = InvoiceType::from_code(invoice_type).unwrap();
        let transaction_type = if refund { TransactionType::Refund } else { TransactionType::Sale };
        let payment = payments.into_iter().map(|(a, t)| Payment { amount: Decimal::new(a as i64, 2), payment_type: PaymentType::from_code(t).unwrap() }).collect();
        let mut req = request(invoice_type, transaction_type, items, payment);
        req.cashier = cashier;
        req.buyer_id = buyer;
        req.referent_document_number = Some("YTSS6KKG-HJHR9EO0-156".into());
        let mut s = seller();
        // One seller line: at most 40 characters, not blank.
        s.business_name = format!("Ш{}", seller_name.replace('\n', " ").chars().take(39).collect::<String>());
        let adv = advance.map(|a| AdvanceSettlement { paid_by_advance: Decimal::new(a as i64, 2), advance_tax: Decimal::new(a as i64, 3) });
        let group = TaxRateGroup::serbian_default();
        let lines_in: Vec<(Decimal, Decimal, Vec<char>)> = req.items.iter().map(|i| (i.total_amount, i.quantity, i.labels.iter().filter_map(|l| l.chars().next()).collect())).collect();
        let taxes = compute_taxes(&group, &lines_in).unwrap();
        let j = render(&JournalInput {
            seller: &s,
            request: &req,
            tax_items: &taxes,
            total_amount: req.total(),
            sdc_time: sdc("2024-02-29T17:07:27.455+01:00"),
            invoice_number: "YTSS6KKG-HJHR9EO0-289",
            invoice_counter: "278/289ПП",
            advance: adv,
        });
        prop_assert!(j.ends_with("\r\n"));
        assert_layout(&j, 5);
        let (body, end) = split_for_print(&j);
        prop_assert_eq!(end.chars().count(), 42);
        prop_assert_eq!(body + &end, j);
    }
}
