//! What the ESIR prints: the receipt text and the QR code image.
//!
//! The journal comes from the PFR and is printed unchanged; the ESIR adds only the QR code (and,
//! on a Copy Refund, the buyer's signature block) between the last `====` line and the end line
//! (receipt.md §5). On documents that are not fiscal receipts every line carrying
//! "ОВО НИЈЕ ФИСКАЛНИ РАЧУН" is printed double size ([`PrintLine::double`]); in plain text a
//! double-size line is written letter-spaced (each character followed by a space, i.e. twice as
//! wide), split into `ОВО НИЈЕ` / `ФИСКАЛНИ РАЧУН` because 23 double-width characters do not fit
//! in 40 columns.

use std::path::Path;

use fiskal_domain::api::InvoiceResult;
use fiskal_domain::journal::{self, EOL, NON_FISCAL_NOTICE, WIDTH};
use fiskal_domain::kinds::{DocumentKind, InvoiceType, TransactionType};
use fiskal_domain::seller::Seller;

use crate::error::EsirError;
use crate::store::StoredInvoice;

/// Printing resolution of the QR image.
pub const QR_DPI: u32 = 300;
/// Target printed width of the QR code (image including its 4-module quiet zone), in mm.
pub const QR_TARGET_MM: f32 = 45.0;
/// Smallest and largest allowed width, in mm (SEED-004).
pub const QR_MIN_MM: f32 = 40.0;
/// See [`QR_MIN_MM`].
pub const QR_MAX_MM: f32 = 50.0;
const QUIET_ZONE: usize = 4;

/// What was written by [`qr_png`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QrImage {
    /// Width and height in pixels.
    pub pixels: u32,
    /// Modules per side of the symbol (without quiet zone).
    pub modules: u32,
    /// Pixels per module.
    pub pixels_per_module: u32,
    /// Printed width at 300 dpi, in mm.
    pub mm: f32,
}

fn px_to_mm(px: u32) -> f32 {
    px as f32 * 25.4 / QR_DPI as f32
}

/// Renders `url` as a QR code (error correction L, byte mode, automatic version, 4-module quiet
/// zone) to PNG bytes sized for 40–50 mm at 300 dpi (about 45 mm: a whole number of pixels per
/// module, extra white margin if needed), with the resolution recorded in the `pHYs` chunk.
pub fn qr_png_bytes(url: &str) -> Result<(Vec<u8>, QrImage), EsirError> {
    let qr = fast_qr::QRBuilder::new(url.as_bytes())
        .ecl(fast_qr::ECL::L)
        .mode(fast_qr::Mode::Byte)
        .build()
        .map_err(|e| EsirError::Qr {
            detail: e.to_string(),
        })?;
    let modules = qr.size;
    let total = modules + 2 * QUIET_ZONE;
    let min_px = (QR_MIN_MM * QR_DPI as f32 / 25.4).ceil() as usize;
    let max_px = (QR_MAX_MM * QR_DPI as f32 / 25.4).floor() as usize;
    let target = (QR_TARGET_MM * QR_DPI as f32 / 25.4).round() as usize;
    // The largest module size that fits, preferring the one closest to the target.
    let ppm = (1..=max_px / total.max(1))
        .min_by_key(|k| (k * total).abs_diff(target))
        .ok_or_else(|| EsirError::Qr {
            detail: "the symbol is too large for 50 mm".into(),
        })?;
    let side = (ppm * total).max(min_px);
    let offset = (side - ppm * total) / 2 + QUIET_ZONE * ppm;
    let mut data = vec![255u8; side * side];
    for y in 0..modules {
        for x in 0..modules {
            if qr[y][x].value() {
                for dy in 0..ppm {
                    let row = (offset + y * ppm + dy) * side;
                    for dx in 0..ppm {
                        data[row + offset + x * ppm + dx] = 0;
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let side32 = u32::try_from(side).map_err(|_| EsirError::Qr {
            detail: "image too large".into(),
        })?;
        let mut enc = png::Encoder::new(&mut out, side32, side32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        // 300 dpi = 11 811 pixels per metre.
        let ppm_metre = (QR_DPI as f64 / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm_metre,
            yppu: ppm_metre,
            unit: png::Unit::Meter,
        }));
        let mut w = enc.write_header().map_err(|e| EsirError::Qr {
            detail: e.to_string(),
        })?;
        w.write_image_data(&data).map_err(|e| EsirError::Qr {
            detail: e.to_string(),
        })?;
        w.finish().map_err(|e| EsirError::Qr {
            detail: e.to_string(),
        })?;
    }
    let pixels = side as u32;
    Ok((
        out,
        QrImage {
            pixels,
            modules: modules as u32,
            pixels_per_module: ppm as u32,
            mm: px_to_mm(pixels),
        },
    ))
}

/// Writes the QR code of `url` as a PNG file (see [`qr_png_bytes`]).
pub fn qr_png(url: &str, path: &Path) -> Result<QrImage, EsirError> {
    let (bytes, info) = qr_png_bytes(url)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| EsirError::Io {
            path: dir.display().to_string(),
            detail: e.to_string(),
        })?;
    }
    std::fs::write(path, bytes).map_err(|e| EsirError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    Ok(info)
}

/// How the QR code appears in the text form of a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QrInText {
    /// A framed placeholder where a printer puts the image.
    Placeholder,
    /// The verification URL as text (electronic receipts carry the link instead of the image).
    #[default]
    Url,
}

/// One printed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintLine {
    /// The text (at most 40 characters, or 20 for a double-size line).
    pub text: String,
    /// Printed double height and double width.
    pub double: bool,
}

