//! Many parallel uploads of a small file that decodes big (a 6000×6000 PNG of one colour:
//! 150 KB on the wire, 108 MB of pixels) must not take the process's memory: decodes wait
//! for one of `SOUK_IMAGE_DECODE_SLOTS` (2 here). Alone in its test binary, so the process's
//! peak resident size is this test's.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};
use reqwest::StatusCode;
use serde_json::json;
use souk_tests::{car_ad, Backend, TestApp};

const UPLOADS: usize = 24;
/// Growth of the peak resident size allowed over the start: two decodes at once (each about
/// 110 MB of pixels plus resizing buffers) with room to spare. Unbounded, 24 decodes at once
/// took several gigabytes.
const CEILING_MB: u64 = 1000;

fn flat_png(side: u32) -> Vec<u8> {
    let pixels = vec![200u8; (side * side * 3) as usize];
    let mut out = Vec::new();
    PngEncoder::new_with_quality(
        Cursor::new(&mut out),
        CompressionType::Best,
        FilterType::NoFilter,
    )
    .write_image(&pixels, side, side, ExtendedColorType::Rgb8)
    .expect("png");
    out
}

#[tokio::test]
async fn parallel_uploads_that_decode_big_stay_under_a_memory_ceiling() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("no /proc: memory ceiling test skipped");
        return;
    }
    let bomb = flat_png(6000);
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    // Room for all of them at the upload gate: this test is about the decodes behind it
    // (tests/tests/listings_abuse_uploads.rs is about the gate).
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.uploads_per_account = UPLOADS;
        c.upload_wait_secs = 600;
    })
    .await;
    let seller = app.user("photos@example.dz").await;
    let mut listings = Vec::new();
    for i in 0..UPLOADS.div_ceil(8) {
        let ad = app
            .create_listing(
                &seller,
                car_ad(json!({"title": format!("Golf {i} très propre")})),
            )
            .await;
        listings.push(ad["id"].as_i64().unwrap());
    }
    let before_mb = souk_tests::proc_status_kb("VmRSS:") / 1024;
    let mut uploads = Vec::new();
    // The uploads queue for two decode slots by design: the last waits about twelve decodes,
    // longer than the harness's 30 s request timeout in a debug build.
    let patient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(180))
        .build()
        .unwrap();
    for n in 0..UPLOADS {
        let client = patient.clone();
        let url = app.url(&format!("/v1/listings/{}/photos", listings[n / 8]));
        let token = seller.clone();
        let bytes = bomb.clone();
        uploads.push(tokio::spawn(async move {
            let form = reqwest::multipart::Form::new().part(
                "photo",
                reqwest::multipart::Part::bytes(bytes).file_name("flat.png"),
            );
            client
                .post(url)
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    for u in uploads {
        assert_eq!(u.await.unwrap().unwrap(), StatusCode::CREATED);
    }
    let peak_mb = souk_tests::proc_status_kb("VmHWM:") / 1024;
    eprintln!("resident before {before_mb} MB, peak {peak_mb} MB, {UPLOADS} uploads");
    assert!(
        peak_mb.saturating_sub(before_mb) < CEILING_MB,
        "peak {peak_mb} MB is {} MB over the start",
        peak_mb - before_mb
    );
}
