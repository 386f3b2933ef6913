//! `souk-photo-hash`: precision and recall of the perceptual hash that flags copied photos
//! (`duplicate_photo`), on a generated set. Each "model" (a phone or a car: shape, colours,
//! proportions) is photographed several times (other background, light, place and size in
//! the frame, sensor noise); each photo is then copied the ways people copy photos
//! (re-encoded, resized, cropped, brightened, several at once). Every image goes through the
//! API's own photo pipeline (`souk_api::imaging::process`), as an upload would.
//!
//! A copy must match its original; a different photo, above all of the same model, must not.
//! Reported per distance threshold: recall (copies whose original is within the threshold),
//! precision (of all photos within the threshold of a copy, the share that is its original),
//! and how often two photos of the same model fall within it. See bench/README.md, "Photo copies".

use std::io::Cursor;

use clap::Parser;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use souk_domain::signals::{band_keys, hamming, probe_keys, PHOTO_MAX_DISTANCE};

#[derive(Parser)]
#[command(about = "precision and recall of the photo-copy hash on a generated set")]
struct Args {
    /// Models (half phones, half cars).
    #[arg(long, default_value_t = 60)]
    models: usize,
    /// Photos per model.
    #[arg(long, default_value_t = 4)]
    photos: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

const W: u32 = 800;
const H: u32 = 600;

struct Model {
    car: bool,
    body: [u8; 3],
    accent: [u8; 3],
    /// Width over height of the object.
    aspect: f32,
    /// Shape details: camera or wheel positions, cabin shape.
    detail: [f32; 4],
}

fn color(rng: &mut StdRng) -> [u8; 3] {
    [rng.gen(), rng.gen(), rng.gen()]
}

fn model(rng: &mut StdRng, car: bool) -> Model {
    Model {
        car,
        body: color(rng),
        accent: color(rng),
        aspect: if car {
            rng.gen_range(1.9..2.6)
        } else {
            rng.gen_range(0.45..0.55)
        },
        detail: [rng.gen(), rng.gen(), rng.gen(), rng.gen()],
    }
}

fn blend(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    std::array::from_fn(|i| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t) as u8)
}

/// One photo of `m`: a room or street background (two-colour gradient and soft blobs), the
/// object somewhere in the frame at some size, light and sensor noise.
fn photograph(m: &Model, rng: &mut StdRng) -> RgbImage {
    let (c1, c2) = (color(rng), color(rng));
    let blobs: Vec<(f32, f32, f32, [u8; 3])> = (0..6)
        .map(|_| {
            (
                rng.gen_range(0.0..W as f32),
                rng.gen_range(0.0..H as f32),
                rng.gen_range(40.0..220.0),
                color(rng),
            )
        })
        .collect();
    let angle: f32 = rng.gen_range(0.0..std::f32::consts::TAU);
    let mut img = RgbImage::from_fn(W, H, |x, y| {
        let t = ((x as f32 * angle.cos() + y as f32 * angle.sin()) / W as f32 + 1.0) / 2.0;
        let mut p = blend(c1, c2, t.clamp(0.0, 1.0));
        for (bx, by, r, c) in &blobs {
            let d = ((x as f32 - bx).powi(2) + (y as f32 - by).powi(2)).sqrt() / r;
            if d < 1.0 {
                p = blend(p, *c, 0.6 * (1.0 - d));
            }
        }
        Rgb(p)
    });
    // The object: 35–65 % of the frame's height (phones) or width (cars), anywhere it fits.
    let (ow, oh) = if m.car {
        let w = rng.gen_range(0.45..0.8) * W as f32;
        (w, w / m.aspect)
    } else {
        let h = rng.gen_range(0.45..0.85) * H as f32;
        (h * m.aspect, h)
    };
    let ox = rng.gen_range(0.0..(W as f32 - ow).max(1.0));
    let oy = rng.gen_range(0.0..(H as f32 - oh).max(1.0));
    let light: f32 = rng.gen_range(0.75..1.2);
    let body = m.body.map(|c| (f32::from(c) * light).min(255.0) as u8);
    let accent = m.accent.map(|c| (f32::from(c) * light).min(255.0) as u8);
    for y in 0..H {
        for x in 0..W {
            let (u, v) = ((x as f32 - ox) / ow, (y as f32 - oy) / oh);
            if let Some(c) = object_pixel(m, u, v, body, accent) {
                img.put_pixel(x, y, Rgb(c));
            }
        }
    }
    for p in img.pixels_mut() {
        let n: i16 = rng.gen_range(-6..=6);
        p.0 = p.0.map(|c| (i16::from(c) + n).clamp(0, 255) as u8);
    }
    img
}

