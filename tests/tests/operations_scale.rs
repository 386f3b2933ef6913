//! What keeps the public paths cheap at scale and honest behind a load balancer: browse from
//! the index with cursor pages, SQLite reads beside the writer, readiness that waits for the
//! index, conditional and compressed reads.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use souk_tests::{
    assert_problem, backends, car_ad, each_backend, problem_fields, Backend, TestApp,
};

fn ids(v: &Value) -> Vec<i64> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn browse_walks_every_ad_by_cursor_and_filters_by_commune() {
    each_backend(|app| async move {
        let seller = app.user("cursor@example.dz").await;
        let mut posted = Vec::new();
        for (i, commune) in [1601, 1602, 1601, 1602, 1601].iter().enumerate() {
            let ad = app
                .create_listing(
                    &seller,
                    car_ad(json!({"title": format!("Clio {i} à vendre"), "commune": commune})),
                )
                .await;
            posted.push((ad["id"].as_i64().unwrap(), *commune));
        }
        let newest_first: Vec<i64> = posted.iter().rev().map(|(id, _)| *id).collect();

        let mut walked = Vec::new();
        let mut page = app.browse("per_page=2").await;
        loop {
            assert_eq!(page["total"], 5, "{page}");
            walked.extend(ids(&page));
            let Some(cursor) = page["next_cursor"].as_str().map(str::to_string) else {
                break;
            };
            page = app.browse(&format!("per_page=2&cursor={cursor}")).await;
        }
        assert_eq!(
            walked, newest_first,
            "cursor pages: every ad once, newest first"
        );

        let centre = app.browse("commune=1601").await;
        let expected: Vec<i64> = posted
            .iter()
            .rev()
            .filter(|(_, c)| *c == 1601)
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(ids(&centre), expected);
        assert_eq!(centre["items"][0]["status"], "active");

        // Numbered pages stop at 1,000 results deep; cursors go on.
        let deep = assert_problem(
            app.get("/v1/listings?per_page=100&page=11").await,
            422,
            "validation",
        )
        .await;
        assert_eq!(problem_fields(&deep), vec!["page"]);
        assert_eq!(
            app.get("/v1/listings?per_page=100&page=10").await.status(),
            StatusCode::OK
        );
        assert_problem(
            app.get("/v1/listings?page=2&cursor=abc").await,
            422,
            "validation",
        )
        .await;
        assert_problem(
            app.get("/v1/listings?cursor=not-a-cursor").await,
            400,
            "invalid_cursor",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn sqlite_reads_do_not_wait_for_the_writer() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seller = app.user("reader@example.dz").await;
    let ad = app.create_listing(&seller, car_ad(json!({}))).await;
    let id = ad["id"].as_i64().unwrap();

    // Something holds the one writer connection (a long write, a worker batch): reads go on.
    let state = app.running.state.clone();
    let held = tokio::task::spawn_blocking(move || state.pool.get().expect("writer"))
        .await
        .unwrap();
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for path in [
        format!("/v1/listings/{id}"),
        format!("/v1/users/{}", ad["seller"]["id"]),
        "/readyz".into(),
    ] {
        let res = quick
            .get(app.url(&path))
            .send()
            .await
            .expect("a read answers while the writer is busy");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    drop(held);

    // Read connections are read-only: a write sent through one fails instead of taking the lock.
    let state = app.running.state.clone();
    let attempt = tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        let mut conn = state.reader.get().expect("reader");
        diesel::sql_query("DELETE FROM listings").execute(&mut *conn)
    })
    .await
    .unwrap();
    // Refused because the connection is read-only, not for another reason (a busy lock).
    let refused = attempt
        .expect_err("a read connection accepted a write")
        .to_string();
    assert!(refused.contains("readonly"), "{refused}");
    assert_eq!(
        app.get(&format!("/v1/listings/{id}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn readyz_is_not_ready_until_the_index_serves() {
    for backend in backends() {
        let app = TestApp::start_seeded(backend, 3_000).await;
        let mut saw_not_ready = false;
        for _ in 0..1200 {
            let ready = app.get("/readyz").await;
            if ready.status() == StatusCode::OK {
                // A replica that says ready can search.
                let search = app.get("/v1/search?limit=1&facets=false").await;
                assert_eq!(
                    search.status(),
                    StatusCode::OK,
                    "ready while search answers {}",
                    search.status()
                );
                assert!(
                    saw_not_ready,
                    "ready before the index of 3,000 ads was built"
                );
                break;
            }
            assert_problem(ready, 503, "unavailable").await;
            saw_not_ready = true;
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(
            app.get("/readyz").await.status(),
            StatusCode::OK,
            "{backend:?} never became ready"
        );
    }
}

#[tokio::test]
async fn readyz_reports_an_index_that_falls_behind() {
    for backend in backends() {
        // The follower makes one pass at start, then not for an hour: it falls behind.
        let app = TestApp::spawn_with(backend, |c| {
            c.index_poll_ms = 3_600_000;
            c.ready_max_lag_secs = 1;
        })
        .await;
        let mut ready = false;
        for _ in 0..200 {
            if app.get("/readyz").await.status() == StatusCode::OK {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(ready, "{backend:?}: ready after the first pass");
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        let body = assert_problem(app.get("/readyz").await, 503, "unavailable").await;
        assert!(
            body["detail"].as_str().unwrap().contains("behind"),
            "{body}"
        );
        assert_eq!(
            app.get("/healthz").await.status(),
            StatusCode::OK,
            "liveness stays up"
        );
    }
}

async fn raw_len(app: &TestApp, path: &str, encoding: &str) -> (usize, Option<String>) {
    let res = app
        .client
        .get(app.url(path))
        .header("accept-encoding", encoding)
        .send()
        .await
        .unwrap();
    let enc = res
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_string());
    let body = res.bytes().await.unwrap();
    if enc.as_deref() == Some("gzip") {
        assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
    }
    (body.len(), enc)
}

/// A conditional GET, as a client that kept `tag` from an earlier read sends it.
async fn get_if_none_match(app: &TestApp, path: &str, tag: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn reads_are_compressed_and_conditional() {
    each_backend(|app| async move {
        // Compression when the client accepts it, at least 5x on the category tree.
        let (plain, enc) = raw_len(&app, "/v1/categories", "identity").await;
        assert_eq!(enc, None);
        let (gzip, enc) = raw_len(&app, "/v1/categories", "gzip").await;
        assert_eq!(enc.as_deref(), Some("gzip"));
        assert!(gzip * 5 <= plain, "gzip {gzip} B vs {plain} B");
        let (_, enc) = raw_len(&app, "/v1/wilayas", "br").await;
        assert_eq!(enc.as_deref(), Some("br"));

        // Reference data: cacheable, and a repeated read with its ETag is a 304 without body.
        let first = app.get("/v1/categories").await;
        assert!(first.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age"));
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        let again = get_if_none_match(&app, "/v1/categories", &etag).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
        let other = get_if_none_match(&app, "/v1/categories", "\"nope\"").await;
        assert_eq!(other.status(), StatusCode::OK);

        // A listing: the tag ignores the view counter, and changes with the ad.
        let seller = app.user("etag@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let path = format!("/v1/listings/{}", ad["id"]);
        let tag = |r: &reqwest::Response| r.headers()["etag"].to_str().unwrap().to_string();
        let a = tag(&app.get(&path).await);
        let b = tag(&app.get(&path).await);
        assert_eq!(a, b, "two reads of an unchanged ad");
        let cached = get_if_none_match(&app, &path, &a).await;
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
        let edited = app
            .call(
                Method::PATCH,
                &path,
                Some(&seller),
                Some(json!({"price": 2300000})),
            )
            .await;
        assert_eq!(edited.status(), StatusCode::OK);
        let after = get_if_none_match(&app, &path, &a).await;
        assert_eq!(
            after.status(),
            StatusCode::OK,
            "the old tag no longer matches"
        );
        assert_ne!(tag(&after), a);

        // A signed-in read is private to its user.
        let me = app.call(Method::GET, "/v1/me", Some(&seller), None).await;
        assert_eq!(me.headers()["cache-control"], "private, no-cache");
        assert!(me.headers().contains_key("etag"));

        // The served spec points at the host it came from.
        let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
        assert_eq!(spec["servers"][0]["url"], "/");
    })
    .await;
}
