//! CPU time of the photo pipeline (`imaging::process`) per upload, by photo size, on one
//! thread: `cargo run --release -p souk-api --example photo_pipeline_time`.
//! The photos are generated (gradients and a product of coordinates, so they are not flat).

use std::io::Cursor;
use std::time::Instant;
/// A generated JPEG of `w` × `h` pixels.
fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}
fn main() {
    for (w, h) in [(400, 300), (1024, 768), (1600, 1200), (4000, 3000)] {
        let p = photo(w, h);
        let n = if w > 2000 { 3 } else { 20 };
        let t = Instant::now();
        for _ in 0..n {
            souk_api::imaging::process(&p).unwrap();
        }
        println!(
            "{w}x{h}: {:.2} ms",
            t.elapsed().as_secs_f64() * 1000.0 / n as f64
        );
    }
}