/// The object's colour at (u, v) in its own box (0..1 each way), `None` outside it.
fn object_pixel(m: &Model, u: f32, v: f32, body: [u8; 3], accent: [u8; 3]) -> Option<[u8; 3]> {
    if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
        return None;
    }
    let dark = [20, 20, 25];
    if m.car {
        // Wheels, a lower body, a cabin whose roof length and slope are the model's.
        for wx in [0.18 + 0.08 * m.detail[0], 0.78 - 0.08 * m.detail[1]] {
            let (du, dv) = ((u - wx) * m.aspect, v - 0.82);
            if (du * du + dv * dv).sqrt() < 0.17 {
                return Some(dark);
            }
        }
        if (0.45..0.85).contains(&v) {
            return Some(body);
        }
        let (front, back) = (0.2 + 0.15 * m.detail[2], 0.75 + 0.15 * m.detail[3]);
        let slope = (0.45 - v) / 0.45 * 0.15;
        if v < 0.45 && u > front + slope && u < back - slope {
            let window = v > 0.12 && u > front + slope + 0.03 && u < back - slope - 0.03;
            return Some(if window { accent } else { body });
        }
        None
    } else {
        // Rounded corners, a screen (dark or lit by the model's colour), a camera block.
        let r = 0.08;
        let (cu, cv) = (
            u.clamp(r, 1.0 - r),
            v.clamp(r * m.aspect, 1.0 - r * m.aspect),
        );
        if ((u - cu) / r).powi(2) + ((v - cv) / (r * m.aspect)).powi(2) > 1.0 {
            return None;
        }
        let cam = (0.15 + 0.5 * m.detail[0], 0.06 + 0.05 * m.detail[1]);
        if (u - cam.0).abs() < 0.12 && (v - cam.1).abs() < 0.04 {
            return Some(accent);
        }
        if (0.06..0.94).contains(&u) && (0.12..0.92).contains(&v) {
            return Some(if m.detail[2] > 0.5 { dark } else { accent });
        }
        Some(body)
    }
}

fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut Cursor::new(&mut buf), quality)
        .encode_image(img)
        .expect("encode");
    buf
}

fn crop(img: &RgbImage, share: f32, rng: &mut StdRng) -> RgbImage {
    let (dx, dy) = ((W as f32 * share) as u32, (H as f32 * share) as u32);
    let (x0, y0) = (rng.gen_range(0..=dx), rng.gen_range(0..=dy));
    image::imageops::crop_imm(img, x0, y0, W - dx, H - dy).to_image()
}

fn brighten(img: &RgbImage, by: f32) -> RgbImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        p.0 = p.0.map(|c| (f32::from(c) * by).clamp(0.0, 255.0) as u8);
    }
    out
}

fn resize(img: &RgbImage, f: f32) -> RgbImage {
    let (w, h) = ((W as f32 * f) as u32, (H as f32 * f) as u32);
    image::imageops::resize(img, w, h, FilterType::Triangle)
}