/// The kind of a result, from its counter extension (`ПП`, `КР`, …).
pub fn result_kind(result: &InvoiceResult) -> Option<DocumentKind> {
    DocumentKind::from_extension(&result.invoice_counter_extension).or_else(|| {
        let ext: String = result
            .invoice_counter
            .chars()
            .skip_while(|c| c.is_ascii_digit() || *c == '/')
            .collect();
        DocumentKind::from_extension(ext.trim())
    })
}

/// The receipt as lines for a printer: the journal with the QR block (and the signature block on
/// a Copy Refund) before the end line, notice lines marked double size.
pub fn printable_lines(
    journal_text: &str,
    kind: Option<DocumentKind>,
    url: &str,
    qr: QrInText,
) -> Vec<PrintLine> {
    let (body, end) = journal::split_for_print(journal_text);
    let mut lines = Vec::new();
    let push_text = |lines: &mut Vec<PrintLine>, text: &str| {
        for l in text.split(EOL) {
            lines.push(PrintLine {
                text: l.to_string(),
                double: false,
            });
        }
        if text.ends_with(EOL) {
            lines.pop();
        }
    };
    push_text(&mut lines, &body);
    match qr {
        QrInText::Placeholder => {
            let inner = WIDTH - 2;
            lines.push(PrintLine {
                text: format!("+{}+", "-".repeat(inner)),
                double: false,
            });
            for t in ["", "[ QR код ]", ""] {
                let pad = inner - t.chars().count();
                let left = pad / 2;
                lines.push(PrintLine {
                    text: format!("|{}{}{}|", " ".repeat(left), t, " ".repeat(pad - left)),
                    double: false,
                });
            }
            lines.push(PrintLine {
                text: format!("+{}+", "-".repeat(inner)),
                double: false,
            });
        }
        QrInText::Url => {
            let chars: Vec<char> = url.chars().collect();
            for chunk in chars.chunks(WIDTH) {
                lines.push(PrintLine {
                    text: chunk.iter().collect(),
                    double: false,
                });
            }
        }
    }
    if kind
        == Some(DocumentKind::new(
            InvoiceType::Copy,
            TransactionType::Refund,
        ))
    {
        push_text(&mut lines, &journal::copy_refund_signature_block());
    }
    push_text(&mut lines, &end);
    // Double-size notice lines.
    let mut out = Vec::with_capacity(lines.len() + 4);
    for l in lines {
        if l.text.contains(NON_FISCAL_NOTICE) {
            let framed = l.text.starts_with('=');
            for part in ["ОВО НИЈЕ", "ФИСКАЛНИ РАЧУН"] {
                let fill = if framed { '=' } else { ' ' };
                let half = WIDTH / 2;
                let pad = half.saturating_sub(part.chars().count() + if framed { 2 } else { 0 });
                let left = pad / 2;
                let text = if framed {
                    format!(
                        "{} {part} {}",
                        fill.to_string().repeat(left),
                        fill.to_string().repeat(pad - left)
                    )
                } else {
                    format!("{}{part}{}", " ".repeat(left), " ".repeat(pad - left))
                };
                out.push(PrintLine { text, double: true });
            }
        } else {
            out.push(l);
        }
    }
    out
}

/// Renders print lines as plain text with CR LF line ends; a double-size line is written
/// letter-spaced (`О В О   Н И Ј Е`) so that it takes twice the width.
pub fn lines_to_text(lines: &[PrintLine]) -> String {
    let mut s = String::new();
    for l in lines {
        if l.double {
            let spaced: String = l.text.chars().flat_map(|c| [c, ' ']).collect();
            s.push_str(spaced.trim_end());
        } else {
            s.push_str(&l.text);
        }
        s.push_str(EOL);
    }
    s
}

/// The printable receipt of a PFR result as text: its journal with the QR block before the end
/// line, the buyer's signature block on a Copy Refund, and the double-size non-fiscal notice.
/// When the result has no journal (`omitTextualRepresentation`), only the QR block is returned;
/// use [`printable_stored`] to rebuild the journal from the request.
pub fn printable_receipt(result: &InvoiceResult, qr: QrInText) -> String {
    let journal_text = result.journal.clone().unwrap_or_default();
    lines_to_text(&printable_lines(
        &journal_text,
        result_kind(result),
        &result.verification_url,
        qr,
    ))
}

