//! The 40-column journal text (receipt.md §5).
//!
//! [`render`] produces the `journal` field of an invoice result exactly as TaxCore's PFR does: 40
//! characters per line (counted in Unicode scalar values), CR LF after every line including the
//! last, Serbian Cyrillic labels, money as `1.804,50`. The real sandbox Normal Sale journal and the
//! computed "Pivo Lav" journal of the spec are reproduced byte for byte.
//!
//! Lines that are not padded to 40 columns, as in TaxCore's real output: the seller lines (printed
//! as received) and the literal `Артикли`. Every other line is exactly 40 characters wide.
//!
//! Choices of fiskal where the public material shows nothing (receipt.md §4, §5):
//! - control characters (CR, LF, tab, …) and the Unicode bidirectional controls (U+061C, U+200E,
//!   U+200F, U+202A–U+202E, U+2066–U+2069) in received text are printed as spaces, so a line
//!   break is always CR LF and always the end of a 40-column line, and no item name can reorder
//!   what a reader sees after it (a right-to-left override that makes `1.000,00` read `00,000.1`);
//! - seller fields longer than 40 characters are word-wrapped, empty seller fields are left out;
//! - `lr(label, value)` whose value does not fit next to the label puts the label on its own line
//!   (padded to 40) and the value right-aligned on the next line(s), word-wrapped when longer
//!   than 40;
//! - an item's price/quantity/total line whose values do not fit their columns (13, 11, 16, each
//!   with at least one separating space) becomes `lr(unit price, quantity)` followed by the total
//!   right-aligned on its own line; a tax line whose values do not fit becomes
//!   `lr(label, category name)` followed by `lr(rate, tax)`;
//! - after the payment lines come the advance settlement lines (if any) and then the change line
//!   `Повраћај:` when the payments exceed the amount due on a Sale.

use chrono::Utc;
use rust_decimal::Decimal;

use crate::api::{InvoiceRequest, Item};
use crate::kinds::TransactionType;
use crate::money::{format_money, format_quantity, format_rate, round2};
use crate::seller::Seller;
use crate::tax::{CategoryType, TaxItem};
use crate::time::{format_journal, format_journal_wall};

/// Width of a journal line in characters (Unicode scalar values).
pub const WIDTH: usize = 40;

/// Line ending of every journal line.
pub const EOL: &str = "\r\n";

/// Title line of a fiscal receipt (Normal, Advance).
pub const FISCAL_TITLE: &str = "============ ФИСКАЛНИ РАЧУН ============";
/// End line of a fiscal receipt.
pub const FISCAL_END: &str = "======== КРАЈ ФИСКАЛНОГ РАЧУНА =========";
/// Title and end line of a document that is not a fiscal receipt (ProForma, Copy, Training).
pub const NON_FISCAL_FRAME: &str = "======== ОВО НИЈЕ ФИСКАЛНИ РАЧУН =======";
/// The notice printed after the payment block of a non-fiscal document.
pub const NON_FISCAL_NOTICE: &str = "ОВО НИЈЕ ФИСКАЛНИ РАЧУН";

/// Everything the journal shows besides the request.
#[derive(Debug, Clone)]
pub struct JournalInput<'a> {
    /// Seller as the SE certificate carries it.
    pub seller: &'a Seller,
    /// The checked request.
    pub request: &'a InvoiceRequest,
    /// Tax per label, 4 decimals, in result order.
    pub tax_items: &'a [TaxItem],
    /// Total amount of the invoice (positive, also on refunds).
    pub total_amount: Decimal,
    /// PFR time.
    pub sdc_time: chrono::DateTime<Utc>,
    /// PFR invoice number, e.g. `YTSS6KKG-HJHR9EO0-289`.
    pub invoice_number: &'a str,
    /// Invoice counter, e.g. `278/289ПП`.
    pub invoice_counter: &'a str,
    /// Advance settlement of a closing Normal Sale of an advance chain (receipt.md §4, fiskal
    /// chooses); `None` on every other document.
    pub advance: Option<AdvanceSettlement>,
}