/// The ways a photo is copied from another ad: names and what they do.
fn copies(img: &RgbImage, rng: &mut StdRng) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("re-encoded q40", jpeg(img, 40)),
        ("resized 50 %", jpeg(&resize(img, 0.5), 85)),
        ("resized 160 %", jpeg(&resize(img, 1.6), 85)),
        ("cropped 5 %", jpeg(&crop(img, 0.05, rng), 85)),
        ("cropped 10 %", jpeg(&crop(img, 0.10, rng), 85)),
        ("brighter +25 %", jpeg(&brighten(img, 1.25), 85)),
        ("darker -25 %", jpeg(&brighten(img, 0.75), 85)),
        (
            "cropped 5 % + resized 60 % + q60",
            jpeg(&resize(&brighten(&crop(img, 0.05, rng), 1.1), 0.6), 60),
        ),
    ]
}

fn hash(bytes: &[u8]) -> u64 {
    souk_api::imaging::process(bytes)
        .expect("pipeline")
        .phash
        .expect("a photo with structure")
}

fn main() {
    let args = Args::parse();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let models: Vec<Model> = (0..args.models)
        .map(|i| model(&mut rng, i % 2 == 1))
        .collect();
    // (model, hash) of every original, as the database would hold them.
    let mut originals: Vec<(usize, u64)> = Vec::new();
    // (index of its original, transform, hash) of every copy.
    let mut queries: Vec<(usize, &'static str, u64)> = Vec::new();
    let started = std::time::Instant::now();
    for (mi, m) in models.iter().enumerate() {
        for _ in 0..args.photos {
            let photo = photograph(m, &mut rng);
            let original = originals.len();
            originals.push((mi, hash(&jpeg(&photo, 90))));
            for (name, bytes) in copies(&photo, &mut rng) {
                queries.push((original, name, hash(&bytes)));
            }
        }
        eprint!("\r{}/{} models", mi + 1, models.len());
    }
    eprintln!(
        "\r{} originals, {} copies hashed in {:.1} s",
        originals.len(),
        queries.len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "| threshold | recall | recall through the band lookup | precision | same-model photos within | other photos within |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for t in [4, 6, 8, 10, 12, 14] {
        let (mut found, mut looked_up, mut tp, mut fp) = (0usize, 0usize, 0usize, 0usize);
        for (orig, _, h) in &queries {
            // What the database lookup reads: fingerprints sharing a probed band key.
            let probes = probe_keys(*h);
            for (i, (_, o)) in originals.iter().enumerate() {
                if hamming(*h, *o) <= t {
                    if i == *orig {
                        tp += 1;
                        found += 1;
                        if band_keys(*o).iter().any(|k| probes.contains(k)) {
                            looked_up += 1;
                        }
                    } else {
                        fp += 1;
                    }
                }
            }
        }
        let (mut same, mut same_n, mut other, mut other_n) = (0, 0, 0, 0);
        for (i, (ma, a)) in originals.iter().enumerate() {
            for (mb, b) in &originals[i + 1..] {
                let near = hamming(*a, *b) <= t;
                if ma == mb {
                    same_n += 1;
                    same += usize::from(near);
                } else {
                    other_n += 1;
                    other += usize::from(near);
                }
            }
        }
        let mark = if t == PHOTO_MAX_DISTANCE {
            " (used)"
        } else {
            ""
        };
        println!(
            "| {t}{mark} | {:.3} | {:.3} | {:.3} | {same} of {same_n} | {other} of {other_n} |",
            found as f64 / queries.len() as f64,
            looked_up as f64 / queries.len() as f64,
            tp as f64 / (tp + fp).max(1) as f64,
        );
    }
    println!();
    println!("Recall per kind of copy at {PHOTO_MAX_DISTANCE} bits, with the median distance:");
    let mut kinds: Vec<&str> = queries.iter().map(|q| q.1).collect();
    kinds.dedup();
    kinds.sort();
    kinds.dedup();
    for k in kinds {
        let mut d: Vec<u32> = queries
            .iter()
            .filter(|q| q.1 == k)
            .map(|(o, _, h)| hamming(*h, originals[*o].1))
            .collect();
        d.sort();
        let within = d.iter().filter(|x| **x <= PHOTO_MAX_DISTANCE).count();
        println!(
            "- {k}: {:.3} (median {} bits, worst {})",
            within as f64 / d.len() as f64,
            d[d.len() / 2],
            d[d.len() - 1]
        );
    }
}
