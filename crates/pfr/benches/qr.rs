//! Cost of the QR code image per verification URL: module matrix and GIF encoding.
use std::time::{Duration, Instant};

fn time<F: FnMut()>(mut f: F) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(1) {
        f();
        n += 1;
    }
    start.elapsed().as_secs_f64() * 1000.0 / n as f64
}

fn main() {
    let url = format!(
        "https://sandbox.suf.purs.gov.rs/v/?vl={}",
        "A1lUU1M2S0tH%2F".repeat(56)
    );
    println!(
        "QR matrix (fast_qr, level L):   {:.3} ms",
        time(|| {
            fiskal_pfr::service::qr::matrix(&url).unwrap();
        })
    );
    println!(
        "QR matrix, fixed mask:          {:.3} ms",
        time(|| {
            fast_qr::QRBuilder::new(url.as_bytes().to_vec())
                .ecl(fast_qr::ECL::L)
                .mask(fast_qr::Mask::Checkerboard)
                .build()
                .unwrap();
        })
    );
    println!(
        "QR matrix + GIF (4 px/module):  {:.3} ms",
        time(|| {
            fiskal_pfr::service::qr::gif_bytes(&url).unwrap();
        })
    );
    println!(
        "QR matrix + GIF + base64:       {:.3} ms",
        time(|| {
            fiskal_pfr::service::qr::gif_base64(&url).unwrap();
        })
    );
}