/// The advance share of a closing Normal Sale (receipt.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvanceSettlement {
    /// Total of the Advance Refund that closes the chain (`Плаћено авансом:`).
    pub paid_by_advance: Decimal,
    /// Tax of that Advance Refund (`ПДВ на аванс:`).
    pub advance_tax: Decimal,
}

/// Renders the journal text of a document (receipt.md §5).
pub fn render(input: &JournalInput) -> String {
    let req = input.request;
    let kind = req.kind();
    let fiscal = kind.is_fiscal_receipt();
    let refund = kind.transaction_type == TransactionType::Refund;
    let mut j = Journal::default();

    // 1. Title.
    j.line(if fiscal {
        FISCAL_TITLE
    } else {
        NON_FISCAL_FRAME
    });

    // 2. Seller, as received.
    for field in [
        &input.seller.tin,
        &input.seller.business_name,
        &input.seller.location_name,
        &input.seller.address,
        &input.seller.district,
    ] {
        let text = clean(field);
        if text.trim().is_empty() {
            continue;
        }
        for l in wrap_words(&text, WIDTH) {
            j.line(&l);
        }
    }

    // 3. Header.
    if let Some(v) = &req.cashier {
        j.lr("Касир:", &clean(v));
    }
    if let Some(v) = &req.buyer_id {
        j.lr("ИД купца:", &clean(v));
    }
    if let Some(v) = &req.buyer_cost_center_id {
        j.lr("Опционо поље купца:", &clean(v));
    }
    if let Some(v) = &req.invoice_number {
        j.lr("ЕСИР број:", &clean(v));
    }
    if let Some(t) = &req.date_and_time_of_issue {
        j.lr("ЕСИР време:", &format_journal_wall(t.naive_local()));
    }
    if let Some(v) = &req.referent_document_number {
        j.lr("Реф. број:", &clean(v));
    }
    if let Some(t) = &req.referent_document_dt {
        j.lr("Реф. време:", &format_journal(t.with_timezone(&Utc)));
    }

    // 4. Type line.
    j.line(&centre_in(&kind.type_line(), '-'));

    // 5.–7. Items header.
    j.line("Артикли");
    j.rule('=');
    j.line("Назив   Цена         Кол.         Укупно");

    // 8. Items.
    for item in &req.items {
        j.item(item, refund);
    }

    // 9.–11. Totals and payments.
    j.rule('-');
    let total = input.total_amount.abs();
    j.lr(
        if refund {
            "Укупна рефундација:"
        } else {
            "Укупан износ:"
        },
        &format_money(total),
    );
    for p in &req.payment {
        j.lr(
            &format!("{}:", p.payment_type.journal_label()),
            &format_money(p.amount),
        );
    }
    let mut due = total;
    if let Some(a) = input.advance {
        due = total - a.paid_by_advance;
        j.lr("Плаћено авансом:", &format_money(a.paid_by_advance));
        j.lr("ПДВ на аванс:", &format_money(a.advance_tax));
        j.lr("Преостало за плаћање:", &format_money(due));
    }
    let paid = req.payment_total();
    if !refund && paid > due && round2(paid - due) > Decimal::ZERO {
        j.lr("Повраћај:", &format_money(paid - due));
    }
    j.rule('=');

    // 13. Non-fiscal notice.
    if !fiscal {
        j.line(&centre_in(NON_FISCAL_NOTICE, ' '));
        j.rule('=');
    }

    // 14.–17. Taxes.
    j.line("Ознака       Име      Стопа        Порез");
    for t in input.tax_items {
        j.tax(t);
    }
    j.rule('-');
    let tax_total: Decimal = input.tax_items.iter().map(|t| t.amount).sum();
    j.lr("Укупан износ пореза:", &format_money(round2(tax_total)));
    j.rule('=');

    // 19.–21. PFR block and end.
    j.lr("ПФР време:", &format_journal(input.sdc_time));
    j.lr("ПФР број рачуна:", &clean(input.invoice_number));
    j.lr("Бројач рачуна:", &clean(input.invoice_counter));
    j.rule('=');
    j.line(if fiscal { FISCAL_END } else { NON_FISCAL_FRAME });
    j.out
}

