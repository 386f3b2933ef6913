//! The photo pipeline: decode (the bytes decide the format, not the name), refuse bombs,
//! apply the EXIF orientation, then re-encode. Re-encoding writes pixels only, so EXIF
//! (GPS position, camera serial) never reaches disk.

use std::borrow::Cow;
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// 40 megapixels: more than any phone camera, far less than a bomb.
pub const MAX_PIXELS: u64 = 40_000_000;
pub const MAX_SIDE: u32 = 12_000;
pub const LARGE_SIDE: u32 = 1600;
pub const THUMB_SIDE: u32 = 400;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("not a JPEG, PNG or WebP image")]
    UnsupportedFormat,
    #[error("the image is too large ({0}); at most {MAX_PIXELS} pixels and {MAX_SIDE} px a side")]
    TooManyPixels(String),
    #[error("the image could not be decoded: {0}")]
    Corrupt(String),
    #[error("encoding failed: {0}")]
    Encode(String),
}

pub struct Processed {
    pub large: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// `perceptual_hash` of the photo, for copies of photos across ads (none for a blank one).
    pub phash: Option<u64>,
}

pub fn process(bytes: &[u8]) -> Result<Processed, ImageError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => return Err(ImageError::UnsupportedFormat),
    }
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    // Checked from the header before a single pixel is allocated.
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels(format!("{w}×{h}")));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    decoder
        .set_limits(limits)
        .map_err(|e| ImageError::TooManyPixels(e.to_string()))?;
    let orientation = decoder
        .orientation()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| ImageError::Corrupt(e.to_string()))?;
    img.apply_orientation(orientation);

    let large = shrink(&img, LARGE_SIDE);
    let large_jpeg = encode_jpeg(&large, 85)?;
    let thumb = shrink(&large, THUMB_SIDE);
    let phash = perceptual_hash(&thumb);
    // A photo already within the thumbnail's size is its own thumbnail: one encode, not two.
    let thumb_jpeg = match thumb {
        Cow::Borrowed(_) => large_jpeg.clone(),
        Cow::Owned(thumb) => encode_jpeg(&thumb, 80)?,
    };
    Ok(Processed {
        phash,
        width: large.width(),
        height: large.height(),
        large: large_jpeg,
        thumb: thumb_jpeg,
    })
}

/// `img` fitted within `side` × `side`, never enlarged: `img` itself when it fits. Big shrinks
/// first average whole blocks of pixels (an integer factor, so each output pixel is the mean
/// of an equal square), then a triangle filter covers the rest (a ratio under 2). `thumbnail`
/// alone aliases when the ratio is not whole (fine fabric, text); the block step makes the
/// 1600 → 400 thumbnail exact.
fn shrink(img: &DynamicImage, side: u32) -> Cow<'_, DynamicImage> {
    let longest = img.width().max(img.height());
    if longest <= side {
        return Cow::Borrowed(img);
    }
    let factor = longest / side;
    if factor < 2 {
        return Cow::Owned(img.resize(side, side, FilterType::Triangle));
    }
    let blocks = img.thumbnail(
        (img.width() / factor).max(1),
        (img.height() / factor).max(1),
    );
    Cow::Owned(if blocks.width().max(blocks.height()) <= side {
        blocks
    } else {
        blocks.resize(side, side, FilterType::Triangle)
    })
}

/// Side of the grey square the hash is computed on.
const HASH_SIDE: usize = 32;
/// Frequencies kept per axis (8 × 8 = 64 bits).
const HASH_FREQS: usize = 8;
/// Grey-level variance (of 255² possible) under which an image has no structure to hash.
const MIN_HASH_VARIANCE: f32 = 16.0;

