//! Photos: EXIF (GPS) stripped, orientation applied, format decided by content, size and
//! count limits, files removed with their photo or listing.

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::images::{contains, jpeg, jpeg_with_exif, png, GPS_MARKER};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

async fn upload(
    app: &TestApp,
    token: &str,
    listing: i64,
    bytes: Vec<u8>,
    filename: &str,
) -> reqwest::Response {
    let form = Form::new().part("photo", Part::bytes(bytes).file_name(filename.to_string()));
    app.client
        .post(app.url(&format!("/v1/listings/{listing}/photos")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload sent")
}

fn photo_files(app: &TestApp) -> usize {
    let dir = app.data_dir.join("photos");
    souk_tests::files_under(&dir)
}

#[tokio::test]
async fn uploaded_photo_loses_its_exif_and_is_served_publicly() {
    each_backend(|app| async move {
        let seller = app.user("photo@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let id = ad["id"].as_i64().unwrap();

        let original = jpeg_with_exif(64, 32, 6);
        assert!(contains(&original, b"Exif") && contains(&original, GPS_MARKER));
        // The name lies; the bytes decide.
        let res = upload(&app, &seller, id, original, "holiday.png").await;
        assert_eq!(res.status(), 201);
        let photo: Value = res.json().await.unwrap();
        // Orientation 6 (rotate 90°) was applied before the EXIF was dropped.
        assert_eq!(
            (photo["width"].as_i64(), photo["height"].as_i64()),
            (Some(32), Some(64))
        );

        for url in [
            photo["large_url"].as_str().unwrap(),
            photo["thumb_url"].as_str().unwrap(),
        ] {
            let res = app.get(url).await;
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-type"], "image/jpeg");
            let bytes = res.bytes().await.unwrap();
            assert!(!contains(&bytes, b"Exif"), "{url} still has EXIF");
            assert!(
                !contains(&bytes, GPS_MARKER),
                "{url} still has the GPS block"
            );
            image::load_from_memory(&bytes).expect("a real image");
        }

        let listing: Value = app
            .get(&format!("/v1/listings/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listing["photos"][0]["id"], photo["id"]);
        let page: Value = app.browse("").await;
        assert_eq!(page["items"][0]["thumbnail_url"], photo["thumb_url"]);

        // Another user cannot add or remove photos.
        let other = app.user("other@example.dz").await;
        assert_problem(
            upload(&app, &other, id, jpeg(10, 10), "x.jpg").await,
            403,
            "forbidden",
        )
        .await;
        let del = format!("/v1/listings/{id}/photos/{}", photo["id"]);
        assert_problem(
            app.call(Method::DELETE, &del, Some(&other), None).await,
            403,
            "forbidden",
        )
        .await;

        // Deleting the photo removes its files.
        assert_eq!(photo_files(&app), 2);
        assert_eq!(
            app.call(Method::DELETE, &del, Some(&seller), None)
                .await
                .status(),
            204
        );
        assert_eq!(photo_files(&app), 0);
        assert_problem(
            app.get(photo["large_url"].as_str().unwrap()).await,
            404,
            "not_found",
        )
        .await;

        // Deleting the listing removes the files of its photos.
        let res = upload(&app, &seller, id, png(50, 40), "b.png").await;
        assert_eq!(res.status(), 201);
        assert_eq!(photo_files(&app), 2);
        assert_eq!(
            app.call(
                Method::DELETE,
                &format!("/v1/listings/{id}"),
                Some(&seller),
                None
            )
            .await
            .status(),
            204
        );
        assert_eq!(photo_files(&app), 0);
    })
    .await;
}

#[tokio::test]
async fn photo_limits_hold() {
    each_backend(|app| async move {
        let seller = app.user("limits@example.dz").await;
        let id = app.create_listing(&seller, car_ad(json!({}))).await["id"]
            .as_i64()
            .unwrap();

        assert_problem(
            upload(
                &app,
                &seller,
                id,
                b"<?php echo 'not an image'; ?>".to_vec(),
                "a.jpg",
            )
            .await,
            415,
            "unsupported_media_type",
        )
        .await;
        let mut too_big = jpeg(16, 16);
        too_big.resize(10 * 1024 * 1024 + 10, 0);
        assert_problem(
            upload(&app, &seller, id, too_big, "big.jpg").await,
            413,
            "payload_too_large",
        )
        .await;
        // A tiny file announcing 30000×30000 pixels: refused from its header, never decoded.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&30_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&30_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_problem(
            upload(&app, &seller, id, bomb, "bomb.png").await,
            413,
            "payload_too_large",
        )
        .await;
        let truncated = jpeg(40, 40)[..200].to_vec();
        assert_problem(
            upload(&app, &seller, id, truncated, "cut.jpg").await,
            422,
            "validation",
        )
        .await;
        let form = Form::new().text("note", "no file here");
        let res = app
            .client
            .post(app.url(&format!("/v1/listings/{id}/photos")))
            .bearer_auth(&seller)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_problem(res, 422, "validation").await;
        let res = app
            .client
            .post(app.url(&format!("/v1/listings/{id}/photos")))
            .bearer_auth(&seller)
            .body("raw")
            .send()
            .await
            .unwrap();
        assert_problem(res, 415, "unsupported_media_type").await;
        // Ignored parts count against the same budget: no endless streaming through them.
        let form = Form::new()
            .part("padding", Part::bytes(vec![b'x'; 11 * 1024 * 1024]))
            .part("photo", Part::bytes(jpeg(8, 8)).file_name("p.jpg"));
        let res = app
            .client
            .post(app.url(&format!("/v1/listings/{id}/photos")))
            .bearer_auth(&seller)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_problem(res, 413, "payload_too_large").await;

        for i in 0..8 {
            assert_eq!(
                upload(&app, &seller, id, jpeg(20 + i, 20), "p.jpg")
                    .await
                    .status(),
                201,
                "photo {i}"
            );
        }
        assert_problem(
            upload(&app, &seller, id, jpeg(20, 20), "p.jpg").await,
            409,
            "too_many_photos",
        )
        .await;
        assert_problem(
            upload(&app, &seller, 987654, jpeg(20, 20), "p.jpg").await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            app.get("/v1/photos/..%2F..%2Fetc%2Fpasswd/large.jpg").await,
            404,
            "not_found",
        )
        .await;
    })
    .await;
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