/// The buyer's signature block the ESIR prints on a Copy Refund after the QR code and before the
/// end line (receipt.md §5, fiskal chooses): three empty lines, `Потпис купца: ` followed by `_`
/// up to column 40, two empty lines, each ending with CR LF.
pub fn copy_refund_signature_block() -> String {
    let label = "Потпис купца: ";
    let mut s = String::new();
    s.push_str(&EOL.repeat(3));
    s.push_str(label);
    s.push_str(&"_".repeat(WIDTH - width(label)));
    s.push_str(EOL);
    s.push_str(&EOL.repeat(2));
    s
}

/// Splits a journal before its final end line, so an ESIR can print the QR code (and, on a Copy
/// Refund, the signature block) between the last `====` line and the end line.
///
/// Returns `(body, end)` with `body + end == journal`. When the last line is not an end line
/// ([`FISCAL_END`] or [`NON_FISCAL_FRAME`]) the whole journal is the body and `end` is empty.
pub fn split_for_print(journal: &str) -> (String, String) {
    let without_eol = journal.strip_suffix(EOL).unwrap_or(journal);
    let start = without_eol.rfind(EOL).map(|i| i + EOL.len()).unwrap_or(0);
    let last = &without_eol[start..];
    if last == FISCAL_END || last == NON_FISCAL_FRAME {
        (journal[..start].to_string(), journal[start..].to_string())
    } else {
        (journal.to_string(), String::new())
    }
}

/// The journal being written.
#[derive(Default)]
struct Journal {
    out: String,
}

impl Journal {
    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push_str(EOL);
    }

    fn rule(&mut self, c: char) {
        let s: String = std::iter::repeat_n(c, WIDTH).collect();
        self.line(&s);
    }

    /// Label left, value right-aligned to column 40 with at least one space between; when the
    /// value does not fit, the label stands alone and the value follows right-aligned.
    fn lr(&mut self, label: &str, value: &str) {
        let (lw, vw) = (width(label), width(value));
        if lw + 1 + vw <= WIDTH {
            let mut s = String::from(label);
            s.push_str(&" ".repeat(WIDTH - lw - vw));
            s.push_str(value);
            self.line(&s);
            return;
        }
        for l in wrap_words(label, WIDTH) {
            self.line(&pad_right(&l, WIDTH));
        }
        for l in wrap_words(value, WIDTH) {
            self.line(&pad_left(&l, WIDTH));
        }
    }

    fn item(&mut self, item: &Item, refund: bool) {
        let labels: Vec<String> = item.labels.iter().map(|l| clean(l)).collect();
        let text = format!("{} ({})", clean(&item.name), labels.join(", "));
        for l in wrap_words(&text, WIDTH) {
            self.line(&pad_right(&l, WIDTH));
        }
        let price = format_money(item.unit_price);
        let quantity = format_quantity(item.quantity);
        let total = format_money(item.total_amount.abs());
        let total = if refund { format!("-{total}") } else { total };
        match columns(&[(&price, 13), (&quantity, 11), (&total, 16)]) {
            Some(l) => self.line(&l),
            None => {
                self.lr(&price, &quantity);
                self.line(&pad_left(&total, WIDTH));
            }
        }
    }

    fn tax(&mut self, t: &TaxItem) {
        let label = clean(&t.label);
        let name = clean(&t.category_name);
        let rate = match t.category_type {
            CategoryType::AmountPerQuantity => format_money(t.rate),
            _ => format_rate(t.rate),
        };
        let amount = format_money(t.amount);
        let lw = width(&label);
        let fits = lw < WIDTH - 23 && width(&name) < 17 - lw;
        // The empty first column makes the rate need a space after the category name.
        match columns(&[("", 0), (&rate, 9), (&amount, 14)]) {
            Some(rest) if fits => {
                let mut s = label;
                s.push_str(&pad_left(&name, 17 - lw));
                s.push_str(&rest);
                self.line(&s);
            }
            _ => {
                self.lr(&label, &name);
                self.lr(&rate, &amount);
            }
        }
    }
}

