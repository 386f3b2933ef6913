//! `SOUK_PHOTOS_PUBLIC_URL`: photo links point at a public base (a CDN, or the bucket's
//! public address for its `photos/` prefix) and the file is there under that link. Its own
//! test binary: where photos are linked is set once per process.

use serde_json::{json, Value};
use souk_tests::images::jpeg;
use souk_tests::s3::S3Server;
use souk_tests::{car_ad, Backend, TestApp};

#[tokio::test]
async fn photo_links_point_at_the_public_base_where_the_files_are() {
    let Some(s3) = S3Server::start("souk-public").await else {
        return;
    };
    let base = format!("{}/{}/photos", s3.endpoint, s3.bucket);
    let (files, public) = (s3.files_config(), base.clone());
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.files = files;
        c.photos_public_url = Some(public);
    })
    .await;
    let seller = app.user("cdn@example.dz").await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await["id"]
        .as_i64()
        .unwrap();
    let res = app.upload_photo(&seller, ad, jpeg(64, 48)).await;
    assert_eq!(res.status(), 201);
    let photo: Value = res.json().await.unwrap();
    let large = photo["large_url"].as_str().unwrap();
    assert!(large.starts_with(&format!("{base}/")), "{large}");
    // Straight from the bucket's address, as a browser following the link would.
    let res = reqwest::get(large).await.unwrap();
    assert_eq!(res.status(), 200, "{large}");
    assert_eq!(&res.bytes().await.unwrap()[..2], b"\xff\xd8", "a JPEG");

    // The ad page and search results link there too.
    let page: Value = app
        .get(&format!("/v1/listings/{ad}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["photos"][0]["large_url"], large);
    app.settle().await;
    let hits: Value = app.get("/v1/search").await.json().await.unwrap();
    let thumb = hits["items"][0]["thumbnail_url"].as_str().unwrap();
    assert!(thumb.starts_with(&format!("{base}/")), "{thumb}");
    assert_eq!(reqwest::get(thumb).await.unwrap().status(), 200);
}
