//! Issue 23, item 7: thirty parallel 9.9 MB uploads to one ad. Before the upload gate all
//! thirty bodies were read into memory and decoded while they queued, 22 refused only
//! afterwards (peak RSS 658 MB on the release binary). Now an upload takes a permit (a share
//! of a byte budget, one of two places per account) before its body is read, and a photo
//! slot in the database before it is decoded: at most 8 are decoded, the rest are refused
//! with their bodies unread. Alone in its test binary, so the process's peak resident size
//! and its decode counter are this test's.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use souk_tests::images::heavy_jpeg;
use souk_tests::{car_ad, Backend, TestApp};

const UPLOADS: usize = 30;
const PHOTO_BYTES: usize = 9_900_000;
/// Peak resident growth allowed: two bodies read at once (about 10 MB each, in a buffer that
/// may double) and two decodes of 1600×1200 pixels with their resized copies. Unbounded, the
/// thirty bodies alone held about 300 MB.
const CEILING_MB: u64 = 200;

async fn decodes_so_far(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with("souk_image_decodes_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn parallel_uploads_to_one_ad_are_refused_before_they_are_read() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("no /proc: upload gate test skipped");
        return;
    }
    let photo = Bytes::from(heavy_jpeg(1600, 1200, PHOTO_BYTES));
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seller = app.user("uploads@example.dz").await;
    let ad = app
        .create_listing(&seller, car_ad(json!({"title": "Golf 7 très propre"})))
        .await;
    let id = ad["id"].as_i64().unwrap();
    let decodes_before = decodes_so_far(&app).await;
    let before_mb = souk_tests::proc_status_kb("VmRSS:") / 1024;

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    let mut uploads = Vec::new();
    for _ in 0..UPLOADS {
        let client = client.clone();
        let url = app.url(&format!("/v1/listings/{id}/photos"));
        let token = seller.clone();
        // One buffer shared by all thirty requests: the client's memory stays out of the
        // measure.
        let body = reqwest::Body::from(photo.clone());
        uploads.push(tokio::spawn(async move {
            let part = reqwest::multipart::Part::stream_with_length(body, PHOTO_BYTES as u64)
                .file_name("big.jpg")
                .mime_str("image/jpeg")
                .unwrap();
            let form = reqwest::multipart::Form::new().part("photo", part);
            let res = client
                .post(url)
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await;
            match res {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let retry_after = res.headers().contains_key("retry-after");
                    let body: serde_json::Value = res.json().await.unwrap_or_default();
                    Some((status, retry_after, body))
                }
                // The server may answer and close before this client finished sending a
                // body it refused to read; the client then sees the reset, not the answer.
                Err(_) => None,
            }
        }));
    }
    let mut created = 0;
    let mut refused = 0;
    for u in uploads {
        match u.await.unwrap() {
            Some((201, _, _)) => created += 1,
            Some((409, _, body)) => {
                assert_eq!(body["type"], "/problems/too_many_photos", "{body}");
                refused += 1;
            }
            Some((503, retry_after, body)) => {
                assert!(retry_after, "a 503 says when to come back: {body}");
                refused += 1;
            }
            Some((status, _, body)) => panic!("unexpected {status}: {body}"),
            None => refused += 1,
        }
    }
    let peak_mb = souk_tests::proc_status_kb("VmHWM:") / 1024;
    let decoded = decodes_so_far(&app).await - decodes_before;
    eprintln!(
        "{created} created, {refused} refused, {decoded} decoded; resident before {before_mb} MB, peak {peak_mb} MB"
    );

    assert!(created >= 1, "the owner's uploads still get through");
    assert!(
        decoded <= 8,
        "{decoded} uploads decoded for an ad of 8 photos"
    );
    assert_eq!(created + refused, UPLOADS);
    assert!(
        peak_mb.saturating_sub(before_mb) < CEILING_MB,
        "peak {peak_mb} MB is {} MB over the start",
        peak_mb - before_mb
    );

    // The cap holds and no refused upload left a slot taken.
    let view = app.get(&format!("/v1/listings/{id}")).await;
    let view: serde_json::Value = view.json().await.unwrap();
    let shown = view["photos"].as_array().map_or(0, Vec::len);
    assert_eq!(shown, created, "{view}");
    assert!(shown <= 8);
    if created < 8 {
        let res = app.upload_photo(&seller, id, photo.to_vec()).await;
        assert_eq!(res.status(), 201, "a free slot takes the next upload");
    }
}
