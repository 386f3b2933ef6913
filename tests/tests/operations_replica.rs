//! A real streaming replica (`pg_basebackup` on another port): anonymous readers of public
//! pages read it while it keeps up; a signed-in user always reads their own writes; a paused
//! replica is left for the primary once it is too far behind and used again once it catches
//! up. A replica URL that points at the primary, or at nothing, stops the start with a message.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::replica::StreamingPair;
use souk_tests::{car_ad, test_config, Backend, TestApp, TestDb};

async fn title(app: &TestApp, id: i64, token: Option<&str>) -> String {
    let res = app
        .call(Method::GET, &format!("/v1/listings/{id}"), token, None)
        .await;
    if res.status() != 200 {
        return format!("status {}", res.status());
    }
    res.json::<Value>().await.unwrap()["title"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn until(what: &str, within: Duration, mut ok: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !ok().await {
        assert!(start.elapsed() < within, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn anonymous_public_reads_use_the_replica_while_it_keeps_up() {
    let Some(pair) = tokio::task::spawn_blocking(StreamingPair::start)
        .await
        .unwrap()
    else {
        return;
    };
    let (primary, replica) = pair.database("souk_replica");
    let app = TestApp::spawn_on(Backend::Postgres, TestDb::existing(primary), |c| {
        c.database_replica_url = Some(replica);
        c.replica_max_lag_secs = 3;
    })
    .await;
    let watcher = app
        .running
        .state
        .replica
        .clone()
        .expect("replica configured");
    until(
        "the replica is measured fresh",
        Duration::from_secs(10),
        async || watcher.fresh(),
    )
    .await;

    let seller = app.user("seller@example.dz").await;
    let ad = app
        .create_listing(
            &seller,
            car_ad(json!({"title": "Peugeot 208 première main"})),
        )
        .await;
    let id = ad["id"].as_i64().unwrap();
    assert_eq!(
        title(&app, id, Some(&seller)).await,
        "Peugeot 208 première main"
    );
    until(
        "anonymous readers see the ad",
        Duration::from_secs(5),
        async || title(&app, id, None).await == "Peugeot 208 première main",
    )
    .await;

    // The replica stops replaying; the seller edits the ad.
    pair.pause_replay();
    let res = app
        .call(
            Method::PATCH,
            &format!("/v1/listings/{id}"),
            Some(&seller),
            Some(json!({"title": "Peugeot 208 prix en baisse"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    // The seller reads their own write at once, from the primary.
    assert_eq!(
        title(&app, id, Some(&seller)).await,
        "Peugeot 208 prix en baisse"
    );
    // An anonymous reader, on the replica within its allowed lag, still sees the old title:
    // the read went to the replica.
    assert_eq!(title(&app, id, None).await, "Peugeot 208 première main");
    // Past the allowed lag, public reads leave the paused replica for the primary.
    until(
        "anonymous reads move to the primary",
        Duration::from_secs(8),
        async || title(&app, id, None).await == "Peugeot 208 prix en baisse",
    )
    .await;
    assert!(!watcher.fresh());

    // Replaying again, the replica catches up and serves again, with the edit.
    pair.resume_replay();
    until(
        "the replica is fresh again",
        Duration::from_secs(10),
        async || watcher.fresh(),
    )
    .await;
    assert_eq!(title(&app, id, None).await, "Peugeot 208 prix en baisse");
    // Search followed the primary all along.
    app.search_until("q=baisse&facets=false", Duration::from_secs(5), |b| {
        b["total"] == 1
    })
    .await;
    drop(app);
}

#[tokio::test]
async fn a_replica_url_that_is_the_primary_or_nothing_stops_the_start() {
    let Some(pair) = tokio::task::spawn_blocking(StreamingPair::start)
        .await
        .unwrap()
    else {
        return;
    };
    let (primary, replica) = pair.database("souk_replica_conf");
    let data = tempfile::tempdir().unwrap();
    // The primary under another spelling (a different database name would not pass either).
    let primary_again = primary.replace("127.0.0.1", "localhost");
    let nothing = {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("postgres://postgres@127.0.0.1:{port}/souk_replica_conf")
    };
    for (url, says) in [
        (primary_again, "points at a primary"),
        (nothing, "cannot connect to DATABASE_REPLICA_URL"),
    ] {
        let mut config = test_config(&primary, data.path());
        config.database_replica_url = Some(url);
        let err = tokio::task::spawn_blocking(move || souk_api::app::build_state(config).err())
            .await
            .unwrap()
            .expect("the start is refused");
        assert!(err.to_string().contains(says), "{err}");
    }
    // The real replica passes.
    let mut config = test_config(&primary, data.path());
    config.database_replica_url = Some(replica);
    let ok = tokio::task::spawn_blocking(move || souk_api::app::build_state(config).is_ok())
        .await
        .unwrap();
    assert!(ok);
}