/// A 64-bit perceptual hash (pHash): the image in grey at 32 × 32, its 2-D DCT, and for the 8 × 8
/// lowest frequencies whether each is above their median (the first, the mean brightness, is
/// always above). The lowest frequencies move least when a photo is cropped or shifted.
/// Re-encoding, resizing and a brightness change move few bits; another photo moves about half.
/// `None` for an image without structure (one colour, a faint gradient): all such images hash
/// alike and are no evidence of a copy.
pub fn perceptual_hash(img: &DynamicImage) -> Option<u64> {
    let side = HASH_SIDE as u32;
    let grey = image::imageops::resize(&img.to_luma8(), side, side, FilterType::Triangle);
    let px: Vec<f32> = grey.pixels().map(|p| f32::from(p[0])).collect();
    let mean = px.iter().sum::<f32>() / px.len() as f32;
    let variance = px.iter().map(|p| (p - mean).powi(2)).sum::<f32>() / px.len() as f32;
    if variance < MIN_HASH_VARIANCE {
        return None;
    }
    let n = HASH_SIDE as f32;
    // cos((2x + 1) u π / 2N) for the frequencies kept (0..8) and every position.
    let basis: Vec<[f32; HASH_SIDE]> = (0..HASH_FREQS)
        .map(|u| {
            std::array::from_fn(|x| {
                ((2 * x + 1) as f32 * u as f32 * std::f32::consts::PI / (2.0 * n)).cos()
            })
        })
        .collect();
    // Separable: along rows first, then along columns.
    let mut rows = vec![[0f32; HASH_FREQS]; HASH_SIDE];
    for (y, row) in rows.iter_mut().enumerate() {
        for (u, b) in basis.iter().enumerate() {
            row[u] = (0..HASH_SIDE).map(|x| px[y * HASH_SIDE + x] * b[x]).sum();
        }
    }
    let mut coefs = Vec::with_capacity(HASH_FREQS * HASH_FREQS);
    for b in &basis {
        for u in 0..HASH_FREQS {
            coefs.push(rows.iter().zip(b).map(|(r, by)| r[u] * by).sum::<f32>());
        }
    }
    let mut sorted = coefs.clone();
    sorted.sort_by(f32::total_cmp);
    let median = (sorted[31] + sorted[32]) / 2.0;
    Some(
        coefs
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > median)
            .fold(0u64, |h, (i, _)| h | 1 << i),
    )
}

fn encode_jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, ImageError> {
    // JPEG has no alpha: flatten transparent PNG/WebP onto white rather than black.
    let rgb = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        let mut out = image::RgbImage::new(rgba.width(), rgba.height());
        for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
            let a = u16::from(p[3]);
            for c in 0..3 {
                o[c] = ((u16::from(p[c]) * a + 255 * (255 - a)) / 255) as u8;
            }
        }
        out
    } else {
        img.to_rgb8()
    };
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, quality)
        .encode_image(&rgb)
        .map_err(|e| ImageError::Encode(e.to_string()))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut buf = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut buf), ImageFormat::Png)
            .unwrap();
        buf
    }

    #[test]
    fn a_resized_copy_hashes_near_a_blank_image_not_at_all() {
        use souk_domain::signals::{hamming, PHOTO_MAX_DISTANCE};
        let scene = image::RgbImage::from_fn(600, 400, |x, y| {
            let d = ((x as f32 - 200.0).powi(2) + (y as f32 - 150.0).powi(2)).sqrt();
            image::Rgb([
                (x / 3) as u8,
                if d < 90.0 { 240 } else { 40 },
                (y / 2) as u8,
            ])
        });
        let original = perceptual_hash(&DynamicImage::ImageRgb8(scene.clone())).unwrap();
        let small = image::imageops::resize(&scene, 300, 200, FilterType::Triangle);
        let copy = perceptual_hash(&DynamicImage::ImageRgb8(small)).unwrap();
        assert!(hamming(original, copy) <= PHOTO_MAX_DISTANCE);
        let flipped = image::imageops::flip_horizontal(&scene);
        let other = perceptual_hash(&DynamicImage::ImageRgb8(flipped)).unwrap();
        assert!(hamming(original, other) > PHOTO_MAX_DISTANCE);
        let blank = image::RgbImage::from_pixel(600, 400, image::Rgb([200, 200, 200]));
        assert_eq!(perceptual_hash(&DynamicImage::ImageRgb8(blank)), None);
    }

    #[test]
    fn big_images_are_scaled_and_thumbnailed() {
        let p = process(&png(2000, 1000)).unwrap();
        assert_eq!((p.width, p.height), (1600, 800));
        let thumb = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (400, 200));
    }

    #[test]
    fn a_small_photo_is_its_own_thumbnail() {
        let p = process(&png(300, 200)).unwrap();
        assert_eq!((p.width, p.height), (300, 200));
        assert_eq!(p.thumb, p.large);
        let thumb = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (300, 200));
        assert!(p.phash.is_some());
    }

    #[test]
    fn text_is_not_an_image() {
        assert!(matches!(
            process(b"GIF89a not really"),
            Err(ImageError::UnsupportedFormat | ImageError::Corrupt(_))
        ));
        assert!(matches!(
            process(b"hello world, this is text"),
            Err(ImageError::UnsupportedFormat)
        ));
    }

    #[test]
    fn a_header_claiming_huge_dimensions_is_refused_before_decoding() {
        // A valid PNG header announcing 50000×50000 pixels, with no pixel data behind it.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(process(&bomb), Err(ImageError::TooManyPixels(_))));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
