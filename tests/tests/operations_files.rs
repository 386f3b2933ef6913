//! Photos, message photos and export archives in an S3-compatible bucket, against a real S3
//! server process on loopback (`souk_tests::s3`): where each kind of file lands, that files
//! follow their rows, an outage (uploads refused with 503, nothing half-written, the rest of
//! the site serving), bad bucket settings refused at start, and moving a local site into a
//! bucket, twice over.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::images::jpeg;
use souk_tests::s3::S3Server;
use souk_tests::{assert_problem, car_ad, Backend, TestApp};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

/// The bucket key of a public photo URL (`/v1/photos/{key}/{size}.jpg`).
fn photo_key(url: &str) -> String {
    let rest = url.trim_start_matches("/v1/photos/");
    let (key, file) = rest.split_once('/').expect("key/size");
    let size = file.trim_end_matches(".jpg");
    format!("photos/{}/{key}_{size}.jpg", &key[..2])
}

#[tokio::test]
async fn photos_message_photos_and_archives_live_in_the_bucket_and_follow_their_rows() {
    let Some(s3) = S3Server::start("souk-photos").await else {
        return;
    };
    let files = s3.files_config();
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.files = files).await;
    let seller = app.user("seller@example.dz").await;
    let buyer = app.user("buyer@example.dz").await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await["id"]
        .as_i64()
        .unwrap();

    // An ad photo: both sizes in the bucket under photos/, nothing on the local disk, served
    // through the API with long immutable caching.
    let res = app.upload_photo(&seller, ad, jpeg(64, 48)).await;
    assert_eq!(res.status(), 201);
    let photo = json_of(res).await;
    let large_url = photo["large_url"].as_str().unwrap().to_string();
    let large_key = photo_key(&large_url);
    let thumb_key = photo_key(photo["thumb_url"].as_str().unwrap());
    let stored = s3
        .object(&large_key)
        .await
        .expect("large size in the bucket");
    assert!(
        s3.object(&thumb_key).await.is_some(),
        "thumbnail in the bucket"
    );
    assert_eq!(
        souk_tests::files_under(&app.data_dir.join("photos")),
        0,
        "no local copy"
    );
    let res = app.get(&large_url).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(
        res.bytes().await.unwrap().to_vec(),
        stored,
        "served from the bucket"
    );

    // A photo in a thread: under message-photos/, never under the public prefix, and the
    // public photo route does not serve its key.
    let thread = json_of(
        app.contact(
            &buyer,
            ad,
            json!({"message": "Salam, disponible ?", "name": "Karim"}),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let res = app.send_photo(&buyer, thread, jpeg(40, 30)).await;
    assert_eq!(res.status(), 201);
    let sent = json_of(res).await;
    let private_url = sent["photo"]["large_url"].as_str().unwrap().to_string();
    let private_key = private_url.rsplit('/').nth(1).unwrap().to_string();
    let private_objects = s3.keys("message-photos/").await;
    assert_eq!(private_objects.len(), 2, "{private_objects:?}");
    assert!(private_objects.iter().all(|k| k.contains(&private_key)));
    assert!(
        s3.keys("photos/")
            .await
            .iter()
            .all(|k| !k.contains(&private_key)),
        "a message photo never lands under the public prefix"
    );
    assert_eq!(
        app.get(&format!("/v1/photos/{private_key}/large.jpg"))
            .await
            .status(),
        404
    );
    // The bucket's public policy opens photos/ alone: a stranger who learns the key cannot
    // read the message photo from the bucket either.
    assert!(s3.object(&private_objects[0]).await.is_none());
    let res = app
        .call(Method::GET, &private_url, Some(&seller), None)
        .await;
    assert_eq!(res.status(), 200, "the other side of the thread loads it");
    assert_eq!(
        app.call(Method::GET, &private_url, None, None)
            .await
            .status(),
        401
    );

    // The export archive: built by the worker into exports/, downloaded through the API with
    // the ad's photo inside.
    let res = app
        .call(Method::GET, "/v1/me/export", Some(&seller), None)
        .await;
    assert_eq!(res.status(), 202);
    app.wait_for_email("seller@example.dz", "/v1/exports/")
        .await;
    let archives = s3.keys("exports/").await;
    assert_eq!(archives.len(), 1, "{archives:?}");
    let res = app
        .call(Method::GET, "/v1/me/export", Some(&seller), None)
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    assert!(
        zip.file_names()
            .any(|n| n.starts_with(&format!("photos/{ad}/"))),
        "the ad's photo, read from the bucket, is in the archive"
    );

    // Deleting the photo removes both objects; deleting the ad removes its photos' objects.
    let del = format!("/v1/listings/{ad}/photos/{}", photo["id"]);
    let res = app.call(Method::DELETE, &del, Some(&seller), None).await;
    assert_eq!(res.status(), 204);
    assert!(s3.object(&large_key).await.is_none());
    assert!(s3.object(&thumb_key).await.is_none());
    let res = app.upload_photo(&seller, ad, jpeg(50, 40)).await;
    assert_eq!(res.status(), 201);
    assert_eq!(s3.keys("photos/").await.len(), 2);
    let res = app
        .call(
            Method::DELETE,
            &format!("/v1/listings/{ad}"),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(s3.keys("photos/").await, Vec::<String>::new());

    // The purge of an ad expired long ago removes its photos' objects.
    let old_ad = app.create_listing(&seller, car_ad(json!({}))).await["id"]
        .as_i64()
        .unwrap();
    let res = app.upload_photo(&seller, old_ad, jpeg(70, 50)).await;
    assert_eq!(res.status(), 201);
    assert_eq!(s3.keys("photos/").await.len(), 2);
    app.set_expiry(old_ad, chrono::Duration::days(-100));
    app.run_worker_once().await;
    app.run_worker_once().await;
    assert_eq!(s3.keys("photos/").await, Vec::<String>::new(), "purged");

    // Deleting the account removes its export archive.
    let res = app
        .call(
            Method::DELETE,
            "/v1/me",
            Some(&seller),
            Some(json!({"password": souk_tests::PASSWORD})),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(s3.keys("exports/").await, Vec::<String>::new());
}

#[tokio::test]
async fn an_outage_refuses_uploads_with_503_and_leaves_the_rest_of_the_site_serving() {
    let Some(mut s3) = S3Server::start("souk-outage").await else {
        return;
    };
    let files = s3.files_config();
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.files = files).await;
    let seller = app.user("outage@example.dz").await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await["id"]
        .as_i64()
        .unwrap();
    let res = app.upload_photo(&seller, ad, jpeg(64, 48)).await;
    assert_eq!(res.status(), 201);
    let photo_url = json_of(res).await["large_url"]
        .as_str()
        .unwrap()
        .to_string();
    app.settle().await;

    s3.stop();
    let started = std::time::Instant::now();
    let res = app.upload_photo(&seller, ad, jpeg(64, 48)).await;
    assert_problem(res, 503, "unavailable").await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "refused within the storage timeout, not hung: {:?}",
        started.elapsed()
    );
    // Nothing half-written: the ad still has its one photo, and the slot was given back.
    let page = json_of(app.get(&format!("/v1/listings/{ad}")).await).await;
    assert_eq!(page["photos"].as_array().unwrap().len(), 1, "{page}");
    // The rest of the site serves: the ad, search, the seller's own list.
    assert_eq!(app.search_ids("").await, vec![ad]);
    let res = app
        .call(Method::GET, "/v1/me/listings", Some(&seller), None)
        .await;
    assert_eq!(res.status(), 200);
    let res = app.get("/readyz").await;
    assert_eq!(
        res.status(),
        200,
        "an outage of the bucket does not unready the API"
    );
    // Serving a photo answers 503 (retry), not 404 (gone).
    assert_eq!(app.get(&photo_url).await.status(), 503);

    // Back: uploads work again.
    s3.restart().await;
    let res = app.upload_photo(&seller, ad, jpeg(64, 48)).await;
    assert_eq!(res.status(), 201);
    let page = json_of(app.get(&format!("/v1/listings/{ad}")).await).await;
    assert_eq!(page["photos"].as_array().unwrap().len(), 2);
    assert_eq!(
        s3.keys("photos/").await.len(),
        2,
        "the new photo's two sizes"
    );
}

#[tokio::test]
async fn a_missing_bucket_or_an_unreachable_server_stops_the_start_with_what_to_fix() {
    let Some(mut s3) = S3Server::start("souk-exists").await else {
        return;
    };
    let db = souk_tests::TestDb::create(Backend::Sqlite);
    let data = tempfile::tempdir().unwrap();
    let start = |files| {
        let mut config = souk_tests::test_config(&db.url, data.path());
        config.files = files;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        souk_api::start(config, listener)
    };
    let refused = match start(s3.files_config_for("no-such-bucket")).await {
        Ok(_) => panic!("started on a bucket that does not exist"),
        Err(e) => e.to_string(),
    };
    assert!(
        refused.contains("no-such-bucket") && refused.contains("SOUK_S3_BUCKET"),
        "{refused}"
    );
    s3.stop();
    let refused = match start(s3.files_config()).await {
        Ok(_) => panic!("started with the S3 server down"),
        Err(e) => e.to_string(),
    };
    assert!(refused.contains("SOUK_S3_ENDPOINT"), "{refused}");
}

#[tokio::test]
async fn a_local_site_moves_into_a_bucket_and_a_second_run_copies_nothing_again() {
    let Some(s3) = S3Server::start("souk-moved").await else {
        return;
    };
    // A site on local folders: two ad photos and a message photo.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seller = app.user("mover@example.dz").await;
    let buyer = app.user("buyer@example.dz").await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await["id"]
        .as_i64()
        .unwrap();
    let mut urls = Vec::new();
    for size in [64, 80] {
        let res = app.upload_photo(&seller, ad, jpeg(size, 48)).await;
        assert_eq!(res.status(), 201);
        urls.push(
            json_of(res).await["large_url"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let thread = json_of(
        app.contact(&buyer, ad, json!({"message": "Salam", "name": "Karim"}))
            .await,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.send_photo(&buyer, thread, jpeg(40, 30)).await.status(),
        201
    );
    let before = app.get(&urls[0]).await.bytes().await.unwrap().to_vec();

    let mut config = (*app.running.state.config).clone();
    config.files = s3.files_config();
    let mut lines = Vec::new();
    let first = souk_api::bucket_copy::files_to_bucket(&config, &mut |l| lines.push(l.to_string()))
        .await
        .expect("copied");
    assert_eq!(
        (first.copied, first.already_there, first.failed),
        (6, 0, 0),
        "{lines:?}"
    );
    assert_eq!(s3.keys("photos/").await.len(), 4);
    assert_eq!(s3.keys("message-photos/").await.len(), 2);
    // Stopped and run again, or run after the switch: nothing is copied twice.
    let second = souk_api::bucket_copy::files_to_bucket(&config, &mut |_| {})
        .await
        .expect("second run");
    assert_eq!((second.copied, second.already_there), (0, 6));

    // A process on the bucket serves the moved photo, byte for byte.
    let files = s3.files_config();
    let moved = app.beside(|c| c.files = files).await;
    let res = moved.get(&urls[0]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), before);
    drop(moved);
}