/// Like [`printable_receipt`] for a stored document; a missing journal is rendered from the
/// request and result the way the PFR renders it.
pub fn printable_stored(doc: &StoredInvoice, qr: QrInText) -> String {
    let journal_text = match &doc.result.journal {
        Some(j) => j.clone(),
        None => {
            let r = &doc.result;
            let seller = Seller {
                tin: r.tin.clone(),
                business_name: r.business_name.clone(),
                location_name: r.location_name.clone(),
                address: r.address.clone(),
                district: r.district.clone(),
            };
            journal::render(&journal::JournalInput {
                seller: &seller,
                request: &doc.request,
                tax_items: &r.tax_items,
                total_amount: r.total_amount,
                sdc_time: r.sdc_date_time.to_utc(),
                invoice_number: &r.invoice_number,
                invoice_counter: &r.invoice_counter,
                advance: None,
            })
        }
    };
    let kind = result_kind(&doc.result).or(Some(doc.kind()));
    lines_to_text(&printable_lines(
        &journal_text,
        kind,
        &doc.result.verification_url,
        qr,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>, Option<png::PixelDimensions>) {
        let dec = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
        let mut reader = dec.read_info().unwrap();
        let dims = reader.info().pixel_dims;
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        (info, buf, dims)
    }

    #[test]
    fn qr_png_is_40_to_50_mm_at_300_dpi() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("https://sandbox.suf.purs.gov.rs/v/?vl={}", "A".repeat(820));
        for url in ["https://suf.purs.gov.rs/v/?vl=short", long.as_str()] {
            let path = dir.path().join("qr/out.png");
            let info = qr_png(url, &path).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let (out, buf, dims) = decode(&bytes);
            assert_eq!(out.width, out.height);
            assert_eq!(out.width, info.pixels);
            let mm = out.width as f32 * 25.4 / 300.0;
            assert!((40.0..=50.0).contains(&mm), "{mm} mm");
            let d = dims.expect("pHYs chunk");
            assert_eq!((d.xppu, d.yppu, d.unit), (11811, 11811, png::Unit::Meter));
            // Quiet zone white, top-left finder pattern dark.
            let w = out.width as usize;
            let q = (w - info.pixels_per_module as usize * (info.modules as usize + 8)) / 2
                + 4 * info.pixels_per_module as usize;
            assert_eq!(buf[0], 255);
            assert_eq!(buf[(q - 1) * w + q - 1], 255);
            assert_eq!(buf[q * w + q], 0);
            assert_eq!(buf[(q + 6 * info.pixels_per_module as usize) * w + q], 0);
        }
        // An ~850-character URL is version 20 (97 modules) at level L.
        let (_, info) = qr_png_bytes(&format!(
            "https://sandbox.suf.purs.gov.rs/v/?vl={}",
            "A".repeat(812)
        ))
        .unwrap();
        assert_eq!(
            (info.modules, info.pixels_per_module, info.pixels),
            (97, 5, 525)
        );
    }

    #[test]
    fn qr_block_and_signature_go_before_the_end_line() {
        let j = "======== ОВО НИЈЕ ФИСКАЛНИ РАЧУН =======\r\nтекст\r\n========================================\r\n======== ОВО НИЈЕ ФИСКАЛНИ РАЧУН =======\r\n";
        let kind = Some(DocumentKind::new(
            InvoiceType::Copy,
            TransactionType::Refund,
        ));
        let lines = printable_lines(j, kind, "https://x/v/?vl=AB", QrInText::Url);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[0], "===== ОВО НИЈЕ =====");
        assert!(lines[0].double && lines[1].double);
        assert_eq!(texts[1], "== ФИСКАЛНИ РАЧУН ==");
        assert_eq!(texts[2], "текст");
        let url_at = texts
            .iter()
            .position(|t| *t == "https://x/v/?vl=AB")
            .unwrap();
        let sig_at = texts
            .iter()
            .position(|t| t.starts_with("Потпис купца: "))
            .unwrap();
        let end_at = texts.len() - 2;
        assert!(
            url_at > 3 && url_at < sig_at && sig_at < end_at,
            "{texts:?}"
        );
        assert!(lines[end_at].double);
        let text = lines_to_text(&lines);
        assert!(
            text.starts_with("= = = = =   О В О   Н И Ј Е   = = = = =\r\n"),
            "{text}"
        );
        assert!(text.ends_with("\r\n"));
        for l in text.split("\r\n") {
            assert!(l.chars().count() <= 40, "{l}");
        }
    }

    #[test]
    fn fiscal_receipt_gets_qr_placeholder() {
        let j = "============ ФИСКАЛНИ РАЧУН ============\r\n========================================\r\n======== КРАЈ ФИСКАЛНОГ РАЧУНА =========\r\n";
        let t = lines_to_text(&printable_lines(j, None, "u", QrInText::Placeholder));
        let lines: Vec<&str> = t.split("\r\n").collect();
        assert_eq!(lines[0], "============ ФИСКАЛНИ РАЧУН ============");
        assert!(lines[4].contains("[ QR код ]"));
        assert_eq!(lines[7], "======== КРАЈ ФИСКАЛНОГ РАЧУНА =========");
        assert!(!t.contains("Потпис"));
    }
}
