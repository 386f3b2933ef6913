//! The change feed misses nothing when transactions commit out of order (PostgreSQL, where
//! several writers commit concurrently), and applying a change twice is harmless.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde_json::{json, Value};
use souk_tests::{car_ad, item_ids, Backend, TestApp};

#[tokio::test]
async fn a_change_committed_after_a_later_one_still_reaches_search() {
    if !souk_tests::backends().contains(&Backend::Postgres) {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    app.wait_for_search_ready().await;
    let seller = app.user("feed@example.dz").await;
    let first = app
        .create_listing(&seller, car_ad(json!({"title": "Peugeot 208 premiere"})))
        .await["id"]
        .as_i64()
        .unwrap();
    let second = app
        .create_listing(&seller, car_ad(json!({"title": "Peugeot 208 seconde"})))
        .await["id"]
        .as_i64()
        .unwrap();
    app.search_until("q=seconde", Duration::from_secs(3), |v| {
        item_ids(v).contains(&second)
    })
    .await;

    // Transaction A takes the next change id and stays open...
    let mut a = diesel::PgConnection::establish(&app.db.url).unwrap();
    a.batch_execute(&format!(
        "BEGIN; UPDATE listings SET title = 'Kangouroo rouge 2019' WHERE id = {first};
         INSERT INTO listing_changes (listing_id, created_at) VALUES ({first}, now() AT TIME ZONE 'utc');"
    ))
    .unwrap();
    // ...while transaction B takes a later id and commits first.
    let mut b = diesel::PgConnection::establish(&app.db.url).unwrap();
    b.batch_execute(&format!(
        "BEGIN; UPDATE listings SET title = 'Wombat bleu 2020' WHERE id = {second};
         INSERT INTO listing_changes (listing_id, created_at) VALUES ({second}, now() AT TIME ZONE 'utc'); COMMIT;"
    ))
    .unwrap();
    app.search_until("q=wombat", Duration::from_secs(3), |v| {
        item_ids(v).contains(&second)
    })
    .await;
    // The index has followed past A's id without seeing it; A now commits.
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.batch_execute("COMMIT").unwrap();
    app.search_until("q=kangouroo", Duration::from_secs(3), |v| {
        item_ids(v) == vec![first]
    })
    .await;

    // The same change applied again (a duplicate feed row) changes nothing.
    b.batch_execute(&format!("INSERT INTO listing_changes (listing_id, created_at) VALUES ({second}, now() AT TIME ZONE 'utc')")).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let v: Value = app.get("/v1/search?q=wombat").await.json().await.unwrap();
    assert_eq!(item_ids(&v), vec![second]);
    let all: Value = app
        .get("/v1/search?limit=10&facets=false")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 2, "no duplicates in the index");
}
