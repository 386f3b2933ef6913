//! `souk-api backup` and `restore`: a backup taken while sellers keep posting restores, on a new
//! site, every ad it holds with its photos, the message photos, and the sessions (the generated
//! JWT secret); the index is rebuilt from it. An interrupted backup and a restore over a live
//! database are refused and change nothing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};
use souk_api::backup::{backup, restore, BackupError};
use souk_tests::images::jpeg;
use souk_tests::{car_ad, test_config, Backend, TestApp, TestDb};

async fn bytes_of(app: &TestApp, path: &str, token: Option<&str>) -> Vec<u8> {
    let res = app.call(Method::GET, path, token, None).await;
    assert_eq!(res.status(), 200, "{path}");
    res.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_backup_taken_while_sellers_post_restores_ads_photos_and_sessions() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.jwt_secret = None).await;
    let seller = app.user("seller@example.dz").await;
    let buyer = app.user("buyer@example.dz").await;
    let mut ads = Vec::new();
    for i in 0..4u32 {
        let ad = app
            .create_listing(
                &seller,
                car_ad(json!({"title": format!("Renault Clio {} diesel", 2010 + i)})),
            )
            .await;
        let id = ad["id"].as_i64().unwrap();
        let res = app.upload_photo(&seller, id, jpeg(64 + i * 8, 48)).await;
        assert_eq!(res.status(), 201);
        let photo: Value = res.json().await.unwrap();
        let url = photo["large_url"].as_str().unwrap().to_string();
        let original = bytes_of(&app, &url, None).await;
        ads.push((id, ad["title"].clone(), url, original));
    }
    let res = app
        .contact(
            &buyer,
            ads[0].0,
            json!({"message": "Salam", "name": "Karim"}),
        )
        .await;
    let thread = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let part = reqwest::multipart::Part::bytes(jpeg(40, 30)).file_name("p.jpg");
    let sent: Value = app
        .client
        .post(app.url(&format!("/v1/conversations/{thread}/photos")))
        .bearer_auth(&seller)
        .multipart(reqwest::multipart::Form::new().part("photo", part))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message_photo = sent["photo"]["large_url"].as_str().unwrap().to_string();
    let message_bytes = bytes_of(&app, &message_photo, Some(&buyer)).await;

    // Another seller keeps posting while the backup runs.
    let poster = app.user("poster@example.dz").await;
    let stop = Arc::new(AtomicBool::new(false));
    let posted = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, posted) = (stop.clone(), posted.clone());
        let (client, url) = (app.client.clone(), app.url("/v1/listings"));
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let body = car_ad(json!({"title": format!("Peugeot 208 numéro {n}")}));
                let res = client
                    .post(&url)
                    .bearer_auth(&poster)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201, "posting goes on during the backup");
                n += 1;
                posted.store(n, Ordering::Relaxed);
            }
        })
    };
    while posted.load(Ordering::Relaxed) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("backup");
    let config = app.running.state.config.clone();
    let into = dest.clone();
    let manifest = tokio::task::spawn_blocking(move || backup(&config, &into, &mut |_| {}))
        .await
        .unwrap()
        .expect("backup");
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    let counts = manifest.counts.expect("the database is in it");
    assert!(counts.listings >= 4 + 3, "{counts:?}");
    assert!(manifest.jwt_secret);
    assert!(!dest.join("index").exists(), "never the index");
    // A second backup into the same folder is refused.
    let config = app.running.state.config.clone();
    assert!(matches!(
        backup(&config, &dest, &mut |_| {}),
        Err(BackupError::Refused(_))
    ));

    // A new site, restored from it.
    let db = TestDb::create(Backend::Sqlite);
    let data = tempfile::tempdir().unwrap();
    let mut target = test_config(&db.url, data.path());
    target.jwt_secret = None;
    let lines = std::sync::Mutex::new(Vec::<String>::new());
    restore(&target, &dest, false, &mut |l| {
        lines.lock().unwrap().push(l.to_string())
    })
    .expect("restore");
    // Run again, it refuses to replace the database it just wrote, and changes nothing.
    let before = std::fs::metadata(db.url.trim_start_matches("sqlite://"))
        .unwrap()
        .len();
    assert!(matches!(
        restore(&target, &dest, false, &mut |_| {}),
        Err(BackupError::Refused(_))
    ));
    assert_eq!(
        std::fs::metadata(db.url.trim_start_matches("sqlite://"))
            .unwrap()
            .len(),
        before
    );

    let restored = TestApp::start_in(Backend::Sqlite, db, data, |c| c.jwt_secret = None).await;
    restored.wait_for_search_ready().await;
    for (id, title, url, original) in &ads {
        let res = restored.get(&format!("/v1/listings/{id}")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(&res.json::<Value>().await.unwrap()["title"], title);
        assert_eq!(&bytes_of(&restored, url, None).await, original, "{url}");
    }
    assert_eq!(
        bytes_of(&restored, &message_photo, Some(&buyer)).await,
        message_bytes,
        "the message photo, still for the thread's people"
    );
    // Sessions of the old site go on: the secret came back with the data.
    let me = restored
        .call(Method::GET, "/v1/me", Some(&seller), None)
        .await;
    assert_eq!(me.status(), 200);
    // Exactly the ads of the snapshot, and the rebuilt index finds them.
    let total = souk_store::listings::count_all(&mut restored.store()).unwrap();
    assert_eq!(total, counts.listings);
    restored.settle().await;
    let found: Value = restored
        .get("/v1/search?q=clio&facets=false")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 4, "{found}");
}

