//! The QR code of the verification URL as the PFR returns it (`verificationQRCode`): a base64
//! GIF, error-correction level L, byte mode, automatic version, 4 pixels per module and a
//! 4-module quiet zone (receipt.md §6).

use base64::Engine;
use fast_qr::{ECL, QRBuilder};

/// Pixels per QR module in the GIF.
pub const PIXELS_PER_MODULE: usize = 4;
/// Quiet zone in modules on each side.
pub const QUIET_ZONE: usize = 4;

/// Errors making a QR code.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The text does not fit in a QR code.
    #[error("the verification URL does not fit in a QR code: {0}")]
    TooLong(String),
    /// GIF encoding failed.
    #[error("GIF encoding failed: {0}")]
    Gif(String),
}

/// The module matrix of a QR code: `size × size`, `true` = dark.
pub fn matrix(text: &str) -> Result<(usize, Vec<bool>), QrError> {
    let qr = QRBuilder::new(text.as_bytes().to_vec())
        .ecl(ECL::L)
        .build()
        .map_err(|e| QrError::TooLong(format!("{e:?}")))?;
    let n = qr.size;
    Ok((n, qr.data[..n * n].iter().map(|m| m.value()).collect()))
}

/// Encodes the QR code of `text` as a GIF image (two colours, white and black).
pub fn gif_bytes(text: &str) -> Result<Vec<u8>, QrError> {
    let (n, dark) = matrix(text)?;
    let side = (n + 2 * QUIET_ZONE) * PIXELS_PER_MODULE;
    let mut pixels = vec![0u8; side * side];
    render_into(&mut pixels, n, &dark, side);
    let mut out = Vec::with_capacity(side * side / 16);
    {
        let palette = [0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00];
        let mut enc = gif::Encoder::new(&mut out, side as u16, side as u16, &palette)
            .map_err(|e| QrError::Gif(e.to_string()))?;
        let frame = gif::Frame {
            width: side as u16,
            height: side as u16,
            buffer: std::borrow::Cow::Owned(pixels),
            ..gif::Frame::default()
        };
        enc.write_frame(&frame).map_err(|e| QrError::Gif(e.to_string()))?;
    }
    Ok(out)
}

fn render_into(pixels: &mut [u8], n: usize, dark: &[bool], side: usize) {
    for y in 0..n {
        for x in 0..n {
            if dark[y * n + x] {
                let px = (x + QUIET_ZONE) * PIXELS_PER_MODULE;
                let py = (y + QUIET_ZONE) * PIXELS_PER_MODULE;
                for dy in 0..PIXELS_PER_MODULE {
                    let row = (py + dy) * side + px;
                    pixels[row..row + PIXELS_PER_MODULE].fill(1);
                }
            }
        }
    }
}

/// The `verificationQRCode` value: base64 of the GIF.
pub fn gif_base64(text: &str) -> Result<String, QrError> {
    Ok(base64::engine::general_purpose::STANDARD.encode(gif_bytes(text)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes the GIF and reads the QR code back with an independent decoder.
    fn read_back(gif_data: &[u8]) -> (usize, String) {
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::Indexed);
        let mut dec = opts.read_info(gif_data).unwrap();
        let frame = dec.read_next_frame().unwrap().unwrap().clone();
        let (w, h) = (frame.width as usize, frame.height as usize);
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            if frame.buffer[y * w + x] == 1 { 0 } else { 255 }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        (w, content)
    }

    #[test]
    fn gif_holds_the_url_at_4_pixels_per_module() {
        let url = format!("https://sandbox.suf.purs.gov.rs/v/?vl={}", "A1lUU1M2S0tH%2F".repeat(56));
        assert!(url.len() > 800);
        let g = gif_bytes(&url).unwrap();
        assert_eq!(&g[..6], b"GIF89a");
        let (w, content) = read_back(&g);
        assert_eq!(content, url);
        let (n, _) = matrix(&url).unwrap();
        assert_eq!(w, (n + 8) * 4);
        // Version 20 at level L holds an 810-character URL (97 modules).
        assert!(n <= 101, "{n} modules");
    }
}
