//! Fair-price hints from comparable active ads: on the ad, for a draft at posting time, and
//! the bait price that the trust check flags.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{car_ad, each_backend, TestApp};

/// A Clio 4 of 2017 with 120,000 km at `price`, by its own seller (one ad each: a seller's
/// second ad with the same text would be a repost).
async fn clio(app: &TestApp, n: usize, price: i64, patch: Value) -> Value {
    let seller = app.user(&format!("clio{n}@example.dz")).await;
    let mut ad = car_ad(json!({
        // Short texts (under ten words): no near-duplicate text signal between these sellers.
        "title": format!("Clio 4 2017 n°{n}"),
        "description": format!("Entretien suivi, vendeur {n}"),
        "attributes": {"brand": "renault", "model": "Clio 4", "year": 2017, "mileage_km": 120000, "fuel": "diesel", "gearbox": "manual"},
        "price": price,
    }));
    for (k, v) in patch.as_object().unwrap() {
        ad[k] = v.clone();
    }
    app.create_listing(&seller, ad).await
}

async fn hint_for(app: &TestApp, draft: Value) -> Value {
    let res = app
        .call(Method::POST, "/v1/price-hints", None, Some(draft))
        .await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["price_hint"].clone()
}

async fn listing(app: &TestApp, id: &Value) -> Value {
    app.get(&format!("/v1/listings/{id}"))
        .await
        .json::<Value>()
        .await
        .unwrap()
}

#[tokio::test]
async fn comparable_ads_give_a_median_and_quartiles_from_five_on() {
    each_backend(|app| async move {
        let draft = json!({"category": "cars", "attributes": {"brand": "renault", "model": "CLIO-4", "year": 2018, "mileage_km": 110000}, "price": {"amount": 150, "unit": "million"}});
        let mut ids = Vec::new();
        for (n, price) in [1_500_000, 1_600_000, 1_700_000, 1_800_000].into_iter().enumerate() {
            ids.push(clio(&app, n, price, json!({})).await["id"].clone());
        }
        // Not comparable: another model, another year band, another mileage band.
        clio(&app, 10, 900_000, json!({"attributes": {"brand": "renault", "model": "Clio 3", "year": 2017, "mileage_km": 120000}})).await;
        clio(&app, 11, 900_000, json!({"attributes": {"brand": "renault", "model": "Clio 4", "year": 2012, "mileage_km": 120000}})).await;
        clio(&app, 12, 900_000, json!({"attributes": {"brand": "renault", "model": "Clio 4", "year": 2017, "mileage_km": 260000}})).await;
        app.settle().await;
        // Four comparables are too few to say anything.
        assert_eq!(hint_for(&app, draft.clone()).await, Value::Null);

        ids.push(clio(&app, 4, 1_900_000, json!({})).await["id"].clone());
        let mut hint = Value::Null;
        for _ in 0..50 {
            hint = hint_for(&app, draft.clone()).await;
            if !hint.is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // "CLIO-4" and "Clio 4" are one model; 2018 compares with 2017; 110,000 km is in the
        // 100,000–149,999 band.
        assert_eq!(hint["n"], 5, "{hint}");
        assert_eq!(hint["median"], 1_700_000);
        assert_eq!(hint["p25"], 1_600_000);
        assert_eq!(hint["p75"], 1_800_000);
        assert_eq!(hint["position"], "below", "150 millions is under p25");
        assert_eq!(hint["median_display"]["fr"], "170 millions");

        // On an ad: its comparables without itself (4 here: none).
        assert_eq!(listing(&app, &ids[0]).await["price_hint"], Value::Null);
        ids.push(clio(&app, 5, 2_000_000, json!({})).await["id"].clone());
        app.settle().await;
        let ad = listing(&app, &ids[2]).await;
        assert_eq!(ad["price_hint"]["n"], 5, "{ad}");
        assert_eq!(ad["price_hint"]["position"], "fair");

        // A category without comparables, and a draft in an unknown one.
        assert_eq!(hint_for(&app, json!({"category": "furniture", "attributes": {}})).await, Value::Null);
        let res = app
            .call(Method::POST, "/v1/price-hints", None, Some(json!({"category": "spaceships"})))
            .await;
        assert_eq!(res.status(), 422);
    })
    .await;
}

#[tokio::test]
async fn a_price_far_below_the_comparables_is_flagged_for_moderators() {
    each_backend(|app| async move {
        for (n, price) in [1_500_000, 1_600_000, 1_700_000, 1_800_000, 1_900_000]
            .into_iter()
            .enumerate()
        {
            clio(&app, n, price, json!({})).await;
        }
        app.settle().await;
        // Half of p25 is the line; an honest bargain stays clear of it (and counts among the
        // comparables of what follows: p25 of the six is 1,525,000).
        let bargain = clio(&app, 6, 1_300_000, json!({})).await;
        app.settle().await;
        let bait = clio(&app, 7, 600_000, json!({"price_confirmed": true})).await;
        let moderator = app.user("mod@example.dz").await;
        app.make_moderator("mod@example.dz");
        let mut entry = None;
        for _ in 0..100 {
            let q: Value = app
                .call(Method::GET, "/v1/mod/reports", Some(&moderator), None)
                .await
                .json()
                .await
                .unwrap();
            entry = q
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["listing_id"] == bait["id"])
                .cloned();
            if entry.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let entry = entry.expect("bait flagged");
        let flag = &entry["flags"][0];
        assert_eq!(flag["kind"], "suspicious_price");
        assert_eq!(flag["evidence"]["price"], 600_000);
        assert_eq!(flag["evidence"]["p25"], 1_525_000);
        assert_eq!(flag["evidence"]["comparables"], 6);
        let q: Value = app
            .call(Method::GET, "/v1/mod/reports", Some(&moderator), None)
            .await
            .json()
            .await
            .unwrap();
        assert!(q
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["listing_id"] != bargain["id"]));
    })
    .await;
}

/// Adversarial review: one seller's many ads (a dealer's, or fakes to move the range and get
/// a rival's price called a bait) count as one comparable.
#[tokio::test]
async fn many_ads_of_one_seller_count_once() {
    each_backend(|app| async move {
        let stuffer = app.user("stuffer@example.dz").await;
        for n in 0..6 {
            let ad = car_ad(json!({
                "title": format!("Clio 4 2017 lot {n}"),
                "description": format!("Entretien suivi, lot {n}"),
                "attributes": {"brand": "renault", "model": "Clio 4", "year": 2017, "mileage_km": 120000, "fuel": "diesel", "gearbox": "manual"},
                "price": 4_000_000 + n * 10_000,
            }));
            app.create_listing(&stuffer, ad).await;
        }
        app.settle().await;
        let draft = json!({"category": "cars", "attributes": {"brand": "renault", "model": "Clio 4", "year": 2017, "mileage_km": 120000}});
        assert_eq!(hint_for(&app, draft.clone()).await, Value::Null, "six ads of one seller are one comparable");
        // The positive control (issue 24, item 8): four other sellers make five comparables,
        // and the same draft gets its hint, so the null above was the one-seller rule.
        for n in 0..4 {
            clio(&app, 100 + n, 4_100_000 + n as i64 * 50_000, json!({})).await;
        }
        app.settle().await;
        let hint = hint_for(&app, draft).await;
        assert!(!hint.is_null(), "five sellers' ads give a hint: {hint}");
    })
    .await;
}