#[tokio::test]
async fn an_interrupted_backup_is_refused_and_the_site_is_untouched() {
    let folder = tempfile::tempdir().unwrap();
    let half = folder.path().join("half");
    std::fs::create_dir_all(half.join("photos")).unwrap();
    std::fs::write(half.join("souk.db"), b"not a database").unwrap();
    let db = TestDb::create(Backend::Sqlite);
    let data = tempfile::tempdir().unwrap();
    let config = test_config(&db.url, data.path());
    let err = restore(&config, &half, true, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("manifest"), "{err}");
    assert!(!std::path::Path::new(db.url.trim_start_matches("sqlite://")).exists());
}

#[tokio::test]
async fn on_postgresql_the_backup_holds_the_files_and_says_to_pg_dump() {
    if !souk_tests::backends().contains(&Backend::Postgres) {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let seller = app.user("seller@example.dz").await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await;
    let res = app
        .upload_photo(&seller, ad["id"].as_i64().unwrap(), jpeg(64, 48))
        .await;
    assert_eq!(res.status(), 201);
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("backup");
    let config = app.running.state.config.clone();
    let mut said = Vec::new();
    let manifest = backup(&config, &dest, &mut |l| said.push(l.to_string())).unwrap();
    assert_eq!(manifest.backend, "postgres");
    assert!(manifest.database.is_none());
    assert!(said.iter().any(|l| l.contains("pg_dump")), "{said:?}");
    let photos = manifest
        .folders
        .iter()
        .find(|f| f.name == "photos")
        .unwrap();
    assert!(photos.files >= 2, "large and thumbnail: {photos:?}");
}

#[tokio::test]
async fn an_index_kept_across_a_restore_to_older_data_is_rebuilt_not_trusted() {
    // Each API process of a deployment keeps its index in a folder of its own, which a restore
    // run with the shared configuration does not touch.
    let index = tempfile::tempdir().unwrap();
    let index_dir = index.path().join("index");
    let dir = index_dir.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |c| c.index_dir = dir).await;
    let seller = app.user("seller@example.dz").await;
    let mut kept = Vec::new();
    for i in 0..2 {
        let ad = app
            .create_listing(
                &seller,
                car_ad(json!({"title": format!("Renault Clio restore {i}")})),
            )
            .await;
        kept.push(ad["id"].as_i64().unwrap());
    }
    app.settle().await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("backup");
    let config = app.running.state.config.clone();
    let into = dest.clone();
    tokio::task::spawn_blocking(move || backup(&config, &into, &mut |_| {}))
        .await
        .unwrap()
        .expect("backup");
    // Later ads, in the index, not in the backup.
    for i in 2..5 {
        app.create_listing(
            &seller,
            car_ad(json!({"title": format!("Renault Clio restore {i}")})),
        )
        .await;
    }
    app.settle().await;
    app.running.stop().await;
    drop(app);

    // The database goes back to the backup; the index folder stays as it was.
    let db = TestDb::create(Backend::Sqlite);
    std::fs::copy(dest.join("souk.db"), db.url.trim_start_matches("sqlite://")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let dir = index_dir.clone();
    let restored = TestApp::start_in(Backend::Sqlite, db, data, move |c| c.index_dir = dir).await;
    restored.wait_for_search_ready().await;
    restored.settle().await;
    assert_eq!(
        restored.search_ids("q=clio").await,
        kept,
        "only the ads of the restored database"
    );
    // New changes reuse the feed's positions after the restore: they still show.
    let ad = restored
        .create_listing(
            &seller,
            car_ad(json!({"title": "Renault Clio after the restore"})),
        )
        .await;
    restored.settle().await;
    let mut expected = kept.clone();
    expected.push(ad["id"].as_i64().unwrap());
    assert_eq!(restored.search_ids("q=clio").await, expected);
}