/// Right-aligns each value in its column; `None` when a value (after the first) would touch its
/// left neighbour or a value is wider than its column.
fn columns(cols: &[(&str, usize)]) -> Option<String> {
    let mut s = String::new();
    for (i, (v, w)) in cols.iter().enumerate() {
        let need = width(v) + usize::from(i > 0);
        if need > *w {
            return None;
        }
        s.push_str(&pad_left(v, *w));
    }
    Some(s)
}

/// Number of Unicode scalar values.
fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad_left(s: &str, w: usize) -> String {
    let n = w.saturating_sub(width(s));
    format!("{}{s}", " ".repeat(n))
}

fn pad_right(s: &str, w: usize) -> String {
    let n = w.saturating_sub(width(s));
    format!("{s}{}", " ".repeat(n))
}

/// Centres `text` in a 40-column line filled with `fill`: ⌊(40 − len)/2⌋ fill characters on the
/// left, the rest on the right. Longer text is returned cut to 40 characters.
fn centre_in(text: &str, fill: char) -> String {
    let len = width(text);
    if len >= WIDTH {
        return text.chars().take(WIDTH).collect();
    }
    let left = (WIDTH - len) / 2;
    let right = WIDTH - len - left;
    let mut s: String = std::iter::repeat_n(fill, left).collect();
    s.push_str(text);
    s.extend(std::iter::repeat_n(fill, right));
    s
}

/// Replaces control characters (CR, LF, tab, …) and bidirectional controls by spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The Unicode characters that change the display order of the text around them (UAX #9):
/// marks, embeddings, overrides and isolates.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Word-wraps at `w` characters: each line breaks at the last space that keeps it within `w`
/// (that space is dropped), else hard at `w`. Always returns at least one line.
fn wrap_words(text: &str, w: usize) -> Vec<String> {
    let mut rest: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    while rest.len() > w {
        // A space at index w ends a full line exactly.
        let brk = (1..=w).rev().find(|&i| rest[i] == ' ');
        match brk {
            Some(i) => {
                lines.push(rest[..i].iter().collect::<String>().trim_end().to_string());
                rest.drain(..=i);
            }
            None => {
                lines.push(rest[..w].iter().collect());
                rest.drain(..w);
            }
        }
    }
    if !rest.is_empty() || lines.is_empty() {
        lines.push(rest.into_iter().collect());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_last_space_or_hard() {
        assert_eq!(wrap_words("abc def", 5), ["abc", "def"]);
        assert_eq!(wrap_words("abcde fg", 5), ["abcde", "fg"]);
        assert_eq!(wrap_words("abcdefgh", 5), ["abcde", "fgh"]);
        assert_eq!(wrap_words("", 5), [""]);
        assert_eq!(wrap_words("abc", 5), ["abc"]);
    }

    #[test]
    fn centring_puts_the_extra_fill_right() {
        assert_eq!(
            centre_in("ПРОМЕТ ПРОДАЈА", '-'),
            "-------------ПРОМЕТ ПРОДАЈА-------------"
        );
        assert_eq!(
            centre_in("ПРЕДРАЧУН ПРОДАЈА", '-'),
            "-----------ПРЕДРАЧУН ПРОДАЈА------------"
        );
        assert_eq!(
            centre_in(NON_FISCAL_NOTICE, ' '),
            format!("        {NON_FISCAL_NOTICE}         ")
        );
    }

    #[test]
    fn frame_lines_are_40_wide() {
        for l in [FISCAL_TITLE, FISCAL_END, NON_FISCAL_FRAME] {
            assert_eq!(width(l), WIDTH, "{l}");
        }
    }

    #[test]
    fn columns_need_a_separating_space() {
        assert_eq!(
            columns(&[("34,23", 13), ("2", 11), ("68,46", 16)])
                .unwrap()
                .len(),
            40
        );
        assert!(columns(&[("1", 3), ("123", 3)]).is_none());
        assert!(columns(&[("1234", 3)]).is_none());
    }
}
