//! Test images, including JPEGs carrying EXIF with a GPS position.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};

pub const GPS_MARKER: &[u8] = b"SOUK-SECRET-GPS-36.7538N-3.0588E";

pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 3 % 256) as u8, (y * 5 % 256) as u8, 90])
    });
    let mut buf = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut buf), ImageFormat::Jpeg)
        .expect("encode jpeg");
    buf
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 200])
    });
    let mut buf = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut buf), ImageFormat::Png)
        .expect("encode png");
    buf
}

/// A JPEG whose APP1 segment holds EXIF with the given orientation, a GPS IFD (latitude
/// ref "N") and a recognisable marker, as a phone camera would write.
pub fn jpeg_with_exif(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let plain = jpeg(w, h);
    let mut tiff: Vec<u8> = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08");
    // IFD0: two entries (Orientation, GPSInfo pointer), then no next IFD.
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    let gps_offset: u32 = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0, 0, 0, 1]);
    tiff.extend_from_slice(&gps_offset.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    // GPS IFD: GPSLatitudeRef = "N".
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x01, 0x00, 0x02, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(GPS_MARKER);

    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A photo-like scene (a gradient and soft coloured blobs, different for every `seed`): what
/// the perceptual hash sees in real photos, unlike a plain gradient.
pub fn scene(seed: u64) -> RgbImage {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (w, h) = (640u32, 480u32);
    let c1: [u8; 3] = rng.gen();
    let c2: [u8; 3] = rng.gen();
    let blobs: Vec<(f32, f32, f32, [u8; 3])> = (0..7)
        .map(|_| {
            (
                rng.gen_range(0.0..w as f32),
                rng.gen_range(0.0..h as f32),
                rng.gen_range(50.0..200.0),
                rng.gen(),
            )
        })
        .collect();
    RgbImage::from_fn(w, h, |x, y| {
        let t = x as f32 / w as f32;
        let mut p: [f32; 3] =
            std::array::from_fn(|i| f32::from(c1[i]) * (1.0 - t) + f32::from(c2[i]) * t);
        for (bx, by, r, c) in &blobs {
            let d = ((x as f32 - bx).powi(2) + (y as f32 - by).powi(2)).sqrt() / r;
            if d < 1.0 {
                for i in 0..3 {
                    p[i] = p[i] * (0.3 + 0.7 * d) + f32::from(c[i]) * 0.7 * (1.0 - d);
                }
            }
        }
        image::Rgb(p.map(|v| v as u8))
    })
}

/// `img` as a JPEG of the given quality.
pub fn to_jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut Cursor::new(&mut buf), quality)
        .encode_image(img)
        .expect("encode jpeg");
    buf
}

/// How a photo is copied from another ad: resized to 70 %, 10 % brighter, saved at quality 60.
pub fn copied(img: &RgbImage) -> Vec<u8> {
    let small = image::imageops::resize(
        img,
        img.width() * 7 / 10,
        img.height() * 7 / 10,
        image::imageops::FilterType::Triangle,
    );
    let mut brighter = small.clone();
    for p in brighter.pixels_mut() {
        p.0 = p.0.map(|c| (f32::from(c) * 1.1).min(255.0) as u8);
    }
    to_jpeg(&brighter, 60)
}

/// A JPEG of `w`×`h` pixels of noise (hard to compress), grown to exactly `total` bytes with
/// comment segments: a phone photo's size on the wire, as an attacker sends it.
pub fn heavy_jpeg(w: u32, h: u32, total: usize) -> Vec<u8> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let img = RgbImage::from_fn(w, h, |_, _| image::Rgb(rng.gen()));
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&img)
        .expect("encode jpeg");
    assert!(plain.len() <= total, "{} bytes before padding", plain.len());
    let mut missing = total - plain.len();
    assert!(
        missing == 0 || missing >= 4,
        "{missing} bytes cannot be a segment"
    );
    let mut out = plain[..2].to_vec();
    while missing > 0 {
        // A COM segment: marker, 2-byte length (itself included), text; at least 4 bytes.
        let mut segment = missing.min(65_537);
        if (1..4).contains(&(missing - segment)) {
            segment -= 4;
        }
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&((segment - 2) as u16).to_be_bytes());
        out.extend(std::iter::repeat_n(b'x', segment - 4));
        missing -= segment;
    }
    out.extend_from_slice(&plain[2..]);
    assert_eq!(out.len(), total);
    out
}
